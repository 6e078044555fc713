/*
 * The records of the staged passes (docs/DISTRIBUTED.md, section 1, stage
 * 7): each partition writes its documents' lines of `neardup scan --json`
 * with the CLI's own writer (src/cli/report.c), from the verdicts the
 * passes gave and what it fetched about the documents and paragraphs they
 * name (ids; each boilerplate family's first paragraph: its signature,
 * document and index). A boilerplate paragraph's similarity is the one
 * with its family's first paragraph, as a collection labels it, kept as a
 * float as a collection keeps it.
 */
#include "ndpy.h"
#include <string.h>

/* A buffer of n values of `size` bytes; *ok cleared on failure. */
static const void *ndpy_buf(PyObject *obj, Py_buffer *v, size_t size, size_t *n, int *held, const char *what)
{
    if (ndpy_aligned_view(obj, v, size, what)) return NULL;
    (*held)++;
    *n = (size_t)v->len / size;
    return v->buf;
}

typedef struct ndpy_refs {
    const uint32_t *docs;   /* documents named, sorted */
    size_t ndocs;
    PyObject *ids;          /* their ids */
    const uint32_t *roots;  /* boilerplate families' first paragraphs held elsewhere, sorted */
    size_t nroots;
    const uint32_t *rsig, *rdoc, *rindex;
} ndpy_refs;

/* The id of document `doc`: the partition's own, or a fetched one. */
static int ndpy_id_of(PyObject *seq, uint64_t dfirst, size_t ndocs, const ndpy_refs *r, uint64_t doc, const char **id,
                      size_t *len)
{
    PyObject *b;
    if (doc >= dfirst && doc - dfirst < ndocs) {
        b = PyTuple_GET_ITEM(PySequence_Fast_GET_ITEM(seq, (Py_ssize_t)(doc - dfirst)), 0);
    } else {
        size_t x = doc > UINT32_MAX ? r->ndocs : ndpy_find_u32(r->docs, r->ndocs, (uint32_t)doc);
        if (x == r->ndocs) {
            PyErr_Format(PyExc_ValueError, "_staged_lines: the id of document %llu was not fetched",
                         (unsigned long long)doc);
            return -1;
        }
        b = PyList_GET_ITEM(r->ids, (Py_ssize_t)x);
    }
    if (!PyBytes_Check(b)) {
        PyErr_SetString(PyExc_TypeError, "_staged_lines: an id is not bytes");
        return -1;
    }
    *id = PyBytes_AS_STRING(b);
    *len = (size_t)PyBytes_GET_SIZE(b);
    return 0;
}

/* _staged_lines(signed, first_para, first_doc, fam, bp, dup_of, sim, cont,
 * cluster, site, pooled, ref_docs, ref_ids, roots, root_sigs, root_docs,
 * root_index, **options) -> (lines, ends): the partition's lines of
 * `neardup scan --json` and where each document's end. fam (uint32), bp
 * (uint8): per paragraph; dup_of (uint64), sim, cont (float64), cluster,
 * site (uint32), pooled (uint8): per document of the partition. */
PyObject *ndpy_staged_lines(PyObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *o[16], *out = NULL;
    unsigned long long pfirst, dfirst;
    if (!PyArg_ParseTuple(args, "OKKOOOOOOOOOO!OOOO:_staged_lines", &o[0], &pfirst, &dfirst, &o[1], &o[2], &o[3],
                          &o[4], &o[5], &o[6], &o[7], &o[8], &o[9], &PyList_Type, &o[10], &o[11], &o[12], &o[13],
                          &o[14]))
        return NULL;
    nd_params p;
    nd_params_init(&p, ND_PARAMS_VERSION);
    if (ndpy_params(kwargs, &p, NULL, NULL)) return NULL;
    nd_ctx *ctx = ndpy_ctx(PyModule_GetState(self), &p);
    if (!ctx) return NULL;
    const size_t k = p.num_perm;
    Py_buffer v[13];
    int held = 0;
    size_t nf = 0, nbp = 0, nd[7] = { 0 }, nrd = 0, nr = 0, nrs = 0, nrdoc = 0, nri = 0;
    const uint32_t *fam = ndpy_buf(o[1], &v[held], 4, &nf, &held, "fam");
    const unsigned char *bp = fam ? ndpy_buf(o[2], &v[held], 1, &nbp, &held, "bp") : NULL;
    const uint64_t *dup = bp ? ndpy_buf(o[3], &v[held], 8, &nd[0], &held, "dup_of") : NULL;
    const double *sim = dup ? ndpy_buf(o[4], &v[held], 8, &nd[1], &held, "sim") : NULL;
    const double *cont = sim ? ndpy_buf(o[5], &v[held], 8, &nd[2], &held, "cont") : NULL;
    const uint32_t *cluster = cont ? ndpy_buf(o[6], &v[held], 4, &nd[3], &held, "cluster") : NULL;
    const uint32_t *site = cluster ? ndpy_buf(o[7], &v[held], 4, &nd[4], &held, "site") : NULL;
    const unsigned char *pooled = site ? ndpy_buf(o[8], &v[held], 1, &nd[5], &held, "pooled") : NULL;
    ndpy_refs r = { NULL, 0, o[10], NULL, 0, NULL, NULL, NULL };
    r.docs = pooled ? ndpy_buf(o[9], &v[held], 4, &nrd, &held, "ref_docs") : NULL;
    r.roots = r.docs ? ndpy_buf(o[11], &v[held], 4, &nr, &held, "roots") : NULL;
    r.rsig = r.roots ? ndpy_buf(o[12], &v[held], 4, &nrs, &held, "root_sigs") : NULL;
    r.rdoc = r.rsig ? ndpy_buf(o[13], &v[held], 4, &nrdoc, &held, "root_docs") : NULL;
    r.rindex = r.rdoc ? ndpy_buf(o[14], &v[held], 4, &nri, &held, "root_index") : NULL;
    r.ndocs = nrd;
    r.nroots = nr;
    PyObject *seq = NULL;
    char *buf = NULL;
    size_t size = 0, *end = NULL;
    nd_para_sig **paras = NULL;
    size_t *count = NULL, *para0 = NULL, ndocs = 0, npara = 0;
    if (!r.rindex) goto done;
    seq = PySequence_Fast(o[0], "signed documents must be a list");
    if (!seq) goto done;
    ndocs = (size_t)PySequence_Fast_GET_SIZE(seq);
    paras = PyMem_Calloc(ndocs + 1, sizeof *paras);
    count = PyMem_Calloc(ndocs + 1, sizeof *count);
    end = PyMem_Calloc(ndocs + 1, sizeof *end);
    para0 = PyMem_Calloc(ndocs + 1, sizeof *para0);
    if (!paras || !count || !end || !para0) {
        PyErr_NoMemory();
        goto done;
    }
    for (size_t i = 0; i < ndocs; i++) {
        PyObject *id, *src, *date;
        if (ndpy_unpack_signed(k, PySequence_Fast_GET_ITEM(seq, (Py_ssize_t)i), (Py_ssize_t)i, &id, &src, &date,
                               &paras[i], &count[i]))
            goto done;
        para0[i] = npara;
        npara += count[i];
    }
    if (nf != npara || nbp != npara || nd[0] != ndocs || nd[1] != ndocs || nd[2] != ndocs || nd[3] != ndocs ||
        nd[4] != ndocs || nd[5] != ndocs || (size_t)PyList_GET_SIZE(r.ids) != nrd || nrs != nr * k ||
        nrdoc != nr || nri != nr) {
        PyErr_SetString(PyExc_ValueError, "_staged_lines: arrays of unequal lengths");
        goto done;
    }
    FILE *f = open_memstream(&buf, &size);
    if (!f) {
        PyErr_NoMemory();
        goto done;
    }
    for (size_t i = 0, g = 0; i < ndocs; i++) {
        PyObject *t = PySequence_Fast_GET_ITEM(seq, (Py_ssize_t)i);
        cli_doc d;
        cli_view view;
        memset(&d, 0, sizeof d);
        memset(&view, 0, sizeof view);
        d.id = PyBytes_AS_STRING(PyTuple_GET_ITEM(t, 0));
        d.id_len = (size_t)PyBytes_GET_SIZE(PyTuple_GET_ITEM(t, 0));
        d.source = PyBytes_AS_STRING(PyTuple_GET_ITEM(t, 1));
        d.source_len = (size_t)PyBytes_GET_SIZE(PyTuple_GET_ITEM(t, 1));
        view.paragraphs = count[i];
        for (size_t j = 0; j < count[i]; j++) {
            if (bp[g + j]) view.boilerplate++;
            else if (paras[i][j].kind == ND_KIND_REPEAT) view.repeats++;
        }
        int bad = 0;
        if (dup[i] != UINT64_MAX) {
            bad |= ndpy_id_of(seq, dfirst, ndocs, &r, dup[i], &view.dup_id, &view.dup_len);
            view.similarity = sim[i];
            view.containment = cont[i];
        }
        bad |= ndpy_id_of(seq, dfirst, ndocs, &r, cluster[i], &view.cl_id, &view.cl_len);
        view.has_site = 1;
        if (!pooled[i]) bad |= ndpy_id_of(seq, dfirst, ndocs, &r, site[i], &view.site_id, &view.site_len);
        if (bad) {
            fclose(f);
            goto done;
        }
        cli_report_doc(f, &d, &view);
        for (size_t j = 0; j < count[i]; j++, g++) {
            const nd_para_sig *q = &paras[i][j];
            nd_para_info pi = ND_PARA_INFO_INIT;
            pi.offset = q->offset;
            pi.length = q->length;
            pi.tokens = q->tokens;
            pi.shingles = q->shingles;
            pi.of_seq = ND_SEQ_NONE;
            const char *of_id = d.id;
            size_t of_len = d.id_len;
            if (bp[g]) { /* detect.c's nd__label */
                const uint32_t root = fam[g];
                const uint32_t *rs;
                uint64_t rdoc;
                size_t rindex;
                if (root >= pfirst && root - pfirst < npara) {
                    const size_t at = root - pfirst;
                    size_t lo = 0, hi = ndocs; /* the document holding it */
                    while (hi - lo > 1) {
                        size_t mid = lo + (hi - lo) / 2;
                        if (para0[mid] <= at) lo = mid;
                        else hi = mid;
                    }
                    rs = paras[lo][at - para0[lo]].signature;
                    rdoc = dfirst + lo;
                    rindex = at - para0[lo];
                } else {
                    size_t x = ndpy_find_u32(r.roots, r.nroots, root);
                    if (x == r.nroots) {
                        PyErr_Format(PyExc_ValueError, "_staged_lines: paragraph %u was not fetched", root);
                        fclose(f);
                        goto done;
                    }
                    rs = r.rsig + x * k;
                    rdoc = r.rdoc[x];
                    rindex = r.rindex[x];
                }
                pi.kind = ND_KIND_BOILERPLATE;
                pi.similarity = (float)nd_shard_para_similarity(ctx, q->signature, rs);
                pi.of_doc = (size_t)rdoc;
                pi.of = rindex;
                if (ndpy_id_of(seq, dfirst, ndocs, &r, rdoc, &of_id, &of_len)) {
                    fclose(f);
                    goto done;
                }
            } else {
                pi.kind = q->kind;
                pi.of_doc = (size_t)(dfirst + i);
                pi.of = q->of;
                pi.similarity = q->kind == ND_KIND_CONTENT ? 0.0 : (float)q->similarity;
            }
            cli_report_para(f, &d, j, &pi, of_id, of_len, NULL);
        }
        long at = ferror(f) ? -1 : ftell(f);
        if (at < 0) {
            fclose(f);
            PyErr_NoMemory();
            goto done;
        }
        end[i] = (size_t)at;
    }
    if (fclose(f)) {
        PyErr_NoMemory();
        goto done;
    }
    PyObject *ends = PyList_New((Py_ssize_t)ndocs);
    for (size_t i = 0; ends && i < ndocs; i++) {
        PyObject *e = PyLong_FromSize_t(end[i]);
        if (!e) Py_CLEAR(ends);
        else PyList_SET_ITEM(ends, (Py_ssize_t)i, e);
    }
    PyObject *lines = ends ? PyBytes_FromStringAndSize(buf ? buf : "", (Py_ssize_t)(buf ? size : 0)) : NULL;
    if (lines) out = PyTuple_Pack(2, lines, ends);
    Py_XDECREF(lines);
    Py_XDECREF(ends);
done:
    free(buf); /* open_memstream's, from malloc */
    for (size_t i = 0; paras && i < ndocs; i++) PyMem_Free(paras[i]);
    PyMem_Free(paras);
    PyMem_Free(count);
    PyMem_Free(para0);
    PyMem_Free(end);
    Py_XDECREF(seq);
    while (held > 0) PyBuffer_Release(&v[--held]);
    nd_ctx_free(ctx);
    return out;
}
