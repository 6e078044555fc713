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
 * This file: the header, parameter block, commit slots, frame table, open
 * and close. store_io.c: file I/O and locking; store_write.c: the writer;
 * store_read.c: the reader and verification; store_probe.c: queries that
 * keep only the stored documents near the documents they judge.
 */
#define _FILE_OFFSET_BITS 64 /* stores past 2 GiB on 32-bit hosts too */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#define XXH_INLINE_ALL
#include <xxhash.h>
#include "store_impl.h"
#include <fcntl.h>
#include <sys/stat.h>

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

void nd__sigparams_of(nd__sigparams *out, const nd_params *p)
{
    memset(out, 0, sizeof *out);
    out->hash_scheme = ND__HASH_SCHEME;
    out->minhash_scheme = p->minhash_scheme ? p->minhash_scheme : ND_DEFAULT_MINHASH_SCHEME;
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

static const char *nd__scheme_name(uint64_t scheme)
{
    return scheme == ND_MINHASH_MAS64 ? " (mas64)" : scheme == ND_MINHASH_MUL32 ? " (mul32)" : "";
}

/* ND_OK when a and b sign alike, else a message naming the first difference
 * (and, for the MinHash scheme, both schemes by name). */
int nd__params_differ(nd_store *s, const nd__sigparams *mine, const nd__sigparams *other,
                             const char *other_name)
{
    for (unsigned t = ND__TAG_HASH; t <= ND__TAG_SIG_BITS; t++) {
        uint64_t a = nd__param_value(mine, t), b = nd__param_value(other, t);
        const int named = t == ND__TAG_MINHASH;
        if (a != b)
            return nd__fail(s, ND_E_PARAM_MISMATCH,
                            "parameters differ: %s is %llu%s in the store, %llu%s in %s",
                            nd__param_names[t], (unsigned long long)a,
                            named ? nd__scheme_name(a) : "", (unsigned long long)b,
                            named ? nd__scheme_name(b) : "", other_name);
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
     * a record grammar we read but no longer write. Read_Version names the
     * grammar, so a file promising version 1 readers their grammar takes no
     * version 2 blocks either, whatever its Write_Version says. */
    if (s->write_version != ND__STORE_WRITE_VERSION || s->read_version != ND__STORE_READ_VERSION)
        s->read_only = 1;
    s->grammar = s->read_version == 1 ? 1 : 2;
    s->header_len = n + 8;
    s->data_start = s->header_len + 2 * (uint64_t)ND__STORE_SLOT_SIZE;
    return nd__params_parse(s, h + ND__STORE_FIXED_HEADER, plen);
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
    if (nd__ftruncate(s, 0) || nd__pwrite(s, h, n, 0) || nd__fsync(s))
        return nd__fail_errno(s, "creating the store");
    nd__fsync_dir(s);
    s->file_size = n;
    return ND_OK;
}

/* What a crash during nd__create leaves: a file no longer than a fresh
 * store (header and two slots: it cannot hold a committed document) that
 * holds only zero bytes (its length was made durable before its bytes), or
 * starts with the magic number and is shorter than a fresh store. Nothing
 * was ever committed to it, so it may be written anew. Anything else is not
 * ours to overwrite. */
static int nd__aborted_creation(nd_store *s)
{
    unsigned char h[ND__STORE_FIXED_HEADER + ND__STORE_MAX_PARAMS + 8 + 2 * ND__STORE_SLOT_SIZE];
    unsigned char magic[4];
    size_t fresh = nd__header_build(h, &s->p) + 2 * ND__STORE_SLOT_SIZE;
    if (s->file_size > fresh) return 0;
    size_t n = (size_t)s->file_size, zeros = 0;
    if (n && nd__pread(s->fd, h, n, 0)) return 0;
    while (zeros < n && h[zeros] == 0) zeros++;
    if (zeros == n) return 1;
    nd__le32_put(magic, ND__STORE_MAGIC);
    return n < fresh && memcmp(h, magic, n < 4 ? n : 4) == 0;
}

/* ---- Frames ------------------------------------------------------------------------------ */

void nd__frame_encode(unsigned char *h, const nd__blockref *b)
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
int nd__frame_decode(nd_store *s, const unsigned char *h, uint64_t pos, uint64_t end,
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
    if (end < pos || end - pos < ND__STORE_FRAME_HEADER || b->content_size > end - pos - ND__STORE_FRAME_HEADER)
        return nd__fail(s, ND_E_CORRUPT, "frame at offset %llu runs past the committed end",
                        (unsigned long long)pos);
    if (b->type >= ND__FRAME_SKIPPABLE) {
        b->ndocs = 0; /* not ours to interpret */
        return ND_OK;
    }
    if (b->type != ND__FRAME_RECORDS)
        return nd__fail(s, ND_E_CORRUPT, "frame at offset %llu: unknown type 0x%02x",
                        (unsigned long long)pos, (unsigned)b->type);
    if (b->content_size < 4 || b->raw_size > ND__STORE_MAX_RAW
        || b->raw_size / ND__STORE_MAX_RATIO > b->content_size
        || b->ndocs == 0 || b->ndocs > b->raw_size / ND__STORE_MIN_RECORD)
        return nd__fail(s, ND_E_CORRUPT, "record block at offset %llu: sizes out of range",
                        (unsigned long long)pos);
    return ND_OK;
}

/* Builds the block table from the frame headers up to `end`, checking that
 * their documents add up to the commit's. */
int nd__scan_frames(nd_store *s, const nd__slot *sl)
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

/* Cuts an uncommitted tail (a crash before a commit: both slots intact),
 * so appends follow the commit. A store needing recovery is refused
 * instead: what follows its commit may be committed data. */
static int nd__cut_tail(nd_store *s)
{
    s->wpos = s->slot.end;
    if (s->needs_recovery) {
        char why[sizeof s->damage];
        memcpy(why, s->damage, sizeof why);
        return nd__fail(s, ND_E_CORRUPT, "%s; not appending ('neardup recover' keeps them)", why);
    }
    if (!s->torn) return ND_OK;
    if (nd__ftruncate(s, s->slot.end) || nd__fsync(s))
        return nd__fail_errno(s, "cutting the torn tail");
    s->file_size = s->slot.end;
    nd__fail(s, ND_OK, "torn tail of %llu bytes after the last commit cut off (never committed)",
             (unsigned long long)s->torn);
    s->torn = 0;
    return ND_OK;
}

static int nd__open_store(nd_store *s)
{
    int writable = s->mode != ND_STORE_READ;
    nd__sigparams want;
    if (s->ctx) nd__sigparams_of(&want, &s->ctx->params);
    int rc = nd__open_fd(s);
    if (rc) return rc;
    if (writable && s->ctx && s->mode != ND_STORE_RECOVER) {
        s->p = want;
        if ((s->file_size == 0 || nd__aborted_creation(s)) && (rc = nd__create(s))) return rc;
    }
    if ((rc = nd__header_read(s))) return rc;
    if (s->ctx && (rc = nd__params_differ(s, &s->p, &want, "the context"))) return rc;
    if (writable && s->read_only && s->write_version < ND__STORE_WRITE_VERSION)
        return nd__fail(s, ND_E_VERSION, "written by format version %u: this library appends only to "
                        "version %u stores ('neardup merge -o NEW OLD' rewrites it)",
                        s->write_version, ND__STORE_WRITE_VERSION);
    if (writable && s->read_only && s->write_version == ND__STORE_WRITE_VERSION)
        return nd__fail(s, ND_E_VERSION, "records in the grammar of format version %u: this library appends "
                        "only version %u records ('neardup merge -o NEW OLD' rewrites it)",
                        s->read_version, ND__STORE_READ_VERSION);
    if (writable && s->read_only)
        return nd__fail(s, ND_E_VERSION, "written by format version %u: this library (version %u) may only read it",
                        s->write_version, ND__STORE_WRITE_VERSION);
    /* a recovering handle writes only through nd_store_recover */
    s->read_only = !writable || s->read_only || s->mode == ND_STORE_RECOVER;
    if ((rc = nd__choose_commit(s))) return rc;
    /* the next commit must outnumber every one: a sequence at its maximum
     * (never reached by counting) would wrap and hide it */
    if (writable && s->max_seq == UINT64_MAX)
        return nd__fail(s, ND_E_CORRUPT, "commit sequence number at its maximum");
    s->docs = s->slot.docs;
    s->paras = s->slot.paras;
    s->text = s->slot.text;
    s->wpos = s->slot.end;
    if (writable && s->mode != ND_STORE_RECOVER && (rc = nd__cut_tail(s))) return rc;
    s->sigbuf = nd__alloc(&s->al, (size_t)s->p.num_perm * sizeof *s->sigbuf);
    return s->sigbuf ? ND_OK : nd__fail(s, ND_E_NOMEM, "out of memory");
}

int nd_store_open(nd_store **out, const char *path, nd_store_mode mode, const nd_ctx *ctx)
{
    if (!out) return ND_E_INVALID;
    *out = NULL;
    if (!path || (mode != ND_STORE_READ && mode != ND_STORE_APPEND && mode != ND_STORE_CREATE
                  && mode != ND_STORE_RECOVER)
        || ((mode == ND_STORE_APPEND || mode == ND_STORE_CREATE) && !ctx))
        return ND_E_INVALID;
    const nd_allocator *al = ctx ? &ctx->alloc : nd__default_allocator();
    nd_store *s = nd__calloc(al, 1, sizeof *s);
    if (!s) return ND_E_NOMEM;
    s->al = *al;
    s->ctx = ctx;
    s->mode = mode;
    s->fd = -1;
    nd__store_set_io(s, NULL);
    s->damaged_slot = -1;
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

void nd__intern_free(const nd_allocator *al, nd__intern *t)
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
        if (nd__ftruncate(s, s->slot.end) == 0) nd__fsync(s);
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

int nd__usable(const nd_store *s) { return s && s->opened; }

int nd_store_params(const nd_store *s, nd_params *out)
{
    if (!s || !out) return ND_E_INVALID;
    if (!nd__usable(s)) return ND_E_STATE;
    nd_params_init(out, ND_PARAMS_VERSION);
    out->seg_mode = (nd_seg_mode)s->p.seg_mode;
    out->shingle_size = s->p.shingle_size;
    out->num_perm = s->p.num_perm;
    out->seed = s->p.seed;
    out->minhash_scheme = s->p.minhash_scheme;
    out->sig_bits = s->p.sig_bits;
    out->lsh_bands = s->p.lsh_bands;
    out->lsh_rows = s->p.lsh_rows;
    return ND_OK;
}

int nd_store_describe(const nd_store *s, nd_store_info *out)
{
    if (!s || !out) return ND_E_INVALID;
    if (out->version < 1 || out->version > ND_STORE_INFO_VERSION) return ND_E_VERSION;
    if (!nd__usable(s)) return ND_E_STATE;
    /* version 1 is the whole struct; a later version fills the fields it adds */
    unsigned version = out->version;
    memset(out, 0, sizeof *out);
    out->version = version;
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
    out->needs_recovery = s->needs_recovery;
    out->lost_documents = s->lost;
    out->salvageable_documents = s->after_docs;
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
