// keys.c - the gateway keys clients must present (see keys.h).
#include "keys.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sl/log.h"
#include "sl/mem.h"
#include "sl/sha256.h"

typedef struct {
    const sl_key_cfg_t *cfg; // borrowed from the config the table was made from
    uint8_t digest[SL_SHA256_LEN];
    bool usable; // false: its key_env was unset or empty
} s_key_t;

struct ingress_keys_t {
    s_key_t *keys; // owned array
    size_t n_keys;
};

ingress_keys_t *
ingress_keys_new(const sl_config_t *cfg)
{
    if (cfg->n_keys == 0)
        return NULL;
    ingress_keys_t *self = sl_xcalloc(1, sizeof *self);
    self->keys = sl_xcalloc(cfg->n_keys, sizeof *self->keys);
    self->n_keys = cfg->n_keys;
    for (size_t i = 0; i < cfg->n_keys; i++) {
        const sl_key_cfg_t *k = &cfg->keys[i];
        s_key_t *key = &self->keys[i];
        key->cfg = k;
        if (k->sha256) {
            key->usable = sl_sha256_from_hex(k->sha256, strlen(k->sha256), key->digest);
        } else {
            const char *value = getenv(k->key_env);
            key->usable = value && *value;
            if (key->usable)
                sl_sha256(value, strlen(value), key->digest);
            else
                sl_log_warn("key %s: %s is not set: no request can use this key", k->name,
                            k->key_env);
        }
    }
    return self;
}

void
ingress_keys_destroy(ingress_keys_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ingress_keys_t *self = *self_p;
    free(self->keys);
    free(self);
    *self_p = NULL;
}

const char *
ingress_keys_given(const char *authorization, const char *x_api_key)
{
    static const char bearer[] = "Bearer ";
    if (authorization && strncasecmp(authorization, bearer, sizeof bearer - 1) == 0)
        return authorization + sizeof bearer - 1;
    return x_api_key;
}

int
ingress_keys_find(const ingress_keys_t *self, const char *given)
{
    if (!self || !given || !*given)
        return -1;
    uint8_t digest[SL_SHA256_LEN];
    sl_sha256(given, strlen(given), digest);
    int found = -1;
    for (size_t i = 0; i < self->n_keys; i++) // every one compared: the time says nothing
        if (sl_sha256_equal(digest, self->keys[i].digest) && self->keys[i].usable && found < 0)
            found = (int)i;
    return found;
}

bool
ingress_keys_allows(const ingress_keys_t *self, int index, const char *model)
{
    if (!self || index < 0 || (size_t)index >= self->n_keys || !model)
        return false;
    const sl_key_cfg_t *k = self->keys[index].cfg;
    if (k->n_models == 0)
        return true;
    for (size_t i = 0; i < k->n_models; i++)
        if (strcmp(k->models[i], model) == 0)
            return true;
    return false;
}

const char *
ingress_keys_name(const ingress_keys_t *self, int index)
{
    return self && index >= 0 && (size_t)index < self->n_keys ? self->keys[index].cfg->name : "";
}

const sl_key_cfg_t *
ingress_keys_cfg(const ingress_keys_t *self, int index)
{
    return self && index >= 0 && (size_t)index < self->n_keys ? self->keys[index].cfg : NULL;
}
