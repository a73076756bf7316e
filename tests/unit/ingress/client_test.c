// client_test.c - one request's state machine: first event decides the status; errors
// before and after the first byte; non-streaming accumulation; the output cap.
#include <string.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "client.h"
#include "sl/err.h"

static const char *ID = "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e8f";

static ingress_client_t *
s_client_for(const ingress_api_t *api, const char *body, size_t max_out)
{
    ingress_client_t *c = ingress_client_new(NULL, api, 4096, max_out);
    CHECK_INT(sl_buf_append_str(&c->body, body), ==, 0);
    return c;
}

static ingress_client_t *
s_client(const char *body, size_t max_out)
{
    ingress_client_t *c = ingress_client_new(NULL, &ingress_openai_api, 4096, max_out);
    CHECK_INT(sl_buf_append_str(&c->body, body), ==, 0);
    return c;
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

static sl_msg_t
s_end(uint32_t err_class, uint32_t status, const char *message)
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
    return m;
}

static int
s_count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

// The same machine speaking Anthropic: the whole envelope around the tokens, usage always,
// and errors in Anthropic's shape with its type for the status, before and after the first
// byte.
static void
s_test_anthropic(void)
{
    const ingress_api_t *api = &ingress_anthropic_api;
    const char *body = "{\"model\":\"m1\",\"max_tokens\":9,\"stream\":true,\"messages\":"
                       "[{\"role\":\"user\",\"content\":\"hi\"}]}";
    ingress_client_t *c = s_client_for(api, body, 1 << 20);
    CHECK_INT(ingress_client_accept(c, ID, 0), ==, 0);
    CHECK(c->req.include_usage);
    sl_msg_t t = s_tokens(0, "Hel", "lo");
    CHECK(ingress_client_on_tokens(c, &t));
    sl_msg_t e = s_end(SL_ERRCLASS_NONE, 200, "");
    CHECK(ingress_client_on_end(c, &e));
    const char *out = sl_buf_str(&c->out);
    CHECK(strncmp(out, "event: message_start\n", 21) == 0);
    CHECK(strstr(out, "\"usage\":{\"input_tokens\":3,\"output_tokens\":2}") != NULL);
    const char *stop = "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    CHECK_STR(out + strlen(out) - strlen(stop), stop);
    ingress_client_destroy(&c);

    // Before the first byte: the upstream's status, Anthropic's body.
    c = s_client_for(api, body, 1 << 20);
    CHECK_INT(ingress_client_accept(c, ID, 0), ==, 0);
    e = s_end(SL_ERRCLASS_FATAL, 401, "bad key");
    CHECK(ingress_client_on_end(c, &e));
    CHECK_INT(c->status, ==, 401);
    CHECK_STR(sl_buf_str(&c->out),
              "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":"
              "\"bad key\"}}");
    ingress_client_destroy(&c);

    // After it: an error event typed by status (529 overloaded), no message_stop.
    c = s_client_for(api, body, 1 << 20);
    CHECK_INT(ingress_client_accept(c, ID, 0), ==, 0);
    t = s_tokens(0, "a", "b");
    ingress_client_on_tokens(c, &t);
    e = s_end(SL_ERRCLASS_PROVIDER_DOWN, 529, "Overloaded");
    CHECK(ingress_client_on_end(c, &e));
    CHECK(strstr(sl_buf_str(&c->out), "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":"
                                      "\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n")
          != NULL);
    CHECK(strstr(sl_buf_str(&c->out), "message_stop") == NULL);
    ingress_client_destroy(&c);

    // A bad body names the field; too big is request_too_large; an unknown model not_found.
    c = s_client_for(api, "{\"model\":\"m1\",\"messages\":[]}", 1 << 20);
    CHECK_INT(ingress_client_accept(c, ID, 0), ==, SL_EINVAL);
    CHECK_INT(c->status, ==, 400);
    CHECK(strstr(sl_buf_str(&c->out), "\"invalid_request_error\",\"message\":\"max_tokens: Field "
                                      "required\"")
          != NULL);
    ingress_client_destroy(&c);
    c = s_client_for(api, body, 1 << 20);
    c->too_big = true;
    CHECK_INT(ingress_client_accept(c, ID, 0), ==, SL_EINVAL);
    CHECK_INT(c->status, ==, 413);
    CHECK(strstr(sl_buf_str(&c->out), "\"request_too_large\"") != NULL);
    ingress_client_destroy(&c);
    c = s_client_for(api, body, 1 << 20);
    CHECK_INT(ingress_client_accept(c, ID, 0), ==, 0);
    sl_msg_t rej;
    memset(&rej, 0, sizeof rej);
    rej.type = SL_MSG_REJECT;
    rej.status = 404;
    rej.error_type = sl_str("invalid_request_error");
    rej.message = sl_str("The model 'x' does not exist");
    CHECK(ingress_client_on_reject(c, &rej));
    CHECK_INT(c->status, ==, 404);
    CHECK(strstr(sl_buf_str(&c->out), "\"not_found_error\"") != NULL);
    ingress_client_destroy(&c);

    // Keepalive: Anthropic's ping.
    c = s_client_for(api, body, 1 << 20);
    CHECK_INT(ingress_client_accept(c, ID, 0), ==, 0);
    t = s_tokens(0, "a", "b");
    ingress_client_on_tokens(c, &t);
    sl_buf_reset(&c->out);
    CHECK(ingress_client_keepalive(c, c->last_out_ms + 15000, 15000));
    CHECK_STR(sl_buf_str(&c->out), "event: ping\ndata: {\"type\": \"ping\"}\n\n");
    ingress_client_destroy(&c);
}

int
main(void)
{
    const char *stream_body = "{\"model\":\"m1\",\"stream\":true,\"messages\":[{\"role\":\"user\","
                              "\"content\":\"hi\"}]}";
    // A stream: 200 on the first tokens, chunks in order, one finish, [DONE], ended.
    ingress_client_t *c = s_client(stream_body, 1 << 20);
    CHECK_INT(ingress_client_accept(c, ID, 1700000000000), ==, 0);
    CHECK_INT(c->state, ==, INGRESS_CLIENT_WAITING);
    sl_msg_t t = s_tokens(0, "Hel", "lo");
    CHECK(ingress_client_on_tokens(c, &t));
    CHECK_INT(c->state, ==, INGRESS_CLIENT_STREAMING);
    CHECK_INT(c->status, ==, 200);
    sl_msg_t e = s_end(SL_ERRCLASS_NONE, 200, "");
    CHECK(ingress_client_on_end(c, &e));
    CHECK(c->ended);
    const char *out = sl_buf_str(&c->out);
    CHECK_INT(s_count(out, "\"role\":\"assistant\""), ==, 1);
    CHECK(strstr(out, "\"content\":\"Hel\"") < strstr(out, "\"content\":\"lo\""));
    CHECK_INT(s_count(out, "\"finish_reason\":\"stop\""), ==, 1);
    CHECK_INT(s_count(out, "\"usage\""), ==, 0); // not asked for
    CHECK(strcmp(out + strlen(out) - 14, "data: [DONE]\n\n") == 0);
    CHECK(!ingress_client_on_end(c, &e)); // a second END changes nothing
    ingress_client_destroy(&c);

    // An error before any token: the upstream's status and OpenAI's error body.
    c = s_client(stream_body, 1 << 20);
    CHECK_INT(ingress_client_accept(c, ID, 0), ==, 0);
    e = s_end(SL_ERRCLASS_FATAL, 401, "bad key");
    CHECK(ingress_client_on_end(c, &e));
    CHECK_INT(c->state, ==, INGRESS_CLIENT_RESPOND);
    CHECK_INT(c->status, ==, 401);
    cJSON *json = cJSON_Parse(sl_buf_str(&c->out));
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(json, "error"), "message")->valuestring,
              "bad key");
    cJSON_Delete(json);
    ingress_client_destroy(&c);

    // An error after tokens: an error event and no [DONE].
    c = s_client(stream_body, 1 << 20);
    CHECK_INT(ingress_client_accept(c, ID, 0), ==, 0);
    t = s_tokens(0, "a", "b");
    ingress_client_on_tokens(c, &t);
    e = s_end(SL_ERRCLASS_PROVIDER_DOWN, 0, "reset");
    CHECK(ingress_client_on_end(c, &e));
    CHECK(c->ended);
    CHECK(strstr(sl_buf_str(&c->out), "data: {\"error\":{\"message\":\"reset\"") != NULL);
    CHECK(strstr(sl_buf_str(&c->out), "[DONE]") == NULL);
    ingress_client_destroy(&c);

    // A broker REJECT (unknown model) becomes a 404.
    c = s_client(stream_body, 1 << 20);
    CHECK_INT(ingress_client_accept(c, ID, 0), ==, 0);
    sl_msg_t rej;
    memset(&rej, 0, sizeof rej);
    rej.type = SL_MSG_REJECT;
    rej.status = 404;
    rej.error_type = sl_str("invalid_request_error");
    rej.message = sl_str("The model 'x' does not exist");
    CHECK(ingress_client_on_reject(c, &rej));
    CHECK_INT(c->status, ==, 404);
    CHECK(strstr(sl_buf_str(&c->out), "\"type\":\"invalid_request_error\"") != NULL);
    ingress_client_destroy(&c);

    // Non-streaming: the text accumulates and becomes one chat.completion.
    c = s_client("{\"model\":\"m1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                 1 << 20);
    CHECK_INT(ingress_client_accept(c, ID, 0), ==, 0);
    t = s_tokens(0, "Hel", "lo");
    ingress_client_on_tokens(c, &t);
    CHECK_INT(c->state, ==, INGRESS_CLIENT_WAITING);
    e = s_end(SL_ERRCLASS_NONE, 200, "");
    CHECK(ingress_client_on_end(c, &e));
    CHECK_INT(c->state, ==, INGRESS_CLIENT_RESPOND);
    json = cJSON_Parse(sl_buf_str(&c->out));
    cJSON *msg =
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(json, "choices"), 0), "message");
    CHECK_STR(cJSON_GetObjectItem(msg, "content")->valuestring, "Hello");
    cJSON_Delete(json);
    ingress_client_destroy(&c);

    // A bad body is a 400 naming the field; an oversized one a 413.
    c = s_client("{\"model\":\"m1\"}", 1 << 20);
    CHECK_INT(ingress_client_accept(c, ID, 0), ==, SL_EINVAL);
    CHECK_INT(c->status, ==, 400);
    CHECK(strstr(sl_buf_str(&c->out), "\"param\":\"messages\"") != NULL);
    ingress_client_destroy(&c);
    c = s_client(stream_body, 1 << 20);
    c->too_big = true;
    CHECK_INT(ingress_client_accept(c, ID, 0), ==, SL_EINVAL);
    CHECK_INT(c->status, ==, 413);
    ingress_client_destroy(&c);

    // A client that never reads: the output cap ends its stream instead of growing.
    c = s_client(stream_body, 2048);
    CHECK_INT(ingress_client_accept(c, ID, 0), ==, 0);
    for (uint64_t i = 0; i < 100 && !c->ended; i++) {
        t = s_tokens(2 * i, "some text", "more text");
        ingress_client_on_tokens(c, &t);
    }
    CHECK(c->ended);
    CHECK(c->out.len <= 2048 + 1024);
    // It ends with an error event that says where the whole stream is.
    const char *tail = strstr(sl_buf_str(&c->out), "data: {\"error\"");
    CHECK(tail != NULL);
    CHECK(strstr(tail, "\"type\":\"client_too_slow\"") != NULL);
    CHECK(strstr(tail, "/v1/streams/0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e8f") != NULL);
    CHECK(strcmp(sl_buf_str(&c->out) + c->out.len - 2, "\n\n") == 0);
    ingress_client_destroy(&c);

    // Keepalive: only on an open stream with nothing queued, at most once per idle period.
    c = s_client(stream_body, 1 << 20);
    CHECK_INT(ingress_client_accept(c, ID, 0), ==, 0);
    CHECK(!ingress_client_keepalive(c, 1000000000, 15000)); // waiting: no status yet
    t = s_tokens(0, "a", "b");
    ingress_client_on_tokens(c, &t);
    int64_t t0 = c->last_out_ms;
    CHECK(!ingress_client_keepalive(c, t0 + 20000, 15000)); // output still queued
    sl_buf_reset(&c->out);                                  // MHD took it
    CHECK(!ingress_client_keepalive(c, t0 + 14999, 15000));
    CHECK(ingress_client_keepalive(c, t0 + 15000, 15000));
    CHECK_STR(sl_buf_str(&c->out), ": keepalive\n");
    sl_buf_reset(&c->out);
    CHECK(!ingress_client_keepalive(c, t0 + 16000, 15000));
    CHECK(ingress_client_keepalive(c, t0 + 30000, 15000));
    ingress_client_destroy(&c);
    s_test_anthropic();
    printf("client_test: ok\n");
    return 0;
}
