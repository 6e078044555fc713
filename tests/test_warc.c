/* Unit tests of the WARC reader (src/cli/warc.c, warc_doc.c): record
 * headers, HTTP responses, codings, and records read from files. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "warc.h"

static int str_is(cli_str s, const char *lit)
{
    return s.p && s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

/* ---- record headers ---- */

static void test_header_fields(void **state)
{
    const char *h = "WARC/1.1\r\nWARC-Type: response\r\nwarc-target-uri: <http://a.example/x>\r\n"
                    "WARC-Record-ID: <urn:uuid:1>\r\nWARC-Date: 2024-03-01T08:00:00Z\r\n"
                    "WARC-Concurrent-To: <urn:uuid:0>\r\nWARC-Concurrent-To: <urn:uuid:9>\r\n"
                    "Content-Type: application/http;\r\n msgtype=response\r\nContent-Length: 42\r\n";
    cli_warc_header out;
    char why[160];
    (void)state;
    assert_int_equal(cli_warc_parse_header(h, strlen(h), &out, why, sizeof why), 0);
    assert_int_equal(out.type, CLI_WARC_RESPONSE);
    assert_true(str_is(out.target_uri, "http://a.example/x")); /* brackets dropped */
    assert_true(str_is(out.record_id, "<urn:uuid:1>"));
    assert_true(str_is(out.date, "2024-03-01T08:00:00Z"));
    assert_int_equal(out.nconcurrent, 2);
    assert_true(str_is(out.concurrent_to[1], "<urn:uuid:9>"));
    assert_true(str_is(out.content_type, "application/http;\r\n msgtype=response")); /* folded */
    assert_int_equal(out.content_length, 42);
}

static void test_header_errors(void **state)
{
    static const struct { const char *h, *why; } bad[] = {
        { "WARC/1.0\r\nWARC-Type: response\r\nWARC-Date 2024-03-01T08:00:00Z\r\nContent-Length: 1\r\n", "bad header line 2" },
        { "WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 12a\r\n", "bad Content-Length" },
        { "WARC/1.0\r\nWARC-Type: response\r\n", "no Content-Length" },
        { "WARC/1.0\r\nContent-Length: 3\r\n", "no WARC-Type" },
        { "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n", "no \"WARC/1.x\"" },
        { "WARC/1.0\r\n: x\r\nWARC-Type: response\r\nContent-Length: 3\r\n", "bad header line 1" },
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cli_warc_header out;
        char why[160] = "";
        assert_int_equal(cli_warc_parse_header(bad[i].h, strlen(bad[i].h), &out, why, sizeof why), -1);
        assert_non_null(strstr(why, bad[i].why));
    }
}

/* ---- HTTP ---- */

static void test_http_parse(void **state)
{
    const char *r = "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=\"ISO-8859-1\"\r\n"
                    "Transfer-Encoding: gzip, chunked\r\nContent-Encoding: x-gzip\r\n\r\nBODY";
    const char *lf = "HTTP/1.0 404 Not Found\nContent-Encoding: br\n\nx";
    cli_http h;
    (void)state;
    assert_int_equal(cli_http_parse(r, strlen(r), &h), 0);
    assert_int_equal(h.status, 200);
    assert_true(str_is(h.media_type, "text/html"));
    assert_true(str_is(h.charset, "ISO-8859-1"));
    assert_true(h.chunked);
    assert_int_equal(h.encoding, CLI_HTTP_GZIP);
    assert_string_equal(r + h.body, "BODY");
    assert_int_equal(cli_http_parse(lf, strlen(lf), &h), 0);
    assert_int_equal(h.status, 404);
    assert_null(h.media_type.p);
    assert_int_equal(h.encoding, CLI_HTTP_OTHER);
    assert_true(str_is(h.encoding_name, "br"));
    assert_string_equal(lf + h.body, "x");
    assert_int_equal(cli_http_parse("GET / HTTP/1.1\r\n\r\n", 18, &h), -1);
    assert_int_equal(cli_http_parse("HTTP/1.1 2x0 OK\r\n\r\n", 19, &h), -1);
}

static void test_dechunk(void **state)
{
    const char *ok = "5;ext=1\r\nHello\r\n7\r\n, world\r\n0\r\nTrailer: x\r\n\r\n";
    const char *bare = "3\nabc\n0\n\n";
    cli_buf out = CLI_BUF_INIT;
    (void)state;
    assert_int_equal(cli_http_dechunk(ok, strlen(ok), &out, 100), 0);
    assert_int_equal(out.len, 12);
    assert_memory_equal(out.data, "Hello, world", 12);
    assert_int_equal(cli_http_dechunk(bare, strlen(bare), &out, 100), 0);
    assert_memory_equal(out.data, "abc", 3);
    assert_int_equal(cli_http_dechunk(ok, strlen(ok), &out, 11), -2);      /* over max */
    assert_int_equal(cli_http_dechunk("5\r\nHel", 6, &out, 100), -1);        /* cut short */
    assert_int_equal(cli_http_dechunk("5\r\nHelloX\r\n0\r\n\r\n", 16, &out, 100), -1); /* size wrong */
    assert_int_equal(cli_http_dechunk("zz\r\n", 4, &out, 100), -1);
    assert_int_equal(cli_http_dechunk("", 0, &out, 100), -1);
    cli_buf_free(&out);
}

/* Compresses s with zlib's deflate: gzip (wbits 31), zlib (15) or raw (-15). */
static size_t squeeze(const char *s, unsigned char *out, size_t cap, int wbits)
{
    z_stream zs;
    size_t n;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (unsigned char *)(uintptr_t)s;
    zs.avail_in = (uInt)strlen(s);
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    n = cap - zs.avail_out;
    deflateEnd(&zs);
    return n;
}

static void test_decode(void **state)
{
    const char *text = "<html><body><p>Le marché</p></body></html>";
    unsigned char z[256];
    cli_buf out = CLI_BUF_INIT;
    size_t n;
    int wb[3] = { 31, 15, -15 }, k;
    (void)state;
    for (k = 0; k < 3; k++) {
        n = squeeze(text, z, sizeof z, wb[k]);
        assert_int_equal(cli_http_decode((char *)z, n, k == 0 ? CLI_HTTP_GZIP : CLI_HTTP_DEFLATE, &out, 1000), 0);
        assert_int_equal(out.len, strlen(text));
        assert_memory_equal(out.data, text, out.len);
        assert_int_equal(cli_http_decode((char *)z, n - 3, k == 0 ? CLI_HTTP_GZIP : CLI_HTTP_DEFLATE, &out, 1000), -1);
    }
    n = squeeze(text, z, sizeof z, 31);
    assert_int_equal(cli_http_decode((char *)z, n, CLI_HTTP_GZIP, &out, 10), -2);
    assert_int_equal(cli_http_decode("not gzip", 8, CLI_HTTP_GZIP, &out, 1000), -1);
    cli_buf_free(&out);
}

static void test_is_html(void **state)
{
    cli_http h;
    (void)state;
    memset(&h, 0, sizeof h);
    assert_true(cli_http_is_html(&h, "\xEF\xBB\xBF  <!DOCTYPE HTML><p>", 21));
    assert_true(cli_http_is_html(&h, "<!-- x --> <html lang=en>", 25));
    assert_true(cli_http_is_html(&h, "\n<body>", 7));
    assert_false(cli_http_is_html(&h, "<htmlx>", 7));
    assert_false(cli_http_is_html(&h, "%PDF-1.4", 8));
    assert_false(cli_http_is_html(&h, "<!-- never closed <html>", 24));
    h.media_type.p = "Application/XHTML+XML";
    h.media_type.n = strlen(h.media_type.p);
    assert_true(cli_http_is_html(&h, "%PDF", 4));
    h.media_type.p = "text/plain";
    h.media_type.n = 10;
    assert_false(cli_http_is_html(&h, "<html>", 6));
}

/* ---- records from files ---- */

static FILE *temp_with(const void *data, size_t n)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fflush(f);
    return f;
}

static size_t rec(char *out, const char *type, const char *uri, const char *block, long delta)
{
    return (size_t)sprintf(out, "WARC/1.0\r\nWARC-Type: %s\r\nWARC-Target-URI: %s\r\nContent-Length: %ld\r\n\r\n%s\r\n\r\n",
                           type, uri, (long)strlen(block) + delta, block);
}

/* A plain file: a good record, one whose Content-Length is 3 short, junk,
 * and a good record after blank lines; then the end cut inside a record. */
static void test_plain_records(void **state)
{
    char buf[2048];
    size_t n = 0, first, second;
    FILE *f;
    cli_warc *w;
    cli_warc_record r;
    int gz;
    (void)state;
    n += rec(buf + n, "conversion", "http://a/1", "one", 0);
    first = n;
    n += rec(buf + n, "conversion", "http://a/2", "two two", -3);
    n += (size_t)sprintf(buf + n, "garbage\r\n\r\n");
    second = n;
    n += rec(buf + n, "resource", "http://a/3", "three", 0);
    n += (size_t)sprintf(buf + n, "WARC/1.0\r\nWARC-Type: conversion\r\nContent-Length: 99\r\n\r\nshort");
    f = temp_with(buf, n);
    assert_int_equal(cli_warc_sniff(fileno(f), &gz), 1);
    assert_int_equal(gz, 0);
    assert_non_null(w = cli_warc_open(fileno(f), 0));
    assert_int_equal(lseek(fileno(f), 0, SEEK_SET), 0);
    assert_int_equal(cli_warc_next(w, &r), CLI_WARC_RECORD);
    assert_int_equal(r.offset, 0);
    assert_int_equal(r.unit_end, first);
    assert_memory_equal(r.block, "one", 3);
    assert_int_equal(cli_warc_next(w, &r), CLI_WARC_BAD);
    assert_int_equal(cli_warc_bad_offset(w), first);
    assert_non_null(strstr(cli_warc_message(w), "wrong Content-Length"));
    assert_int_equal(cli_warc_next(w, &r), CLI_WARC_RECORD);
    assert_int_equal(r.offset, second);
    assert_int_equal(r.h.type, CLI_WARC_RESOURCE);
    assert_int_equal(cli_warc_next(w, &r), CLI_WARC_BAD);
    assert_non_null(strstr(cli_warc_message(w), "cut short"));
    assert_int_equal(cli_warc_next(w, &r), CLI_WARC_EOF);
    cli_warc_close(w);
    fclose(f);
}

static size_t gz_member(const char *s, size_t len, unsigned char *out, size_t cap)
{
    z_stream zs;
    size_t n;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (unsigned char *)(uintptr_t)s;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    n = cap - zs.avail_out;
    deflateEnd(&zs);
    return n;
}

/* Gzip members: two records in one member, a member with a bad record, a
 * corrupt member, junk, a good member, a member cut short. */
static void test_gzip_records(void **state)
{
    char r[1024];
    unsigned char *file = malloc(8192);
    size_t n = 0, m, off[6], k;
    FILE *f;
    cli_warc *w;
    cli_warc_record rc;
    int gz;
    (void)state;
    k = rec(r, "conversion", "http://a/1", "one", 0);
    k += rec(r + k, "conversion", "http://a/2", "two", 0);
    off[0] = n, n += gz_member(r, k, file + n, 8192 - n);
    k = rec(r, "conversion", "http://a/3", "three", 2);
    off[1] = n, n += gz_member(r, k, file + n, 8192 - n);
    k = rec(r, "conversion", "http://a/4", "four", 0);
    off[2] = n, m = gz_member(r, k, file + n, 8192 - n);
    file[n + m / 2] ^= 0x55; /* corrupt deflate data */
    n += m;
    memcpy(file + n, "junk", 4), n += 4;
    k = rec(r, "conversion", "http://a/5", "five", 0);
    off[3] = n, n += gz_member(r, k, file + n, 8192 - n);
    k = rec(r, "conversion", "http://a/6", "six", 0);
    off[4] = n, n += gz_member(r, k, file + n, 8192 - n) - 6;
    f = temp_with(file, n);
    assert_int_equal(cli_warc_sniff(fileno(f), &gz), 1);
    assert_int_equal(gz, 1);
    assert_int_equal(lseek(fileno(f), 0, SEEK_SET), 0);
    assert_non_null(w = cli_warc_open(fileno(f), 1));
    assert_int_equal(cli_warc_next(w, &rc), CLI_WARC_RECORD);
    assert_int_equal(rc.offset, off[0]);
    assert_int_equal(rc.unit_end, 0); /* another record follows in the member */
    assert_int_equal(cli_warc_next(w, &rc), CLI_WARC_RECORD);
    assert_true(str_is(rc.h.target_uri, "http://a/2"));
    assert_int_equal(rc.offset, off[0]);
    assert_int_equal(rc.unit_end, off[1]);
    assert_int_equal(cli_warc_next(w, &rc), CLI_WARC_BAD);
    assert_int_equal(cli_warc_bad_offset(w), off[1]);
    assert_int_equal(cli_warc_next(w, &rc), CLI_WARC_BAD);
    assert_int_equal(cli_warc_bad_offset(w), off[2]);
    assert_non_null(strstr(cli_warc_message(w), "gzip"));
    assert_int_equal(cli_warc_next(w, &rc), CLI_WARC_RECORD); /* junk skipped with the damage */
    assert_int_equal(rc.offset, off[3]);
    assert_true(str_is(rc.h.target_uri, "http://a/5"));
    assert_int_equal(rc.unit_start, off[3]);
    assert_int_equal(rc.unit_end, off[4]);
    assert_int_equal(cli_warc_next(w, &rc), CLI_WARC_BAD);
    assert_int_equal(cli_warc_bad_offset(w), off[4]);
    assert_non_null(strstr(cli_warc_message(w), "cut short"));
    assert_int_equal(cli_warc_next(w, &rc), CLI_WARC_EOF);
    cli_warc_close(w);
    fclose(f);
    free(file);
}

/* A block over the cap is read through, reported as oversize, and the next
 * record is still read. */
static void test_oversize(void **state)
{
    size_t big = CLI_WARC_MAX_BLOCK + 10, n;
    char *buf = malloc(big + 512);
    FILE *f;
    cli_warc *w;
    cli_warc_record r;
    (void)state;
    n = (size_t)sprintf(buf, "WARC/1.0\r\nWARC-Type: conversion\r\nContent-Length: %zu\r\n\r\n", big);
    memset(buf + n, 'x', big);
    n += big;
    memcpy(buf + n, "\r\n\r\n", 4);
    n += 4;
    n += rec(buf + n, "conversion", "http://a/2", "two", 0);
    f = temp_with(buf, n);
    assert_int_equal(lseek(fileno(f), 0, SEEK_SET), 0);
    assert_non_null(w = cli_warc_open(fileno(f), 0));
    assert_int_equal(cli_warc_next(w, &r), CLI_WARC_RECORD);
    assert_true(r.oversize);
    assert_null(r.block);
    assert_int_equal(r.h.content_length, big);
    assert_int_equal(cli_warc_next(w, &r), CLI_WARC_RECORD);
    assert_true(str_is(r.h.target_uri, "http://a/2"));
    assert_memory_equal(r.block, "two", 3);
    assert_int_equal(cli_warc_next(w, &r), CLI_WARC_EOF);
    cli_warc_close(w);
    fclose(f);
    free(buf);
}

/* A record whose header is read before its block crosses into the next
 * read: the window is compacted under the parsed header, whose fields must
 * still name the header's bytes (they named stale bytes once). */
static void test_block_straddles_reads(void **state)
{
    size_t first = ((size_t)256 << 10) - 120, n, head;
    size_t big = 300000; /* the second block outgrows the window: it moves */
    char *buf = malloc(first + big + 4096), *block = malloc(big + 1);
    FILE *f;
    cli_warc *w;
    cli_warc_record r;
    (void)state;
    head = (size_t)sprintf(buf, "WARC/1.0\r\nWARC-Type: resource\r\nContent-Length: %06zu\r\n\r\n", (size_t)0);
    head = (size_t)sprintf(buf, "WARC/1.0\r\nWARC-Type: resource\r\nContent-Length: %06zu\r\n\r\n", first - head - 4);
    memset(buf + head, 'x', first - head - 4);
    memcpy(buf + first - 4, "\r\n\r\n", 4);
    n = first;
    memset(block, 'y', big);
    block[big] = '\0';
    n += rec(buf + n, "conversion", "http://straddle.example/page", block, 0);
    f = temp_with(buf, n);
    assert_int_equal(lseek(fileno(f), 0, SEEK_SET), 0);
    assert_non_null(w = cli_warc_open(fileno(f), 0));
    assert_int_equal(cli_warc_next(w, &r), CLI_WARC_RECORD);
    assert_int_equal(r.unit_end, first);
    assert_int_equal(cli_warc_next(w, &r), CLI_WARC_RECORD);
    assert_int_equal(r.offset, first);
    assert_int_equal(r.h.type, CLI_WARC_CONVERSION);
    assert_true(str_is(r.h.target_uri, "http://straddle.example/page"));
    assert_int_equal(r.block_len, big);
    assert_int_equal(r.block[0], 'y');
    assert_int_equal(cli_warc_next(w, &r), CLI_WARC_EOF);
    cli_warc_close(w);
    fclose(f);
    free(buf);
    free(block);
}

static void test_sniff(void **state)
{
    unsigned char z[256];
    const char *text = "WARC/1.1\r\n";
    size_t n = gz_member("just text, not a crawl", 23, z, sizeof z);
    FILE *f;
    int gz;
    (void)state;
    f = temp_with(z, n);
    assert_int_equal(cli_warc_sniff(fileno(f), &gz), 0); /* gzip, but not WARC inside */
    fclose(f);
    f = temp_with("WARC/2.0\r\n", 10);
    assert_int_equal(cli_warc_sniff(fileno(f), &gz), 0);
    fclose(f);
    n = gz_member(text, strlen(text), z, sizeof z);
    f = temp_with(z, n);
    assert_int_equal(cli_warc_sniff(fileno(f), &gz), 1);
    assert_int_equal(gz, 1);
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_fields), cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_http_parse),    cmocka_unit_test(test_dechunk),
        cmocka_unit_test(test_decode),        cmocka_unit_test(test_is_html),
        cmocka_unit_test(test_plain_records), cmocka_unit_test(test_gzip_records),
        cmocka_unit_test(test_oversize),      cmocka_unit_test(test_sniff),
        cmocka_unit_test(test_block_straddles_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
