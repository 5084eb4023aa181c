#!/usr/bin/env python3
"""Writes vhive's bash completion from its option table.

Usage: gen-completion.py VHIVE OUTPUT

VHIVE --list-completion prints one line per option a command takes:
COMMAND<TAB>--LONG<TAB>-S<TAB>ARG<TAB>CHOICES (empty fields when none).
An option whose ARG is DIR completes folders, FILE files, and one with
CHOICES those words; every other operand is a TARGET or a file.
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
        if choices:
            action = f"compgen -W '{choices}' -- \"$cur\""
        elif arg == "DIR":
            action = "compgen -d -- \"$cur\""
        elif arg == "FILE":
            action = "compgen -f -- \"$cur\""
        elif arg:
            action = None  # free text (a device name)
        else:
            continue
        args[names] = action
    for names, action in args.items():
        if action:
            out.append(f"        {names}) COMPREPLY=($({action})); return ;;")
        else:
            out.append(f"        {names}) return ;;")
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
