#!/bin/bash
# The direct backend end to end, without the appliance: NTFS volumes made
# with mkntfs, files put in through our own NTFS layer, MBR/GPT assembled
# with sfdisk, converted with qemu-img to vpc/vhdx/qcow2.  After every
# write, ntfs-3g's own tools (ntfsfix --no-action, ntfsls, ntfscat) judge
# the volume, and qemu-img check the container.
#
# usage: test-direct.sh DIRECT_TOOL
set -euo pipefail

T=$(realpath "${1:?usage: test-direct.sh DIRECT_TOOL}")
# skip, ok, fail, die, assert, expect_rc, finish
. "$(dirname "$0")/../lib.sh"
for prog in mkntfs sfdisk qemu-img qemu-nbd ntfsfix ntfsls ntfscat; do
        command -v "$prog" >/dev/null || skip "$prog not installed"
done

W=$(mktemp -d "${TMPDIR:-/tmp}/test-direct.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W"
CFG=/WINDOWS/system32/Config
TAB=$'\t'
NL=$'\n'
# expect_fail WHAT NEEDLE CMD...: CMD fails and says NEEDLE
expect_fail() {
        local what=$1 needle=$2 out
        shift 2
        if out=$("$@" 2>&1); then
                fail "$what: succeeded"
        elif [[ $out != *"$needle"* ]]; then
                fail "$what: \"$needle\" not in: $out"
        else
                ok "$what ($out)"
        fi
}

# ---- content and volumes ----------------------------------------------------

head -c $((3 * 1024 * 1024 + 123)) /dev/urandom >sys1
head -c $((7 * 1024 * 1024 + 4567)) /dev/urandom >sys2 # grows
head -c $((300 * 1024)) /dev/urandom >sys3              # shrinks
head -c 600 /dev/urandom >tiny                          # resident in the MFT
head -c 65536 /dev/urandom >log1
head -c 1000 /dev/urandom >soft
# In-place writes keep a file's size: what a shorter write leaves.
cp sys2 exp3 && dd if=sys3 of=exp3 conv=notrunc status=none
cp soft exptiny && dd if=tiny of=exptiny conv=notrunc status=none

new_ntfs() { # FILE MiB
        rm -f "$1"
        truncate -s "$2M" "$1"
        mkntfs -F -f -Q -q "$1" 2>/dev/null
}

windows_volume() { # FILE
        new_ntfs "$1" 48
        "$T" --volume 0 "$1" raw mkdir /WINDOWS mkdir /WINDOWS/system32 mkdir $CFG \
                create $CFG/SYSTEM sys1 create $CFG/SYSTEM.LOG1 log1 create $CFG/SOFTWARE soft
}

windows_volume win.ntfs
new_ntfs data.ntfs 16
"$T" --volume 0 data.ntfs raw mkdir /Users mkdir /Users/Public

# ---- disks --------------------------------------------------------------------

place() { # DISK FILE START_SECTOR
        dd if="$2" of="$1" bs=512 seek="$3" conv=notrunc status=none
}

make_mbr() { # OUT P1 P2 (volumes for partitions 1 and 2)
        rm -f "$1"
        truncate -s 80M "$1"
        sfdisk -q "$1" >/dev/null <<EOF
label: dos
start=2048, size=$((16 * 2048)), type=7
start=$((18 * 2048)), size=$((48 * 2048)), type=7
EOF
        place "$1" "$2" 2048
        place "$1" "$3" $((18 * 2048))
}

make_gpt() { # OUT VOLUME: EFI, MSR, basic data at partition 3
        rm -f "$1"
        truncate -s 80M "$1"
        sfdisk -q "$1" >/dev/null <<EOF
label: gpt
start=2048, size=$((8 * 2048)), type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
start=$((10 * 2048)), size=$((4 * 2048)), type=E3C9E316-0B5C-4DB8-817D-F92DF00215AE
start=$((16 * 2048)), size=$((48 * 2048)), type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7
EOF
        place "$1" "$2" $((16 * 2048))
}

convert() { # RAW FORMAT OUT
        case $2 in
        raw) cp --sparse=always "$1" "$3" ;;
        vpc) qemu-img convert -f raw -O vpc -o subformat=dynamic "$1" "$3" ;;
        *) qemu-img convert -f raw -O "$2" "$1" "$3" ;;
        esac
}

# extract IMG FMT START_SECTOR OUT: the partition as a file, for ntfs-3g tools
extract() {
        qemu-img convert -f "$2" -O raw "$1" extract.raw
        dd if=extract.raw of="$4" bs=512 skip="$3" count=$((48 * 2048)) status=none
        rm -f extract.raw
}

# ---- the scenario on one image --------------------------------------------------

check_image() { # IMG FMT DEVICE PARTITION_DESC START_SECTOR
        local img=$1 fmt=$2 dev=$3 desc=$4 start=$5 sum0 sum1 out name
        local tag="$fmt $desc"

        sum0=$(sha256sum <"$img")
        out=$("$T" --ro "$img" "$fmt" root lookup /windows/system32/config system \
                get /Windows/System32/config/SYSTEM got1)
        [[ $out == "$dev${TAB}ntfs${TAB}$CFG${TAB}$desc${NL}SYSTEM" ]] && ok "$tag: root and real spelling" || fail "$tag: root said: $out"
        cmp -s got1 sys1 && ok "$tag: download" || fail "$tag: download differs"
        sum1=$(sha256sum <"$img")
        [[ $sum0 == "$sum1" ]] && ok "$tag: read-only open left the image byte-identical" \
                || fail "$tag: read-only open changed the image"

        "$T" "$img" "$fmt" put /windows/system32/config/system sys2 \
                && ok "$tag: in-place write (extend first)" || fail "$tag: write failed"
        out=$("$T" --ro "$img" "$fmt" get $CFG/SYSTEM got2 get $CFG/SYSTEM.LOG1 gotlog \
                size $CFG/SYSTEM)
        cmp -s got2 sys2 && ok "$tag: reads back the new content" || fail "$tag: content differs"
        cmp -s gotlog log1 && ok "$tag: the other file untouched" || fail "$tag: log changed"
        [[ $out == "$(stat -c %s sys2)" ]] && ok "$tag: size" || fail "$tag: size $out"

        "$T" "$img" "$fmt" put $CFG/SYSTEM sys3 put $CFG/SOFTWARE tiny \
                && ok "$tag: in-place write (shorter, resident)" || fail "$tag: second write failed"

        if [[ $fmt != raw && $fmt != vpc ]]; then
                qemu-img check -q -f "$fmt" "$img" && ok "$tag: qemu-img check" \
                        || fail "$tag: qemu-img check"
        fi
        extract "$img" "$fmt" "$start" part.ntfs
        out=$(ntfsfix --no-action part.ntfs 2>&1) && [[ $out == *"processed successfully"* ]] \
                && ok "$tag: ntfsfix --no-action: clean" || fail "$tag: ntfsfix: $out"
        out=$(ntfsls -p $CFG part.ntfs | grep -v "^\.\.\?$" | sort | tr '\n' ' ')
        [[ $out == "SOFTWARE SYSTEM SYSTEM.LOG1 " ]] && ok "$tag: ntfsls sees exactly the hives" \
                || fail "$tag: ntfsls: $out"
        ntfscat part.ntfs $CFG/SYSTEM | cmp -s - exp3 && ntfscat part.ntfs $CFG/SOFTWARE |
                cmp -s - exptiny && ok "$tag: ntfscat reads the new content" \
                || fail "$tag: ntfscat differs"
        rm -f part.ntfs got1 got2 gotlog
}

make_mbr src-mbr.raw data.ntfs win.ntfs
make_gpt gpt.raw win.ntfs
for fmt in raw vpc vhdx qcow2; do
        convert src-mbr.raw $fmt "mbr.$fmt"
        check_image "mbr.$fmt" $fmt "partition 2" "MBR partition 2" $((18 * 2048))
        convert gpt.raw $fmt "img.$fmt"
        check_image "img.$fmt" $fmt "partition 3" "GPT partition 3" $((16 * 2048))
        rm -f "mbr.$fmt" "img.$fmt"
done

# partitionless: NTFS at offset 0
cp win.ntfs bare.raw
out=$("$T" --ro bare.raw raw root)
[[ $out == "whole disk${TAB}ntfs${TAB}$CFG${TAB}whole disk" ]] \
        && ok "partitionless disk" || fail "partitionless: $out"

# ---- choosing the root ------------------------------------------------------------

# partition 1 is 16 MiB: a small Windows there too
new_ntfs win16.ntfs 16
"$T" --volume 0 win16.ntfs raw mkdir /Windows mkdir /Windows/System32 \
        mkdir /Windows/System32/config create /Windows/System32/config/SYSTEM tiny
make_mbr two.raw win16.ntfs win.ntfs
expect_fail "two Windows: refused without --root" "several Windows installations" \
        "$T" --ro two.raw raw root
for r in 1 "partition 1" /dev/sda1 sda1; do
        out=$("$T" --ro --root "$r" two.raw raw root)
        [[ $out == "partition 1${TAB}"* ]] && ok "--root $r" || fail "--root $r: $out"
done
out=$("$T" --ro --root /dev/sda2 two.raw raw root)
[[ $out == "partition 2${TAB}"* ]] && ok "--root /dev/sda2" || fail "--root /dev/sda2: $out"
expect_fail "--root of a missing partition" "no such partition" \
        "$T" --ro --root 4 two.raw raw root
expect_fail "--root nonsense" "expected a partition number" \
        "$T" --ro --root /dev/xyz two.raw raw root
make_mbr nowin.raw data.ntfs data.ntfs
expect_fail "no Windows" "no Windows installation" "$T" --ro nowin.raw raw root
expect_fail "--root on a partition without Windows" "no /Windows/System32/config/SYSTEM" \
        "$T" --ro --root 1 src-mbr.raw raw root

# ---- refusals and damage -----------------------------------------------------------

# A hibernated Windows: libntfs-3g refuses the read-write mount, read-only works.
cp win.ntfs hib.ntfs
{ printf 'hibr'; head -c 8188 /dev/zero; } >hiberfil
"$T" --volume 0 hib.ntfs raw create /hiberfil.sys hiberfil
make_mbr hib.raw data.ntfs hib.ntfs
sum0=$(sha256sum <hib.raw)
expect_fail "hibernated: write refused" "vhive will not delete hiberfil.sys" \
        "$T" hib.raw raw put $CFG/SYSTEM sys2
"$T" --ro hib.raw raw get $CFG/SYSTEM got && cmp -s got sys1 \
        && ok "hibernated: read-only works" || fail "hibernated: read-only"
[[ $(sha256sum <hib.raw) == "$sum0" ]] && ok "hibernated: image untouched" \
        || fail "hibernated: image changed"

# A GPT disk cut short: its table points past the end.
cp gpt.raw short.raw
truncate -s 60M short.raw
expect_fail "GPT past the end of the disk" "the disk" "$T" --ro short.raw raw root

# A damaged GPT header.
cp gpt.raw badcrc.raw
printf '\x01' | dd of=badcrc.raw bs=1 seek=$((512 + 40)) conv=notrunc status=none
expect_fail "GPT header CRC" "GPT header CRC mismatch" "$T" --ro badcrc.raw raw root

# The wrong format: qemu-nbd's own words come through.
qemu-img convert -f raw -O qcow2 gpt.raw wrong.qcow2
expect_fail "qcow2 opened as vhdx" "qemu-nbd" "$T" --ro wrong.qcow2 vhdx root
expect_fail "unknown format" "unsupported image format" "$T" --ro wrong.qcow2 vmdk root
expect_fail "missing image" "qemu-nbd" "$T" --ro missing.vhdx vhdx root

# What an older vhive (one that switched names) could leave when killed:
# SYSTEM absent, the old hive as SYSTEM.vhive-old.  Reported, never written.
new_ntfs gap.raw 16
"$T" --volume 0 gap.raw raw mkdir /Windows mkdir /Windows/System32 mkdir $CFG \
        create $CFG/SYSTEM.vhive-old sys1
expect_fail "interrupted replacement is reported" "interrupted" "$T" gap.raw raw root

finish
