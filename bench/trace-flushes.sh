#!/usr/bin/env bash
# trace-flushes.sh IMAGE [FORMAT]: which image files qemu fdatasyncs for each
# kind of barrier the appliance could use (issue 17, item 3).  One guestfish
# launch with two private copies of IMAGE (A and B, the Windows volume
# /dev/sdX2 of each mounted), qemu run under strace through LIBGUESTFS_HV;
# after a write to a file of A, in turn:
#   fsync-file   debug sh "sync FILE": fsync of the file inside the appliance
#                (ntfs-3g's FUSE fsync syncs its device: a FLUSH to that disk)
#   sync         guestfs_sync: sync(2), then fsync of every non-root disk
#   flushbufs    blockdev-flushbufs /dev/sda (BLKFLSBUF)
# Prints, per phase, the fdatasync/fsync calls on each image file.
# LIBGUESTFS_BACKEND_SETTINGS=force_tcg is kept from the environment.
set -euo pipefail

src=${1:?usage: trace-flushes.sh IMAGE [FORMAT]}
fmt=${2:-vhdx}
command -v strace >/dev/null || { echo "trace-flushes.sh: strace not installed" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/vhive-trace.XXXXXX")
# Under strace, the pid libguestfs stops at the end is strace's: its qemu
# child would stay behind.  The wrapper's pid (strace's after exec) is kept.
cleanup() {
        local p
        for p in "$work"/pid.*; do
                if [ -f "$p" ]; then pkill -KILL -P "$(cat "$p")" 2>/dev/null || true; fi
        done
        rm -rf "$work"
}
trap cleanup EXIT
cp --sparse=always "$src" "$work/A.$fmt"
cp --sparse=always "$src" "$work/B.$fmt"
mkdir "$work/strace"
cat >"$work/hv" <<EOF
#!/bin/sh
echo \$\$ >"$work/pid.\$\$"
exec strace -f -y -tt -e trace=fdatasync,fsync -o "$work/strace/qemu.\$\$" qemu-system-x86_64 "\$@"
EOF
chmod +x "$work/hv"
f=/Windows/System32/config/SYSTEM.LOG1
# Its stderr: libguestfs says that the (stopped) hypervisor was killed.
LIBGUESTFS_HV=$work/hv guestfish >"$work/marks" 2>"$work/gf.err" <<GF &
add $work/A.$fmt format:$fmt
add $work/B.$fmt format:$fmt
run
mount-options noatime /dev/sda2 /
mkmountpoint /b
mount-options noatime /dev/sdb2 /b
pwrite $f "hello" 0
!echo "fsync-file \$(date +%T.%N)"
debug sh "sync /sysroot$f"
pwrite $f "hellp" 0
!echo "sync \$(date +%T.%N)"
sync
pwrite $f "hellq" 0
!echo "flushbufs \$(date +%T.%N)"
blockdev-flushbufs /dev/sda
!echo "end \$(date +%T.%N)"
GF
gf=$!
until grep -q '^end ' "$work/marks" 2>/dev/null; do
        kill -0 "$gf" 2>/dev/null || break
        sleep 1
done
sleep 2
for p in "$work"/pid.*; do pkill -KILL -P "$(cat "$p")" 2>/dev/null || true; done
wait "$gf" || true
grep -hE 'fdatasync|fsync' "$work"/strace/* | awk '{ print $2, $3 }' | sort >"$work/calls"
python3 - "$work/marks" "$work/calls" <<'PY'
import re, sys
marks = [l.split() for l in open(sys.argv[1]) if re.match(r"^(fsync-file|sync|flushbufs|end) ", l)]
calls = [l.split(None, 1) for l in open(sys.argv[2])]
for (name, t0), (_, t1) in zip(marks, marks[1:]):
    seen = {}
    for t, c in calls:
        if t0[:15] <= t < t1[:15]:
            m = re.search(r"<([^>]*)>", c)
            f = m.group(1).rsplit("/", 1)[-1] if m else "?"
            seen[f] = seen.get(f, 0) + 1
    print("%-10s %s" % (name, ", ".join("%s x%d" % kv for kv in sorted(seen.items())) or "none"))
PY
