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

int nd_shard_doc_keys(const nd_ctx *ctx, const char *source, size_t source_len,
                      const nd_para_sig *paras, size_t count, uint64_t *out, size_t cap,
                      size_t *out_count)
{
    if (!ctx || !out_count || (!source && source_len) || (count && !paras) || (cap && !out))
        return ND_E_INVALID;
    const unsigned k = ctx->params.num_perm;
    const uint32_t mask = nd__ctx_key_mask(ctx);
    nd__shard_bands b;
    nd__shard_bands_of(ctx, &b);
    *out_count = nd_shard_key_bound(ctx, count);
    if (cap < *out_count) return ND_E_BUFFER;
    /* as detect.c's family chains: keyed per source unless the scope is all */
    uint32_t salt = 0;
    if (ctx->params.boilerplate_scope != ND_SCOPE_ALL) {
        uint64_t s = nd__source_salt(XXH3_64bits(source ? source : "", source_len));
        salt = (uint32_t)(s ^ s >> 32);
    }
    uint32_t keys[ND_MAX_NUM_PERM], page[ND_MAX_NUM_PERM], coded[ND_MAX_NUM_PERM];
    uint16_t code[ND_MAX_NUM_PERM];
    for (unsigned i = 0; i < k; i++) page[i] = ND__SIG_EMPTY;
    size_t n = 0;
    for (size_t j = 0; j < count; j++) {
        const nd_para_sig *p = &paras[j];
        if (!p->signature) return ND_E_INVALID;
        if (p->kind == ND_KIND_REPEAT) continue; /* in no chain */
        const uint32_t *sig = p->signature;
        if (ctx->params.sig_bits == 32) { /* a collection's chains key its codes (corpus.h) */
            nd__codes_of(code, sig, k);
            for (unsigned i = 0; i < k; i++) coded[i] = nd__code_widen(code[i]);
            sig = coded;
        }
        nd_signature_merge(page, sig, k);
        ctx->keys_fn(0, b.fam, ctx->para_rows, mask, sig, keys);
        for (unsigned i = 0; i < b.fam; i++) out[n++] = nd__bucket(1, i, keys[i] ^ salt);
        if (p->tokens < ctx->params.shingle_size) continue; /* no full shingle: no copy chain */
        ctx->keys_fn(0, b.copy, ctx->doc_rows, mask, sig, keys);
        for (unsigned i = 0; i < b.copy; i++) out[n++] = nd__bucket(2, i, keys[i]);
    }
    ctx->keys_fn(0, b.page, b.page_rows, mask, page, keys);
    for (unsigned i = 0; i < b.page; i++) out[n++] = nd__bucket(3, i, keys[i]);
    *out_count = n;
    return ND_OK;
}
