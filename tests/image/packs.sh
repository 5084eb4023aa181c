#!/bin/bash
# The shipped rule packs on images holding SYSTEM and SOFTWARE (issue 19),
# on one backend:
#   packs.sh appliance DIRECT_TOOL   suite image (one launch per vhive run)
#   packs.sh direct DIRECT_TOOL      suite direct
# Three VHDX images made by make-image.sh from the pack fixtures:
#   a.vhdx, b.vhdx  SYSTEM = software-system.hive, SOFTWARE = software.hive,
#                   empty logs (b is a copy of a: a clone)
#   d.vhdx          the same SYSTEM, SOFTWARE = software-dirty.hive with its
#                   two logs (values only LOG1 holds)
# One check of all three (exit 1, the identity report names what a and b
# share), then one scrub with every pack: each hive is read back out of the
# image (direct-tool) and reglookup's values must differ from the fixture's
# exactly as packs.py's plan says (plan-diff.py); the dirty SOFTWARE's logged
# values are the ones deleted.  After it, the writing packs check clean
# (0) while the detect rules still match (1).
set -u
backend=${1:?usage: packs.sh appliance|direct DIRECT_TOOL}
T=$(realpath "${2:?usage: packs.sh appliance|direct DIRECT_TOOL}")
if [ "$backend" = appliance ]; then
        . "$(dirname "$0")/lib.sh" # STAMP, the accelerator, SCRATCH (the current folder)
else
        . "$(dirname "$0")/../lib.sh"
        SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/vhive-packs.XXXXXX")
        trap 'rm -rf "$SCRATCH"' EXIT
        cd "$SCRATCH" || die "no scratch folder"
fi
for prog in mkntfs jq reglookup python3 qemu-img; do
        command -v "$prog" >/dev/null || skip "$prog not installed"
done
[ -x "$T" ] || skip "direct-tool $T missing"
export VHIVE_BACKEND=$backend
FIX=${FIXTURES:-$BUILDDIR/tests/fixtures}
SRC=$(realpath "$(dirname "$0")/../fixtures")
export VHIVE_RULES_DIR=${VHIVE_RULES_DIR:-$SRC/../../rules}
CFG=/Windows/System32/config
WRITING=seed,lease,dhcpv6,wsus,sqm,shutdown,mcafee-legacy,trend,sep,sophos
DETECT=crowdstrike,mde,sccm,machineguid
ALL=$WRITING,$DETECT
: >empty

files=()
for p in ${ALL//,/ }; do files+=("$VHIVE_RULES_DIR/$p.rules"); done
python3 "$SRC/packs.py" plan "$SRC/software-system.reg:$SRC/software.reg" "${files[@]}" \
        >plan.tsv || die "packs.py plan"

image() { # OUT SOFTWARE-HIVE [LOG1 LOG2]
        "$SRC/make-image.sh" "$T" "$1" 64 "$CFG/SYSTEM=$FIX/software-system.hive" \
                "$CFG/SYSTEM.LOG1=empty" "$CFG/SYSTEM.LOG2=empty" "$CFG/SOFTWARE=$2" \
                "$CFG/SOFTWARE.LOG1=${3:-empty}" "$CFG/SOFTWARE.LOG2=${4:-empty}" >/dev/null ||
                die "make-image.sh $1"
}
image a.vhdx "$FIX/software.hive"
cp a.vhdx b.vhdx
image d.vhdx "$FIX/software-dirty.hive" "$FIX/software-dirty.hive.LOG1" \
        "$FIX/software-dirty.hive.LOG2"

rl() { # HIVE: reglookup's values, path<TAB>type<TAB>data, sorted
        reglookup -H "$1" | awk -F, '$2 != "KEY" { print $1 "\t" $2 "\t" $3 }' | sort
}
fetch() { # IMAGE NAME: the hive as the image now holds it, into got.NAME
        "$T" --ro "$1" vhdx get "$CFG/$2" "got.$2" >/dev/null || fail "$1: cannot read $2 back"
}

# ---- check: exit 1, nothing written, the clones' shared identity named ---------------
cp a.vhdx a.orig
expect_rc 1 "check of three images with every pack" \
        "$VHIVE" check --profile "$ALL" --json a.vhdx b.vhdx d.vhdx
cmp -s a.vhdx a.orig && ok "check wrote nothing" || fail "check changed a.vhdx"
# d.vhdx's logs hold a new SusClientId and MachineId: only the clones share
# them; all three share the MachineGuid.
shared() { # RULE TARGET...: the report has RULE shared by exactly those targets
        local rule=$1 want
        shift
        want=$(printf '%s\n' "$@" | jq -R . | jq -sc .)
        jq -e --arg r "$rule" --argjson w "$want" '[.shared[] | select(.rule == $r and
                ([.targets[].target] | sort) == $w)] | length == 1' out >/dev/null &&
                ok "identity report: $rule shared by $*" ||
                fail "identity report does not name $rule shared by exactly $*"
}
shared sqm.machine-id a.vhdx b.vhdx
shared wsus.sus-client-id a.vhdx b.vhdx
shared machineguid.machine-guid a.vhdx b.vhdx d.vhdx
jq -e '[.targets[] | select(.path == "a.vhdx") | .hive_reports[].hive_name] ==
        ["SYSTEM", "SOFTWARE"]' out >/dev/null && ok "JSON: a report per hive" ||
        fail "JSON: no SYSTEM and SOFTWARE reports for a.vhdx"
# The text report names both hives, and says which one was dirty.
expect_rc 1 "text check of d.vhdx" "$VHIVE" check --profile "$ALL" d.vhdx
grep -q "^d.vhdx: .* image, Windows on .*, hives .*/SYSTEM, .*/SOFTWARE$" out &&
        ok "text: both hives' paths" || fail "text: the header does not name both hives"
grep -q "^d.vhdx: SOFTWARE is dirty (sequence [0-9]*/[0-9]*): reporting the state after" out &&
        ok "text: the dirty SOFTWARE is named" || fail "text: the dirty SOFTWARE is not named"

# ---- scrub: both hives of each image, exactly as planned ------------------------------
expect_rc 0 "scrub with every pack" "$VHIVE" scrub --profile "$ALL" --json a.vhdx d.vhdx
jq -e '[.targets[].hive_reports[] | select(.written and .ok) | .name] ==
        ["SYSTEM", "SOFTWARE", "SYSTEM", "SOFTWARE"]' out >/dev/null &&
        ok "JSON: both hives of both images written" || fail "JSON: not every hive written"
jq -e '[.targets[] | select(.path == "d.vhdx") | .hive_reports[1].replayed] == [true]' out \
        >/dev/null && ok "JSON: d.vhdx's SOFTWARE replayed" || fail "JSON: no replay said for d"
rl "$FIX/software-system.hive" >sys.before
rl "$FIX/software.hive" >soft.before
fetch a.vhdx SYSTEM
fetch a.vhdx SOFTWARE
rl got.SYSTEM >sys.after
rl got.SOFTWARE >soft.after
python3 "$SRC/plan-diff.py" SYSTEM sys.before sys.after plan.tsv >diff.out &&
        ok "a.vhdx SYSTEM: reglookup sees exactly the plan" ||
        fail "a.vhdx SYSTEM differs from the plan: $(cat diff.out)"
python3 "$SRC/plan-diff.py" SOFTWARE soft.before soft.after plan.tsv >diff.out &&
        ok "a.vhdx SOFTWARE: reglookup sees exactly the plan" ||
        fail "a.vhdx SOFTWARE differs from the plan: $(cat diff.out)"
fetch d.vhdx SOFTWARE
rl got.SOFTWARE >dirty.after
for guid in D4F2A9B1-3C6E-4F08-8A57-E1B9C2D0F763 5b8e2d71-c04a-4f39-a6d2-7e1f0b9c3a84; do
        grep -qi "$guid" dirty.after && fail "d.vhdx: the logged $guid is still there" ||
                ok "d.vhdx: the logged $guid was replayed and deleted"
done
grep -q 'Microsoft/Cryptography/MachineGuid' dirty.after && ok "d.vhdx: MachineGuid kept" ||
        fail "d.vhdx: MachineGuid is gone (a detect rule wrote)"

# ---- after: writing packs clean, detect rules still match -----------------------------
expect_rc 0 "check of the writing packs after the scrub" \
        "$VHIVE" check --profile "$WRITING" a.vhdx d.vhdx
expect_rc 1 "check of the detect packs after the scrub" "$VHIVE" check --profile "$DETECT" a.vhdx
grep -q 'VDI=1' out err && ok "the CrowdStrike advice names VDI=1" || fail "no VDI=1 advice"
finish
