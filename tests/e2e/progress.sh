# Progress on standard error: only on a terminal, never with -q or --no-progress, and
# erased before the summary.
. "$2/tests/e2e/lib.inc"
cd "$ROOT" || exit 1
"$ND" scan corpus/feeds > /dev/null 2> "$TMP/err"
check "not a terminal: no progress line" sh -c "! grep -q 'documents, .* MB/s' '$TMP/err'"
if ! command -v script > /dev/null 2>&1; then
    echo "SKIP: script(1) is absent, no terminal to test on"
    finish
fi
# enough input for a progress line (one at most every 0.2 s)
for i in 1 2 3 4 5 6 7 8; do cat corpus/feeds/*/*.txt; done > "$TMP/big.txt"
i=0
while [ $i -lt 40 ]; do cat "$TMP/big.txt"; i=$((i + 1)); done > "$TMP/bigger.txt"
script -qc "'$ND' index -s '$TMP/p.nds' --paragraphs lines '$TMP/bigger.txt' '$TMP/big.txt' > /dev/null" "$TMP/tty" > /dev/null 2>&1
check "a terminal: a progress line with MB/s" grep -q 'neardup index: [0-9]* documents\?, .* MB/s' "$TMP/tty"
check "a terminal: the line is erased before the summary" grep -q "$(printf '\r\033\\[K')neardup: indexed" "$TMP/tty"
script -qc "'$ND' index -q -s '$TMP/q.nds' --paragraphs lines '$TMP/bigger.txt' > /dev/null" "$TMP/tty2" > /dev/null 2>&1
check "a terminal with -q: no progress" sh -c "! grep -q 'MB/s' '$TMP/tty2'"
script -qc "'$ND' scan --no-progress --paragraphs lines '$TMP/bigger.txt' > /dev/null" "$TMP/tty3" > /dev/null 2>&1
check "a terminal with --no-progress: no progress" sh -c "! grep -q 'MB/s' '$TMP/tty3'"
finish
