// route.c - the broker's routing table (see route.h).
#include "route.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl/mem.h"

struct broker_route {
    const sl_route_cfg_t **by_alias; // owned array of borrowed routes, sorted by alias
    size_t n_routes;                 // entries in by_alias
};

// Order aliases as byte strings, shorter first on a common prefix: the same order
// s_compare_key uses, so bsearch finds what qsort placed.
static int
s_compare_bytes(const char *a, size_t a_len, const char *b, size_t b_len)
{
    size_t n = a_len < b_len ? a_len : b_len;
    int rc = n ? memcmp(a, b, n) : 0;
    if (rc != 0)
        return rc;
    return (a_len > b_len) - (a_len < b_len);
}

static int
s_compare_routes(const void *a, const void *b)
{
    const sl_route_cfg_t *ra = *(const sl_route_cfg_t *const *)a;
    const sl_route_cfg_t *rb = *(const sl_route_cfg_t *const *)b;
    return s_compare_bytes(ra->model, strlen(ra->model), rb->model, strlen(rb->model));
}

typedef struct {
    const char *alias; // borrowed
    size_t len;
} lookup_key_t;

static int
s_compare_key(const void *key, const void *elem)
{
    const lookup_key_t *k = key;
    const sl_route_cfg_t *route = *(const sl_route_cfg_t *const *)elem;
    return s_compare_bytes(k->alias, k->len, route->model, strlen(route->model));
}

broker_route_t *
broker_route_new(const sl_route_cfg_t *routes, size_t n_routes)
{
    assert(routes || n_routes == 0);
    broker_route_t *self = sl_xcalloc(1, sizeof *self);
    self->by_alias = sl_xcalloc(n_routes, sizeof *self->by_alias);
    for (size_t i = 0; i < n_routes; i++) {
        if (!routes[i].model || routes[i].n_targets == 0 || !routes[i].targets)
            goto fail;
        self->by_alias[i] = &routes[i];
    }
    self->n_routes = n_routes;
    if (n_routes > 1)
        qsort(self->by_alias, n_routes, sizeof *self->by_alias, s_compare_routes);
    for (size_t i = 1; i < n_routes; i++)
        if (s_compare_routes(&self->by_alias[i - 1], &self->by_alias[i]) == 0)
            goto fail; // sorted, so a duplicate alias sits next to its twin
    return self;
fail:
    broker_route_destroy(&self);
    return NULL;
}

void
broker_route_destroy(broker_route_t **self_p)
{
    assert(self_p);
    if (*self_p) {
        free((*self_p)->by_alias);
        free(*self_p);
        *self_p = NULL;
    }
}

const sl_route_cfg_t *
broker_route_lookup(const broker_route_t *self, const char *alias, size_t len)
{
    assert(self);
    if (self->n_routes == 0 || (!alias && len > 0))
        return NULL;
    lookup_key_t key = {alias, len};
    const sl_route_cfg_t *const *found =
        bsearch(&key, self->by_alias, self->n_routes, sizeof *self->by_alias, s_compare_key);
    return found ? *found : NULL;
}

const sl_target_cfg_t *
broker_route_target(const sl_route_cfg_t *route, size_t index)
{
    if (!route || index >= route->n_targets)
        return NULL;
    return &route->targets[index];
}

size_t
broker_route_size(const broker_route_t *self)
{
    assert(self);
    return self->n_routes;
}

void
broker_route_unknown(const char *alias, size_t len, char *out, size_t size)
{
    size_t n = len > 96 ? 96 : len;
    while (n > 0 && n < len && ((uint8_t)alias[n] & 0xc0) == 0x80)
        n--;
    snprintf(out, size, "The model '%.*s' does not exist", (int)n, alias);
}
