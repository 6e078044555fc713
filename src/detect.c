/*
 * Cross-document detection over a finished collection: paragraph families,
 * boilerplate, and syndicated copies. The passes depend on each other
 * (stories need content-only signatures, which need boilerplate known, which
 * needs stories), so they run in this fixed order:
 *
 *   1. families   every paragraph that is not a repeat inside its document
 *                 joins the family of the first earlier paragraph (of its
 *                 scope) whose estimated Jaccard similarity is at least
 *                 repeat_threshold, or starts a family. Only first
 *                 paragraphs ("roots") are indexed, so "Read Full Story" under
 *                 a million pages is one bucket entry, not a million.
 *   2. candidates families found in min_stories or more documents.
 *   3. stories    document signatures = merge of paragraphs that are neither
 *                 repeats nor candidates; copies by Jaccard >= doc_threshold
 *                 or containment >= containment_threshold; union-find.
 *   4. confirm    a candidate family is boilerplate when its documents span
 *                 min_stories or more distinct stories: a wire story
 *                 republished fifty times is one story, not boilerplate.
 *   5. stories again, leaving out only the confirmed boilerplate, so that a
 *      story's own recurring paragraphs count toward its copies.
 */
#include <stdlib.h>
#include "corpus.h"

#define ND__SIG_EMPTY UINT32_MAX
#define ND__MAX_VERIFY 256

typedef struct nd__families {
    uint32_t *ndocs;    /* per root: distinct documents holding the family */
    uint32_t *last;     /* per root: last document counted */
    uint32_t *stamp;    /* per root: last paragraph that verified it */
    uint8_t *bp;        /* per root: 1 candidate/boilerplate */
} nd__families;

static uint64_t nd__scope_salt(const nd_corpus *c, uint32_t doc)
{
    if (c->ctx->params.boilerplate_scope == ND_SCOPE_ALL) return 0;
    return nd__mix64(c->src_keys[c->docs[doc].source] + 0x9e3779b97f4a7c15ull);
}

static int nd__same_scope(const nd_corpus *c, uint32_t a, uint32_t b)
{
    return c->ctx->params.boilerplate_scope == ND_SCOPE_ALL
        || c->docs[a].source == c->docs[b].source;
}

/* The most similar root of paragraph g's scope, or g itself. */
static uint32_t nd__find_root(nd_corpus *c, nd__lsh *l, nd__families *f, uint32_t g, uint64_t salt)
{
    const uint32_t *sig = c->psig + (size_t)g * c->k;
    const double t = c->ctx->params.repeat_threshold;
    uint32_t best = g, verified = 0;
    double best_sim = 0.0;
    for (unsigned band = 0; band < l->bands && verified < ND__MAX_VERIFY; band++) {
        for (uint32_t e = nd__lsh_bucket(l, sig, band, salt); e != ND__LSH_END && verified < ND__MAX_VERIFY;
             e = nd__lsh_next(l, e)) {
            uint32_t r = e / l->bands;
            if (f->stamp[r] == g + 1) continue;
            f->stamp[r] = g + 1;
            verified++;
            if (!nd__same_scope(c, c->paras[r].doc, c->paras[g].doc)) continue;
            double s = nd_signature_similarity(sig, c->psig + (size_t)r * c->k, c->k);
            if (s >= t && s > best_sim) {
                best_sim = s;
                best = r;
            }
        }
    }
    return best;
}

static int nd__build_families(nd_corpus *c, nd__families *f)
{
    nd__lsh l;
    nd__lsh_init(&l, c->al, c->ctx->para_bands, c->ctx->para_rows);
    int rc = ND_OK;
    for (uint32_t g = 0; g < c->npara && !rc; g++) {
        const nd__cpara *p = &c->paras[g];
        if (p->kind == ND_KIND_REPEAT) { /* its root, earlier in the document, counted it */
            c->fam[g] = c->fam[c->docs[p->doc].para0 + p->of];
            continue;
        }
        uint64_t salt = nd__scope_salt(c, p->doc);
        uint32_t r = nd__find_root(c, &l, f, g, salt);
        c->fam[g] = r;
        if (r == g) {
            f->ndocs[g] = 0;
            f->last[g] = UINT32_MAX;
            rc = nd__lsh_insert(&l, g, c->psig + (size_t)g * c->k, salt);
        }
        if (f->last[r] != p->doc) {
            f->last[r] = p->doc;
            f->ndocs[r]++;
        }
    }
    nd__lsh_free(&l);
    return rc;
}

/* ---- stories -------------------------------------------------------------- */

static uint32_t nd__uf_find(uint32_t *uf, uint32_t x)
{
    while (uf[x] != x) {
        uf[x] = uf[uf[x]];
        x = uf[x];
    }
    return x;
}

/* The earlier document becomes the root, so a cluster's root is its earliest. */
static void nd__uf_union(uint32_t *uf, uint32_t a, uint32_t b)
{
    a = nd__uf_find(uf, a);
    b = nd__uf_find(uf, b);
    if (a < b) uf[b] = a;
    else if (b < a) uf[a] = b;
}

static int nd__excluded(const nd_corpus *c, const nd__families *f, size_t g)
{
    return c->paras[g].kind == ND_KIND_REPEAT || f->bp[c->fam[g]];
}

/* Content signature of each document; a document whose every paragraph is
 * excluded (a page of pure chrome) is signed whole, so that such pages are
 * still compared with each other rather than all being empty. */
static void nd__sign_docs(nd_corpus *c, const nd__families *f)
{
    for (size_t d = 0; d < c->ndocs; d++) {
        nd__cdoc *doc = &c->docs[d];
        uint32_t *sig = c->dsig + d * c->k;
        for (unsigned i = 0; i < c->k; i++) sig[i] = ND__SIG_EMPTY;
        doc->content_shingles = 0;
        for (int pass = 0; pass < 2 && doc->content_shingles == 0; pass++) {
            for (size_t g = doc->para0; g < doc->para0 + doc->npara; g++) {
                if (c->paras[g].kind == ND_KIND_REPEAT || (pass == 0 && nd__excluded(c, f, g)))
                    continue;
                nd_signature_merge(sig, c->psig + g * c->k, c->k);
                doc->content_shingles += c->paras[g].shingles;
            }
        }
    }
}

/* Share of the smaller set inside the larger, from the Jaccard estimate and
 * the set sizes: |A n B| = J (|A| + |B|) / (1 + J). */
static double nd__containment(double j, uint64_t a, uint64_t b)
{
    uint64_t small = a < b ? a : b;
    if (small == 0) return 0.0;
    double inter = j * (double)(a + b) / (1.0 + j);
    double cont = inter / (double)small;
    return cont > 1.0 ? 1.0 : cont;
}

/* Compares document d with earlier document e; @return 1 when copies. */
static int nd__is_copy(const nd_corpus *c, size_t d, size_t e, double *sim, double *cont)
{
    const nd_params *p = &c->ctx->params;
    uint64_t a = c->docs[d].content_shingles, b = c->docs[e].content_shingles;
    *sim = nd_signature_similarity(c->dsig + d * c->k, c->dsig + e * c->k, c->k);
    *cont = nd__containment(*sim, a, b);
    if (*sim >= p->doc_threshold) return 1;
    return *cont >= p->containment_threshold && (a < b ? a : b) >= p->min_contained;
}

static void nd__link_doc(nd_corpus *c, nd__lsh *l, uint32_t *stamp, uint32_t d)
{
    nd__cdoc *doc = &c->docs[d];
    const uint32_t *sig = c->dsig + (size_t)d * c->k;
    double best = -1.0;
    doc->dup_of = ND_NONE;
    for (unsigned band = 0; band < l->bands; band++) {
        for (uint32_t e = nd__lsh_bucket(l, sig, band, 0); e != ND__LSH_END; e = nd__lsh_next(l, e)) {
            uint32_t o = e / l->bands;
            if (stamp[o] == d + 1) continue;
            stamp[o] = d + 1;
            double sim, cont;
            if (!nd__is_copy(c, d, o, &sim, &cont)) continue;
            nd__uf_union(c->uf, d, o);
            double score = sim > cont ? sim : cont;
            if (score > best || (score == best && o < doc->dup_of)) {
                best = score;
                doc->dup_of = o;
                doc->sim = sim;
                doc->cont = cont;
            }
        }
    }
}

static int nd__cluster_docs(nd_corpus *c)
{
    nd__lsh l;
    uint32_t *stamp = nd__calloc(c->al, c->ndocs + 1, sizeof *stamp);
    if (!stamp) return ND_E_NOMEM;
    nd__lsh_init(&l, c->al, c->ctx->doc_bands, c->ctx->doc_rows);
    int rc = ND_OK;
    for (uint32_t d = 0; d < c->ndocs; d++) c->uf[d] = d;
    for (uint32_t d = 0; d < c->ndocs && !rc; d++) {
        if (c->docs[d].content_shingles == 0) { /* an empty document copies nothing */
            c->docs[d].dup_of = ND_NONE;
            continue;
        }
        nd__link_doc(c, &l, stamp, d);
        rc = nd__lsh_insert(&l, d, c->dsig + (size_t)d * c->k, 0);
    }
    for (uint32_t d = 0; d < c->ndocs; d++) c->docs[d].cluster = nd__uf_find(c->uf, d);
    nd__lsh_free(&l);
    nd__free(c->al, stamp);
    return rc;
}

static int nd__stories(nd_corpus *c, const nd__families *f)
{
    nd__sign_docs(c, f);
    return nd__cluster_docs(c);
}

/* ---- boilerplate ------------------------------------------------------------ */

static int nd__cmp_pair(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Keeps as boilerplate only the candidate families whose documents span
 * min_stories distinct clusters. Pairs (family, story) are sorted and
 * counted, so the cost is O(p log p) in candidate paragraphs. */
static int nd__confirm(nd_corpus *c, nd__families *f)
{
    size_t n = 0;
    for (size_t g = 0; g < c->npara; g++) n += f->bp[c->fam[g]];
    uint64_t *pairs = nd__alloc(c->al, (n ? n : 1) * sizeof *pairs);
    if (!pairs) return ND_E_NOMEM;
    n = 0;
    for (size_t g = 0; g < c->npara; g++)
        if (f->bp[c->fam[g]])
            pairs[n++] = ((uint64_t)c->fam[g] << 32) | c->docs[c->paras[g].doc].cluster;
    qsort(pairs, n, sizeof *pairs, nd__cmp_pair);
    for (size_t i = 0; i < n;) {
        uint32_t fam = (uint32_t)(pairs[i] >> 32), stories = 0;
        size_t j = i;
        for (; j < n && (uint32_t)(pairs[j] >> 32) == fam; j++)
            stories += (j == i || pairs[j] != pairs[j - 1]);
        f->bp[fam] = stories >= c->ctx->params.min_stories;
        i = j;
    }
    nd__free(c->al, pairs);
    return ND_OK;
}

static void nd__label(nd_corpus *c, const nd__families *f)
{
    for (size_t d = 0; d < c->ndocs; d++) c->docs[d].repeats = c->docs[d].boilerplate = 0;
    for (size_t g = 0; g < c->npara; g++) {
        nd__cpara *p = &c->paras[g];
        nd__cdoc *doc = &c->docs[p->doc];
        uint32_t r = c->fam[g];
        if (f->bp[r]) {
            p->kind = ND_KIND_BOILERPLATE;
            p->sim = (float)nd_signature_similarity(c->psig + g * c->k, c->psig + (size_t)r * c->k, c->k);
            doc->boilerplate++;
        } else if (p->kind == ND_KIND_REPEAT) {
            doc->repeats++;
        }
    }
}

static void nd__families_free(const nd_allocator *al, nd__families *f)
{
    nd__free(al, f->ndocs);
    nd__free(al, f->last);
    nd__free(al, f->stamp);
    nd__free(al, f->bp);
}

int nd_corpus_finish(nd_corpus *c)
{
    if (!c) return ND_E_INVALID;
    if (c->finished) return ND_E_STATE;
    nd__families f;
    size_t np = c->npara ? c->npara : 1, nd = c->ndocs ? c->ndocs : 1;
    f.ndocs = nd__calloc(c->al, np, sizeof *f.ndocs);
    f.last = nd__calloc(c->al, np, sizeof *f.last);
    f.stamp = nd__calloc(c->al, np, sizeof *f.stamp);
    f.bp = nd__calloc(c->al, np, sizeof *f.bp);
    c->fam = nd__alloc(c->al, np * sizeof *c->fam);
    c->uf = nd__alloc(c->al, nd * sizeof *c->uf);
    c->dsig = nd__alloc(c->al, nd * c->k * sizeof *c->dsig);
    int rc = (f.ndocs && f.last && f.stamp && f.bp && c->fam && c->uf && c->dsig) ? ND_OK : ND_E_NOMEM;
    if (!rc) rc = nd__build_families(c, &f);
    if (!rc) {
        for (size_t g = 0; g < c->npara; g++)
            f.bp[g] = c->fam[g] == g && f.ndocs[g] >= c->ctx->params.min_stories;
        rc = nd__stories(c, &f);
    }
    if (!rc) rc = nd__confirm(c, &f);
    if (!rc) rc = nd__stories(c, &f);
    if (!rc) {
        nd__label(c, &f);
        c->finished = 1;
    }
    nd__families_free(c->al, &f);
    return rc;
}
