#!/bin/bash
# mkimages.sh STAMP HIVE_A HIVE_B: builds the disk-image fixtures of the
# 'image' suite in the folder of STAMP, with ONE guestfish session (each
# appliance launch costs ~20 s without KVM), then converts them with
# qemu-img.  Nothing binary is committed; everything comes from here.
#
#   mbr.raw     MBR: "System Reserved" NTFS + Windows NTFS (SYSTEM = HIVE_A)
#   gpt.raw     GPT: EFI vfat + Microsoft reserved + Windows NTFS (SYSTEM = HIVE_B)
#   case.raw    one NTFS, the path spelt WINDOWS/system32/CONFIG/system (HIVE_B)
#   tworoots.raw  two NTFS partitions, each with Windows (HIVE_A)
#   nowin.raw   one NTFS without Windows
#   hiber.raw   Windows NTFS with a hibernation file (ntfs-3g refuses it read-write)
# and for each of mbr and gpt: .vhdx, -dyn.vhd, -fixed.vhd, .qcow2.
#
# When the appliance cannot launch, STAMP says "SKIP: why" and the tests
# exit 77 with that reason.  Every image is SYSTEM plus empty SYSTEM.LOG1/2
# beside it, as Windows leaves them.
set -eu

stamp=$1
hive_a=$2
hive_b=$3
out=$(dirname "$stamp")/images
rm -rf "$out" "$stamp"
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/vhive-mkimages.XXXXXX")
trap 'rm -rf "$work"' EXIT

# HIBR header: what ntfs-3g looks for to refuse a hibernated volume.
{ printf 'HIBR'; head -c 8188 /dev/zero; } > "$work/hiberfil.sys"
printf 'just data\r\n' > "$work/readme.txt"

windows() { # DEV HIVE [SPELLING]
        local dev=$1 hive=$2 dir=${3:-/Windows/System32/config} name=${4:-SYSTEM}
        cat <<EOF
mount $dev /
mkdir-p $dir
upload $hive $dir/$name
touch $dir/$name.LOG1
touch $dir/$name.LOG2
mkdir-p ${dir%/config}/drivers
upload $work/readme.txt /readme.txt
umount /
EOF
}

mbr() { # DEV: a 8 MiB "System Reserved" + the rest, both NTFS
        cat <<EOF
part-init $1 mbr
part-add $1 p 2048 18431
part-add $1 p 18432 -1
part-set-mbr-id $1 1 0x07
part-set-mbr-id $1 2 0x07
part-set-bootable $1 1 true
mkfs ntfs ${1}1 label:System_Reserved
mkfs ntfs ${1}2 label:Windows
EOF
}

script() {
        local r=$out
        cat <<EOF
sparse $r/mbr.raw 64M
sparse $r/gpt.raw 64M
sparse $r/case.raw 32M
sparse $r/tworoots.raw 64M
sparse $r/nowin.raw 32M
sparse $r/hiber.raw 32M
run
EOF
        mbr /dev/sda
        windows /dev/sda2 "$hive_a"
        mbr /dev/sdd
        windows /dev/sdd1 "$hive_a"
        windows /dev/sdd2 "$hive_a"
        cat <<EOF
part-init /dev/sdb gpt
part-add /dev/sdb p 2048 18431
part-add /dev/sdb p 18432 51199
part-add /dev/sdb p 51200 -34
part-set-gpt-type /dev/sdb 1 C12A7328-F81F-11D2-BA4B-00A0C93EC93B
part-set-gpt-type /dev/sdb 2 E3C9E316-0B5C-4DB8-817D-F92DF00215AE
part-set-gpt-type /dev/sdb 3 EBD0A0A2-B9E5-4433-87C0-68B6B72699C7
mkfs vfat /dev/sdb1
mkfs ntfs /dev/sdb3 label:Windows
part-disk /dev/sdc mbr
part-set-mbr-id /dev/sdc 1 0x07
mkfs ntfs /dev/sdc1
part-disk /dev/sde mbr
part-set-mbr-id /dev/sde 1 0x07
mkfs ntfs /dev/sde1
part-disk /dev/sdf mbr
part-set-mbr-id /dev/sdf 1 0x07
mkfs ntfs /dev/sdf1
EOF
        windows /dev/sdb3 "$hive_b"
        windows /dev/sdc1 "$hive_b" /WINDOWS/system32/CONFIG system
        cat <<EOF
mount /dev/sde1 /
mkdir-p /Users/Public
upload $work/readme.txt /readme.txt
umount /
EOF
        windows /dev/sdf1 "$hive_a"
        cat <<EOF
mount /dev/sdf1 /
upload $work/hiberfil.sys /hiberfil.sys
umount /
shutdown
EOF
}

# KVM can exist and still make qemu abort (nested virtualisation): then the
# whole suite runs under software emulation, as vhive itself falls back.
# lib.sh exports what the stamp's second line says.
accel=
built=0
if script | guestfish >"$work/log" 2>&1; then
        built=1
elif [ -w /dev/kvm ] && [[ "${LIBGUESTFS_BACKEND_SETTINGS:-}" != *force_tcg* ]]; then
        echo "mkimages: the appliance failed with KVM; retrying with TCG" >&2
        accel="LIBGUESTFS_BACKEND_SETTINGS=force_tcg"
        rm -f "$out"/*
        script | env "$accel" guestfish >"$work/log" 2>&1 && built=1
fi
if [ "$built" = 0 ]; then
        {
                printf 'SKIP: the libguestfs appliance could not build the fixture images '
                printf '(run libguestfs-test-tool): %s\n' "$(tail -n 3 "$work/log" | tr '\n' ' ')"
        } > "$stamp"
        cat "$work/log" >&2
        exit 0
fi

for base in mbr gpt; do
        qemu-img convert -f raw -O vhdx "$out/$base.raw" "$out/$base.vhdx"
        qemu-img convert -f raw -O vpc -o subformat=dynamic "$out/$base.raw" "$out/$base-dyn.vhd"
        qemu-img convert -f raw -O vpc -o subformat=fixed "$out/$base.raw" "$out/$base-fixed.vhd"
        qemu-img convert -f raw -O qcow2 "$out/$base.raw" "$out/$base.qcow2"
done
printf 'OK\n%s\n' "$accel" > "$stamp"
