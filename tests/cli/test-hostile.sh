#!/bin/bash
# Hostile and odd hive files (issue 11): a symbolic link as TARGET, hard
# links, owner and group, control characters in names and values, and the
# read commands on a dirty hive whose logs cannot be replayed.
. "$(dirname "$0")/lib.sh"

IFACES='ControlSet001\Services\Tcpip\Parameters\Interfaces'
orig=$(fixture one-iface "$T/orig/SYSTEM")

# ---- a symbolic link is followed once, said, and stays a link ---------------
real=$(fixture one-iface "$T/store/SYSTEM")
ln -s store/SYSTEM "$T/link"
expect_rc 0 "scrub through a symbolic link" vh scrub "$T/link"
has "$T/err" "link: is a symbolic link: editing the hive at its real path .*/store/SYSTEM" \
        "the followed link is said on stderr"
if [ -L "$T/link" ]; then ok; else fail "the link was replaced by a file"; fi
differ "$orig" "$real" "the hive at the real path was written"
expect_rc 0 "check through the link sees the scrubbed hive" vh check "$T/link"
hasnt "$T/err" "symbolic link" "reading through a link says nothing"

# ---- a second name: refused, --force writes and says what happens -----------
h=$(fixture one-iface "$T/hl/SYSTEM")
ln "$h" "$T/hl/SYSTEM.copy"
expect_rc 2 "scrub of a hive with two names" vh scrub "$h"
has "$T/err" "the hive has 2 hard links: .*other names would keep the old hive.*--force" \
        "the refusal says why and what overrides it"
same "$orig" "$h" "the refused hive is unchanged"
expect_rc 0 "scrub -o of a hive with two names (nothing replaced)" vh scrub -o "$T/hl/out" "$h"
expect_rc 0 "scrub --force of a hive with two names" vh scrub --force "$h"
differ "$orig" "$h" "the hive was written"
same "$orig" "$T/hl/SYSTEM.copy" "the other name keeps the old hive"

# ---- owner, group and mode ----------------------------------------------------
if [ "$(id -u)" -eq 0 ]; then
        h=$(fixture one-iface "$T/own/SYSTEM")
        chown 1234:1234 "$h" && chmod 0640 "$h"
        expect_rc 0 "scrub of a 1234:1234 0640 hive" vh scrub "$h"
        eq "$(stat -c %u:%g:%a "$h")" "1234:1234:640" "owner, group and mode kept"
else
        note "not root: owner and group not tested"
fi

# ---- control characters reach no terminal -------------------------------------
h=$(fixture one-iface "$T/esc/SYSTEM")
guid=$("$VHIVE" ls "$h" "$IFACES" | sed -n 's/\\$//p' | head -n 1)
# ESC ] 0 ; p w n BEL ESC [ 2 J, then U+009B (CSI, a C1 control), in UTF-16LE.
evil='hex:1:1b,00,5d,00,30,00,3b,00,70,00,77,00,6e,00,07,00,1b,00,5b,00,32,00,4a,00,9b,00,00,00'
expect_rc 0 "set a value holding escape sequences" \
        vh set "$h" "$IFACES\\$guid" DhcpIPAddress "$evil"
expect_rc 0 "set a value whose name holds one" \
        vh set "$h" "$IFACES\\$guid" "$(printf 'Name\033[2J')" string:x
shown='\\x1b]0;pwn\\x07\\x1b\[2J\\u009b'
for cmd in "check" "scrub -n" "ls" "get"; do
        case $cmd in
        ls) vh ls "$h" "$IFACES\\$guid" ;;
        get) vh get "$h" "$IFACES\\$guid" DhcpIPAddress ;;
        *) vh $cmd "$h" ;;
        esac
        if LC_ALL=C grep -q "$(printf '[\033\007]')" "$T/out" "$T/err" ||
           LC_ALL=C grep -q "$(printf '\302\233')" "$T/out"; then
                fail "$cmd: a control character reached the output"
        else
                ok
        fi
        has "$T/out" "$shown" "$cmd: the value is shown escaped"
done
has "$T/out" "" "get printed something"
vh ls "$h" "$IFACES\\$guid"
has "$T/out" 'Name\\x1b\[2J' "ls: the value name is escaped"
vh get --raw "$h" "$IFACES\\$guid" DhcpIPAddress
if LC_ALL=C grep -q "$(printf '\033')" "$T/out"; then ok; else fail "get --raw is not exact"; fi

# ---- dirty, and a log that cannot be read: every reader says so ---------------
h=$(fixture one-iface "$T/dirty/SYSTEM")
"$PYTHON" - "$h" <<'EOF'
import struct, sys
with open(sys.argv[1], "r+b") as f:
    b = bytearray(f.read(4096))
    struct.pack_into("<I", b, 4, struct.unpack_from("<I", b, 4)[0] + 1)
    x = 0
    for i in range(0, 508, 4):
        x ^= struct.unpack_from("<I", b, i)[0]
    struct.pack_into("<I", b, 508, {0: 1, 0xFFFFFFFF: 0xFFFFFFFE}.get(x, x))
    f.seek(0)
    f.write(b)
EOF
head -c 4096 /dev/urandom >"$T/dirty/SYSTEM.LOG1"
: >"$T/dirty/SYSTEM.LOG2"
sha256sum "$T"/dirty/* >"$T/dirty.sum"
line='warning: the hive is dirty and its logs cannot be replayed '
# LOG1 is ignored (no regf base block, as Windows ignores it) and LOG2 is
# empty: no log can replay.
line+='\(hive is dirty .* no transaction log can be replayed: LOG1 has no regf'
for cmd in check info ls get export; do
        case $cmd in
        ls | export) vh $cmd "$h" "$IFACES" ;;
        get) vh get "$h" "$IFACES\\$guid" EnableDHCP ;;
        *) vh $cmd "$h" ;;
        esac
        has "$T/err" "^vhive: .*/SYSTEM: $line" "$cmd warns on stderr"
        eq "$(grep -c 'cannot be replayed' "$T/err")" 1 "$cmd: one line"
done
expect_rc 1 "check: stale values in the file as it is (and the logs unknown)" vh check "$h"
vh check --json "$h"
eq "$("$PYTHON" -c 'import json,sys; t=json.load(open(sys.argv[1]))["targets"][0];
print(t.get("replay_failed"), "LOG1" in t.get("replay_error", ""))' "$T/out")" "True True" \
        "check --json says so in the target's object"
expect_rc 2 "scrub -n fails as the scrub would" vh scrub -n "$h"
expect_rc 2 "scrub refuses" vh scrub "$h"
if sha256sum -c --quiet "$T/dirty.sum"; then ok; else fail "a file of the dirty hive changed"; fi

finish
