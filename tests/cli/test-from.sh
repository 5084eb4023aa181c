#!/bin/bash
# --from FILE and --from -: targets one per line, each line a name exactly as
# written (only empty lines are skipped: no comments, no trimming), with the
# operands for scrub, check and info, instead of the TARGET operand for the
# editor commands; an empty or missing list is a usage error.
. "$(dirname "$0")/lib.sh"

a=$(fixture one-iface "$T/a/SYSTEM")
b=$(fixture lease-all-types "$T/b/SYSTEM")
c=$(fixture multi-iface "$T/c/SYSTEM")
d=$(fixture already-blank "$T/d/SYSTEM")

# paths DOC: the targets' paths in a JSON document, one per line.
paths() {
        "$PYTHON" -c 'import json, sys
for t in json.load(open(sys.argv[1]))["targets"]:
    print(t["path"], t["ok"])' "$1"
}

printf '\n%s\n\n%s\n%s\n\n' "$a" "$b" "$c" >"$T/list"
expect_rc 1 "check --from FILE with an operand" vh check --json --from "$T/list" "$d"
paths "$T/out" >"$T/got"
printf '%s True\n' "$d" "$a" "$b" "$c" >"$T/want"
if cmp -s "$T/got" "$T/want"; then ok; else fail "check --from: targets $(tr '\n' ' ' <"$T/got")"; fi

# stdin, and a scrub that writes every listed hive.
cp "$a" "$T/a.orig"
cp "$b" "$T/b.orig"
printf '%s\n%s\n' "$a" "$b" >"$T/two"
expect_rc 0 "scrub --from -" vh scrub --from - <"$T/two"
verify_scrub "$T/a.orig" "$a"
verify_scrub "$T/b.orig" "$b"
expect_rc 0 "check --from - after the scrub" vh check --from - <"$T/two"
has "$T/out" "^$a: .*clean" "the first listed hive is clean"
has "$T/out" "^$b: .*clean" "the second listed hive is clean"

# Editor commands: the list gives the targets, every operand is an argument.
expect_rc 0 "get --from - KEY NAME" vh get --from - Select Current <"$T/two"
printf '==> %s <==\n1\n\n==> %s <==\n1\n' "$a" "$b" >"$T/want"
if cmp -s "$T/out" "$T/want"; then ok; else fail "get --from -: output"; cat "$T/out" >&2; fi
printf '%s\n' "$a" "$c" >"$T/ac"
expect_rc 0 "set --from - on two hives" vh set --json --from - 'Software\Batch' Tag string:x <"$T/ac"
"$PYTHON" -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert [t["written"] for t in d["targets"]] == [True, True], d' "$T/out" && ok ||
        fail "set --from -: both written"
for h in "$a" "$c"; do
        expect_rc 0 "get the value set through --from" vh get "$h" 'Software\Batch' Tag
        eq "$(cat "$T/out")" x "the value in $h"
done
expect_rc 0 "export --json --from FILE" vh export --json --from "$T/two" Select
eq "$(paths "$T/out" | wc -l)" 2 "export --json: one tree per listed target"

# A bad line is one failing target; the others still run.
printf '%s\n%s\n' "$T/missing" "$a" >"$T/bad"
expect_rc 2 "info --from with a missing file" vh info --json --from "$T/bad"
paths "$T/out" >"$T/got"
printf '%s False\n%s True\n' "$T/missing" "$a" >"$T/want"
if cmp -s "$T/got" "$T/want"; then ok; else fail "info --from: $(tr '\n' ' ' <"$T/got")"; fi

# Lines are names as written: "#old.hive" is a file, "clean.hive " (trailing
# blank) is not "clean.hive", a name with a leading blank is its own name.
mkdir -p "$T/store"
fixture one-iface "$T/store/#old.hive" >/dev/null
fixture multi-iface "$T/store/clean.hive " >/dev/null
fixture already-blank "$T/store/clean.hive" >/dev/null
printf '#old.hive\nclean.hive \nclean.hive\n' >"$T/store/list"
RC=0
(cd "$T/store" && "$VHIVE" check --json --from list) >"$T/out" 2>"$T/err" || RC=$?
eq "$RC" 1 "check --from: '#old.hive' and 'clean.hive ' are checked (stale)"
eq "$(pyjson "$T/out" '[[t["path"], t["ok"], t["totals"]["blanked"] > 0] for t in d["targets"]]')" \
        '[["#old.hive",true,true],["clean.hive ",true,true],["clean.hive",true,false]]' \
        "every line is a target, as written"
# A name that does not exist fails its target (exit 2); the others still run.
printf ' clean.hive\n#old.hive\nnone.hive\t\n' >"$T/store/list2"
RC=0
(cd "$T/store" && "$VHIVE" check --json --from - <list2) >"$T/out" 2>"$T/err" || RC=$?
eq "$RC" 2 "check --from with names that do not exist"
eq "$(pyjson "$T/out" '[[t["path"], t["ok"]] for t in d["targets"]]')" \
        '[[" clean.hive",false],["#old.hive",true],["none.hive\t",false]]' \
        "the missing names fail, the existing one is checked"
eq "$(pyjson "$T/out" 'd["targets"][1]["totals"]["blanked"] > 0')" true "#old.hive is reported stale"
# A CRLF list: the CR is part of the name, so the target fails, loudly.
printf '%s\r\n' "$a" >"$T/crlf"
expect_rc 2 "check --from a CRLF list" vh check --from "$T/crlf"
has "$T/err" "No such file" "the name with its CR does not exist"
# A NUL byte cannot be in a name: the list is refused.
printf '%s\n%s\0x\n' "$a" "$b" >"$T/nul"
expect_rc 2 "check --from a list with a NUL byte" vh check --from "$T/nul"
has "$T/err" "line 2 holds a NUL byte" "the NUL is reported with its line"

# Usage errors: an empty list, a list that cannot be read.
printf '\n\n' >"$T/empty"
expect_rc 2 "check --from an empty list" vh check --from "$T/empty"
has "$T/err" "no TARGET given \\(the --from list is empty\\)" "empty list"
expect_rc 2 "check --from a missing list" vh check --from "$T/nolist"
has "$T/err" "--from .*nolist: No such file" "missing list"
expect_rc 2 "export of two targets without --json" vh export --from "$T/two" Select
has "$T/err" "only with --json" "export of several targets"
finish
