/* The pairs of `neardup compare` (see compare.h). Public API only. */
#include "compare.h"

#include <stdlib.h>
#include <string.h>

typedef struct cmp_run {
    nd_corpus *c;
    nd_store *a, *b;
    unsigned k, bits;
    uint32_t *sig; /* a copy of A's record signature, compared after B's is read */
    size_t na;
    cli_pair_fn fn;
    void *payload;
    const nd_store **failed;
} cmp_run;

/* One pair: document ia of A, ib of B. `info` is B's verdict when it names
 * ia directly; NULL when they are linked through other copies (cluster). */
static int cmp_pair(cmp_run *x, size_t ia, size_t ib, const nd_doc_info *info)
{
    nd_store_record ra, rb;
    cli_pair p;
    int rc = nd_store_get(x->a, ia, &ra);
    if (rc) return *x->failed = x->a, rc;
    memcpy(x->sig, ra.signature, x->k * sizeof *x->sig);
    if ((rc = nd_store_get(x->b, ib, &rb))) return *x->failed = x->b, rc;
    p.a = &ra;
    p.b = &rb;
    p.copy = info != NULL;
    p.similarity = info ? info->similarity : nd_signature_similarity_bits(x->sig, rb.signature, x->k, x->bits);
    p.containment = info ? info->containment : 0.0;
    return x->fn(&p, x->payload);
}

/* B's documents come after A's in the collection, so a document of B that
 * copies one of A names it as duplicate_of, or shares its cluster through a
 * copy of B. */
static int cmp_pairs(cmp_run *x)
{
    size_t n = nd_corpus_count(x->c);
    for (size_t i = x->na; i < n; i++) {
        nd_doc_info info = ND_DOC_INFO_INIT;
        int rc = nd_corpus_doc(x->c, i, &info);
        if (!rc && info.duplicate_of != ND_NONE && info.duplicate_of < x->na)
            rc = cmp_pair(x, info.duplicate_of, i - x->na, &info);
        else if (!rc && info.cluster < x->na)
            rc = cmp_pair(x, info.cluster, i - x->na, NULL);
        if (rc) return rc;
    }
    return ND_OK;
}

int cli_compare_stores(nd_corpus *c, nd_store *a, nd_store *b, cli_pair_fn fn, void *payload,
                       const nd_store **out_failed)
{
    cmp_run x;
    nd_params p;
    memset(&x, 0, sizeof x);
    *out_failed = NULL;
    x.c = c;
    x.a = a;
    x.b = b;
    x.fn = fn;
    x.payload = payload;
    x.failed = out_failed;
    int rc = nd_store_params(a, &p);
    if (rc) return *out_failed = a, rc;
    x.k = p.num_perm;
    x.bits = p.sig_bits;
    if (!(x.sig = malloc(x.k * sizeof *x.sig))) return ND_E_NOMEM;
    if ((rc = nd_store_load_into(a, c))) *out_failed = a;
    x.na = nd_corpus_count(c);
    if (!rc && (rc = nd_store_load_into(b, c))) *out_failed = b;
    if (!rc) rc = nd_corpus_finish(c);
    if (!rc) rc = cmp_pairs(&x);
    free(x.sig);
    return rc;
}
