#!/bin/bash
# SYSTEM and SOFTWARE in one image job (issue 19), on one backend:
#   hives.sh appliance DIRECT_TOOL   suite image (one launch per vhive run)
#   hives.sh direct DIRECT_TOOL      suite direct
# One merge batch (--from, --backup, --json) of a .reg file touching both
# hives over four volumes built with direct-tool:
#   both.raw   SYSTEM and SOFTWARE, each with empty logs: both written, one
#              after the other, each through its own logs; --backup keeps
#              the six originals; the JSON says per hive what happened
#   hard.raw   SOFTWARE another name of SYSTEM (one MFT record whose link
#              count says 1): refused, nothing written
#   dirty.raw  a dirty SOFTWARE with an old-format SOFTWARE.LOG1: replayed,
#              then committed with the merge's value (the logged one kept)
#   nosoft.raw no SOFTWARE: fails for SOFTWARE, saying so; nothing written
# Then the editor commands on HKLM\SOFTWARE in an image (set, export; on
# the direct backend also get, ls, delete), and on the direct backend: the
# text report, a SOFTWARE plan error (a placeholder) that stops the merge
# before SYSTEM is written, a hive file refusing keys of two hives, and a
# SIGTERM between the two hives: SYSTEM new, SOFTWARE old, and the SOFTWARE
# result says interrupted.
# Every hive is read back outside vhive (direct-tool, hivexget).
set -u
backend=${1:?usage: hives.sh appliance|direct DIRECT_TOOL}
T=$(realpath "${2:?usage: hives.sh appliance|direct DIRECT_TOOL}")
if [ "$backend" = appliance ]; then
        . "$(dirname "$0")/lib.sh" # STAMP, the accelerator, SCRATCH (the current folder)
else
        . "$(dirname "$0")/../lib.sh"
        SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/vhive-hives.XXXXXX")
        trap 'rm -rf "$SCRATCH"' EXIT
        cd "$SCRATCH" || die "no scratch folder"
fi
for prog in mkntfs jq hivexget python3; do
        command -v "$prog" >/dev/null || skip "$prog not installed"
done
[ -x "$T" ] || skip "direct-tool $T missing"
export VHIVE_BACKEND=$backend
HIVE=${FIXTURES:-$BUILDDIR/tests/fixtures}/multi-iface.hive
CFG=/Windows/System32/config
CV='Microsoft\Windows NT\CurrentVersion'
NL=$'\n'
TCPIP='ControlSet001\Services\Tcpip\Parameters'
: >empty

# make-hive.sh merges under HKEY_LOCAL_MACHINE\SYSTEM, whatever the hive.
printf 'Windows Registry Editor Version 5.00\n\n[%s]\n"CurrentBuild"="19045"\n' \
        "HKEY_LOCAL_MACHINE\\SYSTEM\\$CV" >soft.reg
"$MAKE_HIVE" "$MKHIVE" SOFTWARE soft.reg >/dev/null || die "make-hive SOFTWARE"

# A dirty SOFTWARE: the clean hive with a change Windows logged in an
# old-format SOFTWARE.LOG1 (DIRT) and never wrote to the primary.
mkdir -p logged dirty
cp SOFTWARE logged/SOFTWARE
"$VHIVE" set logged/SOFTWARE "HKLM\\SOFTWARE\\$CV" Logged string:from-log1 ||
        die "set the logged change"
python3 - SOFTWARE logged/SOFTWARE dirty <<'PY' || die "dirty SOFTWARE"
import struct, sys
clean, changed, out = sys.argv[1:4]
h0 = bytearray(open(clean, "rb").read())
h1 = open(changed, "rb").read()

def checksum(b):
    x = 0
    for i in range(0, 508, 4):
        x ^= struct.unpack_from("<I", b, i)[0]
    x = 1 if x == 0 else 0xFFFFFFFE if x == 0xFFFFFFFF else x
    struct.pack_into("<I", b, 508, x)

seq = struct.unpack_from("<I", h0, 4)[0]
prim = bytearray(h0)
struct.pack_into("<II", prim, 4, seq + 1, seq)  # a stop after the log was written
checksum(prim)
hbins = struct.unpack_from("<I", h1, 40)[0]
base = bytearray(h1[:512])
struct.pack_into("<II", base, 4, seq + 1, seq + 1)
base[12:20] = h0[12:20]
struct.pack_into("<I", base, 28, 1)  # an old-format log
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
open(out + "/SOFTWARE", "wb").write(prim)
open(out + "/SOFTWARE.LOG1", "wb").write(bytes(base) + vec + bytes(pages))
PY

# windows IMAGE [CMD...]: a 48 MiB NTFS volume with Windows' folders, then the CMDs
windows() {
        local img=$1
        shift
        truncate -s 48M "$img"
        mkntfs -F -f -Q -q "$img" 2>/dev/null || die "mkntfs $img"
        "$T" --volume 0 "$img" raw mkdir /Windows mkdir /Windows/System32 mkdir $CFG "$@" \
                >/dev/null || die "direct-tool: $img"
}
sys=(create $CFG/SYSTEM "$HIVE" create $CFG/SYSTEM.LOG1 empty create $CFG/SYSTEM.LOG2 empty)
soft=(create $CFG/SOFTWARE SOFTWARE create $CFG/SOFTWARE.LOG1 empty
        create $CFG/SOFTWARE.LOG2 empty)
windows both.raw "${sys[@]}" "${soft[@]}"
cp --sparse=always both.raw ed.raw
cp --sparse=always both.raw sig.raw
windows hard.raw "${sys[@]}" link $CFG/SYSTEM $CFG/SOFTWARE linkcount $CFG/SYSTEM 1 \
        create $CFG/SOFTWARE.LOG1 empty create $CFG/SOFTWARE.LOG2 empty
windows dirty.raw "${sys[@]}" create $CFG/SOFTWARE dirty/SOFTWARE \
        create $CFG/SOFTWARE.LOG1 dirty/SOFTWARE.LOG1 create $CFG/SOFTWARE.LOG2 empty
windows nosoft.raw "${sys[@]}"
sha256sum hard.raw nosoft.raw >untouched.sum

# got IMAGE NAME: the image's CFG/NAME as the file got.NAME (outside vhive)
got() {
        rm -f "got.$2"
        "$T" --ro "$1" raw get "$CFG/$2" "got.$2" >/dev/null
}
# value IMAGE HIVE KEY NAME: the value as hivexget prints it
value() {
        got "$1" "$2" && hivexget "got.$2" "$3" "$4" 2>/dev/null
}
clean() { # FILE: its base block's sequence numbers are equal
        [ "$(od -An -tu4 -j4 -N4 "$1")" = "$(od -An -tu4 -j8 -N4 "$1")" ]
}

cat >both.reg <<EOF
Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\\SOFTWARE\\$CV]
"Merged"="software"

[HKEY_LOCAL_MACHINE\\SYSTEM\\$TCPIP]
"Merged"="system"
EOF
printf '%s\n' both.raw hard.raw dirty.raw nosoft.raw >list
expect_rc 2 "merge of both hives, four images" "$VHIVE" merge --json --backup bk \
        --from list both.reg
[ "$backend" = appliance ] && skip_if_no_appliance err
cp out merge.json
target() { # IMAGE FILTER: jq FILTER on IMAGE's target object
        jq -r --arg p "$1" ".targets[] | select(.path == \$p) | $2" merge.json
}

# both.raw: each hive written, in order, and reported.
[ "$(value both.raw SYSTEM "$TCPIP" Merged)" = system ] && ok "both.raw: SYSTEM written" ||
        fail "both.raw: SYSTEM: $(value both.raw SYSTEM "$TCPIP" Merged)"
[ "$(value both.raw SOFTWARE "$CV" Merged)" = software ] && ok "both.raw: SOFTWARE written" ||
        fail "both.raw: SOFTWARE: $(value both.raw SOFTWARE "$CV" Merged)"
[ "$(value both.raw SOFTWARE "$CV" CurrentBuild)" = 19045 ] &&
        ok "both.raw: SOFTWARE keeps its other values" || fail "both.raw: CurrentBuild lost"
clean got.SOFTWARE && ok "both.raw: SOFTWARE clean" || fail "both.raw: SOFTWARE dirty"
got both.raw SOFTWARE.LOG1 && [ "$(od -An -tu4 -j28 -N4 got.SOFTWARE.LOG1 | tr -d ' ')" = 6 ] &&
        ok "both.raw: SOFTWARE committed through its own new-format log" ||
        fail "both.raw: SOFTWARE.LOG1 file type $(od -An -tu4 -j28 -N4 got.SOFTWARE.LOG1)"
[ "$(target both.raw '[.ok, .written] | map(tostring) | join(" ")')" = "true true" ] &&
        ok "both.raw: ok and written" || fail "both.raw: $(target both.raw '[.ok, .error]')"
[ "$(target both.raw '[.hives[] | "\(.name)=\(.written)"] | join(" ")')" = \
        "SYSTEM=true SOFTWARE=true" ] && ok "both.raw: JSON says per hive" ||
        fail "both.raw: hives $(target both.raw '.hives')"
[ "$(target both.raw '.hives[1].hive_path')" = "$CFG/SOFTWARE" ] &&
        ok "both.raw: SOFTWARE's path in the image" || fail "both.raw: $(target both.raw '.hives[1]')"
[ "$(target both.raw '[.changes[].key] | join(" ")')" = "SYSTEM\\$TCPIP SOFTWARE\\$CV" ] &&
        ok "both.raw: changes below HKEY_LOCAL_MACHINE, each with its hive" ||
        fail "both.raw: changes $(target both.raw '.changes')"
# --backup: every hive it wrote, with its logs, in the image's folder.
bk=(bk/both.raw/SYSTEM bk/both.raw/SYSTEM.LOG1 bk/both.raw/SYSTEM.LOG2
        bk/both.raw/SOFTWARE bk/both.raw/SOFTWARE.LOG1 bk/both.raw/SOFTWARE.LOG2)
ls "${bk[@]}" >/dev/null 2>&1 && cmp -s bk/both.raw/SOFTWARE SOFTWARE &&
        cmp -s bk/both.raw/SYSTEM "$HIVE" && ok "--backup: both hives and their logs" ||
        fail "--backup: $(ls -R bk | tr '\n' ' ')"

# hard.raw: SOFTWARE a second name of SYSTEM.
target hard.raw .error | grep -q "are one file" && ok "hard.raw: refused, naming the files" ||
        fail "hard.raw: $(target hard.raw .error)"
# dirty.raw: the logged change replayed, the merge on top, a clean primary.
[ "$(value dirty.raw SOFTWARE "$CV" Logged)" = from-log1 ] &&
        [ "$(value dirty.raw SOFTWARE "$CV" Merged)" = software ] && clean got.SOFTWARE &&
        ok "dirty.raw: SOFTWARE replayed and committed" ||
        fail "dirty.raw: $(hivexget got.SOFTWARE "$CV" 2>&1 | tr '\n' ' ')"
[ "$(target dirty.raw '.hives[1] | [.name, .dirty, .replayed, .written] | join(" ")')" = \
        "SOFTWARE true true true" ] && ok "dirty.raw: JSON says SOFTWARE was replayed" ||
        fail "dirty.raw: $(target dirty.raw '.hives')"
[ "$(value dirty.raw SYSTEM "$TCPIP" Merged)" = system ] && ok "dirty.raw: SYSTEM written" ||
        fail "dirty.raw: SYSTEM not written"
# nosoft.raw: SOFTWARE missing.
[[ "$(target nosoft.raw .error)" == "SOFTWARE: no SOFTWARE hive in $CFG on "* ]] &&
        ok "nosoft.raw: says SOFTWARE is missing" || fail "nosoft.raw: $(target nosoft.raw .error)"
[ "$(target nosoft.raw '.hives[1] | [.name, .ok] | join(" ")')" = "SOFTWARE false" ] &&
        ok "nosoft.raw: the SOFTWARE entry failed" || fail "nosoft.raw: $(target nosoft.raw .)"
sha256sum --quiet -c untouched.sum && ok "hard.raw, nosoft.raw: untouched" ||
        fail "a refused image changed"

# The editor commands on HKLM\SOFTWARE in an image (empty logs: SOFTWARE
# itself tells the log format).
K="HKLM\\SOFTWARE\\$CV"
expect_rc 0 "set HKLM\\SOFTWARE in an image" "$VHIVE" set ed.raw "$K" Owner string:me
[ "$(value ed.raw SOFTWARE "$CV" Owner)" = me ] && ok "set: written into SOFTWARE" ||
        fail "set: $(value ed.raw SOFTWARE "$CV" Owner)"
expect_rc 0 "export HKLM\\SOFTWARE" "$VHIVE" export ed.raw "$K"
grep -q '^"Owner"="me"' out && ok "export: reads SOFTWARE" || fail "export: $(cat out)"
if [ "$backend" = direct ]; then # the same path; each appliance run is a launch
        expect_rc 0 "get HKLM\\SOFTWARE" "$VHIVE" get ed.raw "$K" CurrentBuild
        grep -q '19045' out && ok "get: reads SOFTWARE" || fail "get: $(cat out)"
        expect_rc 0 "ls HKLM\\SOFTWARE" "$VHIVE" ls ed.raw 'HKLM\SOFTWARE\Microsoft'
        grep -q 'Windows NT' out && ok "ls: lists SOFTWARE" || fail "ls: $(cat out)"
        expect_rc 0 "delete in HKLM\\SOFTWARE" "$VHIVE" delete ed.raw "$K" Owner
        [ -z "$(value ed.raw SOFTWARE "$CV" Owner)" ] && ok "delete: gone from SOFTWARE" ||
                fail "delete: still $(value ed.raw SOFTWARE "$CV" Owner)"

        # The text report of a run on both hives: a line per hive.
        cp --sparse=always sig.raw text.raw
        expect_rc 0 "merge of both hives (text)" "$VHIVE" merge text.raw both.reg
        [ "$(cat out)" = "text.raw: SYSTEM: written${NL}text.raw: SOFTWARE: written" ] &&
                ok "text: a line per hive" || fail "text: $(cat out)"
        # Every hive is planned before the first write: SOFTWARE's placeholder
        # stops the merge, SYSTEM untouched too.
        cp --sparse=always sig.raw plan.raw && sha256sum plan.raw >plan.sum
        { cat both.reg && printf '\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\{VENDOR_KEY}]\n"A"="b"\n'; } \
                >placeholder.reg
        expect_rc 2 "merge with a SOFTWARE placeholder" "$VHIVE" merge plan.raw placeholder.reg
        grep -q "^vhive: plan.raw: SOFTWARE: .*placeholder" err && sha256sum --quiet -c plan.sum &&
                ok "a SOFTWARE plan error: nothing written" || fail "placeholder: $(cat err)"
        # A hive file is one hive: keys of two are refused, nothing written.
        cp "$HIVE" SYSTEM.file && sha256sum SYSTEM.file >file.sum
        expect_rc 2 "merge of both hives into a hive file" "$VHIVE" merge SYSTEM.file both.reg
        grep -q "a hive file is one hive" err && sha256sum --quiet -c file.sum &&
                ok "a hive file: refused, untouched" || fail "a hive file: $(cat err)"
fi

# A SIGTERM between the hives (direct): as SYSTEM's commit flushes for the
# last time.  Flushes counted in merges of SYSTEM alone, SOFTWARE alone and
# both: closing the image flushes sys + soft - both times, once per run.
if [ "$backend" = direct ] && [ -n "${CRASH_SHIM:-}" ]; then
        export ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"
        head -n 5 both.reg >soft-only.reg
        { head -n 2 both.reg && tail -n 3 both.reg; } >sys-only.reg
        flushes() { # REG: nbd_flush calls of a merge of REG into a copy of sig.raw
                cp --sparse=always sig.raw count.raw
                VHIVE_SIGNAL=15 VHIVE_SIGNAL_IN=nbd_flush:1000000 VHIVE_SIGNAL_COUNT=count \
                        LD_PRELOAD="$CRASH_SHIM" "$VHIVE" merge count.raw "$1" >/dev/null ||
                        fail "the counting merge of $1 failed"
                cat count
        }
        sys_n=$(flushes sys-only.reg) soft_n=$(flushes soft-only.reg) both_n=$(flushes both.reg)
        n=$((both_n - soft_n))
        echo "flushes: SYSTEM alone $sys_n, SOFTWARE alone $soft_n, both $both_n: signal at $n"
        rc=0
        VHIVE_SIGNAL=15 VHIVE_SIGNAL_IN="nbd_flush:$n" LD_PRELOAD="$CRASH_SHIM" \
                "$VHIVE" merge --json sig.raw both.reg >out 2>err || rc=$?
        [ "$rc" = 143 ] && ok "SIGTERM between the hives: exit 143" || fail "exit $rc: $(cat err)"
        [ "$(value sig.raw SYSTEM "$TCPIP" Merged)" = system ] && ok "SIGTERM: SYSTEM new" ||
                fail "SIGTERM: SYSTEM not written"
        [ -z "$(value sig.raw SOFTWARE "$CV" Merged)" ] && clean got.SOFTWARE &&
                ok "SIGTERM: SOFTWARE old" || fail "SIGTERM: SOFTWARE written"
        jq -r '.targets[0].hives[1].error' out | grep -q 'interrupted by SIGTERM before' &&
                ok "SIGTERM: the SOFTWARE result says interrupted" ||
                fail "SIGTERM: $(jq -c '.targets[0].hives' out)"
fi
finish
