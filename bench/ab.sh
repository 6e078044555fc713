#!/bin/bash
# Two builds of neardup, interleaved with the bare loop, so that a noisy host
# slows all three alike: each round runs the bare loop, then A and B on one
# thread, then A and B on two, and prints the ratios (one thread against the
# bare loop of the round, one thread against two). The mean ratios close it.
#
#   bench/ab.sh ROUNDS NEARDUP_A NEARDUP_B ANCHORS NEWS.jsonl NEWS.txt
#   (ANCHORS: the bare loop built from ../shared/bench/anchors.c)
set -u
if [ $# -ne 6 ]; then echo "usage: $0 ROUNDS NEARDUP_A NEARDUP_B ANCHORS NEWS.jsonl NEWS.txt" >&2; exit 2; fi
n=$1 A=$2 B=$3 BARE=$4 JSONL=$5 TEXT=$6
t=$(mktemp) || exit 1
trap 'rm -f "$t"' EXIT
wall() { /usr/bin/time -o "$t" -f %e "$@" > /dev/null 2>&1; cat "$t"; }
for _ in $(seq "$n"); do
    line=$(wall "$BARE" mh32+lsh "$TEXT" -n 1 -s)
    for threads in 1 2; do
        for b in "$A" "$B"; do line="$line $(wall "$b" scan --json -q --threads $threads "$JSONL")"; done
    done
    echo "$line"
done | awk '{ printf "bare %.2f | A t1 %.2f (%.2fx) B t1 %.2f (%.2fx) | A t2 %.2f (t1/t2 %.2fx) B t2 %.2f (t1/t2 %.2fx)\n", $1, $2, $2/$1, $3, $3/$1, $4, $2/$4, $5, $3/$5
              a1 += $2/$1; b1 += $3/$1; a2 += $2/$4; b2 += $3/$5 }
      END { printf "mean ratios: A t1 %.2fx, B t1 %.2fx of the bare loop; A %.2fx, B %.2fx from one thread to two\n", a1/NR, b1/NR, a2/NR, b2/NR }'
