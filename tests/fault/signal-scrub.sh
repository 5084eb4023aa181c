#!/bin/sh
# signal-scrub: SIGINT, SIGTERM and SIGHUP during a hive-file scrub end it
# at the next step boundary: exit 128 + the signal, "interrupted" on
# stderr, and the target either exactly as found or the whole new hive,
# with no temp file beside it and nothing left in TMPDIR.
#
# The shim sends the signal (FAILSHIM_SIGNAL) just before or just after a
# counted call, at the points that matter: the first write-path call (the
# temp file is being made: old), right after the call before the rename
# (the temp file written and checked: the last boundary, old, the temp
# file removed), just before the rename (past that boundary: the commit
# runs to its end, new), right after it and after the last call (new).  A signal ignored at start (a background job) stays ignored:
# the run finishes with exit 0.
#
# Usage (meson): signal-scrub.sh FAILSHIM FAULT_TOOL LOG_CHANGES_REG
set -eu
. "$(dirname "$0")/fault-lib.sh"

runs=0

# Runs the scrub of $w with signal SIG sent at call N (MODE kill: before
# it, killafter: after it), in a private TMPDIR; $rc is its exit status.
signal_at() { # N MODE SIG
        rm -rf "$tmp/t" && mkdir "$tmp/t"
        rc=0
        # SIGHUP as by default even under nohup (vhive keeps an ignored
        # signal ignored; the test of that is SIGTERM's, below).
        TMPDIR=$tmp/t ASAN_OPTIONS=$asan_shim LD_PRELOAD=$shim FAILSHIM_DIR=$w \
                FAILSHIM_N=$1 FAILSHIM_MODE=$2 FAILSHIM_SIGNAL=$3 \
                env --default-signal=HUP "$VHIVE" scrub "$w/SYSTEM" >"$tmp/out" 2>"$tmp/err" ||
                rc=$?
        runs=$((runs + 1))
}

check_signalled() { # NAME N MODE SIG SIGNAME
        label="$1: SIG$5 $3 call $2 ($(op_no "$2"))"
        fresh "$1"
        signal_at "$2" "$3" "$4"
        [ "$rc" = $((128 + $4)) ] || {
                cat "$tmp/err" >&2
                die "$label: exit $rc, want $((128 + $4))"
        }
        grep -q "^vhive: interrupted by SIG$5\$" "$tmp/err" || {
                cat "$tmp/err" >&2
                die "$label: no 'interrupted by SIG$5' on stderr"
        }
        [ -z "$(ls -A "$tmp/t")" ] || die "$label: left in TMPDIR: $(ls -A "$tmp/t")"
        check_leftovers "$label" 0
        classify "$label" "$1"
        if [ "$2" -lt "$rename_no" ]; then want=old; else want=new; fi
        [ "${state%-stale}" = "$want" ] || die "$label: $state, want $want"
        if [ "$want" = old ]; then
                grep -q "interrupted by SIG$5 before .*nothing written" "$tmp/err" ||
                        die "$label: the target's message does not say nothing was written"
        fi
        ok "$label: exit $rc, $state, nothing left behind"
}

signals() { # NAME
        probe "$1"
        for s in "2 INT" "15 TERM" "1 HUP"; do
                set -- "$1" ${s% *} ${s#* }
                check_signalled "$1" 1 kill "$2" "$3"
                check_signalled "$1" $((rename_no - 1)) killafter "$2" "$3"
                check_signalled "$1" "$rename_no" kill "$2" "$3"
                check_signalled "$1" "$rename_no" killafter "$2" "$3"
                check_signalled "$1" "$total" killafter "$2" "$3"
        done
        # Ignored at start: SIGTERM at the rename changes nothing.
        fresh "$1"
        (trap '' TERM && signal_at "$rename_no" kill 15 && echo "$rc" >"$tmp/rc")
        [ "$(cat "$tmp/rc")" = 0 ] || {
                cat "$tmp/err" >&2
                die "$1: SIGTERM ignored at start: exit $(cat "$tmp/rc"), want 0"
        }
        classify "$1 ignored SIGTERM" "$1"
        [ "${state%-stale}" = new ] || die "$1: ignored SIGTERM: $state, want new"
        ok "$1: a SIGTERM ignored at start stays ignored"
}

case_clean
signals clean
case_dirty
signals dirty
if case_real; then
        signals real
else
        echo "note: ../shared/fixtures/real-hives absent: real SYSTEM_B not signalled"
fi
echo "signal-scrub: $runs signalled runs"
finish
