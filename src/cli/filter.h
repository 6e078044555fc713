/*
 * `neardup filter`: a WARC crawl written again without the records of the
 * documents to drop (copies that are not their cluster's representative).
 *
 * Policy. A document's own record (response or conversion) is dropped, and
 * so are the request, metadata and revisit records tied to it: those whose
 * WARC-Record-ID one of its WARC-Concurrent-To names (a request written
 * before its response), and those whose WARC-Concurrent-To or
 * WARC-Refers-To names its WARC-Record-ID. Records are never tied by
 * WARC-Target-URI alone: the same URI fetched twice may be one kept page and
 * one dropped copy. Every other record is written byte for byte: a gzip
 * member as it was in the input, or a record of a plain WARC compressed
 * alone into one member. A gzip member holding several records is written
 * whole unless all of them are dropped. Malformed records (reported while
 * reading) and the bytes around them are left out.
 */
#ifndef ND_CLI_FILTER_H
#define ND_CLI_FILTER_H

#include <stddef.h>
#include "neardup.h"
#include "crawl.h"

/* Every INPUT must be a regular file holding WARC data. @return 0, or -1
 * after printing which one is not. */
int cli_filter_check(char *const *inputs, size_t n);

/* Writes the inputs (in order) into out, leaving out what the finished
 * collection c says to drop (see above); crawl holds the documents' WARC
 * fields. Prints a summary to stderr unless quiet. @return 0, or -1 after
 * printing why (out is then not created). */
int cli_filter_write(const nd_corpus *c, cli_crawl *crawl, char *const *inputs, size_t n,
                     const char *out, int quiet);

#endif
