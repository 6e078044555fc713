/*
 * Parallel first pass: documents are analyzed (segmented, shingled, signed,
 * repeats found) by worker threads in batches, then added to the collection
 * by the calling thread in input order, so the result is the same byte for
 * byte whatever the number of threads. Uses only the public API: an nd_ctx
 * is shared read-only, each worker has its own nd_doc.
 */
#ifndef ND_CLI_PARALLEL_H
#define ND_CLI_PARALLEL_H

#include <stddef.h>
#include "neardup.h"
#include "input.h"
#include "page.h"

typedef struct cli_pool cli_pool;

/* A pool of `threads` workers (>= 2) feeding `corpus`, and `pages` with the
 * hints of the web pages. NULL when out of memory. */
cli_pool *cli_pool_create(const nd_ctx *ctx, nd_corpus *corpus, cli_pages *pages, unsigned threads);

/* Queues one document (its id, source and text are copied); analyzes and
 * adds the batch when it is full. @return 0, or an nd_error of the library
 * (a document the library refused is reported to stderr and left out). */
int cli_pool_push(cli_pool *p, const cli_doc *d);

/* Analyzes and adds what is queued. @return as cli_pool_push. */
int cli_pool_flush(cli_pool *p);

/* Number of documents that could not be analyzed or added. */
size_t cli_pool_failed(const cli_pool *p);

void cli_pool_free(cli_pool *p);

/* Number of online processors, at least 1. */
unsigned cli_cpu_count(void);

#endif
