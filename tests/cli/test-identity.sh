#!/bin/bash
# check's identity report over several targets: the values of delete and
# detect rules that two or more targets share (text and --json "shared"),
# each target once however many control sets hold the value, blanks (a
# scrubbed clone) never, the exit status unchanged.
. "$(dirname "$0")/lib.sh"

a=$(fixture dhcpv6 "$T/a.hive")
b=$(fixture dhcpv6 "$T/b.hive")
c=$(fixture one-iface "$T/c.hive")
d=$(fixture static "$T/d.hive")
DUID3='00,01,00,01,2c,5e,3a,10,00,15,5d,01,02,03'
DUID4='00,01,00,01,2c,5e,3a,10,00,15,5d,01,02,04'

expect_rc 1 "check --profile dhcpv6 over four hives" \
        vh check --profile dhcpv6 --all-controlsets "$a" "$b" "$c" "$d"
has "$T/out" "^shared: dhcpv6\\.duid Dhcpv6DUID = \"$DUID3\" \\(REG_BINARY\\) in 3 targets: $a, $b, $c\$" \
        "the DUID of a, b and c (a and b hold it in ControlSet001)"
has "$T/out" "^shared: dhcpv6\\.duid Dhcpv6DUID = \"$DUID4\" \\(REG_BINARY\\) in 2 targets: $a, $b\$" \
        "ControlSet002's DUID of a and b"
has "$T/out" "^identity: 2 values shared between 3 targets\$" "the summary"
[ "$(tail -1 "$T/out")" = "identity: 2 values shared between 3 targets" ] && ok ||
        fail "the summary is the last line"

expect_rc 1 "--json" vh check --json --profile dhcpv6 --all-controlsets "$a" "$b" "$c" "$d"
python3 - "$T/out" "$a" "$b" "$c" <<'PY' && ok || fail "--json: shared"
import json, sys
doc = json.load(open(sys.argv[1]))
a, b, c = sys.argv[2:5]
key1 = "ControlSet001\\Services\\Tcpip6\\Parameters"
key2 = "ControlSet002\\Services\\Tcpip6\\Parameters"
want = [
    {"rule": "dhcpv6.duid", "hive": "SYSTEM", "name": "Dhcpv6DUID", "type": "REG_BINARY",
     "data": "00,01,00,01,2c,5e,3a,10,00,15,5d,01,02,03",
     "targets": [{"target": a, "index": 0, "key": key1}, {"target": b, "index": 1, "key": key1},
                 {"target": c, "index": 2, "key": key1}]},
    {"rule": "dhcpv6.duid", "hive": "SYSTEM", "name": "Dhcpv6DUID", "type": "REG_BINARY",
     "data": "00,01,00,01,2c,5e,3a,10,00,15,5d,01,02,04",
     "targets": [{"target": a, "index": 0, "key": key2}, {"target": b, "index": 1, "key": key2}]},
]
assert doc["shared"] == want, json.dumps(doc["shared"], indent=1)
assert doc["exit_code"] == 1
PY

# Without --all-controlsets only the boot set's DUID is read.
expect_rc 1 "boot control sets only" vh check --profile dhcpv6 "$a" "$b"
has "$T/out" "^identity: 1 value shared between 2 targets\$" "one DUID shared"

# One target, or no delete/detect rule selected: no report.
expect_rc 1 "one target" vh check --profile dhcpv6 "$a"
hasnt "$T/out" "^(shared|identity):" "no report for one target"
expect_rc 1 "seed only" vh check "$a" "$b"
hasnt "$T/out" "^(shared|identity):" "no report without delete or detect rules"
expect_rc 1 "seed only, --json" vh check --json "$a" "$b"
python3 -c 'import json, sys; assert "shared" not in json.load(open(sys.argv[1]))' "$T/out" &&
        ok || fail "--json: no shared without delete or detect rules"

# Scrubbed clones share nothing; the exit status is check's own.
expect_rc 0 "scrub a" vh scrub --profile seed,dhcpv6 --all-controlsets "$a"
expect_rc 0 "scrub b" vh scrub --profile seed,dhcpv6 --all-controlsets "$b"
expect_rc 0 "check the scrubbed pair" vh check --profile seed,dhcpv6 --all-controlsets "$a" "$b"
has "$T/out" "^identity: no value shared between targets\$" "nothing shared after the scrub"
expect_rc 1 "scrubbed pair and c" vh check --profile dhcpv6 "$a" "$b" "$c"
has "$T/out" "^identity: no value shared between targets\$" "a deleted DUID is not shared"

finish
