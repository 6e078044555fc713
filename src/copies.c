/*
 * The copy rule: when one document is a copy of another. Written once, used
 * by collections (detect.c, which also judges query and compare through the
 * store) and by streams (stream.c); the two differ only in how they find the
 * paragraph matches behind it (chains over the whole collection, or indexes
 * over the window).
 *
 * A pair of documents (d, the one being judged, and an earlier e) is a copy
 * when the Jaccard estimate of their content signatures reaches
 * doc_threshold, or when the larger of the two containments reaches
 * containment_threshold and the smaller document holds at least
 * min_contained content shingles. A containment is the share of a
 * document's content shingles that sit in paragraphs matching paragraphs of
 * the other.
 *
 * The index finds strong paragraph matches (nd__para_match_kind). A pair
 * that shares one but is not yet a copy is then aligned: every counted
 * paragraph of d is compared with every one of e, and weak matches count
 * too when they are unique and mutual (nd__align_counts). Noise breaks
 * 5-word shingles (a changed word ends five of them on either side), so an
 * OCR'd or retyped copy keeps most words but few shingles of each paragraph, and an index tuned to surface such pairs
 * would drown in candidates; the strong match anchors the pair first, as
 * text-reuse detection seeds an alignment, so two stories that merely use
 * the same phrases are never linked by weak matches alone.
 */
#include <string.h>
#include "internal.h"

void nd__align_add(nd__align_side *s, const void *sig, uint32_t shingles)
{
    if (s->n < ND__ALIGN_SIDE) {
        s->sig[s->n] = sig;
        s->shingles[s->n] = shingles;
    }
    if (s->n <= ND__ALIGN_SIDE) s->n++;
}

/* Whether a paragraph counts, given its best match on the other side
 * (similarity best, the runner-up's second, and whether that match picks it
 * back: mutual). A weak match counts only when it is the paragraph's one
 * candidate and the two paragraphs are each other's best: templated text
 * (entries in one phrasing) finds several candidates on a side that holds
 * the template many times, and many paragraphs would claim the one entry of
 * a side that holds it once. */
static int nd__align_counts(float best, float second, int mutual, uint64_t sa, uint64_t sb)
{
    int kind = nd__para_match_kind(best, sa, sb);
    return kind == ND__MATCH_STRONG || (kind == ND__MATCH_WEAK && second < ND__WEAK_J && mutual);
}

typedef struct nd__top2 {
    float best, second;
    uint16_t at;
} nd__top2;

static void nd__top2_add(nd__top2 *t, float sim, size_t at)
{
    if (sim > t->best) {
        t->second = t->best;
        t->best = sim;
        t->at = (uint16_t)at;
    } else if (sim > t->second) {
        t->second = sim;
    }
}

/* Shingles of side a (*got: those of its paragraphs that count), given each
 * paragraph's best matches on side b (at) and those of b's paragraphs (bt). */
static uint64_t nd__side_got(const nd__align_side *a, const nd__top2 *at, const nd__align_side *b,
                             const nd__top2 *bt, uint64_t *got)
{
    uint64_t total = 0;
    *got = 0;
    for (size_t i = 0; i < a->n; i++) {
        total += a->shingles[i];
        if (!b->n) continue;
        int mutual = bt[at[i].at].at == i;
        if (nd__align_counts(at[i].best, at[i].second, mutual, a->shingles[i], b->shingles[at[i].at]))
            *got += a->shingles[i];
    }
    return total;
}

double nd__align_containment(const nd__align_side *d, const nd__align_side *e, unsigned k,
                             unsigned bits)
{
    if (d->n > ND__ALIGN_SIDE || e->n > ND__ALIGN_SIDE) return -1.0;
    nd__top2 dt[ND__ALIGN_SIDE], et[ND__ALIGN_SIDE]; /* 2 KiB each */
    uint64_t got_d, got_e;
    memset(dt, 0, d->n * sizeof dt[0]);
    memset(et, 0, e->n * sizeof et[0]);
    for (size_t i = 0; i < d->n; i++) {
        for (size_t j = 0; j < e->n; j++) {
            uint64_t lo = d->shingles[i], hi = e->shingles[j];
            if (lo > hi) { uint64_t t = lo; lo = hi; hi = t; }
            if (lo * 5 < hi) continue; /* Jaccard below 0.2 whatever they share */
            float sim = (float)(bits == ND__CODES ? nd__code_similarity(d->sig[i], e->sig[j], k)
                                : nd_signature_similarity_bits(d->sig[i], e->sig[j], k, bits));
            nd__top2_add(&dt[i], sim, j);
            nd__top2_add(&et[j], sim, i);
        }
    }
    uint64_t total_d = nd__side_got(d, dt, e, et, &got_d);
    uint64_t total_e = nd__side_got(e, et, d, dt, &got_e);
    if (!total_d || !total_e) return 0.0;
    double cd = (double)got_d / (double)total_d, ce = (double)got_e / (double)total_e;
    return cd > ce ? cd : ce;
}

double nd__share_containment(const nd__pair_share *sh, uint64_t a, uint64_t b)
{
    double cd = (double)sh->d / (double)a, ce = (double)sh->e / (double)b;
    double cont = cd > ce ? cd : ce;
    return cont > 1.0 ? 1.0 : cont;
}

int nd__is_copy(const nd_params *p, uint64_t a, uint64_t b, double sim, double cont)
{
    if (!a || !b) return 0;
    return sim >= p->doc_threshold
        || (cont >= p->containment_threshold && (a < b ? a : b) >= p->min_contained);
}

void nd__judge_doc(const nd_params *p, unsigned k, uint64_t a, const uint32_t *dsig, size_t n,
                   const nd__judge_io *io, uint64_t *dup_of, double *sim_out, double *cont_out)
{
    double best = -1.0;
    unsigned aligned = 0;
    *dup_of = UINT64_MAX;
    for (size_t i = 0; i < n; i++) {
        nd__judge_pair t;
        io->pair(io->arg, i, &t);
        int copy = 0;
        if (a && t.b) {
            double cont = nd__share_containment(&t.share, a, t.b);
            double sim = nd_signature_similarity_bits(dsig, t.sig, k, p->sig_bits);
            if (!nd__is_copy(p, a, t.b, sim, cont) && nd__align_worth(t.share.d, sim, cont) && aligned < ND__MAX_ALIGN) {
                aligned++;
                double full = io->align(io->arg, i);
                if (full > cont) cont = full;
            }
            copy = nd__is_copy(p, a, t.b, sim, cont);
            double score = sim > cont ? sim : cont;
            if (copy && (score > best || (score == best && t.e < *dup_of))) {
                best = score;
                *dup_of = t.e;
                *sim_out = sim;
                *cont_out = cont;
            }
        }
        io->copies(io->arg, i, copy);
    }
}
