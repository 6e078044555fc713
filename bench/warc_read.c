/*
 * nd_bench_warc: reading speed and memory of the WARC reader alone
 * (src/cli/warc.c, warc_doc.c), without analysis. Reads each file given,
 * turning its records into documents as `neardup scan` does, and prints
 * per file: compressed MB/s (file bytes / time), HTML MB/s (document bytes
 * / time), documents, and the process's peak RSS so far.
 *
 * usage: nd_bench_warc [-r RUNS] FILE...   (fastest of RUNS, default 3)
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "warc.h"

typedef struct tally {
    size_t docs;
    unsigned long long bytes;
} tally;

static int on_doc(cli_doc *d, void *payload)
{
    tally *t = payload;
    t->docs++;
    t->bytes += d->text_len;
    return 0;
}

static void on_err(int severity, const char *input, size_t line, const char *message, void *payload)
{
    (void)line;
    (void)payload;
    if (severity == CLI_ERROR) fprintf(stderr, "%s: %s\n", input, message);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    int runs = 3, first = 1;
    if (argc > 2 && !strcmp(argv[1], "-r")) {
        runs = atoi(argv[2]);
        first = 3;
    }
    if (first >= argc || runs < 1) {
        fputs("usage: nd_bench_warc [-r RUNS] FILE...\n", stderr);
        return 2;
    }
    printf("%-28s %10s %9s %12s %12s %10s\n", "file", "MB", "docs", "gz MB/s", "HTML MB/s", "maxRSS MB");
    for (int i = first; i < argc; i++) {
        struct stat st;
        double best = 1e30;
        tally t = { 0, 0 };
        for (int r = 0; r < runs; r++) {
            int fd = open(argv[i], O_RDONLY), gz;
            cli_warc_read_opts o;
            cli_warc_counts c;
            if (fd < 0 || fstat(fd, &st) != 0 || !cli_warc_sniff(fd, &gz)) {
                fprintf(stderr, "%s: not a readable WARC file\n", argv[i]);
                return 1;
            }
            memset(&o, 0, sizeof o);
            o.input = o.path = argv[i];
            t.docs = 0;
            t.bytes = 0;
            double t0 = now();
            cli_warc_read(fd, gz, &o, on_doc, on_err, &t, &c);
            double dt = now() - t0;
            close(fd);
            if (dt < best) best = dt;
        }
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        const char *base = strrchr(argv[i], '/');
        printf("%-28s %10.1f %9zu %12.1f %12.1f %10.1f\n", base ? base + 1 : argv[i], st.st_size / 1e6,
               t.docs, st.st_size / 1e6 / best, t.bytes / 1e6 / best, ru.ru_maxrss / 1024.0);
    }
    return 0;
}
