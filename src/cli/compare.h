/*
 * `neardup compare`: the documents of store B that copy documents of store
 * A, in one place for the CLI (store_cmd.c) and the Python package's
 * Store.compare, so that both give the same pairs.
 */
#ifndef ND_CLI_COMPARE_H
#define ND_CLI_COMPARE_H

#include "neardup.h"

/* One pair: a document of A and one of B (records valid during the call). */
typedef struct cli_pair {
    const nd_store_record *a, *b;
    double similarity;  /* B's verdict, or the two content signatures' estimate */
    double containment; /* when `copy` */
    int copy;           /* 1: B's document names A's as duplicate_of ("copy");
                           0: they share a cluster through other copies ("cluster") */
} cli_pair;

/* @return 0 to go on, anything else to stop (returned by cli_compare_stores). */
typedef int (*cli_pair_fn)(const cli_pair *pair, void *payload);

/*! cli_compare_stores() :
 *  Loads every document of a, then of b, into c (empty, made with a ctx of
 *  the stores' signature parameters: compatible stores, nd_store_compatible),
 *  judges them (nd_corpus_finish), then calls fn for each document of B that
 *  copies one of A or shares its cluster, in B's order. a and b are distinct
 *  handles. @return ND_OK, a library error (*out_failed then names the store
 *  whose nd_store_errmsg() tells it, or is NULL), or fn's nonzero return. */
int cli_compare_stores(nd_corpus *c, nd_store *a, nd_store *b, cli_pair_fn fn, void *payload,
                       const nd_store **out_failed);

#endif
