/*
 * Shard keys: what lets a collection be judged in independent pieces
 * (neardup.dask, docs/DISTRIBUTED.md).
 *
 * nd_corpus_finish() makes two documents interact only through an LSH
 * bucket they share: a family chain (per band, keys salted per source, over
 * non-repeat paragraphs), a copy chain (per band, over non-repeat paragraphs
 * of a full shingle) or a page chain (per band, over whole-page signatures).
 * Families, sites, pools, candidates, stories and clusters are all built
 * from links found in those chains. So the documents that share no bucket,
 * directly or through others, can be judged apart, and a connected component
 * of the "shares a bucket" graph judged alone gets exactly the verdicts it
 * gets in the whole collection. This file gives each document's buckets.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>
#include "corpus.h" /* ND__SAME_PAGE: the page chains these keys reproduce */

typedef struct nd__shard_bands {
    unsigned fam, copy, page, page_rows;
} nd__shard_bands;

static void nd__shard_bands_of(const nd_ctx *ctx, nd__shard_bands *b)
{
    b->fam = ctx->para_bands;
    b->copy = ctx->doc_bands;
    nd__lsh_for_recall(ND__SAME_PAGE, ctx->params.num_perm, ND__SAME_PAGE_MISS, &b->page, &b->page_rows);
}

size_t nd_shard_key_bound(const nd_ctx *ctx, size_t count)
{
    if (!ctx) return 0;
    nd__shard_bands b;
    nd__shard_bands_of(ctx, &b);
    return count * (b.fam + b.copy) + b.page;
}

/* A bucket: its chain kind (1 family, 2 copy, 3 page), band and 32-bit key. */
static uint64_t nd__bucket(unsigned kind, unsigned band, uint32_t key)
{
    return (uint64_t)kind << 56 | (uint64_t)band << 32 | key;
}

/* Paragraph p's keys as a collection's chains take them: those of its
 * 16-bit codes at sig_bits 32 (corpus.h). sig receives what the page
 * signature merges. */
static const uint32_t *nd__chain_sig(const nd_ctx *ctx, const nd_para_sig *p, uint32_t *coded)
{
    if (ctx->params.sig_bits != 32) return p->signature;
    uint16_t code[ND_MAX_NUM_PERM];
    nd__codes_of(code, p->signature, ctx->params.num_perm);
    for (unsigned i = 0; i < ctx->params.num_perm; i++) coded[i] = nd__code_widen(code[i]);
    return coded;
}

/* The salt of a source's family keys, as detect.c's family chains: keyed
 * per source unless the scope is all. */
static uint32_t nd__family_salt(const nd_ctx *ctx, const char *source, size_t source_len)
{
    if (ctx->params.boilerplate_scope == ND_SCOPE_ALL) return 0;
    uint64_t s = nd__source_salt(XXH3_64bits(source ? source : "", source_len));
    return (uint32_t)(s ^ s >> 32);
}

/* Paragraph p's buckets of the kinds asked (1 family, 2 copy) into out;
 * @return how many. */
static size_t nd__para_buckets(const nd_ctx *ctx, const nd__shard_bands *b, uint32_t salt, const nd_para_sig *p,
                               const uint32_t *sig, unsigned kinds, uint64_t *out)
{
    const uint32_t mask = nd__ctx_key_mask(ctx);
    uint32_t keys[ND_MAX_NUM_PERM];
    size_t n = 0;
    if (kinds & 1) {
        ctx->keys_fn(0, b->fam, ctx->para_rows, mask, sig, keys);
        for (unsigned i = 0; i < b->fam; i++) out[n++] = nd__bucket(1, i, keys[i] ^ salt);
    }
    if ((kinds & 2) && p->tokens >= ctx->params.shingle_size) { /* a full shingle: a copy chain */
        ctx->keys_fn(0, b->copy, ctx->doc_rows, mask, sig, keys);
        for (unsigned i = 0; i < b->copy; i++) out[n++] = nd__bucket(2, i, keys[i]);
    }
    return n;
}

static int nd__shard_args(const nd_ctx *ctx, const char *source, size_t source_len, const nd_para_sig *paras,
                          size_t count, size_t cap, const void *out, const size_t *out_count)
{
    if (!ctx || !out_count || (!source && source_len) || (count && !paras) || (cap && !out)) return ND_E_INVALID;
    for (size_t j = 0; j < count; j++)
        if (!paras[j].signature) return ND_E_INVALID;
    return ND_OK;
}

int nd_shard_doc_keys(const nd_ctx *ctx, const char *source, size_t source_len,
                      const nd_para_sig *paras, size_t count, uint64_t *out, size_t cap,
                      size_t *out_count)
{
    int rc = nd__shard_args(ctx, source, source_len, paras, count, cap, out, out_count);
    if (rc) return rc;
    const unsigned k = ctx->params.num_perm;
    nd__shard_bands b;
    nd__shard_bands_of(ctx, &b);
    *out_count = nd_shard_key_bound(ctx, count);
    if (cap < *out_count) return ND_E_BUFFER;
    const uint32_t salt = nd__family_salt(ctx, source, source_len);
    uint32_t keys[ND_MAX_NUM_PERM], page[ND_MAX_NUM_PERM], coded[ND_MAX_NUM_PERM];
    for (unsigned i = 0; i < k; i++) page[i] = ND__SIG_EMPTY;
    size_t n = 0;
    for (size_t j = 0; j < count; j++) {
        if (paras[j].kind == ND_KIND_REPEAT) continue; /* in no chain */
        const uint32_t *sig = nd__chain_sig(ctx, &paras[j], coded);
        nd_signature_merge(page, sig, k);
        n += nd__para_buckets(ctx, &b, salt, &paras[j], sig, 3, out + n);
    }
    ctx->keys_fn(0, b.page, b.page_rows, nd__ctx_key_mask(ctx), page, keys);
    for (unsigned i = 0; i < b.page; i++) out[n++] = nd__bucket(3, i, keys[i]);
    *out_count = n;
    return ND_OK;
}

int nd_shard_para_keys(const nd_ctx *ctx, const char *source, size_t source_len,
                       const nd_para_sig *paras, size_t count, unsigned kinds, uint64_t *buckets,
                       uint32_t *para, size_t cap, size_t *out_count)
{
    int rc = nd__shard_args(ctx, source, source_len, paras, count, cap, buckets, out_count);
    if (rc) return rc;
    if ((cap && !para) || count > UINT32_MAX) return ND_E_INVALID;
    nd__shard_bands b;
    nd__shard_bands_of(ctx, &b);
    *out_count = nd_shard_key_bound(ctx, count);
    if (cap < *out_count) return ND_E_BUFFER;
    const uint32_t salt = nd__family_salt(ctx, source, source_len);
    uint32_t coded[ND_MAX_NUM_PERM];
    size_t n = 0;
    for (size_t j = 0; j < count; j++) {
        if (paras[j].kind == ND_KIND_REPEAT) continue;
        const size_t m = nd__para_buckets(ctx, &b, salt, &paras[j], nd__chain_sig(ctx, &paras[j], coded), kinds,
                                          buckets + n);
        for (size_t i = 0; i < m; i++) para[n + i] = (uint32_t)j;
        n += m;
    }
    *out_count = n;
    return ND_OK;
}

void nd_shard_chain_limits(unsigned *steps, unsigned *verify)
{
    if (steps) *steps = ND__MAX_STEPS;
    if (verify) *verify = ND__MAX_VERIFY;
}

double nd_shard_para_similarity(const nd_ctx *ctx, const uint32_t *a, const uint32_t *b)
{
    if (!ctx || !a || !b) return 0.0;
    const unsigned k = ctx->params.num_perm;
    if (ctx->params.sig_bits != 32) return nd_signature_similarity_bits(a, b, k, ctx->params.sig_bits);
    uint16_t ca[ND_MAX_NUM_PERM], cb[ND_MAX_NUM_PERM];
    nd__codes_of(ca, a, k);
    nd__codes_of(cb, b, k);
    return nd__code_similarity(ca, cb, k);
}

long nd_shard_family_match(const nd_ctx *ctx, const uint32_t *sig, const uint32_t *const *cand, size_t n)
{
    if (!ctx || !sig || (n && !cand)) return -1;
    const double t = ctx->params.repeat_threshold;
    long best = -1;
    double best_sim = 0.0;
    for (size_t i = 0; i < n; i++) { /* detect.c's nd__find_match */
        if (!cand[i]) return -1;
        double sv = nd_shard_para_similarity(ctx, sig, cand[i]);
        if (sv >= t && sv > best_sim) {
            best_sim = sv;
            best = (long)i;
        }
    }
    return best;
}
