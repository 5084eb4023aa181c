#!/bin/sh
# The job's logged commit over plain files (commit-scrub): a scrub of the
# lease-all-types fixture with 0-byte logs, both formats.  SYSTEM keeps its
# size, the logs get the record (a 0-byte log is extended first), vhive
# check passes on the result, reglookup reads it, and a second scrub finds
# nothing left to do.  With hivex's writer (-x, as the editor commands
# write) the hive grows: SYSTEM is extended before anything else, and the
# result reads the same way.  A refusal without a format, a failing
# verification, or a SYSTEM changed since it was read leaves every file as
# it was.
# Usage (meson): test-commit-scrub.sh COMMIT_SCRUB
set -eu
tool=$1
# skip, ok, fail, die, assert, expect_rc, finish
. "$(dirname "$0")/../lib.sh"
[ -n "${FIXTURES-}" ] && [ -f "$FIXTURES/lease-all-types.hive" ] ||
        skip "fixtures not built (hivexregedit missing)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for fmt in new old; do
        d=$tmp/$fmt
        mkdir "$d"
        cp "$FIXTURES/lease-all-types.hive" "$d/SYSTEM"
        : >"$d/SYSTEM.LOG1"
        : >"$d/SYSTEM.LOG2"
        size=$(wc -c <"$d/SYSTEM")
        "$tool" -f "$fmt" "$d/SYSTEM" >"$tmp/out" || die "$fmt: commit-scrub failed"
        echo "$fmt: $(cat "$tmp/out")"
        grep -q "written 1" "$tmp/out" || die "$fmt: nothing written"
        [ "$(wc -c <"$d/SYSTEM")" = "$size" ] || die "$fmt: SYSTEM changed size"
        [ -s "$d/SYSTEM.LOG1" ] || die "$fmt: LOG1 was not written"
        "$VHIVE" check "$d/SYSTEM" >"$tmp/check" 2>&1 || { cat "$tmp/check"; die "$fmt: check"; }
        if command -v reglookup >/dev/null; then
                reglookup "$d/SYSTEM" >/dev/null 2>&1 || die "$fmt: reglookup cannot read it"
        fi
        "$tool" -f "$fmt" "$d/SYSTEM" >"$tmp/out2" || die "$fmt: second run"
        grep -q "blanked 0, written 0" "$tmp/out2" || die "$fmt: the second scrub wrote"
done

d=$tmp/grown
mkdir "$d"
cp "$FIXTURES/lease-all-types.hive" "$d/SYSTEM"
: >"$d/SYSTEM.LOG1"
: >"$d/SYSTEM.LOG2"
size=$(wc -c <"$d/SYSTEM")
"$tool" -x -f new "$d/SYSTEM" >"$tmp/out" || die "hivex writer: commit-scrub failed"
echo "hivex writer: $(cat "$tmp/out")"
grep -q "primary extended" "$tmp/out" || die "hivex writer: SYSTEM was not extended"
[ "$(wc -c <"$d/SYSTEM")" -gt "$size" ] || die "hivex writer: SYSTEM did not grow"
"$VHIVE" check "$d/SYSTEM" >"$tmp/check" 2>&1 || { cat "$tmp/check"; die "hivex writer: check"; }

d=$tmp/none
mkdir "$d"
cp "$FIXTURES/lease-all-types.hive" "$d/SYSTEM"
: >"$d/SYSTEM.LOG1"
: >"$d/SYSTEM.LOG2"
if "$tool" "$d/SYSTEM" 2>"$tmp/err"; then die "no format, empty logs: not refused"; fi
grep -q "format" "$tmp/err" || die "no format: the message does not say why"
cmp -s "$d/SYSTEM" "$FIXTURES/lease-all-types.hive" || die "refused, but SYSTEM changed"
[ ! -s "$d/SYSTEM.LOG1" ] && [ ! -s "$d/SYSTEM.LOG2" ] || die "refused, but a log changed"
# A verification that fails stops the commit before anything is written
# (review finding 3), and so does an image whose SYSTEM changed after it
# was read (finding 4): the other writer's byte stays.
for flag in -V -m; do
        d=$tmp/refuse$flag
        mkdir "$d"
        cp "$FIXTURES/lease-all-types.hive" "$d/SYSTEM"
        : >"$d/SYSTEM.LOG1"
        : >"$d/SYSTEM.LOG2"
        if "$tool" $flag -f new "$d/SYSTEM" 2>"$tmp/err"; then die "$flag: not refused"; fi
        cat "$tmp/err"
        grep -q "written 0" "$tmp/err" || die "$flag: reported as written"
        [ ! -s "$d/SYSTEM.LOG1" ] && [ ! -s "$d/SYSTEM.LOG2" ] || die "$flag: a log was written"
        n=$(cmp -l "$d/SYSTEM" "$FIXTURES/lease-all-types.hive" | wc -l)
        want=0
        [ "$flag" = -m ] && want=1
        [ "$n" = "$want" ] || die "$flag: SYSTEM differs in $n bytes, not $want"
done
grep -q "no longer holds" "$tmp/err" || die "-m: the message does not say why"
echo "PASS"
