# Sourced by the tests of the 'image' suite.  Expects STAMP (the fixture
# stamp written by mkimages.sh) and VHIVE in the environment.
set -u

IMAGES=$(dirname "$STAMP")/images
FIXTURES=${FIXTURES:-$BUILDDIR/tests/fixtures}
# skip, ok, fail, die, assert, expect_rc (stdout in ./out, stderr in ./err), finish
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

[ -f "$STAMP" ] || skip "no fixture images ($STAMP missing)"
if [ "$(head -c 5 "$STAMP")" = "SKIP:" ]; then
        cat "$STAMP" >&2
        exit 77
fi
# mkimages.sh found that KVM makes qemu abort here: every appliance of the
# suite (vhive's and guestfish's) uses software emulation, as vhive itself
# would after its own failed first launch (tested in kvm-fallback.sh).
accel=$(sed -n 2p "$STAMP")
if [ -n "$accel" ]; then
        export "${accel?}"
fi

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/vhive-image-test.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
cd "$SCRATCH"

# copy NAME [AS]: a private copy of a fixture image.
copy() {
        cp --sparse=always "$IMAGES/$1" "${2:-$1}"
}

sums() {
        sha256sum "$@"
}

# Appliance launches seen in -v output.
launches() {
        grep -c '^libguestfs: launch: backend=' "$1" || true
}

# The launches a batch of 4 images or more may take: 2 where two CPUs can
# run two appliances (lib/image/image-job.c), else 1.
batch_launches() {
        if [ "$(nproc)" -ge 2 ] && [ "${VHIVE_APPLIANCES:-}" != 1 ]; then echo 2; else echo 1; fi
}

# The appliance died or could not start at all: nothing here can be tested.
skip_if_no_appliance() {
        if grep -q 'cannot launch the libguestfs appliance' "$1"; then
                grep 'cannot launch' "$1" >&2
                skip "the libguestfs appliance cannot launch"
        fi
}

# hive_values HIVE: every value under Tcpip\Parameters of the current set,
# as "path,type,data" (reglookup; modification times dropped).
hive_values() {
        reglookup -H -p /ControlSet001/Services/Tcpip/Parameters "$1" |
                grep -v '^[^,]*,KEY,' | cut -d, -f1-3 | sort
}

json() { # FILE FILTER
        jq -r "$2" "$1"
}
