#!/usr/bin/env python3
"""mkbad.py CLEAN_HIVE OUTDIR: writes the damaged hives of the bad-input
table, each patched from CLEAN_HIVE (a fixture with one interface under
ControlSet001\\Services\\Tcpip\\Parameters\\Interfaces):

  truncated.hive        the first 6000 bytes
  zeroed-header.hive    the 4096-byte base block zeroed
  bad-checksum.hive     the base-block checksum off by one
  hbins-past-end.hive   hive-bins size 0x7ffff000, checksum recomputed
  cycle.hive            the Interfaces subkey list points back at ControlSet001
  self-cycle.hive       ... and at Interfaces itself
  huge-value.hive       every value of the interface claims 2 GB of data
  vlist-outside.hive    the interface's value list offset lies past the end
  data-mid-cell.hive    a value's data offset points into the middle of a cell

mkbad.py shared HIVE OUTDIR (issue 18: cells two structures share, each a
hive every reader reads cleanly; HIVE is one-iface, or one-iface with a
REG_BINARY BigBlob of more than 16344 bytes (big data) in Parameters, and
for shared-db-list the interface's DhcpInterfaceOptions as big data of the
same size):

  shared-data.hive      the interface's Domain points its data at
                        Parameters' Hostname's data cell
  shared-vk.hive        Parameters' value list holds the interface's
                        DhcpIPAddress vk (in SearchList's slot)
  shared-db.hive        (with BigBlob) DhcpInterfaceOptions points at
                        BigBlob's db cell
  shared-db-list.hive   (with the big values) DhcpInterfaceOptions' db cell
                        points at BigBlob's segment list
  db-count-lie.hive     (with BigBlob) BigBlob's db cell claims one
                        segment more than its data fills

Cells are found by walking the tree as the format describes it (nk, lf/lh/li
lists, vk), so the patches follow the fixture wherever hivexregedit put
things."""
import os
import struct
import sys

BASE = 4096


def u32(b, off):
    return struct.unpack_from("<I", b, off)[0]


def put32(b, off, v):
    struct.pack_into("<I", b, off, v)


def checksum(b):
    x = 0
    for i in range(0, 508, 4):
        x ^= u32(b, i)
    if x == 0:
        x = 1
    elif x == 0xFFFFFFFF:
        x = 0xFFFFFFFE
    put32(b, 508, x)


def nk(b, off):
    """off: a cell offset relative to the first hbin; returns the record's file offset."""
    rec = BASE + off + 4
    assert b[rec:rec + 2] == b"nk", "no nk at 0x%x" % off
    return rec


def nk_name(b, rec):
    n = struct.unpack_from("<H", b, rec + 72)[0]
    return b[rec + 76:rec + 76 + n].decode("latin-1")


def subkey_entries(b, rec):
    """File offsets of the 4-byte entries of the key's subkey list."""
    count = u32(b, rec + 20)
    if count == 0:
        return []
    lst = BASE + u32(b, rec + 28) + 4
    sig = b[lst:lst + 2]
    n = struct.unpack_from("<H", b, lst + 2)[0]
    step = 8 if sig in (b"lf", b"lh") else 4
    assert sig in (b"lf", b"lh", b"li"), "subkey list %r" % sig
    return [lst + 4 + step * i for i in range(n)]


def child(b, rec, name):
    for e in subkey_entries(b, rec):
        c = nk(b, u32(b, e))
        if nk_name(b, c).lower() == name.lower():
            return c, e
    raise SystemExit("mkbad.py: no key %s under %s" % (name, nk_name(b, rec)))


def walk(b, path):
    rec = nk(b, u32(b, 36))
    for comp in path.split("\\"):
        rec, _ = child(b, rec, comp)
    return rec


def values(b, rec):
    n = u32(b, rec + 36)
    vl = BASE + u32(b, rec + 40) + 4
    return [BASE + u32(b, vl + 4 * i) + 4 for i in range(n)]


def value(b, rec, name):
    for vk in values(b, rec):
        n = struct.unpack_from("<H", b, vk + 2)[0]
        if b[vk + 20:vk + 20 + n].decode("latin-1").lower() == name.lower():
            return vk
    raise SystemExit("mkbad.py: no value %s under %s" % (name, nk_name(b, rec)))


def shared(src, out):
    clean = open(src, "rb").read()
    os.makedirs(out, exist_ok=True)
    params_path = "ControlSet001\\Services\\Tcpip\\Parameters"
    params = walk(clean, params_path)
    ifaces = walk(clean, params_path + "\\Interfaces")
    iface = nk(clean, u32(clean, subkey_entries(clean, ifaces)[0]))

    def write(name, data):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)

    # Domain (inline "") takes Hostname's data: length and offset.
    b = bytearray(clean)
    host, dom = value(b, params, "Hostname"), value(b, iface, "Domain")
    assert not u32(b, host + 4) & 0x80000000, "Hostname is inline"
    put32(b, dom + 4, u32(b, host + 4))
    put32(b, dom + 8, u32(b, host + 8))
    write("shared-data.hive", b)

    b = bytearray(clean)
    slot = values(b, params).index(value(b, params, "SearchList"))
    vl = BASE + u32(b, params + 40) + 4
    put32(b, vl + 4 * slot, value(b, iface, "DhcpIPAddress") - 4 - BASE)
    write("shared-vk.hive", b)

    b = bytearray(clean)
    try:
        blob, opts = value(b, params, "BigBlob"), value(b, iface, "DhcpInterfaceOptions")
    except SystemExit:
        return
    db_blob, db_opts = BASE + u32(b, blob + 8) + 4, BASE + u32(b, opts + 8) + 4
    assert b[db_blob:db_blob + 2] == b"db", "BigBlob is not big data"
    put32(b, opts + 4, u32(b, blob + 4))
    put32(b, opts + 8, u32(b, blob + 8))
    write("shared-db.hive", b)
    b = bytearray(clean)
    struct.pack_into("<H", b, db_blob + 2, struct.unpack_from("<H", b, db_blob + 2)[0] + 1)
    write("db-count-lie.hive", b)
    if b[db_opts:db_opts + 2] != b"db":
        return
    assert u32(b, blob + 4) == u32(b, opts + 4), "BigBlob and DhcpInterfaceOptions differ in size"
    b = bytearray(clean)
    put32(b, db_opts + 4, u32(b, db_blob + 4))
    write("shared-db-list.hive", b)


def main():
    if sys.argv[1] == "shared":
        shared(sys.argv[2], sys.argv[3])
        return
    src, out = sys.argv[1], sys.argv[2]
    clean = open(src, "rb").read()
    os.makedirs(out, exist_ok=True)

    def write(name, data):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)

    write("truncated.hive", clean[:6000])
    write("zeroed-header.hive", bytes(BASE) + clean[BASE:])

    b = bytearray(clean)
    put32(b, 508, (u32(b, 508) + 1) & 0xFFFFFFFF)
    write("bad-checksum.hive", b)

    b = bytearray(clean)
    put32(b, 40, 0x7FFFF000)
    checksum(b)
    write("hbins-past-end.hive", b)

    params = "ControlSet001\\Services\\Tcpip\\Parameters"
    cs = walk(clean, "ControlSet001")
    ifaces = walk(clean, params + "\\Interfaces")
    for name, target in (("cycle.hive", cs), ("self-cycle.hive", ifaces)):
        b = bytearray(clean)
        entry = subkey_entries(b, ifaces)[0]
        put32(b, entry, target - 4 - BASE)
        write(name, b)

    iface, _ = child(clean, ifaces, nk_name(clean, nk(clean, u32(clean, subkey_entries(
        clean, ifaces)[0]))))
    b = bytearray(clean)
    for vk in values(b, iface):
        assert b[vk:vk + 2] == b"vk"
        put32(b, vk + 4, 0x7FFFFFF0)  # data length, not inline
    write("huge-value.hive", b)

    b = bytearray(clean)
    put32(b, iface + 40, 0x7FFFFFF0)
    write("vlist-outside.hive", b)

    # A value whose data offset points 8 bytes into its data cell: hivex
    # frees it without looking (mark_block_unused asserts) when the key is
    # deleted or its values rewritten.
    # A REG_DWORD, whose data hivex's tree walk never checks, moved out of
    # its vk (data length 4, not inline) with an offset pointing 8 bytes
    # into another value's data cell.
    b = bytearray(clean)
    vks = values(b, iface)
    outside = [vk for vk in vks if not u32(b, vk + 4) & 0x80000000]
    dwords = [vk for vk in vks if u32(b, vk + 12) == 4 and u32(b, vk + 4) & 0x80000000]
    assert outside and dwords, "mkbad.py: need a REG_DWORD and a value stored outside its vk"
    put32(b, dwords[0] + 4, 4)
    put32(b, dwords[0] + 8, u32(b, outside[0] + 8) + 8)
    write("data-mid-cell.hive", b)


main()
