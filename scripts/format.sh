#!/usr/bin/env bash
# Formats every C file of the repository with .clang-format (clang-format 14).
#   scripts/format.sh           rewrite the files in place
#   scripts/format.sh --check   change nothing; list the files that differ and
#                               exit 1 when any does (scripts/test.sh runs this)
set -uo pipefail
cd "$(dirname "$0")/.."

cf=$(command -v clang-format-14 || command -v clang-format) || {
        echo "format.sh: clang-format is not installed (apt-get install clang-format-14)" >&2
        exit 77
}
mapfile -t files < <(git ls-files '*.c' '*.h')
if [ "${1:-}" != --check ]; then
        exec "$cf" -i "${files[@]}"
fi
bad=0
for f in "${files[@]}"; do
        if ! "$cf" "$f" | cmp -s "$f" -; then
                n=$("$cf" "$f" | diff "$f" - | grep -c '^[<>]')
                echo "format.sh: $f: $n lines differ from clang-format" >&2
                bad=$((bad + 1))
        fi
done
if [ "$bad" -gt 0 ]; then
        echo "format.sh: $bad of ${#files[@]} files need scripts/format.sh" >&2
        exit 1
fi
echo "format.sh: all ${#files[@]} files formatted"
