/* Allocation: the only file that calls malloc/free, and only as the default
 * allocator. Every handle allocates through its nd_allocator. */
#include <stdlib.h>
#include "internal.h"

static void *nd__std_alloc(void *opaque, size_t size) { (void)opaque; return malloc(size); }
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
