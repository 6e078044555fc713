/*
 * Parallel first pass (see parallel.h).
 *
 * Documents are queued in batches of up to CLI_BATCH_BYTES of text. There
 * are two batches: while the workers analyze one, the calling thread adds
 * the results of the one before to the collection (in order, with
 * nd_corpus_add_signed(), which gives the same verdicts as nd_corpus_add())
 * and reads the next documents into it. When it has done so it analyzes
 * documents of the batch in flight too, so no thread waits while there is
 * work: reading, parsing and adding (serial by nature) overlap the analysis
 * instead of following it.
 *
 * Each analysis is copied from the thread's own nd_doc (kept warm in its
 * cache) into the document's slot. Documents are claimed one at a time
 * under the pool's lock: at thousands of documents per second the lock is
 * noise next to the analysis.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "page.h"
#include "parallel.h"

#define CLI_BATCH_BYTES (2u << 20)
#define CLI_BATCH_DOCS 4096u
#define CLI_MAX_THREADS 256u

typedef struct cli_slot {
    char *id, *source, *text, *path;
    size_t id_len, source_len, text_len;
    int is_html;                /* a web page: text is its HTML */
    char *charset;              /* its HTTP charset, or NULL */
    size_t charset_len;
    cli_html_hint *hints;       /* a page's paragraphs' hints */
    size_t nhints, hints_cap;
    int64_t date;               /* the document's date, when has_date */
    int has_date;
    int rc;                     /* nd_doc_analyze's result */
    nd_para_sig *paras;
    size_t nparas, paras_cap;
    uint32_t *sigs;             /* nparas * K */
    size_t sigs_cap;
} cli_slot;

typedef struct cli_job {
    struct cli_pool *pool;
    unsigned worker;
} cli_job;

typedef struct cli_batch {
    cli_slot *slots;
    size_t n, bytes;
    size_t next, done;          /* claimed and analyzed slots, under the lock */
} cli_batch;

struct cli_pool {
    const nd_ctx *ctx;
    nd_corpus *corpus;
    unsigned threads, k, started;
    nd_doc *docs[CLI_MAX_THREADS]; /* one per thread; 0 is the calling thread's */
    nd_html *htmls[CLI_MAX_THREADS]; /* the same, for web pages (made on first use) */
    cli_pages *pages;           /* where the pages' hints go, by document index */
    pthread_t tid[CLI_MAX_THREADS];
    cli_job jobs[CLI_MAX_THREADS];
    cli_batch batch[2];
    int filling;                /* the batch being read into */
    int inflight;               /* the batch being analyzed, or -1 */
    int stop;
    pthread_mutex_t mu;
    pthread_cond_t work, finished;
    size_t failed;
    int fatal;
};

unsigned cli_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1u;
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
    free(s->charset);
    s->id = s->source = s->text = s->path = s->charset = NULL;
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
        nd_para_info info = ND_PARA_INFO_INIT;
        nd_doc_para(doc, i, &info);
        memcpy(s->sigs + i * k, nd_doc_para_signature(doc, i), k * sizeof *s->sigs);
        s->paras[i] = (nd_para_sig){ info.offset, info.length, info.kind, info.of,
                                     info.shingles, info.tokens, s->sigs + i * k, info.similarity };
    }
    s->nparas = n;
    return ND_OK;
}

/* Claims and analyzes documents of the batch in flight until none is left
 * to claim. Called with the lock held; returns with it held. */
static void cli_analyze_some(cli_pool *p, unsigned w)
{
    while (p->inflight >= 0 && p->batch[p->inflight].next < p->batch[p->inflight].n) {
        cli_batch *b = &p->batch[p->inflight];
        cli_slot *s = &b->slots[b->next++];
        pthread_mutex_unlock(&p->mu);
        s->rc = cli_analyze(p->ctx, p->docs[w], &p->htmls[w], s->text, s->text_len, s->is_html,
                            s->charset, s->charset_len);
        if (!s->rc) s->rc = cli_slot_take(s, p->docs[w], p->k);
        if (!s->rc && s->is_html
            && (s->nhints = cli_html_hints(p->htmls[w], &s->hints, &s->hints_cap)) == (size_t)-1)
            s->rc = ND_E_NOMEM;
        pthread_mutex_lock(&p->mu);
        if (++b->done == b->n) pthread_cond_broadcast(&p->finished);
    }
}

static void *cli_worker(void *arg)
{
    cli_job *job = arg;
    cli_pool *p = job->pool;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && (p->inflight < 0 || p->batch[p->inflight].next >= p->batch[p->inflight].n))
            pthread_cond_wait(&p->work, &p->mu);
        if (p->stop) break;
        cli_analyze_some(p, job->worker);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

cli_pool *cli_pool_create(const nd_ctx *ctx, nd_corpus *corpus, cli_pages *pages, unsigned threads)
{
    cli_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->ctx = ctx;
    p->corpus = corpus;
    p->pages = pages;
    p->threads = threads < CLI_MAX_THREADS ? threads : CLI_MAX_THREADS;
    p->k = nd_ctx_num_perm(ctx);
    p->inflight = -1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->finished, NULL);
    for (int b = 0; b < 2; b++) {
        p->batch[b].slots = calloc(CLI_BATCH_DOCS, sizeof *p->batch[b].slots);
        if (!p->batch[b].slots) goto fail;
    }
    for (unsigned w = 0; w < p->threads; w++)
        if (nd_doc_create(&p->docs[w], ctx)) goto fail;
    for (unsigned w = 1; w < p->threads; w++) { /* the calling thread is worker 0 */
        p->jobs[w] = (cli_job){ p, w };
        if (pthread_create(&p->tid[w], NULL, cli_worker, &p->jobs[w]) != 0) break;
        p->started = w;
    }
    return p;
fail:
    cli_pool_free(p);
    return NULL;
}

/* The calling thread's share of the batch in flight, then a wait for the
 * workers' last documents. */
static void cli_finish_inflight(cli_pool *p)
{
    pthread_mutex_lock(&p->mu);
    cli_analyze_some(p, 0);
    while (p->inflight >= 0 && p->batch[p->inflight].done < p->batch[p->inflight].n)
        pthread_cond_wait(&p->finished, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

/* Adds an analyzed batch to the collection, in order, and empties it. */
static void cli_add_batch(cli_pool *p, cli_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        cli_slot *s = &b->slots[i];
        size_t at = ND_NONE;
        int rc = s->rc ? s->rc
               : nd_corpus_add_signed(p->corpus, s->id, s->id_len, s->source, s->source_len,
                                      s->paras, s->nparas, NULL, &at);
        if (!rc && s->has_date) rc = nd_corpus_set_date(p->corpus, at, s->date);
        if (!rc && s->is_html && cli_pages_set(p->pages, at, s->hints, s->nhints)) rc = ND_E_NOMEM;
        if (rc) {
            fprintf(stderr, "neardup: %s: %s\n", s->path, nd_strerror(rc));
            p->failed++;
            if (rc == ND_E_NOMEM) p->fatal = rc;
        }
        cli_slot_clear(s);
    }
    b->n = b->bytes = b->next = b->done = 0;
}

/* Sends the batch being read to the workers and adds the one before it
 * (which they have finished) while they work. */
static int cli_rotate(cli_pool *p)
{
    cli_finish_inflight(p);
    int full = p->filling, old = p->inflight;
    pthread_mutex_lock(&p->mu);
    p->inflight = full;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    if (p->started == 0) cli_finish_inflight(p); /* no worker could start: analyze it here */
    if (old >= 0) cli_add_batch(p, &p->batch[old]);
    p->filling = 1 - full;
    return p->fatal;
}

int cli_pool_flush(cli_pool *p)
{
    if (p->batch[p->filling].n) cli_rotate(p);
    cli_finish_inflight(p);
    int last = p->inflight;
    if (last >= 0) { /* out of the workers' sight before it is emptied */
        pthread_mutex_lock(&p->mu);
        p->inflight = -1;
        pthread_mutex_unlock(&p->mu);
        cli_add_batch(p, &p->batch[last]);
    }
    return p->fatal;
}

int cli_pool_push(cli_pool *p, const cli_doc *d)
{
    cli_batch *b = &p->batch[p->filling];
    cli_slot *s = &b->slots[b->n];
    s->id = cli_dup(d->id, d->id_len);
    s->source = cli_dup(d->source, d->source_len);
    s->text = cli_dup(d->text, d->text_len);
    s->path = cli_dup(d->path, strlen(d->path));
    s->is_html = d->is_html;
    s->charset = d->charset ? cli_dup(d->charset, d->charset_len) : NULL;
    s->charset_len = d->charset_len;
    if (!s->id || !s->source || !s->text || !s->path || (d->charset && !s->charset)) {
        cli_slot_clear(s);
        return ND_E_NOMEM;
    }
    s->id_len = d->id_len;
    s->source_len = d->source_len;
    s->text_len = d->text_len;
    s->date = d->date;
    s->has_date = d->has_date;
    b->n++;
    b->bytes += d->text_len;
    if (b->n == CLI_BATCH_DOCS || b->bytes >= CLI_BATCH_BYTES) return cli_rotate(p);
    return ND_OK;
}

size_t cli_pool_failed(const cli_pool *p) { return p ? p->failed : 0; }

void cli_pool_free(cli_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (unsigned w = 1; w <= p->started; w++) pthread_join(p->tid[w], NULL);
    for (unsigned w = 0; w < p->threads; w++) {
        nd_doc_free(p->docs[w]);
        nd_html_free(p->htmls[w]);
    }
    for (int b = 0; b < 2; b++) {
        if (!p->batch[b].slots) continue;
        for (size_t i = 0; i < CLI_BATCH_DOCS; i++) {
            cli_slot_clear(&p->batch[b].slots[i]);
            free(p->batch[b].slots[i].paras);
            free(p->batch[b].slots[i].sigs);
            free(p->batch[b].slots[i].hints);
        }
        free(p->batch[b].slots);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->finished);
    free(p);
}
