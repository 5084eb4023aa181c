#!/bin/bash
# Interruption of image jobs: SIGINT, SIGTERM and SIGHUP sent at the steps
# of a scrub inside an image (crashshim.so sends them, see there), on both
# backends.  Every run must exit 128 + the signal and say "interrupted";
# leave nothing in its TMPDIR (no private copy of the hive, no qemu-nbd or
# libguestfs folder); leave no qemu or qemu-nbd running (the image's lock
# is free at once); and leave the image either byte-identical (stopped
# before the commit) or with the whole new hive (a commit that has begun
# runs to its end):
#   launch    appliance: 1 s into guestfs_launch, from another thread, so
#             that the launch's own waits see EINTR; direct: as qemu-nbd
#             is connected                                         -> old
#   download  appliance: as SYSTEM's copy starts (its first guestfs_pread,
#             before any commit's); direct: half-way
#             through the NBD reads (the hive's clusters)            -> old
#   commit    as the second write of the logged commit starts       -> new
# The direct backend gets every signal at every point, and a SIGTERM
# ignored at start (it stays ignored: exit 0, new); the appliance, whose
# launches cost 15-20 s here, one signal per point; then a scrub with
# nothing to do must leave the image byte-identical.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
# The appliance cache stays where every other test has it (libguestfs puts
# it in TMPDIR otherwise, and would rebuild it for every run).
export LIBGUESTFS_CACHEDIR=${LIBGUESTFS_CACHEDIR:-${TMPDIR:-/var/tmp}}
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"
base=mbr.vhdx
fmt=vhdx
copy "$base" pristine

# run BACKEND SIG POINT [DELAY_US]: scrub a fresh victim; $rc, out, err.
run() {
        local backend=$1 sig=$2 point=$3 delay=${4-}
        cp --sparse=always pristine victim
        rm -rf tmpd && mkdir tmpd
        rc=0
        # SIGHUP as by default even under nohup (vhive keeps it ignored).
        env --default-signal=HUP ${delay:+VHIVE_SIGNAL_DELAY_US=$delay} TMPDIR="$SCRATCH/tmpd" \
                VHIVE_SIGNAL="$sig" VHIVE_SIGNAL_IN="$point" LD_PRELOAD="$CRASH_SHIM" \
                "$VHIVE" scrub --backend "$backend" victim > out 2> err || rc=$?
}

# The image's lock is free and no qemu of this run is left.
let_go() { # LABEL
        local waited=0
        until qemu-img info -f "$fmt" victim > /dev/null 2>&1; do
                [ "$waited" -ge 40 ] && { fail "$1: the image is still locked after 2 s"; return; }
                sleep 0.05
                waited=$((waited + 1))
        done
        if pgrep -f "$SCRATCH/victim|$SCRATCH/tmpd" > /dev/null; then
                fail "$1: left running: $(pgrep -af "$SCRATCH/victim|$SCRATCH/tmpd")"
        fi
}

# expect LABEL SIG NAME WANT: the checks of an interrupted run (WANT: old
# or new) or, with SIG 0, of a run that had to finish.
expect() {
        local label=$1 sig=$2 name=$3 want=$4 status=$(( $2 ? 128 + $2 : 0 ))
        if [ "$rc" -ne "$status" ]; then
                fail "$label: exit $rc, want $status: $(tail -3 err)"
                return
        fi
        if [ "$sig" -ne 0 ] && ! grep -q "^vhive: interrupted by SIG$name\$" err; then
                fail "$label: no 'interrupted by SIG$name': $(tail -3 err)"
        fi
        [ -z "$(ls -A tmpd)" ] || fail "$label: left in TMPDIR: $(ls -A tmpd)"
        let_go "$label"
        if [ "$want" = old ]; then
                cmp -s pristine victim && ok "$label: exit $rc, image unchanged" ||
                        fail "$label: the image changed"
        elif VHIVE_BACKEND=direct "$VHIVE" check victim > check.out 2>&1; then
                ok "$label: exit $rc, the scrub is whole"
        else
                fail "$label: the image does not check clean: $(tail -2 check.out)"
        fi
}

# --- direct backend: every signal at every point ------------------------
VHIVE_SIGNAL_COUNT=preads run direct 0 nbd_pread
[ "$rc" -eq 0 ] || fail "direct: the probe scrub failed: $(cat err)"
half=$(( $(cat preads) / 2 ))
for s in "2 INT" "15 TERM" "1 HUP"; do
        n=${s% *} name=${s#* }
        run direct "$n" nbd_connect_unix:1
        expect "direct, SIG$name at the launch" "$n" "$name" old
        run direct "$n" "nbd_pread:$half"
        expect "direct, SIG$name at NBD read $half (download)" "$n" "$name" old
        run direct "$n" nbd_pwrite:2
        expect "direct, SIG$name in the commit" "$n" "$name" new
done
(trap '' TERM && run direct 15 nbd_pwrite:2 && echo "$rc" > rc)
rc=$(cat rc)
expect "direct, SIGTERM ignored at start" 0 TERM new

# --- appliance: one signal per point -------------------------------------
run appliance 15 guestfs_launch:1 1000000
skip_if_no_appliance err
expect "appliance, SIGTERM 1 s into the launch" 15 TERM old
run appliance 2 guestfs_pread:1
expect "appliance, SIGINT at the download" 2 INT old
run appliance 1 guestfs_pwrite:2
expect "appliance, SIGHUP in the commit" 1 HUP new
# A scrub with nothing to do writes nothing: the volume is mounted noatime,
# so even reading SYSTEM leaves the image byte for byte as it was.
cp --sparse=always victim clean
"$VHIVE" scrub --backend appliance victim > out 2> err || fail "second scrub: $(cat err)"
cmp -s clean victim && ok "appliance: a scrub with nothing to do leaves the image as it was" ||
        fail "appliance: a scrub with nothing to do changed the image"
finish
