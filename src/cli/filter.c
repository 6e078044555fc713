/* `neardup filter` (see filter.h). */
#define _POSIX_C_SOURCE 200809L
#include "filter.h"
#include "warc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* A dropped document's record: input index, offset, record id. */
typedef struct drop {
    size_t input;
    uint64_t offset;
    size_t rid, rid_len; /* in the filter's bytes */
} drop;

typedef struct filter {
    char *const *inputs;
    size_t ninputs;
    drop *d;
    size_t nd;
    cli_buf bytes;      /* record ids */
    size_t *links;      /* ids tied to dropped records: offsets in bytes, sorted */
    size_t *link_lens;
    size_t nlinks, links_cap;
    size_t kept, dropped, linked, units, malformed;
    unsigned long long written;
    FILE *out;
    const char *out_path;
} filter;

int cli_filter_check(char *const *inputs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        int fd = open(inputs[i], O_RDONLY | O_CLOEXEC | O_NONBLOCK), gz, ok;
        ok = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && cli_warc_sniff(fd, &gz);
        if (fd >= 0) close(fd);
        if (!ok) {
            fprintf(stderr, "neardup: %s: %s\nTry 'neardup filter --help'.\n", inputs[i],
                    fd < 0 ? strerror(errno) : "filter reads WARC files only (.warc, .warc.gz)");
            return -1;
        }
    }
    return 0;
}

static size_t keep_bytes(filter *f, const char *s, size_t n)
{
    size_t at = f->bytes.len;
    if (n == 0) return at;
    if (cli_buf_reserve(&f->bytes, n) != 0) return (size_t)-1;
    memcpy(f->bytes.data + at, s, n);
    f->bytes.len += n;
    return at;
}

static int cmp_drop(const void *a, const void *b)
{
    const drop *x = a, *y = b;
    if (x->input != y->input) return x->input < y->input ? -1 : 1;
    return (x->offset > y->offset) - (x->offset < y->offset);
}

/* The records of every document that is not its cluster's representative. */
static int find_drops(filter *f, const nd_corpus *c, cli_crawl *crawl)
{
    size_t n = nd_corpus_count(c);
    if ((f->d = calloc(n ? n : 1, sizeof *f->d)) == NULL) return -1;
    for (size_t i = 0; i < n; i++) {
        nd_doc_info info = ND_DOC_INFO_INIT;
        cli_doc d;
        memset(&d, 0, sizeof d);
        nd_corpus_doc(c, i, &info);
        if (info.cluster == i || nd_corpus_doc_id(c, i, &d.id, &d.id_len) != ND_OK) continue;
        if (!cli_crawl_fill(crawl, &d)) continue;
        for (size_t k = 0; k < f->ninputs; k++) {
            if (strcmp(f->inputs[k], d.path) != 0) continue;
            drop *e = &f->d[f->nd++];
            e->input = k;
            e->offset = d.warc_offset;
            e->rid_len = d.warc_record_id_len;
            if ((e->rid = keep_bytes(f, d.warc_record_id, d.warc_record_id_len)) == (size_t)-1) return -1;
            break;
        }
    }
    qsort(f->d, f->nd, sizeof *f->d, cmp_drop);
    return 0;
}

static int same(const filter *f, size_t off, size_t len, cli_str s)
{
    return s.p && len == s.n && memcmp(f->bytes.data + off, s.p, len) == 0;
}

/* Whether record r of input k is a dropped document's own record. */
static int is_dropped(const filter *f, size_t k, const cli_warc_record *r)
{
    size_t lo = 0, hi = f->nd;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const drop *e = &f->d[mid];
        if (e->input < k || (e->input == k && e->offset < r->offset)) lo = mid + 1;
        else hi = mid;
    }
    /* several records may share one gzip member's offset: the id tells them apart */
    for (; lo < f->nd && f->d[lo].input == k && f->d[lo].offset == r->offset; lo++)
        if (f->d[lo].rid_len == 0 || same(f, f->d[lo].rid, f->d[lo].rid_len, r->h.record_id)) return 1;
    return 0;
}

static int add_link(filter *f, cli_str id)
{
    size_t at;
    if (!id.p || id.n == 0) return 0;
    if (f->nlinks == f->links_cap) {
        size_t cap = f->links_cap ? f->links_cap * 2 : 64;
        size_t *a = realloc(f->links, cap * sizeof *a), *b;
        if (a == NULL) return -1;
        f->links = a;
        if ((b = realloc(f->link_lens, cap * sizeof *b)) == NULL) return -1;
        f->link_lens = b;
        f->links_cap = cap;
    }
    if ((at = keep_bytes(f, id.p, id.n)) == (size_t)-1) return -1;
    f->links[f->nlinks] = at;
    f->link_lens[f->nlinks++] = id.n;
    return 0;
}

static int is_linked(const filter *f, cli_str id)
{
    if (!id.p) return 0;
    for (size_t i = 0; i < f->nlinks; i++) /* dropped copies are few; a scan is enough */
        if (same(f, f->links[i], f->link_lens[i], id)) return 1;
    return 0;
}

/* Opens input k for reading records. @return the reader, or NULL (printed). */
static cli_warc *open_input(const filter *f, size_t k, int *fd, int *gz)
{
    cli_warc *w = NULL;
    *fd = open(f->inputs[k], O_RDONLY | O_CLOEXEC);
    if (*fd < 0 || !cli_warc_sniff(*fd, gz) || (w = cli_warc_open(*fd, *gz)) == NULL) {
        fprintf(stderr, "neardup: %s: cannot read again: %s\n", f->inputs[k],
                *fd < 0 ? strerror(errno) : "no longer WARC, or out of memory");
        if (*fd >= 0) close(*fd);
        return NULL;
    }
    return w;
}

/* Pass 1 of 2: the ids tied to dropped records (their own, and those their
 * WARC-Concurrent-To names). */
static int collect_links(filter *f)
{
    for (size_t k = 0; k < f->ninputs; k++) {
        int fd, gz, rc;
        cli_warc_record r;
        cli_warc *w = open_input(f, k, &fd, &gz);
        if (w == NULL) return -1;
        while ((rc = cli_warc_next(w, &r)) != CLI_WARC_EOF && rc != CLI_WARC_FATAL) {
            if (rc != CLI_WARC_RECORD || !is_dropped(f, k, &r)) continue;
            if (add_link(f, r.h.record_id) != 0) rc = CLI_WARC_FATAL;
            for (size_t i = 0; i < r.h.nconcurrent && rc != CLI_WARC_FATAL; i++)
                if (add_link(f, r.h.concurrent_to[i]) != 0) rc = CLI_WARC_FATAL;
            if (rc == CLI_WARC_FATAL) break;
        }
        cli_warc_close(w);
        close(fd);
        if (rc == CLI_WARC_FATAL) {
            fprintf(stderr, "neardup: %s: %s\n", f->inputs[k], "read error or out of memory");
            return -1;
        }
    }
    return 0;
}

static int tied(const filter *f, const cli_warc_record *r)
{
    if (r->h.type != CLI_WARC_REQUEST && r->h.type != CLI_WARC_METADATA && r->h.type != CLI_WARC_REVISIT)
        return 0;
    if (is_linked(f, r->h.record_id) || is_linked(f, r->h.refers_to)) return 1;
    for (size_t i = 0; i < r->h.nconcurrent; i++)
        if (is_linked(f, r->h.concurrent_to[i])) return 1;
    return 0;
}

/* Copies bytes [from, to) of fd to the output, gzip-compressed into one
 * member when `compress`. @return 0 or -1 (errno). */
static int copy_unit(filter *f, int fd, uint64_t from, uint64_t to, int compress)
{
    unsigned char in[1 << 16], out[1 << 16];
    z_stream zs;
    int rc = 0, flush = Z_NO_FLUSH;
    memset(&zs, 0, sizeof zs);
    if (compress && deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) return -1;
    while (rc == 0 && (from < to || (compress && flush != Z_FINISH))) {
        size_t want = to - from < sizeof in ? (size_t)(to - from) : sizeof in;
        ssize_t got = want ? pread(fd, in, want, (off_t)from) : 0;
        if (got < 0 || (want && got == 0)) {
            if (got == 0) errno = EIO; /* the file shrank */
            rc = -1;
            break;
        }
        from += (uint64_t)got;
        if (!compress) {
            if (fwrite(in, 1, (size_t)got, f->out) != (size_t)got) rc = -1;
            f->written += (unsigned long long)got;
            continue;
        }
        flush = from == to ? Z_FINISH : Z_NO_FLUSH;
        zs.next_in = in;
        zs.avail_in = (uInt)got;
        do {
            size_t n;
            zs.next_out = out;
            zs.avail_out = sizeof out;
            (void)deflate(&zs, flush);
            n = sizeof out - zs.avail_out;
            if (fwrite(out, 1, n, f->out) != n) rc = -1;
            f->written += n;
        } while (zs.avail_out == 0 && rc == 0);
    }
    if (compress) deflateEnd(&zs);
    return rc;
}

/* Pass 2 of 2: input k's kept units into the output. */
static int write_input(filter *f, size_t k)
{
    int fd, gz, rc, keep_any = 0, failed = 0;
    cli_warc_record r;
    cli_warc *w = open_input(f, k, &fd, &gz);
    if (w == NULL) return -1;
    while (!failed && (rc = cli_warc_next(w, &r)) != CLI_WARC_EOF && rc != CLI_WARC_FATAL) {
        if (rc == CLI_WARC_BAD) {
            f->malformed++;
            keep_any = 0; /* a member cut by damage is not written */
            continue;
        }
        if (is_dropped(f, k, &r)) f->dropped++;
        else if (tied(f, &r)) f->linked++;
        else keep_any = 1, f->kept++;
        if (r.unit_end == 0) continue; /* more records in this member */
        if (keep_any) {
            if (copy_unit(f, fd, r.unit_start, r.unit_end, !gz) != 0) failed = 1;
            f->units++;
        }
        keep_any = 0;
    }
    if (failed) fprintf(stderr, "neardup: %s: %s\n", f->out_path, strerror(errno));
    else if (rc == CLI_WARC_FATAL) fprintf(stderr, "neardup: %s: %s\n", f->inputs[k], cli_warc_message(w));
    cli_warc_close(w);
    close(fd);
    return failed || rc == CLI_WARC_FATAL ? -1 : 0;
}

/* The output must not be one of the inputs: it is written while they are read. */
static int is_an_input(const filter *f, const char *out)
{
    struct stat so, si;
    if (stat(out, &so) != 0) return 0;
    for (size_t k = 0; k < f->ninputs; k++)
        if (stat(f->inputs[k], &si) == 0 && si.st_dev == so.st_dev && si.st_ino == so.st_ino) return 1;
    return 0;
}

static int write_all(filter *f, const char *out)
{
    size_t n = strlen(out) + 8;
    char *tmp = malloc(n);
    int rc = 0;
    if (tmp == NULL) return -1;
    snprintf(tmp, n, "%s.part", out); /* renamed when complete: no half-written OUT */
    f->out_path = tmp;
    if ((f->out = fopen(tmp, "wb")) == NULL) {
        fprintf(stderr, "neardup: %s: cannot write: %s\n", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    for (size_t k = 0; k < f->ninputs && rc == 0; k++) rc = write_input(f, k);
    if (fclose(f->out) != 0 && rc == 0) {
        fprintf(stderr, "neardup: %s: %s\n", tmp, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && rename(tmp, out) != 0) {
        fprintf(stderr, "neardup: %s: cannot rename to %s: %s\n", tmp, out, strerror(errno));
        rc = -1;
    }
    if (rc != 0) remove(tmp);
    free(tmp);
    return rc;
}

int cli_filter_write(const nd_corpus *c, cli_crawl *crawl, char *const *inputs, size_t n,
                     const char *out, int quiet)
{
    filter f;
    int rc;
    memset(&f, 0, sizeof f);
    f.inputs = inputs;
    f.ninputs = n;
    if (is_an_input(&f, out)) {
        fprintf(stderr, "neardup: %s: is an input; choose another output\n", out);
        return -1;
    }
    rc = find_drops(&f, c, crawl);
    if (rc != 0) fputs("neardup: out of memory\n", stderr);
    if (rc == 0) rc = collect_links(&f);
    if (rc == 0) rc = write_all(&f, out);
    if (rc == 0 && !quiet)
        fprintf(stderr,
                "neardup: filter: %s: %zu record%s kept (%zu gzip member%s, %llu bytes), %zu dropped "
                "(%zu copies, %zu tied to them)\n",
                out, f.kept, f.kept == 1 ? "" : "s", f.units, f.units == 1 ? "" : "s", f.written,
                f.dropped + f.linked, f.dropped, f.linked);
    free(f.d);
    free(f.links);
    free(f.link_lens);
    cli_buf_free(&f.bytes);
    return rc;
}
