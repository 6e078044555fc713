/*
 * Locality-sensitive hashing by banding: a signature of K values is cut into
 * b bands of r rows; two signatures become candidates when all r values of
 * at least one band agree. For Jaccard similarity s the probability of that
 * is 1 - (1 - s^r)^b, an S-curve whose steep part sits near (1/b)^(1/r)
 * (Leskovec, Rajaraman, Ullman, "Mining of Massive Datasets", ch. 3.4).
 *
 * The index keeps one chain per bucket: an open-addressing table maps a
 * band's key to the newest entry, and each entry links to the previous one of
 * the same bucket. Entries are numbered item * bands + band, so an entry
 * needs only its 4-byte link.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>
#include <math.h>
#include "internal.h"

static double nd__pcand(double s, unsigned b, unsigned r)
{
    return 1.0 - pow(1.0 - pow(s, (double)r), (double)b);
}

/* Areas under the S-curve below t (false positives) and above the curve
 * over [t, 1] (false negatives), by the midpoint rule. */
static void nd__areas(double t, unsigned b, unsigned r, double *fp, double *fn)
{
    const int steps = 200;
    *fp = *fn = 0.0;
    for (int i = 0; i < steps; i++) {
        double s = t * (i + 0.5) / steps;
        *fp += nd__pcand(s, b, r) * t / steps;
        s = t + (1.0 - t) * (i + 0.5) / steps;
        *fn += (1.0 - nd__pcand(s, b, r)) * (1.0 - t) / steps;
    }
}

void nd__lsh_optimal(double t, unsigned k, double w_fp, double w_fn, unsigned *bands, unsigned *rows)
{
    nd__lsh_optimal_rows(t, k, w_fp, w_fn, 1, bands, rows);
}

void nd__lsh_optimal_rows(double t, unsigned k, double w_fp, double w_fn, unsigned min_rows,
                          unsigned *bands, unsigned *rows)
{
    double best = 2.0;
    *bands = 1;
    *rows = k;
    for (unsigned b = 1; b <= k; b++) {
        for (unsigned r = min_rows; b * r <= k; r++) {
            double fp, fn;
            nd__areas(t, b, r, &fp, &fn);
            double err = w_fp * fp + w_fn * fn;
            if (err < best) {
                best = err;
                *bands = b;
                *rows = r;
            }
        }
    }
}

void nd__lsh_for_recall(double t, unsigned k, double miss, unsigned *bands, unsigned *rows)
{
    /* The longest bands keep false candidates rarest; take the longest whose
     * chance to miss a pair at exactly t is at most `miss`. */
    *bands = k;
    *rows = 1;
    for (unsigned r = 1; r <= k; r++) {
        unsigned b = k / r;
        if (1.0 - nd__pcand(t, b, r) > miss) break;
        *bands = b;
        *rows = r;
    }
}

int nd__lsh_init(nd__lsh *l, const nd_allocator *al, unsigned bands, unsigned rows)
{
    memset(l, 0, sizeof *l);
    l->al = al;
    l->bands = bands;
    l->rows = rows;
    l->mask = UINT32_MAX;
    return ND_OK;
}

void nd__lsh_clear(nd__lsh *l)
{
    if (l->slot) memset(l->slot, 0, l->slots * sizeof *l->slot);
    l->used = 0;
    l->entries = 0;
}

void nd__lsh_free(nd__lsh *l)
{
    nd__free(l->al, l->slot);
    nd__free(l->al, l->next);
    memset(l, 0, sizeof *l);
}

uint64_t nd__lsh_band_key(const nd__lsh *l, const uint32_t *sig, unsigned band)
{
    const uint32_t *v = sig + (size_t)band * l->rows;
    uint64_t k;
    if (l->mask == UINT32_MAX) {
        k = XXH3_64bits_withSeed(v, sizeof(uint32_t) * l->rows, band);
    } else { /* b-bit signatures: only the kept bits may decide */
        uint32_t tmp[ND_MAX_NUM_PERM];
        for (unsigned i = 0; i < l->rows; i++) tmp[i] = v[i] & l->mask;
        k = XXH3_64bits_withSeed(tmp, sizeof(uint32_t) * l->rows, band);
    }
    return k ? k : 1; /* 0 marks an empty slot */
}

static size_t nd__slot(const nd__lsh *l, uint64_t key)
{
    size_t mask = l->slots - 1, i = (size_t)(key >> 17) & mask;
    while (l->slot[i].key && l->slot[i].key != key) i = (i + 1) & mask;
    return i;
}

void nd__lsh_prepare(nd__lsh *l, const uint32_t *sig, uint64_t salt)
{
    for (unsigned band = 0; band < l->bands; band++) {
        uint64_t key = nd__lsh_band_key(l, sig, band) ^ salt;
        l->cur[band] = key ? key : 1;
    }
#if defined(__GNUC__) || defined(__clang__)
    if (l->slots)
        for (unsigned band = 0; band < l->bands; band++)
            __builtin_prefetch(&l->slot[(size_t)(l->cur[band] >> 17) & (l->slots - 1)]);
#endif
}

static int nd__lsh_grow(nd__lsh *l)
{
    size_t nslots = l->slots ? l->slots * 2 : 1024;
    nd__lsh_slot *ns = nd__calloc(l->al, nslots, sizeof *ns);
    if (!ns) return ND_E_NOMEM;
    nd__lsh_slot *old = l->slot;
    size_t old_slots = l->slots;
    l->slot = ns;
    l->slots = nslots;
    for (size_t i = 0; i < old_slots; i++)
        if (old[i].key) l->slot[nd__slot(l, old[i].key)] = old[i];
    nd__free(l->al, old);
    return ND_OK;
}

int nd__lsh_insert(nd__lsh *l, uint32_t item)
{
    size_t first = (size_t)item * l->bands;
    if (first + l->bands > UINT32_MAX) return ND_E_TOO_LARGE;
    int rc = nd__reserve(l->al, (void **)&l->next, &l->next_cap, first + l->bands, sizeof *l->next);
    if (rc) return rc;
    for (unsigned band = 0; band < l->bands; band++) {
        if ((l->used + 1) * 2 > l->slots && (rc = nd__lsh_grow(l)) != ND_OK) return rc;
        size_t s = nd__slot(l, l->cur[band]);
        uint32_t e = (uint32_t)(first + band);
        if (!l->slot[s].key) {
            l->slot[s].key = l->cur[band];
            l->used++;
            l->next[e] = ND__LSH_END;
        } else {
            l->next[e] = l->slot[s].head;
        }
        l->slot[s].head = e;
    }
    if (first + l->bands > l->entries) l->entries = first + l->bands;
    return ND_OK;
}

uint32_t nd__lsh_bucket(const nd__lsh *l, unsigned band)
{
    if (!l->slots) return ND__LSH_END;
    size_t s = nd__slot(l, l->cur[band]);
    return l->slot[s].key ? l->slot[s].head : ND__LSH_END;
}

/* ---- batch chains ------------------------------------------------------- */

/* Stable LSD radix sort of a[] by bits 32..63 in three 11-bit digits (the
 * counts stay in L1): entries with equal keys keep their order, i.e. their
 * position in the low half. Ends with the result in a. */
static void nd__radix_hi32(uint64_t *a, uint64_t *tmp, size_t n, size_t *count)
{
    uint64_t *from = a, *to = tmp;
    for (int shift = 32; shift < 64; shift += 11) {
        memset(count, 0, 2049 * sizeof *count);
        for (size_t i = 0; i < n; i++) count[((from[i] >> shift) & 0x7FF) + 1]++;
        for (size_t d = 1; d <= 2048; d++) count[d] += count[d - 1];
        for (size_t i = 0; i < n; i++) to[count[(from[i] >> shift) & 0x7FF]++] = from[i];
        uint64_t *t = from;
        from = to;
        to = t;
    }
    if (from != a) memcpy(a, from, n * sizeof *a);
}

/* Band keys of one signature for bands [b0, b0 + nb), xor salt, into
 * a[(b - b0) * n + i]: the top 32 bits hold the key, the low 32 bits i. */
static void nd__chain_keys(const nd__lsh *keyer, const uint32_t *sig, uint64_t salt, unsigned b0,
                           unsigned nb, size_t n, size_t i, uint64_t *a)
{
    for (unsigned b = 0; b < nb; b++) {
        uint64_t key = nd__mix64(nd__lsh_band_key(keyer, sig, b0 + b) ^ salt);
        a[(size_t)b * n + i] = (key & 0xFFFFFFFF00000000ull) | i;
    }
}

/* One band's links: its row of prev (n entries) is small enough to stay in
 * cache while the sorted keys scatter into it. */
static void nd__chain_link(const uint64_t *a, size_t n, uint32_t *row)
{
    for (size_t j = 0; j < n; j++) {
        int same = j > 0 && (a[j] >> 32) == (a[j - 1] >> 32);
        row[(uint32_t)a[j]] = same ? (uint32_t)a[j - 1] : ND__LSH_END;
    }
}

/* Bands are keyed in groups, so that the signatures (K*4 bytes each, far
 * more than the keys) are read once per group rather than once per band. */
#define ND__CHAIN_GROUP 8u

int nd__lsh_chain(const nd_allocator *al, unsigned bands, unsigned rows, uint32_t mask,
                  const uint32_t *sigs, size_t k, const uint32_t *items, const uint64_t *salts,
                  size_t n, uint32_t *prev)
{
    if (n >= UINT32_MAX) return ND_E_TOO_LARGE;
    size_t m = n ? n : 1;
    uint64_t *a = nd__alloc(al, m * ND__CHAIN_GROUP * sizeof *a), *tmp = nd__alloc(al, m * sizeof *tmp);
    size_t *count = nd__alloc(al, 2049 * sizeof *count);
    int rc = (a && tmp && count) ? ND_OK : ND_E_NOMEM;
    nd__lsh keyer; /* only rows and mask are read by nd__lsh_band_key */
    nd__lsh_init(&keyer, al, bands, rows);
    keyer.mask = mask;
    for (unsigned b0 = 0; b0 < bands && !rc; b0 += ND__CHAIN_GROUP) {
        unsigned nb = bands - b0 < ND__CHAIN_GROUP ? bands - b0 : ND__CHAIN_GROUP;
        for (size_t i = 0; i < n; i++)
            nd__chain_keys(&keyer, sigs + (size_t)items[i] * k, salts ? salts[i] : 0, b0, nb, n, i, a);
        for (unsigned b = 0; b < nb; b++) {
            nd__radix_hi32(a + (size_t)b * n, tmp, n, count);
            nd__chain_link(a + (size_t)b * n, n, prev + (size_t)(b0 + b) * n);
        }
    }
    nd__free(al, a);
    nd__free(al, tmp);
    nd__free(al, count);
    return rc;
}
