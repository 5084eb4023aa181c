#!/usr/bin/env python3
"""Independent checks of hive files for the cli/real suites.

Reads hives only through reglookup and regfexport (not through vhive or
hivex), so a bug in vhive's reading cannot hide a bug in its writing.

  regcheck.py expect HIVE [--profile seed|lease] [--all-controlsets] [--keep-static]
      Prints, one per line, the values (CS\\Services\\...\\NAME, as spelt in
      the hive) that a scrub must blank: the oracle, derived from the hive's
      content by the rules of vhive(1), not from vhive's output.
  regcheck.py verify BEFORE AFTER [PATH...]
      Checks that AFTER equals BEFORE except that exactly the listed values
      are blank in their old type (and nothing else changed, in both
      reglookup's and regfexport's view), and that AFTER's header is clean
      (sequence numbers equal, checksum valid under Windows' rule).
  regcheck.py scrubbed BEFORE AFTER... [expect options]
      expect on BEFORE, then verify BEFORE AFTER with that list (for each
      AFTER); prints the list.
  --reglookup-only (with expect, verify, scrubbed): use reglookup alone,
      for large hives where regfexport takes too long.
  regcheck.py header HIVE
      Prints "seq1 seq2 checksum_ok file_type hbins_size".
  regcheck.py same-values A B
      Checks that two hives hold the same keys and values.
  regcheck.py bytes HIVE KEY NAME FILE
      Checks that value NAME of KEY (backslashes, below the root) holds
      exactly the bytes of FILE, in reglookup's and in regfexport's view.
"""
import functools
import struct
import subprocess
import sys

SEED = ["NameServer", "Domain", "DhcpIPAddress", "DhcpSubnetMask", "DhcpServer",
        "DhcpNameServer", "DhcpDefaultGateway"]
LEASE = SEED + ["DhcpDomain", "DhcpSubnetMaskOpt", "Lease", "LeaseObtainedTime",
                "LeaseTerminatesTime", "T1", "T2", "DhcpInterfaceOptions",
                "DhcpGatewayHardware", "DhcpGatewayHardwareCount"]
# Under Services\Tcpip\Parameters itself (vhive(1)): the global NameServer,
# and with the lease profile the global DhcpNameServer and DhcpDomain.
PARAMS_SEED = ["NameServer"]
PARAMS_LEASE = ["NameServer", "DhcpNameServer", "DhcpDomain"]


def die(msg):
    sys.stderr.write("regcheck: " + msg + "\n")
    sys.exit(1)


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.decode("utf-8", "surrogateescape")
    err = p.stderr.decode("utf-8", "surrogateescape")
    if p.returncode != 0:
        die("%s failed (exit %d): %s" % (" ".join(cmd), p.returncode, err.strip()))
    return out, err


# ---- regfexport -------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def regfexport(path):
    """{key path (no ROOT\\ prefix, as spelt): [(name, type, size, data)]} in order."""
    out, err = run(["regfexport", path])
    if "Unable" in err or "error" in err.lower():
        die("regfexport reports errors on %s: %s" % (path, err.strip()))
    keys = {}
    key = None
    cur = None
    in_hex = False

    def flush():
        nonlocal cur
        if cur is not None:
            keys[key].append((cur["name"], cur["type"], cur["size"], cur["data"]))
        cur = None

    for line in out.split("\n"):
        if line.startswith("Key path: "):
            flush()
            in_hex = False
            p = line[len("Key path: "):]
            key = p.split("\\", 1)[1] if "\\" in p else ""
            if key in keys:
                die("regfexport lists key %s twice" % key)
            keys[key] = []
        elif line.startswith("Value: "):
            flush()
            in_hex = False
            rest = line[len("Value: "):]
            idx, _, name = rest.partition(" ")
            if not idx.isdigit():
                die("unexpected regfexport line: " + line)
            cur = {"name": name, "type": None, "size": None, "data": ""}
        elif cur is not None and line.startswith("Type: "):
            t = line[line.rfind("(") + 1:line.rfind(")")]
            cur["type"] = t
        elif cur is not None and line.startswith("Data size: "):
            cur["size"] = int(line[len("Data size: "):])
        elif cur is not None and line == "Data:":
            in_hex = True
            cur["data"] = "hex:"
        elif cur is not None and line.startswith("Data: "):
            cur["data"] = "=" + line[len("Data: "):]
        elif cur is not None and in_hex and len(line) > 10 and line[8:10] == ": ":
            cur["data"] += line[10:58].replace(" ", "")
        elif line == "":
            in_hex = False
        # other lines (banner, "Key: NAME", class names) carry nothing we compare
    flush()
    return keys


def regf_lines(keys):
    lines = []
    for k, vals in keys.items():
        lines.append("K %s" % k)
        for (name, t, size, data) in vals:
            lines.append("V %s\\%s|%s|%s|%s" % (k, name, t, size, data))
    return sorted(lines)


def is_blank(t, size, data):
    """Blank by vhive(1)'s rules, from regfexport's rendering."""
    if t in ("REG_SZ", "REG_EXPAND_SZ"):
        return data in ("", "=") or (data.startswith("hex:") and set(data[4:]) <= {"0"})
    if t == "REG_MULTI_SZ":
        return size == 0 or (data.startswith("hex:") and set(data[4:]) <= {"0"})
    if t in ("REG_DWORD_LITTLE_ENDIAN", "REG_DWORD_BIG_ENDIAN", "REG_QWORD_LITTLE_ENDIAN"):
        return data in ("=0", "") or (data.startswith("hex:") and set(data[4:]) <= {"0"})
    return size == 0


def blank_form(t):
    """(size, data) of the blank of type t, as regfexport shows it."""
    if t in ("REG_SZ", "REG_EXPAND_SZ"):
        return 2, "="
    if t == "REG_MULTI_SZ":
        return 4, "hex:00000000"
    if t in ("REG_DWORD_LITTLE_ENDIAN", "REG_DWORD_BIG_ENDIAN"):
        return 4, "=0"
    if t == "REG_QWORD_LITTLE_ENDIAN":
        return 8, "=0"
    return 0, ""


# ---- reglookup --------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def reglookup(path):
    """{path (no leading /, '\\'-separated): (type, value, mtime)}."""
    out, err = run(["reglookup", path])
    # reglookup cannot render some non-ASCII strings and says so; the row
    # is still there (raw), which is all the comparison needs.
    bad = [l for l in (out + "\n" + err).split("\n") if l.startswith(("ERROR", "WARN"))
           and "Data could not be interpreted" not in l]
    if bad:
        die("reglookup reports problems on %s:\n  %s" % (path, "\n  ".join(bad[:10])))
    rows = {}
    lines = out.split("\n")
    if not lines or lines[0] != "PATH,TYPE,VALUE,MTIME":
        die("unexpected reglookup header on %s: %r" % (path, lines[:1]))
    for line in lines[1:]:
        if not line:
            continue
        if line.startswith("WARN"):
            continue
        f = line.split(",")
        if len(f) != 4:
            die("unexpected reglookup line: " + line)
        p = f[0].lstrip("/").replace("/", "\\")
        rows[p] = (f[1], f[2], f[3])
    return rows


RL_BLANK = {"SZ": "", "EXPAND_SZ": "", "MULTI_SZ": "", "DWORD": "0x00000000",
            "DWORD_BE": "0x00000000", "QWORD": "0x0000000000000000"}


# ---- header ------------------------------------------------------------------

def header(path):
    with open(path, "rb") as f:
        b = f.read(4096)
    if len(b) < 4096 or b[:4] != b"regf":
        die("%s: no regf base block" % path)
    words = struct.unpack("<127I", b[:508])
    x = 0
    for w in words:
        x ^= w
    if x == 0:
        x = 1
    elif x == 0xFFFFFFFF:
        x = 0xFFFFFFFE
    stored = struct.unpack("<I", b[508:512])[0]
    seq1, seq2 = struct.unpack("<II", b[4:12])
    ftype = struct.unpack("<I", b[28:32])[0]
    hbins = struct.unpack("<I", b[40:44])[0]
    return seq1, seq2, stored == x, ftype, hbins


# ---- the oracle ----------------------------------------------------------------

def ci_child(keys, parent, name):
    """The key path of parent's child `name` (any case), or None."""
    prefix = parent + "\\" if parent else ""
    for k in keys:
        if k.lower() == (prefix + name).lower():
            return k
    return None


def ci_value(keys, key, name):
    for v in keys.get(key, []):
        if v[0].lower() == name.lower():
            return v
    return None


def children(keys, parent):
    prefix = parent.lower() + "\\"
    return [k for k in keys if k.lower().startswith(prefix) and "\\" not in k[len(prefix):]]


def expect(path, profile, all_cs, keep_static):
    keys = regfexport(path)
    select = ci_child(keys, "", "Select")
    if select is None:
        die("%s: no Select key" % path)
    cur = ci_value(keys, select, "Current")
    if cur is None or not cur[3].startswith("="):
        die("%s: no usable Select\\Current" % path)
    current = int(cur[3][1:])
    # The next boot loads Select\Default: it counts as current too.
    dflt = ci_value(keys, select, "Default")
    boot = {current}
    if dflt is not None and dflt[3].startswith("="):
        boot.add(int(dflt[3][1:]))
    sets = []
    for k in keys:
        if "\\" in k or len(k) != 13 or not k.lower().startswith("controlset"):
            continue
        if not k[10:].isdigit():
            continue
        if all_cs or int(k[10:]) in boot:
            sets.append(k)
    names = LEASE if profile == "lease" else SEED
    out = []
    for cs in sorted(sets):
        params = None
        node = ci_child(keys, cs, "Services")
        node = node and ci_child(keys, node, "Tcpip")
        params = node and ci_child(keys, node, "Parameters")
        if not params:
            continue
        for n in (PARAMS_LEASE if profile == "lease" else PARAMS_SEED):
            v = ci_value(keys, params, n)
            if v and not is_blank(v[1], v[2], v[3]):
                out.append(params + "\\" + v[0])
        ifaces = ci_child(keys, params, "Interfaces")
        if not ifaces:
            continue
        for iface in sorted(children(keys, ifaces)):
            e = ci_value(keys, iface, "EnableDHCP")
            static = bool(e and e[1] == "REG_DWORD_LITTLE_ENDIAN" and e[2] == 4
                          and e[3] == "=0")
            for n in names:
                v = ci_value(keys, iface, n)
                if not v or is_blank(v[1], v[2], v[3]):
                    continue
                if keep_static and static and n in ("NameServer", "Domain"):
                    continue
                out.append(iface + "\\" + v[0])
    return out


def rl_is_blank(t, v):
    if t in ("SZ", "EXPAND_SZ", "MULTI_SZ", "LINK"):
        return v == ""
    if t in ("DWORD", "DWORD_BE", "QWORD"):
        return int(v, 16) == 0
    return v in ("(null)", "")


def expect_rl(path, profile, all_cs, keep_static):
    """The same oracle over reglookup's view (no sizes: blank strings are
    the empty rendering)."""
    rows = reglookup(path)
    low = {p.lower(): p for p in rows}

    def child(parent, name):
        return low.get(((parent + "\\") if parent else "").lower() + name.lower())

    cur = child("Select", "Current") if child("", "Select") else None
    if cur is None or rows[cur][0] != "DWORD":
        die("%s: no usable Select\\Current" % path)
    boot = {int(rows[cur][1], 16)}
    dflt = child("Select", "Default")
    if dflt is not None and rows[dflt][0] == "DWORD":
        boot.add(int(rows[dflt][1], 16))
    sets = [p for p, r in rows.items() if r[0] == "KEY" and "\\" not in p and len(p) == 13
            and p.lower().startswith("controlset") and p[10:].isdigit()
            and (all_cs or int(p[10:]) in boot)]
    names = LEASE if profile == "lease" else SEED
    out = []
    for cs in sorted(sets):
        params = child(cs, "Services")
        params = params and child(params, "Tcpip")
        params = params and child(params, "Parameters")
        if not params:
            continue
        for n in (PARAMS_LEASE if profile == "lease" else PARAMS_SEED):
            v = child(params, n)
            if v and rows[v][0] != "KEY" and not rl_is_blank(*rows[v][:2]):
                out.append(v)
        ifaces = child(params, "Interfaces")
        if not ifaces:
            continue
        prefix = ifaces.lower() + "\\"
        for iface in sorted(p for p, r in rows.items() if r[0] == "KEY" and
                            p.lower().startswith(prefix) and "\\" not in p[len(prefix):]):
            e = child(iface, "EnableDHCP")
            static = bool(e and rows[e][0] == "DWORD" and int(rows[e][1], 16) == 0)
            for n in names:
                v = child(iface, n)
                if not v or rows[v][0] == "KEY" or rl_is_blank(*rows[v][:2]):
                    continue
                if keep_static and static and n in ("NameServer", "Domain"):
                    continue
                out.append(v)
    return out


# ---- verify --------------------------------------------------------------------

def verify(before, after, paths, rl_only=False):
    ok = True
    seq1, seq2, cks, ftype, _ = header(after)
    if seq1 != seq2 or not cks or ftype != 0:
        sys.stderr.write("regcheck: %s: header not clean: seq %d/%d checksum_ok=%s type=%d\n"
                         % (after, seq1, seq2, cks, ftype))
        ok = False
    want = set(p.lower() for p in paths)
    if len(want) != len(paths):
        die("duplicate paths given")

    # regfexport: types, sizes, data.
    kb, ka = ({}, {}) if rl_only else (regfexport(before), regfexport(after))
    expected = {}
    found = set()
    for k, vals in kb.items():
        nv = []
        for (name, t, size, data) in vals:
            if (k + "\\" + name).lower() in want:
                found.add((k + "\\" + name).lower())
                s, d = blank_form(t)
                nv.append((name, t, s, d))
            else:
                nv.append((name, t, size, data))
        expected[k] = nv
    missing = set() if rl_only else want - found
    if missing:
        die("values to check are not in %s: %s" % (before, ", ".join(sorted(missing))))
    le, la = regf_lines(expected), regf_lines(ka)
    if le != la:
        ok = False
        import difflib
        sys.stderr.write("regcheck: regfexport view of %s differs from the expected:\n" % after)
        for l in difflib.unified_diff(le, la, "expected", "after", lineterm="", n=0):
            sys.stderr.write("  " + l + "\n")

    # reglookup: every row, key times included.
    rb, ra = reglookup(before), reglookup(after)
    rexp = {}
    for p, (t, v, m) in rb.items():
        if rl_only and p.lower() in want:
            found.add(p.lower())
        if p.lower() in want:
            if t not in RL_BLANK and v != "" and t not in ("BINARY", "NONE"):
                die("reglookup type %s of %s not handled" % (t, p))
            v = RL_BLANK.get(t, "(null)")
        rexp[p] = (t, v, m)
    if rl_only and want - found:
        die("values to check are not in %s: %s" % (before, ", ".join(sorted(want - found))))
    if rexp != ra:
        ok = False
        sys.stderr.write("regcheck: reglookup view of %s differs from the expected:\n" % after)
        for p in sorted(set(rexp) | set(ra)):
            if rexp.get(p) != ra.get(p):
                sys.stderr.write("  %s: expected %s, got %s\n" % (p, rexp.get(p), ra.get(p)))
    if not ok:
        sys.exit(1)


def same_values(a, b):
    la, lb = regf_lines(regfexport(a)), regf_lines(regfexport(b))
    if la != lb:
        import difflib
        sys.stderr.write("regcheck: %s and %s hold different values:\n" % (a, b))
        for l in list(difflib.unified_diff(la, lb, a, b, lineterm="", n=0))[:40]:
            sys.stderr.write("  " + l + "\n")
        sys.exit(1)


def rl_bytes(text):
    """reglookup's rendering of binary data: %XX escapes, the rest as is."""
    out = bytearray()
    i = 0
    while i < len(text):
        if text[i] == "%" and i + 2 < len(text) + 1 and len(text[i + 1:i + 3]) == 2:
            out.append(int(text[i + 1:i + 3], 16))
            i += 3
        else:
            out += text[i].encode("latin-1")
            i += 1
    return bytes(out)


def value_bytes(path, key, name, want_file):
    want = open(want_file, "rb").read()
    row = reglookup(path).get(key + "\\" + name)
    if row is None:
        die("reglookup: no value %s\\%s in %s" % (key, name, path))
    text = row[0] in ("SZ", "EXPAND_SZ")
    if text:
        want_text = want.decode("utf-16le").rstrip("\0")
        if row[1] != want_text:
            die("reglookup: %s\\%s reads %r, not %r" % (key, name, row[1], want_text))
    got = want if text else rl_bytes(row[1])
    if got != want:
        die("reglookup: %s\\%s holds %d bytes, not the %d expected (first difference at %s)"
            % (key, name, len(got), len(want),
               next((i for i in range(min(len(got), len(want))) if got[i] != want[i]), "end")))
    vals = [v for v in regfexport(path).get(key, []) if v[0] == name]
    if len(vals) != 1:
        die("regfexport: no value %s\\%s in %s" % (key, name, path))
    _, _, size, data = vals[0]
    if text and size == len(want) and data == "=" + want_text:
        return
    if size != len(want) or not data.startswith("hex:") or bytes.fromhex(data[4:]) != want:
        die("regfexport: %s\\%s differs from the %d bytes expected (size %s)"
            % (key, name, len(want), size))


def main(argv):
    if len(argv) < 2:
        die("usage: see the top of this file")
    cmd, args = argv[1], argv[2:]
    if cmd in ("expect", "scrubbed"):
        profile, all_cs, keep, rl_only = "seed", False, False, False
        files = []
        i = 0
        while i < len(args):
            a = args[i]
            if a == "--profile":
                profile = args[i + 1]
                i += 1
            elif a == "--all-controlsets":
                all_cs = True
            elif a == "--keep-static":
                keep = True
            elif a == "--reglookup-only":
                rl_only = True
            else:
                files.append(a)
            i += 1
        if len(files) != 1 if cmd == "expect" else len(files) < 2:
            die("expect takes one hive, scrubbed two or more")
        paths = (expect_rl if rl_only else expect)(files[0], profile, all_cs, keep)
        for p in paths:
            print(p)
        sys.stdout.flush()
        if cmd == "scrubbed":
            for after in files[1:]:
                verify(files[0], after, paths, rl_only)
    elif cmd == "verify":
        rl_only = "--reglookup-only" in args
        args = [a for a in args if a != "--reglookup-only"]
        verify(args[0], args[1], args[2:], rl_only)
    elif cmd == "header":
        print("%d %d %s %d %d" % tuple(header(args[0])))
    elif cmd == "same-values":
        same_values(args[0], args[1])
    elif cmd == "bytes":
        value_bytes(*args)
    else:
        die("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
