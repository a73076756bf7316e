// ndjson_test.c - the NDJSON splitter: line ends, CRLF, blank lines, the tail at end of
// stream, caps, a callback that stops the feed. Every table input is fed whole, split in two
// at every offset, split in three at every pair of offsets, and one byte per feed, and each
// way must give exactly the same lines, results and pending count.
#include "check.h"
#include "sl/buf.h"
#include "sl/err.h"
#include "sl/ndjson.h"

#define S(lit) lit, sizeof(lit) - 1 // a literal with its length: inputs may hold NUL

typedef struct {
    const char *name;
    const char *in;
    size_t in_len;
    size_t max_bytes;
    size_t pending;   // sl_ndjson_splitter_pending after the whole input
    int rc;           // first non-zero feed result, or 0
    const char *want; // each line as "[line]", then "|" and what finish handed over, "|rc"
    size_t want_len;
} case_t;

static const case_t s_cases[] = {
    {"empty", S(""), 64, 0, 0, S("||0")},
    {"one line", S("{\"a\":1}\n"), 64, 0, 0, S("[{\"a\":1}]||0")},
    {"two lines", S("{}\n[]\n"), 64, 0, 0, S("[{}][[]]||0")},
    {"crlf", S("{}\r\n[]\r\n"), 64, 0, 0, S("[{}][[]]||0")},
    {"only one cr goes", S("{}\r\r\n"), 64, 0, 0, S("[{}\r]||0")},
    {"lone cr is not a line end", S("a\rb\n"), 64, 0, 0, S("[a\rb]||0")},
    {"blank lines skipped", S("\n\n{}\n\r\n \t\r\n[]\n\n"), 64, 0, 0, S("[{}][[]]||0")},
    {"tail at eof", S("{}\n{\"done\":true}"), 64, 13, 0, S("[{}]|[{\"done\":true}]|0")},
    {"tail with cr at eof", S("{}\r"), 64, 3, 0, S("|[{}]|0")},
    {"blank tail at eof", S("{}\n  \r"), 64, 3, 0, S("[{}]||0")},
    {"nul bytes pass", S("a\0b\n"), 64, 0, 0, S("[a\0b]||0")},
    {"line at the cap", S("12345\n"), 5, 0, 0, S("[12345]||0")},
    {"cr counts toward the cap", S("12345\r\n"), 5, 0, SL_ETOOBIG, S("||-2")},
    {"line over the cap", S("{}\n123456\n[]\n"), 5, 0, SL_ETOOBIG, S("[{}]||-2")},
    {"tail over the cap", S("{}\n123456"), 5, 0, SL_ETOOBIG, S("[{}]||-2")},
    {"tail at the cap", S("12345"), 5, 5, 0, S("|[12345]|0")},
    {"zero cap", S("\n\n"), 0, 0, 0, S("||0")},
    {"zero cap refuses a byte", S("a\n"), 0, 0, SL_ETOOBIG, S("||-2")},
};

static int
s_on_line(void *arg, const char *line, size_t len)
{
    sl_buf_t *log = arg;
    CHECK(sl_buf_append(log, "[", 1) == 0);
    CHECK(sl_buf_append(log, line, len) == 0);
    CHECK(sl_buf_append(log, "]", 1) == 0);
    return 0;
}

// Feed c's input cut at a and b (a <= b <= len), then finish; log everything.
static void
s_run(const case_t *c, size_t a, size_t b, sl_buf_t *log, int *rc_p, size_t *pending_p)
{
    sl_ndjson_splitter_t *s = sl_ndjson_splitter_new(c->max_bytes);
    size_t cuts[3] = {a, b, c->in_len};
    size_t at = 0;
    int first = 0;
    for (int k = 0; k < 3; k++) {
        int rc = sl_ndjson_splitter_feed(s, c->in + at, cuts[k] - at, s_on_line, log);
        if (first == 0)
            first = rc;
        else
            CHECK_INT(rc, ==, first); // poisoned stays poisoned
        at = cuts[k];
    }
    *rc_p = first;
    *pending_p = sl_ndjson_splitter_pending(s);
    CHECK(sl_buf_append(log, "|", 1) == 0);
    int frc = sl_ndjson_splitter_finish(s, s_on_line, log);
    CHECK(sl_buf_printf(log, "|%d", frc) == 0);
    CHECK_INT(sl_ndjson_splitter_pending(s), ==, 0);
    sl_ndjson_splitter_destroy(&s);
    CHECK(s == NULL);
    sl_ndjson_splitter_destroy(&s); // a second destroy is a no-op
}

static void
s_check_case(const case_t *c, size_t a, size_t b)
{
    sl_buf_t log;
    sl_buf_init(&log, 1 << 16);
    int rc;
    size_t pending;
    s_run(c, a, b, &log, &rc, &pending);
    size_t want_len = c->want_len;
    if (rc != c->rc || pending != c->pending || log.len != want_len
        || memcmp(log.data, c->want, want_len) != 0) {
        fprintf(stderr, "case '%s' cut at %zu,%zu: rc=%d pending=%zu heard '%s'\n", c->name, a, b,
                rc, pending, sl_buf_str(&log));
        CHECK_INT(rc, ==, c->rc);
        CHECK_INT(pending, ==, c->pending);
        CHECK_MEM(log.data, log.len, c->want, want_len);
    }
    sl_buf_free(&log);
}

static void
s_test_table(void)
{
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
        const case_t *c = &s_cases[i];
        for (size_t a = 0; a <= c->in_len; a++)
            for (size_t b = a; b <= c->in_len; b++)
                s_check_case(c, a, b);
    }
}

// Hand over at most one line per call, the way a consumer that stops on a bad line does.
static int
s_stop_after_one(void *arg, const char *line, size_t len)
{
    (void)s_on_line(arg, line, len);
    return 7;
}

static void
s_test_stop(void)
{
    sl_buf_t log;
    sl_buf_init(&log, 4096);
    sl_ndjson_splitter_t *s = sl_ndjson_splitter_new(64);
    CHECK_INT(sl_ndjson_splitter_feed(s, S("a\nb\nc"), s_stop_after_one, &log), ==, 7);
    CHECK_STR(sl_buf_str(&log), "[a]");
    CHECK_INT(sl_ndjson_splitter_pending(s), ==, 0); // the rest of that feed was dropped
    CHECK_INT(sl_ndjson_splitter_feed(s, S("d\ne"), s_on_line, &log), ==, 0);
    CHECK_INT(sl_ndjson_splitter_finish(s, s_stop_after_one, &log), ==, 7);
    CHECK_STR(sl_buf_str(&log), "[a][d][e]");
    CHECK_INT(sl_ndjson_splitter_finish(s, s_stop_after_one, &log), ==, 0); // tail handed once
    CHECK_INT(sl_ndjson_splitter_feed(s, NULL, 0, s_on_line, &log), ==, 0);
    sl_ndjson_splitter_destroy(&s);
    sl_buf_free(&log);
}

// A line far bigger than the buffer a splitter keeps, cut into many feeds.
static void
s_test_big_line(void)
{
    size_t n = 300 * 1024;
    char *big = calloc(1, n + 2);
    CHECK(big != NULL);
    memset(big, 'x', n);
    big[n] = '\n';
    sl_buf_t log;
    sl_buf_init(&log, n + 64);
    sl_ndjson_splitter_t *s = sl_ndjson_splitter_new(n);
    for (size_t at = 0; at < n + 1; at += 4096) {
        size_t len = n + 1 - at < 4096 ? n + 1 - at : 4096;
        CHECK_INT(sl_ndjson_splitter_feed(s, big + at, len, s_on_line, &log), ==, 0);
    }
    CHECK_INT(log.len, ==, n + 2);
    CHECK_INT(sl_ndjson_splitter_feed(s, S("{}\n"), s_on_line, &log), ==, 0);
    CHECK_INT(log.len, ==, n + 6);
    sl_ndjson_splitter_destroy(&s);
    sl_buf_free(&log);
    free(big);
}

int
main(void)
{
    s_test_table();
    s_test_stop();
    s_test_big_line();
    printf("ndjson_test: ok\n");
    return 0;
}
