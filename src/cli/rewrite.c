/* Merge and prune: a new store beside the old (see rewrite.h). Public API only. */
#define _POSIX_C_SOURCE 200809L
#include "rewrite.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void rw_say(cli_rewrite_io *io, const char *fmt, ...)
{
    va_list ap;
    if (!io->msg || !io->size) return;
    va_start(ap, fmt);
    vsnprintf(io->msg, io->size, fmt, ap);
    va_end(ap);
}

/* A failure described by the store's own message. @return rc. */
static int rw_store_error(cli_rewrite_io *io, const nd_store *s, int rc)
{
    rw_say(io, "%s", s ? nd_store_errmsg(s) : "");
    return rc;
}

/* Opens a store; a recovery done when opening is noted. */
static nd_store *rw_open(cli_rewrite_io *io, const char *path, nd_store_mode mode, const nd_ctx *ctx, int *rc)
{
    nd_store *s = NULL;
    if ((*rc = nd_store_open(&s, path, mode, ctx)) != ND_OK) {
        rw_store_error(io, s, *rc);
        nd_store_close(s);
        return NULL;
    }
    if (nd_store_errmsg(s)[0] && io->note) io->note(1, nd_store_errmsg(s), io->payload);
    return s;
}

/* A new store in a temporary file next to `path`, to be renamed over it. */
typedef struct rw_file {
    char *tmp;
    nd_store *s;
} rw_file;

static int rw_begin(cli_rewrite_io *io, rw_file *w, const char *path, const nd_ctx *ctx)
{
    size_t n = strlen(path) + 16;
    int rc;
    w->s = NULL;
    if (!(w->tmp = malloc(n))) return ND_E_NOMEM;
    snprintf(w->tmp, n, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(w->tmp);
    if (fd < 0) {
        rw_say(io, "%s: %s", w->tmp, strerror(errno));
        free(w->tmp);
        w->tmp = NULL;
        return ND_E_IO;
    }
    mode_t mask = umask(0); /* mkstemp makes 0600; a store is made like any file */
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    close(fd);
    w->s = rw_open(io, w->tmp, ND_STORE_CREATE, ctx, &rc);
    return rc;
}

/* When ok, commits and renames into place (@return its error); else, or
 * when that fails, removes the temporary file. */
static int rw_end(cli_rewrite_io *io, rw_file *w, const char *path, int ok)
{
    int rc = ND_OK;
    if (!w->tmp) return ND_OK;
    if (ok && !w->s) rc = ND_E_IO;
    if (ok && w->s && (rc = nd_store_commit(w->s))) rw_store_error(io, w->s, rc);
    nd_store_close(w->s);
    w->s = NULL;
    if (ok && !rc && rename(w->tmp, path)) {
        rw_say(io, "%s: %s", path, strerror(errno));
        rc = ND_E_IO;
    }
    if (!ok || rc) unlink(w->tmp);
    free(w->tmp);
    w->tmp = NULL;
    return rc;
}

static int rw_copy(cli_rewrite_io *io, nd_store *from, nd_store *to, const unsigned char *keep)
{
    size_t n = nd_store_count(from);
    for (size_t i = 0; i < n; i++) {
        nd_store_record r;
        if (keep && !keep[i]) continue;
        int rc = nd_store_get(from, i, &r);
        if (rc) return rw_store_error(io, from, rc);
        if ((rc = nd_store_append_record(to, &r))) return rw_store_error(io, to, rc);
    }
    return ND_OK;
}

/* A context of the store's parameters. */
static nd_ctx *rw_ctx(cli_rewrite_io *io, nd_store *s, int *rc)
{
    nd_params p;
    nd_ctx *ctx = NULL;
    char msg[160] = "";
    if ((*rc = nd_store_params(s, &p))) return rw_store_error(io, s, *rc), NULL;
    if ((*rc = nd_ctx_create2(&ctx, &p, NULL, msg, sizeof msg))) rw_say(io, "%s", msg);
    return ctx;
}

int cli_merge_stores(const char *out, nd_store *const *in, size_t n, size_t *out_docs, cli_rewrite_io *io)
{
    rw_file w = { NULL, NULL };
    nd_ctx *ctx = NULL;
    size_t docs = 0;
    int rc = n ? ND_OK : ND_E_INVALID;
    for (size_t i = 1; i < n && !rc; i++)
        if ((rc = nd_store_compatible(in[i], in[0]))) rw_store_error(io, in[i], rc);
    if (!rc) ctx = rw_ctx(io, in[0], &rc);
    if (!rc) rc = rw_begin(io, &w, out, ctx);
    for (size_t i = 0; i < n && !rc; i++) {
        rc = rw_copy(io, in[i], w.s, NULL);
        docs += nd_store_count(in[i]);
    }
    int crc = rw_end(io, &w, out, !rc);
    if (!rc) rc = crc;
    nd_ctx_free(ctx);
    if (out_docs) *out_docs = rc ? 0 : docs;
    return rc;
}

typedef struct rw_age {
    int64_t time;
    size_t index;
} rw_age;

static int rw_newest_first(const void *pa, const void *pb)
{
    const rw_age *a = pa, *b = pb;
    if (a->time != b->time) return a->time > b->time ? -1 : 1;
    return a->index > b->index ? -1 : a->index < b->index; /* later = newer */
}

/* keep[i] for every document (see cli_prune_rule); *kept their number. */
static int rw_select(cli_rewrite_io *io, nd_store *s, const cli_prune_rule *r, unsigned char *keep, size_t *kept)
{
    size_t n = nd_store_count(s), m = 0;
    rw_age *ages = malloc((n ? n : 1) * sizeof *ages);
    if (!ages) return ND_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        nd_store_record rec;
        int rc = nd_store_get(s, i, &rec);
        if (rc) {
            free(ages);
            return rw_store_error(io, s, rc);
        }
        keep[i] = !r->have_before || rec.time >= r->before;
        if (keep[i]) ages[m++] = (rw_age){ rec.time, i };
    }
    if (r->have_keep && r->keep < m) {
        qsort(ages, m, sizeof *ages, rw_newest_first);
        for (size_t j = (size_t)r->keep; j < m; j++) keep[ages[j].index] = 0;
        m = (size_t)r->keep;
    }
    free(ages);
    *kept = m;
    return ND_OK;
}

/* Removes the temporary files (PATH.tmp.XXXXXX) of a prune that was killed
 * before its rename, noting each. Called holding the store's lock: a running
 * prune holds it while its temporary file exists, so none found then is in
 * use. */
static void rw_leftovers(cli_rewrite_io *io, const char *store)
{
    const char *slash = strrchr(store, '/');
    const char *base = slash ? slash + 1 : store;
    size_t dlen = slash ? (size_t)(slash - store) : 0, blen = strlen(base);
    char dir[4096], path[4096 + 256], note[4096 + 320];
    if (dlen >= sizeof dir) return;
    if (!slash) strcpy(dir, ".");
    else if (!dlen) strcpy(dir, "/");
    else {
        memcpy(dir, store, dlen);
        dir[dlen] = '\0';
    }
    DIR *d = opendir(dir);
    if (!d) return;
    for (struct dirent *e; (e = readdir(d));) {
        const char *n = e->d_name;
        if (strncmp(n, base, blen) || strncmp(n + blen, ".tmp.", 5) || strlen(n + blen + 5) != 6) continue;
        snprintf(path, sizeof path, "%s/%s", dir, n);
        if (unlink(path) == 0 && io->note) {
            snprintf(note, sizeof note, "removed %s, left by an interrupted prune", path);
            io->note(0, note, io->payload);
        }
    }
    closedir(d);
}

int cli_prune_store(const char *path, const cli_prune_rule *rule, size_t *out_kept, size_t *out_total,
                    cli_rewrite_io *io)
{
    rw_file w = { NULL, NULL };
    nd_ctx *ctx = NULL;
    unsigned char *keep = NULL;
    size_t kept = 0, n = 0;
    int rc;
    nd_store *s = rw_open(io, path, ND_STORE_READ, NULL, &rc);
    if (s) ctx = rw_ctx(io, s, &rc);
    nd_store_close(s);
    s = NULL;
    /* opened for appending: the lock keeps appenders out until the rename */
    if (!rc) s = rw_open(io, path, ND_STORE_APPEND, ctx, &rc);
    if (s) rw_leftovers(io, path);
    if (s) n = nd_store_count(s);
    if (!rc && !(keep = malloc(n ? n : 1))) rc = ND_E_NOMEM;
    if (!rc) rc = rw_select(io, s, rule, keep, &kept);
    if (!rc) rc = rw_begin(io, &w, path, ctx);
    if (!rc) rc = rw_copy(io, s, w.s, keep);
    int crc = rw_end(io, &w, path, !rc);
    if (!rc) rc = crc;
    nd_store_close(s); /* after the rename: releases the old file's lock */
    nd_ctx_free(ctx);
    free(keep);
    if (out_kept) *out_kept = kept;
    if (out_total) *out_total = n;
    return rc;
}
