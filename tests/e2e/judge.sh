# One judgement however the documents arrive: the sample corpus without any
# source, as one folder, with URLs in place of sources, through two stores,
# and in a stream, against corpus/expected.jsonl.
. "$2/tests/e2e/lib.inc"
cd "$ROOT" || exit 1

# JSON string of a file's bytes (awk: backslash, quote, tab, CR and newlines escaped).
json_text() {
    awk 'BEGIN { ORS = "" } { gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); gsub(/\t/, "\\t"); gsub(/\r/, "\\r");
         if (NR > 1) print "\\n"; print } END { if (NR) print "\\n" }' "$1"
}
# jsonl FILE FIELDS...: one line per corpus page; FIELDS is "none", "url" or "date"
jsonl() {
    for f in corpus/feeds/*/*.txt; do
        feed=$(basename "$(dirname "$f")")
        case $2 in
        url) extra=",\"url\":\"https://www.$feed.example/$(basename "$f" .txt)\"" ;;
        *) extra="" ;;
        esac
        printf '{"id":"%s"%s,"text":"%s"}\n' "$f" "$extra" "$(json_text "$f")"
    done > "$1"
}
want_labels > "$TMP/want"

jsonl "$TMP/nosrc.jsonl" none
"$ND" scan --json "$TMP/nosrc.jsonl" > "$TMP/nosrc.out" 2> "$TMP/err"
check "no sources: scan exits 0" [ $? -eq 0 ]
got_labels "$TMP/nosrc.out" > "$TMP/got"
check "no sources: labels match corpus/expected.jsonl" diff -u "$TMP/want" "$TMP/got"
check "no sources: clusters are the stories" clusters_are_stories "$TMP/nosrc.out"
sites=$(grep '"type":"doc"' "$TMP/nosrc.out" | sed 's/.*"site":"\([^"]*\)".*/\1/' | sort -u | wc -l)
check "no sources: three sites inferred ($sites)" [ "$sites" -eq 3 ]
for feed in dailyharbor metrowire valleypost; do
    n=$(grep '"type":"doc"' "$TMP/nosrc.out" | grep "\"doc\":\"corpus/feeds/$feed/" |
        sed 's/.*"site":"\([^"]*\)".*/\1/' | sort -u | wc -l)
    check "no sources: the pages of $feed are one site" [ "$n" -eq 1 ]
done

"$ND" scan --json corpus/feeds > "$TMP/folder.out" 2> "$TMP/err"
got_labels "$TMP/folder.out" > "$TMP/got"
check "one folder as one source: labels match" diff -u "$TMP/want" "$TMP/got"
check "one folder as one source: clusters are the stories" clusters_are_stories "$TMP/folder.out"

jsonl "$TMP/url.jsonl" url
"$ND" scan --json "$TMP/url.jsonl" > "$TMP/url.out" 2> "$TMP/err"
got_labels "$TMP/url.out" > "$TMP/got"
check "URLs only: labels match" diff -u "$TMP/want" "$TMP/got"
check "URLs only: the source is the URL's host" \
    grep -q '"doc":"corpus/feeds/metrowire/01-electric-ferries.txt","source":"metrowire.example"' "$TMP/url.out"

"$ND" scan --json --stream "$TMP/nosrc.jsonl" > "$TMP/stream.out" 2> "$TMP/err"
grep '"type":"doc"' "$TMP/stream.out" | grep -v '"duplicate_of":null' |
    sed 's/.*"doc":"\([^"]*\)".*"duplicate_of":"\([^"]*\)".*/\1 \2/' | sort > "$TMP/copies"
check "stream without sources: the five copies are found ($(wc -l < "$TMP/copies"))" [ "$(wc -l < "$TMP/copies")" -eq 5 ]
sed 's/.*"doc": "\([^"]*\)", "story": "\([^"]*\)".*/\1 \2/' corpus/expected.jsonl | sort > "$TMP/stories"
join "$TMP/copies" "$TMP/stories" > "$TMP/j1"
bad=$(awk '{print $2, $3}' "$TMP/j1" | sort | join - "$TMP/stories" | awk '$2 != $3' | wc -l)
check "stream without sources: each copy names a document of its story" [ "$bad" -eq 0 ]
# a stream labels chrome only after seeing it under min_stories stories, and never a story
want_labels chrome > "$TMP/chrome"
got_labels "$TMP/stream.out" | grep ' boilerplate ' > "$TMP/got"
check "stream without sources: boilerplate only where the page has chrome ($(wc -l < "$TMP/got") paragraphs)" \
    sh -c "[ \$(wc -l < '$TMP/got') -ge 150 ] && [ -z \"\$(comm -23 '$TMP/got' '$TMP/chrome')\" ]"

# two stores compared: a feed indexed alone, the two others together
"$ND" index -q -s "$TMP/a.nds" corpus/feeds/dailyharbor 2> "$TMP/err"
"$ND" index -q -s "$TMP/b.nds" corpus/feeds/metrowire corpus/feeds/valleypost 2> "$TMP/err"
"$ND" compare "$TMP/a.nds" "$TMP/b.nds" > "$TMP/pairs" 2> "$TMP/err"
check "compare exits 0" [ $? -eq 0 ]
cut -f1,2 "$TMP/pairs" | sort > "$TMP/got"
printf '%s\t%s\n' \
    corpus/feeds/dailyharbor/01-electric-ferries.txt corpus/feeds/metrowire/01-electric-ferries.txt \
    corpus/feeds/dailyharbor/01-electric-ferries.txt corpus/feeds/valleypost/01-battery-ferries.txt \
    corpus/feeds/dailyharbor/02-valley-water-limits.txt corpus/feeds/metrowire/02-valley-water-cuts.txt \
    corpus/feeds/dailyharbor/02-valley-water-limits.txt corpus/feeds/valleypost/02-water-rationing.txt \
    corpus/feeds/dailyharbor/06-ships-log-returned.txt corpus/feeds/valleypost/03-ships-log.txt | sort > "$TMP/want2"
check "two stores compared: the copies of the first feed's stories, and nothing else" diff -u "$TMP/want2" "$TMP/got"
finish
