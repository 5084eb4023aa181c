#!/usr/bin/env bash
# The main job on samples the project generates: a SYSTEM hive with three
# DHCP interfaces holding a cached lease.  check finds the stale values
# (exit 1), scrub blanks them, check passes (exit 0), and reglookup, an
# independent reader, shows the result.  Then the same on a vDisk: a small
# VHDX (GPT, NTFS, that SYSTEM with its empty logs and a SOFTWARE hive
# carrying clone-identity values), made from text without the appliance and
# edited in place by the direct backend.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
[ -d build ] || meson setup build
ninja -C build

# The rule packs of this tree (build/ is not installed; vhive looks for them in
# /usr/share/vhive/rules otherwise).
export VHIVE_RULES_DIR=$PWD/rules
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sh tests/fixtures/make-hive.sh build/tests/fixtures/mkhive "$work/SYSTEM" \
        tests/fixtures/multi-iface.reg

show() {
        reglookup -p /ControlSet001/Services/Tcpip/Parameters/Interfaces "$work/SYSTEM" |
                grep -E 'Dhcp(IPAddress|Server|DefaultGateway)' || true
}
echo "== before"; show
echo "== vhive check"; build/cmd/vhive check "$work/SYSTEM" || echo "(exit $?: stale values)"
echo "== vhive scrub"; build/cmd/vhive scrub "$work/SYSTEM"
echo "== vhive check"; build/cmd/vhive check "$work/SYSTEM" && echo "(exit 0: clean)"
echo "== after"; show

# ---- the vDisk ---------------------------------------------------------------------
sh tests/fixtures/make-hive.sh build/tests/fixtures/mkhive "$work/SYSTEM.vd" \
        tests/fixtures/multi-iface.reg
sh tests/fixtures/make-hive.sh build/tests/fixtures/mkhive "$work/SOFTWARE" \
        tests/fixtures/software.reg
# A 64 MiB VHDX: GPT, NTFS, Windows/System32/config/{SYSTEM,SOFTWARE} with empty
# LOG1/LOG2 beside each, made without the appliance.
cfg=/Windows/System32/config
bash tests/fixtures/make-image.sh build/tests/direct/direct-tool "$work/demo.vhdx" 64 \
        $cfg/SYSTEM="$work/SYSTEM.vd" $cfg/SYSTEM.LOG1= $cfg/SYSTEM.LOG2= \
        $cfg/SOFTWARE="$work/SOFTWARE" $cfg/SOFTWARE.LOG1= $cfg/SOFTWARE.LOG2=
vd() { # COMMAND ARGS...: vhive on the direct backend (qemu-nbd + libntfs-3g, no appliance)
        local cmd=$1
        shift
        build/cmd/vhive "$cmd" --backend direct "$@"
}
key='HKLM\SYSTEM\ControlSet001\Services\Tcpip\Parameters\Interfaces\*'
echo "== demo.vhdx: vhive get DhcpIPAddress"; vd get "$work/demo.vhdx" "$key" DhcpIPAddress
echo "== vhive check demo.vhdx"; vd check "$work/demo.vhdx" || echo "(exit $?: stale values)"
echo "== vhive scrub demo.vhdx"; vd scrub "$work/demo.vhdx"
echo "== vhive check demo.vhdx"; vd check "$work/demo.vhdx" && echo "(exit 0: clean)"
echo "== demo.vhdx: vhive get DhcpIPAddress"; vd get "$work/demo.vhdx" "$key" DhcpIPAddress
# The clone-identity packs (README: Sealing for clones), when this vhive has them.
if build/cmd/vhive rules >/dev/null 2>&1; then
        echo "== vhive check --profile wsus,sqm,machineguid demo.vhdx"
        vd check --profile wsus,sqm,machineguid "$work/demo.vhdx" ||
                echo "(exit $?: identity values found)"
        echo "== vhive scrub --profile wsus,sqm demo.vhdx"
        vd scrub --profile wsus,sqm "$work/demo.vhdx"
        echo "== vhive check --profile wsus,sqm demo.vhdx"
        vd check --profile wsus,sqm "$work/demo.vhdx" && echo "(exit 0: sealed)"
fi
