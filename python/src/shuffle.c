/*
 * The bucket stages of neardup.dask (docs/DISTRIBUTED.md, stages 2 and 3):
 * a partition's (bucket, document) pairs split by bucket range, and a
 * range's links from each document holding a bucket to the first document
 * holding it.
 *
 * They were NumPy sorts (argsort of 21 million pairs on the news corpus,
 * 6 s of a 17 s run on one worker); here they are counting and radix sorts
 * over plain arrays (the links' sorts with the GIL released). The results
 * are the same arrays: pairs in document order within each range, links
 * sorted and unique.
 */
#include <string.h>
#include "ndpy.h"

/* The range of a bucket: a hash of its value, so that every partition
 * sends a bucket to the same range (tests/python/test_dask.py repeats it
 * in NumPy as the reference). */
size_t ndpy_range_of(uint64_t bucket, size_t shards)
{
    return (size_t)(((bucket * 0x9E3779B97F4A7C15ull) >> 40) % shards);
}

/* ---- radix sort ---------------------------------------------------------- */


/* Sorts key[0..n) (carrying val[] along when given) by least significant
 * byte first: the counts of all eight bytes in one pass, then one stable
 * scatter per byte, skipped for a byte every key shares (buckets hold
 * their kind and band in the top half, mostly constant; document numbers
 * rarely use all 32 bits). tmp_key and tmp_val hold n entries; count
 * NDPY_DIGITS * NDPY_BINS. @return the array the sorted keys are in (key or
 * tmp_key; *val_out the values' matching one). */
uint64_t *ndpy_radix(uint64_t *key, uint32_t *val, uint64_t *tmp_key, uint32_t *tmp_val, size_t n,
                            size_t *count, uint32_t **val_out)
{
    memset(count, 0, NDPY_DIGITS * NDPY_BINS * sizeof *count);
    for (size_t i = 0; i < n; i++)
        for (unsigned d = 0; d < NDPY_DIGITS; d++) count[d * NDPY_BINS + ((key[i] >> (8 * d)) & 0xFF)]++;
    for (unsigned d = 0; d < NDPY_DIGITS; d++) {
        size_t *c = count + d * NDPY_BINS;
        const unsigned shift = 8 * d;
        if (!n || c[(key[0] >> shift) & 0xFF] == n) continue; /* one value: order kept */
        size_t at = 0;
        for (unsigned b = 0; b < NDPY_BINS; b++) {
            size_t x = c[b];
            c[b] = at;
            at += x;
        }
        for (size_t i = 0; i < n; i++) {
            size_t to = c[(key[i] >> shift) & 0xFF]++;
            tmp_key[to] = key[i];
            if (val) tmp_val[to] = val[i];
        }
        uint64_t *k = key;
        key = tmp_key;
        tmp_key = k;
        uint32_t *v = val;
        val = tmp_val;
        tmp_val = v;
    }
    if (val_out) *val_out = val;
    return key;
}

/* ---- pairs --------------------------------------------------------------- */

/* A contiguous buffer of native uint64 values. @return 0 or -1. */
static int ndpy_u64_view(PyObject *obj, Py_buffer *view, const char *what)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS) < 0) return -1;
    if (view->len % 8) {
        PyBuffer_Release(view);
        PyErr_Format(PyExc_ValueError, "%s: not an array of 64-bit values", what);
        return -1;
    }
    return 0;
}

/* _split_pairs(keys, first, shards, kinds) -> per range (buckets, documents):
 * keys is the list _shard_keys gives (per document, bytes of uint64
 * buckets), first the collection-wide number of its first document, kinds
 * a bit mask of the bucket kinds kept (bit k for kind k, the top byte). A
 * range's buckets are bytes of uint64, its documents bytes of uint32 (a
 * quarter of what the shuffle moves), in document order. */
PyObject *ndpy_split_pairs(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *keys, *first_obj, *shards_obj, *kinds_obj, *out = NULL;
    if (!PyArg_ParseTuple(args, "OOOO:_split_pairs", &keys, &first_obj, &shards_obj, &kinds_obj)) return NULL;
    if (!PyList_Check(keys)) return PyErr_Format(PyExc_TypeError, "_split_pairs: keys must be a list");
    /* unsigned conversions: a negative number is an error, not a huge one */
    const unsigned long long first = PyLong_AsUnsignedLongLong(first_obj);
    const unsigned long long shards = PyErr_Occurred() ? 0 : PyLong_AsUnsignedLongLong(shards_obj);
    const unsigned long long kinds = PyErr_Occurred() ? 0 : PyLong_AsUnsignedLongLong(kinds_obj);
    if (PyErr_Occurred()) return NULL;
    if (shards < 1 || shards > ((size_t)1 << 30)) return PyErr_Format(PyExc_ValueError, "shards must be in 1..2^30");
    const Py_ssize_t ndocs = PyList_GET_SIZE(keys);
    if (first > ((unsigned long long)1 << 32) - (unsigned long long)ndocs)
        return PyErr_Format(PyExc_ValueError, "neardup.dask.scan takes at most 2^32 documents");
    size_t *count = PyMem_Calloc((size_t)shards + 1, sizeof *count);
    PyObject **bk = PyMem_Calloc((size_t)shards, sizeof *bk), **dc = PyMem_Calloc((size_t)shards, sizeof *dc);
    if (!count || !bk || !dc) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < ndocs; i++) { /* counts per range */
        PyObject *b = PyList_GET_ITEM(keys, i);
        if (!PyBytes_Check(b) || PyBytes_GET_SIZE(b) % 8) {
            PyErr_Format(PyExc_TypeError, "_split_pairs: keys[%zd] is not bytes of uint64", i);
            goto done;
        }
        const char *p = PyBytes_AS_STRING(b);
        for (Py_ssize_t j = 0; j < PyBytes_GET_SIZE(b); j += 8) {
            uint64_t v;
            memcpy(&v, p + j, 8);
            if ((v >> 56) < 64 && (kinds >> (v >> 56) & 1)) count[ndpy_range_of(v, (size_t)shards)]++;
        }
    }
    for (size_t r = 0; r < shards; r++) {
        bk[r] = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(count[r] * 8));
        dc[r] = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(count[r] * 4));
        if (!bk[r] || !dc[r]) goto done;
        count[r] = 0;
    }
    for (Py_ssize_t i = 0; i < ndocs; i++) { /* the pairs, in document order per range */
        PyObject *b = PyList_GET_ITEM(keys, i);
        const char *p = PyBytes_AS_STRING(b);
        const uint32_t doc = (uint32_t)(first + (uint64_t)i);
        for (Py_ssize_t j = 0; j < PyBytes_GET_SIZE(b); j += 8) {
            uint64_t v;
            memcpy(&v, p + j, 8);
            if ((v >> 56) >= 64 || !(kinds >> (v >> 56) & 1)) continue;
            size_t r = ndpy_range_of(v, (size_t)shards), at = count[r]++;
            memcpy(PyBytes_AS_STRING(bk[r]) + at * 8, &v, 8);
            memcpy(PyBytes_AS_STRING(dc[r]) + at * 4, &doc, 4);
        }
    }
    out = PyList_New((Py_ssize_t)shards);
    for (size_t r = 0; out && r < shards; r++) {
        PyObject *t = PyTuple_Pack(2, bk[r], dc[r]);
        if (!t) Py_CLEAR(out);
        else PyList_SET_ITEM(out, (Py_ssize_t)r, t);
    }
done:
    for (size_t r = 0; bk && dc && r < shards; r++) {
        Py_XDECREF(bk[r]);
        Py_XDECREF(dc[r]);
    }
    PyMem_Free(bk);
    PyMem_Free(dc);
    PyMem_Free(count);
    return out;
}

/* ---- links --------------------------------------------------------------- */

/* The links of n pairs sorted by bucket (doc[] alongside): per run of one
 * bucket, (first << 32 | doc) for each doc but the run's smallest. Written
 * to out. @return how many. */
static size_t ndpy_run_links(const uint64_t *bucket, const uint32_t *doc, size_t n, uint64_t *out)
{
    size_t m = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        uint32_t low = doc[i];
        for (; j < n && bucket[j] == bucket[i]; j++) low = doc[j] < low ? doc[j] : low;
        for (size_t x = i; x < j; x++)
            if (doc[x] != low) out[m++] = (uint64_t)low << 32 | doc[x];
        i = j;
    }
    return m;
}

/* Whether a buffer holds native unsigned integers of 4 or 8 bytes (the
 * document numbers of a range: NumPy's uint32 or uint64). */
static int ndpy_is_doc_array(const Py_buffer *v)
{
    const char *f = v->format ? v->format : "B";
    if (*f == '@' || *f == '=' || (*f == '<' && PY_LITTLE_ENDIAN)) f++;
    if (f[0] == '\0' || f[1] != '\0') return 0;
    return (v->itemsize == 4 && (*f == 'I' || (*f == 'L' && sizeof(long) == 4))) ||
           (v->itemsize == 8 && (*f == 'Q' || (*f == 'L' && sizeof(long) == 8)));
}

/* The links of n pairs (views: per part, buckets then documents): copied
 * into plain arrays, sorted, linked, sorted again and made unique, with
 * the GIL released. @return bytes, or NULL with an exception set. */
static PyObject *ndpy_links_of(const Py_buffer *views, Py_ssize_t np, size_t n)
{
    uint64_t *key = PyMem_Malloc((n ? n : 1) * 8), *tkey = PyMem_Malloc((n ? n : 1) * 8);
    uint32_t *doc = PyMem_Malloc((n ? n : 1) * 4), *tdoc = PyMem_Malloc((n ? n : 1) * 4);
    size_t *count = PyMem_Malloc(NDPY_DIGITS * NDPY_BINS * sizeof *count);
    PyObject *out = NULL;
    int bad = 0;
    if (!key || !tkey || !doc || !tdoc || !count) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t p = 0, at = 0; p < np; p++) {
        const size_t m = (size_t)views[2 * p].len / 8;
        const char *d = views[2 * p + 1].buf;
        memcpy(key + at, views[2 * p].buf, m * 8);
        if (views[2 * p + 1].itemsize == 8) {
            for (size_t i = 0; i < m; i++) {
                uint64_t v;
                memcpy(&v, d + i * 8, 8);
                bad |= v > UINT32_MAX;
                doc[at + i] = (uint32_t)v;
            }
        } else {
            memcpy(doc + at, d, m * 4);
        }
        at += (Py_ssize_t)m;
    }
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "_links: a document number past 2^32");
        goto done;
    }
    size_t m;
    uint64_t *links;
    Py_BEGIN_ALLOW_THREADS
    uint32_t *sdoc;
    uint64_t *sorted = ndpy_radix(key, doc, tkey, tdoc, n, count, &sdoc);
    uint64_t *free_buf = sorted == key ? tkey : key;
    m = ndpy_run_links(sorted, sdoc, n, free_buf);
    links = ndpy_radix(free_buf, NULL, sorted, NULL, m, count, NULL);
    size_t u = 0;
    for (size_t i = 0; i < m; i++)
        if (!u || links[i] != links[u - 1]) links[u++] = links[i];
    m = u;
    Py_END_ALLOW_THREADS
    out = PyBytes_FromStringAndSize((const char *)links, (Py_ssize_t)(m * 8));
done:
    PyMem_Free(key);
    PyMem_Free(tkey);
    PyMem_Free(doc);
    PyMem_Free(tdoc);
    PyMem_Free(count);
    return out;
}

/* _links(pairs) -> bytes of sorted unique uint64 links (first << 32 | doc):
 * pairs is a list of (buckets, documents) tuples (one range's pairs from
 * every partition), buckets a buffer of uint64, documents an array of as
 * many uint32 or uint64. */
PyObject *ndpy_links(PyObject *self, PyObject *pairs)
{
    (void)self;
    PyObject *seq = PySequence_Fast(pairs, "_links: pairs must be a list");
    if (!seq) return NULL;
    const Py_ssize_t np = PySequence_Fast_GET_SIZE(seq);
    Py_buffer *views = PyMem_Calloc((size_t)(np ? np : 1) * 2, sizeof *views);
    PyObject *out = NULL;
    Py_ssize_t held = 0;
    size_t n = 0;
    if (!views) PyErr_NoMemory();
    for (; views && held < np; held++) {
        PyObject *t = PySequence_Fast_GET_ITEM(seq, held), *b, *d;
        if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 2) {
            PyErr_SetString(PyExc_TypeError, "_links: each pair must be a (buckets, documents) tuple");
            break;
        }
        b = PyTuple_GET_ITEM(t, 0);
        d = PyTuple_GET_ITEM(t, 1);
        if (ndpy_u64_view(b, &views[2 * held], "buckets")) break;
        if (PyObject_GetBuffer(d, &views[2 * held + 1], PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
            PyBuffer_Release(&views[2 * held]);
            break;
        }
        const Py_buffer *dv = &views[2 * held + 1];
        if (!ndpy_is_doc_array(dv) || dv->len / dv->itemsize != views[2 * held].len / 8) {
            PyBuffer_Release(&views[2 * held]);
            PyBuffer_Release(&views[2 * held + 1]);
            PyErr_SetString(PyExc_ValueError, "_links: documents must be an array of uint32 or uint64 as long as "
                                              "the buckets");
            break;
        }
        n += (size_t)views[2 * held].len / 8;
    }
    if (!PyErr_Occurred()) out = ndpy_links_of(views, np, n);
    for (Py_ssize_t p = 0; p < held; p++) {
        PyBuffer_Release(&views[2 * p]);
        PyBuffer_Release(&views[2 * p + 1]);
    }
    PyMem_Free(views);
    Py_DECREF(seq);
    return out;
}
