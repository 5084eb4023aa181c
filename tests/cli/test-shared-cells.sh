#!/bin/bash
# Cells two structures share (issue 18 item 2), in hives every reader reads
# cleanly (made by tests/badinput/mkbad.py shared): freeing such a cell for
# one leaves the other pointing into free space.  A data cell another value
# shares stays allocated when the scrub blanks a value in place; a shared
# vk is refused; hivex's writer (set) is refused when it would free a
# shared cell; a db cell whose segment count lies is refused.  Afterwards
# hivex, reglookup and libregf read the other value intact.
. "$(dirname "$0")/lib.sh"

for tool in hivexget; do
        command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed"
done
P='ControlSet001\Services\Tcpip\Parameters'
MKBAD="$SRCDIR/tests/badinput/mkbad.py"

# intact HIVE NAME WANT-FILE: NAME under Parameters holds exactly WANT-FILE's
# bytes per reglookup and regfexport, and hivex reads it.
intact() {
        if "$PYTHON" "$REGCHECK" bytes "$1" "$P" "$2" "$3" 2>"$T/verify.err"; then
                ok
        else
                fail "$(basename "$1"): $2 is not intact"
                sed 's/^/    /' "$T/verify.err" | head -20 >&2
        fi
        if hivexget "$1" "$P" "$2" >/dev/null 2>"$T/hivex.err"; then
                ok
        else
                fail "$(basename "$1"): hivex cannot read $2: $(cat "$T/hivex.err")"
        fi
}

printf 'WIN10-GOLD\0' | iconv -f ascii -t utf-16le >"$T/hostname.bin"
"$PYTHON" "$MKBAD" shared "$(fixture one-iface)" "$T/gen" || die "mkbad.py shared failed"

# ---- two values, one data cell: the scrub blanks one, keeps the other --------
h=$T/data/SYSTEM
mkdir -p "$T/data" && cp "$T/gen/shared-data.hive" "$h"
intact "$h" Hostname "$T/hostname.bin"
expect_rc 0 "scrub of a hive whose Domain shares Hostname's data cell" vh scrub "$h"
intact "$h" Hostname "$T/hostname.bin"
expect_rc 0 "check after the scrub" vh check "$h"
has "$T/out" "clean" "check says clean"

# hivex's writer would free the shared cell: refused, nothing written.
h=$T/set/SYSTEM
mkdir -p "$T/set" && cp "$T/gen/shared-data.hive" "$h"
guid=$("$VHIVE" ls "$h" "$P\\Interfaces" | sed -n 's/\\$//p' | head -n 1)
expect_rc 2 "set on the key whose value shares a data cell" \
        vh set "$h" "$P\\Interfaces\\$guid" X string:y
has "$T/err" "shared with another key or value" "the refusal says why"
same "$T/gen/shared-data.hive" "$h" "the refused hive is unchanged"
intact "$h" Hostname "$T/hostname.bin"

# ---- two value lists, one vk: blanking it would change the other key ---------
h=$T/vk/SYSTEM
mkdir -p "$T/vk" && cp "$T/gen/shared-vk.hive" "$h"
expect_rc 2 "scrub of a hive whose vk two keys share" vh scrub "$h"
has "$T/err" "a value cell .* is shared with another key" "the refusal says why"
same "$T/gen/shared-vk.hive" "$h" "the refused hive is unchanged"

# ---- big data: a shared db cell, a shared segment list, a lying count --------
big=$T/big/SYSTEM
mkdir -p "$T/big" && fixture one-iface "$big" >/dev/null
"$PYTHON" -c 'import sys
sys.stdout.buffer.write(bytes((i * 7 + 3) & 255 for i in range(20000)))' >"$T/blob.bin"
blob="hex:3:$(od -An -v -tx1 "$T/blob.bin" | tr -s ' \n' ',' | sed 's/^,//; s/,$//')"
expect_rc 0 "set a 20000-byte BigBlob" vh set "$big" "$P" BigBlob "$blob"
expect_rc 0 "set a 20000-byte DhcpInterfaceOptions" \
        vh set "$big" "$P\\Interfaces\\$guid" DhcpInterfaceOptions "$blob"
"$PYTHON" "$MKBAD" shared "$big" "$T/genbig" || die "mkbad.py shared (big data) failed"
for c in shared-db shared-db-list; do
        h=$T/$c/SYSTEM
        mkdir -p "$T/$c" && cp "$T/genbig/$c.hive" "$h"
        intact "$h" BigBlob "$T/blob.bin"
        expect_rc 0 "$c: scrub --profile lease" vh scrub --profile lease "$h"
        intact "$h" BigBlob "$T/blob.bin"
        expect_rc 0 "$c: check --profile lease after the scrub" vh check --profile lease "$h"
done
# hivex's writer frees the db cell of a value it rewrites (not the segment
# list): refused when the db cell is shared, allowed when only the list is.
for c in shared-db shared-db-list; do
        h=$T/$c-set/SYSTEM
        mkdir -p "$T/$c-set" && cp "$T/genbig/$c.hive" "$h"
        vh set "$h" "$P\\Interfaces\\$guid" X string:y
        if [ $c = shared-db ]; then
                eq "$RC" 2 "$c: set on the key whose value shares BigBlob's db cell"
                same "$T/genbig/$c.hive" "$h" "$c: the refused hive is unchanged"
        else
                eq "$RC" 0 "$c: set on the key whose db cell shares BigBlob's segment list"
        fi
        intact "$h" BigBlob "$T/blob.bin"
done
h=$T/lie/SYSTEM
mkdir -p "$T/lie" && cp "$T/genbig/db-count-lie.hive" "$h"
for cmd in "scrub --profile lease" "set"; do
        case $cmd in
        set) vh set "$h" "$P" X string:y ;;
        *) vh $cmd "$h" ;;
        esac
        eq "$RC" 2 "$cmd on a db cell whose segment count lies"
        # hivex itself fails to read the value before set gets that far.
        if [ "$cmd" != set ]; then has "$T/err" "segment count" "$cmd: the refusal says why"; fi
        same "$T/genbig/db-count-lie.hive" "$h" "$cmd: the refused hive is unchanged"
done
finish
