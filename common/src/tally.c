// tally.c - counts by name (see sl/tally.h).
#include "sl/tally.h"

zhashx_t *
sl_tally_new(void)
{
    zhashx_t *tally = zhashx_new();
    assert(tally);
    zhashx_set_destructor(tally, NULL); // items are counts, not pointers
    return tally;
}

uintptr_t
sl_tally_get(zhashx_t *tally, const char *key)
{
    return (uintptr_t)zhashx_lookup(tally, key);
}

void
sl_tally_add(zhashx_t *tally, const char *key, int delta)
{
    uintptr_t n = sl_tally_get(tally, key);
    n = delta < 0 ? (n ? n - 1 : 0) : n + 1;
    if (n)
        zhashx_update(tally, key, (void *)n);
    else
        zhashx_delete(tally, key);
}
