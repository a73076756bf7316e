// keys.h - the gateway keys clients must present (config `keys:`).
//
// A key is held only as its SHA-256: a `sha256` from the file, or the digest of a `key_env`
// variable's value, read once when the table is made. A presented key (Authorization: Bearer,
// as the OpenAI SDKs send it, or x-api-key, as the Anthropic SDKs do) is hashed and compared
// with every digest in constant time. Without keys in the config there is no table: sluice then
// serves loopback callers only, or anyone with `auth: none` (the config refuses anything else).
#ifndef INGRESS_KEYS_H
#define INGRESS_KEYS_H

#include <stdbool.h>

#include "sl/config.h"

typedef struct ingress_keys_t ingress_keys_t;

// The table for cfg's keys, or NULL when it has none. A key_env that is unset or empty is
// logged (by name) and matches nothing.
ingress_keys_t *ingress_keys_new(const sl_config_t *cfg);
void ingress_keys_destroy(ingress_keys_t **self_p);

// The key a request carries: Authorization's bearer token, else x-api-key; NULL for none.
const char *ingress_keys_given(const char *authorization, const char *x_api_key);
// The index of the configured key that given (may be NULL) is, or -1.
int ingress_keys_find(const ingress_keys_t *self, const char *given);
// True when the key at index may use the route alias model (a key that lists no models may
// use every route).
bool ingress_keys_allows(const ingress_keys_t *self, int index, const char *model);
// The configured key at index; NULL for an index that is none.
const sl_key_cfg_t *ingress_keys_cfg(const ingress_keys_t *self, int index);
// The configured name of the key at index, for logs.
const char *ingress_keys_name(const ingress_keys_t *self, int index);

#endif
