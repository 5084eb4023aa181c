#!/bin/bash
# The dhcpv6 profile (and composable profiles): Tcpip6\Parameters\Dhcpv6DUID
# is deleted in the scrubbed control set, everything else in Tcpip6 stays
# (Dhcpv6Iaid above all), an absent DUID stays absent; read back by
# reglookup.
#
# usage: test-dhcpv6.sh            the hive-file cases (suite cli)
#        test-dhcpv6.sh image TOOL  one image on the direct backend, made
#                                   with mkntfs, sfdisk and direct-tool TOOL
. "$(dirname "$0")/lib.sh"

CS1_DUID='/ControlSet001/Services/Tcpip6/Parameters/Dhcpv6DUID,'
CS2_DUID='/ControlSet002/Services/Tcpip6/Parameters/Dhcpv6DUID,'
IAID='/ControlSet001/Services/Tcpip6/Parameters/Interfaces/\{4D36E972-E325-11CE-BFC1-08002BE10318\}/Dhcpv6Iaid,DWORD,0x0A00155D,'

# values HIVE: reglookup's path,type,value per value and key (no times).
values() {
        reglookup -H "$1" | cut -d, -f1-3 | sort
}

hive_cases() {
        local h ref
        h=$(fixture dhcpv6)
        cp "$h" "$T/orig.hive"

        expect_rc 1 "check --profile dhcpv6 with a DUID" vh check --profile dhcpv6 "$h"
        has "$T/out" ": stale ControlSet001\\\\Services\\\\Tcpip6\\\\Parameters\\\\Dhcpv6DUID = \"00,01,00,01,2c,5e,3a,10,00,15,5d,01,02,03\" \\(REG_BINARY\\)" \
                "check names the DUID with its value and type"
        has "$T/out" ", 1 to delete: stale values found$" "check summary counts the DUID"

        expect_rc 0 "scrub --dry-run --profile seed,dhcpv6" vh scrub -n --profile seed,dhcpv6 "$h"
        has "$T/out" ": would delete ControlSet001\\\\Services\\\\Tcpip6\\\\Parameters\\\\Dhcpv6DUID = " \
                "dry run says would delete"
        has "$T/out" ", 1 to delete: dry run: nothing written$" "dry-run summary"
        same "$T/orig.hive" "$h" "dry run writes nothing"

        expect_rc 0 "scrub --profile seed,dhcpv6" vh scrub --profile seed,dhcpv6 "$h"
        has "$T/out" ": deleted ControlSet001\\\\Services\\\\Tcpip6\\\\Parameters\\\\Dhcpv6DUID = " \
                "scrub says deleted"
        has "$T/out" ", 1 deleted: written$" "scrub summary"
        # The seed part, by the oracle: a seed-only scrub of the original.
        ref=$T/ref.hive
        cp "$T/orig.hive" "$ref"
        expect_rc 0 "scrub --profile seed (reference)" vh scrub --profile seed "$ref"
        verify_scrub "$T/orig.hive" "$ref"
        expect_rc 0 "check --profile seed ignores the DUID" vh check --profile seed "$ref"
        expect_rc 1 "check --profile seed,dhcpv6 sees it" vh check --profile seed,dhcpv6 "$ref"
        [ "$N_EXPECTED" -ge 5 ] && ok || fail "the oracle expects the 5 seed values, got $N_EXPECTED"
        # ... and the result is that, minus ControlSet001's DUID, nothing else.
        values "$ref" | grep -v "^$CS1_DUID" >"$T/want.txt"
        values "$h" >"$T/got.txt"
        if diff -u "$T/want.txt" "$T/got.txt" >"$T/diff.txt"; then ok; else
                fail "reglookup: the scrubbed hive is not seed-scrubbed minus the DUID"
                head -20 "$T/diff.txt" >&2
        fi
        reglookup -H "$h" >"$T/rl.txt"
        hasnt "$T/rl.txt" "^$CS1_DUID" "ControlSet001's DUID is gone"
        has "$T/rl.txt" "^$CS2_DUID" "ControlSet002 (not scrubbed) keeps its DUID"
        has "$T/rl.txt" "^$IAID" "Dhcpv6Iaid stays"
        has "$T/rl.txt" "^/ControlSet001/Services/Tcpip6/Parameters/DisabledComponents,DWORD,0x00000000," \
                "DisabledComponents stays"
        "$PYTHON" "$REGCHECK" header "$h" >"$T/hdr.txt" && ok || fail "regcheck header"
        has "$T/hdr.txt" "^([0-9]+) \\1 True " "clean header after the delete"

        cp "$h" "$T/once.hive"
        expect_rc 0 "second scrub" vh scrub --profile seed,dhcpv6 "$h"
        has "$T/out" ": 0 blanked, .* 0 deleted: nothing to change$" "second scrub: nothing"
        same "$T/once.hive" "$h" "second scrub leaves the file byte-identical"
        expect_rc 0 "check after the scrub" vh check --profile seed,dhcpv6 "$h"

        # JSON: the deleted action, in totals, and absent afterwards.
        cp "$T/orig.hive" "$T/j.hive"
        expect_rc 0 "scrub --json --profile seed,dhcpv6" vh scrub --json --profile seed,dhcpv6 "$T/j.hive"
        "$PYTHON" - "$T/out" <<'PY' 2>"$T/py.err" && ok || { fail "scrub --json: deleted"; cat "$T/py.err" >&2; }
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["profile"] == "seed,dhcpv6", doc["profile"]
t = doc["targets"][0]
v = t["controlsets"][0]["tcpip6"]["values"]
assert v == [{"name": "Dhcpv6DUID", "type": "REG_BINARY", "action": "deleted",
              "old": "00,01,00,01,2c,5e,3a,10,00,15,5d,01,02,03", "rule": "dhcpv6.duid"}], v
assert t["totals"]["deleted"] == 1 and t["totals"]["blanked"] == 5, t["totals"]
PY
        expect_rc 0 "check --json after" vh check --json --profile dhcpv6 "$T/j.hive"
        "$PYTHON" - "$T/out" <<'PY' 2>"$T/py.err" && ok || { fail "check --json: absent"; cat "$T/py.err" >&2; }
import json, sys
t = json.load(open(sys.argv[1]))["targets"][0]
assert t["controlsets"][0]["tcpip6"]["values"][0]["action"] == "absent"
assert t["totals"]["deleted"] == 0 and t["totals"]["absent"] == 1, t["totals"]
PY

        # --all-controlsets: ControlSet002's DUID too.
        cp "$T/orig.hive" "$T/all.hive"
        expect_rc 1 "check --all-controlsets" vh check --profile dhcpv6 --all-controlsets "$T/all.hive"
        eq "$(count_lines "$T/out" ': stale ControlSet00[12]\\Services\\Tcpip6')" 2 "two DUIDs stale"
        expect_rc 0 "scrub --all-controlsets" vh scrub --profile dhcpv6 --all-controlsets "$T/all.hive"
        reglookup -H "$T/all.hive" >"$T/rl.txt"
        hasnt "$T/rl.txt" "Dhcpv6DUID" "every DUID is gone"
        has "$T/rl.txt" "^$IAID" "Dhcpv6Iaid stays (all control sets)"

        # A hive without Tcpip6: the DUID is absent, never created.
        cp "$(fixture values-absent)" "$T/none.hive"
        cp "$T/none.hive" "$T/none.orig"
        expect_rc 0 "check --profile dhcpv6 without Tcpip6" vh check --profile dhcpv6 "$T/none.hive"
        expect_rc 0 "scrub --profile dhcpv6 without Tcpip6" vh scrub --profile dhcpv6 "$T/none.hive"
        has "$T/out" ": 0 blanked, 0 already blank, 1 absent, 0 kept, 0 deleted: nothing to change$" \
                "absent DUID reported absent"
        same "$T/none.orig" "$T/none.hive" "nothing created"

        # Bad profile names: usage errors, nothing touched.
        for p in bogus "seed," "seed,,dhcpv6" "" "dhcpv6,lease,x"; do
                expect_rc 2 "--profile '$p'" vh scrub --profile "$p" "$T/orig.hive"
                has "$T/err" "unknown --profile" "--profile '$p' is named"
        done
        expect_rc 2 "check --profile bogus" vh check --profile bogus "$T/orig.hive"
        same "$h" "$T/once.hive" "usage errors write nothing"
}

CFG=/WINDOWS/system32/Config

image_case() {
        local tool=$1 img=$T/dhcpv6.raw
        for prog in mkntfs sfdisk; do
                command -v "$prog" >/dev/null || skip "$prog not installed"
        done
        [ -x "$tool" ] || skip "direct-tool $tool missing"
        truncate -s 48M "$T/win.ntfs"
        mkntfs -F -f -Q -q "$T/win.ntfs" 2>/dev/null || skip "mkntfs failed"
        # Empty logs, as Windows leaves them, and SOFTWARE saying Windows 10:
        # an image write goes through the hive's logs, in the format they need.
        : >"$T/empty"
        printf 'Windows Registry Editor Version 5.00\n\n%s\n"CurrentBuild"="19045"\n' \
                '[HKEY_LOCAL_MACHINE\SYSTEM\Microsoft\Windows NT\CurrentVersion]' >"$T/soft.reg"
        "$MAKE_HIVE" "$MKHIVE" "$T/SOFTWARE" "$T/soft.reg" || die "make-hive SOFTWARE"
        "$tool" --volume 0 "$T/win.ntfs" raw mkdir /WINDOWS mkdir /WINDOWS/system32 mkdir $CFG \
                create $CFG/SYSTEM "$(fixture dhcpv6)" create $CFG/SYSTEM.LOG1 "$T/empty" \
                create $CFG/SYSTEM.LOG2 "$T/empty" create $CFG/SOFTWARE "$T/SOFTWARE" \
                >/dev/null || die "direct-tool create"
        truncate -s 80M "$img"
        sfdisk -q "$img" >/dev/null <<SF || die "sfdisk"
label: gpt
start=2048, size=$((8 * 2048)), type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
start=$((16 * 2048)), size=$((48 * 2048)), type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7
SF
        dd if="$T/win.ntfs" of="$img" bs=512 seek=$((16 * 2048)) conv=notrunc status=none
        cp "$img" "$T/orig.raw"

        expect_rc 1 "image: check --profile dhcpv6" vh check --profile dhcpv6 "$img"
        has "$T/out" ": stale ControlSet001\\\\Services\\\\Tcpip6\\\\Parameters\\\\Dhcpv6DUID = " \
                "image: the DUID is stale"
        expect_rc 0 "image: scrub -n" vh scrub -n --profile dhcpv6 "$img"
        same "$T/orig.raw" "$img" "image: dry run writes nothing"
        expect_rc 0 "image: scrub --profile dhcpv6" vh scrub --profile dhcpv6 "$img"
        has "$T/out" ": deleted ControlSet001\\\\Services\\\\Tcpip6\\\\Parameters\\\\Dhcpv6DUID = " \
                "image: scrub says deleted"
        "$tool" --ro "$img" raw get $CFG/SYSTEM "$T/got.hive" >/dev/null || die "direct-tool get"
        reglookup -H "$T/got.hive" >"$T/rl.txt"
        hasnt "$T/rl.txt" "^$CS1_DUID" "image: the DUID is gone from the image's SYSTEM"
        has "$T/rl.txt" "^$IAID" "image: Dhcpv6Iaid stays"
        has "$T/rl.txt" "^$CS2_DUID" "image: ControlSet002 keeps its DUID"
        has "$T/rl.txt" "DhcpIPAddress,SZ,10.20.0.57," "image: the seed values stay (dhcpv6 only)"
        expect_rc 0 "image: check after" vh check --profile dhcpv6 "$img"
        cp "$img" "$T/once.raw"
        expect_rc 0 "image: second scrub" vh scrub --profile dhcpv6 "$img"
        has "$T/out" "0 deleted: nothing to change$" "image: second scrub changes nothing"
        same "$T/once.raw" "$img" "image: second scrub leaves the image byte-identical"
}

case "${1:-hive}" in
hive) hive_cases ;;
image) image_case "${2:?usage: test-dhcpv6.sh image DIRECT_TOOL}" ;;
*) die "usage: test-dhcpv6.sh [hive | image DIRECT_TOOL]" ;;
esac
finish
