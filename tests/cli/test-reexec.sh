#!/bin/bash
# The huge-page re-exec (cmd/vhive.c) is for the commands that write through
# hivex (set, delete, merge: hivex copies the hive into malloc'd memory of
# its own); scrub, check and the readers start once (issue 20: the second
# start cost a scrub 3-8 ms of CPU and saved nothing there) and ask for huge
# pages for the library's own large buffers (lib/util/huge.c).
. "$(dirname "$0")/lib.sh"

command -v strace >/dev/null 2>&1 || skip "strace is not installed"
strace -f -qq -o /dev/null true 2>/dev/null || skip "strace cannot trace here (ptrace refused)"

h=$(fixture multi-iface "$T/h/SYSTEM")
cp "$h" "$T/orig"

# reexecs ARGS...: how many times vhive ARGS executes itself again.
reexecs() {
        cp "$T/orig" "$h"
        env -u VHIVE_NO_REEXEC -u GLIBC_TUNABLES strace -f -qq -e trace=execve -o "$T/trace" \
                "$VHIVE" "$@" >/dev/null 2>&1
        grep -c 'execve("/proc/self/exe"' "$T/trace"
}

for cmd in scrub check info; do
        n=$(reexecs "$cmd" "$h")
        [ "$n" = 0 ] && ok "$cmd starts once" || fail "$cmd re-executed itself $n times"
done
n=$(reexecs ls "$h" 'Select')
[ "$n" = 0 ] && ok "ls starts once" || fail "ls re-executed itself $n times"
n=$(reexecs set "$h" 'Select' Current dword:1)
[ "$n" = 1 ] && ok "set re-executes once, for huge pages" || fail "set re-executed itself $n times"
n=$(reexecs delete "$h" 'Select\Current')
[ "$n" = 1 ] && ok "delete re-executes once" || fail "delete re-executed itself $n times"
finish
