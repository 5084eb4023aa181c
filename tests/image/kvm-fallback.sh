#!/bin/bash
# A host whose /dev/kvm exists but makes qemu abort (nested virtualisation
# on cloud VMs): vhive retries the appliance once with software emulation
# and says so in one line (and in JSON); when no launch works at all it
# says what failed in one line, not libguestfs' boilerplate.  The broken
# KVM is a wrapper qemu (LIBGUESTFS_HV) that aborts when asked for KVM.
. "$(dirname "$0")/lib.sh"

[ -w /dev/kvm ] || skip "no usable /dev/kvm: libguestfs never asks for KVM on this host"
unset LIBGUESTFS_BACKEND_SETTINGS # lib.sh's suite-wide fallback: test vhive's own
qemu=$(command -v qemu-system-x86_64) || skip "qemu-system-x86_64 not found"

# wrapper NAME PATTERN: a qemu that aborts (as qemu does when KVM fails,
# "failed to set MSR") when it is asked to boot the appliance with its
# arguments matching PATTERN; libguestfs' feature queries run as usual.
wrapper() {
        cat > "$1" <<WRAPPER
#!/bin/bash
case "\$*" in
*-kernel*) case "\$*" in $2)
        echo "qemu: failed to set MSR 0x10a (test wrapper)" >&2
        kill -ABRT \$\$;;
        esac;;
esac
exec $qemu "\$@"
WRAPPER
        chmod +x "$1"
}
wrapper qemu-kvm-aborts '*accel=kvm*'
wrapper qemu-always-aborts '*'

copy mbr.raw
sum_before=$(sums mbr.raw)

# 1. KVM aborts: one retry under TCG, a note on stderr and in JSON.
expect_rc 1 "check with an aborting KVM" env LIBGUESTFS_HV="$PWD/qemu-kvm-aborts" \
        "$VHIVE" check --json mbr.raw
notes=$(grep -c '^vhive: note: the appliance failed to start with KVM' err)
[ "$notes" = 1 ] && ok "one line says the launch fell back to TCG" ||
        fail "expected one fallback note on stderr, got: $(cat err)"
[ "$(grep -cv '^vhive: note:' err)" = 0 ] && ok "nothing else on stderr" ||
        fail "stderr has more than the note: $(cat err)"
json out '.targets[0].notice' | grep -q 'software emulation' &&
        ok "JSON carries the notice" || fail "no notice in JSON: $(cat out)"
json out '.targets[0].ok' | grep -qx true && ok "the check itself worked" ||
        fail "check failed after the fallback: $(cat out)"

# 2. Nothing launches: one or two lines, naming libguestfs-test-tool.
expect_rc 2 "check when no launch works" env LIBGUESTFS_HV="$PWD/qemu-always-aborts" \
        "$VHIVE" check mbr.raw
lines=$(wc -l < err)
[ "$lines" -le 2 ] && ok "the failure is said in $lines line(s)" ||
        fail "failure message has $lines lines: $(cat err)"
grep -q "libguestfs-test-tool" err && ok "it says what to try" ||
        fail "no hint to run libguestfs-test-tool: $(cat err)"
if grep -q "guestfs-faq\|LIBGUESTFS_DEBUG" err; then
        fail "libguestfs' boilerplate leaked: $(cat err)"
else
        ok "no libguestfs boilerplate"
fi

[ "$(sums mbr.raw)" = "$sum_before" ] && ok "the image is unchanged" || fail "the image changed"
finish
