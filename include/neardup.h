/*
 * neardup - find near-duplicate text: repeated paragraphs inside a document,
 * feed boilerplate, and syndicated copies across documents.
 *
 * This is the only public header of libneardup.
 *
 * Data flows one way through the library:
 *
 *   text --segment--> paragraphs (spans into the caller's buffer)
 *        --normalize--> tokens (UTF-8 decoded, NFKC, case folded)
 *        --shingle--> w-token shingles, hashed with XXH3
 *        --minhash--> K-value signature per paragraph
 *        --detect--> repeats inside the document
 *
 * Threading: an nd_ctx is immutable once created and may be shared by any
 * number of threads. Every other handle (nd_doc, ...) belongs to one thread
 * at a time; distinct handles may be used concurrently.
 *
 * Errors: functions that can fail return an int, 0 (ND_OK) on success or a
 * negative nd_error code. nd_strerror() turns a code into a static message.
 * The library never prints, exits or aborts.
 */
#ifndef NEARDUP_H
#define NEARDUP_H

#include <stddef.h>
#include <stdint.h>

#if defined(__cplusplus)
extern "C" {
#endif

/* ---- Export macro ------------------------------------------------------ */
/* Supported platform: Linux, what CI builds and tests (README "Platforms").
 * The library is built with hidden visibility and exports the ND_API
 * functions only. Windows is not supported (the store's I/O and the
 * threads are POSIX), so there are no DLL export macros. */
#if defined(__GNUC__) && __GNUC__ >= 4
#  define ND_API __attribute__((visibility("default")))
#else
#  define ND_API
#endif

/* ---- Version ----------------------------------------------------------- */
/* The one version number of the library: CMake reads these three lines for
 * the project version, the shared library's SOVERSION and neardup.pc. Before
 * 1.0 a new minor version may change the API and ABI. */
#define ND_VERSION_MAJOR 0
#define ND_VERSION_MINOR 2
#define ND_VERSION_PATCH 0
#define ND_VERSION_NUMBER \
    (ND_VERSION_MAJOR * 10000 + ND_VERSION_MINOR * 100 + ND_VERSION_PATCH)
#define ND__STR2(x) #x
#define ND__STR(x) ND__STR2(x)
#define ND_VERSION_STRING \
    ND__STR(ND_VERSION_MAJOR) "." ND__STR(ND_VERSION_MINOR) "." ND__STR(ND_VERSION_PATCH)

/*! nd_version_number() :
 *  @return ND_VERSION_NUMBER of the library actually linked, so that a program
 *  can detect a header/library mismatch. Thread-safe. */
ND_API unsigned nd_version_number(void);

/*! nd_version_string() :
 *  @return the linked library's version as a static string, e.g. "0.1.0". */
ND_API const char *nd_version_string(void);

/*! nd_normalization_version() :
 *  @return the version of the text normalization rules (tokenizer, folding
 *  tables). Signatures made under different normalization versions are not
 *  comparable. Thread-safe. */
ND_API unsigned nd_normalization_version(void);

/* ---- Errors ------------------------------------------------------------ */
/* Values are stable: never renumbered, new ones are appended. */
typedef enum nd_error {
    ND_OK = 0,
    ND_E_NOMEM = -1,          /* an allocation failed */
    ND_E_INVALID = -2,        /* a NULL or out-of-range argument */
    ND_E_PARAM = -3,          /* a field of nd_params is invalid */
    ND_E_TOO_LARGE = -4,      /* an input exceeds what the library can index */
    ND_E_VERSION = -5,        /* a struct version this library does not know */
    ND_E_STATE = -6,          /* a call out of order (e.g. no document analyzed) */
    ND_E_IO = -7,             /* a read or write failed */
    ND_E_CORRUPT = -8,        /* stored data failed a structural check */
    ND_E_CHECKSUM = -9,       /* stored data failed its checksum */
    ND_E_PARAM_MISMATCH = -10,/* two signature sets were made with different parameters */
    ND_E_LOCKED = -11,        /* another writer holds the resource */
    ND_E_BUFFER = -12         /* an output buffer is smaller than the values to write */
} nd_error;

/*! nd_strerror() :
 *  @return a static English message for an nd_error code (an "unknown error"
 *  text for any other value). Never NULL. Thread-safe. */
ND_API const char *nd_strerror(int code);

/* ---- Allocator --------------------------------------------------------- */
/* Every allocation of a handle goes through its allocator. alloc must return
 * memory aligned for any type (like malloc) or NULL; free(opaque, NULL) must be
 * harmless. Both are called from the thread that uses the handle, and, for a
 * collection given more than one thread (nd_corpus_set_threads), from its
 * worker threads during nd_corpus_finish(), concurrently: such an allocator
 * must be thread-safe (malloc is). */
typedef struct nd_allocator {
    void *(*alloc)(void *opaque, size_t size);
    void (*free)(void *opaque, void *ptr);
    void *opaque;
} nd_allocator;

/* ---- Parameters -------------------------------------------------------- */
/* Where recurrence makes a paragraph boilerplate. */
typedef enum nd_scope {
    ND_SCOPE_SOURCE = 0, /* only documents of the paragraph's own source (feed) count */
    ND_SCOPE_ALL = 1     /* documents of every source count */
} nd_scope;

typedef enum nd_seg_mode {
    ND_SEG_AUTO = 0,   /* per document: blocks for hard-wrapped text, else lines */
    ND_SEG_LINES = 1,  /* one paragraph per non-blank line */
    ND_SEG_BLOCKS = 2  /* paragraphs are runs of lines separated by blank lines */
} nd_seg_mode;

#define ND_PARAMS_VERSION 1u

/* Defaults (see README "Options" for how they were chosen). */
#define ND_DEFAULT_SHINGLE_SIZE 5u
#define ND_DEFAULT_NUM_PERM 128u
#define ND_DEFAULT_SEED 0x6E65617264757030ull /* "neardup0" */
#define ND_DEFAULT_MINHASH_SCHEME 2u /* ND_MINHASH_MUL32 (bench/RESULTS.md) */
#define ND_DEFAULT_REPEAT_THRESHOLD 0.75
#define ND_DEFAULT_DOC_THRESHOLD 0.50
#define ND_DEFAULT_CONTAINMENT_THRESHOLD 0.60
#define ND_DEFAULT_MIN_STORIES 3u
#define ND_DEFAULT_MIN_CONTAINED 40u

#define ND_MAX_SHINGLE_SIZE 16u
#define ND_MAX_NUM_PERM 1024u

/* MinHash hash families; the numbers are those a store records (docs/FORMAT.md,
 * minhash_scheme). */
typedef enum nd_minhash_scheme {
    ND_MINHASH_DEFAULT = 0, /* nd_params_init's choice: ND_MINHASH_MUL32 */
    ND_MINHASH_MAS64 = 1,   /* K multiply-add-shift hashes of the 64-bit shingle hash */
    ND_MINHASH_MUL32 = 2    /* K 32-bit multiply-add hashes of its 32-bit fold: 16 per vector */
} nd_minhash_scheme;

/* Everything that shapes signatures and verdicts. Fill with nd_params_init(),
 * then change fields; an nd_ctx checks every field when created. */

typedef struct nd_params {
    unsigned version;          /* ND_PARAMS_VERSION */
    nd_seg_mode seg_mode;      /* paragraph segmentation */
    unsigned shingle_size;     /* w: words per shingle, 1..ND_MAX_SHINGLE_SIZE */
    unsigned num_perm;         /* K: MinHash values per signature, 1..ND_MAX_NUM_PERM */
    uint64_t seed;             /* seed of every hash; same seed => comparable signatures */
    double repeat_threshold;   /* Jaccard at or above which two paragraphs are near-duplicates, (0,1] */
    double doc_threshold;      /* Jaccard of content at or above which two documents are copies, (0,1] */
    double containment_threshold; /* share of the smaller document's content found in the
                                     other at or above which they are copies, (0,1] */
    unsigned min_contained;    /* shingles the smaller document needs for containment to count */
    unsigned min_stories;      /* N: a paragraph recurring in N or more distinct stories is
                                  boilerplate, 2..65535 */
    nd_scope boilerplate_scope;/* where those stories are counted */
    unsigned lsh_bands;        /* copy index: bands and rows; 0 and 0 = chosen from K for */
    unsigned lsh_rows;         /* paragraphs of Jaccard 0.3 and up (see README), bands*rows <= K */
    unsigned sig_bits;         /* bits kept of each MinHash value: 32 (default), 16 or 8
                                  (b-bit MinHash, Li and König 2010): smaller signatures,
                                  estimates corrected for chance collisions */
    unsigned minhash_scheme;   /* how the K values are computed (nd_minhash_scheme); 0 = the
                                  default; signatures of two schemes never compare */
    unsigned reserved[7];      /* must be 0 */
} nd_params;

/*! nd_params_init() :
 *  Fills *out with the defaults for struct version `version` (pass
 *  ND_PARAMS_VERSION). @return ND_OK, ND_E_INVALID if out is NULL, or
 *  ND_E_VERSION for a version this library does not know. */
ND_API int nd_params_init(nd_params *out, unsigned version);

/*! nd_params_check() :
 *  Validates every field. On failure writes a message naming the first bad
 *  field (e.g. "num_perm: must be in 1..1024 (got 0)") into
 *  msg (NUL-terminated, truncated to msg_size; msg may be NULL).
 *  @return ND_OK or ND_E_PARAM / ND_E_VERSION / ND_E_INVALID. Thread-safe. */
ND_API int nd_params_check(const nd_params *params, char *msg, size_t msg_size);

/* ---- Output structs ---------------------------------------------------- */
/* Structs the library fills (nd_para_info, nd_doc_info, nd_stream_doc, and
 * the store's nd_store_info, nd_store_stats) may gain fields at their end in
 * later versions. Their first field, `version`, is set by the caller to the
 * struct's _VERSION macro of the header it was compiled with, best through
 * the struct's _INIT macro:
 *
 *     nd_para_info p = ND_PARA_INFO_INIT;
 *     rc = nd_doc_para(doc, i, &p);
 *
 * The library then writes only the fields of that version, so a program
 * built against an older header keeps working with a newer library. A
 * version the library does not know (0, as in a struct left uninitialised,
 * or one newer than the library) gives ND_E_VERSION and writes nothing. The
 * library never changes `version`. */

/* ---- Context ----------------------------------------------------------- */
/* An nd_ctx holds the checked parameters and everything derived from them
 * (hash coefficients, the chosen SIMD kernels). Immutable after creation:
 * share it freely between threads. */
typedef struct nd_ctx nd_ctx;

/*! nd_ctx_create() :
 *  params may be NULL for the defaults; alloc may be NULL for the default
 *  allocator: malloc/free, and on Linux a mapping of its own (on 2 MiB
 *  huge pages) for blocks of 4 MiB and more.
 *  The allocator is copied and used for the context and every handle made
 *  from it. @return ND_OK and *out set, or ND_E_PARAM (see nd_params_check
 *  for the field), ND_E_NOMEM, ND_E_INVALID; *out is NULL on failure. */
ND_API int nd_ctx_create(nd_ctx **out, const nd_params *params, const nd_allocator *alloc);

/*! nd_ctx_create2() :
 *  nd_ctx_create() that also says what went wrong: on failure writes into
 *  msg (NUL-terminated, truncated to msg_size; msg may be NULL) the message
 *  of nd_params_check() for ND_E_PARAM and ND_E_VERSION, which starts with
 *  the name of the first bad field and a colon ("num_perm: must be in
 *  1..1024 (got 0)"), or a message naming the bad argument (ND_E_INVALID) or
 *  the allocation that failed (ND_E_NOMEM). On success msg is "".
 *  @return as nd_ctx_create(). */
ND_API int nd_ctx_create2(nd_ctx **out, const nd_params *params, const nd_allocator *alloc,
                          char *msg, size_t msg_size);

/*! nd_ctx_free() : frees the context; NULL is a no-op. Every handle made from
 *  it must be freed first. */
ND_API void nd_ctx_free(nd_ctx *ctx);

/*! nd_ctx_params() : copies the context's parameters into *out. */
ND_API void nd_ctx_params(const nd_ctx *ctx, nd_params *out);

/*! nd_ctx_num_perm() : K, the number of values in every signature. */
ND_API unsigned nd_ctx_num_perm(const nd_ctx *ctx);

/*! nd_ctx_isa() : the instruction set the signature kernel runs on
 *  ("avx512", "avx2" or "portable"), chosen at run time. Static string. */
ND_API const char *nd_ctx_isa(const nd_ctx *ctx);

/* ---- Signatures -------------------------------------------------------- */

/*! nd_sign_text() :
 *  Signs a whole text as one set of shingles (no segmentation): normalizes,
 *  shingles and writes K = nd_ctx_num_perm() values to out, which holds
 *  out_cap values (out[K..out_cap-1] are left alone). Text with no word gets
 *  a signature of its raw bytes, so equal texts always match.
 *  Thread-safe for a shared ctx (uses only its arguments).
 *  @return ND_OK, ND_E_INVALID, ND_E_NOMEM, ND_E_BUFFER if out_cap < K
 *  (nothing written). */
ND_API int nd_sign_text(const nd_ctx *ctx, const char *text, size_t size, uint32_t *out,
                        size_t out_cap);

/*! nd_signature_similarity() :
 *  Estimated Jaccard similarity of the two shingle sets behind signatures a
 *  and b of k values each: the share of equal positions. Values 0xFFFFFFFF
 *  (no shingle) never count as equal. Thread-safe.
 *  @return a value in [0, 1]; 0 if k is 0 or a pointer is NULL. */
ND_API double nd_signature_similarity(const uint32_t *a, const uint32_t *b, size_t k);

/*! nd_signature_similarity_bits() :
 *  Like nd_signature_similarity() for signatures whose values keep only their
 *  low `bits` bits (8, 16 or 32): the share of equal positions p is corrected
 *  for chance collisions, J = (p - 2^-bits) / (1 - 2^-bits), clamped to [0, 1]
 *  (Li and König, "b-Bit Minwise Hashing", WWW 2010, for sets small next to
 *  the hash space). bits = 32 gives nd_signature_similarity(). Thread-safe. */
ND_API double nd_signature_similarity_bits(const uint32_t *a, const uint32_t *b, size_t k,
                                           unsigned bits);

/*! nd_signature_merge() :
 *  dst[i] = min(dst[i], src[i]) for i < k: the signature of the union of two
 *  sets. A document's signature is the merge of its content paragraphs'. */
ND_API void nd_signature_merge(uint32_t *dst, const uint32_t *src, size_t k);

/* ---- Documents --------------------------------------------------------- */
typedef enum nd_kind {
    ND_KIND_CONTENT = 0,     /* original text of the document */
    ND_KIND_REPEAT = 1,      /* near-duplicate of an earlier paragraph of the same document */
    ND_KIND_BOILERPLATE = 2  /* recurs across the stories of its feed */
} nd_kind;

/*! nd_kind_name() : "content", "repeat" or "boilerplate"; static string. */
ND_API const char *nd_kind_name(nd_kind kind);

/* "No document": a collection index that names none (nd_doc_info.duplicate_of
 * of a unique document, nd_para_info.of_doc outside a collection). */
#define ND_NONE ((size_t)-1)
/* "No position in a stream": nd_stream_doc.duplicate_of of a unique
 * document, nd_para_info.of_seq outside a stream. */
#define ND_SEQ_NONE UINT64_MAX

/* What the library found out about one paragraph (see "Output structs").
 * A paragraph's family is identified by its first paragraph: `of` in the
 * document that of_doc (in a collection) or of_seq (in a stream) names. */
typedef struct nd_para_info {
    unsigned version;    /* set by the caller: ND_PARA_INFO_VERSION (ND_PARA_INFO_INIT) */
    size_t offset;       /* byte offset of the paragraph in the analyzed text */
    size_t length;       /* byte length, line terminator excluded */
    nd_kind kind;
    size_t of_doc;       /* nd_corpus_para: collection index of the document holding the
                            family's first paragraph (for content and repeats, the
                            paragraph's own document); ND_NONE from nd_doc_para and
                            nd_stream_para */
    uint64_t of_seq;     /* nd_stream_para: seq of the document holding the family's first
                            paragraph (for content and repeats, the document just added);
                            ND_SEQ_NONE from nd_doc_para and nd_corpus_para */
    size_t of;           /* index of the family's first paragraph in that document (the
                            paragraph itself for content) */
    double similarity;   /* Jaccard similarity that tied it to its family (0 for content) */
    size_t tokens;       /* number of normalized words (0 from nd_stream_para, which
                            does not keep them) */
    size_t shingles;     /* number of shingles (positions, before deduplication) */
} nd_para_info;

#define ND_PARA_INFO_VERSION 1u
#define ND_PARA_INFO_INIT { ND_PARA_INFO_VERSION, 0, 0, ND_KIND_CONTENT, 0, 0, 0, 0.0, 0, 0 }

/* An analyzed document: its paragraphs, their signatures and repeat verdicts.
 * Reusable: each nd_doc_analyze() replaces the previous result and reuses the
 * memory. One thread at a time. */
typedef struct nd_doc nd_doc;

/*! nd_doc_create() : a document handle bound to ctx (which must outlive it).
 *  @return ND_OK, ND_E_INVALID, ND_E_NOMEM; *out is NULL on failure. */
ND_API int nd_doc_create(nd_doc **out, const nd_ctx *ctx);

/*! nd_doc_free() : NULL is a no-op. */
ND_API void nd_doc_free(nd_doc *doc);

/*! nd_doc_analyze() :
 *  Segments text into paragraphs, signs each, and marks every paragraph
 *  whose Jaccard similarity with an earlier one is at or above
 *  repeat_threshold as a repeat of the first paragraph of that family.
 *  Candidates come from the signatures (LSH bands); each is then verified
 *  on the exact shingle sets, so the verdict does not depend on the seed.
 *  Any bytes are accepted (invalid UTF-8 and NUL bytes included); the text is
 *  not kept, spans refer to it. size may be 0.
 *  @return ND_OK, ND_E_INVALID, ND_E_NOMEM. After a failure the handle holds
 *  no result (nd_doc_count() is 0). */
ND_API int nd_doc_analyze(nd_doc *doc, const char *text, size_t size);

/*! nd_doc_count() : number of paragraphs of the last analyzed text. */
ND_API size_t nd_doc_count(const nd_doc *doc);

/*! nd_doc_repeats() : number of paragraphs marked as repeats. */
ND_API size_t nd_doc_repeats(const nd_doc *doc);

/*! nd_doc_seg_mode() : the mode actually used (never ND_SEG_AUTO). */
ND_API nd_seg_mode nd_doc_seg_mode(const nd_doc *doc);

/*! nd_doc_para() : copies what is known of paragraph i into *out (out->version
 *  set by the caller). @return ND_OK, ND_E_INVALID if i >= nd_doc_count(),
 *  ND_E_VERSION for an out->version this library does not know. */
ND_API int nd_doc_para(const nd_doc *doc, size_t i, nd_para_info *out);

/*! nd_doc_para_signature() : the K values of paragraph i, or NULL if i is out
 *  of range: a pointer into the handle, nothing is copied (K is
 *  nd_ctx_num_perm() of the doc's context). Valid until the next
 *  nd_doc_analyze() or nd_doc_free(). */
ND_API const uint32_t *nd_doc_para_signature(const nd_doc *doc, size_t i);

/*! nd_doc_signature() :
 *  Writes to out, which holds out_cap values, the K values of the signature
 *  of the document's content: the merge of the signatures of the paragraphs
 *  that are not repeats (all 0xFFFFFFFF for a document without content).
 *  @return ND_OK, ND_E_INVALID, ND_E_BUFFER if out_cap < K (nothing
 *  written). */
ND_API int nd_doc_signature(const nd_doc *doc, uint32_t *out, size_t out_cap);

/* A paragraph given by the caller: a byte span of its text. */
typedef struct nd_span {
    size_t offset, length;
} nd_span;

/*! nd_doc_analyze_spans() :
 *  nd_doc_analyze() for text whose paragraphs are already known (e.g. from
 *  the structure of an HTML page, nd_html_para): the `count` spans are the
 *  paragraphs, in order, not re-segmented; everything after segmentation
 *  (signatures, repeats, and what collections and streams do with the
 *  document) is as for nd_doc_analyze(). Spans must be non-empty, lie inside
 *  text and not overlap, each after the one before; nd_doc_seg_mode() then
 *  reports ND_SEG_BLOCKS. The text is not kept.
 *  @return ND_OK, ND_E_INVALID (NULL, or a span out of order or outside the
 *  text: nothing analyzed), ND_E_NOMEM, ND_E_TOO_LARGE. After a failure the
 *  handle holds no result. */
ND_API int nd_doc_analyze_spans(nd_doc *doc, const char *text, size_t size, const nd_span *spans,
                                size_t count);

/* ---- HTML ---------------------------------------------------------------- */
/* Paragraphs from the structure of an HTML page, with libxml2's HTML parser
 * (the parser lxml, and through it trafilatura and jusText, stand on; it
 * recovers from broken markup the way browsers' predecessors did and is a
 * Debian package). The payload's charset is, in this order: the one given
 * (HTTP Content-Type), a byte order mark, a <meta charset> or
 * <meta http-equiv="Content-Type"> in the first 4096 bytes; without any, UTF-8
 * when the bytes are valid UTF-8, else windows-1252 (the web's rule, which
 * also reads ISO-8859-1 and US-ASCII labels as windows-1252). It is converted
 * to UTF-8 with iconv; bytes invalid in it become U+FFFD and NUL bytes spaces.
 *
 * Block elements (p, div, li, h1-h6, td, th, tr, blockquote, pre, section,
 * article, dd, dt, figcaption, ...) and runs of two or more <br> end
 * paragraphs; inside <pre> so does a line break. <head>, script, style,
 * noscript, template, svg, iframe, select, comments and hidden elements
 * (the `hidden` attribute, aria-hidden="true", style display:none or
 * visibility:hidden) are dropped; entities are decoded and white space
 * (no-break spaces included) collapsed to one space. The extracted text is
 * the paragraphs joined by "\n\n".
 *
 * libxml2 never prints here (errors are counted by a per-parse handler), but
 * its own allocations go through its global allocator, not nd_allocator. */
typedef enum nd_landmark {
    ND_LANDMARK_NONE = 0,
    ND_LANDMARK_NAV,      /* <nav>, role="navigation" */
    ND_LANDMARK_HEADER,   /* <header>, role="banner" */
    ND_LANDMARK_FOOTER,   /* <footer>, role="contentinfo" */
    ND_LANDMARK_ASIDE,    /* <aside>, role="complementary" */
    ND_LANDMARK_MAIN,     /* <main>, role="main" */
    ND_LANDMARK_ARTICLE   /* <article>, role="article" */
} nd_landmark;

/*! nd_landmark_name() : "nav", "header", "footer", "aside", "main",
 *  "article", or NULL for ND_LANDMARK_NONE and unknown values. */
ND_API const char *nd_landmark_name(nd_landmark landmark);

/* A reusable extractor: each nd_html_parse() replaces the previous result
 * and reuses the memory. One thread at a time. */
typedef struct nd_html nd_html;

/* One paragraph of a parsed page (an output struct, see "Output structs"). */
typedef struct nd_html_para_info {
    unsigned version;       /* set by the caller: ND_HTML_PARA_INFO_VERSION (ND_HTML_PARA_INFO_INIT) */
    size_t offset, length;  /* byte span in nd_html_text() */
    size_t src_offset, src_length; /* byte span in the payload given to nd_html_parse(), from
                               the first to the last byte of its text there (markup
                               inside included) */
    nd_landmark landmark;   /* innermost landmark around its first character */
    double link_density;    /* share of its characters (white space excluded) inside <a> */
} nd_html_para_info;
#define ND_HTML_PARA_INFO_VERSION 1u
#define ND_HTML_PARA_INFO_INIT { ND_HTML_PARA_INFO_VERSION, 0, 0, 0, 0, ND_LANDMARK_NONE, 0.0 }

/*! nd_html_create() : an extractor using ctx's allocator (ctx must outlive
 *  it). The first call also initialises libxml2 (once per process).
 *  @return ND_OK, ND_E_INVALID, ND_E_NOMEM; *out is NULL on failure. */
ND_API int nd_html_create(nd_html **out, const nd_ctx *ctx);

/*! nd_html_free() : NULL is a no-op. */
ND_API void nd_html_free(nd_html *h);

/*! nd_html_parse() :
 *  Extracts the paragraphs of an HTML payload (any bytes; after transfer and
 *  content decoding). charset: the charset the HTTP header names, charset_len
 *  bytes, or NULL; an unknown one is ignored. The payload is not kept.
 *  @return ND_OK (also for a page without text: 0 paragraphs),
 *  ND_E_INVALID, ND_E_NOMEM, ND_E_TOO_LARGE (payload of 2 GiB or more).
 *  After a failure the handle holds no paragraph. */
ND_API int nd_html_parse(nd_html *h, const char *html, size_t size, const char *charset,
                         size_t charset_len);

/*! nd_html_text() : the extracted UTF-8 text (NUL-terminated; *size, which
 *  may be NULL, receives its length without the NUL). Valid until the next
 *  nd_html_parse() or nd_html_free(). Never NULL. */
ND_API const char *nd_html_text(const nd_html *h, size_t *size);

/*! nd_html_count() : number of paragraphs of the last parse. */
ND_API size_t nd_html_count(const nd_html *h);

/*! nd_html_para() : paragraph i (out->version set by the caller).
 *  @return ND_OK, ND_E_INVALID, ND_E_VERSION. */
ND_API int nd_html_para(const nd_html *h, size_t i, nd_html_para_info *out);

/*! nd_html_spans() : the paragraphs as spans of nd_html_text(), for
 *  nd_doc_analyze_spans(); nd_html_count() of them. Valid as nd_html_text(). */
ND_API const nd_span *nd_html_spans(const nd_html *h);

/*! nd_html_charset() : the charset the payload was read in, as iconv names
 *  it ("UTF-8", "WINDOWS-1252", ...); "" before any parse. Static or valid
 *  as nd_html_text(). */
ND_API const char *nd_html_charset(const nd_html *h);

/* ---- Document metadata ---------------------------------------------------- */

/*! nd_url_host() : the source a URL names: its host, lowercased, without a
 *  leading "www.", port or userinfo ("https://WWW.Example.com:8080/a" ->
 *  "example.com"). Writes it to out (not NUL-terminated), its length to
 *  *out_len (also when capacity is too small).
 *  @return ND_OK, ND_E_INVALID (NULL arguments, or no "scheme://host"),
 *  ND_E_BUFFER when capacity < *out_len. */
ND_API int nd_url_host(const char *url, size_t size, char *out, size_t capacity, size_t *out_len);

/*! nd_date_parse() : an ISO 8601 date ("2019-11-18") or date and time
 *  ("2019-11-18T09:30:00Z", "2019-11-18 09:30+02:00"; no zone = UTC;
 *  fractions of a second dropped), surrounding blanks ignored, as seconds
 *  since 1970-01-01 UTC. @return ND_OK, or ND_E_INVALID for anything else. */
ND_API int nd_date_parse(const char *text, size_t size, int64_t *out);

/* ---- Collections: boilerplate and syndicated copies -------------------- */

/* What the library found out about one document of a collection (see
 * "Output structs"). */
typedef struct nd_doc_info {
    unsigned version;      /* set by the caller: ND_DOC_INFO_VERSION (ND_DOC_INFO_INIT) */
    size_t paragraphs, repeats, boilerplate;
    size_t duplicate_of;   /* the earlier document it copies (most similar), or ND_NONE */
    double similarity;     /* estimated Jaccard similarity of content with duplicate_of */
    double containment;    /* share of the smaller one's content found in the other */
    size_t cluster;        /* representative of its cluster of copies (itself if unique):
                              the earliest dated (nd_corpus_set_date), else the first */
    size_t site;           /* first document of the site it was taken for: min_stories or
                              more pages of its source sharing a template (header and
                              footer) around stories of their own; ND_NONE when it is
                              tied to no such site (judged with its source's other such
                              pages) */
} nd_doc_info;

#define ND_DOC_INFO_VERSION 1u
#define ND_DOC_INFO_INIT { ND_DOC_INFO_VERSION, 0, 0, 0, 0, 0.0, 0.0, 0, 0 }

/* A collection of analyzed documents. Documents are added in input order
 * (their index is that order, from 0); nd_corpus_finish() then runs the
 * passes (see README "How it decides"):
 *   1. paragraph families: near-duplicate paragraphs across documents (of one
 *      source, or of all with ND_SCOPE_ALL), through an LSH index of roots;
 *   2. sites: pages of a source that share a template (several families at
 *      both ends, a middle of their own each); pages tied to fewer than
 *      min_stories pages form their source's pool;
 *   3. boilerplate candidates: families in min_stories or more documents,
 *      left out of 4 where they recur in min_stories pages of one site;
 *   4. stories: document signatures from content only (no repeats, no
 *      candidates); copies by similarity or containment, clustered through
 *      each cluster's representative (the earliest dated, else first);
 *   5. boilerplate confirmed: candidate families in min_stories or more
 *      distinct stories of a site (pooled pages also take the verdicts
 *      their families have in sites); then 4 again with the confirmed set.
 * The corpus keeps per paragraph its span, signature (2 bytes per value with
 * sig_bits 32, see nd_corpus_set_exact; 4 otherwise) and its verdict; per
 * document its id, source and signature; never the text. bench/RESULTS.md
 * gives the measured bytes per paragraph.
 * One thread at a time (see nd_corpus_set_threads for finish). */
typedef struct nd_corpus nd_corpus;

/*! nd_corpus_create() : an empty collection bound to ctx (must outlive it).
 *  @return ND_OK, ND_E_INVALID, ND_E_NOMEM. */
ND_API int nd_corpus_create(nd_corpus **out, const nd_ctx *ctx);

/*! nd_corpus_free() : NULL is a no-op. */
ND_API void nd_corpus_free(nd_corpus *c);

/*! nd_corpus_add() :
 *  Copies what the collection needs of an analyzed document (spans,
 *  signatures, repeat verdicts), with its id and source (any bytes; copied).
 *  doc must come from a ctx with the same K, w and seed (else
 *  ND_E_PARAM_MISMATCH). *out_index (may be NULL) receives the document's
 *  index. @return ND_OK, ND_E_INVALID, ND_E_NOMEM, ND_E_STATE after
 *  nd_corpus_finish(), ND_E_TOO_LARGE past 2^32-1 paragraphs. */
ND_API int nd_corpus_add(nd_corpus *c, const nd_doc *doc, const char *id, size_t id_len,
                         const char *source, size_t source_len, size_t *out_index);

/* A paragraph known only by its signature (e.g. read back from a store). */
typedef struct nd_para_sig {
    size_t offset, length;      /* span in the document's text */
    nd_kind kind;               /* ND_KIND_CONTENT or ND_KIND_REPEAT (as analyzed) */
    size_t of;                  /* for a repeat: index of its root in the document */
    size_t shingles;            /* nd_para_info.shingles */
    size_t tokens;              /* nd_para_info.tokens */
    const uint32_t *signature;  /* K values, as nd_doc_para_signature() gave them */
    double similarity;          /* for a repeat: nd_para_info.similarity */
} nd_para_sig;

/*! nd_corpus_add_signed() :
 *  Adds a document from its paragraphs' signatures alone, in place of an
 *  analyzed nd_doc: a stored document takes part in the passes like one
 *  added with nd_corpus_add(). The arrays are copied. `signature` (K values,
 *  may be NULL) is the document's content signature as computed when it was
 *  indexed; when given it is used as is (as codes in a collection that
 *  keeps codes: nd_corpus_set_exact), because signatures cut to sig_bits
 *  bits cannot be merged again (the minimum of cut values is not the cut of
 *  the minimum). Copies are found through paragraphs either way.
 *  @return as nd_corpus_add(); ND_E_INVALID for a repeat whose `of` is not an
 *  earlier paragraph. */
ND_API int nd_corpus_add_signed(nd_corpus *c, const char *id, size_t id_len, const char *source,
                                size_t source_len, const nd_para_sig *paras, size_t count,
                                const uint32_t *signature, size_t *out_index);

/*! nd_corpus_set_exact() :
 *  A collection whose ctx compares values on all 32 bits (sig_bits 32) keeps
 *  each paragraph's values as 16-bit order-keeping codes: half the memory,
 *  and a Jaccard estimate that differs from the values' only where two
 *  different minima share a code (about 1 in 16,000 per value; see
 *  bench/RESULTS.md). exact != 0 keeps the 32-bit values instead, which
 *  nd_store_append_corpus() needs for a store of sig_bits 32. Collections of
 *  sig_bits 8 or 16 always keep values. Call before the first add.
 *  @return ND_OK, ND_E_INVALID, ND_E_STATE once a document was added. */
ND_API int nd_corpus_set_exact(nd_corpus *c, int exact);

/*! nd_corpus_set_threads() : nd_corpus_finish() may use up to `threads`
 *  threads (default 1: the caller's only), started and joined within the
 *  call, for the parts of its passes that split: the LSH chains (by band),
 *  document signatures and the copy scans (matches and judgements, by
 *  blocks of documents). The rest of finish (families, sites, the unions
 *  of copies) is sequential.
 *  The verdicts are the same for any value; the allocator must then be
 *  thread-safe (see nd_allocator). @return ND_OK, ND_E_INVALID for 0 or
 *  NULL. */
ND_API int nd_corpus_set_threads(nd_corpus *c, unsigned threads);

/*! nd_corpus_finish() : runs the passes. Call once, after the last add.
 *  @return ND_OK, ND_E_NOMEM, ND_E_STATE if already finished. */
ND_API int nd_corpus_finish(nd_corpus *c);

/*! nd_corpus_count() : number of documents added. */
ND_API size_t nd_corpus_count(const nd_corpus *c);

/*! nd_corpus_doc() : the verdict on document i (after finish), out->version
 *  set by the caller. @return ND_OK, ND_E_INVALID, ND_E_STATE before finish,
 *  ND_E_VERSION for an out->version this library does not know. */
ND_API int nd_corpus_doc(const nd_corpus *c, size_t i, nd_doc_info *out);

/*! nd_corpus_doc_id() : the id given to nd_corpus_add, not NUL-terminated;
 *  valid while the corpus lives. @return ND_OK or ND_E_INVALID. */
ND_API int nd_corpus_doc_id(const nd_corpus *c, size_t i, const char **out, size_t *out_len);

/*! nd_corpus_set_date() : the date document i was published, in seconds
 *  since 1970-01-01 UTC (nd_date_parse reads ISO 8601). Before finish. The
 *  earliest dated document of a cluster is its representative (its
 *  `cluster`); input order breaks ties, and is the rule for documents
 *  without a date, which come after dated ones.
 *  @return ND_OK, ND_E_INVALID, ND_E_STATE after finish. */
ND_API int nd_corpus_set_date(nd_corpus *c, size_t i, int64_t date);

/*! nd_corpus_doc_source() : the source given to nd_corpus_add, not
 *  NUL-terminated; valid while the corpus lives. Each source is kept once,
 *  told apart from the others by a 64-bit hash of its bytes.
 *  @return ND_OK or ND_E_INVALID. */
ND_API int nd_corpus_doc_source(const nd_corpus *c, size_t i, const char **out, size_t *out_len);

/*! nd_corpus_para() : paragraph j of document i, with its final kind (after
 *  finish; before, the kinds of nd_doc_analyze); out->version set by the caller.
 *  @return ND_OK, ND_E_INVALID, ND_E_VERSION (as nd_doc_para). */
ND_API int nd_corpus_para(const nd_corpus *c, size_t i, size_t j, nd_para_info *out);

/* ---- Streams: labels on arrival, bounded memory ---------------------- */

/* A live feed: each document is labelled when it is added, from what came
 * before it (and itself) only, and memory stays bounded: the stream keeps
 * the last `window` documents, in two generations of window/2; when the
 * newer one fills, the older is forgotten. A paragraph family that recurs in
 * the newer generation carries its counts over, so chrome that keeps
 * recurring is never forgotten; a copy is found only while its original is
 * in the window. Differences from nd_corpus: boilerplate needs min_stories
 * distinct stories before the paragraph (this one included), so its first
 * occurrences are content; clusters never merge after the fact (a document
 * joins the earliest cluster it copies). One thread at a time. */
typedef struct nd_stream nd_stream;

/* What nd_stream_add() decided about the document just added (see "Output
 * structs"). Pointers are valid until the next nd_stream_add() or
 * nd_stream_free(). */
typedef struct nd_stream_doc {
    unsigned version;          /* set by the caller: ND_STREAM_DOC_VERSION (ND_STREAM_DOC_INIT) */
    uint64_t seq;              /* 0-based position of the document in the stream */
    size_t paragraphs, repeats, boilerplate;
    uint64_t duplicate_of;     /* seq of the document it copies, or ND_SEQ_NONE */
    const char *duplicate_id;  /* its id (NULL when unique) */
    size_t duplicate_id_len;
    double similarity, containment;
    uint64_t cluster;          /* seq of the earliest document of its cluster */
    const char *cluster_id;    /* its id */
    size_t cluster_id_len;
    const char *site_id;       /* id of the first document of the site it was taken for (as
                                  nd_doc_info.site), NULL when it is tied to no earlier page */
    size_t site_id_len;
} nd_stream_doc;

#define ND_STREAM_DOC_VERSION 1u
#define ND_STREAM_DOC_INIT \
    { ND_STREAM_DOC_VERSION, 0, 0, 0, 0, 0, NULL, 0, 0.0, 0.0, 0, NULL, 0, NULL, 0 }

/*! nd_stream_create() : window >= 2 documents (0 for 20000). Memory grows
 *  with the window: per document, its paragraphs' signatures, spans and
 *  index entries, in index tables that grow by doubling (figures in
 *  bench/RESULTS.md, "--stream"). @return ND_OK, ND_E_INVALID, ND_E_NOMEM. */
ND_API int nd_stream_create(nd_stream **out, const nd_ctx *ctx, size_t window);

/*! nd_stream_free() : NULL is a no-op. */
ND_API void nd_stream_free(nd_stream *s);

/*! nd_stream_add() : adds an analyzed document and labels it; *out (may be
 *  NULL; out->version set by the caller) receives the verdict. @return ND_OK,
 *  ND_E_INVALID, ND_E_NOMEM, ND_E_TOO_LARGE, ND_E_VERSION for an out->version
 *  this library does not know (checked first: the document is then not
 *  added). After an error the stream is unchanged. */
ND_API int nd_stream_add(nd_stream *s, const nd_doc *doc, const char *id, size_t id_len,
                         const char *source, size_t source_len, nd_stream_doc *out);

/*! nd_stream_para() : paragraph j of the document just added (out->version
 *  set by the caller). out->of_seq is the seq of the document holding the
 *  family's first paragraph (for boilerplate, its first occurrence; else
 *  the document just added) and *of_id (may be NULL) receives that
 *  document's id, valid until the next add. @return ND_OK, ND_E_INVALID,
 *  ND_E_VERSION (as nd_doc_para). */
ND_API int nd_stream_para(const nd_stream *s, size_t j, nd_para_info *out, const char **of_id,
                          size_t *of_id_len);

/* ---- Signature store (docs/FORMAT.md) --------------------------------- */
/* A store keeps, per document, its id, source, time of indexing, content
 * signature and paragraph signatures: never the text. Documents are appended
 * to a file in checksummed, compressed blocks; a commit makes them durable,
 * and a crash at any moment leaves every committed document readable.
 * Loading a store into an nd_corpus lets new documents be compared with
 * everything indexed before (see nd_store_load_into).
 *
 * Threading: one thread at a time per handle. Any number of read-only
 * handles, in any processes, may read a file while one appender writes it;
 * a second appender, in this process or another, is refused (ND_E_LOCKED).
 * That refusal relies on Linux's open-file-description locks: elsewhere it is
 * untested and known to be weaker (README "Platforms"). */
typedef struct nd_store nd_store;

/* The store format versions this library writes and reads (docs/FORMAT.md). */
#define ND_STORE_WRITE_VERSION 2
#define ND_STORE_READ_VERSION 2

typedef enum nd_store_mode {
    ND_STORE_READ = 0,   /* read-only; the file must exist; takes no lock */
    ND_STORE_APPEND = 1, /* read-write; the file must exist */
    ND_STORE_CREATE = 2, /* read-write; an absent (or empty) file is created */
    ND_STORE_RECOVER = 3 /* locked like an appender, for nd_store_recover() only; ctx may be
                            NULL; opens a store whose committed data is missing or damaged */
} nd_store_mode;

/* One stored document, as nd_store_get() gives it back. */
typedef struct nd_store_record {
    const char *id;             /* not NUL-terminated */
    size_t id_len;
    const char *source;         /* not NUL-terminated */
    size_t source_len;
    int64_t time;               /* time of indexing as given, e.g. seconds since 1970 UTC */
    const nd_para_sig *paras;   /* its paragraphs, in text order */
    size_t count;               /* number of paragraphs */
    const uint32_t *signature;  /* K values: the content signature at indexing */
} nd_store_record;

/* What a store holds, from its header and last commit (an output struct:
 * see "Output structs"). */
typedef struct nd_store_info {
    unsigned version;        /* set by the caller: ND_STORE_INFO_VERSION (ND_STORE_INFO_INIT) */
    unsigned write_version;  /* format versions found in the file (docs/FORMAT.md) */
    unsigned read_version;
    unsigned normalization_version; /* of the stored signatures (nd_normalization_version) */
    unsigned hash_scheme, minhash_scheme; /* how they were computed (docs/FORMAT.md) */
    int read_only;           /* 1 when opened ND_STORE_READ or written by a newer format */
    uint64_t documents;      /* committed documents */
    uint64_t paragraphs;     /* their paragraphs */
    uint64_t text_bytes;     /* sum over documents of the end of their last paragraph */
    uint64_t file_bytes;     /* bytes up to the end of the last commit */
    uint64_t blocks;         /* committed record blocks */
    uint64_t torn_bytes;     /* bytes after the last commit, ignored (an appender cuts them) */
    uint64_t commit;         /* sequence number of the commit in use (0 = never committed) */
    int recovered;           /* 1 when a commit record was damaged or points past the end
                                of the file, so that an earlier one may be in use */
    int needs_recovery;      /* 1 when committed data is missing, or may lie after the commit in
                                use (a damaged commit record): nd_store_verify() fails, appenders
                                refuse the file, and nd_store_recover() keeps what is intact */
    uint64_t lost_documents; /* documents the newest commit counts that are nowhere intact */
    uint64_t salvageable_documents; /* documents in intact frames after the commit in use */
} nd_store_info;
#define ND_STORE_INFO_VERSION 1u
#define ND_STORE_INFO_INIT { ND_STORE_INFO_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

/* What a full verification found (nd_store_verify; an output struct). */
typedef struct nd_store_stats {
    unsigned version;           /* set by the caller: ND_STORE_STATS_VERSION (ND_STORE_STATS_INIT) */
    uint64_t blocks;
    uint64_t compressed_bytes;  /* the blocks' records as stored (zlib) */
    uint64_t raw_bytes;         /* the same, inflated */
    uint64_t signature_bytes;   /* the blocks' signature sections (stored as they are) */
    uint64_t documents, paragraphs;
    uint64_t signatures_stored;     /* distinct signatures written out in full */
    uint64_t signatures_referenced; /* signatures stored as a reference to an earlier one */
} nd_store_stats;
#define ND_STORE_STATS_VERSION 1u
#define ND_STORE_STATS_INIT { ND_STORE_STATS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0 }

/*! nd_store_open() :
 *  Opens the store file at `path`. With ND_STORE_APPEND or ND_STORE_CREATE,
 *  ctx is required and its parameters must be those of the file (else
 *  ND_E_PARAM_MISMATCH, the message naming the parameter); the file is locked
 *  against other appenders (ND_E_LOCKED if one holds it) and a torn tail
 *  left by a crash before a commit is cut off; a store whose committed data
 *  is missing or damaged (nd_store_info.needs_recovery) is refused
 *  (ND_E_CORRUPT; see nd_store_recover). A new file takes ctx's parameters,
 *  as does what a crash during creation left (docs/FORMAT.md). With
 *  ND_STORE_READ, ctx may be NULL: the file's parameters are used (see
 *  nd_store_params) with the default allocator; a file written by a newer
 *  format version (higher write version) opens read-only in every mode.
 *  Like sqlite3_open(), *out is set even on failure (unless out of memory)
 *  so that nd_store_errmsg() can tell what went wrong; close it.
 *  @return ND_OK, ND_E_INVALID, ND_E_NOMEM, ND_E_IO (missing or unreadable
 *  file), ND_E_CORRUPT (not a store, or a structural check failed),
 *  ND_E_CHECKSUM, ND_E_VERSION (needs a newer reader, or ND_STORE_APPEND on a
 *  newer format), ND_E_PARAM_MISMATCH, ND_E_LOCKED. */
ND_API int nd_store_open(nd_store **out, const char *path, nd_store_mode mode, const nd_ctx *ctx);

/*! nd_store_close() : closes the file and releases the lock. Documents
 *  appended since the last nd_store_commit() are discarded. NULL is a no-op. */
ND_API void nd_store_close(nd_store *s);

/*! nd_store_errmsg() : an English message about the handle's last failure,
 *  naming the file and, for ND_E_PARAM_MISMATCH, the parameter; or about a
 *  recovery done when opening ("... torn tail of N bytes ignored"); "" when
 *  there is none. Valid until the next call on the handle. Never NULL. */
ND_API const char *nd_store_errmsg(const nd_store *s);

/*! nd_store_params() : the file's parameters: its signature parameters
 *  (seg_mode, shingle_size, num_perm, seed, sig_bits, minhash_scheme) and advisory LSH bands
 *  and rows; the other fields at their defaults. @return ND_OK, ND_E_INVALID,
 *  ND_E_STATE for a handle whose open failed. */
ND_API int nd_store_params(const nd_store *s, nd_params *out);

/*! nd_store_describe() : fills *out (see nd_store_info), whose version the
 *  caller set. @return as nd_store_params; ND_E_VERSION for a version this
 *  library does not know. */
ND_API int nd_store_describe(const nd_store *s, nd_store_info *out);

/*! nd_store_compatible() : whether the signatures of s and other can be
 *  compared: ND_OK, or ND_E_PARAM_MISMATCH with s's message naming the first
 *  differing parameter (hash_scheme, minhash_scheme, seed, num_perm,
 *  shingle_size, normalization_version, seg_mode or sig_bits). */
ND_API int nd_store_compatible(nd_store *s, const nd_store *other);

/*! nd_store_append_doc() :
 *  Appends an analyzed document (doc from a ctx with the store's parameters):
 *  its paragraphs (nd_doc_para, nd_doc_para_signature), its content
 *  signature (nd_doc_signature), id and source (any bytes, at most 1 MiB
 *  each) and `time`. Signatures are stored with sig_bits bits per value.
 *  The document is durable only after nd_store_commit().
 *  @return ND_OK, ND_E_INVALID, ND_E_STATE (read-only or failed handle),
 *  ND_E_PARAM_MISMATCH (doc analyzed with another num_perm, shingle_size or
 *  seed than the store's: nothing is written),
 *  ND_E_TOO_LARGE (a document whose record exceeds 64 MiB), ND_E_NOMEM,
 *  ND_E_IO (the handle then refuses further appends; committed data is
 *  intact). */
ND_API int nd_store_append_doc(nd_store *s, const nd_doc *doc, const char *id, size_t id_len,
                               const char *source, size_t source_len, int64_t time);

/*! nd_store_append_corpus() :
 *  Appends every document of a finished collection (nd_corpus_finish; made
 *  with a ctx of the store's parameters), in order, each with the content
 *  signature the collection judged: its paragraphs that are neither repeats
 *  nor boilerplate. Queries and comparisons then weigh a stored document's
 *  content as a scan would, where nd_store_append_doc() can only store the
 *  signature of every paragraph but repeats (a document alone cannot tell its
 *  chrome). Not committed. @return as nd_store_append_doc(); ND_E_STATE for a
 *  collection not finished, or one of sig_bits 32 that kept codes (see
 *  nd_corpus_set_exact); ND_E_PARAM_MISMATCH for other parameters. */
ND_API int nd_store_append_corpus(nd_store *s, const nd_corpus *c, int64_t time);

/*! nd_store_append_record() : like nd_store_append_doc() for a document
 *  known by its signatures, e.g. a record of another store (merge, prune).
 *  Paragraph kinds must be content or repeat, a repeat's `of` an earlier
 *  content paragraph and its similarity in [0, 1]; offsets, lengths, tokens
 *  and shingles below 2^32 (else ND_E_INVALID, ND_E_TOO_LARGE). The record
 *  is copied. @return as above. */
ND_API int nd_store_append_record(nd_store *s, const nd_store_record *rec);

/*! nd_store_commit() : writes the pending block, flushes it to stable
 *  storage (fsync), then records the commit, flushed too. On return every
 *  appended document survives a crash. @return ND_OK, ND_E_STATE, ND_E_IO. */
ND_API int nd_store_commit(nd_store *s);

/*! nd_store_count() : number of committed documents (0 for NULL). */
ND_API size_t nd_store_count(const nd_store *s);

/*! nd_store_get() : committed document i (0-based, in order of appending).
 *  Reads and checks the block holding it unless it is the block read last,
 *  so reading in order inflates each block once (and the previous block's
 *  signatures, when the block references them: read in order, they are
 *  already there). The record's pointers are
 *  valid until the next nd_store_get(), nd_store_load_into(),
 *  nd_store_verify() or nd_store_close() on the handle.
 *  On failure *out is zeroed.
 *  @return ND_OK, ND_E_INVALID (i out of range), ND_E_NOMEM, ND_E_IO,
 *  ND_E_CHECKSUM, ND_E_CORRUPT. */
ND_API int nd_store_get(nd_store *s, size_t i, nd_store_record *out);

/*! nd_store_load_into() :
 *  Adds every committed document to c with nd_corpus_add_signed(), in order
 *  (so they take corpus indices n..n+count-1 after the n documents already in
 *  c). With sig_bits 8 or 16 the stored content signature is passed along
 *  (cut values cannot be merged again); with 32 the collection recomputes it
 *  from the paragraphs, as for new documents. c's context must have the
 *  store's parameters (ND_E_PARAM_MISMATCH, naming the parameter).
 *  Boilerplate and copies are then found by nd_corpus_finish() with the
 *  knowledge of everything in c. @return as nd_store_get, nd_corpus_add_signed. */
ND_API int nd_store_load_into(nd_store *s, nd_corpus *c);

/* Loading only what can matter to a few documents (`neardup query`): a
 * probe holds the signatures of the documents to judge; nd_store_load_probed()
 * streams the store's blocks once or twice and adds to a collection only the
 * stored documents that can change their verdicts, instead of every one:
 *  1. those with a paragraph or content signature near one of the probe's
 *     (estimated Jaccard similarity at least 0.15, found by banding), and
 *  2. those with a paragraph near a paragraph of a document found in 1, so
 *     that the paragraphs of the documents found in 1 are judged (content or
 *     boilerplate) as they would be with everything loaded.
 * Through any one band at most `per_key` documents are taken, the earliest:
 * a paragraph recurring on thousands of pages (a feed's chrome) needs only
 * min_stories distinct stories to be boilerplate, and its family's first
 * occurrence is the earliest. Verdicts on the probe's documents are those of
 * nd_store_load_into() except when what decides them lies further (three
 * documents or more away), or beyond a band's `per_key` earliest documents:
 * then duplicate_of is the most similar of the copies loaded, not of all. */
typedef struct nd_store_probe nd_store_probe;

/*! nd_store_probe_create() : an empty probe for documents of ctx (which must
 *  outlive it and have the store's parameters). per_key: documents taken
 *  through one band at most; 0 for the default, 16 × min_stories and at
 *  least 64. @return ND_OK, ND_E_INVALID, ND_E_NOMEM; *out NULL on failure. */
ND_API int nd_store_probe_create(nd_store_probe **out, const nd_ctx *ctx, size_t per_key);

/*! nd_store_probe_free() : NULL is a no-op. */
ND_API void nd_store_probe_free(nd_store_probe *p);

/*! nd_store_probe_add() : adds an analyzed document (its paragraphs'
 *  signatures and its content signature; the document is not kept).
 *  @return ND_OK, ND_E_INVALID, ND_E_PARAM_MISMATCH (doc analyzed with
 *  another num_perm, shingle_size or seed than the probe's ctx), ND_E_NOMEM, ND_E_TOO_LARGE past 2^31
 *  signatures. */
ND_API int nd_store_probe_add(nd_store_probe *p, const nd_doc *doc);

/*! nd_store_load_probed() :
 *  Like nd_store_load_into(), for the stored documents the probe selects
 *  (see above), in store order. *out_loaded (may be NULL) receives their
 *  number. The probe gains the paragraphs of the documents of step 1 (it is
 *  spent: use it for one store). @return as nd_store_load_into(). */
ND_API int nd_store_load_probed(nd_store *s, nd_corpus *c, nd_store_probe *p, size_t *out_loaded);

/*! nd_store_verify() : reads every committed block, checks every checksum
 *  and structural rule and the commit's totals. out (may be NULL; its
 *  version set by the caller) receives what was found. A store whose
 *  committed data is missing or may lie after the commit in use
 *  (nd_store_info.needs_recovery) fails with ND_E_CORRUPT, the message
 *  saying how many documents. @return ND_OK or the first problem
 *  (ND_E_CHECKSUM, ND_E_CORRUPT, ND_E_IO, ND_E_NOMEM, ND_E_VERSION),
 *  described by nd_store_errmsg(). */
ND_API int nd_store_verify(nd_store *s, nd_store_stats *out);

/*! nd_store_recover() : on a handle opened with ND_STORE_RECOVER, rolls
 *  forward over the frames after the commit in use that pass their checksums
 *  and parse (the documents a damaged commit record may have committed),
 *  writes a commit naming them, and cuts the file after them. The only call
 *  that removes frames: keep a copy of the file first (`neardup recover`
 *  does). Nothing to do is ND_OK. nd_store_describe() then tells the
 *  result. @return ND_OK, ND_E_STATE (another mode), ND_E_IO, ND_E_NOMEM. */
ND_API int nd_store_recover(nd_store *s);

/* ---- Shard keys (for judging a collection in pieces: docs/DISTRIBUTED.md) ---- */

/*! nd_shard_key_bound() : the most keys nd_shard_doc_keys() gives for a
 *  document of `count` paragraphs under ctx (0 for a NULL ctx). */
ND_API size_t nd_shard_key_bound(const nd_ctx *ctx, size_t count);

/*! nd_shard_doc_keys() :
 *  The LSH buckets through which nd_corpus_finish() can make this document
 *  (given as for nd_corpus_add_signed()) interact with others, as 64-bit
 *  values (chain kind, band, key) in out[0 .. *out_count-1], duplicates
 *  included. Documents that share no bucket, directly or through other
 *  documents, get the same verdicts whether judged together or apart: a
 *  collection may be judged one connected component at a time. Keys depend
 *  on ctx's parameters; compare only keys of one ctx. With sig_bits 32 they
 *  are those of the values' 16-bit codes, which a collection keeps by
 *  default (nd_corpus_set_exact): for an exact collection they may join a
 *  few more documents than it would, never fewer. Thread-safe.
 *  @return ND_OK, ND_E_INVALID, ND_E_BUFFER when cap is below
 *  nd_shard_key_bound() (*out_count then receives it). */
ND_API int nd_shard_doc_keys(const nd_ctx *ctx, const char *source, size_t source_len,
                             const nd_para_sig *paras, size_t count, uint64_t *out, size_t cap,
                             size_t *out_count);

/*! nd_shard_para_keys() :
 *  Per paragraph of a document (given as for nd_corpus_add_signed()), the
 *  chain buckets nd_corpus_finish() files it under: with kinds & 1 its
 *  family buckets (kind 1 of nd_shard_doc_keys(); none for a repeat), with
 *  kinds & 2 its copy buckets (kind 2; none for a repeat or a paragraph
 *  without a full shingle). buckets[i] is a bucket and para[i] the index in
 *  the document of the paragraph holding it, in paragraph order, then kind,
 *  then band; cap as for nd_shard_doc_keys(). A chain of nd_corpus_finish()
 *  is the paragraphs holding one bucket, in collection order.
 *  @return ND_OK, ND_E_INVALID, ND_E_BUFFER. */
ND_API int nd_shard_para_keys(const nd_ctx *ctx, const char *source, size_t source_len,
                              const nd_para_sig *paras, size_t count, unsigned kinds, uint64_t *buckets,
                              uint32_t *para, size_t cap, size_t *out_count);

/*! nd_shard_chain_limits() : what a chain walk of nd_corpus_finish() takes
 *  for one paragraph: the *steps latest earlier members of each of its
 *  buckets, band after band, each paragraph once, at most *verify in all.
 *  Either pointer may be NULL. */
ND_API void nd_shard_chain_limits(unsigned *steps, unsigned *verify);

/*! nd_shard_para_similarity() : the Jaccard estimate of two paragraphs'
 *  signatures (K values) as a collection makes it: on their 16-bit codes at
 *  sig_bits 32 (nd_corpus_set_exact()), else on the values' low bits. 0 on
 *  a NULL argument. */
ND_API double nd_shard_para_similarity(const nd_ctx *ctx, const uint32_t *a, const uint32_t *b);

/*! nd_shard_family_match() :
 *  The paragraph whose family a paragraph of signature sig joins, among n
 *  candidates (cand[i]: their signatures, in the order of its chain walk,
 *  those of another scope left out): the first of the most similar at
 *  repeat_threshold or above, compared as a collection compares them
 *  (16-bit codes at sig_bits 32, see nd_corpus_set_exact()). It joins the
 *  family of that candidate's family. @return the candidate's index, or -1
 *  when sig starts a family of its own (or on a NULL argument). */
ND_API long nd_shard_family_match(const nd_ctx *ctx, const uint32_t *sig, const uint32_t *const *cand,
                                  size_t n);

/* A page as site inference reads it (nd_shard_page_edges, nd_shard_site_pair):
 * per paragraph, in order, its family (any numbering shared by the pages
 * compared, e.g. nd_corpus_para_family's first paragraph), its shingles,
 * and whether it is a repeat inside the page. */
typedef struct nd_page_seq {
    const uint32_t *fam;
    const uint32_t *shingles;
    const unsigned char *repeat;
    size_t n;
} nd_page_seq;

/*! nd_shard_site_limits() : the constants of site inference: a page's edge
 *  is its first or last *edge non-repeat paragraphs; each of its edge
 *  families is checked against the *peers latest earlier pages holding the
 *  same family at the same end; two pages are candidates for one site when
 *  they share *match families at each end. Any pointer may be NULL. */
ND_API void nd_shard_site_limits(unsigned *edge, unsigned *peers, unsigned *match);

/*! nd_shard_page_edges() : the families at a page's edges, each once per
 *  end: fam[i], end[i] (0 top, 1 bottom), room for 2 * edge entries
 *  (nd_shard_site_limits). @return how many (0 on a NULL argument). */
ND_API size_t nd_shard_page_edges(const nd_page_seq *page, uint32_t *fam, unsigned char *end);

/*! nd_shard_site_pair() : whether two candidate pages (see
 *  nd_shard_site_limits; of one source) are taken for one site: each keeps
 *  enough shingles of its own between the first and the last paragraph
 *  whose family the other holds, as nd_corpus_finish() decides (*linked).
 *  Sites are the connected components of such pairs, each named by its
 *  first page. Scratch comes from ctx's allocator.
 *  @return ND_OK, ND_E_INVALID, ND_E_NOMEM. */
ND_API int nd_shard_site_pair(const nd_ctx *ctx, const nd_page_seq *d, const nd_page_seq *e, int *linked);

/*! nd_shard_doc_signatures() : a document's two signatures as
 *  nd_corpus_finish() makes them: `page` merges every paragraph but
 *  repeats; `content` merges those not excluded[j] either (the page's when
 *  none is left), and *content_shingles counts the shingles of its
 *  paragraphs that have a full shingle. K values each. @return ND_OK,
 *  ND_E_INVALID. */
ND_API int nd_shard_doc_signatures(const nd_ctx *ctx, const nd_para_sig *paras, size_t count,
                                   const unsigned char *excluded, uint32_t *content, uint32_t *page,
                                   uint64_t *content_shingles);

/*! nd_shard_same_page() : the Jaccard estimate of two page signatures at
 *  which nd_corpus_finish() takes two pages for one story (their page
 *  buckets are kind 3 of nd_shard_doc_keys(); a page's candidates are the
 *  `steps` latest earlier pages of each bucket, nd_shard_chain_limits()). */
ND_API double nd_shard_same_page(void);

/* A paragraph as the copy pass reads it. */
typedef struct nd_shard_para {
    uint64_t para;              /* collection-wide number */
    uint64_t doc;               /* its document's */
    uint64_t shingles;
    const uint32_t *signature;  /* K values */
} nd_shard_para;

/* An earlier document that a document's paragraphs matched, with what the
 * two share through those matches (content shingles of each side). */
typedef struct nd_shard_touch {
    uint64_t doc;
    uint64_t shared_d, shared_e;
    uint32_t last;              /* the library's bookkeeping */
} nd_shard_touch;

/*! nd_shard_copy_touches() :
 *  The earlier documents a document (number doc) touches in the copy pass,
 *  in the order touched, with their shares: paras[0..n-1] are its
 *  paragraphs that count toward copies (neither repeat nor excluded, with
 *  a full shingle), in order; the candidates of paras[i] are
 *  cands[cand_end[i-1] .. cand_end[i]-1] (cand_end[-1] = 0), those of its
 *  copy chain walk that count in the same pass, in the walk's order, each
 *  once, at most `verify` (nd_shard_chain_limits()). out: room for cap (the
 *  candidates suffice). @return ND_OK, ND_E_INVALID, ND_E_BUFFER,
 *  ND_E_NOMEM. */
ND_API int nd_shard_copy_touches(const nd_ctx *ctx, uint64_t doc, const nd_shard_para *paras, size_t n,
                                 const size_t *cand_end, const nd_shard_para *cands, nd_shard_touch *out,
                                 size_t cap, size_t *count);

/* A document as its judgement reads it. */
typedef struct nd_shard_doc {
    uint64_t doc;
    uint64_t content_shingles;   /* nd_shard_doc_signatures() */
    const uint32_t *content;     /* its content signature, K values */
    const nd_shard_para *paras;  /* its paragraphs that count toward copies, in order: needed
                                    for the document judged, and for a touched one only where
                                    nd_shard_copy_aligns() says so */
    size_t n;
} nd_shard_doc;

/*! nd_shard_copy_aligns() : which of the n touched documents e[i] (t[i],
 *  from nd_shard_copy_touches()) the judgement of d compares paragraph by
 *  paragraph (align[i] = 1): those need their paragraphs in
 *  nd_shard_copy_judge(). @return ND_OK, ND_E_INVALID, ND_E_NOMEM. */
ND_API int nd_shard_copy_aligns(const nd_ctx *ctx, const nd_shard_doc *d, const nd_shard_touch *t,
                                const nd_shard_doc *e, size_t n, unsigned char *align);

/*! nd_shard_copy_judge() : the judgement of document d against the
 *  documents it touched, as nd_corpus_finish() makes it: copy[i] whether d
 *  copies e[i]; *dup_of the one it copies most (UINT64_MAX for none), with
 *  the content estimate *sim and containment *cont. @return ND_OK,
 *  ND_E_INVALID (a needed paragraph list missing), ND_E_NOMEM. */
ND_API int nd_shard_copy_judge(const nd_ctx *ctx, const nd_shard_doc *d, const nd_shard_touch *t,
                               const nd_shard_doc *e, size_t n, unsigned char *copy, uint64_t *dup_of,
                               double *sim, double *cont);

/*! nd_corpus_para_family() : after nd_corpus_finish(), the first paragraph
 *  of the family of paragraph j of document i, whatever its kind: document
 *  *doc, paragraph *para (itself when it starts its family; a repeat is in
 *  the family of the paragraph it repeats). @return ND_OK, ND_E_INVALID,
 *  ND_E_STATE before finish. */
ND_API int nd_corpus_para_family(const nd_corpus *c, size_t i, size_t j, size_t *doc, size_t *para);

#if defined(__cplusplus)
}
#endif
#endif /* NEARDUP_H */
