/*
 * A collection of analyzed documents: what the cross-document passes
 * (detect.c) need of each paragraph and document, and the accessors to
 * their verdicts. Text is never kept.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>
#include "corpus.h"

int nd_corpus_create(nd_corpus **out, const nd_ctx *ctx)
{
    if (!out) return ND_E_INVALID;
    *out = NULL;
    if (!ctx) return ND_E_INVALID;
    nd_corpus *c = nd__calloc(&ctx->alloc, 1, sizeof *c);
    if (!c) return ND_E_NOMEM;
    c->ctx = ctx;
    c->al = &ctx->alloc;
    c->k = ctx->params.num_perm;
    *out = c;
    return ND_OK;
}

void nd_corpus_free(nd_corpus *c)
{
    if (!c) return;
    const nd_allocator *al = c->al;
    nd__free(al, c->docs);
    nd__free(al, c->paras);
    nd__free(al, c->psig);
    nd__free(al, c->dsig);
    nd__free(al, c->ids);
    nd__free(al, c->src_keys);
    nd__free(al, c->fam);
    nd__free(al, c->uf);
    nd__free(al, c);
}

/* Sources are interned by a 64-bit hash of their bytes: a collision between
 * two feed names would merge their boilerplate statistics, at odds of about
 * n^2 / 2^65 for n feeds. */
static int nd__source_index(nd_corpus *c, const char *src, size_t len, uint32_t *out)
{
    uint64_t h = XXH3_64bits(src, len);
    for (size_t i = c->nsources; i-- > 0;) /* recent sources first: inputs come grouped */
        if (c->src_keys[i] == h) {
            *out = (uint32_t)i;
            return ND_OK;
        }
    int rc = nd__reserve(c->al, (void **)&c->src_keys, &c->src_cap, c->nsources + 1, sizeof *c->src_keys);
    if (rc) return rc;
    c->src_keys[c->nsources] = h;
    *out = (uint32_t)c->nsources++;
    return ND_OK;
}

static int nd__add_paras(nd_corpus *c, const nd_doc *doc, size_t n)
{
    int rc = nd__reserve(c->al, (void **)&c->paras, &c->para_cap, c->npara + n, sizeof *c->paras);
    if (!rc) rc = nd__reserve(c->al, (void **)&c->psig, &c->psig_cap, (c->npara + n) * c->k, sizeof *c->psig);
    if (rc) return rc;
    for (size_t i = 0; i < n; i++) {
        nd_para_info info;
        nd_doc_para(doc, i, &info);
        nd__cpara *p = &c->paras[c->npara + i];
        memset(p, 0, sizeof *p);
        p->off = (uint32_t)info.offset;
        p->len = (uint32_t)info.length;
        p->doc = (uint32_t)c->ndocs;
        p->kind = (uint8_t)info.kind;
        p->is_short = info.tokens < c->ctx->params.shingle_size;
        p->of = (uint32_t)info.of;
        p->sim = (float)info.similarity;
        p->shingles = info.shingles > UINT32_MAX ? UINT32_MAX : (uint32_t)info.shingles;
        memcpy(c->psig + (c->npara + i) * c->k, nd_doc_para_signature(doc, i), c->k * sizeof *c->psig);
    }
    return ND_OK;
}

int nd_corpus_add(nd_corpus *c, const nd_doc *doc, const char *id, size_t id_len,
                  const char *source, size_t source_len, size_t *out_index)
{
    if (!c || !doc || (!id && id_len) || (!source && source_len)) return ND_E_INVALID;
    if (c->finished) return ND_E_STATE;
    size_t n = nd_doc_count(doc);
    if (c->npara + n >= UINT32_MAX || c->ndocs + 1 >= UINT32_MAX) return ND_E_TOO_LARGE;
    uint32_t src;
    int rc = nd__source_index(c, source ? source : "", source_len, &src);
    if (!rc) rc = nd__reserve(c->al, (void **)&c->docs, &c->doc_cap, c->ndocs + 1, sizeof *c->docs);
    if (!rc) rc = nd__reserve(c->al, (void **)&c->ids, &c->ids_cap, c->ids_len + id_len, 1);
    if (!rc) rc = nd__add_paras(c, doc, n);
    if (rc) return rc;
    nd__cdoc *d = &c->docs[c->ndocs];
    memset(d, 0, sizeof *d);
    d->id_off = c->ids_len;
    d->id_len = id_len;
    if (id_len) memcpy(c->ids + c->ids_len, id, id_len);
    c->ids_len += id_len;
    d->source = src;
    d->para0 = c->npara;
    d->npara = (uint32_t)n;
    d->dup_of = ND_NONE;
    c->npara += n;
    if (out_index) *out_index = c->ndocs;
    c->ndocs++;
    return ND_OK;
}

size_t nd_corpus_count(const nd_corpus *c) { return c ? c->ndocs : 0; }

int nd_corpus_doc_id(const nd_corpus *c, size_t i, const char **out, size_t *out_len)
{
    if (!c || i >= c->ndocs || !out || !out_len) return ND_E_INVALID;
    *out = c->ids + c->docs[i].id_off;
    *out_len = c->docs[i].id_len;
    return ND_OK;
}

int nd_corpus_doc(const nd_corpus *c, size_t i, nd_doc_info *out)
{
    if (!c || !out || i >= c->ndocs) return ND_E_INVALID;
    if (!c->finished) return ND_E_STATE;
    const nd__cdoc *d = &c->docs[i];
    out->paragraphs = d->npara;
    out->repeats = d->repeats;
    out->boilerplate = d->boilerplate;
    out->duplicate_of = d->dup_of;
    out->similarity = d->dup_of == ND_NONE ? 0.0 : d->sim;
    out->containment = d->dup_of == ND_NONE ? 0.0 : d->cont;
    out->cluster = d->cluster;
    return ND_OK;
}

int nd_corpus_para(const nd_corpus *c, size_t i, size_t j, nd_para_info *out)
{
    if (!c || !out || i >= c->ndocs || j >= c->docs[i].npara) return ND_E_INVALID;
    const nd__cpara *p = &c->paras[c->docs[i].para0 + j];
    out->offset = p->off;
    out->length = p->len;
    out->kind = (nd_kind)p->kind;
    out->tokens = 0;
    out->shingles = p->shingles;
    out->similarity = p->kind == ND_KIND_CONTENT ? 0.0 : p->sim;
    if (p->kind == ND_KIND_BOILERPLATE) {
        const nd__cpara *first = &c->paras[c->fam[c->docs[i].para0 + j]];
        out->of_doc = first->doc;
        out->of = c->fam[c->docs[i].para0 + j] - c->docs[first->doc].para0;
    } else {
        out->of_doc = i;
        out->of = p->of;
    }
    return ND_OK;
}
