#!/bin/bash
# One image under several names in one batch, and one image's failure
# among others (issue 18, item 8), on one backend:
#   batch.sh appliance DIRECT_TOOL   suite image (one launch for the batch)
#   batch.sh direct DIRECT_TOOL      suite direct
# a.qcow2, a symbolic link and a hard link to it, other.qcow2, an image that
# cannot be opened, one without Windows and one another process reads
# (qemu-nbd -r, as a VM with a read-only drive), in one scrub: the file of
# the three names is opened once (two drives on one file made qemu refuse
# the launch, failing every image; qemu-nbd refused the second name),
# worked on under each name one after the other (the first writes, the
# others find nothing left to do), and only the three bad images fail (the
# read one passed "qemu-img info" and then made the launch fail for all).  The batch also
# holds the appliance's case of item 9: SOFTWARE with CurrentBuildNumber
# and no CurrentBuild, empty logs: a new-format log is written.
set -u
backend=${1:?usage: batch.sh appliance|direct DIRECT_TOOL}
T=$(realpath "${2:?usage: batch.sh appliance|direct DIRECT_TOOL}")
if [ "$backend" = appliance ]; then
        . "$(dirname "$0")/lib.sh" # STAMP, the accelerator, SCRATCH (the current folder)
else
        . "$(dirname "$0")/../lib.sh"
        SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/vhive-batch.XXXXXX")
        trap 'rm -rf "$SCRATCH"' EXIT
        cd "$SCRATCH" || die "no scratch folder"
fi
for prog in mkntfs jq qemu-img; do
        command -v "$prog" >/dev/null || skip "$prog not installed"
done
[ -x "$T" ] || skip "direct-tool $T missing"
HIVE=${FIXTURES:-$BUILDDIR/tests/fixtures}/multi-iface.hive
CFG=/Windows/System32/config
: >empty

# windows IMAGE SOFTWARE-VALUE: a Windows volume as qcow2 (qemu locks it),
# SYSTEM with empty logs, SOFTWARE's CurrentVersion holding the value.
windows() {
        local img=${1%.qcow2}
        printf 'Windows Registry Editor Version 5.00\n\n%s\n%s\n' \
                '[HKEY_LOCAL_MACHINE\SYSTEM\Microsoft\Windows NT\CurrentVersion]' "$2" >"$img.reg"
        "$MAKE_HIVE" "$MKHIVE" "$img.soft" "$img.reg" >/dev/null || die "make-hive $img"
        truncate -s 48M "$img.raw"
        mkntfs -F -f -Q -q "$img.raw" 2>/dev/null || die "mkntfs $img"
        "$T" --volume 0 "$img.raw" raw mkdir /Windows mkdir /Windows/System32 mkdir $CFG \
                create $CFG/SYSTEM "$HIVE" create $CFG/SOFTWARE "$img.soft" \
                create $CFG/SYSTEM.LOG1 empty create $CFG/SYSTEM.LOG2 empty >/dev/null ||
                die "direct-tool $img"
        qemu-img convert -f raw -O qcow2 "$img.raw" "$1" || die "qemu-img convert $img"
        rm -f "$img.raw"
}
windows a.qcow2 '"CurrentBuild"="19045"'
ln -s a.qcow2 link.qcow2
ln a.qcow2 hard.qcow2
cp a.qcow2 other.qcow2
cp a.qcow2 held.qcow2
windows number.qcow2 '"CurrentBuildNumber"="19045"'
printf 'QFI\373' >broken.qcow2 # a qcow2 magic and nothing else
truncate -s 16M nowin.raw
mkntfs -F -f -Q -q nowin.raw 2>/dev/null || die "mkntfs nowin.raw"
sha256sum broken.qcow2 nowin.raw held.qcow2 >bad.sum
qemu-nbd -r -f qcow2 -k "$PWD/held.sock" held.qcow2 &
reader=$!
for _ in $(seq 50); do [ -S held.sock ] && break; sleep 0.1; done
[ -S held.sock ] || die "qemu-nbd -r held.qcow2 did not start"

expect_rc 2 "scrub batch" env VHIVE_BACKEND="$backend" "$VHIVE" scrub -v \
        a.qcow2 link.qcow2 broken.qcow2 held.qcow2 other.qcow2 hard.qcow2 nowin.raw number.qcow2
kill "$reader" && wait "$reader" 2>/dev/null
# An appliance that cannot launch at all is no test of this; one that qemu
# refused because of an image's lock is the bug itself.
if [ "$backend" = appliance ] && ! grep -q 'lock\|another process' err; then
        skip_if_no_appliance err
fi
# The batch opens 4 or more images: split over two appliances where two
# CPUs can run them (image-job.c), one otherwise.
if [ "$backend" = appliance ]; then
        want=$(batch_launches)
        [ "$(launches err)" -eq $want ] && ok "$want appliance launches for the batch" ||
                fail "$(launches err) launches for one batch, want $want"
fi
report() { # IMAGE TEXT: IMAGE's report line ends with TEXT
        if grep -q "^$1: .*$2\$" out; then
                ok "$1: $2"
        else
                fail "$1: want '$2': $(grep "^vhive: $1: \|^$1: [0-9]" err out | tail -n 2)"
        fi
}
report a.qcow2 "15 blanked, 7 already blank, 0 absent, 0 kept: written"
report link.qcow2 "0 blanked, 22 already blank, 0 absent, 0 kept: nothing to change"
report hard.qcow2 "0 blanked, 22 already blank, 0 absent, 0 kept: nothing to change"
report other.qcow2 "15 blanked, 7 already blank, 0 absent, 0 kept: written"
report number.qcow2 "15 blanked, 7 already blank, 0 absent, 0 kept: written"
for name in link.qcow2 hard.qcow2; do
        grep -q "^vhive: $name: the same file as a.qcow2: opened once, worked on after it" err &&
                ok "$name: says it is a.qcow2 again" || fail "$name: no note in err"
done
for name in broken.qcow2 nowin.raw held.qcow2; do
        grep -q "^vhive: $name: " err && ok "$name: fails for itself" || fail "$name: no error"
done
grep -qE "^vhive: held.qcow2: .*(lock|in use|another process)" err &&
        ok "held.qcow2: says it is in use" || fail "held.qcow2: $(grep '^vhive: held.qcow2: ' err)"
failed=$(grep '^vhive: \(a\|link\|hard\|other\|number\)\.qcow2: ' err |
        grep -vc 'the same file as')
[ "$failed" = 0 ] && ok "no good image failed" || fail "$failed good images failed"
sha256sum --quiet -c bad.sum && ok "the bad images untouched" || fail "a bad image changed"

# What was written (read back with direct-tool, outside vhive).
log_type() { # IMAGE LOG: the log's file type (offset 28 of its base block)
        qemu-img convert -f qcow2 -O raw "$1" "$1.raw" || return 1
        "$T" --ro "$1.raw" raw get "$CFG/$2" "$1.$2" >/dev/null || return 1
        od -An -tu4 -j28 -N4 "$1.$2" | tr -d ' '
}
[ "$(log_type number.qcow2 SYSTEM.LOG1)" = 6 ] &&
        ok "number.qcow2: CurrentBuildNumber 19045 gave a new-format log" ||
        fail "number.qcow2: LOG1 file type $(log_type number.qcow2 SYSTEM.LOG1)"
finish
