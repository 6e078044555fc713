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
 * (bench/RESULTS.md, "Per-stage budget"). Large blocks are therefore mapped
 * on their own, starting on a 2 MiB boundary and advised as transparent
 * huge pages: one fault per 2 MiB instead of 512. Advising the inside of
 * malloc's blocks instead did not reliably take (the kernel gives a huge
 * page only to a 2 MiB range that holds no page yet, and heap memory that
 * malloc hands out again keeps its small pages): finish's arrays were still
 * faulted 4 KiB at a time, 23,800 faults in a one-thread scan of news
 * against 9,400 this way, and 11% of its time.
 *
 * Which blocks: those of 4 MiB and more, and those of 1 MiB and more that a
 * whole number of huge pages holds with at most a quarter to spare (an
 * array of 4 bytes per paragraph of news, 1.8 MB, is one huge page). Other
 * blocks, and the tail of a mapped block past its last whole huge page,
 * keep small pages, so RSS stays close to what a block touches. Each block
 * is preceded by ND__HDR bytes saying how it was made; for a mapped block
 * they lie in a 4 KiB page of its own, so that a block of whole huge pages
 * (a collection's 8 MiB chunk) spans no more of them: a header inside the
 * first huge page made every chunk touch one more, 28 MB of peak RSS on
 * news (aligning blocks on 2 MiB through malloc, tried before, had added
 * 50-100 MB). Where THP is off ("never") the advice does nothing; other
 * systems, and builds under AddressSanitizer (which checks the bounds of
 * malloc's blocks only), use malloc alone.
 */
#define ND__HUGE_PAGE ((size_t)2 << 20)
#define ND__SMALL_PAGE ((size_t)4096)
#define ND__MAP_MIN ((size_t)1 << 20)
#define ND__HDR 16u /* keeps malloc's 16-byte alignment */

/* AddressSanitizer checks the bounds of malloc's blocks only: under it,
 * every block comes from malloc. */
#if defined(__SANITIZE_ADDRESS__)
#  define ND__ASAN 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define ND__ASAN 1
#  endif
#endif
#if defined(__linux__) && defined(MADV_HUGEPAGE) && defined(MAP_ANONYMOUS) && !defined(ND__ASAN)
#  define ND__MAP 1
#endif

#if defined(ND__MAP)
/* A block of size bytes on its own mapping (see above), or NULL when it
 * should come from malloc or the mapping fails. */
static void *nd__map_block(size_t size)
{
    size_t len = (size + ND__SMALL_PAGE - 1) & ~(ND__SMALL_PAGE - 1);
    size_t whole = (size + ND__HUGE_PAGE - 1) & ~(ND__HUGE_PAGE - 1);
    if (whole - size <= size / 4) len = whole;
    else if (size < 2 * ND__HUGE_PAGE) return NULL; /* no whole huge page worth a mapping */
    size_t span = ND__SMALL_PAGE + len; /* header page, block */
    char *raw = mmap(NULL, span + ND__HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return NULL;
    char *at = (char *)(((uintptr_t)raw + ND__SMALL_PAGE + ND__HUGE_PAGE - 1) & ~(uintptr_t)(ND__HUGE_PAGE - 1));
    char *base = at - ND__SMALL_PAGE;
    char *end = raw + span + ND__HUGE_PAGE;
    /* a trim that fails (the process's count of mappings at its limit)
     * would leave address space behind for good: give it all back */
    if ((base > raw && munmap(raw, (size_t)(base - raw)) != 0)
        || (end > base + span && munmap(base + span, (size_t)(end - (base + span))) != 0)) {
        munmap(raw, span + ND__HUGE_PAGE);
        return NULL;
    }
    (void)madvise(at, len, MADV_HUGEPAGE);
    *(size_t *)(void *)(at - ND__HDR) = span;
    return at;
}
#endif

static void *nd__std_alloc(void *opaque, size_t size)
{
    (void)opaque;
    if (size > SIZE_MAX / 2) return NULL;
#if defined(ND__MAP)
    if (size >= ND__MAP_MIN) {
        void *p = nd__map_block(size);
        if (p) return p;
    }
#endif
    char *p = malloc(size + ND__HDR);
    if (!p) return NULL;
    *(size_t *)(void *)p = 0; /* from malloc */
    return p + ND__HDR;
}

static void nd__std_free(void *opaque, void *ptr)
{
    (void)opaque;
    if (!ptr) return;
    char *p = (char *)ptr;
    size_t span = *(size_t *)(void *)(p - ND__HDR);
#if defined(ND__MAP)
    if (span) {
        munmap(p - ND__SMALL_PAGE, span);
        return;
    }
#endif
    (void)span;
    free(p - ND__HDR);
}

static const nd_allocator nd__std = { nd__std_alloc, nd__std_free, NULL };

const nd_allocator *nd__default_allocator(void) { return &nd__std; }

int nd__alloc_mapped(const void *p)
{
    return p && *(const size_t *)(const void *)((const char *)p - ND__HDR) != 0;
}

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
