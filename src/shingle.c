/*
 * Shingling: every run of w consecutive tokens of a paragraph is a shingle,
 * hashed with XXH3 over the tokens' 64-bit hashes (so each token is hashed
 * once, and a shingle costs one short XXH3 call). A paragraph with fewer than
 * w tokens is one shingle of all its tokens, so that short chrome such as
 * "Read Full Story" still has a signature and matches exactly. A paragraph
 * with no token at all (only punctuation or symbols) is one shingle of its
 * bytes with surrounding white space trimmed.
 *
 * Token hashes are fed to XXH3 in little-endian order on every platform, so
 * signatures are identical across endianness.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>
#include "internal.h"

#define ND__SHINGLE_SALT 0x5348494e474c4531ull /* "SHINGLE1" */
#define ND__BYTES_SALT 0x5241574259544553ull   /* "RAWBYTES" */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#  define ND__CANON(x) __builtin_bswap64(x)
#else
#  define ND__CANON(x) (x)
#endif

static int nd__emit(const nd_allocator *al, uint64_t **arena, size_t *len, size_t *cap, uint64_t h)
{
    if (*len == *cap) {
        int rc = nd__reserve(al, (void **)arena, cap, *len + 1, sizeof **arena);
        if (rc) return rc;
    }
    (*arena)[(*len)++] = h;
    return ND_OK;
}

static uint64_t nd__bytes_hash(const char *text, size_t size, uint64_t seed)
{
    while (size && (unsigned char)text[0] <= ' ') { text++; size--; }
    while (size && (unsigned char)text[size - 1] <= ' ') size--;
    return XXH3_64bits_withSeed(text, size, seed ^ ND__BYTES_SALT);
}

/* Tokens are taken ND__TOK_BATCH at a time; the last w - 1 of a batch stay
 * in front of the next one, so each shingle's w hashes are contiguous. */
#define ND__TOK_BATCH 128

int nd__shingle(nd__tokenizer *tk, const char *text, size_t size, unsigned w, uint64_t seed,
                uint64_t **arena, size_t *len, size_t *cap, nd__shingled *out)
{
    uint64_t win[ND__TOK_BATCH + ND_MAX_SHINGLE_SIZE];
    nd__token batch[ND__TOK_BATCH];
    const uint64_t sseed = seed ^ ND__SHINGLE_SALT;
    uint64_t key = seed;
    size_t n = 0, have = 0; /* tokens so far; of them, those kept in win */
    int got;
    nd__tokenizer_reset(tk, text, size);
    while ((got = nd__tokenizer_fill(tk, batch, ND__TOK_BATCH)) > 0) {
        int rc = nd__reserve(tk->al, (void **)arena, cap, *len + (size_t)got, sizeof **arena);
        if (rc) return rc;
        uint64_t *dst = *arena + *len;
        size_t emitted = 0;
        /* One loop for the key and the shingles: the key is a chain of
         * dependent multiplies, which the shingles' hashing overlaps. */
        for (size_t i = 0; i < (size_t)got; i++) {
            win[have + i] = ND__CANON(batch[i].hash);
            key = nd__mix64(key + batch[i].raw);
            if (have + i + 1 >= w)
                dst[emitted++] = XXH3_64bits_withSeed(win + (have + i + 1 - w), 8 * (size_t)w, sseed);
        }
        *len += emitted;
        n += (size_t)got;
        have += (size_t)got;
        if (have >= w) { /* keep the last w - 1 tokens in front */
            memmove(win, win + (have - (w - 1)), (w - 1) * sizeof win[0]);
            have = w - 1;
        }
    }
    if (got < 0) return got;
    out->tokens = n;
    if (n == 0) {
        out->key = nd__bytes_hash(text, size, seed);
        return nd__emit(tk->al, arena, len, cap, out->key);
    }
    out->key = key;
    if (n < w) /* win holds tokens 0..n-1 in order */
        return nd__emit(tk->al, arena, len, cap, XXH3_64bits_withSeed(win, 8 * n, sseed));
    return ND_OK;
}
