#!/bin/sh
# ls, get, set, delete, export and merge on hive files; results read back
# with independent parsers (hivexregedit --export, reglookup).
set -u

# skip, ok, fail, die, assert, expect_rc, finish
. "$(dirname "$0")/../lib.sh"
[ -n "${VHIVE:-}" ] && [ -n "${MKHIVE:-}" ] || skip "VHIVE or MKHIVE unset"
[ -n "${FIXTURES:-}" ] && [ -f "$FIXTURES/multi-iface.hive" ] || skip "fixture hives not built"
command -v hivexregedit >/dev/null || skip "hivexregedit missing (libhivex-bin)"
command -v reglookup >/dev/null || skip "reglookup missing"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-regfile-cli.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
OUT=$tmp/out
ERR=$tmp/err
has() { grep -qF -- "$2" "$1" || { fail "$1 lacks: $2"; sed 's/^/  | /' "$1" >&2; }; }

CS='ControlSet001\Services\Tcpip\Parameters'
IF='{4D36E972-E325-11CE-BFC1-08002BE10318}'
cp "$FIXTURES/multi-iface.hive" "$tmp/SYSTEM"; chmod u+w "$tmp/SYSTEM"
h=$tmp/SYSTEM

# ls and get, CurrentControlSet and "*"
expect_rc 0 "ls HIVE 'HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parame" "$VHIVE" ls "$h" 'HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters'
has "$tmp/out" 'Interfaces\'
has "$tmp/out" "$(printf 'Hostname\tREG_SZ\tWIN10-GOLD')"
expect_rc 0 "get HIVE HKEY_LOCAL_MACHINE\\SYSTEM\\CS\\Interfaces\\IF dhcp" "$VHIVE" get "$h" "HKEY_LOCAL_MACHINE\\SYSTEM\\$CS\\Interfaces\\$IF" dhcpipaddress
has "$tmp/out" '10.20.0.57'
expect_rc 0 "get HIVE 'CurrentControlSet\Services\Tcpip\Parameters\Interf" "$VHIVE" get "$h" 'CurrentControlSet\Services\Tcpip\Parameters\Interfaces\*' \
        DhcpIPAddress
[ "$(wc -l <"$tmp/out")" = 3 ] || fail "get with * gave $(wc -l <"$tmp/out") lines"
expect_rc 0 "get --raw HIVE CS\\Interfaces\\IF EnableDHCP" "$VHIVE" get --raw "$h" "$CS\\Interfaces\\$IF" EnableDHCP
[ "$(od -An -tx1 "$tmp/out" | tr -d ' \n')" = 01000000 ] || fail "get --raw"
expect_rc 2 "get HIVE CS NoSuchValue" "$VHIVE" get "$h" "$CS" NoSuchValue
has "$tmp/err" 'NoSuchValue'
expect_rc 2 "ls HIVE 'HKLM\SOFTWARE\Microsoft'" "$VHIVE" ls "$h" 'HKLM\SOFTWARE\Microsoft'
has "$tmp/err" 'outside this hive'

# set: every type, missing keys created; reglookup reads them back
k='HKLM\SYSTEM\CurrentControlSet\Services\New\Deep'
for v in 'S string:hello' 'E expand:%SystemRoot%' 'M multi:a,b' 'D dword:0x2a' \
         'Q qword:5' 'B hex:3:01,02,ff' 'N none'; do
        expect_rc 0 "set HIVE k {v%% *} {v#* }" "$VHIVE" set "$h" "$k" ${v%% *} "${v#* }"
done
reglookup -H -p '/ControlSet001/Services/New/Deep' "$h" >"$tmp/rl" 2>/dev/null
has "$tmp/rl" '/ControlSet001/Services/New/Deep/S,SZ,hello,'
has "$tmp/rl" '/ControlSet001/Services/New/Deep/E,EXPAND_SZ,%25SystemRoot%25,'
has "$tmp/rl" '/ControlSet001/Services/New/Deep/D,DWORD,0x0000002A,'
has "$tmp/rl" '/ControlSet001/Services/New/Deep/B,BINARY,%01%02%FF,'
has "$tmp/rl" '/ControlSet001/Services/New/Deep/Q,QWORD,'

# delete a value, then the key; missing ones are errors
expect_rc 0 "delete HIVE k S" "$VHIVE" delete "$h" "$k" S
expect_rc 2 "delete HIVE k S" "$VHIVE" delete "$h" "$k" S
expect_rc 0 "delete HIVE 'CurrentControlSet\Services\New'" "$VHIVE" delete "$h" 'CurrentControlSet\Services\New'
expect_rc 2 "delete HIVE 'CurrentControlSet\Services\New'" "$VHIVE" delete "$h" 'CurrentControlSet\Services\New'
hivexregedit --export "$h" '\ControlSet001\Services' >"$tmp/hx"
grep -q 'Services\\New' "$tmp/hx" && fail "New still there"

# merge: the PVS .reg with its placeholder fails and writes nothing
cat >"$tmp/pvs.reg" <<'REG'
Windows Registry Editor Version 5.00
[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters]
"NameServer"=""
[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters\Interfaces]
[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters\Interfaces\{GUID_OF_NETWORK_ADAPTOR}]
"NameServer"=""
"Domain"=""
"DhcpIPAddress"=""
"DhcpSubnetMask"=""
"DhcpServer"=""
"DhcpNameServer"=""
"DhcpDefaultGateway"=""
REG
before=$(md5sum <"$h")
expect_rc 2 "merge HIVE tmp/pvs.reg" "$VHIVE" merge "$h" "$tmp/pvs.reg"
has "$tmp/err" 'pvs.reg:5: key HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters\Interfaces\{GUID_OF_NETWORK_ADAPTOR} does not exist'
[ "$(md5sum <"$h")" = "$before" ] || fail "failed merge changed the hive"

# bad .reg: file and line, nothing written
printf 'Windows Registry Editor Version 5.00\r\n\r\n[HKLM\\SYSTEM\\X]\r\n"a"=dword:xyz\r\n' \
        >"$tmp/bad.reg"
expect_rc 2 "merge HIVE tmp/bad.reg" "$VHIVE" merge "$h" "$tmp/bad.reg"
has "$tmp/err" 'bad.reg:4:'

# with "*", UTF-16 as regedit writes it: dry run first, then for real
sed 's/{GUID_OF_NETWORK_ADAPTOR}/*/' "$tmp/pvs.reg" | sed 's/$/\r/' |
        iconv -f UTF-8 -t UTF-16LE | { printf '\377\376'; cat; } >"$tmp/star.reg"
expect_rc 0 "merge -n HIVE tmp/star.reg" "$VHIVE" merge -n "$h" "$tmp/star.reg"
has "$tmp/out" 'dry run'
has "$tmp/out" '"DhcpDefaultGateway" = REG_SZ "" (was REG_MULTI_SZ "10.20.0.1")'
[ "$(md5sum <"$h")" = "$before" ] || fail "dry run changed the hive"
expect_rc 0 "merge HIVE tmp/star.reg" "$VHIVE" merge "$h" "$tmp/star.reg"
hivexregedit --export "$h" "\\$CS\\Interfaces" >"$tmp/hx"
[ "$(grep -c '^"DhcpDefaultGateway"=hex(1):00,00' "$tmp/hx")" = 3 ] ||
        fail "DhcpDefaultGateway not REG_SZ \"\" on 3 interfaces"
[ "$(grep -c '^"DhcpIPAddress"=hex(1):00,00' "$tmp/hx")" = 3 ] || fail "DhcpIPAddress"

# export: round trip through an empty hive, UTF-8 and UTF-16
expect_rc 0 "export HIVE 'HKLM\SYSTEM\ControlSet001'" "$VHIVE" export "$h" 'HKLM\SYSTEM\ControlSet001'
cp "$tmp/out" "$tmp/e1.reg"
[ "$(head -1 "$tmp/e1.reg" | tail -c 2 | od -An -tx1 | tr -d ' ')" = 0d0a ] || fail "no CRLF"
"$MKHIVE" "$tmp/empty"
expect_rc 0 "merge tmp/empty tmp/e1.reg" "$VHIVE" merge "$tmp/empty" "$tmp/e1.reg"
expect_rc 0 "export tmp/empty 'ControlSet001'" "$VHIVE" export "$tmp/empty" 'ControlSet001'
cmp -s "$tmp/out" "$tmp/e1.reg" || fail "export, merge, export differ"
expect_rc 0 "export --utf16 HIVE 'HKLM\SYSTEM\ControlSet001'" "$VHIVE" export --utf16 "$h" 'HKLM\SYSTEM\ControlSet001'
[ "$(head -c 2 "$tmp/out" | od -An -tx1 | tr -d ' ')" = fffe ] || fail "no BOM"
iconv -f UTF-16LE -t UTF-8 "$tmp/out" | tail -c +4 | cmp -s - "$tmp/e1.reg" ||
        fail "--utf16 is not the UTF-8 export"
# hivexregedit agrees on the content of the merged copy
hivexregedit --export "$h" '\ControlSet001' >"$tmp/hx1"
hivexregedit --export "$tmp/empty" '\ControlSet001' >"$tmp/hx2"
cmp -s "$tmp/hx1" "$tmp/hx2" || fail "hivexregedit sees different content"

# export -> delete -> merge -> export is identical for keys whose names are
# in braces but not GUIDs (they exist: {EMPTYIF0-...}); only a {NAME} of
# letters and underscores is a placeholder
odd='{EMPTYIF0-0000-0000-0000-000000000000}'
expect_rc 0 "set HIVE CS\\Interfaces\\odd Domain string:odd.example" "$VHIVE" set "$h" "$CS\\Interfaces\\$odd" Domain string:odd.example
expect_rc 0 "set HIVE CS\\Interfaces\\{Legacy_Name_9} Domain string:legac" "$VHIVE" set "$h" "$CS\\Interfaces\\{Legacy_Name_9}" Domain string:legacy
expect_rc 0 "set HIVE CS\\Interfaces\\{0123456789abcdef0123456789ABCDEF}" "$VHIVE" set "$h" "$CS\\Interfaces\\{0123456789abcdef0123456789ABCDEF}" X dword:1
expect_rc 0 "export HIVE CS\\Interfaces" "$VHIVE" export "$h" "$CS\\Interfaces"
cp "$tmp/out" "$tmp/ifaces.reg"
# restore.reg: the export without the {Legacy_Name_9} section
awk '/Legacy_Name_9/ { skip = 1 } !skip { print } skip && /^\r?$/ { skip = 0 }' \
        "$tmp/ifaces.reg" >"$tmp/restore.reg"
for k in "$odd" '{0123456789abcdef0123456789ABCDEF}' '{Legacy_Name_9}'; do
        expect_rc 0 "delete HIVE CS\\Interfaces\\k" "$VHIVE" delete "$h" "$CS\\Interfaces\\$k"
done
expect_rc 0 "merge HIVE tmp/restore.reg" "$VHIVE" merge "$h" "$tmp/restore.reg"
expect_rc 0 "export HIVE CS\\Interfaces" "$VHIVE" export "$h" "$CS\\Interfaces"
cmp -s "$tmp/out" "$tmp/restore.reg" || fail "export, delete, merge, export differ for {...} keys"
has "$tmp/out" "$odd]"
has "$tmp/out" '{0123456789abcdef0123456789ABCDEF}]'
# {Legacy_Name_9} is placeholder-shaped: merging it fails and writes nothing
sum=$(sha256sum <"$h")
expect_rc 2 "merge HIVE tmp/ifaces.reg" "$VHIVE" merge "$h" "$tmp/ifaces.reg"
has "$tmp/err" '{Legacy_Name_9} does not exist'
[ "$(sha256sum <"$h")" = "$sum" ] || fail "a refused merge changed the hive"

# -o writes elsewhere, the input stays
expect_rc 0 "set -o tmp/copy HIVE 'Select' Extra dword:1" "$VHIVE" set -o "$tmp/copy" "$h" 'Select' Extra dword:1
"$VHIVE" get "$tmp/copy" Select Extra >"$tmp/out" 2>&1 && has "$tmp/out" 1
expect_rc 2 "get HIVE Select Extra" "$VHIVE" get "$h" Select Extra

finish
echo "all regfile command tests passed"
