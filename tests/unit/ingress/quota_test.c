// quota_test.c - a gateway key's limits: requests and tokens per minute as buckets that hold a
// minute and refill at the rate, streams open at once, what a refusal says to wait, and keys
// without limits never counted.
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "quota.h"

static void
test_requests(void)
{
    ingress_quota_t *q = ingress_quota_new();
    sl_key_cfg_t key = {.name = "app", .requests_per_minute = 3};
    int64_t retry = -1;
    const char *why = NULL;
    for (int i = 0; i < 3; i++) // a minute's worth at once
        CHECK(ingress_quota_admit(q, &key, 1000, &retry, &why));
    CHECK(!ingress_quota_admit(q, &key, 1000, &retry, &why));
    CHECK_STR(why, "the key passed its requests_per_minute");
    CHECK_INT(retry, ==, 20001); // one request refills in 20 s
    CHECK(!ingress_quota_admit(q, &key, 20000, &retry, &why));
    CHECK_INT(retry, ==, 1001);
    CHECK(ingress_quota_admit(q, &key, 21000, &retry, &why));
    CHECK_INT(retry, ==, 0);
    // A long pause refills up to a minute's worth, no more.
    for (int i = 0; i < 3; i++)
        CHECK(ingress_quota_admit(q, &key, 10000000, &retry, &why));
    CHECK(!ingress_quota_admit(q, &key, 10000000, &retry, &why));
    ingress_quota_destroy(&q);
    CHECK(q == NULL);
}

static void
test_tokens_and_streams(void)
{
    ingress_quota_t *q = ingress_quota_new();
    sl_key_cfg_t key = {.name = "app", .tokens_per_minute = 600, .concurrent_streams = 2};
    int64_t retry = -1;
    const char *why = NULL;
    CHECK(ingress_quota_admit(q, &key, 0, &retry, &why));
    CHECK(ingress_quota_admit(q, &key, 0, &retry, &why));
    CHECK(!ingress_quota_admit(q, &key, 0, &retry, &why)); // two open: the third waits
    CHECK_STR(why, "the key has its concurrent_streams open");
    CHECK_INT(retry, ==, 1000);
    ingress_quota_done(q, "app");
    // A stream is never cut for its tokens: the bucket goes below zero, the next request waits.
    ingress_quota_tokens(q, &key, 700, 0);
    CHECK(!ingress_quota_admit(q, &key, 0, &retry, &why));
    CHECK_STR(why, "the key passed its tokens_per_minute");
    CHECK_INT(retry, ==, 10101); // 101 tokens at 10 a second
    CHECK(ingress_quota_admit(q, &key, 10101, &retry, &why));
    ingress_quota_done(q, "app");
    ingress_quota_done(q, "app");
    ingress_quota_done(q, "app"); // more done than admitted: never below zero
    ingress_quota_done(q, "unknown");
    ingress_quota_done(q, NULL);
    CHECK(ingress_quota_admit(q, &key, 10101, &retry, &why));
    CHECK(ingress_quota_admit(q, &key, 10101, &retry, &why));
    CHECK(!ingress_quota_admit(q, &key, 10101, &retry, &why));
    ingress_quota_destroy(&q);
}

static void
test_unlimited(void)
{
    ingress_quota_t *q = ingress_quota_new();
    sl_key_cfg_t key = {.name = "free"};
    int64_t retry = -1;
    const char *why = "x";
    CHECK(!ingress_quota_applies(&key));
    CHECK(!ingress_quota_applies(NULL));
    for (int i = 0; i < 10000; i++)
        CHECK(ingress_quota_admit(q, &key, 0, &retry, &why));
    CHECK(ingress_quota_admit(q, NULL, 0, &retry, &why));
    CHECK(why == NULL);
    CHECK_INT(retry, ==, 0);
    ingress_quota_destroy(&q);
    ingress_quota_destroy(&q);
}

int
main(void)
{
    test_requests();
    test_tokens_and_streams();
    test_unlimited();
    printf("quota_test: ok\n");
    return 0;
}
