/*
 * libFuzzer target: the signature store reader (src/store*.c) on arbitrary
 * bytes. Each input is written to a file and opened read-only; every record
 * is read, the store verified and, when small, loaded into a collection
 * (whole and through a probe) and judged. When it opens, an appender then adds a document and commits, and
 * the result must verify: whatever the input, the writer leaves a sound
 * store. A store needing recovery (or with a torn tail) is then recovered
 * from the original bytes, and must open with no damage and no fewer
 * documents. Checksums are not enforced in fuzzing builds
 * (FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION), so mutations reach the
 * parsers. Any crash, sanitizer report, leak or failed assertion is a
 * finding.
 *
 * Build: CC=clang cmake -S . -B build-fuzz -DND_BUILD_FUZZ=ON && cmake --build build-fuzz
 * Run:   build-fuzz/fuzz/fuzz_store fuzz/corpus/store -max_len=65536
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "neardup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A file of the fuzzer process, on tmpfs when there is one (fsync is cheap). */
static const char *nd_fuzz_path(void)
{
    static char path[96];
    if (!path[0])
        snprintf(path, sizeof path, "%s/nd-fuzz-store-%ld.store",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (long)getpid());
    return path;
}

static int nd_fuzz_write(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t put = size ? fwrite(data, 1, size, f) : 0;
    return fclose(f) == 0 && put == size ? 0 : -1;
}

/* Reads every record and touches every field the API gives out.
 * @return what a full verification says. */
static int nd_fuzz_read(nd_store *s)
{
    size_t n = nd_store_count(s);
    unsigned long sum = 0;
    nd_params p;
    if (nd_store_params(s, &p)) abort();
    for (size_t i = 0; i < n && i < 4096; i++) {
        nd_store_record r;
        if (nd_store_get(s, i, &r)) break;
        for (size_t j = 0; j < r.id_len; j++) sum += (unsigned char)r.id[j];
        for (size_t j = 0; j < r.source_len; j++) sum += (unsigned char)r.source[j];
        for (size_t j = 0; j < p.num_perm; j++) sum += r.signature[j];
        for (size_t j = 0; j < r.count; j++) {
            const nd_para_sig *q = &r.paras[j];
            if (q->kind == ND_KIND_REPEAT && (q->of >= j || r.paras[q->of].kind != ND_KIND_CONTENT)) abort();
            sum += q->offset + q->length + q->tokens + q->shingles + q->signature[p.num_perm - 1];
        }
    }
    if (sum == 42) fputc('\0', stderr); /* keep the reads */
    return nd_store_verify(s, NULL);
}

/* A context with the store's parameters. Creating one derives LSH bands
 * numerically, which would dominate the run: the last one is kept (a
 * reachable pointer, not a leak). */
static const nd_ctx *nd_fuzz_ctx(nd_store *s)
{
    static nd_ctx *ctx;
    static nd_params have;
    nd_params p;
    if (nd_store_params(s, &p)) return NULL;
    if (ctx && p.num_perm == have.num_perm && p.shingle_size == have.shingle_size && p.seed == have.seed
        && p.seg_mode == have.seg_mode && p.sig_bits == have.sig_bits && p.lsh_bands == have.lsh_bands
        && p.lsh_rows == have.lsh_rows)
        return ctx;
    nd_ctx_free(ctx);
    ctx = NULL;
    if (nd_ctx_create(&ctx, &p, NULL)) return NULL;
    have = p;
    return ctx;
}

/* Loads a small store into a collection of its own parameters, whole, then
 * through a probe (the streaming `query` path). */
static void nd_fuzz_judge(nd_store *s)
{
    static const char text[] = "Read the full story here\nThe council voted on Tuesday to extend the ferry";
    const nd_ctx *ctx = nd_fuzz_ctx(s);
    nd_corpus *c = NULL;
    nd_doc *doc = NULL;
    nd_store_probe *p = NULL;
    if (nd_store_count(s) > 256 || !ctx) return;
    if (!nd_corpus_create(&c, ctx) && !nd_store_load_into(s, c)) nd_corpus_finish(c);
    nd_corpus_free(c);
    c = NULL;
    if (!nd_doc_create(&doc, ctx) && !nd_doc_analyze(doc, text, sizeof text - 1)
        && !nd_store_probe_create(&p, ctx, 4) && !nd_store_probe_add(p, doc) && !nd_corpus_create(&c, ctx)
        && !nd_store_load_probed(s, c, p, NULL))
        nd_corpus_finish(c);
    nd_corpus_free(c);
    nd_store_probe_free(p);
    nd_doc_free(doc);
}

/* Appends a document to what opened, then checks that the result verifies. */
static void nd_fuzz_append(const char *path, nd_store *reader)
{
    nd_params p;
    nd_store *s = NULL;
    const nd_ctx *ctx = nd_fuzz_ctx(reader);
    if (!ctx || nd_store_params(reader, &p)) return;
    uint32_t sig[ND_MAX_NUM_PERM];
    for (unsigned i = 0; i < p.num_perm; i++) sig[i] = i * 2654435761u;
    nd_para_sig para = { 3, 10, ND_KIND_CONTENT, 0, 2, 6, sig, 0.0 };
    nd_store_record rec = { "fuzz", 4, "src", 3, 1, &para, 1, sig };
    int rc = nd_store_open(&s, path, ND_STORE_APPEND, ctx);
    /* two commits, two blocks: the second references the first's signature */
    if (!rc && !nd_store_append_record(s, &rec) && !nd_store_commit(s) && !nd_store_append_record(s, &rec)
        && !nd_store_commit(s)) {
        size_t before = nd_store_count(s);
        nd_store_close(s);
        s = NULL;
        /* what a writer committed must read back and verify */
        int orc = nd_store_open(&s, path, ND_STORE_READ, NULL);
        if (orc || nd_store_count(s) != before || nd_store_verify(s, NULL)) {
            fprintf(stderr, "appended store fails: %d, %zu of %zu documents: %s\n", orc, nd_store_count(s),
                    before, nd_store_errmsg(s));
            abort();
        }
    }
    nd_store_close(s);
}

/* Recovery of the input as it was: when it succeeds, the store opens with
 * no damage left and at least the documents it had; when the committed
 * part verified before, the whole verifies after. */
static void nd_fuzz_recover(const char *path, const uint8_t *data, size_t size, size_t before,
                            int committed_ok)
{
    nd_store *s = NULL;
    if (nd_fuzz_write(path, data, size)) return;
    int rc = nd_store_open(&s, path, ND_STORE_RECOVER, NULL);
    if (!rc) rc = nd_store_recover(s);
    nd_store_close(s);
    if (rc) return;
    s = NULL;
    nd_store_info info = ND_STORE_INFO_INIT;
    int orc = nd_store_open(&s, path, ND_STORE_READ, NULL);
    if (orc || nd_store_describe(s, &info) || info.needs_recovery || nd_store_count(s) < before
        || (committed_ok && nd_store_verify(s, NULL))) {
        fprintf(stderr, "recovered store fails: %d, %zu documents (had %zu): %s\n", orc, nd_store_count(s),
                before, nd_store_errmsg(s));
        abort();
    }
    nd_store_close(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = nd_fuzz_path();
    if (nd_fuzz_write(path, data, size)) return 0;
    nd_store *s = NULL;
    int rc = nd_store_open(&s, path, ND_STORE_READ, NULL);
    if (!s) abort(); /* only out of memory leaves no handle */
    if (rc != ND_OK && nd_store_errmsg(s)[0] == '\0') abort(); /* every failure is explained */
    int recover = 0, committed_ok = 0;
    size_t before = 0;
    if (rc == ND_OK) {
        nd_store_info info = ND_STORE_INFO_INIT;
        if (nd_store_describe(s, &info)) abort();
        int vrc = nd_fuzz_read(s);
        int verified = vrc == ND_OK;
        /* damage after the commit in use fails verification, never silently */
        if (verified && info.needs_recovery) abort();
        committed_ok = verified || (info.needs_recovery && strstr(nd_store_errmsg(s), "documents verified in commit"));
        before = nd_store_count(s);
        nd_fuzz_judge(s);
        /* a store that checks out (torn ones included) takes appends */
        if (verified && info.write_version == ND_STORE_WRITE_VERSION) nd_fuzz_append(path, s);
        recover = info.write_version == ND_STORE_WRITE_VERSION && (info.needs_recovery || info.torn_bytes);
    }
    nd_store_close(s);
    if (recover) nd_fuzz_recover(path, data, size, before, committed_ok);
    unlink(path); /* the fuzzer's processes come and go: leave no file behind */
    return 0;
}
