#!/usr/bin/env bash
# mkbench-image.sh OUT.vhdx [SIZE]: a Windows-looking VHDX for the image
# benchmarks, made from text with one guestfish launch.  It holds what
# virt-win-reg's inspection needs too (SOFTWARE with a product name, a PE32+
# cmd.exe), so that the virt-win-reg workflow can run on the same image.
set -euo pipefail

out=$1
size=${2:-2G}
here=$(cd "$(dirname "$0")/.." && pwd)
mkhive=${MKHIVE:-$(ls -d "$here"/build*/tests/fixtures/mkhive 2>/dev/null | head -n 1)}
[ -x "$mkhive" ] || { echo "mkbench-image.sh: build the project first (mkhive)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/vhive-benchimg.XXXXXX")
trap 'rm -rf "$work"' EXIT

sh "$here/tests/fixtures/make-hive.sh" "$mkhive" "$work/SYSTEM" "$here/tests/fixtures/multi-iface.reg"
cat > "$work/software.reg" <<'REG'
Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\SYSTEM\Microsoft\Windows NT\CurrentVersion]
"ProductName"="Windows 10 Enterprise"
"CurrentVersion"="6.3"
"CurrentMajorVersionNumber"=dword:0000000a
"CurrentMinorVersionNumber"=dword:00000000
"CurrentBuildNumber"="19045"
"CurrentBuild"="19045"
"InstallationType"="Client"
REG
# make-hive.sh merges under HKLM\SYSTEM; the prefix is only a name here.
sh "$here/tests/fixtures/make-hive.sh" "$mkhive" "$work/SOFTWARE" "$work/software.reg"

# The smallest PE32+ console header that file(1), hence libguestfs'
# inspection, reads as x86-64 Windows.
python3 - "$work/cmd.exe" <<'PY'
import struct, sys
dos = bytearray(64); dos[0:2] = b'MZ'; struct.pack_into('<I', dos, 0x3c, 0x40)
coff = b'PE\0\0' + struct.pack('<HHIIIHH', 0x8664, 0, 0, 0, 0, 0xF0, 0x22)
opt = bytearray(0xF0); struct.pack_into('<H', opt, 0, 0x20b); struct.pack_into('<H', opt, 68, 3)
open(sys.argv[1], 'wb').write(bytes(dos) + coff + bytes(opt) + bytes(512))
PY

# A 1 GiB Windows partition at the start of a sparse disk of any size:
# the same filesystem content whatever the virtual size.
truncate -s "$size" "$work/disk.raw"
guestfish -a "$work/disk.raw" <<GF
run
part-init /dev/sda mbr
part-add /dev/sda p 2048 2099199
part-set-mbr-id /dev/sda 1 0x07
mkfs ntfs /dev/sda1
mount /dev/sda1 /
mkdir-p /Windows/System32/config
upload $work/SYSTEM /Windows/System32/config/SYSTEM
upload $work/SOFTWARE /Windows/System32/config/SOFTWARE
touch /Windows/System32/config/SYSTEM.LOG1
touch /Windows/System32/config/SYSTEM.LOG2
upload $work/cmd.exe /Windows/System32/cmd.exe
umount-all
GF
qemu-img convert -O vhdx "$work/disk.raw" "$out"
echo "$out: $(stat -c %s "$out") bytes on disk, $size virtual"
