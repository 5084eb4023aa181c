#!/bin/bash
# File-level promises: the mode is kept, absent values stay absent, blank
# values are not rewritten, several targets with one bad.
. "$(dirname "$0")/lib.sh"

# Mode kept.
for mode in 640 600 604; do
        hive=$(fixture one-iface "$T/mode$mode/SYSTEM")
        chmod "$mode" "$hive"
        expect_rc 0 "scrub of a $mode hive" vh scrub "$hive"
        eq "$(stat -c %a "$hive")" "$mode" "mode $mode kept"
done

# Absent values stay absent: not created, the other interfaces untouched.
hive=$(fixture values-absent)
expect_rc 0 "scrub on values-absent" vh scrub --profile lease "$hive"
verify_scrub "$FIXTURES/values-absent.hive" "$hive" --profile lease
eq "$N_EXPECTED" 1 "values-absent: only the one present value changes"
eq "$(reglookup "$hive" 2>/dev/null | wc -l)" "$(reglookup "$FIXTURES/values-absent.hive" 2>/dev/null | wc -l)" \
        "no value created"
# Parameters: 3 lease values; 3 interfaces x 17; one value present.
has "$T/out" ": 1 blanked, 0 already blank, 53 absent, 0 kept: written" "absent values are reported"

# Already blank in every type: not rewritten, byte-identical.
hive=$(fixture already-blank)
for profile in seed lease; do
        expect_rc 0 "scrub --profile $profile on already-blank" vh scrub --profile "$profile" --all-controlsets "$hive"
        same "$FIXTURES/already-blank.hive" "$hive" "already-blank is byte-identical ($profile)"
        has "$T/out" ": 0 blanked, [1-9][0-9]* already blank, .*nothing to change" "already-blank summary ($profile)"
done
no_temp_left "$T" "already-blank"

# Empty interface keys are fine.
hive=$(fixture empty-ifaces)
expect_rc 0 "scrub on empty-ifaces" vh scrub "$hive"
n_ifaces=$(reglookup -t KEY "$FIXTURES/empty-ifaces.hive" 2>/dev/null |
        grep -c '^/ControlSet001/Services/Tcpip/Parameters/Interfaces/[^/]*,KEY,')
[ "$n_ifaces" -ge 4 ] && ok || fail "empty-ifaces: only $n_ifaces interface keys"
has "$T/out" "ControlSet001 \\(current\\): $n_ifaces interfaces" "every interface key walked"
verify_scrub "$FIXTURES/empty-ifaces.hive" "$hive"

# Several targets, one bad: the good ones are fixed, exit 2.
g1=$(fixture one-iface "$T/multi/g1.hive")
g2=$(fixture lease-all-types "$T/multi/g2.hive")
b=$(fixture no-select "$T/multi/bad.hive")
expect_rc 2 "scrub good bad good" vh scrub "$g1" "$b" "$g2"
has "$T/err" "^vhive: .*bad.hive: .*Select" "the bad target is named, with why"
hasnt "$T/err" "g1.hive|g2.hive" "no error for the good targets"
has "$T/out" "g1.hive: .*: written$" "first good target written"
has "$T/out" "g2.hive: .*: written$" "second good target written"
same "$FIXTURES/no-select.hive" "$b" "the bad target is untouched"
verify_scrub "$FIXTURES/one-iface.hive" "$g1"
verify_scrub "$FIXTURES/lease-all-types.hive" "$g2"
no_temp_left "$T/multi" "several targets"

finish
