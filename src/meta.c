/*
 * What a document's metadata tells the detection: the site a URL names and
 * the date it was published. Shared by every front end (CLI, bindings), so
 * that they read sources and dates the same way.
 *
 * The site a URL names, for documents that carry a URL but no source: its
 * host, lowercased, without a leading "www." (RFC 3986 authority: after
 * "scheme://", before the first '/', '?' or '#'; userinfo and port left
 * out). The registrable domain (libpsl) would also merge "news.bbc.co.uk"
 * with "www.bbc.co.uk"; subdomains of one company often carry different
 * templates (sport., blogs.), and sites are what boilerplate is learned
 * from, so the host is kept whole.
 */
#include "internal.h"

static int nd__is_alpha(char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }

/* Whether h is a host name (letters, digits, '-', '.', '_', '%' escapes and
 * UTF-8 of internationalized names) or a bracketed IPv6 literal. */
static int nd__host_chars(const char *h, size_t n)
{
    int v6 = h[0] == '[';
    if (v6 && (n < 3 || h[n - 1] != ']')) return 0;
    for (size_t k = v6; k < n - v6; k++) {
        unsigned char c = (unsigned char)h[k];
        int ok = v6 ? (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') || c == ':' || c == '.'
                    : nd__is_alpha((char)c) || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
                      || c == '%' || c >= 0x80;
        if (!ok) return 0;
    }
    return 1;
}

/* Length of a "scheme://" prefix at u, or 0. */
static size_t nd__scheme(const char *u, size_t n)
{
    size_t i = 0;
    if (!n || !nd__is_alpha(u[0])) return 0;
    while (i < n && (nd__is_alpha(u[i]) || (u[i] >= '0' && u[i] <= '9') || u[i] == '+' || u[i] == '-'
                     || u[i] == '.'))
        i++;
    return i + 2 < n && u[i] == ':' && u[i + 1] == '/' && u[i + 2] == '/' ? i + 3 : 0;
}

int nd_url_host(const char *url, size_t size, char *out, size_t capacity, size_t *out_len)
{
    if ((!url && size) || !out_len || (!out && capacity)) return ND_E_INVALID;
    *out_len = 0;
    size_t i = url ? nd__scheme(url, size) : 0, end;
    if (url && !i && size >= 2 && url[0] == '/' && url[1] == '/') i = 2; /* scheme-relative */
    if (!i) return ND_E_INVALID;
    for (end = i; end < size && url[end] != '/' && url[end] != '?' && url[end] != '#'; end++)
        if (url[end] == '@') i = end + 1; /* userinfo */
    size_t host_end = i;
    if (i < end && url[i] == '[') { /* IPv6 literal: up to the ']' */
        while (host_end < end && url[host_end] != ']') host_end++;
        if (host_end < end) host_end++;
    } else {
        while (host_end < end && url[host_end] != ':') host_end++;
    }
    while (host_end > i && url[host_end - 1] == '.') host_end--; /* "example.com." */
    if (host_end - i > 4 && (url[i] | 0x20) == 'w' && (url[i + 1] | 0x20) == 'w'
        && (url[i + 2] | 0x20) == 'w' && url[i + 3] == '.')
        i += 4;
    if (host_end == i || !nd__host_chars(url + i, host_end - i)) return ND_E_INVALID;
    *out_len = host_end - i;
    if (*out_len > capacity) return ND_E_BUFFER;
    for (size_t k = i; k < host_end; k++)
        out[k - i] = (char)(url[k] >= 'A' && url[k] <= 'Z' ? url[k] | 0x20 : url[k]);
    return ND_OK;
}

/* ---- dates ------------------------------------------------------------------ */

/* Reads exactly n digits at *p. @return the value, or -1. */
static long nd__digits(const char **p, const char *end, int n)
{
    long v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (*p >= end || **p < '0' || **p > '9') return -1;
        v = v * 10 + (**p - '0');
    }
    return v;
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar. */
static int64_t nd__days(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int nd__month_days(long y, long m)
{
    static const unsigned char days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return days[m - 1] + (m == 2 && leap);
}

/* "HH:MM[:SS[.frac]]" then "Z", "+HH:MM", "-HHMM" or nothing (UTC). */
static int nd__time_of_day(const char *p, const char *end, int64_t *secs)
{
    long h = nd__digits(&p, end, 2), mi = -1, s = 0;
    if (h >= 0 && p < end && *p == ':') p++, mi = nd__digits(&p, end, 2);
    if (h < 0 || h > 23 || mi < 0 || mi > 59) return -1;
    if (p < end && *p == ':') {
        p++;
        if ((s = nd__digits(&p, end, 2)) < 0 || s > 60) return -1;
        if (p < end && (*p == '.' || *p == ',')) /* fractions of a second are dropped */
            for (p++; p < end && *p >= '0' && *p <= '9'; p++) {}
    }
    int64_t off = 0;
    if (p < end && (*p == 'Z' || *p == 'z')) {
        p++;
    } else if (p < end && (*p == '+' || *p == '-')) {
        int sign = *p++ == '-' ? -1 : 1;
        long oh = nd__digits(&p, end, 2), om = 0;
        if (p < end && *p == ':') p++;
        if (p < end) om = nd__digits(&p, end, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59) return -1;
        off = sign * (oh * 3600 + om * 60);
    }
    if (p != end) return -1;
    *secs = h * 3600 + mi * 60 + s - off;
    return 0;
}

int nd_date_parse(const char *text, size_t size, int64_t *out)
{
    if ((!text && size) || !out) return ND_E_INVALID;
    const char *p = text, *end = text + size;
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t')) end--;
    long y = nd__digits(&p, end, 4), m = -1, d = -1;
    if (y >= 0 && p < end && *p == '-') p++, m = nd__digits(&p, end, 2);
    if (m >= 1 && m <= 12 && p < end && *p == '-') p++, d = nd__digits(&p, end, 2);
    if (y < 0 || m < 1 || m > 12 || d < 1 || d > nd__month_days(y, m)) return ND_E_INVALID;
    int64_t secs = 0;
    if (p < end && (*p == 'T' || *p == 't' || *p == ' ')) {
        if (nd__time_of_day(p + 1, end, &secs)) return ND_E_INVALID;
    } else if (p != end) {
        return ND_E_INVALID;
    }
    *out = nd__days(y, (unsigned)m, (unsigned)d) * 86400 + secs;
    return ND_OK;
}
