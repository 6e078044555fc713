/*
 * The copy pass over plain arrays (docs/DISTRIBUTED.md, section 1): what
 * nd_corpus_finish() decides for one document's stories, computed from the
 * document, its paragraphs' candidates and the earlier documents it
 * touched, so that a distributed engine holding only a partition (and what
 * it fetched) reaches the collection's verdicts. The rules are the
 * collection's own: nd__para_match_kind and nd__credit for matches,
 * nd__judge_doc for the judgement (copies.c), the collection's way of
 * comparing signatures (16-bit codes at sig_bits 32, corpus.h) and of
 * merging them.
 */
#include "corpus.h" /* ND__SAME_PAGE */

/* ---- signatures of a document ------------------------------------------------ */

int nd_shard_doc_signatures(const nd_ctx *ctx, const nd_para_sig *paras, size_t count, const unsigned char *excluded,
                            uint32_t *content, uint32_t *page, uint64_t *content_shingles)
{
    if (!ctx || (count && (!paras || !excluded)) || !content || !page || !content_shingles) return ND_E_INVALID;
    const unsigned k = ctx->params.num_perm;
    const int codes = ctx->params.sig_bits == 32; /* as a collection keeps them (nd_corpus_set_exact) */
    uint16_t cp[ND_MAX_NUM_PERM], cc[ND_MAX_NUM_PERM], one[ND_MAX_NUM_PERM];
    for (unsigned i = 0; i < k; i++) {
        cp[i] = cc[i] = ND__CODE_EMPTY;
        page[i] = content[i] = ND__SIG_EMPTY;
    }
    uint64_t shingles = 0, all = 0;
    int any = 0;
    for (size_t j = 0; j < count; j++) { /* detect.c's nd__sign_both */
        const nd_para_sig *p = &paras[j];
        if (!p->signature) return ND_E_INVALID;
        if (p->kind == ND_KIND_REPEAT) continue;
        const int is_short = p->tokens < ctx->params.shingle_size;
        if (codes) nd__codes_of(one, p->signature, k);
        if (codes) nd__code_min(cp, one, k);
        else nd_signature_merge(page, p->signature, k);
        if (!is_short) all += p->shingles;
        if (excluded[j]) continue;
        any = 1;
        if (codes) nd__code_min(cc, one, k);
        else nd_signature_merge(content, p->signature, k);
        if (!is_short) shingles += p->shingles;
    }
    if (codes) nd__codes_widen(page, cp, k);
    if (codes && any) nd__codes_widen(content, cc, k);
    if (!any) memcpy(content, page, k * sizeof *content);
    *content_shingles = any ? shingles : all;
    return ND_OK;
}

double nd_shard_same_page(void) { return ND__SAME_PAGE; }

/* ---- matches --------------------------------------------------------------- */

/* A set of 64-bit values (open addressing; value + 1 stored, 0 empty),
 * or a map to a 32-bit slot. */
typedef struct nd__set64 {
    uint64_t *key;
    uint32_t *val;
    size_t mask;
} nd__set64;

static int nd__set64_init(const nd_allocator *al, nd__set64 *s, size_t items)
{
    size_t n = 16;
    while (n < 2 * items + 1) n *= 2;
    s->key = nd__calloc(al, n, sizeof *s->key);
    s->val = nd__alloc(al, n * sizeof *s->val);
    s->mask = n - 1;
    return s->key && s->val ? ND_OK : ND_E_NOMEM;
}

static void nd__set64_free(const nd_allocator *al, nd__set64 *s)
{
    nd__free(al, s->key);
    nd__free(al, s->val);
}

/* The slot of x (*fresh: it was not there, and is now). */
static size_t nd__set64_slot(nd__set64 *s, uint64_t x, int *fresh)
{
    size_t h = (size_t)nd__mix64(x) & s->mask;
    while (s->key[h] && s->key[h] != x + 1) h = (h + 1) & s->mask;
    *fresh = !s->key[h];
    s->key[h] = x + 1;
    return h;
}

int nd_shard_copy_touches(const nd_ctx *ctx, uint64_t doc, const nd_shard_para *paras, size_t n,
                          const size_t *cand_end, const nd_shard_para *cands, nd_shard_touch *out, size_t cap,
                          size_t *count)
{
    if (!ctx || !count || (n && (!paras || !cand_end)) || (cap && !out)) return ND_E_INVALID;
    *count = 0;
    /* each paragraph's candidates are a chain walk's, at most ND__MAX_VERIFY:
     * bounds the tables below whatever cand_end says */
    for (size_t i = 0; i < n; i++) {
        const size_t before = i ? cand_end[i - 1] : 0;
        if (cand_end[i] < before || cand_end[i] - before > ND__MAX_VERIFY) return ND_E_INVALID;
    }
    const size_t total = n ? cand_end[n - 1] : 0;
    if (total && !cands) return ND_E_INVALID;
    const nd_allocator *al = &ctx->alloc;
    nd__set64 credited = { 0 }, touched = { 0 };
    int rc = nd__set64_init(al, &credited, total);
    if (!rc) rc = nd__set64_init(al, &touched, total);
    size_t m = 0;
    for (size_t i = 0, at = 0; i < n && !rc; i++) { /* detect.c's nd__match_doc */
        const nd_shard_para *g = &paras[i];
        if (!g->signature) {
            rc = ND_E_INVALID;
            break;
        }
        for (; at < cand_end[i] && !rc; at++) {
            const nd_shard_para *r = &cands[at];
            if (!r->signature) {
                rc = ND_E_INVALID;
                break;
            }
            double sim = nd_shard_para_similarity(ctx, g->signature, r->signature);
            if (nd__para_match_kind(sim, g->shingles, r->shingles) != ND__MATCH_STRONG || r->doc == doc) continue;
            int fresh_doc, fresh_para;
            size_t slot = nd__set64_slot(&touched, r->doc, &fresh_doc);
            if (fresh_doc) {
                if (m == cap) {
                    rc = ND_E_BUFFER;
                    break;
                }
                touched.val[slot] = (uint32_t)m;
                out[m++] = (nd_shard_touch){ r->doc, 0, 0, UINT32_MAX };
            }
            (void)nd__set64_slot(&credited, r->para, &fresh_para);
            nd_shard_touch *t = &out[touched.val[slot]];
            /* nd__credit's pair share, its last paragraph kept by value */
            nd__pair_share sh = { t->shared_d, t->shared_e, t->last };
            nd__credit(&sh, (uint32_t)i, g->shingles, fresh_para, r->shingles);
            t->shared_d = sh.d;
            t->shared_e = sh.e;
            t->last = sh.last_g;
        }
    }
    *count = m;
    nd__set64_free(al, &credited);
    nd__set64_free(al, &touched);
    return rc;
}

/* ---- judgement ------------------------------------------------------------- */

typedef struct nd__shard_judging {
    const nd_ctx *ctx;
    const nd_shard_doc *d, *e;
    const nd_shard_touch *t;
    unsigned char *copy;       /* NULL: a dry run marking aligns */
    unsigned char *align;
    nd__align_side *side;      /* [2], their codes in codes[2] */
    uint16_t *codes;
    int have_d;
    int rc;
} nd__shard_judging;

static void nd__sj_pair(void *arg, size_t i, nd__judge_pair *out)
{
    const nd__shard_judging *j = arg;
    const nd__pair_share sh = { j->t[i].shared_d, j->t[i].shared_e, 0 };
    *out = (nd__judge_pair){ sh, j->e[i].doc, j->e[i].content_shingles, j->e[i].content };
}

/* A side of paragraphs for alignment, in the collection's form (codes at
 * sig_bits 32): detect.c's nd__align_doc. */
static int nd__sj_side(const nd_ctx *ctx, const nd_shard_doc *x, nd__align_side *side, uint16_t *codes)
{
    const unsigned k = ctx->params.num_perm;
    const int as_codes = ctx->params.sig_bits == 32;
    if (x->n && !x->paras) return ND_E_INVALID;
    side->n = 0;
    for (size_t i = 0; i < x->n && side->n <= ND__ALIGN_SIDE; i++) {
        const nd_shard_para *p = &x->paras[i];
        if (!p->signature) return ND_E_INVALID;
        const void *sig = p->signature;
        if (as_codes && side->n < ND__ALIGN_SIDE) {
            nd__codes_of(codes + side->n * k, p->signature, k);
            sig = codes + side->n * k;
        }
        nd__align_add(side, sig, p->shingles > UINT32_MAX ? UINT32_MAX : (uint32_t)p->shingles);
    }
    return ND_OK;
}

static double nd__sj_align(void *arg, size_t i)
{
    nd__shard_judging *j = arg;
    if (j->align) j->align[i] = 1;
    if (!j->copy) return -1.0; /* a dry run */
    const unsigned k = j->ctx->params.num_perm;
    if (!j->have_d++ && !j->rc) j->rc = nd__sj_side(j->ctx, j->d, &j->side[0], j->codes);
    if (!j->rc) j->rc = nd__sj_side(j->ctx, &j->e[i], &j->side[1], j->codes + (size_t)ND__ALIGN_SIDE * k);
    if (j->rc) return -1.0;
    return nd__align_containment(&j->side[0], &j->side[1], k,
                                 j->ctx->params.sig_bits == 32 ? ND__CODES : j->ctx->params.sig_bits);
}

static void nd__sj_copies(void *arg, size_t i, int copy)
{
    nd__shard_judging *j = arg;
    if (j->copy) j->copy[i] = (unsigned char)copy;
}

static int nd__shard_judge(const nd_ctx *ctx, const nd_shard_doc *d, const nd_shard_touch *t, const nd_shard_doc *e,
                           size_t n, unsigned char *copy, unsigned char *align, uint64_t *dup_of, double *sim,
                           double *cont)
{
    if (!ctx || !d || !d->content || (n && (!t || !e))) return ND_E_INVALID;
    for (size_t i = 0; i < n; i++)
        if (!e[i].content) return ND_E_INVALID;
    nd__shard_judging j = { ctx, d, e, t, copy, align, NULL, NULL, 0, ND_OK };
    if (copy) {
        j.side = nd__alloc(&ctx->alloc, 2 * sizeof *j.side);
        j.codes = nd__alloc(&ctx->alloc, (size_t)2 * ND__ALIGN_SIDE * ctx->params.num_perm * sizeof *j.codes);
        if (!j.side || !j.codes) j.rc = ND_E_NOMEM;
    }
    if (align) memset(align, 0, n);
    const nd__judge_io io = { nd__sj_pair, nd__sj_align, nd__sj_copies, &j };
    uint64_t dup = UINT64_MAX;
    double s = 0.0, c = 0.0;
    if (!j.rc) nd__judge_doc(&ctx->params, ctx->params.num_perm, d->content_shingles, d->content, n, &io, &dup, &s, &c);
    nd__free(&ctx->alloc, j.side);
    nd__free(&ctx->alloc, j.codes);
    if (dup_of) *dup_of = dup;
    if (sim) *sim = s;
    if (cont) *cont = c;
    return j.rc;
}

int nd_shard_copy_aligns(const nd_ctx *ctx, const nd_shard_doc *d, const nd_shard_touch *t, const nd_shard_doc *e,
                         size_t n, unsigned char *align)
{
    if (n && !align) return ND_E_INVALID;
    return nd__shard_judge(ctx, d, t, e, n, NULL, align, NULL, NULL, NULL);
}

int nd_shard_copy_judge(const nd_ctx *ctx, const nd_shard_doc *d, const nd_shard_touch *t, const nd_shard_doc *e,
                        size_t n, unsigned char *copy, uint64_t *dup_of, double *sim, double *cont)
{
    if ((n && !copy) || !dup_of || !sim || !cont) return ND_E_INVALID;
    return nd__shard_judge(ctx, d, t, e, n, copy, NULL, dup_of, sim, cont);
}
