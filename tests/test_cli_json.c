/*
 * Unit tests for src/cli/json.c: scanner, unescaping, UTF-8 checks, writers.
 */
#define _POSIX_C_SOURCE 200809L

#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"

/* ---- Helpers ------------------------------------------------------------- */

/* Runs `write` into a memory stream and returns what it wrote (to free). */
typedef int (*write_fn)(FILE *f, const void *arg);

static char *capture(write_fn fn, const void *arg, size_t *out_len)
{
    char *data = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&data, &len);

    assert_non_null(f);
    assert_int_equal(fn(f, arg), 0);
    assert_int_equal(fclose(f), 0);
    if (out_len)
        *out_len = len;
    return data;
}

typedef struct str_arg {
    const char *s;
    size_t n;
} str_arg;

static int do_write_string(FILE *f, const void *arg)
{
    const str_arg *a = arg;
    return cli_json_write_string(f, a->s, a->n);
}

static char *json_string(const char *s, size_t n, size_t *out_len)
{
    str_arg a = { s, n };
    return capture(do_write_string, &a, out_len);
}

typedef struct dbl_arg {
    double v;
    int decimals;
} dbl_arg;

static int do_write_double(FILE *f, const void *arg)
{
    const dbl_arg *a = arg;
    return cli_json_write_double(f, a->v, a->decimals);
}

static char *json_double(double v, int decimals)
{
    dbl_arg a = { v, decimals };
    return capture(do_write_double, &a, NULL);
}

static int do_write_size(FILE *f, const void *arg)
{
    return cli_json_write_size(f, *(const size_t *)arg);
}

static void check_double(double v, int decimals, const char *want)
{
    char *got = json_double(v, decimals);
    assert_string_equal(got, want);
    free(got);
}

/* Whether s is -?[0-9]+(\.[0-9]+)? with exactly `decimals` fraction digits. */
static int is_plain_decimal(const char *s, int decimals)
{
    const char *dot;

    if (*s == '-')
        s++;
    if (*s < '0' || *s > '9')
        return 0;
    while (*s >= '0' && *s <= '9')
        s++;
    if (decimals == 0)
        return *s == '\0';
    if (*s != '.')
        return 0;
    dot = s++;
    while (*s >= '0' && *s <= '9')
        s++;
    return *s == '\0' && s - dot - 1 == decimals;
}

/* Small libm-free stand-ins, so the test links without -lm. */
static double pow10_int(int e)
{
    double r = 1;

    for (; e > 0; e--)
        r *= 10;
    for (; e < 0; e++)
        r /= 10;
    return r;
}

static double times_pow2(double x, int e)
{
    for (; e > 0; e--)
        x *= 2; /* exact */
    return x;
}

static double absd(double x)
{
    return x < 0 ? -x : x;
}

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* ---- Scanner: accept/reject table --------------------------------------- */

typedef struct scan_case {
    const char *line;
    int valid;
    size_t column;      /* expected error column when invalid */
    const char *reason; /* expected substring of the reason */
} scan_case;

static const scan_case scan_cases[] = {
    /* valid */
    { "{}", 1, 0, NULL },
    { "  \t{ }\t \r\n", 1, 0, NULL },
    { "{\"a\":1}", 1, 0, NULL },
    { "{\"\":\"\"}", 1, 0, NULL },
    { "{\"a\":-0.5e+10,\"b\":[1,2,{\"c\":null}],\"d\":true,\"e\":false}", 1, 0, NULL },
    { "{\"a\":\"\\u00e9\\ud83d\\ude00\\n\\\"\\\\\\/\\b\\f\\r\\t\"}", 1, 0, NULL },
    { "{\"a\":{\"b\":{\"c\":[[[]],{}]}}}", 1, 0, NULL },
    { "{\"a\":0,\"b\":-0,\"c\":1E5,\"d\":1.0e-5,\"e\":12.50E+3}", 1, 0, NULL },
    { "{\"a\":\"\\ud800\"}", 1, 0, NULL }, /* lone surrogate: valid grammar */
    { "{ \"a\" : \"x\" , \"b\" : [ ] }", 1, 0, NULL },
    { "{\"a\":\"caf\xC3\xA9\"}", 1, 0, NULL },
    { "{\"a\":\"\xFF\xFE\"}", 1, 0, NULL }, /* bytes left to the caller to judge */
    { "{\"a\":\"\x7F\"}", 1, 0, NULL },    /* DEL is not a control character in JSON */
    { "{\"a\":[\"]\",\"}\",\"{\"]}", 1, 0, NULL },
    /* invalid */
    { "", 0, 1, "expected '{'" },
    { "   ", 0, 4, "expected '{'" },
    { "[]", 0, 1, "expected '{'" },
    { "\"a\"", 0, 1, "expected '{'" },
    { "\xEF\xBB\xBF{}", 0, 1, "expected '{'" }, /* the BOM is input.c's business */
    { "{", 0, 2, "expected a string key or '}'" },
    { "{\"a\"}", 0, 5, "expected ':'" },
    { "{\"a\":}", 0, 6, "expected a value" },
    { "{\"a\":1,}", 0, 8, "expected a string key" },
    { "{\"a\":1 \"b\":2}", 0, 8, "expected ',' or '}'" },
    { "{\"a\":[1,]}", 0, 9, "expected a value" },
    { "{\"a\":[1}", 0, 8, "expected ',' or ']'" },
    { "{\"a\":[1,2]]}", 0, 11, "expected ',' or '}'" },
    { "{\"a\":01}", 0, 6, "leading zero" },
    { "{\"a\":1.}", 0, 8, "invalid number" },
    { "{\"a\":.5}", 0, 6, "expected a value" },
    { "{\"a\":-}", 0, 7, "invalid number" },
    { "{\"a\":1e}", 0, 8, "invalid number" },
    { "{\"a\":1e+}", 0, 9, "invalid number" },
    { "{\"a\":+1}", 0, 6, "expected a value" },
    { "{\"a\":tru}", 0, 6, "invalid literal" },
    { "{\"a\":nul", 0, 6, "invalid literal" },
    { "{\"a\":NaN}", 0, 6, "expected a value" },
    { "{\"a\":truex}", 0, 10, "expected ',' or '}'" },
    { "{\"a\":\"x\\qy\"}", 0, 8, "invalid escape" },
    { "{\"a\":\"\\u12G4\"}", 0, 7, "invalid \\u escape" },
    { "{\"a\":\"\\u00\"}", 0, 7, "invalid \\u escape" },
    { "{\"a\":\"ab", 0, 9, "unterminated string" },
    { "{\"a\":\"ab\\", 0, 10, "unterminated string" },
    { "{\"a\":\"a\tb\"}", 0, 8, "control character" },
    { "{\"a\":1}x", 0, 8, "unexpected data after" },
    { "{\"a\":1}{}", 0, 8, "unexpected data after" },
    { "{\"a\":1}}", 0, 8, "unexpected data after" },
    { "{a:1}", 0, 2, "expected a string key or '}'" },
    { "{'a':1}", 0, 2, "expected a string key or '}'" },
    { "{\"a\":1,\"b\"", 0, 11, "expected ':'" },
    { "{\"a\" :: 1}", 0, 7, "expected a value" },
    { "{\"a\":1,,\"b\":2}", 0, 8, "expected a string key" },
    { "{\"a\":1", 0, 7, "expected ',' or '}'" },
    { "{\"a\":[1,2", 0, 10, "expected ',' or ']'" },
    { "{\"a\":1}\x0B", 0, 8, "unexpected data after" }, /* VT is not JSON whitespace */
};

static void test_scan_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof scan_cases / sizeof scan_cases[0]; i++) {
        const scan_case *c = &scan_cases[i];
        cli_json_error err = { NULL, 0 };
        int rc = cli_json_scan_object(c->line, strlen(c->line), NULL, 0, &err);

        if (c->valid) {
            if (rc != 0)
                fail_msg("case %zu should be valid: %s (%s at column %zu)", i, c->line,
                         err.reason, err.column);
            continue;
        }
        if (rc == 0)
            fail_msg("case %zu should be invalid: %s", i, c->line);
        if (err.column != c->column || strstr(err.reason, c->reason) == NULL)
            fail_msg("case %zu (%s): got \"%s\" at column %zu, want \"%s\" at column %zu", i,
                     c->line, err.reason, err.column, c->reason, c->column);
    }
}

static void test_scan_explicit_length(void **state)
{
    cli_json_error err;
    const char line[] = "{\"a\":\"x\0y\"}"; /* raw NUL inside a string */

    (void)state;
    /* Only `len` bytes count: a prefix of a valid line is incomplete. */
    assert_int_equal(cli_json_scan_object("{\"a\":1}", 6, NULL, 0, &err), -1);
    assert_int_equal(err.column, 7);
    assert_int_equal(cli_json_scan_object("{\"a\":1}\0", 8, NULL, 0, &err), -1);
    assert_int_equal(err.column, 8);
    assert_int_equal(cli_json_scan_object(line, sizeof line - 1, NULL, 0, &err), -1);
    assert_int_equal(err.column, 8);
    assert_non_null(strstr(err.reason, "control character"));
    /* err may be NULL */
    assert_int_equal(cli_json_scan_object("{", 1, NULL, 0, NULL), -1);
}

/* {"a": [[[...]]]} with `levels` arrays: depth levels + 1. */
static char *nested(size_t levels)
{
    char *s = malloc(levels * 2 + 8);
    size_t i, n = 0;

    assert_non_null(s);
    memcpy(s, "{\"a\":", 5);
    n = 5;
    for (i = 0; i < levels; i++)
        s[n++] = '[';
    for (i = 0; i < levels; i++)
        s[n++] = ']';
    s[n++] = '}';
    s[n] = '\0';
    return s;
}

static void test_scan_depth_limit(void **state)
{
    cli_json_error err;
    char *ok = nested(CLI_JSON_MAX_DEPTH - 1);
    char *deep = nested(CLI_JSON_MAX_DEPTH);
    size_t huge = 1000000, i;
    char *bomb = malloc(huge + 6);

    (void)state;
    assert_int_equal(cli_json_scan_object(ok, strlen(ok), NULL, 0, &err), 0);
    assert_int_equal(cli_json_scan_object(deep, strlen(deep), NULL, 0, &err), -1);
    assert_non_null(strstr(err.reason, "nesting too deep"));
    /* The failing '[' is the one that would make depth 257. */
    assert_int_equal(err.column, 5 + CLI_JSON_MAX_DEPTH);
    /* A million '[' must fail fast, not blow the stack. */
    assert_non_null(bomb);
    memcpy(bomb, "{\"a\":", 5);
    for (i = 0; i < huge; i++)
        bomb[5 + i] = '[';
    assert_int_equal(cli_json_scan_object(bomb, huge + 5, NULL, 0, &err), -1);
    assert_non_null(strstr(err.reason, "nesting too deep"));
    free(ok);
    free(deep);
    free(bomb);
}

/* ---- Scanner: members ---------------------------------------------------- */

static void set_key(cli_json_member *m, const char *key)
{
    m->key = key;
    m->key_len = strlen(key);
    m->type = 99; /* must be overwritten */
}

static void assert_span(const char *line, const cli_json_member *m, int type, const char *want)
{
    assert_int_equal(m->type, type);
    assert_int_equal(m->len, strlen(want));
    assert_memory_equal(line + m->off, want, m->len);
}

static void test_scan_members(void **state)
{
    const char *line = " {\"id\": -1.5e3, \"meta\": {\"text\": \"inner\", \"id\": [1]},"
                       " \"text\": \"hi\\u0021 \\\"q\\\"\", \"source\": null,"
                       " \"flag\": true, \"list\": [ {\"a\": \"}\"} ] } ";
    cli_json_member m[7];
    cli_json_error err;

    (void)state;
    set_key(&m[0], "id");
    set_key(&m[1], "text");
    set_key(&m[2], "source");
    set_key(&m[3], "missing");
    set_key(&m[4], "meta");
    set_key(&m[5], "flag");
    set_key(&m[6], "list");
    assert_int_equal(cli_json_scan_object(line, strlen(line), m, 7, &err), 0);
    assert_span(line, &m[0], CLI_JSON_NUMBER, "-1.5e3");
    assert_span(line, &m[1], CLI_JSON_STRING, "\"hi\\u0021 \\\"q\\\"\"");
    assert_span(line, &m[2], CLI_JSON_NULL, "null");
    assert_int_equal(m[3].type, CLI_JSON_ABSENT);
    assert_span(line, &m[4], CLI_JSON_OBJECT, "{\"text\": \"inner\", \"id\": [1]}");
    assert_span(line, &m[5], CLI_JSON_BOOL, "true");
    assert_span(line, &m[6], CLI_JSON_ARRAY, "[ {\"a\": \"}\"} ]");
}

static void test_scan_member_keys(void **state)
{
    cli_json_member m[2];
    cli_json_error err;
    const char *dup = "{\"text\":\"first\",\"text\":\"second\"}";
    const char *esc = "{\"\\u0074ext\":\"x\",\"te\\\"xt\":1}";
    const char *near = "{\"tex\":1,\"texts\":2,\"Text\":3}";
    const char *utf = "{\"cl\\u00e9\":1,\"clé\":2}";

    (void)state;
    set_key(&m[0], "text");
    assert_int_equal(cli_json_scan_object(dup, strlen(dup), m, 1, &err), 0);
    assert_span(dup, &m[0], CLI_JSON_STRING, "\"second\""); /* last one wins */

    set_key(&m[0], "text");
    set_key(&m[1], "te\"xt");
    assert_int_equal(cli_json_scan_object(esc, strlen(esc), m, 2, &err), 0);
    assert_span(esc, &m[0], CLI_JSON_STRING, "\"x\"");
    assert_span(esc, &m[1], CLI_JSON_NUMBER, "1");

    set_key(&m[0], "text");
    assert_int_equal(cli_json_scan_object(near, strlen(near), m, 1, &err), 0);
    assert_int_equal(m[0].type, CLI_JSON_ABSENT);

    set_key(&m[0], "clé");
    assert_int_equal(cli_json_scan_object(utf, strlen(utf), m, 1, &err), 0);
    assert_span(utf, &m[0], CLI_JSON_NUMBER, "2"); /* both spellings match; last wins */
}

/* ---- Unescaping ---------------------------------------------------------- */

typedef struct unescape_case {
    const char *raw;
    const char *want;
    size_t want_len;
    size_t replaced;
} unescape_case;

#define U(raw, want, rep) { raw, want, sizeof want - 1, rep }

static const unescape_case unescape_cases[] = {
    U("\"abc\"", "abc", 0),
    U("\"\"", "", 0),
    U("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 0),
    U("\"\\u0041\\u00e9\\u20AC\"", "A\xC3\xA9\xE2\x82\xAC", 0),
    U("\"\\ud83d\\ude00\"", "\xF0\x9F\x98\x80", 0),
    U("\"\\uD83D\\uDE00!\"", "\xF0\x9F\x98\x80!", 0),
    U("\"\\udbff\\udfff\"", "\xF4\x8F\xBF\xBF", 0),
    U("\"\\ud800\"", "\xEF\xBF\xBD", 1),
    U("\"\\udc00x\"", "\xEF\xBF\xBDx", 1),
    U("\"\\ud800\\u0041\"", "\xEF\xBF\xBD" "A", 1),
    U("\"\\ud800\\ud800\\udc00\"", "\xEF\xBF\xBD\xF0\x90\x80\x80", 1),
    U("\"\\ud800\\n\"", "\xEF\xBF\xBD\n", 1),
    U("\"\\ud800\\ue000\"", "\xEF\xBF\xBD\xEE\x80\x80", 1), /* U+E000 is no low surrogate */
    U("\"a\\u0000b\"", "a\0b", 0),
    U("\"\xFF\xC3(\"", "\xFF\xC3(", 0), /* raw bytes kept, lossless */
    U("\"caf\xC3\xA9 \\\\ x\"", "caf\xC3\xA9 \\ x", 0),
};

static void test_unescape_table(void **state)
{
    cli_buf b = CLI_BUF_INIT;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof unescape_cases / sizeof unescape_cases[0]; i++) {
        const unescape_case *c = &unescape_cases[i];
        size_t replaced = 99;

        if (cli_json_unescape(&b, c->raw, strlen(c->raw), &replaced) != 0)
            fail_msg("case %zu: %s failed", i, c->raw);
        if (b.len != c->want_len || memcmp(b.data, c->want, b.len) != 0)
            fail_msg("case %zu: %s decoded to %zu bytes", i, c->raw, b.len);
        assert_int_equal(replaced, c->replaced);
        assert_int_equal(b.data[b.len], '\0'); /* NUL-terminated */
    }
    cli_buf_free(&b);
}

static void test_unescape_invalid(void **state)
{
    cli_buf b = CLI_BUF_INIT;
    static const char *const bad[] = { "", "\"", "abc", "\"abc", "abc\"", "\"\\x\"",
                                       "\"\\u12\"", "\"\\\"" };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(cli_json_unescape(&b, bad[i], strlen(bad[i]), NULL), -1);
        assert_int_equal(b.len, 0);
    }
    /* The buffer is replaced, not appended to. */
    assert_int_equal(cli_json_unescape(&b, "\"long string\"", 13, NULL), 0);
    assert_int_equal(cli_json_unescape(&b, "\"ab\"", 4, NULL), 0);
    assert_int_equal(b.len, 2);
    assert_string_equal(b.data, "ab");
    cli_buf_free(&b);
}

/* Unescapes the member `key` of a scanned line, as input.c does. */
static void test_unescape_scanned_value(void **state)
{
    const char *line = "{\"id\":\"x\",\"text\":\"Caf\\u00e9 \\ud83d\\ude00\\u0000!\"}";
    cli_json_member m;
    cli_buf b = CLI_BUF_INIT;

    (void)state;
    set_key(&m, "text");
    assert_int_equal(cli_json_scan_object(line, strlen(line), &m, 1, NULL), 0);
    assert_int_equal(cli_json_unescape(&b, line + m.off, m.len, NULL), 0);
    assert_int_equal(b.len, 12);
    assert_memory_equal(b.data, "Caf\xC3\xA9 \xF0\x9F\x98\x80\0!", 12);
    cli_buf_free(&b);
}

/* ---- UTF-8 ----------------------------------------------------------------- */

typedef struct utf8_case {
    const char *s;
    size_t len;
    size_t bad; /* expected result */
} utf8_case;

#define V(s, bad) { s, sizeof s - 1, bad }

static const utf8_case utf8_cases[] = {
    V("", 0),
    V("plain ascii text that is longer than eight bytes", 48),
    V("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", 14),
    V("\xF4\x8F\xBF\xBF", 4),         /* U+10FFFF */
    V("\xED\x9F\xBF", 3),             /* U+D7FF */
    V("\xEE\x80\x80", 3),             /* U+E000 */
    V("\xC0\x80", 0),                 /* overlong NUL */
    V("\xC1\xBF", 0),                 /* overlong */
    V("\xE0\x9F\xBF", 0),             /* overlong 3-byte */
    V("\xF0\x8F\xBF\xBF", 0),         /* overlong 4-byte */
    V("ab\xED\xA0\x80", 2),           /* surrogate U+D800 */
    V("\xF4\x90\x80\x80", 0),         /* > U+10FFFF */
    V("\xF5\x80\x80\x80", 0),
    V("\xFF", 0),
    V("abcdefgh\x80", 8),             /* lone continuation after the fast path */
    V("abcdefg\xF0\x9F\x98", 7),      /* truncated at the end */
    V("\xC3(", 0),
};

static void test_utf8_find_invalid(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof utf8_cases / sizeof utf8_cases[0]; i++) {
        size_t got = cli_utf8_find_invalid(utf8_cases[i].s, utf8_cases[i].len);
        if (got != utf8_cases[i].bad)
            fail_msg("case %zu: got %zu, want %zu", i, got, utf8_cases[i].bad);
    }
}

/* The scanner, the unescaper and the UTF-8 check take 16 bytes at a time:
 * an escape, a quote, a control character or a bad byte at every position
 * around the 8- and 16-byte steps is found where a byte-by-byte reading
 * finds it. */
static void test_block_boundaries(void **state)
{
    static const struct { const char *esc, *dec; } escs[] = {
        { "\\n", "\n" }, { "\\\"", "\"" }, { "\\\\", "\\" }, { "\\/", "/" }, { "\\t", "\t" },
        { "\\u00e9", "\xC3\xA9" }, { "\\ud83d\\ude00", "\xF0\x9F\x98\x80" }, { "\\b", "\b" },
    };
    char raw[128], want[128], line[160];
    cli_buf b = CLI_BUF_INIT;
    cli_json_member m;
    cli_json_error je;

    (void)state;
    set_key(&m, "t");
    for (size_t pos = 0; pos < 40; pos++) {
        for (size_t e = 0; e < sizeof escs / sizeof escs[0]; e++) {
            size_t el = strlen(escs[e].esc), dl = strlen(escs[e].dec), tail = 41 - pos;
            raw[0] = '"';
            memset(raw + 1, 'a', pos);
            memcpy(raw + 1 + pos, escs[e].esc, el);
            memset(raw + 1 + pos + el, 'b', tail);
            raw[1 + pos + el + tail] = '"';
            size_t rl = pos + el + tail + 2;
            memset(want, 'a', pos);
            memcpy(want + pos, escs[e].dec, dl);
            memset(want + pos + dl, 'b', tail);
            assert_int_equal(cli_json_unescape(&b, raw, rl, NULL), 0);
            assert_int_equal(b.len, pos + dl + tail);
            assert_memory_equal(b.data, want, b.len);
            /* the same string as a member value: scanned to its end */
            int ll = snprintf(line, sizeof line, "{\"t\":%.*s,\"u\":1}", (int)rl, raw);
            assert_int_equal(cli_json_scan_object(line, (size_t)ll, &m, 1, &je), 0);
            assert_int_equal(m.off, 5);
            assert_int_equal(m.len, rl);
        }
        /* a raw control character, an invalid escape: the error's column */
        static const char *const bad[] = { "\x01", "\x1f", "\\x", "\\u12g4" };
        for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
            int ll = snprintf(line, sizeof line, "{\"t\":\"%.*s%s%s\"}", (int)pos,
                              "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", bad[k],
                              "bbbbbbbbbbbbbbbbbbbbbbbb");
            assert_int_equal(cli_json_scan_object(line, (size_t)ll, &m, 1, &je), -1);
            assert_int_equal(je.column, 6 + pos + 1);
        }
        /* the first bad UTF-8 byte at pos, after plain ASCII */
        memset(raw, 'x', sizeof raw);
        raw[pos] = (char)0xC3;
        raw[pos + 1] = '(';
        assert_int_equal(cli_utf8_find_invalid(raw, 80), pos);
        raw[pos + 1] = (char)0xA9; /* now valid: é */
        assert_int_equal(cli_utf8_find_invalid(raw, 80), 80);
    }
    cli_buf_free(&b);
}

/* ---- String writer ------------------------------------------------------- */

static void check_write_string(const char *s, size_t n, const char *want)
{
    size_t len;
    char *got = json_string(s, n, &len);

    if (len != strlen(want) || memcmp(got, want, len) != 0)
        fail_msg("wrote [%.*s], want [%s]", (int)len, got, want);
    free(got);
}

/* The string writer by its rules, one byte at a time: the reference for
 * the block writer. */
static size_t reference_string(const unsigned char *s, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    out[o++] = '"';
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c >= 0x80) { /* Unicode table 3-7; ill-formed: one \ufffd per maximal subpart */
            size_t need = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
                        : c >= 0xF0 && c <= 0xF4 ? 4 : 1, k = 1;
            unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
            unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
            for (; k < need && i + k < n && s[i + k] >= lo && s[i + k] <= hi; k++)
                lo = 0x80, hi = 0xBF;
            if (need > 1 && k == need) {
                memcpy(out + o, s + i, k);
                o += k;
            } else {
                memcpy(out + o, "\\ufffd", 6);
                o += 6;
            }
            i += k;
            continue;
        }
        const char *e = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\b' ? "\\b" : c == '\f' ? "\\f"
                      : c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
        if (e) {
            memcpy(out + o, e, 2);
            o += 2;
        } else if (c < 0x20) {
            memcpy(out + o, "\\u00", 4);
            out[o + 4] = hex[c >> 4];
            out[o + 5] = hex[c & 15];
            o += 6;
        } else {
            out[o++] = (char)c;
        }
        i++;
    }
    out[o++] = '"';
    return o;
}

/* Strings written 16 bytes at a time and gathered in a 2 KiB record: escapes
 * and UTF-8 at every position, strings longer than the record. */
static void test_write_string_blocks(void **state)
{
    static const char *const bits[] = { "a", "Z", " ", "\"", "\\", "\n", "\x01", "\x1f", "/",
                                        "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xFF",
                                        "\xC3", "\xE2\x82", "abcdefghijklmnopqrstu" };
    static char s[6000], want[6 * sizeof s + 2];
    uint64_t st = 7;
    (void)state;
    for (int round = 0; round < 400; round++) {
        size_t n = 0, target = round < 200 ? (size_t)round : 2000 + (size_t)round * 9;
        while (n < target) {
            st = st * 6364136223846793005ull + 1442695040888963407ull;
            const char *b = bits[(st >> 33) % (sizeof bits / sizeof bits[0])];
            size_t bl = strlen(b);
            if (n + bl > sizeof s) break;
            memcpy(s + n, b, bl);
            n += bl;
        }
        size_t wl = reference_string((const unsigned char *)s, n, want), len;
        char *got = json_string(s, n, &len);
        if (len != wl || memcmp(got, want, len) != 0)
            fail_msg("round %d: %zu bytes written, %zu expected", round, len, wl);
        free(got);
    }
}

static void test_write_string_escapes(void **state)
{
    (void)state;
    check_write_string("", 0, "\"\"");
    check_write_string("hello/world", 11, "\"hello/world\"");
    check_write_string("\"\\\b\f\n\r\t", 7, "\"\\\"\\\\\\b\\f\\n\\r\\t\"");
    check_write_string("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\x7f\"");
    check_write_string("a\0b", 3, "\"a\\u0000b\"");
    check_write_string("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", 14,
                       "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
}

static void test_write_string_invalid_utf8(void **state)
{
    (void)state;
    check_write_string("a\xFF" "b", 3, "\"a\\ufffdb\"");
    check_write_string("\xC3", 1, "\"\\ufffd\"");
    /* A truncated 3-byte sequence is one maximal subpart: one U+FFFD. */
    check_write_string("\xE2\x82x", 3, "\"\\ufffdx\"");
    /* An encoded surrogate is three bad bytes (ED is cut short by A0). */
    check_write_string("\xED\xA0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");
    check_write_string("\xC0\x80", 2, "\"\\ufffd\\ufffd\"");
    check_write_string("\xF4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
}

/* Random bytes: the output is always valid UTF-8 and valid JSON, and valid
 * UTF-8 input comes back unchanged through the scanner and unescaper. */
static void test_write_string_round_trip(void **state)
{
    static const char alphabet[] = "ab\"\\/\n\t\x01\x7f\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xFF\x80";
    cli_buf b = CLI_BUF_INIT;
    int iter;

    (void)state;
    for (iter = 0; iter < 2000; iter++) {
        char in[64], line[1024];
        size_t n = rng() % sizeof in, i, len;
        char *out;
        cli_json_member m;

        for (i = 0; i < n; i++)
            in[i] = iter % 2 ? (char)(rng() & 0xFF) : alphabet[rng() % (sizeof alphabet - 1)];
        out = json_string(in, n, &len);
        assert_int_equal(cli_utf8_find_invalid(out, len), len);
        assert_true(len + 9 < sizeof line);
        memcpy(line, "{\"k\":", 5);
        memcpy(line + 5, out, len);
        line[5 + len] = '}';
        set_key(&m, "k");
        assert_int_equal(cli_json_scan_object(line, len + 6, &m, 1, NULL), 0);
        assert_int_equal(m.type, CLI_JSON_STRING);
        assert_int_equal(m.len, len);
        assert_int_equal(cli_json_unescape(&b, line + m.off, m.len, NULL), 0);
        if (cli_utf8_find_invalid(in, n) == n) {
            assert_int_equal(b.len, n);
            assert_memory_equal(b.data, in, n);
        }
        free(out);
    }
    cli_buf_free(&b);
}

/* ---- Number writers ------------------------------------------------------ */

static void test_write_double_values(void **state)
{
    (void)state;
    check_double(0.5, 3, "0.500");
    check_double(1.0, 0, "1");
    check_double(0.0, 2, "0.00");
    check_double(2.5, 0, "3");   /* halves away from zero */
    check_double(-2.5, 0, "-3");
    check_double(0.125, 2, "0.13");
    check_double(-1.25, 1, "-1.3");
    check_double(0.1234567, 4, "0.1235");
    check_double(123456.789, 2, "123456.79");
    check_double(0.999, 2, "1.00");
    check_double(9.9996, 3, "10.000");
    check_double(0.05, 1, "0.1");
    check_double(1e-9, 9, "0.000000001");
    check_double(0.49999999999999994, 0, "0"); /* x + 0.5 would round this up */
    check_double(-0.001, 2, "0.00");           /* no "-0.00" */
    check_double(-0.0, 2, "0.00");
    check_double(-7.0, 1, "-7.0");
    check_double(NAN, 2, "null");
    check_double(INFINITY, 2, "null");
    check_double(-INFINITY, 0, "null");
    check_double(1.0, -3, "1");                     /* clamped to 0 */
    check_double(1.0, 40, "1.00000000000000000");   /* clamped to 17 */
    check_double(18446744073709549568.0, 1, "18446744073709549568.0"); /* largest < 2^64 */
    check_double(1e20, 2, "100000000000000000000.00");
    check_double(-1e20, 0, "-100000000000000000000");
    check_double(18446744073709551616.0, 0, "18446744073709551616");
}

/* Large values are integers: compare with printf("%.0f") in the C locale,
 * which glibc prints exactly. Small ones: the value must be within half a
 * unit of the last printed digit. */
static void test_write_double_against_printf(void **state)
{
    int i;

    (void)state;
    setlocale(LC_NUMERIC, "C");
    for (i = 0; i < 300; i++) {
        double big = times_pow2(1.0 + (rng() % 1000000) / 1e6, 64 + (int)(rng() % 950));
        char want[400], *got = json_double(big, 0);

        snprintf(want, sizeof want, "%.0f", big);
        assert_string_equal(got, want);
        free(got);
    }
    check_double(1.7976931348623157e308, 0,
                 "1797693134862315708145274237317043567980705675258449965989174768031572607800285"
                 "3876058955863276687817154045895351438246423432132688946418276846754670353751698"
                 "6049910576551282076245490090389328944075868508455133942304583236903222948165808"
                 "559332123348274797826204144723168738177180919299881250404026184124858368");
    for (i = 0; i < 5000; i++) {
        double v = ((double)rng() / 4294967296.0 - 0.5) * pow10_int((int)(rng() % 12));
        int d = (int)(rng() % 8);
        char *got = json_double(v, d);
        double back = strtod(got, NULL);

        assert_true(is_plain_decimal(got, d));
        if (absd(back - v) > 0.5 * pow10_int(-d) * (1 + 1e-9) + absd(v) * 1e-15)
            fail_msg("%.17g with %d decimals printed as %s", v, d, got);
        free(got);
    }
}

/* Whatever LC_NUMERIC says, the separator stays '.'. Locales with a comma
 * may not be installed here: then only the format is checked. */
static void test_write_double_locale(void **state)
{
    static const char *const locales[] = { "de_DE.UTF-8", "de_DE.utf8", "de_DE", "fr_FR.UTF-8",
                                           "fr_FR", "nl_NL.UTF-8", "ru_RU.UTF-8" };
    size_t i;
    int comma_locale = 0;

    (void)state;
    for (i = 0; i < sizeof locales / sizeof locales[0]; i++) {
        char probe[16], *got;

        if (setlocale(LC_NUMERIC, locales[i]) == NULL)
            continue;
        snprintf(probe, sizeof probe, "%.1f", 0.5);
        comma_locale |= strchr(probe, ',') != NULL;
        got = json_double(1234.5678, 2);
        assert_string_equal(got, "1234.57");
        free(got);
    }
    setlocale(LC_NUMERIC, "C");
    if (!comma_locale)
        print_message("    (no comma-decimal locale installed; checked the format only)\n");
    check_double(1234.5678, 2, "1234.57");
}

static void test_write_size(void **state)
{
    static const size_t values[] = { 0, 7, 10, 1234567890, (size_t)-1 };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof values / sizeof values[0]; i++) {
        char want[32], *got = capture(do_write_size, &values[i], NULL);

        snprintf(want, sizeof want, "%zu", values[i]);
        assert_string_equal(got, want);
        free(got);
    }
}

/* ---- Buffer ---------------------------------------------------------------- */

static void test_buf_reserve(void **state)
{
    cli_buf b = CLI_BUF_INIT;
    size_t i, grows = 0, last = 0;

    (void)state;
    for (i = 0; i < 100000; i++) {
        assert_int_equal(cli_buf_reserve(&b, 1), 0);
        if (b.cap != last)
            grows++;
        last = b.cap;
        b.data[b.len++] = 'x';
        assert_true(b.cap > b.len); /* room for a NUL */
    }
    assert_true(grows < 20); /* geometric, not linear */
    assert_int_equal(cli_buf_reserve(&b, (size_t)-1), -1);
    assert_int_equal(cli_buf_reserve(&b, (size_t)-1 - b.len), -1);
    assert_int_equal(b.len, 100000);
    assert_int_equal(b.cap, last); /* unchanged on failure */
    cli_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.cap, 0);
    cli_buf_free(&b); /* twice is fine */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_table),
        cmocka_unit_test(test_scan_explicit_length),
        cmocka_unit_test(test_scan_depth_limit),
        cmocka_unit_test(test_scan_members),
        cmocka_unit_test(test_scan_member_keys),
        cmocka_unit_test(test_unescape_table),
        cmocka_unit_test(test_unescape_invalid),
        cmocka_unit_test(test_unescape_scanned_value),
        cmocka_unit_test(test_utf8_find_invalid),
        cmocka_unit_test(test_block_boundaries),
        cmocka_unit_test(test_write_string_blocks),
        cmocka_unit_test(test_write_string_escapes),
        cmocka_unit_test(test_write_string_invalid_utf8),
        cmocka_unit_test(test_write_string_round_trip),
        cmocka_unit_test(test_write_double_values),
        cmocka_unit_test(test_write_double_against_printf),
        cmocka_unit_test(test_write_double_locale),
        cmocka_unit_test(test_write_size),
        cmocka_unit_test(test_buf_reserve),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
