# Shared helpers of the cli suite; sourced by each test-*.sh (bash, set -u).
#
# Every test works on copies of the generated fixtures in its own temp dir,
# runs $VHIVE, and checks each write with an independent parser
# (reglookup and regfexport, through regcheck.py).  A failed assertion is
# counted and the test goes on, so one run shows every problem; `finish`
# exits 1 when anything failed.

set -u

CLI_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REGCHECK="$CLI_DIR/regcheck.py"
# skip, ok, fail, die, assert, expect_rc, finish
. "$CLI_DIR/../lib.sh"

[ -n "${VHIVE:-}" ] && [ -x "$VHIVE" ] || skip "VHIVE is not set or not executable (run through meson test)"
if [ -z "${LIB_NO_FIXTURES:-}" ]; then
        [ -n "${FIXTURES:-}" ] && [ -d "$FIXTURES" ] ||
                skip "FIXTURES is unset: the hive fixtures need hivexregedit (libhivex-bin)"
fi
PYTHON=${PYTHON:-}
if [ -z "$PYTHON" ]; then
        if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=$(command -v python3 || true); fi
fi
[ -n "$PYTHON" ] || skip "python3 is not installed"
for tool in reglookup regfexport cmp stat; do
        command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed (reglookup, libregf-tools, python3)"
done

# Images are not this suite's business: never launch the libguestfs appliance
# (20 s a launch without KVM).  Files that are not hives fail fast here.
export VHIVE_BACKEND=direct

T=$(mktemp -d "${TMPDIR:-/tmp}/vhive-$TEST_NAME.XXXXXX")
CLEANUP_CMDS=()
cleanup() {
        local c
        for c in "${CLEANUP_CMDS[@]}"; do
                eval "$c" >/dev/null 2>&1 || true
        done
        chmod -R u+rwx "$T" 2>/dev/null
        rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP   # so that the EXIT trap unmounts and cleans up
OUT=$T/out
ERR=$T/err

note() {
        echo "# $*" >&2
}

# fixture NAME [DEST]: copies $FIXTURES/NAME.hive to DEST (default
# $T/NAME.hive) and prints the path.
fixture() {
        local src="$FIXTURES/$1.hive" dest="${2:-$T/$1.hive}"
        [ -f "$src" ] || skip "fixture $src missing"
        mkdir -p "$(dirname "$dest")"
        cp "$src" "$dest" || skip "cannot copy $src"
        chmod 644 "$dest"
        printf '%s\n' "$dest"
}

# vh ARGS...: runs vhive; stdout in $T/out, stderr in $T/err, status in $RC
# (and returned: "expect_rc N WHAT vh ARGS..." checks it).  Any sanitizer
# report is a failure by itself.
vh() {
        RC=0
        "$VHIVE" "$@" >"$T/out" 2>"$T/err" || RC=$?
        if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$T/err"; then
                fail "sanitizer report from: vhive $*"
                sed 's/^/    /' "$T/err" | head -40 >&2
        fi
        return $RC
}

# same A B WHAT: byte-identical files.
same() {
        if cmp -s "$1" "$2"; then ok; else fail "$3: $1 and $2 differ"; fi
}

differ() {
        if cmp -s "$1" "$2"; then fail "$3: $1 is unchanged"; else ok; fi
}

# has FILE REGEX WHAT / hasnt FILE REGEX WHAT (extended regex, case-insensitive)
file_matches() {
        local line
        shopt -s nocasematch
        while IFS= read -r line || [ -n "$line" ]; do
                if [[ $line =~ $2 ]]; then
                        shopt -u nocasematch
                        return 0
                fi
        done <"$1"
        shopt -u nocasematch
        return 1
}

has() {
        if file_matches "$1" "$2"; then
                ok
        else
                fail "$3: no /$2/ in $(basename "$1")"
                sed 's/^/    /' "$1" | head -20 >&2
        fi
}

hasnt() {
        if file_matches "$1" "$2"; then
                fail "$3: unexpected /$2/ in $(basename "$1")"
                grep -iE -- "$2" "$1" | head -5 | sed 's/^/    /' >&2
        else
                ok
        fi
}

# eq GOT WANT WHAT
eq() {
        if [ "$1" = "$2" ]; then ok; else fail "$3: got '$1', want '$2'"; fi
}

# expected_paths HIVE [regcheck expect options]: the oracle's list.
expected_paths() {
        "$PYTHON" "$REGCHECK" expect "$@"
}

# verify_only BEFORE AFTER PATH...: AFTER is BEFORE with exactly these
# values blanked (types kept), per reglookup and regfexport, clean header.
verify_only() {
        local before=$1 after=$2
        shift 2
        if "$PYTHON" "$REGCHECK" verify "$before" "$after" "$@" 2>"$T/verify.err"; then
                ok
        else
                fail "independent parsers: $after is not $before with exactly $# values blanked"
                sed 's/^/    /' "$T/verify.err" | head -60 >&2
        fi
}

# verify_scrub BEFORE AFTER [expect options, --reglookup-only]: the oracle's values, and
# nothing else, are blank in AFTER.  Sets N_EXPECTED to their number and
# EXPECTED to the list (CS\\...\\NAME as spelt in the hive).
N_EXPECTED=0
EXPECTED=()
verify_scrub() {
        local before=$1 after=$2
        shift 2
        N_EXPECTED=0
        EXPECTED=()
        if "$PYTHON" "$REGCHECK" scrubbed "$before" "$after" "$@" >"$T/expected" \
                2>"$T/verify.err"; then
                ok
        else
                fail "independent parsers: $after is not $before with exactly the oracle's values blanked"
                sed 's/^/    /' "$T/verify.err" | head -60 >&2
        fi
        mapfile -t EXPECTED <"$T/expected"
        N_EXPECTED=${#EXPECTED[@]}
}

# no_temp_left DIR WHAT: vhive's temp files (.NAME.vhive-XXXXXX) are gone.
no_temp_left() {
        if ls -A "$1" | grep -q '\.vhive-'; then
                fail "$2: temp file left in $1: $(ls -A "$1" | grep '\.vhive-' | tr '\n' ' ')"
        else
                ok
        fi
}

# pyjson FILE EXPR: EXPR (Python, the document as d) as compact JSON, so
# the cli suite needs no jq: pyjson out '[t["ok"] for t in d["targets"]]'.
pyjson() {
        "$PYTHON" -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(json.dumps(eval(sys.argv[2]), separators=(",", ":"), ensure_ascii=False))' "$1" "$2"
}

# count_lines FILE REGEX
count_lines() {
        grep -cE -- "$2" "$1" || true
}
