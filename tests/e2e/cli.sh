# CLI contract: JSONL round trip through clean, stdin, -o DIR, --exit-status, dups.
. "$2/tests/e2e/lib.inc"
D=$TMP/in
mkdir -p "$D"
cap='A caption that is printed twice in this page, word for word, with the same credit at the end.'
printf '{"id":"a","text":"Intro paragraph of page a.\\n%s\\n%s\\nEnd of a.","lang":"en","n":[1,2]}\n' "$cap" "$cap" > "$D/in.jsonl"
printf '{"id":"b","text":"nothing repeats here","extra":{"k":true}}\n' >> "$D/in.jsonl"

"$ND" clean "$D/in.jsonl" > "$TMP/clean.jsonl" 2>/dev/null
check "clean exits 0" [ $? -eq 0 ]
check "other fields kept" grep -q '"lang":"en","n":\[1,2\]}$' "$TMP/clean.jsonl"
check "repeat removed from the text" grep -q "\"text\":\"Intro paragraph of page a.\\\\n$cap\\\\nEnd of a.\"" "$TMP/clean.jsonl"
check "unchanged line copied byte for byte" grep -qxF '{"id":"b","text":"nothing repeats here","extra":{"k":true}}' "$TMP/clean.jsonl"

"$ND" scan --json - < "$D/in.jsonl" > "$TMP/stdin.out" 2>/dev/null
check "stdin read as JSONL" grep -q '"doc":"a".*"repeats":1' "$TMP/stdin.out"

"$ND" scan --exit-status "$D/in.jsonl" > /dev/null 2>&1
check "--exit-status gives 3 when something was found" [ $? -eq 3 ]

printf 'one\n\ntwo two two two two\n\ntwo two two two two\n' > "$D/t.txt"
"$ND" clean -o "$TMP/outdir" "$D/t.txt" 2>/dev/null
check "-o DIR writes one file per input" [ -f "$TMP/outdir$D/t.txt" ]
check "-o output is the cleaned text" sh -c "printf 'one\n\ntwo two two two two\n\n' | cmp -s - '$TMP/outdir$D/t.txt'"

# copies: the same story in two feeds, different chrome
mkdir -p "$D/feed1" "$D/feed2"
body='The council voted on Tuesday to extend the harbour ferry service through the winter months after a long debate.
Officials said the extra crossings would cost about two million over the season and be paid from port fees.
Residents of the islands had asked for the change for years, citing school and hospital trips in bad weather.'
printf 'Feed One Home\n%s\nFeed One footer\n' "$body" > "$D/feed1/story.txt"
printf 'Welcome to Feed Two\n%s\nCopyright Feed Two\n' "$body" > "$D/feed2/copy.txt"
"$ND" dups --json "$D/feed1" "$D/feed2" > "$TMP/dups" 2>/dev/null
check "dups finds the copy" grep -q "\"docs\":\[\"$D/feed1/story.txt\",\"$D/feed2/copy.txt\"\]" "$TMP/dups"
# text output: counts agree with their nouns
printf 'just one paragraph here\n' > "$D/one.txt"
"$ND" scan "$D/one.txt" > "$TMP/one.out" 2>/dev/null
check "singular per document" grep -qx "$D/one.txt: 1 paragraph, 0 repeats, 0 boilerplate" "$TMP/one.out"
check "singular in the total" grep -qx "total: 1 document, 1 paragraph, 0 repeats, 0 boilerplate, 0 copies" "$TMP/one.out"
"$ND" scan "$D/feed1" "$D/feed2" > "$TMP/two.out" 2>/dev/null
check "plural and one copy in the total" grep -qx "total: 2 documents, 10 paragraphs, 0 repeats, 0 boilerplate, 1 copy" "$TMP/two.out"
"$ND" index -s "$TMP/one.nds" "$D/one.txt" 2> "$TMP/index.err"
check "singular in index's summary" grep -q "indexed 1 document (" "$TMP/index.err"
"$ND" query -s "$TMP/one.nds" "$D/one.txt" > "$TMP/query.out" 2>/dev/null
check "singular in query's total" grep -qx "total: 1 document, 1 paragraph, 0 repeats, 0 boilerplate, 1 copy" "$TMP/query.out"
"$ND" scan --help > "$TMP/help" 2>&1
check "scan --help says the input is read once" grep -q "input once" "$TMP/help"
# options that would be ignored are usage errors
"$ND" scan --window 5 "$D/t.txt" > /dev/null 2>&1
check "--window without --stream exits 2" [ $? -eq 2 ]
"$ND" scan -o "$TMP/o2" "$D/t.txt" > /dev/null 2>&1
check "scan -o exits 2" [ $? -eq 2 ]
"$ND" clean --json "$D/t.txt" > /dev/null 2>&1
check "clean --json exits 2" [ $? -eq 2 ]
finish
