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
 * Paragraph signatures (k values) and band keys (nkeys, see nd__ctx_keys)
 * are kept in chunks of ND__CHUNK paragraphs, so that a growing collection
 * never copies them nor needs twice their memory while it grows (they are
 * most of its size: see bench/RESULTS.md for bytes per paragraph). Only the first
 * chunk grows, by doubling, up to ND__CHUNK: small collections stay small.
 */
#define ND__CHUNK_SHIFT 13u
#define ND__CHUNK ((size_t)1 << ND__CHUNK_SHIFT)

typedef struct nd__chunk {
    uint32_t *sig, *key;
} nd__chunk;

struct nd_corpus {
    const nd_ctx *ctx;
    const nd_allocator *al;
    unsigned k;
    nd__cdoc *docs;
    size_t ndocs, doc_cap;
    nd__cpara *paras;
    size_t npara, para_cap;
    nd__chunk *chunks;       /* paragraph signatures and band keys */
    size_t nchunks, chunks_cap;
    size_t para_room;        /* paragraphs the chunks hold */
    unsigned nkeys;
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

static inline uint32_t *nd__psig(const nd_corpus *c, size_t g)
{
    return c->chunks[g >> ND__CHUNK_SHIFT].sig + (g & (ND__CHUNK - 1)) * c->k;
}

static inline uint32_t *nd__pkey(const nd_corpus *c, size_t g)
{
    return c->chunks[g >> ND__CHUNK_SHIFT].key + (g & (ND__CHUNK - 1)) * c->nkeys;
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
