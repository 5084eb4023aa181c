#!/bin/sh
# The bad-input table (issues 7 and 11): for each case, "vhive scrub" and
# "vhive check" must exit 2 (see expect() for the exceptions) with a clear
# message (matching expect()'s pattern where it gives one), write nothing
# (the sha256 of every file in the case's folder, links followed, is
# unchanged), create nothing beside it, and never hang (each run under
# timeout 10).  Prints "case | command | exit | message" and leaves a copy
# in BUILDDIR/badinput-table.txt.
#
# Usage: test-badinput.sh (VHIVE, SRCDIR, BUILDDIR, FIXTURES, MKDIRTY from meson)
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
         huge-value vlist-outside data-mid-cell; do
        cp "$work/gen/$h.hive" "$(mk "$h" SYSTEM)"
done
# Dirty hives whose logs are damaged (issue 11), made by the replay
# tests' generator on the one-interface fixture (stale values in the
# primary) and on an already-blank one (nothing stale in the primary).
dirty_case() { # CASE MKDIRTY-CASE GENDIR
        cp "$3/$2.hive" "$(mk "$1" SYSTEM)"
        for l in LOG1 LOG2; do
                if [ -f "$3/$2.$l" ]; then cp "$3/$2.$l" "$work/$1/SYSTEM.$l"; fi
        done
}
if [ -n "${MKDIRTY:-}" ] && [ -x "$MKDIRTY" ]; then
        mkdir -p "$work/gen/dirty" "$work/gen/blank"
        "$MKDIRTY" "$work/gen/dirty" "$clean" >/dev/null || exit 1
        dirty_case log-ignored-gap refuse-ignored-gap "$work/gen/dirty"
        dirty_case log-no-dirt refuse-old-no-dirt "$work/gen/dirty"
        dirty_case log-torn refuse-mid-update "$work/gen/dirty"
        dirty_case log-oversized refuse-oversized "$work/gen/dirty"
        # A good log, but reached through a symbolic link.
        dirty_case log-symlink two-logs "$work/gen/dirty"
        mkdir "$work/log-symlink/elsewhere"
        mv "$work/log-symlink/SYSTEM.LOG2" "$work/log-symlink/elsewhere/LOG"
        ln -s elsewhere/LOG "$work/log-symlink/SYSTEM.LOG2"
        if [ -f "$FIXTURES/already-blank.hive" ]; then
                "$MKDIRTY" "$work/gen/blank" "$FIXTURES/already-blank.hive" >/dev/null || exit 1
                dirty_case log-ignored-gap-blank refuse-ignored-gap "$work/gen/blank"
        fi
else
        echo "note: MKDIRTY not set: the damaged-log rows are left out" >&2
fi
# A hive with a second name.
cp "$clean" "$(mk hard-link SYSTEM)"
ln "$work/hard-link/SYSTEM" "$work/hard-link/SYSTEM.other-name"
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
qemu_case() { # CASE: a qcow2 (v3) in its folder, 64 MiB, empty
        qemu-img create -q -f qcow2 "$(mk "$1" disk.qcow2)" 64M
}
set_qcow2_bit() { # IMAGE BIT: sets an incompatible feature bit (big-endian at 72)
        python3 - "$1" "$2" <<'PY'
import struct, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(72)
    bits = struct.unpack(">Q", f.read(8))[0] | 1 << int(sys.argv[2])
    f.seek(72)
    f.write(struct.pack(">Q", bits))
PY
}
if command -v qemu-img >/dev/null; then
        qemu-img create -q -f qcow2 -o data_file="$(mk qcow2-data-file other.raw)" \
                "$work/qcow2-data-file/disk.qcow2" 64M
        qemu_case qcow2-unknown-bit && set_qcow2_bit "$work/qcow2-unknown-bit/disk.qcow2" 5
        qemu_case qcow2-corrupt && set_qcow2_bit "$work/qcow2-corrupt/disk.qcow2" 1
        # A PVS vDisk in use, reached through a symbolic link from another
        # folder: the .lok and the versions sit beside the real file.
        for c in lok-via-link versions-via-link; do
                mkdir -p "$work/$c/store"
                qemu-img create -q -f vhdx "$work/$c/store/pvs.vhdx" 64M
                ln -s store/pvs.vhdx "$(mk "$c" pvs.vhdx)"
        done
        : >"$work/lok-via-link/store/pvs.lok"
        : >"$work/versions-via-link/store/pvs.2.avhdx"
else
        echo "note: qemu-img missing: the qcow2 and vDisk rows are left out" >&2
fi
rm -rf "$work/gen"

state() { # PATH: what "no write" compares: the folder, every file's bytes
        ls -lAR --time-style=+ "$(dirname "$1")" | sed 's/^total .*//'
        find -L "$(dirname "$1")" -type f -exec sha256sum {} + 2>/dev/null | sort
}

# "EXIT|PATTERN": the exit code a case must give, and a pattern (grep -E)
# its stderr must hold (empty: any message).  check only reads: on a dirty
# hive whose logs cannot be replayed it reports the file as it is, warns,
# and exits 1 when that file holds stale values, else 2: never 0.
warn='warning: the hive is dirty and its logs cannot be replayed \(transaction log'
expect() { # CASE COMMAND
        case $1:$2 in
        bad-checksum:check) echo "1|" ;;
        log-ignored-gap:scrub) echo "2|LOG1 has a bad base block checksum and LOG2 starts at" ;;
        log-no-dirt:scrub) echo "2|transaction log LOG2 has no dirty vector" ;;
        log-torn:scrub) echo "2|no transaction log can be replayed: LOG1 has torn sequence" ;;
        log-oversized:scrub) echo "2|LOG1 claims 2147479552 bytes of hive bins" ;;
        log-ignored-gap:check | log-no-dirt:check) echo "1|$warn" ;;
        log-torn:check) echo "1|warning: the hive is dirty .*LOG1 has torn sequence" ;;
        log-oversized:check) echo "1|warning: the hive is dirty .*claims 2147479552" ;;
        log-ignored-gap-blank:scrub) echo "2|transaction log" ;;
        log-ignored-gap-blank:check) echo "2|$warn" ;;
        log-symlink:scrub) echo "2|SYSTEM.LOG2 is a symbolic link" ;;
        log-symlink:check) echo "1|warning: .*SYSTEM.LOG2 is a symbolic link" ;;
        hard-link:scrub) echo "2|the hive has 2 hard links" ;;
        hard-link:check) echo "1|" ;;
        data-mid-cell:delete) echo "2|hivex would abort" ;;
        qcow2-data-file:*) echo "2|qcow2 with an external data file" ;;
        qcow2-unknown-bit:*) echo "2|incompatible feature bits vhive does not know \(0x20\)" ;;
        qcow2-corrupt:scrub) echo "2|qcow2 is marked corrupt" ;;
        lok-via-link:scrub) echo "2|pvs.lok beside it" ;;
        versions-via-link:scrub) echo "2|pvs.2.avhdx beside it" ;;
        *) echo "2|" ;;
        esac
}

run_case() { # CASE TARGET COMMAND [ARGS...]: @T@ in ARGS is the target, else it goes last
        name=$1 target=$2 cmd=$3
        shift 3
        case " $* " in *" @T@ "*) ;; *) set -- "$@" @T@ ;; esac
        for a in "$@"; do
                shift
                if [ "$a" = @T@ ]; then set -- "$@" "$target"; else set -- "$@" "$a"; fi
        done
        want=$(expect "$name" "$cmd")
        before=$(state "$target")
        timeout 10 "$VHIVE" "$cmd" "$@" >"$work/out" 2>"$work/err" </dev/null
        rc=$?
        after=$(state "$target")
        msg=$(grep -v '^==' "$work/err" | head -n 1)
        [ -n "$msg" ] || msg=$(head -n 1 "$work/out")
        verdict=ok
        if [ "$rc" -eq 124 ]; then
                verdict="FAIL: hung (killed after 10 s)"
        elif [ "$rc" != "${want%%|*}" ]; then
                verdict="FAIL: exit $rc, expected ${want%%|*}"
        elif [ -z "$msg" ]; then
                verdict="FAIL: no message"
        elif [ -n "${want#*|}" ] && ! grep -Eq -- "${want#*|}" "$work/err"; then
                verdict="FAIL: no message matching '${want#*|}'"
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
        # The scrub edits its values in place and never frees this
        # damaged DWORD's cell: only the delete below is its row.
        [ "$name" = data-mid-cell ] && continue
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
# hivex frees cells on delete without checking them all (it aborted).
run_case data-mid-cell "$work/data-mid-cell/SYSTEM" delete @T@ \
        'ControlSet001\Services\Tcpip\Parameters\Interfaces'
for name in qcow2-data-file qcow2-unknown-bit; do
        [ -d "$work/$name" ] || continue
        for cmd in scrub check; do
                run_case "$name" "$work/$name/disk.qcow2" "$cmd" --backend "$backend"
        done
done
[ -d "$work/qcow2-corrupt" ] &&
        run_case qcow2-corrupt "$work/qcow2-corrupt/disk.qcow2" scrub --backend "$backend"
for name in lok-via-link versions-via-link; do
        [ -d "$work/$name" ] && run_case "$name" "$work/$name/pvs.vhdx" scrub --backend "$backend"
done

{
        echo "case | command | exit | message"
        sort -t '|' -k1,1 -s "$table"
} | tee "$BUILDDIR/badinput-table.txt"
if [ "$failures" -gt 0 ]; then
        echo "$failures case(s) failed" >&2
        exit 1
fi
