"""The staged passes of neardup.dask (docs/DISTRIBUTED.md, section 5).

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
import numpy as np

from . import _neardup

_FAMILY = 1  # kinds of _para_keys: 1 family buckets, 2 copy buckets


def _para_count(signed, options):
    return _neardup._para_count(signed, **options)


def _bounds(counts):
    """Where each partition's paragraphs start, and the total, as a list."""
    return np.concatenate([[0], np.cumsum(counts, dtype=np.int64)]).tolist()


def _keys(signed, bounds, p, ranges, kinds, options):
    return _neardup._para_keys(signed, bounds[p], ranges, kinds, **options)


def _item(seq, i):
    return seq[i]


def _candidates(bounds, *pieces):
    """A range's chain candidates, split by the partition of the paragraph
    they are candidates of: per partition (g, r, order) as uint32 arrays."""
    g, r, o = (np.frombuffer(b, dtype=np.uint32) for b in _neardup._chain_candidates(list(pieces)))
    part = np.searchsorted(np.asarray(bounds[1:], dtype=np.int64), g.astype(np.int64), side="right")
    order = np.argsort(part, kind="stable")
    g, r, o, part = g[order], r[order], o[order], part[order]
    cuts = np.searchsorted(part, np.arange(len(bounds)))
    return [(g[cuts[p]:cuts[p + 1]], r[cuts[p]:cuts[p + 1]], o[cuts[p]:cuts[p + 1]]) for p in range(len(bounds) - 1)]


def _walk(verify, *mine):
    """A partition's candidates from every range, in the walk's order: per
    paragraph, band after band and latest first, each candidate once, at
    most `verify` (uint32 arrays g, r)."""
    u32 = np.uint32
    g = np.concatenate([m[0] for m in mine]) if mine else np.zeros(0, u32)
    r = np.concatenate([m[1] for m in mine]) if mine else np.zeros(0, u32)
    o = np.concatenate([m[2] for m in mine]) if mine else np.zeros(0, u32)
    idx = np.lexsort((o, g))
    g, r = g[idx], r[idx]
    _, first = np.unique((g.astype(np.uint64) << np.uint64(32)) | r, return_index=True)
    first.sort()
    g, r = g[first], r[first]
    rank = np.arange(len(g)) - np.searchsorted(g, g, side="left")
    keep = rank < verify
    return np.ascontiguousarray(g[keep]), np.ascontiguousarray(r[keep])


def _wanted(walk, bounds, q):
    """The candidates of a partition's walk that partition q holds, sorted
    and unique."""
    r = walk[1]
    return np.unique(r[(r >= bounds[q]) & (r < bounds[q + 1])]).astype(np.uint32)


def _fetch(signed, bounds, q, wanted, options):
    if not len(wanted):
        return wanted, b"", []
    sigs, sources = _neardup._para_sigs(signed, bounds[q], wanted, **options)
    return wanted, sigs, sources


def _links(signed, bounds, p, walk, options, *fetched):
    """Per paragraph of partition p, the paragraph whose family it joins."""
    fetched = [f for q, f in enumerate(fetched) if q != p and len(f[0])]
    paras = np.concatenate([f[0] for f in fetched]) if fetched else np.zeros(0, np.uint32)
    sigs = b"".join(f[1] for f in fetched)
    sources = [s for f in fetched for s in f[2]]
    return _neardup._family_links(signed, bounds[p], walk[0], walk[1], paras, sigs, sources, **options)


def _chase(*links):
    return np.frombuffer(_neardup._chase(b"".join(links)), dtype=np.uint32)


def families(signed, ranges, options):
    """Delayed: per paragraph of the collection (numbered in input order),
    the first paragraph of its family, from per-partition delayed lists of
    signed documents (unique ids). `ranges`: bucket range tasks."""
    from dask import delayed

    verify = _neardup._chain_limits()[1]
    P = len(signed)
    counts = [delayed(_para_count, pure=True)(s, options) for s in signed]
    bounds = delayed(_bounds, pure=True)(counts)
    keys = [delayed(_keys, pure=True)(s, bounds, p, ranges, _FAMILY, options) for p, s in enumerate(signed)]
    cands = [delayed(_candidates, pure=True)(bounds, *[delayed(_item, pure=True)(k, r) for k in keys])
             for r in range(ranges)]
    walks = [delayed(_walk, pure=True)(verify, *[delayed(_item, pure=True)(c, p) for c in cands])
             for p in range(P)]
    links = []
    for p in range(P):
        fetched = [delayed(_fetch, pure=True)(signed[q], bounds, q, delayed(_wanted, pure=True)(walks[p], bounds, q),
                                              options) if q != p else None
                   for q in range(P)]
        fetched = [f if f is not None else (np.zeros(0, np.uint32), b"", []) for f in fetched]
        links.append(delayed(_links, pure=True)(signed[p], bounds, p, walks[p], options, *fetched))
    return delayed(_chase, pure=True)(*links)
