#!/usr/bin/env bash
# The test command: installs dependencies, builds with AddressSanitizer and
# UndefinedBehaviorSanitizer, runs every suite, checks the release build
# (-Werror with every warning) and the formatting, and ends with the line
# "N passed, N failed" (skipped tests are listed, not counted as either).
set -uo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh || exit 2
build=${VHIVE_TEST_BUILD:-build-test}
if [ ! -d "$build" ]; then
        meson setup "$build" -Db_sanitize=address,undefined -Dbuildtype=debug || exit 2
fi
ninja -C "$build" || { echo "0 passed, 1 failed"; exit 1; }

meson test -C "$build" --print-errorlogs --num-processes 2 --timeout-multiplier 4 "$@"
status=$?

# The optimiser sees warnings (-Werror) that the debug build does not: the
# release build must compile too.  Counted as one more test.
release_ok=1
if [ ! -d build-release ]; then
        meson setup build-release -Dbuildtype=release -Dtests=disabled >/dev/null || release_ok=0
fi
ninja -C build-release >/dev/null || release_ok=0
[ $release_ok = 1 ] && echo "release build (-O3 -Werror): OK" || {
        echo "release build (-O3 -Werror): FAIL"; status=1; }

# The conventions are checked, not only written: every C file as
# .clang-format has it (scripts/format.sh fixes it).  One more test.
format_ok=1
./scripts/format.sh --check || format_ok=0
[ $format_ok = 1 ] && echo "formatting (clang-format): OK" || {
        echo "formatting (clang-format): FAIL (run scripts/format.sh)"; status=1; }

python3 - "$build/meson-logs/testlog.json" "$release_ok" "$format_ok" <<'PY'
import json, sys
passed = (sys.argv[2] == "1") + (sys.argv[3] == "1")
failed = 2 - passed
skipped = []
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t["result"] in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif t["result"] == "SKIP":
        skipped.append(t["name"])
    else:
        failed += 1
if skipped:
    print("skipped: " + ", ".join(skipped))
print(f"{passed} passed, {failed} failed")
PY
exit $status
