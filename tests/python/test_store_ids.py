"""Store.compare equals `neardup compare`; repeated ids are renamed as the CLI renames them."""
import json
import warnings

import pytest

import neardup
from conftest import cli_records, run_cli


def as_jsonl(path, docs):
    path.write_text("".join(json.dumps({"id": d["id"], "text": d["text"].decode(), "source": d["source"]}) + "\n"
                            for d in docs))
    return str(path)


def two_stores(tmp_path, docs, **options):
    """Store A holds the even documents, B the odd ones: copies across feeds straddle them."""
    a, b = str(tmp_path / "a.nds"), str(tmp_path / "b.nds")
    with neardup.Store(a, "c", **options) as s:
        s.index(docs[0::2], time=1)
    with neardup.Store(b, "c", **options) as s:
        s.index(docs[1::2], time=2)
    return a, b


def test_compare_equals_cli_compare(tmp_path, feeds):
    _, docs = feeds
    a, b = two_stores(tmp_path, docs)
    expected = cli_records("compare", "-q", "--json", a, b)
    assert expected and {r["link"] for r in expected} <= {"copy", "cluster"}
    with neardup.Store(a) as sa, neardup.Store(b) as sb:
        assert sa.compare(sb) == expected
        assert sa.compare(b, threads=2) == expected  # a path is opened for the call
        assert len(sb) == len(docs[1::2])  # sb is usable after the call
    loose = cli_records("compare", "-q", "--json", "--doc-threshold", "0.2", "--containment", "0.3", a, b)
    with neardup.Store(a) as sa:
        assert sa.compare(b, doc_threshold=0.2, containment=0.3) == loose
    # swapped: B's documents as the earlier ones
    with neardup.Store(b) as sb:
        assert sb.compare(a) == cli_records("compare", "-q", "--json", b, a)


def test_compare_errors(tmp_path, feeds):
    _, docs = feeds
    a, b = two_stores(tmp_path, docs)
    other = str(tmp_path / "k64.nds")
    with neardup.Store(other, "c", num_perm=64) as s:
        s.index(docs[:2], time=1)
    with neardup.Store(a) as sa:
        with pytest.raises(neardup.Error, match="num_perm") as e:
            sa.compare(other)
        assert e.value.code == -10
        with pytest.raises(ValueError):
            sa.compare(sa)
        with pytest.raises(neardup.Error, match="missing.nds"):
            sa.compare(str(tmp_path / "missing.nds"))
        with pytest.raises(TypeError):
            sa.compare(b, no_such_option=1)
        closed = neardup.Store(b)
        closed.close()
        with pytest.raises(ValueError):
            sa.compare(closed)
    with pytest.raises(ValueError):
        sa.compare(b)  # this one is closed


def repeated(feeds):
    """The feeds' documents with ids that repeat: "x" three times (the third
    after a document already named "x#2"), "y" twice."""
    _, docs = feeds
    ids = ["x", "x", "x#2", "x", "y", "z", "y"] + ["d%d" % i for i in range(len(docs) - 7)]
    return [dict(d, id=i) for d, i in zip(docs, ids)]


def test_repeated_ids_scan_equals_cli(tmp_path, feeds):
    docs = repeated(feeds)
    path = as_jsonl(tmp_path / "rep.jsonl", docs)
    expected = cli_records("scan", "-q", "--json", path)
    with pytest.warns(UserWarning) as caught:
        got = neardup.scan(docs)
    assert got == expected
    names = [r["doc"] for r in got if r["type"] == "doc"]
    # "x#2" given after a repeat took it becomes "x#2#2", as the CLI does
    assert names[:7] == ["x", "x#2", "x#2#2", "x#3", "y", "z", "y#2"]
    assert len(names) == len(set(names))
    messages = [str(w.message) for w in caught if "already used" in str(w.message)]
    assert messages == [
        "docs[1]: id 'x' already used by docs[0]; this one is reported as 'x#2'",
        "docs[2]: id 'x#2' already used by docs[1] (an id made for a repeated one); this one is reported as 'x#2#2'",
        "docs[3]: id 'x' already used by docs[0]; this one is reported as 'x#3'",
        "docs[6]: id 'y' already used by docs[4]; this one is reported as 'y#2'"]
    # the CLI says the same of its lines
    err = run_cli_stderr("scan", "--json", path)
    assert err.count("already used") == 4 and 'reported as "x#2#2"' in err


def run_cli_stderr(*args):
    import subprocess
    from conftest import CLI
    out = subprocess.run([CLI, *args], capture_output=True, check=True)
    return out.stderr.decode()


def test_repeated_ids_stream_clean_equal_cli(tmp_path, feeds):
    docs = repeated(feeds)
    path = as_jsonl(tmp_path / "rep.jsonl", docs)
    expected = cli_records("scan", "-q", "--stream", "--json", path)
    stream = neardup.Stream()
    with pytest.warns(UserWarning, match="already used"):
        got = [r for d in docs for r in stream.add(d)]
    assert got == expected
    with pytest.warns(UserWarning, match="already used"):
        assert len(neardup.clean(docs)) == len(docs)
    # a warning turned into an error stops the call, naming the document
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match=r"docs\[1\]"):
            neardup.scan(docs)
        stream = neardup.Stream()
        stream.add(docs[0])
        with pytest.raises(UserWarning):
            stream.add(docs[1])  # not added; the id it was given stays taken
        assert stream.add(dict(docs[1], id="fresh"))[0]["doc"] == "fresh"  # still usable


def test_repeated_ids_index_and_query_equal_cli(tmp_path, feeds):
    docs = repeated(feeds)
    path = as_jsonl(tmp_path / "rep.jsonl", docs)
    mine, theirs = str(tmp_path / "py.nds"), str(tmp_path / "cli.nds")
    with neardup.Store(mine, "c") as s, pytest.warns(UserWarning, match="already used"):
        s.index(docs, time=1)
    run_cli("index", "-q", "--time", "1", "-s", theirs, path)
    with open(mine, "rb") as a, open(theirs, "rb") as b:
        assert a.read() == b.read()
    expected = cli_records("query", "-q", "--json", "-s", theirs, path)
    with neardup.Store(mine) as s, pytest.warns(UserWarning, match="already used"):
        assert s.query(docs) == expected


def test_merge_equals_cli_merge(tmp_path, feeds):
    _, docs = feeds
    a, b = two_stores(tmp_path, docs)
    mine, theirs = str(tmp_path / "py.nds"), str(tmp_path / "cli.nds")
    with neardup.Store(a) as sa:
        assert neardup.merge(mine, [sa, b]) == len(docs)  # a Store object or a path
        assert len(sa) == len(docs[0::2])
    run_cli("merge", "-q", "-o", theirs, a, b)
    with open(mine, "rb") as x, open(theirs, "rb") as y:
        assert x.read() == y.read()
    with pytest.raises(FileExistsError):
        neardup.merge(mine, [a])
    twice, twice_cli = str(tmp_path / "twice.nds"), str(tmp_path / "twice-cli.nds")
    with neardup.Store(a) as sa:
        assert neardup.merge(twice, [sa, sa]) == 2 * len(docs[0::2])  # as `merge -o OUT A A`
    run_cli("merge", "-q", "-o", twice_cli, a, a)
    with open(twice, "rb") as x, open(twice_cli, "rb") as y:
        assert x.read() == y.read()
    assert neardup.merge(mine, [a], force=True) == len(docs[0::2])
    other = str(tmp_path / "k64.nds")
    with neardup.Store(other, "c", num_perm=64) as s:
        s.index(docs[:2], time=1)
    with pytest.raises(neardup.Error, match="num_perm") as e:
        neardup.merge(str(tmp_path / "bad.nds"), [a, other])
    assert e.value.code == -10
    assert not (tmp_path / "bad.nds").exists()
    assert not [p for p in tmp_path.iterdir() if ".tmp." in p.name]
    with pytest.raises(neardup.Error, match="missing.nds"):
        neardup.merge(str(tmp_path / "m2.nds"), [a, str(tmp_path / "missing.nds")])
    with pytest.raises(ValueError):
        neardup.merge(str(tmp_path / "m3.nds"), [])


def test_prune_equals_cli_prune(tmp_path, feeds):
    _, docs = feeds
    base = str(tmp_path / "base.nds")
    with neardup.Store(base, "c") as s:
        s.index(docs[:6], time=1700000000)   # 2023-11-14
        s.index(docs[6:], time=1800000000)   # 2027-01-15
    data = open(base, "rb").read()

    def fresh(name):
        path = tmp_path / name
        path.write_bytes(data)
        return str(path)

    for rule, args in (({"keep": 3}, ["--keep", "3"]),
                       ({"before": "2024-01-01"}, ["--before", "2024-01-01"]),
                       ({"before": 1750000000, "keep": 2}, ["--before", "1750000000", "--keep", "2"])):
        mine, theirs = fresh("py.nds"), fresh("cli.nds")
        kept, total = neardup.prune(mine, **rule)
        run_cli("prune", "-q", "-s", theirs, *args)
        assert total == len(docs)
        with open(mine, "rb") as x, open(theirs, "rb") as y:
            assert x.read() == y.read(), rule
        with neardup.Store(mine) as s:
            assert len(s) == kept
    assert neardup.prune(fresh("p.nds"), before="2024-01-01") == (len(docs) - 6, len(docs))
    # what a killed prune left is removed, with a warning
    path = fresh("p.nds")
    leftover = tmp_path / "p.nds.tmp.AbC123"
    leftover.write_bytes(b"half a store")
    with pytest.warns(UserWarning, match="left by an interrupted prune"):
        neardup.prune(path, keep=100)
    assert not leftover.exists()
    # an appender holds the lock
    with neardup.Store(path, "a"):
        with pytest.raises(neardup.Error) as e:
            neardup.prune(path, keep=1)
        assert e.value.code == -11
    with pytest.raises(TypeError):
        neardup.prune(path)
    with pytest.raises(ValueError):
        neardup.prune(path, before="not a date")
    with pytest.raises(ValueError):
        neardup.prune(path, keep=-1)
