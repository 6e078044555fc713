#!/usr/bin/python3
"""Checks a WARC written by `neardup filter`, record by record.

usage: warc_members.py IN OUT RECORD-ID...

OUT must be gzip members, one record each, holding exactly the records of
IN whose WARC-Record-ID is listed, in IN's order: for a .warc.gz IN, the
very bytes of IN's member; for a plain IN, the record's bytes compressed.
Prints what differs and exits 1; exits 0 when all agree.
"""
import re
import sys
import zlib


def members(data):
    """(raw member bytes, decoded bytes) of each complete gzip member."""
    out, off = [], 0
    while off < len(data):
        d = zlib.decompressobj(31)
        try:
            text = d.decompress(data[off:])
        except zlib.error:
            break
        if not d.eof:
            break
        n = len(data) - off - len(d.unused_data)
        out.append((data[off:off + n], text))
        off += n
    return out


def plain_records(data):
    out, off = [], 0
    while True:
        start = data.find(b"WARC/1.", off)
        if start < 0:
            return out
        end = data.find(b"\r\n\r\n", start)
        m = re.search(rb"\r\nContent-Length: *(\d+)", data[start:end + 2])
        stop = end + 4 + int(m.group(1)) + 4 if m else end + 4
        rec = data[start:stop]
        if m and rec.endswith(b"\r\n\r\n") and len(rec) == stop - start:
            out.append((None, rec))
        off = start + 1 if not m else max(start + 1, stop)


def rid(text):
    m = re.search(rb"\r\nWARC-Record-ID: *(\S+)", text.split(b"\r\n\r\n", 1)[0])
    return m.group(1).decode() if m else None


def main():
    src, dst, keep = sys.argv[1], sys.argv[2], set(sys.argv[3:])
    data = open(src, "rb").read()
    ins = members(data) if data[:2] == b"\x1f\x8b" else plain_records(data)
    want = [m for m in ins if rid(m[1]) in keep]
    got = members(open(dst, "rb").read())
    bad = 0
    if [rid(m[1]) for m in want] != [rid(m[1]) for m in got]:
        print("records: want %s, got %s" % ([rid(m[1]) for m in want], [rid(m[1]) for m in got]))
        bad = 1
    for w, g in zip(want, got):
        if g[1] != w[1] or (w[0] is not None and g[0] != w[0]):
            print("record %s differs" % rid(w[1]))
            bad = 1
    sys.exit(bad)


main()
