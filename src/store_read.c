/*
 * The signature store's reader (docs/FORMAT.md, *Record*): record blocks
 * read, checked against their checksums, inflated and parsed, one held at a
 * time with the previous block's signatures; random access to records,
 * loading into a collection, and full verification.
 */
#define _FILE_OFFSET_BITS 64 /* stores past 2 GiB on 32-bit hosts too */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#define XXH_INLINE_ALL
#include <xxhash.h>
#include "store_impl.h"
#include "corpus.h"

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
    if (ref < 2 || ref - 2 >= c->next_def) return -1; /* only earlier definitions may be named */
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
    /* every subtraction below is of a checked smaller value: a content of
     * fewer than 4 bytes would wrap content_size - 4 around */
    *zlen = 0;
    if (b->content_size < 4 || b->raw_size > ND__STORE_MAX_RAW
        || (*zlen = nd__le32_get(z)) > b->content_size - 4 || (b->content_size - 4 - *zlen) % nb
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

int nd__read_content(nd_store *s, const nd__blockref *b)
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

int nd__load_block(nd_store *s, size_t bi)
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

/* Reads record i into *out; on failure *out is left zeroed (no count or
 * pointer of a failed read can be used by mistake). */
static int nd__get_record(nd_store *s, size_t i, nd_store_record *out)
{
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

int nd_store_get(nd_store *s, size_t i, nd_store_record *out)
{
    if (!out) return ND_E_INVALID;
    int rc = s ? nd__get_record(s, i, out) : ND_E_INVALID;
    if (rc) memset(out, 0, sizeof *out);
    return rc;
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
    if (out && (out->version < 1 || out->version > ND_STORE_STATS_VERSION)) return ND_E_VERSION;
    if (!nd__usable(s)) return ND_E_STATE;
    nd_store_stats st;
    uint64_t text = 0;
    int rc = ND_OK;
    memset(&st, 0, sizeof st);
    st.version = out ? out->version : ND_STORE_STATS_VERSION;
    for (size_t bi = 0; bi < s->committed_blocks && !rc; bi++) rc = nd__verify_frame(s, bi, &st, &text);
    if (!rc && (st.documents != s->slot.docs || st.paragraphs != s->slot.paras || text != s->slot.text))
        rc = nd__fail(s, ND_E_CORRUPT, "the blocks' totals differ from the commit's");
    /* the commit in use is sound, but committed data is missing or may lie
     * after it: that is damage, never "ok" */
    if (!rc && s->needs_recovery)
        rc = nd__fail(s, ND_E_CORRUPT, "%s; %llu documents verified in commit %llu",
                      s->damage, (unsigned long long)s->slot.docs, (unsigned long long)s->slot.seq);
    if (out) *out = st;
    return rc;
}
