#!/bin/bash
# Bad input: exit 2, a clear message on stderr naming the target, and the
# file exactly as it was (no temp file left either).
. "$(dirname "$0")/lib.sh"

# refused WHAT REGEX CMD... : vhive CMD exits 2, stderr matches REGEX.
refused() {
        local what=$1 re=$2
        shift 2
        expect_rc 2 "$what" vh "$@"
        has "$T/err" "$re" "$what: message"
}

# bad_file NAME REGEX: scrub and check refuse NAME ($T/NAME), unchanged.
bad_file() {
        local f="$T/$1" re=$2
        cp -p "$f" "$T/$1.orig"
        refused "scrub $1" "^vhive: $f: .*($re)" scrub "$f"
        same "$T/$1.orig" "$f" "scrub $1 leaves it unchanged"
        refused "check $1" "^vhive: $f: .*($re)" check "$f"
        same "$T/$1.orig" "$f" "check $1 leaves it unchanged"
}

# Not a hive: a text file (taken for a raw disk image, which it is not).
printf 'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM]\r\n' >"$T/notes.reg"
bad_file notes.reg "not a (registry )?hive|partition|image|NTFS|Windows"

# An empty file.
: >"$T/empty"
bad_file empty "empty|0 bytes|not a (registry )?hive"

# A truncated hive: the header promises more hive bins than the file holds.
head -c 6000 "$FIXTURES/one-iface.hive" >"$T/truncated.hive"
bad_file truncated.hive "truncated"
# Shorter than the base block.
head -c 1000 "$FIXTURES/one-iface.hive" >"$T/stub.hive"
bad_file stub.hive "truncated|short"

# Not a SYSTEM hive, or no way to tell the current control set.
fixture no-select >/dev/null
bad_file no-select.hive "Select"
fixture no-select-cs >/dev/null
bad_file no-select-cs.hive "Select"
fixture no-current >/dev/null
bad_file no-current.hive "Current"
fixture bad-current >/dev/null
bad_file bad-current.hive "ControlSet003"

# A directory, a path that does not exist.
mkdir "$T/adir"
refused "scrub DIR" "^vhive: $T/adir: .*(directory|not a regular file)" scrub "$T/adir"
refused "check DIR" "^vhive: $T/adir: .*(directory|not a regular file)" check "$T/adir"
refused "scrub MISSING" "^vhive: $T/missing: .*No such file" scrub "$T/missing"
refused "check MISSING" "^vhive: $T/missing: .*No such file" check "$T/missing"
[ -e "$T/missing" ] && fail "scrub created the missing target" || ok

# A bad checksum (a header byte flipped, checksum not mended): the hive is
# dirty; with no log to replay, scrub must refuse and write nothing, while
# check still reports, saying that it is dirty.
hive=$(fixture one-iface "$T/dirty/SYSTEM")
printf '\x5a' | dd of="$hive" bs=1 seek=100 conv=notrunc status=none
cp "$hive" "$T/dirty.orig"
read -r s1 s2 cks _ < <("$PYTHON" "$REGCHECK" header "$hive")
eq "$cks" False "the damaged fixture has a bad checksum"
refused "scrub on a bad checksum, no logs" "^vhive: $hive: .*(dirty|log|checksum)" scrub "$hive"
same "$T/dirty.orig" "$hive" "scrub on a bad checksum writes nothing"
refused "scrub -o on a bad checksum" "^vhive: $hive: .*(dirty|log|checksum)" \
        scrub -o "$T/dirty/out.hive" "$hive"
[ -e "$T/dirty/out.hive" ] && fail "scrub -o wrote a dirty hive's result" || ok
vh check "$hive"
if [ "$RC" -eq 0 ] || [ "$RC" -eq 1 ]; then ok; else fail "check on a dirty hive: exit $RC, want 0 or 1"; fi
has "$T/out" "dirty" "check says the hive is dirty"
same "$T/dirty.orig" "$hive" "check on a dirty hive writes nothing"
no_temp_left "$T/dirty" "dirty hive"

# Unreadable (chmod 000): root reads anyway.
if [ "$(id -u)" -eq 0 ]; then
        note "skipped: unreadable file (chmod 000) -- running as root, which reads it anyway"
else
        hive=$(fixture one-iface "$T/unreadable.hive")
        chmod 000 "$hive"
        refused "scrub on an unreadable file" "Permission denied" scrub "$hive"
        refused "check on an unreadable file" "Permission denied" check "$hive"
        chmod 644 "$hive"
        same "$FIXTURES/one-iface.hive" "$hive" "unreadable file unchanged"
fi

# Read-only hive for scrub.  chmod 444 does not stop root; chattr +i does.
if [ "$(id -u)" -ne 0 ]; then
        hive=$(fixture one-iface "$T/ro/SYSTEM")
        chmod 444 "$hive"
        refused "scrub on a read-only file" "read-only|Permission denied|cannot write" scrub "$hive"
        same "$FIXTURES/one-iface.hive" "$hive" "read-only file unchanged"
        chmod 555 "$T/ro"
        chmod 644 "$hive"
        refused "scrub in a read-only folder" "Permission denied|cannot" scrub "$hive"
        chmod 755 "$T/ro"
else
        note "root ignores chmod 444 and read-only folders: testing with chattr +i instead"
fi
hive=$(fixture one-iface "$T/immutable/SYSTEM")
if command -v chattr >/dev/null && chattr +i "$hive" 2>/dev/null; then
        CLEANUP_CMDS+=("chattr -i '$hive'")
        refused "scrub on an immutable file" "^vhive: $hive: .*(read-only|not permitted|cannot write)" \
                scrub "$hive"
        same "$FIXTURES/one-iface.hive" "$hive" "immutable file unchanged"
        expect_rc 1 "check on an immutable file still works" vh check "$hive"
        chattr -i "$hive"
        no_temp_left "$T/immutable" "immutable file"
        # The file writable, its folder not: the temp file cannot be made.
        chattr +i "$T/immutable"
        CLEANUP_CMDS+=("chattr -i '$T/immutable'")
        refused "scrub in an immutable folder" "^vhive: $hive: .*(not permitted|cannot|read-only)" \
                scrub "$hive"
        same "$FIXTURES/one-iface.hive" "$hive" "hive in an immutable folder unchanged"
        chattr -i "$T/immutable"
        no_temp_left "$T/immutable" "immutable folder"
else
        note "skipped: read-only hive -- chattr +i is not available on $(df -T "$T" | awk 'NR==2 {print $2}')"
fi

# A full disk: a 40 KiB tmpfs holding the hive and a filler.
mnt="$T/full"
mkdir "$mnt"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=40k vhive-test "$mnt" 2>"$T/mount.err"; then
        CLEANUP_CMDS+=("umount '$mnt'")
        hive=$(fixture one-iface "$mnt/SYSTEM")
        dd if=/dev/zero of="$mnt/filler" bs=4096 status=none 2>/dev/null
        refused "scrub on a full disk" "^vhive: $hive: .*(No space|space)" scrub "$hive"
        same "$FIXTURES/one-iface.hive" "$hive" "full disk: the hive unchanged"
        no_temp_left "$mnt" "full disk"
        # With room again the same scrub works.
        rm -f "$mnt/filler"
        expect_rc 0 "scrub once there is room" vh scrub "$hive"
        verify_scrub "$FIXTURES/one-iface.hive" "$hive"
        umount "$mnt"
else
        note "skipped: full disk -- cannot mount a tmpfs ($(id -u) / $(cat "$T/mount.err" 2>/dev/null))"
fi

finish
