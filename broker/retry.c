// retry.c - retry and fallback decisions (see retry.h).
#include "retry.h"

#include <stdbool.h>

#include "sl/wire.h"

#define RETRY_JITTER_PERCENT 20

static int64_t
s_backoff(const sl_route_cfg_t *route, uint32_t n, int64_t retry_after_ms, uint32_t random)
{
    double delay = (double)route->retry_base_ms;
    for (uint32_t i = 1; i < n; i++)
        delay *= 1.5;
    // ±20 %: random / 2^32 spread over [-20 %, +20 %).
    double spread = ((double)random / 4294967296.0 * 2.0 - 1.0) * RETRY_JITTER_PERCENT / 100.0;
    delay *= 1.0 + spread;
    int64_t cap = route->retry_max_ms;
    int64_t asked = retry_after_ms < cap ? retry_after_ms : cap;
    if (delay < (double)asked)
        delay = (double)asked;
    if (delay > (double)cap)
        delay = (double)cap;
    return delay < 0 ? 0 : (int64_t)delay;
}

int64_t
broker_retry_next(const sl_route_cfg_t *route,
                  broker_retry_t *state,
                  uint32_t err_class,
                  int64_t retry_after_ms,
                  uint32_t random)
{
    bool has_next = state->target + 1 < route->n_targets;
    bool same_first = err_class == SL_ERRCLASS_RATE_LIMIT || err_class == SL_ERRCLASS_TIMEOUT;
    if (!same_first && err_class != SL_ERRCLASS_PROVIDER_DOWN)
        return -1;
    if (same_first || !has_next) {
        if (state->retries < route->retries) {
            state->retries++;
            return s_backoff(route, state->retries, retry_after_ms, random);
        }
    }
    if (has_next) {
        state->target++;
        state->retries = 0;
        return 0;
    }
    return -1;
}

uint32_t
broker_retry_jitter(uint64_t *rng)
{
    *rng ^= *rng << 13;
    *rng ^= *rng >> 7;
    *rng ^= *rng << 17;
    return (uint32_t)(*rng >> 32);
}
