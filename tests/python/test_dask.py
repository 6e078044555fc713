"""neardup.dask.scan on a local cluster of two worker processes equals the CLI."""
import os

import pytest

import neardup
from conftest import SHARED, cli_records, jsonl_docs

dask = pytest.importorskip("dask")
db = pytest.importorskip("dask.bag")
distributed = pytest.importorskip("distributed")
import neardup.dask  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def test_dask_scan_corpus_equals_cli(client, feeds):
    inputs, docs = feeds
    expected = cli_records("scan", "--json", *inputs)
    for parts in (1, 2, 5):
        bag = db.from_sequence(docs, npartitions=parts)
        assert neardup.dask.scan(bag).compute() == expected
    assert len(client.scheduler_info()["workers"]) == 2


def test_dask_scan_options_and_dev_set(client):
    path = os.path.join(SHARED, "eval", "syndication", "docs.jsonl")
    if not os.access(path, os.R_OK):
        pytest.skip(f"{path} absent")
    docs = jsonl_docs(path)
    expected = cli_records("scan", "--json", "--min-stories", "4", "-k", "64", path)
    bag = db.from_sequence(docs, npartitions=4)
    assert neardup.dask.scan(bag, min_stories=4, num_perm=64).compute() == expected


def test_dask_scan_bad_options():
    bag = db.from_sequence([{"id": "a", "text": "x"}])
    with pytest.raises(neardup.Error, match="num_perm"):
        neardup.dask.scan(bag, num_perm=0)
    with pytest.raises(TypeError):
        neardup.dask.scan([{"id": "a", "text": "x"}])


def test_signed_documents_round_trip(feeds):
    inputs, docs = feeds
    signed = neardup._neardup._sign(docs)
    assert [s[0] for s in signed] == [d["id"].encode() for d in docs]
    assert neardup._neardup._judge(signed) == neardup.scan(docs)
    with pytest.raises(ValueError):
        neardup._neardup._judge(signed, num_perm=64)
    with pytest.raises(TypeError):
        neardup._neardup._judge([("only", "three", None)])
