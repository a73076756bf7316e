// jsonseq_test.c - the streamed-JSON-array splitter: Gemini's array body, strings and escapes
// that hold brackets, nesting, scalar elements, framing errors, caps, a callback that stops
// the feed. Every table input is fed whole, split in two at every offset, split in three at
// every pair of offsets, and one byte per feed, and each way must give exactly the same
// elements, result, pending count and closed flag.
#include "check.h"
#include "sl/buf.h"
#include "sl/err.h"
#include "sl/jsonseq.h"

#define S(lit) lit, sizeof(lit) - 1

typedef struct {
    const char *name;
    const char *in;
    size_t in_len;
    size_t max_bytes;
    size_t pending;   // sl_jsonseq_splitter_pending after the whole input
    int rc;           // first non-zero feed result, or 0
    const char *want; // each element as "<elem>" then "|closed" or "|open"
} case_t;

// Gemini's array form as curl hands it over: pretty-printed objects, ",\r\n" between them.
static const char s_gemini[] =
    "[{\n  \"candidates\": [\n    {\n      \"content\": {\n        \"parts\": [\n"
    "          {\n            \"text\": \"Rivers {carve]\"\n          }\n        ],\n"
    "        \"role\": \"model\"\n      },\n      \"index\": 0\n    }\n  ]\n}\n,\r\n"
    "{\n  \"candidates\": [{\"content\": {\"parts\": [{\"text\": \"\\\"end\\\\\"}]},"
    "\"finishReason\": \"STOP\"}]\n}\n]";

static const char s_gemini_want[] =
    "<{\n  \"candidates\": [\n    {\n      \"content\": {\n        \"parts\": [\n"
    "          {\n            \"text\": \"Rivers {carve]\"\n          }\n        ],\n"
    "        \"role\": \"model\"\n      },\n      \"index\": 0\n    }\n  ]\n}>"
    "<{\n  \"candidates\": [{\"content\": {\"parts\": [{\"text\": \"\\\"end\\\\\"}]},"
    "\"finishReason\": \"STOP\"}]\n}>|closed";

static const case_t s_cases[] = {
    {"empty", S(""), 64, 0, 0, "|open"},
    {"whitespace only", S(" \r\n\t"), 64, 0, 0, "|open"},
    {"empty array", S("[]"), 64, 0, 0, "|closed"},
    {"empty array, spaced", S(" \r\n[ \n ] \r\n"), 64, 0, 0, "|closed"},
    {"one object", S("[{\"a\":1}]"), 64, 0, 0, "<{\"a\":1}>|closed"},
    {"gemini", S(s_gemini), 4096, 0, 0, s_gemini_want},
    {"brackets in strings", S("[{\"t\":\"}]\\\"{[\"},{\"u\":\"\\\\\"}]"), 64, 0, 0,
     "<{\"t\":\"}]\\\"{[\"}><{\"u\":\"\\\\\"}>|closed"},
    {"nesting", S("[[1,[2]],{\"a\":[{}]}]"), 64, 0, 0, "<[1,[2]]><{\"a\":[{}]}>|closed"},
    {"scalars", S("[1, \"a,]\" ,true\n,null,-2.5e3]"), 64, 0, 0,
     "<1><\"a,]\"><true><null><-2.5e3>|closed"},
    {"error array", S("[{\"error\": {\"code\": 503}}]\n"), 64, 0, 0,
     "<{\"error\": {\"code\": 503}}>|closed"},
    {"truncated object", S("[{\"a\":1},{\"b\":"), 64, 5, 0, "<{\"a\":1}>|open"},
    {"truncated scalar", S("[12"), 64, 2, 0, "|open"},
    {"truncated in an escape", S("[\"a\\"), 64, 3, 0, "|open"},
    {"not an array", S("{}"), 64, 0, SL_EPROTO, "|open"},
    {"junk first", S("x[]"), 64, 0, SL_EPROTO, "|open"},
    {"leading comma", S("[,1]"), 64, 0, SL_EPROTO, "|open"},
    {"trailing comma", S("[1,]"), 64, 0, SL_EPROTO, "<1>|open"},
    {"double comma", S("[1,,2]"), 64, 0, SL_EPROTO, "<1>|open"},
    {"missing comma", S("[1 2]"), 64, 0, SL_EPROTO, "<1>|open"},
    {"objects without comma", S("[{}{}]"), 64, 0, SL_EPROTO, "<{}>|open"},
    {"stray closer", S("[}"), 64, 0, SL_EPROTO, "|open"},
    {"bytes after the array", S("[] x"), 64, 0, SL_EPROTO, "|open"},
    {"second close", S("[1]]"), 64, 0, SL_EPROTO, "<1>|open"},
    // Framing only: mismatched kinds are the caller's parser's to reject.
    {"mismatched kinds", S("[{]}"), 64, 0, SL_EPROTO, "<{]>|open"},
    {"object at the cap", S("[{\"a\":1}]"), 7, 0, 0, "<{\"a\":1}>|closed"},
    {"object over the cap", S("[{\"a\":1},{\"bb\":1}]"), 7, 0, SL_ETOOBIG, "<{\"a\":1}>|open"},
    {"scalar at the cap", S("[12345]"), 5, 0, 0, "<12345>|closed"},
    {"scalar over the cap", S("[123456]"), 5, 0, SL_ETOOBIG, "|open"},
    {"unended over the cap", S("[{\"abcdef"), 5, 0, SL_ETOOBIG, "|open"},
    {"zero cap, empty array", S("[]"), 0, 0, 0, "|closed"},
    {"zero cap, one element", S("[1]"), 0, 0, SL_ETOOBIG, "|open"},
};

static int
s_on_elem(void *arg, const char *elem, size_t len)
{
    sl_buf_t *log = arg;
    CHECK(len > 0);
    CHECK(sl_buf_append(log, "<", 1) == 0);
    CHECK(sl_buf_append(log, elem, len) == 0);
    CHECK(sl_buf_append(log, ">", 1) == 0);
    return 0;
}

// Feed c's input cut at a and b (a <= b <= len); log everything.
static void
s_run(const case_t *c, size_t a, size_t b, sl_buf_t *log, int *rc_p, size_t *pending_p)
{
    sl_jsonseq_splitter_t *s = sl_jsonseq_splitter_new(c->max_bytes);
    size_t cuts[3] = {a, b, c->in_len};
    size_t at = 0;
    int first = 0;
    for (int k = 0; k < 3; k++) {
        int rc = sl_jsonseq_splitter_feed(s, c->in + at, cuts[k] - at, s_on_elem, log);
        if (first == 0)
            first = rc;
        else
            CHECK_INT(rc, ==, first); // poisoned stays poisoned
        at = cuts[k];
    }
    *rc_p = first;
    *pending_p = sl_jsonseq_splitter_pending(s);
    CHECK(sl_buf_append_str(log, sl_jsonseq_splitter_is_closed(s) ? "|closed" : "|open") == 0);
    sl_jsonseq_splitter_destroy(&s);
    CHECK(s == NULL);
    sl_jsonseq_splitter_destroy(&s);
}

static void
s_check_case(const case_t *c, size_t a, size_t b)
{
    sl_buf_t log;
    sl_buf_init(&log, 1 << 16);
    int rc;
    size_t pending;
    s_run(c, a, b, &log, &rc, &pending);
    if (rc != c->rc || pending != c->pending || strcmp(sl_buf_str(&log), c->want) != 0) {
        fprintf(stderr, "case '%s' cut at %zu,%zu: rc=%d pending=%zu heard '%s'\n", c->name, a, b,
                rc, pending, sl_buf_str(&log));
        CHECK_INT(rc, ==, c->rc);
        CHECK_INT(pending, ==, c->pending);
        CHECK_STR(sl_buf_str(&log), c->want);
    }
    sl_buf_free(&log);
}

static void
s_test_table(void)
{
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
        const case_t *c = &s_cases[i];
        // Every pair of cuts is quadratic: the long gemini case gets every single cut instead.
        size_t step = c->in_len > 128 ? c->in_len : 1;
        for (size_t a = 0; a <= c->in_len; a++) {
            for (size_t b = a; b <= c->in_len; b += step)
                s_check_case(c, a, b);
            s_check_case(c, a, c->in_len);
        }
        // One byte per feed.
        sl_buf_t log;
        sl_buf_init(&log, 1 << 16);
        sl_jsonseq_splitter_t *s = sl_jsonseq_splitter_new(c->max_bytes);
        int first = 0;
        for (size_t k = 0; k < c->in_len; k++) {
            int rc = sl_jsonseq_splitter_feed(s, c->in + k, 1, s_on_elem, &log);
            if (first == 0)
                first = rc;
        }
        CHECK_INT(first, ==, c->rc);
        CHECK(sl_buf_append_str(&log, sl_jsonseq_splitter_is_closed(s) ? "|closed" : "|open") == 0);
        CHECK_STR(sl_buf_str(&log), c->want);
        sl_jsonseq_splitter_destroy(&s);
        sl_buf_free(&log);
    }
}

static int
s_stop(void *arg, const char *elem, size_t len)
{
    (void)s_on_elem(arg, elem, len);
    return 7;
}

static void
s_test_stop(void)
{
    sl_buf_t log;
    sl_buf_init(&log, 4096);
    sl_jsonseq_splitter_t *s = sl_jsonseq_splitter_new(64);
    // A scalar ends before its "," or "]": that byte still counts when the callback stops.
    CHECK_INT(sl_jsonseq_splitter_feed(s, S("[1,2,"), s_stop, &log), ==, 7);
    CHECK_STR(sl_buf_str(&log), "<1>");
    CHECK_INT(sl_jsonseq_splitter_feed(s, S("{\"x\":[]}, 3]"), s_stop, &log), ==, 7);
    CHECK_STR(sl_buf_str(&log), "<1><{\"x\":[]}>");
    CHECK(!sl_jsonseq_splitter_is_closed(s));
    CHECK_INT(sl_jsonseq_splitter_feed(s, S(",4]"), s_stop, &log), ==, 7);
    CHECK(sl_jsonseq_splitter_is_closed(s));
    CHECK_STR(sl_buf_str(&log), "<1><{\"x\":[]}><4>");
    CHECK_INT(sl_jsonseq_splitter_feed(s, NULL, 0, s_stop, &log), ==, 0);
    sl_jsonseq_splitter_destroy(&s);
    sl_buf_free(&log);
}

// An element far bigger than the buffer a splitter keeps, cut into many feeds.
static void
s_test_big_element(void)
{
    size_t n = 300 * 1024;
    char *big = calloc(1, n + 1);
    CHECK(big != NULL);
    memset(big, ' ', n);
    memcpy(big, "[{\"a\":\"", 7);
    memcpy(big + n - 4, "\"},", 3);
    big[n - 1] = '\0';
    sl_buf_t log;
    sl_buf_init(&log, n + 64);
    sl_jsonseq_splitter_t *s = sl_jsonseq_splitter_new(n);
    for (size_t at = 0; at < n - 1; at += 4096) {
        size_t len = n - 1 - at < 4096 ? n - 1 - at : 4096;
        CHECK_INT(sl_jsonseq_splitter_feed(s, big + at, len, s_on_elem, &log), ==, 0);
    }
    CHECK_INT(log.len, ==, (n - 3) + 2); // from "{" to "}", inside "<>"
    CHECK_INT(sl_jsonseq_splitter_feed(s, S("{}]"), s_on_elem, &log), ==, 0);
    CHECK(sl_jsonseq_splitter_is_closed(s));
    sl_jsonseq_splitter_destroy(&s);
    sl_buf_free(&log);
    free(big);
}

int
main(void)
{
    s_test_table();
    s_test_stop();
    s_test_big_element();
    printf("jsonseq_test: ok\n");
    return 0;
}
