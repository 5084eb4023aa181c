#!/bin/sh
# run.sh [BUILDDIR [TARGET...]]: runs each fuzz target for a bounded time,
# one after the other (one process, one job), and prints a summary table
# of executions per target.
#
#   FUZZ_SECONDS   seconds per target (default 60)
#   FUZZ_ARGS      extra libFuzzer arguments
#
# Seeds come from BUILDDIR/corpus (fuzz/seed.sh builds it when missing),
# a dictionary from fuzz/TARGET.dict when there is one;
# the growing corpus is kept in BUILDDIR/fuzz-corpus/TARGET, crashes in
# BUILDDIR/fuzz-artifacts/TARGET/, each log in BUILDDIR/fuzz-logs/TARGET.log
# and the table in BUILDDIR/fuzz-logs/summary.txt.  Exit 1 when a target
# crashed (the table says which, and the artifact to replay).
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build-fuzz}" && pwd)
[ $# -gt 0 ] && shift
targets=${*:-hive replay regfile image ptable lazy}
seconds=${FUZZ_SECONDS:-60}

[ -d "$build/corpus" ] || "$src/fuzz/seed.sh" "$build" "$build/corpus" >/dev/null
mkdir -p "$build/fuzz-logs"
summary=$build/fuzz-logs/summary.txt

max_len() {
        case $1 in
        hive|lazy) echo 65536 ;;
        replay) echo 131072 ;;
        image|ptable) echo 32768 ;;
        *) echo 16384 ;;
        esac
}

status=0
rows=""
for t in $targets; do
        exe=$build/fuzz/fuzz-$t
        [ -x "$exe" ] || { echo "run.sh: $exe not built (meson -Dfuzz=true)" >&2; exit 2; }
        work=$build/fuzz-corpus/$t
        art=$build/fuzz-artifacts/$t/
        log=$build/fuzz-logs/$t.log
        mkdir -p "$work" "$art"
        echo "run.sh: fuzz-$t for ${seconds}s" >&2
        rc=0
        dict=
        if [ -f "$src/fuzz/$t.dict" ]; then dict=-dict=$src/fuzz/$t.dict; fi
        # The lazy reader reads the same cells as fuzz-hive.
        if [ "$t" = lazy ]; then dict=-dict=$src/fuzz/hive.dict; fi
        # shellcheck disable=SC2086
        ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
        UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
                "$exe" -max_total_time="$seconds" -max_len="$(max_len "$t")" \
                -timeout=20 -rss_limit_mb=2560 -print_final_stats=1 \
                -artifact_prefix="$art" $dict ${FUZZ_ARGS:-} \
                "$work" "$build/corpus/$t" >"$log" 2>&1 || rc=$?
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
        [ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\).*DONE.*/\1/p' "$log" | tail -n 1)
        [ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' "$log" | tail -n 1)
        cov=$(sed -n 's/^#[0-9]*.*cov: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
        corp=$(ls "$work" | wc -l)
        if [ "$rc" -eq 0 ]; then
                result=ok
        else
                status=1
                result="CRASH $(ls -t "$art" | head -n 1)"
        fi
        rows="$rows$(printf '%-8s | %7s | %12s | %5s | %6s | %s' "$t" "$seconds" \
                "${execs:-?}" "${cov:-?}" "$corp" "$result")
"
done

{
        printf '%-8s | %7s | %12s | %5s | %6s | %s\n' target seconds executions cov corpus result
        printf '%s' "$rows"
} | tee "$summary"
exit $status
