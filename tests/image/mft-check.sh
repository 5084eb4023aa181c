#!/bin/bash
# The appliance's MFT record parser against libntfs-3g (mft-check.c), on
# volumes made by mkntfs with 4 KiB clusters and with 512-byte ones (where
# a 1 KiB record spans two clusters).
#   mft-check.sh MFT_CHECK
set -u
. "$(dirname "$0")/../lib.sh"
prog=${1:?usage: mft-check.sh MFT_CHECK}
command -v mkntfs >/dev/null || skip "mkntfs not installed (ntfs-3g)"
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/vhive-mft.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
for cluster in 4096 512; do
        vol=$SCRATCH/vol-$cluster.raw
        truncate -s 64M "$vol"
        mkntfs -F -f -Q -q -c "$cluster" "$vol" 2>/dev/null || die "mkntfs -c $cluster"
        if out=$("$prog" "$vol" 2>&1); then
                ok "clusters of $cluster bytes: $(grep -c '^ok' <<<"$out") checks"
        else
                fail "clusters of $cluster bytes: $(grep -v '^ok' <<<"$out" | head -n 5)"
        fi
done
finish
