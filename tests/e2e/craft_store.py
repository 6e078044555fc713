#!/usr/bin/env python3
"""Crafts damaged stores for tests/e2e/bad_input.sh: fields changed *with*
their checksums recomputed, so that the reader's checks behind the checksums
are what is tested (docs/FORMAT.md, version 2 layout).

usage: craft_store.py MODE IN OUT
  version   Write_Version and Read_Version set to 250
  slots     both commit slots declare 2^62 documents
  frame     the first frame declares 2^32 - 1 documents
Exits 2 when IN is not laid out as expected (the checksums of IN are checked
first, so a wrong XXH64 here cannot pass silently).
"""
import struct
import sys

M = (1 << 64) - 1
P1, P2, P3, P4, P5 = (0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                      0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5)


def rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & M


def rnd(acc, lane):
    return (rotl((acc + lane * P2) & M, 31) * P1) & M


def merge(acc, v):
    return ((acc ^ rnd(0, v)) * P1 + P4) & M


def xxh64(data, seed=0):
    n, i = len(data), 0
    if n >= 32:
        v = [(seed + P1 + P2) & M, (seed + P2) & M, seed, (seed - P1) & M]
        while i + 32 <= n:
            for k in range(4):
                v[k] = rnd(v[k], struct.unpack_from('<Q', data, i + 8 * k)[0])
            i += 32
        h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & M
        for k in range(4):
            h = merge(h, v[k])
    else:
        h = (seed + P5) & M
    h = (h + n) & M
    while i + 8 <= n:
        h = (rotl(h ^ rnd(0, struct.unpack_from('<Q', data, i)[0]), 27) * P1 + P4) & M
        i += 8
    if i + 4 <= n:
        h = (rotl(h ^ (struct.unpack_from('<I', data, i)[0] * P1) & M, 23) * P2 + P3) & M
        i += 4
    while i < n:
        h = (rotl(h ^ (data[i] * P5) & M, 11) * P1) & M
        i += 1
    h = ((h ^ (h >> 33)) * P2) & M
    h = ((h ^ (h >> 29)) * P3) & M
    return h ^ (h >> 32)


def check(buf, start, length, at):
    if xxh64(bytes(buf[start:start + length])) != struct.unpack_from('<Q', buf, at)[0]:
        sys.exit('craft_store.py: checksum at %d does not match: not a version 2 store?' % at)


def reseal(buf, start, length, at):
    struct.pack_into('<Q', buf, at, xxh64(bytes(buf[start:start + length])))


def main():
    mode, src, dst = sys.argv[1:4]
    buf = bytearray(open(src, 'rb').read())
    if buf[:4] != b'\xf9\x6e\x64\x73':
        sys.exit(2)
    plen = struct.unpack_from('<I', buf, 8)[0]
    hdr = 16 + plen               # header checksum offset
    slots = hdr + 8               # two commit slots of 48 bytes
    frame = slots + 96
    check(buf, 0, hdr, hdr)
    for s in (slots, slots + 48):
        check(buf, s, 40, s + 40)
    check(buf, frame, 24, frame + 24)
    if mode == 'version':
        buf[4] = buf[5] = 250
        reseal(buf, 0, hdr, hdr)
    elif mode == 'slots':
        for s in (slots, slots + 48):
            struct.pack_into('<Q', buf, s + 16, 1 << 62)
            reseal(buf, s, 40, s + 40)
    elif mode == 'frame':
        struct.pack_into('<I', buf, frame + 12, 0xFFFFFFFF)
        reseal(buf, frame, 24, frame + 24)
    else:
        sys.exit(__doc__)
    open(dst, 'wb').write(bytes(buf))


if __name__ == '__main__':
    main()
