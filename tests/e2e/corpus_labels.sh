# The sample corpus: repeats, boilerplate and copies against corpus/expected.jsonl.
. "$2/tests/e2e/lib.inc"
cd "$ROOT" || exit 1
"$ND" scan --json corpus/feeds/dailyharbor corpus/feeds/metrowire corpus/feeds/valleypost \
    > "$TMP/scan.jsonl" 2> "$TMP/err"
check "scan exits 0" [ $? -eq 0 ]
got_labels "$TMP/scan.jsonl" > "$TMP/got"
want_labels > "$TMP/want"
check "repeat and boilerplate labels match corpus/expected.jsonl" diff -u "$TMP/want" "$TMP/got"
check "clusters are the stories" clusters_are_stories "$TMP/scan.jsonl"
finish
