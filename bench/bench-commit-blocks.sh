#!/bin/sh
# bench-commit-blocks.sh [-p seed|lease] [HIVE]
#
# How much of the disk a scrub writes with the logged commit (issue 10):
# the number of 4 KiB blocks of SYSTEM + SYSTEM.LOG1 + SYSTEM.LOG2 that
# differ after one scrub committed the way images are (commit-scrub: the
# job's VHIVE_COMMIT_LOGGED target over vhive_file_from_fd), for
#   empty   0-byte logs, new format (the log is extended first: every block
#           of the extension counts as written)
#   warm    logs left by an earlier commit (non-zero, as Windows leaves
#           them): a second scrub of a copy whose values were refilled
# A block counts when any byte of it differs, or when it is past the end
# of the file before.  Goal: at most 64 blocks.
#
# HIVE defaults to one made by gen-large-hive.sh (about 10.7 MiB).  The tool
# is $COMMIT_SCRUB, else build*/tests/commit/commit-scrub of this tree.
set -eu

profile=lease
while getopts p: opt; do
        case $opt in
        p) profile=$OPTARG ;;
        *) exit 2 ;;
        esac
done
shift $((OPTIND - 1))
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$here/lib.sh"

tool=$(need_built COMMIT_SCRUB tests/commit/commit-scrub)
need python3

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-commit.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
hive=${1:-}
if [ -z "$hive" ]; then
        hive=$tmp/large.hive
        "$here/gen-large-hive.sh" "$hive" >/dev/null
fi

# blocks BEFORE_DIR AFTER_DIR: differing 4 KiB blocks over the three files
blocks() {
        python3 - "$1" "$2" <<'PY'
import sys
total = 0
for name in ("SYSTEM", "SYSTEM.LOG1", "SYSTEM.LOG2"):
    a = open(f"{sys.argv[1]}/{name}", "rb").read()
    b = open(f"{sys.argv[2]}/{name}", "rb").read()
    n = 0
    for off in range(0, max(len(a), len(b)), 4096):
        if off + 4096 > len(a) or a[off:off + 4096] != b[off:off + 4096]:
            n += 1
    print(f"  {name}: {n} blocks ({len(a)} -> {len(b)} bytes)")
    total += n
print(f"  total: {total} blocks")
PY
}

run() { # LABEL DIR
        rm -rf "$tmp/before"
        cp -r "$2" "$tmp/before"
        out=$("$tool" -f new -p "$profile" "$2/SYSTEM")
        echo "$1: $out"
        blocks "$tmp/before" "$2"
}

mkdir "$tmp/a"
cp "$hive" "$tmp/a/SYSTEM"
: >"$tmp/a/SYSTEM.LOG1"
: >"$tmp/a/SYSTEM.LOG2"
echo "hive: $hive ($(wc -c <"$hive") bytes), profile $profile"
run empty "$tmp/a"

# Warm logs: the logs as the first commit left them, beside the original
# (clean, older) hive: what a second scrub of a re-sealed image meets.
mkdir "$tmp/b"
cp "$hive" "$tmp/b/SYSTEM"
cp "$tmp/a/SYSTEM.LOG1" "$tmp/a/SYSTEM.LOG2" "$tmp/b/"
run warm "$tmp/b"
