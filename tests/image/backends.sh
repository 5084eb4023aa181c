#!/bin/bash
# The image matrix across both backends: what the direct backend writes,
# the appliance backend and guestfish read back, and the other way round.
# Formats (raw, VHDX, VHD dynamic and fixed, qcow2), layouts (MBR, GPT, other
# letter case), read-only work, refusals and a batch on the direct backend.
# Three appliance launches in all.
. "$(dirname "$0")/lib.sh"

mbr="mbr.raw mbr.vhdx mbr-dyn.vhd mbr-fixed.vhd mbr.qcow2"
gpt="gpt.raw gpt.vhdx gpt-dyn.vhd gpt-fixed.vhd gpt.qcow2"
names="$mbr $gpt case.raw"
direct="" appliance=""
for img in $names; do
        copy "$img" "d-$img"
        copy "$img" "a-$img"
        direct="$direct d-$img"
        appliance="$appliance a-$img"
done

# What a scrub must give: the hive-file path on the same hives.
cp "$FIXTURES/multi-iface.hive" expect-a.hive
cp "$FIXTURES/one-iface.hive" expect-b.hive
"$VHIVE" scrub expect-a.hive expect-b.hive >/dev/null || fail "scrub of the hive files"
expected_for() { # IMAGE -> the expected hive
        case $1 in *mbr*) echo expect-a.hive ;; *) echo expect-b.hive ;; esac
}

# --- direct: read-only work leaves every image byte-identical -----------------
sums $direct > before.sum
expect_rc 1 "direct: check of 11 images finds stale values" env VHIVE_BACKEND=direct "$VHIVE" check $direct
expect_rc 0 "direct: scrub --dry-run of 11 images" env VHIVE_BACKEND=direct "$VHIVE" scrub -n $direct
sha256sum --quiet -c before.sum && ok "direct: check and dry run left the images identical" ||
        fail "direct: check or dry run changed an image"

# --- direct writes ----------------------------------------------------------------
expect_rc 0 "direct: scrub of 11 images" env VHIVE_BACKEND=direct "$VHIVE" scrub --json $direct
cp out direct.json
for img in $direct; do
        case $img in *.vhdx) fmt=vhdx ;; *.qcow2) fmt=qcow2 ;; *) continue ;; esac
        qemu-img check -q -f $fmt "$img" >qc.out 2>&1 && ok "qemu-img check $img" ||
                fail "qemu-img check $img: $(cat qc.out)"
done

# ... read back by the appliance backend (one launch) ...
expect_rc 0 "appliance: check of the 11 images the direct backend wrote" \
        env VHIVE_BACKEND=appliance "$VHIVE" check $direct
skip_if_no_appliance err

# ... and by guestfish + reglookup (one launch).
{
        for img in $direct; do
                fmt=$(json direct.json ".targets[] | select(.path == \"$img\") | .format")
                echo "add $img format:$fmt readonly:true"
        done
        echo run
        i=0
        for img in $direct; do
                dev=/dev/sd$(printf "\\x$(printf %x $((97 + i)))")
                part=$(json direct.json ".targets[] | select(.path == \"$img\") | .device")
                hive=$(json direct.json ".targets[] | select(.path == \"$img\") | .hive")
                echo "mount-ro $dev${part//[^0-9]/} /"
                echo "download $hive $img.hive"
                echo "umount /"
                i=$((i + 1))
        done
} > readback.gf
guestfish < readback.gf > readback.out 2> readback.err || fail "guestfish read-back: $(cat readback.err)"
for img in $direct; do
        hive_values "$(expected_for "$img")" > want.txt
        hive_values "$img.hive" > got.txt
        diff -u want.txt got.txt > "$img.diff" &&
                ok "$img: guestfish reads what the hive-file scrub gives" ||
                fail "$img: read back differs: $(head -20 "$img.diff")"
done

# --- the appliance writes, the direct backend reads (one launch) ---------------------
# In one appliance (VHIVE_APPLIANCES=1; a batch is split over two by
# default): its round trips are counted below.
expect_rc 0 "appliance: scrub of 11 images" \
        env LIBGUESTFS_TRACE=1 VHIVE_APPLIANCES=1 VHIVE_BACKEND=appliance "$VHIVE" scrub $appliance
# Each barrier of a commit flushes its own image only: an fsync of the
# partition (the device node appliance-raw.c makes), or of a log file that
# grew, in the appliance; never guestfs_sync (every disk of the run).
grep '^libguestfs: trace: ' err > trace.txt
syncs=$(grep -c '^libguestfs: trace: sync$' trace.txt || true)
barrier='^libguestfs: trace: debug "sh" "exec sync -- .*'
barrier+='(/Windows/System32/config/SYSTEM|/\.vhive-blk-)'
fsyncs=$(grep -cE "$barrier" trace.txt || true)
# The hive is written in its clusters, around ntfs-3g, which would rewrite
# its MFT record (file times) with each write: a torn record at a power cut.
raw=$(grep -c '^libguestfs: trace: pwrite "/\.vhive-blk-' trace.txt || true)
fuse=$(grep -cE '^libguestfs: trace: pwrite "/img[0-9]+/Windows/System32/config/SYSTEM"' \
        trace.txt || true)
[ "$raw" -ge 33 ] && [ "$fuse" -eq 0 ] &&
        ok "appliance: SYSTEM written in its clusters ($raw writes), never through ntfs-3g" ||
        fail "appliance: $raw writes in the clusters, $fuse writes of SYSTEM through ntfs-3g"
[ "$syncs" -eq 0 ] && ok "appliance: no guestfs_sync in the commits" ||
        fail "appliance: $syncs guestfs_sync calls (every disk flushed for one image's barrier)"
# and no sync of the whole appliance at the end (autosync off: the barriers
# flushed each image already; a sync flushes every disk again).
autosyncs=$(grep -c '^libguestfs: trace: internal_autosync$' trace.txt || true)
[ "$autosyncs" -eq 0 ] && ok "appliance: no autosync at the shutdown" ||
        fail "appliance: autosync at the shutdown (every disk flushed again)"
[ "$fsyncs" -ge 44 ] && ok "appliance: $fsyncs fsyncs of one image each for 11 commits" ||
        fail "appliance: $fsyncs fsyncs of one image each for 11 commits, want at least 4 each"
# Round trips per image (issue 17: 8 images in 1.6x one): the hive and its
# logs are copied out with guestfs_pread, not guestfs_download (0.3-1.1 s a
# file under TCG), and each image's Windows volume is mounted once, for
# writing, without a read-only probe mount and its unmount before (the MBR
# images' "System Reserved" is still probed read-only: one each); and once
# again after its empty LOG1 grew (appliance-grow.c: an unmount, vhive's
# NTFS code in the appliance, a mount).
downloads=$(grep -c '^libguestfs: trace: download "' trace.txt || true)
ro=$(grep -c '^libguestfs: trace: mount_ro "' trace.txt || true)
rw=$(grep -c '^libguestfs: trace: mount_options "' trace.txt || true)
[ "$downloads" -eq 0 ] && ok "appliance: no guestfs_download" ||
        fail "appliance: $downloads guestfs_download calls for 11 images"
[ "$ro" -le 5 ] && [ "$rw" -eq 22 ] &&
        ok "appliance: one mount of each Windows volume, and one after its log grew" ||
        fail "appliance: $ro read-only and $rw read-write mounts for 11 images, want 22"
# The partitions of all the images are probed by one blkid -p, in one round
# trip, not one guestfs_blkid each (0.3-0.9 s a device under TCG).
blkids=$(grep -c '^libguestfs: trace: blkid "' trace.txt || true)
batched=$(grep -c '^libguestfs: trace: debug "sh" ".*blkid -c /dev/null -p -o export' trace.txt ||
        true)
[ "$blkids" -eq 0 ] && [ "$batched" -eq 1 ] && ok "appliance: one blkid for every partition" ||
        fail "appliance: $blkids guestfs_blkid and $batched batched probes for 11 images"
# The drives and partitions come from udev's names in one shell, not from
# guestfs_list_devices and guestfs_list_partitions (each opens every disk:
# 0.77 s with 8 images under TCG).
lists=$(grep -c '^libguestfs: trace: list_\(devices\|partitions\)$' trace.txt || true)
byid=$(grep -c '^libguestfs: trace: debug "sh" "cd /dev/disk/by-id' trace.txt || true)
[ "$lists" -eq 0 ] && [ "$byid" -eq 1 ] && ok "appliance: the 11 drives listed in one round trip" ||
        fail "appliance: $lists list_devices/list_partitions and $byid listings by udev's names"
# and each image's Windows volume stays mounted until the end, when one
# umount lets go of all (an unmount per image was 0.3-0.7 s under TCG); only
# the read-only probes of "System Reserved" are unmounted one by one, and
# each volume once for its log's growth.
umounts=$(grep -c '^libguestfs: trace: umount "' trace.txt || true)
batched=$(grep -c '^libguestfs: trace: debug "sh" "exec umount "$root"/img0 .*/img10"' trace.txt ||
        true)
[ "$umounts" -le $((ro + 11)) ] && [ "$batched" -eq 1 ] && ok "appliance: one umount for the 11 images" ||
        fail "appliance: $umounts guestfs_umount ($ro probes) and $batched umount of all"
expect_rc 0 "direct: check of the 11 images the appliance wrote" \
        env VHIVE_BACKEND=direct "$VHIVE" check $appliance
key='HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters'
for img in a-mbr.vhdx a-gpt.qcow2 a-case.raw; do
        "$VHIVE" export "$(expected_for "$img")" "$key" > want.reg 2>&1
        VHIVE_BACKEND=direct "$VHIVE" export "$img" "$key" > got.reg 2>err
        cmp -s want.reg got.reg && ok "$img: direct export equals the hive file's" ||
                fail "$img: direct export differs: $(diff want.reg got.reg | head -10) $(cat err)"
done

# --- refusals and choices on the direct backend (no appliance) ---------------------------
copy mbr.vhdx lok.vhdx && : > lok.lok
copy mbr.vhdx base.vhdx && : > base.2.avhdx
copy mbr-dyn.vhd diff.vhd
python3 - diff.vhd <<'PY'
import struct, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(-512, 2)
    footer = bytearray(f.read(512))
    footer[60:64] = struct.pack(">I", 4)          # differencing
    footer[64:68] = b"\0\0\0\0"
    footer[64:68] = struct.pack(">I", ~sum(footer) & 0xffffffff)
    f.seek(-512, 2)
    f.write(footer)
PY
copy tworoots.raw two.raw
copy nowin.raw nowin.raw
copy hiber.raw hiber.raw
sums lok.vhdx base.vhdx diff.vhd two.raw nowin.raw hiber.raw > refused.sum
for t in lok.vhdx:'in use' base.vhdx:'has versions' diff.vhd:'differencing VHD' \
         two.raw:'several Windows' nowin.raw:'no Windows' hiber.raw:'hibernat'; do
        img=${t%%:*} why=${t#*:}
        expect_rc 2 "direct: scrub of $img refused" env VHIVE_BACKEND=direct "$VHIVE" scrub "$img"
        grep -qi "$why" err && ok "$img: says '$why'" || fail "$img: no '$why' in: $(cat err)"
done
sha256sum --quiet -c refused.sum && ok "refused images unchanged" || fail "a refused image changed"
expect_rc 0 "direct: --root 2 picks one of two Windows" \
        env VHIVE_BACKEND=direct "$VHIVE" scrub --root 2 two.raw

# --- a batch with bad members: the good ones are fixed, exit 2 ----------------------------
copy mbr.vhdx b1.vhdx
copy gpt.qcow2 b2.qcow2
copy nowin.raw b3.raw
expect_rc 2 "direct: batch of 2 good and 2 bad images" \
        env VHIVE_BACKEND=direct "$VHIVE" scrub b1.vhdx b3.raw b2.qcow2 diff.vhd
expect_rc 0 "direct: the good members of the batch are clean" \
        env VHIVE_BACKEND=direct "$VHIVE" check b1.vhdx b2.qcow2

# --- a dirty hive inside an image: replayed, committed through its logs ------------------
real=${SHARED_FIXTURES:-}/real-hives
if [ -f "$real/SYSTEM_B.xz" ]; then
        mkdir dirty && for f in SYSTEM_B SYSTEM_B.LOG1 SYSTEM_B.LOG2; do
                xz -dc "$real/$f.xz" > "dirty/${f/SYSTEM_B/SYSTEM}"
        done
        cp dirty/SYSTEM dirty/SYSTEM.LOG1 dirty/SYSTEM.LOG2 . && mv SYSTEM expect-dirty.hive &&
                mv SYSTEM.LOG1 expect-dirty.hive.LOG1 && mv SYSTEM.LOG2 expect-dirty.hive.LOG2
        "$VHIVE" scrub expect-dirty.hive >/dev/null || fail "scrub of the dirty hive file"
        copy gpt.raw dirty-d.raw
        guestfish -a dirty-d.raw <<GF || fail "guestfish: putting the dirty hive into an image"
run
mount /dev/sda3 /
upload dirty/SYSTEM /Windows/System32/config/SYSTEM
upload dirty/SYSTEM.LOG1 /Windows/System32/config/SYSTEM.LOG1
upload dirty/SYSTEM.LOG2 /Windows/System32/config/SYSTEM.LOG2
GF
        cp --sparse=always dirty-d.raw dirty-a.raw
        ikey='HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters\Interfaces'
        "$VHIVE" export expect-dirty.hive "$ikey" > want.reg
        for b in direct appliance; do
                img=dirty-${b:0:1}.raw
                expect_rc 0 "$b: scrub of a dirty hive in an image" \
                        env VHIVE_BACKEND=$b "$VHIVE" scrub "$img"
                grep -q "logs replayed" out && ok "$b: says the logs were replayed" ||
                        fail "$b: no replay in: $(cat out)"
                VHIVE_BACKEND=direct "$VHIVE" info --json "$img" > info.json 2>&1
                # The logs stay (never truncated), in Windows 10's format.
                [ "$(json info.json '.targets[0].hive_state.dirty')" = false ] &&
                        [ "$(json info.json '.targets[0].logs.logs[0].format')" = 'new (HvLE)' ] &&
                        [ "$(json info.json '.targets[0].logs.logs[1].format')" = 'new (HvLE)' ] &&
                        ok "$b: clean hive, the logs kept in the new format" ||
                        fail "$b: hive state after the scrub: $(cat info.json)"
                VHIVE_BACKEND=direct "$VHIVE" export "$img" "$ikey" > got.reg
                cmp -s want.reg got.reg && ok "$b: the image holds the replayed, scrubbed values" ||
                        fail "$b: values differ from the hive-file path: $(diff want.reg got.reg | head)"
        done
else
        echo "skipped: no $real (the dirty-hive-in-an-image case needs the real SYSTEM_B)"
fi

finish
