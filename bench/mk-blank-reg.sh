#!/bin/sh
# mk-blank-reg.sh [--profile seed|lease] [--params nameserver|all] HIVE > blank.reg
#
# Writes the .reg that makes "hivexregedit --merge --prefix
# 'HKEY_LOCAL_MACHINE\SYSTEM' HIVE blank.reg" blank the same values as
# "vhive scrub --profile P HIVE": in the current control set (Select\Current),
# each Services\Tcpip\Parameters\Interfaces\{GUID} and Parameters itself, every
# value of the profile that is present, rewritten blank in its own type (REG_SZ and
# REG_EXPAND_SZ 00 00, REG_MULTI_SZ four zero bytes, REG_DWORD 0, REG_QWORD 0,
# anything else zero length), as lib/blank.c does.  Values are found with
# hivexregedit --export, so this works on any SYSTEM hive.
#
# In Parameters itself vhive blanks only NameServer (lib/scrub.c,
# parameters_values); --params all takes the whole profile there too.
set -eu

profile=lease
params_values=nameserver
while [ $# -gt 1 ]; do
        case $1 in
        --profile) profile=$2 ;;
        --params) params_values=$2 ;;
        *) break ;;
        esac
        shift 2
done
case $params_values in
nameserver|all) ;;
*) echo "mk-blank-reg.sh: --params takes nameserver or all" >&2; exit 2 ;;
esac
case $profile in
seed|lease) ;;
*) echo "mk-blank-reg.sh: unknown profile '$profile'" >&2; exit 2 ;;
esac
if [ $# -ne 1 ]; then
        echo "usage: mk-blank-reg.sh [--profile seed|lease] [--params nameserver|all] HIVE" >&2
        exit 2
fi
hive=$1

current=$(hivexget "$hive" '\Select' Current)
cs=$(printf 'ControlSet%03d' "$current")
params="\\$cs\\Services\\Tcpip\\Parameters"

# Through the environment: awk -v would eat the backslashes.
PROFILE=$profile
PARAMS_VALUES=$params_values
PARAMS="HKEY_LOCAL_MACHINE\\SYSTEM$params"
export PROFILE PARAMS PARAMS_VALUES
hivexregedit --export --prefix 'HKEY_LOCAL_MACHINE\SYSTEM' "$hive" "$params" |
awk '
BEGIN {
        profile = ENVIRON["PROFILE"]
        params = ENVIRON["PARAMS"]
        only_nameserver = ENVIRON["PARAMS_VALUES"] == "nameserver"
        n = split("nameserver domain dhcpipaddress dhcpsubnetmask dhcpserver " \
                  "dhcpnameserver dhcpdefaultgateway", seed, " ")
        for (i = 1; i <= n; i++)
                want[seed[i]] = 1
        if (profile == "lease") {
                n = split("dhcpdomain dhcpsubnetmaskopt lease leaseobtainedtime " \
                          "leaseterminatestime t1 t2 dhcpinterfaceoptions " \
                          "dhcpgatewayhardware dhcpgatewayhardwarecount", lease, " ")
                for (i = 1; i <= n; i++)
                        want[lease[i]] = 1
        }
        ifaces = tolower(params "\\Interfaces\\")
        print "Windows Registry Editor Version 5.00"
}
function blank(type) {
        if (type == "dword")
                return "dword:00000000"
        if (type == "hex(1)" || type == "hex(2)")
                return type ":00,00"
        if (type == "hex(7)")
                return type ":00,00,00,00"
        if (type == "hex(b)")
                return type ":00,00,00,00,00,00,00,00"
        return type ":"
}
/^\[/ {
        key = substr($0, 2, length($0) - 2)
        k = tolower(key)
        rest = substr(k, length(ifaces) + 1)
        in_params = k == tolower(params)
        inkey = in_params ||
                (substr(k, 1, length(ifaces)) == ifaces && rest != "" && index(rest, "\\") == 0)
        header = 0
        next
}
inkey && /^"/ {
        eq = index($0, "\"=")
        name = substr($0, 2, eq - 2)
        if (!(tolower(name) in want))
                next
        if (in_params && only_nameserver && tolower(name) != "nameserver")
                next
        data = substr($0, eq + 2)
        type = data ~ /^dword:/ ? "dword" : substr(data, 1, index(data, ":") - 1)
        if (!header) {
                print "\n[" key "]"
                header = 1
        }
        print "\"" name "\"=" blank(type)
}
END { print "" }
'
