/*
 * libFuzzer target for the text pipeline: segmentation, normalization,
 * shingling, signing, repeats, and the collection and stream passes.
 *
 * Input: 3 parameter bytes (segmentation mode, sig_bits and exact values;
 * w; K), then documents separated by a form feed; each document's source
 * is taken from its first byte so that several feeds interleave. Every call must return ND_OK (or ND_E_NOMEM,
 * ND_E_TOO_LARGE), every span must lie inside its document, every `of` must
 * point backwards.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "neardup.h"

#define CHECK(x) do { if (!(x)) abort(); } while (0)

static void check_doc(const nd_doc *doc, size_t size)
{
    for (size_t i = 0; i < nd_doc_count(doc); i++) {
        nd_para_info p = ND_PARA_INFO_INIT;
        CHECK(nd_doc_para(doc, i, &p) == ND_OK);
        CHECK(p.offset + p.length <= size && p.length > 0);
        CHECK(p.kind == ND_KIND_CONTENT ? p.of == i : p.of < i);
    }
}

static void run(const nd_ctx *ctx, const uint8_t *data, size_t size, int exact)
{
    nd_doc *doc;
    nd_corpus *corpus;
    nd_stream *stream;
    CHECK(nd_doc_create(&doc, ctx) == ND_OK);
    CHECK(nd_corpus_create(&corpus, ctx) == ND_OK);
    CHECK(nd_corpus_set_exact(corpus, exact) == ND_OK);
    CHECK(nd_stream_create(&stream, ctx, 4) == ND_OK);
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *ff = memchr(p, '\f', (size_t)(end - p));
        size_t len = ff ? (size_t)(ff - p) : (size_t)(end - p);
        char src = len ? (char)('a' + (p[0] & 3)) : 'a';
        CHECK(nd_doc_analyze(doc, p, len) == ND_OK);
        check_doc(doc, len);
        CHECK(nd_corpus_add(corpus, doc, p, len < 8 ? len : 8, &src, 1, NULL) == ND_OK);
        nd_stream_doc sd = ND_STREAM_DOC_INIT;
        CHECK(nd_stream_add(stream, doc, p, len < 8 ? len : 8, &src, 1, &sd) == ND_OK);
        CHECK(sd.duplicate_of == UINT64_MAX || sd.duplicate_of < sd.seq);
        p += len + (ff != NULL);
    }
    CHECK(nd_corpus_finish(corpus) == ND_OK);
    for (size_t i = 0; i < nd_corpus_count(corpus); i++) {
        nd_doc_info info = ND_DOC_INFO_INIT;
        CHECK(nd_corpus_doc(corpus, i, &info) == ND_OK);
        CHECK(info.duplicate_of == ND_NONE || info.duplicate_of < i);
        CHECK(info.cluster <= i);
    }
    nd_stream_free(stream);
    nd_corpus_free(corpus);
    nd_doc_free(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3) return 0;
    nd_params prm;
    nd_params_init(&prm, ND_PARAMS_VERSION);
    /* K off the vector widths too (tails of 8-code blocks), and every
     * sig_bits: collections of codes, of values (exact) and of cut values */
    static const unsigned ks[8] = { 8, 48, 88, 128, 1, 13, 61, 100 };
    static const unsigned bits[4] = { 32, 32, 16, 8 };
    prm.seg_mode = (nd_seg_mode)(data[0] % 3);
    prm.sig_bits = bits[(data[0] >> 2) & 3];
    prm.shingle_size = 1 + data[1] % 8;
    prm.num_perm = ks[data[2] & 7];
    nd_ctx *ctx;
    CHECK(nd_ctx_create(&ctx, &prm, NULL) == ND_OK);
    run(ctx, data + 3, size - 3, (data[0] >> 4) & 1);
    nd_ctx_free(ctx);
    return 0;
}
