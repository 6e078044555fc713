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

double nd__lsh_miss(double t, unsigned bands, unsigned rows)
{
    return 1.0 - nd__pcand(t, bands, rows);
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

/* Hash of one band's values; bits outside mask (b-bit signatures) take no
 * part, so only the kept bits decide. Values are taken two at a time into a
 * 64-bit word and folded by a bijective mix (splitmix64's finalizer), so a
 * band of one or two values never collides and longer bands collide as
 * random 64-bit keys would: rarely, and only ever adding a candidate that
 * is verified. Inlined, this is several times cheaper than a general hash
 * over a few bytes, and every paragraph takes about a hundred band keys.
 * Never 0 (0 marks an empty slot). */
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

void nd__lsh_prepare_keys(nd__lsh *l, const uint32_t *keys)
{
    /* the key is doubled into 64 bits: slots are chosen from bits 17 and up */
    for (unsigned band = 0; band < l->bands; band++)
        l->cur[band] = keys[band] ? (uint64_t)keys[band] << 32 | keys[band] : 1;
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

/* ---- batch chains ------------------------------------------------------- *
 *
 * Each band is chained in two steps that both stay in cache: a counting
 * partition of (key, position) pairs by the key's top bits into buckets of
 * about ND__CHAIN_BUCKET entries (one pass over memory, positions kept in
 * order), then, bucket by bucket, a small hash table that remembers the last
 * position of each key. A full sort would cost three passes; a hash table
 * over the whole band, a cache miss per entry.
 */
#define ND__CHAIN_BUCKET 128u
/* Bands gathered per pass over the items' keys (16 keys: one cache line). */
#define ND__CHAIN_GROUP 16u

typedef struct nd__chain_slot {
    uint32_t key, last, stamp; /* stamp: the bucket that wrote it, so no clearing */
} nd__chain_slot;

typedef struct nd__chainer {
    const nd_allocator *al;
    size_t n;
    unsigned bits;             /* of the key that choose the bucket */
    uint32_t *count;           /* 2^bits + 1 bucket starts */
    uint64_t *part;            /* n (key << 32 | position), partitioned */
    nd__chain_slot *tab;
    size_t tab_size;           /* a power of two, at least twice the largest bucket */
    uint32_t stamp;
} nd__chainer;

static int nd__chainer_fit(nd__chainer *ch, size_t largest)
{
    size_t want = 64;
    while (want < 2 * largest) want *= 2;
    if (want <= ch->tab_size) return ND_OK;
    nd__free(ch->al, ch->tab);
    ch->tab = nd__calloc(ch->al, want, sizeof *ch->tab);
    ch->tab_size = ch->tab ? want : 0;
    ch->stamp = 0;
    return ch->tab ? ND_OK : ND_E_NOMEM;
}

/* Links the entries of one bucket: row[i] = last earlier position with the
 * same key. Positions arrive in increasing order. */
static void nd__chain_bucket(nd__chainer *ch, const uint64_t *e, size_t m, uint32_t *row)
{
    const size_t mask = ch->tab_size - 1;
    const uint32_t stamp = ++ch->stamp;
    nd__chain_slot *tab = ch->tab;
    for (size_t j = 0; j < m; j++) {
        uint32_t key = (uint32_t)(e[j] >> 32), i = (uint32_t)e[j];
        size_t h = key & mask; /* the low bits: the top ones chose the bucket */
        while (tab[h].stamp == stamp && tab[h].key != key) h = (h + 1) & mask;
        if (tab[h].stamp == stamp) {
            row[i] = tab[h].last;
        } else {
            tab[h].stamp = stamp;
            tab[h].key = key;
            row[i] = ND__LSH_END;
        }
        tab[h].last = i;
    }
}

/* One band: keys[i] for positions 0..n-1 into row (n links; row may be
 * keys: they are read before any link is written). */
static int nd__chain_band(nd__chainer *ch, const uint32_t *keys, uint32_t *row)
{
    const size_t n = ch->n, nbuckets = (size_t)1 << ch->bits;
    const unsigned shift = 32 - ch->bits;
    uint32_t *count = ch->count;
    memset(count, 0, (nbuckets + 1) * sizeof *count);
    for (size_t i = 0; i < n; i++) count[ch->bits ? (keys[i] >> shift) + 1 : 1]++;
    size_t largest = 0;
    for (size_t b = 1; b <= nbuckets; b++) {
        if (count[b] > largest) largest = count[b];
        count[b] += count[b - 1];
    }
    if (ch->stamp >= UINT32_MAX - nbuckets) { /* stamps would wrap: start afresh */
        memset(ch->tab, 0, ch->tab_size * sizeof *ch->tab);
        ch->stamp = 0;
    }
    int rc = nd__chainer_fit(ch, largest);
    if (rc) return rc;
    for (size_t i = 0; i < n; i++) {
        uint32_t b = ch->bits ? keys[i] >> shift : 0;
        ch->part[count[b]++] = (uint64_t)keys[i] << 32 | (uint32_t)i;
    }
    /* count[b] now ends bucket b */
    for (size_t b = 0, start = 0; b < nbuckets; start = count[b++])
        nd__chain_bucket(ch, ch->part + start, count[b] - start, row);
    return ND_OK;
}

const uint32_t *nd__flat_row(const void *arg, uint32_t item)
{
    const nd__flat_rows *r = arg;
    return r->keys + (size_t)item * r->stride;
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
    nd__chainer ch;
    memset(&ch, 0, sizeof ch);
    ch.al = job->al;
    ch.n = n;
    while (ch.bits < 16 && (n >> ch.bits) > ND__CHAIN_BUCKET) ch.bits++;
    size_t m = n ? n : 1;
    uint32_t *gather = nd__alloc(ch.al, m * nb * sizeof *gather);
    ch.part = nd__alloc(ch.al, m * sizeof *ch.part);
    ch.count = nd__alloc(ch.al, (((size_t)1 << ch.bits) + 1) * sizeof *ch.count);
    int rc = (gather && ch.part && ch.count) ? ND_OK : ND_E_NOMEM;
    if (!rc) /* band-major copies of this group's keys, read once per item */
        for (size_t i = 0; i < n; i++) {
            const uint32_t *k = job->row(job->arg, job->items[i]) + b0;
            uint32_t salt = job->salts ? job->salts[i] : 0;
            for (unsigned b = 0; b < nb; b++) gather[(size_t)b * n + i] = k[b] ^ salt;
        }
    /* each band's links replace its keys, which the partition consumed */
    for (unsigned b = 0; b < nb && !rc; b++)
        rc = nd__chain_band(&ch, gather + (size_t)b * n, gather + (size_t)b * n);
    for (size_t i = 0; i < n && !rc; i++) /* to item-major: one line written per item */
        for (unsigned b = 0; b < nb; b++) job->prev[i * job->bands + b0 + b] = gather[(size_t)b * n + i];
    nd__free(ch.al, gather);
    nd__free(ch.al, ch.part);
    nd__free(ch.al, ch.count);
    nd__free(ch.al, ch.tab);
    job->rc[t] = rc;
}

int nd__lsh_chain(const nd_allocator *al, nd__row_fn row, const void *arg, unsigned bands,
                  const uint32_t *items, const uint32_t *salts, size_t n, uint32_t *prev,
                  unsigned threads)
{
    if (n >= UINT32_MAX) return ND_E_TOO_LARGE;
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
