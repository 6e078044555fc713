/*
 * libFuzzer target for the collection passes (nd_corpus) and the stream
 * (nd_stream) over several documents, with invariants on their verdicts.
 *
 * Input: 3 parameter bytes (segmentation and shingle size; K; min_stories,
 * scope and stream window), then documents separated by a form feed, each
 * document's source taken from its first byte. Document 0 is added once
 * more at the end, from a source of its own, as an exact copy.
 *
 * Checked:
 *   - a collection finished on 1 thread and on 3 gives the same verdicts,
 *     field for field (nd_corpus_set_threads promises it);
 *   - documents: counts add up, duplicate_of is earlier, similarity and
 *     containment in [0, 1], a cluster is named by an earlier document (no
 *     dates are given), which names itself;
 *   - paragraphs: spans inside the text; content points to itself; a
 *     repeat points to an earlier content paragraph of its own document;
 *     boilerplate points to the first occurrence of its family, never a
 *     later one;
 *   - the exact copy of document 0 is found as a copy of an earlier
 *     document when both have content left;
 *   - stream: sequence numbers count from 0, a copy's original and a
 *     cluster's name are earlier and have ids, paragraphs as above.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "neardup.h"

#define CHECK(x) do { if (!(x)) { fprintf(stderr, "check failed: %s\n", #x); abort(); } } while (0)
#define MAX_DOCS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct doc_text {
    const char *p;
    size_t len;
    char source;
} doc_text;

/* Creating a context searches LSH bands numerically, which would dominate
 * the run: contexts are kept per parameter set (reachable, not leaks). */
static const nd_ctx *context(const uint8_t *b)
{
    static nd_ctx *cache[3 * 8 * 8 * 16];
    /* K off the 8-code vector widths too, for the kernels' tails */
    static const unsigned ks[8] = { 16, 48, 80, 112, 7, 13, 61, 100 };
    unsigned key = ((b[0] % 24u) * 8u + (b[1] % 8u)) * 16u + (b[2] % 16u);
    if (cache[key]) return cache[key];
    nd_params prm;
    nd_params_init(&prm, ND_PARAMS_VERSION);
    prm.seg_mode = (nd_seg_mode)(b[0] % 3);
    prm.shingle_size = 1 + (b[0] / 3) % 8;
    prm.num_perm = ks[b[1] % 8];
    prm.min_stories = 2 + b[2] % 4;
    prm.boilerplate_scope = (b[2] / 4) % 2 ? ND_SCOPE_ALL : ND_SCOPE_SOURCE;
    CHECK(nd_ctx_create(&cache[key], &prm, NULL) == ND_OK);
    return cache[key];
}

static void check_para(const nd_para_info *p, size_t doc, size_t j, size_t len, const nd_para_info *first)
{
    CHECK(p->length > 0 && p->offset <= len && p->length <= len - p->offset);
    CHECK(p->similarity >= 0.0 && p->similarity <= 1.0);
    if (p->kind == ND_KIND_REPEAT) {
        CHECK(p->of_doc == doc && p->of < j && first != NULL && first->kind == ND_KIND_CONTENT);
    } else if (p->kind == ND_KIND_BOILERPLATE) {
        CHECK(p->of_doc < doc || (p->of_doc == doc && p->of <= j));
    } else {
        CHECK(p->kind == ND_KIND_CONTENT && p->of_doc == doc && p->of == j);
    }
}

static void check_corpus(const nd_corpus *c, const doc_text *docs, size_t n)
{
    CHECK(nd_corpus_count(c) == n);
    for (size_t i = 0; i < n; i++) {
        nd_doc_info d = ND_DOC_INFO_INIT, o = ND_DOC_INFO_INIT;
        CHECK(nd_corpus_doc(c, i, &d) == ND_OK);
        CHECK(d.repeats + d.boilerplate <= d.paragraphs);
        CHECK(d.similarity >= 0.0 && d.similarity <= 1.0 && d.containment >= 0.0 && d.containment <= 1.0);
        CHECK(d.cluster <= i);
        CHECK(nd_corpus_doc(c, d.cluster, &o) == ND_OK && o.cluster == d.cluster);
        CHECK(d.duplicate_of == ND_NONE || d.duplicate_of < i);
        for (size_t j = 0; j < d.paragraphs; j++) {
            nd_para_info p = ND_PARA_INFO_INIT, f = ND_PARA_INFO_INIT;
            CHECK(nd_corpus_para(c, i, j, &p) == ND_OK);
            int has_first = p.kind == ND_KIND_REPEAT && p.of < j && nd_corpus_para(c, i, p.of, &f) == ND_OK;
            check_para(&p, i, j, docs[i].len, has_first ? &f : NULL);
        }
    }
    /* The copy's source has no chrome of its own, so its content may hold
     * more than the original's: similarity can be below 1, but what the
     * original has left is all in the copy. */
    nd_doc_info copy = ND_DOC_INFO_INIT, orig = ND_DOC_INFO_INIT;
    CHECK(nd_corpus_doc(c, n - 1, &copy) == ND_OK && nd_corpus_doc(c, 0, &orig) == ND_OK);
    if (n > 1 && copy.paragraphs > copy.repeats + copy.boilerplate
        && orig.paragraphs > orig.repeats + orig.boilerplate && copy.duplicate_of == ND_NONE) {
        fprintf(stderr, "the exact copy of document 0 is not found as a copy\n");
        abort();
    }
}

static int same_para(const nd_para_info *a, const nd_para_info *b)
{
    return a->offset == b->offset && a->length == b->length && a->kind == b->kind && a->of_doc == b->of_doc
        && a->of_seq == b->of_seq && a->of == b->of && a->similarity == b->similarity && a->tokens == b->tokens
        && a->shingles == b->shingles;
}

static void check_same(const nd_corpus *a, const nd_corpus *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        nd_doc_info x = ND_DOC_INFO_INIT, y = ND_DOC_INFO_INIT;
        CHECK(nd_corpus_doc(a, i, &x) == ND_OK && nd_corpus_doc(b, i, &y) == ND_OK);
        CHECK(x.paragraphs == y.paragraphs && x.repeats == y.repeats && x.boilerplate == y.boilerplate
              && x.duplicate_of == y.duplicate_of && x.similarity == y.similarity
              && x.containment == y.containment && x.cluster == y.cluster && x.site == y.site);
        for (size_t j = 0; j < x.paragraphs; j++) {
            nd_para_info p = ND_PARA_INFO_INIT, q = ND_PARA_INFO_INIT;
            CHECK(nd_corpus_para(a, i, j, &p) == ND_OK && nd_corpus_para(b, i, j, &q) == ND_OK);
            CHECK(same_para(&p, &q));
        }
    }
}

static void check_stream(const nd_stream *s, const nd_stream_doc *sd, uint64_t seq, size_t paras, size_t len)
{
    CHECK(sd->seq == seq && sd->paragraphs == paras);
    CHECK(sd->repeats + sd->boilerplate <= sd->paragraphs);
    CHECK(sd->cluster <= seq && sd->cluster_id != NULL);
    if (sd->duplicate_of != ND_SEQ_NONE)
        CHECK(sd->duplicate_of < seq && sd->duplicate_id != NULL && sd->cluster <= sd->duplicate_of);
    else
        CHECK(sd->duplicate_id == NULL);
    for (size_t j = 0; j < paras; j++) {
        nd_para_info p = ND_PARA_INFO_INIT;
        const char *of_id = NULL;
        size_t of_len = 0;
        CHECK(nd_stream_para(s, j, &p, &of_id, &of_len) == ND_OK);
        CHECK(p.length > 0 && p.offset <= len && p.length <= len - p.offset);
        CHECK(p.of_doc == ND_NONE && of_id != NULL);
        if (p.kind == ND_KIND_REPEAT) CHECK(p.of < j && p.of_seq == seq);
        if (p.kind == ND_KIND_CONTENT) CHECK(p.of == j && p.of_seq == seq);
        if (p.kind == ND_KIND_BOILERPLATE) CHECK(p.of_seq <= seq);
    }
}

/* Splits the documents; the last is a copy of the first. @return count. */
static size_t split_docs(const uint8_t *data, size_t size, doc_text *docs)
{
    const char *p = (const char *)data, *end = p + size;
    size_t n = 0;
    while (p < end && n < MAX_DOCS - 1) {
        const char *ff = memchr(p, '\f', (size_t)(end - p));
        size_t len = ff ? (size_t)(ff - p) : (size_t)(end - p);
        docs[n].p = p;
        docs[n].len = len;
        docs[n].source = len ? (char)('a' + (p[0] & 3)) : 'a';
        n++;
        p += len + (ff != NULL);
    }
    if (n == 0) return 0;
    docs[n] = docs[0];
    docs[n].source = 'z';
    return n + 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3) return 0;
    const nd_ctx *ctx = context(data);
    doc_text docs[MAX_DOCS];
    size_t n = split_docs(data + 3, size - 3, docs);
    if (n == 0) return 0;
    nd_doc *doc;
    nd_corpus *one, *many;
    nd_stream *stream;
    CHECK(nd_doc_create(&doc, ctx) == ND_OK);
    CHECK(nd_corpus_create(&one, ctx) == ND_OK && nd_corpus_create(&many, ctx) == ND_OK);
    CHECK(nd_corpus_set_threads(many, 3) == ND_OK);
    CHECK(nd_stream_create(&stream, ctx, 2 + data[2] / 64) == ND_OK);
    for (size_t i = 0; i < n; i++) {
        char id[16];
        int id_len = snprintf(id, sizeof id, "d%zu", i);
        size_t index;
        nd_stream_doc sd = ND_STREAM_DOC_INIT;
        CHECK(nd_doc_analyze(doc, docs[i].p, docs[i].len) == ND_OK);
        CHECK(nd_corpus_add(one, doc, id, (size_t)id_len, &docs[i].source, 1, &index) == ND_OK && index == i);
        CHECK(nd_corpus_add(many, doc, id, (size_t)id_len, &docs[i].source, 1, NULL) == ND_OK);
        CHECK(nd_stream_add(stream, doc, id, (size_t)id_len, &docs[i].source, 1, &sd) == ND_OK);
        check_stream(stream, &sd, i, nd_doc_count(doc), docs[i].len);
    }
    CHECK(nd_corpus_finish(one) == ND_OK && nd_corpus_finish(many) == ND_OK);
    check_corpus(one, docs, n);
    check_same(one, many, n);
    nd_stream_free(stream);
    nd_corpus_free(many);
    nd_corpus_free(one);
    nd_doc_free(doc);
    return 0;
}
