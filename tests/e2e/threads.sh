# --threads: the output is the same byte for byte whatever the number of threads.
. "$2/tests/e2e/lib.inc"
cd "$ROOT" || exit 1
# 306 generated documents: 18 variants of each of the 17 corpus stories, in
# three feeds, each variant with its own first line, one paragraph left out
# and one word changed. That is several signature tasks of 64 documents
# (ND__SIGN_TASK), copies, boilerplate and repeats, without ../shared.
G=$TMP/gen
mkdir -p "$G/feed0" "$G/feed1" "$G/feed2"
for f in corpus/feeds/*/*.txt; do
    name=$(basename "$(dirname "$f")")-$(basename "$f" .txt)
    awk -v g="$G" -v name="$name" '
        { line[NR] = $0 }
        END {
            for (v = 0; v < 18; v++) {
                out = g "/feed" (v % 3) "/" name "-" v ".txt"
                print "Edition " v " of " name > out
                for (i = 1; i <= NR; i++) {
                    if (i % 18 == v) continue
                    s = line[i]
                    if (i % 7 == v % 7) sub(/ the /, " a ", s)
                    print s > out
                }
                close(out)
            }
        }' "$f"
done
check "306 documents generated" [ "$(find "$G" -type f | wc -l)" -eq 306 ]
for t in 1 2 7; do
    "$ND" scan --json --threads $t "$G/feed0" "$G/feed1" "$G/feed2" > "$TMP/g$t.jsonl" 2>>"$TMP/stderr"
    "$ND" dups --json --threads $t "$G/feed0" "$G/feed1" "$G/feed2" > "$TMP/d$t.jsonl" 2>>"$TMP/stderr"
done
check "generated: every document reported" [ "$(grep -c '"type":"doc"' "$TMP/g1.jsonl")" -eq 306 ]
check "generated: copies found" grep -q '"duplicate_of":"' "$TMP/g1.jsonl"
check "generated: boilerplate found" grep -q '"kind":"boilerplate"' "$TMP/g1.jsonl"
check "generated: repeats found" grep -q '"kind":"repeat"' "$TMP/g1.jsonl"
check "generated: clusters found" grep -q '"type":"cluster"' "$TMP/d1.jsonl"
check "generated scan: 2 threads = 1 thread" cmp -s "$TMP/g1.jsonl" "$TMP/g2.jsonl"
check "generated scan: 7 threads = 1 thread" cmp -s "$TMP/g1.jsonl" "$TMP/g7.jsonl"
check "generated dups: 2 threads = 1 thread" cmp -s "$TMP/d1.jsonl" "$TMP/d2.jsonl"
check "generated dups: 7 threads = 1 thread" cmp -s "$TMP/d1.jsonl" "$TMP/d7.jsonl"
# records are formatted on the threads in chunks of 64 documents: web pages
# (their url, WARC record and paragraphs' hints) among them, and the text form
for t in 1 2 3; do
    "$ND" scan --json --threads $t "$G/feed0" corpus/crawl corpus/html "$G/feed1" > "$TMP/w$t.jsonl" 2>>"$TMP/stderr"
    "$ND" scan --threads $t "$G/feed0" "$G/feed1" "$G/feed2" > "$TMP/t$t.txt" 2>>"$TMP/stderr"
done
check "pages: their records were written" grep -q '"url":"http' "$TMP/w1.jsonl"
check "pages: 2 threads = 1 thread" cmp -s "$TMP/w1.jsonl" "$TMP/w2.jsonl"
check "pages: 3 threads = 1 thread" cmp -s "$TMP/w1.jsonl" "$TMP/w3.jsonl"
check "text: every document reported" [ "$(grep -c "^$G/.* paragraphs, " "$TMP/t1.txt")" -eq 306 ]
check "text: 2 threads = 1 thread" cmp -s "$TMP/t1.txt" "$TMP/t2.txt"
check "text: 3 threads = 1 thread" cmp -s "$TMP/t1.txt" "$TMP/t3.txt"
# a document of 9,000 paragraphs is more than a chunk (8,192 records): it is
# written straight to the output in its turn, between chunks of the others
mkdir -p "$G/big"
awk 'BEGIN { for (i = 0; i < 9000; i++) printf "Paragraph %d of the long report, on topic %d.\n\n", i, i % 97 }' \
    > "$G/big/long-report.txt"
for t in 1 2; do
    "$ND" scan --json --threads $t "$G/feed0" "$G/big" "$G/feed1" > "$TMP/b$t.jsonl" 2>>"$TMP/stderr"
done
check "long document: all its paragraphs" [ "$(grep -c '"doc":"'"$G"'/big/long-report.txt","index"' "$TMP/b1.jsonl")" -eq 9000 ]
check "long document: 2 threads = 1 thread" cmp -s "$TMP/b1.jsonl" "$TMP/b2.jsonl"
# a failed write is an error, however many threads format the records
for t in 1 2; do
    "$ND" scan --json --threads $t "$G/feed0" "$G/feed1" > /dev/full 2> "$TMP/full$t.err"
    check "output to a full device, $t thread(s): exit status 1" [ $? -eq 1 ]
    check "output to a full device, $t thread(s): said so" grep -q "cannot write the output" "$TMP/full$t.err"
done
for t in 1 2 3; do
    "$ND" scan --json --threads $t corpus/feeds/dailyharbor corpus/feeds/metrowire corpus/feeds/valleypost \
        > "$TMP/c$t.jsonl" 2>>"$TMP/stderr"
done
check "corpus: 2 threads = 1 thread" cmp -s "$TMP/c1.jsonl" "$TMP/c2.jsonl"
check "corpus: 3 threads = 1 thread" cmp -s "$TMP/c1.jsonl" "$TMP/c3.jsonl"
if [ -f "$SHARED/eval/syndication/docs.jsonl" ]; then
    for t in 1 2; do
        "$ND" scan --json --threads $t "$SHARED/eval/syndication/docs.jsonl" > "$TMP/s$t.jsonl" 2>>"$TMP/stderr"
    done
    check "syndication: 2 threads = 1 thread" cmp -s "$TMP/s1.jsonl" "$TMP/s2.jsonl"
else
    echo "skip: $SHARED/eval/syndication absent (the generated and corpus checks above ran)"
fi
# under ThreadSanitizer (CI's build-tsan) a race is a report on standard error
check "no sanitizer report" sh -c '! grep -q "Sanitizer" "$1"' sh "$TMP/stderr"
"$ND" scan --threads 0 corpus/feeds > /dev/null 2>&1
check "--threads 0 refused" [ $? -eq 2 ]
finish
