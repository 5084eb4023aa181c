#!/bin/bash
# vhive(1) documents exactly the options the code accepts, both ways: every
# entry of the man page's OPTIONS section is in the option table (vhive
# --list-options), with the same short form and the same commands, and
# every option of the table has its entry.
LIB_NO_FIXTURES=1
. "$(dirname "$0")/lib.sh"

man="$SRCDIR/man/vhive.1.scd"
[ -f "$man" ] || skip "$man missing"
expect_rc 0 "vhive --list-options" vh --list-options
cp "$T/out" "$T/table"

# "--long -s cmd cmd..." per option, commands merged over its rows, sorted.
"$PYTHON" - "$T/table" "$man" >"$T/diff" <<'PY'
import re, sys

ALL = "scrub check info ls get set delete export merge rules".split()
PHRASES = {"all commands": ALL, "all commands but rules": ALL[:-1]}

def table(path):
    opts = {}
    for line in open(path):
        words = line.split()
        short = words[1] if len(words) > 1 and re.fullmatch(r"-\w", words[1]) else ""
        cmds = words[2:] if short else words[1:]
        o = opts.setdefault(words[0], [short, set()])
        o[1].update(cmds)
    return opts

def manpage(path):
    text = open(path).read()
    section = text.split("\n# OPTIONS\n", 1)[1].split("\n# ", 1)[0]
    opts = {}
    for m in re.finditer(r"^(\*-.*)\n\t\((.*?)\)", section, re.M):
        names = re.findall(r"\*(--?[\w-]+)\*", m.group(1))
        longs = [n for n in names if n.startswith("--")]
        shorts = [n for n in names if not n.startswith("--")]
        cmds = PHRASES.get(m.group(2)) or re.split(r",\s*", m.group(2))
        for l in longs:
            opts[l] = [shorts[0] if shorts else "", set(cmds)]
    return opts

code, doc = table(sys.argv[1]), manpage(sys.argv[2])
for name in sorted(set(code) | set(doc)):
    if name not in doc:
        print(f"{name}: accepted by vhive, not in vhive(1) OPTIONS")
    elif name not in code:
        print(f"{name}: in vhive(1) OPTIONS, not accepted by vhive")
    elif code[name] != doc[name]:
        c, d = code[name], doc[name]
        print(f"{name}: vhive: {c[0] or 'no short form'} ({' '.join(sorted(c[1]))}); "
              f"vhive(1): {d[0] or 'no short form'} ({' '.join(sorted(d[1]))})")
print(f"# {len(code)} options in the table, {len(doc)} in vhive(1)", file=sys.stderr)
PY
if [ -s "$T/diff" ]; then
        fail "vhive(1) and the option table differ:"
        sed 's/^/    /' "$T/diff" >&2
else
        ok "vhive(1) documents exactly the options vhive accepts"
fi
eq "$(cut -d' ' -f1 "$T/table" | sort -u | wc -l)" 22 "the table holds the 22 options"
finish
