#!/usr/bin/env bash
# The main job on a sample the project generates: a SYSTEM hive with three
# DHCP interfaces holding a cached lease.  check finds the stale values
# (exit 1), scrub blanks them, check passes (exit 0), and reglookup, an
# independent reader, shows the result.
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
