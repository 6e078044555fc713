/*
 * What a run remembers of its crawled documents (WARC records): URL,
 * WARC-Record-ID, file and offset, keyed by the document's id (unique in a
 * run). A collection keeps only ids and sources, so `scan --json` reports
 * these fields, and `filter` finds the records of dropped copies, from here.
 * About 80 bytes per document plus its id, URL and record id.
 */
#ifndef ND_CLI_CRAWL_H
#define ND_CLI_CRAWL_H

#include <stddef.h>
#include <stdint.h>
#include "input.h"
#include "json.h"

typedef struct cli_crawl_entry {
    size_t id, id_len, url, url_len, rid, rid_len; /* offsets in bytes */
    size_t path;                                   /* index in paths */
    uint64_t offset;
    const char *key; /* the id's bytes, set for sorting */
} cli_crawl_entry;

typedef struct cli_crawl {
    cli_buf bytes;
    cli_crawl_entry *e;
    size_t n, cap;
    char **paths;
    size_t npaths, paths_cap;
    int sorted;
    int failed; /* out of memory: some documents are missing */
} cli_crawl;

#define CLI_CRAWL_INIT { CLI_BUF_INIT, NULL, 0, 0, NULL, 0, 0, 0, 0 }

/* Remembers d when it comes from a WARC record (d->has_warc); else nothing.
 * Out of memory sets c->failed. */
void cli_crawl_add(cli_crawl *c, const cli_doc *d);

/* Sorts the entries by id once nothing more is added; cli_crawl_fill does
 * it on its first call. After it, cli_crawl_fill only reads c, so threads
 * may call it at once. */
void cli_crawl_seal(cli_crawl *c);

/* Fills d's url, has_warc, warc_record_id, warc_offset and path from the
 * entry of d->id, if any. Pointers stay valid while c lives and nothing is
 * added. @return the entry or NULL. */
const cli_crawl_entry *cli_crawl_fill(cli_crawl *c, cli_doc *d);

void cli_crawl_free(cli_crawl *c);

#endif
