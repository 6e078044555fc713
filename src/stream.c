/*
 * Streams: the collection passes of detect.c done incrementally, one
 * document at a time, over a bounded window.
 *
 * Memory is two generations of at most window/2 documents each. A paragraph
 * or document is named by a reference (generation epoch << 32 | index in
 * that generation); when the newer generation fills, the older is reset and
 * becomes the newest, and references into it stop resolving. Each generation
 * has two LSH indexes of roots: paragraph families (salted by source, as in
 * the batch passes) and copy families (all sources).
 *
 * For each document, in order:
 *   1. families: each paragraph joins the most similar root (estimate at
 *      least repeat_threshold) or becomes a root; a match in the older
 *      generation is promoted: the paragraph becomes a root of the newer one
 *      and takes the family's counts, so recurring chrome survives eviction;
 *   2. copies: its content paragraphs (one full shingle, and the first time
 *      their source shows them) are matched against copy roots, crediting
 *      the root and those members of its copy family that the paragraph
 *      matches too (verified, as detect.c credits only verified matches;
 *      at most ND__MAX_VERIFY members a paragraph); containment and the content
 *      signatures decide, and the document joins the earliest cluster found
 *      (clusters cannot merge afterwards: joining the earliest keeps a story
 *      whole where a collection would merge two clusters through it);
 *   3. stories: each family it touched counts its cluster as a story (the
 *      last ND__STORIES distinct ones are remembered), and a family with
 *      min_stories stories becomes boilerplate for good;
 *   4. labels, from the state after 3.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>
#include "internal.h"

#define ND__SREF_NONE UINT64_MAX
#define ND__STORIES 8
#define ND__STOUCH 256

typedef struct nd__sdoc {
    uint64_t seq;
    size_t id_off, id_len;
    uint64_t src;              /* hash of the source name */
    size_t para0;
    uint32_t npara;
    uint64_t content;          /* shingles of content paragraphs */
    uint64_t cluster;          /* seq of its cluster's earliest document */
    size_t cl_off, cl_len;     /* that document's id, copied here */
    uint64_t site;             /* its site's key (see nd__ssite) */
    size_t st_off, st_len;     /* the id of its site's first document, copied here */
    uint8_t pooled;            /* the site is its source's pool */
} nd__sdoc;

typedef struct nd__spara {
    uint32_t off, len;         /* span in its document's text */
    uint32_t doc, index, of, shingles;
    float sim;                 /* a repeat's exact similarity (from nd_doc) */
    uint8_t kind, is_short, bp;
    uint8_t counted;           /* counted toward its document's content (nd__scopies) */
    uint64_t fam;              /* ref of its family root */
    uint64_t copy_next;        /* next member of its copy family (same generation) */
    uint64_t probe;            /* last lookup that verified it */
    uint64_t credited;         /* last document (seq + 1) it was credited to */
    uint64_t marked;           /* last document (seq + 1) that counted its story */
    uint64_t lastdoc;          /* roots: last document (seq + 1) counted */
    uint64_t holder;           /* roots: ref of the last document that held it */
    uint64_t edge[2];          /* roots: ref of the last document holding it at its top, bottom */
    uint32_t ndocs, nstories;  /* roots: documents and distinct stories seen */
    uint64_t stories[ND__STORIES];
    uint64_t story_docs[ND__STORIES]; /* ref of the document each story was seen in */
    uint64_t bp_site[2];       /* roots: sites it is boilerplate of (NONE: free) */
    uint8_t bp_many;           /* roots: boilerplate of more sites than bp_site holds */
} nd__spara;

typedef struct nd__sgen {
    uint32_t epoch;
    nd__sdoc *docs;
    nd__spara *paras;
    uint32_t *sigs, *dsig;
    char *ids;
    size_t ndocs, doc_cap, npara, para_cap, sig_cap, dsig_cap, ids_len, ids_cap;
    nd__lsh fam, copy;
} nd__sgen;

typedef struct nd__touch {
    uint64_t doc;              /* ref */
    nd__pair_share share;
} nd__touch;

typedef struct nd__sout {
    nd_kind kind;
    uint64_t of_doc;
    size_t of;
    double sim;
    const char *of_id;
    size_t of_id_len;
} nd__sout;

struct nd_stream {
    const nd_ctx *ctx;
    const nd_allocator *al;
    unsigned k;
    size_t window;
    nd__sgen gen[2];
    int cur;
    uint32_t next_epoch;
    uint64_t seq, probe;
    nd__touch touch[ND__STOUCH];
    size_t ntouch;
    nd__align_side side_d, side_e; /* scratch for alignments (copies.c) */
    int dup_gen;               /* generation and index of the document copied, or -1 */
    size_t dup_idx;
    nd__sout *out;
    size_t out_cap;
    uint64_t *fams[2];         /* scratch: two pages' family refs (nd__sown_middles) */
    size_t fams_cap[2];
    size_t max_id, max_npara;  /* of every document added: bounds what an add may need */
    nd_stream_doc last;
};

static uint64_t nd__ref(const nd__sgen *g, size_t i) { return ((uint64_t)g->epoch << 32) | i; }

static nd__sgen *nd__sgen_of(nd_stream *s, uint64_t ref)
{
    if (ref == ND__SREF_NONE) return NULL;
    uint32_t epoch = (uint32_t)(ref >> 32);
    for (int i = 0; i < 2; i++)
        if (s->gen[i].epoch == epoch) return &s->gen[i];
    return NULL;
}

static nd__spara *nd__spara_of(nd_stream *s, uint64_t ref, nd__sgen **g)
{
    nd__sgen *gen = nd__sgen_of(s, ref);
    if (g) *g = gen;
    return gen && (ref & 0xFFFFFFFFu) < gen->npara ? &gen->paras[ref & 0xFFFFFFFFu] : NULL;
}

static double nd__ssim(const nd_stream *s, const uint32_t *a, const uint32_t *b)
{
    return nd_signature_similarity_bits(a, b, s->k, s->ctx->params.sig_bits);
}

static void nd__sgen_init(nd_stream *s, nd__sgen *g)
{
    const nd_ctx *ctx = s->ctx;
    nd__lsh_init(&g->fam, s->al, ctx->para_bands, ctx->para_rows);
    nd__lsh_init(&g->copy, s->al, ctx->doc_bands, ctx->doc_rows);
    if (ctx->params.sig_bits < 32) g->fam.mask = g->copy.mask = (1u << ctx->params.sig_bits) - 1;
    g->epoch = s->next_epoch++;
}

static void nd__sgen_free(const nd_allocator *al, nd__sgen *g)
{
    nd__free(al, g->docs);
    nd__free(al, g->paras);
    nd__free(al, g->sigs);
    nd__free(al, g->dsig);
    nd__free(al, g->ids);
    nd__lsh_free(&g->fam);
    nd__lsh_free(&g->copy);
    memset(g, 0, sizeof *g);
}

/* The older generation is forgotten; its memory is reused for the new one. */
static void nd__sgen_recycle(nd_stream *s)
{
    nd__sgen *g = &s->gen[!s->cur];
    g->ndocs = g->npara = g->ids_len = 0;
    nd__lsh_clear(&g->fam);
    nd__lsh_clear(&g->copy);
    g->epoch = s->next_epoch++;
    s->cur = !s->cur;
}

int nd_stream_create(nd_stream **out, const nd_ctx *ctx, size_t window)
{
    if (!out) return ND_E_INVALID;
    *out = NULL;
    if (!ctx || window == 1) return ND_E_INVALID;
    nd_stream *s = nd__calloc(&ctx->alloc, 1, sizeof *s);
    if (!s) return ND_E_NOMEM;
    s->ctx = ctx;
    s->al = &ctx->alloc;
    s->k = ctx->params.num_perm;
    s->window = window ? window : 20000;
    s->next_epoch = 1;
    nd__sgen_init(s, &s->gen[0]);
    nd__sgen_init(s, &s->gen[1]);
    *out = s;
    return ND_OK;
}

void nd_stream_free(nd_stream *s)
{
    if (!s) return;
    const nd_allocator *al = s->al;
    nd__sgen_free(al, &s->gen[0]);
    nd__sgen_free(al, &s->gen[1]);
    nd__free(al, s->out);
    nd__free(al, s->fams[0]);
    nd__free(al, s->fams[1]);
    nd__free(al, s);
}

/* ---- storing the document ---------------------------------------------- */

/* Everything adding a document of n paragraphs may allocate, before the
 * stream changes: an add that fails leaves it as it was. The ids arena takes
 * the id and copies of two earlier ids (its cluster's and its site's first
 * documents); the scratch arrays hold any two pages' families. */
static int nd__sreserve(nd_stream *s, nd__sgen *g, size_t n, size_t id_len)
{
    size_t max_id = id_len > s->max_id ? id_len : s->max_id;
    size_t max_np = n > s->max_npara ? n : s->max_npara;
    int rc = nd__reserve(s->al, (void **)&g->docs, &g->doc_cap, g->ndocs + 1, sizeof *g->docs);
    if (!rc) rc = nd__reserve(s->al, (void **)&g->paras, &g->para_cap, g->npara + n, sizeof *g->paras);
    if (!rc) rc = nd__reserve(s->al, (void **)&g->sigs, &g->sig_cap, (g->npara + n) * s->k, sizeof *g->sigs);
    if (!rc) rc = nd__reserve(s->al, (void **)&g->dsig, &g->dsig_cap, (g->ndocs + 1) * s->k, sizeof *g->dsig);
    /* + 1: the arena exists even when every id is empty, so pointers into it are valid */
    if (!rc) rc = nd__reserve(s->al, (void **)&g->ids, &g->ids_cap, g->ids_len + id_len + 2 * max_id + 1, 1);
    if (!rc) rc = nd__reserve(s->al, (void **)&s->out, &s->out_cap, n ? n : 1, sizeof *s->out);
    for (int i = 0; i < 2 && !rc; i++)
        rc = nd__reserve(s->al, (void **)&s->fams[i], &s->fams_cap[i], max_np + 1, sizeof *s->fams[i]);
    if (!rc && n) rc = nd__lsh_reserve(&g->fam, n, g->npara + n - 1);
    if (!rc && n) rc = nd__lsh_reserve(&g->copy, n, g->npara + n - 1);
    if (rc) return rc;
    s->max_id = max_id;
    s->max_npara = max_np;
    return ND_OK;
}

static void nd__sstore(nd_stream *s, nd__sgen *g, const nd_doc *doc, const char *id, size_t id_len,
                       uint64_t src)
{
    size_t n = nd_doc_count(doc);
    nd__sdoc *d = &g->docs[g->ndocs];
    memset(d, 0, sizeof *d);
    d->seq = s->seq;
    d->id_off = g->ids_len;
    d->id_len = id_len;
    if (id_len) memcpy(g->ids + g->ids_len, id, id_len);
    g->ids_len += id_len;
    d->src = src;
    d->para0 = g->npara;
    d->npara = (uint32_t)n;
    d->cluster = s->seq;
    for (size_t j = 0; j < n; j++) {
        nd_para_info info;
        nd__doc_para(doc, j, &info);
        nd__spara *p = &g->paras[g->npara + j];
        memset(p, 0, sizeof *p);
        p->off = (uint32_t)info.offset;
        p->len = (uint32_t)info.length;
        p->sim = (float)info.similarity;
        p->doc = (uint32_t)g->ndocs;
        p->index = (uint32_t)j;
        p->of = (uint32_t)info.of;
        p->kind = (uint8_t)info.kind;
        p->is_short = info.tokens < s->ctx->params.shingle_size;
        p->shingles = info.shingles > UINT32_MAX ? UINT32_MAX : (uint32_t)info.shingles;
        p->fam = p->copy_next = p->holder = p->edge[0] = p->edge[1] = ND__SREF_NONE;
        p->bp_site[0] = p->bp_site[1] = ND__SREF_NONE;
        memcpy(g->sigs + (g->npara + j) * s->k, nd_doc_para_signature(doc, j), s->k * sizeof *g->sigs);
    }
}

/* ---- 1. families ----------------------------------------------------------- */

static uint64_t nd__sfind_root(nd_stream *s, size_t g, uint64_t salt, uint64_t src)
{
    nd__sgen *cur = &s->gen[s->cur];
    const uint32_t *sig = cur->sigs + g * s->k;
    const int all = s->ctx->params.boilerplate_scope == ND_SCOPE_ALL;
    uint64_t best = ND__SREF_NONE;
    double best_sim = 0.0;
    unsigned verified = 0;
    s->probe++;
    for (int i = 0; i < 2; i++) {
        nd__sgen *gen = &s->gen[i == 0 ? s->cur : !s->cur]; /* newer first: its keys stay prepared */
        nd__lsh_prepare(&gen->fam, sig, salt);
        for (unsigned band = 0; band < gen->fam.bands && verified < ND__MAX_VERIFY; band++) {
            for (uint32_t e = nd__lsh_bucket(&gen->fam, band); e != ND__LSH_END && verified < ND__MAX_VERIFY;
                 e = nd__lsh_next(&gen->fam, e)) {
                nd__spara *r = &gen->paras[e / gen->fam.bands];
                if (r->probe == s->probe) continue;
                r->probe = s->probe;
                verified++;
                if (!all && gen->docs[r->doc].src != src) continue;
                double sv = nd__ssim(s, sig, gen->sigs + (size_t)(r - gen->paras) * s->k);
                if (sv >= s->ctx->params.repeat_threshold && sv > best_sim) {
                    best_sim = sv;
                    best = nd__ref(gen, (size_t)(r - gen->paras));
                }
            }
        }
    }
    return best; /* cur->fam keeps sig's keys for the insert that may follow */
}

/* Paragraph g of the newest generation starts a family, taking over the
 * counts of `from` (a root of the older generation) when given. */
static int nd__sbecome_root(nd_stream *s, size_t g, const nd__spara *from)
{
    nd__sgen *cur = &s->gen[s->cur];
    nd__spara *p = &cur->paras[g];
    p->fam = nd__ref(cur, g);
    if (from) {
        p->ndocs = from->ndocs;
        p->nstories = from->nstories;
        p->lastdoc = from->lastdoc;
        p->holder = from->holder;
        memcpy(p->edge, from->edge, sizeof p->edge);
        memcpy(p->stories, from->stories, sizeof p->stories);
        memcpy(p->story_docs, from->story_docs, sizeof p->story_docs);
        memcpy(p->bp_site, from->bp_site, sizeof p->bp_site);
        p->bp_many = from->bp_many;
    }
    return nd__lsh_insert(&cur->fam, (uint32_t)g);
}

static int nd__sfamilies(nd_stream *s, const nd__sdoc *d, uint64_t salt)
{
    nd__sgen *cur = &s->gen[s->cur];
    for (size_t g = d->para0; g < d->para0 + d->npara; g++) {
        nd__spara *p = &cur->paras[g];
        if (p->kind == ND_KIND_REPEAT) {
            p->fam = cur->paras[d->para0 + p->of].fam;
            continue;
        }
        nd__sgen *rg;
        uint64_t best = nd__sfind_root(s, g, salt, d->src);
        nd__spara *r = nd__spara_of(s, best, &rg);
        if (!r || rg != cur) {
            int rc = nd__sbecome_root(s, g, r);
            if (rc) return rc;
            r = p;
        } else {
            p->fam = best;
        }
        if (r->lastdoc != s->seq + 1) {
            r->lastdoc = s->seq + 1;
            r->ndocs++;
        }
    }
    return ND_OK;
}

/* ---- 1b. sites --------------------------------------------------------------- *
 *
 * As site.c does for a collection: a document is of an earlier one's site
 * when they share ND__SITE_MATCH families among the first ND__SITE_EDGE
 * paragraphs of both and as many among the last, and each keeps
 * ND__SITE_OWN shingles of its own between what they share. The earlier
 * pages checked are, per edge family, the last one that held it at the same
 * end. A page linked to none is in its source's pool. A site's key is the
 * sequence number of its first page (a pooled page that a later one links to
 * starts a site); a pool's is its source's hash with the top bit set. Unlike
 * a collection, a stream cannot move earlier pages between sites.
 */
#define ND__SITE_POOL ((uint64_t)1 << 63)

static int nd__skeep_id(nd_stream *s, const char *ids, size_t off, size_t len, size_t *out_off,
                        size_t *out_len);

static int nd__cmp_ref(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static nd__sdoc *nd__sdoc_of(nd_stream *s, uint64_t ref, nd__sgen **g)
{
    nd__sgen *gen = nd__sgen_of(s, ref);
    if (g) *g = gen;
    return gen && (ref & 0xFFFFFFFFu) < gen->ndocs ? &gen->docs[ref & 0xFFFFFFFFu] : NULL;
}

/* The family refs of a document's paragraphs, sorted, in out (room for
 * them reserved by nd__sreserve). */
static void nd__sfams(const nd__sgen *g, const nd__sdoc *d, uint64_t *out)
{
    for (size_t j = 0; j < d->npara; j++) out[j] = g->paras[d->para0 + j].fam;
    qsort(out, d->npara, sizeof *out, nd__cmp_ref);
}

/* Shingles of d's own paragraphs between the first and the last it shares
 * with the sorted family refs `other` (n of them). */
static uint64_t nd__sown_middle(const nd__sgen *g, const nd__sdoc *d, const uint64_t *other, size_t n)
{
    uint64_t own = 0, pending = 0;
    int inside = 0;
    for (size_t j = 0; j < d->npara; j++) {
        const nd__spara *p = &g->paras[d->para0 + j];
        if (p->kind == ND_KIND_REPEAT) continue;
        if (bsearch(&p->fam, other, n, sizeof *other, nd__cmp_ref)) {
            if (inside) own += pending;
            pending = 0;
            inside = 1;
        } else {
            pending += p->shingles;
        }
    }
    return own;
}

static int nd__sown_middles(nd_stream *s, const nd__sdoc *d, const nd__sgen *eg, const nd__sdoc *e)
{
    const nd__sgen *cur = &s->gen[s->cur];
    nd__sfams(cur, d, s->fams[0]);
    nd__sfams(eg, e, s->fams[1]);
    return nd__sown_middle(cur, d, s->fams[1], e->npara) >= ND__SITE_OWN
        && nd__sown_middle(eg, e, s->fams[0], d->npara) >= ND__SITE_OWN;
}

/* Earlier pages holding d's edge families at the same end, as (ref << 1 |
 * end) in peers (room for 2 * ND__SITE_EDGE); each family now names d. */
static size_t nd__speers(nd_stream *s, const nd__sdoc *d, uint64_t *peers)
{
    nd__sgen *cur = &s->gen[s->cur];
    const uint64_t me = nd__ref(cur, (size_t)(d - cur->docs));
    size_t n = 0;
    for (unsigned end = 0; end < 2; end++) {
        unsigned taken = 0;
        for (uint32_t i = 0; i < d->npara && taken < ND__SITE_EDGE; i++) {
            const nd__spara *p = &cur->paras[d->para0 + (end ? d->npara - 1 - i : i)];
            if (p->kind == ND_KIND_REPEAT) continue;
            taken++;
            nd__spara *r = nd__spara_of(s, p->fam, NULL);
            if (!r || r->edge[end] == me) continue; /* twice at this end */
            if (nd__sdoc_of(s, r->edge[end], NULL)) peers[n++] = r->edge[end] << 1 | end;
            r->edge[end] = me;
        }
    }
    qsort(peers, n, sizeof *peers, nd__cmp_ref);
    return n;
}

static int nd__ssite(nd_stream *s, nd__sdoc *d)
{
    uint64_t peers[2 * ND__SITE_EDGE];
    size_t n = nd__speers(s, d, peers);
    d->site = ND__SITE_POOL | d->src;
    d->pooled = 1;
    for (size_t i = 0; i < n;) {
        uint64_t ref = peers[i] >> 1;
        unsigned ends[2] = { 0, 0 };
        for (; i < n && peers[i] >> 1 == ref; i++) ends[peers[i] & 1]++;
        nd__sgen *eg;
        nd__sdoc *e = nd__sdoc_of(s, ref, &eg);
        if (!e || ends[0] < ND__SITE_MATCH || ends[1] < ND__SITE_MATCH || e->src != d->src) continue;
        if (!nd__sown_middles(s, d, eg, e)) continue;
        if (e->pooled) { /* e's template recurs: e starts a site */
            e->site = e->seq;
            e->st_off = e->id_off;
            e->st_len = e->id_len;
            e->pooled = 0;
        }
        if (!d->pooled && e->site >= d->site) continue;
        d->site = e->site;
        d->pooled = 0;
        int rc = nd__skeep_id(s, eg->ids, e->st_off, e->st_len, &d->st_off, &d->st_len);
        if (rc) return rc;
    }
    return ND_OK;
}

/* ---- 2. copies --------------------------------------------------------------- */

static nd__touch *nd__stouch(nd_stream *s, uint64_t doc)
{
    for (size_t i = 0; i < s->ntouch; i++)
        if (s->touch[i].doc == doc) return &s->touch[i];
    if (s->ntouch == ND__STOUCH) return NULL; /* documents beyond are not credited */
    nd__touch *t = &s->touch[s->ntouch++];
    t->doc = doc;
    t->share = (nd__pair_share){ 0, 0, UINT32_MAX };
    return t;
}

static int nd__spara_match(const nd_stream *s, const uint32_t *a, const uint32_t *b, uint32_t sa,
                           uint32_t sb, double *sim)
{
    *sim = nd__ssim(s, a, b);
    return nd__para_match_kind(*sim, sa, sb) == ND__MATCH_STRONG;
}

/* Credits paragraph g (newest generation) and the members of copy root r
 * (verified itself) that g matches too, verifying at most *budget members
 * (a paragraph's budget over all the roots it matches: ND__MAX_VERIFY). */
static void nd__scredit(nd_stream *s, nd__sgen *rg, uint32_t r, uint32_t g, unsigned *budget)
{
    const nd__sgen *cur = &s->gen[s->cur];
    const uint32_t *sig = cur->sigs + (size_t)g * s->k;
    unsigned n = 0;
    for (uint64_t m = nd__ref(rg, r); m != ND__SREF_NONE && n < ND__MAX_MEMBERS; n++) {
        const uint32_t mi = (uint32_t)(m & 0xFFFFFFFFu);
        nd__spara *mp = &rg->paras[mi];
        m = mp->copy_next;
        uint64_t doc = nd__ref(rg, mp->doc);
        if (rg == cur && mp->doc == cur->paras[g].doc) continue;
        if (mi != r) { /* the root was verified by the caller */
            double sim;
            if (!*budget) continue;
            --*budget;
            if (!nd__spara_match(s, sig, rg->sigs + (size_t)mi * s->k, cur->paras[g].shingles, mp->shingles, &sim))
                continue;
        }
        nd__touch *t = nd__stouch(s, doc);
        if (!t) continue;
        int fresh = mp->credited != s->seq + 1;
        mp->credited = s->seq + 1;
        nd__credit(&t->share, g, cur->paras[g].shingles, fresh, mp->shingles);
    }
}

/* @return the ref of the best matching copy root of paragraph g, or NONE. */
static uint64_t nd__smatch(nd_stream *s, uint32_t g)
{
    nd__sgen *cur = &s->gen[s->cur];
    const uint32_t *sig = cur->sigs + (size_t)g * s->k;
    uint64_t best = ND__SREF_NONE;
    double best_sim = -1.0;
    unsigned verified = 0, members = ND__MAX_VERIFY;
    s->probe++;
    for (int i = 0; i < 2; i++) {
        nd__sgen *gen = &s->gen[i == 0 ? !s->cur : s->cur]; /* newest last: its keys stay prepared */
        nd__lsh_prepare(&gen->copy, sig, 0);
        for (unsigned band = 0; band < gen->copy.bands && verified < ND__MAX_VERIFY; band++) {
            for (uint32_t e = nd__lsh_bucket(&gen->copy, band); e != ND__LSH_END && verified < ND__MAX_VERIFY;
                 e = nd__lsh_next(&gen->copy, e)) {
                uint32_t r = e / gen->copy.bands;
                nd__spara *rp = &gen->paras[r];
                if (rp->probe == s->probe) continue;
                rp->probe = s->probe;
                verified++;
                double sim;
                if (!nd__spara_match(s, sig, gen->sigs + (size_t)r * s->k, cur->paras[g].shingles,
                                     rp->shingles, &sim))
                    continue;
                nd__scredit(s, gen, r, g, &members);
                if (sim > best_sim) {
                    best_sim = sim;
                    best = nd__ref(gen, r);
                }
            }
        }
    }
    return best;
}

/* Whether family root r is boilerplate for document d: of d's site, or of
 * any site for a pooled page (which cannot show its own site's recurrence). */
static int nd__sbp(const nd__spara *r, const nd__sdoc *d)
{
    if (r->bp_many || (d->pooled && r->bp_site[0] != ND__SREF_NONE)) return 1;
    return r->bp_site[0] == d->site || r->bp_site[1] == d->site;
}

/* Whether d's site showed the family before d. */
static int nd__sshown(nd_stream *s, const nd__spara *r, const nd__sdoc *d)
{
    const nd__sdoc *h = nd__sdoc_of(s, r->holder, NULL);
    return h && h != d && h->site == d->site;
}

static int nd__scopies(nd_stream *s, nd__sdoc *d)
{
    nd__sgen *cur = &s->gen[s->cur];
    uint32_t *dsig = cur->dsig + (size_t)(d - cur->docs) * s->k;
    for (unsigned i = 0; i < s->k; i++) dsig[i] = UINT32_MAX;
    s->ntouch = 0;
    for (size_t g = d->para0; g < d->para0 + d->npara; g++) {
        nd__spara *p = &cur->paras[g];
        const nd__spara *root = nd__spara_of(s, p->fam, NULL);
        /* A paragraph its site has shown before is chrome or a story the
         * site repeats: either way it is left out, as candidates are in
         * the batch passes, so that pages of one site are not taken for
         * copies of each other before their chrome is known. */
        p->counted = 0;
        if (p->kind == ND_KIND_REPEAT || p->is_short || (root && (nd__sbp(root, d) || nd__sshown(s, root, d))))
            continue;
        p->counted = 1;
        nd_signature_merge(dsig, cur->sigs + g * s->k, s->k);
        d->content += p->shingles;
        uint64_t best = nd__smatch(s, (uint32_t)g);
        nd__sgen *bg;
        nd__spara *bp = nd__spara_of(s, best, &bg);
        if (bp && bg == cur) { /* joins that copy family */
            p->copy_next = bp->copy_next;
            bp->copy_next = nd__ref(cur, g);
        } else {
            int rc = nd__lsh_insert(&cur->copy, (uint32_t)g);
            if (rc) return rc;
        }
    }
    return ND_OK;
}

/* The counted paragraphs of document d (of generation g), for alignment. */
static void nd__salign_doc(const nd_stream *s, const nd__sgen *g, const nd__sdoc *d, nd__align_side *out)
{
    out->n = 0;
    for (size_t i = d->para0; i < d->para0 + d->npara && out->n <= ND__ALIGN_SIDE; i++)
        if (g->paras[i].counted) nd__align_add(out, g->sigs + i * s->k, g->paras[i].shingles);
}

/* Decides which touched document d copies, and the document whose cluster
 * it joins (*join, NULL for its own). */
static void nd__sjudge(nd_stream *s, nd__sdoc *d, const nd__sdoc **join, const char **join_ids)
{
    const nd_params *prm = &s->ctx->params;
    nd__sgen *cur = &s->gen[s->cur];
    const uint32_t *dsig = cur->dsig + (size_t)(d - cur->docs) * s->k;
    double best = -1.0;
    int aligned_d = 0;
    s->last.duplicate_of = UINT64_MAX;
    s->last.duplicate_id = NULL;
    s->last.duplicate_id_len = 0;
    s->last.similarity = s->last.containment = 0.0;
    *join = NULL;
    s->dup_gen = -1;
    for (size_t i = 0; i < s->ntouch; i++) {
        nd__sgen *eg = nd__sgen_of(s, s->touch[i].doc);
        if (!eg) continue;
        nd__sdoc *e = &eg->docs[s->touch[i].doc & 0xFFFFFFFFu];
        uint64_t a = d->content, b = e->content;
        if (!a || !b) continue;
        double cont = nd__share_containment(&s->touch[i].share, a, b);
        double sim = nd__ssim(s, dsig, eg->dsig + (size_t)(e - eg->docs) * s->k);
        if (!nd__is_copy(prm, a, b, sim, cont) && nd__align_worth(s->touch[i].share.d, sim, cont)
            && aligned_d < ND__MAX_ALIGN) {
            if (!aligned_d++) nd__salign_doc(s, cur, d, &s->side_d);
            nd__salign_doc(s, eg, e, &s->side_e);
            double full = nd__align_containment(&s->side_d, &s->side_e, s->k, prm->sig_bits);
            if (full > cont) cont = full;
        }
        if (!nd__is_copy(prm, a, b, sim, cont)) continue;
        if (e->cluster < d->cluster) { /* the earliest cluster it copies */
            d->cluster = e->cluster;
            *join = e;
            *join_ids = eg->ids;
        }
        double score = sim > cont ? sim : cont;
        if (score > best) {
            best = score;
            s->last.duplicate_of = e->seq;
            s->dup_gen = (int)(eg - s->gen);
            s->dup_idx = (size_t)(e - eg->docs);
            s->last.similarity = sim;
            s->last.containment = cont;
        }
    }
}

/* Keeps in the newest generation's arena a copy of the id at `off`, `len`
 * of the arena `ids` (of either generation), since the document it names may
 * leave the window first. */
static int nd__skeep_id(nd_stream *s, const char *ids, size_t off, size_t len, size_t *out_off,
                        size_t *out_len)
{
    nd__sgen *cur = &s->gen[s->cur];
    char tmp[256];
    const char *src = ids + off;
    *out_len = len;
    if (ids == cur->ids && len <= sizeof tmp) { /* the arena may move */
        memcpy(tmp, src, len);
        src = tmp;
    } else if (ids == cur->ids) {
        *out_off = off; /* already in this arena: share it */
        return ND_OK;
    }
    int rc = nd__reserve(s->al, (void **)&cur->ids, &cur->ids_cap, cur->ids_len + len, 1);
    if (rc) return rc;
    if (len) memcpy(cur->ids + cur->ids_len, src, len);
    *out_off = cur->ids_len;
    cur->ids_len += len;
    return ND_OK;
}

/* Keeps the id of the cluster's earliest document with d. */
static int nd__scluster_id(nd_stream *s, nd__sdoc *d, const nd__sdoc *join, const char *join_ids)
{
    if (!join) {
        d->cl_off = d->id_off;
        d->cl_len = d->id_len;
        return ND_OK;
    }
    return nd__skeep_id(s, join_ids, join->cl_off, join->cl_len, &d->cl_off, &d->cl_len);
}

/* ---- 3. stories, 4. labels ------------------------------------------------- */

/* Counts d's story for family root r; the family becomes boilerplate of
 * d's site, for good, once it has been seen in min_stories stories there
 * (of the whole stream with ND_SCOPE_ALL). The last ND__STORIES (story,
 * document) pairs are remembered; a document's site is read when counting,
 * so the story of a pooled page counts for the site it later starts. */
static void nd__sstory(nd_stream *s, nd__spara *r, const nd__sdoc *d, uint64_t me)
{
    const int all = s->ctx->params.boilerplate_scope == ND_SCOPE_ALL;
    size_t n = r->nstories < ND__STORIES ? r->nstories : ND__STORIES, same = 1;
    for (size_t i = 0; i < n; i++) {
        const nd__sdoc *e = nd__sdoc_of(s, r->story_docs[i], NULL);
        if (!all && (!e || e->site != d->site)) continue;
        if (r->stories[i] == d->cluster) return;
        same++;
    }
    r->stories[r->nstories % ND__STORIES] = d->cluster;
    r->story_docs[r->nstories % ND__STORIES] = me;
    r->nstories++;
    if (same < s->ctx->params.min_stories || nd__sbp(r, d)) return;
    if (all) r->bp_many = 1;
    else if (r->bp_site[0] == ND__SREF_NONE) r->bp_site[0] = d->site;
    else if (r->bp_site[1] == ND__SREF_NONE) r->bp_site[1] = d->site;
    else r->bp_many = 1; /* chrome of many sites: of every site from now on */
}

static void nd__sstories(nd_stream *s, const nd__sdoc *d)
{
    nd__sgen *cur = &s->gen[s->cur];
    const uint64_t me = nd__ref(cur, (size_t)(d - cur->docs));
    for (size_t g = d->para0; g < d->para0 + d->npara; g++) {
        nd__spara *r = nd__spara_of(s, cur->paras[g].fam, NULL);
        if (!r || r->marked == s->seq + 1) continue;
        r->marked = s->seq + 1;
        r->holder = me;
        nd__sstory(s, r, d, me);
    }
}

static void nd__slabel(nd_stream *s, const nd__sdoc *d)
{
    nd__sgen *cur = &s->gen[s->cur];
    s->last.repeats = s->last.boilerplate = 0;
    for (size_t j = 0; j < d->npara; j++) {
        const nd__spara *p = &cur->paras[d->para0 + j];
        nd__sgen *rg;
        const nd__spara *r = nd__spara_of(s, p->fam, &rg);
        nd__sout *o = &s->out[j];
        memset(o, 0, sizeof *o);
        o->kind = (nd_kind)p->kind;
        o->of_doc = d->seq;
        o->of = p->kind == ND_KIND_REPEAT ? p->of : j;
        if (r && nd__sbp(r, d)) {
            const nd__sdoc *rd = &rg->docs[r->doc];
            o->kind = ND_KIND_BOILERPLATE;
            o->of_doc = rd->seq;
            o->of = r->index;
            o->of_id = rg->ids + rd->id_off;
            o->of_id_len = rd->id_len;
            o->sim = nd__ssim(s, cur->sigs + (d->para0 + j) * s->k, rg->sigs + (size_t)(r - rg->paras) * s->k);
            s->last.boilerplate++;
        } else if (p->kind == ND_KIND_REPEAT) {
            o->sim = p->sim;
            s->last.repeats++;
        }
    }
}

/* ---- the add -------------------------------------------------------------- */

static uint64_t nd__ssalt(const nd_stream *s, uint64_t src)
{
    if (s->ctx->params.boilerplate_scope == ND_SCOPE_ALL) return 0;
    return nd__source_salt(src);
}


int nd_stream_add(nd_stream *s, const nd_doc *doc, const char *id, size_t id_len,
                  const char *source, size_t source_len, nd_stream_doc *out)
{
    if (!s || !doc || (!id && id_len) || (!source && source_len)) return ND_E_INVALID;
    if (out && !ND__STREAM_DOC_BYTES(out->version)) return ND_E_VERSION;
    int rc = nd__doc_compatible(doc, s->ctx);
    if (rc) return rc;
    size_t n = nd_doc_count(doc);
    if (s->gen[s->cur].ndocs >= (s->window + 1) / 2) nd__sgen_recycle(s);
    nd__sgen *cur = &s->gen[s->cur];
    if (n >= UINT32_MAX - cur->npara) return ND_E_TOO_LARGE;
    rc = nd__sreserve(s, cur, n, id_len);
    if (rc) return rc;
    uint64_t src = XXH3_64bits(source ? source : "", source_len); /* as corpus.c names sources */
    nd__sstore(s, cur, doc, id, id_len, src);
    nd__sdoc *d = &cur->docs[cur->ndocs];
    cur->npara += n;
    cur->ndocs++;
    const nd__sdoc *join = NULL;
    const char *join_ids = NULL;
    rc = nd__sfamilies(s, d, nd__ssalt(s, src));
    if (!rc) rc = nd__ssite(s, d);
    if (!rc) rc = nd__scopies(s, d);
    if (!rc) nd__sjudge(s, d, &join, &join_ids);
    if (!rc) rc = nd__scluster_id(s, d, join, join_ids);
    if (rc) return rc;
    nd__sstories(s, d);
    nd__slabel(s, d);
    s->last.seq = d->seq;
    s->last.paragraphs = n;
    s->last.cluster = d->cluster;
    s->last.cluster_id = cur->ids + d->cl_off;
    s->last.cluster_id_len = d->cl_len;
    s->last.site_id = d->pooled ? NULL : cur->ids + d->st_off;
    s->last.site_id_len = d->pooled ? 0 : d->st_len;
    if (s->dup_gen >= 0) { /* pointers taken now: the arenas may have moved since judging */
        const nd__sgen *eg = &s->gen[s->dup_gen];
        s->last.duplicate_id = eg->ids + eg->docs[s->dup_idx].id_off;
        s->last.duplicate_id_len = eg->docs[s->dup_idx].id_len;
    }
    s->seq++;
    if (out) nd__put_version(out, ND__STREAM_DOC_BYTES(out->version), &s->last);
    return ND_OK;
}

int nd_stream_para(const nd_stream *s, size_t j, nd_para_info *dst, const char **of_id,
                   size_t *of_id_len)
{
    if (!s || !dst || s->seq == 0 || j >= s->last.paragraphs) return ND_E_INVALID;
    size_t bytes = ND__PARA_INFO_BYTES(dst->version);
    if (!bytes) return ND_E_VERSION;
    nd_para_info full, *out = &full; /* then the fields of dst's version */
    const nd__sgen *cur = &s->gen[s->cur];
    const nd__sdoc *d = &cur->docs[cur->ndocs - 1];
    const nd__spara *p = &cur->paras[d->para0 + j];
    const nd__sout *o = &s->out[j];
    memset(out, 0, sizeof *out);
    out->kind = o->kind;
    out->of_doc = ND_NONE;
    out->of_seq = o->of_doc;
    out->of = o->of;
    out->similarity = o->kind == ND_KIND_CONTENT ? 0.0 : o->sim;
    out->offset = p->off;
    out->length = p->len;
    out->shingles = p->shingles;
    if (of_id) *of_id = o->of_id ? o->of_id : cur->ids + d->id_off;
    if (of_id_len) *of_id_len = o->of_id ? o->of_id_len : d->id_len;
    nd__put_version(dst, bytes, &full);
    return ND_OK;
}
