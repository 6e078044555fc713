# The sample corpus: repeats, boilerplate and copies against corpus/expected.jsonl.
. "$2/tests/e2e/lib.inc"
cd "$ROOT" || exit 1
"$ND" scan --json corpus/feeds/dailyharbor corpus/feeds/metrowire corpus/feeds/valleypost \
    > "$TMP/scan.jsonl" 2> "$TMP/err"
check "scan exits 0" [ $? -eq 0 ]
# "doc kind index" for every repeat and boilerplate paragraph, from both sides
grep '"type":"para"' "$TMP/scan.jsonl" | grep -v '"kind":"content"' |
    sed 's/.*"doc":"\([^"]*\)","index":\([0-9]*\),.*"kind":"\([a-z]*\)".*/\1 \3 \2/' | sort > "$TMP/got"
for kind in repeats boilerplate; do
    k=$(echo "$kind" | sed 's/s$//')
    sed "s/.*\"doc\": \"\\([^\"]*\\)\".*\"$kind\": \\[\\([0-9, ]*\\)\\].*/\\1 \\2/" corpus/expected.jsonl |
    while read -r doc list; do
        for i in $(echo "$list" | tr ',' ' '); do echo "$doc $k $i"; done
    done
done | sort > "$TMP/want"
check "repeat and boilerplate labels match corpus/expected.jsonl" diff -u "$TMP/want" "$TMP/got"
# copies: documents of one story share one cluster, different stories never do
grep '"type":"doc"' "$TMP/scan.jsonl" |
    sed 's/.*"doc":"\([^"]*\)".*"cluster":"\([^"]*\)".*/\1 \2/' | sort > "$TMP/clusters"
sed 's/.*"doc": "\([^"]*\)", "story": "\([^"]*\)".*/\1 \2/' corpus/expected.jsonl | sort > "$TMP/stories"
pairs=$(join "$TMP/clusters" "$TMP/stories" | awk '{print $2, $3}' | sort -u | wc -l)
nclusters=$(cut -d' ' -f2 "$TMP/clusters" | sort -u | wc -l)
nstories=$(cut -d' ' -f2 "$TMP/stories" | sort -u | wc -l)
check "clusters are the stories ($nclusters clusters, $nstories stories, $pairs pairs)" \
    [ "$pairs" -eq "$nstories" ] && [ "$nclusters" -eq "$nstories" ]
finish
