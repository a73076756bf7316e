// supervisor.c - the supervisor actor: children, events, state (see supervisor.h).
#include "supervisor.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <czmq.h>

#include "breakers.h"
#include "child.h"
#include "control.h"
#include "rundir.h"
#include "sl/buf.h"
#include "sl/clock.h"
#include "sl/err.h"
#include "sl/fs.h"
#include "sl/log.h"
#include "sl/main.h"
#include "sl/mem.h"
#include "sl/sha256.h"
#include "sl/sock.h"
#include "sl/wire.h"
#include "stats.h"
#include "validate.h"

#define S_TICK_MAX_MS      100   // reap, restart and check liveness at least this often
#define S_TICK_MIN_MS      5     // ... and never more often than this
#define S_STATE_EVERY_MS   1000  // STATE is re-published this often, changed or not
#define S_STOP_GRACE_MS    5000  // SIGTERM'd children get this long before SIGKILL
#define S_KILL_WAIT_MS     2000  // then this long to be reaped before we block on them
#define S_STOP_POLL_MS     10    // how often waitpid is polled while stopping
#define S_EVENTS_PER_WAKE  256   // messages read per wake-up, so timers still run under a flood
#define S_START_MIN_MS     10000 // a child may take this long (or 10 beats) to send UP
#define S_START_BEATS      10    // ... or this many heartbeats, whichever is longer
#define S_MAX_PROVIDERS    64    // processes.provider's upper bound in the config
#define S_MAX_CHILDREN     (1 + 4 + S_MAX_PROVIDERS) // the demo mock, four actors, the workers
#define S_NAME_MAX         32    // bytes of a child's name, "provider.64" included
#define S_BANNER_MAX       16384 // bytes; the banner is one line
#define S_BANNER_MODELS_AT 2048  // past this many bytes of banner, models are cut with "..."
#define S_CHILD_PREFIX     "sluice-"
#define S_MOCK_NAME        "mockllm"
#define S_PROVIDER_NAME    "provider"

// The actors, in start order: the store first, the front door last, so each one's peers
// are there (or at least bound) when it comes up. The provider worker runs
// cfg->processes_provider times.
static const char *const s_actor_names[] = {"persist", "builder", "broker", S_PROVIDER_NAME,
                                            "ingress"};

struct supervisor {
    const sl_config_t *cfg;                       // borrowed; outlives self
    char *bin_dir;                                // owned
    bool control_keyed;                           // the control socket is on tcp: commands
    uint8_t control_key[SL_SHA256_LEN];           // must carry the admin key, this digest
    supervisor_child_policy_t policy;             // timing of every child, from cfg
    int64_t tick_ms;                              // period of s_on_tick
    zsock_t *events;                              // owned; PULL, UP and BEAT from the actors
    zsock_t *state;                               // owned; PUB, STATE
    zsock_t *control;                             // owned; ROUTER, CTL commands
    zloop_t *loop;                                // owned
    supervisor_child_t *children[S_MAX_CHILDREN]; // owned, in start order
    size_t n_children;
    bool owns_run_dir;      // no other instance is live: the ipc files are ours to remove
    bool announced;         // the "sluice is up" line was printed
    bool failed;            // a child could not be started the first time
    int last_state;         // last STATE published: sl_host_state_t, or -1 before the first
    int last_count;         // last STATE published: count
    int64_t last_tick_ms;   // monotonic time of the last tick, 0 before the first
    int64_t grace_until_ms; // monotonic; no child is taken for hung before this
    supervisor_breakers_t *breakers; // owned; circuit breakers fed by OUTCOME
    supervisor_stats_t *stats;       // owned; every child's latest STATS
    int64_t started_ms;              // monotonic time supervisor_new ran
    int64_t drain_since_ms;          // monotonic start of `sluice ctl drain`; 0: not draining
    int64_t drain_until_ms;          // draining: stop by then, in flight or not
    supervisor_validate_t *validate; // owned: the `validate` command's child, NULL when none
    zframe_t *validate_to;           // owned: who asked for it (control routing id)
    uint64_t validate_seq;           // and the seq of its CTL
};

static int s_drain_check(supervisor_t *self, int64_t now_ms);

// Sleep ms milliseconds (less when a signal arrives; callers poll with a deadline anyway).
static void
s_sleep_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000};
    (void)nanosleep(&ts, NULL); // EINTR: the caller's loop checks its deadline
}

static supervisor_child_t *
s_add_child(
    supervisor_t *self, const char *kind, const char *name, const char *const *args, bool sends_up)
{
    assert(self->n_children < S_MAX_CHILDREN);
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/%s%s", self->bin_dir, S_CHILD_PREFIX, kind);
    if (n < 0 || (size_t)n >= sizeof path) {
        sl_log_error("bin dir too long: %s", self->bin_dir);
        return NULL;
    }
    if (access(path, X_OK) < 0) {
        sl_log_error("missing program %s%s: %s: %s (build it, or set SLUICE_BIN_DIR)",
                     S_CHILD_PREFIX, kind, path, strerror(errno));
        return NULL;
    }
    supervisor_child_t *child =
        supervisor_child_new(name, path, args, sends_up, &self->policy, NULL);
    self->children[self->n_children++] = child;
    return child;
}

static int
s_add_children(supervisor_t *self)
{
    const sl_config_t *cfg = self->cfg;
    if (cfg->processes_provider < 1 || cfg->processes_provider > S_MAX_PROVIDERS) {
        sl_log_error("processes.provider %u is out of range 1..%d",
                     (unsigned)cfg->processes_provider, S_MAX_PROVIDERS);
        return SL_EINVAL;
    }
    if (cfg->demo_enabled) {
        char port[16], rate[16];
        snprintf(port, sizeof port, "%u", (unsigned)cfg->demo_port);
        snprintf(rate, sizeof rate, "%u", (unsigned)cfg->demo_tokens_per_s);
        // Plain English for people trying sluice out: the mock's default vocabulary is the
        // hostile one the tests need (JSON escapes, SSE look-alikes, odd Unicode).
        const char *const args[] = {
            "--port", port, "--tokens-per-s", rate, "--vocabulary", "plain", NULL,
        };
        if (!s_add_child(self, S_MOCK_NAME, S_MOCK_NAME, args, false))
            return SL_ENOTFOUND;
    }
    const char *const args[] = {"-c", cfg->path, NULL};
    for (size_t i = 0; i < sizeof s_actor_names / sizeof s_actor_names[0]; i++) {
        const char *kind = s_actor_names[i];
        bool workers = strcmp(kind, S_PROVIDER_NAME) == 0;
        uint32_t copies = workers ? cfg->processes_provider : 1;
        for (uint32_t k = 1; k <= copies; k++) {
            char name[S_NAME_MAX];
            if (workers) // each worker has a name of its own in the logs: provider.1, ...
                snprintf(name, sizeof name, "%s.%u", kind, (unsigned)k);
            else
                snprintf(name, sizeof name, "%s", kind);
            if (!s_add_child(self, kind, name, cfg->path ? args : NULL, true))
                return SL_ENOTFOUND;
        }
    }
    return 0;
}

static supervisor_child_t *
s_child_by_name(supervisor_t *self, sl_str_t name, size_t *slot_p)
{
    // An instance name is "<kind>-<pid>": the pid picks the child, so a message from an
    // instance already replaced matches nothing.
    size_t dash = name.len;
    while (dash > 0 && name.ptr[dash - 1] != '-')
        dash--;
    long pid = dash > 0 && dash < name.len ? 0 : -1;
    for (size_t i = dash; pid >= 0 && i < name.len; i++)
        pid = name.ptr[i] >= '0' && name.ptr[i] <= '9' && pid < 1L << 30
                  ? pid * 10 + (name.ptr[i] - '0')
                  : -1;
    for (size_t i = 0; i < self->n_children; i++)
        if (pid > 0 && supervisor_child_pid(self->children[i]) == (pid_t)pid) {
            if (slot_p)
                *slot_p = i;
            return self->children[i];
        }
    return NULL;
}

static void
s_publish_state(supervisor_t *self, int state, int count)
{
    sl_msg_t msg = {.type = SL_MSG_STATE, .state = (uint32_t)state, .count = (uint64_t)count};
    int rc = sl_sock_send(self->state, NULL, &msg);
    if (rc < 0) // a PUB drops for slow subscribers instead of failing: this is a real error
        sl_log_warn_rl("state: cannot publish: %s", sl_strerror(rc));
    self->last_state = state;
    self->last_count = count;
}

// Publish STATE when it changed (or when force), and print the banner the first time every
// child is up. FAILING wins over the count: a child in a crash loop may be UP for a moment
// between two crashes, and the ingress must keep answering 503 until it is calm again.
static void
s_update_state(supervisor_t *self, bool force)
{
    int count = 0;
    bool failing = false;
    for (size_t i = 0; i < self->n_children; i++) {
        if (supervisor_child_state(self->children[i]) == SUPERVISOR_CHILD_UP)
            count++;
        failing = failing || supervisor_child_is_failing(self->children[i]);
    }
    int state = SL_HOST_STARTING;
    if (self->drain_since_ms > 0)
        state = SL_HOST_DRAINING; // the ingress must keep refusing new requests
    else if (failing)
        state = SL_HOST_FAILING;
    else if (self->n_children > 0 && (size_t)count == self->n_children)
        state = SL_HOST_UP;
    bool changed = state != self->last_state || count != self->last_count;
    if (changed || force)
        s_publish_state(self, state, count);
    if (changed)
        sl_log_info("state up=%d children=%d/%zu", state, count, self->n_children);
    if (state == SL_HOST_UP && !self->announced) {
        self->announced = true;
        char *banner = supervisor_banner(self->cfg);
        sl_log_info("%s", banner);
        // stdout is for people (and scripts waiting for this line): flush it now, it may be
        // a pipe with nobody reading past the first line.
        printf("%s\n", banner);
        fflush(stdout);
        free(banner);
    }
}

// Apply the restart policy to child's exit (or failed start) and log the decision. The
// first exit that makes a child failing is logged as an error, once per episode; the child
// is restarted all the same, and the other children are left alone.
static void
s_schedule_restart(supervisor_child_t *child)
{
    bool was_failing = supervisor_child_is_failing(child);
    supervisor_child_on_exit(child);
    if (!was_failing && supervisor_child_is_failing(child))
        sl_log_error("child failing name=%s: more than %d restarts within %d s; it is "
                     "restarted with backoff up to the cap, and /healthz answers 503 until it "
                     "stays up",
                     supervisor_child_name(child), SUPERVISOR_CHILD_FAILING_RESTARTS,
                     SUPERVISOR_CHILD_FAILING_WINDOW_MS / 1000);
    sl_log_info("child restart name=%s in_ms=%lld restarts=%u%s", supervisor_child_name(child),
                (long long)supervisor_child_backoff_ms(child),
                (unsigned)supervisor_child_restarts_in_window(child),
                supervisor_child_is_failing(child) ? " failing=1" : "");
}

// Start child. A failed start counts like a crash, so a program that vanished cannot make us
// loop fast.
static void
s_start_child(supervisor_child_t *child)
{
    if (supervisor_child_spawn(child) == 0) {
        sl_log_info("child started name=%s pid=%d", supervisor_child_name(child),
                    (int)supervisor_child_pid(child));
        return;
    }
    sl_log_error("cannot start name=%s path=%s: %s", supervisor_child_name(child),
                 supervisor_child_path(child), strerror(errno));
    s_schedule_restart(child);
}

// Reap child if it ended and log it. Returns true when it had ended.
static bool
s_reap(supervisor_child_t *child)
{
    pid_t pid = supervisor_child_pid(child);
    int status = 0;
    int rc = supervisor_child_reap(child, &status);
    if (rc == 0)
        return false;
    if (rc < 0) {
        sl_log_error("child lost name=%s pid=%d: waitpid: %s", supervisor_child_name(child),
                     (int)pid, strerror(errno));
        return true;
    }
    char text[32];
    sl_log_info("child exited name=%s pid=%d status=%s", supervisor_child_name(child), (int)pid,
                supervisor_child_status_str(status, text, sizeof text));
    return true;
}

// SIGKILL child when it is hung; its reap and restart follow on a later tick.
static void
s_check_liveness(supervisor_child_t *child)
{
    if (!supervisor_child_is_hung(child))
        return;
    bool starting = supervisor_child_state(child) == SUPERVISOR_CHILD_STARTING;
    sl_log_error("child hung name=%s pid=%d silent_ms=%lld (%s), killing it",
                 supervisor_child_name(child), (int)supervisor_child_pid(child),
                 (long long)supervisor_child_silent_ms(child),
                 starting ? "no UP since its start" : "no BEAT");
    if (supervisor_child_kill_hung(child) < 0)
        sl_log_error("cannot kill name=%s pid=%d: %s", supervisor_child_name(child),
                     (int)supervisor_child_pid(child), strerror(errno));
}

static void
s_on_up(supervisor_t *self, sl_str_t name)
{
    int name_len = name.len > 64 ? 64 : (int)name.len;
    supervisor_child_t *child = s_child_by_name(self, name, NULL);
    if (!child) {
        sl_log_warn_rl("events: UP from unknown process name=%.*s", name_len, name.ptr);
        return;
    }
    if (supervisor_child_mark_up(child))
        sl_log_info("child up name=%s pid=%d", supervisor_child_name(child),
                    (int)supervisor_child_pid(child));
    else // sent by an instance already killed, or a second UP
        sl_log_debug("events: UP ignored name=%s", supervisor_child_name(child));
}

static void
s_on_beat(supervisor_t *self, sl_str_t name)
{
    supervisor_child_t *child = s_child_by_name(self, name, NULL);
    if (!child) // an instance already reaped, whose last beats were still queued
        sl_log_debug("events: BEAT from unknown process name=%.*s",
                     name.len > 64 ? 64 : (int)name.len, name.ptr);
    else if (!supervisor_child_mark_beat(child))
        sl_log_debug("events: BEAT ignored name=%s", supervisor_child_name(child));
}

static void
s_on_stats(supervisor_t *self, const sl_msg_t *msg)
{
    size_t slot = 0;
    if (!s_child_by_name(self, msg->name, &slot)) // a process already replaced
        return;
    int rc = supervisor_stats_set(self->stats, slot, msg->text.ptr, msg->text.len);
    if (rc < 0)
        sl_log_warn_rl("events: STATS of name=%s refused: %s (%u bytes)",
                       supervisor_child_name(self->children[slot]), sl_strerror(rc), msg->text.len);
}

static int
s_events_msg(void *arg, zframe_t **from_p, zframe_t **frame_p, sl_msg_t *msg)
{
    (void)from_p;
    (void)frame_p;
    supervisor_t *self = arg;
    switch (msg->type) {
    case SL_MSG_UP:
        s_on_up(self, msg->name);
        break;
    case SL_MSG_BEAT:
        s_on_beat(self, msg->name);
        break;
    case SL_MSG_OUTCOME:
        supervisor_breakers_outcome(self->breakers, msg);
        break;
    case SL_MSG_STATS:
        s_on_stats(self, msg);
        break;
    default:
        sl_log_debug("events: %s ignored", sl_wire_type_name(msg->type));
        break;
    }
    return 0;
}

static int
s_on_tick(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    supervisor_t *self = arg;
    // Beats that wait in the socket are news, not silence: read them before judging anyone.
    // zloop runs due timers before readers, so without this a busy wake-up would see a
    // child as silent while its BEAT sits unread.
    sl_sock_drain(self->events, S_EVENTS_PER_WAKE, s_events_msg, self);
    int64_t now_ms = sl_clock_mono_ms();
    // When we were stalled ourselves (stopped, swapped out, a slow fork), the children's
    // silence is ours: give every one a full liveness period before judging again.
    if (self->last_tick_ms > 0 && now_ms - self->last_tick_ms > self->policy.liveness_ms / 2) {
        sl_log_warn("supervisor stalled for %lld ms; liveness checks resume in %lld ms",
                    (long long)(now_ms - self->last_tick_ms), (long long)self->policy.liveness_ms);
        self->grace_until_ms = now_ms + self->policy.liveness_ms;
    }
    self->last_tick_ms = now_ms;
    for (size_t i = 0; i < self->n_children; i++) {
        supervisor_child_t *child = self->children[i];
        if (s_reap(child)) {
            // Checked after waitpid: a signal sent to the whole process group reached us
            // before the child could exit from it, so an exit that follows Ctrl-C is seen
            // here as shutdown, never as a crash.
            if (zsys_interrupted)
                return -1;
            supervisor_stats_clear(self->stats, i);
            s_schedule_restart(child);
        } else if (now_ms >= self->grace_until_ms) {
            s_check_liveness(child);
        }
        if (supervisor_child_recover(child))
            sl_log_info("child recovered name=%s: calm for %lld ms, no longer failing",
                        supervisor_child_name(child), (long long)self->policy.restart_calm_ms);
    }
    for (size_t i = 0; i < self->n_children && !zsys_interrupted; i++) {
        supervisor_child_t *child = self->children[i];
        if (supervisor_child_is_restart_due(child))
            s_start_child(child);
    }
    if (zsys_interrupted)
        return -1;
    supervisor_breakers_tick(self->breakers);
    s_update_state(self, false);
    return 0;
}

static int
s_on_state_timer(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    supervisor_t *self = arg;
    int64_t now_ms = sl_clock_mono_ms();
    supervisor_stats_tick(self->stats, now_ms);
    s_update_state(self, true);
    return s_drain_check(self, now_ms);
}

static int
s_on_events(zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    sl_sock_drain(reader, S_EVENTS_PER_WAKE, s_events_msg, arg);
    s_update_state(arg, false);
    return 0;
}

static supervisor_control_view_t
s_view(supervisor_t *self)
{
    static const char *const names[] = {"starting", "up", "failing", "draining"};
    int64_t now_ms = sl_clock_mono_ms();
    int state = self->last_state >= 0 && self->last_state <= SL_HOST_DRAINING ? self->last_state
                                                                              : SL_HOST_STARTING;
    return (supervisor_control_view_t){
        .children = self->children,
        .n_children = self->n_children,
        .breakers = self->breakers,
        .stats = self->stats,
        .state = names[state],
        .uptime_ms = now_ms - self->started_ms,
        .drain_left = self->drain_since_ms > 0 && self->drain_until_ms > now_ms
                          ? self->drain_until_ms - now_ms
                          : 0,
    };
}

// Draining: stop the loop (and so every process) once nothing is in flight, or when the
// drain's time is up. Returns -1 to stop, else 0. The processes report every heartbeat, so
// the count is only trusted two heartbeats after the drain began, when every report was made
// after the ingress stopped admitting.
static int
s_drain_check(supervisor_t *self, int64_t now_ms)
{
    if (self->drain_since_ms == 0)
        return 0;
    supervisor_control_view_t view = s_view(self);
    double in_flight = supervisor_control_in_flight(&view);
    if (now_ms - self->drain_since_ms >= 2 * self->cfg->heartbeat_ms + S_STATE_EVERY_MS
        && in_flight <= 0) {
        sl_log_info("drain: nothing in flight after %lld ms, stopping",
                    (long long)(now_ms - self->drain_since_ms));
        return -1;
    }
    if (now_ms >= self->drain_until_ms) {
        sl_log_warn("drain: %.0f still in flight after %lld ms (timeouts.total_ms), stopping",
                    in_flight, (long long)(now_ms - self->drain_since_ms));
        return -1;
    }
    return 0;
}

static int
s_drain_start(supervisor_t *self, sl_buf_t *out)
{
    if (self->drain_since_ms == 0) {
        self->drain_since_ms = sl_clock_mono_ms();
        self->drain_until_ms = self->drain_since_ms + self->cfg->timeout_total_ms;
        sl_log_info("drain: no new requests; stopping once in-flight streams end (at most %lld "
                    "ms)",
                    (long long)self->cfg->timeout_total_ms);
        s_update_state(self, true);
    }
    supervisor_control_view_t view = s_view(self);
    (void)sl_buf_printf(out, "{\"draining\":true,\"in_flight\":%.0f,\"drain_left_ms\":%lld}",
                        supervisor_control_in_flight(&view), (long long)view.drain_left);
    return 200;
}

// Keys the processes take on reload (besides providers and routes): the broker's and the
// workers' timeouts for what starts from then on, and the workers' read window. Every other
// key is read once at start.
static const char *const s_reloadable[] = {"timeouts.connect_ms",
                                           "timeouts.idle_ms",
                                           "timeouts.first_content_ms",
                                           "batch.coalesce_ms",
                                           "auth",
                                           NULL};

// sl_config_diff_fn: list a changed key that reload leaves as it was (`sluice up` again).
static void
s_restart_needed(void *arg, const char *section, const char *key)
{
    sl_buf_t *out = arg;
    char name[128];
    snprintf(name, sizeof name, "%s%s%s", section ? section : "", section ? "." : "", key);
    for (size_t i = 0; s_reloadable[i]; i++)
        if (strcmp(s_reloadable[i], name) == 0)
            return;
    bool first = out->len == 0 || out->data[out->len - 1] == '[';
    (void)sl_buf_printf(out, "%s\"%s\"", first ? "" : ",", name);
}

// Re-read the config file and have the broker, the workers and the ingress take its routes
// and providers (SIGHUP: each re-reads the file itself; streams in flight keep the settings
// they started with). A file that does not load changes nothing.
static int
s_reload(supervisor_t *self, sl_buf_t *out)
{
    if (!self->cfg->path) {
        (void)sl_buf_append_str(out, "{\"error\":\"sluice was started without a config file "
                                     "(-c FILE): there is nothing to re-read\"}");
        return 409;
    }
    sl_config_t *fresh = NULL;
    sl_diag_t diag = {{0}};
    if (sl_config_load(self->cfg->path, &fresh, &diag) < 0) {
        sl_log_warn("reload: %s; nothing changed", diag.msg);
        (void)sl_buf_append_str(out, "{\"error\":\"");
        (void)sl_buf_append_json_str(out, diag.msg, strlen(diag.msg));
        (void)sl_buf_append_str(out, "\"}");
        return 400;
    }
    unsigned signalled = 0;
    for (size_t i = 0; i < self->n_children; i++) {
        const char *name = supervisor_child_name(self->children[i]);
        if ((strcmp(name, "broker") == 0 || strcmp(name, "ingress") == 0
             || strncmp(name, S_PROVIDER_NAME ".", sizeof S_PROVIDER_NAME) == 0)
            && supervisor_child_is_running(self->children[i])
            && supervisor_child_kill(self->children[i], SIGHUP) == 0)
            signalled++;
    }
    sl_log_info("reload: %s read (%zu providers, %zu routes), %u processes told", self->cfg->path,
                fresh->n_providers, fresh->n_routes, signalled);
    (void)sl_buf_printf(out,
                        "{\"reloaded\":true,\"providers\":%zu,\"routes\":%zu,\"signalled\":%u,"
                        "\"restart_needed\":[",
                        fresh->n_providers, fresh->n_routes, signalled);
    sl_config_diff(self->cfg, fresh, s_restart_needed, out);
    (void)sl_buf_append_str(out, "]}");
    sl_config_destroy(&fresh);
    return 200;
}

static void
s_reply(supervisor_t *self, zframe_t *to, uint64_t seq, int status, const sl_buf_t *out);

// The `validate` child wrote or ended: once it is done, its verdict is the answer.
static int
s_on_validate(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    supervisor_t *self = arg;
    int fd = item->fd;
    if (!supervisor_validate_read(self->validate))
        return 0;
    zmq_pollitem_t done = {NULL, fd, ZMQ_POLLIN, 0};
    zloop_poller_end(loop, &done);
    bool ok = false;
    const char *verdict = supervisor_validate_output(self->validate, &ok);
    sl_buf_t out;
    sl_buf_init(&out, SUPERVISOR_CONTROL_MAX_REPLY);
    (void)sl_buf_append_str(&out, *verdict ? verdict : "{\"ok\":false,\"error\":\"no verdict\"}");
    while (out.len > 0 && out.data[out.len - 1] == '\n')
        out.data[--out.len] = '\0';
    s_reply(self, self->validate_to, self->validate_seq, ok ? 200 : 422, &out);
    sl_buf_free(&out);
    sl_log_info("validate: %s", ok ? "ok" : "problems found");
    zframe_destroy(&self->validate_to);
    supervisor_validate_destroy(&self->validate);
    return 0;
}

// `validate`: check the config file and each provider's reachability in a child process, so a
// slow DNS lookup cannot stall this loop. Returns 0 (the answer comes from s_on_validate), or
// the status of an answer written into out now.
static int
s_validate_start(supervisor_t *self, zframe_t *from, uint64_t seq, sl_buf_t *out)
{
    if (self->validate) {
        (void)sl_buf_append_str(out, "{\"error\":\"a validation is running already\"}");
        return 409;
    }
    self->validate = supervisor_validate_start(self->cfg->path);
    zmq_pollitem_t item = {NULL, self->validate ? supervisor_validate_fd(self->validate) : -1,
                           ZMQ_POLLIN, 0};
    if (!self->validate || zloop_poller(self->loop, &item, s_on_validate, self) < 0) {
        supervisor_validate_destroy(&self->validate);
        (void)sl_buf_append_str(out, "{\"error\":\"cannot start the validation\"}");
        return 500;
    }
    self->validate_to = zframe_dup(from);
    self->validate_seq = seq;
    return 0;
}

// One CTL command: write its answer into out, return its status (0: answered later).
static int
s_command(supervisor_t *self,
          const char *command,
          const char *arg,
          zframe_t *from,
          uint64_t seq,
          sl_buf_t *out)
{
    if (strcmp(command, "validate") == 0)
        return s_validate_start(self, from, seq, out);
    supervisor_control_view_t view = s_view(self);
    if (strcmp(command, "status") == 0)
        return supervisor_control_status(&view, out) == 0 ? 200 : 500;
    if (strcmp(command, "circuits") == 0)
        return supervisor_breakers_json(self->breakers, out) == 0 ? 200 : 500;
    if (strcmp(command, "metrics") == 0)
        return supervisor_control_metrics(&view, out) == 0 ? 200 : 500;
    if (strcmp(command, "open") == 0 || strcmp(command, "close") == 0
        || strcmp(command, "reset") == 0)
        return supervisor_breakers_command(self->breakers, command, arg, out);
    if (strcmp(command, "reset-stats") == 0) {
        supervisor_control_reset_stats(&view);
        (void)sl_buf_append_str(out, "{\"ok\":true}");
        return 200;
    }
    if (strcmp(command, "drain") == 0)
        return s_drain_start(self, out);
    if (strcmp(command, "reload") == 0)
        return s_reload(self, out);
    (void)sl_buf_append_str(out, "{\"error\":\"unknown command '");
    (void)sl_buf_append_json_str(out, command, strlen(command));
    (void)sl_buf_append_str(out, "': status, circuits, metrics, open KEY, close KEY, reset "
                                 "[KEY], reset-stats, drain, reload, validate\"}");
    return 400;
}

static int
s_control_msg(void *arg, zframe_t **from_p, zframe_t **frame_p, sl_msg_t *msg)
{
    (void)frame_p;
    supervisor_t *self = arg;
    if (msg->type != SL_MSG_CTL) {
        sl_log_warn_rl("control: unexpected %s, dropped", sl_wire_type_name(msg->type));
        return 0;
    }
    char command[32], key[SUPERVISOR_CIRCUIT_MAX_KEY + 1];
    sl_buf_t out;
    sl_buf_init(&out, SUPERVISOR_CONTROL_MAX_REPLY);
    int status = 400;
    uint8_t given[SL_SHA256_LEN];
    sl_sha256(msg->auth.ptr ? msg->auth.ptr : "", msg->auth.len, given);
    if (self->control_keyed && !sl_sha256_equal(given, self->control_key)) {
        status = 401;
        (void)sl_buf_append_str(&out, "{\"error\":\"the control socket is on tcp: every "
                                      "command needs the admin key (admin.key_env)\"}");
        sl_log_warn_rl("control: a command without the admin key refused");
    } else if (msg->name.len >= sizeof command || msg->text.len >= sizeof key
               || memchr(msg->name.ptr, 0, msg->name.len)
               || memchr(msg->text.ptr, 0, msg->text.len)) {
        (void)sl_buf_append_str(&out, "{\"error\":\"command or argument too long\"}");
    } else {
        memcpy(command, msg->name.ptr, msg->name.len);
        command[msg->name.len] = '\0';
        memcpy(key, msg->text.ptr, msg->text.len);
        key[msg->text.len] = '\0';
        status = s_command(self, command, key, *from_p, msg->seq, &out);
        sl_log_debug("control: %s %s -> %d", command, key, status);
    }
    if (status != 0)
        s_reply(self, *from_p, msg->seq, status, &out);
    sl_buf_free(&out);
    return 0;
}

static void
s_reply(supervisor_t *self, zframe_t *to, uint64_t seq, int status, const sl_buf_t *out)
{
    sl_msg_t reply = {.type = SL_MSG_CTL_REPLY,
                      .seq = seq,
                      .status = (uint32_t)status,
                      .text = sl_strn(out->data ? out->data : "", (uint32_t)out->len)};
    int rc = sl_sock_send(self->control, to, &reply);
    if (rc < 0)
        sl_log_warn_rl("control: reply not sent: %s", sl_strerror(rc));
}

static int
s_on_control(zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    sl_sock_drain(reader, S_EVENTS_PER_WAKE, s_control_msg, arg);
    return 0;
}

// SIGTERM every child, give them S_STOP_GRACE_MS, SIGKILL the rest and reap everyone.
static void
s_stop_children(supervisor_t *self)
{
    for (size_t i = 0; i < self->n_children; i++)
        if (supervisor_child_kill(self->children[i], SIGTERM) < 0)
            sl_log_error("cannot signal name=%s: %s", supervisor_child_name(self->children[i]),
                         strerror(errno));
    int64_t deadline_ms = sl_clock_mono_ms() + S_STOP_GRACE_MS;
    bool killed = false;
    for (;;) {
        size_t running = 0;
        for (size_t i = 0; i < self->n_children; i++) {
            (void)s_reap(self->children[i]); // logs the exit; no restart now
            if (supervisor_child_is_running(self->children[i]))
                running++;
        }
        if (running == 0)
            break;
        if (sl_clock_mono_ms() >= deadline_ms) {
            if (killed)
                break; // supervisor_child_destroy blocks on whatever is left
            for (size_t i = 0; i < self->n_children; i++) {
                supervisor_child_t *child = self->children[i];
                if (!supervisor_child_is_running(child))
                    continue;
                sl_log_warn("child did not stop in %d ms, killing name=%s pid=%d", S_STOP_GRACE_MS,
                            supervisor_child_name(child), (int)supervisor_child_pid(child));
                (void)supervisor_child_kill(child, SIGKILL); // failure: destroy retries
            }
            killed = true;
            deadline_ms = sl_clock_mono_ms() + S_KILL_WAIT_MS;
        }
        s_sleep_ms(S_STOP_POLL_MS);
    }
}

supervisor_t *
supervisor_new(const sl_config_t *cfg, const char *bin_dir)
{
    assert(cfg && bin_dir);
    supervisor_t *self = sl_xcalloc(1, sizeof *self);
    self->cfg = cfg;
    self->bin_dir = sl_xstrdup(bin_dir);
    self->last_state = -1;
    self->started_ms = sl_clock_mono_ms();
    char up_id[64]; // the children inherit it (sl/main.h): persist tells a new sluice by it
    snprintf(up_id, sizeof up_id, "%d-%lld", (int)getpid(), (long long)sl_clock_wall_ms());
    setenv(SL_UP_ID_ENV, up_id, 1);
    int64_t liveness_ms = cfg->heartbeat_ms * (int64_t)cfg->liveness_beats;
    int64_t start_ms = cfg->heartbeat_ms * S_START_BEATS;
    self->policy = (supervisor_child_policy_t){
        .restart_base_ms = cfg->restart_base_ms,
        .restart_max_ms = cfg->restart_max_ms,
        .restart_calm_ms = cfg->restart_calm_ms,
        .liveness_ms = liveness_ms,
        .start_timeout_ms = start_ms > S_START_MIN_MS ? start_ms : S_START_MIN_MS,
    };
    // Twice a heartbeat at least, so a hang is seen within about liveness + heartbeat / 2.
    self->tick_ms = cfg->heartbeat_ms / 2;
    if (self->tick_ms > S_TICK_MAX_MS)
        self->tick_ms = S_TICK_MAX_MS;
    if (self->tick_ms < S_TICK_MIN_MS)
        self->tick_ms = S_TICK_MIN_MS;
    if (s_add_children(self) < 0)
        goto fail;
    int rc = sl_fs_mkdir_p(cfg->data_dir, 0700);
    if (rc < 0) {
        sl_log_error("cannot create data_dir %s: %s", cfg->data_dir,
                     rc == SL_ESYS ? strerror(errno) : sl_strerror(rc));
        goto fail;
    }
    rc = sl_fs_mkdir_p(cfg->run_dir, 0700);
    if (rc < 0) {
        sl_log_error("cannot create run_dir %s: %s", cfg->run_dir,
                     rc == SL_ESYS ? strerror(errno) : sl_strerror(rc));
        goto fail;
    }
    if (supervisor_rundir_is_live(cfg->ep_control)) {
        sl_log_error("another sluice is running: %s answers (run_dir %s)", cfg->ep_control,
                     cfg->run_dir);
        goto fail;
    }
    self->owns_run_dir = true;
    rc = supervisor_rundir_remove_ipc(cfg);
    if (rc > 0)
        sl_log_info("removed %d stale ipc files in %s", rc, cfg->run_dir);
    else if (rc < 0)
        sl_log_warn("cannot read run_dir %s: %s", cfg->run_dir, strerror(errno));
    self->events = sl_sock_bind(ZMQ_PULL, cfg->ep_events, SL_SOCK_HWM);
    self->state = sl_sock_bind(ZMQ_PUB, cfg->ep_state, SL_SOCK_HWM);
    if (strncmp(cfg->ep_control, "tcp://", 6) == 0) {
        // Off the host, the run directory's permissions protect nothing: the admin key does.
        const char *key = cfg->admin_key_env ? getenv(cfg->admin_key_env) : NULL;
        if (!key || !*key) {
            sl_log_error("endpoints.control is on tcp, but admin.key_env names no set variable: "
                         "set it, or keep the control socket on ipc");
            goto fail;
        }
        sl_sha256(key, strlen(key), self->control_key);
        self->control_keyed = true;
    }
    self->control = sl_sock_bind(ZMQ_ROUTER, cfg->ep_control, SL_SOCK_HWM);
    if (!self->events || !self->state || !self->control)
        goto fail; // logged by sl_sock_bind with the endpoint
    self->breakers = supervisor_breakers_new(cfg, self->state, NULL);
    self->stats = supervisor_stats_new(self->n_children);
    self->loop = zloop_new();
    if (!self->loop)
        goto fail;
    if (zloop_reader(self->loop, self->events, s_on_events, self) < 0
        || zloop_reader(self->loop, self->control, s_on_control, self) < 0
        || zloop_timer(self->loop, (size_t)self->tick_ms, 0, s_on_tick, self) < 0
        || zloop_timer(self->loop, S_STATE_EVERY_MS, 0, s_on_state_timer, self) < 0) {
        sl_log_error("cannot set up the loop");
        goto fail;
    }
    sl_log_info("bound events=%s state=%s control=%s children=%zu liveness_ms=%lld tick_ms=%lld",
                cfg->ep_events, cfg->ep_state, cfg->ep_control, self->n_children,
                (long long)liveness_ms, (long long)self->tick_ms);
    return self;
fail:
    supervisor_destroy(&self);
    return NULL;
}

void
supervisor_destroy(supervisor_t **self_p)
{
    assert(self_p);
    supervisor_t *self = *self_p;
    if (!self)
        return;
    zloop_destroy(&self->loop);
    bool running = false;
    for (size_t i = 0; i < self->n_children; i++)
        running = running || supervisor_child_is_running(self->children[i]);
    if (running)
        s_stop_children(self);
    for (size_t i = 0; i < self->n_children; i++)
        supervisor_child_destroy(&self->children[i]);
    supervisor_breakers_destroy(&self->breakers);
    supervisor_stats_destroy(&self->stats);
    supervisor_validate_destroy(&self->validate);
    zframe_destroy(&self->validate_to);
    zsock_destroy(&self->control);
    zsock_destroy(&self->state);
    zsock_destroy(&self->events);
    // Every child is gone and our sockets are closed: what is left in run_dir is stale.
    if (self->owns_run_dir && supervisor_rundir_remove_ipc(self->cfg) < 0)
        sl_log_warn("cannot read run_dir %s: %s", self->cfg->run_dir, strerror(errno));
    free(self->bin_dir);
    free(self);
    *self_p = NULL;
}

int
supervisor_run(supervisor_t *self)
{
    assert(self);
    for (size_t i = 0; i < self->n_children && !zsys_interrupted; i++) {
        supervisor_child_t *child = self->children[i];
        if (supervisor_child_spawn(child) < 0) {
            sl_log_error("cannot start name=%s path=%s: %s", supervisor_child_name(child),
                         supervisor_child_path(child), strerror(errno));
            self->failed = true;
            break;
        }
        sl_log_info("child started name=%s pid=%d", supervisor_child_name(child),
                    (int)supervisor_child_pid(child));
    }
    if (!self->failed && !zsys_interrupted) {
        s_update_state(self, true);
        // Returns on SIGINT/SIGTERM (zsys_interrupted) or when a handler returns -1.
        if (zloop_start(self->loop) < 0)
            sl_log_debug("loop ended by a handler");
    }
    sl_log_info("stopping %zu children", self->n_children);
    s_stop_children(self);
    sl_log_info("stopped%s", self->failed ? " after a failure" : "");
    return self->failed ? SL_ESYS : 0;
}

int
supervisor_bin_dir(char *out, size_t out_size)
{
    assert(out && out_size > 0);
    const char *env = getenv("SLUICE_BIN_DIR");
    if (env && *env) {
        if (strlen(env) >= out_size)
            return SL_ETOOBIG;
        memcpy(out, env, strlen(env) + 1);
        return 0;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n < 0)
        return SL_ESYS;
    if ((size_t)n >= sizeof exe - 1)
        return SL_ETOOBIG;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return SL_ESYS; // the kernel always gives an absolute path
    if (slash == exe)
        slash++; // the binary sits in /
    *slash = '\0';
    if (strlen(exe) >= out_size)
        return SL_ETOOBIG;
    memcpy(out, exe, strlen(exe) + 1);
    return 0;
}

char *
supervisor_banner(const sl_config_t *cfg)
{
    assert(cfg);
    sl_buf_t b;
    sl_buf_init(&b, S_BANNER_MAX);
    // A failed append (ETOOBIG) leaves the buffer as it was: the line is cut, never broken.
    (void)sl_buf_printf(&b, "sluice is up: http://%s  models: ", cfg->http_listen);
    for (size_t i = 0; i < cfg->n_routes; i++) {
        if (b.len > S_BANNER_MODELS_AT) {
            (void)sl_buf_append_str(&b, ", ...");
            break;
        }
        (void)sl_buf_printf(&b, "%s%s", i ? ", " : "", cfg->routes[i].model);
    }
    if (cfg->n_routes == 0)
        (void)sl_buf_append_str(&b, "(none)");
    // A connection string may hold a password: the banner names the backend only.
    const char *store = cfg->persist_backend && strcmp(cfg->persist_backend, "postgres") == 0
                            ? "postgres"
                            : cfg->persist_path;
    size_t dir_len = strlen(cfg->data_dir);
    if (strncmp(store, cfg->data_dir, dir_len) == 0 && store[dir_len] == '/')
        store += dir_len + 1;
    (void)sl_buf_printf(&b, "  data: %s (%s)", cfg->data_dir, store);
    char *line = sl_xstrdup(sl_buf_str(&b));
    sl_buf_free(&b);
    return line;
}
