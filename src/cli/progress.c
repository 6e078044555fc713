/* Progress on standard error (see progress.h). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include "progress.h"

#define CLI_PROGRESS_PERIOD 0.2 /* seconds between two lines at least */

static double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Bytes of the inputs when all are regular files that are not gzip data
 * (their decompressed size is not known ahead), else 0. */
static unsigned long long cli_input_bytes(char *const *inputs, size_t count)
{
    unsigned long long total = 0;
    for (size_t i = 0; i < count; i++) {
        struct stat st;
        unsigned char magic[2] = { 0, 0 };
        if (!strcmp(inputs[i], "-") || stat(inputs[i], &st) != 0 || !S_ISREG(st.st_mode)) return 0;
        int fd = open(inputs[i], O_RDONLY | O_NONBLOCK);
        if (fd < 0) return 0;
        ssize_t n = read(fd, magic, 2);
        close(fd);
        if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b) return 0;
        total += (unsigned long long)st.st_size;
    }
    return total;
}

void cli_progress_start(cli_progress *p, const char *what, char *const *inputs, size_t count, int wanted)
{
    memset(p, 0, sizeof *p);
    p->what = what;
    p->on = wanted && isatty(STDERR_FILENO);
    if (!p->on) return;
    p->start = p->last = cli_now();
    p->total = cli_input_bytes(inputs, count);
}

void cli_progress_update(cli_progress *p, size_t docs, unsigned long long bytes)
{
    if (!p->on) return;
    double now = cli_now();
    if (now - p->last < CLI_PROGRESS_PERIOD) return;
    p->last = now;
    double secs = now - p->start, mb = (double)bytes / 1e6, rate = secs > 0 ? mb / secs : 0;
    fprintf(stderr, "\rneardup %s: %zu document%s, %.1f MB, %.1f MB/s, %.0f s", p->what, docs,
            docs == 1 ? "" : "s", mb, rate, secs);
    if (p->total && bytes <= p->total && rate > 0)
        fprintf(stderr, ", %.0f s left", (double)(p->total - bytes) / 1e6 / rate);
    fputs("\033[K", stderr); /* erase what a longer earlier line left */
    fflush(stderr);
    p->shown = 1;
}

void cli_progress_end(cli_progress *p)
{
    if (p->on && p->shown) fputs("\r\033[K", stderr);
    p->shown = 0;
}
