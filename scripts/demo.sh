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
# A 64 MiB disk: GPT, one NTFS partition from 1 MiB to 1 MiB before the end,
# Windows/System32/config/{SYSTEM,SOFTWARE} with empty LOG1/LOG2 beside each.
make_vhdx() { # OUT SYSTEM SOFTWARE
        local cfg=/Windows/System32/config sectors=$((64 * 2048))
        truncate -s 64M "$work/disk.raw"
        printf 'label: gpt\nstart=2048, size=%d, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\n' \
                $((sectors - 4096)) | sfdisk -q "$work/disk.raw" >/dev/null
        truncate -s $(((sectors - 4096) * 512)) "$work/part.ntfs"
        mkntfs -F -f -Q -q "$work/part.ntfs" 2>/dev/null
        : >"$work/empty"
        build/tests/direct/direct-tool --volume 0 "$work/part.ntfs" raw \
                mkdir /Windows mkdir /Windows/System32 mkdir $cfg \
                create $cfg/SYSTEM "$2" create $cfg/SYSTEM.LOG1 "$work/empty" \
                create $cfg/SYSTEM.LOG2 "$work/empty" create $cfg/SOFTWARE "$3" \
                create $cfg/SOFTWARE.LOG1 "$work/empty" create $cfg/SOFTWARE.LOG2 "$work/empty" \
                >/dev/null
        head -c 1M "$work/disk.raw" >"$work/head.raw"
        tail -c 1M "$work/disk.raw" >"$work/tail.raw"
        qemu-img convert -f raw -O vhdx "$work/head.raw" "$work/part.ntfs" "$work/tail.raw" "$1"
        rm -f "$work/disk.raw" "$work/part.ntfs" "$work/head.raw" "$work/tail.raw"
}
sh tests/fixtures/make-hive.sh build/tests/fixtures/mkhive "$work/SYSTEM.vd" \
        tests/fixtures/multi-iface.reg
sh tests/fixtures/make-hive.sh build/tests/fixtures/mkhive "$work/SOFTWARE" \
        tests/fixtures/software.reg
make_vhdx "$work/demo.vhdx" "$work/SYSTEM.vd" "$work/SOFTWARE"
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
export VHIVE_RULES_DIR=$PWD/rules
if build/cmd/vhive rules >/dev/null 2>&1; then
        echo "== vhive check --profile wsus,sqm,machineguid demo.vhdx"
        vd check --profile wsus,sqm,machineguid "$work/demo.vhdx" ||
                echo "(exit $?: identity values found)"
        echo "== vhive scrub --profile wsus,sqm demo.vhdx"
        vd scrub --profile wsus,sqm "$work/demo.vhdx"
        echo "== vhive check --profile wsus,sqm demo.vhdx"
        vd check --profile wsus,sqm "$work/demo.vhdx" && echo "(exit 0: sealed)"
fi
