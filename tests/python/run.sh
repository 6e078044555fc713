#!/bin/sh
# ctest driver of the Python package's tests (pytest, Debian's python3-pytest).
#   run.sh PYTHON PYDIR CLI ROOT SHARED SANITIZER(none|asan|tsan) CC
# Exit 77 (skipped, with the reason) when they cannot run here: no package
# built (python3-dev missing), no pytest, or, under ASan, an interpreter into
# which the sanitizer runtime cannot be preloaded.
py=$1 pydir=$2 cli=$3 root=$4 shared=$5 sanitize=$6 cc=$7
if [ "$py" = NONE ]; then
    echo "SKIP: the Python package was not built (apt-get install python3-dev, then configure again)"
    exit 77
fi
if ! "$py" -c 'import pytest' 2>/dev/null; then
    echo "SKIP: $py has no pytest (apt-get install python3-pytest)"
    exit 77
fi
case "$sanitize" in
tsan)
    # An uninstrumented interpreter (its threads, its allocator) under
    # ThreadSanitizer reports races TSan cannot see the other side of.
    echo "SKIP: the Python tests do not run under ThreadSanitizer"
    exit 77
    ;;
asan)
    # The extension is built with -fsanitize=address,undefined; python is
    # not, so ASan's runtime must be loaded first. CPython's own allocations
    # are not freed at exit: leak detection is off, the rest of ASan and
    # UBSan is on (with -fno-sanitize-recover, a finding fails the test).
    asan=$("$cc" -print-file-name=libasan.so)
    LD_PRELOAD=$asan
    ASAN_OPTIONS=detect_leaks=0
    export LD_PRELOAD ASAN_OPTIONS
    if ! PYTHONPATH=$pydir "$py" -c 'import neardup' >/dev/null 2>&1; then
        echo "SKIP: the sanitizer runtime ($asan) cannot be preloaded into $py"
        exit 77
    fi
    ;;
esac
PYTHONPATH=$pydir NEARDUP_CLI=$cli NEARDUP_ROOT=$root NEARDUP_SHARED=$shared PYTHONDONTWRITEBYTECODE=1
export PYTHONPATH NEARDUP_CLI NEARDUP_ROOT NEARDUP_SHARED PYTHONDONTWRITEBYTECODE
cd "$root/tests/python" || exit 1
exec "$py" -m pytest -q -p no:cacheprovider -W error::pytest.PytestUnraisableExceptionWarning .
