#!/bin/bash
# The appliance backend's last lines of defence, which real ntfs-3g never
# reaches (issue 18): its 0x400 check (a reparse point that ntfs-3g shows as
# a plain file: it shows every file with 0x400 as a symbolic link unless a
# reparse plugin presents it, and the appliance has none) and its realpath
# check (a path whose real path leaves the image's volume: the kernel's
# realpath follows only what lstat shows as a link, which the path checks
# refused first).  attrshim.so answers for ntfs-3g; one batch of three
# copies of one image: the first is written as ever, the second's
# SYSTEM.LOG1 says 0x400, the third's SYSTEM.LOG2 leads into the first's
# volume.  Both exit 2 with their message and keep every byte.
. "$(dirname "$0")/lib.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"
[ -f "${ATTR_SHIM:-}" ] || skip "attrshim.so missing"
CFG=Windows/System32/config
for k in a b c; do copy mbr.raw $k.raw; done
sums b.raw c.raw >hostile.sum
sums a.raw >good.sum
expect_rc 2 "scrub batch" env VHIVE_SHIM_REPARSE=/img1/$CFG/SYSTEM.LOG1 \
        VHIVE_SHIM_ESCAPE=/img2/$CFG/SYSTEM.LOG2 LD_PRELOAD="$ATTR_SHIM" VHIVE_BACKEND=appliance \
        "$VHIVE" scrub a.raw b.raw c.raw
skip_if_no_appliance err
says() { # WHAT TEXT
        if grep -qF -- "$2" err; then
                ok "$1"
        else
                fail "$1: no '$2' in: $(grep '^vhive' err)"
        fi
}
says "b.raw: the 0x400 check refuses SYSTEM.LOG1" \
        "vhive: b.raw: $CFG/SYSTEM.LOG1 is a symbolic link or reparse point: refused"
OUT_OF="leads out of the image's Windows volume (to /img0/$CFG/SYSTEM): refused"
says "c.raw: the realpath check refuses SYSTEM.LOG2" \
        "vhive: c.raw: /$CFG/SYSTEM.LOG2 $OUT_OF"
sha256sum --quiet -c hostile.sum && ok "b.raw and c.raw byte-identical" ||
        fail "a refused image changed"
grep -q '^a.raw: .*: written$' out && ok "a.raw: scrubbed" || fail "a.raw: $(cat out)"
sha256sum --quiet -c good.sum 2>/dev/null && fail "a.raw unchanged" || ok "a.raw written"
finish
