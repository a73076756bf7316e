// sl/config.h - sluice's configuration: one YAML file (libfyaml), every key with a default.
//
// sl_config_load(NULL, ...) gives the defaults. A file may set any subset of the keys; an
// unknown key, a value of the wrong type or out of range, or a reference to a provider that
// does not exist is an error whose message names the key by its path, after the file and
// line when known, e.g. "sluice.yaml:7: providers[0].kind: 'foo' is not one of: openai" or
// "sluice.yaml:3: batch.max_tokenz: unknown key". The file is UTF-8 text of at most
// SL_CONFIG_MAX_BYTES. Integers are decimal only and range-checked; YAML aliases are rejected
// (no billion laughs); a value echoed in a message is cut short, and api_key_env's value is
// never echoed, in case a key was pasted there.
// Every process loads the same file, so all of them see the same config. Secrets are not read
// here: a provider names the environment variable that holds its key (api_key_env), and the
// provider worker reads it when it needs it. Not thread-safe.
//
// The file's shape (all keys optional; docs/config.md documents each):
//   listen:    {http: "127.0.0.1:8080"}
//   data_dir:  ./data
//   run_dir:   <data_dir>/run              # ipc socket files live here
//   endpoints: {frontend, backend, tokens, deliver, store, query, events, state, control}
//              # default "ipc://<run_dir>/<name>.ipc"; "tcp://host:port" for clusters
//   providers: [{name, kind: openai, base_url, api_key_env, concurrency: 10000}]
//              # name, kind and base_url are required; api_key_env may be left out (no key)
//   routes:    [{model: alias, targets: [{provider: name, model: upstream-name}],
//                retries: 3, retry_base_ms: 1000, retry_max_ms: 30000,
//                connect_ms: 0, first_content_ms: 0, idle_ms: 0, total_ms: 0}]
//              # a route timeout of 0 takes the timeouts.* key of the same name
//              # model and a non-empty targets list are required
//   batch:     {max_tokens: 16, max_age_ms: 1000, coalesce_ms: 1}
//   timeouts:  {connect_ms: 10000, idle_ms: 5000, first_content_ms: 30000, total_ms: 600000,
//               first_token_ms: 60000, stream_idle_ms: 30000}
//   limits:    {max_body_bytes: 4194304, max_client_buffer_bytes: 1048576,
//               max_event_bytes: 4194304, queue_max: 1024, max_unacked_batches: 4096,
//               max_connections: 15000}
//   persist:   {backend: sqlite, path: <data_dir>/sluice.db, synchronous: normal}
//   processes: {provider: 2}
//   reliability: {heartbeat_ms: 1000, liveness_beats: 3, resend_ms: 2000, outbox_max: 100000,
//                 restart_base_ms: 100, restart_max_ms: 5000, restart_calm_ms: 10000}
//   circuit:   {window_ms: 30000, min_failures: 5, failure_ratio_pct: 50, min_calls: 10,
//               cooldown_ms: 30000, cooldown_max_ms: 300000, probes: 1}
//   admin:     {key_env: null}
//   demo:      {enabled: auto, port: 8081, tokens_per_s: 40}
//   tokenizer: {dir: <bin>/../share/sluice/bpe}   # the vocabulary files (sl/bpe.h)
//
// With no file, or a file without providers and routes, and demo.enabled auto (the default),
// the config holds a provider "demo" (kind openai, base_url http://127.0.0.1:<demo.port>/v1)
// and a route "demo" -> demo/mock-1, served by the bundled mock that `sluice up` starts; and
// when OPENAI_API_KEY is set (non-empty) in the environment, a provider "openai"
// (https://api.openai.com/v1, api_key_env OPENAI_API_KEY) with routes gpt-4o-mini, gpt-4o and
// gpt-4.1-mini, each to the upstream model of the same name. The OPENAI_API_KEY defaults
// depend only on the file declaring no providers and no routes, not on demo.enabled.
// demo.enabled true adds the demo provider and route after the file's even when it has others
// (an error if one is already named "demo"); false never adds them. Defaults come after the
// file's entries, demo before openai.
#ifndef SL_CONFIG_H
#define SL_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_CONFIG_DIAG_SIZE 512
#define SL_CONFIG_MAX_BYTES (1024 * 1024) // a config is a few KiB; more is a mistake

// Where a config error is described. Shown so callers keep it on the stack.
typedef struct {
    char msg[SL_CONFIG_DIAG_SIZE]; // "<file>:<line>: <key path>: <what is wrong>"; the line
                                   // is left out when unknown, and without a file name the
                                   // prefix is "line <n>: "
} sl_diag_t;

typedef struct {
    char *name;           // owned; unique among providers
    char *kind;           // owned; one of SL_PROVIDER_KINDS (sl/kinds.h)
    char *base_url;       // owned; e.g. "https://api.openai.com/v1", no trailing slash
    char *api_key_env;    // owned; name of the environment variable, or NULL for no key
    uint32_t concurrency; // most concurrent upstream streams of this provider, all workers together
} sl_provider_cfg_t;

typedef struct {
    char *provider; // owned; a name from providers
    char *model;    // owned; upstream model name
} sl_target_cfg_t;

typedef struct {
    char *model;              // owned; the alias clients send; unique among routes
    sl_target_cfg_t *targets; // owned array, in fallback order
    size_t n_targets;         // >= 1
    uint32_t retries;         // retries of one target before the next (0..20, default 3)
    int64_t retry_base_ms;    // first retry delay; each next one 1.5 times longer, ±20 %
    int64_t retry_max_ms;     // longest delay, and the cap on an upstream's Retry-After
    // The route's own upstream timeouts; 0 (the default) takes timeouts.* of the same name.
    int64_t connect_ms, first_content_ms, idle_ms, total_ms;
    char *on_disconnect; // owned; "keep": a stream runs on when its client leaves; else NULL or
                         // "cancel" (the default): it is cancelled
} sl_route_cfg_t;

// A gateway key (`keys:`): a client presents the key (Authorization: Bearer, or x-api-key);
// the config holds its SHA-256 or the name of the environment variable that holds it.
typedef struct {
    char *name;    // owned; unique among keys, shown in logs and metrics
    char *sha256;  // owned; the key's SHA-256, 64 lowercase hex digits, or NULL
    char *key_env; // owned; the variable holding the key, or NULL (exactly one of the two)
    char **models; // owned; the route aliases it may use; none listed: every route
    size_t n_models;
    char *on_disconnect; // owned; "keep" or "cancel" for the key's streams; NULL: the route's
    // Limits, 0 for none: requests and delivered tokens per minute, streams open at once.
    int64_t requests_per_minute, tokens_per_minute, concurrent_streams;
} sl_key_cfg_t;

// The loaded configuration. Shown because every process reads many fields; treat as read-only.
typedef struct {
    char *path;        // owned; the file it came from, or NULL for defaults
    char *http_listen; // owned; "host:port"
    char *data_dir;    // owned
    char *run_dir;     // owned
    // Endpoints, each owned: a ZeroMQ endpoint string.
    char *ep_frontend;            // broker ROUTER for ingress
    char *ep_backend;             // broker ROUTER for provider workers
    char *ep_tokens;              // builder PULL for workers' tokens
    char *ep_deliver;             // builder ROUTER for ingress
    char *ep_store;               // persist ROUTER for the builder
    char *ep_query;               // persist ROUTER for ingress
    char *ep_events;              // supervisor PULL
    char *ep_state;               // supervisor PUB
    char *ep_control;             // supervisor ROUTER
    sl_provider_cfg_t *providers; // owned array
    size_t n_providers;
    sl_route_cfg_t *routes; // owned array
    size_t n_routes;
    uint32_t batch_max_tokens;        // 1..64 (at most SL_WIRE_MAX_DELTAS)
    int64_t batch_max_age_ms;         // 1..60000
    int64_t batch_coalesce_ms;        // worker: busy streams' later tokens wait this long, 0..50
    int64_t timeout_connect_ms;       // 1..600000
    int64_t timeout_idle_ms;          // 1..600000: longest gap between upstream content events
    int64_t timeout_first_content_ms; // worker: longest wait for an upstream's first content
    int64_t timeout_total_ms;         // 1..86400000
    int64_t timeout_first_token_ms;   // ingress: longest wait for a request's first message
    int64_t timeout_stream_idle_ms;   // ingress: longest gap between a stream's messages
    size_t max_body_bytes;            // request body cap, 1 KiB..64 MiB
    size_t max_client_buffer_bytes;   // per-client unsent output cap, 4 KiB..256 MiB
    size_t max_event_bytes;           // one upstream SSE event / line cap, 4 KiB..256 MiB
    uint32_t queue_max;               // broker's waiting requests, 0..1000000
    uint32_t max_unacked_batches;     // builder's batches awaiting persistence, 1..1000000
    uint32_t max_connections;         // ingress: open client connections, 16..1000000
    uint32_t ds_long_poll_ms;         // a durable stream's live read waits this long for data
    char *persist_backend;            // owned; "sqlite" or "postgres"
    char *persist_path;               // owned; SQLite file
    char *persist_conninfo;           // owned; postgres: libpq connection string; else NULL
    char *persist_synchronous;        // owned; "normal" or "full" (see docs/config.md)
    int64_t persist_max_bytes;        // the store never grows past this (0: no cap); writes
                                      // past it fail as on a full disk
    int64_t retention_max_age_s;      // finished streams older than this are deleted; 0: kept
    int64_t retention_max_bytes;      // past this much data the oldest finished ones go; 0: no cap
    int64_t retention_interval_ms;    // how often persist looks
    uint32_t processes_provider;      // provider worker processes per host, 1..64
    int64_t heartbeat_ms;             // beat interval on every link and to the supervisor
    uint32_t liveness_beats;          // beats missed before a peer or process counts as lost
    int64_t resend_ms;                // builder: an unacknowledged batch is sent again after this
    uint32_t outbox_max;              // builder: live messages held for unreachable ingresses
    int64_t restart_base_ms;          // supervisor: first restart delay after a crash
    int64_t restart_max_ms;           // supervisor: the delay doubles up to this
    int64_t restart_calm_ms;          // supervisor: up this long, the next restart is at once
    int64_t circuit_window_ms;        // breakers: sliding window of outcomes
    uint32_t circuit_min_failures;    // failures in the window that open a breaker; 0: off
    uint32_t circuit_failure_ratio_pct; // failure share that opens it (with min_calls); 0: off
    uint32_t circuit_min_calls;         // calls in the window the ratio rule needs
    int64_t circuit_cooldown_ms;        // open this long before the first probe
    int64_t circuit_cooldown_max_ms;    // each failed probe doubles the cooldown up to this
    uint32_t circuit_probes;            // attempts a half-open breaker admits at once
    char *admin_key_env;                // owned; variable holding the admin key, or NULL
    char *auth;                         // owned; "keys" (the default) or "none"
    sl_key_cfg_t *keys;                 // owned array: the gateway keys, may be empty
    size_t n_keys;
    bool demo_enabled;          // resolved from auto/true/false
    uint16_t demo_port;         // mock's port on 127.0.0.1
    uint32_t demo_tokens_per_s; // mock's pacing for the demo, 0 = no pacing
    char *tokenizer_dir;        // owned; the vocabulary files' directory, or NULL: the default
                                // place beside the binaries (sl_bpe_path)
} sl_config_t;

// Load path (NULL: defaults only). On success *cfg_p is set (caller owns) and 0 is returned;
// on failure *cfg_p is NULL, SL_ECONFIG (or SL_EIO when the file cannot be read; the message
// names the file and gives strerror) is returned and diag->msg says why. diag may be NULL.
// Reads OPENAI_API_KEY's presence with getenv (never its value).
int sl_config_load(const char *path, sl_config_t **cfg_p, sl_diag_t *diag);
// Load YAML text (NUL-terminated; name is used in messages and may be NULL). Same contract as
// sl_config_load; the result's path stays NULL.
int sl_config_load_string(const char *yaml, const char *name, sl_config_t **cfg_p, sl_diag_t *diag);
// Free self and set *self_p to NULL. Safe on NULL and on *self_p == NULL.
void sl_config_destroy(sl_config_t **self_p);
// The route for alias (len bytes), or NULL. Borrowed from self.
const sl_route_cfg_t *sl_config_route(const sl_config_t *self, const char *alias, size_t len);
// The upstream timeouts of an attempt through route (NULL: none): each of the route's own
// when set (non-zero), else the timeouts.* key of the same name.
typedef struct {
    int64_t connect_ms, first_content_ms, idle_ms, total_ms;
} sl_timeouts_t;
sl_timeouts_t sl_config_timeouts(const sl_config_t *self, const sl_route_cfg_t *route);
// The provider named name, or NULL. Borrowed from self.
const sl_provider_cfg_t *sl_config_provider(const sl_config_t *self, const char *name);
// Call fn with the section (NULL at the top level) and the name of every key outside the
// providers and routes lists whose value differs between a and b (demo.enabled as resolved).
typedef void(sl_config_diff_fn)(void *arg, const char *section, const char *key);
void sl_config_diff(const sl_config_t *a, const sl_config_t *b, sl_config_diff_fn *fn, void *arg);

#endif
