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
. "$(dirname "$0")/lib.sh"
export VHIVE_BACKEND=direct
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"
random=${CRASH_RANDOM:-6}
stride=${CRASH_STRIDE:-1}
images=${CRASH_IMAGES:-"mbr.vhdx:vhdx gpt-dyn.vhd:vpc gpt.qcow2:qcow2 mbr.raw:raw"}
old=0 new=0 runs=0 max_ms=0

# settle IMG FMT: qemu-img check within 2 s of the kill; prints the ms waited.
settle() {
        local img=$1 fmt=$2 start rc waited
        start=$(date +%s%N)
        while :; do
                rc=0
                qemu-img check -q -f "$fmt" "$img" > qc.out 2>&1 || rc=$?
                if grep -q 'does not support checks' qc.out; then
                        rc=0
                        qemu-img info -f "$fmt" "$img" > qc.out 2>&1 || rc=$?
                fi
                waited=$(( ($(date +%s%N) - start) / 1000000 ))
                grep -qi 'lock' qc.out && [ "$waited" -lt 2000 ] || break
                sleep 0.05
        done
        echo "$waited"
        # 3: leaked clusters only (a write allocated and was cut off)
        [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || { cat qc.out >&2; return 1; }
}

# loaded IMG FMT OUT: the hive vhive would load from the image.
loaded() {
        rm -rf got && mkdir got &&
                "$CRASH_TOOL" fetch "$1" "$2" got &&
                "$CRASH_TOOL" loaded got/SYSTEM got/LOG1 got/LOG2 "$3"
}

# judge TAG IMG FMT: every check of a stopped run.
judge() {
        local tag=$1 img=$2 fmt=$3 ms
        runs=$((runs + 1))
        if ! ms=$(settle "$img" "$fmt"); then
                fail "$tag: qemu-img check (after ${ms:-?} ms)"
                return
        fi
        [ "$ms" -lt 2000 ] || fail "$tag: the image was still locked after $ms ms"
        [ "$ms" -le "$max_ms" ] || max_ms=$ms
        if ! loaded "$img" "$fmt" hive.got 2> err; then
                fail "$tag: unreadable: $(cat err)"
                return
        fi
        if cmp -s hive.got "ref-old-$base"; then
                old=$((old + 1))
        elif "$CRASH_TOOL" same "ref-new-$base" hive.got 2> /dev/null; then
                new=$((new + 1))
        else
                fail "$tag: the hive is neither the old nor the new one"
                return
        fi
        "$VHIVE" scrub --format "$fmt" "$img" > /dev/null 2> err &&
                loaded "$img" "$fmt" hive.again 2>> err &&
                "$CRASH_TOOL" same "ref-new-$base" hive.again 2>> err ||
                fail "$tag: a second scrub did not end with the new hive: $(cat err)"
}

for spec in $images; do
        base=${spec%%:*} fmt=${spec#*:}
        copy "$base" pristine
        loaded pristine "$fmt" "ref-old-$base" || fail "$base: the fixture does not load"
        cp --sparse=always pristine victim
        VHIVE_CRASH_COUNT=count LD_PRELOAD="$CRASH_SHIM" "$VHIVE" scrub victim > /dev/null ||
                fail "$base: the reference scrub failed"
        loaded victim "$fmt" "ref-new-$base" || fail "$base: the scrubbed image does not load"
        cmp -s "ref-old-$base" "ref-new-$base" && fail "$base: the scrub changed nothing"
        points=$(cat count)
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
echo "stopped runs: $runs; old hive: $old, new hive: $new; image free again within $max_ms ms"
[ $((old + new)) -eq "$runs" ] && ok "every stop left the old or the new hive" ||
        fail "some stops left something else"

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
