# The bad-input matrix (bad_input.sh) with every command under valgrind:
# memory errors and leaks fail it. Skipped, visibly, without valgrind and in
# sanitizer builds (valgrind cannot run them).
if ! command -v valgrind > /dev/null 2>&1; then
    echo "SKIP: valgrind is not installed"
    exit 77
fi
if grep -qa -e __asan_init -e __tsan_init "$1"; then
    echo "SKIP: $1 is a sanitizer build"
    exit 77
fi
ND_VALGRIND=1 exec sh "$2/tests/e2e/bad_input.sh" "$@"
