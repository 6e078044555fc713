/*
 * neardup._neardup: the CPython extension over the public C API.
 *
 * Written against the C API of Debian's python3-dev rather than cffi: no
 * extra dependency (cffi is a package of its own), and the GIL is released
 * around the work that takes time (analysis, a collection's passes, loading
 * a store), so that Python threads run meanwhile.
 *
 * Every handle a Python object owns (Stream, Store) is used by one thread at
 * a time: the GIL is released during a call, so each object carries a `busy`
 * flag, set and tested with the GIL held, that refuses a second thread.
 */
#ifndef NDPY_H
#define NDPY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include "neardup.h"
#include "report.h" /* the CLI's view of a verdict: one definition of the records */
#include "ids.h"    /* the CLI's rule for repeated ids */
#include "compare.h" /* the pairs of two stores, as `neardup compare` */
#include "rewrite.h" /* merge and prune, as the CLI's */
#include "jsonl.h"   /* JSONL lines, as the CLI reads them (neardup.dask) */

/* Module state: no global mutable state, as in the library. */
typedef struct ndpy_state {
    PyObject *error;        /* neardup.Error */
    PyObject *stream_type;
    PyObject *store_type;
} ndpy_state;

extern PyModuleDef ndpy_module;

ndpy_state *ndpy_state_of_type(PyTypeObject *t);

/* Raises neardup.Error(message) with .code = code; message NULL or "" is
 * nd_strerror(code). Always returns NULL. */
PyObject *ndpy_raise(ndpy_state *st, int code, const char *message);

/* ---- options ------------------------------------------------------------ */

/* Applies the options of kwargs (the CLI's long options, with '_' for '-')
 * over *p. Names listed in `extra` (NULL-terminated) are not parameters:
 * their values go to extra_out[i] (borrowed; NULL when absent). An unknown
 * name is a TypeError; a value of the wrong type a TypeError or ValueError.
 * @return 0 or -1 with an exception set. */
int ndpy_params(PyObject *kwargs, nd_params *p, const char *const *extra, PyObject **extra_out);

/* A context for *p; a bad parameter raises neardup.Error with the message of
 * nd_ctx_create2 ("num_perm: must be in 1..1024 (got 0)"). */
nd_ctx *ndpy_ctx(ndpy_state *st, const nd_params *p);

/* An unsigned option value (None -> dflt). @return 0 or -1 (exception). */
int ndpy_unsigned(PyObject *v, const char *name, unsigned long long max, unsigned long long dflt,
                  unsigned long long *out);

/* ---- documents ---------------------------------------------------------- */

/* One input document, as the library takes it. */
typedef struct ndpy_doc {
    PyObject *id;      /* bytes (UTF-8) */
    PyObject *source;  /* bytes */
    PyObject *text;    /* bytes */
    int text_was_str;  /* clean() gives back what it was given */
    int has_date;
    int64_t date;
} ndpy_doc;

typedef struct ndpy_docs {
    ndpy_doc *v;
    size_t n, cap;
} ndpy_docs;

/* Reads a mapping with id, text and optional source, url, date (the CLI's
 * JSONL fields and precedence). `index` names it in messages.
 * @return 0 or -1 with an exception set (d holds nothing then). */
int ndpy_doc_from(PyObject *obj, Py_ssize_t index, ndpy_doc *d);
void ndpy_doc_clear(ndpy_doc *d);
/* Makes d's id unique among the documents given to `ids` (the CLI's rule,
 * src/cli/ids.h: a repeat becomes "ID#N"), warning (UserWarning) about a
 * repeat; `index` is d's position in the input. @return 0 or -1 (exception,
 * e.g. a warning turned into an error). */
int ndpy_doc_unique(cli_ids *ids, ndpy_doc *d, Py_ssize_t index);
/* Every document of an iterable, ids made unique (ndpy_doc_unique).
 * @return 0 or -1 (exception; out emptied). */
int ndpy_docs_collect(PyObject *iterable, ndpy_docs *out);
void ndpy_docs_clear(ndpy_docs *docs);

/* A str of the bytes (UTF-8; invalid bytes kept as surrogate escapes). */
PyObject *ndpy_str(const char *s, size_t n);

/* ---- records (docs/JSON.md `doc` and `para` objects) ------------------- */

PyObject *ndpy_doc_record(const char *id, size_t id_len, const char *src, size_t src_len,
                          const cli_view *v);
PyObject *ndpy_para_record(const char *id, size_t id_len, size_t i, const nd_para_info *p,
                           const char *of_id, size_t of_len);
/* A `pair` record of Store.compare (`neardup compare --json`). */
PyObject *ndpy_pair_record(const cli_pair *p);
/* Appends the doc record and the para records of document i of a finished
 * collection to list. @return 0 or -1. */
int ndpy_corpus_records(PyObject *list, const nd_corpus *c, size_t i, int has_site);

/* Analyzes d into doc with the GIL released, adds it to c (and its date).
 * Raises neardup.Error naming the document on failure. @return 0 or -1. */
int ndpy_corpus_add(ndpy_state *st, nd_corpus *c, nd_doc *doc, const ndpy_doc *d);

/* ---- signed documents (signed.c, for neardup.dask) ---------------------- */
PyObject *ndpy_sign_docs(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ndpy_unique_ids(PyObject *self, PyObject *ids);
PyObject *ndpy_jsonl_block(PyObject *self, PyObject *args);
PyObject *ndpy_judge(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ndpy_judge_lines(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ndpy_shard_keys(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ndpy_split_pairs(PyObject *self, PyObject *args);
PyObject *ndpy_links(PyObject *self, PyObject *pairs);
/* The paragraphs of signed document t (a tuple of _sign), as the library
 * takes them: *out (PyMem_Free it) points into t's bytes, which t keeps
 * alive; `index` names it in messages. @return 0 or -1 (exception). */
int ndpy_unpack_signed(size_t k, PyObject *t, Py_ssize_t index, PyObject **id, PyObject **src, PyObject **date,
                       nd_para_sig **out, size_t *count);
/* The bucket range of a bucket (shuffle.c). */
size_t ndpy_range_of(uint64_t bucket, size_t shards);
/* LSD radix sort of key[0..n) carrying val[] (may be NULL), stable; tmp_*
 * hold n entries, count NDPY_DIGITS * NDPY_BINS. @return where the sorted
 * keys are (key or tmp_key; *val_out the values'). (shuffle.c) */
#define NDPY_DIGITS 8
#define NDPY_BINS 256u
uint64_t *ndpy_radix(uint64_t *key, uint32_t *val, uint64_t *tmp_key, uint32_t *tmp_val, size_t n, size_t *count,
                     uint32_t **val_out);
/* ---- the staged passes (staged.c, docs/DISTRIBUTED.md section 1) -------- */
/* The paragraphs of a partition's signed documents, unpacked once. */
typedef struct ndpy_part {
    PyObject *seq;            /* the list, held */
    nd_para_sig **paras;      /* per document */
    size_t *count, *para0;    /* per document: paragraphs, first (in the partition); para0[ndocs] = npara */
    PyObject **src;           /* per document: its source (borrowed from seq) */
    size_t ndocs, npara;
} ndpy_part;
/* @return 0, or -1 (exception; nothing held). */
int ndpy_part_load(ndpy_part *pt, PyObject *signed_docs, size_t k);
void ndpy_part_clear(ndpy_part *pt);
/* The document holding the partition's paragraph j. */
size_t ndpy_part_doc(const ndpy_part *pt, size_t j);
/* A C-contiguous view of obj as values of `size` bytes (1, 2, 4 or 8),
 * aligned for them (copied when it is not). @return 0, or -1 (exception;
 * nothing held). */
int ndpy_aligned_view(PyObject *obj, Py_buffer *v, size_t size, const char *what);
/* Where x is in sorted v[0..n), or n. */
size_t ndpy_find_u32(const uint32_t *v, size_t n, uint32_t x);
PyObject *ndpy_para_count(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ndpy_para_keys(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ndpy_chain_candidates(PyObject *self, PyObject *args);
PyObject *ndpy_para_sigs(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ndpy_family_links(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ndpy_chase(PyObject *self, PyObject *links);
PyObject *ndpy_chain_limits(PyObject *self, PyObject *unused);
PyObject *ndpy_trim(PyObject *self, PyObject *unused);
PyObject *ndpy_families_of(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ndpy_site_edges(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ndpy_site_peers(PyObject *self, PyObject *pieces);
PyObject *ndpy_page_seqs(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ndpy_site_links(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ndpy_sites_of(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ndpy_docs_of(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ndpy_settings(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ndpy_site_limits(PyObject *self, PyObject *unused);
/* ---- the staged copy pass (staged_copy.c) ---- */
PyObject *ndpy_copy_prep(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ndpy_page_sigs(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ndpy_same_pages(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ndpy_para_info(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ndpy_copy_touches(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ndpy_doc_contents(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ndpy_doc_paras(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ndpy_copy_judge(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ndpy_stories(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ndpy_staged_lines(PyObject *self, PyObject *args, PyObject *kwargs);

/* ---- stores rewritten (objects.c) ---------------------------------------- */
PyObject *ndpy_merge(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ndpy_prune(PyObject *self, PyObject *args, PyObject *kwargs);

/* ---- types -------------------------------------------------------------- */
extern PyType_Spec ndpy_stream_spec;
extern PyType_Spec ndpy_store_spec;

#endif
