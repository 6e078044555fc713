/*
 * libFuzzer target for the UTF-8 normalizer and tokenizer (src/normalize.c)
 * and the shingler above it (src/shingle.c), on arbitrary bytes.
 *
 * Input: 2 bytes (shingle size, split point), then the text. Beyond "no
 * crash, no hang", the tokens must keep these invariants, each checked by
 * tokenizing a transformed text and comparing token hashes:
 *   - determinism: a tokenizer reused across texts gives the same tokens;
 *   - ASCII case does not matter: swapping the case of every ASCII letter
 *     gives the same tokens (the SIMD lowercasing included);
 *   - fast path = general path: inserting a soft hyphen (U+00AD, removed by
 *     normalization) after every ASCII byte forces every character through
 *     the queue and utf8proc, and must give the same tokens, long tokens
 *     hashed through the streaming state included;
 *   - a space separates: tokens(A " " B) = tokens(A) tokens(B) when B does
 *     not start with a non-ASCII byte (a combining mark there would be
 *     reordered with the space's marks);
 *   - every token's folded hash is its raw hash or the one number hash;
 *   - shingles: max(n - w + 1, 1) of them for n tokens, tokens counted right.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define CHECK(x) do { if (!(x)) { fprintf(stderr, "check failed: %s\n", #x); abort(); } } while (0)
#define SEED 0x6e656172647570ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct toks {
    nd__token *v;
    size_t n, cap;
} toks;

static void tokenize(nd__tokenizer *tk, const char *t, size_t size, toks *out)
{
    nd__token tok;
    int rc;
    out->n = 0;
    nd__tokenizer_reset(tk, t, size);
    while ((rc = nd__tokenizer_next(tk, &tok)) > 0) {
        if (out->n == out->cap) {
            out->cap = out->cap ? 2 * out->cap : 64;
            out->v = realloc(out->v, out->cap * sizeof *out->v);
            CHECK(out->v != NULL);
        }
        CHECK(tok.hash == tok.raw || tok.hash == tk->num_hash);
        out->v[out->n++] = tok;
        /* U+FDFA decomposes to 4 words from 3 bytes: nothing gives 8 a byte */
        CHECK(out->n <= 8 * size);
    }
    CHECK(rc == 0);
}

static int same(const toks *a, size_t a_from, const toks *b, size_t b_from, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a->v[a_from + i].hash != b->v[b_from + i].hash || a->v[a_from + i].raw != b->v[b_from + i].raw)
            return 0;
    return 1;
}

static void check_equal(const toks *a, const toks *b, const char *what)
{
    if (a->n == b->n && same(a, 0, b, 0, a->n)) return;
    fprintf(stderr, "%s: %zu tokens, then %zu\n", what, a->n, b->n);
    abort();
}

static void check_shingles(nd__tokenizer *tk, const char *t, size_t size, unsigned w, size_t ntok)
{
    uint64_t *arena = NULL;
    size_t len = 0, cap = 0;
    nd__shingled sh;
    CHECK(nd__shingle(tk, t, size, w, SEED, &arena, &len, &cap, &sh) == ND_OK);
    CHECK(sh.tokens == ntok);
    CHECK(len == (ntok >= w ? ntok - w + 1 : 1));
    nd__free(nd__default_allocator(), arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    unsigned w = 1 + data[0] % ND_MAX_SHINGLE_SIZE;
    const char *t = (const char *)data + 2;
    size_t n = size - 2, split = n * data[1] / 256;
    char *alt = malloc(3 * n + 2);
    toks base = { 0 }, again = { 0 }, part = { 0 };
    nd__tokenizer tk;
    CHECK(alt != NULL);
    nd__tokenizer_init(&tk, nd__default_allocator(), SEED);

    tokenize(&tk, t, n, &base);
    check_shingles(&tk, t, n, w, base.n);
    tokenize(&tk, t, n, &again);
    check_equal(&base, &again, "same text twice");

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t[i];
        alt[i] = (char)((c | 0x20) >= 'a' && (c | 0x20) <= 'z' ? c ^ 0x20 : c);
    }
    tokenize(&tk, alt, n, &again);
    check_equal(&base, &again, "ASCII case swapped");

    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        alt[m++] = t[i];
        if ((unsigned char)t[i] < 0x80) {
            alt[m++] = (char)0xC2;
            alt[m++] = (char)0xAD;
        }
    }
    tokenize(&tk, alt, m, &again);
    check_equal(&base, &again, "soft hyphens after ASCII bytes");

    if (split == n || (unsigned char)t[split] < 0x80) {
        memcpy(alt, t, split);
        alt[split] = ' ';
        memcpy(alt + split + 1, t + split, n - split);
        tokenize(&tk, alt, n + 1, &again);
        tokenize(&tk, t, split, &part);
        CHECK(again.n >= part.n && same(&again, 0, &part, 0, part.n));
        size_t head = part.n;
        tokenize(&tk, t + split, n - split, &part);
        CHECK(again.n == head + part.n && same(&again, head, &part, 0, part.n));
    }

    nd__tokenizer_free(&tk);
    free(base.v);
    free(again.v);
    free(part.v);
    free(alt);
    return 0;
}
