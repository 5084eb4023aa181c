#!/bin/sh
# bench-scrub.sh [-r RUNS] [-p seed|lease] [-o OUTDIR] [-a PAIRS] [HIVE]
#
# With -a PAIRS (issue 20's measure, instead of the hyperfine run): PAIRS
# alternating pairs of
#   cp HIVE w && vhive scrub w                      (the scrub of a fresh copy)
#   cp HIVE w && cp w y && sync y                   (the floor: copy, durably)
# timed each, the pair's order alternating; prints both medians and the
# median of the pairs' ratios, the peak RSS of one scrub (GNU time) against
# the hive size + 20 MiB, and the bytes one scrub reads from the files of
# OUTDIR (strace -y: read, pread, sendfile... return values on those files, every
# process; a copy read from a memfd is not counted).
#
# With VHIVE_BEFORE=OTHER/cmd/vhive (-a only), each round also times the
# scrub by that build (the order rotating), and prints its median, its ratio
# and the median of the rounds' ratios after/before, and its peak RSS.
#
# Times, on a fresh copy of a large hive each iteration,
#   vhive scrub --profile P HIVE
#   hivexregedit --merge HIVE blank.reg   (blanking the same values)
#   cp HIVE OUTDIR/x                      (the floor: reading + writing the file)
#   cp HIVE OUTDIR/y && sync OUTDIR/y     (the floor for a durable write)
# with hyperfine (--prepare restores the copy, --export-json), then prints the
# medians and the ratios vhive/hivexregedit and vhive/cp, and the peak RSS of
# vhive scrub (GNU time -v) against the hive size.
#
# HIVE defaults to one made by gen-large-hive.sh (about 11 MB).  vhive is
# $VHIVE, else build*/cmd/vhive of this tree.  Needs hyperfine, GNU time
# (/usr/bin/time), jq, hivexregedit and hivexget (libhivex-bin).
set -eu

runs=10
profile=lease
outdir=
pairs=
while getopts r:p:o:a: opt; do
        case $opt in
        r) runs=$OPTARG ;;
        p) profile=$OPTARG ;;
        o) outdir=$OPTARG ;;
        a) pairs=$OPTARG ;;
        *) exit 2 ;;
        esac
done
shift $((OPTIND - 1))

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$here/lib.sh"

# The peak RSS (KiB) of one scrub by $1 of a fresh copy of $2.
peak_rss() {
        cp "$2" "$outdir/w.hive"
        /usr/bin/time -v -o "$outdir/time.txt" "$1" scrub --profile "$profile" "$outdir/w.hive" \
                >/dev/null
        awk -F': ' '/Maximum resident set size/ { print $2 }' "$outdir/time.txt"
}

# One timed run of $1 (s: cp + scrub by $vhive, b: by $VHIVE_BEFORE, f: the
# floor) on a fresh copy of $2; prints its wall time in ns.
time_one() {
        w=$outdir/w.hive
        rm -f "$w" "$outdir/y"
        t0=$(now_ns)
        case $1 in
        s) cp "$2" "$w" && "$vhive" scrub --profile "$profile" "$w" >/dev/null ;;
        b) cp "$2" "$w" && "$before" scrub --profile "$profile" "$w" >/dev/null ;;
        f) cp "$2" "$w" && cp "$w" "$outdir/y" && sync "$outdir/y" ;;
        esac
        t1=$(now_ns)
        echo $((t1 - t0))
}

# The order of the runs of round $1: rotated each round so that none
# always follows another.
round_order() {
        if [ -n "$before" ]; then
                case $(($1 % 3)) in
                0) echo s b f ;;
                1) echo b f s ;;
                *) echo f s b ;;
                esac
        elif [ $(($1 % 2)) = 0 ]; then
                echo s f
        else
                echo f s
        fi
}

# cp + scrub against cp + cp + sync, alternating (with VHIVE_BEFORE, the
# scrub of that build too, in the same rounds).
run_pairs() {
        src=$1
        w=$outdir/w.hive
        size=$(stat -c %s "$src")
        echo "hive: $src ($size bytes), profile $profile, $pairs pairs, vhive: $vhive"
        [ -z "$before" ] || echo "before: $before"
        : >"$outdir/pairs.txt"
        for i in $(seq 1 "$pairs"); do
                tb=0
                for which in $(round_order "$i"); do
                        t=$(time_one "$which" "$src")
                        case $which in
                        s) ts=$t ;;
                        b) tb=$t ;;
                        f) tf=$t ;;
                        esac
                done
                echo "$ts $tf $tb" >>"$outdir/pairs.txt"
        done
        rss_kb=$(peak_rss "$vhive" "$src")
        rss_before=0
        [ -z "$before" ] || rss_before=$(peak_rss "$before" "$src")
        cp "$src" "$w"
        read_bytes=-
        if command -v strace >/dev/null; then
                calls=read,pread64,readv,preadv,sendfile,copy_file_range,splice
                strace -f -qq -y -e trace=$calls -o "$outdir/strace.txt" \
                        "$vhive" scrub --profile "$profile" "$w" >/dev/null
                # Only reads of files in $outdir (the hive, its temp file),
                # not of a memfd or a library.
                read_bytes=$(awk -v d="<$outdir/" 'index($0, d) && /= [0-9]+$/ { n += $NF }
                        END { print n + 0 }' "$outdir/strace.txt")
        fi
        awk -v rss="$rss_kb" -v rssb="$rss_before" -v size="$size" -v rb="$read_bytes" \
                "$awk_median"'
        { s[NR] = $1; f[NR] = $2; r[NR] = $1 / $2; b[NR] = $3; rb_[NR] = $3 / $2
          sb[NR] = $3 ? $1 / $3 : 0 }
        END {
                printf "median cp + scrub         %8.1f ms\n", median(s, NR) / 1e6
                printf "median cp + cp + sync     %8.1f ms\n", median(f, NR) / 1e6
                printf "median ratio of the pairs %8.3f  (target <= 1.2)\n", median(r, NR)
                if (rssb) {
                        printf "before: median cp + scrub %8.1f ms, ratio of the pairs %.3f\n",
                               median(b, NR) / 1e6, median(rb_, NR)
                        printf "median ratio after/before %8.3f\n", median(sb, NR)
                }
                printf "peak RSS vhive scrub      %8.1f MiB; hive %.1f MiB; 1.2x+20: %.1f MiB\n",
                       rss / 1024, size / 1048576, 1.2 * size / 1048576 + 20
                if (rssb)
                        printf "peak RSS before           %8.1f MiB\n", rssb / 1024
                if (rb != "-")
                        printf "bytes read by one scrub   %d (%.2f x the hive)\n", rb, rb / size
        }' "$outdir/pairs.txt"
        echo "rounds (ns: scrub, floor, before): $outdir/pairs.txt"
}

# setup [HIVE]: the work folder ($outdir, made when not given) and the hive
# to measure in it, large.hive (a copy of HIVE, else generated).
setup() {
        vhive=$(need_built VHIVE cmd/vhive)
        before=${VHIVE_BEFORE:-}
        outdir=$(work_dir "$outdir" bench-scrub)
        copy_or_gen_hive "$outdir/large.hive" "$@"
}

if [ -n "$pairs" ]; then
        need /usr/bin/time
        setup "$@"
        run_pairs "$outdir/large.hive"
        exit 0
fi

need hyperfine /usr/bin/time jq hivexregedit hivexget
setup "$@"
"$here/mk-blank-reg.sh" --profile "$profile" "$outdir/large.hive" >"$outdir/blank.reg"

src=$outdir/large.hive
work=$outdir/work.hive
size=$(stat -c %s "$src")
echo "hive: $src ($size bytes), profile $profile, $runs runs, vhive: $vhive"

# Each command must succeed on a fresh copy before it is timed.
cp "$src" "$work"
"$vhive" scrub --profile "$profile" "$work" >/dev/null || die "vhive scrub failed"

hyperfine --style basic --runs "$runs" --warmup 1 \
        --prepare "cp '$src' '$work'" \
        --export-json "$outdir/bench.json" \
        -n vhive "'$vhive' scrub --profile $profile '$work'" \
        -n hivexregedit "hivexregedit --merge --prefix 'HKEY_LOCAL_MACHINE\\SYSTEM' '$work' '$outdir/blank.reg'" \
        -n cp "cp '$work' '$outdir/x'" \
        -n cp-fsync "cp '$work' '$outdir/y' && sync '$outdir/y'"

median() { hf_median "$outdir/bench.json" "$1"; }

# user + system CPU, mean: wall time includes vhive's fsyncs (hivexregedit
# and cp do not sync), which depend on the disk more than on the code.
cpu() { hf_cpu "$outdir/bench.json" "$1"; }

t_vhive=$(median vhive)
t_hivex=$(median hivexregedit)
t_cp=$(median cp)
t_cps=$(median cp-fsync)
c_vhive=$(cpu vhive)
c_hivex=$(cpu hivexregedit)
c_cp=$(cpu cp)

cp "$src" "$work"
/usr/bin/time -v -o "$outdir/time.txt" "$vhive" scrub --profile "$profile" "$work" >/dev/null
rss_kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$outdir/time.txt")

awk -v v="$t_vhive" -v h="$t_hivex" -v c="$t_cp" -v cs="$t_cps" -v rss="$rss_kb" -v size="$size" \
    -v cv="$c_vhive" -v ch="$c_hivex" -v cc="$c_cp" 'BEGIN {
        printf "\nmedian vhive scrub       %8.1f ms\n", v * 1000
        printf "median hivexregedit      %8.1f ms\n", h * 1000
        printf "median cp                %8.1f ms\n", c * 1000
        printf "ratio vhive/hivexregedit %8.3f\n", v / h
        printf "median cp + fsync        %8.1f ms\n", cs * 1000
        printf "ratio vhive/cp           %8.1f\n", v / c
        printf "ratio vhive/(cp + fsync) %8.1f  (vhive fsyncs its writes; cp does not)\n", v / cs
        printf "cpu (user+sys, mean)     vhive %.1f ms, hivexregedit %.1f ms, cp %.1f ms\n", \
               cv * 1000, ch * 1000, cc * 1000
        printf "cpu ratio vhive/hivexregedit %4.3f, vhive/cp %.1f\n", cv / ch, cv / cc
        printf "peak RSS vhive scrub     %8.1f MiB (%d KiB)\n", rss / 1024, rss
        printf "hive size                %8.1f MiB\n", size / 1048576
        printf "ratio RSS/hive size      %8.2f\n", rss * 1024 / size
}'
echo "results: $outdir/bench.json, $outdir/time.txt"
