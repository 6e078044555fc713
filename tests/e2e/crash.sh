# Crash and lock trials of `index` (a few; bench/crash.sh runs 100 and more):
# kill -9 at random moments, then every store opens, verifies, keeps every
# committed document byte for byte and takes appends; two appenders at once:
# the second gets a clear "locked" error with exit status 4, and the store
# stays sound.
. "$2/tests/e2e/lib.inc"
out=$(sh "$ROOT/bench/crash.sh" "$ND" 5 "$TMP/crash" 600 2>&1)
check "5 crash trials of index pass" [ $? -eq 0 ]
echo "$out" | tail -1

# two appenders: the first holds the lock while it waits for its input
awk 'BEGIN { for (i = 1; i <= 40; i++) printf "{\"id\":\"x%d\",\"text\":\"story %d about the harbour ferry and the council vote on fares\"}\n", i, i }' > "$TMP/docs.jsonl"
S=$TMP/lock.store
(sleep 2; cat "$TMP/docs.jsonl") | "$ND" index -q -s "$S" --jsonl - 2> "$TMP/err1" &
first=$!
n=0
while [ "$(wc -c < "$S" 2>/dev/null || echo 0)" -lt 184 ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
"$ND" index -s "$S" --jsonl "$TMP/docs.jsonl" 2> "$TMP/err2"
rc=$?
check "a second appender exits 4" [ $rc -eq 4 ]
check "it says the store is locked" grep -q 'locked' "$TMP/err2"
wait $first
check "the first appender succeeds" [ $? -eq 0 ]
"$ND" info --verify "$S" > "$TMP/info" 2>&1
check "the store verifies" grep -q '^verify: ok$' "$TMP/info"
check "it holds the first appender's 40 documents" grep -q '^documents: 40$' "$TMP/info"
finish
