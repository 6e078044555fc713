/* JSONL lines into documents (see jsonl.h). */
#define _POSIX_C_SOURCE 200809L
#include "jsonl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "neardup.h"

enum { F_ID, F_TEXT, F_SOURCE, F_URL, F_DATE, F_COUNT };

void cli_jsonl_init(cli_jsonl *j, const cli_input_opts *opts, cli_err_fn err, void *payload)
{
    memset(j, 0, sizeof *j);
    if (opts)
        j->opts = *opts;
    if (!j->opts.id_field)
        j->opts.id_field = "id";
    if (j->opts.html_field) /* the HTML is read where the text would be */
        j->opts.text_field = j->opts.html_field;
    else if (!j->opts.text_field)
        j->opts.text_field = "text";
    if (!j->opts.source_field)
        j->opts.source_field = "source";
    if (!j->opts.url_field)
        j->opts.url_field = "url";
    if (!j->opts.date_field)
        j->opts.date_field = "date";
    j->id_len = strlen(j->opts.id_field);
    j->text_len = strlen(j->opts.text_field);
    j->source_len = strlen(j->opts.source_field);
    j->url_len = strlen(j->opts.url_field);
    j->date_len = strlen(j->opts.date_field);
    j->err = err;
    j->payload = payload;
}

void cli_jsonl_free(cli_jsonl *j)
{
    cli_buf_free(&j->text);
    cli_buf_free(&j->id);
    cli_buf_free(&j->source);
    cli_buf_free(&j->meta);
    cli_buf_free(&j->url);
}

static void jreport(cli_jsonl *j, int severity, const char *path, size_t line, const char *fmt, ...)
    CLI_PRINTF(5, 6);

static void jreport(cli_jsonl *j, int severity, const char *path, size_t line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (severity == CLI_ERROR)
        j->errors++;
    if (j->err == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    j->err(severity, path, line, msg, j->payload);
}

static const char *type_name(int type)
{
    switch (type) {
    case CLI_JSON_NUMBER: return "a number";
    case CLI_JSON_OBJECT: return "an object";
    case CLI_JSON_ARRAY: return "an array";
    case CLI_JSON_BOOL: return "a boolean";
    case CLI_JSON_NULL: return "null";
    default: return "a string";
    }
}

/* Decodes the text member into j->text. @return 0, or -1 (reported, the
 * line is skipped). */
static int jsonl_text(cli_jsonl *j, const char *path, const char *json,
                      const cli_json_member *m, size_t lineno)
{
    const char *name = j->opts.text_field;
    size_t replaced, bad;

    if (m->type == CLI_JSON_ABSENT) {
        jreport(j, CLI_ERROR, path, lineno, "missing \"%s\" field", name);
        return -1;
    }
    if (m->type != CLI_JSON_STRING) {
        jreport(j, CLI_ERROR, path, lineno, "\"%s\" field is %s, not a string", name,
                type_name(m->type));
        return -1;
    }
    if (cli_json_unescape(&j->text, json + m->off, m->len, &replaced) != 0) {
        jreport(j, CLI_ERROR, path, lineno, "out of memory");
        return -1;
    }
    if (replaced)
        jreport(j, CLI_WARNING, path, lineno,
                "%zu unpaired UTF-16 surrogate escape(s) in \"%s\" replaced by U+FFFD",
               replaced, name);
    bad = cli_utf8_find_invalid(j->text.data, j->text.len);
    if (bad < j->text.len)
        jreport(j, CLI_WARNING, path, lineno, "invalid UTF-8 at byte offset %zu of \"%s\"",
                bad, name);
    return 0;
}

/* Sets doc->id: a string is unescaped, a number passed as its literal text,
 * anything else replaced by "<path>:<line>" with a warning. */
static void jsonl_id(cli_jsonl *j, const char *path, const char *json,
                     const cli_json_member *m, size_t lineno, cli_doc *doc)
{
    const char *name = j->opts.id_field;
    cli_buf *b = &j->id;
    size_t need = strlen(path) + 24;

    if (m->type == CLI_JSON_NUMBER) {
        doc->id = json + m->off;
        doc->id_len = m->len;
        return;
    }
    if (m->type == CLI_JSON_STRING && cli_json_unescape(b, json + m->off, m->len, NULL) == 0) {
        doc->id = b->data;
        doc->id_len = b->len;
        return;
    }
    if (m->type == CLI_JSON_ABSENT)
        jreport(j, CLI_WARNING, path, lineno, "missing \"%s\" field, using path:line as id",
                name);
    else if (m->type != CLI_JSON_STRING)
        jreport(j, CLI_WARNING, path, lineno, "\"%s\" field is %s, using path:line as id",
                name, type_name(m->type));
    b->len = 0;
    if (cli_buf_reserve(b, need) != 0) {
        doc->id = path; /* out of memory: still a usable id */
        doc->id_len = strlen(path);
        return;
    }
    b->len = (size_t)snprintf(b->data, need, "%s:%zu", path, lineno);
    doc->id = b->data;
    doc->id_len = b->len;
}

/* The host of the url field as doc->source. @return 0, or -1 when the field
 * holds no URL with a host (a warning when it is present but unusable). */
static int jsonl_url_source(cli_jsonl *j, const char *path, const char *json,
                            const cli_json_member *m, size_t lineno, cli_doc *doc)
{
    size_t host_len = 0;
    if (m->type == CLI_JSON_ABSENT || m->type == CLI_JSON_NULL)
        return -1;
    if (m->type != CLI_JSON_STRING || cli_json_unescape(&j->meta, json + m->off, m->len, NULL) != 0 ||
        nd_url_host(j->meta.data, j->meta.len, NULL, 0, &host_len) != ND_E_BUFFER ||
        (j->source.len = 0, cli_buf_reserve(&j->source, host_len) != 0) ||
        nd_url_host(j->meta.data, j->meta.len, j->source.data, host_len, &host_len) != ND_OK) {
        jreport(j, CLI_WARNING, path, lineno, "\"%s\" field holds no URL with a host; ignored",
                j->opts.url_field);
        return -1;
    }
    j->source.len = host_len;
    doc->source = j->source.data;
    doc->source_len = host_len;
    return 0;
}

/* Sets doc->source by the documented precedence: --source, the source
 * field, the host of the url field, the INPUT argument. */
static void jsonl_source(cli_jsonl *j, const char *input, const char *path, const char *json,
                         const cli_json_member *m, size_t lineno, cli_doc *doc)
{
    doc->source = j->opts.source_override ? j->opts.source_override : input;
    doc->source_len = strlen(doc->source);
    if (j->opts.source_override)
        return;
    if (m[F_SOURCE].type == CLI_JSON_STRING &&
        cli_json_unescape(&j->source, json + m[F_SOURCE].off, m[F_SOURCE].len, NULL) == 0) {
        doc->source = j->source.data;
        doc->source_len = j->source.len;
        return;
    }
    if (m[F_SOURCE].type != CLI_JSON_ABSENT && m[F_SOURCE].type != CLI_JSON_NULL &&
        m[F_SOURCE].type != CLI_JSON_STRING) {
        jreport(j, CLI_WARNING, path, lineno, "\"%s\" field is %s, not a string; ignored",
                j->opts.source_field, type_name(m[F_SOURCE].type));
    }
    jsonl_url_source(j, path, json, &m[F_URL], lineno, doc);
}

/* Sets doc->date from the date field: an ISO 8601 string, or a number of
 * seconds since 1970 (Unix time). Absent or null: no date, silently. */
static void jsonl_date(cli_jsonl *j, const char *path, const char *json,
                       const cli_json_member *m, size_t lineno, cli_doc *doc)
{
    if (m->type == CLI_JSON_ABSENT || m->type == CLI_JSON_NULL)
        return;
    if (m->type == CLI_JSON_STRING && cli_json_unescape(&j->meta, json + m->off, m->len, NULL) == 0 &&
        nd_date_parse(j->meta.data, j->meta.len, &doc->date) == ND_OK) {
        doc->has_date = 1;
        return;
    }
    if (m->type == CLI_JSON_NUMBER) {
        char num[32], *end;
        size_t n = m->len < sizeof num - 1 ? m->len : sizeof num - 1;
        memcpy(num, json + m->off, n);
        num[n] = '\0';
        double v = strtod(num, &end);
        if (*end == '\0' && v > -9.2e18 && v < 9.2e18) {
            doc->date = (int64_t)v;
            doc->has_date = 1;
            return;
        }
    }
    jreport(j, CLI_WARNING, path, lineno, "\"%s\" field is not an ISO 8601 date nor a number; ignored",
            j->opts.date_field);
}

/* The url field, when a string, as doc->url. */
static void jsonl_url(cli_jsonl *j, const char *json, const cli_json_member *m, cli_doc *doc)
{
    if (m->type == CLI_JSON_STRING && cli_json_unescape(&j->url, json + m->off, m->len, NULL) == 0) {
        doc->url = j->url.data;
        doc->url_len = j->url.len;
    }
}

int cli_jsonl_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int line_is_blank(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (!cli_jsonl_blank((unsigned char)s[i]))
            return 0;
    return 1;
}

int cli_jsonl_line(cli_jsonl *j, const char *input, const char *path, const char *line, size_t len,
                   size_t lineno, cli_doc *doc)
{
    cli_json_member m[F_COUNT];
    cli_json_error je;
    size_t bom = 0, k;

    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (lineno == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0)
        bom = 3; /* RFC 8259 lets parsers ignore a BOM; offsets stay relative to raw */
    if (line_is_blank(line + bom, len - bom))
        return 0;
    m[F_ID].key = j->opts.id_field;
    m[F_ID].key_len = j->id_len;
    m[F_TEXT].key = j->opts.text_field;
    m[F_TEXT].key_len = j->text_len;
    m[F_SOURCE].key = j->opts.source_field;
    m[F_SOURCE].key_len = j->source_len;
    m[F_URL].key = j->opts.url_field;
    m[F_URL].key_len = j->url_len;
    m[F_DATE].key = j->opts.date_field;
    m[F_DATE].key_len = j->date_len;
    if (cli_json_scan_object(line + bom, len - bom, m, F_COUNT, &je) != 0) {
        jreport(j, CLI_ERROR, path, lineno, "%s at column %zu", je.reason, je.column + bom);
        return 0;
    }
    for (k = 0; k < F_COUNT; k++)
        m[k].off += bom;
    if (jsonl_text(j, path, line, &m[F_TEXT], lineno) != 0)
        return 0;
    memset(doc, 0, sizeof *doc);
    jsonl_id(j, path, line, &m[F_ID], lineno, doc);
    jsonl_source(j, input, path, line, m, lineno, doc);
    jsonl_date(j, path, line, &m[F_DATE], lineno, doc);
    jsonl_url(j, line, &m[F_URL], doc);
    doc->is_html = j->opts.html_field != NULL;
    doc->text = j->text.data;
    doc->text_len = j->text.len;
    doc->input = input;
    doc->path = path;
    doc->line = lineno;
    doc->is_jsonl = 1;
    doc->raw = line;
    doc->raw_len = len;
    doc->text_value_off = m[F_TEXT].off;
    doc->text_value_len = m[F_TEXT].len;
    return 1;
}
