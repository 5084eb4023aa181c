#!/bin/bash
# Kills inside the appliance's write phase: vhive scrub (appliance backend)
# is SIGKILLed at a random instant (0-300 ms) after the start of its k-th
# guestfs_pwrite or flush (guestfs_debug's fsync of the file; crashshim.so),
# k cycling over every call of the commit, on VHDX and qcow2.  After each kill the appliance's qemu
# must let go of the image within 2 s (vhive's watchdog), and the image
# gets the checks of crash-direct.sh (crash-lib.sh).  Each kill costs an
# appliance launch: CRASH_KILLS (default 2) in the 'slow' suite;
# bench/crash-appliance.sh runs 50.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
export VHIVE_BACKEND=appliance
. "$here/crash-lib.sh"
kills=${CRASH_KILLS:-2}
images=${CRASH_IMAGES:-"mbr.vhdx:vhdx gpt.qcow2:qcow2"}
set -- $images

for spec in "$@"; do
        base=${spec%%:*} fmt=${spec#*:}
        references "$base" "$fmt"
        echo "$base: $points appliance writes and syncs in a scrub"
        echo "$points" > "points-$base"
        cp pristine "pristine-$base"
done

for i in $(seq 1 "$kills"); do
        spec=${images%% *}
        [ $((i % 2)) -eq 0 ] && [ $# -gt 1 ] && spec=$2
        base=${spec%%:*} fmt=${spec#*:}
        points=$(cat "points-$base")
        k=$(( (i - 1) / 2 % points + 1 ))
        delay=$(( RANDOM % 300000 ))
        cp --sparse=always "pristine-$base" victim
        VHIVE_CRASH_AT=$k VHIVE_CRASH_DELAY_US=$delay LD_PRELOAD="$CRASH_SHIM" \
                "$VHIVE" scrub victim > /dev/null 2>&1 && fail "$base: not killed at call $k"
        judge "$base, killed $delay us into call $k of $points" victim "$fmt"
done
crash_summary
finish
