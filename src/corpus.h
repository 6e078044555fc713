/* Private layout of a collection, shared by corpus.c (storage, accessors)
 * and detect.c (the cross-document passes). */
#ifndef ND_CORPUS_H
#define ND_CORPUS_H
#include "internal.h"

typedef struct nd__cpara {
    uint32_t off, len;    /* span in the document's text */
    uint32_t doc;         /* owning document */
    uint32_t of;          /* repeat: index of its root in the document */
    uint32_t shingles, tokens;
    float sim;
    uint8_t kind;
    uint8_t is_short;     /* fewer tokens than a shingle */
    uint8_t repeat;       /* a repeat inside its document, as analyzed (kind may
                             become boilerplate) */
} nd__cpara;

typedef struct nd__cdoc {
    size_t id_off, id_len;   /* in the ids arena */
    size_t para0;            /* global index of its first paragraph */
    uint32_t npara, source;
    uint32_t repeats, boilerplate;
    uint64_t content_shingles;
    size_t dup_of, cluster;
    double sim, cont;
    size_t fixed_sig;        /* index in fsig of a signature given with the document, or ND_NONE */
    int64_t date;            /* nd_corpus_set_date, or INT64_MAX */
} nd__cdoc;

/*
 * Paragraph signatures are kept in chunks of ND__CHUNK paragraphs, so that
 * a growing collection never copies them nor needs twice their memory while
 * it grows (they are most of its size: see bench/RESULTS.md for bytes per
 * paragraph). Only the first chunk grows, by doubling, up to ND__CHUNK:
 * small collections stay small. A chunk of codes is 8 MB, large enough for
 * the default allocator to advise huge pages on (alloc.c): the first touches
 * of the collection cost a tenth less CPU on the news corpus than with 2 MB
 * chunks (bench/RESULTS.md).
 *
 * A collection that compares values on all 32 bits keeps each as its 16-bit
 * code (nd__code16 in internal.h: order kept, so merges stay exact), unless
 * it was told to keep values for a store (nd_corpus_set_exact); one that
 * compares fewer bits keeps the values, which a store's records need and
 * whose merges the low bits alone would not allow. Band keys are computed
 * from the kept signatures when chains are built, never kept.
 */
#define ND__CHUNK_SHIFT 15u
#define ND__CHUNK ((size_t)1 << ND__CHUNK_SHIFT)

struct nd_corpus {
    const nd_ctx *ctx;
    const nd_allocator *al;
    unsigned k;
    nd__cdoc *docs;
    size_t ndocs, doc_cap;
    nd__cpara *paras;
    size_t npara, para_cap;
    void **chunks;           /* paragraph signatures: values or codes */
    size_t nchunks, chunks_cap;
    size_t para_room;        /* paragraphs the chunks hold */
    int codes;               /* signatures are 16-bit codes, not values (nd_corpus_set_exact) */
    uint32_t *dsig;          /* ndocs * k, content signatures */
    uint32_t *wsig;          /* ndocs * k, whole-page signatures (repeats left out) */
    uint32_t *fsig;          /* signatures given to nd_corpus_add_signed */
    size_t nfsig, fsig_cap;
    char *ids;
    size_t ids_len, ids_cap;
    uint64_t *src_keys;
    size_t nsources, src_cap;
    size_t *src_span;        /* per source: offset, length of its name in src_names */
    size_t src_span_cap;
    char *src_names;
    size_t src_names_len, src_names_cap;
    uint32_t *fam;           /* per paragraph: global index of its family's first paragraph */
    uint32_t *uf;            /* union-find parents over documents */
    uint32_t *site;          /* per document: first document of its inferred site */
    uint8_t *pooled;         /* per document: its site is its source's pool (site.c) */
    unsigned threads;        /* nd_corpus_set_threads */
    int finished;
};

static inline size_t nd__sig_size(const nd_corpus *c)
{
    return c->k * (c->codes ? sizeof(uint16_t) : sizeof(uint32_t));
}

/* Signature of paragraph g: k codes or k values (c->codes). Read it through
 * the functions below, which know which. */
static inline const void *nd__psig(const nd_corpus *c, size_t g)
{
    return (const char *)c->chunks[g >> ND__CHUNK_SHIFT] + (g & (ND__CHUNK - 1)) * nd__sig_size(c);
}

/* Asks for paragraph g's signature ahead of a comparison: candidates lie
 * anywhere in the collection, so each comparison would otherwise wait for
 * memory, one after the other. */
static inline void nd__pprefetch(const nd_corpus *c, size_t g)
{
#if defined(__GNUC__) || defined(__clang__)
    const char *p = nd__psig(c, g);
    for (size_t off = 0; off < nd__sig_size(c); off += 64) __builtin_prefetch(p + off);
#else
    (void)c;
    (void)g;
#endif
}

/* Jaccard estimate of the signatures of paragraphs g and r. */
double nd__psim(const nd_corpus *c, size_t g, size_t r);

/* A signature merged from paragraphs' (a document's): nd__merge_start,
 * nd__merge_para for each paragraph, nd__merge_end. A collection of codes
 * merges in the codes themselves, which keep the values' order, and widens
 * once at the end (widened codes, as nd_corpus_add_signed keeps them); one
 * of values merges values into out directly. */
typedef struct nd__merger {
    uint32_t *out;
    uint16_t code[ND_MAX_NUM_PERM];
} nd__merger;

void nd__merge_start(const nd_corpus *c, nd__merger *m, uint32_t *out);
void nd__merge_para(const nd_corpus *c, nd__merger *m, size_t g);
void nd__merge_end(const nd_corpus *c, nd__merger *m);

/* How nd__align_containment compares this collection's signatures. */
static inline unsigned nd__align_bits(const nd_corpus *c)
{
    return c->codes ? ND__CODES : c->ctx->params.sig_bits;
}

/* Near-identical pages (detect.c): the share of shingles at which two whole
 * pages are one story, and the chance that their page chains miss such a
 * pair. src/shard.c keys the same chains. */
#define ND__SAME_PAGE 0.9
#define ND__SAME_PAGE_MISS 1e-4

/* site.c: per document, the first document of the site it was inferred to
 * belong to, and whether that is its source's pool of pages tied to no
 * template of min_stories pages (see site.c); needs c->fam. */
int nd__infer_sites(nd_corpus *c, uint32_t *site, uint8_t *pooled);

#endif
