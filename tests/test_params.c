/*
 * Parameters, contexts, errors and allocation (src/params.c, src/error.c,
 * src/alloc.c): defaults, validation with a message naming the field, the
 * per-handle allocator used for every allocation, and a failing allocator
 * (after rax's rax-oom-test) that must never crash or leak.
 *
 * This test is linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc
 * (tests/lib_unit.cmake), so that a call of the C library's allocator from
 * the library's code is counted even when a handle has its own allocator.
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

/* ---- malloc of the C library, counted ---------------------------------- */
void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);

static size_t sys_allocs;

void *__wrap_malloc(size_t size) { sys_allocs++; return __real_malloc(size); }
void *__wrap_calloc(size_t n, size_t size) { sys_allocs++; return __real_calloc(n, size); }
void *__wrap_realloc(void *p, size_t size) { sys_allocs++; return __real_realloc(p, size); }

/* ---- a counting allocator and a failing one ----------------------------- */
typedef struct counter {
    size_t allocs, frees, live, bytes_live, fail_at; /* fail_at: 1-based, 0 = never */
    size_t zero_size;                                /* alloc(0) calls */
} counter;

/* Blocks carry their size in a header as large as max_align_t, so that the
 * pointer handed out is aligned exactly as malloc promises and no more (the
 * library must not assume more: see test_normalize's
 * test_long_token_with_malloc_alignment). */
#define HDR sizeof(max_align_t)

static void *counting_alloc(void *opaque, size_t size)
{
    counter *c = opaque;
    c->allocs++;
    if (size == 0) c->zero_size++;
    if (c->fail_at && c->allocs == c->fail_at) return NULL;
    unsigned char *p = __real_malloc(size + HDR);
    if (!p) return NULL;
    memcpy(p, &size, sizeof size);
    c->live++;
    c->bytes_live += size;
    return p + HDR;
}

static void counting_free(void *opaque, void *ptr)
{
    counter *c = opaque;
    if (!ptr) return;
    unsigned char *p = (unsigned char *)ptr - HDR;
    size_t size;
    memcpy(&size, p, sizeof size);
    c->frees++;
    c->live--;
    c->bytes_live -= size;
    free(p);
}

/* ---- parameters ---------------------------------------------------------- */
static void test_params_init_defaults(void **state)
{
    (void)state;
    nd_params p;
    memset(&p, 0xAB, sizeof p);
    assert_int_equal(nd_params_init(&p, ND_PARAMS_VERSION), ND_OK);
    assert_int_equal(p.version, ND_PARAMS_VERSION);
    assert_int_equal(p.seg_mode, ND_SEG_AUTO);
    assert_int_equal(p.shingle_size, ND_DEFAULT_SHINGLE_SIZE);
    assert_int_equal(p.shingle_size, 5);
    assert_int_equal(p.num_perm, ND_DEFAULT_NUM_PERM);
    assert_int_equal(p.num_perm, 128);
    assert_true(p.seed == ND_DEFAULT_SEED);
    assert_true(p.seed == 0x6E65617264757030ull);
    assert_true(p.repeat_threshold == ND_DEFAULT_REPEAT_THRESHOLD);
    assert_true(p.doc_threshold == ND_DEFAULT_DOC_THRESHOLD);
    assert_true(p.containment_threshold == ND_DEFAULT_CONTAINMENT_THRESHOLD);
    assert_int_equal(p.min_contained, ND_DEFAULT_MIN_CONTAINED);
    assert_int_equal(p.min_stories, ND_DEFAULT_MIN_STORIES);
    assert_int_equal(p.boilerplate_scope, ND_SCOPE_SOURCE);
    assert_int_equal(p.lsh_bands, 0);
    assert_int_equal(p.lsh_rows, 0);
    assert_int_equal(p.sig_bits, 32);
    for (size_t i = 0; i < sizeof p.reserved / sizeof p.reserved[0]; i++)
        assert_int_equal(p.reserved[i], 0);
    assert_int_equal(nd_params_init(NULL, ND_PARAMS_VERSION), ND_E_INVALID);
    assert_int_equal(nd_params_init(&p, 0), ND_E_VERSION);
    assert_int_equal(nd_params_init(&p, ND_PARAMS_VERSION + 1), ND_E_VERSION);
}

static void test_params_check_accepts_defaults_and_bounds(void **state)
{
    (void)state;
    nd_params p;
    char msg[128];
    nd_params_init(&p, ND_PARAMS_VERSION);
    strcpy(msg, "junk");
    assert_int_equal(nd_params_check(&p, msg, sizeof msg), ND_OK);
    assert_string_equal(msg, "");
    assert_int_equal(nd_params_check(&p, NULL, 0), ND_OK);
    assert_int_equal(nd_params_check(NULL, msg, sizeof msg), ND_E_INVALID);
    /* the edges of every range are valid */
    p.shingle_size = 1; assert_int_equal(nd_params_check(&p, NULL, 0), ND_OK);
    p.shingle_size = ND_MAX_SHINGLE_SIZE; assert_int_equal(nd_params_check(&p, NULL, 0), ND_OK);
    p.num_perm = 1; assert_int_equal(nd_params_check(&p, NULL, 0), ND_OK);
    p.num_perm = ND_MAX_NUM_PERM; assert_int_equal(nd_params_check(&p, NULL, 0), ND_OK);
    p.repeat_threshold = 1.0; assert_int_equal(nd_params_check(&p, NULL, 0), ND_OK);
    p.repeat_threshold = 1e-9; assert_int_equal(nd_params_check(&p, NULL, 0), ND_OK);
    p.seg_mode = ND_SEG_LINES; assert_int_equal(nd_params_check(&p, NULL, 0), ND_OK);
    p.seg_mode = ND_SEG_BLOCKS; assert_int_equal(nd_params_check(&p, NULL, 0), ND_OK);
    p.seed = 0; assert_int_equal(nd_params_check(&p, NULL, 0), ND_OK);
    p.seed = UINT64_MAX; assert_int_equal(nd_params_check(&p, NULL, 0), ND_OK);
    p.min_stories = 2; assert_int_equal(nd_params_check(&p, NULL, 0), ND_OK);
    p.min_stories = 65535; assert_int_equal(nd_params_check(&p, NULL, 0), ND_OK);
    p.boilerplate_scope = ND_SCOPE_ALL; assert_int_equal(nd_params_check(&p, NULL, 0), ND_OK);
    p.lsh_bands = 8; p.lsh_rows = 4; assert_int_equal(nd_params_check(&p, NULL, 0), ND_OK);
    p.sig_bits = 8; assert_int_equal(nd_params_check(&p, NULL, 0), ND_OK);
    p.sig_bits = 16; assert_int_equal(nd_params_check(&p, NULL, 0), ND_OK);
}

/* Checks that params with one bad field are refused with `code` and a
 * message that starts with the field's name. */
static void expect_bad(const nd_params *p, int code, const char *field)
{
    char msg[256];
    int rc = nd_params_check(p, msg, sizeof msg);
    if (rc != code) fail_msg("%s: nd_params_check gave %d, expected %d", field, rc, code);
    size_t n = strlen(field);
    if (strncmp(msg, field, n) != 0 || msg[n] != ':')
        fail_msg("message \"%s\" does not start with \"%s:\"", msg, field);
    /* nd_ctx_create refuses the same params, with the same code, *out NULL */
    nd_ctx *ctx = (nd_ctx *)&rc;   /* any non-NULL value: must be overwritten */
    assert_int_equal(nd_ctx_create(&ctx, p, NULL), code);
    assert_null(ctx);
    /* and nd_ctx_create2 says which field, with the same message */
    char msg2[256];
    ctx = (nd_ctx *)&rc;
    assert_int_equal(nd_ctx_create2(&ctx, p, NULL, msg2, sizeof msg2), code);
    assert_null(ctx);
    assert_string_equal(msg2, msg);
}

static void test_params_check_rejects_each_field(void **state)
{
    (void)state;
    nd_params d, p;
    nd_params_init(&d, ND_PARAMS_VERSION);
#define BAD(assign, field)                         \
    do {                                           \
        p = d;                                     \
        assign;                                    \
        expect_bad(&p, ND_E_PARAM, field);         \
    } while (0)
    BAD(p.shingle_size = 0, "shingle_size");
    BAD(p.shingle_size = 17, "shingle_size");
    BAD(p.shingle_size = UINT32_MAX, "shingle_size");
    BAD(p.num_perm = 0, "num_perm");
    BAD(p.num_perm = 1025, "num_perm");
    BAD(p.repeat_threshold = 0.0, "repeat_threshold");
    BAD(p.repeat_threshold = -0.5, "repeat_threshold");
    BAD(p.repeat_threshold = 1.5, "repeat_threshold");
    BAD(p.repeat_threshold = NAN, "repeat_threshold");
    BAD(p.repeat_threshold = INFINITY, "repeat_threshold");
    BAD(p.seg_mode = (nd_seg_mode)7, "seg_mode");
    BAD(p.reserved[0] = 1, "reserved");
    BAD(p.reserved[6] = 0x80000000u, "reserved");
    BAD(p.minhash_scheme = 3, "minhash_scheme");
    BAD(p.doc_threshold = 0.0, "doc_threshold");
    BAD(p.doc_threshold = NAN, "doc_threshold");
    BAD(p.containment_threshold = 1.01, "containment_threshold");
    BAD(p.min_stories = 1, "min_stories");
    BAD(p.min_stories = 65536, "min_stories");
    BAD(p.boilerplate_scope = (nd_scope)2, "boilerplate_scope");
    BAD((p.lsh_bands = 8, p.lsh_rows = 0), "lsh_rows");
    BAD((p.lsh_bands = 0, p.lsh_rows = 4), "lsh_bands");
    BAD((p.lsh_bands = 64, p.lsh_rows = 4), "lsh_bands");   /* 256 > K = 128 */
    BAD(p.sig_bits = 0, "sig_bits");
    BAD(p.sig_bits = 7, "sig_bits");
    BAD(p.sig_bits = 24, "sig_bits");
    BAD(p.sig_bits = 64, "sig_bits");
#undef BAD
    /* the message names the value it got */
    char msg[256];
    p = d;
    p.num_perm = 0;
    nd_params_check(&p, msg, sizeof msg);
    assert_string_equal(msg, "num_perm: must be in 1..1024 (got 0)");
    p = d;
    p.shingle_size = 17;
    nd_params_check(&p, msg, sizeof msg);
    assert_string_equal(msg, "shingle_size: must be in 1..16 (got 17)");
    /* a wrong struct version is ND_E_VERSION, whatever else is in it */
    p = d;
    p.version = 2;
    expect_bad(&p, ND_E_VERSION, "version");
    p.version = 0;
    p.num_perm = 0;
    expect_bad(&p, ND_E_VERSION, "version");
}

static void test_params_check_message_buffer(void **state)
{
    (void)state;
    nd_params p;
    nd_params_init(&p, ND_PARAMS_VERSION);
    p.num_perm = 0;
    /* truncated to msg_size, always NUL-terminated */
    char msg[8];
    memset(msg, 'x', sizeof msg);
    assert_int_equal(nd_params_check(&p, msg, 5), ND_E_PARAM);
    assert_string_equal(msg, "num_");
    assert_int_equal(msg[5], 'x');   /* nothing written past msg_size */
    /* msg NULL or of size 0: no message, same verdict */
    assert_int_equal(nd_params_check(&p, NULL, 100), ND_E_PARAM);
    msg[0] = 'z';
    assert_int_equal(nd_params_check(&p, msg, 0), ND_E_PARAM);
    assert_int_equal(msg[0], 'z');
}

/* ---- contexts ------------------------------------------------------------ */
static void test_ctx_create2_messages(void **state)
{
    (void)state;
    nd_ctx *ctx = NULL;
    char msg[128];
    /* success: the context, and an empty message */
    memset(msg, 'x', sizeof msg);
    assert_int_equal(nd_ctx_create2(&ctx, NULL, NULL, msg, sizeof msg), ND_OK);
    assert_non_null(ctx);
    assert_string_equal(msg, "");
    nd_ctx_free(ctx);
    /* a bad argument is named */
    assert_int_equal(nd_ctx_create2(NULL, NULL, NULL, msg, sizeof msg), ND_E_INVALID);
    assert_non_null(strstr(msg, "out"));
    nd_allocator half = { NULL, NULL, NULL };
    assert_int_equal(nd_ctx_create2(&ctx, NULL, &half, msg, sizeof msg), ND_E_INVALID);
    assert_null(ctx);
    assert_non_null(strstr(msg, "alloc"));
    /* the message is truncated to msg_size; NULL or 0 writes nothing */
    nd_params p;
    nd_params_init(&p, ND_PARAMS_VERSION);
    p.num_perm = 0;
    memset(msg, 'x', sizeof msg);
    assert_int_equal(nd_ctx_create2(&ctx, &p, NULL, msg, 4), ND_E_PARAM);
    assert_string_equal(msg, "num");
    assert_int_equal(msg[4], 'x');
    assert_int_equal(nd_ctx_create2(&ctx, &p, NULL, NULL, 100), ND_E_PARAM);
    msg[0] = 'z';
    assert_int_equal(nd_ctx_create2(&ctx, &p, NULL, msg, 0), ND_E_PARAM);
    assert_int_equal(msg[0], 'z');
}

static void test_ctx_create(void **state)
{
    (void)state;
    nd_ctx *ctx = NULL;
    assert_int_equal(nd_ctx_create(NULL, NULL, NULL), ND_E_INVALID);
    /* NULL params: the defaults */
    assert_int_equal(nd_ctx_create(&ctx, NULL, NULL), ND_OK);
    assert_non_null(ctx);
    nd_params got, def;
    nd_params_init(&def, ND_PARAMS_VERSION);
    nd_ctx_params(ctx, &got);
    assert_memory_equal(&got, &def, sizeof got);
    assert_int_equal(nd_ctx_num_perm(ctx), 128);
    assert_non_null(nd_ctx_isa(ctx));
    nd_ctx_free(ctx);
    /* given params are copied */
    nd_params p = def;
    p.num_perm = 64;
    p.shingle_size = 3;
    assert_int_equal(nd_ctx_create(&ctx, &p, NULL), ND_OK);
    p.num_perm = 1;
    nd_ctx_params(ctx, &got);
    assert_int_equal(got.num_perm, 64);
    assert_int_equal(got.shingle_size, 3);
    assert_int_equal(nd_ctx_num_perm(ctx), 64);
    nd_ctx_params(ctx, NULL);      /* harmless */
    nd_ctx_params(NULL, &got);
    nd_ctx_free(ctx);
    /* NULL is accepted where the header says so */
    nd_ctx_free(NULL);
    nd_doc_free(NULL);
    assert_int_equal(nd_ctx_num_perm(NULL), 0);
    assert_non_null(nd_ctx_isa(NULL));
    /* an allocator without one of its functions is refused */
    counter c = { 0 };
    nd_allocator half = { counting_alloc, NULL, &c };
    ctx = (nd_ctx *)&c;
    assert_int_equal(nd_ctx_create(&ctx, NULL, &half), ND_E_INVALID);
    assert_null(ctx);
    half.alloc = NULL;
    half.free = counting_free;
    assert_int_equal(nd_ctx_create(&ctx, NULL, &half), ND_E_INVALID);
    assert_int_equal(c.allocs, 0);
    /* a doc needs a ctx */
    nd_doc *doc = (nd_doc *)&c;
    assert_int_equal(nd_doc_create(&doc, NULL), ND_E_INVALID);
    assert_null(doc);
    assert_int_equal(nd_doc_create(NULL, NULL), ND_E_INVALID);
}

/* ---- errors and versions ------------------------------------------------- */
static void test_strerror(void **state)
{
    (void)state;
    const char *unknown = nd_strerror(12345);
    assert_non_null(unknown);
    assert_string_equal(nd_strerror(1), unknown);
    assert_string_equal(nd_strerror(-1000), unknown);
    assert_string_equal(nd_strerror(ND_E_BUFFER - 1), unknown);
    const int codes[] = { ND_OK, ND_E_NOMEM, ND_E_INVALID, ND_E_PARAM, ND_E_TOO_LARGE,
                          ND_E_VERSION, ND_E_STATE, ND_E_IO, ND_E_CORRUPT, ND_E_CHECKSUM,
                          ND_E_PARAM_MISMATCH, ND_E_LOCKED, ND_E_BUFFER };
    const size_t n = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < n; i++) {
        /* the codes are stable: never renumbered */
        assert_int_equal(codes[i], -(int)i);
        const char *m = nd_strerror(codes[i]);
        assert_non_null(m);
        assert_true(strlen(m) > 0);
        if (strcmp(m, unknown) == 0) fail_msg("code %d has the unknown-error text", codes[i]);
        for (size_t j = 0; j < i; j++)
            if (strcmp(m, nd_strerror(codes[j])) == 0)
                fail_msg("codes %d and %d share the text \"%s\"", codes[i], codes[j], m);
    }
    assert_string_equal(nd_strerror(ND_E_NOMEM), "out of memory");
}

static void test_versions_and_kinds(void **state)
{
    (void)state;
    assert_int_equal(nd_version_number(), ND_VERSION_NUMBER);
    assert_string_equal(nd_version_string(), ND_VERSION_STRING);
    char buf[32];
    snprintf(buf, sizeof buf, "%d.%d.%d", ND_VERSION_MAJOR, ND_VERSION_MINOR, ND_VERSION_PATCH);
    assert_string_equal(nd_version_string(), buf);
    assert_int_equal(nd_normalization_version(), ND_NORMALIZATION_VERSION);
    assert_string_equal(nd_kind_name(ND_KIND_CONTENT), "content");
    assert_string_equal(nd_kind_name(ND_KIND_REPEAT), "repeat");
    assert_string_equal(nd_kind_name(ND_KIND_BOILERPLATE), "boilerplate");
    assert_non_null(nd_kind_name((nd_kind)42));
}

/* ---- allocation ------------------------------------------------------------ */

/* A document that exercises every allocation of the doc path: more than 16
 * paragraphs (span, paragraph and signature arrays grow), enough distinct
 * roots to rehash the LSH table, repeats, a token longer than the
 * tokenizer's buffer (streaming state), and a wordless paragraph. */
static char *alloc_fixture(size_t *len)
{
    const size_t cap = 64 * 1024;
    char *t = __real_malloc(cap);
    assert_non_null(t);
    size_t n = 0;
    for (int i = 0; i < 120; i++)
        n += (size_t)snprintf(t + n, cap - n,
                              "paragraph %d says word%d and word%d then word%d and more words\n\n",
                              i, i * 7, i * 11, i * 13);
    for (int i = 0; i < 5; i++)
        n += (size_t)snprintf(t + n, cap - n, "paragraph 3 says word21 and word33 then word39 and more words\n\n");
    n += (size_t)snprintf(t + n, cap - n, "HIDE CAPTION\n\nHIDE CAPTION\n\n***\n\n***\n\n");
    for (int i = 0; i < 700; i++) t[n++] = (char)('a' + i % 26);
    t[n++] = '\n';
    t[n] = '\0';
    *len = n;
    return t;
}

static void test_custom_allocator_used_for_everything(void **state)
{
    (void)state;
    size_t len;
    char *text = alloc_fixture(&len);
    counter c = { 0 };
    nd_allocator al = { counting_alloc, counting_free, &c };
    nd_ctx *ctx;
    nd_doc *doc;
    size_t before = sys_allocs;
    assert_int_equal(nd_ctx_create(&ctx, NULL, &al), ND_OK);
    assert_int_equal(nd_doc_create(&doc, ctx), ND_OK);
    assert_int_equal(nd_doc_analyze(doc, text, len), ND_OK);
    assert_int_equal(nd_doc_count(doc), 120 + 5 + 4 + 1);
    assert_int_equal(nd_doc_repeats(doc), 5 + 1 + 1);
    uint32_t sig[128];
    assert_int_equal(nd_sign_text(ctx, text, len, sig, sizeof sig / sizeof *sig), ND_OK);
    assert_int_equal(nd_doc_analyze(doc, text, len / 2), ND_OK);   /* reuse */
    assert_int_equal(nd_doc_signature(doc, sig, sizeof sig / sizeof *sig), ND_OK);
    nd_doc_free(doc);
    nd_ctx_free(ctx);
    size_t sys = sys_allocs - before;
    /* every allocation went through the allocator, and was given back */
    assert_true(c.allocs > 0);
    assert_int_equal(c.allocs, c.frees);
    assert_int_equal(c.live, 0);
    assert_int_equal(c.bytes_live, 0);
    if (sys != 0) fail_msg("the library called the C library's allocator %zu times", sys);
    /* positive control: the default allocator is malloc */
    before = sys_allocs;
    assert_int_equal(nd_ctx_create(&ctx, NULL, NULL), ND_OK);
    nd_ctx_free(ctx);
    assert_true(sys_allocs > before);
    free(text);
}

/* Whether address p lies in one of the process's mappings (from
 * /proc/self/maps: a probe of the page itself would be a memory error to
 * valgrind), or -1 when that cannot be read. */
static int page_mapped(const void *p)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return -1;
    unsigned long lo, hi, at = (unsigned long)(uintptr_t)p;
    char line[512];
    int found = 0;
    while (!found && fgets(line, sizeof line, f))
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo <= at && at < hi) found = 1;
    fclose(f);
    return found;
}

/* The default allocator over its size classes (alloc.c): small blocks,
 * blocks of 1-4 MiB that whole huge pages hold with a quarter to spare or
 * not, large blocks, a collection's 8 MiB chunk. Each is writable end to
 * end, 16-byte aligned and keeps its contents. Where the allocator maps
 * blocks (Linux, outside AddressSanitizer: an 8 MiB block tells), exactly
 * the classes meant to be mapped are, on a 2 MiB boundary, and freeing one
 * unmaps all of it, header page included; elsewhere every block is
 * malloc's. */
static void test_default_allocator_sizes(void **state)
{
    (void)state;
    const nd_allocator *al = nd__default_allocator();
    static const struct { size_t size; int mapped; } cases[] = {
        { 2, 0 }, { 100, 0 }, { 4096, 0 }, { (1u << 20) - 1, 0 },
        { 1u << 20, 0 },          /* a 2 MiB page would be half empty */
        { 1783668, 1 },           /* 4 bytes per paragraph of news: one huge page */
        { 1600000, 0 }, { 3u << 20, 0 },
        { 4u << 20, 1 }, { (4u << 20) + 1, 1 }, { 8u << 20, 1 }, { (8u << 20) + 16, 1 },
    };
    enum { N = sizeof cases / sizeof *cases };
    void *probe = nd__alloc(al, 8u << 20);
    assert_non_null(probe);
    const int maps = nd__alloc_mapped(probe);
    nd__free(al, probe);
    unsigned char *blocks[N];
    for (size_t i = 0; i < N; i++) {
        const size_t size = cases[i].size;
        unsigned char *b = nd__alloc(al, size);
        assert_non_null(b);
        assert_int_equal((uintptr_t)b % 16, 0);
        for (size_t at = 4096; at < size; at += 4096) b[at] = (unsigned char)(at >> 12);
        b[0] = (unsigned char)i;
        b[size - 1] = (unsigned char)(i + 1);
        if (nd__alloc_mapped(b) != (maps && cases[i].mapped))
            fail_msg("block of %zu bytes: mapped %d, expected %d", size, nd__alloc_mapped(b), maps && cases[i].mapped);
        if (nd__alloc_mapped(b)) assert_int_equal((uintptr_t)b % ((uintptr_t)2 << 20), 0);
        blocks[i] = b;
    }
    for (size_t i = 0; i < N; i++) {
        const unsigned char *b = blocks[i];
        const size_t size = cases[i].size;
        assert_int_equal(b[0], (unsigned char)i);
        assert_int_equal(b[size - 1], (unsigned char)(i + 1));
        for (size_t at = 4096; at + 1 < size; at += 4096) assert_int_equal(b[at], (unsigned char)(at >> 12));
        const int mapped = nd__alloc_mapped(b);
        nd__free(al, blocks[i]);
        if (mapped && page_mapped(blocks) >= 0) { /* header page, first and last page of the block: gone */
            assert_int_equal(page_mapped(b - 4096), 0);
            assert_int_equal(page_mapped(b), 0);
            assert_int_equal(page_mapped(b + size - 1), 0);
        }
    }
    unsigned char *z = nd__calloc(al, 4, 1u << 20); /* mapped where blocks are, and zeroed */
    assert_non_null(z);
    assert_int_equal(nd__alloc_mapped(z), maps);
    for (size_t at = 0; at < (4u << 20); at += 511) assert_int_equal(z[at], 0);
    nd__free(al, z);
    assert_null(nd__alloc(al, SIZE_MAX - 8)); /* refused, not wrapped */
}

static void test_alloc_helpers(void **state)
{
    (void)state;
    counter c = { 0 };
    nd_allocator al = { counting_alloc, counting_free, &c };
    /* size 0 is allocated as 1 byte, never as 0 */
    void *p = nd__alloc(&al, 0);
    assert_non_null(p);
    assert_int_equal(c.zero_size, 0);
    nd__free(&al, p);
    nd__free(&al, NULL);        /* no call for NULL */
    assert_int_equal(c.frees, 1);
    /* calloc: zeroed, and overflow refused without calling the allocator */
    unsigned char *z = nd__calloc(&al, 10, 10);
    assert_non_null(z);
    for (int i = 0; i < 100; i++) assert_int_equal(z[i], 0);
    nd__free(&al, z);
    size_t before = c.allocs;
    assert_null(nd__calloc(&al, SIZE_MAX / 2, 3));
    assert_int_equal(c.allocs, before);
    /* reserve: grows geometrically from 16, keeps the contents */
    uint32_t *v = NULL;
    size_t cap = 0;
    assert_int_equal(nd__reserve(&al, (void **)&v, &cap, 1, sizeof *v), ND_OK);
    assert_int_equal(cap, 16);
    for (uint32_t i = 0; i < 16; i++) v[i] = i * 3;
    assert_int_equal(nd__reserve(&al, (void **)&v, &cap, 10, sizeof *v), ND_OK);
    assert_int_equal(cap, 16);
    assert_int_equal(nd__reserve(&al, (void **)&v, &cap, 17, sizeof *v), ND_OK);
    assert_int_equal(cap, 32);
    assert_int_equal(nd__reserve(&al, (void **)&v, &cap, 100, sizeof *v), ND_OK);
    assert_int_equal(cap, 128);
    for (uint32_t i = 0; i < 16; i++) assert_int_equal(v[i], i * 3);
    /* too large: refused, the old array is kept */
    assert_int_equal(nd__reserve(&al, (void **)&v, &cap, SIZE_MAX / 2, sizeof *v), ND_E_TOO_LARGE);
    assert_int_equal(cap, 128);
    assert_int_equal(v[15], 45);
    /* out of memory: ND_E_NOMEM, the old array is kept */
    c.fail_at = c.allocs + 1;
    assert_int_equal(nd__reserve(&al, (void **)&v, &cap, 200, sizeof *v), ND_E_NOMEM);
    assert_int_equal(cap, 128);
    assert_int_equal(v[15], 45);
    c.fail_at = 0;
    nd__free(&al, v);
    assert_int_equal(c.live, 0);
}

/* Runs the whole scenario with the fail_at-th allocation failing. Every call
 * either succeeds or returns ND_E_NOMEM; after a failed analyze the handle
 * holds no result, and analyzing again (the failure has passed) gives the
 * reference result. @return whether no failure was injected (the allocation
 * number fail_at was never reached). */
static int oom_run(const char *text, size_t len, size_t fail_at, size_t want_count,
                   size_t want_repeats, const uint32_t *want_sig)
{
    counter c = { 0 };
    c.fail_at = fail_at;
    nd_allocator al = { counting_alloc, counting_free, &c };
    nd_ctx *ctx = NULL;
    nd_doc *doc = NULL;
    uint32_t sig[128];
    int rc = nd_ctx_create(&ctx, NULL, &al);
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
    rc = nd_doc_analyze(doc, text, len);
    if (rc) {
        assert_int_equal(rc, ND_E_NOMEM);
        assert_int_equal(nd_doc_count(doc), 0);
        assert_int_equal(nd_doc_repeats(doc), 0);
        rc = nd_doc_analyze(doc, text, len);
        assert_int_equal(rc, ND_OK);
    }
    assert_int_equal(nd_doc_count(doc), want_count);
    assert_int_equal(nd_doc_repeats(doc), want_repeats);
    rc = nd_sign_text(ctx, text, len, sig, sizeof sig / sizeof *sig);
    if (rc) {
        assert_int_equal(rc, ND_E_NOMEM);
    } else {
        assert_memory_equal(sig, want_sig, sizeof sig);
    }
done:
    nd_doc_free(doc);
    nd_ctx_free(ctx);
    if (c.live != 0) fail_msg("failing allocation %zu: %zu blocks leaked", fail_at, c.live);
    assert_int_equal(c.bytes_live, 0);
    return c.allocs < fail_at;
}

static void test_failing_allocator(void **state)
{
    (void)state;
    size_t len;
    char *text = alloc_fixture(&len);
    /* reference results with no failure */
    nd_ctx *ctx;
    nd_doc *doc;
    uint32_t want_sig[128];
    assert_int_equal(nd_ctx_create(&ctx, NULL, NULL), ND_OK);
    assert_int_equal(nd_doc_create(&doc, ctx), ND_OK);
    assert_int_equal(nd_doc_analyze(doc, text, len), ND_OK);
    size_t want_count = nd_doc_count(doc), want_repeats = nd_doc_repeats(doc);
    assert_int_equal(nd_sign_text(ctx, text, len, want_sig, sizeof want_sig / sizeof *want_sig), ND_OK);
    nd_doc_free(doc);
    nd_ctx_free(ctx);
    /* fail allocation 1, 2, 3, ... until a run reaches none */
    size_t n;
    for (n = 1; n < 100000; n++)
        if (oom_run(text, len, n, want_count, want_repeats, want_sig)) break;
    assert_true(n > 10);   /* the scenario does allocate, many times */
    if (getenv("ND_TEST_VERBOSE")) print_message("%zu allocations in the scenario\n", n - 1);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params_init_defaults),
        cmocka_unit_test(test_params_check_accepts_defaults_and_bounds),
        cmocka_unit_test(test_params_check_rejects_each_field),
        cmocka_unit_test(test_params_check_message_buffer),
        cmocka_unit_test(test_ctx_create),
        cmocka_unit_test(test_default_allocator_sizes),
        cmocka_unit_test(test_ctx_create2_messages),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_versions_and_kinds),
        cmocka_unit_test(test_custom_allocator_used_for_everything),
        cmocka_unit_test(test_alloc_helpers),
        cmocka_unit_test(test_failing_allocator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
