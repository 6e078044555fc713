/* Parameters: defaults, validation, and the immutable context built from them. */
#include <stdio.h>
#include "internal.h"

int nd_params_init(nd_params *out, unsigned version)
{
    if (!out) return ND_E_INVALID;
    if (version != ND_PARAMS_VERSION) return ND_E_VERSION;
    memset(out, 0, sizeof *out);
    out->version = version;
    out->seg_mode = ND_SEG_AUTO;
    out->shingle_size = ND_DEFAULT_SHINGLE_SIZE;
    out->num_perm = ND_DEFAULT_NUM_PERM;
    out->seed = ND_DEFAULT_SEED;
    out->repeat_threshold = ND_DEFAULT_REPEAT_THRESHOLD;
    out->doc_threshold = ND_DEFAULT_DOC_THRESHOLD;
    out->containment_threshold = ND_DEFAULT_CONTAINMENT_THRESHOLD;
    out->min_contained = ND_DEFAULT_MIN_CONTAINED;
    out->min_stories = ND_DEFAULT_MIN_STORIES;
    out->boilerplate_scope = ND_SCOPE_SOURCE;
    out->sig_bits = 32;
    out->minhash_scheme = ND_DEFAULT_MINHASH_SCHEME;
    return ND_OK;
}

static int nd__bad(char *msg, size_t msg_size, const char *field, const char *rule, double got)
{
    if (msg && msg_size) snprintf(msg, msg_size, "%s: %s (got %g)", field, rule, got);
    return ND_E_PARAM;
}

int nd_params_check(const nd_params *p, char *msg, size_t msg_size)
{
    if (msg && msg_size) msg[0] = '\0';
    if (!p) return ND_E_INVALID;
    if (p->version != ND_PARAMS_VERSION) {
        if (msg && msg_size)
            snprintf(msg, msg_size, "version: unknown params version %u (this library knows %u)",
                     p->version, ND_PARAMS_VERSION);
        return ND_E_VERSION;
    }
    if (p->seg_mode != ND_SEG_AUTO && p->seg_mode != ND_SEG_LINES && p->seg_mode != ND_SEG_BLOCKS)
        return nd__bad(msg, msg_size, "seg_mode", "must be auto, lines or blocks", (double)p->seg_mode);
    if (p->shingle_size < 1 || p->shingle_size > ND_MAX_SHINGLE_SIZE)
        return nd__bad(msg, msg_size, "shingle_size", "must be in 1..16", p->shingle_size);
    if (p->num_perm < 1 || p->num_perm > ND_MAX_NUM_PERM)
        return nd__bad(msg, msg_size, "num_perm", "must be in 1..1024", p->num_perm);
    /* written as !(x > 0) so that NaN is refused too */
    if (!(p->repeat_threshold > 0.0 && p->repeat_threshold <= 1.0))
        return nd__bad(msg, msg_size, "repeat_threshold", "must be in (0, 1]", p->repeat_threshold);
    if (!(p->doc_threshold > 0.0 && p->doc_threshold <= 1.0))
        return nd__bad(msg, msg_size, "doc_threshold", "must be in (0, 1]", p->doc_threshold);
    if (!(p->containment_threshold > 0.0 && p->containment_threshold <= 1.0))
        return nd__bad(msg, msg_size, "containment_threshold", "must be in (0, 1]",
                       p->containment_threshold);
    if (p->min_stories < 2 || p->min_stories > 65535)
        return nd__bad(msg, msg_size, "min_stories", "must be in 2..65535", p->min_stories);
    if (p->boilerplate_scope != ND_SCOPE_SOURCE && p->boilerplate_scope != ND_SCOPE_ALL)
        return nd__bad(msg, msg_size, "boilerplate_scope", "must be source or all",
                       (double)p->boilerplate_scope);
    if ((p->lsh_bands == 0) != (p->lsh_rows == 0))
        return nd__bad(msg, msg_size, p->lsh_bands ? "lsh_rows" : "lsh_bands",
                       "bands and rows are set together (or both 0)", 0);
    if (p->lsh_bands && (unsigned long)p->lsh_bands * p->lsh_rows > p->num_perm)
        return nd__bad(msg, msg_size, "lsh_bands", "bands * rows must not exceed num_perm",
                       (double)p->lsh_bands * p->lsh_rows);
    if (p->sig_bits != 8 && p->sig_bits != 16 && p->sig_bits != 32)
        return nd__bad(msg, msg_size, "sig_bits", "must be 8, 16 or 32", p->sig_bits);
    if (p->minhash_scheme > ND_MINHASH_MUL32)
        return nd__bad(msg, msg_size, "minhash_scheme", "must be 0 (default), 1 (mas64) or 2 (mul32)",
                       p->minhash_scheme);
    for (size_t i = 0; i < sizeof p->reserved / sizeof p->reserved[0]; i++)
        if (p->reserved[i] != 0)
            return nd__bad(msg, msg_size, "reserved", "must be zero", p->reserved[i]);
    return ND_OK;
}

/* nd_ctx_create2's message for a failure that is not a parameter's. */
static int nd__ctx_fail(char *msg, size_t msg_size, int code, const char *what)
{
    if (msg && msg_size) snprintf(msg, msg_size, "%s", what);
    return code;
}

int nd_ctx_create(nd_ctx **out, const nd_params *params, const nd_allocator *alloc)
{
    return nd_ctx_create2(out, params, alloc, NULL, 0);
}

int nd_ctx_create2(nd_ctx **out, const nd_params *params, const nd_allocator *alloc, char *msg,
                   size_t msg_size)
{
    if (msg && msg_size) msg[0] = '\0';
    if (!out) return nd__ctx_fail(msg, msg_size, ND_E_INVALID, "out: must not be NULL");
    *out = NULL;
    nd_params defaults;
    if (!params) {
        nd_params_init(&defaults, ND_PARAMS_VERSION);
        params = &defaults;
    }
    int rc = nd_params_check(params, msg, msg_size);
    if (rc) return rc;
    if (alloc && (!alloc->alloc || !alloc->free))
        return nd__ctx_fail(msg, msg_size, ND_E_INVALID, "alloc: alloc and free must both be set");
    const nd_allocator *al = alloc ? alloc : nd__default_allocator();
    nd_ctx *ctx = nd__calloc(al, 1, sizeof *ctx);
    if (!ctx) return nd__ctx_fail(msg, msg_size, ND_E_NOMEM, "out of memory for the context");
    ctx->alloc = *al;
    ctx->params = *params;
    if (!ctx->params.minhash_scheme) ctx->params.minhash_scheme = ND_DEFAULT_MINHASH_SCHEME;
    rc = nd__minhash_init(&ctx->mh, &ctx->alloc, params->num_perm, params->seed,
                          ctx->params.minhash_scheme);
    if (rc) {
        nd__free(&ctx->alloc, ctx);
        return nd__ctx_fail(msg, msg_size, rc, "out of memory for the hash coefficients");
    }
    /* Repeats are verified on exact shingle sets, so their index may return
     * many candidates but must not lose a pair: bands are chosen so that a
     * pair at the threshold escapes with probability at most 1e-6 (42 bands
     * of 3 rows at t = 0.75, K = 128), which makes verdicts independent of
     * the seed. Families across documents are verified on the estimate,
     * noisy anyway: their bands minimise the weighted false-positive and
     * false-negative areas (16 x 8 at t = 0.75, K = 128), a third of the work.
     * b-bit values agree by chance once in 2^b, so a band of the collection
     * indexes spans at least 32 bits of them. */
    unsigned min_rows = (32 + params->sig_bits - 1) / params->sig_bits;
    if (min_rows > params->num_perm) min_rows = params->num_perm;
    nd__lsh_for_recall(params->repeat_threshold, params->num_perm, 1e-6, &ctx->repeat_bands,
                       &ctx->repeat_rows);
    nd__lsh_optimal_rows(params->repeat_threshold, params->num_perm, 0.1, 0.9, min_rows,
                         &ctx->para_bands, &ctx->para_rows);
    /* Copies are found through their content paragraphs (detect.c), which
     * match when Jaccard >= 0.5 or, for a merged or split paragraph, when one
     * holds the other at Jaccard down to 0.2: the index must surface pairs
     * well below 0.5. */
    if (params->lsh_bands) {
        ctx->doc_bands = params->lsh_bands;
        ctx->doc_rows = params->lsh_rows;
    } else {
        nd__lsh_optimal_rows(0.3, params->num_perm, 0.1, 0.9, min_rows, &ctx->doc_bands, &ctx->doc_rows);
    }
    ctx->keys_fn = nd__lsh_pick_keys(ND__ISA_BEST);
    ctx->keys16_fn = nd__lsh_pick_keys16(ND__ISA_BEST);
    *out = ctx;
    return ND_OK;
}

void nd_ctx_free(nd_ctx *ctx)
{
    if (!ctx) return;
    nd_allocator al = ctx->alloc;
    nd__minhash_free(&ctx->mh, &al);
    nd__free(&al, ctx);
}

void nd_ctx_params(const nd_ctx *ctx, nd_params *out)
{
    if (ctx && out) *out = ctx->params;
}

unsigned nd_ctx_num_perm(const nd_ctx *ctx) { return ctx ? ctx->params.num_perm : 0; }

const char *nd_ctx_isa(const nd_ctx *ctx) { return ctx ? ctx->mh.isa : "none"; }
