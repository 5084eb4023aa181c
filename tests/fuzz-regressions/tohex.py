#!/usr/bin/env python3
"""tohex.py FILE > FILE.hex: the sparse hex dump regress-main.c reads."""
import sys

data = open(sys.argv[1], "rb").read()
print("size %d" % len(data))
for off in range(0, len(data), 32):
    chunk = data[off:off + 32]
    if any(chunk):
        print("%x %s" % (off, chunk.hex()))
