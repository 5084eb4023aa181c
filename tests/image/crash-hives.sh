#!/bin/bash
# Crash points of a merge into SYSTEM and SOFTWARE of one image (direct
# backend, issue 19), in both log formats: SOFTWARE's CurrentBuild says
# Windows 10 (19045: new-format logs, on qcow2) or Windows 7 (7601: old
# DIRT logs, on raw), every log empty.  vhive merge is stopped (SIGKILL,
# crashshim.so) right after its k-th NBD write or flush, for every k: the
# two hives are committed one after the other, each through its own logs.
# After each stop (crash-lib.sh's settle: the image is free and sound):
#   - each hive vhive loads (its primary, replayed with its logs when dirty)
#     is exactly its old or its new hive;
#   - SOFTWARE is never new while SYSTEM is old (SYSTEM is committed first),
#     and some stop falls between the two: SYSTEM new, SOFTWARE old;
#   - a second merge ends with both new.
# With BACKEND appliance, the appliance's merge is stopped instead (after its
# k-th guestfs_pwrite or file fsync), one launch per stop: KILLS points per
# format (default: every point; the 'slow' suite takes 1, the middle one,
# which falls between the two hives' commits), and the second merge runs on
# the direct backend.  CRASH_KILLS (a number, or all) overrides KILLS.
# usage: crash-hives.sh DIRECT_TOOL [BACKEND [KILLS]]
# (CRASH_SHIM, CRASH_TOOL in the environment)
set -u
T=$(realpath "${1:?usage: crash-hives.sh DIRECT_TOOL [BACKEND [KILLS]]}")
backend=${2:-direct}
kills=${CRASH_KILLS:-${3:-}} # CRASH_KILLS=all: every point
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
for prog in mkntfs qemu-img; do
        command -v "$prog" >/dev/null || skip "$prog not installed"
done
[ -n "${CRASH_SHIM:-}" ] && [ -n "${CRASH_TOOL:-}" ] || skip "no CRASH_SHIM or CRASH_TOOL"
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/vhive-crash-hives.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
cd "$SCRATCH" || die "no scratch folder"
. "$here/crash-lib.sh" # settle; TMPDIR inside SCRATCH
export VHIVE_BACKEND=$backend
HIVE=${FIXTURES:-$BUILDDIR/tests/fixtures}/multi-iface.hive
CFG=/Windows/System32/config
CV='Microsoft\Windows NT\CurrentVersion'
: >empty
cat >both.reg <<EOF
Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\Tcpip\\Parameters]
"Merged"="system"

[HKEY_LOCAL_MACHINE\\SOFTWARE\\$CV]
"Merged"="software"
EOF

# image BUILD FMT OUT: SYSTEM and SOFTWARE (CurrentBuild BUILD), empty logs
image() {
        # make-hive.sh merges under HKEY_LOCAL_MACHINE\SYSTEM, whatever the hive.
        printf 'Windows Registry Editor Version 5.00\n\n[%s]\n"CurrentBuild"="%s"\n' \
                "HKEY_LOCAL_MACHINE\\SYSTEM\\$CV" "$1" >"soft-$1.reg"
        "$MAKE_HIVE" "$MKHIVE" "SOFTWARE-$1" "soft-$1.reg" >/dev/null || die "make-hive"
        truncate -s 48M vol.raw
        mkntfs -F -f -Q -q vol.raw 2>/dev/null || die "mkntfs"
        "$T" --volume 0 vol.raw raw mkdir /Windows mkdir /Windows/System32 mkdir $CFG \
                create $CFG/SYSTEM "$HIVE" create $CFG/SYSTEM.LOG1 empty \
                create $CFG/SYSTEM.LOG2 empty create $CFG/SOFTWARE "SOFTWARE-$1" \
                create $CFG/SOFTWARE.LOG1 empty create $CFG/SOFTWARE.LOG2 empty >/dev/null ||
                die "direct-tool"
        qemu-img convert -f raw -O "$2" vol.raw "$3" || die "qemu-img convert"
        rm -f vol.raw
}

# both IMG FMT PREFIX: PREFIX-SYSTEM and PREFIX-SOFTWARE as vhive would load them
both() {
        rm -rf got && mkdir got && "$CRASH_TOOL" fetch "$1" "$2" got &&
                "$CRASH_TOOL" loaded got/SYSTEM got/LOG1 got/LOG2 "$3-SYSTEM" &&
                "$CRASH_TOOL" loaded got/SOFTWARE got/SLOG1 got/SLOG2 "$3-SOFTWARE"
}

# state NAME: old or new (against ref-old-NAME, ref-new-NAME), else other
state() {
        if cmp -s "now-$1" "ref-old-$1"; then
                echo old
        elif "$CRASH_TOOL" same "ref-new-$1" "now-$1" 2>/dev/null; then
                echo new
        else
                echo other
        fi
}

# stops POINTS: the points to stop at: every one, or KILLS of them spread
# evenly inside the range.
stops() {
        local n=${kills:-$1}
        if [ "$n" = all ] || [ "$n" -ge "$1" ]; then
                seq 1 "$1"
                return
        fi
        for i in $(seq 1 "$n"); do
                echo $(( i * $1 / (n + 1) ))
        done | sort -un
}

for spec in 19045:qcow2 7601:raw; do
        build=${spec%%:*} fmt=${spec#*:}
        image "$build" "$fmt" pristine
        both pristine "$fmt" ref-old || die "$build: the image does not load"
        cp --sparse=always pristine victim
        VHIVE_CRASH_COUNT=count LD_PRELOAD="$CRASH_SHIM" "$VHIVE" merge victim both.reg >/dev/null ||
                die "$build: the reference merge failed"
        both victim "$fmt" ref-new || die "$build: the merged image does not load"
        points=$(cat count)
        declare -A seen=()
        for k in $(stops "$points"); do
                tag="$build ($fmt), stopped after write/flush $k of $points"
                cp --sparse=always pristine victim
                # in a subshell, which says "Killed" into /dev/null
                (VHIVE_CRASH_AT=$k LD_PRELOAD="$CRASH_SHIM" "$VHIVE" merge victim both.reg
                        exit $?) >/dev/null 2>&1 && fail "$tag: not stopped"
                settle victim "$fmt" >/dev/null || fail "$tag: qemu-img check"
                if ! both victim "$fmt" now 2>err; then
                        fail "$tag: unreadable: $(cat err)"
                        continue
                fi
                s="$(state SYSTEM)/$(state SOFTWARE)"
                seen[$s]=1
                case $s in
                old/old | new/old | new/new) ;;
                *) fail "$tag: SYSTEM/SOFTWARE are $s" ;;
                esac
                VHIVE_BACKEND=direct "$VHIVE" merge victim both.reg >/dev/null 2>err &&
                        both victim "$fmt" now 2>>err &&
                        [ "$(state SYSTEM)/$(state SOFTWARE)" = new/new ] ||
                        fail "$tag: a second merge did not end with both new: $(cat err)"
        done
        echo "$build: $points points ($backend); states seen: ${!seen[*]}"
        if [ -n "$kills" ] && [ "$kills" != all ] && [ "$kills" -lt "$points" ]; then
                # a sample: each stop was judged above
                unset seen
                continue
        fi
        [ -n "${seen[new/old]:-}" ] && ok "$build: a stop between the hives: SYSTEM new, SOFTWARE old" ||
                fail "$build: no stop fell between the hives"
        [ "${#seen[@]}" -ge 3 ] && ok "$build: every stop left each hive old or new, in order" ||
                fail "$build: states ${!seen[*]}"
        unset seen
done
finish
