// meter_test.c - what the ingress counts for /metrics, by the exact STATS lines it writes:
// tokens by route, the time-to-first-token histogram only once observed, requests by route
// and status, aliases that are no configured route counted as "other" (hostile ones
// included), statuses past INGRESS_METER_STATUSES counted as "other", the token gap
// histogram, the streams gauge, a reload, and a full buffer.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "meter.h"
#include "sl/buf.h"
#include "sl/config.h"
#include "sl/err.h"
#include "sl/metrics.h"

#define MAX_LINES 256

static const char *const s_le[SL_METRICS_BUCKETS + 1] = {
    "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
    "0.5",   "1",      "2.5",   "5",    "10",    "30",   "60",  "+Inf",
};

static const char *const s_yaml_v1 =
    "providers:\n"
    "  - {name: openai, kind: openai, base_url: http://x/v1}\n"
    "routes:\n"
    "  - {model: gpt-4o, targets: [{provider: openai, model: a}]}\n"
    "  - {model: mini, targets: [{provider: openai, model: b}]}\n"
    "demo: {enabled: false}\n";
// The reload: mini is gone, fresh is new.
static const char *const s_yaml_v2 =
    "providers:\n"
    "  - {name: openai, kind: openai, base_url: http://x/v1}\n"
    "routes:\n"
    "  - {model: gpt-4o, targets: [{provider: openai, model: a}]}\n"
    "  - {model: fresh, targets: [{provider: openai, model: c}]}\n"
    "demo: {enabled: false}\n";

static sl_config_t *
s_config(const char *yaml)
{
    sl_config_t *cfg = NULL;
    sl_diag_t diag = {{0}};
    int rc = sl_config_load_string(yaml, "meter.yaml", &cfg, &diag);
    if (rc != 0)
        fprintf(stderr, "config: %s\n", diag.msg);
    CHECK_INT(rc, ==, 0);
    return cfg;
}

// A list of expected lines, each without its newline.
typedef struct {
    char *lines[MAX_LINES];
    size_t n;
} lines_t;

static void
s_add(lines_t *l, const char *line)
{
    CHECK(l->n < MAX_LINES);
    l->lines[l->n] = strdup(line);
    CHECK(l->lines[l->n]);
    l->n++;
}

// The lines of a histogram: counts per bucket (not cumulative, +Inf last), labels without le
// ("" for none), sum as it prints.
static void
s_add_hist(
    lines_t *l, const char *name, const char *labels, const uint64_t *counts, const char *sum)
{
    char line[256];
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= SL_METRICS_BUCKETS; b++) {
        cumulative += counts[b];
        snprintf(line, sizeof line, "%s_bucket{%s%sle=\"%s\"} %llu", name, labels,
                 *labels ? "," : "", s_le[b], (unsigned long long)cumulative);
        s_add(l, line);
    }
    const char *open = *labels ? "{" : "", *close = *labels ? "}" : "";
    snprintf(line, sizeof line, "%s_sum%s%s%s %s", name, open, labels, close, sum);
    s_add(l, line);
    snprintf(line, sizeof line, "%s_count%s%s%s %llu", name, open, labels, close,
             (unsigned long long)cumulative);
    s_add(l, line);
}

static int
s_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
s_free(lines_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->lines[i]);
    l->n = 0;
}

// Split text into lines (each must end in a newline).
static void
s_split(const char *text, lines_t *out)
{
    out->n = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        CHECK(nl != NULL); // the last line ends in a newline too
        char line[512];
        CHECK((size_t)(nl - p) < sizeof line);
        memcpy(line, p, (size_t)(nl - p));
        line[nl - p] = '\0';
        s_add(out, line);
        p = nl + 1;
    }
}

// The text holds exactly the expected lines, in any order (routes come in hash order), each
// once; and it parses as STATS with no bad line.
static void
s_expect_lines(const char *text, lines_t *want)
{
    lines_t got = {0};
    s_split(text, &got);
    qsort(got.lines, got.n, sizeof got.lines[0], s_cmp);
    qsort(want->lines, want->n, sizeof want->lines[0], s_cmp);
    for (size_t i = 0; i < got.n && i < want->n; i++)
        if (strcmp(got.lines[i], want->lines[i]) != 0) {
            fprintf(stderr, "text:\n%s", text);
            CHECK_STR(got.lines[i], want->lines[i]);
        }
    if (got.n != want->n)
        fprintf(stderr, "text:\n%s", text);
    CHECK_INT(got.n, ==, want->n);
    s_free(&got);
    s_free(want);

    sl_metrics_sum_t *sum = sl_metrics_sum_new();
    size_t bad = 99;
    CHECK_INT(sl_metrics_sum_add(sum, text, strlen(text), &bad), ==, 0);
    CHECK_INT(bad, ==, 0);
    sl_metrics_sum_destroy(&sum);
}

// The lines of one histogram come in order: buckets ascending, +Inf, _sum, _count.
static void
s_expect_order(const char *text, const char *name, const char *labels)
{
    const char *last = text;
    char line[256];
    for (size_t b = 0; b <= SL_METRICS_BUCKETS; b++) {
        snprintf(line, sizeof line, "%s_bucket{%s%sle=\"%s\"} ", name, labels, *labels ? "," : "",
                 s_le[b]);
        const char *at = strstr(text, line);
        CHECK(at != NULL && at >= last);
        last = at;
    }
    snprintf(line, sizeof line, "%s_sum", name);
    const char *sum = strstr(last, line);
    CHECK(sum != NULL);
    snprintf(line, sizeof line, "%s_count", name);
    CHECK(strstr(sum, line) != NULL);
}

static char *
s_write(ingress_meter_t *m, size_t streams)
{
    sl_buf_t out;
    sl_buf_init(&out, 1 << 20);
    CHECK_INT(ingress_meter_write(m, &out, streams), ==, 0);
    char *text = strdup(sl_buf_str(&out));
    CHECK(text);
    sl_buf_free(&out);
    return text;
}

static void
test_empty(void)
{
    sl_config_t *cfg = s_config(s_yaml_v1);
    ingress_meter_t *m = ingress_meter_new(cfg);
    char *text = s_write(m, 0);
    CHECK_STR(
        text,
        "sluice_streams_in_flight 0\nsluice_clients_behind_total 0\nsluice_resumes_total 0\n");
    free(text);
    ingress_meter_behind(m);
    ingress_meter_resume(m);
    ingress_meter_resume(m);
    text = s_write(m, 12345);
    CHECK_STR(text, "sluice_streams_in_flight 12345\nsluice_clients_behind_total 1\n"
                    "sluice_resumes_total 2\n");
    free(text);
    ingress_meter_destroy(&m);
    CHECK(m == NULL);
    ingress_meter_destroy(&m);
    sl_config_destroy(&cfg);
}

static void
test_counts(void)
{
    sl_config_t *cfg = s_config(s_yaml_v1);
    ingress_meter_t *m = ingress_meter_new(cfg);
    // gpt-4o: first tokens after 250 ms, then two writes 5 ms and 500 ms apart.
    ingress_meter_tokens(m, "gpt-4o", 3, 250, -1);
    ingress_meter_tokens(m, "gpt-4o", 4, -1, 5);
    ingress_meter_tokens(m, "gpt-4o", 5, -1, 500);
    ingress_meter_request(m, "gpt-4o", 200);
    ingress_meter_request(m, "gpt-4o", 429);
    ingress_meter_request(m, "gpt-4o", 200);
    // mini: tokens with no first-token time: no ttft histogram for it.
    ingress_meter_tokens(m, "mini", 7, -1, -1);
    ingress_meter_request(m, "mini", 500);
    // Aliases with no route: one "other" label for all of them.
    ingress_meter_tokens(m, "no-such-route", 2, 1500, -1);
    ingress_meter_tokens(m, "GPT-4O", 1, -1, -1);
    ingress_meter_tokens(m, "gpt-4", 1, -1, -1);
    ingress_meter_request(m, "no-such-route", 404);
    ingress_meter_request(m, "another-one", 404);
    ingress_meter_request(m, "gpt-4o-mini", 400);

    char *text = s_write(m, 3);
    lines_t want = {0};
    s_add(&want, "sluice_tokens_total{route=\"gpt-4o\"} 12");
    static const uint64_t ttft_gpt[SL_METRICS_BUCKETS + 1] = {[7] = 1}; // 0.25 s: le="0.25"
    s_add_hist(&want, "sluice_ttft_seconds", "route=\"gpt-4o\"", ttft_gpt, "0.25");
    s_add(&want, "sluice_requests_total{route=\"gpt-4o\",status=\"200\"} 2");
    s_add(&want, "sluice_requests_total{route=\"gpt-4o\",status=\"429\"} 1");
    s_add(&want, "sluice_tokens_total{route=\"mini\"} 7");
    s_add(&want, "sluice_requests_total{route=\"mini\",status=\"500\"} 1");
    s_add(&want, "sluice_tokens_total{route=\"other\"} 4");
    static const uint64_t ttft_other[SL_METRICS_BUCKETS + 1] = {[10] = 1}; // 1.5 s: le="2.5"
    s_add_hist(&want, "sluice_ttft_seconds", "route=\"other\"", ttft_other, "1.5");
    s_add(&want, "sluice_requests_total{route=\"other\",status=\"404\"} 2");
    s_add(&want, "sluice_requests_total{route=\"other\",status=\"400\"} 1");
    static const uint64_t gaps[SL_METRICS_BUCKETS + 1] = {[2] = 1, [8] = 1}; // 0.005, 0.5
    s_add_hist(&want, "sluice_token_gap_seconds", "", gaps, "0.505");
    s_add(&want, "sluice_streams_in_flight 3");
    s_add(&want, "sluice_clients_behind_total 0");
    s_add(&want, "sluice_resumes_total 0");
    s_expect_lines(text, &want);
    s_expect_order(text, "sluice_ttft_seconds", "route=\"gpt-4o\"");
    s_expect_order(text, "sluice_ttft_seconds", "route=\"other\"");
    s_expect_order(text, "sluice_token_gap_seconds", "");
    free(text);

    // Counts only grow; writing does not reset them. A ttft of 0 ms is an observation.
    ingress_meter_tokens(m, "mini", 1, 0, -1);
    ingress_meter_request(m, "mini", 500);
    text = s_write(m, 0);
    sl_metrics_sum_t *sum = sl_metrics_sum_new();
    CHECK_INT(sl_metrics_sum_add(sum, text, strlen(text), NULL), ==, 0);
    CHECK(sl_metrics_sum_get(sum, "sluice_tokens_total{route=\"mini\"}") == 8);
    CHECK(sl_metrics_sum_get(sum, "sluice_requests_total{route=\"mini\",status=\"500\"}") == 2);
    CHECK(sl_metrics_sum_get(sum, "sluice_ttft_seconds_bucket{route=\"mini\",le=\"0.001\"}") == 1);
    CHECK(sl_metrics_sum_get(sum, "sluice_ttft_seconds_count{route=\"mini\"}") == 1);
    CHECK(sl_metrics_sum_get(sum, "sluice_tokens_total{route=\"gpt-4o\"}") == 12);
    CHECK(sl_metrics_sum_get(sum, "sluice_token_gap_seconds_count") == 2);
    CHECK(sl_metrics_sum_get(sum, "sluice_streams_in_flight") == 0);
    CHECK(strstr(text, "sluice_streams_in_flight 0\n") != NULL);
    sl_metrics_sum_destroy(&sum);
    free(text);
    ingress_meter_destroy(&m);
    sl_config_destroy(&cfg);
}

// Clients choose the alias: any number of names, and names full of quotes, newlines and bytes
// that are not UTF-8, all land on the one "other" label, and the text still parses.
static void
test_hostile_aliases(void)
{
    sl_config_t *cfg = s_config(s_yaml_v1);
    ingress_meter_t *m = ingress_meter_new(cfg);
    char alias[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(alias, sizeof alias, "alias-%d", i);
        ingress_meter_tokens(m, alias, 1, -1, -1);
        ingress_meter_request(m, alias, 200);
    }
    ingress_meter_tokens(m, "x\"} 99\nsluice_queue_depth 7\n", 1, -1, -1);
    ingress_meter_request(m, "bad\xff\xfe\\", 200);
    char *text = s_write(m, 1);
    lines_t want = {0};
    s_add(&want, "sluice_tokens_total{route=\"other\"} 1001");
    s_add(&want, "sluice_requests_total{route=\"other\",status=\"200\"} 1001");
    s_add(&want, "sluice_streams_in_flight 1");
    s_add(&want, "sluice_clients_behind_total 0");
    s_add(&want, "sluice_resumes_total 0");
    s_expect_lines(text, &want);
    free(text);
    ingress_meter_destroy(&m);
    sl_config_destroy(&cfg);
}

static void
test_status_overflow(void)
{
    sl_config_t *cfg = s_config(s_yaml_v1);
    ingress_meter_t *m = ingress_meter_new(cfg);
    // INGRESS_METER_STATUSES distinct statuses get their own label: status 200 + i, i + 1 times.
    for (unsigned i = 0; i < INGRESS_METER_STATUSES; i++)
        for (unsigned k = 0; k <= i; k++)
            ingress_meter_request(m, "gpt-4o", 200 + i);
    // The rest: 3 distinct ones, 5 requests, under "other".
    ingress_meter_request(m, "gpt-4o", 500);
    ingress_meter_request(m, "gpt-4o", 503);
    ingress_meter_request(m, "gpt-4o", 500);
    ingress_meter_request(m, "gpt-4o", 599);
    ingress_meter_request(m, "gpt-4o", 503);
    // A status already in the table still counts under its own label after the overflow.
    ingress_meter_request(m, "gpt-4o", 200);
    // Another route has its own table.
    ingress_meter_request(m, "mini", 500);
    ingress_meter_tokens(m, "gpt-4o", 1, -1, -1);
    ingress_meter_tokens(m, "mini", 2, -1, -1);
    char *text = s_write(m, 0);

    lines_t want = {0};
    char line[128];
    s_add(&want, "sluice_tokens_total{route=\"gpt-4o\"} 1");
    s_add(&want, "sluice_tokens_total{route=\"mini\"} 2");
    for (unsigned i = 0; i < INGRESS_METER_STATUSES; i++) {
        snprintf(line, sizeof line, "sluice_requests_total{route=\"gpt-4o\",status=\"%u\"} %u",
                 200 + i, i + 1 + (i == 0));
        s_add(&want, line);
    }
    s_add(&want, "sluice_requests_total{route=\"gpt-4o\",status=\"other\"} 5");
    s_add(&want, "sluice_requests_total{route=\"mini\",status=\"500\"} 1");
    s_add(&want, "sluice_streams_in_flight 0");
    s_add(&want, "sluice_clients_behind_total 0");
    s_add(&want, "sluice_resumes_total 0");
    s_expect_lines(text, &want);
    free(text);
    ingress_meter_destroy(&m);
    sl_config_destroy(&cfg);
}

static void
test_reload(void)
{
    sl_config_t *v1 = s_config(s_yaml_v1);
    ingress_meter_t *m = ingress_meter_new(v1);
    ingress_meter_request(m, "fresh", 200); // no route yet: other
    ingress_meter_request(m, "mini", 200);
    ingress_meter_tokens(m, "mini", 5, -1, -1);
    sl_config_t *v2 = s_config(s_yaml_v2);
    ingress_meter_set_config(m, v2);
    sl_config_destroy(&v1);                 // the meter must not hold on to the old config
    ingress_meter_request(m, "fresh", 200); // its own label now
    ingress_meter_request(m, "mini", 200);  // gone: other from now on
    char *text = s_write(m, 0);
    sl_metrics_sum_t *sum = sl_metrics_sum_new();
    CHECK_INT(sl_metrics_sum_add(sum, text, strlen(text), NULL), ==, 0);
    CHECK(sl_metrics_sum_get(sum, "sluice_requests_total{route=\"fresh\",status=\"200\"}") == 1);
    CHECK(sl_metrics_sum_get(sum, "sluice_requests_total{route=\"other\",status=\"200\"}") == 2);
    // The dropped route's counts so far are history and stay.
    CHECK(sl_metrics_sum_get(sum, "sluice_requests_total{route=\"mini\",status=\"200\"}") == 1);
    CHECK(sl_metrics_sum_get(sum, "sluice_tokens_total{route=\"mini\"}") == 5);
    CHECK(sl_metrics_sum_total(sum, "sluice_requests_total") == 4);
    sl_metrics_sum_destroy(&sum);
    free(text);
    ingress_meter_destroy(&m);
    sl_config_destroy(&v2);
}

static void
test_too_big(void)
{
    sl_config_t *cfg = s_config(s_yaml_v1);
    ingress_meter_t *m = ingress_meter_new(cfg);
    ingress_meter_tokens(m, "gpt-4o", 3, 250, 5);
    ingress_meter_request(m, "gpt-4o", 200);
    sl_buf_t out;
    sl_buf_init(&out, 300);
    CHECK_INT(sl_buf_append_str(&out, "sluice_queue_depth 1\n"), ==, 0);
    CHECK_INT(ingress_meter_write(m, &out, 1), ==, SL_ETOOBIG);
    // All or nothing, as every metrics writer: what was there before is all there is.
    CHECK_STR(sl_buf_str(&out), "sluice_queue_depth 1\n");
    // Exactly the room for the text: it fits.
    char *text = s_write(m, 1);
    sl_buf_t exact;
    sl_buf_init(&exact, strlen(text));
    CHECK_INT(ingress_meter_write(m, &exact, 1), ==, 0);
    CHECK_STR(sl_buf_str(&exact), text);
    // One byte less: it does not.
    sl_buf_t short_by_one;
    sl_buf_init(&short_by_one, strlen(text) - 1);
    CHECK_INT(ingress_meter_write(m, &short_by_one, 1), ==, SL_ETOOBIG);
    CHECK_INT(short_by_one.len, ==, 0);
    free(text);
    sl_buf_free(&out);
    sl_buf_free(&exact);
    sl_buf_free(&short_by_one);
    ingress_meter_destroy(&m);
    sl_config_destroy(&cfg);
}

int
main(void)
{
    test_empty();
    test_counts();
    test_hostile_aliases();
    test_status_overflow();
    test_reload();
    test_too_big();
    printf("meter_test: ok\n");
    return 0;
}
