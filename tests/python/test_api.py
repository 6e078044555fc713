"""Errors, signatures, the store; bad input never crashes."""
import json
import os
from array import array

import pytest

import neardup
from conftest import cli_records, run_cli


def test_bad_parameter_names_the_field():
    with pytest.raises(neardup.Error, match=r"^num_perm: must be in 1\.\.1024 \(got 0\)") as e:
        neardup.scan([], num_perm=0)
    assert e.value.code == -3
    with pytest.raises(neardup.Error, match="threshold"):
        neardup.Stream(threshold=1.5)


@pytest.mark.parametrize("kwargs, exc", [
    ({"no_such_option": 1}, TypeError),
    ({"num_perm": "64"}, TypeError),
    ({"num_perm": -1}, ValueError),
    ({"seed": 2 ** 64}, ValueError),
    ({"scope": "everywhere"}, ValueError),
    ({"paragraphs": 3}, ValueError),
    ({"threshold": "x"}, TypeError),
    ({"threads": 0.5}, TypeError),
])
def test_bad_option_values(kwargs, exc):
    with pytest.raises(exc):
        neardup.scan([{"id": "a", "text": "x"}], **kwargs)


@pytest.mark.parametrize("doc", [
    None, "text", b"bytes", 3, [1, 2],
    {"text": "no id"}, {"id": "no text"}, {"id": "a", "text": None}, {"id": "a", "text": 3},
    {"id": None, "text": "x"}, {"id": 1.5, "text": "x"}, {"id": "a", "text": "x", "source": 7},
    {"id": "a", "text": "x", "url": 7},
])
def test_bad_documents_raise(doc):
    with pytest.raises(TypeError):
        neardup.scan([{"id": "ok", "text": "fine"}, doc])
    with pytest.raises(TypeError):
        neardup.Stream().add(doc)
    with pytest.raises(TypeError):
        neardup.clean([doc])


def test_not_iterable():
    with pytest.raises(TypeError):
        neardup.scan(None)


def test_odd_text_never_crashes():
    docs = [
        {"id": "surrogate\udc80", "text": "lone \ud800 surrogate\n" * 5},
        {"id": "bytes", "text": b"\xff\xfe invalid \xc3\x28 utf-8\x00 nul\n" * 5},
        {"id": "empty", "text": ""},
        {"id": 42, "text": "a number as id"},
        {"id": "u", "text": "\u00e9t\u00e9 " * 50, "url": "not a url", "date": "yesterday"},
    ]
    with pytest.warns(UserWarning):
        records = neardup.scan(docs)
    ids = [r["doc"] for r in records if r["type"] == "doc"]
    assert ids == ["surrogate\udc80", "bytes", "empty", "42", "u"]
    by_id = {r["doc"]: r for r in records if r["type"] == "doc"}
    assert by_id["u"]["source"] == ""
    lines = neardup.scan(docs[:1], paragraphs="lines")
    assert lines[0]["repeats"] == 4 and lines[0]["doc"] == "surrogate\udc80"
    assert neardup.clean(docs[:1], paragraphs="lines")[0] == "lone \ud800 surrogate\n"
    assert neardup.clean(docs[:1])[0] == docs[0]["text"]


def test_signature_and_similarity():
    text = "The council approved the budget for the new ferry terminal on Tuesday evening."
    a = neardup.signature(text, numpy=False)
    assert isinstance(a, array) and a.typecode == "I" and len(a) == 128
    assert neardup.similarity(a, a) == 1.0
    assert neardup.similarity(a, neardup.signature(text.encode(), numpy=False)) == 1.0
    b = neardup.signature(text.replace("Tuesday", "Friday"), numpy=False)
    c = neardup.signature("Completely unrelated words about orchards and frost damage this spring.", numpy=False)
    assert 0.2 < neardup.similarity(a, b) < 1.0
    assert neardup.similarity(a, c) < 0.2
    assert neardup.similarity(a.tobytes(), b.tobytes()) == neardup.similarity(a, b)
    assert len(neardup.signature(text, num_perm=16, numpy=False)) == 16
    assert neardup.signature(text, seed=1, numpy=False) != a
    with pytest.raises(ValueError):
        neardup.similarity(a, neardup.signature(text, num_perm=16, numpy=False))
    with pytest.raises(ValueError):
        neardup.similarity(a, a, sig_bits=12)
    with pytest.raises(ValueError):
        neardup.similarity(array("d", [1.0]), array("d", [1.0]))
    with pytest.raises(TypeError):
        neardup.signature(None)


def test_signature_numpy():
    np = pytest.importorskip("numpy")
    s = neardup.signature("one two three four five six seven")
    assert isinstance(s, np.ndarray) and s.dtype == np.uint32 and s.shape == (128,)
    assert list(s) == list(neardup.signature("one two three four five six seven", numpy=False))
    assert neardup.similarity(s, s) == 1.0


def halves(feeds):
    inputs, docs = feeds
    first = [d for d in docs if not d["id"].endswith(("dailyharbor/01-electric-ferries.txt", "01-battery-ferries.txt"))]
    second = [d for d in docs if d not in first]
    return first, second


def test_store_round_trip(tmp_path, feeds):
    first, second = halves(feeds)
    path = str(tmp_path / "s.nds")
    with neardup.Store(path, "c") as store:
        assert store.index(first, time=1700000000) == len(first)
        info = store.info()
        assert info["documents"] == len(first) == len(store)
        assert info["params"]["num_perm"] == 32 and info["params"]["sig_bits"] == 8
        assert not info["read_only"]
    with pytest.raises(ValueError):
        store.info()
    cli_info = json.loads(run_cli("info", "--json", path))
    assert cli_info["documents"] == len(first)
    # a query from Python equals the CLI's on the same store
    query_file = tmp_path / "q.jsonl"
    query_file.write_text("".join(json.dumps({"id": d["id"], "text": d["text"].decode(), "source": d["source"]}) + "\n"
                                  for d in second))
    expected = cli_records("query", "-q", "--json", "-s", path, str(query_file))
    with neardup.Store(path) as store:
        got = store.query(second)
        with pytest.raises(ValueError):
            store.index(second)
        checked = store.verify()
    assert got == expected
    assert checked["documents"] == len(first) and checked["paragraphs"] == cli_info["paragraphs"]
    # a damaged block: verify() raises with the library's message
    with open(path, "r+b") as f:
        f.seek(os.path.getsize(path) // 2)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(neardup.Error):
        with neardup.Store(path) as store:
            store.verify()
    assert any(r["type"] == "doc" and r["duplicate_of"] in {d["id"] for d in first} for r in got)


def test_store_index_equals_cli_index(tmp_path, feeds):
    first, second = halves(feeds)
    mine, theirs = str(tmp_path / "py.nds"), str(tmp_path / "cli.nds")
    with neardup.Store(mine, "c") as s:
        s.index(first, time=1)
    listing = tmp_path / "first.jsonl"
    listing.write_text("".join(json.dumps({"id": d["id"], "text": d["text"].decode(), "source": d["source"]}) + "\n"
                               for d in first))
    run_cli("index", "-q", "--time", "1", "-s", theirs, str(listing))
    with open(mine, "rb") as a, open(theirs, "rb") as b:
        assert a.read() == b.read()


def test_store_errors(tmp_path):
    missing = str(tmp_path / "missing.nds")
    with pytest.raises(neardup.Error, match="missing.nds") as e:
        neardup.Store(missing)
    assert e.value.code == -7
    path = str(tmp_path / "s.nds")
    with neardup.Store(path, "c") as s:
        s.index([{"id": "a", "text": "some text here for a store"}])
    with pytest.raises(neardup.Error, match="num_perm") as e:
        neardup.Store(path, "a", num_perm=64)
    assert e.value.code == -10
    with pytest.raises(ValueError):
        neardup.Store(path, "x")
    with pytest.raises(TypeError):
        neardup.Store(path, "r", num_perm=64)
    not_a_store = tmp_path / "text.nds"
    not_a_store.write_bytes(b"hello, not a store\n" * 10)
    with pytest.raises(neardup.Error):
        neardup.Store(str(not_a_store))
    with neardup.Store(path, "a") as s:
        with pytest.raises(TypeError):
            s.index([{"id": "b", "text": None}])
        assert len(s) == 1
