#!/bin/sh
# WARC and WET input (corpus/crawl, written by corpus/crawl/make.py): ids,
# sources, dates, offsets, skip counters, messages with offsets, expected
# labels, dups --drop-list and filter, checked record by record.
. "$2/tests/e2e/lib.inc"
cd "$ROOT" || exit 1
W=corpus/crawl/crawl.warc.gz
WET=corpus/crawl/crawl.wet.gz
uuid() { echo "<urn:uuid:00000000-0000-4000-8000-0000000000$1>"; }

# ---- reading the WARC ----
"$ND" scan --json "$W" > "$TMP/scan.jsonl" 2> "$TMP/scan.err"
check "malformed records give exit status 1" [ $? -eq 1 ]
grep '"type":"doc"' "$TMP/scan.jsonl" |
    sed 's/.*"doc":"\([^"]*\)","source":"\([^"]*\)".*"cluster":"\([^"]*\)".*"warc_offset":\([0-9]*\).*/\1 \2 \3 \4/' > "$TMP/docs"
cat > "$TMP/want" <<'END'
http://www.news-b.example/world/harbour-bridge.html news-b.example https://news-a.example/city/harbour-bridge 439
https://news-a.example/city/harbour-bridge news-a.example https://news-a.example/city/harbour-bridge 1582
https://news-a.example/culture/sea-maps news-a.example https://news-a.example/culture/sea-maps 2384
http://vieux.example/marche.html vieux.example http://vieux.example/marche.html 3085
http://vieux.example/sans-type vieux.example http://vieux.example/sans-type 4928
http://vieux.example/marche.html#2 vieux.example http://vieux.example/marche.html 5196
END
check "documents: the HTML pages with status 200 (chunked, gzip, deflate, ISO-8859-1, sniffed), ids = URIs, sources = hosts, the earlier dated copy represents the later one, a repeated URI renamed" cmp -s "$TMP/docs" "$TMP/want"
[ -s "$TMP/docs" ] || fail "no documents read"
ok=1
while read -r id src cl off; do # the offset reads back the document's own record
    url=${id%#2}
    tail -c +$((off + 1)) "$W" | gzip -dc 2>/dev/null | head -c 400 | grep -aq "WARC-Target-URI: $url" || ok=0
done < "$TMP/docs"
check "warc_offset of each document starts a gzip member holding its record" [ $ok -eq 1 ]
check "url and warc_record_id reported" grep -q "\"url\":\"https://news-a.example/culture/sea-maps\",\"warc_record_id\":\"$(uuid 06)\",\"warc_offset\":2384}" "$TMP/scan.jsonl"
check "bad header line named with the file and the record's offset" \
    grep -qx "neardup: $W: record at offset 4485: bad header line 3 (not \"Name: value\"); skipped" "$TMP/scan.err"
check "wrong Content-Length named with its offset" \
    grep -qx "neardup: $W: record at offset 4685: no CRLF CRLF after the 77-byte block (wrong Content-Length?); skipped" "$TMP/scan.err"
check "truncated last gzip member named with its offset" \
    grep -qx "neardup: $W: record at offset 5599: gzip member cut short (file truncated?); skipped" "$TMP/scan.err"
check "repeated URI warned about" grep -q 'warning: id "http://vieux.example/marche.html" already used' "$TMP/scan.err"
check "skip counters summarised" grep -qx "neardup: $W: WARC: 13 records, 6 documents (6 HTML, 0 text); skipped: 1 not HTML, 1 not status 200, 1 unsupported content coding, 1 revisit, 1 request, 1 metadata, 1 warcinfo; 3 malformed" "$TMP/scan.err"
"$ND" scan -q --json "$W" > /dev/null 2> "$TMP/quiet.err"
check "-q: errors stay, warnings and the summary go" [ "$(wc -l < "$TMP/quiet.err")" -eq 3 ]

"$ND" scan --json --warc-id record "$W" 2>/dev/null | grep '"type":"doc"' | sed 's/.*"doc":"\([^"]*\)".*/\1/' > "$TMP/rids"
printf '%s\n' "$(uuid 03)" "$(uuid 05)" "$(uuid 06)" "$(uuid 07)" "$(uuid 14)" "$(uuid 15)" > "$TMP/want"
check "--warc-id record: ids are WARC-Record-IDs" cmp -s "$TMP/rids" "$TMP/want"
"$ND" scan --warc-id bogus "$W" > /dev/null 2>&1
check "--warc-id takes uri or record" [ $? -eq 2 ]

"$ND" scan --json --stream "$W" 2>/dev/null | grep '"type":"doc"' > "$TMP/stream"
check "--stream reports the WARC fields too" grep -q '"warc_record_id":"<urn:uuid:00000000-0000-4000-8000-000000000015>","warc_offset":5196}' "$TMP/stream"

gzip -dc "$W" > "$TMP/plain.warc" 2>/dev/null
"$ND" scan --json "$TMP/plain.warc" 2> "$TMP/plain.err" | grep '"type":"doc"' | sed 's/.*"doc":"\([^"]*\)".*/\1/' > "$TMP/plain.ids"
cut -d' ' -f1 "$TMP/docs" > "$TMP/want"
check "a plain WARC gives the same documents" cmp -s "$TMP/plain.ids" "$TMP/want"
check "plain WARC: damaged records named with their offsets, reading resumes after each" \
    [ "$(grep -c 'record at offset [0-9]*: ' "$TMP/plain.err")" -eq 3 ]
mkdir "$TMP/dir" && cp "$WET" "$TMP/dir/a.gz" && printf 'plain text\n' > "$TMP/dir/b.txt"
"$ND" scan --json "$TMP/dir" 2>/dev/null | grep -c '"type":"doc"' > "$TMP/n"
check "recognised by content, in a directory, whatever the name" [ "$(cat "$TMP/n")" -eq 7 ]

# ---- WET: expected labels ----
"$ND" scan --json "$WET" > "$TMP/wet.jsonl" 2> "$TMP/wet.err"
check "WET reads cleanly" [ $? -eq 0 ]
check "WET summary" grep -q "WARC: 7 records, 6 documents (0 HTML, 6 text); skipped: 1 warcinfo" "$TMP/wet.err"
grep '"type":"para"' "$TMP/wet.jsonl" | grep -v '"kind":"content"' |
    sed 's/.*"doc":"\([^"]*\)","index":\([0-9]*\),.*"kind":"\([a-z]*\)".*/\1 \2 \3/' > "$TMP/got"
grep '"type":"doc"' "$TMP/wet.jsonl" | sed 's/.*"doc":"\([^"]*\)".*"paragraphs":\([0-9]*\),.*/\1 \2/' |
    while read -r id n; do
        for i in 0 1 $((n - 2)) $((n - 1)); do echo "$id $i boilerplate"; done
    done > "$TMP/want"
check "WET: each site's chrome (two lines at the top, two at the bottom) is boilerplate, nothing else" cmp -s "$TMP/got" "$TMP/want"
check "WET: the syndicated story on news-b copies news-a's" \
    grep -q '"doc":"http://www.news-b.example/world/harbour-bridge.html".*"duplicate_of":"https://news-a.example/city/harbour-bridge"' "$TMP/wet.jsonl"
check "WET: WARC-Date kept as the document's date (the earlier copy represents)" \
    grep -q '"doc":"http://www.news-b.example/world/harbour-bridge.html".*"cluster":"https://news-a.example/city/harbour-bridge"' "$TMP/wet.jsonl"

# ---- drop list ----
"$ND" dups --drop-list "$W" > "$TMP/drop" 2>/dev/null
printf '%s\n' http://www.news-b.example/world/harbour-bridge.html 'http://vieux.example/marche.html#2' > "$TMP/want"
check "dups --drop-list: every member of a cluster but its representative" cmp -s "$TMP/drop" "$TMP/want"
"$ND" dups --json corpus/feeds > "$TMP/clusters" 2>/dev/null
sed 's/.*"docs":\["[^"]*"//; s/\]}$//; s/^,//' "$TMP/clusters" | tr ',' '\n' | sed '/^$/d; s/^"//; s/"$//' | sort > "$TMP/want"
"$ND" dups --drop-list corpus/feeds 2>/dev/null | sort > "$TMP/got"
check "dups --drop-list on text input: the clusters' members but the first" cmp -s "$TMP/got" "$TMP/want"
[ -s "$TMP/got" ] || fail "the sample feeds have no copies to drop"
"$ND" scan --drop-list "$W" > /dev/null 2>&1
check "--drop-list only with dups" [ $? -eq 2 ]

# ---- filter ----
"$ND" filter -o "$TMP/out.warc.gz" "$W" 2> "$TMP/filter.err"
st=$?
check "filter: exit status 1 (the input has malformed records), output written" [ $st -eq 1 -a -s "$TMP/out.warc.gz" ]
check "filter: summary" grep -q "9 records kept (9 gzip members, [0-9]* bytes), 4 dropped (2 copies, 2 tied to them)" "$TMP/filter.err"
KEEP="$(uuid 01) $(uuid 05) $(uuid 06) $(uuid 07) $(uuid 08) $(uuid 09) $(uuid 10) $(uuid 11) $(uuid 14)"
# shellcheck disable=SC2086
check "filter: kept gzip members byte for byte, the copies and their request and metadata absent" \
    /usr/bin/python3 tests/e2e/warc_members.py "$W" "$TMP/out.warc.gz" $KEEP
"$ND" filter -o "$TMP/out2.warc.gz" "$TMP/plain.warc" 2>/dev/null
# shellcheck disable=SC2086
check "filter of a plain WARC: each kept record compressed alone, byte for byte" \
    /usr/bin/python3 tests/e2e/warc_members.py "$TMP/plain.warc" "$TMP/out2.warc.gz" $KEEP
"$ND" filter -q -o "$TMP/again.warc.gz" "$TMP/out.warc.gz" 2> "$TMP/again.err"
st=$?
check "the filtered crawl reads cleanly and has nothing more to drop" \
    sh -c '[ $0 -eq 0 ] && [ ! -s "$1" ] && cmp -s "$2" "$3"' $st "$TMP/again.err" "$TMP/out.warc.gz" "$TMP/again.warc.gz"
# a revisit of the dropped copy (WARC-Refers-To) goes with it; one of the kept page stays
head -c 5599 "$W" | gzip -dc > "$TMP/tied.warc"
printf 'WARC/1.1\r\nWARC-Type: revisit\r\nWARC-Record-ID: %s\r\nWARC-Refers-To: %s\r\nContent-Length: 0\r\n\r\n\r\n\r\n' \
    "$(uuid 98)" "$(uuid 03)" "$(uuid 99)" "$(uuid 05)" >> "$TMP/tied.warc"
"$ND" filter -q -o "$TMP/tied.warc.gz" "$TMP/tied.warc" 2>/dev/null
# shellcheck disable=SC2086
check "filter: a revisit referring to a dropped record is dropped, one referring to a kept one kept" \
    /usr/bin/python3 tests/e2e/warc_members.py "$TMP/tied.warc" "$TMP/tied.warc.gz" $KEEP "$(uuid 99)"
"$ND" filter "$W" > /dev/null 2>&1
check "filter needs -o" [ $? -eq 2 ]
"$ND" filter -o "$TMP/x.warc.gz" corpus/feeds > /dev/null 2>&1
st=$?
check "filter refuses what is not a WARC file" [ $st -eq 2 -a ! -e "$TMP/x.warc.gz" ]
cp "$W" "$TMP/in.warc.gz"
"$ND" filter -o "$TMP/in.warc.gz" "$TMP/in.warc.gz" > /dev/null 2>&1
st=$?
check "filter refuses to overwrite its input" sh -c '[ $0 -eq 1 ] && cmp -s "$1" "$2"' $st "$W" "$TMP/in.warc.gz"
# pages from WARC responses go through the HTML path: structure-made paragraphs with their
# spans in the payload, and the ISO-8859-1 page without a charset decoded as windows-1252
"$ND" scan --json -q "$W" > "$TMP/pages.jsonl" 2>/dev/null
check "WARC pages: paragraphs carry html_span" grep -q '"doc":"https://news-a.example/city/harbour-bridge".*"html_span":\[' "$TMP/pages.jsonl"
"$ND" clean -q "$W" > "$TMP/pages.clean" 2>/dev/null
check "WARC pages: an ISO-8859-1 page without a charset comes out as UTF-8" \
    grep -q '"id":"http://vieux.example/marche.html".*Le marché couvert' "$TMP/pages.clean"
finish
