"""neardup: near-duplicate text (paragraph repeats, feed boilerplate, syndicated copies).

A binding over libneardup's public C API (the extension ``neardup._neardup``).

A document is a dict with ``id`` (str; an int is taken as its text) and ``text``
(str or bytes), and optionally ``source`` (its feed), ``url`` (whose host is the
source when there is no ``source``) and ``date`` (ISO 8601 str, or Unix seconds).
Records are those of ``neardup scan --json`` (docs/JSON.md), one dict per line:
offsets and lengths count bytes of the UTF-8 text.

Options are the CLI's long options with ``_`` for ``-``: shingle_size, num_perm,
seed, sig_bits, paragraphs ('auto', 'lines', 'blocks'), threshold,
doc_threshold, containment, min_contained, min_stories, scope ('source',
'all'), bands, rows; and threads (for the collection's passes, default 1;
the verdicts are the same for any number).

Ids are unique in a call (in a Stream, over its life), as in a CLI run: a
repeated id becomes "ID#2", "ID#3", ... with a UserWarning naming both
positions, so that records equal the CLI's for the same documents.
"""
from array import array as _array

from ._neardup import (Error, Store, Stream, clean, library_version, merge, normalization_version, prune, scan,
                       similarity)
from ._neardup import _signature

__all__ = ["Error", "Store", "Stream", "scan", "clean", "signature", "similarity", "merge", "prune",
           "library_version", "normalization_version"]
__version__ = library_version


def signature(text, *, numpy=None, **options):
    """The MinHash signature of a whole text (one set of shingles, no paragraphs).

    Returns num_perm uint32 values: a NumPy array when NumPy can be imported
    (or ``numpy=True``), else an ``array('I')``; ``numpy=False`` always gives
    the array. Compare two with ``similarity(a, b)``.
    """
    raw = _signature(text, **options)
    if numpy is not False:
        try:
            import numpy as np
        except ImportError:
            if numpy:
                raise
        else:
            return np.frombuffer(raw, dtype=np.uint32).copy()
    values = _array("I")
    values.frombytes(raw)
    return values
