/*
 * libFuzzer target for the metadata parsers of JSONL lines (src/meta.c):
 * nd_url_host (the url field's host becomes the source) and nd_date_parse
 * (the date field, ISO 8601 or seconds).
 *
 * The whole input is given to both. Checked:
 *   - url: *out_len is set whatever the capacity; a capacity one short
 *     gives ND_E_BUFFER and writes nothing; the host is lowercase, holds no
 *     '/', '?', '#' or '@', does not end with '.', and is a piece of the
 *     URL; "http://" + host gives the host again (when it does not itself
 *     start with "www." or '[' or hold a ':': the host is not validated,
 *     so "//www.[x]y" gives "[x]y", which reads back as an IPv6 "[x]");
 *   - date: surrounding blanks change nothing; a date between years 1 and
 *     9999 written back as "YYYY-MM-DDTHH:MM:SSZ" parses to the same
 *     second.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "neardup.h"

#define CHECK(x) do { if (!(x)) { fprintf(stderr, "check failed: %s\n", #x); abort(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_host(const char *url, size_t size, const char *h, size_t n)
{
    CHECK(n > 0 && n <= size && h[n - 1] != '.');
    int found = 0;
    for (size_t i = 0; i + n <= size && !found; i++) found = strncasecmp(url + i, h, n) == 0;
    CHECK(found || memchr(h, '\0', n) != NULL); /* strncasecmp stops at a NUL */
    for (size_t i = 0; i < n; i++)
        CHECK(!(h[i] >= 'A' && h[i] <= 'Z') && h[i] != '/' && h[i] != '?' && h[i] != '#' && h[i] != '@');
}

static void check_url(const char *url, size_t size)
{
    size_t n = 12345;
    int rc = nd_url_host(url, size, NULL, 0, &n);
    CHECK(rc == ND_E_INVALID || rc == ND_E_BUFFER);
    if (rc == ND_E_INVALID) return;
    char *h = malloc(n + 1), *again = malloc(n + 8);
    CHECK(h && again);
    memset(h, 0x55, n + 1);
    size_t m;
    CHECK(nd_url_host(url, size, h, n - 1, &m) == ND_E_BUFFER && m == n);
    for (size_t i = 0; i <= n; i++) CHECK((unsigned char)h[i] == 0x55);
    CHECK(nd_url_host(url, size, h, n, &m) == ND_OK && m == n && (unsigned char)h[n] == 0x55);
    check_host(url, size, h, n);
    if (!(n >= 4 && strncmp(h, "www.", 4) == 0) && !memchr(h, ':', n) && h[0] != '[') {
        char *u = malloc(n + 7);
        CHECK(u != NULL);
        memcpy(u, "http://", 7);
        memcpy(u + 7, h, n);
        CHECK(nd_url_host(u, n + 7, again, n + 8, &m) == ND_OK && m == n && memcmp(again, h, n) == 0);
        free(u);
    }
    free(h);
    free(again);
}

static void check_date(const char *text, size_t size)
{
    int64_t t, t2;
    if (nd_date_parse(text, size, &t) != ND_OK) return;
    char *pad = malloc(size + 4);
    CHECK(pad != NULL);
    memcpy(pad, " \t", 2);
    memcpy(pad + 2, text, size);
    memcpy(pad + 2 + size, "\t ", 2);
    CHECK(nd_date_parse(pad, size + 4, &t2) == ND_OK && t2 == t);
    free(pad);
    /* years 1..9999: -62135596800 .. 253402300799 */
    if (t < INT64_C(-62135596800) || t > INT64_C(253402300799)) return;
    time_t tt = (time_t)t;
    struct tm tm;
    char buf[64];
    CHECK(gmtime_r(&tt, &tm) != NULL);
    int len = snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                       tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (nd_date_parse(buf, (size_t)len, &t2) != ND_OK || t2 != t) {
        fprintf(stderr, "%lld written as %s reads back as %lld\n", (long long)t, buf, (long long)t2);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_url((const char *)data, size);
    check_date((const char *)data, size);
    return 0;
}
