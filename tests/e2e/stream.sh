# --stream: one pass, labels from what came before; bounded window.
. "$2/tests/e2e/lib.inc"
cd "$ROOT" || exit 1
FEEDS="corpus/feeds/dailyharbor corpus/feeds/metrowire corpus/feeds/valleypost"
"$ND" scan --json --stream $FEEDS > "$TMP/s.jsonl" 2>/dev/null
check "stream scan exits 0" [ $? -eq 0 ]
# the first two stories of a feed cannot show boilerplate yet (min 3 stories);
# the third one does. Each pattern needs the document's line to be there.
doc_has() { grep -q "^{\"type\":\"doc\",\"doc\":\"corpus/feeds/dailyharbor/$1[^\"]*\",.*$2" "$TMP/s.jsonl"; }
check "first story of a feed has no boilerplate" doc_has 01 '"boilerplate":0,'
check "second story of a feed has no boilerplate" doc_has 02 '"boilerplate":0,'
check "third story of a feed has boilerplate" doc_has 03 '"boilerplate":[1-9][0-9]*,'
# copies across feeds are found on arrival
check "a republished story is a copy" \
    grep -q '"doc":"corpus/feeds/valleypost/03-ships-log.txt".*"duplicate_of":"corpus/feeds/dailyharbor/06-ships-log-returned.txt"' "$TMP/s.jsonl"
# the same repeats as the two-pass scan, paragraph for paragraph: they depend
# on the document alone. Each line: document, paragraph, the paragraph it repeats.
"$ND" scan --json $FEEDS > "$TMP/b.jsonl" 2>/dev/null
repeats() {
    grep '"kind":"repeat"' "$1" |
    sed 's/^{"type":"para","doc":"\([^"]*\)","index":\([0-9]*\),.*"of":{"doc":"[^"]*","index":\([0-9]*\)}.*/\1 \2 \3/'
}
repeats "$TMP/b.jsonl" > "$TMP/rb"
repeats "$TMP/s.jsonl" > "$TMP/rs"
check "the batch scan finds repeats" [ "$(wc -l < "$TMP/rb")" -gt 20 ]
check "repeats equal in both modes, paragraph for paragraph" cmp -s "$TMP/rb" "$TMP/rs"
# stdin is not spooled in stream mode, and a tiny window still works
cat corpus/feeds/*/*.txt | "$ND" scan --stream --window 2 - > /dev/null 2>&1
check "window of 2 documents" [ $? -eq 0 ]
"$ND" dups --stream $FEEDS > /dev/null 2>&1
check "dups refuses --stream" [ $? -eq 2 ]
"$ND" scan --stream --window 1 $FEEDS > /dev/null 2>&1
check "window below 2 refused" [ $? -eq 2 ]
finish
