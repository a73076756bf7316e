// retry_test.c - retry and fallback decisions: exact delays, jitter bounds, Retry-After and its
// cap, the order of targets, and when to give up.
#include "check.h"
#include "retry.h"
#include "sl/wire.h"

#define MID (UINT32_C(1) << 31) // the random number that means no jitter

static sl_route_cfg_t
s_route(size_t n_targets)
{
    static sl_target_cfg_t targets[3] = {{"a", "m"}, {"b", "m"}, {"c", "m"}};
    sl_route_cfg_t r = {"alias", targets, n_targets, 3, 1000, 30000, 0, 0, 0, 0, NULL};
    return r;
}

int
main(void)
{
    // Rate limit on a one-target route: three retries of it, 1000, 1500, 2250 ms, then give up:
    // four attempts in all.
    sl_route_cfg_t one = s_route(1);
    broker_retry_t st = {0};
    CHECK_INT(broker_retry_next(&one, &st, SL_ERRCLASS_RATE_LIMIT, 0, MID), ==, 1000);
    CHECK_INT(broker_retry_next(&one, &st, SL_ERRCLASS_RATE_LIMIT, 0, MID), ==, 1500);
    CHECK_INT(broker_retry_next(&one, &st, SL_ERRCLASS_TIMEOUT, 0, MID), ==, 2250);
    CHECK_INT(st.retries, ==, 3);
    CHECK_INT(broker_retry_next(&one, &st, SL_ERRCLASS_RATE_LIMIT, 0, MID), ==, -1);
    CHECK_INT(st.target, ==, 0);

    // Jitter stays within ±20 %: the smallest and largest random numbers.
    broker_retry_t j = {0};
    CHECK_INT(broker_retry_next(&one, &j, SL_ERRCLASS_RATE_LIMIT, 0, 0), ==, 800);
    j.retries = 0;
    int64_t high = broker_retry_next(&one, &j, SL_ERRCLASS_RATE_LIMIT, 0, UINT32_MAX);
    CHECK(high >= 1199 && high <= 1200);

    // Retry-After is honoured (never earlier), and capped by retry_max_ms.
    broker_retry_t ra = {0};
    CHECK_INT(broker_retry_next(&one, &ra, SL_ERRCLASS_RATE_LIMIT, 7000, 0), ==, 7000);
    CHECK_INT(broker_retry_next(&one, &ra, SL_ERRCLASS_RATE_LIMIT, 999999, MID), ==, 30000);
    sl_route_cfg_t short_cap = s_route(1);
    short_cap.retry_max_ms = 1200;
    broker_retry_t sc = {0};
    sc.retries = 2; // the third retry would be 2250
    CHECK_INT(broker_retry_next(&short_cap, &sc, SL_ERRCLASS_RATE_LIMIT, 0, MID), ==, 1200);

    // Rate limit on a three-target route: the same target first, then the next one at once.
    sl_route_cfg_t three = s_route(3);
    broker_retry_t rl = {0};
    for (int i = 0; i < 3; i++)
        CHECK(broker_retry_next(&three, &rl, SL_ERRCLASS_RATE_LIMIT, 0, MID) > 0);
    CHECK_INT(broker_retry_next(&three, &rl, SL_ERRCLASS_RATE_LIMIT, 0, MID), ==, 0);
    CHECK_INT(rl.target, ==, 1);
    CHECK_INT(rl.retries, ==, 0);

    // Provider down: the next target at once, every time, then the last one with backoff.
    broker_retry_t pd = {0};
    CHECK_INT(broker_retry_next(&three, &pd, SL_ERRCLASS_PROVIDER_DOWN, 0, MID), ==, 0);
    CHECK_INT(pd.target, ==, 1);
    CHECK_INT(broker_retry_next(&three, &pd, SL_ERRCLASS_PROVIDER_DOWN, 0, MID), ==, 0);
    CHECK_INT(pd.target, ==, 2);
    CHECK_INT(broker_retry_next(&three, &pd, SL_ERRCLASS_PROVIDER_DOWN, 0, MID), ==, 1000);
    CHECK_INT(broker_retry_next(&three, &pd, SL_ERRCLASS_PROVIDER_DOWN, 0, MID), ==, 1500);
    CHECK_INT(broker_retry_next(&three, &pd, SL_ERRCLASS_PROVIDER_DOWN, 0, MID), ==, 2250);
    CHECK_INT(broker_retry_next(&three, &pd, SL_ERRCLASS_PROVIDER_DOWN, 0, MID), ==, -1);
    CHECK_INT(pd.target, ==, 2);

    // Provider down on a one-target route: 1 + 3 attempts, like a rate limit.
    broker_retry_t pd1 = {0};
    CHECK_INT(broker_retry_next(&one, &pd1, SL_ERRCLASS_PROVIDER_DOWN, 0, MID), ==, 1000);

    // Never retried: fatal, user abort, sluice's own failures, success.
    static const uint32_t final[] = {SL_ERRCLASS_FATAL, SL_ERRCLASS_USER_ABORT,
                                     SL_ERRCLASS_INTERNAL, SL_ERRCLASS_NONE};
    for (size_t i = 0; i < sizeof final / sizeof final[0]; i++) {
        broker_retry_t f = {0};
        CHECK_INT(broker_retry_next(&three, &f, final[i], 0, MID), ==, -1);
        CHECK_INT(f.target, ==, 0);
    }

    // retries 0: a rate limit goes straight to the next target; on the last one it gives up.
    sl_route_cfg_t none = s_route(2);
    none.retries = 0;
    broker_retry_t z = {0};
    CHECK_INT(broker_retry_next(&none, &z, SL_ERRCLASS_RATE_LIMIT, 0, MID), ==, 0);
    CHECK_INT(broker_retry_next(&none, &z, SL_ERRCLASS_RATE_LIMIT, 0, MID), ==, -1);
    printf("retry_test: ok\n");
    return 0;
}
