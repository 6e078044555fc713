# --threads: the output is the same byte for byte whatever the number of threads.
. "$2/tests/e2e/lib.inc"
cd "$ROOT" || exit 1
for t in 1 2 3; do
    "$ND" scan --json --threads $t corpus/feeds/dailyharbor corpus/feeds/metrowire corpus/feeds/valleypost \
        > "$TMP/c$t.jsonl" 2>/dev/null
done
check "corpus: 2 threads = 1 thread" cmp -s "$TMP/c1.jsonl" "$TMP/c2.jsonl"
check "corpus: 3 threads = 1 thread" cmp -s "$TMP/c1.jsonl" "$TMP/c3.jsonl"
if [ -f "$SHARED/eval/syndication/docs.jsonl" ]; then
    for t in 1 2; do
        "$ND" scan --json --threads $t "$SHARED/eval/syndication/docs.jsonl" > "$TMP/s$t.jsonl" 2>/dev/null
    done
    check "syndication: 2 threads = 1 thread" cmp -s "$TMP/s1.jsonl" "$TMP/s2.jsonl"
else
    echo "skip: $SHARED/eval/syndication absent (the corpus checks above ran)"
fi
"$ND" scan --threads 0 corpus/feeds > /dev/null 2>&1
check "--threads 0 refused" [ $? -eq 2 ]
finish
