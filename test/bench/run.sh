#!/bin/sh
# test/bench/run.sh BUILD_DIR - run every BUILD_DIR/bench/bench_* in turn
# and print their figures. The fixtures default to ../shared/fixtures.
set -u
build=${1:-build}
root=$(cd "$(dirname "$0")/../.." && pwd)
: "${WADM_FIXTURES:=$root/../shared/fixtures}"
export WADM_FIXTURES
status=0
found=0
for b in "$build"/bench/bench_*; do
    [ -x "$b" ] || continue
    found=1
    echo "== $(basename "$b")"
    "$b" || { echo "$(basename "$b"): FAILED (exit $?)"; status=1; }
done
[ "$found" -eq 1 ] || echo "bench: no programs in $build/bench/"
exit $status
