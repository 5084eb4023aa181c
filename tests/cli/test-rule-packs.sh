#!/bin/bash
# Every rule pack of the tree (rules/*.rules, whatever packs are added
# later) loads, and each rule has a source and, for detect, advice; vhive
# rules lists them all, in text and JSON.  A pack that does not load is an
# error naming its file and line.
LIB_NO_FIXTURES=1
. "$(dirname "$0")/lib.sh"

export VHIVE_RULES_DIR=$SRCDIR/rules
n=0
for pack in "$SRCDIR"/rules/*.rules; do
        name=$(basename "$pack" .rules)
        n=$((n + 1))
        expect_rc 0 "$name loads" vh rules --json --profile "$name"
        "$PYTHON" - "$T/out" "$name" <<'PY' 2>"$T/py.err" && ok || { fail "$name: every rule has a source (and detect advice)"; cat "$T/py.err" >&2; }
import json, sys
doc = json.load(open(sys.argv[1]))
packs = doc["packs"]
assert [p["name"] for p in packs] == [sys.argv[2]], packs
assert packs[0]["description"], "no description"
assert packs[0]["rules"], "no rule"
for r in packs[0]["rules"]:
    assert r["sources"] and all(s.strip() for s in r["sources"]), r
    assert r["hive"] in ("SYSTEM", "SOFTWARE"), r
    assert r["keys"], r
    if r["action"] == "detect":
        assert r["advice"], r
    else:
        assert r["values"], r
PY
done
[ "$n" -ge 3 ] && ok || fail "rules/ holds seed, lease and dhcpv6 at least ($n packs)"

expect_rc 0 "vhive rules --json: every pack" vh rules --json
eq "$(pyjson "$T/out" 'len(d["packs"])')" "$n" "vhive rules lists every pack of the folder"
eq "$(pyjson "$T/out" 'd["rules_dir"]')" "\"$SRCDIR/rules\"" "VHIVE_RULES_DIR is where they come from"
expect_rc 0 "vhive rules" vh rules
has "$T/out" "^seed.interfaces: blank SYSTEM" "text: rule, action, hive"
has "$T/out" "^  key +CurrentControlSet.Services.Tcpip.Parameters.Interfaces.\\*" "text: keys"
has "$T/out" "^  source +.*NETWORK_BOOT_DUPLICATE_ADDRESS" "text: sources"
has "$T/out" "^dhcpv6.duid: delete SYSTEM" "text: the dhcpv6 pack"
expect_rc 0 "vhive rules --profile seed.parameters" vh rules --profile seed.parameters
hasnt "$T/out" "seed.interfaces" "a single rule listed alone"
expect_rc 2 "vhive rules takes no operand" vh rules extra

# A broken pack: FILE:LINE, exit 2, for rules, check and scrub alike.
mkdir "$T/packs"
cp "$SRCDIR/rules/seed.rules" "$T/packs/"
printf '[x]\nhive = SYSTEM\nkey = Select\nvalues = A\naction = blank\n' >"$T/packs/nosource.rules"
export VHIVE_RULES_DIR=$T/packs
expect_rc 2 "vhive rules with a pack without a source" vh rules
has "$T/err" "nosource.rules:1: rule 'x' has no source" "the error names file and line"
expect_rc 2 "check --rules with that pack" vh check --rules "$T/packs/nosource.rules" /nonexistent
has "$T/err" "nosource.rules:1: " "check refuses it before any target"
expect_rc 2 "scrub --profile of it" vh scrub --profile nosource /nonexistent
has "$T/err" "no source" "scrub refuses it"
# A build not yet installed (the README's build/cmd/vhive) reads the packs of
# its source tree when $VHIVE_RULES_DIR is not set.
installed=$(env -u VHIVE_RULES_DIR strings "$VHIVE" | grep -m1 '/share/vhive/rules$' || true)
if [ -n "$installed" ] && [ -d "$installed" ]; then
        echo "skipped the uninstalled-build check: $installed exists"
else
        env -u VHIVE_RULES_DIR "$VHIVE" rules --json >"$T/out" 2>"$T/err" ||
                fail "vhive rules without VHIVE_RULES_DIR: $(cat "$T/err")"
        eq "$(pyjson "$T/out" 'd["rules_dir"]')" "\"$SRCDIR/rules\"" \
                "an uninstalled build reads the source tree's rules/"
        env -u VHIVE_RULES_DIR "$VHIVE" check "$FIXTURES/multi-iface.hive" >/dev/null 2>"$T/err"
        [ $? = 1 ] && ok "and check with the default seed pack works" ||
                fail "check without VHIVE_RULES_DIR: $(cat "$T/err")"
fi
finish
