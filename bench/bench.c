/*
 * nd_bench: how fast each stage of libneardup runs, how time and memory grow
 * with the input, and what an indexed paragraph costs in memory.
 *
 *   nd_bench [options] [CORPUS]      (default bench-corpus/news.jsonl)
 *
 * The corpus is decoded into memory first, so no figure includes I/O or JSON.
 * Each stage is one pass over the whole corpus; it is repeated within a time
 * budget and the fastest and the median pass are kept, as zstd's
 * programs/benchfn does: the fastest is the one least disturbed by the rest
 * of the machine. A pass too short to time well (under 0.2 s) is looped.
 *
 * Absolute speeds drift on a shared machine, so every run also times XXH3
 * over the same bytes, before and after the stages, and prints each stage's
 * time as a multiple of it: that ratio survives a noisy neighbour far better.
 *
 * Parts (any combination; stages only by default):
 *   --stages   segment, tokenize, shingle, sign, analyze, corpus (end to end)
 *   --scale    the corpus replicated 1x, 2x, 4x, 8x with one word changed per
 *              paragraph in each copy: seconds per MB and memory per document
 *   --index10m 1M, 3M and 10M paragraphs added to one nd_corpus from
 *              signatures (nd_corpus_add_signed): bytes per paragraph, finish time
 *   --store N --store-path PATH
 *              a signature store of N documents (a store's defaults: K = 32,
 *              8 bits) made of copies of the corpus varied like --index10m's,
 *              for timing `neardup query` and `info` on large stores
 *   --ctx      nd_ctx_create at K = 32, 128, 1024, and the search for LSH
 *              bands and rows in it against the full scan it replaced, run
 *              here too (no corpus needed)
 * --threads N gives the collections of the corpus stage, --scale and
 * --index10m N threads for nd_corpus_finish (nd_corpus_set_threads); the
 * analysis is single-threaded here (the CLI's --threads, timed by run.sh,
 * analyzes documents in parallel too).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#define XXH_INLINE_ALL
#include <xxhash.h>
#include "bench_corpus.h"
#include "internal.h"

#define BENCH_MAX_LIST 16
#define BENCH_MIN_PASS 0.2   /* seconds: shorter passes are looped */
#define BENCH_MAX_RUNS 100

typedef struct bench_opts {
    const char *path;
    unsigned stage_mask;                 /* bit i: bench_stages[i] */
    unsigned factors[BENCH_MAX_LIST];    /* --scale */
    size_t nfactors;
    size_t sizes[BENCH_MAX_LIST];        /* --index10m, in paragraphs */
    size_t nsizes;
    int distinct;                        /* --index-mode distinct */
    size_t store_docs;                   /* --store */
    const char *store_path;              /* --store-path */
    double budget;                       /* seconds per stage */
    unsigned max_runs;
    unsigned threads;                    /* --threads: nd_corpus_set_threads */
    uint64_t seed;
    int ctx;                             /* --ctx */
} bench_opts;

/* ---- clocks and memory ------------------------------------------------------ */

static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU seconds (user + system) of this process: unlike wall time, not
 * inflated when other processes take the cores. */
static double bench_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6
         + (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

/* A "Key:   123 kB" line of a /proc file, in bytes; 0 when absent. */
static size_t bench_proc_kb(const char *file, const char *key)
{
    FILE *f = fopen(file, "r");
    char line[256];
    size_t klen = strlen(key), kb = 0;
    if (!f) return 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, klen) && line[klen] == ':') {
            kb = (size_t)strtoull(line + klen + 1, NULL, 10);
            break;
        }
    fclose(f);
    return kb * 1024;
}

static size_t bench_rss(void) { return bench_proc_kb("/proc/self/status", "VmRSS"); }

/* Peak RSS since the last bench_reset_peak(); getrusage's ru_maxrss (the
 * whole life of the process) where /proc has no VmHWM. */
static size_t bench_peak(void)
{
    size_t hwm = bench_proc_kb("/proc/self/status", "VmHWM");
    struct rusage ru;
    if (hwm) return hwm;
    getrusage(RUSAGE_SELF, &ru);
    return (size_t)ru.ru_maxrss * 1024;
}

/* The largest peak seen before a reset: clear_refs resets ru_maxrss too. */
static size_t bench_run_peak;

/* Linux >= 4.0 resets the peak RSS when "5" is written to clear_refs, which
 * lets one process measure the peak of each part separately. */
static void bench_reset_peak(void)
{
    size_t peak = bench_peak();
    if (peak > bench_run_peak) bench_run_peak = peak;
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f) return;
    fputs("5", f);
    fclose(f);
}

static double bench_mb(size_t bytes) { return (double)bytes / 1e6; }

/* ---- the state every stage runs on ------------------------------------------ */

typedef struct bench_run {
    const bench_corpus *bc;
    nd_ctx *ctx;
    nd_doc *doc;
    nd_corpus *corpus;       /* corpus stage: the last pass's collection */
    nd__span *paras;         /* every paragraph; offsets into the text arena */
    size_t npara, para_cap;
    nd__span *seg;           /* segment stage: one document's spans */
    size_t seg_cap;
    nd__tokenizer tk;
    uint64_t *arena;         /* shingle hashes of one paragraph */
    size_t arena_cap;
    uint32_t *sig;           /* K values */
    uint64_t sink;           /* every result is folded in: nothing is optimised away */
    double finish_s;         /* corpus stage: time spent in nd_corpus_finish */
    unsigned threads;        /* for nd_corpus_set_threads */
} bench_run;

/* Lists every paragraph once, as nd_doc_analyze() would segment it, so that
 * the tokenize/shingle/sign stages time only themselves. */
static int bench_list_paragraphs(bench_run *b)
{
    const nd_allocator *al = nd__default_allocator();
    nd_seg_mode mode = b->ctx->params.seg_mode, used;
    for (size_t d = 0; d < b->bc->ndocs; d++) {
        const bench_doc *doc = &b->bc->docs[d];
        size_t count = 0;
        int rc = nd__segment(al, b->bc->text + doc->off, doc->len, mode, &b->seg, &count, &b->seg_cap, &used);
        if (!rc) rc = nd__reserve(al, (void **)&b->paras, &b->para_cap, b->npara + count, sizeof *b->paras);
        if (rc) return rc;
        for (size_t i = 0; i < count; i++) {
            b->paras[b->npara].off = doc->off + b->seg[i].off;
            b->paras[b->npara++].len = b->seg[i].len;
        }
    }
    return ND_OK;
}

static int bench_run_init(bench_run *b, const bench_corpus *bc)
{
    memset(b, 0, sizeof *b);
    b->bc = bc;
    int rc = nd_ctx_create(&b->ctx, NULL, NULL);
    if (!rc) rc = nd_doc_create(&b->doc, b->ctx);
    if (rc) return rc;
    nd__tokenizer_init(&b->tk, nd__default_allocator(), b->ctx->params.seed);
    b->sig = malloc(sizeof *b->sig * b->ctx->params.num_perm);
    if (!b->sig) return ND_E_NOMEM;
    return bench_list_paragraphs(b);
}

static void bench_run_free(bench_run *b)
{
    const nd_allocator *al = nd__default_allocator();
    nd_corpus_free(b->corpus);
    nd__tokenizer_free(&b->tk);
    nd__free(al, b->paras);
    nd__free(al, b->seg);
    nd__free(al, b->arena);
    free(b->sig);
    nd_doc_free(b->doc);
    nd_ctx_free(b->ctx);
}

/* ---- stages ------------------------------------------------------------------ */

static int bench_st_xxh3(bench_run *b)
{
    uint64_t h = 0;
    for (size_t d = 0; d < b->bc->ndocs; d++)
        h += XXH3_64bits(b->bc->text + b->bc->docs[d].off, b->bc->docs[d].len);
    b->sink += h;
    return ND_OK;
}

static int bench_st_segment(bench_run *b)
{
    nd_seg_mode used;
    for (size_t d = 0; d < b->bc->ndocs; d++) {
        size_t count = 0;
        int rc = nd__segment(nd__default_allocator(), b->bc->text + b->bc->docs[d].off, b->bc->docs[d].len,
                             b->ctx->params.seg_mode, &b->seg, &count, &b->seg_cap, &used);
        if (rc) return rc;
        b->sink += count;
    }
    return ND_OK;
}

static int bench_st_tokenize(bench_run *b)
{
    uint64_t h = 0;
    for (size_t i = 0; i < b->npara; i++) {
        nd__token t[64];
        int rc;
        nd__tokenizer_reset(&b->tk, b->bc->text + b->paras[i].off, b->paras[i].len);
        while ((rc = nd__tokenizer_fill(&b->tk, t, 64)) > 0)
            for (int j = 0; j < rc; j++) h += t[j].hash;
        if (rc < 0) return rc;
    }
    b->sink += h;
    return ND_OK;
}

/* Shingles paragraph i into b->arena. @return the number of hashes, or <0. */
static long bench_shingle_one(bench_run *b, size_t i)
{
    size_t len = 0;
    nd__shingled sh;
    int rc = nd__shingle(&b->tk, b->bc->text + b->paras[i].off, b->paras[i].len, b->ctx->params.shingle_size,
                         b->ctx->params.seed, &b->arena, &len, &b->arena_cap, &sh);
    if (rc) return rc;
    b->sink += sh.key;
    return (long)len;
}

static int bench_st_shingle(bench_run *b)
{
    for (size_t i = 0; i < b->npara; i++) {
        long n = bench_shingle_one(b, i);
        if (n < 0) return (int)n;
        b->sink += (uint64_t)n;
    }
    return ND_OK;
}

static int bench_st_sign(bench_run *b)
{
    for (size_t i = 0; i < b->npara; i++) {
        long n = bench_shingle_one(b, i);
        if (n < 0) return (int)n;
        nd__minhash_sign(&b->ctx->mh, b->arena, (size_t)n, b->sig);
        b->sink += b->sig[0];
    }
    return ND_OK;
}

static int bench_st_analyze(bench_run *b)
{
    for (size_t d = 0; d < b->bc->ndocs; d++) {
        int rc = nd_doc_analyze(b->doc, b->bc->text + b->bc->docs[d].off, b->bc->docs[d].len);
        if (rc) return rc;
        b->sink += nd_doc_count(b->doc);
    }
    return ND_OK;
}

/* Everything `neardup scan` does between reading and writing: analyze and
 * add every document, then finish. *finish_s gets the time of the finish. */
static int bench_end_to_end(const bench_corpus *bc, nd_doc *doc, nd_corpus *c, double *finish_s)
{
    for (size_t d = 0; d < bc->ndocs; d++) {
        const bench_doc *x = &bc->docs[d];
        int rc = nd_doc_analyze(doc, bc->text + x->off, x->len);
        if (!rc) rc = nd_corpus_add(c, doc, bc->names + x->id_off, x->id_len, bc->names + x->src_off,
                                    x->src_len, NULL);
        if (rc) return rc;
    }
    double t0 = bench_now();
    int rc = nd_corpus_finish(c);
    *finish_s = bench_now() - t0;
    return rc;
}

static int bench_st_corpus(bench_run *b)
{
    int rc = nd_corpus_create(&b->corpus, b->ctx);
    if (!rc) rc = nd_corpus_set_threads(b->corpus, b->threads);
    if (!rc) rc = bench_end_to_end(b->bc, b->doc, b->corpus, &b->finish_s);
    b->sink += nd_corpus_count(b->corpus);
    return rc;
}

/* Untimed: freeing the collection is not part of the work. */
static void bench_after_corpus(bench_run *b)
{
    nd_corpus_free(b->corpus);
    b->corpus = NULL;
}

typedef struct bench_stage {
    const char *name, *what;
    int (*run)(bench_run *b);
    void (*after)(bench_run *b);   /* untimed, after each pass; may be NULL */
} bench_stage;

static const bench_stage bench_stages[] = {
    { "xxh3", "baseline: XXH3_64bits over each document's text", bench_st_xxh3, NULL },
    { "segment", "nd__segment (paragraph spans)", bench_st_segment, NULL },
    { "tokenize", "nd__tokenizer over every paragraph (UTF-8, NFKC, fold, hash)", bench_st_tokenize, NULL },
    { "shingle", "tokenize + nd__shingle (XXH3 per 5-token shingle)", bench_st_shingle, NULL },
    { "sign", "shingle + nd__minhash_sign (K values), no repeat search", bench_st_sign, NULL },
    { "analyze", "nd_doc_analyze: segment + shingle + sign + repeats", bench_st_analyze, NULL },
    { "corpus", "end to end: analyze + nd_corpus_add + nd_corpus_finish", bench_st_corpus,
      bench_after_corpus },
};
#define BENCH_NSTAGES (sizeof bench_stages / sizeof bench_stages[0])

/* ---- measuring a stage ------------------------------------------------------- */

typedef struct bench_result {
    double best, median;   /* wall seconds per pass over the corpus */
    double cpu;            /* CPU seconds per pass, fastest */
    double base;           /* fastest XXH3 pass timed right before one of this stage's */
    double finish;         /* corpus stage: fastest nd_corpus_finish */
    unsigned runs, loops;
} bench_result;

/* Times `loops` passes (the untimed cleanup excluded). @return wall seconds
 * per pass; *cpu gets CPU seconds per pass. */
static double bench_time_passes(bench_run *b, const bench_stage *st, unsigned loops, double *cpu, int *rc)
{
    double t = 0.0, c = 0.0;
    for (unsigned i = 0; i < loops && !*rc; i++) {
        double t0 = bench_now(), c0 = bench_cpu();
        *rc = st->run(b);
        t += bench_now() - t0;
        c += bench_cpu() - c0;
        if (st->after) st->after(b);
    }
    *cpu = c / loops;
    return t / loops;
}

/* Passes that make one sample of at least BENCH_MIN_PASS seconds. */
static unsigned bench_calibrate(bench_run *b, const bench_stage *st, int *rc)
{
    double cpu, t = bench_time_passes(b, st, 1, &cpu, rc);
    return t < BENCH_MIN_PASS ? (unsigned)ceil(BENCH_MIN_PASS / (t > 1e-6 ? t : 1e-6)) : 1;
}

static int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Takes samples of a stage until the budget is spent or max_runs are taken
 * (at least one). Each is preceded by an XXH3 sample (`base_loops` passes),
 * so that the stage and its baseline see the same state of the machine. */
static int bench_measure(bench_run *b, const bench_stage *st, unsigned base_loops, const bench_opts *o,
                         bench_result *out)
{
    double samples[BENCH_MAX_RUNS], start = bench_now(), cpu;
    int rc = ND_OK;
    unsigned n = 0, loops = bench_calibrate(b, st, &rc);
    out->finish = out->cpu = out->base = INFINITY;
    while (!rc && n < o->max_runs && n < BENCH_MAX_RUNS && (n == 0 || bench_now() - start < o->budget)) {
        double base = base_loops ? bench_time_passes(b, &bench_stages[0], base_loops, &cpu, &rc) : INFINITY;
        b->finish_s = INFINITY;
        samples[n++] = bench_time_passes(b, st, loops, &cpu, &rc);
        out->base = fmin(out->base, base);
        out->cpu = fmin(out->cpu, cpu);
        out->finish = fmin(out->finish, b->finish_s);
    }
    qsort(samples, n, sizeof *samples, bench_cmp_double);
    out->best = samples[0];
    out->median = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
    out->runs = n;
    out->loops = loops;
    return rc;
}

static void bench_print_row(const char *name, double secs, double median, double cpu, const bench_run *b,
                            double base)
{
    double mb = bench_mb(b->bc->text_len);
    printf("| %s | %.4f | %.4f | %.1f | %.0f | %.0f | %.1f | %.1f |\n", name, secs, median, mb / secs,
           (double)b->bc->ndocs / secs, (double)b->npara / secs, mb / cpu, secs / base);
}

static void bench_print_stages(const bench_run *b, const bench_opts *o, const bench_result *res)
{
    double lo = res[0].best, hi = res[0].best;
    printf("\n| stage | fastest s | median s | MB/s | docs/s | paras/s | MB/s of CPU time | time / XXH3 |\n"
           "|---|---|---|---|---|---|---|---|\n");
    bench_print_row("xxh3 (baseline)", res[0].best, res[0].median, res[0].cpu, b, res[0].best);
    for (size_t i = 1; i < BENCH_NSTAGES; i++) {
        if (!(o->stage_mask & (1u << i))) continue;
        bench_print_row(bench_stages[i].name, res[i].best, res[i].median, res[i].cpu, b, res[i].base);
        if (isfinite(res[i].finish))
            bench_print_row("  of which finish", res[i].finish, res[i].finish, res[i].finish, b, res[i].base);
        lo = fmin(lo, res[i].base);
        hi = fmax(hi, res[i].base);
    }
    if (hi > 1.25 * lo)
        printf("\nnote: the XXH3 baseline varied by %.0f%% during the run: the machine was busy\n",
               100.0 * (hi / lo - 1.0));
    printf("\nMB/s of CPU time: corpus MB / CPU seconds (user + system) of the pass, which other\n"
           "processes do not inflate; time / XXH3: fastest pass / fastest XXH3 pass timed just before\n"
           "the stage's passes. Stages:\n");
    for (size_t i = 0; i < BENCH_NSTAGES; i++)
        if (i == 0 || (o->stage_mask & (1u << i)))
            printf("  %-9s %s (%u samples of %u pass%s)\n", bench_stages[i].name, bench_stages[i].what,
                   res[i].runs, res[i].loops, res[i].loops > 1 ? "es" : "");
}

static int bench_stage_table(bench_run *b, const bench_opts *o)
{
    bench_result res[BENCH_NSTAGES];
    int rc = bench_measure(b, &bench_stages[0], 0, o, &res[0]);
    unsigned base_loops = res[0].loops;
    for (size_t i = 1; i < BENCH_NSTAGES && !rc; i++)
        if (o->stage_mask & (1u << i)) rc = bench_measure(b, &bench_stages[i], base_loops, o, &res[i]);
    if (rc) {
        fprintf(stderr, "nd_bench: %s\n", nd_strerror(rc));
        return rc;
    }
    bench_print_stages(b, o, res);
    return ND_OK;
}

/* ---- scaling: the corpus replicated ---------------------------------------- */

typedef struct bench_scale_row {
    size_t bytes, docs, paras;
    double wall, cpu, finish;
    size_t before, peak, after;   /* RSS: before the pass, its peak, with the collection built */
} bench_scale_row;

/* One end-to-end pass over a replica, with its time and memory. */
static int bench_scale_pass(const bench_corpus *rep, nd_ctx *ctx, unsigned threads, bench_scale_row *row)
{
    nd_doc *doc = NULL;
    nd_corpus *c = NULL;
    row->bytes = rep->text_len;
    row->docs = rep->ndocs;
    row->before = bench_rss();
    bench_reset_peak();
    double t0 = bench_now(), c0 = bench_cpu();
    int rc = nd_doc_create(&doc, ctx);
    if (!rc) rc = nd_corpus_create(&c, ctx);
    if (!rc) rc = nd_corpus_set_threads(c, threads);
    if (!rc) rc = bench_end_to_end(rep, doc, c, &row->finish);
    row->wall = bench_now() - t0;
    row->cpu = bench_cpu() - c0;
    row->peak = bench_peak();
    row->after = bench_rss();
    row->paras = 0;
    for (size_t d = 0; !rc && d < nd_corpus_count(c); d++) {
        nd_doc_info info = ND_DOC_INFO_INIT;
        nd_corpus_doc(c, d, &info);
        row->paras += info.paragraphs;
    }
    nd_corpus_free(c);
    nd_doc_free(doc);
    return rc;
}

static void bench_scale_print(unsigned factor, const bench_scale_row *r)
{
    double mb = bench_mb(r->bytes), grown = (double)(r->peak - r->before);
    printf("| %ux | %.0f | %zu | %zu | %.2f | %.2f | %.4f | %.4f | %.1f | %.2f | %.0f | %.0f | %.0f | %.0f |\n",
           factor, mb, r->docs, r->paras, r->wall, r->cpu, r->wall / mb, r->cpu / mb, mb / r->wall,
           r->finish, bench_mb(r->peak), grown / 1e6, grown / (double)r->docs, grown / (double)r->paras);
    fflush(stdout);
}

static int bench_scale(const bench_corpus *base, const bench_opts *o)
{
    nd_ctx *ctx = NULL;
    int rc = nd_ctx_create(&ctx, NULL, NULL);
    printf("\n## Scaling (one end-to-end pass per size; copies have one word changed per paragraph)\n\n"
           "| size | MB | docs | paras | wall s | CPU s | wall s/MB | CPU s/MB | MB/s | finish s |"
           " peak RSS MB | RSS growth MB | growth B/doc | growth B/para |\n"
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < o->nfactors && !rc; i++) {
        bench_corpus rep;
        bench_scale_row row;
        if (bench_corpus_replicate(&rep, base, o->factors[i], o->seed)) {
            rc = ND_E_NOMEM;
            break;
        }
        rc = bench_scale_pass(&rep, ctx, o->threads, &row);
        if (!rc) bench_scale_print(o->factors[i], &row);
        bench_corpus_free(&rep);
    }
    nd_ctx_free(ctx);
    if (rc) fprintf(stderr, "nd_bench: scale: %s\n", nd_strerror(rc));
    return rc;
}

/* ---- memory per indexed paragraph -------------------------------------------- */

/* The corpus analyzed once: what nd_corpus_add_signed needs of each paragraph. */
typedef struct bench_signed {
    size_t *para0;         /* per document, its first paragraph; para0[ndocs] = npara */
    nd_para_sig *paras;    /* .signature unset: see sigs */
    uint32_t *sigs;        /* npara * K */
    size_t npara, max_doc; /* paragraphs in all, in the largest document */
} bench_signed;

static void bench_signed_free(bench_signed *s)
{
    free(s->para0);
    free(s->paras);
    free(s->sigs);
}

static int bench_signed_doc(bench_signed *s, const nd_doc *doc, unsigned k, size_t *cap)
{
    size_t n = nd_doc_count(doc);
    if (s->npara + n > *cap) {
        size_t ncap = 2 * (s->npara + n);
        nd_para_sig *p = realloc(s->paras, ncap * sizeof *p);
        if (p) s->paras = p;
        uint32_t *g = realloc(s->sigs, ncap * k * sizeof *g);
        if (g) s->sigs = g;
        if (!p || !g) return ND_E_NOMEM;
        *cap = ncap;
    }
    for (size_t i = 0; i < n; i++, s->npara++) {
        nd_para_info info = ND_PARA_INFO_INIT;
        nd_doc_para(doc, i, &info);
        /* designated: fields added to nd_para_sig later start as zero */
        nd_para_sig ps = { .offset = info.offset, .length = info.length, .kind = info.kind, .of = info.of,
                           .shingles = info.shingles, .tokens = info.tokens, .similarity = info.similarity };
        s->paras[s->npara] = ps;
        memcpy(s->sigs + s->npara * k, nd_doc_para_signature(doc, i), k * sizeof *s->sigs);
    }
    if (n > s->max_doc) s->max_doc = n;
    return ND_OK;
}

static int bench_signed_build(bench_signed *s, const bench_corpus *bc, nd_ctx *ctx)
{
    nd_doc *doc = NULL;
    size_t cap = 0;
    memset(s, 0, sizeof *s);
    s->para0 = malloc((bc->ndocs + 1) * sizeof *s->para0);
    int rc = s->para0 ? nd_doc_create(&doc, ctx) : ND_E_NOMEM;
    for (size_t d = 0; d < bc->ndocs && !rc; d++) {
        s->para0[d] = s->npara;
        rc = nd_doc_analyze(doc, bc->text + bc->docs[d].off, bc->docs[d].len);
        if (!rc) rc = bench_signed_doc(s, doc, nd_ctx_num_perm(ctx), &cap);
    }
    if (!rc) s->para0[bc->ndocs] = s->npara;
    nd_doc_free(doc);
    return rc;
}

/* Copy r >= 1 of a paragraph's signature.
 * near:     as if one word had changed: a word is in at most w shingles, so
 *           about 2c/(s+c) of the values move (c = min(w, s) shingles replaced
 *           out of s); those get fresh random values. The copy stays in its
 *           family, as a changed word does.
 * distinct: every value remapped by a bijection keyed by r: copy r is a new
 *           text unrelated to copy 0, yet keeps the corpus's own structure
 *           (equal values stay equal), so every paragraph starts a family. */
static void bench_vary_sig(uint32_t *out, const uint32_t *in, unsigned k, size_t shingles, unsigned w,
                           int distinct, unsigned r, uint64_t *rng)
{
    if (distinct) {
        uint64_t salt = (uint64_t)r * 0x9e3779b97f4a7c15ull;
        for (unsigned i = 0; i < k; i++)
            out[i] = in[i] == UINT32_MAX ? in[i] : (uint32_t)(nd__mix64(in[i] + salt) >> 32);
        return;
    }
    double c = shingles < w ? (double)shingles : (double)w, s = shingles ? (double)shingles : 1.0;
    double p = c > 0 ? 2.0 * c / (s + c) : 1.0;
    uint64_t cut = p >= 1.0 ? UINT64_MAX : (uint64_t)(p * 18446744073709551616.0);
    for (unsigned i = 0; i < k; i++) {
        uint64_t x = bench_rand(rng);
        out[i] = x < cut ? (uint32_t)(bench_rand(rng) >> 32) : in[i];
    }
}

typedef struct bench_index_job {
    const bench_corpus *bc;
    const bench_signed *s;
    unsigned k, w;
    int distinct;
    uint64_t seed;
    unsigned threads;      /* nd_corpus_set_threads */
    nd_para_sig *tmp;      /* one document's paragraphs */
    uint32_t *vsig;        /* their varied signatures */
} bench_index_job;

/* Adds document d of copy r, cut to at most `room` paragraphs (a cut keeps
 * every repeat's root, which precedes it). @return paragraphs added, or <0. */
static long bench_index_doc(bench_index_job *j, nd_corpus *c, unsigned r, size_t d, size_t room)
{
    const bench_doc *x = &j->bc->docs[d];
    size_t p0 = j->s->para0[d], n = j->s->para0[d + 1] - p0;
    uint64_t rng = j->seed ^ ((uint64_t)r << 40) ^ d;
    char id[64];
    if (n > room) n = room;
    for (size_t i = 0; i < n; i++) {
        j->tmp[i] = j->s->paras[p0 + i];
        j->tmp[i].signature = j->s->sigs + (p0 + i) * j->k;
        if (r == 0) continue;
        bench_vary_sig(j->vsig + i * j->k, j->tmp[i].signature, j->k, j->tmp[i].shingles, j->w,
                       j->distinct, r, &rng);
        j->tmp[i].signature = j->vsig + i * j->k;
    }
    int len = snprintf(id, sizeof id, "%.*s#%u", (int)(x->id_len < 40 ? x->id_len : 40),
                       j->bc->names + x->id_off, r);
    int rc = nd_corpus_add_signed(c, id, (size_t)len, j->bc->names + x->src_off, x->src_len, j->tmp, n,
                                  NULL, NULL);
    return rc ? rc : (long)n;
}

/* Adds copies 0, 1, 2... of the corpus until `target` paragraphs are in. */
static int bench_index_fill(bench_index_job *j, nd_corpus *c, size_t target)
{
    size_t added = 0;
    for (unsigned r = 0; added < target; r++) {
        for (size_t d = 0; d < j->bc->ndocs && added < target; d++) {
            long n = bench_index_doc(j, c, r, d, target - added);
            if (n < 0) return (int)n;
            added += (size_t)n;
        }
    }
    return ND_OK;
}

typedef struct bench_index_row {
    size_t paras, docs;
    double add_s, finish_s;
    size_t base, added, finished;      /* RSS: empty, after the adds, after finish */
    size_t add_peak, finish_peak;      /* peak RSS during the adds, during finish */
} bench_index_row;

static int bench_index_size(bench_index_job *j, nd_ctx *ctx, size_t target, bench_index_row *row)
{
    nd_corpus *c = NULL;
    int rc = nd_corpus_create(&c, ctx);
    if (!rc && (rc = nd_corpus_set_threads(c, j->threads)) != ND_OK) nd_corpus_free(c);
    if (rc) return rc;
    row->paras = target;
    row->base = bench_rss();
    bench_reset_peak();
    double t0 = bench_now();
    rc = bench_index_fill(j, c, target);
    row->add_s = bench_now() - t0;
    row->add_peak = bench_peak();
    row->added = bench_rss();
    row->docs = nd_corpus_count(c);
    bench_reset_peak();
    t0 = bench_now();
    if (!rc) rc = nd_corpus_finish(c);
    row->finish_s = bench_now() - t0;
    row->finish_peak = bench_peak();
    row->finished = bench_rss();
    nd_corpus_free(c);
    return rc;
}

/* Memory figures are RSS growth over the empty collection, so the corpus and
 * its signatures held by the benchmark itself do not count. */
static void bench_index_print(const bench_index_row *r)
{
    double np = (double)r->paras, nd = (double)r->docs;
    double added = (double)(r->added - r->base), add_peak = (double)(r->add_peak - r->base);
    double fin_peak = (double)(r->finish_peak - r->base), fin = (double)(r->finished - r->base);
    printf("| %zu | %zu | %.1f | %.1f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f |\n", r->paras,
           r->docs, r->add_s, r->finish_s, added / 1e6, added / np, added / nd, add_peak / np, fin_peak / 1e6,
           fin_peak / np, fin_peak / nd, fin / np);
    fflush(stdout);
}

/* Is there room for `target` paragraphs at `per_para` bytes each? A size that
 * would push the machine into swap or the OOM killer (which would pick the
 * largest process, maybe a neighbour's) is skipped instead. */
static int bench_index_fits(size_t target, double per_para)
{
    double need = per_para * (double)target * 1.15 + 256e6;
    double avail = (double)bench_proc_kb("/proc/meminfo", "MemAvailable");
    if (avail == 0.0 || need < avail) return 1;
    printf("| %.1fM | skipped: needs about %.1f GB, MemAvailable is %.1f GB |\n", (double)target / 1e6,
           need / 1e9, avail / 1e9);
    return 0;
}

static int bench_index(const bench_corpus *bc, const bench_opts *o)
{
    nd_ctx *ctx = NULL;
    bench_signed s;
    bench_index_job j;
    memset(&j, 0, sizeof j);
    memset(&s, 0, sizeof s);
    int rc = nd_ctx_create(&ctx, NULL, NULL);
    double t0 = bench_now();
    if (!rc) rc = bench_signed_build(&s, bc, ctx);
    if (!rc) {
        const unsigned k = nd_ctx_num_perm(ctx);
        j = (bench_index_job){ bc, &s, k, ctx->params.shingle_size, o->distinct, o->seed, o->threads,
                               malloc(s.max_doc * sizeof *j.tmp), malloc(s.max_doc * k * sizeof *j.vsig) };
        if (!j.tmp || !j.vsig) rc = ND_E_NOMEM;
    }
    printf("\n## Memory per indexed paragraph (nd_corpus_add_signed, %s copies; corpus signed once in %.1f s)\n\n"
           "| paragraphs | docs | add s | finish s | after add MB | B/para | B/doc | add peak B/para |"
           " finish peak MB | B/para | B/doc | after finish B/para |\n"
           "|---|---|---|---|---|---|---|---|---|---|---|---|\n",
           o->distinct ? "distinct" : "near-duplicate", bench_now() - t0);
    double per_para = 2000.0; /* a guess until the first size is measured */
    for (size_t i = 0; i < o->nsizes && !rc; i++) {
        bench_index_row row;
        if (!bench_index_fits(o->sizes[i], per_para)) continue;
        rc = bench_index_size(&j, ctx, o->sizes[i], &row);
        if (rc) break;
        bench_index_print(&row);
        size_t peak = row.add_peak > row.finish_peak ? row.add_peak : row.finish_peak;
        per_para = (double)(peak - row.base) / (double)row.paras;
    }
    free(j.tmp);
    free(j.vsig);
    bench_signed_free(&s);
    nd_ctx_free(ctx);
    if (rc) fprintf(stderr, "nd_bench: index: %s\n", nd_strerror(rc));
    return rc;
}

/* Appends document d of copy r to the store: its paragraphs varied as for
 * --index10m, its content signature their element-wise minimum, as
 * nd_doc_signature() makes it. */
static int bench_store_doc(bench_index_job *j, nd_store *st, unsigned r, size_t d, uint32_t *dsig)
{
    const bench_doc *x = &j->bc->docs[d];
    size_t p0 = j->s->para0[d], n = j->s->para0[d + 1] - p0;
    uint64_t rng = j->seed ^ ((uint64_t)r << 40) ^ d;
    char id[64];
    for (unsigned v = 0; v < j->k; v++) dsig[v] = UINT32_MAX;
    for (size_t i = 0; i < n; i++) {
        j->tmp[i] = j->s->paras[p0 + i];
        j->tmp[i].signature = j->s->sigs + (p0 + i) * j->k;
        if (r > 0) {
            bench_vary_sig(j->vsig + i * j->k, j->tmp[i].signature, j->k, j->tmp[i].shingles, j->w,
                           j->distinct, r, &rng);
            j->tmp[i].signature = j->vsig + i * j->k;
        }
        if (j->tmp[i].kind != ND_KIND_REPEAT) nd_signature_merge(dsig, j->tmp[i].signature, j->k);
    }
    int len = snprintf(id, sizeof id, "%.*s#%u", (int)(x->id_len < 40 ? x->id_len : 40),
                       j->bc->names + x->id_off, r);
    nd_store_record rec = { id, (size_t)len, j->bc->names + x->src_off, x->src_len, (int64_t)r * 86400,
                            j->tmp, n, dsig };
    return nd_store_append_record(st, &rec);
}

/* --store: writes a store of o->store_docs documents, committing every
 * 10,000 as `neardup index` does. */
static int bench_store(const bench_corpus *bc, const bench_opts *o)
{
    nd_params p;
    nd_ctx *ctx = NULL;
    nd_store *st = NULL;
    bench_signed s;
    bench_index_job j;
    uint32_t dsig[ND_MAX_NUM_PERM];
    memset(&j, 0, sizeof j);
    memset(&s, 0, sizeof s);
    nd_params_init(&p, ND_PARAMS_VERSION);
    p.num_perm = 32; /* what `neardup index` makes by default */
    p.sig_bits = 8;
    int rc = nd_ctx_create(&ctx, &p, NULL);
    double t0 = bench_now();
    if (!rc) rc = bench_signed_build(&s, bc, ctx);
    if (!rc) {
        j = (bench_index_job){ bc, &s, p.num_perm, p.shingle_size, o->distinct, o->seed, o->threads,
                               malloc(s.max_doc * sizeof *j.tmp), malloc(s.max_doc * p.num_perm * sizeof *j.vsig) };
        if (!j.tmp || !j.vsig) rc = ND_E_NOMEM;
    }
    remove(o->store_path);
    if (!rc) rc = nd_store_open(&st, o->store_path, ND_STORE_CREATE, ctx);
    double t1 = bench_now();
    size_t added = 0;
    for (unsigned r = 0; !rc && added < o->store_docs; r++)
        for (size_t d = 0; d < bc->ndocs && !rc && added < o->store_docs; d++) {
            rc = bench_store_doc(&j, st, r, d, dsig);
            if (!rc && ++added % 10000 == 0) rc = nd_store_commit(st);
        }
    if (!rc) rc = nd_store_commit(st);
    nd_store_info info = ND_STORE_INFO_INIT;
    if (!rc && !(rc = nd_store_describe(st, &info)))
        printf("\n## Store of %zu documents (%s copies): %s\n\n%llu paragraphs, %llu blocks, %llu bytes"
               " (%.1f per paragraph); corpus signed in %.1f s, store written in %.1f s\n",
               added, o->distinct ? "distinct" : "near-duplicate", o->store_path,
               (unsigned long long)info.paragraphs, (unsigned long long)info.blocks,
               (unsigned long long)info.file_bytes, (double)info.file_bytes / (double)info.paragraphs,
               t1 - t0, bench_now() - t1);
    if (rc) fprintf(stderr, "nd_bench: store: %s\n", st ? nd_store_errmsg(st) : nd_strerror(rc));
    nd_store_close(st);
    free(j.tmp);
    free(j.vsig);
    bench_signed_free(&s);
    nd_ctx_free(ctx);
    return rc;
}

/* ---- nd_ctx_create --------------------------------------------------------------- */

/* How contexts chose their LSH bands and rows before the search in lsh.c: a
 * scan of every pair, each by 200-step midpoint sums of the S-curve
 * (tests/test_lsh.c keeps the same scan and checks the choices agree). */
static double bench_pcand(double s, unsigned b, unsigned r)
{
    return 1.0 - pow(1.0 - pow(s, (double)r), (double)b);
}

static void bench_scan_rows(double t, unsigned k, unsigned min_rows, unsigned *bands, unsigned *rows)
{
    double best = 2.0;
    *bands = 1;
    *rows = k;
    for (unsigned b = 1; b <= k; b++)
        for (unsigned r = min_rows; b * r <= k; r++) {
            double fp = 0.0, fn = 0.0;
            for (int i = 0; i < 200; i++) {
                double s = t * (i + 0.5) / 200;
                fp += bench_pcand(s, b, r) * t / 200;
                s = t + (1.0 - t) * (i + 0.5) / 200;
                fn += (1.0 - bench_pcand(s, b, r)) * (1.0 - t) / 200;
            }
            double err = 0.1 * fp + 0.9 * fn;
            if (err < best) {
                best = err;
                *bands = b;
                *rows = r;
            }
        }
}

/* The two choices nd_ctx_create makes (families, copies), one way or the
 * other; out[4] receives them. */
static void bench_ctx_choices(const nd_params *p, int scan, unsigned *out)
{
    if (scan) {
        bench_scan_rows(p->repeat_threshold, p->num_perm, 1, out, out + 1);
        bench_scan_rows(0.3, p->num_perm, 1, out + 2, out + 3);
    } else {
        nd__lsh_optimal_rows(p->repeat_threshold, p->num_perm, 0.1, 0.9, 1, out, out + 1);
        nd__lsh_optimal_rows(0.3, p->num_perm, 0.1, 0.9, 1, out + 2, out + 3);
    }
}

/* CPU seconds of this thread, to the nanosecond: calls of microseconds
 * are timed by it, as a wall clock counts the other processes' turns. */
static double bench_thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU seconds per call of one of: 0 nd_ctx_create + nd_ctx_free, 1 the
 * search, 2 the scan; the fastest of `runs` samples of at least 0.05 s. */
static double bench_ctx_time(const nd_params *p, int what, unsigned runs, unsigned *choice)
{
    double best = 1e30;
    for (unsigned s = 0; s < runs; s++) {
        unsigned n = 0;
        double t0 = bench_thread_cpu(), t;
        do {
            if (what == 0) {
                nd_ctx *ctx;
                if (nd_ctx_create(&ctx, p, NULL)) return -1;
                nd_ctx_free(ctx);
            } else {
                bench_ctx_choices(p, what == 2, choice);
            }
            n++;
        } while ((t = bench_thread_cpu() - t0) < 0.05);
        if (t / n < best) best = t / n;
    }
    return best;
}

static int bench_ctx(const bench_opts *o)
{
    static const unsigned ks[] = { 32, 128, 1024 };
    printf("\n## nd_ctx_create, CPU time per call (defaults but K; fastest of %u samples)\n",
           o->max_runs);
    printf("%6s %14s %12s %12s %10s  %s\n", "K", "nd_ctx_create", "search", "old scan",
           "scan/search", "families, copies");
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
        nd_params p;
        nd_params_init(&p, ND_PARAMS_VERSION);
        p.num_perm = ks[i];
        unsigned a[4], b[4];
        double create = bench_ctx_time(&p, 0, o->max_runs, a);
        double search = bench_ctx_time(&p, 1, o->max_runs, a);
        double scan = bench_ctx_time(&p, 2, o->max_runs < 3 ? o->max_runs : 3, b);
        if (create < 0) return ND_E_NOMEM;
        printf("%6u %11.1f us %9.1f us %9.1f us %9.0fx  %ux%u, %ux%u%s\n", ks[i], create * 1e6,
               search * 1e6, scan * 1e6, scan / search, a[0], a[1], a[2], a[3],
               memcmp(a, b, sizeof a) ? "  DIFFERS FROM THE SCAN" : "");
        if (memcmp(a, b, sizeof a)) return ND_E_STATE;
        fflush(stdout);
    }
    return ND_OK;
}

/* ---- options ------------------------------------------------------------------ */

static const char *bench_usage =
    "usage: nd_bench [options] [CORPUS]\n"
    "\n"
    "CORPUS is a .jsonl file ({\"id\",\"text\",\"source\"} per line) or a text file whose\n"
    "documents are separated by a line holding only a form feed; default\n"
    "bench-corpus/news.jsonl (build it with bench/make_corpus.sh).\n"
    "\n"
    "parts (default: --stages all):\n"
    "  --stages LIST        comma-separated: segment,tokenize,shingle,sign,analyze,corpus\n"
    "                       or all; the XXH3 baseline always runs\n"
    "  --scale[=LIST]       end to end over the corpus replicated LIST times (default 1,2,4,8)\n"
    "  --index10m[=LIST]    paragraphs indexed from signatures (default 1M,3M,10M)\n"
    "  --all                all three parts\n"
    "  --ctx                nd_ctx_create, and its LSH search against the old full scan\n"
    "                       (no corpus needed when it is the only part)\n"
    "  --store N            a signature store of N documents (e.g. 1M) at --store-path\n"
    "                       (default bench-store.nds), copies varied as --index-mode says\n"
    "options:\n"
    "  --index-mode MODE    near (default): copies are near-duplicates of the corpus;\n"
    "                       distinct: every copy is unrelated text (every paragraph indexed)\n"
    "  --budget SECONDS     time budget per stage (default 10)\n"
    "  --runs N             at most N samples per stage (default 10)\n"
    "  --seed N             seed of the variations (default 20240601)\n"
    "  --threads N          threads nd_corpus_finish may use (default 1; the analysis\n"
    "                       stays on one thread: bench/run.sh times the CLI's --threads)\n"
    "  -h, --help           this help\n";

/* Parses "1,2,4" or "1M,3M,500k" into out. @return the count, 0 when bad. */
static size_t bench_parse_list(const char *s, size_t *out, size_t max)
{
    size_t n = 0;
    while (s && *s && n < max) {
        char *end;
        double v = strtod(s, &end);
        if (end == s || v <= 0) return 0;
        if (*end == 'k' || *end == 'K') v *= 1e3, end++;
        else if (*end == 'm' || *end == 'M') v *= 1e6, end++;
        out[n++] = (size_t)(v + 0.5);
        if (*end != ',' && *end) return 0;
        s = *end ? end + 1 : end;
    }
    return n;
}

static int bench_parse_stages(const char *s, unsigned *mask)
{
    *mask = 0;
    while (s && *s) {
        size_t len = strcspn(s, ",");
        int found = len == 3 && !strncmp(s, "all", 3);
        if (found) *mask = ~0u;
        for (size_t i = 1; i < BENCH_NSTAGES && !found; i++)
            if (strlen(bench_stages[i].name) == len && !strncmp(s, bench_stages[i].name, len)) {
                *mask |= 1u << i;
                found = 1;
            }
        if (!found) return -1;
        s += len + (s[len] == ',');
    }
    return *mask ? 0 : -1;
}

/* "--name=value" or "--name value" (value optional when opt_ok). */
static const char *bench_value(int argc, char **argv, int *i, const char *name, int opt_ok)
{
    size_t n = strlen(name);
    if (argv[*i][n] == '=') return argv[*i] + n + 1;
    if (opt_ok || *i + 1 >= argc) return NULL;
    return argv[++*i];
}

static int bench_is(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return !strncmp(arg, name, n) && (arg[n] == '\0' || arg[n] == '=');
}

/* One option. @return 0 ok, -1 bad (message printed), 1 help. */
static int bench_option(bench_opts *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i], *v;
    size_t tmp[BENCH_MAX_LIST];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) return 1;
    if (!strcmp(a, "--ctx")) {
        o->ctx = 1;
    } else if (!strcmp(a, "--all")) {
        o->stage_mask = ~0u;
        o->nfactors = o->nsizes = (size_t)-1; /* defaults filled in later */
    } else if (bench_is(a, "--stages")) {
        if (bench_parse_stages(bench_value(argc, argv, i, "--stages", 0), &o->stage_mask)) goto bad;
    } else if (bench_is(a, "--scale")) {
        v = bench_value(argc, argv, i, "--scale", 1);
        o->nfactors = v ? bench_parse_list(v, tmp, BENCH_MAX_LIST) : (size_t)-1;
        if (!o->nfactors) goto bad;
        for (size_t k = 0; v && k < o->nfactors; k++) o->factors[k] = (unsigned)tmp[k];
    } else if (bench_is(a, "--index10m")) {
        v = bench_value(argc, argv, i, "--index10m", 1);
        o->nsizes = v ? bench_parse_list(v, o->sizes, BENCH_MAX_LIST) : (size_t)-1;
        if (!o->nsizes) goto bad;
    } else if (bench_is(a, "--index-mode")) {
        v = bench_value(argc, argv, i, "--index-mode", 0);
        if (!v || (strcmp(v, "near") && strcmp(v, "distinct"))) goto bad;
        o->distinct = !strcmp(v, "distinct");
    } else if (bench_is(a, "--store")) {
        v = bench_value(argc, argv, i, "--store", 0);
        size_t n[1];
        if (!v || bench_parse_list(v, n, 1) != 1) goto bad;
        o->store_docs = n[0];
    } else if (bench_is(a, "--store-path")) {
        if (!(o->store_path = bench_value(argc, argv, i, "--store-path", 0))) goto bad;
    } else if (bench_is(a, "--budget")) {
        v = bench_value(argc, argv, i, "--budget", 0);
        if (!v || (o->budget = strtod(v, NULL)) <= 0) goto bad;
    } else if (bench_is(a, "--threads")) {
        v = bench_value(argc, argv, i, "--threads", 0);
        if (!v || (o->threads = (unsigned)strtoul(v, NULL, 10)) == 0 || o->threads > 256) goto bad;
    } else if (bench_is(a, "--runs")) {
        v = bench_value(argc, argv, i, "--runs", 0);
        if (!v || (o->max_runs = (unsigned)strtoul(v, NULL, 10)) == 0) goto bad;
    } else if (bench_is(a, "--seed")) {
        v = bench_value(argc, argv, i, "--seed", 0);
        if (!v) goto bad;
        o->seed = strtoull(v, NULL, 0);
    } else {
        goto bad;
    }
    return 0;
bad:
    fprintf(stderr, "nd_bench: bad or unknown option: %s\nTry 'nd_bench --help'.\n", a);
    return -1;
}

static void bench_defaults(bench_opts *o)
{
    static const unsigned factors[] = { 1, 2, 4, 8 };
    static const size_t sizes[] = { 1000000, 3000000, 10000000 };
    if (o->nfactors == (size_t)-1) {
        memcpy(o->factors, factors, sizeof factors);
        o->nfactors = 4;
    }
    if (o->nsizes == (size_t)-1) {
        memcpy(o->sizes, sizes, sizeof sizes);
        o->nsizes = 3;
    }
    if (o->store_docs && !o->store_path) o->store_path = "bench-store.nds";
    if (!o->stage_mask && !o->nfactors && !o->nsizes && !o->store_docs && !o->ctx) o->stage_mask = ~0u;
    if (o->max_runs > BENCH_MAX_RUNS) o->max_runs = BENCH_MAX_RUNS;
}

/* @return 0 to run, 1 after --help, 2 on a usage error. */
static int bench_parse(bench_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->path = "bench-corpus/news.jsonl";
    o->budget = 10.0;
    o->max_runs = 10;
    o->threads = 1;
    o->seed = 20240601;
    int have_path = 0;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] != '-' || !strcmp(argv[i], "-")) {
            if (have_path++) { /* e.g. "--scale 8": optional values need "=" */
                fprintf(stderr, "nd_bench: more than one CORPUS: %s (write --scale=LIST)\n", argv[i]);
                return 2;
            }
            o->path = !strcmp(argv[i], "-") ? "/dev/stdin" : argv[i];
            continue;
        }
        int rc = bench_option(o, argc, argv, &i);
        if (rc > 0) fputs(bench_usage, stdout);
        if (rc) return rc > 0 ? 1 : 2;
    }
    bench_defaults(o);
    return 0;
}

/* ---- main ---------------------------------------------------------------------- */

static void bench_header(const bench_run *b, const bench_opts *o, double load_s)
{
    const nd_ctx *ctx = b->ctx;
    printf("# nd_bench: libneardup %s, %s kernel, K=%u, w=%u, finish on %u thread%s\n",
           nd_version_string(), nd_ctx_isa(ctx), ctx->params.num_perm, ctx->params.shingle_size,
           o->threads, o->threads == 1 ? "" : "s");
    printf("LSH bands x rows: repeats %ux%u, families %ux%u, copies %ux%u\n", ctx->repeat_bands,
           ctx->repeat_rows, ctx->para_bands, ctx->para_rows, ctx->doc_bands, ctx->doc_rows);
    printf("corpus: %s: %.1f MB of text, %zu documents, %zu paragraphs", o->path, bench_mb(b->bc->text_len),
           b->bc->ndocs, b->npara);
    if (b->bc->skipped) printf(" (%zu lines skipped)", b->bc->skipped);
    printf("; loaded in %.1f s; RSS %.0f MB\n", load_s, bench_mb(bench_rss()));
    printf("budget %.0f s and at most %u samples per stage; seed %llu\n", o->budget, o->max_runs,
           (unsigned long long)o->seed);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    bench_opts o;
    bench_corpus bc = BENCH_CORPUS_INIT;
    bench_run b;
    char err[512];
    int rc = bench_parse(&o, argc, argv);
    if (rc) return rc == 1 ? 0 : 2;
    if (o.ctx && !o.stage_mask && !o.nfactors && !o.nsizes && !o.store_docs) {
        printf("# nd_bench: libneardup %s\n", nd_version_string());
        rc = bench_ctx(&o);
        if (rc) fprintf(stderr, "nd_bench: %s\n", nd_strerror(rc));
        return rc ? 1 : 0;
    }
    double t0 = bench_now();
    if (bench_corpus_load(&bc, o.path, err, sizeof err)) {
        fprintf(stderr, "nd_bench: %s\n", err);
        return 1;
    }
    rc = bench_run_init(&b, &bc);
    b.threads = o.threads;
    if (rc) {
        fprintf(stderr, "nd_bench: %s\n", nd_strerror(rc));
        return 1;
    }
    bench_header(&b, &o, bench_now() - t0);
    if (o.stage_mask) rc = bench_stage_table(&b, &o);
    if (!rc && o.nfactors) rc = bench_scale(&bc, &o);
    if (!rc && o.nsizes) rc = bench_index(&bc, &o);
    if (!rc && o.store_docs) rc = bench_store(&bc, &o);
    if (!rc && o.ctx) rc = bench_ctx(&o);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    bench_reset_peak(); /* folds the last part's peak into bench_run_peak */
    printf("\npeak RSS of the whole run: %.0f MB (getrusage ru_maxrss: %.0f MB, since the last reset"
           " of the peak by a part)\n", bench_mb(bench_run_peak), (double)ru.ru_maxrss * 1024 / 1e6);
    if (b.sink == 42) puts(""); /* keeps every stage's result alive */
    bench_run_free(&b);
    bench_corpus_free(&bc);
    return rc ? 1 : 0;
}
