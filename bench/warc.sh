#!/bin/sh
# Reading speed of a .warc.gz by the WARC reader (nd_bench_warc: records into
# HTML documents, no analysis), beside plain `zcat` of the same file in the
# same run, and the reader's peak RSS on two files of different sizes (it
# must not grow with the file).
#
# usage: bench/warc.sh [BUILD_DIR] [WORK_DIR]    (defaults: build, /tmp/nd-warc-bench)
# BUILD_DIR must hold a Release build with ND_BUILD_BENCH (bench/nd_bench_warc).
set -eu
BUILD=${1:-build}
WORK=${2:-/tmp/nd-warc-bench}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$WORK"
for mb in 50 200; do
    f="$WORK/crawl-$mb.warc.gz"
    [ -s "$f" ] || /usr/bin/python3 "$ROOT/bench/make_warc.py" "$f" "$mb"
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
for mb in 50 200; do
    f="$WORK/crawl-$mb.warc.gz"
    best=
    for run in 1 2 3; do # zcat, fastest of 3
        t=$( { /usr/bin/time -f '%e' zcat "$f" > /dev/null; } 2>&1 )
        if [ -z "$best" ] || awk "BEGIN { exit !($t < $best) }"; then best=$t; fi
    done
    size=$(stat -c %s "$f")
    echo "zcat $(basename "$f"): $best s, $(awk "BEGIN { printf \"%.1f\", $size / 1e6 / $best }") MB/s of compressed input"
    /usr/bin/time -f 'nd_bench_warc maxRSS %M KB' "$BUILD/bench/nd_bench_warc" -r 3 "$f"
done
