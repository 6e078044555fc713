/*
 * libFuzzer target for gzip input (src/cli/input.c): files and standard
 * input are read through zlib's gzread(), standard input through a spool
 * when it must be read twice.
 *
 * Input: 4 bytes of options, then a payload.
 *   byte 0: bits 0-1 what the payload is: 0 raw bytes read as a .gz and a
 *           .jsonl.gz file (mutations reach zlib and the reader's error
 *           paths); 1 text, 2 JSONL, 3 either, decided by sniffing standard
 *           input; bit 2 read through a pipe on standard input; bit 3
 *           compress as two gzip members; bit 4 cut the compressed data;
 *           bit 5 open replayable and read twice;
 *   bytes 1-2: where the members split and where the cut falls;
 *   byte 3: deflate level and strategy.
 * The payload is gzip-compressed here, then read back and compared with a
 * read of the plain payload (from a file, or a regular file on standard
 * input): the documents, warnings and errors must be the same. Cut data
 * must give an error and a prefix of the documents, never a partial or
 * garbled one (a cut just after a complete member is a shorter valid file).
 * A second pass of a replayable read must repeat the first.
 */
#define _GNU_SOURCE /* F_SETPIPE_SZ */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#define ZLIB_CONST /* next_in is const */
#include <zlib.h>
#include "input.h"

#define CHECK(x) do { if (!(x)) { fprintf(stderr, "check failed: %s\n", #x); abort(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { K_RAW, K_TEXT, K_JSONL, K_SNIFF };
enum { F_STDIN = 4, F_TWO = 8, F_CUT = 16, F_TWICE = 32 };

/* What a read delivered: documents and diagnostics, without names (the
 * plain and compressed files have different names). */
typedef struct rec {
    char what; /* 'D' document, 'W' warning, 'E' error */
    size_t line, seq, len;
    uint64_t hash;
} rec;
typedef struct recs {
    rec *v;
    size_t n, cap;
} recs;

static uint64_t fnv(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 0x100000001b3ull;
    return h;
}

/* Records are compared with memcmp: each is zeroed in place, padding
 * included (a struct copied by value need not carry its padding). */
static void push_rec(recs *r, char what, size_t line, size_t seq, size_t len, uint64_t hash)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 16;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        CHECK(r->v != NULL);
    }
    rec *x = &r->v[r->n++];
    memset(x, 0, sizeof *x);
    x->what = what;
    x->line = line;
    x->seq = seq;
    x->len = len;
    x->hash = hash;
}

static int on_doc(const cli_doc *d, void *payload)
{
    CHECK(d->text_len == 0 || d->text != NULL);
    push_rec(payload, 'D', d->line, d->seq, d->text_len, fnv(d->text, d->text_len));
    return 0;
}

/* Hashes a message without the input's name, which it may quote (a
 * repeated id names the file of its first use; made-up ids hold it). */
static uint64_t message_hash(const char *message, const char *name)
{
    uint64_t h = 0xcbf29ce484222325ull;
    size_t skip = strlen(name);
    for (const char *m = message; *m;) {
        if (skip && strncmp(m, name, skip) == 0) {
            m += skip;
            continue;
        }
        h = (h ^ (unsigned char)*m++) * 0x100000001b3ull;
    }
    return h;
}

static void on_err(int severity, const char *input, size_t line, const char *message, void *payload)
{
    push_rec(payload, severity == CLI_ERROR ? 'E' : 'W', line, 0, 0, message_hash(message, input));
}

static char *scratch(const char *name)
{
    static char path[4][128];
    static const char *const names[4] = { "plain.txt", "plain.jsonl", "data.gz", "data.jsonl.gz" };
    for (int k = 0; k < 4; k++) {
        if (strcmp(name, names[k]) != 0) continue;
        if (!path[k][0])
            snprintf(path[k], sizeof path[k], "%s/nd-fuzz-gzip-%ld-%s",
                     access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (long)getpid(), name);
        return path[k];
    }
    abort();
}

static int write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t put = n ? fwrite(p, 1, n, f) : 0;
    return fclose(f) == 0 && put == n ? 0 : -1;
}

/* Reads `path` (or standard input for "-") once, or twice when replayable,
 * checking that the second pass repeats the first. */
static void read_all(char *path, int force_jsonl, int twice, recs *out)
{
    char *inputs[1] = { path };
    cli_input_opts opts;
    memset(&opts, 0, sizeof opts); /* defaults */
    opts.force_jsonl = force_jsonl;
    cli_inputs *in = cli_inputs_open(inputs, 1, &opts, twice);
    CHECK(in != NULL);
    out->n = 0;
    CHECK(cli_inputs_read(in, on_doc, on_err, out) >= 0);
    if (twice) {
        recs again = { NULL, 0, 0 };
        CHECK(cli_inputs_read(in, on_doc, on_err, &again) >= 0);
        CHECK(again.n == out->n && (out->n == 0 || memcmp(again.v, out->v, out->n * sizeof *out->v) == 0));
        free(again.v);
    }
    cli_inputs_close(in);
}

/* Reads bytes as standard input: through a pipe, or from a regular file
 * (the rewindable case). @return -1 when the bytes do not fit in a pipe. */
static int read_stdin(const void *p, size_t n, int pipe_it, int force_jsonl, int twice, recs *out)
{
    int fd, saved = dup(STDIN_FILENO);
    CHECK(saved >= 0);
    if (pipe_it) {
        int fds[2];
        CHECK(pipe(fds) == 0);
        (void)fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
        CHECK(fcntl(fds[1], F_SETFL, O_NONBLOCK) == 0);
        ssize_t put = n ? write(fds[1], p, n) : 0;
        close(fds[1]);
        if (put < 0 || (size_t)put != n) {
            close(fds[0]);
            close(saved);
            return -1;
        }
        fd = fds[0];
    } else {
        char *path = scratch("plain.txt");
        CHECK(write_file(path, p, n) == 0);
        fd = open(path, O_RDONLY);
        CHECK(fd >= 0);
    }
    CHECK(dup2(fd, STDIN_FILENO) == STDIN_FILENO);
    close(fd);
    char dash[] = "-";
    read_all(dash, force_jsonl, twice, out);
    CHECK(dup2(saved, STDIN_FILENO) == STDIN_FILENO);
    close(saved);
    return 0;
}

/* Appends one gzip member holding p[0..n) to z. */
static void gzip_member(const uint8_t *p, size_t n, int level, int strategy, uint8_t **z, size_t *zlen)
{
    z_stream s;
    memset(&s, 0, sizeof s);
    CHECK(deflateInit2(&s, level, Z_DEFLATED, 15 + 16, 8, strategy) == Z_OK);
    size_t bound = deflateBound(&s, (uLong)n) + 64;
    *z = realloc(*z, *zlen + bound);
    CHECK(*z != NULL);
    s.next_in = p;
    s.avail_in = (uInt)n;
    s.next_out = *z + *zlen;
    s.avail_out = (uInt)bound;
    CHECK(deflate(&s, Z_FINISH) == Z_STREAM_END);
    *zlen += bound - s.avail_out;
    deflateEnd(&s);
}

static int same(const recs *a, const recs *b)
{
    return a->n == b->n && (a->n == 0 || memcmp(a->v, b->v, a->n * sizeof *a->v) == 0);
}

/* Documents of `got` are the first documents of `want`, and `got` has an error. */
static int truncated_prefix(const recs *got, const recs *want)
{
    size_t j = 0, errors = 0;
    for (size_t i = 0; i < got->n; i++) {
        if (got->v[i].what == 'E') errors++;
        if (got->v[i].what != 'D') continue;
        while (j < want->n && want->v[j].what != 'D') j++;
        if (j == want->n || memcmp(&got->v[i], &want->v[j], sizeof got->v[i]) != 0) return 0;
        j++;
    }
    return errors > 0;
}

/* Reads the plain payload the way the compressed one will be read. */
static void reference(int kind, int flags, const uint8_t *p, size_t n, recs *out)
{
    if (flags & F_STDIN) {
        CHECK(read_stdin(p, n, 0, kind == K_JSONL, flags & F_TWICE, out) == 0);
        return;
    }
    char *path = scratch(kind == K_JSONL ? "plain.jsonl" : "plain.txt");
    CHECK(write_file(path, p, n) == 0);
    read_all(path, 0, flags & F_TWICE, out);
}

/* @return -1 when standard input was asked for and the data does not fit
 * in a pipe. */
static int compressed(int kind, int flags, const uint8_t *zp, size_t zn, recs *out)
{
    if (flags & F_STDIN) return read_stdin(zp, zn, 1, kind == K_JSONL, flags & F_TWICE, out);
    char *path = scratch(kind == K_JSONL ? "data.jsonl.gz" : "data.gz");
    CHECK(write_file(path, zp, zn) == 0);
    read_all(path, 0, flags & F_TWICE, out);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4) return 0;
    int flags = data[0], kind = flags & 3;
    unsigned pos = (unsigned)data[1] << 8 | data[2];
    const uint8_t *p = data + 4;
    size_t n = size - 4;
    recs got = { NULL, 0, 0 }, want = { NULL, 0, 0 }, part = { NULL, 0, 0 };

    if (kind == K_RAW) { /* mutated gzip: only "no crash, no leak" */
        CHECK(write_file(scratch("data.gz"), p, n) == 0);
        read_all(scratch("data.gz"), 0, flags & F_TWICE, &got);
        CHECK(write_file(scratch("data.jsonl.gz"), p, n) == 0);
        read_all(scratch("data.jsonl.gz"), 0, 0, &got);
        free(got.v);
        return 0;
    }
    /* Plain data that starts with the gzip magic is decoded by the reader
     * too (it goes by content): no plain reference to compare with. */
    if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) return 0;
    /* Likewise text that starts like a WARC file is read as one (outside
     * .jsonl names): its own target is fuzz_warc. */
    if (n >= 7 && memcmp(p, "WARC/1.", 7) == 0) return 0;
    if (kind == K_SNIFF) flags |= F_STDIN;
    int level = data[3] % 10, strategy = (data[3] / 10) % 5;
    size_t split = (flags & F_TWO) ? pos % (n + 1) : n;
    uint8_t *z = NULL;
    size_t zlen = 0, m1;
    gzip_member(p, split, level, strategy, &z, &zlen);
    m1 = zlen;
    if (flags & F_TWO) gzip_member(p + split, n - split, level, strategy, &z, &zlen);
    size_t cut = (flags & F_CUT) ? (size_t)pos * 7919u % zlen : zlen;

    if (compressed(kind, flags, z, cut, &got) != 0) goto done;
    reference(kind, flags, p, n, &want);
    if (cut < 2) {
        /* not a gzip file any more: read as it is, nothing to compare */
    } else if (cut == zlen) {
        CHECK(same(&got, &want));
    } else if (cut >= m1 && cut < m1 + 2 && (flags & F_TWO)) {
        /* a complete first member, then nothing or one byte zlib ignores
         * as trailing garbage: a valid shorter file */
        reference(kind, flags, p, split, &part);
        CHECK(same(&got, &part) || truncated_prefix(&got, &want));
    } else {
        CHECK(truncated_prefix(&got, &want));
    }
done:
    free(z);
    free(got.v);
    free(want.v);
    free(part.v);
    return 0;
}
