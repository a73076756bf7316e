// prom_test.c - the tests' strict Prometheus text parser: a valid document parses and its
// values are read; each violation of the format is refused with a message naming the line;
// what sl_metrics renders parses.
#include <math.h>

#include "check.h"
#include "prom.h"
#include "sl/metrics.h"

static void
test_valid(void)
{
    static const char doc[] =
        "# HELP sluice_requests_total Client requests \\\\ answered\\nby route.\n"
        "# TYPE sluice_requests_total counter\n"
        "sluice_requests_total{route=\"demo\",status=\"200\"} 15\n"
        "sluice_requests_total{ status = \"500\" , route=\"demo\", } 1 1700000000000\n"
        "# a plain comment\n"
        "#\n"
        "\n"
        "# TYPE h histogram\n"
        "h_bucket{route=\"a\",le=\"0.1\"} 1\n"
        "h_bucket{route=\"a\",le=\"+Inf\"} 2\n"
        "h_bucket{route=\"a\",le=\"0.05\"} 1\n" // any order in the text; le order counts
        "h_sum{route=\"a\"} 0.5\n"
        "h_count{route=\"a\"} 2\n"
        "h_bucket{le=\"+Inf\",route=\"b\"} 0\n"
        "h_sum{route=\"b\"} 0\n"
        "h_count{route=\"b\"} 0\n"
        "# TYPE s summary\n"
        "s{quantile=\"0.5\"} 1\n"
        "s_sum 3\n"
        "s_count 2\n"
        "  g \t -1.5e3  \n"
        "u NaN\n"
        "v{} +Inf\n"
        "w{x=\"a\\\\b\\\"c\\nd\"} -Inf\n"
        "x:y{a=\"\xc3\xa9\"}7\n";
    char err[256];
    prom_t *p = prom_parse(doc, sizeof doc - 1, err, sizeof err);
    if (!p)
        fprintf(stderr, "%s\n", err);
    CHECK(p);
    bool found = false;
    CHECK(prom_value(p, "sluice_requests_total", "route=\"demo\",status=\"200\"", &found) == 15);
    CHECK(found);
    CHECK(prom_value(p, "sluice_requests_total", "status=\"200\",route=\"demo\"", &found) == 15);
    CHECK(found);
    CHECK(prom_value(p, "sluice_requests_total", "status=\"500\",route=\"demo\"", &found) == 1);
    CHECK(found);
    CHECK(prom_value(p, "sluice_requests_total", "status=\"404\",route=\"demo\"", &found) == 0);
    CHECK(!found);
    CHECK(prom_value(p, "sluice_requests_total", "route=\"demo\"", &found) == 0); // a subset
    CHECK(!found);
    CHECK(prom_value(p, "sluice_requests_total", NULL, &found) == 0);
    CHECK(!found);
    CHECK(prom_value(p, "sluice_requests_total", "route=demo", &found) == 0); // bad query
    CHECK(!found);
    CHECK(prom_value(p, "h_bucket", "le=\"+Inf\",route=\"a\"", &found) == 2);
    CHECK(found);
    CHECK(prom_value(p, "h_count", "route=\"b\"", NULL) == 0);
    CHECK(prom_value(p, "s", "quantile=\"0.5\"", &found) == 1);
    CHECK(found);
    CHECK(prom_value(p, "g", NULL, &found) == -1500);
    CHECK(found);
    CHECK(prom_value(p, "g", "", &found) == -1500);
    CHECK(isnan(prom_value(p, "u", NULL, &found)));
    CHECK(prom_value(p, "v", NULL, &found) == INFINITY);
    CHECK(prom_value(p, "w", "x=\"a\\\\b\\\"c\\nd\"", &found) == -INFINITY);
    CHECK(found);
    CHECK(prom_value(p, "x:y", "a=\"\xc3\xa9\"", &found) == 7);
    CHECK(found);
    CHECK_INT(prom_count(p, "sluice_requests_total"), ==, 2);
    CHECK_INT(prom_count(p, "h_bucket"), ==, 4);
    CHECK_INT(prom_count(p, "h_sum"), ==, 2);
    CHECK_INT(prom_count(p, "h"), ==, 0);
    CHECK_INT(prom_count(p, "nope"), ==, 0);
    CHECK_STR(prom_type(p, "sluice_requests_total"), "counter");
    CHECK_STR(prom_type(p, "h"), "histogram");
    CHECK_STR(prom_type(p, "s"), "summary");
    CHECK_STR(prom_type(p, "g"), "untyped");
    CHECK(prom_type(p, "h_bucket") == NULL); // a histogram's samples are its family's
    CHECK(prom_type(p, "nope") == NULL);
    CHECK_STR(prom_help(p, "sluice_requests_total"), "Client requests \\ answered\nby route.");
    CHECK(prom_help(p, "h") == NULL);
    prom_destroy(&p);
    prom_destroy(&p);
    CHECK(p == NULL);

    p = prom_parse("", 0, err, sizeof err); // empty is a valid document
    CHECK(p);
    CHECK_INT(prom_count(p, "x"), ==, 0);
    prom_destroy(&p);
}

#define HIST "# TYPE h histogram\n"

// Each document breaks one rule: refused, the message starts with the line and says why.
static void
test_violations(void)
{
    static const struct {
        const char *doc;
        const char *line; // the message's start
        const char *why;  // text in the message
    } cases[] = {
        {"foo 1", "line 1: ", "newline"},
        {"ok 1\nfoo{a=\"\xff\"} 1\n", "line 2: ", "UTF-8"},
        {"ok 1\nfoo 1\0\n", "line 2: ", "NUL"},
        {"ok 1\n9foo 1\n", "line 2: ", "invalid metric name"},
        {"foo-bar 1\n", "line 1: ", "invalid metric name"},
        {"{a=\"1\"} 1\n", "line 1: ", "invalid metric name"},
        {"foo{9a=\"1\"} 1\n", "line 1: ", "invalid label name"},
        {"foo{a-b=\"1\"} 1\n", "line 1: ", "expected '='"},
        {"foo{a=1} 1\n", "line 1: ", "not quoted"},
        {"foo{a=\"1} 1\n", "line 1: ", "unterminated"},
        {"foo{a=\"1\\", "line 1: ", "newline"},
        {"foo{a=\"1\\\n", "line 1: ", "invalid escape"},
        {"foo{a=\"\\t\"} 1\n", "line 1: ", "invalid escape"},
        {"foo{a=\"1\",a=\"2\"} 1\n", "line 1: ", "label a twice"},
        {"foo{a=\"1\" b=\"2\"} 1\n", "line 1: ", "expected ',' or '}'"},
        {"foo{,} 1\n", "line 1: ", "invalid label name"},
        {"foo{a=\"1\"\n", "line 1: ", "expected ',' or '}'"},
        {"foo\n", "line 1: ", "missing value"},
        {"foo{a=\"1\"}\n", "line 1: ", "missing value"},
        {"foo abc\n", "line 1: ", "invalid value"},
        {"foo inf\n", "line 1: ", "invalid value"},
        {"foo 0x1p3\n", "line 1: ", "invalid value"},
        {"foo 1e999\n", "line 1: ", "invalid value"},
        {"foo .\n", "line 1: ", "invalid value"},
        {"foo 1\r\n", "line 1: ", "invalid value"},
        {"foo{a=\"1\"}} 1\n", "line 1: ", "invalid value"},
        {"foo 1 abc\n", "line 1: ", "invalid timestamp"},
        {"foo 1 1.5\n", "line 1: ", "invalid timestamp"},
        {"foo 1 2 3\n", "line 1: ", "text after the timestamp"},
        {"# HELP\n", "line 1: ", "HELP without a metric name"},
        {"# TYPE   \n", "line 1: ", "TYPE without a metric name"},
        {"# HELP 1foo x\n", "line 1: ", "invalid metric name"},
        {"# HELP foo a\\tb\n", "line 1: ", "invalid escape"},
        {"# HELP foo a\\\"b\n", "line 1: ", "invalid escape"},
        {"# HELP foo a\n# HELP foo b\n", "line 2: ", "second HELP for foo (first at line 1)"},
        {"# TYPE foo\n", "line 1: ", "unknown type"},
        {"# TYPE foo gaugex\n", "line 1: ", "unknown type"},
        {"# TYPE foo Counter\n", "line 1: ", "unknown type"},
        {"# TYPE foo counter\n# TYPE foo gauge\n", "line 2: ", "second TYPE"},
        {"# TYPE foo counter extra\n", "line 1: ", "text after the type"},
        {"foo 1\n# TYPE foo counter\n", "line 2: ", "TYPE for foo after its samples"},
        {"foo 1\n# HELP foo x\n", "line 2: ", "HELP for foo after its samples"},
        {"foo{a=\"1\"} 1\nbar 1\nfoo{a=\"2\"} 1\n", "line 3: ", "samples of foo are not together"},
        {"foo{a=\"1\"} 1\n# TYPE bar gauge\nfoo{a=\"2\"} 1\n", "line 3: ", "not together"},
        {"foo{a=\"1\",b=\"2\"} 1\nfoo{b=\"2\",a=\"1\"} 2\n", "line 2: ", "again (first at line 1)"},
        {"foo 1\nfoo{} 2\n", "line 2: ", "series foo again"},
        {HIST "h 1\n", "line 2: ", "not _bucket, _sum or _count"},
        {HIST "h_bucket 1\n", "line 2: ", "bucket without le"},
        {HIST "h_bucket{le=\"x\"} 1\n", "line 2: ", "invalid le"},
        {HIST "h_bucket{le=\"NaN\"} 1\n", "line 2: ", "invalid le"},
        {HIST "h_sum{le=\"1\"} 1\n", "line 2: ", "le on h_sum"},
        {HIST "h_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", "line 2: ", "no le=\"+Inf\""},
        {HIST "h_sum 1\nh_count 1\n", "line 2: ", "no le=\"+Inf\""},
        {HIST "h_bucket{le=\"1\"} 2\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"+Inf\"} 2\n"
              "h_sum 1\nh_count 2\n",
         "line 3: ", "less than"},
        {HIST "h_bucket{le=\"+Inf\"} 1\nh_bucket{le=\"1\"} 2\nh_sum 1\nh_count 1\n",
         "line 2: ", "less than"}, // the +Inf bucket is below le="1"
        {HIST "h_bucket{le=\"1\"} 1\nh_bucket{le=\"1.0\"} 1\nh_bucket{le=\"+Inf\"} 1\n"
              "h_sum 1\nh_count 1\n",
         "line 3: ", "twice"},
        {HIST "h_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n", "line 4: ", "_count 3 is not"},
        {HIST "h_bucket{le=\"+Inf\"} 2\nh_count 2\n", "line 2: ", "no _sum"},
        {HIST "h_bucket{le=\"+Inf\"} 2\nh_sum 2\n", "line 2: ", "no _count"},
        {HIST "h_bucket{r=\"a\",le=\"+Inf\"} 2\nh_sum{r=\"a\"} 2\nh_count{r=\"a\"} 2\n"
              "h_bucket{r=\"b\",le=\"1\"} 2\nh_sum{r=\"b\"} 2\nh_count{r=\"b\"} 2\n",
         "line 5: ", "h{r=\"b\"} has no le=\"+Inf\""}, // one good label set, one bad
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *doc = cases[i].doc;
        size_t len = strlen(doc);
        if (strcmp(doc, "ok 1\nfoo 1") == 0) // the NUL case: the text goes on past it
            len += 2;
        char err[256] = "unset";
        prom_t *p = prom_parse(doc, len, err, sizeof err);
        if (p || strncmp(err, cases[i].line, strlen(cases[i].line)) != 0
            || !strstr(err, cases[i].why))
            fprintf(stderr, "case %zu: %s\n  -> %s\n", i, doc, p ? "(parsed)" : err);
        CHECK(p == NULL);
        CHECK(strncmp(err, cases[i].line, strlen(cases[i].line)) == 0);
        CHECK(strstr(err, cases[i].why));
    }
    // A message cut to a small buffer, and no buffer at all.
    char small[8];
    CHECK(prom_parse("foo\n", 4, small, sizeof small) == NULL);
    CHECK_STR(small, "line 1:");
    CHECK(prom_parse("foo\n", 4, NULL, 0) == NULL);
}

// What the supervisor renders is a document Prometheus takes, values as summed.
static void
test_metrics_render(void)
{
    sl_buf_t text, labels, out;
    sl_buf_init(&text, 1 << 16);
    sl_buf_init(&labels, 256);
    sl_buf_init(&out, 1 << 16);
    sl_metrics_hist_t h = {0};
    sl_metrics_hist_observe(&h, 0.003);
    sl_metrics_hist_observe(&h, 2);
    CHECK_INT(sl_metrics_label(&labels, "route", "de\"mo\n\\", 7), ==, 0);
    CHECK_INT(sl_metrics_hist_write(&text, "sluice_ttft_seconds", sl_buf_str(&labels), &h), ==, 0);
    CHECK_INT(sl_metrics_hist_write(&text, "sluice_token_gap_seconds", NULL, &h), ==, 0);
    CHECK_INT(sl_metrics_label(&labels, "status", "200", 3), ==, 0);
    CHECK_INT(sl_metrics_sample(&text, "sluice_requests_total", sl_buf_str(&labels), 3), ==, 0);
    CHECK_INT(sl_metrics_sample(&text, "sluice_queue_depth", NULL, 0), ==, 0);
    sl_metrics_sum_t *sum = sl_metrics_sum_new();
    for (int proc = 0; proc < 3; proc++)
        CHECK_INT(sl_metrics_sum_add(sum, text.data, text.len, NULL), ==, 0);
    CHECK_INT(sl_metrics_sum_render(sum, &out), ==, 0);
    char err[256];
    prom_t *p = prom_parse(out.data, out.len, err, sizeof err);
    if (!p)
        fprintf(stderr, "%s\n%s", err, sl_buf_str(&out));
    CHECK(p);
    CHECK_STR(prom_type(p, "sluice_ttft_seconds"), "histogram");
    CHECK_STR(prom_type(p, "sluice_requests_total"), "counter");
    CHECK_STR(prom_type(p, "sluice_queue_depth"), "gauge");
    CHECK(prom_help(p, "sluice_queue_depth"));
    bool found;
    CHECK(prom_value(p, "sluice_requests_total", "status=\"200\",route=\"de\\\"mo\\n\\\\\"", &found)
          == 9);
    CHECK(found);
    CHECK(prom_value(p, "sluice_ttft_seconds_count", "route=\"de\\\"mo\\n\\\\\"", &found) == 6);
    CHECK(prom_value(p, "sluice_ttft_seconds_bucket", "route=\"de\\\"mo\\n\\\\\",le=\"0.005\"",
                     &found)
          == 3);
    CHECK_INT(prom_count(p, "sluice_ttft_seconds_bucket"), ==, SL_METRICS_BUCKETS + 1);
    CHECK_INT(prom_count(p, "sluice_token_gap_seconds_bucket"), ==, SL_METRICS_BUCKETS + 1);
    CHECK(prom_value(p, "sluice_queue_depth", NULL, &found) == 0);
    CHECK(found);
    prom_destroy(&p);
    sl_metrics_sum_destroy(&sum);
    sl_buf_free(&text);
    sl_buf_free(&labels);
    sl_buf_free(&out);
}

int
main(void)
{
    test_valid();
    test_violations();
    test_metrics_render();
    printf("prom_test: ok\n");
    return 0;
}
