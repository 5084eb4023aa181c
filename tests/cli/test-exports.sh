#!/bin/bash
# The executable exports to the backend modules exactly the libvhive
# functions they call (lib/image/backend-symbols.list), not every vhive_*.
LIB_NO_FIXTURES=1
. "$(dirname "$0")/lib.sh"

command -v nm >/dev/null || skip "nm missing (binutils)"
mods=("$BUILDDIR"/lib/vhive-backend-*.so)
[ -f "${mods[0]}" ] || skip "no backend module built in $BUILDDIR/lib"
eq "${#mods[@]}" 2 "two backend modules"
need=$(for m in "${mods[@]}"; do nm -u "$m"; done | awk '{print $NF}' | grep '^vhive_' | sort -u)
have=$(nm -D --defined-only "$VHIVE" | awk '{print $NF}' | grep '^vhive_' | sort -u)
[ -n "$need" ] && ok || fail "the modules call no libvhive function?"
eq "$have" "$need" "exported vhive_* symbols = those the modules need"
# And the modules load: a direct-backend job on an image that is no image.
head -c 1048576 /dev/zero >"$T/zero.img"
expect_rc 2 "direct backend on zeros" vh scrub --backend direct "$T/zero.img"
hasnt "$T/err" "undefined symbol|cannot load" "the direct module loads"
finish
