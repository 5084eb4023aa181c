#!/bin/bash
# bench-download.sh [-n PAIRS] [-m MIB] [-o OUTDIR] [HIVE]
#
# Downloading a large file out of an image on the direct backend (issue 19:
# a 120 MB SOFTWARE).  Builds a 2 GiB VHDX (GPT, one NTFS partition) holding
# HIVE (default: a generated one) as SYSTEM and MIB MiB (default 120) of
# random bytes as SOFTWARE, then times in PAIRS alternating runs (default 9):
#   get     direct-tool --ro IMAGE vhdx get .../SOFTWARE /dev/null
#   before  the same with $DIRECT_TOOL_BEFORE (another build), when set
#   open    direct-tool --ro IMAGE vhdx size .../SOFTWARE (start, mount, stop:
#           get - open is the download alone)
#   cat     cat SOFTWARE > /dev/null         (the host floor, page-cached)
#   check   vhive check --backend direct --profile seed IMAGE (SYSTEM only)
# and prints medians, CPU time (perf stat task-clock, qemu-nbd included)
# and the bytes read: asked of the disk through NBD (LIBNBD_DEBUG's
# requests) and read from the VHDX file by qemu-nbd (strace).
#
# direct-tool is $DIRECT_TOOL, else build*/tests/direct/direct-tool; vhive
# is $VHIVE, else build*/cmd/vhive (its backend module beside it).  Needs
# mkntfs, sfdisk, qemu-img, qemu-nbd, strace, perf.
set -euo pipefail

pairs=9
mib=120
outdir=
while getopts n:m:o: opt; do
        case $opt in
        n) pairs=$OPTARG ;;
        m) mib=$OPTARG ;;
        o) outdir=$OPTARG ;;
        *) exit 2 ;;
        esac
done
shift $((OPTIND - 1))

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$here/lib.sh"

need mkntfs sfdisk qemu-img qemu-nbd strace perf
tool=$(need_built DIRECT_TOOL tests/direct/direct-tool)
vhive=$(need_built VHIVE cmd/vhive)
before=${DIRECT_TOOL_BEFORE:+$(realpath "$DIRECT_TOOL_BEFORE")}
export VHIVE_MODULE_DIR=${VHIVE_MODULE_DIR:-$(dirname "$(dirname "$vhive")")/lib}
outdir=$(work_dir "$outdir" bench-download)
cd "$outdir"

copy_or_gen_hive hive "$@"
head -c $((mib * 1024 * 1024)) /dev/urandom >software

# GPT, one NTFS partition filling 2 GiB: HIVE as SYSTEM, empty logs, SOFTWARE.
cfg=/Windows/System32/config
bash "$root/tests/fixtures/make-image.sh" "$tool" img.vhdx 2048 \
        $cfg/SYSTEM="$outdir/hive" $cfg/SYSTEM.LOG1= $cfg/SYSTEM.LOG2= \
        $cfg/SOFTWARE="$outdir/software"

"$tool" --ro img.vhdx vhdx get $cfg/SOFTWARE out || die "download failed"
cmp -s out software || die "the download differs from SOFTWARE"
rm -f out
echo "SOFTWARE $(stat -c %s software) bytes, SYSTEM $(stat -c %s hive) bytes;" \
        "direct-tool $tool${before:+, before: $before}; $pairs pairs"

# wall NAME CMD...: appends the wall time in ms to NAME.ms, CPU to NAME.cpu
wall() {
        local name=$1 s e
        shift
        s=$(now_ns)
        perf stat -x, -e task-clock -o perf.out "$@" >/dev/null 2>&1 || true
        e=$(now_ns)
        echo $(((e - s) / 1000000)) >>"$name.ms"
        awk -F, '/task-clock/ { printf "%d\n", $1 }' perf.out >>"$name.cpu"
}

rm -f ./*.ms ./*.cpu
get() { "$1" --ro img.vhdx vhdx get $cfg/SOFTWARE /dev/null; }
for ((i = 0; i < pairs; i++)); do
        wall get "$tool" --ro img.vhdx vhdx get $cfg/SOFTWARE /dev/null
        [[ -z $before ]] || wall before "$before" --ro img.vhdx vhdx get $cfg/SOFTWARE /dev/null
        wall open "$tool" --ro img.vhdx vhdx size $cfg/SOFTWARE
        wall cat cat software
        wall check "$vhive" check --backend direct --profile seed img.vhdx
done

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# NBD requests (bytes of the virtual disk) and qemu-nbd's reads of the file
nbd_bytes() {
        LIBNBD_DEBUG=1 get "$1" 2>&1 |
                awk '/nbd_(aio_)?pread: enter:/ {
                        for (i = 1; i <= NF; i++) if ($i ~ /^count=/) s += substr($i, 7) }
                     END { printf "%d", s }'
}
file_bytes() {
        rm -f strace.out.*
        # -ff: a file per thread, so no call is split over two lines
        strace -ff -y -e trace=pread64,preadv,read -o strace.out "$1" --ro img.vhdx vhdx \
                get $cfg/SOFTWARE /dev/null >/dev/null 2>&1
        cat strace.out.* | awk '/img\.vhdx>/ && / = [0-9]+$/ { s += $NF } END { printf "%d", s }'
        rm -f strace.out.*
}

for name in get before open cat check; do
        [[ -f $name.ms ]] || continue
        printf '%-7s median %6d ms   cpu %6d ms\n' "$name" "$(median "$name.ms")" \
                "$(median "$name.cpu")"
done
printf 'bytes through NBD: get %s' "$(nbd_bytes "$tool")"
[[ -z $before ]] || printf ', before %s' "$(nbd_bytes "$before")"
printf '\nbytes of img.vhdx read by qemu-nbd: get %s' "$(file_bytes "$tool")"
[[ -z $before ]] || printf ', before %s' "$(file_bytes "$before")"
printf '\n'
awk -v g="$(median get.ms)" -v o="$(median open.ms)" -v c="$(median check.ms)" \
        -v h="$(median cat.ms)" 'BEGIN {
        printf "download alone (get - open)               %d ms\n", g - o
        printf "(check seed + get - open) / check seed    %.2f\n", (c + g - o) / c
        printf "(get - open) / cat                        %.2f\n", (g - o) / h
}'
if [[ -n $before ]]; then
        awk -v g="$(median get.ms)" -v b="$(median before.ms)" -v o="$(median open.ms)" 'BEGIN {
                printf "get / before                              %.2f\n", g / b
                printf "download alone before (before - open)     %d ms\n", b - o
        }'
fi
