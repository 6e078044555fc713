"""neardup on Dask: ``scan`` over a dask.bag of documents (docs/DISTRIBUTED.md).

Stages, as tasks of one Dask graph:

1. *sign*, per input partition: documents are analyzed where they are; only
   what a collection keeps of a document (id, source, date, paragraph spans,
   repeat verdicts, signatures) stays, never the text. One task gives
   repeated ids the CLI's new names (``_renames``). Then each document's
   LSH buckets (``nd_shard_doc_keys``) are sent to ``shards`` ranges by a
   hash of the bucket.
2. *links*, per bucket range: each document holding a bucket is linked to
   the first document (in input order) that holds it.
3. *components*: the connected components of the links, packed into
   ``shards`` judging tasks by size. This task holds 8 bytes per document
   and the links, no signature.
4. *judge*, per shard: the signed documents of its components, gathered
   from every partition in input order, judged together by the library
   (``nd_corpus_add_signed``, ``nd_corpus_finish``). The passes make
   documents interact only through shared buckets, so a component judged
   alone gets the verdicts it gets in the whole collection: the records are
   those of ``neardup scan --json`` on one machine, for any number of
   partitions, shards and workers.
5. *join*: each input partition's records, back in input order.

A judging task holds its components whole (about 740 bytes a paragraph):
the largest component bounds a worker's memory, and on collections whose
copies and chrome chain most documents together that is most of the
collection (docs/DISTRIBUTED.md, section 4).
"""
import heapq
from operator import itemgetter

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
    """Per document, the bytes it weighs in a judging task (its paragraphs)."""
    return [len(s[3]) for s in signed]


def _label(n, links):
    """Connected components of n nodes: each node's smallest member, by
    min-label propagation with pointer jumping."""
    import numpy as np
    label = np.arange(n, dtype=np.int64)
    if not len(links):
        return label
    a, b = links[:, 0], links[:, 1]
    while True:
        low = np.minimum(label[a], label[b])
        before = label.copy()
        np.minimum.at(label, a, low)
        np.minimum.at(label, b, low)
        while True:  # jump to the root: label[label] until it stays
            jumped = label[label]
            if np.array_equal(jumped, label):
                break
            label = jumped
        if np.array_equal(label, before):
            return label


class ComponentTooLarge(MemoryError):
    """A judging task would need more memory than a worker may use: the
    collection's documents chain together (docs/DISTRIBUTED.md, section 4).
    Raised before any judging starts, instead of workers being restarted
    until Dask gives up (KilledWorker)."""


# What a judging task holds at least, per byte of its signed documents: the
# documents themselves (56 + 4K bytes a paragraph, as _sign packs them) and
# the collection made of them (at least 288 bytes a paragraph: 16-bit codes
# and the paragraph record; src/corpus.h), K = 128. A floor, so that a shard
# refused could never have been judged; the peak is higher (the passes of
# nd_corpus_finish, the records).
_JUDGE_FLOOR = 1.5


def _worker_memory():
    """The memory limit of the worker running this task, or None."""
    try:
        from distributed import get_worker
        limit = get_worker().memory_manager.memory_limit
    except (ImportError, ValueError, AttributeError):
        return None
    return int(limit) if limit else None


def _check_memory(total, roots_count, shard_of, shards, budget):
    """Raises ComponentTooLarge when a shard's floor exceeds budget."""
    import numpy as np
    from dask.utils import format_bytes
    load = np.bincount(shard_of, weights=total, minlength=shards)
    s = int(np.argmax(load)) if len(load) else 0
    if not len(load) or _JUDGE_FLOOR * load[s] <= budget:
        return
    mine = np.flatnonzero(shard_of == s)
    big = mine[np.argmax(total[mine])]
    if _JUDGE_FLOOR * total[big] > budget:
        hint = ("its largest component alone holds %d documents, %s of signed documents, so no number "
                "of shards helps; use workers with more memory, or `neardup scan --stream` on one machine"
                % (roots_count[big], format_bytes(int(total[big]))))
    else:
        hint = ("more shards (--shards) would split it: its largest component holds %s"
                % format_bytes(int(total[big])))
    raise ComponentTooLarge(
        "judging shard %d would hold %s of signed documents and need at least %s, more than the %s "
        "a judging task may use (judge_memory); %s (docs/DISTRIBUTED.md, section 4)"
        % (s, format_bytes(int(load[s])), format_bytes(int(_JUDGE_FLOOR * load[s])), format_bytes(int(budget)),
           hint))


def _components(counts, sizes, shards, judge_memory, *links):
    """Stage 3: per input partition, the judging shard of each document.
    Components go to shards largest first, each to the lightest shard.
    judge_memory: the bytes a judging task may take (None: the limit of the
    worker running this task, if any); a shard certain to exceed it raises
    ComponentTooLarge."""
    import numpy as np
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    allx = np.unique(np.concatenate(links)) if links else np.zeros(0, dtype=np.uint64)
    dense = np.stack([(allx >> np.uint64(32)).astype(np.int64), (allx & np.uint64(0xFFFFFFFF)).astype(np.int64)],
                     axis=1)
    label = _label(int(offsets[-1]), dense)
    weight = np.concatenate([np.asarray(s, dtype=np.int64) for s in sizes]) if sizes else np.zeros(0)
    roots, inverse = np.unique(label, return_inverse=True)
    total = np.bincount(inverse, weights=weight + 1, minlength=len(roots))
    lightest = [(0.0, s) for s in range(shards)]  # a heap of (load, shard)
    shard_of = np.zeros(len(roots), dtype=np.int64)
    for c in np.lexsort((np.arange(len(roots)), -total)):
        load, s = heapq.heappop(lightest)
        shard_of[c] = s
        heapq.heappush(lightest, (load + total[c], s))
    budget = judge_memory if judge_memory is not None else _worker_memory()
    if budget:
        _check_memory(total, np.bincount(inverse, minlength=len(roots)), shard_of, shards, budget)
    per_doc = shard_of[inverse]
    return [per_doc[offsets[p]:offsets[p + 1]] for p in range(len(counts))]


def _select(signed, assignment, p, shard):
    """The signed documents of partition p that shard judges, with their
    index in the partition."""
    return [(i, s) for i, s in enumerate(signed) if assignment[p][i] == shard]


def _per_part(selected, items):
    """Per input partition, the (index, item) of its documents among a
    shard's (items in the shard's document order)."""
    out, at = [], 0
    for part in selected:
        out.append([(i, items[at + k]) for k, (i, _) in enumerate(part)])
        at += len(part)
    return out


def _judge(options, *selected):
    """Stage 4: the records of one shard's documents, per input partition a
    list of (index, records of that document)."""
    docs = [s for part in selected for _, s in part]
    records = _neardup._judge(docs, **options)
    per_doc, at = [], 0
    while at < len(records):
        end = at + 1
        while end < len(records) and records[end]["type"] != "doc":
            end += 1
        per_doc.append(records[at:end])
        at = end
    return _per_part(selected, per_doc)


def _judge_lines(options, *selected):
    """Stage 4 for `lines`: per input partition a list of (index, bytes of
    that document's lines of `neardup scan --json`), written by the CLI's
    own writer in the extension."""
    docs = [s for part in selected for _, s in part]
    lines, ends = _neardup._judge_lines(docs, **options)
    starts = [0] + ends[:-1]
    return _per_part(selected, [lines[a:b] for a, b in zip(starts, ends)])


def _gather(p, *judged):
    """Partition p's (index, records) from every shard, in input order."""
    return sorted((x for j in judged for x in j[p]), key=itemgetter(0))


def _flatten(gathered):
    return [r for _, recs in gathered for r in recs]


def _judge_in_shards(signed, shards, options, judge_memory=None, judge=_judge):
    """Stages 2 to 4 over per-partition delayed lists of signed documents:
    per partition, a delayed list of (index, what judge gives per document:
    records, or bytes of lines), in input order."""
    from dask import delayed
    counts = [delayed(len, pure=True)(s) for s in signed]
    firsts = [delayed(sum, pure=True)(counts[:p]) for p in range(len(signed))]
    pairs = [delayed(_bucket_pairs, pure=True)(s, f, shards, options) for s, f in zip(signed, firsts)]
    links = [delayed(_links, pure=True)([delayed(_pairs_of, pure=True)(x, r) for x in pairs])
             for r in range(shards)]
    sizes = [delayed(_sizes, pure=True)(s) for s in signed]
    assignment = delayed(_components, pure=True)(counts, sizes, shards, judge_memory, *links)
    judged = [delayed(judge, pure=True)(options, *[delayed(_select, pure=True)(signed[p], assignment, p, j)
                                                     for p in range(len(signed))])
              for j in range(shards)]
    return [delayed(_gather, pure=True)(p, *judged) for p in range(len(signed))]


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


def _bytes(size):
    """A size in bytes: an int, or a string as Dask takes them ("1GiB")."""
    if size is None or isinstance(size, int):
        return size
    from dask.utils import parse_bytes
    return parse_bytes(size)


def _judged(collection, shards, options, judge_memory, judge):
    """Per input partition a delayed list of (index, judge's item), and the
    delayed renames of repeated ids (_renames)."""
    import dask

    bag = _as_bag(collection)
    _neardup._sign([], **options)  # bad options fail here, not in a worker
    parts = bag.to_delayed()
    shards = int(shards) if shards else len(parts)
    if shards < 1:
        raise ValueError("shards must be at least 1")
    signed = [dask.delayed(_sign, pure=True)(d, options) for d in parts]
    renames = dask.delayed(_renames, pure=True)(*[dask.delayed(_ids, pure=True)(s) for s in signed])
    # each partition's task gets its own entry, never the whole result
    signed = [dask.delayed(_renamed, pure=True)(s, renames[0][p]) for p, s in enumerate(signed)]
    return _judge_in_shards(signed, shards, options, _bytes(judge_memory), judge), renames


def _scan(collection, shards, options, judge_memory=None):
    """scan's bag, and the delayed renames of repeated ids (_renames)."""
    import dask
    import dask.bag as db

    judged, renames = _judged(collection, shards, options, judge_memory, _judge)
    return db.from_delayed([dask.delayed(_flatten, pure=True)(j) for j in judged]), renames


def scan(collection, shards=None, judge_memory=None, **options):
    """A bag of the records of ``neardup.scan`` over a dask.bag of document
    dicts (or a Dask DataFrame with id, text and optional source, url, date
    columns), with the input's partitions. ``shards``: judging tasks (and
    bucket ranges), default the number of partitions. Options as
    ``neardup.scan``. A repeated id is renamed "ID#2", "ID#3", ... as
    ``neardup.scan`` and the CLI do (``python3 -m neardup.dask`` says so on
    standard error). ``judge_memory``: bytes (or "4GiB") a judging task may
    use, default the memory limit of the worker that assigns shards, 0 for
    no check; a shard certain to need more raises ComponentTooLarge when the
    bag is computed, before any judging."""
    return _scan(collection, shards, options, judge_memory)[0]


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
  --shards N            judging tasks (default: the number of partitions)
  --judge-memory SIZE   memory a judging task may use (default: a worker's
                        limit; 0: no check); a run that would need more
                        stops at once with a message (exit status 1)
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
    settings = {"scheduler": None, "local": 2, "memory_limit": "auto", "blocksize": "64MiB", "shards": None,
                "judge_memory": None}
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
    for key in ("blocksize", "judge_memory"):  # checked here, not after a cluster started
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


def _joined(gathered):
    """A partition's lines (bytes of each document's, in input order) as one
    bytes: far smaller than the records, and what workers keep until the
    client fetches it."""
    return [b"".join(x for _, x in gathered)]


def _lines(collection, shards, options, judge_memory):
    """A bag of one bytes per input partition (its lines), and the delayed
    renames of repeated ids (_renames)."""
    import dask
    import dask.bag as db

    judged, renames = _judged(collection, shards, options, judge_memory, _judge_lines)
    return db.from_delayed([dask.delayed(_joined, pure=True)(j) for j in judged]), renames


def _decode(parts):
    return [p.decode("utf-8", "surrogateescape") for p in parts]


def lines(collection, shards=None, judge_memory=None, **options):
    """A bag of one str per input partition: its records as the lines of
    `neardup scan --json`, written by the CLI's own writer."""
    return _lines(collection, shards, options, judge_memory)[0].map_partitions(_decode)


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
        text, renames = _lines(docs, settings["shards"], options, settings["judge_memory"])
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
    except ComponentTooLarge as e:  # found before any line was written
        sys.stderr.write("neardup.dask: %s\n" % e)
        return 1
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return 1 if errors else 0  # as the CLI: the rest was scanned, but not every input


if __name__ == "__main__":
    raise SystemExit(main())
