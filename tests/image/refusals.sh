#!/bin/bash
# Refusals and batches.  Every refusal exits 2 with its reason and leaves
# the image byte-identical:
#   1. the refusals that need no appliance (differencing VHD and VHDX, qcow2
#      overlay, .lok, version siblings, read-only file, in use): no launch;
#   2. a batch of two good images among every kind of bad one: the good
#      ones are fixed, each bad one reported, exit 2, ONE launch;
#   3. --force and --root override what they should: one launch;
#   4. check reads a hibernated volume that scrub must refuse: one launch.
. "$(dirname "$0")/lib.sh"

# A differencing VHD: footer disk type 4 (both copies), checksums fixed.
make_differencing_vhd() {
        python3 - "$1" <<'EOF'
import struct, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(0, 2)
    for off in (0, f.tell() - 512):
        f.seek(off)
        footer = bytearray(f.read(512))
        footer[60:64] = struct.pack(">I", 4)
        footer[64:68] = b"\0\0\0\0"
        footer[64:68] = struct.pack(">I", ~sum(footer) & 0xffffffff)
        f.seek(off)
        f.write(footer)
EOF
}

# A differencing VHDX: a parent locator item added to the metadata table.
make_differencing_vhdx() {
        python3 - "$1" <<'EOF'
import struct, sys, uuid
with open(sys.argv[1], "r+b") as f:
    f.seek(192 * 1024)
    table = f.read(64 * 1024)
    assert table[:4] == b"regi"
    meta = uuid.UUID("8B7CA206-4790-4B9A-B8FE-575F050F886E").bytes_le
    for e in range(struct.unpack_from("<I", table, 8)[0]):
        guid, off = struct.unpack_from("<16sQ", table, 16 + 32 * e)
        if guid == meta:
            break
    f.seek(off)
    md = bytearray(f.read(64 * 1024))
    assert md[:8] == b"metadata"
    n = struct.unpack_from("<H", md, 10)[0]
    entry = bytearray(md[32:64])
    entry[:16] = uuid.UUID("A8D35F2D-B30B-454D-ABF7-D3D84834AB0C").bytes_le
    md[32 + 32 * n:64 + 32 * n] = entry
    struct.pack_into("<H", md, 10, n + 1)
    f.seek(off)
    f.write(md)
EOF
}

# --- 1. refused before any launch -------------------------------------------------
copy mbr-dyn.vhd diff.vhd && make_differencing_vhd diff.vhd
copy gpt.vhdx diffx.vhdx && make_differencing_vhdx diffx.vhdx
copy mbr.vhdx lok.vhdx && : > lok.lok
copy gpt.vhdx base.vhdx && : > base.2.avhdx
copy mbr.qcow2 ro.qcow2 && chmod 0444 ro.qcow2
qemu-img create -q -f qcow2 -b ro.qcow2 -F qcow2 overlay.qcow2
early="diff.vhd diffx.vhdx lok.vhdx base.vhdx ro.qcow2 overlay.qcow2"
sums $early > early.sum
expect_rc 2 "scrub of six images refused without an appliance" \
        "$VHIVE" scrub -v $early
[ "$(launches err)" -eq 0 ] && ok "no launch" || fail "$(launches err) launches for nothing"
expect_msg() { # IMAGE TEXT [JSON]: the error printed on stderr, or in the JSON report
        local line
        if [ $# -eq 3 ]; then
                line=$(json "$3" ".targets[] | select(.path == \"$1\") | .error // empty")
        else
                line=$(grep "^vhive: $1: " err)
        fi
        if grep -q -- "$2" <<< "$line"; then
                ok "$1: says '$2'"
        else
                fail "$1: no message with '$2': $line"
        fi
}
expect_msg diff.vhd "differencing VHD (footer disk type 4).*merge the chain"
expect_msg diffx.vhdx "differencing VHDX.*parent locator"
expect_msg lok.vhdx "in use: lok.lok beside it.*--force"
expect_msg base.vhdx "has versions (base.2.avhdx beside it).*DataWriteGuid.*--force"
expect_msg ro.qcow2 "read-only.*--dry-run"
expect_msg overlay.qcow2 "qcow2 overlay.*backing file"
sha256sum --quiet -c early.sum || fail "a refused image changed"
# An image a running VM holds (qemu-io here) is reported, not launched.
copy mbr.qcow2 busy.qcow2
# qemu-io says when it has the image open (line-buffered, so the line
# comes at once); it then sleeps, holding the image's lock.  Nothing may
# probe the image while it starts: a probe's own lock (qemu-img info takes
# one) would make qemu-io's open fail.
stdbuf -oL qemu-io -f qcow2 -c 'read 0 512' -c 'sleep 600000' busy.qcow2 > holder.out \
        2> holder.err &
holder=$!
for _ in $(seq 900); do # up to three minutes on a loaded machine
        grep -q '^read 512/512' holder.out && break
        if ! kill -0 "$holder" 2>/dev/null; then
                fail "qemu-io exited: $(cat holder.out holder.err)"
                break
        fi
        sleep 0.2
done
grep -q '^read 512/512' holder.out || fail "qemu-io did not open busy.qcow2: $(cat holder.err)"
qemu-img info -f qcow2 busy.qcow2 > /dev/null 2>&1 &&
        fail "qemu-io holds busy.qcow2 but qemu-img sees no lock"
expect_rc 2 "check of an image in use" "$VHIVE" check -v busy.qcow2
expect_msg busy.qcow2 "in use (a running VM?).*lock.*shut it down"
[ "$(launches err)" -eq 0 ] && ok "no launch" || fail "$(launches err) launches for nothing"
kill "$holder"
wait "$holder" 2>/dev/null

# Differencing disks are refused even for reading; the rest only for writing.
expect_rc 2 "check of a differencing VHD" "$VHIVE" check diff.vhd
expect_msg diff.vhd "differencing VHD"

# --- 2. a batch: good ones fixed, bad ones reported, one launch ----------------------
copy mbr.vhdx good1.vhdx
copy gpt.qcow2 good2.qcow2
copy tworoots.raw
copy nowin.raw
copy hiber.raw
# qcow2 magic and version 3, a zeroed header (no backing file, no feature
# bits, cluster size 0), garbage after: damaged, for qemu to reject.
head -c 1048576 /dev/urandom > junk.qcow2
{ printf 'QFI\373\0\0\0\3'; head -c 96 /dev/zero; } |
        dd of=junk.qcow2 conv=notrunc status=none
bad="lok.vhdx base.vhdx diff.vhd tworoots.raw nowin.raw hiber.raw junk.qcow2 ro.qcow2"
sums $bad > bad.sum
expect_rc 2 "batch of 2 good and 8 bad images" \
        "$VHIVE" scrub -v --json good1.vhdx $bad good2.qcow2
skip_if_no_appliance err
n=$(launches err)
[ "$n" -ge 1 ] && [ "$n" -le "$(batch_launches)" ] && ok "$n launches for the batch" ||
        fail "$n launches for a batch, want 1 to $(batch_launches)"
cp out batch.json
expect_msg tworoots.raw "several Windows roots (/dev/sd.1, /dev/sd.2).*--root" batch.json
expect_msg nowin.raw "no Windows found" batch.json
expect_msg hiber.raw "Windows was hibernated or shut down with Fast Startup.*hiberfil.sys" batch.json
expect_msg junk.qcow2 "cannot be opened as qcow2" batch.json
sha256sum --quiet -c bad.sum || fail "a refused image of the batch changed"
for img in good1.vhdx good2.qcow2; do
        [ "$(json batch.json ".targets[] | select(.path == \"$img\") | \"\(.ok) \(.written)\"")" \
                = "true true" ] && ok "$img fixed in the batch" || fail "$img not fixed"
done

# --- 3. --force and --root ---------------------------------------------------------
# good1 again: already fixed by the batch, so nothing left to blank.
expect_rc 0 "--force over .lok and versions, --root 2 for two roots" \
        "$VHIVE" scrub -v --json --force --root 2 good1.vhdx lok.vhdx tworoots.raw
[ "$(launches err)" -eq 1 ] && ok "one launch" || fail "$(launches err) launches"
cp out force.json
for t in "good1.vhdx false" "lok.vhdx true" "tworoots.raw true"; do
        set -- $t
        got=$(json force.json ".targets[] | select(.path == \"$1\") | .written")
        [ "$got" = "$2" ] && ok "$1 written: $got" || fail "$1 written: $got, expected $2"
done
[ "$(json force.json '.targets[] | select(.path == "tworoots.raw") | .device')" = /dev/sdc2 ] &&
        ok "--root 2 picked partition 2" || fail "--root 2 did not pick /dev/sdc2"

# --- 4. read-only work on a hibernated volume; good2 was fixed by the batch -----------
sums hiber.raw good2.qcow2 > ro.sum
expect_rc 1 "check of a hibernated volume (stale) and a fixed image" \
        "$VHIVE" check --json hiber.raw good2.qcow2
cp out check.json
[ "$(json check.json '.targets[] | select(.path == "good2.qcow2") | .ok')" = true ] &&
        ok "good2.qcow2 checks clean" || fail "good2.qcow2 does not check clean"
sha256sum --quiet -c ro.sum || fail "check changed an image"

finish
