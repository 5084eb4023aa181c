#!/bin/bash
# crash-image.sh [direct|appliance|both|mutant]: the image-level crash model of
# tests/image/imgcrash.sh with the full counts (IMGCRASH_FULL=1: all subsets
# of up to 12 writes between two flushes, else 1000 sampled; all sector
# subsets of writes of up to 12 sectors, else 256 prefixes/suffixes and 256
# sampled), on every case of the direct backend and on the appliance's case
# ("both", the default, runs the two).  Prints, per case and sector size,
# the states and how each read: old, new, other, unreadable; and the
# flushes per run.  BUILD is the build folder (default build-test);
# IMGCRASH_CASES picks cases; the seed is fixed (-r 1).
#   mutant  the model must catch a broken protocol: this tree is copied to a
#           temporary folder, its logged commit patched to write the primary
#           (base block, pages in place) BEFORE the log record, built, and the
#           direct cases new and dirty run with that vhive: exit 0 when the
#           model reports states that are neither old nor new, as it must.
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
if [ "$which" = mutant ]; then
        tmp=$(mktemp -d "${TMPDIR:-/tmp}/vhive-mutant.XXXXXX")
        trap 'rm -rf "$tmp"' EXIT
        git -C "$root" ls-files -z | (cd "$root" && tar --null -T - -c) | tar -x -C "$tmp"
        python3 - "$tmp/lib/commit/commit.c" <<'PY' || exit 2
import sys
p = sys.argv[1]
s = open(p).read()
log = "        if (r == 0)\n                r = write_log(c, stats, err);\n"
primary = "        if (r == 0)\n                r = update_primary(c, stats, err);\n"
assert log + primary in s, "commit.c changed: update the mutation"
open(p, "w").write(s.replace(log + primary, primary + log))
PY
        meson setup "$tmp/build" "$tmp" -Dbuildtype=plain -Dtests=disabled > "$tmp/setup.log" &&
                ninja -C "$tmp/build" cmd/vhive lib/vhive-backend-direct.so > "$tmp/build.log" ||
                { tail "$tmp/setup.log" "$tmp/build.log"; exit 2; }
        IMGCRASH_FULL= IMGCRASH_CASES=${IMGCRASH_CASES:-new dirty} VHIVE=$tmp/build/cmd/vhive \
                "$root/tests/image/imgcrash.sh" direct "${args[@]}" > "$tmp/out" 2>&1
        grep -E '^[a-z]+: sectors' "$tmp/out" | sed 's/^/mutant: /'
        if grep -qE 'sectors 512: .* other [1-9]' "$tmp/out"; then
                echo "mutant: caught (pages before the log: states neither old nor new)"
                exit 0
        fi
        echo "mutant: NOT caught"
        exit 1
fi
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
