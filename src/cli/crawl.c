/* Crawled documents' WARC fields, by id (see crawl.h). */
#define _POSIX_C_SOURCE 200809L
#include "crawl.h"

#include <stdlib.h>
#include <string.h>

static size_t keep(cli_crawl *c, const char *s, size_t n)
{
    size_t at = c->bytes.len;
    if (n && s) {
        memcpy(c->bytes.data + at, s, n);
        c->bytes.len += n;
    }
    return at;
}

static int path_index(cli_crawl *c, const char *path, size_t *out)
{
    if (c->npaths && strcmp(c->paths[c->npaths - 1], path) == 0) {
        *out = c->npaths - 1;
        return 0;
    }
    if (c->npaths == c->paths_cap) {
        size_t cap = c->paths_cap ? c->paths_cap * 2 : 8;
        char **p = realloc(c->paths, cap * sizeof *p);
        if (p == NULL) return -1;
        c->paths = p;
        c->paths_cap = cap;
    }
    if ((c->paths[c->npaths] = strdup(path)) == NULL) return -1;
    *out = c->npaths++;
    return 0;
}

void cli_crawl_add(cli_crawl *c, const cli_doc *d)
{
    cli_crawl_entry *e;
    size_t path;
    if (!d->has_warc || c->failed) return;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        cli_crawl_entry *ne = realloc(c->e, cap * sizeof *ne);
        if (ne == NULL) goto nomem;
        c->e = ne;
        c->cap = cap;
    }
    if (path_index(c, d->path, &path) != 0 ||
        cli_buf_reserve(&c->bytes, d->id_len + d->url_len + d->warc_record_id_len) != 0)
        goto nomem;
    e = &c->e[c->n++];
    e->id = keep(c, d->id, d->id_len);
    e->id_len = d->id_len;
    e->url = keep(c, d->url, d->url_len);
    e->url_len = d->url ? d->url_len : 0;
    e->rid = keep(c, d->warc_record_id, d->warc_record_id_len);
    e->rid_len = d->warc_record_id ? d->warc_record_id_len : 0;
    e->path = path;
    e->offset = d->warc_offset;
    c->sorted = 0;
    return;
nomem:
    c->failed = 1;
}

static int cmp_id(const void *a, const void *b)
{
    const cli_crawl_entry *x = a, *y = b;
    size_t n = x->id_len < y->id_len ? x->id_len : y->id_len;
    int r = memcmp(x->key, y->key, n);
    return r ? r : (x->id_len > y->id_len) - (x->id_len < y->id_len);
}

void cli_crawl_seal(cli_crawl *c)
{
    if (c->sorted || c->n == 0) return;
    for (size_t i = 0; i < c->n; i++) /* the bytes no longer move: pointers for qsort */
        c->e[i].key = c->bytes.data + c->e[i].id;
    qsort(c->e, c->n, sizeof *c->e, cmp_id);
    c->sorted = 1;
}

const cli_crawl_entry *cli_crawl_fill(cli_crawl *c, cli_doc *d)
{
    size_t lo = 0, hi = c->n;
    if (c->n == 0) return NULL;
    cli_crawl_seal(c);
    while (lo < hi) { /* ids are unique in a run */
        size_t mid = lo + (hi - lo) / 2, n;
        const cli_crawl_entry *e = &c->e[mid];
        int r;
        n = e->id_len < d->id_len ? e->id_len : d->id_len;
        r = memcmp(c->bytes.data + e->id, d->id, n);
        if (r == 0) r = (e->id_len > d->id_len) - (e->id_len < d->id_len);
        if (r == 0) {
            d->has_warc = 1;
            d->url = e->url_len ? c->bytes.data + e->url : NULL;
            d->url_len = e->url_len;
            d->warc_record_id = e->rid_len ? c->bytes.data + e->rid : NULL;
            d->warc_record_id_len = e->rid_len;
            d->warc_offset = e->offset;
            d->path = c->paths[e->path];
            return e;
        }
        if (r < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

void cli_crawl_free(cli_crawl *c)
{
    size_t i;
    for (i = 0; i < c->npaths; i++) free(c->paths[i]);
    free(c->paths);
    free(c->e);
    cli_buf_free(&c->bytes);
    memset(c, 0, sizeof *c);
}
