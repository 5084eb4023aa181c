#!/bin/bash
# Links, hard links, sparse and compressed files and oversized hives inside
# images, on one backend (issues 11 and 18):
#   links.sh appliance DIRECT_TOOL   suite image (each vhive run: one launch)
#   links.sh direct DIRECT_TOOL      suite direct
# The hostile volumes are built with direct-tool (libntfs-3g): Interix
# symbolic links as ntfs-3g makes them (guestfish's ln-s makes the same), a
# symbolic-link reparse point as Windows' mklink makes, a deduplicated
# file's reparse point, and 3 GiB sparse files that take no room.  One scrub
# batch holds two good images among the hostile ones: each hostile image
# exits 2 with its message and keeps every byte (the reproduced attack: a
# SYSTEM.LOG1 linking to ../../../../img0/..., the other image's SYSTEM); the
# good ones are written as when alone (their values equal a scrub of the same
# hive file).  A read-only batch (check --json) refuses the same, and a
# private TMPDIR never holds more than a few MiB (a 3 GiB SYSTEM was copied
# there before).  Hard links (libntfs-3g's ntfs_link): a log that is another
# name of SOFTWARE, of SYSTEM or of the other log, a SYSTEM with a second
# name in another folder, and two logs that are one MFT record whose link
# count says 1 (only the same-file check sees those): a write through one
# name overwrote the other file (issue 18).  A sparse log and a compressed
# SYSTEM: a write would allocate.  The good images have 8.3 DOS names
# beside SYSTEM.LOG1/2, as Windows gives them: one name each, not two.
set -u
backend=${1:?usage: links.sh appliance|direct DIRECT_TOOL}
T=$(realpath "${2:?usage: links.sh appliance|direct DIRECT_TOOL}")
if [ "$backend" = appliance ]; then
        # STAMP, the accelerator, SCRATCH (the current folder), helpers
        . "$(dirname "$0")/lib.sh"
else
        . "$(dirname "$0")/../lib.sh"
        SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/vhive-links.XXXXXX")
        trap 'touch "$SCRATCH/stop"; rm -rf "$SCRATCH"' EXIT
        cd "$SCRATCH" || die "no scratch folder"
fi
for prog in mkntfs reglookup jq; do
        command -v "$prog" >/dev/null || skip "$prog not installed"
done
[ -x "$T" ] || skip "direct-tool $T missing"
FIXTURES=${FIXTURES:-$BUILDDIR/tests/fixtures}
CFG=/Windows/System32/config
: >empty
printf 'Windows Registry Editor Version 5.00\n\n%s\n"CurrentBuild"="19045"\n' \
        '[HKEY_LOCAL_MACHINE\SYSTEM\Microsoft\Windows NT\CurrentVersion]' >soft.reg
"$MAKE_HIVE" "$MKHIVE" SOFTWARE soft.reg >/dev/null || die "make-hive SOFTWARE"
HIVE=$FIXTURES/multi-iface.hive
BIG=3221225472 # 3 GiB: more than any hive (4 KiB + 2 GiB of hive bins)

# vol IMAGE [CMD...]: a 48 MiB NTFS volume (whole disk); CMDs for direct-tool
vol() {
        local img=$1
        shift
        truncate -s 48M "$img"
        mkntfs -F -f -Q -q "$img" 2>/dev/null || die "mkntfs $img"
        # libntfs-3g's reparse code leaks a name: not ours, not the test's subject.
        ASAN_OPTIONS=detect_leaks=0 "$T" --volume 0 "$img" raw "$@" >/dev/null ||
                die "direct-tool: $img"
}
windows() { # IMAGE [CMD...]: Windows' folders, then the CMDs
        local img=$1
        shift
        vol "$img" mkdir /Windows mkdir /Windows/System32 mkdir $CFG "$@"
}
std=(create $CFG/SYSTEM "$HIVE" create $CFG/SOFTWARE SOFTWARE)
logs=(create $CFG/SYSTEM.LOG1 empty create $CFG/SYSTEM.LOG2 empty)

windows good1.raw "${std[@]}" "${logs[@]}" \
        dosname $CFG/SYSTEM.LOG1 'SYSTEM~1.LOG' dosname $CFG/SYSTEM.LOG2 'SYSTEM~2.LOG'
cp --sparse=always good1.raw good2.raw
cp --sparse=always good1.raw alone.raw
windows log1.raw "${std[@]}" create $CFG/SYSTEM.LOG2 empty \
        symlink $CFG/SYSTEM.LOG1 ../../../../img0/Windows/System32/config/SYSTEM
windows log2.raw "${std[@]}" "${logs[@]}" reparse $CFG/SYSTEM.LOG2 A000000C SYSTEM
# A reparse point ntfs-3g has no plugin for (data deduplication): the file's
# NTFS attributes say so.
windows dedup.raw "${std[@]}" "${logs[@]}" reparse $CFG/SYSTEM.LOG1 80000013 dedupdata
windows sys.raw create $CFG/SYSTEM.real "$HIVE" symlink $CFG/SYSTEM SYSTEM.real \
        create $CFG/SOFTWARE SOFTWARE "${logs[@]}"
windows soft.raw create $CFG/SYSTEM "$HIVE" create $CFG/SOFTWARE.real SOFTWARE \
        symlink $CFG/SOFTWARE SOFTWARE.real "${logs[@]}"
vol win.raw mkdir /WinReal mkdir /WinReal/System32 mkdir /WinReal/System32/config \
        create /WinReal/System32/config/SYSTEM "$HIVE" symlink /Windows WinReal
windows bigsys.raw sparse $CFG/SYSTEM $BIG create $CFG/SOFTWARE SOFTWARE "${logs[@]}"
windows biglog.raw "${std[@]}" sparse $CFG/SYSTEM.LOG1 $BIG create $CFG/SYSTEM.LOG2 empty
one_log=(create $CFG/SYSTEM.LOG2 empty)
windows lnsoft.raw "${std[@]}" "${one_log[@]}" link $CFG/SOFTWARE $CFG/SYSTEM.LOG1
windows lnsys.raw "${std[@]}" "${one_log[@]}" link $CFG/SYSTEM $CFG/SYSTEM.LOG1
windows lnlog.raw "${std[@]}" create $CFG/SYSTEM.LOG1 empty link $CFG/SYSTEM.LOG1 $CFG/SYSTEM.LOG2
windows lnother.raw "${std[@]}" "${logs[@]}" mkdir /Other link $CFG/SYSTEM /Other/SYSTEM.bak
windows samelog.raw "${std[@]}" "${one_log[@]}" link $CFG/SYSTEM.LOG2 $CFG/SYSTEM.LOG1 \
        linkcount $CFG/SYSTEM.LOG1 1
windows splog.raw "${std[@]}" "${one_log[@]}" sparse $CFG/SYSTEM.LOG1 1048576
# A compressed folder's new files are compressed (as in Windows).
windows comp.raw attrib $CFG 800 "${std[@]}" attrib $CFG 0 "${logs[@]}"
hardlinks="lnsoft.raw lnsys.raw lnlog.raw lnother.raw samelog.raw"
hostile="log1.raw log2.raw dedup.raw sys.raw soft.raw win.raw bigsys.raw biglog.raw $hardlinks"
hostile="$hostile splog.raw comp.raw"
[ "$(du -sk bigsys.raw | cut -f1)" -lt 8192 ] && ok "the 3 GiB SYSTEM takes no room" ||
        fail "bigsys.raw takes $(du -sk bigsys.raw)"

# Everything vhive writes to TMPDIR goes to a private one, measured while it
# runs.  libguestfs keeps its appliance cache where it was.
export LIBGUESTFS_CACHEDIR=${LIBGUESTFS_CACHEDIR:-${TMPDIR:-/var/tmp}}
mkdir tmp
watch_tmp() {
        local max=0 k
        while [ ! -e stop ]; do
                k=$(du -sk tmp 2>/dev/null | cut -f1)
                [ "${k:-0}" -gt "$max" ] && max=$k && echo "$max" >tmp.max
                sleep 0.1
        done
}
vh() {
        rm -f stop tmp.max
        watch_tmp &
        local watcher=$!
        TMPDIR=$PWD/tmp VHIVE_BACKEND=$backend "$VHIVE" "$@"
        local rc=$?
        touch stop
        wait "$watcher"
        return $rc
}
tmp_stayed_small() { # WHAT
        local max
        max=$(cat tmp.max 2>/dev/null || echo 0)
        [ "$max" -lt 65536 ] && ok "$1: TMPDIR peaked at $max KiB" ||
                fail "$1: TMPDIR grew to $max KiB"
        [ -z "$(ls tmp)" ] && ok "$1: TMPDIR left empty" || fail "$1: TMPDIR holds $(ls tmp)"
}
expect_msg() { # IMAGE TEXT [JSON]
        local line
        if [ $# -eq 3 ]; then
                line=$(jq -r ".targets[] | select(.path == \"$1\") | .error // empty" "$3")
        else
                line=$(grep "^vhive: $1: " err)
        fi
        if grep -qF -- "$2" <<<"$line"; then
                ok "$1: says '$2'"
        else
                fail "$1: no message with '$2': $line"
        fi
}
values() { # IMAGE: the Tcpip values of the image's SYSTEM
        "$T" --ro "$1" raw get $CFG/SYSTEM "$1.hive" >/dev/null || die "direct-tool get $1"
        reglookup -H -p /ControlSet001/Services/Tcpip/Parameters "$1.hive" |
                grep -v '^[^,]*,KEY,' | cut -d, -f1-3 | sort
}
LINK="is a symbolic link or reparse point: refused"
NAMES="has 2 names (hard links): a write to it would change another file: refused"
PLAIN="vhive writes only into plain files"
CFG_SHOWN=Windows/System32/config
TOOBIG="is $BIG bytes, more than a hive or its log can be (2147487744): refused before copying it"
check_refusals() { # [JSON]
        expect_msg log1.raw "Windows/System32/config/SYSTEM.LOG1 $LINK" "$@"
        expect_msg log2.raw "Windows/System32/config/SYSTEM.LOG2 $LINK" "$@"
        expect_msg dedup.raw "Windows/System32/config/SYSTEM.LOG1 $LINK" "$@"
        expect_msg sys.raw "Windows/System32/config/SYSTEM $LINK" "$@"
        expect_msg win.raw "Windows $LINK" "$@"
        expect_msg bigsys.raw "Windows/System32/config/SYSTEM $TOOBIG" "$@"
        expect_msg biglog.raw "Windows/System32/config/SYSTEM.LOG1 $TOOBIG" "$@"
        expect_msg lnsoft.raw "config/SYSTEM.LOG1 $NAMES" "$@"
        expect_msg lnsys.raw "config/SYSTEM $NAMES" "$@"
        expect_msg lnlog.raw "config/SYSTEM.LOG1 $NAMES" "$@"
        expect_msg lnother.raw "config/SYSTEM $NAMES" "$@"
        expect_msg samelog.raw "config/SYSTEM.LOG1 and $CFG_SHOWN/SYSTEM.LOG2 are one file" "$@"
}

# ---- a scrub of good and hostile images in one batch -------------------------
sha256sum good1.raw good2.raw >good.sum
sha256sum $hostile >hostile.sum
expect_rc 2 "scrub batch" vh scrub -v good1.raw $hostile good2.raw
[ "$backend" = appliance ] && skip_if_no_appliance err
check_refusals
expect_msg soft.raw "Windows/System32/config/SOFTWARE $LINK"
expect_msg splog.raw "Windows/System32/config/SYSTEM.LOG1 is sparse, compressed or encrypted"
expect_msg comp.raw "Windows/System32/config/SYSTEM is sparse, compressed or encrypted"
expect_msg splog.raw "$PLAIN"
expect_msg comp.raw "$PLAIN"
if sha256sum --quiet -c hostile.sum; then
        ok "scrub: every hostile image byte-identical"
else
        fail "scrub: a hostile image changed"
fi
if sha256sum -c good.sum 2>/dev/null | grep -q ': OK$'; then
        fail "scrub: a good image was not written"
else
        ok "scrub: both good images written"
fi
if [ "$backend" = appliance ]; then
        n=$(launches err)
        [ "$n" -ge 1 ] && [ "$n" -le "$(batch_launches)" ] && ok "$n appliance launches for the batch" ||
                fail "$n launches for one batch, want 1 to $(batch_launches)"
fi
grep -c ': 15 blanked, 7 already blank, 0 absent, 0 kept: written$' out >n.txt
[ "$(cat n.txt)" = 2 ] && ok "both good images report their 15 blanked values" ||
        fail "good images report: $(grep ': written\|blanked' out)"
tmp_stayed_small "scrub batch"

# The good images hold what a scrub of the same hive file gives.
cp "$HIVE" file.hive
"$VHIVE" scrub file.hive >/dev/null 2>&1 || fail "scrub of the hive file"
reglookup -H -p /ControlSet001/Services/Tcpip/Parameters file.hive |
        grep -v '^[^,]*,KEY,' | cut -d, -f1-3 | sort >want.txt
for g in good1.raw good2.raw; do
        values $g >got.txt
        if cmp -s want.txt got.txt && [ -s want.txt ]; then
                ok "$g: the values of a scrub of the hive file"
        else
                fail "$g: values differ from the hive-file scrub"
                diff want.txt got.txt | head >&2
        fi
done
# ... and of the same image scrubbed alone (direct: no launch to pay).
if [ "$backend" = direct ]; then
        expect_rc 0 "scrub of the image alone" vh scrub alone.raw
        values alone.raw >alone.txt
        cmp -s want.txt alone.txt && ok "alone: the same values" || fail "alone: values differ"
fi

# ---- the same refusals for read-only work ------------------------------------
sha256sum good1.raw good2.raw $hostile >all.sum
expect_rc 2 "check batch" vh check --json good1.raw $hostile good2.raw
check_refusals out
for g in good1.raw good2.raw; do
        [ "$(jq -r ".targets[] | select(.path == \"$g\") | .ok" out)" = true ] &&
                ok "$g: clean after the scrub" || fail "$g: not clean"
done
sha256sum --quiet -c all.sum && ok "check: every image byte-identical" ||
        fail "check changed an image"
tmp_stayed_small "check batch"
finish
