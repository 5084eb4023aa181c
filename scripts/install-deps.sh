#!/usr/bin/env bash
# Installs what vhive needs to build, test, package (tests/package) and
# benchmark on Debian 12.
# Run as root (or through sudo); safe to run again.
set -euo pipefail

packages=(
        meson ninja-build pkg-config gcc clang libclang-rt-14-dev clang-format-14
        libhivex-dev libhivex-bin libjansson-dev libcmocka-dev
        libguestfs-dev libguestfs-tools linux-image-amd64 qemu-utils
        ntfs-3g ntfs-3g-dev libnbd-dev fdisk dosfstools
        reglookup libregf-utils scdoc hyperfine time xz-utils python3 jq
        build-essential dpkg-dev debhelper lintian
)

sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
        $sudo apt-get update -q
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
