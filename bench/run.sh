#!/bin/bash
# Whole-process speed of the CLI next to baselines that read the same file, in
# one invocation: `cat` (reading the bytes) and `xxhsum -H3` (hashing them).
# When the CLI has --threads, it is timed twice: on one thread (the speed
# target is per thread) and with its default (all cores).
# Runs are interleaved (cat, xxhsum, neardup, cat, ...) so that all three see
# the same machine; the median of each is reported, with its MB/s over the
# file's size, its peak RSS (/usr/bin/time -v) and its time as a multiple of
# the baselines', which drift far less than absolute times on a shared machine.
#
# Usage: bench/run.sh [-b BUILD_DIR] [-n RUNS] [CORPUS] [-- NEARDUP_OPTIONS...]
#   BUILD_DIR  where the neardup binary is (default: build at the project root)
#   RUNS       runs of each command (default 3)
#   CORPUS     default bench-corpus/news.jsonl (bench/make_corpus.sh builds it)
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build"
runs=3
corpus="$root/bench-corpus/news.jsonl"
while [ $# -gt 0 ]; do
    case "$1" in
        -b) build=$2; shift 2 ;;
        -n) runs=$2; shift 2 ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        --) shift; break ;;
        *) corpus=$1; shift ;;
    esac
done
neardup="$build/neardup"
[ -x "$neardup" ] || { echo "run.sh: no $neardup (build it first)" >&2; exit 2; }
[ -r "$corpus" ] || { echo "run.sh: cannot read $corpus (run bench/make_corpus.sh)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "run.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
have_xxhsum=1
command -v xxhsum >/dev/null || { have_xxhsum=0; echo "run.sh: no xxhsum (apt-get install xxhash): cat only" >&2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bytes=$(stat -c %s "$corpus")

# Runs "$@" with stdout to /dev/null; appends "wall_s maxrss_kb user_s sys_s" to $tmp/$name.
measure() {
    local name=$1; shift
    local t0 t1
    t0=$(date +%s%N)
    if ! /usr/bin/time -v -o "$tmp/time.txt" "$@" > /dev/null 2> "$tmp/$name.stderr"; then
        echo "run.sh: $name failed:" >&2; cat "$tmp/$name.stderr" "$tmp/time.txt" >&2; exit 1
    fi
    t1=$(date +%s%N)
    awk -v wall="$(( t1 - t0 ))" -F': ' '
        /Maximum resident set size/ { rss = $2 }
        /User time/ { user = $2 } /System time/ { sys = $2 }
        END { printf "%.4f %d %.2f %.2f\n", wall / 1e9, rss, user, sys }' "$tmp/time.txt" >> "$tmp/$name"
}

# Median of column $2 of file $1 (an odd or even number of lines).
median() { sort -g -k"$2","$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

threads=0
"$neardup" scan --help 2>/dev/null | grep -q -- '--threads' && threads=1

cat "$corpus" > /dev/null   # warm the page cache: every command then reads from memory
for _ in $(seq "$runs"); do
    measure cat cat "$corpus"
    [ $have_xxhsum -eq 0 ] || measure xxhsum xxhsum -H3 "$corpus"
    [ $threads -eq 0 ] || measure neardup1 "$neardup" scan --json --threads 1 "$@" "$corpus"
    measure neardup "$neardup" scan --json "$@" "$corpus"
done

names="cat"
[ $have_xxhsum -eq 0 ] || names="$names xxhsum"
[ $threads -eq 0 ] || names="$names neardup1"
names="$names neardup"
base=$(median "$tmp/cat" 1)
[ $have_xxhsum -eq 0 ] || base=$(median "$tmp/xxhsum" 1)
echo "corpus: $corpus ($(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB), $runs runs each, interleaved"
echo "neardup: $("$neardup" --version); $(nproc) cores"
sed 's/^/neardup stderr: /' "$tmp/neardup.stderr"
echo
echo "| command | median s | MB/s | peak RSS MB | user s | sys s | time / $( [ $have_xxhsum -eq 1 ] && echo xxhsum || echo cat) |"
echo "|---|---|---|---|---|---|---|"
for n in $names; do
    case $n in
        cat) label="cat FILE > /dev/null" ;;
        xxhsum) label="xxhsum -H3 FILE" ;;
        neardup1) label="neardup scan --json --threads 1 ${*:+$* }FILE > /dev/null" ;;
        neardup) label="neardup scan --json ${*:+$* }FILE > /dev/null" ;;
    esac
    awk -v label="$label" -v wall="$(median "$tmp/$n" 1)" -v rss="$(median "$tmp/$n" 2)" \
        -v user="$(median "$tmp/$n" 3)" -v sys="$(median "$tmp/$n" 4)" -v bytes="$bytes" -v base="$base" \
        'BEGIN { printf "| %s | %.3f | %.1f | %.0f | %.2f | %.2f | %.1f |\n",
                 label, wall, bytes / 1e6 / wall, rss * 1024 / 1e6, user, sys, wall / base }'
done
