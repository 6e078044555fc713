#!/bin/bash
# What two cores give two independent processes: each round runs COMMAND
# alone, then two copies at once, and prints the throughput of the pair
# against one (2 x alone / the slower of the two). A scan on two threads can
# at best match it (bench/RESULTS.md, "Records formatted on every thread").
#
#   bench/ceiling.sh ROUNDS COMMAND [ARG...]     (its output goes to /dev/null)
set -u
if [ $# -lt 2 ]; then echo "usage: $0 ROUNDS COMMAND [ARG...]" >&2; exit 2; fi
rounds=$1; shift
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
for _ in $(seq "$rounds"); do
    /usr/bin/time -o "$tmp/a" -f %e "$@" > /dev/null 2>&1
    /usr/bin/time -o "$tmp/b" -f %e "$@" > /dev/null 2>&1 &
    /usr/bin/time -o "$tmp/c" -f %e "$@" > /dev/null 2>&1
    wait
    echo "$(cat "$tmp/a") $(cat "$tmp/b") $(cat "$tmp/c")" |
        awk '{ m = $2 > $3 ? $2 : $3; printf "alone %.2f s, two at once %.2f %.2f s, throughput %.2fx\n", $1, $2, $3, 2 * $1 / m }'
done
