/*
 * Cross-document detection over a finished collection: paragraph families,
 * boilerplate, and syndicated copies. The passes depend on each other
 * (stories need content-only signatures, which need boilerplate known, which
 * needs stories), so they run in this fixed order:
 *
 *   1. families   every paragraph that is not a repeat inside its document
 *                 joins the family of the most similar earlier paragraph
 *                 of its scope met in its chains, whose estimated Jaccard
 *                 similarity is at least repeat_threshold, or starts a
 *                 family (becomes a root).
 *   2. sites      pages grouped by the template they share (site.c), within
 *                 each source.
 *   3. candidates families found in min_stories or more documents; those
 *                 found in min_stories pages of one site are left out in 4.
 *   4. stories    document signatures = merge of paragraphs that are neither
 *                 repeats nor candidates; copies found through those
 *                 paragraphs' verified matches (containment >=
 *                 containment_threshold, or Jaccard >= doc_threshold), and
 *                 near-identical whole pages; union-find.
 *   5. confirm    a candidate family is boilerplate when its documents span
 *                 min_stories or more distinct stories: a wire story
 *                 republished fifty times is one story, not boilerplate.
 *   6. stories again, leaving out only the confirmed boilerplate, so that a
 *      story's own recurring paragraphs count toward its copies.
 */
#include <stdlib.h>
#include "corpus.h"

typedef struct nd__families {
    uint32_t *ndocs;    /* per root: distinct documents holding the family */
    uint32_t *last;     /* per root: last document counted */
    uint32_t *stamp;    /* per paragraph: last paragraph that verified it */
    uint8_t *cand;      /* per root: in min_stories documents of its scope */
    uint8_t *bp;        /* per paragraph: left out of content (candidates
                           recurring in one site at first, then the
                           confirmed boilerplate) */
    uint8_t *resign;    /* per document: confirmation changed a paragraph's bp */
} nd__families;

/* Similarity of two signatures under the context's sig_bits. */
static double nd__sim(const nd_corpus *c, const uint32_t *a, const uint32_t *b)
{
    return nd_signature_similarity_bits(a, b, c->k, c->ctx->params.sig_bits);
}

static uint64_t nd__scope_salt(const nd_corpus *c, uint32_t doc)
{
    if (c->ctx->params.boilerplate_scope == ND_SCOPE_ALL) return 0;
    return nd__source_salt(c->src_keys[c->docs[doc].source]);
}

static int nd__same_scope(const nd_corpus *c, uint32_t a, uint32_t b)
{
    return c->ctx->params.boilerplate_scope == ND_SCOPE_ALL
        || c->docs[a].source == c->docs[b].source;
}

/*
 * Candidates come from batch chains (nd__lsh_chain): for each band, the
 * previous paragraph with the same band key, walked ND__MAX_STEPS steps
 * (internal.h). Families and copy scans both verify the candidates
 * themselves: a paragraph joins the family of the earlier paragraph it is
 * most like, not the one of the root it is most like, so that what a
 * paragraph decides depends on its chains and the signatures met there,
 * never on what was decided for the paragraphs before it (the passes can
 * then be split by bucket: docs/DISTRIBUTED.md, section 1, and
 * nd_shard_family_match in shard.c, which must agree with nd__find_match).
 */

typedef struct nd__chains {
    uint32_t *items;    /* the paragraphs taking part, in order */
    nd__links links;    /* per band, the previous position in items with the same key */
    uint32_t *pos;      /* per paragraph: its position in items, or END */
    size_t n;
} nd__chains;

static void nd__chains_free(const nd_allocator *al, nd__chains *ch)
{
    nd__free(al, ch->items);
    nd__links_free(al, &ch->links);
    nd__free(al, ch->pos);
    memset(ch, 0, sizeof *ch);
}

/* Band keys of paragraphs, computed from the kept signatures when the
 * chains ask for them (the collection keeps no keys: corpus.h). */
#define ND__KEY_AHEAD 8

typedef struct nd__key_rows {
    const nd_corpus *c;
    unsigned rows;
} nd__key_rows;

static void nd__key_row(const void *arg, uint32_t g, unsigned first, unsigned n, uint32_t *out)
{
    const nd__key_rows *r = arg;
    const nd_corpus *c = r->c;
#if defined(__GNUC__) || defined(__clang__)
    /* chains ask in paragraph order, for a slice of each signature: a
     * strided walk over the whole collection, which a prefetch keeps ahead */
    if (g + ND__KEY_AHEAD < c->npara)
        __builtin_prefetch((const char *)nd__psig(c, g + ND__KEY_AHEAD) + (size_t)first * r->rows * (nd__sig_size(c) / c->k));
#endif
    if (c->codes) c->ctx->keys16_fn(first, n, r->rows, nd__ctx_key_mask(c->ctx), nd__psig(c, g), out);
    else c->ctx->keys_fn(first, n, r->rows, nd__ctx_key_mask(c->ctx), nd__psig(c, g), out);
}

/* Chains over the paragraphs for which keep(g) holds, on their keys of
 * `bands` bands of `rows` values (nd__key_row), salted per scope. */
static int nd__chains_build(nd_corpus *c, nd__chains *ch, unsigned bands, unsigned rows,
                            int salted, int (*keep)(const nd_corpus *, const void *, size_t),
                            const void *arg)
{
    memset(ch, 0, sizeof *ch);
    size_t np = c->npara ? c->npara : 1;
    ch->items = nd__alloc(c->al, np * sizeof *ch->items);
    ch->pos = nd__alloc(c->al, np * sizeof *ch->pos);
    uint32_t *salts = salted ? nd__alloc(c->al, np * sizeof *salts) : NULL;
    int rc = (ch->items && ch->pos && (!salted || salts)) ? ND_OK : ND_E_NOMEM;
    for (size_t g = 0; g < c->npara && !rc; g++) {
        ch->pos[g] = ND__LSH_END;
        if (!keep(c, arg, g)) continue;
        if (salts) {
            uint64_t salt = nd__scope_salt(c, c->paras[g].doc);
            salts[ch->n] = (uint32_t)(salt ^ salt >> 32);
        }
        ch->pos[g] = (uint32_t)ch->n;
        ch->items[ch->n++] = (uint32_t)g;
    }
    nd__key_rows kr = { c, rows };
    if (!rc) rc = nd__lsh_chain(c->al, nd__key_row, &kr, bands, ch->items, salts, ch->n, &ch->links, c->threads);
    nd__free(c->al, salts);
    return rc;
}

static int nd__family_member(const nd_corpus *c, const void *arg, size_t g)
{
    (void)arg;
    return c->paras[g].kind != ND_KIND_REPEAT;
}

/* The candidates of paragraph g from its chains, in chain order, each once
 * (stamp[r] == g + 1 once seen), at most ND__MAX_VERIFY; root(arg, p) is
 * the candidate standing for paragraph p (the item at a chain position):
 * its family's root for families, p itself for copy scans, or ND__LSH_END
 * for none. The walk is cheap next to the comparisons, so they
 * are made once every candidate is known and its signature on its way to
 * the cache. @return the count. */
static size_t nd__chain_candidates(const nd_corpus *c, const nd__chains *ch, uint32_t g, uint32_t *stamp,
                                   uint32_t (*root)(const void *, uint32_t), const void *arg, uint32_t *out)
{
    const uint32_t at = ch->pos[g];
    size_t n = 0;
    for (unsigned band = 0; band < ch->links.bands && n < ND__MAX_VERIFY; band++) {
        uint32_t q = nd__link(&ch->links, band, at);
        for (unsigned step = 0; q != ND__LSH_END && step < ND__MAX_STEPS && n < ND__MAX_VERIFY; step++) {
            uint32_t r = root(arg, ch->items[q]);
            q = nd__link(&ch->links, band, q);
            if (r == ND__LSH_END || stamp[r] == g + 1) continue;
            stamp[r] = g + 1;
            nd__pprefetch(c, r);
            out[n++] = r;
        }
    }
    return n;
}

static uint32_t nd__family_item(const void *arg, uint32_t p)
{
    (void)arg;
    return p;
}

/* The most similar earlier paragraph of g's scope among its chain
 * candidates, or g itself. */
static uint32_t nd__find_match(nd_corpus *c, const nd__chains *ch, nd__families *f, uint32_t g)
{
    const double t = c->ctx->params.repeat_threshold;
    uint32_t cand[ND__MAX_VERIFY];
    const size_t n = nd__chain_candidates(c, ch, g, f->stamp, nd__family_item, NULL, cand);
    uint32_t best = g;
    double best_sim = 0.0;
    for (size_t i = 0; i < n; i++) {
        const uint32_t r = cand[i];
        if (!nd__same_scope(c, c->paras[r].doc, c->paras[g].doc)) continue;
        double sv = nd__psim(c, g, r);
        if (sv >= t && sv > best_sim) {
            best_sim = sv;
            best = r;
        }
    }
    return best;
}

static int nd__build_families(nd_corpus *c, nd__families *f)
{
    nd__chains ch;
    int rc = nd__chains_build(c, &ch, c->ctx->para_bands, c->ctx->para_rows, 1, nd__family_member, NULL);
    for (uint32_t g = 0; g < c->npara && !rc; g++) {
        const nd__cpara *p = &c->paras[g];
        if (p->kind == ND_KIND_REPEAT) { /* its root, earlier in the document, counted it */
            c->fam[g] = c->fam[c->docs[p->doc].para0 + p->of];
            continue;
        }
        uint32_t r = nd__find_match(c, &ch, f, g);
        if (r != g) r = c->fam[r];
        c->fam[g] = r;
        if (r == g) {
            f->ndocs[g] = 0;
            f->last[g] = UINT32_MAX;
        }
        if (f->last[r] != p->doc) {
            f->last[r] = p->doc;
            f->ndocs[r]++;
        }
    }
    nd__chains_free(c->al, &ch);
    return rc;
}

/* ---- candidates -------------------------------------------------------------- */

/* A candidate paragraph: its family, the site it is counted in (0 for
 * ND_SCOPE_ALL), the unit counted (document or story) and itself. */
typedef struct nd__fsu {
    uint32_t fam, site, unit, para;
} nd__fsu;

static int nd__cmp_fsu(const void *a, const void *b)
{
    const nd__fsu *x = a, *y = b;
    if (x->fam != y->fam) return x->fam < y->fam ? -1 : 1;
    if (x->site != y->site) return x->site < y->site ? -1 : 1;
    return (x->unit > y->unit) - (x->unit < y->unit);
}

/*
 * A page of its source's pool (a single page of a crawl, a site seen once or
 * twice, a page whose template matched no other) cannot show recurrence
 * around its own site's stories: besides what recurs in the pool, it takes
 * the verdict its family has in the sites that can (t sorted by family,
 * out[] marked for those).
 */
static void nd__mark_pooled(const nd_corpus *c, const nd__fsu *t, size_t m, uint8_t *out)
{
    for (size_t i = 0; i < m;) {
        size_t j = i;
        uint8_t marked = 0;
        for (; j < m && t[j].fam == t[i].fam; j++) marked |= out[t[j].para];
        for (size_t k = i; k < j && marked; k++)
            if (c->pooled[c->paras[t[k].para].doc]) out[t[k].para] = 1;
        i = j;
    }
}

/*
 * Marks in out[] the paragraphs of candidate families that recur in
 * min_stories distinct units (documents, or stories when by_story) of their
 * own site: chrome is a site's, and recurs around different stories of that
 * site. A paragraph of one site's body that pages of other sites happen to
 * carry too (an invisible spacer, a gallery widget) is not that site's
 * chrome. Sites come from site.c (within each source); with ND_SCOPE_ALL,
 * stories are counted in the whole collection as one site. Quadruples are sorted and counted, so the
 * cost is O(p log p) in candidate paragraphs.
 */
static int nd__mark_recurring(nd_corpus *c, const nd__families *f, int by_story, uint8_t *out)
{
    /* with ND_SCOPE_ALL, stories are counted over the whole collection; what
     * pass 1 leaves out is still what recurs in one site */
    const int all = by_story && c->ctx->params.boilerplate_scope == ND_SCOPE_ALL;
    size_t m = 0;
    for (size_t g = 0; g < c->npara; g++) m += f->cand[c->fam[g]];
    nd__fsu *t = nd__alloc(c->al, (m ? m : 1) * sizeof *t);
    if (!t) return ND_E_NOMEM;
    m = 0;
    for (size_t g = 0; g < c->npara; g++) {
        uint32_t d = c->paras[g].doc;
        out[g] = 0;
        if (f->cand[c->fam[g]])
            t[m++] = (nd__fsu){ c->fam[g], all ? 0 : c->site[d],
                                by_story ? (uint32_t)c->docs[d].cluster : d, (uint32_t)g };
    }
    qsort(t, m, sizeof *t, nd__cmp_fsu);
    const unsigned n = c->ctx->params.min_stories;
    for (size_t i = 0; i < m;) {
        size_t j = i, units = 0;
        for (; j < m && t[j].fam == t[i].fam && t[j].site == t[i].site; j++)
            units += j == i || t[j].unit != t[j - 1].unit;
        for (size_t k = i; k < j && units >= n; k++) out[t[k].para] = 1;
        i = j;
    }
    if (!all) nd__mark_pooled(c, t, m, out);
    nd__free(c->al, t);
    return ND_OK;
}

/*
 * Candidates are left out of the first stories pass because they may be the
 * chrome that would make every page of a site a copy of every other: those
 * recurring in min_stories pages of their site (not of a pool, see below). A wire story republished by
 * many sites stays available to match its copies, and is then one story, not
 * boilerplate. Every family in min_stories documents is a candidate that
 * nd__confirm judges by stories.
 */
static int nd__candidates(nd_corpus *c, nd__families *f)
{
    for (size_t g = 0; g < c->npara; g++)
        f->cand[g] = c->fam[g] == g && f->ndocs[g] >= c->ctx->params.min_stories;
    int rc = nd__mark_recurring(c, f, 0, f->bp);
    /* A pool is no site whose chrome could recur around its stories: what
     * recurs among pooled pages is as often a story several of them carry
     * (bare copies have no template to tie them). Their paragraphs all take
     * part in the first stories pass; the copy rule's own thresholds keep
     * pages that share only chrome apart, and confirmation then judges the
     * pool's recurring families by stories. */
    for (size_t g = 0; g < c->npara && !rc; g++)
        if (c->pooled[c->paras[g].doc]) f->bp[g] = 0;
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

/* Whether document a comes before b: the earlier date, then input order. */
static int nd__earlier(const nd_corpus *c, uint32_t a, uint32_t b)
{
    int64_t x = c->docs[a].date, y = c->docs[b].date;
    return x != y ? x < y : a < b;
}

/* The earlier document becomes the root, so a cluster's root is its
 * representative: the earliest dated, else the first in input order. */
static void nd__uf_union(const nd_corpus *c, uint32_t a, uint32_t b)
{
    a = nd__uf_find(c->uf, a);
    b = nd__uf_find(c->uf, b);
    if (a == b) return;
    if (nd__earlier(c, a, b)) c->uf[b] = a;
    else c->uf[a] = b;
}

static int nd__excluded(const nd_corpus *c, const nd__families *f, size_t g)
{
    return c->paras[g].kind == ND_KIND_REPEAT || f->bp[g];
}

/* Documents per task when signatures are computed on several threads. */
#define ND__SIGN_TASK 64u

typedef struct nd__sign_job {
    nd_corpus *c;
    const nd__families *f;
    void (*sign)(nd_corpus *c, const nd__families *f, size_t d);
} nd__sign_job;

static void nd__sign_range(void *arg, size_t t)
{
    const nd__sign_job *job = arg;
    size_t end = (t + 1) * ND__SIGN_TASK < job->c->ndocs ? (t + 1) * ND__SIGN_TASK : job->c->ndocs;
    for (size_t d = t * ND__SIGN_TASK; d < end; d++) job->sign(job->c, job->f, d);
}

/* sign(c, f, d) for every document, on the collection's threads (each
 * writes only document d's own fields). */
static void nd__sign_all(nd_corpus *c, const nd__families *f,
                         void (*sign)(nd_corpus *, const nd__families *, size_t))
{
    nd__sign_job job = { c, f, sign };
    nd__run_tasks(c->threads, (c->ndocs + ND__SIGN_TASK - 1) / ND__SIGN_TASK, nd__sign_range, &job);
}

/* Content signature of document d, and the number of shingles of its
 * content paragraphs that have a full shingle (the denominator of
 * containment). A document whose every paragraph is excluded (a page of pure
 * chrome) is signed whole, so that such pages still compare with each other. */
static void nd__sign_doc(nd_corpus *c, const nd__families *f, size_t d)
{
    nd__cdoc *doc = &c->docs[d];
    uint32_t *sig = c->dsig + d * c->k;
    doc->content_shingles = 0;
    if (doc->fixed_sig != ND_NONE) { /* as signed when stored: see nd_corpus_add_signed */
        memcpy(sig, c->fsig + doc->fixed_sig * c->k, c->k * sizeof *sig);
        for (size_t g = doc->para0; g < doc->para0 + doc->npara; g++)
            if (!nd__excluded(c, f, g) && !c->paras[g].is_short)
                doc->content_shingles += c->paras[g].shingles;
        return;
    }
    nd__merger m;
    int any = 0;
    for (int pass = 0; pass < 2 && !any; pass++) {
        nd__merge_start(c, &m, sig);
        for (size_t g = doc->para0; g < doc->para0 + doc->npara; g++) {
            if (c->paras[g].kind == ND_KIND_REPEAT || (pass == 0 && nd__excluded(c, f, g)))
                continue;
            any = 1;
            nd__merge_para(c, &m, g);
            if (!c->paras[g].is_short) doc->content_shingles += c->paras[g].shingles;
        }
    }
    nd__merge_end(c, &m);
}

/* Whole-page signature of document d: every paragraph but repeats, whatever
 * its status. */
static void nd__sign_page(nd_corpus *c, const nd__families *f, size_t d)
{
    (void)f;
    const nd__cdoc *doc = &c->docs[d];
    uint32_t *sig = c->wsig + d * c->k;
    /* values cut to sig_bits when stored cannot be merged again; the
     * stored signature is the page's own (every paragraph but repeats) */
    if (doc->fixed_sig != ND_NONE && c->ctx->params.sig_bits < 32) {
        memcpy(sig, c->fsig + doc->fixed_sig * c->k, c->k * sizeof *sig);
        return;
    }
    nd__merger m;
    nd__merge_start(c, &m, sig);
    for (size_t g = doc->para0; g < doc->para0 + doc->npara; g++)
        if (c->paras[g].kind != ND_KIND_REPEAT) nd__merge_para(c, &m, g);
    nd__merge_end(c, &m);
}

/* Both signatures of document d, nd__sign_page's and nd__sign_doc's, in one
 * walk over its paragraphs: each paragraph's codes are read from memory once
 * (the collection is far larger than the caches). The content signature
 * is the page's when no paragraph is content. */
static void nd__sign_both(nd_corpus *c, const nd__families *f, size_t d)
{
    nd__cdoc *doc = &c->docs[d];
    if (doc->fixed_sig != ND_NONE) {
        nd__sign_page(c, f, d);
        nd__sign_doc(c, f, d);
        return;
    }
    nd__merger page, content;
    nd__merge_start(c, &page, c->wsig + d * c->k);
    nd__merge_start(c, &content, c->dsig + d * c->k);
    uint64_t shingles = 0, all = 0;
    int any = 0;
    for (size_t g = doc->para0; g < doc->para0 + doc->npara; g++) {
        const nd__cpara *p = &c->paras[g];
        if (p->kind == ND_KIND_REPEAT) continue;
        nd__merge_para(c, &page, g);
        if (!p->is_short) all += p->shingles;
        if (nd__excluded(c, f, g)) continue;
        any = 1;
        nd__merge_para(c, &content, g);
        if (!p->is_short) shingles += p->shingles;
    }
    nd__merge_end(c, &page);
    if (any) nd__merge_end(c, &content);
    else memcpy(c->dsig + d * c->k, c->wsig + d * c->k, c->k * sizeof *c->dsig);
    doc->content_shingles = any ? shingles : all;
}

/* Document d's content signature again when confirmation changed the
 * status of one of its paragraphs (f->resign); the others' stand. */
static void nd__resign_doc(nd_corpus *c, const nd__families *f, size_t d)
{
    if (f->resign[d]) nd__sign_doc(c, f, d);
}

/* ---- copies ---------------------------------------------------------------- *
 *
 * A syndicated copy is often partial (truncated, a paragraph dropped or
 * added) and sits inside other chrome, so whole-document Jaccard misses it
 * and whole-document MinHash cannot even surface the pair when one page is
 * far larger. Copies are therefore found through their paragraphs: content
 * paragraphs of every source are chained by band (as families are), and each
 * paragraph g of document d is verified against the earlier content
 * paragraphs its chains reach. Each one it matches, held by an earlier
 * document e, counts g's shingles toward d's share in e and its own toward
 * e's share in d. Only verified matches count: a paragraph that merely
 * resembles one g matched (a member of the same copy family, say) says
 * nothing about g, and crediting such members made pairs of pages that
 * share no paragraph. A full copy is still seen whole in an earlier full
 * copy when half of their paragraphs were first seen in a truncated third
 * copy: each of its paragraphs reaches the earlier full copy's own through
 * their shared bands (within the chain walk's ND__MAX_STEPS a band).
 * Containment is the larger of the two shares; a paragraph match accepts a
 * merged or split paragraph through the paragraphs' own containment. A pair
 * that is not a copy on these shares but shares a strong match is aligned
 * paragraph by paragraph (copies.c), which finds noisy copies. The pair is a
 * copy when containment or the content signatures' Jaccard estimate reaches
 * its threshold (nd__is_copy).
 *
 * A document's matches and its judgement read only what stays fixed during
 * the pass (chains, signatures, shingles, the paragraphs that count), so
 * they run on every thread, each task taking blocks of ND__SCAN_BLOCK
 * documents (task t: blocks t, t + tasks, ...), each with its own stamps.
 * The unions they decide are then made on the calling thread in document
 * order, exactly as one thread makes them: no judgement reads the
 * union-find, nor anything another task writes. The same rule lets a
 * collection too large for one machine be judged in pieces: a pair needs
 * its two documents and the chains between them, nothing decided before.
 */
#define ND__SCAN_BLOCK 16u

/* An earlier document e that a document touched, in the order touched. */
typedef struct nd__touch {
    nd__pair_share share;   /* what the document shares with e through strong matches */
    uint32_t e;
    uint32_t copy;          /* the judgement's verdict: the document copies e */
} nd__touch;

/* One task of a copy scan: its stamps, the shares of the document being
 * matched, and the entries of the documents it matched, in their order. */
typedef struct nd__scanner {
    uint32_t *para_stamp;   /* per paragraph: (g + 1) once a candidate of g */
    uint32_t *credit_stamp; /* per paragraph: (d + 1) once credited to document d */
    uint32_t *doc_stamp;    /* per document: (d + 1) when touched by d */
    nd__pair_share *share;  /* per document: what d shares with it */
    uint32_t *touched;
    size_t ntouched;
    nd__touch *t;           /* entries of this task's documents */
    size_t n, cap;
    int rc;
} nd__scanner;

typedef struct nd__copyscan {
    nd_corpus *c;
    const nd__families *f;
    const nd__chains *ch;   /* over every paragraph that may count (see nd__copy_candidate) */
    nd__scanner *task;      /* per task */
    size_t ntasks;
    size_t *off;            /* per document: its first entry in its task's t */
    uint32_t *count;        /* per document: its entries */
    uint32_t *copied;       /* unions only, per document: (d + 1) when d copies it */
} nd__copyscan;

/* Paragraphs that count toward copies: content with at least one full shingle. */
static int nd__copy_para(const nd_corpus *c, const nd__families *f, size_t g)
{
    return !nd__excluded(c, f, g) && !c->paras[g].is_short;
}

/* Chains are built once over every paragraph that may count toward copies
 * in either stories pass; a pass skips those it leaves out. */
static int nd__copy_candidate(const nd_corpus *c, const void *arg, size_t g)
{
    (void)arg;
    return c->paras[g].kind != ND_KIND_REPEAT && !c->paras[g].is_short;
}

/* A chain item as a candidate: itself when it counts in this pass. */
static uint32_t nd__copy_item(const void *arg, uint32_t p)
{
    const nd__copyscan *s = arg;
    return nd__copy_para(s->c, s->f, p) ? p : ND__LSH_END;
}

static int nd__para_match(const nd_corpus *c, uint32_t g, uint32_t r, double *sim)
{
    *sim = nd__psim(c, g, r);
    return nd__para_match_kind(*sim, c->paras[g].shingles, c->paras[r].shingles) == ND__MATCH_STRONG;
}

/* Credits paragraph g of d and the paragraph r it matched to their pair. */
static void nd__count_match(const nd_corpus *c, nd__scanner *sc, uint32_t d, uint32_t g, uint32_t r)
{
    uint32_t e = c->paras[r].doc;
    if (e == d) return;
    if (sc->doc_stamp[e] != d + 1) {
        sc->doc_stamp[e] = d + 1;
        sc->share[e] = (nd__pair_share){ 0, 0, UINT32_MAX };
        sc->touched[sc->ntouched++] = e;
    }
    int fresh = sc->credit_stamp[r] != d + 1;
    sc->credit_stamp[r] = d + 1;
    nd__credit(&sc->share[e], g, c->paras[g].shingles, fresh, c->paras[r].shingles);
}

/* The matches of document d's paragraphs with earlier content paragraphs:
 * the earlier documents it touched, in sc->touched with their shares. */
static void nd__match_doc(const nd__copyscan *s, nd__scanner *sc, uint32_t d)
{
    const nd_corpus *c = s->c;
    const nd__cdoc *doc = &c->docs[d];
    uint32_t cand[ND__MAX_VERIFY];
    sc->ntouched = 0;
    for (size_t g = doc->para0; g < doc->para0 + doc->npara; g++) {
        if (!nd__copy_para(c, s->f, g)) continue;
        const size_t n = nd__chain_candidates(c, s->ch, (uint32_t)g, sc->para_stamp, nd__copy_item, s, cand);
        for (size_t i = 0; i < n; i++) {
            double sim;
            if (nd__para_match(c, (uint32_t)g, cand[i], &sim)) nd__count_match(c, sc, d, (uint32_t)g, cand[i]);
        }
    }
}

/* The paragraphs of document d that count toward copies, for alignment. */
static void nd__align_doc(const nd_corpus *c, const nd__families *f, uint32_t d, nd__align_side *out)
{
    const nd__cdoc *doc = &c->docs[d];
    out->n = 0;
    for (size_t g = doc->para0; g < doc->para0 + doc->npara && out->n <= ND__ALIGN_SIDE; g++)
        if (nd__copy_para(c, f, g)) nd__align_add(out, nd__psig(c, g), c->paras[g].shingles);
}

/* Judges document d against the n earlier documents it touched (t, in the
 * order touched): marks those it copies and sets its dup_of, sim and cont.
 * Writes only d's own fields and entries; side[2] is scratch. */
typedef struct nd__judging {
    const nd_corpus *c;
    const nd__families *f;
    nd__touch *t;
    uint32_t d;
    nd__align_side *side;
    int aligned_d;
} nd__judging;

static void nd__judging_pair(void *arg, size_t i, nd__judge_pair *out)
{
    const nd__judging *j = arg;
    const uint32_t e = j->t[i].e;
    *out = (nd__judge_pair){ j->t[i].share, e, j->c->docs[e].content_shingles, j->c->dsig + (size_t)e * j->c->k };
}

static double nd__judging_align(void *arg, size_t i)
{
    nd__judging *j = arg;
    if (!j->aligned_d++) nd__align_doc(j->c, j->f, j->d, &j->side[0]);
    nd__align_doc(j->c, j->f, j->t[i].e, &j->side[1]);
    return nd__align_containment(&j->side[0], &j->side[1], j->c->k, nd__align_bits(j->c));
}

static void nd__judging_copies(void *arg, size_t i, int copy)
{
    ((nd__judging *)arg)->t[i].copy = (uint32_t)copy;
}

static void nd__judge(const nd_corpus *c, const nd__families *f, nd__touch *t, size_t n, uint32_t d,
                      nd__align_side *side)
{
    nd__cdoc *doc = &c->docs[d];
    nd__judging j = { c, f, t, d, side, 0 };
    const nd__judge_io io = { nd__judging_pair, nd__judging_align, nd__judging_copies, &j };
    uint64_t dup_of;
    double sim = 0.0, cont = 0.0;
    nd__judge_doc(&c->ctx->params, c->k, doc->content_shingles, c->dsig + (size_t)d * c->k, n, &io, &dup_of, &sim,
                  &cont);
    doc->dup_of = dup_of == UINT64_MAX ? ND_NONE : (size_t)dup_of;
    if (doc->dup_of != ND_NONE) {
        doc->sim = sim;
        doc->cont = cont;
    }
}

/* The unions of judged document d (its n entries t), on the calling thread
 * in document order. */
static void nd__join(nd_corpus *c, nd__copyscan *s, const nd__touch *t, size_t n, uint32_t d)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].copy) s->copied[t[i].e] = d + 1;
    /* d joins the cluster of each document it copies only through the
     * cluster's earliest document, the story as first seen: a copy of a
     * copy at a cluster's edge (one that carries a paragraph of another
     * story) does not chain a second story into it. (d copies only
     * documents it touched.) */
    for (size_t i = 0; i < n; i++) {
        if (!t[i].copy) continue;
        uint32_t r = nd__uf_find(c->uf, t[i].e);
        if (r != nd__uf_find(c->uf, d) && s->copied[r] == d + 1) nd__uf_union(c, d, r);
    }
    /* a near-identical copy (content Jaccard at doc_threshold, symmetric,
     * unlike containment) of the document it copies most joins its story */
    const nd__cdoc *doc = &c->docs[d];
    if (doc->dup_of != ND_NONE && doc->sim >= c->ctx->params.doc_threshold)
        nd__uf_union(c, d, (uint32_t)doc->dup_of);
}

/* Appends the documents sc->touched (with their shares) to sc->t. */
static int nd__scanner_push(const nd_allocator *al, nd__scanner *sc)
{
    if (sc->n + sc->ntouched > sc->cap) {
        size_t cap = sc->cap ? sc->cap : 1024;
        while (cap < sc->n + sc->ntouched) cap *= 2;
        nd__touch *t = nd__alloc(al, cap * sizeof *t);
        if (!t) return ND_E_NOMEM;
        if (sc->n) memcpy(t, sc->t, sc->n * sizeof *t);
        nd__free(al, sc->t);
        sc->t = t;
        sc->cap = cap;
    }
    for (size_t i = 0; i < sc->ntouched; i++) {
        uint32_t e = sc->touched[i];
        sc->t[sc->n++] = (nd__touch){ sc->share[e], e, 0 };
    }
    return ND_OK;
}

/* Task t: matches and judges its blocks of documents (see above). */
static void nd__scan_task(void *arg, size_t t)
{
    nd__copyscan *s = arg;
    nd_corpus *c = s->c;
    nd__scanner *sc = &s->task[t];
    size_t np = c->npara + 1, nd = c->ndocs + 1;
    sc->para_stamp = nd__calloc(c->al, np, sizeof *sc->para_stamp);
    sc->credit_stamp = nd__calloc(c->al, np, sizeof *sc->credit_stamp);
    sc->doc_stamp = nd__calloc(c->al, nd, sizeof *sc->doc_stamp);
    sc->share = nd__calloc(c->al, nd, sizeof *sc->share);
    sc->touched = nd__calloc(c->al, nd, sizeof *sc->touched);
    if (!sc->para_stamp || !sc->credit_stamp || !sc->doc_stamp || !sc->share || !sc->touched)
        sc->rc = ND_E_NOMEM;
    nd__align_side side[2]; /* 3 KiB each */
    for (size_t b = t; !sc->rc && b * ND__SCAN_BLOCK < c->ndocs; b += s->ntasks) {
        const uint32_t d0 = (uint32_t)(b * ND__SCAN_BLOCK);
        const uint32_t d1 = c->ndocs - d0 < ND__SCAN_BLOCK ? (uint32_t)c->ndocs : d0 + ND__SCAN_BLOCK;
        for (uint32_t d = d0; d < d1 && !sc->rc; d++) {
            nd__match_doc(s, sc, d);
            s->off[d] = sc->n;
            s->count[d] = (uint32_t)sc->ntouched;
            sc->rc = nd__scanner_push(c->al, sc);
            /* a task that touched nothing yet has no array */
            if (!sc->rc) nd__judge(c, s->f, sc->t ? sc->t + s->off[d] : NULL, sc->ntouched, d, side);
        }
    }
    nd__free(c->al, sc->para_stamp);
    nd__free(c->al, sc->credit_stamp);
    nd__free(c->al, sc->doc_stamp);
    nd__free(c->al, sc->share);
    nd__free(c->al, sc->touched);
}

static int nd__cluster_docs(nd_corpus *c, const nd__families *f, const nd__chains *ch)
{
    nd__copyscan s = { c, f, ch, NULL, 0, NULL, NULL, NULL };
    size_t nd = c->ndocs + 1, blocks = (c->ndocs + ND__SCAN_BLOCK - 1) / ND__SCAN_BLOCK;
    s.ntasks = blocks < c->threads ? blocks : c->threads;
    if (s.ntasks > ND__MAX_THREADS) s.ntasks = ND__MAX_THREADS; /* no more run at once */
    if (!s.ntasks) s.ntasks = 1;
    s.task = nd__calloc(c->al, s.ntasks, sizeof *s.task);
    s.off = nd__calloc(c->al, nd, sizeof *s.off);
    s.count = nd__calloc(c->al, nd, sizeof *s.count);
    s.copied = nd__calloc(c->al, nd, sizeof *s.copied);
    int rc = (s.task && s.off && s.count && s.copied) ? ND_OK : ND_E_NOMEM;
    for (uint32_t d = 0; d < c->ndocs; d++) c->uf[d] = d;
    if (!rc && c->ndocs) nd__run_tasks(c->threads, s.ntasks, nd__scan_task, &s);
    for (size_t t = 0; t < s.ntasks && s.task && !rc; t++) rc = s.task[t].rc;
    for (uint32_t d = 0; d < c->ndocs && !rc; d++) {
        const nd__scanner *sc = &s.task[(d / ND__SCAN_BLOCK) % s.ntasks];
        nd__join(c, &s, sc->t ? sc->t + s.off[d] : NULL, s.count[d], d);
    }
    for (size_t t = 0; t < s.ntasks && s.task; t++) nd__free(c->al, s.task[t].t);
    nd__free(c->al, s.task);
    nd__free(c->al, s.off);
    nd__free(c->al, s.count);
    nd__free(c->al, s.copied);
    return rc;
}

/* Chains over the documents' page signatures (items are document indexes). */
static int nd__chains_build_docs(nd_corpus *c, nd__chains *ch, unsigned bands, unsigned rows)
{
    memset(ch, 0, sizeof *ch);
    ch->n = c->ndocs;
    size_t m = c->ndocs ? c->ndocs : 1;
    ch->items = nd__alloc(c->al, m * sizeof *ch->items);
    if (!ch->items) return ND_E_NOMEM;
    uint32_t *keys = nd__alloc(c->al, m * bands * sizeof *keys);
    if (!keys) return ND_E_NOMEM;
    for (size_t d = 0; d < c->ndocs; d++) {
        ch->items[d] = (uint32_t)d;
        c->ctx->keys_fn(0, bands, rows, nd__ctx_key_mask(c->ctx), c->wsig + d * c->k, keys + d * bands);
    }
    nd__flat_rows flat = { keys, bands };
    int rc = nd__lsh_chain(c->al, nd__flat_row, &flat, bands, ch->items, NULL, ch->n, &ch->links, c->threads);
    nd__free(c->al, keys);
    return rc;
}

/*
 * Near-identical pages are one story whatever their paragraphs' status: a
 * story a site republishes unchanged, under its own chrome, has every
 * paragraph in several documents, hence candidates, and no content left to
 * match by; its whole pages still agree. Pages agreeing on at least
 * ND__SAME_PAGE of their shingles are joined; different stories of one site
 * agree only on chrome, far less on news pages (ND__SAME_PAGE: corpus.h).
 */

static int nd__same_pages(nd_corpus *c, const nd__chains *pages)
{
    const nd__chains ch = *pages;
    const unsigned bands = ch.links.bands;
    int rc = ND_OK;
    for (size_t i = 0; i < ch.n && !rc; i++) {
        uint32_t d = ch.items[i];
        nd__cdoc *doc = &c->docs[d];
        for (unsigned band = 0; band < bands; band++) {
            uint32_t q = nd__link(&ch.links, band, (uint32_t)i);
            for (unsigned step = 0; q != ND__LSH_END && step < ND__MAX_STEPS; step++, q = nd__link(&ch.links, band, q)) {
                uint32_t e = ch.items[q];
                double sim = nd__sim(c, c->wsig + (size_t)d * c->k, c->wsig + (size_t)e * c->k);
                if (sim < ND__SAME_PAGE) continue;
                nd__uf_union(c, d, e);
                if (doc->dup_of == ND_NONE) {
                    doc->dup_of = e;
                    doc->sim = doc->cont = sim;
                }
            }
        }
    }
    return rc;
}

/* Content signatures are made before (nd__sign_both, nd__resign_doc). */
static int nd__stories(nd_corpus *c, const nd__families *f, const nd__chains *copies,
                       const nd__chains *pages)
{
    int rc = nd__cluster_docs(c, f, copies);
    if (!rc) rc = nd__same_pages(c, pages);
    for (uint32_t d = 0; d < c->ndocs; d++) c->docs[d].cluster = nd__uf_find(c->uf, d);
    return rc;
}

/* ---- boilerplate ------------------------------------------------------------ */

/* Keeps as boilerplate only the candidate paragraphs whose family spans
 * min_stories distinct stories of their site. */
static int nd__confirm(nd_corpus *c, nd__families *f, int *changed)
{
    uint8_t *keep = nd__alloc(c->al, c->npara ? c->npara : 1);
    int rc = keep ? nd__mark_recurring(c, f, 1, keep) : ND_E_NOMEM;
    for (size_t g = 0; g < c->npara && !rc; g++) {
        if (keep[g] != f->bp[g]) {
            *changed = 1;
            f->resign[c->paras[g].doc] = 1;
        }
        f->bp[g] = keep[g];
    }
    nd__free(c->al, keep);
    return rc;
}

static void nd__label(nd_corpus *c, const nd__families *f)
{
    for (size_t d = 0; d < c->ndocs; d++) c->docs[d].repeats = c->docs[d].boilerplate = 0;
    for (size_t g = 0; g < c->npara; g++) {
        nd__cpara *p = &c->paras[g];
        nd__cdoc *doc = &c->docs[p->doc];
        uint32_t r = c->fam[g];
        if (f->bp[g]) {
            p->kind = ND_KIND_BOILERPLATE;
            p->sim = (float)nd__psim(c, g, r);
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
    nd__free(al, f->cand);
    nd__free(al, f->resign);
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
    f.cand = nd__calloc(c->al, np, sizeof *f.cand);
    f.resign = nd__calloc(c->al, nd, sizeof *f.resign);
    /* a finish that failed for memory may be called again: drop its leftovers */
    nd__free(c->al, c->fam);
    nd__free(c->al, c->uf);
    nd__free(c->al, c->dsig);
    nd__free(c->al, c->wsig);
    nd__free(c->al, c->site);
    nd__free(c->al, c->pooled);
    c->site = nd__alloc(c->al, nd * sizeof *c->site);
    c->pooled = nd__alloc(c->al, nd);
    c->fam = nd__alloc(c->al, np * sizeof *c->fam);
    c->uf = nd__alloc(c->al, nd * sizeof *c->uf);
    c->dsig = nd__alloc(c->al, nd * c->k * sizeof *c->dsig);
    c->wsig = nd__alloc(c->al, nd * c->k * sizeof *c->wsig);
    int rc = (f.ndocs && f.last && f.stamp && f.bp && f.cand && f.resign && c->fam && c->uf && c->dsig && c->wsig && c->site && c->pooled)
           ? ND_OK : ND_E_NOMEM;
    if (!rc) rc = nd__build_families(c, &f);
    if (!rc) rc = nd__infer_sites(c, c->site, c->pooled);
    if (!rc) rc = nd__candidates(c, &f);
    nd__chains copies, pages;
    memset(&copies, 0, sizeof copies);
    memset(&pages, 0, sizeof pages);
    if (!rc) {
        unsigned bands, rows;
        nd__lsh_for_recall(ND__SAME_PAGE, c->k, ND__SAME_PAGE_MISS, &bands, &rows);
        rc = nd__chains_build(c, &copies, c->ctx->doc_bands, c->ctx->doc_rows, 0, nd__copy_candidate, NULL);
        /* signed after the copy chains' build, a scan's peak: the two
         * signatures per document are first written after it, so where
         * memory is mapped on first write (the default allocator's large
         * blocks) they do not add to that peak */
        if (!rc) nd__sign_all(c, &f, nd__sign_both);
        if (!rc) rc = nd__chains_build_docs(c, &pages, bands, rows);
    }
    if (!rc) rc = nd__stories(c, &f, &copies, &pages);
    int changed = 0;
    if (!rc) rc = nd__confirm(c, &f, &changed);
    /* when every candidate was confirmed, the stories cannot change */
    if (!rc && changed) {
        nd__sign_all(c, &f, nd__resign_doc);
        rc = nd__stories(c, &f, &copies, &pages);
    }
    nd__chains_free(c->al, &copies);
    nd__chains_free(c->al, &pages);
    if (!rc) {
        nd__label(c, &f);
        c->finished = 1;
    }
    nd__families_free(c->al, &f);
    return rc;
}
