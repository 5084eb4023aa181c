# bench/lib.sh: the helpers the bench scripts share.  POSIX sh (some of the
# scripts are /bin/sh), sourced after setting $here, the bench folder:
#   here=$(cd "$(dirname "$0")" && pwd)
#   . "$here/lib.sh"
# Sets $root (the tree).  Names its own variables lib_* to stay out of the
# scripts' way.
# shellcheck shell=sh disable=SC2034,SC2154

root=$(dirname "$here")

die() {
        echo "${0##*/}: $*" >&2
        exit 1
}

# need PROGRAM...: each a command on $PATH or an executable path
need() {
        for lib_p in "$@"; do
                [ -x "$lib_p" ] || command -v "$lib_p" >/dev/null 2>&1 || die "$lib_p not found"
        done
}

# find_built VAR RELPATH: $VAR (made absolute, not checked), else the first
# build*/RELPATH of this tree; fails, silent, when there is none.
find_built() {
        eval "lib_v=\${$1:-}"
        if [ -n "$lib_v" ]; then
                realpath -m "$lib_v"
                return
        fi
        for lib_v in "$root"/build/"$2" "$root"/build*/"$2"; do
                if [ -x "$lib_v" ]; then
                        echo "$lib_v"
                        return
                fi
        done
        return 1
}

# need_built VAR RELPATH: find_built, else die saying how to get it
need_built() {
        find_built "$1" "$2" || die "no $2: build the tree (ninja -C build) or set $1"
}

# work_dir DIR NAME: DIR (made when missing), else a new temporary folder
# NAME.XXXXXX; printed as an absolute path.
work_dir() {
        lib_d=$1
        [ -n "$lib_d" ] || lib_d=$(mktemp -d "${TMPDIR:-/tmp}/$2.XXXXXX")
        mkdir -p "$lib_d"
        (cd "$lib_d" && pwd)
}

# copy_or_gen_hive OUT [HIVE]: OUT is a copy of HIVE, else a hive made by
# gen-large-hive.sh (about 10.7 MiB).
copy_or_gen_hive() {
        if [ $# -ge 2 ]; then
                cp "$2" "$1"
        else
                "$here/gen-large-hive.sh" "$1"
        fi
}

now_ns() { date +%s%N; }

# hf_median FILE NAME, hf_cpu FILE NAME: the median wall time and the mean
# user + system CPU time (s) of command NAME in hyperfine's --export-json FILE
hf_median() {
        jq -r --arg n "$2" '.results[] | select(.command == $n) | .median' "$1"
}
hf_cpu() {
        jq -r --arg n "$2" '.results[] | select(.command == $n) | .user + .system' "$1"
}

# awk text defining median(a, n): the median of a[1..n] (sorts a)
awk_median='
function median(a, n,   i, j, t) {
        for (i = 2; i <= n; i++)
                for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
                        t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
                }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
'
