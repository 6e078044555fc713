#!/bin/sh
# Crash trials of `neardup index`: kill -9 at random moments, then check the
# store the way a user relies on it.
#
#   sh bench/crash.sh NEARDUP [TRIALS [WORKDIR [DOCS]]]
#
# Each trial copies a starting store (empty, or a store of DOCS/4 documents
# for the odd trials: appending), starts `index --commit-every 50` on DOCS
# generated documents, kills it with SIGKILL after a random delay up to
# 1.2 x the time a full run takes, and checks that
#   1. the store opens and `info --verify` passes (exit 0, no damage);
#   2. every committed document is there, byte for byte: the frames up to
#      the commit in use equal those of a reference store written without a
#      crash (fixed --time, so the writer's output is deterministic), and
#      the count is a commit boundary;
#   3. appending resumes: a second index adds 7 documents on top, verified.
# Prints one line per trial and a summary; exits 1 if any trial failed.
set -u
ND=${1:?usage: crash.sh NEARDUP [TRIALS [WORKDIR [DOCS]]]}
TRIALS=${2:-100}
WORK=${3:-}
DOCS=${4:-3000}
EVERY=50
if [ -z "$WORK" ]; then
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/nd-crash.XXXXXX")
    trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK"
T="--time 2024-05-01"

# DOCS documents of 8..40 words from a 400-word vocabulary (deterministic),
# in JSON Lines; part A is the first quarter (the store appended to).
gen() { # gen FIRST LAST
    awk -v a="$1" -v b="$2" 'BEGIN {
        s = 12345
        for (i = 1; i <= b; i++) {
            n = 8 + (i * 7919) % 33; t = ""
            for (j = 0; j < n; j++) { s = (s * 1103515245 + 12345) % 2147483648; t = t " w" int(s / 65536) % 400 }
            if (i >= a) printf "{\"id\":\"d%d\",\"text\":\"para one%s\\n\\npara two%s\"}\n", i, t, t
        }
    }'
}
gen 1 "$DOCS" > "$WORK/all.jsonl"
gen 1 $((DOCS / 4)) > "$WORK/a.jsonl"
gen $((DOCS / 4 + 1)) "$DOCS" > "$WORK/b.jsonl"
gen $((DOCS + 1)) $((DOCS + 7)) > "$WORK/more.jsonl"

# References: written without a crash.
"$ND" index -q -s "$WORK/ref_new.store" $T --commit-every $EVERY "$WORK/all.jsonl" || exit 1
"$ND" index -q -s "$WORK/base.store" $T --commit-every $EVERY "$WORK/a.jsonl" || exit 1
cp "$WORK/base.store" "$WORK/ref_app.store"
start=$(date +%s%N)
"$ND" index -q -s "$WORK/ref_app.store" $T --commit-every $EVERY "$WORK/b.jsonl" || exit 1
full_ms=$((($(date +%s%N) - start) / 1000000))
base_docs=$((DOCS / 4))

json_num() { # json_num FIELD FILE
    sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$2"
}
rand() { od -An -N4 -tu4 /dev/urandom | tr -d ' '; }

fails=0; killed=0; finished=0; empty=0
i=1
while [ "$i" -le "$TRIALS" ]; do
    S="$WORK/t.store"
    rm -f "$S" "$S".*
    if [ $((i % 2)) -eq 1 ]; then
        cp "$WORK/base.store" "$S"; ref="$WORK/ref_app.store"; in="$WORK/b.jsonl"; first=$base_docs
    else
        ref="$WORK/ref_new.store"; in="$WORK/all.jsonl"; first=0
    fi
    delay_ms=$(( $(rand) % (full_ms * 12 / 10 + 1) ))
    "$ND" index -q -s "$S" $T --commit-every $EVERY "$in" 2>/dev/null &
    pid=$!
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); else finished=$((finished + 1)); fi
    wait "$pid" 2>/dev/null
    why=""
    if [ ! -s "$S" ] || [ "$(wc -c < "$S")" -lt 184 ]; then
        # killed while creating: no commit was made; index must write it anew
        empty=$((empty + 1)); docs=0
    else
        "$ND" info --verify --json "$S" > "$WORK/info.json" 2> "$WORK/err" || why="info --verify failed: $(cat "$WORK/err")"
        grep -q '"verify":{"ok":true' "$WORK/info.json" || why="${why:-verify not ok}"
        grep -q '"recovered":false' "$WORK/info.json" || why="${why:-a commit record was damaged}"
        docs=$(json_num documents "$WORK/info.json"); end=$(json_num file_bytes "$WORK/info.json")
        docs=${docs:-0}; end=${end:-0}
        total=$((first + DOCS - first))
        [ $(((docs - first) % EVERY)) -eq 0 ] || [ "$docs" -eq "$total" ] || why="${why:-$docs documents: not a commit boundary}"
        [ "$docs" -ge "$first" ] || why="${why:-fewer documents than before the append}"
        # the committed frames, byte for byte (slots excluded: bytes 88..183)
        if [ -z "$why" ] && [ "$end" -gt 184 ]; then
            cmp -s -n $((end - 184)) -i 184 "$S" "$ref" || why="committed frames differ from the reference"
            cmp -s -n 88 "$S" "$ref" || why="${why:-header differs from the reference}"
        fi
    fi
    if [ -z "$why" ]; then
        "$ND" index -q -s "$S" $T --commit-every $EVERY "$WORK/more.jsonl" 2> "$WORK/err" || why="append failed: $(cat "$WORK/err")"
        "$ND" info --verify --json "$S" > "$WORK/info.json" 2>/dev/null || why="${why:-verify after append failed}"
        after=$(json_num documents "$WORK/info.json")
        [ "${after:-0}" -eq $((docs + 7)) ] || why="${why:-append left ${after:-?} documents, expected $((docs + 7))}"
    fi
    if [ -n "$why" ]; then
        fails=$((fails + 1))
        echo "trial $i: FAIL after ${delay_ms} ms: $why"
        cp "$S" "$WORK/failed-$i.store" 2>/dev/null
    else
        echo "trial $i: ok after ${delay_ms} ms: $docs documents committed"
    fi
    i=$((i + 1))
done
echo "crash trials: $TRIALS ($killed killed, $finished finished first, $empty killed before the first commit), $fails failed; full run ${full_ms} ms, $DOCS documents, commit every $EVERY"
[ "$fails" -eq 0 ]
