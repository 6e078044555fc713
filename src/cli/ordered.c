/*
 * Output formatted on several threads and written in order (ordered.h).
 *
 * Work goes in rounds. Before each, the calling thread cuts the next
 * chunks, one per thread, in order: up to ORD_CHUNK items or ORD_WEIGHT
 * records (about 150 bytes each in JSON), so that a stream holds about a MB.
 * An item heavier than that alone (a document of a hundred thousand
 * paragraphs) is a chunk of its own, formatted straight into out by the
 * calling thread in its turn, never held in memory. In the round, thread w
 * formats chunk w into its memory stream while the others format theirs;
 * the calling thread then writes the round's chunks in order. Writing is a
 * copy into out's buffer, short next to formatting, so the barrier costs
 * little (news: 40 MB of JSON Lines in chunks of about 160 KB).
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdlib.h>
#include "ordered.h"

#define ORD_CHUNK 64u
#define ORD_WEIGHT 8192u
#define ORD_MAX_THREADS 64u

typedef struct ord_chunk {
    size_t first, end;          /* items [first, end); empty past the last item */
    int direct;                 /* one heavy item: formatted straight into out */
} ord_chunk;

typedef struct ord_stream {
    FILE *f;
    char *buf;
    size_t len;
    int failed;
} ord_stream;

typedef struct ord_run {
    size_t n, next;             /* items; the first not yet in a chunk */
    unsigned threads;
    cli_format_fn fmt;
    cli_weight_fn weight;
    void *arg;
    ord_chunk cur[ORD_MAX_THREADS]; /* this round's chunks */
    ord_stream s[ORD_MAX_THREADS];
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    size_t round;               /* the round being formatted, from 1 (under mu) */
    unsigned pending;           /* helpers still formatting it (under mu) */
    int stop;                   /* under mu */
} ord_run;

typedef struct ord_job {
    ord_run *o;
    unsigned w;
} ord_job;

/* The next chunk of items from o->next (see above). */
static ord_chunk ord_cut(ord_run *o)
{
    size_t i = o->next, first = i, w = 0;
    if (i < o->n && o->weight(o->arg, i) >= ORD_WEIGHT) {
        o->next = i + 1;
        return (ord_chunk){ i, i + 1, 1 };
    }
    for (; i < o->n && i - first < ORD_CHUNK; i++) {
        size_t wi = o->weight(o->arg, i);
        if (wi >= ORD_WEIGHT || w + wi > ORD_WEIGHT) break;
        w += wi;
    }
    o->next = i;
    return (ord_chunk){ first, i, 0 };
}

/* Chunk w of the round into stream w (emptied first). */
static void ord_format(ord_run *o, unsigned w)
{
    const ord_chunk *c = &o->cur[w];
    ord_stream *s = &o->s[w];
    if (fseeko(s->f, 0, SEEK_SET) != 0) s->failed = 1;
    if (c->direct) return;
    for (size_t i = c->first; i < c->end && !s->failed; i++) o->fmt(o->arg, s->f, i);
    if (fflush(s->f) != 0 || ferror(s->f)) s->failed = 1;
}

static void *ord_helper(void *arg)
{
    const ord_job *job = arg;
    ord_run *o = job->o;
    size_t seen = 0;
    pthread_mutex_lock(&o->mu);
    for (;;) {
        while (!o->stop && o->round == seen) pthread_cond_wait(&o->go, &o->mu);
        if (o->stop) break;
        seen = o->round;
        pthread_mutex_unlock(&o->mu);
        ord_format(o, job->w);
        pthread_mutex_lock(&o->mu);
        if (--o->pending == 0) pthread_cond_signal(&o->done);
    }
    pthread_mutex_unlock(&o->mu);
    return NULL;
}

/* The round's chunks to out, in order. */
static int ord_write(ord_run *o, FILE *out)
{
    for (unsigned w = 0; w < o->threads; w++) {
        const ord_chunk *c = &o->cur[w];
        if (c->direct) {
            o->fmt(o->arg, out, c->first);
            if (ferror(out)) return CLI_ORDERED_WRITE;
        } else if (o->s[w].failed) {
            return CLI_ORDERED_NOMEM;
        } else if (o->s[w].len && fwrite(o->s[w].buf, 1, o->s[w].len, out) != o->s[w].len) {
            return CLI_ORDERED_WRITE;
        }
    }
    return CLI_ORDERED_OK;
}

/* Every round, with the helpers started. */
static int ord_rounds(ord_run *o, FILE *out)
{
    int rc = CLI_ORDERED_OK;
    while (o->next < o->n && rc == CLI_ORDERED_OK) {
        for (unsigned w = 0; w < o->threads; w++) o->cur[w] = ord_cut(o);
        pthread_mutex_lock(&o->mu);
        o->round++;
        o->pending = o->threads - 1;
        pthread_cond_broadcast(&o->go);
        pthread_mutex_unlock(&o->mu);
        ord_format(o, 0);
        pthread_mutex_lock(&o->mu);
        while (o->pending) pthread_cond_wait(&o->done, &o->mu);
        pthread_mutex_unlock(&o->mu);
        rc = ord_write(o, out);
    }
    return rc;
}

static int ord_serial(size_t n, cli_format_fn fmt, void *arg, FILE *out)
{
    for (size_t i = 0; i < n; i++) fmt(arg, out, i);
    return ferror(out) ? CLI_ORDERED_WRITE : CLI_ORDERED_OK;
}

/* Starts the helpers (threads 1 ..) and runs the rounds; the serial path
 * when a stream, the lock or a thread cannot be made. */
static int ord_run_all(ord_run *o, FILE *out)
{
    unsigned opened = 0, started = 1;
    while (opened < o->threads && (o->s[opened].f = open_memstream(&o->s[opened].buf, &o->s[opened].len)))
        opened++;
    int sync = opened == o->threads && pthread_mutex_init(&o->mu, NULL) == 0;
    if (sync && pthread_cond_init(&o->go, NULL) != 0) {
        pthread_mutex_destroy(&o->mu);
        sync = 0;
    }
    if (sync && pthread_cond_init(&o->done, NULL) != 0) {
        pthread_cond_destroy(&o->go);
        pthread_mutex_destroy(&o->mu);
        sync = 0;
    }
    pthread_t tid[ORD_MAX_THREADS];
    ord_job jobs[ORD_MAX_THREADS];
    for (; sync && started < o->threads; started++) {
        jobs[started] = (ord_job){ o, started };
        if (pthread_create(&tid[started], NULL, ord_helper, &jobs[started]) != 0) break;
    }
    int rc = sync && started == o->threads ? ord_rounds(o, out) : ord_serial(o->n, o->fmt, o->arg, out);
    if (sync) {
        pthread_mutex_lock(&o->mu);
        o->stop = 1;
        pthread_cond_broadcast(&o->go);
        pthread_mutex_unlock(&o->mu);
        for (unsigned w = 1; w < started; w++) pthread_join(tid[w], NULL);
        pthread_cond_destroy(&o->done);
        pthread_cond_destroy(&o->go);
        pthread_mutex_destroy(&o->mu);
    }
    for (unsigned w = 0; w < opened; w++) {
        fclose(o->s[w].f);
        free(o->s[w].buf);
    }
    return rc;
}

int cli_format_ordered(size_t n, unsigned threads, cli_format_fn fmt, cli_weight_fn weight, void *arg,
                       FILE *out)
{
    if (threads > ORD_MAX_THREADS) threads = ORD_MAX_THREADS;
    if (threads < 2 || n <= ORD_CHUNK) return ord_serial(n, fmt, arg, out);
    ord_run *o = calloc(1, sizeof *o);
    if (!o) return ord_serial(n, fmt, arg, out);
    o->n = n;
    o->threads = threads;
    o->fmt = fmt;
    o->weight = weight;
    o->arg = arg;
    int rc = ord_run_all(o, out);
    free(o);
    return rc;
}
