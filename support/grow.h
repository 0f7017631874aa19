/* grow.h - room for one more element in a malloc'd array that doubles.
 *
 * Owns nothing: a helper for the arrays of watch, fate, flushlog, the
 * corpus index, the storm's records, clients and the real-run history.  `if (grow(&a, &cap, n, sizeof *a, 16) < 0) fail;` then a[n]
 * may be written. */
#ifndef TERNRIG_GROW_H
#define TERNRIG_GROW_H

#include <stdlib.h>

/* Make *arr hold at least n + 1 elements of `size` bytes (first `start`).
 * Returns 0, or -1 when out of memory (the array is left as it was). */
static inline int grow(void *arr, size_t *cap, size_t n, size_t size,
                       size_t start)
{
    void **p = (void **)arr;
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : start;
    void *np = realloc(*p, nc * size);
    if (!np)
        return -1;
    *p = np;
    *cap = nc;
    return 0;
}

#endif
