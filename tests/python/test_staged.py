"""The staged passes of neardup.dask (docs/DISTRIBUTED.md, section 5) give
what nd_corpus_finish gives on one machine, for any partitions and ranges."""
import os

import pytest

from conftest import SHARED, jsonl_docs

dask = pytest.importorskip("dask")
db = pytest.importorskip("dask.bag")
np = pytest.importorskip("numpy")
import neardup.dask  # noqa: E402
from neardup import _neardup, _staged  # noqa: E402

SYNDICATION = os.path.join(SHARED, "eval", "syndication", "docs.jsonl")


def staged_families(docs, parts, ranges, options):
    g, signed = signed_parts(docs, parts, options)
    return g.delayed(_staged.families(g, signed, ranges, options)).compute(scheduler="sync")


def signed_parts(docs, parts, options):
    """A graph builder and the nodes of the signed documents of each partition."""
    g = _staged.Builder()
    return g, [g(neardup.dask._sign)(d, options) for d in g.inputs(db.from_sequence(docs, npartitions=parts))]


def staged_sites(docs, parts, ranges, options):
    g, signed = signed_parts(docs, parts, options)
    site, pooled = _staged.sites(g, signed, _staged.families(g, signed, ranges, options), ranges, options)
    site, pooled = dask.compute(g.delayed(site), g.delayed(pooled), scheduler="sync")
    return np.where(pooled, np.uint32(0xFFFFFFFF), site.astype(np.uint32))


def check_sites(docs, options, layouts):
    expected = np.frombuffer(_neardup._sites_of(_neardup._sign(docs, **options), **options), dtype=np.uint32)
    # meaningful only if some pages are taken for a site with others
    named = expected[expected != 0xFFFFFFFF]
    assert len(named) > len(np.unique(named))
    for parts, ranges in layouts:
        got = staged_sites(docs, parts, ranges, options)
        assert np.array_equal(got, expected), (options, parts, ranges, np.flatnonzero(got != expected)[:5])


def reference_families(docs, options):
    return np.frombuffer(_neardup._families_of(_neardup._sign(docs, **options), **options), dtype=np.uint32)


def check_families(docs, options, layouts):
    expected = reference_families(docs, options)
    # the test means something only if families join paragraphs of several documents
    assert len(np.unique(expected)) < len(expected)
    for parts, ranges in layouts:
        got = staged_families(docs, parts, ranges, options)
        assert got.dtype == np.uint32 and len(got) == len(expected)
        assert np.array_equal(got, expected), (options, parts, ranges, np.flatnonzero(got != expected)[:5])


def test_families_corpus(feeds):
    _, docs = feeds
    for options in ({}, {"scope": "all"}, {"num_perm": 64, "sig_bits": 16}):
        check_families(docs, options, ((1, 1), (2, 3), (5, 2)))


def test_families_dev_set():
    if not os.access(SYNDICATION, os.R_OK):
        pytest.skip(f"{SYNDICATION} absent")
    docs = jsonl_docs(SYNDICATION)
    check_families(docs, {}, ((1, 1), (4, 3), (7, 2)))
    # without sources every page is of one scope: families span sites
    check_families(unsourced(docs), {}, ((3, 2),))


def unsourced(docs):
    return [{k: v for k, v in d.items() if k not in ("source", "url")} for d in docs]


def test_sites_corpus(feeds):
    _, docs = feeds
    check_sites(docs, {}, ((1, 1), (3, 2)))
    check_sites(unsourced(docs), {}, ((2, 3),))


def test_sites_dev_set():
    if not os.access(SYNDICATION, os.R_OK):
        pytest.skip(f"{SYNDICATION} absent")
    docs = jsonl_docs(SYNDICATION)
    check_sites(docs, {}, ((1, 1), (5, 3)))
    check_sites(unsourced(docs), {}, ((4, 2),))
    check_sites(unsourced(docs), {"min_stories": 5}, ((3, 3),))


def test_chase_refuses_a_later_link():
    with pytest.raises(ValueError):
        _neardup._chase(np.array([0, 2, 1], dtype=np.uint32))
    assert _neardup._chase(np.array([0, 0, 1, 3], dtype=np.uint32)) == np.array([0, 0, 0, 3], np.uint32).tobytes()


def test_staged_calls_refuse_inconsistent_arguments(feeds):
    """What one stage hands the next is checked, not trusted: sources that
    are not bytes, a pass's state made with another num_perm."""
    _, docs = feeds
    signed = _neardup._sign(docs[:3])
    n = _neardup._para_count(signed)
    first = 1 << 20  # this partition's paragraphs start there
    g = np.array([first + n - 1], dtype=np.uint32)
    r = np.array([5], dtype=np.uint32)  # an earlier paragraph, held elsewhere
    with pytest.raises(TypeError):
        _neardup._family_links(signed, first, g, r, r, bytes(4 * 128), [None])
    prep = _neardup._copy_prep(_neardup._sign(docs[:3], num_perm=16), np.zeros(n, np.uint8), num_perm=16)
    with pytest.raises(ValueError):
        _neardup._doc_contents(prep, 0, np.array([0], dtype=np.uint32), num_perm=1024)
