"""The staged passes of neardup.dask (docs/DISTRIBUTED.md, section 1).

Each pass of ``nd_corpus_finish`` split on its own key, so that a task
holds its partition and its share of one shuffle, never the collection.
Paragraphs are numbered in input order over the collection (32 bits).

Built so far: families. A paragraph (not a repeat) joins the family of the
earlier paragraph of its scope that its chain walk meets and that it is most
like, at the threshold or above (src/detect.c). Per bucket range, the walk's
candidates (``_chain_candidates``); per partition, its paragraphs'
candidates in the walk's order, the signatures of those held elsewhere
(``_para_sigs``, one task per pair of partitions that need each other) and
the match (``_family_links``); one task follows the links in collection
order (``_chase``: 4 bytes a paragraph).
"""
import functools

import numpy as np

from . import _neardup


def _trimming(f):
    """A task that gives the C heap's free pages back first (_trim): a
    worker spills and reads back hundreds of MB of results between tasks,
    and glibc keeps what they freed, which Dask counts against the worker's
    memory limit (it pauses the worker at 80%, for good when nothing it
    holds can be spilled)."""
    @functools.wraps(f)
    def task(*args, **kwargs):
        _neardup._trim()
        return f(*args, **kwargs)
    return task

_FAMILY = 1  # kinds of _para_keys: 1 family buckets, 2 copy buckets


def _para_count(signed, options):
    return _neardup._para_count(signed, **options)


def _bounds(counts):
    """Where each partition's paragraphs start, and the total, as a list."""
    return np.concatenate([[0], np.cumsum(counts, dtype=np.int64)]).tolist()


@_trimming
def _keys(signed, bounds, p, ranges, kinds, options):
    return _neardup._para_keys(signed, bounds[p], ranges, kinds, **options)


def _item(seq, i):
    return seq[i]


def _in_part(x, bounds, q):
    """The values of x that partition q holds, sorted, unique, as uint32."""
    x = np.asarray(x)
    return np.unique(x[(x >= bounds[q]) & (x < bounds[q + 1])]).astype(np.uint32)


def _asks(x, bounds, p, P):
    """What partition p asks each partition q for: the values of x that q
    holds (nothing of its own)."""
    return [_in_part(x, bounds, q) if q != p else np.zeros(0, np.uint32) for q in range(P)]


@_trimming
def _answers(fetch, args, *asks):
    """An owner's answers, one per asking partition: fetch(*args, wanted)."""
    return [fetch(*args, wanted) for wanted in asks]


class _Node:
    """A task of a Builder's graph, by key."""
    __slots__ = ("key",)

    def __init__(self, key):
        self.key = key


class Builder:
    """A Dask task graph built as one dict. dask.delayed gives every new
    object a merged copy of its dependencies' graphs: with the P^2 tasks of
    the fetch rounds, building the graph of news 4 times over (24
    partitions, 19,310 tasks) took 62 s and 647 MB in the client. Here a
    task is added once, keyed by its function and arguments (the same
    computation asked twice is one task, as dask.delayed(pure=True) makes
    it). builder(f)(*args) adds f(*args) and gives its node;
    builder(f, nout=n) gives n nodes of its items. Nodes in lists or
    tuples of arguments are passed as the lists of their values."""

    def __init__(self):
        self.dsk = {}

    def inputs(self, collection):
        """Nodes of a Dask collection's keys (a bag's partitions), its graph
        added once."""
        self.dsk.update(dict(collection.__dask_graph__()))
        return [_Node(k) for k in collection.__dask_keys__()]

    def _arg(self, x):
        if isinstance(x, _Node):
            return x.key
        if isinstance(x, (list, tuple)) and any(isinstance(y, (_Node, list, tuple)) for y in x):
            return [self._arg(y) for y in x]
        return x

    def __call__(self, f, pure=True, nout=None):
        from dask.base import tokenize

        def add(*args):
            a = tuple(self._arg(x) for x in args)
            key = "%s-%s" % (f.__name__.lstrip("_"), tokenize(f, *a))
            if key not in self.dsk:
                self.dsk[key] = (f,) + a
            node = _Node(key)
            if nout is None:
                return node
            return tuple(add_item(node, i) for i in range(nout))

        def add_item(node, i):
            key = "item-%s" % tokenize(node.key, i)
            self.dsk.setdefault(key, (_item, node.key, i))
            return _Node(key)
        return add

    def delayed(self, node):
        """A dask Delayed of a node (sharing this graph)."""
        from dask.delayed import Delayed
        return Delayed(node.key, self.dsk)


def _exchange(delayed, P, asks, fetch, args_of):
    """A fetch round: asks[p] is a delayed _asks list; partition q answers
    everyone in one task (its signed documents read once, not once per
    asker), fetch(*args_of(q), wanted) -> (wanted, data). Per asking
    partition p, the list over q of q's answer (its own: an empty one)."""
    answers = [delayed(_answers, pure=True)(fetch, args_of(q), *[delayed(_item, pure=True)(asks[p], q)
                                                                    for p in range(P)]) for q in range(P)]
    return [[delayed(_item, pure=True)(answers[q], p) for q in range(P)] for p in range(P)]


@_trimming
def _candidates(bounds, *pieces):
    """A range's chain candidates, split by the partition of the paragraph
    they are candidates of: per partition (g, r, order) as uint32 arrays."""
    g, r, o = (np.frombuffer(b, dtype=np.uint32) for b in _neardup._chain_candidates(list(pieces)))
    part = np.searchsorted(np.asarray(bounds[1:], dtype=np.int64), g.astype(np.int64), side="right")
    order = np.argsort(part, kind="stable")
    g, r, o, part = g[order], r[order], o[order], part[order]
    cuts = np.searchsorted(part, np.arange(len(bounds)))
    return [(g[cuts[p]:cuts[p + 1]], r[cuts[p]:cuts[p + 1]], o[cuts[p]:cuts[p + 1]]) for p in range(len(bounds) - 1)]


@_trimming
def _walk(verify, *mine):
    """A partition's candidates from every range, in the walk's order: per
    paragraph, band after band and latest first, each candidate once, at
    most `verify` (uint32 arrays g, r)."""
    return _once_cut(*_raw_walk(*mine), verify)


def _once_cut(g, r, verify):
    """A walk (g, r in the walk's order) with each candidate once per
    paragraph and at most `verify` per paragraph, as detect.c's stamps and
    ND__MAX_VERIFY make it."""
    _, first = np.unique((g.astype(np.uint64) << np.uint64(32)) | r, return_index=True)
    first.sort()
    g, r = g[first], r[first]
    rank = np.arange(len(g)) - np.searchsorted(g, g, side="left")
    keep = rank < verify
    return np.ascontiguousarray(g[keep]), np.ascontiguousarray(r[keep])


def _fetch(signed, bounds, q, options, wanted):
    if not len(wanted):
        return wanted, b"", []
    sigs, sources = _neardup._para_sigs(signed, bounds[q], wanted, **options)
    return wanted, sigs, sources


@_trimming
def _links(signed, bounds, p, walk, options, *fetched):
    """Per paragraph of partition p, the paragraph whose family it joins."""
    fetched = [f for q, f in enumerate(fetched) if q != p and len(f[0])]
    paras = np.concatenate([f[0] for f in fetched]) if fetched else np.zeros(0, np.uint32)
    sigs = b"".join(f[1] for f in fetched)
    sources = [s for f in fetched for s in f[2]]
    return _neardup._family_links(signed, bounds[p], walk[0], walk[1], paras, sigs, sources, **options)


def _chase(*links):
    return np.frombuffer(_neardup._chase(b"".join(links)), dtype=np.uint32)


def families(delayed, signed, ranges, options):
    """Delayed: per paragraph of the collection (numbered in input order),
    the first paragraph of its family, from per-partition delayed lists of
    signed documents (unique ids). `ranges`: bucket range tasks."""

    verify = _neardup._chain_limits()[1]
    P = len(signed)
    counts = [delayed(_para_count, pure=True)(s, options) for s in signed]
    bounds = delayed(_bounds, pure=True)(counts)
    keys = [delayed(_keys, pure=True)(s, bounds, p, ranges, _FAMILY, options) for p, s in enumerate(signed)]
    cands = [delayed(_candidates, pure=True)(bounds, *[delayed(_item, pure=True)(k, r) for k in keys])
             for r in range(ranges)]
    walks = [delayed(_walk, pure=True)(verify, *[delayed(_item, pure=True)(c, p) for c in cands])
             for p in range(P)]
    asks = [delayed(_asks, pure=True)(delayed(_item, pure=True)(walks[p], 1), bounds, p, P) for p in range(P)]
    fetched = _exchange(delayed, P, asks, _fetch, lambda q: (signed[q], bounds, q, options))
    links = [delayed(_links, pure=True)(signed[p], bounds, p, walks[p], options, *fetched[p]) for p in range(P)]
    return delayed(_chase, pure=True)(*links)


# ---- sites --------------------------------------------------------------------
#
# Sites, as site.c infers them (docs/DISTRIBUTED.md, section 1, stage 3):
# pages' edge families go to ranges by family (_site_edges); a range lists
# each page's peers, the latest earlier pages holding the same family at the
# same end (_site_peers); the partition of the later page counts the
# families two pages share at each end, fetches the peers it does not hold
# (_page_seqs) and keeps the pairs of one source that are one site
# (_site_links). One task labels the components of those pairs (8 bytes a
# link, 8 a document) and pools the pages of sites smaller than min_stories
# per source (a source's pool is named by its first pooled page).


def _doc_count(signed):
    return len(signed)


def _slice(array, bounds, p):
    return array[bounds[p]:bounds[p + 1]]


@_trimming
def _edges(signed, dbounds, p, fam, ranges, options):
    return _neardup._site_edges(signed, dbounds[p], fam, ranges, **options)


@_trimming
def _peers(dbounds, *pieces):
    """A range's peer records (d << 33 | e << 1 | end), split by the
    partition of page d."""
    v = np.frombuffer(_neardup._site_peers(list(pieces)), dtype=np.uint64)
    part = np.searchsorted(np.asarray(dbounds[1:], dtype=np.int64), (v >> np.uint64(33)).astype(np.int64),
                           side="right")
    order = np.argsort(part, kind="stable")
    v, part = v[order], part[order]
    cuts = np.searchsorted(part, np.arange(len(dbounds)))
    return [v[cuts[p]:cuts[p + 1]] for p in range(len(dbounds) - 1)]


def _site_candidates(match, *mine):
    """The pairs (d, e) of a partition's pages d that share `match` edge
    families or more with an earlier page e at each end (uint32 arrays)."""
    v = np.concatenate(mine) if mine else np.zeros(0, np.uint64)
    keys, n = np.unique(v, return_counts=True)            # per (d, e, end): shared families
    pairs, ends = np.unique(keys[n >= match] >> np.uint64(1), return_counts=True)
    both = pairs[ends == 2]
    return ((both >> np.uint64(32)).astype(np.uint32), (both & np.uint64(0xFFFFFFFF)).astype(np.uint32))


_NO_PAGES = (b"", b"", b"", b"", [])


def _fetch_pages(signed, dbounds, q, fam, options, wanted):
    if not len(wanted):
        return wanted, _NO_PAGES
    return wanted, _neardup._page_seqs(signed, dbounds[q], fam, wanted, **options)


@_trimming
def _site_links(signed, dbounds, p, fam, cands, options, *fetched):
    fetched = [f for q, f in enumerate(fetched) if q != p and len(f[0])]
    docs = np.concatenate([f[0] for f in fetched]) if fetched else np.zeros(0, np.uint32)
    seqs = tuple(b"".join(f[1][i] for f in fetched) for i in range(4)) + ([s for f in fetched for s in f[1][4]],)
    return np.frombuffer(_neardup._site_links(signed, dbounds[p], fam, cands[0], cands[1], docs, seqs, **options),
                         dtype=np.uint64)


def _sources(signed):
    return [s[1] for s in signed]


def _label(n, links):
    """Connected components of n nodes: each node's smallest member, by
    min-label propagation with pointer jumping (links: an (m, 2) array)."""
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


@_trimming
def _sites(min_stories, sources, *links):
    """Per document, its site (the first page of its component, or of its
    source's pool) and whether it is pooled."""
    n = sum(len(s) for s in sources)
    v = np.concatenate(links) if links else np.zeros(0, np.uint64)
    pairs = np.stack([(v >> np.uint64(32)).astype(np.int64), (v & np.uint64(0xFFFFFFFF)).astype(np.int64)], axis=1)
    site = _label(n, pairs)
    pooled = np.bincount(site, minlength=n)[site] < min_stories
    index = {}
    src = np.fromiter((index.setdefault(s, len(index)) for part in sources for s in part), dtype=np.int64, count=n)
    at = np.flatnonzero(pooled)
    first_of, first_at = np.unique(src[at], return_index=True)
    pool = np.zeros(len(index), dtype=np.int64)
    pool[first_of] = at[first_at]
    site[at] = pool[src[at]]
    return site, pooled


def sites(delayed, signed, fam, ranges, options):
    """Delayed (site, pooled) per document of the collection (in input
    order), from per-partition delayed signed documents and the delayed
    families of their paragraphs (``families``)."""

    settings = _neardup._settings(**options)
    _, _, match = _site_limits()
    P = len(signed)
    pbounds = delayed(_bounds, pure=True)([delayed(_para_count, pure=True)(s, options) for s in signed])
    dbounds = delayed(_bounds, pure=True)([delayed(_doc_count, pure=True)(s) for s in signed])
    fams = [delayed(_slice, pure=True)(fam, pbounds, p) for p in range(P)]
    edges = [delayed(_edges, pure=True)(s, dbounds, p, fams[p], ranges, options) for p, s in enumerate(signed)]
    peers = [delayed(_peers, pure=True)(dbounds, *[delayed(_item, pure=True)(e, r) for e in edges])
             for r in range(ranges)]
    cands = [delayed(_site_candidates, pure=True)(match, *[delayed(_item, pure=True)(x, p) for x in peers])
             for p in range(P)]
    asks = [delayed(_asks, pure=True)(delayed(_item, pure=True)(cands[p], 1), dbounds, p, P) for p in range(P)]
    fetched = _exchange(delayed, P, asks, _fetch_pages, lambda q: (signed[q], dbounds, q, fams[q], options))
    links = [delayed(_site_links, pure=True)(signed[p], dbounds, p, fams[p], cands[p], options, *fetched[p])
             for p in range(P)]
    sources = [delayed(_sources, pure=True)(s) for s in signed]
    return delayed(_sites, pure=True, nout=2)(settings["min_stories"], sources, *links)


def _site_limits():
    return _neardup._site_limits()


# ---- recurrence: candidates and confirmation ----------------------------------
#
# detect.c's nd__mark_recurring: a family found in min_stories documents or
# more is a candidate; its paragraphs are marked when the family recurs in
# min_stories distinct units (documents, or stories when confirming) of one
# site (the whole collection when confirming with --scope all); a pooled
# page's paragraphs then take the mark their family has anywhere. One record
# per paragraph goes to the range of its family: (family, site, unit,
# document, paragraph, pooled), 24 bytes.

_PACKED = 56  # bytes of a packed paragraph before the signatures (python/src/signed.c)


def _doc_paras(signed, k):
    return np.fromiter((len(s[3]) // (_PACKED + 4 * k) for s in signed), dtype=np.int64, count=len(signed))


@_trimming
def _recur_records(signed, k, pbounds, dbounds, p, fam, site, pooled, unit, ranges):
    """Partition p's paragraph records, per family range (python/src/
    shuffle.c's range of a bucket, applied to the family number)."""
    per_doc = _doc_paras(signed, k)
    doc = np.repeat(np.arange(dbounds[p], dbounds[p + 1], dtype=np.int64), per_doc)
    para = np.arange(pbounds[p], pbounds[p + 1], dtype=np.int64)
    rec = np.stack([fam.astype(np.int64), site[doc], unit[doc], doc, para, pooled[doc].astype(np.int64)], axis=1)
    r = _range_of(fam.astype(np.uint64), ranges)
    order = np.argsort(r, kind="stable")
    rec, r = rec[order], r[order]
    cuts = np.searchsorted(r, np.arange(ranges + 1))
    return [rec[cuts[i]:cuts[i + 1]] for i in range(ranges)]


def _range_of(values, ranges):
    """A value's range, as python/src/shuffle.c hashes buckets."""
    return ((values * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(40)) % np.uint64(ranges)


@_trimming
def _recurring(min_stories, all_sites, pbounds, *pieces):
    """A range's marked paragraphs, split by partition (int64 arrays)."""
    rec = np.concatenate(pieces) if pieces else np.zeros((0, 6), np.int64)
    fam, site, unit, doc, para, pooled = (rec[:, i] for i in range(6))
    fd = np.unique(np.stack([fam, doc], axis=1), axis=0)
    fams, ndocs = np.unique(fd[:, 0], return_counts=True)
    keep = np.isin(fam, fams[ndocs >= min_stories])
    fam, site, unit, para, pooled = fam[keep], site[keep], unit[keep], para[keep], pooled[keep]
    if all_sites:
        site = np.zeros_like(site)
    fsu, first = np.unique(np.stack([fam, site, unit], axis=1), axis=0, return_index=True)
    fs, units = np.unique(fsu[:, :2], axis=0, return_counts=True)
    group = np.unique(np.stack([fam, site], axis=1), axis=0, return_inverse=True)[1].reshape(-1)
    # np.unique sorts (fam, site) pairs the same way in both calls
    marked = units[group] >= min_stories
    if not all_sites:  # a pooled page takes the mark its family has anywhere
        hot = np.unique(fam[marked])
        marked |= pooled.astype(bool) & np.isin(fam, hot)
    out = np.sort(para[marked])
    cuts = np.searchsorted(out, pbounds)
    return [out[cuts[p]:cuts[p + 1]] for p in range(len(pbounds) - 1)]


def _marks(pbounds, p, *pieces):
    """Partition p's marks from every range, as a bool per paragraph."""
    out = np.zeros(pbounds[p + 1] - pbounds[p], dtype=bool)
    for x in pieces:
        out[x - pbounds[p]] = True
    return out


def recurring(delayed, signed, fam, site, pooled, unit, by_story, ranges, options):
    """Delayed, per partition, a bool per paragraph: marked by
    nd__mark_recurring (units: documents, or their stories when by_story),
    with the pass-1 rule (pooled pages left unmarked) when not by_story."""

    settings = _neardup._settings(**options)
    P = len(signed)
    pbounds = delayed(_bounds, pure=True)([delayed(_para_count, pure=True)(s, options) for s in signed])
    dbounds = delayed(_bounds, pure=True)([delayed(_doc_count, pure=True)(s) for s in signed])
    recs = [delayed(_recur_records, pure=True)(s, settings["num_perm"], pbounds, dbounds, p,
                                                delayed(_slice, pure=True)(fam, pbounds, p), site, pooled, unit,
                                                ranges) for p, s in enumerate(signed)]
    all_sites = bool(by_story and settings["scope_all"])
    marks = [delayed(_recurring, pure=True)(settings["min_stories"], all_sites, pbounds,
                                            *[delayed(_item, pure=True)(r, i) for r in recs]) for i in range(ranges)]
    out = []
    for p in range(P):
        m = delayed(_marks, pure=True)(pbounds, p, *[delayed(_item, pure=True)(x, p) for x in marks])
        if not by_story:
            m = delayed(_unpooled, pure=True)(m, signed[p], settings["num_perm"], dbounds, p, pooled)
        out.append(m)
    return out


def _unpooled(marks, signed, k, dbounds, p, pooled):
    """Pass 1 leaves pooled pages' paragraphs in (nd__candidates)."""
    per_doc = _doc_paras(signed, k)
    return marks & ~np.repeat(pooled[dbounds[p]:dbounds[p + 1]], per_doc)


# ---- stories: the copy pass ---------------------------------------------------
#
# detect.c's stories pass over partitions (docs/DISTRIBUTED.md, section 1,
# stage 5). Static, once: each counting-capable paragraph's copy chain walk
# (ranges of copy buckets, as families'), and the pairs of pages that agree
# (ranges of page buckets, the earlier page's signature fetched). Per pass
# (the boilerplate of pass 1, then the confirmed): each partition's state
# (_copy_prep), its walks cut to what counts in the pass (the candidates'
# flags fetched with their signatures), its documents' touches, the content
# signatures of the documents they touched, the paragraphs of those its
# judgement aligns, its verdicts; then one task makes the unions in document
# order (8 bytes a copy, 28 a document).

_COPY, _PAGE = 2, 8  # _para_keys kind bit 2 (copy buckets); _split_pairs kind mask 1 << 3 (pages)


@_trimming
def _raw_walk(*mine):
    """A partition's chain candidates from every range, in the walk's order
    (by paragraph, then band and step), none left out yet."""
    u32 = np.uint32
    g = np.concatenate([m[0] for m in mine]) if mine else np.zeros(0, u32)
    r = np.concatenate([m[1] for m in mine]) if mine else np.zeros(0, u32)
    o = np.concatenate([m[2] for m in mine]) if mine else np.zeros(0, u32)
    idx = np.lexsort((o, g))
    return g[idx], r[idx]


@_trimming
def _page_pairs_keys(signed, dbounds, p, ranges, options):
    keys = _neardup._shard_keys(signed, **options)
    return [(b, d) for b, d in _neardup._split_pairs(keys, dbounds[p], ranges, _PAGE)]


def _fetch_page_sigs(signed, dbounds, q, options, wanted):
    if not len(wanted):
        return wanted, b""
    return wanted, _neardup._page_sigs(signed, dbounds[q], wanted, **options)


@_trimming
def _same_pages(signed, dbounds, p, walk, options, *fetched):
    """Partition p's pairs of pages that agree: (d, e, sim) in walk order."""
    fetched = [f for q, f in enumerate(fetched) if q != p and len(f[0])]
    docs = np.concatenate([f[0] for f in fetched]) if fetched else np.zeros(0, np.uint32)
    sigs = b"".join(f[1] for f in fetched)
    d, e = np.ascontiguousarray(walk[0]), np.ascontiguousarray(walk[1])
    keep, sim = _neardup._same_pages(signed, dbounds[p], d, e, docs, sigs, **options)
    keep = np.frombuffer(keep, dtype=np.uint8).astype(bool)
    return d[keep], e[keep], np.frombuffer(sim, dtype=np.float64)[keep]


def _dates(signed):
    big = np.iinfo(np.int64).max  # undated, as a collection keeps it
    return np.fromiter((big if s[2] is None else s[2] for s in signed), dtype=np.int64, count=len(signed))


@_trimming
def _prep(signed, bp, options):
    return _neardup._copy_prep(signed, np.ascontiguousarray(bp, dtype=np.uint8), **options)


def _fetch_info(signed, pbounds, dbounds, q, prep, options, wanted):
    if not len(wanted):
        return wanted, (b"", b"", b"", b"")
    return wanted, _neardup._para_info(signed, pbounds[q], dbounds[q], wanted, prep[2], **options)


def _joined(fetched, p, width):
    """The fetches of partition p from the others, concatenated (sorted, as
    the partitions are)."""
    fetched = [f for q, f in enumerate(fetched) if q != p and len(f[0])]
    keys = np.concatenate([f[0] for f in fetched]) if fetched else np.zeros(0, np.uint32)
    parts = tuple(b"".join(f[1][i] for f in fetched) for i in range(width))
    return keys, parts


@_trimming
def _fetch_flags(prep, pbounds, q, options, wanted):
    """Whether each wanted paragraph of partition q counts in the pass."""
    if not len(wanted):
        return wanted, (b"",)
    counting = np.frombuffer(prep[2], dtype=np.uint8)
    return wanted, (counting[wanted.astype(np.int64) - pbounds[q]].tobytes(),)


def _pass_walk(raw, prep, pbounds, p, verify, *fetched):
    """Partition p's walks in this pass: only paragraphs that count, and
    candidates that count, each once per paragraph, at most `verify`."""
    g, r = raw
    lo, hi = pbounds[p], pbounds[p + 1]
    counting = np.frombuffer(prep[2], dtype=np.uint8).astype(bool)
    keep = counting[g.astype(np.int64) - lo]
    local = (r >= lo) & (r < hi)
    rc = np.zeros(len(r), dtype=bool)
    rc[local] = counting[r[local].astype(np.int64) - lo]
    paras, info = _joined(fetched, p, 1)
    if len(paras):
        at = np.searchsorted(paras, r[~local])
        flags = np.frombuffer(info[0], dtype=np.uint8).astype(bool)
        rc[~local] = flags[np.minimum(at, len(paras) - 1)] & (paras[np.minimum(at, len(paras) - 1)] == r[~local])
    return _once_cut(g[keep & rc], r[keep & rc], verify)


@_trimming
def _touches(signed, pbounds, dbounds, p, prep, walk, options, *fetched):
    paras, info = _joined(fetched, p, 4)
    t = _neardup._copy_touches(signed, pbounds[p], dbounds[p], prep[2], walk[0], walk[1], paras, info, **options)
    return tuple(np.frombuffer(x, dtype=dt) for x, dt in zip(t, (np.uint32, np.uint32, np.uint64, np.uint64,
                                                                   np.uint32)))


def _fetch_contents(prep, dbounds, q, options, wanted):
    if not len(wanted):
        return wanted, (b"", b"")
    return wanted, _neardup._doc_contents(prep, dbounds[q], wanted, **options)


@_trimming
def _aligns(signed, pbounds, dbounds, p, prep, touches, options, *fetched):
    docs, contents = _joined(fetched, p, 2)
    (align,) = _neardup._copy_judge(signed, prep, pbounds[p], dbounds[p], touches, docs, contents, None, None,
                                    **options)
    align = np.frombuffer(align, dtype=np.uint8).astype(bool)
    return touches[1][align]


def _fetch_paras(signed, pbounds, dbounds, q, prep, options, wanted):
    if not len(wanted):
        return wanted, (b"", b"", b"")
    return wanted, _neardup._doc_paras(signed, prep, pbounds[q], dbounds[q], wanted, **options)


@_trimming
def _judged(signed, pbounds, dbounds, p, prep, touches, contents, options, *fetched):
    docs, content = _joined(contents, p, 2)
    pdocs, paras = _joined(fetched, p, 3)
    out = _neardup._copy_judge(signed, prep, pbounds[p], dbounds[p], touches, docs, content, pdocs, paras, **options)
    _, copy, dup, sim, cont = out
    copy = np.frombuffer(copy, dtype=np.uint8).astype(bool)
    return (touches[0][copy], touches[1][copy], np.frombuffer(dup, dtype=np.uint64),
            np.frombuffer(sim, dtype=np.float64), np.frombuffer(cont, dtype=np.float64))


@_trimming
def _stories(options, dates, same, *judged):
    cat = np.concatenate
    d = cat([np.asarray(x, np.int64) for x in dates]) if dates else np.zeros(0, np.int64)
    u32 = lambda i: cat([j[i] for j in judged]).astype(np.uint32) if judged else np.zeros(0, np.uint32)  # noqa: E731
    f64 = lambda i: cat([j[i] for j in judged]).astype(np.float64) if judged else np.zeros(0)  # noqa: E731
    dup = cat([j[2] for j in judged]).astype(np.uint64) if judged else np.zeros(0, np.uint64)
    sd = cat([s[0] for s in same]).astype(np.uint32) if same else np.zeros(0, np.uint32)
    se = cat([s[1] for s in same]).astype(np.uint32) if same else np.zeros(0, np.uint32)
    ss = cat([s[2] for s in same]).astype(np.float64) if same else np.zeros(0)
    cl, dup, sim, cont = _neardup._stories(d, u32(0), u32(1), dup, f64(3), f64(4), sd, se, ss, **options)
    return (np.frombuffer(cl, np.uint32), np.frombuffer(dup, np.uint64), np.frombuffer(sim, np.float64),
            np.frombuffer(cont, np.float64))


class Statics:
    """What every stories pass reads and no pass changes (delayed)."""

    def __init__(self, delayed, signed, ranges, options):
    
        P = len(signed)
        self.P = P
        self.pbounds = delayed(_bounds, pure=True)([delayed(_para_count, pure=True)(s, options) for s in signed])
        self.dbounds = delayed(_bounds, pure=True)([delayed(_doc_count, pure=True)(s) for s in signed])
        keys = [delayed(_keys, pure=True)(s, self.pbounds, p, ranges, _COPY, options) for p, s in enumerate(signed)]
        cands = [delayed(_candidates, pure=True)(self.pbounds, *[delayed(_item, pure=True)(k, r) for k in keys])
                 for r in range(ranges)]
        self.walks = [delayed(_raw_walk, pure=True)(*[delayed(_item, pure=True)(c, p) for c in cands])
                      for p in range(P)]
        pkeys = [delayed(_page_pairs_keys, pure=True)(s, self.dbounds, p, ranges, options)
                 for p, s in enumerate(signed)]
        pcands = [delayed(_candidates, pure=True)(self.dbounds, *[delayed(_item, pure=True)(k, r) for k in pkeys])
                  for r in range(ranges)]
        pwalks = [delayed(_raw_walk, pure=True)(*[delayed(_item, pure=True)(c, p) for c in pcands]) for p in range(P)]
        asks = [delayed(_asks, pure=True)(delayed(_item, pure=True)(pwalks[p], 1), self.dbounds, p, P)
                for p in range(P)]
        fetched = _exchange(delayed, P, asks, _fetch_page_sigs, lambda q: (signed[q], self.dbounds, q, options))
        self.same = [delayed(_same_pages, pure=True)(signed[p], self.dbounds, p, pwalks[p], options, *fetched[p])
                     for p in range(P)]
        self.dates = [delayed(_dates, pure=True)(s) for s in signed]


def stories(delayed, signed, statics, bp, options):
    """Delayed (cluster, dup_of, sim, cont) per document of the collection
    after a stories pass whose boilerplate is bp (per partition, a bool per
    paragraph)."""

    P, pb, db = statics.P, statics.pbounds, statics.dbounds
    verify = _neardup._chain_limits()[1]
    prep = [delayed(_prep, pure=True)(signed[p], bp[p], options) for p in range(P)]
    item = lambda x, i: delayed(_item, pure=True)(x, i)  # noqa: E731
    # the candidates' flags first (a byte each), then the signatures of those
    # the pass keeps: on news 4 times over, fetching every candidate's
    # signature made answers of 300 MB (5.1 GB in all for 390 MB of JSONL)
    flags = _exchange(delayed, P, [delayed(_asks, pure=True)(item(statics.walks[p], 1), pb, p, P) for p in range(P)],
                      _fetch_flags, lambda q: (prep[q], pb, q, options))
    walks = [delayed(_pass_walk, pure=True)(statics.walks[p], prep[p], pb, p, verify, *flags[p]) for p in range(P)]
    info = _exchange(delayed, P, [delayed(_asks, pure=True)(item(walks[p], 1), pb, p, P) for p in range(P)],
                     _fetch_info, lambda q: (signed[q], pb, db, q, prep[q], options))
    touches = [delayed(_touches, pure=True)(signed[p], pb, db, p, prep[p], walks[p], options, *info[p])
               for p in range(P)]
    contents = _exchange(delayed, P, [delayed(_asks, pure=True)(item(touches[p], 1), db, p, P) for p in range(P)],
                         _fetch_contents, lambda q: (prep[q], db, q, options))
    aligned = [delayed(_aligns, pure=True)(signed[p], pb, db, p, prep[p], touches[p], options, *contents[p])
               for p in range(P)]
    paras = _exchange(delayed, P, [delayed(_asks, pure=True)(aligned[p], db, p, P) for p in range(P)],
                      _fetch_paras, lambda q: (signed[q], pb, db, q, prep[q], options))
    judged = [delayed(_judged, pure=True)(signed[p], pb, db, p, prep[p], touches[p], contents[p], options, *paras[p])
              for p in range(P)]
    return delayed(_stories, pure=True, nout=4)(options, statics.dates, statics.same, *judged)


# ---- the whole judgement, and its lines -----------------------------------------


def _arange(bounds):
    return np.arange(bounds[-1], dtype=np.int64)


def _as_units(cluster):
    return np.asarray(cluster, dtype=np.int64)


def _root_info(signed, pbounds, dbounds, q, k, options, wanted):
    """The boilerplate families' first paragraphs that partition q holds:
    (wanted, (signatures, documents, indexes))."""
    if not len(wanted):
        return wanted, (b"", b"", b"")
    sigs, _ = _neardup._para_sigs(signed, pbounds[q], wanted, **options)
    para0 = pbounds[q] + np.concatenate([[0], np.cumsum(_doc_paras(signed, k))])
    doc = np.searchsorted(para0, wanted.astype(np.int64), side="right") - 1
    index = wanted.astype(np.int64) - para0[doc]
    return wanted, (sigs, (dbounds[q] + doc).astype(np.uint32).tobytes(), index.astype(np.uint32).tobytes())


def _roots_of(fam, bp):
    return fam[np.asarray(bp, dtype=bool)]


def _named(dbounds, p, dup, cluster, site, pooled, roots):
    """The documents partition p's records name: what it copies, its
    clusters, its sites, and the documents of its boilerplate's roots."""
    lo, hi = dbounds[p], dbounds[p + 1]
    named = [dup[lo:hi][dup[lo:hi] != np.uint64(2 ** 64 - 1)].astype(np.int64), cluster[lo:hi].astype(np.int64),
             site[lo:hi][~pooled[lo:hi]].astype(np.int64)]
    rdocs = [np.frombuffer(f[1][1], dtype=np.uint32).astype(np.int64) for i, f in enumerate(roots) if i != p
             and len(f[0])]
    return np.concatenate(named + rdocs)


def _fetch_ids(signed, dbounds, q, wanted):
    return wanted, [signed[int(d) - dbounds[q]][0] for d in wanted]


@_trimming
def _lines(signed, pbounds, dbounds, p, fam, bp, verdicts, site, pooled, options, roots, ids):
    cluster, dup, sim, cont = verdicts
    lo, hi = dbounds[p], dbounds[p + 1]
    rk, (rs, rd, ri) = _joined(roots, p, 3)
    got = [f for q, f in enumerate(ids) if q != p and len(f[0])]
    ref_docs = np.concatenate([f[0] for f in got]) if got else np.zeros(0, np.uint32)
    ref_ids = [i for f in got for i in f[1]]
    return _neardup._staged_lines(signed, pbounds[p], lo, np.ascontiguousarray(fam, np.uint32),
                                  np.ascontiguousarray(bp, np.uint8), np.ascontiguousarray(dup[lo:hi]),
                                  np.ascontiguousarray(sim[lo:hi]), np.ascontiguousarray(cont[lo:hi]),
                                  np.ascontiguousarray(cluster[lo:hi], np.uint32),
                                  np.ascontiguousarray(site[lo:hi], np.uint32),
                                  np.ascontiguousarray(pooled[lo:hi], np.uint8), ref_docs, ref_ids, rk, rs,
                                  np.frombuffer(rd, np.uint32), np.frombuffer(ri, np.uint32), **options)


def lines(delayed, signed, ranges, options):
    """Delayed, per partition, (lines, ends): the lines of `neardup scan
    --json` for its documents and where each document's end, from
    per-partition delayed signed documents (unique ids), by the staged
    passes."""

    settings = _neardup._settings(**options)
    P = len(signed)
    fam = families(delayed, signed, ranges, options)
    site_pooled = sites(delayed, signed, fam, ranges, options)
    site, pooled = site_pooled
    statics = Statics(delayed, signed, ranges, options)
    pb, db = statics.pbounds, statics.dbounds
    bp1 = recurring(delayed, signed, fam, site, pooled, delayed(_arange, pure=True)(db), False, ranges, options)
    first = stories(delayed, signed, statics, bp1, options)
    bp2 = recurring(delayed, signed, fam, site, pooled, delayed(_as_units, pure=True)(first[0]), True, ranges, options)
    final = stories(delayed, signed, statics, bp2, options)
    fams = [delayed(_slice, pure=True)(fam, pb, p) for p in range(P)]
    roots = _exchange(delayed, P, [delayed(_asks, pure=True)(delayed(_roots_of, pure=True)(fams[p], bp2[p]), pb, p, P)
                          for p in range(P)],
                      _root_info, lambda q: (signed[q], pb, db, q, settings["num_perm"], options))
    named = [delayed(_named, pure=True)(db, p, final[1], final[0], site, pooled, roots[p]) for p in range(P)]
    ids = _exchange(delayed, P, [delayed(_asks, pure=True)(named[p], db, p, P) for p in range(P)], _fetch_ids,
                    lambda q: (signed[q], db, q))
    return [delayed(_lines, pure=True)(signed[p], pb, db, p, fams[p], bp2[p], final, site, pooled, options,
                                       roots[p], ids[p]) for p in range(P)]
