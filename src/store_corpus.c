/*
 * Appending a judged collection to a store: each document with the content
 * signature its collection found (chrome and repeats left out), so that a
 * stored document takes part in later queries as it would in a scan. Built
 * on the store's public writer (nd_store_append_record) and the collection's
 * layout (corpus.h); the data flows one way, from detection to storage.
 */
#include "corpus.h"

static int nd__same_signing(const nd_store *s, const nd_corpus *c)
{
    nd_params sp;
    int rc = nd_store_params(s, &sp);
    if (rc) return rc;
    const nd_params *cp = &c->ctx->params;
    return sp.num_perm == cp->num_perm && sp.shingle_size == cp->shingle_size && sp.seed == cp->seed
        && sp.seg_mode == cp->seg_mode && sp.sig_bits == cp->sig_bits ? ND_OK : ND_E_PARAM_MISMATCH;
}

/* Document d of c as a record whose paragraphs are written to ps. */
static void nd__record_of(const nd_corpus *c, size_t d, int64_t time, nd_para_sig *ps, nd_store_record *rec)
{
    const nd__cdoc *doc = &c->docs[d];
    for (uint32_t j = 0; j < doc->npara; j++) {
        const nd__cpara *p = &c->paras[doc->para0 + j];
        ps[j] = (nd_para_sig){ p->off, p->len, p->repeat ? ND_KIND_REPEAT : ND_KIND_CONTENT,
                               p->repeat ? p->of : 0, p->shingles, p->tokens,
                               nd__psig(c, doc->para0 + j), p->repeat ? p->sim : 0.0 };
    }
    memset(rec, 0, sizeof *rec);
    nd_corpus_doc_id(c, d, &rec->id, &rec->id_len);
    nd_corpus_doc_source(c, d, &rec->source, &rec->source_len);
    rec->time = time;
    rec->paras = ps;
    rec->count = doc->npara;
    rec->signature = c->dsig + d * c->k;
}

int nd_store_append_corpus(nd_store *s, const nd_corpus *c, int64_t time)
{
    if (!s || !c) return ND_E_INVALID;
    /* codes cannot become the values a store keeps (nd_corpus_set_exact) */
    if (!c->finished || c->codes) return ND_E_STATE;
    int rc = nd__same_signing(s, c);
    size_t most = 1;
    for (size_t d = 0; d < c->ndocs; d++)
        if (c->docs[d].npara > most) most = c->docs[d].npara;
    nd_para_sig *ps = rc ? NULL : nd__alloc(c->al, most * sizeof *ps);
    if (!rc && !ps) rc = ND_E_NOMEM;
    for (size_t d = 0; d < c->ndocs && !rc; d++) {
        nd_store_record rec;
        nd__record_of(c, d, time, ps, &rec);
        rc = nd_store_append_record(s, &rec);
    }
    nd__free(c->al, ps);
    return rc;
}
