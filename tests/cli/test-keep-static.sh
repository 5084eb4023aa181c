#!/bin/bash
# --keep-static keeps NameServer/Domain of interfaces with EnableDHCP=0 and
# says "kept"; everything else is blanked as usual.
. "$(dirname "$0")/lib.sh"

ST='{B5E0C2D4-1A2B-4C3D-9E8F-0A1B2C3D4E5F}'
ST_RE='\{B5E0C2D4-1A2B-4C3D-9E8F-0A1B2C3D4E5F\}'

hive=$(fixture static "$T/keep/static.hive")
orig="$T/static.orig"
cp "$hive" "$orig"

expect_rc 1 "check --keep-static (other values are stale)" vh check --keep-static "$hive"
hasnt "$T/out" "stale .*$ST_RE\\\\(NameServer|Domain) " "check --keep-static does not count kept values"

expect_rc 0 "scrub --keep-static" vh scrub --keep-static "$hive"
cp "$T/out" "$T/keep.out"
verify_scrub "$orig" "$hive" --keep-static
has "$T/keep.out" ": kept .*$ST_RE\\\\NameServer = \"192.168.10.1,192.168.10.2\" \\(static interface\\)" \
        "the static NameServer is reported kept"
has "$T/keep.out" ": kept .*$ST_RE\\\\Domain = \"lab.example.com\"" "the static Domain is reported kept"
has "$T/keep.out" ": blank .*$ST_RE\\\\DhcpServer = \"255.255.255.255\"" \
        "other values of the static interface are blanked"
has "$T/keep.out" ": [0-9]+ blanked, .* 2 kept: written" "summary counts 2 kept"
for p in "${EXPECTED[@]}"; do
        case $p in *"$ST"\\NameServer|*"$ST"\\Domain) fail "oracle lists a kept value: $p" ;; esac
done
reglookup "$hive" | grep -F "$ST/NameServer,SZ,192.168.10.1%2C192.168.10.2," >/dev/null && ok ||
        fail "reglookup: the static NameServer is not intact"

expect_rc 0 "check --keep-static after scrub --keep-static" vh check --keep-static "$hive"
expect_rc 1 "check without --keep-static still sees the kept values" vh check "$hive"
eq "$(count_lines "$T/out" ': stale .* = ')" 2 "exactly the two kept values are stale"

# Without --keep-static the static interface is blanked too.
hive=$(fixture static "$T/plain/static.hive")
expect_rc 0 "scrub (no --keep-static) on static" vh scrub "$hive"
verify_scrub "$orig" "$hive"
hasnt "$T/out" ": kept " "nothing kept without --keep-static"
found=0
for p in "${EXPECTED[@]}"; do case $p in *"$ST"\\NameServer) found=1 ;; esac; done
eq "$found" 1 "without --keep-static the static NameServer is blanked"

# On DHCP-only hives --keep-static changes nothing.
hive=$(fixture one-iface "$T/dhcp/one-iface.hive")
expect_rc 0 "scrub --keep-static on one-iface" vh scrub --keep-static "$hive"
verify_scrub "$FIXTURES/one-iface.hive" "$hive"
hasnt "$T/out" ": kept " "no static interface, nothing kept"

# One definition of "static" for info and scrub: EnableDHCP a REG_DWORD 0.
# A REG_SZ "0" (Windows reads EnableDHCP as a DWORD and ignores it) is not.
hive=$(fixture static "$T/sz/static.hive")
expect_rc 0 "info on static" vh info "$hive"
has "$T/out" "interface $ST_RE: static" "info: the DWORD 0 interface is static"
expect_rc 0 "set EnableDHCP to REG_SZ 0" vh set "$hive" \
        "CurrentControlSet\\Services\\Tcpip\\Parameters\\Interfaces\\$ST" EnableDHCP string:0
expect_rc 0 "info with a REG_SZ EnableDHCP" vh info "$hive"
has "$T/out" "interface $ST_RE: EnableDHCP is not a REG_DWORD" "info: a REG_SZ 0 is not static"
expect_rc 0 "info --json with a REG_SZ EnableDHCP" vh info --json "$hive"
has "$T/out" '"enable_dhcp": -1' "info --json: a REG_SZ EnableDHCP reads as absent"
expect_rc 0 "scrub --keep-static with a REG_SZ EnableDHCP" vh scrub --keep-static "$hive"
hasnt "$T/out" ": kept " "scrub --keep-static: a REG_SZ 0 is not static either"
has "$T/out" ": blank .*$ST_RE\\\\NameServer = " "its NameServer is blanked"

finish
