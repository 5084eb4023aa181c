#!/bin/bash
# Crash points of a write inside an image (direct backend), on VHDX, VHD,
# qcow2 and raw: vhive scrub is stopped (SIGKILL) right after its k-th NBD
# write or flush, for every k (crashshim.so), then at random instants.
# After each stop:
#   - qemu-nbd has let go of the image within 2 s: qemu-img check passes
#     (leaked clusters allowed; info for formats without checks);
#   - libntfs-3g mounts the volume read-only and reads SYSTEM and its logs;
#   - the hive vhive loads (the primary, replayed with its logs when dirty)
#     is exactly the old hive or exactly the new one (sequence numbers,
#     time and checksum aside);
#   - a second scrub (vhive's own recovery: replay, commit) ends with the
#     new hive and a clean primary.
# CRASH_RANDOM (default 6) random kills per image; CRASH_STRIDE (default 1)
# tries every STRIDE-th point; bench/crash-direct.sh runs the large counts.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
export VHIVE_BACKEND=direct
. "$here/crash-lib.sh"
random=${CRASH_RANDOM:-6}
stride=${CRASH_STRIDE:-1}
images=${CRASH_IMAGES:-"mbr.vhdx:vhdx gpt-dyn.vhd:vpc gpt.qcow2:qcow2 mbr.raw:raw"}

for spec in $images; do
        base=${spec%%:*} fmt=${spec#*:}
        references "$base" "$fmt"
        echo "$base: $points NBD writes and flushes in a scrub"

        for k in $(seq 1 "$stride" "$points"); do
                cp --sparse=always pristine victim
                VHIVE_CRASH_AT=$k LD_PRELOAD="$CRASH_SHIM" "$VHIVE" scrub victim \
                        > /dev/null 2>&1 && fail "$base: not stopped at point $k"
                judge "$base, stopped after write/flush $k of $points" victim "$fmt"
        done

        start=$(date +%s%N)
        cp --sparse=always pristine victim
        "$VHIVE" scrub victim > /dev/null
        span=$(( ($(date +%s%N) - start) / 1000000 + 20 ))
        for i in $(seq 1 "$random"); do
                cp --sparse=always pristine victim
                delay=$(( (RANDOM * 32768 + RANDOM) % span ))
                timeout -s KILL "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))" \
                        "$VHIVE" scrub victim > /dev/null 2>&1
                judge "$base, SIGKILL at $delay ms of $span" victim "$fmt"
        done
done
crash_summary

# The log format follows the image's Windows: mbr is Windows 10, gpt Windows 7.
copy mbr.vhdx w10.vhdx && copy gpt.qcow2 w7.qcow2
"$VHIVE" scrub w10.vhdx w7.qcow2 > /dev/null || fail "scrub of w10.vhdx w7.qcow2"
"$VHIVE" info w10.vhdx | grep -q 'SYSTEM.LOG1: new format' && ok "Windows 10: a new-format log" ||
        fail "Windows 10: $("$VHIVE" info w10.vhdx | grep LOG)"
"$VHIVE" info w7.qcow2 | grep -q 'SYSTEM.LOG1: old format' && ok "Windows 7: an old-format log" ||
        fail "Windows 7: $("$VHIVE" info w7.qcow2 | grep LOG)"

# Empty logs and no SOFTWARE: nothing tells the format; refused, untouched.
copy nosoft.raw
sums nosoft.raw > nosoft.sum
expect_rc 2 "no SOFTWARE, empty logs" "$VHIVE" scrub nosoft.raw
grep -q 'refusing to guess' err && ok "says it will not guess" || fail "message: $(cat err)"
sha256sum --quiet -c nosoft.sum && ok "nosoft.raw untouched" || fail "nosoft.raw changed"
finish
