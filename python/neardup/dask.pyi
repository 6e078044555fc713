from typing import Any

def scan(collection: Any, **options: Any) -> Any: ...
    # dask.bag.Bag of records (one partition), from a dask.bag of document dicts or a Dask DataFrame
