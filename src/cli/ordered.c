/*
 * Output formatted on several threads and written in order (ordered.h).
 *
 * Work goes in rounds: in each, thread w formats chunk w of the round into
 * its stream while the others format theirs, then the calling thread
 * writes the round's chunks in order and starts the next. Writing a round
 * is a copy into out's buffer, short next to formatting it, so the rounds'
 * barrier costs little; a chunk of ORD_CHUNK documents (about 240 KB of
 * JSON Lines on news) keeps the streams small and warm in memory.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdlib.h>
#include "ordered.h"

#define ORD_CHUNK 64u
#define ORD_MAX_THREADS 64u

typedef struct ord_stream {
    FILE *f;
    char *buf;
    size_t len;
    int failed;
} ord_stream;

typedef struct ord_run {
    size_t n;
    unsigned threads;
    cli_format_fn fmt;
    void *arg;
    ord_stream s[ORD_MAX_THREADS];
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    size_t round;               /* the round being formatted; rounds are numbered from 1 */
    unsigned pending;           /* helpers still formatting it */
    int stop;
} ord_run;

/* Chunk w of round `round` into stream w (emptied first). */
static void ord_format(ord_run *o, unsigned w, size_t round)
{
    ord_stream *s = &o->s[w];
    size_t first = ((round - 1) * o->threads + w) * ORD_CHUNK;
    size_t end = first + ORD_CHUNK < o->n ? first + ORD_CHUNK : o->n;
    if (fseeko(s->f, 0, SEEK_SET) != 0) s->failed = 1;
    for (size_t i = first; i < end && !s->failed; i++) o->fmt(o->arg, s->f, i);
    if (fflush(s->f) != 0 || ferror(s->f)) s->failed = 1;
}

typedef struct ord_job {
    ord_run *o;
    unsigned w;
} ord_job;

static void *ord_helper(void *arg)
{
    ord_job *job = arg;
    ord_run *o = job->o;
    size_t seen = 0;
    pthread_mutex_lock(&o->mu);
    for (;;) {
        while (!o->stop && o->round == seen) pthread_cond_wait(&o->go, &o->mu);
        if (o->stop) break;
        seen = o->round;
        pthread_mutex_unlock(&o->mu);
        ord_format(o, job->w, seen);
        pthread_mutex_lock(&o->mu);
        if (--o->pending == 0) pthread_cond_signal(&o->done);
    }
    pthread_mutex_unlock(&o->mu);
    return NULL;
}

static int ord_serial(size_t n, cli_format_fn fmt, void *arg, FILE *out)
{
    for (size_t i = 0; i < n; i++) fmt(arg, out, i);
    return 0;
}

int cli_format_ordered(size_t n, unsigned threads, cli_format_fn fmt, void *arg, FILE *out)
{
    if (threads > ORD_MAX_THREADS) threads = ORD_MAX_THREADS;
    size_t chunks = (n + ORD_CHUNK - 1) / ORD_CHUNK;
    if (threads > chunks) threads = (unsigned)chunks;
    if (threads < 2) return ord_serial(n, fmt, arg, out);
    ord_run *o = calloc(1, sizeof *o);
    if (!o) return ord_serial(n, fmt, arg, out);
    o->n = n;
    o->threads = threads;
    o->fmt = fmt;
    o->arg = arg;
    unsigned opened = 0;
    while (opened < threads && (o->s[opened].f = open_memstream(&o->s[opened].buf, &o->s[opened].len)) != NULL)
        opened++;
    pthread_t tid[ORD_MAX_THREADS];
    ord_job jobs[ORD_MAX_THREADS];
    unsigned started = 1; /* the calling thread is stream 0 */
    if (opened == threads) {
        pthread_mutex_init(&o->mu, NULL);
        pthread_cond_init(&o->go, NULL);
        pthread_cond_init(&o->done, NULL);
        for (; started < threads; started++) {
            jobs[started] = (ord_job){ o, started };
            if (pthread_create(&tid[started], NULL, ord_helper, &jobs[started]) != 0) break;
        }
    }
    int rc = 0;
    if (started < threads) { /* no stream or no thread: one thread, straight into out */
        o->stop = 1;
        rc = ord_serial(n, fmt, arg, out);
    }
    for (size_t round = 1; !o->stop && (round - 1) * threads < chunks; round++) {
        pthread_mutex_lock(&o->mu);
        o->round = round;
        o->pending = threads - 1;
        pthread_cond_broadcast(&o->go);
        pthread_mutex_unlock(&o->mu);
        ord_format(o, 0, round);
        pthread_mutex_lock(&o->mu);
        while (o->pending) pthread_cond_wait(&o->done, &o->mu);
        pthread_mutex_unlock(&o->mu);
        for (unsigned w = 0; w < threads && !rc; w++) {
            if (o->s[w].failed) rc = -1;
            else if (o->s[w].len) fwrite(o->s[w].buf, 1, o->s[w].len, out);
        }
        if (rc) break;
    }
    if (started > 1) {
        pthread_mutex_lock(&o->mu);
        o->stop = 1;
        pthread_cond_broadcast(&o->go);
        pthread_mutex_unlock(&o->mu);
        for (unsigned w = 1; w < started; w++) pthread_join(tid[w], NULL);
    }
    if (opened == threads) {
        pthread_mutex_destroy(&o->mu);
        pthread_cond_destroy(&o->go);
        pthread_cond_destroy(&o->done);
    }
    for (unsigned w = 0; w < opened; w++) {
        fclose(o->s[w].f);
        free(o->s[w].buf);
    }
    free(o);
    return rc;
}
