// stats_test.c - every process's latest STATS, summed: set and clear by slot (out of range
// refused, a text over the cap refused with the old one kept, exactly the cap taken), the sum
// over slots plus the supervisor's own lines with bad lines counted, tokens per second between
// two ticks (0 before, 0 when the total falls), and "since reset" figures from a baseline,
// never below zero.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sl/err.h"
#include "sl/metrics.h"
#include "stats.h"

static void
s_set(supervisor_stats_t *s, size_t slot, const char *text)
{
    CHECK_INT(supervisor_stats_set(s, slot, text, strlen(text)), ==, 0);
}

static double
s_get(const supervisor_stats_t *s, const char *key)
{
    sl_metrics_sum_t *sum = supervisor_stats_sum(s, NULL, 0, NULL);
    double v = sl_metrics_sum_get(sum, key);
    sl_metrics_sum_destroy(&sum);
    return v;
}

static size_t
s_size(const supervisor_stats_t *s)
{
    sl_metrics_sum_t *sum = supervisor_stats_sum(s, NULL, 0, NULL);
    size_t n = sl_metrics_sum_size(sum);
    sl_metrics_sum_destroy(&sum);
    return n;
}

static void
test_slots(void)
{
    supervisor_stats_t *s = supervisor_stats_new(3);
    CHECK_INT(s_size(s), ==, 0);
    // Out of range.
    CHECK_INT(supervisor_stats_set(s, 3, "sluice_queue_depth 1\n", 21), ==, SL_EINVAL);
    CHECK_INT(supervisor_stats_set(s, (size_t)-1, "sluice_queue_depth 1\n", 21), ==, SL_EINVAL);
    supervisor_stats_clear(s, 3); // harmless
    supervisor_stats_clear(s, (size_t)-1);
    CHECK_INT(s_size(s), ==, 0);

    // Each slot's latest text, summed: the same series add up.
    s_set(s, 0, "sluice_requests_total{route=\"a\",status=\"200\"} 7\nsluice_queue_depth 2\n");
    s_set(s, 2,
          "sluice_requests_total{route=\"a\",status=\"200\"} 5\n"
          "sluice_requests_total{route=\"b\",status=\"500\"} 1\n");
    CHECK(s_get(s, "sluice_requests_total{route=\"a\",status=\"200\"}") == 12);
    CHECK(s_get(s, "sluice_requests_total{route=\"b\",status=\"500\"}") == 1);
    CHECK(s_get(s, "sluice_queue_depth") == 2);
    CHECK_INT(s_size(s), ==, 3);

    // A new text replaces the slot's old one; it does not add to it.
    s_set(s, 0, "sluice_requests_total{route=\"a\",status=\"200\"} 9\n");
    CHECK(s_get(s, "sluice_requests_total{route=\"a\",status=\"200\"}") == 14);
    CHECK(s_get(s, "sluice_queue_depth") == 0);
    CHECK_INT(s_size(s), ==, 2);

    // The text is text[0..len), copied: what follows len, and later changes to the caller's
    // buffer, do not count.
    char buf[64];
    snprintf(buf, sizeof buf, "sluice_queue_depth 4\nsluice_queue_depth 100\n");
    CHECK_INT(supervisor_stats_set(s, 1, buf, 21), ==, 0);
    memset(buf, 'x', sizeof buf - 1);
    CHECK(s_get(s, "sluice_queue_depth") == 4);

    // An empty text is a valid report of nothing.
    CHECK_INT(supervisor_stats_set(s, 1, "", 0), ==, 0);
    CHECK(s_get(s, "sluice_queue_depth") == 0);

    // A child that exits is forgotten; clearing twice, or an empty slot, is harmless.
    supervisor_stats_clear(s, 2);
    supervisor_stats_clear(s, 2);
    supervisor_stats_clear(s, 1);
    CHECK(s_get(s, "sluice_requests_total{route=\"a\",status=\"200\"}") == 9);
    CHECK(s_get(s, "sluice_requests_total{route=\"b\",status=\"500\"}") == 0);
    CHECK_INT(s_size(s), ==, 1);
    // Its successor reports afresh.
    s_set(s, 2, "sluice_requests_total{route=\"a\",status=\"200\"} 1\n");
    CHECK(s_get(s, "sluice_requests_total{route=\"a\",status=\"200\"}") == 10);
    supervisor_stats_destroy(&s);
    CHECK(s == NULL);
    supervisor_stats_destroy(&s);

    // No slots at all: every set refused, the sum is the extra text alone.
    s = supervisor_stats_new(0);
    CHECK_INT(supervisor_stats_set(s, 0, "sluice_queue_depth 1\n", 21), ==, SL_EINVAL);
    sl_metrics_sum_t *sum = supervisor_stats_sum(s, "sluice_queue_depth 3\n", 21, NULL);
    CHECK(sl_metrics_sum_get(sum, "sluice_queue_depth") == 3);
    CHECK_INT(sl_metrics_sum_size(sum), ==, 1);
    sl_metrics_sum_destroy(&sum);
    supervisor_stats_destroy(&s);
}

static void
test_cap(void)
{
    supervisor_stats_t *s = supervisor_stats_new(2);
    // Exactly SUPERVISOR_STATS_MAX_TEXT bytes: whole lines, then blank lines to fill.
    static const char line[] = "sluice_queue_depth 1\n";
    size_t n_lines = SUPERVISOR_STATS_MAX_TEXT / (sizeof line - 1);
    char *big = malloc(SUPERVISOR_STATS_MAX_TEXT + 2);
    CHECK(big);
    for (size_t i = 0; i < n_lines; i++)
        memcpy(big + i * (sizeof line - 1), line, sizeof line - 1);
    memset(big + n_lines * (sizeof line - 1), '\n',
           SUPERVISOR_STATS_MAX_TEXT + 1 - n_lines * (sizeof line - 1));
    big[SUPERVISOR_STATS_MAX_TEXT + 1] = '\0';
    CHECK_INT(supervisor_stats_set(s, 0, big, SUPERVISOR_STATS_MAX_TEXT), ==, 0);
    CHECK(s_get(s, "sluice_queue_depth") == (double)n_lines);
    // One byte more (one more blank line): refused, and the text before it kept.
    s_set(s, 1, "sluice_queue_depth 5\n");
    CHECK_INT(supervisor_stats_set(s, 1, big, SUPERVISOR_STATS_MAX_TEXT + 1), ==, SL_ETOOBIG);
    CHECK(s_get(s, "sluice_queue_depth") == (double)n_lines + 5);
    CHECK_INT(supervisor_stats_set(s, 0, big, SUPERVISOR_STATS_MAX_TEXT + 1), ==, SL_ETOOBIG);
    CHECK(s_get(s, "sluice_queue_depth") == (double)n_lines + 5);
    // An out-of-range slot is refused before the size is looked at.
    CHECK_INT(supervisor_stats_set(s, 2, big, SUPERVISOR_STATS_MAX_TEXT + 1), ==, SL_EINVAL);
    free(big);
    supervisor_stats_destroy(&s);
}

static void
test_sum_extra_and_bad_lines(void)
{
    supervisor_stats_t *s = supervisor_stats_new(2);
    s_set(s, 0, "sluice_process_up{process=\"broker\"} 1\nnot_a_family 3\n");
    s_set(s, 1, "sluice_process_up{process=\"broker\"} 1\nsluice_queue_depth 1 1700000000\n");
    // The supervisor's own lines: len counts, what follows it does not.
    static const char extra[] = "sluice_process_restarts_total{process=\"broker\"} 2\n"
                                "sluice_process_up{process=\"ingress\"} 1\n"
                                "garbage past len\n";
    size_t extra_len = strlen(extra) - strlen("garbage past len\n");
    size_t bad = 99;
    sl_metrics_sum_t *sum = supervisor_stats_sum(s, extra, extra_len, &bad);
    CHECK_INT(bad, ==, 2); // one unknown family, one timestamp
    CHECK(sl_metrics_sum_get(sum, "sluice_process_up{process=\"broker\"}") == 2);
    CHECK(sl_metrics_sum_get(sum, "sluice_process_up{process=\"ingress\"}") == 1);
    CHECK(sl_metrics_sum_get(sum, "sluice_process_restarts_total{process=\"broker\"}") == 2);
    CHECK_INT(sl_metrics_sum_size(sum), ==, 3);
    sl_metrics_sum_destroy(&sum);
    // A bad line in the extra text counts too; NULL extra adds nothing; NULL bad_lines is fine.
    bad = 99;
    sum = supervisor_stats_sum(s, "oops\n", 5, &bad);
    CHECK_INT(bad, ==, 3);
    sl_metrics_sum_destroy(&sum);
    bad = 99;
    sum = supervisor_stats_sum(s, NULL, 0, &bad);
    CHECK_INT(bad, ==, 2);
    CHECK_INT(sl_metrics_sum_size(sum), ==, 1);
    sl_metrics_sum_destroy(&sum);
    sum = supervisor_stats_sum(s, NULL, 0, NULL);
    CHECK_INT(sl_metrics_sum_size(sum), ==, 1);
    sl_metrics_sum_destroy(&sum);
    // Each sum is new: summing twice does not double anything.
    sum = supervisor_stats_sum(s, NULL, 0, NULL);
    CHECK(sl_metrics_sum_get(sum, "sluice_process_up{process=\"broker\"}") == 2);
    sl_metrics_sum_destroy(&sum);
    // Clean texts: no bad lines.
    s_set(s, 0, "sluice_queue_depth 1\n");
    s_set(s, 1, "\n\nsluice_queue_depth 1\r\n");
    bad = 99;
    sum = supervisor_stats_sum(s, "", 0, &bad);
    CHECK_INT(bad, ==, 0);
    CHECK(sl_metrics_sum_get(sum, "sluice_queue_depth") == 2);
    sl_metrics_sum_destroy(&sum);
    supervisor_stats_destroy(&s);
}

// Tokens in slot 0 (an ingress) over two routes, and in slot 1 (another ingress).
static void
s_tokens(supervisor_stats_t *s, int a, int b, int c)
{
    char text[256];
    snprintf(text, sizeof text,
             "sluice_tokens_total{route=\"a\"} %d\nsluice_tokens_total{route=\"b\"} %d\n"
             "sluice_requests_total{route=\"a\",status=\"200\"} 1000000\n",
             a, b);
    s_set(s, 0, text);
    snprintf(text, sizeof text, "sluice_tokens_total{route=\"a\"} %d\n", c);
    s_set(s, 1, text);
}

static void
test_tokens_per_s(void)
{
    supervisor_stats_t *s = supervisor_stats_new(2);
    CHECK(supervisor_stats_tokens_per_s(s) == 0);
    s_tokens(s, 60, 40, 0); // 100
    supervisor_stats_tick(s, 10000);
    CHECK(supervisor_stats_tokens_per_s(s) == 0); // one tick: nothing measured yet
    s_tokens(s, 200, 100, 100);                   // 400: 300 in 1 s
    supervisor_stats_tick(s, 11000);
    CHECK(supervisor_stats_tokens_per_s(s) == 300);
    // It holds between ticks, whatever the texts do meanwhile.
    s_tokens(s, 0, 0, 0);
    CHECK(supervisor_stats_tokens_per_s(s) == 300);
    s_tokens(s, 500, 200, 200); // 900: 500 in 2 s
    supervisor_stats_tick(s, 13000);
    CHECK(supervisor_stats_tokens_per_s(s) == 250);
    s_tokens(s, 500, 200, 200); // no new tokens
    supervisor_stats_tick(s, 14000);
    CHECK(supervisor_stats_tokens_per_s(s) == 0);
    s_tokens(s, 500, 201, 200); // 1 token in 500 ms
    supervisor_stats_tick(s, 14500);
    CHECK(supervisor_stats_tokens_per_s(s) == 2);
    // Slot 1's process restarted: the total falls (901 -> 701+3): 0, not negative.
    supervisor_stats_clear(s, 1);
    s_set(s, 1, "sluice_tokens_total{route=\"a\"} 3\n");
    supervisor_stats_tick(s, 15500);
    CHECK(supervisor_stats_tokens_per_s(s) == 0);
    // The next interval is measured from the fallen total: 704 -> 1104 in 1 s.
    s_set(s, 1, "sluice_tokens_total{route=\"a\"} 403\n");
    supervisor_stats_tick(s, 16500);
    CHECK(supervisor_stats_tokens_per_s(s) == 400);
    // A process that exits with nothing after it: the total falls, 0.
    supervisor_stats_clear(s, 0);
    supervisor_stats_tick(s, 17500);
    CHECK(supervisor_stats_tokens_per_s(s) == 0);
    // Only sluice_tokens_total counts: the requests in slot 0 never did.
    s_set(s, 1, "sluice_tokens_total{route=\"a\"} 453\nsluice_requests_total 99999\n");
    supervisor_stats_tick(s, 18000);
    CHECK(supervisor_stats_tokens_per_s(s) == 100);
    supervisor_stats_destroy(&s);
}

// Every name the status command reports since a reset.
static const char *const s_counted[] = {
    "sluice_requests_total",          "sluice_tokens_total",
    "sluice_retries_total",           "sluice_fallbacks_total",
    "sluice_upstream_attempts_total", "sluice_rejects_total",
};
#define N_COUNTED (sizeof s_counted / sizeof s_counted[0])

// Slot 0 reports v of every counted name, over two label sets (v - 1 and 1); slot 1 reports w.
static void
s_counters(supervisor_stats_t *s, int v, int w)
{
    char text[2048];
    size_t at = 0;
    for (size_t i = 0; i < N_COUNTED; i++)
        at +=
            (size_t)snprintf(text + at, sizeof text - at, "%s{route=\"a\"} %d\n%s{route=\"b\"} 1\n",
                             s_counted[i], v - 1, s_counted[i]);
    s_set(s, 0, text);
    at = 0;
    for (size_t i = 0; i < N_COUNTED; i++)
        at +=
            (size_t)snprintf(text + at, sizeof text - at, "%s{route=\"a\"} %d\n", s_counted[i], w);
    s_set(s, 1, text);
}

static void
test_since_reset(void)
{
    supervisor_stats_t *s = supervisor_stats_new(2);
    s_counters(s, 10, 5);
    sl_metrics_sum_t *sum = supervisor_stats_sum(s, NULL, 0, NULL);
    // Never reset: the whole total, over every label set.
    for (size_t i = 0; i < N_COUNTED; i++)
        CHECK(supervisor_stats_since_reset(s, sum, s_counted[i]) == 15);
    supervisor_stats_reset(s, sum);
    for (size_t i = 0; i < N_COUNTED; i++)
        CHECK(supervisor_stats_since_reset(s, sum, s_counted[i]) == 0);
    // The reset leaves the counters alone.
    sl_metrics_sum_destroy(&sum);
    sum = supervisor_stats_sum(s, NULL, 0, NULL);
    CHECK(sl_metrics_sum_total(sum, "sluice_requests_total") == 15);
    CHECK(sl_metrics_sum_get(sum, "sluice_tokens_total{route=\"a\"}") == 14);
    sl_metrics_sum_destroy(&sum);

    // Growth since the reset.
    s_counters(s, 17, 8);
    sum = supervisor_stats_sum(s, NULL, 0, NULL);
    for (size_t i = 0; i < N_COUNTED; i++)
        CHECK(supervisor_stats_since_reset(s, sum, s_counted[i]) == 10);
    sl_metrics_sum_destroy(&sum);

    // Slot 1's process restarted and counted 1 since: 17 + 1 = 18, 3 over the baseline of 15.
    s_counters(s, 17, 1);
    sum = supervisor_stats_sum(s, NULL, 0, NULL);
    for (size_t i = 0; i < N_COUNTED; i++)
        CHECK(supervisor_stats_since_reset(s, sum, s_counted[i]) == 3);
    sl_metrics_sum_destroy(&sum);
    // Both restarted: under the baseline, 0, never negative.
    s_counters(s, 2, 0);
    sum = supervisor_stats_sum(s, NULL, 0, NULL);
    for (size_t i = 0; i < N_COUNTED; i++)
        CHECK(supervisor_stats_since_reset(s, sum, s_counted[i]) == 0);
    // A name nothing reports: 0.
    CHECK(supervisor_stats_since_reset(s, sum, "sluice_messages_dropped_total") == 0);
    // A new reset takes the new, lower baseline.
    supervisor_stats_reset(s, sum);
    sl_metrics_sum_destroy(&sum);
    s_counters(s, 4, 3);
    sum = supervisor_stats_sum(s, NULL, 0, NULL);
    for (size_t i = 0; i < N_COUNTED; i++)
        CHECK(supervisor_stats_since_reset(s, sum, s_counted[i]) == 5);
    sl_metrics_sum_destroy(&sum);

    // The baseline is per name: one name's growth does not move another's figure.
    s_set(s, 1,
          "sluice_tokens_total{route=\"a\"} 103\n"
          "sluice_requests_total{route=\"a\"} 3\n");
    sum = supervisor_stats_sum(s, NULL, 0, NULL);
    CHECK(supervisor_stats_since_reset(s, sum, "sluice_tokens_total") == 105);
    CHECK(supervisor_stats_since_reset(s, sum, "sluice_requests_total") == 5);
    CHECK(supervisor_stats_since_reset(s, sum, "sluice_retries_total") == 2); // 4 + 0 - 2
    sl_metrics_sum_destroy(&sum);
    supervisor_stats_destroy(&s);
}

int
main(void)
{
    test_slots();
    test_cap();
    test_sum_extra_and_bad_lines();
    test_tokens_per_s();
    test_since_reset();
    printf("stats_test: ok\n");
    return 0;
}
