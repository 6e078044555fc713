#!/usr/bin/env python3
"""Per-stage budget of a neardup run from `perf script` output (bench/run.sh).

Each sample is given to the most specific stage whose function is on its stack (the list
below, first match in list order); samples inside a page fault are also counted apart.
Usage: perf script -i perf.data | bench/stages.py WALL_SECONDS MEGABYTES
Prints a Markdown table: share of samples, ms per MB of text (share x wall / MB)."""
import sys, re, collections
order = [  # (stage, function names): a sample goes to the first stage in this list on its stack
 ("tokenize", ["nd__tokenizer_next", "nd__tokenizer_fill"]),
 ("shingle (XXH3 of shingles)", ["nd__shingle"]),
 ("MinHash", ["nd__minhash_sign", "nd__mh_avx512", "nd__mh_avx2", "nd__mh_portable",
              "nd__mh32_avx512", "nd__mh32_avx2", "nd__mh32_portable"]),
 ("segment", ["nd__segment"]),
 ("repeats inside a document", ["nd__find_repeats", "nd__best_root", "nd__lsh_prepare",
                                "nd__lsh_insert", "nd__lsh_bucket", "nd__para_set"]),
 ("analyze, other", ["nd_doc_analyze"]),
 ("corpus add (copy signature, band keys)", ["nd_corpus_add"]),
 ("finish: LSH chains", ["nd__lsh_chain"]),
 ("finish: copy scans", ["nd__stories", "nd__cluster_docs"]),
 ("finish: document signatures", ["nd__sign_all", "nd__sign_range", "nd__sign_doc", "nd__sign_page"]),
 ("finish: families", ["nd__build_families"]),
 ("finish: sites", ["nd__infer_sites"]),
 ("finish: other", ["nd_corpus_finish"]),
 ("output (JSON)", ["cli_scan_report"]),
 ("read + parse JSONL", ["cli_inputs_read"]),
]
lookup = {}
for i, (s, fs) in enumerate(order):
    for f in fs: lookup[f] = i
counts = collections.Counter(); faults = collections.Counter(); total = 0
stack = []
def flush():
    global total
    if not stack: return
    total += 1
    stage = "process start/exit, other"
    best = None
    for fr in stack:
        if fr in lookup:
            best = lookup[fr] if best is None else min(best, lookup[fr])
    if best is not None: stage = order[best][0]
    counts[stage] += 1
    if any(f in ("exc_page_fault", "asm_exc_page_fault") for f in stack): faults[stage] += 1
for line in sys.stdin:
    line = line.rstrip()
    if not line:
        flush(); stack = []; continue
    if line[0] not in " \t": continue
    parts = line.split()
    if len(parts) >= 2:
        stack.append(re.sub(r"\+0x[0-9a-f]+$", "", parts[1]))
flush()
wall = float(sys.argv[1]); mb = float(sys.argv[2])
print("| stage | share | ms per MB | of which page faults |")
print("|---|---|---|---|")
names = [s for s, _ in order] + ["process start/exit, other"]
for s in names:
    c = counts[s]
    if not c: continue
    print("| %s | %.1f%% | %.2f | %.1f%% |" % (s, 100.0 * c / total, wall * 1000 * c / total / mb, 100.0 * faults[s] / total))
print("| **total** | 100%% | %.2f | %.1f%% |" % (wall * 1000 / mb, 100.0 * sum(faults.values()) / total))
