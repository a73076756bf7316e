// events_test.c - named JSON events over SSE: dispatch by name, by data type when the name is
// missing, unknown and ignored events left unparsed, malformed data, [DONE], the end, handler
// errors; each input split at every byte.
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "events.h"
#include "sl/buf.h"
#include "sl/err.h"

static int
s_log(void *arg, const char *tag, const cJSON *data)
{
    char *text = cJSON_PrintUnformatted(data);
    sl_buf_printf(arg, "%s%s;", tag, text);
    free(text);
    return 0;
}

static int
s_on_a(void *arg, const cJSON *data)
{
    return s_log(arg, "a", data);
}

static int
s_on_b(void *arg, const cJSON *data)
{
    return s_log(arg, "b", data);
}

static provider_events_t *s_events; // the stream under test, for s_on_end

static int
s_on_end(void *arg, const cJSON *data)
{
    provider_events_end(s_events);
    return s_log(arg, "end", data);
}

static int
s_on_fail(void *arg, const cJSON *data)
{
    (void)s_log(arg, "fail", data);
    return SL_EINVAL;
}

static const provider_event_t s_table[] = {
    {"a", s_on_a}, {"b", s_on_b}, {"end", s_on_end}, {"fail", s_on_fail}, {"ping", NULL},
};

static void
s_every_split(const char *input, const char *want, int want_rc, int want_ended)
{
    size_t len = strlen(input);
    for (size_t cut = 0; cut <= len; cut++) {
        sl_buf_t log;
        sl_buf_init(&log, 1 << 16);
        s_events = provider_events_new(s_table, sizeof s_table / sizeof s_table[0], 1024);
        int rc = provider_events_feed(s_events, input, cut, &log);
        if (rc == 0)
            rc = provider_events_feed(s_events, input + cut, len - cut, &log);
        if (rc != want_rc || strcmp(sl_buf_str(&log), want) != 0) {
            fprintf(stderr, "split at %zu: rc=%d heard '%s'\n", cut, rc, sl_buf_str(&log));
            CHECK_INT(rc, ==, want_rc);
            CHECK_STR(sl_buf_str(&log), want);
        }
        CHECK_INT(provider_events_is_ended(s_events), ==, want_ended);
        provider_events_destroy(&s_events);
        CHECK(s_events == NULL);
        sl_buf_free(&log);
    }
}

int
main(void)
{
    // By name; the data's type does not override the name.
    s_every_split("event: a\ndata: {\"x\":1}\n\nevent: b\r\ndata: {\"type\":\"a\"}\r\n\r\n",
                  "a{\"x\":1};b{\"type\":\"a\"};", 0, 0);
    // Without an event line, the data's type names it; no or an unknown type is ignored.
    s_every_split("data: {\"type\":\"b\",\"v\":[]}\n\ndata: {\"v\":2}\n\n"
                  "data: {\"type\":\"zzz\"}\n\ndata: {\"type\":7}\n\n",
                  "b{\"type\":\"b\",\"v\":[]};", 0, 0);
    // Unknown names and NULL handlers are ignored unparsed; [DONE] is ignored.
    s_every_split("event: new\ndata: <html>\n\nevent: ping\ndata: ?\n\n: comment\n\n"
                  "data: [DONE]\n\nevent: a\ndata: {}\n\n",
                  "a{};", 0, 0);
    // A handled event must hold a JSON object, named or not.
    s_every_split("event: a\ndata: {}\n\nevent: b\ndata: [1]\n\nevent: a\ndata: {}\n\n", "a{};",
                  SL_EPROTO, 0);
    s_every_split("data: {broken\n\n", "", SL_EPROTO, 0);
    s_every_split("event: a\ndata: \n\n", "", SL_EPROTO, 0);
    // After the end nothing counts, not even malformed data.
    s_every_split("event: end\ndata: {}\n\nevent: a\ndata: {}\n\nevent: a\ndata: nope\n\n",
                  "end{};", 0, 1);
    // A handler's error ends the feed with that error.
    s_every_split("event: fail\ndata: {}\n\nevent: a\ndata: {}\n\n", "fail{};", SL_EINVAL, 0);
    // An event over the cap poisons the stream.
    char big[2048];
    memset(big, 'x', sizeof big);
    memcpy(big, "event: a\ndata: ", 15);
    big[sizeof big - 1] = '\0';
    provider_events_t *e = provider_events_new(s_table, 1, 1024);
    sl_buf_t log;
    sl_buf_init(&log, 1024);
    CHECK_INT(provider_events_feed(e, big, strlen(big), &log), ==, SL_ETOOBIG);
    CHECK_INT(provider_events_feed(e, "event: a\ndata: {}\n\n", 19, &log), ==, SL_ETOOBIG);
    CHECK_STR(sl_buf_str(&log), "");
    sl_buf_free(&log);
    provider_events_destroy(&e);
    provider_events_destroy(&e);
    printf("events_test: ok\n");
    return 0;
}
