// tally.c - counts by name (see sl/tally.h).
#include "sl/tally.h"

#include <string.h>

#include "sl/metrics.h"

#define S_LABELS_MAX 512 // bytes of one label set

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

int
sl_tally_samples(zhashx_t *tally, sl_buf_t *out, const char *name, const char *label)
{
    for (void *n = zhashx_first(tally); n; n = zhashx_next(tally)) {
        const char *key = zhashx_cursor(tally);
        sl_buf_t b;
        sl_buf_init(&b, S_LABELS_MAX);
        int rc = sl_metrics_label(&b, label, key, strlen(key));
        if (rc == 0)
            rc = sl_metrics_sample(out, name, sl_buf_str(&b), (double)(uintptr_t)n);
        sl_buf_free(&b);
        if (rc < 0)
            return rc;
    }
    return 0;
}
