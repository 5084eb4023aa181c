#!/bin/bash
# After a SIGKILL of vhive the image is free at once (issue 17): no process
# holds the image file 0.5 s after the kill.  Three appliance scrubs of a
# VHDX are killed while the appliance boots (the likeliest instant: 20 s
# and more without KVM), when only libguestfs' recovery process (every 2 s)
# would stop qemu; and three direct-backend scrubs of a written qcow2 keep
# the orderly exit (SIGTERM) that qcow2's cached metadata needs: the image
# is free and passes qemu-img check.  Timed by bench/kill-free.sh.  And a
# batch of 4 split over two appliances, killed while both boot.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
export LIBGUESTFS_CACHEDIR=${LIBGUESTFS_CACHEDIR:-${TMPDIR:-/var/tmp}}
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"
bench=$SRCDIR/bench/kill-free.sh
[ -x "$bench" ] || skip "$bench missing"

# max_ms OUTPUT: the longest time to free, in ms (empty: no kill landed).
max_ms() {
        sed -n 's/.*max \([0-9.]*\) s$/\1/p' "$1" | awk '{ printf "%d", $1 * 1000 }'
}

copy mbr.vhdx
"$bench" -n 3 -l 0 -w 1 -b appliance mbr.vhdx > app.out 2>&1 || die "kill-free.sh: $(tail -3 app.out)"
cat app.out
ms=$(max_ms app.out)
[ -n "$ms" ] || skip "no kill landed while the appliance ran"
[ "$ms" -lt 500 ] && ok "appliance: image free within $ms ms" ||
        fail "appliance: the image was held $ms ms after a SIGKILL of vhive"

copy gpt.qcow2
"$bench" -n 3 -l 0 -w 0.05 -i -b direct gpt.qcow2 > direct.out 2>&1 || die "kill-free.sh direct"
cat direct.out
ms=$(max_ms direct.out)
if [ -n "$ms" ]; then
        [ "$ms" -lt 2000 ] && ok || fail "direct qcow2: held $ms ms"
fi
qemu-img check -q -f qcow2 gpt.qcow2 2> qc.err || [ $? -eq 3 ] && ok ||
        fail "direct qcow2: qemu-img check: $(cat qc.err)"

# none_left IMG WHAT [TRIES]: no process holds IMG within TRIES x 50 ms
# (default 40), else a failure (and the holder is killed).
none_left() {
        local held= i
        for i in $(seq 1 "${3:-40}"); do
                held=$(pgrep -f -- "$1" || true)
                [ -z "$held" ] && break
                sleep 0.05
        done
        if [ -z "$held" ]; then
                ok "$2: no qemu-nbd left after $((i * 50)) ms"
        else
                fail "$2: qemu-nbd $held still holds the image $((i * 50)) ms after the kill"
                kill -9 $held 2> /dev/null
        fi
}

# Killed right after it started qemu-nbd, with the one SIGTERM of
# PR_SET_PDEATHSIG lost (as when it reaches qemu-nbd while it starts):
# the watchdog must exist already and know qemu-nbd (a watchdog started
# after the fork left a qemu-nbd holding the image for good: CI, 2026-12-07).
for fmt in qcow2 vhdx; do
        img=$PWD/fork.$fmt
        [ $fmt = qcow2 ] && copy gpt.qcow2 "$img" || copy mbr.vhdx "$img"
        VHIVE_KILL_AFTER_EXEC=qemu-nbd VHIVE_NO_PDEATHSIG=1 LD_PRELOAD="$FORK_SHIM" \
                "$VHIVE" scrub --backend direct "$img" > /dev/null 2>&1
        rc=$?
        [ $rc -eq 137 ] || fail "$fmt: vhive was not killed after starting qemu-nbd (exit $rc)"
        none_left "$img" "$fmt: a kill right after qemu-nbd's start"
done

# The same kill sent to vhive's process group, as timeout(1) sends it,
# while the watchdog (vhive's first fork) has not yet moved to a group of
# its own: the kill must not take the watchdog along (it did: a qemu-nbd
# left for good, image-crash-direct on a fresh clone, 2026-12-07).
img=$PWD/group.qcow2
copy gpt.qcow2 "$img"
VHIVE_KILL_AFTER_EXEC=qemu-nbd VHIVE_KILL_GROUP=1 VHIVE_SLOW_FIRST_CHILD_MS=1500 \
        VHIVE_NO_PDEATHSIG=1 LD_PRELOAD="$FORK_SHIM" \
        timeout 60 "$VHIVE" scrub --backend direct "$img" > /dev/null 2>&1
rc=$?
[ $rc -eq 137 ] || fail "group kill: vhive was not killed after starting qemu-nbd (exit $rc)"
none_left "$img" "a kill of vhive's group while its watchdog starts" 80

# A batch split over two appliances (image-job.c), killed while both boot:
# each watchdog kills the qemu its own thread started, named or not.
# libguestfs' recovery processes (forks of vhive, like the watchdogs, which
# keep no descriptor but their pipe, 3), which kill qemu within 2 s of
# vhive's end, are stopped first: the watchdogs alone must free every
# image within 1 s (two dying TCG qemus take longer than the 0.5 s one
# takes under ASan; a qemu that no watchdog kills holds it for good).
holders() { # the pids holding any of the files named (open descriptors)
        python3 - "$@" <<'PY'
import os, sys
keys = {(os.stat(p).st_dev, os.stat(p).st_ino) for p in sys.argv[1:]}
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        fds = os.listdir("/proc/%s/fd" % pid)
    except OSError:
        continue
    for fd in fds:
        try:
            st = os.stat("/proc/%s/fd/%s" % (pid, fd))
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in keys:
            print(pid)
            break
PY
}
if [ "$(nproc)" -ge 2 ]; then
        imgs=()
        for k in 1 2 3 4; do
                copy mbr.vhdx "split$k.vhdx"
                imgs+=("$PWD/split$k.vhdx")
        done
        "$VHIVE" scrub --backend appliance "${imgs[@]}" > split.out 2>&1 &
        pid=$!
        for _ in $(seq 1 400); do
                [ "$(pgrep -c -P $pid qemu-system || true)" -ge 2 ] && break
                sleep 0.05
        done
        qemus=$(pgrep -c -P $pid qemu-system || true)
        sleep 0.5
        stopped=()
        for c in $(pgrep -P $pid); do
                case $(cat /proc/$c/comm 2> /dev/null) in qemu*) continue ;; esac
                [ "$(ls /proc/$c/fd 2> /dev/null)" = 3 ] && continue # a watchdog: fd 3 alone
                kill -STOP $c 2> /dev/null && stopped+=($c)
        done
        kill -9 $pid 2> /dev/null
        wait $pid 2> /dev/null
        if [ "$qemus" -lt 2 ]; then
                fail "a batch of 4: $qemus appliances seen booting, want 2: $(tail -3 split.out)"
        else
                held=
                for i in $(seq 1 20); do
                        held=$(holders "${imgs[@]}")
                        [ -z "$held" ] && break
                        sleep 0.05
                done
                if [ -z "$held" ]; then
                        ok "a batch over two appliances, killed while both boot: all 4 images free within $((i * 50)) ms"
                else
                        fail "a batch over two appliances: $(echo $held) still hold images 1 s after the kill"
                        kill -9 $held 2> /dev/null
                fi
        fi
        [ ${#stopped[@]} -gt 0 ] && kill -9 "${stopped[@]}" 2> /dev/null
fi
finish
