from typing import Any, Iterable, Mapping, Optional, Union
from . import Error as Error, Store as Store, Stream as Stream, scan as scan, clean as clean, similarity as similarity, merge as merge, prune as prune

library_version: str
normalization_version: int

def _signature(text: Union[str, bytes], **options: Any) -> bytes: ...
