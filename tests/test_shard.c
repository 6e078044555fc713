/*
 * Shard keys (src/shard.c): the buckets through which nd_corpus_finish can
 * make documents meet. The property neardup.dask relies on is tested here
 * directly: a collection judged one connected component of the "shares a
 * bucket" graph at a time gives every document the verdicts of the whole
 * collection. Documents are generated: feeds with chrome lines around
 * stories, some stories carried by several feeds, and unrelated documents.
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

#define NDOCS 40
#define TEXT_CAP 8192

static uint64_t rng_next(uint64_t *s)
{
    *s += 0x9e3779b97f4a7c15ull;
    return nd__mix64(*s);
}

/* A line of n made-up words drawn from seed (same seed, same line). */
static size_t put_line(char *out, uint64_t seed, unsigned n)
{
    size_t len = 0;
    for (unsigned i = 0; i < n; i++)
        len += (size_t)sprintf(out + len, "%sw%llu", i ? " " : "", (unsigned long long)(rng_next(&seed) % 5000));
    out[len++] = '\n';
    return len;
}

/* Document d: feeds 0-3 (chrome lines of their own), 4 = unrelated single
 * documents; docs 10k, 10k+1, 10k+2 carry one story in feeds 0, 1, 2. */
static size_t make_doc(unsigned d, char *text, char *source)
{
    unsigned feed = d % 5;
    size_t len = 0;
    sprintf(source, "feed%u", feed);
    uint64_t story = d % 10 < 3 ? 1000 + d / 10 : 2000 + d; /* feeds 0-2 share stories */
    if (feed < 4)
        for (unsigned i = 0; i < 3; i++) len += put_line(text + len, 100 * feed + i, 30);
    for (unsigned i = 0; i < 3; i++) len += put_line(text + len, story * 16 + i, 30);
    if (feed < 4)
        for (unsigned i = 3; i < 6; i++) len += put_line(text + len, 100 * feed + i, 30);
    return len;
}

typedef struct signed_doc {
    char id[16], source[16];
    nd_para_sig *paras;
    uint32_t *sigs;
    size_t n;
} signed_doc;

static void sign_all(const nd_ctx *ctx, signed_doc *docs)
{
    nd_doc *doc;
    char *text = malloc(TEXT_CAP);
    assert_non_null(text);
    assert_int_equal(nd_doc_create(&doc, ctx), ND_OK);
    const unsigned k = nd_ctx_num_perm(ctx);
    for (unsigned d = 0; d < NDOCS; d++) {
        signed_doc *s = &docs[d];
        size_t len = make_doc(d, text, s->source);
        sprintf(s->id, "d%u", d);
        assert_int_equal(nd_doc_analyze(doc, text, len), ND_OK);
        s->n = nd_doc_count(doc);
        s->paras = calloc(s->n, sizeof *s->paras);
        s->sigs = calloc(s->n * k, sizeof *s->sigs);
        assert_true(s->paras && s->sigs);
        for (size_t j = 0; j < s->n; j++) {
            nd_para_info p = ND_PARA_INFO_INIT;
            assert_int_equal(nd_doc_para(doc, j, &p), ND_OK);
            memcpy(s->sigs + j * k, nd_doc_para_signature(doc, j), k * sizeof *s->sigs);
            s->paras[j] = (nd_para_sig){ p.offset, p.length, p.kind, p.of, p.shingles, p.tokens,
                                         s->sigs + j * k, p.similarity };
        }
    }
    nd_doc_free(doc);
    free(text);
}

static uint32_t find(uint32_t *uf, uint32_t x)
{
    while (uf[x] != x) x = uf[x] = uf[uf[x]];
    return x;
}

/* Components of the documents sharing a bucket (quadratic: the test is small). */
static void components(const nd_ctx *ctx, const signed_doc *docs, uint32_t *uf)
{
    uint64_t *keys[NDOCS];
    size_t nkeys[NDOCS];
    for (uint32_t d = 0; d < NDOCS; d++) {
        size_t cap = nd_shard_key_bound(ctx, docs[d].n);
        keys[d] = malloc(cap * sizeof **keys);
        assert_non_null(keys[d]);
        assert_int_equal(nd_shard_doc_keys(ctx, docs[d].source, strlen(docs[d].source), docs[d].paras, docs[d].n,
                                           keys[d], cap, &nkeys[d]),
                         ND_OK);
        uf[d] = d;
    }
    for (uint32_t a = 0; a < NDOCS; a++)
        for (uint32_t b = 0; b < a; b++)
            for (size_t i = 0; i < nkeys[a] && find(uf, a) != find(uf, b); i++)
                for (size_t j = 0; j < nkeys[b]; j++)
                    if (keys[a][i] == keys[b][j]) {
                        uf[find(uf, a)] = find(uf, b);
                        break;
                    }
    for (uint32_t d = 0; d < NDOCS; d++) free(keys[d]);
}

/* Documents i of a and j of b name the same document (ND_NONE: none). */
static void assert_same_ref(const nd_corpus *a, size_t i, const nd_corpus *b, size_t j)
{
    const char *x = "", *y = "";
    size_t lx = 0, ly = 0;
    assert_int_equal(i == ND_NONE, j == ND_NONE);
    if (i != ND_NONE) assert_int_equal(nd_corpus_doc_id(a, i, &x, &lx), ND_OK);
    if (j != ND_NONE) assert_int_equal(nd_corpus_doc_id(b, j, &y, &ly), ND_OK);
    assert_int_equal(lx, ly);
    assert_memory_equal(x, y, lx);
}

static void judge(const nd_ctx *ctx, const signed_doc *docs, const uint32_t *uf, uint32_t comp, nd_corpus **out)
{
    assert_int_equal(nd_corpus_create(out, ctx), ND_OK);
    for (uint32_t d = 0; d < NDOCS; d++)
        if (comp == UINT32_MAX || uf[d] == comp)
            assert_int_equal(nd_corpus_add_signed(*out, docs[d].id, strlen(docs[d].id), docs[d].source,
                                                  strlen(docs[d].source), docs[d].paras, docs[d].n, NULL, NULL),
                             ND_OK);
    assert_int_equal(nd_corpus_finish(*out), ND_OK);
}

static void compare_doc(const nd_corpus *whole, size_t i, const nd_corpus *part, size_t j)
{
    nd_doc_info a = ND_DOC_INFO_INIT, b = ND_DOC_INFO_INIT;
    assert_int_equal(nd_corpus_doc(whole, i, &a), ND_OK);
    assert_int_equal(nd_corpus_doc(part, j, &b), ND_OK);
    assert_int_equal(a.paragraphs, b.paragraphs);
    assert_int_equal(a.repeats, b.repeats);
    assert_int_equal(a.boilerplate, b.boilerplate);
    assert_true(a.similarity == b.similarity && a.containment == b.containment);
    assert_same_ref(whole, a.duplicate_of, part, b.duplicate_of);
    assert_same_ref(whole, a.cluster, part, b.cluster);
    assert_same_ref(whole, a.site, part, b.site);
    for (size_t p = 0; p < a.paragraphs; p++) {
        nd_para_info x = ND_PARA_INFO_INIT, y = ND_PARA_INFO_INIT;
        assert_int_equal(nd_corpus_para(whole, i, p, &x), ND_OK);
        assert_int_equal(nd_corpus_para(part, j, p, &y), ND_OK);
        assert_int_equal(x.kind, y.kind);
        assert_int_equal(x.of, y.of);
        assert_true(x.similarity == y.similarity);
        assert_same_ref(whole, x.of_doc, part, y.of_doc);
    }
}

static void test_components_judged_apart(void **state)
{
    (void)state;
    nd_ctx *ctx;
    assert_int_equal(nd_ctx_create(&ctx, NULL, NULL), ND_OK);
    signed_doc docs[NDOCS];
    uint32_t uf[NDOCS];
    sign_all(ctx, docs);
    components(ctx, docs, uf);
    nd_corpus *whole;
    judge(ctx, docs, uf, UINT32_MAX, &whole);
    size_t ncomp = 0, boilerplate = 0, copies = 0;
    for (uint32_t d = 0; d < NDOCS; d++) uf[d] = find(uf, d);
    for (uint32_t comp = 0; comp < NDOCS; comp++) {
        size_t j = 0;
        nd_corpus *part = NULL;
        for (uint32_t d = 0; d < NDOCS; d++) {
            if (uf[d] != comp) continue;
            if (!part) {
                judge(ctx, docs, uf, comp, &part);
                ncomp++;
            }
            nd_doc_info info = ND_DOC_INFO_INIT;
            nd_corpus_doc(whole, d, &info);
            boilerplate += info.boilerplate;
            copies += info.duplicate_of != ND_NONE;
            compare_doc(whole, d, part, j++);
        }
        nd_corpus_free(part);
    }
    if (getenv("ND_TEST_VERBOSE")) printf("%zu components, %zu boilerplate, %zu copies\n", ncomp, boilerplate, copies);
    /* the collection has something to get right, and does split */
    assert_true(boilerplate > 0 && copies > 0);
    assert_true(ncomp > 1 && ncomp < NDOCS);
    nd_corpus_free(whole);
    for (uint32_t d = 0; d < NDOCS; d++) {
        free(docs[d].paras);
        free(docs[d].sigs);
    }
    nd_ctx_free(ctx);
}

static void test_key_contract(void **state)
{
    (void)state;
    nd_ctx *ctx;
    assert_int_equal(nd_ctx_create(&ctx, NULL, NULL), ND_OK);
    uint32_t sig[128];
    memset(sig, 7, sizeof sig);
    nd_para_sig p[3] = { { 0, 10, ND_KIND_CONTENT, 0, 20, 20, sig, 0.0 },
                         { 11, 10, ND_KIND_REPEAT, 0, 20, 20, sig, 1.0 },     /* in no chain */
                         { 22, 5, ND_KIND_CONTENT, 0, 0, 2, sig, 0.0 } };      /* no full shingle */
    size_t bound = nd_shard_key_bound(ctx, 3), n = 0;
    uint64_t *out = calloc(bound, sizeof *out);
    assert_non_null(out);
    assert_int_equal(nd_shard_doc_keys(ctx, "s", 1, p, 3, out, bound - 1, &n), ND_E_BUFFER);
    assert_int_equal(n, bound);
    assert_int_equal(nd_shard_doc_keys(ctx, "s", 1, p, 3, out, bound, &n), ND_OK);
    unsigned kinds[4] = { 0 };
    for (size_t i = 0; i < n; i++) kinds[out[i] >> 56]++;
    /* two non-repeat paragraphs of family keys, one of copy keys, one page */
    assert_int_equal(kinds[1], 2 * ctx->para_bands);
    assert_int_equal(kinds[2], ctx->doc_bands);
    assert_true(kinds[3] > 0 && kinds[0] == 0);
    /* family keys are per source, copy keys are not */
    uint64_t *other = calloc(bound, sizeof *other);
    size_t m;
    assert_non_null(other);
    assert_int_equal(nd_shard_doc_keys(ctx, "t", 1, p, 3, other, bound, &m), ND_OK);
    assert_int_equal(m, n);
    assert_true(out[0] != other[0]);
    assert_true(out[2 * ctx->para_bands] == other[2 * ctx->para_bands]);
    assert_int_equal(nd_shard_doc_keys(NULL, "s", 1, p, 3, out, bound, &n), ND_E_INVALID);
    assert_int_equal(nd_shard_doc_keys(ctx, NULL, 1, p, 3, out, bound, &n), ND_E_INVALID);
    assert_int_equal(nd_shard_doc_keys(ctx, "s", 1, NULL, 3, out, bound, &n), ND_E_INVALID);
    assert_int_equal(nd_shard_doc_keys(ctx, "s", 1, p, 3, out, bound, NULL), ND_E_INVALID);
    assert_int_equal(nd_shard_key_bound(NULL, 3), 0);
    free(out);
    free(other);
    nd_ctx_free(ctx);
}

/* nd_shard_para_keys gives the family and copy buckets of nd_shard_doc_keys,
 * each with its paragraph; the chain limits and the family match rule are
 * detect.c's. */
static void test_para_keys_and_match(void **state)
{
    (void)state;
    nd_ctx *ctx;
    assert_int_equal(nd_ctx_create(&ctx, NULL, NULL), ND_OK);
    uint32_t sig[3][128];
    for (unsigned i = 0; i < 128; i++) {
        sig[0][i] = i * 7919u;
        sig[1][i] = i < 112 ? sig[0][i] : 0xFFFF0000u + i; /* 7/8 of sig[0] */
        sig[2][i] = i < 100 ? sig[0][i] : 0xFFFF0000u + i; /* 100/128 of it */
    }
    nd_para_sig p[4] = { { 0, 10, ND_KIND_CONTENT, 0, 20, 20, sig[0], 0.0 },
                         { 11, 10, ND_KIND_REPEAT, 0, 20, 20, sig[0], 1.0 },
                         { 22, 5, ND_KIND_CONTENT, 0, 0, 2, sig[1], 0.0 },
                         { 28, 10, ND_KIND_CONTENT, 0, 20, 20, sig[2], 0.0 } };
    size_t bound = nd_shard_key_bound(ctx, 4), n = 0, m = 0;
    uint64_t *doc = calloc(bound, sizeof *doc), *b = calloc(bound, sizeof *b);
    uint32_t *para = calloc(bound, sizeof *para);
    assert_true(doc && b && para);
    assert_int_equal(nd_shard_doc_keys(ctx, "s", 1, p, 4, doc, bound, &n), ND_OK);
    assert_int_equal(nd_shard_para_keys(ctx, "s", 1, p, 4, 3, b, para, bound - 1, &m), ND_E_BUFFER);
    assert_int_equal(nd_shard_para_keys(ctx, "s", 1, p, 4, 3, b, para, bound, &m), ND_OK);
    /* the same buckets, less the page's; paragraph 1 (a repeat) holds none,
     * paragraph 2 (no full shingle) only family ones */
    size_t pages = 0;
    for (size_t i = 0; i < n; i++) pages += (doc[i] >> 56) == 3;
    assert_true(pages > 0);
    assert_int_equal(m, n - pages);
    assert_memory_equal(b, doc, m * sizeof *b);
    size_t held[4] = { 0 };
    for (size_t i = 0; i < m; i++) held[para[i]]++;
    assert_int_equal(held[0], ctx->para_bands + ctx->doc_bands);
    assert_int_equal(held[1], 0);
    assert_int_equal(held[2], ctx->para_bands);
    assert_int_equal(held[3], ctx->para_bands + ctx->doc_bands);
    assert_int_equal(nd_shard_para_keys(ctx, "s", 1, p, 4, 1, b, para, bound, &m), ND_OK);
    assert_int_equal(m, 3 * ctx->para_bands);
    for (size_t i = 0; i < m; i++) assert_int_equal(b[i] >> 56, 1);
    assert_int_equal(nd_shard_para_keys(ctx, "s", 1, p, 4, 3, b, NULL, bound, &m), ND_E_INVALID);

    unsigned steps = 0, verify = 0;
    nd_shard_chain_limits(&steps, &verify);
    assert_true(steps == 16 && verify == 256);
    nd_shard_chain_limits(NULL, NULL);
    /* the most similar at the threshold (0.75) wins; the first of equals */
    const uint32_t *c3[3] = { sig[2], sig[1], sig[1] };
    assert_int_equal(nd_shard_family_match(ctx, sig[0], c3, 3), 1);
    const uint32_t *c1[1] = { sig[2] }; /* 100/128 = 0.78 */
    assert_int_equal(nd_shard_family_match(ctx, sig[0], c1, 1), 0);
    uint32_t far[128];
    for (unsigned i = 0; i < 128; i++) far[i] = i < 64 ? sig[0][i] : 0xFFFF0000u + i; /* 0.5 */
    const uint32_t *cf[1] = { far };
    assert_int_equal(nd_shard_family_match(ctx, sig[0], cf, 1), -1);
    assert_int_equal(nd_shard_family_match(ctx, sig[0], NULL, 0), -1);
    assert_int_equal(nd_shard_family_match(NULL, sig[0], c1, 1), -1);
    free(doc);
    free(b);
    free(para);
    nd_ctx_free(ctx);
}

/* nd_corpus_para_family: a paragraph like an earlier one is in its family,
 * a repeat in the family of what it repeats; only after finish. */
static void test_para_family(void **state)
{
    (void)state;
    nd_ctx *ctx;
    nd_corpus *c;
    nd_doc *doc;
    assert_int_equal(nd_ctx_create(&ctx, NULL, NULL), ND_OK);
    assert_int_equal(nd_corpus_create(&c, ctx), ND_OK);
    assert_int_equal(nd_doc_create(&doc, ctx), ND_OK);
    char text[TEXT_CAP], line[2][1024];
    size_t la = put_line(line[0], 11, 30), lb = put_line(line[1], 12, 30);
    /* a: X Y X; b: Y */
    size_t len = 0;
    memcpy(text, line[0], la), len = la;
    memcpy(text + len, line[1], lb), len += lb;
    memcpy(text + len, line[0], la), len += la;
    assert_int_equal(nd_doc_analyze(doc, text, len), ND_OK);
    assert_int_equal(nd_corpus_add(c, doc, "a", 1, "s", 1, NULL), ND_OK);
    assert_int_equal(nd_doc_analyze(doc, line[1], lb), ND_OK);
    assert_int_equal(nd_corpus_add(c, doc, "b", 1, "s", 1, NULL), ND_OK);
    size_t d = 9, q = 9;
    assert_int_equal(nd_corpus_para_family(c, 0, 0, &d, &q), ND_E_STATE);
    assert_int_equal(nd_corpus_finish(c), ND_OK);
    assert_int_equal(nd_corpus_para_family(c, 0, 2, &d, &q), ND_OK); /* the repeat */
    assert_true(d == 0 && q == 0);
    assert_int_equal(nd_corpus_para_family(c, 1, 0, &d, &q), ND_OK); /* b's Y is a's */
    assert_true(d == 0 && q == 1);
    assert_int_equal(nd_corpus_para_family(c, 0, 1, &d, &q), ND_OK);
    assert_true(d == 0 && q == 1);
    assert_int_equal(nd_corpus_para_family(c, 1, 1, &d, &q), ND_E_INVALID);
    assert_int_equal(nd_corpus_para_family(c, 2, 0, &d, &q), ND_E_INVALID);
    assert_int_equal(nd_corpus_para_family(c, 0, 0, NULL, &q), ND_E_INVALID);
    nd_doc_free(doc);
    nd_corpus_free(c);
    nd_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_contract),
        cmocka_unit_test(test_components_judged_apart),
        cmocka_unit_test(test_para_keys_and_match),
        cmocka_unit_test(test_para_family),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
