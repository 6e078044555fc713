/* Python documents in, docs/JSON.md records out: the same fields, rules and
 * number formatting as the CLI's input.c and report.c. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "ndpy.h"

PyObject *ndpy_str(const char *s, size_t n)
{
    /* surrogatepass first: a str with lone surrogates given as an id comes
     * back as it was given; any other invalid byte as a surrogate escape */
    PyObject *o = PyUnicode_DecodeUTF8(s, (Py_ssize_t)n, "surrogatepass");
    if (!o && PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
        PyErr_Clear();
        o = PyUnicode_DecodeUTF8(s, (Py_ssize_t)n, "surrogateescape");
    }
    return o;
}

/* str (UTF-8; lone surrogates kept, as bytes that are not UTF-8: the
 * library takes any bytes) or bytes, as a new bytes object. */
static PyObject *ndpy_bytes(PyObject *v, Py_ssize_t index, const char *field, int allow_int)
{
    if (PyUnicode_Check(v)) return PyUnicode_AsEncodedString(v, "utf-8", "surrogatepass");
    if (PyBytes_Check(v)) {
        Py_INCREF(v);
        return v;
    }
    if (allow_int && PyLong_Check(v) && !PyBool_Check(v)) { /* the CLI takes a number's text */
        PyObject *s = PyObject_Str(v), *b = s ? PyUnicode_AsUTF8String(s) : NULL;
        Py_XDECREF(s);
        return b;
    }
    return PyErr_Format(PyExc_TypeError, "docs[%zd]: '%s' must be str or bytes, not %.80s", index,
                        field, Py_TYPE(v)->tp_name);
}

/* obj[key] as a new reference, NULL when absent or None (no exception), or
 * NULL with an exception set. */
static PyObject *ndpy_field(PyObject *obj, const char *key, int *failed)
{
    PyObject *v = PyMapping_GetItemString(obj, key);
    *failed = 0;
    if (!v) {
        if (PyErr_ExceptionMatches(PyExc_KeyError)) PyErr_Clear();
        else *failed = 1;
        return NULL;
    }
    if (v == Py_None) Py_CLEAR(v);
    return v;
}

/* Source precedence of the CLI: the source field, else the host of the url
 * field (nd_url_host), else "" (the CLI would use its INPUT argument). */
static PyObject *ndpy_source(PyObject *obj, Py_ssize_t index)
{
    int failed;
    PyObject *v = ndpy_field(obj, "source", &failed), *b;
    if (failed) return NULL;
    if (v) {
        b = ndpy_bytes(v, index, "source", 0);
        Py_DECREF(v);
        return b;
    }
    PyObject *url = ndpy_field(obj, "url", &failed);
    if (failed) return NULL;
    if (!url) return PyBytes_FromStringAndSize("", 0);
    PyObject *ub = ndpy_bytes(url, index, "url", 0);
    Py_DECREF(url);
    if (!ub) return NULL;
    size_t len = 0, n = (size_t)PyBytes_GET_SIZE(ub);
    /* the host is a part of the URL: n bytes always suffice */
    b = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)n);
    if (b && nd_url_host(PyBytes_AS_STRING(ub), n, PyBytes_AS_STRING(b), n, &len) == ND_OK) {
        _PyBytes_Resize(&b, (Py_ssize_t)len);
    } else if (b) {
        Py_DECREF(b);
        b = NULL;
        if (PyErr_WarnFormat(PyExc_UserWarning, 1, "docs[%zd]: 'url' holds no URL with a host; ignored",
                             index) == 0)
            b = PyBytes_FromStringAndSize("", 0);
    }
    Py_DECREF(ub);
    return b;
}

/* The date field: an ISO 8601 str (nd_date_parse) or Unix seconds (int or
 * float, truncated as the CLI does); anything else is ignored with a
 * warning, as the CLI does. @return 0 or -1. */
static int ndpy_date(PyObject *obj, Py_ssize_t index, ndpy_doc *d)
{
    int failed;
    PyObject *v = ndpy_field(obj, "date", &failed);
    if (failed) return -1;
    if (!v) return 0;
    if (PyUnicode_Check(v)) {
        Py_ssize_t n;
        const char *s = PyUnicode_AsUTF8AndSize(v, &n);
        if (!s) PyErr_Clear();
        else if (nd_date_parse(s, (size_t)n, &d->date) == ND_OK) d->has_date = 1;
    } else if (PyLong_Check(v) && !PyBool_Check(v)) {
        int overflow;
        long long t = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (!overflow && !(t == -1 && PyErr_Occurred())) d->has_date = 1, d->date = t;
        PyErr_Clear();
    } else if (PyFloat_Check(v)) {
        double t = PyFloat_AS_DOUBLE(v);
        if (t > -9.2e18 && t < 9.2e18) d->has_date = 1, d->date = (int64_t)t;
    }
    Py_DECREF(v);
    if (d->has_date) return 0;
    return PyErr_WarnFormat(PyExc_UserWarning, 1,
                            "docs[%zd]: 'date' is not an ISO 8601 date nor a number; ignored", index);
}

int ndpy_doc_from(PyObject *obj, Py_ssize_t index, ndpy_doc *d)
{
    int failed;
    memset(d, 0, sizeof *d);
    if (!PyMapping_Check(obj) || PyUnicode_Check(obj) || PyBytes_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "docs[%zd]: a document is a dict with 'id' and 'text', not %.80s",
                     index, Py_TYPE(obj)->tp_name);
        return -1;
    }
    PyObject *id = ndpy_field(obj, "id", &failed), *text = NULL;
    if (!id && !failed) PyErr_Format(PyExc_TypeError, "docs[%zd]: no 'id'", index);
    if (id) d->id = ndpy_bytes(id, index, "id", 1);
    if (d->id) text = ndpy_field(obj, "text", &failed);
    if (d->id && !text && !failed) PyErr_Format(PyExc_TypeError, "docs[%zd]: no 'text'", index);
    if (text) {
        d->text_was_str = PyUnicode_Check(text);
        d->text = ndpy_bytes(text, index, "text", 0);
    }
    if (d->text) d->source = ndpy_source(obj, index);
    Py_XDECREF(id);
    Py_XDECREF(text);
    if (!d->source || ndpy_date(obj, index, d)) {
        ndpy_doc_clear(d);
        return -1;
    }
    return 0;
}

void ndpy_doc_clear(ndpy_doc *d)
{
    Py_CLEAR(d->id);
    Py_CLEAR(d->source);
    Py_CLEAR(d->text);
}

int ndpy_doc_unique(cli_ids *ids, ndpy_doc *d, Py_ssize_t index)
{
    const char *id = PyBytes_AS_STRING(d->id);
    size_t id_len = (size_t)PyBytes_GET_SIZE(d->id);
    cli_id_repeat first;
    /* line: the position + 1, since the shared rule takes line 0 as none */
    int rc = cli_ids_check(ids, "docs", (size_t)index + 1, &id, &id_len, &first);
    if (rc == CLI_ID_NOMEM || (rc == CLI_ID_RENAMED && ids->failed)) {
        PyErr_NoMemory();
        return -1;
    }
    if (rc != CLI_ID_RENAMED) return 0;
    PyObject *was = ndpy_str(PyBytes_AS_STRING(d->id), (size_t)PyBytes_GET_SIZE(d->id));
    PyObject *now = ndpy_str(id, id_len), *msg = NULL;
    PyObject *renamed = PyBytes_FromStringAndSize(id, (Py_ssize_t)id_len);
    if (was && now && renamed)
        msg = PyUnicode_FromFormat("docs[%zd]: id %R already used by docs[%zu]%s; this one is reported as %R",
                                   index, was, first.line - 1,
                                   first.renamed ? " (an id made for a repeated one)" : "", now);
    Py_XDECREF(was);
    Py_XDECREF(now);
    const char *text = msg ? PyUnicode_AsUTF8(msg) : NULL;
    int failed = !text || PyErr_WarnEx(PyExc_UserWarning, text, 1) < 0;
    Py_XDECREF(msg);
    if (failed) {
        Py_XDECREF(renamed);
        return -1;
    }
    Py_SETREF(d->id, renamed);
    return 0;
}

int ndpy_docs_collect(PyObject *iterable, ndpy_docs *out)
{
    PyObject *it = PyObject_GetIter(iterable), *item;
    cli_ids ids;
    memset(out, 0, sizeof *out);
    memset(&ids, 0, sizeof ids);
    if (!it) return -1;
    while ((item = PyIter_Next(it)) != NULL) {
        if (out->n == out->cap) {
            size_t cap = out->cap ? out->cap * 2 : 64;
            ndpy_doc *v = PyMem_Realloc(out->v, cap * sizeof *v);
            if (!v) {
                Py_DECREF(item);
                PyErr_NoMemory();
                break;
            }
            out->v = v;
            out->cap = cap;
        }
        int rc = ndpy_doc_from(item, (Py_ssize_t)out->n, &out->v[out->n]);
        Py_DECREF(item);
        if (rc) break;
        out->n++;
        if (ndpy_doc_unique(&ids, &out->v[out->n - 1], (Py_ssize_t)out->n - 1)) break;
    }
    Py_DECREF(it);
    cli_ids_free(&ids);
    if (PyErr_Occurred()) {
        ndpy_docs_clear(out);
        return -1;
    }
    return 0;
}

void ndpy_docs_clear(ndpy_docs *docs)
{
    for (size_t i = 0; i < docs->n; i++) ndpy_doc_clear(&docs->v[i]);
    PyMem_Free(docs->v);
    memset(docs, 0, sizeof *docs);
}

/* ---- records ----------------------------------------------------------- */

/* The value the CLI writes with 4 decimals (report.c, json.c's
 * cli_json_write_double: the fraction scaled by 10^4 and rounded half up),
 * read back as a float: what json.loads() gives for the CLI's text. */
static PyObject *ndpy_round4(double v)
{
    char buf[48];
    double a = v < 0 ? -v : v;
    if (!isfinite(v) || a >= 1e15) { /* never a similarity: no exactness needed */
        if (!isfinite(v)) Py_RETURN_NONE;
        return PyFloat_FromDouble(v);
    }
    uint64_t ip = (uint64_t)a;
    double x = (a - (double)ip) * 1e4;
    uint64_t frac = (uint64_t)x;
    if (x - (double)frac >= 0.5) frac++;
    if (frac >= 10000) frac -= 10000, ip++;
    snprintf(buf, sizeof buf, "%s%llu.%04llu", v < 0 && (ip || frac) ? "-" : "",
             (unsigned long long)ip, (unsigned long long)frac);
    double r = PyOS_string_to_double(buf, NULL, NULL);
    if (r == -1.0 && PyErr_Occurred()) return NULL;
    return PyFloat_FromDouble(r);
}

/* Sets d[key] = value, taking the reference. @return 0 or -1. */
static int ndpy_set(PyObject *d, const char *key, PyObject *value)
{
    if (!value) return -1;
    int rc = PyDict_SetItemString(d, key, value);
    Py_DECREF(value);
    return rc;
}

static PyObject *ndpy_str_or_none(const char *s, size_t n)
{
    if (!s) Py_RETURN_NONE;
    return ndpy_str(s, n);
}

PyObject *ndpy_doc_record(const char *id, size_t id_len, const char *src, size_t src_len,
                          const cli_view *v)
{
    PyObject *d = PyDict_New();
    if (!d) return NULL;
    int rc = ndpy_set(d, "type", PyUnicode_FromString("doc"));
    if (!rc) rc = ndpy_set(d, "doc", ndpy_str(id, id_len));
    if (!rc) rc = ndpy_set(d, "source", ndpy_str(src, src_len));
    if (!rc && v->has_site) rc = ndpy_set(d, "site", ndpy_str_or_none(v->site_id, v->site_len));
    if (!rc) rc = ndpy_set(d, "paragraphs", PyLong_FromSize_t(v->paragraphs));
    if (!rc) rc = ndpy_set(d, "repeats", PyLong_FromSize_t(v->repeats));
    if (!rc) rc = ndpy_set(d, "boilerplate", PyLong_FromSize_t(v->boilerplate));
    if (!rc) rc = ndpy_set(d, "duplicate_of", ndpy_str_or_none(v->dup_id, v->dup_len));
    if (!rc && v->dup_id) rc = ndpy_set(d, "similarity", ndpy_round4(v->similarity));
    if (!rc && v->dup_id) rc = ndpy_set(d, "containment", ndpy_round4(v->containment));
    if (!rc) rc = ndpy_set(d, "cluster", ndpy_str(v->cl_id, v->cl_len));
    if (rc) Py_CLEAR(d);
    return d;
}

PyObject *ndpy_para_record(const char *id, size_t id_len, size_t i, const nd_para_info *p,
                           const char *of_id, size_t of_len)
{
    PyObject *d = PyDict_New();
    if (!d) return NULL;
    int rc = ndpy_set(d, "type", PyUnicode_FromString("para"));
    if (!rc) rc = ndpy_set(d, "doc", ndpy_str(id, id_len));
    if (!rc) rc = ndpy_set(d, "index", PyLong_FromSize_t(i));
    if (!rc) rc = ndpy_set(d, "offset", PyLong_FromSize_t(p->offset));
    if (!rc) rc = ndpy_set(d, "length", PyLong_FromSize_t(p->length));
    if (!rc) rc = ndpy_set(d, "kind", PyUnicode_FromString(nd_kind_name(p->kind)));
    if (!rc && p->kind != ND_KIND_CONTENT) {
        PyObject *of = Py_BuildValue("{s:N,s:n}", "doc", ndpy_str(of_id, of_len), "index",
                                     (Py_ssize_t)p->of);
        rc = ndpy_set(d, "of", of);
        if (!rc) rc = ndpy_set(d, "similarity", ndpy_round4(p->similarity));
    }
    if (rc) Py_CLEAR(d);
    return d;
}

static int ndpy_append(PyObject *list, PyObject *item)
{
    if (!item) return -1;
    int rc = PyList_Append(list, item);
    Py_DECREF(item);
    return rc;
}

int ndpy_corpus_records(PyObject *list, const nd_corpus *c, size_t i, int has_site)
{
    cli_view v;
    const char *id = "", *src = "";
    size_t id_len = 0, src_len = 0;
    cli_view_of_corpus(c, i, &v);
    v.has_site = has_site;
    nd_corpus_doc_id(c, i, &id, &id_len);
    nd_corpus_doc_source(c, i, &src, &src_len);
    if (ndpy_append(list, ndpy_doc_record(id, id_len, src, src_len, &v))) return -1;
    for (size_t j = 0; j < v.paragraphs; j++) {
        nd_para_info p = ND_PARA_INFO_INIT;
        const char *of_id = "";
        size_t of_len = 0;
        cli_para_of_corpus(c, i, j, &p, &of_id, &of_len);
        if (ndpy_append(list, ndpy_para_record(id, id_len, j, &p, of_id, of_len))) return -1;
    }
    return 0;
}

/* A docs/JSON.md `pair` object, as `neardup compare --json` writes it. */
PyObject *ndpy_pair_record(const cli_pair *p)
{
    PyObject *d = PyDict_New();
    if (!d) return NULL;
    int rc = ndpy_set(d, "type", PyUnicode_FromString("pair"));
    if (!rc) rc = ndpy_set(d, "a", ndpy_str(p->a->id, p->a->id_len));
    if (!rc) rc = ndpy_set(d, "b", ndpy_str(p->b->id, p->b->id_len));
    if (!rc) rc = ndpy_set(d, "source_a", ndpy_str(p->a->source, p->a->source_len));
    if (!rc) rc = ndpy_set(d, "source_b", ndpy_str(p->b->source, p->b->source_len));
    if (!rc) rc = ndpy_set(d, "similarity", ndpy_round4(p->similarity));
    if (!rc) rc = ndpy_set(d, "containment", p->copy ? ndpy_round4(p->containment) : Py_NewRef(Py_None));
    if (!rc) rc = ndpy_set(d, "link", PyUnicode_FromString(p->copy ? "copy" : "cluster"));
    if (rc) Py_CLEAR(d);
    return d;
}

/* _unique_ids(ids) -> [(index, new id, index of the first holder, whether
 * that holder's id was itself made for a repeat)]: the CLI's rule over a
 * whole collection's ids (bytes, in input order), for neardup.dask, whose
 * partitions are signed apart. Only renamed documents are listed. */
PyObject *ndpy_unique_ids(PyObject *self, PyObject *ids)
{
    (void)self;
    PyObject *seq = PySequence_Fast(ids, "_unique_ids takes a sequence of bytes");
    if (!seq) return NULL;
    PyObject *out = PyList_New(0);
    cli_ids t;
    memset(&t, 0, sizeof t);
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    for (Py_ssize_t i = 0; out && i < n; i++) {
        PyObject *b = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyBytes_Check(b)) {
            PyErr_Format(PyExc_TypeError, "ids[%zd]: bytes expected, not %.80s", i, Py_TYPE(b)->tp_name);
            break;
        }
        const char *id = PyBytes_AS_STRING(b);
        size_t id_len = (size_t)PyBytes_GET_SIZE(b);
        cli_id_repeat first;
        int rc = cli_ids_check(&t, "ids", (size_t)i + 1, &id, &id_len, &first);
        if (rc == CLI_ID_NOMEM || (rc == CLI_ID_RENAMED && t.failed)) {
            PyErr_NoMemory();
            break;
        }
        if (rc != CLI_ID_RENAMED) continue;
        PyObject *row = Py_BuildValue("(ny#ni)", i, id, (Py_ssize_t)id_len, (Py_ssize_t)first.line - 1,
                                      first.renamed);
        if (!row || PyList_Append(out, row)) {
            Py_XDECREF(row);
            break;
        }
        Py_DECREF(row);
    }
    cli_ids_free(&t);
    Py_DECREF(seq);
    if (PyErr_Occurred()) Py_CLEAR(out);
    return out;
}

/* A JSONL block's problems as the CLI words them: "PATH:LINE: [warning: ]message". */
typedef struct ndpy_block {
    PyObject *messages;
    int failed;
} ndpy_block;

static void ndpy_block_err(int severity, const char *path, size_t line, const char *message, void *payload)
{
    ndpy_block *b = payload;
    if (b->failed) return;
    PyObject *m = PyUnicode_FromFormat("%s:%zu: %s%s", path, line, severity == CLI_WARNING ? "warning: " : "",
                                       message);
    if (!m || PyList_Append(b->messages, m)) b->failed = 1;
    Py_XDECREF(m);
}

/* One document of a JSONL block as the dict _sign takes: id, text, source
 * as bytes (already decided by the CLI's rules), date when it has one. */
static PyObject *ndpy_block_doc(const cli_doc *d)
{
    PyObject *o = Py_BuildValue("{s:y#,s:y#,s:y#}", "id", d->id, (Py_ssize_t)d->id_len, "text", d->text,
                                (Py_ssize_t)d->text_len, "source", d->source, (Py_ssize_t)d->source_len);
    if (o && d->has_date) {
        PyObject *t = PyLong_FromLongLong((long long)d->date);
        if (!t || PyDict_SetItemString(o, "date", t)) Py_CLEAR(o);
        Py_XDECREF(t);
    }
    return o;
}

/* _jsonl_block(data, input, path, first_line) -> (docs, messages, errors):
 * the lines of data (a block of a JSONL file cut at line ends, its first
 * line numbered first_line) read by the CLI's rules (src/cli/jsonl.c). */
PyObject *ndpy_jsonl_block(PyObject *self, PyObject *args)
{
    (void)self;
    Py_buffer data;
    const char *input, *path; /* bytes, as the file system names them */
    Py_ssize_t first;
    if (!PyArg_ParseTuple(args, "y*yyn:_jsonl_block", &data, &input, &path, &first)) return NULL;
    ndpy_block b = { PyList_New(0), 0 };
    PyObject *docs = PyList_New(0);
    cli_jsonl j;
    cli_jsonl_init(&j, NULL, ndpy_block_err, &b);
    const char *s = data.buf, *end = s + data.len;
    size_t lineno = first > 0 ? (size_t)first : 1;
    while (docs && b.messages && !b.failed && s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t len = (size_t)((nl ? nl : end) - s);
        cli_doc d;
        if (cli_jsonl_line(&j, input, path, s, len, lineno++, &d)) {
            PyObject *o = ndpy_block_doc(&d);
            if (!o || PyList_Append(docs, o)) b.failed = 1;
            Py_XDECREF(o);
        }
        s += len + (nl != NULL);
    }
    long errors = j.errors;
    cli_jsonl_free(&j);
    PyBuffer_Release(&data);
    if (!docs || !b.messages || b.failed || PyErr_Occurred()) {
        Py_XDECREF(docs);
        Py_XDECREF(b.messages);
        return PyErr_Occurred() ? NULL : PyErr_NoMemory();
    }
    return Py_BuildValue("(NNl)", docs, b.messages, errors);
}
