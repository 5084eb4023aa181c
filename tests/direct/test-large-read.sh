#!/bin/bash
# Large reads through the direct backend: a 6 MiB file in several
# non-contiguous runs (its growth interleaved with other files on a small
# volume) downloads byte-exact from raw, vhdx and qcow2 containers, with
# several NBD reads in flight at once (LIBNBD_DEBUG's trace), and a read
# after an in-place write in the same session sees the new bytes; qemu-nbd
# runs with glibc malloc settings that keep its request buffers.
#
# usage: test-large-read.sh DIRECT_TOOL
set -euo pipefail

T=$(realpath "${1:?usage: test-large-read.sh DIRECT_TOOL}")
# skip, ok, fail, die, assert, expect_rc, finish
. "$(dirname "$0")/../lib.sh"
for prog in mkntfs qemu-img qemu-nbd ntfsinfo ntfscat; do
        command -v "$prog" >/dev/null || skip "$prog not installed"
done

# check WHAT CMD...: CMD succeeds
check() {
        local what=$1
        shift
        if "$@"; then ok "$what"; else fail "$what"; fi
}

W=$(mktemp -d "${TMPDIR:-/tmp}/test-large-read.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W"

# Not a multiple of anything: the last piece is a partial cluster.
head -c $((6 * 1024 * 1024 + 777)) /dev/urandom >big
head -c $((6 * 1024 * 1024 + 777)) /dev/urandom >big2
head -c $((512 * 1024)) big >part0
: >empty

# A grows by 512 KiB after every third 512 KiB file: on a 20 MiB volume
# its clusters end up in scattered runs, not in file order.
truncate -s 20M vol.raw
mkntfs -F -f -Q -q vol.raw 2>/dev/null
args=(create /A part0)
for i in $(seq 1 12); do
        args+=(create "/X$i" part0)
        if ((i % 3 == 0)); then
                head -c $((i / 3 * 1024 * 1024 + 512 * 1024)) big >"part$i"
                args+=(put /A "part$i")
        fi
done
args+=(put /A big)
"$T" --volume 0 vol.raw raw "${args[@]}" || die "building the volume failed"
runs=$(ntfsinfo -v -F /A vol.raw | sed -n 's/^Total runs: \([0-9]*\).*/\1/p')
check "the 6 MiB file lies in several runs (${runs:-?})" test "${runs:-0}" -ge 3
ntfscat vol.raw /A >cat.out
check "ntfs-3g reads back what was written" cmp -s cat.out big

qemu-img convert -f raw -O vhdx vol.raw vol.vhdx
qemu-img convert -f raw -O qcow2 vol.raw vol.qcow2

# max_in_flight DEBUGLOG: the most NBD reads issued and not yet completed.
max_in_flight() {
        awk '/nbd_aio_pread: leave: ret=[0-9]/ { if (++n > m) m = n }
             /nbd_aio_command_completed: leave: ret=1/ { n-- }
             END { print m + 0 }' "$1"
}

for fmt in raw vhdx qcow2; do
        rm -f out
        LIBNBD_DEBUG=1 "$T" --ro --volume 0 "vol.$fmt" "$fmt" get /A out 2>debug.log ||
                fail "$fmt: get failed: $(grep -v 'libnbd: debug' debug.log | tail -3)"
        check "$fmt: no sanitizer report" \
                test -z "$(grep -E 'AddressSanitizer|runtime error:' debug.log)"
        check "$fmt: the fragmented file downloads byte-exact" cmp -s out big
        n=$(max_in_flight debug.log)
        check "$fmt: several reads in flight at once ($n)" test "$n" -ge 2
done

# qemu-nbd gets the malloc settings that keep its request buffers, once,
# and the caller's own after them (the last one of a name wins).
if command -v strace >/dev/null; then
        # LeakSanitizer does not work under ptrace
        ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
                GLIBC_TUNABLES=glibc.malloc.arena_max=2 strace -f -e trace=execve -v -s 2000 \
                -o exec.log "$T" --ro --volume 0 vol.raw raw size /A >/dev/null ||
                fail "size under strace failed"
        tun=$(grep 'execve("[^"]*qemu-nbd"' exec.log | tail -n 1 | grep -o 'GLIBC_TUNABLES=[^"]*')
        want=GLIBC_TUNABLES=glibc.malloc.mmap_threshold=8388608
        want+=:glibc.malloc.trim_threshold=33554432:glibc.malloc.arena_max=2
        check "qemu-nbd's GLIBC_TUNABLES (${tun:-none})" test "$tun" = "$want"
else
        echo "strace not installed: qemu-nbd's environment not checked"
fi

# In one session: an in-place write, then a download of the same file.
for fmt in raw vhdx; do
        rm -f out
        cp "vol.$fmt" "w.$fmt"
        "$T" --volume 0 "w.$fmt" "$fmt" put /A big2 get /A out || fail "$fmt: put + get failed"
        check "$fmt: a read after a write sees the new bytes" cmp -s out big2
done
qemu-img convert -f vhdx -O raw w.vhdx w2.raw
ntfscat w.raw /A >cat.out
check "raw: ntfs-3g reads the written bytes" cmp -s cat.out big2
ntfscat w2.raw /A >cat.out
check "vhdx: ntfs-3g reads the written bytes" cmp -s cat.out big2

finish
