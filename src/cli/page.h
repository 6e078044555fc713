/*
 * Web pages in the CLI: every command that analyzes a document goes through
 * cli_analyze(), so that an HTML page (cli_doc.is_html) is read through the
 * library's HTML extractor (nd_html_parse, then nd_doc_analyze_spans on its
 * paragraphs) wherever text is read through nd_doc_analyze. scan --json
 * reports the pages' structural hints after the whole collection is judged,
 * so they are kept per document (cli_pages), about 32 bytes a paragraph.
 */
#ifndef ND_CLI_PAGE_H
#define ND_CLI_PAGE_H

#include <stddef.h>
#include "neardup.h"
#include "report.h"

/* Analyzes one document into doc: text through nd_doc_analyze(), an HTML
 * payload (is_html; charset from the HTTP header or NULL) through *html,
 * an extractor created on first use (one per thread; the caller frees it).
 * @return an nd_error. */
int cli_analyze(const nd_ctx *ctx, nd_doc *doc, nd_html **html, const char *text, size_t len,
                int is_html, const char *charset, size_t charset_len);

/* The hints of the paragraphs of the last page parsed by h into *buf
 * (grown with realloc; *cap its capacity). @return their count, or
 * (size_t)-1 when out of memory. */
size_t cli_html_hints(const nd_html *h, cli_html_hint **buf, size_t *cap);

/* Whether a paragraph's structure marks it as site chrome (clean
 * --structure): inside a nav, header, footer or aside landmark, or more
 * than half links. Measured in bench/RESULTS.md ("Web pages"). */
int cli_hint_is_chrome(const cli_html_hint *h);

/* The hints of the pages of a run, by document index. */
typedef struct cli_pages cli_pages;
cli_pages *cli_pages_create(void);
void cli_pages_free(cli_pages *t);
/* Keeps the n hints of document `doc` (indexes never decrease between
 * calls). @return 0, or -1 when out of memory. */
int cli_pages_set(cli_pages *t, size_t doc, const cli_html_hint *hints, size_t n);
/* The hints of document `doc`, *n of them; NULL for a document that is not
 * a page. */
const cli_html_hint *cli_pages_get(const cli_pages *t, size_t doc, size_t *n);

#endif
