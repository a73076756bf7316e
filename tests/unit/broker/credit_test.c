// credit_test.c - the broker's worker registry on a fake clock: registration and refresh, the
// pick (most free credits, ties to the earliest registration, a fit filter), charging and releasing
// credits, suspension, and expiry that hands back exactly the lost workers' requests.
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "credit.h"
#include "sl/err.h"

#define LIVE_MS 3000

// What the expiry callback saw, in call order.
typedef struct {
    char lost[8][32]; // "<worker name>:<req id>,<req id>..."
    size_t n_lost;    // callbacks made
} lost_log_t;

static void
s_record_lost(void *arg, const broker_credit_worker_t *worker)
{
    lost_log_t *log = arg;
    CHECK(log->n_lost < 8);
    char *out = log->lost[log->n_lost++];
    int n = snprintf(out, 32, "%s:", broker_credit_worker_name(worker));
    for (uint32_t i = 0; i < broker_credit_worker_in_flight(worker); i++)
        n += snprintf(out + n, 32 - (size_t)n, "%s%s", i ? "," : "",
                      broker_credit_worker_req_id(worker, i));
}

static const char *
s_pick_name(const broker_credit_t *credit)
{
    const broker_credit_worker_t *worker = broker_credit_pick(credit, NULL, NULL);
    return worker ? broker_credit_worker_name(worker) : "(none)";
}

// broker_credit_fit_fn: every worker but the one named arg.
static bool
s_not_named(void *arg, const broker_credit_worker_t *worker)
{
    return strcmp(broker_credit_worker_name(worker), arg) != 0;
}

static int
s_ready(broker_credit_t *credit, const char *id, uint32_t credits)
{
    // Name the worker after its routing id, so checks read naturally.
    return broker_credit_ready(credit, id, strlen(id), id, strlen(id), credits);
}

static int
s_take(broker_credit_t *credit, const char *id, const char *req_id)
{
    return broker_credit_take(credit, id, strlen(id), req_id);
}

static int
s_release(broker_credit_t *credit, const char *id, const char *req_id)
{
    return broker_credit_release(credit, id, strlen(id), req_id);
}

static void
test_pick_and_charge(void)
{
    sl_clock_t clock = {.fake = 1, .fake_mono_ms = 5000};
    CHECK(broker_credit_new(&clock, 0) == NULL);
    broker_credit_t *credit = broker_credit_new(&clock, LIVE_MS);
    CHECK(credit);
    CHECK(broker_credit_pick(credit, NULL, NULL) == NULL); // nobody registered
    CHECK_INT(broker_credit_expire(credit, NULL, NULL), ==, 0);

    CHECK_INT(s_ready(credit, "A", 2), ==, 1);
    CHECK_INT(s_ready(credit, "B", 3), ==, 1);
    CHECK_INT(s_ready(credit, "C", 3), ==, 1);
    CHECK_INT(s_ready(credit, "B", 3), ==, 0); // a refresh, not a second B
    CHECK_INT(broker_credit_size(credit), ==, 3);
    CHECK_INT(broker_credit_ready(credit, "", 0, "x", 1, 1), ==, SL_EINVAL);

    // Free: A 2, B 3, C 3. B and C tie; B registered first.
    CHECK_STR(s_pick_name(credit), "B");
    // A fit filter skips the workers it refuses, and only those.
    const broker_credit_worker_t *fit = broker_credit_pick(credit, s_not_named, "B");
    CHECK(fit && strcmp(broker_credit_worker_name(fit), "C") == 0);
    fit = broker_credit_pick(credit, s_not_named, "A");
    CHECK(fit && strcmp(broker_credit_worker_name(fit), "B") == 0);
    CHECK_INT(s_take(credit, "B", "r1"), ==, 0);
    CHECK_STR(s_pick_name(credit), "C"); // A 2, B 2, C 3
    CHECK_INT(s_take(credit, "C", "r2"), ==, 0);
    CHECK_STR(s_pick_name(credit), "A"); // all 2: the earliest wins
    CHECK_INT(s_take(credit, "A", "r3"), ==, 0);
    CHECK_STR(s_pick_name(credit), "B"); // A 1, B 2, C 2
    CHECK_INT(s_take(credit, "B", "r4"), ==, 0);
    CHECK_INT(s_take(credit, "C", "r5"), ==, 0);
    CHECK_INT(s_take(credit, "A", "r6"), ==, 0);
    CHECK_STR(s_pick_name(credit), "B"); // all 1
    CHECK_INT(s_take(credit, "B", "r7"), ==, 0);
    CHECK_INT(s_take(credit, "C", "r8"), ==, 0);
    CHECK(broker_credit_pick(credit, NULL, NULL) == NULL); // no free credit anywhere

    // Charging refuses what it must.
    CHECK_INT(s_take(credit, "A", "r9"), ==, SL_EAGAIN);       // A is full
    CHECK_INT(s_take(credit, "Z", "r9"), ==, SL_ENOTFOUND);    // unknown worker
    CHECK_INT(s_release(credit, "A", "r1"), ==, SL_ENOTFOUND); // r1 is on B
    CHECK_INT(s_release(credit, "Z", "r1"), ==, SL_ENOTFOUND);
    CHECK_INT(s_release(credit, "A", "r3"), ==, 0);
    CHECK_INT(s_take(credit, "A", "r6"), ==, SL_EINVAL);       // A already serves r6
    CHECK_STR(s_pick_name(credit), "A");                       // the freed credit is picked
    CHECK_INT(s_release(credit, "A", "r3"), ==, SL_ENOTFOUND); // released once only

    const broker_credit_worker_t *b = broker_credit_find(credit, "B", 1);
    CHECK(b);
    CHECK_INT(broker_credit_worker_capacity(b), ==, 3);
    CHECK_INT(broker_credit_worker_in_flight(b), ==, 3);
    CHECK_STR(broker_credit_worker_req_id(b, 0), "r1");
    CHECK_STR(broker_credit_worker_req_id(b, 2), "r7");
    CHECK(broker_credit_worker_req_id(b, 3) == NULL);
    CHECK(broker_credit_find(credit, "Z", 1) == NULL);
    size_t id_len = 0;
    const uint8_t *id = broker_credit_worker_id(b, &id_len);
    CHECK_MEM(id, id_len, "B", 1);

    // Releasing from the middle keeps the others in order.
    CHECK_INT(s_release(credit, "B", "r4"), ==, 0);
    CHECK_STR(broker_credit_worker_req_id(b, 0), "r1");
    CHECK_STR(broker_credit_worker_req_id(b, 1), "r7");

    // Suspension takes B out of the pick until its next READY.
    CHECK_INT(s_release(credit, "A", "r6"), ==, 0); // A 2 free, B 1 free
    CHECK_INT(s_release(credit, "B", "r1"), ==, 0); // B 2 free: tie, A first
    CHECK_STR(s_pick_name(credit), "A");
    CHECK_INT(broker_credit_suspend(credit, "A", 1), ==, 0);
    CHECK(broker_credit_worker_is_suspended(broker_credit_find(credit, "A", 1)));
    CHECK_STR(s_pick_name(credit), "B");
    CHECK_INT(broker_credit_suspend(credit, "Z", 1), ==, SL_ENOTFOUND);
    CHECK_INT(s_ready(credit, "A", 2), ==, 0);
    CHECK(!broker_credit_worker_is_suspended(broker_credit_find(credit, "A", 1)));
    CHECK_STR(s_pick_name(credit), "A");

    // A READY can lower capacity below what is in flight: nothing is lost, nothing new goes.
    CHECK_INT(s_take(credit, "A", "r10"), ==, 0);
    CHECK_INT(s_take(credit, "A", "r11"), ==, 0);
    CHECK_INT(s_ready(credit, "A", 1), ==, 0);
    const broker_credit_worker_t *a = broker_credit_find(credit, "A", 1);
    CHECK_INT(broker_credit_worker_in_flight(a), ==, 2);
    CHECK_INT(s_take(credit, "A", "r12"), ==, SL_EAGAIN);
    CHECK_INT(s_release(credit, "A", "r10"), ==, 0);
    CHECK_INT(s_take(credit, "A", "r12"), ==, SL_EAGAIN); // 1 in flight, capacity 1

    // A worker with zero credits is registered but never picked.
    CHECK_INT(s_ready(credit, "D", 0), ==, 1);
    CHECK_INT(s_take(credit, "D", "r13"), ==, SL_EAGAIN);
    broker_credit_destroy(&credit);
    CHECK(credit == NULL);
    broker_credit_destroy(&credit); // a second destroy is a no-op
}

static void
test_expiry(void)
{
    sl_clock_t clock = {.fake = 1, .fake_mono_ms = 0};
    broker_credit_t *credit = broker_credit_new(&clock, LIVE_MS);
    lost_log_t log = {0};

    CHECK_INT(s_ready(credit, "A", 4), ==, 1); // expires at 3000
    CHECK_INT(s_take(credit, "A", "a1"), ==, 0);
    CHECK_INT(s_take(credit, "A", "a2"), ==, 0);
    sl_clock_advance_ms(&clock, 1000);
    CHECK_INT(s_ready(credit, "B", 1), ==, 1); // expires at 4000
    CHECK_INT(s_take(credit, "B", "b1"), ==, 0);
    CHECK_INT(s_ready(credit, "C", 1), ==, 1); // expires at 4000
    CHECK_INT(broker_credit_worker_expiry_ms(broker_credit_find(credit, "C", 1)), ==, 4000);

    // Half a liveness after its READY a worker counts as maybe hung: the fresher ones come
    // first even with fewer free credits (A 2 free, heard at 0; C 1 free, heard at 1000).
    clock.fake_mono_ms = 1500;
    CHECK_STR(s_pick_name(credit), "A"); // A is still fresh at exactly half
    clock.fake_mono_ms = 1501;
    CHECK_STR(s_pick_name(credit), "C");

    // One ms before A's expiry nothing goes; at its expiry exactly A goes, with its requests.
    // Everyone is stale by then: the most free credits win again.
    clock.fake_mono_ms = 2999;
    CHECK_INT(broker_credit_expire(credit, s_record_lost, &log), ==, 0);
    CHECK_STR(s_pick_name(credit), "A");
    clock.fake_mono_ms = 3000;
    // Past its expiry a worker is not picked even before the timer removes it.
    CHECK_STR(s_pick_name(credit), "C");
    CHECK_INT(broker_credit_expire(credit, s_record_lost, &log), ==, 1);
    CHECK_INT(log.n_lost, ==, 1);
    CHECK_STR(log.lost[0], "A:a1,a2");
    CHECK_INT(broker_credit_size(credit), ==, 2);
    CHECK(broker_credit_find(credit, "A", 1) == NULL);

    // A refresh extends life: C heard at 3500 lives to 6500; B, silent, goes at 4000.
    clock.fake_mono_ms = 3500;
    CHECK_INT(s_ready(credit, "C", 1), ==, 0);
    clock.fake_mono_ms = 4000;
    CHECK_INT(broker_credit_expire(credit, s_record_lost, &log), ==, 1);
    CHECK_STR(log.lost[1], "B:b1");
    CHECK(broker_credit_find(credit, "C", 1));
    clock.fake_mono_ms = 6499;
    CHECK_INT(broker_credit_expire(credit, s_record_lost, &log), ==, 0);

    // A worker that comes back after expiry is new, with nothing charged.
    CHECK_INT(s_ready(credit, "A", 2), ==, 1);
    CHECK_INT(broker_credit_worker_in_flight(broker_credit_find(credit, "A", 1)), ==, 0);
    CHECK_INT(s_release(credit, "A", "a1"), ==, SL_ENOTFOUND);

    // Several at once, in registration order; without a callback they still go.
    clock.fake_mono_ms = 10000;
    CHECK_INT(broker_credit_expire(credit, s_record_lost, &log), ==, 2);
    CHECK_INT(log.n_lost, ==, 4);
    CHECK_STR(log.lost[2], "C:");
    CHECK_STR(log.lost[3], "A:");
    CHECK_INT(broker_credit_size(credit), ==, 0);
    CHECK_INT(s_ready(credit, "E", 1), ==, 1);
    clock.fake_mono_ms = 20000;
    CHECK_INT(broker_credit_expire(credit, NULL, NULL), ==, 1);
    broker_credit_destroy(&credit);
}

static void
test_limits(void)
{
    sl_clock_t clock = {.fake = 1};
    broker_credit_t *credit = broker_credit_new(&clock, LIVE_MS);

    // Names are cut at BROKER_CREDIT_MAX_NAME and follow the latest READY.
    char long_name[BROKER_CREDIT_MAX_NAME + 10];
    memset(long_name, 'n', sizeof long_name);
    CHECK_INT(broker_credit_ready(credit, "w", 1, long_name, sizeof long_name, 1), ==, 1);
    const broker_credit_worker_t *w = broker_credit_find(credit, "w", 1);
    CHECK_INT(strlen(broker_credit_worker_name(w)), ==, BROKER_CREDIT_MAX_NAME);
    CHECK_INT(broker_credit_ready(credit, "w", 1, "renamed", 7, 1), ==, 0);
    CHECK_STR(broker_credit_worker_name(w), "renamed");
    CHECK_INT(broker_credit_ready(credit, "w", 1, NULL, 0, 1), ==, 0);
    CHECK_STR(broker_credit_worker_name(w), "");

    // Routing ids are bytes: a zero byte is part of the id.
    CHECK_INT(broker_credit_ready(credit, "\0ab", 3, "bin", 3, 1), ==, 1);
    CHECK_INT(broker_credit_ready(credit, "\0ac", 3, "bin2", 4, 1), ==, 1);
    CHECK_INT(broker_credit_size(credit), ==, 3);

    // The registry is capped: one worker past the cap is refused, a refresh is not.
    char id[16];
    for (size_t i = broker_credit_size(credit); i < BROKER_CREDIT_MAX_WORKERS; i++) {
        int n = snprintf(id, sizeof id, "w%zu", i);
        CHECK_INT(broker_credit_ready(credit, id, (size_t)n, id, (size_t)n, 1), ==, 1);
    }
    CHECK_INT(broker_credit_size(credit), ==, BROKER_CREDIT_MAX_WORKERS);
    CHECK_INT(broker_credit_ready(credit, "late", 4, "late", 4, 1), ==, SL_ETOOBIG);
    CHECK(broker_credit_find(credit, "late", 4) == NULL);
    CHECK_INT(broker_credit_ready(credit, "w", 1, "w", 1, 5), ==, 0);
    CHECK_STR(s_pick_name(credit), "w"); // 5 free beats everyone's 1
    broker_credit_destroy(&credit);
}

int
main(void)
{
    test_pick_and_charge();
    test_expiry();
    test_limits();
    return 0;
}
