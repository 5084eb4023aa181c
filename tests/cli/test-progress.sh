#!/bin/bash
# Progress: on a terminal (script(1) gives vhive a pseudo-terminal) the
# steps appear on stderr on one redrawn line that is cleared at the end;
# with pipes a successful run of every command prints nothing on stderr;
# --no-progress silences the terminal, --progress forces a pipe; stdout
# (a JSON document) never carries any of it.
. "$(dirname "$0")/lib.sh"

command -v script >/dev/null 2>&1 || skip "script (util-linux) is not installed"

ESC=$(printf '\033')
CR=$(printf '\r')

# on_tty OUT CMD: runs CMD (a shell command line) on a pseudo-terminal;
# everything it wrote to the terminal ends in OUT.
on_tty() {
        local out=$1
        shift
        RC=0
        script -qec "$*" /dev/null </dev/null >"$out" 2>&1 || RC=$?
}

hive=$(fixture one-iface "$T/SYSTEM")

# A terminal: every step of the job, on one line redrawn with CR and
# erase-line, cleared before the report.
on_tty "$T/tty" "'$VHIVE' scrub '$hive'"
eq "$RC" 0 "scrub on a terminal"
for step in "opening the hive" "scrubbing" "writing the hive"; do
        has "$T/tty" "${CR}${ESC}\\[Kvhive: SYSTEM: ${step}" "progress step '$step' on the terminal"
done
# The last sequence clears the line, and the whole report follows it.
tty=$(<"$T/tty")
printf '%s\n' "${tty##*"${ESC}[K"}" >"$T/after"
has "$T/after" "^${T}/SYSTEM: blank " "the line is cleared, then the report"
has "$T/after" "written" "the report follows the progress"
hasnt "$T/after" "vhive: " "no progress after the report begins"
hasnt "$T/tty" "AddressSanitizer|runtime error" "no sanitizer report"

# --no-progress: nothing of it on the terminal.
cp "$FIXTURES/one-iface.hive" "$hive"
on_tty "$T/tty" "'$VHIVE' scrub --no-progress '$hive'"
eq "$RC" 0 "scrub --no-progress on a terminal"
hasnt "$T/tty" "${ESC}\\[K" "--no-progress draws nothing"

# --json on a terminal: progress on the terminal, the document alone on
# stdout (here a file), and it parses.
cp "$FIXTURES/one-iface.hive" "$hive"
on_tty "$T/tty" "'$VHIVE' check --json '$hive' >'$T/doc.json'"
eq "$RC" 1 "check --json on a terminal"
has "$T/tty" "vhive: SYSTEM: checking" "progress with --json on a terminal"
if "$PYTHON" -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["command"] == "check"' \
        "$T/doc.json" 2>"$T/py.err"; then ok; else fail "check --json on a terminal: bad JSON"; fi
hasnt "$T/doc.json" "${ESC}|${CR}" "no progress in the JSON document"

# A target name with control characters (a hostile store listing) is
# escaped on the progress line, never sent to the terminal as it is.
odd="$T/x${ESC}[31mred"
cp "$FIXTURES/one-iface.hive" "$odd"
printf '%s\n' "$odd" >"$T/oddlist"
on_tty "$T/tty" "'$VHIVE' check --from '$T/oddlist' >/dev/null"
eq "$RC" 1 "check of a name with an escape sequence"
has "$T/tty" 'vhive: x\\x1b\[31mred: checking' "the name is escaped on the progress line"
hasnt "$T/tty" "${ESC}\\[31m" "no raw escape sequence from the name"

# Pipes: a successful run of every command says nothing on stderr.
empty_stderr() { # WANT WHAT ARGS...
        local want=$1 what=$2
        shift 2
        expect_rc "$want" "$what" vh "$@"
        if [ -s "$T/err" ]; then
                fail "$what: stderr is not empty on a pipe"
                sed 's/^/    /' "$T/err" | head -5 >&2
        else
                ok
        fi
}
cp "$FIXTURES/lease-all-types.hive" "$hive"
printf 'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\Select]\r\n"Extra"=dword:00000002\r\n' >"$T/x.reg"
empty_stderr 1 "check" check "$hive"
empty_stderr 0 "info" info "$hive"
empty_stderr 0 "ls" ls "$hive" Select
empty_stderr 0 "get" get "$hive" Select Current
empty_stderr 0 "export" export "$hive" Select
empty_stderr 0 "set" set "$hive" Select Extra dword:1
empty_stderr 0 "merge" merge "$hive" "$T/x.reg"
empty_stderr 0 "delete" delete "$hive" Select Extra
empty_stderr 0 "scrub" scrub "$hive"
empty_stderr 0 "scrub --json" scrub --json "$hive"

# --progress forces it onto a pipe; stdout stays a clean document.
cp "$FIXTURES/lease-all-types.hive" "$hive"
expect_rc 0 "ls --json --progress on a pipe" vh ls --json --progress "$hive" Select
has "$T/err" "vhive: SYSTEM: listing" "--progress draws on a pipe"
hasnt "$T/out" "${ESC}" "no progress on stdout"
"$PYTHON" -m json.tool "$T/out" >/dev/null 2>&1 && ok || fail "ls --json --progress: bad JSON"
finish
