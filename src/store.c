/*
 * The signature store: reader and writer of the file format specified in
 * docs/FORMAT.md. In short:
 *
 *   +--------------------------------+  offset 0
 *   | header: magic, versions, flags |
 *   | parameter block (tag, length)  |
 *   | header checksum (XXH64)        |
 *   +--------------------------------+  H
 *   | commit slot 0  (48 bytes)      |  the slot with the higher sequence
 *   | commit slot 1  (48 bytes)      |  number says where committed data ends
 *   +--------------------------------+  H + 96 = data start
 *   | frame: 32-byte header, content |  record block (zlib), checksummed
 *   | frame ...                      |
 *   +--------------------------------+  committed end (newest valid slot)
 *   | torn tail (ignored, then cut)  |
 *   +--------------------------------+  end of file
 *
 * Writing is append-only: blocks go after the committed end, are flushed
 * (fsync), and only then does the older commit slot take the new end (and is
 * flushed). A crash leaves either slot valid: the old one points before the
 * new blocks, a torn slot fails its checksum. Readers trust nothing in the
 * file: every length is checked against what remains and against fixed
 * maxima before anything is allocated.
 *
 * Opening reads the header, the two slots and the 32-byte header of each
 * frame (a table of blocks: offset and first document), nothing else; record
 * blocks are read, checked and inflated one at a time when a record is asked
 * for, and the block read last is kept, with the signature section of the
 * previous record block when its records reference it (version 2).
 *
 * A query streams the blocks and keeps only the stored documents near the
 * documents it judges (probes, at the end of this file).
 */
#define _GNU_SOURCE /* F_OFD_SETLK: a lock per open file, not per process */
#define _FILE_OFFSET_BITS 64 /* stores past 2 GiB on 32-bit hosts too */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#define XXH_INLINE_ALL
#include <xxhash.h>
#include "corpus.h"
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
    int read_only, failed, opened;
    char msg[ND__MSG];
    nd__sigparams p;
    unsigned write_version, read_version;
    size_t header_len;     /* magic .. header checksum */
    uint64_t data_start;
    nd__slot slot;         /* the commit in use */
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

/* ---- Messages --------------------------------------------------------------- */

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int nd__fail(nd_store *s, int rc, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(s->msg, sizeof s->msg, "%s: ", s->path ? s->path : "store");
    if (n < 0 || (size_t)n >= sizeof s->msg / 2) n = 0;
    va_start(ap, fmt);
    vsnprintf(s->msg + n, sizeof s->msg - (size_t)n, fmt, ap);
    va_end(ap);
    return rc;
}

static int nd__fail_errno(nd_store *s, const char *what)
{
    int e = errno;
    return nd__fail(s, ND_E_IO, "%s: %s", what, e ? strerror(e) : "unexpected end of file");
}

const char *nd_store_errmsg(const nd_store *s)
{
    if (!s) return "no store (out of memory)";
    return s->msg;
}

/* ---- File I/O ----------------------------------------------------------------- */

static int nd__pread(int fd, void *buf, size_t n, uint64_t off)
{
    unsigned char *p = buf;
    errno = 0;
    while (n) {
        ssize_t got = pread(fd, p, n, (off_t)off);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return -1;
        p += got;
        off += (uint64_t)got;
        n -= (size_t)got;
    }
    return 0;
}

static int nd__pwrite(int fd, const void *buf, size_t n, uint64_t off)
{
    const unsigned char *p = buf;
    errno = 0;
    while (n) {
        ssize_t put = pwrite(fd, p, n, (off_t)off);
        if (put < 0 && errno == EINTR) continue;
        if (put <= 0) return -1;
        p += put;
        off += (uint64_t)put;
        n -= (size_t)put;
    }
    return 0;
}

static int nd__fsync(int fd)
{
    int rc;
    do rc = fsync(fd);
    while (rc < 0 && errno == EINTR);
    return rc;
}

/* A new directory entry is durable only once its directory is flushed. */
static void nd__fsync_dir(const nd_store *s)
{
    const char *slash = strrchr(s->path, '/');
    char *dir = NULL;
    size_t len = slash ? (size_t)(slash - s->path) : 1;
    dir = nd__alloc(&s->al, len + 1);
    if (!dir) return;
    if (slash) memcpy(dir, s->path, len ? len : 1);
    else dir[0] = '.';
    dir[len ? len : 1] = '\0';
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        nd__fsync(fd);
        close(fd);
    }
    nd__free(&s->al, dir);
}

/* ---- zlib through the handle's allocator ---------------------------------------- */

static voidpf nd__zalloc(voidpf opaque, uInt items, uInt size)
{
    if (size && items > SIZE_MAX / size) return Z_NULL;
    return nd__alloc(opaque, (size_t)items * size);
}

static void nd__zfree(voidpf opaque, voidpf ptr) { nd__free(opaque, ptr); }

static void nd__zinit(z_stream *zs, nd_store *s)
{
    memset(zs, 0, sizeof *zs);
    zs->zalloc = nd__zalloc;
    zs->zfree = nd__zfree;
    zs->opaque = &s->al;
}

/* ---- Parameter block ------------------------------------------------------------ */

enum {
    ND__TAG_END = 0x00,
    ND__TAG_HASH = 0x01,
    ND__TAG_MINHASH = 0x02,
    ND__TAG_SEED = 0x03,
    ND__TAG_NUM_PERM = 0x04,
    ND__TAG_SHINGLE = 0x05,
    ND__TAG_NORM = 0x06,
    ND__TAG_SEG_MODE = 0x07,
    ND__TAG_SIG_BITS = 0x08,
    ND__TAG_OPTIONAL = 0x80, /* tags with this bit may be skipped by a reader */
    ND__TAG_LSH = 0x81
};
#define ND__REQUIRED_TAGS 8

static const char *const nd__param_names[] = {
    "end", "hash_scheme", "minhash_scheme", "seed", "num_perm", "shingle_size",
    "normalization_version", "seg_mode", "sig_bits"
};

static void nd__sigparams_of(nd__sigparams *out, const nd_params *p)
{
    memset(out, 0, sizeof *out);
    out->hash_scheme = ND__HASH_SCHEME;
    out->minhash_scheme = ND__MINHASH_SCHEME;
    out->seed = p->seed;
    out->num_perm = p->num_perm;
    out->shingle_size = p->shingle_size;
    out->normalization = ND_NORMALIZATION_VERSION;
    out->seg_mode = (uint32_t)p->seg_mode;
    out->sig_bits = p->sig_bits;
    out->lsh_bands = p->lsh_bands;
    out->lsh_rows = p->lsh_rows;
}

/* Value of required tag t (1..8). */
static uint64_t nd__param_value(const nd__sigparams *p, unsigned t)
{
    switch (t) {
    case ND__TAG_HASH: return p->hash_scheme;
    case ND__TAG_MINHASH: return p->minhash_scheme;
    case ND__TAG_SEED: return p->seed;
    case ND__TAG_NUM_PERM: return p->num_perm;
    case ND__TAG_SHINGLE: return p->shingle_size;
    case ND__TAG_NORM: return p->normalization;
    case ND__TAG_SEG_MODE: return p->seg_mode;
    default: return p->sig_bits;
    }
}

/* ND_OK when a and b sign alike, else a message naming the first difference. */
static int nd__params_differ(nd_store *s, const nd__sigparams *mine, const nd__sigparams *other,
                             const char *other_name)
{
    for (unsigned t = ND__TAG_HASH; t <= ND__TAG_SIG_BITS; t++) {
        uint64_t a = nd__param_value(mine, t), b = nd__param_value(other, t);
        if (a != b)
            return nd__fail(s, ND_E_PARAM_MISMATCH,
                            "parameters differ: %s is %llu in the store, %llu in %s",
                            nd__param_names[t], (unsigned long long)a, (unsigned long long)b,
                            other_name);
    }
    return ND_OK;
}

static size_t nd__put_tag(unsigned char *p, unsigned tag, unsigned len)
{
    p[0] = (unsigned char)tag;
    p[1] = (unsigned char)len;
    return 2;
}

/* The whole header, checksum included, for a new file. @return its length. */
static size_t nd__header_build(unsigned char *h, const nd__sigparams *p)
{
    size_t n = ND__STORE_FIXED_HEADER;
    for (unsigned t = ND__TAG_HASH; t <= ND__TAG_SIG_BITS; t++) {
        unsigned width = t == ND__TAG_SEED ? 8 : 4;
        n += nd__put_tag(h + n, t, width);
        if (width == 8) nd__le64_put(h + n, nd__param_value(p, t));
        else nd__le32_put(h + n, (uint32_t)nd__param_value(p, t));
        n += width;
    }
    n += nd__put_tag(h + n, ND__TAG_LSH, 8);
    nd__le32_put(h + n, p->lsh_bands);
    nd__le32_put(h + n + 4, p->lsh_rows);
    n += 8;
    n += nd__put_tag(h + n, ND__TAG_END, 0);
    nd__le32_put(h, ND__STORE_MAGIC);
    h[4] = ND__STORE_WRITE_VERSION;
    h[5] = ND__STORE_READ_VERSION;
    nd__le16_put(h + 6, 0);
    nd__le32_put(h + 8, (uint32_t)(n - ND__STORE_FIXED_HEADER));
    nd__le32_put(h + 12, 0);
    nd__le64_put(h + n, XXH64(h, n, 0));
    return n + 8;
}

/* Ranges this library can use; anything else in a file is corrupt or from a
 * format it does not know. */
static int nd__params_sane(nd_store *s, nd__sigparams *p)
{
    if (p->num_perm < 1 || p->num_perm > ND_MAX_NUM_PERM)
        return nd__fail(s, ND_E_CORRUPT, "num_perm %u out of range", (unsigned)p->num_perm);
    if (p->shingle_size < 1 || p->shingle_size > ND_MAX_SHINGLE_SIZE)
        return nd__fail(s, ND_E_CORRUPT, "shingle_size %u out of range", (unsigned)p->shingle_size);
    if (p->seg_mode > ND_SEG_BLOCKS)
        return nd__fail(s, ND_E_CORRUPT, "unknown seg_mode %u", (unsigned)p->seg_mode);
    if (p->sig_bits != 8 && p->sig_bits != 16 && p->sig_bits != 32)
        return nd__fail(s, ND_E_CORRUPT, "sig_bits %u is not 8, 16 or 32", (unsigned)p->sig_bits);
    /* bands and rows are advisory (an index can be rebuilt): unusable ones
     * are dropped, not refused */
    if ((p->lsh_bands == 0) != (p->lsh_rows == 0) || p->lsh_bands > ND_MAX_NUM_PERM
        || p->lsh_rows > ND_MAX_NUM_PERM || (unsigned long)p->lsh_bands * p->lsh_rows > p->num_perm)
        p->lsh_bands = p->lsh_rows = 0;
    return ND_OK;
}

/* One field of the parameter block. */
static int nd__param_field(nd_store *s, unsigned tag, const unsigned char *v, unsigned len,
                           unsigned *seen)
{
    if (tag >= ND__TAG_HASH && tag <= ND__TAG_SIG_BITS) {
        unsigned width = tag == ND__TAG_SEED ? 8 : 4;
        if (len != width || (*seen & (1u << tag)))
            return nd__fail(s, ND_E_CORRUPT, "parameter %s: bad length or repeated",
                            nd__param_names[tag]);
        *seen |= 1u << tag;
        uint64_t x = width == 8 ? nd__le64_get(v) : nd__le32_get(v);
        uint32_t *f[] = { NULL, &s->p.hash_scheme, &s->p.minhash_scheme, NULL, &s->p.num_perm,
                          &s->p.shingle_size, &s->p.normalization, &s->p.seg_mode, &s->p.sig_bits };
        if (tag == ND__TAG_SEED) s->p.seed = x;
        else *f[tag] = (uint32_t)x;
        return ND_OK;
    }
    if (tag == ND__TAG_LSH && len == 8) {
        s->p.lsh_bands = nd__le32_get(v);
        s->p.lsh_rows = nd__le32_get(v + 4);
        return ND_OK;
    }
    if (tag & ND__TAG_OPTIONAL) return ND_OK; /* unknown optional field: skipped */
    return nd__fail(s, ND_E_CORRUPT, "unknown required parameter tag 0x%02x", tag);
}

static int nd__params_parse(nd_store *s, const unsigned char *b, size_t len)
{
    unsigned seen = 0;
    size_t i = 0;
    memset(&s->p, 0, sizeof s->p);
    for (;;) {
        if (len - i < 2) return nd__fail(s, ND_E_CORRUPT, "parameter block lacks its end tag");
        unsigned tag = b[i], flen = b[i + 1];
        i += 2;
        if (flen > len - i) return nd__fail(s, ND_E_CORRUPT, "parameter field 0x%02x overruns the block", tag);
        if (tag == ND__TAG_END) {
            if (flen != 0 || i != len)
                return nd__fail(s, ND_E_CORRUPT, "bytes after the parameter block's end tag");
            break;
        }
        int rc = nd__param_field(s, tag, b + i, flen, &seen);
        if (rc) return rc;
        i += flen;
    }
    for (unsigned t = ND__TAG_HASH; t <= ND__TAG_SIG_BITS; t++)
        if (!(seen & (1u << t)))
            return nd__fail(s, ND_E_CORRUPT, "parameter block lacks %s", nd__param_names[t]);
    return nd__params_sane(s, &s->p);
}

/* ---- Header ------------------------------------------------------------------------ */

/* Reads and checks the header; sets p, versions, header_len and data_start. */
static int nd__header_read(nd_store *s)
{
    unsigned char h[ND__STORE_FIXED_HEADER + ND__STORE_MAX_PARAMS + 8];
    if (s->file_size < ND__STORE_FIXED_HEADER || nd__pread(s->fd, h, ND__STORE_FIXED_HEADER, 0))
        return nd__fail(s, ND_E_CORRUPT, "not a neardup store (too short)");
    if (nd__le32_get(h) != ND__STORE_MAGIC)
        return nd__fail(s, ND_E_CORRUPT, "not a neardup store (bad magic number)");
    uint32_t plen = nd__le32_get(h + 8);
    if (plen > ND__STORE_MAX_PARAMS || s->file_size < ND__STORE_FIXED_HEADER + (uint64_t)plen + 8)
        return nd__fail(s, ND_E_CORRUPT, "parameter block length %lu out of range", (unsigned long)plen);
    size_t n = ND__STORE_FIXED_HEADER + plen;
    if (nd__pread(s->fd, h + ND__STORE_FIXED_HEADER, plen + 8, ND__STORE_FIXED_HEADER))
        return nd__fail_errno(s, "reading the header");
    if (!nd__sum_ok(XXH64(h, n, 0), nd__le64_get(h + n)))
        return nd__fail(s, ND_E_CHECKSUM, "header checksum mismatch");
    s->write_version = h[4];
    s->read_version = h[5];
    if (s->write_version == 0 || s->read_version == 0 || s->read_version > s->write_version)
        return nd__fail(s, ND_E_CORRUPT, "bad format versions %u/%u", s->write_version, s->read_version);
    if (s->read_version > ND__STORE_READ_VERSION)
        return nd__fail(s, ND_E_VERSION, "needs a reader of format version %u (this library reads %u)",
                        s->read_version, ND__STORE_READ_VERSION);
    if (nd__le16_get(h + 6) != 0 || nd__le32_get(h + 12) != 0)
        return nd__fail(s, ND_E_CORRUPT, "reserved header bits are set");
    /* a newer writer may keep invariants we do not know; an older file keeps
     * a record grammar we read but no longer write */
    if (s->write_version != ND__STORE_WRITE_VERSION) s->read_only = 1;
    s->grammar = s->read_version == 1 ? 1 : 2;
    s->header_len = n + 8;
    s->data_start = s->header_len + 2 * (uint64_t)ND__STORE_SLOT_SIZE;
    return nd__params_parse(s, h + ND__STORE_FIXED_HEADER, plen);
}

/* ---- Commit slots ---------------------------------------------------------------------- */

static void nd__slot_encode(unsigned char *b, const nd__slot *sl)
{
    nd__le64_put(b, sl->seq);
    nd__le64_put(b + 8, sl->end);
    nd__le64_put(b + 16, sl->docs);
    nd__le64_put(b + 24, sl->paras);
    nd__le64_put(b + 32, sl->text);
    nd__le64_put(b + 40, XXH64(b, 40, 0));
}

/* @return 1 when the slot's checksum holds and its fields are plausible. */
static int nd__slot_decode(const nd_store *s, const unsigned char *b, nd__slot *sl)
{
    if (!nd__sum_ok(XXH64(b, 40, 0), nd__le64_get(b + 40))) return 0;
    sl->seq = nd__le64_get(b);
    sl->end = nd__le64_get(b + 8);
    sl->docs = nd__le64_get(b + 16);
    sl->paras = nd__le64_get(b + 24);
    sl->text = nd__le64_get(b + 32);
    return sl->end >= s->data_start;
}

/* Writes the header and two empty commit slots of a new store. */
static int nd__create(nd_store *s)
{
    unsigned char h[ND__STORE_FIXED_HEADER + ND__STORE_MAX_PARAMS + 8 + 2 * ND__STORE_SLOT_SIZE];
    size_t n = nd__header_build(h, &s->p);
    nd__slot empty = { 0, n + 2 * ND__STORE_SLOT_SIZE, 0, 0, 0 };
    nd__slot_encode(h + n, &empty);
    nd__slot_encode(h + n + ND__STORE_SLOT_SIZE, &empty);
    n += 2 * ND__STORE_SLOT_SIZE;
    if (ftruncate(s->fd, 0) || nd__pwrite(s->fd, h, n, 0) || nd__fsync(s->fd))
        return nd__fail_errno(s, "creating the store");
    nd__fsync_dir(s);
    s->file_size = n;
    return ND_OK;
}

/* A file smaller than a fresh header holding only zeros or the start of our
 * magic number is what a crash during nd__create leaves: nothing was ever
 * committed to it, so it may be written anew. Anything else is not ours to
 * overwrite. */
static int nd__aborted_creation(nd_store *s)
{
    unsigned char h[ND__STORE_FIXED_HEADER + ND__STORE_MAX_PARAMS + 8];
    size_t fresh = nd__header_build(h, &s->p) + 2 * ND__STORE_SLOT_SIZE;
    unsigned char b[4] = { 0, 0, 0, 0 }, magic[4];
    if (s->file_size >= fresh) return 0;
    size_t n = s->file_size < 4 ? (size_t)s->file_size : 4;
    if (nd__pread(s->fd, b, n, 0)) return 0;
    nd__le32_put(magic, ND__STORE_MAGIC);
    return memcmp(b, magic, n) == 0 || (b[0] | b[1] | b[2] | b[3]) == 0;
}

/* ---- Frames ------------------------------------------------------------------------------ */

static void nd__frame_encode(unsigned char *h, const nd__blockref *b)
{
    h[0] = (unsigned char)b->type;
    h[1] = (unsigned char)b->flags;
    nd__le16_put(h + 2, 0);
    nd__le32_put(h + 4, b->content_size);
    nd__le32_put(h + 8, b->raw_size);
    nd__le32_put(h + 12, b->ndocs);
    nd__le64_put(h + 16, b->checksum);
    nd__le64_put(h + 24, XXH64(h, 24, 0));
}

/* Checks the frame header at pos (the frame must end by `end`). */
static int nd__frame_decode(nd_store *s, const unsigned char *h, uint64_t pos, uint64_t end,
                            nd__blockref *b)
{
    if (!nd__sum_ok(XXH64(h, 24, 0), nd__le64_get(h + 24)))
        return nd__fail(s, ND_E_CHECKSUM, "frame header at offset %llu: checksum mismatch",
                        (unsigned long long)pos);
    b->off = pos;
    b->type = h[0];
    b->content_size = nd__le32_get(h + 4);
    b->raw_size = nd__le32_get(h + 8);
    b->ndocs = nd__le32_get(h + 12);
    b->checksum = nd__le64_get(h + 16);
    b->flags = h[1];
    /* version 2 gives record blocks one flag; every other bit is reserved */
    uint32_t allowed = s->grammar >= 2 && b->type == ND__FRAME_RECORDS ? ND__FRAME_PREV : 0;
    if ((b->flags & ~allowed) || nd__le16_get(h + 2) != 0)
        return nd__fail(s, ND_E_CORRUPT, "frame at offset %llu: reserved bits are set",
                        (unsigned long long)pos);
    if (b->content_size > end - pos - ND__STORE_FRAME_HEADER)
        return nd__fail(s, ND_E_CORRUPT, "frame at offset %llu runs past the committed end",
                        (unsigned long long)pos);
    if (b->type >= ND__FRAME_SKIPPABLE) {
        b->ndocs = 0; /* not ours to interpret */
        return ND_OK;
    }
    if (b->type != ND__FRAME_RECORDS)
        return nd__fail(s, ND_E_CORRUPT, "frame at offset %llu: unknown type 0x%02x",
                        (unsigned long long)pos, (unsigned)b->type);
    if (b->raw_size > ND__STORE_MAX_RAW
        || b->raw_size / ND__STORE_MAX_RATIO > b->content_size
        || b->ndocs == 0 || b->ndocs > b->raw_size / ND__STORE_MIN_RECORD)
        return nd__fail(s, ND_E_CORRUPT, "record block at offset %llu: sizes out of range",
                        (unsigned long long)pos);
    return ND_OK;
}

/* Builds the block table from the frame headers up to `end`, checking that
 * their documents add up to the commit's. */
static int nd__scan_frames(nd_store *s, const nd__slot *sl)
{
    uint64_t pos = s->data_start, docs = 0;
    s->nblocks = 0;
    s->last_records = SIZE_MAX;
    while (pos < sl->end) {
        unsigned char h[ND__STORE_FRAME_HEADER];
        nd__blockref b;
        if (sl->end - pos < ND__STORE_FRAME_HEADER)
            return nd__fail(s, ND_E_CORRUPT, "frame header at offset %llu cut short",
                            (unsigned long long)pos);
        if (nd__pread(s->fd, h, sizeof h, pos)) return nd__fail_errno(s, "reading a frame header");
        int rc = nd__frame_decode(s, h, pos, sl->end, &b);
        if (rc) return rc;
        b.first_doc = docs;
        b.prev = s->last_records;
        if ((b.flags & ND__FRAME_PREV) && b.prev == SIZE_MAX)
            return nd__fail(s, ND_E_CORRUPT, "record block at offset %llu refers to a previous block "
                            "that does not exist", (unsigned long long)pos);
        if (b.type == ND__FRAME_RECORDS) s->last_records = s->nblocks;
        docs += b.ndocs;
        rc = nd__reserve(&s->al, (void **)&s->blocks, &s->blocks_cap, s->nblocks + 1, sizeof *s->blocks);
        if (rc) return nd__fail(s, rc, "out of memory");
        s->blocks[s->nblocks++] = b;
        pos += ND__STORE_FRAME_HEADER + (uint64_t)b.content_size;
    }
    if (docs != sl->docs)
        return nd__fail(s, ND_E_CORRUPT, "commit %llu counts %llu documents, its blocks hold %llu",
                        (unsigned long long)sl->seq, (unsigned long long)sl->docs,
                        (unsigned long long)docs);
    s->committed_blocks = s->nblocks;
    return ND_OK;
}

/* Uses the newest commit whose slot is intact and lies within the file. A
 * torn slot (a crash while committing) or one pointing past the end of the
 * file (a file cut short) falls back to the other slot, and says so. Frames
 * that fail their checks within a commit are corruption, not a crash: they
 * are reported and nothing is discarded. */
static int nd__choose_commit(nd_store *s)
{
    unsigned char b[2 * ND__STORE_SLOT_SIZE];
    nd__slot sl[2];
    int ok[2], order[2] = { 0, 1 };
    if (s->file_size < s->data_start) return nd__fail(s, ND_E_CORRUPT, "commit slots cut short");
    if (nd__pread(s->fd, b, sizeof b, s->header_len)) return nd__fail_errno(s, "reading the commit slots");
    for (int i = 0; i < 2; i++) ok[i] = nd__slot_decode(s, b + i * ND__STORE_SLOT_SIZE, &sl[i]);
    if (!ok[0] || (ok[1] && sl[1].seq > sl[0].seq)) { order[0] = 1; order[1] = 0; }
    int past_end = 0;
    for (int j = 0; j < 2; j++) {
        int i = order[j];
        if (!ok[i]) continue;
        if (sl[i].end > s->file_size) {
            past_end = 1;
            continue;
        }
        int rc = nd__scan_frames(s, &sl[i]);
        if (rc) return rc;
        s->slot = sl[i];
        s->cur_slot = i;
        s->torn = s->file_size - sl[i].end;
        s->recovered = !ok[0] || !ok[1] || past_end;
        if (past_end)
            nd__fail(s, ND_OK, "recovered: the last commit ends past the end of the file (cut short?); "
                     "using commit %llu, %llu bytes after it ignored", (unsigned long long)sl[i].seq,
                     (unsigned long long)s->torn);
        else if (s->recovered)
            nd__fail(s, ND_OK, "recovered: commit slot %d is damaged (an interrupted commit?); using commit %llu",
                     !ok[0] ? 0 : 1, (unsigned long long)sl[i].seq);
        else if (s->torn)
            nd__fail(s, ND_OK, "torn tail of %llu bytes after the last commit ignored",
                     (unsigned long long)s->torn);
        return ND_OK;
    }
    if (past_end) return nd__fail(s, ND_E_CORRUPT, "every commit ends past the end of the file (cut short?)");
    return nd__fail(s, ND_E_CORRUPT, "both commit slots are damaged");
}

/* ---- Open and close ------------------------------------------------------------------------ */

#if defined(F_OFD_SETLK)
#  define ND__SETLK F_OFD_SETLK
#else
#  define ND__SETLK F_SETLK
#endif

/* An exclusive lock on the whole file, not waiting. Open-file-description
 * locks conflict even between two handles of one process, and are released
 * by closing this descriptor only. */
static int nd__lock(nd_store *s)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    int rc = fcntl(s->fd, ND__SETLK, &fl);
#if defined(F_OFD_SETLK)
    if (rc < 0 && errno == EINVAL) rc = fcntl(s->fd, F_SETLK, &fl); /* kernel without OFD locks */
#endif
    if (rc == 0) return ND_OK;
    if (errno == EACCES || errno == EAGAIN)
        return nd__fail(s, ND_E_LOCKED, "locked: another process is appending to this store");
    return nd__fail_errno(s, "locking");
}

/* Opens and, for writing, locks the file. A writer that replaced the file
 * (prune renames a new file over it) while we waited for the lock leaves us
 * holding a lock on the old inode: check that the path still names it. */
static int nd__open_fd(nd_store *s)
{
    struct stat st, now;
    /* O_NONBLOCK: a FIFO at the path must not hang the open; it is refused below */
    if (s->mode == ND_STORE_READ) {
        s->fd = open(s->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (s->fd < 0) return nd__fail_errno(s, "cannot open");
        if (fstat(s->fd, &st)) return nd__fail_errno(s, "cannot stat");
        if (!S_ISREG(st.st_mode)) return nd__fail(s, ND_E_IO, "not a regular file");
        s->file_size = (uint64_t)st.st_size;
        return ND_OK;
    }
    for (int attempt = 0; attempt < 8; attempt++) {
        int flags = O_RDWR | O_CLOEXEC | O_NONBLOCK | (s->mode == ND_STORE_CREATE ? O_CREAT : 0);
        s->fd = open(s->path, flags, 0666);
        if (s->fd < 0) return nd__fail_errno(s, "cannot open");
        if (fstat(s->fd, &st)) return nd__fail_errno(s, "cannot stat");
        if (!S_ISREG(st.st_mode)) return nd__fail(s, ND_E_IO, "not a regular file");
        int rc = nd__lock(s);
        if (rc) return rc;
        if (fstat(s->fd, &st)) return nd__fail_errno(s, "cannot stat"); /* its size under the lock */
        if (stat(s->path, &now) == 0 && now.st_dev == st.st_dev && now.st_ino == st.st_ino) {
            s->file_size = (uint64_t)st.st_size;
            return ND_OK;
        }
        close(s->fd);
        s->fd = -1;
    }
    return nd__fail(s, ND_E_LOCKED, "the file keeps being replaced by another process");
}

/* Cuts what a crash left after the last commit, so appends follow it. */
static int nd__cut_tail(nd_store *s)
{
    s->wpos = s->slot.end;
    if (!s->torn) return ND_OK;
    if (ftruncate(s->fd, (off_t)s->slot.end) || nd__fsync(s->fd))
        return nd__fail_errno(s, "cutting the torn tail");
    s->file_size = s->slot.end;
    if (!s->recovered)
        nd__fail(s, ND_OK, "torn tail of %llu bytes after the last commit cut off", (unsigned long long)s->torn);
    return ND_OK;
}

static int nd__open_store(nd_store *s)
{
    int writable = s->mode != ND_STORE_READ;
    nd__sigparams want;
    if (s->ctx) nd__sigparams_of(&want, &s->ctx->params);
    int rc = nd__open_fd(s);
    if (rc) return rc;
    if (writable) {
        s->p = want;
        if ((s->file_size == 0 || nd__aborted_creation(s)) && (rc = nd__create(s))) return rc;
    }
    if ((rc = nd__header_read(s))) return rc;
    if (s->ctx && (rc = nd__params_differ(s, &s->p, &want, "the context"))) return rc;
    if (writable && s->read_only && s->write_version < ND__STORE_WRITE_VERSION)
        return nd__fail(s, ND_E_VERSION, "written by format version %u: this library appends only to "
                        "version %u stores ('neardup merge -o NEW OLD' rewrites it)",
                        s->write_version, ND__STORE_WRITE_VERSION);
    if (writable && s->read_only)
        return nd__fail(s, ND_E_VERSION, "written by format version %u: this library (version %u) may only read it",
                        s->write_version, ND__STORE_WRITE_VERSION);
    s->read_only = !writable || s->read_only;
    if ((rc = nd__choose_commit(s))) return rc;
    /* the next commit must outnumber this one: a sequence at its maximum
     * (never reached by counting) would wrap and hide it */
    if (writable && s->slot.seq == UINT64_MAX)
        return nd__fail(s, ND_E_CORRUPT, "commit sequence number at its maximum");
    s->docs = s->slot.docs;
    s->paras = s->slot.paras;
    s->text = s->slot.text;
    if (writable && (rc = nd__cut_tail(s))) return rc;
    s->sigbuf = nd__alloc(&s->al, (size_t)s->p.num_perm * sizeof *s->sigbuf);
    return s->sigbuf ? ND_OK : nd__fail(s, ND_E_NOMEM, "out of memory");
}

int nd_store_open(nd_store **out, const char *path, nd_store_mode mode, const nd_ctx *ctx)
{
    if (!out) return ND_E_INVALID;
    *out = NULL;
    if (!path || (mode != ND_STORE_READ && mode != ND_STORE_APPEND && mode != ND_STORE_CREATE)
        || (mode != ND_STORE_READ && !ctx))
        return ND_E_INVALID;
    const nd_allocator *al = ctx ? &ctx->alloc : nd__default_allocator();
    nd_store *s = nd__calloc(al, 1, sizeof *s);
    if (!s) return ND_E_NOMEM;
    s->al = *al;
    s->ctx = ctx;
    s->mode = mode;
    s->fd = -1;
    s->r.index = SIZE_MAX;
    s->r.pindex = SIZE_MAX;
    s->last_records = SIZE_MAX;
    s->block_target = ND__BLOCK_TARGET;
    size_t len = strlen(path);
    s->path = nd__alloc(al, len + 1);
    if (!s->path) {
        nd__free(al, s);
        return ND_E_NOMEM;
    }
    memcpy(s->path, path, len + 1);
    *out = s;
    int rc = nd__open_store(s);
    if (rc == ND_OK) s->opened = 1;
    else s->read_only = 1;
    return rc;
}

static void nd__intern_free(const nd_allocator *al, nd__intern *t)
{
    nd__free(al, t->keys);
    nd__free(al, t->vals);
}

void nd_store_close(nd_store *s)
{
    if (!s) return;
    const nd_allocator al = s->al;
    /* uncommitted blocks are dropped now rather than by the next appender */
    if (s->fd >= 0 && s->opened && !s->read_only && !s->failed && s->wpos > s->slot.end)
        if (ftruncate(s->fd, (off_t)s->slot.end) == 0) nd__fsync(s->fd);
    if (s->fd >= 0) close(s->fd);
    if (s->w.zs_ready) deflateEnd(&s->w.zs);
    if (s->r.zs_ready) inflateEnd(&s->r.zs);
    void *bufs[] = { s->path, s->blocks, s->sigbuf, s->pbuf, s->cbuf, s->w.raw, s->w.sig, s->w.psig,
                     s->w.srcs, s->w.z, s->r.z, s->r.pz, s->r.raw, s->r.recs, s->r.srcs, s->r.src_lens,
                     s->r.wide, s->r.paras, s->r.pidx, s->r.cidx };
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) nd__free(&al, bufs[i]);
    nd__intern_free(&al, &s->w.sigtab);
    nd__intern_free(&al, &s->w.ptab);
    nd__intern_free(&al, &s->w.srctab);
    nd__free(&al, s);
}

static int nd__usable(const nd_store *s) { return s && s->opened; }

int nd_store_params(const nd_store *s, nd_params *out)
{
    if (!s || !out) return ND_E_INVALID;
    if (!nd__usable(s)) return ND_E_STATE;
    nd_params_init(out, ND_PARAMS_VERSION);
    out->seg_mode = (nd_seg_mode)s->p.seg_mode;
    out->shingle_size = s->p.shingle_size;
    out->num_perm = s->p.num_perm;
    out->seed = s->p.seed;
    out->sig_bits = s->p.sig_bits;
    out->lsh_bands = s->p.lsh_bands;
    out->lsh_rows = s->p.lsh_rows;
    return ND_OK;
}

int nd_store_describe(const nd_store *s, nd_store_info *out)
{
    if (!s || !out) return ND_E_INVALID;
    if (!nd__usable(s)) return ND_E_STATE;
    memset(out, 0, sizeof *out);
    out->write_version = s->write_version;
    out->read_version = s->read_version;
    out->normalization_version = s->p.normalization;
    out->hash_scheme = s->p.hash_scheme;
    out->minhash_scheme = s->p.minhash_scheme;
    out->read_only = s->read_only;
    out->documents = s->slot.docs;
    out->paragraphs = s->slot.paras;
    out->text_bytes = s->slot.text;
    out->file_bytes = s->slot.end;
    for (size_t i = 0; i < s->committed_blocks; i++) out->blocks += s->blocks[i].type == ND__FRAME_RECORDS;
    out->torn_bytes = s->torn;
    out->commit = s->slot.seq;
    out->recovered = s->recovered;
    return ND_OK;
}

int nd_store_compatible(nd_store *s, const nd_store *other)
{
    if (!s || !other) return ND_E_INVALID;
    if (!nd__usable(s) || !nd__usable(other)) return ND_E_STATE;
    char name[ND__MSG / 2];
    snprintf(name, sizeof name, "%s", other->path);
    return nd__params_differ(s, &s->p, &other->p, name);
}

size_t nd_store_count(const nd_store *s) { return nd__usable(s) ? (size_t)s->slot.docs : 0; }

/* ---- Writer: block dictionaries ----------------------------------------------------------- */

static uint32_t nd__intern_get(const nd__intern *t, uint64_t key)
{
    if (!t->slots) return 0;
    for (size_t i = (size_t)nd__mix64(key) & (t->slots - 1);; i = (i + 1) & (t->slots - 1)) {
        if (!t->vals[i]) return 0;
        if (t->keys[i] == key) return t->vals[i];
    }
}

static int nd__intern_put(const nd_allocator *al, nd__intern *t, uint64_t key, uint32_t idx)
{
    if (2 * (t->used + 1) > t->slots) { /* keep it at most half full */
        size_t n = t->slots ? 2 * t->slots : 256;
        uint64_t *keys = nd__alloc(al, n * sizeof *keys);
        uint32_t *vals = nd__calloc(al, n, sizeof *vals);
        if (!keys || !vals) {
            nd__free(al, keys);
            nd__free(al, vals);
            return ND_E_NOMEM;
        }
        nd__intern old = *t;
        t->keys = keys;
        t->vals = vals;
        t->slots = n;
        t->used = 0;
        for (size_t i = 0; i < old.slots; i++)
            if (old.vals[i]) nd__intern_put(al, t, old.keys[i], old.vals[i] - 1);
        nd__intern_free(al, &old);
    }
    size_t i = (size_t)nd__mix64(key) & (t->slots - 1);
    while (t->vals[i]) i = (i + 1) & (t->slots - 1);
    t->keys[i] = key;
    t->vals[i] = idx + 1;
    t->used++;
    return ND_OK;
}

static void nd__intern_clear(nd__intern *t)
{
    if (t->vals) memset(t->vals, 0, t->slots * sizeof *t->vals);
    t->used = 0;
}

static int nd__w_need(nd_store *s, size_t n)
{
    nd__wblock *w = &s->w;
    if (n > SIZE_MAX - w->len) return ND_E_TOO_LARGE;
    return nd__reserve(&s->al, (void **)&w->raw, &w->cap, w->len + n, 1);
}

static void nd__w_varint(nd__wblock *w, uint64_t v) { w->len += nd__varint_put(w->raw + w->len, v); }

static uint64_t nd__src_key(const unsigned char *p, size_t len) { return XXH3_64bits(p, len); }

/* The source, as a reference to its first definition in the block or
 * defined here: 0, length, bytes. */
static int nd__w_source(nd_store *s, const char *src, size_t len)
{
    nd__wblock *w = &s->w;
    int rc = nd__w_need(s, 2 * ND__VARINT_MAX + len);
    if (rc) return rc;
    uint64_t key = nd__src_key((const unsigned char *)src, len);
    uint32_t ref = nd__intern_get(&w->srctab, key);
    if (ref) {
        const unsigned char *p = w->raw + w->srcs[ref - 1], *end = w->raw + w->len;
        uint64_t have;
        nd__varint_get(&p, end, &have);
        if (have == len && (len == 0 || memcmp(p, src, len) == 0)) {
            nd__w_varint(w, ref);
            return ND_OK;
        }
    }
    rc = nd__reserve(&s->al, (void **)&w->srcs, &w->srcs_cap, w->nsrcs + 1, sizeof *w->srcs);
    if (!rc && !ref) rc = nd__intern_put(&s->al, &w->srctab, key, (uint32_t)w->nsrcs);
    if (rc) return rc;
    nd__w_varint(w, 0);
    w->srcs[w->nsrcs++] = w->len;
    nd__w_varint(w, len);
    if (len) memcpy(w->raw + w->len, src, len);
    w->len += len;
    return ND_OK;
}

/* Packs the signature cut to sig_bits at the end of the signature section
 * (not yet a definition), so that it can be hashed and compared in place.
 * @return its hash in *key. */
static int nd__w_pack(nd_store *s, const uint32_t *sig, uint64_t *key)
{
    nd__wblock *w = &s->w;
    size_t nb = nd__sig_bytes(s->p.num_perm, s->p.sig_bits);
    int rc = nd__w_need(s, 2 * ND__VARINT_MAX);
    if (!rc) rc = nd__reserve(&s->al, (void **)&w->sig, &w->sig_cap, w->sig_len + nb, 1);
    if (rc) return rc;
    nd__sig_pack(w->sig + w->sig_len, sig, s->p.num_perm, s->p.sig_bits);
    *key = XXH3_64bits(w->sig + w->sig_len, nb);
    return ND_OK;
}

/* Writes a reference to a definition equal to the packed signature, in
 * this block (Signature_Ref R >= 2) or else in the previous record block
 * (1, then its number). @return 1 when written, 0 when there is none. */
static int nd__w_ref(nd_store *s, uint64_t key)
{
    nd__wblock *w = &s->w;
    size_t nb = nd__sig_bytes(s->p.num_perm, s->p.sig_bits);
    const unsigned char *packed = w->sig + w->sig_len;
    uint32_t ref = nd__intern_get(&w->sigtab, key);
    if (ref && memcmp(w->sig + (size_t)(ref - 1) * nb, packed, nb) == 0) {
        nd__w_varint(w, (uint64_t)ref + 1);
        return 1;
    }
    ref = nd__intern_get(&w->ptab, key);
    if (ref && memcmp(w->psig + (size_t)(ref - 1) * nb, packed, nb) == 0) {
        nd__w_varint(w, 1);
        nd__w_varint(w, ref - 1);
        w->used_prev = 1;
        return 1;
    }
    return 0;
}

/* Makes the packed signature the block's next definition: 0 in the records. */
static int nd__w_define(nd_store *s, uint64_t key)
{
    nd__wblock *w = &s->w;
    size_t nb = nd__sig_bytes(s->p.num_perm, s->p.sig_bits);
    /* a colliding key keeps its first definition: the collision costs a
     * duplicate, never a wrong reference */
    if (!nd__intern_get(&w->sigtab, key)) {
        int rc = nd__intern_put(&s->al, &w->sigtab, key, (uint32_t)(w->sig_len / nb));
        if (rc) return rc;
    }
    nd__w_varint(w, 0);
    w->sig_len += nb;
    return ND_OK;
}

/* A Signature_Ref: a reference to an equal signature defined earlier (in
 * this block or the previous one), or a new definition. */
static int nd__w_sig(nd_store *s, const uint32_t *sig)
{
    uint64_t key;
    int rc = nd__w_pack(s, sig, &key);
    if (rc || nd__w_ref(s, key)) return rc;
    return nd__w_define(s, key);
}

/* Writes the document signature as derived from its content paragraphs
 * when it can be: for each of the K positions, the number (among the
 * content paragraphs, in b bits) of one whose value there is the
 * document's. An analyzed document's signature is the element-wise minimum
 * of its content paragraphs', so the paragraph holding each minimum has it,
 * and cutting values to sig_bits keeps that true. @return 1 when written,
 * 0 when some position has no such paragraph (or there is no content). */
static int nd__w_derived(nd_store *s, const nd_store_record *rec, int *rc)
{
    nd__wblock *w = &s->w;
    const unsigned k = s->p.num_perm;
    const uint32_t mask = s->p.sig_bits == 32 ? UINT32_MAX : (1u << s->p.sig_bits) - 1;
    size_t c = 0;
    unsigned b = 0;
    if ((*rc = nd__reserve(&s->al, (void **)&s->cbuf, &s->cbuf_cap, rec->count, sizeof *s->cbuf))) return 0;
    for (size_t i = 0; i < rec->count; i++)
        if (rec->paras[i].kind == ND_KIND_CONTENT) s->cbuf[c++] = (uint32_t)i;
    if (!c) return 0;
    while (((uint64_t)1 << b) < c) b++;
    size_t bytes = ((size_t)k * b + 7) / 8;
    if ((*rc = nd__w_need(s, 1 + bytes))) return 0;
    unsigned char *out = w->raw + w->len + 1;
    memset(out, 0, bytes);
    for (unsigned j = 0; j < k; j++) {
        size_t x = 0;
        while (x < c && ((rec->paras[s->cbuf[x]].signature[j] ^ rec->signature[j]) & mask)) x++;
        if (x == c) return 0;
        nd__bits_put(out, (size_t)j * b, b, (uint32_t)x);
    }
    w->raw[w->len] = 1; /* Doc_Signature_Mode 1: derived */
    w->len += 1 + bytes;
    return 1;
}

/* The document signature: a reference when an equal one is defined
 * already (cheapest), else derived from the paragraphs, else defined. */
static int nd__w_docsig(nd_store *s, const nd_store_record *rec)
{
    uint64_t key;
    int rc = nd__w_pack(s, rec->signature, &key);
    if (rc) return rc;
    size_t mode_at = s->w.len;
    nd__w_varint(&s->w, 0); /* Doc_Signature_Mode 0: a Signature_Ref follows */
    if (nd__w_ref(s, key)) return ND_OK;
    s->w.len = mode_at;
    if (nd__w_derived(s, rec, &rc) || rc) return rc;
    nd__w_varint(&s->w, 0);
    return nd__w_define(s, key);
}

/* Shingles a paragraph of `tokens` words has when nothing unusual happened
 * (shingle.c): one per window of w tokens, or one for a shorter paragraph. */
static uint64_t nd__expected_shingles(uint64_t tokens, unsigned w)
{
    return tokens >= w ? tokens - w + 1 : 1;
}

static int nd__w_para(nd_store *s, const nd_para_sig *p, uint64_t *prev_end)
{
    nd__wblock *w = &s->w;
    int rc = nd__w_need(s, 4 * ND__VARINT_MAX + 8);
    if (rc) return rc;
    nd__w_varint(w, nd__zigzag((uint64_t)p->offset - *prev_end));
    nd__w_varint(w, p->length);
    nd__w_varint(w, p->kind == ND_KIND_REPEAT ? (uint64_t)p->of + 1 : 0);
    if (p->kind == ND_KIND_REPEAT) { /* binary64 bits: the value comes back exactly */
        uint64_t bits;
        memcpy(&bits, &p->similarity, sizeof bits);
        nd__le64_put(w->raw + w->len, bits);
        w->len += 8;
    }
    nd__w_varint(w, p->tokens);
    nd__w_varint(w, nd__zigzag((uint64_t)p->shingles - nd__expected_shingles(p->tokens, s->p.shingle_size)));
    *prev_end = (uint64_t)p->offset + p->length;
    return nd__w_sig(s, p->signature);
}

static int nd__w_record(nd_store *s, const nd_store_record *rec)
{
    nd__wblock *w = &s->w;
    int rc = nd__w_need(s, 2 * ND__VARINT_MAX + rec->id_len);
    if (rc) return rc;
    nd__w_varint(w, rec->id_len);
    if (rec->id_len) memcpy(w->raw + w->len, rec->id, rec->id_len);
    w->len += rec->id_len;
    if ((rc = nd__w_source(s, rec->source, rec->source_len))) return rc;
    if ((rc = nd__w_need(s, 2 * ND__VARINT_MAX))) return rc;
    nd__w_varint(w, nd__zigzag((uint64_t)rec->time - w->last_time));
    w->last_time = (uint64_t)rec->time;
    nd__w_varint(w, rec->count);
    uint64_t prev_end = 0;
    for (size_t i = 0; i < rec->count; i++)
        if ((rc = nd__w_para(s, &rec->paras[i], &prev_end))) return rc;
    if ((rc = nd__w_docsig(s, rec))) return rc;
    if ((rc = nd__w_need(s, 1))) return rc;
    nd__w_varint(w, 0); /* extension area: empty in this version */
    return ND_OK;
}

/* What the reader will demand of a record, checked before writing it. */
static int nd__check_record(nd_store *s, const nd_store_record *rec, uint64_t *extent)
{
    if ((!rec->id && rec->id_len) || (!rec->source && rec->source_len) || !rec->signature
        || (rec->count && !rec->paras))
        return nd__fail(s, ND_E_INVALID, "invalid record (NULL field)");
    if (rec->id_len > ND__STORE_MAX_STRING || rec->source_len > ND__STORE_MAX_STRING)
        return nd__fail(s, ND_E_TOO_LARGE, "id or source longer than %u bytes", ND__STORE_MAX_STRING);
    *extent = 0;
    for (size_t i = 0; i < rec->count; i++) {
        const nd_para_sig *p = &rec->paras[i];
        if (!p->signature || (p->kind != ND_KIND_CONTENT && p->kind != ND_KIND_REPEAT)
            || (p->kind == ND_KIND_REPEAT && (p->of >= i || rec->paras[p->of].kind != ND_KIND_CONTENT
                                              || !(p->similarity >= 0.0 && p->similarity <= 1.0))))
            return nd__fail(s, ND_E_INVALID, "paragraph %zu: bad kind, repeat root, similarity or signature", i);
        if (p->offset > UINT32_MAX || p->length > UINT32_MAX || p->tokens > UINT32_MAX
            || p->shingles > UINT32_MAX)
            return nd__fail(s, ND_E_TOO_LARGE, "paragraph %zu: offset, length or counts past 2^32", i);
        if (p->offset + p->length > *extent) *extent = p->offset + p->length;
    }
    return ND_OK;
}

/* ---- Writer: blocks and commits ------------------------------------------------------------------ */

static void nd__w_reset(nd__wblock *w)
{
    w->len = 0;
    w->ndocs = 0;
    w->sig_len = 0;
    w->nsrcs = 0;
    w->last_time = 0;
    w->used_prev = 0;
    nd__intern_clear(&w->sigtab);
    nd__intern_clear(&w->srctab);
}

/* After a block is written its definitions become the previous block's,
 * which the next block may reference: the buffers and tables swap, and
 * the old previous ones are reused for the next block. */
static void nd__w_next(nd__wblock *w)
{
    unsigned char *sig = w->psig;
    size_t cap = w->psig_cap;
    nd__intern tab = w->ptab;
    w->psig = w->sig;
    w->psig_cap = w->sig_cap;
    w->psig_len = w->sig_len;
    w->ptab = w->sigtab;
    w->sig = sig;
    w->sig_cap = cap;
    w->sigtab = tab;
    nd__w_reset(w);
}

/* Undoes a partly written record: the records, signatures and dictionaries go back to
 * their state before it (the hash tables are rebuilt, a rare path). */
static int nd__w_rollback(nd_store *s, const nd__wblock *saved)
{
    nd__wblock *w = &s->w;
    size_t nb = nd__sig_bytes(s->p.num_perm, s->p.sig_bits);
    w->len = saved->len;
    w->sig_len = saved->sig_len;
    w->nsrcs = saved->nsrcs;
    w->last_time = saved->last_time;
    w->used_prev = saved->used_prev;
    nd__intern_clear(&w->sigtab);
    nd__intern_clear(&w->srctab);
    int rc = ND_OK;
    for (size_t i = 0; i < w->sig_len / nb && !rc; i++) {
        uint64_t key = XXH3_64bits(w->sig + i * nb, nb);
        if (!nd__intern_get(&w->sigtab, key)) rc = nd__intern_put(&s->al, &w->sigtab, key, (uint32_t)i);
    }
    for (size_t i = 0; i < w->nsrcs && !rc; i++) {
        const unsigned char *p = w->raw + w->srcs[i];
        uint64_t len;
        nd__varint_get(&p, w->raw + w->len, &len);
        uint64_t key = nd__src_key(p, (size_t)len);
        if (!nd__intern_get(&w->srctab, key)) rc = nd__intern_put(&s->al, &w->srctab, key, (uint32_t)i);
    }
    return rc;
}

/* The frame content: records' length, the records deflated, then the
 * signature section as is (its values are random bytes: DEFLATE would only
 * slow down writing and reading them). @return its size in *out_size. */
static int nd__deflate(nd_store *s, size_t *out_size)
{
    nd__wblock *w = &s->w;
    const size_t at = ND__STORE_FRAME_HEADER + 4;
    int zrc = w->zs_ready ? deflateReset(&w->zs)
                          : (nd__zinit(&w->zs, s), deflateInit2(&w->zs, 6, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY));
    if (zrc != Z_OK) return nd__fail(s, zrc == Z_MEM_ERROR ? ND_E_NOMEM : ND_E_IO, "zlib: cannot start deflate");
    w->zs_ready = 1;
    size_t bound = deflateBound(&w->zs, (uLong)w->len);
    int rc = nd__reserve(&s->al, (void **)&w->z, &w->z_cap, at + bound + w->sig_len, 1);
    if (rc) return nd__fail(s, rc, "out of memory");
    w->zs.next_in = w->raw;
    w->zs.avail_in = (uInt)w->len;
    w->zs.next_out = w->z + at;
    w->zs.avail_out = (uInt)bound;
    if (deflate(&w->zs, Z_FINISH) != Z_STREAM_END) return nd__fail(s, ND_E_IO, "zlib: deflate failed");
    size_t zlen = (size_t)w->zs.total_out;
    nd__le32_put(w->z + ND__STORE_FRAME_HEADER, (uint32_t)zlen);
    if (w->sig_len) memcpy(w->z + at + zlen, w->sig, w->sig_len);
    *out_size = 4 + zlen + w->sig_len;
    return ND_OK;
}

/* Writes the pending block after the last frame (not yet durable). */
static int nd__flush_block(nd_store *s)
{
    nd__wblock *w = &s->w;
    if (!w->ndocs) return ND_OK;
    size_t csize = 0;
    int rc = nd__deflate(s, &csize);
    if (rc) return rc;
    nd__blockref b = { s->wpos, s->docs - w->ndocs, XXH64(w->z + ND__STORE_FRAME_HEADER, csize, 0),
                       ND__FRAME_RECORDS, w->ndocs, (uint32_t)csize, (uint32_t)w->len,
                       w->used_prev ? ND__FRAME_PREV : 0, s->last_records };
    nd__frame_encode(w->z, &b);
    rc = nd__reserve(&s->al, (void **)&s->blocks, &s->blocks_cap, s->nblocks + 1, sizeof *s->blocks);
    if (rc) return nd__fail(s, rc, "out of memory");
    if (nd__pwrite(s->fd, w->z, ND__STORE_FRAME_HEADER + csize, s->wpos)) {
        s->failed = 1;
        return nd__fail_errno(s, "writing a block");
    }
    s->last_records = s->nblocks;
    s->blocks[s->nblocks++] = b;
    s->wpos += ND__STORE_FRAME_HEADER + csize;
    nd__w_next(w);
    return ND_OK;
}

static int nd__writable(nd_store *s)
{
    if (!nd__usable(s)) return ND_E_STATE;
    if (s->read_only) return nd__fail(s, ND_E_STATE, "opened read-only");
    if (s->failed) return nd__fail(s, ND_E_STATE, "an earlier write failed; reopen the store");
    return ND_OK;
}

/* Encodes the record into the pending block; a record that would take the
 * block past its largest size starts a new block, or is refused when it is
 * too large even alone. */
static int nd__append(nd_store *s, const nd_store_record *rec)
{
    uint64_t extent = 0;
    int rc = nd__writable(s);
    if (!rc) rc = nd__check_record(s, rec, &extent);
    if (rc) return rc;
    for (int attempt = 0;; attempt++) {
        nd__wblock saved = s->w;
        rc = nd__w_record(s, rec);
        if (!rc && s->w.len + s->w.sig_len <= ND__STORE_MAX_RAW) break;
        int rb = nd__w_rollback(s, &saved);
        if (rb || (rc && rc != ND_E_TOO_LARGE)) return nd__fail(s, rb ? rb : rc, "out of memory");
        if (attempt > 0 || !s->w.ndocs)
            return nd__fail(s, ND_E_TOO_LARGE, "record of %zu paragraphs exceeds the block size limit",
                            rec->count);
        if ((rc = nd__flush_block(s))) return rc;
    }
    s->w.ndocs++;
    s->docs++;
    s->paras += rec->count;
    s->text += extent;
    return s->w.len + s->w.sig_len >= s->block_target ? nd__flush_block(s) : ND_OK;
}

int nd_store_append_record(nd_store *s, const nd_store_record *rec)
{
    if (!s || !rec) return ND_E_INVALID;
    return nd__append(s, rec);
}

int nd_store_append_doc(nd_store *s, const nd_doc *doc, const char *id, size_t id_len,
                        const char *source, size_t source_len, int64_t time)
{
    if (!s || !doc) return ND_E_INVALID;
    int rc = nd__writable(s);
    if (rc) return rc;
    size_t n = nd_doc_count(doc);
    rc = nd__reserve(&s->al, (void **)&s->pbuf, &s->pbuf_cap, n, sizeof *s->pbuf);
    if (rc) return nd__fail(s, rc, "out of memory");
    for (size_t i = 0; i < n; i++) {
        nd_para_info info;
        nd_doc_para(doc, i, &info);
        nd_para_sig p = { info.offset, info.length, info.kind, info.of, info.shingles, info.tokens,
                          nd_doc_para_signature(doc, i), info.similarity };
        s->pbuf[i] = p;
    }
    nd_doc_signature(doc, s->sigbuf);
    nd_store_record rec = { id, id_len, source, source_len, time, s->pbuf, n, s->sigbuf };
    return nd__append(s, &rec);
}

int nd_store_commit(nd_store *s)
{
    int rc = nd__writable(s);
    if (!rc) rc = nd__flush_block(s);
    if (rc || s->wpos == s->slot.end) return rc;
    if (nd__fsync(s->fd)) {
        s->failed = 1;
        return nd__fail_errno(s, "flushing blocks to disk");
    }
    /* the blocks are durable: only now may a slot point past them */
    nd__slot next = { s->slot.seq + 1, s->wpos, s->docs, s->paras, s->text };
    unsigned char b[ND__STORE_SLOT_SIZE];
    nd__slot_encode(b, &next);
    int target = s->cur_slot ^ 1;
    if (nd__pwrite(s->fd, b, sizeof b, s->header_len + (uint64_t)target * ND__STORE_SLOT_SIZE)
        || nd__fsync(s->fd)) {
        s->failed = 1;
        return nd__fail_errno(s, "writing the commit");
    }
    s->slot = next;
    s->cur_slot = target;
    s->committed_blocks = s->nblocks;
    s->file_size = s->wpos;
    s->torn = 0;
    return ND_OK;
}

void nd__store_set_block_target(nd_store *s, size_t bytes)
{
    if (s) s->block_target = bytes ? bytes : 1;
}

int nd__store_write_frame(nd_store *s, unsigned type, const void *content, size_t size)
{
    int rc = nd__writable(s);
    if (!rc) rc = nd__flush_block(s);
    if (rc) return rc;
    if (size > UINT32_MAX - ND__STORE_FRAME_HEADER) return ND_E_TOO_LARGE;
    unsigned char h[ND__STORE_FRAME_HEADER];
    nd__blockref b = { s->wpos, s->docs, XXH64(content, size, 0), type & 0xFF, 0, (uint32_t)size, 0, 0,
                       s->last_records };
    nd__frame_encode(h, &b);
    rc = nd__reserve(&s->al, (void **)&s->blocks, &s->blocks_cap, s->nblocks + 1, sizeof *s->blocks);
    if (rc) return rc;
    if (nd__pwrite(s->fd, h, sizeof h, s->wpos) || nd__pwrite(s->fd, content, size, s->wpos + sizeof h))
        return nd__fail_errno(s, "writing a frame");
    s->blocks[s->nblocks++] = b;
    s->wpos += sizeof h + size;
    return ND_OK;
}

/* ---- Reader: record blocks ------------------------------------------------------------------------ */

/* Parsing state of one record. */
typedef struct nd__cursor {
    const unsigned char *p, *end;
    uint32_t next_def, next_src; /* numbers the next definitions will get */
    uint64_t time;               /* of the previous record */
} nd__cursor;

static int nd__get(nd__cursor *c, uint64_t *v) { return nd__varint_get(&c->p, c->end, v); }

/* A signature reference as the reader keeps it: a definition number of the
 * block held, or, with this bit, of the previous record block (both are
 * below 2^26: a block holds at most 64 MiB). */
#define ND__REF_PREV 0x80000000u

/* A Signature_Ref: a definition (the next signature of the block's
 * signature section) or a reference to an earlier one. Version 1: 0 a
 * definition, R >= 1 the block's definition R-1. Version 2: 0 a definition,
 * 1 then J the previous record block's definition J, R >= 2 the block's
 * definition R-2. *idx receives the reference (ND__REF_PREV). */
static int nd__r_sig(nd_store *s, nd__cursor *c, uint32_t *idx)
{
    nd__rblock *r = &s->r;
    uint64_t ref, j;
    if (nd__get(c, &ref)) return -1;
    if (ref == 0) {
        if (c->next_def >= r->nsigs) return -1;
        *idx = c->next_def++;
        return 0;
    }
    r->nrefs++;
    if (s->grammar == 1) ref++; /* the same numbers, without the previous block */
    else if (ref == 1) {
        if (nd__get(c, &j) || !r->has_prev || j >= r->pnsigs) return -1;
        *idx = ND__REF_PREV | (uint32_t)j;
        return 0;
    }
    if (ref - 2 >= c->next_def) return -1; /* only earlier definitions may be named */
    *idx = (uint32_t)(ref - 2);
    return 0;
}

/* The document signature of a record (version 2): a Signature_Ref, or
 * derived from the record's content paragraphs (see nd__w_derived). */
typedef struct nd__docsig {
    uint32_t ref;                /* mode 0 */
    const unsigned char *bits;   /* mode 1: K numbers of b bits, or NULL */
    unsigned b;
} nd__docsig;

/* Reads Doc_Signature_Mode and what follows it; every derived number must
 * name one of the c content paragraphs, and the padding bits be 0. */
static int nd__r_docsig(nd_store *s, nd__cursor *c, size_t ncontent, nd__docsig *out)
{
    uint64_t mode;
    out->bits = NULL;
    out->b = 0;
    if (nd__get(c, &mode) || mode > 1) return -1;
    if (mode == 0) return nd__r_sig(s, c, &out->ref);
    if (ncontent == 0) return -1;
    while (((uint64_t)1 << out->b) < ncontent) out->b++;
    const size_t k = s->p.num_perm, nbits = k * out->b, bytes = (nbits + 7) / 8;
    if (bytes > (size_t)(c->end - c->p)) return -1;
    out->bits = c->p;
    for (size_t j = 0; j < k && out->b; j++)
        if (nd__bits_get(out->bits, j * out->b, out->b) >= ncontent) return -1;
    if (nbits % 8 && c->p[bytes - 1] >> (nbits % 8)) return -1; /* reserved padding */
    c->p += bytes;
    return 0;
}

static int nd__r_source(nd_store *s, nd__cursor *c, uint32_t *idx)
{
    nd__rblock *r = &s->r;
    uint64_t ref, len;
    if (nd__get(c, &ref)) return -1;
    if (ref) {
        if (ref > c->next_src) return -1;
        *idx = (uint32_t)(ref - 1);
        return 0;
    }
    if (nd__get(c, &len) || len > ND__STORE_MAX_STRING || len > (uint64_t)(c->end - c->p)) return -1;
    if (c->next_src == r->nsrcs) {
        if (nd__reserve(&s->al, (void **)&r->srcs, &r->srcs_cap, r->nsrcs + 1, sizeof *r->srcs)
            || nd__reserve(&s->al, (void **)&r->src_lens, &r->src_lens_cap, r->nsrcs + 1, sizeof *r->src_lens))
            return -2;
        r->srcs[r->nsrcs] = (size_t)(c->p - r->raw);
        r->src_lens[r->nsrcs++] = (size_t)len;
    }
    *idx = c->next_src++;
    c->p += len;
    return 0;
}

/* One paragraph into r->paras[i], its signature number into r->pidx[i]. */
static int nd__r_para(nd_store *s, nd__cursor *c, size_t i, uint64_t *prev_end)
{
    nd_para_sig *p = &s->r.paras[i];
    uint64_t delta, len, kind, tokens, sh;
    double sim = 0.0;
    if (nd__get(c, &delta) || nd__get(c, &len) || nd__get(c, &kind)) return -1;
    if (kind) {
        uint64_t bits;
        if (c->end - c->p < 8) return -1;
        bits = nd__le64_get(c->p);
        c->p += 8;
        memcpy(&sim, &bits, sizeof sim);
        if (!(sim >= 0.0 && sim <= 1.0)) return -1; /* NaN too */
    }
    if (nd__get(c, &tokens) || nd__get(c, &sh)) return -1;
    uint64_t off = *prev_end + nd__unzigzag(delta);
    uint64_t shingles = nd__expected_shingles(tokens, s->p.shingle_size) + nd__unzigzag(sh);
    if (off > UINT32_MAX || len > UINT32_MAX || tokens > UINT32_MAX || shingles > UINT32_MAX) return -1;
    if (kind && (kind - 1 >= i || s->r.paras[kind - 1].kind != ND_KIND_CONTENT)) return -1;
    p->offset = (size_t)off;
    p->length = (size_t)len;
    p->kind = kind ? ND_KIND_REPEAT : ND_KIND_CONTENT;
    p->of = kind ? (size_t)(kind - 1) : i;
    p->tokens = (size_t)tokens;
    p->shingles = (size_t)shingles;
    p->similarity = sim;
    *prev_end = off + len;
    p->signature = NULL; /* set once the block's signatures are widened */
    return nd__r_sig(s, c, &s->r.pidx[i]);
}

/* One record at the cursor into out (paragraphs in r->paras, signature
 * numbers not yet resolved). @return 0, -1 corrupt, -2 out of memory. */
static int nd__r_record(nd_store *s, nd__cursor *c, nd_store_record *out, nd__docsig *ds,
                        uint32_t *src_idx, uint64_t *extent)
{
    nd__rblock *r = &s->r;
    uint64_t id_len, dt, count, ext_len, prev_end = 0;
    size_t ncontent = 0;
    if (nd__get(c, &id_len) || id_len > ND__STORE_MAX_STRING || id_len > (uint64_t)(c->end - c->p)) return -1;
    out->id = (const char *)c->p;
    out->id_len = (size_t)id_len;
    c->p += id_len;
    int rc = nd__r_source(s, c, src_idx);
    if (rc || nd__get(c, &dt)) return rc ? rc : -1;
    c->time += nd__unzigzag(dt);
    out->time = c->time <= INT64_MAX ? (int64_t)c->time : -(int64_t)(~c->time) - 1;
    ds->bits = NULL;
    if (s->grammar == 1 && (rc = nd__r_sig(s, c, &ds->ref))) return rc; /* before the paragraphs */
    if (nd__get(c, &count)) return -1;
    if (count > (uint64_t)(c->end - c->p) / ND__STORE_MIN_PARA) return -1;
    if (nd__reserve(&s->al, (void **)&r->paras, &r->paras_cap, (size_t)count, sizeof *r->paras)
        || nd__reserve(&s->al, (void **)&r->pidx, &r->pidx_cap, (size_t)count, sizeof *r->pidx))
        return -2;
    *extent = 0;
    for (size_t i = 0; i < count; i++) {
        if ((rc = nd__r_para(s, c, i, &prev_end))) return rc;
        if (prev_end > *extent) *extent = prev_end;
        ncontent += r->paras[i].kind == ND_KIND_CONTENT;
    }
    if (s->grammar >= 2 && (rc = nd__r_docsig(s, c, ncontent, ds))) return rc;
    out->paras = r->paras;
    out->count = (size_t)count;
    if (nd__get(c, &ext_len) || ext_len > (uint64_t)(c->end - c->p)) return -1;
    c->p += ext_len; /* fields of a later version: skipped */
    return 0;
}

/* Validates every record of the block just inflated, noting where each
 * starts and what was defined before it, then widens its signatures. */
static int nd__r_parse_block(nd_store *s, const nd__blockref *b)
{
    nd__rblock *r = &s->r;
    const size_t n = b->ndocs;
    nd__cursor c = { r->raw, r->raw + r->raw_len, 0, 0, 0 };
    r->nsrcs = 0;
    r->nparas = r->text = r->nrefs = 0;
    int rc = nd__reserve(&s->al, (void **)&r->recs, &r->rec_cap, n, sizeof *r->recs);
    if (rc) return nd__fail(s, rc, "out of memory");
    for (size_t i = 0; i < n; i++) {
        nd_store_record rec;
        nd__docsig ds;
        uint32_t src;
        uint64_t extent;
        nd__recpos pos = { (size_t)(c.p - r->raw), c.next_def, c.next_src, c.time };
        r->recs[i] = pos;
        int prc = nd__r_record(s, &c, &rec, &ds, &src, &extent);
        if (prc == -2) return nd__fail(s, ND_E_NOMEM, "out of memory");
        if (prc) return nd__fail(s, ND_E_CORRUPT, "record block at offset %llu: record %zu is malformed",
                                 (unsigned long long)b->off, i);
        r->nparas += rec.count;
        r->text += extent;
    }
    if (c.p != c.end || c.next_def != r->nsigs) /* every byte and every signature used */
        return nd__fail(s, ND_E_CORRUPT, "record block at offset %llu: bytes after its last record",
                        (unsigned long long)b->off);
    r->nrec = n;
    return ND_OK;
}

/* Splits a record block's content into records (inflated into r->raw) and
 * signature section (left in r->z). */
/* The two sections of a record block's content z: *zlen bytes of zlib
 * stream after the 4-byte Records_Size, then *nsigs signatures. */
static int nd__sections(nd_store *s, const nd__blockref *b, const unsigned char *z, uint32_t *zlen,
                        size_t *nsigs)
{
    size_t nb = nd__sig_bytes(s->p.num_perm, s->p.sig_bits);
    *zlen = b->content_size >= 4 ? nd__le32_get(z) : UINT32_MAX;
    if (*zlen > b->content_size - 4 || (b->content_size - 4 - *zlen) % nb
        || b->content_size - 4 - *zlen > ND__STORE_MAX_RAW - b->raw_size)
        return nd__fail(s, ND_E_CORRUPT, "record block at offset %llu: bad section sizes",
                        (unsigned long long)b->off);
    *nsigs = (b->content_size - 4 - *zlen) / nb;
    return ND_OK;
}

static int nd__inflate(nd_store *s, const nd__blockref *b)
{
    nd__rblock *r = &s->r;
    uint32_t zlen;
    int zrc = nd__sections(s, b, r->z, &zlen, &r->nsigs);
    if (zrc) return zrc;
    r->sigs = r->z + 4 + zlen;
    zrc = r->zs_ready ? inflateReset(&r->zs) : (nd__zinit(&r->zs, s), inflateInit(&r->zs));
    if (zrc != Z_OK) return nd__fail(s, zrc == Z_MEM_ERROR ? ND_E_NOMEM : ND_E_IO, "zlib: cannot start inflate");
    r->zs_ready = 1;
    r->zs.next_in = r->z + 4;
    r->zs.avail_in = zlen;
    r->zs.next_out = r->raw;
    r->zs.avail_out = b->raw_size;
    zrc = inflate(&r->zs, Z_FINISH);
    if (zrc == Z_MEM_ERROR) return nd__fail(s, ND_E_NOMEM, "out of memory");
    /* exactly the announced bytes, from exactly the stored stream */
    if (zrc != Z_STREAM_END || r->zs.total_out != b->raw_size || r->zs.avail_in != 0)
        return nd__fail(s, ND_E_CORRUPT, "record block at offset %llu does not inflate to %lu bytes",
                        (unsigned long long)b->off, (unsigned long)b->raw_size);
    r->raw_len = b->raw_size;
    return ND_OK;
}

/* Reads a frame's content into *buf and checks it against its checksum. */
static int nd__read_into(nd_store *s, const nd__blockref *b, unsigned char **buf, size_t *cap)
{
    int rc = nd__reserve(&s->al, (void **)buf, cap, b->content_size, 1);
    if (rc) return nd__fail(s, rc, "out of memory");
    if (nd__pread(s->fd, *buf, b->content_size, b->off + ND__STORE_FRAME_HEADER))
        return nd__fail_errno(s, "reading a block");
    if (!nd__sum_ok(XXH64(*buf, b->content_size, 0), b->checksum))
        return nd__fail(s, ND_E_CHECKSUM, "block at offset %llu: checksum mismatch",
                        (unsigned long long)b->off);
    return ND_OK;
}

static int nd__read_content(nd_store *s, const nd__blockref *b)
{
    s->r.index = SIZE_MAX; /* the block held lives in r->z */
    return nd__read_into(s, b, &s->r.z, &s->r.z_cap);
}

/* Makes pz hold record block pi's content, whose signatures the next block
 * references. Reading in order, it is the block held: its buffer moves
 * over, nothing is read again. */
static int nd__load_prev(nd_store *s, size_t pi)
{
    nd__rblock *r = &s->r;
    if (r->pindex == pi) return ND_OK;
    if (r->index == pi) {
        unsigned char *z = r->pz;
        size_t cap = r->pz_cap;
        r->pz = r->z;
        r->pz_cap = r->z_cap;
        r->z = z;
        r->z_cap = cap;
        r->psigs = r->sigs;
        r->pnsigs = r->nsigs;
        r->index = SIZE_MAX;
        r->pindex = pi;
        return ND_OK;
    }
    r->pindex = SIZE_MAX;
    const nd__blockref *b = &s->blocks[pi];
    uint32_t zlen;
    int rc = nd__read_into(s, b, &r->pz, &r->pz_cap);
    if (!rc) rc = nd__sections(s, b, r->pz, &zlen, &r->pnsigs);
    if (rc) return rc;
    r->psigs = r->pz + 4 + zlen;
    r->pindex = pi;
    return ND_OK;
}

static int nd__load_block(nd_store *s, size_t bi)
{
    nd__rblock *r = &s->r;
    if (r->index == bi) return ND_OK;
    const nd__blockref *b = &s->blocks[bi];
    int rc = ND_OK;
    r->has_prev = (b->flags & ND__FRAME_PREV) != 0;
    if (r->has_prev && (rc = nd__load_prev(s, b->prev))) return rc;
    r->index = SIZE_MAX;
    rc = nd__read_content(s, b);
    if (!rc) rc = nd__reserve(&s->al, (void **)&r->raw, &r->raw_cap, b->raw_size, 1);
    if (rc) return rc == ND_E_NOMEM ? nd__fail(s, rc, "out of memory") : rc;
    if ((rc = nd__inflate(s, b)) || (rc = nd__r_parse_block(s, b))) return rc;
    r->index = bi;
    return ND_OK;
}

/* The committed record block holding document i. */
static int nd__find_block(nd_store *s, uint64_t i, size_t *out)
{
    size_t lo = 0, hi = s->committed_blocks;
    if (hi == 0) return nd__fail(s, ND_E_CORRUPT, "no block holds document %llu", (unsigned long long)i);
    while (hi - lo > 1) { /* the last block whose first document is <= i */
        size_t mid = lo + (hi - lo) / 2;
        if (s->blocks[mid].first_doc <= i) lo = mid;
        else hi = mid;
    }
    const nd__blockref *b = &s->blocks[lo];
    if (b->type != ND__FRAME_RECORDS || i < b->first_doc
        || i - b->first_doc >= b->ndocs)
        return nd__fail(s, ND_E_CORRUPT, "no block holds document %llu", (unsigned long long)i);
    *out = lo;
    return ND_OK;
}

/* The K values of a signature reference, widened to uint32. */
static void nd__r_widen(nd_store *s, uint32_t ref, uint32_t *out)
{
    const nd__rblock *r = &s->r;
    size_t nb = nd__sig_bytes(s->p.num_perm, s->p.sig_bits);
    const unsigned char *src = ref & ND__REF_PREV ? r->psigs + (size_t)(ref & ~ND__REF_PREV) * nb
                                                  : r->sigs + (size_t)ref * nb;
    nd__sig_unpack(out, src, s->p.num_perm, s->p.sig_bits);
}

/* Widens the record's paragraph signatures and its document signature into
 * r->wide and points the record at them. A derived document signature
 * takes value j from the content paragraph its j-th number names.
 * @return 0 or -2 (out of memory). */
static int nd__r_widen_record(nd_store *s, nd_store_record *out, const nd__docsig *ds)
{
    nd__rblock *r = &s->r;
    const size_t k = s->p.num_perm, n = out->count;
    size_t c = 0;
    if (nd__reserve(&s->al, (void **)&r->wide, &r->wide_cap, (n + 1) * k, sizeof *r->wide)
        || nd__reserve(&s->al, (void **)&r->cidx, &r->cidx_cap, n, sizeof *r->cidx))
        return -2;
    for (size_t j = 0; j < n; j++) {
        nd__r_widen(s, r->pidx[j], r->wide + j * k);
        r->paras[j].signature = r->wide + j * k;
        if (r->paras[j].kind == ND_KIND_CONTENT) r->cidx[c++] = (uint32_t)j;
    }
    uint32_t *doc = r->wide + n * k;
    if (!ds->bits) nd__r_widen(s, ds->ref, doc);
    for (size_t j = 0; ds->bits && j < k; j++) /* the numbers were checked: below c */
        doc[j] = r->wide[(size_t)r->cidx[ds->b ? nd__bits_get(ds->bits, j * ds->b, ds->b) : 0] * k + j];
    out->signature = doc;
    return 0;
}

int nd_store_get(nd_store *s, size_t i, nd_store_record *out)
{
    if (!s || !out) return ND_E_INVALID;
    if (!nd__usable(s)) return ND_E_STATE;
    if (i >= s->slot.docs) return ND_E_INVALID;
    size_t bi = 0;
    int rc = nd__find_block(s, i, &bi);
    if (!rc) rc = nd__load_block(s, bi);
    if (rc) return rc;
    nd__rblock *r = &s->r;
    const nd__recpos *pos = &r->recs[i - s->blocks[bi].first_doc];
    nd__cursor c = { r->raw + pos->off, r->raw + r->raw_len, pos->def0, pos->src0, pos->time0 };
    nd__docsig ds;
    uint32_t src;
    uint64_t extent;
    rc = nd__r_record(s, &c, out, &ds, &src, &extent);
    if (!rc) rc = nd__r_widen_record(s, out, &ds);
    if (rc) return nd__fail(s, rc == -2 ? ND_E_NOMEM : ND_E_CORRUPT, "decoding document %zu", i);
    out->source = (const char *)r->raw + r->srcs[src];
    out->source_len = r->src_lens[src];
    return ND_OK;
}

int nd_store_load_into(nd_store *s, nd_corpus *c)
{
    if (!s || !c) return ND_E_INVALID;
    if (!nd__usable(s)) return ND_E_STATE;
    nd__sigparams cp;
    nd__sigparams_of(&cp, &c->ctx->params);
    int rc = nd__params_differ(s, &s->p, &cp, "the collection's context");
    for (size_t i = 0; i < s->slot.docs && !rc; i++) {
        nd_store_record rec;
        if ((rc = nd_store_get(s, i, &rec))) break;
        /* whole values merge exactly: the collection then signs the document
         * with today's boilerplate left out, as it does new documents */
        rc = nd_corpus_add_signed(c, rec.id, rec.id_len, rec.source, rec.source_len, rec.paras,
                                  rec.count, s->p.sig_bits == 32 ? NULL : rec.signature, NULL);
        if (rc) nd__fail(s, rc, "adding document %zu to the collection: %s", i, nd_strerror(rc));
    }
    return rc;
}

/* One frame of a verification pass. */
static int nd__verify_frame(nd_store *s, size_t bi, nd_store_stats *st, uint64_t *text)
{
    const nd__blockref *b = &s->blocks[bi];
    if (b->type != ND__FRAME_RECORDS) return nd__read_content(s, b);
    if (s->r.index == bi) s->r.index = SIZE_MAX; /* re-read: a cached block would skip the checks */
    int rc = nd__load_block(s, bi);
    if (rc) return rc;
    st->blocks++;
    size_t nb = nd__sig_bytes(s->p.num_perm, s->p.sig_bits);
    st->compressed_bytes += (uint64_t)(s->r.sigs - s->r.z) - 4;
    st->raw_bytes += b->raw_size;
    st->signature_bytes += s->r.nsigs * nb;
    st->documents += b->ndocs;
    st->paragraphs += s->r.nparas;
    st->signatures_stored += s->r.nsigs;
    st->signatures_referenced += s->r.nrefs;
    *text += s->r.text;
    return ND_OK;
}

int nd_store_verify(nd_store *s, nd_store_stats *out)
{
    if (!s) return ND_E_INVALID;
    if (!nd__usable(s)) return ND_E_STATE;
    nd_store_stats st;
    uint64_t text = 0;
    int rc = ND_OK;
    memset(&st, 0, sizeof st);
    for (size_t bi = 0; bi < s->committed_blocks && !rc; bi++) rc = nd__verify_frame(s, bi, &st, &text);
    if (!rc && (st.documents != s->slot.docs || st.paragraphs != s->slot.paras || text != s->slot.text))
        rc = nd__fail(s, ND_E_CORRUPT, "the blocks' totals differ from the commit's");
    if (out) *out = st;
    return rc;
}

/* ---- Probes: loading only what can matter to a few documents ------------------------------ */

#define ND__PROBE_FLOOR 0.15   /* estimated Jaccard at which a band hit counts */
#define ND__PROBE_KEY_BITS 16  /* bits of values in a band key at least, round 0 */
#define ND__PROBE_WIDE_BITS 32 /* the same, round 1 (see nd_store_probe_create) */
#define ND__PROBE_FILTER_MIN 12 /* log2 of the bits of a filter in front of the table, at least */
#define ND__PROBE_FILTER_MAX 28 /* and at most (32 MiB) */
#define ND__PROBE_VERIFY 16    /* owners of one band verified per lookup at most */
/* Kinds of band keys, the top byte of a key: paragraph or document
 * signature, plus WIDE for round 1's banding. */
#define ND__PROBE_PARA 1u
#define ND__PROBE_DOC 2u
#define ND__PROBE_WIDE 4u

/* A band key of the table: its owners (a chain of entries) and how many
 * stored documents it has taken. */
typedef struct nd__probe_bucket {
    uint64_t key;
    uint32_t head;      /* first entry + 1; 0 = empty slot */
    uint32_t taken;     /* documents selected through it */
    uint64_t stamp;     /* the last document that hit it, + 1 */
} nd__probe_bucket;

struct nd_store_probe {
    nd_allocator al;
    unsigned k, bits;
    unsigned rows[2], bands[2]; /* banding of round 0 and round 1 owners */
    uint32_t mask;
    size_t per_key;
    uint32_t *sigs;     /* the owners' signatures, K values cut to sig_bits each */
    uint8_t *round;     /* per owner: 0 given, 1 from a document found through round 0 */
    size_t nowners, sigs_cap, round_cap;
    nd__probe_bucket *tab;      /* open addressing, a power of two, at most half full */
    size_t slots, used;
    uint32_t *e_owner, *e_next; /* entries: owner and next entry of the same key */
    size_t nent, e_owner_cap, e_next_cap;
    uint64_t *filter;   /* per stream: bit nd__probe_bit(key) set for every key of the round
                           looked up, sized to ~16 bits per key so that it stays in cache */
    unsigned fbits;     /* log2 of its bits */
    uint32_t *hits;     /* the slots a record hit */
    size_t nhits, hits_cap;
};

int nd_store_probe_create(nd_store_probe **out, const nd_ctx *ctx, size_t per_key)
{
    if (!out) return ND_E_INVALID;
    *out = NULL;
    if (!ctx) return ND_E_INVALID;
    nd_store_probe *p = nd__calloc(&ctx->alloc, 1, sizeof *p);
    if (!p) return ND_E_NOMEM;
    p->al = ctx->alloc;
    p->k = ctx->params.num_perm;
    p->bits = ctx->params.sig_bits;
    p->mask = p->bits == 32 ? UINT32_MAX : (1u << p->bits) - 1;
    /* Round 0 (the probe's own documents, few): bands of 16 bits at least,
     * so that a pair at Jaccard 0.5 shares one with probability 0.99 at K =
     * 32 and 8 bits, and chance collisions stay rare (1 in 65536 per band);
     * verification removes them. Round 1 (the paragraphs of every document
     * found, many, and only wanted for families at the repeat threshold,
     * 0.75): bands of 32 bits, or their chance collisions would hit most
     * lookups. */
    const unsigned want[2] = { ND__PROBE_KEY_BITS, ND__PROBE_WIDE_BITS };
    for (int r = 0; r < 2; r++) {
        p->rows[r] = (want[r] + p->bits - 1) / p->bits;
        if (p->rows[r] > p->k) p->rows[r] = p->k;
        p->bands[r] = p->k / p->rows[r];
    }
    size_t floor_cap = 16 * (size_t)ctx->params.min_stories;
    p->per_key = per_key ? per_key : floor_cap > 64 ? floor_cap : 64;
    *out = p;
    return ND_OK;
}

void nd_store_probe_free(nd_store_probe *p)
{
    if (!p) return;
    const nd_allocator al = p->al;
    void *bufs[] = { p->sigs, p->round, p->tab, p->e_owner, p->e_next, p->filter, p->hits };
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) nd__free(&al, bufs[i]);
    nd__free(&al, p);
}

/* A band key, exact rather than hashed (a band holds at most 32 bits of
 * values): kind << 56 | band << 40 | the band's values side by side. */
static uint64_t nd__probe_key(const nd_store_probe *p, const uint32_t *sig, unsigned band, unsigned kind,
                              unsigned rows)
{
    uint64_t u = 0;
    for (unsigned r = 0; r < rows; r++) u |= (uint64_t)(sig[band * rows + r] & p->mask) << (r * p->bits);
    return (uint64_t)kind << 56 | (uint64_t)band << 40 | u;
}

/* The filter of a key: two bits of one 64-bit word (a blocked Bloom
 * filter: one memory access, a third of the false hits of one bit), from a
 * multiplicative hash, cheaper than the table's, for the many lookups that
 * miss. @return the word's index; *bits the two bits. */
static size_t nd__probe_bits(const nd_store_probe *p, uint64_t key, uint64_t *bits)
{
    uint64_t h = key * 0x9e3779b97f4a7c15ull;
    *bits = (uint64_t)1 << (h & 63) | (uint64_t)1 << (h >> 6 & 63);
    return (size_t)(h >> (64 - (p->fbits - 6)));
}

/* Builds the filter of the keys of one round's banding, before a stream. */
static int nd__probe_filter(nd_store_probe *p, unsigned round)
{
    size_t keys = 0;
    uint64_t wide = (uint64_t)ND__PROBE_WIDE << 56;
    for (size_t i = 0; i < p->slots; i++) keys += p->tab[i].head && !(p->tab[i].key & wide) == !round;
    p->fbits = ND__PROBE_FILTER_MIN;
    while (p->fbits < ND__PROBE_FILTER_MAX && ((size_t)1 << p->fbits) < 16 * keys) p->fbits++;
    nd__free(&p->al, p->filter);
    p->filter = nd__calloc(&p->al, ((size_t)1 << p->fbits) / 64, sizeof *p->filter);
    if (!p->filter) return ND_E_NOMEM;
    for (size_t i = 0; i < p->slots; i++)
        if (p->tab[i].head && !(p->tab[i].key & wide) == !round) {
            uint64_t bits;
            size_t w = nd__probe_bits(p, p->tab[i].key, &bits);
            p->filter[w] |= bits;
        }
    return ND_OK;
}

/* The slot of key, or of the empty place where it would go. */
static size_t nd__probe_slot(const nd_store_probe *p, uint64_t key)
{
    size_t i = (size_t)nd__mix64(key) & (p->slots - 1);
    while (p->tab[i].head && p->tab[i].key != key) i = (i + 1) & (p->slots - 1);
    return i;
}

static int nd__probe_grow(nd_store_probe *p)
{
    size_t n = p->slots ? 2 * p->slots : 1024;
    nd__probe_bucket *tab = nd__calloc(&p->al, n, sizeof *tab), *old = p->tab;
    if (!tab) return ND_E_NOMEM;
    size_t old_slots = p->slots;
    p->tab = tab;
    p->slots = n;
    for (size_t i = 0; i < old_slots; i++)
        if (old[i].head) p->tab[nd__probe_slot(p, old[i].key)] = old[i];
    nd__free(&p->al, old);
    return ND_OK;
}

/* Whether an owner of the key at slot `at` already has these values, or,
 * with near set, values at an estimated Jaccard of 0.9 or more (a page's
 * copies, which would add owners finding the same pages). Walks a few
 * owners at most. */
static int nd__probe_has(const nd_store_probe *p, size_t at, const uint32_t *sig, int near)
{
    unsigned seen = 0;
    for (uint32_t e = p->tab[at].head; e && seen++ < ND__PROBE_VERIFY; e = p->e_next[e - 1]) {
        const uint32_t *o = p->sigs + (size_t)p->e_owner[e - 1] * p->k;
        if (!memcmp(o, sig, p->k * sizeof *sig)
            || (near && nd_signature_similarity_bits(o, sig, p->k, p->bits) >= 0.9))
            return 1;
    }
    return 0;
}

/* Adds a signature (K values) as an owner of its bands; an owner equal to
 * one there already is left out, so that chrome repeated on many pages
 * costs one owner. */
static int nd__probe_owner(nd_store_probe *p, const uint32_t *sig, unsigned kind, uint8_t round)
{
    const size_t k = p->k, o = p->nowners;
    const unsigned bands = p->bands[round], rows = p->rows[round];
    if (round) kind |= ND__PROBE_WIDE;
    if (o >= (size_t)INT32_MAX || p->nent + bands >= (size_t)INT32_MAX) return ND_E_TOO_LARGE;
    int rc = nd__reserve(&p->al, (void **)&p->sigs, &p->sigs_cap, (o + 1) * k, sizeof *p->sigs);
    if (!rc) rc = nd__reserve(&p->al, (void **)&p->round, &p->round_cap, o + 1, 1);
    if (!rc) rc = nd__reserve(&p->al, (void **)&p->e_owner, &p->e_owner_cap, p->nent + bands, sizeof *p->e_owner);
    if (!rc) rc = nd__reserve(&p->al, (void **)&p->e_next, &p->e_next_cap, p->nent + bands, sizeof *p->e_next);
    while (!rc && 2 * (p->used + bands) > p->slots) rc = nd__probe_grow(p);
    if (rc) return rc;
    uint32_t *mine = p->sigs + o * k;
    for (size_t j = 0; j < k; j++) mine[j] = sig[j] & p->mask;
    /* a near copy of an owner shares a band with it; the first two bands
     * find most (at Jaccard 0.9 and 4 rows, 1 - (1 - 0.66)^2 = 0.88) */
    for (unsigned b = 0; b < bands && b < 2u - !round; b++) {
        size_t at = nd__probe_slot(p, nd__probe_key(p, mine, b, kind, rows));
        if (p->tab[at].head && nd__probe_has(p, at, mine, round)) return ND_OK;
    }
    for (unsigned b = 0; b < bands; b++) {
        uint64_t key = nd__probe_key(p, mine, b, kind, rows);
        size_t at = nd__probe_slot(p, key);
        if (!p->tab[at].head) {
            p->tab[at].key = key;
            p->used++;
        }
        p->e_owner[p->nent] = (uint32_t)o;
        p->e_next[p->nent] = p->tab[at].head;
        p->tab[at].head = (uint32_t)++p->nent;
    }
    p->round[o] = round;
    p->nowners++;
    return ND_OK;
}

int nd_store_probe_add(nd_store_probe *p, const nd_doc *doc)
{
    if (!p || !doc) return ND_E_INVALID;
    uint32_t sig[ND_MAX_NUM_PERM];
    int rc = nd_doc_signature(doc, sig);
    if (!rc && nd_doc_count(doc)) rc = nd__probe_owner(p, sig, ND__PROBE_DOC, 0);
    for (size_t i = 0; i < nd_doc_count(doc) && !rc; i++)
        rc = nd__probe_owner(p, nd_doc_para_signature(doc, i), ND__PROBE_PARA, 0);
    return rc;
}

/* Looks one stored signature's bands of one round's banding up. */
static int nd__probe_lookup_round(nd_store_probe *p, const uint32_t *sig, unsigned kind, unsigned round,
                                  unsigned max_round, uint64_t stamp, int *given)
{
    if (round) kind |= ND__PROBE_WIDE;
    for (unsigned b = 0; b < p->bands[round]; b++) {
        uint64_t key = nd__probe_key(p, sig, b, kind, p->rows[round]);
        uint64_t bits;
        size_t w = nd__probe_bits(p, key, &bits);
        if ((p->filter[w] & bits) != bits) continue;
        nd__probe_bucket *t = &p->tab[nd__probe_slot(p, key)];
        if (!t->head || t->stamp == stamp || t->taken >= p->per_key) continue;
        unsigned verified = 0;
        for (uint32_t e = t->head; e && verified < ND__PROBE_VERIFY; e = p->e_next[e - 1]) {
            uint32_t o = p->e_owner[e - 1];
            if (p->round[o] > max_round) continue;
            verified++;
            if (nd_signature_similarity_bits(sig, p->sigs + (size_t)o * p->k, p->k, p->bits) < ND__PROBE_FLOOR)
                continue;
            int rc = nd__reserve(&p->al, (void **)&p->hits, &p->hits_cap, p->nhits + 1, sizeof *p->hits);
            if (rc) return rc;
            p->hits[p->nhits++] = (uint32_t)(t - p->tab);
            t->stamp = stamp;
            *given |= p->round[o] == 0;
            break;
        }
    }
    return ND_OK;
}

/* Looks one stored signature's bands up, in the banding of rounds
 * min_round..max_round; each band whose key has an owner of round <=
 * max_round estimated at least ND__PROBE_FLOOR from it, and not yet full,
 * is noted in p->hits (once per document `stamp`). *given is set when an
 * owner of round 0 was met. */
static int nd__probe_lookup(nd_store_probe *p, const uint32_t *sig, unsigned kind, unsigned min_round,
                            unsigned max_round, uint64_t stamp, int *given)
{
    for (unsigned round = min_round; round <= max_round; round++) {
        int rc = nd__probe_lookup_round(p, sig, kind, round, max_round, stamp, given);
        if (rc) return rc;
    }
    return ND_OK;
}

/* Whether the stored record has a paragraph or content signature near an
 * owner of `round` (in that round's banding): *out 1 (and every band it
 * hit takes one more document), 2 when that was round 0, else 0. */
static int nd__probe_match(nd_store_probe *p, const nd_store_record *rec, unsigned round,
                           uint64_t stamp, int *out)
{
    int given = 0, rc = ND_OK;
    p->nhits = 0;
    /* round 1 owners are paragraphs only */
    if (round == 0) rc = nd__probe_lookup(p, rec->signature, ND__PROBE_DOC, 0, 0, stamp, &given);
    for (size_t i = 0; i < rec->count && !rc; i++)
        rc = nd__probe_lookup(p, rec->paras[i].signature, ND__PROBE_PARA, round, round, stamp, &given);
    for (size_t i = 0; i < p->nhits; i++) p->tab[p->hits[i]].taken++;
    *out = p->nhits ? 1 + given : 0;
    return rc;
}

/* Stream 1: marks the documents near the given signatures, and makes the
 * content paragraphs of those found through them owners of round 1. */
static int nd__probe_first(nd_store *s, nd_store_probe *p, unsigned char *mark)
{
    if (nd__probe_filter(p, 0)) return nd__fail(s, ND_E_NOMEM, "out of memory");
    for (size_t i = 0; i < s->slot.docs; i++) {
        nd_store_record rec;
        int m = 0, rc = nd_store_get(s, i, &rec);
        if (!rc) rc = nd__probe_match(p, &rec, 0, (uint64_t)i + 1, &m);
        for (size_t j = 0; j < rec.count && !rc && m == 2; j++)
            if (rec.paras[j].kind == ND_KIND_CONTENT)
                rc = nd__probe_owner(p, rec.paras[j].signature, ND__PROBE_PARA, 1);
        if (rc) return rc == ND_E_NOMEM ? nd__fail(s, rc, "out of memory") : rc;
        mark[i] = m != 0;
    }
    return ND_OK;
}

int nd_store_load_probed(nd_store *s, nd_corpus *c, nd_store_probe *p, size_t *out_loaded)
{
    if (out_loaded) *out_loaded = 0;
    if (!s || !c || !p) return ND_E_INVALID;
    if (!nd__usable(s)) return ND_E_STATE;
    nd__sigparams cp;
    nd__sigparams_of(&cp, &c->ctx->params);
    int rc = nd__params_differ(s, &s->p, &cp, "the collection's context");
    if (rc) return rc;
    if (p->k != s->p.num_perm || p->bits != s->p.sig_bits)
        return nd__fail(s, ND_E_PARAM_MISMATCH, "the probe's num_perm or sig_bits differ from the store's");
    unsigned char *mark = nd__calloc(&s->al, s->slot.docs ? (size_t)s->slot.docs : 1, 1);
    if (!mark) return nd__fail(s, ND_E_NOMEM, "out of memory");
    rc = nd__probe_first(s, p, mark);
    if (!rc && nd__probe_filter(p, 1)) rc = nd__fail(s, ND_E_NOMEM, "out of memory");
    /* stream 2: the documents near those found, then every one marked,
     * added in store order as nd_store_load_into would */
    for (size_t i = 0; i < s->slot.docs && !rc; i++) {
        nd_store_record rec;
        int m = mark[i];
        if ((rc = nd_store_get(s, i, &rec))) break;
        if (!m && (rc = nd__probe_match(p, &rec, 1, (uint64_t)i + 1, &m))) {
            nd__fail(s, rc, "out of memory");
            break;
        }
        if (!m) continue;
        rc = nd_corpus_add_signed(c, rec.id, rec.id_len, rec.source, rec.source_len, rec.paras,
                                  rec.count, s->p.sig_bits == 32 ? NULL : rec.signature, NULL);
        if (rc) nd__fail(s, rc, "adding document %zu to the collection: %s", i, nd_strerror(rc));
        else if (out_loaded) (*out_loaded)++;
    }
    nd__free(&s->al, mark);
    return rc;
}
