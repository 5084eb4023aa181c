#!/bin/bash
# The Debian package end to end: builds vhive_*.deb from a scratch copy of
# the source tree (so that the build folders of this test run play no part),
# checks its contents, Depends and lintian, then runs the packaged
# /usr/bin/vhive on a generated hive and on a generated VHDX (direct backend).
#
# The package is not installed on the machine: the suites run as root on
# shared build hosts where other checkouts build, run and remove things at
# the same time, and dpkg -i there would race them (the dpkg lock, one
# /usr/bin/vhive for all).  Instead, as root, the package's /usr is laid over
# the system's /usr with overlayfs in a private mount namespace (unshare -m):
# inside it /usr/bin/vhive finds its modules through the compiled-in path
# exactly as after dpkg -i, and no other process sees a thing.  Without
# root or overlayfs, the package runs from a scratch root with
# VHIVE_MODULE_DIR, and the compiled-in path is checked against the package.
# That dpkg would accept the package is checked with dpkg-checkbuilddeps on
# its Depends.
#
# usage: test-package.sh DIRECT_TOOL HIVE
#   DIRECT_TOOL  tests/direct/direct-tool (creates the hive's files in an NTFS volume)
#   HIVE         a generated SYSTEM hive with stale lease values (multi-iface)
# env: SRCDIR (the source tree)
set -euo pipefail

inside=0
if [[ ${1:-} == --inside ]]; then # re-run in the private mount namespace
        inside=1
        shift
fi
SELF=$(realpath "$0")
TOOL=$(realpath "${1:?usage: test-package.sh DIRECT_TOOL HIVE}")
HIVE=$(realpath "${2:?usage: test-package.sh DIRECT_TOOL HIVE}")
SRC=$(realpath "${SRCDIR:?SRCDIR is not set (run through meson test)}")
CFG=/Windows/System32/config
IFACES=/ControlSet001/Services/Tcpip/Parameters/Interfaces
# skip, ok, fail, die, assert, expect_rc (stdout in ./out, stderr in ./err), finish
. "$(dirname "$SELF")/../lib.sh"
# The packaged vhive must find its own rule packs, not the tree's.
unset VHIVE_RULES_DIR

# ---- building ------------------------------------------------------------------

# The tracked and new files of the tree as they are now (not the last
# commit), without build folders; a tree outside git is copied minus build*.
copy_source() {
        mkdir src
        if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
                git -C "$SRC" ls-files -z --cached --others --exclude-standard |
                        tar -C "$SRC" --null --ignore-failed-read -T - -cf - 2>/dev/null |
                        tar -C src -xf -
        else
                tar -C "$SRC" --exclude='./build*' --exclude=./.git -cf - . | tar -C src -xf -
        fi
}

build_package() {
        local t0=$SECONDS
        copy_source
        # meson test perturbs malloc in every test; the compilers need not pay.
        # -Jauto: as many compile jobs as cores (DEB_BUILD_OPTIONS parallel=).
        if (cd src && env -u MALLOC_PERTURB_ dpkg-buildpackage -us -uc -b -Jauto) >build.log 2>&1; then
                ok "dpkg-buildpackage -us -uc -b ($((SECONDS - t0)) s with the copy)"
        else
                tail -n 40 build.log >&2
                fail "dpkg-buildpackage failed"
                exit 1
        fi
}

# ---- the package as built -----------------------------------------------------------

meson_version() {
        sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" src/meson.build | head -n 1
}

check_name() {
        local version arch
        version=$(cd src && dpkg-parsechangelog -S Version)
        arch=$(dpkg-architecture -qDEB_HOST_ARCH)
        DEB=vhive_${version}_$arch.deb
        [[ -f $DEB ]] && ok "built $DEB" || { fail "no $DEB: $(ls)"; exit 1; }
        [[ ${version%%-*} == "$(meson_version)" ]] && ok "debian/changelog follows meson.build" ||
                fail "debian/changelog says $version, meson.build $(meson_version)"
}

# has PATH: the package holds PATH
has() {
        if grep -qx "\.$1" contents; then ok "ships $1"; else fail "does not ship $1"; fi
}

check_contents() {
        dpkg-deb -c "$DEB" | awk '{ print $6 }' >contents
        has /usr/bin/vhive
        has "$MODULES/vhive-backend-appliance.so"
        has "$MODULES/vhive-backend-direct.so"
        has /usr/share/man/man1/vhive.1.gz
        has /usr/share/doc/vhive/README.md.gz
        has /usr/share/doc/vhive/NEWS.gz
        has /usr/share/doc/vhive/copyright
        for pack in "$SRC"/rules/*.rules; do
                has "/usr/share/vhive/rules/$(basename "$pack")"
        done
        if [[ -n $(cd src && find . -path ./debian -prune -o -name '*completion*' -print) ]]; then
                has /usr/share/bash-completion/completions/vhive
        fi
}

# What the test machine has installed must satisfy Depends, as for dpkg -i.
check_depends() {
        local depends dep
        depends=$(dpkg-deb -f "$DEB" Depends)
        echo "Depends: $depends"
        for dep in libc6 libguestfs0 libhivex0 libjansson4 libnbd0 libntfs-3g qemu-utils; do
                [[ ", $depends" == *", $dep"* ]] && ok "Depends on $dep" ||
                        fail "Depends lacks $dep"
        done
        dpkg-checkbuilddeps -d "$depends" src/debian/control &&
                ok "Depends satisfied by this machine" || fail "Depends not satisfied"
}

check_lintian() {
        if ! command -v lintian >/dev/null; then
                echo "note: lintian not installed, not run"
                return
        fi
        if lintian --fail-on error,warning "$DEB" >lintian.out 2>&1; then
                ok "lintian: no error or warning"
        else
                grep -v 'root privileges' lintian.out >&2
                fail "lintian"
        fi
}

check_package() {
        MODULES=/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/vhive
        check_name
        check_contents
        check_depends
        check_lintian
        dpkg-deb -x "$DEB" root
        grep -qaF "$MODULES" root/usr/bin/vhive && ok "vhive looks for modules in $MODULES" ||
                fail "the compiled-in module folder is not $MODULES"
}

# ---- fixtures: the hive, and a GPT VHDX holding it ----------------------------------------

make_fixtures() {
        cp "$HIVE" hive
        truncate -s 48M win.ntfs
        mkntfs -F -f -Q -q win.ntfs 2>/dev/null
        : >empty
        # SOFTWARE says Windows 10: the empty logs get new-format entries.
        printf 'Windows Registry Editor Version 5.00\n\n%s\n"CurrentBuild"="19045"\n' \
                '[HKEY_LOCAL_MACHINE\SYSTEM\Microsoft\Windows NT\CurrentVersion]' >soft.reg
        "$MAKE_HIVE" "$MKHIVE" software soft.reg
        "$TOOL" --volume 0 win.ntfs raw mkdir /Windows mkdir /Windows/System32 mkdir $CFG \
                create $CFG/SYSTEM hive create $CFG/SYSTEM.LOG1 empty \
                create $CFG/SYSTEM.LOG2 empty create $CFG/SOFTWARE software
        truncate -s 64M disk.raw
        sfdisk -q disk.raw >/dev/null <<EOF
label: gpt
start=2048, size=$((48 * 2048)), type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7
EOF
        dd if=win.ntfs of=disk.raw bs=1M seek=1 conv=notrunc status=none
        qemu-img convert -f raw -O vhdx disk.raw img.vhdx
        rm -f win.ntfs disk.raw empty soft.reg software
}

# ---- the packaged binary ---------------------------------------------------------------------

# ifaces HIVE: "name,type,data" of every value under the interfaces
ifaces() {
        reglookup -H -p $IFACES "$1" | grep -v ',KEY,' | cut -d, -f1-3 | sort
}

# The values the seed profile blanks, as reglookup spells their paths.
SEED='/(NameServer|Domain|Dhcp(IPAddress|SubnetMask|Server|NameServer|DefaultGateway)),'

# blank_in HIVE WHAT BEFORE: the seed values are blank, the rest as BEFORE
blank_in() {
        local after
        after=$(ifaces "$1")
        if grep -q '/DhcpIPAddress,SZ,[0-9]' <<<"$after"; then
                fail "$2: a DhcpIPAddress is left"
        elif [[ $(grep -c '/DhcpIPAddress,SZ,$' <<<"$after") != 3 ]]; then
                fail "$2: three blank DhcpIPAddress expected: $after"
        elif [[ $(grep -Ev "$SEED" <<<"$after") != $(grep -Ev "$SEED" <<<"$3") ]]; then
                fail "$2: values outside the seed profile changed"
        else
                ok "$2: reglookup reads blank seed values, the rest unchanged"
        fi
}

json_field() { # FILE PYTHON-EXPRESSION on d, the document
        python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
                "$1" "$2"
}

installed_hive() {
        local before sum got
        before=$(ifaces hive)
        expect_rc 1 "check (hive, stale values)" "$VHIVE" check hive
        expect_rc 1 "check --json (hive)" "$VHIVE" check --json hive
        got=$(json_field out 'd["exit_code"], d["targets"][0]["totals"]["blanked"]')
        [[ $got == "(1, 15)" ]] && ok "check --json: exit_code 1, 15 to blank" ||
                fail "check --json: exit_code, blanked = $got"
        expect_rc 0 "scrub (hive)" "$VHIVE" scrub hive
        blank_in hive "scrub (hive)" "$before"
        expect_rc 0 "check after scrub (hive)" "$VHIVE" check hive
        sum=$(sha256sum <hive)
        expect_rc 0 "second scrub (hive)" "$VHIVE" scrub hive
        [[ $(sha256sum <hive) == "$sum" ]] && ok "second scrub wrote nothing" ||
                fail "second scrub changed the hive"
}

installed_image() {
        local before
        before=$(ifaces hive.orig)
        expect_rc 1 "check --backend direct (VHDX)" "$VHIVE" check --backend direct img.vhdx
        expect_rc 0 "scrub --backend direct (VHDX)" "$VHIVE" scrub --backend direct img.vhdx
        expect_rc 0 "check --backend direct after scrub" "$VHIVE" check --backend direct img.vhdx
        qemu-img check -q -f vhdx img.vhdx && ok "qemu-img check" || fail "qemu-img check"
        rm -f got
        "$TOOL" --ro img.vhdx vhdx get $CFG/SYSTEM got >/dev/null
        blank_in got "scrub (VHDX)" "$before"
        # An unknown libguestfs backend fails at once, but only once the
        # appliance module has loaded and libguestfs itself has spoken.
        expect_rc 2 "appliance module" env LIBGUESTFS_BACKEND=vhive-no-such-backend \
                "$VHIVE" check --backend appliance img.vhdx
        grep -q 'invalid backend' err && ok "appliance module loads and calls libguestfs" ||
                fail "appliance module: $(cat err)"
}

run_installed_inside() {
        mount -t overlay vhive-package -o "lowerdir=$WORK/root/usr:/usr" /usr
        VHIVE=/usr/bin/vhive
        ok "the package's /usr laid over /usr in a private mount namespace"
        installed_hive
        installed_image
}

run_installed() {
        local rc=0
        cp hive hive.orig
        export WORK=$PWD
        unset VHIVE_MODULE_DIR VHIVE_BACKEND
        if [[ $(id -u) == 0 ]] && unshare -m --propagation private true 2>/dev/null &&
                unshare -m --propagation private sh -c \
                        "mount -t overlay o -o lowerdir=$WORK/root/usr:/usr /usr" 2>/dev/null; then
                unshare -m --propagation private "$SELF" --inside "$TOOL" "$HIVE" || rc=$?
                [[ $rc == 0 ]] || fail "the run over the installed /usr failed ($rc)"
                return
        fi
        echo "note: no root or no overlayfs: running from the scratch root"
        VHIVE=$WORK/root/usr/bin/vhive
        export VHIVE_MODULE_DIR=$WORK/root$MODULES
        installed_hive
        installed_image
}

if [[ $inside == 1 ]]; then
        cd "$WORK"
        run_installed_inside
        exit $((FAILURES > 0))
fi

for prog in dpkg-buildpackage dh dpkg-deb dpkg-checkbuilddeps mkntfs sfdisk qemu-img \
        qemu-nbd reglookup python3; do
        command -v "$prog" >/dev/null || skip "$prog not installed (scripts/install-deps.sh)"
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vhive-package.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
build_package
check_package
make_fixtures
run_installed
finish
