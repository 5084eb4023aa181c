#!/bin/bash
# The registry editor commands on disk images: ls, get, set, delete, export
# and merge through the direct backend, and the PVS .reg merged through the
# appliance (one launch); results compared with the same commands on the
# hive file, and read back by reglookup.
. "$(dirname "$0")/lib.sh"

params='HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters'
copy mbr.vhdx e.vhdx
copy gpt.qcow2 p.qcow2
cp "$FIXTURES/multi-iface.hive" e.hive
export VHIVE_BACKEND=direct

# --- reading: the image answers as the hive file does ---------------------------------
for cmd in "ls|$params\\Interfaces" "get|$params|Hostname" "export|$params"; do
        IFS='|' read -r verb key name <<< "$cmd"
        "$VHIVE" $verb e.hive "$key" ${name:+"$name"} > want.txt 2>&1
        expect_rc 0 "$verb on an image" "$VHIVE" $verb e.vhdx "$key" ${name:+"$name"}
        cmp -s want.txt out && ok "$verb: image and hive file agree" ||
                fail "$verb: image and hive file differ: $(diff want.txt out | head)"
done

# --- writing: set, delete, merge ----------------------------------------------------------
sums e.vhdx > before.sum
expect_rc 0 "set --dry-run on an image" "$VHIVE" set -n e.vhdx "$params\\Vhive\\New" Answer dword:42
sha256sum --quiet -c before.sum && ok "dry run left the image identical" || fail "dry run wrote"
expect_rc 0 "set creating keys on an image" "$VHIVE" set e.vhdx "$params\\Vhive\\New" Answer dword:42
expect_rc 0 "get of the new value" "$VHIVE" get e.vhdx "$params\\Vhive\\New" Answer
[ "$(cat out)" = 42 ] && ok "the new value reads 42" || fail "the new value reads '$(cat out)'"
expect_rc 0 "delete of a key on an image" "$VHIVE" delete e.vhdx "$params\\Vhive"
expect_rc 2 "get of the deleted key" "$VHIVE" get e.vhdx "$params\\Vhive\\New" Answer

# The PVS fix, with the placeholder: refused, nothing written; with *: every interface.
pvs() { # GUID
        printf 'Windows Registry Editor Version 5.00\r\n'
        printf '[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters]\r\n"NameServer"=""\r\n'
        printf '[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\\Interfaces]\r\n'
        printf '[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\\Interfaces\\%s]\r\n' "$1"
        for v in NameServer Domain DhcpIPAddress DhcpSubnetMask DhcpServer DhcpNameServer \
                 DhcpDefaultGateway; do
                printf '"%s"=""\r\n' "$v"
        done
}
pvs '{GUID_OF_NETWORK_ADAPTOR}' > placeholder.reg
pvs '*' > star.reg
sums p.qcow2 > before.sum
expect_rc 2 "merge of the PVS .reg with its placeholder" "$VHIVE" merge p.qcow2 placeholder.reg
grep -q 'GUID_OF_NETWORK_ADAPTOR' err && ok "the error names the placeholder key" ||
        fail "no placeholder in: $(cat err)"
sha256sum --quiet -c before.sum && ok "nothing written" || fail "a failed merge wrote"
expect_rc 0 "appliance: merge of the PVS .reg with * (one launch)" \
        env VHIVE_BACKEND=appliance "$VHIVE" merge p.qcow2 star.reg
skip_if_no_appliance err
cp "$FIXTURES/one-iface.hive" p.hive
"$VHIVE" merge p.hive star.reg > /dev/null || fail "merge of the PVS .reg into the hive file"
"$VHIVE" export p.hive "$params" > want.reg
expect_rc 0 "export of the merged image" "$VHIVE" export p.qcow2 "$params"
cmp -s want.reg out && ok "the image holds what the hive file merge gives" ||
        fail "merged image differs: $(diff want.reg out | head)"
grep -q '"DhcpDefaultGateway"=""' out && ok "DhcpDefaultGateway became REG_SZ, as regedit does" ||
        fail "DhcpDefaultGateway is not an empty REG_SZ"

finish
