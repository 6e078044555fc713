# The signature store commands: index (create, append, refuse other
# parameters), query (copies and boilerplate known from the store, scan's JSON
# contract), compare, merge, prune, info --verify, and damaged stores.
. "$2/tests/e2e/lib.inc"
D=$TMP/in
mkdir -p "$D/feed1" "$D/feed2" "$D/new"
S=$TMP/a.store

page() { # page FILE HEADER FOOTER BODY
    printf '%s\nSections | Sport | Weather | Subscribe\n%s\n%s\n' "$2" "$4" "$3" > "$1"
}
page "$D/feed1/a.txt" 'Feed One Home' 'Feed One footer, all rights reserved' \
    'A new library opened downtown with ten thousand books and a reading room for children of all ages.'
page "$D/feed1/b.txt" 'Feed One Home' 'Feed One footer, all rights reserved' \
    'The mayor announced a plan to plant two hundred trees along the river before the end of the summer.'
page "$D/feed1/c.txt" 'Feed One Home' 'Feed One footer, all rights reserved' \
    'Local farmers reported an early harvest this year thanks to a warm spring and steady rain in April.'
body='The council voted on Tuesday to extend the harbour ferry service through the winter months after a long debate.
Officials said the extra crossings would cost about two million over the season and be paid from port fees.
Residents of the islands had asked for the change for years, citing school and hospital trips in bad weather.'
page "$D/feed2/story.txt" 'Welcome to Feed Two' 'Copyright Feed Two' "$body"
page "$D/new/copy.txt" 'Feed One Home' 'Feed One footer, all rights reserved' "$body"

# ---- index
"$ND" index -s "$S" --time 2024-01-01 "$D/feed1" > "$TMP/out" 2> "$TMP/err"
check "index creates a store (exit 0)" [ $? -eq 0 ]
check "index summary on stderr" grep -q 'indexed 3 documents' "$TMP/err"
"$ND" index -s "$S" --time 2024-03-01 "$D/feed2" 2> "$TMP/err"
check "index appends (exit 0)" [ $? -eq 0 ]
"$ND" info "$S" > "$TMP/info"
check "info counts 4 documents" grep -q '^documents: 4$' "$TMP/info"
check "info shows 8-bit values by default" grep -q 'sig_bits 8' "$TMP/info"
check "info shows 32 values by default" grep -q 'num_perm 32,' "$TMP/info"
check "info shows two commits" grep -q '^commit: 2$' "$TMP/info"
"$ND" index -s "$S" -k 64 "$D/new" > /dev/null 2> "$TMP/err"
check "index with another num_perm exits 2" [ $? -eq 2 ]
check "the refusal names num_perm" grep -q num_perm "$TMP/err"
"$ND" info "$S" | grep -q '^documents: 4$'
check "the refused index added nothing" [ $? -eq 0 ]

# ---- query
# the new page comes from feed1: its chrome is known from the stored pages
"$ND" query -s "$S" --json --source "$D/feed1" "$D/new/copy.txt" > "$TMP/q.jsonl" 2> "$TMP/err"
check "query exits 0" [ $? -eq 0 ]
check "query reports only the input document" [ "$(grep -c '"type":"doc"' "$TMP/q.jsonl")" -eq 1 ]
check "the copy names the stored story" grep -q "\"duplicate_of\":\"$D/feed2/story.txt\"" "$TMP/q.jsonl"
check "the feed's chrome is boilerplate by the store's knowledge" \
    grep -q '"type":"doc",.*"boilerplate":3,' "$TMP/q.jsonl"
check "boilerplate points at a stored document" \
    grep -q "\"kind\":\"boilerplate\",\"of\":{\"doc\":\"$D/feed1/a.txt\"" "$TMP/q.jsonl"
"$ND" query -s "$S" --exit-status "$D/new/copy.txt" > "$TMP/q.txt" 2>/dev/null
check "query --exit-status gives 3" [ $? -eq 3 ]
check "query text names the stored copy" grep -q 'copy of .*story.txt (stored)' "$TMP/q.txt"
"$ND" query -s "$S" --sig-bits 32 "$D/new/copy.txt" > /dev/null 2> "$TMP/err"
check "query with other sig_bits exits 2" [ $? -eq 2 ]
check "the refusal names sig_bits" grep -q sig_bits "$TMP/err"
"$ND" query -s "$TMP/missing.store" "$D/new/copy.txt" > /dev/null 2> "$TMP/err"
check "query of a missing store exits 1" [ $? -eq 1 ]

# ---- query streams the store and loads only what can matter: the same
# verdicts as loading every stored document
Q=$TMP/q.store
"$ND" index -q -s "$Q" --time 2024-01-01 "$ROOT/corpus/feeds" 2>/dev/null
if [ -e "$SHARED/corpus/seed-article.txt" ]; then
    "$ND" index -q -s "$Q" --time 2024-01-02 "$SHARED/corpus/seed-article.txt" 2>/dev/null
fi
same=0; total=0
for f in "$ROOT"/corpus/feeds/*/*.txt "$D/new/copy.txt"; do
    total=$((total + 1))
    "$ND" query -q -s "$Q" --json --source "$(dirname "$f")" "$f" > "$TMP/stream.jsonl" 2>/dev/null
    "$ND" query -q -s "$Q" --json --source "$(dirname "$f")" --load-all "$f" > "$TMP/all.jsonl" 2>/dev/null
    cmp -s "$TMP/stream.jsonl" "$TMP/all.jsonl" && [ -s "$TMP/all.jsonl" ] && same=$((same + 1))
done
check "query gives the verdicts of --load-all for each of $total documents" [ "$same" -eq "$total" ]
"$ND" query -q -s "$Q" --json "$ROOT"/corpus/feeds/metrowire "$D/new" > "$TMP/stream.jsonl" 2>/dev/null
"$ND" query -q -s "$Q" --json --load-all "$ROOT"/corpus/feeds/metrowire "$D/new" > "$TMP/all.jsonl" 2>/dev/null
check "and for several documents at once" cmp -s "$TMP/stream.jsonl" "$TMP/all.jsonl"
"$ND" query -s "$S" "$D/new/copy.txt" > /dev/null 2> "$TMP/err"
check "query says how many stored documents it loaded" grep -q 'of 4 stored documents can matter' "$TMP/err"

# ---- compare
B=$TMP/b.store
"$ND" index -q -s "$B" "$D/new" 2>/dev/null
"$ND" compare --json "$S" "$B" > "$TMP/pairs" 2>/dev/null
check "compare exits 0" [ $? -eq 0 ]
check "compare lists the pair" \
    grep -q "{\"type\":\"pair\",\"a\":\"$D/feed2/story.txt\",\"b\":\"$D/new/copy.txt\",\"source_a\":\"$D/feed2\",\"source_b\":\"$D/new\",\"similarity\":[0-9.]*,\"containment\":[0-9.]*,\"link\":\"copy\"}" "$TMP/pairs"
check "compare lists one pair" [ "$(wc -l < "$TMP/pairs")" -eq 1 ]
"$ND" compare --exit-status "$S" "$B" > /dev/null 2>&1
check "compare --exit-status gives 3" [ $? -eq 3 ]

# ---- merge
"$ND" merge -o "$TMP/m.store" "$S" "$B" 2>/dev/null
check "merge exits 0" [ $? -eq 0 ]
check "merged store holds 5 documents" sh -c "'$ND' info '$TMP/m.store' | grep -q '^documents: 5$'"
"$ND" merge -o "$TMP/m.store" "$S" > /dev/null 2> "$TMP/err"
check "merge refuses to replace OUT without --force" [ $? -eq 2 ]
"$ND" index -q -s "$TMP/k64.store" -k 64 "$D/new" 2>/dev/null
"$ND" merge -o "$TMP/bad.store" "$S" "$TMP/k64.store" > /dev/null 2> "$TMP/err"
check "merge of different parameters exits 1" [ $? -eq 1 ]
check "the refusal names num_perm" grep -q num_perm "$TMP/err"
check "no output left behind" [ ! -e "$TMP/bad.store" ]

# ---- prune
cp "$TMP/m.store" "$TMP/p.store"
"$ND" prune -s "$TMP/p.store" --before 2024-02-01 2>/dev/null
check "prune --before exits 0" [ $? -eq 0 ]
"$ND" info "$TMP/p.store" > "$TMP/info"
check "prune --before drops the 3 older documents" grep -q '^documents: 2$' "$TMP/info"
"$ND" prune -s "$TMP/m.store" --keep 1 2>/dev/null
check "prune --keep 1 keeps one" sh -c "'$ND' info '$TMP/m.store' | grep -q '^documents: 1$'"
"$ND" query -s "$TMP/p.store" --json "$D/new/copy.txt" > "$TMP/q2.jsonl" 2>/dev/null
check "the pruned store still finds the copy" grep -q '"duplicate_of":"' "$TMP/q2.jsonl"
"$ND" prune -s "$TMP/p.store" > /dev/null 2>&1
check "prune without a rule exits 2" [ $? -eq 2 ]
"$ND" prune -s "$TMP/p.store" --before 2024-13-01 > /dev/null 2>&1
check "prune with a bad date exits 2" [ $? -eq 2 ]

# ---- info --verify and damage
"$ND" info --verify "$S" > "$TMP/info"
check "info --verify exits 0" [ $? -eq 0 ]
check "info --verify says ok" grep -q '^verify: ok$' "$TMP/info"
"$ND" info --json "$S" > "$TMP/info.json"
check "info --json exits 0" [ $? -eq 0 ]
check "info --json writes one line" [ "$(wc -l < "$TMP/info.json")" -eq 1 ]
check "info --json has the counts" grep -q '"documents":4,"paragraphs":[0-9]*,"blocks":[0-9]*,"commit":2,' "$TMP/info.json"
check "info --json has the parameters" \
    grep -q '"parameters":{"num_perm":32,"sig_bits":8,"shingle_size":5,"seed":"[0-9]*","paragraphs":"auto",' "$TMP/info.json"
check "info --json has the sizes" grep -q "\"file_bytes\":$(wc -c < "$S"),\"text_bytes\":[0-9]*," "$TMP/info.json"
check "info --json without --verify has no verify member" sh -c "! grep -q '\"verify\"' '$TMP/info.json'"
"$ND" info --json --verify "$S" > "$TMP/info.json"
check "info --json --verify reports ok" grep -q '"verify":{"ok":true,"blocks":[0-9]*,' "$TMP/info.json"
check "the object is closed" grep -q '}}$' "$TMP/info.json"
if command -v python3 > /dev/null; then
    check "info --json is valid JSON" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/info.json"
fi
size=$(wc -c < "$S")
cp "$S" "$TMP/flip.store"
printf 'X' | dd of="$TMP/flip.store" bs=1 seek=$((size - 20)) conv=notrunc 2>/dev/null
"$ND" info --verify "$TMP/flip.store" > "$TMP/info" 2> "$TMP/err"
check "a damaged block fails verification (exit 1)" [ $? -eq 1 ]
check "the failure is named" grep -q 'checksum' "$TMP/err"
"$ND" info --json --verify "$TMP/flip.store" > "$TMP/info.json" 2>/dev/null
check "info --json --verify of a damaged store exits 1" [ $? -eq 1 ]
check "info --json names the failure" grep -q '"verify":{"ok":false,"error":".*checksum' "$TMP/info.json"
head -c $((size - 10)) "$S" > "$TMP/cut.store"
"$ND" info "$TMP/cut.store" > "$TMP/info" 2> "$TMP/err"
check "a store cut inside its last commit still opens" [ $? -eq 0 ]
check "it warns that committed data is missing" grep -q 'committed data missing' "$TMP/err"
check "it reads the first commit's documents" grep -q '^documents: 3$' "$TMP/info"
check "info says how many are lost" grep -q '^damaged: 1 committed documents lost' "$TMP/info"
"$ND" info --verify "$TMP/cut.store" > "$TMP/info" 2> "$TMP/err"
check "info --verify of a cut store exits 1" [ $? -eq 1 ]
check "verify names the missing documents" grep -q 'verify: FAILED: .*1 of them are lost' "$TMP/info"
cp "$TMP/cut.store" "$TMP/cut.orig"
"$ND" index -q -s "$TMP/cut.store" --time 2024-03-01 "$D/feed2" 2> "$TMP/err"
check "index refuses to append to it (exit 1)" [ $? -eq 1 ]
check "the refusal points to recover" grep -q "neardup recover" "$TMP/err"
check "the refused store is unchanged" cmp -s "$TMP/cut.store" "$TMP/cut.orig"
"$ND" recover -s "$TMP/cut.store" 2> "$TMP/err"
check "recover exits 0" [ $? -eq 0 ]
check "recover keeps the original as STORE.bak" cmp -s "$TMP/cut.store.bak" "$TMP/cut.orig"
check "recover says what it kept" grep -q '3 documents (0 rolled forward)' "$TMP/err"
"$ND" recover -s "$TMP/cut.store" 2> "$TMP/err"
check "a second recover has nothing to do" grep -q 'nothing to recover' "$TMP/err"
check "the recovered store verifies" sh -c "'$ND' info --verify '$TMP/cut.store' 2>&1 | grep -q '^verify: ok$'"
"$ND" index -q -s "$TMP/cut.store" --time 2024-03-01 "$D/feed2" 2>/dev/null
check "index appends to the recovered store" sh -c "'$ND' info '$TMP/cut.store' | grep -q '^documents: 4$'"
# the newer commit slot damaged: nothing is lost, recover rolls forward
cp "$S" "$TMP/slot.store"
slot=$(od -An -tu8 -j88 -N8 "$S" | tr -d ' ')
off=88; [ "$slot" -eq 2 ] || off=136
printf 'Z' | dd of="$TMP/slot.store" bs=1 seek=$((off + 17)) conv=notrunc 2>/dev/null
"$ND" info --verify "$TMP/slot.store" > "$TMP/info" 2> /dev/null
check "a damaged commit slot fails verification" [ $? -eq 1 ]
check "it says how many documents lie after the commit" grep -q 'damaged: 0 committed documents lost, 1 in intact frames' "$TMP/info"
"$ND" index -q -s "$TMP/slot.store" "$D/new" 2>/dev/null
check "index refuses it" [ $? -eq 1 ]
"$ND" recover -q -s "$TMP/slot.store"
check "recover rolls forward over the intact frames" sh -c "'$ND' info --verify '$TMP/slot.store' | grep -q '^documents: 4$'"
cp "$TMP/cut.orig" "$TMP/cut2.store"
echo 'an earlier copy' > "$TMP/cut2.store.bak"
"$ND" recover -s "$TMP/cut2.store" 2> "$TMP/err"
check "recover with STORE.bak present exits 1" [ $? -eq 1 ]
check "it says to move the earlier copy" grep -q 'move the earlier copy away' "$TMP/err"
check "recover never overwrites an earlier copy" grep -q '^an earlier copy$' "$TMP/cut2.store.bak"
check "and changes nothing then" cmp -s "$TMP/cut2.store" "$TMP/cut.orig"
# a crash during creation: an empty or all-zero file is written anew
: > "$TMP/zero.store"
dd if=/dev/zero of="$TMP/zero184.store" bs=184 count=1 2>/dev/null
head -c 40 "$S" > "$TMP/part.store"
for f in zero zero184 part; do
    "$ND" index -q -s "$TMP/$f.store" "$D/feed1" 2> "$TMP/err"
    check "index over a creation cut short ($f) exits 0" [ $? -eq 0 ]
    check "and makes a sound store ($f)" sh -c "'$ND' info --verify '$TMP/$f.store' | grep -q '^documents: 3$'"
done
# index of a missing input makes no store
"$ND" index -q -s "$TMP/none.store" "$TMP/no-such-input" 2> "$TMP/err"
check "index of a missing input exits 1" [ $? -eq 1 ]
check "and creates no store" [ ! -e "$TMP/none.store" ]
check "and names the input" grep -q 'no-such-input' "$TMP/err"
# --commit-every
"$ND" index -q -s "$TMP/ce.store" --commit-every 1 "$D/feed1"
check "--commit-every 1 commits every document" sh -c "'$ND' info '$TMP/ce.store' | grep -q '^commit: 3$'"
"$ND" index -q -s "$TMP/ce.store" --commit-every 0 "$D/feed1" 2>/dev/null
check "--commit-every 0 is a usage error" [ $? -eq 2 ]
# a write failure (the file size limit: EFBIG, like a full disk): the summary
# counts only committed documents, and the file holds only committed data
awk 'BEGIN { for (i = 1; i <= 400; i++) { t = ""; for (j = 0; j < 30; j++) t = t " w" (i * 31 + j * 7) % 997
    printf "{\"id\":\"x%d\",\"text\":\"%s\"}\n", i, t } }' > "$TMP/many.jsonl"
sh -c "trap '' XFSZ; ulimit -f 12; exec '$ND' index -s '$TMP/full.store' --commit-every 50 '$TMP/many.jsonl'" 2> "$TMP/err"
check "index after a failed write exits 1" [ $? -eq 1 ]
check "it names the failure" grep -q 'writing a block: File too large' "$TMP/err"
"$ND" info --verify "$TMP/full.store" > "$TMP/info" 2>&1
check "the store verifies" grep -q '^verify: ok$' "$TMP/info"
docs=$(sed -n 's/^documents: //p' "$TMP/info")
check "the summary counts only committed documents" grep -q "indexed $docs documents (" "$TMP/err"
check "and says how many were not" grep -q "documents analyzed were not committed" "$TMP/err"
check "the file holds only committed data" [ "$(wc -c < "$TMP/full.store")" -eq "$(sed -n 's/^size: \([0-9]*\) bytes.*/\1/p' "$TMP/info")" ]
# prune cleans up what a killed prune left
cp "$S" "$TMP/pr.store"
: > "$TMP/pr.store.tmp.AbC123"
"$ND" prune -s "$TMP/pr.store" --keep 10 2> "$TMP/err"
check "prune removes a leftover temporary file" [ ! -e "$TMP/pr.store.tmp.AbC123" ]
check "and says so" grep -q 'removed .*pr.store.tmp.AbC123, left by an interrupted prune' "$TMP/err"
printf 'not a store\n' > "$TMP/text.store"
"$ND" info "$TMP/text.store" > /dev/null 2> "$TMP/err"
check "a non-store exits 1" [ $? -eq 1 ]
"$ND" index -q -s "$TMP/text.store" "$D/new" 2>/dev/null
check "index never overwrites a non-store" grep -q 'not a store' "$TMP/text.store"

# ---- usage
for c in index query compare merge prune info recover; do
    "$ND" $c --help > "$TMP/help" 2>&1
    check "$c --help exits 0" [ $? -eq 0 ]
    "$ND" $c --no-such-option > /dev/null 2>&1
    check "$c with an unknown option exits 2" [ $? -eq 2 ]
done
"$ND" index "$D/new" > /dev/null 2>&1
check "index without -s exits 2" [ $? -eq 2 ]
finish
