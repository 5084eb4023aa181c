#!/usr/bin/env python3
"""Writes vhive's bash completion from its option table.

Usage: gen-completion.py VHIVE OUTPUT

VHIVE --list-completion prints one line per option a command takes:
COMMAND<TAB>--LONG<TAB>-S<TAB>ARG<TAB>CHOICES (empty fields when none).
An option whose ARG is DIR completes folders, FILE files, and one with
CHOICES those words; CHOICES "@rules" means the rule names that
"vhive rules --names" prints at completion time (packs can be added after
the build), completed after the last comma of a list.  Every other operand
is a TARGET or a file.
"""
import os
import subprocess
import sys


def table(vhive):
    env = dict(os.environ, VHIVE_NO_REEXEC="1")
    out = subprocess.run([vhive, "--list-completion"], check=True, capture_output=True,
                         text=True, env=env).stdout
    rows = [line.split("\t") for line in out.splitlines() if line]
    if not rows or any(len(r) != 5 for r in rows):
        sys.exit(f"gen-completion: unexpected output from {vhive} --list-completion")
    return rows


def script(rows):
    commands = list(dict.fromkeys(r[0] for r in rows))
    out = ["# bash completion for vhive(1).  Generated from vhive's option table by",
           "# completion/gen-completion.py: do not edit.", "",
           "# The packs and PACK.RULEs of the rules folder vhive reads now; in a",
           "# comma-separated list, for the word after the last comma.",
           "_vhive_rules()",
           "{",
           "        local cur=$1 head=",
           "        [[ $cur == *,* ]] && head=${cur%,*},",
           "        COMPREPLY=($(compgen -P \"$head\" -W \"$(\"${COMP_WORDS[0]}\" rules --names"
           " 2>/dev/null)\" -- \"${cur##*,}\"))",
           "        compopt -o nospace 2>/dev/null",
           "}", "",
           "_vhive()", "{",
           "        local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}",
           "        local cmd=${COMP_WORDS[1]} opts",
           "        COMPREPLY=()",
           "        if [ \"$COMP_CWORD\" -eq 1 ]; then",
           f"                COMPREPLY=($(compgen -W '{' '.join(commands)} --help --version'"
           " -- \"$cur\"))",
           "                return",
           "        fi",
           "        case $cmd in"]
    for c in commands:
        words = []
        for r in rows:
            if r[0] == c:
                words += [r[1]] + ([r[2]] if r[2] else [])
        out.append(f"        {c}) opts='{' '.join(words)}' ;;")
    out += ["        *) return ;;", "        esac", "        case $prev in"]
    args = {}
    for _, long, short, arg, choices in rows:
        names = "|".join([long] + ([short] if short else []))
        if choices == "@rules":
            args[names] = "_vhive_rules \"$cur\""
        elif choices:
            args[names] = f"COMPREPLY=($(compgen -W '{choices}' -- \"$cur\"))"
        elif arg == "DIR":
            args[names] = "COMPREPLY=($(compgen -d -- \"$cur\"))"
        elif arg == "FILE":
            args[names] = "COMPREPLY=($(compgen -f -- \"$cur\"))"
        elif arg:
            args[names] = None  # free text (a device name)
    for names, action in args.items():
        out.append(f"        {names}) {action + '; ' if action else ''}return ;;")
    out += ["        esac",
            "        if [[ $cur == -* ]]; then",
            "                COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))",
            "                return",
            "        fi",
            "        COMPREPLY=($(compgen -f -- \"$cur\"))",
            "}",
            "complete -o filenames -F _vhive vhive", ""]
    return "\n".join(out)


def main():
    vhive, output = sys.argv[1], sys.argv[2]
    text = script(table(vhive))
    with open(output + ".tmp", "w") as f:
        f.write(text)
    os.replace(output + ".tmp", output)


if __name__ == "__main__":
    main()
