#!/bin/bash
# crash-image.sh [direct|appliance|both]: the image-level crash model of
# tests/image/imgcrash.sh with the full counts (IMGCRASH_FULL=1: all subsets
# of up to 12 writes between two flushes, else 1000 sampled; all sector
# subsets of writes of up to 12 sectors, else 256 prefixes/suffixes and 256
# sampled), on every case of the direct backend and on the appliance's case
# ("both", the default, runs the two).  Prints, per case and sector size,
# the states and how each read: old, new, other, unreadable; and the
# flushes per run.  BUILD is the build folder (default build-test);
# IMGCRASH_CASES picks cases; the seed is fixed (-r 1).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/${BUILD:-build-test}
which=${1:-both}
ninja -C "$build" tests/image/imgrec.so tests/image/imgcrash tests/direct/direct-tool \
        tests/fixtures/multi-iface.hive cmd/vhive > /dev/null || exit 2
export BUILDDIR=$build VHIVE=$build/cmd/vhive MKHIVE=$build/tests/fixtures/mkhive
export MAKE_HIVE=$root/tests/fixtures/make-hive.sh IMGCRASH_FULL=1
export STAMP=${STAMP:-$build/tests/image/image-fixtures.stamp}
args=("$build/tests/direct/direct-tool" "$build/tests/image/imgrec.so"
      "$build/tests/image/imgcrash")
rc=0
for b in direct appliance; do
        [ "$which" = both ] || [ "$which" = "$b" ] || continue
        start=$(date +%s)
        "$root/tests/image/imgcrash.sh" "$b" "${args[@]}" > "${TMPDIR:-/tmp}/crash-image.$b" 2>&1 ||
                rc=1
        grep -E '^[a-z]+: (sectors|flushes)|^run |caught|absence|checks' \
                "${TMPDIR:-/tmp}/crash-image.$b" | sed "s/^/$b: /"
        echo "$b: $(($(date +%s) - start)) s (full output: ${TMPDIR:-/tmp}/crash-image.$b)"
done
exit $rc
