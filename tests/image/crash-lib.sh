# Sourced by the crash tests (after lib.sh): the checks every stopped run
# gets.  Expects CRASH_TOOL and VHIVE; judge needs ref-old-$base and
# ref-new-$base, the hives an untouched and a fully scrubbed copy load.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"
# A SIGKILLed vhive cannot remove its work folder: the killed runs get a
# TMPDIR inside the scratch folder, removed with it.  The appliance cache
# stays where every other test has it (libguestfs would rebuild it there).
export LIBGUESTFS_CACHEDIR=${LIBGUESTFS_CACHEDIR:-${TMPDIR:-/var/tmp}}
mkdir -p "$SCRATCH/tmp"
export TMPDIR=$SCRATCH/tmp
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
        VHIVE_BACKEND=direct "$VHIVE" scrub --format "$fmt" "$img" > /dev/null 2> err &&
                loaded "$img" "$fmt" hive.again 2>> err &&
                "$CRASH_TOOL" same "ref-new-$base" hive.again 2>> err ||
                fail "$tag: a second scrub did not end with the new hive: $(cat err)"
}

# references BASE FMT: ref-old-BASE and ref-new-BASE from the fixture; leaves
# an untouched copy as "pristine" and the number of counted calls of one
# scrub (with the current VHIVE_BACKEND) in $points.
references() {
        local base=$1 fmt=$2
        copy "$base" pristine
        loaded pristine "$fmt" "ref-old-$base" || fail "$base: the fixture does not load"
        cp --sparse=always pristine victim
        VHIVE_CRASH_COUNT=count LD_PRELOAD="$CRASH_SHIM" "$VHIVE" scrub victim > /dev/null ||
                fail "$base: the reference scrub failed"
        loaded victim "$fmt" "ref-new-$base" || fail "$base: the scrubbed image does not load"
        cmp -s "ref-old-$base" "ref-new-$base" && fail "$base: the scrub changed nothing"
        points=$(cat count)
}

crash_summary() {
        echo "stopped runs: $runs; old hive: $old, new hive: $new;" \
                "image free again within $max_ms ms"
        [ $((old + new)) -eq "$runs" ] && ok "every stop left the old or the new hive" ||
                fail "some stops left something else"
}
