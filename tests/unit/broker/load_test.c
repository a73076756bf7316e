// load_test.c - what the broker has in flight: per provider over all workers, per provider on
// each worker, and the share test (⌈concurrency / workers⌉) that keeps a worker from getting
// more of a provider than it takes.
#include <string.h>

#include "check.h"
#include "load.h"

#define W(s) (const uint8_t *)(s), strlen(s)

static void
test_counts(void)
{
    broker_load_t *load = broker_load_new();
    CHECK_INT(broker_load_provider(load, "p1"), ==, 0);
    broker_load_add(load, "p1", W("w1"), 1);
    broker_load_add(load, "p1", W("w1"), 1);
    broker_load_add(load, "p1", W("w2"), 1);
    broker_load_add(load, "p2", W("w1"), 1);
    broker_load_add(load, "p1", NULL, 0, 1); // on no known worker: the provider's count only
    CHECK_INT(broker_load_provider(load, "p1"), ==, 4);
    CHECK_INT(broker_load_provider(load, "p2"), ==, 1);

    // p1 with concurrency 5 over 2 workers: a share of 3 each.
    sl_provider_cfg_t p1 = {.name = "p1", .concurrency = 5};
    CHECK(broker_load_fits(load, &p1, 2, W("w1"))); // 2 of 3
    broker_load_add(load, "p1", W("w1"), 1);
    CHECK(!broker_load_fits(load, &p1, 2, W("w1"))); // 3 of 3
    CHECK(broker_load_fits(load, &p1, 2, W("w2")));  // 1 of 3
    CHECK(broker_load_fits(load, &p1, 2, W("w3")));  // a worker never charged
    // Other providers on the same worker do not count against p1, nor p1 against them.
    sl_provider_cfg_t p2 = {.name = "p2", .concurrency = 2};
    CHECK(!broker_load_fits(load, &p2, 2, W("w1"))); // 1 of 1
    CHECK(broker_load_fits(load, &p2, 2, W("w2")));
    // One worker (or 0, read as 1) holds the whole concurrency.
    CHECK(broker_load_fits(load, &p1, 1, W("w1"))); // 3 of 5
    CHECK(broker_load_fits(load, &p1, 0, W("w1")));

    // Releases: the worker's count and the provider's fall together, never below 0.
    broker_load_add(load, "p1", W("w1"), -1);
    CHECK(broker_load_fits(load, &p1, 2, W("w1")));
    CHECK_INT(broker_load_provider(load, "p1"), ==, 4);
    broker_load_add(load, "p2", W("w1"), -1);
    broker_load_add(load, "p2", W("w1"), -1);
    CHECK_INT(broker_load_provider(load, "p2"), ==, 0);
    CHECK(broker_load_fits(load, &p2, 2, W("w1")));

    // Routing ids are compared as bytes: ids that differ only past a NUL are different workers.
    broker_load_add(load, "p3", (const uint8_t *)"a\0b", 3, 1);
    sl_provider_cfg_t p3 = {.name = "p3", .concurrency = 2};
    CHECK(!broker_load_fits(load, &p3, 2, (const uint8_t *)"a\0b", 3));
    CHECK(broker_load_fits(load, &p3, 2, (const uint8_t *)"a\0c", 3));
    broker_load_destroy(&load);
    CHECK(load == NULL);
    broker_load_destroy(&load); // twice: a no-op
}

// broker_load_fit in a pick: a worker at its share of the provider is passed over for one
// below it, though it has the most free credits; none below its share: no worker.
static void
test_fit(void)
{
    sl_clock_t clock = {.fake = 1, .fake_mono_ms = 1000};
    broker_credit_t *credit = broker_credit_new(&clock, 3000);
    CHECK_INT(broker_credit_ready(credit, "w1", 2, "w1", 2, 10), ==, 1);
    CHECK_INT(broker_credit_ready(credit, "w2", 2, "w2", 2, 5), ==, 1);
    broker_load_t *load = broker_load_new();
    sl_provider_cfg_t p = {.name = "p", .concurrency = 2}; // a share of 1 over 2 workers
    broker_load_fit_t fit = {load, &p, 2};
    const broker_credit_worker_t *w = broker_credit_pick(credit, broker_load_fit, &fit);
    CHECK(w && strcmp(broker_credit_worker_name(w), "w1") == 0); // the most free credits
    broker_load_add(load, "p", W("w1"), 1);
    w = broker_credit_pick(credit, broker_load_fit, &fit);
    CHECK(w && strcmp(broker_credit_worker_name(w), "w2") == 0);
    broker_load_add(load, "p", W("w2"), 1);
    CHECK(broker_credit_pick(credit, broker_load_fit, &fit) == NULL);
    fit.provider = NULL; // a request of no known provider: any worker
    w = broker_credit_pick(credit, broker_load_fit, &fit);
    CHECK(w && strcmp(broker_credit_worker_name(w), "w1") == 0);
    broker_load_destroy(&load);
    broker_credit_destroy(&credit);
}

int
main(void)
{
    test_counts();
    test_fit();
    return 0;
}
