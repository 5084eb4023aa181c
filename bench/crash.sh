#!/bin/bash
# crash.sh direct|appliance [COUNT]: the crash tests with the large counts
# (issue 10), on the fixture images of the 'image' suite.
#   direct     tests/image/crash-direct.sh: every crash point once, then COUNT
#              random SIGKILLs per image (default 250: 1000 over the four
#              formats)
#   appliance  tests/image/crash-appliance.sh: COUNT kills inside the write
#              phase (default 50), one appliance launch each
# BUILD is the build folder (default build-test, whose fixtures and tools are
# used; build them with: meson test -C build-test --suite image --list).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/${BUILD:-build-test}
kind=${1:?usage: crash.sh direct|appliance [COUNT]}
ninja -C "$build" tests/image/image-fixtures.stamp tests/image/crashshim.so \
        tests/image/crash-tool cmd/vhive > /dev/null
export STAMP=$build/tests/image/image-fixtures.stamp BUILDDIR=$build
export VHIVE=$build/cmd/vhive CRASH_TOOL=$build/tests/image/crash-tool
export CRASH_SHIM=$build/tests/image/crashshim.so
case $kind in
direct)
        CRASH_RANDOM=${2:-250} exec "$root/tests/image/crash-direct.sh" ;;
appliance)
        CRASH_KILLS=${2:-50} exec "$root/tests/image/crash-appliance.sh" ;;
*)
        echo "crash.sh: direct or appliance" >&2
        exit 2 ;;
esac
