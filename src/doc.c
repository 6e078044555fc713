/*
 * One document: segment, shingle and sign every paragraph, then find the
 * paragraphs that repeat an earlier one.
 *
 * Repeats. Only the first paragraph of each family (a "root") is put in a
 * small LSH index of the document. Each paragraph looks up its bands; every
 * root it meets there is a candidate, verified on the exact shingle sets: a
 * paragraph is a repeat of the most similar root whose Jaccard similarity is
 * at or above repeat_threshold. Verifying exactly makes the verdict
 * independent of the seed and of the estimator's noise (±0.03 at K=128 near
 * J=0.85), and indexing only roots keeps a page of 10,000 copies of one
 * caption linear. Paragraphs too short to have a full shingle must be equal
 * token for token, digits included ("22 PHOTOS" is not "23 PHOTOS"); they are
 * looked up by that exact key in a hash table rather than through the LSH,
 * where "Photo 1 of 300" ... "Photo 300 of 300" would share one bucket.
 */
#include <stdlib.h>
#include "internal.h"

/* Chain entries walked per paragraph at most (bounds the collection step). */
#define ND__MAX_WALK 65536

typedef struct nd__para {
    size_t off, len;
    size_t sh_off, sh_n;   /* shingle hashes in the arena */
    size_t tokens;
    uint64_t key;          /* exact key (digits kept) */
    size_t of;
    double sim;
    nd_kind kind;
    size_t sh_total;       /* shingles before deduplication */
    int sorted;            /* arena segment sorted and deduplicated */
} nd__para;

struct nd_doc {
    const nd_ctx *ctx;
    const nd_allocator *al;
    nd__span *spans;
    size_t span_cap;
    nd__para *paras;
    size_t para_cap, n, repeats;
    uint32_t *sigs;
    size_t sig_cap;
    uint64_t *arena;
    size_t arena_len, arena_cap;
    uint32_t *stamp;       /* per paragraph: last paragraph that collected it, + 1 */
    uint32_t *hits;        /* per paragraph: bands shared with the one looking up */
    uint32_t *cand;        /* candidates of the current lookup */
    size_t stamp_cap, hits_cap, cand_cap;
    uint64_t *short_keys;  /* exact keys of short paragraphs seen, 0 = empty */
    uint32_t *short_first; /* the first paragraph with that key */
    size_t short_cap;      /* slots, a power of two */
    nd__tokenizer tk;
    nd__lsh lsh;
    nd_seg_mode mode;
};

int nd_doc_create(nd_doc **out, const nd_ctx *ctx)
{
    if (!out) return ND_E_INVALID;
    *out = NULL;
    if (!ctx) return ND_E_INVALID;
    nd_doc *d = nd__calloc(&ctx->alloc, 1, sizeof *d);
    if (!d) return ND_E_NOMEM;
    d->ctx = ctx;
    d->al = &ctx->alloc;
    nd__tokenizer_init(&d->tk, d->al, ctx->params.seed);
    nd__lsh_init(&d->lsh, d->al, ctx->repeat_bands, ctx->repeat_rows);
    *out = d;
    return ND_OK;
}

void nd_doc_free(nd_doc *d)
{
    if (!d) return;
    const nd_allocator *al = d->al;
    nd__free(al, d->spans);
    nd__free(al, d->paras);
    nd__free(al, d->sigs);
    nd__free(al, d->arena);
    nd__free(al, d->stamp);
    nd__free(al, d->hits);
    nd__free(al, d->cand);
    nd__free(al, d->short_keys);
    nd__free(al, d->short_first);
    nd__tokenizer_free(&d->tk);
    nd__lsh_free(&d->lsh);
    nd__free(al, d);
}

static int nd__cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Sorts and deduplicates a paragraph's shingles in place, once. */
static void nd__para_set(nd_doc *d, nd__para *p)
{
    if (p->sorted) return;
    uint64_t *s = d->arena + p->sh_off;
    qsort(s, p->sh_n, sizeof *s, nd__cmp_u64);
    size_t u = 0;
    for (size_t i = 0; i < p->sh_n; i++)
        if (u == 0 || s[i] != s[u - 1]) s[u++] = s[i];
    p->sh_n = u;
    p->sorted = 1;
}

/* Exact Jaccard similarity of two paragraphs' shingle sets (both long). */
static double nd__jaccard(nd_doc *d, nd__para *a, nd__para *b, double t)
{
    nd__para_set(d, a);
    nd__para_set(d, b);
    size_t na = a->sh_n, nb = b->sh_n;
    /* J <= min/max: skip the merge when sizes alone rule it out */
    if ((double)(na < nb ? na : nb) < t * (double)(na < nb ? nb : na)) return 0.0;
    const uint64_t *x = d->arena + a->sh_off, *y = d->arena + b->sh_off;
    size_t i = 0, j = 0, common = 0;
    while (i < na && j < nb) {
        if (x[i] < y[j]) i++;
        else if (x[i] > y[j]) j++;
        else { common++; i++; j++; }
    }
    return (double)common / (double)(na + nb - common);
}

static int nd__sign_paragraphs(nd_doc *d, const char *text)
{
    const nd_ctx *ctx = d->ctx;
    const unsigned k = ctx->params.num_perm;
    d->arena_len = 0;
    for (size_t i = 0; i < d->n; i++) {
        nd__para *p = &d->paras[i];
        nd__shingled sh;
        memset(p, 0, sizeof *p);
        p->off = d->spans[i].off;
        p->len = d->spans[i].len;
        p->sh_off = d->arena_len;
        int rc = nd__shingle(&d->tk, text + p->off, p->len, ctx->params.shingle_size,
                             ctx->params.seed, &d->arena, &d->arena_len, &d->arena_cap, &sh);
        if (rc) return rc;
        p->sh_n = p->sh_total = d->arena_len - p->sh_off;
        p->tokens = sh.tokens;
        p->key = sh.key;
        p->kind = ND_KIND_CONTENT;
        p->of = i;
        nd__minhash_sign(&ctx->mh, d->arena + p->sh_off, p->sh_n, d->sigs + i * (size_t)k);
    }
    return ND_OK;
}

/* Collects paragraph i's candidate roots with the number of bands each
 * shares with it. Walking chains is cheap next to verifying, so the walk may
 * see many more entries than will be verified. @return the count. */
static size_t nd__collect(nd_doc *d, size_t i)
{
    size_t n = 0, walked = 0;
    nd__lsh_prepare(&d->lsh, d->sigs + i * (size_t)d->ctx->params.num_perm, 0);
    for (unsigned band = 0; band < d->lsh.bands && walked < ND__MAX_WALK; band++) {
        uint32_t e = nd__lsh_bucket(&d->lsh, band);
        for (; e != ND__LSH_END && walked < ND__MAX_WALK; e = nd__lsh_next(&d->lsh, e), walked++) {
            uint32_t q = e / d->lsh.bands;
            if (d->stamp[q] != (uint32_t)(i + 1)) {
                d->stamp[q] = (uint32_t)(i + 1);
                d->hits[q] = 0;
                d->cand[n++] = q;
            }
            d->hits[q]++;
        }
    }
    return n;
}

/* Orders candidates by decreasing shared bands (stable, so ties keep their
 * order), by counting: hits never exceed the number of bands. */
static int nd__sort_cands(nd_doc *d, size_t n)
{
    const unsigned bands = d->lsh.bands;
    size_t start[ND_MAX_NUM_PERM + 2] = { 0 };
    uint32_t *out = nd__alloc(d->al, n * sizeof *out);
    if (!out) return ND_E_NOMEM;
    for (size_t c = 0; c < n; c++) start[bands - d->hits[d->cand[c]] + 1]++;
    for (unsigned h = 1; h <= bands + 1; h++) start[h] += start[h - 1];
    for (size_t c = 0; c < n; c++) out[start[bands - d->hits[d->cand[c]]]++] = d->cand[c];
    memcpy(d->cand, out, n * sizeof *out);
    nd__free(d->al, out);
    return ND_OK;
}

/*
 * The best root for paragraph i, or i itself. Candidates sharing the most
 * bands are verified first, so that when a page holds thousands of similar
 * but distinct captions (all roots, all in the same buckets) the true copy,
 * which shares every band, is still among the ND__MAX_VERIFY verified.
 */
static size_t nd__best_root(nd_doc *d, size_t i, double *sim)
{
    const double t = d->ctx->params.repeat_threshold;
    size_t n = nd__collect(d, i), best = i;
    /* without memory to sort, verify in chain order: still correct, less sure */
    if (n > ND__MAX_VERIFY) (void)nd__sort_cands(d, n);
    *sim = 0.0;
    for (size_t c = 0; c < n && c < ND__MAX_VERIFY; c++) {
        size_t q = d->cand[c];
        double j = nd__jaccard(d, &d->paras[i], &d->paras[q], t);
        if (j >= t && (j > *sim || (j == *sim && q < best))) {
            *sim = j;
            best = q;
        }
    }
    return best;
}

/* Makes the short-paragraph table empty with room for n keys. */
static int nd__short_reset(nd_doc *d, size_t n)
{
    size_t want = 16;
    while (want < 2 * n) want *= 2;
    if (want > d->short_cap) {
        nd__free(d->al, d->short_keys);
        nd__free(d->al, d->short_first);
        d->short_keys = nd__alloc(d->al, want * sizeof *d->short_keys);
        d->short_first = nd__alloc(d->al, want * sizeof *d->short_first);
        d->short_cap = (d->short_keys && d->short_first) ? want : 0;
        if (!d->short_cap) return ND_E_NOMEM;
    }
    memset(d->short_keys, 0, d->short_cap * sizeof *d->short_keys);
    return ND_OK;
}

/* The first paragraph with paragraph i's exact key, or i (then recorded). */
static size_t nd__short_first(nd_doc *d, size_t i)
{
    uint64_t key = d->paras[i].key ? d->paras[i].key : 1;
    size_t mask = d->short_cap - 1, s = (size_t)nd__mix64(key) & mask;
    while (d->short_keys[s] && d->short_keys[s] != key) s = (s + 1) & mask;
    if (d->short_keys[s]) return d->short_first[s];
    d->short_keys[s] = key;
    d->short_first[s] = (uint32_t)i;
    return i;
}

static int nd__find_repeats(nd_doc *d)
{
    const unsigned w = d->ctx->params.shingle_size;
    int rc = nd__reserve(d->al, (void **)&d->stamp, &d->stamp_cap, d->n, sizeof *d->stamp);
    if (!rc) rc = nd__reserve(d->al, (void **)&d->hits, &d->hits_cap, d->n, sizeof *d->hits);
    if (!rc) rc = nd__reserve(d->al, (void **)&d->cand, &d->cand_cap, d->n, sizeof *d->cand);
    if (!rc) rc = nd__short_reset(d, d->n);
    if (rc) return rc;
    if (d->n) memset(d->stamp, 0, d->n * sizeof *d->stamp); /* stamp is NULL until a paragraph */
    nd__lsh_clear(&d->lsh);
    for (size_t i = 0; i < d->n; i++) {
        double sim = 1.0;
        size_t root = d->paras[i].tokens < w ? nd__short_first(d, i) : nd__best_root(d, i, &sim);
        if (root != i) {
            d->paras[i].kind = ND_KIND_REPEAT;
            d->paras[i].of = root;
            d->paras[i].sim = sim;
            d->repeats++;
        } else if (d->paras[i].tokens >= w
                   && (rc = nd__lsh_insert(&d->lsh, (uint32_t)i)) != ND_OK) {
            return rc;
        }
    }
    return ND_OK;
}

/* Signs the d->n paragraphs of d->spans and finds the repeats. */
static int nd__analyze_spans(nd_doc *d, const char *text)
{
    const size_t k = d->ctx->params.num_perm, count = d->n;
    int rc = nd__reserve(d->al, (void **)&d->paras, &d->para_cap, count, sizeof *d->paras);
    if (!rc) rc = nd__reserve(d->al, (void **)&d->sigs, &d->sig_cap, count * k, sizeof *d->sigs);
    if (!rc) rc = nd__sign_paragraphs(d, text);
    if (!rc) rc = nd__find_repeats(d);
    if (rc) d->n = d->repeats = 0;
    return rc;
}

int nd_doc_analyze(nd_doc *d, const char *text, size_t size)
{
    if (!d || (!text && size)) return ND_E_INVALID;
    d->n = d->repeats = 0;
    if (size >= UINT32_MAX / 2) return ND_E_TOO_LARGE; /* paragraph indexes are 32-bit */
    if (!text) text = "";
    size_t count = 0;
    int rc = nd__segment(d->al, text, size, d->ctx->params.seg_mode, &d->spans, &count,
                         &d->span_cap, &d->mode);
    if (rc) return rc;
    d->n = count;
    return nd__analyze_spans(d, text);
}

int nd_doc_analyze_spans(nd_doc *d, const char *text, size_t size, const nd_span *spans,
                         size_t count)
{
    if (!d || (!text && size) || (!spans && count)) return ND_E_INVALID;
    d->n = d->repeats = 0;
    if (size >= UINT32_MAX / 2) return ND_E_TOO_LARGE;
    /* checked before anything changes: clean and the stores rely on spans
     * that are ordered, disjoint and inside the text, as the segmenter's */
    for (size_t i = 0, end = 0; i < count; i++) {
        if (spans[i].length == 0 || spans[i].offset < end || spans[i].offset > size
            || spans[i].length > size - spans[i].offset)
            return ND_E_INVALID;
        end = spans[i].offset + spans[i].length;
    }
    int rc = nd__reserve(d->al, (void **)&d->spans, &d->span_cap, count, sizeof *d->spans);
    if (rc) return rc;
    for (size_t i = 0; i < count; i++) {
        d->spans[i].off = spans[i].offset;
        d->spans[i].len = spans[i].length;
    }
    d->mode = ND_SEG_BLOCKS;
    d->n = count;
    return nd__analyze_spans(d, text ? text : "");
}

size_t nd_doc_count(const nd_doc *d) { return d ? d->n : 0; }
size_t nd_doc_repeats(const nd_doc *d) { return d ? d->repeats : 0; }
nd_seg_mode nd_doc_seg_mode(const nd_doc *d) { return d ? d->mode : ND_SEG_AUTO; }

void nd__doc_para(const nd_doc *d, size_t i, nd_para_info *out)
{
    const nd__para *p = &d->paras[i];
    memset(out, 0, sizeof *out);
    out->version = ND_PARA_INFO_VERSION;
    out->offset = p->off;
    out->length = p->len;
    out->kind = p->kind;
    out->of_doc = ND_NONE;
    out->of_seq = ND_SEQ_NONE;
    out->of = p->of;
    out->similarity = p->kind == ND_KIND_CONTENT ? 0.0 : p->sim;
    out->tokens = p->tokens;
    out->shingles = p->sh_total;
}

int nd_doc_para(const nd_doc *d, size_t i, nd_para_info *out)
{
    if (!d || !out || i >= d->n) return ND_E_INVALID;
    size_t bytes = ND__PARA_INFO_BYTES(out->version);
    if (!bytes) return ND_E_VERSION;
    nd_para_info full;
    nd__doc_para(d, i, &full);
    nd__put_version(out, bytes, &full);
    return ND_OK;
}

const uint32_t *nd_doc_para_signature(const nd_doc *d, size_t i)
{
    if (!d || i >= d->n) return NULL;
    return d->sigs + i * (size_t)d->ctx->params.num_perm;
}

int nd_doc_signature(const nd_doc *d, uint32_t *out, size_t out_cap)
{
    if (!d || !out) return ND_E_INVALID;
    const size_t k = d->ctx->params.num_perm;
    if (out_cap < k) return ND_E_BUFFER;
    for (size_t i = 0; i < k; i++) out[i] = ND__SIG_EMPTY;
    for (size_t i = 0; i < d->n; i++)
        if (d->paras[i].kind == ND_KIND_CONTENT) nd_signature_merge(out, d->sigs + i * k, k);
    return ND_OK;
}

int nd_sign_text(const nd_ctx *ctx, const char *text, size_t size, uint32_t *out, size_t out_cap)
{
    if (!ctx || !out || (!text && size)) return ND_E_INVALID;
    if (out_cap < ctx->params.num_perm) return ND_E_BUFFER;
    nd__tokenizer tk;
    uint64_t *arena = NULL;
    size_t len = 0, cap = 0;
    nd__shingled sh;
    nd__tokenizer_init(&tk, &ctx->alloc, ctx->params.seed);
    int rc = nd__shingle(&tk, text ? text : "", size, ctx->params.shingle_size, ctx->params.seed,
                         &arena, &len, &cap, &sh);
    if (!rc) nd__minhash_sign(&ctx->mh, arena, len, out);
    nd__tokenizer_free(&tk);
    nd__free(&ctx->alloc, arena);
    return rc;
}

int nd__doc_compatible(const nd_doc *doc, const nd_ctx *ctx)
{
    if (!doc || !ctx) return ND_E_INVALID;
    const nd_params *a = &doc->ctx->params, *b = &ctx->params;
    return (a->num_perm == b->num_perm && a->shingle_size == b->shingle_size && a->seed == b->seed
            && a->minhash_scheme == b->minhash_scheme)
         ? ND_OK : ND_E_PARAM_MISMATCH;
}
