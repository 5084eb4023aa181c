#!/bin/sh
# kill-scrub: vhive scrub killed at every write-path call, and at random
# moments, leaves either the target and its logs exactly as they were, or
# the new clean hive: never a mix.
#
# Cases: the clean fixture multi-iface.hive; a dirty hive whose newest
# state lives only in SYSTEM.LOG1 + SYSTEM.LOG2 (fault-tool mklogged); the
# real SYSTEM_B with its logs when ../shared/fixtures is present.
#
# For each case a probe run under the shim (FAILSHIM_MODE=count) lists the
# calls that write under the target's folder: mkostemp, fchmod, close, the
# open/write/close of hivex_commit, pwrite/fsync/close of the header fix,
# rename, the folder's fsync.  The logs are never truncated (issue 10):
# after the rename they are as found, and ineligible beside the clean hive.
# Then a run is killed (SIGKILL) before call N for every N, and right after
# the last call and right after the rename.  The state expected for each
# is exact:
#   killed at or before the rename       old: target and logs byte-identical
#   killed after it                      new: the target equals the
#       reference (an uninterrupted scrub) except for the header timestamp
#       and checksum, with a clean header, and vhive check passes; each log
#       is empty exactly when its ftruncate ran, else byte-identical.
# A new target beside an old log ("new-stale") is consistent: the new
# target is clean, so Windows loads it as it is and replays no log; and the
# old log's sequence numbers are below the new target's secondary one, so
# it is not eligible either (asserted).  The logs are truncated only after
# the rename because the reverse order, killed in between, would leave the
# old dirty primary without the logs holding its newest state: data lost.
# A temp file .SYSTEM.vhive-XXXXXX may be left by a kill before the rename
# (harmless: never a hive or log name, never looked at by vhive); after
# the rename none may remain.
#
# Then runs killed by timeout -s KILL after delays spread over 15-110% of
# an uninterrupted run's time, with random jitter: any of the three states
# is accepted, and a run that finished must be "new" (or "new-stale").
#
# Usage (meson): kill-scrub.sh FAILSHIM FAULT_TOOL LOG_CHANGES_REG
set -eu
. "$(dirname "$0")/fault-lib.sh"

command -v timeout >/dev/null || skip "timeout (coreutils) missing"

runs=0
summary=""
checked=""

# Kills the run at call N (MODE kill: before it; killafter: after it) and
# checks the state against what that point implies.
kill_at() { # NAME N MODE
        label="$1 $3 at call $2 ($(op_no "$2"))"
        fresh "$1"
        run_shim "$2" "$3"
        runs=$((runs + 1))
        [ "$rc" = 137 ] || {
                cat "$tmp/err" >&2
                die "$label: exit $rc, not killed: the call was not reached"
        }
        classify "$label" "$1"
        if [ "$3" = kill ]; then done_through=$(($2 - 1)); else done_through=$2; fi
        if [ "$done_through" -lt "$rename_no" ]; then
                [ "$state" = old ] || die "$label: $state, expected old"
                check_leftovers "$label" 1
                temps=$((temps + leftover))
                return
        fi
        case $state in new | new-stale) ;; *) die "$label: $state, expected new" ;; esac
        check_leftovers "$label" 0
        for l in $(logs_of "$cases/$1"); do
                t=$(call_no ftruncate "/$l")
                case " $empty_logs " in *" $l "*) is_empty=1 ;; *) is_empty=0 ;; esac
                if [ "$t" -gt 0 ] && [ "$t" -le "$done_through" ]; then
                        [ "$is_empty" = 1 ] || die "$label: $l should be empty"
                else
                        [ "$is_empty" = 0 ] || die "$label: $l should be as found"
                fi
        done
        # vhive itself reads the result as clean and blank, stale logs and
        # all: once for each combination of logs found empty.
        case "$checked" in *"[$1$empty_logs]"*) ;; *)
                "$VHIVE" check "$w/SYSTEM" >/dev/null 2>"$tmp/err" || {
                        cat "$tmp/err" >&2
                        die "$label: vhive check fails on the result ($state)"
                }
                checked="$checked[$1$empty_logs]" ;;
        esac
        n_new=$((n_new + 1))
}

random() { # 0..MAX-1
        echo $(($(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % $1))
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

timeout_kills() { # NAME COUNT
        fresh "$1"
        start=$(now_ms)
        "$VHIVE" scrub "$w/SYSTEM" >/dev/null 2>&1 || die "$1: the timing run failed"
        took=$(($(now_ms) - start))
        tk="" i=0
        while [ "$i" -lt "$2" ]; do
                delay=$((took * (15 + 85 * i / $2 + $(random 10)) / 100))
                fresh "$1"
                rc=0
                timeout -s KILL "$((delay / 1000)).$(printf %03d $((delay % 1000)))" \
                        "$VHIVE" scrub "$w/SYSTEM" >/dev/null 2>&1 || rc=$?
                runs=$((runs + 1))
                label="$1 timeout kill after ${delay} ms"
                classify "$label" "$1"
                case $rc in
                0) [ "${state%-stale}" = new ] || die "$label: finished, but the state is $state"
                   state=finished ;;
                124 | 137) ;;
                *) die "$label: exit $rc" ;;
                esac
                if [ "$state" = old ]; then
                        check_leftovers "$label" 1
                        temps=$((temps + leftover))
                else
                        check_leftovers "$label" 0
                fi
                tk="$tk $delay:$state"
                i=$((i + 1))
        done
        echo "kill-scrub: $1: uninterrupted run $took ms; timeout kills (ms:state):$tk"
}

run_case() { # NAME TIMEOUT_KILLS [CALLS...]: CALLS default to all
        name=$1
        nt=$2
        shift 2
        [ "${probed-}" = "$name" ] || probe "$name"
        echo "kill-scrub: $name: $total calls:" $(cut -d' ' -f2 "$trace")
        temps=0 n_new=0 k=0
        points=${*:-$(seq 1 "$total")}
        for n in $points; do
                kill_at "$name" "$n" kill
                k=$((k + 1))
        done
        kill_at "$name" "$rename_no" killafter
        kill_at "$name" "$total" killafter
        k=$((k + 2))
        timeout_kills "$name" "$nt"
        echo "kill-scrub: $name: $k shim kills ($n_new left the new hive), $nt timeout kills, $temps temp files left by kills before the rename"
        summary="$summary $name=$((k + nt))"
}

case_clean
run_case clean 4
case_dirty
run_case dirty 6
if case_real; then
        # 1.3 s a run: in the temp's write and at the rename (plus right
        # after the rename and the end).
        probe real
        probed=real
        run_case real 2 "$(call_no write "")" "$rename_no"
else
        echo "kill-scrub: real: skipped (no $SHARED_FIXTURES/real-hives)"
fi
echo "kill-scrub: PASS: $runs killed or timed runs:$summary"
