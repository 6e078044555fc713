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
    c->codes = ctx->params.sig_bits == 32;
    c->threads = 1;
    *out = c;
    return ND_OK;
}

void nd_corpus_free(nd_corpus *c)
{
    if (!c) return;
    const nd_allocator *al = c->al;
    nd__free(al, c->docs);
    nd__free(al, c->paras);
    for (size_t i = 0; i < c->nchunks; i++) nd__free(al, c->chunks[i]);
    nd__free(al, c->chunks);
    nd__free(al, c->dsig);
    nd__free(al, c->wsig);
    nd__free(al, c->fsig);
    nd__free(al, c->ids);
    nd__free(al, c->src_keys);
    nd__free(al, c->src_span);
    nd__free(al, c->src_names);
    nd__free(al, c->fam);
    nd__free(al, c->uf);
    nd__free(al, c->site);
    nd__free(al, c->pooled);
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
    if (!rc) rc = nd__reserve(c->al, (void **)&c->src_span, &c->src_span_cap, 2 * (c->nsources + 1), sizeof *c->src_span);
    /* + 1: the arena exists even when every name is empty */
    if (!rc) rc = nd__reserve(c->al, (void **)&c->src_names, &c->src_names_cap, c->src_names_len + len + 1, 1);
    if (rc) return rc;
    c->src_keys[c->nsources] = h;
    c->src_span[2 * c->nsources] = c->src_names_len;
    c->src_span[2 * c->nsources + 1] = len;
    if (len) memcpy(c->src_names + c->src_names_len, src, len);
    c->src_names_len += len;
    *out = (uint32_t)c->nsources++;
    return ND_OK;
}

/* A signature as the collection keeps it: codes or values (corpus.h). */
static void nd__put_sig(nd_corpus *c, void *dst, const uint32_t *sig)
{
    if (!c->codes) {
        memcpy(dst, sig, c->k * sizeof *sig);
        return;
    }
    nd__codes_of(dst, sig, c->k);
}

/* Where paragraph g's signature is written. */
static void *nd__psig_at(nd_corpus *c, size_t g)
{
    return (char *)c->chunks[g >> ND__CHUNK_SHIFT] + (g & (ND__CHUNK - 1)) * nd__sig_size(c);
}

/* Stores paragraph g. */
static void nd__set_para(nd_corpus *c, size_t g, const nd_para_sig *in)
{
    nd__cpara *p = &c->paras[g];
    memset(p, 0, sizeof *p);
    p->off = (uint32_t)in->offset;
    p->len = (uint32_t)in->length;
    p->doc = (uint32_t)c->ndocs;
    p->kind = (uint8_t)in->kind;
    p->repeat = in->kind == ND_KIND_REPEAT;
    p->of = (uint32_t)in->of;
    p->sim = in->kind == ND_KIND_REPEAT ? (float)in->similarity : 0.0f;
    p->shingles = in->shingles > UINT32_MAX ? UINT32_MAX : (uint32_t)in->shingles;
    p->is_short = in->tokens < c->ctx->params.shingle_size;
    p->tokens = in->tokens > UINT32_MAX ? UINT32_MAX : (uint32_t)in->tokens;
    nd__put_sig(c, nd__psig_at(c, g), in->signature);
}

double nd__psim(const nd_corpus *c, size_t g, size_t r)
{
    if (c->codes) return nd__code_similarity(nd__psig(c, g), nd__psig(c, r), c->k);
    return nd_signature_similarity_bits(nd__psig(c, g), nd__psig(c, r), c->k, c->ctx->params.sig_bits);
}

void nd__merge_start(const nd_corpus *c, nd__merger *m, uint32_t *out)
{
    m->out = out;
    if (c->codes) memset(m->code, 0xFF, c->k * sizeof *m->code); /* ND__CODE_EMPTY */
    else for (unsigned i = 0; i < c->k; i++) out[i] = ND__SIG_EMPTY;
}

void nd__merge_para(const nd_corpus *c, nd__merger *m, size_t g)
{
    if (c->codes) nd__code_min(m->code, nd__psig(c, g), c->k);
    else nd_signature_merge(m->out, nd__psig(c, g), c->k);
}

void nd__merge_end(const nd_corpus *c, nd__merger *m)
{
    if (c->codes) nd__codes_widen(m->out, m->code, c->k);
}

/* Resizes the first chunk to hold cap paragraphs (cap <= ND__CHUNK). */
static int nd__resize_first(nd_corpus *c, size_t cap)
{
    void *sig = nd__alloc(c->al, cap * nd__sig_size(c));
    if (!sig) return ND_E_NOMEM;
    if (c->nchunks) {
        memcpy(sig, c->chunks[0], c->npara * nd__sig_size(c));
        nd__free(c->al, c->chunks[0]);
    }
    c->chunks[0] = sig;
    c->nchunks = 1;
    c->para_room = cap;
    return ND_OK;
}

/* Makes the chunks hold at least need paragraphs. */
static int nd__reserve_chunks(nd_corpus *c, size_t need)
{
    if (need <= c->para_room) return ND_OK;
    size_t want = (need + ND__CHUNK - 1) >> ND__CHUNK_SHIFT;
    int rc = nd__reserve(c->al, (void **)&c->chunks, &c->chunks_cap, want ? want : 1, sizeof *c->chunks);
    if (rc) return rc;
    if (c->para_room < ND__CHUNK) { /* the first chunk grows until it is whole */
        size_t cap = c->para_room ? c->para_room : 16;
        while (cap < need && cap < ND__CHUNK) cap *= 2;
        if ((rc = nd__resize_first(c, cap)) != ND_OK) return rc;
    }
    while (c->para_room < need) {
        void *sig = nd__alloc(c->al, ND__CHUNK * nd__sig_size(c));
        if (!sig) return ND_E_NOMEM;
        c->chunks[c->nchunks++] = sig;
        c->para_room += ND__CHUNK;
    }
    return ND_OK;
}

/* Reserves room for a document of n paragraphs and fills its record; the
 * caller then fills paragraphs para0 .. para0+n-1 and calls nd__commit. */
static int nd__reserve_doc(nd_corpus *c, const char *id, size_t id_len, const char *source,
                           size_t source_len, size_t n)
{
    if (!c || (!id && id_len) || (!source && source_len)) return ND_E_INVALID;
    if (c->finished) return ND_E_STATE;
    if (n >= UINT32_MAX - c->npara || c->ndocs + 1 >= UINT32_MAX) return ND_E_TOO_LARGE;
    uint32_t src;
    int rc = nd__source_index(c, source ? source : "", source_len, &src);
    if (!rc) rc = nd__reserve(c->al, (void **)&c->docs, &c->doc_cap, c->ndocs + 1, sizeof *c->docs);
    /* + 1: the arena exists even when every id is empty, so pointers into it are valid */
    if (!rc) rc = nd__reserve(c->al, (void **)&c->ids, &c->ids_cap, c->ids_len + id_len + 1, 1);
    if (!rc) rc = nd__reserve(c->al, (void **)&c->paras, &c->para_cap, c->npara + n, sizeof *c->paras);
    if (!rc) rc = nd__reserve_chunks(c, c->npara + n);
    if (rc) return rc;
    nd__cdoc *d = &c->docs[c->ndocs];
    memset(d, 0, sizeof *d);
    d->id_off = c->ids_len;
    d->id_len = id_len;
    if (id_len) memcpy(c->ids + c->ids_len, id, id_len);
    d->source = src;
    d->date = INT64_MAX;
    d->para0 = c->npara;
    d->npara = (uint32_t)n;
    d->dup_of = ND_NONE;
    d->fixed_sig = ND_NONE;
    return ND_OK;
}

static void nd__commit(nd_corpus *c, size_t *out_index)
{
    nd__cdoc *d = &c->docs[c->ndocs];
    c->ids_len += d->id_len;
    c->npara += d->npara;
    if (out_index) *out_index = c->ndocs;
    c->ndocs++;
}

int nd_corpus_add(nd_corpus *c, const nd_doc *doc, const char *id, size_t id_len,
                  const char *source, size_t source_len, size_t *out_index)
{
    int rc = nd__doc_compatible(doc, c ? c->ctx : NULL);
    if (rc) return rc;
    size_t n = nd_doc_count(doc);
    rc = nd__reserve_doc(c, id, id_len, source, source_len, n);
    if (rc) return rc;
    for (size_t i = 0; i < n; i++) {
        nd_para_info info;
        nd__doc_para(doc, i, &info);
        nd_para_sig ps = { info.offset, info.length, info.kind, info.of, info.shingles,
                           info.tokens, nd_doc_para_signature(doc, i), info.similarity };
        nd__set_para(c, c->npara + i, &ps);
    }
    nd__commit(c, out_index);
    return ND_OK;
}

static int nd__check_signed(const nd_para_sig *paras, size_t count)
{
    if (count && !paras) return ND_E_INVALID;
    for (size_t i = 0; i < count; i++) {
        const nd_para_sig *p = &paras[i];
        if (!p->signature || (p->kind != ND_KIND_CONTENT && p->kind != ND_KIND_REPEAT)
            || (p->kind == ND_KIND_REPEAT && (p->of >= i || paras[p->of].kind != ND_KIND_CONTENT))
            || p->offset > UINT32_MAX || p->length > UINT32_MAX)
            return ND_E_INVALID;
    }
    return ND_OK;
}

int nd_corpus_add_signed(nd_corpus *c, const char *id, size_t id_len, const char *source,
                         size_t source_len, const nd_para_sig *paras, size_t count,
                         const uint32_t *signature, size_t *out_index)
{
    int rc = nd__check_signed(paras, count);
    if (!rc) rc = nd__reserve_doc(c, id, id_len, source, source_len, count);
    if (!rc && signature)
        rc = nd__reserve(c->al, (void **)&c->fsig, &c->fsig_cap, (c->nfsig + 1) * c->k, sizeof *c->fsig);
    if (rc) return rc;
    for (size_t i = 0; i < count; i++)
        nd__set_para(c, c->npara + i, &paras[i]);
    if (signature) {
        uint32_t *fs = c->fsig + c->nfsig * c->k;
        if (c->codes) /* widened codes, as merged from codes (nd__merger) */
            for (unsigned i = 0; i < c->k; i++) fs[i] = nd__code_widen(nd__code16(signature[i]));
        else
            memcpy(fs, signature, c->k * sizeof *c->fsig);
        c->docs[c->ndocs].fixed_sig = c->nfsig++;
    }
    nd__commit(c, out_index);
    return ND_OK;
}

int nd_corpus_set_exact(nd_corpus *c, int exact)
{
    if (!c) return ND_E_INVALID;
    if (c->ndocs || c->nchunks) return ND_E_STATE;
    c->codes = !exact && c->ctx->params.sig_bits == 32;
    return ND_OK;
}

int nd_corpus_set_threads(nd_corpus *c, unsigned threads)
{
    if (!c || threads == 0) return ND_E_INVALID;
    c->threads = threads;
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

int nd_corpus_set_date(nd_corpus *c, size_t i, int64_t date)
{
    if (!c || i >= c->ndocs) return ND_E_INVALID;
    if (c->finished) return ND_E_STATE;
    c->docs[i].date = date;
    return ND_OK;
}

int nd_corpus_doc_source(const nd_corpus *c, size_t i, const char **out, size_t *out_len)
{
    if (!c || i >= c->ndocs || !out || !out_len) return ND_E_INVALID;
    const size_t *span = c->src_span + 2 * (size_t)c->docs[i].source;
    *out = c->src_names + span[0];
    *out_len = span[1];
    return ND_OK;
}

int nd_corpus_doc(const nd_corpus *c, size_t i, nd_doc_info *dst)
{
    if (!c || !dst || i >= c->ndocs) return ND_E_INVALID;
    if (!c->finished) return ND_E_STATE;
    size_t bytes = ND__DOC_INFO_BYTES(dst->version);
    if (!bytes) return ND_E_VERSION;
    nd_doc_info full = { 0 }, *out = &full; /* then the fields of dst's version */
    const nd__cdoc *d = &c->docs[i];
    out->paragraphs = d->npara;
    out->repeats = d->repeats;
    out->boilerplate = d->boilerplate;
    out->duplicate_of = d->dup_of;
    out->similarity = d->dup_of == ND_NONE ? 0.0 : d->sim;
    out->containment = d->dup_of == ND_NONE ? 0.0 : d->cont;
    out->cluster = d->cluster;
    out->site = c->pooled[i] ? ND_NONE : c->site[i];
    nd__put_version(dst, bytes, &full);
    return ND_OK;
}

int nd_corpus_para(const nd_corpus *c, size_t i, size_t j, nd_para_info *dst)
{
    if (!c || !dst || i >= c->ndocs || j >= c->docs[i].npara) return ND_E_INVALID;
    size_t bytes = ND__PARA_INFO_BYTES(dst->version);
    if (!bytes) return ND_E_VERSION;
    nd_para_info full = { 0 }, *out = &full; /* then the fields of dst's version */
    out->of_seq = ND_SEQ_NONE;
    const nd__cpara *p = &c->paras[c->docs[i].para0 + j];
    out->offset = p->off;
    out->length = p->len;
    out->kind = (nd_kind)p->kind;
    out->tokens = p->tokens;
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
    nd__put_version(dst, bytes, &full);
    return ND_OK;
}

int nd_corpus_para_family(const nd_corpus *c, size_t i, size_t j, size_t *doc, size_t *para)
{
    if (!c || !doc || !para || i >= c->ndocs || j >= c->docs[i].npara) return ND_E_INVALID;
    if (!c->finished) return ND_E_STATE;
    const uint32_t r = c->fam[c->docs[i].para0 + j];
    *doc = c->paras[r].doc;
    *para = r - c->docs[*doc].para0;
    return ND_OK;
}
