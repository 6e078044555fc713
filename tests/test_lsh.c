/*
 * LSH banding (src/lsh.c): the choice of bands and rows, buckets and their
 * chains, and the recall of planted near-duplicates.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "internal.h"


/* The index looks up and inserts the keys of one prepared signature; these
 * wrappers prepare it for each call, as the tests compare single calls. */
static uint32_t t_bucket(nd__lsh *l, const uint32_t *sig, unsigned band, uint64_t salt)
{
    nd__lsh_prepare(l, sig, salt);
    return nd__lsh_bucket(l, band);
}

static int t_insert(nd__lsh *l, uint32_t item, const uint32_t *sig, uint64_t salt)
{
    nd__lsh_prepare(l, sig, salt);
    return nd__lsh_insert(l, item);
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Probability that two sets of Jaccard similarity s share a band. */
static double p_candidate(double s, unsigned b, unsigned r)
{
    return 1.0 - pow(1.0 - pow(s, (double)r), (double)b);
}

static void test_optimal_fits_k(void **state)
{
    (void)state;
    static const double ts[] = { 0.3, 0.5, 0.7, 0.8, 0.9, 0.95 };
    static const unsigned ks[] = { 1, 2, 16, 64, 100, 128, 256 };
    static const double ws[][2] = { { 0.5, 0.5 }, { 0.1, 0.9 }, { 0.9, 0.1 } };
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
        for (size_t j = 0; j < sizeof ks / sizeof ks[0]; j++)
            for (size_t w = 0; w < 3; w++) {
                unsigned b = 0, r = 0;
                nd__lsh_optimal(ts[i], ks[j], ws[w][0], ws[w][1], &b, &r);
                if (b < 1 || r < 1 || b * r > ks[j])
                    fail_msg("t=%.2f K=%u: b=%u r=%u", ts[i], ks[j], b, r);
            }
    /* K = 1 has one choice */
    unsigned b, r;
    nd__lsh_optimal(0.8, 1, 0.5, 0.5, &b, &r);
    assert_int_equal(b, 1);
    assert_int_equal(r, 1);
}

static void test_optimal_curve_t08_k128(void **state)
{
    (void)state;
    unsigned b, r;
    /* equal weights: the steep part of the S-curve sits at t */
    nd__lsh_optimal(0.8, 128, 0.5, 0.5, &b, &r);
    assert_true(b * r <= 128);
    double thr = pow(1.0 / b, 1.0 / r);
    assert_true(fabs(thr - 0.8) < 0.05);
    assert_true(p_candidate(0.5, b, r) < 0.01);
    assert_true(p_candidate(0.6, b, r) < 0.05);
    assert_true(p_candidate(0.8, b, r) > 0.3 && p_candidate(0.8, b, r) < 0.7);
    assert_true(p_candidate(0.95, b, r) > 0.99);
    /* misses weighed 9 times heavier (what contexts use): P(0.8) high, P(0.5) low */
    nd__lsh_optimal(0.8, 128, 0.1, 0.9, &b, &r);
    assert_true(b * r <= 128);
    assert_true(p_candidate(0.8, b, r) > 0.85);
    assert_true(p_candidate(0.9, b, r) > 0.99);
    assert_true(p_candidate(0.5, b, r) < 0.05);
    assert_true(p_candidate(0.3, b, r) < 0.001);
    /* more false-positive weight moves the curve right */
    unsigned b2, r2;
    nd__lsh_optimal(0.8, 128, 0.9, 0.1, &b2, &r2);
    assert_true(p_candidate(0.8, b2, r2) < p_candidate(0.8, b, r));
}


/* The choice of bands and rows as it was made before the search: a scan of
 * every pair, kept verbatim as the reference the search must agree with
 * (same 200-step midpoint sums, same order, first minimum kept). */
static void ref_areas(double t, unsigned b, unsigned r, double *fp, double *fn)
{
    const int steps = 200;
    *fp = *fn = 0.0;
    for (int i = 0; i < steps; i++) {
        double s = t * (i + 0.5) / steps;
        *fp += p_candidate(s, b, r) * t / steps;
        s = t + (1.0 - t) * (i + 0.5) / steps;
        *fn += (1.0 - p_candidate(s, b, r)) * (1.0 - t) / steps;
    }
}

static void ref_optimal_rows(double t, unsigned k, double w_fp, double w_fn, unsigned min_rows,
                             unsigned *bands, unsigned *rows)
{
    double best = 2.0;
    *bands = 1;
    *rows = k;
    for (unsigned b = 1; b <= k; b++) {
        for (unsigned r = min_rows; b * r <= k; r++) {
            double fp, fn;
            ref_areas(t, b, r, &fp, &fn);
            double err = w_fp * fp + w_fn * fn;
            if (err < best) {
                best = err;
                *bands = b;
                *rows = r;
            }
        }
    }
}

static void expect_same_choice(double t, unsigned k, double w_fp, double w_fn, unsigned min_rows)
{
    unsigned b, r, rb, rr;
    nd__lsh_optimal_rows(t, k, w_fp, w_fn, min_rows, &b, &r);
    ref_optimal_rows(t, k, w_fp, w_fn, min_rows, &rb, &rr);
    if (b != rb || r != rr)
        fail_msg("t=%.3f K=%u w=%.1f/%.1f min_rows=%u: %ux%u, the scan chose %ux%u", t, k, w_fp,
                 w_fn, min_rows, b, r, rb, rr);
}

static void test_optimal_matches_full_scan(void **state)
{
    (void)state;
    static const double ws[][2] = { { 0.1, 0.9 }, { 0.5, 0.5 }, { 0.9, 0.1 } };
    static const unsigned min_rows[] = { 1, 2, 4 }; /* sig_bits 32, 16, 8 */
    /* every small K, thresholds every 0.05, every weighting */
    for (unsigned k = 1; k <= 16; k++)
        for (int ti = 1; ti <= 20; ti += 1 + (k > 8))
            for (size_t w = 0; w < 3; w++)
                for (size_t m = 0; m < 3; m++)
                    expect_same_choice(ti * 0.05, k, ws[w][0], ws[w][1], min_rows[m]);
    /* what contexts ask for: misses weighed 9 times heavier, the copy
     * threshold 0.3 and repeat thresholds around the default 0.75 */
    static const double ts[] = { 0.3, 0.5, 0.75, 0.8, 0.9, 0.97 };
    static const unsigned ks[] = { 20, 32, 64, 100, 128, 256 };
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
        for (size_t j = 0; j < sizeof ks / sizeof ks[0]; j++)
            for (size_t m = 0; m < 3; m++)
                expect_same_choice(ts[i], ks[j], 0.1, 0.9, min_rows[m]);
    /* the largest K, at the default thresholds */
    expect_same_choice(0.3, ND_MAX_NUM_PERM, 0.1, 0.9, 1);
    expect_same_choice(0.75, ND_MAX_NUM_PERM, 0.1, 0.9, 1);
    /* and the pairs the defaults have always had */
    unsigned b, r;
    nd__lsh_optimal_rows(0.75, 128, 0.1, 0.9, 1, &b, &r);
    assert_true(b == 16 && r == 8);
    nd__lsh_optimal_rows(0.3, 128, 0.1, 0.9, 1, &b, &r);
    assert_true(b == 32 && r == 2);
    /* no pair fits: the whole signature as one band, as before */
    nd__lsh_optimal_rows(0.75, 2, 0.1, 0.9, 4, &b, &r);
    assert_true(b == 1 && r == 2);
}

static void test_for_recall(void **state)
{
    (void)state;
    /* the longest bands whose chance to miss a pair at exactly t is at most
     * `miss`: fits K, meets the bound, and one row more would not */
    static const double ts[] = { 0.5, 0.7, 0.75, 0.8, 0.9 };
    static const unsigned ks[] = { 16, 64, 128, 256, 1024 };
    const double miss = 1e-6;
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
        for (size_t j = 0; j < sizeof ks / sizeof ks[0]; j++) {
            unsigned b = 0, r = 0, k = ks[j];
            double t = ts[i];
            nd__lsh_for_recall(t, k, miss, &b, &r);
            if (b < 1 || r < 1 || b * r > k)
                fail_msg("t=%.2f K=%u: b=%u r=%u", t, k, b, r);
            if (1.0 - p_candidate(t, b, r) > miss && !(r == 1 && b == k))
                fail_msg("t=%.2f K=%u: b=%u r=%u misses %.3g", t, k, b, r, 1.0 - p_candidate(t, b, r));
            assert_int_equal(b, k / r);   /* no row left unused that a band could take */
            if (r < k && 1.0 - p_candidate(t, k / (r + 1), r + 1) <= miss)
                fail_msg("t=%.2f K=%u: r=%u chosen, r=%u also meets the bound", t, k, r, r + 1);
        }
    /* t = 0.75, K = 128 (the defaults): 42 bands of 3 rows; 32 of 4 would
     * miss a pair at t with probability 5e-6 */
    unsigned b, r;
    nd__lsh_for_recall(0.75, 128, 1e-6, &b, &r);
    assert_int_equal(r, 3);
    assert_int_equal(b, 42);
    assert_true(1.0 - p_candidate(0.75, 32, 4) > 1e-6);
}

static void test_context_bands(void **state)
{
    (void)state;
    /* the bands a context picks for repeats fit K and favour recall: a pair
     * at the threshold itself is a candidate most of the time */
    static const double ts[] = { 0.5, 0.7, 0.75, 0.9 };
    static const unsigned ks[] = { 16, 64, 128 };
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
        for (size_t j = 0; j < sizeof ks / sizeof ks[0]; j++) {
            nd_params p;
            nd_params_init(&p, ND_PARAMS_VERSION);
            p.repeat_threshold = ts[i];
            p.num_perm = ks[j];
            nd_ctx *ctx;
            assert_int_equal(nd_ctx_create(&ctx, &p, NULL), ND_OK);
            unsigned b = ctx->repeat_bands, r = ctx->repeat_rows;
            if (b < 1 || r < 1 || b * r > ks[j] || p_candidate(ts[i], b, r) < 0.7)
                fail_msg("t=%.2f K=%u: b=%u r=%u, P(t)=%.3f", ts[i], ks[j], b, r,
                         p_candidate(ts[i], b, r));
            assert_true(ctx->doc_bands * ctx->doc_rows <= ks[j]);
            nd_ctx_free(ctx);
        }
    /* explicit document bands are used as given */
    nd_params p;
    nd_params_init(&p, ND_PARAMS_VERSION);
    p.lsh_bands = 8;
    p.lsh_rows = 4;
    nd_ctx *ctx;
    assert_int_equal(nd_ctx_create(&ctx, &p, NULL), ND_OK);
    assert_int_equal(ctx->doc_bands, 8);
    assert_int_equal(ctx->doc_rows, 4);
    nd_ctx_free(ctx);
}

static void test_band_key(void **state)
{
    (void)state;
    uint32_t sig[12] = { 1, 2, 3, 1, 2, 3, 1, 2, 4, 0, 0, 0 };
    nd__lsh l;
    nd__lsh_init(&l, nd__default_allocator(), 4, 3);
    /* keys depend on the band's rows only ... */
    uint64_t k0 = nd__lsh_band_key(&l, sig, 0);
    uint32_t other[12] = { 1, 2, 3, 9, 9, 9, 9, 9, 9, 9, 9, 9 };
    assert_true(nd__lsh_band_key(&l, other, 0) == k0);
    /* ... and on the band number: equal rows in another band, another key */
    assert_true(nd__lsh_band_key(&l, sig, 1) != k0);
    assert_true(nd__lsh_band_key(&l, sig, 2) != k0);
    /* never 0, which marks an empty slot */
    for (unsigned b = 0; b < 4; b++) assert_true(nd__lsh_band_key(&l, sig, b) != 0);
    /* b-bit signatures: values that differ only above the kept bits share a key */
    l.mask = 0xFF;
    uint32_t high[12] = { 0x101, 0x202, 0x303, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
    assert_true(nd__lsh_band_key(&l, high, 0) == nd__lsh_band_key(&l, sig, 0));
    l.mask = UINT32_MAX;
    assert_true(nd__lsh_band_key(&l, high, 0) != nd__lsh_band_key(&l, sig, 0));
    nd__lsh_free(&l);
}

/* Items in the chain of sig's band, in chain order; returns how many. */
static size_t chain(nd__lsh *l, const uint32_t *sig, unsigned band, uint32_t *items, size_t max)
{
    size_t n = 0;
    for (uint32_t e = t_bucket(l, sig, band, 0); e != ND__LSH_END; e = nd__lsh_next(l, e)) {
        assert_true(n < max);
        assert_int_equal(e % l->bands, band);
        items[n++] = e / l->bands;
    }
    return n;
}

static void random_sig(uint64_t *rs, uint32_t *sig, unsigned k)
{
    for (unsigned i = 0; i < k; i++) sig[i] = (uint32_t)rng_next(rs);
}

/* The 32-bit keys of a whole signature (what a collection keeps) are the top
 * halves of the band keys, from every kernel this CPU runs (the best, AVX2
 * and portable ones), for any shape and mask, whole or from a first band. */
static void test_keys_kernels_agree(void **state)
{
    (void)state;
    static const unsigned shapes[][2] = { { 1, 1 }, { 42, 3 }, { 16, 8 }, { 32, 2 }, { 7, 5 },
                                          { 128, 1 }, { 1, 128 }, { 3, 9 } };
    static const uint32_t masks[] = { UINT32_MAX, 0xFFFF, 0xFF };
    static const nd__isa caps[] = { ND__ISA_BEST, ND__ISA_AVX2, ND__ISA_PORTABLE };
    uint64_t rs = 77;
    uint32_t sig[128], want[128], got[128];
    if (nd__lsh_pick_keys(ND__ISA_BEST) == nd__lsh_pick_keys(ND__ISA_PORTABLE))
        print_message("keys kernels: only the portable one runs on this CPU\n");
    else if (nd__lsh_pick_keys(ND__ISA_BEST) == nd__lsh_pick_keys(ND__ISA_AVX2))
        print_message("keys kernels: no AVX-512 on this CPU, its kernels are not checked here\n");
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (size_t m = 0; m < 3; m++)
            for (int round = 0; round < 20; round++) {
                unsigned bands = shapes[s][0], rows = shapes[s][1];
                random_sig(&rs, sig, 128);
                if (round == 0) sig[0] = ND__SIG_EMPTY;
                nd__lsh l;
                nd__lsh_init(&l, nd__default_allocator(), bands, rows);
                l.mask = masks[m];
                for (unsigned b = 0; b < bands; b++) want[b] = (uint32_t)(nd__lsh_band_key(&l, sig, b) >> 32);
                nd__lsh_free(&l);
                memset(got, 0, sizeof got);
                nd__lsh_keys(bands, rows, masks[m], sig, got);
                assert_memory_equal(got, want, bands * sizeof *got);
                /* codes: the keys of their widened values */
                uint16_t codes[128];
                uint32_t widened[128], want16[128];
                for (unsigned i = 0; i < 128; i++) widened[i] = nd__code_widen(codes[i] = nd__code16(sig[i]));
                nd__lsh_keys(bands, rows, masks[m], widened, want16);
                /* a range of bands alone, as chains compute them group by group */
                unsigned first = bands / 3, nb = bands - first > 5 ? 5 : bands - first;
                for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
                    nd__keys_fn fn = nd__lsh_pick_keys(caps[c]);
                    nd__keys16_fn fn16 = nd__lsh_pick_keys16(caps[c]);
                    memset(got, 0, sizeof got);
                    fn(0, bands, rows, masks[m], sig, got);
                    assert_memory_equal(got, want, bands * sizeof *got);
                    memset(got, 0, sizeof got);
                    fn(first, nb, rows, masks[m], sig, got);
                    assert_memory_equal(got, want + first, nb * sizeof *got);
                    memset(got, 0, sizeof got);
                    fn16(0, bands, rows, masks[m], codes, got);
                    assert_memory_equal(got, want16, bands * sizeof *got);
                    memset(got, 0, sizeof got);
                    fn16(first, nb, rows, masks[m], codes, got);
                    assert_memory_equal(got, want16 + first, nb * sizeof *got);
                }
            }
}

static void test_identical_signatures_share_buckets(void **state)
{
    (void)state;
    nd__lsh l;
    const unsigned bands = 8, rows = 4;
    assert_int_equal(nd__lsh_init(&l, nd__default_allocator(), bands, rows), ND_OK);
    uint64_t rs = 3;
    uint32_t a[32], b[32], items[16];
    random_sig(&rs, a, 32);
    random_sig(&rs, b, 32);
    /* an empty index has no bucket */
    assert_int_equal(t_bucket(&l, a, 0, 0), ND__LSH_END);
    assert_int_equal(t_insert(&l, 0, a, 0), ND_OK);
    assert_int_equal(t_insert(&l, 1, b, 0), ND_OK);
    assert_int_equal(t_insert(&l, 2, a, 0), ND_OK);
    for (unsigned band = 0; band < bands; band++) {
        size_t n = chain(&l, a, band, items, 16);
        assert_int_equal(n, 2);
        assert_int_equal(items[0], 2);
        assert_int_equal(items[1], 0);
        n = chain(&l, b, band, items, 16);
        assert_int_equal(n, 1);
        assert_int_equal(items[0], 1);
    }
    /* a signature that shares only band 3 with a */
    uint32_t c[32];
    random_sig(&rs, c, 32);
    memcpy(c + 3 * rows, a + 3 * rows, rows * sizeof *c);
    for (unsigned band = 0; band < bands; band++) {
        size_t n = chain(&l, c, band, items, 16);
        assert_int_equal(n, band == 3 ? 2 : 0);
    }
    /* clear empties the index; it can be filled again */
    nd__lsh_clear(&l);
    for (unsigned band = 0; band < bands; band++) assert_int_equal(t_bucket(&l, a, band, 0), ND__LSH_END);
    assert_int_equal(t_insert(&l, 0, b, 0), ND_OK);
    assert_int_equal(chain(&l, b, 0, items, 16), 1);
    assert_int_equal(chain(&l, a, 0, items, 16), 0);
    nd__lsh_free(&l);
    nd__lsh_free(&l);   /* freeing twice is harmless: the struct is zeroed */
}

static void test_salt_separates_partitions(void **state)
{
    (void)state;
    /* the same signature under two salts lands in two buckets */
    nd__lsh l;
    const unsigned bands = 4, rows = 4;
    assert_int_equal(nd__lsh_init(&l, nd__default_allocator(), bands, rows), ND_OK);
    uint64_t rs = 5;
    uint32_t sig[16], items[8];
    random_sig(&rs, sig, 16);
    assert_int_equal(t_insert(&l, 0, sig, 111), ND_OK);
    assert_int_equal(t_insert(&l, 1, sig, 222), ND_OK);
    assert_int_equal(t_insert(&l, 2, sig, 111), ND_OK);
    for (unsigned band = 0; band < bands; band++) {
        size_t n = 0;
        for (uint32_t e = t_bucket(&l, sig, band, 111); e != ND__LSH_END; e = nd__lsh_next(&l, e))
            items[n++] = e / bands;
        assert_int_equal(n, 2);
        assert_int_equal(items[0], 2);
        assert_int_equal(items[1], 0);
        uint32_t e = t_bucket(&l, sig, band, 222);
        assert_int_equal(e / bands, 1);
        assert_int_equal(nd__lsh_next(&l, e), ND__LSH_END);
        assert_int_equal(t_bucket(&l, sig, band, 0), ND__LSH_END);
    }
    nd__lsh_free(&l);
}

static void test_chain_newest_first(void **state)
{
    (void)state;
    nd__lsh l;
    const unsigned bands = 4, rows = 2;
    assert_int_equal(nd__lsh_init(&l, nd__default_allocator(), bands, rows), ND_OK);
    uint64_t rs = 11;
    uint32_t same[8], other[8], items[64];
    random_sig(&rs, same, 8);
    /* items 0..39: every third has a signature of its own */
    for (uint32_t i = 0; i < 40; i++) {
        random_sig(&rs, other, 8);
        assert_int_equal(t_insert(&l, i, i % 3 == 1 ? other : same, 0), ND_OK);
    }
    for (unsigned band = 0; band < bands; band++) {
        size_t n = chain(&l, same, band, items, 64);
        uint32_t want = 39;
        for (size_t j = 0; j < n; j++, want--) {
            while (want % 3 == 1) want--;
            assert_int_equal(items[j], want);
        }
        assert_int_equal(n, 40 - 13);
    }
    nd__lsh_free(&l);
}

static void test_growth_keeps_every_bucket(void **state)
{
    (void)state;
    /* enough distinct band keys to rehash the table several times */
    nd__lsh l;
    const unsigned bands = 16, rows = 8, k = bands * rows;
    const uint32_t n = 3000;
    assert_int_equal(nd__lsh_init(&l, nd__default_allocator(), bands, rows), ND_OK);
    uint32_t *sigs = malloc((size_t)n * k * sizeof *sigs);
    assert_non_null(sigs);
    uint64_t rs = 99;
    for (uint32_t i = 0; i < n; i++) {
        random_sig(&rs, sigs + (size_t)i * k, k);
        assert_int_equal(t_insert(&l, i, sigs + (size_t)i * k, 0), ND_OK);
    }
    assert_true(l.slots >= 2 * l.used);
    assert_int_equal(l.used, (size_t)n * bands);
    assert_int_equal(l.entries, (size_t)n * bands);
    for (uint32_t i = 0; i < n; i++)
        for (unsigned band = 0; band < bands; band++) {
            uint32_t items[4];
            size_t c = chain(&l, sigs + (size_t)i * k, band, items, 4);
            assert_int_equal(c, 1);
            assert_int_equal(items[0], i);
        }
    free(sigs);
    nd__lsh_free(&l);
}

static void test_too_many_items(void **state)
{
    (void)state;
    /* entries are 32-bit: an item number past UINT32_MAX / bands is refused
     * before anything is allocated */
    nd__lsh l;
    assert_int_equal(nd__lsh_init(&l, nd__default_allocator(), 16, 8), ND_OK);
    uint32_t sig[128] = { 0 };
    assert_int_equal(t_insert(&l, UINT32_MAX / 16, sig, 0), ND_E_TOO_LARGE);
    assert_null(l.next);
    nd__lsh_free(&l);
}

/* a: n random elements; b: a copy with m of them replaced, so that
 * J(a, b) = (n - m) / (n + m) */
static void planted_pair(uint64_t *rs, uint64_t *a, uint64_t *b, size_t n, size_t m)
{
    for (size_t j = 0; j < n; j++) a[j] = b[j] = rng_next(rs);
    for (size_t j = 0; j < m; j++) b[j] = rng_next(rs);
}

/* Inserts `sets` random sets and queries planted copies at J = (n-m)/(n+m);
 * returns the share of copies whose original is a candidate. Also counts in
 * *false_pairs the other items met. */
static double recall(unsigned k, unsigned bands, unsigned rows, size_t n, size_t m,
                     size_t sets, uint64_t seed, size_t *false_pairs)
{
    nd__minhash mh;
    assert_int_equal(nd__minhash_init(&mh, nd__default_allocator(), k, 1234, ND_MINHASH_MAS64), ND_OK);
    nd__lsh l;
    assert_int_equal(nd__lsh_init(&l, nd__default_allocator(), bands, rows), ND_OK);
    uint32_t *orig = malloc(sets * k * sizeof *orig), *copy = malloc(sets * k * sizeof *copy);
    uint64_t *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    uint8_t *seen = calloc(sets, 1);
    assert_true(orig && copy && a && b && seen);
    uint64_t rs = seed;
    for (size_t i = 0; i < sets; i++) {
        planted_pair(&rs, a, b, n, m);
        nd__minhash_sign(&mh, a, n, orig + i * k);
        nd__minhash_sign(&mh, b, n, copy + i * k);
        assert_int_equal(t_insert(&l, (uint32_t)i, orig + i * k, 0), ND_OK);
    }
    size_t found = 0;
    *false_pairs = 0;
    for (size_t i = 0; i < sets; i++) {
        memset(seen, 0, sets);
        for (unsigned band = 0; band < bands; band++)
            for (uint32_t e = t_bucket(&l, copy + i * k, band, 0); e != ND__LSH_END;
                 e = nd__lsh_next(&l, e))
                seen[e / bands] = 1;
        found += seen[i];
        for (size_t q = 0; q < sets; q++) *false_pairs += (q != i) & seen[q];
    }
    free(orig);
    free(copy);
    free(a);
    free(b);
    free(seen);
    nd__lsh_free(&l);
    nd__minhash_free(&mh, nd__default_allocator());
    return (double)found / (double)sets;
}

static void test_recall_of_planted_near_duplicates(void **state)
{
    (void)state;
    /* the bands a default context uses for repeats (t = 0.7, K = 128): copies
     * at J >= 0.85 are candidates at least 99% of the time */
    nd_ctx *ctx;
    assert_int_equal(nd_ctx_create(&ctx, NULL, NULL), ND_OK);
    const unsigned b = ctx->repeat_bands, r = ctx->repeat_rows;
    nd_ctx_free(ctx);
    size_t fp;
    /* n = 100, m = 8: J = 92/108 = 0.852 */
    double rec = recall(128, b, r, 100, 8, 1000, 1, &fp);
    if (rec < 0.99) fail_msg("recall %.4f at J=0.852 (b=%u r=%u)", rec, b, r);
    /* n = 200, m = 10: J = 190/210 = 0.905 */
    rec = recall(128, b, r, 200, 10, 1000, 2, &fp);
    if (rec < 0.99) fail_msg("recall %.4f at J=0.905 (b=%u r=%u)", rec, b, r);
    /* unrelated random sets are (almost) never candidates */
    assert_true(fp <= 10);
}

static void test_recall_follows_s_curve(void **state)
{
    (void)state;
    /* measured candidate rates agree with 1 - (1 - s^r)^b within 4 sigma:
     * t = 0.8 with equal weights puts J = 0.8 on the steep part */
    unsigned b, r;
    nd__lsh_optimal(0.8, 128, 0.5, 0.5, &b, &r);
    static const size_t ms[] = { 11, 25, 43 };   /* n = 100: J = 0.80, 0.60, 0.40 */
    for (size_t i = 0; i < 3; i++) {
        size_t fp;
        const size_t sets = 1000;
        double j = (100.0 - (double)ms[i]) / (100.0 + (double)ms[i]);
        double rec = recall(128, b, r, 100, ms[i], sets, 10 + i, &fp);
        double p = p_candidate(j, b, r), sd = sqrt(p * (1 - p) / (double)sets);
        if (fabs(rec - p) > 4 * sd + 0.01)
            fail_msg("J=%.3f: candidates %.4f, S-curve %.4f (b=%u r=%u)", j, rec, p, b, r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_optimal_fits_k),
        cmocka_unit_test(test_optimal_curve_t08_k128),
        cmocka_unit_test(test_optimal_matches_full_scan),
        cmocka_unit_test(test_for_recall),
        cmocka_unit_test(test_context_bands),
        cmocka_unit_test(test_band_key),
        cmocka_unit_test(test_keys_kernels_agree),
        cmocka_unit_test(test_identical_signatures_share_buckets),
        cmocka_unit_test(test_salt_separates_partitions),
        cmocka_unit_test(test_chain_newest_first),
        cmocka_unit_test(test_growth_keeps_every_bucket),
        cmocka_unit_test(test_too_many_items),
        cmocka_unit_test(test_recall_of_planted_near_duplicates),
        cmocka_unit_test(test_recall_follows_s_curve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
