// config_keys.h - the keys of sluice's config file: where each lives, what it accepts and its
// default. Private to common/src: config.c loads a file against these tables, config_keys.c
// holds them (sl/config.h gives the file's shape and the rules).
#ifndef SL_CONFIG_KEYS_H
#define SL_CONFIG_KEYS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// What a key accepts.
typedef enum {
    SL_CK_INT,      // decimal integer in [min, max]
    SL_CK_STR,      // non-empty text without control characters
    SL_CK_LISTEN,   // host:port
    SL_CK_ENDPOINT, // ipc://<path> or tcp://<host>:<port>
    SL_CK_CHOICE,   // one of choices
    SL_CK_DEMO,     // true, false or auto: kept by the loader, resolved after parsing
    SL_CK_NAME,     // provider name: letters, digits, '.', '_', '-'
    SL_CK_MODEL,    // model alias or upstream name: no spaces
    SL_CK_URL,      // http(s) base URL; one trailing '/' is dropped
    SL_CK_ENV,      // environment variable name, or null for none; never echoed
    SL_CK_REF,      // name of a provider already loaded
    SL_CK_TARGETS,  // a route's non-empty list of targets
    SL_CK_SHA256,   // 64 hex digits, stored in lower case
    SL_CK_MODELS,   // a key's list of route aliases
} sl_config_kind_t;

// One key: where it lives, what it accepts, its default.
typedef struct {
    const char *section;   // sl_config_fields: top-level mapping holding the key, NULL: top level
    const char *key;       // the key as written in the file
    sl_config_kind_t kind; // what the value must be
    size_t offset;         // of the member in its struct (sl_config_t or a list item)
    size_t size;           // sizeof the member; SL_CK_INT stores by it (2, 4 or 8)
    int64_t min;           // SL_CK_INT: smallest accepted value (all are >= 0)
    int64_t max;           // SL_CK_INT: largest accepted value
    int64_t def;           // SL_CK_INT: default
    const char *def_str;   // strings: default, or NULL (none, or derived from data_dir)
    const char *const *choices; // SL_CK_CHOICE: accepted values, NULL-terminated
    bool required;              // list items: the key must be present
} sl_config_field_t;

// Provider kinds (sl/kinds.h), NULL-terminated: the first is the defaults' kind.
extern const char *const sl_config_kinds[];
// Every key but providers and routes, with its default: the one place defaults are written.
extern const sl_config_field_t sl_config_fields[];
extern const size_t sl_config_n_fields;
// The keys of one provider, one route, one route target.
extern const sl_config_field_t sl_config_provider_keys[];
extern const size_t sl_config_n_provider_keys;
extern const sl_config_field_t sl_config_route_keys[];
extern const size_t sl_config_n_route_keys;
extern const sl_config_field_t sl_config_target_keys[];
extern const size_t sl_config_n_target_keys;
extern const sl_config_field_t sl_config_key_keys[];
extern const size_t sl_config_n_key_keys;

#endif
