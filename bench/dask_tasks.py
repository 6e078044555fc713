#!/usr/bin/python3
"""Per task type, the time and result sizes of neardup.dask's staged graph,
run in this process by Dask's synchronous scheduler (bench/RESULTS.md,
"Staged passes"): where the time goes, and which fetch rounds move the most.

  PYTHONPATH=build/python bench/dask_tasks.py CORPUS.jsonl [BLOCK_MiB]
"""
import collections
import sys
import time

from dask.callbacks import Callback
from dask.sizeof import sizeof

import neardup.dask as nd


class Sizes(Callback):
    def __init__(self):
        super().__init__()
        self.by = collections.defaultdict(lambda: [0, 0, 0.0])  # largest result, all results, seconds

    def _pretask(self, key, dsk, state):
        self.t0 = time.time()

    def _posttask(self, key, result, dsk, state, id):
        name = str(key[0] if isinstance(key, tuple) else key).rsplit("-", 1)[0]
        if name == "answers":  # a fetch round: named by what it fetches
            name = "answers/" + dsk[key][1].__name__
        size = sizeof(result)
        b = self.by[name]
        b[0] = max(b[0], size)
        b[1] += size
        b[2] += time.time() - self.t0


def main():
    path = sys.argv[1]
    block = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    bag, _ = nd._lines(nd._read([path], block << 20), None, {})
    sizes = Sizes()
    t = time.time()
    with sizes:
        bag.compute(scheduler="sync")
    print("%d partitions, %.1f s" % (bag.npartitions, time.time() - t))
    for name, (most, total, secs) in sorted(sizes.by.items(), key=lambda x: -x[1][0]):
        if not name.startswith("read-block"):
            print("%-40s largest %7d MB  all %8d MB  %7.1f s" % (name, most >> 20, total >> 20, secs))


if __name__ == "__main__":
    main()
