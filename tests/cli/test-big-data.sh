#!/bin/bash
# Values over 16,344 bytes on hives 1.4 and later (issue 18 item 3): set and
# merge write them as Windows does, a db cell, a segment list and segments,
# and every reader (hivex, reglookup, libregf's regfexport) reads the bytes
# back exactly.  A 1.3 hive keeps one flat cell (no db before 1.4).
. "$(dirname "$0")/lib.sh"

command -v hivexget >/dev/null 2>&1 || skip "hivexget is not installed"
P='ControlSet001\Services\Tcpip\Parameters'

# exact HIVE NAME FILE: reglookup, regfexport, hivex and vhive get all read
# NAME under Parameters as FILE's bytes.
exact() {
        if "$PYTHON" "$REGCHECK" bytes "$1" "$P" "$2" "$3" 2>"$T/verify.err"; then
                ok
        else
                fail "$(basename "$1"): $2 does not read back exactly"
                sed 's/^/    /' "$T/verify.err" | head -20 >&2
        fi
        vh get --raw "$1" "$P" "$2"
        same "$3" "$T/out" "$(basename "$1"): vhive get --raw $2"
        if hivexget "$1" "$P" "$2" >/dev/null 2>"$T/hivex.err"; then
                ok
        else
                fail "$(basename "$1"): hivex cannot read $2: $(cat "$T/hivex.err")"
        fi
}

hexof() {
        printf 'hex:3:%s' "$(od -An -v -tx1 "$1" | tr -s ' \n' ',' | sed 's/^,//; s/,$//')"
}

for n in 16344 16345 20000 32688 40000; do
        "$PYTHON" -c "import sys
sys.stdout.buffer.write(bytes((i * 7 + $n) & 255 for i in range($n)))" >"$T/v$n.bin"
done

h=$(fixture one-iface "$T/set/SYSTEM")
for n in 16344 16345 20000 32688 40000; do
        expect_rc 0 "set a value of $n bytes" vh set "$h" "$P" "V$n" "$(hexof "$T/v$n.bin")"
done
for n in 16344 16345 20000 32688 40000; do
        exact "$h" "V$n" "$T/v$n.bin"
done
expect_rc 1 "check after the sets reads the hive (stale values, no error)" vh check "$h"

# merge goes through the same writer.
h=$(fixture one-iface "$T/merge/SYSTEM")
{
        printf 'Windows Registry Editor Version 5.00\r\n\r\n'
        printf '[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\Tcpip\\Parameters]\r\n'
        printf '"M"=%s\r\n' "$(hexof "$T/v20000.bin" | sed 's/^hex:3:/hex:/')"
} >"$T/big.reg"
expect_rc 0 "merge a 20000-byte value" vh merge "$h" "$T/big.reg"
exact "$h" M "$T/v20000.bin"
# A rewrite of the key (another value set) keeps it readable.
expect_rc 0 "set another value of the key" vh set "$h" "$P" Other string:x
exact "$h" M "$T/v20000.bin"

# A 1.3 hive has no big data: one flat cell, which its readers expect.
if [ -n "${MKHIVE:-}" ] && [ -x "$MKHIVE" ]; then
        mkdir -p "$T/old"
        "$MKHIVE" --minor 3 "$T/old/SYSTEM" || die "mkhive --minor 3 failed"
        expect_rc 0 "set a 40000-byte value on a 1.3 hive" \
                vh set "$T/old/SYSTEM" "$P" V40000 "$(hexof "$T/v40000.bin")"
        # libregf reads a 1.3 hive's data as one cell: a db cell would not
        # read back.
        exact "$T/old/SYSTEM" V40000 "$T/v40000.bin"
else
        note "MKHIVE unset: the 1.3 case is left out"
fi
finish
