#!/bin/bash
# A scrub of a clean hive file in place (issue 20): the file system copies
# the hive into the temp file beside it, and vhive writes only the pages
# its edits changed (lib/hive/work-file.c), not the whole hive.  The result
# is the same, byte for byte (the header's time stamp and checksum aside),
# as the scrub written elsewhere with -o, which writes the whole hive from
# memory; independent parsers agree.  A scrub that changes nothing leaves
# the file and its folder as they were, also when the temp file cannot be
# made (the failshim fails its creation).  The temp file's writeback starts
# as soon as it is filled, before the edits are written back, when a lazy
# read found something to change; never for a scrub that changes nothing.
# A hive of 16 MiB or more is copied, and its writeback started, by threads
# beside the main thread; a smaller one keeps one thread.
. "$(dirname "$0")/lib.sh"

command -v strace >/dev/null 2>&1 || skip "strace is not installed"
strace -f -qq -o /dev/null true 2>/dev/null || skip "strace cannot trace here (ptrace refused)"
command -v hivexregedit >/dev/null 2>&1 || skip "hivexregedit is not installed"

# The multi-iface fixture and 40 values of 16,000 bytes the scrub does not
# touch (each one cell: every parser reads it): a hive of about 700 KiB,
# of which the scrub changes a few pages.
h=$(fixture multi-iface "$T/base.hive")
{
        printf 'Windows Registry Editor Version 5.00\n\n'
        printf '[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\PagesBlob]\n'
        blob=$(head -c 16000 /dev/zero | od -An -v -tx1 | tr -s ' \n' ',,' | sed 's/^,//; s/,$//')
        for i in $(seq 1 40); do
                printf '"Blob%d"=hex:%s\n' "$i" "$blob"
        done
} >"$T/blob.reg"
hivexregedit --merge --prefix 'HKEY_LOCAL_MACHINE\SYSTEM' "$h" "$T/blob.reg" ||
        die "hivexregedit cannot add the blobs"
size=$(stat -c %s "$h")
[ "$size" -gt 600000 ] || die "the hive is only $size bytes"
mkdir "$T/a" "$T/b"
cp "$h" "$T/a/SYSTEM"
cp "$h" "$T/b/SYSTEM"

# Bytes written (write, pwrite, writev, pwritev) to files in folder $1 by
# the traced run in $T/trace.
written_in() {
        awk -v d="<$1/" 'index($0, d) && $0 ~ /^[0-9]+ +(write|pwrite64|writev|pwritev2?)\(/ &&
                /= [0-9]+$/ { n += $NF } END { print n + 0 }' "$T/trace"
}

# LeakSanitizer cannot run under ptrace.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
        strace -f -qq -y \
        -e trace=write,pwrite64,writev,pwritev,pwritev2,sync_file_range,copy_file_range,sendfile \
        -o "$T/trace" "$VHIVE" scrub "$T/a/SYSTEM" >"$OUT" 2>"$ERR"
eq "$?" 0 "scrub in place"
# The line of the first call $1 on the temp file in $T/trace (0: none).
first_on_temp() {
        awk -v c="$1(" 'index($0, c) && index($0, "/.SYSTEM.vhive-") { n = NR; exit }
                END { print n + 0 }' "$T/trace"
}
kick=$(first_on_temp sync_file_range)
back=$(first_on_temp pwrite64)
if [ "$kick" -gt 0 ] && { [ "$back" -eq 0 ] || [ "$kick" -lt "$back" ]; }; then
        ok "the temp file's writeback starts before the edits are written back"
else
        fail "sync_file_range on the temp file at trace line $kick, first write-back at $back"
fi
has "$OUT" 'written' "scrub in place reports the write"
n=$(written_in "$T/a")
if [ "$n" -gt 0 ] && [ "$n" -le 65536 ]; then
        ok "in place: $n bytes written into the temp file (hive: $size)"
else
        fail "in place: $n bytes written into the temp file, want 1..65536 (hive: $size)"
fi
no_temp_left "$T/a" "scrub in place"
verify_scrub "$h" "$T/a/SYSTEM"

# The same scrub written elsewhere: the whole hive from memory.
vh scrub -o "$T/b/out" "$T/b/SYSTEM"
eq "$RC" 0 "scrub -o"
# Bytes 13-20 (1-based, as cmp counts): the time stamp; 509-512: checksum.
d=$(cmp -l "$T/a/SYSTEM" "$T/b/out" | awk '!(($1 >= 13 && $1 <= 20) || ($1 >= 509 && $1 <= 512))' |
        wc -l)
eq "$d" 0 "in place and -o give the same bytes (header time and checksum aside)"
eq "$(stat -c %s "$T/a/SYSTEM")" "$size" "in place: the size is kept"

# Nothing left to change: nothing written, no temp file left, same inode.
cp "$T/a/SYSTEM" "$T/scrubbed"
ino=$(stat -c %i "$T/a/SYSTEM")
RC=0
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
        strace -f -qq -y -e trace=sync_file_range -o "$T/trace" \
        "$VHIVE" scrub "$T/a/SYSTEM" >"$OUT" 2>"$ERR" || RC=$?
eq "$RC" 0 "second scrub"
eq "$(first_on_temp sync_file_range)" 0 "second scrub: no writeback started (nothing to change)"
hasnt "$OUT" ': written' "second scrub writes nothing"
same "$T/a/SYSTEM" "$T/scrubbed" "second scrub"
eq "$(stat -c %i "$T/a/SYSTEM")" "$ino" "second scrub keeps the file"
no_temp_left "$T/a" "second scrub"

# The thread (strace -f's first field) of the first call $1 on the temp file.
tid_on_temp() {
        awk -v c="$1(" 'index($0, c) && index($0, "/.SYSTEM.vhive-") { print $1; exit }' "$T/trace"
}
# threads_check WHAT: the copy into the temp file and the start of its
# writeback ran beside (yes) or in (no) the thread that writes the edits back.
threads_check() {
        local main copy kick beside=no
        main=$(tid_on_temp pwrite64)
        copy=$(tid_on_temp copy_file_range)
        [ -n "$copy" ] || copy=$(tid_on_temp sendfile)
        kick=$(tid_on_temp sync_file_range)
        [ -n "$main" ] && [ -n "$copy" ] && [ -n "$kick" ] || {
                fail "$1: a call missing (write-back ${main:-none}, copy ${copy:-none}," \
                        "writeback ${kick:-none})"
                return
        }
        [ "$copy" != "$main" ] && [ "$kick" != "$main" ] && beside=yes
        [ "$copy" != "$main" ] && [ "$kick" = "$main" ] && beside=half
        [ "$copy" = "$main" ] && [ "$kick" != "$main" ] && beside=half
        eq "$beside" "$2" "$1: the copy and the writeback's start beside the main thread"
}
trace_scrub() { # HIVE ARGS...: scrub traced into $T/trace
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
                strace -f -qq -y -e trace=pwrite64,sync_file_range,copy_file_range,sendfile \
                -o "$T/trace" "$VHIVE" scrub "$@" >"$OUT" 2>"$ERR"
}

# Issue 20: from 16 MiB on (VHIVE_THREADS_FROM), the copy and the writeback's start run in
# threads of their own while the main thread counts the cells' references
# and parses the hive; a smaller hive keeps one thread (a second costs it
# more than the overlap gives).
mkdir "$T/big" "$T/small"
"$MKBIGHIVE" -m 24 "$T/bulk.hive" >/dev/null || die "mkbighive"
sh "$MAKE_HIVE" --base "$T/bulk.hive" "$MKHIVE" "$T/big/SYSTEM" "$SRCDIR/tests/fixtures/software.reg" ||
        die "make-hive.sh --base"
trace_scrub --profile wsus "$T/big/SYSTEM"
eq "$?" 0 "scrub of a $(stat -c %s "$T/big/SYSTEM")-byte hive"
threads_check "a 24 MiB hive" yes
no_temp_left "$T/big" "the 24 MiB hive"
cp "$h" "$T/small/SYSTEM"
trace_scrub "$T/small/SYSTEM"
eq "$?" 0 "scrub of the $size-byte hive"
threads_check "a $size-byte hive" no

# The temp file cannot be made: a scrub with nothing to change still
# succeeds; one with something to change fails (exit 2), nothing written.
shim=$BUILDDIR/tests/fault/failshim.so
if [ -f "$shim" ]; then
        asan="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
        for e in EIO ENOSPC; do
                RC=0
                ASAN_OPTIONS=$asan LD_PRELOAD=$shim FAILSHIM_DIR=$T/a FAILSHIM_OP=mkostemp \
                        FAILSHIM_N=1 FAILSHIM_MODE=fail FAILSHIM_ERRNO=$e \
                        "$VHIVE" scrub "$T/a/SYSTEM" >"$OUT" 2>"$ERR" || RC=$?
                eq "$RC" 0 "no temp file ($e), nothing to change"
                same "$T/a/SYSTEM" "$T/scrubbed" "no temp file ($e), nothing to change"
                no_temp_left "$T/a" "no temp file ($e), nothing to change"
                cp "$h" "$T/b/SYSTEM"
                RC=0
                ASAN_OPTIONS=$asan LD_PRELOAD=$shim FAILSHIM_DIR=$T/b FAILSHIM_OP=mkostemp \
                        FAILSHIM_N=1 FAILSHIM_MODE=fail FAILSHIM_ERRNO=$e \
                        "$VHIVE" scrub "$T/b/SYSTEM" >"$OUT" 2>"$ERR" || RC=$?
                eq "$RC" 2 "no temp file ($e), something to change"
                has "$ERR" 'temp file' "no temp file ($e): the message says so"
                same "$T/b/SYSTEM" "$h" "no temp file ($e): the hive is as it was"
                no_temp_left "$T/b" "no temp file ($e), something to change"
        done
else
        note "no $shim (the fault suite's shim): the temp-file failure is not tested"
fi
finish
