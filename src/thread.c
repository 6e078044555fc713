/*
 * Running independent tasks on a few threads (nd_corpus_set_threads). The
 * calling thread takes tasks too, and a thread that cannot be started only
 * means fewer workers: the tasks all run whatever happens, so results never
 * depend on how many threads there were. Threads live for one call: the
 * tasks given to it (LSH chains over a band group, signatures of a range of
 * documents) take milliseconds each, next to microseconds to start a thread.
 */
#include <pthread.h>
#include "internal.h"

typedef struct nd__pool {
    nd__task_fn fn;
    void *arg;
    size_t ntasks, next;
    pthread_mutex_t mu;        /* guards next */
} nd__pool;

static void *nd__pool_work(void *arg)
{
    nd__pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        size_t t = p->next < p->ntasks ? p->next++ : p->ntasks;
        pthread_mutex_unlock(&p->mu);
        if (t == p->ntasks) break;
        p->fn(p->arg, t);
    }
    return NULL;
}

void nd__run_tasks(unsigned threads, size_t ntasks, nd__task_fn fn, void *arg)
{
    if (threads > ND__MAX_THREADS) threads = ND__MAX_THREADS;
    if (threads > ntasks) threads = (unsigned)ntasks;
    if (threads <= 1) {
        for (size_t t = 0; t < ntasks; t++) fn(arg, t);
        return;
    }
    nd__pool p;
    p.fn = fn;
    p.arg = arg;
    p.ntasks = ntasks;
    p.next = 0;
    if (pthread_mutex_init(&p.mu, NULL) != 0) { /* run them all here */
        for (size_t t = 0; t < ntasks; t++) fn(arg, t);
        return;
    }
    pthread_t tid[ND__MAX_THREADS];
    unsigned started = 0;
    while (started + 1 < threads && pthread_create(&tid[started], NULL, nd__pool_work, &p) == 0)
        started++;
    nd__pool_work(&p);
    for (unsigned i = 0; i < started; i++) pthread_join(tid[i], NULL);
    pthread_mutex_destroy(&p.mu);
}
