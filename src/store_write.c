/*
 * The signature store's writer (docs/FORMAT.md, *Record block*): records
 * encoded into a pending block with its signature and source dictionaries,
 * blocks deflated and written after the last frame, and commits.
 */
#define _FILE_OFFSET_BITS 64 /* stores past 2 GiB on 32-bit hosts too */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#define XXH_INLINE_ALL
#include <xxhash.h>
#include "store_impl.h"

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

/* A write or flush of uncommitted frames failed (a full disk, EIO): the
 * handle refuses further appends, and the file is cut back to the last
 * commit at once, so that it holds only committed data rather than
 * megabytes of a partial block until the next appender. */
static int nd__write_failed(nd_store *s, const char *what)
{
    int rc = nd__fail_errno(s, what);
    s->failed = 1;
    if (nd__ftruncate(s, s->slot.end) == 0 && nd__fsync(s) == 0) {
        s->wpos = s->slot.end;
        s->nblocks = s->committed_blocks;
        return rc;
    }
    size_t n = strlen(s->msg);
    snprintf(s->msg + n, sizeof s->msg - n, "; the uncommitted tail could not be cut (the next appender cuts it)");
    return rc;
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
    if (nd__pwrite(s, w->z, ND__STORE_FRAME_HEADER + csize, s->wpos))
        return nd__write_failed(s, "writing a block");
    s->last_records = s->nblocks;
    s->blocks[s->nblocks++] = b;
    s->wpos += ND__STORE_FRAME_HEADER + csize;
    nd__w_next(w);
    return ND_OK;
}

int nd__writable(nd_store *s)
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
    /* a document of another K would be copied past the end of sigbuf */
    if (nd__doc_compatible(doc, s->ctx))
        return nd__fail(s, ND_E_PARAM_MISMATCH, "the document was analyzed with other parameters than "
                        "the store's (num_perm %u, shingle_size %u, seed %llu): nothing written",
                        (unsigned)s->p.num_perm, (unsigned)s->p.shingle_size, (unsigned long long)s->p.seed);
    size_t n = nd_doc_count(doc);
    rc = nd__reserve(&s->al, (void **)&s->pbuf, &s->pbuf_cap, n, sizeof *s->pbuf);
    if (rc) return nd__fail(s, rc, "out of memory");
    for (size_t i = 0; i < n; i++) {
        nd_para_info info = ND_PARA_INFO_INIT;
        if ((rc = nd_doc_para(doc, i, &info))) return nd__fail(s, rc, "reading paragraph %zu of the document", i);
        nd_para_sig p = { info.offset, info.length, info.kind, info.of, info.shingles, info.tokens,
                          nd_doc_para_signature(doc, i), info.similarity };
        s->pbuf[i] = p;
    }
    if ((rc = nd_doc_signature(doc, s->sigbuf, s->p.num_perm)))
        return nd__fail(s, rc, "the document's signature: %s", nd_strerror(rc));
    nd_store_record rec = { id, id_len, source, source_len, time, s->pbuf, n, s->sigbuf };
    return nd__append(s, &rec);
}

/* Makes everything up to next->end durable and writes `next` into the slot
 * not in use. The commit is durable when this returns ND_OK. */
int nd__write_commit(nd_store *s, const nd__slot *next)
{
    if (nd__fsync(s)) return nd__write_failed(s, "flushing blocks to disk");
    /* the blocks are durable: only now may a slot point past them */
    unsigned char b[ND__STORE_SLOT_SIZE];
    nd__slot_encode(b, next);
    int target = s->cur_slot ^ 1;
    if (nd__pwrite(s, b, sizeof b, s->header_len + (uint64_t)target * ND__STORE_SLOT_SIZE) || nd__fsync(s)) {
        /* the slot may have reached the disk or not, whole or torn: the
         * frames it names stay, and the next open decides (FORMAT.md) */
        s->failed = 1;
        return nd__fail_errno(s, "writing the commit (the previous commit is intact)");
    }
    s->slot = *next;
    s->max_seq = next->seq;
    s->cur_slot = target;
    s->committed_blocks = s->nblocks;
    s->file_size = next->end;
    s->torn = 0;
    return ND_OK;
}

int nd_store_commit(nd_store *s)
{
    int rc = nd__writable(s);
    if (!rc) rc = nd__flush_block(s);
    if (rc || s->wpos == s->slot.end) return rc;
    nd__slot next = { s->max_seq + 1, s->wpos, s->docs, s->paras, s->text };
    return nd__write_commit(s, &next);
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
    if (nd__pwrite(s, h, sizeof h, s->wpos) || nd__pwrite(s, content, size, s->wpos + sizeof h))
        return nd__write_failed(s, "writing a frame");
    s->blocks[s->nblocks++] = b;
    s->wpos += sizeof h + size;
    return ND_OK;
}
