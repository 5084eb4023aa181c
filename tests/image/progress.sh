#!/bin/bash
# Progress on the appliance (one launch): on a pseudo-terminal (script(1))
# the launch and each image's steps appear on stderr, redrawn in place and
# cleared, while stdout holds one JSON document that parses; targets come
# from --from -, a hive file and images mixed.  With pipes (the direct
# backend, no launch) a successful run of hives and images prints nothing
# on stderr.
. "$(dirname "$0")/lib.sh"

command -v script >/dev/null 2>&1 || skip "script (util-linux) is not installed"
ESC=$(printf '\033')

copy gpt.vhdx a.vhdx
copy mbr.qcow2 b.qcow2
cp "$FIXTURES/one-iface.hive" SYSTEM
chmod 644 SYSTEM
printf '%s\n\n%s\n%s\n' "$PWD/a.vhdx" "$PWD/SYSTEM" "$PWD/b.qcow2" >list

# --- the appliance, on a terminal ----------------------------------------------
RC=0
script -qec "'$VHIVE' scrub --backend appliance --json --from - <list >doc.json" /dev/null \
        </dev/null >tty 2>&1 || RC=$?
grep -q 'cannot launch the libguestfs appliance' doc.json && skip "the appliance cannot launch"
eq() { if [ "$1" = "$2" ]; then ok; else fail "$3: got '$1', want '$2'"; fi; }
eq "$RC" 0 "scrub --json --from - of two images and a hive, on a terminal"
for step in "launching the appliance" "\\[1/3\\] a\\.vhdx: looking for Windows" \
        "\\[1/3\\] a\\.vhdx: downloading the hive" "\\[1/3\\] a\\.vhdx: scrubbing" \
        "\\[1/3\\] a\\.vhdx: writing the hive into the image" "\\[3/3\\] b\\.qcow2: scrubbing" \
        "\\[2/3\\] SYSTEM: writing the hive" "closing the images"; do
        if grep -qE "${ESC}\\[Kvhive: ${step}" tty; then ok; else fail "no progress '$step'"; fi
done
# libguestfs reports the launch's progress after its first seconds: a
# percentage then appears (a fast KVM launch may end before).
if grep -qE "launching the appliance[^${ESC}]* [0-9]+%" tty; then
        ok "launch percentage shown"
else
        echo "# no launch percentage (the launch was quick)" >&2
fi
tty=$(<tty)
if [[ ${tty##*"${ESC}[K"} == *"vhive: "* ]]; then fail "progress left on the line"; else ok; fi
if grep -q "$ESC" doc.json; then fail "progress in the JSON document"; else ok; fi
if python3 - doc.json "$PWD" <<'PY' 2>py.err; then ok; else fail "JSON: $(cat py.err)"; fi
import json, sys
doc = json.load(open(sys.argv[1]))
d = sys.argv[2]
assert doc["command"] == "scrub" and doc["schema"] == 1 and doc["exit_code"] == 0, doc
paths = [(t["path"], t["kind"], t["written"]) for t in doc["targets"]]
assert paths == [(d + "/a.vhdx", "image", True), (d + "/SYSTEM", "hive", True),
                 (d + "/b.qcow2", "image", True)], paths
PY

# --- pipes: nothing on stderr ----------------------------------------------------
copy gpt.vhdx c.vhdx
cp "$FIXTURES/multi-iface.hive" SYSTEM
printf '%s\n%s\n' c.vhdx SYSTEM >list2
expect_rc 1 "direct: check --from of an image and a hive on pipes" \
        "$VHIVE" check --backend direct --from list2
if [ -s err ]; then fail "check on pipes wrote on stderr: $(head -3 err)"; else ok; fi
expect_rc 0 "direct: scrub --from - of an image and a hive on pipes" \
        "$VHIVE" scrub --backend direct --from - <list2
if [ -s err ]; then fail "scrub on pipes wrote on stderr: $(head -3 err)"; else ok; fi
expect_rc 0 "direct: check after the scrub" "$VHIVE" check --backend direct --from list2
finish
