// load.h - what the broker has in flight: per provider, and per provider on each worker.
//
// The broker holds a provider's whole `concurrency`; each worker refuses more than its share
// of it (⌈concurrency / processes.provider⌉). A worker's credits count every provider, so
// picking the worker with the most free credits alone can hand one worker more of a provider
// than it takes while another has room: the per-worker count lets the pick skip it.
#ifndef BROKER_LOAD_H
#define BROKER_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "credit.h"
#include "sl/config.h"

typedef struct broker_load_t broker_load_t;

broker_load_t *broker_load_new(void);
void broker_load_destroy(broker_load_t **self_p);

// One more (delta 1) or one fewer (-1) request of provider in flight, on the worker with
// routing id worker (NULL: on no worker known, the provider's count alone).
void broker_load_add(
    broker_load_t *self, const char *provider, const uint8_t *worker, size_t worker_len, int delta);

// Requests of provider in flight, all workers together.
uint64_t broker_load_provider(const broker_load_t *self, const char *provider);
// True when provider (NULL: none known, no cap) is below its concurrency, all workers together.
bool broker_load_has_room(const broker_load_t *self, const sl_provider_cfg_t *provider);
// True when the worker with this routing id has fewer of provider's requests in flight than
// its share, ⌈concurrency / workers⌉ (workers 0 counts as 1).
bool broker_load_fits(const broker_load_t *self,
                      const sl_provider_cfg_t *provider,
                      uint32_t workers,
                      const uint8_t *worker,
                      size_t worker_len);

// broker_credit_pick's fit for a request of provider (NULL: any worker fits): the worker is below
// its share of it (broker_load_fits).
typedef struct {
    const broker_load_t *load;
    const sl_provider_cfg_t *provider;
    uint32_t workers; // processes.provider
} broker_load_fit_t;
bool broker_load_fit(void *arg, const broker_credit_worker_t *worker);

#endif
