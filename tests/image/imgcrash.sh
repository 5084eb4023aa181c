#!/bin/bash
# The image-level crash model (issue 17): imgrec.so, preloaded into the
# qemu-nbd (direct backend) or the qemu (appliance, through LIBGUESTFS_HV)
# that vhive starts, records every write, flush, fallocate and truncate
# reaching the image file; imgcrash rebuilds each state a power cut could
# leave (every prefix, subsets of the writes between two flushes, 512-byte
# sector subsets of each write) and reads it as Windows would: libntfs-3g
# lists the config folder and reads SYSTEM and its logs, the hive is
# replayed when dirty and must be exactly the old or the new one.
#
#   imgcrash.sh direct|appliance DIRECT_TOOL IMGREC IMGCRASH
#
# Cases (bare NTFS volumes made with mkntfs and direct-tool, raw):
#   growth  Windows 10, empty logs: the scrub grows LOG1 (ntfs-3g rewrites
#           the log's and the folder's MFT records)
#   new     Windows 10, new-format logs of an earlier set: a scrub (in
#           place: no file grows)
#   old     the same on Windows 7: old-format logs
#   dirty   Windows 7, SYSTEM dirty, LOG1 holding the logged change Windows
#           needs, LOG2 empty: one set (LOG2 and SYSTEM grow)
#   twice   Windows 10 after a set: a scrub, then a set (each state is the
#           hive before or after the command whose writes it holds)
#   addvalue  Windows 10 after a scrub: a set adding a value (vhive set
#           writes through hivex, which gives the value new cells: SYSTEM
#           grows by a bin)
#   sysb    the real SYSTEM_B of ../shared/fixtures (12 MiB, dirty: 24 log
#           entries, LOG1 and LOG2 both needed): a scrub.  Only when
#           IMGCRASH_CASES names it (about 1 s a state: prefixes and 20
#           sampled subsets per interval, no tears); skipped without it
# Checks: no state "other" and none unreadable, at 512-byte sectors and
# with 4096-byte atomic sectors (-S 4096).  Unreadable: a torn MFT record
# (one sector of a 1 KiB record written), a folder that does not list, a
# file that does not read, or one holding clusters the volume's bitmap
# marks free.  Where nothing grows (new, old) the commit writes only the
# files' clusters (the appliance around ntfs-3g, appliance-raw.c); where a
# file grows, both backends write one record whose change fits a sector,
# at the disk's sequence number, after a flush of the bitmap, the folder
# left alone (record-write.h; the appliance runs that code inside it,
# grow-helper.c; see bench/README).  Two
# images scrubbed in one run must each
# be flushed once per step (4 times).  Then the model is shown to
# catch a broken protocol: ignoring one of the recorded flushes (-D K) must
# give "other" states for some K (bench/crash-image.sh mutant: a build that
# writes the pages before the log).
# IMGCRASH_FULL=1 (bench/crash-image.sh): the full counts, and every case
# on the appliance too (else "new" only: an appliance launch per command);
# IMGCRASH_CASES picks cases; IMGCRASH_KEEP=1 keeps the scratch folder.
set -u
. "$(dirname "$0")/../lib.sh"
backend=${1:?usage: imgcrash.sh direct|appliance DIRECT_TOOL IMGREC IMGCRASH}
T=$(realpath "$2")
REC=$(realpath "$3")
CHK=$(realpath "$4")
PYTHON=${PYTHON:-python3}
for prog in mkntfs ntfsls ntfscat ntfsfix "$PYTHON"; do
        command -v "$prog" >/dev/null || skip "$prog not installed"
done
default_cases="growth new old dirty twice addvalue"
case $backend in
direct) ;;
appliance) [ "${IMGCRASH_FULL:-}" = 1 ] || default_cases="new" ;;
*) die "direct or appliance" ;;
esac
cases=${IMGCRASH_CASES:-$default_cases}
if [ "${IMGCRASH_FULL:-}" = 1 ]; then
        counts=(-a 12 -s 1000 -t 12 -T 256 -l 5)
else
        counts=(-a 4 -s 12 -t 2 -T 6 -l 3)
fi
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/vhive-imgcrash.XXXXXX")
[ -n "${IMGCRASH_KEEP:-}" ] && echo "keeping $SCRATCH" || trap 'rm -rf "$SCRATCH"' EXIT
cd "$SCRATCH" || die "no scratch folder"
export VHIVE_BACKEND=$backend
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"
HIVE=${FIXTURES:-$BUILDDIR/tests/fixtures}/multi-iface.hive
CFG=/Windows/System32/config
TCPIP='ControlSet001\Services\Tcpip\Parameters'
: >empty

# image NAME BUILD [SYSTEM LOG1 LOG2]: a Windows volume (SOFTWARE says BUILD).
image() {
        local name=$1 build=$2 sys=${3:-$HIVE} l1=${4:-empty} l2=${5:-empty}
        printf 'Windows Registry Editor Version 5.00\n\n%s\n"CurrentBuild"="%s"\n' \
                '[HKEY_LOCAL_MACHINE\SYSTEM\Microsoft\Windows NT\CurrentVersion]' "$build" \
                >"$name.reg"
        "$MAKE_HIVE" "$MKHIVE" "$name.soft" "$name.reg" >/dev/null || die "make-hive $name"
        truncate -s 48M "$name.raw"
        mkntfs -F -f -Q -q "$name.raw" 2>/dev/null || die "mkntfs $name"
        "$T" --volume 0 "$name.raw" raw mkdir /Windows mkdir /Windows/System32 mkdir $CFG \
                create $CFG/SYSTEM "$sys" create $CFG/SOFTWARE "$name.soft" \
                create $CFG/SYSTEM.LOG1 "$l1" create $CFG/SYSTEM.LOG2 "$l2" >/dev/null ||
                die "direct-tool $name"
}

# The recorder in whatever vhive starts: a qemu-nbd first in PATH, or the
# appliance's qemu (LIBGUESTFS_HV), each exec'ing the real one under
# LD_PRELOAD.  qemu-nbd writes with its thread pool (aio=threads is its
# default; vhive passes no aio option); libguestfs gives qemu no aio= either,
# and the wrapper turns any aio=native/io_uring into aio=threads so that
# every write goes through the calls imgrec.so sees.
mkdir wrap
cat >wrap/qemu-nbd <<EOF
#!/bin/sh
exec env LD_PRELOAD=$REC $(command -v qemu-nbd) "\$@"
EOF
qemu=$(command -v qemu-system-x86_64 || true)
cat >wrap/qemu-hv <<EOF
#!/bin/bash
args=()
for a in "\$@"; do
        a=\${a//aio=native/aio=threads}
        args+=("\${a//aio=io_uring/aio=threads}")
done
exec env LD_PRELOAD=$REC $qemu "\${args[@]}"
EOF
chmod +x wrap/qemu-nbd wrap/qemu-hv
if [ "$backend" = appliance ]; then
        [ -n "$qemu" ] || skip "qemu-system-x86_64 not installed"
        # The image suite's fixtures found KVM unusable: TCG, as lib.sh does;
        # or found that the appliance cannot launch at all.
        if [ "$(head -c 5 "${STAMP:-/nonexistent}" 2>/dev/null)" = "SKIP:" ]; then
                skip "$(cat "$STAMP")"
        fi
        accel=$(sed -n 2p "${STAMP:-/nonexistent}" 2>/dev/null)
        if [ -n "$accel" ]; then export "${accel?}"; fi
fi

# recorded NAME CMD...: runs the vhive command CMD on NAME.raw, recorded
# into NAME.log (appended: two commands make two runs).
recorded() {
        local name=$1
        shift
        IMGREC_FILE=$PWD/$name.raw IMGREC_LOG=$PWD/$name.log PATH=$PWD/wrap:$PATH \
                LIBGUESTFS_HV=$PWD/wrap/qemu-hv expect_rc 0 "$name: $*" "$VHIVE" "$@"
}

# prepare NAME BUILD CMD...: NAME.raw after the vhive command CMD (not
# recorded): its logs hold a record, in BUILD's format.
prepare() {
        local name=$1 build=$2
        shift 2
        image "$name" "$build"
        VHIVE_BACKEND=direct expect_rc 0 "$name: $*" "$VHIVE" "$@" "$name.raw" "$TCPIP" \
                UseDomainNameDevolution dword:0
}

# olddirty NAME: SYSTEM left dirty by Windows 7 with its change in LOG1
# (old format: DIRT and the changed 4 KiB blocks), LOG2 empty: the log
# vhive's next record goes to must grow while LOG1 is needed.
olddirty() {
        cp "$HIVE" h0.hive && cp "$HIVE" h1.hive
        VHIVE_BACKEND=direct expect_rc 0 "the change Windows logged" \
                "$VHIVE" set h1.hive "$TCPIP" Logged string:from-log1
        "$PYTHON" - h0.hive h1.hive <<'PY' || die "olddirty"
import struct, sys
h0 = bytearray(open(sys.argv[1], "rb").read())
h1 = open(sys.argv[2], "rb").read()
def checksum(b):
    x = 0
    for i in range(0, 508, 4):
        x ^= struct.unpack_from("<I", b, i)[0]
    x = 1 if x == 0 else 0xFFFFFFFE if x == 0xFFFFFFFF else x
    struct.pack_into("<I", b, 508, x)
seq = struct.unpack_from("<I", h0, 4)[0]
prim = bytearray(h0)
struct.pack_into("<II", prim, 4, seq + 1, seq)
checksum(prim)
hbins = struct.unpack_from("<I", h1, 40)[0]
base = bytearray(h1[:512])
struct.pack_into("<II", base, 4, seq + 1, seq + 1)
base[12:20] = h0[12:20]
struct.pack_into("<I", base, 28, 1)
checksum(base)
bitmap = bytearray(hbins // 512 // 8)
pages = bytearray()
for blk in range(hbins // 4096):
    a = h1[4096 + blk * 4096:4096 + (blk + 1) * 4096]
    if a != bytes(h0[4096 + blk * 4096:4096 + (blk + 1) * 4096]):
        bitmap[blk] = 0xFF
        pages += a
vec = b"DIRT" + bitmap
vec += bytes(-(512 + len(vec)) % 512)
open("dirty.SYSTEM", "wb").write(prim)
open("dirty.LOG1", "wb").write(bytes(base) + vec + bytes(pages))
PY
        image "$1" 7601 dirty.SYSTEM dirty.LOG1 empty
}

# model NAME SECTOR [ARGS]: imgcrash over NAME.log; its summary in
# NAME.SECTOR.out, the counts in the globals.
model() {
        local name=$1 sector=$2
        shift 2
        "$CHK" "${counts[@]}" -S "$sector" "$@" "$name.log" "$name.pristine" "$name.work" \
                >"$name.$sector.out" 2>"$name.$sector.err"
        RC=$?
        read -r states old new mid other unreadable torn < <(grep '^states: ' \
                "$name.$sector.out" | tr -c '0-9\n' ' ')
        if [ -z "${states:-}" ]; then
                fail "$name: imgcrash gave no counts (exit $RC): $(cat "$name.$sector.err")"
                states=0 old=0 new=0 mid=0 other=1 unreadable=0 torn=0
        fi
}

# judge NAME: the model at 512 and at 4096 bytes, and the folder read by
# ntfs-3g's own tools on the final image.
judge() {
        local name=$1 flushes
        mkdir -p "$name.kept"
        model "$name" 512 -k "$name.kept"
        sed -n '/^run /p' "$name.512.out"
        echo "$name: sectors 512: states $states old $old new $new mid $mid other $other" \
                "unreadable $unreadable (torn MFT records $torn)"
        grep -A1 '^\(other\|unreadable\)' "$name.512.out" | head -n 12
        [ "$other" -eq 0 ] && ok "$name: no state other than old or new" ||
                fail "$name: $other states are neither old nor new"
        [ "$unreadable" -eq "$torn" ] && ok "$name: unreadable states are torn records only" ||
                fail "$name: $((unreadable - torn)) unreadable states without a torn record"
        # No record can tear: where no file grows, the commit writes only
        # the files' clusters (the appliance too: around ntfs-3g,
        # appliance-raw.c); a file grows with one record write whose change
        # fits a sector, kept at the disk's sequence number, after a flush
        # of the bitmap, its folder's index left alone (record-write.h), on
        # both backends (the appliance runs it inside, grow-helper.c).
        [ "$unreadable" -eq 0 ] && ok "$name: no torn record, no state unreadable" ||
                fail "$name: $unreadable states unreadable"
        # ntfs-3g's own tools agree on the states named (kept): ntfsls cannot
        # list the folder, or ntfscat cannot read the hive or a log.
        for k in "$name".kept/unreadable-*.raw; do
                [ -f "$k" ] || continue
                if ntfsls -f "$k" -p $CFG >/dev/null 2>&1 &&
                        ntfscat -f "$k" $CFG/SYSTEM >/dev/null 2>&1 &&
                        ntfscat -f "$k" $CFG/SYSTEM.LOG1 >/dev/null 2>&1 &&
                        ntfscat -f "$k" $CFG/SYSTEM.LOG2 >/dev/null 2>&1; then
                        fail "$name: ntfs-3g's tools read $k, which imgcrash found unreadable"
                else
                        ok
                fi
        done
        [ "$new" -gt 0 ] && [ "$old" -gt 0 ] && ok "$name: both hives seen" ||
                fail "$name: old $old new $new"
        model "$name" 4096
        echo "$name: sectors 4096: states $states old $old new $new mid $mid other $other" \
                "unreadable $unreadable"
        [ "$other" -eq 0 ] && [ "$unreadable" -eq 0 ] &&
                ok "$name: 4 KiB atomic sectors: every state old or new, folder readable" ||
                fail "$name: 4 KiB sectors: other $other unreadable $unreadable"
        ntfsls -f "$name.raw" -p $CFG >"$name.ls" 2>&1 &&
                grep -qx SYSTEM.LOG1 "$name.ls" && grep -qx SYSTEM.LOG2 "$name.ls" &&
                ok "$name: ntfsls lists the logs" || fail "$name: ntfsls: $(cat "$name.ls")"
        ntfsfix -n "$name.raw" >"$name.fix" 2>&1 && ! grep -qi corrupt "$name.fix" &&
                ok "$name: ntfsfix -n finds nothing" || fail "$name: ntfsfix -n: $(cat "$name.fix")"
        flushes=$(sed -n 's/^run [0-9]*: .*, \([0-9]*\) fdatasync, \([0-9]*\) fsync.*/\1+\2/p' \
                "$name.512.out" | paste -sd' ')
        echo "$name: flushes per run: $flushes"
}

for c in $cases; do
        case $c in
        growth) image growth 19045 ;;
        new | twice) prepare "$c" 19045 set ;;
        old) prepare old 7601 set ;;
        dirty) olddirty dirty ;;
        addvalue) image addvalue 19045 && VHIVE_BACKEND=direct expect_rc 0 "addvalue: scrub" \
                "$VHIVE" scrub addvalue.raw ;;
        sysb)
                r=${SHARED_FIXTURES:-}/real-hives
                if [ ! -f "$r/SYSTEM_B.xz" ] || ! command -v xz >/dev/null; then
                        echo "sysb: skipped (no $r/SYSTEM_B.xz or no xz)"
                        continue
                fi
                for f in SYSTEM_B SYSTEM_B.LOG1 SYSTEM_B.LOG2; do xz -dc "$r/$f.xz" >"$f"; done
                image sysb 19045 SYSTEM_B SYSTEM_B.LOG1 SYSTEM_B.LOG2
                ;;
        *) die "unknown case $c" ;;
        esac
        cp --sparse=always "$c.raw" "$c.pristine"
        case $c in
        growth) recorded growth scrub growth.raw ;;
        twice)
                recorded twice scrub twice.raw
                recorded twice set twice.raw "$TCPIP" UseDomainNameDevolution dword:2
                ;;
        addvalue) recorded addvalue set addvalue.raw "$TCPIP" Added dword:7 ;;
        dirty) recorded dirty set dirty.raw "$TCPIP" UseDomainNameDevolution dword:0 ;;
        *) recorded "$c" scrub "$c.raw" ;;
        esac
        [ -s "$c.log" ] || { fail "$c: nothing recorded"; continue; }
        if [ "$c" = sysb ]; then
                saved=("${counts[@]}")
                counts=(-a 4 -s 20 -t 0 -T 0 -l 3)
                judge "$c"
                counts=("${saved[@]}")
        else
                judge "$c"
        fi
done

# Two images in one run: each image file is flushed once per step of its
# own commit (4, as alone).  qemu skips the flush of a disk with nothing
# written since its last one, so this cannot tell an fsync of one disk from
# guestfs_sync's fsync of all (a build using guestfs_sync passes too).
if [ -z "${IMGCRASH_CASES:-}" ]; then
        prepare pair1 19045 set
        prepare pair2 19045 set
        cp --sparse=always pair1.raw pair1.pristine && cp --sparse=always pair2.raw pair2.pristine
        IMGREC_FILE=$PWD/pair1.raw:$PWD/pair2.raw IMGREC_LOG=$PWD/pair1.log:$PWD/pair2.log \
                PATH=$PWD/wrap:$PATH LIBGUESTFS_HV=$PWD/wrap/qemu-hv \
                expect_rc 0 "scrub of two images" "$VHIVE" scrub pair1.raw pair2.raw
        for n in pair1 pair2; do
                "$CHK" -a 0 -s 0 -t 0 -T 0 "$n.log" "$n.pristine" "$n.work" >"$n.out" 2>&1
                f=$(sed -n 's/^run 1: .*, \([0-9]*\) fdatasync, \([0-9]*\) fsync.*/\1+\2/p' \
                        "$n.out")
                echo "$n: two images in one run: $(grep '^run 1' "$n.out")"
                [ "$f" = 4+0 ] && ok "$n: flushed 4 times, for its own steps only" ||
                        fail "$n: flushes $f, want 4+0: $(cat "$n.out")"
                grep -q ' other: 0 unreadable: 0 ' "$n.out" && ok || fail "$n: $(tail -1 "$n.out")"
        done
fi

# A broken protocol must show: ignoring one recorded flush at a time (as a
# disk that reorders across it would), some flush's absence leaves states
# that are neither old nor new.
first=${cases%% *}
if [ "$first" = sysb ] || [ ! -f "$first.512.out" ]; then
        echo "the missing-barrier check needs another case first"
        finish
fi
nflush=$(sed -n 's/^run 1: .*, \([0-9]*\) fdatasync, \([0-9]*\) fsync.*/\1 \2/p' "$first.512.out")
caught=
for k in $(seq 1 $(( ${nflush% *} + ${nflush#* } ))); do
        model "$first" 512 -D "$k"
        [ "$other" -gt 0 ] && caught="$caught $k"
done
echo "$first: flushes whose absence gives 'other' states:${caught:- none}"
[ -n "$caught" ] && ok "a missing barrier is caught" || fail "no missing barrier is caught"
finish
