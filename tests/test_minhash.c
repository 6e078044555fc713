/*
 * MinHash signatures (src/minhash.c): golden values, similarity, merge, the
 * kernel chosen at run time against a scalar reference, and the statistics
 * of the Jaccard estimator.
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

#define EMPTY UINT32_MAX

/* Deterministic PRNG for reproducible random sets (splitmix64). */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Every scheme (nd_minhash_scheme) must pass the same tests. */
static const unsigned schemes[] = { ND_MINHASH_MAS64, ND_MINHASH_MUL32 };
#define NSCHEMES (sizeof schemes / sizeof schemes[0])

static nd_ctx *ctx_scheme(unsigned k, uint64_t seed, unsigned scheme)
{
    nd_params p;
    nd_ctx *ctx = NULL;
    assert_int_equal(nd_params_init(&p, ND_PARAMS_VERSION), ND_OK);
    p.num_perm = k;
    p.seed = seed;
    p.minhash_scheme = scheme;
    assert_int_equal(nd_ctx_create(&ctx, &p, NULL), ND_OK);
    return ctx;
}

static nd_ctx *ctx_with(unsigned k, uint64_t seed)
{
    nd_params p;
    nd_ctx *ctx = NULL;
    assert_int_equal(nd_params_init(&p, ND_PARAMS_VERSION), ND_OK);
    p.num_perm = k;
    p.seed = seed;
    assert_int_equal(nd_ctx_create(&ctx, &p, NULL), ND_OK);
    return ctx;
}

/*
 * Golden signature. Stored signatures (FORMAT.md) are these values: a change
 * in them (tokenizer, shingle hash, coefficient stream, hash family) is a
 * FORMAT BREAK that needs a new format/normalization version, not an update
 * of the numbers. Computed once with the default parameters.
 */
static const char golden_text[] =
    "The quick brown fox jumps over the lazy dog near the river bank.";
static const uint32_t golden_sig_head[8] = {
    0x083c1703u, 0x03262be3u, 0x079e379bu, 0x299cece0u,
    0x5316efcfu, 0x0aad73cdu, 0x2c3f8701u, 0x02661436u,
};
static const uint32_t golden_sig_tail[8] = { /* values 120..127 */
    0x1a852b87u, 0x1a6f51a5u, 0x24a8fcb3u, 0x05d87fffu,
    0x0b943e10u, 0x2b65587du, 0x08288c66u, 0x144d3786u,
};
static const uint32_t golden_sig_bytes[8] = { /* "***": no word, raw bytes */
    0x4dc2093cu, 0xc4337060u, 0xdbdc7f07u, 0x4e8b01a6u,
    0x7fa0627au, 0x16826843u, 0x1e4aa7ccu, 0xae6ca69au,
};

/* Scheme 2 (mul32), same texts and defaults otherwise. */
static const uint32_t golden32_head[8] = {
    0x0c3821ecu, 0x1010e3cfu, 0x137e197cu, 0x039d5a4eu,
    0x24971f07u, 0x028cb277u, 0x03d14aafu, 0x2b0e571fu,
};
static const uint32_t golden32_tail[8] = { /* values 120..127 */
    0x1c16c21cu, 0x0c446080u, 0x054d1bc3u, 0x11095c6bu,
    0x08da1c05u, 0x1352906cu, 0x0a6ec0a6u, 0x276bdeb3u,
};
static const uint32_t golden32_bytes[8] = { /* "***" */
    0xc9f88af1u, 0x248be892u, 0xa3d18b90u, 0xdb4d1ef0u,
    0xf1d465c6u, 0x2cd74256u, 0x7541ef89u, 0xcd0e6a3fu,
};

static void check_golden(unsigned scheme, const uint32_t *head, const uint32_t *tail,
                         const uint32_t *bytes)
{
    nd_ctx *ctx = ctx_scheme(128, ND_DEFAULT_SEED, scheme);
    assert_int_equal(nd_ctx_num_perm(ctx), 128);
    uint32_t sig[128];
    assert_int_equal(nd_sign_text(ctx, golden_text, strlen(golden_text), sig, sizeof sig / sizeof *sig), ND_OK);
    if (getenv("ND_TEST_VERBOSE"))
        for (int i = 0; i < 128; i++) print_message("scheme %u value %d: 0x%08xu\n", scheme, i, sig[i]);
    for (int i = 0; i < 8; i++) {
        if (sig[i] != head[i])
            fail_msg("scheme %u value %d: 0x%08xu, golden 0x%08xu (isa %s)", scheme, i, sig[i],
                     head[i], nd_ctx_isa(ctx));
        if (sig[120 + i] != tail[i])
            fail_msg("scheme %u value %d: 0x%08xu, golden 0x%08xu (isa %s)", scheme, 120 + i,
                     sig[120 + i], tail[i], nd_ctx_isa(ctx));
    }
    assert_int_equal(nd_sign_text(ctx, "***", 3, sig, sizeof sig / sizeof *sig), ND_OK);
    if (getenv("ND_TEST_VERBOSE"))
        for (int i = 0; i < 8; i++) print_message("scheme %u bytes %d: 0x%08xu\n", scheme, i, sig[i]);
    assert_memory_equal(sig, bytes, 8 * sizeof *bytes);
    nd_ctx_free(ctx);
}

static void test_golden_signature(void **state)
{
    (void)state;
    check_golden(ND_MINHASH_MAS64, golden_sig_head, golden_sig_tail, golden_sig_bytes);
    check_golden(ND_MINHASH_MUL32, golden32_head, golden32_tail, golden32_bytes);
    /* the default is one of them, recorded by every context */
    nd_ctx *ctx;
    nd_params p;
    assert_int_equal(nd_ctx_create(&ctx, NULL, NULL), ND_OK);
    nd_ctx_params(ctx, &p);
    assert_int_equal(p.minhash_scheme, ND_DEFAULT_MINHASH_SCHEME);
    nd_ctx_free(ctx);
}

static void test_sign_text_arguments(void **state)
{
    (void)state;
    nd_ctx *ctx;
    uint32_t sig[128], sig2[128];
    assert_int_equal(nd_ctx_create(&ctx, NULL, NULL), ND_OK);
    assert_int_equal(nd_sign_text(NULL, "a", 1, sig, sizeof sig / sizeof *sig), ND_E_INVALID);
    assert_int_equal(nd_sign_text(ctx, "a", 1, NULL, 128), ND_E_INVALID);
    assert_int_equal(nd_sign_text(ctx, NULL, 1, sig, sizeof sig / sizeof *sig), ND_E_INVALID);
    /* the caller's capacity: one value short is refused and nothing written;
     * more room than K is fine and the values past K are left alone */
    uint32_t big[130];
    for (size_t i = 0; i < 130; i++) big[i] = 7;
    assert_int_equal(nd_sign_text(ctx, "a b c d e f", 11, big, 127), ND_E_BUFFER);
    for (size_t i = 0; i < 130; i++) assert_int_equal(big[i], 7);
    assert_int_equal(nd_sign_text(ctx, "a b c d e f", 11, big, 0), ND_E_BUFFER);
    assert_int_equal(nd_sign_text(ctx, "a b c d e f", 11, big, 130), ND_OK);
    assert_int_equal(nd_sign_text(ctx, "a b c d e f", 11, sig, 128), ND_OK);
    assert_memory_equal(big, sig, sizeof sig);
    assert_int_equal(big[128], 7);
    assert_int_equal(big[129], 7);
    assert_string_equal(nd_strerror(ND_E_BUFFER), "output buffer too small");
    /* NULL text of size 0 is the empty text, which has a signature */
    assert_int_equal(nd_sign_text(ctx, NULL, 0, sig, sizeof sig / sizeof *sig), ND_OK);
    assert_int_equal(nd_sign_text(ctx, "", 0, sig2, sizeof sig2 / sizeof *sig2), ND_OK);
    assert_memory_equal(sig, sig2, sizeof sig);
    /* equal texts always match, even without words */
    assert_true(nd_signature_similarity(sig, sig2, 128) == 1.0);
    nd_ctx_free(ctx);
}

static void test_similarity(void **state)
{
    (void)state;
    nd_ctx *ctx;
    uint32_t a[128], b[128];
    assert_int_equal(nd_ctx_create(&ctx, NULL, NULL), ND_OK);
    const char *t = "Vehicles used for suicide car bombings are seen at Federal Police Headquarters";
    assert_int_equal(nd_sign_text(ctx, t, strlen(t), a, sizeof a / sizeof *a), ND_OK);
    /* identical sets: exactly 1, whatever the spelling */
    const char *u = "VEHICLES used for suicide car-bombings,  are seen at federal police headquarters.";
    assert_int_equal(nd_sign_text(ctx, u, strlen(u), b, sizeof b / sizeof *b), ND_OK);
    assert_true(nd_signature_similarity(a, b, 128) == 1.0);
    assert_true(nd_signature_similarity(a, a, 128) == 1.0);
    /* unrelated text: near 0 */
    const char *v = "Sign up for Breaking News by AOL to get the latest breaking news alerts";
    assert_int_equal(nd_sign_text(ctx, v, strlen(v), b, sizeof b / sizeof *b), ND_OK);
    assert_true(nd_signature_similarity(a, b, 128) < 0.05);
    /* degenerate arguments */
    assert_true(nd_signature_similarity(a, a, 0) == 0.0);
    assert_true(nd_signature_similarity(NULL, a, 128) == 0.0);
    assert_true(nd_signature_similarity(a, NULL, 128) == 0.0);
    /* the share of equal positions, exactly */
    memcpy(b, a, sizeof b);
    for (int i = 0; i < 32; i++) b[i] ^= 1;
    assert_true(nd_signature_similarity(a, b, 128) == 0.75);
    /* positions with no shingle never count as equal */
    uint32_t e1[4] = { EMPTY, EMPTY, 7, 9 }, e2[4] = { EMPTY, EMPTY, 7, 8 };
    assert_true(nd_signature_similarity(e1, e2, 4) == 0.25);
    assert_true(nd_signature_similarity(e1, e1, 2) == 0.0);
    nd_ctx_free(ctx);
}

static void test_similarity_bits(void **state)
{
    (void)state;
    uint64_t rs = 77;
    uint32_t a[64], b[64];
    for (int i = 0; i < 64; i++) a[i] = b[i] = (uint32_t)rng_next(&rs);
    /* bits = 32 is nd_signature_similarity */
    for (int i = 0; i < 16; i++) b[i] ^= 0x10000;
    assert_true(nd_signature_similarity_bits(a, b, 64, 32) == nd_signature_similarity(a, b, 64));
    assert_true(nd_signature_similarity_bits(a, b, 64, 32) == 0.75);
    /* only the low bits count: a difference above them is no difference */
    assert_true(nd_signature_similarity_bits(a, b, 64, 16) == 1.0);
    assert_true(nd_signature_similarity_bits(a, b, 64, 8) == 1.0);
    /* the share p of equal positions is corrected: J = (p - 2^-b) / (1 - 2^-b) */
    for (int i = 0; i < 16; i++) b[i] = a[i] ^ 0x1;
    double c = 1.0 / 65536.0;
    assert_true(fabs(nd_signature_similarity_bits(a, b, 64, 16) - (0.75 - c) / (1.0 - c)) < 1e-15);
    c = 1.0 / 256.0;
    assert_true(fabs(nd_signature_similarity_bits(a, b, 64, 8) - (0.75 - c) / (1.0 - c)) < 1e-15);
    /* clamped to [0, 1]: no equal position gives 0, not a negative value */
    for (int i = 0; i < 64; i++) b[i] = a[i] ^ 0x1;
    assert_true(nd_signature_similarity_bits(a, b, 64, 8) == 0.0);
    assert_true(nd_signature_similarity_bits(a, a, 64, 8) == 1.0);
    /* degenerate arguments */
    assert_true(nd_signature_similarity_bits(a, a, 0, 8) == 0.0);
    assert_true(nd_signature_similarity_bits(NULL, a, 64, 8) == 0.0);
    assert_true(nd_signature_similarity_bits(a, NULL, 64, 16) == 0.0);
}

static void test_empty_set(void **state)
{
    (void)state;
    nd_ctx *ctx = ctx_with(16, ND_DEFAULT_SEED);
    uint32_t sig[16];
    memset(sig, 0, sizeof sig);
    nd__minhash_sign(&ctx->mh, NULL, 0, sig);
    for (int i = 0; i < 16; i++) assert_int_equal(sig[i], EMPTY);
    nd_ctx_free(ctx);
}

/* Reference: value i = min over x of ((a_i x + b_i) mod 2^64) >> 32 (mas64),
 * or of g xor (g >> 16), g = (a_i y + b_i) mod 2^32, y = x xor (x >> 32) (mul32). */
static void reference_sign(const nd__minhash *mh, const uint64_t *x, size_t n, uint32_t *sig)
{
    for (unsigned i = 0; i < mh->k; i++) {
        uint32_t m = EMPTY;
        for (size_t j = 0; j < n; j++) {
            uint32_t y = (uint32_t)(x[j] ^ (x[j] >> 32));
            uint32_t h = mh->scheme == ND_MINHASH_MAS64
                ? (uint32_t)((mh->a[i] * x[j] + mh->b[i]) >> 32)
                : (mh->a32[i] * y + mh->b32[i]) ^ ((mh->a32[i] * y + mh->b32[i]) >> 16);
            if (h < m) m = h;
        }
        sig[i] = m;
    }
}

static void test_kernel_matches_reference(void **state)
{
    (void)state;
    /* whatever kernel the CPU got (avx512, avx2 or portable), it computes the
     * documented hash family, for K not a multiple of any vector width too.
     * The stage is set up directly: a context would also tune its LSH bands,
     * which takes seconds at K = 1024 in a sanitizer build. */
    static const unsigned ks[] = { 1, 3, 7, 8, 9, 15, 16, 17, 31, 64, 100, 127, 128, 129, 255, 1024 };
    uint64_t rs = 42;
    uint64_t x[300];
    for (size_t j = 0; j < 300; j++) x[j] = rng_next(&rs);
    x[7] = 0;
    x[8] = UINT64_MAX;
    nd_ctx *ctx = ctx_with(8, ND_DEFAULT_SEED);
    const char *isa = nd_ctx_isa(ctx);
    assert_true(strcmp(isa, "avx512") == 0 || strcmp(isa, "avx2") == 0
                || strcmp(isa, "portable") == 0);
    assert_ptr_equal(isa, ctx->mh.isa);
    nd_ctx_free(ctx);
    for (size_t t = 0; t < 2 * sizeof ks / sizeof ks[0]; t++) {
        nd__minhash mh;
        const unsigned scheme = schemes[t % NSCHEMES], k = ks[t / NSCHEMES];
        assert_int_equal(nd__minhash_init(&mh, nd__default_allocator(), k, ND_DEFAULT_SEED + t, scheme), ND_OK);
        assert_string_equal(mh.isa, isa);
        assert_int_equal(mh.k, k);
        assert_int_equal(mh.scheme, scheme);
        for (unsigned i = 0; i < k; i++)  /* odd multipliers */
            assert_true(scheme == ND_MINHASH_MAS64 ? (mh.a[i] & 1) : (mh.a32[i] & 1));
        uint32_t got[1024], want[1024];
        for (size_t n = 0; n <= 300; n += (n < 5 ? 1 : 37)) {
            nd__minhash_sign(&mh, x, n, got);
            reference_sign(&mh, x, n, want);
            if (memcmp(got, want, k * sizeof *got) != 0)
                fail_msg("scheme %u K=%u n=%zu: %s kernel differs from the reference", scheme, k, n, isa);
        }
        nd__minhash_free(&mh, nd__default_allocator());
    }
}

static void contexts_deterministic(unsigned scheme)
{
    nd_ctx *c1 = ctx_scheme(128, 99, scheme), *c2 = ctx_scheme(128, 99, scheme),
           *c3 = ctx_scheme(128, 100, scheme);
    uint32_t s1[128], s2[128], s3[128];
    assert_int_equal(nd_sign_text(c1, golden_text, strlen(golden_text), s1, sizeof s1 / sizeof *s1), ND_OK);
    assert_int_equal(nd_sign_text(c2, golden_text, strlen(golden_text), s2, sizeof s2 / sizeof *s2), ND_OK);
    assert_int_equal(nd_sign_text(c3, golden_text, strlen(golden_text), s3, sizeof s3 / sizeof *s3), ND_OK);
    assert_memory_equal(s1, s2, sizeof s1);
    /* another seed: essentially every value differs */
    size_t same = 0;
    for (int i = 0; i < 128; i++) same += s1[i] == s3[i];
    assert_true(same <= 2);
    /* the coefficient stream does not depend on K: a context with K = 16
     * gives the first 16 values of the K = 128 signature */
    nd_ctx *c4 = ctx_scheme(16, 99, scheme);
    uint32_t s4[16];
    assert_int_equal(nd_sign_text(c4, golden_text, strlen(golden_text), s4, sizeof s4 / sizeof *s4), ND_OK);
    assert_memory_equal(s4, s1, sizeof s4);
    nd_ctx_free(c1);
    nd_ctx_free(c2);
    nd_ctx_free(c3);
    nd_ctx_free(c4);
}

static void test_contexts_deterministic_and_seeded(void **state)
{
    (void)state;
    for (size_t sc = 0; sc < NSCHEMES; sc++) contexts_deterministic(schemes[sc]);
}

static void test_schemes_differ_and_never_compare(void **state)
{
    (void)state;
    /* the two schemes give unrelated values for one text ... */
    nd_ctx *c1 = ctx_scheme(128, ND_DEFAULT_SEED, ND_MINHASH_MAS64);
    nd_ctx *c2 = ctx_scheme(128, ND_DEFAULT_SEED, ND_MINHASH_MUL32);
    uint32_t s1[128], s2[128];
    assert_int_equal(nd_sign_text(c1, golden_text, strlen(golden_text), s1, 128), ND_OK);
    assert_int_equal(nd_sign_text(c2, golden_text, strlen(golden_text), s2, 128), ND_OK);
    assert_true(nd_signature_similarity(s1, s2, 128) < 0.05);
    /* ... so a collection refuses a document signed by the other scheme */
    nd_doc *doc;
    nd_corpus *corpus;
    assert_int_equal(nd_doc_create(&doc, c1), ND_OK);
    assert_int_equal(nd_corpus_create(&corpus, c2), ND_OK);
    assert_int_equal(nd_doc_analyze(doc, golden_text, strlen(golden_text)), ND_OK);
    assert_int_equal(nd_corpus_add(corpus, doc, "a", 1, "", 0, NULL), ND_E_PARAM_MISMATCH);
    nd_corpus_free(corpus);
    nd_doc_free(doc);
    /* and an unknown scheme is refused by name; 0 is the default */
    nd_params p;
    char msg[128];
    nd_ctx *c3 = NULL;
    assert_int_equal(nd_params_init(&p, ND_PARAMS_VERSION), ND_OK);
    p.minhash_scheme = 3;
    assert_int_equal(nd_params_check(&p, msg, sizeof msg), ND_E_PARAM);
    assert_non_null(strstr(msg, "minhash_scheme"));
    p.minhash_scheme = 0;
    assert_int_equal(nd_ctx_create(&c3, &p, NULL), ND_OK);
    nd_ctx_params(c3, &p);
    assert_int_equal(p.minhash_scheme, ND_DEFAULT_MINHASH_SCHEME);
    nd_ctx_free(c3);
    nd_ctx_free(c1);
    nd_ctx_free(c2);
}

static void test_merge_is_union(void **state)
{
    (void)state;
    nd_ctx *ctx = ctx_with(128, ND_DEFAULT_SEED);
    uint64_t rs = 7;
    for (int round = 0; round < 50; round++) {
        uint64_t u[400];
        size_t na = 1 + (size_t)(rng_next(&rs) % 200), nb = (size_t)(rng_next(&rs) % 200);
        for (size_t j = 0; j < na + nb; j++) u[j] = rng_next(&rs);
        /* some elements in both halves: a multiset union */
        if (nb > 3) { u[na] = u[0]; u[na + 1] = u[na - 1]; }
        uint32_t sa[128], sb[128], su[128];
        nd__minhash_sign(&ctx->mh, u, na, sa);
        nd__minhash_sign(&ctx->mh, u + na, nb, sb);
        nd__minhash_sign(&ctx->mh, u, na + nb, su);
        nd_signature_merge(sa, sb, 128);
        assert_memory_equal(sa, su, sizeof su);
    }
    /* merging NULL is a no-op, merging into an empty signature copies */
    uint32_t e[128], s[128];
    uint64_t one = 12345;
    nd__minhash_sign(&ctx->mh, &one, 1, s);
    nd__minhash_sign(&ctx->mh, NULL, 0, e);
    nd_signature_merge(e, NULL, 128);
    nd_signature_merge(NULL, s, 128);
    nd_signature_merge(e, s, 128);
    assert_memory_equal(e, s, sizeof s);
    nd_ctx_free(ctx);
}

static void test_merge_of_paragraphs(void **state)
{
    (void)state;
    /* the signature of two paragraphs' concatenated shingle multiset is the
     * merge of the paragraphs' signatures */
    nd_ctx *ctx;
    assert_int_equal(nd_ctx_create(&ctx, NULL, NULL), ND_OK);
    const char *p1 = "The administration is also under pressure from defense contractors";
    const char *p2 = "facing growing competition from foreign rivals such as China and Russia.";
    nd__tokenizer tk;
    uint64_t *arena = NULL;
    size_t len = 0, cap = 0, n1;
    nd__shingled info;
    nd__tokenizer_init(&tk, &ctx->alloc, ctx->params.seed);
    assert_int_equal(nd__shingle(&tk, p1, strlen(p1), 5, ctx->params.seed, &arena, &len, &cap, &info), 0);
    n1 = len;
    assert_int_equal(nd__shingle(&tk, p2, strlen(p2), 5, ctx->params.seed, &arena, &len, &cap, &info), 0);
    uint32_t s1[128], s2[128], both[128];
    nd__minhash_sign(&ctx->mh, arena, n1, s1);
    nd__minhash_sign(&ctx->mh, arena + n1, len - n1, s2);
    nd__minhash_sign(&ctx->mh, arena, len, both);
    /* and each paragraph's signature is what nd_sign_text gives */
    uint32_t t1[128], t2[128];
    assert_int_equal(nd_sign_text(ctx, p1, strlen(p1), t1, sizeof t1 / sizeof *t1), ND_OK);
    assert_int_equal(nd_sign_text(ctx, p2, strlen(p2), t2, sizeof t2 / sizeof *t2), ND_OK);
    assert_memory_equal(s1, t1, sizeof s1);
    assert_memory_equal(s2, t2, sizeof s2);
    nd_signature_merge(s1, s2, 128);
    assert_memory_equal(s1, both, sizeof both);
    nd__tokenizer_free(&tk);
    nd__free(&ctx->alloc, arena);
    nd_ctx_free(ctx);
}

/* Fills a and b (|a| = |b| = inter + only) with `inter` shared elements and
 * `only` elements each of its own: Jaccard = inter / (inter + 2 only). */
static void make_pair(uint64_t *rs, uint64_t *a, uint64_t *b, size_t inter, size_t only)
{
    for (size_t j = 0; j < inter; j++) a[j] = b[j] = rng_next(rs);
    for (size_t j = 0; j < only; j++) {
        a[inter + j] = rng_next(rs);
        b[inter + j] = rng_next(rs);
    }
}

static void test_estimator_statistics(void **state)
{
    (void)state;
    /* For 400 random pairs per J with a union of 200 elements, K = 128: the
     * estimate is unbiased (|mean error| < 0.01) and its standard deviation
     * is the binomial one, sqrt(J(1-J)/K), within 20%. A hash family that is
     * not min-wise independent enough shows up here as bias or extra spread. */
    static const double js[] = { 0.1, 0.3, 0.5, 0.7, 0.9 };
    const unsigned k = 128;
    const size_t pairs = 400, uni = 200;
    for (size_t sc = 0; sc < NSCHEMES; sc++) {
    nd_ctx *ctx = ctx_scheme(k, ND_DEFAULT_SEED, schemes[sc]);
    uint64_t rs = 20240101;
    for (size_t t = 0; t < sizeof js / sizeof js[0]; t++) {
        const double j = js[t];
        const size_t inter = (size_t)lround(j * (double)uni), only = (uni - inter) / 2;
        assert_true(inter + 2 * only == uni);
        double sum = 0.0, sum2 = 0.0;
        for (size_t p = 0; p < pairs; p++) {
            uint64_t a[200], b[200];
            uint32_t sa[128], sb[128];
            make_pair(&rs, a, b, inter, only);
            nd__minhash_sign(&ctx->mh, a, inter + only, sa);
            nd__minhash_sign(&ctx->mh, b, inter + only, sb);
            double err = nd_signature_similarity(sa, sb, k) - j;
            sum += err;
            sum2 += err * err;
        }
        double mean = sum / (double)pairs;
        double sd = sqrt((sum2 - sum * sum / (double)pairs) / (double)(pairs - 1));
        double want = sqrt(j * (1.0 - j) / (double)k);
        if (getenv("ND_TEST_VERBOSE"))
            print_message("scheme %u J=%.1f: mean error %+.4f, sd %.4f, binomial sd %.4f\n",
                          schemes[sc], j, mean, sd, want);
        if (fabs(mean) >= 0.01 || fabs(sd / want - 1.0) > 0.20)
            fail_msg("scheme %u J=%.1f: mean error %+.4f, sd %.4f, binomial sd %.4f", schemes[sc],
                     j, mean, sd, want);
    }
    nd_ctx_free(ctx);
    }
}

static void test_estimator_statistics_bbit(void **state)
{
    (void)state;
    /* b-bit MinHash (values cut to 8 or 16 bits): the corrected estimate is
     * unbiased too, and its spread is the binomial one of p = J + (1-J) 2^-b
     * scaled by 1 / (1 - 2^-b) (Li and König 2010), within 20% */
    static const double js[] = { 0.3, 0.5, 0.7, 0.9 };
    static const unsigned bits[] = { 8, 16 };
    const unsigned k = 128;
    const size_t pairs = 400, uni = 200;
    for (size_t sc = 0; sc < NSCHEMES; sc++) {
    nd__minhash mh;
    assert_int_equal(nd__minhash_init(&mh, nd__default_allocator(), k, ND_DEFAULT_SEED, schemes[sc]), ND_OK);
    for (size_t bi = 0; bi < 2; bi++) {
        uint64_t rs = 4242 + bi;
        const double c = 1.0 / (double)(1u << bits[bi]);
        for (size_t t = 0; t < sizeof js / sizeof js[0]; t++) {
            const double j = js[t];
            const size_t inter = (size_t)lround(j * (double)uni), only = (uni - inter) / 2;
            double sum = 0.0, sum2 = 0.0;
            for (size_t p = 0; p < pairs; p++) {
                uint64_t a[200], b[200];
                uint32_t sa[128], sb[128];
                make_pair(&rs, a, b, inter, only);
                nd__minhash_sign(&mh, a, inter + only, sa);
                nd__minhash_sign(&mh, b, inter + only, sb);
                for (unsigned i = 0; i < k; i++) {   /* keep the low bits only */
                    sa[i] &= (1u << bits[bi]) - 1;
                    sb[i] &= (1u << bits[bi]) - 1;
                }
                double err = nd_signature_similarity_bits(sa, sb, k, bits[bi]) - j;
                sum += err;
                sum2 += err * err;
            }
            double mean = sum / (double)pairs;
            double sd = sqrt((sum2 - sum * sum / (double)pairs) / (double)(pairs - 1));
            double pe = j + (1.0 - j) * c;
            double want = sqrt(pe * (1.0 - pe) / (double)k) / (1.0 - c);
            if (getenv("ND_TEST_VERBOSE"))
                print_message("scheme %u bits=%u J=%.1f: mean error %+.4f, sd %.4f, expected sd %.4f\n",
                              schemes[sc], bits[bi], j, mean, sd, want);
            if (fabs(mean) >= 0.01 || fabs(sd / want - 1.0) > 0.20)
                fail_msg("scheme %u bits=%u J=%.1f: mean error %+.4f, sd %.4f, expected sd %.4f",
                         schemes[sc], bits[bi], j, mean, sd, want);
        }
    }
    nd__minhash_free(&mh, nd__default_allocator());
    }
}

/* The 16-bit codes a collection keeps (nd__code16): they keep the values'
 * order, so merging codes equals coding the merge; empty stays empty and
 * only empty; and the estimate from codes is the values' one but for rare
 * shared codes of different minima. */
static void test_codes(void **state)
{
    (void)state;
    static const uint32_t edges[] = { 0, 1, 31, 32, (1u << 17) - 1, 1u << 17, (1u << 17) + 1, 1u << 20,
                                      0x7FFFFFFFu, 0x80000000u, 0xFFF7FFFFu, 0xFFF80000u, UINT32_MAX - 1 };
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        assert_true(nd__code16(edges[i]) < ND__CODE_EMPTY);
        if (i) assert_true(nd__code16(edges[i - 1]) <= nd__code16(edges[i]));
    }
    assert_int_equal(nd__code16(EMPTY), ND__CODE_EMPTY);
    assert_int_equal(nd__code_widen(ND__CODE_EMPTY), EMPTY);
    assert_int_equal(nd__code16(1u << 20), nd__code16((1u << 20) + 1)); /* 1 in 2^12 kept at 2^20 */
    assert_true(nd__code16(1u << 20) < nd__code16((1u << 20) + (1u << 9)));
    /* the vectorised conversion gives nd__code16 at every exponent and edge */
    uint32_t vals[4099];
    uint16_t got[4099];
    uint64_t rv = 5;
    for (int round = 0; round < 64; round++) {
        for (size_t i = 0; i < 4099; i++)
            vals[i] = i < sizeof edges / sizeof edges[0] && round == 0 ? edges[i]
                    : (uint32_t)rng_next(&rv) >> (rng_next(&rv) % 33 & 31);
        if (round == 1) vals[7] = EMPTY;
        nd__codes_of(got, vals, 4099);
        for (size_t i = 0; i < 4099; i++)
            if (got[i] != nd__code16(vals[i])) fail_msg("code of %u: %u, want %u", vals[i], got[i], nd__code16(vals[i]));
    }
    for (uint64_t v = 0; v <= UINT32_MAX; v += 65521) { /* every exponent, a prime step apart */
        uint32_t one[8] = { (uint32_t)v, (uint32_t)v + 1, (uint32_t)v - 1, (uint32_t)v ^ 0xFFF, 0, 0, 0, 0 };
        uint16_t out[8];
        nd__codes_of(out, one, 8);
        for (int i = 0; i < 4; i++) assert_int_equal(out[i], nd__code16(one[i]));
    }
    uint64_t rs = 99;
    for (int n = 0; n < 200000; n++) {
        uint32_t a = (uint32_t)rng_next(&rs) >> (rng_next(&rs) & 31), b = (uint32_t)rng_next(&rs);
        uint32_t lo = a < b ? a : b;
        uint16_t ca = nd__code16(a), cb = nd__code16(b);
        assert_true(a > b ? ca >= cb : ca <= cb);
        assert_int_equal(nd__code16(lo), ca < cb ? ca : cb);
    }
    /* empty merges as the largest code, on the vector path and the tail */
    uint16_t acc[11], src[11];
    uint32_t wide[11];
    for (int i = 0; i < 11; i++) {
        acc[i] = i % 2 ? ND__CODE_EMPTY : (uint16_t)(0x8000 + i);
        src[i] = i % 3 ? ND__CODE_EMPTY : (uint16_t)(0x7FFF - i);
    }
    nd__code_min(acc, src, 11);
    nd__codes_widen(wide, acc, 11);
    for (int i = 0; i < 11; i++) {
        uint16_t want = i % 3 == 0 ? (uint16_t)(0x7FFF - i) : i % 2 ? ND__CODE_EMPTY : (uint16_t)(0x8000 + i);
        assert_int_equal(acc[i], want);
        assert_int_equal(wide[i], nd__code_widen(want));
    }
    assert_int_equal(wide[1], EMPTY);
    const unsigned k = 128;
    for (size_t sc = 0; sc < NSCHEMES; sc++) {
        nd_ctx *ctx = ctx_scheme(k, ND_DEFAULT_SEED, schemes[sc]);
        size_t differ = 0, pairs = 0;
        double worst = 0.0;
        for (size_t t = 0; t < 5; t++) {
            const size_t inter = 40 * t, only = (200 - inter) / 2;
            for (int p = 0; p < 400; p++, pairs++) {
                uint64_t a[200], b[200];
                uint32_t sa[128], sb[128], merged[128], from_codes[128];
                uint16_t ca[128], cb[128];
                make_pair(&rs, a, b, inter, only);
                nd__minhash_sign(&ctx->mh, a, inter + only, sa);
                nd__minhash_sign(&ctx->mh, b, inter + only, sb);
                for (unsigned i = 0; i < k; i++) {
                    ca[i] = nd__code16(sa[i]);
                    cb[i] = nd__code16(sb[i]);
                }
                size_t same = 0;
                for (unsigned i = 0; i < k; i++) same += ca[i] == cb[i] && ca[i] != ND__CODE_EMPTY;
                assert_true(nd__code_similarity(ca, cb, k) == (double)same / k);
                unsigned kt = 8 * t + 3 + (unsigned)p % 5; /* shorter, with a tail past the blocks of 8 */
                same = 0;
                for (unsigned i = 0; i < kt; i++) same += ca[i] == cb[i] && ca[i] != ND__CODE_EMPTY;
                assert_true(nd__code_similarity(ca, cb, kt) == (double)same / kt);
                double d = nd__code_similarity(ca, cb, k) - nd_signature_similarity(sa, sb, k);
                assert_true(d >= 0.0); /* equal values give equal codes */
                differ += d > 0.0;
                worst = d > worst ? d : worst;
                memcpy(merged, sa, sizeof merged);
                nd_signature_merge(merged, sb, k);
                /* merged in codes (8 at a time, and a tail), then widened */
                uint16_t m16[128];
                memcpy(m16, ca, sizeof m16);
                nd__code_min(m16, cb, kt);
                nd__code_min(m16 + kt, cb + kt, k - kt);
                nd__codes_widen(from_codes, m16, k);
                for (unsigned i = 0; i < k; i++) assert_int_equal(from_codes[i], nd__code_widen(nd__code16(merged[i])));
            }
        }
        if (getenv("ND_TEST_VERBOSE"))
            print_message("scheme %u: codes raised %zu of %zu estimates, by at most %.4f\n", schemes[sc],
                          differ, pairs, worst);
        /* about 2^-14 per value: 128 values of 2000 pairs share a code ~16 times */
        assert_true(differ < pairs / 20);
        assert_true(worst <= 2.0 / k);
        nd_ctx_free(ctx);
    }
}

static void test_estimator_different_seeds(void **state)
{
    (void)state;
    /* over many seeds the estimate for one fixed pair averages to J */
    const size_t inter = 100, only = 50;   /* J = 0.5 */
    uint64_t rs = 5, a[150], b[150];
    make_pair(&rs, a, b, inter, only);
    for (size_t sc = 0; sc < NSCHEMES; sc++) {
    double sum = 0.0;
    const int seeds = 200;
    for (int s = 0; s < seeds; s++) {
        nd__minhash mh;
        assert_int_equal(nd__minhash_init(&mh, nd__default_allocator(), 64, 1000 + (uint64_t)s, schemes[sc]), ND_OK);
        uint32_t sa[64], sb[64];
        nd__minhash_sign(&mh, a, 150, sa);
        nd__minhash_sign(&mh, b, 150, sb);
        sum += nd_signature_similarity(sa, sb, 64);
        nd__minhash_free(&mh, nd__default_allocator());
    }
    /* sd of the mean: sqrt(0.25 / 64 / 200) = 0.0044 */
    assert_true(fabs(sum / seeds - 0.5) < 0.02);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_signature),
        cmocka_unit_test(test_sign_text_arguments),
        cmocka_unit_test(test_similarity),
        cmocka_unit_test(test_similarity_bits),
        cmocka_unit_test(test_empty_set),
        cmocka_unit_test(test_kernel_matches_reference),
        cmocka_unit_test(test_contexts_deterministic_and_seeded),
        cmocka_unit_test(test_schemes_differ_and_never_compare),
        cmocka_unit_test(test_merge_is_union),
        cmocka_unit_test(test_merge_of_paragraphs),
        cmocka_unit_test(test_estimator_statistics),
        cmocka_unit_test(test_estimator_statistics_bbit),
        cmocka_unit_test(test_estimator_different_seeds),
        cmocka_unit_test(test_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
