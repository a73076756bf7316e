// breakers.c - circuit breakers fed by OUTCOME and published to the brokers (see breakers.h).
#include "breakers.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "sl/err.h"
#include "sl/log.h"
#include "sl/mem.h"
#include "sl/metrics.h"
#include "sl/sock.h"
#include "sl/tally.h"

// Distinct label sets counted for attempts and transitions; past it a new one is not counted
// (provider and model come from the config, status from a short list: far below this).
#define S_MAX_SERIES 4096
#define S_LABELS_MAX 1024 // bytes of one label set

struct supervisor_breakers {
    supervisor_circuit_t *table; // owned
    zsock_t *pub;                // borrowed; NULL: publish nothing
    const sl_clock_t *clock;     // borrowed; NULL: the real clock
    int64_t next_snapshot_ms;    // monotonic
    zhashx_t *attempts;          // owned tally: label set -> attempts
    zhashx_t *transitions;       // owned tally: label set -> state changes
    zlistx_t *changed;           // owned: keys (owned copies) whose state changed, to publish
};

static int64_t
s_wait_ms(const supervisor_circuit_info_t *info, int64_t now_ms)
{
    if (info->state != SUPERVISOR_CIRCUIT_OPEN || info->next_probe_ms <= now_ms)
        return 0;
    return info->next_probe_ms - now_ms;
}

static void
s_publish(supervisor_breakers_t *self, const supervisor_circuit_info_t *info)
{
    if (!self->pub)
        return;
    sl_msg_t msg = {.type = SL_MSG_CIRCUIT,
                    .name = sl_str(info->key),
                    .state = (uint32_t)info->state,
                    .retry_after_ms = (uint64_t)s_wait_ms(info, sl_clock_now_mono_ms(self->clock))};
    int rc = sl_sock_send(self->pub, NULL, &msg);
    if (rc < 0)
        sl_log_warn_rl("circuit: cannot publish key=%s: %s", info->key, sl_strerror(rc));
}

static void
s_count(zhashx_t *tally, const char *labels)
{
    if (zhashx_size(tally) < S_MAX_SERIES || sl_tally_get(tally, labels) > 0)
        sl_tally_add(tally, labels, 1);
}

// The table calls this inside its own calls, where it may not be asked anything: the change
// is counted and the key noted, and s_publish_changed publishes it once the call is over.
static void
s_on_transition(void *arg,
                const char *key,
                supervisor_circuit_state_t old_state,
                supervisor_circuit_state_t new_state)
{
    supervisor_breakers_t *self = arg;
    sl_log_info("circuit key=%s %s -> %s", key, supervisor_circuit_state_name(old_state),
                supervisor_circuit_state_name(new_state));
    sl_buf_t labels;
    sl_buf_init(&labels, S_LABELS_MAX);
    const char *to = supervisor_circuit_state_name(new_state);
    if (sl_metrics_label(&labels, "key", key, strlen(key)) == 0
        && sl_metrics_label(&labels, "to", to, strlen(to)) == 0)
        s_count(self->transitions, sl_buf_str(&labels));
    sl_buf_free(&labels);
    zlistx_add_end(self->changed, (void *)key);
}

// Publish every breaker whose state changed during the last call into the table.
static void
s_publish_changed(supervisor_breakers_t *self)
{
    for (char *key = zlistx_first(self->changed); key; key = zlistx_next(self->changed)) {
        supervisor_circuit_info_t info;
        if (supervisor_circuit_info(self->table, key, &info) < 0)
            continue;
        s_publish(self, &info);
        if (info.state == SUPERVISOR_CIRCUIT_OPEN)
            sl_log_warn("circuit key=%s open: failures=%u calls=%u, half-open in %lld ms", info.key,
                        info.failures, info.calls,
                        (long long)s_wait_ms(&info, sl_clock_now_mono_ms(self->clock)));
    }
    zlistx_purge(self->changed);
}

supervisor_breakers_t *
supervisor_breakers_new(const sl_config_t *cfg, zsock_t *pub, const sl_clock_t *clock)
{
    assert(cfg);
    supervisor_breakers_t *self = sl_xcalloc(1, sizeof *self);
    supervisor_circuit_cfg_t tuning;
    supervisor_circuit_cfg_defaults(&tuning);
    tuning.window_ms = cfg->circuit_window_ms;
    tuning.min_failures = cfg->circuit_min_failures;
    tuning.failure_ratio_pct = cfg->circuit_failure_ratio_pct;
    tuning.min_calls = cfg->circuit_min_calls;
    tuning.cooldown_ms = cfg->circuit_cooldown_ms;
    tuning.cooldown_max_ms = cfg->circuit_cooldown_max_ms < cfg->circuit_cooldown_ms
                                 ? cfg->circuit_cooldown_ms
                                 : cfg->circuit_cooldown_max_ms;
    tuning.probes = cfg->circuit_probes;
    const char *field = NULL;
    if (supervisor_circuit_cfg_check(&tuning, &field) < 0) {
        // The config's ranges keep every field valid; this is a bug, not a user error.
        sl_log_error("circuit: %s out of range, breakers use their defaults", field);
        supervisor_circuit_cfg_defaults(&tuning);
    }
    self->table = supervisor_circuit_new(&tuning, clock);
    assert(self->table);
    supervisor_circuit_on_transition(self->table, s_on_transition, self);
    self->pub = pub;
    self->clock = clock;
    self->attempts = sl_tally_new();
    self->transitions = sl_tally_new();
    self->changed = zlistx_new();
    zlistx_set_duplicator(self->changed, (zlistx_duplicator_fn *)strdup);
    zlistx_set_destructor(self->changed, (zlistx_destructor_fn *)zstr_free);
    return self;
}

void
supervisor_breakers_destroy(supervisor_breakers_t **self_p)
{
    assert(self_p);
    supervisor_breakers_t *self = *self_p;
    if (!self)
        return;
    supervisor_circuit_destroy(&self->table);
    zhashx_destroy(&self->attempts);
    zhashx_destroy(&self->transitions);
    zlistx_destroy(&self->changed);
    free(self);
    *self_p = NULL;
}

void
supervisor_breakers_outcome(supervisor_breakers_t *self, const sl_msg_t *msg)
{
    assert(self && msg && msg->type == SL_MSG_OUTCOME);
    char provider[SUPERVISOR_CIRCUIT_MAX_KEY + 1], model[SUPERVISOR_CIRCUIT_MAX_KEY + 1];
    if (msg->provider.len == 0 || msg->provider.len > SUPERVISOR_CIRCUIT_MAX_KEY / 2
        || msg->upstream_model.len > SUPERVISOR_CIRCUIT_MAX_KEY / 2
        || memchr(msg->provider.ptr, 0, msg->provider.len)
        || memchr(msg->upstream_model.ptr, 0, msg->upstream_model.len)) {
        sl_log_warn_rl("circuit: OUTCOME with a bad provider or model (%u, %u bytes), ignored",
                       msg->provider.len, msg->upstream_model.len);
        return;
    }
    memcpy(provider, msg->provider.ptr, msg->provider.len);
    provider[msg->provider.len] = '\0';
    memcpy(model, msg->upstream_model.ptr, msg->upstream_model.len);
    model[msg->upstream_model.len] = '\0';
    int rc = supervisor_circuit_record_target(self->table, provider, model,
                                              (sl_errclass_t)msg->err_class);
    if (rc < 0)
        sl_log_warn_rl("circuit: outcome of %s/%s not counted: %s", provider, model,
                       sl_strerror(rc));
    s_publish_changed(self);
    sl_buf_t labels;
    sl_buf_init(&labels, S_LABELS_MAX);
    char status[16];
    snprintf(status, sizeof status, "%u", msg->status);
    const char *class_name = sl_errclass_name(msg->err_class);
    if (sl_metrics_label(&labels, "provider", provider, strlen(provider)) == 0
        && sl_metrics_label(&labels, "model", model, strlen(model)) == 0
        && sl_metrics_label(&labels, "status", status, strlen(status)) == 0
        && sl_metrics_label(&labels, "class", class_name, strlen(class_name)) == 0)
        s_count(self->attempts, sl_buf_str(&labels));
    sl_buf_free(&labels);
}

void
supervisor_breakers_tick(supervisor_breakers_t *self)
{
    assert(self);
    (void)supervisor_circuit_tick(self->table);
    s_publish_changed(self);
    int64_t now_ms = sl_clock_now_mono_ms(self->clock);
    if (now_ms < self->next_snapshot_ms)
        return;
    self->next_snapshot_ms = now_ms + SUPERVISOR_BREAKERS_SNAPSHOT_MS;
    size_t n = supervisor_circuit_size(self->table);
    for (size_t i = 0; i < n; i++) {
        supervisor_circuit_info_t info;
        if (supervisor_circuit_info_at(self->table, i, &info) == 0)
            s_publish(self, &info);
    }
}

static int
s_info_json(sl_buf_t *out, const supervisor_circuit_info_t *info, int64_t now_ms)
{
    size_t mark = out->len;
    SL_BUF_TRY(sl_buf_append_str(out, "{\"key\":\""));
    SL_BUF_TRY(sl_buf_append_json_str(out, info->key, strlen(info->key)));
    SL_BUF_TRY(sl_buf_printf(out,
                             "\",\"state\":\"%s\",\"failures\":%u,\"calls\":%u,\"opens\":%u,"
                             "\"next_probe_ms\":%lld}",
                             supervisor_circuit_state_name(info->state), info->failures,
                             info->calls, info->consecutive_opens,
                             (long long)s_wait_ms(info, now_ms)));
    return 0;
toobig:
    return sl_buf_rollback(out, mark);
}

int
supervisor_breakers_command(supervisor_breakers_t *self,
                            const char *command,
                            const char *key,
                            sl_buf_t *out)
{
    assert(self && command && out);
    bool all = !key || !*key;
    int rc;
    if (strcmp(command, "open") == 0 && !all)
        rc = supervisor_circuit_open(self->table, key);
    else if (strcmp(command, "close") == 0 && !all)
        rc = supervisor_circuit_close(self->table, key);
    else if (strcmp(command, "reset") == 0)
        rc = supervisor_circuit_reset(self->table, all ? NULL : key);
    else
        rc = SL_EINVAL;
    s_publish_changed(self);
    if (rc == SL_ENOTFOUND) {
        (void)sl_buf_append_str(out, "{\"error\":\"no breaker named '");
        (void)sl_buf_append_json_str(out, key, strlen(key));
        (void)sl_buf_append_str(out, "' (a breaker exists once its target has had an attempt)\"}");
        return 404;
    }
    if (rc < 0) {
        (void)sl_buf_printf(out, "{\"error\":\"%s\"}",
                            all && strcmp(command, "reset") != 0
                                ? "open and close need a breaker key: provider or provider/model"
                                : "bad breaker key: provider or provider/model, at most 255 bytes");
        return 400;
    }
    sl_log_info("circuit: %s %s by hand", command, all ? "every breaker" : key);
    if (all) {
        (void)sl_buf_append_str(out, "{\"ok\":true}");
        return 200;
    }
    supervisor_circuit_info_t info;
    if (supervisor_circuit_info(self->table, key, &info) < 0) {
        (void)sl_buf_append_str(out, "{\"ok\":true}");
        return 200;
    }
    s_publish(self, &info); // a manual change is published even when the state stayed
    (void)s_info_json(out, &info, sl_clock_now_mono_ms(self->clock));
    return 200;
}

size_t
supervisor_breakers_not_closed(supervisor_breakers_t *self)
{
    assert(self);
    size_t n = 0, size = supervisor_circuit_size(self->table);
    for (size_t i = 0; i < size; i++) {
        supervisor_circuit_info_t info;
        if (supervisor_circuit_info_at(self->table, i, &info) == 0
            && info.state != SUPERVISOR_CIRCUIT_CLOSED)
            n++;
    }
    s_publish_changed(self); // looking may have half-opened one
    return n;
}

int
supervisor_breakers_json(supervisor_breakers_t *self, sl_buf_t *out)
{
    assert(self && out);
    int64_t now_ms = sl_clock_now_mono_ms(self->clock);
    size_t mark = out->len;
    SL_BUF_TRY(sl_buf_append_str(out, "{\"circuits\":["));
    size_t n = supervisor_circuit_size(self->table);
    for (size_t i = 0; i < n; i++) {
        supervisor_circuit_info_t info;
        if (supervisor_circuit_info_at(self->table, i, &info) < 0)
            continue;
        if (i > 0)
            SL_BUF_TRY(sl_buf_append_str(out, ","));
        SL_BUF_TRY(s_info_json(out, &info, now_ms));
    }
    SL_BUF_TRY(sl_buf_append_str(out, "]}"));
    s_publish_changed(self); // looking may have half-opened one
    return 0;
toobig:
    s_publish_changed(self);
    return sl_buf_rollback(out, mark);
}

static int
s_tally_metrics(zhashx_t *tally, const char *name, sl_buf_t *out)
{
    for (void *item = zhashx_first(tally); item; item = zhashx_next(tally)) {
        int rc = sl_metrics_sample(out, name, zhashx_cursor(tally), (double)(uintptr_t)item);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int
supervisor_breakers_metrics(supervisor_breakers_t *self, sl_buf_t *out)
{
    assert(self && out);
    size_t n = supervisor_circuit_size(self->table);
    for (size_t i = 0; i < n; i++) {
        supervisor_circuit_info_t info;
        if (supervisor_circuit_info_at(self->table, i, &info) < 0)
            continue;
        sl_buf_t labels;
        sl_buf_init(&labels, S_LABELS_MAX);
        int rc = sl_metrics_label(&labels, "key", info.key, strlen(info.key));
        if (rc == 0)
            rc = sl_metrics_sample(out, "sluice_circuit_state", sl_buf_str(&labels),
                                   (double)info.state);
        sl_buf_free(&labels);
        if (rc < 0)
            return rc;
    }
    s_publish_changed(self); // looking may have half-opened one
    int rc = s_tally_metrics(self->transitions, "sluice_circuit_transitions_total", out);
    return rc < 0 ? rc : s_tally_metrics(self->attempts, "sluice_upstream_attempts_total", out);
}
