# tests/lib.sh: sourced by every shell test of every suite (bash).  One
# meaning for each helper:
#
#   skip WHY               the test cannot run here: "SKIP: WHY" on stderr, exit 77
#   ok [WHAT]              one check passed ("ok: WHAT" on stdout when given)
#   fail WHAT              one check failed: "FAIL: WHAT" on stderr; counted, the test
#                          goes on so that one run shows every problem
#   die WHY                the test cannot go on: "FAIL: WHY" on stderr, exit 1
#   assert CMD...          ok when CMD succeeds, else fail naming CMD
#   expect_rc WANT WHAT CMD...
#                          runs CMD with stdout in $OUT and stderr in $ERR (default
#                          ./out and ./err), sets RC; ok when RC is WANT, else fail
#                          showing both.  A sanitizer report in $ERR fails too.
#   finish                 exit 1 when any check failed, else 0 (call it last)

TEST_NAME=${TEST_NAME:-$(basename "$0" .sh)}
# Every test uses the source tree's rule packs, never installed ones.
VHIVE_RULES_DIR=${VHIVE_RULES_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../rules" && pwd)}
export VHIVE_RULES_DIR
FAILURES=0
CHECKS=0
RC=0

skip() {
        echo "SKIP: $TEST_NAME: $*" >&2
        exit 77
}

ok() {
        CHECKS=$((CHECKS + 1))
        if [ $# -gt 0 ]; then echo "ok: $*"; fi
        return 0
}

fail() {
        FAILURES=$((FAILURES + 1))
        echo "FAIL: $*" >&2
        return 0
}

die() {
        echo "FAIL: $TEST_NAME: $*" >&2
        exit 1
}

assert() {
        if "$@"; then ok; else fail "$*"; fi
}

# The last lines of a captured stream, without libguestfs' chatter.
show_tail() {
        echo "  $1:" >&2
        grep -v '^libguestfs: \|^commandrvf\|^guestfsd' "$2" 2>/dev/null | tail -n 20 |
                sed 's/^/  | /' >&2
}

expect_rc() {
        local want=$1 what=$2
        shift 2
        RC=0
        "$@" >"${OUT:-out}" 2>"${ERR:-err}" || RC=$?
        if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "${ERR:-err}"; then
                fail "$what: sanitizer report"
                show_tail stderr "${ERR:-err}"
        elif [ "$RC" -eq "$want" ]; then
                ok
        else
                fail "$what: exit $RC, want $want"
                show_tail stdout "${OUT:-out}"
                show_tail stderr "${ERR:-err}"
        fi
}

finish() {
        if [ "$FAILURES" -gt 0 ]; then
                echo "$TEST_NAME: $FAILURES of $((CHECKS + FAILURES)) checks failed" >&2
                exit 1
        fi
        echo "$TEST_NAME: all $CHECKS checks passed"
        exit 0
}

# image_test_setup NAME: what a test that builds images with
# tests/fixtures/make-image.sh needs: the tools (else a skip that says
# which), the SOFTWARE fixtures, MAKE_IMAGE, and a temp folder $T, removed
# at exit, as the current folder.
image_test_setup() {
        local p
        MAKE_IMAGE=$FIXTURES_SRC/make-image.sh
        for p in mkntfs sfdisk qemu-img qemu-nbd; do
                command -v $p >/dev/null || skip "$p is not installed"
        done
        [ -n "${FIXTURES:-}" ] && [ -f "$FIXTURES/software-dirty.hive" ] ||
                skip "the SOFTWARE fixtures were not built (hivexregedit, python3)"
        T=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
        trap 'rm -rf "$T"' EXIT
        cd "$T" || die "no temp dir"
}
