#!/bin/bash
# The bash completion (generated from the option table at build time):
# sourced into bash, it completes commands, each command's own options
# (and not the options it refuses), option values and file names.
LIB_NO_FIXTURES=1
. "$(dirname "$0")/lib.sh"

comp="$BUILDDIR/completion/vhive"
[ -f "$comp" ] || die "$comp was not generated"

# complete WORDS...: COMPREPLY for the last word, sorted, one per line.
complete_words() {
        bash -c '. "$1"; shift
                COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
                _vhive
                printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$comp" "$@"
}

# in_list WORD LIST WHAT / not_in_list WORD LIST WHAT
in_list() {
        if grep -qxF -- "$1" <<<"$2"; then ok; else fail "$3: '$1' not offered: $(echo $2)"; fi
}
not_in_list() {
        if grep -qxF -- "$1" <<<"$2"; then fail "$3: '$1' offered"; else ok; fi
}

bash -n "$comp" && ok || fail "the completion script is not valid bash"
bash -c '. "$1"; complete -p vhive' _ "$comp" >"$T/spec" 2>&1
has "$T/spec" "-F _vhive" "the script registers _vhive for vhive"

got=$(complete_words vhive sc)
eq "$got" "scrub" "the command 'sc' completes to scrub"
got=$(complete_words vhive '')
for c in scrub check info ls get set delete export merge; do
        in_list "$c" "$got" "commands"
done

got=$(complete_words vhive scrub --)
for o in --dry-run --profile --keep-static --json --from --progress --no-progress --backup; do
        in_list "$o" "$got" "scrub's options"
done
not_in_list --raw "$got" "scrub's options"
got=$(complete_words vhive get --r)
eq "$got" $'--raw\n--root' "get's options starting --r"
got=$(complete_words vhive check --pro)
eq "$got" $'--profile\n--progress' "check's options starting --pro"

got=$(complete_words vhive check --sk)
eq "$got" "--skip" "check takes --skip"
got=$(complete_words vhive rules --)
for o in --profile --rules --skip --json; do
        in_list "$o" "$got" "rules' options"
done
not_in_list --backend "$got" "rules' options"
# --profile and --skip ask vhive for the rule names of the rules folder it
# reads now: every shipped pack, a pack added to the folder after the build,
# and the word after the last comma of a list.
got=$(complete_words "$VHIVE" scrub --profile '')
for p in "$VHIVE_RULES_DIR"/*.rules; do
        in_list "$(basename "$p" .rules)" "$got" "--profile's values"
done
in_list seed.interfaces "$got" "--profile's values (PACK.RULE)"
got=$(complete_words "$VHIVE" check --profile seed,ws)
in_list seed,wsus "$got" "--profile after the last comma"
in_list seed,wsus.sus-client-id "$got" "--profile after the last comma"
not_in_list wsus "$got" "--profile after the last comma"
got=$(complete_words "$VHIVE" check --skip lease.p)
eq "$got" "lease.parameters" "--skip completes a PACK.RULE"
mkdir -p "$T/rules"
cp "$VHIVE_RULES_DIR"/*.rules "$T/rules/"
cp "$VHIVE_RULES_DIR/seed.rules" "$T/rules/mine.rules"
got=$(VHIVE_RULES_DIR=$T/rules complete_words "$VHIVE" check --profile mi)
eq "$(head -1 <<<"$got")" "mine" "a pack added after the build is offered"
expect_rc 0 "rules --names" vh rules --names
has "$T/out" "wsus.sus-client-id" "rules --names lists PACK.RULE"
expect_rc 2 "rules --names --json" vh rules --names --json
got=$(complete_words vhive ls --backend d)
eq "$got" "direct" "--backend's values"

mkdir -p "$T/store/dir"
: >"$T/store/SYSTEM"
got=$(cd "$T/store" && complete_words vhive check SY)
eq "$got" "SYSTEM" "a TARGET completes as a file name"
got=$(cd "$T/store" && complete_words vhive scrub --backup '')
eq "$got" "dir" "--backup completes folders"

# Every option of the table is offered to the commands that take it.
expect_rc 0 "vhive --list-completion" vh --list-completion
while IFS=$'\t' read -r cmd long short _ _; do
        got=$(complete_words vhive "$cmd" "$long")
        in_list "$long" "$got" "$cmd $long"
done <"$T/out"
finish
