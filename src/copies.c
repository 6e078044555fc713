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
 * too. Noise breaks 5-word shingles (a changed word ends five of them on
 * either side), so an OCR'd or retyped copy keeps most words but few
 * shingles of each paragraph, and an index tuned to surface such pairs
 * would drown in candidates; the strong match anchors the pair first, as
 * text-reuse detection seeds an alignment, so two stories that merely use
 * the same phrases are never linked by weak matches alone.
 */
#include "internal.h"

void nd__align_add(nd__align_side *s, const uint32_t *sig, uint32_t shingles)
{
    if (s->n < ND__ALIGN_SIDE) {
        s->sig[s->n] = sig;
        s->shingles[s->n] = shingles;
    }
    if (s->n <= ND__ALIGN_SIDE) s->n++;
}

/* Whether a paragraph whose two best matches on the other side have
 * similarities best and second counts. A weak match counts only when it is
 * the paragraph's one candidate: templated text (lists of entries in one
 * phrasing) finds several, a noisy copy one. */
static int nd__align_counts(double best, double second, uint64_t sa, uint64_t sb)
{
    int kind = nd__para_match_kind(best, sa, sb);
    return kind == ND__MATCH_STRONG || (kind == ND__MATCH_WEAK && second < ND__WEAK_J);
}

static void nd__top2(double sim, size_t at, double *best, double *second, size_t *best_at)
{
    if (sim > best[0]) {
        *second = *best;
        *best = sim;
        *best_at = at;
    } else if (sim > *second) {
        *second = sim;
    }
}

double nd__align_containment(const nd__align_side *d, const nd__align_side *e, unsigned k,
                             unsigned bits)
{
    if (d->n > ND__ALIGN_SIDE || e->n > ND__ALIGN_SIDE) return -1.0;
    double eb[ND__ALIGN_SIDE], es[ND__ALIGN_SIDE];
    size_t eat[ND__ALIGN_SIDE];
    uint64_t total_d = 0, total_e = 0, got_d = 0, got_e = 0;
    for (size_t j = 0; j < e->n; j++) {
        eb[j] = es[j] = 0.0;
        eat[j] = 0;
        total_e += e->shingles[j];
    }
    for (size_t i = 0; i < d->n; i++) {
        double db = 0.0, ds = 0.0;
        size_t dat = 0;
        total_d += d->shingles[i];
        for (size_t j = 0; j < e->n; j++) {
            uint64_t lo = d->shingles[i], hi = e->shingles[j];
            if (lo > hi) { uint64_t t = lo; lo = hi; hi = t; }
            if (lo * 5 < hi) continue; /* Jaccard below 0.2 whatever they share */
            double sim = nd_signature_similarity_bits(d->sig[i], e->sig[j], k, bits);
            nd__top2(sim, j, &db, &ds, &dat);
            nd__top2(sim, i, &eb[j], &es[j], &eat[j]);
        }
        if (nd__align_counts(db, ds, d->shingles[i], e->shingles[dat])) got_d += d->shingles[i];
    }
    for (size_t j = 0; j < e->n; j++)
        if (nd__align_counts(eb[j], es[j], e->shingles[j], d->shingles[eat[j]])) got_e += e->shingles[j];
    if (!total_d || !total_e) return 0.0;
    double cd = (double)got_d / (double)total_d, ce = (double)got_e / (double)total_e;
    return cd > ce ? cd : ce;
}

int nd__is_copy(const nd_params *p, uint64_t a, uint64_t b, double sim, double cont)
{
    if (!a || !b) return 0;
    return sim >= p->doc_threshold
        || (cont >= p->containment_threshold && (a < b ? a : b) >= p->min_contained);
}
