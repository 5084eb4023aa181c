#!/bin/bash
# bench-direct.sh [-r RUNS] [-a APPLIANCE_RUNS] [-p seed|lease] [-o OUTDIR] [HIVE]
#
# The direct backend against the appliance backend and against the floor,
# on the same VHDX (a GPT disk, one NTFS partition spanning it, HIVE as
# Windows/System32/config/SYSTEM):
#   direct     VHIVE_BACKEND=direct    vhive scrub 2G.vhdx
#   appliance  VHIVE_BACKEND=appliance vhive scrub 2G.vhdx
#   direct100  VHIVE_BACKEND=direct    vhive scrub 100G.vhdx  (same content, sparse)
#   hivefile   vhive scrub HIVE-copy                            (the hive file alone)
#   cp         cp HIVE x                         (the floor: reading + writing it)
# Every run works on a fresh copy (hyperfine --prepare), so each one writes.
# Prints medians and ratios.  Targets (issue 6): appliance/direct >= 50,
# direct/cp <= 5, direct100/direct about 1; (issue 10) direct100 < 0.5 s.
# Also counts the 4 KiB blocks of the VHDX file that one scrub changes, on
# each backend (issue 10: at most 64; the logged commit writes only the
# changed hive pages, their log entry and the base blocks).
#
# HIVE defaults to one made by gen-large-hive.sh.  vhive is $VHIVE, else
# build*/cmd/vhive; direct-tool (builds the images) is $DIRECT_TOOL, else
# build*/tests/direct/direct-tool.  Needs hyperfine, jq, mkntfs, sfdisk,
# qemu-img.  -a 0 skips the appliance (about 20 s a run without KVM).
set -euo pipefail

runs=10
aruns=3
profile=lease
outdir=
while getopts r:a:p:o: opt; do
        case $opt in
        r) runs=$OPTARG ;;
        a) aruns=$OPTARG ;;
        p) profile=$OPTARG ;;
        o) outdir=$OPTARG ;;
        *) exit 2 ;;
        esac
done
shift $((OPTIND - 1))

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$here/lib.sh"

need hyperfine jq mkntfs sfdisk qemu-img qemu-nbd
vhive=$(need_built VHIVE cmd/vhive)
tool=$(need_built DIRECT_TOOL tests/direct/direct-tool)
mkhive=$(need_built MKHIVE tests/fixtures/mkhive)
outdir=$(work_dir "$outdir" bench-direct)
cd "$outdir"

copy_or_gen_hive hive "$@"
# SOFTWARE tells the log format (Windows 10: new) when the logs are empty.
printf 'Windows Registry Editor Version 5.00\n\n%s\n"CurrentBuild"="19045"\n' \
        '[HKEY_LOCAL_MACHINE\SYSTEM\Microsoft\Windows NT\CurrentVersion]' >software.reg
sh "$root/tests/fixtures/make-hive.sh" "$mkhive" software software.reg

# make_vhdx SIZE_GIB OUT: GPT, one basic-data partition from 1 MiB to 1 MiB
# before the end, NTFS on it holding the hive and empty logs (make-image.sh).
make_vhdx() {
        local cfg=/Windows/System32/config
        bash "$root/tests/fixtures/make-image.sh" "$tool" "$2" $(($1 * 1024)) \
                $cfg/SYSTEM="$outdir/hive" $cfg/SYSTEM.LOG1= $cfg/SYSTEM.LOG2= \
                $cfg/SOFTWARE="$outdir/software"
}

make_vhdx 2 base2.vhdx
make_vhdx 100 base100.vhdx
size=$(stat -c %s hive)
echo "hive: $size bytes; base2.vhdx $(stat -c %s base2.vhdx) bytes (2 GiB virtual)," \
        "base100.vhdx $(stat -c %s base100.vhdx) bytes (100 GiB virtual)"
echo "vhive: $vhive, profile $profile, $runs runs ($aruns for the appliance)"

scrub() { # BACKEND IMAGE
        echo "env VHIVE_BACKEND=$1 $vhive scrub --profile $profile $outdir/$2"
}

# Each command must work once before it is timed.
cp base2.vhdx w2.vhdx
$(scrub direct w2.vhdx) >/dev/null || die "direct scrub failed"

# -N: no shell, so even the few-ms floor is measured, not guessed.
hyperfine -N --style basic --runs "$runs" --warmup 1 --export-json direct.json \
        --prepare "cp --sparse=always base2.vhdx w2.vhdx" -n direct "$(scrub direct w2.vhdx)" \
        --prepare "cp --sparse=always base100.vhdx w100.vhdx" \
        -n direct100 "$(scrub direct w100.vhdx)" \
        --prepare "cp hive whive" -n hivefile "$vhive scrub --profile $profile $outdir/whive" \
        --prepare "rm -f x" -n cp "cp hive x" \
        --prepare "rm -f x" -n cp+fsync "dd if=hive of=x bs=4M conv=fsync status=none"
if ((aruns > 0)); then
        hyperfine -N --style basic --runs "$aruns" --export-json appliance.json \
                --prepare "cp --sparse=always base2.vhdx w2.vhdx" \
                -n appliance "$(scrub appliance w2.vhdx)"
fi

# CPU (hf_cpu: user + system, mean, children included: qemu-nbd, the
# appliance): on a loaded machine wall time swings, the work done does not.

t_direct=$(hf_median direct.json direct)
t_direct100=$(hf_median direct.json direct100)
t_hivefile=$(hf_median direct.json hivefile)
t_cp=$(hf_median direct.json cp)
t_cpsync=$(hf_median direct.json cp+fsync)
c_direct=$(hf_cpu direct.json direct)
c_hivefile=$(hf_cpu direct.json hivefile)
t_app=0
c_app=0
if ((aruns > 0)); then
        t_app=$(hf_median appliance.json appliance)
        c_app=$(hf_cpu appliance.json appliance)
fi

awk -v d="$t_direct" -v d100="$t_direct100" -v hf="$t_hivefile" -v c="$t_cp" \
    -v cs="$t_cpsync" -v a="$t_app" -v cd="$c_direct" -v chf="$c_hivefile" -v ca="$c_app" '
BEGIN {
        printf "\nmedian direct (2 GiB VHDX)    %9.1f ms   cpu %7.1f ms\n", d * 1000, cd * 1000
        printf "median direct (100 GiB VHDX)  %9.1f ms\n", d100 * 1000
        if (a > 0)
                printf "median appliance (2 GiB VHDX) %9.1f ms   cpu %7.1f ms\n", \
                       a * 1000, ca * 1000
        printf "median vhive scrub hive file  %9.1f ms   cpu %7.1f ms\n", hf * 1000, chf * 1000
        printf "median cp of the hive (floor) %9.1f ms\n", c * 1000
        printf "median cp + fsync of the hive %9.1f ms\n", cs * 1000
        if (a > 0)
                printf "ratio appliance/direct        %9.1f   (target >= 50; cpu %.1f)\n", \
                       a / d, ca / cd
        if (c > 0)
                printf "ratio direct/cp               %9.1f   (target <= 5)\n", d / c
        if (cs > 0)
                printf "ratio direct/(cp + fsync)     %9.1f\n", d / cs
        printf "ratio direct/hive file        %9.1f   (cpu %.1f)\n", d / hf, cd / chf
        printf "ratio direct100/direct        %9.2f   (target about 1)\n", d100 / d
}'
# blocks BEFORE AFTER: 4 KiB blocks that differ (or exist in one file only).
blocks() {
        python3 - "$1" "$2" <<'PY'
import sys
a, b = (open(p, "rb") for p in sys.argv[1:3])
n = 0
while True:
    x, y = a.read(4096), b.read(4096)
    if not x and not y:
        break
    n += x != y
print(n)
PY
}
cp --sparse=always base2.vhdx b-direct.vhdx
$(scrub direct b-direct.vhdx) >/dev/null
echo "4 KiB blocks of the VHDX changed by one scrub: direct $(blocks base2.vhdx b-direct.vhdx)" \
        "(target <= 64)"
if ((aruns > 0)); then
        cp --sparse=always base2.vhdx b-app.vhdx
        $(scrub appliance b-app.vhdx) >/dev/null
        echo "4 KiB blocks of the VHDX changed by one scrub: appliance" \
                "$(blocks base2.vhdx b-app.vhdx) (target <= 64)"
fi
echo "results: $outdir/direct.json$( ((aruns > 0)) && echo ", $outdir/appliance.json")"
