#!/bin/bash
# Usage: test-scrub.sh seed|lease
# scrub on every fixture with one profile: exit 0, exactly the oracle's
# values blanked in their type (reglookup + regfexport), the report lists
# each of them, check agrees before (1, on some) and after (0), a second
# scrub changes nothing and does not rewrite the file.
. "$(dirname "$0")/lib.sh"

profile=${1:-seed}
case $profile in seed|lease) ;; *) echo "usage: $0 seed|lease" >&2; exit 2 ;; esac

# Each profile on the fixtures where it matters (cs2-current and the
# all-controlsets case have their own test).
if [ "$profile" = seed ]; then
        fixtures="one-iface multi-iface empty-ifaces mixed-case odd-types static values-absent"
else
        fixtures="one-iface lease-all-types odd-types mixed-case static cs2-current"
fi
for f in $fixtures; do
        what="scrub --profile $profile $f"
        hive=$(fixture "$f" "$T/$profile/$f.hive")
        orig="$T/$profile/$f.orig"
        cp "$hive" "$orig"

        case $f in one-iface|odd-types|values-absent)
                expect_rc 1 "check --profile $profile $f before the scrub" vh check --profile "$profile" "$hive"
                same "$orig" "$hive" "check leaves $f as it was"
        esac

        expect_rc 0 "$what" vh scrub --profile "$profile" "$hive"
        cp "$T/out" "$T/scrub.out"
        verify_scrub "$orig" "$hive" --profile "$profile"
        [ "$N_EXPECTED" -gt 0 ] && ok || fail "$what: the oracle expects no change"
        # One report line per blanked value, naming it.
        eq "$(count_lines "$T/scrub.out" ": blank ")" "$N_EXPECTED" "$what: blank lines"
        for p in "${EXPECTED[@]}"; do
                name=${p##*\\}
                has "$T/scrub.out" ": blank .*\\\\$name = " "$what: report names $name"
        done
        has "$T/scrub.out" "^[^ ]*: $N_EXPECTED blanked, .*: written$" "$what: summary"
        no_temp_left "$T/$profile" "$what"

        expect_rc 0 "check --profile $profile $f after the scrub" vh check --profile "$profile" "$hive"
        has "$T/out" ": 0 stale, .*: clean$" "check after scrub of $f says clean"

        # Idempotent: nothing to change, and the file is not rewritten.
        case $f in one-iface|mixed-case|odd-types)
                cp "$hive" "$T/scrubbed"
                expect_rc 0 "second $what" vh scrub --profile "$profile" "$hive"
                same "$T/scrubbed" "$hive" "second $what rewrites nothing"
                has "$T/out" ": 0 blanked, .*nothing to change" "second $what: summary"
        esac
done

if [ "$profile" = seed ]; then
        # The default profile is seed...
        hive=$(fixture one-iface "$T/default/one-iface.hive")
        expect_rc 0 "scrub (default profile)" vh scrub "$hive"
        "$PYTHON" "$REGCHECK" same-values "$hive" "$T/seed/one-iface.hive" 2>"$T/sv.err" && ok ||
                { fail "default profile differs from --profile seed"; cat "$T/sv.err" >&2; }
        # ...and leaves the lease values, which check --profile lease sees.
        expect_rc 1 "check --profile lease after a seed scrub" vh check --profile lease "$hive"
        has "$T/out" "stale .*\\\\Lease = \"86400\" \\(REG_DWORD\\)" "lease check names the stale Lease"
fi

finish
