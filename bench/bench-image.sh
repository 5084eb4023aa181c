#!/usr/bin/env bash
# bench-image.sh [-r RUNS] [-8] [IMAGE.vhdx]: issue "vhive on vDisk images", in one run
# on the same fixture VHDX (made by mkbench-image.sh when not given):
#   vhive scrub IMAGE               (appliance backend, one launch)
#   the virt-win-reg workflow       (Select\Current, export Interfaces to learn
#                                    the GUIDs, --merge a .reg: three launches)
#   guestfish --ro -a IMAGE run     (a bare appliance launch: the floor)
#   vhive scrub on 8 images at once (one launch for all)
# -8 times only the first and the last (8 images against one); with
# VHIVE_BEFORE set (another vhive, e.g. a build of main), also the same two
# with it, in the same run: before/after ratios under the same load.
# Prints medians and the ratios; hyperfine's JSON stays in the work folder.
set -euo pipefail

runs=3
only8=false
while getopts r:8 opt; do
        case $opt in
        r) runs=$OPTARG ;;
        8) only8=true ;;
        *) exit 2 ;;
        esac
done
shift $((OPTIND - 1))
here=$(cd "$(dirname "$0")/.." && pwd)
vhive=${VHIVE:-$here/build/cmd/vhive}
work=$(mktemp -d "${TMPDIR:-/tmp}/vhive-benchimage.XXXXXX")
echo "work folder: $work"
image=${1:-}
if [ -z "$image" ]; then
        image=$work/fixture.vhdx
        "$here/bench/mkbench-image.sh" "$image" 2G
fi
export VHIVE_BACKEND=appliance

# The workflow a user needs with virt-win-reg for the same result.
cat > "$work/virt-win-reg-workflow.sh" <<'WF'
#!/usr/bin/env bash
set -euo pipefail
img=$1 work=$2
cur=$(virt-win-reg --format vhdx "$img" 'HKLM\SYSTEM\Select' Current)
cs=$(printf 'ControlSet%03d' "$((cur))")
virt-win-reg --format vhdx "$img" "HKLM\\SYSTEM\\$cs\\Services\\Tcpip\\Parameters\\Interfaces" \
        > "$work/ifaces.reg"
{
        printf 'Windows Registry Editor Version 5.00\n\n'
        printf '[HKEY_LOCAL_MACHINE\\SYSTEM\\%s\\Services\\Tcpip\\Parameters]\n"NameServer"=""\n\n' "$cs"
        grep -o '^\[.*\\Interfaces\\{[^]]*}\]' "$work/ifaces.reg" | while read -r key; do
                printf '%s\n' "$key"
                for v in NameServer Domain DhcpIPAddress DhcpSubnetMask DhcpServer \
                         DhcpNameServer DhcpDefaultGateway; do
                        printf '"%s"=""\n' "$v"
                done
                printf '\n'
        done
} > "$work/blank.reg"
virt-win-reg --merge --format vhdx "$img" "$work/blank.reg"
WF
chmod +x "$work/virt-win-reg-workflow.sh"

for i in 1 2 3 4 5 6 7 8; do cp --sparse=always "$image" "$work/img$i.vhdx"; done
fresh="cp --sparse=always $image $work/img1.vhdx"
fresh8="for i in 1 2 3 4 5 6 7 8; do cp --sparse=always $image $work/img\$i.vhdx; done"

# hyperfine pairs the Nth -n and --prepare with the Nth command.
imgs8=$(printf "$work/img%d.vhdx " 1 2 3 4 5 6 7 8)
if $only8 && [ -n "${VHIVE_BEFORE:-}" ]; then
        hyperfine --runs "$runs" --export-json "$work/image.json" \
                -n vhive -n vhive-8-images -n before -n before-8-images \
                --prepare "$fresh" --prepare "$fresh8" --prepare "$fresh" --prepare "$fresh8" \
                "$vhive scrub $work/img1.vhdx" "$vhive scrub $imgs8" \
                "$VHIVE_BEFORE scrub $work/img1.vhdx" "$VHIVE_BEFORE scrub $imgs8"
elif $only8; then
        hyperfine --runs "$runs" --export-json "$work/image.json" \
                -n vhive -n vhive-8-images --prepare "$fresh" --prepare "$fresh8" \
                "$vhive scrub $work/img1.vhdx" "$vhive scrub $imgs8"
else
hyperfine --runs "$runs" --export-json "$work/image.json" \
        -n vhive -n virt-win-reg -n bare-launch -n vhive-8-images \
        --prepare "$fresh" --prepare "$fresh" --prepare true --prepare "$fresh8" \
        "$vhive scrub $work/img1.vhdx" \
        "$work/virt-win-reg-workflow.sh $work/img1.vhdx $work" \
        "guestfish --ro --format=vhdx -a $work/img1.vhdx run" \
        "$vhive scrub $(printf "$work/img%d.vhdx " 1 2 3 4 5 6 7 8)"
fi

python3 - "$work/image.json" <<'PY'
import json, statistics, sys
r = {x["command"]: statistics.median(x["times"]) for x in json.load(open(sys.argv[1]))["results"]}
for k, v in r.items():
    print(f"{k:16s} median {v:7.2f} s")
if 'virt-win-reg' in r:
    print(f"virt-win-reg workflow / vhive : {r['virt-win-reg'] / r['vhive']:.2f}x  (target >= 2.5)")
    print(f"vhive / bare launch          : {r['vhive'] / r['bare-launch']:.2f}x  (target <= 1.3)")
print(f"8 images / 1 image           : {r['vhive-8-images'] / r['vhive']:.2f}x  (target <= 1.6)")
if 'before' in r:
    print(f"before: 8 images / 1 image   : {r['before-8-images'] / r['before']:.2f}x")
    print(f"after / before, 1 image      : {r['vhive'] / r['before']:.2f}x")
    print(f"after / before, 8 images     : {r['vhive-8-images'] / r['before-8-images']:.2f}x")
PY
