/*
 * libFuzzer target for JSONL input (src/cli/input.c over src/cli/json.c):
 * the input is written to a file named *.jsonl and read as the CLI reads it.
 *
 * Bad input never loses data silently: every line that is not blank either
 * gives one document or one error naming that line, and nothing else. A
 * document's fields hold what the line says: its raw bytes are the line
 * (less "\r"), the text value sits inside it between quotes and unescapes to
 * the text delivered; documents come in line order, numbered from 0. Input
 * that starts with the gzip magic is decompressed by the reader, so only
 * "no crash" is checked for it (fuzz_gzip checks decompression).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "input.h"
#include "json.h"

#define CHECK(x) do { if (!(x)) { fprintf(stderr, "check failed: %s\n", #x); abort(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct seen {
    const char *data;
    size_t size;
    const char *path;
    int check_lines;
    size_t *line_start;   /* offset of each line, 1-based; [nlines + 1] = end */
    unsigned char *outcome; /* per line: documents + errors */
    size_t nlines, docs;
    cli_buf tmp;
} seen;

static char *scratch_path(void)
{
    static char path[96];
    if (!path[0])
        snprintf(path, sizeof path, "%s/nd-fuzz-jsonl-%ld.jsonl",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (long)getpid());
    return path;
}

/* Line n's bytes without "\n" and the one '\r' the reader drops. */
static void line_bytes(const seen *s, size_t n, const char **p, size_t *len)
{
    size_t a = s->line_start[n], b = s->line_start[n + 1];
    if (b > a && s->data[b - 1] == '\n') b--;
    *p = s->data + a;
    *len = b - a;
}

static int on_doc(const cli_doc *d, void *payload)
{
    seen *s = payload;
    CHECK(d->is_jsonl && d->seq == s->docs);
    CHECK(strcmp(d->path, s->path) == 0 && strcmp(d->input, s->path) == 0);
    CHECK(d->id != NULL && d->source != NULL && d->text != NULL);
    s->docs++;
    if (!s->check_lines) return 0;
    CHECK(d->line >= 1 && d->line <= s->nlines);
    s->outcome[d->line]++;
    const char *line;
    size_t len;
    line_bytes(s, d->line, &line, &len);
    size_t raw_len = len && line[len - 1] == '\r' ? len - 1 : len;
    CHECK(d->raw_len == raw_len && memcmp(d->raw, line, raw_len) == 0);
    CHECK(d->text_value_len >= 2 && d->text_value_off < raw_len &&
          d->text_value_len <= raw_len - d->text_value_off);
    const char *v = d->raw + d->text_value_off;
    CHECK(v[0] == '"' && v[d->text_value_len - 1] == '"');
    CHECK(cli_json_unescape(&s->tmp, v, d->text_value_len, NULL) == 0);
    CHECK(s->tmp.len == d->text_len && memcmp(s->tmp.data, d->text, d->text_len) == 0);
    return 0;
}

static void on_err(int severity, const char *input, size_t line, const char *message, void *payload)
{
    seen *s = payload;
    CHECK(strcmp(input, s->path) == 0 && message[0] != '\0');
    if (severity == CLI_WARNING || !s->check_lines) return;
    CHECK(severity == CLI_ERROR && line >= 1 && line <= s->nlines);
    s->outcome[line]++;
}

static int blank(const char *p, size_t n, size_t line)
{
    if (line == 1 && n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3, n -= 3;
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r') return 0;
    return 1;
}

/* Splits the input into lines as a reader of JSONL must. */
static void split_lines(seen *s)
{
    size_t n = 0, cap = 16;
    s->line_start = malloc(cap * sizeof *s->line_start);
    CHECK(s->line_start != NULL);
    s->line_start[1] = 0;
    for (size_t at = 0; at < s->size;) {
        const char *nl = memchr(s->data + at, '\n', s->size - at);
        at = nl ? (size_t)(nl - s->data) + 1 : s->size;
        if (++n + 2 > cap) {
            cap *= 2;
            s->line_start = realloc(s->line_start, cap * sizeof *s->line_start);
            CHECK(s->line_start != NULL);
        }
        s->line_start[n + 1] = at;
    }
    s->nlines = n;
    s->outcome = calloc(n + 2, 1);
    CHECK(s->outcome != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = scratch_path();
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    size_t put = size ? fwrite(data, 1, size, f) : 0;
    if (fclose(f) != 0 || put != size) return 0;

    seen s;
    memset(&s, 0, sizeof s);
    s.data = (const char *)data;
    s.size = size;
    s.path = path;
    s.check_lines = !(size >= 1 && data[0] == 0x1f);
    split_lines(&s);
    char *inputs[1] = { path };
    cli_inputs *in = cli_inputs_open(inputs, 1, NULL, 0);
    CHECK(in != NULL);
    long errors = cli_inputs_read(in, on_doc, on_err, &s);
    CHECK(errors >= 0);
    cli_inputs_close(in);
    for (size_t n = 1; s.check_lines && n <= s.nlines; n++) {
        const char *line;
        size_t len;
        line_bytes(&s, n, &line, &len);
        if (s.outcome[n] != !blank(line, len, n)) {
            fprintf(stderr, "line %zu: %u documents and errors\n", n, s.outcome[n]);
            abort();
        }
    }
    free(s.line_start);
    free(s.outcome);
    cli_buf_free(&s.tmp);
    unlink(path);
    return 0;
}
