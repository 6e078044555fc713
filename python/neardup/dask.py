"""neardup on Dask: ``scan`` over a dask.bag of documents (docs/DISTRIBUTED.md).

1. *sign*, per input partition: documents are analyzed where they are; only
   what a collection keeps of a document (id, source, date, paragraph spans,
   repeat verdicts, signatures) stays, never the text. One task gives
   repeated ids the CLI's new names (``_renames``).
2. The passes of ``nd_corpus_finish``, each split on its own key
   (``neardup._staged``): families by family bucket ranges, sites by edge
   family ranges, recurrence by family ranges, stories by copy and page
   bucket ranges, each partition fetching from the others only the
   signatures, flags and ids its decisions need. No task holds more than its
   partition and its share of one shuffle, except two that hold a few bytes
   per paragraph or document of the collection (the family links and the
   story unions).
3. Each partition writes its records with the CLI's writer: the records of
   ``neardup scan --json`` on one machine, for any number of partitions,
   ranges and workers.
"""
from . import _neardup

# Documents are numbered in input order over the whole collection, in 32
# bits: links pack two numbers in one uint64.


def _sign(docs, options):
    """Stage 1: the signed documents of a partition."""
    return _neardup._sign(docs, **options)


def _ids(signed):
    return [s[0] for s in signed]


def _renames(*ids):
    """Stage 1b: the CLI's rule for repeated ids (the first holder keeps its
    id, a later one becomes the first unused "ID#N"), applied over the whole
    collection in input order, since no partition sees every id. Returns
    (per partition {index in the partition: new id}, messages). Holds every
    id at once: about 180 bytes plus twice the id's length per document."""
    import bisect
    offsets, at = [], 0
    for part in ids:
        offsets.append(at)
        at += len(part)
    found = _neardup._unique_ids([i for part in ids for i in part])
    per_part = [dict() for _ in ids]
    messages = []
    for index, new, first, first_renamed in found:
        p = bisect.bisect_right(offsets, index) - 1
        was = ids[p][index - offsets[p]]
        per_part[p][index - offsets[p]] = new
        # positions, not file lines: JSONL is read in blocks of bytes
        messages.append('document %d: id "%s" already used by document %d%s; this one is reported as "%s"'
                        % (index + 1, was.decode("utf-8", "replace"), first + 1,
                           " (an id made for a repeated one)" if first_renamed else "",
                           new.decode("utf-8", "replace")))
    return per_part, messages


def _renamed(signed, mine):
    """A partition's signed documents under their unique ids (mine: its
    entry of _renames)."""
    if not mine:
        return signed
    return [(mine[i],) + s[1:] if i in mine else s for i, s in enumerate(signed)]


_KINDS = (1, 2, 3)  # buckets of nd_shard_doc_keys: 1 family, 2 copy, 3 page


def _bucket_pairs(signed, first, shards, options, kinds=_KINDS):
    """Per bucket range, (buckets, documents): arrays of uint64 and uint32,
    the buckets of the given kinds that the partition's documents hold and
    the global number of the document holding each (the partition's first
    is `first`), in document order (a bucket's range is a hash of it:
    python/src/shuffle.c).
    A document holding a bucket twice is listed twice: links drop it."""
    import numpy as np
    keys = _neardup._shard_keys(signed, **options)
    mask = sum(1 << k for k in set(kinds))
    return [(np.frombuffer(b, dtype=np.uint64), np.frombuffer(d, dtype=np.uint32))
            for b, d in _neardup._split_pairs(keys, first, shards, mask)]


def _pairs_of(pairs, r):
    return pairs[r]


def _links(pairs):
    """Stage 2: per bucket of this range, a link from each document holding
    it to the first document that does, as (first << 32 | doc) values,
    sorted and unique (radix sorts in the extension)."""
    import numpy as np
    return np.frombuffer(_neardup._links(list(pairs)), dtype=np.uint64)


def _sizes(signed):
    """Per document, the bytes of its signed paragraphs."""
    return [len(s[3]) for s in signed]


def _flatten(gathered):
    return [r for _, recs in gathered for r in recs]


def _joined(gathered):
    """A partition's lines (bytes of each document's, in input order) as one
    bytes: far smaller than the records, and what workers keep until the
    client fetches it."""
    return [b"".join(x for _, x in gathered)]


def _judge_partition(lines_ends, records):
    """A partition's (index, item) per document from its (lines, ends):
    items are the bytes of each document's lines, or their records."""
    import json
    text, ends = lines_ends
    starts = [0] + ends[:-1]
    if not records:
        return [(i, text[a:b]) for i, (a, b) in enumerate(zip(starts, ends))]
    return [(i, [json.loads(line) for line in text[a:b].decode("utf-8", "surrogateescape").splitlines()])
            for i, (a, b) in enumerate(zip(starts, ends))]


def component_sizes(collection, kinds=_KINDS, ranges=1, **options):
    """Diagnostics (bench/dask.sh): a delayed (documents, bytes) of each
    component, largest first, where documents are linked by shared buckets
    of the given kinds (1 family, 2 copy, 3 page); bytes are those of the
    signed documents, which a judging task holds. `ranges`: bucket range
    tasks, as scan's shards (one task holds all the pairs of a range)."""
    import dask

    parts = _as_bag(collection).to_delayed()
    signed = [dask.delayed(_sign, pure=True)(d, options) for d in parts]
    counts = [dask.delayed(len, pure=True)(s) for s in signed]
    firsts = [dask.delayed(sum, pure=True)(counts[:p]) for p in range(len(signed))]
    pairs = [dask.delayed(_bucket_pairs, pure=True)(s, f, ranges, options, kinds) for s, f in zip(signed, firsts)]
    links = [dask.delayed(_links, pure=True)([dask.delayed(_pairs_of, pure=True)(x, r) for x in pairs])
             for r in range(ranges)]
    sizes = [dask.delayed(_sizes, pure=True)(s) for s in signed]
    return dask.delayed(_sizes_of_components, pure=True)(counts, sizes, *links)


def _sizes_of_components(counts, sizes, *links):
    import numpy as np
    links = np.unique(np.concatenate(links)) if links else np.zeros(0, dtype=np.uint64)
    total = int(sum(counts))
    dense = np.stack([(links >> np.uint64(32)).astype(np.int64), (links & np.uint64(0xFFFFFFFF)).astype(np.int64)],
                     axis=1)
    from ._staged import _label
    _, inverse = np.unique(_label(total, dense), return_inverse=True)
    weight = np.concatenate([np.asarray(s, dtype=np.int64) for s in sizes]) if sizes else np.zeros(0)
    docs, weights = np.bincount(inverse), np.bincount(inverse, weights=weight)
    return sorted(zip(docs.tolist(), weights.astype(np.int64).tolist()), reverse=True)


def _as_bag(collection):
    import dask.bag as db

    if isinstance(collection, db.Bag):
        return collection
    if hasattr(collection, "to_bag"):  # a Dask DataFrame
        return collection.to_bag(format="dict")
    raise TypeError("neardup.dask.scan takes a dask.bag or a Dask DataFrame, not %s"
                    % type(collection).__name__)


def _judged(collection, shards, options, records):
    """A bag of per input partition records (records) or one bytes of
    lines, and the delayed renames of repeated ids (_renames), in one task
    graph (neardup._staged.Builder)."""
    import dask.bag as db
    from . import _staged

    bag = _as_bag(collection)
    _neardup._sign([], **options)  # bad options fail here, not in a worker
    shards = int(shards) if shards else bag.npartitions
    if shards < 1:
        raise ValueError("shards must be at least 1")
    g = _staged.Builder()
    parts = g.inputs(bag)
    signed = [g(_sign)(d, options) for d in parts]
    renames = g(_renames)(*[g(_ids)(s) for s in signed])
    mine = g(_staged._item)(renames, 0)
    # each partition's task gets its own entry, never the whole result
    signed = [g(_renamed)(s, g(_staged._item)(mine, p)) for p, s in enumerate(signed)]
    outs = [g(_judge_partition)(x, records) for x in _staged.lines(g, signed, shards, options)]
    outs = [g(_flatten if records else _joined)(x) for x in outs]
    name = "neardup-%s" % ("scan" if records else "lines")
    from dask.base import tokenize
    name = "%s-%s" % (name, tokenize(*[o.key for o in outs]))
    for i, o in enumerate(outs):
        g.dsk[(name, i)] = o.key
    return db.Bag(g.dsk, name, len(outs)), g.delayed(renames)


def _scan(collection, shards, options):
    """scan's bag, and the delayed renames of repeated ids (_renames)."""
    return _judged(collection, shards, options, True)


def scan(collection, shards=None, **options):
    """A bag of the records of ``neardup.scan`` over a dask.bag of document
    dicts (or a Dask DataFrame with id, text and optional source, url, date
    columns), with the input's partitions. ``shards``: the key ranges each
    shuffle is split into, default the number of partitions. Options as
    ``neardup.scan``. A repeated id is renamed "ID#2", "ID#3", ... as
    ``neardup.scan`` and the CLI do (``python3 -m neardup.dask`` says so on
    standard error)."""
    return _scan(collection, shards, options)[0]


# ---- python3 -m neardup.dask ------------------------------------------------

_USAGE = """usage: python3 -m neardup.dask [--scheduler ADDRESS | --local N] [options] INPUT...

Writes the JSON Lines of `neardup scan --json INPUT...`, computed on Dask.
An INPUT is a .jsonl file, a text file, a directory (recursed in sorted
order), any of these gzipped (.gz). JSONL files are read in blocks by the
workers; text files are one document each (id: the path, source: the INPUT).
Web pages (.html, .htm, WARC files) are refused (exit status 2), since they
would be read as text: scan them with `neardup scan`.

  --scheduler ADDRESS   an existing Dask scheduler (tcp://host:8786)
  --local N             a local cluster of N worker processes (default 2);
  --workers N           the same
  --memory-limit SIZE   each local worker's memory limit (Dask's, e.g. 1GiB)
  --blocksize SIZE      bytes of JSONL per partition (default 64MiB)
  --shards N            key ranges of each shuffle (default: the number of
                        partitions)
  -w, -k, --seed, --sig-bits, --paragraphs, --threshold, --doc-threshold,
  --containment, --min-contained, --min-stories, --scope, --bands, --rows:
                        as for `neardup scan`
"""

_SHORT = {"-w": "shingle_size", "-k": "num_perm"}
_OPTIONS = {"shingle_size": int, "num_perm": int, "seed": int, "sig_bits": int, "paragraphs": str,
            "threshold": float, "doc_threshold": float, "containment": float, "min_contained": int,
            "min_stories": int, "scope": str, "bands": int, "rows": int}


def _parse(argv):
    """(settings, neardup options, inputs) of the command line; SystemExit(2)
    on a usage error."""
    import sys
    settings = {"scheduler": None, "local": 2, "memory_limit": "auto", "blocksize": "64MiB", "shards": None}
    options, inputs, i = {}, [], 0
    while i < len(argv):
        a = argv[i]
        if a in ("-h", "--help"):
            sys.stdout.write(_USAGE)
            raise SystemExit(0)
        if a == "--":
            inputs += argv[i + 1:]
            break
        if not a.startswith("-") or a == "-":
            inputs.append(a)
            i += 1
            continue
        name, _, value = a.partition("=")
        key = _SHORT.get(name, name.lstrip("-").replace("-", "_"))
        key = "local" if key == "workers" else key
        if key not in settings and key not in _OPTIONS:
            sys.stderr.write("neardup.dask: unknown option %s\n(see --help)\n" % a)
            raise SystemExit(2)
        if not _:
            if i + 1 >= len(argv):
                sys.stderr.write("neardup.dask: %s needs a value\n" % a)
                raise SystemExit(2)
            value = argv[i + 1]
            i += 1
        i += 1
        try:
            if key in _OPTIONS:
                options[key] = _OPTIONS[key](value)
            else:
                settings[key] = int(value) if key in ("local", "shards") else value
        except ValueError:
            sys.stderr.write("neardup.dask: %s: not a number: %s\n" % (a, value))
            raise SystemExit(2)
    if not inputs:
        sys.stderr.write("neardup.dask: no INPUT\n(see --help)\n")
        raise SystemExit(2)
    from dask.utils import parse_bytes
    for key in ("blocksize",):  # checked here, not after a cluster started
        if settings[key] is not None:
            try:
                settings[key] = parse_bytes(settings[key])
            except (ValueError, TypeError):
                sys.stderr.write("neardup.dask: --%s: not a size: %s\n" % (key.replace("_", "-"), settings[key]))
                raise SystemExit(2)
    return settings, options, inputs


def _files(inp):
    """The files an INPUT names, as the CLI walks them: a directory in
    byte-wise sorted order, recursively, leaving out names that start with
    '.' (list_dir in src/cli/input.c); only regular files."""
    import os
    if not os.path.isdir(inp):
        return [inp]
    out = []
    for name in sorted(os.listdir(inp), key=os.fsencode):
        if name.startswith("."):
            continue
        path = os.path.join(inp, name)
        if os.path.isdir(path):
            out += _files(path)
        elif os.path.isfile(path):
            out.append(path)
    return out


def _count_lines(block):
    return block.count(b"\n")


def _add(a, b):
    return a + b


def _jsonl_part(block, inp, path, first_line):
    """A block of a JSONL file (cut at line ends; its first line numbered
    first_line) read by the CLI's own rules (src/cli/jsonl.c): (documents,
    messages, errors). Names travel as bytes, as the file system gives them."""
    import os
    return _neardup._jsonl_block(block, os.fsencode(inp), os.fsencode(path), first_line)


def _jsonl_parts(path, inp, blocksize, gz):
    """Per block of a JSONL file, a delayed _jsonl_part. Line numbers (the
    CLI's messages and its "path:line" ids name them) come from the newlines
    of the blocks before, counted where the blocks are."""
    import dask
    from dask.bytes import read_bytes
    _, files = read_bytes(path, delimiter=b"\n", blocksize=None if gz else blocksize, sample=False,
                          compression="gzip" if gz else None)
    parts, first = [], 1
    for block in files[0]:
        parts.append(dask.delayed(_jsonl_part, pure=True)(block, inp, path, first))
        first = dask.delayed(_add, pure=True)(first, dask.delayed(_count_lines, pure=True)(block))
    return parts


def _text_file(path, inp, docs, messages):
    """One text file by the CLI's rules (deliver_text in src/cli/input.c):
    gzip by content, an empty file or invalid UTF-8 warned about, a NUL byte
    skips it. @return 1 when it was skipped (an error), else 0."""
    import gzip
    import os
    import zlib
    try:
        with open(path, "rb") as f:
            data = f.read()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
    except OSError as e:
        why = os.strerror(e.errno) if e.errno else str(e)
        if isinstance(e, gzip.BadGzipFile):
            why = "%s, file skipped" % e
        else:
            why = "cannot open: %s" % why
        messages.append("%s: %s" % (path, why))
        return 1
    except (EOFError, zlib.error) as e:
        messages.append("%s: %s, file skipped" % (path, e or "truncated gzip data"))
        return 1
    nul = data.find(b"\0")
    if not data:
        messages.append("%s: warning: empty file" % path)
    elif nul >= 0:
        messages.append("%s: binary file (NUL byte at offset %d), skipped" % (path, nul))
        return 1
    else:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as e:
            messages.append("%s: warning: invalid UTF-8 at byte offset %d" % (path, e.start))
    docs.append({"id": os.fsencode(path), "text": data, "source": os.fsencode(inp)})
    return 0


def _text_part(items):
    """Text files [(path, INPUT)], one document each, read on a worker:
    (documents, messages, errors), as _jsonl_part."""
    docs, messages, errors = [], [], 0
    for path, inp in items:
        errors += _text_file(path, inp, docs, messages)
    return docs, messages, errors


class UnsupportedInput(ValueError):
    """An input the CLI reads as web pages (HTML, WARC), which this module
    does not: read as text, it would give other records than the CLI's."""


def _head(path):
    """The first bytes of a file, gunzipped when it is gzip (as zlib's
    gzread decides: by content), and whether it was."""
    import zlib
    with open(path, "rb") as f:
        head = f.read(4096)
    if head[:2] != b"\x1f\x8b":
        return head, False
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 16), True
    except zlib.error:
        return b"", True


def _web_input(path, head):
    """Why the CLI would read path as web pages, or None: an .html or .htm
    name (maybe .gz, any case), or a file starting with "WARC/1." (maybe
    gzipped), as src/cli/input.c and cli_warc_sniff decide."""
    if path.lower().endswith((".html", ".htm", ".html.gz", ".htm.gz")):
        return "a web page (.html, .htm)"
    return "a WARC file" if head.startswith(b"WARC/1.") else None


def _docs_of(part):
    return part[0]


def _messages_of(part):
    return part[1], part[2]


def _problems(*parts):
    """Every part's messages in input order, and the errors among them."""
    return [m for p in parts for m in p[0]], sum(p[1] for p in parts)


def _read(inputs, blocksize, problems=None):
    """A bag of the documents of the INPUTs, in the CLI's order, read on
    the workers by the CLI's rules. Per part of the input, in order, its
    (messages, errors) (delayed, or a tuple for what the client found: an
    input it cannot open) is appended to problems."""
    import dask
    import dask.bag as db
    import os
    bags, texts = [], []
    problems = [] if problems is None else problems

    def add(parts):
        bags.append(db.from_delayed([dask.delayed(_docs_of, pure=True)(p) for p in parts]))
        problems.extend(dask.delayed(_messages_of, pure=True)(p) for p in parts)

    def flush():
        add([dask.delayed(_text_part, pure=True)(texts[i:i + 256]) for i in range(0, len(texts), 256)])
        texts.clear()

    for inp in inputs:
        for path in _files(inp):
            try:
                head, gz = _head(path)
            except OSError as e:
                flush()
                problems.append((["%s: cannot open: %s" % (path, os.strerror(e.errno) if e.errno else e)], 1))
                continue
            # names in any case, as the CLI reads them (src/cli/input.c, has_suffix)
            name = path.lower()
            name = name[:-3] if name.endswith(".gz") else name
            if name.endswith(".jsonl"):
                flush()
                add(_jsonl_parts(path, inp, blocksize, gz))
                continue
            why = _web_input(path, head)
            if why:
                raise UnsupportedInput("%s: %s, which `neardup scan` reads as web pages; this module reads "
                                       "JSONL and text files only (web pages would be read as text and "
                                       "give other records)" % (path, why))
            texts.append((path, inp))
    flush()
    return db.concat(bags) if bags else db.from_sequence([], npartitions=1)


def _lines(collection, shards, options):
    """A bag of one bytes per input partition (its lines), and the delayed
    renames of repeated ids (_renames)."""
    return _judged(collection, shards, options, False)


def _decode(parts):
    return [p.decode("utf-8", "surrogateescape") for p in parts]


def lines(collection, shards=None, **options):
    """A bag of one str per input partition: its records as the lines of
    `neardup scan --json`, written by the CLI's own writer."""
    return _lines(collection, shards, options)[0].map_partitions(_decode)


def main(argv=None):
    import sys

    import distributed
    settings, options, inputs = _parse(sys.argv[1:] if argv is None else argv)
    problems, errors = [], 0
    try:
        docs = _read(inputs, settings["blocksize"], problems)
    except UnsupportedInput as e:
        sys.stderr.write("neardup.dask: %s\n" % e)
        return 2
    import dask
    problems = dask.delayed(_problems, pure=True)(*problems)
    if settings["scheduler"]:
        client = distributed.Client(settings["scheduler"])
        cluster = None
    else:
        cluster = distributed.LocalCluster(n_workers=settings["local"], threads_per_worker=1,
                                           memory_limit=settings["memory_limit"], dashboard_address=":0")
        client = distributed.Client(cluster)
    try:
        text, renames = _lines(docs, settings["shards"], options)
        # computed once and kept on the workers, then fetched one partition
        # at a time, so the client never holds every line
        text, renames, problems = client.persist([text, renames, problems])
        messages, errors = problems.compute()
        for message in messages:
            sys.stderr.write("neardup.dask: %s\n" % message)
        for message in renames.compute()[1]:
            sys.stderr.write("neardup.dask: %s\n" % message)
        sys.stdout.flush()
        out = sys.stdout.buffer
        for part in text.to_delayed():
            out.write(b"".join(part.compute()))
        out.flush()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return 1 if errors else 0  # as the CLI: the rest was scanned, but not every input


if __name__ == "__main__":
    raise SystemExit(main())
