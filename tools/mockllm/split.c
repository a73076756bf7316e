// split.c - cut points for split writes (see split.h).
#include "split.h"

#include <stdbool.h>

// Length of the UTF-8 sequence led by byte c, or 0 when c does not lead a multi-byte one.
static size_t
s_utf8_len(unsigned char c)
{
    if (c >= 0xf0 && c <= 0xf7)
        return 4;
    if (c >= 0xe0)
        return c <= 0xef ? 3 : 0;
    if (c >= 0xc2)
        return 2;
    return 0;
}

// Add cut at to the sorted set cuts[0..*n); duplicates and out-of-range cuts are dropped.
static void
s_add(size_t *cuts, size_t *n, size_t max_cuts, size_t len, size_t at)
{
    if (at == 0 || at >= len || *n >= max_cuts)
        return;
    size_t i = 0;
    while (i < *n && cuts[i] < at)
        i++;
    if (i < *n && cuts[i] == at)
        return;
    for (size_t j = *n; j > i; j--)
        cuts[j] = cuts[j - 1];
    cuts[i] = at;
    (*n)++;
}

size_t
mockllm_split_cuts(const char *data, size_t len, mockllm_rng_t *rng, size_t *cuts, size_t max_cuts)
{
    const unsigned char *p = (const unsigned char *)data;
    size_t n = 0;
    if (len < 2)
        return 0;
    // Count the candidates first, then pick one of each kind with the generator, so the choice
    // does not always land on the first character of the event.
    size_t n_utf8 = 0, n_crlf = 0;
    for (size_t i = 0; i < len; i++) {
        size_t ulen = s_utf8_len(p[i]);
        if (ulen && i + ulen <= len)
            n_utf8++;
        if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n')
            n_crlf++;
    }
    size_t pick_utf8 = (size_t)mockllm_rng_below(rng, n_utf8);
    size_t pick_crlf = (size_t)mockllm_rng_below(rng, n_crlf);
    for (size_t i = 0, u = 0, c = 0; i < len; i++) {
        size_t ulen = s_utf8_len(p[i]);
        if (ulen && i + ulen <= len && u++ == pick_utf8 && n_utf8)
            s_add(cuts, &n, max_cuts, len, i + 1 + (size_t)mockllm_rng_below(rng, ulen - 1));
        if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n' && c++ == pick_crlf && n_crlf)
            s_add(cuts, &n, max_cuts, len, i + 1);
    }
    size_t extra = 1 + (size_t)mockllm_rng_below(rng, 2);
    for (size_t k = 0; k < extra; k++)
        s_add(cuts, &n, max_cuts, len, 1 + (size_t)mockllm_rng_below(rng, len - 1));
    return n;
}
