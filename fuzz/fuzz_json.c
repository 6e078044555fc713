/*
 * libFuzzer target for the CLI's JSON helpers (src/cli/json.c): the JSONL
 * line scanner, string unescaping, the UTF-8 checker and the writers.
 *
 * Every input goes through all of them, and the results are held to what
 * json.h promises:
 *   - scanner: accepts exactly what a recursive validator written here from
 *     RFC 8259's grammar accepts (with the scanner's depth limit); a member
 *     it reports lies inside the line and has the bytes
 *     of its type (a string unescapes, a number is all of what strtod reads,
 *     a container wrapped as {"k": VALUE} scans again with the same span);
 *     white space around the object changes nothing; an error has a reason
 *     and a column inside the line (or just past it);
 *   - cli_utf8_find_invalid agrees with a plain decoder written here from
 *     Unicode's table 3-7;
 *   - cli_json_write_string always writes valid UTF-8 that scans as a JSON
 *     string and unescapes back to the input when the input was valid UTF-8;
 *   - cli_json_write_double (first 8 input bytes as a double, the 9th as the
 *     decimals) writes "null" or a JSON number with exactly that many
 *     decimals, never "-0", that reads back within half a unit of its last
 *     place.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"

#define CHECK(x) do { if (!(x)) { fprintf(stderr, "check failed: %s\n", #x); abort(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Offset of the first ill-formed sequence, decoding each sequence fully and
 * judging the code point (not the byte ranges json.c uses). */
static size_t ref_find_invalid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (len == 0 || len > n - i) return i;
        unsigned long cp = len == 1 ? c : c & (0x7F >> len);
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return i;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        static const unsigned long min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
        if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
        i += len;
    }
    return n;
}

/* ---- A reference validator: RFC 8259, recursive, written from the grammar
 * (not from json.c), with the scanner's rules on top: the text is one
 * object, strings may hold any byte >= 0x20, nesting at most
 * CLI_JSON_MAX_DEPTH with the top-level object counted. */
typedef struct ref {
    const unsigned char *s;
    size_t n, i, depth;
} ref;

static int ref_value(ref *r);

static void ref_ws(ref *r)
{
    while (r->i < r->n && (r->s[r->i] == ' ' || r->s[r->i] == '\t' || r->s[r->i] == '\n' || r->s[r->i] == '\r'))
        r->i++;
}

static int ref_is(ref *r, unsigned char c) { return r->i < r->n && r->s[r->i] == c; }

static int ref_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int ref_string(ref *r)
{
    if (!ref_is(r, '"')) return 0;
    for (r->i++; r->i < r->n;) {
        unsigned char c = r->s[r->i];
        if (c == '"') { r->i++; return 1; }
        if (c < 0x20) return 0;
        if (c != '\\') { r->i++; continue; }
        if (r->i + 1 >= r->n) return 0;
        unsigned char e = r->s[r->i + 1];
        if (e == 'u') {
            if (r->n - r->i < 6) return 0;
            for (int k = 2; k < 6; k++) if (!ref_hex(r->s[r->i + k])) return 0;
            r->i += 6;
        } else if (e && strchr("\"\\/bfnrt", e)) {
            r->i += 2;
        } else {
            return 0;
        }
    }
    return 0;
}

static int ref_digits(ref *r)
{
    size_t from = r->i;
    while (r->i < r->n && r->s[r->i] >= '0' && r->s[r->i] <= '9') r->i++;
    return r->i > from;
}

static int ref_number(ref *r)
{
    if (ref_is(r, '-')) r->i++;
    if (ref_is(r, '0')) r->i++;
    else if (!(r->i < r->n && r->s[r->i] >= '1' && r->s[r->i] <= '9') || !ref_digits(r)) return 0;
    if (ref_is(r, '.')) { r->i++; if (!ref_digits(r)) return 0; }
    if (ref_is(r, 'e') || ref_is(r, 'E')) {
        r->i++;
        if (ref_is(r, '+') || ref_is(r, '-')) r->i++;
        if (!ref_digits(r)) return 0;
    }
    return 1;
}

static int ref_word(ref *r, const char *w)
{
    size_t k = strlen(w);
    if (r->n - r->i < k || memcmp(r->s + r->i, w, k) != 0) return 0;
    r->i += k;
    return 1;
}

/* '{' or '[' at r->i: members or elements up to the closing bracket. */
static int ref_container(ref *r)
{
    int object = r->s[r->i] == '{';
    if (++r->depth > CLI_JSON_MAX_DEPTH) return 0;
    r->i++;
    ref_ws(r);
    if (ref_is(r, object ? '}' : ']')) { r->i++; r->depth--; return 1; }
    for (;;) {
        if (object) {
            if (!ref_string(r)) return 0;
            ref_ws(r);
            if (!ref_is(r, ':')) return 0;
            r->i++;
        }
        if (!ref_value(r)) return 0;
        ref_ws(r);
        if (ref_is(r, ',')) { r->i++; ref_ws(r); continue; }
        if (!ref_is(r, object ? '}' : ']')) return 0;
        r->i++;
        r->depth--;
        return 1;
    }
}

static int ref_value(ref *r)
{
    ref_ws(r);
    if (r->i >= r->n) return 0;
    switch (r->s[r->i]) {
    case '{': case '[': return ref_container(r);
    case '"': return ref_string(r);
    case 't': return ref_word(r, "true");
    case 'f': return ref_word(r, "false");
    case 'n': return ref_word(r, "null");
    default: return ref_number(r);
    }
}

static int ref_valid(const char *s, size_t n)
{
    ref r = { (const unsigned char *)s, n, 0, 0 };
    ref_ws(&r);
    if (!ref_is(&r, '{') || !ref_container(&r)) return 0;
    ref_ws(&r);
    return r.i == n;
}

/* Runs a writer into memory. @return the bytes written (caller frees). */
typedef int (*writer_fn)(FILE *f, const void *arg);
static char *capture(writer_fn fn, const void *arg, size_t *len)
{
    char *out = NULL;
    FILE *f = open_memstream(&out, len);
    CHECK(f != NULL);
    CHECK(fn(f, arg) == 0);
    CHECK(fclose(f) == 0);
    return out;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Scans {"k":VALUE} and checks that member k is VALUE with `type`. */
static void check_wrapped(const char *value, size_t len, int type)
{
    char *obj = malloc(len + 7);
    CHECK(obj != NULL);
    memcpy(obj, "{\"k\":", 5);
    memcpy(obj + 5, value, len);
    obj[5 + len] = '}';
    cli_json_member m = { "k", 1, 0, 0, 0 };
    cli_json_error err;
    CHECK(cli_json_scan_object(obj, len + 6, &m, 1, &err) == 0);
    CHECK(m.type == type && m.off == 5 && m.len == len);
    free(obj);
}

static void check_member(const char *s, size_t n, const cli_json_member *m, cli_buf *tmp)
{
    if (m->type == CLI_JSON_ABSENT) return;
    CHECK(m->len > 0 && m->off < n && m->len <= n - m->off);
    const char *v = s + m->off, last = v[m->len - 1];
    switch (m->type) {
    case CLI_JSON_STRING: {
        size_t replaced;
        CHECK(v[0] == '"' && last == '"' && m->len >= 2);
        CHECK(cli_json_unescape(tmp, v, m->len, &replaced) == 0);
        CHECK(tmp->len <= m->len - 2 && tmp->data[tmp->len] == '\0');
        break;
    }
    case CLI_JSON_NUMBER: {
        char num[64], *end;
        CHECK(v[0] == '-' || is_digit(v[0]));
        CHECK(is_digit(last));
        if (m->len < sizeof num) {
            memcpy(num, v, m->len);
            num[m->len] = '\0';
            (void)strtod(num, &end);
            CHECK(end == num + m->len);
        }
        break;
    }
    case CLI_JSON_OBJECT: CHECK(v[0] == '{' && last == '}'); break;
    case CLI_JSON_ARRAY: CHECK(v[0] == '[' && last == ']'); break;
    case CLI_JSON_BOOL:
        CHECK((m->len == 4 && memcmp(v, "true", 4) == 0) || (m->len == 5 && memcmp(v, "false", 5) == 0));
        break;
    case CLI_JSON_NULL: CHECK(m->len == 4 && memcmp(v, "null", 4) == 0); break;
    default: CHECK(0);
    }
    check_wrapped(v, m->len, m->type);
}

#define NKEYS 5
static void init_members(cli_json_member *m)
{
    static const char *const keys[NKEYS] = { "id", "text", "source", "", "caf\xc3\xa9" };
    for (int k = 0; k < NKEYS; k++) {
        m[k].key = keys[k];
        m[k].key_len = strlen(keys[k]);
    }
}

static void check_scan(const char *s, size_t n)
{
    cli_json_member m[NKEYS], pm[NKEYS];
    cli_json_error err = { NULL, 0 }, perr = { NULL, 0 };
    cli_buf tmp = CLI_BUF_INIT;
    init_members(m);
    init_members(pm);
    int rc = cli_json_scan_object(s, n, m, NKEYS, &err);
    if ((rc == 0) != ref_valid(s, n)) {
        fprintf(stderr, "scanner says %s, the reference validator the opposite\n", rc == 0 ? "valid" : err.reason);
        abort();
    }
    if (rc == 0) {
        for (int k = 0; k < NKEYS; k++) check_member(s, n, &m[k], &tmp);
    } else {
        CHECK(rc == -1 && err.reason != NULL && err.reason[0] != '\0');
        CHECK(err.column >= 1 && err.column <= n + 1);
    }
    /* the same line padded with white space */
    char *pad = malloc(n + 3);
    CHECK(pad != NULL);
    pad[0] = ' ';
    pad[1] = '\t';
    memcpy(pad + 2, s, n);
    pad[n + 2] = '\n';
    CHECK(cli_json_scan_object(pad, n + 3, pm, NKEYS, &perr) == rc);
    for (int k = 0; rc == 0 && k < NKEYS; k++)
        CHECK(pm[k].type == m[k].type && pm[k].len == m[k].len &&
              (m[k].type == CLI_JSON_ABSENT || pm[k].off == m[k].off + 2));
    free(pad);
    cli_buf_free(&tmp);
}

typedef struct bytes {
    const char *s;
    size_t n;
} bytes;

static int write_string(FILE *f, const void *arg)
{
    const bytes *b = arg;
    return cli_json_write_string(f, b->s, b->n);
}

static void check_write_string(const char *s, size_t n)
{
    bytes in = { s, n };
    size_t len;
    char *out = capture(write_string, &in, &len);
    cli_buf back = CLI_BUF_INIT;
    size_t replaced;
    CHECK(cli_utf8_find_invalid(out, len) == len);
    check_wrapped(out, len, CLI_JSON_STRING);
    CHECK(cli_json_unescape(&back, out, len, &replaced) == 0 && replaced == 0);
    CHECK(cli_utf8_find_invalid(back.data, back.len) == back.len);
    if (cli_utf8_find_invalid(s, n) == n) CHECK(back.len == n && memcmp(back.data, s, n) == 0);
    cli_buf_free(&back);
    free(out);
}

typedef struct dbl {
    double v;
    int decimals;
} dbl;

static int write_double(FILE *f, const void *arg)
{
    const dbl *d = arg;
    return cli_json_write_double(f, d->v, d->decimals);
}

static void check_write_double(const uint8_t *data, size_t size)
{
    if (size < 9) return;
    dbl d;
    memcpy(&d.v, data, sizeof d.v);
    d.decimals = (int)(data[8] % 21) - 2;
    int dec = d.decimals < 0 ? 0 : d.decimals > 17 ? 17 : d.decimals;
    size_t len;
    char *out = capture(write_double, &d, &len);
    if (!isfinite(d.v)) {
        CHECK(len == 4 && memcmp(out, "null", 4) == 0);
        free(out);
        return;
    }
    size_t i = out[0] == '-', digits = 0, nonzero = 0;
    for (; i < len && is_digit(out[i]); i++, digits++) nonzero |= out[i] != '0';
    CHECK(digits > 0 && (digits == 1 || out[out[0] == '-'] != '0'));
    if (dec > 0) {
        CHECK(i < len && out[i] == '.');
        size_t frac = 0;
        for (i++; i < len && is_digit(out[i]); i++, frac++) nonzero |= out[i] != '0';
        CHECK(frac == (size_t)dec);
    }
    CHECK(i == len);
    CHECK(out[0] != '-' || nonzero);
    check_wrapped(out, len, CLI_JSON_NUMBER);
    double back = strtod(out, NULL);
    double tol = 0.5 * pow(10.0, -dec) + fabs(d.v) * 0x1p-50 + 1e-15;
    if (fabs(back - d.v) > tol) {
        fprintf(stderr, "%.17g written with %d decimals as %s\n", d.v, d.decimals, out);
        abort();
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    check_scan(s, size);
    CHECK(cli_utf8_find_invalid(s, size) == ref_find_invalid(data, size));
    check_write_string(s, size);
    check_write_double(data, size);
    /* the raw input as a string value: unescaping never overruns */
    cli_buf out = CLI_BUF_INIT;
    if (cli_json_unescape(&out, s, size, NULL) == 0) CHECK(out.len + 2 <= size);
    cli_buf_free(&out);
    return 0;
}
