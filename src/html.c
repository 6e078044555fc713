/*
 * HTML into paragraphs (neardup.h, "HTML"), with libxml2's HTML parser
 * driven through SAX callbacks: no tree is built, and each callback comes
 * with the parser's position in its input, which is what gives every
 * paragraph its span in the payload.
 *
 * The payload is first converted to UTF-8 (charset.c, with a byte map back
 * to the payload) and handed to libxml2 as UTF-8 with its own charset
 * detection off (HTML_PARSE_IGNORE_ENC), so that libxml2's byte positions
 * are positions in our converted text.
 *
 * Walk. A stack holds, per open element, the state its content inherits:
 * dropped (inside script, style, a hidden element...), inside <a>, inside
 * <pre>, and the innermost landmark. Text is appended to the output with
 * white space collapsed; a paragraph opens at its first non-space character
 * and closes at the start or end of a block element, at a second <br> in a
 * row, at a line break inside <pre>, and at the end. Positions: each
 * callback's input range runs from the position after the previous callback
 * to the current one; a paragraph's payload span runs from the first
 * non-blank byte of the range of its first text to the last of its last.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdlib.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h> /* xmlSwitchEncoding */
#include "internal.h"

/* What an element does to the paragraphs. */
enum {
    ND__EL_BLOCK = 1,   /* starts and ends paragraphs */
    ND__EL_DROP = 2,    /* its content is not text of the page */
    ND__EL_BR = 4,
    ND__EL_PRE = 8,
    ND__EL_LINK = 16
};

typedef struct nd__el {
    const char *name;
    unsigned char flags, landmark;
} nd__el;

/* Sorted by name (bsearch). */
static const nd__el nd__elements[] = {
    { "a", ND__EL_LINK, 0 }, { "address", ND__EL_BLOCK, 0 },
    { "applet", ND__EL_DROP, 0 },
    { "article", ND__EL_BLOCK, ND_LANDMARK_ARTICLE }, { "aside", ND__EL_BLOCK, ND_LANDMARK_ASIDE },
    { "audio", ND__EL_DROP, 0 }, { "blockquote", ND__EL_BLOCK, 0 }, { "body", ND__EL_BLOCK, 0 },
    { "br", ND__EL_BR, 0 }, { "canvas", ND__EL_DROP, 0 }, { "caption", ND__EL_BLOCK, 0 },
    { "center", ND__EL_BLOCK, 0 }, { "datalist", ND__EL_DROP, 0 }, { "dd", ND__EL_BLOCK, 0 },
    { "details", ND__EL_BLOCK, 0 }, { "dialog", ND__EL_BLOCK, 0 }, { "dir", ND__EL_BLOCK, 0 },
    { "div", ND__EL_BLOCK, 0 }, { "dl", ND__EL_BLOCK, 0 }, { "dt", ND__EL_BLOCK, 0 },
    { "embed", ND__EL_DROP, 0 }, { "fieldset", ND__EL_BLOCK, 0 },
    { "figcaption", ND__EL_BLOCK, 0 }, { "figure", ND__EL_BLOCK, 0 },
    { "footer", ND__EL_BLOCK, ND_LANDMARK_FOOTER }, { "form", ND__EL_BLOCK, 0 },
    { "frameset", ND__EL_BLOCK, 0 }, { "h1", ND__EL_BLOCK, 0 }, { "h2", ND__EL_BLOCK, 0 },
    { "h3", ND__EL_BLOCK, 0 }, { "h4", ND__EL_BLOCK, 0 }, { "h5", ND__EL_BLOCK, 0 },
    { "h6", ND__EL_BLOCK, 0 }, { "head", ND__EL_DROP, 0 },
    { "header", ND__EL_BLOCK, ND_LANDMARK_HEADER }, { "hgroup", ND__EL_BLOCK, 0 },
    { "hr", ND__EL_BLOCK, 0 }, { "html", ND__EL_BLOCK, 0 }, { "iframe", ND__EL_DROP, 0 },
    { "legend", ND__EL_BLOCK, 0 }, { "li", ND__EL_BLOCK, 0 },
    { "main", ND__EL_BLOCK, ND_LANDMARK_MAIN }, { "math", ND__EL_DROP, 0 },
    { "menu", ND__EL_BLOCK, 0 }, { "nav", ND__EL_BLOCK, ND_LANDMARK_NAV },
    { "noembed", ND__EL_DROP, 0 }, { "noframes", ND__EL_DROP, 0 },
    { "noscript", ND__EL_DROP, 0 }, { "object", ND__EL_DROP, 0 }, { "ol", ND__EL_BLOCK, 0 },
    { "p", ND__EL_BLOCK, 0 }, { "pre", ND__EL_BLOCK | ND__EL_PRE, 0 },
    { "script", ND__EL_DROP, 0 }, { "section", ND__EL_BLOCK, 0 },
    { "select", ND__EL_DROP, 0 }, { "style", ND__EL_DROP, 0 }, { "summary", ND__EL_BLOCK, 0 },
    { "svg", ND__EL_DROP, 0 }, { "table", ND__EL_BLOCK, 0 }, { "tbody", ND__EL_BLOCK, 0 },
    { "td", ND__EL_BLOCK, 0 }, { "template", ND__EL_DROP, 0 },
    { "textarea", ND__EL_BLOCK, 0 }, { "tfoot", ND__EL_BLOCK, 0 }, { "th", ND__EL_BLOCK, 0 },
    { "thead", ND__EL_BLOCK, 0 }, { "title", ND__EL_DROP, 0 }, { "tr", ND__EL_BLOCK, 0 },
    { "ul", ND__EL_BLOCK, 0 }, { "video", ND__EL_DROP, 0 },
};

/* What the content of an open element inherits. */
typedef struct nd__frame {
    unsigned char drop, link, pre, landmark;
} nd__frame;

struct nd_html {
    const nd_allocator *al;
    nd__decoded dec;
    char *text;                 /* extracted text, NUL-terminated */
    size_t len, cap;
    nd_html_para_info *paras;
    nd_span *spans;
    size_t n, para_cap, span_cap;
    nd__frame *stack;
    size_t depth, stack_cap;
    xmlParserCtxtPtr px;        /* during nd_html_parse only */
    size_t last;                /* input position after the previous callback */
    int rc;                     /* first failure of a callback */
    /* the paragraph being built */
    int open, space;
    unsigned brs;               /* <br> in a row, no text between */
    size_t p_off, p_chars, p_link, p_src, p_src_end;
    nd_landmark p_landmark;
};

static int nd__lower_ascii(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static pthread_once_t nd__xml_once = PTHREAD_ONCE_INIT;
static void nd__xml_init(void) { xmlInitParser(); }

const char *nd_landmark_name(nd_landmark l)
{
    static const char *const names[] = { NULL, "nav", "header", "footer", "aside", "main", "article" };
    return (unsigned)l < sizeof names / sizeof *names ? names[l] : NULL;
}

int nd_html_create(nd_html **out, const nd_ctx *ctx)
{
    if (!out) return ND_E_INVALID;
    *out = NULL;
    if (!ctx) return ND_E_INVALID;
    /* libxml2's global set-up is not safe to race: once per process */
    if (pthread_once(&nd__xml_once, nd__xml_init) != 0) return ND_E_NOMEM;
    nd_html *h = nd__calloc(&ctx->alloc, 1, sizeof *h);
    if (!h) return ND_E_NOMEM;
    h->al = &ctx->alloc;
    *out = h;
    return ND_OK;
}

void nd_html_free(nd_html *h)
{
    if (!h) return;
    const nd_allocator *al = h->al;
    nd__decoded_free(al, &h->dec);
    nd__free(al, h->text);
    nd__free(al, h->paras);
    nd__free(al, h->spans);
    nd__free(al, h->stack);
    nd__free(al, h);
}

/* ---- building the text ---------------------------------------------------- */

static void nd__fail(nd_html *h, int rc)
{
    if (!h->rc) h->rc = rc;
    if (h->px) xmlStopParser(h->px);
}

static int nd__append(nd_html *h, const char *s, size_t n)
{
    int rc = nd__reserve(h->al, (void **)&h->text, &h->cap, h->len + n + 1, 1);
    if (rc) {
        nd__fail(h, rc);
        return rc;
    }
    memcpy(h->text + h->len, s, n);
    h->len += n;
    return ND_OK;
}

/* Closes the paragraph being built, if any. */
static void nd__end_para(nd_html *h)
{
    h->space = 0;
    h->brs = 0;
    if (!h->open) return;
    h->open = 0;
    int rc = nd__reserve(h->al, (void **)&h->paras, &h->para_cap, h->n + 1, sizeof *h->paras);
    if (!rc) rc = nd__reserve(h->al, (void **)&h->spans, &h->span_cap, h->n + 1, sizeof *h->spans);
    if (rc) {
        nd__fail(h, rc);
        return;
    }
    nd_html_para_info *p = &h->paras[h->n];
    p->version = ND_HTML_PARA_INFO_VERSION;
    p->offset = h->p_off;
    p->length = h->len - h->p_off;
    p->src_offset = h->dec.map[h->p_src];
    p->src_length = h->dec.map[h->p_src_end] - p->src_offset;
    p->landmark = h->p_landmark;
    p->link_density = h->p_chars ? (double)h->p_link / (double)h->p_chars : 0.0;
    h->spans[h->n].offset = p->offset;
    h->spans[h->n].length = p->length;
    h->n++;
}

/* The parser's position in the converted text, never behind the last one. */
static size_t nd__pos(nd_html *h)
{
    long c = h->px ? xmlByteConsumed(h->px) : -1;
    size_t pos = c < 0 ? h->last : (size_t)c;
    if (pos > h->dec.len) pos = h->dec.len;
    return pos < h->last ? h->last : pos;
}

/* The position after a tag or comment: libxml2 calls back with the closing
 * '>' not yet consumed. */
static size_t nd__pos_after_markup(nd_html *h)
{
    size_t pos = nd__pos(h);
    return pos < h->dec.len && h->dec.text[pos] == '>' ? pos + 1 : pos;
}

static int nd__blank_byte(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Sets the payload span of the text in input range [from, to) as the
 * paragraph's start (when it has just opened) and end. */
static void nd__src_range(nd_html *h, size_t from, size_t to, int first)
{
    const char *t = h->dec.text;
    size_t a = from, b = to;
    while (a < b && nd__blank_byte(t[a])) a++;
    while (b > a && nd__blank_byte(t[b - 1])) b--;
    if (a == b) a = from, b = to; /* an entity for a space, or a range we cannot place */
    if (first) h->p_src = a;
    h->p_src_end = b;
}

/* One character of text (n bytes of UTF-8). @return 1 when it was appended. */
static int nd__put_char(nd_html *h, const nd__frame *f, const char *c, size_t n)
{
    int ws = n == 1 ? nd__blank_byte(c[0]) || c[0] == '\v'
                    : n == 2 && (unsigned char)c[0] == 0xC2 && (unsigned char)c[1] == 0xA0;
    if (f->pre && n == 1 && c[0] == '\n') {
        nd__end_para(h);
        return 0;
    }
    if (ws) {
        h->space = h->open;
        return 0;
    }
    if (!h->open) {
        if (h->n && nd__append(h, "\n\n", 2)) return 0;
        h->open = 1;
        h->p_off = h->len;
        h->p_chars = h->p_link = 0;
        h->p_landmark = (nd_landmark)f->landmark;
    } else if (h->space && nd__append(h, " ", 1)) {
        return 0;
    }
    h->space = 0;
    h->brs = 0;
    if (nd__append(h, c, n)) return 0;
    h->p_chars++;
    h->p_link += f->link;
    return 1;
}

static const nd__frame *nd__top(const nd_html *h)
{
    static const nd__frame none = { 0, 0, 0, 0 };
    return h->depth ? &h->stack[h->depth - 1] : &none;
}

static void nd__on_text(void *ctx, const xmlChar *ch, int len)
{
    nd_html *h = ctx;
    size_t from = h->last, to = nd__pos(h);
    h->last = to;
    const nd__frame *f = nd__top(h);
    if (f->drop || h->rc || len <= 0) return;
    const char *s = (const char *)ch;
    size_t n = (size_t)len;
    /* plain text (no entity, no line end changed): byte i of it is input
     * byte from + i, so spans are exact even inside one callback */
    int exact = to - from == n && memcmp(h->dec.text + from, s, n) == 0;
    for (size_t i = 0; i < n;) {
        size_t k = nd__utf8_valid_len((const unsigned char *)s + i, n - i);
        if (!k) k = 1; /* libxml2 gives UTF-8; never loop on a stray byte */
        int was_open = h->open;
        if (nd__put_char(h, f, s + i, k)) {
            if (exact) {
                if (!was_open) h->p_src = from + i;
                h->p_src_end = from + i + k;
            } else {
                nd__src_range(h, from, to, !was_open);
            }
        }
        i += k;
    }
}

/* ---- elements ------------------------------------------------------------- */

static int nd__cmp_el(const void *key, const void *el)
{
    return strcmp(key, ((const nd__el *)el)->name);
}

static int nd__attr_is(const char *v, const char *word)
{
    while (*v == ' ') v++;
    size_t i = 0;
    for (; word[i]; i++)
        if (nd__lower_ascii((unsigned char)v[i]) != word[i]) return 0;
    while (v[i] == ' ') i++;
    return v[i] == '\0';
}

/* Whether a style attribute hides the element (blanks and case ignored). */
static int nd__style_hides(const char *v)
{
    char buf[256];
    size_t k = 0;
    for (; *v && k + 1 < sizeof buf; v++)
        if (!nd__blank_byte(*v)) buf[k++] = (char)nd__lower_ascii((unsigned char)*v);
    buf[k] = '\0';
    return strstr(buf, "display:none") || strstr(buf, "visibility:hidden");
}

static unsigned char nd__role_landmark(const char *v)
{
    static const char *const roles[] = { NULL, "navigation", "banner", "contentinfo",
                                         "complementary", "main", "article" };
    for (unsigned i = 1; i < sizeof roles / sizeof *roles; i++)
        if (nd__attr_is(v, roles[i])) return (unsigned char)i;
    return 0;
}

/* Applies the attributes that hide an element or make it a landmark. */
static void nd__attributes(nd__frame *f, const xmlChar **atts)
{
    for (; atts && atts[0]; atts += 2) {
        const char *name = (const char *)atts[0], *v = atts[1] ? (const char *)atts[1] : "";
        if (!strcmp(name, "hidden")) f->drop = 1;
        else if (!strcmp(name, "aria-hidden") && nd__attr_is(v, "true")) f->drop = 1;
        else if (!strcmp(name, "style") && nd__style_hides(v)) f->drop = 1;
        else if (!strcmp(name, "role") && nd__role_landmark(v)) f->landmark = nd__role_landmark(v);
    }
}

static void nd__on_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
    nd_html *h = ctx;
    h->last = nd__pos_after_markup(h);
    if (h->rc) return;
    const nd__el *el = bsearch(name, nd__elements, sizeof nd__elements / sizeof *nd__elements,
                               sizeof *nd__elements, nd__cmp_el);
    unsigned flags = el ? el->flags : 0;
    nd__frame f = *nd__top(h);
    if (!f.drop && (flags & ND__EL_BLOCK)) nd__end_para(h);
    if (!f.drop && (flags & ND__EL_BR) && ++h->brs >= 2) nd__end_para(h);
    else if (!f.drop && (flags & ND__EL_BR)) h->space = h->open;
    if (flags & ND__EL_DROP) f.drop = 1;
    if (flags & ND__EL_LINK) f.link = 1;
    if (flags & ND__EL_PRE) f.pre = 1;
    if (el && el->landmark) f.landmark = el->landmark;
    nd__attributes(&f, atts);
    int rc = nd__reserve(h->al, (void **)&h->stack, &h->stack_cap, h->depth + 1, sizeof *h->stack);
    if (rc) {
        nd__fail(h, rc);
        return;
    }
    h->stack[h->depth++] = f;
}

static void nd__on_end(void *ctx, const xmlChar *name)
{
    nd_html *h = ctx;
    h->last = nd__pos_after_markup(h);
    const nd__el *el = bsearch(name, nd__elements, sizeof nd__elements / sizeof *nd__elements,
                               sizeof *nd__elements, nd__cmp_el);
    if (h->depth) h->depth--; /* libxml2 closes elements in order, implied ones included */
    if (!h->rc && el && (el->flags & ND__EL_BLOCK) && !nd__top(h)->drop) nd__end_para(h);
}

/* Comments, processing instructions, the doctype: no text, but they move
 * the position. */
static void nd__on_comment(void *ctx, const xmlChar *value)
{
    nd_html *h = ctx;
    (void)value;
    h->last = nd__pos_after_markup(h);
}

static void nd__on_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
    (void)target;
    nd__on_comment(ctx, data);
}

static void nd__on_dtd(void *ctx, const xmlChar *name, const xmlChar *eid, const xmlChar *sid)
{
    (void)eid;
    (void)sid;
    nd__on_comment(ctx, name);
}

/* libxml2's errors are the page's, not ours: recovered from, never shown. */
static void nd__on_error(void *ctx, xmlErrorPtr err)
{
    (void)ctx;
    (void)err;
}

/* ---- parse ------------------------------------------------------------- */

static int nd__run_parser(nd_html *h)
{
    htmlParserCtxtPtr px = htmlCreateMemoryParserCtxt(h->dec.text, (int)h->dec.len);
    if (!px) return ND_E_NOMEM;
    xmlSAXHandler *sax = px->sax;
    memset(sax, 0, sizeof *sax);
    sax->startElement = nd__on_start;
    sax->endElement = nd__on_end;
    sax->characters = nd__on_text;
    sax->ignorableWhitespace = nd__on_text;
    sax->cdataBlock = nd__on_text;
    sax->comment = nd__on_comment;
    sax->processingInstruction = nd__on_pi;
    sax->internalSubset = nd__on_dtd;
    sax->serror = nd__on_error;
    sax->initialized = XML_SAX2_MAGIC; /* so that libxml2 reports through serror */
    px->userData = h;
    htmlCtxtUseOptions(px, HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING
                           | HTML_PARSE_NONET | HTML_PARSE_IGNORE_ENC | HTML_PARSE_NODEFDTD);
    sax->serror = nd__on_error; /* options may reset the handlers: set ours again */
    xmlSwitchEncoding(px, XML_CHAR_ENCODING_UTF8);
    h->px = px;
    htmlParseDocument(px);
    int nomem = px->errNo == XML_ERR_NO_MEMORY;
    h->px = NULL;
    htmlFreeParserCtxt(px);
    return nomem ? ND_E_NOMEM : ND_OK;
}

int nd_html_parse(nd_html *h, const char *html, size_t size, const char *charset, size_t charset_len)
{
    if (!h || (!html && size) || (!charset && charset_len)) return ND_E_INVALID;
    h->n = h->len = h->depth = h->last = 0;
    h->open = h->space = 0;
    h->brs = 0;
    h->rc = 0;
    if (size >= (size_t)1 << 31) return ND_E_TOO_LARGE; /* libxml2 takes an int size */
    int rc = nd__charset_decode(h->al, html ? html : "", size, charset, charset_len, &h->dec);
    if (!rc) rc = nd__reserve(h->al, (void **)&h->text, &h->cap, 1, 1);
    if (!rc && h->dec.len >= (size_t)1 << 31) rc = ND_E_TOO_LARGE;
    if (!rc && h->dec.len) rc = nd__run_parser(h);
    if (!rc) {
        nd__end_para(h);
        rc = h->rc;
    }
    if (rc) h->n = h->len = 0;
    if (h->text) h->text[h->len] = '\0';
    return rc;
}

const char *nd_html_text(const nd_html *h, size_t *size)
{
    if (size) *size = h && h->text ? h->len : 0;
    return h && h->text ? h->text : "";
}

size_t nd_html_count(const nd_html *h) { return h ? h->n : 0; }

const nd_span *nd_html_spans(const nd_html *h) { return h ? h->spans : NULL; }

const char *nd_html_charset(const nd_html *h)
{
    return h && h->dec.text ? h->dec.charset : "";
}

int nd_html_para(const nd_html *h, size_t i, nd_html_para_info *out)
{
    if (!h || !out || i >= h->n) return ND_E_INVALID;
    if (out->version != ND_HTML_PARA_INFO_VERSION) return ND_E_VERSION;
    *out = h->paras[i];
    return ND_OK;
}
