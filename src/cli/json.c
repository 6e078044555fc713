/*
 * CLI JSON helpers: see json.h.
 */
#include "json.h"

#include <assert.h>
#include <math.h> /* isfinite(), a macro: no libm needed */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#define CLI_SIMD 1
#endif

/* ---- Growable byte buffer ------------------------------------------------ */

int cli_buf_reserve(cli_buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (extra > SIZE_MAX - 1 - b->len)
        return -1;
    need = b->len + extra + 1; /* + 1: room for a terminating NUL */
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    p = realloc(b->data, cap);
    if (p == NULL)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

void cli_buf_free(cli_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ---- UTF-8 ----------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence starting at s (Unicode table 3-7),
 * or 0 when ill-formed; then *bad gets the length of the maximal subpart, the
 * bytes that one U+FFFD stands for. n must be at least 1. */
static size_t utf8_seq(const unsigned char *s, size_t n, size_t *bad)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    size_t need, i;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        need = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        need = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        need = 4;
    else {
        *bad = 1;
        return 0;
    }
    /* The second byte's range excludes overlongs, surrogates and > U+10FFFF. */
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    for (i = 1; i < need; i++) {
        if (i >= n || s[i] < lo || s[i] > hi) {
            *bad = i;
            return 0;
        }
        lo = 0x80;
        hi = 0xBF;
    }
    return need;
}

size_t cli_utf8_find_invalid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, bad;

    while (i < len) {
        /* Text is mostly ASCII: test sixteen, or eight, bytes at a time. */
#ifdef CLI_SIMD
        if (len - i >= 16 && _mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(s + i))) == 0) {
            i += 16;
            continue;
        }
#endif
        if (len - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if ((w & UINT64_C(0x8080808080808080)) == 0) {
                i += 8;
                continue;
            }
        }
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = utf8_seq(s + i, len - i, &bad);
        if (k == 0)
            return i;
        i += k;
    }
    return len;
}

static size_t utf8_encode(unsigned long cp, unsigned char out[4])
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---- Escapes --------------------------------------------------------------- */

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Parses the 4 hex digits of "\uXXXX" at p (p points at the backslash).
 * @return the code unit, or -1 when p does not hold a complete \u escape. */
static long parse_u4(const unsigned char *p, const unsigned char *end)
{
    long v = 0;
    int i;

    if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
        return -1;
    for (i = 2; i < 6; i++) {
        int h = hex_value(p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* The byte a one-letter escape "\\c" stands for, or -1 when c makes no
 * escape (a switch: escapes are frequent in text, one every 70 bytes). */
static int simple_escape(unsigned char c)
{
    switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return -1;
    }
}

/* Decodes the escape sequence at p (p[0] == '\\') into UTF-8.
 * A high surrogate followed by a low one is joined; any other surrogate is
 * replaced by U+FFFD and flagged in *lone.
 * @return the number of input bytes consumed, or 0 when the escape is
 * invalid. */
static size_t decode_escape(const unsigned char *p, const unsigned char *end,
                            unsigned char out[4], size_t *out_len, int *lone)
{
    long u, lo;

    *lone = 0;
    if (end - p < 2)
        return 0;
    if (p[1] != 'u') {
        int c = simple_escape(p[1]);
        if (c < 0)
            return 0;
        out[0] = (unsigned char)c;
        *out_len = 1;
        return 2;
    }
    u = parse_u4(p, end);
    if (u < 0)
        return 0;
    if (u >= 0xD800 && u <= 0xDBFF) {
        lo = parse_u4(p + 6, end);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
            *out_len = utf8_encode(0x10000 + (((unsigned long)u - 0xD800) << 10) +
                                       ((unsigned long)lo - 0xDC00),
                                   out);
            return 12;
        }
    }
    if (u >= 0xD800 && u <= 0xDFFF) {
        *lone = 1;
        u = 0xFFFD;
    }
    *out_len = utf8_encode((unsigned long)u, out);
    return 6;
}

/* Copies the bytes of p[0..end) before the first backslash to dst, which has
 * 16 bytes of room past them. @return how many. */
static size_t copy_plain(unsigned char *dst, const unsigned char *p, const unsigned char *end)
{
    size_t k = 0, n = (size_t)(end - p);
#ifdef CLI_SIMD
    for (; n - k >= 16; k += 16) { /* copy 16 first, then look: no second pass */
        __m128i v = _mm_loadu_si128((const __m128i *)(p + k));
        _mm_storeu_si128((__m128i *)(dst + k), v);
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
        if (m)
            return k + (size_t)__builtin_ctz(m);
    }
#endif
    for (; k < n && p[k] != '\\'; k++)
        dst[k] = p[k];
    return k;
}

int cli_json_unescape(cli_buf *out, const char *raw, size_t len, size_t *out_replaced)
{
    const unsigned char *p = (const unsigned char *)raw + 1;
    const unsigned char *end = (const unsigned char *)raw + len - 1;
    size_t replaced = 0;

    if (out_replaced)
        *out_replaced = 0;
    out->len = 0;
    if (len < 2 || raw[0] != '"' || raw[len - 1] != '"')
        return -1;
    /* Escapes never expand, so the raw length bounds the decoded one:
     * reserve once (+ 16 for copy_plain's whole blocks) and copy without
     * further checks. */
    if (cli_buf_reserve(out, len + 16) != 0)
        return -1;
    while (p < end) {
        size_t run = copy_plain((unsigned char *)out->data + out->len, p, end);
        unsigned char u8[4];
        size_t n, k;
        int lone;

        out->len += run;
        p += run;
        if (p == end)
            break;
        k = decode_escape(p, end, u8, &n, &lone);
        if (k == 0) {
            out->len = 0;
            out->data[0] = '\0';
            return -1;
        }
        memcpy(out->data + out->len, u8, n);
        out->len += n;
        replaced += (size_t)lone;
        p += k;
    }
    out->data[out->len] = '\0';
    if (out_replaced)
        *out_replaced = replaced;
    return 0;
}

/* Whether the raw key s[0..n) (quotes excluded) decodes to want[0..wn). */
static int key_equals(const unsigned char *s, size_t n, const char *want, size_t wn)
{
    const unsigned char *w = (const unsigned char *)want;
    const unsigned char *end = s + n;
    size_t wi = 0;

    if (memchr(s, '\\', n) == NULL) /* the usual case */
        return n == wn && memcmp(s, want, n) == 0;
    while (s < end) {
        unsigned char u8[4];
        size_t k, m;
        int lone;

        if (*s != '\\') {
            if (wi >= wn || w[wi] != *s)
                return 0;
            wi++;
            s++;
            continue;
        }
        k = decode_escape(s, end, u8, &m, &lone);
        if (k == 0 || wn - wi < m || memcmp(w + wi, u8, m) != 0)
            return 0;
        wi += m;
        s += k;
    }
    return wi == wn;
}

/* ---- Scanner --------------------------------------------------------------- */

enum {
    ST_KEY_OR_END,   /* after '{' */
    ST_KEY,          /* after ',' in an object */
    ST_COLON,        /* after a key */
    ST_VALUE,        /* after ':' or ',' in an array */
    ST_VALUE_OR_END, /* after '[' */
    ST_AFTER         /* after a value */
};

typedef struct scanner {
    const unsigned char *s;
    size_t n, i;
    size_t depth; /* open containers; the top-level object is depth 1 */
    unsigned char stack[CLI_JSON_MAX_DEPTH];
    cli_json_member *members;
    size_t count;
    size_t cur;    /* member whose value is being scanned, or count */
    size_t vstart; /* where that value started */
    cli_json_error *err;
} scanner;

static int fail(scanner *sc, const char *reason, size_t at)
{
    if (sc->err) {
        sc->err->reason = reason;
        sc->err->column = at + 1;
    }
    return -1;
}

static void skip_ws(scanner *sc)
{
    while (sc->i < sc->n) {
        unsigned char c = sc->s[sc->i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        sc->i++;
    }
}

/* Whether any of the 8 bytes in w is '"', '\\' or below 0x20. Each test is
 * the classic "has a zero byte" / "has a byte less than n" bit trick, exact
 * as a yes/no answer (Hacker's Delight 6-1). */
static int has_special8(uint64_t w)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), highs = ones << 7;
    uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
    uint64_t t = ((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w);

    return (t & highs) != 0;
}

#ifdef CLI_SIMD
/* Bit i set when byte i of the 16 at p is '"', '\\' or below 0x20. */
static unsigned special16(const unsigned char *p)
{
    __m128i v = _mm_loadu_si128((const __m128i *)p);
    __m128i ctl = _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x1F)), _mm_set1_epi8(0x1F));
    __m128i q = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
    __m128i b = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(ctl, _mm_or_si128(q, b)));
}
#endif

/* Scans the string at sc->i (an opening quote) up to and past its closing
 * quote, checking escapes and rejecting raw control characters. */
static int scan_string(scanner *sc)
{
    const unsigned char *s = sc->s;
    size_t i = sc->i + 1, n = sc->n;

    for (;;) {
        unsigned char c;

        /* Plain bytes are the bulk of a document: skip sixteen or eight
         * at a time, then finish byte by byte. */
#ifdef CLI_SIMD
        while (n - i >= 16) {
            unsigned m = special16(s + i);
            if (m) {
                i += (size_t)__builtin_ctz(m);
                break;
            }
            i += 16;
        }
#endif
        while (n - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (has_special8(w))
                break;
            i += 8;
        }
        while (i < n && s[i] >= 0x20 && s[i] != '"' && s[i] != '\\')
            i++;
        if (i >= n)
            return fail(sc, "unterminated string", n);
        c = s[i];
        if (c == '"')
            break;
        if (c < 0x20)
            return fail(sc, "control character in string", i);
        if (i + 1 >= n)
            return fail(sc, "unterminated string", n);
        if (s[i + 1] == 'u') {
            if (parse_u4(s + i, s + n) < 0)
                return fail(sc, "invalid \\u escape", i);
            i += 6;
        } else if (simple_escape(s[i + 1]) >= 0) {
            i += 2;
        } else {
            return fail(sc, "invalid escape", i);
        }
    }
    sc->i = i + 1;
    return 0;
}

static size_t skip_digits(const unsigned char *s, size_t i, size_t n)
{
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    return i;
}

/* number = [ "-" ] ( "0" / [1-9] *DIGIT ) [ "." 1*DIGIT ] [ ("e"/"E") ["+"/"-"] 1*DIGIT ] */
static int scan_number(scanner *sc)
{
    const unsigned char *s = sc->s;
    size_t i = sc->i, n = sc->n, j;

    if (s[i] == '-')
        i++;
    if (i < n && s[i] == '0') {
        i++;
        if (i < n && s[i] >= '0' && s[i] <= '9')
            return fail(sc, "leading zero in number", i - 1);
    } else {
        j = skip_digits(s, i, n);
        if (j == i)
            return fail(sc, "invalid number", i);
        i = j;
    }
    if (i < n && s[i] == '.') {
        j = skip_digits(s, i + 1, n);
        if (j == i + 1)
            return fail(sc, "invalid number", j);
        i = j;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        j = skip_digits(s, i, n);
        if (j == i)
            return fail(sc, "invalid number", j);
        i = j;
    }
    sc->i = i;
    return 0;
}

static int scan_literal(scanner *sc)
{
    static const char *const words[] = { "true", "false", "null" };
    size_t k;

    for (k = 0; k < 3; k++) {
        size_t wl = strlen(words[k]);
        if (sc->s[sc->i] == (unsigned char)words[k][0]) {
            if (sc->n - sc->i < wl || memcmp(sc->s + sc->i, words[k], wl) != 0)
                return fail(sc, "invalid literal", sc->i);
            sc->i += wl;
            return 0;
        }
    }
    return fail(sc, "expected a value", sc->i);
}

static int value_type(unsigned char c)
{
    switch (c) {
    case '"': return CLI_JSON_STRING;
    case '{': return CLI_JSON_OBJECT;
    case '[': return CLI_JSON_ARRAY;
    case 't':
    case 'f': return CLI_JSON_BOOL;
    case 'n': return CLI_JSON_NULL;
    default: return CLI_JSON_NUMBER;
    }
}

/* Called when a value has just ended at sc->i: records it when it is the
 * value of a wanted top-level member. */
static void end_value(scanner *sc)
{
    cli_json_member *m;

    if (sc->depth != 1 || sc->cur >= sc->count)
        return;
    m = &sc->members[sc->cur];
    m->type = value_type(sc->s[sc->vstart]);
    m->off = sc->vstart;
    m->len = sc->i - sc->vstart;
    sc->cur = sc->count;
}

static int push(scanner *sc, unsigned char c, int *state)
{
    if (sc->depth >= CLI_JSON_MAX_DEPTH)
        return fail(sc, "nesting too deep", sc->i);
    sc->stack[sc->depth++] = c;
    sc->i++;
    *state = c == '{' ? ST_KEY_OR_END : ST_VALUE_OR_END;
    return 0;
}

/* Starts the value at sc->i: containers are pushed, scalars consumed. */
static int begin_value(scanner *sc, int *state)
{
    unsigned char c = sc->s[sc->i];
    int rc;

    if (sc->depth == 1)
        sc->vstart = sc->i;
    if (c == '{' || c == '[')
        return push(sc, c, state);
    if (c == '"')
        rc = scan_string(sc);
    else if (c == '-' || (c >= '0' && c <= '9'))
        rc = scan_number(sc);
    else
        rc = scan_literal(sc);
    if (rc == 0) {
        end_value(sc);
        *state = ST_AFTER;
    }
    return rc;
}

static int scan_key(scanner *sc)
{
    size_t start = sc->i, k;

    assert(sc->s[start] == '"');
    if (scan_string(sc) != 0)
        return -1;
    if (sc->depth != 1) /* keys of nested objects must not disturb `cur` */
        return 0;
    sc->cur = sc->count;
    for (k = 0; k < sc->count; k++) {
        if (key_equals(sc->s + start + 1, sc->i - start - 2, sc->members[k].key,
                       sc->members[k].key_len)) {
            sc->cur = k;
            break;
        }
    }
    return 0;
}

/* Closes the container on top of the stack with c, or fails if c does not
 * match it. Sets *done when the top-level object closed. */
static int close_container(scanner *sc, unsigned char c, int *state, int *done)
{
    unsigned char open = sc->stack[sc->depth - 1];

    if ((open == '{') != (c == '}'))
        return fail(sc, open == '{' ? "expected ',' or '}'" : "expected ',' or ']'", sc->i);
    sc->i++;
    if (--sc->depth == 0) {
        *done = 1;
        return 0;
    }
    end_value(sc);
    *state = ST_AFTER;
    return 0;
}

/* What the scanner expected in each state, for error messages. */
static const char *expected(const scanner *sc, int state)
{
    switch (state) {
    case ST_KEY_OR_END: return "expected a string key or '}'";
    case ST_KEY: return "expected a string key";
    case ST_COLON: return "expected ':'";
    case ST_AFTER:
        return sc->stack[sc->depth - 1] == '{' ? "expected ',' or '}'" : "expected ',' or ']'";
    default: return "expected a value";
    }
}

/* One step of the state machine at the non-blank byte c = s[i]. */
static int step(scanner *sc, int *state, int *done)
{
    unsigned char c = sc->s[sc->i];

    switch (*state) {
    case ST_KEY_OR_END:
        if (c == '}')
            return close_container(sc, c, state, done);
        /* fall through */
    case ST_KEY:
        if (c != '"')
            break;
        *state = ST_COLON;
        return scan_key(sc);
    case ST_COLON:
        if (c != ':')
            break;
        sc->i++;
        *state = ST_VALUE;
        return 0;
    case ST_VALUE_OR_END:
        if (c == ']')
            return close_container(sc, c, state, done);
        /* fall through */
    case ST_VALUE:
        if (c == ']' || c == '}' || c == ',' || c == ':')
            break;
        return begin_value(sc, state);
    case ST_AFTER:
        if (c == '}' || c == ']')
            return close_container(sc, c, state, done);
        if (c != ',')
            break;
        sc->i++;
        *state = sc->stack[sc->depth - 1] == '{' ? ST_KEY : ST_VALUE;
        return 0;
    }
    return fail(sc, expected(sc, *state), sc->i);
}

int cli_json_scan_object(const char *s, size_t len, cli_json_member *members, size_t count,
                         cli_json_error *err)
{
    scanner sc;
    int state = ST_KEY_OR_END, done = 0;
    size_t k;

    for (k = 0; k < count; k++) {
        members[k].type = CLI_JSON_ABSENT;
        members[k].off = members[k].len = 0;
    }
    memset(&sc, 0, sizeof sc);
    sc.s = (const unsigned char *)s;
    sc.n = len;
    sc.members = members;
    sc.count = sc.cur = count;
    sc.err = err;
    skip_ws(&sc);
    if (sc.i >= sc.n || sc.s[sc.i] != '{')
        return fail(&sc, "expected '{' (a JSON object)", sc.i);
    sc.stack[sc.depth++] = '{';
    sc.i++;
    while (!done) {
        skip_ws(&sc);
        if (sc.i >= sc.n)
            return fail(&sc, expected(&sc, state), sc.n);
        if (step(&sc, &state, &done) != 0)
            return -1;
    }
    skip_ws(&sc);
    if (sc.i < sc.n)
        return fail(&sc, "unexpected data after the object", sc.i);
    return 0;
}

/* ---- Writers --------------------------------------------------------------- */

/* The escape for byte c, or NULL when c may be written as is. Bytes >= 0x80
 * are handled by the caller. */
static const char *escape_for(unsigned char c, char tmp[8])
{
    static const char hex[] = "0123456789abcdef";

    switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\b': return "\\b";
    case '\f': return "\\f";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default: break;
    }
    if (c >= 0x20)
        return NULL;
    memcpy(tmp, "\\u00", 4);
    tmp[4] = hex[c >> 4];
    tmp[5] = hex[c & 15];
    tmp[6] = '\0';
    return tmp;
}

void cli_out_init(cli_out *o, FILE *f)
{
    o->f = f;
    o->len = 0;
}

static void out_flush(cli_out *o)
{
    if (o->len)
        fwrite(o->buf, 1, o->len, o->f);
    o->len = 0;
}

void cli_out_bytes(cli_out *o, const char *s, size_t n)
{
    if (n > sizeof o->buf - o->len) {
        out_flush(o);
        if (n > sizeof o->buf) { /* a long string goes straight through */
            fwrite(s, 1, n, o->f);
            return;
        }
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void out_char(cli_out *o, char c)
{
    if (o->len == sizeof o->buf)
        out_flush(o);
    o->buf[o->len++] = c;
}

void cli_out_str(cli_out *o, const char *s)
{
    cli_out_bytes(o, s, strlen(s));
}

int cli_out_end(cli_out *o)
{
    out_flush(o);
    return ferror(o->f) ? -1 : 0;
}

/* Bytes of s[0..n) from the start that are printable ASCII other than '"'
 * and '\\' (written as they are), 16 at a time where SSE2 is there. */
static size_t plain_prefix(const unsigned char *s, size_t n)
{
    size_t i = 0;
#ifdef CLI_SIMD
    for (; n - i >= 16; i += 16) {
        unsigned m = special16(s + i) | (unsigned)_mm_movemask_epi8(
                                            _mm_loadu_si128((const __m128i *)(s + i)));
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
#endif
    while (i < n && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\')
        i++;
    return i;
}

void cli_out_json_string(cli_out *o, const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, run = 0; /* s[run..i) is pending, to be written verbatim */

    out_char(o, '"');
    while (i < len) {
        const char *esc;
        char tmp[8];
        size_t skip = 1;

        i += plain_prefix(s + i, len - i);
        if (i >= len)
            break;
        if (s[i] >= 0x80) {
            size_t k = utf8_seq(s + i, len - i, &skip);
            if (k) {
                i += k;
                continue;
            }
            esc = "\\ufffd";
        } else if ((esc = escape_for(s[i], tmp)) == NULL) {
            i++;
            continue;
        }
        cli_out_bytes(o, (const char *)s + run, i - run);
        cli_out_str(o, esc);
        i += skip;
        run = i;
    }
    cli_out_bytes(o, (const char *)s + run, len - run);
    out_char(o, '"');
}

int cli_json_write_string(FILE *f, const char *str, size_t len)
{
    cli_out o;
    cli_out_init(&o, f);
    cli_out_json_string(&o, str, len);
    return cli_out_end(&o);
}

/* Writes v in decimal into the end of buf[0..size) and returns where the
 * digits start. */
static char *u64_digits(uint64_t v, char *buf, size_t size)
{
    char *p = buf + size;

    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return p;
}

void cli_out_size(cli_out *o, size_t v)
{
    char buf[24];
    char *p = u64_digits((uint64_t)v, buf, sizeof buf);

    cli_out_bytes(o, p, (size_t)(buf + sizeof buf - p));
}

int cli_json_write_size(FILE *f, size_t v)
{
    cli_out o;
    cli_out_init(&o, f);
    cli_out_size(&o, v);
    return cli_out_end(&o);
}

/* Writes the double a >= 2^64, necessarily an integer, exactly: its 53-bit mantissa
 * times a power of two, computed in base 10^9 limbs (at most 309 digits). */
static void write_big_integer(cli_out *o, double a)
{
    uint32_t limb[40];
    size_t nl = 2, k;
    uint64_t bits, m;
    int e;

    memcpy(&bits, &a, sizeof bits);
    e = (int)((bits >> 52) & 0x7FF) - 1075; /* a >= 2^64 is normal: e >= 12 */
    m = (bits & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1) << 52);
    limb[0] = (uint32_t)(m % 1000000000u);
    limb[1] = (uint32_t)(m / 1000000000u);
    while (e > 0) {
        int sh = e > 16 ? 16 : e;
        uint64_t carry = 0;

        for (k = 0; k < nl; k++) {
            uint64_t x = ((uint64_t)limb[k] << sh) + carry;
            limb[k] = (uint32_t)(x % 1000000000u);
            carry = x / 1000000000u;
        }
        if (carry && nl < sizeof limb / sizeof limb[0])
            limb[nl++] = (uint32_t)carry;
        e -= sh;
    }
    while (nl > 1 && limb[nl - 1] == 0)
        nl--;
    for (k = nl; k-- > 0;) {
        char buf[16];
        char *p = u64_digits(limb[k], buf, sizeof buf);
        size_t nd = (size_t)(buf + sizeof buf - p);

        /* Every limb but the leading one has exactly nine digits. */
        for (; k != nl - 1 && nd < 9; nd++)
            *--p = '0';
        cli_out_bytes(o, p, nd);
    }
}

/* Rounds x >= 0, x < 2^64, to the nearest integer, halves away from zero.
 * x - floor(x) is exact for doubles, so the comparison with 0.5 is too
 * (unlike x + 0.5, which can round up 0.49999999999999994). */
static uint64_t round_u64(double x)
{
    uint64_t u = (uint64_t)x;

    return x - (double)u >= 0.5 ? u + 1 : u;
}

void cli_out_double(cli_out *o, double v, int decimals)
{
    /* Powers of ten up to 1e17 are exact doubles. */
    static const double p10[] = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,
                                  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17 };
    const double two64 = 18446744073709551616.0;
    char buf[32];
    double a = v < 0 ? -v : v;
    uint64_t ip = 0, frac = 0, one;
    int d = decimals < 0 ? 0 : decimals > 17 ? 17 : decimals;

    if (!isfinite(v)) {
        cli_out_str(o, "null");
        return;
    }
    one = (uint64_t)p10[d];
    if (a < two64) {
        /* The fraction a - ip is exact; scaling it rounds once, and the
         * result is at most 1e17, well inside 64 bits. */
        ip = (uint64_t)a;
        frac = round_u64((a - (double)ip) * p10[d]);
        if (frac >= one) {
            frac -= one;
            ip++;
        }
    }
    if (v < 0 && (ip != 0 || frac != 0 || a >= two64))
        out_char(o, '-');
    if (a >= two64) {
        write_big_integer(o, a); /* an integer: no fraction at this size */
    } else {
        char *p = u64_digits(ip, buf, sizeof buf);
        cli_out_bytes(o, p, (size_t)(buf + sizeof buf - p));
    }
    if (d > 0) {
        char *p = u64_digits(frac, buf, sizeof buf);
        int nd = (int)(buf + sizeof buf - p);

        out_char(o, '.');
        for (; nd < d; nd++)
            out_char(o, '0');
        cli_out_bytes(o, p, (size_t)(buf + sizeof buf - p));
    }
}

int cli_json_write_double(FILE *f, double v, int decimals)
{
    cli_out o;
    cli_out_init(&o, f);
    cli_out_double(&o, v, decimals);
    return cli_out_end(&o);
}
