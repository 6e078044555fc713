/*
 * WARC records, streaming (see warc.h).
 *
 * Bytes flow file -> `in` (raw, gzip only) -> inflate -> `win` (decoded);
 * in a plain file they are read straight into `win`. The window holds the
 * unconsumed decoded bytes [head, len) of the current unit: one gzip member,
 * or the whole plain file. A member's end is a hard boundary: a record that
 * is not complete when its member ends is malformed, since WARC writers
 * compress record by record, and the next member is a clean place to start
 * again. Recovery seeks (the file is regular): to just after the damaged
 * member's start to look for the next gzip magic, or to just after the
 * damaged record's start to look for the next "\nWARC/1.".
 */
#define _POSIX_C_SOURCE 200809L
#include "warc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define RAW_CHUNK ((size_t)64) /* small reads make records straddle them */
#else
#define RAW_CHUNK ((size_t)256 << 10)
#endif

enum { PULL_OK = 1, PULL_END = 0, PULL_ERR = -1 };

struct cli_warc {
    int fd;
    int gz;
    /* raw input (gzip): in[in_pos..in_len) unread; in[0] is at file offset in_base */
    unsigned char *in;
    size_t in_pos, in_len;
    uint64_t in_base;
    int in_eof;
    z_stream zs;
    int zs_ready;
    int member_open, member_done;
    uint64_t member_start;
    int searching; /* after damaged gzip data: failed candidates are skipped silently */
    int zerr;      /* the last failure was in the gzip data, not in the WARC record */
    /* decoded window: win[head..len) unconsumed; win[head] is at decoded
     * offset win_base (the file offset, in a plain file) */
    char *win;
    size_t head, len, cap;
    uint64_t win_base;
    size_t pending; /* bytes of the last record still to consume */
    int plain_eof;
    int fatal; /* the last failure was a read error or out of memory */
    uint64_t bad_offset;
    char msg[256];
};

static void set_msg(cli_warc *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_msg(cli_warc *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->msg, sizeof w->msg, fmt, ap);
    va_end(ap);
}

static const char *find(const char *s, size_t n, const char *pat, size_t k)
{
    size_t i;
    if (n < k) return NULL;
    for (i = 0; i + k <= n; i++) {
        const char *c = memchr(s + i, pat[0], n - k + 1 - i);
        if (c == NULL) return NULL;
        i = (size_t)(c - s);
        if (memcmp(c, pat, k) == 0) return c;
    }
    return NULL;
}

/* ---- Sniffing ------------------------------------------------------------ */

int cli_warc_sniff(int fd, int *gz)
{
    unsigned char raw[4096], out[16];
    ssize_t n = pread(fd, raw, sizeof raw, 0);
    z_stream zs;
    int ok = 0;

    *gz = 0;
    if (n >= 7 && memcmp(raw, "WARC/1.", 7) == 0) return 1;
    if (n < 18 || raw[0] != 0x1f || raw[1] != 0x8b) return 0;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return 0;
    zs.next_in = raw;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = sizeof out;
    (void)inflate(&zs, Z_NO_FLUSH);
    ok = sizeof out - zs.avail_out >= 7 && memcmp(out, "WARC/1.", 7) == 0;
    inflateEnd(&zs);
    *gz = ok;
    return ok;
}

/* ---- Opening ------------------------------------------------------------- */

cli_warc *cli_warc_open(int fd, int gz)
{
    cli_warc *w = calloc(1, sizeof *w);
    if (w == NULL) return NULL;
    w->fd = fd;
    w->gz = gz;
    if (gz) {
        if ((w->in = malloc(RAW_CHUNK)) == NULL || inflateInit2(&w->zs, 16 + MAX_WBITS) != Z_OK) {
            free(w->in);
            free(w);
            return NULL;
        }
        w->zs_ready = 1;
    }
    return w;
}

void cli_warc_close(cli_warc *w)
{
    if (w == NULL) return;
    if (w->zs_ready) inflateEnd(&w->zs);
    free(w->in);
    free(w->win);
    free(w);
}

const char *cli_warc_message(const cli_warc *w) { return w->msg; }
uint64_t cli_warc_bad_offset(const cli_warc *w) { return w->bad_offset; }

/* ---- Raw bytes ----------------------------------------------------------- */

/* Moves the reading position to file offset off, forgetting buffers. */
static int seek_to(cli_warc *w, uint64_t off)
{
    if (lseek(w->fd, (off_t)off, SEEK_SET) < 0) {
        set_msg(w, "cannot seek: %s", strerror(errno));
        w->fatal = 1;
        return -1;
    }
    w->in_pos = w->in_len = 0;
    w->in_base = off;
    w->in_eof = w->plain_eof = 0;
    w->head = w->len = w->pending = 0;
    w->win_base = off;
    w->member_open = w->member_done = 0;
    return 0;
}

static ssize_t read_some(cli_warc *w, void *buf, size_t n)
{
    for (;;) {
        ssize_t got = read(w->fd, buf, n);
        if (got >= 0 || errno != EINTR) {
            if (got < 0) set_msg(w, "read error: %s", strerror(errno)), w->fatal = 1;
            return got;
        }
    }
}

/* Refills `in` after what is unread. @return 1 more bytes, 0 end of file, -1 error. */
static int raw_fill(cli_warc *w)
{
    ssize_t got;
    if (w->in_pos > 0) {
        memmove(w->in, w->in + w->in_pos, w->in_len - w->in_pos);
        w->in_base += w->in_pos;
        w->in_len -= w->in_pos;
        w->in_pos = 0;
    }
    if (w->in_len == RAW_CHUNK) return 1;
    got = read_some(w, w->in + w->in_len, RAW_CHUNK - w->in_len);
    if (got < 0) return -1;
    if (got == 0) w->in_eof = 1;
    w->in_len += (size_t)got;
    return got > 0;
}

/* Makes room for `want` more bytes in the window, compacting it first. */
static int win_room(cli_warc *w, size_t want)
{
    if (w->head > 0 && w->pending == 0) {
        memmove(w->win, w->win + w->head, w->len - w->head);
        w->win_base += w->head;
        w->len -= w->head;
        w->head = 0;
    }
    if (w->cap - w->len < want) {
        size_t cap = w->cap ? w->cap : RAW_CHUNK;
        char *p;
        while (cap - w->len < want) cap *= 2;
        if ((p = realloc(w->win, cap)) == NULL) {
            set_msg(w, "out of memory");
            w->fatal = 1;
            return -1;
        }
        w->win = p;
        w->cap = cap;
    }
    return 0;
}

/* ---- Decoded bytes --------------------------------------------------------- */

/* Inflates more of the current member into the window. */
static int pull_gz(cli_warc *w)
{
    if (w->member_done) return PULL_END;
    if (win_room(w, RAW_CHUNK) != 0) return PULL_ERR;
    for (;;) {
        size_t before_out, produced, consumed;
        int rc;
        if (w->in_pos == w->in_len) {
            int f = raw_fill(w);
            if (f < 0) return PULL_ERR;
            if (f == 0) {
                set_msg(w, "gzip member cut short (file truncated?)");
                w->zerr = 1;
                return PULL_ERR;
            }
        }
        before_out = w->cap - w->len;
        w->zs.next_in = w->in + w->in_pos;
        w->zs.avail_in = (uInt)(w->in_len - w->in_pos);
        w->zs.next_out = (unsigned char *)w->win + w->len;
        w->zs.avail_out = (uInt)before_out;
        rc = inflate(&w->zs, Z_NO_FLUSH);
        consumed = (w->in_len - w->in_pos) - w->zs.avail_in;
        produced = before_out - w->zs.avail_out;
        w->in_pos += consumed;
        w->len += produced;
        if (rc == Z_STREAM_END) {
            w->member_done = 1;
            return produced ? PULL_OK : PULL_END;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            set_msg(w, "corrupt gzip data (%s)", w->zs.msg ? w->zs.msg : "inflate failed");
            w->zerr = 1;
            return PULL_ERR;
        }
        if (produced) return PULL_OK;
    }
}

static int pull_plain(cli_warc *w)
{
    ssize_t got;
    if (w->plain_eof) return PULL_END;
    if (win_room(w, RAW_CHUNK) != 0) return PULL_ERR;
    got = read_some(w, w->win + w->len, RAW_CHUNK);
    if (got < 0) return PULL_ERR;
    if (got == 0) {
        w->plain_eof = 1;
        return PULL_END;
    }
    w->len += (size_t)got;
    return PULL_OK;
}

static int pull(cli_warc *w)
{
    return w->gz ? pull_gz(w) : pull_plain(w);
}

/* Makes the window hold at least n bytes from head. @return as pull(). */
static int need(cli_warc *w, size_t n)
{
    while (w->len - w->head < n) {
        int rc = pull(w);
        if (rc != PULL_OK) return rc;
    }
    return PULL_OK;
}

/* Drops n bytes from head, pulling as needed (a block too large to keep). */
static int discard(cli_warc *w, uint64_t n)
{
    while (n > 0) {
        size_t have = w->len - w->head, take;
        int rc;
        if (have == 0) { /* pull() compacts: win_base follows */
            if ((rc = pull(w)) != PULL_OK) return rc;
            continue;
        }
        take = have < n ? have : (size_t)n;
        w->head += take;
        n -= take;
    }
    return PULL_OK;
}

/* ---- Units: gzip members -------------------------------------------------- */

/* Looks for the next gzip member at or after file offset `from`.
 * @return 1 found (positioned on it), 0 none before the end, -1 error. */
static int find_member(cli_warc *w, uint64_t from)
{
    if (seek_to(w, from) != 0) return -1;
    for (;;) {
        size_t i;
        for (i = w->in_pos; i + 3 <= w->in_len; i++) {
            if (w->in[i] == 0x1f && w->in[i + 1] == 0x8b && w->in[i + 2] == 8) {
                w->in_pos = i;
                return 1;
            }
        }
        w->in_pos = w->in_len >= 2 ? w->in_len - 2 : w->in_pos;
        if (!w->in_eof && raw_fill(w) < 0) return -1;
        if (w->in_eof && w->in_len - w->in_pos < 3) {
            w->in_pos = w->in_len; /* nothing more: the end of the file */
            return 0;
        }
    }
}

/* Opens the member at the reading position. @return 1, 0 at the end of the
 * file, CLI_WARC_BAD (bytes that are not a member), -1 error. */
static int member_begin(cli_warc *w)
{
    if (w->in_len - w->in_pos < 2 && !w->in_eof && raw_fill(w) < 0) return -1;
    if (w->in_len - w->in_pos < 2 && !w->in_eof && raw_fill(w) < 0) return -1;
    if (w->in_pos == w->in_len) return 0;
    w->member_start = w->in_base + w->in_pos;
    if (w->in_len - w->in_pos < 2 || w->in[w->in_pos] != 0x1f || w->in[w->in_pos + 1] != 0x8b) {
        set_msg(w, "bytes that are not a gzip member");
        return CLI_WARC_BAD;
    }
    inflateReset(&w->zs);
    w->member_open = 1;
    w->member_done = 0;
    w->head = w->len = 0;
    return 1;
}

/* ---- Record header --------------------------------------------------------- */

static int name_is(const char *s, size_t n, const char *name)
{
    size_t k = strlen(name), i;
    if (n != k) return 0;
    for (i = 0; i < k; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != name[i]) return 0;
    }
    return 1;
}

static cli_str trim(const char *s, size_t n)
{
    cli_str t;
    while (n > 0 && (*s == ' ' || *s == '\t')) s++, n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    t.p = s;
    t.n = n;
    return t;
}

/* A field name is an RFC 7230 token: visible ASCII but separators. */
static int is_token(cli_str name)
{
    size_t i;
    for (i = 0; i < name.n; i++) {
        unsigned char c = (unsigned char)name.p[i];
        if (c <= 32 || c >= 127 || strchr("()<>@,;:\\\"/[]?={}", c)) return 0;
    }
    return 1;
}

static cli_warc_type type_of(cli_str v)
{
    static const struct { const char *name; cli_warc_type type; } types[] = {
        { "warcinfo", CLI_WARC_WARCINFO }, { "response", CLI_WARC_RESPONSE },
        { "resource", CLI_WARC_RESOURCE }, { "request", CLI_WARC_REQUEST },
        { "metadata", CLI_WARC_METADATA }, { "revisit", CLI_WARC_REVISIT },
        { "conversion", CLI_WARC_CONVERSION }, { "continuation", CLI_WARC_CONTINUATION },
    };
    size_t i;
    for (i = 0; i < sizeof types / sizeof types[0]; i++)
        if (name_is(v.p, v.n, types[i].name)) return types[i].type;
    return CLI_WARC_OTHER;
}

static int parse_length(cli_str v, uint64_t *out)
{
    uint64_t x = 0;
    size_t i;
    if (v.n == 0 || v.n > 18) return -1;
    for (i = 0; i < v.n; i++) {
        if (v.p[i] < '0' || v.p[i] > '9') return -1;
        x = x * 10 + (uint64_t)(v.p[i] - '0');
    }
    *out = x;
    return 0;
}

/* Takes one "Name: value" field (value already trimmed). */
static int take_field(cli_warc_header *h, cli_str name, cli_str v, int *have_len)
{
    if (name_is(name.p, name.n, "warc-type")) {
        h->type_name = v;
        h->type = type_of(v);
    } else if (name_is(name.p, name.n, "content-length")) {
        if (parse_length(v, &h->content_length) != 0) return -1;
        *have_len = 1;
    } else if (name_is(name.p, name.n, "warc-target-uri")) {
        if (v.n >= 2 && v.p[0] == '<' && v.p[v.n - 1] == '>') v.p++, v.n -= 2;
        h->target_uri = v;
    } else if (name_is(name.p, name.n, "warc-record-id")) {
        h->record_id = v;
    } else if (name_is(name.p, name.n, "warc-date")) {
        h->date = v;
    } else if (name_is(name.p, name.n, "content-type")) {
        h->content_type = v;
    } else if (name_is(name.p, name.n, "warc-refers-to")) {
        h->refers_to = v;
    } else if (name_is(name.p, name.n, "warc-concurrent-to") && h->nconcurrent < CLI_WARC_MAX_LINKS) {
        h->concurrent_to[h->nconcurrent++] = v;
    }
    return 0;
}

int cli_warc_parse_header(const char *s, size_t n, cli_warc_header *h, char *why, size_t why_size)
{
    size_t pos, line = 1;
    int have_len = 0, have_type = 0;
    const char *eol = find(s, n, "\r\n", 2);

    memset(h, 0, sizeof *h);
    if (eol == NULL || eol - s < 8 || memcmp(s, "WARC/1.", 7) != 0) {
        snprintf(why, why_size, "no \"WARC/1.x\" version line");
        return -1;
    }
    for (pos = (size_t)(eol - s) + 2; pos < n; line++) {
        const char *l = s + pos, *colon, *next = find(l, n - pos, "\r\n", 2);
        size_t len = next ? (size_t)(next - l) : n - pos, end = len;
        /* a folded value continues on lines that start with a blank */
        while (next && (size_t)(next - s) + 2 < n && (next[2] == ' ' || next[2] == '\t')) {
            const char *more = find(next + 2, n - (size_t)(next + 2 - s), "\r\n", 2);
            end = more ? (size_t)(more - l) : n - pos;
            next = more;
            line++;
        }
        colon = memchr(l, ':', len);
        if (colon == NULL || colon == l) {
            snprintf(why, why_size, "bad header line %zu (not \"Name: value\")", line);
            return -1;
        }
        {
            cli_str name = trim(l, (size_t)(colon - l));
            cli_str v = trim(colon + 1, end - (size_t)(colon + 1 - l));
            if (name.n != (size_t)(colon - l) || !is_token(name)) {
                snprintf(why, why_size, "bad header line %zu (not \"Name: value\")", line);
                return -1;
            }
            if (take_field(h, name, v, &have_len) != 0) {
                snprintf(why, why_size, "bad Content-Length \"%.*s\"", (int)(v.n > 40 ? 40 : v.n), v.p);
                return -1;
            }
            if (name_is(name.p, name.n, "warc-type")) have_type = 1;
        }
        pos += end + 2;
    }
    if (!have_type || !have_len) {
        snprintf(why, why_size, "no %s field", have_type ? "Content-Length" : "WARC-Type");
        return -1;
    }
    return 0;
}

/* ---- Records --------------------------------------------------------------- */

static int is_crlf(char c) { return c == '\r' || c == '\n'; }

/* Skips blank lines before a record. @return as pull(). */
static int skip_blank(cli_warc *w)
{
    for (;;) {
        while (w->head < w->len && is_crlf(w->win[w->head])) w->head++;
        if (w->head < w->len) return PULL_OK;
        w->win_base += w->head;
        w->head = w->len = 0;
        {
            int rc = pull(w);
            if (rc != PULL_OK) return rc;
        }
    }
}

/* Reads the header of the record at head. @return PULL_OK with *hlen
 * (header length, blank line included), PULL_END (unit ended inside it),
 * PULL_ERR (w->msg). */
static int read_header(cli_warc *w, cli_warc_record *r, size_t *hlen)
{
    size_t scan = 0;
    char why[160];
    for (;;) {
        size_t have = w->len - w->head;
        const char *e = find(w->win + w->head + scan, have - scan, "\r\n\r\n", 4);
        if (e != NULL) {
            size_t n = (size_t)(e - (w->win + w->head)) + 2;
            if (cli_warc_parse_header(w->win + w->head, n, &r->h, why, sizeof why) != 0) {
                set_msg(w, "%s", why);
                return PULL_ERR;
            }
            *hlen = n + 2;
            return PULL_OK;
        }
        if (have > CLI_WARC_MAX_HEADER) {
            set_msg(w, "record header longer than %zu bytes, or not a WARC header", CLI_WARC_MAX_HEADER);
            return PULL_ERR;
        }
        if (have >= 7 && memcmp(w->win + w->head, "WARC/1.", 7) != 0) {
            set_msg(w, "no \"WARC/1.x\" record starts here");
            return PULL_ERR;
        }
        scan = have > 3 ? have - 3 : 0;
        {
            int rc = pull(w);
            if (rc == PULL_END) set_msg(w, "record header cut short");
            if (rc != PULL_OK) return rc == PULL_END ? PULL_ERR : rc;
        }
    }
}

/* The record's pointers into the window as offsets from head (back = 0),
 * or back from them (back = 1), around a pull: it may compact the window
 * (head moves to 0) or reallocate it, never changing what follows head. */
static void keep_offsets(const cli_warc *w, cli_warc_record *r, size_t *at, int back)
{
    const char **p[8 + CLI_WARC_MAX_LINKS];
    size_t n = 0, i;
    p[n++] = &r->h.type_name.p;
    p[n++] = &r->h.target_uri.p;
    p[n++] = &r->h.record_id.p;
    p[n++] = &r->h.date.p;
    p[n++] = &r->h.content_type.p;
    p[n++] = &r->h.refers_to.p;
    p[n++] = &r->block;
    for (i = 0; i < r->h.nconcurrent; i++) p[n++] = &r->h.concurrent_to[i].p;
    for (i = 0; i < n; i++) {
        if (!back) at[i] = *p[i] ? (size_t)(*p[i] - (w->win + w->head)) : (size_t)-1;
        else *p[i] = at[i] == (size_t)-1 ? NULL : w->win + w->head + at[i];
    }
}

/* The block and the CRLF CRLF after it. @return PULL_OK or PULL_ERR. */
static int read_block(cli_warc *w, cli_warc_record *r, size_t hlen)
{
    uint64_t clen = r->h.content_length;
    size_t at[8 + CLI_WARC_MAX_LINKS];
    int rc;
    keep_offsets(w, r, at, 0);
    r->unit_start = r->offset;
    r->unit_end = w->gz ? 0 : r->offset + hlen + clen + 4;
    if (clen > CLI_WARC_MAX_BLOCK) {
        cli_warc_type type = r->h.type;
        memset(&r->h, 0, sizeof r->h); /* the header's bytes are gone with the block */
        r->h.type = type;
        r->h.content_length = clen;
        w->head += hlen;
        if ((rc = discard(w, clen)) != PULL_OK) goto cut;
        r->oversize = 1;
        if ((rc = need(w, 4)) != PULL_OK) goto cut;
        hlen = 0;
    } else if ((rc = need(w, hlen + (size_t)clen + 4)) != PULL_OK) {
        goto cut;
    } else {
        keep_offsets(w, r, at, 1);
        r->block = w->win + w->head + hlen;
        r->block_len = (size_t)clen;
    }
    if (memcmp(w->win + w->head + hlen + (r->oversize ? 0 : (size_t)clen), "\r\n\r\n", 4) != 0) {
        set_msg(w, "no CRLF CRLF after the %llu-byte block (wrong Content-Length?)",
                (unsigned long long)clen);
        return PULL_ERR;
    }
    w->pending = hlen + (r->oversize ? 0 : (size_t)clen) + 4;
    return PULL_OK;
cut:
    if (rc == PULL_END)
        set_msg(w, "record cut short: Content-Length %llu, fewer bytes before the %s",
                (unsigned long long)clen, w->gz ? "gzip member ends" : "end of the file");
    return PULL_ERR;
}

/* After a record: where its unit ends, if it is the last of its member. */
static int unit_end(cli_warc *w, cli_warc_record *r)
{
    if (!w->gz) return PULL_OK;
    for (;;) {
        size_t i = w->head + w->pending;
        while (i < w->len && is_crlf(w->win[i])) i++;
        if (i < w->len) return PULL_OK; /* another record follows in this member */
        if (w->member_done) {
            r->unit_end = w->in_base + w->in_pos;
            return PULL_OK;
        }
        {
            int rc = pull(w);
            if (rc == PULL_ERR) return rc;
        }
    }
}

/* Reading after damage: a plain file resumes at the next "\nWARC/1." after
 * the bad record's first byte, a gzip file at the next member after the bad
 * member's first byte. */
static int recover(cli_warc *w)
{
    uint64_t from = w->bad_offset + 1;
    if (w->gz && !w->zerr && w->member_open) {
        /* the gzip data is sound, only the record is not: the next member
         * starts where this one ends */
        int rc;
        w->pending = 0;
        do {
            w->head = w->len = 0;
        } while ((rc = pull_gz(w)) == PULL_OK);
        if (rc == PULL_END) {
            w->head = w->len = 0;
            w->member_open = 0;
            w->searching = 0;
            return 0;
        }
        if (w->fatal) return -1;
    }
    if (w->gz) {
        int rc = find_member(w, from);
        w->searching = rc == 1;
        return rc < 0 ? -1 : 0;
    }
    if (seek_to(w, from) != 0) return -1;
    for (;;) {
        const char *hit = find(w->win + w->head, w->len - w->head, "\nWARC/1.", 8);
        int rc;
        if (hit != NULL) {
            size_t skip = (size_t)(hit + 1 - (w->win + w->head));
            w->head += skip;
            return 0;
        }
        if (w->len - w->head > 8) {
            size_t drop = w->len - w->head - 8;
            w->head += drop;
        }
        w->win_base += w->head;
        memmove(w->win, w->win + w->head, w->len - w->head);
        w->len -= w->head;
        w->head = 0;
        if ((rc = pull_plain(w)) == PULL_END) {
            w->head = w->len;
            return 0;
        }
        if (rc == PULL_ERR) return -1;
    }
}

/* One record of the current unit. @return CLI_WARC_RECORD, CLI_WARC_EOF
 * (nothing more in the unit), CLI_WARC_BAD, CLI_WARC_FATAL. */
static int record(cli_warc *w, cli_warc_record *r)
{
    size_t hlen = 0;
    int rc = skip_blank(w);
    memset(r, 0, sizeof *r);
    if (rc == PULL_END) return CLI_WARC_EOF;
    r->offset = w->gz ? w->member_start : w->win_base + w->head;
    w->bad_offset = r->offset;
    if (rc == PULL_OK) rc = read_header(w, r, &hlen);
    if (rc == PULL_OK) rc = read_block(w, r, hlen);
    if (rc == PULL_OK) {
        size_t at[8 + CLI_WARC_MAX_LINKS];
        keep_offsets(w, r, at, 0);
        rc = unit_end(w, r); /* may move the window */
        keep_offsets(w, r, at, 1);
    }
    if (rc == PULL_OK) return CLI_WARC_RECORD;
    return w->fatal ? CLI_WARC_FATAL : CLI_WARC_BAD;
}

int cli_warc_next(cli_warc *w, cli_warc_record *r)
{
    for (;;) {
        int rc;
        w->head += w->pending; /* the previous record, now done with */
        w->pending = 0;
        w->zerr = 0;
        if (w->gz && (!w->member_open || (w->member_done && w->head == w->len))) {
            w->member_open = 0;
            rc = member_begin(w);
            if (rc == 0) return CLI_WARC_EOF;
            if (rc < 0) return CLI_WARC_FATAL;
            if (rc == CLI_WARC_BAD) {
                int quiet = w->searching; /* junk met while searching is part of the damage */
                w->bad_offset = w->member_start;
                if (recover(w) < 0) return CLI_WARC_FATAL;
                if (quiet) continue;
                return CLI_WARC_BAD;
            }
        }
        rc = record(w, r);
        if (rc == CLI_WARC_RECORD) {
            w->searching = 0;
            return rc;
        }
        if (rc == CLI_WARC_EOF) {
            if (!w->gz) return CLI_WARC_EOF;
            w->member_open = 0; /* an empty member: go on */
            continue;
        }
        if (rc == CLI_WARC_FATAL) return rc;
        {
            int quiet = w->searching && w->zerr;
            if (recover(w) < 0) return CLI_WARC_FATAL;
            if (quiet) continue; /* a false gzip magic met while searching */
            return CLI_WARC_BAD;
        }
    }
}
