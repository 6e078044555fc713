/* Documents known by their signatures (neardup.dask): _sign analyzes
 * documents where they are (a worker's partition) and gives back what a
 * collection keeps of each; _judge adds those to one collection with
 * nd_corpus_add_signed() and gives scan's records. The text never travels.
 *
 * A signed document is a tuple (id: bytes, source: bytes, date: int or None,
 * paras: bytes). `paras` holds, per paragraph, an ndpy_packed_para, then
 * every paragraph's K signature values: native byte order, for workers of
 * one build (a worker and the judging task run the same package). */
#include "ndpy.h" /* Python.h first: it sets the feature macros (open_memstream) */
#include <string.h>

typedef struct ndpy_packed_para {
    uint64_t offset, length, kind, of, shingles, tokens;
    double similarity;
} ndpy_packed_para;

static PyObject *ndpy_sign_one(ndpy_state *st, nd_doc *doc, size_t k, const ndpy_doc *d)
{
    const char *text = PyBytes_AS_STRING(d->text);
    size_t len = (size_t)PyBytes_GET_SIZE(d->text);
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = nd_doc_analyze(doc, text, len);
    Py_END_ALLOW_THREADS
    if (rc) return ndpy_raise(st, rc, NULL);
    size_t n = nd_doc_count(doc), per = sizeof(ndpy_packed_para) + k * 4;
    PyObject *paras = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(n * per));
    if (!paras) return NULL;
    char *out = PyBytes_AS_STRING(paras);
    for (size_t j = 0; j < n; j++) {
        nd_para_info p = ND_PARA_INFO_INIT;
        ndpy_packed_para pk;
        nd_doc_para(doc, j, &p);
        pk.offset = p.offset;
        pk.length = p.length;
        pk.kind = (uint64_t)p.kind;
        pk.of = p.of;
        pk.shingles = p.shingles;
        pk.tokens = p.tokens;
        pk.similarity = p.similarity;
        memcpy(out + j * sizeof pk, &pk, sizeof pk);
        memcpy(out + n * sizeof pk + j * k * 4, nd_doc_para_signature(doc, j), k * 4);
    }
    PyObject *date = d->has_date ? PyLong_FromLongLong((long long)d->date) : Py_NewRef(Py_None);
    return Py_BuildValue("(OONN)", d->id, d->source, date, paras);
}

/* _sign(docs, **options) -> list of signed documents. */
PyObject *ndpy_sign_docs(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static const char *const extra[] = { "threads", NULL };
    ndpy_state *st = PyModule_GetState(self);
    PyObject *docs, *xv[1], *it, *item, *out;
    nd_doc *doc = NULL;
    nd_params p;
    nd_params_init(&p, ND_PARAMS_VERSION);
    if (!PyArg_ParseTuple(args, "O:_sign", &docs) || ndpy_params(kwargs, &p, extra, xv)) return NULL;
    nd_ctx *ctx = ndpy_ctx(st, &p);
    if (!ctx) return NULL;
    int rc = nd_doc_create(&doc, ctx);
    if (rc) ndpy_raise(st, rc, NULL);
    out = rc ? NULL : PyList_New(0);
    it = out ? PyObject_GetIter(docs) : NULL;
    for (Py_ssize_t i = 0; it && (item = PyIter_Next(it)) != NULL; i++) {
        ndpy_doc d;
        PyObject *signed_doc = NULL;
        if (ndpy_doc_from(item, i, &d) == 0) {
            signed_doc = ndpy_sign_one(st, doc, nd_ctx_num_perm(ctx), &d);
            ndpy_doc_clear(&d);
        }
        Py_DECREF(item);
        if (!signed_doc || PyList_Append(out, signed_doc)) {
            Py_XDECREF(signed_doc);
            break;
        }
        Py_DECREF(signed_doc);
    }
    Py_XDECREF(it);
    if (PyErr_Occurred()) Py_CLEAR(out);
    nd_doc_free(doc);
    nd_ctx_free(ctx);
    return out;
}

/* The paragraphs of signed document t, as the library takes them: *out
 * (PyMem_Free it) points into t's bytes, which t keeps alive. @return 0 or
 * -1 (exception). */
int ndpy_unpack_signed(size_t k, PyObject *t, Py_ssize_t index, PyObject **id, PyObject **src,
                              PyObject **date, nd_para_sig **out, size_t *count)
{
    PyObject *paras;
    if (!PyTuple_Check(t) || !PyArg_ParseTuple(t, "SSOS", id, src, date, &paras)) {
        PyErr_Format(PyExc_TypeError, "signed[%zd]: not a signed document (from neardup._sign)", index);
        return -1;
    }
    size_t per = sizeof(ndpy_packed_para) + k * 4, len = (size_t)PyBytes_GET_SIZE(paras);
    if (len % per) {
        PyErr_Format(PyExc_ValueError, "signed[%zd]: signatures of another num_perm than %zu", index, k);
        return -1;
    }
    size_t n = len / per;
    const char *in = PyBytes_AS_STRING(paras);
    nd_para_sig *v = PyMem_Malloc(n ? n * sizeof *v : 1);
    if (!v) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t j = 0; j < n; j++) {
        ndpy_packed_para pk;
        memcpy(&pk, in + j * sizeof pk, sizeof pk);
        v[j].offset = (size_t)pk.offset;
        v[j].length = (size_t)pk.length;
        v[j].kind = (nd_kind)pk.kind;
        v[j].of = (size_t)pk.of;
        v[j].shingles = (size_t)pk.shingles;
        v[j].tokens = (size_t)pk.tokens;
        v[j].similarity = pk.similarity;
        /* the values are 4-byte aligned: bytes data is aligned, 56 * n and 4 * k are multiples of 4 */
        v[j].signature = (const uint32_t *)(const void *)(in + n * sizeof pk + j * k * 4);
    }
    *out = v;
    *count = n;
    return 0;
}

/* Adds one signed document to c. @return 0 or -1 (exception). */
static int ndpy_add_signed(ndpy_state *st, nd_corpus *c, size_t k, PyObject *t, Py_ssize_t index)
{
    PyObject *id, *src, *date;
    nd_para_sig *v;
    size_t n, at = ND_NONE;
    if (ndpy_unpack_signed(k, t, index, &id, &src, &date, &v, &n)) return -1;
    int rc = nd_corpus_add_signed(c, PyBytes_AS_STRING(id), (size_t)PyBytes_GET_SIZE(id), PyBytes_AS_STRING(src),
                                  (size_t)PyBytes_GET_SIZE(src), v, n, NULL, &at);
    PyMem_Free(v);
    if (!rc && date != Py_None) {
        long long d = PyLong_AsLongLong(date);
        if (d == -1 && PyErr_Occurred()) return -1;
        rc = nd_corpus_set_date(c, at, (int64_t)d);
    }
    if (rc) ndpy_raise(st, rc, NULL);
    return rc ? -1 : 0;
}

/* The shard keys (nd_shard_doc_keys) of one signed document, as bytes of
 * native uint64 values. */
static PyObject *ndpy_keys_of(ndpy_state *st, const nd_ctx *ctx, PyObject *t, Py_ssize_t index)
{
    PyObject *id, *src, *date;
    nd_para_sig *v;
    size_t n, count = 0;
    if (ndpy_unpack_signed(nd_ctx_num_perm(ctx), t, index, &id, &src, &date, &v, &n)) return NULL;
    size_t cap = nd_shard_key_bound(ctx, n);
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(cap * sizeof(uint64_t)));
    int rc = ND_OK;
    if (out) {
        void *buf = PyBytes_AS_STRING(out);
        rc = nd_shard_doc_keys(ctx, PyBytes_AS_STRING(src), (size_t)PyBytes_GET_SIZE(src), v, n, buf, cap,
                               &count);
    }
    PyMem_Free(v);
    if (out && rc) {
        Py_CLEAR(out);
        ndpy_raise(st, rc, NULL);
    }
    if (out && count < cap && _PyBytes_Resize(&out, (Py_ssize_t)(count * sizeof(uint64_t)))) return NULL;
    return out;
}

/* _shard_keys(signed, **options) -> per signed document, its shard keys. */
PyObject *ndpy_shard_keys(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static const char *const extra[] = { "threads", NULL };
    ndpy_state *st = PyModule_GetState(self);
    PyObject *signed_docs, *xv[1], *it, *item, *out;
    nd_params p;
    nd_params_init(&p, ND_PARAMS_VERSION);
    if (!PyArg_ParseTuple(args, "O:_shard_keys", &signed_docs) || ndpy_params(kwargs, &p, extra, xv)) return NULL;
    nd_ctx *ctx = ndpy_ctx(st, &p);
    if (!ctx) return NULL;
    out = PyList_New(0);
    it = out ? PyObject_GetIter(signed_docs) : NULL;
    for (Py_ssize_t i = 0; it && (item = PyIter_Next(it)) != NULL; i++) {
        PyObject *keys = ndpy_keys_of(st, ctx, item, i);
        Py_DECREF(item);
        if (!keys || PyList_Append(out, keys)) {
            Py_XDECREF(keys);
            break;
        }
        Py_DECREF(keys);
    }
    Py_XDECREF(it);
    if (PyErr_Occurred()) Py_CLEAR(out);
    nd_ctx_free(ctx);
    return out;
}

/* The finished collection of the signed documents of args[0] (parsed with
 * fmt), options from kwargs. @return 0 (*c, *ctx to free) or -1 (exception). */
static int ndpy_judged(PyObject *self, PyObject *args, PyObject *kwargs, const char *fmt, nd_corpus **c,
                       nd_ctx **ctx)
{
    static const char *const extra[] = { "threads", NULL };
    ndpy_state *st = PyModule_GetState(self);
    PyObject *signed_docs, *xv[1], *it, *item;
    unsigned long long threads;
    nd_params p;
    nd_params_init(&p, ND_PARAMS_VERSION);
    *c = NULL;
    if (!PyArg_ParseTuple(args, fmt, &signed_docs) || ndpy_params(kwargs, &p, extra, xv) ||
        ndpy_unsigned(xv[0], "threads", 1024, 1, &threads))
        return -1;
    *ctx = ndpy_ctx(st, &p);
    if (!*ctx) return -1;
    int rc = nd_corpus_create(c, *ctx);
    if (!rc) rc = nd_corpus_set_threads(*c, threads ? (unsigned)threads : 1);
    if (rc) ndpy_raise(st, rc, NULL);
    it = rc ? NULL : PyObject_GetIter(signed_docs);
    for (Py_ssize_t i = 0; it && (item = PyIter_Next(it)) != NULL; i++) {
        int bad = ndpy_add_signed(st, *c, nd_ctx_num_perm(*ctx), item, i);
        Py_DECREF(item);
        if (bad) break;
    }
    Py_XDECREF(it);
    if (!PyErr_Occurred()) {
        Py_BEGIN_ALLOW_THREADS
        rc = nd_corpus_finish(*c);
        Py_END_ALLOW_THREADS
        if (rc) ndpy_raise(st, rc, NULL);
    }
    if (!PyErr_Occurred()) return 0;
    nd_corpus_free(*c);
    nd_ctx_free(*ctx);
    *c = NULL;
    *ctx = NULL;
    return -1;
}

/* _judge(signed, threads=1, **options) -> scan's records of the documents. */
PyObject *ndpy_judge(PyObject *self, PyObject *args, PyObject *kwargs)
{
    nd_corpus *c;
    nd_ctx *ctx;
    if (ndpy_judged(self, args, kwargs, "O:_judge", &c, &ctx)) return NULL;
    PyObject *out = PyList_New(0);
    for (size_t i = 0; out && i < nd_corpus_count(c); i++)
        if (ndpy_corpus_records(out, c, i, 1)) Py_CLEAR(out);
    nd_corpus_free(c);
    nd_ctx_free(ctx);
    return out;
}

/* _families_of(signed, **options) -> bytes of uint32: per paragraph of the
 * judged documents (numbered in input order), the first paragraph of its
 * family (nd_corpus_para_family): what the staged families must give. */
PyObject *ndpy_families_of(PyObject *self, PyObject *args, PyObject *kwargs)
{
    nd_corpus *c;
    nd_ctx *ctx;
    if (ndpy_judged(self, args, kwargs, "O:_families_of", &c, &ctx)) return NULL;
    size_t n = 0, *para0 = PyMem_Malloc((nd_corpus_count(c) + 1) * sizeof *para0);
    PyObject *out = NULL;
    if (!para0) {
        PyErr_NoMemory();
        goto done;
    }
    for (size_t i = 0; i < nd_corpus_count(c); i++) {
        nd_doc_info di = ND_DOC_INFO_INIT;
        nd_corpus_doc(c, i, &di);
        para0[i] = n;
        n += di.paragraphs;
    }
    out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(n * 4));
    for (size_t i = 0, g = 0; out && i < nd_corpus_count(c); i++) {
        nd_doc_info di = ND_DOC_INFO_INIT;
        nd_corpus_doc(c, i, &di);
        for (size_t j = 0; j < di.paragraphs; j++, g++) {
            size_t d, q;
            int rc = nd_corpus_para_family(c, i, j, &d, &q);
            if (rc) {
                Py_CLEAR(out);
                ndpy_raise(PyModule_GetState(self), rc, NULL);
                break;
            }
            uint32_t v = (uint32_t)(para0[d] + q);
            memcpy(PyBytes_AS_STRING(out) + g * 4, &v, 4);
        }
    }
done:
    PyMem_Free(para0);
    nd_corpus_free(c);
    nd_ctx_free(ctx);
    return out;
}

/* _sites_of(signed, **options) -> bytes of uint32: per judged document, the
 * first document of its site (nd_doc_info.site), 2^32 - 1 for a pooled one:
 * what the staged sites must give. */
PyObject *ndpy_sites_of(PyObject *self, PyObject *args, PyObject *kwargs)
{
    nd_corpus *c;
    nd_ctx *ctx;
    if (ndpy_judged(self, args, kwargs, "O:_sites_of", &c, &ctx)) return NULL;
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(nd_corpus_count(c) * 4));
    for (size_t i = 0; out && i < nd_corpus_count(c); i++) {
        nd_doc_info di = ND_DOC_INFO_INIT;
        nd_corpus_doc(c, i, &di);
        uint32_t v = di.site == ND_NONE ? UINT32_MAX : (uint32_t)di.site;
        memcpy(PyBytes_AS_STRING(out) + i * 4, &v, 4);
    }
    nd_corpus_free(c);
    nd_ctx_free(ctx);
    return out;
}

/* _docs_of(signed, **options) -> (dup_of, sim, cont, cluster, repeats,
 * boilerplate): per judged document its nd_doc_info fields (uint64 with
 * 2^64-1 for none, float64, float64, uint32, uint32, uint32): what the
 * staged passes must give. */
PyObject *ndpy_docs_of(PyObject *self, PyObject *args, PyObject *kwargs)
{
    nd_corpus *c;
    nd_ctx *ctx;
    if (ndpy_judged(self, args, kwargs, "O:_docs_of", &c, &ctx)) return NULL;
    const size_t n = nd_corpus_count(c);
    PyObject *v[6] = { PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(n * 8)),
                       PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(n * 8)),
                       PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(n * 8)),
                       PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(n * 4)),
                       PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(n * 4)),
                       PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(n * 4)) };
    PyObject *out = NULL;
    if (v[0] && v[1] && v[2] && v[3] && v[4] && v[5]) {
        for (size_t i = 0; i < n; i++) {
            nd_doc_info di = ND_DOC_INFO_INIT;
            nd_corpus_doc(c, i, &di);
            uint64_t dup = di.duplicate_of == ND_NONE ? UINT64_MAX : (uint64_t)di.duplicate_of;
            uint32_t cl = (uint32_t)di.cluster, rep = (uint32_t)di.repeats, bp = (uint32_t)di.boilerplate;
            memcpy(PyBytes_AS_STRING(v[0]) + i * 8, &dup, 8);
            memcpy(PyBytes_AS_STRING(v[1]) + i * 8, &di.similarity, 8);
            memcpy(PyBytes_AS_STRING(v[2]) + i * 8, &di.containment, 8);
            memcpy(PyBytes_AS_STRING(v[3]) + i * 4, &cl, 4);
            memcpy(PyBytes_AS_STRING(v[4]) + i * 4, &rep, 4);
            memcpy(PyBytes_AS_STRING(v[5]) + i * 4, &bp, 4);
        }
        out = PyTuple_Pack(6, v[0], v[1], v[2], v[3], v[4], v[5]);
    }
    for (int i = 0; i < 6; i++) Py_XDECREF(v[i]);
    nd_corpus_free(c);
    nd_ctx_free(ctx);
    return out;
}

/* Writes document i's lines of `scan --json` to f, by the CLI's writer. */
static void ndpy_write_lines(FILE *f, const nd_corpus *c, size_t i)
{
    cli_doc d;
    cli_view v;
    memset(&d, 0, sizeof d);
    nd_corpus_doc_id(c, i, &d.id, &d.id_len);
    nd_corpus_doc_source(c, i, &d.source, &d.source_len);
    cli_view_of_corpus(c, i, &v);
    v.has_site = 1;
    cli_report_doc(f, &d, &v);
    for (size_t j = 0; j < v.paragraphs; j++) {
        nd_para_info p = ND_PARA_INFO_INIT;
        const char *of_id = "";
        size_t of_len = 0;
        cli_para_of_corpus(c, i, j, &p, &of_id, &of_len);
        cli_report_para(f, &d, j, &p, of_id, of_len, NULL);
    }
}

/* _judge_lines(signed, threads=1, **options) -> (lines, ends): the lines of
 * `neardup scan --json` for the documents, written by the CLI's own writer
 * (src/cli/report.c) into one bytes with the GIL released, and where each
 * document's lines end in it. Record dicts cost more than the judgement:
 * on news, judging with records took 2.02 s and Python's formatting of
 * them 3.90 s more, against 1.39 s for this whole call. */
PyObject *ndpy_judge_lines(PyObject *self, PyObject *args, PyObject *kwargs)
{
    nd_corpus *c;
    nd_ctx *ctx;
    if (ndpy_judged(self, args, kwargs, "O:_judge_lines", &c, &ctx)) return NULL;
    const size_t n = nd_corpus_count(c);
    size_t *end = PyMem_Malloc((n ? n : 1) * sizeof *end), size = 0;
    char *buf = NULL;
    int failed = !end;
    if (end) {
        Py_BEGIN_ALLOW_THREADS
        FILE *f = open_memstream(&buf, &size);
        for (size_t i = 0; f && i < n && !failed; i++) {
            ndpy_write_lines(f, c, i);
            long at = ferror(f) ? -1 : ftell(f);
            failed = at < 0;
            end[i] = (size_t)at;
        }
        if (!f || fclose(f)) failed = 1;
        Py_END_ALLOW_THREADS
    }
    PyObject *ends = failed ? NULL : PyList_New((Py_ssize_t)n), *out = NULL;
    for (size_t i = 0; ends && i < n; i++) {
        PyObject *e = PyLong_FromSize_t(end[i]);
        if (!e) Py_CLEAR(ends);
        else PyList_SET_ITEM(ends, (Py_ssize_t)i, e);
    }
    if (failed) PyErr_NoMemory();
    if (ends) {
        PyObject *lines = PyBytes_FromStringAndSize(buf ? buf : "", (Py_ssize_t)(buf ? size : 0));
        out = lines ? PyTuple_Pack(2, lines, ends) : NULL;
        Py_XDECREF(lines);
    }
    free(buf); /* open_memstream's, from malloc */
    Py_XDECREF(ends);
    PyMem_Free(end);
    nd_corpus_free(c);
    nd_ctx_free(ctx);
    return out;
}
