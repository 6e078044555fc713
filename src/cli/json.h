/*
 * CLI JSON helpers: a validating scanner for one JSONL line, string
 * unescaping, UTF-8 checking and locale-independent writers.
 *
 * The scanner does not build a tree. It validates the whole line against
 * RFC 8259 without recursion (an explicit stack bounded by
 * CLI_JSON_MAX_DEPTH) and reports where the values of a few wanted top-level
 * members sit in the line, so that callers can decode only what they need
 * and can rewrite a line by splicing one value:
 *
 *     {"id": 7, "text": "caf\u00e9", "meta": {"a": [1, 2]}}
 *                       ^-----------^
 *                       off, len of the "text" member (quotes included)
 *
 * Nothing here prints except the writers, to the FILE * they are given.
 */
#ifndef ND_CLI_JSON_H
#define ND_CLI_JSON_H

#include <stddef.h>
#include <stdio.h>

/* printf-style checking of a CLI function's format (arguments f, a). */
#if defined(__GNUC__)
#define CLI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CLI_PRINTF(f, a)
#endif

/* ---- Growable byte buffer ------------------------------------------------ */

/* A heap buffer that grows geometrically. `data` always has room for a NUL
 * after `len` bytes once anything was reserved, so text stored in it can be
 * NUL-terminated without another allocation. CLI_BUF_INIT is the empty
 * buffer; cli_buf_free() releases it and leaves it empty again. */
typedef struct cli_buf {
    char *data;
    size_t len;
    size_t cap;
} cli_buf;

#define CLI_BUF_INIT { NULL, 0, 0 }

/* Makes room for `extra` more bytes after `len`, plus a terminating NUL.
 * Growth at least doubles the capacity, so appending N bytes piecewise costs
 * O(N). Pointers into `data` are invalidated when it grows.
 * @return 0, or -1 when out of memory (or the size overflows); the buffer is
 * then unchanged. */
int cli_buf_reserve(cli_buf *b, size_t extra);

void cli_buf_free(cli_buf *b);

/* ---- Scanner ------------------------------------------------------------- */

/* Maximum nesting of arrays and objects, the top-level object included.
 * Deeper input is rejected ("nesting too deep") rather than risking an
 * unbounded stack. */
#define CLI_JSON_MAX_DEPTH 256

/* Value types reported for members. */
enum {
    CLI_JSON_ABSENT = 0, /* the member is not in the object */
    CLI_JSON_STRING,
    CLI_JSON_NUMBER,
    CLI_JSON_OBJECT,
    CLI_JSON_ARRAY,
    CLI_JSON_BOOL,
    CLI_JSON_NULL
};

/* One wanted top-level member. The caller sets `key`/`key_len` (the key as
 * unescaped UTF-8, so "text" also matches "\u0074ext"); the scanner fills the
 * rest. When a key occurs more than once the last occurrence wins, as in most
 * JSON parsers. */
typedef struct cli_json_member {
    const char *key;
    size_t key_len;
    int type;    /* CLI_JSON_*; CLI_JSON_ABSENT when not found */
    size_t off;  /* value's first byte in the line */
    size_t len;  /* value's length; a string includes its quotes */
} cli_json_member;

/* Why and where a line was rejected. `reason` is a static English phrase such
 * as "expected ',' or '}'"; `column` is the 1-based byte column of the
 * offending byte (len + 1 when the line ended too early). */
typedef struct cli_json_error {
    const char *reason;
    size_t column;
} cli_json_error;

/* Validates that s[0..len) is exactly one JSON object, optionally surrounded
 * by whitespace, and locates the wanted members (see cli_json_member).
 * Strings may hold any byte >= 0x20 other than an unescaped '"' or '\\':
 * invalid UTF-8 is left for the caller to judge (see cli_utf8_find_invalid).
 * `members` may be NULL when `count` is 0; `err` may be NULL.
 * @return 0 when valid, -1 when not (then *err says why; members are
 * undefined). */
int cli_json_scan_object(const char *s, size_t len, cli_json_member *members, size_t count,
                         cli_json_error *err);

/* ---- Strings ------------------------------------------------------------- */

/* Decodes the JSON string value raw[0..len), quotes included (as located by
 * cli_json_scan_object), into UTF-8 in `out`, replacing its contents and
 * NUL-terminating it. "\u0000" becomes a NUL byte inside the text; an
 * unpaired UTF-16 surrogate escape becomes U+FFFD and is counted in
 * *out_replaced (may be NULL); raw bytes, even invalid UTF-8, are copied
 * unchanged so nothing is lost.
 * @return 0, or -1 when out of memory or when raw is not a valid JSON string
 * (out->len is then 0). */
int cli_json_unescape(cli_buf *out, const char *raw, size_t len, size_t *out_replaced);

/* @return the offset of the first byte of s[0..len) that does not start a
 * well-formed UTF-8 sequence (overlong forms, surrogates and code points
 * above U+10FFFF are ill-formed), or `len` when all of it is valid. */
size_t cli_utf8_find_invalid(const char *s, size_t len);

/* ---- Writers ------------------------------------------------------------- */

/* Writes s[0..len) as a quoted JSON string that is always valid UTF-8:
 * '"' and '\\' are escaped, control characters are written as \b \f \n \r \t
 * or \u00XX (NUL included), each ill-formed UTF-8 sequence (maximal subpart,
 * as Unicode recommends) as \ufffd, and '/' is left alone.
 * @return 0, or -1 when the stream reports an error. */
int cli_json_write_string(FILE *f, const char *s, size_t len);

/* Writes v with exactly `decimals` digits after a '.' (clamped to 0..17),
 * rounded half away from zero, whatever the C locale says: the digits are
 * produced with integer arithmetic, never by printf's "%f". NaN and
 * infinities, which JSON cannot represent, are written as `null`; a value
 * that rounds to zero is written without a minus sign.
 * @return 0, or -1 when the stream reports an error. */
int cli_json_write_double(FILE *f, double v, int decimals);

/* Writes v in decimal. @return 0, or -1 when the stream reports an error. */
int cli_json_write_size(FILE *f, size_t v);

/* A record being written: bytes gather in buf and go to the stream in one
 * fwrite() when it fills up and at cli_out_end(), instead of a locked stdio
 * call for every field (a scan writes about 15 fields per paragraph). */
typedef struct cli_out {
    FILE *f;
    size_t len;
    char buf[2048];
} cli_out;

void cli_out_init(cli_out *o, FILE *f);
void cli_out_bytes(cli_out *o, const char *s, size_t n);
void cli_out_str(cli_out *o, const char *s); /* a NUL-terminated string, verbatim */
/* The cli_json_write_* formats, into o. */
void cli_out_json_string(cli_out *o, const char *s, size_t len);
void cli_out_double(cli_out *o, double v, int decimals);
void cli_out_size(cli_out *o, size_t v);
/* Writes what is gathered. @return 0, or -1 when the stream reports an error. */
int cli_out_end(cli_out *o);

#endif
