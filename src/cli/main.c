/*
 * neardup command-line tool. Uses only the public API (neardup.h) and the
 * CLI's own input and JSON helpers.
 *
 *   neardup scan  [options] INPUT...   report each paragraph's kind
 *   neardup clean [options] INPUT...   print the documents without repeats
 *
 * Exit status: 0 ok; 1 some input could not be read (the rest was
 * processed), or a store is damaged; 2 usage error; 3 something was found
 * (only with --exit-status); 4 a store is locked by another appender.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include "neardup.h"
#include "input.h"
#include "json.h"
#include "page.h"
#include "parallel.h"
#include "ordered.h"
#include "report.h"
#include "progress.h"
#include "args.h"
#include "store_cmd.h"
#include "crawl.h"
#include "filter.h"

enum { EXIT_OK = 0, EXIT_INPUT = 1, EXIT_USAGE = 2, EXIT_FOUND = 3 };

typedef enum { CMD_SCAN, CMD_CLEAN, CMD_DUPS, CMD_FILTER } cli_cmd;

typedef struct cli_opts {
    cli_cmd cmd;
    nd_params params;
    cli_input_opts in;
    int json, exit_status, quiet, keep_repeats, keep_boilerplate, stream, no_progress;
    int drop_list;         /* dups: ids of the documents to drop */
    int structure;         /* clean: also drop web pages' chrome by their structure */
    size_t window;
    unsigned threads;
    const char *outdir;
    char **inputs;
    size_t ninputs;
} cli_opts;

typedef struct cli_run {
    const cli_opts *o;
    nd_ctx *ctx;
    nd_doc *doc;
    nd_html *html;         /* web pages' extractor (made on first use) */
    cli_pages *pages;      /* web pages' hints, for scan --json */
    cli_html_hint *hints;  /* scratch for one page's hints */
    size_t hints_cap;
    nd_corpus *corpus;
    nd_stream *stream;     /* --stream: labels on arrival, not after the whole input */
    nd_stream_doc last;    /* the stream's verdict on the current document */
    cli_pool *pool;        /* --threads > 1: the first pass's workers */
    size_t docs, paras, repeats, boilerplate, copies;
    int io_failed, changed;
    cli_buf clean;         /* cleaned text of the current document */
    FILE *out;             /* clean -o: the open output file */
    char *out_path;        /* its path */
    cli_progress progress; /* of the first reading of the input */
    cli_crawl crawl;       /* WARC fields of crawled documents, by id */
} cli_run;

static const char *cli_usage_text =
    "usage: neardup COMMAND [options] INPUT...\n"
    "\n"
    "commands:\n"
    "  scan    report every paragraph's kind (content, repeat, boilerplate) and\n"
    "          every document's copies\n"
    "  clean   print the documents without repeated and boilerplate paragraphs\n"
    "  dups    print the clusters of syndicated copies (--drop-list: the ids to drop)\n"
    "  filter  write a WARC crawl without the records of dropped copies (-o OUT.warc.gz)\n"
    "  index   add documents' signatures to a store (-s STORE)\n"
    "  query   compare documents with a store: copies, boilerplate, repeats\n"
    "  compare list the near-duplicate documents across two stores\n"
    "  merge   merge stores made with the same parameters (-o OUT)\n"
    "  prune   drop a store's documents older than a date, or all but the newest N\n"
    "  info    a store's parameters, counts and sizes; --verify checks every checksum\n"
    "  recover keep what is intact of a damaged store (-s STORE; a copy goes to STORE.bak)\n"
    "\n"
    "INPUT is a text file, a directory (recursed in sorted order), a .jsonl file\n"
    "(one {\"id\",\"text\",\"source\"} object per line), any of these gzipped (.gz),\n"
    "or - for standard input. Run 'neardup COMMAND --help' for the options.\n"
    "\n"
    "Exit status: 0 ok; 1 some input could not be read (the rest was processed), or\n"
    "a store is damaged; 2 usage error; 3 something was found (--exit-status);\n"
    "4 the store is locked by another appender.\n";

static const char *cli_options_text =
    "options:\n"
    "  --json                 scan: write JSON Lines (see docs/JSON.md)\n"
    "  -o, --output DIR       clean: write one file per input file under DIR;\n"
    "                         filter: the WARC file to write (gzip, a member per record)\n"
    "  --drop-list            dups: print the ids of the documents to drop, one a line:\n"
    "                         every member of a cluster of copies but its representative\n"
    "  --warc-id uri|record   WARC documents' ids: WARC-Target-URI (default) or\n"
    "                         WARC-Record-ID\n"
    "  --keep-repeats         clean: keep repeated paragraphs\n"
    "  --keep-boilerplate     clean: keep boilerplate paragraphs\n"
    "  --structure            clean: also drop web pages' paragraphs that their structure\n"
    "                         marks as chrome (in nav, header, footer or aside, or more\n"
    "                         than half links), where recurrence cannot tell\n"
    "  --stream               label each document on arrival from what came before\n"
    "                         (one pass, bounded memory; scan and clean)\n"
    "  --window N             --stream: documents remembered (default 20000)\n"
    "  --threads N            threads analyzing documents and building the\n"
    "                         collection's index (default: all cores); the output is\n"
    "                         the same whatever N\n"
    "  --paragraphs MODE      auto (default), lines, or blocks (blank-line separated)\n"
    "  --threshold X          Jaccard similarity of near-duplicate paragraphs (default 0.75)\n"
    "  --doc-threshold X      Jaccard similarity of copies' content (default 0.50)\n"
    "  --containment X        share of the smaller document's content found in the\n"
    "                         other that makes a copy (default 0.60)\n"
    "  --min-contained N      shingles a document needs for containment (default 40)\n"
    "  --min-stories N        distinct stories a paragraph must recur in to be\n"
    "                         boilerplate (default 3)\n"
    "  --scope SCOPE          where boilerplate recurs: source (default) or all\n"
    "  --bands B --rows R     banding of the copy index (default: derived from -k)\n"
    "  --sig-bits B           bits kept per MinHash value: 32 (default), 16 or 8\n"
    "  --minhash-scheme S     mul32 (default) or mas64 (the first scheme)\n"
    "  -w, --shingle-size N   words per shingle, 1..16 (default 5)\n"
    "  -k, --num-perm N       MinHash values per signature, 1..1024 (default 128)\n"
    "  --seed N               hash seed (default 7954871460759433264)\n"
    "  --jsonl                read every input (and stdin) as JSON Lines\n"
    "  --id-field F, --text-field F, --source-field F, --url-field F, --date-field F\n"
    "                         JSONL field names (default id, text, source, url, date);\n"
    "                         without a source field, the url's host is the source\n"
    "  --html-field F         JSONL: field F holds a web page's HTML (its paragraphs\n"
    "                         come from the page's structure); .html and .htm files\n"
    "                         are read as web pages by themselves\n"
    "  --source NAME          the source (feed) of every document\n"
    "  --binary               process files that hold NUL bytes instead of skipping them\n"
    "  --exit-status          exit with 3 when something was found\n"
    "  -q, --quiet            no warnings, no summary, no progress on stderr\n"
    "  --no-progress          no progress line on a terminal\n"
    "  -h, --help             this help\n";

/* ---- Option parsing ------------------------------------------------------- */

static int cli_usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "neardup: %s%s%s\nTry 'neardup --help'.\n", msg, arg ? ": " : "", arg ? arg : "");
    return EXIT_USAGE;
}

/* Takes the value of option `name` from "--name=value" or the next argument. */
static const char *cli_value(int argc, char **argv, int *i, const char *eq)
{
    if (eq) return eq + 1;
    if (*i + 1 >= argc) return NULL;
    return argv[++*i];
}

/* One option with a value. @return 0 ok, 1 not an option with a value, -1 bad value. */
static int cli_value_option(cli_opts *o, const char *name, const char *v)
{
    unsigned long long u;
    unsigned set = 0;
    int rc = cli_param_option(&o->params, CLI_OPT_SIG | CLI_OPT_DET, name, v, &set);
    if (rc <= 0) return rc;
    if (!strcmp(name, "--threads")) {
        if (cli_arg_uint(v, 1024, &u) || u < 1) return -1;
        o->threads = (unsigned)u;
        return 0;
    }
    if (!strcmp(name, "--window")) {
        if (cli_arg_uint(v, SIZE_MAX, &u) || u < 2) return -1;
        o->window = (size_t)u;
        return 0;
    }
    if (!strcmp(name, "-o") || !strcmp(name, "--output")) return (o->outdir = v) ? 0 : -1;
    return cli_input_option(&o->in, name, v);
}

/* A flag. @return 0 ok, 1 unknown. */
static int cli_flag_option(cli_opts *o, const char *name)
{
    if (!strcmp(name, "--json")) o->json = 1;
    else if (!strcmp(name, "--exit-status")) o->exit_status = 1;
    else if (!strcmp(name, "-q") || !strcmp(name, "--quiet")) o->quiet = 1;
    else if (!strcmp(name, "--no-progress")) o->no_progress = 1;
    else if (!strcmp(name, "--keep-repeats")) o->keep_repeats = 1;
    else if (!strcmp(name, "--keep-boilerplate")) o->keep_boilerplate = 1;
    else if (!strcmp(name, "--structure")) o->structure = 1;
    else if (!strcmp(name, "--stream")) o->stream = 1;
    else if (!strcmp(name, "--jsonl")) o->in.force_jsonl = 1;
    else if (!strcmp(name, "--binary")) o->in.skip_binary = 0;
    else if (!strcmp(name, "--drop-list")) o->drop_list = 1;
    else return 1;
    return 0;
}

static int cli_parse(cli_opts *o, int argc, char **argv, int first)
{
    int only_inputs = 0;
    o->inputs = argv + first; /* inputs are compacted in place */
    o->ninputs = 0;
    for (int i = first; i < argc; i++) {
        char *a = argv[i];
        if (only_inputs || a[0] != '-' || !strcmp(a, "-")) {
            o->inputs[o->ninputs++] = a;
            continue;
        }
        if (!strcmp(a, "--")) { only_inputs = 1; continue; }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return -1;
        char name[64];
        const char *eq = strchr(a, '=');
        size_t nlen = eq && a[1] == '-' ? (size_t)(eq - a) : strlen(a);
        if (nlen >= sizeof name) return cli_usage_error("unknown option", a);
        memcpy(name, a, nlen);
        name[nlen] = '\0';
        if (!eq && cli_flag_option(o, name) == 0) continue;
        const char *v = cli_value(argc, argv, &i, a[1] == '-' ? eq : NULL);
        int rc = cli_value_option(o, name, v);
        if (rc == 1) return cli_usage_error("unknown option", a);
        if (rc < 0) return cli_usage_error(v ? "bad value for option" : "missing value for option", name);
    }
    if (o->ninputs == 0) return cli_usage_error("no INPUT given (use - for standard input)", NULL);
    /* an option that would be silently ignored is an error */
    if (o->stream && (o->cmd == CMD_DUPS || o->cmd == CMD_FILTER))
        return cli_usage_error("--stream works with scan and clean", NULL);
    if (o->drop_list && o->cmd != CMD_DUPS) return cli_usage_error("--drop-list is an option of dups", NULL);
    if (o->cmd == CMD_FILTER && !o->outdir) return cli_usage_error("filter needs -o OUT.warc.gz", NULL);
    if (o->cmd == CMD_FILTER && (o->keep_repeats || o->keep_boilerplate || o->json))
        return cli_usage_error("--keep-repeats, --keep-boilerplate and --json are not options of filter", NULL);
    if (o->window && !o->stream) return cli_usage_error("--window needs --stream", NULL);
    if (o->cmd != CMD_CLEAN && o->cmd != CMD_FILTER && (o->outdir || o->keep_repeats || o->keep_boilerplate))
        return cli_usage_error("-o, --keep-repeats and --keep-boilerplate are options of clean", NULL);
    if (o->cmd != CMD_CLEAN && o->structure) return cli_usage_error("--structure is an option of clean", NULL);
    if (o->cmd == CMD_CLEAN && o->json)
        return cli_usage_error("clean writes JSONL for JSONL input by itself; --json is for scan and dups", NULL);
    char msg[160];
    if (nd_params_check(&o->params, msg, sizeof msg)) return cli_usage_error(msg, NULL);
    return 0;
}

/* ---- Diagnostics ---------------------------------------------------------- */

static void cli_on_error(int severity, const char *input, size_t line, const char *message,
                         void *payload)
{
    const cli_run *r = payload;
    if (severity != CLI_ERROR && r->o->quiet) return;
    if (line)
        fprintf(stderr, "neardup: %s:%zu: %s%s\n", input, line,
                severity == CLI_WARNING ? "warning: " : "", message);
    else
        fprintf(stderr, "neardup: %s: %s%s\n", input, severity == CLI_WARNING ? "warning: " : "",
                message);
}

/* ---- the verdict on one document, from a collection or a stream ---------- */

static void cli_view_of(const cli_run *r, const cli_doc *d, cli_view *v)
{
    memset(v, 0, sizeof *v);
    if (r->stream) {
        cli_view_of_stream(&r->last, v);
        return;
    }
    cli_view_of_corpus(r->corpus, d->seq, v);
}

static void cli_para_of(const cli_run *r, const cli_doc *d, size_t i, nd_para_info *p,
                        const char **of_id, size_t *of_len)
{
    if (r->stream) {
        nd_stream_para(r->stream, i, p, of_id, of_len);
        return;
    }
    cli_para_of_corpus(r->corpus, d->seq, i, p, of_id, of_len);
}

/* ---- scan ---------------------------------------------------------------- */


/* "1 repeat", "2 repeats": counts in the text output agree with their noun. */
static const char *cli_s(size_t n)
{
    return n == 1 ? "" : "s";
}

/* The structural hints of a web page's paragraphs: from the page just
 * parsed in a stream, else from what the first pass kept. NULL for text. */
static const cli_html_hint *cli_hints_of(cli_run *r, const cli_doc *d, size_t *n)
{
    *n = 0;
    if (!r->stream) return cli_pages_get(r->pages, d->seq, n);
    if (!d->is_html) return NULL;
    size_t k = cli_html_hints(r->html, &r->hints, &r->hints_cap);
    if (k == (size_t)-1) return NULL;
    *n = k;
    return r->hints;
}

/* Document d's records (or line of text) to out. From the collection it
 * only reads r, so cli_scan_collection runs it on several threads. */
static void cli_scan_report(cli_run *r, const cli_doc *d, FILE *out)
{
    cli_view v;
    cli_view_of(r, d, &v);
    if (!r->o->json) {
        fprintf(out, "%.*s: %zu paragraph%s, %zu repeat%s, %zu boilerplate", (int)d->id_len, d->id,
               v.paragraphs, cli_s(v.paragraphs), v.repeats, cli_s(v.repeats), v.boilerplate);
        if (v.dup_id)
            fprintf(out, ", copy of %.*s (similarity %.2f, containment %.2f)", (int)v.dup_len, v.dup_id,
                   v.similarity, v.containment);
        putc('\n', out);
        return;
    }
    cli_report_doc(out, d, &v);
    size_t nh;
    const cli_html_hint *hints = cli_hints_of(r, d, &nh);
    for (size_t i = 0; i < v.paragraphs; i++) {
        nd_para_info p = ND_PARA_INFO_INIT;
        const char *of_id;
        size_t of_len;
        cli_para_of(r, d, i, &p, &of_id, &of_len);
        cli_report_para(out, d, i, &p, of_id, of_len, i < nh ? &hints[i] : NULL);
    }
}

/* ---- dups ----------------------------------------------------------------- */

static void cli_write_id(const cli_run *r, size_t doc)
{
    const char *id;
    size_t len;
    nd_corpus_doc_id(r->corpus, doc, &id, &len);
    cli_json_write_string(stdout, id, len);
}

/* Clusters of two or more documents, each listed once, in order of their
 * representative (the earliest document). */
static void cli_drop_list(const cli_run *r)
{
    size_t n = nd_corpus_count(r->corpus);
    for (size_t i = 0; i < n; i++) {
        nd_doc_info info = ND_DOC_INFO_INIT;
        nd_corpus_doc(r->corpus, i, &info);
        if (info.cluster == i) continue;
        if (r->o->json) {
            cli_write_id(r, i);
            putchar('\n');
            continue;
        }
        const char *id;
        size_t len;
        nd_corpus_doc_id(r->corpus, i, &id, &len);
        printf("%.*s\n", (int)len, id);
    }
}

static void cli_dups_report(const cli_run *r)
{
    if (r->o->drop_list) {
        cli_drop_list(r);
        return;
    }
    size_t n = nd_corpus_count(r->corpus);
    size_t *next = calloc(n ? n : 1, sizeof *next), *tail = calloc(n ? n : 1, sizeof *tail);
    if (!next || !tail) {
        free(next);
        free(tail);
        fputs("neardup: out of memory\n", stderr);
        return;
    }
    /* chain every document behind its cluster's representative, in order */
    for (size_t i = 0; i < n; i++) {
        nd_doc_info info = ND_DOC_INFO_INIT;
        nd_corpus_doc(r->corpus, i, &info);
        next[i] = ND_NONE;
        if (info.cluster == i) tail[i] = i;
        else { next[tail[info.cluster]] = i; tail[info.cluster] = i; }
    }
    for (size_t i = 0; i < n; i++) {
        nd_doc_info info = ND_DOC_INFO_INIT;
        nd_corpus_doc(r->corpus, i, &info);
        if (info.cluster != i || next[i] == ND_NONE) continue;
        if (r->o->json) {
            fputs("{\"type\":\"cluster\",\"cluster\":", stdout);
            cli_write_id(r, i);
            fputs(",\"docs\":[", stdout);
            for (size_t j = i; j != ND_NONE; j = next[j]) {
                if (j != i) fputc(',', stdout);
                cli_write_id(r, j);
            }
            fputs("]}\n", stdout);
            continue;
        }
        const char *id;
        size_t len;
        nd_corpus_doc_id(r->corpus, i, &id, &len);
        printf("cluster %.*s\n", (int)len, id);
        for (size_t j = i; j != ND_NONE; j = next[j]) {
            nd_corpus_doc_id(r->corpus, j, &id, &len);
            printf("  %.*s\n", (int)len, id);
        }
    }
    free(next);
    free(tail);
}

/* ---- clean ---------------------------------------------------------------- */

static int cli_removed(const cli_run *r, const nd_para_info *p)
{
    return (p->kind == ND_KIND_REPEAT && !r->o->keep_repeats)
        || (p->kind == ND_KIND_BOILERPLATE && !r->o->keep_boilerplate);
}

/* Builds the text without removed paragraphs; a removed paragraph takes its
 * following line terminator with it. @return 1 when something was removed. */
static int cli_build_clean(cli_run *r, const cli_doc *d)
{
    cli_view v;
    cli_view_of(r, d, &v);
    size_t kept_from = 0;
    int removed = 0;
    r->clean.len = 0;
    for (size_t i = 0; i < v.paragraphs; i++) {
        nd_para_info p = ND_PARA_INFO_INIT;
        const char *of_id;
        size_t of_len;
        cli_para_of(r, d, i, &p, &of_id, &of_len);
        if (!cli_removed(r, &p)) continue;
        size_t end = p.offset + p.length;
        if (end < d->text_len && d->text[end] == '\r' && end + 1 < d->text_len && d->text[end + 1] == '\n')
            end += 2;
        else if (end < d->text_len && d->text[end] == '\n')
            end += 1;
        size_t keep = p.offset - kept_from;
        if (cli_buf_reserve(&r->clean, keep)) return -1;
        memcpy(r->clean.data + r->clean.len, d->text + kept_from, keep);
        r->clean.len += keep;
        kept_from = end;
        removed = 1;
    }
    size_t keep = d->text_len - kept_from;
    if (cli_buf_reserve(&r->clean, keep)) return -1;
    memcpy(r->clean.data + r->clean.len, d->text + kept_from, keep);
    r->clean.len += keep;
    return removed;
}

/* Output path under DIR for an input file: the path with any leading '/' and
 * '.'/'..' components dropped (never escapes DIR), and a '.gz' suffix removed. */
static char *cli_out_path(const char *dir, const char *path, int jsonl)
{
    if (!strcmp(path, "-")) path = jsonl ? "stdin.jsonl" : "stdin.txt";
    size_t n = strlen(dir) + strlen(path) + 2;
    char *out = malloc(n), *w;
    if (!out) return NULL;
    w = out + sprintf(out, "%s", dir);
    for (const char *p = path; *p;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        int skip = len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.');
        if (!skip) {
            *w++ = '/';
            memcpy(w, p, len);
            w += len;
        }
        p += len + (slash != NULL);
    }
    *w = '\0';
    if (w - out > 3 && !strcmp(w - 3, ".gz")) w[-3] = '\0';
    return out;
}

static int cli_mkdirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        int rc = mkdir(path, 0777);
        *p = '/';
        if (rc && errno != EEXIST) return -1;
    }
    return 0;
}

/* A .txt name for the cleaned text of an HTML file: its .html or .htm
 * suffix replaced. @return the new path (path itself, or NULL). */
static char *cli_txt_path(char *path)
{
    size_t n = strlen(path);
    char *dot = strrchr(path, '.');
    if (dot && (!strcmp(dot, ".html") || !strcmp(dot, ".htm") || !strcmp(dot, ".HTML")
                || !strcmp(dot, ".HTM"))) {
        strcpy(dot, ".txt");
        return path;
    }
    char *p = realloc(path, n + 5);
    if (p) memcpy(p + n, ".txt", 5);
    else free(path);
    return p;
}

/* The stream a document's cleaned form goes to. */
static FILE *cli_clean_stream(cli_run *r, const cli_doc *d)
{
    if (!r->o->outdir) return stdout;
    char *path = cli_out_path(r->o->outdir, d->path, d->is_jsonl);
    if (path && d->is_html && !d->is_jsonl && !d->has_warc) path = cli_txt_path(path);
    if (!path) return NULL;
    if (r->out && r->out_path && !strcmp(path, r->out_path)) {
        free(path);
        return r->out;
    }
    if (r->out) fclose(r->out);
    free(r->out_path);
    r->out_path = path;
    r->out = NULL;
    if (cli_mkdirs(path) == 0) r->out = fopen(path, "wb");
    if (!r->out) fprintf(stderr, "neardup: %s: cannot write: %s\n", path, strerror(errno));
    return r->out;
}

/* Extracts a page's text again into r->html. @return an nd_error. */
static int cli_analyze_page_text(cli_run *r, const cli_doc *d)
{
    int rc = r->html ? ND_OK : nd_html_create(&r->html, r->ctx);
    if (!rc) rc = nd_html_parse(r->html, d->text, d->text_len, d->charset, d->charset ? d->charset_len : 0);
    return rc;
}

/* clean --structure: paragraph i of the page just parsed is chrome by its
 * structure (a hint, applied only where the verdict kept it). */
static int cli_structure_drops(cli_run *r, size_t i)
{
    nd_html_para_info p = ND_HTML_PARA_INFO_INIT;
    if (!r->o->structure || nd_html_para(r->html, i, &p)) return 0;
    cli_html_hint h = { p.src_offset, p.src_length, p.landmark, p.link_density };
    return cli_hint_is_chrome(&h);
}

/* A web page's kept paragraphs, joined by a blank line as in its extracted
 * text. @return 0, or -1 (reported). */
static int cli_build_clean_page(cli_run *r, const cli_doc *d)
{
    int rc = ND_OK;
    if (!r->stream) /* the first pass did not keep the text: extract it again */
        rc = cli_analyze_page_text(r, d);
    if (rc) {
        fprintf(stderr, "neardup: %s: %s\n", d->path, nd_strerror(rc));
        return -1;
    }
    size_t size;
    const char *t = nd_html_text(r->html, &size);
    cli_view v;
    cli_view_of(r, d, &v);
    r->clean.len = 0;
    for (size_t i = 0; i < v.paragraphs; i++) {
        nd_para_info p = ND_PARA_INFO_INIT;
        const char *of_id;
        size_t of_len;
        cli_para_of(r, d, i, &p, &of_id, &of_len);
        if (cli_removed(r, &p) || p.offset + p.length > size || cli_structure_drops(r, i)) continue;
        if (cli_buf_reserve(&r->clean, p.length + 2)) return -1;
        if (r->clean.len) {
            memcpy(r->clean.data + r->clean.len, "\n\n", 2);
            r->clean.len += 2;
        }
        memcpy(r->clean.data + r->clean.len, t + p.offset, p.length);
        r->clean.len += p.length;
    }
    return 0;
}

/* clean on a web page: a JSON Lines object {"id","url","source","text"},
 * or with -o the text alone in a .txt file per HTML file. */
static void cli_clean_page(cli_run *r, const cli_doc *d, FILE *f)
{
    if (r->o->outdir && !d->is_jsonl && !d->has_warc) {
        fwrite(r->clean.data, 1, r->clean.len, f);
        if (r->clean.len) fputc('\n', f);
        return;
    }
    fputs("{\"id\":", f);
    cli_json_write_string(f, d->id, d->id_len);
    fputs(",\"url\":", f);
    if (d->url) cli_json_write_string(f, d->url, d->url_len);
    else fputs("null", f);
    fputs(",\"source\":", f);
    cli_json_write_string(f, d->source, d->source_len);
    fputs(",\"text\":", f);
    cli_json_write_string(f, r->clean.data, r->clean.len);
    fputs("}\n", f);
}

static void cli_clean_write(cli_run *r, const cli_doc *d)
{
    if (d->is_html) {
        int failed = cli_build_clean_page(r, d);
        FILE *f = cli_clean_stream(r, d);
        if (!f || failed) r->io_failed = 1;
        else cli_clean_page(r, d, f);
        return;
    }
    int removed = cli_build_clean(r, d);
    FILE *f = cli_clean_stream(r, d);
    if (!f || removed < 0) {
        r->io_failed = 1;
        return;
    }
    if (!d->is_jsonl) {
        fwrite(r->clean.data, 1, r->clean.len, f);
        return;
    }
    if (!removed) { /* unchanged: the line is copied byte for byte */
        fwrite(d->raw, 1, d->raw_len, f);
    } else {
        fwrite(d->raw, 1, d->text_value_off, f);
        cli_json_write_string(f, r->clean.data, r->clean.len);
        size_t after = d->text_value_off + d->text_value_len;
        fwrite(d->raw + after, 1, d->raw_len - after, f);
    }
    fputc('\n', f);
}

/* ---- driver --------------------------------------------------------------- */

/* Keeps the hints of the web page just analyzed as document `at`'s. */
static int cli_keep_hints(cli_run *r, size_t at)
{
    size_t n = cli_html_hints(r->html, &r->hints, &r->hints_cap);
    return n == (size_t)-1 || cli_pages_set(r->pages, at, r->hints, n) ? ND_E_NOMEM : ND_OK;
}

/* Pass 1: analyze every document and add it to the collection. */
static int cli_pass1(const cli_doc *d, void *payload)
{
    cli_run *r = payload;
    int rc = cli_analyze(r->ctx, r->doc, &r->html, d->text, d->text_len, d->is_html, d->charset,
                         d->charset_len);
    size_t at = ND_NONE;
    if (!rc) rc = nd_corpus_add(r->corpus, r->doc, d->id, d->id_len, d->source, d->source_len, &at);
    if (at != ND_NONE) cli_crawl_add(&r->crawl, d); /* in the collection: filter must find it */
    if (!rc && d->has_date) rc = nd_corpus_set_date(r->corpus, at, d->date);
    if (!rc && d->is_html) rc = cli_keep_hints(r, at);
    if (rc) { /* left out, or kept without its date or hints; later documents keep their places */
        fprintf(stderr, "neardup: %s: %s\n", d->path, nd_strerror(rc));
        r->io_failed = 1;
        return rc == ND_E_NOMEM ? 1 : 0;
    }
    return 0;
}

/* Pass 2 (clean): the same documents again, now with the collection's
 * verdicts, written without what they leave out. */
static int cli_pass2(const cli_doc *d, void *payload)
{
    cli_run *r = payload;
    const char *id;
    size_t len;
    if (d->seq >= nd_corpus_count(r->corpus) || nd_corpus_doc_id(r->corpus, d->seq, &id, &len)
        || len != d->id_len || memcmp(id, d->id, len)) {
        r->changed = 1;
        return 1;
    }
    cli_clean_write(r, d);
    return 0;
}

/* Document i of the collection, reported to f. */
static void cli_scan_one(void *arg, FILE *f, size_t i)
{
    cli_run *r = arg;
    cli_doc d;
    memset(&d, 0, sizeof d);
    nd_corpus_doc_id(r->corpus, i, &d.id, &d.id_len);
    nd_corpus_doc_source(r->corpus, i, &d.source, &d.source_len);
    cli_crawl_fill(&r->crawl, &d);
    d.seq = i;
    cli_scan_report(r, &d, f);
}

/* Records of document i: one per paragraph and its own. */
static size_t cli_scan_weight(void *arg, size_t i)
{
    const cli_run *r = arg;
    nd_doc_info info = ND_DOC_INFO_INIT;
    nd_corpus_doc(r->corpus, i, &info);
    return info.paragraphs + 1;
}

/* scan reports from the collection alone (it keeps ids and sources), so its
 * input is read once and standard input needs no spooling. The records are
 * formatted on the run's threads (the collection, the crawl's entries and
 * the pages' hints are only read by then) and written in order. A failed
 * write is reported once, at the end (cli_run_command). */
static void cli_scan_collection(cli_run *r)
{
    cli_crawl_seal(&r->crawl);
    int rc = cli_format_ordered(nd_corpus_count(r->corpus), r->o->threads, cli_scan_one, cli_scan_weight, r,
                                stdout);
    if (rc == CLI_ORDERED_NOMEM) fputs("neardup: out of memory: output incomplete\n", stderr);
    if (rc != CLI_ORDERED_OK) r->io_failed = 1;
}

/* --stream: one pass, each document labelled from what came before it. */
static int cli_stream_doc(const cli_doc *d, void *payload)
{
    cli_run *r = payload;
    int rc = cli_analyze(r->ctx, r->doc, &r->html, d->text, d->text_len, d->is_html, d->charset,
                         d->charset_len);
    r->last.version = ND_STREAM_DOC_VERSION;
    if (!rc) rc = nd_stream_add(r->stream, r->doc, d->id, d->id_len, d->source, d->source_len, &r->last);
    if (rc) {
        fprintf(stderr, "neardup: %s: %s\n", d->path, nd_strerror(rc));
        r->io_failed = 1;
        return rc == ND_E_NOMEM ? 1 : 0;
    }
    r->docs++;
    r->paras += r->last.paragraphs;
    r->repeats += r->last.repeats;
    r->boilerplate += r->last.boilerplate;
    r->copies += r->last.duplicate_of != UINT64_MAX;
    if (r->o->cmd == CMD_SCAN) cli_scan_report(r, d, stdout);
    else cli_clean_write(r, d);
    return 0;
}

static int cli_pass1_pool(const cli_doc *d, void *payload)
{
    cli_run *r = payload;
    cli_crawl_add(&r->crawl, d); /* a document the pool refuses is never looked up */
    return cli_pool_push(r->pool, d) == ND_E_NOMEM;
}

static void cli_quiet_error(int severity, const char *input, size_t line, const char *message,
                            void *payload)
{   /* pass 2 meets the same problems as pass 1, which reported them */
    (void)severity; (void)input; (void)line; (void)message; (void)payload;
}

static void cli_totals(cli_run *r)
{
    size_t n = nd_corpus_count(r->corpus);
    for (size_t i = 0; i < n; i++) {
        nd_doc_info info = ND_DOC_INFO_INIT;
        nd_corpus_doc(r->corpus, i, &info);
        r->docs++;
        r->paras += info.paragraphs;
        r->repeats += info.repeats;
        r->boilerplate += info.boilerplate;
        r->copies += info.duplicate_of != ND_NONE;
    }
}

static void cli_on_progress(size_t docs, unsigned long long bytes, void *payload)
{
    cli_progress_update(payload, docs, bytes);
}

/* The input of the run's reading pass, with its progress shown. */
static cli_inputs *cli_open_inputs(cli_run *r, int replayable)
{
    const cli_opts *o = r->o;
    cli_inputs *in = cli_inputs_open(o->inputs, o->ninputs, &o->in, replayable);
    static const char *names[] = { "scan", "clean", "dups", "filter" };
    cli_progress_start(&r->progress, names[o->cmd],
                       o->inputs, o->ninputs, !o->quiet && !o->no_progress);
    if (in) cli_inputs_on_progress(in, cli_on_progress, &r->progress);
    return in;
}

static long cli_process_stream(cli_run *r)
{
    const cli_opts *o = r->o;
    int rc = nd_stream_create(&r->stream, r->ctx, o->window);
    if (rc) {
        fprintf(stderr, "neardup: %s\n", nd_strerror(rc));
        return 1;
    }
    cli_inputs *in = cli_open_inputs(r, 0);
    long errors = in ? cli_inputs_read(in, cli_stream_doc, cli_on_error, r) : 1;
    cli_progress_end(&r->progress);
    cli_inputs_close(in);
    nd_stream_free(r->stream);
    r->stream = NULL;
    return errors < 0 ? 1 : errors;
}

/* Gives the heap's free pages back before the collection's passes, which
 * are the run's peak: the first pass's buffers (and, with threads, the
 * workers' arenas) are free by then but still resident. */
static void cli_release_memory(void)
{
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

static long cli_process(cli_run *r)
{
    const cli_opts *o = r->o;
    if (o->stream) return cli_process_stream(r);
    cli_inputs *in = cli_open_inputs(r, o->cmd == CMD_CLEAN);
    if (!in) return 1;
    long errors;
    if (o->threads > 1 && (r->pool = cli_pool_create(r->ctx, r->corpus, r->pages, o->threads)) != NULL) {
        errors = cli_inputs_read(in, cli_pass1_pool, cli_on_error, r);
        if (cli_pool_flush(r->pool) || cli_pool_failed(r->pool)) r->io_failed = 1;
        cli_pool_free(r->pool);
        r->pool = NULL;
    } else {
        errors = cli_inputs_read(in, cli_pass1, cli_on_error, r);
    }
    cli_inputs_on_progress(in, NULL, NULL); /* clean's second reading is not shown */
    cli_progress_end(&r->progress);
    if (o->cmd != CMD_CLEAN) { /* read once: its buffers are not kept through finish */
        cli_inputs_close(in);
        in = NULL;
    }
    cli_release_memory();
    int rc = nd_corpus_finish(r->corpus);
    if (rc) {
        fprintf(stderr, "neardup: %s\n", nd_strerror(rc));
        r->io_failed = 1;
    } else if (o->cmd == CMD_DUPS) {
        cli_dups_report(r);
    } else if (o->cmd == CMD_FILTER) {
        if (r->crawl.failed) {
            fputs("neardup: out of memory: no output written\n", stderr);
            r->io_failed = 1;
        } else if (cli_filter_write(r->corpus, &r->crawl, o->inputs, o->ninputs, o->outdir, o->quiet)) {
            r->io_failed = 1;
        }
    } else if (o->cmd == CMD_SCAN) {
        cli_scan_collection(r);
    } else if (cli_inputs_read(in, cli_pass2, cli_quiet_error, r) < 0 || r->changed) {
        fputs("neardup: the input changed between the two passes; output is incomplete\n", stderr);
        r->io_failed = 1;
    }
    cli_inputs_close(in);
    if (!rc) cli_totals(r);
    return errors < 0 ? 1 : errors;
}

static int cli_run_command(const cli_opts *o)
{
    cli_run r;
    memset(&r, 0, sizeof r);
    r.o = o;
    int rc = nd_ctx_create(&r.ctx, &o->params, NULL);
    if (!rc) rc = nd_doc_create(&r.doc, r.ctx);
    if (!rc) rc = nd_corpus_create(&r.corpus, r.ctx);
    if (!rc) rc = nd_corpus_set_threads(r.corpus, o->threads ? o->threads : 1);
    if (!rc && !(r.pages = cli_pages_create())) rc = ND_E_NOMEM;
    if (rc) {
        fprintf(stderr, "neardup: %s\n", nd_strerror(rc));
        nd_corpus_free(r.corpus);
        nd_doc_free(r.doc);
        nd_ctx_free(r.ctx);
        return EXIT_INPUT;
    }
    long errors = cli_process(&r);
    if (r.out) fclose(r.out);
    free(r.out_path);
    cli_buf_free(&r.clean);
    cli_crawl_free(&r.crawl);
    nd_html_free(r.html);
    cli_pages_free(r.pages);
    free(r.hints);
    nd_corpus_free(r.corpus);
    nd_doc_free(r.doc);
    nd_ctx_free(r.ctx);
    int to_stdout = o->cmd == CMD_SCAN && !o->json;
    if (to_stdout || !o->quiet)
        fprintf(to_stdout ? stdout : stderr,
                "%s%zu document%s, %zu paragraph%s, %zu repeat%s, %zu boilerplate, %zu cop%s\n",
                to_stdout ? "total: " : "neardup: ", r.docs, cli_s(r.docs), r.paras, cli_s(r.paras),
                r.repeats, cli_s(r.repeats), r.boilerplate, r.copies, r.copies == 1 ? "y" : "ies");
    /* a write that failed inside a large fwrite leaves nothing for fflush
     * to fail on: the stream's error flag says it */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fputs("neardup: cannot write the output (standard output)\n", stderr);
        r.io_failed = 1;
    }
    if (errors || r.io_failed) return EXIT_INPUT;
    return (o->exit_status && (r.repeats || r.boilerplate || r.copies)) ? EXIT_FOUND : EXIT_OK;
}

static void cli_help(cli_cmd cmd)
{
    if (cmd == CMD_SCAN)
        printf("usage: neardup scan [options] INPUT...\n\n"
               "Reports, for every paragraph of every document, whether it is content, a\n"
               "repeat of an earlier paragraph of the same document, or boilerplate of its\n"
               "feed; and, for every document, whether it copies an earlier one. Reads the\n"
               "input once (standard input too) and reports when the whole collection is\n"
               "known; --stream labels each document on arrival instead.\n\n%s",
               cli_options_text);
    else if (cmd == CMD_DUPS)
        printf("usage: neardup dups [options] INPUT...\n\n"
               "Prints the clusters of syndicated copies (two or more documents), each\n"
               "headed by its earliest document; --json writes one\n"
               "{\"type\":\"cluster\",\"cluster\":ID,\"docs\":[ID,...]} line each.\n"
               "--drop-list prints instead the ids of every member of a cluster but its\n"
               "representative, one a line (a JSON string each with --json).\n\n%s",
               cli_options_text);
    else if (cmd == CMD_FILTER)
        printf("usage: neardup filter -o OUT.warc.gz [options] INPUT.warc[.gz]...\n\n"
               "Writes the WARC files given, in order, into OUT without the records of\n"
               "the documents dups --drop-list names (copies that are not their cluster's\n"
               "representative), nor the request, metadata and revisit records tied to\n"
               "them (WARC-Concurrent-To, WARC-Refers-To). Every other record is written\n"
               "byte for byte: its gzip member as it was, or compressed alone from a plain\n"
               "WARC. Malformed records are left out. Reads each input three times.\n\n%s",
               cli_options_text);
    else
        printf("usage: neardup clean [options] INPUT...\n\n"
               "Prints every document without its repeated and boilerplate paragraphs, all\n"
               "else byte for byte.\n"
               "JSONL input gives JSONL output with only the text field changed.\n\n%s",
               cli_options_text);
}

/* A run allocates and frees working arrays of megabytes in turn (a
 * collection's passes, batches). Blocks of 4 MB and more are mapped apart,
 * so each goes back to the system when freed: with a 32 MB threshold the
 * freed arrays of one pass stayed resident under the next and a scan of the
 * news corpus peaked at 270 MB instead of 235, for the same CPU time (5
 * interleaved runs, bench/RESULTS.md). The heap below is never trimmed: its
 * small blocks come and go all run long. */
static void cli_tune_malloc(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

int main(int argc, char **argv)
{
    cli_tune_malloc();
    if (argc < 2) {
        fputs(cli_usage_text, stderr);
        return EXIT_USAGE;
    }
    const char *c = argv[1];
    if (!strcmp(c, "-h") || !strcmp(c, "--help") || !strcmp(c, "help")) {
        fputs(cli_usage_text, stdout);
        return EXIT_OK;
    }
    if (!strcmp(c, "--version") || !strcmp(c, "version")) {
        printf("neardup %s (library %s, normalization %u, store format %u)\n", ND_VERSION_STRING,
               nd_version_string(), nd_normalization_version(), ND_STORE_WRITE_VERSION);
        return EXIT_OK;
    }
    cli_opts o;
    memset(&o, 0, sizeof o);
    nd_params_init(&o.params, ND_PARAMS_VERSION);
    o.threads = cli_cpu_count();
    o.in.skip_binary = 1;
    if (!strcmp(c, "scan")) o.cmd = CMD_SCAN;
    else if (!strcmp(c, "clean")) o.cmd = CMD_CLEAN;
    else if (!strcmp(c, "dups")) o.cmd = CMD_DUPS;
    else if (!strcmp(c, "filter")) o.cmd = CMD_FILTER;
    else if (!strcmp(c, "index")) return cli_cmd_index(argc - 1, argv + 1);
    else if (!strcmp(c, "query")) return cli_cmd_query(argc - 1, argv + 1);
    else if (!strcmp(c, "compare")) return cli_cmd_compare(argc - 1, argv + 1);
    else if (!strcmp(c, "merge")) return cli_cmd_merge(argc - 1, argv + 1);
    else if (!strcmp(c, "prune")) return cli_cmd_prune(argc - 1, argv + 1);
    else if (!strcmp(c, "info")) return cli_cmd_info(argc - 1, argv + 1);
    else if (!strcmp(c, "recover")) return cli_cmd_recover(argc - 1, argv + 1);
    else return cli_usage_error("unknown command", c);
    int rc = cli_parse(&o, argc, argv, 2);
    if (rc < 0) {
        cli_help(o.cmd);
        return EXIT_OK;
    }
    if (rc) return rc;
    if (o.cmd == CMD_FILTER && cli_filter_check(o.inputs, o.ninputs)) return EXIT_USAGE;
    return cli_run_command(&o);
}
