/*
 * WARC 1.0/1.1 input (crawls and their WET text extracts).
 *
 * A WARC file is a sequence of records, each a header ("WARC/1.x" line,
 * "Name: value" lines, a blank line), a block of Content-Length bytes and
 * CRLF CRLF. A `.warc.gz` holds one gzip member per record; the file is
 * recognised by its content (gzip magic, then "WARC/1." once inflated, or
 * "WARC/1." at once), whatever its name.
 *
 * Two layers:
 * - cli_warc_next() walks the records of one file, streaming: memory is a
 *   record header (at most CLI_WARC_MAX_HEADER) plus its block (at most
 *   CLI_WARC_MAX_BLOCK; larger blocks are read through and reported without
 *   their bytes), whatever the file size. A malformed record (bad header
 *   line, a Content-Length that does not end the record, a gzip member cut
 *   short or corrupt) is reported with its offset, and reading resumes at
 *   the next gzip member or, in a plain file, the next line starting with
 *   "WARC/1.". The file descriptor must be seekable (a regular file).
 * - cli_warc_read() turns the records into documents (cli_doc): `response`
 *   records with status 200 and an HTML payload (Content-Type text/html or
 *   application/xhtml+xml; sniffed from the payload when absent), after
 *   undoing chunked transfer coding and gzip/deflate content coding, and
 *   `conversion` records (WET text). Everything else is counted, and the
 *   counts are reported at the end of the file.
 *
 * Nothing here prints: problems go to a cli_err_fn.
 */
#ifndef ND_CLI_WARC_H
#define ND_CLI_WARC_H

#include <stddef.h>
#include <stdint.h>
#include "input.h"
#include "json.h"

/* Record blocks larger than this are skipped with a warning: a page of
 * 16 MiB is far beyond any real one (Common Crawl cuts at 1 MiB), and the
 * cap bounds memory. Decoded HTTP bodies have the same cap. */
#define CLI_WARC_MAX_BLOCK ((size_t)16 << 20)
#define CLI_WARC_MAX_HEADER ((size_t)64 << 10)
#define CLI_WARC_MAX_LINKS 4 /* WARC-Concurrent-To values kept per record */

/* A piece of a buffer, not NUL-terminated; p is NULL when absent. */
typedef struct cli_str {
    const char *p;
    size_t n;
} cli_str;

typedef enum cli_warc_type {
    CLI_WARC_OTHER = 0, CLI_WARC_WARCINFO, CLI_WARC_RESPONSE, CLI_WARC_RESOURCE,
    CLI_WARC_REQUEST, CLI_WARC_METADATA, CLI_WARC_REVISIT, CLI_WARC_CONVERSION,
    CLI_WARC_CONTINUATION
} cli_warc_type;

typedef struct cli_warc_header {
    cli_warc_type type;
    cli_str type_name, target_uri, record_id, date, content_type, refers_to;
    cli_str concurrent_to[CLI_WARC_MAX_LINKS];
    size_t nconcurrent;
    uint64_t content_length;
} cli_warc_header;

/* Parses a record header: s[0..n) runs from "WARC/1." to the CRLF ending
 * its last field (the blank line excluded). Field names are matched without
 * regard to case; folded (continued) lines are accepted; a WARC-Target-URI
 * in angle brackets loses them. WARC-Type and a decimal Content-Length are
 * required. @return 0, or -1 with why[] saying what is wrong. */
int cli_warc_parse_header(const char *s, size_t n, cli_warc_header *out, char *why,
                          size_t why_size);

/* ---- HTTP responses ------------------------------------------------------ */

enum { CLI_HTTP_IDENTITY = 0, CLI_HTTP_GZIP, CLI_HTTP_DEFLATE, CLI_HTTP_OTHER };

typedef struct cli_http {
    int status;
    size_t body;              /* offset of the body in the block */
    cli_str media_type;       /* Content-Type without parameters; p NULL when absent */
    cli_str charset;          /* its charset parameter, unquoted; p NULL when absent */
    int chunked;              /* Transfer-Encoding ends in chunked */
    int encoding;             /* Content-Encoding: CLI_HTTP_* */
    cli_str encoding_name;    /* as written, when CLI_HTTP_OTHER */
} cli_http;

/* Parses the status line and headers of a response block (CRLF or bare LF
 * line ends). @return 0, or -1 when it is not an HTTP response. */
int cli_http_parse(const char *s, size_t n, cli_http *out);

/* Undoes chunked transfer coding into out (replacing its contents).
 * @return 0, -1 malformed or cut short, -2 larger than max bytes, -3 out of memory. */
int cli_http_dechunk(const char *s, size_t n, cli_buf *out, size_t max);

/* Decodes a gzip or deflate (zlib-wrapped or raw) content coding.
 * @return 0, -1 corrupt or cut short, -2 larger than max, -3 out of memory. */
int cli_http_decode(const char *s, size_t n, int encoding, cli_buf *out, size_t max);

/* Whether the response is an HTML page: its media type is text/html or
 * application/xhtml+xml, or, without a Content-Type, the body begins (after
 * blanks and a BOM) with "<!doctype html", "<html", "<head", "<body" or an
 * HTML comment followed by one of them (case ignored). */
int cli_http_is_html(const cli_http *h, const char *body, size_t n);

/* ---- Records of one file --------------------------------------------------- */

typedef struct cli_warc cli_warc;

typedef struct cli_warc_record {
    cli_warc_header h;
    const char *block;     /* the block, NULL when oversize */
    size_t block_len;
    int oversize;          /* block larger than CLI_WARC_MAX_BLOCK: read through, not kept */
    uint64_t offset;       /* first byte of the record (of its gzip member when compressed) */
    /* The bytes to copy for the record: its gzip member, or in a plain file
     * the record itself (header to the CRLF CRLF after its block).
     * unit_end is 0 while more records follow in the same gzip member. */
    uint64_t unit_start, unit_end;
} cli_warc_record;

enum { CLI_WARC_EOF = 0, CLI_WARC_RECORD = 1, CLI_WARC_BAD = 2, CLI_WARC_FATAL = -1 };

/* Whether the file open on fd holds WARC data (read with pread, the file
 * position is unchanged). @return 1 WARC, 0 not, and *gz whether gzip. */
int cli_warc_sniff(int fd, int *gz);

/* A reader over fd (a seekable file, not closed here). NULL when out of memory. */
cli_warc *cli_warc_open(int fd, int gz);
void cli_warc_close(cli_warc *w);

/* The next record. @return CLI_WARC_RECORD (*r valid until the next call),
 * CLI_WARC_EOF, CLI_WARC_BAD (a malformed record or gzip member at
 * cli_warc_bad_offset(); cli_warc_message() says why; call again for the
 * next one), or CLI_WARC_FATAL (read error or out of memory; message set). */
int cli_warc_next(cli_warc *w, cli_warc_record *r);
const char *cli_warc_message(const cli_warc *w);
uint64_t cli_warc_bad_offset(const cli_warc *w);

/* ---- Documents ------------------------------------------------------------ */

typedef struct cli_warc_counts {
    size_t records, html, text;        /* records seen; documents delivered */
    size_t non_html, non_200, bad_http, encoding; /* responses skipped */
    size_t revisit, request, metadata, warcinfo, other; /* other records skipped */
    size_t malformed, oversize;
} cli_warc_counts;

typedef struct cli_warc_read_opts {
    const char *input;           /* the INPUT argument (source fallback) */
    const char *path;            /* the file, as named in messages */
    const char *source_override; /* --source, or NULL */
    int id_record;               /* ids are WARC-Record-IDs instead of WARC-Target-URIs */
} cli_warc_read_opts;

/* Called for each document; pointers valid during the call. Non-zero stops. */
typedef int (*cli_warc_doc_fn)(cli_doc *doc, void *payload);

/* Reads the WARC file open on fd (see above), delivering documents and
 * reporting problems (severity CLI_ERROR for malformed records, CLI_WARNING
 * for skipped payloads) with the record's offset, then the counts as one
 * CLI_NOTE. Documents carry url, has_warc, warc_record_id, warc_offset,
 * date (WARC-Date) and, for pages, is_html and charset. The source is the
 * host of the WARC-Target-URI (nd_url_host), else opts->input.
 * @return 0, or -1 when doc asked to stop. */
int cli_warc_read(int fd, int gz, const cli_warc_read_opts *opts, cli_warc_doc_fn doc,
                  cli_err_fn err, void *payload, cli_warc_counts *counts);

#endif
