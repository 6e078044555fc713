"""neardup.scan, clean and Stream give what the CLI gives, record for record."""
import json
import os

import pytest

import neardup
from conftest import SHARED, cli_records, feed_inputs, jsonl_docs, run_cli, text_docs


def test_scan_corpus_equals_cli(feeds):
    inputs, docs = feeds
    expected = cli_records("scan", "--json", *inputs)
    got = neardup.scan(docs)
    assert len(got) == len(expected) > len(docs)
    assert got == expected


def test_scan_corpus_with_threads_and_str_text(feeds):
    inputs, docs = feeds
    as_str = [dict(d, text=d["text"].decode("utf-8")) for d in docs]
    assert neardup.scan(iter(as_str), threads=2) == cli_records("scan", "--json", *inputs)


def test_scan_options_equal_cli(feeds):
    inputs, docs = feeds
    expected = cli_records("scan", "--json", "--min-stories", "2", "--scope", "all", "--threshold",
                           "0.6", "-k", "64", "-w", "4", "--paragraphs", "blocks", *inputs)
    got = neardup.scan(docs, min_stories=2, scope="all", threshold=0.6, num_perm=64, shingle_size=4,
                       paragraphs="blocks")
    assert got == expected
    assert got != neardup.scan(docs)


@pytest.mark.parametrize("name", ["syndication", "aeb", "cleanportaleval"])
def test_scan_dev_set_equals_cli(name):
    path = os.path.join(SHARED, "eval", name, "docs.jsonl")
    if not os.access(path, os.R_OK):
        pytest.skip(f"{path} absent")
    expected = cli_records("scan", "--json", path)
    assert neardup.scan(jsonl_docs(path)) == expected


def test_url_host_and_dates_equal_cli(tmp_path, feeds):
    """Source from the url's host when there is no source; ISO and numeric dates."""
    _, docs = feeds
    lines = []
    for i, d in enumerate(docs):
        doc = {"id": f"d{i}", "text": d["text"].decode("utf-8"),
               "url": f"https://WWW.{os.path.basename(d['source'])}.example:8080/{i}"}
        if i % 3 == 0:
            doc["date"] = f"2020-01-{28 - i:02d}T10:00:00Z"
        elif i % 3 == 1:
            doc["date"] = 1600000000 - i * 86400
        lines.append(doc)
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in lines), encoding="utf-8")
    expected = cli_records("scan", "--json", str(path))
    got = neardup.scan(lines)
    assert got == expected
    assert {r["source"] for r in got if r["type"] == "doc"} == {"dailyharbor.example", "metrowire.example",
                                                                "valleypost.example"}


def test_clean_equals_cli(feeds):
    inputs, docs = feeds
    expected = run_cli("clean", "-q", *inputs)
    cleaned = neardup.clean(docs)
    assert all(isinstance(t, bytes) for t in cleaned)
    assert b"".join(cleaned) == expected
    assert len(b"".join(cleaned)) < sum(len(d["text"]) for d in docs)
    kept = neardup.clean(docs, keep_repeats=True, keep_boilerplate=True)
    assert kept == [d["text"] for d in docs]
    assert b"".join(neardup.clean(docs, keep_boilerplate=True)) == run_cli("clean", "-q", "--keep-boilerplate",
                                                                            *inputs)


def test_clean_gives_str_for_str():
    docs = [{"id": str(i), "text": "Read the full story here.\n" + " ".join(f"w{i}x{j}" for j in range(40)) + "\n"} for i in range(4)]
    out = neardup.clean(docs, min_stories=2)
    assert all(isinstance(t, str) for t in out)
    assert out == [d["text"].split("\n", 1)[1] for d in docs]


def test_stream_equals_cli_stream(feeds):
    inputs, docs = feeds
    expected = cli_records("scan", "--stream", "--json", *inputs)
    stream = neardup.Stream()
    got = [r for d in docs for r in stream.add(d)]
    assert got == expected


def test_stream_window_equals_cli(feeds):
    inputs, docs = feeds
    expected = cli_records("scan", "--stream", "--window", "4", "--json", *inputs)
    stream = neardup.Stream(window=4)
    assert [r for d in docs for r in stream.add(d)] == expected
