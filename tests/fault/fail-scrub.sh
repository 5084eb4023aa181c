#!/bin/sh
# fail-scrub: each write-path call of vhive scrub failing in turn (EIO on
# odd call numbers, ENOSPC on even ones) through the failshim.
#
# After every run: exit status 2 (not 0, not an ASan/LSan abort), one
# message "vhive: TARGET: ...: <strerror>" on stderr, no temp file left
# in the folder, and the files in the state the failing call implies:
#   a call up to and including the rename fails   old: target and logs
#       byte-identical to what was there
#   a later call fails (the folder's fsync, a log's truncation)   the new
#       target is in place (rename is not undone), each log empty exactly
#       when its ftruncate ran before the failure: a consistent state (see
#       kill-scrub.sh), but reported as a failure (exit 2).
#
# One exception, reported as a NOTE and tolerated while
# FAULT_STRICT_CLOSE is not 1: a failing close() right after a successful
# fsync() of the same file (the temp after its header fix, a log after its
# truncation) is not checked by lib/ (_cleanup_close_), so the run exits 0.
# The data was already durable, so the state must then be the complete new
# one (asserted); HACKING.md still asks for every close to be checked.
#
# Cases as in kill-scrub.sh; SYSTEM_B only at the rename and the folder's
# fsync (a run takes 1.3 s).  Logs are never truncated (issue 10).
#
# Usage (meson): fail-scrub.sh FAILSHIM FAULT_TOOL LOG_CHANGES_REG
set -eu
. "$(dirname "$0")/fault-lib.sh"

runs=0
summary=""
post_rename=""
unchecked=""

# Call N is a close() and call N-1 an fsync() of the same file.
close_after_fsync() { # N
        awk -v n="$1" '$1 == n - 1 { op = $2; p = $3 } $1 == n { ok = $2 == "close" && op == "fsync" && $3 == p }
                END { exit !ok }' "$trace"
}

fail_at() { # NAME N
        if [ $(($2 % 2)) = 1 ]; then e=EIO msg="Input/output error"
        else e=ENOSPC msg="No space left on device"; fi
        label="$1 $e at call $2 ($(op_no "$2"))"
        fresh "$1"
        run_shim "$2" fail "$e"
        runs=$((runs + 1))
        if [ "$rc" = 0 ] && [ "${FAULT_STRICT_CLOSE-}" != 1 ] && close_after_fsync "$2"; then
                classify "$label" "$1"
                [ "${state%-stale}" = new ] || die "$label: exit 0 but $state"
                check_leftovers "$label" 0
                unchecked="$unchecked
  $1 call $2: close of $(awk -v n="$2" '$1 == n { print $3 }' "$trace" | sed "s|$w/||") failing: exit 0, the new hive complete"
                echo "fail-scrub: $label: exit 0 (unchecked close), $state"
                return
        fi
        [ "$rc" = 2 ] || {
                cat "$tmp/err" >&2
                die "$label: exit $rc, expected 2"
        }
        grep -q "^vhive: $w/SYSTEM: .*$msg" "$tmp/err" || {
                cat "$tmp/err" >&2
                die "$label: no message naming the target and the error"
        }
        check_leftovers "$label" 0
        classify "$label" "$1"
        if [ "$2" -le "$rename_no" ]; then
                [ "$state" = old ] || die "$label: $state, expected the old hive and logs"
        else
                case $state in new | new-stale) ;; *) die "$label: $state, expected new" ;; esac
                for l in $(logs_of "$cases/$1"); do
                        t=$(call_no ftruncate "/$l")
                        case " $empty_logs " in *" $l "*) is_empty=1 ;; *) is_empty=0 ;; esac
                        if [ "$t" -gt 0 ] && [ "$t" -lt "$2" ]; then want=1; else want=0; fi
                        [ "$is_empty" = "$want" ] || die "$label: $l empty=$is_empty, expected $want"
                done
                post_rename="$post_rename
  $1 call $2 ($(op_no "$2")): $state:$(head -n 1 "$tmp/err" | sed "s|$w/||g")"
        fi
        echo "fail-scrub: $label: $state: $(head -n 1 "$tmp/err" | sed "s|$w/||g")"
}

run_case() { # NAME [CALLS...]: CALLS default to all
        name=$1
        shift
        probe "$name"
        points=${*:-$(seq 1 "$total")}
        k=0
        for n in $points; do
                case " ${FAULT_SKIP-} " in *" $name:$n "*) continue ;; esac
                fail_at "$name" "$n"
                k=$((k + 1))
        done
        echo "fail-scrub: $name: $k of $total calls failed in turn"
        summary="$summary $name=$k"
}

case_clean
run_case clean
case_dirty
run_case dirty
if case_real; then
        probe real
        run_case real "$rename_no" "$((rename_no + 1))"
else
        echo "fail-scrub: real: skipped (no $SHARED_FIXTURES/real-hives)"
fi
if [ -n "$post_rename" ]; then
        echo "fail-scrub: NOTE: failures after the rename exit 2 with the new hive in place:$post_rename"
fi
if [ -n "$unchecked" ]; then
        echo "fail-scrub: NOTE: close() failures not reported (lib/: _cleanup_close_ after fsync):$unchecked"
fi
echo "fail-scrub: PASS: $runs failing runs:$summary"
