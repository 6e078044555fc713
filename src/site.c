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

/* The page's non-repeat paragraphs are its families in order; an edge is
 * one of the first or last ND__SITE_EDGE of them (once per family and end). */
/* A token no family is marked with yet. */
static uint32_t nd__next_token(nd__sites *s)
{
    if (++s->token == 0) { /* wrapped: forget every mark */
        memset(s->mark, 0, s->nmark * sizeof *s->mark);
        s->token = 1;
    }
    return s->token;
}

static size_t nd__page_edges(nd__sites *s, uint32_t d, nd__edge *out)
{
    const nd_corpus *c = s->c;
    const nd__cdoc *doc = &c->docs[d];
    size_t n = 0;
    for (unsigned end = 0; end < 2; end++) {
        nd__next_token(s);
        unsigned taken = 0;
        for (uint32_t i = 0; i < doc->npara && taken < ND__SITE_EDGE; i++) {
            size_t g = doc->para0 + (end ? doc->npara - 1 - i : i);
            if (c->paras[g].kind == ND_KIND_REPEAT) continue;
            taken++;
            uint32_t f = c->fam[g];
            if (s->mark[f] == s->token) continue;
            s->mark[f] = s->token;
            out[n++] = (nd__edge){ f, d, end };
        }
    }
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

/* Shingles page d keeps of its own between the first and the last of its
 * paragraphs whose family is marked with `token` (the other page's). */
static uint64_t nd__own_middle(const nd_corpus *c, const uint32_t *mark, uint32_t token, uint32_t d)
{
    const nd__cdoc *doc = &c->docs[d];
    uint64_t own = 0, pending = 0;
    int inside = 0;
    for (size_t g = doc->para0; g < doc->para0 + doc->npara; g++) {
        if (c->paras[g].kind == ND_KIND_REPEAT) continue;
        if (mark[c->fam[g]] == token) { /* shared: what came since the last shared is middle */
            if (inside) own += pending;
            pending = 0;
            inside = 1;
        } else {
            pending += c->paras[g].shingles;
        }
    }
    return own;
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
    nd__next_token(s);
    nd__mark_page(s, e);
    if (nd__own_middle(s->c, s->mark, s->token, d) < ND__SITE_OWN) return 0;
    nd__next_token(s);
    nd__mark_page(s, d);
    return nd__own_middle(s->c, s->mark, s->token, e) >= ND__SITE_OWN;
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
