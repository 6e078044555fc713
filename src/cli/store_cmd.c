/*
 * The store subcommands (see store_cmd.h). Uses only the public API
 * (neardup.h) and the CLI's input and JSON helpers.
 *
 * `query` and `compare` load stores into an nd_corpus, so boilerplate and
 * copies are decided with everything the stores and the new documents hold;
 * their output follows docs/JSON.md like `scan --json`.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "neardup.h"
#include "input.h"
#include "json.h"
#include "report.h"
#include "progress.h"
#include "store_cmd.h"
#include "compare.h"
#include "rewrite.h"
#include "args.h"
#include "parallel.h"
#include "page.h"

enum { SC_OK = 0, SC_INPUT = 1, SC_USAGE = 2, SC_FOUND = 3, SC_LOCKED = 4 };

/* Option groups; each command accepts some. */
enum {
    G_SIG = CLI_OPT_SIG, /* signature parameters: recorded in the store */
    G_DET = CLI_OPT_DET, /* detection thresholds: used when comparing */
    G_IN = 4,      /* reading INPUTs */
    G_STORE = 8,   /* -s STORE */
    G_OUT = 16,    /* -o OUT, --force */
    G_REPORT = 32, /* --json, --exit-status */
    G_PRUNE = 64,  /* --before, --keep */
    G_VERIFY = 128,
    G_TIME = 256,
    G_LOAD = 512,  /* --load-all */
    G_COMMIT = 1024 /* --commit-every */
};

typedef struct sc_opts {
    const char *cmd;
    unsigned groups;
    nd_params p;           /* values given (see `set`) */
    unsigned set;
    cli_input_opts in;
    const char *store, *out;
    int json, exit_status, quiet, verify, force, have_before, have_keep, have_time, load_all, no_progress;
    long long before, time;
    unsigned long long keep, commit_every;
    char **args;           /* INPUTs or STOREs */
    size_t nargs;
} sc_opts;

/* ---- Parsing ------------------------------------------------------------------ */

/* "1 document", "2 documents": counts in messages agree with their noun. */
static const char *sc_s(unsigned long long n)
{
    return n == 1 ? "" : "s";
}

static int sc_usage(const sc_opts *o, const char *msg, const char *arg)
{
    fprintf(stderr, "neardup %s: %s%s%s\nTry 'neardup %s --help'.\n", o->cmd, msg, arg ? ": " : "",
            arg ? arg : "", o->cmd);
    return SC_USAGE;
}

/* Options with a value. @return 0, 1 unknown, -1 bad value. */
static int sc_value_option(sc_opts *o, const char *n, const char *v)
{
    int rc = cli_param_option(&o->p, o->groups & (G_SIG | G_DET), n, v, &o->set);
    if (rc <= 0) return rc;
    unsigned g = o->groups;
    if ((g & G_STORE) && (!strcmp(n, "-s") || !strcmp(n, "--store"))) return (o->store = v) ? 0 : -1;
    if ((g & G_OUT) && (!strcmp(n, "-o") || !strcmp(n, "--output"))) return (o->out = v) ? 0 : -1;
    if ((g & G_PRUNE) && !strcmp(n, "--before")) return o->have_before = 1, cli_arg_date(v, &o->before);
    if ((g & G_PRUNE) && !strcmp(n, "--keep")) return o->have_keep = 1, cli_arg_uint(v, (unsigned long long)1 << 62, &o->keep);
    if ((g & G_TIME) && !strcmp(n, "--time")) return o->have_time = 1, cli_arg_date(v, &o->time);
    if ((g & G_COMMIT) && !strcmp(n, "--commit-every")) {
        if (cli_arg_uint(v, (unsigned long long)1 << 62, &o->commit_every) || !o->commit_every) return -1;
        return 0;
    }
    if (!(g & G_IN)) return 1;
    return cli_input_option(&o->in, n, v);
}

/* Flags. @return 0, or 1 when not a flag of this command. */
static int sc_flag(sc_opts *o, const char *n)
{
    unsigned g = o->groups;
    if (!strcmp(n, "-q") || !strcmp(n, "--quiet")) o->quiet = 1;
    else if ((g & G_IN) && !strcmp(n, "--no-progress")) o->no_progress = 1;
    else if ((g & (G_REPORT | G_VERIFY)) && !strcmp(n, "--json")) o->json = 1;
    else if ((g & G_REPORT) && !strcmp(n, "--exit-status")) o->exit_status = 1;
    else if ((g & G_VERIFY) && !strcmp(n, "--verify")) o->verify = 1;
    else if ((g & G_LOAD) && !strcmp(n, "--load-all")) o->load_all = 1;
    else if ((g & G_OUT) && (!strcmp(n, "-f") || !strcmp(n, "--force"))) o->force = 1;
    else if ((g & G_IN) && !strcmp(n, "--jsonl")) o->in.force_jsonl = 1;
    else if ((g & G_IN) && !strcmp(n, "--binary")) o->in.skip_binary = 0;
    else return 1;
    return 0;
}

/* @return 0 ok, -1 --help asked, or an exit status. */
static int sc_parse(sc_opts *o, int argc, char **argv)
{
    int only_args = 0;
    o->args = argv + 1; /* compacted in place */
    o->nargs = 0;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (only_args || a[0] != '-' || !strcmp(a, "-")) {
            o->args[o->nargs++] = a;
            continue;
        }
        if (!strcmp(a, "--")) { only_args = 1; continue; }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return -1;
        char name[64];
        const char *eq = a[1] == '-' ? strchr(a, '=') : NULL;
        size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        if (nlen >= sizeof name) return sc_usage(o, "unknown option", a);
        memcpy(name, a, nlen);
        name[nlen] = '\0';
        if (!eq && sc_flag(o, name) == 0) continue;
        const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        int rc = sc_value_option(o, name, v);
        if (rc == 1) return sc_usage(o, "unknown option", a);
        if (rc < 0) return sc_usage(o, v ? "bad value for option" : "missing value for option", name);
    }
    return 0;
}

/* Copies the fields given on the command line over *base. */
static void sc_apply(const sc_opts *o, nd_params *base)
{
    const nd_params *p = &o->p;
    if (o->set & CLI_SET_W) base->shingle_size = p->shingle_size;
    if (o->set & CLI_SET_K) base->num_perm = p->num_perm;
    if (o->set & CLI_SET_SEED) base->seed = p->seed;
    if (o->set & CLI_SET_BITS) base->sig_bits = p->sig_bits;
    if (o->set & CLI_SET_SCHEME) base->minhash_scheme = p->minhash_scheme;
    if (o->set & CLI_SET_SEG) base->seg_mode = p->seg_mode;
    if (o->set & CLI_SET_THR) base->repeat_threshold = p->repeat_threshold;
    if (o->set & CLI_SET_DOCT) base->doc_threshold = p->doc_threshold;
    if (o->set & CLI_SET_CONT) base->containment_threshold = p->containment_threshold;
    if (o->set & CLI_SET_MINC) base->min_contained = p->min_contained;
    if (o->set & CLI_SET_MINS) base->min_stories = p->min_stories;
    if (o->set & CLI_SET_SCOPE) base->boilerplate_scope = p->boilerplate_scope;
    if (o->set & (CLI_SET_BANDS | CLI_SET_ROWS)) {
        base->lsh_bands = p->lsh_bands;
        base->lsh_rows = p->lsh_rows;
    }
}

/* ---- Help ----------------------------------------------------------------------- */

static const char sc_help_sig[] =
    "  -w, --shingle-size N   words per shingle, 1..16 (default 5)\n"
    "  -k, --num-perm N       MinHash values per signature, 1..1024 (default 32 for a new\n"
    "                         store; an existing one keeps its own)\n"
    "  --paragraphs MODE      auto (default), lines, or blocks (blank-line separated)\n";
static const char sc_help_det[] =
    "  --threshold X          Jaccard similarity of near-duplicate paragraphs (default 0.75)\n"
    "  --doc-threshold X      Jaccard similarity of copies' content (default 0.50)\n"
    "  --containment X        share of the smaller document found in the other (default 0.60)\n"
    "  --min-contained N      shingles a document needs for containment (default 40)\n"
    "  --min-stories N        stories a paragraph recurs in to be boilerplate (default 3)\n"
    "  --scope SCOPE          where boilerplate recurs: source (default) or all\n"
    "  --bands B --rows R     banding of the copy index (default: derived)\n";
static const char sc_help_in[] =
    "  --jsonl                read every input (and stdin) as JSON Lines\n"
    "  --id-field F, --text-field F, --source-field F, --url-field F, --date-field F\n"
    "                         JSONL field names (default id, text, source, url, date);\n"
    "                         without a source field, the url's host is the source\n"
    "  --source NAME          the source (feed) of every document\n"
    "  --binary               process files that hold NUL bytes instead of skipping them\n";

static void sc_help(const sc_opts *o, const char *usage, const char *about)
{
    printf("usage: neardup %s %s\n\n%s\noptions:\n", o->cmd, usage, about);
    if (o->groups & G_STORE) printf("  -s, --store STORE      the store file\n");
    if (o->groups & G_OUT)
        printf("  -o, --output OUT       the store to write\n"
               "  -f, --force            replace OUT if it exists\n");
    if (o->groups & G_SIG) {
        fputs(sc_help_sig, stdout);
        printf("  --seed N               hash seed (default %llu)\n", (unsigned long long)ND_DEFAULT_SEED);
        printf("  --sig-bits B           bits kept per MinHash value: 8 (default for a new store), 16 or 32\n");
        printf("  --minhash-scheme S     a new store's: mas64 (default) or mul32; an existing\n"
               "                         store keeps its own, and inputs are signed with it\n");
    }
    if (o->groups & G_TIME)
        printf("  --time DATE            time of indexing: YYYY-MM-DD or seconds since 1970 (default now)\n");
    if (o->groups & G_COMMIT)
        printf("  --commit-every N       commit every N documents (default 10000): a crash loses at\n"
               "                         most the uncommitted ones\n");
    if (o->groups & G_PRUNE)
        printf("  --before DATE          drop documents indexed before DATE (YYYY-MM-DD, 00:00 UTC,\n"
               "                         or seconds since 1970)\n"
               "  --keep N               keep only the N most recently indexed documents\n");
    if (o->groups & G_DET) fputs(sc_help_det, stdout);
    if (o->groups & G_IN) fputs(sc_help_in, stdout);
    if (o->groups & G_REPORT)
        printf("  --json                 write JSON Lines (see docs/JSON.md)\n"
               "  --exit-status          exit with 3 when something was found\n");
    if (o->groups & G_LOAD)
        printf("  --load-all             load every stored document, not only those that can matter\n"
               "                         to the inputs (slower; verdicts may differ in rare cases)\n");
    if (o->groups & G_VERIFY)
        printf("  --verify               read every block and check every checksum\n"
               "  --json                 write one JSON object (see docs/JSON.md)\n");
    printf("  -q, --quiet            no warnings, no summary on stderr\n");
    if (o->groups & G_IN) printf("  --no-progress          no progress line on a terminal\n");
    printf("  -h, --help             this help\n");
}

/* ---- Shared helpers ---------------------------------------------------------------- */

/* Exit status for a library error: parameters that contradict the store's
 * are a usage error when they came from options. */
static int sc_status(int rc, int from_options)
{
    if (rc == ND_E_LOCKED) return SC_LOCKED;
    return rc == ND_E_PARAM_MISMATCH && from_options ? SC_USAGE : SC_INPUT;
}

/* Opens a store, printing why not, and any recovery done, to stderr. */
static nd_store *sc_open(const sc_opts *o, const char *path, nd_store_mode mode, const nd_ctx *ctx,
                         int *rc_out)
{
    nd_store *s = NULL;
    int rc = nd_store_open(&s, path, mode, ctx);
    *rc_out = rc;
    if (rc) {
        fprintf(stderr, "neardup %s: %s\n", o->cmd, s ? nd_store_errmsg(s) : nd_strerror(rc));
        nd_store_close(s);
        return NULL;
    }
    if (!o->quiet && nd_store_errmsg(s)[0]) fprintf(stderr, "neardup %s: warning: %s\n", o->cmd, nd_store_errmsg(s));
    return s;
}

static void sc_store_error(const sc_opts *o, const nd_store *s)
{
    fprintf(stderr, "neardup %s: %s\n", o->cmd, nd_store_errmsg(s));
}

/* A context with `base` and the options given; prints the bad field. */
static nd_ctx *sc_ctx(const sc_opts *o, nd_params base)
{
    char msg[160];
    nd_ctx *ctx = NULL;
    sc_apply(o, &base);
    if (nd_params_check(&base, msg, sizeof msg)) {
        sc_usage(o, msg, NULL);
        return NULL;
    }
    int rc = nd_ctx_create(&ctx, &base, NULL);
    if (rc) fprintf(stderr, "neardup %s: %s\n", o->cmd, nd_strerror(rc));
    return ctx;
}

/* The parameters of the store at path (its open handle in *out). */
static int sc_store_params(const sc_opts *o, const char *path, nd_store **out, nd_params *p)
{
    int rc;
    *out = sc_open(o, path, ND_STORE_READ, NULL, &rc);
    if (!*out) return rc;
    return nd_store_params(*out, p);
}

/* Every command's state starts with this, so that callbacks find the options. */
typedef struct sc_run {
    const sc_opts *o;
} sc_run;

static void sc_input_error(int severity, const char *input, size_t line, const char *message,
                           void *payload)
{
    const sc_opts *o = ((const sc_run *)payload)->o;
    if (severity != CLI_ERROR && o->quiet) return;
    const char *w = severity == CLI_WARNING ? "warning: " : "";
    if (line) fprintf(stderr, "neardup: %s:%zu: %s%s\n", input, line, w, message);
    else fprintf(stderr, "neardup: %s: %s%s\n", input, w, message);
}

static void sc_on_progress(size_t docs, unsigned long long bytes, void *payload)
{
    cli_progress_update(payload, docs, bytes);
}

/* Reads every input once through fn, with a progress line on a terminal. */
static long sc_read_shown(const sc_opts *o, cli_inputs *in, cli_doc_fn fn, void *payload)
{
    cli_progress p;
    cli_progress_start(&p, o->cmd, o->args, o->nargs, !o->quiet && !o->no_progress);
    cli_inputs_on_progress(in, sc_on_progress, &p);
    long errors = cli_inputs_read(in, fn, sc_input_error, payload);
    cli_inputs_on_progress(in, NULL, NULL);
    cli_progress_end(&p);
    return errors;
}

/* ---- index ------------------------------------------------------------------------ */

typedef struct sc_index {
    sc_run run;
    nd_store *store;
    const nd_ctx *ctx;
    nd_doc *doc;
    nd_html *html;             /* web pages' extractor (made on first use) */
    nd_corpus *batch;          /* documents read since the last commit */
    int64_t time;
    size_t docs, uncommitted;  /* documents committed; analyzed but lost to a failure */
    unsigned long long text_bytes, batch_bytes;
    int failed, fatal;
} sc_index;

/* A commit every so many documents (by default) bounds what a crash can
 * lose, and the memory of the collection each batch is judged in. */
#define SC_COMMIT_EVERY 10000

/* Judges the batch as a collection, so that each document is stored with
 * the signature of its content (its chrome left out, as a scan would), then
 * appends and commits it. */
static int sc_index_flush(sc_index *x)
{
    if (!x->batch || !nd_corpus_count(x->batch)) return 0;
    int rc = nd_corpus_finish(x->batch);
    if (rc) {
        fprintf(stderr, "neardup: %s: %s\n", x->run.o->store, nd_strerror(rc));
    } else if ((rc = nd_store_append_corpus(x->store, x->batch, x->time)) || (rc = nd_store_commit(x->store))) {
        sc_store_error(x->run.o, x->store);
    } else {
        x->docs += nd_corpus_count(x->batch);
        x->text_bytes += x->batch_bytes;
    }
    if (rc) x->uncommitted += nd_corpus_count(x->batch);
    nd_corpus_free(x->batch);
    x->batch = NULL;
    x->batch_bytes = 0;
    if (rc) x->failed = x->fatal = 1;
    return rc;
}

static int sc_index_doc(const cli_doc *d, void *payload)
{
    sc_index *x = payload;
    int rc = ND_OK;
    if (!x->batch && !(rc = nd_corpus_create(&x->batch, x->ctx)))
        rc = nd_corpus_set_exact(x->batch, 1); /* its values go to the store */
    if (!rc) rc = cli_analyze(x->ctx, x->doc, &x->html, d->text, d->text_len, d->is_html, d->charset,
                              d->charset_len);
    if (!rc) rc = nd_corpus_add(x->batch, x->doc, d->id, d->id_len, d->source, d->source_len, NULL);
    if (rc) {
        fprintf(stderr, "neardup: %s: %s\n", d->path, nd_strerror(rc));
        x->failed = 1;
        x->fatal = rc == ND_E_NOMEM;
        return x->fatal;
    }
    x->batch_bytes += d->text_len;
    if (nd_corpus_count(x->batch) >= x->run.o->commit_every && sc_index_flush(x)) return 1;
    return 0;
}

/* Parameters of a new store: the defaults with 32 values of 8 bits; of an existing
 * one: its own. Options given on the command line go over either, and must
 * then agree with an existing store. */
static nd_ctx *sc_index_ctx(const sc_opts *o, int *status)
{
    struct stat st;
    nd_params base;
    nd_params_init(&base, ND_PARAMS_VERSION);
    base.sig_bits = 8;
    base.num_perm = 32; /* measured: copy F1 unchanged, a quarter of the size (RESULTS.md) */
    /* at 32 values of 8 bits the mul32 scheme's copy F1 on ../shared/eval is
     * 0.9 points under mas64's with the default seed (0.3 on average over five
     * seeds, within the seeds' own spread): new stores keep mas64 (RESULTS.md) */
    base.minhash_scheme = ND_MINHASH_MAS64;
    *status = SC_USAGE;
    /* quietly: a file that does not open as a store is judged by the
     * appender below, which rewrites what a crash during creation left
     * (docs/FORMAT.md) and refuses anything else, saying why */
    if (stat(o->store, &st) == 0 && st.st_size > 0) {
        nd_store *s = NULL;
        if (nd_store_open(&s, o->store, ND_STORE_READ, NULL) == ND_OK) nd_store_params(s, &base);
        nd_store_close(s);
    }
    return sc_ctx(o, base);
}

/* Whether some INPUT can be read (or is stdin): a new store is not
 * created for inputs that are all missing. Each missing one is named. */
static int sc_some_input(const sc_opts *o)
{
    int some = 0;
    for (size_t i = 0; i < o->nargs; i++) {
        if (!strcmp(o->args[i], "-") || access(o->args[i], R_OK) == 0) some = 1;
        else fprintf(stderr, "neardup: %s: %s\n", o->args[i], strerror(errno));
    }
    return some;
}

static int sc_index_run(const sc_opts *o)
{
    sc_index x;
    struct stat st;
    int rc, status;
    memset(&x, 0, sizeof x);
    x.run.o = o;
    x.time = o->have_time ? (int64_t)o->time : (int64_t)time(NULL);
    if (stat(o->store, &st) != 0 && !sc_some_input(o)) {
        fprintf(stderr, "neardup index: no input could be read; %s not created\n", o->store);
        return SC_INPUT;
    }
    nd_ctx *ctx = sc_index_ctx(o, &status);
    if (!ctx) return status;
    x.ctx = ctx;
    x.store = sc_open(o, o->store, ND_STORE_CREATE, ctx, &rc);
    if (x.store && nd_doc_create(&x.doc, ctx)) x.fatal = 1;
    cli_inputs *in = x.store && x.doc ? cli_inputs_open(o->args, o->nargs, &o->in, 0) : NULL;
    long errors = in ? sc_read_shown(o, in, sc_index_doc, &x) : 0;
    cli_inputs_close(in);
    if (x.store && !x.fatal) sc_index_flush(&x);
    if (x.store && !x.fatal && nd_store_commit(x.store)) { /* a new store with no document */
        sc_store_error(o, x.store);
        x.failed = 1;
    }
    nd_corpus_free(x.batch);
    nd_store_info info = ND_STORE_INFO_INIT;
    /* only what was committed counts: after a failed write the rest is gone */
    if (x.store && !o->quiet && !nd_store_describe(x.store, &info)) {
        fprintf(stderr, "neardup: indexed %zu document%s (%llu bytes of text) into %s: %llu document%s, %llu bytes\n",
                x.docs, sc_s(x.docs), x.text_bytes, o->store, (unsigned long long)info.documents,
                sc_s(info.documents), (unsigned long long)info.file_bytes);
        if (x.uncommitted)
            fprintf(stderr, "neardup: %zu documents analyzed were not committed\n", x.uncommitted);
    }
    nd_doc_free(x.doc);
    nd_html_free(x.html);
    nd_store_close(x.store);
    nd_ctx_free(ctx);
    if (!x.store) return sc_status(rc, o->set != 0);
    return (errors || x.failed || !in) ? SC_INPUT : SC_OK;
}

/* ---- query ------------------------------------------------------------------------ */

typedef struct sc_query {
    sc_run run;
    nd_ctx *ctx;
    nd_doc *doc;
    nd_html *html;         /* web pages' extractor (made on first use) */
    nd_corpus *corpus;
    nd_store_probe *probe;
    size_t base;           /* corpus index of the first input document */
    size_t docs, paras, repeats, boilerplate, copies;
    int failed, changed;
} sc_query;


static void sc_query_report(sc_query *q, const cli_doc *d, size_t idx)
{
    nd_doc_info info = ND_DOC_INFO_INIT;
    nd_corpus_doc(q->corpus, idx, &info);
    q->docs++;
    q->paras += info.paragraphs;
    q->repeats += info.repeats;
    q->boilerplate += info.boilerplate;
    q->copies += info.duplicate_of != ND_NONE;
    if (q->run.o->json) {
        cli_view v;
        cli_view_of_corpus(q->corpus, idx, &v);
        v.has_site = 0; /* stored documents keep no template: a query's sites are partial */
        cli_report_doc(stdout, d, &v);
        for (size_t i = 0; i < info.paragraphs; i++) {
            nd_para_info p = ND_PARA_INFO_INIT;
            const char *of_id;
            size_t of_len;
            cli_para_of_corpus(q->corpus, idx, i, &p, &of_id, &of_len);
            cli_report_para(stdout, d, i, &p, of_id, of_len, NULL);
        }
        return;
    }
    printf("%.*s: %zu paragraph%s, %zu repeat%s, %zu boilerplate", (int)d->id_len, d->id, info.paragraphs,
           sc_s(info.paragraphs), info.repeats, sc_s(info.repeats), info.boilerplate);
    if (info.duplicate_of != ND_NONE) {
        const char *id;
        size_t len;
        nd_corpus_doc_id(q->corpus, info.duplicate_of, &id, &len);
        printf(", copy of %.*s%s (similarity %.2f, containment %.2f)", (int)len, id,
               info.duplicate_of < q->base ? " (stored)" : "", info.similarity, info.containment);
    }
    putchar('\n');
}

static int sc_query_add(const cli_doc *d, void *payload)
{
    sc_query *q = payload;
    int rc = cli_analyze(q->ctx, q->doc, &q->html, d->text, d->text_len, d->is_html, d->charset,
                         d->charset_len);
    size_t at = ND_NONE;
    if (!rc) rc = nd_corpus_add(q->corpus, q->doc, d->id, d->id_len, d->source, d->source_len, &at);
    if (!rc && d->has_date) rc = nd_corpus_set_date(q->corpus, at, d->date);
    if (rc) { /* left out; the documents after it keep their places */
        fprintf(stderr, "neardup: %s: %s\n", d->path, nd_strerror(rc));
        q->failed = 1;
        return rc == ND_E_NOMEM;
    }
    return 0;
}

static int sc_query_out(const cli_doc *d, void *payload)
{
    sc_query *q = payload;
    const char *id;
    size_t len, idx = q->base + d->seq;
    if (idx >= nd_corpus_count(q->corpus) || nd_corpus_doc_id(q->corpus, idx, &id, &len)
        || len != d->id_len || memcmp(id, d->id, len)) {
        q->changed = 1;
        return 1;
    }
    sc_query_report(q, d, idx);
    return 0;
}

static void sc_quiet(int severity, const char *input, size_t line, const char *message, void *payload)
{   /* the second pass meets the problems the first reported */
    (void)severity; (void)input; (void)line; (void)message; (void)payload;
}

/* Reads the inputs like `scan`: once into the collection, then, after the
 * passes, to report them. */
static long sc_query_inputs(sc_query *q, cli_inputs *in)
{
    long errors = sc_read_shown(q->run.o, in, sc_query_add, q);
    int rc = nd_corpus_finish(q->corpus);
    if (rc) {
        fprintf(stderr, "neardup: %s\n", nd_strerror(rc));
        q->failed = 1;
    } else if (cli_inputs_read(in, sc_query_out, sc_quiet, q) < 0 || q->changed) {
        fputs("neardup: the input changed between the two passes; output is incomplete\n", stderr);
        q->failed = 1;
    }
    return errors < 0 ? 1 : errors;
}

static int sc_probe_doc(const cli_doc *d, void *payload)
{
    sc_query *q = payload;
    int rc = cli_analyze(q->ctx, q->doc, &q->html, d->text, d->text_len, d->is_html, d->charset,
                         d->charset_len);
    if (!rc) rc = nd_store_probe_add(q->probe, q->doc);
    return rc == ND_E_NOMEM; /* other failures are reported when the document is added */
}

/* Loads what of the store can matter to the inputs: their signatures go
 * into a probe (a first reading of the inputs), then the store's blocks are
 * streamed (nd_store_load_probed). --load-all loads every document. */
static int sc_query_load(sc_query *q, nd_store *s, cli_inputs *in)
{
    const sc_opts *o = q->run.o;
    size_t loaded = nd_store_count(s);
    if (o->load_all) {
        int rc = nd_store_load_into(s, q->corpus);
        if (rc) sc_store_error(o, s);
        return rc;
    }
    int rc = nd_store_probe_create(&q->probe, q->ctx, 0);
    if (!rc && cli_inputs_read(in, sc_probe_doc, sc_quiet, q) < 0) rc = ND_E_NOMEM;
    if (rc) fprintf(stderr, "neardup %s: %s\n", o->cmd, nd_strerror(rc));
    else if ((rc = nd_store_load_probed(s, q->corpus, q->probe, &loaded))) sc_store_error(o, s);
    if (!rc && !o->quiet)
        fprintf(stderr, "neardup %s: %zu of %zu stored document%s can matter to the inputs\n", o->cmd,
                loaded, nd_store_count(s), sc_s(nd_store_count(s)));
    nd_store_probe_free(q->probe);
    q->probe = NULL;
    return rc;
}

static int sc_query_run(const sc_opts *o)
{
    sc_query q;
    nd_params base;
    memset(&q, 0, sizeof q);
    q.run.o = o;
    nd_store *s = NULL;
    int rc = sc_store_params(o, o->store, &s, &base);
    if (!rc && !(q.ctx = sc_ctx(o, base))) rc = ND_E_PARAM;
    if (!rc) rc = nd_doc_create(&q.doc, q.ctx);
    if (!rc) rc = nd_corpus_create(&q.corpus, q.ctx);
    if (!rc) rc = nd_corpus_set_threads(q.corpus, cli_cpu_count()); /* same verdicts for any count */
    cli_inputs *in = rc ? NULL : cli_inputs_open(o->args, o->nargs, &o->in, 1);
    if (!rc && !in) rc = ND_E_NOMEM;
    if (!rc) rc = sc_query_load(&q, s, in);
    int status = rc == ND_E_PARAM ? SC_USAGE : sc_status(rc, 1);
    nd_store_close(s);
    long errors = 0;
    if (!rc) {
        q.base = nd_corpus_count(q.corpus);
        errors = sc_query_inputs(&q, in);
        if (!o->json)
            printf("total: %zu document%s, %zu paragraph%s, %zu repeat%s, %zu boilerplate, %zu cop%s\n",
                   q.docs, sc_s(q.docs), q.paras, sc_s(q.paras), q.repeats, sc_s(q.repeats), q.boilerplate,
                   q.copies, q.copies == 1 ? "y" : "ies");
        if (fflush(stdout)) q.failed = 1;
        status = errors || q.failed ? SC_INPUT
               : o->exit_status && (q.repeats || q.boilerplate || q.copies) ? SC_FOUND : SC_OK;
    }
    cli_inputs_close(in);
    nd_corpus_free(q.corpus);
    nd_doc_free(q.doc);
    nd_html_free(q.html);
    nd_ctx_free(q.ctx);
    return status;
}

/* ---- compare (the pairs: compare.c) ------------------------------------------------ */

typedef struct sc_compare {
    const sc_opts *o;
    size_t pairs;
} sc_compare;

static int sc_pair(const cli_pair *p, void *payload)
{
    sc_compare *x = payload;
    const nd_store_record *ra = p->a, *rb = p->b;
    x->pairs++;
    if (!x->o->json) {
        printf("%.*s\t%.*s\tsimilarity %.2f", (int)ra->id_len, ra->id, (int)rb->id_len, rb->id, p->similarity);
        if (p->copy) printf("\tcontainment %.2f\n", p->containment);
        else printf("\t(same cluster)\n");
        return 0;
    }
    fputs("{\"type\":\"pair\",\"a\":", stdout);
    cli_json_write_string(stdout, ra->id, ra->id_len);
    fputs(",\"b\":", stdout);
    cli_json_write_string(stdout, rb->id, rb->id_len);
    fputs(",\"source_a\":", stdout);
    cli_json_write_string(stdout, ra->source, ra->source_len);
    fputs(",\"source_b\":", stdout);
    cli_json_write_string(stdout, rb->source, rb->source_len);
    fputs(",\"similarity\":", stdout);
    cli_json_write_double(stdout, p->similarity, 4);
    fputs(",\"containment\":", stdout);
    if (p->copy) cli_json_write_double(stdout, p->containment, 4);
    else fputs("null", stdout);
    printf(",\"link\":\"%s\"}\n", p->copy ? "copy" : "cluster");
    return 0;
}

static int sc_compare_run(const sc_opts *o)
{
    sc_compare x = { o, 0 };
    nd_store *a = NULL, *b = NULL;
    const nd_store *failed = NULL;
    nd_corpus *corpus = NULL;
    nd_params base;
    nd_ctx *ctx = NULL;
    nd_params_init(&base, ND_PARAMS_VERSION);
    if (o->nargs != 2) return sc_usage(o, "give two stores", NULL);
    int rc = sc_store_params(o, o->args[0], &a, &base), status = SC_INPUT;
    if (!rc && !(b = sc_open(o, o->args[1], ND_STORE_READ, NULL, &rc))) status = SC_INPUT;
    if (!rc && (rc = nd_store_compatible(a, b))) sc_store_error(o, a);
    if (!rc && !(ctx = sc_ctx(o, base))) {
        rc = ND_E_PARAM;
        status = SC_USAGE;
    }
    if (!rc) rc = nd_corpus_create(&corpus, ctx);
    if (!rc) rc = nd_corpus_set_threads(corpus, cli_cpu_count()); /* same verdicts for any count */
    if (!rc && (rc = cli_compare_stores(corpus, a, b, sc_pair, &x, &failed))) {
        if (failed) sc_store_error(o, failed);
        else fprintf(stderr, "neardup compare: %s\n", nd_strerror(rc));
    }
    if (!rc && fflush(stdout)) rc = ND_E_IO;
    if (!rc) status = o->exit_status && x.pairs ? SC_FOUND : SC_OK;
    if (!rc && !o->quiet) fprintf(stderr, "neardup compare: %zu pair%s\n", x.pairs, sc_s(x.pairs));
    nd_corpus_free(corpus);
    nd_store_close(a);
    nd_store_close(b);
    nd_ctx_free(ctx);
    return status;
}

/* ---- merge and prune (a new store beside the old: rewrite.c) ------------------------- */

static void sc_note(int warning, const char *note, void *payload)
{
    const sc_opts *o = ((const sc_run *)payload)->o;
    if (!o->quiet) fprintf(stderr, "neardup %s: %s%s\n", o->cmd, warning ? "warning: " : "", note);
}

/* Prints a failure of rewrite.c: its message, else the code's. */
static void sc_rewrite_error(const sc_opts *o, const char *msg, int rc)
{
    fprintf(stderr, "neardup %s: %s\n", o->cmd, msg[0] ? msg : nd_strerror(rc));
}

static int sc_merge_run(const sc_opts *o)
{
    struct stat st;
    char msg[4400] = "";
    sc_run run = { o };
    cli_rewrite_io io = { msg, sizeof msg, sc_note, &run };
    if (!o->out) return sc_usage(o, "no output store (-o OUT)", NULL);
    if (!o->nargs) return sc_usage(o, "no STORE to merge", NULL);
    if (!o->force && stat(o->out, &st) == 0) return sc_usage(o, "output exists (use --force to replace it)", o->out);
    nd_store **in = calloc(o->nargs, sizeof *in);
    int rc = in ? ND_OK : ND_E_NOMEM;
    for (size_t i = 0; i < o->nargs && !rc; i++) in[i] = sc_open(o, o->args[i], ND_STORE_READ, NULL, &rc);
    size_t docs = 0;
    if (!rc && (rc = cli_merge_stores(o->out, in, o->nargs, &docs, &io))) sc_rewrite_error(o, msg, rc);
    if (!rc && !o->quiet) fprintf(stderr, "neardup merge: %zu document%s from %zu store%s into %s\n", docs, sc_s(docs), o->nargs, sc_s(o->nargs), o->out);
    for (size_t i = 0; in && i < o->nargs; i++) nd_store_close(in[i]);
    free(in);
    return rc ? SC_INPUT : SC_OK;
}

static int sc_prune_run(const sc_opts *o)
{
    if (!o->store) return sc_usage(o, "no store (-s STORE)", NULL);
    if (o->nargs) return sc_usage(o, "unexpected argument", o->args[0]);
    if (!o->have_before && !o->have_keep) return sc_usage(o, "give --before DATE or --keep N", NULL);
    char msg[4400] = "";
    sc_run run = { o };
    cli_rewrite_io io = { msg, sizeof msg, sc_note, &run };
    cli_prune_rule rule = { o->have_before, o->have_keep, o->before, o->keep };
    size_t kept = 0, n = 0;
    int rc = cli_prune_store(o->store, &rule, &kept, &n, &io);
    if (rc) sc_rewrite_error(o, msg, rc);
    else if (!o->quiet)
        fprintf(stderr, "neardup prune: kept %zu of %zu document%s in %s\n", kept, n, sc_s(n), o->store);
    return rc == ND_E_PARAM ? SC_USAGE : rc == ND_E_LOCKED ? SC_LOCKED : rc ? SC_INPUT : SC_OK;
}

/* ---- info ------------------------------------------------------------------------------ */

static const char *sc_seg_name(nd_seg_mode m)
{
    return m == ND_SEG_LINES ? "lines" : m == ND_SEG_BLOCKS ? "blocks" : "auto";
}

static double sc_per(uint64_t a, uint64_t b) { return b ? (double)a / (double)b : 0.0; }

static void sc_info_print(const char *path, const nd_params *p, const nd_store_info *in)
{
    printf("store: %s\n", path);
    printf("format: write version %u, read version %u%s\n", in->write_version, in->read_version,
           in->write_version > ND_STORE_WRITE_VERSION ? " (newer format: read-only)"
           : in->write_version < ND_STORE_WRITE_VERSION ? " (older format: read-only; 'merge' rewrites it)" : "");
    printf("parameters: num_perm %u, sig_bits %u, shingle_size %u, seed %llu, paragraphs %s,\n"
           "            normalization_version %u, hash_scheme %u, minhash_scheme %u",
           p->num_perm, p->sig_bits, p->shingle_size, (unsigned long long)p->seed,
           sc_seg_name(p->seg_mode), in->normalization_version, in->hash_scheme, in->minhash_scheme);
    if (p->lsh_bands) printf(", lsh %ux%u (advisory)", p->lsh_bands, p->lsh_rows);
    printf("\ndocuments: %llu\nparagraphs: %llu\nblocks: %llu\ncommit: %llu\n",
           (unsigned long long)in->documents, (unsigned long long)in->paragraphs,
           (unsigned long long)in->blocks, (unsigned long long)in->commit);
    printf("size: %llu bytes (%.1f per document, %.1f per paragraph)\n", (unsigned long long)in->file_bytes,
           sc_per(in->file_bytes, in->documents), sc_per(in->file_bytes, in->paragraphs));
    printf("document signature: %u bytes (%u values of %u bits)\n", p->num_perm * p->sig_bits / 8,
           p->num_perm, p->sig_bits);
    printf("indexed text: %llu bytes (up to each document's last paragraph); store is %.1f%% of it\n",
           (unsigned long long)in->text_bytes, 100.0 * sc_per(in->file_bytes, in->text_bytes));
    if (in->torn_bytes && !in->needs_recovery)
        printf("torn tail: %llu bytes after the last commit (never committed; ignored)\n",
               (unsigned long long)in->torn_bytes);
    if (in->recovered) printf("recovered: an earlier commit is in use (see the warning)\n");
    if (in->needs_recovery)
        printf("damaged: %llu committed documents lost, %llu in intact frames after the commit in use "
               "('neardup recover -s %s' keeps them)\n", (unsigned long long)in->lost_documents,
               (unsigned long long)in->salvageable_documents, path);
}

static void sc_stats_print(const nd_store_stats *st, unsigned sig_bytes)
{
    printf("verify: ok\n");
    printf("blocks: %llu; records %llu bytes, compressed to %llu (%.1f%%); signatures %llu bytes\n",
           (unsigned long long)st->blocks, (unsigned long long)st->raw_bytes,
           (unsigned long long)st->compressed_bytes, 100.0 * sc_per(st->compressed_bytes, st->raw_bytes),
           (unsigned long long)st->signature_bytes);
    printf("signatures: %llu stored in full (%u bytes each), %llu by reference to an earlier one\n",
           (unsigned long long)st->signatures_stored, sig_bytes,
           (unsigned long long)st->signatures_referenced);
}

static void sc_json_u64(const char *name, uint64_t v, int first)
{
    printf("%s\"%s\":%llu", first ? "" : ",", name, (unsigned long long)v);
}

/* The "parameters" object of `info --json`. The seed is a string: it
 * exceeds 2^53, past which JSON readers that parse numbers as doubles
 * would round it. */
static void sc_info_json_params(const nd_params *p, const nd_store_info *in)
{
    fputs(",\"parameters\":{", stdout);
    sc_json_u64("num_perm", p->num_perm, 1);
    sc_json_u64("sig_bits", p->sig_bits, 0);
    sc_json_u64("shingle_size", p->shingle_size, 0);
    printf(",\"seed\":\"%llu\",\"paragraphs\":\"%s\"", (unsigned long long)p->seed,
           sc_seg_name(p->seg_mode));
    sc_json_u64("normalization_version", in->normalization_version, 0);
    sc_json_u64("hash_scheme", in->hash_scheme, 0);
    sc_json_u64("minhash_scheme", in->minhash_scheme, 0);
    sc_json_u64("lsh_bands", p->lsh_bands, 0);
    sc_json_u64("lsh_rows", p->lsh_rows, 0);
    putchar('}');
}

/* `info --json`: one object (docs/JSON.md, "info"); `verify` is NULL
 * without --verify, and `vrc` its result. */
static void sc_info_json(const sc_opts *o, const nd_store *s, const nd_params *p,
                         const nd_store_info *in, const nd_store_stats *verify, int vrc)
{
    fputs("{\"type\":\"info\",\"store\":", stdout);
    cli_json_write_string(stdout, o->args[0], strlen(o->args[0]));
    printf(",\"format\":{\"write_version\":%u,\"read_version\":%u,\"appendable\":%s}",
           in->write_version, in->read_version,
           in->write_version == ND_STORE_WRITE_VERSION ? "true" : "false");
    sc_info_json_params(p, in);
    sc_json_u64("documents", in->documents, 0);
    sc_json_u64("paragraphs", in->paragraphs, 0);
    sc_json_u64("blocks", in->blocks, 0);
    sc_json_u64("commit", in->commit, 0);
    sc_json_u64("file_bytes", in->file_bytes, 0);
    sc_json_u64("text_bytes", in->text_bytes, 0);
    sc_json_u64("document_signature_bytes", (uint64_t)p->num_perm * p->sig_bits / 8, 0);
    fputs(",\"store_share_of_text\":", stdout);
    cli_json_write_double(stdout, sc_per(in->file_bytes, in->text_bytes), 4);
    sc_json_u64("torn_bytes", in->torn_bytes, 0);
    printf(",\"recovered\":%s", in->recovered ? "true" : "false");
    if (o->verify) {
        printf(",\"verify\":{\"ok\":%s", vrc ? "false" : "true");
        if (vrc) {
            fputs(",\"error\":", stdout);
            cli_json_write_string(stdout, nd_store_errmsg(s), strlen(nd_store_errmsg(s)));
        } else {
            sc_json_u64("blocks", verify->blocks, 0);
            sc_json_u64("raw_bytes", verify->raw_bytes, 0);
            sc_json_u64("compressed_bytes", verify->compressed_bytes, 0);
            sc_json_u64("signature_bytes", verify->signature_bytes, 0);
            sc_json_u64("signatures_stored", verify->signatures_stored, 0);
            sc_json_u64("signatures_referenced", verify->signatures_referenced, 0);
        }
        putchar('}');
    }
    fputs("}\n", stdout);
}

static int sc_info_run(const sc_opts *o)
{
    if (o->nargs != 1) return sc_usage(o, "give one store", NULL);
    nd_params p;
    nd_store_info in = ND_STORE_INFO_INIT;
    nd_store_stats st = ND_STORE_STATS_INIT;
    nd_store *s = NULL;
    int rc = sc_store_params(o, o->args[0], &s, &p), vrc = ND_OK;
    if (!rc) rc = nd_store_describe(s, &in);
    if (!rc && !o->json) sc_info_print(o->args[0], &p, &in);
    if (!rc && o->verify) {
        memset(&st, 0, sizeof st);
        st.version = ND_STORE_STATS_VERSION;
        if ((vrc = nd_store_verify(s, &st))) sc_store_error(o, s);
        if (vrc && !o->json) printf("verify: FAILED: %s\n", nd_store_errmsg(s));
        else if (!o->json) sc_stats_print(&st, p.num_perm * p.sig_bits / 8);
    }
    if (!rc && o->json) sc_info_json(o, s, &p, &in, &st, vrc);
    nd_store_close(s);
    if (!rc) rc = vrc;
    if (fflush(stdout)) rc = ND_E_IO;
    return rc ? SC_INPUT : SC_OK;
}

/* ---- recover ----------------------------------------------------------------------------- */

/* Copies the file at `from` to a new file `to` (never over an existing
 * one), flushed. @return 0 or errno. */
static int sc_copy_file(const char *from, const char *to)
{
    char buf[1 << 16];
    int in = open(from, O_RDONLY | O_CLOEXEC), e = 0;
    if (in < 0) return errno;
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (out < 0) e = errno;
    for (ssize_t n; !e && (n = read(in, buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 || write(out, buf, (size_t)n) != n) e = errno ? errno : EIO;
    }
    if (!e && fsync(out)) e = errno;
    if (out >= 0 && close(out) && !e) e = errno;
    close(in);
    if (e && out >= 0) unlink(to);
    return e;
}

static int sc_recover_run(const sc_opts *o)
{
    if (!o->store) return sc_usage(o, "no store (-s STORE)", NULL);
    if (o->nargs) return sc_usage(o, "unexpected argument", o->args[0]);
    int rc;
    nd_store_info in = ND_STORE_INFO_INIT;
    nd_store *s = sc_open(o, o->store, ND_STORE_RECOVER, NULL, &rc);
    if (!s) return sc_status(rc, 0);
    nd_store_describe(s, &in);
    if (!in.needs_recovery && !in.torn_bytes) {
        if (!o->quiet) fprintf(stderr, "neardup recover: %s: nothing to recover\n", o->store);
        nd_store_close(s);
        return SC_OK;
    }
    size_t n = strlen(o->store) + 5;
    char *bak = malloc(n);
    int e = bak ? (snprintf(bak, n, "%s.bak", o->store), sc_copy_file(o->store, bak)) : ENOMEM;
    if (e) {
        fprintf(stderr, "neardup recover: %s: cannot keep a copy (%s)%s; nothing changed\n", bak ? bak : o->store,
                strerror(e), e == EEXIST ? ": move the earlier copy away first" : "");
        rc = ND_E_IO;
    } else if ((rc = nd_store_recover(s))) {
        sc_store_error(o, s);
    } else {
        uint64_t had = in.documents;
        nd_store_describe(s, &in);
        if (!o->quiet)
            fprintf(stderr, "neardup recover: %s: %llu documents (%llu rolled forward), commit %llu; "
                    "the original is in %s\n", o->store, (unsigned long long)in.documents,
                    (unsigned long long)(in.documents - had), (unsigned long long)in.commit, bak);
    }
    nd_store_close(s);
    free(bak);
    return rc ? SC_INPUT : SC_OK;
}

/* ---- Entry points ----------------------------------------------------------------------- */

typedef int (*sc_runner)(const sc_opts *o);

static int sc_main(int argc, char **argv, unsigned groups, const char *usage, const char *about,
                   sc_runner run)
{
    sc_opts o;
    memset(&o, 0, sizeof o);
    o.cmd = argc > 0 && argv[0] ? argv[0] : "store";
    o.groups = groups;
    o.in.skip_binary = 1;
    o.commit_every = SC_COMMIT_EVERY;
    nd_params_init(&o.p, ND_PARAMS_VERSION);
    int rc = sc_parse(&o, argc, argv);
    if (rc < 0) {
        sc_help(&o, usage, about);
        return SC_OK;
    }
    if (rc) return rc;
    return run(&o);
}

static int sc_index_main(const sc_opts *o)
{
    if (!o->store) return sc_usage(o, "no store (-s STORE)", NULL);
    if (!o->nargs) return sc_usage(o, "no INPUT given (use - for standard input)", NULL);
    return sc_index_run(o);
}

static int sc_query_main(const sc_opts *o)
{
    if (!o->store) return sc_usage(o, "no store (-s STORE)", NULL);
    if (!o->nargs) return sc_usage(o, "no INPUT given (use - for standard input)", NULL);
    return sc_query_run(o);
}

int cli_cmd_index(int argc, char **argv)
{
    return sc_main(argc, argv, G_SIG | G_IN | G_STORE | G_TIME | G_COMMIT, "-s STORE [options] INPUT...",
                   "Analyzes every document and appends its signatures (never its text) to STORE,\n"
                   "creating it if absent. A new store takes the signature options given (8-bit\n"
                   "values by default); an existing one keeps its own, and options that contradict\n"
                   "them are refused. Documents are committed every 10000 (--commit-every) and at\n"
                   "the end: a crash loses at most the uncommitted ones. A store whose committed\n"
                   "data is missing or damaged is refused ('neardup recover'). Exit status 4: the\n"
                   "store is locked by another appender.\n",
                   sc_index_main);
}

int cli_cmd_query(int argc, char **argv)
{
    return sc_main(argc, argv, G_SIG | G_DET | G_IN | G_STORE | G_REPORT | G_LOAD, "-s STORE [options] INPUT...",
                   "Reports, like 'scan', every input document and paragraph, judged together with\n"
                   "the documents of STORE: a copy of a stored document names its id as\n"
                   "duplicate_of, and paragraphs recurring in the store's stories are boilerplate.\n"
                   "Only the input documents are reported; the store is not changed. The store's\n"
                   "blocks are streamed and only the stored documents that can matter to the inputs\n"
                   "are loaded (docs/FORMAT.md, \"Queries\").\n",
                   sc_query_main);
}

int cli_cmd_compare(int argc, char **argv)
{
    return sc_main(argc, argv, G_DET | G_REPORT, "[options] STORE_A STORE_B",
                   "Lists the documents of STORE_B that are near-duplicates (syndicated copies) of\n"
                   "documents of STORE_A, one pair per line; --json writes\n"
                   "{\"type\":\"pair\",\"a\":ID,\"b\":ID,\"source_a\":S,\"source_b\":S,\"similarity\":X,\n"
                   "\"containment\":Y,\"link\":\"copy\"|\"cluster\"} lines (docs/JSON.md).\n",
                   sc_compare_run);
}

int cli_cmd_merge(int argc, char **argv)
{
    return sc_main(argc, argv, G_OUT, "-o OUT STORE...",
                   "Writes every document of the STOREs, in order, to a new store OUT. Stores made\n"
                   "with different signature parameters are refused, naming the parameter.\n",
                   sc_merge_run);
}

int cli_cmd_prune(int argc, char **argv)
{
    return sc_main(argc, argv, G_STORE | G_PRUNE, "-s STORE (--before DATE | --keep N)",
                   "Drops documents indexed before DATE and/or all but the N most recent, and\n"
                   "compacts the store: a new file is written and renamed over the old one.\n",
                   sc_prune_run);
}

int cli_cmd_info(int argc, char **argv)
{
    return sc_main(argc, argv, G_VERIFY, "[--verify] [--json] STORE",
                   "Prints the store's format versions, parameters, counts and sizes; with\n"
                   "--verify, reads every block and checks every checksum (exit 1 on failure);\n"
                   "with --json, as one JSON object.\n",
                   sc_info_run);
}

int cli_cmd_recover(int argc, char **argv)
{
    return sc_main(argc, argv, G_STORE, "-s STORE",
                   "Keeps what is intact of a store whose committed data is missing or damaged\n"
                   "(a file cut short, a damaged commit record): copies STORE to STORE.bak first,\n"
                   "then keeps every frame after the newest intact commit that passes its checksums,\n"
                   "writes a commit naming them and cuts the rest. The only command that removes\n"
                   "anything from a store. Exit status 1 when it cannot, 4 when the store is locked.\n",
                   sc_recover_run);
}
