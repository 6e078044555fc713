/* neardup._neardup: errors, options, scan, clean, signatures; module setup. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ndpy.h"

ndpy_state *ndpy_state_of_type(PyTypeObject *t)
{
    PyObject *m = PyType_GetModuleByDef(t, &ndpy_module);
    return m ? PyModule_GetState(m) : NULL;
}

PyObject *ndpy_raise(ndpy_state *st, int code, const char *message)
{
    const char *msg = message && *message ? message : nd_strerror(code);
    PyObject *e = PyObject_CallFunction(st->error, "s", msg);
    if (!e) return NULL;
    PyObject *c = PyLong_FromLong(code);
    if (c && PyObject_SetAttrString(e, "code", c) == 0) PyErr_SetObject(st->error, e);
    Py_XDECREF(c);
    Py_DECREF(e);
    return NULL;
}

/* ---- options ------------------------------------------------------------ */

enum { OPT_UINT, OPT_U64, OPT_DOUBLE, OPT_SCOPE, OPT_SEG };

/* The CLI's long options (args.c), '-' written '_'. */
static const struct ndpy_opt {
    const char *name;
    int kind;
    size_t off;
} ndpy_opts[] = {
    { "shingle_size", OPT_UINT, offsetof(nd_params, shingle_size) },
    { "num_perm", OPT_UINT, offsetof(nd_params, num_perm) },
    { "seed", OPT_U64, offsetof(nd_params, seed) },
    { "sig_bits", OPT_UINT, offsetof(nd_params, sig_bits) },
    { "paragraphs", OPT_SEG, offsetof(nd_params, seg_mode) },
    { "threshold", OPT_DOUBLE, offsetof(nd_params, repeat_threshold) },
    { "doc_threshold", OPT_DOUBLE, offsetof(nd_params, doc_threshold) },
    { "containment", OPT_DOUBLE, offsetof(nd_params, containment_threshold) },
    { "min_contained", OPT_UINT, offsetof(nd_params, min_contained) },
    { "min_stories", OPT_UINT, offsetof(nd_params, min_stories) },
    { "scope", OPT_SCOPE, offsetof(nd_params, boilerplate_scope) },
    { "bands", OPT_UINT, offsetof(nd_params, lsh_bands) },
    { "rows", OPT_UINT, offsetof(nd_params, lsh_rows) },
};

int ndpy_unsigned(PyObject *v, const char *name, unsigned long long max, unsigned long long dflt,
                  unsigned long long *out)
{
    if (!v || v == Py_None) {
        *out = dflt;
        return 0;
    }
    if (!PyLong_Check(v) || PyBool_Check(v)) {
        PyErr_Format(PyExc_TypeError, "%s: must be an int, not %.80s", name, Py_TYPE(v)->tp_name);
        return -1;
    }
    int overflow;
    long long s = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (s == -1 && PyErr_Occurred()) return -1;
    unsigned long long u = (unsigned long long)s;
    if (overflow > 0) {
        u = PyLong_AsUnsignedLongLong(v);
        if (PyErr_Occurred()) PyErr_Clear(), overflow = -1;
    }
    if (overflow < 0 || s < 0 || u > max) {
        PyErr_Format(PyExc_ValueError, "%s: must be in 0..%llu", name, max);
        return -1;
    }
    *out = u;
    return 0;
}

/* A named choice among two or three strings. @return the index, or -1. */
static int ndpy_choice(PyObject *v, const char *name, const char *const *choices)
{
    const char *s = PyUnicode_Check(v) ? PyUnicode_AsUTF8(v) : NULL;
    for (int i = 0; s && choices[i]; i++)
        if (!strcmp(s, choices[i])) return i;
    PyErr_Clear();
    PyErr_Format(PyExc_ValueError, "%s: must be one of '%s', '%s'%s%s%s (got %R)", name, choices[0],
                 choices[1], choices[2] ? ", '" : "", choices[2] ? choices[2] : "", choices[2] ? "'" : "", v);
    return -1;
}

static int ndpy_param(nd_params *p, const struct ndpy_opt *o, PyObject *v)
{
    static const char *const scopes[] = { "source", "all", NULL };
    static const char *const segs[] = { "auto", "lines", "blocks", NULL };
    char *field = (char *)p + o->off;
    unsigned long long u;
    int c;
    if (v == Py_None) return 0; /* None: the default (or the store's) */
    switch (o->kind) {
    case OPT_UINT:
        if (ndpy_unsigned(v, o->name, 1000000, 0, &u)) return -1;
        *(unsigned *)(void *)field = (unsigned)u;
        return 0;
    case OPT_U64:
        if (ndpy_unsigned(v, o->name, UINT64_MAX, 0, &u)) return -1;
        *(uint64_t *)(void *)field = u;
        return 0;
    case OPT_DOUBLE: {
        double d = PyBool_Check(v) || !(PyFloat_Check(v) || PyLong_Check(v)) ? -1.0 : PyFloat_AsDouble(v);
        if (d == -1.0 && PyErr_Occurred()) return -1;
        if (d < 0) {
            PyErr_Format(PyExc_TypeError, "%s: must be a non-negative number (got %R)", o->name, v);
            return -1;
        }
        *(double *)(void *)field = d;
        return 0;
    }
    case OPT_SCOPE:
        if ((c = ndpy_choice(v, o->name, scopes)) < 0) return -1;
        *(nd_scope *)(void *)field = c ? ND_SCOPE_ALL : ND_SCOPE_SOURCE;
        return 0;
    default:
        if ((c = ndpy_choice(v, o->name, segs)) < 0) return -1;
        *(nd_seg_mode *)(void *)field = c == 0 ? ND_SEG_AUTO : c == 1 ? ND_SEG_LINES : ND_SEG_BLOCKS;
        return 0;
    }
}

int ndpy_params(PyObject *kwargs, nd_params *p, const char *const *extra, PyObject **extra_out)
{
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    for (size_t i = 0; extra && extra[i]; i++) extra_out[i] = NULL;
    while (kwargs && PyDict_Next(kwargs, &pos, &key, &value)) {
        const char *name = PyUnicode_AsUTF8(key);
        size_t i;
        if (!name) return -1;
        for (i = 0; i < sizeof ndpy_opts / sizeof ndpy_opts[0]; i++)
            if (!strcmp(name, ndpy_opts[i].name)) break;
        if (i < sizeof ndpy_opts / sizeof ndpy_opts[0]) {
            if (ndpy_param(p, &ndpy_opts[i], value)) return -1;
            continue;
        }
        for (i = 0; extra && extra[i] && strcmp(name, extra[i]); i++) {}
        if (!extra || !extra[i]) {
            PyErr_Format(PyExc_TypeError, "unknown option '%s'", name);
            return -1;
        }
        extra_out[i] = value;
    }
    return 0;
}

nd_ctx *ndpy_ctx(ndpy_state *st, const nd_params *p)
{
    char msg[200];
    nd_ctx *ctx = NULL;
    int rc = nd_ctx_create2(&ctx, p, NULL, msg, sizeof msg);
    if (rc) ndpy_raise(st, rc, msg);
    return ctx;
}

int ndpy_corpus_add(ndpy_state *st, nd_corpus *c, nd_doc *doc, const ndpy_doc *d)
{
    const char *text = PyBytes_AS_STRING(d->text);
    size_t len = (size_t)PyBytes_GET_SIZE(d->text), at = ND_NONE;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = nd_doc_analyze(doc, text, len);
    Py_END_ALLOW_THREADS
    if (!rc)
        rc = nd_corpus_add(c, doc, PyBytes_AS_STRING(d->id), (size_t)PyBytes_GET_SIZE(d->id),
                           PyBytes_AS_STRING(d->source), (size_t)PyBytes_GET_SIZE(d->source), &at);
    if (!rc && d->has_date) rc = nd_corpus_set_date(c, at, d->date);
    if (!rc) return 0;
    PyObject *msg = PyUnicode_FromFormat("%s: %s", PyBytes_AS_STRING(d->id), nd_strerror(rc));
    ndpy_raise(st, rc, msg ? PyUnicode_AsUTF8(msg) : NULL);
    Py_XDECREF(msg);
    return -1;
}

/* ---- a batch judged as a collection ------------------------------------- */

/* What scan and clean share: a context, a document handle and a collection
 * with the options of kwargs. */
typedef struct ndpy_batch {
    nd_ctx *ctx;
    nd_doc *doc;
    nd_corpus *corpus;
} ndpy_batch;

static void ndpy_batch_free(ndpy_batch *b)
{
    nd_corpus_free(b->corpus);
    nd_doc_free(b->doc);
    nd_ctx_free(b->ctx);
}

static int ndpy_batch_open(ndpy_state *st, ndpy_batch *b, PyObject *kwargs, const char *const *extra,
                           PyObject **extra_out)
{
    static const char *const threads_only[] = { "threads", NULL };
    PyObject *own[4] = { NULL };
    nd_params p;
    unsigned long long threads;
    memset(b, 0, sizeof *b);
    nd_params_init(&p, ND_PARAMS_VERSION);
    if (!extra) extra = threads_only, extra_out = own;
    if (ndpy_params(kwargs, &p, extra, extra_out)) return -1;
    if (ndpy_unsigned(extra_out[0], "threads", 1024, 1, &threads)) return -1;
    if (!(b->ctx = ndpy_ctx(st, &p))) return -1;
    int rc = nd_doc_create(&b->doc, b->ctx);
    if (!rc) rc = nd_corpus_create(&b->corpus, b->ctx);
    if (!rc) rc = nd_corpus_set_threads(b->corpus, threads ? (unsigned)threads : 1);
    if (!rc) return 0;
    ndpy_raise(st, rc, NULL);
    ndpy_batch_free(b);
    return -1;
}

static int ndpy_batch_finish(ndpy_state *st, ndpy_batch *b)
{
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = nd_corpus_finish(b->corpus);
    Py_END_ALLOW_THREADS
    if (rc) ndpy_raise(st, rc, NULL);
    return rc ? -1 : 0;
}

/* scan(docs, **options) -> list of records. Documents are read one at a
 * time: the collection keeps their signatures and spans, never the text. */
static PyObject *ndpy_scan(PyObject *self, PyObject *args, PyObject *kwargs)
{
    ndpy_state *st = PyModule_GetState(self);
    PyObject *docs, *it, *item, *out = NULL;
    ndpy_batch b;
    if (!PyArg_ParseTuple(args, "O:scan", &docs) || ndpy_batch_open(st, &b, kwargs, NULL, NULL)) return NULL;
    Py_ssize_t n = 0;
    cli_ids ids;
    memset(&ids, 0, sizeof ids);
    if ((it = PyObject_GetIter(docs)) != NULL) {
        while ((item = PyIter_Next(it)) != NULL) {
            ndpy_doc d;
            int rc = ndpy_doc_from(item, n, &d);
            Py_DECREF(item);
            if (rc == 0 && (rc = ndpy_doc_unique(&ids, &d, n)) == 0)
                rc = ndpy_corpus_add(st, b.corpus, b.doc, &d);
            ndpy_doc_clear(&d);
            n++;
            if (rc) break;
        }
        Py_DECREF(it);
    }
    cli_ids_free(&ids);
    if (!PyErr_Occurred() && ndpy_batch_finish(st, &b) == 0 && (out = PyList_New(0)) != NULL) {
        for (size_t i = 0; i < nd_corpus_count(b.corpus); i++)
            if (ndpy_corpus_records(out, b.corpus, i, 1)) {
                Py_CLEAR(out);
                break;
            }
    }
    ndpy_batch_free(&b);
    return out;
}

/* The text of document i without its removed paragraphs; a removed
 * paragraph takes its line terminator (\n or \r\n) with it, as the CLI's
 * clean does. */
static PyObject *ndpy_clean_text(const nd_corpus *c, size_t i, const ndpy_doc *d, int keep_rep,
                                 int keep_bp)
{
    const char *t = PyBytes_AS_STRING(d->text);
    size_t n = (size_t)PyBytes_GET_SIZE(d->text), from = 0, len = 0;
    nd_doc_info info = ND_DOC_INFO_INIT;
    char *buf = PyMem_Malloc(n ? n : 1);
    if (!buf) return PyErr_NoMemory();
    nd_corpus_doc(c, i, &info);
    for (size_t j = 0; j < info.paragraphs; j++) {
        nd_para_info p = ND_PARA_INFO_INIT;
        nd_corpus_para(c, i, j, &p);
        if (!((p.kind == ND_KIND_REPEAT && !keep_rep) || (p.kind == ND_KIND_BOILERPLATE && !keep_bp)))
            continue;
        size_t end = p.offset + p.length;
        if (end + 1 < n && t[end] == '\r' && t[end + 1] == '\n') end += 2;
        else if (end < n && t[end] == '\n') end += 1;
        memcpy(buf + len, t + from, p.offset - from);
        len += p.offset - from;
        from = end;
    }
    memcpy(buf + len, t + from, n - from);
    len += n - from;
    PyObject *r = d->text_was_str ? ndpy_str(buf, len) : PyBytes_FromStringAndSize(buf, (Py_ssize_t)len);
    PyMem_Free(buf);
    return r;
}

/* clean(docs, keep_repeats=False, keep_boilerplate=False, **options) ->
 * list of texts (str, or bytes for bytes given). */
static PyObject *ndpy_clean(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static const char *const extra[] = { "threads", "keep_repeats", "keep_boilerplate", NULL };
    ndpy_state *st = PyModule_GetState(self);
    PyObject *docs, *xv[3], *out = NULL;
    ndpy_docs all;
    ndpy_batch b;
    if (!PyArg_ParseTuple(args, "O:clean", &docs) || ndpy_batch_open(st, &b, kwargs, extra, xv)) return NULL;
    int keep_rep = xv[1] ? PyObject_IsTrue(xv[1]) : 0, keep_bp = xv[2] ? PyObject_IsTrue(xv[2]) : 0;
    if (keep_rep < 0 || keep_bp < 0 || ndpy_docs_collect(docs, &all)) {
        ndpy_batch_free(&b);
        return NULL;
    }
    size_t i;
    for (i = 0; i < all.n; i++)
        if (ndpy_corpus_add(st, b.corpus, b.doc, &all.v[i])) break;
    if (i == all.n && ndpy_batch_finish(st, &b) == 0 && (out = PyList_New((Py_ssize_t)all.n)) != NULL) {
        for (i = 0; i < all.n; i++) {
            PyObject *t = ndpy_clean_text(b.corpus, i, &all.v[i], keep_rep, keep_bp);
            if (!t) {
                Py_CLEAR(out);
                break;
            }
            PyList_SET_ITEM(out, (Py_ssize_t)i, t);
        }
    }
    ndpy_docs_clear(&all);
    ndpy_batch_free(&b);
    return out;
}

/* _signature(text, **options) -> bytes of K native uint32 values. */
static PyObject *ndpy_signature(PyObject *self, PyObject *args, PyObject *kwargs)
{
    ndpy_state *st = PyModule_GetState(self);
    PyObject *text, *tb, *out = NULL;
    nd_params p;
    nd_params_init(&p, ND_PARAMS_VERSION);
    if (!PyArg_ParseTuple(args, "O:signature", &text) || ndpy_params(kwargs, &p, NULL, NULL)) return NULL;
    if (PyUnicode_Check(text)) {
        tb = PyUnicode_AsEncodedString(text, "utf-8", "surrogatepass");
    } else if (PyBytes_Check(text)) {
        tb = text;
        Py_INCREF(tb);
    } else {
        return PyErr_Format(PyExc_TypeError, "text must be str or bytes, not %.80s", Py_TYPE(text)->tp_name);
    }
    nd_ctx *ctx = tb ? ndpy_ctx(st, &p) : NULL;
    if (ctx) {
        size_t k = nd_ctx_num_perm(ctx);
        out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(k * sizeof(uint32_t)));
        if (out) {
            uint32_t *sig = (uint32_t *)(void *)PyBytes_AS_STRING(out);
            const char *s = PyBytes_AS_STRING(tb);
            size_t n = (size_t)PyBytes_GET_SIZE(tb);
            int rc;
            Py_BEGIN_ALLOW_THREADS
            rc = nd_sign_text(ctx, s, n, sig, k);
            Py_END_ALLOW_THREADS
            if (rc) {
                Py_CLEAR(out);
                ndpy_raise(st, rc, NULL);
            }
        }
        nd_ctx_free(ctx);
    }
    Py_XDECREF(tb);
    return out;
}

/* A signature as uint32 values from any buffer of 4-byte unsigned integers
 * (array('I'), a NumPy uint32 array) or of bytes. @return a PyMem block of
 * *k values, or NULL (exception). */
static uint32_t *ndpy_values(PyObject *o, const char *name, size_t *k)
{
    Py_buffer b;
    if (PyObject_GetBuffer(o, &b, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0) return NULL;
    const char *f = b.format ? b.format : "B";
    char last = f[0] ? f[strlen(f) - 1] : 'B';
    uint32_t *v = NULL;
    int ok = (b.itemsize == 4 && strchr("IL", last)) || (b.itemsize == 1 && strchr("Bbc", last));
    if (!ok || b.len % 4) {
        PyErr_Format(PyExc_ValueError, "%s: expected uint32 values (or their bytes), got format '%s' of %zd bytes",
                     name, f, b.len);
    } else if ((v = PyMem_Malloc(b.len ? (size_t)b.len : 1)) == NULL) {
        PyErr_NoMemory();
    } else {
        memcpy(v, b.buf, (size_t)b.len);
        *k = (size_t)b.len / 4;
    }
    PyBuffer_Release(&b);
    return v;
}

static PyObject *ndpy_similarity(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kw[] = { "a", "b", "sig_bits", NULL };
    PyObject *a, *b;
    unsigned bits = 32;
    size_t ka = 0, kb = 0;
    (void)self;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|I:similarity", kw, &a, &b, &bits)) return NULL;
    if (bits != 8 && bits != 16 && bits != 32)
        return PyErr_Format(PyExc_ValueError, "sig_bits: must be 8, 16 or 32 (got %u)", bits);
    uint32_t *va = ndpy_values(a, "a", &ka), *vb = va ? ndpy_values(b, "b", &kb) : NULL;
    PyObject *r = NULL;
    if (vb && ka != kb)
        PyErr_Format(PyExc_ValueError, "signatures of %zu and %zu values cannot be compared", ka, kb);
    else if (vb)
        r = PyFloat_FromDouble(nd_signature_similarity_bits(va, vb, ka, bits));
    PyMem_Free(va);
    PyMem_Free(vb);
    return r;
}

/* ---- module ------------------------------------------------------------- */

static PyMethodDef ndpy_methods[] = {
    { "scan", (PyCFunction)(void (*)(void))ndpy_scan, METH_VARARGS | METH_KEYWORDS,
      "scan(docs, **options) -> list of records (neardup scan --json)" },
    { "clean", (PyCFunction)(void (*)(void))ndpy_clean, METH_VARARGS | METH_KEYWORDS,
      "clean(docs, keep_repeats=False, keep_boilerplate=False, **options) -> list of texts" },
    { "_signature", (PyCFunction)(void (*)(void))ndpy_signature, METH_VARARGS | METH_KEYWORDS,
      "_signature(text, **options) -> bytes of native uint32 values" },
    { "similarity", (PyCFunction)(void (*)(void))ndpy_similarity, METH_VARARGS | METH_KEYWORDS,
      "similarity(a, b, sig_bits=32) -> estimated Jaccard similarity" },
    { "merge", (PyCFunction)(void (*)(void))ndpy_merge, METH_VARARGS | METH_KEYWORDS,
      "merge(out, stores, force=False) -> documents written to the new store out (neardup merge)" },
    { "prune", (PyCFunction)(void (*)(void))ndpy_prune, METH_VARARGS | METH_KEYWORDS,
      "prune(path, before=None, keep=None) -> (kept, documents before) (neardup prune)" },
    { "_sign", (PyCFunction)(void (*)(void))ndpy_sign_docs, METH_VARARGS | METH_KEYWORDS,
      "_sign(docs, **options) -> list of signed documents (id, source, date, paragraphs)" },
    { "_judge", (PyCFunction)(void (*)(void))ndpy_judge, METH_VARARGS | METH_KEYWORDS,
      "_judge(signed, **options) -> scan's records of the signed documents" },
    { "_judge_lines", (PyCFunction)(void (*)(void))ndpy_judge_lines, METH_VARARGS | METH_KEYWORDS,
      "_judge_lines(signed, **options) -> (lines, ends): scan --json's lines of the signed documents, "
      "and where each document's lines end" },
    { "_unique_ids", (PyCFunction)ndpy_unique_ids, METH_O,
      "_unique_ids(ids) -> [(index, new id, first holder's index, first holder renamed)] (the CLI's rule)" },
    { "_jsonl_block", (PyCFunction)ndpy_jsonl_block, METH_VARARGS,
      "_jsonl_block(data, input, path, first_line) -> (docs, messages, errors): JSONL lines by the CLI's rules" },
    { "_shard_keys", (PyCFunction)(void (*)(void))ndpy_shard_keys, METH_VARARGS | METH_KEYWORDS,
      "_shard_keys(signed, **options) -> per signed document, its LSH buckets (bytes of uint64)" },
    { "_split_pairs", (PyCFunction)ndpy_split_pairs, METH_VARARGS,
      "_split_pairs(keys, first, shards, kinds) -> per bucket range (buckets, documents): bytes of uint64 "
      "and of uint32" },
    { "_links", (PyCFunction)ndpy_links, METH_O,
      "_links(pairs) -> bytes of the sorted unique links (first << 32 | doc) of one range's pairs" },
    { "_para_count", (PyCFunction)(void (*)(void))ndpy_para_count, METH_VARARGS | METH_KEYWORDS,
      "_para_count(signed, **options) -> the paragraphs of the signed documents" },
    { "_para_keys", (PyCFunction)(void (*)(void))ndpy_para_keys, METH_VARARGS | METH_KEYWORDS,
      "_para_keys(signed, first, ranges, kinds, **options) -> per bucket range (buckets, paragraphs)" },
    { "_chain_candidates", (PyCFunction)ndpy_chain_candidates, METH_O,
      "_chain_candidates(pieces) -> (g, r, order): one range's chain candidates" },
    { "_para_sigs", (PyCFunction)(void (*)(void))ndpy_para_sigs, METH_VARARGS | METH_KEYWORDS,
      "_para_sigs(signed, first, wanted, **options) -> (signatures, sources) of the wanted paragraphs" },
    { "_family_links", (PyCFunction)(void (*)(void))ndpy_family_links, METH_VARARGS | METH_KEYWORDS,
      "_family_links(signed, first, cand_g, cand_r, fetched_paras, fetched_sigs, fetched_sources, **options) "
      "-> per paragraph, the paragraph whose family it joins" },
    { "_chain_limits", (PyCFunction)ndpy_chain_limits, METH_NOARGS,
      "_chain_limits() -> (steps, verify) of a chain walk (nd_shard_chain_limits)" },
    { "_trim", (PyCFunction)ndpy_trim, METH_NOARGS, "_trim() -> None: the C heap's free pages back to the system" },
    { "_chase", (PyCFunction)ndpy_chase, METH_O, "_chase(links) -> per paragraph, its family's first paragraph" },
    { "_families_of", (PyCFunction)(void (*)(void))ndpy_families_of, METH_VARARGS | METH_KEYWORDS,
      "_families_of(signed, **options) -> per paragraph of the judged documents, its family's first paragraph" },
    { "_site_edges", (PyCFunction)(void (*)(void))ndpy_site_edges, METH_VARARGS | METH_KEYWORDS,
      "_site_edges(signed, first_doc, fam, ranges, **options) -> per family range, the pages' edge records" },
    { "_site_peers", (PyCFunction)ndpy_site_peers, METH_O,
      "_site_peers(pieces) -> one range's (d << 33 | e << 1 | end) peer records" },
    { "_page_seqs", (PyCFunction)(void (*)(void))ndpy_page_seqs, METH_VARARGS | METH_KEYWORDS,
      "_page_seqs(signed, first_doc, fam, wanted, **options) -> the wanted pages' family sequences" },
    { "_site_links", (PyCFunction)(void (*)(void))ndpy_site_links, METH_VARARGS | METH_KEYWORDS,
      "_site_links(signed, first_doc, fam, cand_d, cand_e, fetched_docs, fetched, **options) -> the pairs that "
      "are one site" },
    { "_settings", (PyCFunction)(void (*)(void))ndpy_settings, METH_VARARGS | METH_KEYWORDS,
      "_settings(**options) -> the parameters the staged passes read" },
    { "_site_limits", (PyCFunction)ndpy_site_limits, METH_NOARGS,
      "_site_limits() -> (edge, peers, match) of site inference (nd_shard_site_limits)" },
    { "_copy_prep", (PyCFunction)(void (*)(void))ndpy_copy_prep, METH_VARARGS | METH_KEYWORDS,
      "_copy_prep(signed, bp, **options) -> a pass's state of the partition" },
    { "_page_sigs", (PyCFunction)(void (*)(void))ndpy_page_sigs, METH_VARARGS | METH_KEYWORDS,
      "_page_sigs(signed, first_doc, wanted, **options) -> page signatures" },
    { "_same_pages", (PyCFunction)(void (*)(void))ndpy_same_pages, METH_VARARGS | METH_KEYWORDS,
      "_same_pages(signed, first_doc, d, e, fetched_docs, fetched_sigs, **options) -> (keep, sim)" },
    { "_para_info", (PyCFunction)(void (*)(void))ndpy_para_info, METH_VARARGS | METH_KEYWORDS,
      "_para_info(signed, first_para, first_doc, wanted, counting, **options) -> (sigs, shingles, docs, counting)" },
    { "_copy_touches", (PyCFunction)(void (*)(void))ndpy_copy_touches, METH_VARARGS | METH_KEYWORDS,
      "_copy_touches(signed, first_para, first_doc, counting, g, r, fetched_paras, fetched_info, **options) -> touches" },
    { "_doc_contents", (PyCFunction)(void (*)(void))ndpy_doc_contents, METH_VARARGS | METH_KEYWORDS,
      "_doc_contents(prep, first_doc, wanted, **options) -> (content, content_shingles)" },
    { "_doc_paras", (PyCFunction)(void (*)(void))ndpy_doc_paras, METH_VARARGS | METH_KEYWORDS,
      "_doc_paras(signed, prep, first_para, first_doc, wanted, **options) -> (sigs, shingles, lengths)" },
    { "_copy_judge", (PyCFunction)(void (*)(void))ndpy_copy_judge, METH_VARARGS | METH_KEYWORDS,
      "_copy_judge(signed, prep, first_para, first_doc, touches, fetched_docs, fetched_contents, paras_docs, fetched_paras, **options)" },
    { "_stories", (PyCFunction)(void (*)(void))ndpy_stories, METH_VARARGS | METH_KEYWORDS,
      "_stories(dates, copy_d, copy_e, dup_of, sim, cont, same_d, same_e, same_sim, **options) -> (cluster, dup_of, sim, cont)" },
    { "_docs_of", (PyCFunction)(void (*)(void))ndpy_docs_of, METH_VARARGS | METH_KEYWORDS,
      "_docs_of(signed, **options) -> per judged document (dup_of, sim, cont, cluster, repeats, boilerplate)" },
    { "_staged_lines", (PyCFunction)(void (*)(void))ndpy_staged_lines, METH_VARARGS | METH_KEYWORDS,
      "_staged_lines(signed, first_para, first_doc, fam, bp, dup_of, sim, cont, cluster, site, pooled, ref_docs, "
      "ref_ids, roots, root_sigs, root_docs, root_index, **options) -> (lines, ends)" },
    { "_sites_of", (PyCFunction)(void (*)(void))ndpy_sites_of, METH_VARARGS | METH_KEYWORDS,
      "_sites_of(signed, **options) -> per judged document, its site's first document (2^32-1: pooled)" },
    { NULL, NULL, 0, NULL }
};

static int ndpy_add_type(PyObject *m, PyType_Spec *spec, PyObject **slot)
{
    const char *dot = strrchr(spec->name, '.');
    *slot = PyType_FromModuleAndSpec(m, spec, NULL);
    if (!*slot) return -1;
    Py_INCREF(*slot);
    return PyModule_AddObject(m, dot ? dot + 1 : spec->name, *slot) ? (Py_DECREF(*slot), -1) : 0;
}

static int ndpy_exec(PyObject *m)
{
    ndpy_state *st = PyModule_GetState(m);
    st->error = PyErr_NewExceptionWithDoc("neardup.Error",
                                          "A failure of the neardup library; .code is its nd_error code.",
                                          NULL, NULL);
    if (!st->error) return -1;
    Py_INCREF(st->error);
    if (PyModule_AddObject(m, "Error", st->error)) {
        Py_DECREF(st->error);
        return -1;
    }
    if (ndpy_add_type(m, &ndpy_stream_spec, &st->stream_type)) return -1;
    if (ndpy_add_type(m, &ndpy_store_spec, &st->store_type)) return -1;
    if (PyModule_AddStringConstant(m, "library_version", nd_version_string())) return -1;
    return PyModule_AddIntConstant(m, "normalization_version", (long)nd_normalization_version());
}

static int ndpy_traverse(PyObject *m, visitproc visit, void *arg)
{
    ndpy_state *st = PyModule_GetState(m);
    Py_VISIT(st->error);
    Py_VISIT(st->stream_type);
    Py_VISIT(st->store_type);
    return 0;
}

static int ndpy_clear(PyObject *m)
{
    ndpy_state *st = PyModule_GetState(m);
    Py_CLEAR(st->error);
    Py_CLEAR(st->stream_type);
    Py_CLEAR(st->store_type);
    return 0;
}

static PyModuleDef_Slot ndpy_slots[] = { { Py_mod_exec, (void *)ndpy_exec }, { 0, NULL } };

PyModuleDef ndpy_module = {
    PyModuleDef_HEAD_INIT, "neardup._neardup", "neardup: near-duplicate text (C extension)",
    sizeof(ndpy_state), ndpy_methods, ndpy_slots, ndpy_traverse, ndpy_clear, NULL
};

PyMODINIT_FUNC PyInit__neardup(void);
PyMODINIT_FUNC PyInit__neardup(void)
{
    return PyModuleDef_Init(&ndpy_module);
}
