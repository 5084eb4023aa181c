#!/usr/bin/env bash
# kill-free.sh [-n KILLS] [-b appliance|direct] [-l HOGS] [-w MAX_WAIT_S] [-i] IMAGE
#
# How long an image stays held after vhive is SIGKILLed in the middle of a
# scrub: KILLS times (default 20), on a private copy of IMAGE, with HOGS
# CPU-bound loops running (default 2), vhive scrub is started, its helper
# (qemu or qemu-nbd) is seen holding the image, then after a random 0 to
# MAX_WAIT_S seconds (default 3 for the appliance, 0.3 for direct) vhive gets
# SIGKILL, and the time until no process holds the image file open is
# measured: the helper's own descriptors, scanned every ms, then the whole of
# /proc, until a scan finds no holder (the time of the last scan that found
# one, not of the scan that found none).  Prints each time, then the median and
# the max.  Runs where vhive had finished before the kill are counted apart.
# -i: on IMAGE itself, not a copy (to check it afterwards).
# vhive is $VHIVE or build*/cmd/vhive.
set -euo pipefail

n=20 backend=appliance hogs=2 maxwait= inplace=
while getopts n:b:l:w:i o; do
        case $o in
        n) n=$OPTARG ;;
        b) backend=$OPTARG ;;
        l) hogs=$OPTARG ;;
        w) maxwait=$OPTARG ;;
        i) inplace=1 ;;
        *) exit 2 ;;
        esac
done
shift $((OPTIND - 1))
src=${1:?usage: kill-free.sh [-n KILLS] [-b appliance|direct] [-l HOGS] [-w MAX_WAIT_S] [-i] IMAGE}
[ -n "$maxwait" ] || { [ "$backend" = direct ] && maxwait=0.3 || maxwait=3; }
here=$(cd "$(dirname "$0")/.." && pwd)
vhive=${VHIVE:-$(ls -d "$here"/build*/cmd/vhive 2>/dev/null | head -n 1)}
[ -x "$vhive" ] || { echo "kill-free.sh: no vhive (set VHIVE)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/vhive-killfree.XXXXXX")
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$work"' EXIT
for ((i = 0; i < hogs; i++)); do
        (while :; do :; done) &
        pids+=($!)
done
img=$src
if [ -z "$inplace" ]; then
        img=$work/$(basename "$src")
        cp --sparse=always "$src" "$img"
fi

python3 - "$vhive" "$backend" "$img" "$n" "$maxwait" <<'PY'
import os, random, signal, statistics, subprocess, sys, time

vhive, backend, img, n, maxwait = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
st = os.stat(img)
key = (st.st_dev, st.st_ino)

def holds(pid):
    d = "/proc/%s/fd" % pid
    try:
        for fd in os.listdir(d):
            try:
                s = os.stat(os.path.join(d, fd))
            except OSError:
                continue
            if (s.st_dev, s.st_ino) == key:
                return True
    except OSError:
        pass
    return False

def holders():
    return [int(pid) for pid in os.listdir("/proc") if pid.isdigit() and holds(pid)]

def helper(pid):
    try:
        comm = open("/proc/%d/comm" % pid).read()
    except OSError:
        return False
    return comm.startswith("qemu-system") or comm.startswith("qemu-nbd")

# The states of the helper's threads at the kill ("R", "S", "D wchan"):
# a thread in D (a flush, a read of the image) delays its exit.
def threads(pids):
    out = []
    for pid in pids:
        try:
            tids = os.listdir("/proc/%d/task" % pid)
        except OSError:
            continue
        for tid in tids:
            try:
                st = open("/proc/%d/task/%s/stat" % (pid, tid)).read()
                state = st[st.rindex(")") + 2]
                if state == "D":
                    state += " " + open("/proc/%d/task/%s/wchan" % (pid, tid)).read()
            except OSError:
                continue
            out.append(state)
    rss = 0
    for pid in pids:
        try:
            for l in open("/proc/%d/status" % pid):
                if l.startswith("VmRSS:"):
                    rss += int(l.split()[1]) // 1024
        except OSError:
            pass
    return ",".join(sorted(out)) + "; RSS %d MiB" % rss

times, finished = [], 0
env = dict(os.environ, VHIVE_BACKEND=backend)
for k in range(n):
    t_launch = time.monotonic()
    p = subprocess.Popen([vhive, "scrub", "--no-progress", img], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen = False
    while p.poll() is None:
        h = [x for x in holders() if helper(x)]
        if h:
            seen = True
            break
        time.sleep(0.005)
    if seen:
        time.sleep(random.uniform(0, maxwait))
    if not seen or p.poll() is not None:
        p.wait()
        finished += 1
        print("run %2d: vhive finished before the kill" % (k + 1), flush=True)
        while holders():
            time.sleep(0.05)
        continue
    held = [x for x in holders() if helper(x)]
    t_start = time.monotonic() - t_launch
    os.kill(p.pid, signal.SIGKILL)
    t0 = time.monotonic()
    states = threads(held)
    p.wait()
    # The known holders first (a scan of their own fds, every ms), then
    # the whole of /proc, which can take tens of ms under load.
    while any(holds(x) for x in held):
        time.sleep(0.001)
    t_known = time.monotonic() - t0
    # Then whole scans of /proc until one finds no holder: the image was
    # held until the end of the last scan that found one (t_known when the
    # first finds none).  The scans' own time is not the image's: under
    # load one takes up to half a second.
    dt = t_known
    while holders():
        dt = time.monotonic() - t0
        time.sleep(0.005)
    times.append(dt)
    print("run %2d: image free %.3f s after the SIGKILL (helper gone %.3f s; killed %.1f s "
          "after the start; helper threads then: %s)" % (k + 1, dt, t_known, t_start, states),
          flush=True)
if times:
    print("kills: %d (finished before the kill: %d); median %.3f s, max %.3f s"
          % (len(times), finished, statistics.median(times), max(times)))
PY
