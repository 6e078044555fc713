/*
 * Documents (src/doc.c): repeated paragraphs inside one document, paragraph
 * information, document signatures, a large generated document, and the
 * seed article of the shared corpus (skipped when $ND_SHARED is absent).
 */
#define _POSIX_C_SOURCE 200809L /* fork, waitpid */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "internal.h"

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

typedef struct fixture {
    nd_ctx *ctx;
    nd_doc *doc;
} fixture;

/* Handles and buffers a test holds, released by the teardown when an
 * assertion ends the test early (so that a failure reports no leaks). */
#define HELD 16
static nd_ctx *held_ctx[HELD];
static nd_doc *held_doc[HELD];
static void *held_mem[HELD];

static void *hold(void *p)
{
    assert_non_null(p);
    for (size_t i = 0; i < HELD; i++)
        if (!held_mem[i]) { held_mem[i] = p; return p; }
    fail_msg("too many buffers held");
    return NULL;
}

static void release(void *p)
{
    for (size_t i = 0; i < HELD; i++)
        if (held_mem[i] == p) held_mem[i] = NULL;
    free(p);
}

static void open_params(fixture *f, const nd_params *p)
{
    assert_int_equal(nd_ctx_create(&f->ctx, p, NULL), ND_OK);
    assert_int_equal(nd_doc_create(&f->doc, f->ctx), ND_OK);
    for (size_t i = 0; i < HELD; i++)
        if (!held_ctx[i]) {
            held_ctx[i] = f->ctx;
            held_doc[i] = f->doc;
            return;
        }
    fail_msg("too many fixtures open");
}

static void open_with(fixture *f, nd_seg_mode mode, unsigned k, uint64_t seed)
{
    nd_params p;
    nd_params_init(&p, ND_PARAMS_VERSION);
    p.seg_mode = mode;
    p.num_perm = k;
    p.seed = seed;
    open_params(f, &p);
}

static void open_lines(fixture *f)
{
    open_with(f, ND_SEG_LINES, ND_DEFAULT_NUM_PERM, ND_DEFAULT_SEED);
}

static void close_fixture(fixture *f)
{
    for (size_t i = 0; i < HELD; i++)
        if (held_ctx[i] == f->ctx) held_ctx[i] = NULL, held_doc[i] = NULL;
    nd_doc_free(f->doc);
    nd_ctx_free(f->ctx);
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < HELD; i++) {
        nd_doc_free(held_doc[i]);
        nd_ctx_free(held_ctx[i]);
        free(held_mem[i]);
        held_doc[i] = NULL;
        held_ctx[i] = NULL;
        held_mem[i] = NULL;
    }
    return 0;
}

static void analyze(fixture *f, const char *text)
{
    assert_int_equal(nd_doc_analyze(f->doc, text, strlen(text)), ND_OK);
}

static nd_para_info para(const fixture *f, size_t i)
{
    nd_para_info pi = ND_PARA_INFO_INIT;
    assert_int_equal(nd_doc_para(f->doc, i, &pi), ND_OK);
    return pi;
}

static void expect_content(const fixture *f, size_t i)
{
    nd_para_info pi = para(f, i);
    if (pi.kind != ND_KIND_CONTENT)
        fail_msg("paragraph %zu is %s of %zu (similarity %.3f), expected content", i,
                 nd_kind_name(pi.kind), pi.of, pi.similarity);
    assert_int_equal(pi.of, i);
    assert_true(pi.similarity == 0.0);
}

static void expect_repeat(const fixture *f, size_t i, size_t of)
{
    nd_para_info pi = para(f, i);
    if (pi.kind != ND_KIND_REPEAT || pi.of != of)
        fail_msg("paragraph %zu is %s of %zu, expected a repeat of %zu", i,
                 nd_kind_name(pi.kind), pi.of, of);
}

#define CAPTION                                                                        \
    "Vehicles used for suicide car bombings, made by Islamic State militants, are "   \
    "seen at Federal Police Headquarters after being confiscated in Mosul, Iraq July " \
    "13, 2017. REUTERS/Thaier Al-Sudani"
#define TPX " TPX IMAGES OF THE DAY"

static void test_caption_repeats(void **state)
{
    (void)state;
    fixture f;
    open_lines(&f);
    const char *text = CAPTION "\n"
                       "Some other paragraph that has nothing in common with the caption above.\n"
                       CAPTION "\n"
                       CAPTION TPX "\n"
                       CAPTION "\n";
    analyze(&f, text);
    assert_int_equal(nd_doc_count(f.doc), 5);
    assert_int_equal(nd_doc_repeats(f.doc), 3);
    expect_content(&f, 0);
    expect_content(&f, 1);
    expect_repeat(&f, 2, 0);
    expect_repeat(&f, 3, 0);
    expect_repeat(&f, 4, 0);
    /* exact shingle-set Jaccard: the caption has 30 words (26 shingles), the
     * suffix adds 5 words and 5 shingles: 26 / 31 */
    nd_para_info p0 = para(&f, 0), p2 = para(&f, 2), p3 = para(&f, 3);
    assert_int_equal(p0.offset, 0);
    assert_int_equal(p0.length, strlen(CAPTION));
    assert_int_equal(p0.tokens, 30);
    assert_int_equal(p0.shingles, 26);
    assert_true(p2.similarity == 1.0);
    assert_int_equal(p3.tokens, 35);
    assert_int_equal(p3.shingles, 31);
    assert_true(fabs(p3.similarity - 26.0 / 31.0) < 1e-12);
    assert_int_equal(p3.offset, (size_t)(strstr(text, CAPTION TPX) - text));
    assert_int_equal(p3.length, strlen(CAPTION TPX));

    /* the suffixed caption first (as in the seed article): the exact copies
     * that follow all point at it */
    analyze(&f, CAPTION TPX "\n" CAPTION "\n" CAPTION "\n" CAPTION "\n");
    assert_int_equal(nd_doc_repeats(f.doc), 3);
    expect_content(&f, 0);
    for (size_t i = 1; i < 4; i++) {
        expect_repeat(&f, i, 0);
        assert_true(fabs(para(&f, i).similarity - 26.0 / 31.0) < 1e-12);
    }
    close_fixture(&f);
}

static void test_similar_captions_are_not_repeats(void **state)
{
    (void)state;
    fixture f;
    open_lines(&f);
    /* two captions of the seed article that share most of their words */
    analyze(&f,
            "A tank gun hidden inside a truck, made by Islamic State militants, to avoid attack "
            "from planes are seen at Federal Police Headquarters after being confiscated in "
            "Mosul, Iraq July 13, 2017. REUTERS/Thaier Al-Sudani\n"
            "A tank inside a truck, made by Islamic State militants, to avoid attack of the "
            "plane is seen at Federal Police Headquarters after being confiscated in Mosul, "
            "Iraq July 13, 2017. REUTERS/Thaier Al-Sudani\n"
            CAPTION "\n"
            "A member of Federal Police inspects vehicles used for suicide car bombings, made "
            "by Islamic State militants, at Federal Police Headquarters after being "
            "confiscated in Mosul, Iraq July 13, 2017. REUTERS/Thaier Al-Sudani\n");
    assert_int_equal(nd_doc_count(f.doc), 4);
    assert_int_equal(nd_doc_repeats(f.doc), 0);
    /* two sentences sharing 60% of their words, in another order */
    analyze(&f,
            "The president met foreign ministers in Washington on Tuesday to discuss trade and security\n"
            "On Friday the president met business leaders in New York to discuss trade and jobs\n");
    assert_int_equal(nd_doc_repeats(f.doc), 0);
    close_fixture(&f);
}

static void test_numbers(void **state)
{
    (void)state;
    fixture f;
    open_lines(&f);
    /* short paragraphs must be equal token for token, digits included */
    analyze(&f, "22 PHOTOS\n23 PHOTOS\n22 PHOTOS\n22 photos\n");
    assert_int_equal(nd_doc_repeats(f.doc), 2);
    expect_content(&f, 0);
    expect_content(&f, 1);
    expect_repeat(&f, 2, 0);
    expect_repeat(&f, 3, 0);
    /* long paragraphs that differ only in numbers (dates, counters) are
     * repeats: shingles fold all numbers to one value */
    analyze(&f, CAPTION "\n"
                "Vehicles used for suicide car bombings, made by Islamic State militants, are "
                "seen at Federal Police Headquarters after being confiscated in Mosul, Iraq "
                "July 14, 2016. REUTERS/Thaier Al-Sudani\n");
    assert_int_equal(nd_doc_repeats(f.doc), 1);
    expect_repeat(&f, 1, 0);
    assert_true(para(&f, 1).similarity == 1.0);
    close_fixture(&f);
}

static void test_short_lines(void **state)
{
    (void)state;
    fixture f;
    open_lines(&f);
    analyze(&f, "HIDE CAPTION\nSHOW CAPTION\nof\nSEE ALL\nBACK TO SLIDE\n"
                "Some text in between that is long enough to have several shingles.\n"
                "HIDE CAPTION\nSHOW CAPTION\nof\nSEE ALL\nBACK TO SLIDE\n"
                "OF\nSee all\nSEE ALSO\nALL SEE\n***\n***\n* * *\n");
    assert_int_equal(nd_doc_count(f.doc), 18);
    for (size_t i = 0; i < 6; i++) expect_content(&f, i);
    for (size_t i = 6; i < 11; i++) expect_repeat(&f, i, i - 6);
    expect_repeat(&f, 11, 2);    /* "OF" is "of" */
    expect_repeat(&f, 12, 3);    /* "See all" is "SEE ALL" */
    expect_content(&f, 13);      /* "SEE ALSO" */
    expect_content(&f, 14);      /* word order counts */
    expect_content(&f, 15);      /* "***" */
    expect_repeat(&f, 16, 15);   /* wordless paragraphs compare their bytes */
    expect_content(&f, 17);      /* "* * *" */
    assert_int_equal(nd_doc_repeats(f.doc), 8);
    for (size_t i = 6; i < 13; i++) assert_true(para(&f, i).similarity == 1.0);
    close_fixture(&f);
}

/* Appends the words <prefix>a, <prefix>b, ... (count of them). */
static size_t words(char *buf, size_t len, const char *prefix, size_t from, size_t count)
{
    for (size_t i = from; i < from + count; i++)
        len += (size_t)sprintf(buf + len, " %s%c%c", prefix, 'a' + (int)(i / 26), 'a' + (int)(i % 26));
    return len;
}

static void test_repeat_of_the_most_similar_root(void **state)
{
    (void)state;
    /* With w = 1 shingles are words, so sets are easy to lay out. X is 20
     * words, P and Q 4 words each:
     *   0: A = X+P               root
     *   1: B = X+Q               J(A) = 20/28 = 0.714: a root of its own
     *   2: C = X+p1p2+q1q2q3     J(A) = 22/27, J(B) = 23/26: repeat of B
     *   3: D = X+p1p2+q1q2       J(A) = J(B) = 22/26: the earlier root, A
     * A repeat points at the root it is most similar to, ties to the older. */
    nd_params p;
    nd_params_init(&p, ND_PARAMS_VERSION);
    p.seg_mode = ND_SEG_LINES;
    p.shingle_size = 1;
    fixture f;
    open_params(&f, &p);
    char text[4096];
    size_t len = 0;
    len = words(text, len, "x", 0, 20); len = words(text, len, "p", 0, 4); text[len++] = '\n';
    len = words(text, len, "x", 0, 20); len = words(text, len, "q", 0, 4); text[len++] = '\n';
    len = words(text, len, "x", 0, 20); len = words(text, len, "p", 0, 2);
    len = words(text, len, "q", 0, 3); text[len++] = '\n';
    len = words(text, len, "x", 0, 20); len = words(text, len, "p", 0, 2);
    len = words(text, len, "q", 0, 2); text[len++] = '\n';
    assert_int_equal(nd_doc_analyze(f.doc, text, len), ND_OK);
    assert_int_equal(nd_doc_count(f.doc), 4);
    expect_content(&f, 0);
    expect_content(&f, 1);
    expect_repeat(&f, 2, 1);
    assert_true(fabs(para(&f, 2).similarity - 23.0 / 26.0) < 1e-12);
    expect_repeat(&f, 3, 0);
    assert_true(fabs(para(&f, 3).similarity - 22.0 / 26.0) < 1e-12);
    close_fixture(&f);
}

static void test_para_signatures_and_doc_signature(void **state)
{
    (void)state;
    fixture f;
    open_lines(&f);
    const char *text = CAPTION "\n"
                       "The White House and Pentagon declined official comment.\n"
                       CAPTION TPX "\n"
                       "Defense industry officials and lobbyists have privately welcomed it.\n"
                       "of\n"
                       "of\n";
    analyze(&f, text);
    const size_t n = nd_doc_count(f.doc), k = nd_ctx_num_perm(f.ctx);
    assert_int_equal(n, 6);
    assert_int_equal(nd_doc_repeats(f.doc), 2);
    uint32_t merged[128], want[128], doc_sig[128];
    for (size_t i = 0; i < k; i++) want[i] = UINT32_MAX;
    for (size_t i = 0; i < n; i++) {
        nd_para_info pi = para(&f, i);
        const uint32_t *s = nd_doc_para_signature(f.doc, i);
        assert_non_null(s);
        /* each paragraph's signature is nd_sign_text of its span */
        uint32_t alone[128];
        assert_int_equal(nd_sign_text(f.ctx, text + pi.offset, pi.length, alone, sizeof alone / sizeof *alone), ND_OK);
        assert_memory_equal(s, alone, sizeof alone);
        if (pi.kind == ND_KIND_CONTENT) nd_signature_merge(want, s, k);
    }
    assert_int_equal(nd_doc_signature(f.doc, doc_sig, sizeof doc_sig / sizeof *doc_sig), ND_OK);
    assert_memory_equal(doc_sig, want, sizeof want);
    /* the repeat's extra shingles ("TPX IMAGES OF THE DAY") are left out */
    memcpy(merged, want, sizeof merged);
    nd_signature_merge(merged, nd_doc_para_signature(f.doc, 2), k);
    assert_memory_not_equal(merged, doc_sig, sizeof merged);
    /* out of range */
    assert_null(nd_doc_para_signature(f.doc, n));
    nd_para_info pi = ND_PARA_INFO_INIT;
    assert_int_equal(nd_doc_para(f.doc, n, &pi), ND_E_INVALID);
    assert_int_equal(nd_doc_para(f.doc, 0, NULL), ND_E_INVALID);
    assert_int_equal(nd_doc_para(NULL, 0, &pi), ND_E_INVALID);
    assert_int_equal(nd_doc_signature(f.doc, NULL, 128), ND_E_INVALID);
    assert_int_equal(nd_doc_signature(NULL, doc_sig, sizeof doc_sig / sizeof *doc_sig), ND_E_INVALID);
    /* a buffer shorter than K is refused untouched (a store of K = 32 gave
     * its 32-value buffer to a K = 128 document and had it overrun) */
    uint32_t small[32];
    memset(small, 0x5A, sizeof small);
    assert_int_equal(nd_doc_signature(f.doc, small, 32), ND_E_BUFFER);
    for (size_t i = 0; i < 32; i++) assert_int_equal(small[i], 0x5A5A5A5Au);
    assert_int_equal(nd_doc_signature(f.doc, doc_sig, k - 1), ND_E_BUFFER);
    /* an empty document has the empty signature */
    analyze(&f, "");
    assert_int_equal(nd_doc_signature(f.doc, doc_sig, sizeof doc_sig / sizeof *doc_sig), ND_OK);
    for (size_t i = 0; i < k; i++) assert_int_equal(doc_sig[i], UINT32_MAX);
    close_fixture(&f);
}

static void test_analyze_arguments_and_reuse(void **state)
{
    (void)state;
    fixture f;
    open_lines(&f);
    assert_int_equal(nd_doc_analyze(NULL, "a", 1), ND_E_INVALID);
    assert_int_equal(nd_doc_analyze(f.doc, NULL, 1), ND_E_INVALID);
    assert_int_equal(nd_doc_count(NULL), 0);
    assert_int_equal(nd_doc_repeats(NULL), 0);
    /* reuse: a second analysis replaces the first, a third gives the first
     * result again */
    const char *a = "one two three four five six\nseven eight\none two three four five six\n";
    const char *b = "x\n\ny\n";
    analyze(&f, a);
    assert_int_equal(nd_doc_count(f.doc), 3);
    assert_int_equal(nd_doc_repeats(f.doc), 1);
    uint32_t s1[128], s2[128];
    memcpy(s1, nd_doc_para_signature(f.doc, 1), sizeof s1);
    analyze(&f, b);
    assert_int_equal(nd_doc_count(f.doc), 2);
    assert_int_equal(nd_doc_repeats(f.doc), 0);
    expect_content(&f, 0);
    expect_content(&f, 1);
    analyze(&f, a);
    assert_int_equal(nd_doc_count(f.doc), 3);
    assert_int_equal(nd_doc_repeats(f.doc), 1);
    expect_repeat(&f, 2, 0);
    memcpy(s2, nd_doc_para_signature(f.doc, 1), sizeof s2);
    assert_memory_equal(s1, s2, sizeof s1);
    /* NULL of size 0 is the empty text (on a fresh handle: see
     * test_empty_text_on_fresh_handle) */
    assert_int_equal(nd_doc_analyze(f.doc, NULL, 0), ND_OK);
    assert_int_equal(nd_doc_count(f.doc), 0);
    assert_int_equal(nd_doc_repeats(f.doc), 0);
    /* any bytes: invalid UTF-8 and NUL */
    static const char junk[] = "\xFF\xFE\x00zz\n\xC3\n\xFF\xFE\x00zz\n";
    assert_int_equal(nd_doc_analyze(f.doc, junk, sizeof junk - 1), ND_OK);
    assert_int_equal(nd_doc_count(f.doc), 3);
    expect_repeat(&f, 2, 0);
    close_fixture(&f);
}

/* Runs fn in a child process, so that a sanitizer abort fails only the
 * calling test. @return fn's result, or -1 if the child did not exit. */
static int run_in_child(int (*fn)(void))
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) _exit(fn());
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int empty_text_on_fresh_handle(void)
{
    nd_ctx *ctx;
    nd_doc *doc;
    if (nd_ctx_create(&ctx, NULL, NULL) || nd_doc_create(&doc, ctx)) return 2;
    int bad = nd_doc_analyze(doc, "", 0) != ND_OK || nd_doc_count(doc) != 0;
    bad |= nd_doc_analyze(doc, NULL, 0) != ND_OK || nd_doc_count(doc) != 0;
    bad |= nd_doc_analyze(doc, "\n \n", 3) != ND_OK || nd_doc_count(doc) != 0;
    nd_doc_free(doc);
    nd_ctx_free(ctx);
    return bad;
}

static void test_empty_text_on_fresh_handle(void **state)
{
    (void)state;
    /* The first analysis of a handle is of an empty text (size 0 is allowed).
     * Nothing has been allocated yet, and memset(NULL, 0, 0) in
     * nd__find_repeats is undefined behaviour (UBSan: "null pointer passed as
     * argument 1"). Run in a child so that an abort fails only this test. */
    int rc = run_in_child(empty_text_on_fresh_handle);
    if (rc != 0) fail_msg("analyzing an empty text on a fresh nd_doc: child %s %d",
                          rc < 0 ? "crashed" : "exited with", rc);
}

/* ---- a large generated document ----------------------------------------- */

/* Appends a paragraph of `words` random words w<N> from a 5000-word vocabulary. */
static size_t gen_para(char *buf, size_t len, uint64_t *rs, size_t words)
{
    for (size_t i = 0; i < words; i++)
        len += (size_t)sprintf(buf + len, "%sw%u", i ? " " : "", (unsigned)(rng_next(rs) % 5000));
    return len;
}

static void test_ten_thousand_paragraphs(void **state)
{
    (void)state;
    /* 10,000 paragraphs of 30 random words; every tenth is a copy of an
     * earlier original, half of them exact, half with the last word changed
     * (J = 25/27). Exactly those 1,000 are repeats, of their originals. */
    const size_t n = 10000, words = 30;
    char *text = hold(malloc(n * (words * 6 + 32)));
    size_t *starts = hold(malloc(n * sizeof *starts)), *ends = hold(malloc(n * sizeof *ends));
    size_t *want_of = hold(malloc(n * sizeof *want_of));
    uint64_t rs = 2024;
    size_t len = 0, planted = 0;
    for (size_t i = 0; i < n; i++) {
        starts[i] = len;
        if (i % 10 == 9) {
            size_t src;
            do src = (size_t)(rng_next(&rs) % i); while (src % 10 == 9);
            size_t l = ends[src] - starts[src];
            memcpy(text + len, text + starts[src], l);
            len += l;
            if (planted % 2) {          /* replace the last word */
                while (text[len - 1] != ' ') len--;
                len += (size_t)sprintf(text + len, "changed%zu", i);
            }
            want_of[i] = src;
            planted++;
        } else {
            len = gen_para(text, len, &rs, words);
            want_of[i] = i;
        }
        ends[i] = len;
        text[len++] = '\n';
    }
    fixture f;
    open_lines(&f);
    assert_int_equal(nd_doc_analyze(f.doc, text, len), ND_OK);
    assert_int_equal(nd_doc_count(f.doc), n);
    assert_int_equal(nd_doc_repeats(f.doc), planted);
    assert_int_equal(planted, 1000);
    for (size_t i = 0; i < n; i++) {
        nd_para_info pi = para(&f, i);
        assert_int_equal(pi.offset, starts[i]);
        assert_int_equal(pi.length, ends[i] - starts[i]);
        if (want_of[i] == i) {
            if (pi.kind != ND_KIND_CONTENT) fail_msg("paragraph %zu: %s of %zu", i, nd_kind_name(pi.kind), pi.of);
        } else {
            if (pi.kind != ND_KIND_REPEAT || pi.of != want_of[i])
                fail_msg("paragraph %zu: %s of %zu, expected repeat of %zu", i,
                         nd_kind_name(pi.kind), pi.of, want_of[i]);
            double want_sim = (i / 10) % 2 ? 25.0 / 27.0 : 1.0;
            assert_true(fabs(pi.similarity - want_sim) < 1e-12);
        }
    }
    close_fixture(&f);
    release(text);
    release(starts);
    release(ends);
    release(want_of);
}

static void test_ten_thousand_copies(void **state)
{
    (void)state;
    /* one short chrome line 10,000 times: 9,999 repeats of paragraph 0 */
    const size_t n = 10000;
    char *text = hold(malloc(n * 8 + 1));
    for (size_t i = 0; i < n; i++) memcpy(text + 8 * i, "SEE ALL\n", 8);
    fixture f;
    open_lines(&f);
    assert_int_equal(nd_doc_analyze(f.doc, text, 8 * n), ND_OK);
    assert_int_equal(nd_doc_count(f.doc), n);
    assert_int_equal(nd_doc_repeats(f.doc), n - 1);
    for (size_t i = 1; i < n; i++) expect_repeat(&f, i, 0);
    close_fixture(&f);
    release(text);
}

static void test_numbered_captions_then_a_repeat(void **state)
{
    (void)state;
    /* A gallery page: "Photo 1 of 300" ... "Photo 300 of 300", then "Photo 1
     * of 300" again. The numbered lines are distinct (digits count in short
     * paragraphs) but share their one folded shingle, so all 300 are roots in
     * the same LSH buckets. The last line repeats paragraph 0 exactly and
     * must be marked so (nd_doc_analyze: "marks every paragraph whose Jaccard
     * similarity with an earlier one is at or above repeat_threshold"). */
    char text[8192];
    size_t len = 0;
    for (int i = 1; i <= 300; i++) len += (size_t)sprintf(text + len, "Photo %d of 300\n", i);
    len += (size_t)sprintf(text + len, "Photo 1 of 300\n");
    fixture f;
    open_lines(&f);
    assert_int_equal(nd_doc_analyze(f.doc, text, len), ND_OK);
    assert_int_equal(nd_doc_count(f.doc), 301);
    for (size_t i = 0; i < 300; i++) expect_content(&f, i);
    expect_repeat(&f, 300, 0);
    assert_int_equal(nd_doc_repeats(f.doc), 1);
    close_fixture(&f);
}

static void test_similar_captions_then_a_repeat(void **state)
{
    (void)state;
    /* A 1,000-photo gallery: every caption is 4 words of its own followed by
     * the same 26-word credit line, so two captions share 22 of their 26
     * shingles (J = 22/30 = 0.73: not repeats, all roots) and meet in a band
     * with probability 0.73^r. Then caption 0 again, exactly (J = 1): it must
     * be a repeat of paragraph 0 however many similar roots were indexed
     * after it (nd_doc_analyze: "marks every paragraph whose Jaccard
     * similarity with an earlier one is at or above repeat_threshold"). */
    const size_t n = 1000;
    char *text = hold(malloc(n * 300 + 300));
    size_t len = 0, first_len = 0;
    for (size_t i = 0; i < n; i++) {
        for (int w = 0; w < 4; w++)   /* words of its own, never shared */
            len += (size_t)sprintf(text + len, "c%zuw%d ", i, w);
        len += (size_t)sprintf(text + len, "%s\n",
                               "vehicles made by militants are seen at Federal Police Headquarters "
                               "after being confiscated in Mosul Iraq July 13 2017 REUTERS Thaier "
                               "Al Sudani TPX IMAGES OF");
        if (i == 0) first_len = len;
    }
    memcpy(text + len, text, first_len);
    len += first_len;
    fixture f;
    open_lines(&f);
    assert_int_equal(nd_doc_analyze(f.doc, text, len), ND_OK);
    assert_int_equal(nd_doc_count(f.doc), n + 1);
    assert_int_equal(para(&f, 0).tokens, 30);
    assert_int_equal(nd_doc_repeats(f.doc), 1);
    expect_repeat(&f, n, 0);
    close_fixture(&f);
    release(text);
}

/* The repeat index has its own bands (chosen for recall at
 * repeat_threshold): the bands a user sets for the collection's copy index
 * (lsh_bands, lsh_rows) must not change which paragraphs are repeats. */
static void test_repeats_independent_of_lsh_bands(void **state)
{
    (void)state;
    /* 400 captions sharing a long credit line (J about 0.73 between any two:
     * not repeats), a few exact and near copies among them */
    const size_t n = 400;
    char *text = hold(malloc(n * 300 + 1));
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t own = i % 50 == 49 ? i - 40 : i; /* every 50th repeats an earlier caption */
        for (int w = 0; w < 4; w++) len += (size_t)sprintf(text + len, "c%zuw%d ", own, w);
        len += (size_t)sprintf(text + len, "%s%s\n",
                               "vehicles made by militants are seen at Federal Police Headquarters "
                               "after being confiscated in Mosul Iraq July 13 2017 REUTERS Thaier ",
                               i % 100 == 99 ? "Al Sudani TPX IMAGES OF THE DAY" : "Al Sudani TPX IMAGES OF");
    }
    static const unsigned shapes[][2] = { { 0, 0 }, { 128, 1 }, { 4, 32 }, { 64, 2 } };
    size_t want_repeats = 0;
    nd_para_info want[400];
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        nd_params p;
        nd_params_init(&p, ND_PARAMS_VERSION);
        p.seg_mode = ND_SEG_LINES;
        p.lsh_bands = shapes[s][0];
        p.lsh_rows = shapes[s][1];
        fixture f;
        open_params(&f, &p);
        assert_int_equal(nd_doc_analyze(f.doc, text, len), ND_OK);
        assert_int_equal(nd_doc_count(f.doc), n);
        if (s == 0) {
            want_repeats = nd_doc_repeats(f.doc);
            assert_true(want_repeats >= 7); /* the planted copies */
            for (size_t i = 0; i < n; i++) want[i] = para(&f, i);
        }
        assert_int_equal(nd_doc_repeats(f.doc), want_repeats);
        for (size_t i = 0; i < n; i++) {
            nd_para_info got = para(&f, i);
            if (got.kind != want[i].kind || got.of != want[i].of)
                fail_msg("lsh_bands %u x %u: paragraph %zu differs", shapes[s][0], shapes[s][1], i);
        }
        close_fixture(&f);
    }
    release(text);
}

static void test_verdict_independent_of_seed_near_threshold(void **state)
{
    (void)state;
    /* nd_doc_analyze promises that "each [candidate] is then verified on the
     * exact shingle sets, so the verdict does not depend on the seed". A pair
     * at exact Jaccard 0.80 (above the default threshold 0.75): paragraph 1
     * is paragraph 0 (22 words) with its last 2 words replaced, 16 of 20
     * shingles shared. It must be a repeat under every seed. */
    char text[1024];
    size_t len = 0;
    for (int i = 0; i < 22; i++) len += (size_t)sprintf(text + len, "alpha%d ", i);
    text[len++] = '\n';
    for (int i = 0; i < 20; i++) len += (size_t)sprintf(text + len, "alpha%d ", i);
    len += (size_t)sprintf(text + len, "beta gamma\n");
    size_t missed = 0;
    char seeds[512] = "";
    for (uint64_t s = 1000; s < 1100; s++) {
        fixture f;
        open_with(&f, ND_SEG_LINES, 128, s);
        assert_int_equal(nd_doc_analyze(f.doc, text, len), ND_OK);
        nd_para_info pi = para(&f, 1);
        if (pi.kind != ND_KIND_REPEAT) {
            if (missed < 8) snprintf(seeds + strlen(seeds), sizeof seeds - strlen(seeds), " %llu",
                                     (unsigned long long)s);
            missed++;
        } else {
            assert_true(fabs(pi.similarity - 0.8) < 1e-12);
        }
        close_fixture(&f);
    }
    if (missed) fail_msg("J=0.80 pair not a repeat under %zu of 100 seeds (e.g.%s)", missed, seeds);
}

/* ---- the seed article ------------------------------------------------------ */

static char *read_seed_article(size_t *len)
{
    const char *dir = getenv("ND_SHARED");
    if (!dir) return NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/corpus/seed-article.txt", dir);
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, fp)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    fclose(fp);
    *len = n;
    return buf;
}

/* The repeats of the seed article, by paragraph index, with the paragraph
 * each repeats (tests/data/seed-repeats.tsv lists the same indexes). */
static const size_t seed_repeats[][2] = {
    { 8, 6 },                                   /* The Islamic State's preferred weapons of war */
    { 11, 10 }, { 12, 10 },                     /* A tank gun hidden inside a truck */
    { 13, 9 }, { 14, 9 }, { 15, 9 }, { 17, 9 }, /* Vehicles used for suicide car bombings */
    { 18, 9 }, { 19, 9 }, { 20, 9 }, { 22, 9 }, { 23, 9 }, { 24, 9 }, { 25, 9 }, { 26, 9 },
    { 29, 9 },
    { 56, 7 },                                  /* See Gallery */
    { 57, 55 },                                 /* The past 16 years at war in Afghanistan */
    { 80, 30 }, { 81, 31 }, { 82, 32 }, { 83, 33 }, { 84, 34 }, /* HIDE CAPTION .. BACK TO SLIDE */
};
#define SEED_REPEATS (sizeof seed_repeats / sizeof seed_repeats[0])

static int starts_with(const char *text, const nd_para_info *pi, const char *prefix)
{
    size_t n = strlen(prefix);
    return pi->length >= n && memcmp(text + pi->offset, prefix, n) == 0;
}

static int is_exactly(const char *text, const nd_para_info *pi, const char *s)
{
    return pi->length == strlen(s) && memcmp(text + pi->offset, s, pi->length) == 0;
}

/* Checks the verdicts of an analyzed seed article against the list and the
 * rules of thumb a reader would state. */
static void check_seed_article(const fixture *f, const char *text, const char *what)
{
    const size_t n = nd_doc_count(f->doc);
    if (n != 97 || nd_doc_repeats(f->doc) != SEED_REPEATS)
        fail_msg("%s: %zu paragraphs and %zu repeats, expected 97 and %zu", what, n,
                 nd_doc_repeats(f->doc), SEED_REPEATS);
    size_t r = 0;
    for (size_t i = 0; i < n; i++) {
        nd_para_info pi = para(f, i);
        if (r < SEED_REPEATS && seed_repeats[r][0] == i) {
            if (pi.kind != ND_KIND_REPEAT || pi.of != seed_repeats[r][1])
                fail_msg("%s: paragraph %zu \"%.40s\" is %s of %zu, expected a repeat of %zu",
                         what, i, text + pi.offset, nd_kind_name(pi.kind), pi.of, seed_repeats[r][1]);
            r++;
        } else if (pi.kind != ND_KIND_CONTENT) {
            fail_msg("%s: paragraph %zu \"%.40s\" is %s of %zu, expected content", what, i,
                     text + pi.offset, nd_kind_name(pi.kind), pi.of);
        }
    }
    /* the same, stated on the text */
    size_t seen_islamic = 0, seen_vehicles = 0, seen_tank = 0, seen_gallery = 0, seen_hide = 0,
           seen_past = 0, in_gallery = 0, in_story = 0, checked_story = 0;
    for (size_t i = 0; i < n; i++) {
        nd_para_info pi = para(f, i);
        int rep = pi.kind == ND_KIND_REPEAT;
        if (is_exactly(text, &pi, "The Islamic State's preferred weapons of war"))
            assert_int_equal(rep, seen_islamic++ > 0);
        if (starts_with(text, &pi, "Vehicles used for suicide car bombings"))
            assert_int_equal(rep, seen_vehicles++ > 0);
        if (starts_with(text, &pi, "A tank gun hidden inside a truck"))
            assert_int_equal(rep, seen_tank++ > 0);
        if (is_exactly(text, &pi, "See Gallery")) assert_int_equal(rep, seen_gallery++ > 0);
        if (is_exactly(text, &pi, "The past 16 years at war in Afghanistan"))
            assert_int_equal(rep, seen_past++ > 0);
        if (is_exactly(text, &pi, "HIDE CAPTION")) {
            assert_int_equal(rep, seen_hide++ > 0);
            if (seen_hide == 2) {
                /* and the four chrome lines after it */
                for (size_t j = 1; j <= 4; j++) assert_int_equal(para(f, i + j).kind, ND_KIND_REPEAT);
                nd_para_info of = para(f, i + 2);
                assert_true(is_exactly(text, &of, "of"));
            }
        }
        /* the story from the dateline to the credits, galleries excepted */
        if (starts_with(text, &pi, "WASHINGTON, Jan 8")) in_story = 1;
        if (starts_with(text, &pi, "22 PHOTOS") || starts_with(text, &pi, "23 PHOTOS")) in_gallery = 1;
        if (in_story && !in_gallery) {
            if (rep) fail_msg("%s: story paragraph %zu \"%.40s\" is a repeat", what, i, text + pi.offset);
            checked_story++;
        }
        if (is_exactly(text, &pi, "BACK TO SLIDE")) in_gallery = 0;
        if (starts_with(text, &pi, "(Reporting by")) in_story = 0;
    }
    assert_int_equal(seen_islamic, 2);
    assert_int_equal(seen_vehicles, 14);
    assert_int_equal(seen_tank, 3);
    assert_int_equal(seen_gallery, 2);
    assert_int_equal(seen_hide, 2);
    assert_int_equal(seen_past, 2);
    assert_int_equal(checked_story, 31);
}

static void test_seed_article(void **state)
{
    (void)state;
    size_t len;
    char *text = read_seed_article(&len);
    if (!text) skip();
    hold(text);
    fixture f;
    open_params(&f, NULL);
    assert_int_equal(nd_doc_analyze(f.doc, text, len), ND_OK);
    assert_int_equal(nd_doc_seg_mode(f.doc), ND_SEG_LINES);
    check_seed_article(&f, text, "default parameters");
    /* the suffixed caption is the root; its copies are at 26/31 */
    nd_para_info pi = para(&f, 13);
    assert_true(fabs(pi.similarity - 26.0 / 31.0) < 1e-12);
    close_fixture(&f);
    release(text);
}

static void test_seed_article_any_seed(void **state)
{
    (void)state;
    /* the same verdicts under 20 seeds and K = 64, 128, 256 */
    size_t len;
    char *text = read_seed_article(&len);
    if (!text) skip();
    hold(text);
    static const unsigned ks[] = { 64, 128, 256 };
    for (size_t k = 0; k < 3; k++)
        for (uint64_t s = 0; s < 20; s++) {
            fixture f;
            uint64_t seed = s == 0 ? ND_DEFAULT_SEED : s * 0x9E3779B97F4A7C15ull;
            open_with(&f, ND_SEG_AUTO, ks[k], seed);
            assert_int_equal(nd_doc_analyze(f.doc, text, len), ND_OK);
            char what[64];
            snprintf(what, sizeof what, "K=%u seed=%016llx", ks[k], (unsigned long long)seed);
            check_seed_article(&f, text, what);
            close_fixture(&f);
        }
    release(text);
}

/* ---- the output structs' version field (neardup.h "Output structs") ---- */

/* A struct with room after the library's fields: what the library writes
 * must end with the caller's version of the struct. */
typedef struct padded_para_info {
    nd_para_info known;
    uint64_t after;
} padded_para_info;

typedef struct padded_doc_info {
    nd_doc_info known;
    uint64_t after;
} padded_doc_info;

typedef struct padded_stream_doc {
    nd_stream_doc known;
    uint64_t after;
} padded_stream_doc;

#define PADDED(var, VERSION)               \
    do {                                   \
        memset(&(var), 0, sizeof(var));    \
        (var).known.version = (VERSION);   \
        (var).after = 0xFEEDu;             \
    } while (0)

static void test_output_structs_version(void **state)
{
    (void)state;
    fixture f;
    open_params(&f, NULL);
    analyze(&f, "Wire story about the harbour and its new cranes today.\n"
                "Read the full story.\n"
                "Wire story about the harbour and its new cranes today.\n");
    /* version not set (0), or newer than the library: ND_E_VERSION, nothing
     * written */
    nd_para_info p;
    memset(&p, 0x5A, sizeof p);
    p.version = 0;
    assert_int_equal(nd_doc_para(f.doc, 0, &p), ND_E_VERSION);
    assert_int_equal(p.offset, (size_t)0x5A5A5A5A5A5A5A5Aull);
    p.version = ND_PARA_INFO_VERSION + 1;
    assert_int_equal(nd_doc_para(f.doc, 0, &p), ND_E_VERSION);
    assert_int_equal(p.version, ND_PARA_INFO_VERSION + 1);
    assert_int_equal(p.offset, (size_t)0x5A5A5A5A5A5A5A5Aull);
    /* the fields of the version asked, nothing after them */
    padded_para_info pp;
    PADDED(pp, ND_PARA_INFO_VERSION);
    assert_int_equal(nd_doc_para(f.doc, 2, &pp.known), ND_OK);
    assert_int_equal(pp.known.version, ND_PARA_INFO_VERSION);
    assert_int_equal(pp.after, 0xFEEDu);
    assert_int_equal(pp.known.kind, ND_KIND_REPEAT);
    assert_int_equal(pp.known.of, 0);
    assert_int_equal(pp.known.shingles, 6);
    /* one meaning per field: a lone document names no collection or stream */
    assert_true(pp.known.of_doc == ND_NONE);
    assert_true(pp.known.of_seq == ND_SEQ_NONE);

    /* a collection: of_doc is an index, of_seq names no stream */
    nd_corpus *c;
    assert_int_equal(nd_corpus_create(&c, f.ctx), ND_OK);
    assert_int_equal(nd_corpus_add(c, f.doc, "a", 1, "s", 1, NULL), ND_OK);
    assert_int_equal(nd_corpus_add(c, f.doc, "b", 1, "s", 1, NULL), ND_OK);
    assert_int_equal(nd_corpus_finish(c), ND_OK);
    PADDED(pp, ND_PARA_INFO_VERSION);
    assert_int_equal(nd_corpus_para(c, 1, 2, &pp.known), ND_OK);
    assert_int_equal(pp.after, 0xFEEDu);
    assert_int_equal(pp.known.of_doc, 1);
    assert_true(pp.known.of_seq == ND_SEQ_NONE);
    p.version = 0;
    assert_int_equal(nd_corpus_para(c, 1, 2, &p), ND_E_VERSION);
    padded_doc_info pd;
    PADDED(pd, ND_DOC_INFO_VERSION);
    assert_int_equal(nd_corpus_doc(c, 1, &pd.known), ND_OK);
    assert_int_equal(pd.after, 0xFEEDu);
    assert_int_equal(pd.known.paragraphs, 3);
    assert_int_equal(pd.known.duplicate_of, 0);
    nd_doc_info d = ND_DOC_INFO_INIT;
    d.version = ND_DOC_INFO_VERSION + 1;
    assert_int_equal(nd_corpus_doc(c, 1, &d), ND_E_VERSION);
    assert_int_equal(d.paragraphs, 0);
    nd_corpus_free(c);

    /* a stream: of_seq is the position in the stream, of_doc names no
     * collection; a bad version is refused before the document is added */
    nd_stream *st;
    assert_int_equal(nd_stream_create(&st, f.ctx, 16), ND_OK);
    nd_stream_doc sd = ND_STREAM_DOC_INIT;
    sd.version = 0;
    assert_int_equal(nd_stream_add(st, f.doc, "a", 1, "s", 1, &sd), ND_E_VERSION);
    assert_int_equal(nd_stream_para(st, 0, &pp.known, NULL, NULL), ND_E_INVALID); /* none added */
    padded_stream_doc ps;
    PADDED(ps, ND_STREAM_DOC_VERSION);
    assert_int_equal(nd_stream_add(st, f.doc, "a", 1, "s", 1, &ps.known), ND_OK);
    assert_int_equal(ps.after, 0xFEEDu);
    assert_int_equal(ps.known.seq, 0);
    assert_true(ps.known.duplicate_of == ND_SEQ_NONE);
    assert_int_equal(nd_stream_add(st, f.doc, "b", 1, "s", 1, &ps.known), ND_OK);
    assert_int_equal(ps.known.seq, 1);
    PADDED(pp, ND_PARA_INFO_VERSION);
    assert_int_equal(nd_stream_para(st, 2, &pp.known, NULL, NULL), ND_OK);
    assert_int_equal(pp.after, 0xFEEDu);
    assert_int_equal(pp.known.kind, ND_KIND_REPEAT);
    assert_true(pp.known.of_seq == 1);
    assert_true(pp.known.of_doc == ND_NONE);
    p.version = 0;
    assert_int_equal(nd_stream_para(st, 2, &p, NULL, NULL), ND_E_VERSION);
    nd_stream_free(st);
    close_fixture(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_caption_repeats, teardown),
        cmocka_unit_test_teardown(test_similar_captions_are_not_repeats, teardown),
        cmocka_unit_test_teardown(test_numbers, teardown),
        cmocka_unit_test_teardown(test_short_lines, teardown),
        cmocka_unit_test_teardown(test_repeat_of_the_most_similar_root, teardown),
        cmocka_unit_test_teardown(test_para_signatures_and_doc_signature, teardown),
        cmocka_unit_test_teardown(test_output_structs_version, teardown),
        cmocka_unit_test_teardown(test_analyze_arguments_and_reuse, teardown),
        cmocka_unit_test_teardown(test_empty_text_on_fresh_handle, teardown),
        cmocka_unit_test_teardown(test_ten_thousand_paragraphs, teardown),
        cmocka_unit_test_teardown(test_ten_thousand_copies, teardown),
        cmocka_unit_test_teardown(test_numbered_captions_then_a_repeat, teardown),
        cmocka_unit_test_teardown(test_similar_captions_then_a_repeat, teardown),
        cmocka_unit_test_teardown(test_repeats_independent_of_lsh_bands, teardown),

        cmocka_unit_test_teardown(test_verdict_independent_of_seed_near_threshold, teardown),
        cmocka_unit_test_teardown(test_seed_article, teardown),
        cmocka_unit_test_teardown(test_seed_article_any_seed, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
