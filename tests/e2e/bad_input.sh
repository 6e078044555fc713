# Bad input never crashes or hangs: each problem is named on stderr, every
# good document is still reported, and the exit status says some input failed.
. "$2/tests/e2e/lib.inc"
D=$TMP/in
mkdir -p "$D/dir"
printf 'A good document.\n\nWith two paragraphs.\n' > "$D/good.txt"
: > "$D/empty.txt"
printf 'binary\000file\n' > "$D/binary.bin"
printf 'caf\351 au lait \377\376 and more words here\n' > "$D/latin1.txt"
printf 'inside a directory\n' > "$D/dir/a.txt"
ln -s "$D/nowhere" "$D/dir/b-dangling.txt"
printf '{"id":1,"text":"first line ok"}\n{"id":2,"text":"broken\n{"id":3,"text":42}\n{"id":4,"text":"last ok"}\n' > "$D/docs.jsonl"
printf 'gz document\n' | gzip > "$D/doc.txt.gz"
head -c 7 "$D/doc.txt.gz" > "$D/truncated.txt.gz"

"$ND" scan --json "$D/good.txt" "$D/empty.txt" "$D/binary.bin" "$D/latin1.txt" "$D/dir" \
    "$D/missing.txt" "$D/docs.jsonl" "$D/doc.txt.gz" "$D/truncated.txt.gz" > "$TMP/out" 2> "$TMP/err"
rc=$?
check "exit status 1 when some input failed (got $rc)" [ "$rc" -eq 1 ]
for name in binary.bin missing.txt b-dangling.txt truncated.txt.gz; do
    check "stderr names $name" grep -q "$name" "$TMP/err"
done
check "stderr names the malformed JSONL lines" grep -q 'docs.jsonl:2' "$TMP/err"
check "stderr names the non-string text line" grep -q 'docs.jsonl:3' "$TMP/err"
for id in "$D/good.txt" "$D/empty.txt" "$D/latin1.txt" "$D/dir/a.txt" '"1"' '"4"' "$D/doc.txt.gz"; do
    case $id in \"*) pat="\"doc\":$id,";; *) pat="\"doc\":\"$id\",";; esac
    check "reported: $id" grep -q "\"type\":\"doc\",$pat" "$TMP/out"
done
check "the numeric id is written as a string" grep -q '"doc":"1"' "$TMP/out"

# a 100 MB single line is one paragraph, processed in bounded time and memory
yes 'many words on one enormous line' | head -c 100000000 | tr '\n' ' ' > "$D/huge.txt"
"$ND" scan --json "$D/huge.txt" > "$TMP/huge.out" 2> "$TMP/huge.err"
check "huge line scanned" grep -q '"paragraphs":1,' "$TMP/huge.out"
rm -f "$D/huge.txt"

# usage errors exit 2, help exits 0
"$ND" scan --no-such-option "$D/good.txt" > /dev/null 2>&1
check "unknown option exits 2" [ $? -eq 2 ]
"$ND" scan -k 0 "$D/good.txt" > /dev/null 2> "$TMP/perr"
check "bad parameter exits 2" [ $? -eq 2 ]
check "bad parameter names the field" grep -q num_perm "$TMP/perr"
"$ND" scan --help > /dev/null
check "--help exits 0" [ $? -eq 0 ]
finish
