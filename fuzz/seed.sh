#!/bin/sh
# seed.sh [BUILDDIR [CORPUS]]: builds the seed corpora of the fuzz targets
# from the test fixtures, into CORPUS/TARGET/ (default BUILDDIR/corpus,
# BUILDDIR default build-fuzz).  Nothing here is committed: every seed is
# generated from the text fixtures, as the tests do.
#
#   hive     BUILDDIR's or any build*/tests/fixtures/*.hive; when no build
#            tree has them, mkhive + make-hive.sh build them here; and the
#            shared-cell and big-data hives of tests/badinput/mkbad.py shared
#            (big data needs a built vhive to set the value)
#   replay   mkdirty's cases (tests/replay), packed as fuzz-replay reads
#            them: flags, LOG1 length, LOG2 length, LOG1, LOG2, primary
#   regfile  every .reg under tests/, also as UTF-16LE with a BOM
#   image    qemu-img create -f vhdx/vpc/qcow2 images, the head, VHDX
#            region table, metadata and VHD footer packed for fuzz-image
#   ptable   the first 20 KiB of small disks partitioned with sfdisk
#            (MBR) and sgdisk (GPT), and an NTFS boot sector (mkntfs)
#   lazy     the hive seeds (the lazy reader reads the same files)
#   mft      NTFS boot sectors and MFT records of mkntfs volumes
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build-fuzz}
corpus=${2:-$build/corpus}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vhive-seed.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$corpus/hive" "$corpus/replay" "$corpus/regfile" "$corpus/image" "$corpus/ptable" \
        "$corpus/lazy" "$corpus/mft"
CC=${CC:-cc}

note() { printf 'seed.sh: %s\n' "$*" >&2; }

# ---- hive ----------------------------------------------------------------
hives=$(ls "$build"/tests/fixtures/*.hive "$src"/build*/tests/fixtures/*.hive 2>/dev/null |
        awk -F/ '!seen[$NF]++' || true)
if [ -z "$hives" ] && command -v hivexregedit >/dev/null; then
        note "no built fixtures: building them with mkhive and make-hive.sh"
        $CC -O1 -o "$tmp/mkhive" "$src/tests/fixtures/mkhive.c"
        mkdir -p "$tmp/fixtures"
        for reg in "$src"/tests/fixtures/*.reg; do
                name=$(basename "$reg" .reg)
                "$src/tests/fixtures/make-hive.sh" "$tmp/mkhive" \
                        "$tmp/fixtures/$name.hive" "$reg" || note "$name: not built"
        done
        hives=$(ls "$tmp"/fixtures/*.hive 2>/dev/null || true)
fi
for h in $hives; do
        cp "$h" "$corpus/hive/"
done
# Shared cells and big data (issue 18): a 16,345-byte BigBlob (a db cell,
# two segments) set by a built vhive, then mkbad.py's hives whose values
# share a data cell, a vk, a db cell, and a db cell whose count lies.
vhive=$(ls "$build"/cmd/vhive "$src"/build*/cmd/vhive 2>/dev/null | head -n 1 || true)
one=$(echo "$hives" | grep '/one-iface\.hive$' | head -n 1 || true)
if [ -n "$one" ] && command -v python3 >/dev/null; then
        python3 "$src/tests/badinput/mkbad.py" shared "$one" "$tmp/shared" >/dev/null
        if [ -n "$vhive" ]; then
                cp "$one" "$tmp/big.hive"
                blob=$(python3 -c 'print("hex:3:" + ",".join(
                        "%02x" % (i * 7 & 255) for i in range(16345)))')
                ASAN_OPTIONS=detect_leaks=0 VHIVE_BACKEND=direct "$vhive" set "$tmp/big.hive" \
                        'ControlSet001\Services\Tcpip\Parameters' BigBlob "$blob" >/dev/null &&
                        cp "$tmp/big.hive" "$corpus/hive/big-data.hive" &&
                        python3 "$src/tests/badinput/mkbad.py" shared "$tmp/big.hive" \
                                "$tmp/shared-big" >/dev/null
        else
                note "no built vhive: no big-data seeds"
        fi
        for f in "$tmp"/shared/*.hive; do
                cp "$f" "$corpus/hive/"
        done
        for f in "$tmp"/shared-big/*.hive; do
                if [ -f "$f" ]; then cp "$f" "$corpus/hive/big-$(basename "$f")"; fi
        done
fi
note "hive: $(ls "$corpus/hive" | wc -l) seeds"

# ---- replay ----------------------------------------------------------------
mkdirty=$(ls "$build"/tests/replay/mkdirty "$src"/build*/tests/replay/mkdirty 2>/dev/null |
          head -n 1 || true)
if [ -z "$mkdirty" ]; then
        # It links half the library: build the tests (ninja -C build-test) first.
        note "no built mkdirty (tests/replay/mkdirty): no replay seeds"
fi
if [ -n "$mkdirty" ]; then
        mkdir -p "$tmp/dirty"
        first=$(echo "$hives" | head -n 1)
        ASAN_OPTIONS=detect_leaks=0 "$mkdirty" "$tmp/dirty" >/dev/null
        if [ -n "$first" ]; then
                mkdir -p "$tmp/dirty2"
                ASAN_OPTIONS=detect_leaks=0 "$mkdirty" "$tmp/dirty2" "$first" >/dev/null
        fi
        python3 - "$tmp" "$corpus/replay" <<'PY'
import os, struct, sys
tmp, out = sys.argv[1], sys.argv[2]
n = 0
for d in ("dirty", "dirty2"):
    base = os.path.join(tmp, d)
    if not os.path.isdir(base):
        continue
    for f in sorted(os.listdir(base)):
        if not f.endswith(".hive"):
            continue
        name = f[:-5]
        def rd(ext):
            p = os.path.join(base, name + ext)
            return open(p, "rb").read() if os.path.exists(p) else b""
        hive, l1, l2 = rd(".hive"), rd(".LOG1"), rd(".LOG2")
        blob = bytes([0]) + struct.pack("<II", len(l1), len(l2)) + l1 + l2 + hive
        open(os.path.join(out, "%s-%s" % (d, name)), "wb").write(blob)
        n += 1
print("seed.sh: replay: %d seeds" % n, file=sys.stderr)
PY
fi

# ---- regfile -----------------------------------------------------------------
for reg in $(find "$src/tests" -name '*.reg'); do
        name=$(basename "$(dirname "$reg")")-$(basename "$reg")
        cp "$reg" "$corpus/regfile/$name"
        { printf '\377\376'; iconv -f UTF-8 -t UTF-16LE "$reg"; } \
                >"$corpus/regfile/$name.utf16" 2>/dev/null || rm -f "$corpus/regfile/$name.utf16"
done
printf 'string:hello\n' >"$corpus/regfile/typed-string"
printf 'hex:3:01,02,ff' >"$corpus/regfile/typed-hex"
printf 'multi:a\\,b,c' >"$corpus/regfile/typed-multi"
note "regfile: $(ls "$corpus/regfile" | wc -l) seeds"

# ---- image -----------------------------------------------------------------------
if command -v qemu-img >/dev/null; then
        qemu-img create -q -f vhdx "$tmp/d.vhdx" 64M
        qemu-img create -q -f vpc "$tmp/d.vhd" 64M
        qemu-img create -q -f vpc -o subformat=fixed "$tmp/f.vhd" 4M
        qemu-img create -q -f qcow2 "$tmp/d.qcow2" 64M
        head -c 65536 /dev/zero >"$tmp/z.raw"
        python3 - "$tmp" "$corpus/image" <<'PY'
import os, struct, sys
tmp, out = sys.argv[1], sys.argv[2]
R1, R2, META = 192 * 1024, 256 * 1024, 3 << 20
def pack(flags, a, b, c, d):
    return bytes([flags]) + struct.pack("<HHH", len(a), len(b), len(c)) + a + b + c + d
def at(data, off, n):
    return data[off:off + n]
seeds = {}
v = open(os.path.join(tmp, "d.vhdx"), "rb").read()
seeds["vhdx"] = pack(0, at(v, 0, 4096), at(v, R1, 4096), at(v, META, 4096), b"")
seeds["vhdx-second-table"] = pack(5, at(v, 0, 4096), at(v, R1, 4096), at(v, META, 4096), b"")
for name in ("d.vhd", "f.vhd"):
    d = open(os.path.join(tmp, name), "rb").read()
    seeds[name] = pack(0, at(d, 0, 1024), b"", b"", d[-512:])
d = open(os.path.join(tmp, "d.qcow2"), "rb").read()
seeds["qcow2"] = pack(0, at(d, 0, 512), b"", b"", b"")
seeds["raw"] = pack(0, b"\0" * 1024, b"", b"", b"")
seeds["hive"] = pack(0, b"regf" + b"\0" * 508, b"", b"", b"")
for k, blob in seeds.items():
    open(os.path.join(out, k), "wb").write(blob)
print("seed.sh: image: %d seeds" % len(seeds), file=sys.stderr)
PY
else
        note "qemu-img not found: no image seeds"
fi

# ---- ptable ------------------------------------------------------------------------
pack_ptable() { # FLAGS DISK OUT
        python3 - "$1" "$2" "$3" <<'PY'
import os, struct, sys
flags, disk, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
size = os.path.getsize(disk)
head = open(disk, "rb").read(20480)
open(out, "wb").write(bytes([flags]) + struct.pack("<Q", size) + head)
PY
}
truncate -s 64M "$tmp/mbr.raw"
printf 'label: dos\n2048,40960,7\n43008,,83\n' | sfdisk -q "$tmp/mbr.raw" >/dev/null 2>&1 &&
        pack_ptable 0 "$tmp/mbr.raw" "$corpus/ptable/mbr" || note "sfdisk failed"
truncate -s 64M "$tmp/gpt.raw"
if sgdisk -q -n 1:2048:+16M -t 1:0700 -n 2:0:0 -t 2:8300 "$tmp/gpt.raw" >/dev/null 2>&1; then
        pack_ptable 1 "$tmp/gpt.raw" "$corpus/ptable/gpt"
        pack_ptable 0 "$tmp/gpt.raw" "$corpus/ptable/gpt-nofix"
else
        note "sgdisk failed"
fi
truncate -s 16M "$tmp/ntfs.raw"
if command -v mkntfs >/dev/null && mkntfs -q -F -f "$tmp/ntfs.raw" >/dev/null 2>&1; then
        pack_ptable 0 "$tmp/ntfs.raw" "$corpus/ptable/ntfs"
fi
note "ptable: $(ls "$corpus/ptable" | wc -l) seeds"
cp "$corpus"/hive/* "$corpus/lazy/" 2>/dev/null || note "lazy: no hive seeds"

# ---- mft -----------------------------------------------------------------
# mkntfs volumes (4 KiB and 512-byte clusters): the boot sector, then an
# MFT record: $MFT's own (0) and $Volume's (3), and a file's (64, made with
# ntfscp) in its on-disk form; the record number asked is byte 0x1ff.
mkdir -p "$corpus/mft"
pack_mft() { # VOLUME RECNO OUT
        mft=$(od -An -tu8 -j48 -N8 "$1" | tr -d ' ')
        cs=$(( $(od -An -tu2 -j11 -N2 "$1" | tr -d ' ') * $(od -An -tu1 -j13 -N1 "$1" | tr -d ' ') ))
        { head -c 510 "$1"; printf '\000'; printf "\\$(printf '%03o' "$2")"
          dd if="$1" bs=512 skip=$(( mft * cs / 512 + 2 * $2 )) count=2 2>/dev/null; } >"$3"
}
if command -v mkntfs >/dev/null && command -v ntfscp >/dev/null; then
        for c in 4096 512; do
                truncate -s 16M "$tmp/mft$c.raw"
                mkntfs -q -F -f -c "$c" "$tmp/mft$c.raw" >/dev/null 2>&1 || continue
                head -c 20000 /dev/urandom >"$tmp/file"
                ntfscp -f "$tmp/mft$c.raw" "$tmp/file" /file >/dev/null 2>&1 || true
                for r in 0 3 64; do pack_mft "$tmp/mft$c.raw" $r "$corpus/mft/c$c-r$r"; done
        done
fi
note "mft: $(ls "$corpus/mft" | wc -l) seeds"
echo "$corpus"
