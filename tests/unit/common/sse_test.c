// sse_test.c - the SSE parser: the spec's examples, line ends, BOM, fields, ids, caps, real
// provider streams. Every table input is fed whole, split in two at every offset, split in
// three at every pair of offsets (short inputs), and in fixed-size pieces down to one byte,
// and each way must give exactly the same events, result and pending count.
#include "check.h"
#include "sl/buf.h"
#include "sl/err.h"
#include "sl/sse.h"

#define S(lit)          lit, sizeof(lit) - 1 // a literal with its length: inputs may hold NUL
#define DEFAULT_MAX     ((size_t)1 << 20)
#define MAX_EVENTS      12
#define MAX_THREE_SPLIT 128 // inputs up to this long are also cut at every pair of offsets

// One expected event; a length of 0 means strlen (set it when the string holds NUL).
typedef struct {
    const char *event;
    const char *data;
    const char *id;
    size_t data_len;
    size_t event_len;
} ev_t;

typedef struct {
    const char *name;
    const char *in;
    size_t in_len;
    size_t max_bytes; // 0: DEFAULT_MAX
    int rc;           // first non-zero feed result, or 0
    size_t pending;   // sl_sse_parser_pending after the whole input
    ev_t ev[MAX_EVENTS];
} case_t;

#define MSG(d)                 \
    {                          \
        "message", d, "", 0, 0 \
    }
#define MSGID(d, i)           \
    {                         \
        "message", d, i, 0, 0 \
    }

static const char s_openai[] =
    "data: "
    "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
    "\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Foo\"},"
    "\"finish_reason\":null}]}\n\n"
    ": OPENROUTER PROCESSING\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{},"
    "\"finish_reason\":\"stop\"}]}\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,"
    "\"completion_tokens\":2,\"total_tokens\":11}}\n\n"
    "data: [DONE]\n\n";

static const char s_anthropic[] =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"content\":[]}}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
    "\"text\":\"\"}}\n\n"
    "event: ping\n"
    "data: {\"type\": \"ping\"}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
    "\"text\":\"H\xC3\xA9llo \xE4\xB8\x96\xE7\x95\x8C\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
    "\"usage\":{\"output_tokens\":15}}\n\n"
    "event: message_stop\n"
    "data: {\"type\":\"message_stop\"}\n\n";

static const case_t s_cases[] = {
    // docs/providers.md §SSE: the spec's examples and openai-python's framing tests.
    {"spec: stock ticker", S("data: YHOO\ndata: +2\ndata: 10\n\n"), 0, 0, 0, {MSG("YHOO\n+2\n10")}},
    {"spec: comment, id, id reset, two spaces",
     S(": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\n"
       "data:  third event\n\n"),
     0,
     0,
     0,
     {MSGID("first event", "1"), MSG("second event"), MSG(" third event")}},
    {"spec: bare data lines, last one unfinished",
     S("data\n\ndata\ndata\n\ndata:"),
     0,
     0,
     5,
     {MSG(""), MSG("\n")}},
    {"spec: space after colon optional",
     S("data:test\n\ndata: test\n\n"),
     0,
     0,
     0,
     {MSG("test"), MSG("test")}},
    {"openai-python: mixed line ends",
     S("id:one\r\ndata:x\r\n\ndata:two\n\rdata:unfinished"),
     0,
     0,
     15,
     {MSGID("x", "one"), MSGID("two", "one")}},
    {"openai-python: CRLF", S("data:ok\r\n\r\n"), 0, 0, 0, {MSG("ok")}},

    // One space after the colon goes, nothing else.
    {"two spaces keep one", S("data:  x\n\n"), 0, 0, 0, {MSG(" x")}},
    {"trailing space kept", S("data: x \n\n"), 0, 0, 0, {MSG("x ")}},
    {"only a space", S("data: \n\n"), 0, 0, 0, {MSG("")}},
    {"tab is not a space", S("data:\tx\n\n"), 0, 0, 0, {MSG("\tx")}},
    {"colons in the value", S("data: a:b: c\n\ndata::x\n\n"), 0, 0, 0, {MSG("a:b: c"), MSG(":x")}},
    {"data as keep-alive is data", S("data: : keepalive\n\n"), 0, 0, 0, {MSG(": keepalive")}},

    // Multi-line data and comments.
    {"multi-line data, empty middle", S("data: a\ndata:\ndata: b\n\n"), 0, 0, 0, {MSG("a\n\nb")}},
    {"comments fire nothing, even between data lines",
     S(": ping\n\n:\n\n: OPENROUTER PROCESSING\n\ndata: a\n: inside\ndata: b\n\n"),
     0,
     0,
     0,
     {MSG("a\nb")}},

    // Line ends.
    {"LF", S("event: e\ndata: 1\n\n"), 0, 0, 0, {{"e", "1", "", 0, 0}}},
    {"CRLF", S("event: e\r\ndata: 1\r\n\r\n"), 0, 0, 0, {{"e", "1", "", 0, 0}}},
    {"CR", S("event: e\rdata: 1\r\r"), 0, 0, 0, {{"e", "1", "", 0, 0}}},
    {"mixed",
     S("data: a\r\n\rdata: b\n\r\ndata: c\r\rdata: d\n\n"),
     0,
     0,
     0,
     {MSG("a"), MSG("b"), MSG("c"), MSG("d")}},
    {"CR then CRLF", S("data: a\r\r\n"), 0, 0, 0, {MSG("a")}},
    {"LF then CR", S("data: a\n\r"), 0, 0, 0, {MSG("a")}},
    {"CRLF then lone CR", S("data: a\r\n\r"), 0, 0, 0, {MSG("a")}},
    {"ends in CR: line done, event not", S("data: a\r"), 0, 0, 2, {{0}}},
    {"LF CR is two line ends", S("data: a\n\rdata: b\n\n"), 0, 0, 0, {MSG("a"), MSG("b")}},
    {"blank lines only", S("\r\n\r\n\n\r\r\n"), 0, 0, 0, {{0}}},
    {"empty input", S(""), 0, 0, 0, {{0}}},

    // End of stream without a blank line.
    {"final event without blank line", S("data: a\n\ndata: b\n"), 0, 0, 2, {MSG("a")}},
    {"final line without line end", S("data: a\n\ndata: b"), 0, 0, 7, {MSG("a")}},

    // Event type.
    {"event without data fires nothing", S("event: ping\n\n"), 0, 0, 0, {{0}}},
    {"type reset by a block without data", S("event: ping\n\ndata: x\n\n"), 0, 0, 0, {MSG("x")}},
    {"type reset after dispatch",
     S("event: a\ndata: 1\n\ndata: 2\n\n"),
     0,
     0,
     0,
     {{"a", "1", "", 0, 0}, MSG("2")}},
    {"last event line wins", S("event: a\nevent: b\ndata: 1\n\n"), 0, 0, 0, {{"b", "1", "", 0, 0}}},
    {"empty type is message",
     S("event:\ndata: 1\n\nevent\ndata: 2\n\n"),
     0,
     0,
     0,
     {MSG("1"), MSG("2")}},
    {"type after data counts", S("data: 1\nevent: late\n\n"), 0, 0, 0, {{"late", "1", "", 0, 0}}},
    {"type pending at end", S("data: 1\nevent: x\n"), 0, 0, 3, {{0}}},

    // Byte order mark: one, at the very start only.
    {"BOM",
     S("\xEF\xBB\xBF"
       "data: x\n\n"),
     0,
     0,
     0,
     {MSG("x")}},
    {"BOM alone", S("\xEF\xBB\xBF"), 0, 0, 0, {{0}}},
    {"BOM start held", S("\xEF\xBB"), 0, 0, 2, {{0}}},
    {"BOM then comment", S("\xEF\xBB\xBF: hi\ndata: x\n\n"), 0, 0, 0, {MSG("x")}},
    {"second BOM is content",
     S("\xEF\xBB\xBF\xEF\xBB\xBF"
       "data: x\n\ndata: y\n\n"),
     0,
     0,
     0,
     {MSG("y")}},
    {"half BOM (1) is content",
     S("\xEF"
       "data: x\n\ndata: y\n\n"),
     0,
     0,
     0,
     {MSG("y")}},
    {"half BOM (2) is content",
     S("\xEF\xBB"
       "data: x\n\ndata: y\n\n"),
     0,
     0,
     0,
     {MSG("y")}},
    {"half BOM then CR", S("\xEF\xBB\rdata: z\n\n"), 0, 0, 0, {MSG("z")}},
    {"half BOM then LF", S("\xEF\n"), 0, 0, 0, {{0}}},
    {"BOM inside data kept", S("data: \xEF\xBB\xBFx\n\n"), 0, 0, 0, {MSG("\xEF\xBB\xBFx")}},

    // Last event id.
    {"id sticks", S("id: 5\ndata: a\n\ndata: b\n\n"), 0, 0, 0, {MSGID("a", "5"), MSGID("b", "5")}},
    {"id without data sticks", S("id: 9\n\ndata: c\n\n"), 0, 0, 0, {MSGID("c", "9")}},
    {"id after data applies", S("data: a\nid: 3\n\n"), 0, 0, 0, {MSGID("a", "3")}},
    {"empty id resets",
     S("id: 7\ndata: a\n\nid:\ndata: b\n\n"),
     0,
     0,
     0,
     {MSGID("a", "7"), MSG("b")}},
    {"id with NUL ignored",
     S("id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\nid:\0\ndata: c\n\n"),
     0,
     0,
     0,
     {MSGID("a", "1"), MSGID("b", "1"), MSGID("c", "1")}},
    {"id value keeps colons and a space",
     S("id:  x:y\ndata: a\n\n"),
     0,
     0,
     0,
     {MSGID("a", " x:y")}},

    // Ignored fields; names are case-sensitive and exact.
    {"unknown fields and retry",
     S("retry: 1000\nretry: soon\nfoo: bar\nDATA: x\nData: y\ndata : z\n data: w\ndatax: v\n"
       "da\0ta: n\ndata: ok\n\n"),
     0,
     0,
     0,
     {MSG("ok")}},
    {"retry block fires nothing", S("retry: 10\n\n"), 0, 0, 0, {{0}}},

    // Bytes are passed through, never decoded.
    {"NUL in data", S("data: a\0b\n\n"), 0, 0, 0, {{"message", "a\0b", "", 3, 0}}},
    {"NUL in event type", S("event: e\0f\ndata: x\n\n"), 0, 0, 0, {{"e\0f", "x", "", 0, 3}}},
    {"UTF-8 multibyte",
     S("data: h\xC3\xA9llo \xE4\xB8\x96\xE7\x95\x8C \xF0\x9F\x98\x80\n\n"
       "event: \xC3\xBC\nid: \xE2\x82\xAC\ndata: \xF0\x9F\x98\x80\n\n"),
     0,
     0,
     0,
     {MSG("h\xC3\xA9llo \xE4\xB8\x96\xE7\x95\x8C \xF0\x9F\x98\x80"),
      {"\xC3\xBC", "\xF0\x9F\x98\x80", "\xE2\x82\xAC", 0, 0}}},

    // Provider streams (docs/providers.md §OpenAI and §Anthropic, shortened).
    {"OpenAI stream",
     s_openai,
     sizeof s_openai - 1,
     0,
     0,
     0,
     {MSG("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
          "\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}"),
      MSG("{\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Foo\"},"
          "\"finish_reason\":null}]}"),
      MSG("{\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{},"
          "\"finish_reason\":\"stop\"}]}"),
      MSG("{\"id\":\"chatcmpl-1\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,"
          "\"completion_tokens\":2,\"total_tokens\":11}}"),
      MSG("[DONE]")}},
    {"Anthropic stream",
     s_anthropic,
     sizeof s_anthropic - 1,
     0,
     0,
     0,
     {{"message_start",
       "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"content\":[]}}", "", 0, 0},
      {"content_block_start",
       "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
       "\"text\":\"\"}}",
       "", 0, 0},
      {"ping", "{\"type\": \"ping\"}", "", 0, 0},
      {"content_block_delta",
       "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
       "\"text\":\"H\xC3\xA9llo \xE4\xB8\x96\xE7\x95\x8C\"}}",
       "", 0, 0},
      {"content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}", "", 0, 0},
      {"message_delta",
       "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
       "\"usage\":{\"output_tokens\":15}}",
       "", 0, 0},
      {"message_stop", "{\"type\":\"message_stop\"}", "", 0, 0}}},
    {"Gemini-style CRLF stream",
     S("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}]}}]}\r\n\r\n"
       "data: {\"candidates\":[{\"finishReason\":\"STOP\"}]}\r\n\r\n"),
     0,
     0,
     0,
     {MSG("{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}]}}]}"),
      MSG("{\"candidates\":[{\"finishReason\":\"STOP\"}]}")}},

    // Caps (max 16): a line without its line end, and an event's data without its final LF.
    {"line at cap", S("data: 0123456789\n\n"), 16, 0, 0, {MSG("0123456789")}},
    {"line at cap, CRLF not counted", S("data: 0123456789\r\n\r\n"), 16, 0, 0, {MSG("0123456789")}},
    {"line at cap, BOM not counted",
     S("\xEF\xBB\xBF"
       "data: 0123456789\n\n"),
     16,
     0,
     0,
     {MSG("0123456789")}},
    {"line over cap", S("data: 0123456789A\n\n"), 16, SL_ETOOBIG, 0, {{0}}},
    {"events before the long line fire",
     S("data: a\n\ndata: 0123456789A\n\ndata: b\n\n"),
     16,
     SL_ETOOBIG,
     0,
     {MSG("a")}},
    {"comment over cap", S(": 0123456789abcdef\ndata: a\n\n"), 16, SL_ETOOBIG, 0, {{0}}},
    {"unfinished line at cap", S("data: 0123456789"), 16, 0, 16, {{0}}},
    {"unfinished line over cap", S("data: a\n\ndata: 0123456789AB"), 16, SL_ETOOBIG, 0, {MSG("a")}},
    {"data at cap", S("data:01234567\ndata:0123456\n\n"), 16, 0, 0, {MSG("01234567\n0123456")}},
    {"data over cap", S("data:01234567\ndata:01234567\n\n"), 16, SL_ETOOBIG, 0, {{0}}},
    {"data at cap with empty last line",
     S("data:0123456789\ndata:0123\ndata\n\n"),
     16,
     0,
     0,
     {MSG("0123456789\n0123\n")}},
    {"data over cap by the separator",
     S("data:0123456789\ndata:0123\ndata\ndata\n\n"),
     16,
     SL_ETOOBIG,
     0,
     {{0}}},
    {"half BOM counts in the line",
     S("\xEF\xBB"
       "data: 01234567\n\n"),
     16,
     0,
     0,
     {{0}}},
    {"half BOM pushes the line over",
     S("\xEF\xBB"
       "data: 012345678\n\n"),
     16,
     SL_ETOOBIG,
     0,
     {{0}}},
    {"half BOM at a 1-byte cap", S("\xEF\n\n"), 1, 0, 0, {{0}}},
    {"half BOM over a 1-byte cap", S("\xEF\xBB\n\n"), 1, SL_ETOOBIG, 0, {{0}}},
};

typedef struct {
    sl_buf_t log; // every event seen, as s_log writes it
} sink_t;

// Write one event to log with explicit lengths, so NUL bytes and LFs cannot blur it.
static void
s_log(sl_buf_t *log,
      const char *event,
      size_t event_len,
      const char *data,
      size_t data_len,
      const char *id,
      size_t id_len)
{
    CHECK_INT(sl_buf_printf(log, "(%zu:", event_len), ==, 0);
    CHECK_INT(sl_buf_append(log, event, event_len), ==, 0);
    CHECK_INT(sl_buf_printf(log, " %zu:", data_len), ==, 0);
    CHECK_INT(sl_buf_append(log, data, data_len), ==, 0);
    CHECK_INT(sl_buf_printf(log, " %zu:", id_len), ==, 0);
    CHECK_INT(sl_buf_append(log, id, id_len), ==, 0);
    CHECK_INT(sl_buf_append_str(log, ")\n"), ==, 0);
}

static int
s_collect(void *arg, const sl_sse_event_t *e)
{
    sink_t *sink = arg;
    CHECK(e->event && e->data && e->id);
    CHECK(e->event[e->event_len] == '\0');
    CHECK(e->data[e->data_len] == '\0');
    CHECK(e->id[e->id_len] == '\0');
    CHECK(e->event_len > 0);
    CHECK(memchr(e->id, '\0', e->id_len) == NULL);
    s_log(&sink->log, e->event, e->event_len, e->data, e->data_len, e->id, e->id_len);
    return 0;
}

static void
s_expected(const case_t *c, sl_buf_t *log)
{
    for (size_t i = 0; i < MAX_EVENTS && c->ev[i].event; i++) {
        const ev_t *e = &c->ev[i];
        size_t elen = e->event_len ? e->event_len : strlen(e->event);
        size_t dlen = e->data_len ? e->data_len : strlen(e->data);
        s_log(log, e->event, elen, e->data, dlen, e->id, strlen(e->id));
    }
}

// Feed c's input cut before each offset in cuts (ascending, may repeat: empty feeds), then
// check the events, the result and the pending count against the table.
static void
s_run(const case_t *c, const sl_buf_t *want, const size_t *cuts, size_t ncuts, const char *how)
{
    sl_sse_parser_t *p = sl_sse_parser_new(c->max_bytes ? c->max_bytes : DEFAULT_MAX);
    sink_t sink;
    sl_buf_init(&sink.log, 1 << 20);
    int first_rc = 0;
    size_t from = 0;
    for (size_t k = 0; k <= ncuts; k++) {
        size_t to = k < ncuts ? cuts[k] : c->in_len;
        int rc = sl_sse_parser_feed(p, c->in + from, to - from, s_collect, &sink);
        if (first_rc != 0 && rc != first_rc) {
            fprintf(stderr, "case \"%s\" fed %s: feed after %d gave %d\n", c->name, how, first_rc,
                    rc);
            exit(1);
        }
        first_rc = rc;
        from = to;
    }
    if (first_rc != c->rc || want->len != sink.log.len
        || memcmp(sl_buf_str(want), sl_buf_str(&sink.log), want->len) != 0
        || sl_sse_parser_pending(p) != c->pending) {
        fprintf(stderr, "case \"%s\" fed %s:\n", c->name, how);
        for (size_t k = 0; k < ncuts; k++)
            fprintf(stderr, " cut %zu", cuts[k]);
        fprintf(stderr, "\n");
        CHECK_INT(first_rc, ==, c->rc);
        CHECK_MEM(sl_buf_str(&sink.log), sink.log.len, sl_buf_str(want), want->len);
        CHECK_INT(sl_sse_parser_pending(p), ==, c->pending);
    }
    sl_buf_free(&sink.log);
    sl_sse_parser_destroy(&p);
    CHECK(p == NULL);
}

static void
s_run_case(const case_t *c)
{
    sl_buf_t want;
    sl_buf_init(&want, 1 << 20);
    s_expected(c, &want);
    size_t n = c->in_len;

    s_run(c, &want, NULL, 0, "whole");
    for (size_t i = 0; i <= n; i++)
        s_run(c, &want, (size_t[]){i}, 1, "in two");
    if (n <= MAX_THREE_SPLIT) {
        for (size_t i = 0; i <= n; i++)
            for (size_t j = i; j <= n; j++)
                s_run(c, &want, (size_t[]){i, j}, 2, "in three");
    }
    // Fixed-size pieces: one byte per feed, and a few sizes that straddle CRLFs and BOMs.
    size_t *cuts = calloc(n + 1, sizeof *cuts);
    CHECK(cuts != NULL);
    for (size_t size = 1; size <= 7; size++) {
        size_t ncuts = 0;
        for (size_t at = size; at < n; at += size)
            cuts[ncuts++] = at;
        s_run(c, &want, cuts, ncuts, size == 1 ? "one byte per feed" : "in fixed pieces");
    }
    free(cuts);
    sl_buf_free(&want);
}

// Callback that stops the feed at the stop_at-th event with stop_rc.
typedef struct {
    int seen;
    int stop_at;
    int stop_rc;
    char last[32];
} stopper_t;

static int
s_stop(void *arg, const sl_sse_event_t *e)
{
    stopper_t *s = arg;
    s->seen++;
    snprintf(s->last, sizeof s->last, "%s", e->data);
    return s->seen == s->stop_at ? s->stop_rc : 0;
}

static void
s_test_stop(void)
{
    static const char in[] = "data: 1\n\ndata: 2\n\ndata: 3\n\n";
    sl_sse_parser_t *p = sl_sse_parser_new(64);
    stopper_t s = {.stop_at = 2, .stop_rc = 7};
    CHECK_INT(sl_sse_parser_feed(p, in, sizeof in - 1, s_stop, &s), ==, 7);
    CHECK_INT(s.seen, ==, 2);
    CHECK_STR(s.last, "2");
    CHECK_INT(sl_sse_parser_pending(p), ==, 0);
    // Not poisoned: the rest of that feed is dropped and parsing goes on with new bytes.
    CHECK_INT(sl_sse_parser_feed(p, "data: 4\n\n", 9, s_stop, &s), ==, 0);
    CHECK_INT(s.seen, ==, 3);
    CHECK_STR(s.last, "4");
    // A negative value passes through unchanged and does not poison either, even one that
    // equals an error code the parser itself returns.
    s.stop_at = 4;
    s.stop_rc = SL_ETOOBIG;
    CHECK_INT(sl_sse_parser_feed(p, "data: 5\n\ndata: 6\n\n", 18, s_stop, &s), ==, SL_ETOOBIG);
    CHECK_INT(s.seen, ==, 4);
    CHECK_INT(sl_sse_parser_feed(p, "data: 7\n\n", 9, s_stop, &s), ==, 0);
    CHECK_INT(s.seen, ==, 5);
    CHECK_STR(s.last, "7");
    // Stopped by a blank CR that ends the feed: the next feed, starting with its LF, goes on.
    s.stop_at = 6;
    s.stop_rc = 1;
    CHECK_INT(sl_sse_parser_feed(p, "data: 8\r\r", 9, s_stop, &s), ==, 1);
    CHECK_INT(sl_sse_parser_feed(p, "\ndata: 9\n\n", 10, s_stop, &s), ==, 0);
    CHECK_INT(s.seen, ==, 7);
    CHECK_STR(s.last, "9");
    sl_sse_parser_destroy(&p);
}

static void
s_test_poisoned(void)
{
    sl_sse_parser_t *p = sl_sse_parser_new(8);
    stopper_t s = {0};
    CHECK_INT(sl_sse_parser_feed(p, "data: a\n", 8, s_stop, &s), ==, 0);
    CHECK_INT(sl_sse_parser_pending(p), ==, 2);
    CHECK_INT(sl_sse_parser_feed(p, "data: 123", 9, s_stop, &s), ==, SL_ETOOBIG);
    CHECK_INT(sl_sse_parser_pending(p), ==, 0);
    CHECK_INT(sl_sse_parser_feed(p, "\n\ndata: b\n\n", 11, s_stop, &s), ==, SL_ETOOBIG);
    CHECK_INT(sl_sse_parser_feed(p, NULL, 0, s_stop, &s), ==, SL_ETOOBIG);
    CHECK_INT(s.seen, ==, 0);
    sl_sse_parser_destroy(&p);

    // A cap of 0 allows only blank lines.
    p = sl_sse_parser_new(0);
    CHECK_INT(sl_sse_parser_feed(p, "\n\r\n\r", 4, s_stop, &s), ==, 0);
    CHECK_INT(sl_sse_parser_feed(p, "data\n\n", 6, s_stop, &s), ==, SL_ETOOBIG);
    CHECK_INT(s.seen, ==, 0);
    sl_sse_parser_destroy(&p);
}

static void
s_test_pending(void)
{
    sl_sse_parser_t *p = sl_sse_parser_new(64);
    stopper_t s = {0};
    CHECK_INT(sl_sse_parser_pending(p), ==, 0);
    CHECK_INT(sl_sse_parser_feed(p, NULL, 0, s_stop, &s), ==, 0);
    CHECK_INT(sl_sse_parser_feed(p, "\xEF", 1, s_stop, &s), ==, 0);
    CHECK_INT(sl_sse_parser_pending(p), ==, 1); // maybe a BOM
    CHECK_INT(sl_sse_parser_feed(p, "\xBB\xBF", 2, s_stop, &s), ==, 0);
    CHECK_INT(sl_sse_parser_pending(p), ==, 0); // it was: dropped
    CHECK_INT(sl_sse_parser_feed(p, "data: abc", 9, s_stop, &s), ==, 0);
    CHECK_INT(sl_sse_parser_pending(p), ==, 9); // partial line
    CHECK_INT(sl_sse_parser_feed(p, "\r", 1, s_stop, &s), ==, 0);
    CHECK_INT(sl_sse_parser_pending(p), ==, 4); // "abc\n" as the spec buffers it
    CHECK_INT(sl_sse_parser_feed(p, "\ndata\n", 6, s_stop, &s), ==, 0);
    CHECK_INT(sl_sse_parser_pending(p), ==, 5); // "abc\n\n"
    CHECK_INT(sl_sse_parser_feed(p, "event: ev\nid: 42\n", 17, s_stop, &s), ==, 0);
    CHECK_INT(sl_sse_parser_pending(p), ==, 7); // + "ev"; the id is not pending
    CHECK_INT(sl_sse_parser_feed(p, "\n", 1, s_stop, &s), ==, 0);
    CHECK_INT(s.seen, ==, 1);
    CHECK_STR(s.last, "abc\n");
    CHECK_INT(sl_sse_parser_pending(p), ==, 0);
    CHECK_INT(sl_sse_parser_feed(p, ": comment", 9, s_stop, &s), ==, 0);
    CHECK_INT(sl_sse_parser_pending(p), ==, 9);
    CHECK_INT(sl_sse_parser_feed(p, "\n", 1, s_stop, &s), ==, 0);
    CHECK_INT(sl_sse_parser_pending(p), ==, 0);
    sl_sse_parser_destroy(&p);
    sl_sse_parser_destroy(&p); // second destroy is a no-op
    sl_sse_parser_destroy(NULL);
}

// Event whose size is checked: data must be n copies of 'x' and the id "big".
typedef struct {
    int seen;
    size_t sizes[4];
} sizer_t;

static int
s_size(void *arg, const sl_sse_event_t *e)
{
    sizer_t *z = arg;
    for (size_t i = 0; i < e->data_len; i++)
        CHECK(e->data[i] == 'x');
    CHECK(e->data[e->data_len] == '\0');
    CHECK_STR(e->id, "big");
    if (z->seen < 4)
        z->sizes[z->seen] = e->data_len;
    z->seen++;
    return 0;
}

// A line far bigger than any feed, at exactly the cap, then small events that reuse the
// buffers it grew (they are freed and start small again).
static void
s_test_big(void)
{
    size_t max = 300000;
    char *line = malloc(max + 2);
    CHECK(line != NULL);
    memcpy(line, "data:", 5);
    memset(line + 5, 'x', max - 5);
    line[max] = '\n';
    line[max + 1] = '\n';
    sl_sse_parser_t *p = sl_sse_parser_new(max);
    sizer_t z = {0};
    CHECK_INT(sl_sse_parser_feed(p, "id: big\n", 8, s_size, &z), ==, 0);
    for (size_t at = 0; at < max + 2; at += 4096) {
        size_t n = max + 2 - at < 4096 ? max + 2 - at : 4096;
        CHECK_INT(sl_sse_parser_feed(p, line + at, n, s_size, &z), ==, 0);
    }
    CHECK_INT(sl_sse_parser_feed(p, "data: xx\n\n", 10, s_size, &z), ==, 0);
    CHECK_INT(sl_sse_parser_feed(p, line, max + 2, s_size, &z), ==, 0); // whole, in place
    CHECK_INT(z.seen, ==, 3);
    CHECK_INT(z.sizes[0], ==, max - 5);
    CHECK_INT(z.sizes[1], ==, 2);
    CHECK_INT(z.sizes[2], ==, max - 5);
    // One byte more, split across feeds: too big.
    line[max] = 'x';
    CHECK_INT(sl_sse_parser_feed(p, line, max, s_size, &z), ==, 0);
    CHECK_INT(sl_sse_parser_feed(p, line + max, 2, s_size, &z), ==, SL_ETOOBIG);
    CHECK_INT(z.seen, ==, 3);
    sl_sse_parser_destroy(&p);
    free(line);
}

int
main(void)
{
    size_t ncases = sizeof s_cases / sizeof s_cases[0];
    for (size_t i = 0; i < ncases; i++)
        s_run_case(&s_cases[i]);
    s_test_stop();
    s_test_poisoned();
    s_test_pending();
    s_test_big();
    printf("sse_test: ok (%zu table cases)\n", ncases);
    return 0;
}
