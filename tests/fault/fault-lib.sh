# Shared by the fault tests (sourced).  Arguments of every test:
#   FAILSHIM FAULT_TOOL LOG_CHANGES_REG
# Environment from tests/meson.build: VHIVE, FIXTURES, FIXTURES_SRC, MKHIVE,
# MAKE_HIVE, SHARED_FIXTURES.
#
# A case is a folder $cases/NAME holding the target "SYSTEM" (plus
# SYSTEM.LOG1/SYSTEM.LOG2 for a dirty hive) as found, and ref/SYSTEM: the
# result of an uninterrupted scrub, checked once against the state it was
# made from.  Every run works on a fresh copy of a case in $w.

shim=$1
tool=$2
log_changes=$3

# skip, ok, fail, die, assert, expect_rc, finish.  A fault run that goes
# wrong stops the test at once (die): later runs would start from its debris.
. "$(dirname "$0")/../lib.sh"

[ -n "${VHIVE-}" ] && [ -x "$VHIVE" ] || skip "VHIVE is not set (run through meson test)"
[ -n "${FIXTURES-}" ] && [ -f "$FIXTURES/multi-iface.hive" ] ||
        skip "hive fixtures not built (hivexregedit missing)"
command -v reglookup >/dev/null || skip "reglookup not installed (apt-get install reglookup)"

# No re-exec (cmd/vhive.c): the shim's call numbers must be one process's.
export VHIVE_NO_REEXEC=1
# The shim comes before the ASan runtime in the library list.
asan_shim="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

# In memory when possible: a kill tests the order of the steps, not the
# disk, and fsync on a busy disk would make every run slow.
base=${TMPDIR:-/tmp}
if [ -d /dev/shm ] && [ -w /dev/shm ]; then base=/dev/shm; fi
tmp=$(mktemp -d "$base/vhive-fault.XXXXXX")
cleanup_hooks=":"
cleanup() {
        eval "$cleanup_hooks"
        rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
cases=$tmp/cases
w=$tmp/w
mkdir -p "$cases"

# The values a default scrub blanks (README).
lease_names='NameServer|Domain|DhcpIPAddress|DhcpSubnetMask|DhcpServer|DhcpNameServer|DhcpDefaultGateway'

logs_of() { # CASE_DIR: the logs of a case, by name
        for l in SYSTEM.LOG1 SYSTEM.LOG2; do
                if [ -e "$1/$l" ]; then echo "$l"; fi
        done
}

size_of() { wc -c <"$1" | tr -d ' '; }

# Checks the reference of case NAME against STATE, the hive as Windows
# would load it before the scrub: the dumps differ only in lease values,
# each blank in the reference; vhive check passes; the header is clean.
check_reference() { # NAME STATE
        ref=$cases/$1/ref/SYSTEM
        reglookup -H "$2" 2>/dev/null | sed 's/,[^,]*$//' | sort >"$tmp/before.txt"
        reglookup -H "$ref" 2>/dev/null | sed 's/,[^,]*$//' | sort >"$tmp/after.txt"
        diff "$tmp/before.txt" "$tmp/after.txt" | grep '^[<>]' >"$tmp/diff.txt" || true
        [ -s "$tmp/diff.txt" ] || die "$1: the scrub changed nothing"
        if grep -Ev "^[<>] [^,]*/($lease_names),(SZ|MULTI_SZ|DWORD|BINARY)," "$tmp/diff.txt"; then
                die "$1: the scrub changed more than lease values (above)"
        fi
        if grep '^> ' "$tmp/diff.txt" | grep -Ev ',(SZ|MULTI_SZ|BINARY),$|,DWORD,0x00000000$'; then
                die "$1: a lease value is not blank after the scrub (above)"
        fi
        "$VHIVE" check "$ref" >/dev/null 2>&1 || die "$1: vhive check fails on the reference"
        "$tool" same-new "$ref" "$ref" || die "$1: the reference's header is not clean"
}

make_ref() { # NAME: the uninterrupted scrub
        d=$cases/$1
        mkdir "$d/ref"
        cp "$d/SYSTEM"* "$d/ref/"
        "$VHIVE" scrub "$d/ref/SYSTEM" >"$tmp/out" 2>&1 || {
                cat "$tmp/out" >&2
                die "$1: the uninterrupted scrub failed"
        }
        # Issue 10: logs are left as they were (a clean primary makes them
        # ineligible); they used to be truncated.
        for l in $(logs_of "$d"); do
                cmp -s "$d/$l" "$d/ref/$l" || die "$1: $l changed by the uninterrupted scrub"
                rm "$d/ref/$l"
        done
}

case_clean() { # multi-iface.hive, no logs
        mkdir "$cases/clean"
        cp "$FIXTURES/multi-iface.hive" "$cases/clean/SYSTEM"
        make_ref clean
        check_reference clean "$cases/clean/SYSTEM"
}

# multi-iface with a newer lease and a marker that live only in two logs.
case_dirty() {
        d=$cases/dirty
        mkdir "$d"
        "$MAKE_HIVE" "$MKHIVE" "$tmp/new.hive" "$FIXTURES_SRC/multi-iface.reg" "$log_changes"
        "$tool" mklogged "$FIXTURES/multi-iface.hive" "$tmp/new.hive" \
                "$d/SYSTEM" "$d/SYSTEM.LOG1" "$d/SYSTEM.LOG2" >/dev/null
        make_ref dirty
        check_reference dirty "$tmp/new.hive"
        reglookup -H "$d/ref/SYSTEM" | grep -q '/FaultMarker,SZ,replayed from the logs,' ||
                die "dirty: the logs were not replayed (FaultMarker missing)"
}

# The real SYSTEM_B with its two logs, when ../shared is there: returns 1
# when it is not.
case_real() {
        r=${SHARED_FIXTURES-}/real-hives
        [ -f "$r/SYSTEM_B.xz" ] && command -v xz >/dev/null || return 1
        d=$cases/real
        mkdir "$d"
        xz -dc "$r/SYSTEM_B.xz" >"$d/SYSTEM"
        xz -dc "$r/SYSTEM_B.LOG1.xz" >"$d/SYSTEM.LOG1"
        xz -dc "$r/SYSTEM_B.LOG2.xz" >"$d/SYSTEM.LOG2"
        xz -dc "$r/SYSTEM_B.replayed.xz" >"$tmp/real.replayed"
        make_ref real
        check_reference real "$tmp/real.replayed"
        rm -f "$tmp/real.replayed"
}

fresh() { # NAME: $w becomes a copy of the case as found
        rm -rf "$w"
        mkdir "$w"
        cp "$cases/$1/SYSTEM"* "$w/"
}

# Files in $w besides the target and its logs: only vhive's temp files
# (.SYSTEM.vhive-XXXXXX, never the target's or a log's name), and only
# with ALLOW_TEMP=1.  Sets $leftover to their number.
check_leftovers() { # LABEL ALLOW_TEMP
        leftover=0
        for f in "$w"/* "$w"/.[!.]*; do
                [ -e "$f" ] || continue
                b=${f##*/}
                case $b in
                SYSTEM | SYSTEM.LOG1 | SYSTEM.LOG2) ;;
                .SYSTEM.vhive-??????)
                        [ "$2" = 1 ] || die "$1: temp file $b left behind"
                        leftover=$((leftover + 1)) ;;
                *) die "$1: unexpected file $b" ;;
                esac
        done
}

# Classifies $w against case NAME: sets $state to old (target and logs as
# found), new (new target, logs empty) or new-stale (new target, some logs
# as found); fails on anything else.  Sets $empty_logs (" SYSTEM.LOG1 ...").
classify() { # LABEL NAME
        c=$cases/$2
        empty_logs=""
        for l in $(logs_of "$c"); do
                [ -e "$w/$l" ] || die "$1: $l was deleted"
        done
        if cmp -s "$w/SYSTEM" "$c/SYSTEM"; then
                for l in $(logs_of "$c"); do
                        cmp -s "$w/$l" "$c/$l" || die "$1: MIX: old target, but $l changed"
                done
                state=old
                return
        fi
        "$tool" same-new "$c/ref/SYSTEM" "$w/SYSTEM" ||
                die "$1: the target is neither the old hive nor the new one"
        # The new target is clean (same-new checked it): Windows loads a
        # clean hive as it is and replays nothing.  A log left as it was is
        # not eligible either: its sequence numbers are below the new
        # primary's secondary one (registry-notes.md: eligible only when
        # the log's >= the primary's), so neither vhive nor Windows would
        # apply it even if the hive became dirty again.
        secondary=$("$tool" seqs "$w/SYSTEM" | cut -d' ' -f2)
        stale=0
        for l in $(logs_of "$c"); do
                if [ "$(size_of "$w/$l")" = 0 ]; then
                        empty_logs="$empty_logs $l"
                        continue
                fi
                cmp -s "$w/$l" "$c/$l" ||
                        die "$1: MIX: new target, $l neither empty nor as found"
                seqs=$("$tool" seqs "$w/$l")
                s1=${seqs% *}
                s2=${seqs#* }
                [ "$s1" -lt "$secondary" ] && [ "$s2" -lt "$secondary" ] ||
                        die "$1: $l (sequence $s1/$s2) still eligible beside the new target (secondary $secondary)"
                stale=1
        done
        if [ "$stale" = 1 ]; then state=new-stale; else state=new; fi
}

# The call trace of an uninterrupted run under the shim for case NAME:
# $trace holds "N op path run" lines, $total their number.
probe() { # NAME
        fresh "$1"
        rm -f "$tmp/trace" "$tmp/count"
        ASAN_OPTIONS=$asan_shim LD_PRELOAD=$shim FAILSHIM_DIR=$w FAILSHIM_MODE=count \
                FAILSHIM_TRACE=$tmp/trace FAILSHIM_COUNT_FILE=$tmp/count \
                "$VHIVE" scrub "$w/SYSTEM" >/dev/null 2>"$tmp/err" || {
                cat "$tmp/err" >&2
                die "$1: the probe run failed"
        }
        total=$(cat "$tmp/count")
        trace=$tmp/trace.$1
        mv "$tmp/trace" "$trace"
        [ "$total" -gt 0 ] && [ "$(wc -l <"$trace")" -eq "$total" ] ||
                die "$1: the shim counted nothing: is it preloaded?"
        classify "$1 probe" "$1"
        # With logs, "new-stale": the new clean hive beside the logs as found.
        case $state in new | new-stale) ;; *) die "$1: the probe run did not finish" ;; esac
        check_leftovers "$1 probe" 0
        rename_no=$(call_no rename /SYSTEM)
        [ "$rename_no" -gt 0 ] || die "$1: no rename seen by the shim"
}

# The number of the first counted call OP on a path ending in SUFFIX, 0
# when none.
call_no() { # OP SUFFIX
        awk -v op="$1" -v sfx="$2" '
                $2 == op && substr($3, length($3) - length(sfx) + 1) == sfx { print $1; f = 1; exit }
                END { if (!f) print 0 }' "$trace"
}

op_no() { # N: the op of call N
        awk -v n="$1" '$1 == n { print $2 }' "$trace"
}

# Runs the scrub on $w under the shim; $rc is its exit status.
run_shim() { # N MODE [ERRNO]
        rc=0
        ASAN_OPTIONS=$asan_shim LD_PRELOAD=$shim FAILSHIM_DIR=$w FAILSHIM_N=$1 \
                FAILSHIM_MODE=$2 FAILSHIM_ERRNO=${3-EIO} \
                "$VHIVE" scrub "$w/SYSTEM" >"$tmp/out" 2>"$tmp/err" || rc=$?
}
