#!/bin/bash
# tests/fixtures/make-image.sh builds what it says, for every format it takes:
# a GPT disk whose NTFS volume holds the given files byte for byte, empty files
# where asked, and folders made once.  The files are the SOFTWARE fixtures of
# issue 19: software-system.hive as SYSTEM, and the dirty software-dirty.hive
# as SOFTWARE with its LOG1/LOG2, the image a SOFTWARE test will need.  The
# direct backend finds the Windows partition and reads SYSTEM in it.
# usage: test-fixture-image.sh DIRECT_TOOL
. "$(dirname "$0")/../lib.sh"

tool=$1
image_test_setup fixture-image

cfg=/Windows/System32/config
D=$FIXTURES/software-dirty.hive
files=("$cfg/SYSTEM=$FIXTURES/software-system.hive" "$cfg/SYSTEM.LOG1=" "$cfg/SYSTEM.LOG2="
        "$cfg/SOFTWARE=$D" "$cfg/SOFTWARE.LOG1=$D.LOG1" "$cfg/SOFTWARE.LOG2=$D.LOG2"
        "/readme.txt=$FIXTURES_SRC/README.md")
for fmt in vhdx qcow2 raw; do
        img=disk.$fmt
        expect_rc 0 "make-image.sh $img" bash "$MAKE_IMAGE" "$tool" "$img" 32 "${files[@]}"
        [ -f "$img" ] && [ ! -e "$img.tmp" ] && ok || fail "$img: not made, or a temp file left"
        if [ $fmt = raw ]; then
                [ "$(stat -c %s $img)" = $((32 * 1048576)) ] && ok || fail "raw size"
                sfdisk -d $img | grep -q 'start= *2048,.*type=EBD0A0A2' && ok "GPT, basic data" ||
                        fail "partition table: $(sfdisk -d $img)"
        fi
        expect_rc 0 "$img: direct-tool reads the files back" "$tool" --ro "$img" $fmt \
                get $cfg/SYSTEM sys get $cfg/SOFTWARE soft get $cfg/SOFTWARE.LOG1 l1 \
                get $cfg/SOFTWARE.LOG2 l2 get $cfg/SYSTEM.LOG1 e1 size $cfg/SYSTEM.LOG2
        cmp -s sys "$FIXTURES/software-system.hive" && cmp -s soft "$D" && cmp -s l1 "$D.LOG1" &&
                cmp -s l2 "$D.LOG2" && ok "$img: the hives and logs, byte for byte" ||
                fail "$img: a file differs"
        [ -f e1 ] && [ ! -s e1 ] && ok "$img: an empty log" || fail "$img: SYSTEM.LOG1 not empty"
        expect_rc 0 "$img: vhive get through the direct backend" \
                "$VHIVE" get --backend direct "$img" 'HKLM\SYSTEM\Select' Current
        [ "$(cat out)" = 1 ] && ok || fail "$img: Select\\Current is $(cat out)"
        rm -f sys soft l1 l2 e1
done
expect_rc 2 "make-image.sh refuses an unknown format" \
        bash "$MAKE_IMAGE" "$tool" disk.img 32 /a=
expect_rc 2 "make-image.sh refuses a relative guest path" \
        bash "$MAKE_IMAGE" "$tool" x.raw 32 a=
[ ! -e disk.img ] && [ ! -e x.raw ] && ok || fail "a refused image was written"
finish
