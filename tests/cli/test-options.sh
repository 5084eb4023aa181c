#!/bin/bash
# Usage errors, --help, -n/--dry-run, -o/--output.
. "$(dirname "$0")/lib.sh"

hive=$(fixture one-iface)
orig="$T/one-iface.orig"
cp "$hive" "$orig"

# ---- usage errors: exit 2, a message, nothing touched ---------------------
expect_rc 2 "scrub without TARGET" vh scrub
has "$T/err" "no TARGET" "scrub without TARGET says so"
expect_rc 2 "check without TARGET" vh check
expect_rc 2 "scrub --no-such-option" vh scrub --no-such-option "$hive"
expect_rc 2 "scrub --profile bogus" vh scrub --profile bogus "$hive"
has "$T/err" "profile.*bogus" "--profile bogus is named in the error"
expect_rc 2 "check --profile bogus" vh check --profile bogus "$hive"
expect_rc 2 "check has no --dry-run" vh check -n "$hive"
expect_rc 2 "check has no --output" vh check -o "$T/x.hive" "$hive"
expect_rc 2 "scrub --backend nosuch" vh scrub --backend nosuch "$hive"
same "$orig" "$hive" "usage errors leave the hive alone"
[ -e "$T/x.hive" ] && fail "check -o created its FILE" || ok

# ---- an option a command does not take is a usage error -----------------
expect_rc 2 "check --backup D" vh check --backup "$T/bak" "$hive"
has "$T/err" "--backup does not apply to check" "check --backup is refused by name"
[ -e "$T/bak" ] && fail "check --backup created its DIR" || ok
# Every option against every command that does not list it (vhive --list-options).
expect_rc 0 "--list-options" vh --list-options
cp "$T/out" "$T/options"
commands="scrub check info ls get set delete export merge"
while read -r long rest; do
        short=
        case $rest in -?\ * | -?) short=${rest%% *}; rest=${rest#"$short"} ;; esac
        for c in $commands; do
                grep -qE "^$long( -.)?( [a-z]+)* $c( |\$)" "$T/options" && continue
                args=()
                case $long in --output | --backup | --profile | --format | --root | --backend)
                        args=("$T/arg") ;; esac
                expect_rc 2 "$c $long" vh "$c" "$long" "${args[@]}" "$hive" 'Select' Current
        done
done < <(sort -u -k1,1 "$T/options")
same "$orig" "$hive" "refused options leave the hive alone"
[ -e "$T/arg" ] && fail "a refused option created its argument" || ok

# ---- help ----------------------------------------------------------------
expect_rc 0 "scrub --help" vh scrub --help
has "$T/out" "^Usage: vhive scrub" "scrub --help prints the usage"
for opt in --dry-run --output --profile --keep-static --all-controlsets --backup --json; do
        has "$T/out" "$opt" "scrub --help lists $opt"
done
expect_rc 0 "check -h" vh check -h
has "$T/out" "^Usage: vhive check" "check -h prints the usage"
has "$T/out" "0 .*1 .*2" "check -h lists the exit codes"
# Each command's --help lists exactly the options it takes.
for c in $commands; do
        expect_rc 0 "$c --help" vh "$c" --help
        want=$(grep -E " $c( |\$)" "$T/options" | cut -d' ' -f1 | sort -u | tr '\n' ' ')
        got=$(grep -oE -- '--[a-z0-9-]+' "$T/out" | sort -u | tr '\n' ' ')
        eq "$got" "$want" "$c --help lists the options $c takes"
done

# ---- dry run: the report, and the bytes stay identical ----------------------
for opt in -n --dry-run; do
        for profile in seed lease; do
                what="scrub $opt --profile $profile"
                expect_rc 0 "$what" vh scrub "$opt" --profile "$profile" "$hive"
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
expect_rc 0 "scrub -o FILE" vh scrub -o "$out" "$hive"
same "$orig" "$hive" "scrub -o leaves TARGET identical"
[ -f "$out" ] && ok || fail "scrub -o did not create $out"
[ -f "$out" ] && verify_scrub "$orig" "$out"
no_temp_left "$T/out-dir" "scrub -o"
no_temp_left "$T" "scrub -o (target folder)"

# --output=FILE over an existing file replaces it.
echo "old content" >"$T/out-dir/existing"
expect_rc 0 "scrub --output=EXISTING" vh scrub --profile lease --output="$T/out-dir/existing" "$hive"
same "$orig" "$hive" "scrub --output leaves TARGET identical"
verify_scrub "$orig" "$T/out-dir/existing" --profile lease

# -o with a dry run writes nothing at all.
expect_rc 0 "scrub -n -o" vh scrub -n -o "$T/out-dir/dry.hive" "$hive"
[ -e "$T/out-dir/dry.hive" ] && fail "scrub -n -o created FILE" || ok

# -o with two targets: a usage error, nothing written.
hive2=$(fixture multi-iface)
cp "$hive2" "$T/multi.orig"
expect_rc 2 "scrub -o FILE with 2 targets" vh scrub -o "$T/out-dir/two.hive" "$hive" "$hive2"
has "$T/err" "one TARGET|exactly one" "-o with 2 targets says why"
[ -e "$T/out-dir/two.hive" ] && fail "-o with 2 targets created FILE" || ok
same "$orig" "$hive" "-o with 2 targets: first target untouched"
same "$T/multi.orig" "$hive2" "-o with 2 targets: second target untouched"

# -o into a folder that does not exist: a failure, the target untouched.
expect_rc 2 "scrub -o into a missing folder" vh scrub -o "$T/no/such/dir/x.hive" "$hive"
has "$T/err" "^vhive: " "-o into a missing folder: a message"
same "$orig" "$hive" "-o into a missing folder leaves TARGET identical"

finish
