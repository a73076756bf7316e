// mem.c - allocation that aborts on exhaustion (see sl/mem.h for why).
#include "sl/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_oom(size_t size)
{
    fprintf(stderr, "sluice: out of memory allocating %zu bytes\n", size);
    abort();
}

void *
sl_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        s_oom(n * size);
    return p;
}

void *
sl_xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q)
        s_oom(size);
    return q;
}

char *
sl_xstrdup(const char *s)
{
    if (!s)
        return NULL;
    return sl_xstrndup(s, strlen(s));
}

char *
sl_xstrndup(const char *s, size_t len)
{
    char *p = sl_xcalloc(1, len + 1);
    if (len)
        memcpy(p, s, len);
    return p;
}
