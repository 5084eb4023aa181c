#!/bin/bash
# A scrub that writes, on the direct backend, reads its hive from the image
# once (issue 20): on an image with a 16 MiB SOFTWARE (mkbighive and the
# identity keys of software.reg, empty logs), `scrub --profile wsus` deletes
# the WSUS ids and reads at most 1.3 x SOFTWARE from the image file (strace,
# qemu-nbd's threads included: bench/bench-software.sh's measure).  The
# download is the bytes the commit takes as found: it compares with the
# image, and reads back, the base block and the blocks it writes.  With
# VHIVE_COMMIT_FULL_READ=1 the commit compares and reads back the whole
# primary, as before (3 x).  Both ways the result checks clean, holds the
# same values, and a second scrub finds nothing to do.
# usage: test-scrub-read.sh DIRECT_TOOL
. "$(dirname "$0")/../lib.sh"

tool=$1
MAKE_IMAGE=$FIXTURES_SRC/make-image.sh
for p in mkntfs sfdisk qemu-img qemu-nbd strace; do
        command -v $p >/dev/null || skip "$p is not installed"
done
[ -n "${FIXTURES:-}" ] && [ -f "$FIXTURES/software-system.hive" ] ||
        skip "the SOFTWARE fixtures were not built (hivexregedit, python3)"
[ -n "${MKBIGHIVE:-}" ] && [ -x "$MKBIGHIVE" ] || skip "mkbighive was not built"
T=$(mktemp -d "${TMPDIR:-/tmp}/scrub-read.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || die "no temp dir"

cfg=/Windows/System32/config
"$MKBIGHIVE" -m 16 bulk.hive || die "mkbighive failed"
sh "$FIXTURES_SRC/make-hive.sh" --base bulk.hive "$MKHIVE" SOFTWARE "$FIXTURES_SRC/software.reg" ||
        die "make-hive.sh --base failed"
bash "$MAKE_IMAGE" "$tool" big.vhdx 64 "$cfg/SYSTEM=$FIXTURES/software-system.hive" \
        "$cfg/SYSTEM.LOG1=" "$cfg/SYSTEM.LOG2=" "$cfg/SOFTWARE=$T/SOFTWARE" \
        "$cfg/SOFTWARE.LOG1=" "$cfg/SOFTWARE.LOG2=" || die "make-image.sh big.vhdx failed"
soft=$(stat -c %s SOFTWARE)

# scrub_read IMAGE [ENV...]: scrub IMAGE under strace; prints the bytes read
# from it.
scrub_read() {
        local img=$1
        shift
        rm -rf st && mkdir st
        # LeakSanitizer does not work under ptrace
        env ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 "$@" \
                strace -ff -qq -y -e trace=read,pread64,readv,preadv,preadv2 -o st/t \
                "$VHIVE" scrub --backend direct --no-progress --profile wsus "$img" \
                >"$img.out" 2>"$img.err" || echo "exit $?" >>"$img.err"
        cat st/t.* | awk -v d="<$T/$img>" \
                'index($0, d) && /= [0-9]+$/ { n += $NF } END { print n + 0 }'
}

cp --sparse=always big.vhdx once.vhdx
cp --sparse=always big.vhdx full.vhdx
once=$(scrub_read once.vhdx)
full=$(scrub_read full.vhdx VHIVE_COMMIT_FULL_READ=1)
echo "# SOFTWARE $soft bytes; read from the image by one scrub: $once, with" \
        "VHIVE_COMMIT_FULL_READ=1 $full"
for img in once.vhdx full.vhdx; do
        if grep -q "2 deleted: written" "$img.out"; then
                ok "$img: the scrub deleted the WSUS ids"
        else
                fail "$img: $(cat "$img.out" "$img.err" | tail -3)"
        fi
done
[ "$once" -gt "$soft" ] && [ "$once" -le $((soft * 13 / 10)) ] &&
        ok "the scrub reads $once bytes of the image: at most 1.3 x SOFTWARE" ||
        fail "the scrub read $once bytes of the image, over 1.3 x SOFTWARE ($soft)"
[ "$full" -ge $((soft * 3)) ] &&
        ok "VHIVE_COMMIT_FULL_READ=1: the commit reads the primary whole ($full bytes)" ||
        fail "VHIVE_COMMIT_FULL_READ=1 read $full bytes (SOFTWARE: $soft)"

# The results: clean, the same values, nothing left to scrub.
for img in once.vhdx full.vhdx; do
        "$VHIVE" check --backend direct --no-progress --profile wsus --json "$img" \
                >"$img.check" 2>&1
        rc=$?
        [ $rc -eq 0 ] && ok "$img: check passes" || fail "$img: check exit $rc: $(tail -2 "$img.check")"
        "$VHIVE" export --backend direct --no-progress "$img" 'HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion' \
                >"$img.reg" 2>&1 || fail "$img: export failed: $(tail -2 "$img.reg")"
        "$VHIVE" scrub --backend direct --no-progress --profile wsus "$img" >"$img.again" 2>&1 ||
                fail "$img: the second scrub failed: $(tail -2 "$img.again")"
        grep -q "written" "$img.again" && fail "$img: the second scrub wrote" ||
                ok "$img: a second scrub finds nothing to do"
done
cmp -s once.vhdx.reg full.vhdx.reg && [ -s once.vhdx.reg ] &&
        ok "both results export the same values" ||
        fail "the results differ: $(diff once.vhdx.reg full.vhdx.reg | head -5)"
finish
