// metrics_test.c - sample lines as processes write them, histograms, and the supervisor's sum:
// exact rendered text, escaping, number forms, bad lines skipped and counted, the series cap.
#include <math.h>
#include <stdbool.h>

#include "check.h"
#include "sl/err.h"
#include "sl/metrics.h"

// Each value as sl_metrics_sample prints it.
static void
test_values(void)
{
    static const struct {
        double v;
        const char *text;
    } cases[] = {
        {12, "12"},
        {0, "0"},
        {-0.0, "0"},
        {-3, "-3"},
        {1e15, "1000000000000000"},
        {9007199254740991.0, "9007199254740991"}, // 2^53 - 1: the largest exact integer
        {1e20, "1e+20"},
        {0.25, "0.25"},
        {0.1, "0.1"},
        {2.5, "2.5"},
        {1e-7, "1e-07"},
        {64.1328125, "64.1328125"},
        {0.1 + 0.2, "0.30000000000000004"}, // needs all 17 digits to read back
        {NAN, "NaN"},
        {INFINITY, "+Inf"},
        {-INFINITY, "-Inf"},
    };
    sl_buf_t out;
    sl_buf_init(&out, 1024);
    char want[128];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_buf_reset(&out);
        CHECK_INT(sl_metrics_sample(&out, "sluice_queue_depth", NULL, cases[i].v), ==, 0);
        snprintf(want, sizeof want, "sluice_queue_depth %s\n", cases[i].text);
        CHECK_STR(sl_buf_str(&out), want);
    }
    // 1/3 has no short form: whatever is printed reads back as the same double.
    sl_buf_reset(&out);
    CHECK_INT(sl_metrics_sample(&out, "x", "", 1.0 / 3), ==, 0);
    CHECK(strtod(sl_buf_str(&out) + 2, NULL) == 1.0 / 3);
    sl_buf_free(&out);
}

static void
test_labels(void)
{
    sl_buf_t labels, out;
    sl_buf_init(&labels, 256);
    sl_buf_init(&out, 1024);
    CHECK_INT(sl_metrics_label(&labels, "route", "demo", 4), ==, 0);
    CHECK_INT(sl_metrics_label(&labels, "status", "200", 3), ==, 0);
    CHECK_STR(sl_buf_str(&labels), "route=\"demo\",status=\"200\"");
    CHECK_INT(sl_metrics_sample(&out, "sluice_requests_total", sl_buf_str(&labels), 12), ==, 0);
    CHECK_STR(sl_buf_str(&out), "sluice_requests_total{route=\"demo\",status=\"200\"} 12\n");

    static const struct {
        const char *in;
        size_t len;
        const char *out;
    } cases[] = {
        {"", 0, "k=\"\""},
        {"a\\b\"c\nd", 7, "k=\"a\\\\b\\\"c\\nd\""}, // the three escapes
        {"a\tb\x7f", 4,
         "k=\"a\xef\xbf\xbd"
         "b\xef\xbf\xbd\""},                               // control bytes -> U+FFFD
        {"caf\xc3\xa9", 5, "k=\"caf\xc3\xa9\""},           // UTF-8 kept
        {"\xf0\x9f\x98\x80", 4, "k=\"\xf0\x9f\x98\x80\""}, // 4-byte UTF-8 kept
        {"\xff", 1, "k=\"\xef\xbf\xbd\""},                 // never valid
        {"x\xc3", 2, "k=\"x\xef\xbf\xbd\""},               // sequence cut at the end
        {"\xc0\xaf", 2, "k=\"\xef\xbf\xbd\xef\xbf\xbd\""}, // overlong '/'
        {"\xed\xa0\x80", 3, "k=\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""}, // surrogate
        {"a\0b", 3,
         "k=\"a\xef\xbf\xbd"
         "b\""}, // NUL is a control byte
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_buf_reset(&labels);
        CHECK_INT(sl_metrics_label(&labels, "k", cases[i].in, cases[i].len), ==, 0);
        CHECK_STR(sl_buf_str(&labels), cases[i].out);
    }
    sl_buf_reset(&labels);
    CHECK_INT(sl_metrics_label(&labels, "k", NULL, 0), ==, 0);
    CHECK_STR(sl_buf_str(&labels), "k=\"\"");

    // Every escaped value is one the sum takes back.
    sl_metrics_sum_t *sum = sl_metrics_sum_new();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_buf_reset(&labels);
        CHECK_INT(sl_metrics_label(&labels, "route", cases[i].in, cases[i].len), ==, 0);
        CHECK_INT(sl_metrics_sum_sample(sum, "sluice_tokens_total", sl_buf_str(&labels), 1), ==, 0);
    }
    sl_metrics_sum_destroy(&sum);

    // All or nothing at the cap.
    sl_buf_t small;
    sl_buf_init(&small, 12);
    CHECK_INT(sl_metrics_label(&small, "a", "1", 1), ==, 0); // a="1": 5 bytes
    CHECK_INT(sl_metrics_label(&small, "bb", "long", 4), ==, SL_ETOOBIG);
    CHECK_STR(sl_buf_str(&small), "a=\"1\"");
    CHECK_INT(sl_metrics_sample(&small, "sluice_queue_depth", NULL, 1), ==, SL_ETOOBIG);
    CHECK_STR(sl_buf_str(&small), "a=\"1\"");
    sl_buf_free(&small);
    sl_buf_free(&labels);
    sl_buf_free(&out);
}

// The next double above v (v > 0), without libm.
static double
s_next_up(double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    bits++;
    memcpy(&v, &bits, sizeof v);
    return v;
}

static void
test_hist_observe(void)
{
    sl_metrics_hist_t h = {0};
    for (size_t b = 0; b < SL_METRICS_BUCKETS; b++)
        sl_metrics_hist_observe(&h, sl_metrics_bounds[b]); // le is inclusive
    for (size_t b = 0; b < SL_METRICS_BUCKETS; b++)
        CHECK_INT(h.counts[b], ==, 1);
    CHECK_INT(h.counts[SL_METRICS_BUCKETS], ==, 0);
    sl_metrics_hist_observe(&h, s_next_up(0.001)); // just past a bound: the next bucket
    CHECK_INT(h.counts[1], ==, 2);
    sl_metrics_hist_observe(&h, s_next_up(60)); // past the last bound: +Inf
    CHECK_INT(h.counts[SL_METRICS_BUCKETS], ==, 1);
    sl_metrics_hist_observe(&h, 0);
    sl_metrics_hist_observe(&h, -5); // counted as 0
    CHECK_INT(h.counts[0], ==, 3);
    uint64_t count = h.count;
    double sum = h.sum;
    sl_metrics_hist_observe(&h, NAN); // ignored
    CHECK_INT(h.count, ==, count);
    CHECK(h.sum == sum);
    CHECK_INT(h.count, ==, SL_METRICS_BUCKETS + 4);
}

static void
test_hist_write(void)
{
    sl_metrics_hist_t h = {0};
    sl_metrics_hist_observe(&h, 0.00390625); // le="0.005"
    sl_metrics_hist_observe(&h, 0.125);      // le="0.25"
    sl_buf_t out;
    sl_buf_init(&out, 4096);
    CHECK_INT(sl_metrics_hist_write(&out, "sluice_token_gap_seconds", NULL, &h), ==, 0);
    CHECK_STR(sl_buf_str(&out), "sluice_token_gap_seconds_bucket{le=\"0.001\"} 0\n"
                                "sluice_token_gap_seconds_bucket{le=\"0.0025\"} 0\n"
                                "sluice_token_gap_seconds_bucket{le=\"0.005\"} 1\n"
                                "sluice_token_gap_seconds_bucket{le=\"0.01\"} 1\n"
                                "sluice_token_gap_seconds_bucket{le=\"0.025\"} 1\n"
                                "sluice_token_gap_seconds_bucket{le=\"0.05\"} 1\n"
                                "sluice_token_gap_seconds_bucket{le=\"0.1\"} 1\n"
                                "sluice_token_gap_seconds_bucket{le=\"0.25\"} 2\n"
                                "sluice_token_gap_seconds_bucket{le=\"0.5\"} 2\n"
                                "sluice_token_gap_seconds_bucket{le=\"1\"} 2\n"
                                "sluice_token_gap_seconds_bucket{le=\"2.5\"} 2\n"
                                "sluice_token_gap_seconds_bucket{le=\"5\"} 2\n"
                                "sluice_token_gap_seconds_bucket{le=\"10\"} 2\n"
                                "sluice_token_gap_seconds_bucket{le=\"30\"} 2\n"
                                "sluice_token_gap_seconds_bucket{le=\"60\"} 2\n"
                                "sluice_token_gap_seconds_bucket{le=\"+Inf\"} 2\n"
                                "sluice_token_gap_seconds_sum 0.12890625\n"
                                "sluice_token_gap_seconds_count 2\n");
    sl_buf_reset(&out);
    CHECK_INT(sl_metrics_hist_write(&out, "h", "route=\"a\"", &h), ==, 0);
    CHECK(strstr(sl_buf_str(&out), "h_bucket{route=\"a\",le=\"0.001\"} 0\n") == sl_buf_str(&out));
    CHECK(strstr(sl_buf_str(&out), "\nh_sum{route=\"a\"} 0.12890625\nh_count{route=\"a\"} 2\n"));
    sl_buf_t small;
    sl_buf_init(&small, 200);
    CHECK_INT(sl_buf_append_str(&small, "keep\n"), ==, 0);
    CHECK_INT(sl_metrics_hist_write(&small, "h", NULL, &h), ==, SL_ETOOBIG);
    CHECK_STR(sl_buf_str(&small), "keep\n");
    sl_buf_free(&small);
    sl_buf_free(&out);
}

// Two processes' texts summed and rendered: counters added, a gauge added, a histogram's
// buckets added bucket by bucket, families in table order with HELP and TYPE.
static void
test_sum_render(void)
{
    sl_buf_t a, b, out;
    sl_buf_init(&a, 1 << 16);
    sl_buf_init(&b, 1 << 16);
    sl_buf_init(&out, 1 << 16);
    sl_metrics_hist_t ha = {0}, hb = {0}, halpha = {0};
    sl_metrics_hist_observe(&ha, 0.00390625);
    sl_metrics_hist_observe(&ha, 0.125);
    sl_metrics_hist_observe(&hb, 0.00390625);
    sl_metrics_hist_observe(&hb, 64);
    sl_metrics_hist_observe(&halpha, 1);
    // Process a.
    CHECK_INT(sl_metrics_sample(&a, "sluice_queue_depth", NULL, 2), ==, 0);
    CHECK_INT(sl_metrics_hist_write(&a, "sluice_ttft_seconds", "route=\"demo\"", &ha), ==, 0);
    CHECK_INT(sl_metrics_sample(&a, "sluice_requests_total", "route=\"demo\",status=\"500\"", 1),
              ==, 0);
    CHECK_INT(sl_metrics_sample(&a, "sluice_requests_total", "route=\"demo\",status=\"200\"", 12),
              ==, 0);
    // Process b.
    CHECK_INT(sl_metrics_sample(&b, "sluice_requests_total", "route=\"demo\",status=\"200\"", 3),
              ==, 0);
    CHECK_INT(sl_metrics_hist_write(&b, "sluice_ttft_seconds", "route=\"demo\"", &hb), ==, 0);
    CHECK_INT(sl_metrics_hist_write(&b, "sluice_ttft_seconds", "route=\"alpha\"", &halpha), ==, 0);
    CHECK_INT(sl_metrics_sample(&b, "sluice_queue_depth", NULL, 1), ==, 0);

    sl_metrics_sum_t *sum = sl_metrics_sum_new();
    size_t bad = 99;
    CHECK_INT(sl_metrics_sum_add(sum, a.data, a.len, &bad), ==, 0);
    CHECK_INT(bad, ==, 0);
    CHECK_INT(sl_metrics_sum_add(sum, b.data, b.len, &bad), ==, 0);
    CHECK_INT(bad, ==, 0);
    CHECK_INT(sl_metrics_sum_render(sum, &out), ==, 0);
    CHECK_STR(sl_buf_str(&out),
              "# HELP sluice_requests_total Client requests answered, by route and HTTP status\n"
              "# TYPE sluice_requests_total counter\n"
              "sluice_requests_total{route=\"demo\",status=\"200\"} 15\n"
              "sluice_requests_total{route=\"demo\",status=\"500\"} 1\n"
              "# HELP sluice_ttft_seconds Time from a request's arrival to its first token "
              "written to the client, by route\n"
              "# TYPE sluice_ttft_seconds histogram\n"
              "sluice_ttft_seconds_bucket{route=\"alpha\",le=\"0.001\"} 0\n"
              "sluice_ttft_seconds_bucket{route=\"alpha\",le=\"0.0025\"} 0\n"
              "sluice_ttft_seconds_bucket{route=\"alpha\",le=\"0.005\"} 0\n"
              "sluice_ttft_seconds_bucket{route=\"alpha\",le=\"0.01\"} 0\n"
              "sluice_ttft_seconds_bucket{route=\"alpha\",le=\"0.025\"} 0\n"
              "sluice_ttft_seconds_bucket{route=\"alpha\",le=\"0.05\"} 0\n"
              "sluice_ttft_seconds_bucket{route=\"alpha\",le=\"0.1\"} 0\n"
              "sluice_ttft_seconds_bucket{route=\"alpha\",le=\"0.25\"} 0\n"
              "sluice_ttft_seconds_bucket{route=\"alpha\",le=\"0.5\"} 0\n"
              "sluice_ttft_seconds_bucket{route=\"alpha\",le=\"1\"} 1\n"
              "sluice_ttft_seconds_bucket{route=\"alpha\",le=\"2.5\"} 1\n"
              "sluice_ttft_seconds_bucket{route=\"alpha\",le=\"5\"} 1\n"
              "sluice_ttft_seconds_bucket{route=\"alpha\",le=\"10\"} 1\n"
              "sluice_ttft_seconds_bucket{route=\"alpha\",le=\"30\"} 1\n"
              "sluice_ttft_seconds_bucket{route=\"alpha\",le=\"60\"} 1\n"
              "sluice_ttft_seconds_bucket{route=\"alpha\",le=\"+Inf\"} 1\n"
              "sluice_ttft_seconds_sum{route=\"alpha\"} 1\n"
              "sluice_ttft_seconds_count{route=\"alpha\"} 1\n"
              "sluice_ttft_seconds_bucket{route=\"demo\",le=\"0.001\"} 0\n"
              "sluice_ttft_seconds_bucket{route=\"demo\",le=\"0.0025\"} 0\n"
              "sluice_ttft_seconds_bucket{route=\"demo\",le=\"0.005\"} 2\n"
              "sluice_ttft_seconds_bucket{route=\"demo\",le=\"0.01\"} 2\n"
              "sluice_ttft_seconds_bucket{route=\"demo\",le=\"0.025\"} 2\n"
              "sluice_ttft_seconds_bucket{route=\"demo\",le=\"0.05\"} 2\n"
              "sluice_ttft_seconds_bucket{route=\"demo\",le=\"0.1\"} 2\n"
              "sluice_ttft_seconds_bucket{route=\"demo\",le=\"0.25\"} 3\n"
              "sluice_ttft_seconds_bucket{route=\"demo\",le=\"0.5\"} 3\n"
              "sluice_ttft_seconds_bucket{route=\"demo\",le=\"1\"} 3\n"
              "sluice_ttft_seconds_bucket{route=\"demo\",le=\"2.5\"} 3\n"
              "sluice_ttft_seconds_bucket{route=\"demo\",le=\"5\"} 3\n"
              "sluice_ttft_seconds_bucket{route=\"demo\",le=\"10\"} 3\n"
              "sluice_ttft_seconds_bucket{route=\"demo\",le=\"30\"} 3\n"
              "sluice_ttft_seconds_bucket{route=\"demo\",le=\"60\"} 3\n"
              "sluice_ttft_seconds_bucket{route=\"demo\",le=\"+Inf\"} 4\n"
              "sluice_ttft_seconds_sum{route=\"demo\"} 64.1328125\n"
              "sluice_ttft_seconds_count{route=\"demo\"} 4\n"
              "# HELP sluice_queue_depth Requests waiting for a worker\n"
              "# TYPE sluice_queue_depth gauge\n"
              "sluice_queue_depth 3\n");

    // Lookups.
    CHECK(sl_metrics_sum_get(sum, "sluice_requests_total{route=\"demo\",status=\"200\"}") == 15);
    CHECK(sl_metrics_sum_get(sum, "sluice_queue_depth") == 3);
    CHECK(sl_metrics_sum_get(sum, "sluice_ttft_seconds_count{route=\"demo\"}") == 4);
    CHECK(sl_metrics_sum_get(sum, "sluice_requests_total") == 0); // no such key
    CHECK(sl_metrics_sum_total(sum, "sluice_requests_total") == 16);
    CHECK(sl_metrics_sum_total(sum, "sluice_ttft_seconds_count") == 5);
    CHECK(sl_metrics_sum_total(sum, "sluice_ttft_seconds") == 0); // no sample has that name
    CHECK(sl_metrics_sum_total(sum, "sluice_queue") == 0);        // a prefix is not a name
    CHECK_INT(sl_metrics_sum_size(sum), ==, 2 + 2 * 18 + 1);

    // The supervisor's own samples.
    CHECK_INT(sl_metrics_sum_sample(sum, "sluice_process_up", "process=\"broker\"", 1), ==, 0);
    CHECK_INT(sl_metrics_sum_sample(sum, "sluice_process_up", "process=\"broker\"", 1), ==, 0);
    CHECK(sl_metrics_sum_get(sum, "sluice_process_up{process=\"broker\"}") == 2);
    CHECK_INT(sl_metrics_sum_sample(sum, "sluice_nope", NULL, 1), ==, SL_EINVAL);
    CHECK_INT(sl_metrics_sum_sample(sum, "sluice_process_up", "process=broker", 1), ==, SL_EINVAL);
    CHECK_INT(sl_metrics_sum_sample(sum, "sluice_ttft_seconds", NULL, 1), ==, SL_EINVAL);

    // A render that does not fit leaves out as it was.
    sl_buf_t small;
    sl_buf_init(&small, 100);
    CHECK_INT(sl_buf_append_str(&small, "keep\n"), ==, 0);
    CHECK_INT(sl_metrics_sum_render(sum, &small), ==, SL_ETOOBIG);
    CHECK_STR(sl_buf_str(&small), "keep\n");
    sl_buf_free(&small);

    sl_metrics_sum_reset(sum);
    CHECK_INT(sl_metrics_sum_size(sum), ==, 0);
    sl_buf_reset(&out);
    CHECK_INT(sl_metrics_sum_render(sum, &out), ==, 0);
    CHECK_STR(sl_buf_str(&out), ""); // no series, no HELP either
    sl_metrics_sum_destroy(&sum);
    sl_metrics_sum_destroy(&sum); // a second destroy is a no-op
    CHECK(sum == NULL);
    sl_buf_free(&a);
    sl_buf_free(&b);
    sl_buf_free(&out);
}

// Lines the sum takes, in the forms a writer or a careless peer may send.
static void
test_sum_good_lines(void)
{
    static const char text[] = "\n"
                               "sluice_queue_depth 1\r\n"       // CRLF
                               "sluice_queue_depth\t2  \n"      // tab, trailing blanks
                               "   \n"                          // blank
                               "sluice_queue_depth{} 3\n"       // empty braces: same series
                               "sluice_queue_depth 1.5e1\n"     // exponent
                               "sluice_streams_in_flight NaN\n" // NaN
                               "sluice_streams_in_flight{kind=\"a\"} +Inf\n"
                               "sluice_streams_in_flight{kind=\"b\"} -Inf\n"
                               "sluice_requests_total{le=\"x\"} 1\n" // le is plain on a counter
                               "sluice_ttft_seconds_bucket{le=\"1.0\",route=\"x\"} 1\n"
                               "sluice_requests_total{route=\"a\\\\b\\\"c\\nd\"} 1"; // no \n
    sl_metrics_sum_t *sum = sl_metrics_sum_new();
    size_t bad = 99;
    CHECK_INT(sl_metrics_sum_add(sum, text, sizeof text - 1, &bad), ==, 0);
    CHECK_INT(bad, ==, 0);
    CHECK(sl_metrics_sum_get(sum, "sluice_queue_depth") == 21);
    CHECK(isnan(sl_metrics_sum_get(sum, "sluice_streams_in_flight")));
    CHECK(sl_metrics_sum_get(sum, "sluice_streams_in_flight{kind=\"a\"}") == INFINITY);
    CHECK(sl_metrics_sum_get(sum, "sluice_ttft_seconds_bucket{le=\"1.0\",route=\"x\"}") == 1);
    CHECK(sl_metrics_sum_get(sum, "sluice_requests_total{route=\"a\\\\b\\\"c\\nd\"}") == 1);
    CHECK_INT(sl_metrics_sum_add(sum, "", 0, NULL), ==, 0);
    sl_metrics_sum_destroy(&sum);
}

// Each line alone is skipped and counted; the sum stays empty.
static void
test_sum_bad_lines(void)
{
    static const struct {
        const char *text;
        size_t len; // 0: strlen
    } cases[] = {
        {"garbage", 0},
        {"hello world", 0},
        {"# HELP sluice_queue_depth Requests", 0},       // STATS text has samples only
        {"sluice_unknown_total 1", 0},                   // unknown family
        {"sluice_queue_depth_total 1", 0},               // a known name plus more is unknown
        {"sluice_queue 1", 0},                           // a known name's prefix
        {"sluice_requests_total{route=\"demo 1", 0},     // unterminated label value
        {"sluice_requests_total{route=\"demo\" 1", 0},   // unterminated label set
        {"sluice_requests_total{route=\"demo\"}", 0},    // missing value
        {"sluice_requests_total{route=\"demo\"}   ", 0}, // missing value, trailing blanks
        {"sluice_requests_total", 0},
        {"sluice_requests_total1", 0},                // no blank before the value
        {" sluice_requests_total 1", 0},              // leading blank
        {"sluice_requests_total 1 1700000000000", 0}, // timestamp
        {"sluice_requests_total abc", 0},
        {"sluice_requests_total 0x10", 0},  // hex
        {"sluice_requests_total inf", 0},   // not how Prometheus spells it
        {"sluice_requests_total 1e999", 0}, // overflows
        {"sluice_requests_total 1..2", 0},
        {"sluice_requests_total -", 0},
        {"sluice_requests_total 1\r\r", 0},
        {"sluice_requests_total{route=\"a\",route=\"b\"} 1", 0}, // a key twice
        {"sluice_requests_total{route=\"a\",} 1", 0},            // trailing comma
        {"sluice_requests_total{ route=\"a\"} 1", 0},            // blank inside
        {"sluice_requests_total{route = \"a\"} 1", 0},
        {"sluice_requests_total{route=\"a\\x\"} 1", 0}, // unknown escape
        {"sluice_requests_total{route=\"a\\", 0},       // escape at the end
        {"sluice_requests_total{route=\"a\tb\"} 1", 0}, // raw control byte
        {"sluice_requests_total{route=\"\xff\"} 1", 0}, // not UTF-8
        {"sluice_requests_total{9route=\"a\"} 1", 0},   // bad label name
        {"sluice_requests_total{route=a} 1", 0},        // unquoted
        {"sluice_requests_total{route} 1", 0},
        {"sluice_requests_total{,} 1", 0},
        {"sluice_queue_depth 1\0garbage", 28}, // NUL
        {"sluice_ttft_seconds 1", 0},          // a histogram's bare name
        {"sluice_ttft_seconds_bucket 1", 0},   // bucket without le
        {"sluice_ttft_seconds_bucket{route=\"a\"} 1", 0},
        {"sluice_ttft_seconds_bucket{le=\"abc\"} 1", 0},
        {"sluice_ttft_seconds_bucket{le=\"NaN\"} 1", 0},
        {"sluice_ttft_seconds_bucket{le=\"\"} 1", 0},
        {"sluice_ttft_seconds_sum{le=\"1\"} 1", 0}, // _sum with le
        {"sluice_ttft_seconds_count{le=\"+Inf\"} 1", 0},
        {"sluice_ttft_seconds_total 1", 0},
        {"sluice_queue_depth_sum 1", 0}, // a gauge has no _sum
        {"sluice_requests_total{a=\"1\",b=\"1\",c=\"1\",d=\"1\",e=\"1\",f=\"1\",g=\"1\",h=\"1\","
         "i=\"1\",j=\"1\",k=\"1\",l=\"1\",m=\"1\",n=\"1\",o=\"1\",p=\"1\",q=\"1\"} 1",
         0}, // 17 labels
    };
    sl_metrics_sum_t *sum = sl_metrics_sum_new();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text);
        size_t bad = 0;
        int rc = sl_metrics_sum_add(sum, cases[i].text, len, &bad);
        if (bad != 1 || rc != SL_EPROTO || sl_metrics_sum_size(sum) != 0)
            fprintf(stderr, "case %zu: %s\n", i, cases[i].text);
        CHECK_INT(bad, ==, 1);
        CHECK_INT(rc, ==, SL_EPROTO);
        CHECK_INT(sl_metrics_sum_size(sum), ==, 0);
    }
    // Good lines around bad ones are still added.
    static const char mixed[] = "sluice_queue_depth 1\nbad\nsluice_queue_depth 2\nworse 1\n";
    size_t bad = 0;
    CHECK_INT(sl_metrics_sum_add(sum, mixed, sizeof mixed - 1, &bad), ==, SL_EPROTO);
    CHECK_INT(bad, ==, 2);
    CHECK(sl_metrics_sum_get(sum, "sluice_queue_depth") == 3);
    sl_metrics_sum_reset(sum);

    // Line length: SL_METRICS_MAX_LINE bytes is taken, one more is not; 1 MB is not.
    size_t big = 1 << 20;
    char *line = (char *)malloc(big + 2);
    CHECK(line);
    const char *head = "sluice_tokens_total{route=\"";
    const char *tail = "\"} 1";
    static const struct {
        size_t len; // bytes before the newline, CR not counted
        bool cr;    // a CR before the newline
        int rc;
    } sizes[] = {
        {SL_METRICS_MAX_LINE, false, 0},
        {SL_METRICS_MAX_LINE + 1, false, SL_EPROTO},
        {SL_METRICS_MAX_LINE, true, 0}, // the CR is not counted
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t len = sizes[i].len;
        size_t pad = len - strlen(head) - strlen(tail);
        memcpy(line, head, strlen(head));
        memset(line + strlen(head), 'x', pad);
        memcpy(line + strlen(head) + pad, tail, strlen(tail));
        if (sizes[i].cr)
            line[len++] = '\r';
        line[len++] = '\n';
        CHECK_INT(sl_metrics_sum_add(sum, line, len, &bad), ==, sizes[i].rc);
        CHECK_INT(sl_metrics_sum_size(sum), ==, 1);
    }
    CHECK(sl_metrics_sum_total(sum, "sluice_tokens_total") == 2);
    memset(line, 'a', big);
    memcpy(line, "sluice_queue_depth ", 19);
    line[big] = '\n';
    CHECK_INT(sl_metrics_sum_add(sum, line, big + 1, &bad), ==, SL_EPROTO);
    CHECK_INT(bad, ==, 1);
    CHECK_INT(sl_metrics_sum_size(sum), ==, 1);
    free(line);
    sl_metrics_sum_destroy(&sum);
}

// The series cap: new series past SL_METRICS_MAX_SERIES are counted as bad; the ones held
// still add up.
static void
test_sum_cap(void)
{
    sl_buf_t text, labels;
    sl_buf_init(&text, 4 << 20);
    sl_buf_init(&labels, 64);
    char route[16];
    for (int i = 0; i < SL_METRICS_MAX_SERIES + 5; i++) {
        snprintf(route, sizeof route, "r%d", i);
        sl_buf_reset(&labels);
        CHECK_INT(sl_metrics_label(&labels, "route", route, strlen(route)), ==, 0);
        CHECK_INT(sl_metrics_sample(&text, "sluice_tokens_total", sl_buf_str(&labels), 1), ==, 0);
    }
    sl_metrics_sum_t *sum = sl_metrics_sum_new();
    size_t bad = 0;
    CHECK_INT(sl_metrics_sum_add(sum, text.data, text.len, &bad), ==, SL_EPROTO);
    CHECK_INT(bad, ==, 5);
    CHECK_INT(sl_metrics_sum_size(sum), ==, SL_METRICS_MAX_SERIES);
    static const char again[] = "sluice_tokens_total{route=\"r0\"} 1\n";
    CHECK_INT(sl_metrics_sum_add(sum, again, sizeof again - 1, &bad), ==, 0);
    CHECK(sl_metrics_sum_get(sum, "sluice_tokens_total{route=\"r0\"}") == 2);
    CHECK_INT(sl_metrics_sum_sample(sum, "sluice_queue_depth", NULL, 1), ==, SL_ETOOBIG);
    CHECK(sl_metrics_sum_total(sum, "sluice_tokens_total") == SL_METRICS_MAX_SERIES + 1);
    sl_metrics_sum_reset(sum);
    CHECK_INT(sl_metrics_sum_sample(sum, "sluice_queue_depth", NULL, 1), ==, 0);
    sl_metrics_sum_destroy(&sum);
    sl_buf_free(&text);
    sl_buf_free(&labels);
}

int
main(void)
{
    test_values();
    test_labels();
    test_hist_observe();
    test_hist_write();
    test_sum_render();
    test_sum_good_lines();
    test_sum_bad_lines();
    test_sum_cap();
    printf("metrics_test: ok\n");
    return 0;
}
