#!/bin/bash
# Only the boot control sets (Select\Current, and Select\Default when it
# differs: the set the next boot loads), unless --all-controlsets.
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

# Select\Default = 2, Select\Current = 1: the next boot loads ControlSet002,
# so scrub blanks both sets and check looks at both.
src=$(fixture cs-default-differs "$T/def/orig.hive")
hive=$(fixture cs-default-differs "$T/def/cs.hive")
expect_rc 0 "scrub with Default != Current" vh scrub --profile lease "$hive"
cp "$T/out" "$T/def.out"
verify_scrub "$src" "$hive" --profile lease
n1=0 n2=0
for p in "${EXPECTED[@]}"; do
        case $p in ControlSet001\\*) n1=$((n1 + 1)) ;; ControlSet002\\*) n2=$((n2 + 1)) ;; esac
done
[ "$n1" -gt 0 ] && [ "$n2" -gt 0 ] && ok || fail "Default != Current: $n1 in 001, $n2 in 002"
has "$T/def.out" "ControlSet001 \\(current\\): 1 interfaces" "report: 001 current"
has "$T/def.out" "ControlSet002 \\(default\\): 2 interfaces" "report: 002 boots next"
expect_rc 0 "check after the scrub" vh check --profile lease "$hive"
expect_rc 0 "check --all-controlsets after the scrub" vh check --profile lease --all-controlsets "$hive"

# The lease only in ControlSet002 (Default): check is not clean.
hive=$(fixture cs-default-differs "$T/def2/cs.hive")
printf 'Windows Registry Editor Version 5.00\r\n\r\n[-HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\Tcpip]\r\n' >"$T/drop001.reg"
expect_rc 0 "merge: drop ControlSet001's Tcpip" vh merge "$hive" "$T/drop001.reg"
expect_rc 1 "check: lease in ControlSet002 (Default), none in 001 (Current)" vh check --profile lease "$hive"
has "$T/out" "stale ControlSet002\\\\" "check names ControlSet002"
vh check --json "$hive"
eq "$(pyjson "$T/out" '[[c["name"], c["current"], c["default"]] for c in d["targets"][0]["controlsets"]]')" \
        '[["ControlSet001",true,false],["ControlSet002",false,true]]' \
        "check --json: both boot sets, their roles"

# info names every role, in text and JSON.
hive=$src
expect_rc 0 "info with Default != Current" vh info "$hive"
has "$T/out" "ControlSet001 \\(current, last known good\\)$" "info: 001 current, last known good"
has "$T/out" "ControlSet002 \\(default\\)$" "info: 002 default"
expect_rc 0 "info --json" vh info --json "$hive"
eq "$(pyjson "$T/out" '[[c["number"], c["current"], c["default"], c["last_known_good"], c["failed"]] for c in d["targets"][0]["controlsets"]]')" \
        '[[1,true,false,true,false],[2,false,true,false,false]]' "info --json: roles"
hive=$(fixture cs2-current "$T/info/cs2.hive")
expect_rc 0 "info on cs2-current" vh info --json "$hive"
eq "$(pyjson "$T/out" '[[c["number"], c["current"], c["default"], c["last_known_good"]] for c in d["targets"][0]["controlsets"]]')" \
        '[[1,false,false,true],[2,true,true,false]]' "info --json: Current = Default = 2"

# CurrentControlSet in a key path is ambiguous when the two differ: refused.
hive=$(fixture cs-default-differs "$T/ccs/cs.hive")
cp "$hive" "$T/ccs.orig"
expect_rc 2 "get CurrentControlSet with Default != Current" \
        vh get "$hive" 'CurrentControlSet\Services\Tcpip\Parameters' Hostname
has "$T/err" "name ControlSet001 or ControlSet002 explicitly" "the refusal says what to write"
expect_rc 2 "set CurrentControlSet with Default != Current" \
        vh set "$hive" 'HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters' X dword:1
printf 'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters]\r\n"X"=dword:00000001\r\n' >"$T/ccs.reg"
expect_rc 2 "merge CurrentControlSet with Default != Current" vh merge "$hive" "$T/ccs.reg"
has "$T/err" "explicitly" "merge says why"
same "$T/ccs.orig" "$hive" "nothing written"
expect_rc 0 "get ControlSet002 named explicitly" \
        vh get "$hive" 'ControlSet002\Services\Tcpip\Parameters' Hostname
eq "$(cat "$T/out")" "WIN10-GOLD" "ControlSet002's Hostname"

# Select\Default naming a set the hive does not have: refused, nothing written.
hive=$(fixture cs2-current "$T/baddef/cs.hive")
expect_rc 0 "set Select\\Default to 5" vh set "$hive" Select Default dword:5
cp "$hive" "$T/baddef.orig"
expect_rc 2 "scrub with Default naming a missing set" vh scrub "$hive"
has "$T/err" "Select.Default names ControlSet005" "the message names the missing set"
same "$T/baddef.orig" "$hive" "nothing written"
expect_rc 2 "check with Default naming a missing set" vh check "$hive"

finish
