#!/bin/bash
# The control sets the next boot may use, inside an image, on one backend
# (issue 18): SYSTEM with Select\Current = 1 and Select\Default = 2
# (fixture cs-default-differs).  scrub blanks both sets, check looks at
# both; read back from the image with reglookup.
#
# usage: controlsets.sh appliance|direct DIRECT_TOOL
set -u
backend=${1:?usage: controlsets.sh appliance|direct DIRECT_TOOL}
tool=$(realpath "${2:?usage: controlsets.sh appliance|direct DIRECT_TOOL}")
if [ "$backend" = appliance ]; then
        # STAMP, the accelerator, SCRATCH (the current folder), helpers
        . "$(dirname "$0")/lib.sh"
else
        . "$(dirname "$0")/../lib.sh"
        SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/vhive-controlsets.XXXXXX")
        trap 'rm -rf "$SCRATCH"' EXIT
        cd "$SCRATCH" || die "no scratch folder"
fi
export VHIVE_BACKEND=$backend
for prog in mkntfs reglookup; do
        command -v "$prog" >/dev/null || skip "$prog not installed"
done
[ -x "$tool" ] || skip "direct-tool $tool missing"
FIXTURES=${FIXTURES:-$BUILDDIR/tests/fixtures}
HIVE=$FIXTURES/cs-default-differs.hive
[ -f "$HIVE" ] || skip "fixture $HIVE missing"
CFG=/Windows/System32/config

# Empty logs, as Windows leaves them, and SOFTWARE saying Windows 10: an
# image write goes through the hive's logs, in the format they need.
: >empty
printf 'Windows Registry Editor Version 5.00\n\n%s\n"CurrentBuild"="19045"\n' \
        '[HKEY_LOCAL_MACHINE\SYSTEM\Microsoft\Windows NT\CurrentVersion]' >soft.reg
"$MAKE_HIVE" "$MKHIVE" SOFTWARE soft.reg >/dev/null || die "make-hive SOFTWARE"
truncate -s 48M cs.raw
mkntfs -F -f -Q -q cs.raw 2>/dev/null || die "mkntfs"
ASAN_OPTIONS=detect_leaks=0 "$tool" --volume 0 cs.raw raw mkdir /Windows \
        mkdir /Windows/System32 mkdir $CFG create $CFG/SYSTEM "$HIVE" \
        create $CFG/SYSTEM.LOG1 empty create $CFG/SYSTEM.LOG2 empty \
        create $CFG/SOFTWARE SOFTWARE >/dev/null || die "direct-tool create"

# dhcp_ip IMAGE SET: DhcpIPAddress of SET's first interface, read back.
dhcp_ip() {
        "$tool" --ro "$1" raw get $CFG/SYSTEM got.hive >/dev/null || die "direct-tool get"
        reglookup -H -p "/$2/Services/Tcpip/Parameters/Interfaces" got.hive |
                grep -m1 '/{4D36E972-E325-11CE-BFC1-08002BE10318}/DhcpIPAddress,' | cut -d, -f3
}

expect_rc 0 "$backend: scrub --profile lease (Current 1, Default 2)" \
        "$VHIVE" scrub --profile lease cs.raw
grep -q "ControlSet002 (default): 2 interfaces" out && ok ||
        fail "$backend: the report names ControlSet002 (default)"
eq() { [ "$1" = "$2" ] && ok || fail "$3: got '$1', want '$2'"; }
eq "$(dhcp_ip cs.raw ControlSet001)" "" "$backend: ControlSet001 (Current) blanked"
eq "$(dhcp_ip cs.raw ControlSet002)" "" "$backend: ControlSet002 (Default, next boot) blanked"
expect_rc 0 "$backend: check after the scrub" "$VHIVE" check --profile lease cs.raw
finish
