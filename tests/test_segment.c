/*
 * Segmentation (src/segment.c): paragraphs as (offset, length) spans of the
 * caller's text, in lines, blocks and auto mode.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "internal.h"

typedef struct seg_result {
    nd__span *spans;
    size_t count, cap;
    nd_seg_mode used;
} seg_result;

static void seg(seg_result *r, const char *text, size_t size, nd_seg_mode mode)
{
    memset(r, 0, sizeof *r);
    r->used = (nd_seg_mode)-1;
    assert_int_equal(nd__segment(nd__default_allocator(), text, size, mode, &r->spans,
                                 &r->count, &r->cap, &r->used), ND_OK);
}

static void seg_free(seg_result *r)
{
    nd__free(nd__default_allocator(), r->spans);
    memset(r, 0, sizeof *r);
}

/* Segments text (a C string) in `mode` and checks the spans against the
 * n (offset, length) pairs in want[]. */
static void check_spans(const char *text, nd_seg_mode mode, nd_seg_mode want_used,
                        const size_t *want, size_t n)
{
    seg_result r;
    seg(&r, text, strlen(text), mode);
    assert_int_equal(r.used, want_used);
    assert_int_equal(r.count, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(r.spans[i].off, want[2 * i]);
        assert_int_equal(r.spans[i].len, want[2 * i + 1]);
    }
    seg_free(&r);
}

static void test_lines_basic(void **state)
{
    (void)state;
    /* "alpha\n" 0-5, "beta\n" 6-10, "\n" 11, "gamma" 12-16 */
    static const size_t want[] = { 0, 5, 6, 4, 12, 5 };
    check_spans("alpha\nbeta\n\ngamma", ND_SEG_LINES, ND_SEG_LINES, want, 3);
}

static void test_blocks_basic(void **state)
{
    (void)state;
    static const size_t want[] = { 0, 10, 12, 5 };
    const char *text = "alpha\nbeta\n\ngamma";
    check_spans(text, ND_SEG_BLOCKS, ND_SEG_BLOCKS, want, 2);
    /* the inner line break stays inside the span */
    assert_memory_equal(text + 0, "alpha\nbeta", 10);
}

static void test_blocks_many_blank_lines(void **state)
{
    (void)state;
    /* "\n\n" 0-1, "a b\n" 2-5, "c\n" 6-7, "\n\n\n" 8-10, "d\n" 11-12, "\n" 13 */
    static const size_t want[] = { 2, 5, 11, 1 };
    check_spans("\n\na b\nc\n\n\n\nd\n\n", ND_SEG_BLOCKS, ND_SEG_BLOCKS, want, 2);
}

static void test_crlf(void **state)
{
    (void)state;
    /* "one\r\n" 0-4, "two\r\n" 5-9, "\r\n" 10-11, "three\r\n" 12-18 */
    const char *text = "one\r\ntwo\r\n\r\nthree\r\n";
    static const size_t lines[] = { 0, 3, 5, 3, 12, 5 };
    static const size_t blocks[] = { 0, 8, 12, 5 };
    check_spans(text, ND_SEG_LINES, ND_SEG_LINES, lines, 3);
    check_spans(text, ND_SEG_BLOCKS, ND_SEG_BLOCKS, blocks, 2);
    /* a block keeps its inner CRLF but not the last one */
    assert_memory_equal(text, "one\r\ntwo", 8);
}

static void test_crlf_no_trailing_newline(void **state)
{
    (void)state;
    static const size_t want[] = { 0, 1, 3, 1 };
    check_spans("a\r\nb", ND_SEG_LINES, ND_SEG_LINES, want, 2);
}

static void test_bom(void **state)
{
    (void)state;
    /* BOM 0-2, "hello\n" 3-8, "world" 9-13: offsets count the BOM */
    static const size_t want[] = { 3, 5, 9, 5 };
    check_spans("\xEF\xBB\xBFhello\nworld", ND_SEG_LINES, ND_SEG_LINES, want, 2);
    static const size_t want_blocks[] = { 3, 11 };
    check_spans("\xEF\xBB\xBFhello\nworld", ND_SEG_BLOCKS, ND_SEG_BLOCKS, want_blocks, 1);
    /* a BOM alone, or followed by blank lines, gives no paragraph */
    check_spans("\xEF\xBB\xBF", ND_SEG_LINES, ND_SEG_LINES, NULL, 0);
    check_spans("\xEF\xBB\xBF\n \n", ND_SEG_BLOCKS, ND_SEG_BLOCKS, NULL, 0);
    /* a BOM later in the text is ordinary content */
    static const size_t later[] = { 0, 1, 2, 4 };
    check_spans("a\n\xEF\xBB\xBFz", ND_SEG_LINES, ND_SEG_LINES, later, 2);
}

static void test_blank_lines_of_spaces_and_tabs(void **state)
{
    (void)state;
    /* "a\n" 0-1, " \t \n" 2-5, "\t\n" 6-7, "b" 8 */
    const char *text = "a\n \t \n\t\nb";
    static const size_t want[] = { 0, 1, 8, 1 };
    check_spans(text, ND_SEG_LINES, ND_SEG_LINES, want, 2);
    check_spans(text, ND_SEG_BLOCKS, ND_SEG_BLOCKS, want, 2);
    /* form feed, vertical tab and a CR-only line are blank too */
    static const size_t ff[] = { 0, 1, 7, 1 };
    check_spans("a\n\f\n\v\r\nb", ND_SEG_BLOCKS, ND_SEG_BLOCKS, ff, 2);
}

static void test_no_trailing_newline(void **state)
{
    (void)state;
    static const size_t one[] = { 0, 3 };
    check_spans("abc", ND_SEG_LINES, ND_SEG_LINES, one, 1);
    check_spans("abc", ND_SEG_BLOCKS, ND_SEG_BLOCKS, one, 1);
    static const size_t two[] = { 0, 3, 4, 3 };
    check_spans("abc\ndef", ND_SEG_LINES, ND_SEG_LINES, two, 2);
    static const size_t trailing_nl[] = { 0, 3 };
    check_spans("abc\n", ND_SEG_LINES, ND_SEG_LINES, trailing_nl, 1);
}

static void test_leading_and_trailing_spaces_kept(void **state)
{
    (void)state;
    /* a non-blank line is a span as it is: white space around the words stays */
    static const size_t want[] = { 0, 7 };
    check_spans("  abc  \n", ND_SEG_LINES, ND_SEG_LINES, want, 1);
}

static void test_empty_input(void **state)
{
    (void)state;
    seg_result r;
    seg(&r, "", 0, ND_SEG_AUTO);
    assert_int_equal(r.count, 0);
    assert_int_equal(r.used, ND_SEG_LINES);
    seg_free(&r);
    seg(&r, "", 0, ND_SEG_BLOCKS);
    assert_int_equal(r.count, 0);
    assert_int_equal(r.used, ND_SEG_BLOCKS);
    seg_free(&r);
    seg(&r, "", 0, ND_SEG_LINES);
    assert_int_equal(r.count, 0);
    assert_int_equal(r.used, ND_SEG_LINES);
    seg_free(&r);
}

static void test_only_blank_lines(void **state)
{
    (void)state;
    const char *text = "\n\n  \n\t\r\n \r\n";
    check_spans(text, ND_SEG_LINES, ND_SEG_LINES, NULL, 0);
    check_spans(text, ND_SEG_BLOCKS, ND_SEG_BLOCKS, NULL, 0);
    check_spans(text, ND_SEG_AUTO, ND_SEG_LINES, NULL, 0);
}

static void test_nul_bytes_are_content(void **state)
{
    (void)state;
    /* NUL is not white space: a line "a\0b" is one paragraph of 3 bytes */
    static const char text[] = "a\0b\n\0\n";
    seg_result r;
    seg(&r, text, sizeof text - 1, ND_SEG_LINES);
    assert_int_equal(r.count, 2);
    assert_int_equal(r.spans[0].off, 0);
    assert_int_equal(r.spans[0].len, 3);
    assert_int_equal(r.spans[1].off, 4);
    assert_int_equal(r.spans[1].len, 1);
    seg_free(&r);
}

static void test_span_array_grows(void **state)
{
    (void)state;
    /* 5000 lines "line N\n": the span array grows past its first capacity and
     * keeps earlier spans intact */
    const size_t n = 5000;
    char *text = malloc(n * 16);
    assert_non_null(text);
    size_t len = 0, *offs = malloc(n * sizeof *offs);
    assert_non_null(offs);
    for (size_t i = 0; i < n; i++) {
        offs[i] = len;
        len += (size_t)sprintf(text + len, "line %zu\n", i);
    }
    seg_result r;
    seg(&r, text, len, ND_SEG_LINES);
    assert_int_equal(r.count, n);
    assert_true(r.cap >= n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(r.spans[i].off, offs[i]);
        assert_int_equal(r.spans[i].len, (i < 10 ? 6 : i < 100 ? 7 : i < 1000 ? 8 : 9));
    }
    seg_free(&r);
    free(offs);
    free(text);
}

/* Word-wraps the words of `para` at `width` columns, appending to buf. */
static size_t wrap_paragraph(char *buf, size_t len, const char *para, size_t width)
{
    size_t col = 0;
    const char *p = para;
    while (*p) {
        size_t wl = strcspn(p, " ");
        if (col && col + 1 + wl > width) {
            buf[len++] = '\n';
            col = 0;
        } else if (col) {
            buf[len++] = ' ';
            col++;
        }
        memcpy(buf + len, p, wl);
        len += wl;
        col += wl;
        p += wl;
        while (*p == ' ') p++;
    }
    buf[len++] = '\n';
    return len;
}

static const char *const wrapped_paras[] = {
    "The Trump administration is nearing completion of a new plan that calls for "
    "military attaches and diplomats to help drum up billions of dollars more in "
    "business overseas for the arms industry, according to officials in the "
    "administration who spoke on condition of anonymity about the coming policy.",
    "President Donald Trump as early as February is expected to announce a whole "
    "of government effort to ease export rules on purchases by foreign countries "
    "of military equipment, from fighter jets and drones to warships and "
    "artillery, according to the officials who described the plan.",
    "Trump is seeking to fulfill an election campaign promise to create jobs in "
    "the United States by selling more goods and services abroad to bring down "
    "the trade deficit from a six year high, and he has made the arms industry a "
    "centrepiece of that effort in meetings with foreign leaders.",
};

static void test_auto_picks_blocks_for_wrapped_text(void **state)
{
    (void)state;
    char text[4096];
    size_t len = 0, starts[3], ends[3];
    for (size_t i = 0; i < 3; i++) {
        if (i) text[len++] = '\n';
        starts[i] = len;
        len = wrap_paragraph(text, len, wrapped_paras[i], 72);
        ends[i] = len - 1; /* the paragraph's last '\n' is a terminator */
    }
    /* the fixture really is wrapped: several lines per paragraph, none over 72 */
    size_t lines = 0, col = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\n') { assert_true(col <= 72); col = 0; lines++; }
        else col++;
    }
    assert_true(lines >= 12);

    seg_result r;
    seg(&r, text, len, ND_SEG_AUTO);
    assert_int_equal(r.used, ND_SEG_BLOCKS);
    assert_int_equal(r.count, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(r.spans[i].off, starts[i]);
        assert_int_equal(r.spans[i].len, ends[i] - starts[i]);
    }
    seg_free(&r);

    /* the public API reports the choice */
    nd_ctx *ctx;
    nd_doc *doc;
    assert_int_equal(nd_ctx_create(&ctx, NULL, NULL), ND_OK);
    assert_int_equal(nd_doc_create(&doc, ctx), ND_OK);
    assert_int_equal(nd_doc_analyze(doc, text, len), ND_OK);
    assert_int_equal(nd_doc_seg_mode(doc), ND_SEG_BLOCKS);
    assert_int_equal(nd_doc_count(doc), 3);
    nd_doc_free(doc);
    nd_ctx_free(ctx);
}

static void test_auto_wrapped_crlf_and_bom(void **state)
{
    (void)state;
    /* the same wrapped text with a BOM and CRLF line ends */
    char plain[4096], text[8192];
    size_t len = 0, n = 3;
    for (size_t i = 0; i < n; i++) {
        if (i) plain[len++] = '\n';
        len = wrap_paragraph(plain, len, wrapped_paras[i], 72);
    }
    size_t tl = 0;
    memcpy(text, "\xEF\xBB\xBF", 3);
    tl = 3;
    for (size_t i = 0; i < len; i++) {
        if (plain[i] == '\n') text[tl++] = '\r';
        text[tl++] = plain[i];
    }
    seg_result r;
    seg(&r, text, tl, ND_SEG_AUTO);
    assert_int_equal(r.used, ND_SEG_BLOCKS);
    assert_int_equal(r.count, 3);
    assert_int_equal(r.spans[0].off, 3);
    for (size_t i = 0; i < 3; i++) {
        const char *s = text + r.spans[i].off;
        size_t l = r.spans[i].len;
        assert_true(l > 0);
        assert_true(s[0] != '\r' && s[0] != '\n');
        assert_true(s[l - 1] != '\r' && s[l - 1] != '\n');
    }
    seg_free(&r);
}

static void test_auto_picks_lines_for_gallery(void **state)
{
    (void)state;
    /* consecutive lines that are whole paragraphs, most over 160 characters,
     * like the captions of a photo gallery */
    static const char *const captions[] = {
        "Vehicles used for suicide car bombings, made by Islamic State militants, are seen at "
        "Federal Police Headquarters after being confiscated in Mosul, Iraq July 13, 2017.",
        "A tank gun hidden inside a truck, made by Islamic State militants, to avoid attack "
        "from planes are seen at Federal Police Headquarters after being confiscated in Mosul.",
        "22 PHOTOS",
        "A member of Federal Police inspects vehicles used for suicide car bombings, made by "
        "Islamic State militants, at Federal Police Headquarters in Mosul, Iraq July 13, 2017.",
        "See Gallery",
        "A member of Federal Police walks near vehicles used for suicide car bombings, made by "
        "Islamic State militants, at Federal Police Headquarters in Mosul, Iraq July 13, 2017.",
    };
    const size_t n = sizeof captions / sizeof captions[0];
    char text[4096];
    size_t len = 0, starts[16];
    for (size_t i = 0; i < n; i++) {
        starts[i] = len;
        len += (size_t)sprintf(text + len, "%s\n", captions[i]);
    }
    assert_true(strlen(captions[0]) > 160);
    seg_result r;
    seg(&r, text, len, ND_SEG_AUTO);
    assert_int_equal(r.used, ND_SEG_LINES);
    assert_int_equal(r.count, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(r.spans[i].off, starts[i]);
        assert_int_equal(r.spans[i].len, strlen(captions[i]));
    }
    seg_free(&r);

    nd_ctx *ctx;
    nd_doc *doc;
    assert_int_equal(nd_ctx_create(&ctx, NULL, NULL), ND_OK);
    assert_int_equal(nd_doc_create(&doc, ctx), ND_OK);
    assert_int_equal(nd_doc_analyze(doc, text, len), ND_OK);
    assert_int_equal(nd_doc_seg_mode(doc), ND_SEG_LINES);
    assert_int_equal(nd_doc_count(doc), n);
    nd_doc_free(doc);
    nd_ctx_free(ctx);
}

static void test_auto_picks_lines_for_one_line_paragraphs(void **state)
{
    (void)state;
    /* paragraphs of one line each, separated by blank lines: no line
     * continues into the next, so nothing looks wrapped */
    const char *text = "First paragraph.\n\nSecond paragraph.\n\nThird.\n";
    static const size_t want[] = { 0, 16, 18, 17, 37, 6 };
    check_spans(text, ND_SEG_AUTO, ND_SEG_LINES, want, 3);
}

static void test_explicit_mode_is_kept(void **state)
{
    (void)state;
    /* wrapped text segmented in an explicit mode is not second-guessed */
    char text[4096];
    size_t len = wrap_paragraph(text, 0, wrapped_paras[0], 72);
    seg_result r;
    seg(&r, text, len, ND_SEG_LINES);
    assert_int_equal(r.used, ND_SEG_LINES);
    assert_true(r.count >= 4);
    seg_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_basic),
        cmocka_unit_test(test_blocks_basic),
        cmocka_unit_test(test_blocks_many_blank_lines),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_crlf_no_trailing_newline),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_blank_lines_of_spaces_and_tabs),
        cmocka_unit_test(test_no_trailing_newline),
        cmocka_unit_test(test_leading_and_trailing_spaces_kept),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_only_blank_lines),
        cmocka_unit_test(test_nul_bytes_are_content),
        cmocka_unit_test(test_span_array_grows),
        cmocka_unit_test(test_auto_picks_blocks_for_wrapped_text),
        cmocka_unit_test(test_auto_wrapped_crlf_and_bom),
        cmocka_unit_test(test_auto_picks_lines_for_gallery),
        cmocka_unit_test(test_auto_picks_lines_for_one_line_paragraphs),
        cmocka_unit_test(test_explicit_mode_is_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
