/*
 * Queries that load only what can matter to a few documents (see
 * nd_store_load_probed in include/neardup.h and docs/FORMAT.md, *Queries*):
 * a probe indexes the bands of the documents to judge in its own hash table,
 * and the store's blocks are streamed against it.
 */
#include "corpus.h"
#include "store_impl.h"

/* ---- Probes: loading only what can matter to a few documents ------------------------------ */

#define ND__PROBE_FLOOR 0.15   /* estimated Jaccard at which a band hit counts */
#define ND__PROBE_KEY_BITS 16  /* bits of values in a band key at least, round 0 */
#define ND__PROBE_WIDE_BITS 32 /* the same, round 1 (see nd_store_probe_create) */
#define ND__PROBE_FILTER_MIN 12 /* log2 of the bits of a filter in front of the table, at least */
#define ND__PROBE_FILTER_MAX 28 /* and at most (32 MiB) */
#define ND__PROBE_VERIFY 16    /* owners of one band verified per lookup at most */
/* Kinds of band keys, the top byte of a key: paragraph or document
 * signature, plus WIDE for round 1's banding. */
#define ND__PROBE_PARA 1u
#define ND__PROBE_DOC 2u
#define ND__PROBE_WIDE 4u

/* A band key of the table: its owners (a chain of entries) and how many
 * stored documents it has taken. */
typedef struct nd__probe_bucket {
    uint64_t key;
    uint32_t head;      /* first entry + 1; 0 = empty slot */
    uint32_t taken;     /* documents selected through it */
    uint64_t stamp;     /* the last document that hit it, + 1 */
} nd__probe_bucket;

struct nd_store_probe {
    nd_allocator al;
    const nd_ctx *ctx;  /* the documents added must have been analyzed with its parameters */
    unsigned k, bits;
    unsigned rows[2], bands[2]; /* banding of round 0 and round 1 owners */
    uint32_t mask;
    size_t per_key;
    uint32_t *sigs;     /* the owners' signatures, K values cut to sig_bits each */
    uint8_t *round;     /* per owner: 0 given, 1 from a document found through round 0 */
    size_t nowners, sigs_cap, round_cap;
    nd__probe_bucket *tab;      /* open addressing, a power of two, at most half full */
    size_t slots, used;
    uint32_t *e_owner, *e_next; /* entries: owner and next entry of the same key */
    size_t nent, e_owner_cap, e_next_cap;
    uint64_t *filter;   /* per stream: bit nd__probe_bit(key) set for every key of the round
                           looked up, sized to ~16 bits per key so that it stays in cache */
    unsigned fbits;     /* log2 of its bits */
    uint32_t *hits;     /* the slots a record hit */
    size_t nhits, hits_cap;
};

int nd_store_probe_create(nd_store_probe **out, const nd_ctx *ctx, size_t per_key)
{
    if (!out) return ND_E_INVALID;
    *out = NULL;
    if (!ctx) return ND_E_INVALID;
    nd_store_probe *p = nd__calloc(&ctx->alloc, 1, sizeof *p);
    if (!p) return ND_E_NOMEM;
    p->al = ctx->alloc;
    p->ctx = ctx;
    p->k = ctx->params.num_perm;
    p->bits = ctx->params.sig_bits;
    p->mask = p->bits == 32 ? UINT32_MAX : (1u << p->bits) - 1;
    /* Round 0 (the probe's own documents, few): bands of 16 bits at least,
     * so that a pair at Jaccard 0.5 shares one with probability 0.99 at K =
     * 32 and 8 bits, and chance collisions stay rare (1 in 65536 per band);
     * verification removes them. Round 1 (the paragraphs of every document
     * found, many, and only wanted for families at the repeat threshold,
     * 0.75): bands of 32 bits, or their chance collisions would hit most
     * lookups. */
    const unsigned want[2] = { ND__PROBE_KEY_BITS, ND__PROBE_WIDE_BITS };
    for (int r = 0; r < 2; r++) {
        p->rows[r] = (want[r] + p->bits - 1) / p->bits;
        if (p->rows[r] > p->k) p->rows[r] = p->k;
        p->bands[r] = p->k / p->rows[r];
    }
    size_t floor_cap = 16 * (size_t)ctx->params.min_stories;
    p->per_key = per_key ? per_key : floor_cap > 64 ? floor_cap : 64;
    *out = p;
    return ND_OK;
}

void nd_store_probe_free(nd_store_probe *p)
{
    if (!p) return;
    const nd_allocator al = p->al;
    void *bufs[] = { p->sigs, p->round, p->tab, p->e_owner, p->e_next, p->filter, p->hits };
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) nd__free(&al, bufs[i]);
    nd__free(&al, p);
}

/* A band key, exact rather than hashed (a band holds at most 32 bits of
 * values): kind << 56 | band << 40 | the band's values side by side. */
static uint64_t nd__probe_key(const nd_store_probe *p, const uint32_t *sig, unsigned band, unsigned kind,
                              unsigned rows)
{
    uint64_t u = 0;
    for (unsigned r = 0; r < rows; r++) u |= (uint64_t)(sig[band * rows + r] & p->mask) << (r * p->bits);
    return (uint64_t)kind << 56 | (uint64_t)band << 40 | u;
}

/* The filter of a key: two bits of one 64-bit word (a blocked Bloom
 * filter: one memory access, a third of the false hits of one bit), from a
 * multiplicative hash, cheaper than the table's, for the many lookups that
 * miss. @return the word's index; *bits the two bits. */
static size_t nd__probe_bits(const nd_store_probe *p, uint64_t key, uint64_t *bits)
{
    uint64_t h = key * 0x9e3779b97f4a7c15ull;
    *bits = (uint64_t)1 << (h & 63) | (uint64_t)1 << (h >> 6 & 63);
    return (size_t)(h >> (64 - (p->fbits - 6)));
}

/* Builds the filter of the keys of one round's banding, before a stream. */
static int nd__probe_filter(nd_store_probe *p, unsigned round)
{
    size_t keys = 0;
    uint64_t wide = (uint64_t)ND__PROBE_WIDE << 56;
    for (size_t i = 0; i < p->slots; i++) keys += p->tab[i].head && !(p->tab[i].key & wide) == !round;
    p->fbits = ND__PROBE_FILTER_MIN;
    while (p->fbits < ND__PROBE_FILTER_MAX && ((size_t)1 << p->fbits) < 16 * keys) p->fbits++;
    nd__free(&p->al, p->filter);
    p->filter = nd__calloc(&p->al, ((size_t)1 << p->fbits) / 64, sizeof *p->filter);
    if (!p->filter) return ND_E_NOMEM;
    for (size_t i = 0; i < p->slots; i++)
        if (p->tab[i].head && !(p->tab[i].key & wide) == !round) {
            uint64_t bits;
            size_t w = nd__probe_bits(p, p->tab[i].key, &bits);
            p->filter[w] |= bits;
        }
    return ND_OK;
}

/* The slot of key, or of the empty place where it would go. */
static size_t nd__probe_slot(const nd_store_probe *p, uint64_t key)
{
    size_t i = (size_t)nd__mix64(key) & (p->slots - 1);
    while (p->tab[i].head && p->tab[i].key != key) i = (i + 1) & (p->slots - 1);
    return i;
}

static int nd__probe_grow(nd_store_probe *p)
{
    size_t n = p->slots ? 2 * p->slots : 1024;
    nd__probe_bucket *tab = nd__calloc(&p->al, n, sizeof *tab), *old = p->tab;
    if (!tab) return ND_E_NOMEM;
    size_t old_slots = p->slots;
    p->tab = tab;
    p->slots = n;
    for (size_t i = 0; i < old_slots; i++)
        if (old[i].head) p->tab[nd__probe_slot(p, old[i].key)] = old[i];
    nd__free(&p->al, old);
    return ND_OK;
}

/* Whether an owner of the key at slot `at` already has these values, or,
 * with near set, values at an estimated Jaccard of 0.9 or more (a page's
 * copies, which would add owners finding the same pages). Walks a few
 * owners at most. */
static int nd__probe_has(const nd_store_probe *p, size_t at, const uint32_t *sig, int near)
{
    unsigned seen = 0;
    for (uint32_t e = p->tab[at].head; e && seen++ < ND__PROBE_VERIFY; e = p->e_next[e - 1]) {
        const uint32_t *o = p->sigs + (size_t)p->e_owner[e - 1] * p->k;
        if (!memcmp(o, sig, p->k * sizeof *sig)
            || (near && nd_signature_similarity_bits(o, sig, p->k, p->bits) >= 0.9))
            return 1;
    }
    return 0;
}

/* Adds a signature (K values) as an owner of its bands; an owner equal to
 * one there already is left out, so that chrome repeated on many pages
 * costs one owner. */
static int nd__probe_owner(nd_store_probe *p, const uint32_t *sig, unsigned kind, uint8_t round)
{
    const size_t k = p->k, o = p->nowners;
    const unsigned bands = p->bands[round], rows = p->rows[round];
    if (round) kind |= ND__PROBE_WIDE;
    if (o >= (size_t)INT32_MAX || p->nent + bands >= (size_t)INT32_MAX) return ND_E_TOO_LARGE;
    int rc = nd__reserve(&p->al, (void **)&p->sigs, &p->sigs_cap, (o + 1) * k, sizeof *p->sigs);
    if (!rc) rc = nd__reserve(&p->al, (void **)&p->round, &p->round_cap, o + 1, 1);
    if (!rc) rc = nd__reserve(&p->al, (void **)&p->e_owner, &p->e_owner_cap, p->nent + bands, sizeof *p->e_owner);
    if (!rc) rc = nd__reserve(&p->al, (void **)&p->e_next, &p->e_next_cap, p->nent + bands, sizeof *p->e_next);
    while (!rc && 2 * (p->used + bands) > p->slots) rc = nd__probe_grow(p);
    if (rc) return rc;
    uint32_t *mine = p->sigs + o * k;
    for (size_t j = 0; j < k; j++) mine[j] = sig[j] & p->mask;
    /* a near copy of an owner shares a band with it; the first two bands
     * find most (at Jaccard 0.9 and 4 rows, 1 - (1 - 0.66)^2 = 0.88) */
    for (unsigned b = 0; b < bands && b < 2u - !round; b++) {
        size_t at = nd__probe_slot(p, nd__probe_key(p, mine, b, kind, rows));
        if (p->tab[at].head && nd__probe_has(p, at, mine, round)) return ND_OK;
    }
    for (unsigned b = 0; b < bands; b++) {
        uint64_t key = nd__probe_key(p, mine, b, kind, rows);
        size_t at = nd__probe_slot(p, key);
        if (!p->tab[at].head) {
            p->tab[at].key = key;
            p->used++;
        }
        p->e_owner[p->nent] = (uint32_t)o;
        p->e_next[p->nent] = p->tab[at].head;
        p->tab[at].head = (uint32_t)++p->nent;
    }
    p->round[o] = round;
    p->nowners++;
    return ND_OK;
}

int nd_store_probe_add(nd_store_probe *p, const nd_doc *doc)
{
    if (!p || !doc) return ND_E_INVALID;
    /* a document of another K would be read past its signatures' end */
    int rc = nd__doc_compatible(doc, p->ctx);
    if (rc) return rc;
    uint32_t sig[ND_MAX_NUM_PERM];
    rc = nd_doc_signature(doc, sig, sizeof sig / sizeof sig[0]);
    if (!rc && nd_doc_count(doc)) rc = nd__probe_owner(p, sig, ND__PROBE_DOC, 0);
    for (size_t i = 0; i < nd_doc_count(doc) && !rc; i++)
        rc = nd__probe_owner(p, nd_doc_para_signature(doc, i), ND__PROBE_PARA, 0);
    return rc;
}

/* Looks one stored signature's bands of one round's banding up. */
static int nd__probe_lookup_round(nd_store_probe *p, const uint32_t *sig, unsigned kind, unsigned round,
                                  unsigned max_round, uint64_t stamp, int *given)
{
    if (round) kind |= ND__PROBE_WIDE;
    for (unsigned b = 0; b < p->bands[round]; b++) {
        uint64_t key = nd__probe_key(p, sig, b, kind, p->rows[round]);
        uint64_t bits;
        size_t w = nd__probe_bits(p, key, &bits);
        if ((p->filter[w] & bits) != bits) continue;
        nd__probe_bucket *t = &p->tab[nd__probe_slot(p, key)];
        if (!t->head || t->stamp == stamp || t->taken >= p->per_key) continue;
        unsigned verified = 0;
        for (uint32_t e = t->head; e && verified < ND__PROBE_VERIFY; e = p->e_next[e - 1]) {
            uint32_t o = p->e_owner[e - 1];
            if (p->round[o] > max_round) continue;
            verified++;
            if (nd_signature_similarity_bits(sig, p->sigs + (size_t)o * p->k, p->k, p->bits) < ND__PROBE_FLOOR)
                continue;
            int rc = nd__reserve(&p->al, (void **)&p->hits, &p->hits_cap, p->nhits + 1, sizeof *p->hits);
            if (rc) return rc;
            p->hits[p->nhits++] = (uint32_t)(t - p->tab);
            t->stamp = stamp;
            *given |= p->round[o] == 0;
            break;
        }
    }
    return ND_OK;
}

/* Looks one stored signature's bands up, in the banding of rounds
 * min_round..max_round; each band whose key has an owner of round <=
 * max_round estimated at least ND__PROBE_FLOOR from it, and not yet full,
 * is noted in p->hits (once per document `stamp`). *given is set when an
 * owner of round 0 was met. */
static int nd__probe_lookup(nd_store_probe *p, const uint32_t *sig, unsigned kind, unsigned min_round,
                            unsigned max_round, uint64_t stamp, int *given)
{
    for (unsigned round = min_round; round <= max_round; round++) {
        int rc = nd__probe_lookup_round(p, sig, kind, round, max_round, stamp, given);
        if (rc) return rc;
    }
    return ND_OK;
}

/* Whether the stored record has a paragraph or content signature near an
 * owner of `round` (in that round's banding): *out 1 (and every band it
 * hit takes one more document), 2 when that was round 0, else 0. */
static int nd__probe_match(nd_store_probe *p, const nd_store_record *rec, unsigned round,
                           uint64_t stamp, int *out)
{
    int given = 0, rc = ND_OK;
    p->nhits = 0;
    /* round 1 owners are paragraphs only */
    if (round == 0) rc = nd__probe_lookup(p, rec->signature, ND__PROBE_DOC, 0, 0, stamp, &given);
    for (size_t i = 0; i < rec->count && !rc; i++)
        rc = nd__probe_lookup(p, rec->paras[i].signature, ND__PROBE_PARA, round, round, stamp, &given);
    for (size_t i = 0; i < p->nhits; i++) p->tab[p->hits[i]].taken++;
    *out = p->nhits ? 1 + given : 0;
    return rc;
}

/* Stream 1: marks the documents near the given signatures, and makes the
 * content paragraphs of those found through them owners of round 1. */
static int nd__probe_first(nd_store *s, nd_store_probe *p, unsigned char *mark)
{
    if (nd__probe_filter(p, 0)) return nd__fail(s, ND_E_NOMEM, "out of memory");
    for (size_t i = 0; i < s->slot.docs; i++) {
        nd_store_record rec;
        int m = 0, rc = nd_store_get(s, i, &rec);
        if (rc) return rc;
        rc = nd__probe_match(p, &rec, 0, (uint64_t)i + 1, &m);
        for (size_t j = 0; !rc && m == 2 && j < rec.count; j++)
            if (rec.paras[j].kind == ND_KIND_CONTENT)
                rc = nd__probe_owner(p, rec.paras[j].signature, ND__PROBE_PARA, 1);
        if (rc) return rc == ND_E_NOMEM ? nd__fail(s, rc, "out of memory") : rc;
        mark[i] = m != 0;
    }
    return ND_OK;
}

int nd_store_load_probed(nd_store *s, nd_corpus *c, nd_store_probe *p, size_t *out_loaded)
{
    if (out_loaded) *out_loaded = 0;
    if (!s || !c || !p) return ND_E_INVALID;
    if (!nd__usable(s)) return ND_E_STATE;
    nd__sigparams cp;
    nd__sigparams_of(&cp, &c->ctx->params);
    int rc = nd__params_differ(s, &s->p, &cp, "the collection's context");
    if (rc) return rc;
    if (p->k != s->p.num_perm || p->bits != s->p.sig_bits)
        return nd__fail(s, ND_E_PARAM_MISMATCH, "the probe's num_perm or sig_bits differ from the store's");
    unsigned char *mark = nd__calloc(&s->al, s->slot.docs ? (size_t)s->slot.docs : 1, 1);
    if (!mark) return nd__fail(s, ND_E_NOMEM, "out of memory");
    rc = nd__probe_first(s, p, mark);
    if (!rc && nd__probe_filter(p, 1)) rc = nd__fail(s, ND_E_NOMEM, "out of memory");
    /* stream 2: the documents near those found, then every one marked,
     * added in store order as nd_store_load_into would */
    for (size_t i = 0; i < s->slot.docs && !rc; i++) {
        nd_store_record rec;
        int m = mark[i];
        if ((rc = nd_store_get(s, i, &rec))) break;
        if (!m && (rc = nd__probe_match(p, &rec, 1, (uint64_t)i + 1, &m))) {
            nd__fail(s, rc, "out of memory");
            break;
        }
        if (!m) continue;
        rc = nd_corpus_add_signed(c, rec.id, rec.id_len, rec.source, rec.source_len, rec.paras,
                                  rec.count, s->p.sig_bits == 32 ? NULL : rec.signature, NULL);
        if (rc) nd__fail(s, rc, "adding document %zu to the collection: %s", i, nd_strerror(rc));
        else if (out_loaded) (*out_loaded)++;
    }
    nd__free(&s->al, mark);
    return rc;
}
