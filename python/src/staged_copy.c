/*
 * The staged copy pass of neardup.dask (docs/DISTRIBUTED.md, section 1,
 * stage 5): per partition, each document's paragraph matches and its
 * judgement (nd_shard_copy_touches, nd_shard_copy_aligns,
 * nd_shard_copy_judge) from what the partition holds and what it fetched
 * from the others; one task then makes the unions in document order, as a
 * collection does, and adds the same pages.
 *
 * A pass's state of a partition (_copy_prep) is (content signatures: K
 * uint32 per document, content shingles: uint64 per document, counting:
 * uint8 per paragraph, 1 when it counts toward copies in this pass).
 */
#include "ndpy.h"
#include <string.h>

/* A read-only buffer of n elements of `size` bytes (bytes or a NumPy
 * array). @return 0 or -1 (exception, nothing held). */
static int ndpy_view(PyObject *obj, Py_buffer *v, size_t size, const char *what)
{
    return ndpy_aligned_view(obj, v, size, what);
}

/* Up to 12 buffers taken and released together. */
typedef struct ndpy_views {
    Py_buffer v[12];
    int n;
} ndpy_views;

static const void *ndpy_take(ndpy_views *vs, PyObject *obj, size_t size, size_t *count, const char *what)
{
    if (vs->n < 0 || vs->n == 12) return NULL;
    if (ndpy_view(obj, &vs->v[vs->n], size, what)) {
        vs->n = -1 - vs->n; /* failed: remember how many to release */
        return NULL;
    }
    if (count) *count = (size_t)vs->v[vs->n].len / size;
    return vs->v[vs->n++].buf;
}

static void ndpy_release(ndpy_views *vs)
{
    int n = vs->n < 0 ? -1 - vs->n : vs->n;
    while (n > 0) PyBuffer_Release(&vs->v[--n]);
}

static nd_ctx *ndpy_copy_ctx(PyObject *self, PyObject *kwargs)
{
    nd_params p;
    nd_params_init(&p, ND_PARAMS_VERSION);
    if (ndpy_params(kwargs, &p, NULL, NULL)) return NULL;
    return ndpy_ctx(PyModule_GetState(self), &p);
}

/* _copy_prep(signed, bp, **options) -> (content, content_shingles,
 * counting): a pass's state of the partition, bp a bool (uint8) per
 * paragraph, 1 when left out of content (boilerplate of the pass). */
PyObject *ndpy_copy_prep(PyObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *signed_docs, *bp_obj, *out = NULL;
    if (!PyArg_ParseTuple(args, "OO:_copy_prep", &signed_docs, &bp_obj)) return NULL;
    nd_ctx *ctx = ndpy_copy_ctx(self, kwargs);
    if (!ctx) return NULL;
    nd_params cp;
    nd_ctx_params(ctx, &cp);
    const size_t k = nd_ctx_num_perm(ctx), w = cp.shingle_size;
    ndpy_views vs = { .n = 0 };
    ndpy_part pt;
    memset(&pt, 0, sizeof pt);
    size_t nbp = 0;
    const unsigned char *bp = ndpy_take(&vs, bp_obj, 1, &nbp, "bp");
    PyObject *content = NULL, *shingles = NULL, *counting = NULL;
    uint32_t *page = PyMem_Malloc(k * 4);
    if (!bp || !page || ndpy_part_load(&pt, signed_docs, k)) goto done;
    if (nbp != pt.npara) {
        PyErr_SetString(PyExc_ValueError, "_copy_prep: bp is not one flag per paragraph");
        goto done;
    }
    content = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(pt.ndocs * k * 4));
    shingles = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(pt.ndocs * 8));
    counting = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)pt.npara);
    if (!content || !shingles || !counting) goto done;
    for (size_t i = 0; i < pt.ndocs; i++) {
        uint64_t cs = 0;
        int rc = nd_shard_doc_signatures(ctx, pt.paras[i], pt.count[i], bp + pt.para0[i],
                                         (uint32_t *)(void *)(PyBytes_AS_STRING(content) + i * k * 4), page, &cs);
        if (rc) {
            ndpy_raise(PyModule_GetState(self), rc, NULL);
            goto done;
        }
        memcpy(PyBytes_AS_STRING(shingles) + i * 8, &cs, 8);
        for (size_t j = 0; j < pt.count[i]; j++) {
            const nd_para_sig *p = &pt.paras[i][j];
            PyBytes_AS_STRING(counting)[pt.para0[i] + j] =
                (char)(p->kind != ND_KIND_REPEAT && !bp[pt.para0[i] + j] && p->tokens >= w);
        }
    }
    out = PyTuple_Pack(3, content, shingles, counting);
done:
    Py_XDECREF(content);
    Py_XDECREF(shingles);
    Py_XDECREF(counting);
    PyMem_Free(page);
    ndpy_part_clear(&pt);
    ndpy_release(&vs);
    nd_ctx_free(ctx);
    return out;
}

/* _page_sigs(signed, first_doc, wanted, **options) -> bytes: the page
 * signatures (K uint32) of the wanted documents (uint32, in this
 * partition). */
PyObject *ndpy_page_sigs(PyObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *signed_docs, *wanted_obj, *out = NULL;
    unsigned long long first;
    if (!PyArg_ParseTuple(args, "OKO:_page_sigs", &signed_docs, &first, &wanted_obj)) return NULL;
    nd_ctx *ctx = ndpy_copy_ctx(self, kwargs);
    if (!ctx) return NULL;
    const size_t k = nd_ctx_num_perm(ctx);
    ndpy_views vs = { .n = 0 };
    ndpy_part pt;
    memset(&pt, 0, sizeof pt);
    size_t nw = 0;
    const uint32_t *want = ndpy_take(&vs, wanted_obj, 4, &nw, "wanted");
    uint32_t *content = PyMem_Malloc(k * 4);
    unsigned char *none = NULL;
    if (!want || !content || ndpy_part_load(&pt, signed_docs, k)) goto done;
    size_t longest = 1;
    for (size_t i = 0; i < pt.ndocs; i++) longest = pt.count[i] > longest ? pt.count[i] : longest;
    none = PyMem_Calloc(longest, 1);
    out = none ? PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(nw * k * 4)) : PyErr_NoMemory();
    for (size_t i = 0; out && i < nw; i++) {
        uint64_t cs;
        if (want[i] < first || want[i] - first >= pt.ndocs) {
            PyErr_Format(PyExc_ValueError, "_page_sigs: document %u is not in this partition", want[i]);
            Py_CLEAR(out);
            break;
        }
        const size_t d = want[i] - first;
        int rc = nd_shard_doc_signatures(ctx, pt.paras[d], pt.count[d], none, content,
                                         (uint32_t *)(void *)(PyBytes_AS_STRING(out) + i * k * 4), &cs);
        if (rc) {
            ndpy_raise(PyModule_GetState(self), rc, NULL);
            Py_CLEAR(out);
        }
    }
done:
    PyMem_Free(content);
    PyMem_Free(none);
    ndpy_part_clear(&pt);
    ndpy_release(&vs);
    nd_ctx_free(ctx);
    return out;
}

/* _same_pages(signed, first_doc, d, e, fetched_docs, fetched_sigs,
 * **options) -> (keep: uint8, sim: float64) per (d, e) candidate: whether
 * the two pages agree at nd_shard_same_page(), and their estimate. */
PyObject *ndpy_same_pages(PyObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *signed_docs, *d_obj, *e_obj, *fd_obj, *fs_obj, *out = NULL;
    unsigned long long first;
    if (!PyArg_ParseTuple(args, "OKOOOO:_same_pages", &signed_docs, &first, &d_obj, &e_obj, &fd_obj, &fs_obj))
        return NULL;
    nd_ctx *ctx = ndpy_copy_ctx(self, kwargs);
    if (!ctx) return NULL;
    const size_t k = nd_ctx_num_perm(ctx);
    nd_params cp;
    nd_ctx_params(ctx, &cp);
    const unsigned bits = cp.sig_bits;
    ndpy_views vs = { .n = 0 };
    ndpy_part pt;
    memset(&pt, 0, sizeof pt);
    size_t n = 0, ne = 0, nf = 0, nfs = 0;
    const uint32_t *d = ndpy_take(&vs, d_obj, 4, &n, "d");
    const uint32_t *e = ndpy_take(&vs, e_obj, 4, &ne, "e");
    const uint32_t *fd = ndpy_take(&vs, fd_obj, 4, &nf, "fetched_docs");
    const uint32_t *fs = ndpy_take(&vs, fs_obj, 4, &nfs, "fetched_sigs");
    uint32_t *mine = NULL, *other = NULL, *content = NULL;
    unsigned char *none = NULL;
    PyObject *keep = NULL, *sim = NULL;
    if (!d || !e || !fd || !fs || ndpy_part_load(&pt, signed_docs, k)) goto done;
    if (ne != n || nfs != nf * k) {
        PyErr_SetString(PyExc_ValueError, "_same_pages: arrays of unequal lengths");
        goto done;
    }
    size_t longest = 1;
    for (size_t i = 0; i < pt.ndocs; i++) longest = pt.count[i] > longest ? pt.count[i] : longest;
    mine = PyMem_Malloc(k * 4);
    other = PyMem_Malloc(k * 4);
    content = PyMem_Malloc(k * 4);
    none = PyMem_Calloc(longest, 1);
    keep = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)n);
    sim = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(n * 8));
    if (!mine || !other || !content || !none || !keep || !sim) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    const double at = nd_shard_same_page();
    uint64_t cs;
    for (size_t i = 0; i < n; i++) {
        if (d[i] < first || d[i] - first >= pt.ndocs || e[i] >= d[i]) {
            PyErr_Format(PyExc_ValueError, "_same_pages: pair (%u, %u) not of this partition", d[i], e[i]);
            goto done;
        }
        if (!i || d[i] != d[i - 1])
            nd_shard_doc_signatures(ctx, pt.paras[d[i] - first], pt.count[d[i] - first], none, content, mine, &cs);
        const uint32_t *es;
        if (e[i] >= first) {
            nd_shard_doc_signatures(ctx, pt.paras[e[i] - first], pt.count[e[i] - first], none, content, other, &cs);
            es = other;
        } else {
            size_t x = ndpy_find_u32(fd, nf, e[i]);
            if (x == nf) {
                PyErr_Format(PyExc_ValueError, "_same_pages: page %u was not fetched", e[i]);
                goto done;
            }
            es = fs + x * k;
        }
        double s = nd_signature_similarity_bits(mine, es, k, bits);
        PyBytes_AS_STRING(keep)[i] = (char)(s >= at);
        memcpy(PyBytes_AS_STRING(sim) + i * 8, &s, 8);
    }
    out = PyTuple_Pack(2, keep, sim);
done:
    Py_XDECREF(keep);
    Py_XDECREF(sim);
    PyMem_Free(mine);
    PyMem_Free(other);
    PyMem_Free(content);
    PyMem_Free(none);
    ndpy_part_clear(&pt);
    ndpy_release(&vs);
    nd_ctx_free(ctx);
    return out;
}

/* _para_info(signed, first_para, first_doc, wanted, counting, **options)
 * -> (sigs, shingles, docs, counting): for the wanted paragraphs (uint32,
 * in this partition), K uint32 values, uint64 shingles, uint32 document,
 * uint8 counting flag (of the pass's counting, a flag per paragraph). */
PyObject *ndpy_para_info(PyObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *signed_docs, *wanted_obj, *counting_obj, *out = NULL;
    unsigned long long pfirst, dfirst;
    if (!PyArg_ParseTuple(args, "OKKOO:_para_info", &signed_docs, &pfirst, &dfirst, &wanted_obj, &counting_obj))
        return NULL;
    nd_ctx *ctx = ndpy_copy_ctx(self, kwargs);
    if (!ctx) return NULL;
    const size_t k = nd_ctx_num_perm(ctx);
    ndpy_views vs = { .n = 0 };
    ndpy_part pt;
    memset(&pt, 0, sizeof pt);
    size_t nw = 0, nc = 0;
    const uint32_t *want = ndpy_take(&vs, wanted_obj, 4, &nw, "wanted");
    const unsigned char *counting = ndpy_take(&vs, counting_obj, 1, &nc, "counting");
    PyObject *sigs = NULL, *sh = NULL, *docs = NULL, *cnt = NULL;
    if (!want || !counting || ndpy_part_load(&pt, signed_docs, k)) goto done;
    if (nc != pt.npara) {
        PyErr_SetString(PyExc_ValueError, "_para_info: counting is not one flag per paragraph");
        goto done;
    }
    sigs = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(nw * k * 4));
    sh = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(nw * 8));
    docs = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(nw * 4));
    cnt = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)nw);
    if (!sigs || !sh || !docs || !cnt) goto done;
    for (size_t i = 0; i < nw; i++) {
        if (want[i] < pfirst || want[i] - pfirst >= pt.npara) {
            PyErr_Format(PyExc_ValueError, "_para_info: paragraph %u is not in this partition", want[i]);
            goto done;
        }
        const size_t j = want[i] - pfirst, d = ndpy_part_doc(&pt, j);
        const nd_para_sig *p = &pt.paras[d][j - pt.para0[d]];
        const uint64_t s = p->shingles;
        const uint32_t doc = (uint32_t)(dfirst + d);
        memcpy(PyBytes_AS_STRING(sigs) + i * k * 4, p->signature, k * 4);
        memcpy(PyBytes_AS_STRING(sh) + i * 8, &s, 8);
        memcpy(PyBytes_AS_STRING(docs) + i * 4, &doc, 4);
        PyBytes_AS_STRING(cnt)[i] = (char)counting[j];
    }
    out = PyTuple_Pack(4, sigs, sh, docs, cnt);
done:
    Py_XDECREF(sigs);
    Py_XDECREF(sh);
    Py_XDECREF(docs);
    Py_XDECREF(cnt);
    ndpy_part_clear(&pt);
    ndpy_release(&vs);
    nd_ctx_free(ctx);
    return out;
}

/* The partition's counting paragraphs of document d (local number), as
 * nd_shard_para, into out (room for its paragraphs). @return how many. */
static size_t ndpy_counting_paras(const ndpy_part *pt, const unsigned char *counting, size_t d, uint64_t pfirst,
                                  uint64_t dfirst, nd_shard_para *out)
{
    size_t n = 0;
    for (size_t j = 0; j < pt->count[d]; j++) {
        const size_t g = pt->para0[d] + j;
        if (!counting[g]) continue;
        out[n++] = (nd_shard_para){ pfirst + g, dfirst + d, pt->paras[d][j].shingles, pt->paras[d][j].signature };
    }
    return n;
}

/* _copy_touches(signed, first_para, first_doc, counting, g, r, fetched_paras,
 * fetched_info, **options) -> (d, e, shared_d, shared_e, last): every
 * document's touches, in document order, each document's in the order
 * touched (uint32, uint32, uint64, uint64, uint32). g, r (uint32): the
 * walk's candidates that count in this pass, each g's together in walk
 * order; fetched_paras (sorted uint32) and fetched_info (a _para_info
 * tuple) the candidates other partitions hold. */
PyObject *ndpy_copy_touches(PyObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *signed_docs, *counting_obj, *g_obj, *r_obj, *fp_obj, *fi, *out = NULL;
    unsigned long long pfirst, dfirst;
    if (!PyArg_ParseTuple(args, "OKKOOOOO!:_copy_touches", &signed_docs, &pfirst, &dfirst, &counting_obj, &g_obj,
                          &r_obj, &fp_obj, &PyTuple_Type, &fi))
        return NULL;
    PyObject *fsig_o, *fsh_o, *fdoc_o, *fcnt_o;
    if (!PyArg_ParseTuple(fi, "OOOO:fetched_info", &fsig_o, &fsh_o, &fdoc_o, &fcnt_o)) return NULL;
    nd_ctx *ctx = ndpy_copy_ctx(self, kwargs);
    if (!ctx) return NULL;
    const size_t k = nd_ctx_num_perm(ctx);
    ndpy_views vs = { .n = 0 };
    ndpy_part pt;
    memset(&pt, 0, sizeof pt);
    size_t nc = 0, ng = 0, nr = 0, nf = 0, nfs = 0, nfh = 0, nfd = 0;
    const unsigned char *counting = ndpy_take(&vs, counting_obj, 1, &nc, "counting");
    const uint32_t *g = ndpy_take(&vs, g_obj, 4, &ng, "g");
    const uint32_t *r = ndpy_take(&vs, r_obj, 4, &nr, "r");
    const uint32_t *fp = ndpy_take(&vs, fp_obj, 4, &nf, "fetched_paras");
    const uint32_t *fsig = ndpy_take(&vs, fsig_o, 4, &nfs, "fetched sigs");
    const uint64_t *fsh = ndpy_take(&vs, fsh_o, 8, &nfh, "fetched shingles");
    const uint32_t *fdoc = ndpy_take(&vs, fdoc_o, 4, &nfd, "fetched docs");
    nd_shard_para *paras = NULL, *cands = NULL;
    size_t *cand_end = NULL;
    nd_shard_touch *touch = NULL;
    PyObject *od = NULL, *oe = NULL, *osd = NULL, *ose = NULL, *ol = NULL;
    if (!counting || !g || !r || !fp || !fsig || !fsh || !fdoc || ndpy_part_load(&pt, signed_docs, k)) goto done;
    if (nc != pt.npara || nr != ng || nfs != nf * k || nfh != nf || nfd != nf) {
        PyErr_SetString(PyExc_ValueError, "_copy_touches: arrays of unequal lengths");
        goto done;
    }
    size_t longest = 1;
    for (size_t i = 0; i < pt.ndocs; i++) longest = pt.count[i] > longest ? pt.count[i] : longest;
    paras = PyMem_Malloc(longest * sizeof *paras);
    cand_end = PyMem_Malloc(longest * sizeof *cand_end);
    cands = PyMem_Malloc((ng ? ng : 1) * sizeof *cands);
    touch = PyMem_Malloc((ng ? ng : 1) * sizeof *touch);
    od = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(ng * 4));
    oe = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(ng * 4));
    osd = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(ng * 8));
    ose = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(ng * 8));
    ol = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(ng * 4));
    if (!paras || !cand_end || !cands || !touch || !od || !oe || !osd || !ose || !ol) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    size_t m = 0, at = 0; /* touches written; candidates consumed */
    for (size_t d = 0; d < pt.ndocs; d++) {
        const size_t n = ndpy_counting_paras(&pt, counting, d, pfirst, dfirst, paras);
        size_t c = 0; /* this document's candidates */
        for (size_t i = 0; i < n; i++) {
            const uint32_t gi = (uint32_t)paras[i].para;
            for (; at < ng && g[at] == gi; at++) {
                const uint32_t ri = r[at];
                if (ri >= pfirst && ri - pfirst < pt.npara) {
                    const size_t j = ri - pfirst, dd = ndpy_part_doc(&pt, j);
                    cands[c++] = (nd_shard_para){ ri, dfirst + dd, pt.paras[dd][j - pt.para0[dd]].shingles,
                                                  pt.paras[dd][j - pt.para0[dd]].signature };
                } else {
                    size_t x = ndpy_find_u32(fp, nf, ri);
                    if (x == nf) {
                        PyErr_Format(PyExc_ValueError, "_copy_touches: candidate %u was not fetched", ri);
                        goto done;
                    }
                    cands[c++] = (nd_shard_para){ ri, fdoc[x], fsh[x], fsig + x * k };
                }
            }
            cand_end[i] = c;
        }
        if (at < ng && g[at] < pfirst + pt.para0[d + 1]) {
            PyErr_Format(PyExc_ValueError, "_copy_touches: candidates of paragraph %u, which does not count", g[at]);
            goto done;
        }
        size_t t = 0;
        int rc = nd_shard_copy_touches(ctx, dfirst + d, paras, n, cand_end, cands, touch, ng - m, &t);
        if (rc) {
            ndpy_raise(PyModule_GetState(self), rc, NULL);
            goto done;
        }
        for (size_t i = 0; i < t; i++, m++) {
            const uint32_t dd = (uint32_t)(dfirst + d), e = (uint32_t)touch[i].doc;
            memcpy(PyBytes_AS_STRING(od) + m * 4, &dd, 4);
            memcpy(PyBytes_AS_STRING(oe) + m * 4, &e, 4);
            memcpy(PyBytes_AS_STRING(osd) + m * 8, &touch[i].shared_d, 8);
            memcpy(PyBytes_AS_STRING(ose) + m * 8, &touch[i].shared_e, 8);
            memcpy(PyBytes_AS_STRING(ol) + m * 4, &touch[i].last, 4);
        }
    }
    if (at != ng) {
        PyErr_SetString(PyExc_ValueError, "_copy_touches: candidates out of order");
        goto done;
    }
    if (_PyBytes_Resize(&od, (Py_ssize_t)(m * 4)) || _PyBytes_Resize(&oe, (Py_ssize_t)(m * 4)) ||
        _PyBytes_Resize(&osd, (Py_ssize_t)(m * 8)) || _PyBytes_Resize(&ose, (Py_ssize_t)(m * 8)) ||
        _PyBytes_Resize(&ol, (Py_ssize_t)(m * 4)))
        goto done;
    out = PyTuple_Pack(5, od, oe, osd, ose, ol);
done:
    Py_XDECREF(od);
    Py_XDECREF(oe);
    Py_XDECREF(osd);
    Py_XDECREF(ose);
    Py_XDECREF(ol);
    PyMem_Free(paras);
    PyMem_Free(cand_end);
    PyMem_Free(cands);
    PyMem_Free(touch);
    ndpy_part_clear(&pt);
    ndpy_release(&vs);
    nd_ctx_free(ctx);
    return out;
}

/* _doc_contents(prep, first_doc, wanted) -> (content, content_shingles) of
 * the wanted documents (uint32, in this partition), from a pass's state. */
PyObject *ndpy_doc_contents(PyObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *prep, *wanted_obj, *out = NULL;
    unsigned long long first;
    if (!PyArg_ParseTuple(args, "O!KO:_doc_contents", &PyTuple_Type, &prep, &first, &wanted_obj)) return NULL;
    PyObject *content, *shingles, *counting;
    if (!PyArg_ParseTuple(prep, "SSS:prep", &content, &shingles, &counting)) return NULL;
    nd_ctx *ctx = ndpy_copy_ctx(self, kwargs);
    if (!ctx) return NULL;
    const size_t k = nd_ctx_num_perm(ctx), ndocs = (size_t)PyBytes_GET_SIZE(shingles) / 8;
    ndpy_views vs = { .n = 0 };
    size_t nw = 0;
    const uint32_t *want = ndpy_take(&vs, wanted_obj, 4, &nw, "wanted");
    PyObject *c = NULL, *s = NULL;
    if (!want) goto done;
    if ((size_t)PyBytes_GET_SIZE(content) != ndocs * k * 4) {
        PyErr_SetString(PyExc_ValueError, "_doc_contents: a pass's state of another num_perm");
        goto done;
    }
    c = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(nw * k * 4));
    s = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(nw * 8));
    if (!c || !s) goto done;
    for (size_t i = 0; i < nw; i++) {
        if (want[i] < first || want[i] - first >= ndocs) {
            PyErr_Format(PyExc_ValueError, "_doc_contents: document %u is not in this partition", want[i]);
            goto done;
        }
        const size_t d = want[i] - first;
        memcpy(PyBytes_AS_STRING(c) + i * k * 4, PyBytes_AS_STRING(content) + d * k * 4, k * 4);
        memcpy(PyBytes_AS_STRING(s) + i * 8, PyBytes_AS_STRING(shingles) + d * 8, 8);
    }
    out = PyTuple_Pack(2, c, s);
done:
    Py_XDECREF(c);
    Py_XDECREF(s);
    ndpy_release(&vs);
    nd_ctx_free(ctx);
    return out;
}

/* _doc_paras(signed, prep, first_para, first_doc, wanted, **options) ->
 * (sigs, shingles, lengths): the paragraphs that count in the pass of the
 * wanted documents (uint32, in this partition), concatenated. */
PyObject *ndpy_doc_paras(PyObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *signed_docs, *prep, *wanted_obj, *out = NULL;
    unsigned long long pfirst, dfirst;
    if (!PyArg_ParseTuple(args, "OO!KKO:_doc_paras", &signed_docs, &PyTuple_Type, &prep, &pfirst, &dfirst,
                          &wanted_obj))
        return NULL;
    PyObject *content, *shingles, *counting;
    if (!PyArg_ParseTuple(prep, "SSS:prep", &content, &shingles, &counting)) return NULL;
    nd_ctx *ctx = ndpy_copy_ctx(self, kwargs);
    if (!ctx) return NULL;
    const size_t k = nd_ctx_num_perm(ctx);
    ndpy_views vs = { .n = 0 };
    ndpy_part pt;
    memset(&pt, 0, sizeof pt);
    size_t nw = 0;
    const uint32_t *want = ndpy_take(&vs, wanted_obj, 4, &nw, "wanted");
    PyObject *sigs = NULL, *sh = NULL, *len = NULL;
    if (!want || ndpy_part_load(&pt, signed_docs, k)) goto done;
    const unsigned char *cnt = (const unsigned char *)PyBytes_AS_STRING(counting);
    if ((size_t)PyBytes_GET_SIZE(counting) != pt.npara) {
        PyErr_SetString(PyExc_ValueError, "_doc_paras: a pass's state of another partition");
        goto done;
    }
    size_t total = 0;
    for (size_t i = 0; i < nw; i++) {
        if (want[i] < dfirst || want[i] - dfirst >= pt.ndocs) {
            PyErr_Format(PyExc_ValueError, "_doc_paras: document %u is not in this partition", want[i]);
            goto done;
        }
        const size_t d = want[i] - dfirst;
        for (size_t j = 0; j < pt.count[d]; j++) total += cnt[pt.para0[d] + j] != 0;
    }
    sigs = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(total * k * 4));
    sh = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(total * 8));
    len = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(nw * 4));
    if (!sigs || !sh || !len) goto done;
    for (size_t i = 0, at = 0; i < nw; i++) {
        const size_t d = want[i] - dfirst;
        uint32_t n = 0;
        for (size_t j = 0; j < pt.count[d]; j++) {
            if (!cnt[pt.para0[d] + j]) continue;
            const uint64_t s = pt.paras[d][j].shingles;
            memcpy(PyBytes_AS_STRING(sigs) + at * k * 4, pt.paras[d][j].signature, k * 4);
            memcpy(PyBytes_AS_STRING(sh) + at * 8, &s, 8);
            at++;
            n++;
        }
        memcpy(PyBytes_AS_STRING(len) + i * 4, &n, 4);
    }
    out = PyTuple_Pack(3, sigs, sh, len);
    (void)pfirst;
done:
    Py_XDECREF(sigs);
    Py_XDECREF(sh);
    Py_XDECREF(len);
    ndpy_part_clear(&pt);
    ndpy_release(&vs);
    nd_ctx_free(ctx);
    return out;
}

/* What a partition fetched about the documents its documents touched. */
typedef struct ndpy_edocs {
    const uint32_t *docs;       /* sorted */
    size_t n;
    const uint32_t *content;    /* K per document */
    const uint64_t *shingles;
    const uint32_t *psig;       /* their counting paragraphs, when fetched */
    const uint64_t *psh;
    const uint32_t *plen;       /* per document (0 when not fetched) */
    size_t *pstart;
} ndpy_edocs;

/* _copy_judge(signed, prep, first_para, first_doc, touches, fetched_docs,
 * fetched_contents, paras_docs, fetched_paras, **options) -> (align, copy,
 * dup_of, sim, cont). With paras_docs None it is the dry run: align
 * (uint8 per touch: the pairs whose paragraphs the judgement needs) only.
 * Otherwise copy (uint8 per touch), and per document of the partition
 * dup_of (uint64, 2^64-1 for none), sim and cont (float64). */
PyObject *ndpy_copy_judge(PyObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *signed_docs, *prep, *touches, *fd_obj, *fc, *pd_obj, *fpar, *out = NULL;
    unsigned long long pfirst, dfirst;
    if (!PyArg_ParseTuple(args, "OO!KKO!OO!OO:_copy_judge", &signed_docs, &PyTuple_Type, &prep, &pfirst, &dfirst,
                          &PyTuple_Type, &touches, &fd_obj, &PyTuple_Type, &fc, &pd_obj, &fpar))
        return NULL;
    const int dry = pd_obj == Py_None;
    PyObject *content, *shingles, *counting, *td_o, *te_o, *tsd_o, *tse_o, *tl_o, *fcs_o, *fcsh_o;
    PyObject *fps_o = NULL, *fpsh_o = NULL, *fpl_o = NULL;
    if (!PyArg_ParseTuple(prep, "SSS:prep", &content, &shingles, &counting) ||
        !PyArg_ParseTuple(touches, "OOOOO:touches", &td_o, &te_o, &tsd_o, &tse_o, &tl_o) ||
        !PyArg_ParseTuple(fc, "OO:fetched_contents", &fcs_o, &fcsh_o) ||
        (!dry && !PyArg_ParseTuple(fpar, "OOO:fetched_paras", &fps_o, &fpsh_o, &fpl_o)))
        return NULL;
    nd_ctx *ctx = ndpy_copy_ctx(self, kwargs);
    if (!ctx) return NULL;
    const size_t k = nd_ctx_num_perm(ctx);
    ndpy_views vs = { .n = 0 };
    ndpy_part pt;
    memset(&pt, 0, sizeof pt);
    size_t nt = 0, x1 = 0, x2 = 0, x3 = 0, x4 = 0, nf = 0, nfc = 0, nfh = 0, npd = 0, nps = 0, npsh = 0, npl = 0;
    const uint32_t *td = ndpy_take(&vs, td_o, 4, &nt, "touches d");
    const uint32_t *te = ndpy_take(&vs, te_o, 4, &x1, "touches e");
    const uint64_t *tsd = ndpy_take(&vs, tsd_o, 8, &x2, "touches shared_d");
    const uint64_t *tse = ndpy_take(&vs, tse_o, 8, &x3, "touches shared_e");
    const uint32_t *tl = ndpy_take(&vs, tl_o, 4, &x4, "touches last");
    ndpy_edocs ed;
    memset(&ed, 0, sizeof ed);
    ed.docs = ndpy_take(&vs, fd_obj, 4, &nf, "fetched_docs");
    ed.content = ndpy_take(&vs, fcs_o, 4, &nfc, "fetched contents");
    ed.shingles = ndpy_take(&vs, fcsh_o, 8, &nfh, "fetched content shingles");
    const uint32_t *pdocs = NULL;
    if (!dry) {
        pdocs = ndpy_take(&vs, pd_obj, 4, &npd, "paras_docs");
        ed.psig = ndpy_take(&vs, fps_o, 4, &nps, "fetched paragraph sigs");
        ed.psh = ndpy_take(&vs, fpsh_o, 8, &npsh, "fetched paragraph shingles");
        ed.plen = ndpy_take(&vs, fpl_o, 4, &npl, "fetched paragraph counts");
    }
    ed.n = nf;
    nd_shard_para *dp = NULL;
    nd_shard_touch *t = NULL;
    nd_shard_doc *e = NULL;
    size_t *pstart = NULL;
    PyObject *align = NULL, *copy = NULL, *dup = NULL, *sim = NULL, *cont = NULL;
    if (!td || !te || !tsd || !tse || !tl || !ed.docs || !ed.content || !ed.shingles ||
        (!dry && (!pdocs || !ed.psig || !ed.psh || !ed.plen)) || ndpy_part_load(&pt, signed_docs, k))
        goto done;
    const unsigned char *cnt = (const unsigned char *)PyBytes_AS_STRING(counting);
    if (x1 != nt || x2 != nt || x3 != nt || x4 != nt || nfc != nf * k || nfh != nf ||
        (size_t)PyBytes_GET_SIZE(counting) != pt.npara || (size_t)PyBytes_GET_SIZE(shingles) != pt.ndocs * 8 ||
        (size_t)PyBytes_GET_SIZE(content) != pt.ndocs * k * 4 ||
        (!dry && (npl != npd))) {
        PyErr_SetString(PyExc_ValueError, "_copy_judge: arrays of unequal lengths");
        goto done;
    }
    size_t ptotal = 0;
    if (!dry) {
        pstart = PyMem_Malloc((npd + 1) * sizeof *pstart);
        if (!pstart) goto nomem;
        for (size_t i = 0; i < npd; i++) {
            pstart[i] = ptotal;
            ptotal += ed.plen[i];
        }
        if (nps != ptotal * k || npsh != ptotal) {
            PyErr_SetString(PyExc_ValueError, "_copy_judge: fetched paragraphs of unequal lengths");
            goto done;
        }
    }
    size_t longest = 1, most = 1;
    for (size_t i = 0; i < pt.ndocs; i++) longest = pt.count[i] > longest ? pt.count[i] : longest;
    for (size_t i = 0; i < npd; i++) longest = ed.plen[i] > longest ? ed.plen[i] : longest;
    for (size_t i = 0, run = 0; i < nt; i++) {
        run = i && td[i] == td[i - 1] ? run + 1 : 1;
        most = run > most ? run : most;
    }
    dp = PyMem_Malloc(longest * sizeof *dp);
    t = PyMem_Malloc(most * sizeof *t);
    e = PyMem_Malloc(most * sizeof *e);
    align = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)nt);
    if (!dry) {
        copy = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)nt);
        dup = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(pt.ndocs * 8));
        sim = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(pt.ndocs * 8));
        cont = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(pt.ndocs * 8));
    }
    if (!dp || !t || !e || !align || (!dry && (!copy || !dup || !sim || !cont))) goto nomem;
    /* each touched document's paragraphs, built when judged: for a local
     * document from the partition, else from what was fetched */
    nd_shard_para *epool = PyMem_Malloc((dry ? 1 : (ptotal + most * longest + 1)) * sizeof *epool);
    if (!epool) goto nomem;
    size_t at = 0;
    for (size_t d = 0; d < pt.ndocs; d++) {
        const uint32_t doc = (uint32_t)(dfirst + d);
        size_t n = 0, used = 0;
        for (; at + n < nt && td[at + n] == doc; n++) {
            const size_t i = at + n;
            t[n] = (nd_shard_touch){ te[i], tsd[i], tse[i], tl[i] };
            const uint32_t ei = te[i];
            e[n] = (nd_shard_doc){ ei, 0, NULL, NULL, 0 };
            if (ei >= dfirst && ei - dfirst < pt.ndocs) {
                const size_t x = ei - dfirst;
                e[n].content = (const uint32_t *)(const void *)(PyBytes_AS_STRING(content) + x * k * 4);
                memcpy(&e[n].content_shingles, PyBytes_AS_STRING(shingles) + x * 8, 8);
                if (!dry) {
                    e[n].paras = epool + ptotal + used;
                    e[n].n = ndpy_counting_paras(&pt, cnt, x, pfirst, dfirst, epool + ptotal + used);
                    used += e[n].n;
                }
            } else {
                const size_t x = ndpy_find_u32(ed.docs, nf, ei);
                if (x == nf) {
                    PyErr_Format(PyExc_ValueError, "_copy_judge: document %u was not fetched", ei);
                    PyMem_Free(epool);
                    goto done;
                }
                e[n].content = ed.content + x * k;
                e[n].content_shingles = ed.shingles[x];
                if (!dry) {
                    const size_t y = ndpy_find_u32(pdocs, npd, ei);
                    if (y < npd) {
                        for (size_t q = 0; q < ed.plen[y]; q++)
                            epool[pstart[y] + q] = (nd_shard_para){ 0, ei, ed.psh[pstart[y] + q],
                                                                    ed.psig + (pstart[y] + q) * k };
                        e[n].paras = epool + pstart[y];
                        e[n].n = ed.plen[y];
                    }
                }
            }
        }
        if (at + n < nt && td[at + n] < doc) {
            PyErr_SetString(PyExc_ValueError, "_copy_judge: touches out of order");
            PyMem_Free(epool);
            goto done;
        }
        nd_shard_doc me = { doc, 0, (const uint32_t *)(const void *)(PyBytes_AS_STRING(content) + d * k * 4), dp,
                            ndpy_counting_paras(&pt, cnt, d, pfirst, dfirst, dp) };
        memcpy(&me.content_shingles, PyBytes_AS_STRING(shingles) + d * 8, 8);
        int rc = nd_shard_copy_aligns(ctx, &me, t, e, n, (unsigned char *)PyBytes_AS_STRING(align) + at);
        for (size_t i = 0; !rc && !dry && i < n; i++)
            if (PyBytes_AS_STRING(align)[at + i] && !e[i].paras) {
                PyErr_Format(PyExc_ValueError, "_copy_judge: the paragraphs of document %llu, which the judgement "
                             "aligns, were not fetched", (unsigned long long)e[i].doc);
                PyMem_Free(epool);
                goto done;
            }
        if (!rc && !dry) {
            uint64_t dd;
            double s, c;
            rc = nd_shard_copy_judge(ctx, &me, t, e, n, (unsigned char *)PyBytes_AS_STRING(copy) + at, &dd, &s, &c);
            memcpy(PyBytes_AS_STRING(dup) + d * 8, &dd, 8);
            memcpy(PyBytes_AS_STRING(sim) + d * 8, &s, 8);
            memcpy(PyBytes_AS_STRING(cont) + d * 8, &c, 8);
        }
        if (rc) {
            ndpy_raise(PyModule_GetState(self), rc, NULL);
            PyMem_Free(epool);
            goto done;
        }
        at += n;
    }
    PyMem_Free(epool);
    if (at != nt) {
        PyErr_SetString(PyExc_ValueError, "_copy_judge: touches of documents not in this partition");
        goto done;
    }
    out = dry ? PyTuple_Pack(1, align) : PyTuple_Pack(5, align, copy, dup, sim, cont);
    goto done;
nomem:
    if (!PyErr_Occurred()) PyErr_NoMemory();
done:
    Py_XDECREF(align);
    Py_XDECREF(copy);
    Py_XDECREF(dup);
    Py_XDECREF(sim);
    Py_XDECREF(cont);
    PyMem_Free(dp);
    PyMem_Free(t);
    PyMem_Free(e);
    PyMem_Free(pstart);
    ndpy_part_clear(&pt);
    ndpy_release(&vs);
    nd_ctx_free(ctx);
    return out;
}

/* The union-find of the stories, the root the earlier document. */
static uint32_t ndpy_find(uint32_t *uf, uint32_t x)
{
    while (uf[x] != x) {
        uf[x] = uf[uf[x]];
        x = uf[x];
    }
    return x;
}

static void ndpy_union(uint32_t *uf, const int64_t *date, uint32_t a, uint32_t b)
{
    a = ndpy_find(uf, a);
    b = ndpy_find(uf, b);
    if (a == b) return;
    const int earlier = date[a] != date[b] ? date[a] < date[b] : a < b; /* detect.c's nd__earlier */
    if (earlier) uf[b] = a;
    else uf[a] = b;
}

/* _stories(dates, copy_d, copy_e, dup_of, sim, cont, same_d, same_e,
 * same_sim, **options) -> (cluster, dup_of, sim, cont): the unions of a
 * stories pass over the whole collection, in document order, as detect.c
 * makes them (nd__join, then nd__same_pages). dates: int64 per document
 * (INT64_MAX undated, as a collection keeps it); copy_d, copy_e: every copy found, by document then
 * in the order touched; dup_of (uint64, 2^64-1 none), sim, cont: per
 * document from the judgement; same_*: the pairs of pages that agree, by
 * document then in the walk's order. */
PyObject *ndpy_stories(PyObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *o[9], *out = NULL;
    if (!PyArg_ParseTuple(args, "OOOOOOOOO:_stories", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &o[6], &o[7], &o[8]))
        return NULL;
    (void)self;
    nd_params p;
    nd_params_init(&p, ND_PARAMS_VERSION);
    if (ndpy_params(kwargs, &p, NULL, NULL)) return NULL;
    ndpy_views vs = { .n = 0 };
    size_t n = 0, nc = 0, nce = 0, n3 = 0, n4 = 0, n5 = 0, ns = 0, nse = 0, nss = 0;
    const int64_t *date = ndpy_take(&vs, o[0], 8, &n, "dates");
    const uint32_t *cd = ndpy_take(&vs, o[1], 4, &nc, "copy_d");
    const uint32_t *ce = ndpy_take(&vs, o[2], 4, &nce, "copy_e");
    const uint64_t *dup_in = ndpy_take(&vs, o[3], 8, &n3, "dup_of");
    const double *sim_in = ndpy_take(&vs, o[4], 8, &n4, "sim");
    const double *cont_in = ndpy_take(&vs, o[5], 8, &n5, "cont");
    const uint32_t *sd = ndpy_take(&vs, o[6], 4, &ns, "same_d");
    const uint32_t *se = ndpy_take(&vs, o[7], 4, &nse, "same_e");
    const double *ss = ndpy_take(&vs, o[8], 8, &nss, "same_sim");
    uint32_t *uf = NULL, *copied = NULL;
    PyObject *cl = NULL, *dup = NULL, *sim = NULL, *cont = NULL;
    if (!date || !cd || !ce || !dup_in || !sim_in || !cont_in || !sd || !se || !ss) goto done;
    if (nce != nc || n3 != n || n4 != n || n5 != n || nse != ns || nss != ns || n > UINT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "_stories: arrays of unequal lengths");
        goto done;
    }
    uf = PyMem_Malloc((n + 1) * 4);
    copied = PyMem_Calloc(n + 1, 4);
    cl = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(n * 4));
    dup = PyBytes_FromStringAndSize((const char *)dup_in, (Py_ssize_t)(n * 8));
    sim = PyBytes_FromStringAndSize((const char *)sim_in, (Py_ssize_t)(n * 8));
    cont = PyBytes_FromStringAndSize((const char *)cont_in, (Py_ssize_t)(n * 8));
    if (!uf || !copied || !cl || !dup || !sim || !cont) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    for (size_t d = 0; d < n; d++) uf[d] = (uint32_t)d;
    for (size_t i = 0; i < nc; i++)
        if (cd[i] >= n || ce[i] >= cd[i] || (i && cd[i] < cd[i - 1])) {
            PyErr_SetString(PyExc_ValueError, "_stories: copies not of earlier documents, or out of order");
            goto done;
        }
    uint64_t *dupv = (uint64_t *)(void *)PyBytes_AS_STRING(dup);
    double *simv = (double *)(void *)PyBytes_AS_STRING(sim), *contv = (double *)(void *)PyBytes_AS_STRING(cont);
    for (size_t d = 0, i = 0; d < n; d++) { /* detect.c's nd__join */
        size_t j = i;
        for (; j < nc && cd[j] == d; j++) copied[ce[j]] = (uint32_t)(d + 1);
        for (size_t x = i; x < j; x++) {
            uint32_t r = ndpy_find(uf, ce[x]);
            if (r != ndpy_find(uf, (uint32_t)d) && copied[r] == d + 1) ndpy_union(uf, date, (uint32_t)d, r);
        }
        i = j;
        if (dupv[d] != UINT64_MAX && dupv[d] < n && simv[d] >= p.doc_threshold)
            ndpy_union(uf, date, (uint32_t)d, (uint32_t)dupv[d]);
    }
    for (size_t i = 0; i < ns; i++) { /* nd__same_pages */
        if (sd[i] >= n || se[i] >= n) {
            PyErr_SetString(PyExc_ValueError, "_stories: a page pair out of range");
            goto done;
        }
        ndpy_union(uf, date, sd[i], se[i]);
        if (dupv[sd[i]] == UINT64_MAX) {
            dupv[sd[i]] = se[i];
            simv[sd[i]] = contv[sd[i]] = ss[i];
        }
    }
    uint32_t *c = (uint32_t *)(void *)PyBytes_AS_STRING(cl);
    for (size_t d = 0; d < n; d++) c[d] = ndpy_find(uf, (uint32_t)d);
    out = PyTuple_Pack(4, cl, dup, sim, cont);
done:
    Py_XDECREF(cl);
    Py_XDECREF(dup);
    Py_XDECREF(sim);
    Py_XDECREF(cont);
    PyMem_Free(uf);
    PyMem_Free(copied);
    ndpy_release(&vs);
    return out;
}
