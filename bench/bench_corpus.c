/*
 * Loading and replicating the benchmark corpus (see bench_corpus.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench_corpus.h"
#include "internal.h"
#include "json.h"

/* Grows *p (cap elements of elem bytes) to hold need elements, doubling. */
static int bench_grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t ncap = *cap ? *cap : 1024;
    while (ncap < need) ncap *= 2;
    void *np = realloc(*p, ncap * elem);
    if (!np) return -1;
    *p = np;
    *cap = ncap;
    return 0;
}

static int bench_put_text(bench_corpus *c, const char *s, size_t n)
{
    if (bench_grow((void **)&c->text, &c->text_cap, c->text_len + n, 1)) return -1;
    memcpy(c->text + c->text_len, s, n);
    c->text_len += n;
    return 0;
}

static int bench_put_name(bench_corpus *c, const char *s, size_t n)
{
    if (bench_grow((void **)&c->names, &c->names_cap, c->names_len + n, 1)) return -1;
    memcpy(c->names + c->names_len, s, n);
    c->names_len += n;
    return 0;
}

/* Appends a document record whose text, id and source were just appended
 * to the arenas (they end at the arenas' current lengths). */
static int bench_push_doc(bench_corpus *c, size_t text_len, size_t id_len, size_t src_len)
{
    if (bench_grow((void **)&c->docs, &c->doc_cap, c->ndocs + 1, sizeof *c->docs)) return -1;
    bench_doc *d = &c->docs[c->ndocs++];
    d->off = c->text_len - text_len;
    d->len = text_len;
    d->src_off = c->names_len - src_len;
    d->src_len = src_len;
    d->id_off = d->src_off - id_len;
    d->id_len = id_len;
    return 0;
}

void bench_corpus_free(bench_corpus *c)
{
    free(c->text);
    free(c->names);
    free(c->docs);
    memset(c, 0, sizeof *c);
}

static char *bench_read_file(const char *path, size_t *len, char *err, size_t errsz)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;
    if (!f) {
        snprintf(err, errsz, "%s: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) { /* no fstat: works on pipes and /dev/stdin too */
        if (bench_grow((void **)&buf, &cap, n + (1u << 20), 1)) break;
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f) || !buf;
    fclose(f);
    if (bad) {
        snprintf(err, errsz, "%s: cannot read", path);
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* Appends a JSON value as a name: a string unescaped, anything else as written. */
static int bench_put_json_name(bench_corpus *c, const char *line, const cli_json_member *m,
                               cli_buf *tmp, size_t *out_len)
{
    *out_len = 0;
    if (m->type == CLI_JSON_ABSENT) return 0;
    if (m->type != CLI_JSON_STRING) {
        *out_len = m->len;
        return bench_put_name(c, line + m->off, m->len);
    }
    if (cli_json_unescape(tmp, line + m->off, m->len, NULL)) return -1;
    *out_len = tmp->len;
    return bench_put_name(c, tmp->data, tmp->len);
}

/* One JSONL line. @return 0 added, 1 skipped, -1 out of memory. */
static int bench_jsonl_line(bench_corpus *c, const char *line, size_t len, cli_buf *tmp)
{
    cli_json_member m[3] = { { .key = "text", .key_len = 4 }, { .key = "id", .key_len = 2 },
                             { .key = "source", .key_len = 6 } };
    if (cli_json_scan_object(line, len, m, 3, NULL) || m[0].type != CLI_JSON_STRING) return 1;
    if (cli_json_unescape(tmp, line + m[0].off, m[0].len, NULL)) return 1;
    size_t text_len = tmp->len, id_len, src_len;
    if (bench_put_text(c, tmp->data, text_len)) return -1;
    if (m[1].type == CLI_JSON_ABSENT) { /* like the CLI: no id, the document's number */
        char num[32];
        id_len = (size_t)snprintf(num, sizeof num, "%zu", c->ndocs);
        if (bench_put_name(c, num, id_len)) return -1;
    } else if (bench_put_json_name(c, line, &m[1], tmp, &id_len)) {
        return -1;
    }
    if (bench_put_json_name(c, line, &m[2], tmp, &src_len)) return -1;
    return bench_push_doc(c, text_len, id_len, src_len);
}

static int bench_load_jsonl(bench_corpus *c, const char *buf, size_t n)
{
    cli_buf tmp = CLI_BUF_INIT;
    int rc = 0;
    for (size_t pos = 0; pos < n && rc >= 0;) {
        const char *nl = memchr(buf + pos, '\n', n - pos);
        size_t end = nl ? (size_t)(nl - buf) : n, len = end - pos;
        while (len && (buf[pos + len - 1] == '\r' || buf[pos + len - 1] == ' ')) len--;
        if (len) {
            rc = bench_jsonl_line(c, buf + pos, len, &tmp);
            c->skipped += rc == 1;
        }
        pos = end + 1;
    }
    cli_buf_free(&tmp);
    return rc < 0 ? -1 : 0;
}

static int bench_text_doc(bench_corpus *c, const char *s, size_t n)
{
    char num[32];
    size_t id_len = (size_t)snprintf(num, sizeof num, "%zu", c->ndocs);
    if (bench_put_text(c, s, n) || bench_put_name(c, num, id_len)) return -1;
    return bench_push_doc(c, n, id_len, 0);
}

/* Documents separated by lines holding only "\f" (news.txt's convention). */
static int bench_load_text(bench_corpus *c, const char *buf, size_t n)
{
    size_t start = 0;
    for (size_t pos = 0; pos < n;) {
        const char *nl = memchr(buf + pos, '\n', n - pos);
        size_t end = nl ? (size_t)(nl - buf) : n, len = end - pos;
        if (len && buf[pos] == '\f' && (len == 1 || (len == 2 && buf[pos + 1] == '\r'))) {
            if (bench_text_doc(c, buf + start, pos - start)) return -1;
            start = end + 1 < n ? end + 1 : n;
        }
        pos = end + 1;
    }
    return (start < n || c->ndocs == 0) ? bench_text_doc(c, buf + start, n - start) : 0;
}

static int bench_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

int bench_corpus_load(bench_corpus *c, const char *path, char *err, size_t errsz)
{
    size_t n = 0;
    char *buf = bench_read_file(path, &n, err, errsz);
    if (!buf) return -1;
    int rc = bench_ends_with(path, ".jsonl") ? bench_load_jsonl(c, buf, n) : bench_load_text(c, buf, n);
    free(buf);
    if (rc) snprintf(err, errsz, "%s: out of memory", path);
    else if (c->ndocs == 0) snprintf(err, errsz, "%s: no document", path), rc = -1;
    return rc;
}

/* ---- replicas --------------------------------------------------------------- */

static int bench_is_letter(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* Finds word number `pick` (a word is a run of 2+ ASCII letters) and sets
 * *at to its first byte. @return the number of words before it (all of
 * them when pick is past the last). */
static size_t bench_find_word(const char *s, size_t n, size_t pick, size_t *at)
{
    size_t words = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && bench_is_letter((unsigned char)s[j])) j++;
        if (j - i >= 2 && words++ == pick) {
            *at = i;
            return pick;
        }
        i = j > i ? j : i + 1;
    }
    return words;
}

/* Changes the first letter of one word chosen at random into another letter
 * of the same case: one token changes (so at most w shingles do), the
 * length and every offset stay, and the paragraph stays a near-duplicate. */
static void bench_vary_paragraph(char *s, size_t n, uint64_t *rng)
{
    size_t at = 0, words = bench_find_word(s, n, SIZE_MAX, &at);
    if (!words) return;
    bench_find_word(s, n, (size_t)(bench_rand(rng) % words), &at);
    unsigned char ch = (unsigned char)s[at], base = ch >= 'a' ? 'a' : 'A';
    s[at] = (char)(base + (ch - base + 1 + bench_rand(rng) % 25) % 26);
}

/* Varies every paragraph of one document, as the library segments it. */
static int bench_vary_doc(char *text, size_t len, uint64_t seed, nd__span **spans, size_t *cap)
{
    size_t count = 0;
    nd_seg_mode used;
    uint64_t rng = seed;
    if (nd__segment(nd__default_allocator(), text, len, ND_SEG_AUTO, spans, &count, cap, &used))
        return -1;
    for (size_t i = 0; i < count; i++) bench_vary_paragraph(text + (*spans)[i].off, (*spans)[i].len, &rng);
    return 0;
}

static int bench_copy_doc(bench_corpus *out, const bench_corpus *in, const bench_doc *d, unsigned r)
{
    char suffix[16];
    size_t slen = r ? (size_t)snprintf(suffix, sizeof suffix, "#%u", r) : 0;
    if (bench_put_text(out, in->text + d->off, d->len)
        || bench_put_name(out, in->names + d->id_off, d->id_len)
        || bench_put_name(out, suffix, slen)
        || bench_put_name(out, in->names + d->src_off, d->src_len))
        return -1;
    return bench_push_doc(out, d->len, d->id_len + slen, d->src_len);
}

int bench_corpus_replicate(bench_corpus *out, const bench_corpus *in, unsigned factor, uint64_t seed)
{
    nd__span *spans = NULL;
    size_t cap = 0;
    int rc = 0;
    memset(out, 0, sizeof *out);
    /* reserve the final sizes at once: no doubling past what is needed */
    if (bench_grow((void **)&out->text, &out->text_cap, in->text_len * factor, 1)
        || bench_grow((void **)&out->docs, &out->doc_cap, in->ndocs * factor, sizeof *out->docs))
        rc = -1;
    for (unsigned r = 0; r < factor && !rc; r++) {
        for (size_t i = 0; i < in->ndocs && !rc; i++) {
            rc = bench_copy_doc(out, in, &in->docs[i], r);
            if (!rc && r) {
                bench_doc *d = &out->docs[out->ndocs - 1];
                uint64_t s = seed ^ ((uint64_t)r << 40) ^ i;
                rc = bench_vary_doc(out->text + d->off, d->len, s, &spans, &cap);
            }
        }
    }
    nd__free(nd__default_allocator(), spans);
    if (rc) bench_corpus_free(out);
    return rc;
}
