#!/bin/bash
# Only the current control set (Select\Current), unless --all-controlsets.
. "$(dirname "$0")/lib.sh"

# Select\Current = 2: only ControlSet002 changes.
hive=$(fixture cs2-current "$T/cur/cs2.hive")
orig="$T/cs2.orig"
cp "$hive" "$orig"
expect_rc 0 "scrub on cs2-current" vh scrub --profile lease "$hive"
cp "$T/out" "$T/cur.out"
verify_scrub "$orig" "$hive" --profile lease
[ "$N_EXPECTED" -gt 0 ] && ok || fail "cs2-current: nothing expected"
for p in "${EXPECTED[@]}"; do
        case $p in ControlSet002\\*) ok ;; *) fail "current-only scrub expects $p" ;; esac
done
has "$T/cur.out" "ControlSet002 \\(current\\): 2 interfaces" "report names the current set"
hasnt "$T/cur.out" "ControlSet001" "report does not touch ControlSet001"
# The old set is still stale, which check --all-controlsets sees.
expect_rc 0 "check (current set) after the scrub" vh check --profile lease "$hive"
expect_rc 1 "check --all-controlsets after a current-only scrub" vh check --profile lease --all-controlsets "$hive"
hasnt "$T/out" "stale ControlSet002" "only ControlSet001 is stale"
has "$T/out" "stale ControlSet001\\\\" "ControlSet001 is stale"

# --all-controlsets: both sets change.
hive=$(fixture cs2-current "$T/all/cs2.hive")
expect_rc 0 "scrub --all-controlsets on cs2-current" vh scrub --profile lease --all-controlsets "$hive"
cp "$T/out" "$T/all.out"
verify_scrub "$orig" "$hive" --profile lease --all-controlsets
n1=0 n2=0
for p in "${EXPECTED[@]}"; do
        case $p in ControlSet001\\*) n1=$((n1 + 1)) ;; ControlSet002\\*) n2=$((n2 + 1)) ;; esac
done
[ "$n1" -gt 0 ] && [ "$n2" -gt 0 ] && ok || fail "--all-controlsets: $n1 in 001, $n2 in 002"
has "$T/all.out" "ControlSet001: 1 interfaces" "report lists ControlSet001 (not current)"
has "$T/all.out" "ControlSet002 \\(current\\): 2 interfaces" "report lists ControlSet002 (current)"
expect_rc 0 "check --all-controlsets after scrub --all-controlsets" vh check --profile lease --all-controlsets "$hive"

# Mixed-case names (controlset001, SELECT\current) resolve the same way.
hive=$(fixture mixed-case "$T/mixed/mixed.hive")
expect_rc 0 "scrub --all-controlsets on mixed-case" vh scrub --all-controlsets "$hive"
verify_scrub "$FIXTURES/mixed-case.hive" "$hive" --all-controlsets
has "$T/out" "controlset001 \\(current\\): 2 interfaces" "mixed-case set found, spelt as in the hive"

finish
