/*
 * libFuzzer target for the HTML path (src/html.c, src/charset.c) and
 * nd_doc_analyze_spans on what it gives.
 *
 * The first byte picks the HTTP charset handed in (none, UTF-8, a
 * single-byte, a multi-byte, UTF-16, or an unknown label); the rest is the
 * payload. Checked, beyond crashes and leaks:
 *   - the text is valid UTF-8 without NUL bytes, NUL-terminated, and is its
 *     paragraphs joined by "\n\n": spans in order, non-empty, not starting
 *     or ending with a space, separated by exactly "\n\n";
 *   - nd_html_spans() agrees with nd_html_para(); payload spans lie inside
 *     the payload; link densities are in [0, 1]; landmarks are known;
 *   - a second parse of the same payload gives the same text and paragraphs;
 *   - nd_doc_analyze_spans() takes the spans and finds as many paragraphs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define CHECK(x) do { if (!(x)) { fprintf(stderr, "check failed: %s\n", #x); abort(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const charsets[] = { NULL, "utf-8", "windows-1251", "shift_jis", "utf-16",
                                        "x-unknown", "ISO-8859-1", "gb2312" };

static void check_text(const nd_html *h, const char *payload, size_t size)
{
    size_t n, end = 0;
    const char *t = nd_html_text(h, &n);
    const nd_span *spans = nd_html_spans(h);
    CHECK(t[n] == '\0' && memchr(t, '\0', n) == NULL);
    for (size_t i = 0; i < n;) {
        size_t k = nd__utf8_valid_len((const unsigned char *)t + i, n - i);
        CHECK(k > 0);
        i += k;
    }
    for (size_t i = 0; i < nd_html_count(h); i++) {
        nd_html_para_info p = ND_HTML_PARA_INFO_INIT;
        CHECK(nd_html_para(h, i, &p) == ND_OK);
        CHECK(spans[i].offset == p.offset && spans[i].length == p.length);
        CHECK(p.length > 0 && p.offset + p.length <= n);
        CHECK(p.offset == (i ? end + 2 : 0));
        CHECK(i == 0 || memcmp(t + end, "\n\n", 2) == 0);
        CHECK(t[p.offset] != ' ' && t[p.offset + p.length - 1] != ' ');
        CHECK(p.src_offset <= size && p.src_length <= size - p.src_offset);
        CHECK(p.link_density >= 0.0 && p.link_density <= 1.0);
        CHECK(p.landmark == ND_LANDMARK_NONE || nd_landmark_name(p.landmark) != NULL);
        end = p.offset + p.length;
    }
    CHECK(end == n);
    (void)payload;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static nd_ctx *ctx;
    if (!ctx && nd_ctx_create(&ctx, NULL, NULL) != ND_OK) abort();
    if (size == 0) return 0;
    const char *cs = charsets[data[0] % (sizeof charsets / sizeof *charsets)];
    const char *payload = (const char *)data + 1;
    size--;
    nd_html *h, *again;
    nd_doc *doc;
    CHECK(nd_html_create(&h, ctx) == ND_OK && nd_html_create(&again, ctx) == ND_OK);
    CHECK(nd_doc_create(&doc, ctx) == ND_OK);
    CHECK(nd_html_parse(h, payload, size, cs, cs ? strlen(cs) : 0) == ND_OK);
    check_text(h, payload, size);
    /* the same handle reused, and a fresh one, agree */
    CHECK(nd_html_parse(again, "<p>x</p>", 8, NULL, 0) == ND_OK);
    CHECK(nd_html_parse(again, payload, size, cs, cs ? strlen(cs) : 0) == ND_OK);
    size_t n1, n2;
    const char *t1 = nd_html_text(h, &n1), *t2 = nd_html_text(again, &n2);
    CHECK(n1 == n2 && memcmp(t1, t2, n1) == 0 && nd_html_count(h) == nd_html_count(again));
    CHECK(strcmp(nd_html_charset(h), nd_html_charset(again)) == 0);
    for (size_t i = 0; i < nd_html_count(h); i++) {
        nd_html_para_info a = ND_HTML_PARA_INFO_INIT, b = ND_HTML_PARA_INFO_INIT;
        nd_html_para(h, i, &a);
        nd_html_para(again, i, &b);
        CHECK(a.src_offset == b.src_offset && a.src_length == b.src_length && a.landmark == b.landmark);
    }
    CHECK(nd_doc_analyze_spans(doc, t1, n1, nd_html_spans(h), nd_html_count(h)) == ND_OK);
    CHECK(nd_doc_count(doc) == nd_html_count(h));
    nd_doc_free(doc);
    nd_html_free(again);
    nd_html_free(h);
    return 0;
}
