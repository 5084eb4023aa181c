#!/bin/sh
# The logged commit stopped after every pwrite/flush/extend, with each
# pwrite torn (either half alone), and with the writes between two flushes
# landing in any order (crash-commit); every state replayed with the logs
# in both orders: on a clean synthetic hive (both log formats, logs empty),
# on the layouts a review found (probes), on every dirty case of
# tests/replay's mkdirty that replays, and on the real SYSTEM_B with its
# two logs (skipped when ../shared is absent).  Prints the number of crash
# points checked.
# Usage (meson): test-crash.sh CRASH_COMMIT MKDIRTY
set -eu
# skip, ok, fail, die, assert, expect_rc, finish
. "$(dirname "$0")/../lib.sh"
crash=$1
mkdirty=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
total=0

count() { # OUTPUT of crash-commit
        n=$(sed -n 's/^crash points: \([0-9]*\).*/\1/p' "$1")
        total=$((total + n))
}

for m in synthetic probes; do
        "$crash" $m >"$tmp/out"
        echo "$m: $(cat "$tmp/out")"
        count "$tmp/out"
done

mkdir "$tmp/cases"
"$mkdirty" "$tmp/cases"
while read -r c; do
        [ -f "$tmp/cases/$c.expected" ] || continue
        l1=$tmp/cases/$c.LOG1
        l2=$tmp/cases/$c.LOG2
        [ -f "$l1" ] || l1=-
        [ -f "$l2" ] || l2=-
        # A dirty old-format hive whose one log recovers it has no second
        # log to write to: refused, nothing written (checked by the tool).
        case $c in old-format*) refuse=1 ;; *) refuse= ;; esac
        CRASH_MAY_REFUSE=$refuse "$crash" auto "$tmp/cases/$c.hive" "$l1" "$l2" >"$tmp/out" || {
                die "mkdirty case $c"
        }
        echo "$c: $(cat "$tmp/out")"
        count "$tmp/out"
done <"$tmp/cases/cases"

r=${SHARED_FIXTURES-}/real-hives
if [ -f "$r/SYSTEM_B.xz" ] && command -v xz >/dev/null; then
        for f in SYSTEM_B SYSTEM_B.LOG1 SYSTEM_B.LOG2; do xz -dc "$r/$f.xz" >"$tmp/$f"; done
        "$crash" auto "$tmp/SYSTEM_B" "$tmp/SYSTEM_B.LOG1" "$tmp/SYSTEM_B.LOG2" >"$tmp/out"
        echo "SYSTEM_B: $(cat "$tmp/out")"
        count "$tmp/out"
else
        echo "SYSTEM_B: skipped (no $r)"
fi
echo "PASS: $total crash points, each replaying to exactly the old or the new hive"
