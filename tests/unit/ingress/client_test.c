// client_test.c - one request's state machine, through its public API and a fake clock: the
// first event decides the status; errors before and after the first byte; non-streaming
// accumulation; the output cap; indices (I2: duplicates and overlaps skipped exactly, a gap or
// a short END is an error, never a clean finish); deadlines (I5: first token, idle, total,
// queries) and keepalives.
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "client.h"
#include "sl/err.h"

// An OpenAI stream that ended in error: its last event is the error, then [DONE], once.
static void
s_check_error_then_done(const char *out)
{
    static const char done[] = "data: [DONE]\n\n";
    size_t len = strlen(out);
    CHECK(len > sizeof done);
    CHECK(strcmp(out + len - (sizeof done - 1), done) == 0);
    CHECK(strstr(out, "[DONE]") == out + len - (sizeof done - 1) + 6);
    const char *last = out;
    for (const char *e = strstr(out, "data: "); e && e < out + len - (sizeof done - 1);
         e = strstr(e + 1, "data: "))
        last = e;
    CHECK(strncmp(last, "data: {\"error\":", 15) == 0);
}

static const char *ID = "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e8f";
static const char *STREAM_BODY =
    "{\"model\":\"m1\",\"stream\":true,\"messages\":[{\"role\":\"user\","
    "\"content\":\"hi\"}]}";
static const char *WHOLE_BODY = "{\"model\":\"m1\",\"messages\":[{\"role\":\"user\","
                                "\"content\":\"hi\"}]}";
static const char *ANTHROPIC_BODY = "{\"model\":\"m1\",\"max_tokens\":9,\"stream\":true,"
                                    "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

// Time only moves when a test says so.
static sl_clock_t s_clock = {1, 1000000, 1700000000000};

static ingress_client_cfg_t
s_cfg(size_t max_out)
{
    return (ingress_client_cfg_t){
        .max_body_bytes = 4096,
        .max_out_bytes = max_out,
        .first_token_ms = 60000,
        .stream_idle_ms = 30000,
        .total_ms = 600000,
        .keepalive_ms = 15000,
        .query_liveness_ms = 3000,
        .clock = &s_clock,
    };
}

static ingress_client_t *
s_client_cfg(const ingress_api_t *api, const char *body, const ingress_client_cfg_t *cfg)
{
    ingress_client_t *c = ingress_client_new(api, cfg);
    CHECK_INT(ingress_client_feed(c, body, strlen(body)), ==, 0);
    return c;
}

static ingress_client_t *
s_client_for(const ingress_api_t *api, const char *body, size_t max_out)
{
    ingress_client_cfg_t cfg = s_cfg(max_out);
    return s_client_cfg(api, body, &cfg);
}

static ingress_client_t *
s_client(const char *body, size_t max_out)
{
    return s_client_for(&ingress_openai_api, body, max_out);
}

// An accepted client (WAITING).
static ingress_client_t *
s_accepted(const ingress_api_t *api, const char *body)
{
    ingress_client_t *c = s_client_for(api, body, 1 << 20);
    CHECK_INT(ingress_client_accept(c, ID, 0), ==, 0);
    CHECK_INT(ingress_client_state(c), ==, INGRESS_CLIENT_WAITING);
    return c;
}

// TOKENS at index first with one text delta per character of chars ("abc": "a", "b", "c").
static sl_msg_t
s_chars(uint64_t first, const char *chars)
{
    static char storage[SL_WIRE_MAX_DELTAS][2];
    sl_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = SL_MSG_TOKENS;
    m.req_id = sl_str(ID);
    m.first_index = first;
    for (size_t i = 0; chars[i] && i < SL_WIRE_MAX_DELTAS; i++) {
        storage[i][0] = chars[i];
        storage[i][1] = '\0';
        m.deltas[i] = (sl_delta_t){.kind = SL_DELTA_TEXT, .text = sl_str(storage[i])};
        m.n_deltas++;
    }
    return m;
}

static sl_msg_t
s_tokens(uint64_t first, const char *a, const char *b)
{
    sl_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = SL_MSG_TOKENS;
    m.first_index = first;
    m.deltas[0] = (sl_delta_t){.kind = SL_DELTA_TEXT, .text = sl_str(a)};
    m.deltas[1] = (sl_delta_t){.kind = SL_DELTA_TEXT, .text = sl_str(b)};
    m.n_deltas = 2;
    return m;
}

// END of a stream of count deltas.
static sl_msg_t
s_end_n(uint32_t err_class, uint32_t status, const char *message, uint64_t count)
{
    sl_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = SL_MSG_END;
    m.finish_reason = sl_str(err_class ? "error" : "stop");
    m.err_class = err_class;
    m.status = status;
    m.message = sl_str(message);
    m.prompt_tokens = 3;
    m.completion_tokens = 2;
    m.count = count;
    return m;
}

static sl_msg_t
s_end(uint32_t err_class, uint32_t status, const char *message)
{
    return s_end_n(err_class, status, message, 2);
}

static const char *
s_out(const ingress_client_t *c)
{
    return sl_buf_str(ingress_client_out(c));
}

// What MHD does: take every byte of output.
static void
s_drop_out(ingress_client_t *c)
{
    char buf[4096];
    while (ingress_client_read(c, buf, sizeof buf) > 0) {
    }
    CHECK_INT(ingress_client_out(c)->len, ==, 0);
}

static int
s_count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

// The text an OpenAI SDK would assemble from a stream: every chunk's delta.content in order.
static void
s_openai_text(const char *sse, char *text, size_t size)
{
    size_t n = 0;
    text[0] = '\0';
    for (const char *p = strstr(sse, "data: {"); p; p = strstr(p + 1, "data: {")) {
        const char *end = strstr(p, "\n\n");
        CHECK(end != NULL);
        cJSON *json = cJSON_ParseWithLength(p + 6, (size_t)(end - p - 6));
        CHECK(json != NULL);
        cJSON *choice = cJSON_GetArrayItem(cJSON_GetObjectItem(json, "choices"), 0);
        cJSON *content = cJSON_GetObjectItem(cJSON_GetObjectItem(choice, "delta"), "content");
        if (cJSON_IsString(content)) {
            size_t len = strlen(content->valuestring);
            CHECK(n + len < size);
            memcpy(text + n, content->valuestring, len + 1);
            n += len;
        }
        cJSON_Delete(json);
    }
}

// The message of a whole error response, in OpenAI's shape. Caller frees.
static char *
s_error_message(const ingress_client_t *c)
{
    cJSON *json = cJSON_Parse(s_out(c));
    CHECK(json != NULL);
    cJSON *message = cJSON_GetObjectItem(cJSON_GetObjectItem(json, "error"), "message");
    CHECK(cJSON_IsString(message));
    char *s = strdup(message->valuestring);
    cJSON_Delete(json);
    return s;
}

// The same machine speaking Anthropic: the whole envelope around the tokens, usage always,
// and errors in Anthropic's shape with its type for the status, before and after the first
// byte.
static void
s_test_anthropic(void)
{
    const ingress_api_t *api = &ingress_anthropic_api;
    ingress_client_t *c = s_accepted(api, ANTHROPIC_BODY);
    CHECK(ingress_client_request(c)->include_usage);
    sl_msg_t t = s_tokens(0, "Hel", "lo");
    CHECK(ingress_client_on_tokens(c, &t));
    sl_msg_t e = s_end(SL_ERRCLASS_NONE, 200, "");
    CHECK(ingress_client_on_end(c, &e));
    const char *out = s_out(c);
    CHECK(strncmp(out, "event: message_start\n", 21) == 0);
    CHECK(strstr(out, "\"usage\":{\"input_tokens\":3,\"output_tokens\":2}") != NULL);
    const char *stop = "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    CHECK_STR(out + strlen(out) - strlen(stop), stop);
    ingress_client_destroy(&c);

    // Before the first byte: the upstream's status, Anthropic's body.
    c = s_accepted(api, ANTHROPIC_BODY);
    e = s_end(SL_ERRCLASS_FATAL, 401, "bad key");
    CHECK(ingress_client_on_end(c, &e));
    CHECK_INT(ingress_client_status(c), ==, 401);
    CHECK_STR(s_out(c),
              "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":"
              "\"bad key\"}}");
    ingress_client_destroy(&c);

    // After it: an error event typed by status (529 overloaded), no message_stop.
    c = s_accepted(api, ANTHROPIC_BODY);
    t = s_tokens(0, "a", "b");
    ingress_client_on_tokens(c, &t);
    e = s_end(SL_ERRCLASS_PROVIDER_DOWN, 529, "Overloaded");
    CHECK(ingress_client_on_end(c, &e));
    CHECK(strstr(s_out(c), "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":"
                           "\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n")
          != NULL);
    CHECK(strstr(s_out(c), "message_stop") == NULL);
    ingress_client_destroy(&c);

    // A bad body names the field; too big is request_too_large; an unknown model not_found.
    c = s_client_for(api, "{\"model\":\"m1\",\"messages\":[]}", 1 << 20);
    CHECK_INT(ingress_client_accept(c, ID, 0), ==, SL_EINVAL);
    CHECK_INT(ingress_client_status(c), ==, 400);
    CHECK(strstr(s_out(c), "\"invalid_request_error\",\"message\":\"max_tokens: Field "
                           "required\"")
          != NULL);
    ingress_client_destroy(&c);
    ingress_client_cfg_t small = s_cfg(1 << 20);
    small.max_body_bytes = 16;
    c = ingress_client_new(api, &small);
    CHECK_INT(ingress_client_feed(c, ANTHROPIC_BODY, strlen(ANTHROPIC_BODY)), ==, SL_ETOOBIG);
    CHECK_INT(ingress_client_accept(c, ID, 0), ==, SL_EINVAL);
    CHECK_INT(ingress_client_status(c), ==, 413);
    CHECK(strstr(s_out(c), "\"request_too_large\"") != NULL);
    ingress_client_destroy(&c);
    c = s_accepted(api, ANTHROPIC_BODY);
    sl_msg_t rej;
    memset(&rej, 0, sizeof rej);
    rej.type = SL_MSG_REJECT;
    rej.status = 404;
    rej.error_type = sl_str("invalid_request_error");
    rej.message = sl_str("The model 'x' does not exist");
    CHECK(ingress_client_on_reject(c, &rej));
    CHECK_INT(ingress_client_status(c), ==, 404);
    CHECK(strstr(s_out(c), "\"not_found_error\"") != NULL);
    ingress_client_destroy(&c);

    // Keepalive: Anthropic's ping.
    c = s_accepted(api, ANTHROPIC_BODY);
    t = s_tokens(0, "a", "b");
    ingress_client_on_tokens(c, &t);
    s_drop_out(c);
    sl_clock_advance_ms(&s_clock, 15000);
    CHECK_INT(ingress_client_tick(c, 0), ==, INGRESS_CLIENT_WAKE);
    CHECK_STR(s_out(c), "event: ping\ndata: {\"type\": \"ping\"}\n\n");
    ingress_client_destroy(&c);

    // A gap mid-stream: event: error naming the lost indices, no message_stop.
    c = s_accepted(api, ANTHROPIC_BODY);
    t = s_chars(0, "ab");
    CHECK(ingress_client_on_tokens(c, &t));
    t = s_chars(3, "d");
    CHECK(ingress_client_on_tokens(c, &t));
    CHECK(ingress_client_is_ended(c));
    CHECK(strstr(s_out(c),
                 "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\","
                 "\"message\":\"token 2 of this stream did not reach")
          != NULL);
    CHECK(strstr(s_out(c), "message_stop") == NULL);
    CHECK(strstr(s_out(c), "message_delta") == NULL);
    ingress_client_destroy(&c);

    // The first-token deadline in Anthropic's shape: 504 timeout_error.
    c = s_accepted(api, ANTHROPIC_BODY);
    sl_clock_advance_ms(&s_clock, 60000);
    CHECK_INT(ingress_client_tick(c, 0), ==, INGRESS_CLIENT_WAKE | INGRESS_CLIENT_CANCEL);
    CHECK_INT(ingress_client_status(c), ==, 504);
    CHECK_STR(s_out(c), "{\"type\":\"error\",\"error\":{\"type\":\"timeout_error\",\"message\":"
                        "\"no answer within 60000 ms (timeouts.first_token_ms)\"}}");
    ingress_client_destroy(&c);
}

// The basics: a stream, errors before and after the first byte, REJECT, a whole answer, bad
// bodies, the output cap and keepalives.
static void
s_test_basics(void)
{
    // A stream: 200 on the first tokens, chunks in order, one finish, [DONE], ended.
    ingress_client_t *c = s_client(STREAM_BODY, 1 << 20);
    CHECK_INT(ingress_client_state(c), ==, INGRESS_CLIENT_READING);
    CHECK_INT(ingress_client_accept(c, ID, 1700000000000), ==, 0);
    CHECK_INT(ingress_client_state(c), ==, INGRESS_CLIENT_WAITING);
    CHECK_INT(ingress_client_status(c), ==, 0);
    CHECK_STR(ingress_client_req_id(c), ID);
    sl_msg_t t = s_tokens(0, "Hel", "lo");
    CHECK(ingress_client_on_tokens(c, &t));
    CHECK_INT(ingress_client_state(c), ==, INGRESS_CLIENT_STREAMING);
    CHECK_INT(ingress_client_status(c), ==, 200);
    sl_msg_t e = s_end(SL_ERRCLASS_NONE, 200, "");
    CHECK(ingress_client_on_end(c, &e));
    CHECK(ingress_client_is_ended(c));
    const char *out = s_out(c);
    CHECK_INT(s_count(out, "\"role\":\"assistant\""), ==, 1);
    CHECK(strstr(out, "\"content\":\"Hel\"") < strstr(out, "\"content\":\"lo\""));
    CHECK_INT(s_count(out, "\"finish_reason\":\"stop\""), ==, 1);
    CHECK_INT(s_count(out, "\"usage\""), ==, 0); // not asked for
    CHECK(strcmp(out + strlen(out) - 14, "data: [DONE]\n\n") == 0);
    CHECK(!ingress_client_on_end(c, &e)); // a second END changes nothing
    // MHD reads the output in pieces, then the stream is over.
    char buf[16];
    size_t total = ingress_client_out(c)->len, got = 0, n;
    while ((n = ingress_client_read(c, buf, sizeof buf)) > 0)
        got += n;
    CHECK_INT(got, ==, total);
    ingress_client_destroy(&c);

    // An error before any token: the upstream's status and OpenAI's error body.
    c = s_accepted(&ingress_openai_api, STREAM_BODY);
    e = s_end(SL_ERRCLASS_FATAL, 401, "bad key");
    CHECK(ingress_client_on_end(c, &e));
    CHECK_INT(ingress_client_state(c), ==, INGRESS_CLIENT_RESPOND);
    CHECK_INT(ingress_client_status(c), ==, 401);
    char *message = s_error_message(c);
    CHECK_STR(message, "bad key");
    free(message);
    ingress_client_destroy(&c);

    // An error after tokens: an error event, then [DONE] (which the SDKs never reach).
    c = s_accepted(&ingress_openai_api, STREAM_BODY);
    t = s_tokens(0, "a", "b");
    ingress_client_on_tokens(c, &t);
    e = s_end(SL_ERRCLASS_PROVIDER_DOWN, 0, "reset");
    CHECK(ingress_client_on_end(c, &e));
    CHECK(ingress_client_is_ended(c));
    CHECK(strstr(s_out(c), "data: {\"error\":{\"message\":\"reset\"") != NULL);
    s_check_error_then_done(s_out(c));
    ingress_client_destroy(&c);

    // A broker REJECT (unknown model) becomes a 404.
    c = s_accepted(&ingress_openai_api, STREAM_BODY);
    sl_msg_t rej;
    memset(&rej, 0, sizeof rej);
    rej.type = SL_MSG_REJECT;
    rej.status = 404;
    rej.error_type = sl_str("invalid_request_error");
    rej.message = sl_str("The model 'x' does not exist");
    CHECK(ingress_client_on_reject(c, &rej));
    CHECK_INT(ingress_client_status(c), ==, 404);
    CHECK(strstr(s_out(c), "\"type\":\"invalid_request_error\"") != NULL);
    ingress_client_destroy(&c);

    // Non-streaming: the text accumulates (no wake-up: the status is still open) and becomes
    // one chat.completion.
    c = s_accepted(&ingress_openai_api, WHOLE_BODY);
    t = s_tokens(0, "Hel", "lo");
    CHECK(!ingress_client_on_tokens(c, &t));
    CHECK_INT(ingress_client_state(c), ==, INGRESS_CLIENT_COLLECTING);
    CHECK_INT(ingress_client_status(c), ==, 0);
    e = s_end(SL_ERRCLASS_NONE, 200, "");
    CHECK(ingress_client_on_end(c, &e));
    CHECK_INT(ingress_client_state(c), ==, INGRESS_CLIENT_RESPOND);
    CHECK_INT(ingress_client_status(c), ==, 200);
    cJSON *json = cJSON_Parse(s_out(c));
    cJSON *msg =
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(json, "choices"), 0), "message");
    CHECK_STR(cJSON_GetObjectItem(msg, "content")->valuestring, "Hello");
    cJSON_Delete(json);
    ingress_client_destroy(&c);

    // A bad body is a 400 naming the field; an oversized one a 413.
    c = s_client("{\"model\":\"m1\"}", 1 << 20);
    CHECK_INT(ingress_client_accept(c, ID, 0), ==, SL_EINVAL);
    CHECK_INT(ingress_client_status(c), ==, 400);
    CHECK(strstr(s_out(c), "\"param\":\"messages\"") != NULL);
    ingress_client_destroy(&c);
    ingress_client_cfg_t small = s_cfg(1 << 20);
    small.max_body_bytes = 16;
    c = ingress_client_new(&ingress_openai_api, &small);
    CHECK_INT(ingress_client_feed(c, STREAM_BODY, 10), ==, 0);
    CHECK_INT(ingress_client_feed(c, STREAM_BODY + 10, 10), ==, SL_ETOOBIG);
    CHECK_INT(ingress_client_feed(c, "x", 1), ==, SL_ETOOBIG); // stays too big
    CHECK_INT(ingress_client_accept(c, ID, 0), ==, SL_EINVAL);
    CHECK_INT(ingress_client_status(c), ==, 413);
    ingress_client_destroy(&c);

    // A client that reads slower than its stream: past the output cap it is not cut off but
    // falls behind, and is fed from the store (pages) as it reads, then live again.
    c = s_client(STREAM_BODY, 2048);
    CHECK_INT(ingress_client_accept(c, ID, 0), ==, 0);
    uint64_t sent = 0;
    for (; sent < 200 && !ingress_client_behind(c); sent += 2) {
        t = s_tokens(sent, "some text", "more text");
        ingress_client_on_tokens(c, &t);
    }
    CHECK(ingress_client_behind(c));
    CHECK(ingress_client_following(c));
    CHECK(!ingress_client_is_ended(c));
    CHECK(ingress_client_out(c)->len <= 2048); // never past the cap
    uint64_t had = ingress_client_tokens(c);
    CHECK(had < sent);
    // Live tokens meanwhile are not taken (they would skip what it lacks); no error either.
    t = s_tokens(sent, "some text", "more text");
    CHECK(!ingress_client_on_tokens(c, &t));
    CHECK_INT(ingress_client_tokens(c), ==, had);
    sent += 2;
    // It reads everything; the store's pages bring it up to the live stream, in order.
    char drain[4096];
    while (ingress_client_read(c, drain, sizeof drain) > 0) {
    }
    sl_msg_t page;
    memset(&page, 0, sizeof page);
    page.type = SL_MSG_RECORD;
    page.status = 200;
    page.state = SL_STREAM_STREAMING;
    while (ingress_client_tokens(c) < sent) {
        uint64_t at = ingress_client_tokens(c);
        page.first_index = at;
        page.n_deltas = 0;
        for (uint64_t i = at; i < sent && page.n_deltas < 4; i++)
            page.deltas[page.n_deltas++] = (sl_delta_t){
                .kind = SL_DELTA_TEXT, .text = sl_str(i % 2 ? "more text" : "some text")};
        CHECK(ingress_client_on_page(c, &page));
        CHECK_INT(ingress_client_tokens(c), ==, at + page.n_deltas);
        while (ingress_client_read(c, drain, sizeof drain) > 0) {
        }
    }
    // Caught up: live again, and its end is a clean one.
    t = s_tokens(sent, "last", "one");
    CHECK(ingress_client_on_tokens(c, &t));
    CHECK_INT(ingress_client_tokens(c), ==, sent + 2);
    t = s_end_n(SL_ERRCLASS_NONE, 200, "", sent + 2);
    CHECK(ingress_client_on_end(c, &t));
    CHECK(ingress_client_is_ended(c));
    CHECK(strstr(s_out(c), "\"finish_reason\":\"stop\"") != NULL);
    CHECK(strstr(s_out(c), "client_too_slow") == NULL);
    ingress_client_destroy(&c);

    // Keepalive: only on an open stream with nothing queued, at most once per idle period
    // (the idle deadline is far off here).
    ingress_client_cfg_t patient = s_cfg(1 << 20);
    patient.stream_idle_ms = 600000;
    c = s_client_cfg(&ingress_openai_api, STREAM_BODY, &patient);
    CHECK_INT(ingress_client_accept(c, ID, 0), ==, 0);
    sl_clock_advance_ms(&s_clock, 20000);
    CHECK_INT(ingress_client_tick(c, 0), ==, 0); // waiting: no status yet
    t = s_tokens(0, "a", "b");
    ingress_client_on_tokens(c, &t);
    sl_clock_advance_ms(&s_clock, 20000);
    CHECK_INT(ingress_client_tick(c, 0), ==, 0); // output still queued
    s_drop_out(c);                               // MHD took it
    CHECK_INT(ingress_client_tick(c, 0), ==, INGRESS_CLIENT_WAKE);
    CHECK_STR(s_out(c), ": keepalive\n");
    s_drop_out(c);
    sl_clock_advance_ms(&s_clock, 14999);
    CHECK_INT(ingress_client_tick(c, 0), ==, 0);
    sl_clock_advance_ms(&s_clock, 1);
    CHECK_INT(ingress_client_tick(c, 0), ==, INGRESS_CLIENT_WAKE);
    CHECK_STR(s_out(c), ": keepalive\n");
    ingress_client_destroy(&c);
}

// SUBMIT carries the normalized body; it can be sent again while nothing came back, and the
// body is let go once the first message arrives.
static void
s_test_submit(void)
{
    ingress_client_t *c = s_client(STREAM_BODY, 1 << 20);
    sl_msg_t m;
    CHECK(!ingress_client_submit(c, "ingress-1", &m)); // not accepted yet
    CHECK_INT(ingress_client_accept(c, ID, 0), ==, 0);
    CHECK(ingress_client_submit(c, "ingress-1", &m));
    CHECK_INT(m.type, ==, SL_MSG_SUBMIT);
    CHECK(sl_str_eq(m.req_id, ID));
    CHECK(sl_str_eq(m.ingress, "ingress-1"));
    CHECK(sl_str_eq(m.model, "m1"));
    CHECK(m.stream);
    CHECK_INT(m.api, ==, SL_API_OPENAI);
    CHECK(sl_str_eq(m.body, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
    CHECK(ingress_client_submit(c, "ingress-1", &m)); // again, e.g. for a restarted broker
    sl_msg_t t = s_chars(0, "a");
    CHECK(ingress_client_on_tokens(c, &t));
    CHECK(!ingress_client_submit(c, "ingress-1", &m));
    CHECK(ingress_client_request(c)->body == NULL);
    ingress_client_destroy(&c);
}

// I2: TOKENS that repeat or overlap what the client has are skipped exactly; the text is the
// text, once.
static void
s_test_duplicates(void)
{
    ingress_client_t *c = s_accepted(&ingress_openai_api, STREAM_BODY);
    sl_msg_t t = s_chars(0, "ab");
    CHECK(ingress_client_on_tokens(c, &t));
    CHECK(!ingress_client_on_tokens(c, &t)); // the same again: nothing
    t = s_chars(0, "a");
    CHECK(!ingress_client_on_tokens(c, &t)); // an older prefix: nothing
    t = s_chars(1, "bcd");
    CHECK(ingress_client_on_tokens(c, &t)); // overlaps by one: c and d taken
    CHECK_INT(ingress_client_tokens(c), ==, 4);
    t = s_chars(0, "abcd");
    CHECK(!ingress_client_on_tokens(c, &t)); // a restarted builder from 0: nothing new
    t = s_chars(2, "cdef");
    CHECK(ingress_client_on_tokens(c, &t)); // from 2 again, then e and f
    t = s_chars(6, "g");
    CHECK(ingress_client_on_tokens(c, &t));
    CHECK_INT(ingress_client_tokens(c), ==, 7);
    sl_msg_t e = s_end_n(SL_ERRCLASS_NONE, 200, "", 7);
    CHECK(ingress_client_on_end(c, &e));
    char text[64];
    s_openai_text(s_out(c), text, sizeof text);
    CHECK_STR(text, "abcdefg");
    CHECK_INT(s_count(s_out(c), "\"finish_reason\":\"stop\""), ==, 1);
    CHECK(strstr(s_out(c), "data: [DONE]\n\n") != NULL);
    ingress_client_destroy(&c);

    // A whole answer the same way.
    c = s_accepted(&ingress_openai_api, WHOLE_BODY);
    t = s_chars(0, "abc");
    ingress_client_on_tokens(c, &t);
    t = s_chars(1, "bc");
    ingress_client_on_tokens(c, &t);
    t = s_chars(2, "cde");
    ingress_client_on_tokens(c, &t);
    e = s_end_n(SL_ERRCLASS_NONE, 200, "", 5);
    CHECK(ingress_client_on_end(c, &e));
    CHECK_INT(ingress_client_status(c), ==, 200);
    CHECK(strstr(s_out(c), "\"content\":\"abcde\"") != NULL);
    ingress_client_destroy(&c);

    // Anthropic: the text deltas are exact too.
    c = s_accepted(&ingress_anthropic_api, ANTHROPIC_BODY);
    t = s_chars(0, "xy");
    ingress_client_on_tokens(c, &t);
    t = s_chars(0, "xyz");
    ingress_client_on_tokens(c, &t);
    e = s_end_n(SL_ERRCLASS_NONE, 200, "", 3);
    CHECK(ingress_client_on_end(c, &e));
    CHECK_INT(s_count(s_out(c), "\"text_delta\""), ==, 3);
    CHECK_INT(s_count(s_out(c), "\"text_delta\",\"text\":\"x\""), ==, 1);
    CHECK_INT(s_count(s_out(c), "\"text_delta\",\"text\":\"y\""), ==, 1);
    CHECK_INT(s_count(s_out(c), "\"text_delta\",\"text\":\"z\""), ==, 1);
    CHECK(strstr(s_out(c), "event: message_stop") != NULL);
    ingress_client_destroy(&c);
}

// I2: a gap is never papered over.
static void
s_test_gap(void)
{
    // Mid-stream: the error event names the lost indices and where the stream is stored, then
    // [DONE]; no finish reason, and nothing of what came after the gap.
    ingress_client_t *c = s_accepted(&ingress_openai_api, STREAM_BODY);
    sl_msg_t t = s_chars(0, "ab");
    CHECK(ingress_client_on_tokens(c, &t));
    t = s_chars(4, "ef");
    CHECK(ingress_client_on_tokens(c, &t));
    CHECK(ingress_client_is_ended(c));
    const char *out = s_out(c);
    const char *err = strstr(out, "data: {\"error\":{\"message\":\"tokens 2 to 3 of this stream");
    CHECK(err != NULL);
    CHECK(strstr(err, "stored whole at /v1/streams/0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e8f") != NULL);
    CHECK(strstr(err, "\"type\":\"stream_gap\"") != NULL);
    s_check_error_then_done(out);
    CHECK(strstr(out, "\"finish_reason\":\"") == NULL);
    char text[64];
    s_openai_text(out, text, sizeof text);
    CHECK_STR(text, "ab");
    // One terminal event: what follows is ignored.
    t = s_chars(2, "cd");
    CHECK(!ingress_client_on_tokens(c, &t));
    sl_msg_t e = s_end_n(SL_ERRCLASS_NONE, 200, "", 6);
    CHECK(!ingress_client_on_end(c, &e));
    CHECK_INT(s_count(s_out(c), "data: {\"error\""), ==, 1);
    ingress_client_destroy(&c);

    // Before any byte (the first TOKENS already skips ahead): a 502, not a 200.
    c = s_accepted(&ingress_openai_api, STREAM_BODY);
    t = s_chars(3, "d");
    CHECK(ingress_client_on_tokens(c, &t));
    CHECK_INT(ingress_client_state(c), ==, INGRESS_CLIENT_RESPOND);
    CHECK_INT(ingress_client_status(c), ==, 502);
    char *message = s_error_message(c);
    CHECK(strstr(message, "tokens 0 to 2 of this stream did not reach the ingress") == message);
    free(message);
    ingress_client_destroy(&c);

    // A whole answer with a hole is no answer: 502.
    c = s_accepted(&ingress_openai_api, WHOLE_BODY);
    t = s_chars(0, "ab");
    CHECK(!ingress_client_on_tokens(c, &t));
    t = s_chars(5, "f");
    CHECK(ingress_client_on_tokens(c, &t));
    CHECK_INT(ingress_client_status(c), ==, 502);
    CHECK(strstr(s_out(c), "tokens 2 to 4") != NULL);
    ingress_client_destroy(&c);
}

// I2 at the end: END says how many tokens the stream has; fewer arrived, so it is an error.
static void
s_test_end_count(void)
{
    ingress_client_t *c = s_accepted(&ingress_openai_api, STREAM_BODY);
    sl_msg_t t = s_chars(0, "ab");
    ingress_client_on_tokens(c, &t);
    sl_msg_t e = s_end_n(SL_ERRCLASS_NONE, 200, "", 4);
    CHECK(ingress_client_on_end(c, &e));
    CHECK(ingress_client_is_ended(c));
    const char *out = s_out(c);
    CHECK(strstr(out, "data: {\"error\":{\"message\":\"the stream has 4 tokens but 2 reached the "
                      "ingress")
          != NULL);
    s_check_error_then_done(out);
    CHECK(strstr(out, "\"finish_reason\":\"stop\"") == NULL);
    ingress_client_destroy(&c);

    // Before any byte: 502.
    c = s_accepted(&ingress_openai_api, STREAM_BODY);
    e = s_end_n(SL_ERRCLASS_NONE, 200, "", 1);
    CHECK(ingress_client_on_end(c, &e));
    CHECK_INT(ingress_client_status(c), ==, 502);
    ingress_client_destroy(&c);

    // A whole answer: 502, not a 200 with half the text.
    c = s_accepted(&ingress_openai_api, WHOLE_BODY);
    t = s_chars(0, "ab");
    ingress_client_on_tokens(c, &t);
    e = s_end_n(SL_ERRCLASS_NONE, 200, "", 3);
    CHECK(ingress_client_on_end(c, &e));
    CHECK_INT(ingress_client_status(c), ==, 502);
    CHECK(strstr(s_out(c), "chat.completion") == NULL);
    ingress_client_destroy(&c);

    // Anthropic: event: error, no message_stop.
    c = s_accepted(&ingress_anthropic_api, ANTHROPIC_BODY);
    t = s_chars(0, "ab");
    ingress_client_on_tokens(c, &t);
    e = s_end_n(SL_ERRCLASS_NONE, 200, "", 3);
    CHECK(ingress_client_on_end(c, &e));
    CHECK(strstr(s_out(c), "event: error\n") != NULL);
    CHECK(strstr(s_out(c), "message_stop") == NULL);
    ingress_client_destroy(&c);

    // An empty stream that says it is empty is fine.
    c = s_accepted(&ingress_openai_api, STREAM_BODY);
    e = s_end_n(SL_ERRCLASS_NONE, 200, "", 0);
    CHECK(ingress_client_on_end(c, &e));
    CHECK_INT(ingress_client_status(c), ==, 200);
    CHECK(strstr(s_out(c), "data: [DONE]") != NULL);
    ingress_client_destroy(&c);
}

// I5: no first message within first_token_ms: 504 with the API's error body, and a CANCEL.
static void
s_test_first_token_deadline(void)
{
    ingress_client_t *c = s_accepted(&ingress_openai_api, STREAM_BODY);
    sl_clock_advance_ms(&s_clock, 59999);
    CHECK_INT(ingress_client_tick(c, 0), ==, 0);
    sl_clock_advance_ms(&s_clock, 1);
    CHECK_INT(ingress_client_tick(c, 0), ==, INGRESS_CLIENT_WAKE | INGRESS_CLIENT_CANCEL);
    CHECK_INT(ingress_client_state(c), ==, INGRESS_CLIENT_RESPOND);
    CHECK_INT(ingress_client_status(c), ==, 504);
    CHECK_STR(s_out(c), "{\"error\":{\"message\":\"no answer within 60000 ms "
                        "(timeouts.first_token_ms)\",\"type\":\"timeout\",\"param\":null,"
                        "\"code\":null}}");
    // Decided: a late message and later ticks change nothing.
    sl_msg_t t = s_chars(0, "a");
    CHECK(!ingress_client_on_tokens(c, &t));
    sl_clock_advance_ms(&s_clock, 60000);
    CHECK_INT(ingress_client_tick(c, 0), ==, 0);
    ingress_client_destroy(&c);

    // A whole-answer request waits the same way.
    c = s_accepted(&ingress_openai_api, WHOLE_BODY);
    sl_clock_advance_ms(&s_clock, 60000);
    CHECK_INT(ingress_client_tick(c, 0), ==, INGRESS_CLIENT_WAKE | INGRESS_CLIENT_CANCEL);
    CHECK_INT(ingress_client_status(c), ==, 504);
    ingress_client_destroy(&c);

    // A REJECT in time is the first message: no deadline after it.
    c = s_accepted(&ingress_openai_api, STREAM_BODY);
    sl_msg_t rej;
    memset(&rej, 0, sizeof rej);
    rej.type = SL_MSG_REJECT;
    rej.status = 503;
    rej.message = sl_str("no capacity, retry later");
    CHECK(ingress_client_on_reject(c, &rej));
    sl_clock_advance_ms(&s_clock, 60000);
    CHECK_INT(ingress_client_tick(c, 0), ==, 0);
    CHECK_INT(ingress_client_status(c), ==, 503);
    ingress_client_destroy(&c);
}

// I5: a stream with nothing new for stream_idle_ms ends with an error event and a CANCEL;
// keepalives and duplicates do not hold it off. The total time is bounded as well.
static void
s_test_idle_deadline(void)
{
    ingress_client_t *c = s_accepted(&ingress_openai_api, STREAM_BODY);
    sl_msg_t t = s_chars(0, "ab");
    CHECK(ingress_client_on_tokens(c, &t));
    s_drop_out(c);
    sl_clock_advance_ms(&s_clock, 15000);
    CHECK_INT(ingress_client_tick(c, 0), ==, INGRESS_CLIENT_WAKE); // a keepalive only
    s_drop_out(c);
    sl_clock_advance_ms(&s_clock, 5000);
    t = s_chars(0, "ab");
    CHECK(!ingress_client_on_tokens(c, &t)); // a duplicate: no progress
    sl_clock_advance_ms(&s_clock, 9999);
    CHECK_INT(ingress_client_tick(c, 0), ==, 0);
    sl_clock_advance_ms(&s_clock, 1);
    CHECK_INT(ingress_client_tick(c, 0), ==, INGRESS_CLIENT_WAKE | INGRESS_CLIENT_CANCEL);
    CHECK(ingress_client_is_ended(c));
    const char *out = s_out(c);
    CHECK(strncmp(out,
                  "data: {\"error\":{\"message\":\"the stream stalled: nothing new for 30000 ms "
                  "(timeouts.stream_idle_ms) after 2 tokens",
                  100)
          == 0);
    CHECK(strstr(out, "\"type\":\"timeout\"") != NULL);
    s_check_error_then_done(out);
    CHECK_INT(ingress_client_tick(c, 0), ==, 0); // one terminal event
    ingress_client_destroy(&c);

    // A whole answer that stalls after its first tokens: 504.
    c = s_accepted(&ingress_openai_api, WHOLE_BODY);
    t = s_chars(0, "ab");
    CHECK(!ingress_client_on_tokens(c, &t));
    sl_clock_advance_ms(&s_clock, 30000);
    CHECK_INT(ingress_client_tick(c, 0), ==, INGRESS_CLIENT_WAKE | INGRESS_CLIENT_CANCEL);
    CHECK_INT(ingress_client_status(c), ==, 504);
    CHECK(strstr(s_out(c), "the stream stalled") != NULL);
    ingress_client_destroy(&c);

    // Steady tokens, but past total_ms + stream_idle_ms since the request: ended.
    ingress_client_cfg_t cfg = s_cfg(1 << 20);
    cfg.total_ms = 1000;
    cfg.stream_idle_ms = 2000;
    c = s_client_cfg(&ingress_openai_api, STREAM_BODY, &cfg);
    CHECK_INT(ingress_client_accept(c, ID, 0), ==, 0);
    for (uint64_t i = 0; i < 2; i++) {
        sl_clock_advance_ms(&s_clock, 1000);
        t = s_chars(i, "x");
        CHECK(ingress_client_on_tokens(c, &t));
        CHECK_INT(ingress_client_tick(c, 0), ==, 0);
        s_drop_out(c);
    }
    sl_clock_advance_ms(&s_clock, 1000);
    CHECK_INT(ingress_client_tick(c, 0), ==, INGRESS_CLIENT_WAKE | INGRESS_CLIENT_CANCEL);
    CHECK(strstr(s_out(c), "the request did not finish within 1000 ms (timeouts.total_ms)")
          != NULL);
    ingress_client_destroy(&c);
}

// A whole answer past its caps (here: more than 128 tool calls) is an error, and the client
// says so at once so the actor wakes the connection.
static void
s_test_whole_overflow(void)
{
    ingress_client_t *c = s_accepted(&ingress_openai_api, WHOLE_BODY);
    bool woke = false;
    uint64_t index = 0;
    for (int m = 0; m < 3 && !woke; m++) {
        sl_msg_t t;
        memset(&t, 0, sizeof t);
        t.type = SL_MSG_TOKENS;
        t.first_index = index;
        for (uint32_t i = 0; i < SL_WIRE_MAX_DELTAS; i++)
            t.deltas[i] = (sl_delta_t){.kind = SL_DELTA_TOOL,
                                       .text = sl_str("{}"),
                                       .tool_index = (uint32_t)index + i,
                                       .tool_id = sl_str("call"),
                                       .tool_name = sl_str("f")};
        t.n_deltas = SL_WIRE_MAX_DELTAS;
        woke = ingress_client_on_tokens(c, &t);
        index += SL_WIRE_MAX_DELTAS;
        CHECK(woke == (index > INGRESS_ANSWER_MAX_CALLS));
    }
    CHECK(woke);
    CHECK_INT(ingress_client_state(c), ==, INGRESS_CLIENT_RESPOND);
    CHECK_INT(ingress_client_status(c), ==, 500);
    CHECK(strstr(s_out(c), "too large to return whole") != NULL);
    CHECK(strstr(s_out(c), "/v1/streams/0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e8f") != NULL);
    sl_msg_t e = s_end_n(SL_ERRCLASS_NONE, 200, "", 192);
    CHECK(!ingress_client_on_end(c, &e));
    CHECK_INT(ingress_client_status(c), ==, 500);
    ingress_client_destroy(&c);
}

// GET /v1/streams/<id>: a RECORD answers; no RECORD within the liveness period past
// persistence's last word is a 503.
static void
s_test_query(void)
{
    ingress_client_t *c = s_client("", 1 << 20);
    CHECK_INT(ingress_client_query(c, "not-an-id"), ==, SL_EINVAL);
    CHECK_INT(ingress_client_status(c), ==, 404);
    ingress_client_destroy(&c);

    c = s_client("", 1 << 20);
    CHECK_INT(ingress_client_query(c, ID), ==, 0);
    CHECK_INT(ingress_client_state(c), ==, INGRESS_CLIENT_QUERYING);
    sl_msg_t r;
    memset(&r, 0, sizeof r);
    r.type = SL_MSG_RECORD;
    r.status = 200;
    r.req_id = sl_str(ID);
    r.model = sl_str("m1");
    r.state = SL_STREAM_COMPLETE;
    r.finish_reason = sl_str("stop");
    r.count = 2;
    r.text = sl_str("hi");
    CHECK(ingress_client_on_record(c, &r));
    CHECK_INT(ingress_client_status(c), ==, 200);
    CHECK(strstr(s_out(c), "\"status\":\"complete\"") != NULL);
    CHECK(strstr(s_out(c), "\"text\":\"hi\"") != NULL);
    ingress_client_destroy(&c);

    // Persistence beats: the query waits; it stops beating: 503 one liveness period later.
    c = s_client("", 1 << 20);
    CHECK_INT(ingress_client_query(c, ID), ==, 0);
    int64_t heard_ms = sl_clock_now_mono_ms(&s_clock) - 2000; // before the query
    sl_clock_advance_ms(&s_clock, 2999);
    CHECK_INT(ingress_client_tick(c, heard_ms), ==, 0);
    sl_clock_advance_ms(&s_clock, 2000);
    heard_ms = sl_clock_now_mono_ms(&s_clock) - 500;
    CHECK_INT(ingress_client_tick(c, heard_ms), ==, 0);
    sl_clock_advance_ms(&s_clock, 2499);
    CHECK_INT(ingress_client_tick(c, heard_ms), ==, 0);
    sl_clock_advance_ms(&s_clock, 1);
    CHECK_INT(ingress_client_tick(c, heard_ms), ==, INGRESS_CLIENT_WAKE);
    CHECK_INT(ingress_client_status(c), ==, 503);
    char *message = s_error_message(c);
    CHECK_STR(message, "persistence did not answer");
    free(message);
    CHECK(!ingress_client_on_record(c, &r)); // too late
    ingress_client_destroy(&c);

    // One that beats but never answers is bounded too (first_token_ms).
    c = s_client("", 1 << 20);
    CHECK_INT(ingress_client_query(c, ID), ==, 0);
    for (int i = 0; i < 59; i++) {
        sl_clock_advance_ms(&s_clock, 1000);
        CHECK_INT(ingress_client_tick(c, sl_clock_now_mono_ms(&s_clock)), ==, 0);
    }
    sl_clock_advance_ms(&s_clock, 1000);
    CHECK_INT(ingress_client_tick(c, sl_clock_now_mono_ms(&s_clock)), ==, INGRESS_CLIENT_WAKE);
    CHECK_INT(ingress_client_status(c), ==, 503);
    ingress_client_destroy(&c);
}

int
main(void)
{
    s_test_basics();
    s_test_submit();
    s_test_duplicates();
    s_test_gap();
    s_test_end_count();
    s_test_first_token_deadline();
    s_test_idle_deadline();
    s_test_whole_overflow();
    s_test_query();
    s_test_anthropic();
    printf("client_test: ok\n");
    return 0;
}
