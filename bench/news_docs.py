#!/usr/bin/python3
"""Cuts the raw documentation text into news-like documents, deterministically.

Usage: news_docs.py RAWDIR NEWS_TXT NEWS_JSONL

Rules (the benchmark needs prose shaped like news articles, not manuals):
  * a paragraph is a block of lines between blank lines, its words joined by
    single spaces onto one line;
  * a block is prose when it has at least MIN_WORDS words and at least
    PROSE_SHARE of them are plain words (letters, inner apostrophes or
    hyphens, surrounding punctuation allowed): this drops code, tables,
    option lists and markup;
  * a paragraph longer than MAX_PARA words is packed sentence by sentence
    into pieces of at most MAX_PARA words (a longer sentence is cut hard);
  * the paragraphs of each source, in order, fill documents whose length in
    words is drawn uniformly from [MIN_DOC, MAX_DOC] by a generator seeded
    with SEED; a document never passes MAX_DOC, and a source's last,
    too-short document is dropped.
Sources are read in byte order of their file names.
"""
import json
import os
import random
import re
import sys

MIN_WORDS, PROSE_SHARE, MAX_PARA = 8, 0.7, 250
MIN_DOC, MAX_DOC, SEED = 300, 1500, 5

PLAIN_WORD = re.compile(r"[A-Za-z]+(?:['\u2019-][A-Za-z]+)*")
EDGE_PUNCT = "\"'()[]{}.,;:!?\u2018\u2019\u201c\u201d"
SENTENCE_END = re.compile(r"[.!?][\"')\]\u2019\u201d]*$")
BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


def is_plain(word):
    return PLAIN_WORD.fullmatch(word.strip(EDGE_PUNCT)) is not None


def is_prose(words):
    plain = sum(map(is_plain, words))
    return len(words) >= MIN_WORDS and plain >= PROSE_SHARE * len(words)


def sentences(words):
    """Yields the sentences of a paragraph as lists of words."""
    start = 0
    for i, w in enumerate(words):
        if SENTENCE_END.search(w):
            yield words[start:i + 1]
            start = i + 1
    if start < len(words):
        yield words[start:]


def pieces(words):
    """Packs whole sentences into pieces of at most MAX_PARA words."""
    if len(words) <= MAX_PARA:
        yield words
        return
    piece = []
    for s in sentences(words):
        while len(s) > MAX_PARA:  # a run-on "sentence": cut it hard
            if piece:
                yield piece
                piece = []
            yield s[:MAX_PARA]
            s = s[MAX_PARA:]
        if len(piece) + len(s) > MAX_PARA:
            yield piece
            piece = []
        piece = piece + s
    if piece:
        yield piece


def paragraphs(text):
    for block in BLANK_LINE.split(text):
        words = block.split()
        if is_prose(words):
            for p in pieces(words):
                if len(p) >= MIN_WORDS:
                    yield p


def documents(raw_dir, rng):
    """Yields documents (lists of paragraph strings), source after source."""
    for name in sorted(os.listdir(raw_dir)):
        if not name.endswith(".txt"):
            continue
        with open(os.path.join(raw_dir, name), encoding="utf-8", errors="replace") as f:
            text = f.read()
        doc, words, target = [], 0, rng.randint(MIN_DOC, MAX_DOC)
        for p in paragraphs(text):
            if words + len(p) > MAX_DOC:  # words > MAX_DOC - MAX_PARA >= MIN_DOC here
                yield doc
                doc, words, target = [], 0, rng.randint(MIN_DOC, MAX_DOC)
            doc.append(" ".join(p))
            words += len(p)
            if words >= target:
                yield doc
                doc, words, target = [], 0, rng.randint(MIN_DOC, MAX_DOC)


def main():
    raw_dir, txt_path, jsonl_path = sys.argv[1:4]
    rng = random.Random(SEED)
    count = words = 0
    with open(txt_path, "w", encoding="utf-8", newline="\n") as txt, \
            open(jsonl_path, "w", encoding="utf-8", newline="\n") as jsonl:
        for doc in documents(raw_dir, rng):
            body = "\n\n".join(doc) + "\n"
            txt.write(("\f\n" if count else "") + body)
            jsonl.write(json.dumps({"id": count, "text": body}, ensure_ascii=False) + "\n")
            count += 1
            words += sum(len(p.split()) for p in doc)
    print("news_docs: %d documents, %d words" % (count, words), file=sys.stderr)


if __name__ == "__main__":
    main()
