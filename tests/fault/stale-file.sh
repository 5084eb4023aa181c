#!/bin/sh
# stale-file: another program writes the hive file while vhive edits it
# (issue 18 item 5).  vhive holds its own lock, which another program
# ignores, so right before the rename it checks that the file is still the
# one it read: else exit 2 with ESTALE ("Stale file handle"), the other
# program's file left as it is, no temp file.
#
# The failshim's run mode plays the other program: at vhive's first
# mkostemp (the temp file beside the hive, made after the hive was read and
# edited) it rewrites the hive in place or renames another file over it.
#
# Usage (meson): stale-file.sh FAILSHIM FAULT_TOOL LOG_CHANGES_REG
set -eu
. "$(dirname "$0")/fault-lib.sh"

key='ControlSet001\Services\Tcpip\Parameters'
mkdir -p "$w"
# The other program's hive: the same size as the target (a rewrite in
# place keeps the inode and, within one timestamp tick, the times).
cp "$FIXTURES/multi-iface.hive" "$tmp/other"
"$VHIVE" set "$tmp/other" "$key" Hostname string:OTHER >/dev/null 2>&1 ||
        die "cannot make the other hive"

set_under_shim() { # LABEL COMMAND: rc in $rc
        rc=0
        ASAN_OPTIONS=$asan_shim LD_PRELOAD=$shim FAILSHIM_DIR=$w FAILSHIM_MODE=run \
                FAILSHIM_OP=mkostemp FAILSHIM_N=1 FAILSHIM_RUN="$2" \
                "$VHIVE" set "$w/SYSTEM" "$key" Hostname string:MINE \
                >"$tmp/out" 2>"$tmp/err" || rc=$?
        if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$tmp/err"; then
                cat "$tmp/err" >&2
                die "$1: sanitizer report"
        fi
}

hostname_of() {
        reglookup -p /ControlSet001/Services/Tcpip/Parameters/Hostname "$1" 2>/dev/null |
                awk -F, 'NR == 2 { print $3 }'
}

# Nothing else writes: the shim's run mode itself changes nothing.
rm -rf "$w" && mkdir "$w" && cp "$FIXTURES/multi-iface.hive" "$w/SYSTEM"
set_under_shim "no other writer" true
[ "$rc" = 0 ] || { cat "$tmp/err" >&2; die "no other writer: exit $rc"; }
[ "$(hostname_of "$w/SYSTEM")" = MINE ] || die "no other writer: the change is missing"
check_leftovers "no other writer" 0
echo "stale-file: no other writer: exit 0, written"

for how in in-place renamed-over; do
        rm -rf "$w" && mkdir "$w" && cp "$FIXTURES/multi-iface.hive" "$w/SYSTEM"
        if [ $how = in-place ]; then
                cmd="cat '$tmp/other' > '$w/SYSTEM'"
        else
                cmd="cp '$tmp/other' '$tmp/new' && mv '$tmp/new' '$w/SYSTEM'"
        fi
        set_under_shim "$how" "$cmd"
        [ "$rc" = 2 ] || { cat "$tmp/err" >&2; die "$how: exit $rc, expected 2"; }
        grep -q "^vhive: $w/SYSTEM: the hive changed since vhive read it" "$tmp/err" || {
                cat "$tmp/err" >&2
                die "$how: no clear message"
        }
        cmp -s "$tmp/other" "$w/SYSTEM" || die "$how: the other program's hive was overwritten"
        check_leftovers "$how" 0
        echo "stale-file: $how: exit 2, the other program's hive kept"
done
echo "stale-file: ok"
