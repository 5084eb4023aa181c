#!/bin/bash
# --json of every command, with progress forced on: stdout is one JSON
# document naming the command with schema 1, the targets as check reports
# them, and each command's data checked field by field (vhive(1), JSON
# OUTPUT); the progress goes to stderr only.
. "$(dirname "$0")/lib.sh"

# pycheck WHAT FILE [ARGS]: the python program on stdin gets the parsed
# document as doc (sys.argv[1] is FILE).
pycheck() {
        local what=$1
        shift
        if "$PYTHON" -c "import json, sys
doc = json.load(open(sys.argv[1], encoding='utf-8'))
assert doc['schema'] == 1, doc['schema']
assert isinstance(doc['version'], str) and doc['version']
assert isinstance(doc['targets'], list) and isinstance(doc['exit_code'], int)
for t in doc['targets']:
    for k in ('path', 'kind', 'ok', 'written', 'changed'):
        assert k in t, (k, t)
$(cat)" "$@" 2>"$T/py.err"; then
                ok
        else
                fail "$what"
                sed 's/^/    /' "$T/py.err" >&2
        fi
}

# jv WHAT RC ARGS...: vhive --json --progress ARGS, exit RC, progress on stderr.
jv() {
        local what=$1 want=$2
        shift 2
        expect_rc "$want" "$what" vh "$1" --json --progress "${@:2}"
        grep -q 'vhive: ' "$T/err" && ok || fail "$what: no progress on stderr with --progress"
        cp "$T/out" "$T/$1.json"
}

hive=$(fixture lease-all-types "$T/SYSTEM")
cp "$hive" "$T/orig"
IF='ControlSet001\Services\Tcpip\Parameters\Interfaces'
GUID='{4D36E972-E325-11CE-BFC1-08002BE10318}'

jv "ls --json" 0 ls "$hive" "$IF\\*"
pycheck "ls --json: keys, subkeys, typed values" "$T/ls.json" "$hive" "$GUID" <<'PY'
assert doc["command"] == "ls" and doc["exit_code"] == 0
t = doc["targets"][0]
assert t["path"] == sys.argv[2] and t["kind"] == "hive" and t["ok"] is True
assert t["written"] is False and t["hive_state"]["dirty"] is False
assert t["root"] == "HKEY_LOCAL_MACHINE\\SYSTEM"
keys = {k["key"]: k for k in t["keys"]}
k = keys["ControlSet001\\Services\\Tcpip\\Parameters\\Interfaces\\" + sys.argv[3]]
assert k["subkeys"] == [], k["subkeys"]
v = {x["name"]: x for x in k["values"]}
assert v["DhcpIPAddress"] == {"name": "DhcpIPAddress", "type": "REG_SZ", "data": "10.20.0.57"}
assert v["DhcpDefaultGateway"]["data"] == ["10.20.0.1", "10.20.0.254"], v["DhcpDefaultGateway"]
assert v["EnableDHCP"] == {"name": "EnableDHCP", "type": "REG_DWORD", "data": 1}
PY
jv "ls --json of the root" 0 ls "$hive"
pycheck "ls --json: the root's subkeys" "$T/ls.json" <<'PY'
k = doc["targets"][0]["keys"][0]
assert k["key"] == "" and "Select" in k["subkeys"] and "ControlSet001" in k["subkeys"], k
PY

jv "get --json" 0 get "$hive" "$IF\\*" DhcpInterfaceOptions
pycheck "get --json: binary as hex, one entry per key" "$T/get.json" <<'PY'
assert doc["command"] == "get"
vals = doc["targets"][0]["values"]
assert len(vals) >= 1
for v in vals:
    assert v["key"].startswith("ControlSet001\\Services\\Tcpip\\Parameters\\Interfaces\\{"), v
    assert v["name"] == "DhcpInterfaceOptions" and v["type"] == "REG_BINARY", v
    assert v["data"].startswith("01000000") and set(v["data"]) <= set("0123456789abcdef"), v
PY
jv "get --json of a REG_MULTI_SZ" 0 get "$hive" "$IF\\$GUID" DhcpSubnetMaskOpt
pycheck "get --json: REG_MULTI_SZ as an array" "$T/get.json" <<'PY'
v = doc["targets"][0]["values"][0]
assert v["type"] == "REG_MULTI_SZ" and v["data"] == ["255.255.255.0", "255.255.0.0"], v
PY
jv "get --json of a missing value" 2 get "$hive" Select Nothing
pycheck "get --json: the error is in the document" "$T/get.json" <<'PY'
t = doc["targets"][0]
assert doc["exit_code"] == 2 and t["ok"] is False and "Nothing" in t["error"], t
assert "values" not in t
PY

jv "export --json" 0 export "$hive" 'ControlSet001\Services\Tcpip'
pycheck "export --json: the key tree" "$T/export.json" "$GUID" <<'PY'
assert doc["command"] == "export"
(tree,) = doc["targets"][0]["keys"]
assert tree["key"] == "ControlSet001\\Services\\Tcpip" and tree["name"] == "Tcpip", tree["key"]
def find(node, name):
    return [s for s in node["subkeys"] if s["name"] == name][0]
params = find(tree, "Parameters")
iface = find(find(params, "Interfaces"), sys.argv[2])
assert iface["key"].endswith("\\Interfaces\\" + sys.argv[2])
v = {x["name"]: x for x in iface["values"]}
assert v["Lease"] == {"name": "Lease", "type": "REG_DWORD", "data": 86400}, v["Lease"]
assert iface["subkeys"] == []
PY

jv "set --json" 0 set "$hive" 'Select' Current dword:1
pycheck "set --json: nothing changes when the value is equal" "$T/set.json" <<'PY'
t = doc["targets"][0]
assert doc["command"] == "set" and doc["dry_run"] is False
assert t["changes"] == [] and t["written"] is False and t["changed"] is False, t
PY
jv "set --json a new value" 0 set "$hive" 'Software\Vhive' Note 'multi:a,b'
pycheck "set --json: the keys and value added" "$T/set.json" <<'PY'
t = doc["targets"][0]
assert t["written"] is True and t["changed"] is True
acts = [(c["action"], c["key"], c.get("value")) for c in t["changes"]]
assert ("add-key", "Software", None) in acts and ("add-key", "Software\\Vhive", None) in acts, acts
(add,) = [c for c in t["changes"] if c["action"] == "add-value"]
assert add["value"] == "Note" and add["new"] == {"type": "REG_MULTI_SZ", "data": ["a", "b"]}, add
assert "old" not in add
PY
jv "set -n --json over a value" 0 set -n "$hive" "$IF\\$GUID" Lease qword:0x8000000000000001
pycheck "set -n --json: old and new, a big QWORD as a string" "$T/set.json" <<'PY'
t = doc["targets"][0]
assert doc["dry_run"] is True and t["written"] is False and t["changed"] is True
(c,) = t["changes"]
assert c["action"] == "set-value" and c["value"] == "Lease", c
assert c["old"] == {"type": "REG_DWORD", "data": 86400}, c["old"]
assert c["new"] == {"type": "REG_QWORD", "data": "9223372036854775809"}, c["new"]
PY

jv "delete --json" 0 delete "$hive" "$IF\\*" DhcpServer
pycheck "delete --json: every deleted value with its old data" "$T/delete.json" <<'PY'
t = doc["targets"][0]
assert doc["command"] == "delete" and t["written"] is True
assert len(t["changes"]) >= 2
for c in t["changes"]:
    assert c["action"] == "delete-value" and c["value"] == "DhcpServer", c
    assert c["old"]["type"] == "REG_SZ" and "new" not in c, c
PY
has "$T/delete.json" "\"10\.20\.0\.2\"" "delete --json names the old data"

printf 'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\Software\\Vhive]\r\n"Note"=-\r\n"N"=dword:00000007\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\Select\\*]\r\n"X"="y"\r\n' >"$T/m.reg"
jv "merge --json" 0 merge "$hive" "$T/m.reg"
pycheck "merge --json: changes with their lines, wildcard misses" "$T/merge.json" "$T/m.reg" <<'PY'
t = doc["targets"][0]
assert doc["command"] == "merge" and t["written"] is True
ch = {(c["action"], c.get("value")): c for c in t["changes"]}
d = ch[("delete-value", "Note")]
assert d["old"] == {"type": "REG_MULTI_SZ", "data": ["a", "b"]} and "new" not in d, d
a = ch[("add-value", "N")]
assert a["new"] == {"type": "REG_DWORD", "data": 7} and a["line"] == 5, a
assert a["file"] == sys.argv[2], a
(u,) = t["unmatched"]
assert u["key"].endswith("Select\\*") and u["line"] == 7, u
PY

jv "info --json" 0 info "$hive"
pycheck "info --json: schema added, fields kept" "$T/info.json" <<'PY'
t = doc["targets"][0]
assert doc["command"] == "info" and doc["exit_code"] == 0
assert [c["name"] for c in t["controlsets"]] == ["ControlSet001"]
assert len(t["logs"]["logs"]) == 2 and t["interfaces"], t
PY
jv "check --json" 1 check "$hive"
pycheck "check --json: schema added, fields kept" "$T/check.json" <<'PY'
assert doc["command"] == "check" and doc["profile"] == "seed" and doc["dry_run"] is True
assert doc["exit_code"] == 1 and doc["targets"][0]["totals"]["blanked"] > 0
PY
jv "scrub --json" 0 scrub "$hive"
pycheck "scrub --json: schema added, fields kept" "$T/scrub.json" <<'PY'
assert doc["command"] == "scrub" and doc["exit_code"] == 0
assert doc["targets"][0]["written"] is True and "controlsets" in doc["targets"][0]
PY

expect_rc 2 "get --json --raw is a usage error" vh get --json --raw "$hive" Select Current
has "$T/err" "exclude each other" "--json --raw"
finish
