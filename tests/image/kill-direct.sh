#!/bin/bash
# Fault injection on an image: vhive scrub (direct backend) killed with
# SIGKILL at many points, on VHDX and qcow2.  After each kill the image must
# hold either exactly the old hive or exactly the new one, with a clean
# format; the only other state allowed is the direct backend's documented
# "interrupted replacement" (SYSTEM absent, the old hive whole beside it as
# SYSTEM.vhive-old), which reading and writing must report as such, writing
# nothing.
. "$(dirname "$0")/lib.sh"
export VHIVE_BACKEND=direct
iterations=${KILL_ITERATIONS:-24}
key='HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters'

# The two acceptable hive contents, as export text.
for img in mbr.vhdx gpt.qcow2; do
        copy "$img" "old-$img"
        copy "$img" "new-$img"
        "$VHIVE" scrub "new-$img" > /dev/null || fail "reference scrub of $img"
        "$VHIVE" export "old-$img" "$key" > "old-$img.reg" || fail "export of old $img"
        "$VHIVE" export "new-$img" "$key" > "new-$img.reg" || fail "export of new $img"
        cmp -s "old-$img.reg" "new-$img.reg" && fail "$img: the scrub changed nothing"
done

# How long an uninterrupted scrub takes, in ms: kills land across it.
start=$(date +%s%N)
copy mbr.vhdx probe.vhdx
"$VHIVE" scrub probe.vhdx > /dev/null
span=$(( ($(date +%s%N) - start) / 1000000 + 20 ))
echo "a scrub takes about $span ms; killing at random points within it"

old=0 new=0 interrupted=0
for i in $(seq 1 "$iterations"); do
        case $((i % 2)) in 0) img=mbr.vhdx fmt=vhdx ;; *) img=gpt.qcow2 fmt=qcow2 ;; esac
        copy "$img" victim
        delay_ms=$(( (RANDOM * 32768 + RANDOM) % span ))
        { timeout -s KILL "$(printf '0.%03d' "$delay_ms")" "$VHIVE" scrub victim; } > /dev/null 2>&1
        rc=0
        qemu-img check -q -f $fmt victim > qc.out 2>&1 || rc=$?
        [ $rc -eq 0 ] || fail "run $i ($img, kill at $delay_ms ms): qemu-img check: $(cat qc.out)"
        if "$VHIVE" export --format $fmt victim "$key" > got.reg 2> err; then
                if cmp -s got.reg "old-$img.reg"; then
                        old=$((old + 1))
                elif cmp -s got.reg "new-$img.reg"; then
                        new=$((new + 1))
                else
                        fail "run $i ($img, kill at $delay_ms ms): a hive that is neither old nor new"
                fi
        elif grep -q 'interrupted' err; then
                interrupted=$((interrupted + 1))
                # A write refuses too, writing nothing on top of it.
                sums victim > victim.sum
                "$VHIVE" scrub victim > /dev/null 2> err2 && fail "run $i: scrub wrote over an interrupted replacement"
                grep -q 'interrupted' err2 && sha256sum --quiet -c victim.sum ||
                        fail "run $i: the write after an interrupted one: $(cat err2)"
        else
                fail "run $i ($img, kill at $delay_ms ms): unreadable: $(cat err)"
        fi
done
echo "kills: $iterations; old hive: $old, new hive: $new, interrupted replacement reported: $interrupted"
[ $((old + new + interrupted)) -eq "$iterations" ] && ok "every kill left the old or the new hive" ||
        fail "some kills left something else"
finish
