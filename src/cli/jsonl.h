/*
 * One JSONL line into a document, by the CLI's rules: which fields are read
 * (id, text, source, url, date, or the names given in cli_input_opts), how
 * each is decoded, what a missing or mistyped field becomes, and what is
 * reported about it. The CLI's reader (input.c) and the Python package's
 * block reader (python/src, for neardup.dask) both parse lines here, so a
 * line gives the same document, the same id and source, and the same
 * messages in both.
 */
#ifndef ND_CLI_JSONL_H
#define ND_CLI_JSONL_H

#include <stddef.h>
#include "input.h"
#include "json.h"

typedef struct cli_jsonl {
    cli_input_opts opts;  /* every field name set (cli_jsonl_init) */
    size_t id_len, text_len, source_len, url_len, date_len; /* of the field names */
    cli_buf text, id, source, meta, url; /* decoded values, reused line after line */
    cli_err_fn err;       /* problems, as for cli_inputs_read(); may be NULL */
    void *payload;
    long errors;          /* problems reported as CLI_ERROR (the line was skipped), for
                             callers that keep no count of their own */
} cli_jsonl;

/* opts' field names must outlive j (NULL names take the defaults: "id",
 * "text", "source", "url", "date"). */
void cli_jsonl_init(cli_jsonl *j, const cli_input_opts *opts, cli_err_fn err, void *payload);

/* Parses one line (without its '\n'; a trailing '\r' is dropped) of `path`,
 * read from INPUT `input`, numbered lineno from 1. @return 1 when *doc is a
 * document (its strings valid until the next call), 0 when the line was
 * blank or was reported and skipped. doc->seq is left 0: ids are not made
 * unique here (cli_ids, over a whole run). */
int cli_jsonl_line(cli_jsonl *j, const char *input, const char *path, const char *line, size_t len,
                   size_t lineno, cli_doc *doc);

/* A space, tab, CR or LF: what may surround a JSON value. */
int cli_jsonl_blank(unsigned char c);

/* Frees the decoded values' buffers. */
void cli_jsonl_free(cli_jsonl *j);

#endif
