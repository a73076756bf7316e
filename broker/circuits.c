// circuits.c - the broker's copy of the circuit breakers (see circuits.h).
#include "circuits.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <czmq.h>

#include "sl/mem.h"

#define S_CLOSED      0
#define S_OPEN        1
#define S_HALF_OPEN   2
#define S_FORCED_OPEN 3
#define S_WAIT_MIN_MS 1000 // what a shut breaker with no known end asks clients to wait

typedef struct {
    uint32_t state;      // the supervisor's last word
    int64_t until_ms;    // OPEN: monotonic time it is due to half-open
    uint32_t probes_out; // HALF_OPEN: probes dispatched and not yet over
} s_key_t;

struct broker_circuits {
    zhashx_t *keys; // owned: key -> s_key_t (owned)
    uint32_t probes;
    const sl_clock_t *clock; // borrowed
    size_t shut;             // keys not CLOSED
};

broker_circuits_t *
broker_circuits_new(uint32_t probes, const sl_clock_t *clock)
{
    broker_circuits_t *self = sl_xcalloc(1, sizeof *self);
    self->keys = zhashx_new();
    zhashx_set_destructor(self->keys, (zhashx_destructor_fn *)zstr_free);
    self->probes = probes > 0 ? probes : 1;
    self->clock = clock;
    return self;
}

void
broker_circuits_destroy(broker_circuits_t **self_p)
{
    assert(self_p);
    broker_circuits_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy(&self->keys);
    free(self);
    *self_p = NULL;
}

bool
broker_circuits_set(
    broker_circuits_t *self, const char *key, size_t len, uint32_t state, int64_t retry_after_ms)
{
    assert(self);
    char name[BROKER_CIRCUITS_MAX_KEY + 1];
    if (!key || len == 0 || len > BROKER_CIRCUITS_MAX_KEY || memchr(key, 0, len)
        || state > S_FORCED_OPEN)
        return false;
    memcpy(name, key, len);
    name[len] = '\0';
    s_key_t *k = zhashx_lookup(self->keys, name);
    if (!k) {
        if (state == S_CLOSED || zhashx_size(self->keys) >= BROKER_CIRCUITS_MAX)
            return false; // unknown means closed already
        k = sl_xcalloc(1, sizeof *k);
        k->state = S_CLOSED;
        zhashx_insert(self->keys, name, k);
    }
    bool changed = k->state != state;
    if (changed) {
        self->shut += (state != S_CLOSED) - (k->state != S_CLOSED);
        k->state = state;
        k->probes_out = 0;
    }
    k->until_ms = state == S_OPEN ? sl_clock_now_mono_ms(self->clock) + retry_after_ms : 0;
    return changed;
}

static s_key_t *
s_find(broker_circuits_t *self, const char *provider, const char *model, bool pair)
{
    if (!pair)
        return zhashx_size(self->keys) ? zhashx_lookup(self->keys, provider) : NULL;
    if (!model || !*model || zhashx_size(self->keys) == 0)
        return NULL;
    char name[BROKER_CIRCUITS_MAX_KEY + 2];
    int n = snprintf(name, sizeof name, "%s/%s", provider, model);
    if (n < 0 || (size_t)n > BROKER_CIRCUITS_MAX_KEY)
        return NULL;
    return zhashx_lookup(self->keys, name);
}

bool
broker_circuits_admit(broker_circuits_t *self,
                      const char *provider,
                      const char *model,
                      int64_t *wait_ms)
{
    assert(self && provider);
    int64_t now_ms = sl_clock_now_mono_ms(self->clock);
    int64_t wait = 0;
    bool admit = true;
    for (int pair = 0; pair < 2; pair++) {
        s_key_t *k = s_find(self, provider, model, pair);
        if (!k || k->state == S_CLOSED || (k->state == S_HALF_OPEN && k->probes_out < self->probes))
            continue;
        admit = false;
        int64_t left = k->state == S_OPEN ? k->until_ms - now_ms : 0;
        if (left < S_WAIT_MIN_MS)
            left = S_WAIT_MIN_MS;
        if (left > wait)
            wait = left;
    }
    if (wait_ms)
        *wait_ms = admit ? 0 : wait;
    return admit;
}

bool
broker_circuits_take(broker_circuits_t *self, const char *provider, const char *model)
{
    assert(self && provider);
    bool took = false;
    for (int pair = 0; pair < 2; pair++) {
        s_key_t *k = s_find(self, provider, model, pair);
        if (k && k->state == S_HALF_OPEN) {
            k->probes_out++;
            took = true;
        }
    }
    return took;
}

void
broker_circuits_give(broker_circuits_t *self, const char *provider, const char *model)
{
    assert(self && provider);
    for (int pair = 0; pair < 2; pair++) {
        s_key_t *k = s_find(self, provider, model, pair);
        if (k && k->state == S_HALF_OPEN && k->probes_out > 0)
            k->probes_out--;
    }
}

size_t
broker_circuits_shut(const broker_circuits_t *self)
{
    assert(self);
    return self->shut;
}
