/*
 * WARC records into documents: HTTP responses parsed, transfer and content
 * codings undone, pages and WET text delivered as cli_doc (see warc.h).
 */
#define _POSIX_C_SOURCE 200809L
#define ZLIB_CONST /* next_in takes the const input */
#include "warc.h"
#include "neardup.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }

static int ieq(const char *s, size_t n, const char *lit)
{
    size_t k = strlen(lit), i;
    if (n != k) return 0;
    for (i = 0; i < k; i++)
        if (lower((unsigned char)s[i]) != lit[i]) return 0;
    return 1;
}

static cli_str strip(const char *s, size_t n)
{
    cli_str t;
    while (n > 0 && (*s == ' ' || *s == '\t')) s++, n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) n--;
    t.p = s;
    t.n = n;
    return t;
}

/* ---- HTTP header ------------------------------------------------------------ */

/* "text/html; charset=ISO-8859-1" -> media type and charset. */
static void content_type(cli_http *h, cli_str v)
{
    const char *semi = memchr(v.p, ';', v.n);
    h->media_type = strip(v.p, semi ? (size_t)(semi - v.p) : v.n);
    while (semi != NULL) {
        const char *start = semi + 1, *end = v.p + v.n, *eq;
        cli_str param;
        semi = memchr(start, ';', (size_t)(end - start));
        param = strip(start, (size_t)((semi ? semi : end) - start));
        eq = memchr(param.p, '=', param.n);
        if (eq && ieq(param.p, (size_t)(eq - param.p), "charset")) {
            cli_str cs = strip(eq + 1, param.n - (size_t)(eq + 1 - param.p));
            if (cs.n >= 2 && (cs.p[0] == '"' || cs.p[0] == '\'') && cs.p[cs.n - 1] == cs.p[0])
                cs.p++, cs.n -= 2;
            if (cs.n > 0) h->charset = cs;
        }
    }
}

/* The last coding of a comma-separated list ("gzip, chunked" -> chunked). */
static cli_str last_coding(cli_str v)
{
    size_t i = v.n;
    while (i > 0 && v.p[i - 1] != ',') i--;
    return strip(v.p + i, v.n - i);
}

static void http_field(cli_http *h, cli_str name, cli_str v)
{
    if (ieq(name.p, name.n, "content-type")) {
        content_type(h, v);
    } else if (ieq(name.p, name.n, "transfer-encoding")) {
        cli_str c = last_coding(v);
        h->chunked = ieq(c.p, c.n, "chunked");
    } else if (ieq(name.p, name.n, "content-encoding")) {
        if (v.n == 0 || ieq(v.p, v.n, "identity")) h->encoding = CLI_HTTP_IDENTITY;
        else if (ieq(v.p, v.n, "gzip") || ieq(v.p, v.n, "x-gzip")) h->encoding = CLI_HTTP_GZIP;
        else if (ieq(v.p, v.n, "deflate")) h->encoding = CLI_HTTP_DEFLATE;
        else h->encoding = CLI_HTTP_OTHER, h->encoding_name = v;
    }
}

static int parse_status(const char *s, size_t n, int *status)
{
    size_t i = 5;
    int code = 0, digits = 0;
    if (n < 12 || memcmp(s, "HTTP/", 5) != 0) return -1;
    while (i < n && s[i] != ' ') i++;
    while (i < n && s[i] == ' ') i++;
    for (; i < n && s[i] >= '0' && s[i] <= '9' && digits < 3; i++, digits++) code = code * 10 + s[i] - '0';
    if (digits != 3) return -1;
    *status = code;
    return 0;
}

int cli_http_parse(const char *s, size_t n, cli_http *h)
{
    size_t pos = 0;
    int first = 1;
    memset(h, 0, sizeof *h);
    while (pos < n) {
        const char *nl = memchr(s + pos, '\n', n - pos), *colon;
        size_t len = nl ? (size_t)(nl - (s + pos)) : n - pos;
        cli_str line = strip(s + pos, len);
        pos += len + (nl != NULL);
        if (first) {
            if (parse_status(line.p, line.n, &h->status) != 0) return -1;
            first = 0;
            continue;
        }
        if (line.n == 0) { /* the blank line: the body follows */
            h->body = pos;
            return 0;
        }
        if ((colon = memchr(line.p, ':', line.n)) != NULL)
            http_field(h, strip(line.p, (size_t)(colon - line.p)),
                       strip(colon + 1, line.n - (size_t)(colon + 1 - line.p)));
    }
    if (first) return -1;
    h->body = n; /* headers without a body */
    return 0;
}

/* ---- Codings --------------------------------------------------------------- */

static int append(cli_buf *out, const char *p, size_t n, size_t max)
{
    if (out->len + n > max) return -2;
    if (cli_buf_reserve(out, n) != 0) return -3;
    memcpy(out->data + out->len, p, n);
    out->len += n;
    return 0;
}

int cli_http_dechunk(const char *s, size_t n, cli_buf *out, size_t max)
{
    size_t pos = 0;
    out->len = 0;
    for (;;) {
        uint64_t size = 0;
        int digits = 0, rc;
        const char *nl;
        for (; pos < n; pos++, digits++) {
            int c = lower((unsigned char)s[pos]);
            int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (v < 0) break;
            if (size > ((uint64_t)1 << 40)) return -1;
            size = size * 16 + (uint64_t)v;
        }
        if (digits == 0 || (nl = memchr(s + pos, '\n', n - pos)) == NULL) return -1;
        pos = (size_t)(nl - s) + 1; /* chunk extensions and CR skipped */
        if (size == 0) return 0;    /* trailers, if any, are not needed */
        if (size > n - pos) return -1;
        if ((rc = append(out, s + pos, (size_t)size, max)) != 0) return rc;
        pos += (size_t)size;
        if (pos < n && s[pos] == '\r') pos++;
        if (pos >= n || s[pos] != '\n') return -1;
        pos++;
    }
}

static int inflate_all(const char *s, size_t n, int wbits, cli_buf *out, size_t max)
{
    z_stream zs;
    int zrc = Z_OK, result = -1; /* zlib's codes overlap ours: kept apart */
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, wbits) != Z_OK) return -3;
    zs.next_in = (const unsigned char *)s;
    zs.avail_in = (uInt)n;
    out->len = 0;
    for (;;) {
        size_t room = 64 << 10;
        if (out->len > max) {
            result = -2;
            break;
        }
        if (cli_buf_reserve(out, room) != 0) {
            result = -3;
            break;
        }
        zs.next_out = (unsigned char *)out->data + out->len;
        zs.avail_out = (uInt)room;
        zrc = inflate(&zs, Z_NO_FLUSH);
        out->len += room - zs.avail_out;
        if (zrc == Z_STREAM_END) {
            result = out->len > max ? -2 : 0;
            break;
        }
        if (zrc == Z_MEM_ERROR) {
            result = -3;
            break;
        }
        if (zrc != Z_OK) break; /* corrupt, or cut short (Z_BUF_ERROR: no input left) */
    }
    inflateEnd(&zs);
    return result;
}

int cli_http_decode(const char *s, size_t n, int encoding, cli_buf *out, size_t max)
{
    int rc;
    if (n > UINT32_MAX) return -2;
    if (encoding == CLI_HTTP_GZIP) return inflate_all(s, n, 16 + MAX_WBITS, out, max);
    if (encoding != CLI_HTTP_DEFLATE) return -1;
    /* "deflate" is zlib-wrapped by the standard, raw by many servers */
    rc = inflate_all(s, n, MAX_WBITS, out, max);
    return rc == -1 ? inflate_all(s, n, -MAX_WBITS, out, max) : rc;
}

static int starts_with_ci(const char *s, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    return n >= k && ieq(s, k, lit);
}

int cli_http_is_html(const cli_http *h, const char *body, size_t n)
{
    static const char *const tags[] = { "<!doctype html", "<html", "<head", "<body" };
    size_t i = 0, k;
    if (h->media_type.p != NULL)
        return ieq(h->media_type.p, h->media_type.n, "text/html") ||
               ieq(h->media_type.p, h->media_type.n, "application/xhtml+xml");
    if (n == 0) return 0; /* body may then be NULL (an empty decoded buffer) */
    if (n >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0) i = 3;
    for (;;) {
        while (i < n && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n')) i++;
        if (i + 4 <= n && memcmp(body + i, "<!--", 4) == 0) { /* a comment first */
            const char *end = NULL;
            size_t j;
            for (j = i + 4; j + 3 <= n && !end; j++)
                if (memcmp(body + j, "-->", 3) == 0) end = body + j + 3;
            if (end == NULL) return 0;
            i = (size_t)(end - body);
            continue;
        }
        break;
    }
    for (k = 0; k < sizeof tags / sizeof tags[0]; k++) {
        size_t len = strlen(tags[k]);
        if (starts_with_ci(body + i, n - i, tags[k]) &&
            (i + len == n || body[i + len] == '>' || body[i + len] == ' ' ||
             body[i + len] == '\t' || body[i + len] == '\r' || body[i + len] == '\n'))
            return 1;
    }
    return 0;
}

/* ---- Documents ------------------------------------------------------------- */

typedef struct wdocs {
    const cli_warc_read_opts *o;
    cli_warc_doc_fn doc;
    cli_err_fn err;
    void *payload;
    cli_warc_counts *c;
    cli_buf dechunked, decoded, host, id;
} wdocs;

static void say(wdocs *s, int severity, uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void say(wdocs *s, int severity, uint64_t offset, const char *fmt, ...)
{
    char msg[400];
    int k = snprintf(msg, sizeof msg, "record at offset %llu: ", (unsigned long long)offset);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + k, sizeof msg - (size_t)k, fmt, ap);
    va_end(ap);
    if (s->err) s->err(severity, s->o->path, 0, msg, s->payload);
}

/* The host of the record's URI as the source, else the INPUT argument. */
static void doc_source(wdocs *s, cli_str uri, cli_doc *d)
{
    size_t len = 0;
    d->source = s->o->source_override ? s->o->source_override : s->o->input;
    d->source_len = strlen(d->source);
    if (s->o->source_override || uri.p == NULL) return;
    if (nd_url_host(uri.p, uri.n, NULL, 0, &len) != ND_E_BUFFER) return;
    s->host.len = 0;
    if (cli_buf_reserve(&s->host, len) != 0 ||
        nd_url_host(uri.p, uri.n, s->host.data, len, &len) != ND_OK)
        return;
    d->source = s->host.data;
    d->source_len = len;
}

/* id: the URI (or with --warc-id record the record id), the other one when
 * it is missing, else "PATH@OFFSET". */
static void doc_id(wdocs *s, const cli_warc_record *r, cli_doc *d)
{
    cli_str a = s->o->id_record ? r->h.record_id : r->h.target_uri;
    cli_str b = s->o->id_record ? r->h.target_uri : r->h.record_id;
    cli_str id = a.p && a.n ? a : b;
    size_t need = strlen(s->o->path) + 24;
    if (id.p && id.n) {
        d->id = id.p;
        d->id_len = id.n;
        return;
    }
    s->id.len = 0;
    if (cli_buf_reserve(&s->id, need) != 0) {
        d->id = s->o->path;
        d->id_len = strlen(d->id);
        return;
    }
    s->id.len = (size_t)snprintf(s->id.data, need, "%s@%llu", s->o->path, (unsigned long long)r->offset);
    d->id = s->id.data;
    d->id_len = s->id.len;
}

static int deliver(wdocs *s, const cli_warc_record *r, const char *text, size_t n, int html,
                   cli_str charset)
{
    cli_doc d;
    memset(&d, 0, sizeof d);
    doc_id(s, r, &d);
    doc_source(s, r->h.target_uri, &d);
    d.text = n ? text : "";
    d.text_len = n;
    d.input = s->o->input;
    d.path = s->o->path;
    d.is_html = html;
    d.charset = charset.p;
    d.charset_len = charset.p ? charset.n : 0;
    d.url = r->h.target_uri.p;
    d.url_len = r->h.target_uri.p ? r->h.target_uri.n : 0;
    d.has_warc = 1;
    d.warc_record_id = r->h.record_id.p;
    d.warc_record_id_len = r->h.record_id.p ? r->h.record_id.n : 0;
    d.warc_offset = r->offset;
    if (r->h.date.p && nd_date_parse(r->h.date.p, r->h.date.n, &d.date) == ND_OK) d.has_date = 1;
    return s->doc ? s->doc(&d, s->payload) : 0;
}

static const char *coding_failure(int rc)
{
    return rc == -2 ? "larger than the limit once decoded" : rc == -3 ? "out of memory" : "malformed or cut short";
}

/* Undoes the transfer and content codings. @return 0 with the body in
 * *body and *n, 1 skipped (counted, maybe reported). */
static int decode_body(wdocs *s, const cli_warc_record *r, const cli_http *h, const char **body,
                       size_t *n)
{
    int rc;
    if (h->chunked) {
        if ((rc = cli_http_dechunk(*body, *n, &s->dechunked, CLI_WARC_MAX_BLOCK)) != 0) {
            s->c->bad_http++;
            say(s, CLI_WARNING, r->offset, "chunked transfer coding %s; page skipped", coding_failure(rc));
            return 1;
        }
        *body = s->dechunked.data;
        *n = s->dechunked.len;
    }
    if (h->encoding == CLI_HTTP_OTHER) {
        s->c->encoding++;
        return 1;
    }
    if (h->encoding != CLI_HTTP_IDENTITY) {
        if ((rc = cli_http_decode(*body, *n, h->encoding, &s->decoded, CLI_WARC_MAX_BLOCK)) != 0) {
            s->c->bad_http++;
            say(s, CLI_WARNING, r->offset, "%s content coding %s; page skipped",
                h->encoding == CLI_HTTP_GZIP ? "gzip" : "deflate", coding_failure(rc));
            return 1;
        }
        *body = s->decoded.data;
        *n = s->decoded.len;
    }
    return 0;
}

static int response(wdocs *s, const cli_warc_record *r)
{
    cli_http h;
    const char *body;
    size_t n;
    if (cli_http_parse(r->block, r->block_len, &h) != 0) {
        s->c->bad_http++;
        say(s, CLI_WARNING, r->offset, "no HTTP status line in the response; skipped");
        return 0;
    }
    if (h.status != 200) {
        s->c->non_200++;
        return 0;
    }
    if (h.media_type.p && !cli_http_is_html(&h, NULL, 0)) {
        s->c->non_html++;
        return 0;
    }
    body = r->block + h.body;
    n = r->block_len - h.body;
    if (decode_body(s, r, &h, &body, &n) != 0) return 0;
    if (!h.media_type.p && !cli_http_is_html(&h, body, n)) {
        s->c->non_html++;
        return 0;
    }
    s->c->html++;
    return deliver(s, r, body, n, 1, h.charset);
}

/* @return non-zero when the consumer asked to stop. */
static int one_record(wdocs *s, const cli_warc_record *r)
{
    static const cli_str none = { NULL, 0 };
    cli_warc_counts *c = s->c;
    c->records++;
    if (r->oversize && (r->h.type == CLI_WARC_RESPONSE || r->h.type == CLI_WARC_CONVERSION)) {
        c->oversize++;
        say(s, CLI_WARNING, r->offset, "block of %llu bytes is over the %zu MiB limit; skipped",
            (unsigned long long)r->h.content_length, CLI_WARC_MAX_BLOCK >> 20);
        return 0;
    }
    switch (r->h.type) {
    case CLI_WARC_RESPONSE: return response(s, r);
    case CLI_WARC_CONVERSION: c->text++; return deliver(s, r, r->block, r->block_len, 0, none);
    case CLI_WARC_REVISIT: c->revisit++; return 0;
    case CLI_WARC_REQUEST: c->request++; return 0;
    case CLI_WARC_METADATA: c->metadata++; return 0;
    case CLI_WARC_WARCINFO: c->warcinfo++; return 0;
    default: c->other++; return 0;
    }
}

/* "WARC: 9 records, 4 documents (3 HTML pages, 1 text); skipped: ..." */
static void summary(wdocs *s)
{
    const cli_warc_counts *c = s->c;
    const struct { size_t n; const char *what; } parts[] = {
        { c->non_html, "not HTML" }, { c->non_200, "not status 200" },
        { c->encoding, "unsupported content coding" }, { c->bad_http, "undecodable HTTP" },
        { c->oversize, "too large" }, { c->revisit, "revisit" }, { c->request, "request" },
        { c->metadata, "metadata" }, { c->warcinfo, "warcinfo" }, { c->other, "other type" },
    };
    char msg[512];
    size_t k, len, skipped = 0;
    len = (size_t)snprintf(msg, sizeof msg, "WARC: %zu record%s, %zu document%s (%zu HTML, %zu text)",
                           c->records, c->records == 1 ? "" : "s", c->html + c->text,
                           c->html + c->text == 1 ? "" : "s", c->html, c->text);
    for (k = 0; k < sizeof parts / sizeof parts[0] && len < sizeof msg; k++) {
        if (parts[k].n == 0) continue;
        len += (size_t)snprintf(msg + len, sizeof msg - len, "%s%zu %s", skipped++ ? ", " : "; skipped: ",
                                parts[k].n, parts[k].what);
    }
    if (c->malformed && len < sizeof msg)
        snprintf(msg + len, sizeof msg - len, "; %zu malformed", c->malformed);
    if (s->err) s->err(CLI_NOTE, s->o->path, 0, msg, s->payload);
}

int cli_warc_read(int fd, int gz, const cli_warc_read_opts *o, cli_warc_doc_fn doc, cli_err_fn err,
                  void *payload, cli_warc_counts *counts)
{
    wdocs s;
    cli_warc_record r;
    cli_warc *w = cli_warc_open(fd, gz);
    int stop = 0;
    memset(&s, 0, sizeof s);
    memset(counts, 0, sizeof *counts);
    s.o = o;
    s.doc = doc;
    s.err = err;
    s.payload = payload;
    s.c = counts;
    if (w == NULL) {
        if (err) err(CLI_ERROR, o->path, 0, "out of memory", payload);
        return 0;
    }
    while (!stop) {
        int rc = cli_warc_next(w, &r);
        if (rc == CLI_WARC_EOF) break;
        if (rc == CLI_WARC_FATAL) {
            if (err) err(CLI_ERROR, o->path, 0, cli_warc_message(w), payload);
            break;
        }
        if (rc == CLI_WARC_BAD) {
            counts->malformed++;
            say(&s, CLI_ERROR, cli_warc_bad_offset(w), "%s; skipped", cli_warc_message(w));
            continue;
        }
        stop = one_record(&s, &r);
    }
    if (!stop) summary(&s);
    cli_warc_close(w);
    cli_buf_free(&s.dechunked);
    cli_buf_free(&s.decoded);
    cli_buf_free(&s.host);
    cli_buf_free(&s.id);
    return stop ? -1 : 0;
}
