#!/bin/sh
# gen-large-hive.sh [-s SERVICES] [-k INSTANCES] [-v VALUES] [-i IFACES] OUT
#
# Writes a large SYSTEM-like hive for benchmarks: Select (Current = 1) and
# ControlSet001 holding SERVICES keys Services\DummyNNNN, each with INSTANCES
# subkeys of VALUES REG_SZ values, plus IFACES DHCP interfaces under
# Services\Tcpip\Parameters\Interfaces carrying every value of both profiles
# (REG_SZ, REG_MULTI_SZ, REG_DWORD, REG_BINARY).  The defaults (160 x 20 x 20,
# 8 interfaces) give about 11 MB.
#
# Built from generated .reg text with mkhive + hivexregedit --merge
# (tests/fixtures/make-hive.sh).  mkhive is taken from $MKHIVE, else from a
# build folder of this tree, else compiled from tests/fixtures/mkhive.c.
set -eu

services=160
instances=20
values=20
ifaces=8
while getopts s:k:v:i: opt; do
        case $opt in
        s) services=$OPTARG ;;
        k) instances=$OPTARG ;;
        v) values=$OPTARG ;;
        i) ifaces=$OPTARG ;;
        *) exit 2 ;;
        esac
done
shift $((OPTIND - 1))
if [ $# -ne 1 ]; then
        echo "usage: gen-large-hive.sh [-s SERVICES] [-k INSTANCES] [-v VALUES] [-i IFACES] OUT" >&2
        exit 2
fi
out=$1

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$here/lib.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gen-large-hive.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

find_mkhive() {
        find_built MKHIVE tests/fixtures/mkhive && return
        ${CC:-cc} -std=gnu11 -O2 -o "$tmp/mkhive" "$root/tests/fixtures/mkhive.c"
        echo "$tmp/mkhive"
}

gen_reg() {
        awk -v nsvc="$services" -v nsub="$instances" -v nval="$values" -v nif="$ifaces" '
        function hex16(s,    i, r) {         # ASCII -> UTF-16LE hex bytes
                r = ""
                for (i = 1; i <= length(s); i++)
                        r = r sprintf("%02x,00,", ord[substr(s, i, 1)])
                return r
        }
        function multi(a, b) {               # REG_MULTI_SZ of one or two strings
                return "hex(7):" hex16(a) "00,00," (b == "" ? "" : hex16(b) "00,00,") "00,00"
        }
        function dword(n) { return sprintf("dword:%08x", n) }
        function services(   s, k, v, key) {
                for (s = 0; s < nsvc; s++) {
                        key = sprintf("%s\\Services\\Dummy%04d", cs, s)
                        printf "[%s]\n\"Type\"=%s\n\"Start\"=%s\n", key, dword(1), dword(3)
                        printf "\"ImagePath\"=\"System32\\\\drivers\\\\dummy%04d.sys\"\n\n", s
                        for (k = 0; k < nsub; k++) {
                                printf "[%s\\Instance%03d]\n", key, k
                                for (v = 0; v < nval; v++)
                                        printf "\"Value%03d\"=\"service %d instance %d value %d" \
                                               " with some padding text\"\n", v, s, k, v
                                print ""
                        }
                }
        }
        function iface(n,    net, gw, t) {
                net = sprintf("10.%d.%d", 100 + n % 100, n % 250)
                gw = net ".1"
                t = 1700000000 + n * 3600
                printf "[%s\\Services\\Tcpip\\Parameters\\Interfaces\\" \
                       "{%08X-0000-4000-8000-%012X}]\n", cs, 0x5eed0000 + n, n
                printf "\"EnableDHCP\"=%s\n\"NameServer\"=\"\"\n\"Domain\"=\"\"\n", dword(1)
                printf "\"DhcpIPAddress\"=\"%s.%d\"\n", net, 10 + n
                printf "\"DhcpSubnetMask\"=\"255.255.255.0\"\n\"DhcpServer\"=\"%s.2\"\n", net
                printf "\"DhcpNameServer\"=\"%s.2 %s.3\"\n", net, net
                printf "\"DhcpDefaultGateway\"=%s\n", multi(gw, "")
                printf "\"DhcpDomain\"=\"bench%d.example.com\"\n", n
                printf "\"DhcpSubnetMaskOpt\"=%s\n", multi("255.255.255.0", "255.255.0.0")
                printf "\"Lease\"=%s\n\"LeaseObtainedTime\"=%s\n", dword(86400), dword(t)
                printf "\"T1\"=%s\n\"T2\"=%s\n", dword(t + 43200), dword(t + 75600)
                printf "\"LeaseTerminatesTime\"=%s\n", dword(t + 86400)
                printf "\"DhcpInterfaceOptions\"=hex:01,00,00,00,00,00,00,00,04,00,00,00," \
                       "80,42,55,65,ff,ff,ff,00,03,00,00,00,00,00,00,00,04,00,00,00," \
                       "80,42,55,65,0a,%02x,%02x,01\n", 100 + n % 100, n % 250
                printf "\"DhcpGatewayHardware\"=hex:0a,%02x,%02x,01,06,00,00,00," \
                       "00,15,5d,00,%02x,%02x\n", 100 + n % 100, n % 250, n / 256 % 256, n % 256
                printf "\"DhcpGatewayHardwareCount\"=%s\n", dword(1)
                printf "\"IPAddress\"=%s\n\"AddressType\"=%s\n\n", multi("0.0.0.0", ""), dword(0)
        }
        BEGIN {
                for (i = 32; i < 127; i++)
                        ord[sprintf("%c", i)] = i
                cs = "HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001"
                print "Windows Registry Editor Version 5.00\n"
                print "[HKEY_LOCAL_MACHINE\\SYSTEM\\Select]"
                printf "\"Current\"=%s\n\"Default\"=%s\n", dword(1), dword(1)
                printf "\"Failed\"=%s\n\"LastKnownGood\"=%s\n\n", dword(0), dword(1)
                services()
                printf "[%s\\Services\\Tcpip\\Parameters]\n\"Hostname\"=\"BENCH\"\n", cs
                print "\"NameServer\"=\"\"\n\"Domain\"=\"\"\n\"DhcpDomain\"=\"bench.example.com\""
                print "\"DhcpNameServer\"=\"10.100.0.2 10.100.0.3\"\n"
                for (n = 0; n < nif; n++)
                        iface(n)
        }'
}

mkhive=$(find_mkhive)
gen_reg >"$tmp/large.reg"
"$root/tests/fixtures/make-hive.sh" "$mkhive" "$tmp/large.hive" "$tmp/large.reg"
mv "$tmp/large.hive" "$out"
