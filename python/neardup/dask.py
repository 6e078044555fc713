"""neardup on Dask: ``scan`` over a dask.bag of documents.

Two stages. Each partition's documents are analyzed where the partition is
(segmenting, normalizing, shingling and signing: the work that grows with the
text), and only what a collection keeps of a document travels: its id,
source, date and its paragraphs' spans, verdicts and signatures, never the
text. Then one task adds every signed document, in the bag's order, to one
collection (``nd_corpus_add_signed``) and judges them together, so the records
are those of ``neardup scan --json`` on one machine, whatever the number of
workers and partitions. That task holds the whole collection (about 740
bytes a paragraph at num_perm 128): the judging is not split across workers.
"""
from itertools import chain

from . import _neardup


def _sign_partition(docs, options):
    return _neardup._sign(docs, **options)


def _judge_partitions(partitions, options):
    return _neardup._judge(chain.from_iterable(partitions), **options)


def scan(collection, **options):
    """A bag of the records of ``neardup.scan`` over a dask.bag of document
    dicts (or a Dask DataFrame with id, text and optional source, url, date
    columns). Options as ``neardup.scan``. The result is one partition."""
    import dask
    import dask.bag as db

    if not isinstance(collection, db.Bag):
        if hasattr(collection, "to_bag"):  # a Dask DataFrame
            collection = collection.to_bag(format="dict")
        else:
            raise TypeError("neardup.dask.scan takes a dask.bag or a Dask DataFrame, not %s"
                            % type(collection).__name__)
    _neardup._sign([], **options)  # bad options fail here, not in a worker
    signed = collection.map_partitions(_sign_partition, options)
    judged = dask.delayed(_judge_partitions)(signed.to_delayed(), options)
    return db.from_delayed([judged])
