#!/bin/bash
# A signal before the work starts: vhive waits on its --from list (a FIFO),
# gets SIGTERM, SIGINT or SIGHUP, then the list: every target reports
# "interrupted ... nothing written" (in the JSON document too, which is
# still printed whole), the hive is unchanged, and the exit status is 128 +
# the signal.  The FIFO makes the timing exact: opening it for writing
# returns only once vhive has opened it, after its handlers are installed.
# A shell without job control starts background jobs with SIGINT ignored:
# env --default-signal gives vhive the SIGINT a foreground command has
# (and the SIGHUP that nohup, or a runner, may have set ignored: vhive
# keeps an ignored signal ignored), and a last run checks that the
# ignored SIGINT stays ignored (the scrub finishes, exit 0).
. "$(dirname "$0")/lib.sh"

h=$(fixture multi-iface "$T/h/SYSTEM")
cp "$h" "$T/orig"
mkfifo "$T/list"

# signalled SIG [env args]: vhive scrub waiting on the list gets SIG; $rc.
signalled() {
        local name=$1
        shift
        cp "$T/orig" "$h"
        env "$@" "$VHIVE" scrub --json --from "$T/list" >"$T/out" 2>"$T/err" &
        pid=$!
        exec 3>"$T/list"
        kill -s "$name" "$pid"
        echo "$h" >&3
        exec 3>&-
        rc=0
        wait "$pid" || rc=$?
}

for s in "15 TERM" "2 INT" "1 HUP"; do
        n=${s% *} name=${s#* }
        signalled "$name" --default-signal=INT,HUP
        [ "$rc" -eq $((128 + n)) ] && ok "SIG$name: exit $rc" ||
                fail "SIG$name: exit $rc, want $((128 + n)): $(cat "$T/err")"
        grep -qx "vhive: interrupted by SIG$name" "$T/err" && ok ||
                fail "SIG$name: stderr: $(cat "$T/err")"
        err=$("$PYTHON" -c 'import json, sys
t = json.load(open(sys.argv[1]))["targets"][0]
print(t["ok"], t["error"])' "$T/out") || fail "SIG$name: no JSON document"
        [ "$err" = "False interrupted by SIG$name before starting: nothing written" ] && ok ||
                fail "SIG$name: JSON: $err"
        cmp -s "$h" "$T/orig" && ok || fail "SIG$name: the hive changed"
done

signalled INT
[ "$rc" -eq 0 ] && ok "an ignored SIGINT stays ignored" || fail "ignored SIGINT: exit $rc"
cmp -s "$h" "$T/orig" && fail "ignored SIGINT: the scrub did not run" || ok
finish
