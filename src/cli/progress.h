/*
 * Progress of a long run on standard error: documents, megabytes, MB/s,
 * elapsed time, and the time left when the input's size is known. Shown
 * only on a terminal (not with -q or --no-progress), at most 5 times a
 * second, on one line rewritten with '\r' and erased before the summary.
 */
#ifndef ND_CLI_PROGRESS_H
#define ND_CLI_PROGRESS_H

#include <stddef.h>

typedef struct cli_progress {
    const char *what;              /* "scan", "index"... */
    int on;
    double start, last;            /* seconds (monotonic) */
    unsigned long long total;      /* bytes of input, 0 when unknown */
    int shown;                     /* a line is on the terminal */
} cli_progress;

/* Starts a progress display for command `what` over the given inputs (their
 * sizes give the total when every one is a regular, uncompressed file);
 * `wanted` is 0 with -q or --no-progress. */
void cli_progress_start(cli_progress *p, const char *what, char *const *inputs, size_t count, int wanted);

/* docs documents and `bytes` bytes of input read so far. */
void cli_progress_update(cli_progress *p, size_t docs, unsigned long long bytes);

/* Erases the line, if any. */
void cli_progress_end(cli_progress *p);

#endif
