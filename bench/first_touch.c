/*
 * nd_bench_touch: what the machine charges for memory a process touches for
 * the first time. Maps SIZE MiB (advised as transparent huge pages, or
 * not), writes one byte per 4 KiB page, unmaps, four times in one process,
 * and prints each round's rate. On the project's VM the first round of a
 * fresh process is 25-40 times slower than the next ones with huge pages
 * (the hypervisor backs the guest's pages on first use) and every round is
 * slow without them (a fault per 4 KiB page): see bench/RESULTS.md, "Records
 * formatted on every thread".
 *
 *   nd_bench_touch [SIZE_MIB [huge: 1 or 0]]     (default: 128 1)
 */
#define _DEFAULT_SOURCE /* madvise, MAP_ANONYMOUS */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    size_t size = (size_t)(argc > 1 ? atoi(argv[1]) : 128) << 20;
    int huge = argc > 2 ? atoi(argv[2]) : 1;
    if (size == 0) {
        fputs("usage: nd_bench_touch [SIZE_MIB [1|0]]\n", stderr);
        return 2;
    }
    for (int round = 1; round <= 4; round++) {
        char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            perror("nd_bench_touch: mmap");
            return 1;
        }
#if defined(MADV_HUGEPAGE)
        if (huge) (void)madvise(p, size, MADV_HUGEPAGE);
#endif
        double t0 = now();
        volatile char *w = p; /* every write happens */
        for (size_t i = 0; i < size; i += 4096) w[i] = 1;
        double dt = now() - t0;
        printf("round %d, %zu MiB, huge pages %s: %.3f s, %.2f GB/s\n", round, size >> 20, huge ? "advised" : "not advised",
               dt, (double)size / dt / 1e9);
        munmap(p, size);
    }
    return 0;
}
