#!/bin/sh
# The bad-input table (issue 7): for each case, "vhive scrub" and "vhive
# check" must exit 2 (see allowed() for the one exception) with a clear
# message, write nothing (the target's sha256 is unchanged), create nothing
# beside it, and never hang (each run under timeout 10).  Prints "case | command | exit |
# message" and leaves a copy in BUILDDIR/badinput-table.txt.
#
# Usage: test-badinput.sh (VHIVE, SRCDIR, BUILDDIR, FIXTURES from meson)
# Every run passes --backend direct (VHIVE_BADINPUT_BACKEND overrides): a
# target without "regf" is taken for a disk image, and the appliance would
# cost 20 s a launch.
set -u
# skip, ok, fail, die, assert, expect_rc, finish
. "$(dirname "$0")/../lib.sh"

: "${VHIVE:?}" "${SRCDIR:?}" "${BUILDDIR:?}"
backend=${VHIVE_BADINPUT_BACKEND:-direct}
clean=${FIXTURES:+$FIXTURES/one-iface.hive}
if [ -z "$clean" ] || [ ! -f "$clean" ]; then
        skip "one-iface.hive fixture not built (hivexregedit missing?)"
fi
command -v python3 >/dev/null || skip "python3 missing"

work=$(mktemp -d "${TMPDIR:-/tmp}/vhive-badinput.XXXXXX")
trap 'rm -rf "$work"' EXIT
table=$work/table
failures=0

# ---- the cases: one folder each, holding the target only ----------------
mk() { mkdir -p "$work/$1" && printf '%s/%s/%s' "$work" "$1" "$2"; }

python3 "$SRCDIR/tests/badinput/mkbad.py" "$clean" "$work/gen" || die "mkbad.py failed"
for h in truncated zeroed-header bad-checksum hbins-past-end cycle self-cycle \
         huge-value vlist-outside; do
        cp "$work/gen/$h.hive" "$(mk "$h" SYSTEM)"
done
: >"$(mk empty-file SYSTEM)"
mkdir "$(mk directory SYSTEM)"
mkfifo "$(mk fifo SYSTEM)"
ln -s /dev/zero "$(mk symlink-dev-zero SYSTEM)"
ln -s /dev/null "$(mk symlink-dev-null SYSTEM)"
# A raw disk of zeros: no partition table, no Windows.
truncate -s 64M "$(mk zero-image disk.img)"
# An MBR whose only entry (NTFS, from sector 2048, 1000000 sectors) ends
# past the end of a 64 MiB disk.
img=$(mk mbr-past-end disk.img)
truncate -s 64M "$img"
python3 - "$img" <<'PY'
import struct, sys
with open(sys.argv[1], "r+b") as f:
    entry = struct.pack("<B3sB3sII", 0x00, b"\0\0\0", 0x07, b"\0\0\0", 2048, 1000000)
    f.seek(446); f.write(entry)
    f.seek(510); f.write(b"\x55\xaa")
PY
rm -rf "$work/gen"

state() { # PATH: what "no write" compares, for a file, a folder or anything else
        ls -lA --time-style=+ "$(dirname "$1")" | sed 's/^total .*//'
        if [ -f "$1" ] && [ ! -L "$1" ]; then
                sha256sum <"$1"
        fi
}

# Exit codes a case may give.  check only reads: on a dirty hive whose logs
# cannot rebuild it, it reports the file as it is with a warning, by design
# (scrub refuses the same hive).
allowed() { # CASE COMMAND
        case $1:$2 in
        bad-checksum:check) echo "1 2" ;;
        *) echo 2 ;;
        esac
}

run_case() { # CASE TARGET COMMAND [OPTIONS...]
        name=$1 target=$2 cmd=$3
        shift 3
        before=$(state "$target")
        timeout 10 "$VHIVE" "$cmd" "$@" "$target" >"$work/out" 2>"$work/err" </dev/null
        rc=$?
        after=$(state "$target")
        msg=$(grep -v '^==' "$work/err" | head -n 1)
        [ -n "$msg" ] || msg=$(head -n 1 "$work/out")
        verdict=ok
        if [ "$rc" -eq 124 ]; then
                verdict="FAIL: hung (killed after 10 s)"
        elif ! echo " $(allowed "$name" "$cmd") " | grep -q " $rc "; then
                verdict="FAIL: exit $rc, expected $(allowed "$name" "$cmd")"
        elif [ -z "$msg" ]; then
                verdict="FAIL: no message"
        elif grep -q 'ERROR: AddressSanitizer\|runtime error:' "$work/err"; then
                verdict="FAIL: sanitizer report"
        fi
        if [ "$before" != "$after" ]; then
                verdict="FAIL: the target or its folder changed"
        fi
        [ "$verdict" = ok ] || failures=$((failures + 1))
        printf '%s | %s | %s | %s\n' "$name" "$cmd" "$rc" "${msg:-(none)}" >>"$table"
        if [ "$verdict" != ok ]; then
                printf '%s: %s %s: %s\n' "$name" "$cmd" "$verdict" "$(cat "$work/err")" >&2
        fi
}

for dir in "$work"/*/; do
        name=$(basename "$dir")
        dir=$work/$name
        [ -e "$dir/SYSTEM" ] || [ -L "$dir/SYSTEM" ] || continue
        for cmd in scrub check; do
                run_case "$name" "$dir/SYSTEM" "$cmd" --backend "$backend"
        done
done
# The walks over whole subtrees meet the cycles too.
for name in cycle self-cycle; do
        run_case "$name" "$work/$name/SYSTEM" export
done
for name in zero-image mbr-past-end; do
        for cmd in scrub check; do
                run_case "$name" "$work/$name/disk.img" "$cmd" --backend "$backend"
        done
done

{
        echo "case | command | exit | message"
        sort -t '|' -k1,1 -s "$table"
} | tee "$BUILDDIR/badinput-table.txt"
if [ "$failures" -gt 0 ]; then
        echo "$failures case(s) failed" >&2
        exit 1
fi
