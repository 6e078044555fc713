/* neardup.Stream (nd_stream) and neardup.Store (nd_store_*). */
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include "ndpy.h"

/* Refuses a second thread while the GIL is released inside a call. */
static int ndpy_enter(int *busy, const char *what)
{
    if (*busy) {
        PyErr_Format(PyExc_RuntimeError, "this %s is in use by another thread", what);
        return -1;
    }
    *busy = 1;
    return 0;
}

/* ---- Stream -------------------------------------------------------------- */

typedef struct ndpy_stream {
    PyObject_HEAD
    nd_ctx *ctx;
    nd_doc *doc;
    nd_stream *stream;
    cli_ids ids;      /* ids added so far, kept unique as the CLI's --stream does */
    Py_ssize_t added; /* documents added: a repeat's message names positions */
    int busy;
} ndpy_stream;

static int ndpy_stream_init(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static const char *const extra[] = { "window", NULL };
    ndpy_stream *s = (ndpy_stream *)self;
    ndpy_state *st = ndpy_state_of_type(Py_TYPE(self));
    PyObject *xv[1];
    unsigned long long window;
    nd_params p;
    if (!st || s->ctx) {
        if (st) PyErr_SetString(PyExc_RuntimeError, "Stream already initialized");
        return -1;
    }
    if (PyTuple_GET_SIZE(args)) {
        PyErr_SetString(PyExc_TypeError, "Stream() takes keyword options only");
        return -1;
    }
    nd_params_init(&p, ND_PARAMS_VERSION);
    if (ndpy_params(kwargs, &p, extra, xv) || ndpy_unsigned(xv[0], "window", SIZE_MAX, 0, &window))
        return -1;
    if (window == 1) {
        PyErr_SetString(PyExc_ValueError, "window: must be 2 or more (0 for the default)");
        return -1;
    }
    if (!(s->ctx = ndpy_ctx(st, &p))) return -1;
    int rc = nd_doc_create(&s->doc, s->ctx);
    if (!rc) rc = nd_stream_create(&s->stream, s->ctx, (size_t)window);
    if (rc) ndpy_raise(st, rc, NULL);
    return rc ? -1 : 0;
}

static void ndpy_stream_dealloc(PyObject *self)
{
    ndpy_stream *s = (ndpy_stream *)self;
    PyTypeObject *t = Py_TYPE(self);
    nd_stream_free(s->stream);
    cli_ids_free(&s->ids);
    nd_doc_free(s->doc);
    nd_ctx_free(s->ctx);
    t->tp_free(self);
    Py_DECREF(t);
}

/* The records of the document just added, from the stream's verdict. */
static PyObject *ndpy_stream_records(ndpy_stream *s, const ndpy_doc *d, const nd_stream_doc *r)
{
    const char *id = PyBytes_AS_STRING(d->id);
    size_t id_len = (size_t)PyBytes_GET_SIZE(d->id);
    cli_view v;
    cli_view_of_stream(r, &v);
    PyObject *list = PyList_New(0), *item;
    item = list ? ndpy_doc_record(id, id_len, PyBytes_AS_STRING(d->source),
                                  (size_t)PyBytes_GET_SIZE(d->source), &v) : NULL;
    for (size_t j = 0; item; j++) {
        int rc = PyList_Append(list, item);
        Py_DECREF(item);
        if (rc) break;
        if (j == r->paragraphs) return list;
        nd_para_info p = ND_PARA_INFO_INIT;
        const char *of_id = "";
        size_t of_len = 0;
        nd_stream_para(s->stream, j, &p, &of_id, &of_len);
        item = ndpy_para_record(id, id_len, j, &p, of_id, of_len);
    }
    Py_XDECREF(list);
    return NULL;
}

static PyObject *ndpy_stream_add(PyObject *self, PyObject *obj)
{
    ndpy_stream *s = (ndpy_stream *)self;
    ndpy_state *st = ndpy_state_of_type(Py_TYPE(self));
    nd_stream_doc r = ND_STREAM_DOC_INIT;
    ndpy_doc d;
    PyObject *out = NULL;
    int rc;
    if (!st || !s->stream) return st ? PyErr_Format(PyExc_RuntimeError, "Stream not initialized") : NULL;
    if (ndpy_doc_from(obj, s->added, &d)) return NULL;
    if (ndpy_enter(&s->busy, "Stream")) {
        ndpy_doc_clear(&d);
        return NULL;
    }
    /* a repeat whose warning raises (an "error" filter) is not added, but
     * its position and the id it was given stay taken */
    if (ndpy_doc_unique(&s->ids, &d, s->added++)) {
        s->busy = 0;
        ndpy_doc_clear(&d);
        return NULL;
    }
    const char *text = PyBytes_AS_STRING(d.text), *id = PyBytes_AS_STRING(d.id);
    const char *src = PyBytes_AS_STRING(d.source);
    size_t n = (size_t)PyBytes_GET_SIZE(d.text), idl = (size_t)PyBytes_GET_SIZE(d.id);
    size_t srcl = (size_t)PyBytes_GET_SIZE(d.source);
    Py_BEGIN_ALLOW_THREADS
    rc = nd_doc_analyze(s->doc, text, n);
    if (!rc) rc = nd_stream_add(s->stream, s->doc, id, idl, src, srcl, &r);
    Py_END_ALLOW_THREADS
    if (rc) ndpy_raise(st, rc, NULL);
    else out = ndpy_stream_records(s, &d, &r);
    s->busy = 0;
    ndpy_doc_clear(&d);
    return out;
}

static PyMethodDef ndpy_stream_methods[] = {
    { "add", ndpy_stream_add, METH_O, "add(doc) -> records of the document, labelled on arrival" },
    { NULL, NULL, 0, NULL }
};

static PyType_Slot ndpy_stream_slots[] = {
    { Py_tp_new, (void *)PyType_GenericNew },
    { Py_tp_init, (void *)ndpy_stream_init },
    { Py_tp_dealloc, (void *)ndpy_stream_dealloc },
    { Py_tp_methods, ndpy_stream_methods },
    { Py_tp_doc, (void *)"Stream(window=0, **options): label documents as they arrive" },
    { 0, NULL }
};

PyType_Spec ndpy_stream_spec = { "neardup._neardup.Stream", sizeof(ndpy_stream), 0,
                                 Py_TPFLAGS_DEFAULT, ndpy_stream_slots };

/* ---- Store --------------------------------------------------------------- */

typedef struct ndpy_store {
    PyObject_HEAD
    nd_store *store;
    nd_ctx *ctx;      /* of the store's parameters (writable modes) */
    int busy;
} ndpy_store;

static PyObject *ndpy_store_raise(ndpy_state *st, const nd_store *s, int rc)
{
    return ndpy_raise(st, rc, s ? nd_store_errmsg(s) : NULL);
}

/* The parameters an appender writes with: an existing store's own, else
 * those of `neardup index` for a new store (32 values of 8 bits, MinHash
 * scheme mas64); options given go over either (and must agree with an
 * existing store). */
static nd_ctx *ndpy_store_ctx(ndpy_state *st, const char *path, PyObject *kwargs)
{
    struct stat sb;
    nd_params base;
    nd_params_init(&base, ND_PARAMS_VERSION);
    base.sig_bits = 8;
    base.num_perm = 32;
    base.minhash_scheme = ND_MINHASH_MAS64;
    if (stat(path, &sb) == 0 && sb.st_size > 0) {
        nd_store *s = NULL;
        if (nd_store_open(&s, path, ND_STORE_READ, NULL) == ND_OK) nd_store_params(s, &base);
        nd_store_close(s);
    }
    if (ndpy_params(kwargs, &base, NULL, NULL)) return NULL;
    return ndpy_ctx(st, &base);
}

static int ndpy_store_init(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static const char *const modes[] = { "r", "a", "c" };
    static const nd_store_mode nd_modes[] = { ND_STORE_READ, ND_STORE_APPEND, ND_STORE_CREATE };
    ndpy_store *s = (ndpy_store *)self;
    ndpy_state *st = ndpy_state_of_type(Py_TYPE(self));
    PyObject *path_obj, *pb = NULL;
    const char *mode = "r";
    int m;
    if (!st || s->store || !PyArg_ParseTuple(args, "O&|s:Store", PyUnicode_FSConverter, &pb, &mode)) {
        if (st && s->store) PyErr_SetString(PyExc_RuntimeError, "Store already open");
        return -1;
    }
    path_obj = pb;
    nd_ctx_free(s->ctx); /* from an __init__ that failed before */
    s->ctx = NULL;
    for (m = 0; m < 3 && strcmp(mode, modes[m]); m++) {}
    if (m == 3) {
        PyErr_Format(PyExc_ValueError, "mode: 'r' (read), 'a' (append) or 'c' (create or append), not '%s'", mode);
    } else if (m == 0 && kwargs && PyDict_GET_SIZE(kwargs)) {
        PyErr_SetString(PyExc_TypeError, "a store opened 'r' takes its parameters from the file");
    } else if (m == 0 || (s->ctx = ndpy_store_ctx(st, PyBytes_AS_STRING(path_obj), kwargs)) != NULL) {
        int rc = nd_store_open(&s->store, PyBytes_AS_STRING(path_obj), nd_modes[m], s->ctx);
        if (rc) {
            ndpy_store_raise(st, s->store, rc);
            nd_store_close(s->store);
            s->store = NULL;
        }
    }
    Py_DECREF(path_obj);
    return PyErr_Occurred() ? -1 : 0;
}

static void ndpy_store_dealloc(PyObject *self)
{
    ndpy_store *s = (ndpy_store *)self;
    PyTypeObject *t = Py_TYPE(self);
    nd_store_close(s->store);
    nd_ctx_free(s->ctx);
    t->tp_free(self);
    Py_DECREF(t);
}

/* The state, with the store open and not in use (then marked in use). */
static ndpy_state *ndpy_store_begin(ndpy_store *s)
{
    ndpy_state *st = ndpy_state_of_type(Py_TYPE(s));
    if (!st) return NULL;
    if (!s->store) {
        PyErr_SetString(PyExc_ValueError, "the store is closed");
        return NULL;
    }
    return ndpy_enter(&s->busy, "Store") ? NULL : st;
}

/* Judges the batch as a collection, then appends each document with the
 * signature of its content and commits, as `neardup index` does. */
static int ndpy_store_index_batch(ndpy_state *st, ndpy_store *s, ndpy_docs *docs, size_t from, size_t to,
                                  int64_t t)
{
    nd_doc *doc = NULL;
    nd_corpus *c = NULL;
    int rc = nd_doc_create(&doc, s->ctx);
    if (!rc) rc = nd_corpus_create(&c, s->ctx);
    if (!rc) rc = nd_corpus_set_exact(c, 1); /* its values go to the store */
    if (rc) ndpy_raise(st, rc, NULL);
    size_t i;
    for (i = from; !rc && i < to; i++)
        if (ndpy_corpus_add(st, c, doc, &docs->v[i])) rc = -1;
    if (!rc) {
        Py_BEGIN_ALLOW_THREADS
        rc = nd_corpus_finish(c);
        if (!rc && !(rc = nd_store_append_corpus(s->store, c, t))) rc = nd_store_commit(s->store);
        Py_END_ALLOW_THREADS
        if (rc) ndpy_store_raise(st, s->store, rc);
    }
    nd_corpus_free(c);
    nd_doc_free(doc);
    return rc ? -1 : 0;
}

static PyObject *ndpy_store_index(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kw[] = { "docs", "time", "commit_every", NULL };
    ndpy_store *s = (ndpy_store *)self;
    PyObject *docs, *time_obj = Py_None;
    Py_ssize_t every = 10000;
    ndpy_docs all;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|On:index", kw, &docs, &time_obj, &every)) return NULL;
    if (every < 1) return PyErr_Format(PyExc_ValueError, "commit_every: must be 1 or more");
    long long t = time_obj == Py_None ? (long long)time(NULL) : PyLong_AsLongLong(time_obj);
    if (t == -1 && PyErr_Occurred()) return NULL;
    if (!s->ctx && s->store) return PyErr_Format(PyExc_ValueError, "the store is open read-only");
    ndpy_state *st = ndpy_store_begin(s);
    if (!st) return NULL;
    size_t done = 0;
    if (ndpy_docs_collect(docs, &all) == 0) {
        while (done < all.n) {
            size_t to = all.n - done > (size_t)every ? done + (size_t)every : all.n;
            if (ndpy_store_index_batch(st, s, &all, done, to, (int64_t)t)) break;
            done = to;
        }
        ndpy_docs_clear(&all);
    }
    s->busy = 0;
    return PyErr_Occurred() ? NULL : PyLong_FromSize_t(done);
}

/* What of the store can matter to the documents (a probe), then the
 * documents, as `neardup query` does. */
static int ndpy_store_load(ndpy_state *st, ndpy_store *s, nd_corpus *c, nd_doc *doc, const ndpy_docs *all,
                           const nd_ctx *ctx)
{
    nd_store_probe *probe = NULL;
    int rc = nd_store_probe_create(&probe, ctx, 0);
    for (size_t i = 0; !rc && i < all->n; i++) {
        const char *t = PyBytes_AS_STRING(all->v[i].text);
        size_t n = (size_t)PyBytes_GET_SIZE(all->v[i].text);
        Py_BEGIN_ALLOW_THREADS
        rc = nd_doc_analyze(doc, t, n);
        if (!rc) rc = nd_store_probe_add(probe, doc);
        Py_END_ALLOW_THREADS
        if (rc != ND_E_NOMEM) rc = 0; /* the document's own failure is raised when it is added */
    }
    if (rc) {
        ndpy_raise(st, rc, NULL);
    } else {
        Py_BEGIN_ALLOW_THREADS
        rc = nd_store_load_probed(s->store, c, probe, NULL);
        Py_END_ALLOW_THREADS
        if (rc) ndpy_store_raise(st, s->store, rc);
    }
    nd_store_probe_free(probe);
    return rc ? -1 : 0;
}

static PyObject *ndpy_store_query_run(ndpy_state *st, ndpy_store *s, const ndpy_docs *all, nd_ctx *ctx,
                                      unsigned threads)
{
    nd_doc *doc = NULL;
    nd_corpus *c = NULL;
    PyObject *out = NULL;
    int rc = nd_doc_create(&doc, ctx);
    if (!rc) rc = nd_corpus_create(&c, ctx);
    if (!rc) rc = nd_corpus_set_threads(c, threads);
    if (rc) ndpy_raise(st, rc, NULL);
    else if (ndpy_store_load(st, s, c, doc, all, ctx) == 0) {
        size_t base = nd_corpus_count(c), i;
        for (i = 0; i < all->n; i++)
            if (ndpy_corpus_add(st, c, doc, &all->v[i])) break;
        if (i == all->n) {
            Py_BEGIN_ALLOW_THREADS
            rc = nd_corpus_finish(c);
            Py_END_ALLOW_THREADS
            if (rc) ndpy_raise(st, rc, NULL);
            else out = PyList_New(0);
            /* no "site": stored documents keep no template, a query's sites are partial */
            for (i = base; out && i < nd_corpus_count(c); i++)
                if (ndpy_corpus_records(out, c, i, 0)) Py_CLEAR(out);
        }
    }
    nd_corpus_free(c);
    nd_doc_free(doc);
    return out;
}

static PyObject *ndpy_store_query(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static const char *const extra[] = { "threads", NULL };
    ndpy_store *s = (ndpy_store *)self;
    PyObject *docs, *xv[1], *out = NULL;
    unsigned long long threads;
    nd_params p;
    ndpy_docs all;
    if (!PyArg_ParseTuple(args, "O:query", &docs)) return NULL;
    ndpy_state *st = ndpy_store_begin(s);
    if (!st) return NULL;
    int rc = nd_store_params(s->store, &p);
    if (rc) ndpy_store_raise(st, s->store, rc);
    else if (ndpy_params(kwargs, &p, extra, xv) == 0 && ndpy_unsigned(xv[0], "threads", 1024, 1, &threads) == 0) {
        nd_ctx *ctx = ndpy_ctx(st, &p);
        if (ctx && ndpy_docs_collect(docs, &all) == 0) {
            out = ndpy_store_query_run(st, s, &all, ctx, threads ? (unsigned)threads : 1);
            ndpy_docs_clear(&all);
        }
        nd_ctx_free(ctx);
    }
    s->busy = 0;
    return out;
}

/* ---- compare: the pairs of two stores (src/cli/compare.c, as `neardup compare`) ---- */

/* The callback runs with the GIL released by the caller: it takes it back
 * to build each record. */
typedef struct ndpy_pairs {
    PyObject *list;
    PyThreadState *ts;
} ndpy_pairs;

static int ndpy_pair_cb(const cli_pair *p, void *payload)
{
    ndpy_pairs *x = payload;
    PyEval_RestoreThread(x->ts);
    PyObject *r = ndpy_pair_record(p);
    int rc = r ? PyList_Append(x->list, r) : -1;
    Py_XDECREF(r);
    x->ts = PyEval_SaveThread();
    return rc ? ND_E_NOMEM : 0; /* the exception set tells what it was */
}

/* The pairs of a (this store) and b, judged with ctx. */
static PyObject *ndpy_compare_run(ndpy_state *st, nd_store *a, nd_store *b, const nd_ctx *ctx, unsigned threads)
{
    nd_corpus *c = NULL;
    const nd_store *failed = NULL;
    ndpy_pairs x = { PyList_New(0), NULL };
    if (!x.list) return NULL;
    int rc = nd_corpus_create(&c, ctx);
    if (!rc) rc = nd_corpus_set_threads(c, threads);
    if (rc) {
        ndpy_raise(st, rc, NULL);
    } else {
        x.ts = PyEval_SaveThread();
        rc = cli_compare_stores(c, a, b, ndpy_pair_cb, &x, &failed);
        PyEval_RestoreThread(x.ts);
        if (rc && !PyErr_Occurred()) ndpy_raise(st, rc, failed ? nd_store_errmsg(failed) : NULL);
    }
    nd_corpus_free(c);
    if (rc) Py_CLEAR(x.list);
    return x.list;
}

/* The other store: a Store (in use for the call) or a path opened here. */
static nd_store *ndpy_compare_other(ndpy_state *st, ndpy_store *self, PyObject *other, ndpy_store **held,
                                    nd_store **opened)
{
    *held = NULL;
    *opened = NULL;
    if (PyObject_TypeCheck(other, (PyTypeObject *)st->store_type)) {
        ndpy_store *o = (ndpy_store *)other;
        if (o == self) {
            PyErr_SetString(PyExc_ValueError, "compare: give another Store (or a path) than this one");
            return NULL;
        }
        if (!o->store) {
            PyErr_SetString(PyExc_ValueError, "compare: the other store is closed");
            return NULL;
        }
        if (ndpy_enter(&o->busy, "Store")) return NULL;
        *held = o;
        return o->store;
    }
    PyObject *pb = NULL;
    if (!PyUnicode_FSConverter(other, &pb)) return NULL;
    int rc = nd_store_open(opened, PyBytes_AS_STRING(pb), ND_STORE_READ, NULL);
    Py_DECREF(pb);
    if (rc) {
        ndpy_store_raise(st, *opened, rc);
        nd_store_close(*opened);
        *opened = NULL;
    }
    return *opened;
}

/* compare(other, threads=1, **options) -> the `pair` records of `neardup
 * compare --json` with this store as A and other (a Store or a path) as B:
 * each document of B that copies one of A, or shares its cluster. */
static PyObject *ndpy_store_compare(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static const char *const extra[] = { "threads", NULL };
    ndpy_store *s = (ndpy_store *)self, *held = NULL;
    PyObject *other, *xv[1], *out = NULL;
    nd_store *opened = NULL, *b;
    unsigned long long threads;
    nd_params p;
    if (!PyArg_ParseTuple(args, "O:compare", &other)) return NULL;
    ndpy_state *st = ndpy_store_begin(s);
    if (!st) return NULL;
    int rc = nd_store_params(s->store, &p);
    if (rc) ndpy_store_raise(st, s->store, rc);
    else if (ndpy_params(kwargs, &p, extra, xv) == 0 && ndpy_unsigned(xv[0], "threads", 1024, 1, &threads) == 0
             && (b = ndpy_compare_other(st, s, other, &held, &opened)) != NULL) {
        nd_ctx *ctx = NULL;
        if ((rc = nd_store_compatible(s->store, b))) ndpy_store_raise(st, s->store, rc);
        else if ((ctx = ndpy_ctx(st, &p)) != NULL)
            out = ndpy_compare_run(st, s->store, b, ctx, threads ? (unsigned)threads : 1);
        nd_ctx_free(ctx);
    }
    if (held) held->busy = 0;
    nd_store_close(opened);
    s->busy = 0;
    return out;
}

/* ---- merge and prune (src/cli/rewrite.c, as `neardup merge` and `prune`) ---- */

/* Notes of rewrite.c, gathered while the GIL is released, then warned. */
static void ndpy_note(int warning, const char *note, void *payload)
{
    cli_buf *b = payload;
    size_t n = strlen(note);
    (void)warning;
    if (cli_buf_reserve(b, n + 1) == 0) {
        memcpy(b->data + b->len, note, n);
        b->len += n;
        b->data[b->len++] = '\n';
    }
}

/* Warns each note (UserWarning). @return 0 or -1 (a warning raised). */
static int ndpy_warn_notes(cli_buf *b)
{
    int rc = 0;
    for (size_t at = 0; at < b->len && !rc;) {
        char *end = memchr(b->data + at, '\n', b->len - at);
        *end = '\0';
        rc = PyErr_WarnEx(PyExc_UserWarning, b->data + at, 1);
        at = (size_t)(end - b->data) + 1;
    }
    cli_buf_free(b);
    return rc;
}

/* The stores to merge: Store objects (in use for the call) or paths opened
 * here. @return 0 or -1 (exception; what was taken is released). */
typedef struct ndpy_inputs {
    nd_store **v;
    ndpy_store **held; /* the Store object behind v[i], or NULL: opened here */
    size_t n;
} ndpy_inputs;

static void ndpy_inputs_release(ndpy_inputs *in)
{
    for (size_t i = 0; i < in->n; i++) {
        if (in->held[i]) in->held[i]->busy = 0; /* twice for one named twice: harmless */
        else nd_store_close(in->v[i]);
    }
    PyMem_Free(in->v);
    PyMem_Free(in->held);
    memset(in, 0, sizeof *in);
}

static int ndpy_inputs_take(ndpy_state *st, PyObject *stores, ndpy_inputs *in)
{
    PyObject *seq = PySequence_Fast(stores, "stores: a list of Store objects or paths");
    memset(in, 0, sizeof *in);
    if (!seq) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    in->v = PyMem_Calloc((size_t)n + 1, sizeof *in->v);
    in->held = PyMem_Calloc((size_t)n + 1, sizeof *in->held);
    if (!in->v || !in->held) PyErr_NoMemory();
    for (Py_ssize_t i = 0; !PyErr_Occurred() && i < n; i++) {
        PyObject *o = PySequence_Fast_GET_ITEM(seq, i), *pb = NULL;
        if (PyObject_TypeCheck(o, (PyTypeObject *)st->store_type)) {
            ndpy_store *so = (ndpy_store *)o;
            size_t j = 0;
            while (j < in->n && in->held[j] != so) j++; /* named twice, as the CLI allows: taken once */
            if (!so->store) PyErr_SetString(PyExc_ValueError, "stores: a store is closed");
            else if (j < in->n || ndpy_enter(&so->busy, "Store") == 0) in->held[in->n] = so, in->v[in->n++] = so->store;
        } else if (PyUnicode_FSConverter(o, &pb)) {
            int rc = nd_store_open(&in->v[in->n], PyBytes_AS_STRING(pb), ND_STORE_READ, NULL);
            if (rc) ndpy_store_raise(st, in->v[in->n], rc), nd_store_close(in->v[in->n]);
            else in->n++;
            Py_DECREF(pb);
        }
    }
    Py_DECREF(seq);
    if (!PyErr_Occurred() && !in->n) PyErr_SetString(PyExc_ValueError, "stores: no store to merge");
    if (!PyErr_Occurred()) return 0;
    ndpy_inputs_release(in);
    return -1;
}

/* merge(out, stores, force=False) -> documents written: every document of
 * stores, in order, into a new store at out (`neardup merge -o OUT`). */
PyObject *ndpy_merge(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kw[] = { "out", "stores", "force", NULL };
    ndpy_state *st = PyModule_GetState(self);
    PyObject *pb = NULL, *stores, *out = NULL;
    int force = 0;
    struct stat sb;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O&O|p:merge", kw, PyUnicode_FSConverter, &pb, &stores, &force))
        return NULL;
    const char *path = PyBytes_AS_STRING(pb);
    ndpy_inputs in;
    if (!force && stat(path, &sb) == 0) {
        PyErr_Format(PyExc_FileExistsError, "%s: output exists (force=True replaces it)", path);
    } else if (ndpy_inputs_take(st, stores, &in) == 0) {
        char msg[4400] = "";
        cli_buf notes = CLI_BUF_INIT;
        cli_rewrite_io io = { msg, sizeof msg, ndpy_note, &notes };
        size_t docs = 0;
        int rc;
        Py_BEGIN_ALLOW_THREADS
        rc = cli_merge_stores(path, in.v, in.n, &docs, &io);
        Py_END_ALLOW_THREADS
        ndpy_inputs_release(&in);
        if (ndpy_warn_notes(&notes) == 0) {
            if (rc) ndpy_raise(st, rc, msg);
            else out = PyLong_FromSize_t(docs);
        }
    }
    Py_DECREF(pb);
    return out;
}

/* A prune's `before`: Unix seconds, or a date as the CLI's --before takes. */
static int ndpy_before(PyObject *v, cli_prune_rule *r)
{
    if (v == Py_None) return 0;
    r->have_before = 1;
    if (PyLong_Check(v) && !PyBool_Check(v)) {
        r->before = PyLong_AsLongLong(v);
        return r->before == -1 && PyErr_Occurred() ? -1 : 0;
    }
    Py_ssize_t n;
    const char *s = PyUnicode_Check(v) ? PyUnicode_AsUTF8AndSize(v, &n) : NULL;
    if (s && nd_date_parse(s, (size_t)n, &r->before) == ND_OK) return 0;
    PyErr_Clear();
    PyErr_Format(PyExc_ValueError, "before: Unix seconds or an ISO 8601 date, not %R", v);
    return -1;
}

/* prune(path, before=None, keep=None) -> (kept, documents before): the
 * store rewritten with the documents indexed at or after `before` and, of
 * those, the `keep` most recent (`neardup prune`). */
PyObject *ndpy_prune(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kw[] = { "path", "before", "keep", NULL };
    ndpy_state *st = PyModule_GetState(self);
    PyObject *pb = NULL, *before = Py_None, *keep = Py_None, *out = NULL;
    cli_prune_rule rule = { 0, 0, 0, 0 };
    unsigned long long k;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O&|OO:prune", kw, PyUnicode_FSConverter, &pb, &before, &keep))
        return NULL;
    if (ndpy_before(before, &rule) == 0 && ndpy_unsigned(keep, "keep", (unsigned long long)1 << 62, 0, &k) == 0) {
        rule.have_keep = keep != Py_None;
        rule.keep = k;
        if (!rule.have_before && !rule.have_keep) {
            PyErr_SetString(PyExc_TypeError, "prune: give before= or keep=");
        } else {
            char msg[4400] = "";
            cli_buf notes = CLI_BUF_INIT;
            cli_rewrite_io io = { msg, sizeof msg, ndpy_note, &notes };
            size_t kept = 0, n = 0;
            int rc;
            const char *path = PyBytes_AS_STRING(pb);
            Py_BEGIN_ALLOW_THREADS
            rc = cli_prune_store(path, &rule, &kept, &n, &io);
            Py_END_ALLOW_THREADS
            if (ndpy_warn_notes(&notes) == 0) {
                if (rc) ndpy_raise(st, rc, msg);
                else out = Py_BuildValue("(nn)", (Py_ssize_t)kept, (Py_ssize_t)n);
            }
        }
    }
    Py_DECREF(pb);
    return out;
}

/* verify() -> dict of what a full checksum pass found; a damaged store
 * raises neardup.Error with the library's message. */
static PyObject *ndpy_store_verify(PyObject *self, PyObject *unused)
{
    ndpy_store *s = (ndpy_store *)self;
    nd_store_stats v = ND_STORE_STATS_INIT;
    (void)unused;
    ndpy_state *st = ndpy_store_begin(s);
    if (!st) return NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = nd_store_verify(s->store, &v);
    Py_END_ALLOW_THREADS
    s->busy = 0;
    if (rc) return ndpy_store_raise(st, s->store, rc);
    return Py_BuildValue("{s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:K}", "blocks", (unsigned long long)v.blocks,
                         "compressed_bytes", (unsigned long long)v.compressed_bytes,
                         "raw_bytes", (unsigned long long)v.raw_bytes,
                         "signature_bytes", (unsigned long long)v.signature_bytes,
                         "documents", (unsigned long long)v.documents,
                         "paragraphs", (unsigned long long)v.paragraphs,
                         "signatures_stored", (unsigned long long)v.signatures_stored,
                         "signatures_referenced", (unsigned long long)v.signatures_referenced);
}

static PyObject *ndpy_store_info(PyObject *self, PyObject *unused)
{
    ndpy_store *s = (ndpy_store *)self;
    nd_store_info in = ND_STORE_INFO_INIT;
    nd_params p;
    (void)unused;
    ndpy_state *st = ndpy_store_begin(s);
    if (!st) return NULL;
    int rc = nd_store_describe(s->store, &in);
    if (!rc) rc = nd_store_params(s->store, &p);
    s->busy = 0;
    if (rc) return ndpy_store_raise(st, s->store, rc);
    static const char *const segs[] = { "auto", "lines", "blocks" };
    return Py_BuildValue(
        "{s:K,s:K,s:K,s:K,s:K,s:K,s:I,s:I,s:I,s:N,s:N,s:N,s:{s:I,s:I,s:K,s:I,s:s,s:I,s:I}}",
        "documents", (unsigned long long)in.documents, "paragraphs", (unsigned long long)in.paragraphs,
        "text_bytes", (unsigned long long)in.text_bytes, "file_bytes", (unsigned long long)in.file_bytes,
        "blocks", (unsigned long long)in.blocks, "commit", (unsigned long long)in.commit,
        "write_version", in.write_version, "read_version", in.read_version,
        "normalization_version", in.normalization_version, "read_only", PyBool_FromLong(in.read_only),
        "recovered", PyBool_FromLong(in.recovered), "needs_recovery", PyBool_FromLong(in.needs_recovery),
        "params", "shingle_size", p.shingle_size, "num_perm", p.num_perm, "seed", (unsigned long long)p.seed,
        "sig_bits", p.sig_bits, "paragraphs", segs[p.seg_mode <= ND_SEG_BLOCKS ? p.seg_mode : 0],
        "bands", p.lsh_bands, "rows", p.lsh_rows);
}

static PyObject *ndpy_store_close(PyObject *self, PyObject *unused)
{
    ndpy_store *s = (ndpy_store *)self;
    (void)unused;
    if (s->busy) return PyErr_Format(PyExc_RuntimeError, "this Store is in use by another thread");
    nd_store_close(s->store);
    s->store = NULL;
    Py_RETURN_NONE;
}

static PyObject *ndpy_store_enter(PyObject *self, PyObject *unused)
{
    (void)unused;
    if (!((ndpy_store *)self)->store) return PyErr_Format(PyExc_ValueError, "the store is closed");
    Py_INCREF(self);
    return self;
}

static PyObject *ndpy_store_exit(PyObject *self, PyObject *args)
{
    (void)args;
    PyObject *r = ndpy_store_close(self, NULL);
    if (!r) return NULL;
    Py_DECREF(r);
    Py_RETURN_FALSE;
}

static Py_ssize_t ndpy_store_len(PyObject *self)
{
    ndpy_store *s = (ndpy_store *)self;
    return s->store ? (Py_ssize_t)nd_store_count(s->store) : 0;
}

static PyMethodDef ndpy_store_methods[] = {
    { "index", (PyCFunction)(void (*)(void))ndpy_store_index, METH_VARARGS | METH_KEYWORDS,
      "index(docs, time=None, commit_every=10000) -> number of documents indexed" },
    { "query", (PyCFunction)(void (*)(void))ndpy_store_query, METH_VARARGS | METH_KEYWORDS,
      "query(docs, **options) -> records of docs judged with the store (neardup query --json)" },
    { "compare", (PyCFunction)(void (*)(void))ndpy_store_compare, METH_VARARGS | METH_KEYWORDS,
      "compare(other, **options) -> pair records: documents of other (a Store or a path) copying this "
      "store's (neardup compare --json)" },
    { "info", ndpy_store_info, METH_NOARGS, "info() -> dict of counts, sizes and parameters" },
    { "verify", ndpy_store_verify, METH_NOARGS,
      "verify() -> dict of a full checksum pass (`neardup info --verify`); neardup.Error if damaged" },
    { "close", ndpy_store_close, METH_NOARGS, "close(): uncommitted documents are discarded" },
    { "__enter__", ndpy_store_enter, METH_NOARGS, NULL },
    { "__exit__", ndpy_store_exit, METH_VARARGS, NULL },
    { NULL, NULL, 0, NULL }
};

static PyType_Slot ndpy_store_slots[] = {
    { Py_tp_new, (void *)PyType_GenericNew },
    { Py_tp_init, (void *)ndpy_store_init },
    { Py_tp_dealloc, (void *)ndpy_store_dealloc },
    { Py_tp_methods, ndpy_store_methods },
    { Py_mp_length, (void *)ndpy_store_len },
    { Py_tp_doc, (void *)"Store(path, mode='r', **options): a signature store" },
    { 0, NULL }
};

PyType_Spec ndpy_store_spec = { "neardup._neardup.Store", sizeof(ndpy_store), 0, Py_TPFLAGS_DEFAULT,
                                ndpy_store_slots };
