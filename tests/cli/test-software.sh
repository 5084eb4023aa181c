#!/bin/bash
# Rule packs on a SOFTWARE hive file (software-min.reg, with the test pack
# software-min.rules given by --rules or found in $VHIVE_RULES_DIR): blank,
# delete and detect; check's exit status 0/1/2; --skip; PACK.RULE; a hive
# that is neither SYSTEM nor SOFTWARE; a SYSTEM hive no rule applies to.
# reglookup and hivexregedit read the results.
. "$(dirname "$0")/lib.sh"

command -v hivexregedit >/dev/null || skip "hivexregedit is not installed"
PACK=$FIXTURES_SRC/software-min.rules
P=software-min
h=$(fixture software-min)
cp "$h" "$T/orig.hive"

# Every rule's match, before anything is written.
expect_rc 1 "check --rules: stale, deleted and detected values" vh check --rules "$PACK" "$h"
has "$T/out" "stale Microsoft.Windows.CurrentVersion.WindowsUpdate.SusClientId = \"3f1c2a9e" \
        "SusClientId is stale"
has "$T/out" "stale Wow6432Node.Network Associates.ePolicy Orchestrator.Agent.AgentGUID" \
        "the Wow6432Node twin is visited"
has "$T/out" "stale Microsoft.SQMClient.MachineId" "the blank rule's value is stale"
has "$T/out" "detected Microsoft.Cryptography.MachineGuid = \"0f8e7d6c" "MachineGuid detected"
has "$T/out" "detected key Microsoft.SystemCertificates.SMS.Certificates.1A2B3C4D5E6F" \
        "a detect rule without values matches the key"
has "$T/out" "$P.guid: the image carries a MachineGuid" "the detect rule's advice is printed"
has "$T/out" "$P.agent: not handled: C:.ProgramData.Agent.agent.id" "files are reported not handled"
hasnt "$T/out" "AccountDomainSid" "a value no rule names is not reported"
has "$T/out" "1 stale, 0 already blank, 2 absent, 0 kept, 3 to delete, 2 detected" "the counts"
same "$T/orig.hive" "$h" "check writes nothing"

# JSON: the rule of each value, keys below the hive root, detected totals.
expect_rc 1 "check --json" vh check --json --rules "$PACK" "$h"
eq "$(pyjson "$T/out" '[d["targets"][0]["hive_name"], d["targets"][0]["totals"]["detected"],
        sorted(set(v["rule"] for k in d["targets"][0]["keys"] for v in k["values"]))]')" \
        '["SOFTWARE",2,["software-min.agent","software-min.guid","software-min.sms","software-min.sqm","software-min.wu"]]' \
        "JSON: hive, detected total, every rule named"
eq "$(pyjson "$T/out" '[k["path"] for k in d["targets"][0]["keys"]
        if k["path"].endswith(("WindowsUpdate", "Agent"))]')" \
        '["Microsoft\\Windows\\CurrentVersion\\WindowsUpdate","Network Associates\\ePolicy Orchestrator\\Agent","Wow6432Node\\Network Associates\\ePolicy Orchestrator\\Agent"]' \
        "JSON: key paths below the hive root (a missing key of a delete rule too)"

# scrub with one rule skipped: deletes, never writes a detect rule's value.
expect_rc 0 "scrub --skip $P.sqm" vh scrub --rules "$PACK" --skip "$P.sqm" "$h"
has "$T/out" "deleted Microsoft.Windows.CurrentVersion.WindowsUpdate.SusClientIdValidation" \
        "scrub reports the delete"
has "$T/out" "detected Microsoft.Cryptography.MachineGuid" "scrub reports the detect match"
hasnt "$T/out" "SQMClient" "the skipped rule is not reported"
reglookup -H "$h" >"$T/rl.txt" 2>/dev/null || fail "reglookup reads the scrubbed hive"
hivexregedit --export "$h" '\' >"$T/export.reg" 2>/dev/null || fail "hivexregedit exports it"
for f in "$T/rl.txt" "$T/export.reg"; do
        hasnt "$f" "SusClientId" "$(basename "$f"): SusClientId and its validation are gone"
        hasnt "$f" "AgentGUID" "$(basename "$f"): AgentGUID is gone"
        has "$f" "AccountDomainSid" "$(basename "$f"): AccountDomainSid stays"
        has "$f" "MachineGuid" "$(basename "$f"): MachineGuid (detect) stays"
        has "$f" "MachineId" "$(basename "$f"): MachineId (skipped) stays"
        has "$f" "ComputerName" "$(basename "$f"): the agent's other values stay"
done
has "$T/rl.txt" "MachineId,SZ,\\{8C7B6A59" "reglookup: MachineId keeps its data"

# check: 1 while a detect rule matches, 0 once only scrubbed rules remain.
expect_rc 1 "check after the scrub: the detect rules still match" \
        vh check --rules "$PACK" --skip "$P.sqm" "$h"
has "$T/out" "identity values detected" "the outcome names the detected identities"
expect_rc 0 "check without the detect rules" vh check --rules "$PACK" --skip "$P.sqm" \
        --skip "$P.guid" --skip "$P.sms" "$h"
expect_rc 2 "--skip of an unknown rule" vh check --rules "$PACK" --skip "$P.nope" "$h"
has "$T/err" "--skip '$P.nope'" "the unknown rule is named"

# PACK.RULE from the rules folder: only the SQM id.
TREE_RULES=$VHIVE_RULES_DIR
mkdir "$T/rules"
cp "$PACK" "$T/rules/"
export VHIVE_RULES_DIR=$T/rules
expect_rc 1 "check --profile $P.sqm" vh check --profile "$P.sqm" "$h"
has "$T/out" "1 stale, 0 already blank, 0 absent, 0 kept: stale values found" "one rule checked"
expect_rc 0 "scrub --profile $P.sqm" vh scrub --profile "$P.sqm" "$h"
expect_rc 0 "check --profile $P.sqm after" vh check --profile "$P.sqm" "$h"
reglookup -H -p /Microsoft/SQMClient "$h" >"$T/rl2.txt" 2>/dev/null
has "$T/rl2.txt" "MachineId,SZ,," "reglookup: MachineId blank, still REG_SZ"
expect_rc 0 "vhive rules --profile $P" vh rules --profile "$P"
has "$T/out" "^$P.guid: detect SOFTWARE" "vhive rules lists the rule, its action and hive"

# A SYSTEM hive with only SOFTWARE rules selected; a hive that is neither.
s=$(fixture one-iface)
cp "$s" "$T/sys.orig"
expect_rc 2 "check --profile $P on a SYSTEM hive" vh check --profile "$P" "$s"
has "$T/err" "a SYSTEM hive, and no selected rule works on SYSTEM" "the message says why"
expect_rc 2 "scrub --profile $P on a SYSTEM hive" vh scrub --profile "$P" "$s"
same "$T/sys.orig" "$s" "nothing written to the SYSTEM hive"
export VHIVE_RULES_DIR=$TREE_RULES
[ -x "${MKHIVE:-}" ] || skip "MKHIVE is not set"
"$MKHIVE" "$T/empty.hive" || die "mkhive"
cp "$T/empty.hive" "$T/empty.orig"
expect_rc 2 "check on a hive that is neither" vh check --rules "$PACK" "$T/empty.hive"
has "$T/err" "neither a SYSTEM hive .* nor a SOFTWARE hive" "the message says neither"
expect_rc 2 "scrub on a hive that is neither" vh scrub --rules "$PACK" "$T/empty.hive"
same "$T/empty.orig" "$T/empty.hive" "nothing written"
finish
