#!/bin/bash
# bench-image-scrub.sh [-n PAIRS] [-m MIB] [-P PROFILE] [-i IMAGE] [-o OUTDIR]
#
# Issue 20 at SOFTWARE scale, on the direct backend: what one scrub that
# writes costs on an image holding a large SOFTWARE.  The image is IMAGE, or
# one made as bench-software.sh makes it (GPT, NTFS, 2 GiB VHDX: the 10.7 MiB
# generated SYSTEM and a generated SOFTWARE of about MIB MiB, default 120,
# with the identity keys of tests/fixtures/software.reg, each with empty
# logs).  Each run scrubs a fresh sparse copy (cp --sparse=always, then sync
# FILE: not timed):
#   after:  $VHIVE scrub --backend direct --profile PROFILE COPY   (default wsus)
#   before: $VHIVE_BEFORE, the same (when set: another build, e.g. main's)
# alternating (before, after, before, after...), PAIRS times each (default
# 5), and also the no-op: the same scrub of a copy already scrubbed (nothing
# to write) by $VHIVE, for the floor.  Prints the medians (wall, and user +
# system CPU from GNU time), the median of the pairs' ratios after/before,
# the peak RSS (the largest of the runs), and the bytes one scrub of each
# reads from the image file (strace -ff -y: read/pread/preadv on the image,
# qemu-nbd's threads included) against the size of SOFTWARE.  Each side's
# result must pass `vhive check` (exit 0 or 1) and its scrub must say
# "written"; the script stops otherwise.
#
# vhive is $VHIVE, else build*/cmd/vhive; direct-tool (the size of SOFTWARE;
# the image), mkhive, mkbighive as in bench-software.sh.  A given IMAGE is a
# VHDX.  The packs are the tree's (VHIVE_RULES_DIR=rules/)
# unless VHIVE_RULES_DIR is set.  Needs cp, /usr/bin/time, strace (for the
# bytes), and, to make the image, what bench-software.sh needs.  Work files
# stay in OUTDIR (default: a new folder under $TMPDIR).
set -euo pipefail

pairs=5
mib=120
profile=wsus
image=
outdir=
while getopts n:m:P:i:o: opt; do
        case $opt in
        n) pairs=$OPTARG ;;
        m) mib=$OPTARG ;;
        P) profile=$OPTARG ;;
        i) image=$OPTARG ;;
        o) outdir=$OPTARG ;;
        *) exit 2 ;;
        esac
done
shift $((OPTIND - 1))
[[ $# -eq 0 ]] || {
        echo "usage: bench-image-scrub.sh [-n PAIRS] [-m MIB] [-P PROFILE] [-i IMAGE]" \
                "[-o OUTDIR]" >&2
        exit 2
}

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$here/lib.sh"

need cp /usr/bin/time
vhive=$(need_built VHIVE cmd/vhive)
mkhive=$(find_built MKHIVE tests/fixtures/mkhive || true)
before=${VHIVE_BEFORE:-}
[[ -z $before ]] || before=$(realpath -m "$before")
[[ -z $before || -x $before ]] || die "VHIVE_BEFORE=$before is not executable"
[[ -z $image ]] || image=$(realpath "$image")
tool=$(need_built DIRECT_TOOL tests/direct/direct-tool)
outdir=$(work_dir "$outdir" bench-image-scrub)
cd "$outdir"
export VHIVE_RULES_DIR=${VHIVE_RULES_DIR:-$root/rules}

# ---- the image ----------------------------------------------------------------------
if [[ -z $image ]]; then
        need mkntfs sfdisk qemu-img qemu-nbd hivexregedit python3
        [[ -n $mkhive ]] || die "no tests/fixtures/mkhive: build the tree or set MKHIVE"
        if ! mkbig=$(find_built MKBIGHIVE tests/fixtures/mkbighive); then
                ${CC:-cc} -std=gnu11 -O2 -o mkbighive "$root/tests/fixtures/mkbighive.c"
                mkbig=$outdir/mkbighive
        fi
        rm -f SYSTEM SOFTWARE bulk.hive image.vhdx
        MKHIVE=$mkhive "$here/gen-large-hive.sh" SYSTEM
        "$mkbig" -m "$mib" bulk.hive
        sh "$root/tests/fixtures/make-hive.sh" --base bulk.hive "$mkhive" SOFTWARE \
                "$root/tests/fixtures/software.reg"
        rm -f bulk.hive
        cfg=/Windows/System32/config
        bash "$root/tests/fixtures/make-image.sh" "$tool" image.vhdx 2048 \
                $cfg/SYSTEM="$outdir/SYSTEM" $cfg/SYSTEM.LOG1= $cfg/SYSTEM.LOG2= \
                $cfg/SOFTWARE="$outdir/SOFTWARE" $cfg/SOFTWARE.LOG1= \
                $cfg/SOFTWARE.LOG2=
        image=$outdir/image.vhdx
fi
soft=$("$tool" --ro "$image" vhdx size /Windows/System32/config/SOFTWARE 2>/dev/null ||
        echo 0)
echo "image: $image; SOFTWARE: $soft bytes; profile $profile"
echo "after: $vhive"
[[ -z $before ]] || echo "before: $before"
echo "load: $(uptime)"

fresh() { # OUT: a sparse copy of the image, on disk (the commit's first
        # flush would otherwise write back what cp left dirty: 0.3 s)
        rm -f "$1"
        cp --sparse=always "$image" "$1"
        sync "$1"
}

scrub() { # VHIVE COPY RSSFILE: one timed scrub; prints "ns user+sys maxrss"
        local s e
        s=$(now_ns)
        /usr/bin/time -f '%U %S %M' -o "$3" "$1" scrub --backend direct --no-progress \
                --profile "$profile" "$2" >scrub.out 2>&1 || {
                sed 's/^/  | /' scrub.out >&2
                die "$1 scrub failed"
        }
        e=$(now_ns)
        awk -v t=$((e - s)) '{ printf "%d %.3f %d\n", t, $1 + $2, $3 }' "$3"
}

# Each side once, checked: it writes, and its result passes vhive check.
for v in ${before:+"$before"} "$vhive"; do
        fresh check.vhdx
        scrub "$v" check.vhdx rss.once >/dev/null
        grep -q ': written' scrub.out || die "$v: the scrub wrote nothing: $(tail -n 1 scrub.out)"
        rc=0
        "$vhive" check --backend direct --no-progress --profile "$profile" check.vhdx \
                >/dev/null 2>&1 || rc=$?
        ((rc <= 1)) || die "$v: vhive check of its result failed (exit $rc)"
done

# ---- alternating runs ---------------------------------------------------------------
: >runs.txt
for ((i = 0; i < pairs; i++)); do
        line=
        if [[ -n $before ]]; then
                fresh work.vhdx
                line=$(scrub "$before" work.vhdx rss.b)
        else
                line="0 0 0"
        fi
        fresh work.vhdx
        line="$line $(scrub "$vhive" work.vhdx rss.a)"
        # The no-op: work.vhdx is scrubbed already.
        line="$line $(scrub "$vhive" work.vhdx rss.n)"
        echo "$line" >>runs.txt
done

# ---- bytes read from the image by one scrub of each ---------------------------------
bytes_read() { # VHIVE
        fresh trace.vhdx
        rm -rf strace.d && mkdir strace.d
        strace -ff -qq -y -e trace=read,pread64,readv,preadv,preadv2 -o strace.d/t \
                "$1" scrub --backend direct --no-progress --profile "$profile" trace.vhdx \
                >/dev/null 2>&1 || true
        cat strace.d/t.* | awk -v d="<$outdir/trace.vhdx>" \
                'index($0, d) && /= [0-9]+$/ { n += $NF } END { print n + 0 }'
}
read_a=- read_b=-
if command -v strace >/dev/null; then
        read_a=$(bytes_read "$vhive")
        [[ -z $before ]] || read_b=$(bytes_read "$before")
fi
rm -f work.vhdx trace.vhdx check.vhdx

awk -v ra="$read_a" -v rb="$read_b" -v soft="$soft" -v hb="${before:+1}" "$awk_median"'
{
        tb[NR] = $1; cb[NR] = $2; mb = $3 > mb ? $3 : mb
        ta[NR] = $4; ca[NR] = $5; ma = $6 > ma ? $6 : ma
        tn[NR] = $7; cn[NR] = $8; mn = $9 > mn ? $9 : mn
        if (hb) r[NR] = $4 / $1
}
END {
        printf "\n%d alternating rounds (medians)\n", NR
        fmt = "%-7s wall %8.1f ms   user+sys %6.2f s   peak RSS %7.1f MiB\n"
        if (hb)
                printf fmt, "before", median(tb, NR) / 1e6, median(cb, NR), mb / 1024
        printf fmt, "after", median(ta, NR) / 1e6, median(ca, NR), ma / 1024
        printf fmt, "no-op", median(tn, NR) / 1e6, median(cn, NR), mn / 1024
        if (hb)
                printf "median of the ratios after/before of the rounds: %.2f\n", median(r, NR)
        if (ra == "-") {
                print "bytes read from the image: strace not installed"
                exit
        }
        x = soft > 0 ? sprintf(" (%.2f x SOFTWARE)", ra / soft) : ""
        printf "bytes read from the image by one scrub: after %d%s", ra, x
        if (hb)
                printf ", before %d%s", rb, (soft > 0 ? sprintf(" (%.2f x)", rb / soft) : "")
        printf "\n"
}' runs.txt
echo "runs (before ns cpu KiB, after ns cpu KiB, no-op ns cpu KiB): $outdir/runs.txt"
