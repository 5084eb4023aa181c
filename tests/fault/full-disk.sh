#!/bin/sh
# full-disk: vhive scrub on a file system the rewrite does not fit in.
#
# A hive of about 44 KiB (multi-iface plus a 20 KiB value outside the
# scrub's reach) is put on a tmpfs sized to hold it, its logs when it has
# some, and 8 KiB more: the temp file beside it cannot be written.  The
# scrub must exit 2 with a message saying the space ran out, leave the
# target and its logs byte-identical, no temp file, and the free space as
# it was.  Once with the clean hive, once dirty with two logs.
#
# Needs to mount a tmpfs (root): skipped otherwise.
#
# Usage (meson): full-disk.sh FAILSHIM FAULT_TOOL LOG_CHANGES_REG
set -eu
. "$(dirname "$0")/fault-lib.sh"

command -v mount >/dev/null || skip "mount missing"

# A big value: 20 KiB of REG_BINARY, in one .reg line.
{
        printf 'Windows Registry Editor Version 5.00\n\n'
        printf '[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\FaultBlob]\n'
        printf '"Blob"=hex:'
        head -c 20480 /dev/zero | od -An -v -tx1 | tr -s ' \n' ',,' | sed 's/^,//; s/,$//'
        printf '\n'
} >"$tmp/blob.reg"
"$MAKE_HIVE" "$MKHIVE" "$tmp/big.hive" "$FIXTURES_SRC/multi-iface.reg" "$tmp/blob.reg"
"$MAKE_HIVE" "$MKHIVE" "$tmp/big-new.hive" "$FIXTURES_SRC/multi-iface.reg" "$tmp/blob.reg" \
        "$log_changes"
mkdir "$cases/clean" "$cases/dirty"
cp "$tmp/big.hive" "$cases/clean/SYSTEM"
"$tool" mklogged "$tmp/big.hive" "$tmp/big-new.hive" "$cases/dirty/SYSTEM" \
        "$cases/dirty/SYSTEM.LOG1" "$cases/dirty/SYSTEM.LOG2" >/dev/null

mnt=$tmp/mnt
runs=0

on_full_disk() { # NAME
        c=$cases/$1
        need=0
        for f in "$c"/SYSTEM*; do
                need=$((need + ($(size_of "$f") + 4095) / 4096 * 4096))
        done
        size_k=$(((need + 8192) / 1024))
        hive=$(size_of "$c/SYSTEM")
        [ "$hive" -gt 8192 ] || die "$1: the hive ($hive bytes) would fit in the spare room"
        mkdir -p "$mnt"
        mount -t tmpfs -o "size=${size_k}k,mode=0755" tmpfs "$mnt" 2>"$tmp/err" ||
                skip "cannot mount a tmpfs: $(cat "$tmp/err")"
        cleanup_hooks="umount '$mnt' 2>/dev/null || true"
        cp "$c"/SYSTEM* "$mnt/"
        free_before=$(df -P -k "$mnt" | awk 'NR == 2 { print $4 }')
        rc=0
        "$VHIVE" scrub "$mnt/SYSTEM" >"$tmp/out" 2>"$tmp/err" || rc=$?
        runs=$((runs + 1))
        label="$1 hive ($hive bytes) on a ${size_k} KiB tmpfs"
        [ "$rc" = 2 ] || {
                cat "$tmp/out" "$tmp/err" >&2
                die "$label: exit $rc, expected 2"
        }
        grep -qi "^vhive: $mnt/SYSTEM: .*space" "$tmp/err" || {
                cat "$tmp/err" >&2
                die "$label: the message does not say the space ran out"
        }
        for f in "$c"/SYSTEM*; do
                cmp -s "$f" "$mnt/${f##*/}" || die "$label: ${f##*/} changed"
        done
        for f in "$mnt"/* "$mnt"/.[!.]*; do
                [ -e "$f" ] || continue
                case ${f##*/} in
                SYSTEM | SYSTEM.LOG1 | SYSTEM.LOG2) ;;
                *) die "$label: ${f##*/} left behind" ;;
                esac
        done
        free_after=$(df -P -k "$mnt" | awk 'NR == 2 { print $4 }')
        [ "$free_after" = "$free_before" ] ||
                die "$label: $free_before KiB free before, $free_after after"
        echo "full-disk: $label: exit 2: $(sed "s|$mnt/||g" "$tmp/err")"
        umount "$mnt"
        cleanup_hooks=":"
}

on_full_disk clean
on_full_disk dirty
echo "full-disk: PASS: $runs runs"
