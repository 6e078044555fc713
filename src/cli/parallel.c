/*
 * Parallel first pass (see parallel.h).
 *
 * A batch holds up to CLI_BATCH_BYTES of text. Worker w analyzes documents
 * w, w + n, w + 2n, ... of the batch and copies each result (paragraph
 * spans, kinds, signatures) into the document's slot; the calling thread
 * then adds the slots to the collection in order with
 * nd_corpus_add_signed(), which gives the same verdicts as nd_corpus_add().
 * Threads are started per batch: at 8 MB per batch their cost is noise.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "parallel.h"

#define CLI_BATCH_BYTES (8u << 20)
#define CLI_BATCH_DOCS 4096u

typedef struct cli_slot {
    char *id, *source, *text, *path;
    size_t id_len, source_len, text_len;
    int rc;                     /* nd_doc_analyze's result */
    nd_para_sig *paras;
    size_t nparas, paras_cap;
    uint32_t *sigs;             /* nparas * K */
    size_t sigs_cap;
} cli_slot;

struct cli_pool {
    const nd_ctx *ctx;
    nd_corpus *corpus;
    unsigned threads, k;
    nd_doc **docs;              /* one per worker */
    cli_slot *slots;
    size_t nslots, bytes, failed;
};

typedef struct cli_job {
    cli_pool *pool;
    unsigned worker;
} cli_job;

unsigned cli_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1u;
}

cli_pool *cli_pool_create(const nd_ctx *ctx, nd_corpus *corpus, unsigned threads)
{
    cli_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->ctx = ctx;
    p->corpus = corpus;
    p->threads = threads < 256 ? threads : 256; /* cli_pool_flush's thread table */
    p->k = nd_ctx_num_perm(ctx);
    p->docs = calloc(threads, sizeof *p->docs);
    p->slots = calloc(CLI_BATCH_DOCS, sizeof *p->slots);
    if (!p->docs || !p->slots) {
        cli_pool_free(p);
        return NULL;
    }
    for (unsigned w = 0; w < threads; w++)
        if (nd_doc_create(&p->docs[w], ctx)) {
            cli_pool_free(p);
            return NULL;
        }
    return p;
}

static char *cli_dup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        if (n) memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static void cli_slot_clear(cli_slot *s)
{
    free(s->id);
    free(s->source);
    free(s->text);
    free(s->path);
    s->id = s->source = s->text = s->path = NULL;
}

/* Copies doc's analysis into the slot (its own memory, reused). */
static int cli_slot_take(cli_slot *s, const nd_doc *doc, unsigned k)
{
    size_t n = nd_doc_count(doc);
    if (n > s->paras_cap) {
        nd_para_sig *np = realloc(s->paras, n * sizeof *np);
        if (!np) return ND_E_NOMEM;
        s->paras = np;
        s->paras_cap = n;
    }
    if (n * k > s->sigs_cap) {
        uint32_t *ns = realloc(s->sigs, n * k * sizeof *ns);
        if (!ns) return ND_E_NOMEM;
        s->sigs = ns;
        s->sigs_cap = n * k;
    }
    for (size_t i = 0; i < n; i++) {
        nd_para_info info;
        nd_doc_para(doc, i, &info);
        memcpy(s->sigs + i * k, nd_doc_para_signature(doc, i), k * sizeof *s->sigs);
        s->paras[i] = (nd_para_sig){ info.offset, info.length, info.kind, info.of,
                                     info.shingles, info.tokens, s->sigs + i * k, info.similarity };
    }
    s->nparas = n;
    return ND_OK;
}

static void *cli_worker(void *arg)
{
    cli_job *job = arg;
    cli_pool *p = job->pool;
    nd_doc *doc = p->docs[job->worker];
    for (size_t i = job->worker; i < p->nslots; i += p->threads) {
        cli_slot *s = &p->slots[i];
        s->rc = nd_doc_analyze(doc, s->text, s->text_len);
        if (!s->rc) s->rc = cli_slot_take(s, doc, p->k);
    }
    return NULL;
}

int cli_pool_flush(cli_pool *p)
{
    pthread_t tid[256];
    cli_job jobs[256];
    unsigned started = 0, n = p->threads < 256 ? p->threads : 256;
    for (unsigned w = 1; w < n; w++) { /* the calling thread is worker 0 */
        jobs[w] = (cli_job){ p, w };
        if (pthread_create(&tid[w], NULL, cli_worker, &jobs[w]) != 0) break;
        started = w;
    }
    jobs[0] = (cli_job){ p, 0 };
    cli_worker(&jobs[0]);
    for (unsigned w = 1; w <= started; w++) pthread_join(tid[w], NULL);
    for (unsigned w = started + 1; w < n; w++) { /* threads that could not start */
        jobs[w] = (cli_job){ p, w };
        cli_worker(&jobs[w]);
    }
    int fatal = ND_OK;
    for (size_t i = 0; i < p->nslots; i++) {
        cli_slot *s = &p->slots[i];
        int rc = s->rc ? s->rc
               : nd_corpus_add_signed(p->corpus, s->id, s->id_len, s->source, s->source_len,
                                      s->paras, s->nparas, NULL, NULL);
        if (rc) {
            fprintf(stderr, "neardup: %s: %s\n", s->path, nd_strerror(rc));
            p->failed++;
            if (rc == ND_E_NOMEM) fatal = rc;
        }
        cli_slot_clear(s);
    }
    p->nslots = p->bytes = 0;
    return fatal;
}

int cli_pool_push(cli_pool *p, const cli_doc *d)
{
    cli_slot *s = &p->slots[p->nslots];
    s->id = cli_dup(d->id, d->id_len);
    s->source = cli_dup(d->source, d->source_len);
    s->text = cli_dup(d->text, d->text_len);
    s->path = cli_dup(d->path, strlen(d->path));
    if (!s->id || !s->source || !s->text || !s->path) {
        cli_slot_clear(s);
        return ND_E_NOMEM;
    }
    s->id_len = d->id_len;
    s->source_len = d->source_len;
    s->text_len = d->text_len;
    p->nslots++;
    p->bytes += d->text_len;
    if (p->nslots == CLI_BATCH_DOCS || p->bytes >= CLI_BATCH_BYTES) return cli_pool_flush(p);
    return ND_OK;
}

size_t cli_pool_failed(const cli_pool *p) { return p ? p->failed : 0; }

void cli_pool_free(cli_pool *p)
{
    if (!p) return;
    if (p->docs)
        for (unsigned w = 0; w < p->threads; w++) nd_doc_free(p->docs[w]);
    if (p->slots)
        for (size_t i = 0; i < CLI_BATCH_DOCS; i++) {
            cli_slot_clear(&p->slots[i]);
            free(p->slots[i].paras);
            free(p->slots[i].sigs);
        }
    free(p->docs);
    free(p->slots);
    free(p);
}
