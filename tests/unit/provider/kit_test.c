// kit_test.c - what the adapters share: an adapter state over named events (handlers get the
// state, the sink only during a feed), streamed tool calls (start, fragments, "{}" for a call
// without arguments, the call cap), whole calls and their made-up ids, text that is empty, and
// the fallback error message.
#include <string.h>

#include "check.h"
#include "heard.h"
#include "kit.h"
#include "sl/err.h"

// An adapter state as the adapters have it: the kit first, its own fields after.
typedef struct {
    provider_kit_t kit;
    int events; // events its handlers saw
} s_state_t;

// "t" sends its text; "call" starts a call keyed by its index; "args" and "end" go to the
// call of their index (the latest call when there is none).
static int
s_on_t(void *arg, const cJSON *data)
{
    s_state_t *st = arg;
    CHECK(st->kit.sink != NULL); // set for the feed's duration
    st->events++;
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(data, "text");
    provider_kit_text(st->kit.sink, SL_DELTA_TEXT, cJSON_IsString(text) ? text->valuestring : NULL);
    return 0;
}

static int
s_on_call(void *arg, const cJSON *data)
{
    s_state_t *st = arg;
    st->events++;
    return provider_kit_call_start(&st->kit, provider_kit_index(data), "id", "f", NULL);
}

static int
s_on_args(void *arg, const cJSON *data)
{
    s_state_t *st = arg;
    st->events++;
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(data, "args");
    provider_kit_call_args(&st->kit, provider_kit_index(data),
                           cJSON_IsString(args) ? args->valuestring : NULL);
    return 0;
}

static int
s_on_end(void *arg, const cJSON *data)
{
    s_state_t *st = arg;
    st->events++;
    provider_kit_call_end(&st->kit, provider_kit_index(data));
    return 0;
}

static const provider_event_t s_table[] = {
    {"t", s_on_t},
    {"call", s_on_call},
    {"args", s_on_args},
    {"end", s_on_end},
};

// Feed input whole to a new kit state; what the sink heard is checked against want.
static void
s_feed(const char *input, const char *want, int want_rc, int want_events)
{
    heard_t h;
    heard_init(&h, 1 << 16);
    provider_sink_t sink = heard_sink(&h);
    void *state =
        provider_kit_new(sizeof(s_state_t), s_table, sizeof s_table / sizeof s_table[0], 1 << 16);
    s_state_t *st = state;
    CHECK(st->kit.sink == NULL);
    CHECK_INT(st->events, ==, 0); // zeroed
    CHECK_INT(provider_kit_feed(state, input, strlen(input), &sink), ==, want_rc);
    CHECK(st->kit.sink == NULL); // borrowed only during the feed
    CHECK_INT(st->events, ==, want_events);
    CHECK_STR(sl_buf_str(&h.log), want);
    provider_kit_destroy(&state);
    CHECK(state == NULL);
    provider_kit_destroy(&state); // a second destroy does nothing
    heard_free(&h);
}

#define EV(name, json) "event: " name "\ndata: " json "\n\n"

static void
s_test_events(void)
{
    // Text; empty and missing text send nothing.
    s_feed(EV("t", "{\"text\":\"hi\"}") EV("t", "{\"text\":\"\"}") EV("t", "{}"), "D0[0|||hi]", 0,
           3);
    // A call with argument fragments: the empty one is dropped, no "{}" at its end.
    s_feed(EV("call", "{\"index\":4}") EV("args", "{\"index\":4,\"args\":\"\"}")
               EV("args", "{\"index\":4,\"args\":\"{\\\"a\\\":1}\"}") EV("end", "{\"index\":4}"),
           "D2[0|id|f|]D2[0|||{\"a\":1}]", 0, 4);
    // A call without arguments gets "{}" once, at its first end; fragments of an unknown key
    // are not ours.
    s_feed(EV("call", "{\"index\":1}") EV("args", "{\"index\":9,\"args\":\"x\"}")
               EV("end", "{\"index\":1}") EV("end", "{\"index\":1}"),
           "D2[0|id|f|]D2[0|||{}]", 0, 4);
    // Without an index an event is about the latest call; tool indices count 0, 1, 2 ...
    s_feed(EV("call", "{\"index\":0}") EV("call", "{}") EV("args", "{\"args\":\"[\"}")
               EV("end", "{}") EV("end", "{\"index\":0}"),
           "D2[0|id|f|]D2[1|id|f|]D2[1|||[]D2[0|||{}]", 0, 5);
    // An event whose data is not an object breaks the stream.
    s_feed(EV("t", "[1]"), "", SL_EPROTO, 0);
}

// One response may start PROVIDER_TOOLCALLS_MAX calls; the next is a malformed stream.
static void
s_test_call_cap(void)
{
    heard_t h;
    heard_init(&h, 1 << 20);
    provider_sink_t sink = heard_sink(&h);
    provider_kit_t *kit = provider_kit_new(sizeof *kit, s_table, 0, 1024);
    kit->sink = &sink;
    for (int i = 0; i < PROVIDER_TOOLCALLS_MAX; i++)
        CHECK_INT(provider_kit_call_start(kit, i, NULL, NULL, "{}"), ==, 0);
    CHECK_INT(provider_kit_call_start(kit, 999, NULL, NULL, "{}"), ==, SL_ETOOBIG);
    void *state = kit;
    provider_kit_destroy(&state);
    heard_free(&h);
}

static void
s_test_index(void)
{
    static const struct {
        const char *json;
        int64_t key;
    } cases[] = {
        {"{\"index\":0}", 0},
        {"{\"index\":7}", 7},
        {"{\"index\":2.9}", 2},
        {"{\"index\":1e15}", 1000000000000000},
        {"{}", PROVIDER_TOOLCALLS_NO_KEY},
        {"{\"index\":null}", PROVIDER_TOOLCALLS_NO_KEY},
        {"{\"index\":\"3\"}", PROVIDER_TOOLCALLS_NO_KEY},
        {"{\"index\":-1}", PROVIDER_TOOLCALLS_NO_KEY},
        {"{\"index\":1e16}", PROVIDER_TOOLCALLS_NO_KEY},
        {"{\"index\":1e400}", PROVIDER_TOOLCALLS_NO_KEY}, // cJSON reads it as infinity
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *data = cJSON_Parse(cases[i].json);
        CHECK(data != NULL);
        CHECK_INT(provider_kit_index(data), ==, cases[i].key);
        cJSON_Delete(data);
    }
}

static void
s_test_whole_calls(void)
{
    char buf[48];
    CHECK_STR(
        provider_kit_call_id("fc_1", "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e8f", 3, buf, sizeof buf),
        "fc_1");
    CHECK_STR(provider_kit_call_id("", "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e8f", 3, buf, sizeof buf),
              "call_5b2a1c0d9e8f_3");
    CHECK_STR(provider_kit_call_id(NULL, "", 2, buf, sizeof buf), "call_2");
    CHECK_STR(provider_kit_call_id(NULL, NULL, 1, buf, sizeof buf), "call_1");

    static const struct {
        const char *args; // the call's JSON, or NULL for no args at all
        const char *heard;
    } cases[] = {
        {"{\"a\": [1, 2]}", "D2[5|c|f|{\"a\":[1,2]}]"}, // printed compactly
        {"\"{\\\"a\\\":1}\"", "D2[5|c|f|{\"a\":1}]"},   // a string goes as it is
        {"null", "D2[5|c|f|{}]"},
        {NULL, "D2[5|c|f|{}]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        heard_t h;
        heard_init(&h, 4096);
        provider_sink_t sink = heard_sink(&h);
        cJSON *args = cases[i].args ? cJSON_Parse(cases[i].args) : NULL;
        CHECK(args != NULL || cases[i].args == NULL);
        provider_kit_whole_call(&sink, 5, "c", "f", args);
        CHECK_STR(sl_buf_str(&h.log), cases[i].heard);
        cJSON_Delete(args);
        heard_free(&h);
    }
}

static void
s_test_text_and_message(void)
{
    heard_t h;
    heard_init(&h, 4096);
    provider_sink_t sink = heard_sink(&h);
    provider_kit_text(&sink, SL_DELTA_REASONING, "why");
    provider_kit_text(&sink, SL_DELTA_TEXT, "");
    provider_kit_text(&sink, SL_DELTA_TEXT, NULL);
    CHECK_STR(sl_buf_str(&h.log), "D1[0|||why]");
    heard_free(&h);

    char buf[64];
    CHECK_STR(provider_kit_message("boom", 500, buf, sizeof buf), "boom");
    CHECK_STR(provider_kit_message("", 502, buf, sizeof buf), "upstream returned HTTP 502");
    CHECK_STR(provider_kit_message(NULL, 401, buf, sizeof buf), "upstream returned HTTP 401");
}

int
main(void)
{
    s_test_events();
    s_test_call_cap();
    s_test_index();
    s_test_whole_calls();
    s_test_text_and_message();
    printf("kit_test: ok\n");
    return 0;
}
