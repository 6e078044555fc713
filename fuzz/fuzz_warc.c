/*
 * libFuzzer target for WARC input (src/cli/warc.c, warc_doc.c).
 *
 * Input: 1 byte of options, then a payload.
 *   byte 0, bit 0: 0 the payload is the file as is (plain WARC, or any
 *   bytes, gzip or not); 1 the payload is cut before every "WARC/1." that
 *   starts a line and each piece compressed here as its own gzip member,
 *   as WARC writers do; bit 1: the last member is cut short.
 * Checks, on the records cli_warc_next() returns: every offset lies in the
 * file, offsets never go back, reading ends (at most one result per byte);
 * in a plain file a record starts with "WARC/1.", its block is the file's
 * bytes just before the CRLF CRLF that ends its unit; in a compressed file
 * a record's offset is the start of a member made here and its unit ends
 * at a member's end. Then cli_warc_read() turns the file into documents:
 * each has an id, a text within the size cap, an offset in the file.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "warc.h"

#define CHECK(x) do { if (!(x)) { fprintf(stderr, "check failed: %s\n", #x); abort(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct file {
    unsigned char *p;
    size_t n, cap;
    size_t starts[256], ends[256]; /* members made here */
    size_t members;
} file;

static void put(file *f, const void *p, size_t n)
{
    if (n == 0) return;
    if (f->n + n > f->cap) {
        f->cap = (f->n + n) * 2 + 64;
        f->p = realloc(f->p, f->cap);
        CHECK(f->p != NULL);
    }
    memcpy(f->p + f->n, p, n);
    f->n += n;
}

static void member(file *f, const uint8_t *s, size_t n)
{
    unsigned char out[1 << 15];
    z_stream zs;
    int rc;
    memset(&zs, 0, sizeof zs);
    CHECK(deflateInit2(&zs, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    zs.next_in = (unsigned char *)(uintptr_t)s;
    zs.avail_in = (uInt)n;
    if (f->members < 256) f->starts[f->members] = f->n;
    do {
        zs.next_out = out;
        zs.avail_out = sizeof out;
        rc = deflate(&zs, Z_FINISH);
        put(f, out, sizeof out - zs.avail_out);
    } while (rc == Z_OK);
    CHECK(rc == Z_STREAM_END);
    deflateEnd(&zs);
    if (f->members < 256) f->ends[f->members] = f->n;
    f->members++;
}

/* The payload cut before each line-starting "WARC/1.", a member a piece. */
static void compress_pieces(file *f, const uint8_t *s, size_t n)
{
    size_t start = 0, i;
    for (i = 1; i + 7 <= n; i++) {
        if (s[i - 1] == '\n' && memcmp(s + i, "WARC/1.", 7) == 0) {
            member(f, s + start, i - start);
            start = i;
        }
    }
    member(f, s + start, n - start);
}

static int is_member(const file *f, const size_t *v, uint64_t off)
{
    size_t i, n = f->members < 256 ? f->members : 256;
    for (i = 0; i < n; i++)
        if (v[i] == off) return 1;
    return f->members > 256; /* not all recorded: no check */
}

static void check_records(const file *f, int fd, int gz)
{
    cli_warc *w = cli_warc_open(fd, gz);
    cli_warc_record r;
    uint64_t last = 0;
    size_t steps = 0;
    int rc;
    CHECK(w != NULL);
    while ((rc = cli_warc_next(w, &r)) != CLI_WARC_EOF) {
        CHECK(++steps <= f->n + 1);
        CHECK(rc != CLI_WARC_FATAL);
        if (rc == CLI_WARC_BAD) {
            CHECK(cli_warc_bad_offset(w) < f->n);
            CHECK(cli_warc_message(w)[0] != '\0');
            continue;
        }
        CHECK(r.offset < f->n && r.offset >= last);
        last = r.offset;
        CHECK(r.oversize || r.block_len == r.h.content_length);
        if (!gz) {
            uint64_t end = r.unit_end;
            CHECK(memcmp(f->p + r.offset, "WARC/1.", 7) == 0);
            CHECK(end <= f->n && end >= r.offset + 4 + r.block_len);
            CHECK(memcmp(f->p + end - 4, "\r\n\r\n", 4) == 0);
            CHECK(r.block_len == 0 || memcmp(r.block, f->p + end - 4 - r.block_len, r.block_len) == 0);
        } else {
            CHECK(r.unit_start == r.offset);
            CHECK(is_member(f, f->starts, r.offset));
            CHECK(r.unit_end == 0 || is_member(f, f->ends, r.unit_end));
        }
    }
    cli_warc_close(w);
}

typedef struct seen {
    size_t docs, file_size;
} seen;

static int on_doc(cli_doc *d, void *payload)
{
    seen *s = payload;
    CHECK(d->id != NULL && d->id_len > 0);
    CHECK(d->text_len <= CLI_WARC_MAX_BLOCK);
    CHECK(d->text_len == 0 || d->text != NULL);
    CHECK(d->has_warc && d->warc_offset < s->file_size);
    CHECK(d->source != NULL && d->source_len > 0);
    s->docs++;
    return 0;
}

static void on_err(int severity, const char *input, size_t line, const char *message, void *payload)
{
    (void)payload;
    (void)line;
    CHECK(input != NULL && message != NULL && message[0] != '\0');
    CHECK(severity == CLI_WARNING || severity == CLI_ERROR || severity == CLI_NOTE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    file f;
    FILE *tmp;
    int gz = 0, sniffed;
    cli_warc_read_opts o;
    cli_warc_counts counts;
    seen s;
    if (size < 1 || size > (1 << 20)) return 0;
    memset(&f, 0, sizeof f);
    if (data[0] & 1) {
        compress_pieces(&f, data + 1, size - 1);
        if ((data[0] & 2) && f.n > 8) f.n -= 1 + f.n % 7; /* the last member cut */
    } else {
        put(&f, data + 1, size - 1);
    }
    if (f.n == 0) {
        free(f.p);
        return 0;
    }
    tmp = tmpfile();
    CHECK(tmp != NULL);
    CHECK(fwrite(f.p, 1, f.n, tmp) == f.n && fflush(tmp) == 0);
    sniffed = cli_warc_sniff(fileno(tmp), &gz);
    if (sniffed) {
        CHECK(lseek(fileno(tmp), 0, SEEK_SET) == 0);
        check_records(&f, fileno(tmp), gz);
        CHECK(lseek(fileno(tmp), 0, SEEK_SET) == 0);
        memset(&o, 0, sizeof o);
        o.input = "in";
        o.path = "in.warc";
        s.docs = 0;
        s.file_size = f.n;
        CHECK(cli_warc_read(fileno(tmp), gz, &o, on_doc, on_err, &s, &counts) == 0);
        CHECK(s.docs == counts.html + counts.text);
        CHECK(counts.records >= s.docs);
    }
    fclose(tmp);
    free(f.p);
    return 0;
}
