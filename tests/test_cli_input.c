/*
 * Unit tests for src/cli/input.c. Each test runs in a fresh temporary
 * directory (mkdtemp) that is also the working directory, so ids are short
 * relative paths such as "d/a.txt".
 */
#define _XOPEN_SOURCE 700 /* nftw(), and POSIX 2008 */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "input.h"

/* ---- Recording callbacks ------------------------------------------------- */

typedef struct rec_doc {
    char *id, *source, *text, *input, *path, *raw;
    size_t id_len, source_len, text_len, raw_len;
    size_t line, seq, text_value_off, text_value_len;
    int is_jsonl;
} rec_doc;

typedef struct rec_err {
    int severity;
    char *input;
    size_t line;
    char *msg;
} rec_err;

typedef struct rec {
    rec_doc *docs;
    size_t ndocs, docs_cap;
    rec_err *errs;
    size_t nerrs, errs_cap;
    size_t stop_after; /* fn returns non-zero after this many docs; 0 = never */
    size_t big;        /* texts longer than this are not copied */
} rec;

static char *memdup0(const char *p, size_t n)
{
    char *s = malloc(n + 1);

    assert_non_null(s);
    if (n)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* Makes room for one more element in *arr (geometric growth: under ASan,
 * realloc always copies). */
static void *grow(void *arr, size_t n, size_t *cap, size_t size)
{
    if (n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        arr = realloc(arr, *cap * size);
        assert_non_null(arr);
    }
    return arr;
}

static int on_doc(const cli_doc *doc, void *payload)
{
    rec *r = payload;
    rec_doc *d;

    r->docs = grow(r->docs, r->ndocs, &r->docs_cap, sizeof *r->docs);
    d = &r->docs[r->ndocs++];
    memset(d, 0, sizeof *d);
    d->id = memdup0(doc->id, doc->id_len);
    d->id_len = doc->id_len;
    d->source = memdup0(doc->source, doc->source_len);
    d->source_len = doc->source_len;
    assert_non_null(doc->text);
    d->text = r->big && doc->text_len > r->big ? NULL : memdup0(doc->text, doc->text_len);
    d->text_len = doc->text_len;
    d->input = memdup0(doc->input, strlen(doc->input));
    d->path = memdup0(doc->path, strlen(doc->path));
    d->line = doc->line;
    d->seq = doc->seq;
    d->is_jsonl = doc->is_jsonl;
    if (doc->is_jsonl) {
        assert_true(doc->text_value_off + doc->text_value_len <= doc->raw_len);
        d->raw = r->big && doc->raw_len > r->big ? NULL : memdup0(doc->raw, doc->raw_len);
        d->raw_len = doc->raw_len;
        d->text_value_off = doc->text_value_off;
        d->text_value_len = doc->text_value_len;
    }
    return r->stop_after && r->ndocs >= r->stop_after;
}

static void on_err(int severity, const char *input, size_t line, const char *msg, void *payload)
{
    rec *r = payload;
    rec_err *e;

    r->errs = grow(r->errs, r->nerrs, &r->errs_cap, sizeof *r->errs);
    e = &r->errs[r->nerrs++];
    e->severity = severity;
    e->input = memdup0(input, strlen(input));
    e->line = line;
    e->msg = memdup0(msg, strlen(msg));
}

static void rec_clear(rec *r)
{
    size_t i;

    for (i = 0; i < r->ndocs; i++) {
        rec_doc *d = &r->docs[i];
        free(d->id);
        free(d->source);
        free(d->text);
        free(d->input);
        free(d->path);
        free(d->raw);
    }
    for (i = 0; i < r->nerrs; i++) {
        free(r->errs[i].input);
        free(r->errs[i].msg);
    }
    free(r->docs);
    free(r->errs);
    r->docs = NULL;
    r->errs = NULL;
    r->ndocs = r->nerrs = r->docs_cap = r->errs_cap = 0;
}

/* Opens, reads once, closes. @return what cli_inputs_read returned. */
static long read_all(rec *r, char *const *inputs, size_t count, const cli_input_opts *opts)
{
    cli_inputs *in = cli_inputs_open(inputs, count, opts, 0);
    long rc;

    assert_non_null(in);
    rc = cli_inputs_read(in, on_doc, on_err, r);
    cli_inputs_close(in);
    return rc;
}

static long read_one(rec *r, const char *input, const cli_input_opts *opts)
{
    char *inputs[1];
    long rc;

    inputs[0] = memdup0(input, strlen(input));
    rc = read_all(r, inputs, 1, opts);
    free(inputs[0]);
    return rc;
}

static void assert_doc(const rec *r, size_t i, const char *id, const char *text)
{
    assert_true(i < r->ndocs);
    assert_string_equal(r->docs[i].id, id);
    assert_int_equal(r->docs[i].id_len, strlen(id));
    if (text) {
        assert_int_equal(r->docs[i].text_len, strlen(text));
        assert_string_equal(r->docs[i].text, text);
    }
}

/* The error/warning number i has this severity, input, line and message
 * substring. */
static void assert_err(const rec *r, size_t i, int severity, const char *input, size_t line,
                       const char *substr)
{
    if (i >= r->nerrs)
        fail_msg("expected problem #%zu (%s) but only %zu reported", i, substr, r->nerrs);
    if (r->errs[i].severity != severity || strcmp(r->errs[i].input, input) != 0 ||
        r->errs[i].line != line || strstr(r->errs[i].msg, substr) == NULL)
        fail_msg("problem #%zu: got %s %s:%zu: %s; want %s %s:%zu: ...%s...", i,
                 r->errs[i].severity == CLI_ERROR ? "error" : "warning", r->errs[i].input,
                 r->errs[i].line, r->errs[i].msg, severity == CLI_ERROR ? "error" : "warning",
                 input, line, substr);
}

/* ---- Fixture: a temporary working directory ------------------------------- */

typedef struct fixture {
    char dir[512];
    int old_cwd;
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    const char *tmp = getenv("TMPDIR");

    if (fx == NULL)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "%s/nd-input-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(fx->dir) == NULL)
        return -1;
    fx->old_cwd = open(".", O_RDONLY);
    if (fx->old_cwd < 0 || chdir(fx->dir) != 0)
        return -1;
    *state = fx;
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        return rmdir(path);
    chmod(path, 0600);
    return unlink(path);
}

static int teardown(void **state)
{
    fixture *fx = *state;
    int rc;

    rc = fchdir(fx->old_cwd);
    close(fx->old_cwd);
    chmod(fx->dir, 0700);
    if (nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        rc = -1;
    free(fx);
    return rc;
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void write_text(const char *path, const char *s)
{
    write_bytes(path, s, strlen(s));
}

static void write_gz(const char *path, const void *data, size_t n)
{
    gzFile gz = gzopen(path, "wb");

    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, data, (unsigned)n), (int)n);
    assert_int_equal(gzclose(gz), Z_OK);
}

static off_t file_size(const char *path)
{
    struct stat st;

    assert_int_equal(stat(path, &st), 0);
    return st.st_size;
}

/* ---- Text files ---------------------------------------------------------- */

static void test_text_file(void **state)
{
    rec r = { 0 };
    const char *text = "\xEF\xBB\xBFh\xC3\xA9llo\r\nworld\n";

    (void)state;
    write_text("a.txt", text);
    assert_int_equal(read_one(&r, "a.txt", NULL), 0);
    assert_int_equal(r.nerrs, 0);
    assert_int_equal(r.ndocs, 1);
    assert_doc(&r, 0, "a.txt", text); /* the BOM and CRLF are kept: offsets are file bytes */
    assert_string_equal(r.docs[0].source, "a.txt");
    assert_string_equal(r.docs[0].input, "a.txt");
    assert_string_equal(r.docs[0].path, "a.txt");
    assert_int_equal(r.docs[0].line, 0);
    assert_int_equal(r.docs[0].seq, 0);
    assert_int_equal(r.docs[0].is_jsonl, 0);
    rec_clear(&r);
}

static void test_empty_file(void **state)
{
    rec r = { 0 };

    (void)state;
    write_text("empty.txt", "");
    assert_int_equal(read_one(&r, "empty.txt", NULL), 0); /* a warning, not an error */
    assert_int_equal(r.ndocs, 1);
    assert_int_equal(r.docs[0].text_len, 0);
    assert_int_equal(r.nerrs, 1);
    assert_err(&r, 0, CLI_WARNING, "empty.txt", 0, "empty file");
    rec_clear(&r);
}

static void test_binary_file(void **state)
{
    rec r = { 0 };
    cli_input_opts opts = { 0 };

    (void)state;
    write_bytes("bin.dat", "ab\0cd", 5);
    opts.skip_binary = 1;
    assert_int_equal(read_one(&r, "bin.dat", &opts), 1);
    assert_int_equal(r.ndocs, 0);
    assert_int_equal(r.nerrs, 1);
    assert_err(&r, 0, CLI_ERROR, "bin.dat", 0, "binary file (NUL byte at offset 2), skipped");
    rec_clear(&r);

    opts.skip_binary = 0;
    assert_int_equal(read_one(&r, "bin.dat", &opts), 0);
    assert_int_equal(r.ndocs, 1);
    assert_int_equal(r.docs[0].text_len, 5);
    assert_memory_equal(r.docs[0].text, "ab\0cd", 5);
    assert_err(&r, 0, CLI_WARNING, "bin.dat", 0, "NUL byte at offset 2");
    rec_clear(&r);
}

static void test_invalid_utf8_file(void **state)
{
    rec r = { 0 };
    const char text[] = "caf\xC3\xA9 ok \xFF\xFE tail";

    (void)state;
    write_bytes("bad.txt", text, sizeof text - 1);
    assert_int_equal(read_one(&r, "bad.txt", NULL), 0);
    assert_int_equal(r.ndocs, 1);
    assert_int_equal(r.docs[0].text_len, sizeof text - 1);
    assert_memory_equal(r.docs[0].text, text, sizeof text - 1); /* unchanged */
    assert_int_equal(r.nerrs, 1);
    assert_err(&r, 0, CLI_WARNING, "bad.txt", 0, "invalid UTF-8 at byte offset 9");
    rec_clear(&r);
}

static void test_missing_path(void **state)
{
    rec r = { 0 };
    char *inputs[] = { "nope.txt", "a.txt", "nodir/x.jsonl" };

    (void)state;
    write_text("a.txt", "A");
    assert_int_equal(read_all(&r, inputs, 3, NULL), 2);
    assert_int_equal(r.ndocs, 1); /* the rest is still read */
    assert_doc(&r, 0, "a.txt", "A");
    assert_int_equal(r.nerrs, 2);
    assert_err(&r, 0, CLI_ERROR, "nope.txt", 0, "No such file or directory");
    assert_err(&r, 1, CLI_ERROR, "nodir/x.jsonl", 0, "No such file or directory");
    rec_clear(&r);
}

/* ---- Directories ------------------------------------------------------------ */

static void make_tree(void)
{
    assert_int_equal(mkdir("d", 0755), 0);
    assert_int_equal(mkdir("d/sub", 0755), 0);
    assert_int_equal(mkdir("d/.hdir", 0755), 0);
    write_text("d/b.txt", "B");
    write_text("d/a.txt", "A");
    write_text("d/Z.txt", "Z"); /* 'Z' < 'a' byte-wise */
    write_text("d/a.txt.orig", "AO");
    write_text("d/.hidden", "H");
    write_text("d/.hdir/x.txt", "X");
    write_text("d/sub/c.txt", "C");
    write_text("d/sub/d.jsonl", "{\"id\":\"j1\",\"text\":\"J1\"}\n{\"id\":\"j2\",\"text\":\"J2\"}\n");
}

static void test_directory(void **state)
{
    static const char *const ids[] = { "d/Z.txt", "d/a.txt", "d/a.txt.orig", "d/b.txt",
                                       "d/sub/c.txt", "j1", "j2" };
    static const char *const texts[] = { "Z", "A", "AO", "B", "C", "J1", "J2" };
    rec r = { 0 };
    size_t i;

    (void)state;
    make_tree();
    assert_int_equal(read_one(&r, "d", NULL), 0);
    assert_int_equal(r.nerrs, 0);
    assert_int_equal(r.ndocs, 7);
    for (i = 0; i < 7; i++) {
        assert_doc(&r, i, ids[i], texts[i]);
        assert_string_equal(r.docs[i].source, "d"); /* the folder is the feed */
        assert_string_equal(r.docs[i].input, "d");
        assert_int_equal(r.docs[i].seq, i);
    }
    assert_string_equal(r.docs[4].path, "d/sub/c.txt");
    assert_string_equal(r.docs[5].path, "d/sub/d.jsonl");
    assert_int_equal(r.docs[5].line, 1);
    assert_int_equal(r.docs[6].line, 2);
    rec_clear(&r);

    /* A trailing slash does not double. */
    assert_int_equal(read_one(&r, "d/", NULL), 0);
    assert_int_equal(r.ndocs, 7);
    assert_doc(&r, 0, "d/Z.txt", "Z");
    assert_string_equal(r.docs[0].source, "d/");
    rec_clear(&r);
}

static void test_directory_symlinks(void **state)
{
    rec r = { 0 };

    (void)state;
    make_tree();
    write_text("outside.txt", "O");
    assert_int_equal(symlink("../outside.txt", "d/link.txt"), 0);
    assert_int_equal(symlink(".", "d/loop"), 0);
    assert_int_equal(symlink("..", "d/sub/back"), 0);
    assert_int_equal(symlink("missing", "d/dangling"), 0);
    assert_int_equal(read_one(&r, "d", NULL), 1);
    /* Z, a, a.orig, b, dangling (error), link, loop (warning), sub/back
     * (warning), sub/c, sub/d x2 */
    assert_int_equal(r.ndocs, 8);
    assert_doc(&r, 4, "d/link.txt", "O");
    assert_doc(&r, 5, "d/sub/c.txt", "C");
    assert_int_equal(r.nerrs, 3);
    assert_err(&r, 0, CLI_ERROR, "d/dangling", 0, "No such file or directory");
    assert_err(&r, 1, CLI_WARNING, "d/loop", 0, "loop");
    assert_err(&r, 2, CLI_WARNING, "d/sub/back", 0, "loop");
    rec_clear(&r);
}

/* Reads "d" as set up by test_directory_unreadable_and_special and checks
 * the outcome without cmocka asserts, so that it can run in a child process.
 * @return 0 when as expected. */
static int check_unreadable(void)
{
    rec r = { 0 };
    long rc = read_one(&r, "d", NULL);
    int ok = rc == 2 && r.ndocs == 7 && r.nerrs == 3 &&
             r.errs[0].severity == CLI_WARNING && strcmp(r.errs[0].input, "d/fifo") == 0 &&
             strstr(r.errs[0].msg, "not a regular file, skipped") != NULL &&
             r.errs[1].severity == CLI_ERROR && strcmp(r.errs[1].input, "d/locked") == 0 &&
             strstr(r.errs[1].msg, "Permission denied") != NULL &&
             r.errs[2].severity == CLI_ERROR && strcmp(r.errs[2].input, "d/secret.txt") == 0 &&
             strstr(r.errs[2].msg, "Permission denied") != NULL &&
             strcmp(r.docs[6].id, "j2") == 0; /* went on after the errors */

    if (!ok) {
        size_t i;
        fprintf(stderr, "unexpected: rc %ld, %zu docs\n", rc, r.ndocs);
        for (i = 0; i < r.nerrs; i++)
            fprintf(stderr, "  %s: %s\n", r.errs[i].input, r.errs[i].msg);
    }
    rec_clear(&r);
    return ok ? 0 : 1;
}

static void test_directory_unreadable_and_special(void **state)
{
    fixture *fx = *state;
    pid_t pid;
    int status;

    make_tree();
    assert_int_equal(mkfifo("d/fifo", 0644), 0); /* must not be opened: that would hang */
    assert_int_equal(mkdir("d/locked", 0755), 0);
    write_text("d/locked/x.txt", "X");
    write_text("d/secret.txt", "S");
    assert_int_equal(chmod("d/secret.txt", 0), 0);
    assert_int_equal(chmod("d/locked", 0), 0);
    if (geteuid() != 0) {
        assert_int_equal(check_unreadable(), 0);
    } else {
        /* root reads anything: check as "nobody" in a child process */
        assert_int_equal(chmod(fx->dir, 0755), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            if (setgid(65534) != 0 || setuid(65534) != 0)
                _exit(77);
            _exit(check_unreadable());
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 77)
            skip();
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    assert_int_equal(chmod("d/locked", 0755), 0); /* so that teardown can remove it */
}

/* ---- JSONL ------------------------------------------------------------------ */

static const char basic_jsonl[] =
    "{\"id\":\"a\",\"text\":\"hello \\u00e9\",\"source\":\"feedA\"}\n" /* 1 */
    "\n"                                                            /* 2 blank */
    "{\"id\":42,\"text\":\"x\"}\n"                                  /* 3 numeric id */
    "{\"text\":\"no id\"}\n"                                        /* 4 */
    "{\"id\":\"b\"}\n"                                              /* 5 no text */
    "{\"id\":\"c\",\"text\":5}\n"                                   /* 6 */
    "{\"id\":\"d\",\"text\":\"x\" \"y\"}\n"                         /* 7 malformed */
    "   \t\r\n"                                                     /* 8 blank, CRLF */
    "{\"id\":-1.5e3,\"text\":\"crlf\"}\r\n"                         /* 9 */
    "{\"id\":null,\"text\":\"null id\",\"source\":null}\n"          /* 10 */
    "{\"id\":\"last\",\"text\":\"no newline\"}";                    /* 11 */

static void test_jsonl_basic(void **state)
{
    rec r = { 0 };
    const rec_doc *d;

    (void)state;
    write_text("in.jsonl", basic_jsonl);
    assert_int_equal(read_one(&r, "in.jsonl", NULL), 3);
    assert_int_equal(r.ndocs, 6);
    assert_doc(&r, 0, "a", "hello \xC3\xA9");
    assert_string_equal(r.docs[0].source, "feedA");
    assert_doc(&r, 1, "42", "x");
    assert_string_equal(r.docs[1].source, "in.jsonl");
    assert_doc(&r, 2, "in.jsonl:4", "no id");
    assert_doc(&r, 3, "-1.5e3", "crlf");
    assert_doc(&r, 4, "in.jsonl:10", "null id");
    assert_string_equal(r.docs[4].source, "in.jsonl");
    assert_doc(&r, 5, "last", "no newline");
    assert_int_equal(r.docs[0].line, 1);
    assert_int_equal(r.docs[1].line, 3);
    assert_int_equal(r.docs[2].line, 4);
    assert_int_equal(r.docs[3].line, 9);
    assert_int_equal(r.docs[5].line, 11);
    assert_int_equal(r.docs[5].seq, 5);

    /* raw is the line without its terminator, '\r' included */
    d = &r.docs[3];
    assert_true(d->is_jsonl);
    assert_string_equal(d->raw, "{\"id\":-1.5e3,\"text\":\"crlf\"}");
    assert_int_equal(d->text_value_len, 6);
    assert_memory_equal(d->raw + d->text_value_off, "\"crlf\"", 6);
    d = &r.docs[0];
    assert_memory_equal(d->raw + d->text_value_off, "\"hello \\u00e9\"", d->text_value_len);

    assert_int_equal(r.nerrs, 5);
    assert_err(&r, 0, CLI_WARNING, "in.jsonl", 4, "missing \"id\" field");
    assert_err(&r, 1, CLI_ERROR, "in.jsonl", 5, "missing \"text\" field");
    assert_err(&r, 2, CLI_ERROR, "in.jsonl", 6, "\"text\" field is a number, not a string");
    assert_err(&r, 3, CLI_ERROR, "in.jsonl", 7, "expected ',' or '}' at column 22");
    assert_err(&r, 4, CLI_WARNING, "in.jsonl", 10, "\"id\" field is null");
    rec_clear(&r);
}

static void test_jsonl_options(void **state)
{
    rec r = { 0 };
    cli_input_opts opts = { 0 };

    (void)state;
    write_text("x.txt", "{\"doc_id\":\"k\",\"body\":\"B\",\"src\":\"S\",\"text\":\"T\",\"id\":\"I\"}\n"
                        "{\"doc_id\":\"m\",\"body\":\"C\",\"src\":7}\n");
    opts.id_field = "doc_id";
    opts.text_field = "body";
    opts.source_field = "src";
    opts.force_jsonl = 1; /* not named .jsonl */
    assert_int_equal(read_one(&r, "x.txt", &opts), 0);
    assert_int_equal(r.ndocs, 2);
    assert_doc(&r, 0, "k", "B");
    assert_string_equal(r.docs[0].source, "S");
    assert_string_equal(r.docs[1].source, "x.txt");
    assert_int_equal(r.nerrs, 1);
    assert_err(&r, 0, CLI_WARNING, "x.txt", 2, "\"src\" field is a number");
    rec_clear(&r);

    opts.source_override = "OVR";
    assert_int_equal(read_one(&r, "x.txt", &opts), 0);
    assert_int_equal(r.ndocs, 2);
    assert_string_equal(r.docs[0].source, "OVR");
    assert_string_equal(r.docs[1].source, "OVR");
    assert_int_equal(r.nerrs, 0);
    rec_clear(&r);

    /* --source overrides for text files too */
    opts.force_jsonl = 0;
    write_text("t.txt", "plain");
    assert_int_equal(read_one(&r, "t.txt", &opts), 0);
    assert_string_equal(r.docs[0].source, "OVR");
    rec_clear(&r);
}

static void test_jsonl_decoding(void **state)
{
    rec r = { 0 };
    static const char want[] = "\xEF\xBF\xBDx\0y\xF0\x9F\x98\x80";

    (void)state;
    write_text("u.jsonl", "\xEF\xBB\xBF{\"id\":\"\\u0041\",\"text\":\"\\ud800x\\u0000y\\ud83d\\ude00\"}\n"
                          "{\"id\":\"raw\",\"text\":\"ok\xFF\"}\n");
    assert_int_equal(read_one(&r, "u.jsonl", NULL), 0);
    assert_int_equal(r.ndocs, 2);
    assert_string_equal(r.docs[0].id, "A");
    assert_int_equal(r.docs[0].text_len, sizeof want - 1);
    assert_memory_equal(r.docs[0].text, want, sizeof want - 1); /* NUL kept in the text */
    /* The BOM stays in raw; offsets account for it. */
    assert_memory_equal(r.docs[0].raw, "\xEF\xBB\xBF{", 4);
    assert_int_equal(r.docs[0].text_value_off, 3 + strlen("{\"id\":\"\\u0041\",\"text\":"));
    assert_memory_equal(r.docs[0].raw + r.docs[0].text_value_off, "\"\\ud800", 7);
    assert_int_equal(r.docs[1].text_len, 3);
    assert_memory_equal(r.docs[1].text, "ok\xFF", 3); /* lossless */
    assert_int_equal(r.nerrs, 2);
    assert_err(&r, 0, CLI_WARNING, "u.jsonl", 1, "surrogate");
    assert_err(&r, 1, CLI_WARNING, "u.jsonl", 2, "invalid UTF-8 at byte offset 2");
    rec_clear(&r);
}

static void test_jsonl_error_columns(void **state)
{
    rec r = { 0 };

    (void)state;
    write_text("e.jsonl", "{\"id\":\"a\",\"text\":\"t\"}\n"
                          "[1,2]\n"
                          "{\"id\":\"b\",\"text\":\"unterminated\n"
                          "\xEF\xBB\xBF{\"id\":\"c\",\"text\":\"t\"}\n" /* BOM only allowed on line 1 */
                          "{\"id\":\"d\",\"text\":\"t\"}}\n"
                          "{\"id\":\"e\",\"text\":\"fine\"}\n");
    assert_int_equal(read_one(&r, "e.jsonl", NULL), 4);
    assert_int_equal(r.ndocs, 2);
    assert_doc(&r, 1, "e", "fine");
    assert_err(&r, 0, CLI_ERROR, "e.jsonl", 2, "expected '{' (a JSON object) at column 1");
    assert_err(&r, 1, CLI_ERROR, "e.jsonl", 3, "unterminated string at column 31");
    assert_err(&r, 2, CLI_ERROR, "e.jsonl", 4, "at column 1");
    assert_err(&r, 3, CLI_ERROR, "e.jsonl", 5, "unexpected data after the object at column 22");
    rec_clear(&r);
}

/* ---- gzip ------------------------------------------------------------------- */

static void test_gz_inputs(void **state)
{
    static const char jsonl[] = "{\"id\":\"g1\",\"text\":\"G1\"}\n{\"id\":\"g2\",\"text\":\"G2\"}\n";
    rec r = { 0 };
    char *inputs[] = { "a.jsonl.gz", "t.txt.gz", "plain.gz", "empty.gz" };

    (void)state;
    write_gz("a.jsonl.gz", jsonl, sizeof jsonl - 1);
    write_gz("t.txt.gz", "compressed text", 15);
    write_text("plain.gz", "not really gzip"); /* read transparently */
    write_gz("empty.gz", "", 0);
    assert_int_equal(read_all(&r, inputs, 4, NULL), 0);
    assert_int_equal(r.ndocs, 5);
    assert_doc(&r, 0, "g1", "G1");
    assert_doc(&r, 1, "g2", "G2");
    assert_int_equal(r.docs[1].line, 2);
    assert_doc(&r, 2, "t.txt.gz", "compressed text");
    assert_doc(&r, 3, "plain.gz", "not really gzip");
    assert_doc(&r, 4, "empty.gz", "");
    assert_int_equal(r.nerrs, 1);
    assert_err(&r, 0, CLI_WARNING, "empty.gz", 0, "empty file");
    rec_clear(&r);
}

/* Names are read in any case: an upper-case .JSONL is JSON Lines, not a
 * text file (nor sniffed as a WARC file). */
static void test_names_any_case(void **state)
{
    static const char jsonl[] = "{\"id\":\"u1\",\"text\":\"U1\"}\n{\"id\":\"u2\",\"text\":\"U2\"}\n";
    rec r = { 0 };
    char *inputs[] = { "U.JSONL", "V.JsonL.GZ", "w.JSONL.txt" };

    (void)state;
    write_text("U.JSONL", jsonl);
    write_gz("V.JsonL.GZ", jsonl, sizeof jsonl - 1);
    write_text("w.JSONL.txt", jsonl);
    assert_int_equal(read_all(&r, inputs, 3, NULL), 0);
    assert_int_equal(r.nerrs, 2); /* the second file's ids repeat the first's */
    assert_err(&r, 0, CLI_WARNING, "V.JsonL.GZ", 1, "id \"u1\" already used by the document at U.JSONL:1;");
    assert_err(&r, 1, CLI_WARNING, "V.JsonL.GZ", 2, "id \"u2\" already used by the document at U.JSONL:2;");
    assert_int_equal(r.ndocs, 5);
    assert_doc(&r, 0, "u1", "U1");
    assert_true(r.docs[0].is_jsonl);
    assert_doc(&r, 1, "u2", "U2");
    assert_doc(&r, 2, "u1#2", "U1");
    assert_true(r.docs[2].is_jsonl);
    assert_doc(&r, 3, "u2#2", "U2");
    assert_doc(&r, 4, "w.JSONL.txt", jsonl); /* a text file by its name */
    assert_false(r.docs[4].is_jsonl);
    rec_clear(&r);
}

/* Builds n JSONL lines whose text is derived from the line number. */
static char *make_lines(size_t n, size_t *out_len)
{
    size_t cap = n * 80 + 1, len = 0, i;
    char *s = malloc(cap);

    assert_non_null(s);
    for (i = 1; i <= n; i++)
        len += (size_t)snprintf(s + len, cap - len,
                                "{\"id\":\"%zu\",\"text\":\"line %zu %08x %08x\"}\n", i, i,
                                (unsigned)(i * 2654435761u), (unsigned)(i * 40503u));
    *out_len = len;
    return s;
}

static void check_line_docs(const rec *r)
{
    size_t i;

    for (i = 0; i < r->ndocs; i++) {
        char want[64];
        size_t k = i + 1;

        snprintf(want, sizeof want, "line %zu %08x %08x", k, (unsigned)(k * 2654435761u),
                 (unsigned)(k * 40503u));
        assert_string_equal(r->docs[i].text, want);
        assert_int_equal(r->docs[i].line, k);
    }
}

static void test_gz_truncated(void **state)
{
    rec r = { 0 };
    size_t len, n = 50000;
    char *lines = make_lines(n, &len);
    off_t size;

    (void)state;
    write_gz("big.jsonl.gz", lines, len);
    size = file_size("big.jsonl.gz");
    assert_int_equal(truncate("big.jsonl.gz", size / 2), 0);
    assert_int_equal(read_one(&r, "big.jsonl.gz", NULL), 1);
    assert_true(r.ndocs > 1000 && r.ndocs < n); /* what was read is kept */
    check_line_docs(&r);
    assert_int_equal(r.nerrs, 1);
    assert_err(&r, 0, CLI_ERROR, "big.jsonl.gz", r.ndocs + 1, "truncated gzip data");
    rec_clear(&r);

    /* A text document cut short is not delivered. */
    write_gz("t.txt.gz", lines, len);
    assert_int_equal(truncate("t.txt.gz", file_size("t.txt.gz") / 2), 0);
    assert_int_equal(read_one(&r, "t.txt.gz", NULL), 1);
    assert_int_equal(r.ndocs, 0);
    assert_err(&r, 0, CLI_ERROR, "t.txt.gz", 0, "truncated gzip data, file skipped");
    rec_clear(&r);
    free(lines);
}

/* gzread() drops what it decoded in a call that fails, and reads are a few
 * MiB: corrupt a file large enough that many reads succeed first. */
static void test_gz_corrupt(void **state)
{
    rec r = { 0 };
    size_t len, n = 400000, got;
    char *lines = make_lines(n, &len);
    off_t size;
    FILE *f;
    int i;

    (void)state;
    write_gz("bad.jsonl.gz", lines, len);
    size = file_size("bad.jsonl.gz");
    f = fopen("bad.jsonl.gz", "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, size / 4 * 3, SEEK_SET), 0);
    for (i = 0; i < 64; i++)
        putc(0xA5 ^ i, f);
    assert_int_equal(fclose(f), 0);
    assert_true(read_one(&r, "bad.jsonl.gz", NULL) >= 1);
    /* Damaged deflate data may decode to a little garbage before zlib
     * notices: the lines before the damage are intact, and the last
     * problem reported is the corruption. */
    assert_true(r.ndocs > 100000 && r.ndocs < n);
    got = r.ndocs;
    r.ndocs = 100000;
    check_line_docs(&r);
    r.ndocs = got;
    assert_true(r.nerrs >= 1);
    assert_true(r.errs[r.nerrs - 1].severity == CLI_ERROR);
    assert_string_equal(r.errs[r.nerrs - 1].input, "bad.jsonl.gz");
    assert_non_null(strstr(r.errs[r.nerrs - 1].msg, "corrupt gzip data"));
    rec_clear(&r);
    free(lines);
}

/* ---- Large inputs -------------------------------------------------------- */

static void test_huge_line(void **state)
{
    const size_t n = (size_t)100 << 20;
    rec r = { 0 };
    FILE *f;
    char *chunk = malloc(1 << 20);
    size_t i;

    (void)state;
    assert_non_null(chunk);
    memset(chunk, 'a', 1 << 20);
    f = fopen("huge.jsonl", "wb");
    assert_non_null(f);
    fputs("{\"id\":\"big\",\"text\":\"", f);
    for (i = 0; i < n >> 20; i++)
        assert_int_equal(fwrite(chunk, 1, 1 << 20, f), 1 << 20);
    fputs("\"}\n{\"id\":\"small\",\"text\":\"s\"}\n", f);
    assert_int_equal(fclose(f), 0);
    free(chunk);

    r.big = 1 << 20;
    assert_int_equal(read_one(&r, "huge.jsonl", NULL), 0);
    assert_int_equal(r.nerrs, 0);
    assert_int_equal(r.ndocs, 2);
    assert_string_equal(r.docs[0].id, "big");
    assert_int_equal(r.docs[0].text_len, n);
    assert_int_equal(r.docs[0].raw_len, n + 22);
    assert_doc(&r, 1, "small", "s");
    assert_int_equal(r.docs[1].line, 2);
    rec_clear(&r);

    /* The same bytes as one text document (no newline at all). */
    assert_int_equal(truncate("huge.jsonl", (off_t)n), 0);
    assert_int_equal(rename("huge.jsonl", "huge.txt"), 0);
    r.big = 1 << 20;
    assert_int_equal(read_one(&r, "huge.txt", NULL), 0);
    assert_int_equal(r.ndocs, 1);
    assert_int_equal(r.docs[0].text_len, n);
    rec_clear(&r);
}

/* ---- Sequencing, stopping, replay ---------------------------------------- */

static void test_seq_and_stop(void **state)
{
    rec r = { 0 };
    char *inputs[] = { "a.txt", "l.jsonl", "b.txt" };

    (void)state;
    write_text("a.txt", "A");
    write_text("b.txt", "B");
    write_text("l.jsonl", "{\"id\":\"1\",\"text\":\"x\"}\n{\"id\":\"2\",\"text\":\"y\"}\n");
    assert_int_equal(read_all(&r, inputs, 3, NULL), 0);
    assert_int_equal(r.ndocs, 4);
    assert_int_equal(r.docs[3].seq, 3);
    assert_string_equal(r.docs[3].source, "b.txt");
    rec_clear(&r);

    r.stop_after = 2;
    assert_int_equal(read_all(&r, inputs, 3, NULL), -1);
    assert_int_equal(r.ndocs, 2);
    rec_clear(&r);
}

static void assert_same_docs(const rec *a, const rec *b)
{
    size_t i;

    assert_int_equal(a->ndocs, b->ndocs);
    for (i = 0; i < a->ndocs; i++) {
        assert_string_equal(a->docs[i].id, b->docs[i].id);
        assert_int_equal(a->docs[i].text_len, b->docs[i].text_len);
        assert_memory_equal(a->docs[i].text, b->docs[i].text, a->docs[i].text_len);
        assert_string_equal(a->docs[i].source, b->docs[i].source);
        assert_int_equal(a->docs[i].seq, b->docs[i].seq);
        assert_int_equal(a->docs[i].line, b->docs[i].line);
    }
}

static void test_replay_regular_files(void **state)
{
    rec r1 = { 0 }, r2 = { 0 };
    char *const inputs[] = { "l.jsonl", "a.txt" };
    cli_inputs *in;

    (void)state;
    write_text("a.txt", "A");
    write_text("l.jsonl", "{\"id\":\"1\",\"text\":\"x\"}\n{\"id\":\"2\",\"text\":\"y\"}\n");
    in = cli_inputs_open(inputs, 2, NULL, 1);
    assert_non_null(in);
    assert_int_equal(cli_inputs_read(in, on_doc, on_err, &r1), 0);
    assert_int_equal(cli_inputs_read(in, on_doc, on_err, &r2), 0);
    assert_int_equal(r1.ndocs, 3);
    assert_same_docs(&r1, &r2);
    assert_int_equal(r2.docs[0].seq, 0); /* restarts */
    cli_inputs_close(in);
    rec_clear(&r1);
    rec_clear(&r2);
}

/* ---- Repeated ids ------------------------------------------------------- */

/* The first document keeps its id; later ones are delivered as ID#N (the
 * first N >= 2 not in use) with a warning naming both places; a replay
 * renames them the same way. */
static void test_repeated_ids(void **state)
{
    rec r1 = { 0 }, r2 = { 0 };
    char *const inputs[] = { "l.jsonl", "a.txt", "m.jsonl", "a.txt" };
    cli_inputs *in;

    (void)state;
    write_text("a.txt", "A");
    write_text("l.jsonl", "{\"id\":\"x\",\"text\":\"1\"}\n"
                          "{\"id\":\"y\",\"text\":\"2\"}\n"
                          "{\"id\":\"x\",\"text\":\"3\"}\n"
                          "{\"id\":\"x#2\",\"text\":\"4\"}\n");
    write_text("m.jsonl", "{\"id\":\"x\",\"text\":\"5\"}\n{\"id\":7,\"text\":\"6\"}\n"
                          "{\"id\":\"7\",\"text\":\"7\"}\n");
    in = cli_inputs_open(inputs, 4, NULL, 1);
    assert_non_null(in);
    assert_int_equal(cli_inputs_read(in, on_doc, on_err, &r1), 0); /* warnings only */
    assert_int_equal(r1.ndocs, 9);
    assert_doc(&r1, 0, "x", "1");
    assert_doc(&r1, 1, "y", "2");
    assert_doc(&r1, 2, "x#2", "3");
    assert_doc(&r1, 3, "x#2#2", "4");
    assert_doc(&r1, 4, "a.txt", "A");
    assert_doc(&r1, 5, "x#3", "5");
    assert_doc(&r1, 6, "7", "6");
    assert_doc(&r1, 7, "7#2", "7"); /* a numeric id is its text */
    assert_doc(&r1, 8, "a.txt#2", "A");
    assert_int_equal(r1.nerrs, 5);
    assert_err(&r1, 0, CLI_WARNING, "l.jsonl", 3, "id \"x\" already used by the document at l.jsonl:1;");
    assert_err(&r1, 0, CLI_WARNING, "l.jsonl", 3, "reported as \"x#2\"");
    assert_err(&r1, 1, CLI_WARNING, "l.jsonl", 4, "at l.jsonl:3 (an id made for a repeated one)");
    assert_err(&r1, 2, CLI_WARNING, "m.jsonl", 1, "at l.jsonl:1;");
    assert_err(&r1, 3, CLI_WARNING, "m.jsonl", 3, "id \"7\" already used by the document at m.jsonl:2;");
    assert_err(&r1, 4, CLI_WARNING, "a.txt", 0, "already used by the document at a.txt;");
    assert_int_equal(cli_inputs_read(in, on_doc, on_err, &r2), 0);
    assert_same_docs(&r1, &r2);
    cli_inputs_close(in);
    rec_clear(&r1);
    rec_clear(&r2);
}

/* Many repeats of one id: every document delivered, every id distinct, and
 * the suffixes counted on rather than searched from 2 each time. */
static void test_repeated_ids_many(void **state)
{
    rec r = { 0 };
    FILE *f = fopen("many.jsonl", "wb");
    size_t i;
    char want[32];

    (void)state;
    assert_non_null(f);
    for (i = 0; i < 5000; i++)
        fprintf(f, "{\"id\":\"same\",\"text\":\"t%zu\"}\n", i);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(read_one(&r, "many.jsonl", NULL), 0);
    assert_int_equal(r.ndocs, 5000);
    assert_int_equal(r.nerrs, 4999);
    assert_doc(&r, 0, "same", "t0");
    for (i = 1; i < 5000; i++) {
        snprintf(want, sizeof want, "same#%zu", i + 1);
        assert_string_equal(r.docs[i].id, want);
    }
    rec_clear(&r);
}

/* Runs `fn` with standard input fed by a child process writing data[0..n). */
typedef void (*stdin_test)(void *arg);

static void with_stdin_pipe(const char *data, size_t n, stdin_test fn, void *arg)
{
    int p[2], saved = dup(STDIN_FILENO), status;
    pid_t pid;

    assert_true(saved >= 0);
    assert_int_equal(pipe(p), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        size_t off = 0;
        close(p[0]);
        while (off < n) {
            ssize_t w = write(p[1], data + off, n - off > 4096 ? 4096 : n - off);
            if (w <= 0)
                _exit(1);
            off += (size_t)w;
        }
        _exit(0);
    }
    close(p[1]);
    assert_true(dup2(p[0], STDIN_FILENO) >= 0);
    close(p[0]);
    fn(arg);
    /* Drain whatever a failing test left, so the child can exit. */
    {
        char sink[4096];
        while (read(STDIN_FILENO, sink, sizeof sink) > 0)
            ;
    }
    assert_true(dup2(saved, STDIN_FILENO) >= 0);
    close(saved);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void stdin_text_run(void *arg)
{
    rec *r = arg;
    cli_inputs *in = cli_inputs_open(NULL, 0, NULL, 0); /* no INPUT: stdin */

    assert_non_null(in);
    assert_int_equal(cli_inputs_read(in, on_doc, on_err, r), 0);
    cli_inputs_close(in);
}

static void test_stdin_text(void **state)
{
    rec r = { 0 };
    const char *text = "  \n plain text, not JSON {\"id\":1}\n";

    (void)state;
    with_stdin_pipe(text, strlen(text), stdin_text_run, &r);
    assert_int_equal(r.ndocs, 1);
    assert_doc(&r, 0, "-", text);
    assert_string_equal(r.docs[0].source, "-");
    assert_string_equal(r.docs[0].path, "-");
    rec_clear(&r);
}

typedef struct replay_arg {
    rec first, second, third;
} replay_arg;

static void stdin_replay_run(void *arg)
{
    replay_arg *a = arg;
    char *const inputs[] = { "-" };
    cli_inputs *in = cli_inputs_open(inputs, 1, NULL, 1);

    assert_non_null(in);
    /* The first pass stops early: the next ones must still see everything. */
    a->first.stop_after = 3;
    assert_int_equal(cli_inputs_read(in, on_doc, on_err, &a->first), -1);
    assert_int_equal(cli_inputs_read(in, on_doc, on_err, &a->second), 0);
    assert_int_equal(cli_inputs_read(in, on_doc, on_err, &a->third), 0);
    cli_inputs_close(in);
}

static void check_replay(replay_arg *a, size_t n, const char *name)
{
    assert_int_equal(a->first.ndocs, 3);
    assert_int_equal(a->second.ndocs, n);
    assert_int_equal(a->second.nerrs, 0);
    check_line_docs(&a->second);
    assert_same_docs(&a->second, &a->third);
    assert_string_equal(a->second.docs[0].path, name);
    assert_string_equal(a->second.docs[0].source, name);
    rec_clear(&a->first);
    rec_clear(&a->second);
    rec_clear(&a->third);
}

static void test_stdin_replay_pipe(void **state)
{
    replay_arg a;
    size_t len, n = 100000; /* ~6 MB: many pipe reads, several pulls */
    char *lines = make_lines(n, &len);

    (void)state;
    memset(&a, 0, sizeof a);
    with_stdin_pipe(lines, len, stdin_replay_run, &a);
    check_replay(&a, n, "-");
    free(lines);
}

static void test_stdin_replay_gz_pipe(void **state)
{
    replay_arg a;
    size_t len, n = 20000, glen;
    char *lines = make_lines(n, &len), *gz;
    FILE *f;

    (void)state;
    write_gz("s.gz", lines, len);
    glen = (size_t)file_size("s.gz");
    gz = malloc(glen);
    assert_non_null(gz);
    f = fopen("s.gz", "rb");
    assert_non_null(f);
    assert_int_equal(fread(gz, 1, glen, f), glen);
    fclose(f);
    memset(&a, 0, sizeof a);
    with_stdin_pipe(gz, glen, stdin_replay_run, &a);
    check_replay(&a, n, "-");
    free(gz);
    free(lines);
}

/* Standard input redirected from a regular file is rewound, not spooled. */
static void test_stdin_replay_regular(void **state)
{
    replay_arg a;
    size_t len, n = 1000;
    char *lines = make_lines(n, &len);
    int saved = dup(STDIN_FILENO), fd;

    (void)state;
    write_bytes("s.jsonl", lines, len);
    fd = open("s.jsonl", O_RDONLY);
    assert_true(fd >= 0 && saved >= 0);
    assert_true(dup2(fd, STDIN_FILENO) >= 0);
    close(fd);
    memset(&a, 0, sizeof a);
    stdin_replay_run(&a);
    assert_true(dup2(saved, STDIN_FILENO) >= 0);
    close(saved);
    check_replay(&a, n, "-");
    free(lines);
}

/* A named FIFO given as INPUT is read, and spooled for replay. */
static void test_fifo_replay(void **state)
{
    replay_arg a;
    size_t len, n = 2000;
    char *lines = make_lines(n, &len);
    char *const inputs[] = { "f.jsonl" };
    cli_inputs *in;
    pid_t pid;
    int status;

    (void)state;
    assert_int_equal(mkfifo("f.jsonl", 0644), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        FILE *f = fopen("f.jsonl", "wb");
        _exit(f && fwrite(lines, 1, len, f) == len && fclose(f) == 0 ? 0 : 1);
    }
    memset(&a, 0, sizeof a);
    in = cli_inputs_open(inputs, 1, NULL, 1);
    assert_non_null(in);
    a.first.stop_after = 3;
    assert_int_equal(cli_inputs_read(in, on_doc, on_err, &a.first), -1);
    assert_int_equal(cli_inputs_read(in, on_doc, on_err, &a.second), 0);
    assert_int_equal(cli_inputs_read(in, on_doc, on_err, &a.third), 0);
    cli_inputs_close(in);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    check_replay(&a, n, "f.jsonl");
    free(lines);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_text_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binary_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_utf8_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directory_symlinks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directory_unreadable_and_special, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jsonl_basic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jsonl_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jsonl_decoding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jsonl_error_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gz_inputs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names_any_case, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gz_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gz_corrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_huge_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seq_and_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay_regular_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repeated_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repeated_ids_many, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stdin_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stdin_replay_pipe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stdin_replay_gz_pipe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stdin_replay_regular, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo_replay, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
