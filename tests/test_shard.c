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

/* The site rules over page sequences: edges once per family and end, past
 * repeats; two pages sharing a header and a footer around middles of their
 * own are one site, a page sharing its middle is not. */
static void test_site_rules(void **state)
{
    (void)state;
    nd_ctx *ctx;
    assert_int_equal(nd_ctx_create(&ctx, NULL, NULL), ND_OK);
    unsigned edge = 0, peers = 0, match = 0;
    nd_shard_site_limits(&edge, &peers, &match);
    assert_true(edge == 8 && peers == 4 && match == 3);
    /* page d: header 1 2 3, story 10 11 (a repeat of 10 between), footer 4 5 6 */
    uint32_t fd[] = { 1, 2, 3, 10, 10, 11, 4, 5, 6 }, sd[] = { 5, 5, 5, 30, 30, 30, 5, 5, 5 };
    unsigned char rd[] = { 0, 0, 0, 0, 1, 0, 0, 0, 0 };
    nd_page_seq d = { fd, sd, rd, 9 };
    uint32_t fam[16];
    unsigned char end[16];
    size_t n = nd_shard_page_edges(&d, fam, end);
    /* top: the first 8 non-repeats, 1 2 3 10 11 4 5 6; bottom: the same, once each */
    assert_int_equal(n, 16);
    assert_true(fam[0] == 1 && end[0] == 0 && fam[4] == 11 && fam[8] == 6 && end[8] == 1);
    assert_int_equal(nd_shard_page_edges(NULL, fam, end), 0);
    /* page e: the same chrome around another story */
    uint32_t fe[] = { 1, 2, 3, 20, 21, 4, 5, 6 }, se[] = { 5, 5, 5, 30, 30, 5, 5, 5 };
    unsigned char re[8] = { 0 };
    nd_page_seq e = { fe, se, re, 8 };
    int linked = -1;
    assert_int_equal(nd_shard_site_pair(ctx, &d, &e, &linked), ND_OK);
    assert_int_equal(linked, 1);
    /* page x: other chrome around d's story: what it shares is d's middle */
    uint32_t fx[] = { 7, 8, 10, 11, 9 }, sx[] = { 5, 5, 30, 30, 5 };
    unsigned char rx[5] = { 0 };
    nd_page_seq x = { fx, sx, rx, 5 };
    assert_int_equal(nd_shard_site_pair(ctx, &d, &x, &linked), ND_OK);
    assert_int_equal(linked, 0);
    assert_int_equal(nd_shard_site_pair(ctx, &d, NULL, &linked), ND_E_INVALID);
    nd_ctx_free(ctx);
}

/* The copy pass over plain arrays: content signatures leave excluded
 * paragraphs out (the page's when all are); a strong match credits both
 * sides once; two documents of the same paragraphs are copies. */
static void test_copy_rules(void **state)
{
    (void)state;
    nd_ctx *ctx;
    assert_int_equal(nd_ctx_create(&ctx, NULL, NULL), ND_OK);
    enum { K = 128 };
    static uint32_t sig[3][K];
    for (unsigned i = 0; i < K; i++) {
        sig[0][i] = 1000 + i * 7;
        sig[1][i] = 5000 + i * 11;
        sig[2][i] = 1u << 30 | i;
    }
    nd_para_sig p[2] = { { 0, 10, ND_KIND_CONTENT, 0, 40, 44, sig[0], 0.0 },
                         { 11, 10, ND_KIND_CONTENT, 0, 60, 64, sig[1], 0.0 } };
    uint32_t content[K], page[K], merged[K];
    uint64_t shingles = 0;
    unsigned char none[2] = { 0, 0 }, first[2] = { 1, 0 }, both[2] = { 1, 1 };
    assert_int_equal(nd_shard_doc_signatures(ctx, p, 2, none, content, page, &shingles), ND_OK);
    assert_int_equal(shingles, 100);
    assert_memory_equal(content, page, sizeof page);
    assert_int_equal(nd_shard_doc_signatures(ctx, p, 2, first, content, page, &shingles), ND_OK);
    assert_int_equal(shingles, 60);
    memcpy(merged, page, sizeof merged);
    assert_true(memcmp(content, page, sizeof page) != 0);
    assert_int_equal(nd_shard_doc_signatures(ctx, p, 2, both, content, page, &shingles), ND_OK);
    assert_int_equal(shingles, 100); /* all left out: the page's, all its shingles */
    assert_memory_equal(content, merged, sizeof merged);
    assert_true(nd_shard_same_page() > 0.5 && nd_shard_same_page() < 1.0);

    /* document 1 holds paragraphs 10, 11 with the signatures of 0's 0, 1 */
    nd_shard_para mine[2] = { { 10, 1, 40, sig[0] }, { 11, 1, 60, sig[1] } };
    nd_shard_para cands[3] = { { 0, 0, 40, sig[0] }, { 2, 0, 40, sig[2] }, { 1, 0, 60, sig[1] } };
    size_t cand_end[2] = { 2, 3 }, count = 9;
    nd_shard_touch t[3];
    assert_int_equal(nd_shard_copy_touches(ctx, 1, mine, 2, cand_end, cands, t, 3, &count), ND_OK);
    assert_int_equal(count, 1);
    assert_true(t[0].doc == 0 && t[0].shared_d == 100 && t[0].shared_e == 100);
    assert_int_equal(nd_shard_copy_touches(ctx, 1, mine, 2, cand_end, cands, t, 0, &count), ND_E_BUFFER);
    /* more candidates than a walk verifies, or ends out of order: refused,
     * before any table is sized from them */
    size_t too_many[2] = { 2, (size_t)1 << 62 }, backwards[2] = { 2, 1 };
    assert_int_equal(nd_shard_copy_touches(ctx, 1, mine, 2, too_many, cands, t, 3, &count), ND_E_INVALID);
    assert_int_equal(nd_shard_copy_touches(ctx, 1, mine, 2, backwards, cands, t, 3, &count), ND_E_INVALID);
    /* a paragraph of the document itself is no touch */
    nd_shard_para self_cand[1] = { { 3, 1, 40, sig[0] } };
    size_t self_end[1] = { 1 };
    assert_int_equal(nd_shard_copy_touches(ctx, 1, mine, 1, self_end, self_cand, t, 1, &count), ND_OK);
    assert_int_equal(count, 0);

    assert_int_equal(nd_shard_doc_signatures(ctx, p, 2, none, content, page, &shingles), ND_OK);
    nd_shard_doc d = { 1, 100, content, mine, 2 }, e = { 0, 100, content, cands, 0 };
    assert_int_equal(nd_shard_copy_touches(ctx, 1, mine, 2, cand_end, cands, t, 3, &count), ND_OK);
    unsigned char align = 9, copy = 9;
    uint64_t dup = 0;
    double sim = 0, cont = 0;
    assert_int_equal(nd_shard_copy_aligns(ctx, &d, t, &e, 1, &align), ND_OK);
    assert_int_equal(align, 0); /* a copy on its matches alone: nothing to align */
    assert_int_equal(nd_shard_copy_judge(ctx, &d, t, &e, 1, &copy, &dup, &sim, &cont), ND_OK);
    assert_true(copy == 1 && dup == 0 && sim == 1.0 && cont == 1.0);
    assert_int_equal(nd_shard_copy_judge(ctx, &d, t, NULL, 1, &copy, &dup, &sim, &cont), ND_E_INVALID);
    nd_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_contract),
        cmocka_unit_test(test_components_judged_apart),
        cmocka_unit_test(test_para_keys_and_match),
        cmocka_unit_test(test_para_family),
        cmocka_unit_test(test_site_rules),
        cmocka_unit_test(test_copy_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
