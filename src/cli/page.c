/* Web pages in the CLI (see page.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "page.h"

int cli_analyze(const nd_ctx *ctx, nd_doc *doc, nd_html **html, const char *text, size_t len,
                int is_html, const char *charset, size_t charset_len)
{
    if (!is_html) return nd_doc_analyze(doc, text, len);
    int rc = *html ? ND_OK : nd_html_create(html, ctx);
    if (!rc) rc = nd_html_parse(*html, text, len, charset, charset ? charset_len : 0);
    if (rc) return rc;
    size_t size;
    const char *t = nd_html_text(*html, &size);
    return nd_doc_analyze_spans(doc, t, size, nd_html_spans(*html), nd_html_count(*html));
}

size_t cli_html_hints(const nd_html *h, cli_html_hint **buf, size_t *cap)
{
    size_t n = nd_html_count(h);
    if (n > *cap) {
        cli_html_hint *nb = realloc(*buf, n * sizeof *nb);
        if (!nb) return (size_t)-1;
        *buf = nb;
        *cap = n;
    }
    for (size_t i = 0; i < n; i++) {
        nd_html_para_info p = ND_HTML_PARA_INFO_INIT;
        nd_html_para(h, i, &p);
        (*buf)[i] = (cli_html_hint){ p.src_offset, p.src_length, p.landmark, p.link_density };
    }
    return n;
}

int cli_hint_is_chrome(const cli_html_hint *h)
{
    return h->landmark == ND_LANDMARK_NAV || h->landmark == ND_LANDMARK_HEADER
        || h->landmark == ND_LANDMARK_FOOTER || h->landmark == ND_LANDMARK_ASIDE
        || h->link_density > 0.5;
}

struct cli_pages {
    size_t *start;          /* per document: first hint, or SIZE_MAX for text */
    size_t docs, docs_cap;
    cli_html_hint *hints;
    size_t n, cap;
};

cli_pages *cli_pages_create(void) { return calloc(1, sizeof(cli_pages)); }

void cli_pages_free(cli_pages *t)
{
    if (!t) return;
    free(t->start);
    free(t->hints);
    free(t);
}

static int cli_grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t ncap = *cap ? *cap : 64;
    while (ncap < need) ncap *= 2;
    void *np = realloc(*p, ncap * elem);
    if (!np) return -1;
    *p = np;
    *cap = ncap;
    return 0;
}

int cli_pages_set(cli_pages *t, size_t doc, const cli_html_hint *hints, size_t n)
{
    if (doc < t->docs) return -1;
    if (cli_grow((void **)&t->start, &t->docs_cap, doc + 1, sizeof *t->start)
        || cli_grow((void **)&t->hints, &t->cap, t->n + n, sizeof *t->hints))
        return -1;
    while (t->docs < doc) t->start[t->docs++] = SIZE_MAX;
    t->start[t->docs++] = t->n;
    if (n) memcpy(t->hints + t->n, hints, n * sizeof *hints);
    t->n += n;
    return 0;
}

const cli_html_hint *cli_pages_get(const cli_pages *t, size_t doc, size_t *n)
{
    *n = 0;
    if (!t || doc >= t->docs || t->start[doc] == SIZE_MAX) return NULL;
    size_t end = t->n;
    for (size_t j = doc + 1; j < t->docs; j++)
        if (t->start[j] != SIZE_MAX) { end = t->start[j]; break; }
    *n = end - t->start[doc];
    return t->hints + t->start[doc];
}
