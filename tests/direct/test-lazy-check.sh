#!/bin/bash
# check reads a clean hive lazily (lib/hive/lazy-reader.c): only the cells
# on the rules' paths, in place in the image (direct backend) or in the
# hive file, no download, no hivex.  Its output must be today's, byte for
# byte: every check here runs both ways (VHIVE_CHECK_FULL_READ=1 forces
# the full read) and compares stdout, --json and the exit code, on the
# SOFTWARE fixtures (clean, and dirty with its logs: read the full way),
# every shipped pack, and the identity report of two images.  Then, on an
# image with a 24 MiB SOFTWARE (mkbighive), the lazy check reads far fewer
# bytes of the image than SOFTWARE holds (strace), the full one more.
# usage: test-lazy-check.sh DIRECT_TOOL
. "$(dirname "$0")/../lib.sh"

tool=$1
image_test_setup lazy-check

cfg=/Windows/System32/config
S=$FIXTURES/software-system.hive
W=$FIXTURES/software.hive
D=$FIXTURES/software-dirty.hive
sys=("$cfg/SYSTEM=$S" "$cfg/SYSTEM.LOG1=" "$cfg/SYSTEM.LOG2=")
bash "$MAKE_IMAGE" "$tool" clean.vhdx 32 "${sys[@]}" "$cfg/SOFTWARE=$W" "$cfg/SOFTWARE.LOG1=" \
        "$cfg/SOFTWARE.LOG2=" || die "make-image.sh clean.vhdx failed"
bash "$MAKE_IMAGE" "$tool" dirty.vhdx 32 "${sys[@]}" "$cfg/SOFTWARE=$D" \
        "$cfg/SOFTWARE.LOG1=$D.LOG1" "$cfg/SOFTWARE.LOG2=$D.LOG2" ||
        die "make-image.sh dirty.vhdx failed"
cp clean.vhdx clone.vhdx

all=$(cd "$VHIVE_RULES_DIR" && ls -- *.rules | sed 's/\.rules$//' | paste -sd, -)

# both NAME ARGS...: vhive ARGS run lazily and the full way agree.
both() {
        local name=$1 rl=0 rf=0
        shift
        "$VHIVE" "$@" >lazy.out 2>lazy.err || rl=$?
        VHIVE_CHECK_FULL_READ=1 "$VHIVE" "$@" >full.out 2>full.err || rf=$?
        if [ $rl = $rf ] && cmp -s lazy.out full.out && cmp -s lazy.err full.err; then
                ok "$name: the same output both ways (exit $rl)"
        else
                fail "$name: lazy exit $rl, full $rf; $(diff full.out lazy.out | head -5)" \
                        "$(diff full.err lazy.err | head -5)"
        fi
        [ $rl -le 1 ] || fail "$name: exit $rl: $(tail -2 lazy.err)"
}

for prof in seed seed,wsus "$all"; do
        for img in clean.vhdx dirty.vhdx; do
                both "$img --profile $prof --json" check --backend direct --no-progress \
                        --profile "$prof" --json "$img"
                both "$img --profile $prof" check --backend direct --no-progress \
                        --profile "$prof" "$img"
        done
        for h in "$S" "$W" "$D"; do
                [ "$prof" = seed ] && [ "$h" != "$S" ] && continue
                both "$(basename "$h") --profile $prof --json" check --no-progress \
                        --profile "$prof" --json "$h"
        done
done
both "the identity report of two clones" check --backend direct --no-progress \
        --profile "$all" --json clean.vhdx clone.vhdx dirty.vhdx
grep -q '"shared"' lazy.out && ok "the report has its shared values" ||
        fail "no shared report in: $(head -c 300 lazy.out)"
both "--all-controlsets" check --backend direct --no-progress --all-controlsets \
        --profile seed --json clean.vhdx

# ---- bytes read -------------------------------------------------------------------
command -v strace >/dev/null || { finish; exit; }
[ -n "${MKBIGHIVE:-}" ] && [ -x "$MKBIGHIVE" ] || { finish; exit; }
"$MKBIGHIVE" -m 24 bulk.hive || die "mkbighive failed"
sh "$FIXTURES_SRC/make-hive.sh" --base bulk.hive "$MKHIVE" SOFTWARE "$FIXTURES_SRC/software.reg" ||
        die "make-hive.sh --base failed"
bash "$MAKE_IMAGE" "$tool" big.vhdx 64 "${sys[@]}" "$cfg/SOFTWARE=$T/SOFTWARE" \
        "$cfg/SOFTWARE.LOG1=" "$cfg/SOFTWARE.LOG2=" || die "make-image.sh big.vhdx failed"
soft=$(stat -c %s SOFTWARE)

# bytes_read [ENV...]: what one check --profile seed,wsus reads of big.vhdx,
# qemu-nbd's threads included (bench/bench-software.sh's measure).
bytes_read() {
        rm -rf st && mkdir st
        # LeakSanitizer does not work under ptrace
        env ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 "$@" \
                strace -ff -qq -y -e trace=read,pread64,readv,preadv,preadv2 -o st/t \
                "$VHIVE" check --backend direct --no-progress --profile seed,wsus big.vhdx \
                >/dev/null 2>&1
        cat st/t.* | awk -v d="<$T/big.vhdx>" \
                'index($0, d) && /= [0-9]+$/ { n += $NF } END { print n + 0 }'
}
lazy=$(bytes_read)
full=$(bytes_read VHIVE_CHECK_FULL_READ=1)
echo "# SOFTWARE $soft bytes; read from the image: lazy $lazy, full $full"
[ "$full" -gt "$soft" ] && ok "the full read reads all of SOFTWARE ($full bytes)" ||
        fail "the full read read $full bytes, SOFTWARE is $soft"
[ "$lazy" -gt 0 ] && [ "$lazy" -lt $((soft / 8)) ] &&
        ok "the lazy check reads $lazy bytes, under an eighth of SOFTWARE" ||
        fail "the lazy check read $lazy bytes of the image (SOFTWARE: $soft)"
both "big.vhdx --profile seed,wsus --json" check --backend direct --no-progress \
        --profile seed,wsus --json big.vhdx
finish
