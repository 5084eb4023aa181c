#!/bin/bash
# A dirty old-format hive whose LOG2 has an invalid base block, as a stop
# while LOG2 was grown and zero-filled leaves it (issue 17, item 2): Windows
# ignores that log and loads the hive from LOG1, and so do info, get and set,
# with a warning on stderr and in --json.  A log Windows would use and cannot
# (a sound base block without its dirty vector, the other log ignored) is
# still refused, nothing written.
#
# usage: test-ignored-log.sh            the hive-file cases (suite cli)
#        test-ignored-log.sh image TOOL  the same on one image, direct backend,
#                                        made with mkntfs and direct-tool TOOL
. "$(dirname "$0")/lib.sh"

KEY='ControlSet001\Services\Tcpip\Parameters'
WARN='warning: transaction log LOG2 has no regf base block: ignored, as Windows ignores'

# olddirty CLEAN CHANGED DIR KIND: DIR/SYSTEM is CLEAN left dirty, DIR/SYSTEM.LOG1
# an old-format log (DIRT) that brings it to CHANGED's hive bins (make-dirty.py old);
# KIND zeroed: LOG2 is 64 KiB of zeros; no-dirt: LOG1 is zeros and LOG2 LOG1's sound
# old-format base block with nothing after it.
olddirty() {
        mkdir -p "$3"
        "$PYTHON" "$CLI_DIR/../fixtures/make-dirty.py" "$1" "$2" "$3/SYSTEM" old || return 1
        case $4 in
        zeroed) head -c 65536 /dev/zero >"$3/SYSTEM.LOG2" ;;
        no-dirt)
                { head -c 512 "$3/SYSTEM.LOG1" && head -c 65024 /dev/zero; } >"$3/SYSTEM.LOG2"
                head -c 65536 /dev/zero >"$3/SYSTEM.LOG1"
                ;;
        *) return 1 ;;
        esac
}

# values HIVE: reglookup's path,type,value per value (no times).
values() {
        reglookup -H -t SZ,DWORD "$1" | cut -d, -f1-3 | sort
}

# The clean hive and the change Windows logged (only in LOG1).
make_pair() {
        fixture one-iface "$T/h0.hive" >/dev/null
        cp "$T/h0.hive" "$T/h1.hive"
        expect_rc 0 "set (the logged change)" vh set "$T/h1.hive" "$KEY" Logged string:from-log1
        olddirty "$T/h0.hive" "$T/h1.hive" "$T/d" zeroed || die "olddirty"
        olddirty "$T/h0.hive" "$T/h1.hive" "$T/r" no-dirt || die "olddirty no-dirt"
}

hive_cases() {
        make_pair
        cp -r "$T/d" "$T/d.orig"
        expect_rc 0 "info, LOG2 zero-filled" vh info "$T/d/SYSTEM"
        has "$T/err" "$WARN" "info warns that LOG2 is ignored"
        has "$T/out" "LOG2: invalid base block \\(ignored, as Windows does\\)" "info: LOG2 ignored"
        has "$T/out" "replaying the logs applies" "info: LOG1 replays"
        expect_rc 0 "info --json" vh info --json "$T/d/SYSTEM"
        "$PYTHON" - "$T/out" <<'PY' 2>"$T/py.err" && ok || { fail "info --json warnings"; cat "$T/py.err" >&2; }
import json, sys
t = json.load(open(sys.argv[1]))["targets"][0]
assert "LOG2 has no regf base block" in t["warnings"][0], t.get("warnings")
logs = t["replay"]["logs"]
assert logs[1]["ignored"] and not logs[0]["ignored"] and logs[0]["applied"] > 0, logs
PY
        expect_rc 0 "get, LOG2 zero-filled" vh get "$T/d/SYSTEM" "$KEY" Logged
        has "$T/out" "from-log1" "get reads LOG1's change"
        has "$T/err" "$WARN" "get warns"
        expect_rc 0 "set, LOG2 zero-filled" vh set "$T/d/SYSTEM" "$KEY" After string:x
        has "$T/err" "$WARN" "set warns"
        # What Windows loads (LOG1 replayed: h1), plus the new value.
        cp "$T/h1.hive" "$T/want.hive"
        expect_rc 0 "set on the reference" vh set "$T/want.hive" "$KEY" After string:x
        values "$T/want.hive" >"$T/want.txt"
        values "$T/d/SYSTEM" >"$T/got.txt"
        if diff -u "$T/want.txt" "$T/got.txt" >"$T/diff.txt"; then ok; else
                fail "set: the hive is not LOG1's replay plus the change"
                head -20 "$T/diff.txt" >&2
        fi
        "$PYTHON" "$REGCHECK" header "$T/d/SYSTEM" >"$T/hdr.txt" && ok || fail "regcheck header"
        has "$T/hdr.txt" "^([0-9]+) \\1 True " "clean header after the set"

        cp -r "$T/r" "$T/r.orig"
        expect_rc 2 "set, LOG2 with no dirty vector" vh set "$T/r/SYSTEM" "$KEY" After string:x
        has "$T/err" "transaction log LOG2 has no dirty vector: vhive cannot know" "set refuses"
        for f in SYSTEM SYSTEM.LOG1 SYSTEM.LOG2; do same "$T/r.orig/$f" "$T/r/$f" "refused: $f"; done
        expect_rc 0 "info, LOG2 with no dirty vector" vh info "$T/r/SYSTEM"
        has "$T/out" "the logs cannot be replayed: transaction log LOG2 has no dirty vector" \
                "info says the logs cannot be replayed"
}

CFG=/WINDOWS/system32/Config

# vol NAME DIR: an NTFS volume (whole disk) holding DIR's hive and logs.
vol() {
        local img=$T/$1.raw
        truncate -s 48M "$img"
        mkntfs -F -f -Q -q "$img" 2>/dev/null || skip "mkntfs failed"
        "$TOOL" --volume 0 "$img" raw mkdir /WINDOWS mkdir /WINDOWS/system32 mkdir $CFG \
                create $CFG/SYSTEM "$2/SYSTEM" create $CFG/SYSTEM.LOG1 "$2/SYSTEM.LOG1" \
                create $CFG/SYSTEM.LOG2 "$2/SYSTEM.LOG2" create $CFG/SOFTWARE "$T/SOFTWARE" \
                >/dev/null || die "direct-tool create"
}

image_case() {
        TOOL=$1
        command -v mkntfs >/dev/null || skip "mkntfs not installed"
        [ -x "$TOOL" ] || skip "direct-tool $TOOL missing"
        make_pair
        # Windows 7: old-format logs.
        printf 'Windows Registry Editor Version 5.00\n\n%s\n"CurrentBuild"="7601"\n' \
                '[HKEY_LOCAL_MACHINE\SYSTEM\Microsoft\Windows NT\CurrentVersion]' >"$T/soft.reg"
        "$MAKE_HIVE" "$MKHIVE" "$T/SOFTWARE" "$T/soft.reg" >/dev/null || die "make-hive SOFTWARE"
        vol d "$T/d"
        vol r "$T/r"
        expect_rc 0 "image: info, LOG2 zero-filled" vh info "$T/d.raw"
        has "$T/err" "$WARN" "image: info warns"
        expect_rc 0 "image: set, LOG2 zero-filled" vh set "$T/d.raw" "$KEY" After string:x
        has "$T/err" "$WARN" "image: set warns"
        "$TOOL" --ro "$T/d.raw" raw get $CFG/SYSTEM "$T/got.hive" >/dev/null || die "direct-tool get"
        cp "$T/h1.hive" "$T/want.hive"
        expect_rc 0 "set on the reference" vh set "$T/want.hive" "$KEY" After string:x
        values "$T/want.hive" >"$T/want.txt"
        values "$T/got.hive" >"$T/got.txt"
        if diff -u "$T/want.txt" "$T/got.txt" >"$T/diff.txt"; then ok; else
                fail "image: the hive is not LOG1's replay plus the change"
                head -20 "$T/diff.txt" >&2
        fi
        cp "$T/r.raw" "$T/r.orig"
        expect_rc 2 "image: set, LOG2 with no dirty vector" vh set "$T/r.raw" "$KEY" After string:x
        has "$T/err" "LOG2 has no dirty vector" "image: set refuses"
        same "$T/r.orig" "$T/r.raw" "image: refused, nothing written"
}

case "${1:-hive}" in
hive) hive_cases ;;
image) image_case "${2:?usage: test-ignored-log.sh image DIRECT_TOOL}" ;;
*) die "usage: test-ignored-log.sh [hive | image DIRECT_TOOL]" ;;
esac
finish
