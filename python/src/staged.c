/*
 * The staged passes of neardup.dask (docs/DISTRIBUTED.md, section 1): each
 * pass of nd_corpus_finish() split on its own key, so that no task holds
 * more than its partition and its share of one shuffle.
 *
 * Families, as detect.c builds them: a paragraph (not a repeat) joins the
 * family of the earlier paragraph of its scope that its chain walk meets
 * and that it is most like, at repeat_threshold or above. The walk takes,
 * band after band, the ND__MAX_STEPS latest earlier paragraphs holding the
 * same bucket (each once, at most ND__MAX_VERIFY): which paragraphs those
 * are depends on the buckets alone, so ranges of buckets give them
 * (_chain_candidates), the signatures they need are fetched from the
 * partitions holding them (_para_sigs), each partition picks its
 * paragraphs' matches (_family_links, nd_shard_family_match) and one pass
 * in collection order follows the links to each family's first paragraph
 * (_chase). Paragraphs are numbered in input order over the collection,
 * in 32 bits.
 */
#include "ndpy.h"
#include <string.h>
#if defined(__GLIBC__)
#  include <malloc.h>
#endif

int ndpy_aligned_view(PyObject *obj, Py_buffer *v, size_t size, const char *what)
{
    if (PyObject_GetBuffer(obj, v, PyBUF_C_CONTIGUOUS) < 0) return -1;
    if ((size_t)v->len % size) {
        PyBuffer_Release(v);
        PyErr_Format(PyExc_ValueError, "%s: not an array of %zu-byte values", what, size);
        return -1;
    }
    if (((uintptr_t)v->buf & (size - 1)) == 0) return 0;
    /* an array Dask read out of a message frame may start anywhere: read
     * it from an aligned copy (a bytes object's data is 16-byte aligned) */
    PyObject *copy = PyBytes_FromStringAndSize(v->buf, v->len);
    PyBuffer_Release(v);
    if (!copy) return -1;
    int rc = PyObject_GetBuffer(copy, v, PyBUF_C_CONTIGUOUS);
    Py_DECREF(copy); /* the view holds it */
    return rc < 0 ? -1 : 0;
}

/* A buffer of n native uint32 values (bytes, or a NumPy uint32 array).
 * @return 0 or -1 (exception; nothing held). */
static int ndpy_u32_view(PyObject *obj, Py_buffer *v, const char *what)
{
    return ndpy_aligned_view(obj, v, 4, what);
}

/* The context of kwargs' options. */
static nd_ctx *ndpy_options_ctx(PyObject *self, PyObject *kwargs, nd_params *p)
{
    nd_params_init(p, ND_PARAMS_VERSION);
    if (ndpy_params(kwargs, p, NULL, NULL)) return NULL;
    return ndpy_ctx(PyModule_GetState(self), p);
}

void ndpy_part_clear(ndpy_part *pt)
{
    for (size_t i = 0; pt->paras && i < pt->ndocs; i++) PyMem_Free(pt->paras[i]);
    PyMem_Free(pt->paras);
    PyMem_Free(pt->count);
    PyMem_Free(pt->para0);
    PyMem_Free(pt->src);
    Py_XDECREF(pt->seq);
    memset(pt, 0, sizeof *pt);
}

int ndpy_part_load(ndpy_part *pt, PyObject *signed_docs, size_t k)
{
    memset(pt, 0, sizeof *pt);
    pt->seq = PySequence_Fast(signed_docs, "signed documents must be a list");
    if (!pt->seq) return -1;
    const size_t n = (size_t)PySequence_Fast_GET_SIZE(pt->seq);
    pt->paras = PyMem_Calloc(n ? n : 1, sizeof *pt->paras);
    pt->count = PyMem_Calloc(n ? n : 1, sizeof *pt->count);
    pt->para0 = PyMem_Calloc(n + 1, sizeof *pt->para0);
    pt->src = PyMem_Calloc(n ? n : 1, sizeof *pt->src);
    if (!pt->paras || !pt->count || !pt->para0 || !pt->src) {
        PyErr_NoMemory();
        ndpy_part_clear(pt);
        return -1;
    }
    for (size_t i = 0; i < n; i++, pt->ndocs++) {
        PyObject *id, *date;
        if (ndpy_unpack_signed(k, PySequence_Fast_GET_ITEM(pt->seq, (Py_ssize_t)i), (Py_ssize_t)i, &id,
                               &pt->src[i], &date, &pt->paras[i], &pt->count[i])) {
            ndpy_part_clear(pt);
            return -1;
        }
        pt->para0[i] = pt->npara;
        pt->npara += pt->count[i];
    }
    pt->para0[n] = pt->npara;
    if (pt->npara > UINT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "neardup.dask takes at most 2^32 paragraphs");
        ndpy_part_clear(pt);
        return -1;
    }
    return 0;
}

size_t ndpy_find_u32(const uint32_t *v, size_t n, uint32_t x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && v[lo] == x ? lo : n;
}

/* The document of the partition's paragraph j (binary search). */
size_t ndpy_part_doc(const ndpy_part *pt, size_t j)
{
    size_t lo = 0, hi = pt->ndocs;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (pt->para0[mid] <= j) lo = mid;
        else hi = mid;
    }
    return lo;
}

/* _para_count(signed, **options) -> the paragraphs of the signed documents. */
PyObject *ndpy_para_count(PyObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *signed_docs;
    nd_params p;
    if (!PyArg_ParseTuple(args, "O:_para_count", &signed_docs)) return NULL;
    nd_ctx *ctx = ndpy_options_ctx(self, kwargs, &p);
    if (!ctx) return NULL;
    ndpy_part pt;
    PyObject *out = NULL;
    if (!ndpy_part_load(&pt, signed_docs, nd_ctx_num_perm(ctx))) {
        out = PyLong_FromSize_t(pt.npara);
        ndpy_part_clear(&pt);
    }
    nd_ctx_free(ctx);
    return out;
}

/* _para_keys(signed, first, ranges, kinds, **options) -> per bucket range
 * (buckets, paragraphs): bytes of uint64 and of uint32, the buckets of the
 * given kinds (bit 1 family, bit 2 copy: nd_shard_para_keys) and the
 * collection-wide number of the paragraph holding each (the partition's
 * first is `first`), in paragraph order. */
PyObject *ndpy_para_keys(PyObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *signed_docs, *out = NULL, **bk = NULL, **pa = NULL;
    unsigned long long first, ranges;
    unsigned kinds;
    nd_params p;
    if (!PyArg_ParseTuple(args, "OKKI:_para_keys", &signed_docs, &first, &ranges, &kinds)) return NULL;
    if (ranges < 1 || ranges > ((size_t)1 << 30)) return PyErr_Format(PyExc_ValueError, "ranges must be in 1..2^30");
    nd_ctx *ctx = ndpy_options_ctx(self, kwargs, &p);
    if (!ctx) return NULL;
    ndpy_part pt;
    if (ndpy_part_load(&pt, signed_docs, nd_ctx_num_perm(ctx))) {
        nd_ctx_free(ctx);
        return NULL;
    }
    /* each document's keys in a buffer of its own, twice: counted per
     * range, then written (a partition's worst case, every band of every
     * kind, is several times what is kept) */
    size_t longest = 1;
    for (size_t i = 0; i < pt.ndocs; i++) longest = pt.count[i] > longest ? pt.count[i] : longest;
    const size_t cap = nd_shard_key_bound(ctx, longest);
    uint64_t *b = PyMem_Malloc((cap ? cap : 1) * 8);
    uint32_t *g = PyMem_Malloc((cap ? cap : 1) * 4);
    size_t *count = PyMem_Calloc((size_t)ranges, sizeof *count);
    bk = PyMem_Calloc((size_t)ranges, sizeof *bk);
    pa = PyMem_Calloc((size_t)ranges, sizeof *pa);
    if (!b || !g || !count || !bk || !pa) {
        PyErr_NoMemory();
        goto done;
    }
    if (first > ((unsigned long long)1 << 32) || pt.npara > ((unsigned long long)1 << 32) - first) {
        PyErr_SetString(PyExc_ValueError, "neardup.dask takes at most 2^32 paragraphs");
        goto done;
    }
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            for (size_t r = 0; r < ranges; r++) {
                bk[r] = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(count[r] * 8));
                pa[r] = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(count[r] * 4));
                if (!bk[r] || !pa[r]) goto done;
                count[r] = 0;
            }
        }
        for (size_t i = 0; i < pt.ndocs; i++) {
            size_t m = 0;
            int rc = nd_shard_para_keys(ctx, PyBytes_AS_STRING(pt.src[i]), (size_t)PyBytes_GET_SIZE(pt.src[i]),
                                        pt.paras[i], pt.count[i], kinds, b, g, cap, &m);
            if (rc) {
                ndpy_raise(PyModule_GetState(self), rc, NULL);
                goto done;
            }
            for (size_t x = 0; x < m; x++) {
                const size_t r = ndpy_range_of(b[x], (size_t)ranges), at = count[r]++;
                if (!pass) continue;
                const uint32_t para = (uint32_t)(first + pt.para0[i] + g[x]);
                memcpy(PyBytes_AS_STRING(bk[r]) + at * 8, &b[x], 8);
                memcpy(PyBytes_AS_STRING(pa[r]) + at * 4, &para, 4);
            }
        }
    }
    out = PyList_New((Py_ssize_t)ranges);
    for (size_t r = 0; out && r < ranges; r++) {
        PyObject *t = PyTuple_Pack(2, bk[r], pa[r]);
        if (!t) Py_CLEAR(out);
        else PyList_SET_ITEM(out, (Py_ssize_t)r, t);
    }
done:
    for (size_t r = 0; bk && pa && r < ranges; r++) {
        Py_XDECREF(bk[r]);
        Py_XDECREF(pa[r]);
    }
    PyMem_Free(bk);
    PyMem_Free(pa);
    PyMem_Free(count);
    PyMem_Free(b);
    PyMem_Free(g);
    ndpy_part_clear(&pt);
    nd_ctx_free(ctx);
    return out;
}

/* _chain_candidates(pieces) -> (g, r, order): bytes of uint32. pieces: one
 * range's (buckets, paragraphs) from every partition, in partition order.
 * For each paragraph g holding a bucket, each of the ND__MAX_STEPS latest
 * earlier paragraphs r holding it, with order = band * steps + step (step
 * 0 the latest): the chain walk's candidates and where the walk meets them. */
PyObject *ndpy_chain_candidates(PyObject *self, PyObject *pieces)
{
    (void)self;
    PyObject *seq = PySequence_Fast(pieces, "_chain_candidates: pieces must be a list"), *out = NULL;
    if (!seq) return NULL;
    unsigned steps;
    nd_shard_chain_limits(&steps, NULL);
    const Py_ssize_t np = PySequence_Fast_GET_SIZE(seq);
    size_t n = 0;
    for (Py_ssize_t i = 0; i < np; i++) {
        PyObject *t = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 2 || !PyBytes_Check(PyTuple_GET_ITEM(t, 0)) ||
            !PyBytes_Check(PyTuple_GET_ITEM(t, 1)) ||
            PyBytes_GET_SIZE(PyTuple_GET_ITEM(t, 0)) != 2 * PyBytes_GET_SIZE(PyTuple_GET_ITEM(t, 1)) ||
            PyBytes_GET_SIZE(PyTuple_GET_ITEM(t, 1)) % 4) {
            Py_DECREF(seq);
            return PyErr_Format(PyExc_TypeError, "_chain_candidates: pieces[%zd] is not (buckets, paragraphs)", i);
        }
        n += (size_t)PyBytes_GET_SIZE(PyTuple_GET_ITEM(t, 1)) / 4;
    }
    uint64_t *key = PyMem_Malloc((n ? n : 1) * 8), *tkey = PyMem_Malloc((n ? n : 1) * 8);
    uint32_t *para = PyMem_Malloc((n ? n : 1) * 4), *tpara = PyMem_Malloc((n ? n : 1) * 4);
    size_t *count = PyMem_Malloc(NDPY_DIGITS * NDPY_BINS * sizeof *count);
    uint32_t *og = NULL, *orr = NULL, *oo = NULL;
    if (!key || !tkey || !para || !tpara || !count) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0, at = 0; i < np; i++) {
        PyObject *t = PySequence_Fast_GET_ITEM(seq, i);
        const size_t m = (size_t)PyBytes_GET_SIZE(PyTuple_GET_ITEM(t, 1)) / 4;
        memcpy(key + at, PyBytes_AS_STRING(PyTuple_GET_ITEM(t, 0)), m * 8);
        memcpy(para + at, PyBytes_AS_STRING(PyTuple_GET_ITEM(t, 1)), m * 4);
        at += (Py_ssize_t)m;
    }
    size_t m = 0;
    uint32_t *sp;
    const uint64_t *sk;
    size_t total = 0;
    Py_BEGIN_ALLOW_THREADS
    /* stable: within a bucket, paragraphs stay in collection order */
    sk = ndpy_radix(key, para, tkey, tpara, n, count, &sp);
    for (size_t i = 0, run = 0; i < n; i++) { /* counted first: most pairs have few */
        if (i && sk[i] != sk[i - 1]) run = i;
        total += i - run < steps ? i - run : steps;
    }
    Py_END_ALLOW_THREADS
    og = PyMem_Malloc((total ? total : 1) * 4);
    orr = PyMem_Malloc((total ? total : 1) * 4);
    oo = PyMem_Malloc((total ? total : 1) * 4);
    if (!og || !orr || !oo) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    for (size_t i = 0, run = 0; i < n; i++) {
        if (i && sk[i] != sk[i - 1]) run = i;
        const uint32_t band = (uint32_t)(sk[i] >> 32) & 0xFFFFFF;
        for (unsigned s = 0; s < steps && i - run > s; s++) {
            og[m] = sp[i];
            orr[m] = sp[i - 1 - s];
            oo[m++] = band * steps + s;
        }
    }
    Py_END_ALLOW_THREADS
    out = Py_BuildValue("(y#y#y#)", (const char *)og, (Py_ssize_t)(m * 4), (const char *)orr, (Py_ssize_t)(m * 4),
                        (const char *)oo, (Py_ssize_t)(m * 4));
done:
    PyMem_Free(key);
    PyMem_Free(tkey);
    PyMem_Free(para);
    PyMem_Free(tpara);
    PyMem_Free(count);
    PyMem_Free(og);
    PyMem_Free(orr);
    PyMem_Free(oo);
    Py_DECREF(seq);
    return out;
}

/* _para_sigs(signed, first, wanted, **options) -> (signatures, sources):
 * for each collection-wide paragraph number in wanted (uint32, each in
 * this partition), its K signature values (bytes of uint32, K per
 * paragraph, in wanted's order) and its document's source. */
PyObject *ndpy_para_sigs(PyObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *signed_docs, *wanted_obj, *out = NULL, *sigs = NULL, *srcs = NULL;
    unsigned long long first;
    nd_params p;
    if (!PyArg_ParseTuple(args, "OKO:_para_sigs", &signed_docs, &first, &wanted_obj)) return NULL;
    nd_ctx *ctx = ndpy_options_ctx(self, kwargs, &p);
    if (!ctx) return NULL;
    const size_t k = nd_ctx_num_perm(ctx);
    Py_buffer w;
    ndpy_part pt;
    if (ndpy_u32_view(wanted_obj, &w, "_para_sigs: wanted")) {
        nd_ctx_free(ctx);
        return NULL;
    }
    if (ndpy_part_load(&pt, signed_docs, k)) goto fail;
    const uint32_t *want = w.buf;
    const size_t n = (size_t)w.len / 4;
    sigs = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(n * k * 4));
    srcs = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; sigs && srcs && i < n; i++) {
        if (want[i] < first || want[i] - first >= pt.npara) {
            PyErr_Format(PyExc_ValueError, "_para_sigs: paragraph %u is not in this partition", want[i]);
            break;
        }
        const size_t j = want[i] - first, d = ndpy_part_doc(&pt, j);
        memcpy(PyBytes_AS_STRING(sigs) + i * k * 4, pt.paras[d][j - pt.para0[d]].signature, k * 4);
        Py_INCREF(pt.src[d]);
        PyList_SET_ITEM(srcs, (Py_ssize_t)i, pt.src[d]);
    }
    if (sigs && srcs && !PyErr_Occurred()) out = PyTuple_Pack(2, sigs, srcs);
    Py_XDECREF(sigs);
    Py_XDECREF(srcs);
    ndpy_part_clear(&pt);
fail:
    PyBuffer_Release(&w);
    nd_ctx_free(ctx);
    return out;
}

/* Signatures and sources of paragraphs fetched from other partitions,
 * sorted by paragraph number. */
typedef struct ndpy_fetched {
    const uint32_t *para;
    size_t n;
    const char *sigs;
    PyObject *srcs;
} ndpy_fetched;

/* Paragraph r's signature and source, from the partition or the fetched
 * ones. @return 0, or -1 when it is in neither. */
static int ndpy_find_para(const ndpy_part *pt, uint64_t first, const ndpy_fetched *f, size_t k, uint32_t r,
                          const uint32_t **sig, PyObject **src)
{
    if (r >= first && r - first < pt->npara) {
        const size_t j = r - first, d = ndpy_part_doc(pt, j);
        *sig = pt->paras[d][j - pt->para0[d]].signature;
        *src = pt->src[d];
        return 0;
    }
    size_t lo = 0, hi = f->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->para[mid] < r) lo = mid + 1;
        else hi = mid;
    }
    if (lo == f->n || f->para[lo] != r) return -1;
    *sig = (const uint32_t *)(const void *)(f->sigs + lo * k * 4);
    *src = PyList_GET_ITEM(f->srcs, (Py_ssize_t)lo);
    return 0;
}

static int ndpy_same_source(PyObject *a, PyObject *b)
{
    return a == b || (PyBytes_GET_SIZE(a) == PyBytes_GET_SIZE(b) &&
                      !memcmp(PyBytes_AS_STRING(a), PyBytes_AS_STRING(b), (size_t)PyBytes_GET_SIZE(a)));
}

/* _family_links(signed, first, cand_g, cand_r, fetched_paras, fetched_sigs,
 * fetched_sources, **options) -> bytes of uint32, per paragraph of the
 * partition: the collection-wide number of the paragraph whose family it
 * joins (the paragraph it repeats, for a repeat), or its own. cand_g and
 * cand_r (uint32) are its paragraphs' chain candidates in the order of the
 * walk, each paragraph's together, each candidate once, cut at the walk's
 * limit; the fetched paragraphs (sorted) are the candidates held by other
 * partitions. */
PyObject *ndpy_family_links(PyObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *signed_docs, *cg_obj, *cr_obj, *fp_obj, *fs_obj, *srcs, *out = NULL;
    unsigned long long first;
    nd_params p;
    if (!PyArg_ParseTuple(args, "OKOOOSO!:_family_links", &signed_docs, &first, &cg_obj, &cr_obj, &fp_obj, &fs_obj,
                          &PyList_Type, &srcs))
        return NULL;
    nd_ctx *ctx = ndpy_options_ctx(self, kwargs, &p);
    if (!ctx) return NULL;
    const size_t k = nd_ctx_num_perm(ctx);
    const int all = p.boilerplate_scope == ND_SCOPE_ALL;
    Py_buffer cg, cr, fp;
    int held = 0;
    if (!ndpy_u32_view(cg_obj, &cg, "cand_g")) held++;
    if (held == 1 && !ndpy_u32_view(cr_obj, &cr, "cand_r")) held++;
    if (held == 2 && !ndpy_u32_view(fp_obj, &fp, "fetched_paras")) held++;
    ndpy_part pt;
    memset(&pt, 0, sizeof pt);
    const uint32_t **cand = NULL;
    uint32_t *at = NULL;
    if (held < 3 || ndpy_part_load(&pt, signed_docs, k)) goto done;
    const size_t nc = (size_t)cg.len / 4, nf = (size_t)fp.len / 4;
    if ((size_t)cr.len / 4 != nc || (size_t)PyBytes_GET_SIZE(fs_obj) != nf * k * 4 ||
        (size_t)PyList_GET_SIZE(srcs) != nf) {
        PyErr_SetString(PyExc_ValueError, "_family_links: arrays of unequal lengths");
        goto done;
    }
    const uint32_t *g = cg.buf, *r = cr.buf;
    const ndpy_fetched f = { fp.buf, nf, PyBytes_AS_STRING(fs_obj), srcs };
    unsigned verify;
    nd_shard_chain_limits(NULL, &verify);
    cand = PyMem_Malloc(verify * sizeof *cand);
    at = PyMem_Malloc(verify * sizeof *at);
    out = cand && at ? PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(pt.npara * 4)) : PyErr_NoMemory();
    if (!out) goto done;
    uint32_t *link = (uint32_t *)(void *)PyBytes_AS_STRING(out);
    for (size_t d = 0; d < pt.ndocs; d++)
        for (size_t j = 0; j < pt.count[d]; j++) {
            const nd_para_sig *q = &pt.paras[d][j];
            size_t self_at = pt.para0[d] + j;
            /* a repeat is in the family of the paragraph it repeats */
            link[self_at] = (uint32_t)(first + self_at - (q->kind == ND_KIND_REPEAT ? j - q->of : 0));
        }
    for (size_t i = 0; i < nc;) {
        const uint32_t gi = g[i];
        size_t e = i, n = 0;
        const uint32_t *gsig;
        PyObject *gsrc;
        if (gi < first || gi - first >= pt.npara || ndpy_find_para(&pt, first, &f, k, gi, &gsig, &gsrc)) {
            PyErr_Format(PyExc_ValueError, "_family_links: paragraph %u is not in this partition", gi);
            Py_CLEAR(out);
            goto done;
        }
        for (; e < nc && g[e] == gi; e++) {
            const uint32_t *rsig;
            PyObject *rsrc;
            if (e - i >= verify || r[e] >= gi || ndpy_find_para(&pt, first, &f, k, r[e], &rsig, &rsrc)) {
                PyErr_Format(PyExc_ValueError, "_family_links: candidate %u of paragraph %u: not given, or not "
                             "earlier, or past the walk's limit", r[e], gi);
                Py_CLEAR(out);
                goto done;
            }
            if (!PyBytes_Check(rsrc)) {
                PyErr_SetString(PyExc_TypeError, "_family_links: a fetched source is not bytes");
                Py_CLEAR(out);
                goto done;
            }
            if (!all && !ndpy_same_source(gsrc, rsrc)) continue; /* another scope */
            at[n] = r[e];
            cand[n++] = rsig;
        }
        long best = nd_shard_family_match(ctx, gsig, cand, n);
        if (best >= 0) link[gi - first] = at[best];
        i = e;
    }
done:
    PyMem_Free(cand);
    PyMem_Free(at);
    ndpy_part_clear(&pt);
    if (held > 2) PyBuffer_Release(&fp);
    if (held > 1) PyBuffer_Release(&cr);
    if (held > 0) PyBuffer_Release(&cg);
    nd_ctx_free(ctx);
    return out;
}

/* _chase(links) -> bytes of uint32: per paragraph (links of the whole
 * collection, in order; each to itself or an earlier paragraph), the
 * first paragraph of its family. */
PyObject *ndpy_chase(PyObject *self, PyObject *links)
{
    (void)self;
    Py_buffer v;
    if (ndpy_u32_view(links, &v, "_chase: links")) return NULL;
    const size_t n = (size_t)v.len / 4;
    const uint32_t *l = v.buf;
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(n * 4));
    if (out) {
        uint32_t *fam = (uint32_t *)(void *)PyBytes_AS_STRING(out);
        for (size_t g = 0; g < n; g++) {
            if (l[g] > g) {
                PyErr_Format(PyExc_ValueError, "_chase: paragraph %zu links to a later one (%u)", g, l[g]);
                Py_CLEAR(out);
                break;
            }
            fam[g] = l[g] == g ? (uint32_t)g : fam[l[g]];
        }
    }
    PyBuffer_Release(&v);
    return out;
}

/* _chain_limits() -> (steps, verify): nd_shard_chain_limits(). */
PyObject *ndpy_chain_limits(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    unsigned steps, verify;
    nd_shard_chain_limits(&steps, &verify);
    return Py_BuildValue("(II)", steps, verify);
}

/* ---- sites ---------------------------------------------------------------- *
 *
 * Sites, as site.c infers them: two pages of a source are one site when
 * they share `match` families at each end (nd_shard_page_edges) and each
 * keeps enough of its own between what they share (nd_shard_site_pair);
 * each page is checked against the `peers` latest earlier pages holding
 * each of its edge families at the same end. Edge records go to ranges by
 * family (_site_edges), a range lists each record's peers (_site_peers),
 * the partition of the later page fetches its peers' family sequences
 * (_page_seqs) and keeps the pairs that are one site (_site_links); the
 * components of those pairs are the sites. Documents are numbered in input
 * order over the collection. */

/* A page of the partition (document i) as a sequence: fam is the
 * partition's slice of the families (its paragraphs'), rep and sh scratch
 * of the document's length. */
static nd_page_seq ndpy_page_of(const ndpy_part *pt, size_t i, const uint32_t *fam, unsigned char *rep,
                                uint32_t *sh)
{
    const nd_para_sig *q = pt->paras[i];
    for (size_t j = 0; j < pt->count[i]; j++) {
        rep[j] = q[j].kind == ND_KIND_REPEAT;
        sh[j] = q[j].shingles > UINT32_MAX ? UINT32_MAX : (uint32_t)q[j].shingles;
    }
    return (nd_page_seq){ fam + pt->para0[i], sh, rep, pt->count[i] };
}

/* Room for a page's edge families (nd_shard_site_limits: 8 a side). */
#define NDPY_EDGE_MAX 64

/* The longest document of the partition, for scratch. */
static size_t ndpy_part_longest(const ndpy_part *pt)
{
    size_t m = 1;
    for (size_t i = 0; i < pt->ndocs; i++) m = pt->count[i] > m ? pt->count[i] : m;
    return m;
}

/* _site_edges(signed, first_doc, fam, ranges, **options) -> per family
 * range, bytes of uint64 (family << 33 | end << 32 | document): the edge
 * families of the partition's pages. fam: the families of its paragraphs
 * (uint32, collection-wide numbers). */
PyObject *ndpy_site_edges(PyObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *signed_docs, *fam_obj, *out = NULL, **parts = NULL;
    unsigned long long first, ranges;
    nd_params p;
    if (!PyArg_ParseTuple(args, "OKOK:_site_edges", &signed_docs, &first, &fam_obj, &ranges)) return NULL;
    if (ranges < 1 || ranges > ((size_t)1 << 30)) return PyErr_Format(PyExc_ValueError, "ranges must be in 1..2^30");
    nd_ctx *ctx = ndpy_options_ctx(self, kwargs, &p);
    if (!ctx) return NULL;
    unsigned edge;
    nd_shard_site_limits(&edge, NULL, NULL);
    Py_buffer fv;
    ndpy_part pt;
    memset(&pt, 0, sizeof pt);
    uint64_t *rec = NULL;
    unsigned char *rep = NULL;
    uint32_t *sh = NULL;
    size_t *count = NULL;
    if (ndpy_u32_view(fam_obj, &fv, "_site_edges: fam")) goto fail;
    if (ndpy_part_load(&pt, signed_docs, nd_ctx_num_perm(ctx))) goto done;
    /* records pack family << 33 | end << 32 | document, and peers d << 33:
     * families and documents below 2^31 */
    const unsigned long long lim = (unsigned long long)1 << 31;
    if ((size_t)fv.len / 4 != pt.npara || first > lim || pt.ndocs > lim - first) {
        PyErr_SetString(PyExc_ValueError, "_site_edges: fam is not one family per paragraph, or past 2^31 documents");
        goto done;
    }
    for (size_t j = 0; j < pt.npara; j++)
        if (((const uint32_t *)fv.buf)[j] >= lim) {
            PyErr_SetString(PyExc_ValueError, "_site_edges: neardup.dask takes at most 2^31 paragraphs");
            goto done;
        }
    const size_t longest = ndpy_part_longest(&pt);
    rec = PyMem_Malloc((pt.ndocs * 2 * edge + 1) * sizeof *rec);
    rep = PyMem_Malloc(longest);
    sh = PyMem_Malloc(longest * sizeof *sh);
    count = PyMem_Calloc((size_t)ranges, sizeof *count);
    parts = PyMem_Calloc((size_t)ranges, sizeof *parts);
    if (!rec || !rep || !sh || !count || !parts) {
        PyErr_NoMemory();
        goto done;
    }
    size_t n = 0;
    uint32_t ef[2 * NDPY_EDGE_MAX];
    unsigned char ee[2 * NDPY_EDGE_MAX];
    if (edge > NDPY_EDGE_MAX) {
        PyErr_SetString(PyExc_ValueError, "_site_edges: the library's page edges are longer than this build's");
        goto done;
    }
    for (size_t i = 0; i < pt.ndocs; i++) {
        const nd_page_seq page = ndpy_page_of(&pt, i, fv.buf, rep, sh);
        const size_t m = nd_shard_page_edges(&page, ef, ee);
        for (size_t x = 0; x < m; x++) rec[n++] = (uint64_t)ef[x] << 33 | (uint64_t)ee[x] << 32 | (first + i);
    }
    for (size_t x = 0; x < n; x++) count[ndpy_range_of(rec[x] >> 33, (size_t)ranges)]++;
    for (size_t r = 0; r < ranges; r++) {
        parts[r] = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(count[r] * 8));
        if (!parts[r]) goto done;
        count[r] = 0;
    }
    for (size_t x = 0; x < n; x++) {
        size_t r = ndpy_range_of(rec[x] >> 33, (size_t)ranges);
        memcpy(PyBytes_AS_STRING(parts[r]) + 8 * count[r]++, &rec[x], 8);
    }
    out = PyList_New((Py_ssize_t)ranges);
    for (size_t r = 0; out && r < ranges; r++) {
        PyList_SET_ITEM(out, (Py_ssize_t)r, parts[r]);
        parts[r] = NULL;
    }
done:
    for (size_t r = 0; parts && r < ranges; r++) Py_XDECREF(parts[r]);
    PyMem_Free(parts);
    PyMem_Free(count);
    PyMem_Free(rec);
    PyMem_Free(rep);
    PyMem_Free(sh);
    ndpy_part_clear(&pt);
    PyBuffer_Release(&fv);
fail:
    nd_ctx_free(ctx);
    return out;
}

/* _site_peers(pieces) -> bytes of uint64 (d << 33 | e << 1 | end): one
 * range's edge records from every partition; for each, the `peers` latest
 * earlier pages e holding the same family at the same end as page d. */
PyObject *ndpy_site_peers(PyObject *self, PyObject *pieces)
{
    (void)self;
    PyObject *seq = PySequence_Fast(pieces, "_site_peers: pieces must be a list"), *out = NULL;
    if (!seq) return NULL;
    unsigned peers;
    nd_shard_site_limits(NULL, &peers, NULL);
    const Py_ssize_t np = PySequence_Fast_GET_SIZE(seq);
    size_t n = 0;
    for (Py_ssize_t i = 0; i < np; i++) {
        PyObject *b = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyBytes_Check(b) || PyBytes_GET_SIZE(b) % 8) {
            Py_DECREF(seq);
            return PyErr_Format(PyExc_TypeError, "_site_peers: pieces[%zd] is not bytes of uint64", i);
        }
        n += (size_t)PyBytes_GET_SIZE(b) / 8;
    }
    uint64_t *key = PyMem_Malloc((n ? n : 1) * 8), *tkey = PyMem_Malloc((n ? n : 1) * 8);
    uint64_t *o = PyMem_Malloc((n * peers + 1) * 8);
    size_t *count = PyMem_Malloc(NDPY_DIGITS * NDPY_BINS * sizeof *count);
    if (!key || !tkey || !o || !count) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0, at = 0; i < np; i++) {
        PyObject *b = PySequence_Fast_GET_ITEM(seq, i);
        memcpy(key + at, PyBytes_AS_STRING(b), (size_t)PyBytes_GET_SIZE(b));
        at += PyBytes_GET_SIZE(b) / 8;
    }
    size_t m = 0;
    Py_BEGIN_ALLOW_THREADS
    const uint64_t *s = ndpy_radix(key, NULL, tkey, NULL, n, count, NULL);
    for (size_t i = 0; i < n; i++) {
        const uint64_t d = s[i] & 0xFFFFFFFFu, end = (s[i] >> 32) & 1;
        for (size_t j = i, step = 0; j-- > 0 && step < peers; step++) {
            if (s[j] >> 32 != s[i] >> 32) break;
            o[m++] = d << 33 | (s[j] & 0xFFFFFFFFu) << 1 | end;
        }
    }
    Py_END_ALLOW_THREADS
    out = PyBytes_FromStringAndSize((const char *)o, (Py_ssize_t)(m * 8));
done:
    PyMem_Free(key);
    PyMem_Free(tkey);
    PyMem_Free(o);
    PyMem_Free(count);
    Py_DECREF(seq);
    return out;
}

/* _page_seqs(signed, first_doc, fam, wanted, **options) -> (fam, shingles,
 * repeat, lengths, sources): the family sequences of the wanted documents
 * (uint32 collection-wide numbers, each in this partition), concatenated:
 * bytes of uint32, uint32, uint8; per document its paragraphs (uint32) and
 * source (a list of bytes). */
PyObject *ndpy_page_seqs(PyObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *signed_docs, *fam_obj, *wanted_obj, *out = NULL;
    unsigned long long first;
    nd_params p;
    if (!PyArg_ParseTuple(args, "OKOO:_page_seqs", &signed_docs, &first, &fam_obj, &wanted_obj)) return NULL;
    nd_ctx *ctx = ndpy_options_ctx(self, kwargs, &p);
    if (!ctx) return NULL;
    Py_buffer fv, wv;
    int held = 0;
    if (!ndpy_u32_view(fam_obj, &fv, "_page_seqs: fam")) held++;
    if (held == 1 && !ndpy_u32_view(wanted_obj, &wv, "_page_seqs: wanted")) held++;
    ndpy_part pt;
    memset(&pt, 0, sizeof pt);
    PyObject *f = NULL, *sh = NULL, *rp = NULL, *len = NULL, *src = NULL;
    if (held < 2 || ndpy_part_load(&pt, signed_docs, nd_ctx_num_perm(ctx))) goto done;
    if ((size_t)fv.len / 4 != pt.npara) {
        PyErr_SetString(PyExc_ValueError, "_page_seqs: fam is not one family per paragraph");
        goto done;
    }
    const uint32_t *want = wv.buf, *fam = fv.buf;
    const size_t nw = (size_t)wv.len / 4;
    size_t total = 0;
    for (size_t i = 0; i < nw; i++) {
        if (want[i] < first || want[i] - first >= pt.ndocs) {
            PyErr_Format(PyExc_ValueError, "_page_seqs: document %u is not in this partition", want[i]);
            goto done;
        }
        total += pt.count[want[i] - first];
    }
    f = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(total * 4));
    sh = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(total * 4));
    rp = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)total);
    len = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(nw * 4));
    src = PyList_New((Py_ssize_t)nw);
    if (!f || !sh || !rp || !len || !src) goto done;
    for (size_t i = 0, at = 0; i < nw; i++) {
        const size_t d = want[i] - first, c = pt.count[d];
        const nd_page_seq page = ndpy_page_of(&pt, d, fam, (unsigned char *)PyBytes_AS_STRING(rp) + at,
                                              (uint32_t *)(void *)(PyBytes_AS_STRING(sh) + at * 4));
        memcpy(PyBytes_AS_STRING(f) + at * 4, page.fam, c * 4);
        const uint32_t c32 = (uint32_t)c;
        memcpy(PyBytes_AS_STRING(len) + i * 4, &c32, 4);
        Py_INCREF(pt.src[d]);
        PyList_SET_ITEM(src, (Py_ssize_t)i, pt.src[d]);
        at += c;
    }
    out = PyTuple_Pack(5, f, sh, rp, len, src);
done:
    Py_XDECREF(f);
    Py_XDECREF(sh);
    Py_XDECREF(rp);
    Py_XDECREF(len);
    Py_XDECREF(src);
    ndpy_part_clear(&pt);
    if (held > 1) PyBuffer_Release(&wv);
    if (held > 0) PyBuffer_Release(&fv);
    nd_ctx_free(ctx);
    return out;
}

/* _site_links(signed, first_doc, fam, cand_d, cand_e, fetched_docs, fetched,
 * **options) -> bytes of uint64 (e << 32 | d): of the candidate pairs
 * (cand_d: pages of this partition, cand_e: earlier pages, uint32), those
 * of one source that are one site. fetched_docs (sorted uint32) and
 * fetched (a _page_seqs tuple of them) give the pages held elsewhere. */
PyObject *ndpy_site_links(PyObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *signed_docs, *fam_obj, *cd_obj, *ce_obj, *fd_obj, *fetched, *out = NULL;
    unsigned long long first;
    nd_params p;
    if (!PyArg_ParseTuple(args, "OKOOOOO!:_site_links", &signed_docs, &first, &fam_obj, &cd_obj, &ce_obj, &fd_obj,
                          &PyTuple_Type, &fetched))
        return NULL;
    PyObject *ff, *fs, *fr, *fl, *fsrc;
    if (!PyArg_ParseTuple(fetched, "SSSSO!:_site_links fetched", &ff, &fs, &fr, &fl, &PyList_Type, &fsrc))
        return NULL;
    nd_ctx *ctx = ndpy_options_ctx(self, kwargs, &p);
    if (!ctx) return NULL;
    Py_buffer v[4];
    const char *what[4] = { "fam", "cand_d", "cand_e", "fetched_docs" };
    PyObject *objs[4] = { fam_obj, cd_obj, ce_obj, fd_obj };
    int held = 0;
    while (held < 4 && !ndpy_u32_view(objs[held], &v[held], what[held])) held++;
    ndpy_part pt;
    memset(&pt, 0, sizeof pt);
    size_t *start = NULL;
    unsigned char *rep = NULL;
    uint32_t *sh = NULL;
    uint64_t *links = NULL;
    if (held < 4 || ndpy_part_load(&pt, signed_docs, nd_ctx_num_perm(ctx))) goto done;
    const size_t nc = (size_t)v[1].len / 4, nf = (size_t)v[3].len / 4;
    const uint32_t *fam = v[0].buf, *cd = v[1].buf, *ce = v[2].buf, *fdocs = v[3].buf;
    const uint32_t *flen = (const uint32_t *)(const void *)PyBytes_AS_STRING(fl);
    size_t ftotal = 0;
    if ((size_t)v[0].len / 4 != pt.npara || (size_t)v[2].len / 4 != nc || (size_t)PyBytes_GET_SIZE(fl) != nf * 4 ||
        (size_t)PyList_GET_SIZE(fsrc) != nf) {
        PyErr_SetString(PyExc_ValueError, "_site_links: arrays of unequal lengths");
        goto done;
    }
    start = PyMem_Malloc((nf + 1) * sizeof *start);
    if (!start) {
        PyErr_NoMemory();
        goto done;
    }
    for (size_t i = 0; i < nf; i++) {
        start[i] = ftotal;
        ftotal += flen[i];
    }
    if ((size_t)PyBytes_GET_SIZE(ff) != ftotal * 4 || (size_t)PyBytes_GET_SIZE(fs) != ftotal * 4 ||
        (size_t)PyBytes_GET_SIZE(fr) != ftotal) {
        PyErr_SetString(PyExc_ValueError, "_site_links: fetched sequences of unequal lengths");
        goto done;
    }
    const size_t longest = ndpy_part_longest(&pt);
    rep = PyMem_Malloc(2 * longest);
    sh = PyMem_Malloc(2 * longest * sizeof *sh);
    links = PyMem_Malloc((nc ? nc : 1) * sizeof *links);
    if (!rep || !sh || !links) {
        PyErr_NoMemory();
        goto done;
    }
    size_t m = 0;
    for (size_t i = 0; i < nc; i++) {
        if (cd[i] < first || cd[i] - first >= pt.ndocs || ce[i] >= cd[i]) {
            PyErr_Format(PyExc_ValueError, "_site_links: pair (%u, %u) not of this partition", cd[i], ce[i]);
            goto done;
        }
        const size_t d = cd[i] - first;
        const nd_page_seq pd = ndpy_page_of(&pt, d, fam, rep, sh);
        nd_page_seq pe;
        PyObject *esrc;
        if (ce[i] >= first) { /* held here */
            const size_t e = ce[i] - first;
            pe = ndpy_page_of(&pt, e, fam, rep + longest, sh + longest);
            esrc = pt.src[e];
        } else {
            size_t lo = 0, hi = nf;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (fdocs[mid] < ce[i]) lo = mid + 1;
                else hi = mid;
            }
            if (lo == nf || fdocs[lo] != ce[i]) {
                PyErr_Format(PyExc_ValueError, "_site_links: page %u was not fetched", ce[i]);
                goto done;
            }
            const size_t at = start[lo];
            pe = (nd_page_seq){ (const uint32_t *)(const void *)(PyBytes_AS_STRING(ff) + at * 4),
                                (const uint32_t *)(const void *)(PyBytes_AS_STRING(fs) + at * 4),
                                (const unsigned char *)PyBytes_AS_STRING(fr) + at, flen[lo] };
            esrc = PyList_GET_ITEM(fsrc, (Py_ssize_t)lo);
        }
        if (!PyBytes_Check(esrc) || !ndpy_same_source(pt.src[d], esrc)) continue;
        int linked = 0;
        int rc = nd_shard_site_pair(ctx, &pd, &pe, &linked);
        if (rc) {
            ndpy_raise(PyModule_GetState(self), rc, NULL);
            goto done;
        }
        if (linked) links[m++] = (uint64_t)ce[i] << 32 | cd[i];
    }
    out = PyBytes_FromStringAndSize((const char *)links, (Py_ssize_t)(m * 8));
done:
    PyMem_Free(start);
    PyMem_Free(rep);
    PyMem_Free(sh);
    PyMem_Free(links);
    ndpy_part_clear(&pt);
    while (held > 0) PyBuffer_Release(&v[--held]);
    nd_ctx_free(ctx);
    return out;
}

/* _settings(**options) -> {"min_stories", "scope_all", "num_perm"}: the
 * parameters the staged passes read, as the library resolves them. */
PyObject *ndpy_settings(PyObject *self, PyObject *args, PyObject *kwargs)
{
    nd_params p;
    if (!PyArg_ParseTuple(args, ":_settings")) return NULL;
    nd_ctx *ctx = ndpy_options_ctx(self, kwargs, &p);
    if (!ctx) return NULL;
    nd_ctx_free(ctx);
    return Py_BuildValue("{sIsOsI}", "min_stories", p.min_stories, "scope_all",
                         p.boilerplate_scope == ND_SCOPE_ALL ? Py_True : Py_False, "num_perm", p.num_perm);
}

/* _site_limits() -> (edge, peers, match): nd_shard_site_limits(). */
PyObject *ndpy_site_limits(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    unsigned edge, peers, match;
    nd_shard_site_limits(&edge, &peers, &match);
    return Py_BuildValue("(III)", edge, peers, match);
}

/* _trim() -> None: gives the C heap's free pages back to the system
 * (glibc's malloc_trim; nothing elsewhere). A Dask worker frees and
 * reallocates hundreds of MB of mid-sized buffers as results are spilled
 * and read back; glibc keeps the freed pages of its arenas, and a worker
 * over its memory limit for memory it does not use is paused for good. */
PyObject *ndpy_trim(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    /* a trim walks the whole heap (15 ms for 200 MB of small free blocks):
     * only when there is much to give back */
    struct mallinfo2 mi = mallinfo2();
    if (mi.fordblks > ((size_t)32 << 20)) {
        Py_BEGIN_ALLOW_THREADS
        malloc_trim(0);
        Py_END_ALLOW_THREADS
    }
#elif defined(__GLIBC__)
    Py_BEGIN_ALLOW_THREADS
    malloc_trim(0);
    Py_END_ALLOW_THREADS
#endif
    Py_RETURN_NONE;
}
