/* Allocation: the only file that calls malloc/free, and only as the default
 * allocator. Every handle allocates through its nd_allocator. */
#define _DEFAULT_SOURCE /* madvise */
#include <stdlib.h>
#include <stdint.h>
#include "internal.h"
#if defined(__linux__)
#  include <sys/mman.h>
#endif

/*
 * A collection's arrays (signatures, band keys, chains) are hundreds of MB
 * written once, so first touches dominate: on the project's VM, page faults
 * and the hypervisor's backing of fresh pages took a fifth of a scan
 * (bench/RESULTS.md, "Per-stage budget"). The 2 MiB-aligned inside of blocks
 * of 4 MiB and more is advised as transparent huge pages: one fault per
 * 2 MiB instead of 512. It is advice: where THP is off ("never") or absent
 * nothing changes, and contents, RSS of untouched memory and the
 * allocator's contract stay the same. (Aligning the blocks themselves on
 * 2 MiB was tried: it added 50-100 MB of peak RSS on the news corpus.)
 */
#define ND__HUGE_PAGE ((size_t)2 << 20)

static void *nd__std_alloc(void *opaque, size_t size)
{
    (void)opaque;
    void *p = malloc(size);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (p && size >= 2 * ND__HUGE_PAGE) {
        uintptr_t lo = ((uintptr_t)p + ND__HUGE_PAGE - 1) & ~(uintptr_t)(ND__HUGE_PAGE - 1);
        uintptr_t hi = ((uintptr_t)p + size) & ~(uintptr_t)(ND__HUGE_PAGE - 1);
        if (hi > lo) (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
    }
#endif
    return p;
}

static void nd__std_free(void *opaque, void *ptr) { (void)opaque; free(ptr); }

static const nd_allocator nd__std = { nd__std_alloc, nd__std_free, NULL };

const nd_allocator *nd__default_allocator(void) { return &nd__std; }

void *nd__alloc(const nd_allocator *al, size_t size)
{
    if (size == 0) size = 1;
    return al->alloc(al->opaque, size);
}

void *nd__calloc(const nd_allocator *al, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) return NULL;
    void *p = nd__alloc(al, count * size);
    if (p) memset(p, 0, count * size);
    return p;
}

void nd__free(const nd_allocator *al, void *ptr)
{
    if (ptr) al->free(al->opaque, ptr);
}

int nd__reserve(const nd_allocator *al, void **ptr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return ND_OK;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2) return ND_E_TOO_LARGE;
        ncap *= 2;
    }
    if (ncap > SIZE_MAX / elem) return ND_E_TOO_LARGE;
    void *np = nd__alloc(al, ncap * elem);
    if (!np) return ND_E_NOMEM;
    if (*ptr) {
        memcpy(np, *ptr, *cap * elem);
        nd__free(al, *ptr);
    }
    *ptr = np;
    *cap = ncap;
    return ND_OK;
}
