#!/bin/bash
# --backup DIR copies the hive, and its .LOG1/.LOG2 when present, before
# writing; DIR is created when needed.
. "$(dirname "$0")/lib.sh"

# No logs.
hive=$(fixture one-iface "$T/a/SYSTEM")
cp "$hive" "$T/a.orig"
expect_rc 0 "scrub --backup (no logs, DIR created)" vh scrub --backup "$T/bak-a" "$hive"
same "$T/a.orig" "$T/bak-a/SYSTEM" "the backup is the original hive"
eq "$(ls -A "$T/bak-a" | tr '\n' ' ')" "SYSTEM " "only the hive is backed up"
verify_scrub "$T/a.orig" "$hive"
# Run again: nothing to write, so nothing to back up -- and above all the
# backup of the original must not be replaced by the scrubbed hive.
expect_rc 0 "second scrub --backup" vh scrub --backup "$T/bak-a" "$hive"
same "$T/a.orig" "$T/bak-a/SYSTEM" "a second run keeps the backup of the original"

# With (empty) logs beside it, in any letter case.
hive=$(fixture one-iface "$T/b/SYSTEM")
cp "$hive" "$T/b.orig"
: >"$T/b/SYSTEM.LOG1"
: >"$T/b/SYSTEM.log2"
: >"$T/b/SYSTEM.LOG3"      # not a log of this hive
: >"$T/b/SOFTWARE.LOG1"    # nor this
mkdir -p "$T/bak-b"
expect_rc 0 "scrub --backup with logs" vh scrub --backup "$T/bak-b" "$hive"
same "$T/b.orig" "$T/bak-b/SYSTEM" "the backup holds the original hive"
for l in SYSTEM.LOG1 SYSTEM.log2; do
        if [ -f "$T/bak-b/$l" ] && [ ! -s "$T/bak-b/$l" ]; then ok; else fail "backup lacks $l"; fi
        [ -f "$T/b/$l" ] && ok || fail "$l vanished from beside the hive"
done
for l in SYSTEM.LOG3 SOFTWARE.LOG1; do
        [ -e "$T/bak-b/$l" ] && fail "$l was backed up" || ok
done
verify_scrub "$T/b.orig" "$hive"

# Logs with content are copied byte for byte (a clean hive: they are not replayed).
hive=$(fixture multi-iface "$T/c/SYSTEM")
cp "$hive" "$T/c.orig"
head -c 3000 /dev/urandom >"$T/c/SYSTEM.LOG1"
cp "$T/c/SYSTEM.LOG1" "$T/c.log1"
expect_rc 0 "scrub --backup with a non-empty log" vh scrub --backup "$T/bak-c" "$hive"
same "$T/c.log1" "$T/bak-c/SYSTEM.LOG1" "the log is backed up byte for byte"
same "$T/c.log1" "$T/c/SYSTEM.LOG1" "a clean hive's log is left alone"
same "$T/c.orig" "$T/bak-c/SYSTEM" "the backup holds the original hive"
verify_scrub "$T/c.orig" "$hive"

# A backup that cannot be made stops the write.
hive=$(fixture one-iface "$T/d/SYSTEM")
cp "$hive" "$T/d.orig"
echo "a file, not a folder" >"$T/bak-file"
expect_rc 2 "scrub --backup FILE (not a folder)" vh scrub --backup "$T/bak-file" "$hive"
has "$T/err" "^vhive: .*SYSTEM: " "the failed backup is reported"
same "$T/d.orig" "$hive" "no backup, no write"
no_temp_left "$T/d" "failed backup"

finish
