/*
 * Allocation failure at every allocation point (as rax's rax-oom-test.c
 * does): each call that allocates is run again and again with an allocator
 * that fails its n-th allocation, n = 1, 2, ... until the call no longer
 * reaches n. Every run must either succeed or return ND_E_NOMEM, leak
 * nothing once its handles are freed, and leave handles that work:
 *   - nd_ctx_create, nd_doc_create: *out is NULL after a failure;
 *   - nd_doc_analyze: the same handle then analyzes the text completely,
 *     with the paragraphs and signatures of a run that never failed;
 *   - nd_stream_add: adding the same document again after a failure
 *     succeeds, with the next sequence number, and as the header promises
 *     ("after an error the stream is unchanged") the verdicts are those of
 *     a stream that never failed;
 *   - nd_corpus_add and nd_corpus_finish: a clean error;
 *   - nd_html_create, nd_html_parse: a clean error, then the same handle
 *     parses the page to the text and paragraphs of a run that never
 *     failed (libxml2's own allocations are not ours to fail).
 * Any other outcome aborts (a failed test); ASan adds leaks and bad frees.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "neardup.h"

#define CHECK(x) do { if (!(x)) { fprintf(stderr, "%s:%d: check failed: %s (fail at %zu)\n", \
                                          __FILE__, __LINE__, #x, fa.fail_at); abort(); } } while (0)
#define NEVER SIZE_MAX

/* Counts allocations; fails the fail_at-th one after arming. */
typedef struct failing {
    size_t calls, fail_at;
    long live;
} failing;

static failing fa = { 0, NEVER, 0 };

static void *f_alloc(void *opaque, size_t size)
{
    failing *f = opaque;
    if (++f->calls == f->fail_at) return NULL;
    void *p = malloc(size);
    if (p) f->live++;
    return p;
}

static void f_free(void *opaque, void *ptr)
{
    failing *f = opaque;
    if (ptr) f->live--;
    free(ptr);
}

static const nd_allocator alloc = { f_alloc, f_free, &fa };

static void arm(size_t n) { fa.calls = 0; fa.fail_at = n; }
static int reached(void) { return fa.calls >= fa.fail_at; }

static const char *const texts[] = {
    "Read Full Story\nThe council voted on Tuesday to extend the ferry service.\n"
    "Caption repeated here\nCaption repeated here\nCaption repeated here\n"
    "Schools reopen next week after the holiday, the district said.\n",
    "Read Full Story\nA storm closed the harbour road for six hours on Monday night.\n"
    "The council voted on Tuesday to extend the ferry service.\n",
    /* a token longer than the tokenizer's buffer, non-ASCII, many lines */
    "\xef\xbb\xbfSupercalifragilisticexpialidocious" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
    "Caf\xc3\xa9 na\xc3\xafve \xe6\x9d\xb1\xe4\xba\xac\xe3\x81\xa7\n" "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\nn\no\np\nq\nr\n",
    "Read Full Story\nThe council voted on Tuesday to extend the ferry service.\n",
};
#define NTEXTS (sizeof texts / sizeof texts[0])

static nd_params params(void)
{
    nd_params p;
    nd_params_init(&p, ND_PARAMS_VERSION);
    p.num_perm = 32;
    p.min_stories = 2;
    return p;
}

static size_t test_create(void)
{
    nd_params p = params();
    for (size_t n = 1;; n++) {
        nd_ctx *ctx = (nd_ctx *)(uintptr_t)1; /* both must be set to NULL on failure */
        nd_doc *doc = (nd_doc *)(uintptr_t)1;
        arm(n);
        int rc = nd_ctx_create(&ctx, &p, &alloc);
        CHECK(rc == ND_OK || (rc == ND_E_NOMEM && ctx == NULL && reached()));
        if (rc == ND_OK) {
            rc = nd_doc_create(&doc, ctx);
            CHECK(rc == ND_OK || (rc == ND_E_NOMEM && doc == NULL && reached()));
            nd_doc_free(doc);
        }
        int done = !reached();
        nd_ctx_free(ctx);
        CHECK(fa.live == 0);
        if (done) return n - 1;
    }
}

/* Paragraph infos and signatures of doc, hashed (FNV-1a). */
static uint64_t doc_digest(const nd_doc *doc, unsigned k)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < nd_doc_count(doc); i++) {
        nd_para_info p = ND_PARA_INFO_INIT;
        CHECK(nd_doc_para(doc, i, &p) == ND_OK);
        const uint32_t *sig = nd_doc_para_signature(doc, i);
        size_t v[6] = { p.offset, p.length, (size_t)p.kind, p.of, p.tokens, p.shingles };
        const unsigned char *b = (const unsigned char *)v;
        for (size_t j = 0; j < sizeof v; j++) h = (h ^ b[j]) * 0x100000001b3ull;
        b = (const unsigned char *)sig;
        for (size_t j = 0; j < k * sizeof *sig; j++) h = (h ^ b[j]) * 0x100000001b3ull;
    }
    return h;
}

static size_t test_analyze(const nd_ctx *ctx)
{
    size_t points = 0;
    unsigned k = nd_ctx_num_perm(ctx);
    for (size_t t = 0; t < NTEXTS; t++) {
        nd_doc *doc;
        fa.fail_at = NEVER;
        CHECK(nd_doc_create(&doc, ctx) == ND_OK);
        CHECK(nd_doc_analyze(doc, texts[t], strlen(texts[t])) == ND_OK);
        uint64_t want = doc_digest(doc, k);
        size_t count = nd_doc_count(doc);
        nd_doc_free(doc);
        for (size_t n = 1;; n++) {
            fa.fail_at = NEVER;
            CHECK(nd_doc_create(&doc, ctx) == ND_OK); /* fresh: nothing allocated yet */
            arm(n);
            int rc = nd_doc_analyze(doc, texts[t], strlen(texts[t]));
            int done = !reached();
            CHECK(rc == ND_OK || (rc == ND_E_NOMEM && !done));
            if (rc == ND_E_NOMEM) {
                CHECK(nd_doc_count(doc) == 0);
                fa.fail_at = NEVER;
                CHECK(nd_doc_analyze(doc, texts[t], strlen(texts[t])) == ND_OK);
            }
            CHECK(nd_doc_count(doc) == count && doc_digest(doc, k) == want);
            nd_doc_free(doc);
            if (done) break;
            points++;
        }
    }
    return points;
}

typedef struct verdict {
    uint64_t dup, cluster;
    size_t repeats, boilerplate;
} verdict;

/* Adds every text to a stream, failing allocation n of each add (counted
 * from that add) and adding again after a failure. */
static void run_stream(const nd_ctx *ctx, size_t n, verdict *out, int *reached_any)
{
    nd_stream *s;
    nd_doc *doc;
    fa.fail_at = NEVER;
    CHECK(nd_stream_create(&s, ctx, 4) == ND_OK && nd_doc_create(&doc, ctx) == ND_OK);
    for (size_t r = 0; r < 3 * NTEXTS; r++) {
        const char *t = texts[r % NTEXTS];
        nd_stream_doc sd = ND_STREAM_DOC_INIT;
        char id[8];
        snprintf(id, sizeof id, "d%zu", r);
        fa.fail_at = NEVER;
        CHECK(nd_doc_analyze(doc, t, strlen(t)) == ND_OK);
        arm(n);
        int rc = nd_stream_add(s, doc, id, strlen(id), "src", 3, &sd);
        *reached_any |= reached();
        CHECK(rc == ND_OK || (rc == ND_E_NOMEM && reached()));
        fa.fail_at = NEVER;
        if (rc == ND_E_NOMEM) CHECK(nd_stream_add(s, doc, id, strlen(id), "src", 3, &sd) == ND_OK);
        CHECK(sd.seq == r);
        verdict v = { sd.duplicate_of, sd.cluster, sd.repeats, sd.boilerplate };
        out[r] = v;
    }
    nd_doc_free(doc);
    nd_stream_free(s);
}

static size_t test_stream(const nd_ctx *ctx)
{
    verdict want[3 * NTEXTS], got[3 * NTEXTS];
    int any = 0;
    run_stream(ctx, NEVER, want, &any);
    for (size_t n = 1;; n++) {
        any = 0;
        run_stream(ctx, n, got, &any);
        for (size_t r = 0; r < 3 * NTEXTS; r++) {
            if (memcmp(&got[r], &want[r], sizeof got[r]) == 0) continue;
            fprintf(stderr, "allocation %zu failed: document %zu copies %lld (want %lld), cluster %llu "
                    "(want %llu), %zu repeats (want %zu), %zu boilerplate (want %zu)\n", n, r,
                    (long long)got[r].dup, (long long)want[r].dup, (unsigned long long)got[r].cluster,
                    (unsigned long long)want[r].cluster, got[r].repeats, want[r].repeats,
                    got[r].boilerplate, want[r].boilerplate);
            abort();
        }
        if (!any) return n - 1;
    }
}

/* Builds a collection of every text, failing allocation n counted from
 * the first add; a failure ends the run cleanly. */
static size_t test_corpus(const nd_ctx *ctx)
{
    for (size_t n = 1;; n++) {
        nd_corpus *c;
        nd_doc *doc;
        int rc = ND_OK, hit = 0;
        fa.fail_at = NEVER;
        CHECK(nd_corpus_create(&c, ctx) == ND_OK && nd_doc_create(&doc, ctx) == ND_OK);
        fa.calls = 0;
        for (size_t r = 0; r < 2 * NTEXTS && rc == ND_OK; r++) {
            const char *t = texts[r % NTEXTS];
            size_t before = fa.calls;
            fa.fail_at = NEVER;
            CHECK(nd_doc_analyze(doc, t, strlen(t)) == ND_OK);
            fa.calls = before; /* count the corpus's allocations only */
            fa.fail_at = n;
            rc = nd_corpus_add(c, doc, "id", 2, r & 1 ? "a" : "b", 1, NULL);
        }
        if (rc == ND_OK) rc = nd_corpus_finish(c);
        hit = reached();
        CHECK(rc == ND_OK || (rc == ND_E_NOMEM && hit));
        if (rc == ND_OK) CHECK(nd_corpus_count(c) == 2 * NTEXTS);
        fa.fail_at = NEVER;
        nd_doc_free(doc);
        nd_corpus_free(c);
        if (!hit) return n - 1;
    }
}

static size_t test_html(const nd_ctx *ctx)
{
    static const char page[] = "<html><head><meta charset=windows-1251><title>t</title></head><body>"
        "<nav><a href=/>Home</a> <a href=/n>News</a></nav><article><h1>\xcf\xf0\xe8</h1>"
        "<p>First &amp; <b>second</b> part<br><br>after two breaks</p><div hidden>x</div>"
        "<ul><li>one<li>two<li>three</ul><pre>a\nb\nc</pre></article><footer>f</footer></body></html>";
    nd_html *ref = NULL;
    fa.fail_at = NEVER;
    CHECK(nd_html_create(&ref, ctx) == ND_OK);
    CHECK(nd_html_parse(ref, page, sizeof page - 1, NULL, 0) == ND_OK && nd_html_count(ref) > 5);
    size_t want_len, n = 0;
    const char *want = nd_html_text(ref, &want_len);
    for (size_t at = 1;; at++) {
        nd_html *h = NULL;
        arm(at);
        int rc = nd_html_create(&h, ctx);
        if (rc == ND_OK) rc = nd_html_parse(h, page, sizeof page - 1, NULL, 0);
        int hit = reached();
        fa.fail_at = NEVER;
        CHECK(rc == ND_OK || rc == ND_E_NOMEM);
        CHECK(hit || rc == ND_OK);
        if (h) {
            size_t len;
            CHECK(nd_html_parse(h, page, sizeof page - 1, NULL, 0) == ND_OK);
            const char *t = nd_html_text(h, &len);
            CHECK(len == want_len && memcmp(t, want, len) == 0 && nd_html_count(h) == nd_html_count(ref));
        } else {
            CHECK(rc == ND_E_NOMEM);
        }
        nd_html_free(h);
        if (!hit) break;
        n++;
    }
    nd_html_free(ref);
    return n;
}

int main(void)
{
    size_t created = test_create();
    nd_params p = params();
    nd_ctx *ctx;
    fa.fail_at = NEVER;
    CHECK(nd_ctx_create(&ctx, &p, &alloc) == ND_OK);
    long base = fa.live;
    size_t analyzed = test_analyze(ctx);
    CHECK(fa.live == base);
    size_t streamed = test_stream(ctx);
    CHECK(fa.live == base);
    size_t collected = test_corpus(ctx);
    CHECK(fa.live == base);
    size_t pages = test_html(ctx);
    CHECK(fa.live == base);
    nd_ctx_free(ctx);
    CHECK(fa.live == 0);
    /* a run that failed no allocation would have tested nothing */
    CHECK(created > 0 && analyzed > 0 && streamed > 0 && collected > 0 && pages > 0);
    printf("allocation points failed: %zu in create, %zu in analyze, %zu in stream add, "
           "%zu in corpus add and finish, %zu in HTML create and parse; no crash, no leak\n",
           created, analyzed, streamed, collected, pages);
    return 0;
}
