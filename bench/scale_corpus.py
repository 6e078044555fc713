#!/usr/bin/python3
"""Writes a JSONL corpus N times over to stdout, for scale runs (bench/dask.sh -x N).

Usage: bench/scale_corpus.py CORPUS.jsonl N > OUT.jsonl

Copy 0 is the corpus as it is. Copy n > 0 gives each document the id
"ID~n" (ids stay unique) and replaces one word in every ten by "w<number>",
the word and the number drawn from random.Random(n): the same N gives the
same bytes on every run, and each copy is a light edit of the original, so
copies are near-duplicates of each other as syndicated stories are. Runs of
white space are kept, so paragraphs keep their boundaries.
"""
import json
import random
import re
import sys


def edited(text, rng):
    parts = re.split(r"(\s+)", text)
    words = [i for i, w in enumerate(parts) if w and not w.isspace()]
    for i in range(0, len(words), 10):
        j = words[i + rng.randrange(min(10, len(words) - i))]
        parts[j] = "w%d" % rng.randrange(100000)
    return "".join(parts)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[2])
    path, times = sys.argv[1], int(sys.argv[2])
    out = sys.stdout
    for n in range(times):
        rng = random.Random(n)
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                if n == 0:
                    out.write(line if line.endswith("\n") else line + "\n")
                    continue
                d = json.loads(line)
                d["id"] = "%s~%d" % (d["id"], n)
                d["text"] = edited(d["text"], rng)
                out.write(json.dumps(d, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
