// config_keys.c - the keys of sluice's config file (see config_keys.h), and sl_config_diff over
// them.
#include "config_keys.h"

#include <string.h>

#include "sl/config.h"
#include "sl/kinds.h"
#include "sl/wire.h"

// Provider kinds sluice can talk to: the list lives in sl/kinds.h, shared with the worker.
#define X(kind) #kind,
const char *const sl_config_kinds[] = {SL_PROVIDER_KINDS(X) NULL};
#undef X
// Persistence backends.
static const char *const s_backends[] = {"sqlite", "postgres", NULL};
static const char *const s_synchronous[] = {"normal", "full", NULL};
static const char *const s_auth[] = {"keys", "none", NULL};
static const char *const s_on_disconnect[] = {"cancel", "keep", NULL};

#define S_FIELD(type, sec, k, kd, m)                                   \
    .section = sec, .key = k, .kind = kd, .offset = offsetof(type, m), \
    .size = sizeof(((type *)0)->m)
#define S_INTF(sec, k, m, lo, hi, d)                                               \
    {                                                                              \
        S_FIELD(sl_config_t, sec, k, SL_CK_INT, m), .min = lo, .max = hi, .def = d \
    }
#define S_STRF(sec, k, kd, m, d)                          \
    {                                                     \
        S_FIELD(sl_config_t, sec, k, kd, m), .def_str = d \
    }

// Every key but providers and routes, with its default: the one place defaults are written.
const sl_config_field_t sl_config_fields[] = {
    S_STRF("listen", "http", SL_CK_LISTEN, http_listen, "127.0.0.1:8080"),
    S_STRF(NULL, "data_dir", SL_CK_STR, data_dir, "./data"),
    S_STRF(NULL, "run_dir", SL_CK_STR, run_dir, NULL),
    S_STRF("endpoints", "frontend", SL_CK_ENDPOINT, ep_frontend, NULL),
    S_STRF("endpoints", "backend", SL_CK_ENDPOINT, ep_backend, NULL),
    S_STRF("endpoints", "tokens", SL_CK_ENDPOINT, ep_tokens, NULL),
    S_STRF("endpoints", "deliver", SL_CK_ENDPOINT, ep_deliver, NULL),
    S_STRF("endpoints", "store", SL_CK_ENDPOINT, ep_store, NULL),
    S_STRF("endpoints", "query", SL_CK_ENDPOINT, ep_query, NULL),
    S_STRF("endpoints", "events", SL_CK_ENDPOINT, ep_events, NULL),
    S_STRF("endpoints", "state", SL_CK_ENDPOINT, ep_state, NULL),
    S_STRF("endpoints", "control", SL_CK_ENDPOINT, ep_control, NULL),
    S_INTF("batch", "max_tokens", batch_max_tokens, 1, SL_WIRE_MAX_DELTAS, 16),
    S_INTF("batch", "max_age_ms", batch_max_age_ms, 1, 60000, 1000),
    S_INTF("batch", "coalesce_ms", batch_coalesce_ms, 0, 50, 1),
    S_INTF("timeouts", "connect_ms", timeout_connect_ms, 1, 600000, 10000),
    S_INTF("timeouts", "idle_ms", timeout_idle_ms, 1, 600000, 5000),
    S_INTF("timeouts", "first_content_ms", timeout_first_content_ms, 1, 3600000, 30000),
    S_INTF("timeouts", "total_ms", timeout_total_ms, 1, 86400000, 600000),
    S_INTF("timeouts", "first_token_ms", timeout_first_token_ms, 1, 3600000, 60000),
    S_INTF("timeouts", "stream_idle_ms", timeout_stream_idle_ms, 1, 3600000, 30000),
    S_INTF("limits", "max_body_bytes", max_body_bytes, 1024, 64 << 20, 4 << 20),
    S_INTF("limits", "max_client_buffer_bytes", max_client_buffer_bytes, 4096, 256 << 20, 1 << 20),
    S_INTF("limits", "max_event_bytes", max_event_bytes, 4096, 256 << 20, 4 << 20),
    S_INTF("limits", "queue_max", queue_max, 0, 1000000, 1024),
    S_INTF("limits", "max_unacked_batches", max_unacked_batches, 1, 1000000, 4096),
    S_INTF("limits", "max_connections", max_connections, 16, 1000000, 15000),
    {S_FIELD(sl_config_t, "persist", "backend", SL_CK_CHOICE, persist_backend), .def_str = "sqlite",
     .choices = s_backends},
    S_STRF("persist", "path", SL_CK_STR, persist_path, NULL),
    S_STRF("persist", "conninfo", SL_CK_STR, persist_conninfo, NULL),
    {S_FIELD(sl_config_t, "persist", "synchronous", SL_CK_CHOICE, persist_synchronous),
     .def_str = "normal", .choices = s_synchronous},
    S_INTF("persist", "max_bytes", persist_max_bytes, 0, 1LL << 50, 0),
    S_INTF("retention", "max_age_s", retention_max_age_s, 0, 100LL * 365 * 86400, 0),
    S_INTF("durable_streams", "long_poll_ms", ds_long_poll_ms, 100, 300000, 20000),
    S_INTF("retention", "max_bytes", retention_max_bytes, 0, 1LL << 50, 0),
    S_INTF("retention", "interval_ms", retention_interval_ms, 10, 86400000, 60000),
    S_INTF("processes", "provider", processes_provider, 1, 64, 2),
    S_INTF("reliability", "heartbeat_ms", heartbeat_ms, 10, 60000, 1000),
    S_INTF("reliability", "liveness_beats", liveness_beats, 2, 100, 3),
    S_INTF("reliability", "resend_ms", resend_ms, 10, 600000, 2000),
    S_INTF("reliability", "outbox_max", outbox_max, 16, 10000000, 100000),
    S_INTF("reliability", "restart_base_ms", restart_base_ms, 1, 60000, 100),
    S_INTF("reliability", "restart_max_ms", restart_max_ms, 1, 600000, 5000),
    S_INTF("reliability", "restart_calm_ms", restart_calm_ms, 1, 3600000, 10000),
    S_INTF("circuit", "window_ms", circuit_window_ms, 10, 3600000, 30000),
    S_INTF("circuit", "min_failures", circuit_min_failures, 0, 1000000, 5),
    S_INTF("circuit", "failure_ratio_pct", circuit_failure_ratio_pct, 0, 100, 50),
    S_INTF("circuit", "min_calls", circuit_min_calls, 1, 1000000, 10),
    S_INTF("circuit", "cooldown_ms", circuit_cooldown_ms, 1, 3600000, 30000),
    S_INTF("circuit", "cooldown_max_ms", circuit_cooldown_max_ms, 1, 86400000, 300000),
    S_INTF("circuit", "probes", circuit_probes, 1, 1000, 1),
    S_STRF("admin", "key_env", SL_CK_ENV, admin_key_env, NULL),
    {S_FIELD(sl_config_t, NULL, "auth", SL_CK_CHOICE, auth), .def_str = "keys", .choices = s_auth},
    {.section = "demo", .key = "enabled", .kind = SL_CK_DEMO},
    S_INTF("demo", "port", demo_port, 1, 65535, 8081),
    S_INTF("demo", "tokens_per_s", demo_tokens_per_s, 0, 100000, 40),
    S_STRF("tokenizer", "dir", SL_CK_STR, tokenizer_dir, NULL),
};

#define S_PROVIDER(k, kd, m) S_FIELD(sl_provider_cfg_t, NULL, k, kd, m)
const sl_config_field_t sl_config_provider_keys[] = {
    {S_PROVIDER("name", SL_CK_NAME, name), .required = true},
    {S_PROVIDER("kind", SL_CK_CHOICE, kind), .required = true, .choices = sl_config_kinds},
    {S_PROVIDER("base_url", SL_CK_URL, base_url), .required = true},
    {S_PROVIDER("api_key_env", SL_CK_ENV, api_key_env)},
    {S_PROVIDER("concurrency", SL_CK_INT, concurrency), .min = 1, .max = 1000000, .def = 10000},
};

const sl_config_field_t sl_config_route_keys[] = {
    {S_FIELD(sl_route_cfg_t, NULL, "model", SL_CK_MODEL, model), .required = true},
    {S_FIELD(sl_route_cfg_t, NULL, "targets", SL_CK_TARGETS, targets), .required = true},
    {S_FIELD(sl_route_cfg_t, NULL, "retries", SL_CK_INT, retries), .min = 0, .max = 20, .def = 3},
    {S_FIELD(sl_route_cfg_t, NULL, "retry_base_ms", SL_CK_INT, retry_base_ms), .min = 0,
     .max = 600000, .def = 1000},
    {S_FIELD(sl_route_cfg_t, NULL, "retry_max_ms", SL_CK_INT, retry_max_ms), .min = 0,
     .max = 3600000, .def = 30000},
    {S_FIELD(sl_route_cfg_t, NULL, "connect_ms", SL_CK_INT, connect_ms), .max = 600000},
    {S_FIELD(sl_route_cfg_t, NULL, "first_content_ms", SL_CK_INT, first_content_ms),
     .max = 3600000},
    {S_FIELD(sl_route_cfg_t, NULL, "idle_ms", SL_CK_INT, idle_ms), .max = 600000},
    {S_FIELD(sl_route_cfg_t, NULL, "total_ms", SL_CK_INT, total_ms), .max = 86400000},
    {S_FIELD(sl_route_cfg_t, NULL, "on_disconnect", SL_CK_CHOICE, on_disconnect),
     .choices = s_on_disconnect},
};

const sl_config_field_t sl_config_target_keys[] = {
    {S_FIELD(sl_target_cfg_t, NULL, "provider", SL_CK_REF, provider), .required = true},
    {S_FIELD(sl_target_cfg_t, NULL, "model", SL_CK_MODEL, model), .required = true},
};

const sl_config_field_t sl_config_key_keys[] = {
    {S_FIELD(sl_key_cfg_t, NULL, "name", SL_CK_NAME, name), .required = true},
    {S_FIELD(sl_key_cfg_t, NULL, "sha256", SL_CK_SHA256, sha256)},
    {S_FIELD(sl_key_cfg_t, NULL, "key_env", SL_CK_ENV, key_env)},
    {S_FIELD(sl_key_cfg_t, NULL, "models", SL_CK_MODELS, models)},
    {S_FIELD(sl_key_cfg_t, NULL, "on_disconnect", SL_CK_CHOICE, on_disconnect),
     .choices = s_on_disconnect},
    {S_FIELD(sl_key_cfg_t, NULL, "requests_per_minute", SL_CK_INT, requests_per_minute),
     .max = 100000000},
    {S_FIELD(sl_key_cfg_t, NULL, "tokens_per_minute", SL_CK_INT, tokens_per_minute),
     .max = 100000000000},
    {S_FIELD(sl_key_cfg_t, NULL, "concurrent_streams", SL_CK_INT, concurrent_streams),
     .max = 10000000},
};

#define S_COUNT(a) (sizeof(a) / sizeof((a)[0]))
const size_t sl_config_n_fields = S_COUNT(sl_config_fields);
const size_t sl_config_n_provider_keys = S_COUNT(sl_config_provider_keys);
const size_t sl_config_n_route_keys = S_COUNT(sl_config_route_keys);
const size_t sl_config_n_target_keys = S_COUNT(sl_config_target_keys);
const size_t sl_config_n_key_keys = S_COUNT(sl_config_key_keys);

// The SL_CK_INT member at base + f->offset, stored in f->size bytes (config.c's s_store_int).
static uint64_t
s_load_int(const void *base, const sl_config_field_t *f)
{
    uint16_t u16 = 0;
    uint32_t u32 = 0;
    uint64_t u64 = 0;
    void *to = f->size == 2 ? (void *)&u16 : f->size == 4 ? (void *)&u32 : (void *)&u64;
    memcpy(to, (const char *)base + f->offset, f->size);
    return f->size == 2 ? u16 : f->size == 4 ? u32 : u64;
}

void
sl_config_diff(const sl_config_t *a, const sl_config_t *b, sl_config_diff_fn *fn, void *arg)
{
    for (size_t i = 0; i < sl_config_n_fields; i++) {
        const sl_config_field_t *f = &sl_config_fields[i];
        bool differs;
        if (f->kind == SL_CK_DEMO)
            differs = a->demo_enabled != b->demo_enabled;
        else if (f->kind == SL_CK_INT)
            differs = s_load_int(a, f) != s_load_int(b, f);
        else {
            const char *x, *y; // copied out: the member's address is a byte offset
            memcpy(&x, (const char *)a + f->offset, sizeof x);
            memcpy(&y, (const char *)b + f->offset, sizeof y);
            differs = (x == NULL) != (y == NULL) || (x && strcmp(x, y) != 0);
        }
        if (differs)
            fn(arg, f->section, f->key);
    }
}
