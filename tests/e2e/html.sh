# Web pages: corpus/html (a made-up site whose four pages share a header, a
# menu, a sidebar and a footer; one page in ISO-8859-1 without any charset
# label) read as HTML files, gzipped, from JSONL (--html-field), on several
# threads and as a stream, labelled as corpus/html/expected.jsonl says;
# clean's JSON Lines and -o files; spans into the extracted text and the page.
. "$2/tests/e2e/lib.inc"
cd "$ROOT" || exit 1
SITE=corpus/html/lanterngazette
labels() { # "doc kind index" of every repeat and boilerplate paragraph
    grep '"type":"para"' "$1" | grep -v '"kind":"content"' |
        sed 's/.*"doc":"\([^"]*\)","index":\([0-9]*\),.*"kind":"\([a-z]*\)".*/\1 \3 \2/' | sort
}
sed 's/.*"doc": "\([^"]*\)", "boilerplate": \[\([0-9, ]*\)\], "repeats": \[\([0-9, ]*\)\].*/\1|\2|\3/' \
    corpus/html/expected.jsonl | while IFS='|' read -r doc bp rep; do
    for i in $(echo "$bp" | tr ',' ' '); do echo "$doc boilerplate $i"; done
    for i in $(echo "$rep" | tr ',' ' '); do echo "$doc repeat $i"; done
done | sort > "$TMP/want"

"$ND" scan --json --threads 1 "$SITE" > "$TMP/scan.jsonl" 2> "$TMP/err"
check "scan of HTML files exits 0" [ $? -eq 0 ]
labels "$TMP/scan.jsonl" > "$TMP/got"
check "labels match corpus/html/expected.jsonl" diff -u "$TMP/want" "$TMP/got"
check "every paragraph has html_span, landmark and link_density" \
    sh -c "grep '\"type\":\"para\"' '$TMP/scan.jsonl' | grep -vc '\"html_span\":\[[0-9]*,[0-9]*\],\"landmark\":[a-z\"]*,\"link_density\":[0-9.]*}' | grep -qx 0"
check "the menu is a nav landmark made of links" \
    grep -q '"doc":"corpus/html/lanterngazette/storm-warning.html","index":1,.*"landmark":"nav","link_density":1.00}' "$TMP/scan.jsonl"
check "no warning for the ISO-8859-1 page" sh -c "! grep -q warning '$TMP/err'"

"$ND" scan --json --threads 3 "$SITE" > "$TMP/scan3.jsonl" 2>/dev/null
check "same output on 3 threads" cmp -s "$TMP/scan.jsonl" "$TMP/scan3.jsonl"

# spans: offsets into the extracted text (clean keeping everything), html_span into the file
"$ND" clean -q --keep-repeats --keep-boilerplate "$SITE/storm-warning.html" > "$TMP/all.jsonl"
python3 - "$TMP/scan.jsonl" "$TMP/all.jsonl" "$SITE/storm-warning.html" > "$TMP/spans" 2>&1 <<'PY'
import json, sys
scan = [json.loads(l) for l in open(sys.argv[1])]
text = json.loads(open(sys.argv[2]).readline())["text"].encode()
page = open(sys.argv[3], "rb").read()
doc = "corpus/html/lanterngazette/storm-warning.html"
for p in scan:
    if p["type"] != "para" or p["doc"] != doc: continue
    t = text[p["offset"]:p["offset"] + p["length"]]
    off, n = p["html_span"]
    raw = page[off:off + n]
    if b"<" not in raw and b"&" not in raw and b" ".join(raw.split()) != t:
        print("mismatch", p["index"], t, raw)
    if not t or t != t.strip():
        print("bad text span", p["index"], t)
print("checked")
PY
check "text spans and payload spans agree" grep -qx checked "$TMP/spans"
check "... without a mismatch" [ "$(wc -l < "$TMP/spans")" -eq 1 ]

"$ND" clean -q "$SITE" > "$TMP/clean.jsonl"
check "clean writes one JSON object per page" [ "$(grep -c '^{"id":".*","url":null,"source":".*","text":".*"}$' "$TMP/clean.jsonl")" -eq 4 ]
check "clean drops the chrome" sh -c "! grep -q 'Most read\|All rights reserved\|Privacy' '$TMP/clean.jsonl'"
check "clean keeps the stories" grep -q 'The work will take eleven weeks' "$TMP/clean.jsonl"
check "the repeated caption is kept once" [ "$(grep -o 'The council chamber during the late vote' "$TMP/clean.jsonl" | wc -l)" -eq 1 ]
check "the ISO-8859-1 page is read as windows-1252" \
    grep -q 'caf\\u00e9\|café.*\\u201cIt was our kitchen,\\u201d\|“It was our kitchen,”' "$TMP/clean.jsonl"

# a page alone: recurrence cannot tell its chrome, its structure can (clean --structure)
"$ND" clean -q "$SITE/storm-warning.html" > "$TMP/alone.jsonl"
"$ND" clean -q --structure "$SITE/storm-warning.html" > "$TMP/alone-s.jsonl"
check "a page alone keeps its chrome" grep -q 'Most read this week' "$TMP/alone.jsonl"
check "--structure drops it" sh -c "! grep -q 'Most read\|Privacy\|Port Wenlow\|Weather' '$TMP/alone-s.jsonl'"
check "--structure keeps the story" grep -q 'Forecasters expect gusts' "$TMP/alone-s.jsonl"
"$ND" scan --structure "$SITE" > /dev/null 2>&1
check "--structure is an option of clean only" [ $? -eq 2 ]

"$ND" clean -q -o "$TMP/out" "$SITE" 2>/dev/null
check "clean -o writes a .txt per HTML file" [ -f "$TMP/out/$SITE/letters-cafe.txt" ] && [ "$(ls "$TMP/out/$SITE" | wc -l)" -eq 4 ]
check "the .txt holds the kept text in UTF-8" grep -q 'Jürgen' "$TMP/out/$SITE/letters-cafe.txt"
check "... without the footer" sh -c "! grep -q 'Quay Street, Port Wenlow' '$TMP/out/$SITE/storm-warning.txt'"

mkdir -p "$TMP/gz"
for f in "$SITE"/*.html; do gzip -c "$f" > "$TMP/gz/$(basename "$f").gz"; done
"$ND" scan --json "$TMP/gz" > "$TMP/gz.jsonl" 2>/dev/null
labels "$TMP/gz.jsonl" | sed 's|.*/||; s|\.gz | |' | sort > "$TMP/gzgot"
sed 's|.*/||' "$TMP/want" | sort > "$TMP/gzwant"
check "gzipped pages give the same labels" diff -u "$TMP/gzwant" "$TMP/gzgot"

"$ND" scan --json --stream "$SITE" > "$TMP/stream.jsonl" 2>/dev/null
check "--stream reads pages (hints included)" grep -q '"landmark":"footer"' "$TMP/stream.jsonl"

python3 - "$SITE" > "$TMP/pages.jsonl" <<'PY'
import json, os, sys
for name in sorted(os.listdir(sys.argv[1])):
    b = open(os.path.join(sys.argv[1], name), "rb").read()
    html = b.decode("utf-8", "replace") if name != "letters-cafe.html" else b.decode("latin-1")
    print(json.dumps({"id": name, "url": "https://www.lanterngazette.example/" + name, "html": html}))
PY
"$ND" scan --json --html-field html "$TMP/pages.jsonl" > "$TMP/jl.jsonl" 2>/dev/null
check "JSONL --html-field: pages from the field" [ "$(labels "$TMP/jl.jsonl" | wc -l)" -eq "$(wc -l < "$TMP/want")" ]
check "... the url's host is the source" grep -q '"source":"lanterngazette.example"' "$TMP/jl.jsonl"
"$ND" clean -q --html-field html "$TMP/pages.jsonl" > "$TMP/jlclean.jsonl"
check "... clean gives the url back" grep -q '"url":"https://www.lanterngazette.example/storm-warning.html"' "$TMP/jlclean.jsonl"
"$ND" scan --json "$TMP/pages.jsonl" > /dev/null 2> "$TMP/jltext.err"
check "without --html-field the field is not read" grep -q 'missing "text" field' "$TMP/jltext.err"

"$ND" index -q -s "$TMP/s.nds" "$SITE" && "$ND" query --json -q -s "$TMP/s.nds" "$SITE/storm-warning.html" > "$TMP/q.jsonl"
check "index and query read pages" grep -q '"duplicate_of":"corpus/html/lanterngazette/storm-warning.html"' "$TMP/q.jsonl"
finish
