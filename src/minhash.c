/*
 * MinHash signatures, by one of two hash families (nd_minhash_scheme; the
 * number is what a store records as minhash_scheme, docs/FORMAT.md).
 *
 * ND_MINHASH_MAS64 (scheme 1). Value i of a signature is min over the
 * shingles x of
 *     h_i(x) = ((a_i * x + b_i) mod 2^64) >> 32
 * with a_i odd. This is Dietzfelbinger's multiply-add-shift family (a 64-bit
 * key to a 32-bit value), which needs only integer multiply and add; applied to
 * XXH3 shingle hashes it behaves as K independent permutations in the
 * estimator tests (tests/test_minhash.c). The coefficients come from a
 * splitmix64 stream of the seed, so a signature depends only on the text, the
 * seed, w and K: the same on every platform and byte order.
 *
 * ND_MINHASH_MUL32 (scheme 2). The shingle hash is folded to 32 bits,
 * y = x xor (x >> 32), and
 *     g = (a_i * y + b_i) mod 2^32,   h_i(y) = g xor (g >> 16)
 * with a_i odd: a permutation of the 32-bit values for each i, the
 * multiply-add family of Carter and Wegman applied to keys that XXH3 already
 * made uniform (the "32-bit MinHash" loop of the bench anchors, mh32), then
 * an xorshift. Lanes are 32 bits, so a 512-bit vector computes 16 values per
 * multiply instead of 8, and no 64-bit multiply (slow or absent in vector
 * units) is needed. The xorshift keeps the order by g's top half and puts
 * high bits into the low ones: b-bit signatures keep the low 8 or 16 bits,
 * and bit k of g alone depends only on bits 0..k of y, so two shingles
 * equal in their low byte would agree on every 8-bit value they win. Without
 * it, K = 32 at 8 bits lost 2 points of copy F1 on ../shared/eval. Folding
 * to 32 bits merges two shingles of a paragraph with probability n^2 / 2^33,
 * far below the estimator's own noise. The estimator tests hold for both.
 *
 * All K values of one shingle are computed together; the loop over i is
 * vectorised by the compiler. The kernels are compiled for AVX-512, AVX2 and
 * plain x86-64/other targets, and the best one the CPU supports is chosen
 * when a context is created. All give identical values.
 *
 * Because each h_i is applied per shingle, the signature of a union of sets
 * is the element-wise minimum of their signatures: a document's signature is
 * the merge of its paragraphs'.
 */
#include "internal.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif


/* Values are computed in blocks of ND__MH_BLOCK over all the shingles, so
 * that a block's coefficients and minima stay in registers (32 values: 8
 * AVX-512 registers of coefficients, 2 of minima) instead of being loaded
 * and stored again for every shingle; the shingles, a paragraph's worth, are
 * read once per block from L1. A k that is not a multiple of the block ends
 * with the plain loop. */
#define ND__MH_BLOCK 32u

#define ND__KERNEL(name, attr)                                                         \
    attr static void name(const uint64_t *restrict a, const uint64_t *restrict b,      \
                          unsigned k, const uint64_t *restrict sh, size_t n,           \
                          uint32_t *restrict sig)                                      \
    {                                                                                  \
        unsigned i0 = 0;                                                               \
        for (; i0 + ND__MH_BLOCK <= k; i0 += ND__MH_BLOCK) {                           \
            uint64_t ba[ND__MH_BLOCK], bb[ND__MH_BLOCK];                               \
            uint32_t m[ND__MH_BLOCK];                                                  \
            memcpy(ba, a + i0, sizeof ba);                                             \
            memcpy(bb, b + i0, sizeof bb);                                             \
            memcpy(m, sig + i0, sizeof m);                                             \
            for (size_t j = 0; j < n; j++) {                                           \
                const uint64_t x = sh[j];                                              \
                for (unsigned i = 0; i < ND__MH_BLOCK; i++) {                          \
                    uint32_t h = (uint32_t)((ba[i] * x + bb[i]) >> 32);                \
                    m[i] = h < m[i] ? h : m[i];                                        \
                }                                                                      \
            }                                                                          \
            memcpy(sig + i0, m, sizeof m);                                             \
        }                                                                              \
        for (size_t j = 0; j < n && i0 < k; j++) {                                     \
            const uint64_t x = sh[j];                                                  \
            for (unsigned i = i0; i < k; i++) {                                        \
                uint32_t h = (uint32_t)((a[i] * x + b[i]) >> 32);                      \
                sig[i] = h < sig[i] ? h : sig[i];                                      \
            }                                                                          \
        }                                                                              \
    }

/* The MUL32 kernel: the same blocking, 32 lanes of 32 bits per block. */
#define ND__KERNEL32(name, attr)                                                       \
    attr static void name(const uint32_t *restrict a, const uint32_t *restrict b,      \
                          unsigned k, const uint64_t *restrict sh, size_t n,           \
                          uint32_t *restrict sig)                                      \
    {                                                                                  \
        unsigned i0 = 0;                                                               \
        for (; i0 + ND__MH_BLOCK <= k; i0 += ND__MH_BLOCK) {                           \
            uint32_t ba[ND__MH_BLOCK], bb[ND__MH_BLOCK], m[ND__MH_BLOCK];              \
            memcpy(ba, a + i0, sizeof ba);                                             \
            memcpy(bb, b + i0, sizeof bb);                                             \
            memcpy(m, sig + i0, sizeof m);                                             \
            for (size_t j = 0; j < n; j++) {                                           \
                const uint32_t y = (uint32_t)(sh[j] ^ (sh[j] >> 32));                  \
                for (unsigned i = 0; i < ND__MH_BLOCK; i++) {                          \
                    uint32_t h = ba[i] * y + bb[i];                                    \
                    h ^= h >> 16;                                                      \
                    m[i] = h < m[i] ? h : m[i];                                        \
                }                                                                      \
            }                                                                          \
            memcpy(sig + i0, m, sizeof m);                                             \
        }                                                                              \
        for (size_t j = 0; j < n && i0 < k; j++) {                                     \
            const uint32_t y = (uint32_t)(sh[j] ^ (sh[j] >> 32));                      \
            for (unsigned i = i0; i < k; i++) {                                        \
                uint32_t h = a[i] * y + b[i];                                          \
                h ^= h >> 16;                                                          \
                sig[i] = h < sig[i] ? h : sig[i];                                      \
            }                                                                          \
        }                                                                              \
    }

ND__KERNEL(nd__mh_portable, )
ND__KERNEL32(nd__mh32_portable, )
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#  define ND__X86_DISPATCH 1
ND__KERNEL(nd__mh_avx2, __attribute__((target("avx2"))))
ND__KERNEL(nd__mh_avx512, __attribute__((target("avx512f,avx512dq,avx512vl"))))
ND__KERNEL32(nd__mh32_avx2, __attribute__((target("avx2"))))
ND__KERNEL32(nd__mh32_avx512, __attribute__((target("avx512f,avx512dq,avx512vl"))))
#endif

static void nd__pick_kernel(nd__minhash *mh)
{
    mh->fn = nd__mh_portable;
    mh->fn32 = nd__mh32_portable;
    mh->isa = "portable";
#ifdef ND__X86_DISPATCH
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512vl")) {
        mh->fn = nd__mh_avx512;
        mh->fn32 = nd__mh32_avx512;
        mh->isa = "avx512";
    } else if (__builtin_cpu_supports("avx2")) {
        mh->fn = nd__mh_avx2;
        mh->fn32 = nd__mh32_avx2;
        mh->isa = "avx2";
    }
#endif
}

static uint64_t nd__splitmix(uint64_t *state)
{
    *state += 0x9e3779b97f4a7c15ull;
    return nd__mix64(*state);
}

/* Coefficients of either scheme from the seed's splitmix64 stream; each
 * scheme salts the stream differently, so that value i of one is no copy of
 * value i of the other. */
static int nd__coefficients(nd__minhash *mh, const nd_allocator *al, unsigned k, uint64_t seed)
{
    if (mh->scheme == ND_MINHASH_MAS64) {
        mh->a = nd__alloc(al, sizeof(uint64_t) * k);
        mh->b = nd__alloc(al, sizeof(uint64_t) * k);
        if (!mh->a || !mh->b) return ND_E_NOMEM;
        uint64_t st = seed ^ 0x4d494e4841534831ull; /* "MINHASH1" */
        for (unsigned i = 0; i < k; i++) {
            mh->a[i] = nd__splitmix(&st) | 1u;
            mh->b[i] = nd__splitmix(&st);
        }
        return ND_OK;
    }
    mh->a32 = nd__alloc(al, sizeof(uint32_t) * k);
    mh->b32 = nd__alloc(al, sizeof(uint32_t) * k);
    if (!mh->a32 || !mh->b32) return ND_E_NOMEM;
    uint64_t st = seed ^ 0x4d494e4841534832ull; /* "MINHASH2" */
    for (unsigned i = 0; i < k; i++) {
        uint64_t v = nd__splitmix(&st);
        mh->a32[i] = (uint32_t)v | 1u;
        mh->b32[i] = (uint32_t)(v >> 32);
    }
    return ND_OK;
}

int nd__minhash_init(nd__minhash *mh, const nd_allocator *al, unsigned k, uint64_t seed,
                     unsigned scheme)
{
    memset(mh, 0, sizeof *mh);
    if (scheme == ND_MINHASH_DEFAULT) scheme = ND_DEFAULT_MINHASH_SCHEME;
    if (scheme != ND_MINHASH_MAS64 && scheme != ND_MINHASH_MUL32) return ND_E_PARAM;
    mh->scheme = scheme;
    if (nd__coefficients(mh, al, k, seed) != ND_OK) {
        nd__minhash_free(mh, al);
        return ND_E_NOMEM;
    }
    mh->k = k;
    nd__pick_kernel(mh);
    return ND_OK;
}

void nd__minhash_free(nd__minhash *mh, const nd_allocator *al)
{
    nd__free(al, mh->a);
    nd__free(al, mh->b);
    nd__free(al, mh->a32);
    nd__free(al, mh->b32);
    mh->a = mh->b = NULL;
    mh->a32 = mh->b32 = NULL;
}

void nd__minhash_sign(const nd__minhash *mh, const uint64_t *shingles, size_t n, uint32_t *sig)
{
    for (unsigned i = 0; i < mh->k; i++) sig[i] = ND__SIG_EMPTY;
    if (mh->scheme == ND_MINHASH_MAS64) mh->fn(mh->a, mh->b, mh->k, shingles, n, sig);
    else mh->fn32(mh->a32, mh->b32, mh->k, shingles, n, sig);
}

double nd_signature_similarity(const uint32_t *a, const uint32_t *b, size_t k)
{
    if (!a || !b || k == 0) return 0.0;
    size_t eq = 0;
    for (size_t i = 0; i < k; i++) eq += (a[i] == b[i]) & (a[i] != ND__SIG_EMPTY);
    return (double)eq / (double)k;
}

double nd_signature_similarity_bits(const uint32_t *a, const uint32_t *b, size_t k, unsigned bits)
{
    if (bits >= 32) return nd_signature_similarity(a, b, k);
    if (!a || !b || k == 0 || bits == 0) return 0.0;
    const uint32_t mask = (1u << bits) - 1;
    size_t eq = 0;
    /* UINT32_MAX is an empty value (no shingle) before values are cut */
    for (size_t i = 0; i < k; i++) eq += (((a[i] ^ b[i]) & mask) == 0) & (a[i] != ND__SIG_EMPTY);
    /* Li and König: two different minima agree on b bits with probability
     * about 2^-b, so P(equal) = J + (1 - J) 2^-b. */
    const double c = 1.0 / (double)(1u << bits), p = (double)eq / (double)k;
    double j = (p - c) / (1.0 - c);
    return j < 0.0 ? 0.0 : j > 1.0 ? 1.0 : j;
}

/* The collection's most frequent comparison (families, copy scans,
 * alignment): 8 codes at a time where SSE2 is (every x86-64), counts kept
 * in 16-bit lanes (at most ND_MAX_NUM_PERM / 8 each). */
double nd__code_similarity(const uint16_t *a, const uint16_t *b, size_t k)
{
    if (!k) return 0.0;
    size_t eq = 0, i = 0;
#if defined(__SSE2__)
    const __m128i empty = _mm_set1_epi16(-1);
    __m128i acc = _mm_setzero_si128();
    for (; i + 8 <= k; i += 8) {
        __m128i va = _mm_loadu_si128((const __m128i *)(const void *)(a + i));
        __m128i vb = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
        __m128i same = _mm_andnot_si128(_mm_cmpeq_epi16(va, empty), _mm_cmpeq_epi16(va, vb));
        acc = _mm_sub_epi16(acc, same); /* a lane is -1 where equal */
    }
    __m128i sum = _mm_madd_epi16(acc, _mm_set1_epi16(1));
    sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, 0x4E));
    sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, 0xB1));
    eq = (size_t)(uint32_t)_mm_cvtsi128_si32(sum);
#endif
    for (; i < k; i++) eq += (a[i] == b[i]) & (a[i] != ND__CODE_EMPTY);
    return (double)eq / (double)k;
}

#if defined(__SSE2__)
/* nd__code16 of 4 values, in 32-bit lanes. The exponent and the 12 bits
 * below the leading one come from a float of the value, converted exactly:
 * below 2^24 the value itself, above it the value shifted right by 8 (both
 * at most 24 significant bits). */
static inline __m128i nd__code4(__m128i v)
{
    const __m128i small = _mm_srli_epi32(v, 17), big = _mm_srli_epi32(v, 24);
    __m128i lo = _mm_sub_epi32(_mm_srli_epi32(_mm_castps_si128(_mm_cvtepi32_ps(v)), 11),
                               _mm_set1_epi32(143 << 12));
    __m128i hi = _mm_sub_epi32(_mm_srli_epi32(_mm_castps_si128(_mm_cvtepi32_ps(_mm_srli_epi32(v, 8))), 11),
                               _mm_set1_epi32(135 << 12));
    __m128i is_big = _mm_xor_si128(_mm_cmpeq_epi32(big, _mm_setzero_si128()), _mm_set1_epi32(-1));
    __m128i code = _mm_or_si128(_mm_and_si128(is_big, hi), _mm_andnot_si128(is_big, lo));
    __m128i is_small = _mm_cmpeq_epi32(small, _mm_setzero_si128());
    code = _mm_or_si128(_mm_and_si128(is_small, _mm_srli_epi32(v, 5)), _mm_andnot_si128(is_small, code));
    /* at most ND__CODE_EMPTY - 1, and empty for the empty value */
    __m128i over = _mm_cmpgt_epi32(code, _mm_set1_epi32(ND__CODE_EMPTY - 1));
    code = _mm_or_si128(_mm_and_si128(over, _mm_set1_epi32(ND__CODE_EMPTY - 1)), _mm_andnot_si128(over, code));
    __m128i empty = _mm_cmpeq_epi32(v, _mm_set1_epi32(-1));
    return _mm_or_si128(_mm_and_si128(empty, _mm_set1_epi32(ND__CODE_EMPTY)), _mm_andnot_si128(empty, code));
}
#endif

void nd__codes_of(uint16_t *dst, const uint32_t *src, size_t k)
{
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i bias = _mm_set1_epi32(0x8000);
    for (; i + 8 <= k; i += 8) { /* 16-bit lanes by signed saturation of code - 2^15 */
        __m128i a = _mm_sub_epi32(nd__code4(_mm_loadu_si128((const __m128i *)(const void *)(src + i))), bias);
        __m128i b = _mm_sub_epi32(nd__code4(_mm_loadu_si128((const __m128i *)(const void *)(src + i + 4))), bias);
        __m128i packed = _mm_xor_si128(_mm_packs_epi32(a, b), _mm_set1_epi16((short)0x8000));
        _mm_storeu_si128((__m128i *)(void *)(dst + i), packed);
    }
#endif
    for (; i < k; i++) dst[i] = nd__code16(src[i]);
}

void nd__code_min(uint16_t *acc, const uint16_t *src, size_t k)
{
    size_t i = 0;
#if defined(__SSE2__)
    /* SSE2 has a signed 16-bit minimum only: flipping the top bit of both
     * sides makes it the unsigned one */
    const __m128i bias = _mm_set1_epi16((short)0x8000);
    for (; i + 8 <= k; i += 8) {
        __m128i a = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)(acc + i)), bias);
        __m128i b = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)(src + i)), bias);
        _mm_storeu_si128((__m128i *)(void *)(acc + i), _mm_xor_si128(_mm_min_epi16(a, b), bias));
    }
#endif
    for (; i < k; i++) acc[i] = src[i] < acc[i] ? src[i] : acc[i];
}

void nd__codes_widen(uint32_t *dst, const uint16_t *src, size_t k)
{
    for (size_t i = 0; i < k; i++) dst[i] = nd__code_widen(src[i]);
}

void nd_signature_merge(uint32_t *dst, const uint32_t *src, size_t k)
{
    if (!dst || !src) return;
    for (size_t i = 0; i < k; i++) dst[i] = src[i] < dst[i] ? src[i] : dst[i];
}
