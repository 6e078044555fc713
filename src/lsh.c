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

/* The choice of bands and rows minimises a weighted sum of two areas: under
 * the S-curve below t (false positives) and above it over [t, 1] (false
 * negatives), each by the midpoint rule with 200 steps. These two functions
 * are that definition; the search below returns exactly the pair that a
 * scan of every pair evaluated by them would (tests/test_lsh.c keeps that
 * scan and compares over a grid of K, thresholds and weights). */
#define ND__STEPS 200

static double nd__fp_area(double t, unsigned b, unsigned r)
{
    double fp = 0.0;
    for (int i = 0; i < ND__STEPS; i++) {
        double s = t * (i + 0.5) / ND__STEPS;
        fp += nd__pcand(s, b, r) * t / ND__STEPS;
    }
    return fp;
}

static double nd__fn_area(double t, unsigned b, unsigned r)
{
    double fn = 0.0;
    for (int i = 0; i < ND__STEPS; i++) {
        double s = t + (1.0 - t) * (i + 0.5) / ND__STEPS;
        fn += (1.0 - nd__pcand(s, b, r)) * (1.0 - t) / ND__STEPS;
    }
    return fn;
}

void nd__lsh_optimal(double t, unsigned k, double w_fp, double w_fn, unsigned *bands, unsigned *rows)
{
    nd__lsh_optimal_rows(t, k, w_fp, w_fn, 1, bands, rows);
}

/*
 * The search: a scan of every pair costs K ln K pairs of 800 pow() calls,
 * hundreds of times the search's time (bench/RESULTS.md). Instead:
 *
 * 1. Branch and bound over boxes of (bands, rows), on the same sums computed
 *    fast: integer powers by repeated squaring, 8 points at a time in vector
 *    registers, which differ from the definition's by 1e-14 (relative) at
 *    most over K <= 1024 and t in (0, 1]. More
 *    bands or fewer rows only raise the S-curve, so the false-positive area
 *    grows with b and shrinks with r and the false-negative area the other
 *    way round; over a box [b1, b2] x [r1, r2] the weighted error is at least
 *        w_fp * fp(b1, r2) + w_fn * fn(min(b2, k / r1), r1),
 *    and a box whose bound exceeds the best error found by more than the
 *    margin cannot hold the answer. Boxes are halved along rows first (a
 *    range of rows with every band count is ruled out at once when its rows
 *    are too few or too many for t), then along bands; the half with the
 *    lower bound first.
 * 2. Every pair whose fast error came within the margin of the best is
 *    evaluated by the definition, and the smallest error wins, ties going to
 *    the smallest (b, r) as the scan in b-major order would choose. The
 *    margin (1e-7 relative) is far above the fast sums' error, so the pair
 *    the definition prefers is always among them, and when it is alone
 *    (nearly always) it is taken without evaluating it again.
 */
#define ND__CANDS 32
#define ND__YCACHE 4 /* rows whose 1 - s^r are kept, per side */
#define ND__MEMO 256 /* fast areas remembered (a power of two) */

typedef struct nd__search {
    double t, w_fp, w_fn;
    unsigned k;
    double best;                  /* lowest fast error seen */
    unsigned n;                   /* candidates kept for step 2 */
    unsigned cand_b[ND__CANDS], cand_r[ND__CANDS];
    double cand_err[ND__CANDS];
    double s[2][ND__STEPS];       /* the midpoints below t (fp) and above (fn) */
    /* 1 - s^r at the midpoints of either side for the last few rows asked:
     * boxes are cut along rows first, so the many evaluations that follow
     * are at a handful of rows */
    double y[2][ND__YCACHE][ND__STEPS];
    unsigned y_rows[2][ND__YCACHE], y_next[2];
    /* fast areas by (b, r, side): neighbouring boxes share corners */
    uint32_t memo_key[ND__MEMO];  /* (b << 11 | r) << 1 | side, + 1; 0 = empty */
    double memo_val[ND__MEMO];
    int overflow;                 /* more candidates than ND__CANDS: scan them all */
} nd__search;

static double nd__margin(double err) { return err * 1e-7 + 1e-300; }

/* v[i] = v[i]^n for every point, by squaring: the same exponent for all,
 * so each block of 8 points stays in vector registers through all the
 * squarings. */
static void nd__ipow_all(double *v, unsigned n)
{
    for (int i = 0; i < ND__STEPS; i += 8) {
        double base[8], acc[8];
        for (int j = 0; j < 8; j++) {
            base[j] = v[i + j];
            acc[j] = 1.0;
        }
        for (unsigned m = n; m; m >>= 1) {
            if (m & 1)
                for (int j = 0; j < 8; j++) acc[j] *= base[j];
            if (m > 1)
                for (int j = 0; j < 8; j++) base[j] *= base[j];
        }
        for (int j = 0; j < 8; j++) v[i + j] = acc[j];
    }
}

static const double *nd__one_minus_pow(nd__search *x, unsigned r, int fn)
{
    for (int c = 0; c < ND__YCACHE; c++)
        if (x->y_rows[fn][c] == r) return x->y[fn][c];
    unsigned c = x->y_next[fn]++ % ND__YCACHE;
    double *v = x->y[fn][c];
    memcpy(v, x->s[fn], sizeof x->s[fn]);
    nd__ipow_all(v, r);
    for (int i = 0; i < ND__STEPS; i++) v[i] = 1.0 - v[i];
    x->y_rows[fn][c] = r;
    return v;
}

/* The fast area: of false positives (fn = 0) or false negatives (fn = 1),
 * (1 - s^r)^b being the chance that a pair of similarity s is missed. Eight
 * partial sums, as a single one would wait on each addition. */
static double nd__fast_sum(nd__search *x, unsigned b, unsigned r, int fn)
{
    const double *y = nd__one_minus_pow(x, r, fn);
    double part[8] = { 0 };
    for (int i = 0; i < ND__STEPS; i += 8) {
        double base[8], acc[8];
        for (int j = 0; j < 8; j++) {
            base[j] = y[i + j];
            acc[j] = 1.0;
        }
        for (unsigned m = b; m; m >>= 1) {
            if (m & 1)
                for (int j = 0; j < 8; j++) acc[j] *= base[j];
            if (m > 1)
                for (int j = 0; j < 8; j++) base[j] *= base[j];
        }
        for (int j = 0; j < 8; j++) part[j] += fn ? acc[j] : 1.0 - acc[j];
    }
    double sum = ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
    return sum * (fn ? 1.0 - x->t : x->t) / ND__STEPS;
}

static double nd__fast_area(nd__search *x, unsigned b, unsigned r, int fn)
{
    uint32_t key = ((((uint32_t)b << 11) | r) << 1 | (uint32_t)fn) + 1; /* b, r <= 1024 */
    size_t i = (size_t)(nd__mix64(key) & (ND__MEMO - 1));
    if (x->memo_key[i] == key) return x->memo_val[i];
    x->memo_key[i] = key;
    return x->memo_val[i] = nd__fast_sum(x, b, r, fn);
}

static double nd__fast_err(nd__search *x, unsigned b, unsigned r)
{
    return x->w_fp * nd__fast_area(x, b, r, 0) + x->w_fn * nd__fast_area(x, b, r, 1);
}

/* Lower bound of the fast error over the pairs of the box (clipped to
 * b * r <= k): every pair's false-positive area is at least that at (b1,
 * r2), and its false-negative area at least that at (b2, r1). Over one row
 * count it is tighter: the false-negative area, a sum of (1 - s^r)^b, is
 * convex in b and lies above the line through its values at b2 - 1 and b2;
 * the false-positive area is concave, above its chord over [b1, b2]. The
 * error is then above a line, whose lower end is at b1 or b2. */
static double nd__box_bound(nd__search *x, unsigned b1, unsigned b2, unsigned r1, unsigned r2)
{
    if (b2 > x->k / r1) b2 = x->k / r1;
    double fn2 = nd__fast_area(x, b2, r1, 1);
    double corner = x->w_fp * nd__fast_area(x, b1, r2, 0) + x->w_fn * fn2;
    if (b2 - b1 < 2 || r1 != r2) return corner; /* over rows it costs more than it prunes */
    double rise = nd__fast_area(x, b2 - 1, r1, 1) - fn2;
    double at_b1 = corner + x->w_fn * rise * (b2 - b1);
    double at_b2 = x->w_fp * nd__fast_area(x, b2, r2, 0) + x->w_fn * fn2;
    double line = at_b1 < at_b2 ? at_b1 : at_b2;
    return line > corner ? line : corner;
}

/* Keeps (b, r) for step 2 and drops those the new best rules out. */
static void nd__keep(nd__search *x, unsigned b, unsigned r, double err)
{
    if (err < x->best) x->best = err;
    unsigned n = 0;
    for (unsigned i = 0; i < x->n; i++)
        if (x->cand_err[i] <= x->best + nd__margin(x->best)) {
            x->cand_b[n] = x->cand_b[i];
            x->cand_r[n] = x->cand_r[i];
            x->cand_err[n++] = x->cand_err[i];
        }
    x->n = n;
    if (err > x->best + nd__margin(x->best)) return;
    if (x->n == ND__CANDS) {
        x->overflow = 1;
        return;
    }
    x->cand_b[x->n] = b;
    x->cand_r[x->n] = r;
    x->cand_err[x->n++] = err;
}

static void nd__box_search(nd__search *x, unsigned b1, unsigned b2, unsigned r1, unsigned r2,
                           double bound)
{
    if (bound > x->best + 2 * nd__margin(x->best)) return;
    if (b1 == b2 && r1 == r2) {
        nd__keep(x, b1, r1, nd__fast_err(x, b1, r1));
        return;
    }
    unsigned box[2][4];
    if (r1 == r2) {
        unsigned m = b1 + (b2 - b1) / 2;
        unsigned halves[2][4] = { { b1, m, r1, r2 }, { m + 1, b2, r1, r2 } };
        memcpy(box, halves, sizeof box);
    } else {
        unsigned m = r1 + (r2 - r1) / 2;
        unsigned halves[2][4] = { { b1, b2, r1, m }, { b1, b2, m + 1, r2 } };
        memcpy(box, halves, sizeof box);
    }
    double bnd[2];
    for (int c = 0; c < 2; c++) {
        unsigned *q = box[c];
        /* clip to b * r <= k: rows at most k / b1, bands at most k / r1 */
        if (q[3] > x->k / q[0]) q[3] = x->k / q[0];
        if (q[1] > x->k / q[2]) q[1] = x->k / q[2];
        bnd[c] = q[2] <= q[3] && q[0] <= q[1] ? nd__box_bound(x, q[0], q[1], q[2], q[3]) : 2.0;
    }
    int first = bnd[1] < bnd[0];
    nd__box_search(x, box[first][0], box[first][1], box[first][2], box[first][3], bnd[first]);
    nd__box_search(x, box[!first][0], box[!first][1], box[!first][2], box[!first][3], bnd[!first]);
}

/* Step 2, and the whole scan when step 1 kept too many. */
static void nd__pick(const nd__search *x, unsigned min_rows, unsigned *bands, unsigned *rows)
{
    double best = 2.0;
    for (unsigned b = 1; x->overflow && b <= x->k; b++)
        for (unsigned r = min_rows; b * r <= x->k; r++) {
            double err = x->w_fp * nd__fp_area(x->t, b, r) + x->w_fn * nd__fn_area(x->t, b, r);
            if (err < best) {
                best = err;
                *bands = b;
                *rows = r;
            }
        }
    if (!x->overflow && x->n == 1) { /* nothing else comes near: the fast sums decide */
        *bands = x->cand_b[0];
        *rows = x->cand_r[0];
        return;
    }
    for (unsigned i = 0; !x->overflow && i < x->n; i++) {
        unsigned b = x->cand_b[i], r = x->cand_r[i];
        double err = x->w_fp * nd__fp_area(x->t, b, r) + x->w_fn * nd__fn_area(x->t, b, r);
        if (err < best || (err == best && (b < *bands || (b == *bands && r < *rows)))) {
            best = err;
            *bands = b;
            *rows = r;
        }
    }
}

void nd__lsh_optimal_rows(double t, unsigned k, double w_fp, double w_fn, unsigned min_rows,
                          unsigned *bands, unsigned *rows)
{
    *bands = 1;
    *rows = k;
    if (min_rows < 1) min_rows = 1;
    if (k < min_rows) return;
    nd__search x;
    memset(&x, 0, sizeof x);
    x.t = t;
    x.w_fp = w_fp;
    x.w_fn = w_fn;
    x.k = k;
    x.best = 2.0;
    for (int i = 0; i < ND__STEPS; i++) {
        x.s[0][i] = t * (i + 0.5) / ND__STEPS;
        x.s[1][i] = t + (1.0 - t) * (i + 0.5) / ND__STEPS;
    }
    /* a good first pair, so that the bound prunes from the first box: all
     * the bands of the rows r at which the S-curve's midpoint (1/b)^(1/r)
     * with b = k / r reaches t, i.e. ln(k / r) = r ln(1 / t), by bisection
     * (the left side falls with r, the right one grows) */
    unsigned lo = min_rows, hi = k;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (log((double)(k / mid)) > mid * -log(t)) lo = mid + 1;
        else hi = mid;
    }
    nd__box_search(&x, k / lo, k / lo, lo, lo, 0.0);
    nd__box_search(&x, 1, k / min_rows, min_rows, k, nd__box_bound(&x, 1, k / min_rows, min_rows, k));
    nd__pick(&x, min_rows, bands, rows);
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
    l->keys_fn = nd__lsh_pick_keys(ND__ISA_BEST);
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
 * the instruction set has them. Compiled for AVX-512, AVX2 and plain
 * targets; the context picks one (tests/test_lsh.c checks they agree). */
#define ND__KEYS_KERNEL(name, attr, T, LOAD)                                               \
    attr static void name(unsigned first, unsigned bands, unsigned rows, uint32_t mask,     \
                          const T *sig, uint32_t *out)                                     \
    {                                                                                      \
        uint64_t h[ND_MAX_NUM_PERM];                                                       \
        const uint64_t m = mask | (uint64_t)mask << 32;                                    \
        unsigned r = 0;                                                                    \
        sig += (size_t)first * rows;                                                       \
        for (unsigned b = 0; b < bands; b++) h[b] = (first + b + 1) * 0x9e3779b97f4a7c15ull; \
        for (; r + 2 <= rows; r += 2)                                                      \
            for (unsigned b = 0; b < bands; b++) {                                         \
                const T *v = sig + (size_t)b * rows + r;                                   \
                h[b] = nd__mix64(h[b] ^ (((uint64_t)LOAD(v[0]) | (uint64_t)LOAD(v[1]) << 32) & m)); \
            }                                                                              \
        if (r < rows)                                                                      \
            for (unsigned b = 0; b < bands; b++)                                           \
                h[b] = nd__mix64(h[b] ^ (LOAD(sig[(size_t)b * rows + r]) & mask));         \
        for (unsigned b = 0; b < bands; b++) out[b] = (uint32_t)(h[b] >> 32);              \
    }

/* Values as they are, and 16-bit codes as the values nd__code_widen gives:
 * a collection of codes gets the keys of its widened codes without
 * widening them first. */
#define ND__VALUE(x) (x)
#define ND__WIDEN(x) nd__code_widen(x)
ND__KEYS_KERNEL(nd__keys_portable, , uint32_t, ND__VALUE)
ND__KEYS_KERNEL(nd__keys16_portable, , uint16_t, ND__WIDEN)
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
ND__KEYS_KERNEL(nd__keys_avx2, __attribute__((target("avx2"))), uint32_t, ND__VALUE)
ND__KEYS_KERNEL(nd__keys16_avx2, __attribute__((target("avx2"))), uint16_t, ND__WIDEN)
/* AVX-512DQ multiplies 64-bit lanes natively (AVX2 builds each of the
 * mix's two multiplies out of three 32-bit ones), eight bands at a time */
#  define ND__AVX512 __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw")))
ND__KEYS_KERNEL(nd__keys_avx512, ND__AVX512, uint32_t, ND__VALUE)
ND__KEYS_KERNEL(nd__keys16_avx512, ND__AVX512, uint16_t, ND__WIDEN)
#endif

void nd__lsh_keys(unsigned bands, unsigned rows, uint32_t mask, const uint32_t *sig, uint32_t *out)
{
    nd__keys_portable(0, bands, rows, mask, sig, out);
}

nd__keys_fn nd__lsh_pick_keys(nd__isa cap)
{
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
    __builtin_cpu_init();
    if (cap == ND__ISA_BEST && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw"))
        return nd__keys_avx512;
    if (cap != ND__ISA_PORTABLE && __builtin_cpu_supports("avx2")) return nd__keys_avx2;
#endif
    (void)cap;
    return nd__keys_portable;
}

/* The kernel of codes matching the kernel of values chosen for this CPU. */
nd__keys16_fn nd__lsh_pick_keys16(nd__isa cap)
{
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
    nd__keys_fn values = nd__lsh_pick_keys(cap);
    if (values == nd__keys_avx512) return nd__keys16_avx512;
    if (values == nd__keys_avx2) return nd__keys16_avx2;
#else
    (void)cap;
#endif
    return nd__keys16_portable;
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
    l->keys_fn(0, l->bands, l->rows, l->mask, sig, l->cur);
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

int nd__lsh_reserve(nd__lsh *l, size_t items, size_t max_item)
{
    size_t need = (max_item + 1) * l->bands;
    if (need > UINT32_MAX) return ND_E_TOO_LARGE;
    int rc = nd__reserve(l->al, (void **)&l->next, &l->next_cap, need, sizeof *l->next);
    while (!rc && (l->used + items * l->bands) * 2 > l->slots) rc = nd__lsh_grow(l);
    return rc;
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
/* Bands gathered per pass over the items (8 keys, 32 bytes per item). */
#define ND__CHAIN_GROUP 8u

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
    unsigned bands, group;     /* bands per group */
    size_t ntasks;             /* task t builds groups t, t + ntasks, ... */
    const uint32_t *items, *salts;
    size_t n;
    nd__links *links;          /* each task fills the bands of its groups */
    int *rc;                   /* per task */
} nd__chain_job;

/* Band b's links from row (n links, dense) into the sparse form. */
static int nd__links_pack(const nd_allocator *al, nd__links *l, unsigned b, const uint32_t *row, size_t n)
{
    size_t nlinks = 0, nwords = (n + 63) / 64;
    for (size_t i = 0; i < n; i++) nlinks += row[i] != ND__LSH_END;
    nd__link_word *w = nd__alloc(al, (nwords ? nwords : 1) * sizeof *w);
    uint32_t *to = nd__alloc(al, (nlinks ? nlinks : 1) * sizeof *to);
    if (!w || !to) {
        nd__free(al, w);
        nd__free(al, to);
        return ND_E_NOMEM;
    }
    uint32_t k = 0;
    for (size_t x = 0; x < nwords; x++) {
        const size_t end = (x + 1) * 64 < n ? (x + 1) * 64 : n;
        uint64_t bits = 0;
        w[x].rank = k;
        for (size_t i = x * 64; i < end; i++) {
            const uint32_t q = row[i];
            if (q == ND__LSH_END) continue;
            bits |= (uint64_t)1 << (i & 63);
            to[k++] = q;
        }
        w[x].bits = bits;
    }
    l->word[b] = w;
    l->to[b] = to;
    return ND_OK;
}

/* Bands [b0, b0 + nb) into links, through gather (n * nb keys) and tab. */
static int nd__chain_bands(const nd__chain_job *job, unsigned b0, unsigned nb, uint32_t *gather,
                           uint64_t *tab, size_t tsize)
{
    const size_t n = job->n;
    uint32_t k[ND__CHAIN_GROUP];
    for (size_t i = 0; i < n; i++) { /* band-major copies of the group's keys, asked for once per item */
        job->row(job->arg, job->items[i], b0, nb, k);
        uint32_t salt = job->salts ? job->salts[i] : 0;
        for (unsigned b = 0; b < nb; b++) gather[(size_t)b * n + i] = k[b] ^ salt;
    }
    int rc = ND_OK;
    for (unsigned b = 0; b < nb && !rc; b++) { /* each band's links replace its keys, then are packed */
        nd__chain_band(gather + (size_t)b * n, n, tab, tsize, gather + (size_t)b * n);
        rc = nd__links_pack(job->al, job->links, b0 + b, gather + (size_t)b * n, n);
    }
    return rc;
}

/* Task t: its groups one after the other, in buffers allocated once (each
 * fresh allocation of them is page faults again). */
static void nd__chain_group(void *arg, size_t t)
{
    const nd__chain_job *job = arg;
    const size_t n = job->n;
    size_t tsize = 64;
    while (tsize < n + n / 2) tsize *= 2; /* at most two thirds full */
    uint32_t *gather = nd__alloc(job->al, (n ? n : 1) * job->group * sizeof *gather);
    uint64_t *tab = nd__alloc(job->al, tsize * sizeof *tab);
    int rc = (gather && tab) ? ND_OK : ND_E_NOMEM;
    for (size_t g = t; !rc && g * job->group < job->bands; g += job->ntasks) {
        const unsigned b0 = (unsigned)g * job->group;
        rc = nd__chain_bands(job, b0, job->bands - b0 < job->group ? job->bands - b0 : job->group, gather, tab,
                             tsize);
    }
    nd__free(job->al, gather);
    nd__free(job->al, tab);
    job->rc[t] = rc;
}

void nd__links_free(const nd_allocator *al, nd__links *l)
{
    for (unsigned b = 0; b < l->bands; b++) {
        if (l->word) nd__free(al, l->word[b]);
        if (l->to) nd__free(al, l->to[b]);
    }
    nd__free(al, l->word);
    nd__free(al, l->to);
    memset(l, 0, sizeof *l);
}

void nd__flat_row(const void *arg, uint32_t item, unsigned first, unsigned n, uint32_t *out)
{
    const nd__flat_rows *r = arg;
    memcpy(out, r->keys + (size_t)item * r->stride + first, n * sizeof *out);
}

int nd__lsh_chain(const nd_allocator *al, nd__row_fn row, const void *arg, unsigned bands,
                  const uint32_t *items, const uint32_t *salts, size_t n, nd__links *links,
                  unsigned threads)
{
    memset(links, 0, sizeof *links);
    if (n >= UINT32_MAX) return ND_E_TOO_LARGE;
    if (bands > ND_MAX_NUM_PERM) return ND_E_INVALID; /* a band holds at least one value */
    links->n = n;
    links->word = nd__calloc(al, bands ? bands : 1, sizeof *links->word);
    links->to = nd__calloc(al, bands ? bands : 1, sizeof *links->to);
    links->bands = bands;
    if (!links->word || !links->to) {
        nd__links_free(al, links);
        return ND_E_NOMEM;
    }
    if (!bands) return ND_OK;
    /* 8 bands keep the band-major copy at 32 bytes per item, beside the
     * collection's 256, on each thread at once. (Groups of 4 on threads
     * halved that, but each group is a strided pass over every signature:
     * news on two threads took 3.7% more time, for 15 MB less.) Fewer
     * groups than threads are halved, so that threads still share them. */
    const unsigned group = (bands + ND__CHAIN_GROUP - 1) / ND__CHAIN_GROUP < threads ? ND__CHAIN_GROUP / 2
                                                                                     : ND__CHAIN_GROUP;
    const size_t ngroups = (bands + group - 1) / group;
    const size_t ntasks = ngroups < threads ? ngroups : threads;
    int rcs[ND_MAX_NUM_PERM];
    nd__chain_job job = { al, row, arg, bands, group, ntasks, items, salts, n, links, rcs };
    nd__run_tasks(threads, ntasks, nd__chain_group, &job);
    for (size_t t = 0; t < ntasks; t++)
        if (rcs[t]) {
            nd__links_free(al, links);
            return rcs[t];
        }
    return ND_OK;
}
