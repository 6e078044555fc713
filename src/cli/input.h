/*
 * CLI input layer: turns INPUT arguments into a stream of documents.
 *
 * An INPUT is a text file (one document, id = the path as given), a directory
 * (recursed in byte-wise sorted order of entry names; only regular files,
 * symlinks followed once, hidden entries starting with '.' skipped), a
 * `.jsonl` file (one document per line), any of these gzip-compressed (name
 * ends in `.gz`; `.jsonl.gz` is JSONL), or `-` for standard input (read as
 * JSONL when --jsonl/--format says so or when its first non-blank byte is '{',
 * else as one text document with id "-").
 *
 * Details:
 * - Files in a directory get the id DIR/NAME (no doubled '/' when the INPUT
 *   ends in one). Symlinks to files and to directories are followed; a
 *   directory that is already being walked (a symlink loop) is skipped with
 *   a warning, and nesting is capped at 64 levels. Entries that are neither
 *   files nor directories (FIFOs, sockets, devices) are skipped with a
 *   warning, since opening them could block; an INPUT argument naming one
 *   (a FIFO, /dev/stdin) is read.
 * - Files named *.html or *.htm (also .gz, any case) are web pages: one
 *   document each with is_html set, its text the file's bytes. With
 *   html_field, JSONL lines are web pages too, the HTML in that field.
 * - Decompression goes by content, not name (zlib's gzread): gzip data is
 *   decompressed whatever the file is called, anything else read as is. The
 *   name only decides JSONL: it ends in `.jsonl` or `.jsonl.gz`.
 * - A JSONL line is one JSON object (RFC 8259, validated); a UTF-8 BOM on the
 *   first line and a '\r' before the '\n' are ignored. Blank lines are
 *   skipped silently. An id that is a string is unescaped; a number is passed
 *   as its literal text; missing or of another type, "<path>:<line>" is used
 *   with a warning. A `source` that is null or missing falls back silently.
 * - Ids are unique within one cli_inputs_read() pass: a document whose id was
 *   already delivered gets the first unused "ID#N" (N >= 2) instead, with a
 *   warning naming the file (and line) of the first; a replay gives the same
 *   ids. Every id of the pass is kept in memory (its bytes and ~56 more).
 *
 * - A regular file whose content is WARC (plain, or gzip member per record;
 *   see warc.h) is read record by record: HTML pages and WET text become
 *   documents, with url, has_warc, warc_record_id, warc_offset and date set.
 *   WARC on standard input or a FIFO is not recognised, nor in a file whose
 *   name says JSONL (.jsonl, .jsonl.gz) or with force_jsonl.
 *
 * Errors are reported through the callback with the input's name and, for
 * JSONL, the 1-based line number; the reader then goes on with the next line
 * or file. Nothing here prints.
 */
#ifndef ND_CLI_INPUT_H
#define ND_CLI_INPUT_H

#include <stddef.h>
#include <stdint.h>

/* One document as delivered to the callback. All pointers are valid only
 * during the callback. Strings are not NUL-terminated unless stated. */
typedef struct cli_doc {
    const char *id;      size_t id_len;      /* JSONL id (a number is given as its text), or the path */
    const char *source;  size_t source_len;  /* --source, the JSONL source field, the host of its url
                                                field, or the INPUT argument (in that order) */
    const char *text;    size_t text_len;    /* decoded text (file bytes, or unescaped JSON string) */
    const char *input;                       /* the INPUT argument it came from, NUL-terminated */
    const char *path;                        /* the file it was read from, NUL-terminated ("-" for stdin) */
    size_t line;                             /* JSONL: 1-based line number; 0 for text files */
    int is_jsonl;
    /* JSONL only: the raw line (without its terminator) and where the text
     * field's value (the JSON string, quotes included) sits in it, so that
     * `clean` can write the line back with only that value replaced. */
    const char *raw;     size_t raw_len;
    size_t text_value_off, text_value_len;
    size_t seq;                              /* 0-based position of the document in the whole input */
    int64_t date;                            /* JSONL date field or WARC-Date, seconds since 1970, if has_date */
    int has_date;
    /* Crawled pages. When is_html is set, text holds the HTML payload (after
     * transfer and content decoding, before any charset conversion) and
     * charset the charset named by the HTTP Content-Type header (NULL if
     * none); the consumer extracts the paragraphs. */
    int is_html;
    const char *charset; size_t charset_len;
    const char *url;     size_t url_len;     /* the page's URL (JSONL url field, WARC-Target-URI), or NULL */
    /* WARC records only (has_warc): WARC-Record-ID and the offset of the
     * record's first byte in the file (of its gzip member, when compressed). */
    int has_warc;
    const char *warc_record_id; size_t warc_record_id_len;
    uint64_t warc_offset;
} cli_doc;

typedef struct cli_input_opts {
    const char *id_field;      /* default "id" */
    const char *text_field;    /* default "text" */
    const char *source_field;  /* default "source" */
    const char *source_override; /* --source NAME, or NULL */
    const char *url_field;     /* default "url": its host is the source when there is no source field */
    const char *date_field;    /* default "date": ISO 8601 or Unix seconds */
    const char *html_field;    /* JSONL: this field (in place of the text field) holds a web
                                  page's HTML: documents are is_html; NULL: none */
    int force_jsonl;           /* treat every file and stdin as JSONL */
    int skip_binary;           /* text files holding a NUL byte are reported and skipped */
    int warc_id_record;        /* WARC documents' ids are WARC-Record-IDs, not Target-URIs */
} cli_input_opts;

/* Severity passed to the error callback. A warning leaves the document in
 * the stream (e.g. invalid UTF-8, empty file); an error means the document or
 * line was skipped (unreadable path, malformed JSONL line, binary file). */
enum { CLI_WARNING = 0, CLI_ERROR = 1, CLI_NOTE = 2 }; /* NOTE: a summary (WARC counts), not a problem */

typedef int (*cli_doc_fn)(const cli_doc *doc, void *payload);  /* non-zero stops reading */
/* `input` is the file or directory concerned: the INPUT argument, a path
 * found inside a directory INPUT, or "-". `line` is the 1-based JSONL line,
 * or 0. `message` is plain English without the name, for the caller to
 * print as "input:line: message" (e.g. "expected ',' or '}' at column 31"). */
typedef void (*cli_err_fn)(int severity, const char *input, size_t line,
                           const char *message, void *payload);

typedef struct cli_inputs cli_inputs;

/* Prepares to read the inputs. When `replayable` is set, standard input is
 * spooled to a temporary file on first read so that cli_inputs_read() may run
 * again and deliver the same documents in the same order (two-pass scan).
 * The spool is an unlinked file in $TMPDIR (else /tmp); standard input that
 * is a regular file is rewound instead, and a FIFO given as INPUT is spooled
 * like standard input. A pass that stopped early does not shorten later ones.
 * `count` 0 means standard input alone. `opts` may be NULL (defaults); the
 * strings in `inputs` and `opts` are copied. Returns NULL only when out of
 * memory. */
cli_inputs *cli_inputs_open(char *const *inputs, size_t count, const cli_input_opts *opts,
                            int replayable);

/* Reads every input in order, calling fn for each document and err for each
 * problem (err may be NULL). Returns the number of errors (not warnings)
 * reported, or -1 if fn asked to stop. May be called again when opened
 * replayable; cli_doc.seq restarts at 0 on each call. */
long cli_inputs_read(cli_inputs *in, cli_doc_fn fn, cli_err_fn err, void *payload);

/* Called after each document delivered by cli_inputs_read() with the count
 * of documents and the bytes of their text so far (progress displays). */
typedef void (*cli_progress_fn)(size_t docs, unsigned long long bytes, void *payload);
void cli_inputs_on_progress(cli_inputs *in, cli_progress_fn fn, void *payload);

/* Frees everything and closes any spool. NULL is a no-op. */
void cli_inputs_close(cli_inputs *in);

#endif
