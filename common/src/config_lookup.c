// config_lookup.c - questions asked of a loaded configuration (sl/config.h): a route by its
// alias, the timeouts that hold for a route.
#include <string.h>

#include "sl/config.h"

const sl_route_cfg_t *
sl_config_route(const sl_config_t *self, const char *alias, size_t len)
{
    for (size_t i = 0; self && alias && i < self->n_routes; i++)
        if (strlen(self->routes[i].model) == len && memcmp(self->routes[i].model, alias, len) == 0)
            return &self->routes[i];
    return NULL;
}

sl_timeouts_t
sl_config_timeouts(const sl_config_t *self, const sl_route_cfg_t *route)
{
    sl_timeouts_t t = {self->timeout_connect_ms, self->timeout_first_content_ms,
                       self->timeout_idle_ms, self->timeout_total_ms};
    if (route) {
        t.connect_ms = route->connect_ms ? route->connect_ms : t.connect_ms;
        t.first_content_ms = route->first_content_ms ? route->first_content_ms : t.first_content_ms;
        t.idle_ms = route->idle_ms ? route->idle_ms : t.idle_ms;
        t.total_ms = route->total_ms ? route->total_ms : t.total_ms;
    }
    return t;
}
