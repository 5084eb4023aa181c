#!/bin/bash
# --json: one valid JSON document with per-value name/type/action/old,
# totals, written; the same exit status.
. "$(dirname "$0")/lib.sh"

# jq-free: the checks are small python programs over the document.
pycheck() {
        local what=$1
        shift
        if "$PYTHON" - "$@" 2>"$T/py.err"; then ok; else fail "$what"; sed 's/^/    /' "$T/py.err" >&2; fi
}

hive=$(fixture one-iface)
cp "$hive" "$T/one.orig"
expect_rc 0 "scrub --json" vh scrub --json "$hive"
cp "$T/out" "$T/scrub.json"
"$PYTHON" -m json.tool "$T/scrub.json" >/dev/null 2>&1 && ok || fail "scrub --json is not valid JSON"
verify_scrub "$T/one.orig" "$hive"
printf '%s\n' "${EXPECTED[@]}" >"$T/expected.list"
pycheck "scrub --json: document content" "$T/scrub.json" "$hive" "$T/expected.list" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
want = [l.strip() for l in open(sys.argv[3]) if l.strip()]
assert doc["command"] == "scrub", doc["command"]
assert doc["profile"] == "seed"
assert doc["dry_run"] is False
assert doc["exit_code"] == 0
assert len(doc["targets"]) == 1
t = doc["targets"][0]
assert t["path"] == sys.argv[2], t["path"]
assert t["written"] is True
assert len(t["controlsets"]) == 1
cs = t["controlsets"][0]
assert cs["name"] == "ControlSet001" and cs["current"] is True
actions = {}
blanked = []
for it in [cs["parameters"]] + cs["interfaces"]:
    for v in it["values"]:
        for k in ("name", "type", "action", "old"):
            assert k in v, (k, v)
        actions[v["action"]] = actions.get(v["action"], 0) + 1
        if v["action"] == "blanked":
            key = "Parameters" if it is cs["parameters"] else "Interfaces\\" + it["key"]
            blanked.append("ControlSet001\\Services\\Tcpip\\Parameters\\" + key + "\\" + v["name"]
                           if key != "Parameters" else
                           "ControlSet001\\Services\\Tcpip\\Parameters\\" + v["name"])
        if v["action"] == "absent":
            assert v["type"] is None and v["old"] is None, v
        else:
            assert v["type"].startswith("REG_") and isinstance(v["old"], str), v
assert sorted(blanked) == sorted(want), (sorted(blanked), sorted(want))
for a in ("blanked", "already-blank", "absent", "kept"):
    assert t["totals"][a] == actions.get(a, 0), (a, t["totals"], actions)
ifs = {i["key"]: i for i in cs["interfaces"]}
v = {x["name"]: x for x in ifs["{4D36E972-E325-11CE-BFC1-08002BE10318}"]["values"]}
assert v["DhcpIPAddress"] == {"name": "DhcpIPAddress", "type": "REG_SZ", "action": "blanked",
                              "old": "10.20.0.57", "rule": "seed.interfaces"}, v["DhcpIPAddress"]
assert v["DhcpDefaultGateway"]["type"] == "REG_MULTI_SZ"
assert v["Domain"]["action"] == "already-blank"
PY

# check --json: exit 1, nothing written.
hive=$(fixture lease-all-types)
cp "$hive" "$T/lease.orig"
expect_rc 1 "check --json on stale values" vh check --json --profile lease "$hive"
same "$T/lease.orig" "$hive" "check --json writes nothing"
pycheck "check --json: document content" "$T/out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
assert doc["command"] == "check" and doc["dry_run"] is True and doc["exit_code"] == 1
t = doc["targets"][0]
assert t["written"] is False
assert t["totals"]["blanked"] > 0
ifs = {i["key"]: i for i in t["controlsets"][0]["interfaces"]}
v = {x["name"]: x for x in ifs["{7A1C3B2E-9F10-4C55-8D21-5E0B6A7F3C11}"]["values"]}
assert v["DhcpDomain"]["old"] == "b\u00fcro.example.de", v["DhcpDomain"]
assert v["Lease"]["type"] == "REG_DWORD" and v["Lease"]["old"] == "86400", v["Lease"]
assert v["DhcpInterfaceOptions"]["type"] == "REG_BINARY"
assert v["DhcpInterfaceOptions"]["old"].startswith("01,00,00,00"), v["DhcpInterfaceOptions"]
v = {x["name"]: x for x in ifs["{4D36E972-E325-11CE-BFC1-08002BE10318}"]["values"]}
assert v["DhcpSubnetMaskOpt"]["old"] == "255.255.255.0, 255.255.0.0", v["DhcpSubnetMaskOpt"]
PY

# scrub -n --json: written false, bytes identical.
expect_rc 0 "scrub -n --json" vh scrub -n --json --keep-static "$(fixture static)"
same "$FIXTURES/static.hive" "$T/static.hive" "dry run --json writes nothing"
pycheck "scrub -n --json --keep-static: kept and static" "$T/out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["dry_run"] is True and doc["exit_code"] == 0
t = doc["targets"][0]
assert t["written"] is False
ifs = {i["key"]: i for i in t["controlsets"][0]["interfaces"]}
st = ifs["{B5E0C2D4-1A2B-4C3D-9E8F-0A1B2C3D4E5F}"]
assert st["static"] is True
assert ifs["{4D36E972-E325-11CE-BFC1-08002BE10318}"]["static"] is False
v = {x["name"]: x for x in st["values"]}
assert v["NameServer"]["action"] == "kept" and v["Domain"]["action"] == "kept", v
assert t["totals"]["kept"] == 2
PY

# A failing target appears in the document; the status is the worst.
good=$(fixture multi-iface)
cp "$good" "$T/multi.orig"
bad=$(fixture bad-current)
cp "$bad" "$T/bad.orig"
expect_rc 2 "scrub --json with a bad target" vh scrub --json "$bad" "$good"
same "$T/bad.orig" "$bad" "the bad target is untouched"
verify_scrub "$T/multi.orig" "$good"
pycheck "scrub --json with a bad target: document" "$T/out" "$bad" "$good" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["exit_code"] == 2
b, g = doc["targets"]
assert b["path"] == sys.argv[2] and g["path"] == sys.argv[3]
assert b["ok"] is False and b["written"] is False
msg = json.dumps(b)
assert "ControlSet003" in msg, b
assert g["ok"] is True and g["written"] is True and g["totals"]["blanked"] > 0
PY

# A target whose name is not UTF-8 (pvs-\xe9t\xe9, Latin-1) next to a good
# one: both are in the document; "path" has U+FFFD, "path_bytes" the exact
# name, percent-encoded (every byte that is not UTF-8, and every %).
mkdir -p "$T/latin1"
stale=$(fixture one-iface "$T/latin1/$(printf 'pvs-\351t\351%%.hive')")
good=$(fixture already-blank "$T/latin1/good.hive")
expect_rc 1 "check --json with a Latin-1 target name" vh check --json "$stale" "$good"
pycheck "check --json: the Latin-1 target is in the document" "$T/out" "$T/latin1" <<'PY'
import json, os, sys, urllib.parse
doc = json.load(open(sys.argv[1]))
assert doc["exit_code"] == 1, doc["exit_code"]
s, g = doc["targets"]
want = os.fsencode(sys.argv[2]) + b"/pvs-\xe9t\xe9%.hive"
assert s["path"] == sys.argv[2] + "/pvs-\ufffdt\ufffd%.hive", s["path"]
assert urllib.parse.unquote_to_bytes(s["path_bytes"]) == want, s["path_bytes"]
assert s["ok"] is True and s["totals"]["blanked"] > 0, s
assert g["path"] == sys.argv[2] + "/good.hive" and "path_bytes" not in g, g
assert g["ok"] is True and g["totals"]["blanked"] == 0, g
PY
# A failing target keeps its object too.
expect_rc 2 "info --json on a missing Latin-1 name" vh info --json "$T/latin1/$(printf 'gone-\351')" "$good"
pycheck "info --json: the missing Latin-1 target is in the document" "$T/out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["exit_code"] == 2
m, g = doc["targets"]
assert m["ok"] is False and m["path"].endswith("gone-\ufffd"), m
assert m["path_bytes"].endswith("gone-%E9") and m["error"], m
assert g["ok"] is True
PY

finish
