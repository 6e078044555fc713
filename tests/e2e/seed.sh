# The seed article: exactly the expected paragraphs are repeats, and clean
# removes exactly them, leaving every other byte in place.
. "$2/tests/e2e/lib.inc"
skip_without_shared corpus/seed-article.txt
SEED=$SHARED/corpus/seed-article.txt

"$ND" scan --json "$SEED" > "$TMP/scan.jsonl" 2> "$TMP/err"
check "scan exits 0" [ $? -eq 0 ]
para_texts "$TMP/scan.jsonl" repeat "$SEED" > "$TMP/repeats.tsv"
check "repeats are the expected ones" diff -u "$ROOT/tests/data/seed-repeats.tsv" "$TMP/repeats.tsv"
check "doc line counts 97 paragraphs and 23 repeats" \
    grep -q '"type":"doc",.*"paragraphs":97,"repeats":23' "$TMP/scan.jsonl"
# every repeat points at an earlier content paragraph of the same document
bad=$(grep '"kind":"repeat"' "$TMP/scan.jsonl" |
      sed 's/.*"index":\([0-9]*\),.*"of":{"doc":"[^"]*","index":\([0-9]*\)}.*/\1 \2/' |
      awk '$2 >= $1' | wc -l)
check "of points backwards" [ "$bad" -eq 0 ]

"$ND" clean "$SEED" > "$TMP/clean.txt"
check "clean exits 0" [ $? -eq 0 ]
# only deletions, and the deleted lines are the repeats
diff "$SEED" "$TMP/clean.txt" > "$TMP/diff"
check "clean only deletes" sh -c "! grep -q '^>' '$TMP/diff'"
check "clean deletes 23 lines" [ "$(grep -c '^<' "$TMP/diff")" -eq 23 ]
grep '^<' "$TMP/diff" | cut -c3- | head -c 100000 | cut -c1-50 > "$TMP/deleted"
cut -f2 "$ROOT/tests/data/seed-repeats.tsv" > "$TMP/expected-deleted"
check "deleted lines are the repeats" diff -u "$TMP/expected-deleted" "$TMP/deleted"
check "cleaning twice changes nothing more" \
    sh -c "'$ND' clean '$TMP/clean.txt' | cmp -s - '$TMP/clean.txt'"
finish
