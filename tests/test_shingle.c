/*
 * Shingling (src/shingle.c): w-token shingles hashed with XXH3, the exact key,
 * and the special cases of short and wordless paragraphs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "internal.h"

#define SEED ND_DEFAULT_SEED

typedef struct shingles {
    uint64_t *h;
    size_t n, cap;
    nd__shingled info;
} shingles;

static void shingle_seed(shingles *s, const char *text, size_t size, unsigned w, uint64_t seed)
{
    nd__tokenizer tk;
    memset(s, 0, sizeof *s);
    nd__tokenizer_init(&tk, nd__default_allocator(), seed);
    assert_int_equal(nd__shingle(&tk, text, size, w, seed, &s->h, &s->n, &s->cap, &s->info),
                     ND_OK);
    nd__tokenizer_free(&tk);
}

static void shingle(shingles *s, const char *text, unsigned w)
{
    shingle_seed(s, text, strlen(text), w, SEED);
}

static void shingles_free(shingles *s)
{
    nd__free(nd__default_allocator(), s->h);
    memset(s, 0, sizeof *s);
}

static int same_shingles(const shingles *a, const shingles *b)
{
    return a->n == b->n && memcmp(a->h, b->h, a->n * sizeof *a->h) == 0;
}

static const char *const sentence20 =
    "one two three four five six seven eight nine ten "
    "eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty";

static void test_count_full_windows(void **state)
{
    (void)state;
    /* n tokens >= w give n - w + 1 shingles */
    for (unsigned w = 1; w <= ND_MAX_SHINGLE_SIZE; w++) {
        shingles s;
        shingle(&s, sentence20, w);
        assert_int_equal(s.info.tokens, 20);
        assert_int_equal(s.n, 20 - w + 1);
        shingles_free(&s);
    }
    shingles s;
    shingle(&s, "one two three four five six seven", 5);
    assert_int_equal(s.info.tokens, 7);
    assert_int_equal(s.n, 3);
    shingles_free(&s);
    shingle(&s, "one two three four five", 5);
    assert_int_equal(s.n, 1);
    shingles_free(&s);
}

static void test_fewer_tokens_than_w(void **state)
{
    (void)state;
    /* fewer than w tokens: exactly one shingle of all of them */
    shingles s;
    shingle(&s, "Read Full Story", 5);
    assert_int_equal(s.info.tokens, 3);
    assert_int_equal(s.n, 1);
    shingles_free(&s);
    shingle(&s, "of", 5);
    assert_int_equal(s.info.tokens, 1);
    assert_int_equal(s.n, 1);
    shingles_free(&s);
    shingle(&s, "one two three four", 16);
    assert_int_equal(s.n, 1);
    shingles_free(&s);
    /* and it is the shingle that w = n gives */
    shingles a, b;
    shingle(&a, "one two three", 5);
    shingle(&b, "one two three", 3);
    assert_true(same_shingles(&a, &b));
    shingles_free(&a);
    shingles_free(&b);
}

static void test_sliding_window(void **state)
{
    (void)state;
    /* shingle i of a text is the single shingle of its tokens i..i+w-1: the
     * ring buffer hands the right words in the right order at every w */
    const char *words[20];
    char buf[512];
    strcpy(buf, sentence20);
    size_t nw = 0;
    for (char *p = strtok(buf, " "); p; p = strtok(NULL, " ")) words[nw++] = p;
    assert_int_equal(nw, 20);
    for (unsigned w = 1; w <= ND_MAX_SHINGLE_SIZE; w++) {
        shingles all;
        shingle(&all, sentence20, w);
        for (size_t i = 0; i + w <= nw; i++) {
            char sub[512];
            size_t len = 0;
            for (size_t j = i; j < i + w; j++)
                len += (size_t)sprintf(sub + len, "%s%s", j > i ? " " : "", words[j]);
            shingles one;
            shingle(&one, sub, w);
            assert_int_equal(one.n, 1);
            if (one.h[0] != all.h[i]) fail_msg("w=%u shingle %zu differs", w, i);
            shingles_free(&one);
        }
        shingles_free(&all);
    }
}

static void test_no_tokens(void **state)
{
    (void)state;
    /* only punctuation: one shingle of the trimmed bytes, equal to the key */
    shingles a, b, c, d;
    shingle(&a, "***", 5);
    shingle(&b, "  ***  ", 5);
    shingle(&c, "**", 5);
    shingle(&d, "\t***\r\n", 5);
    assert_int_equal(a.info.tokens, 0);
    assert_int_equal(a.n, 1);
    assert_true(a.h[0] == a.info.key);
    assert_true(same_shingles(&a, &b));
    assert_true(a.info.key == b.info.key);
    assert_true(same_shingles(&a, &d));
    assert_false(same_shingles(&a, &c));
    /* "***" is not "* * *": only the outer white space is trimmed */
    shingles e;
    shingle(&e, "* * *", 5);
    assert_false(same_shingles(&a, &e));
    shingles_free(&a);
    shingles_free(&b);
    shingles_free(&c);
    shingles_free(&d);
    shingles_free(&e);
    /* empty and all-blank paragraphs still get their one shingle */
    shingle(&a, "", 5);
    shingle(&b, "   ", 5);
    assert_int_equal(a.n, 1);
    assert_true(same_shingles(&a, &b));
    shingles_free(&a);
    shingles_free(&b);
}

static void test_order_matters(void **state)
{
    (void)state;
    shingles a, b;
    shingle(&a, "a b c d e", 5);
    shingle(&b, "e d c b a", 5);
    assert_int_equal(a.n, 1);
    assert_int_equal(b.n, 1);
    assert_true(a.h[0] != b.h[0]);
    assert_true(a.info.key != b.info.key);
    shingles_free(&a);
    shingles_free(&b);
    /* also when fewer than w tokens */
    shingle(&a, "hide caption", 5);
    shingle(&b, "caption hide", 5);
    assert_true(a.h[0] != b.h[0]);
    shingles_free(&a);
    shingles_free(&b);
}

static void test_exact_key_keeps_digits(void **state)
{
    (void)state;
    shingles a, b;
    shingle(&a, "22 PHOTOS", 5);
    shingle(&b, "23 PHOTOS", 5);
    /* the shingle folds numbers, the key does not */
    assert_true(same_shingles(&a, &b));
    assert_true(a.info.key != b.info.key);
    shingles_free(&a);
    shingles_free(&b);
    /* same for long paragraphs: the dates differ, the shingles do not */
    shingle(&a, "seen in Mosul, Iraq July 13, 2017. REUTERS", 5);
    shingle(&b, "seen in Mosul, Iraq July 14, 2016. REUTERS", 5);
    assert_true(same_shingles(&a, &b));
    assert_true(a.info.key != b.info.key);
    shingles_free(&a);
    shingles_free(&b);
    /* the key follows normalization: case and typography do not change it */
    shingle(&a, "22 PHOTOS", 5);
    shingle(&b, "  22   photos ", 5);
    assert_true(a.info.key == b.info.key);
    shingles_free(&a);
    shingles_free(&b);
}

static void test_arena_appends(void **state)
{
    (void)state;
    /* consecutive calls append to the arena; earlier values stay */
    nd__tokenizer tk;
    uint64_t *arena = NULL;
    size_t len = 0, cap = 0;
    nd__shingled info;
    nd__tokenizer_init(&tk, nd__default_allocator(), SEED);
    const char *p1 = "one two three four five six";   /* 2 shingles */
    const char *p2 = "seven eight";                    /* 1 */
    const char *p3 = "!!!";                            /* 1 */
    assert_int_equal(nd__shingle(&tk, p1, strlen(p1), 5, SEED, &arena, &len, &cap, &info), ND_OK);
    assert_int_equal(len, 2);
    assert_int_equal(nd__shingle(&tk, p2, strlen(p2), 5, SEED, &arena, &len, &cap, &info), ND_OK);
    assert_int_equal(len, 3);
    assert_int_equal(info.tokens, 2);
    assert_int_equal(nd__shingle(&tk, p3, strlen(p3), 5, SEED, &arena, &len, &cap, &info), ND_OK);
    assert_int_equal(len, 4);
    assert_int_equal(info.tokens, 0);
    shingles a, b, c;
    shingle(&a, p1, 5);
    shingle(&b, p2, 5);
    shingle(&c, p3, 5);
    assert_memory_equal(arena, a.h, 2 * sizeof *arena);
    assert_true(arena[2] == b.h[0]);
    assert_true(arena[3] == c.h[0]);
    shingles_free(&a);
    shingles_free(&b);
    shingles_free(&c);
    /* many shingles: the arena grows past its first capacity */
    char big[20000];
    size_t bl = 0;
    for (int i = 0; i < 2000; i++) bl += (size_t)sprintf(big + bl, "w%d ", i);
    assert_int_equal(nd__shingle(&tk, big, bl, 5, SEED, &arena, &len, &cap, &info), ND_OK);
    assert_int_equal(info.tokens, 2000);
    assert_int_equal(len, 4 + 1996);
    assert_true(cap >= len);
    nd__tokenizer_free(&tk);
    nd__free(nd__default_allocator(), arena);
}

static void test_seed_changes_shingles(void **state)
{
    (void)state;
    const char *t = "the quick brown fox jumps";
    shingles a, b;
    shingle_seed(&a, t, strlen(t), 5, SEED);
    shingle_seed(&b, t, strlen(t), 5, SEED ^ 1);
    assert_int_equal(a.n, 1);
    assert_true(a.h[0] != b.h[0]);
    assert_true(a.info.key != b.info.key);
    shingles_free(&a);
    shingles_free(&b);
    shingle_seed(&a, "***", 3, 5, SEED);
    shingle_seed(&b, "***", 3, 5, SEED ^ 1);
    assert_true(a.h[0] != b.h[0]);
    shingles_free(&a);
    shingles_free(&b);
}

/*
 * Golden vectors. These values are part of the on-disk format: stored
 * signatures are computed from them, so a change here (in tokenization of
 * ASCII, token hashing, the shingle hash, its salt or its byte order) is a
 * FORMAT BREAK that needs a new normalization/format version, not an update
 * of these numbers. Computed once with ND_DEFAULT_SEED, w = 5 and w = 3.
 */
static const char golden_text[] =
    "The quick brown fox jumps over the lazy dog near the river bank.";

static const uint64_t golden_w5[9] = {
    0x6de3b52f2b1d9a74ull, 0x6b202b0e6721cb8aull, 0x6a99ff3d1137a9e3ull,
    0x0be70c74fc97b48aull, 0x61a45ad5f1ee3aa1ull, 0xcfb538a41651a158ull,
    0x0b6586c6ee0e6175ull, 0xa91259fa068c843full, 0x4834936e0b6640f2ull,
};
static const uint64_t golden_w3[11] = {
    0x4aeb8c80ff303a74ull, 0x1c37bb842d8bfe88ull, 0x995e8d801b909182ull,
    0xc45d32bd28bd72e6ull, 0x5ccbf7f241b73f36ull, 0xc4fee2ca0351bebcull,
    0x87557a17862e7e5dull, 0xf196bff10d5cb3b7ull, 0x576f71da56485bd3ull,
    0x33f06cb60c0de3ceull, 0xb04f56da4b3e354eull,
};
static const uint64_t golden_key = 0xaca154312c139f65ull;
static const uint64_t golden_short = 0x853e86b1ea5a7dd6ull;  /* "Read Full Story", w = 5 */
static const uint64_t golden_bytes = 0xc4eedc5d3e2ce863ull;  /* "***", no token */

static void test_golden(void **state)
{
    (void)state;
    shingles s;
    shingle(&s, golden_text, 5);
    assert_int_equal(s.info.tokens, 13);
    assert_int_equal(s.n, 9);
    for (size_t i = 0; i < 9; i++)
        if (s.h[i] != golden_w5[i])
            fail_msg("w=5 shingle %zu: 0x%016llxull, golden 0x%016llxull", i,
                     (unsigned long long)s.h[i], (unsigned long long)golden_w5[i]);
    assert_true(s.info.key == golden_key);
    shingles_free(&s);
    shingle(&s, golden_text, 3);
    assert_int_equal(s.n, 11);
    for (size_t i = 0; i < 11; i++)
        if (s.h[i] != golden_w3[i])
            fail_msg("w=3 shingle %zu: 0x%016llxull, golden 0x%016llxull", i,
                     (unsigned long long)s.h[i], (unsigned long long)golden_w3[i]);
    shingles_free(&s);
    shingle(&s, "Read Full Story", 5);
    assert_true(s.h[0] == golden_short);
    shingles_free(&s);
    shingle(&s, "***", 5);
    assert_true(s.h[0] == golden_bytes);
    shingles_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_count_full_windows),
        cmocka_unit_test(test_fewer_tokens_than_w),
        cmocka_unit_test(test_sliding_window),
        cmocka_unit_test(test_no_tokens),
        cmocka_unit_test(test_order_matters),
        cmocka_unit_test(test_exact_key_keeps_digits),
        cmocka_unit_test(test_arena_appends),
        cmocka_unit_test(test_seed_changes_shingles),
        cmocka_unit_test(test_golden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
