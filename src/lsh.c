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
    l->keys_fn = nd__lsh_pick_keys(0);
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

/* Hash of one band's values; bits outside mask (b-bit signatures) take no
 * part, so only the kept bits decide. Values are taken two at a time into a
 * 64-bit word and folded by a bijective mix (splitmix64's finalizer), so a
 * band of one or two values never collides and longer bands collide as
 * random 64-bit keys would: rarely, and only ever adding a candidate that
 * is verified; a mix is several times cheaper than a general hash over a
 * few bytes, and every paragraph takes about a hundred band keys. This is
 * the definition, one band at a time; the indexes use the kernels below,
 * which compute its top half for all bands at once (tests/test_lsh.c checks
 * them against it). Never 0 (0 marks an empty slot). */
static inline uint64_t nd__band_hash(const uint32_t *sig, unsigned rows, uint32_t mask, unsigned band)
{
    const uint32_t *v = sig + (size_t)band * rows;
    uint64_t h = (band + 1) * 0x9e3779b97f4a7c15ull;
    unsigned i = 0;
    for (; i + 2 <= rows; i += 2) h = nd__mix64(h ^ ((v[i] & mask) | (uint64_t)(v[i + 1] & mask) << 32));
    if (i < rows) h = nd__mix64(h ^ (v[i] & mask));
    return h ? h : 1;
}

uint64_t nd__lsh_band_key(const nd__lsh *l, const uint32_t *sig, unsigned band)
{
    return nd__band_hash(sig, l->rows, l->mask, band);
}

/* nd__lsh_keys for many bands at once: the same arithmetic as
 * nd__band_hash (whose result's top half is the key), with the loop over
 * bands innermost so that it vectorises, 64-bit multiplies included, where
 * the instruction set has them. Compiled for AVX2 and plain targets; the
 * context picks one (tests/test_lsh.c checks they agree). */
#define ND__KEYS_KERNEL(name, attr)                                                        \
    attr static void name(unsigned bands, unsigned rows, uint32_t mask, const uint32_t *sig, \
                          uint32_t *out)                                                   \
    {                                                                                      \
        uint64_t h[ND_MAX_NUM_PERM];                                                       \
        const uint64_t m = mask | (uint64_t)mask << 32;                                    \
        unsigned r = 0;                                                                    \
        for (unsigned b = 0; b < bands; b++) h[b] = (b + 1) * 0x9e3779b97f4a7c15ull;       \
        for (; r + 2 <= rows; r += 2)                                                      \
            for (unsigned b = 0; b < bands; b++) {                                         \
                const uint32_t *v = sig + (size_t)b * rows + r;                            \
                h[b] = nd__mix64(h[b] ^ (((uint64_t)v[0] | (uint64_t)v[1] << 32) & m));    \
            }                                                                              \
        if (r < rows)                                                                      \
            for (unsigned b = 0; b < bands; b++)                                           \
                h[b] = nd__mix64(h[b] ^ (sig[(size_t)b * rows + r] & mask));               \
        for (unsigned b = 0; b < bands; b++) out[b] = (uint32_t)(h[b] >> 32);              \
    }

ND__KEYS_KERNEL(nd__keys_portable, )
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
ND__KEYS_KERNEL(nd__keys_avx2, __attribute__((target("avx2"))))
#endif

void nd__lsh_keys(unsigned bands, unsigned rows, uint32_t mask, const uint32_t *sig, uint32_t *out)
{
    nd__keys_portable(bands, rows, mask, sig, out);
}

nd__keys_fn nd__lsh_pick_keys(int portable)
{
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
    __builtin_cpu_init();
    if (!portable && __builtin_cpu_supports("avx2")) return nd__keys_avx2;
#endif
    (void)portable;
    return nd__keys_portable;
}

void nd__ctx_keys(const nd_ctx *ctx, const uint32_t *sig, uint32_t *out)
{
    uint32_t mask = nd__ctx_key_mask(ctx);
    ctx->keys_fn(ctx->para_bands, ctx->para_rows, mask, sig, out);
    ctx->keys_fn(ctx->doc_bands, ctx->doc_rows, mask, sig, out + ctx->para_bands);
}

/* Keys are uniform 32-bit hashes (xor a salt), so their low bits pick the
 * slot. */
static size_t nd__slot(const nd__lsh *l, uint32_t key)
{
    size_t mask = l->slots - 1, i = key & mask;
    while (l->slot[i].key && l->slot[i].key != key) i = (i + 1) & mask;
    return i;
}

void nd__lsh_prepare(nd__lsh *l, const uint32_t *sig, uint64_t salt)
{
    /* 32-bit keys (the vectorised kernel's), so that a slot takes 8 bytes:
     * two keys collide once in 2^32, which only adds a candidate */
    const uint32_t salt32 = (uint32_t)(salt ^ salt >> 32);
    l->keys_fn(l->bands, l->rows, l->mask, sig, l->cur);
    for (unsigned band = 0; band < l->bands; band++) {
        uint32_t key = l->cur[band] ^ salt32;
        l->cur[band] = key ? key : 1;
    }
#if defined(__GNUC__) || defined(__clang__)
    if (l->slots)
        for (unsigned band = 0; band < l->bands; band++)
            __builtin_prefetch(&l->slot[l->cur[band] & (l->slots - 1)]);
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

/* ---- batch chains ------------------------------------------------------- *
 *
 * Each band is chained in one pass over its keys, in item order, through an
 * open-addressing table that remembers the last position of each key. The
 * table is touched at random, so the slot of the key ND__CHAIN_AHEAD items
 * ahead is prefetched: the misses of consecutive items then overlap instead
 * of following each other. (Partitioning the keys into cache-sized buckets
 * first was slower: 1.2x at 445k items, 1.6x at 3.5M.)
 */
#define ND__CHAIN_AHEAD 16u
/* Bands gathered per pass over the items' keys (16 keys: one cache line). */
#define ND__CHAIN_GROUP 16u

/* One band: keys[i] for positions 0..n-1 into row (n links; row may be
 * keys, each key being read before its link is written over it). tab has
 * tsize slots, a power of two above n: (key << 32) | (position + 1), 0 when
 * empty. Keys are already uniform hashes, so their low bits pick the slot. */
static void nd__chain_band(const uint32_t *keys, size_t n, uint64_t *tab, size_t tsize, uint32_t *row)
{
    const size_t mask = tsize - 1;
    memset(tab, 0, tsize * sizeof *tab);
    for (size_t i = 0; i < n; i++) {
#if defined(__GNUC__) || defined(__clang__)
        if (i + ND__CHAIN_AHEAD < n) __builtin_prefetch(&tab[keys[i + ND__CHAIN_AHEAD] & mask], 1);
#endif
        const uint32_t key = keys[i];
        size_t h = key & mask;
        while (tab[h] && (uint32_t)(tab[h] >> 32) != key) h = (h + 1) & mask;
        row[i] = tab[h] ? (uint32_t)tab[h] - 1 : ND__LSH_END;
        tab[h] = (uint64_t)key << 32 | (uint32_t)(i + 1);
    }
}

typedef struct nd__chain_job {
    const nd_allocator *al;
    nd__row_fn row;
    const void *arg;
    unsigned bands, group;     /* bands per task */
    const uint32_t *items, *salts;
    size_t n;
    uint32_t *prev;
    int *rc;                   /* per task */
} nd__chain_job;

/* Task t: bands [t * group, t * group + group) with their own buffers. */
static void nd__chain_group(void *arg, size_t t)
{
    const nd__chain_job *job = arg;
    const size_t n = job->n;
    const unsigned b0 = (unsigned)t * job->group;
    const unsigned nb = job->bands - b0 < job->group ? job->bands - b0 : job->group;
    size_t tsize = 64;
    while (tsize < n + n / 2) tsize *= 2; /* at most two thirds full */
    uint32_t *gather = nd__alloc(job->al, (n ? n : 1) * nb * sizeof *gather);
    uint64_t *tab = nd__alloc(job->al, tsize * sizeof *tab);
    int rc = (gather && tab) ? ND_OK : ND_E_NOMEM;
    if (!rc) { /* band-major copies of this group's keys, read once per item */
        for (size_t i = 0; i < n; i++) {
            const uint32_t *k = job->row(job->arg, job->items[i]) + b0;
            uint32_t salt = job->salts ? job->salts[i] : 0;
            for (unsigned b = 0; b < nb; b++) gather[(size_t)b * n + i] = k[b] ^ salt;
        }
        /* each band's links replace its keys */
        for (unsigned b = 0; b < nb; b++)
            nd__chain_band(gather + (size_t)b * n, n, tab, tsize, gather + (size_t)b * n);
        for (size_t i = 0; i < n; i++) /* to item-major: one line written per item */
            for (unsigned b = 0; b < nb; b++) job->prev[i * job->bands + b0 + b] = gather[(size_t)b * n + i];
    }
    nd__free(job->al, gather);
    nd__free(job->al, tab);
    job->rc[t] = rc;
}

const uint32_t *nd__flat_row(const void *arg, uint32_t item)
{
    const nd__flat_rows *r = arg;
    return r->keys + (size_t)item * r->stride;
}

int nd__lsh_chain(const nd_allocator *al, nd__row_fn row, const void *arg, unsigned bands,
                  const uint32_t *items, const uint32_t *salts, size_t n, uint32_t *prev,
                  unsigned threads)
{
    if (n >= UINT32_MAX) return ND_E_TOO_LARGE;
    if (bands > ND_MAX_NUM_PERM) return ND_E_INVALID; /* a band holds at least one value */
    if (!bands) return ND_OK;
    /* with more threads, smaller groups: a collection's 16 family bands
     * still make two tasks */
    const unsigned group = threads > 1 ? ND__CHAIN_GROUP / 2 : ND__CHAIN_GROUP;
    const size_t ntasks = (bands + group - 1) / group;
    int rcs[ND_MAX_NUM_PERM];
    nd__chain_job job = { al, row, arg, bands, group, items, salts, n, prev, rcs };
    nd__run_tasks(threads, ntasks, nd__chain_group, &job);
    for (size_t t = 0; t < ntasks; t++)
        if (rcs[t]) return rcs[t];
    return ND_OK;
}
