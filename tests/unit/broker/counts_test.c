// counts_test.c - the broker's counts render as the exact STATS lines the supervisor sums.
#include <string.h>

#include "check.h"
#include "counts.h"
#include "sl/err.h"

int
main(void)
{
    broker_counts_t *c = broker_counts_new();
    sl_buf_t out;
    sl_buf_init(&out, 4096);
    // Nothing counted yet: the gauges and the dropped REJECTs, all zero.
    CHECK_INT(broker_counts_write(c, &out, 0, 0), ==, 0);
    CHECK_STR(sl_buf_str(&out),
              "sluice_queue_depth 0\n"
              "sluice_requests_in_flight 0\n"
              "sluice_messages_dropped_total{process=\"broker\",message=\"REJECT\"} 0\n");
    broker_counts_retry(c, "m1");
    broker_counts_retry(c, "m1");
    broker_counts_fallback(c, "fb");
    broker_counts_reject(c, 503);
    CHECK_INT(broker_counts_reject_dropped(c), ==, 1);
    CHECK_INT(broker_counts_reject_dropped(c), ==, 2);
    sl_buf_reset(&out);
    CHECK_INT(broker_counts_write(c, &out, 3, 7), ==, 0);
    CHECK_STR(sl_buf_str(&out),
              "sluice_queue_depth 3\n"
              "sluice_requests_in_flight 7\n"
              "sluice_retries_total{route=\"m1\"} 2\n"
              "sluice_fallbacks_total{route=\"fb\"} 1\n"
              "sluice_rejects_total{status=\"503\"} 1\n"
              "sluice_messages_dropped_total{process=\"broker\",message=\"REJECT\"} 2\n");
    // A buffer too small: an error, never a cut line that would pass for a sample.
    sl_buf_t tiny;
    sl_buf_init(&tiny, 30);
    CHECK_INT(broker_counts_write(c, &tiny, 3, 7), ==, SL_ETOOBIG);
    sl_buf_free(&tiny);
    sl_buf_free(&out);
    broker_counts_destroy(&c);
    CHECK(c == NULL);
    return 0;
}
