#!/bin/bash
# Whole-process speed of the CLI next to baselines that read the same text, in
# one invocation: `cat` (reading the bytes), `xxhsum -H3` (hashing them) and the
# bare C loop of ../shared/bench/anchors.c (`anchors mh32+lsh TEXT -n 1 -s`:
# SIMD tokenizer, XXH3 per 5-word shingle, 128 x 32-bit MinHash, LSH), built
# here from that file with `cc -O2 -march=native ... -lxxhash` when it exists.
# Then peak RSS of `index` and `query` (a store of the corpus, queried with
# its first 400 documents), and, when perf is there, the per-stage budget of
# one `scan --json --threads 1` (bench/stages.py).
# When the CLI has --threads, it is timed twice: on one thread (the speed
# target is per thread) and with its default (all cores).
# Runs are interleaved (cat, xxhsum, neardup, cat, ...) so that all three see
# the same machine; the median of each is reported, with its MB/s over the
# file's size, its peak RSS (/usr/bin/time -v) and its time as a multiple of
# the baselines', which drift far less than absolute times on a shared machine.
#
# Usage: bench/run.sh [-b BUILD_DIR] [-n RUNS] [-t TEXT] [CORPUS] [-- NEARDUP_OPTIONS...]
#   BUILD_DIR  where the neardup binary is (default: build at the project root)
#   RUNS       runs of each command (default 3)
#   TEXT       the corpus as form-feed separated text for the bare loop
#              (default: CORPUS with .txt for .jsonl, e.g. news.txt)
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
        -t) text=$2; shift 2 ;;
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
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
text=${text:-${corpus%.jsonl}.txt}
anchors_src="$root/../shared/bench/anchors.c"
have_anchors=0
if [ -r "$anchors_src" ] && [ -r "$text" ]; then
    if cc -O2 -march=native "$anchors_src" -lxxhash -o "$tmp/anchors.bin" 2> "$tmp/anchors.cc"; then
        have_anchors=1
    else
        echo "run.sh: could not build the bare loop:" >&2; cat "$tmp/anchors.cc" >&2
    fi
else
    echo "run.sh: no bare loop ($anchors_src or $text missing)" >&2
fi

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
    [ $have_anchors -eq 0 ] || measure anchors "$tmp/anchors.bin" mh32+lsh "$text" -n 1 -s
    [ $threads -eq 0 ] || measure neardup1 "$neardup" scan --json --threads 1 "$@" "$corpus"
    measure neardup "$neardup" scan --json "$@" "$corpus"
    [ $threads -eq 0 ] || measure neardup2 "$neardup" scan --json --threads 2 "$@" "$corpus"
done
# index and query: peak RSS (one run each: they are not the speed target)
rm -f "$tmp/s.nds"
measure index "$neardup" index -q -s "$tmp/s.nds" "$corpus"
head -n 400 "$corpus" > "$tmp/q.jsonl"
measure query "$neardup" query -q -s "$tmp/s.nds" --json "$tmp/q.jsonl"

names="cat"
[ $have_xxhsum -eq 0 ] || names="$names xxhsum"
[ $have_anchors -eq 0 ] || names="$names anchors"
[ $threads -eq 0 ] || names="$names neardup1"
names="$names neardup"
[ $threads -eq 0 ] || names="$names neardup2"
names="$names index query"
base=$(median "$tmp/cat" 1)
basename=cat
[ $have_xxhsum -eq 0 ] || { base=$(median "$tmp/xxhsum" 1); basename=xxhsum; }
[ $have_anchors -eq 0 ] || { base=$(median "$tmp/anchors" 1); basename="bare loop"; }
echo "corpus: $corpus ($(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB), $runs runs each, interleaved"
echo "neardup: $("$neardup" --version); $(nproc) cores"
sed 's/^/neardup stderr: /' "$tmp/neardup.stderr"
echo
echo "| command | median s | MB/s | peak RSS MB | user s | sys s | time / $basename |"
echo "|---|---|---|---|---|---|---|"
for n in $names; do
    case $n in
        cat) label="cat FILE > /dev/null" ;;
        xxhsum) label="xxhsum -H3 FILE" ;;
        anchors) label="anchors mh32+lsh TEXT -n 1 -s (bare loop)" ;;
        neardup2) label="neardup scan --json --threads 2 ${*:+$* }FILE > /dev/null" ;;
        index) label="neardup index -q -s S FILE (1 run)" ;;
        query) label="neardup query -q -s S --json FIRST400 (1 run)" ;;
        neardup1) label="neardup scan --json --threads 1 ${*:+$* }FILE > /dev/null" ;;
        neardup) label="neardup scan --json ${*:+$* }FILE > /dev/null" ;;
    esac
    awk -v label="$label" -v wall="$(median "$tmp/$n" 1)" -v rss="$(median "$tmp/$n" 2)" \
        -v user="$(median "$tmp/$n" 3)" -v sys="$(median "$tmp/$n" 4)" -v bytes="$bytes" -v base="$base" \
        'BEGIN { printf "| %s | %.3f | %.1f | %.0f | %.2f | %.2f | %.1f |\n",
                 label, wall, bytes / 1e6 / wall, rss * 1024 / 1e6, user, sys, wall / base }'
done
if [ $threads -eq 1 ]; then
    awk -v one="$(median "$tmp/neardup1" 1)" -v two="$(median "$tmp/neardup2" 1)" \
        'BEGIN { printf "\n--threads 2 vs 1: %.2fx\n", one / two }'
fi
awk -v rss="$(median "$tmp/neardup1" 2)" -v bytes="$bytes" \
    'BEGIN { printf "peak RSS of scan --threads 1: %.2fx the file\n", rss * 1024 / bytes }'

# Per-stage budget: one profiled run, shares scaled to the median wall time.
if command -v perf > /dev/null && [ $threads -eq 1 ] && \
   perf record -q -e cpu-clock -F 999 --call-graph dwarf,16384 -o "$tmp/perf.data" \
       "$neardup" scan --json --threads 1 "$@" "$corpus" > /dev/null 2> "$tmp/perf.stderr"; then
    echo
    echo "Per-stage budget (perf, one thread; ms per MB of the file):"
    perf script -i "$tmp/perf.data" 2> /dev/null | \
        python3 "$root/bench/stages.py" "$(median "$tmp/neardup1" 1)" "$(awk -v b="$bytes" 'BEGIN { print b / 1e6 }')"
else
    echo "run.sh: no perf (or it failed): no per-stage budget" >&2
fi
