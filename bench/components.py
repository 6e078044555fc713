#!/usr/bin/python3
"""The components neardup.dask would judge, for a corpus too large to scan
on this machine: one process, memory bounded by a block of documents and
one bucket range.

Usage: PYTHONPATH=build/python bench/components.py CORPUS.jsonl [RANGES [DOCS_PER_BLOCK]]

The stages of neardup.dask (sign, bucket pairs by range, links per range,
connected components), run in turn; the (bucket, document) pairs of each
range are spilled to a temporary file between the two passes. Prints the
number of components linked by every kind of bucket and by family buckets
only, the largest's documents and signed bytes (what one judging task
holds), the stage times and the peak RSS.
"""
import os
import resource
import sys
import tempfile
import time

import numpy as np

import neardup.dask as nd


def blocks(path, per_block):
    docs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                docs.append(nd._jsonl_doc(line, path))
                if len(docs) == per_block:
                    yield docs
                    docs = []
    if docs:
        yield docs


def main():
    path = sys.argv[1]
    ranges = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    per_block = int(sys.argv[3]) if len(sys.argv) > 3 else 4096
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        files = {k: [open(os.path.join(tmp, "%d.%d" % (k, r)), "wb") for r in range(ranges)] for k in (0, 1)}
        counts, sizes, first = [], [], 0
        for docs in blocks(path, per_block):
            signed = nd._sign(docs, {})
            for k, kinds in ((0, nd._KINDS), (1, (1,))):
                for r, (b, d) in enumerate(nd._bucket_pairs(signed, first, ranges, {}, kinds)):
                    files[k][r].write(np.stack([b, d], axis=1).tobytes())
            counts.append(len(signed))
            sizes.append(nd._sizes(signed))
            first += len(signed)
        t1 = time.time()
        for k in files:
            for f in files[k]:
                f.close()
        for k, what in ((0, "every bucket"), (1, "family buckets only")):
            links = []
            for r in range(ranges):
                pairs = np.fromfile(os.path.join(tmp, "%d.%d" % (k, r)), dtype=np.uint64).reshape(-1, 2)
                links.append(nd._links([(pairs[:, 0].copy(), pairs[:, 1].copy())]))
            comps = nd._sizes_of_components(counts, sizes, *links)
            total = sum(b for _, b in comps)
            print("components linked by %s: %d; largest %d of %d documents, %d MB of signed paragraphs, "
                  "%.1f%% of the signed bytes; %d links"
                  % (what, len(comps), comps[0][0], first, comps[0][1] >> 20, 100.0 * comps[0][1] / max(total, 1),
                     sum(len(x) for x in links)))
    print("sign and pairs %.0f s, links and components %.0f s; peak RSS %d MB"
          % (t1 - t0, time.time() - t1, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10))


if __name__ == "__main__":
    main()
