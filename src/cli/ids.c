/* Unique ids in a run (see ids.h). */
#define _POSIX_C_SOURCE 200809L
#include "ids.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t id_hash(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a: ids are short, and matches are compared */
    size_t i;

    for (i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3u;
    return h ^ (h >> 29);
}

/* @return the entry holding id s[0..n), or NULL. */
static cli_id_entry *ids_find(cli_ids *t, const char *s, size_t n, uint64_t h)
{
    size_t mask = t->nslots - 1, i;

    if (t->nslots == 0)
        return NULL;
    for (i = (size_t)h & mask; t->slots[i] != 0; i = (i + 1) & mask) {
        cli_id_entry *e = &t->e[t->slots[i] - 1];
        if (e->hash == h && e->len == n && memcmp(t->bytes.data + e->off, s, n) == 0)
            return e;
    }
    return NULL;
}

/* Keeps the table at most half full. @return 0 or -1 (out of memory). */
static int ids_grow(cli_ids *t)
{
    size_t nslots = t->nslots ? t->nslots * 2 : 1024, i, *slots;

    if (t->n + 1 <= t->nslots / 2)
        return 0;
    if ((slots = calloc(nslots, sizeof *slots)) == NULL)
        return -1;
    for (i = 0; i < t->n; i++) {
        size_t j = (size_t)t->e[i].hash & (nslots - 1);
        while (slots[j] != 0)
            j = (j + 1) & (nslots - 1);
        slots[j] = i + 1;
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = nslots;
    return 0;
}

/* Remembers the file being read, once, for the messages about its ids. */
static int ids_file(cli_ids *t, const char *path)
{
    if (t->file_open)
        return 0;
    if (t->nfiles == t->files_cap) {
        size_t cap = t->files_cap ? t->files_cap * 2 : 16;
        char **f = realloc(t->files, cap * sizeof *f);
        if (f == NULL)
            return -1;
        t->files = f;
        t->files_cap = cap;
    }
    if ((t->files[t->nfiles] = strdup(path)) == NULL)
        return -1;
    t->nfiles++;
    t->file_open = 1;
    return 0;
}

/* Adds id s[0..n) (known to be absent) seen in the current file. */
static int ids_add(cli_ids *t, const char *s, size_t n, uint64_t h, size_t line)
{
    cli_id_entry *e;
    size_t j;

    if (ids_grow(t) != 0 || cli_buf_reserve(&t->bytes, n) != 0)
        return -1;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        cli_id_entry *ne = realloc(t->e, cap * sizeof *ne);
        if (ne == NULL)
            return -1;
        t->e = ne;
        t->cap = cap;
    }
    e = &t->e[t->n];
    e->hash = h;
    e->off = t->bytes.len;
    e->len = n;
    e->file = t->nfiles - 1;
    e->line = line;
    e->next_n = 2;
    e->renamed = 0;
    memcpy(t->bytes.data + t->bytes.len, s, n);
    t->bytes.len += n;
    for (j = (size_t)h & (t->nslots - 1); t->slots[j] != 0; j = (j + 1) & (t->nslots - 1))
        ;
    t->slots[j] = ++t->n;
    return 0;
}

/* Writes into t->renamed the first "ID#N" not in use, N from the first
 * holder's next_n. @return 0 or -1 (out of memory). */
static int ids_rename(cli_ids *t, size_t first, const char *s, size_t n)
{
    for (;;) {
        size_t k = t->e[first].next_n++;
        int w;

        t->renamed.len = 0;
        if (cli_buf_reserve(&t->renamed, n + 24) != 0)
            return -1;
        memcpy(t->renamed.data, s, n);
        w = snprintf(t->renamed.data + n, 24, "#%zu", k);
        t->renamed.len = n + (size_t)w;
        if (!ids_find(t, t->renamed.data, t->renamed.len, id_hash(t->renamed.data, t->renamed.len)))
            return 0;
    }
}

int cli_ids_check(cli_ids *t, const char *path, size_t line, const char **id, size_t *id_len,
                  cli_id_repeat *out)
{
    uint64_t h = id_hash(*id, *id_len);
    cli_id_entry *e;
    size_t first;

    if (t->failed)
        return CLI_ID_KEPT;
    if (ids_file(t, path) != 0)
        goto nomem;
    if ((e = ids_find(t, *id, *id_len, h)) == NULL) {
        if (ids_add(t, *id, *id_len, h, line) != 0)
            goto nomem;
        return CLI_ID_KEPT;
    }
    first = (size_t)(e - t->e);
    if (ids_rename(t, first, *id, *id_len) != 0)
        goto nomem;
    e = &t->e[first];
    out->path = t->files[e->file];
    out->line = e->line;
    out->renamed = e->renamed;
    *id = t->renamed.data;
    *id_len = t->renamed.len;
    if (ids_add(t, *id, *id_len, id_hash(*id, *id_len), line) != 0)
        t->failed = 1; /* renamed all the same; the caller warns about both */
    else
        t->e[t->n - 1].renamed = 1;
    return CLI_ID_RENAMED;
nomem:
    t->failed = 1;
    return CLI_ID_NOMEM;
}

void cli_ids_new_file(cli_ids *t)
{
    t->file_open = 0;
}

void cli_ids_reset(cli_ids *t)
{
    size_t i;

    if (t->nslots)
        memset(t->slots, 0, t->nslots * sizeof *t->slots);
    for (i = 0; i < t->nfiles; i++)
        free(t->files[i]);
    t->n = t->nfiles = 0;
    t->bytes.len = 0;
    t->file_open = t->failed = 0;
}

void cli_ids_free(cli_ids *t)
{
    cli_ids_reset(t);
    free(t->slots);
    free(t->e);
    free(t->files);
    cli_buf_free(&t->bytes);
    cli_buf_free(&t->renamed);
    memset(t, 0, sizeof *t);
}
