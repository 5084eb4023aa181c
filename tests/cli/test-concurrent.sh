#!/bin/bash
# Two writers on one hive file at once (issue 18 item 5): each `vhive set`
# holds the hive locked from its read to its rename, so the second waits
# and edits the first one's result.  Before the lock, one change was lost
# in most pairs.  A reader runs alongside and sees a whole hive.
. "$(dirname "$0")/lib.sh"

key='ControlSet001\Services\Tcpip\Parameters'
hive=$(fixture one-iface "$T/SYSTEM")
pairs=${VHIVE_CONCURRENT_PAIRS:-20}
lost=0
for i in $(seq 1 "$pairs"); do
        cp "$FIXTURES/one-iface.hive" "$hive"
        "$VHIVE" set "$hive" "$key" ValueA "string:a$i" >"$T/a.out" 2>"$T/a.err" & a=$!
        "$VHIVE" set "$hive" "$key" ValueB "string:b$i" >"$T/b.out" 2>"$T/b.err" & b=$!
        "$VHIVE" get "$hive" "$key" Hostname >"$T/c.out" 2>"$T/c.err" & c=$!
        ra=0 rb=0 rc=0
        wait $a || ra=$?
        wait $b || rb=$?
        wait $c || rc=$?
        if [ $ra -ne 0 ] || [ $rb -ne 0 ] || [ $rc -ne 0 ]; then
                fail "pair $i: exit $ra / $rb / reader $rc"
                cat "$T/a.err" "$T/b.err" "$T/c.err" >&2
                continue
        fi
        if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$T/a.err" "$T/b.err" "$T/c.err"; then
                fail "pair $i: sanitizer report"
        fi
        got_a=$(reglookup -p "/ControlSet001/Services/Tcpip/Parameters/ValueA" "$hive" 2>/dev/null |
                grep -c ",SZ,a$i,")
        got_b=$(reglookup -p "/ControlSet001/Services/Tcpip/Parameters/ValueB" "$hive" 2>/dev/null |
                grep -c ",SZ,b$i,")
        if [ "$got_a" = 1 ] && [ "$got_b" = 1 ]; then
                ok
        else
                lost=$((lost + 1))
                fail "pair $i: a change was lost (ValueA found $got_a, ValueB found $got_b)"
        fi
done
note "$lost of $pairs pairs lost a change"

# Another holder of the lock (flock(1) plays it): fd 9 is the lock, held
# until the sleep it becomes is killed.
hold() { # shared|exclusive
        if [ "$1" = shared ]; then how=-s; else how=-x; fi
        ( exec 9<"$hive" && flock $how 9 && exec sleep 60 ) &
        holder=$!
        CLEANUP_CMDS+=("kill $holder")
        sleep 0.2
}

# A reader shares the lock with another reader.
cp "$FIXTURES/one-iface.hive" "$hive"
hold shared
expect_rc 0 "get while another reader holds the hive" timeout 20 "$VHIVE" get "$hive" "$key" Hostname
# A writer waits for a reader, and a signal stops the wait: nothing written.
"$VHIVE" set "$hive" "$key" ValueA string:waited >"$T/a.out" 2>"$T/a.err" & a=$!
sleep 2
if kill -0 $a 2>/dev/null; then ok; else fail "set did not wait for the shared lock"; fi
same "$FIXTURES/one-iface.hive" "$hive" "nothing written while waiting"
kill -TERM $a
ra=0
wait $a || ra=$?
eq "$ra" 143 "SIGTERM stops a waiting set (128 + 15)"
grep -q "interrupted by SIGTERM before locking the hive: nothing written" "$T/a.err" && ok ||
        fail "no message for a stopped wait: $(cat "$T/a.err")"
same "$FIXTURES/one-iface.hive" "$hive" "nothing written after the stopped wait"
# The holder goes: the waiting writer writes.
"$VHIVE" set "$hive" "$key" ValueA string:waited >"$T/a.out" 2>"$T/a.err" & a=$!
sleep 1
kill $holder
ra=0
wait $a || ra=$?
eq "$ra" 0 "set goes on once the holder is gone"
reglookup -p /ControlSet001/Services/Tcpip/Parameters/ValueA "$hive" 2>/dev/null |
        grep -q ",SZ,waited," && ok || fail "the waiting set's change is missing"
# A reader waits for a writer.
hold exclusive
"$VHIVE" get "$hive" "$key" Hostname >"$T/c.out" 2>"$T/c.err" & c=$!
sleep 2
if kill -0 $c 2>/dev/null; then ok; else fail "get did not wait for the exclusive lock"; fi
kill $holder
rc=0
wait $c || rc=$?
eq "$rc" 0 "get goes on once the writer is gone"
no_temp_left "$T" "concurrent writers"
finish
