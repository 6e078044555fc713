/*
 * What the parts of the signature store share (store.c, store_io.c,
 * store_write.c, store_read.c, store_probe.c): the handle and the functions
 * one part calls in another. Nothing here is API, nor for the tests (they
 * use store.h).
 */
#ifndef ND_STORE_IMPL_H
#define ND_STORE_IMPL_H

#include <zlib.h>
#include "store.h"

#define ND__BLOCK_TARGET (4u << 20)

/* Whether a stored checksum matches. A fuzzing build accepts any, so that
 * mutated inputs reach the parsers behind the checksums (as zstd does);
 * such a build must never read real data. */
#if defined(FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
#  define nd__sum_ok(computed, stored) ((void)(computed), (void)(stored), 1)
#else
#  define nd__sum_ok(computed, stored) ((computed) == (stored))
#endif
#define ND__MSG 512

/* ---- Types ------------------------------------------------------------------ */

/* The parameters that make signatures comparable (the parameter block). */
typedef struct nd__sigparams {
    uint32_t hash_scheme, minhash_scheme;
    uint64_t seed;
    uint32_t num_perm, shingle_size, normalization, seg_mode, sig_bits;
    uint32_t lsh_bands, lsh_rows; /* advisory: not compared */
} nd__sigparams;

typedef struct nd__slot {
    uint64_t seq, end, docs, paras, text;
} nd__slot;

/* One frame of the committed (or, for an appender, written) part. */
typedef struct nd__blockref {
    uint64_t off;          /* of the frame header */
    uint64_t first_doc;    /* index of its first document */
    uint64_t checksum;     /* XXH64 of the content */
    uint32_t type, ndocs, content_size, raw_size;
    uint32_t flags;        /* Frame_Flags */
    size_t prev;           /* table index of the nearest record block before it, or SIZE_MAX */
} nd__blockref;

/* Hash -> index table of the writer's block dictionaries. Keys are 64-bit
 * hashes; the bytes behind a hit are compared too, so a collision costs a
 * duplicate definition, never a wrong reference. */
typedef struct nd__intern {
    uint64_t *keys;
    uint32_t *vals;   /* index + 1; 0 = empty */
    size_t slots, used;
} nd__intern;

typedef struct nd__wblock {
    unsigned char *raw;    /* the records (compressed when written) */
    size_t len, cap;
    uint32_t ndocs;
    unsigned char *sig;    /* the signature section: definition i at i * sig bytes */
    size_t sig_len, sig_cap;
    unsigned char *psig;   /* the previous record block's signature section, which this
                              block may reference (empty at the start of a handle) */
    size_t psig_len, psig_cap;
    nd__intern ptab;       /* its definitions */
    int used_prev;         /* this block references it (Frame_Flags bit 0) */
    size_t *srcs;          /* raw offset of each defined source's length varint */
    size_t nsrcs, srcs_cap;
    nd__intern sigtab, srctab;
    uint64_t last_time;
    unsigned char *z;      /* frame header + deflated content */
    size_t z_cap;
    z_stream zs;
    int zs_ready;
} nd__wblock;

/* Where a record of a block starts and what its parse needs of the records
 * before it, so that record i can be decoded without decoding 0..i-1. */
typedef struct nd__recpos {
    size_t off;            /* in the inflated block */
    uint32_t def0, src0;   /* signatures and sources defined before it */
    uint64_t time0;        /* time of the record before it */
} nd__recpos;

typedef struct nd__rblock {
    size_t index;          /* block table index held, or SIZE_MAX */
    unsigned char *z, *raw;
    size_t z_cap, raw_cap, raw_len;
    nd__recpos *recs;      /* where each record starts, and the state before it */
    size_t nrec, rec_cap;
    const unsigned char *sigs; /* the signature section, in z */
    size_t nsigs;          /* definitions it holds */
    size_t *srcs;          /* offset in raw of each defined source's bytes, and length */
    size_t *src_lens;
    size_t nsrcs, srcs_cap, src_lens_cap;
    size_t pindex;         /* block table index whose content pz holds, or SIZE_MAX */
    unsigned char *pz;     /* the previous record block's content (checked), when the
                              block held references it */
    size_t pz_cap;
    const unsigned char *psigs; /* its signature section, in pz */
    size_t pnsigs;
    int has_prev;          /* the block held may reference psigs */
    uint32_t *wide;        /* the record given out last: its signatures widened, the
                              paragraphs' then the document's, K values each */
    size_t wide_cap;
    nd_para_sig *paras;    /* the record given out last */
    uint32_t *pidx;        /* its paragraphs' signature references (nd__r_sig) */
    uint32_t *cidx;        /* its content paragraphs' indices */
    size_t paras_cap, pidx_cap, cidx_cap;
    uint64_t nparas, text, nrefs; /* totals of the block (verify) */
    z_stream zs;
    int zs_ready;
} nd__rblock;

struct nd_store {
    nd_allocator al;
    const nd_ctx *ctx;
    char *path;
    int fd;
    nd_store_mode mode;
    nd__store_io io;       /* every write, flush and truncation of the file */
    int read_only, failed, opened;
    char msg[ND__MSG];
    nd__sigparams p;
    unsigned write_version, read_version;
    size_t header_len;     /* magic .. header checksum */
    uint64_t data_start;
    nd__slot slot;         /* the commit in use */
    uint64_t max_seq;      /* the highest sequence of a valid slot: the next commit's is one more */
    int past_end;          /* a valid commit ends past the end of the file: committed data missing */
    int damaged_slot;      /* a slot failed its checksum (0 or 1), or -1 */
    int needs_recovery;    /* committed data is missing, or may lie after the commit in use */
    uint64_t after_end;    /* end of the frames after the commit in use that pass their checksums */
    uint64_t after_docs;   /* their documents */
    uint64_t lost;         /* documents a valid commit counts that are nowhere intact */
    char damage[ND__MSG / 2]; /* what is wrong, when needs_recovery (no path) */
    int cur_slot, recovered;
    uint64_t file_size, torn;
    nd__blockref *blocks;
    size_t nblocks, blocks_cap, committed_blocks;
    size_t last_records;   /* table index of the last record block, or SIZE_MAX */
    int grammar;           /* record grammar of the file: 1 or 2 (its Read_Version) */
    uint64_t wpos;         /* where the next frame goes (appender) */
    uint64_t docs, paras, text; /* totals including uncommitted documents */
    size_t block_target;
    nd__wblock w;
    nd__rblock r;
    uint32_t *sigbuf;      /* K values: append_doc's document signature */
    nd_para_sig *pbuf;     /* append_doc's paragraphs */
    size_t pbuf_cap;
    uint32_t *cbuf;        /* the writer's content paragraph indices */
    size_t cbuf_cap;
};

/* ---- store_io.c ----------------------------------------------------------- */
/* Sets the handle's message ("PATH: ...") and @return rc. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
int nd__fail(nd_store *s, int rc, const char *fmt, ...);
/* ND_E_IO with errno's text. */
int nd__fail_errno(nd_store *s, const char *what);
int nd__pread(int fd, void *buf, size_t n, uint64_t off);
/* Through the handle's I/O layer (s->io): 0, or -1 with errno set. */
int nd__pwrite(nd_store *s, const void *buf, size_t n, uint64_t off);
int nd__fsync(nd_store *s);
int nd__ftruncate(nd_store *s, uint64_t len);
void nd__fsync_dir(const nd_store *s);
void nd__zinit(z_stream *zs, nd_store *s);
/* Opens and, for writing, locks the file at s->path. */
int nd__open_fd(nd_store *s);

/* ---- store.c -------------------------------------------------------------- */
void nd__sigparams_of(nd__sigparams *out, const nd_params *p);
int nd__params_differ(nd_store *s, const nd__sigparams *mine, const nd__sigparams *other,
                      const char *other_name);
int nd__usable(const nd_store *s);
void nd__frame_encode(unsigned char *h, const nd__blockref *b);
/* Checks the frame header h read at pos; the frame must end by `end`. */
int nd__frame_decode(nd_store *s, const unsigned char *h, uint64_t pos, uint64_t end, nd__blockref *b);
/* Builds the block table from the frame headers up to sl->end, checking
 * that their documents add up to the commit's. */
int nd__scan_frames(nd_store *s, const nd__slot *sl);

/* ---- store_commit.c ------------------------------------------------------- */
void nd__slot_encode(unsigned char *b, const nd__slot *sl);
/* Chooses the commit in use and judges what follows it (FORMAT.md,
 * "Opening"): sets slot, cur_slot, max_seq, torn, recovered and the
 * recovery fields, and the handle's warning. */
int nd__choose_commit(nd_store *s);
void nd__intern_free(const nd_allocator *al, nd__intern *t);

/* ---- store_write.c -------------------------------------------------------- */
int nd__writable(nd_store *s);
/* Flushes the file, then writes `next` into the slot not in use, flushed. */
int nd__write_commit(nd_store *s, const nd__slot *next);

/* ---- store_read.c --------------------------------------------------------- */
int nd__read_content(nd_store *s, const nd__blockref *b);
/* Reads, checks, inflates and parses record block bi into s->r. */
int nd__load_block(nd_store *s, size_t bi);

/* Shingles a paragraph of `tokens` words has when nothing unusual happened
 * (shingle.c): one per window of w tokens, or one for a shorter paragraph. */
static inline uint64_t nd__expected_shingles(uint64_t tokens, unsigned w)
{
    return tokens >= w ? tokens - w + 1 : 1;
}

#endif
