"""neardup.dask.scan on a local cluster of two worker processes equals the CLI."""
import os
import json
import signal
import subprocess
import sys
import time

import pytest

import neardup
from conftest import CLI, ROOT, SHARED, cli_records, jsonl_docs, run_cli

dask = pytest.importorskip("dask")
db = pytest.importorskip("dask.bag")
distributed = pytest.importorskip("distributed")
np = pytest.importorskip("numpy")  # the shard stages hand arrays to each other
import neardup.dask  # noqa: E402

SYNDICATION = os.path.join(SHARED, "eval", "syndication", "docs.jsonl")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0")
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def syndication_docs():
    if not os.access(SYNDICATION, os.R_OK):
        pytest.skip(f"{SYNDICATION} absent")
    return jsonl_docs(SYNDICATION)


def test_dask_scan_corpus_equals_cli(client, feeds):
    inputs, docs = feeds
    expected = cli_records("scan", "--json", *inputs)
    for parts, shards in ((1, None), (2, None), (5, None), (2, 1), (5, 3)):
        bag = db.from_sequence(docs, npartitions=parts)
        assert neardup.dask.scan(bag, shards=shards).compute() == expected, (parts, shards)
    assert len(client.scheduler_info()["workers"]) == 2


def test_dask_lines_are_the_cli_bytes(client, feeds):
    """lines(): per input partition one str, whose concatenation is the
    CLI's standard output byte for byte (the CLI's writer, in the
    extension), whatever the partitions, shards and options."""
    inputs, docs = feeds
    for args, options in (((), {}), (("--min-stories", "4", "-k", "64"), {"min_stories": 4, "num_perm": 64})):
        expected = run_cli("scan", "--json", *args, *inputs)
        for parts, shards in ((1, None), (3, None), (4, 2)):
            bag = db.from_sequence(docs, npartitions=parts)
            got = neardup.dask.lines(bag, shards=shards, **options).compute()
            assert len(got) == parts and all(isinstance(x, str) for x in got)
            assert "".join(got).encode() == expected, (args, parts, shards)


def test_dask_scan_dev_set_equals_cli(client):
    docs = syndication_docs()
    expected = cli_records("scan", "--json", SYNDICATION)
    for parts in (1, 2, 5):
        bag = db.from_sequence(docs, npartitions=parts)
        assert neardup.dask.scan(bag).compute() == expected, parts
    expected = cli_records("scan", "--json", "--min-stories", "4", "-k", "64", SYNDICATION)
    bag = db.from_sequence(docs, npartitions=4)
    assert neardup.dask.scan(bag, min_stories=4, num_perm=64).compute() == expected


def _reference_range(keys, shards):
    """The range of each bucket, as the extension's _split_pairs hashes it."""
    mixed = keys * np.uint64(0x9E3779B97F4A7C15)
    return (mixed >> np.uint64(40)) % np.uint64(shards)


def _reference_links(pairs):
    """The links as the NumPy stage defined them: sort by bucket, link each
    document to the smallest document of its bucket, sorted and unique."""
    bucket = np.concatenate([b for b, _ in pairs]) if pairs else np.zeros(0, dtype=np.uint64)
    doc = np.concatenate([d for _, d in pairs]) if pairs else np.zeros(0, dtype=np.uint64)
    if not len(bucket):
        return np.zeros(0, dtype=np.uint64)
    order = np.argsort(bucket, kind="stable")
    bucket, doc = bucket[order], doc[order]
    start = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    first = np.repeat(np.minimum.reduceat(doc, start), np.diff(np.r_[start, len(doc)]))
    keep = first != doc
    return np.unique(first[keep] << np.uint64(32) | doc[keep])


def test_bucket_stages_equal_their_definition():
    """The extension's split by range and radix-sorted links give what the
    NumPy definitions give: every byte of a bucket takes part (random 64-bit
    buckets, buckets differing in one byte only, few distinct ones so that
    runs are long, a document holding a bucket twice, empty ranges and
    partitions), pairs stay in document order within a range, and bad input
    is refused with an exception."""
    rng = np.random.default_rng(7)
    for case in range(12):
        ndocs = [0, 1, 40, 300][case % 4]
        parts, first = [], 0
        for p in range(3):
            keys = []
            for _ in range(ndocs):
                n = int(rng.integers(0, 30))
                if case % 3 == 0:  # random 56-bit keys under a kind, sometimes one that is not kept
                    kind = rng.integers(0, 5, size=n, dtype=np.uint64) << np.uint64(56)
                    v = rng.integers(0, 2**56, size=n, dtype=np.uint64) | kind
                elif case % 3 == 1:  # one byte varies: each digit of the sort alone
                    shift = np.uint64(8 * int(rng.integers(0, 8)))
                    v = (rng.integers(0, 4, size=n, dtype=np.uint64) << shift) | np.uint64(1 << 56)
                else:  # few buckets, repeated within documents too
                    v = rng.integers(0, 5, size=n, dtype=np.uint64) | np.uint64((int(rng.integers(1, 4))) << 56)
                keys.append(v.astype(np.uint64).tobytes())
            parts.append((keys, first))
            first += ndocs
        for shards in (1, 3, 7):
            for kinds in ((1, 2, 3), (1,)):
                per_range = [[] for _ in range(shards)]
                for keys, start in parts:
                    got = neardup._neardup._split_pairs(keys, start, shards, sum(1 << k for k in kinds))
                    buckets = np.frombuffer(b"".join(keys), dtype=np.uint64)
                    owner = np.repeat(np.arange(start, start + len(keys), dtype=np.uint64),
                                      [len(k) // 8 for k in keys])
                    keep = np.isin(buckets >> np.uint64(56), np.asarray(kinds, dtype=np.uint64))
                    buckets, owner = buckets[keep], owner[keep]
                    where = _reference_range(buckets, shards)
                    assert len(got) == shards
                    for r, (b, d) in enumerate(got):
                        b, d = np.frombuffer(b, dtype=np.uint64), np.frombuffer(d, dtype=np.uint32)
                        assert np.array_equal(b, buckets[where == r]), (case, shards, r)
                        assert np.array_equal(d, owner[where == r]), (case, shards, r)
                        per_range[r].append((b, d))
                for r in range(shards):
                    want = _reference_links([(b, d.astype(np.uint64)) for b, d in per_range[r]])
                    assert np.array_equal(neardup.dask._links(per_range[r]), want), (case, shards, r)
                    # documents as uint64 too (bench/components.py stores them so)
                    wide = [(b, d.astype(np.uint64)) for b, d in per_range[r]]
                    assert np.array_equal(neardup.dask._links(wide), want), (case, shards, r)
    assert len(neardup.dask._links([])) == 0
    # the last document number there is, and one past it
    one = (np.uint64(1 << 56) | np.uint64(7)).tobytes()
    (b, d), = neardup._neardup._split_pairs([one], 2**32 - 1, 1, 2)
    assert np.frombuffer(d, dtype=np.uint32).tolist() == [2**32 - 1]
    for first in (2**32, 2**64 - 1, -1):
        with pytest.raises((ValueError, OverflowError)):
            neardup._neardup._split_pairs([one], first, 1, 2)
    with pytest.raises(ValueError):
        neardup._neardup._split_pairs([one, one], 2**32 - 1, 1, 2)
    with pytest.raises(TypeError):
        neardup._neardup._split_pairs([b"\0" * 7], 0, 1, 2)  # not uint64
    with pytest.raises(ValueError):
        neardup._neardup._links([(np.zeros(2, dtype=np.uint64), np.zeros(1, dtype=np.uint64))])
    with pytest.raises(ValueError):
        neardup._neardup._links([(np.zeros(1, dtype=np.uint64), np.full(1, 2**32, dtype=np.uint64))])
    with pytest.raises(ValueError):  # bytes: no item size to tell uint32 from uint64
        neardup._neardup._links([(np.zeros(1, dtype=np.uint64), b"\0" * 4)])
    for dtype in (np.float32, np.int32, np.int64, np.float64):  # not unsigned document numbers
        with pytest.raises(ValueError):
            neardup._neardup._links([(np.zeros(1, dtype=np.uint64), np.zeros(1, dtype=dtype))])
    with pytest.raises(TypeError):  # a pair is a tuple
        neardup._neardup._links([[np.zeros(1, dtype=np.uint64), np.zeros(1, dtype=np.uint32)]])


def test_component_sizes(client, feeds):
    """The diagnostic of bench/components.py: documents sharing no bucket
    land in components of their own (this corpus's feeds plus an unrelated
    text)."""
    _, docs = feeds
    lone = {"id": "lone", "text": "A paragraph about nothing that any feed of this corpus says.",
            "source": "elsewhere"}
    sizes = neardup.dask.component_sizes(db.from_sequence(docs + [lone], npartitions=2)).compute()
    assert sum(n for n, _ in sizes) == len(docs) + 1
    assert sizes[-1][0] == 1 and len(sizes) >= 2


def test_shard_keys(feeds):
    _, docs = feeds
    signed = neardup._neardup._sign(docs[:2])
    keys = neardup._neardup._shard_keys(signed)
    assert len(keys) == 2 and all(len(k) % 8 == 0 and k for k in keys)
    assert neardup._neardup._shard_keys(signed) == keys  # a function of the document
    # family buckets are keyed per source unless the scope is every source
    assert neardup._neardup._shard_keys(signed, scope="all") != keys
    with pytest.raises(ValueError):
        neardup._neardup._shard_keys(signed, num_perm=64)


def test_module_cli_writes_the_cli_bytes(feeds):
    inputs, _ = feeds
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-m", "neardup.dask", "--local", "2", "--shards", "2", *inputs],
                         capture_output=True, env=env, check=False)
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    assert out.stdout == run_cli("scan", "--json", *inputs)
    bad = subprocess.run([sys.executable, "-m", "neardup.dask", "--bogus", "x"], capture_output=True, env=env)
    assert bad.returncode == 2 and b"unknown option" in bad.stderr
    bad = subprocess.run([sys.executable, "-m", "neardup.dask", "--blocksize", "lots", *inputs], capture_output=True,
                         env=env)
    assert bad.returncode == 2 and b"not a size: lots" in bad.stderr and b"Traceback" not in bad.stderr


def test_module_cli_refuses_web_pages(tmp_path):
    """Inputs the CLI reads as web pages (by name, or WARC by content, maybe
    gzipped) are refused by name before any work, not read as text."""
    import gzip
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    (tmp_path / "a.txt").write_text("A plain text document.\n")
    pages = {"page.HTML": b"<p>A page</p>", "page.htm.gz": gzip.compress(b"<p>A page</p>"),
             "crawl.dat": b"WARC/1.0\r\nWARC-Type: warcinfo\r\n\r\n",
             "crawl.bin": gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\n\r\n")}
    for name, data in pages.items():
        d = tmp_path / name.replace(".", "_")
        d.mkdir()
        (d / "a.txt").write_text("A plain text document.\n")
        (d / name).write_bytes(data)
        out = subprocess.run([sys.executable, "-m", "neardup.dask", "--local", "1", str(d)],
                             capture_output=True, env=env, check=False)
        assert out.returncode == 2 and out.stdout == b"", name
        assert name.encode() in out.stderr and b"web pages" in out.stderr, out.stderr
    plain = subprocess.run([sys.executable, "-m", "neardup.dask", "--local", "1", str(tmp_path / "a.txt")],
                           capture_output=True, env=env, check=False)
    assert plain.returncode == 0 and plain.stdout == run_cli("scan", "--json", str(tmp_path / "a.txt"))
    # a text file holding a NUL byte is skipped as binary, as the CLI does
    # (exit status 1: the rest is scanned, not every input)
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "a.txt").write_text("A plain text document about the ferry.\n")
    (mixed / "b.txt").write_bytes(b"Half text \0 half binary about the ferry.\n")
    out = subprocess.run([sys.executable, "-m", "neardup.dask", "--local", "1", str(mixed)],
                         capture_output=True, env=env, check=False)
    cli = subprocess.run([CLI, "scan", "--json", str(mixed)], capture_output=True, check=False)
    assert out.returncode == cli.returncode == 1
    assert out.stdout == cli.stdout and b"b.txt" not in out.stdout
    assert b"b.txt: binary file (NUL byte at offset 10), skipped" in out.stderr


def test_killed_worker_changes_nothing(feeds):
    """A worker process killed mid-run: Dask recomputes what it held; the
    records are those of one machine."""
    _, base = feeds
    docs = [dict(d, id="%s@%d" % (d["id"], n)) for n in range(12) for d in base]
    expected = neardup.scan(docs)
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0")
    with distributed.Client(cluster) as c:
        bag = db.from_sequence(docs, npartitions=6)
        future = c.compute(neardup.dask.scan(bag))
        deadline = time.time() + 60
        victim = None
        while victim is None and time.time() < deadline and not future.done():
            held = [w for ws in c.who_has().values() for w in ws]
            victim = held[0] if held else None
            time.sleep(0.01)
        assert victim is not None, "the run ended before any task result was held"
        pid = c.run(os.getpid, workers=[victim])[victim]
        unfinished = not future.done()
        os.kill(pid, signal.SIGKILL)
        assert unfinished, "the run ended before the worker was killed"
        assert future.result(timeout=300) == expected
    cluster.close()


def test_dask_scan_bad_options():
    bag = db.from_sequence([{"id": "a", "text": "x"}])
    with pytest.raises(neardup.Error, match="num_perm"):
        neardup.dask.scan(bag, num_perm=0)
    with pytest.raises(TypeError):
        neardup.dask.scan([{"id": "a", "text": "x"}])
    with pytest.raises(ValueError):
        neardup.dask.scan(bag, shards=-1)


def test_signed_documents_round_trip(feeds):
    inputs, docs = feeds
    signed = neardup._neardup._sign(docs)
    assert [s[0] for s in signed] == [d["id"].encode() for d in docs]
    assert neardup._neardup._judge(signed) == neardup.scan(docs)
    with pytest.raises(ValueError):
        neardup._neardup._judge(signed, num_perm=64)
    with pytest.raises(TypeError):
        neardup._neardup._judge([("only", "three", None)])


def test_empty_and_tiny_collections(client):
    assert neardup.dask.scan(db.from_sequence([], npartitions=1)).compute() == []
    docs = [{"id": "a", "text": "one paragraph alone"}]
    # more shards than documents: the extra shards judge nothing
    assert neardup.dask.scan(db.from_sequence(docs, npartitions=1), shards=3).compute() == neardup.scan(docs)


def test_repeated_ids_renamed_as_the_cli_does(client, feeds, tmp_path):
    """Ids repeated across partitions, a natural id of the "ID#2" form after
    a rename took it, and a repeat of that: the records of neardup.scan
    (the CLI's rule), whatever the partitions; the module command writes the
    CLI's bytes and names each rename on standard error."""
    _, base = feeds
    ids = ["a", "b", "a", "a#2", "c", "a", "a#2", "b"]
    docs = [dict(base[i % len(base)], id=ids[i % len(ids)], text=base[i % len(base)]["text"].decode())
            for i in range(3 * len(ids))]
    with pytest.warns(UserWarning, match="already used"):
        expected = neardup.scan(docs)
    got_ids = [r["doc"] for r in expected if r["type"] == "doc"]
    assert len(set(got_ids)) == len(docs) and "a#2#2" in got_ids
    for parts in (1, 3, 6):
        bag = db.from_sequence(docs, npartitions=parts)
        assert bag.npartitions == parts
        assert neardup.dask.scan(bag).compute() == expected, parts
    # empty partitions first, between and last: positions still count in order
    pieces = [[], docs[:5], [], [], docs[5:17], docs[17:], []]
    bag = db.from_delayed([dask.delayed(list)(p) for p in pieces])
    assert neardup.dask.scan(bag).compute() == expected
    path = tmp_path / "repeated.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-m", "neardup.dask", "--local", "2", "--blocksize", "16kB", str(path)],
                         capture_output=True, env=env, check=False)
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    assert out.stdout == run_cli("scan", "--json", str(path))
    assert out.stderr.count(b"already used") == sum(1 for d, g in zip(docs, got_ids) if d["id"] != g)
    # the third document (position 3) repeats the first's id
    assert b'document 3: id "a" already used by document 1; this one is reported as "a#2"' in out.stderr


def test_unrelated_parts_and_many_ranges(client, feeds):
    """Feeds and thirty unrelated documents, in more ranges than partitions
    and in one range: every layout gives neardup.scan's records; the old
    --judge-memory option is gone (a usage error, not ignored)."""
    import random
    inputs, docs = feeds
    rnd = random.Random(7)
    words = ["w%d" % i for i in range(5000)]
    lone = [{"id": "lone%d" % n, "source": "elsewhere",
             "text": "\n\n".join(" ".join(rnd.choice(words) for _ in range(40)) for _ in range(6))}
            for n in range(30)]
    expected = neardup.scan(docs + lone)
    for parts, shards in ((2, 1), (2, 7), (6, 2)):
        bag = db.from_sequence(docs + lone, npartitions=parts)
        assert neardup.dask.scan(bag, shards=shards).compute() == expected, (parts, shards)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-m", "neardup.dask", "--local", "1", "--judge-memory", "1kB", *inputs],
                         capture_output=True, env=env, check=False)
    assert out.returncode == 2 and out.stdout == b"" and b"unknown option --judge-memory" in out.stderr


def test_module_cli_reads_bad_jsonl_as_the_cli(tmp_path):
    """Broken lines, a missing text, a non-object, invalid UTF-8, numeric and
    missing ids, a url for a source, a BOM, CRLF, blank lines: the CLI's
    records, exit status and messages (read by src/cli/jsonl.c in both),
    whatever the blocks the file is cut into."""
    lines = [b'\xef\xbb\xbf{"id":"a","text":"The council voted on Tuesday to extend the ferry timetable."}',
             b'{"id":"b","text":"broken', b'{"id":"c"}', b"[1,2]", b"",
             b'{"id":"d","text":"Another story about a ferry \xff timetable vote."}\r',
             b'{"id":5,"text":"A numeric id for this document about ferries."}', b"   ",
             b'{"text":"No id here, so the path and line name it."}',
             b'{"id":"e","text":"From a page.","source":null,"url":"http://www.example.com/a","date":"2024-03-01"}',
             b'{"id":"f","text":"The council voted on Tuesday to extend the ferry timetable."}']
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    cli = subprocess.run([CLI, "scan", "--json", str(path)], capture_output=True, check=False)
    want = [m.split(b": ", 1)[1] for m in cli.stderr.splitlines() if str(path).encode() in m]
    assert cli.returncode == 1 and len(want) == 5
    for blocksize in ("64B", "64MiB"):
        out = subprocess.run([sys.executable, "-m", "neardup.dask", "--local", "1", "--blocksize", blocksize,
                              str(path)], capture_output=True, env=env, check=False)
        assert out.returncode == 1, out.stderr.decode(errors="replace")
        assert out.stdout == cli.stdout, blocksize
        got = [m.split(b": ", 1)[1] for m in out.stderr.splitlines()
               if m.startswith(b"neardup.dask: ") and str(path).encode() in m]
        assert got == want, blocksize


def test_module_cli_reads_files_as_the_cli(tmp_path):
    """A missing input, gzip known by content (a .txt and a .jsonl without
    .gz), a .JSONL name in upper case, hidden files left out, invalid UTF-8, an empty file, a NUL byte,
    broken gzip: the CLI's records, exit status and messages (the wording
    of a gzip failure is zlib's in one, Python's in the other)."""
    import gzip
    d = tmp_path / "d"
    d.mkdir()
    (d / "a.txt").write_bytes(gzip.compress(b"A gzipped text document about the harbour.\n"))
    (d / "b.jsonl").write_bytes(gzip.compress(b'{"id":"g1","text":"Gzipped JSONL, no .gz in its name."}\n'))
    (d / "U.JSONL").write_bytes(b'{"id":"u1","text":"JSON Lines under an upper-case name."}\n')
    (d / ".hidden.txt").write_text("A hidden text the CLI does not read.\n")
    (d / "c.txt").write_bytes(b"Bad \xff byte about the pier.\n")
    (d / "e.txt").write_bytes(b"")
    (d / "f.txt").write_bytes(b"nul\0\n")
    (d / "g.txt").write_bytes(b"\x1f\x8b\x08\x00garbage")
    args = [str(tmp_path / "missing.jsonl"), str(d)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    cli = subprocess.run([CLI, "scan", "--json", *args], capture_output=True, check=False)
    out = subprocess.run([sys.executable, "-m", "neardup.dask", "--local", "1", *args], capture_output=True,
                         env=env, check=False)
    assert cli.returncode == out.returncode == 1
    assert out.stdout == cli.stdout and b".hidden" not in out.stdout and b"g1" in out.stdout
    assert b'"doc":"u1"' in out.stdout
    want = [m.split(b": ", 1)[1] for m in cli.stderr.splitlines() if str(tmp_path).encode() in m]
    got = [m.split(b": ", 1)[1] for m in out.stderr.splitlines()
           if m.startswith(b"neardup.dask: ") and str(tmp_path).encode() in m]
    assert len(got) == len(want) == 5
    assert got[:4] == want[:4]
    assert got[4].startswith(str(d / "g.txt").encode()) and got[4].endswith(b", file skipped")
