/*
 * CLI input layer: see input.h.
 *
 * Every file, compressed or not, is read through zlib's gzread(), which
 * passes plain data through unchanged, into one buffer that grows
 * geometrically and is reused for all files. A text file is one document:
 * the whole buffer. A JSONL file is split into lines in place with memchr(),
 * each line validated by cli_json_scan_object() and only the needed fields
 * decoded into three more reused buffers, so the steady state allocates
 * nothing per document.
 *
 * Replay (two-pass scans): regular files are simply reopened. Standard input
 * and other non-regular inputs (FIFOs) are "teed": the raw bytes read from
 * the descriptor are appended to an unlinked temporary file and gzread() reads
 * that file, which zlib supports for files that are still being written
 * (gzclearerr() after a short read). Every pass reads the spool from its
 * start and goes on draining the descriptor where the last pass stopped, so a
 * pass that was cut short still lets the next one see everything.
 *
 * Damaged gzip data: a truncated file yields everything up to the cut, then
 * an error. On corrupt data gzread() fails and discards what it decoded in
 * that call, so up to one read (a few MiB of text) before the damage is lost
 * along with the rest; documents delivered earlier stay delivered.
 */
#define _POSIX_C_SOURCE 200809L

#include "input.h"
#include "ids.h"
#include "json.h"
#include "jsonl.h"
#include "warc.h"
#include "neardup.h"

#include <dirent.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <zlib.h>

/* Reads ask for at least half of this; large requests also let gzread()
 * bypass its internal buffer (it does so from twice GZ_BUFFER on). */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
/* Fuzzed inputs are small: tiny reads keep runs fast (no megabyte buffers
 * per input) and make lines and gzip members straddle reads. */
#define READ_CHUNK ((size_t)64)
#define GZ_BUFFER 64u
#else
#define READ_CHUNK ((size_t)4 << 20)
#define GZ_BUFFER (1u << 20)
#endif
#define MAX_GZ_READ ((size_t)1 << 30) /* gzread() takes an unsigned, returns an int */
#define TEE_PULL ((size_t)1 << 20)
#define TRIM_ABOVE ((size_t)64 << 20) /* buffers larger than this are freed after a file */
#define MAX_DIR_DEPTH 64

/* Replay state of one top-level input that cannot simply be reopened. */
typedef struct spool {
    int started;
    int fd;       /* unlinked temporary file holding the bytes read so far, or -1 */
    int src;      /* descriptor being drained into fd, or -1 */
    int own_src;  /* src was opened here (a named FIFO), not standard input */
    off_t size;   /* bytes in fd */
    int eof;      /* src has been read to its end */
    int seekable; /* standard input is a regular file: rewind it instead */
    off_t start;  /* ... to this offset */
} spool;

typedef struct dir_id {
    dev_t dev;
    ino_t ino;
} dir_id;

struct cli_inputs {
    char **inputs;
    size_t count;
    cli_input_opts opts; /* defaults applied; its strings point to `owned` */
    char *owned[7];
    int replayable;
    spool *spools; /* one per input */

    /* State of the current cli_inputs_read() call. */
    cli_doc_fn fn;
    cli_err_fn err;
    void *payload;
    long errors;
    size_t seq;
    unsigned long long text_bytes; /* of the documents delivered */
    cli_progress_fn progress;
    void *progress_payload;
    int stop;

    cli_buf buf;    /* file contents, or JSONL lines being split */
    cli_jsonl jsonl; /* a JSONL line's decoded fields */
    cli_buf path;   /* path of the file or directory being read */
    dir_id dirs[MAX_DIR_DEPTH]; /* directories being walked, to catch loops */
    size_t ndirs;
    int in_walk; /* the file being opened was found in a directory */
    cli_ids ids;       /* unique ids in the pass (ids.h) */
};

/* The file being read. */
typedef struct source_file {
    const char *input; /* the INPUT argument */
    const char *path;  /* NUL-terminated; "-" for standard input */
    int jsonl;         /* 1 JSONL, 0 text, -1 decide from the first byte */
    int html;          /* a web page (.html, .htm) */
} source_file;

typedef struct reader {
    gzFile gz;
    spool *tee; /* non-NULL while standard input or a FIFO is being drained */
    int primed;
    char msg[200]; /* why the last read failed */
} reader;

enum { FILL_EOF = 0, FILL_OK = 1, FILL_ERROR = -1, FILL_NOMEM = -2 };

/* ---- Reporting --------------------------------------------------------- */

static void report(cli_inputs *in, int severity, const char *name, size_t line,
                   const char *fmt, ...) CLI_PRINTF(5, 6);

static void report(cli_inputs *in, int severity, const char *name, size_t line,
                   const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (severity == CLI_ERROR)
        in->errors++;
    if (in->err == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    in->err(severity, name, line, msg, in->payload);
}

/* ---- Unique ids (ids.h) ---------------------------------------------- */

/* Makes doc->id unique in the pass, warning about a repeat. */
static void ids_check(cli_inputs *in, cli_doc *doc)
{
    cli_id_repeat first;
    const char *id = doc->id;
    size_t id_len = doc->id_len;
    char where[64] = "";
    int rc = cli_ids_check(&in->ids, doc->path, doc->line, &id, &id_len, &first);

    if (rc == CLI_ID_RENAMED) {
        if (first.line)
            snprintf(where, sizeof where, ":%zu", first.line);
        report(in, CLI_WARNING, doc->path, doc->line,
               "id \"%.*s\" already used by the document at %s%s%s; this one is reported as \"%.*s\"",
               (int)(doc->id_len > 200 ? 200 : doc->id_len), doc->id, first.path, where,
               first.renamed ? " (an id made for a repeated one)" : "",
               (int)(id_len > 200 ? 200 : id_len), id);
        doc->id = id;
        doc->id_len = id_len;
    }
    if (rc == CLI_ID_NOMEM || (rc == CLI_ID_RENAMED && in->ids.failed))
        report(in, CLI_WARNING, doc->path, doc->line,
               "out of memory: ids are no longer checked for repeats");
}

static void emit(cli_inputs *in, cli_doc *doc)
{
    ids_check(in, doc);
    doc->seq = in->seq++;
    if (in->fn && in->fn(doc, in->payload) != 0)
        in->stop = 1;
    in->text_bytes += doc->text_len;
    if (in->progress)
        in->progress(in->seq, in->text_bytes, in->progress_payload);
}

/* ---- Reader: gzread() over a file, with optional tee into a spool ------- */

static int write_all_at(int fd, const char *p, size_t n, off_t off)
{
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
        off += w;
    }
    return 0;
}

/* Moves bytes from the tee source to the end of the spool, using buf[0..n)
 * as scratch. A pipe hands out 64 KiB per read(): gather up to TEE_PULL so
 * that each round trip through zlib moves a useful amount.
 * @return 0, or -1 (r->msg set). */
static int tee_pull(reader *r, char *buf, size_t n)
{
    spool *sp = r->tee;
    size_t have = 0, want = n < TEE_PULL ? n : TEE_PULL;
    int eof = 0;

    while (have < want) {
        ssize_t got = read(sp->src, buf + have, n - have);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            snprintf(r->msg, sizeof r->msg, "read error: %s", strerror(errno));
            return -1;
        }
        if (got == 0) {
            eof = 1;
            break;
        }
        have += (size_t)got;
    }
    if (have > 0 && write_all_at(sp->fd, buf, have, sp->size) != 0) {
        snprintf(r->msg, sizeof r->msg, "cannot write temporary file: %s", strerror(errno));
        return -1;
    }
    sp->size += (off_t)have;
    if (eof) {
        sp->eof = 1;
        if (sp->own_src)
            close(sp->src);
        sp->src = -1;
        r->tee = NULL;
    }
    return 0;
}

/* Before the first gzread() of a tee, make sure zlib can see the two magic
 * bytes: it decides between gzip and plain data on its first read. Gzip data
 * is then spooled completely before decoding, because zlib may take a gzip
 * member boundary split across two pulls for trailing garbage. */
static int tee_prime(reader *r, char *buf, size_t n)
{
    unsigned char magic[2];

    r->primed = 1;
    while (r->tee && r->tee->size < 2)
        if (tee_pull(r, buf, n) != 0)
            return -1;
    if (r->tee == NULL || pread(r->tee->fd, magic, 2, 0) != 2)
        return 0;
    while (r->tee && magic[0] == 0x1f && magic[1] == 0x8b)
        if (tee_pull(r, buf, n) != 0)
            return -1;
    return 0;
}

static long gz_failure(reader *r)
{
    int errnum;
    const char *zmsg = gzerror(r->gz, &errnum);

    if (errnum == Z_ERRNO)
        snprintf(r->msg, sizeof r->msg, "read error: %s", strerror(errno));
    else if (errnum == Z_MEM_ERROR)
        snprintf(r->msg, sizeof r->msg, "out of memory");
    else
        snprintf(r->msg, sizeof r->msg, "corrupt gzip data (%s)", zmsg);
    return -1;
}

/* Reads up to n decoded bytes into buf.
 * @return the count (> 0), 0 at the end, or -1 (r->msg says why). */
static long reader_read(reader *r, char *buf, size_t n)
{
    int errnum;

    if (n > MAX_GZ_READ)
        n = MAX_GZ_READ;
    if (r->tee && !r->primed && tee_prime(r, buf, n) != 0)
        return -1;
    for (;;) {
        int got = gzread(r->gz, buf, (unsigned)n);

        if (got > 0)
            return got;
        if (got < 0)
            return gz_failure(r);
        gzerror(r->gz, &errnum);
        if (r->tee == NULL)
            break;
        /* The spool is exhausted but the source is not: pull more. */
        if (tee_pull(r, buf, n) != 0)
            return -1;
        gzclearerr(r->gz);
    }
    /* zlib takes the end of the file for the end of the data, error Z_OK,
     * when the output filled up just as the input ran out, even inside a
     * gzip member whose rest was cut off. Asked once more, the decoder
     * itself runs: it gives what it still holds, or reports the cut. */
    if (errnum == Z_OK && !gzdirect(r->gz)) {
        int got;

        gzclearerr(r->gz);
        got = gzread(r->gz, buf, (unsigned)n);
        if (got > 0)
            return got;
        if (got < 0)
            return gz_failure(r);
        gzerror(r->gz, &errnum);
    }
    if (errnum == Z_BUF_ERROR) {
        snprintf(r->msg, sizeof r->msg, "truncated gzip data");
        return -1;
    }
    return 0;
}

/* Wraps descriptor fd (consumed) in r. @return 0, or -1 when out of memory. */
static int reader_attach(reader *r, int fd)
{
    memset(r, 0, sizeof *r);
    r->gz = gzdopen(fd, "rb");
    if (r->gz == NULL) {
        close(fd);
        return -1;
    }
    gzbuffer(r->gz, GZ_BUFFER);
    return 0;
}

static void reader_close(reader *r)
{
    if (r->gz)
        gzclose(r->gz);
    r->gz = NULL;
}

/* ---- Replay spools --------------------------------------------------- */

static int make_temp(void)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    int fd, n;

    if (dir == NULL || *dir == '\0')
        dir = "/tmp";
    n = snprintf(path, sizeof path, "%s/neardup-spool-XXXXXX", dir);
    if (n < 0 || (size_t)n >= sizeof path)
        snprintf(path, sizeof path, "/tmp/neardup-spool-XXXXXX");
    fd = mkstemp(path);
    if (fd >= 0)
        unlink(path); /* the descriptor keeps it alive; nothing is left behind */
    return fd;
}

/* First use of a spool: find out whether standard input can be rewound,
 * else open the source and the temporary file. @return 0 or -1 (reported). */
static int spool_start(cli_inputs *in, spool *sp, const char *path, int is_stdin)
{
    struct stat st;

    if (is_stdin && fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode)) {
        sp->start = lseek(STDIN_FILENO, 0, SEEK_CUR);
        sp->seekable = sp->start >= 0;
    }
    if (!sp->seekable) {
        sp->own_src = !is_stdin;
        sp->src = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
        if (sp->src < 0) {
            report(in, CLI_ERROR, path, 0, "cannot open: %s", strerror(errno));
            return -1;
        }
        sp->fd = make_temp();
        if (sp->fd < 0) {
            report(in, CLI_ERROR, path, 0, "cannot create temporary file for replay: %s",
                   strerror(errno));
            if (sp->own_src)
                close(sp->src);
            sp->src = -1;
            return -1;
        }
    }
    sp->started = 1;
    return 0;
}

/* Opens a reader over a spooled input from its beginning. */
static int spool_open(cli_inputs *in, reader *r, spool *sp, const char *path, int is_stdin)
{
    int fd;

    if (!sp->started && spool_start(in, sp, path, is_stdin) != 0)
        return -1;
    if (sp->seekable) {
        if (lseek(STDIN_FILENO, sp->start, SEEK_SET) < 0 || (fd = dup(STDIN_FILENO)) < 0) {
            report(in, CLI_ERROR, path, 0, "cannot rewind: %s", strerror(errno));
            return -1;
        }
    } else if (lseek(sp->fd, 0, SEEK_SET) < 0 || (fd = dup(sp->fd)) < 0) {
        report(in, CLI_ERROR, path, 0, "cannot reread temporary file: %s", strerror(errno));
        return -1;
    }
    if (reader_attach(r, fd) != 0) {
        report(in, CLI_ERROR, path, 0, "out of memory");
        return -1;
    }
    r->tee = sp->seekable || sp->eof ? NULL : sp;
    return 0;
}

/* Opens a file found in a directory, which stat() said is regular, so that
 * it cannot block: were it replaced by a FIFO in between, open() would wait
 * for a writer. @return the descriptor, -1 (errno set), or -2 (not regular,
 * reported). */
static int open_regular(cli_inputs *in, const char *path)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), flags;

    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        report(in, CLI_WARNING, path, 0, "not a regular file, skipped");
        return -2;
    }
    flags = fcntl(fd, F_GETFL);
    if (flags >= 0)
        (void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    return fd;
}

static int plain_open(cli_inputs *in, reader *r, const char *path, int is_stdin)
{
    int fd = is_stdin         ? dup(STDIN_FILENO)
             : in->in_walk    ? open_regular(in, path)
                              : open(path, O_RDONLY | O_CLOEXEC);

    if (fd == -2)
        return -1;
    if (fd < 0) {
        report(in, CLI_ERROR, path, 0, "cannot open: %s", strerror(errno));
        return -1;
    }
#ifdef POSIX_FADV_SEQUENTIAL
    if (!is_stdin)
        (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    if (reader_attach(r, fd) != 0) {
        report(in, CLI_ERROR, path, 0, "out of memory");
        return -1;
    }
    return 0;
}

/* ---- Buffer filling --------------------------------------------------- */

/* Appends the next bytes of the file to in->buf. Capacity grows so that a
 * read always has room for at least half of max(READ_CHUNK, len): reads stay
 * large, and a long line costs O(length) time and memory. */
static int fill(cli_inputs *in, reader *r)
{
    cli_buf *b = &in->buf;
    size_t want = b->len > READ_CHUNK ? b->len : READ_CHUNK;
    long got;

    if (b->cap - b->len < want / 2 + 1 && cli_buf_reserve(b, want) != 0)
        return FILL_NOMEM;
    got = reader_read(r, b->data + b->len, b->cap - b->len - 1);
    if (got < 0)
        return FILL_ERROR;
    if (got == 0)
        return FILL_EOF;
    b->len += (size_t)got;
    return FILL_OK;
}

/* Standard input is JSONL when its first non-blank byte (after a BOM) is
 * '{'. Reads until that byte is in the buffer.
 * @return 1 at the end of input, 0 otherwise, -1 on a reported error. */
static int sniff_jsonl(cli_inputs *in, reader *r, source_file *sf)
{
    size_t i = 0;

    for (;;) {
        const unsigned char *d = (const unsigned char *)in->buf.data;
        int rc;

        if (i == 0 && in->buf.len >= 3 && memcmp(d, "\xEF\xBB\xBF", 3) == 0)
            i = 3;
        while (i < in->buf.len && cli_jsonl_blank(d[i]))
            i++;
        if (i < in->buf.len) {
            sf->jsonl = d[i] == '{';
            return 0;
        }
        rc = fill(in, r);
        if (rc == FILL_EOF) {
            sf->jsonl = 0;
            return 1;
        }
        if (rc != FILL_OK) {
            report(in, CLI_ERROR, sf->path, 0, "%s",
                   rc == FILL_NOMEM ? "out of memory" : r->msg);
            return -1;
        }
    }
}

/* ---- Text documents --------------------------------------------------- */

static void deliver_text(cli_inputs *in, const source_file *sf)
{
    const char *t = in->buf.data ? in->buf.data : "";
    size_t n = in->buf.len, bad;
    const char *nul = n ? memchr(t, '\0', n) : NULL;
    cli_doc doc;

    if (n == 0) {
        report(in, CLI_WARNING, sf->path, 0, "empty file");
    } else if (nul != NULL) {
        if (in->opts.skip_binary) {
            report(in, CLI_ERROR, sf->path, 0, "binary file (NUL byte at offset %zu), skipped",
                   (size_t)(nul - t));
            return;
        }
        report(in, CLI_WARNING, sf->path, 0, "binary file (NUL byte at offset %zu)",
               (size_t)(nul - t));
    } else if (!sf->html && (bad = cli_utf8_find_invalid(t, n)) < n) { /* a page has its charset */
        report(in, CLI_WARNING, sf->path, 0, "invalid UTF-8 at byte offset %zu", bad);
    }
    memset(&doc, 0, sizeof doc);
    doc.id = sf->path;
    doc.id_len = strlen(sf->path);
    doc.source = in->opts.source_override ? in->opts.source_override : sf->input;
    doc.source_len = strlen(doc.source);
    doc.text = t;
    doc.text_len = n;
    doc.input = sf->input;
    doc.path = sf->path;
    doc.is_html = sf->html;
    emit(in, &doc);
}

/* Reads the rest of the file into in->buf and delivers it as one document.
 * An incomplete document (read error, truncated gzip) is not delivered. */
static void read_text(cli_inputs *in, reader *r, const source_file *sf, int eof)
{
    while (!eof) {
        int rc = fill(in, r);

        if (rc == FILL_EOF) {
            eof = 1;
        } else if (rc == FILL_NOMEM) {
            report(in, CLI_ERROR, sf->path, 0, "out of memory (file too large), skipped");
            return;
        } else if (rc == FILL_ERROR) {
            report(in, CLI_ERROR, sf->path, 0, "%s, file skipped", r->msg);
            return;
        }
    }
    deliver_text(in, sf);
}

/* ---- JSONL documents (jsonl.c) --------------------------------------- */

/* Problems of a JSONL line, counted and passed on as the reader's own. */
static void jsonl_err(int severity, const char *name, size_t line, const char *message, void *payload)
{
    cli_inputs *in = payload;

    if (severity == CLI_ERROR)
        in->errors++;
    if (in->err != NULL)
        in->err(severity, name, line, message, in->payload);
}

static void jsonl_line(cli_inputs *in, const source_file *sf, const char *line, size_t len,
                       size_t lineno)
{
    cli_doc doc;

    if (cli_jsonl_line(&in->jsonl, sf->input, sf->path, line, len, lineno, &doc))
        emit(in, &doc);
}

/* A line ended; `oversize` says it did not fit in memory and was dropped. */
static void line_end(cli_inputs *in, const source_file *sf, const char *line, size_t len,
                     size_t lineno, int *oversize)
{
    if (*oversize) {
        report(in, CLI_ERROR, sf->path, lineno, "line too long to fit in memory, skipped");
        *oversize = 0;
        return;
    }
    jsonl_line(in, sf, line, len, lineno);
}

/* Splits the file into lines. in->buf[start..len) holds the unfinished
 * line; `scan` is where the search for its end resumes, so that a line that
 * arrives in many reads is still searched only once. */
static void read_jsonl(cli_inputs *in, reader *r, const source_file *sf, int eof)
{
    cli_buf *b = &in->buf;
    size_t start = 0, scan = 0, lineno = 0;
    int oversize = 0;

    while (!in->stop) {
        const char *nl = b->len > scan ? memchr(b->data + scan, '\n', b->len - scan) : NULL;
        int rc;

        if (nl != NULL) {
            size_t end = (size_t)(nl - b->data);
            line_end(in, sf, b->data + start, end - start, ++lineno, &oversize);
            start = scan = end + 1;
            continue;
        }
        if (eof) {
            if (start < b->len || oversize)
                line_end(in, sf, b->data + start, b->len - start, ++lineno, &oversize);
            return;
        }
        if (start > 0)
            memmove(b->data, b->data + start, b->len - start);
        b->len -= start;
        scan = b->len;
        start = 0;
        rc = fill(in, r);
        if (rc == FILL_EOF) {
            eof = 1;
        } else if (rc == FILL_NOMEM) {
            oversize = 1; /* drop what we have of this line, keep looking for its end */
            b->len = scan = 0;
        } else if (rc == FILL_ERROR) {
            report(in, CLI_ERROR, sf->path, lineno + 1, "%s", r->msg);
            return;
        }
    }
}

/* ---- Files, directories, inputs ---------------------------------------- */

/* Whether s ends with suffix (lower case) in any case: "X.JSONL" and
 * "page.HTM" are named as their lower-case forms are. */
static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix), i;

    if (n < k)
        return 0;
    for (i = 0; i < k; i++)
        if (tolower((unsigned char)s[n - k + i]) != suffix[i])
            return 0;
    return 1;
}

/* A web page by its name: .html or .htm, maybe gzipped, any case. */
static int is_html_name(const char *path)
{
    return has_suffix(path, ".html") || has_suffix(path, ".htm") || has_suffix(path, ".html.gz")
        || has_suffix(path, ".htm.gz");
}

/* Reads one opened file as text or JSONL. */
static void read_stream(cli_inputs *in, reader *r, source_file *sf)
{
    int eof = 0;

    in->buf.len = 0;
    if (sf->jsonl < 0 && (eof = sniff_jsonl(in, r, sf)) < 0)
        return;
    if (sf->jsonl)
        read_jsonl(in, r, sf, eof);
    else
        read_text(in, r, sf, eof);
}

/* A giant document must not pin its memory for the rest of the run; normal
 * sizes stay allocated so that the steady state does not allocate. */
static void trim_buffers(cli_inputs *in)
{
    cli_buf *bufs[4];
    size_t k;

    bufs[0] = &in->buf;
    bufs[1] = &in->jsonl.text;
    bufs[2] = &in->jsonl.id;
    bufs[3] = &in->jsonl.source;
    for (k = 0; k < 4; k++)
        if (bufs[k]->cap > TRIM_ABOVE)
            cli_buf_free(bufs[k]);
}

static int warc_doc(cli_doc *doc, void *payload)
{
    cli_inputs *in = payload;
    emit(in, doc);
    return in->stop;
}

static void warc_problem(int severity, const char *name, size_t line, const char *message,
                         void *payload)
{
    report(payload, severity, name, line, "%s", message);
}

/* Reads the file at in->path as WARC when its content is WARC (warc.h).
 * @return 1 when it was (read, or reported), 0 when it is not WARC. */
static int read_warc(cli_inputs *in, const char *input)
{
    const char *path = in->path.data;
    struct stat st;
    cli_warc_read_opts wo;
    cli_warc_counts counts;
    int fd, gz;

    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0; /* sniffing must not consume a FIFO's bytes */
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
        return 0; /* plain_open reports it */
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !cli_warc_sniff(fd, &gz)) {
        close(fd);
        return 0;
    }
    memset(&wo, 0, sizeof wo);
    wo.input = input;
    wo.path = path;
    wo.source_override = in->opts.source_override;
    wo.id_record = in->opts.warc_id_record;
    if (cli_warc_read(fd, gz, &wo, warc_doc, warc_problem, in, &counts) != 0)
        in->stop = 1;
    close(fd);
    return 1;
}

/* Reads the file at in->path. `sp` is the replay spool to read it through,
 * or NULL to open it directly. */
static void read_file(cli_inputs *in, const char *input, spool *sp, int is_stdin)
{
    source_file sf;
    reader r;
    int rc;

    sf.input = input;
    sf.path = in->path.data;
    cli_ids_new_file(&in->ids);
    /* a name ending in .jsonl says JSONL, whatever its first bytes (a line that
     * is not JSON is then reported as such, with its number) */
    if (sp == NULL && !is_stdin && !in->opts.force_jsonl && !has_suffix(sf.path, ".jsonl")
        && !has_suffix(sf.path, ".jsonl.gz") && read_warc(in, input))
        return;
    if (in->opts.force_jsonl)
        sf.jsonl = 1;
    else if (is_stdin)
        sf.jsonl = -1;
    else
        sf.jsonl = has_suffix(sf.path, ".jsonl") || has_suffix(sf.path, ".jsonl.gz");
    sf.html = !sf.jsonl && !is_stdin && is_html_name(sf.path);
    if (sp != NULL)
        rc = spool_open(in, &r, sp, sf.path, is_stdin);
    else
        rc = plain_open(in, &r, sf.path, is_stdin);
    if (rc != 0)
        return;
    read_stream(in, &r, &sf);
    reader_close(&r);
    trim_buffers(in);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names of the visible entries of the directory at in->path, sorted
 * byte-wise, stored in `arena`; `*out` gets the sorted pointers (to free).
 * @return the count, or (size_t)-1 when the directory cannot be opened. */
static size_t list_dir(cli_inputs *in, cli_buf *arena, char ***out)
{
    DIR *d = opendir(in->path.data);
    size_t n = 0, i, off = 0;
    struct dirent *e;
    char **names;

    *out = NULL;
    if (d == NULL) {
        report(in, CLI_ERROR, in->path.data, 0, "cannot open directory: %s", strerror(errno));
        return (size_t)-1;
    }
    for (;;) {
        size_t len;

        errno = 0;
        if ((e = readdir(d)) == NULL) {
            if (errno != 0)
                report(in, CLI_ERROR, in->path.data, 0, "cannot list directory: %s",
                       strerror(errno));
            break;
        }
        if (e->d_name[0] == '.') /* ".", ".." and hidden entries */
            continue;
        len = strlen(e->d_name) + 1;
        if (cli_buf_reserve(arena, len) != 0) {
            report(in, CLI_ERROR, in->path.data, 0, "out of memory, directory listing cut");
            break;
        }
        memcpy(arena->data + arena->len, e->d_name, len);
        arena->len += len;
        n++;
    }
    closedir(d);
    names = n ? malloc(n * sizeof *names) : NULL;
    if (n && names == NULL) {
        report(in, CLI_ERROR, in->path.data, 0, "out of memory, directory skipped");
        return 0;
    }
    for (i = 0; i < n; i++) { /* the arena no longer moves: take pointers */
        names[i] = arena->data + off;
        off += strlen(names[i]) + 1;
    }
    qsort(names, n, sizeof *names, cmp_names);
    *out = names;
    return n;
}

static void visit(cli_inputs *in, const char *input, int top);

/* Appends "/name" to in->path (no doubled '/'). @return 0 or -1. */
static int path_push(cli_inputs *in, const char *name)
{
    size_t n = strlen(name);
    cli_buf *p = &in->path;

    if (cli_buf_reserve(p, n + 1) != 0)
        return -1;
    if (p->len > 0 && p->data[p->len - 1] != '/')
        p->data[p->len++] = '/';
    memcpy(p->data + p->len, name, n + 1);
    p->len += n;
    return 0;
}

static void walk_dir(cli_inputs *in, const char *input)
{
    cli_buf arena = CLI_BUF_INIT;
    char **names;
    size_t n = list_dir(in, &arena, &names), i, base = in->path.len;

    if (n == (size_t)-1)
        n = 0;
    for (i = 0; i < n && !in->stop; i++) {
        if (path_push(in, names[i]) != 0) {
            report(in, CLI_ERROR, in->path.data, 0, "out of memory, entry %s skipped",
                   names[i]);
            continue;
        }
        visit(in, input, 0);
        in->path.len = base;
        in->path.data[base] = '\0';
    }
    free(names);
    cli_buf_free(&arena);
}

/* Recurses into the directory at in->path unless that would loop. */
static void enter_dir(cli_inputs *in, const char *input, const struct stat *st)
{
    size_t k;

    for (k = 0; k < in->ndirs; k++) {
        if (in->dirs[k].dev == st->st_dev && in->dirs[k].ino == st->st_ino) {
            report(in, CLI_WARNING, in->path.data, 0,
                   "directory already being read (symlink loop), skipped");
            return;
        }
    }
    if (in->ndirs >= MAX_DIR_DEPTH) {
        report(in, CLI_ERROR, in->path.data, 0,
               "directories nested more than %d deep, skipped", MAX_DIR_DEPTH);
        return;
    }
    in->dirs[in->ndirs].dev = st->st_dev;
    in->dirs[in->ndirs].ino = st->st_ino;
    in->ndirs++;
    walk_dir(in, input);
    in->ndirs--;
}

/* Reads whatever in->path names. `top` is set for an INPUT argument, which
 * is read even when it is not a regular file (a FIFO, /dev/stdin). */
static void visit(cli_inputs *in, const char *input, int top)
{
    struct stat st;

    if (stat(in->path.data, &st) != 0) { /* follows symlinks */
        report(in, CLI_ERROR, in->path.data, 0, "cannot open: %s", strerror(errno));
        return;
    }
    if (S_ISDIR(st.st_mode))
        enter_dir(in, input, &st);
    else if (S_ISREG(st.st_mode) || top) {
        in->in_walk = !top;
        read_file(in, input, NULL, 0);
        in->in_walk = 0;
    }
    else
        report(in, CLI_WARNING, in->path.data, 0, "not a regular file, skipped");
}

static void read_input(cli_inputs *in, size_t i)
{
    const char *arg = in->inputs[i];
    int is_stdin = strcmp(arg, "-") == 0;
    struct stat st;

    in->path.len = 0;
    if (path_push(in, arg) != 0) {
        report(in, CLI_ERROR, arg, 0, "out of memory");
        return;
    }
    in->ndirs = 0;
    /* Inputs that cannot be reopened are spooled when replay is wanted. */
    if (in->replayable &&
        (is_stdin || (stat(arg, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))))
        read_file(in, arg, &in->spools[i], is_stdin);
    else if (is_stdin)
        read_file(in, arg, NULL, 1);
    else
        visit(in, arg, 1);
}

/* ---- Public entry points ------------------------------------------------ */

/* Copies the options so that the caller's strings need not outlive us. */
static int copy_opts(cli_inputs *in, const cli_input_opts *o)
{
    static const cli_input_opts none;
    const char *src[7];
    int k;

    if (o == NULL)
        o = &none;
    src[0] = o->id_field ? o->id_field : "id";
    src[1] = o->text_field ? o->text_field : "text";
    src[2] = o->source_field ? o->source_field : "source";
    src[3] = o->source_override;
    src[4] = o->url_field ? o->url_field : "url";
    src[5] = o->date_field ? o->date_field : "date";
    src[6] = o->html_field;
    for (k = 0; k < 7; k++)
        if (src[k] && (in->owned[k] = strdup(src[k])) == NULL)
            return -1;
    in->opts = *o;
    in->opts.id_field = in->owned[0];
    in->opts.text_field = in->owned[1];
    in->opts.source_field = in->owned[2];
    in->opts.source_override = in->owned[3];
    in->opts.url_field = in->owned[4];
    in->opts.date_field = in->owned[5];
    in->opts.html_field = in->owned[6];
    if (in->opts.html_field) /* the HTML is read where the text would be */
        in->opts.text_field = in->opts.html_field;
    cli_jsonl_init(&in->jsonl, &in->opts, jsonl_err, in);
    return 0;
}

cli_inputs *cli_inputs_open(char *const *inputs, size_t count, const cli_input_opts *opts,
                            int replayable)
{
    static char dash[] = "-";
    static char *const stdin_only[] = { dash };
    cli_inputs *in = calloc(1, sizeof *in);
    size_t i;

    if (in == NULL)
        return NULL;
    if (count == 0) { /* no INPUT means standard input */
        inputs = stdin_only;
        count = 1;
    }
    in->replayable = replayable;
    in->inputs = calloc(count, sizeof *in->inputs);
    in->spools = calloc(count, sizeof *in->spools);
    if (in->inputs == NULL || in->spools == NULL) {
        cli_inputs_close(in);
        return NULL;
    }
    in->count = count;
    for (i = 0; i < count; i++)
        in->spools[i].fd = in->spools[i].src = -1;
    for (i = 0; i < count; i++) {
        if ((in->inputs[i] = strdup(inputs[i])) == NULL) {
            cli_inputs_close(in);
            return NULL;
        }
    }
    if (copy_opts(in, opts) != 0) {
        cli_inputs_close(in);
        return NULL;
    }
    return in;
}

long cli_inputs_read(cli_inputs *in, cli_doc_fn fn, cli_err_fn err, void *payload)
{
    size_t i;

    in->fn = fn;
    in->err = err;
    in->payload = payload;
    in->errors = 0;
    in->seq = 0;
    in->text_bytes = 0;
    in->stop = 0;
    cli_ids_reset(&in->ids); /* a replay renames the same documents the same way */
    for (i = 0; i < in->count && !in->stop; i++)
        read_input(in, i);
    return in->stop ? -1 : in->errors;
}

void cli_inputs_on_progress(cli_inputs *in, cli_progress_fn fn, void *payload)
{
    in->progress = fn;
    in->progress_payload = payload;
}

void cli_inputs_close(cli_inputs *in)
{
    size_t i;

    if (in == NULL)
        return;
    for (i = 0; in->inputs && i < in->count; i++)
        free(in->inputs[i]);
    for (i = 0; in->spools && i < in->count; i++) {
        if (in->spools[i].fd >= 0)
            close(in->spools[i].fd);
        if (in->spools[i].own_src && in->spools[i].src >= 0)
            close(in->spools[i].src);
    }
    free(in->inputs);
    free(in->spools);
    for (i = 0; i < 7; i++)
        free(in->owned[i]);
    cli_buf_free(&in->buf);
    cli_jsonl_free(&in->jsonl);
    cli_buf_free(&in->path);
    cli_ids_free(&in->ids);
    free(in);
}
