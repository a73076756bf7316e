// circuit_test.c - the circuit breakers on a fake clock: the count and ratio rules over the
// sliding window, which error classes count, the cooldown to the exact millisecond and its
// doubling, probe slots, independent keys, manual control, transition reports and the
// table's bound.
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "circuit.h"
#include "sl/clock.h"
#include "sl/err.h"
#include "sl/wire.h"

// Start on a bucket boundary (window 30 s: buckets of 3 s), so times below read as offsets.
#define T0 3000000

// What the transition callback saw, in call order: "key:old>new".
typedef struct {
    char lines[64][80];
    size_t n;
} tr_log_t;

static void
s_log_transition(void *arg,
                 const char *key,
                 supervisor_circuit_state_t old_state,
                 supervisor_circuit_state_t new_state)
{
    tr_log_t *log = arg;
    CHECK(log->n < 64);
    snprintf(log->lines[log->n++], 80, "%s:%s>%s", key, supervisor_circuit_state_name(old_state),
             supervisor_circuit_state_name(new_state));
}

// Check that log holds exactly the n lines in want, then empty it.
static void
s_expect(tr_log_t *log, const char *const *want, size_t n)
{
    for (size_t i = 0; i < n && i < log->n; i++)
        CHECK_STR(log->lines[i], want[i]);
    CHECK_INT(log->n, ==, n);
    log->n = 0;
}

static supervisor_circuit_state_t
s_state(supervisor_circuit_t *c, const char *key)
{
    supervisor_circuit_info_t info;
    CHECK_INT(supervisor_circuit_info(c, key, &info), ==, 0);
    return info.state;
}

static supervisor_circuit_info_t
s_info(supervisor_circuit_t *c, const char *key)
{
    supervisor_circuit_info_t info;
    CHECK_INT(supervisor_circuit_info(c, key, &info), ==, 0);
    CHECK_STR(info.key, key);
    return info;
}

static void
s_record_n(supervisor_circuit_t *c, const char *key, sl_errclass_t errclass, int n)
{
    for (int i = 0; i < n; i++)
        CHECK_INT(supervisor_circuit_record(c, key, errclass), ==, 0);
}

static void
test_cfg(void)
{
    supervisor_circuit_cfg_t cfg;
    supervisor_circuit_cfg_defaults(&cfg);
    CHECK_INT(cfg.window_ms, ==, 30000);
    CHECK_INT(cfg.min_failures, ==, 5);
    CHECK_INT(cfg.failure_ratio_pct, ==, 50);
    CHECK_INT(cfg.min_calls, ==, 10);
    CHECK_INT(cfg.cooldown_ms, ==, 30000);
    CHECK_INT(cfg.cooldown_max_ms, ==, 300000);
    CHECK_INT(cfg.probes, ==, 1);
    CHECK_INT(cfg.probe_timeout_ms, ==, 660000);
    const char *field = "x";
    CHECK_INT(supervisor_circuit_cfg_check(&cfg, &field), ==, 0);
    CHECK(field == NULL);

    // Each field out of range is named; the table refuses such a config.
    static const struct {
        const char *field;
        int64_t window_ms, cooldown_ms, cooldown_max_ms, probe_timeout_ms;
        uint32_t ratio, min_calls, probes;
    } bad[] = {
        {"window_ms", 9, 30000, 300000, 1, 50, 10, 1},
        {"failure_ratio_pct", 30000, 30000, 300000, 1, 101, 10, 1},
        {"min_calls", 30000, 30000, 300000, 1, 50, 0, 1},
        {"cooldown_ms", 30000, 0, 300000, 1, 50, 10, 1},
        {"cooldown_max_ms", 30000, 30000, 29999, 1, 50, 10, 1},
        {"probes", 30000, 30000, 300000, 1, 50, 10, 0},
        {"probe_timeout_ms", 30000, 30000, 300000, 0, 50, 10, 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        supervisor_circuit_cfg_t b = cfg;
        b.window_ms = bad[i].window_ms;
        b.cooldown_ms = bad[i].cooldown_ms;
        b.cooldown_max_ms = bad[i].cooldown_max_ms;
        b.probe_timeout_ms = bad[i].probe_timeout_ms;
        b.failure_ratio_pct = bad[i].ratio;
        b.min_calls = bad[i].min_calls;
        b.probes = bad[i].probes;
        CHECK_INT(supervisor_circuit_cfg_check(&b, &field), ==, SL_ECONFIG);
        CHECK_STR(field, bad[i].field);
        CHECK(supervisor_circuit_new(&b, NULL) == NULL);
    }
    // Both rules off is allowed: such breakers open only by hand.
    cfg.min_failures = 0;
    cfg.failure_ratio_pct = 0;
    CHECK_INT(supervisor_circuit_cfg_check(&cfg, NULL), ==, 0);

    CHECK_STR(supervisor_circuit_state_name(SUPERVISOR_CIRCUIT_CLOSED), "closed");
    CHECK_STR(supervisor_circuit_state_name(SUPERVISOR_CIRCUIT_OPEN), "open");
    CHECK_STR(supervisor_circuit_state_name(SUPERVISOR_CIRCUIT_HALF_OPEN), "half_open");
    CHECK_STR(supervisor_circuit_state_name(SUPERVISOR_CIRCUIT_FORCED_OPEN), "forced_open");
    CHECK_STR(supervisor_circuit_state_name((supervisor_circuit_state_t)9), "unknown");

    supervisor_circuit_t *c = supervisor_circuit_new(NULL, NULL); // defaults, real clock
    CHECK(c);
    supervisor_circuit_destroy(&c);
    CHECK(c == NULL);
    supervisor_circuit_destroy(&c); // a second destroy is a no-op
}

// Five failures within 30 s open the breaker on the fifth; five spread wider do not.
static void
test_count_rule(void)
{
    sl_clock_t clock = {.fake = 1, .fake_mono_ms = T0};
    supervisor_circuit_t *c = supervisor_circuit_new(NULL, &clock);
    tr_log_t log = {0};
    supervisor_circuit_on_transition(c, s_log_transition, &log);

    CHECK(supervisor_circuit_admit(c, "openai")); // no breaker yet: admitted
    CHECK_INT(supervisor_circuit_size(c), ==, 0);
    for (int i = 0; i < 4; i++) {
        CHECK_INT(supervisor_circuit_record(c, "openai", SL_ERRCLASS_PROVIDER_DOWN), ==, 0);
        CHECK_INT(s_state(c, "openai"), ==, SUPERVISOR_CIRCUIT_CLOSED);
        CHECK(supervisor_circuit_admit(c, "openai"));
        sl_clock_advance_ms(&clock, 6000);
    }
    CHECK_INT(log.n, ==, 0);
    // t = 24 s: the fifth failure, the first still 24 s old.
    supervisor_circuit_info_t info = s_info(c, "openai");
    CHECK_INT(info.failures, ==, 4);
    CHECK_INT(info.calls, ==, 4);
    CHECK_INT(supervisor_circuit_record(c, "openai", SL_ERRCLASS_TIMEOUT), ==, 0);
    info = s_info(c, "openai");
    CHECK_INT(info.state, ==, SUPERVISOR_CIRCUIT_OPEN);
    CHECK_INT(info.failures, ==, 5);
    CHECK_INT(info.consecutive_opens, ==, 1);
    CHECK_INT(info.next_probe_ms, ==, T0 + 24000 + 30000);
    CHECK(!supervisor_circuit_admit(c, "openai"));
    const char *const opened[] = {"openai:closed>open"};
    s_expect(&log, opened, 1);
    supervisor_circuit_destroy(&c);

    // One failure every 8 s: the window never holds five. The sixth, 1 s after the fifth,
    // finds the four before it (8, 16, 24, 32 s) still inside and opens.
    clock.fake_mono_ms = T0;
    c = supervisor_circuit_new(NULL, &clock);
    supervisor_circuit_on_transition(c, s_log_transition, &log);
    for (int i = 0; i < 5; i++) {
        if (i)
            sl_clock_advance_ms(&clock, 8000);
        CHECK_INT(supervisor_circuit_record(c, "openai", SL_ERRCLASS_RATE_LIMIT), ==, 0);
    }
    info = s_info(c, "openai");
    CHECK_INT(info.state, ==, SUPERVISOR_CIRCUIT_CLOSED);
    CHECK_INT(info.failures, ==, 4); // the one at 0 s aged out at 30 s
    CHECK_INT(log.n, ==, 0);
    sl_clock_advance_ms(&clock, 1000);
    CHECK_INT(supervisor_circuit_record(c, "openai", SL_ERRCLASS_RATE_LIMIT), ==, 0);
    CHECK_INT(s_state(c, "openai"), ==, SUPERVISOR_CIRCUIT_OPEN);
    s_expect(&log, opened, 1);
    supervisor_circuit_destroy(&c);

    // The window's edge: an outcome at the start of a bucket counts for exactly 30 s; one at
    // its end for 27 s and 1 ms (buckets of window / 10).
    clock.fake_mono_ms = T0;
    c = supervisor_circuit_new(NULL, &clock);
    s_record_n(c, "k", SL_ERRCLASS_PROVIDER_DOWN, 1);
    sl_clock_advance_ms(&clock, 2999);
    s_record_n(c, "k", SL_ERRCLASS_PROVIDER_DOWN, 1);
    CHECK_INT(s_info(c, "k").failures, ==, 2);
    clock.fake_mono_ms = T0 + 29999;
    CHECK_INT(s_info(c, "k").failures, ==, 2);
    clock.fake_mono_ms = T0 + 30000;
    CHECK_INT(s_info(c, "k").failures, ==, 0);
    CHECK_INT(s_info(c, "k").calls, ==, 0);
    supervisor_circuit_destroy(&c);
}

// failures * 100 >= 50 * calls with calls >= 10; count rule out of the way.
static void
test_ratio_rule(void)
{
    sl_clock_t clock = {.fake = 1, .fake_mono_ms = T0};
    supervisor_circuit_cfg_t cfg;
    supervisor_circuit_cfg_defaults(&cfg);
    cfg.min_failures = 0;
    supervisor_circuit_t *c = supervisor_circuit_new(&cfg, &clock);

    // 5 successes, 4 failures: 9 calls. The fifth failure makes 5 of 10.
    s_record_n(c, "a", SL_ERRCLASS_NONE, 5);
    s_record_n(c, "a", SL_ERRCLASS_PROVIDER_DOWN, 4);
    CHECK_INT(s_state(c, "a"), ==, SUPERVISOR_CIRCUIT_CLOSED);
    s_record_n(c, "a", SL_ERRCLASS_PROVIDER_DOWN, 1);
    supervisor_circuit_info_t info = s_info(c, "a");
    CHECK_INT(info.state, ==, SUPERVISOR_CIRCUIT_OPEN);
    CHECK_INT(info.calls, ==, 10);
    CHECK_INT(info.failures, ==, 5);

    // Below min_calls nothing opens, even at 100 %.
    s_record_n(c, "b", SL_ERRCLASS_TIMEOUT, 9);
    CHECK_INT(s_state(c, "b"), ==, SUPERVISOR_CIRCUIT_CLOSED);
    s_record_n(c, "b", SL_ERRCLASS_TIMEOUT, 1);
    CHECK_INT(s_state(c, "b"), ==, SUPERVISOR_CIRCUIT_OPEN);

    // A success that completes 5 of 10 does not open; the next failure (6 of 11) does.
    s_record_n(c, "c", SL_ERRCLASS_PROVIDER_DOWN, 5);
    s_record_n(c, "c", SL_ERRCLASS_NONE, 5);
    info = s_info(c, "c");
    CHECK_INT(info.state, ==, SUPERVISOR_CIRCUIT_CLOSED);
    CHECK_INT(info.calls, ==, 10);
    s_record_n(c, "c", SL_ERRCLASS_PROVIDER_DOWN, 1);
    CHECK_INT(s_state(c, "c"), ==, SUPERVISOR_CIRCUIT_OPEN);

    // Under the ratio: 4 of 10, 5 of 11 stay closed; 6 of 12 opens.
    s_record_n(c, "d", SL_ERRCLASS_NONE, 6);
    s_record_n(c, "d", SL_ERRCLASS_RATE_LIMIT, 4);
    CHECK_INT(s_state(c, "d"), ==, SUPERVISOR_CIRCUIT_CLOSED);
    s_record_n(c, "d", SL_ERRCLASS_RATE_LIMIT, 1);
    CHECK_INT(s_state(c, "d"), ==, SUPERVISOR_CIRCUIT_CLOSED);
    s_record_n(c, "d", SL_ERRCLASS_RATE_LIMIT, 1);
    CHECK_INT(s_state(c, "d"), ==, SUPERVISOR_CIRCUIT_OPEN);
    supervisor_circuit_destroy(&c);

    // With the defaults both rules apply: 4 failures among 100 successes stay closed; the
    // count rule opens at the fifth.
    c = supervisor_circuit_new(NULL, &clock);
    s_record_n(c, "e", SL_ERRCLASS_NONE, 100);
    s_record_n(c, "e", SL_ERRCLASS_PROVIDER_DOWN, 4);
    CHECK_INT(s_state(c, "e"), ==, SUPERVISOR_CIRCUIT_CLOSED);
    s_record_n(c, "e", SL_ERRCLASS_PROVIDER_DOWN, 1);
    CHECK_INT(s_state(c, "e"), ==, SUPERVISOR_CIRCUIT_OPEN);
    supervisor_circuit_destroy(&c);
}

// FATAL, USER_ABORT and INTERNAL count neither as calls nor as failures; bad input is refused.
static void
test_ignored_classes(void)
{
    sl_clock_t clock = {.fake = 1, .fake_mono_ms = T0};
    supervisor_circuit_cfg_t cfg;
    supervisor_circuit_cfg_defaults(&cfg);
    supervisor_circuit_t *c = supervisor_circuit_new(&cfg, &clock);

    // On a key without a breaker they create none.
    s_record_n(c, "x", SL_ERRCLASS_FATAL, 3);
    s_record_n(c, "x", SL_ERRCLASS_USER_ABORT, 3);
    s_record_n(c, "x", SL_ERRCLASS_INTERNAL, 3);
    CHECK_INT(supervisor_circuit_size(c), ==, 0);
    supervisor_circuit_info_t info;
    CHECK_INT(supervisor_circuit_info(c, "x", &info), ==, SL_ENOTFOUND);

    s_record_n(c, "x", SL_ERRCLASS_PROVIDER_DOWN, 4);
    for (int i = 0; i < 20; i++) {
        s_record_n(c, "x", SL_ERRCLASS_FATAL, 1);
        s_record_n(c, "x", SL_ERRCLASS_USER_ABORT, 1);
        s_record_n(c, "x", SL_ERRCLASS_INTERNAL, 1);
    }
    info = s_info(c, "x");
    CHECK_INT(info.state, ==, SUPERVISOR_CIRCUIT_CLOSED);
    CHECK_INT(info.calls, ==, 4);
    CHECK_INT(info.failures, ==, 4);
    s_record_n(c, "x", SL_ERRCLASS_PROVIDER_DOWN, 1);
    CHECK_INT(s_state(c, "x"), ==, SUPERVISOR_CIRCUIT_OPEN);

    // Bad keys and classes are values, not crashes.
    char longkey[SUPERVISOR_CIRCUIT_MAX_KEY + 2];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    CHECK_INT(supervisor_circuit_record(c, longkey, SL_ERRCLASS_NONE), ==, SL_EINVAL);
    longkey[SUPERVISOR_CIRCUIT_MAX_KEY] = '\0'; // exactly the longest
    CHECK_INT(supervisor_circuit_record(c, longkey, SL_ERRCLASS_NONE), ==, 0);
    CHECK_INT(supervisor_circuit_record(c, "", SL_ERRCLASS_NONE), ==, SL_EINVAL);
    CHECK_INT(supervisor_circuit_record(c, NULL, SL_ERRCLASS_NONE), ==, SL_EINVAL);
    CHECK_INT(supervisor_circuit_record(c, "y", SL_ERRCLASS_MAX_), ==, SL_EINVAL);
    CHECK_INT(supervisor_circuit_record(c, "y", (sl_errclass_t)-1), ==, SL_EINVAL);
    CHECK_INT(supervisor_circuit_size(c), ==, 2); // "x" and the longest key
    CHECK(supervisor_circuit_admit(c, NULL));
    CHECK(supervisor_circuit_admit(c, ""));
    supervisor_circuit_destroy(&c);
}

// OPEN refuses until exactly cooldown_ms; HALF_OPEN admits `probes`; a failed probe doubles
// the cooldown up to the cap; a good one closes and starts over.
static void
test_cooldown_and_probes(void)
{
    sl_clock_t clock = {.fake = 1, .fake_mono_ms = T0};
    supervisor_circuit_cfg_t cfg;
    supervisor_circuit_cfg_defaults(&cfg);
    cfg.probes = 2;
    cfg.cooldown_max_ms = 100000;
    supervisor_circuit_t *c = supervisor_circuit_new(&cfg, &clock);
    tr_log_t log = {0};
    supervisor_circuit_on_transition(c, s_log_transition, &log);

    s_record_n(c, "p", SL_ERRCLASS_PROVIDER_DOWN, 5);
    CHECK_INT(s_info(c, "p").next_probe_ms, ==, T0 + 30000);
    // Late outcomes of attempts made before it opened change nothing.
    s_record_n(c, "p", SL_ERRCLASS_NONE, 3);
    s_record_n(c, "p", SL_ERRCLASS_PROVIDER_DOWN, 3);
    CHECK_INT(s_state(c, "p"), ==, SUPERVISOR_CIRCUIT_OPEN);
    CHECK_INT(s_info(c, "p").consecutive_opens, ==, 1);

    sl_clock_advance_ms(&clock, 29999);
    CHECK(!supervisor_circuit_admit(c, "p"));
    CHECK_INT(supervisor_circuit_tick(c), ==, 0);
    CHECK_INT(s_state(c, "p"), ==, SUPERVISOR_CIRCUIT_OPEN);
    sl_clock_advance_ms(&clock, 1);
    CHECK_INT(supervisor_circuit_tick(c), ==, 1);
    CHECK_INT(supervisor_circuit_tick(c), ==, 0);
    supervisor_circuit_info_t info = s_info(c, "p");
    CHECK_INT(info.state, ==, SUPERVISOR_CIRCUIT_HALF_OPEN);
    CHECK_INT(info.next_probe_ms, ==, 0);

    // Two probes at once, no third; an outcome that does not count frees its slot only.
    CHECK(supervisor_circuit_admit(c, "p"));
    CHECK(supervisor_circuit_admit(c, "p"));
    CHECK(!supervisor_circuit_admit(c, "p"));
    CHECK_INT(s_info(c, "p").probes_out, ==, 2);
    s_record_n(c, "p", SL_ERRCLASS_USER_ABORT, 1);
    CHECK_INT(s_state(c, "p"), ==, SUPERVISOR_CIRCUIT_HALF_OPEN);
    CHECK_INT(s_info(c, "p").probes_out, ==, 1);
    CHECK(supervisor_circuit_admit(c, "p"));
    CHECK(!supervisor_circuit_admit(c, "p"));

    // A failed probe: open again for 60 s, then 100 s (120 capped), then 100 s again.
    int64_t want_ms[] = {60000, 100000, 100000};
    for (int i = 0; i < 3; i++) {
        s_record_n(c, "p", SL_ERRCLASS_TIMEOUT, 1);
        info = s_info(c, "p");
        CHECK_INT(info.state, ==, SUPERVISOR_CIRCUIT_OPEN);
        CHECK_INT(info.consecutive_opens, ==, 2 + i);
        CHECK_INT(info.probes_out, ==, 0);
        CHECK_INT(info.next_probe_ms, ==, clock.fake_mono_ms + want_ms[i]);
        sl_clock_advance_ms(&clock, want_ms[i] - 1);
        CHECK(!supervisor_circuit_admit(c, "p"));
        sl_clock_advance_ms(&clock, 1);
        CHECK(supervisor_circuit_admit(c, "p")); // half-opens lazily, on the admit itself
        CHECK_INT(s_state(c, "p"), ==, SUPERVISOR_CIRCUIT_HALF_OPEN);
    }

    // A good probe closes it: empty window, no consecutive opens, base cooldown next time.
    s_record_n(c, "p", SL_ERRCLASS_NONE, 1);
    info = s_info(c, "p");
    CHECK_INT(info.state, ==, SUPERVISOR_CIRCUIT_CLOSED);
    CHECK_INT(info.calls, ==, 0);
    CHECK_INT(info.failures, ==, 0);
    CHECK_INT(info.consecutive_opens, ==, 0);
    CHECK_INT(info.probes_out, ==, 0);
    s_record_n(c, "p", SL_ERRCLASS_PROVIDER_DOWN, 4);
    CHECK_INT(s_state(c, "p"), ==, SUPERVISOR_CIRCUIT_CLOSED);
    s_record_n(c, "p", SL_ERRCLASS_PROVIDER_DOWN, 1);
    CHECK_INT(s_info(c, "p").next_probe_ms, ==, clock.fake_mono_ms + 30000);

    const char *const want[] = {
        "p:closed>open",      "p:open>half_open", "p:half_open>open", "p:open>half_open",
        "p:half_open>open",   "p:open>half_open", "p:half_open>open", "p:open>half_open",
        "p:half_open>closed", "p:closed>open",
    };
    s_expect(&log, want, sizeof want / sizeof want[0]);

    // Reservations whose outcome never comes lapse probe_timeout_ms after the last one.
    sl_clock_advance_ms(&clock, 30000);
    CHECK(supervisor_circuit_admit(c, "p"));
    sl_clock_advance_ms(&clock, 1000);
    CHECK(supervisor_circuit_admit(c, "p"));
    CHECK(!supervisor_circuit_admit(c, "p"));
    sl_clock_advance_ms(&clock, cfg.probe_timeout_ms - 1);
    CHECK(!supervisor_circuit_admit(c, "p"));
    sl_clock_advance_ms(&clock, 1);
    CHECK_INT(s_info(c, "p").probes_out, ==, 0);
    CHECK(supervisor_circuit_admit(c, "p"));
    CHECK_INT(s_info(c, "p").probes_out, ==, 1);
    CHECK_INT(s_state(c, "p"), ==, SUPERVISOR_CIRCUIT_HALF_OPEN);
    supervisor_circuit_destroy(&c);
}

// The breaker of a provider and those of its models keep their own counts and states.
static void
test_independent_keys(void)
{
    sl_clock_t clock = {.fake = 1, .fake_mono_ms = T0};
    supervisor_circuit_t *c = supervisor_circuit_new(NULL, &clock);
    tr_log_t log = {0};
    supervisor_circuit_on_transition(c, s_log_transition, &log);

    // Three failures on one model and two on another: the provider has five, each model not.
    for (int i = 0; i < 3; i++)
        CHECK_INT(
            supervisor_circuit_record_target(c, "openai", "gpt-4o", SL_ERRCLASS_PROVIDER_DOWN), ==,
            0);
    for (int i = 0; i < 2; i++)
        CHECK_INT(
            supervisor_circuit_record_target(c, "openai", "gpt-4o-mini", SL_ERRCLASS_PROVIDER_DOWN),
            ==, 0);
    CHECK_INT(s_state(c, "openai"), ==, SUPERVISOR_CIRCUIT_OPEN);
    CHECK_INT(s_info(c, "openai/gpt-4o").failures, ==, 3);
    CHECK_INT(s_state(c, "openai/gpt-4o"), ==, SUPERVISOR_CIRCUIT_CLOSED);
    CHECK_INT(s_info(c, "openai/gpt-4o-mini").failures, ==, 2);
    CHECK(supervisor_circuit_admit(c, "openai/gpt-4o"));
    CHECK(!supervisor_circuit_admit_target(c, "openai", "gpt-4o"));
    CHECK(!supervisor_circuit_admit_target(c, "openai", NULL));

    // A model's breaker alone: the provider's stays closed.
    s_record_n(c, "anthropic/claude", SL_ERRCLASS_RATE_LIMIT, 5);
    CHECK_INT(s_state(c, "anthropic/claude"), ==, SUPERVISOR_CIRCUIT_OPEN);
    supervisor_circuit_info_t info;
    CHECK_INT(supervisor_circuit_info(c, "anthropic", &info), ==, SL_ENOTFOUND);
    CHECK(supervisor_circuit_admit(c, "anthropic"));
    CHECK(supervisor_circuit_admit_target(c, "anthropic", "haiku"));
    CHECK(!supervisor_circuit_admit_target(c, "anthropic", "claude"));
    const char *const opened[] = {"openai:closed>open", "anthropic/claude:closed>open"};
    s_expect(&log, opened, 2);

    // Provider HALF_OPEN, model OPEN: refused, and the provider's probe slot is not taken.
    sl_clock_advance_ms(&clock, 30000);
    CHECK_INT(supervisor_circuit_tick(c), ==, 2);
    s_record_n(c, "anthropic", SL_ERRCLASS_PROVIDER_DOWN, 5);
    sl_clock_advance_ms(&clock, 30000);
    CHECK_INT(supervisor_circuit_tick(c), ==, 1); // anthropic half-opens
    CHECK_INT(supervisor_circuit_record(c, "anthropic/claude", SL_ERRCLASS_TIMEOUT), ==, 0);
    CHECK_INT(s_state(c, "anthropic/claude"), ==, SUPERVISOR_CIRCUIT_OPEN);
    CHECK(!supervisor_circuit_admit_target(c, "anthropic", "claude"));
    CHECK_INT(s_info(c, "anthropic").probes_out, ==, 0);
    // Both HALF_OPEN: one admit takes a slot in each.
    sl_clock_advance_ms(&clock, 60000);
    CHECK(supervisor_circuit_admit_target(c, "anthropic", "claude"));
    CHECK_INT(s_info(c, "anthropic").probes_out, ==, 1);
    CHECK_INT(s_info(c, "anthropic/claude").probes_out, ==, 1);
    CHECK(!supervisor_circuit_admit_target(c, "anthropic", "claude"));
    CHECK_INT(supervisor_circuit_record_target(c, "anthropic", "claude", SL_ERRCLASS_NONE), ==, 0);
    CHECK_INT(s_state(c, "anthropic"), ==, SUPERVISOR_CIRCUIT_CLOSED);
    CHECK_INT(s_state(c, "anthropic/claude"), ==, SUPERVISOR_CIRCUIT_CLOSED);
    const char *const recovered[] = {
        "openai:open>half_open",           "anthropic/claude:open>half_open",
        "anthropic:closed>open",           "anthropic:open>half_open",
        "anthropic/claude:half_open>open", "anthropic/claude:open>half_open",
        "anthropic:half_open>closed",      "anthropic/claude:half_open>closed",
    };
    s_expect(&log, recovered, sizeof recovered / sizeof recovered[0]);

    // Keys must stay unambiguous; no model means the provider only.
    CHECK_INT(supervisor_circuit_record_target(c, "a/b", "c", SL_ERRCLASS_NONE), ==, SL_EINVAL);
    CHECK_INT(supervisor_circuit_record_target(c, NULL, "c", SL_ERRCLASS_NONE), ==, SL_EINVAL);
    size_t n = supervisor_circuit_size(c);
    CHECK_INT(supervisor_circuit_record_target(c, "cohere", NULL, SL_ERRCLASS_NONE), ==, 0);
    CHECK_INT(supervisor_circuit_record_target(c, "cohere", "", SL_ERRCLASS_NONE), ==, 0);
    CHECK_INT(supervisor_circuit_size(c), ==, n + 1);
    supervisor_circuit_destroy(&c);
}

// open forces OPEN until close or reset; close ends an outage; reset forgets everything.
static void
test_manual(void)
{
    sl_clock_t clock = {.fake = 1, .fake_mono_ms = T0};
    supervisor_circuit_t *c = supervisor_circuit_new(NULL, &clock);
    tr_log_t log = {0};
    supervisor_circuit_on_transition(c, s_log_transition, &log);

    CHECK_INT(supervisor_circuit_close(c, "m"), ==, SL_ENOTFOUND);
    CHECK_INT(supervisor_circuit_reset(c, "m"), ==, SL_ENOTFOUND);
    CHECK_INT(supervisor_circuit_open(c, ""), ==, SL_EINVAL);

    // A forced open creates the breaker, ignores outcomes and never half-opens.
    CHECK_INT(supervisor_circuit_open(c, "m"), ==, 0);
    CHECK_INT(supervisor_circuit_open(c, "m"), ==, 0); // no second transition
    CHECK(!supervisor_circuit_admit(c, "m"));
    s_record_n(c, "m", SL_ERRCLASS_NONE, 3);
    sl_clock_advance_ms(&clock, 3600000);
    CHECK_INT(supervisor_circuit_tick(c), ==, 0);
    supervisor_circuit_info_t info = s_info(c, "m");
    CHECK_INT(info.state, ==, SUPERVISOR_CIRCUIT_FORCED_OPEN);
    CHECK_INT(info.next_probe_ms, ==, 0);
    CHECK_INT(info.calls, ==, 0);
    CHECK_INT(supervisor_circuit_close(c, "m"), ==, 0);
    CHECK(supervisor_circuit_admit(c, "m"));

    // Close on a CLOSED breaker changes nothing: its window stays.
    s_record_n(c, "m", SL_ERRCLASS_PROVIDER_DOWN, 4);
    CHECK_INT(supervisor_circuit_close(c, "m"), ==, 0);
    CHECK_INT(s_info(c, "m").failures, ==, 4);
    s_record_n(c, "m", SL_ERRCLASS_PROVIDER_DOWN, 1);
    CHECK_INT(s_state(c, "m"), ==, SUPERVISOR_CIRCUIT_OPEN);
    // Forcing an automatically open breaker: no half-open at its cooldown.
    CHECK_INT(supervisor_circuit_open(c, "m"), ==, 0);
    sl_clock_advance_ms(&clock, 30000);
    CHECK_INT(s_state(c, "m"), ==, SUPERVISOR_CIRCUIT_FORCED_OPEN);
    // Close ends the outage as a good probe would.
    CHECK_INT(supervisor_circuit_close(c, "m"), ==, 0);
    info = s_info(c, "m");
    CHECK_INT(info.state, ==, SUPERVISOR_CIRCUIT_CLOSED);
    CHECK_INT(info.failures, ==, 0);
    CHECK_INT(info.consecutive_opens, ==, 0);

    // Reset empties the window of a CLOSED breaker too.
    s_record_n(c, "m", SL_ERRCLASS_PROVIDER_DOWN, 4);
    CHECK_INT(supervisor_circuit_reset(c, "m"), ==, 0);
    s_record_n(c, "m", SL_ERRCLASS_PROVIDER_DOWN, 1);
    info = s_info(c, "m");
    CHECK_INT(info.state, ==, SUPERVISOR_CIRCUIT_CLOSED);
    CHECK_INT(info.failures, ==, 1);

    // Reset of a HALF_OPEN breaker releases its probes; reset(NULL) resets them all. Four
    // more failures make five: m opens.
    s_record_n(c, "m", SL_ERRCLASS_PROVIDER_DOWN, 4);
    s_record_n(c, "n", SL_ERRCLASS_PROVIDER_DOWN, 5);
    sl_clock_advance_ms(&clock, 30000);
    CHECK(supervisor_circuit_admit(c, "m"));
    CHECK_INT(supervisor_circuit_reset(c, "m"), ==, 0);
    CHECK_INT(s_info(c, "m").probes_out, ==, 0);
    s_record_n(c, "m", SL_ERRCLASS_PROVIDER_DOWN, 5);
    CHECK_INT(supervisor_circuit_reset(c, NULL), ==, 0);
    CHECK_INT(s_state(c, "m"), ==, SUPERVISOR_CIRCUIT_CLOSED);
    CHECK_INT(s_state(c, "n"), ==, SUPERVISOR_CIRCUIT_CLOSED);
    CHECK_INT(s_info(c, "n").failures, ==, 0);

    const char *const want[] = {
        "m:closed>forced_open", "m:forced_open>closed", "m:closed>open", "m:open>forced_open",
        "m:forced_open>closed", "m:closed>open",        "n:closed>open", "m:open>half_open",
        "m:half_open>closed",   "m:closed>open",        "m:open>closed", "n:open>closed",
    };
    s_expect(&log, want, sizeof want / sizeof want[0]);
    supervisor_circuit_destroy(&c);
}

// tick reports every due half-open once, in creation order; snapshots list every breaker.
static void
test_tick_and_snapshot(void)
{
    sl_clock_t clock = {.fake = 1, .fake_mono_ms = T0};
    supervisor_circuit_t *c = supervisor_circuit_new(NULL, &clock);
    tr_log_t log = {0};
    supervisor_circuit_on_transition(c, s_log_transition, &log);

    s_record_n(c, "b", SL_ERRCLASS_PROVIDER_DOWN, 5);
    sl_clock_advance_ms(&clock, 1000);
    s_record_n(c, "a", SL_ERRCLASS_PROVIDER_DOWN, 5);
    s_record_n(c, "c", SL_ERRCLASS_NONE, 2);
    s_record_n(c, "c", SL_ERRCLASS_RATE_LIMIT, 1);

    supervisor_circuit_info_t info;
    CHECK_INT(supervisor_circuit_size(c), ==, 3);
    CHECK_INT(supervisor_circuit_info_at(c, 0, &info), ==, 0);
    CHECK_STR(info.key, "b");
    CHECK_INT(info.state, ==, SUPERVISOR_CIRCUIT_OPEN);
    CHECK_INT(info.next_probe_ms, ==, T0 + 30000);
    CHECK_INT(supervisor_circuit_info_at(c, 1, &info), ==, 0);
    CHECK_STR(info.key, "a");
    CHECK_INT(info.next_probe_ms, ==, T0 + 31000);
    CHECK_INT(info.consecutive_opens, ==, 1);
    CHECK_INT(supervisor_circuit_info_at(c, 2, &info), ==, 0);
    CHECK_STR(info.key, "c");
    CHECK_INT(info.state, ==, SUPERVISOR_CIRCUIT_CLOSED);
    CHECK_INT(info.calls, ==, 3);
    CHECK_INT(info.failures, ==, 1);
    CHECK_INT(info.next_probe_ms, ==, 0);
    CHECK_INT(supervisor_circuit_info_at(c, 3, &info), ==, SL_ENOTFOUND);

    // Both due by now: one tick reports both, in creation order, and only once.
    sl_clock_advance_ms(&clock, 40000);
    CHECK_INT(supervisor_circuit_tick(c), ==, 2);
    CHECK_INT(supervisor_circuit_tick(c), ==, 0);
    const char *const want[] = {"b:closed>open", "a:closed>open", "b:open>half_open",
                                "a:open>half_open"};
    s_expect(&log, want, 4);

    // A snapshot half-opens a due breaker itself, so it never shows a stale OPEN.
    s_record_n(c, "a", SL_ERRCLASS_PROVIDER_DOWN, 1); // failed probe: 60 s
    sl_clock_advance_ms(&clock, 60000);
    CHECK_INT(supervisor_circuit_info_at(c, 1, &info), ==, 0);
    CHECK_INT(info.state, ==, SUPERVISOR_CIRCUIT_HALF_OPEN);
    CHECK_INT(info.consecutive_opens, ==, 2);
    const char *const want2[] = {"a:half_open>open", "a:open>half_open"};
    s_expect(&log, want2, 2);

    // No callback: changes still happen, unreported.
    supervisor_circuit_on_transition(c, NULL, NULL);
    s_record_n(c, "a", SL_ERRCLASS_NONE, 1);
    CHECK_INT(s_state(c, "a"), ==, SUPERVISOR_CIRCUIT_CLOSED);
    CHECK_INT(log.n, ==, 0);
    supervisor_circuit_destroy(&c);
}

// The table holds SUPERVISOR_CIRCUIT_MAX_BREAKERS; a key past that has no breaker.
static void
test_table_bound(void)
{
    sl_clock_t clock = {.fake = 1, .fake_mono_ms = T0};
    supervisor_circuit_t *c = supervisor_circuit_new(NULL, &clock);
    char key[32];
    for (int i = 0; i < SUPERVISOR_CIRCUIT_MAX_BREAKERS; i++) {
        snprintf(key, sizeof key, "p%d", i);
        CHECK_INT(supervisor_circuit_record(c, key, SL_ERRCLASS_NONE), ==, 0);
    }
    CHECK_INT(supervisor_circuit_size(c), ==, SUPERVISOR_CIRCUIT_MAX_BREAKERS);
    CHECK_INT(supervisor_circuit_record(c, "late", SL_ERRCLASS_PROVIDER_DOWN), ==, SL_ETOOBIG);
    CHECK_INT(supervisor_circuit_record(c, "late", SL_ERRCLASS_NONE), ==, SL_ETOOBIG);
    CHECK_INT(supervisor_circuit_record(c, "late", SL_ERRCLASS_FATAL), ==, 0); // counts nothing
    CHECK_INT(supervisor_circuit_open(c, "late"), ==, SL_ETOOBIG);
    CHECK_INT(supervisor_circuit_record_target(c, "p0", "m", SL_ERRCLASS_NONE), ==, SL_ETOOBIG);
    CHECK(supervisor_circuit_admit(c, "late"));
    CHECK_INT(supervisor_circuit_size(c), ==, SUPERVISOR_CIRCUIT_MAX_BREAKERS);

    // The breakers already there work as before, and are listed in creation order.
    s_record_n(c, "p4095", SL_ERRCLASS_PROVIDER_DOWN, 5);
    CHECK(!supervisor_circuit_admit(c, "p4095"));
    supervisor_circuit_info_t info;
    CHECK_INT(supervisor_circuit_info_at(c, 0, &info), ==, 0);
    CHECK_STR(info.key, "p0");
    CHECK_INT(info.calls, ==, 2); // one from the fill, one from record_target
    CHECK_INT(supervisor_circuit_info_at(c, SUPERVISOR_CIRCUIT_MAX_BREAKERS - 1, &info), ==, 0);
    CHECK_STR(info.key, "p4095");
    CHECK_INT(info.state, ==, SUPERVISOR_CIRCUIT_OPEN);
    supervisor_circuit_destroy(&c);
}

int
main(void)
{
    test_cfg();
    test_count_rule();
    test_ratio_rule();
    test_ignored_classes();
    test_cooldown_and_probes();
    test_independent_keys();
    test_manual();
    test_tick_and_snapshot();
    test_table_bound();
    printf("circuit_test: ok\n");
    return 0;
}
