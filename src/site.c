/*
 * Sites inferred from page templates, for collections whose documents do not
 * say which site they come from (no source, or one source for a whole crawl
 * or an aggregator's file).
 *
 * Boilerplate is learned by recurrence among the pages of one site, so the
 * detection passes need sites; a wrong guess costs content (a wire story
 * republished by three outlets, taken for one site, recurs in three of its
 * pages and looks like chrome). Two pages are taken for one site when they
 * share a template, which has a shape that a republished story does not:
 *
 *   page d:  [ header | story 1           | footer ]
 *   page e:  [ header | story 2           | footer ]     one site
 *
 *   page d:  [ header X | story           | footer X ]
 *   page e:  [ header Y | story (edited)  | footer Y ]   one story
 *
 * The template is shared at *both* ends of both pages, around a middle that
 * each page has of its own; a story is shared in the middle, between chrome
 * of its own on each side, or whole (bare copies have no chrome at all and
 * nothing of their own in the middle). So d and e are linked when they share
 * at least ND__SITE_MATCH paragraph families among the first ND__SITE_EDGE
 * paragraphs of both, as many among the last ND__SITE_EDGE of both, and each
 * keeps ND__SITE_OWN shingles or more of paragraphs the other lacks between
 * the first and the last paragraph they share. Requiring several families at
 * each end keeps apart sites that only share a widget ("Share", "Twitter").
 * Sites are the connected components of the links, within each given source
 * (a given source is a hint that narrows, never widens, a site).
 *
 * Candidate pairs come from the families at the page edges: for each family
 * and end, each page is checked against the ND__SITE_PEERS pages before it
 * that hold the family at the same end. A site of a million pages is still
 * connected, as links chain through recent pages, and the cost stays linear.
 */
#include <stdlib.h>
#include "corpus.h"

#define ND__SITE_PEERS 4    /* earlier pages per edge family checked */

typedef struct nd__edge {
    uint32_t fam, doc;
    uint32_t end;       /* 0: top, 1: bottom */
} nd__edge;

static int nd__cmp_edge(const void *a, const void *b)
{
    const nd__edge *x = a, *y = b;
    if (x->fam != y->fam) return x->fam < y->fam ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return (x->doc > y->doc) - (x->doc < y->doc);
}

static int nd__cmp_u64(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

typedef struct nd__sites {
    nd_corpus *c;
    nd__edge *edges;        /* every page's edge families, sorted */
    size_t nedges;
    uint32_t *at;           /* per page: first of its entries' positions in `pos` */
    uint32_t *pos;          /* positions in edges of each page's entries, page-major */
    uint32_t *mark;         /* per family: last token that marked it */
    size_t nmark;
    uint32_t token;
    uint32_t *uf;           /* union-find over pages, the root the earliest */
} nd__sites;

/* A token no family is marked with yet. */
static uint32_t nd__next_token(nd__sites *s)
{
    if (++s->token == 0) { /* wrapped: forget every mark */
        memset(s->mark, 0, s->nmark * sizeof *s->mark);
        s->token = 1;
    }
    return s->token;
}

/* A page as the rules read it: a collection's document (cp set) or the
 * arrays of an nd_page_seq (nd_shard_site_pair), so that both follow one
 * definition. */
typedef struct nd__pview {
    const uint32_t *fam;
    const nd__cpara *cp;
    const nd_page_seq *seq;
    size_t n;
} nd__pview;

static int nd__pv_repeat(const nd__pview *v, size_t i)
{
    return v->cp ? v->cp[i].kind == ND_KIND_REPEAT : v->seq->repeat[i] != 0;
}

static uint32_t nd__pv_shingles(const nd__pview *v, size_t i)
{
    return v->cp ? v->cp[i].shingles : v->seq->shingles[i];
}

static nd__pview nd__doc_view(const nd_corpus *c, uint32_t d)
{
    const nd__cdoc *doc = &c->docs[d];
    nd__pview v = { NULL, NULL, NULL, doc->npara };
    if (doc->npara) { /* a collection of empty documents has no arrays */
        v.fam = c->fam + doc->para0;
        v.cp = c->paras + doc->para0;
    }
    return v;
}

static nd__pview nd__seq_view(const nd_page_seq *p)
{
    return (nd__pview){ p->fam, NULL, p, p->n };
}

/* The page's non-repeat paragraphs are its families in order; an edge is
 * one of the first or last ND__SITE_EDGE of them (once per family and end).
 * out_fam, out_end: room for 2 * ND__SITE_EDGE. @return how many. */
static size_t nd__edges_of(const nd__pview *v, uint32_t *out_fam, unsigned char *out_end)
{
    size_t n = 0;
    for (unsigned end = 0; end < 2; end++) {
        const size_t first = n;
        unsigned taken = 0;
        for (size_t i = 0; i < v->n && taken < ND__SITE_EDGE; i++) {
            size_t at = end ? v->n - 1 - i : i;
            if (nd__pv_repeat(v, at)) continue;
            taken++;
            uint32_t f = v->fam[at];
            size_t k = first;
            while (k < n && out_fam[k] != f) k++;
            if (k < n) continue;
            out_fam[n] = f;
            out_end[n++] = (unsigned char)end;
        }
    }
    return n;
}

static size_t nd__page_edges(nd__sites *s, uint32_t d, nd__edge *out)
{
    uint32_t fam[2 * ND__SITE_EDGE];
    unsigned char end[2 * ND__SITE_EDGE];
    const nd__pview v = nd__doc_view(s->c, d);
    const size_t n = nd__edges_of(&v, fam, end);
    for (size_t i = 0; i < n; i++) out[i] = (nd__edge){ fam[i], d, end[i] };
    return n;
}

static int nd__collect_edges(nd__sites *s)
{
    nd_corpus *c = s->c;
    size_t cap = c->ndocs * 2 * ND__SITE_EDGE + 1;
    s->edges = nd__alloc(c->al, cap * sizeof *s->edges);
    s->at = nd__alloc(c->al, (c->ndocs + 1) * sizeof *s->at);
    s->pos = nd__alloc(c->al, cap * sizeof *s->pos);
    if (!s->edges || !s->at || !s->pos) return ND_E_NOMEM;
    for (uint32_t d = 0; d < c->ndocs; d++) {
        s->at[d] = (uint32_t)s->nedges;
        s->nedges += nd__page_edges(s, d, s->edges + s->nedges);
    }
    s->at[c->ndocs] = (uint32_t)s->nedges;
    qsort(s->edges, s->nedges, sizeof *s->edges, nd__cmp_edge);
    /* where each page's entries went, page-major, in the order of `at` */
    uint32_t *fill = nd__alloc(c->al, (c->ndocs + 1) * sizeof *fill);
    if (!fill) return ND_E_NOMEM;
    memcpy(fill, s->at, (c->ndocs + 1) * sizeof *fill);
    for (size_t i = 0; i < s->nedges; i++) s->pos[fill[s->edges[i].doc]++] = (uint32_t)i;
    nd__free(c->al, fill);
    return ND_OK;
}

/* Shingles page v keeps of its own between the first and the last of its
 * paragraphs whose family the other page holds (shared(arg, family)). */
static uint64_t nd__own_middle(const nd__pview *v, int (*shared)(const void *, uint32_t), const void *arg)
{
    uint64_t own = 0, pending = 0;
    int inside = 0;
    for (size_t i = 0; i < v->n; i++) {
        if (nd__pv_repeat(v, i)) continue;
        if (shared(arg, v->fam[i])) { /* shared: what came since the last shared is middle */
            if (inside) own += pending;
            pending = 0;
            inside = 1;
        } else {
            pending += nd__pv_shingles(v, i);
        }
    }
    return own;
}

/* A collection's pages: the other page's families are marked. */
static int nd__marked(const void *arg, uint32_t fam)
{
    const nd__sites *s = arg;
    return s->mark[fam] == s->token;
}

static void nd__mark_page(nd__sites *s, uint32_t d)
{
    const nd__cdoc *doc = &s->c->docs[d];
    for (size_t g = doc->para0; g < doc->para0 + doc->npara; g++) s->mark[s->c->fam[g]] = s->token;
}

/* Whether d and e (which share edge families at both ends) keep a middle of
 * their own each: one site, two stories. */
static int nd__own_middles(nd__sites *s, uint32_t d, uint32_t e)
{
    const nd__pview vd = nd__doc_view(s->c, d), ve = nd__doc_view(s->c, e);
    nd__next_token(s);
    nd__mark_page(s, e);
    if (nd__own_middle(&vd, nd__marked, s) < ND__SITE_OWN) return 0;
    nd__next_token(s);
    nd__mark_page(s, d);
    return nd__own_middle(&ve, nd__marked, s) >= ND__SITE_OWN;
}

static uint32_t nd__site_find(uint32_t *uf, uint32_t x)
{
    while (uf[x] != x) {
        uf[x] = uf[uf[x]];
        x = uf[x];
    }
    return x;
}

/* Peers of page d: earlier pages holding one of d's edge families at the
 * same end, as (peer << 1 | end) in out, sorted. @return their count. */
static size_t nd__peers(const nd__sites *s, uint32_t d, uint64_t *out)
{
    size_t n = 0;
    for (uint32_t k = s->at[d]; k < s->at[d + 1]; k++) {
        size_t i = s->pos[k];
        const nd__edge *me = &s->edges[i];
        for (size_t j = i, step = 0; j-- > 0 && step < ND__SITE_PEERS; step++) {
            const nd__edge *o = &s->edges[j];
            if (o->fam != me->fam || o->end != me->end) break;
            out[n++] = (uint64_t)o->doc << 1 | me->end;
        }
    }
    qsort(out, n, sizeof *out, nd__cmp_u64);
    return n;
}

static void nd__link_page(nd__sites *s, uint32_t d, uint64_t *peers)
{
    const nd_corpus *c = s->c;
    size_t n = nd__peers(s, d, peers);
    for (size_t i = 0; i < n;) {
        uint32_t e = (uint32_t)(peers[i] >> 1);
        unsigned ends[2] = { 0, 0 };
        for (; i < n && (uint32_t)(peers[i] >> 1) == e; i++) ends[peers[i] & 1]++;
        if (ends[0] < ND__SITE_MATCH || ends[1] < ND__SITE_MATCH) continue;
        if (c->docs[d].source != c->docs[e].source) continue;
        if (nd__site_find(s->uf, d) == nd__site_find(s->uf, e)) continue;
        if (!nd__own_middles(s, d, e)) continue;
        uint32_t a = nd__site_find(s->uf, d), b = nd__site_find(s->uf, e);
        if (a < b) s->uf[b] = a;
        else s->uf[a] = b;
    }
}

/*
 * Pages whose template ties them to fewer than min_stories pages (a feed
 * whose only chrome is one line, pages of sites seen once or twice) cannot
 * show recurrence around their site's stories by themselves. They are
 * pooled per source, as every page of a source was before sites were
 * inferred: that pool is the source's residual site. `count` is scratch of
 * ndocs + 1 entries.
 */
static int nd__pool_small_sites(nd_corpus *c, uint32_t *site, uint8_t *pooled, uint32_t *count)
{
    const unsigned n = c->ctx->params.min_stories;
    uint32_t *pool = nd__alloc(c->al, (c->nsources ? c->nsources : 1) * sizeof *pool);
    if (!pool) return ND_E_NOMEM;
    for (size_t i = 0; i < c->nsources; i++) pool[i] = UINT32_MAX;
    memset(count, 0, (c->ndocs + 1) * sizeof *count);
    for (uint32_t d = 0; d < c->ndocs; d++) count[site[d]]++;
    for (uint32_t d = 0; d < c->ndocs; d++) {
        pooled[d] = count[site[d]] < n;
        if (!pooled[d]) continue;
        uint32_t *p = &pool[c->docs[d].source];
        if (*p == UINT32_MAX) *p = d;
        site[d] = *p;
    }
    nd__free(c->al, pool);
    return ND_OK;
}

int nd__infer_sites(nd_corpus *c, uint32_t *site, uint8_t *pooled)
{
    nd__sites s;
    memset(&s, 0, sizeof s);
    s.c = c;
    s.uf = site;
    for (uint32_t d = 0; d < c->ndocs; d++) site[d] = d;
    s.nmark = (c->npara > c->ndocs ? c->npara : c->ndocs) + 1;
    s.mark = nd__calloc(c->al, s.nmark, sizeof *s.mark);
    uint64_t *peers = nd__alloc(c->al, 2 * ND__SITE_EDGE * ND__SITE_PEERS * sizeof *peers);
    int rc = s.mark && peers ? nd__collect_edges(&s) : ND_E_NOMEM;
    for (uint32_t d = 0; d < c->ndocs && !rc; d++) nd__link_page(&s, d, peers);
    for (uint32_t d = 0; d < c->ndocs && !rc; d++) site[d] = nd__site_find(site, d);
    if (!rc) rc = nd__pool_small_sites(c, site, pooled, s.mark);
    nd__free(c->al, peers);
    nd__free(c->al, s.mark);
    nd__free(c->al, s.edges);
    nd__free(c->al, s.at);
    nd__free(c->al, s.pos);
    return rc;
}

/* ---- the rules over plain arrays (nd_shard_*: neardup.dask's staged sites) ---- */

size_t nd_shard_page_edges(const nd_page_seq *page, uint32_t *fam, unsigned char *end)
{
    if (!page || !fam || !end || (page->n && (!page->fam || !page->repeat))) return 0;
    const nd__pview v = nd__seq_view(page);
    return nd__edges_of(&v, fam, end);
}

void nd_shard_site_limits(unsigned *edge, unsigned *peers, unsigned *match)
{
    if (edge) *edge = ND__SITE_EDGE;
    if (peers) *peers = ND__SITE_PEERS;
    if (match) *match = ND__SITE_MATCH;
}

typedef struct nd__famset {
    const uint32_t *v;
    size_t n;
} nd__famset;

static int nd__in_famset(const void *arg, uint32_t fam)
{
    const nd__famset *f = arg;
    size_t lo = 0, hi = f->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->v[mid] < fam) lo = mid + 1;
        else hi = mid;
    }
    return lo < f->n && f->v[lo] == fam;
}

static int nd__cmp_u32(const void *a, const void *b)
{
    const uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Every family of page p (repeats too, as nd__mark_page), sorted, in buf
 * (p->n entries). */
static nd__famset nd__famset_of(const nd_page_seq *p, uint32_t *buf)
{
    if (p->n) memcpy(buf, p->fam, p->n * sizeof *buf);
    qsort(buf, p->n, sizeof *buf, nd__cmp_u32);
    return (nd__famset){ buf, p->n };
}

static int nd__seq_ok(const nd_page_seq *p)
{
    return p && (!p->n || (p->fam && p->shingles && p->repeat));
}

int nd_shard_site_pair(const nd_ctx *ctx, const nd_page_seq *d, const nd_page_seq *e, int *linked)
{
    if (!ctx || !linked || !nd__seq_ok(d) || !nd__seq_ok(e)) return ND_E_INVALID;
    *linked = 0;
    const size_t most = d->n > e->n ? d->n : e->n;
    uint32_t *buf = nd__alloc(&ctx->alloc, (most ? most : 1) * sizeof *buf);
    if (!buf) return ND_E_NOMEM;
    const nd__pview vd = nd__seq_view(d), ve = nd__seq_view(e);
    nd__famset fe = nd__famset_of(e, buf);
    if (nd__own_middle(&vd, nd__in_famset, &fe) >= ND__SITE_OWN) {
        nd__famset fd = nd__famset_of(d, buf);
        *linked = nd__own_middle(&ve, nd__in_famset, &fd) >= ND__SITE_OWN;
    }
    nd__free(&ctx->alloc, buf);
    return ND_OK;
}
