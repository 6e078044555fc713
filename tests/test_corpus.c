/*
 * Collections (src/corpus.c, src/detect.c, nd__lsh_chain in src/lsh.c):
 * paragraph families across documents, the boilerplate rule (a family is
 * boilerplate when it recurs in min_stories distinct stories), syndicated
 * copies by similarity and containment, nd_corpus_add_signed parity, and the
 * API contract, failing allocator included.
 *
 * Documents are generated: English-like text from a seeded PRNG over a
 * vocabulary of 2,000 made-up words, one paragraph per line (ND_SEG_LINES),
 * so that unrelated paragraphs share no shingle and every planted relation
 * (a changed word, a shared prefix, a truncation) has a known Jaccard
 * similarity, computed here on word 5-grams exactly as the library shingles
 * these plain lower-case words.
 *
 * ND_TEST_VERBOSE=1 prints the counts behind each verdict.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "internal.h"

static int verbose(void) { return getenv("ND_TEST_VERBOSE") != NULL; }

/* duplicate_of for printing: -1 for ND_NONE */
#define DUP(x) ((x) == ND_NONE ? -1LL : (long long)(x))

/* ---- resources of the running test -------------------------------------------
 * A failed assertion leaves the test by longjmp; what it had allocated is
 * released by teardown(), so that a failure is not followed by leak reports
 * that would hide the library's own. */
typedef struct tracked {
    void *p;
    void (*fn)(void *);
} tracked;
static tracked live[256];
static size_t nlive;

static void track(void *p, void (*fn)(void *))
{
    assert_true(nlive < sizeof live / sizeof live[0]);
    live[nlive].p = p;
    live[nlive].fn = fn;
    nlive++;
}

static void untrack(void *p)
{
    for (size_t i = nlive; i-- > 0;)
        if (live[i].p == p) {
            memmove(&live[i], &live[i + 1], (nlive - i - 1) * sizeof live[0]);
            nlive--;
            return;
        }
}

static void *tmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    assert_non_null(p);
    track(p, free);
    return p;
}

static void *tcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    assert_non_null(p);
    track(p, free);
    return p;
}

static void tfree(void *p)
{
    untrack(p);
    free(p);
}

static int teardown(void **state)
{
    (void)state;
    while (nlive) {
        nlive--;
        live[nlive].fn(live[nlive].p);
    }
    return 0;
}

static void free_ctx(void *p) { nd_ctx_free(p); }
static void free_doc(void *p) { nd_doc_free(p); }
static void free_corpus(void *p) { nd_corpus_free(p); }

/* ---- PRNG and made-up words ---------------------------------------------- */
typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rng_u64(rng *r)
{   /* splitmix64 */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static unsigned rng_below(rng *r, unsigned n) { return (unsigned)(rng_u64(r) % n); }

#define VOCAB 2000u
static char vocab[VOCAB][8];

/* Words of two or three consonant-vowel syllables; the first two syllables
 * are a bijection of the word number (7919 is prime to 90*90), so all 2,000
 * words are distinct, and none is an English word of the chrome lines. */
static void vocab_init(void)
{
    static const char cons[] = "bcdfghjklmnprstvwz", vow[] = "aeiou";
    for (unsigned i = 0; i < VOCAB; i++) {
        unsigned j = (i * 7919u) % 8100u, a = j % 90u, b = j / 90u, c = (i * 31u) % 90u;
        char *w = vocab[i];
        w[0] = cons[a / 5];
        w[1] = vow[a % 5];
        w[2] = cons[b / 5];
        w[3] = vow[b % 5];
        w[4] = '\0';
        if (i % 3 == 0) {
            w[4] = cons[c / 5];
            w[5] = vow[c % 5];
            w[6] = '\0';
        }
    }
}

/* ---- paragraphs as word numbers -------------------------------------------- */
#define MAXW 64u
typedef struct para {
    unsigned n;
    uint16_t w[MAXW];
} para;

static para para_random(rng *r, unsigned n)
{
    para p;
    assert_true(n <= MAXW);
    memset(&p, 0, sizeof p);
    p.n = n;
    for (unsigned i = 0; i < n; i++) p.w[i] = (uint16_t)rng_below(r, VOCAB);
    return p;
}

/* p with word `pos` replaced by a different one. */
static para para_change(const para *p, unsigned pos, rng *r)
{
    para q = *p;
    assert_true(pos < p->n);
    do q.w[pos] = (uint16_t)rng_below(r, VOCAB);
    while (q.w[pos] == p->w[pos]);
    return q;
}

/* The first `keep` words of p, then fresh words up to p's length. */
static para para_share_prefix(const para *p, unsigned keep, rng *r)
{
    para q = *p;
    for (unsigned i = keep; i < q.n; i++) q.w[i] = (uint16_t)rng_below(r, VOCAB);
    return q;
}

/* Distinct word 5-grams of p, packed exactly (11 bits per word). */
static size_t para_shingles(const para *p, uint64_t *out)
{
    size_t n = 0;
    for (unsigned i = 0; i + 5 <= p->n; i++) {
        uint64_t s = 0;
        for (unsigned j = 0; j < 5; j++) s = (s << 11) | p->w[i + j];
        size_t k = 0;
        while (k < n && out[k] != s) k++;
        if (k == n) out[n++] = s;
    }
    return n;
}

/* Exact Jaccard similarity of the word 5-gram sets of a and b. */
static double para_jaccard(const para *a, const para *b)
{
    uint64_t sa[MAXW], sb[MAXW];
    size_t na = para_shingles(a, sa), nb = para_shingles(b, sb), common = 0;
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++) common += sa[i] == sb[j];
    return na + nb ? (double)common / (double)(na + nb - common) : 1.0;
}

/* ---- text buffers ---------------------------------------------------------- */
typedef struct sbuf {
    char *p;
    size_t len, cap;
    size_t lines;   /* non-blank lines written, i.e. paragraphs in ND_SEG_LINES */
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        assert_non_null(p);
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* Appends a line; @return its paragraph index. */
static size_t sb_line(sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
    sb_put(b, "\n", 1);
    return b->lines++;
}

/* Writes the words of p as a sentence, without a line break. */
static void sb_words(sbuf *b, const para *p)
{
    for (unsigned i = 0; i < p->n; i++) {
        const char *w = vocab[p->w[i]];
        if (i) sb_put(b, " ", 1);
        if (i == 0) {
            char cap = (char)(w[0] - 'a' + 'A');
            sb_put(b, &cap, 1);
            sb_put(b, w + 1, strlen(w) - 1);
        } else {
            sb_put(b, w, strlen(w));
        }
    }
    sb_put(b, ".", 1);
}

static size_t sb_para(sbuf *b, const para *p)
{
    sb_words(b, p);
    sb_put(b, "\n", 1);
    return b->lines++;
}

/* ---- stories, chrome, documents -------------------------------------------- */
#define MAXP 16u
typedef struct story {
    unsigned n;
    para p[MAXP];
} story;

static story story_random(rng *r, unsigned n, unsigned words)
{
    story s;
    memset(&s, 0, sizeof s);
    assert_true(n <= MAXP);
    s.n = n;
    for (unsigned i = 0; i < n; i++) s.p[i] = para_random(r, words);
    return s;
}

/* A feed's chrome: a line above every story and one below. */
typedef struct chrome {
    char head[512], foot[512];
} chrome;

static void line_of(char *out, size_t size, const para *p)
{
    sbuf b = { 0 };
    sb_words(&b, p);
    assert_true(b.len < size);
    memcpy(out, b.p, b.len + 1);
    free(b.p);
}

static chrome chrome_random(rng *r)
{
    chrome c;
    para h = para_random(r, 8), f = para_random(r, 12);
    line_of(c.head, sizeof c.head, &h);
    line_of(c.foot, sizeof c.foot, &f);
    return c;
}

static chrome chrome_literal(const char *head, const char *foot)
{
    chrome c;
    snprintf(c.head, sizeof c.head, "%s", head);
    snprintf(c.foot, sizeof c.foot, "%s", foot);
    return c;
}

/* A generated document: its text, id and source. */
typedef struct tdoc {
    char *text;
    size_t len;
    char id[32], src[32];
} tdoc;

#define MAXDOCS 1024u
typedef struct tset {
    tdoc d[MAXDOCS];
    size_t n;
} tset;

static void ts_release(void *p)
{
    tset *ts = p;
    for (size_t i = 0; i < ts->n; i++) free(ts->d[i].text);
    free(ts);
}

static tset *ts_new(void)
{
    tset *ts = calloc(1, sizeof *ts);
    assert_non_null(ts);
    track(ts, ts_release);
    return ts;
}

static void ts_free(tset *ts)
{
    untrack(ts);
    ts_release(ts);
}

/* Takes b's text as the next document; @return its index. */
static size_t ts_push(tset *ts, sbuf *b, const char *src)
{
    assert_true(ts->n < MAXDOCS);
    tdoc *d = &ts->d[ts->n];
    if (!b->p) sb_put(b, "", 0);
    d->text = b->p;
    d->len = b->len;
    snprintf(d->id, sizeof d->id, "doc%zu", ts->n);
    snprintf(d->src, sizeof d->src, "%s", src);
    memset(b, 0, sizeof *b);
    return ts->n++;
}

/* A story of a feed inside its chrome: head line, paragraphs, foot line. */
static size_t ts_story(tset *ts, const char *src, const chrome *c, const story *s)
{
    sbuf b = { 0 };
    if (c) sb_line(&b, c->head);
    for (unsigned i = 0; i < s->n; i++) sb_para(&b, &s->p[i]);
    if (c) sb_line(&b, c->foot);
    return ts_push(ts, &b, src);
}

/* ---- running a collection ------------------------------------------------------ */
static nd_params params_lines(void)
{
    nd_params p;
    nd_params_init(&p, ND_PARAMS_VERSION);
    p.seg_mode = ND_SEG_LINES;
    return p;
}

typedef struct coll {
    nd_ctx *ctx;
    nd_doc *doc;
    nd_corpus *c;
    unsigned k;
} coll;

enum { ADD_PLAIN, ADD_SIGNED, ADD_SIGNED_NOSIG };

static void coll_open(coll *h, const nd_params *p)
{
    memset(h, 0, sizeof *h);
    assert_int_equal(nd_ctx_create(&h->ctx, p, NULL), ND_OK);
    track(h->ctx, free_ctx);
    assert_int_equal(nd_doc_create(&h->doc, h->ctx), ND_OK);
    track(h->doc, free_doc);
    assert_int_equal(nd_corpus_create(&h->c, h->ctx), ND_OK);
    track(h->c, free_corpus);
    h->k = nd_ctx_num_perm(h->ctx);
}

static void coll_close(coll *h)
{
    untrack(h->c);
    untrack(h->doc);
    untrack(h->ctx);
    nd_corpus_free(h->c);
    nd_doc_free(h->doc);
    nd_ctx_free(h->ctx);
    memset(h, 0, sizeof *h);
}

/* The analyzed document h->doc as nd_para_sig records, its signatures kept
 * in sigs (cut to `bits` bits, as a store keeps them). */
static nd_para_sig *signed_paras(const nd_doc *doc, unsigned k, unsigned bits, uint32_t **sigs)
{
    size_t n = nd_doc_count(doc);
    nd_para_sig *ps = tcalloc(n, sizeof *ps);
    *sigs = tmalloc(n * k * sizeof **sigs);
    const uint32_t mask = bits < 32 ? (1u << bits) - 1 : UINT32_MAX;
    for (size_t i = 0; i < n; i++) {
        nd_para_info info = ND_PARA_INFO_INIT;
        assert_int_equal(nd_doc_para(doc, i, &info), ND_OK);
        const uint32_t *sig = nd_doc_para_signature(doc, i);
        assert_non_null(sig);
        for (unsigned j = 0; j < k; j++) (*sigs)[i * k + j] = sig[j] & mask;
        ps[i].offset = info.offset;
        ps[i].length = info.length;
        ps[i].kind = info.kind;
        ps[i].of = info.of;
        ps[i].shingles = info.shingles;
        ps[i].tokens = info.tokens;
        ps[i].signature = *sigs + i * k;
        ps[i].similarity = info.similarity;
    }
    return ps;
}

static size_t coll_add(coll *h, const tdoc *d, int how, unsigned bits)
{
    size_t idx = ND_NONE;
    assert_int_equal(nd_doc_analyze(h->doc, d->text, d->len), ND_OK);
    if (how == ADD_PLAIN) {
        assert_int_equal(nd_corpus_add(h->c, h->doc, d->id, strlen(d->id), d->src, strlen(d->src), &idx),
                         ND_OK);
        return idx;
    }
    uint32_t *sigs, *dsig = tmalloc(h->k * sizeof *dsig);
    nd_para_sig *ps = signed_paras(h->doc, h->k, bits, &sigs);
    assert_int_equal(nd_doc_signature(h->doc, dsig, h->k), ND_OK);
    const uint32_t mask = bits < 32 ? (1u << bits) - 1 : UINT32_MAX;
    for (unsigned j = 0; j < h->k; j++) dsig[j] &= mask;
    assert_int_equal(nd_corpus_add_signed(h->c, d->id, strlen(d->id), d->src, strlen(d->src), ps,
                                          nd_doc_count(h->doc), how == ADD_SIGNED ? dsig : NULL, &idx),
                     ND_OK);
    tfree(ps);
    tfree(sigs);
    tfree(dsig);
    return idx;
}

/* Properties every finished collection must have, whatever its input. */
static void check_invariants(const nd_corpus *c)
{
    size_t n = nd_corpus_count(c);
    for (size_t i = 0; i < n; i++) {
        nd_doc_info d = ND_DOC_INFO_INIT, cd = ND_DOC_INFO_INIT;
        assert_int_equal(nd_corpus_doc(c, i, &d), ND_OK);
        if (d.duplicate_of != ND_NONE && d.duplicate_of >= i)
            fail_msg("doc %zu: duplicate_of %zu is not an earlier document", i, d.duplicate_of);
        if (d.cluster > i) fail_msg("doc %zu: cluster %zu is later than the document", i, d.cluster);
        assert_int_equal(nd_corpus_doc(c, d.cluster, &cd), ND_OK);
        if (cd.cluster != d.cluster)
            fail_msg("doc %zu: its cluster %zu is in cluster %zu", i, d.cluster, cd.cluster);
        if (d.duplicate_of == ND_NONE) { /* a copy may sit outside its original's cluster
                                               when it does not copy that cluster's first */
            assert_true(d.similarity == 0.0 && d.containment == 0.0);
        }
        assert_true(d.similarity >= 0.0 && d.similarity <= 1.0);
        assert_true(d.containment >= 0.0 && d.containment <= 1.0);
        size_t rep = 0, bp = 0;
        for (size_t j = 0; j < d.paragraphs; j++) {
            nd_para_info p = ND_PARA_INFO_INIT, q = ND_PARA_INFO_INIT;
            assert_int_equal(nd_corpus_para(c, i, j, &p), ND_OK);
            switch (p.kind) {
            case ND_KIND_CONTENT:
                assert_int_equal(p.of_doc, i);
                assert_int_equal(p.of, j);
                break;
            case ND_KIND_REPEAT:
                rep++;
                assert_int_equal(p.of_doc, i);
                if (p.of >= j) fail_msg("doc %zu para %zu: repeat of later %zu", i, j, p.of);
                break;
            case ND_KIND_BOILERPLATE:
                bp++;
                if (p.of_doc > i || (p.of_doc == i && p.of > j))
                    fail_msg("doc %zu para %zu: boilerplate of later %zu:%zu", i, j, p.of_doc, p.of);
                assert_int_equal(nd_corpus_para(c, p.of_doc, p.of, &q), ND_OK);
                if (q.kind != ND_KIND_BOILERPLATE || q.of_doc != p.of_doc || q.of != p.of)
                    fail_msg("doc %zu para %zu: family root %zu:%zu is %s of %zu:%zu", i, j, p.of_doc,
                             p.of, nd_kind_name(q.kind), q.of_doc, q.of);
                break;
            default:
                fail_msg("doc %zu para %zu: kind %d", i, j, (int)p.kind);
            }
        }
        assert_int_equal(rep, d.repeats);
        assert_int_equal(bp, d.boilerplate);
    }
}

static void coll_run(coll *h, const tset *ts, int how, unsigned bits)
{
    for (size_t i = 0; i < ts->n; i++) assert_int_equal(coll_add(h, &ts->d[i], how, bits), i);
    assert_int_equal(nd_corpus_finish(h->c), ND_OK);
    check_invariants(h->c);
}

static nd_doc_info doc_info(const coll *h, size_t i)
{
    nd_doc_info d = ND_DOC_INFO_INIT;
    assert_int_equal(nd_corpus_doc(h->c, i, &d), ND_OK);
    return d;
}

static nd_para_info para_info(const coll *h, size_t i, size_t j)
{
    nd_para_info p = ND_PARA_INFO_INIT;
    assert_int_equal(nd_corpus_para(h->c, i, j, &p), ND_OK);
    return p;
}

static void expect_kind(const coll *h, size_t i, size_t j, nd_kind want, const char *what)
{
    nd_para_info p = para_info(h, i, j);
    if (p.kind != want)
        fail_msg("%s: doc %zu para %zu is %s (of %zu:%zu, sim %.3f), expected %s", what, i, j,
                 nd_kind_name(p.kind), p.of_doc, p.of, p.similarity, nd_kind_name(want));
}

static void expect_bp_of(const coll *h, size_t i, size_t j, size_t of_doc, size_t of, const char *what)
{
    expect_kind(h, i, j, ND_KIND_BOILERPLATE, what);
    nd_para_info p = para_info(h, i, j);
    if (p.of_doc != of_doc || p.of != of)
        fail_msg("%s: doc %zu para %zu is boilerplate of %zu:%zu, expected of %zu:%zu", what, i, j,
                 p.of_doc, p.of, of_doc, of);
}

static void expect_unique(const coll *h, size_t i, const char *what)
{
    nd_doc_info d = doc_info(h, i);
    if (d.duplicate_of != ND_NONE || d.cluster != i)
        fail_msg("%s: doc %zu is a copy of %zu (sim %.3f, cont %.3f), cluster %zu", what, i,
                 d.duplicate_of, d.similarity, d.containment, d.cluster);
}

static void expect_copy(const coll *h, size_t i, size_t of, size_t cluster, const char *what)
{
    nd_doc_info d = doc_info(h, i);
    if (d.duplicate_of != of || d.cluster != cluster)
        fail_msg("%s: doc %zu: duplicate_of %zu (sim %.3f, cont %.3f), cluster %zu; expected "
                 "duplicate_of %zu, cluster %zu", what, i, d.duplicate_of, d.similarity,
                 d.containment, d.cluster, of, cluster);
}

/* n unrelated stories of a feed, each inside its chrome. */
static void ts_fillers(tset *ts, rng *r, const char *src, const chrome *c, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        story s = story_random(r, 5, 40);
        ts_story(ts, src, c, &s);
    }
}

/* ==== 1. families: index recall and verification ============================= */

#define R_DOCS 40u
#define R_FAMS 10u
#define R_VARS 10u
#define R_ITEMS 32u

typedef struct plan_doc {
    unsigned n;
    para p[R_ITEMS];
    int tag[R_ITEMS];   /* -1 own paragraph, f < R_FAMS family f, R_FAMS + g variant group g */
} plan_doc;

static void plan_insert(plan_doc *d, rng *r, const para *p, int tag)
{
    assert_true(d->n < R_ITEMS);
    unsigned at = rng_below(r, d->n + 1);
    memmove(&d->p[at + 1], &d->p[at], (d->n - at) * sizeof d->p[0]);
    memmove(&d->tag[at + 1], &d->tag[at], (d->n - at) * sizeof d->tag[0]);
    d->p[at] = *p;
    d->tag[at] = tag;
    d->n++;
}

/* m distinct documents out of n, ascending. */
static void pick_docs(rng *r, unsigned n, unsigned m, unsigned *out)
{
    for (unsigned i = 0; i < m; i++) {
        unsigned d, dup;
        do {
            d = rng_below(r, n);
            dup = 0;
            for (unsigned j = 0; j < i; j++) dup |= out[j] == d;
        } while (dup);
        out[i] = d;
    }
    for (unsigned i = 1; i < m; i++)
        for (unsigned j = i; j > 0 && out[j - 1] > out[j]; j--) {
            unsigned t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
}

/* Families at Jaccard 0.85..0.95 (a 40-word paragraph with one of its last
 * three words changed) planted in 3..5 stories of one feed must each form one
 * family, reported as boilerplate of the first occurrence; groups of
 * paragraphs at Jaccard ~0.4 to each other (a shared 25-word prefix), also in
 * 3 stories each, must not join. */
static void test_family_recall(void **state)
{
    (void)state;
    rng r = { 101 };
    plan_doc *plan = tcalloc(R_DOCS, sizeof *plan);
    for (unsigned d = 0; d < R_DOCS; d++) {
        plan[d].n = 6;
        for (unsigned i = 0; i < 6; i++) {
            plan[d].p[i] = para_random(&r, 40);
            plan[d].tag[i] = -1;
        }
    }
    unsigned members = 0;
    double jmin = 1.0, vmin = 1.0, vmax = 0.0;
    for (unsigned f = 0; f < R_FAMS; f++) {
        unsigned m = 3 + f % 3, docs[5];
        para base = para_random(&r, 40);
        pick_docs(&r, R_DOCS, m, docs);
        for (unsigned i = 0; i < m; i++) {
            para p = i == 0 ? base : para_change(&base, 37 + rng_below(&r, 3), &r);
            double j = para_jaccard(&base, &p);
            if (j < jmin) jmin = j;
            plan_insert(&plan[docs[i]], &r, &p, (int)f);
            members++;
        }
    }
    assert_true(jmin >= 0.8);
    for (unsigned g = 0; g < R_VARS; g++) {
        unsigned docs[3];
        para base = para_random(&r, 40), v[3];
        pick_docs(&r, R_DOCS, 3, docs);
        for (unsigned i = 0; i < 3; i++) {
            v[i] = para_share_prefix(&base, 25, &r);
            plan_insert(&plan[docs[i]], &r, &v[i], (int)(R_FAMS + g));
        }
        for (unsigned i = 0; i < 3; i++)
            for (unsigned j = i + 1; j < 3; j++) {
                double s = para_jaccard(&v[i], &v[j]);
                if (s < vmin) vmin = s;
                if (s > vmax) vmax = s;
            }
    }
    assert_true(vmin >= 0.35 && vmax <= 0.45);

    tset *ts = ts_new();
    for (unsigned d = 0; d < R_DOCS; d++) {
        sbuf b = { 0 };
        for (unsigned i = 0; i < plan[d].n; i++) sb_para(&b, &plan[d].p[i]);
        ts_push(ts, &b, "feed");
    }
    nd_params p = params_lines();
    coll h;
    coll_open(&h, &p);
    coll_run(&h, ts, ADD_PLAIN, 32);

    /* first occurrence of each family: the earliest document holding it */
    size_t first_doc[R_FAMS], first_para[R_FAMS];
    for (unsigned f = 0; f < R_FAMS; f++) first_doc[f] = ND_NONE;
    for (unsigned d = 0; d < R_DOCS; d++)
        for (unsigned i = 0; i < plan[d].n; i++) {
            int t = plan[d].tag[i];
            if (t >= 0 && t < (int)R_FAMS && first_doc[t] == ND_NONE) {
                first_doc[t] = d;
                first_para[t] = i;
            }
        }
    unsigned fam_ok = 0, bp = 0, var_joined = 0, own_bp = 0;
    int fam_bad[R_FAMS] = { 0 };
    for (unsigned d = 0; d < R_DOCS; d++) {
        for (unsigned i = 0; i < plan[d].n; i++) {
            nd_para_info pi = para_info(&h, d, i);
            int t = plan[d].tag[i];
            if (t >= 0 && t < (int)R_FAMS) {
                if (pi.kind == ND_KIND_BOILERPLATE && pi.of_doc == first_doc[t] && pi.of == first_para[t])
                    bp++;
                else
                    fam_bad[t] = 1;
            } else if (t >= (int)R_FAMS) {
                var_joined += pi.kind != ND_KIND_CONTENT;
            } else {
                own_bp += pi.kind != ND_KIND_CONTENT;
            }
        }
    }
    for (unsigned f = 0; f < R_FAMS; f++) fam_ok += !fam_bad[f];
    if (verbose())
        print_message("families: %u/%u whole (%u/%u members at J >= %.3f), ~0.4 variants joined: %u/%u "
                      "(J %.3f..%.3f), own paragraphs not content: %u\n",
                      fam_ok, R_FAMS, bp, members, jmin, var_joined, R_VARS * 3, vmin, vmax, own_bp);
    for (unsigned d = 0; d < R_DOCS; d++)
        for (unsigned i = 0; i < plan[d].n; i++) {
            int t = plan[d].tag[i];
            if (t >= 0 && t < (int)R_FAMS)
                expect_bp_of(&h, d, i, first_doc[t], first_para[t], "planted family");
            else
                expect_kind(&h, d, i, ND_KIND_CONTENT, t < 0 ? "own paragraph" : "~0.4 variant");
        }
    assert_int_equal(fam_ok, R_FAMS);
    assert_int_equal(var_joined, 0);
    for (unsigned d = 0; d < R_DOCS; d++) expect_unique(&h, d, "family recall");
    coll_close(&h);
    ts_free(ts);
    tfree(plan);
}

/* At exactly J = 0.80 (word 36 of 0..39 changed: 4 of 36 shingles)
 * a family is joined on the MinHash estimate (K = 128, threshold 0.75), so a
 * few percent of pairs are expected to fall below: measures the share of 240
 * two-story families (min_stories = 2) found whole. The binomial bound is
 * P(Bin(128, 0.8) >= 96) ~ 0.93; less than 0.85 means the index loses pairs. */
static void test_family_recall_at_080(void **state)
{
    (void)state;
    enum { DOCS = 60, FAMS = 240 };
    rng r = { 202 };
    plan_doc *plan = tcalloc(DOCS, sizeof *plan);
    for (unsigned d = 0; d < DOCS; d++) {
        plan[d].n = 4;
        for (unsigned i = 0; i < 4; i++) {
            plan[d].p[i] = para_random(&r, 40);
            plan[d].tag[i] = -1;
        }
    }
    static const unsigned offs[4] = { 1, 14, 27, 40 }; /* every pair of documents shares one family at most */
    for (unsigned f = 0; f < FAMS; f++) {
        unsigned a = f % DOCS, b = (a + offs[f / DOCS]) % DOCS;
        para base = para_random(&r, 40), copy = para_change(&base, 36, &r);
        assert_true(para_jaccard(&base, &copy) > 0.799 && para_jaccard(&base, &copy) < 0.801);
        plan_insert(&plan[a], &r, &base, (int)f);
        plan_insert(&plan[b], &r, &copy, (int)f);
    }
    tset *ts = ts_new();
    for (unsigned d = 0; d < DOCS; d++) {
        sbuf b = { 0 };
        for (unsigned i = 0; i < plan[d].n; i++) sb_para(&b, &plan[d].p[i]);
        ts_push(ts, &b, "feed");
    }
    nd_params p = params_lines();
    p.min_stories = 2;
    coll h;
    coll_open(&h, &p);
    coll_run(&h, ts, ADD_PLAIN, 32);
    unsigned found[FAMS] = { 0 }, own_bp = 0;
    for (unsigned d = 0; d < DOCS; d++)
        for (unsigned i = 0; i < plan[d].n; i++) {
            nd_para_info pi = para_info(&h, d, i);
            if (plan[d].tag[i] < 0) own_bp += pi.kind != ND_KIND_CONTENT;
            else found[plan[d].tag[i]] += pi.kind == ND_KIND_BOILERPLATE;
        }
    unsigned whole = 0;
    for (unsigned f = 0; f < FAMS; f++) whole += found[f] == 2;
    if (verbose())
        print_message("J = 0.80 families found whole: %u/%u (%.1f%%)\n", whole, FAMS, 100.0 * whole / FAMS);
    assert_int_equal(own_bp, 0);
    assert_true(whole >= FAMS * 85 / 100);
    coll_close(&h);
    ts_free(ts);
    tfree(plan);
}

/* ---- nd__lsh_chain directly ---- */

/* The chain's key for item i in band b: the top half of the band key xor
 * the salt folded to 32 bits (what the collection passes to lsh.c). */
static uint32_t salt32(uint64_t salt) { return (uint32_t)(salt ^ salt >> 32); }

static uint32_t chain_key(const nd__lsh *keyer, const uint32_t *sig, unsigned band, uint64_t salt)
{
    return (uint32_t)(nd__lsh_band_key(keyer, sig, band) >> 32) ^ salt32(salt);
}

/* The links as one dense array, prev[position * bands + band], the form
 * check_chain compares with brute force. */
static void expand_links(const nd__links *l, uint32_t *prev)
{
    for (size_t i = 0; i < l->n; i++)
        for (unsigned b = 0; b < l->bands; b++) prev[i * l->bands + b] = nd__link(l, b, (uint32_t)i);
}

/* nd__lsh_chain over the band keys of ns signatures (as a collection keeps
 * them, one row of keys per signature) with 64-bit salts folded. */
static int run_chain(const nd_allocator *al, unsigned bands, unsigned rows, uint32_t mask,
                     const uint32_t *sigs, size_t k, size_t ns, const uint32_t *items,
                     const uint64_t *salts, size_t n, uint32_t *prev)
{
    uint32_t *keys = tmalloc((ns ? ns : 1) * bands * sizeof *keys);
    uint32_t *s32 = tmalloc((n ? n : 1) * sizeof *s32);
    for (size_t i = 0; i < ns; i++) nd__lsh_keys(bands, rows, mask, sigs + i * k, keys + i * bands);
    for (size_t i = 0; i < n; i++) s32[i] = salts ? salt32(salts[i]) : 0;
    nd__flat_rows flat = { keys, bands };
    nd__links links;
    int rc = nd__lsh_chain(al, nd__flat_row, &flat, bands, items, salts ? s32 : NULL, n, &links, 1);
    if (rc == ND_OK) {
        expand_links(&links, prev);
        nd__links_free(al, &links);
    }
    /* the same links on several threads (band groups as separate tasks) */
    uint32_t *again = tmalloc((n ? n : 1) * bands * sizeof *again);
    for (unsigned threads = 2; threads <= 5 && rc == ND_OK; threads += 3) {
        assert_int_equal(nd__lsh_chain(al, nd__flat_row, &flat, bands, items, salts ? s32 : NULL, n,
                                       &links, threads), ND_OK);
        expand_links(&links, again);
        nd__links_free(al, &links);
        if (n) assert_memory_equal(again, prev, n * bands * sizeof *prev);
    }
    tfree(again);
    tfree(keys);
    tfree(s32);
    return rc;
}

/* Checks prev[] (item-major: prev[position * bands + band]) against brute force: for each position and band, the largest
 * earlier position with the same chain key, else END; and that every earlier
 * position whose full band key (xor salt) is equal is reached by the chain. */
static void check_chain(unsigned bands, unsigned rows, uint32_t mask, const uint32_t *sigs, size_t k,
                        const uint32_t *items, const uint64_t *salts, size_t n, const uint32_t *prev)
{
    nd__lsh keyer;
    nd__lsh_init(&keyer, nd__default_allocator(), bands, rows);
    keyer.mask = mask;
    uint32_t *key = tmalloc(n * bands * sizeof *key);
    uint64_t *full = tmalloc(n * bands * sizeof *full);
    for (size_t i = 0; i < n; i++)
        for (unsigned b = 0; b < bands; b++) {
            const uint32_t *sig = sigs + (size_t)items[i] * k;
            uint64_t salt = salts ? salts[i] : 0;
            key[i * bands + b] = chain_key(&keyer, sig, b, salt);
            full[i * bands + b] = nd__lsh_band_key(&keyer, sig, b) ^ salt;
        }
    for (size_t i = 0; i < n; i++)
        for (unsigned b = 0; b < bands; b++) {
            uint32_t want = ND__LSH_END;
            for (size_t j = i; j-- > 0;)
                if (key[j * bands + b] == key[i * bands + b]) {
                    want = (uint32_t)j;
                    break;
                }
            uint32_t got = prev[(size_t)i * bands + b];
            if (got != want) fail_msg("bands=%u rows=%u: prev[%zu][%u] = %u, expected %u", bands, rows, i, b, got, want);
            /* every earlier equal full key is on the chain */
            for (size_t j = 0; j < i; j++) {
                if (full[j * bands + b] != full[i * bands + b]) continue;
                uint32_t q = prev[(size_t)i * bands + b];
                while (q != ND__LSH_END && q > j) q = prev[(size_t)q * bands + b];
                if (q != j) fail_msg("band %u: position %zu's chain skips equal-key position %zu", b, i, j);
            }
        }
    tfree(key);
    tfree(full);
}

static size_t chain_links(const uint32_t *prev, size_t n, unsigned bands)
{
    size_t links = 0;
    for (size_t i = 0; i < n * bands; i++) links += prev[i] != ND__LSH_END;
    return links;
}

static void test_lsh_chain(void **state)
{
    (void)state;
    const nd_allocator *al = nd__default_allocator();
    enum { NS = 700, K = 128, N = 600 };
    rng r = { 303 };
    uint32_t *sigs = tmalloc((size_t)NS * K * sizeof *sigs);
    uint32_t *items = tmalloc(N * sizeof *items);
    uint32_t *prev = tmalloc((size_t)N * K * sizeof *prev);
    uint64_t *salts = tmalloc(N * sizeof *salts);
    for (size_t i = 0; i < (size_t)NS * K; i++) sigs[i] = (uint32_t)rng_u64(&r);
    /* positions take a shuffled subset of the signatures */
    uint32_t *perm = tmalloc(NS * sizeof *perm);
    for (uint32_t i = 0; i < NS; i++) perm[i] = i;
    for (uint32_t i = NS - 1; i > 0; i--) {
        uint32_t j = rng_below(&r, i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    memcpy(items, perm, N * sizeof *items);
    tfree(perm);

    /* unrelated random signatures: (almost) no link: a 32-bit prefix
     * collision among 600 items has odds ~4e-5 per band */
    static const unsigned shapes[][2] = { { 32, 4 }, { 13, 9 }, { 1, 128 }, { 128, 1 }, { 9, 3 } };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        unsigned bands = shapes[s][0], rows = shapes[s][1];
        assert_int_equal(run_chain(al, bands, rows, UINT32_MAX, sigs, K, NS, items, NULL, N, prev), ND_OK);
        size_t links = chain_links(prev, N, bands);
        if (links > 2)
            fail_msg("bands=%u rows=%u: %zu links between unrelated signatures", bands, rows, links);
        check_chain(bands, rows, UINT32_MAX, sigs, K, items, NULL, N, prev);
    }

    /* planted identical signatures: i < j in every band reaches i from j */
    static const size_t pairs[][2] = { { 5, 300 }, { 17, 599 }, { 100, 101 }, { 0, 1 }, { 250, 420 } };
    for (size_t p = 0; p < 5; p++)
        memcpy(sigs + (size_t)items[pairs[p][1]] * K, sigs + (size_t)items[pairs[p][0]] * K, K * sizeof *sigs);
    /* one signature at 20 positions: each links to the previous one */
    size_t many[20];
    for (size_t i = 0; i < 20; i++) {
        many[i] = 31 + i * 27;
        if (i) memcpy(sigs + (size_t)items[many[i]] * K, sigs + (size_t)items[many[0]] * K, K * sizeof *sigs);
    }
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        unsigned bands = shapes[s][0], rows = shapes[s][1];
        assert_int_equal(run_chain(al, bands, rows, UINT32_MAX, sigs, K, NS, items, NULL, N, prev), ND_OK);
        for (size_t p = 0; p < 5; p++)
            for (unsigned b = 0; b < bands; b++) {
                uint32_t q = prev[pairs[p][1] * bands + b];
                while (q != ND__LSH_END && q > pairs[p][0]) q = prev[(size_t)q * bands + b];
                if (q != pairs[p][0])
                    fail_msg("bands=%u rows=%u band %u: chain from %zu does not reach identical %zu", bands,
                             rows, b, pairs[p][1], pairs[p][0]);
            }
        for (size_t i = 1; i < 20; i++)
            for (unsigned b = 0; b < bands; b++)
                assert_int_equal(prev[many[i] * bands + b], many[i - 1]);
        for (unsigned b = 0; b < bands; b++) assert_int_equal(prev[many[0] * bands + b], ND__LSH_END);
        check_chain(bands, rows, UINT32_MAX, sigs, K, items, NULL, N, prev);
    }

    /* salts keep scopes apart: the planted pairs link only when their salts
     * are equal */
    for (size_t i = 0; i < N; i++) salts[i] = 0x1000 + (i % 3);
    salts[pairs[0][1]] = salts[pairs[0][0]];          /* same scope: linked */
    salts[pairs[1][1]] = salts[pairs[1][0]] ^ 0x40;   /* other scope: apart */
    salts[pairs[2][1]] = salts[pairs[2][0]] + 1;
    assert_int_equal(run_chain(al, 32, 4, UINT32_MAX, sigs, K, NS, items, salts, N, prev), ND_OK);
    for (unsigned b = 0; b < 32; b++) {
        uint32_t q = prev[pairs[0][1] * 32 + b];
        while (q != ND__LSH_END && q > pairs[0][0]) q = prev[(size_t)q * 32 + b];
        assert_int_equal(q, pairs[0][0]);
        for (size_t p = 1; p < 3; p++) {
            q = prev[pairs[p][1] * 32 + b];
            while (q != ND__LSH_END && q > pairs[p][0]) q = prev[(size_t)q * 32 + b];
            if (q == pairs[p][0]) fail_msg("band %u: salted-apart positions %zu and %zu are chained", b, pairs[p][1], pairs[p][0]);
        }
    }
    check_chain(32, 4, UINT32_MAX, sigs, K, items, salts, N, prev);

    /* b-bit signatures: only the kept bits decide */
    uint32_t *sj = sigs + (size_t)items[pairs[4][1]] * K;
    for (size_t i = 0; i < K; i++) sj[i] ^= 0xABCD1200u;  /* same low 8 bits as pair[4][0] */
    assert_int_equal(run_chain(al, 32, 4, UINT32_MAX, sigs, K, NS, items, NULL, N, prev), ND_OK);
    for (unsigned b = 0; b < 32; b++) assert_int_not_equal(prev[pairs[4][1] * 32 + b], pairs[4][0]);
    assert_int_equal(run_chain(al, 32, 4, 0xFF, sigs, K, NS, items, NULL, N, prev), ND_OK);
    for (unsigned b = 0; b < 32; b++) {
        uint32_t q = prev[pairs[4][1] * 32 + b];
        while (q != ND__LSH_END && q > pairs[4][0]) q = prev[(size_t)q * 32 + b];
        assert_int_equal(q, pairs[4][0]);
    }
    check_chain(32, 4, 0xFF, sigs, K, items, NULL, N, prev);

    /* dense links: two bits of one value per band leave 4 keys, so every
     * position but the first of each key links, filling whole words of the
     * links' bitmap, their last bit included, at sizes around a word */
    static const size_t sizes[] = { 1, 63, 64, 65, 128, 129 };
    for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
        const size_t n = sizes[z];
        assert_int_equal(run_chain(al, 32, 1, 0x3, sigs, K, NS, items, NULL, n, prev), ND_OK);
        check_chain(32, 1, 0x3, sigs, K, items, NULL, n, prev);
        assert_true(chain_links(prev, n, 32) >= (n > 4 ? n - 4 : 0) * 32);
    }

    /* no items */
    assert_int_equal(run_chain(al, 32, 4, UINT32_MAX, sigs, K, NS, items, NULL, 0, prev), ND_OK);
    tfree(sigs);
    tfree(items);
    tfree(prev);
    tfree(salts);
}

/* ==== 2. the boilerplate rule =================================================== */

#define READ_FULL "Read Full Story"
#define SIGN_UP "Sign up for breaking news and get the top headlines every morning"

typedef struct chrome_set {
    size_t first, n;   /* the stories: documents first .. first+n-1 */
} chrome_set;

/* (a) "Read Full Story" and a 12-word sign-up line under 5 stories of a feed. */
static chrome_set build_chrome_set(tset *ts, rng *r)
{
    chrome_set out = { ts->n, 5 };
    for (unsigned i = 0; i < 5; i++) {
        story s = story_random(r, 6, 30 + i);
        sbuf b = { 0 };
        for (unsigned j = 0; j < s.n; j++) sb_para(&b, &s.p[j]);
        sb_line(&b, READ_FULL);
        sb_line(&b, SIGN_UP);
        ts_push(ts, &b, "chrome-feed");
    }
    return out;
}

static void check_chrome_set(const coll *h, const chrome_set *cs)
{
    for (size_t d = cs->first; d < cs->first + cs->n; d++) {
        for (size_t j = 0; j < 6; j++) expect_kind(h, d, j, ND_KIND_CONTENT, "story paragraph");
        expect_bp_of(h, d, 6, cs->first, 6, "\"" READ_FULL "\"");
        expect_bp_of(h, d, 7, cs->first, 7, "sign-up line");
        assert_int_equal(doc_info(h, d).boilerplate, 2);
        expect_unique(h, d, "stories sharing chrome");
    }
}

static void test_chrome_under_five_stories(void **state)
{
    (void)state;
    rng r = { 404 };
    tset *ts = ts_new();
    chrome_set cs = build_chrome_set(ts, &r);
    nd_params p = params_lines();
    coll h;
    coll_open(&h, &p);
    coll_run(&h, ts, ADD_PLAIN, 32);
    check_chrome_set(&h, &cs);
    coll_close(&h);
    ts_free(ts);
}

/* (b) one wire story of 6 paragraphs republished by 5 feeds, each inside its
 * own chrome, among 2 other stories of the feed. */
typedef struct wire_set {
    size_t wire[5];
    size_t other[10];
} wire_set;

static wire_set build_wire_sources(tset *ts, rng *r)
{
    wire_set out;
    story w = story_random(r, 6, 40);
    for (unsigned s = 0; s < 5; s++) {
        char src[16];
        snprintf(src, sizeof src, "wire-site%u", s);
        chrome c = chrome_random(r);
        story a = story_random(r, 5, 40), b = story_random(r, 5, 40);
        out.other[2 * s] = ts_story(ts, src, &c, &a);
        out.wire[s] = ts_story(ts, src, &c, &w);
        out.other[2 * s + 1] = ts_story(ts, src, &c, &b);
    }
    return out;
}

static void check_wire_sources(const coll *h, const wire_set *ws, const char *scope)
{
    char what[64];
    for (unsigned s = 0; s < 5; s++) {
        snprintf(what, sizeof what, "wire story, scope %s", scope);
        for (size_t j = 1; j <= 6; j++) expect_kind(h, ws->wire[s], j, ND_KIND_CONTENT, what);
        if (s) {
            nd_doc_info d = doc_info(h, ws->wire[s]);
            if (d.duplicate_of == ND_NONE || d.cluster != ws->wire[0])
                fail_msg("%s: republication %u (doc %zu) not in the cluster of doc %zu: duplicate_of %zu, "
                         "cluster %zu", what, s, ws->wire[s], ws->wire[0], d.duplicate_of, d.cluster);
        }
        snprintf(what, sizeof what, "feed chrome, scope %s", scope);
        size_t docs[3] = { ws->other[2 * s], ws->wire[s], ws->other[2 * s + 1] };
        for (unsigned i = 0; i < 3; i++) {
            expect_bp_of(h, docs[i], 0, docs[0], 0, what);
            expect_bp_of(h, docs[i], 7 - (i != 1), docs[0], 6, what);
        }
        expect_unique(h, ws->other[2 * s], "other story");
        expect_unique(h, ws->other[2 * s + 1], "other story");
    }
    expect_unique(h, ws->wire[0], "first publication");
}

static void test_wire_story_across_sources(void **state)
{
    (void)state;
    for (int scope = ND_SCOPE_SOURCE; scope <= ND_SCOPE_ALL; scope++) {
        rng r = { 505 };
        tset *ts = ts_new();
        wire_set ws = build_wire_sources(ts, &r);
        nd_params p = params_lines();
        p.boilerplate_scope = (nd_scope)scope;
        coll h;
        coll_open(&h, &p);
        coll_run(&h, ts, ADD_PLAIN, 32);
        if (verbose())
            for (unsigned s = 0; s < 5; s++) {
                nd_doc_info d = doc_info(&h, ws.wire[s]);
                print_message("scope %d wire %u (doc %zu): boilerplate %zu/%zu, duplicate_of %lld, cluster %zu\n",
                              scope, s, ws.wire[s], d.boilerplate, d.paragraphs, DUP(d.duplicate_of),
                              d.cluster);
            }
        check_wire_sources(&h, &ws, scope == ND_SCOPE_ALL ? "all" : "source");
        coll_close(&h);
        ts_free(ts);
    }
}

/* (c) the wire story republished 4 times by one feed, with its chrome, which
 * is also under 3 unrelated stories of the feed. */
typedef struct one_feed_set {
    size_t wire[4], other[3];
} one_feed_set;

static one_feed_set build_wire_one_source(tset *ts, rng *r)
{
    one_feed_set out;
    story w = story_random(r, 6, 40);
    chrome c = chrome_random(r);
    for (unsigned i = 0; i < 4; i++) {
        out.wire[i] = ts_story(ts, "one-feed", &c, &w);
        if (i < 3) {
            story o = story_random(r, 5, 40);
            out.other[i] = ts_story(ts, "one-feed", &c, &o);
        }
    }
    return out;
}

static void check_wire_one_source(const coll *h, const one_feed_set *os)
{
    for (unsigned i = 0; i < 4; i++) {
        nd_doc_info d = doc_info(h, os->wire[i]);
        if (verbose())
            print_message("one feed, wire copy %u (doc %zu): boilerplate %zu/%zu, duplicate_of %lld, cluster %zu\n",
                          i, os->wire[i], d.boilerplate, d.paragraphs, DUP(d.duplicate_of), d.cluster);
    }
    for (unsigned i = 0; i < 4; i++) {
        for (size_t j = 1; j <= 6; j++)
            expect_kind(h, os->wire[i], j, ND_KIND_CONTENT, "wire story republished by one feed");
        expect_bp_of(h, os->wire[i], 0, os->wire[0], 0, "one feed's chrome");
        expect_bp_of(h, os->wire[i], 7, os->wire[0], 7, "one feed's chrome");
        if (i) {
            nd_doc_info d = doc_info(h, os->wire[i]);
            int earlier_copy = 0;
            for (unsigned j = 0; j < i; j++) earlier_copy |= d.duplicate_of == os->wire[j];
            if (!earlier_copy || d.cluster != os->wire[0])
                fail_msg("republication %u in one feed (doc %zu): duplicate_of %lld, cluster %zu; expected "
                         "an earlier republication, cluster %zu", i, os->wire[i], DUP(d.duplicate_of),
                         d.cluster, os->wire[0]);
        }
    }
    for (unsigned i = 0; i < 3; i++) {
        expect_bp_of(h, os->other[i], 0, os->wire[0], 0, "one feed's chrome");
        expect_bp_of(h, os->other[i], 6, os->wire[0], 7, "one feed's chrome");
        expect_unique(h, os->other[i], "other story of the feed");
    }
}

static void test_wire_story_in_one_source(void **state)
{
    (void)state;
    rng r = { 606 };
    tset *ts = ts_new();
    one_feed_set os = build_wire_one_source(ts, &r);
    nd_params p = params_lines();
    coll h;
    coll_open(&h, &p);
    coll_run(&h, ts, ADD_PLAIN, 32);
    check_wire_one_source(&h, &os);
    coll_close(&h);
    ts_free(ts);
}

/* (d) a line under exactly 2 of 4 stories: boilerplate with min_stories = 2,
 * content with 3; a line under all 4 is boilerplate either way. */
static void test_min_stories(void **state)
{
    (void)state;
    for (unsigned ms = 2; ms <= 3; ms++) {
        rng r = { 707 };
        tset *ts = ts_new();
        para two = para_random(&r, 12), all = para_random(&r, 9);
        size_t at[4], last[4];
        for (unsigned i = 0; i < 4; i++) {
            story s = story_random(&r, 5, 40);
            sbuf b = { 0 };
            for (unsigned j = 0; j < s.n; j++) sb_para(&b, &s.p[j]);
            at[i] = (i == 1 || i == 3) ? sb_para(&b, &two) : ND_NONE;
            last[i] = sb_para(&b, &all);
            ts_push(ts, &b, "ms-feed");
        }
        nd_params p = params_lines();
        p.min_stories = ms;
        coll h;
        coll_open(&h, &p);
        coll_run(&h, ts, ADD_PLAIN, 32);
        for (unsigned i = 0; i < 4; i++) {
            if (at[i] != ND_NONE) {
                if (ms == 2) expect_bp_of(&h, i, at[i], 1, 5, "line under 2 stories, min_stories 2");
                else expect_kind(&h, i, at[i], ND_KIND_CONTENT, "line under 2 stories, min_stories 3");
            }
            expect_bp_of(&h, i, last[i], 0, 5, "line under 4 stories");
            expect_unique(&h, i, "min_stories stories");
        }
        coll_close(&h);
        ts_free(ts);
    }
}

/* (e) a line once in each of 3 feeds: boilerplate with ND_SCOPE_ALL, content
 * with ND_SCOPE_SOURCE. */
static void test_scope_all(void **state)
{
    (void)state;
    for (int scope = ND_SCOPE_SOURCE; scope <= ND_SCOPE_ALL; scope++) {
        rng r = { 808 };
        tset *ts = ts_new();
        para line = para_random(&r, 10);
        size_t docs[3];
        for (unsigned s = 0; s < 3; s++) {
            char src[16];
            snprintf(src, sizeof src, "scope-site%u", s);
            story a = story_random(&r, 5, 40), b = story_random(&r, 5, 40);
            sbuf buf = { 0 };
            for (unsigned j = 0; j < a.n; j++) sb_para(&buf, &a.p[j]);
            sb_para(&buf, &line);
            docs[s] = ts_push(ts, &buf, src);
            ts_story(ts, src, NULL, &b);
        }
        nd_params p = params_lines();
        p.boilerplate_scope = (nd_scope)scope;
        coll h;
        coll_open(&h, &p);
        coll_run(&h, ts, ADD_PLAIN, 32);
        for (unsigned s = 0; s < 3; s++) {
            if (scope == ND_SCOPE_ALL) expect_bp_of(&h, docs[s], 5, docs[0], 5, "line in 3 feeds, scope all");
            else expect_kind(&h, docs[s], 5, ND_KIND_CONTENT, "line in 3 feeds, scope source");
        }
        for (size_t d = 0; d < ts->n; d++) expect_unique(&h, d, "scope stories");
        coll_close(&h);
        ts_free(ts);
    }
}

/* (f) a paragraph repeated inside its document and recurring across stories
 * is boilerplate, not a repeat; a repeat found nowhere else stays a repeat. */
typedef struct rep_set {
    size_t docs[3];
} rep_set;

static rep_set build_repeat_bp(tset *ts, rng *r)
{
    rep_set out;
    para line = para_random(r, 14), rep = para_random(r, 20);
    for (unsigned i = 0; i < 3; i++) {
        story s = story_random(r, 5, 40);
        sbuf b = { 0 };
        sb_para(&b, &s.p[0]);                    /* 0 */
        sb_para(&b, &line);                      /* 1: recurring line */
        sb_para(&b, &s.p[1]);                    /* 2 */
        sb_para(&b, i == 1 ? &rep : &s.p[2]);    /* 3 */
        sb_para(&b, i == 0 ? &line : &s.p[3]);   /* 4: doc 0 repeats the line */
        sb_para(&b, i == 1 ? &rep : &s.p[4]);    /* 5: doc 1 repeats its own line */
        out.docs[i] = ts_push(ts, &b, "rep-feed");
    }
    return out;
}

static void check_repeat_bp(const coll *h, const rep_set *rs)
{
    size_t d0 = rs->docs[0], d1 = rs->docs[1];
    expect_bp_of(h, d0, 1, d0, 1, "recurring line");
    expect_bp_of(h, d0, 4, d0, 1, "recurring line repeated in its document");
    expect_bp_of(h, d1, 1, d0, 1, "recurring line");
    expect_bp_of(h, rs->docs[2], 1, d0, 1, "recurring line");
    expect_kind(h, d1, 5, ND_KIND_REPEAT, "repeat found in one document only");
    assert_int_equal(para_info(h, d1, 5).of, 3);
    nd_doc_info a = doc_info(h, d0), b = doc_info(h, d1);
    assert_int_equal(a.repeats, 0);
    assert_int_equal(a.boilerplate, 2);
    assert_int_equal(b.repeats, 1);
    assert_int_equal(b.boilerplate, 1);
}

static void test_repeat_and_boilerplate(void **state)
{
    (void)state;
    rng r = { 909 };
    tset *ts = ts_new();
    rep_set rs = build_repeat_bp(ts, &r);
    nd_params p = params_lines();
    coll h;
    coll_open(&h, &p);
    for (size_t i = 0; i < ts->n; i++) coll_add(&h, &ts->d[i], ADD_PLAIN, 32);
    /* before finish: the kinds of nd_doc_analyze */
    nd_para_info pi = para_info(&h, rs.docs[0], 4);
    assert_int_equal(pi.kind, ND_KIND_REPEAT);
    assert_int_equal(pi.of, 1);
    assert_int_equal(para_info(&h, rs.docs[1], 1).kind, ND_KIND_CONTENT);
    assert_int_equal(nd_corpus_finish(h.c), ND_OK);
    check_invariants(h.c);
    check_repeat_bp(&h, &rs);
    coll_close(&h);
    ts_free(ts);
}

/* ==== 3. containment and copies ================================================= */

/* The content of a 10-paragraph story as text, cut at a word boundary at
 * `share` of its bytes. */
static void sb_truncated(sbuf *b, const story *s, double share)
{
    sbuf all = { 0 };
    for (unsigned i = 0; i < s->n; i++) sb_para(&all, &s->p[i]);
    size_t cut = (size_t)((double)all.len * share);
    while (cut > 0 && all.p[cut] != ' ' && all.p[cut] != '\n') cut--;
    for (size_t i = 0; i < cut; i++) b->lines += all.p[i] == '\n';
    sb_put(b, all.p, cut);
    sb_put(b, "\n", 1);
    b->lines++;
    free(all.p);
}

typedef struct trunc_set {
    size_t full, part;
} trunc_set;

/* A 10-paragraph story in feed A and its first 55% in feed B, each feed with
 * its own chrome around 3 other stories too; `part_first` puts the truncated
 * copy first. */
static trunc_set build_truncated(tset *ts, rng *r, int part_first)
{
    trunc_set out;
    story o = story_random(r, 10, 40);
    chrome ca = chrome_random(r), cb = chrome_random(r);
    ts_fillers(ts, r, "trunc-a", &ca, 2);
    ts_fillers(ts, r, "trunc-b", &cb, 2);
    for (int i = 0; i < 2; i++) {
        if ((i == 0) == (part_first != 0)) {
            sbuf b = { 0 };
            sb_line(&b, cb.head);
            sb_truncated(&b, &o, 0.55);
            sb_line(&b, cb.foot);
            out.part = ts_push(ts, &b, "trunc-b");
        } else {
            out.full = ts_story(ts, "trunc-a", &ca, &o);
        }
    }
    ts_fillers(ts, r, "trunc-a", &ca, 1);
    ts_fillers(ts, r, "trunc-b", &cb, 1);
    return out;
}

static void check_truncated(const coll *h, const trunc_set *t)
{
    size_t first = t->full < t->part ? t->full : t->part, later = t->full ^ t->part ^ first;
    nd_doc_info d = doc_info(h, later);
    if (verbose())
        print_message("truncated copy (%s first): doc %zu duplicate_of %lld, similarity %.3f, containment %.3f\n",
                      first == t->full ? "original" : "copy", later, DUP(d.duplicate_of), d.similarity,
                      d.containment);
    expect_copy(h, later, first, first, "55% copy");
    if (!(d.containment >= 0.9)) fail_msg("55%% copy: containment %.3f < 0.9", d.containment);
    if (!(d.similarity < d.containment))
        fail_msg("55%% copy: similarity %.3f not below containment %.3f", d.similarity, d.containment);
    expect_unique(h, first, "original of a copy");
}

static void test_truncated_copy(void **state)
{
    (void)state;
    for (int part_first = 0; part_first < 2; part_first++) {
        rng r = { 1111 };
        tset *ts = ts_new();
        trunc_set t = build_truncated(ts, &r, part_first);
        nd_params p = params_lines();
        coll h;
        coll_open(&h, &p);
        coll_run(&h, ts, ADD_PLAIN, 32);
        check_truncated(&h, &t);
        for (size_t d = 0; d < ts->n; d++)
            if (d != t.full && d != t.part) expect_unique(&h, d, "filler story");
        coll_close(&h);
        ts_free(ts);
    }
}

/* A copy with one paragraph dropped and one from another story added; two
 * stories of one feed sharing its chrome (only 2 stories, so the chrome is
 * their content); a tiny one-paragraph excerpt (36 shingles < min_contained)
 * and a two-paragraph one (72 shingles). */
typedef struct edit_set {
    size_t orig, edited, other, site[2], tiny, small;
} edit_set;

static edit_set build_edited(tset *ts, rng *r)
{
    edit_set out;
    story o = story_random(r, 10, 40), x = story_random(r, 6, 40);
    out.orig = ts_story(ts, "edit-a", NULL, &o);
    out.other = ts_story(ts, "edit-x", NULL, &x);
    story e = o;
    memmove(&e.p[4], &e.p[5], 5 * sizeof e.p[0]);   /* drop paragraph 4 */
    memmove(&e.p[7], &e.p[6], 3 * sizeof e.p[0]);   /* insert x's paragraph 2 at 6 */
    e.p[6] = x.p[2];
    out.edited = ts_story(ts, "edit-b", NULL, &e);
    chrome c = chrome_literal("Home News Sport Weather Business Politics Culture Travel Opinion Video",
                              "Copyright the Daily Example all rights reserved terms of use privacy policy cookies");
    for (unsigned i = 0; i < 2; i++) {
        story s = story_random(r, 6, 40);
        out.site[i] = ts_story(ts, "edit-site", &c, &s);
    }
    story tiny = { 1, { o.p[3] } };
    out.tiny = ts_story(ts, "edit-tiny", NULL, &tiny);
    story small = { 2, { o.p[7], o.p[8] } };
    out.small = ts_story(ts, "edit-small", NULL, &small);
    return out;
}

static void check_edited(const coll *h, const edit_set *e)
{
    nd_doc_info d = doc_info(h, e->edited), t = doc_info(h, e->tiny), s = doc_info(h, e->small);
    if (verbose())
        print_message("edited copy: duplicate_of %lld sim %.3f cont %.3f; tiny: duplicate_of %lld; "
                      "two-paragraph excerpt: duplicate_of %lld sim %.3f cont %.3f\n",
                      DUP(d.duplicate_of), d.similarity, d.containment, DUP(t.duplicate_of),
                      DUP(s.duplicate_of), s.similarity, s.containment);
    expect_unique(h, e->orig, "original");
    expect_unique(h, e->other, "source of the added paragraph");
    expect_copy(h, e->edited, e->orig, e->orig, "copy with a paragraph dropped and one added");
    expect_unique(h, e->site[0], "story of a site");
    expect_unique(h, e->site[1], "another story of the same site, same chrome");
    for (size_t j = 0; j < 8; j++) {
        expect_kind(h, e->site[0], j, ND_KIND_CONTENT, "chrome of a two-story site");
        expect_kind(h, e->site[1], j, ND_KIND_CONTENT, "chrome of a two-story site");
    }
    expect_unique(h, e->tiny, "one-paragraph excerpt (< min_contained shingles)");
    expect_copy(h, e->small, e->orig, e->orig, "two-paragraph excerpt (>= min_contained shingles)");
    if (!(s.containment >= 0.9 && s.similarity < 0.5))
        fail_msg("two-paragraph excerpt: sim %.3f cont %.3f: should be a copy by containment alone",
                 s.similarity, s.containment);
}

static void test_edited_copies(void **state)
{
    (void)state;
    rng r = { 1212 };
    tset *ts = ts_new();
    edit_set e = build_edited(ts, &r);
    nd_params p = params_lines();
    coll h;
    coll_open(&h, &p);
    coll_run(&h, ts, ADD_PLAIN, 32);
    check_edited(&h, &e);
    coll_close(&h);
    ts_free(ts);
}

/* Only verified paragraph matches count toward a pair. X holds R and S; Y
 * holds M and N, which keep R's and S's first 30 words of 40 (Jaccard 0.57
 * with them: each matches); Z holds B and C, which keep their last 30
 * (0.57 with R and S, 0.29 with M and N: no match). Z is a copy of X. It
 * shares no paragraph with Y, though M and N are copies of what Z matched:
 * crediting the members of a matched paragraph's copy family made Z a copy
 * of Y too, and joined Y's story to X's, where W, a copy of Y, then went.
 * (X and Y are not copies of each other: two of their eight paragraphs
 * match.) Collections and streams alike. */
static para para_share_suffix(const para *p, unsigned keep, rng *r)
{
    para q = *p;
    for (unsigned i = 0; i + keep < q.n; i++) q.w[i] = (uint16_t)rng_below(r, VOCAB);
    return q;
}

static nd_stream_doc stream_verdict(const coll *h, const tset *ts, size_t want);

static void test_credit_only_verified(void **state)
{
    (void)state;
    rng r = { 1313 };
    tset *ts = ts_new();
    story x = story_random(&r, 8, 40), y = story_random(&r, 8, 40);
    y.p[0] = para_share_prefix(&x.p[0], 30, &r);
    y.p[1] = para_share_prefix(&x.p[1], 30, &r);
    story z = { 2, { para_share_suffix(&x.p[0], 30, &r), para_share_suffix(&x.p[1], 30, &r) } };
    for (unsigned i = 0; i < 2; i++) {
        assert_true(para_jaccard(&x.p[i], &y.p[i]) > 0.55 && para_jaccard(&x.p[i], &z.p[i]) > 0.55);
        assert_true(para_jaccard(&y.p[i], &z.p[i]) < 0.3);
    }
    size_t dx = ts_story(ts, "cv-x", NULL, &x), dy = ts_story(ts, "cv-y", NULL, &y);
    size_t dz = ts_story(ts, "cv-z", NULL, &z), dw = ts_story(ts, "cv-w", NULL, &y);
    nd_params p = params_lines();
    coll h;
    coll_open(&h, &p);
    coll_run(&h, ts, ADD_PLAIN, 32);
    expect_unique(&h, dx, "the original");
    expect_unique(&h, dy, "a story sharing two paragraphs of eight with it");
    expect_copy(&h, dz, dx, dx, "two paragraphs of the original, none of the other story");
    expect_copy(&h, dw, dy, dy, "a copy of the other story, in its story");
    /* in a stream, a republished Y still starts from Y's story, not X's */
    nd_stream_doc sd = stream_verdict(&h, ts, dz);
    if (sd.duplicate_of != dx || sd.cluster != dx)
        fail_msg("stream: Z: duplicate_of %lld, cluster %llu", DUP(sd.duplicate_of), (unsigned long long)sd.cluster);
    sd = stream_verdict(&h, ts, dw);
    if (sd.duplicate_of != dy || sd.cluster != dy)
        fail_msg("stream: W: duplicate_of %lld, cluster %llu", DUP(sd.duplicate_of), (unsigned long long)sd.cluster);
    coll_close(&h);
    ts_free(ts);
}

/* Transitivity: A = P0..P9, B = P3..P12, C = P6..P15. A~B and B~C share 7 of
 * 10 paragraphs (containment 0.7, Jaccard 0.54); A and C share 4 (0.4, 0.25),
 * below both thresholds. */
typedef struct trans_set {
    size_t a, b, c;
} trans_set;

static void ts_slice(tset *ts, const story *s, unsigned from, const char *src, size_t *out)
{
    story t;
    t.n = 10;
    memcpy(t.p, &s->p[from], 10 * sizeof t.p[0]);
    *out = ts_story(ts, src, NULL, &t);
}

static trans_set build_transitive(tset *ts, rng *r, const char *order)
{
    trans_set out = { ND_NONE, ND_NONE, ND_NONE };
    story s = story_random(r, 16, 40);
    for (const char *o = order; *o; o++) {
        if (*o == 'A') ts_slice(ts, &s, 0, "trans-a", &out.a);
        if (*o == 'B') ts_slice(ts, &s, 3, "trans-b", &out.b);
        if (*o == 'C') ts_slice(ts, &s, 6, "trans-c", &out.c);
        if (*o == 'x') {
            story x = story_random(r, 8, 40);
            ts_story(ts, "trans-x", NULL, &x);
        }
    }
    return out;
}

static void check_transitive(const coll *h, const trans_set *t, const char *order)
{
    size_t first = t->a < t->c ? t->a : t->c;
    if (t->b < first) first = t->b;
    char what[64];
    snprintf(what, sizeof what, "transitivity, order %s", order);
    size_t docs[3] = { t->a, t->b, t->c };
    for (unsigned i = 0; i < 3; i++) {
        nd_doc_info d = doc_info(h, docs[i]);
        if (verbose())
            print_message("%s: doc %zu (%c) duplicate_of %lld sim %.3f cont %.3f cluster %zu\n", what,
                          docs[i], "ABC"[i], DUP(d.duplicate_of), d.similarity, d.containment, d.cluster);
        if (d.cluster != first) fail_msg("%s: %c (doc %zu) in cluster %zu, expected %zu", what, "ABC"[i], docs[i], d.cluster, first);
    }
    /* A and C are never each other's copy */
    nd_doc_info a = doc_info(h, t->a), c = doc_info(h, t->c);
    assert_true(a.duplicate_of != t->c);
    assert_true(c.duplicate_of != t->a);
}

static void test_transitive_cluster(void **state)
{
    (void)state;
    static const char *orders[] = { "ABC", "ACB", "CxAB", "BAC" };
    for (size_t o = 0; o < 4; o++) {
        rng r = { 1313 };
        tset *ts = ts_new();
        trans_set t = build_transitive(ts, &r, orders[o]);
        nd_params p = params_lines();
        coll h;
        coll_open(&h, &p);
        coll_run(&h, ts, ADD_PLAIN, 32);
        check_transitive(&h, &t, orders[o]);
        coll_close(&h);
        ts_free(ts);
    }
    /* A and C alone are not copies */
    rng r = { 1313 };
    tset *ts = ts_new();
    trans_set t = build_transitive(ts, &r, "AC");
    nd_params p = params_lines();
    coll h;
    coll_open(&h, &p);
    coll_run(&h, ts, ADD_PLAIN, 32);
    expect_unique(&h, t.a, "A without B");
    expect_unique(&h, t.c, "C without B");
    coll_close(&h);
    ts_free(ts);
}

/* ==== 4. nd_corpus_add_signed parity ============================================== */

typedef struct snap {
    size_t n, np;
    nd_doc_info *docs;
    nd_para_info *paras;
} snap;

static void snap_take(snap *s, const nd_corpus *c)
{
    s->n = nd_corpus_count(c);
    s->np = 0;
    s->docs = tcalloc(s->n, sizeof *s->docs);
    for (size_t i = 0; i < s->n; i++) {
        s->docs[i].version = ND_DOC_INFO_VERSION;
        assert_int_equal(nd_corpus_doc(c, i, &s->docs[i]), ND_OK);
        s->np += s->docs[i].paragraphs;
    }
    s->paras = tcalloc(s->np, sizeof *s->paras);
    size_t g = 0;
    for (size_t i = 0; i < s->n; i++)
        for (size_t j = 0; j < s->docs[i].paragraphs; j++, g++) {
            s->paras[g].version = ND_PARA_INFO_VERSION;
            assert_int_equal(nd_corpus_para(c, i, j, &s->paras[g]), ND_OK);
        }
}

static void snap_free(snap *s)
{
    tfree(s->docs);
    tfree(s->paras);
}

enum { SAME_CLUSTERS = 1, SAME_KINDS = 2, SAME_SIM = 4, SAME_CONT = 8, SAME_ALL = 15 };

static void snap_compare(const snap *a, const snap *b, int what, const char *name)
{
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->np, b->np);
    size_t g = 0;
    for (size_t i = 0; i < a->n; i++) {
        const nd_doc_info *x = &a->docs[i], *y = &b->docs[i];
        if ((what & SAME_CLUSTERS)
            && (x->cluster != y->cluster || (x->duplicate_of == ND_NONE) != (y->duplicate_of == ND_NONE)))
            fail_msg("%s: doc %zu: cluster %zu vs %zu, duplicate_of %lld vs %lld", name, i, x->cluster,
                     y->cluster, DUP(x->duplicate_of), DUP(y->duplicate_of));
        if ((what & SAME_KINDS)
            && (x->duplicate_of != y->duplicate_of || x->boilerplate != y->boilerplate || x->repeats != y->repeats))
            fail_msg("%s: doc %zu: duplicate_of %lld vs %lld, boilerplate %zu vs %zu, repeats %zu vs %zu", name, i,
                     DUP(x->duplicate_of), DUP(y->duplicate_of), x->boilerplate, y->boilerplate,
                     x->repeats, y->repeats);
        if ((what & SAME_SIM) && x->similarity != y->similarity)
            fail_msg("%s: doc %zu: similarity %.6f vs %.6f", name, i, x->similarity, y->similarity);
        if ((what & SAME_CONT) && x->containment != y->containment)
            fail_msg("%s: doc %zu: containment %.6f vs %.6f", name, i, x->containment, y->containment);
        assert_int_equal(x->paragraphs, y->paragraphs);
        for (size_t j = 0; j < x->paragraphs; j++, g++) {
            const nd_para_info *p = &a->paras[g], *q = &b->paras[g];
            assert_int_equal(p->offset, q->offset);
            assert_int_equal(p->length, q->length);
            assert_int_equal(p->shingles, q->shingles);
            if ((what & SAME_KINDS) && (p->kind != q->kind || p->of_doc != q->of_doc || p->of != q->of))
                fail_msg("%s: doc %zu para %zu: %s of %zu:%zu vs %s of %zu:%zu", name, i, j,
                         nd_kind_name(p->kind), p->of_doc, p->of, nd_kind_name(q->kind), q->of_doc, q->of);
            if ((what & SAME_SIM) && p->similarity != q->similarity)
                fail_msg("%s: doc %zu para %zu: similarity %.6f vs %.6f", name, i, j, p->similarity, q->similarity);
        }
    }
}

/* Every scenario above in one collection, each under its own feeds. */
static tset *build_mixed(void)
{
    rng r = { 4242 };
    tset *ts = ts_new();
    build_chrome_set(ts, &r);
    build_wire_sources(ts, &r);
    build_repeat_bp(ts, &r);
    build_truncated(ts, &r, 0);
    build_truncated(ts, &r, 1);
    build_edited(ts, &r);
    build_transitive(ts, &r, "ACxB");
    return ts;
}

static void run_snap(const tset *ts, const nd_params *p, int how, unsigned bits, snap *out)
{
    coll h;
    coll_open(&h, p);
    coll_run(&h, ts, how, bits);
    snap_take(out, h.c);
    coll_close(&h);
}

static void test_add_signed_parity(void **state)
{
    (void)state;
    tset *ts = build_mixed();
    nd_params p = params_lines();
    snap plain, with_sig, no_sig;
    run_snap(ts, &p, ADD_PLAIN, 32, &plain);
    run_snap(ts, &p, ADD_SIGNED_NOSIG, 32, &no_sig);
    run_snap(ts, &p, ADD_SIGNED, 32, &with_sig);
    size_t copies = 0, bp = 0;
    for (size_t i = 0; i < plain.n; i++) {
        copies += plain.docs[i].duplicate_of != ND_NONE;
        bp += plain.docs[i].boilerplate;
    }
    if (verbose()) print_message("mixed collection: %zu documents, %zu copies, %zu boilerplate paragraphs\n",
                                 plain.n, copies, bp);
    assert_true(copies >= 8 && bp >= 20);  /* the collection exercises both */
    /* without a document signature: the same computation, bit for bit */
    snap_compare(&plain, &no_sig, SAME_ALL, "add_signed (no signature) vs add");
    /* with nd_doc_signature: the same verdicts; the document similarity comes
     * from that signature (chrome included), so it may differ */
    snap_compare(&plain, &with_sig, SAME_CLUSTERS | SAME_KINDS | SAME_CONT, "add_signed (signature) vs add");
    snap_free(&with_sig);
    snap_free(&no_sig);

    /* b-bit signatures: the same clusters (and kinds) */
    nd_params p8 = p;
    p8.sig_bits = 8;
    snap b8_plain, b8_signed;
    run_snap(ts, &p8, ADD_PLAIN, 32, &b8_plain);
    run_snap(ts, &p8, ADD_SIGNED, 8, &b8_signed);
    snap_compare(&plain, &b8_plain, SAME_CLUSTERS | SAME_KINDS, "sig_bits 8 (add) vs 32");
    snap_compare(&plain, &b8_signed, SAME_CLUSTERS | SAME_KINDS, "sig_bits 8 (add_signed, cut) vs 32");
    snap_free(&b8_plain);
    snap_free(&b8_signed);
    snap_free(&plain);
    ts_free(ts);
}

static para para_noisy(const para *p, unsigned first, unsigned step, rng *r);

/* A story and a retyped copy of it (one clean paragraph, the others noisy):
 * a copy only through alignment (see test_noisy_copy). */
static size_t build_noisy_pair(tset *ts, rng *r, size_t *orig)
{
    story s = story_random(r, 8, 40), noisy = s;
    for (unsigned i = 1; i < s.n; i++) noisy.p[i] = para_noisy(&s.p[i], 6, 12, r);
    *orig = ts_story(ts, "noise-a", NULL, &s);
    return ts_story(ts, "noise-b", NULL, &noisy);
}

/* Verdicts do not depend on the threads finish may use (chains by band
 * group, signatures by range of ND__SIGN_TASK = 64 documents, copy scans
 * by blocks of ND__SCAN_BLOCK = 16 documents, each task taking every
 * tasks-th block, unions in document order). The collection spans
 * many blocks, and its copies (truncated, edited, chained A~B~C in
 * several orders, noisy ones found by alignment) and boilerplate recur in
 * every one of them, so that unions made out of order, or a judgement
 * reading another's state, change some verdict. */
static void test_threads_same_verdicts(void **state)
{
    (void)state;
    static const char *orders[] = { "ACxB", "ABC", "CxAB", "ACB", "CBA" };
    tset *ts = build_mixed();
    rng r = { 777 };
    size_t noisy[64][2], nnoisy = 0;
    for (unsigned i = 0; ts->n <= 3 * 256; i++) {
        assert_true(nnoisy < 64);
        build_chrome_set(ts, &r);
        build_truncated(ts, &r, i & 1);
        build_edited(ts, &r);
        build_transitive(ts, &r, orders[i % 5]);
        noisy[nnoisy][1] = build_noisy_pair(ts, &r, &noisy[nnoisy][0]);
        nnoisy++;
    }
    nd_params p = params_lines();
    snap one;
    run_snap(ts, &p, ADD_PLAIN, 32, &one);
    size_t copies = 0, bp = 0;
    for (size_t i = 0; i < one.n; i++) {
        copies += one.docs[i].duplicate_of != ND_NONE;
        bp += one.docs[i].boilerplate;
    }
    if (verbose())
        print_message("%zu documents, %zu copies, %zu boilerplate paragraphs, %zu noisy copies\n", one.n,
                      copies, bp, nnoisy);
    assert_true(copies >= 150 && bp >= 500);
    for (size_t i = 0; i < nnoisy; i++) /* alignment decides some of them */
        if (one.docs[noisy[i][1]].duplicate_of != noisy[i][0])
            fail_msg("noisy copy %zu: duplicate_of %lld, expected %zu", noisy[i][1],
                     DUP(one.docs[noisy[i][1]].duplicate_of), noisy[i][0]);
    static const unsigned counts[] = { 2, 3, 7 };
    for (unsigned t = 0; t < 3; t++) {
        coll h;
        coll_open(&h, &p);
        assert_int_equal(nd_corpus_set_threads(h.c, counts[t]), ND_OK);
        coll_run(&h, ts, ADD_PLAIN, 32);
        snap many;
        snap_take(&many, h.c);
        coll_close(&h);
        char what[32];
        snprintf(what, sizeof what, "%u threads vs 1", counts[t]);
        snap_compare(&one, &many, SAME_ALL, what);
        snap_free(&many);
    }
    { /* values kept exact: the same verdicts as codes (corpus.h); estimates
       * may differ by a value where two minima share a code */
        coll h;
        coll_open(&h, &p);
        assert_int_equal(nd_corpus_set_exact(h.c, 1), ND_OK);
        coll_run(&h, ts, ADD_PLAIN, 32);
        snap exact;
        snap_take(&exact, h.c);
        coll_close(&h);
        snap_compare(&one, &exact, SAME_CLUSTERS | SAME_KINDS, "exact values vs codes");
        snap_free(&exact);
    }
    coll h;
    coll_open(&h, &p);
    assert_int_equal(nd_corpus_set_threads(h.c, 0), ND_E_INVALID);
    assert_int_equal(nd_corpus_set_threads(NULL, 2), ND_E_INVALID);
    coll_close(&h);
    snap_free(&one);
    ts_free(ts);
}

static void test_add_signed_invalid(void **state)
{
    (void)state;
    nd_params p = params_lines();
    coll h;
    coll_open(&h, &p);
    const char *text = "Alpha beta gamma delta epsilon zeta eta theta.\n"
                       "Iota kappa lambda mu nu xi omicron pi rho.\n"
                       "Alpha beta gamma delta epsilon zeta eta theta.\n";
    assert_int_equal(nd_doc_analyze(h.doc, text, strlen(text)), ND_OK);
    assert_int_equal(nd_doc_count(h.doc), 3);
    uint32_t *sigs;
    nd_para_sig *ps = signed_paras(h.doc, h.k, 32, &sigs);
    assert_int_equal(ps[2].kind, ND_KIND_REPEAT);
    assert_int_equal(ps[2].of, 0);
    size_t idx = 77;
    /* valid as given */
    assert_int_equal(nd_corpus_add_signed(h.c, "ok", 2, "s", 1, ps, 3, NULL, &idx), ND_OK);
    assert_int_equal(idx, 0);
    nd_para_sig bad[3];
    /* a repeat pointing forward, at itself, or at a repeat */
    memcpy(bad, ps, sizeof bad);
    bad[1].kind = ND_KIND_REPEAT;
    bad[1].of = 2;
    assert_int_equal(nd_corpus_add_signed(h.c, "x", 1, "s", 1, bad, 3, NULL, &idx), ND_E_INVALID);
    bad[1].of = 1;
    assert_int_equal(nd_corpus_add_signed(h.c, "x", 1, "s", 1, bad, 3, NULL, &idx), ND_E_INVALID);
    memcpy(bad, ps, sizeof bad);
    bad[1].kind = ND_KIND_REPEAT;
    bad[1].of = 0;
    bad[2].of = 1;
    assert_int_equal(nd_corpus_add_signed(h.c, "x", 1, "s", 1, bad, 3, NULL, &idx), ND_E_INVALID);
    /* a NULL paragraph signature */
    memcpy(bad, ps, sizeof bad);
    bad[1].signature = NULL;
    assert_int_equal(nd_corpus_add_signed(h.c, "x", 1, "s", 1, bad, 3, NULL, &idx), ND_E_INVALID);
    /* a kind that is not content or repeat */
    memcpy(bad, ps, sizeof bad);
    bad[0].kind = ND_KIND_BOILERPLATE;
    assert_int_equal(nd_corpus_add_signed(h.c, "x", 1, "s", 1, bad, 3, NULL, &idx), ND_E_INVALID);
    bad[0].kind = (nd_kind)7;
    assert_int_equal(nd_corpus_add_signed(h.c, "x", 1, "s", 1, bad, 3, NULL, &idx), ND_E_INVALID);
    /* paragraphs missing, id or source NULL with a length */
    assert_int_equal(nd_corpus_add_signed(h.c, "x", 1, "s", 1, NULL, 3, NULL, &idx), ND_E_INVALID);
    assert_int_equal(nd_corpus_add_signed(h.c, NULL, 1, "s", 1, ps, 3, NULL, &idx), ND_E_INVALID);
    assert_int_equal(nd_corpus_add_signed(h.c, "x", 1, NULL, 1, ps, 3, NULL, &idx), ND_E_INVALID);
    assert_int_equal(nd_corpus_add_signed(NULL, "x", 1, "s", 1, ps, 3, NULL, &idx), ND_E_INVALID);
    /* nothing was added by the refused calls; idx untouched */
    assert_int_equal(idx, 0);
    assert_int_equal(nd_corpus_count(h.c), 1);
    /* no paragraphs at all is a document */
    assert_int_equal(nd_corpus_add_signed(h.c, "empty", 5, "s", 1, NULL, 0, NULL, &idx), ND_OK);
    assert_int_equal(idx, 1);
    assert_int_equal(nd_corpus_finish(h.c), ND_OK);
    check_invariants(h.c);
    assert_int_equal(nd_corpus_add_signed(h.c, "late", 4, "s", 1, ps, 3, NULL, &idx), ND_E_STATE);
    assert_int_equal(nd_corpus_count(h.c), 2);
    nd_para_info pi = para_info(&h, 0, 2);
    assert_int_equal(pi.kind, ND_KIND_REPEAT);
    assert_int_equal(pi.of, 0);
    tfree(ps);
    tfree(sigs);
    coll_close(&h);
}

/* ==== 5. API contract ============================================================ */

static void test_api_contract(void **state)
{
    (void)state;
    nd_params p = params_lines();
    coll h;
    coll_open(&h, &p);
    nd_corpus *c = h.c;
    nd_doc_info info = ND_DOC_INFO_INIT;
    nd_para_info pi = ND_PARA_INFO_INIT;
    const char *id;
    size_t id_len, idx = 99;

    assert_int_equal(nd_corpus_create(NULL, h.ctx), ND_E_INVALID);
    nd_corpus *c2 = (nd_corpus *)&idx;
    assert_int_equal(nd_corpus_create(&c2, NULL), ND_E_INVALID);
    assert_null(c2);
    nd_corpus_free(NULL);
    assert_int_equal(nd_corpus_count(NULL), 0);
    assert_int_equal(nd_corpus_finish(NULL), ND_E_INVALID);

    const char *text = "Lorem ipsum dolor sit amet consectetur adipiscing elit sed do.\n"
                       "Eiusmod tempor incididunt ut labore et dolore magna aliqua ut enim.\n";
    assert_int_equal(nd_doc_analyze(h.doc, text, strlen(text)), ND_OK);
    assert_int_equal(nd_corpus_add(NULL, h.doc, "a", 1, "s", 1, &idx), ND_E_INVALID);
    assert_int_equal(nd_corpus_add(c, NULL, "a", 1, "s", 1, &idx), ND_E_INVALID);
    assert_int_equal(nd_corpus_add(c, h.doc, NULL, 1, "s", 1, &idx), ND_E_INVALID);
    assert_int_equal(nd_corpus_add(c, h.doc, "a", 1, NULL, 1, &idx), ND_E_INVALID);
    assert_int_equal(nd_corpus_count(c), 0);
    assert_int_equal(idx, 99);
    assert_int_equal(nd_corpus_add(c, h.doc, "first", 5, "s", 1, &idx), ND_OK);
    assert_int_equal(idx, 0);
    /* NULL id and source of length 0; out_index may be NULL */
    assert_int_equal(nd_corpus_add(c, h.doc, NULL, 0, NULL, 0, NULL), ND_OK);
    /* documents with zero paragraphs */
    assert_int_equal(nd_doc_analyze(h.doc, "", 0), ND_OK);
    assert_int_equal(nd_corpus_add(c, h.doc, "empty", 5, "s", 1, &idx), ND_OK);
    assert_int_equal(idx, 2);
    assert_int_equal(nd_doc_analyze(h.doc, " \n\t\r\n\n", 6), ND_OK);
    assert_int_equal(nd_doc_count(h.doc), 0);
    assert_int_equal(nd_corpus_add(c, h.doc, "blank", 5, "feed\0two", 8, &idx), ND_OK);
    assert_int_equal(idx, 3);
    assert_int_equal(nd_corpus_count(c), 4);

    /* ids round-trip; before finish: ND_E_STATE for verdicts, the analyzed
     * kinds for paragraphs */
    assert_int_equal(nd_corpus_doc_id(c, 0, &id, &id_len), ND_OK);
    assert_int_equal(id_len, 5);
    assert_memory_equal(id, "first", 5);
    assert_int_equal(nd_corpus_doc_id(c, 1, &id, &id_len), ND_OK);
    assert_int_equal(id_len, 0);
    assert_int_equal(nd_corpus_doc_id(c, 4, &id, &id_len), ND_E_INVALID);
    assert_int_equal(nd_corpus_doc_id(c, 0, NULL, &id_len), ND_E_INVALID);
    /* sources round-trip, each kept once (any bytes, empty included) */
    static const struct { const char *name; size_t len; } want_src[] = {
        { "s", 1 }, { "", 0 }, { "s", 1 }, { "feed\0two", 8 } };
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(nd_corpus_doc_source(c, i, &id, &id_len), ND_OK);
        assert_int_equal(id_len, want_src[i].len);
        if (id_len) assert_memory_equal(id, want_src[i].name, id_len);
    }
    const char *s0, *s2;
    size_t l0, l2;
    assert_int_equal(nd_corpus_doc_source(c, 0, &s0, &l0), ND_OK);
    assert_int_equal(nd_corpus_doc_source(c, 2, &s2, &l2), ND_OK);
    assert_ptr_equal(s0, s2);
    assert_int_equal(nd_corpus_doc_source(c, 4, &id, &id_len), ND_E_INVALID);
    assert_int_equal(nd_corpus_doc_source(NULL, 0, &id, &id_len), ND_E_INVALID);
    assert_int_equal(nd_corpus_doc_source(c, 0, &id, NULL), ND_E_INVALID);
    assert_int_equal(nd_corpus_doc(c, 0, &info), ND_E_STATE);
    assert_int_equal(nd_corpus_doc(c, 3, &info), ND_E_STATE);
    assert_int_equal(nd_corpus_para(c, 0, 1, &pi), ND_OK);
    assert_int_equal(pi.kind, ND_KIND_CONTENT);
    assert_int_equal(pi.offset, (size_t)(strchr(text, '\n') + 1 - text));

    assert_int_equal(nd_corpus_finish(c), ND_OK);
    assert_int_equal(nd_corpus_finish(c), ND_E_STATE);
    assert_int_equal(nd_doc_analyze(h.doc, text, strlen(text)), ND_OK);
    assert_int_equal(nd_corpus_add(c, h.doc, "late", 4, "s", 1, &idx), ND_E_STATE);
    assert_int_equal(nd_corpus_count(c), 4);
    check_invariants(c);

    /* out of range */
    assert_int_equal(nd_corpus_doc(c, 4, &info), ND_E_INVALID);
    assert_int_equal(nd_corpus_doc(c, ND_NONE, &info), ND_E_INVALID);
    assert_int_equal(nd_corpus_doc(c, 0, NULL), ND_E_INVALID);
    assert_int_equal(nd_corpus_doc(NULL, 0, &info), ND_E_INVALID);
    assert_int_equal(nd_corpus_para(c, 0, 2, &pi), ND_E_INVALID);
    assert_int_equal(nd_corpus_para(c, 4, 0, &pi), ND_E_INVALID);
    assert_int_equal(nd_corpus_para(c, 2, 0, &pi), ND_E_INVALID);
    assert_int_equal(nd_corpus_para(c, 0, 0, NULL), ND_E_INVALID);
    assert_int_equal(nd_corpus_para(NULL, 0, 0, &pi), ND_E_INVALID);

    /* the same text twice (docs 0, 1): copies; the empty ones stand alone */
    info = doc_info(&h, 1);
    assert_int_equal(info.duplicate_of, 0);
    assert_int_equal(info.cluster, 0);
    for (size_t i = 2; i < 4; i++) {
        info = doc_info(&h, i);
        assert_int_equal(info.paragraphs, 0);
        assert_int_equal(info.repeats, 0);
        assert_int_equal(info.boilerplate, 0);
        expect_unique(&h, i, "document without paragraphs");
    }
    coll_close(&h);

    /* an empty collection finishes */
    coll_open(&h, &p);
    assert_int_equal(nd_corpus_finish(h.c), ND_OK);
    assert_int_equal(nd_corpus_count(h.c), 0);
    assert_int_equal(nd_corpus_doc(h.c, 0, &info), ND_E_INVALID);
    assert_int_equal(nd_corpus_finish(h.c), ND_E_STATE);
    coll_close(&h);

    /* only empty documents */
    coll_open(&h, &p);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(nd_doc_analyze(h.doc, "\n", 1), ND_OK);
        assert_int_equal(nd_corpus_add(h.c, h.doc, "e", 1, "s", 1, NULL), ND_OK);
    }
    assert_int_equal(nd_corpus_finish(h.c), ND_OK);
    check_invariants(h.c);
    for (size_t i = 0; i < 3; i++) expect_unique(&h, i, "empty document");
    coll_close(&h);
}

/* ---- failing allocator ---- */
/* Counts are atomic: a collection's passes allocate on several threads. */
typedef struct counter {
    atomic_size_t allocs, live;
    size_t fail_at; /* 1-based, 0 = never */
} counter;

#define HDR 64
static void *counting_alloc(void *opaque, size_t size)
{
    counter *c = opaque;
    size_t n = atomic_fetch_add(&c->allocs, 1) + 1;
    if (c->fail_at && n == c->fail_at) return NULL;
    unsigned char *p = aligned_alloc(HDR, (size + 2 * HDR - 1) / HDR * HDR);
    if (!p) return NULL;
    atomic_fetch_add(&c->live, 1);
    return p + HDR;
}

static void counting_free(void *opaque, void *ptr)
{
    counter *c = opaque;
    if (!ptr) return;
    atomic_fetch_sub(&c->live, 1);
    free((unsigned char *)ptr - HDR);
}

/* The scenario: chrome under 5 stories and a truncated copy (13 documents),
 * the last added with nd_corpus_add_signed. */
static tset *oom_set(void)
{
    rng r = { 5151 };
    tset *ts = ts_new();
    build_chrome_set(ts, &r);
    build_truncated(ts, &r, 0);
    return ts;
}

typedef struct oom_result {
    int reached;       /* the failure was injected */
    int finish_failed; /* ... in nd_corpus_finish */
} oom_result;

/* Runs the scenario with allocation number fail_at failing. Every call
 * succeeds or returns ND_E_NOMEM and changes nothing; a failed analyze or add
 * is retried (the failure has passed) and must then succeed. A failed finish
 * leaves the collection unfinished; with retry_finish it is called again and
 * must then give the reference verdicts. Nothing may leak. The collection
 * runs its passes on `threads` threads: then which allocation of a pass is
 * number fail_at depends on the threads' timing, and each must hold. */
static oom_result oom_run(const tset *ts, const snap *want, size_t fail_at, int retry_finish, unsigned threads)
{
    oom_result res = { 0, 0 };
    counter cnt;
    atomic_init(&cnt.allocs, 0);
    atomic_init(&cnt.live, 0);
    cnt.fail_at = fail_at;
    nd_allocator al = { counting_alloc, counting_free, &cnt };
    nd_params p = params_lines();
    nd_ctx *ctx = NULL;
    nd_doc *doc = NULL;
    nd_corpus *c = NULL;
    int rc = nd_ctx_create(&ctx, &p, &al);
    if (rc) {
        assert_int_equal(rc, ND_E_NOMEM);
        assert_null(ctx);
        goto done;
    }
    rc = nd_doc_create(&doc, ctx);
    if (rc) {
        assert_int_equal(rc, ND_E_NOMEM);
        assert_null(doc);
        goto done;
    }
    rc = nd_corpus_create(&c, ctx);
    if (rc) {
        assert_int_equal(rc, ND_E_NOMEM);
        assert_null(c);
        goto done;
    }
    assert_int_equal(nd_corpus_set_threads(c, threads), ND_OK);
    for (size_t i = 0; i < ts->n; i++) {
        const tdoc *d = &ts->d[i];
        rc = nd_doc_analyze(doc, d->text, d->len);
        if (rc) {
            assert_int_equal(rc, ND_E_NOMEM);
            assert_int_equal(nd_doc_analyze(doc, d->text, d->len), ND_OK);
        }
        for (int attempt = 0; attempt < 2; attempt++) {
            size_t idx = ND_NONE;
            if (i + 1 < ts->n) {
                rc = nd_corpus_add(c, doc, d->id, strlen(d->id), d->src, strlen(d->src), &idx);
            } else {
                uint32_t *sigs;
                nd_para_sig *ps = signed_paras(doc, nd_ctx_num_perm(ctx), 32, &sigs);
                rc = nd_corpus_add_signed(c, d->id, strlen(d->id), d->src, strlen(d->src), ps,
                                          nd_doc_count(doc), NULL, &idx);
                tfree(ps);
                tfree(sigs);
            }
            if (!rc) {
                assert_int_equal(idx, i);
                break;
            }
            assert_int_equal(rc, ND_E_NOMEM);
            assert_int_equal(attempt, 0);
            assert_int_equal(idx, ND_NONE);
            assert_int_equal(nd_corpus_count(c), i);
        }
    }
    rc = nd_corpus_finish(c);
    if (rc) {
        nd_doc_info info = ND_DOC_INFO_INIT;
        assert_int_equal(rc, ND_E_NOMEM);
        res.finish_failed = 1;
        assert_int_equal(nd_corpus_doc(c, 0, &info), ND_E_STATE);
        if (!retry_finish) goto done;
        rc = nd_corpus_finish(c);
        if (rc) fail_msg("failing allocation %zu: finish again gave %d", fail_at, rc);
    }
    snap got;
    check_invariants(c);
    snap_take(&got, c);
    snap_compare(want, &got, SAME_ALL, "after a failed allocation");
    snap_free(&got);
done:
    nd_corpus_free(c);
    nd_doc_free(doc);
    nd_ctx_free(ctx);
    if (atomic_load(&cnt.live) != 0)
        fail_msg("failing allocation %zu on %u threads%s: %zu blocks leaked", fail_at, threads,
                 res.finish_failed ? (retry_finish ? " (in finish, finish called again)" : " (in finish)") : "",
                 (size_t)atomic_load(&cnt.live));
    res.reached = atomic_load(&cnt.allocs) >= fail_at;
    return res;
}

static void oom_reference(const tset *ts, snap *want)
{
    nd_params p = params_lines();
    coll h;
    coll_open(&h, &p);
    for (size_t i = 0; i < ts->n; i++) coll_add(&h, &ts->d[i], i + 1 < ts->n ? ADD_PLAIN : ADD_SIGNED_NOSIG, 32);
    assert_int_equal(nd_corpus_finish(h.c), ND_OK);
    snap_take(want, h.c);
    coll_close(&h);
}

/* Runs the scenario failing allocation 1, 2, ... until a run reaches none.
 * @return the allocations of a whole run; *in_finish: the runs whose
 * failure fell in finish. */
static size_t oom_sweep(const tset *ts, const snap *want, int retry_finish, unsigned threads, size_t *in_finish)
{
    size_t n;
    *in_finish = 0;
    for (n = 1; n < 100000; n++) {
        oom_result res = oom_run(ts, want, n, retry_finish, threads);
        if (!res.reached) break;
        *in_finish += res.finish_failed;
    }
    return n - 1;
}

static void test_failing_allocator(void **state)
{
    (void)state;
    tset *ts = oom_set();
    snap want;
    oom_reference(ts, &want);
    size_t in_finish, n = oom_sweep(ts, &want, 0, 1, &in_finish);
    if (verbose()) print_message("%zu allocations in the scenario, %zu in finish\n", n, in_finish);
    assert_true(n >= 30);
    assert_true(in_finish > 5);
    snap_free(&want);
    ts_free(ts);
}

/* nd_corpus_finish after it failed for want of memory: the API allows the
 * call (ND_E_STATE is only for a finished collection); it must succeed with
 * the reference verdicts and leak nothing. */
static void test_finish_again_after_nomem(void **state)
{
    (void)state;
    tset *ts = oom_set();
    snap want;
    oom_reference(ts, &want);
    size_t tried;
    (void)oom_sweep(ts, &want, 1, 1, &tried);
    assert_true(tried > 5);
    snap_free(&want);
    ts_free(ts);
}

/* The same on two threads, over enough documents (two blocks of the copy
 * scans) that chain builds, signing and copy scans each run two tasks: a
 * failure in one task must fail the pass, free what the other task made,
 * and leave a collection that a second finish completes. */
static void test_failing_allocator_threads(void **state)
{
    (void)state;
    tset *ts = oom_set();
    rng r = { 6262 };
    build_chrome_set(ts, &r);
    build_truncated(ts, &r, 1);
    assert_true(ts->n > 16); /* ND__SCAN_BLOCK */
    snap want;
    oom_reference(ts, &want);
    size_t in_finish, n = oom_sweep(ts, &want, 1, 2, &in_finish);
    if (verbose()) print_message("%zu allocations on two threads, %zu in finish\n", n, in_finish);
    assert_true(in_finish > 10);
    snap_free(&want);
    ts_free(ts);
}

/* ---- sites inferred without sources ------------------------------------------- */

/* A site's template: lines above and below every story of the site. */
#define TPL_LINES 4
typedef struct site_tpl {
    char head[TPL_LINES][512], foot[TPL_LINES][512];
} site_tpl;

static site_tpl site_random(rng *r)
{
    site_tpl t;
    for (unsigned i = 0; i < TPL_LINES; i++) {
        para h = para_random(r, 6 + i), f = para_random(r, 9 + i);
        line_of(t.head[i], sizeof t.head[i], &h);
        line_of(t.foot[i], sizeof t.foot[i], &f);
    }
    return t;
}

/* A page of a site: its template around paragraphs [from, to) of s (and the
 * paragraphs of `more`, when given, after them); every page has the same
 * source, so only the template tells sites apart. */
static size_t ts_page(tset *ts, const site_tpl *t, const story *s, unsigned from, unsigned to,
                      const story *more)
{
    sbuf b = { 0 };
    for (unsigned i = 0; t && i < TPL_LINES; i++) sb_line(&b, t->head[i]);
    for (unsigned i = from; i < to; i++) sb_para(&b, &s->p[i]);
    for (unsigned i = 0; more && i < more->n; i++) sb_para(&b, &more->p[i]);
    for (unsigned i = 0; t && i < TPL_LINES; i++) sb_line(&b, t->foot[i]);
    return ts_push(ts, &b, "");
}

static void expect_site(const coll *h, size_t i, size_t site, const char *what)
{
    nd_doc_info d = doc_info(h, i);
    if (d.site != site) fail_msg("%s: doc %zu has site %lld, expected %lld", what, i, DUP(d.site), DUP(site));
}

static void expect_template_bp(const coll *h, size_t i, size_t nparas, const char *what)
{
    for (unsigned j = 0; j < TPL_LINES; j++) {
        expect_kind(h, i, j, ND_KIND_BOILERPLATE, what);
        expect_kind(h, i, nparas - 1 - j, ND_KIND_BOILERPLATE, what);
    }
}

/* Three sites publish three stories each and the same wire story (the
 * second and third copies truncated), all under one source: the wire story
 * recurs in three pages of the "source" but is one story, not chrome. */
static void test_story_in_three_outlets_one_source(void **state)
{
    (void)state;
    rng r = { 2024 };
    tset *ts = ts_new();
    story w = story_random(&r, 8, 40);
    site_tpl site[3];
    size_t wire[3], own[3][3];
    for (unsigned k = 0; k < 3; k++) site[k] = site_random(&r);
    for (unsigned k = 0; k < 3; k++) {
        for (unsigned i = 0; i < 3; i++) {
            story o = story_random(&r, 6, 40);
            own[k][i] = ts_page(ts, &site[k], &o, 0, 6, NULL);
        }
        wire[k] = ts_page(ts, &site[k], &w, 0, 8 - 2 * k, NULL);
    }
    nd_params p = params_lines();
    coll h;
    coll_open(&h, &p);
    coll_run(&h, ts, ADD_PLAIN, 32);
    for (unsigned k = 0; k < 3; k++) {
        for (unsigned i = 0; i < 3; i++) {
            expect_unique(&h, own[k][i], "a site's own story");
            expect_template_bp(&h, own[k][i], 2 * TPL_LINES + 6, "a site's template");
            expect_site(&h, own[k][i], own[k][0], "pages of one template");
        }
        expect_site(&h, wire[k], own[k][0], "the wire story's page");
        for (unsigned j = 0; j < 8 - 2 * k; j++)
            expect_kind(&h, wire[k], TPL_LINES + j, ND_KIND_CONTENT, "wire story in three outlets");
        if (k) expect_copy(&h, wire[k], wire[0], wire[0], "wire copy");
    }
    coll_close(&h);
    ts_free(ts);
}

/* One site, three different stories, no source: its template is chrome. */
static void test_chrome_under_three_stories(void **state)
{
    (void)state;
    rng r = { 2025 };
    tset *ts = ts_new();
    site_tpl t = site_random(&r);
    size_t page[3];
    for (unsigned i = 0; i < 3; i++) {
        story o = story_random(&r, 5, 30);
        page[i] = ts_page(ts, &t, &o, 0, 5, NULL);
    }
    nd_params p = params_lines();
    coll h;
    coll_open(&h, &p);
    coll_run(&h, ts, ADD_PLAIN, 32);
    for (unsigned i = 0; i < 3; i++) {
        expect_template_bp(&h, page[i], 2 * TPL_LINES + 5, "template under three stories");
        for (unsigned j = 0; j < 5; j++) expect_kind(&h, page[i], TPL_LINES + j, ND_KIND_CONTENT, "story");
        expect_unique(&h, page[i], "three stories of one site");
        expect_site(&h, page[i], page[0], "one template");
    }
    coll_close(&h);
    ts_free(ts);
}

/* A single page of a site (chrome of its own, seen nowhere else) carries a
 * passage of a page of another site: it is found as a copy. Two pages of a
 * third site that share only their template are not copies. */
static void test_single_page_shares_passage(void **state)
{
    (void)state;
    rng r = { 2026 };
    tset *ts = ts_new();
    site_tpl a = site_random(&r), x = site_random(&r), y = site_random(&r);
    story s = story_random(&r, 6, 40), extra = story_random(&r, 1, 30);
    size_t orig = ts_page(ts, &a, &s, 0, 6, NULL);
    for (unsigned i = 0; i < 3; i++) {
        story o = story_random(&r, 6, 40);
        ts_page(ts, &a, &o, 0, 6, NULL);
    }
    size_t single = ts_page(ts, &x, &s, 1, 5, &extra);
    story y1 = story_random(&r, 6, 40), y2 = story_random(&r, 6, 40);
    size_t py1 = ts_page(ts, &y, &y1, 0, 6, NULL), py2 = ts_page(ts, &y, &y2, 0, 6, NULL);
    nd_params p = params_lines();
    coll h;
    coll_open(&h, &p);
    coll_run(&h, ts, ADD_PLAIN, 32);
    expect_copy(&h, single, orig, orig, "a single page with another site's passage");
    expect_unique(&h, py1, "first page of a two-page site");
    expect_unique(&h, py2, "pages that share only their template");
    expect_site(&h, single, ND_NONE, "a page tied to no template");
    coll_close(&h);
    ts_free(ts);
}

/* A copies nothing; B holds all of A and a longer part of story T; C holds
 * that part of T and more. B copies A, C copies B (containment), but C
 * shares nothing with A: C does not join A's cluster. */
static void test_chain_does_not_merge(void **state)
{
    (void)state;
    rng r = { 2027 };
    tset *ts = ts_new();
    story s = story_random(&r, 6, 40), t = story_random(&r, 8, 40), u = story_random(&r, 4, 40);
    story st = s, tu = t;
    st.n = 14;
    memcpy(st.p + 6, t.p, 8 * sizeof t.p[0]);
    tu.n = 12;
    memcpy(tu.p + 8, u.p, 4 * sizeof u.p[0]);
    size_t a = ts_story(ts, "chain", NULL, &s);
    size_t b = ts_story(ts, "chain", NULL, &st);
    size_t c = ts_story(ts, "chain", NULL, &tu);
    nd_params p = params_lines();
    coll h;
    coll_open(&h, &p);
    coll_run(&h, ts, ADD_PLAIN, 32);
    expect_copy(&h, b, a, a, "B holds all of A");
    nd_doc_info dc = doc_info(&h, c);
    if (dc.duplicate_of != b || dc.cluster != c)
        fail_msg("C: duplicate_of %lld (sim %.3f, cont %.3f), cluster %zu; expected duplicate_of %zu "
                 "and a cluster of its own", DUP(dc.duplicate_of), dc.similarity, dc.containment,
                 dc.cluster, b);
    coll_close(&h);
    ts_free(ts);
}

/* Noise: a word changed every `step` from `first` on. On 40 words, 6 and
 * 12 (positions 6, 18, 30) keep 21 of 36 shingles (Jaccard about 0.41); 5
 * and 11 (5, 16, 27, 38) keep 19 (about 0.36): weak matches both. */
static para para_noisy(const para *p, unsigned first, unsigned step, rng *r)
{
    para q = *p;
    for (unsigned pos = first; pos < q.n; pos += step) q = para_change(&q, pos, r);
    return q;
}

/* The verdict a stream gives document `want` of ts (the others added before). */
static nd_stream_doc stream_verdict(const coll *h, const tset *ts, size_t want)
{
    nd_stream *st = NULL;
    nd_stream_doc out = ND_STREAM_DOC_INIT;
    assert_int_equal(nd_stream_create(&st, h->ctx, 0), ND_OK);
    for (size_t i = 0; i <= want; i++) {
        const tdoc *d = &ts->d[i];
        assert_int_equal(nd_doc_analyze(h->doc, d->text, d->len), ND_OK);
        nd_stream_doc o = ND_STREAM_DOC_INIT;
        assert_int_equal(nd_stream_add(st, h->doc, d->id, strlen(d->id), d->src, strlen(d->src), &o),
                         ND_OK);
        if (i == want) out = o;
    }
    nd_stream_free(st); /* out's pointers are not used past here */
    out.duplicate_id = out.cluster_id = out.site_id = NULL;
    return out;
}

/* A retyped copy (every paragraph but one noisy, so only one matches
 * strongly) is a copy, in a collection and in a stream: the strong match
 * anchors the pair and alignment counts the weak ones. The same noisy
 * paragraphs without the anchor link nothing, nor do templated paragraphs
 * (one phrasing, a few words changed) that each match many of the other
 * document's. */
static void test_noisy_copy(void **state)
{
    (void)state;
    rng r = { 2029 };
    tset *ts = ts_new();
    story s = story_random(&r, 8, 40), noisy = s, bare, tpl_a, tpl_b;
    for (unsigned i = 1; i < s.n; i++) noisy.p[i] = para_noisy(&s.p[i], 6, 12, &r);
    bare.n = 7;
    for (unsigned i = 0; i < 7; i++) bare.p[i] = para_noisy(&s.p[i + 1], 5, 11, &r);
    para base = para_random(&r, 40), quote = para_random(&r, 40), quote2 = para_random(&r, 40);
    tpl_a.n = tpl_b.n = 8;
    for (unsigned i = 0; i < 8; i++) {
        tpl_a.p[i] = para_noisy(&base, 6, 12, &r);
        tpl_b.p[i] = para_noisy(&base, 6, 12, &r);
    }
    tpl_a.p[0] = tpl_b.p[0] = quote; /* a quarter of each shared: worth aligning */
    tpl_a.p[1] = tpl_b.p[1] = quote2;
    size_t orig = ts_story(ts, "noise-a", NULL, &s);
    size_t copy = ts_story(ts, "noise-b", NULL, &noisy);
    size_t lone = ts_story(ts, "noise-c", NULL, &bare);
    size_t ta = ts_story(ts, "tpl-a", NULL, &tpl_a), tb = ts_story(ts, "tpl-b", NULL, &tpl_b);
    /* the template once in an article, many times in a list page: every entry
     * of the list would claim the article's one sentence */
    story art, list;
    art.n = 4;
    art.p[0] = quote;
    art.p[1] = para_noisy(&base, 6, 12, &r);
    art.p[2] = para_random(&r, 40);
    art.p[3] = para_random(&r, 40);
    list.n = 8;
    list.p[0] = quote;
    for (unsigned i = 1; i < 8; i++) list.p[i] = para_noisy(&base, 6, 12, &r);
    size_t pa = ts_story(ts, "tpl-c", NULL, &art), pl = ts_story(ts, "tpl-d", NULL, &list);
    for (unsigned i = 1; i < s.n; i++) { /* weak matches, not strong ones */
        double j = para_jaccard(&s.p[i], &noisy.p[i]), jb = para_jaccard(&s.p[i], &bare.p[i - 1]);
        assert_true(j >= 0.35 && j < 0.45);
        assert_true(jb >= 0.33 && jb < 0.4);
    }
    nd_params p = params_lines();
    coll h;
    coll_open(&h, &p);
    coll_run(&h, ts, ADD_PLAIN, 32);
    expect_copy(&h, copy, orig, orig, "a noisy copy anchored by one clean paragraph");
    nd_doc_info d = doc_info(&h, lone);
    if (d.duplicate_of != ND_NONE) fail_msg("noisy paragraphs alone linked (cont %.3f)", d.containment);
    d = doc_info(&h, pl);
    if (d.duplicate_of == pa) fail_msg("a list page linked to an article (cont %.3f)", d.containment);
    d = doc_info(&h, tb);
    if (d.duplicate_of == ta) fail_msg("templated paragraphs linked (cont %.3f)", d.containment);
    nd_stream_doc sd = stream_verdict(&h, ts, copy);
    if (sd.duplicate_of != orig)
        fail_msg("stream: noisy copy: duplicate_of %lld (cont %.3f)", DUP(sd.duplicate_of), sd.containment);
    sd = stream_verdict(&h, ts, tb);
    if (sd.duplicate_of == ta) fail_msg("stream: templated paragraphs linked (cont %.3f)", sd.containment);
    sd = stream_verdict(&h, ts, pl);
    if (sd.duplicate_of == pa) fail_msg("stream: a list page linked to an article (cont %.3f)", sd.containment);
    coll_close(&h);
    ts_free(ts);
}

/* The earliest dated document of a cluster is its representative. */
static void test_dated_representative(void **state)
{
    (void)state;
    rng r = { 2028 };
    tset *ts = ts_new();
    story s = story_random(&r, 6, 40);
    size_t d0 = ts_story(ts, "dates", NULL, &s), d1 = ts_story(ts, "dates", NULL, &s);
    size_t d2 = ts_story(ts, "dates", NULL, &s);
    nd_params p = params_lines();
    coll h;
    coll_open(&h, &p);
    for (size_t i = 0; i < ts->n; i++) coll_add(&h, &ts->d[i], ADD_PLAIN, 32);
    assert_int_equal(nd_corpus_set_date(h.c, d1, 1000), ND_OK);
    assert_int_equal(nd_corpus_set_date(h.c, d2, 500), ND_OK);
    assert_int_equal(nd_corpus_set_date(h.c, 99, 1), ND_E_INVALID);
    assert_int_equal(nd_corpus_finish(h.c), ND_OK);
    assert_int_equal(nd_corpus_set_date(h.c, d0, 1), ND_E_STATE);
    for (size_t i = 0; i < 3; i++) assert_int_equal(doc_info(&h, i).cluster, d2);
    (void)d0;
    coll_close(&h);
    ts_free(ts);
}

int main(void)
{
    vocab_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_family_recall, teardown),
        cmocka_unit_test_teardown(test_family_recall_at_080, teardown),
        cmocka_unit_test_teardown(test_lsh_chain, teardown),
        cmocka_unit_test_teardown(test_chrome_under_five_stories, teardown),
        cmocka_unit_test_teardown(test_wire_story_across_sources, teardown),
        cmocka_unit_test_teardown(test_wire_story_in_one_source, teardown),
        cmocka_unit_test_teardown(test_min_stories, teardown),
        cmocka_unit_test_teardown(test_scope_all, teardown),
        cmocka_unit_test_teardown(test_repeat_and_boilerplate, teardown),
        cmocka_unit_test_teardown(test_truncated_copy, teardown),
        cmocka_unit_test_teardown(test_edited_copies, teardown),
        cmocka_unit_test_teardown(test_credit_only_verified, teardown),
        cmocka_unit_test_teardown(test_transitive_cluster, teardown),
        cmocka_unit_test_teardown(test_add_signed_parity, teardown),
        cmocka_unit_test_teardown(test_threads_same_verdicts, teardown),
        cmocka_unit_test_teardown(test_add_signed_invalid, teardown),
        cmocka_unit_test_teardown(test_api_contract, teardown),
        cmocka_unit_test_teardown(test_failing_allocator, teardown),
        cmocka_unit_test_teardown(test_failing_allocator_threads, teardown),
        cmocka_unit_test_teardown(test_finish_again_after_nomem, teardown),
        cmocka_unit_test_teardown(test_story_in_three_outlets_one_source, teardown),
        cmocka_unit_test_teardown(test_chrome_under_three_stories, teardown),
        cmocka_unit_test_teardown(test_single_page_shares_passage, teardown),
        cmocka_unit_test_teardown(test_chain_does_not_merge, teardown),
        cmocka_unit_test_teardown(test_dated_representative, teardown),
        cmocka_unit_test_teardown(test_noisy_copy, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
