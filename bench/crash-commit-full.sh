#!/bin/sh
# The logged commit's crash model at full size (CRASH_FULL=1): on every
# flush interval, all subsets of up to 6 pending writes, else prefixes,
# suffixes, all-but-one and one-alone, each write torn (either half) with
# the others landed or not; SYSTEM_B with both new hives (a few pages
# changed, and grown by a bin).  The 'commit' suite runs a smaller model
# (tests/commit/test-crash.sh); this prints the full counts and the time.
# Usage: bench/crash-commit-full.sh [BUILD_DIR]   (default build-test)
set -eu
b=${1:-build-test}
src=$(cd "$(dirname "$0")/.." && pwd)
export SHARED_FIXTURES=${SHARED_FIXTURES-$src/../shared/fixtures}
start=$(date +%s)
CRASH_FULL=1 "$src/tests/commit/test-crash.sh" "$b/tests/commit/crash-commit" \
        "$b/tests/replay/mkdirty"
echo "time: $(($(date +%s) - start)) s"
