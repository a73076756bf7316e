// load.c - what the broker has in flight (see load.h).
#include "load.h"

#include <stdio.h>
#include <stdlib.h>

#include <czmq.h>

#include "sl/mem.h"
#include "sl/tally.h"

#define LOAD_KEY_MAX 1024 // a per-worker key: routing id in hex, "/", provider name

struct broker_load_t {
    zhashx_t *providers; // provider name -> count (sl/tally.h)
    zhashx_t *workers;   // s_key -> count
};

// The per-worker key. Truncated past LOAD_KEY_MAX: ids and names are far shorter (a routing
// id is at most 255 bytes, a provider name is a config key).
static void
s_key(const char *provider, const uint8_t *worker, size_t worker_len, char *key, size_t size)
{
    size_t at = 0;
    for (size_t i = 0; i < worker_len && at + 3 < size; i++)
        at += (size_t)snprintf(key + at, size - at, "%02x", worker[i]);
    snprintf(key + at, size - at, "/%s", provider);
}

broker_load_t *
broker_load_new(void)
{
    broker_load_t *self = sl_xcalloc(1, sizeof *self);
    self->providers = sl_tally_new();
    self->workers = sl_tally_new();
    return self;
}

void
broker_load_destroy(broker_load_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    broker_load_t *self = *self_p;
    zhashx_destroy(&self->providers);
    zhashx_destroy(&self->workers);
    free(self);
    *self_p = NULL;
}

void
broker_load_add(
    broker_load_t *self, const char *provider, const uint8_t *worker, size_t worker_len, int delta)
{
    sl_tally_add(self->providers, provider, delta);
    if (worker) {
        char key[LOAD_KEY_MAX];
        s_key(provider, worker, worker_len, key, sizeof key);
        sl_tally_add(self->workers, key, delta);
    }
}

uint64_t
broker_load_provider(const broker_load_t *self, const char *provider)
{
    return sl_tally_get(self->providers, provider);
}

bool
broker_load_has_room(const broker_load_t *self, const sl_provider_cfg_t *provider)
{
    return !provider || broker_load_provider(self, provider->name) < provider->concurrency;
}

bool
broker_load_fits(const broker_load_t *self,
                 const sl_provider_cfg_t *provider,
                 uint32_t workers,
                 const uint8_t *worker,
                 size_t worker_len)
{
    uint32_t n = workers ? workers : 1;
    uint64_t share = ((uint64_t)provider->concurrency + n - 1) / n;
    char key[LOAD_KEY_MAX];
    s_key(provider->name, worker, worker_len, key, sizeof key);
    return sl_tally_get(self->workers, key) < share;
}

bool
broker_load_fit(void *arg, const broker_credit_worker_t *worker)
{
    const broker_load_fit_t *fit = arg;
    size_t id_len = 0;
    const uint8_t *id = broker_credit_worker_id(worker, &id_len);
    return !fit->provider || broker_load_fits(fit->load, fit->provider, fit->workers, id, id_len);
}
