#!/bin/bash
# Which transaction-log format vhive writes into an image whose logs are
# empty (issue 18, item 9), on the direct backend (no appliance to pay):
# SOFTWARE's CurrentBuild, else CurrentBuildNumber, else
# CurrentMajorVersionNumber, else CurrentVersion decide; --log-format new|old
# fills the silence when none tells, and is refused (exit 2, nothing
# written) when it contradicts the image, its logs included.
#   test-log-format.sh DIRECT_TOOL
set -u
. "$(dirname "$0")/../lib.sh"
T=$(realpath "${1:?usage: test-log-format.sh DIRECT_TOOL}")
for prog in mkntfs jq; do
        command -v "$prog" >/dev/null || skip "$prog not installed"
done
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/vhive-logfmt.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
cd "$SCRATCH" || die "no scratch folder"
export VHIVE_BACKEND=direct
HIVE=${FIXTURES:-$BUILDDIR/tests/fixtures}/multi-iface.hive
CFG=/Windows/System32/config
TCPIP='HKLM\SYSTEM\ControlSet001\Services\Tcpip\Parameters'
KEY='[HKEY_LOCAL_MACHINE\SYSTEM\Microsoft\Windows NT\CurrentVersion]'
: >empty

# image NAME VALUE-LINE...: a Windows volume whose SOFTWARE's CurrentVersion
# key holds the .reg lines given (none: an empty key), with empty logs.
image() {
        local name=$1
        shift
        { printf 'Windows Registry Editor Version 5.00\n\n%s\n' "$KEY"; printf '%s\n' "$@"; } \
                >"$name.reg"
        "$MAKE_HIVE" "$MKHIVE" "$name.soft" "$name.reg" >/dev/null || die "make-hive $name"
        truncate -s 48M "$name.raw"
        mkntfs -F -f -Q -q "$name.raw" 2>/dev/null || die "mkntfs $name"
        "$T" --volume 0 "$name.raw" raw mkdir /Windows mkdir /Windows/System32 mkdir $CFG \
                create $CFG/SYSTEM "$HIVE" create $CFG/SOFTWARE "$name.soft" \
                create $CFG/SYSTEM.LOG1 empty create $CFG/SYSTEM.LOG2 empty >/dev/null ||
                die "direct-tool $name"
}
# written NAME FORMAT: the scrub wrote a log of that format ("new"/"old").
written() {
        local logs
        logs=$("$VHIVE" info "$1.raw" 2>&1 | grep -E 'SYSTEM.LOG[12]: ')
        if grep -q ": $2 format" <<<"$logs"; then
                ok "$1: a $2-format log"
        else
                fail "$1: want a $2-format log: $logs"
        fi
}
says() { # NAME TEXT: vhive's message about NAME.raw holds TEXT
        local line
        line=$(grep "^vhive: $1.raw: " err)
        grep -qF -- "$2" <<<"$line" && ok "$1: says '$2'" || fail "$1: no '$2' in: $line"
}

image build-only '"CurrentBuild"="19045"'
image number-new '"CurrentBuildNumber"="19045"'
image number-old '"CurrentBuildNumber"="7601"'
image obsolete '"CurrentBuild"="1.511.1 () (Obsolete data - do not use)"' \
        '"CurrentBuildNumber"="9600"'
image major '"CurrentMajorVersionNumber"=dword:0000000a' '"CurrentVersion"="6.3"'
image v63 '"CurrentVersion"="6.3"'
image v62 '"CurrentVersion"="6.2"'
image silent '"ProductName"="Windows"'
image junk '"CurrentBuild"="abc"' '"CurrentBuildNumber"=" +9600"' '"CurrentVersion"="6.x"'
cp --sparse=always silent.raw told-old.raw
cp --sparse=always number-new.raw contra.raw

told="build-only number-new number-old obsolete major v63 v62"
expect_rc 0 "scrub of the images whose SOFTWARE tells" \
        "$VHIVE" scrub $(for n in $told; do echo "$n.raw"; done)
written build-only new
written number-new new
written number-old old
written obsolete new
written major new
written v63 new
written v62 old

# Nothing tells: refused, untouched, and the message names the way out.
sha256sum silent.raw junk.raw contra.raw >untouched.sum
expect_rc 2 "scrub where nothing tells" "$VHIVE" scrub silent.raw junk.raw
says silent "refusing to guess"
says silent "--log-format"
says junk "no readable CurrentBuild, CurrentBuildNumber"
# --log-format fills the silence...
expect_rc 0 "scrub --log-format old where nothing tells" \
        "$VHIVE" scrub --log-format old told-old.raw
written told-old old
# ... but never overrides the image: SOFTWARE, or the logs once written.
expect_rc 2 "--log-format old against CurrentBuildNumber 19045" \
        "$VHIVE" scrub --log-format old contra.raw
says contra "--log-format old contradicts the image: SOFTWARE's CurrentBuildNumber is 19045"
sha256sum --quiet -c untouched.sum && ok "refused images untouched" || fail "an image changed"
sha256sum number-new.raw >logs.sum
expect_rc 2 "--log-format old against new-format logs" \
        "$VHIVE" set --log-format old number-new.raw "$TCPIP" X dword:1
says number-new "contradicts the image: the hive's logs are in the new format"
sha256sum --quiet -c logs.sum && ok "number-new untouched" || fail "number-new changed"
expect_rc 0 "--log-format new agreeing with the logs" \
        "$VHIVE" set --log-format new number-new.raw "$TCPIP" X dword:1
expect_rc 2 "an unknown --log-format" "$VHIVE" scrub --log-format newer silent.raw
grep -q "unknown --log-format 'newer'" err && ok "names the bad value" || fail "$(cat err)"
expect_rc 2 "--log-format is for writers" "$VHIVE" check --log-format new silent.raw
finish
