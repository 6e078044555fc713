/*
 * HTML into paragraphs (src/html.c, src/charset.c) and paragraphs given as
 * spans (nd_doc_analyze_spans in src/doc.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "neardup.h"

typedef struct fixture {
    nd_ctx *ctx;
    nd_html *html;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f || nd_ctx_create(&f->ctx, NULL, NULL) || nd_html_create(&f->html, f->ctx)) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    nd_html_free(f->html);
    nd_ctx_free(f->ctx);
    free(f);
    return 0;
}

/* Parses a NUL-terminated page (charset may be NULL). */
static nd_html *parse_cs(void **state, const char *page, size_t size, const char *charset)
{
    fixture *f = *state;
    assert_int_equal(nd_html_parse(f->html, page, size, charset, charset ? strlen(charset) : 0), ND_OK);
    return f->html;
}

static nd_html *parse(void **state, const char *page)
{
    return parse_cs(state, page, strlen(page), NULL);
}

static const char *text(const nd_html *h)
{
    return nd_html_text(h, NULL);
}

static nd_html_para_info para(const nd_html *h, size_t i)
{
    nd_html_para_info p = ND_HTML_PARA_INFO_INIT;
    assert_int_equal(nd_html_para(h, i, &p), ND_OK);
    return p;
}

/* Paragraph i's text must be `want`. */
static void assert_para(const nd_html *h, size_t i, const char *want)
{
    nd_html_para_info p = para(h, i);
    assert_int_equal(p.length, strlen(want));
    assert_memory_equal(text(h) + p.offset, want, p.length);
}

static void test_blocks(void **state)
{
    nd_html *h = parse(state, "<html><body><h1>Title here</h1><p>First <b>bold</b> para.</p>"
                              "<div>Second<span> inline</span></div><ul><li>one<li>two</ul>"
                              "<table><tr><td>cell a<td>cell b</table><blockquote>quote</blockquote>"
                              "</body></html>");
    assert_int_equal(nd_html_count(h), 8);
    assert_string_equal(text(h), "Title here\n\nFirst bold para.\n\nSecond inline\n\none\n\ntwo"
                                 "\n\ncell a\n\ncell b\n\nquote");
    const nd_span *s = nd_html_spans(h);
    assert_non_null(s);
    assert_int_equal(s[1].offset, 12);
    assert_int_equal(s[1].length, 16);
}

static void test_br_runs(void **state)
{
    nd_html *h = parse(state, "<p>x<br>y<br><br>z<br>\n <br/>w</p>");
    assert_int_equal(nd_html_count(h), 3);
    assert_para(h, 0, "x y");
    assert_para(h, 1, "z");
    assert_para(h, 2, "w");
}

static void test_dropped(void **state)
{
    nd_html *h = parse(state,
        "<html><head><title>The title</title><style>p { color: red }</style>"
        "<script>var a = '<p>no</p>';</script></head><body>"
        "<p>kept one</p><!-- <p>comment</p> --><noscript><p>enable js</p></noscript>"
        "<template><p>tpl</p></template><div hidden>hidden attr</div>"
        "<p aria-hidden=\"true\">aria</p><p style=\"color:red; DISPLAY : none\">css none</p>"
        "<span style=\"visibility:hidden\">vis</span><script>document.write('x')</script>"
        "<p>kept two</p><svg><text>svg text</text></svg></body></html>");
    assert_string_equal(text(h), "kept one\n\nkept two");
}

static void test_entities_and_space(void **state)
{
    nd_html *h = parse(state, "<p>  a&amp;b &lt;c&gt; caf&eacute; &#233;&#x263A;&nbsp;&nbsp;end \n\t x </p>");
    assert_int_equal(nd_html_count(h), 1);
    assert_string_equal(text(h), "a&b <c> caf\xC3\xA9 \xC3\xA9\xE2\x98\xBA end x");
}

static void test_pre(void **state)
{
    nd_html *h = parse(state, "<pre>line  one\nline two\n\nline three</pre>");
    assert_int_equal(nd_html_count(h), 3);
    assert_para(h, 0, "line one");
    assert_para(h, 2, "line three");
}

static void test_landmarks(void **state)
{
    nd_html *h = parse(state,
        "<header><p>head</p><nav>menu</nav></header><main><article><p>story</p></article>"
        "<p>in main</p></main><aside>side</aside><div role=\"navigation\">roled</div>"
        "<footer><p>foot</p><div role=\"complementary\">inner</div></footer><p>none</p>");
    nd_landmark want[] = { ND_LANDMARK_HEADER, ND_LANDMARK_NAV, ND_LANDMARK_ARTICLE, ND_LANDMARK_MAIN,
                           ND_LANDMARK_ASIDE, ND_LANDMARK_NAV, ND_LANDMARK_FOOTER, ND_LANDMARK_ASIDE,
                           ND_LANDMARK_NONE };
    assert_int_equal(nd_html_count(h), 9);
    for (size_t i = 0; i < 9; i++) assert_int_equal(para(h, i).landmark, want[i]);
    assert_string_equal(nd_landmark_name(ND_LANDMARK_FOOTER), "footer");
    assert_null(nd_landmark_name(ND_LANDMARK_NONE));
}

static void test_link_density(void **state)
{
    nd_html *h = parse(state, "<p><a href=x>abcd</a> efgh</p><p><a>all link</a></p><p>none</p>");
    assert_true(para(h, 0).link_density > 0.49 && para(h, 0).link_density < 0.51);
    assert_true(para(h, 1).link_density > 0.99);
    assert_true(para(h, 2).link_density < 0.01);
}

/* The paragraph's payload span, from the first to the last byte of its text. */
static void assert_src(const char *page, const nd_html *h, size_t i, const char *want)
{
    nd_html_para_info p = para(h, i);
    assert_int_equal(p.src_length, strlen(want));
    assert_memory_equal(page + p.src_offset, want, p.src_length);
}

static void test_spans_into_payload(void **state)
{
    const char *page = "<div><p>Hello  world</p>\n<p>a &amp; <b>b</b></p><pre>one\ntwo</pre></div>";
    nd_html *h = parse(state, page);
    assert_int_equal(nd_html_count(h), 4);
    assert_src(page, h, 0, "Hello  world");
    assert_src(page, h, 1, "a &amp; <b>b");
    assert_src(page, h, 2, "one");
    assert_src(page, h, 3, "two");
    /* in a converted page the span is in the payload's own bytes */
    const char *latin = "<p>caf\xE9 au lait</p>";
    h = parse(state, latin);
    assert_string_equal(text(h), "caf\xC3\xA9 au lait");
    assert_src(latin, h, 0, "caf\xE9 au lait");
}

static void test_charset_latin1_without_header(void **state)
{
    nd_html *h = parse(state, "<p>Gr\xFC\xDF" "e aus K\xF6ln \x96 \x93quoted\x94</p>");
    assert_string_equal(nd_html_charset(h), "WINDOWS-1252");
    assert_string_equal(text(h), "Gr\xC3\xBC\xC3\x9F" "e aus K\xC3\xB6ln \xE2\x80\x93 \xE2\x80\x9Cquoted\xE2\x80\x9D");
}

static void test_charset_meta(void **state)
{
    nd_html *h = parse(state, "<html><head><meta charset=\"windows-1251\"></head><p>\xEF\xF0\xE8</p>");
    assert_string_equal(nd_html_charset(h), "WINDOWS-1251");
    assert_string_equal(text(h), "\xD0\xBF\xD1\x80\xD0\xB8"); /* при */
    h = parse(state, "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=ISO-8859-1\">"
                     "<p>\xE9t\xE9</p>");
    assert_string_equal(nd_html_charset(h), "WINDOWS-1252");
    assert_string_equal(text(h), "\xC3\xA9t\xC3\xA9");
    /* the meta is only a hint to us, not to libxml2: UTF-8 bytes stay UTF-8 */
    h = parse(state, "<meta charset=utf-8><p>caf\xC3\xA9</p>");
    assert_string_equal(text(h), "caf\xC3\xA9");
}

static void test_charset_multibyte(void **state)
{
    /* Shift_JIS: two-byte characters, each mapped back to its own bytes */
    const char *page = "<meta charset=shift_jis><p>\x93\xFA\x96\x7B</p><p>x\x82\xA0</p>";
    nd_html *h = parse(state, page);
    assert_string_equal(nd_html_charset(h), "SHIFT_JIS");
    assert_para(h, 0, "\xE6\x97\xA5\xE6\x9C\xAC"); /* 日本 */
    assert_src(page, h, 0, "\x93\xFA\x96\x7B");
    assert_src(page, h, 1, "x\x82\xA0");
}

static void test_charset_bom(void **state)
{
    nd_html *h = parse(state, "\xEF\xBB\xBF<meta charset=iso-8859-1><p>caf\xC3\xA9</p>");
    assert_string_equal(nd_html_charset(h), "UTF-8");
    assert_string_equal(text(h), "caf\xC3\xA9");
    static const char utf16[] = "\xFF\xFE<\0p\0>\0h\0\xE9\0<\0/\0p\0>\0";
    h = parse_cs(state, utf16, sizeof utf16 - 1, NULL);
    assert_string_equal(nd_html_charset(h), "UTF-16LE");
    assert_string_equal(text(h), "h\xC3\xA9");
    nd_html_para_info p = para(h, 0); /* "h\0\xE9\0": the last character's both bytes */
    assert_int_equal(p.src_offset, 8);
    assert_int_equal(p.src_length, 4);
}

static void test_charset_header_wins(void **state)
{
    const char *page = "<meta charset=iso-8859-1><p>\xEF\xF0\xE8</p>";
    nd_html *h = parse_cs(state, page, strlen(page), " \"windows-1251\" ");
    assert_string_equal(nd_html_charset(h), "WINDOWS-1251");
    assert_string_equal(text(h), "\xD0\xBF\xD1\x80\xD0\xB8");
    /* a label nobody knows is ignored: the meta decides */
    h = parse_cs(state, page, strlen(page), "x-no-such-charset");
    assert_string_equal(nd_html_charset(h), "WINDOWS-1252");
}

static void test_invalid_utf8(void **state)
{
    /* valid UTF-8 stays UTF-8; one invalid byte makes the page windows-1252 */
    nd_html *h = parse(state, "<p>ok \xC3\xA9</p>");
    assert_string_equal(nd_html_charset(h), "UTF-8");
    h = parse(state, "<p>\xC3\xA9 and \xE9</p>");
    assert_string_equal(nd_html_charset(h), "WINDOWS-1252");
    assert_string_equal(text(h), "\xC3\x83\xC2\xA9 and \xC3\xA9");
    /* declared UTF-8 but invalid: U+FFFD for the bad byte */
    h = parse_cs(state, "<p>a\xFF" "b</p>", 9, "utf-8");
    assert_string_equal(text(h), "a\xEF\xBF\xBD" "b");
}

static void test_empty_and_garbage(void **state)
{
    fixture *f = *state;
    nd_html *h = parse_cs(state, "", 0, NULL);
    assert_int_equal(nd_html_count(h), 0);
    assert_string_equal(text(h), "");
    assert_int_equal(nd_html_parse(f->html, NULL, 0, NULL, 0), ND_OK);
    h = parse(state, "<html><body><script>only script</script></body></html>");
    assert_int_equal(nd_html_count(h), 0);
    h = parse(state, "</p></div><<<>>>&&&;;<a <b c=\"d><p>text after</p>");
    size_t n;
    nd_html_text(h, &n);
    for (size_t i = 0; i < nd_html_count(h); i++) {
        nd_html_para_info p = para(h, i);
        assert_true(p.offset + p.length <= n && p.length > 0);
    }
    /* random bytes: any result is fine, as long as spans stay inside */
    char buf[4096];
    uint64_t s = 42;
    for (int round = 0; round < 20; round++) {
        for (size_t i = 0; i < sizeof buf; i++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            buf[i] = (char)(s >> 56);
            if ((s >> 40) % 7 == 0) buf[i] = '<';
        }
        h = parse_cs(state, buf, sizeof buf, NULL);
        nd_html_text(h, &n);
        for (size_t i = 0; i < nd_html_count(h); i++) {
            nd_html_para_info p = para(h, i);
            assert_true(p.offset + p.length <= n);
            assert_true(p.src_offset + p.src_length <= sizeof buf);
        }
    }
}

static void test_nul_bytes(void **state)
{
    static const char page[] = "<p>a\0b</p>\0<p>after the nul</p>";
    nd_html *h = parse_cs(state, page, sizeof page - 1, NULL);
    assert_int_equal(nd_html_count(h), 2);
    assert_para(h, 0, "a b");
    assert_para(h, 1, "after the nul");
}

static void test_api(void **state)
{
    fixture *f = *state;
    nd_html *h = NULL;
    assert_int_equal(nd_html_create(NULL, f->ctx), ND_E_INVALID);
    assert_int_equal(nd_html_create(&h, NULL), ND_E_INVALID);
    assert_null(h);
    nd_html_free(NULL);
    assert_int_equal(nd_html_parse(NULL, "x", 1, NULL, 0), ND_E_INVALID);
    assert_int_equal(nd_html_parse(f->html, NULL, 1, NULL, 0), ND_E_INVALID);
    parse(state, "<p>one</p>");
    nd_html_para_info p = ND_HTML_PARA_INFO_INIT;
    assert_int_equal(nd_html_para(f->html, 1, &p), ND_E_INVALID);
    p.version = 0;
    assert_int_equal(nd_html_para(f->html, 0, &p), ND_E_VERSION);
    p.version = 99;
    assert_int_equal(nd_html_para(f->html, 0, &p), ND_E_VERSION);
    assert_int_equal(nd_html_count(NULL), 0);
}

/* ---- nd_doc_analyze_spans ---- */

static void test_analyze_spans(void **state)
{
    fixture *f = *state;
    nd_doc *doc;
    assert_int_equal(nd_doc_create(&doc, f->ctx), ND_OK);
    nd_html *h = parse(state, "<p>the same caption under every photo of the gallery</p><div>x y</div>"
                              "<p>the same caption under every photo of the gallery</p>");
    size_t n;
    const char *t = nd_html_text(h, &n);
    assert_int_equal(nd_doc_analyze_spans(doc, t, n, nd_html_spans(h), nd_html_count(h)), ND_OK);
    assert_int_equal(nd_doc_count(doc), 3);
    assert_int_equal(nd_doc_repeats(doc), 1);
    nd_para_info p = ND_PARA_INFO_INIT;
    assert_int_equal(nd_doc_para(doc, 2, &p), ND_OK);
    assert_int_equal(p.kind, ND_KIND_REPEAT);
    assert_int_equal(p.offset, nd_html_spans(h)[2].offset);
    /* spans are taken as given: a line break inside one does not split it */
    const char *two = "first line\nsecond line";
    nd_span whole = { 0, strlen(two) };
    assert_int_equal(nd_doc_analyze_spans(doc, two, strlen(two), &whole, 1), ND_OK);
    assert_int_equal(nd_doc_count(doc), 1);
    assert_int_equal(nd_doc_seg_mode(doc), ND_SEG_BLOCKS);
    /* refused: out of the text, empty, overlapping, out of order; nothing kept */
    nd_span bad[][2] = { { { 0, 5 }, { 20, 10 } }, { { 0, 0 }, { 1, 1 } }, { { 0, 5 }, { 4, 2 } },
                         { { 6, 2 }, { 0, 2 } } };
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(nd_doc_analyze_spans(doc, two, strlen(two), bad[i], 2), ND_E_INVALID);
        assert_int_equal(nd_doc_count(doc), 0);
    }
    assert_int_equal(nd_doc_analyze_spans(doc, NULL, 0, NULL, 0), ND_OK);
    assert_int_equal(nd_doc_count(doc), 0);
    assert_int_equal(nd_doc_analyze_spans(NULL, two, 1, &whole, 1), ND_E_INVALID);
    assert_int_equal(nd_doc_analyze_spans(doc, two, 1, NULL, 1), ND_E_INVALID);
    nd_doc_free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_br_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_entities_and_space, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pre, setup, teardown),
        cmocka_unit_test_setup_teardown(test_landmarks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_density, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spans_into_payload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_charset_latin1_without_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_charset_meta, setup, teardown),
        cmocka_unit_test_setup_teardown(test_charset_multibyte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_charset_bom, setup, teardown),
        cmocka_unit_test_setup_teardown(test_charset_header_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_utf8, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_and_garbage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nul_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api, setup, teardown),
        cmocka_unit_test_setup_teardown(test_analyze_spans, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
