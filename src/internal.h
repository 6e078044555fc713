/*
 * Private declarations shared by the library's modules. Nothing here is API.
 *
 * Module order (each uses only those above it):
 *   alloc, error, params  ->  segment -> normalize -> shingle -> minhash
 *   -> lsh -> doc (repeats inside a document)
 */
#ifndef ND_INTERNAL_H
#define ND_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "neardup.h"

#define ND_NORMALIZATION_VERSION 1u

/* ---- alloc.c ---- */
void *nd__alloc(const nd_allocator *al, size_t size);
void *nd__calloc(const nd_allocator *al, size_t count, size_t size);
void nd__free(const nd_allocator *al, void *ptr);
/* Grows *ptr (holding *cap elements of elem bytes) to at least `need`
 * elements, geometrically, keeping the contents. */
int nd__reserve(const nd_allocator *al, void **ptr, size_t *cap, size_t need, size_t elem);
const nd_allocator *nd__default_allocator(void);
/* Whether block p of the default allocator has a mapping of its own
 * (alloc.c); always 0 where the default allocator is malloc alone. */
int nd__alloc_mapped(const void *p);

/* ---- little-endian helpers (fixed byte order for hashed data) ---- */
static inline void nd__le64_store(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static inline uint64_t nd__le64_load(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

/* ---- segment.c ---- */
typedef struct nd__span {
    size_t off, len;
} nd__span;

/* Splits text into paragraphs. *spans is grown as needed (capacity *cap).
 * *used receives the mode actually applied. */
int nd__segment(const nd_allocator *al, const char *text, size_t size, nd_seg_mode mode,
                nd__span **spans, size_t *count, size_t *cap, nd_seg_mode *used);

/* ---- charset.c ---- */
/* An HTML payload read in its charset and converted to UTF-8, with where
 * each byte came from. */
typedef struct nd__decoded {
    char *text;          /* UTF-8, NUL-terminated; no NUL byte inside */
    size_t len, cap;
    uint32_t *map;       /* map[i]: payload offset of the character text byte i is part
                            of; map[len] = the payload's size */
    size_t map_cap;
    char charset[40];    /* the charset used, as iconv names it */
} nd__decoded;

/* Decodes src (size < 2 GiB) by the rules of neardup.h ("HTML"); cs (cs_len
 * bytes, may be NULL) is the HTTP header's charset. The buffers of *out are
 * reused. @return ND_OK, ND_E_NOMEM. */
int nd__charset_decode(const nd_allocator *al, const char *src, size_t size, const char *cs,
                       size_t cs_len, nd__decoded *out);
void nd__decoded_free(const nd_allocator *al, nd__decoded *d);
/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
size_t nd__utf8_valid_len(const unsigned char *s, size_t n);

/* ---- normalize.c ---- */
#define ND__TOKBUF 256
#define ND__QUEUE 256
typedef struct nd__qent {
    int32_t cp;
    unsigned char cls;
} nd__qent;
typedef struct nd__tokenizer {
    const unsigned char *p, *end;
    nd__qent q[ND__QUEUE];    /* normalized code points ahead */
    size_t q_pos, q_len;
    uint64_t seed;
    uint64_t num_hash;        /* the folded hash every all-digit token gets */
    size_t buf_len;           /* bytes of the current token in buf */
    int streaming;            /* token longer than buf: hashing through state */
    unsigned char buf[ND__TOKBUF + 16]; /* + 16: the ASCII path stores 16 bytes at a time */
    void *state;              /* XXH3_state_t *, 64-byte aligned inside state_mem */
    void *state_mem;          /* allocated on the first long token */
    const nd_allocator *al;
    int table_only;           /* tests: every byte through the queue, no ASCII shortcut */
} nd__tokenizer;

typedef struct nd__token {
    uint64_t hash;   /* hash of the normalized token, all-digit tokens folded to one value */
    uint64_t raw;    /* hash of the normalized token, digits kept */
} nd__token;

void nd__tokenizer_init(nd__tokenizer *tk, const nd_allocator *al, uint64_t seed);
void nd__tokenizer_reset(nd__tokenizer *tk, const char *text, size_t size);
/* @return 1 and *out set for the next token, 0 at the end, <0 on error. */
int nd__tokenizer_next(nd__tokenizer *tk, nd__token *out);
/* The next tokens, at most max, into out: the same tokens as that many calls
 * of nd__tokenizer_next, with whole ASCII words taken 64 bytes at a time.
 * @return how many (0 at the end), <0 on error. */
int nd__tokenizer_fill(nd__tokenizer *tk, nd__token *out, size_t max);
void nd__tokenizer_free(nd__tokenizer *tk);

/* ---- shingle.c ---- */
typedef struct nd__shingled {
    size_t tokens;    /* words in the paragraph */
    uint64_t key;     /* exact key: hash of all raw token hashes (or raw bytes) */
} nd__shingled;

/* Appends the shingle hashes of text to *arena (growing it), *len updated. */
int nd__shingle(nd__tokenizer *tk, const char *text, size_t size, unsigned w, uint64_t seed,
                uint64_t **arena, size_t *len, size_t *cap, nd__shingled *out);

/* ---- minhash.c ---- */
typedef void (*nd__minhash_fn)(const uint64_t *a, const uint64_t *b, unsigned k,
                               const uint64_t *shingles, size_t n, uint32_t *sig);
typedef void (*nd__minhash32_fn)(const uint32_t *a, const uint32_t *b, unsigned k,
                                 const uint64_t *shingles, size_t n, uint32_t *sig);
typedef struct nd__minhash {
    unsigned scheme;          /* ND_MINHASH_MAS64 or ND_MINHASH_MUL32 */
    uint64_t *a, *b;          /* MAS64: K multiply-add-shift coefficients */
    uint32_t *a32, *b32;      /* MUL32: K 32-bit multiply-add coefficients */
    unsigned k;
    nd__minhash_fn fn;
    nd__minhash32_fn fn32;
    const char *isa;
} nd__minhash;

/* scheme: ND_MINHASH_MAS64 or ND_MINHASH_MUL32 (0 is the default scheme). */
int nd__minhash_init(nd__minhash *mh, const nd_allocator *al, unsigned k, uint64_t seed,
                     unsigned scheme);
void nd__minhash_free(nd__minhash *mh, const nd_allocator *al);
/* sig := signature of the n shingles (sig is overwritten). */
void nd__minhash_sign(const nd__minhash *mh, const uint64_t *shingles, size_t n, uint32_t *sig);

/* ---- lsh.c ---- */
/* Bands and rows minimising the weighted false-positive and false-negative
 * areas of the S-curve 1-(1-s^r)^b around threshold t, with b*r <= k. */
void nd__lsh_optimal(double t, unsigned k, double w_fp, double w_fn, unsigned *bands, unsigned *rows);
/* The same with at least min_rows rows per band. */
void nd__lsh_optimal_rows(double t, unsigned k, double w_fp, double w_fn, unsigned min_rows,
                          unsigned *bands, unsigned *rows);
/* The longest bands (fewest false candidates) that still miss a pair of
 * similarity t with probability at most `miss`. */
void nd__lsh_for_recall(double t, unsigned k, double miss, unsigned *bands, unsigned *rows);

/* The keys of bands first .. first+bands-1 of sig (see nd__lsh_keys). */
typedef void (*nd__keys_fn)(unsigned first, unsigned bands, unsigned rows, uint32_t mask,
                            const uint32_t *sig, uint32_t *out);

typedef struct nd__lsh_slot {
    uint32_t key;        /* 32-bit band key, 0 = empty */
    uint32_t head;       /* newest entry of the bucket */
} nd__lsh_slot;

typedef struct nd__lsh {
    const nd_allocator *al;
    unsigned bands, rows;
    uint32_t mask;       /* bits of each value that take part in band keys */
    nd__lsh_slot *slot;  /* open addressing, linear probing; 8 bytes a slot */
    size_t slots, used;  /* slots is a power of two */
    uint32_t *next;      /* per entry (item * bands + band): next entry in chain */
    size_t entries, next_cap;
    uint32_t cur[ND_MAX_NUM_PERM]; /* band keys of the signature being looked up */
    nd__keys_fn keys_fn;  /* nd__lsh_pick_keys() */
} nd__lsh;

int nd__lsh_init(nd__lsh *l, const nd_allocator *al, unsigned bands, unsigned rows);
void nd__lsh_clear(nd__lsh *l);
void nd__lsh_free(nd__lsh *l);
/* One band's 64-bit key, by definition (lsh.c); the indexes use the
 * kernels of nd__lsh_pick_keys, which give its top half. */
uint64_t nd__lsh_band_key(const nd__lsh *l, const uint32_t *sig, unsigned band);
/* Computes the band keys of sig (xor salt: a salt keeps partitions of one
 * index apart, e.g. one per source) and prefetches their slots, so that the
 * lookups and the insert that follow overlap their cache misses. */
void nd__lsh_prepare(nd__lsh *l, const uint32_t *sig, uint64_t salt);
/* Inserts item under the prepared keys. Items are numbered by the caller;
 * the link array grows to the largest item. */
int nd__lsh_insert(nd__lsh *l, uint32_t item);
/* Makes room for `items` more inserts of items up to max_item, so that they
 * cannot fail (callers that must not be left half-updated reserve first). */
int nd__lsh_reserve(nd__lsh *l, size_t items, size_t max_item);
#define ND__LSH_END UINT32_MAX
/* First entry of the bucket of the prepared band; then nd__lsh_next. Items
 * are entry / bands. */
uint32_t nd__lsh_bucket(const nd__lsh *l, unsigned band);
static inline uint32_t nd__lsh_next(const nd__lsh *l, uint32_t entry) { return l->next[entry]; }

/* The 32-bit band keys of sig (bands of `rows` values, bits outside mask
 * ignored) into out[0..bands-1]: the top half of nd__lsh_band_key. */
void nd__lsh_keys(unsigned bands, unsigned rows, uint32_t mask, const uint32_t *sig, uint32_t *out);
/* Instruction sets a kernel may use at most. */
typedef enum { ND__ISA_BEST, ND__ISA_PORTABLE, ND__ISA_AVX2 } nd__isa;
/* The fastest nd__lsh_keys kernel this CPU runs, using at most `cap`
 * (tests check each against the definition): all give the same keys. */
nd__keys_fn nd__lsh_pick_keys(nd__isa cap);
/* Keys of 16-bit codes (nd__code16): those of the values nd__code_widen
 * gives them. */
typedef void (*nd__keys16_fn)(unsigned first, unsigned bands, unsigned rows, uint32_t mask,
                              const uint16_t *sig, uint32_t *out);
nd__keys16_fn nd__lsh_pick_keys16(nd__isa cap);

/* The links of batch chains, band by band. Most positions have no earlier
 * position sharing their key in a band (on news, 82-84% of them), so each
 * band keeps a bit per position and only the links that exist, in position
 * order; a word's rank (links before it) finds a link with one popcount.
 * A dense array of links took 4 bytes per position and band: 56 MB for the
 * copy chains of the news corpus, the largest block of a scan's peak; this
 * takes about 0.25 + 4 x 0.18 bytes. */
typedef struct nd__link_word {
    uint64_t bits;   /* positions 64w .. 64w+63 that have a link */
    uint32_t rank;   /* links of the band before position 64w */
} nd__link_word;

typedef struct nd__links {
    nd__link_word **word;  /* per band: (n + 63) / 64 words */
    uint32_t **to;         /* per band: the links, in position order */
    unsigned bands;
    size_t n;
} nd__links;

/* Set bits of x. Without the popcnt instruction (a portable build) the
 * compilers' builtin is a library call; this is a dozen inline operations. */
static inline uint32_t nd__popcount64(uint64_t x)
{
#if (defined(__GNUC__) || defined(__clang__)) && defined(__POPCNT__)
    return (uint32_t)__builtin_popcountll(x);
#else
    x -= (x >> 1) & 0x5555555555555555u;
    x = (x & 0x3333333333333333u) + ((x >> 2) & 0x3333333333333333u);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fu;
    return (uint32_t)((x * 0x0101010101010101u) >> 56);
#endif
}

/* The largest position j < i with i's key in band b, or ND__LSH_END. */
static inline uint32_t nd__link(const nd__links *l, unsigned b, uint32_t i)
{
    const nd__link_word w = l->word[b][i >> 6];
    const uint64_t bit = (uint64_t)1 << (i & 63);
    if (!(w.bits & bit)) return ND__LSH_END;
    return l->to[b][w.rank + nd__popcount64(w.bits & (bit - 1))];
}

void nd__links_free(const nd_allocator *al, nd__links *l);

/* Batch banding for a whole collection, without a shared hash table: item
 * i's keys of bands first .. first+n-1 are what row(arg, items[i], first, n,
 * out) writes to out, each xor salts[i] (salts may be NULL); links receives,
 * for each position i and band b, the largest j < i with the same key
 * (nd__link), or ND__LSH_END. Bands are taken in groups (8, or 4 with
 * threads; lsh.c): a group's keys are asked for once per item, then chained
 * one band at a time. Keys are 32-bit: a collision only adds a candidate,
 * which callers verify. Groups are built on up to `threads` threads
 * (nd__run_tasks), each costing 4 bytes per item and band of the group plus
 * a table of 12 to 24 bytes per item while it runs; row must then be safe to
 * call from several threads. Keys are asked for group by group so that
 * callers need not keep them. On success links holds the chains (free them
 * with nd__links_free); on failure it holds nothing. */
typedef void (*nd__row_fn)(const void *arg, uint32_t item, unsigned first, unsigned n, uint32_t *out);
int nd__lsh_chain(const nd_allocator *al, nd__row_fn row, const void *arg, unsigned bands,
                  const uint32_t *items, const uint32_t *salts, size_t n, nd__links *links,
                  unsigned threads);

/* An nd__row_fn over keys stored contiguously, `stride` per item. */
typedef struct nd__flat_rows {
    const uint32_t *keys;
    size_t stride;
} nd__flat_rows;
void nd__flat_row(const void *arg, uint32_t item, unsigned first, unsigned n, uint32_t *out);

/* ---- thread.c ---- */
#define ND__MAX_THREADS 64u /* threads of one nd__run_tasks call at most */
typedef void (*nd__task_fn)(void *arg, size_t task);
/* Runs fn(arg, t) for every t < ntasks, on up to `threads` threads, the
 * caller's included; returns when all are done. Every task runs even when
 * no thread can be started, so results never depend on the thread count. */
void nd__run_tasks(unsigned threads, size_t ntasks, nd__task_fn fn, void *arg);

/* ---- the context ---- */
struct nd_ctx {
    nd_allocator alloc;
    nd_params params;
    nd__minhash mh;
    unsigned repeat_bands, repeat_rows;
    nd__keys_fn keys_fn;     /* nd__lsh_pick_keys() */
    nd__keys16_fn keys16_fn; /* nd__lsh_pick_keys16() */
    unsigned para_bands, para_rows;
    unsigned doc_bands, doc_rows;
};

/* Bits of each value that band keys take (b-bit values keep the low bits). */
static inline uint32_t nd__ctx_key_mask(const nd_ctx *ctx)
{
    return ctx->params.sig_bits < 32 ? (1u << ctx->params.sig_bits) - 1 : UINT32_MAX;
}

/* ---- doc.c, for the collection modules ---- */
/* ND_OK when doc's signatures compare with ctx's (same K, w, seed and
 * normalization), else ND_E_PARAM_MISMATCH; ND_E_INVALID for NULL. */
int nd__doc_compatible(const nd_doc *doc, const nd_ctx *ctx);
/* nd_doc_para() for the library's own use: fills every field of *out,
 * whatever its version (i < nd_doc_count(doc)). */
void nd__doc_para(const nd_doc *doc, size_t i, nd_para_info *out);

/* ---- output structs (neardup.h, "Output structs") ---- */
/* The bytes of each version of a struct, 0 for a version this library does
 * not know. A version's size never changes: later versions add fields
 * after the last one named here. */
#define ND__VERSION_BYTES(v, type, last) \
    ((v) == 1 ? offsetof(type, last) + sizeof(((type *)0)->last) : 0)
#define ND__PARA_INFO_BYTES(v) ND__VERSION_BYTES(v, nd_para_info, shingles)
#define ND__DOC_INFO_BYTES(v) ND__VERSION_BYTES(v, nd_doc_info, site)
#define ND__STREAM_DOC_BYTES(v) ND__VERSION_BYTES(v, nd_stream_doc, site_id_len)

/* Copies to the caller's struct `out` the first `bytes` bytes (its version's,
 * checked non-zero by the caller) of `full`, a filled struct of this
 * library, leaving the leading version member alone. */
static inline void nd__put_version(void *out, size_t bytes, const void *full)
{
    memcpy((char *)out + sizeof(unsigned), (const char *)full + sizeof(unsigned),
           bytes - sizeof(unsigned));
}

/* ---- small shared helpers ---- */
static inline uint64_t nd__mix64(uint64_t x)
{   /* splitmix64 finalizer: a bijective avalanche mix */
    x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27; x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

#define ND__SIG_EMPTY UINT32_MAX /* a signature value with no shingle behind it */

/*
 * 16-bit codes of MinHash values, which a collection keeps instead of the
 * values when it compares them on all 32 bits (corpus.h): half the memory of
 * its largest part. A code is a small float (4-bit exponent, 12-bit
 * mantissa) of the value, so it keeps the values' order: the code of the
 * minimum of two values is the minimum of their codes, and document
 * signatures are still merged from paragraph signatures exactly. The low
 * bits of a value, which b-bit MinHash keeps (Li and König, 2010), would not
 * keep the order. Two different minima get one code with probability about
 * 2^-14 (values within 2^-12 of each other, each the minimum of a few dozen
 * uniform hashes), against 2^-16 for 16 low bits: estimates of Jaccard
 * gain at most 0.0001 on average, below one value in K = 128.
 */
#define ND__CODE_EMPTY 0xFFFFu

static inline uint16_t nd__code16(uint32_t v)
{
    if (v == ND__SIG_EMPTY) return ND__CODE_EMPTY;
    if (v < (1u << 17)) return (uint16_t)(v >> 5); /* codes 0 .. 4095, 1 in 2^15 values per paragraph */
#if defined(__GNUC__)
    unsigned e = (unsigned)(31 - __builtin_clz(v)) - 12; /* 5 .. 19 */
#else
    unsigned e = 5;
    while (v >> (e + 12) > 1) e++;
#endif
    uint32_t code = ((e - 4) << 12) | ((v >> e) & 0xFFFu);
    return (uint16_t)(code < ND__CODE_EMPTY ? code : ND__CODE_EMPTY - 1);
}

/* A code as a value that sorts as the code does (empty stays empty). */
static inline uint32_t nd__code_widen(uint16_t code)
{
    return code == ND__CODE_EMPTY ? ND__SIG_EMPTY : code;
}

/* dst[i] = nd__code16(src[i]) for i < k, vectorised where it can be. */
void nd__codes_of(uint16_t *dst, const uint32_t *src, size_t k);

/* Share of equal non-empty codes of two k-code signatures (the Jaccard
 * estimate, as nd_signature_similarity for values). */
double nd__code_similarity(const uint16_t *a, const uint16_t *b, size_t k);

/* acc becomes its merge with the codes src: the least of each pair, since
 * codes keep the values' order (and ND__CODE_EMPTY is the largest). A
 * document's signature is merged in codes and widened once
 * (nd__codes_widen): 8 codes per instruction where SSE2 is. */
void nd__code_min(uint16_t *acc, const uint16_t *src, size_t k);

/* dst[i] = nd__code_widen(src[i]) for i < k. */
void nd__codes_widen(uint32_t *dst, const uint16_t *src, size_t k);

/* How nd__align_containment compares signatures: bits of values (8, 16, 32)
 * or ND__CODES for 16-bit codes. */
#define ND__CODES 0u

/* Share of the smaller of two sets (a, b elements) inside the other, from
 * their Jaccard estimate j: |A n B| = j (|A| + |B|) / (1 + j). */
static inline double nd__containment(double j, uint64_t a, uint64_t b)
{
    uint64_t small = a < b ? a : b;
    if (small == 0) return 0.0;
    double cont = j * (double)(a + b) / (1.0 + j) / (double)small;
    return cont > 1.0 ? 1.0 : cont;
}

/* ---- sites (site.c for collections, stream.c for streams) ---- */
/* Two pages are taken for one site when they share ND__SITE_MATCH families
 * among the first ND__SITE_EDGE paragraphs of both, as many among the last
 * ND__SITE_EDGE, and each keeps ND__SITE_OWN shingles of its own between the
 * first and the last paragraph they share (see site.c). */
#define ND__SITE_EDGE 8
#define ND__SITE_MATCH 3
#define ND__SITE_OWN 20

/* ---- copies (copies.c; crediting in detect.c and stream.c) ---- */
/* Candidates verified per paragraph (adversarial pages where thousands of
 * distinct paragraphs share bands), in collections and streams; and, in
 * streams, members verified per matched copy root (one paragraph recurring
 * in thousands of documents). Both credit only the paragraphs a paragraph
 * matches: a collection verifies what its chains reach (detect.c); a
 * stream, whose index holds only roots, the members of each root it
 * matches (stream.c). */
#define ND__MAX_VERIFY 256
/* Steps of a collection's chain walk per band (detect.c). */
#define ND__MAX_STEPS 16
#define ND__MAX_MEMBERS 64
/* How two paragraphs (sa, sb shingles, estimate j) match for copies:
 * strong at Jaccard 0.5, or when one holds the other (a paragraph merged
 * with its neighbour, or split) down to Jaccard 0.2; weak from Jaccard
 * ND__WEAK_J between paragraphs of ND__WEAK_MIN shingles or more. One word
 * changed every ten breaks about a third of a text's 5-word shingles on
 * each side, so noisy copies of a paragraph land near Jaccard 0.35-0.45,
 * while different texts in the same words stay near 0. */
#define ND__WEAK_J 0.3
#define ND__WEAK_MIN 8
enum { ND__MATCH_NONE = 0, ND__MATCH_WEAK = 1, ND__MATCH_STRONG = 2 };
static inline int nd__para_match_kind(double j, uint64_t sa, uint64_t sb)
{
    if (j >= 0.5 || (j >= 0.2 && nd__containment(j, sa, sb) >= 0.8)) return ND__MATCH_STRONG;
    if (j >= ND__WEAK_J && sa >= ND__WEAK_MIN && sb >= ND__WEAK_MIN) return ND__MATCH_WEAK;
    return ND__MATCH_NONE;
}

/* The counted (content) paragraphs of one side of a pair, for alignment:
 * pairs whose sides hold more are not aligned. */
#define ND__ALIGN_SIDE 256
typedef struct nd__align_side {
    const void *sig[ND__ALIGN_SIDE];   /* values or codes: see nd__align_containment */
    uint32_t shingles[ND__ALIGN_SIDE];
    size_t n;          /* paragraphs added (counting beyond ND__ALIGN_SIDE) */
} nd__align_side;

/* Appends a counted paragraph (one past ND__ALIGN_SIDE marks the side as
 * too large to align). */
void nd__align_add(nd__align_side *s, const void *sig, uint32_t shingles);

/* The larger containment of a pair measured paragraph by paragraph: a
 * paragraph counts when its best match on the other side is strong, or weak
 * with no second candidate and the two each other's best (copies.c). -1
 * when a side is over ND__ALIGN_SIDE. bits: of the sides' values, or
 * ND__CODES when they are 16-bit codes. */
double nd__align_containment(const nd__align_side *d, const nd__align_side *e, unsigned k,
                             unsigned bits);

/* What a document d shares with an earlier document e through strong
 * paragraph matches, in content shingles: d's paragraphs matching e (d), e's
 * paragraphs matched by d (e); last_g is the last paragraph of d counted. */
typedef struct nd__pair_share {
    uint64_t d, e;
    uint32_t last_g;
} nd__pair_share;

/* Credits paragraph g of d (g_shingles) and a paragraph m it matched, held
 * by e, to the pair (d, e): g counts once per pair, m once per d (m_fresh:
 * m not yet credited to d). Collections and streams keep these stamps in
 * their own structures but count alike. */
static inline void nd__credit(nd__pair_share *sh, uint32_t g, uint64_t g_shingles, int m_fresh,
                              uint64_t m_shingles)
{
    if (sh->last_g != g) {
        sh->last_g = g;
        sh->d += g_shingles;
    }
    if (m_fresh) sh->e += m_shingles;
}

/* The larger of the pair's two containments through strong matches (a, b:
 * content shingles of d and e, both non-zero), at most 1. */
double nd__share_containment(const nd__pair_share *sh, uint64_t a, uint64_t b);

/* Whether a pair that its strong matches do not make a copy is aligned:
 * it shares a strong match (strong_d: d's shingles in them) and its content
 * signatures' estimate (sim) or its containment so far reaches
 * ND__ALIGN_FLOOR. Noisy copies keep a content Jaccard near 0.3 and
 * truncated ones a containment well above the floor; pairs below it are
 * stories that share a quote, and aligning every such pair would cost more
 * than finding the copies did (the floor cuts the work 7-fold on the news
 * corpus of bench/). */
#define ND__ALIGN_FLOOR 0.2
/* Alignments per judged document at most (each up to ND__ALIGN_SIDE^2
 * comparisons): bounds the work on adversarial input; pairs beyond are
 * judged on their strong matches alone. */
#define ND__MAX_ALIGN 64
static inline int nd__align_worth(uint64_t strong_d, double sim, double cont)
{
    return strong_d && (sim >= ND__ALIGN_FLOOR || cont >= ND__ALIGN_FLOOR);
}

/* Whether d copies e (a, b: their content shingles; sim: their content
 * signatures' Jaccard estimate; cont: the larger containment). */
int nd__is_copy(const nd_params *p, uint64_t a, uint64_t b, double sim, double cont);

/* One earlier document a judged document touched (nd__judge_doc). */
typedef struct nd__judge_pair {
    nd__pair_share share;  /* what the two share through strong matches */
    uint64_t e;            /* the earlier document: the smaller wins a tie */
    uint64_t b;            /* its content shingles */
    const uint32_t *sig;   /* its content signature (values) */
} nd__judge_pair;

/* How a judged document is reached: the i-th pair, its alignment (the
 * containment of nd__align_containment, or -1), and the verdict on it. */
typedef struct nd__judge_io {
    void (*pair)(void *arg, size_t i, nd__judge_pair *out);
    double (*align)(void *arg, size_t i);
    void (*copies)(void *arg, size_t i, int copy);
    void *arg;
} nd__judge_io;

/* The judgement of a document (a content shingles, content signature dsig
 * of k values at p's sig_bits) against the n earlier documents it touched,
 * in the order touched: which it copies (io->copies), and the one it copies
 * most, with its estimate and containment (*dup_of: UINT64_MAX for none).
 * At most ND__MAX_ALIGN pairs are aligned, the first that are worth it.
 * Collections (detect.c) and neardup.dask's staged pass (shard_copy.c) both
 * judge through it. */
void nd__judge_doc(const nd_params *p, unsigned k, uint64_t a, const uint32_t *dsig, size_t n,
                   const nd__judge_io *io, uint64_t *dup_of, double *sim, double *cont);

/* Salt that keeps one source's entries apart in a shared index (key: a
 * 64-bit hash of the source name). */
static inline uint64_t nd__source_salt(uint64_t source_key)
{
    return nd__mix64(source_key + 0x9e3779b97f4a7c15ull);
}

#endif
