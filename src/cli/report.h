/*
 * The JSON Lines contract of docs/JSON.md, `doc` and `para` objects, written
 * in one place for every command that reports documents (scan, clean, dups
 * from a collection or a stream; query from a collection holding a store's
 * documents). The Python package builds its records from the same views.
 */
#ifndef ND_CLI_REPORT_H
#define ND_CLI_REPORT_H

#include <stdio.h>
#include "input.h"
#include "neardup.h"

/* The verdict on one document, whoever judged it. */
typedef struct cli_view {
    size_t paragraphs, repeats, boilerplate;
    const char *dup_id;       /* NULL when it copies nothing */
    size_t dup_len;
    double similarity, containment;
    const char *cl_id;
    size_t cl_len;
    int has_site;             /* 0: not known */
    const char *site_id;      /* NULL: tied to no site */
    size_t site_len;
} cli_view;

/* What the structure of a web page says about one paragraph (nd_html_para). */
typedef struct cli_html_hint {
    size_t src_offset, src_length; /* span in the HTML payload */
    nd_landmark landmark;
    double link_density;
} cli_html_hint;

/* The view of document i of a finished collection (ids may name stored
 * documents of a query). */
void cli_view_of_corpus(const nd_corpus *c, size_t i, cli_view *v);
/* The view of a stream's verdict on the document it just took. */
void cli_view_of_stream(const nd_stream_doc *s, cli_view *v);
/* Paragraph j of document i of a finished collection, and the id of the
 * document its `of` names. */
void cli_para_of_corpus(const nd_corpus *c, size_t i, size_t j, nd_para_info *p, const char **of_id,
                        size_t *of_len);
/* A `doc` object (one line). */
void cli_report_doc(FILE *f, const cli_doc *d, const cli_view *v);
/* A `para` object (one line); of_id names the document of p->of_doc; hint
 * (NULL but for a web page) adds html_span, landmark and link_density. */
void cli_report_para(FILE *f, const cli_doc *d, size_t i, const nd_para_info *p, const char *of_id,
                     size_t of_len, const cli_html_hint *hint);

#endif
