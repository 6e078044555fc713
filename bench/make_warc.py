#!/usr/bin/python3
"""Writes a synthetic crawl for bench/warc.sh: WARC 1.1, one gzip member per
record, request + response per page (half chunked, a quarter gzip-encoded),
until the file reaches SIZE megabytes.

usage: make_warc.py OUT.warc.gz SIZE_MB
Pages are ~12 KB of HTML: chrome of 20 sites and 6-14 paragraphs drawn from
a fixed pool of pseudo-random text (seeded: the same file each run).
"""
import gzip
import random
import sys

rng = random.Random(13)
WORDS = ["".join(rng.choice("etaoinshrdlcumwfgypbvk") for _ in range(rng.randint(2, 9))) for _ in range(3000)]
POOL = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(25, 70))).capitalize() + "." for _ in range(20000)]


def page(site, n):
    paras = "\n".join("<p>%s</p>" % rng.choice(POOL) for _ in range(rng.randint(6, 14)))
    nav = "".join('<li><a href="/s%d">%s</a></li>' % (i, rng.choice(WORDS)) for i in range(12))
    return ("<!DOCTYPE html><html><head><title>%s %d</title><script>var x=%d;</script></head><body>"
            "<nav><ul>%s</ul></nav><main><article><h1>%s</h1>\n%s\n</article></main>"
            "<footer>site %s</footer></body></html>" % (site, n, n, nav, rng.choice(POOL)[:60], paras, site)).encode()


def record(wtype, uri, n, block):
    head = ("WARC/1.1\r\nWARC-Type: %s\r\nWARC-Target-URI: %s\r\nWARC-Date: 2024-01-01T00:00:00Z\r\n"
            "WARC-Record-ID: <urn:uuid:%08d-0000-4000-8000-%012d>\r\nContent-Length: %d\r\n\r\n"
            % (wtype, uri, n, 1 if wtype == "request" else 2, len(block)))
    return gzip.compress(head.encode() + block + b"\r\n\r\n", compresslevel=6, mtime=0)


def main():
    out, limit = sys.argv[1], float(sys.argv[2]) * 1e6
    size, n = 0, 0
    with open(out, "wb") as f:
        while size < limit:
            site = "site%02d.example" % (n % 20)
            uri = "https://%s/story/%d" % (site, n)
            body = page(site, n)
            headers = "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            if n % 4 == 1:
                body = gzip.compress(body, mtime=0)
                headers += "Content-Encoding: gzip\r\n"
            if n % 2 == 0:
                body = b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
                headers += "Transfer-Encoding: chunked\r\n"
            for rec in (record("request", uri, n, b"GET / HTTP/1.1\r\nHost: " + site.encode() + b"\r\n\r\n"),
                        record("response", uri, n, headers.encode() + b"\r\n" + body)):
                f.write(rec)
                size += len(rec)
            n += 1


main()
