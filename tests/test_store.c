/*
 * The signature store (src/store*.c, src/codec.c, docs/FORMAT.md): the
 * codec's byte order on fixed vectors, a golden header and record payload
 * compared byte for byte, round trips of every field, refusal of every
 * differing parameter, versions and unknown fields, recovery from truncation
 * at every byte of the last block, every single-bit flip of a small store
 * reported, crash and concurrent appenders (fork), loading into a
 * collection, and allocation through the context's allocator.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>
#define XXH_INLINE_ALL
#include <xxhash.h>
#include "store.h"

/* ---- helpers ---------------------------------------------------------------- */

static char tmpdir[64];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/nd-store-test.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A path in the test directory; the last 64 results stay valid. */
static const char *path_of(const char *name)
{
    static char buf[64][256];
    static unsigned turn;
    char *p = buf[turn++ % 64];
    snprintf(p, 256, "%s/%s", tmpdir, name);
    return p;
}

/* A path on tmpdfs when there is one, for tests that commit hundreds of
 * times (fsync on a disk would take most of the suite's time); the caller
 * unlinks it. */
static const char *fast_path_of(const char *name)
{
    static char buf[8][256];
    static unsigned turn;
    if (access("/dev/shm", W_OK) != 0) return path_of(name);
    char *p = buf[turn++ % 8];
    snprintf(p, 256, "/dev/shm/nd-store-test-%ld-%s", (long)getpid(), name);
    return p;
}

static nd_ctx *make_ctx(unsigned k, unsigned bits)
{
    nd_params p;
    nd_params_init(&p, ND_PARAMS_VERSION);
    p.num_perm = k;
    p.sig_bits = bits;
    nd_ctx *ctx = NULL;
    assert_int_equal(nd_ctx_create(&ctx, &p, NULL), ND_OK);
    return ctx;
}

static nd_ctx *make_ctx_scheme(unsigned k, unsigned bits, unsigned scheme)
{
    nd_params p;
    nd_params_init(&p, ND_PARAMS_VERSION);
    p.num_perm = k;
    p.sig_bits = bits;
    p.minhash_scheme = scheme;
    nd_ctx *ctx = NULL;
    assert_int_equal(nd_ctx_create(&ctx, &p, NULL), ND_OK);
    return ctx;
}

static nd_ctx *make_ctx_params(const nd_params *p)
{
    nd_ctx *ctx = NULL;
    assert_int_equal(nd_ctx_create(&ctx, p, NULL), ND_OK);
    return ctx;
}

static uint64_t rng_next(uint64_t *st)
{
    uint64_t z = (*st += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void write_file(const char *path, const unsigned char *b, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (len) assert_int_equal(fwrite(b, 1, len, f), len);
    fclose(f);
}

/* A synthetic document record: n paragraphs, some repeats, K values. */
typedef struct test_rec {
    char id[32], source[16];
    nd_para_sig paras[8];
    uint32_t psig[8][128], dsig[128];
    nd_store_record r;
} test_rec;

static void make_rec(test_rec *t, unsigned k, uint64_t seed, size_t n, int64_t time)
{
    uint64_t st = seed;
    assert_true(n <= 8 && k <= 128);
    memset(t, 0, sizeof *t);
    snprintf(t->id, sizeof t->id, "doc-%llu", (unsigned long long)seed);
    snprintf(t->source, sizeof t->source, "feed%llu", (unsigned long long)(seed % 3));
    size_t off = (size_t)(rng_next(&st) % 5);
    for (size_t i = 0; i < n; i++) {
        nd_para_sig *p = &t->paras[i];
        uint64_t pair = seed / 4; /* four records in a row share paragraph 0's signature */
        for (unsigned j = 0; j < k; j++) t->psig[i][j] = (uint32_t)rng_next(i ? &st : &pair);
        p->offset = off;
        p->length = 1 + (size_t)(rng_next(&st) % 300);
        p->tokens = (size_t)(rng_next(&st) % 60);
        p->shingles = p->tokens >= 5 ? p->tokens - 4 : 1;
        if (i == 2) p->shingles += 3; /* not what the tokens predict */
        p->kind = ND_KIND_CONTENT;
        p->of = i;
        if (i >= 3 && i % 3 == 0) { /* a repeat of paragraph 1, with its signature */
            p->kind = ND_KIND_REPEAT;
            p->of = 1;
            p->similarity = 0.75 + (double)(rng_next(&st) % 1000) / 4000.0;
            memcpy(t->psig[i], t->psig[1], sizeof t->psig[i]);
        }
        p->signature = t->psig[i];
        off += p->length + 1 + (size_t)(rng_next(&st) % 3);
    }
    for (unsigned j = 0; j < k; j++) t->dsig[j] = (uint32_t)rng_next(&st);
    if (seed % 3 == 0) /* as analyzed: the minimum of the content paragraphs' */
        for (size_t i = 0; i < n; i++)
            for (unsigned j = 0; j < k && t->paras[i].kind == ND_KIND_CONTENT; j++)
                t->dsig[j] = i == 0 || t->psig[i][j] < t->dsig[j] ? t->psig[i][j] : t->dsig[j];
    nd_store_record r = { t->id, strlen(t->id), t->source, strlen(t->source), time, t->paras, n, t->dsig };
    t->r = r;
}

static void assert_sig_equal(const uint32_t *got, const uint32_t *want, unsigned k, unsigned bits)
{
    uint32_t mask = bits == 32 ? UINT32_MAX : (1u << bits) - 1;
    for (unsigned j = 0; j < k; j++) assert_int_equal(got[j], want[j] & mask);
}

static void assert_rec_equal(const nd_store_record *got, const nd_store_record *want, unsigned k,
                             unsigned bits)
{
    assert_int_equal(got->id_len, want->id_len);
    if (want->id_len) assert_memory_equal(got->id, want->id, want->id_len);
    assert_int_equal(got->source_len, want->source_len);
    if (want->source_len) assert_memory_equal(got->source, want->source, want->source_len);
    assert_true(got->time == want->time);
    assert_int_equal(got->count, want->count);
    assert_sig_equal(got->signature, want->signature, k, bits);
    for (size_t i = 0; i < want->count; i++) {
        const nd_para_sig *a = &got->paras[i], *b = &want->paras[i];
        assert_int_equal(a->offset, b->offset);
        assert_int_equal(a->length, b->length);
        assert_int_equal(a->kind, b->kind);
        /* `of` means something for repeats; a content paragraph's is itself */
        assert_int_equal(a->of, b->kind == ND_KIND_REPEAT ? b->of : i);
        assert_int_equal(a->tokens, b->tokens);
        assert_int_equal(a->shingles, b->shingles);
        assert_true(a->similarity == (b->kind == ND_KIND_REPEAT ? b->similarity : 0.0));
        assert_sig_equal(a->signature, b->signature, k, bits);
    }
}

/* Writes `n` synthetic records, committing every `per_commit`. */
static void write_store(const char *path, nd_ctx *ctx, test_rec *recs, size_t n, size_t per_commit,
                        size_t block_target)
{
    nd_store *s;
    unsigned k = nd_ctx_num_perm(ctx);
    unlink(path);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_CREATE, ctx), ND_OK);
    if (block_target) nd__store_set_block_target(s, block_target);
    for (size_t i = 0; i < n; i++) {
        make_rec(&recs[i], k, 1000 + i, i % 7, (int64_t)1700000000 + (int64_t)i * 60);
        assert_int_equal(nd_store_append_record(s, &recs[i].r), ND_OK);
        if ((i + 1) % per_commit == 0) assert_int_equal(nd_store_commit(s), ND_OK);
    }
    assert_int_equal(nd_store_commit(s), ND_OK);
    nd_store_close(s);
}

/* ---- codec: fixed byte vectors --------------------------------------------------- */

static void test_le_fixed_vectors(void **state)
{
    (void)state;
    unsigned char b[8];
    static const unsigned char v16[] = { 0x34, 0x12 };
    static const unsigned char v32[] = { 0x78, 0x56, 0x34, 0x12 };
    static const unsigned char v64[] = { 0xEF, 0xCD, 0xAB, 0x89, 0x67, 0x45, 0x23, 0x01 };
    nd__le16_put(b, 0x1234);
    assert_memory_equal(b, v16, 2);
    assert_int_equal(nd__le16_get(v16), 0x1234);
    nd__le32_put(b, 0x12345678u);
    assert_memory_equal(b, v32, 4);
    assert_int_equal(nd__le32_get(v32), 0x12345678u);
    nd__le64_put(b, 0x0123456789ABCDEFull);
    assert_memory_equal(b, v64, 8);
    assert_true(nd__le64_get(v64) == 0x0123456789ABCDEFull);
    /* the magic number as it must appear at offset 0 */
    static const unsigned char magic[] = { 0xF9, 0x6E, 0x64, 0x73 };
    nd__le32_put(b, ND__STORE_MAGIC);
    assert_memory_equal(b, magic, 4);
}

static void test_varint_vectors(void **state)
{
    (void)state;
    static const struct { uint64_t v; unsigned char b[10]; size_t n; } cases[] = {
        { 0, { 0x00 }, 1 },
        { 1, { 0x01 }, 1 },
        { 127, { 0x7F }, 1 },
        { 128, { 0x80, 0x01 }, 2 },
        { 300, { 0xAC, 0x02 }, 2 },
        { 16384, { 0x80, 0x80, 0x01 }, 3 },
        { UINT32_MAX, { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F }, 5 },
        { UINT64_MAX, { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 }, 10 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char b[ND__VARINT_MAX];
        assert_int_equal(nd__varint_put(b, cases[i].v), cases[i].n);
        assert_memory_equal(b, cases[i].b, cases[i].n);
        const unsigned char *p = cases[i].b;
        uint64_t v;
        assert_int_equal(nd__varint_get(&p, cases[i].b + cases[i].n, &v), 0);
        assert_true(v == cases[i].v);
        assert_ptr_equal(p, cases[i].b + cases[i].n);
        p = cases[i].b; /* one byte short: refused, never read past the end */
        assert_int_equal(nd__varint_get(&p, cases[i].b + cases[i].n - 1, &v), -1);
    }
    static const unsigned char too_big[] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02 };
    static const unsigned char too_long[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 };
    const unsigned char *p = too_big;
    uint64_t v;
    assert_int_equal(nd__varint_get(&p, too_big + sizeof too_big, &v), -1);
    p = too_long;
    assert_int_equal(nd__varint_get(&p, too_long + sizeof too_long, &v), -1);
}

static void test_zigzag(void **state)
{
    (void)state;
    static const struct { int64_t d; uint64_t z; } cases[] = {
        { 0, 0 }, { -1, 1 }, { 1, 2 }, { -2, 3 }, { 2, 4 },
        { INT64_MAX, UINT64_MAX - 1 }, { INT64_MIN, UINT64_MAX },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_true(nd__zigzag((uint64_t)cases[i].d) == cases[i].z);
        assert_true(nd__unzigzag(cases[i].z) == (uint64_t)cases[i].d);
    }
}

static void test_sig_pack_vectors(void **state)
{
    (void)state;
    const uint32_t sig[3] = { 0x11223344u, 0xA0B0C0D0u, 0xFFFFFFFFu };
    static const unsigned char b8[] = { 0x44, 0xD0, 0xFF };
    static const unsigned char b16[] = { 0x44, 0x33, 0xD0, 0xC0, 0xFF, 0xFF };
    static const unsigned char b32[] = { 0x44, 0x33, 0x22, 0x11, 0xD0, 0xC0, 0xB0, 0xA0, 0xFF, 0xFF, 0xFF, 0xFF };
    unsigned char b[12];
    uint32_t back[3];
    nd__sig_pack(b, sig, 3, 8);
    assert_memory_equal(b, b8, sizeof b8);
    nd__sig_unpack(back, b8, 3, 8);
    assert_int_equal(back[0], 0x44);
    assert_int_equal(back[1], 0xD0);
    assert_int_equal(back[2], 0xFF);
    nd__sig_pack(b, sig, 3, 16);
    assert_memory_equal(b, b16, sizeof b16);
    nd__sig_unpack(back, b16, 3, 16);
    assert_int_equal(back[1], 0xC0D0);
    nd__sig_pack(b, sig, 3, 32);
    assert_memory_equal(b, b32, sizeof b32);
    nd__sig_unpack(back, b32, 3, 32);
    assert_memory_equal(back, sig, sizeof sig);
    assert_int_equal(nd__sig_bytes(128, 8), 128);
    assert_int_equal(nd__sig_bytes(128, 32), 512);
}

/* ---- golden bytes ------------------------------------------------------------------ */

/* A new store with the default parameters and 8-bit values, byte for byte
 * (docs/FORMAT.md "Header", "Commit slots"). The checksums are XXH64, seed 0. */
static const unsigned char golden_header[88 + 96] = {
    0xF9, 0x6E, 0x64, 0x73,             /* magic number */
    0x02, 0x02, 0x00, 0x00,             /* write version 2, read version 2, flags 0 */
    0x40, 0x00, 0x00, 0x00,             /* parameter block: 64 bytes */
    0x00, 0x00, 0x00, 0x00,             /* reserved */
    0x01, 0x04, 0x01, 0x00, 0x00, 0x00, /* hash_scheme 1 */
    0x02, 0x04, 0x01, 0x00, 0x00, 0x00, /* minhash_scheme 1 */
    0x03, 0x08, 0x30, 0x70, 0x75, 0x64, 0x72, 0x61, 0x65, 0x6E, /* seed "neardup0" */
    0x04, 0x04, 0x80, 0x00, 0x00, 0x00, /* num_perm 128 */
    0x05, 0x04, 0x05, 0x00, 0x00, 0x00, /* shingle_size 5 */
    0x06, 0x04, 0x01, 0x00, 0x00, 0x00, /* normalization_version 1 */
    0x07, 0x04, 0x00, 0x00, 0x00, 0x00, /* seg_mode auto */
    0x08, 0x04, 0x08, 0x00, 0x00, 0x00, /* sig_bits 8 */
    0x81, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, /* optional: LSH bands 0, rows 0 */
    0x00, 0x00,                         /* end */
    0x97, 0x53, 0x28, 0x9E, 0xD0, 0x89, 0xFD, 0x1C, /* header checksum */
    /* commit slots 0 and 1: sequence 0, end 184, 0 documents, 0 paragraphs, 0 bytes */
    0, 0, 0, 0, 0, 0, 0, 0, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x09, 0xBA, 0x9F, 0x16, 0x7C, 0x1E, 0x4E, 0x85,
    0, 0, 0, 0, 0, 0, 0, 0, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x09, 0xBA, 0x9F, 0x16, 0x7C, 0x1E, 0x4E, 0x85,
};

static void test_golden_header(void **state)
{
    (void)state;
    unsigned char want[sizeof golden_header];
    memcpy(want, golden_header, sizeof want);
    if (ND_NORMALIZATION_VERSION != 1) { /* the one field a tokenizer change may move */
        nd__le32_put(want + 52, ND_NORMALIZATION_VERSION);
        nd__le64_put(want + 80, XXH64(want, 80, 0));
    }
    for (unsigned scheme = ND_MINHASH_MAS64; scheme <= ND_MINHASH_MUL32; scheme++) {
        /* the golden file is of scheme 1; scheme 2 differs in that field only */
        nd__le32_put(want + 24, scheme);
        nd__le64_put(want + 80, XXH64(want, 80, 0));
        nd_ctx *ctx = make_ctx_scheme(128, 8, scheme);
        nd_store *s;
        const char *path = path_of("golden.store");
        unlink(path);
        assert_int_equal(nd_store_open(&s, path, ND_STORE_CREATE, ctx), ND_OK);
        nd_store_close(s);
        size_t len;
        unsigned char *b = read_file(path, &len);
        assert_int_equal(len, sizeof want);
        assert_memory_equal(b, want, sizeof want);
        if (scheme == ND_MINHASH_MAS64) assert_memory_equal(b, golden_header, sizeof want);
        free(b);
        nd_ctx_free(ctx);
    }
}

/* Stores of the two MinHash schemes are refused when compared, each scheme
 * named; a context of the other scheme can neither append to nor load one. */
static void test_schemes_refused_by_name(void **state)
{
    (void)state;
    nd_ctx *c1 = make_ctx_scheme(32, 8, ND_MINHASH_MAS64), *c2 = make_ctx_scheme(32, 8, ND_MINHASH_MUL32);
    const char *p1 = path_of("scheme1.store"), *p2 = path_of("scheme2.store");
    test_rec r1[1], r2[1];
    write_store(p1, c1, r1, 1, 1, 0);
    write_store(p2, c2, r2, 1, 1, 0);
    nd_store *s1 = NULL, *s2 = NULL;
    assert_int_equal(nd_store_open(&s1, p1, ND_STORE_READ, NULL), ND_OK);
    assert_int_equal(nd_store_open(&s2, p2, ND_STORE_READ, NULL), ND_OK);
    nd_params sp;
    assert_int_equal(nd_store_params(s2, &sp), ND_OK);
    assert_int_equal(sp.minhash_scheme, ND_MINHASH_MUL32);
    assert_int_equal(nd_store_compatible(s1, s2), ND_E_PARAM_MISMATCH);
    assert_non_null(strstr(nd_store_errmsg(s1), "minhash_scheme is 1 (mas64) in the store, 2 (mul32)"));
    nd_corpus *c;
    assert_int_equal(nd_corpus_create(&c, c2), ND_OK);
    assert_int_equal(nd_store_load_into(s1, c), ND_E_PARAM_MISMATCH);
    nd_corpus_free(c);
    nd_store_close(s1);
    nd_store_close(s2);
    assert_int_equal(nd_store_open(&s1, p1, ND_STORE_APPEND, c2), ND_E_PARAM_MISMATCH);
    assert_non_null(strstr(nd_store_errmsg(s1), "minhash_scheme"));
    nd_store_close(s1);
    nd_ctx_free(c1);
    nd_ctx_free(c2);
}

/* Rewrites the header checksum of a store image after a patch. */
static void fix_header_checksum(unsigned char *b)
{
    size_t n = 16 + nd__le32_get(b + 8);
    nd__le64_put(b + n, XXH64(b, n, 0));
}

/* Inflates the record block frame at f (records and signature section). */
static void golden_frame(const unsigned char *f, const unsigned char *want, size_t want_len,
                         const unsigned char *want_sigs, size_t sigs_len, uint32_t ndocs, unsigned flags)
{
    assert_int_equal(f[0], ND__FRAME_RECORDS);
    assert_int_equal(f[1], flags);
    assert_int_equal(f[2] | f[3], 0);
    uint32_t csize = nd__le32_get(f + 4), zlen = nd__le32_get(f + 32);
    assert_int_equal(nd__le32_get(f + 8), want_len);
    assert_int_equal(nd__le32_get(f + 12), ndocs);
    assert_true(nd__le64_get(f + 16) == XXH64(f + 32, csize, 0));
    assert_true(nd__le64_get(f + 24) == XXH64(f, 24, 0));
    assert_int_equal(csize, 4 + zlen + sigs_len);
    unsigned char raw[256];
    uLongf rawlen = sizeof raw;
    assert_int_equal(uncompress(raw, &rawlen, f + 36, zlen), Z_OK);
    assert_int_equal(rawlen, want_len);
    assert_memory_equal(raw, want, want_len);
    if (sigs_len) assert_memory_equal(f + 36 + zlen, want_sigs, sigs_len);
}

/* The record block layout (docs/FORMAT.md "Record block"): K = 4, 8 bits;
 * three records in a first block (a defined document signature, a
 * reference, one derived from the paragraphs), one in a second block that
 * references the first block's signatures; the inflated records and the
 * signature sections compared byte for byte. */
static void test_golden_payload(void **state)
{
    (void)state;
    static const unsigned char want[] = {
        0x02, 'a', '1',                   /* id */
        0x00, 0x04, 'f', 'e', 'e', 'd',   /* source, defined */
        0xD0, 0x0F,                       /* time 1000: zigzag 2000 */
        0x02,                             /* 2 paragraphs */
        0x00, 0x0A, 0x00, 0x07, 0x00,    /* offset +0, length 10, content, 7 tokens, shingles as expected */
        0x00,                             /* its signature: definition 0 */
        0x02, 0x0A, 0x01,                /* offset +1, length 10, repeat of 0 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xEA, 0x3F, /* its similarity 0.8125 (binary64) */
        0x07, 0x06,                       /* 7 tokens, shingles +3 */
        0x02,                             /* signature: reference to definition 0 */
        0x00, 0x00,                       /* document signature: a Signature_Ref, definition 1 */
        0x00,                             /* no extension */
        0x01, 'b',                        /* id */
        0x01,                             /* source: reference to source 0 */
        0x13,                             /* time 990: delta -10, zigzag 19 */
        0x00,                             /* no paragraphs */
        0x00, 0x02,                       /* document signature: reference to definition 0 */
        0x00,                             /* no extension */
        0x01, 'c', 0x01, 0x00,            /* id, source 0, time 990 */
        0x02,                             /* 2 paragraphs */
        0x00, 0x05, 0x00, 0x05, 0x00, 0x00, /* 5 tokens (1 shingle), definition 2 */
        0x00, 0x05, 0x00, 0x05, 0x00, 0x00, /* the same span lengths, definition 3 */
        0x01, 0x05,                       /* document signature derived: 1 bit per value, 1 0 1 0 */
        0x00,                             /* no extension */
    };
    static const unsigned char want_sigs[] = { 0x01, 0x02, 0x03, 0x04, 0x11, 0x22, 0x33, 0x44,
                                               0x05, 0x01, 0x07, 0x02, 0x03, 0x06, 0x01, 0x04 };
    static const unsigned char want2[] = {
        0x01, 'd', 0x00, 0x04, 'f', 'e', 'e', 'd', /* id; a new block defines its sources anew */
        0xBC, 0x0F,                       /* time 990: zigzag 1980 */
        0x01,                             /* 1 paragraph */
        0x00, 0x0A, 0x00, 0x07, 0x00,
        0x01, 0x00,                       /* signature: the previous block's definition 0 */
        0x00, 0x01, 0x00,                 /* document signature: the same reference */
        0x00,                             /* no extension */
    };
    nd_ctx *ctx = make_ctx(4, 8);
    const uint32_t dsig[4] = { 0x11, 0x22, 0x33, 0x44 }, psig[4] = { 0x101, 0x202, 0x303, 0x404 };
    const uint32_t a[4] = { 5, 1, 7, 2 }, b4[4] = { 3, 6, 1, 4 }, ab[4] = { 3, 1, 1, 2 };
    nd_para_sig paras[2] = { { 0, 10, ND_KIND_CONTENT, 0, 3, 7, psig, 0.0 },
                             { 11, 10, ND_KIND_REPEAT, 0, 6, 7, psig, 0.8125 } };
    nd_para_sig paras3[2] = { { 0, 5, ND_KIND_CONTENT, 0, 1, 5, a, 0.0 },
                              { 5, 5, ND_KIND_CONTENT, 1, 1, 5, b4, 0.0 } };
    nd_store_record r1 = { "a1", 2, "feed", 4, 1000, paras, 2, dsig };
    nd_store_record r2 = { "b", 1, "feed", 4, 990, NULL, 0, psig };
    nd_store_record r3 = { "c", 1, "feed", 4, 990, paras3, 2, ab };
    nd_store_record r4 = { "d", 1, "feed", 4, 990, paras, 1, psig };
    const char *path = path_of("payload.store");
    nd_store *s;
    unlink(path);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_CREATE, ctx), ND_OK);
    assert_int_equal(nd_store_append_record(s, &r1), ND_OK);
    assert_int_equal(nd_store_append_record(s, &r2), ND_OK);
    assert_int_equal(nd_store_append_record(s, &r3), ND_OK);
    assert_int_equal(nd_store_commit(s), ND_OK);
    assert_int_equal(nd_store_append_record(s, &r4), ND_OK);
    assert_int_equal(nd_store_commit(s), ND_OK);
    nd_store_close(s);
    size_t len;
    unsigned char *b = read_file(path, &len);
    const unsigned char *f = b + 184; /* the first frame: header, records' length, zlib, signatures */
    golden_frame(f, want, sizeof want, want_sigs, sizeof want_sigs, 3, 0);
    const unsigned char *f2 = f + 32 + nd__le32_get(f + 4);
    golden_frame(f2, want2, sizeof want2, NULL, 0, 1, 0x01);
    assert_int_equal(len, (size_t)(f2 - b) + 32 + nd__le32_get(f2 + 4));
    /* the second commit went to slot 0: sequence 2, end, 4 documents, 5 paragraphs, 41 bytes of text */
    const unsigned char *slot = b + 88;
    assert_int_equal(nd__le64_get(slot), 2);
    assert_int_equal(nd__le64_get(slot + 8), len);
    assert_int_equal(nd__le64_get(slot + 16), 4);
    assert_int_equal(nd__le64_get(slot + 24), 5);
    assert_int_equal(nd__le64_get(slot + 32), 41);
    /* and it reads back: the derived signature is the paragraphs' minimum */
    assert_int_equal(nd_store_open(&s, path, ND_STORE_READ, NULL), ND_OK);
    nd_store_record got;
    assert_int_equal(nd_store_get(s, 3, &got), ND_OK);
    assert_rec_equal(&got, &r4, 4, 8);
    assert_int_equal(nd_store_get(s, 2, &got), ND_OK);
    assert_rec_equal(&got, &r3, 4, 8);
    assert_int_equal(nd_store_get(s, 0, &got), ND_OK);
    assert_rec_equal(&got, &r1, 4, 8);
    assert_int_equal(nd_store_verify(s, NULL), ND_OK);
    nd_store_close(s);
    free(b);
    nd_ctx_free(ctx);
}

/* A version 1 file (records as libneardup 0.1 wrote them: the document
 * signature before the paragraphs, references R >= 1 to definition R-1),
 * built byte by byte: read, verified, and refused for appending. */
static void test_reads_version_1(void **state)
{
    (void)state;
    static const unsigned char v1[] = {
        0x02, 'a', '1', 0x00, 0x04, 'f', 'e', 'e', 'd', 0xD0, 0x0F,
        0x00,                             /* document signature: definition 1 */
        0x02,
        0x00, 0x0A, 0x00, 0x07, 0x00, 0x00,
        0x02, 0x0A, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xEA, 0x3F, 0x07, 0x06,
        0x02,                             /* reference to definition 2 */
        0x00,
        0x01, 'b', 0x01, 0x13,
        0x02,                             /* document signature: reference to definition 2 */
        0x00, 0x00,
    };
    static const unsigned char sigs[] = { 0x11, 0x22, 0x33, 0x44, 0x01, 0x02, 0x03, 0x04 };
    nd_ctx *ctx = make_ctx(4, 8);
    const char *path = path_of("v1.store");
    nd_store *s;
    unlink(path);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_CREATE, ctx), ND_OK);
    nd_store_close(s);
    size_t hlen;
    unsigned char *h = read_file(path, &hlen);
    assert_int_equal(hlen, 184);
    unsigned char file[1024];
    memcpy(file, h, 184);
    free(h);
    file[4] = file[5] = 1;
    fix_header_checksum(file);
    unsigned char *f = file + 184;
    uLongf zlen = sizeof file - 184 - 36 - sizeof sigs;
    assert_int_equal(compress2(f + 36, &zlen, v1, sizeof v1, 6), Z_OK);
    uint32_t csize = (uint32_t)(4 + zlen + sizeof sigs);
    nd__le32_put(f + 32, (uint32_t)zlen);
    memcpy(f + 36 + zlen, sigs, sizeof sigs);
    memset(f, 0, 32);
    f[0] = ND__FRAME_RECORDS;
    nd__le32_put(f + 4, csize);
    nd__le32_put(f + 8, sizeof v1);
    nd__le32_put(f + 12, 2);
    nd__le64_put(f + 16, XXH64(f + 32, csize, 0));
    nd__le64_put(f + 24, XXH64(f, 24, 0));
    size_t len = 184 + 32 + csize;
    unsigned char *slot = file + 88 + 48; /* commit 1 in slot 1 */
    nd__le64_put(slot, 1);
    nd__le64_put(slot + 8, len);
    nd__le64_put(slot + 16, 2);
    nd__le64_put(slot + 24, 2);
    nd__le64_put(slot + 32, 21);
    nd__le64_put(slot + 40, XXH64(slot, 40, 0));
    write_file(path, file, len);

    const uint32_t dsig[4] = { 0x11, 0x22, 0x33, 0x44 }, psig[4] = { 0x01, 0x02, 0x03, 0x04 };
    nd_para_sig paras[2] = { { 0, 10, ND_KIND_CONTENT, 0, 3, 7, psig, 0.0 },
                             { 11, 10, ND_KIND_REPEAT, 0, 6, 7, psig, 0.8125 } };
    nd_store_record r1 = { "a1", 2, "feed", 4, 1000, paras, 2, dsig };
    nd_store_record r2 = { "b", 1, "feed", 4, 990, NULL, 0, psig };
    nd_store_info info = ND_STORE_INFO_INIT;
    nd_store_record got;
    assert_int_equal(nd_store_open(&s, path, ND_STORE_READ, NULL), ND_OK);
    assert_int_equal(nd_store_describe(s, &info), ND_OK);
    assert_int_equal(info.write_version, 1);
    assert_int_equal(nd_store_count(s), 2);
    assert_int_equal(nd_store_get(s, 0, &got), ND_OK);
    assert_rec_equal(&got, &r1, 4, 8);
    assert_int_equal(nd_store_get(s, 1, &got), ND_OK);
    assert_rec_equal(&got, &r2, 4, 8);
    assert_int_equal(nd_store_verify(s, NULL), ND_OK);
    nd_store_close(s);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_APPEND, ctx), ND_E_VERSION);
    assert_non_null(strstr(nd_store_errmsg(s), "merge"));
    nd_store_close(s);
    nd_ctx_free(ctx);
}

/* ---- round trips ---------------------------------------------------------------------- */

static void roundtrip_bits(unsigned bits)
{
    enum { N = 300 };
    static test_rec recs[N];
    nd_ctx *ctx = make_ctx(48, bits);
    const char *path = path_of("rt.store");
    /* small blocks and several commits: records span many blocks */
    write_store(path, ctx, recs, N, 70, 2000);
    size_t flen, flagged = 0;
    unsigned char *file = read_file(path, &flen);
    for (size_t pos = 184; pos + 32 <= flen; pos += 32 + nd__le32_get(file + pos + 4))
        flagged += file[pos + 1] == ND__FRAME_PREV; /* blocks that reference the previous one */
    assert_true(flagged > 0);
    free(file);
    nd_store *s;
    assert_int_equal(nd_store_open(&s, path, ND_STORE_READ, NULL), ND_OK);
    assert_int_equal(nd_store_count(s), N);
    for (size_t i = 0; i < N; i++) { /* forwards, then a random order below */
        nd_store_record got;
        assert_int_equal(nd_store_get(s, i, &got), ND_OK);
        assert_rec_equal(&got, &recs[i].r, 48, bits);
    }
    uint64_t st = 7;
    for (size_t j = 0; j < 200; j++) {
        size_t i = (size_t)(rng_next(&st) % N);
        nd_store_record got;
        assert_int_equal(nd_store_get(s, i, &got), ND_OK);
        assert_rec_equal(&got, &recs[i].r, 48, bits);
    }
    nd_store_record got;
    assert_int_equal(nd_store_get(s, N, &got), ND_E_INVALID);
    nd_store_info info = ND_STORE_INFO_INIT;
    nd_store_stats stats = ND_STORE_STATS_INIT;
    assert_int_equal(nd_store_describe(s, &info), ND_OK);
    assert_int_equal(info.documents, N);
    assert_true(info.blocks > 10);
    assert_int_equal(info.recovered, 0);
    assert_int_equal(info.torn_bytes, 0);
    assert_int_equal(info.read_only, 1);
    assert_int_equal(nd_store_verify(s, &stats), ND_OK);
    assert_int_equal(stats.documents, N);
    assert_int_equal(stats.paragraphs, info.paragraphs);
    assert_true(stats.signatures_referenced > 0); /* the repeats' copied signatures */
    nd_params p;
    assert_int_equal(nd_store_params(s, &p), ND_OK);
    assert_int_equal(p.num_perm, 48);
    assert_int_equal(p.sig_bits, bits);
    nd_store_close(s);
    nd_ctx_free(ctx);
}

static void test_roundtrip_8(void **state) { (void)state; roundtrip_bits(8); }
static void test_roundtrip_16(void **state) { (void)state; roundtrip_bits(16); }
static void test_roundtrip_32(void **state) { (void)state; roundtrip_bits(32); }

/* Edge values of every field survive. */
static void test_roundtrip_edges(void **state)
{
    (void)state;
    nd_ctx *ctx = make_ctx(8, 32);
    const uint32_t a[8] = { 0, 1, UINT32_MAX, 0x80000000u, 5, 6, 7, 8 };
    const uint32_t b[8] = { 9, 9, 9, 9, 9, 9, 9, 9 };
    nd_para_sig p[4] = {
        { UINT32_MAX - 10, 10, ND_KIND_CONTENT, 0, 1, 0, a, 0.0 },       /* no token: one shingle */
        { 3, UINT32_MAX, ND_KIND_CONTENT, 1, UINT32_MAX, UINT32_MAX, b, 0.0 }, /* offset goes backwards */
        { 0, 0, ND_KIND_REPEAT, 1, 0, 2, b, 1.0 },                         /* no shingle at all */
        { 7, 1, ND_KIND_REPEAT, 0, 1, 4, a, 0.1 },
    };
    const char id[] = { 'x', '\0', 'y', '\n', (char)0xFF };
    nd_store_record recs[] = {
        { id, sizeof id, "", 0, INT64_MIN, p, 4, a },
        { "", 0, "s", 1, INT64_MAX, p, 1, b },
        { "z", 1, "", 0, 0, NULL, 0, a },
        { "w", 1, "s", 1, -1, p + 1, 1, b },
    };
    const char *path = path_of("edges.store");
    nd_store *s;
    unlink(path);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_CREATE, ctx), ND_OK);
    for (size_t i = 0; i < 4; i++) assert_int_equal(nd_store_append_record(s, &recs[i]), ND_OK);
    assert_int_equal(nd_store_commit(s), ND_OK);
    nd_store_close(s);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_READ, ctx), ND_OK);
    for (size_t i = 0; i < 4; i++) {
        nd_store_record got;
        assert_int_equal(nd_store_get(s, i, &got), ND_OK);
        assert_rec_equal(&got, &recs[i], 8, 32);
    }
    assert_int_equal(nd_store_verify(s, NULL), ND_OK);
    nd_store_close(s);
    nd_ctx_free(ctx);
}

/* Records the reader would refuse are refused by the writer. */
static void test_append_refuses_bad_records(void **state)
{
    (void)state;
    nd_ctx *ctx = make_ctx(8, 8);
    const uint32_t a[8] = { 0 };
    nd_para_sig bad_of[2] = { { 0, 1, ND_KIND_REPEAT, 0, 1, 1, a, 1.0 }, { 0, 1, ND_KIND_CONTENT, 1, 1, 1, a, 0.0 } };
    nd_para_sig bad_kind[1] = { { 0, 1, ND_KIND_BOILERPLATE, 0, 1, 1, a, 0.0 } };
    nd_para_sig big[1] = { { (size_t)UINT32_MAX + 1, 1, ND_KIND_CONTENT, 0, 1, 1, a, 0.0 } };
    nd_para_sig nosig[1] = { { 0, 1, ND_KIND_CONTENT, 0, 1, 1, NULL, 0.0 } };
    nd_para_sig bad_sim[2] = { { 0, 1, ND_KIND_CONTENT, 0, 1, 1, a, 0.0 }, { 2, 1, ND_KIND_REPEAT, 0, 1, 1, a, 1.5 } };
    nd_store_record r = { "x", 1, "s", 1, 0, bad_of, 1, a };
    nd_store *s;
    const char *path = path_of("bad.store");
    unlink(path);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_CREATE, ctx), ND_OK);
    assert_int_equal(nd_store_append_record(s, &r), ND_E_INVALID);
    r.paras = bad_kind;
    assert_int_equal(nd_store_append_record(s, &r), ND_E_INVALID);
    r.paras = nosig;
    assert_int_equal(nd_store_append_record(s, &r), ND_E_INVALID);
    r.paras = bad_sim;
    r.count = 2;
    assert_int_equal(nd_store_append_record(s, &r), ND_E_INVALID);
    r.count = 1;
    if (sizeof(size_t) > 4) {
        r.paras = big;
        assert_int_equal(nd_store_append_record(s, &r), ND_E_TOO_LARGE);
    }
    r.paras = NULL;
    r.signature = NULL;
    r.count = 0;
    assert_int_equal(nd_store_append_record(s, &r), ND_E_INVALID);
    assert_int_equal(nd_store_commit(s), ND_OK);
    assert_int_equal(nd_store_count(s), 0);
    nd_store_close(s);
    /* read-only handles refuse writes */
    assert_int_equal(nd_store_open(&s, path, ND_STORE_READ, NULL), ND_OK);
    r.signature = a;
    assert_int_equal(nd_store_append_record(s, &r), ND_E_STATE);
    assert_int_equal(nd_store_commit(s), ND_E_STATE);
    nd_store_close(s);
    nd_ctx_free(ctx);
}

/* Documents analyzed by the library round-trip: spans, kinds, counts, and
 * the signatures cut to 8 bits. */
static void test_append_doc(void **state)
{
    (void)state;
    static const char *texts[] = {
        "Home | News | Sport\nThe council voted on Tuesday to extend the ferry service.\n"
        "Read Full Story\nOfficials said the crossings would cost two million.\n"
        "The council voted on Tuesday to extend the ferry service.\n",
        "",
        "one two three\n\nfour five six seven eight nine ten eleven\n",
    };
    nd_ctx *ctx = make_ctx(128, 8);
    nd_doc *doc;
    nd_store *s;
    const char *path = path_of("docs.store");
    unlink(path);
    assert_int_equal(nd_doc_create(&doc, ctx), ND_OK);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_CREATE, ctx), ND_OK);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(nd_doc_analyze(doc, texts[i], strlen(texts[i])), ND_OK);
        assert_int_equal(nd_store_append_doc(s, doc, "id", 2, "src", 3, (int64_t)i), ND_OK);
    }
    assert_int_equal(nd_store_commit(s), ND_OK);
    nd_store_close(s);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_READ, ctx), ND_OK);
    uint32_t dsig[128];
    for (size_t i = 0; i < 3; i++) {
        nd_store_record got;
        assert_int_equal(nd_doc_analyze(doc, texts[i], strlen(texts[i])), ND_OK);
        assert_int_equal(nd_store_get(s, i, &got), ND_OK);
        assert_int_equal(got.count, nd_doc_count(doc));
        assert_true(got.time == (int64_t)i);
        assert_int_equal(nd_doc_signature(doc, dsig, 128), ND_OK);
        assert_sig_equal(got.signature, dsig, 128, 8);
        for (size_t j = 0; j < got.count; j++) {
            nd_para_info info = ND_PARA_INFO_INIT;
            assert_int_equal(nd_doc_para(doc, j, &info), ND_OK);
            assert_int_equal(got.paras[j].offset, info.offset);
            assert_int_equal(got.paras[j].length, info.length);
            assert_int_equal(got.paras[j].kind, info.kind);
            assert_int_equal(got.paras[j].of, info.of);
            assert_int_equal(got.paras[j].tokens, info.tokens);
            assert_int_equal(got.paras[j].shingles, info.shingles);
            assert_true(got.paras[j].similarity == (info.kind == ND_KIND_REPEAT ? info.similarity : 0.0));
            assert_sig_equal(got.paras[j].signature, nd_doc_para_signature(doc, j), 128, 8);
        }
    }
    nd_store_close(s);
    nd_doc_free(doc);
    nd_ctx_free(ctx);
}

/* ---- parameters, versions, unknown fields --------------------------------------------- */

/* Overwrites n bytes at off of the file at path; fix: then rewrites the
 * header checksum. */
static void patch_file(const char *path, size_t off, const unsigned char *bytes, size_t n, int fix)
{
    size_t len;
    unsigned char *b = read_file(path, &len);
    assert_true(off + n <= len);
    memcpy(b + off, bytes, n);
    if (fix) fix_header_checksum(b);
    write_file(path, b, len);
    free(b);
}

static void test_param_mismatch_each(void **state)
{
    (void)state;
    nd_params base;
    nd_params_init(&base, ND_PARAMS_VERSION);
    base.sig_bits = 8;
    nd_ctx *ctx = make_ctx_params(&base);
    const char *path = path_of("params.store");
    test_rec recs[3];
    write_store(path, ctx, recs, 3, 10, 0);
    static const char *names[] = { "seed", "num_perm", "shingle_size", "seg_mode", "sig_bits" };
    for (int f = 0; f < 5; f++) {
        nd_params p = base;
        if (f == 0) p.seed ^= 1;
        if (f == 1) p.num_perm = 64;
        if (f == 2) p.shingle_size = 3;
        if (f == 3) p.seg_mode = ND_SEG_LINES;
        if (f == 4) p.sig_bits = 16;
        nd_ctx *other = make_ctx_params(&p);
        for (int mode = 0; mode < 3; mode++) {
            nd_store *s = NULL;
            assert_int_equal(nd_store_open(&s, path, (nd_store_mode)mode, other), ND_E_PARAM_MISMATCH);
            assert_non_null(s);
            assert_non_null(strstr(nd_store_errmsg(s), names[f]));
            assert_int_equal(nd_store_count(s), 0);
            nd_store_close(s);
        }
        /* a collection made with other parameters cannot take the store */
        nd_store *s;
        nd_corpus *c;
        assert_int_equal(nd_store_open(&s, path, ND_STORE_READ, NULL), ND_OK);
        assert_int_equal(nd_corpus_create(&c, other), ND_OK);
        assert_int_equal(nd_store_load_into(s, c), ND_E_PARAM_MISMATCH);
        assert_non_null(strstr(nd_store_errmsg(s), names[f]));
        assert_int_equal(nd_corpus_count(c), 0);
        nd_corpus_free(c);
        nd_store_close(s);
        /* two stores: compatible() names it too */
        const char *path2 = path_of("params2.store");
        test_rec r2[1];
        write_store(path2, other, r2, 1, 1, 0);
        nd_store *a, *b;
        assert_int_equal(nd_store_open(&a, path, ND_STORE_READ, NULL), ND_OK);
        assert_int_equal(nd_store_open(&b, path2, ND_STORE_READ, NULL), ND_OK);
        assert_int_equal(nd_store_compatible(a, b), ND_E_PARAM_MISMATCH);
        assert_non_null(strstr(nd_store_errmsg(a), names[f]));
        assert_int_equal(nd_store_compatible(a, a), ND_OK);
        nd_store_close(a);
        nd_store_close(b);
        nd_ctx_free(other);
    }
    /* thresholds do not make signatures incomparable */
    nd_params p = base;
    p.repeat_threshold = 0.9;
    p.min_stories = 5;
    nd_ctx *other = make_ctx_params(&p);
    nd_store *s;
    assert_int_equal(nd_store_open(&s, path, ND_STORE_APPEND, other), ND_OK);
    nd_store_close(s);
    nd_ctx_free(other);
    nd_ctx_free(ctx);
}

/* The fields a context cannot change: patched into the file. */
static void test_param_mismatch_schemes(void **state)
{
    (void)state;
    nd_ctx *ctx = make_ctx(128, 8);
    const char *path = path_of("schemes.store");
    static const struct { size_t off; const char *name; } fields[] = {
        { 18, "hash_scheme" }, { 24, "minhash_scheme" }, { 52, "normalization_version" },
    };
    for (int f = 0; f < 3; f++) {
        test_rec recs[2];
        write_store(path, ctx, recs, 2, 10, 0);
        const unsigned char v[4] = { 0x2A, 0, 0, 0 };
        patch_file(path, fields[f].off, v, 4, 1);
        nd_store *s = NULL, *fresh = NULL;
        assert_int_equal(nd_store_open(&s, path, ND_STORE_APPEND, ctx), ND_E_PARAM_MISMATCH);
        assert_non_null(strstr(nd_store_errmsg(s), fields[f].name));
        nd_store_close(s);
        /* readable alone, but not comparable with this library's signatures */
        assert_int_equal(nd_store_open(&s, path, ND_STORE_READ, NULL), ND_OK);
        assert_int_equal(nd_store_count(s), 2);
        nd_corpus *c;
        assert_int_equal(nd_corpus_create(&c, ctx), ND_OK);
        assert_int_equal(nd_store_load_into(s, c), ND_E_PARAM_MISMATCH);
        assert_non_null(strstr(nd_store_errmsg(s), fields[f].name));
        nd_corpus_free(c);
        const char *path2 = path_of("schemes2.store");
        test_rec r2[1];
        write_store(path2, ctx, r2, 1, 1, 0);
        assert_int_equal(nd_store_open(&fresh, path2, ND_STORE_READ, NULL), ND_OK);
        assert_int_equal(nd_store_compatible(fresh, s), ND_E_PARAM_MISMATCH);
        assert_non_null(strstr(nd_store_errmsg(fresh), fields[f].name));
        nd_store_close(fresh);
        nd_store_close(s);
    }
    nd_ctx_free(ctx);
}

static void test_versions(void **state)
{
    (void)state;
    nd_ctx *ctx = make_ctx(16, 8);
    const char *path = path_of("versions.store");
    test_rec recs[2];
    nd_store *s;
    nd_store_info info = ND_STORE_INFO_INIT;
    /* newer write version: read-only, readable */
    write_store(path, ctx, recs, 2, 10, 0);
    unsigned char v2 = ND_STORE_WRITE_VERSION + 1;
    patch_file(path, 4, &v2, 1, 1);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_READ, NULL), ND_OK);
    assert_int_equal(nd_store_describe(s, &info), ND_OK);
    assert_int_equal(info.write_version, ND_STORE_WRITE_VERSION + 1);
    assert_int_equal(info.read_only, 1);
    assert_int_equal(nd_store_count(s), 2);
    nd_store_close(s);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_APPEND, ctx), ND_E_VERSION);
    assert_non_null(strstr(nd_store_errmsg(s), "read"));
    nd_store_close(s);
    /* this write version, an older read version: its records follow the
     * older grammar, so no version 2 block may follow them */
    write_store(path, ctx, recs, 2, 10, 0);
    unsigned char r1 = 1;
    patch_file(path, 5, &r1, 1, 1);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_READ, NULL), ND_OK);
    assert_int_equal(nd_store_describe(s, &info), ND_OK);
    assert_int_equal(info.read_only, 1);
    nd_store_close(s);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_APPEND, ctx), ND_E_VERSION);
    assert_non_null(strstr(nd_store_errmsg(s), "merge"));
    nd_store_close(s);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_RECOVER, NULL), ND_E_VERSION);
    nd_store_close(s);
    /* newer read version: refused */
    patch_file(path, 4, &v2, 1, 1);
    patch_file(path, 5, &v2, 1, 1);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_READ, NULL), ND_E_VERSION);
    assert_non_null(strstr(nd_store_errmsg(s), "version 3"));
    nd_store_close(s);
    /* reserved flags must be 0 */
    write_store(path, ctx, recs, 2, 10, 0);
    unsigned char one = 1;
    patch_file(path, 6, &one, 1, 1);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_READ, NULL), ND_E_CORRUPT);
    nd_store_close(s);
    /* not a store at all */
    write_file(path, (const unsigned char *)"hello, world: not a store at all\n", 33);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_READ, NULL), ND_E_CORRUPT);
    assert_non_null(strstr(nd_store_errmsg(s), "not a neardup store"));
    nd_store_close(s);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_CREATE, ctx), ND_E_CORRUPT); /* never overwritten */
    nd_store_close(s);
    assert_int_equal(nd_store_open(&s, path_of("absent.store"), ND_STORE_READ, NULL), ND_E_IO);
    nd_store_close(s);
    assert_int_equal(nd_store_open(&s, path_of("absent.store"), ND_STORE_APPEND, ctx), ND_E_IO);
    nd_store_close(s);
    nd_ctx_free(ctx);
}

/* Inserts a field before the parameter block's end tag, shifting the rest
 * (the commit slots' end offsets follow). */
static void insert_param(const char *path, const unsigned char *field, size_t n)
{
    size_t len;
    unsigned char *b = read_file(path, &len);
    size_t plen = nd__le32_get(b + 8), at = 16 + plen - 2, h = 16 + plen + 8;
    unsigned char *o = malloc(len + n);
    assert_non_null(o);
    memcpy(o, b, at);
    memcpy(o + at, field, n);
    memcpy(o + at + n, b + at, len - at);
    nd__le32_put(o + 8, (uint32_t)(plen + n));
    fix_header_checksum(o);
    for (int i = 0; i < 2; i++) {
        unsigned char *slot = o + h + n + 48 * (size_t)i;
        nd__le64_put(slot + 8, nd__le64_get(slot + 8) + n);
        nd__le64_put(slot + 40, XXH64(slot, 40, 0));
    }
    write_file(path, o, len + n);
    free(o);
    free(b);
}

static void test_unknown_fields(void **state)
{
    (void)state;
    nd_ctx *ctx = make_ctx(16, 8);
    const char *path = path_of("unknown.store");
    test_rec recs[5];
    nd_store *s;
    write_store(path, ctx, recs, 5, 10, 0);
    static const unsigned char optional[] = { 0xF0, 0x03, 'a', 'b', 'c' };
    insert_param(path, optional, sizeof optional);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_READ, ctx), ND_OK); /* skipped */
    assert_int_equal(nd_store_verify(s, NULL), ND_OK);
    nd_store_record got;
    assert_int_equal(nd_store_get(s, 4, &got), ND_OK);
    assert_rec_equal(&got, &recs[4].r, 16, 8);
    nd_store_close(s);
    static const unsigned char required[] = { 0x70, 0x01, 0x00 };
    insert_param(path, required, sizeof required);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_READ, NULL), ND_E_CORRUPT);
    assert_non_null(strstr(nd_store_errmsg(s), "0x70"));
    nd_store_close(s);

    /* a skippable frame between record blocks is ignored */
    write_store(path, ctx, recs, 5, 10, 0);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_APPEND, ctx), ND_OK);
    assert_int_equal(nd__store_write_frame(s, 0x80, "metadata", 8), ND_OK);
    assert_int_equal(nd_store_append_record(s, &recs[0].r), ND_OK);
    assert_int_equal(nd_store_commit(s), ND_OK);
    nd_store_close(s);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_READ, NULL), ND_OK);
    assert_int_equal(nd_store_count(s), 6);
    assert_int_equal(nd_store_get(s, 5, &got), ND_OK);
    assert_rec_equal(&got, &recs[0].r, 16, 8);
    assert_int_equal(nd_store_verify(s, NULL), ND_OK);
    nd_store_close(s);
    /* an unknown frame type that may not be skipped */
    assert_int_equal(nd_store_open(&s, path, ND_STORE_APPEND, ctx), ND_OK);
    assert_int_equal(nd__store_write_frame(s, 0x05, "x", 1), ND_OK);
    assert_int_equal(nd_store_commit(s), ND_OK);
    nd_store_close(s);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_READ, NULL), ND_E_CORRUPT);
    assert_non_null(strstr(nd_store_errmsg(s), "unknown type"));
    nd_store_close(s);
    nd_ctx_free(ctx);
}

/* ---- crashes: truncation, torn slots, torn tails ------------------------------------------ */

/* Offset of the last frame of a store written by write_store. */
static size_t last_frame(const unsigned char *b, size_t len)
{
    size_t pos = 184, last = 0;
    while (pos + 32 <= len) {
        last = pos;
        pos += 32 + nd__le32_get(b + pos + 4);
    }
    return last;
}

/* A file cut inside its last committed block: committed data is missing.
 * Readers use the first commit and say so; verification fails saying how
 * many documents are lost; an appender refuses the file (it used to cut
 * back to the first commit and report "verify: ok"); recovery keeps every
 * intact frame and makes the file appendable again. */
static void test_truncate_every_byte_of_last_block(void **state)
{
    (void)state;
    nd_ctx *ctx = make_ctx(32, 8);
    const char *path = path_of("trunc.store"), *cut = path_of("cut.store");
    test_rec recs[8];
    write_store(path, ctx, recs, 8, 5, 0); /* commit 1: 5 documents; commit 2: 3 more */
    size_t len;
    unsigned char *b = read_file(path, &len);
    size_t start = last_frame(b, len);
    assert_true(start > 184);
    for (size_t t = start; t < len; t++) {
        nd_store *s;
        nd_store_info info = ND_STORE_INFO_INIT;
        write_file(cut, b, t);
        assert_int_equal(nd_store_open(&s, cut, ND_STORE_READ, NULL), ND_OK);
        assert_int_equal(nd_store_count(s), 5);
        assert_int_equal(nd_store_describe(s, &info), ND_OK);
        assert_int_equal(info.recovered, 1);
        assert_int_equal(info.needs_recovery, 1);
        assert_int_equal(info.lost_documents, 3);
        assert_int_equal(info.torn_bytes, t - start);
        assert_non_null(strstr(nd_store_errmsg(s), "committed data missing"));
        for (size_t i = 0; i < 5; i++) {
            nd_store_record got;
            assert_int_equal(nd_store_get(s, i, &got), ND_OK);
            assert_rec_equal(&got, &recs[i].r, 32, 8);
        }
        assert_int_equal(nd_store_verify(s, NULL), ND_E_CORRUPT);
        assert_non_null(strstr(nd_store_errmsg(s), "3 of them are lost"));
        nd_store_close(s);
        if (t % 37 != 0 && t != start && t != len - 1) continue;
        /* an appender refuses it and leaves it as it is */
        assert_int_equal(nd_store_open(&s, cut, ND_STORE_APPEND, ctx), ND_E_CORRUPT);
        nd_store_close(s);
        struct stat st;
        assert_int_equal(stat(cut, &st), 0);
        assert_int_equal((size_t)st.st_size, t);
        /* recovery makes it whole again: the first commit, appendable */
        assert_int_equal(nd_store_open(&s, cut, ND_STORE_RECOVER, NULL), ND_OK);
        assert_int_equal(nd_store_recover(s), ND_OK);
        nd_store_close(s);
        assert_int_equal(nd_store_open(&s, cut, ND_STORE_APPEND, ctx), ND_OK);
        assert_int_equal(nd_store_append_record(s, &recs[7].r), ND_OK);
        assert_int_equal(nd_store_commit(s), ND_OK);
        nd_store_close(s);
        assert_int_equal(nd_store_open(&s, cut, ND_STORE_READ, NULL), ND_OK);
        assert_int_equal(nd_store_count(s), 6);
        assert_int_equal(nd_store_verify(s, NULL), ND_OK);
        nd_store_describe(s, &info);
        assert_int_equal(info.recovered, 0);
        assert_int_equal(info.needs_recovery, 0);
        nd_store_close(s);
    }
    free(b);
    nd_ctx_free(ctx);
}

/* A crash while the commit slot was written leaves it torn: the other slot,
 * the previous commit, is used. */
static void test_torn_commit_slot(void **state)
{
    (void)state;
    nd_ctx *ctx = make_ctx(32, 8);
    const char *path = path_of("torn.store");
    test_rec recs[8];
    write_store(path, ctx, recs, 8, 5, 0);
    size_t len;
    unsigned char *b = read_file(path, &len);
    /* the second commit went to slot 0 (the first to slot 1): tear slot 0 */
    assert_int_equal(nd__le64_get(b + 88), 2);
    memset(b + 88 + 20, 0xA5, 20);
    write_file(path, b, len);
    nd_store *s;
    nd_store_info info = ND_STORE_INFO_INIT;
    assert_int_equal(nd_store_open(&s, path, ND_STORE_READ, NULL), ND_OK);
    assert_int_equal(nd_store_count(s), 5);
    nd_store_describe(s, &info);
    assert_int_equal(info.recovered, 1);
    assert_int_equal(info.commit, 1);
    assert_true(info.torn_bytes > 0);
    nd_store_close(s);
    free(b);
    nd_ctx_free(ctx);
}

/* A slot whose sequence number is at its maximum: the next commit would
 * wrap to 0 and be hidden behind it (found by fuzz_store). Readable, but no
 * appender may take it. */
static void test_sequence_at_maximum(void **state)
{
    (void)state;
    nd_ctx *ctx = make_ctx(16, 8);
    const char *path = path_of("seqmax.store");
    test_rec recs[3];
    write_store(path, ctx, recs, 3, 10, 0); /* one commit, in slot 1 */
    size_t len;
    unsigned char *b = read_file(path, &len);
    unsigned char *slot = b + 88 + 48;
    assert_int_equal(nd__le64_get(slot), 1);
    nd__le64_put(slot, UINT64_MAX);
    nd__le64_put(slot + 40, XXH64(slot, 40, 0));
    write_file(path, b, len);
    free(b);
    nd_store *s;
    assert_int_equal(nd_store_open(&s, path, ND_STORE_READ, NULL), ND_OK);
    assert_int_equal(nd_store_count(s), 3);
    nd_store_close(s);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_APPEND, ctx), ND_E_CORRUPT);
    assert_non_null(strstr(nd_store_errmsg(s), "sequence"));
    nd_store_close(s);
    nd_ctx_free(ctx);
}

/* A process that dies after writing blocks but before committing them. */
static void test_crash_before_commit(void **state)
{
    (void)state;
    nd_ctx *ctx = make_ctx(32, 8);
    const char *path = path_of("crash.store");
    unlink(path);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        nd_store *s;
        test_rec r;
        if (nd_store_open(&s, path, ND_STORE_CREATE, ctx)) _exit(1);
        for (int i = 0; i < 25; i++) {
            if (i == 5 && nd_store_commit(s)) _exit(2);
            if (i == 5) nd__store_set_block_target(s, 500); /* blocks written, never committed */
            make_rec(&r, 32, (uint64_t)i, 5, i);
            if (nd_store_append_record(s, &r.r)) _exit(3);
        }
        _exit(0); /* as if killed: no commit, no close */
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    nd_store *s;
    nd_store_info info = ND_STORE_INFO_INIT;
    assert_int_equal(nd_store_open(&s, path, ND_STORE_READ, NULL), ND_OK);
    assert_int_equal(nd_store_count(s), 5);
    nd_store_describe(s, &info);
    assert_true(info.torn_bytes > 0);
    assert_int_equal(info.file_bytes + info.torn_bytes, (uint64_t)st.st_size);
    assert_non_null(strstr(nd_store_errmsg(s), "torn tail"));
    assert_int_equal(nd_store_verify(s, NULL), ND_OK);
    nd_store_close(s);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_APPEND, ctx), ND_OK);
    nd_store_close(s);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal((uint64_t)st.st_size, info.file_bytes); /* the appender cut it */
    nd_ctx_free(ctx);
}

/* Every single-bit flip of a small store is reported: opening, reading or
 * verifying fails, or the open says it recovered. Nothing crashes. */
static void test_bit_flips(void **state)
{
    (void)state;
    nd_ctx *ctx = make_ctx(8, 8);
    const char *path = path_of("flip.store"), *bad = path_of("flipped.store");
    test_rec recs[6];
    write_store(path, ctx, recs, 6, 3, 0);
    size_t len;
    unsigned char *b = read_file(path, &len);
    size_t caught = 0, recovered = 0;
    for (size_t bit = 0; bit < len * 8; bit++) {
        b[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        write_file(bad, b, len);
        b[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        nd_store *s;
        nd_store_info info = ND_STORE_INFO_INIT;
        int rc = nd_store_open(&s, bad, ND_STORE_READ, NULL);
        if (rc == ND_OK) {
            nd_store_describe(s, &info);
            int vrc = nd_store_verify(s, NULL);
            for (size_t i = 0; i < nd_store_count(s); i++) {
                nd_store_record got;
                if (nd_store_get(s, i, &got)) break;
            }
            if (vrc == ND_OK && !info.recovered)
                fail_msg("flip of bit %zu (byte %zu) went unnoticed", bit, bit / 8);
            if (vrc == ND_OK && nd_store_count(s) != 6) /* "ok" with documents missing */
                fail_msg("flip of bit %zu (byte %zu): verified ok with %zu documents", bit, bit / 8,
                         nd_store_count(s));
            if (vrc == ND_OK) recovered++;
            else caught++;
        } else {
            assert_true(rc == ND_E_CORRUPT || rc == ND_E_CHECKSUM || rc == ND_E_VERSION);
            caught++;
        }
        nd_store_close(s);
    }
    assert_true(caught > 0 && recovered > 0);
    free(b);
    nd_ctx_free(ctx);
}

/* Every single-bit flip of the two commit slots (768 bits): verification
 * never says ok with documents missing, an appender never cuts a frame
 * that passes its checksums, and recovery always gets every document back
 * (one bit in the newer slot used to make the next append truncate every
 * block of the last commit). */
static void test_commit_slot_flips(void **state)
{
    (void)state;
    nd_ctx *ctx = make_ctx(16, 8);
    const char *path = fast_path_of("slots.store"), *bad = fast_path_of("slots-flipped.store");
    test_rec recs[40], extra;
    write_store(path, ctx, recs, 40, 15, 300); /* commits of 15, 15 and 10 documents, small blocks */
    make_rec(&extra, 16, 999, 3, 0);
    size_t len;
    unsigned char *b = read_file(path, &len);
    size_t caught = 0, older = 0;
    for (size_t bit = 0; bit < 96 * 8; bit++) {
        size_t at = 88 + bit / 8;
        b[at] ^= (unsigned char)(1u << (bit % 8));
        write_file(bad, b, len);
        b[at] ^= (unsigned char)(1u << (bit % 8));
        nd_store *s;
        nd_store_info info = ND_STORE_INFO_INIT;
        assert_int_equal(nd_store_open(&s, bad, ND_STORE_READ, NULL), ND_OK);
        int vrc = nd_store_verify(s, NULL);
        nd_store_describe(s, &info);
        if (vrc == ND_OK && nd_store_count(s) != 40)
            fail_msg("flip of slot bit %zu: verified ok with %zu documents", bit, nd_store_count(s));
        if (vrc == ND_OK) older++;
        else {
            caught++;
            assert_int_equal(info.needs_recovery, 1);
            assert_int_equal(info.documents + info.salvageable_documents, 40);
        }
        nd_store_close(s);
        /* an append either is refused, leaving the file whole, or keeps all 40 */
        int arc = nd_store_open(&s, bad, ND_STORE_APPEND, ctx);
        if (arc == ND_OK) {
            assert_int_equal(nd_store_append_record(s, &extra.r), ND_OK);
            assert_int_equal(nd_store_commit(s), ND_OK);
            assert_int_equal(nd_store_count(s), 41);
        } else {
            assert_int_equal(arc, ND_E_CORRUPT);
            struct stat st;
            assert_int_equal(stat(bad, &st), 0);
            assert_int_equal((size_t)st.st_size, len);
        }
        nd_store_close(s);
        if (arc == ND_OK) continue;
        /* recovery rolls forward over every frame: all 40, appendable */
        assert_int_equal(nd_store_open(&s, bad, ND_STORE_RECOVER, NULL), ND_OK);
        assert_int_equal(nd_store_recover(s), ND_OK);
        nd_store_close(s);
        assert_int_equal(nd_store_open(&s, bad, ND_STORE_READ, NULL), ND_OK);
        assert_int_equal(nd_store_count(s), 40);
        assert_int_equal(nd_store_verify(s, NULL), ND_OK);
        for (size_t i = 0; i < 40; i += 13) {
            nd_store_record got;
            assert_int_equal(nd_store_get(s, i, &got), ND_OK);
            assert_rec_equal(&got, &recs[i].r, 16, 8);
        }
        nd_store_close(s);
    }
    /* the newer slot's 384 bits are damage, the older slot's cost nothing */
    assert_int_equal(caught, 384);
    assert_int_equal(older, 384);
    unlink(path);
    unlink(bad);
    free(b);
    nd_ctx_free(ctx);
}

/* ---- fault injection through the I/O layer ---------------------------------------------- */

/* Fails the fail_at-th write, flush or truncation of a handle with `err`;
 * every other one goes to the system. */
typedef struct faulty_io {
    int ops, fail_at, err, failed;
} faulty_io;

static int faulty_hit(faulty_io *f)
{
    if (++f->ops != f->fail_at) return 0;
    f->failed = 1;
    errno = f->err;
    return 1;
}

static int faulty_write(void *payload, int fd, const void *buf, size_t n, uint64_t off)
{
    if (faulty_hit(payload)) return -1;
    return pwrite(fd, buf, n, (off_t)off) == (ssize_t)n ? 0 : -1;
}

static int faulty_sync(void *payload, int fd) { return faulty_hit(payload) ? -1 : fsync(fd); }

static int faulty_truncate(void *payload, int fd, uint64_t len)
{
    return faulty_hit(payload) ? -1 : ftruncate(fd, (off_t)len);
}

/* A disk that fills up (ENOSPC) or fails (EIO) at each write, flush or
 * truncation of an append in turn: a clear error, the last commit intact,
 * the file holding only committed data when the cut back succeeds, and the
 * store reopens, verifies and takes appends again. */
static void test_write_failures(void **state)
{
    (void)state;
    nd_ctx *ctx = make_ctx(16, 8);
    const char *path = fast_path_of("faulty.store");
    test_rec recs[30];
    size_t reached = 0;
    for (int fail_at = 1; fail_at < 40; fail_at++) {
        write_store(path, ctx, recs, 5, 5, 0);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        const off_t committed = st.st_size;
        faulty_io f = { 0, fail_at, fail_at % 2 ? ENOSPC : EIO, 0 };
        nd__store_io io = { faulty_write, faulty_sync, faulty_truncate, &f };
        nd_store *s;
        assert_int_equal(nd_store_open(&s, path, ND_STORE_APPEND, ctx), ND_OK);
        nd__store_set_io(s, &io);
        nd__store_set_block_target(s, 400); /* blocks are written while appending */
        int rc = ND_OK;
        size_t appended = 0;
        for (size_t i = 5; i < 30 && !rc; i++) {
            make_rec(&recs[i], 16, 1000 + i, i % 7, (int64_t)i);
            if (!(rc = nd_store_append_record(s, &recs[i].r))) appended++;
            if (!rc && i == 17) rc = nd_store_commit(s);
        }
        if (!rc) rc = nd_store_commit(s);
        size_t count = nd_store_count(s);
        char msg[600];
        snprintf(msg, sizeof msg, "%s", nd_store_errmsg(s));
        if (f.failed) {
            assert_int_equal(rc, ND_E_IO);
            assert_non_null(strstr(nd_store_errmsg(s), f.err == ENOSPC ? "No space left" : "Input/output error"));
            assert_int_equal(nd_store_append_record(s, &recs[0].r), ND_E_STATE); /* the handle refuses */
        } else {
            assert_int_equal(rc, ND_OK);
            reached = 1;
        }
        assert_true(count == 5 || count == 18 || count == 30);
        nd_store_info before = ND_STORE_INFO_INIT;
        nd_store_describe(s, &before);
        int cut = f.failed && !strstr(msg, "could not be cut") && !strstr(msg, "writing the commit");
        nd_store_close(s);
        /* committed data only, unless the cut back or the slot write failed */
        assert_int_equal(stat(path, &st), 0);
        assert_true(st.st_size >= committed);
        if (cut) assert_int_equal((uint64_t)st.st_size, before.file_bytes);
        assert_int_equal(nd_store_open(&s, path, ND_STORE_READ, NULL), ND_OK);
        /* a commit whose slot write or flush failed may have reached the file */
        if (strstr(msg, "writing the commit") && nd_store_count(s) > count) count = nd_store_count(s);
        assert_int_equal(nd_store_count(s), count);
        assert_int_equal(nd_store_verify(s, NULL), ND_OK);
        for (size_t i = 0; i < count; i += 4) {
            nd_store_record got;
            assert_int_equal(nd_store_get(s, i, &got), ND_OK);
            assert_rec_equal(&got, &recs[i].r, 16, 8);
        }
        nd_store_info info = ND_STORE_INFO_INIT;
        nd_store_describe(s, &info);
        assert_int_equal(info.needs_recovery, 0);
        nd_store_close(s);
        assert_int_equal(nd_store_open(&s, path, ND_STORE_APPEND, ctx), ND_OK);
        assert_int_equal(nd_store_append_record(s, &recs[0].r), ND_OK);
        assert_int_equal(nd_store_commit(s), ND_OK);
        assert_int_equal(nd_store_count(s), count + 1);
        nd_store_close(s);
        if (!f.failed) break; /* every operation has been failed once */
    }
    assert_int_equal(reached, 1);
    unlink(path);
    nd_ctx_free(ctx);
}

/* A failed block write cuts the file back to the last commit at once: the
 * megabytes of a partial block do not wait for the next appender. */
static void test_write_failure_cuts_back(void **state)
{
    (void)state;
    nd_ctx *ctx = make_ctx(16, 8);
    const char *path = fast_path_of("cutback.store");
    test_rec recs[40];
    write_store(path, ctx, recs, 5, 5, 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    const off_t committed = st.st_size;
    faulty_io f = { 0, 3, ENOSPC, 0 }; /* two blocks written, the third fails */
    nd__store_io io = { faulty_write, faulty_sync, faulty_truncate, &f };
    nd_store *s;
    assert_int_equal(nd_store_open(&s, path, ND_STORE_APPEND, ctx), ND_OK);
    nd__store_set_io(s, &io);
    nd__store_set_block_target(s, 300);
    int rc = ND_OK;
    for (size_t i = 5; i < 40 && !rc; i++) {
        make_rec(&recs[i], 16, 1000 + i, 6, (int64_t)i);
        rc = nd_store_append_record(s, &recs[i].r);
    }
    assert_int_equal(rc, ND_E_IO);
    assert_non_null(strstr(nd_store_errmsg(s), "writing a block: No space left"));
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, committed); /* before close: cut back already */
    nd_store_close(s);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, committed);
    unlink(path);
    nd_ctx_free(ctx);
}

/* ---- concurrency ---------------------------------------------------------------------------- */

static void sleep_ms(long ms)
{
    struct timespec ts = { 0, ms * 1000000L };
    nanosleep(&ts, NULL);
}

static int child_appender(const char *path, nd_ctx *ctx, unsigned who)
{
    nd_store *s = NULL;
    int rc = ND_E_LOCKED;
    for (int tries = 0; tries < 20000 && rc == ND_E_LOCKED; tries++) {
        rc = nd_store_open(&s, path, ND_STORE_CREATE, ctx);
        if (rc == ND_E_LOCKED) {
            nd_store_close(s);
            s = NULL;
            sleep_ms(1);
        }
    }
    if (rc) return 10;
    for (unsigned i = 0; i < 50; i++) {
        test_rec r;
        make_rec(&r, 16, who * 1000 + i, 3, i);
        if (nd_store_append_record(s, &r.r)) return 11;
        if (i % 10 == 9 && nd_store_commit(s)) return 12;
    }
    nd_store_close(s);
    return 0;
}

static void test_concurrent_appenders(void **state)
{
    (void)state;
    nd_ctx *ctx = make_ctx(16, 8);
    const char *path = path_of("concurrent.store");
    unlink(path);
    pid_t pids[2];
    for (unsigned c = 0; c < 2; c++) {
        pids[c] = fork();
        assert_true(pids[c] >= 0);
        if (pids[c] == 0) _exit(child_appender(path, ctx, c + 1));
    }
    for (int c = 0; c < 2; c++) {
        int status;
        assert_int_equal(waitpid(pids[c], &status, 0), pids[c]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    nd_store *s;
    assert_int_equal(nd_store_open(&s, path, ND_STORE_READ, NULL), ND_OK);
    assert_int_equal(nd_store_count(s), 100); /* they took turns */
    assert_int_equal(nd_store_verify(s, NULL), ND_OK);
    size_t per[3] = { 0, 0, 0 };
    for (size_t i = 0; i < 100; i++) {
        nd_store_record got;
        assert_int_equal(nd_store_get(s, i, &got), ND_OK);
        unsigned long long seed = strtoull(got.id + 4, NULL, 10);
        per[seed / 1000 < 3 ? seed / 1000 : 0]++;
    }
    assert_int_equal(per[1], 50);
    assert_int_equal(per[2], 50);
    nd_store_close(s);

    /* while one appender holds the store, another (process or handle) is refused */
    nd_store *holder, *second = NULL;
    assert_int_equal(nd_store_open(&holder, path, ND_STORE_APPEND, ctx), ND_OK);
    assert_int_equal(nd_store_open(&second, path, ND_STORE_APPEND, ctx), ND_E_LOCKED);
    assert_non_null(strstr(nd_store_errmsg(second), "locked"));
    nd_store_close(second);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        nd_store *t = NULL;
        int rc = nd_store_open(&t, path, ND_STORE_APPEND, ctx);
        nd_store_close(t);
        _exit(rc == ND_E_LOCKED ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* readers take no lock */
    assert_int_equal(nd_store_open(&second, path, ND_STORE_READ, NULL), ND_OK);
    nd_store_close(second);
    nd_store_close(holder);
    nd_ctx_free(ctx);
}

/* ---- a store loaded into a collection ------------------------------------------------------------ */

static const char *story =
    "The council voted on Tuesday to extend the harbour ferry service through the winter months after a long debate.\n"
    "Officials said the extra crossings would cost about two million over the season and be paid from port fees.\n"
    "Residents of the islands had asked for the change for years, citing school and hospital trips in bad weather.\n";

static void add_page(nd_store *s, nd_doc *doc, const char *id, const char *feed, const char *chrome,
                     const char *body)
{
    char text[2048];
    snprintf(text, sizeof text, "%s Home | Sections | Subscribe\n%s%s Copyright, all rights reserved\n", chrome,
             body, chrome);
    assert_int_equal(nd_doc_analyze(doc, text, strlen(text)), ND_OK);
    assert_int_equal(nd_store_append_doc(s, doc, id, strlen(id), feed, strlen(feed), 0), ND_OK);
}

static void test_load_into_finds_copies_and_boilerplate(void **state)
{
    (void)state;
    nd_ctx *ctx = make_ctx(128, 8);
    nd_doc *doc;
    nd_store *s;
    const char *path = path_of("load.store");
    unlink(path);
    assert_int_equal(nd_doc_create(&doc, ctx), ND_OK);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_CREATE, ctx), ND_OK);
    static const char *other[] = {
        "A new library opened downtown with ten thousand books and a reading room for children of all ages.\n",
        "The mayor announced a plan to plant two hundred trees along the river before the end of the summer.\n",
        "Local farmers reported an early harvest this year thanks to a warm spring and steady rain in April.\n",
    };
    for (int i = 0; i < 3; i++) {
        char id[8];
        snprintf(id, sizeof id, "v%d", i);
        add_page(s, doc, id, "valley", "Valley Post", other[i]);
    }
    add_page(s, doc, "wire", "metro", "Metro Wire", story);
    assert_int_equal(nd_store_commit(s), ND_OK);
    nd_store_close(s);

    nd_corpus *c;
    assert_int_equal(nd_store_open(&s, path, ND_STORE_READ, ctx), ND_OK);
    assert_int_equal(nd_corpus_create(&c, ctx), ND_OK);
    assert_int_equal(nd_store_load_into(s, c), ND_OK);
    assert_int_equal(nd_corpus_count(c), 4);
    /* a new page of the valley feed carrying the wire story */
    char text[2048];
    snprintf(text, sizeof text, "Valley Post Home | Sections | Subscribe\n%sValley Post Copyright, all rights reserved\n", story);
    assert_int_equal(nd_doc_analyze(doc, text, strlen(text)), ND_OK);
    size_t idx;
    assert_int_equal(nd_corpus_add(c, doc, "new", 3, "valley", 6, &idx), ND_OK);
    assert_int_equal(nd_corpus_finish(c), ND_OK);
    nd_doc_info info = ND_DOC_INFO_INIT;
    assert_int_equal(nd_corpus_doc(c, idx, &info), ND_OK);
    const char *id;
    size_t id_len;
    assert_int_not_equal(info.duplicate_of, ND_NONE);
    nd_corpus_doc_id(c, info.duplicate_of, &id, &id_len);
    assert_int_equal(id_len, 4);
    assert_memory_equal(id, "wire", 4);
    assert_int_equal(info.boilerplate, 2); /* the valley chrome, known from the store */
    nd_corpus_free(c);
    nd_store_close(s);
    nd_doc_free(doc);
    nd_ctx_free(ctx);
}

/* A collection comparing all 32 bits keeps codes, which a store of 32-bit
 * values cannot take: appending it is refused until the collection is told
 * to keep values (nd_corpus_set_exact, before its first add); what it stored
 * then loads into a collection of codes and matches the same text. */
static void test_append_corpus_needs_values(void **state)
{
    (void)state;
    nd_ctx *ctx = make_ctx(128, 32);
    nd_doc *doc;
    nd_store *s;
    nd_corpus *c;
    const char *path = path_of("exact.store");
    unlink(path);
    assert_int_equal(nd_doc_create(&doc, ctx), ND_OK);
    assert_int_equal(nd_doc_analyze(doc, story, strlen(story)), ND_OK);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_CREATE, ctx), ND_OK);
    for (int exact = 0; exact < 2; exact++) {
        assert_int_equal(nd_corpus_create(&c, ctx), ND_OK);
        if (exact) assert_int_equal(nd_corpus_set_exact(c, 1), ND_OK);
        assert_int_equal(nd_corpus_add(c, doc, "wire", 4, "metro", 5, NULL), ND_OK);
        assert_int_equal(nd_corpus_set_exact(c, 1), ND_E_STATE); /* too late */
        assert_int_equal(nd_corpus_finish(c), ND_OK);
        assert_int_equal(nd_store_append_corpus(s, c, 0), exact ? ND_OK : ND_E_STATE);
        nd_corpus_free(c);
    }
    assert_int_equal(nd_store_commit(s), ND_OK);
    nd_store_close(s);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_READ, ctx), ND_OK);
    assert_int_equal(nd_corpus_create(&c, ctx), ND_OK);
    assert_int_equal(nd_store_load_into(s, c), ND_OK);
    assert_int_equal(nd_corpus_count(c), 1);
    size_t idx;
    assert_int_equal(nd_corpus_add(c, doc, "again", 5, "valley", 6, &idx), ND_OK);
    assert_int_equal(nd_corpus_finish(c), ND_OK);
    nd_doc_info info = ND_DOC_INFO_INIT;
    assert_int_equal(nd_corpus_doc(c, idx, &info), ND_OK);
    assert_int_equal(info.duplicate_of, 0);
    assert_true(info.similarity == 1.0); /* the stored values, coded, equal the text's codes */
    nd_corpus_free(c);
    nd_store_close(s);
    nd_doc_free(doc);
    nd_ctx_free(ctx);
}

/* ---- allocation --------------------------------------------------------------------------------- */

typedef struct counter {
    size_t allocs, live, fail_at;
} counter;

/* ---- query: loading only what can matter ------------------------------------------------- */

/* n random words of a vocabulary of 5000, appended to text. */
static void add_words(char *text, size_t cap, uint64_t *st, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t w = rng_next(st) % 5000;
        char word[16];
        snprintf(word, sizeof word, "%c%c%c%c ", 'a' + (int)(w % 26), 'a' + (int)(w / 26 % 26),
                 'a' + (int)(w / 676 % 26), 'a' + (int)(w / 17576 % 26));
        strncat(text, word, cap - strlen(text) - 1);
    }
}

/* A page of feed f: its chrome, 4 story paragraphs from the seed
 * `tale` (word `change` of each changed when not 0), its footer. */
static void make_page(char *text, size_t cap, unsigned f, uint64_t tale, unsigned change)
{
    snprintf(text, cap, "Feed %u home | sections | subscribe today\nFeed %u weather and traffic updates\n", f, f);
    for (int p = 0; p < 4; p++) {
        uint64_t st = tale * 8 + (uint64_t)p;
        size_t at = strlen(text);
        add_words(text, cap, &st, 30);
        if (change) text[at + 5 * change] = text[at + 5 * change] == 'z' ? 'y' : 'z';
        strncat(text, "\n", cap - strlen(text) - 1);
    }
    snprintf(text + strlen(text), cap - strlen(text), "Copyright feed %u all rights reserved\n", f);
}

typedef struct probe_input {
    char text[2048];
    char source[16];
} probe_input;

/* The verdicts on the inputs with the store loaded whole or probed. */
static nd_corpus *judge(nd_store *s, nd_ctx *ctx, const probe_input *in, size_t n, int probed,
                        size_t *loaded)
{
    nd_corpus *c;
    nd_doc *doc;
    nd_store_probe *p = NULL;
    assert_int_equal(nd_corpus_create(&c, ctx), ND_OK);
    assert_int_equal(nd_doc_create(&doc, ctx), ND_OK);
    if (probed) {
        assert_int_equal(nd_store_probe_create(&p, ctx, 0), ND_OK);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(nd_doc_analyze(doc, in[i].text, strlen(in[i].text)), ND_OK);
            assert_int_equal(nd_store_probe_add(p, doc), ND_OK);
        }
        assert_int_equal(nd_store_load_probed(s, c, p, loaded), ND_OK);
        nd_store_probe_free(p);
    } else {
        assert_int_equal(nd_store_load_into(s, c), ND_OK);
        *loaded = nd_corpus_count(c);
    }
    for (size_t i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "in%zu", i);
        assert_int_equal(nd_doc_analyze(doc, in[i].text, strlen(in[i].text)), ND_OK);
        assert_int_equal(nd_corpus_add(c, doc, id, strlen(id), in[i].source, strlen(in[i].source), NULL), ND_OK);
    }
    assert_int_equal(nd_corpus_finish(c), ND_OK);
    nd_doc_free(doc);
    return c;
}

static void assert_same_id(const nd_corpus *a, size_t ia, const nd_corpus *b, size_t ib)
{
    const char *x, *y;
    size_t xl, yl;
    assert_int_equal(ia == ND_NONE, ib == ND_NONE);
    if (ia == ND_NONE) return;
    assert_int_equal(nd_corpus_doc_id(a, ia, &x, &xl), ND_OK);
    assert_int_equal(nd_corpus_doc_id(b, ib, &y, &yl), ND_OK);
    assert_int_equal(xl, yl);
    assert_memory_equal(x, y, xl);
}

/* Three feeds of stories with their chrome, stories syndicated across
 * feeds, and a larger feed of unrelated pages: a probe for a few new pages
 * loads a part of the store only, and the verdicts on the new pages are
 * those of loading every stored document. */
static void test_probe_gives_the_verdicts_of_loading_all(void **state)
{
    (void)state;
    nd_params prm;
    nd_params_init(&prm, ND_PARAMS_VERSION);
    prm.num_perm = 32;
    prm.sig_bits = 8;
    nd_ctx *ctx = make_ctx_params(&prm);
    const char *path = path_of("probe.store");
    nd_store *s;
    nd_doc *doc;
    static char text[2048];
    unlink(path);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_CREATE, ctx), ND_OK);
    nd__store_set_block_target(s, 20000); /* many blocks */
    assert_int_equal(nd_doc_create(&doc, ctx), ND_OK);
    size_t stored = 0;
    for (unsigned i = 0; i < 400; i++) {
        unsigned f = i < 150 ? i % 3 : 3 + i % 5; /* feeds 3..7: unrelated pages */
        uint64_t tale = i < 150 && i % 7 == 6 ? i - 3 : i; /* every 7th page syndicates another's */
        make_page(text, sizeof text, f, tale, tale != i ? 3 : 0);
        char id[32], src[32];
        snprintf(id, sizeof id, "s%u", i);
        snprintf(src, sizeof src, "feed%u", f);
        assert_int_equal(nd_doc_analyze(doc, text, strlen(text)), ND_OK);
        assert_int_equal(nd_store_append_doc(s, doc, id, strlen(id), src, strlen(src), i), ND_OK);
        stored++;
    }
    assert_int_equal(nd_store_commit(s), ND_OK);
    nd_store_close(s);
    nd_doc_free(doc);

    static probe_input in[4];
    make_page(in[0].text, sizeof in[0].text, 0, 9, 5);    /* a copy of a stored story, feed 0's chrome */
    snprintf(in[0].source, sizeof in[0].source, "feed0");
    make_page(in[1].text, sizeof in[1].text, 1, 1000, 0); /* a new story of feed 1 */
    snprintf(in[1].source, sizeof in[1].source, "feed1");
    make_page(in[2].text, sizeof in[2].text, 9, 30, 0);   /* a stored story in a new feed */
    snprintf(in[2].source, sizeof in[2].source, "feed9");
    make_page(in[3].text, sizeof in[3].text, 2, 2000, 0);
    snprintf(in[3].source, sizeof in[3].source, "feed2");

    assert_int_equal(nd_store_open(&s, path, ND_STORE_READ, NULL), ND_OK);
    size_t all_n, probed_n;
    nd_corpus *all = judge(s, ctx, in, 4, 0, &all_n);
    nd_corpus *probed = judge(s, ctx, in, 4, 1, &probed_n);
    assert_int_equal(all_n, stored);
    assert_true(probed_n > 0 && probed_n < stored / 2); /* the unrelated feeds stay out */
    size_t copies = 0, boilerplate = 0;
    for (size_t i = 0; i < 4; i++) {
        nd_doc_info a = ND_DOC_INFO_INIT, b = ND_DOC_INFO_INIT;
        assert_int_equal(nd_corpus_doc(all, all_n + i, &a), ND_OK);
        assert_int_equal(nd_corpus_doc(probed, probed_n + i, &b), ND_OK);
        assert_int_equal(a.paragraphs, b.paragraphs);
        assert_int_equal(a.repeats, b.repeats);
        assert_int_equal(a.boilerplate, b.boilerplate);
        assert_same_id(all, a.duplicate_of, probed, b.duplicate_of);
        assert_same_id(all, a.cluster, probed, b.cluster);
        assert_true(a.similarity == b.similarity && a.containment == b.containment);
        copies += a.duplicate_of != ND_NONE;
        boilerplate += a.boilerplate;
        for (size_t j = 0; j < a.paragraphs; j++) {
            nd_para_info pa = ND_PARA_INFO_INIT, pb = ND_PARA_INFO_INIT;
            assert_int_equal(nd_corpus_para(all, all_n + i, j, &pa), ND_OK);
            assert_int_equal(nd_corpus_para(probed, probed_n + i, j, &pb), ND_OK);
            assert_int_equal(pa.kind, pb.kind);
            if (pa.kind == ND_KIND_BOILERPLATE) {
                assert_same_id(all, pa.of_doc, probed, pb.of_doc);
                assert_int_equal(pa.of, pb.of);
            }
        }
    }
    print_message("probe: %zu of %zu stored documents; %zu copies, %zu boilerplate\n", probed_n, stored, copies,
                  boilerplate);
    assert_true(copies >= 2 && boilerplate > 0); /* the case is not trivial */
    nd_corpus_free(all);
    nd_corpus_free(probed);
    nd_store_close(s);
    nd_ctx_free(ctx);
}

static void *counting_alloc(void *opaque, size_t size)
{
    counter *c = opaque;
    c->allocs++;
    if (c->fail_at && c->allocs >= c->fail_at) return NULL;
    void *p = malloc(size);
    if (p) c->live++;
    return p;
}

static void counting_free(void *opaque, void *p)
{
    counter *c = opaque;
    if (p) c->live--;
    free(p);
}

static void test_allocator_used_and_failures_survived(void **state)
{
    (void)state;
    counter cnt = { 0, 0, 0 };
    nd_allocator al = { counting_alloc, counting_free, &cnt };
    nd_params p;
    nd_params_init(&p, ND_PARAMS_VERSION);
    p.num_perm = 16;
    p.sig_bits = 8;
    nd_ctx *ctx = NULL;
    assert_int_equal(nd_ctx_create(&ctx, &p, &al), ND_OK);
    const char *path = path_of("alloc.store");
    test_rec recs[20];
    size_t before = cnt.allocs;
    write_store(path, ctx, recs, 20, 7, 600);
    assert_true(cnt.allocs > before + 5); /* the writer, zlib included, used it */
    size_t after_write = cnt.live;
    /* every allocation of a read can fail: errors, never crashes or leaks */
    for (size_t fail = 1; fail < 400; fail++) {
        cnt.fail_at = cnt.allocs + fail;
        nd_store *s = NULL;
        nd_corpus *c = NULL;
        int rc = nd_store_open(&s, path, ND_STORE_READ, ctx);
        if (!rc) rc = nd_store_verify(s, NULL);
        if (!rc) rc = nd_corpus_create(&c, ctx);
        if (!rc) rc = nd_store_load_into(s, c);
        assert_true(rc == ND_OK || rc == ND_E_NOMEM);
        nd_corpus_free(c);
        nd_store_close(s);
        cnt.fail_at = 0;
        assert_int_equal(cnt.live, after_write);
        if (rc == ND_OK) break;
    }
    /* and of a write */
    for (size_t fail = 1; fail < 400; fail++) {
        cnt.fail_at = cnt.allocs + fail;
        nd_store *s = NULL;
        int rc = nd_store_open(&s, path, ND_STORE_APPEND, ctx);
        for (size_t i = 0; i < 5 && !rc; i++) rc = nd_store_append_record(s, &recs[i].r);
        if (!rc) rc = nd_store_commit(s);
        assert_true(rc == ND_OK || rc == ND_E_NOMEM);
        nd_store_close(s);
        cnt.fail_at = 0;
        assert_int_equal(cnt.live, after_write);
        if (rc == ND_OK) break;
    }
    nd_store *s;
    assert_int_equal(nd_store_open(&s, path, ND_STORE_READ, NULL), ND_OK);
    assert_int_equal(nd_store_verify(s, NULL), ND_OK);
    nd_store_close(s);
    nd_ctx_free(ctx);
    assert_int_equal(cnt.live, 0);
}

/* ---- hardening: lengths, parameters, failed reads ------------------------------------ */

/* Rewrites a commit slot of the file image b (header of 88 bytes): its
 * document count, and its checksum. */
static void set_slot_docs(unsigned char *b, int slot, uint64_t docs)
{
    unsigned char *sl = b + 88 + 48 * slot;
    nd__le64_put(sl + 16, docs);
    nd__le64_put(sl + 40, XXH64(sl, 40, 0));
}

/* A record block whose content is 3 bytes, every checksum valid: its
 * Records_Size cannot be read, and content_size - 4 must not wrap around
 * (inflate was started with avail_in = UINT32_MAX on a 3-byte buffer). */
static void test_record_block_of_3_bytes(void **state)
{
    (void)state;
    nd_ctx *ctx = make_ctx(32, 8);
    const char *path = path_of("three.store");
    nd_store *s;
    unlink(path);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_CREATE, ctx), ND_OK);
    assert_int_equal(nd__store_write_frame(s, 0x01, "\x01\x02\x03", 3), ND_OK);
    assert_int_equal(nd_store_commit(s), ND_OK);
    nd_store_close(s);
    size_t len;
    unsigned char *b = read_file(path, &len);
    assert_int_equal(len, 184 + 32 + 3);
    unsigned char *h = b + 184; /* make it a record block of 1 document, 6 bytes raw */
    nd__le32_put(h + 8, 6);
    nd__le32_put(h + 12, 1);
    nd__le64_put(h + 24, XXH64(h, 24, 0));
    assert_int_equal(nd__le64_get(b + 88 + 48), 1); /* the commit went to slot 1 */
    set_slot_docs(b, 1, 1);
    write_file(path, b, len);
    free(b);
    int rc = nd_store_open(&s, path, ND_STORE_READ, NULL);
    if (rc == ND_OK) rc = nd_store_verify(s, NULL);
    assert_int_equal(rc, ND_E_CORRUPT);
    assert_null(strstr(nd_store_errmsg(s), "inflate")); /* refused before inflating */
    nd_store_close(s);
    nd_ctx_free(ctx);
}

/* A document analyzed at K = 128 into a store of K = 32 (the index
 * default) was copied past the end of a 32-value buffer: it is refused and
 * nothing is written. The same for a probe. */
static void test_doc_of_other_params_refused(void **state)
{
    (void)state;
    nd_ctx *small = make_ctx(32, 8), *big = make_ctx(128, 8);
    nd_doc *doc;
    nd_store *s;
    nd_store_probe *probe;
    const char *path = path_of("mismatch-doc.store"), *text = "a few words of text\n\nand a second paragraph here\n";
    unlink(path);
    assert_int_equal(nd_doc_create(&doc, big), ND_OK);
    assert_int_equal(nd_doc_analyze(doc, text, strlen(text)), ND_OK);
    assert_int_equal(nd_store_open(&s, path, ND_STORE_CREATE, small), ND_OK);
    assert_int_equal(nd_store_append_doc(s, doc, "id", 2, "src", 3, 0), ND_E_PARAM_MISMATCH);
    assert_non_null(strstr(nd_store_errmsg(s), "num_perm"));
    assert_int_equal(nd_store_commit(s), ND_OK); /* the handle still works, nothing to commit */
    nd_store_close(s);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 88 + 96);
    assert_int_equal(nd_store_probe_create(&probe, small, 0), ND_OK);
    assert_int_equal(nd_store_probe_add(probe, doc), ND_E_PARAM_MISMATCH);
    nd_store_probe_free(probe);
    nd_doc_free(doc);
    nd_ctx_free(small);
    nd_ctx_free(big);
}

/* A failed nd_store_get leaves no count or pointer behind (the probe's
 * loading path read rec.count after a failed get). */
static void test_failed_get_zeroes_record(void **state)
{
    (void)state;
    nd_ctx *ctx = make_ctx(32, 8);
    const char *path = path_of("badblock.store");
    test_rec recs[12];
    write_store(path, ctx, recs, 12, 12, 0);
    size_t len;
    unsigned char *b = read_file(path, &len);
    b[len - 5] ^= 0x10; /* inside the only block's content: its checksum fails */
    write_file(path, b, len);
    free(b);
    nd_store *s;
    nd_store_record rec;
    assert_int_equal(nd_store_open(&s, path, ND_STORE_READ, NULL), ND_OK);
    memset(&rec, 0xA5, sizeof rec);
    assert_int_equal(nd_store_get(s, 3, &rec), ND_E_CHECKSUM);
    assert_int_equal(rec.count, 0);
    assert_null(rec.paras);
    assert_null(rec.signature);
    memset(&rec, 0xA5, sizeof rec);
    assert_int_equal(nd_store_get(s, 99, &rec), ND_E_INVALID);
    assert_int_equal(rec.count, 0);
    nd_corpus *c;
    nd_store_probe *probe;
    nd_doc *doc;
    assert_int_equal(nd_corpus_create(&c, ctx), ND_OK);
    assert_int_equal(nd_store_probe_create(&probe, ctx, 0), ND_OK);
    assert_int_equal(nd_doc_create(&doc, ctx), ND_OK);
    assert_int_equal(nd_doc_analyze(doc, "some words\n", 11), ND_OK);
    assert_int_equal(nd_store_probe_add(probe, doc), ND_OK);
    assert_int_equal(nd_store_load_probed(s, c, probe, NULL), ND_E_CHECKSUM);
    nd_doc_free(doc);
    nd_store_probe_free(probe);
    nd_corpus_free(c);
    nd_store_close(s);
    nd_ctx_free(ctx);
}

/* What a crash during creation leaves is written anew by a writer creating
 * the store (docs/FORMAT.md): an all-zero file no longer than a new store
 * (its length reached the disk before its bytes; it used to be refused as
 * "bad magic number"), or a start of one. Anything else is never
 * overwritten. */
static void test_aborted_creation(void **state)
{
    (void)state;
    nd_ctx *ctx = make_ctx(32, 8);
    const char *good = path_of("fresh.store"), *path = path_of("aborted.store");
    nd_store *s;
    unlink(good);
    assert_int_equal(nd_store_open(&s, good, ND_STORE_CREATE, ctx), ND_OK);
    nd_store_close(s);
    size_t len;
    unsigned char *fresh = read_file(good, &len), buf[200];
    assert_int_equal(len, 184);
    static const struct { size_t n; int fill; int rewritten; } cases[] = {
        { 0, 0, 1 }, { 184, 0, 1 }, { 100, 0, 1 }, { 3, -1, 1 }, { 40, -1, 1 }, { 183, -1, 1 },
        { 185, 0, 0 }, { 183, 'A', 0 }, { 2, 'n', 0 },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        if (cases[c].fill < 0) memcpy(buf, fresh, cases[c].n); /* a start of a new store */
        else memset(buf, cases[c].fill, sizeof buf);
        write_file(path, buf, cases[c].n);
        s = NULL;
        if (cases[c].n) assert_int_not_equal(nd_store_open(&s, path, ND_STORE_READ, NULL), ND_OK);
        nd_store_close(s);
        int rc = nd_store_open(&s, path, ND_STORE_CREATE, ctx);
        if (cases[c].rewritten) {
            assert_int_equal(rc, ND_OK);
            test_rec r;
            make_rec(&r, 32, 7, 3, 0);
            assert_int_equal(nd_store_append_record(s, &r.r), ND_OK);
            assert_int_equal(nd_store_commit(s), ND_OK);
            assert_int_equal(nd_store_count(s), 1);
        } else {
            assert_int_equal(rc, ND_E_CORRUPT);
            size_t now;
            unsigned char *b = read_file(path, &now);
            assert_int_equal(now, cases[c].n);
            assert_memory_equal(b, buf, now);
            free(b);
        }
        nd_store_close(s);
    }
    free(fresh);
    nd_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_le_fixed_vectors),
        cmocka_unit_test(test_varint_vectors),
        cmocka_unit_test(test_zigzag),
        cmocka_unit_test(test_sig_pack_vectors),
        cmocka_unit_test(test_golden_header),
        cmocka_unit_test(test_schemes_refused_by_name),
        cmocka_unit_test(test_golden_payload),
        cmocka_unit_test(test_reads_version_1),
        cmocka_unit_test(test_roundtrip_8),
        cmocka_unit_test(test_roundtrip_16),
        cmocka_unit_test(test_roundtrip_32),
        cmocka_unit_test(test_roundtrip_edges),
        cmocka_unit_test(test_append_refuses_bad_records),
        cmocka_unit_test(test_append_doc),
        cmocka_unit_test(test_param_mismatch_each),
        cmocka_unit_test(test_param_mismatch_schemes),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_unknown_fields),
        cmocka_unit_test(test_truncate_every_byte_of_last_block),
        cmocka_unit_test(test_torn_commit_slot),
        cmocka_unit_test(test_sequence_at_maximum),
        cmocka_unit_test(test_crash_before_commit),
        cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_commit_slot_flips),
        cmocka_unit_test(test_write_failures),
        cmocka_unit_test(test_write_failure_cuts_back),
        cmocka_unit_test(test_concurrent_appenders),
        cmocka_unit_test(test_load_into_finds_copies_and_boilerplate),
        cmocka_unit_test(test_append_corpus_needs_values),
        cmocka_unit_test(test_probe_gives_the_verdicts_of_loading_all),
        cmocka_unit_test(test_allocator_used_and_failures_survived),
        cmocka_unit_test(test_record_block_of_3_bytes),
        cmocka_unit_test(test_aborted_creation),
        cmocka_unit_test(test_doc_of_other_params_refused),
        cmocka_unit_test(test_failed_get_zeroes_record),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
