#!/bin/bash
# Every format and layout in one invocation per step (a batch takes two
# appliances where two CPUs can run them): dry-run and check leave every image byte-identical;
# scrub changes exactly the expected values, read back by an independent
# route (guestfish + reglookup); qemu-img check passes; --backup keeps the
# originals; one launch (or two) for eleven images.
. "$(dirname "$0")/lib.sh"

mbr="mbr.raw mbr.vhdx mbr-dyn.vhd mbr-fixed.vhd mbr.qcow2"
gpt="gpt.raw gpt.vhdx gpt-dyn.vhd gpt-fixed.vhd gpt.qcow2"
all="$mbr $gpt case.raw"
for img in $all; do
        copy "$img"
done
sums $all > before.sum

# The expected result comes from the hive-file path on the same hives.
cp "$FIXTURES/multi-iface.hive" expect-a.hive
cp "$FIXTURES/one-iface.hive" expect-b.hive
"$VHIVE" scrub expect-a.hive expect-b.hive >/dev/null || fail "scrub of the hive files"

# --- dry run: reports, touches nothing --------------------------------------
expect_rc 0 "scrub --dry-run of 11 images" "$VHIVE" scrub -n --json $all
skip_if_no_appliance err
sha256sum --quiet -c before.sum || fail "scrub --dry-run changed an image"
cp out dry.json
for img in $all; do
        [ "$(json dry.json ".targets[] | select(.path == \"$img\") | .ok")" = true ] ||
                fail "dry run on $img not ok"
done

# --- the scrub: one launch for all --------------------------------------------
expect_rc 0 "scrub of 11 images" "$VHIVE" scrub -v --json --backup bk $all
cp out scrub.json
cp err scrub.err
n=$(launches scrub.err)
[ "$n" -eq "$(batch_launches)" ] && ok "$n appliance launches for 11 images" ||
        fail "$n launches for 11 images, want $(batch_launches)"
check_format() { # IMAGE FORMAT DEVICE
        local got
        got=$(json scrub.json ".targets[] | select(.path == \"$1\") | \"\(.format) \(.device)\"")
        case "$got" in
        "$2 /dev/sd"?"$3") ok "$1: format $2, Windows on partition $3" ;;
        *) fail "$1: format/device '$got', expected '$2 /dev/sdX$3'" ;;
        esac
}
for f in raw:raw vhdx:vhdx dyn.vhd:vpc fixed.vhd:vpc qcow2:qcow2; do
        ext=${f%%:*} fmt=${f#*:}
        [ "$ext" = "${ext#*.}" ] && sep=. || sep=-
        check_format "mbr$sep$ext" "$fmt" 2
        check_format "gpt$sep$ext" "$fmt" 3
done
check_format case.raw raw 1
for img in $mbr; do
        cmp -s bk/$img/SYSTEM "$FIXTURES/multi-iface.hive" ||
                fail "--backup did not keep the original SYSTEM of $img"
        [ -f bk/$img/SYSTEM.LOG1 ] || fail "--backup did not keep SYSTEM.LOG1 of $img"
done
for img in $all; do
        sha256sum --quiet -c <(grep " $img\$" before.sum) 2>/dev/null &&
                fail "$img unchanged by the scrub"
done

# --- format consistency --------------------------------------------------------
for img in mbr.vhdx mbr-dyn.vhd mbr-fixed.vhd mbr.qcow2 gpt.vhdx gpt-dyn.vhd gpt-fixed.vhd \
           gpt.qcow2; do
        fmt=$(json scrub.json ".targets[] | select(.path == \"$img\") | .format")
        rc=0
        qemu-img check -q -f "$fmt" "$img" >qc.out 2>&1 || rc=$?
        # 63: the format has no consistency check (VHD).
        if [ $rc -eq 0 ] || [ $rc -eq 63 ]; then
                ok "qemu-img check $img: $rc"
        else
                fail "qemu-img check $img: exit $rc: $(cat qc.out)"
        fi
done

# --- check after the scrub: clean, and read-only ---------------------------------
sums $all > after.sum
expect_rc 0 "check of 11 scrubbed images" "$VHIVE" check $all
sha256sum --quiet -c after.sum || fail "check changed an image"

# --- read back with guestfish, compare with reglookup -----------------------------
{
        for img in $all; do
                fmt=$(json scrub.json ".targets[] | select(.path == \"$img\") | .format")
                echo "add $img format:$fmt readonly:true"
        done
        echo run
        i=0
        for img in $all; do
                dev=/dev/sd$(printf "\\x$(printf %x $((97 + i)))")
                dir=$(json scrub.json ".targets[] | select(.path == \"$img\") | .windows_config")
                hive=$(json scrub.json ".targets[] | select(.path == \"$img\") | .hive")
                part=$(json scrub.json ".targets[] | select(.path == \"$img\") | .device")
                echo "mount-ro $dev${part##*[a-z]} /"
                echo "download $hive $img.hive"
                echo "ls $dir"
                echo "umount /"
                i=$((i + 1))
        done
} > readback.gf
guestfish < readback.gf > readback.out 2> readback.err || fail "guestfish read-back: $(cat readback.err)"
grep -q '\.vhive-' readback.out && fail "a .vhive temp file was left in an image"
hive_values expect-a.hive > expect-a.txt
hive_values expect-b.hive > expect-b.txt
hive_values "$FIXTURES/multi-iface.hive" > orig-a.txt
for img in $all; do
        case $img in mbr*) want=expect-a.txt ;; *) want=expect-b.txt ;; esac
        hive_values $img.hive > $img.txt
        if diff -u $want $img.txt > $img.diff; then
                ok "$img: SYSTEM read back equals the hive-file scrub"
        else
                fail "$img: SYSTEM read back differs: $(head -20 $img.diff)"
        fi
done
# Exactly the seed values of the three interfaces changed, nothing else.
changed=$(diff orig-a.txt mbr.vhdx.txt | grep '^>' | cut -d, -f1 | sed 's,.*/,,' | sort | uniq -c |
          awk '{print $2 "=" $1}' | tr '\n' ' ')
want="DhcpDefaultGateway=3 DhcpIPAddress=3 DhcpNameServer=3 DhcpServer=3 DhcpSubnetMask=3 "
[ "$changed" = "$want" ] && ok "exactly the 15 stale values changed" ||
        fail "changed values: '$changed', expected '$want'"
grep -q '/Hostname,SZ,WIN10-GOLD' mbr.vhdx.txt || fail "Hostname lost"
grep -q 'DhcpIPAddress,SZ,$' mbr.vhdx.txt || fail "DhcpIPAddress not blank"

finish
