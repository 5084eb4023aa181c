#!/bin/bash
# Usage errors, --help, -n/--dry-run, -o/--output.
. "$(dirname "$0")/lib.sh"

hive=$(fixture one-iface)
orig="$T/one-iface.orig"
cp "$hive" "$orig"

# ---- usage errors: exit 2, a message, nothing touched ---------------------
vh scrub
expect_rc 2 "scrub without TARGET"
has "$T/err" "no TARGET" "scrub without TARGET says so"
vh check
expect_rc 2 "check without TARGET"
vh scrub --no-such-option "$hive"
expect_rc 2 "scrub --no-such-option"
vh scrub --profile bogus "$hive"
expect_rc 2 "scrub --profile bogus"
has "$T/err" "profile.*bogus" "--profile bogus is named in the error"
vh check --profile bogus "$hive"
expect_rc 2 "check --profile bogus"
vh check -n "$hive"
expect_rc 2 "check has no --dry-run"
vh check -o "$T/x.hive" "$hive"
expect_rc 2 "check has no --output"
vh scrub --backend nosuch "$hive"
expect_rc 2 "scrub --backend nosuch"
same "$orig" "$hive" "usage errors leave the hive alone"
[ -e "$T/x.hive" ] && fail "check -o created its FILE" || ok

# ---- help ----------------------------------------------------------------
vh scrub --help
expect_rc 0 "scrub --help"
has "$T/out" "^Usage: vhive scrub" "scrub --help prints the usage"
for opt in --dry-run --output --profile --keep-static --all-controlsets --backup --json; do
        has "$T/out" "$opt" "scrub --help lists $opt"
done
vh check -h
expect_rc 0 "check -h"
has "$T/out" "^Usage: vhive check" "check -h prints the usage"
has "$T/out" "0 .*1 .*2" "check -h lists the exit codes"

# ---- dry run: the report, and the bytes stay identical ----------------------
for opt in -n --dry-run; do
        for profile in seed lease; do
                what="scrub $opt --profile $profile"
                vh scrub "$opt" --profile "$profile" "$hive"
                expect_rc 0 "$what"
                same "$orig" "$hive" "$what leaves the bytes identical"
                mapfile -t want < <(expected_paths "$orig" --profile "$profile")
                eq "$(count_lines "$T/out" ': blank ')" "${#want[@]}" "$what: one line per value"
                has "$T/out" ": ${#want[@]} to blank, .*dry run: nothing written$" "$what: summary"
                for p in "${want[@]}"; do
                        name=${p##*\\}
                        has "$T/out" ": blank .*\\\\$name = " "$what: names $name"
                done
        done
done
no_temp_left "$T" "dry run"

# ---- -o FILE: the target stays, FILE holds the result ------------------------
out="$T/out-dir/result.hive"
mkdir -p "$T/out-dir"
vh scrub -o "$out" "$hive"
expect_rc 0 "scrub -o FILE"
same "$orig" "$hive" "scrub -o leaves TARGET identical"
[ -f "$out" ] && ok || fail "scrub -o did not create $out"
[ -f "$out" ] && verify_scrub "$orig" "$out"
no_temp_left "$T/out-dir" "scrub -o"
no_temp_left "$T" "scrub -o (target folder)"

# --output=FILE over an existing file replaces it.
echo "old content" >"$T/out-dir/existing"
vh scrub --profile lease --output="$T/out-dir/existing" "$hive"
expect_rc 0 "scrub --output=EXISTING"
same "$orig" "$hive" "scrub --output leaves TARGET identical"
verify_scrub "$orig" "$T/out-dir/existing" --profile lease

# -o with a dry run writes nothing at all.
vh scrub -n -o "$T/out-dir/dry.hive" "$hive"
expect_rc 0 "scrub -n -o"
[ -e "$T/out-dir/dry.hive" ] && fail "scrub -n -o created FILE" || ok

# -o with two targets: a usage error, nothing written.
hive2=$(fixture multi-iface)
cp "$hive2" "$T/multi.orig"
vh scrub -o "$T/out-dir/two.hive" "$hive" "$hive2"
expect_rc 2 "scrub -o FILE with 2 targets"
has "$T/err" "one TARGET|exactly one" "-o with 2 targets says why"
[ -e "$T/out-dir/two.hive" ] && fail "-o with 2 targets created FILE" || ok
same "$orig" "$hive" "-o with 2 targets: first target untouched"
same "$T/multi.orig" "$hive2" "-o with 2 targets: second target untouched"

# -o into a folder that does not exist: a failure, the target untouched.
vh scrub -o "$T/no/such/dir/x.hive" "$hive"
expect_rc 2 "scrub -o into a missing folder"
has "$T/err" "^vhive: " "-o into a missing folder: a message"
same "$orig" "$hive" "-o into a missing folder leaves TARGET identical"

finish
