#!/bin/sh
# Generates the dirty-hive cases with mkdirty and checks the replay of each.
# Usage: run-fixtures.sh MKDIRTY CHECK-REPLAY [CLEAN_HIVE]
set -eu
mkdirty=$1
check=$2
clean=${3-}
if [ -n "$clean" ] && [ ! -f "$clean" ]; then
        echo "clean hive $clean was not built: skipped" >&2
        exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2086
"$mkdirty" "$tmp" $clean
"$check" "$tmp"
