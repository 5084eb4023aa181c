#!/bin/bash
# check: exit 1 on stale values, 0 when all are blank or absent, 2 on
# failure; never writes; several targets give the worst status.
. "$(dirname "$0")/lib.sh"

stale=$(fixture one-iface)
blank=$(fixture already-blank)
absent=$(fixture values-absent)
bad=$(fixture no-select)
for f in "$stale" "$blank" "$absent" "$bad"; do cp "$f" "$f.orig"; done

expect_rc 1 "check on a hive with stale values" vh check "$stale"
mapfile -t want < <(expected_paths "$stale")
eq "$(count_lines "$T/out" ': stale .* = ')" "${#want[@]}" "check: one stale line per value"
has "$T/out" ": stale ControlSet001\\\\Services\\\\Tcpip\\\\Parameters\\\\Interfaces\\\\\\{4D36E972-E325-11CE-BFC1-08002BE10318\\}\\\\DhcpIPAddress = \"10.20.0.57\" \\(REG_SZ\\)" \
        "check names the stale DhcpIPAddress with its value and type"
has "$T/out" ": ${#want[@]} stale, .*stale values found$" "check summary"

expect_rc 0 "check on a hive whose values are all blank" vh check --profile lease "$blank"
has "$T/out" ": 0 stale, [0-9]+ already blank, .*clean$" "check says clean"
hasnt "$T/out" ": stale .* = " "no stale line on a clean hive"

expect_rc 1 "check on values-absent (one value present)" vh check "$absent"
eq "$(count_lines "$T/out" ': stale .* = ')" 1 "values-absent: exactly one stale value"

expect_rc 2 "check on a hive without Select" vh check "$bad"
has "$T/err" "^vhive: .*no-select.hive: .*Select" "check says Select is missing"

# Several targets: the worst status.
expect_rc 0 "check clean clean" vh check "$blank" "$blank"
expect_rc 1 "check clean stale" vh check "$blank" "$stale"
expect_rc 2 "check stale bad clean" vh check "$stale" "$bad" "$blank"
has "$T/out" "one-iface.hive: .*stale values found" "the stale target is still reported"
has "$T/out" "already-blank.hive: .*clean" "the clean target is still reported"

for f in "$stale" "$blank" "$absent" "$bad"; do
        same "$f.orig" "$f" "check never writes ($(basename "$f"))"
done
no_temp_left "$T" "check"

finish
