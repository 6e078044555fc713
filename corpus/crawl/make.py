#!/usr/bin/python3
"""Writes the small crawl of corpus/crawl/ (run from anywhere; deterministic).

crawl.warc.gz   WARC 1.1, one gzip member per record (README.md lists them)
crawl.wet.gz    WET: conversion records of the pages of two news sites

The output is committed, so that the tests do not depend on the bytes a
given zlib writes (record offsets are checked); rerun this after editing it.
"""
import gzip
import os
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
N = [0]


def rid():
    N[0] += 1
    return "<urn:uuid:00000000-0000-4000-8000-%012d>" % N[0]


def record(wtype, fields, block, length=None):
    head = ["WARC/1.1", "WARC-Type: " + wtype]
    head += ["%s: %s" % kv for kv in fields]
    head.append("Content-Length: %d" % (len(block) if length is None else length))
    return ("\r\n".join(head) + "\r\n\r\n").encode() + block + b"\r\n\r\n"


def http(status, headers, body):
    lines = ["HTTP/1.1 %s" % status] + ["%s: %s" % kv for kv in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def chunked(body, size=700):
    out = b""
    for i in range(0, len(body), size):
        part = body[i:i + size]
        out += b"%x\r\n" % len(part) + part + b"\r\n"
    return out + b"0\r\n\r\n"


def member(data):
    return gzip.compress(data, compresslevel=6, mtime=0)


STORY = [
    "The city council approved on Monday a plan to rebuild the old harbour bridge, closed since a storm damaged its pillars two winters ago.",
    "Engineers told the council that the new bridge would carry a tram line, two lanes for cars and a wide path for bicycles and people on foot.",
    "Work is due to start in the spring and to last three years, during which ferries will run every twenty minutes between the two banks.",
    "Shop owners near the harbour welcomed the vote, saying that the closure had cost them a third of their customers since the storm.",
    "The plan still needs the approval of the regional government, which pays for half of the works and has asked for a study of the costs.",
]
OTHER = [
    "A new exhibition of maps drawn by sailors in the seventeenth century opened at the museum of the port on Saturday morning.",
    "The curators spent two years gathering the maps from private collections and from the archives of three countries around the sea.",
    "Visitors can follow the routes of the merchant ships on a large screen that shows how the coasts were drawn before modern surveys.",
]
ISO_TEXT = [
    "Le marché couvert de la vieille ville rouvre ses portes après deux années de travaux menés par la commune.",
    "Les commerçants retrouvent leurs étals rénovés, et les habitants saluent une halle plus claire et mieux aérée qu'avant.",
]


def page(site, title, paras):
    nav = '<nav><a href="/">Home</a> | <a href="/world">World</a> | <a href="/city">City</a></nav>'
    body = "\n".join("<p>%s</p>" % p for p in paras)
    return ("<!DOCTYPE html>\n<html>\n<head><title>%s</title></head>\n<body>\n<header>%s</header>\n%s\n"
            "<article>\n<h1>%s</h1>\n%s\n</article>\n<footer>Copyright 2024 %s. All rights reserved.</footer>\n"
            "</body>\n</html>\n" % (title, site, nav, title, body, site))


def warc():
    recs = []
    info = b"software: corpus/crawl/make.py\r\nformat: WARC File Format 1.1\r\n"
    recs.append(record("warcinfo", [("WARC-Date", "2024-03-01T07:00:00Z"), ("WARC-Record-ID", rid()),
                                    ("Content-Type", "application/warc-fields")], info))
    # The syndicated copy comes first in the file but is dated later: the
    # original (dated earlier) stays the cluster's representative.
    b_url = "http://www.news-b.example/world/harbour-bridge.html"
    req_b, resp_b = rid(), rid()
    recs.append(record("request", [("WARC-Target-URI", b_url), ("WARC-Date", "2024-03-01T10:00:00Z"),
                                   ("WARC-Record-ID", req_b), ("Content-Type", "application/http;msgtype=request")],
                       b"GET /world/harbour-bridge.html HTTP/1.1\r\nHost: www.news-b.example\r\n\r\n"))
    html_b = page("News B", "Harbour bridge to be rebuilt", STORY).encode()
    recs.append(record("response", [("WARC-Target-URI", b_url), ("WARC-Date", "2024-03-01T10:00:00Z"),
                                    ("WARC-Record-ID", resp_b), ("WARC-Concurrent-To", req_b),
                                    ("Content-Type", "application/http;msgtype=response")],
                       http("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")],
                            gzip.compress(html_b, mtime=0))))
    recs.append(record("metadata", [("WARC-Target-URI", b_url), ("WARC-Date", "2024-03-01T10:00:00Z"),
                                    ("WARC-Record-ID", rid()), ("WARC-Concurrent-To", resp_b),
                                    ("Content-Type", "application/warc-fields")], b"fetchTimeMs: 120\r\n"))
    a_url = "https://news-a.example/city/harbour-bridge"
    html_a = page("News A", "Council votes to rebuild the harbour bridge", STORY).encode()
    recs.append(record("response", [("WARC-Target-URI", a_url), ("WARC-Date", "2024-03-01T08:00:00Z"),
                                    ("WARC-Record-ID", rid()), ("Content-Type", "application/http;msgtype=response")],
                       http("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Transfer-Encoding", "chunked")],
                            chunked(html_a))))
    o_url = "https://news-a.example/culture/sea-maps"
    recs.append(record("response", [("WARC-Target-URI", o_url), ("WARC-Date", "2024-03-01T08:05:00Z"),
                                    ("WARC-Record-ID", rid()), ("Content-Type", "application/http;msgtype=response")],
                       http("200 OK", [("Content-Type", "text/html"), ("Content-Encoding", "deflate")],
                            zlib.compress(page("News A", "Old sea maps at the port museum", OTHER).encode()))))
    iso_url = "http://vieux.example/marche.html"
    iso = ("<html><head><title>March\u00e9</title></head>\n<body>\n%s\n</body></html>\n"
           % "\n".join("<p>%s</p>" % p for p in ISO_TEXT)).encode("iso-8859-1")
    recs.append(record("response", [("WARC-Target-URI", iso_url), ("WARC-Date", "2024-03-01T09:00:00Z"),
                                    ("WARC-Record-ID", rid()), ("Content-Type", "application/http;msgtype=response")],
                       http("200 OK", [("Content-Type", "text/html")], iso)))
    recs.append(record("response", [("WARC-Target-URI", "https://news-a.example/logo.png"),
                                    ("WARC-Date", "2024-03-01T08:01:00Z"), ("WARC-Record-ID", rid()),
                                    ("Content-Type", "application/http;msgtype=response")],
                       http("200 OK", [("Content-Type", "image/png")], b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")))
    recs.append(record("response", [("WARC-Target-URI", "https://news-a.example/gone"),
                                    ("WARC-Date", "2024-03-01T08:02:00Z"), ("WARC-Record-ID", rid()),
                                    ("Content-Type", "application/http;msgtype=response")],
                       http("404 Not Found", [("Content-Type", "text/html")], b"<html><body>Not found</body></html>")))
    recs.append(record("revisit", [("WARC-Target-URI", a_url), ("WARC-Date", "2024-03-02T08:00:00Z"),
                                   ("WARC-Record-ID", rid()),
                                   ("WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"),
                                   ("Content-Type", "application/http;msgtype=response")],
                       b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"))
    recs.append(record("response", [("WARC-Target-URI", "https://news-c.example/brotli"),
                                    ("WARC-Date", "2024-03-01T08:03:00Z"), ("WARC-Record-ID", rid()),
                                    ("Content-Type", "application/http;msgtype=response")],
                       http("200 OK", [("Content-Type", "text/html"), ("Content-Encoding", "br")], b"\x1b\x03\x00")))
    # a header line without a colon
    bad = record("response", [("WARC-Target-URI", "https://news-c.example/bad"), ("WARC-Date", "2024-03-01T08:04:00Z"),
                              ("WARC-Record-ID", rid())], http("200 OK", [("Content-Type", "text/html")], b"<p>x</p>"))
    recs.append(bad.replace(b"WARC-Date: ", b"WARC-Date ", 1))
    # a Content-Length 5 bytes short
    body = http("200 OK", [("Content-Type", "text/html")], b"<html><body><p>short</p></body></html>")
    recs.append(record("response", [("WARC-Target-URI", "https://news-c.example/short"),
                                    ("WARC-Date", "2024-03-01T08:06:00Z"), ("WARC-Record-ID", rid()),
                                    ("Content-Type", "application/http;msgtype=response")], body, len(body) - 5))
    # no Content-Type: sniffed
    recs.append(record("response", [("WARC-Target-URI", "http://vieux.example/sans-type"),
                                    ("WARC-Date", "2024-03-01T09:10:00Z"), ("WARC-Record-ID", rid()),
                                    ("Content-Type", "application/http;msgtype=response")],
                       http("200 OK", [], b"  <!DOCTYPE html><html><body><p>Pas de type, mais du HTML quand meme.</p></body></html>")))
    # the same URI fetched again a day later, unchanged: id "URI#2", a copy
    recs.append(record("response", [("WARC-Target-URI", iso_url), ("WARC-Date", "2024-03-02T09:00:00Z"),
                                    ("WARC-Record-ID", rid()), ("Content-Type", "application/http;msgtype=response")],
                       http("200 OK", [("Content-Type", "text/html")], iso)))
    members = [member(r) for r in recs]
    last = member(record("response", [("WARC-Target-URI", "https://news-a.example/cut"), ("WARC-Date", "2024-03-01T08:09:00Z"),
                                      ("WARC-Record-ID", rid()), ("Content-Type", "application/http;msgtype=response")],
                         http("200 OK", [("Content-Type", "text/html")], page("News A", "Cut", OTHER).encode())))
    members.append(last[:len(last) * 2 // 3])  # the file ends inside the last member
    with open(os.path.join(HERE, "crawl.warc.gz"), "wb") as f:
        f.write(b"".join(members))


def wet():
    recs = [record("warcinfo", [("WARC-Date", "2024-03-03T00:00:00Z"), ("WARC-Record-ID", rid()),
                                ("Content-Type", "application/warc-fields")], b"software: corpus/crawl/make.py\r\n")]
    chrome = {"news-a.example": (["Home | World | City | Sports", "Subscribe to the morning letter"],
                                 ["Copyright 2024 News A. All rights reserved.", "Contact us | Advertise | Jobs"]),
              "news-b.example": (["News B front page | Latest | Most read", "Sign in to comment"],
                                 ["News B is published by the B Media Group.", "Privacy | Terms | Cookies"])}
    stories = {
        "harbour": STORY,
        "maps": OTHER,
        "market": ["The covered market of the old town reopened after two years of works paid for by the town and the region.",
                   "Traders are back at their renovated stalls, and residents praise a hall that is brighter and airier than before.",
                   "The mayor said that the market would stay open on Sunday mornings through the summer for the first time."],
        "rail": ["The regional rail company will add evening trains on the coast line from June, after a year of complaints.",
                 "Commuters had asked for a train after nine in the evening, when the last one now leaves the central station.",
                 "The company said that new carriages ordered last year would allow it to run the extra services without delay."],
        "school": ["A primary school on the hill will get a new playground and a garden, paid for by a fund raised by parents.",
                   "Children will grow vegetables in the garden and sell them at the school fair at the end of the year.",
                   "Teachers hope the garden will also serve for lessons on plants, insects and the seasons."],
    }
    pages = [("https://news-a.example/city/harbour-bridge", "2024-03-01T08:00:00Z", "harbour"),
             ("https://news-a.example/culture/sea-maps", "2024-03-01T08:05:00Z", "maps"),
             ("https://news-a.example/city/market", "2024-03-01T08:10:00Z", "market"),
             ("http://www.news-b.example/world/harbour-bridge.html", "2024-03-01T10:00:00Z", "harbour"),
             ("http://www.news-b.example/region/rail", "2024-03-01T10:05:00Z", "rail"),
             ("http://www.news-b.example/region/school", "2024-03-01T10:10:00Z", "school")]
    for url, date, story in pages:
        host = url.split("/")[2].replace("www.", "")
        top, bottom = chrome[host]
        text = "\n".join(top + stories[story] + bottom) + "\n"
        recs.append(record("conversion", [("WARC-Target-URI", url), ("WARC-Date", date), ("WARC-Record-ID", rid()),
                                          ("Content-Type", "text/plain")], text.encode()))
    with open(os.path.join(HERE, "crawl.wet.gz"), "wb") as f:
        f.write(b"".join(member(r) for r in recs))


if __name__ == "__main__":
    warc()
    wet()
