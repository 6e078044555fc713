# The bad-input matrix (bad_input.sh) with every command under valgrind:
# memory errors and leaks fail it. Skipped, visibly, without valgrind and in
# sanitizer builds (valgrind cannot run them).
. "$2/tests/valgrind.inc"
valgrind_or_skip "$1"
ND_VALGRIND=1 exec sh "$2/tests/e2e/bad_input.sh" "$@"
