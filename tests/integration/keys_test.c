// keys_test.c - gateway keys through the real processes: without a key, with a wrong one, with
// one given by its SHA-256 in the file (Authorization: Bearer, as the OpenAI SDKs send it) and
// one held in an environment variable (x-api-key, as the Anthropic SDKs send it); 401 and 403
// in each client API's error shape; a key limited to some models; /healthz open to all, and
// /v1/models and /v1/streams/<id> behind the key.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "chat.h"
#include "check.h"
#include "http_client.h"
#include "sl/sha256.h"
#include "system.h"

#define APP_KEY   "sk-sluice-test-app-0123456789"
#define ENV_KEY   "sk-sluice-test-env-9876543210"
#define RPM_KEY   "sk-sluice-test-rpm-1111111111"
#define ONE_KEY   "sk-sluice-test-one-2222222222"
#define ADMIN_KEY "sk-sluice-test-admin-3333333333"

static test_system_t s_sys;

// A request to path with body (NULL: GET) and one extra header (NULL: none), run to its end.
static test_http_t *
s_run(const char *path, const char *body, const char *header)
{
    char url[256];
    snprintf(url, sizeof url, "%s%s", s_sys.base, path);
    test_http_t *r = test_http_new(url, body);
    if (header) {
        r->req_headers = curl_slist_append(r->req_headers, header);
        curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->req_headers);
    }
    CHECK(test_http_run(r, test_ms(15000)));
    return r;
}

// s_run with another method (the body, if any, is JSON).
static test_http_t *
s_method(const char *method, const char *path, const char *body, const char *header)
{
    char url[256];
    snprintf(url, sizeof url, "%s%s", s_sys.base, path);
    test_http_t *r = test_http_new(url, body);
    curl_easy_setopt(r->easy, CURLOPT_CUSTOMREQUEST, method);
    if (header) {
        r->req_headers = curl_slist_append(r->req_headers, header);
        curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->req_headers);
    }
    CHECK(test_http_run(r, test_ms(15000)));
    return r;
}

// Durable streams under keys: an LLM stream is its key's there too, only a key creates a
// stream of its own, and a stream is its creator's.
static void
test_durable(const char *llm_id)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/stream/llm/%s", llm_id);
    test_http_t *r = s_run(path, NULL, "Authorization: Bearer " APP_KEY);
    CHECK_INT(r->status, ==, 200);
    CHECK(r->body.len > 2 && r->body.data[0] == '[');
    test_http_destroy(&r);
    r = s_run(path, NULL, "Authorization: Bearer " ENV_KEY);
    CHECK_INT(r->status, ==, 404);
    test_http_destroy(&r);
    r = s_run(path, NULL, NULL);
    CHECK_INT(r->status, ==, 401);
    test_http_destroy(&r);
    r = s_method("PUT", "/v1/stream/notes/k", "[\"hello\"]", NULL);
    CHECK_INT(r->status, ==, 401);
    test_http_destroy(&r);
    r = s_method("PUT", "/v1/stream/notes/k", "[\"hello\"]", "Authorization: Bearer " APP_KEY);
    CHECK_INT(r->status, ==, 201);
    test_http_destroy(&r);
    r = s_run("/v1/stream/notes/k", NULL, "Authorization: Bearer " APP_KEY);
    CHECK_INT(r->status, ==, 200);
    CHECK_STR(sl_buf_str(&r->body), "[\"hello\"]");
    test_http_destroy(&r);
    r = s_run("/v1/stream/notes/k", NULL, "Authorization: Bearer " ENV_KEY);
    CHECK_INT(r->status, ==, 404);
    test_http_destroy(&r);
    r = s_method("POST", "/v1/stream/notes/k", "[1]", "x-api-key: " ENV_KEY);
    CHECK_INT(r->status, ==, 404);
    test_http_destroy(&r);
    r = s_method("PUT", "/v1/stream/notes/k", "[\"hello\"]", "Authorization: Bearer " ENV_KEY);
    CHECK_INT(r->status, ==, 409); // the path is taken, by a stream this key cannot see
    test_http_destroy(&r);
    printf("durable streams: each key reads its own, only keys create\n");
}

// The body is an error of the OpenAI API's shape with this type.
static void
s_expect_openai_error(const test_http_t *r, long status, const char *type)
{
    CHECK_INT(r->status, ==, status);
    cJSON *json = cJSON_Parse(sl_buf_str(&r->body));
    cJSON *error = cJSON_GetObjectItem(json, "error");
    CHECK(cJSON_IsObject(error));
    CHECK_STR(cJSON_GetObjectItem(error, "type")->valuestring, type);
    CHECK(cJSON_IsString(cJSON_GetObjectItem(error, "message")));
    cJSON_Delete(json);
}

// The body is an error of the Anthropic API's shape with this type.
static void
s_expect_anthropic_error(const test_http_t *r, long status, const char *type)
{
    CHECK_INT(r->status, ==, status);
    cJSON *json = cJSON_Parse(sl_buf_str(&r->body));
    CHECK_STR(cJSON_GetObjectItem(json, "type")->valuestring, "error");
    cJSON *error = cJSON_GetObjectItem(json, "error");
    CHECK_STR(cJSON_GetObjectItem(error, "type")->valuestring, type);
    cJSON_Delete(json);
}

static bool
s_has_event(void *arg)
{
    const test_http_t *r = arg;
    return r->n_events > 1;
}

static const char s_anthropic_body[] =
    "{\"model\":\"m-anthropic\",\"max_tokens\":64,\"stream\":true,"
    "\"messages\":[{\"role\":\"user\",\"content\":\"hello [mock tokens=6]\"}]}";

static void
test_refused(void)
{
    char *chat = test_chat_body("m1", "hello [mock tokens=6]", true);
    test_http_t *r = s_run("/v1/chat/completions", chat, NULL);
    s_expect_openai_error(r, 401, "invalid_request_error");
    test_http_destroy(&r);
    r = s_run("/v1/chat/completions", chat, "Authorization: Bearer sk-wrong");
    s_expect_openai_error(r, 401, "invalid_request_error");
    test_http_destroy(&r);
    r = s_run("/v1/chat/completions", chat, "Authorization: Bearer ");
    s_expect_openai_error(r, 401, "invalid_request_error");
    test_http_destroy(&r);
    r = s_run("/v1/messages", s_anthropic_body, NULL);
    s_expect_anthropic_error(r, 401, "authentication_error");
    test_http_destroy(&r);
    r = s_run("/v1/messages", s_anthropic_body, "x-api-key: " APP_KEY "x");
    s_expect_anthropic_error(r, 401, "authentication_error");
    test_http_destroy(&r);
    r = s_run("/v1/models", NULL, NULL);
    s_expect_openai_error(r, 401, "invalid_request_error");
    test_http_destroy(&r);
    r = s_run("/v1/streams/01a24149-1f4a-77fe-b900-ebfb9a481e37", NULL, NULL);
    s_expect_openai_error(r, 401, "invalid_request_error");
    test_http_destroy(&r);
    // The app key may use m1 only: m-anthropic is refused in both APIs.
    char *other = test_chat_body("m-anthropic", "hello", true);
    r = s_run("/v1/chat/completions", other, "Authorization: Bearer " APP_KEY);
    s_expect_openai_error(r, 403, "invalid_request_error");
    test_http_destroy(&r);
    r = s_run("/v1/messages", s_anthropic_body, "x-api-key: " APP_KEY);
    s_expect_anthropic_error(r, 403, "permission_error");
    test_http_destroy(&r);
    free(other);
    free(chat);
    // The health check stays open: a load balancer has no key.
    r = s_run("/healthz", NULL, NULL);
    CHECK_INT(r->status, ==, 200);
    test_http_destroy(&r);
    printf("no key, a wrong key, a model the key may not use: 401 and 403 in each API: ok\n");
}

static void
test_served(void)
{
    // The app key (its SHA-256 in the file) as a bearer token: the whole stream.
    char *chat = test_chat_body("m1", "hello [mock tokens=6]", true);
    test_chat_expected_t e;
    CHECK_INT(test_chat_expect(chat, &e), ==, 0);
    test_http_t *r = s_run("/v1/chat/completions", chat, "Authorization: Bearer " APP_KEY);
    CHECK_INT(r->status, ==, 200);
    test_chat_parsed_t p;
    test_chat_parse(r, &p);
    CHECK(p.done_last);
    CHECK_STR(sl_buf_str(&p.text), sl_buf_str(&e.text));
    char id[64];
    CHECK(test_http_header(r, "x-sluice-stream-id", id, sizeof id));
    sl_buf_free(&p.text);
    sl_buf_free(&e.text);
    test_http_destroy(&r);
    free(chat);
    // The env key as x-api-key, on the Anthropic API and a model the app key may not use.
    r = s_run("/v1/messages", s_anthropic_body, "x-api-key: " ENV_KEY);
    CHECK_INT(r->status, ==, 200);
    CHECK(strstr(sl_buf_str(&r->body), "event: message_stop") != NULL);
    test_http_destroy(&r);
    // The stored stream belongs to the key that started it: another key gets 404, as for a
    // stream that does not exist.
    char path[128];
    snprintf(path, sizeof path, "/v1/streams/%s", id);
    r = s_run(path, NULL, "Authorization: Bearer " APP_KEY);
    for (int i = 0; r->status == 200 && strstr(sl_buf_str(&r->body), "\"streaming\"") && i < 50;
         i++) {
        test_http_destroy(&r);
        test_sleep_ms(100);
        r = s_run(path, NULL, "Authorization: Bearer " APP_KEY);
    }
    CHECK_INT(r->status, ==, 200);
    CHECK(strstr(sl_buf_str(&r->body), "\"complete\"") != NULL);
    test_http_destroy(&r);
    r = s_run(path, NULL, "Authorization: Bearer " ENV_KEY);
    s_expect_openai_error(r, 404, "invalid_request_error");
    test_http_destroy(&r);
    test_durable(id);
    // Each key lists its own streams only: the app key's one stream, not the env key's.
    r = s_run("/v1/streams", NULL, "Authorization: Bearer " APP_KEY);
    CHECK_INT(r->status, ==, 200);
    cJSON *list = cJSON_Parse(sl_buf_str(&r->body));
    cJSON *data = cJSON_GetObjectItem(list, "data");
    CHECK_INT(cJSON_GetArraySize(data), ==, 1);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(data, 0), "id")), id);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(data, 0), "status")),
              "complete");
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(list, "has_more")));
    cJSON_Delete(list);
    test_http_destroy(&r);
    r = s_run("/v1/streams?limit=5&order=asc", NULL, "Authorization: Bearer " ENV_KEY);
    CHECK_INT(r->status, ==, 200);
    CHECK(strstr(sl_buf_str(&r->body), id) == NULL);
    test_http_destroy(&r);
    r = s_run("/v1/streams?limit=500", NULL, "Authorization: Bearer " ENV_KEY);
    s_expect_openai_error(r, 400, "invalid_request_error");
    test_http_destroy(&r);
    r = s_run("/v1/models", NULL, "x-api-key: " APP_KEY);
    CHECK_INT(r->status, ==, 200);
    CHECK(strstr(sl_buf_str(&r->body), "\"m1\"") != NULL);
    test_http_destroy(&r);
    printf("a digest key by bearer, an env key by x-api-key: streams, models, and the store to its "
           "owner only: ok\n");
}

// A stored response is its key's: another key gets 404 for it everywhere (retrieve, a
// continuation, cancel, delete), as for a response that does not exist.
static void
test_responses(void)
{
    const char *body = "{\"model\":\"m1\",\"input\":\"keys [mock tokens=5]\"}";
    test_http_t *r = s_run("/v1/responses", body, "Authorization: Bearer " APP_KEY);
    CHECK_INT(r->status, ==, 200);
    cJSON *json = cJSON_Parse(sl_buf_str(&r->body));
    char id[64], path[160], cont[256];
    snprintf(id, sizeof id, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(json, "id")));
    cJSON_Delete(json);
    test_http_destroy(&r);
    snprintf(path, sizeof path, "/v1/responses/%s", id);
    r = s_run(path, NULL, "Authorization: Bearer " APP_KEY);
    CHECK_INT(r->status, ==, 200);
    test_http_destroy(&r);
    r = s_run(path, NULL, "Authorization: Bearer " ENV_KEY);
    s_expect_openai_error(r, 404, "invalid_request_error");
    test_http_destroy(&r);
    snprintf(cont, sizeof cont,
             "{\"model\":\"m1\",\"input\":\"x\",\"previous_response_id\":\"%s\"}", id);
    r = s_run("/v1/responses", cont, "Authorization: Bearer " ENV_KEY);
    s_expect_openai_error(r, 404, "invalid_request_error");
    CHECK(strstr(sl_buf_str(&r->body), "\"param\":\"previous_response_id\"") != NULL);
    test_http_destroy(&r);
    char cancel[192];
    snprintf(cancel, sizeof cancel, "%s/cancel", path);
    r = s_run(cancel, "{}", "Authorization: Bearer " ENV_KEY);
    s_expect_openai_error(r, 404, "invalid_request_error");
    test_http_destroy(&r);
    r = s_method("DELETE", path, NULL, "Authorization: Bearer " ENV_KEY);
    s_expect_openai_error(r, 404, "invalid_request_error");
    test_http_destroy(&r);
    r = s_method("DELETE", path, NULL, "Authorization: Bearer " APP_KEY);
    CHECK_INT(r->status, ==, 200);
    CHECK(strstr(sl_buf_str(&r->body), "\"deleted\":true") != NULL);
    test_http_destroy(&r);
    printf("a stored response is its key's only: ok\n");
}

// A key's limits: past requests_per_minute, or with concurrent_streams open, 429 with
// Retry-After in the API's shape; the stream that holds the slot frees it when it ends.
static void
test_limits(void)
{
    char *chat = test_chat_body("m1", "hello [mock tokens=3]", true);
    for (int i = 0; i < 2; i++) {
        test_http_t *r = s_run("/v1/chat/completions", chat, "Authorization: Bearer " RPM_KEY);
        CHECK_INT(r->status, ==, 200);
        test_http_destroy(&r);
    }
    test_http_t *r = s_run("/v1/chat/completions", chat, "Authorization: Bearer " RPM_KEY);
    s_expect_openai_error(r, 429, "rate_limit_error");
    CHECK(strstr(sl_buf_str(&r->body), "requests_per_minute") != NULL);
    long wait_s = test_http_header_long(r, "Retry-After");
    CHECK(wait_s >= 29 && wait_s <= 31); // 2 a minute: the next one in 30 s
    test_http_destroy(&r);
    r = s_run("/v1/messages", s_anthropic_body, "x-api-key: " RPM_KEY);
    s_expect_anthropic_error(r, 429, "rate_limit_error");
    test_http_destroy(&r);

    // One stream at a time: a second one while the first runs is refused, then taken.
    char url[256];
    snprintf(url, sizeof url, "%s/v1/chat/completions", s_sys.base);
    char *slow = test_chat_body("m1", "hello [mock tokens=20 rate=20]", true);
    test_http_t *first = test_http_new(url, slow);
    first->req_headers = curl_slist_append(first->req_headers, "Authorization: Bearer " ONE_KEY);
    curl_easy_setopt(first->easy, CURLOPT_HTTPHEADER, first->req_headers);
    test_http_multi_t *m = test_http_multi_new();
    test_http_multi_add(m, first);
    CHECK(test_http_multi_wait(m, s_has_event, first, test_ms(10000)));
    r = s_run("/v1/chat/completions", chat, "Authorization: Bearer " ONE_KEY);
    s_expect_openai_error(r, 429, "rate_limit_error");
    CHECK(strstr(sl_buf_str(&r->body), "concurrent_streams") != NULL);
    CHECK_INT(test_http_header_long(r, "Retry-After"), ==, 1);
    test_http_destroy(&r);
    CHECK(test_http_multi_wait(m, NULL, NULL, test_ms(10000)));
    CHECK_INT(first->status, ==, 200);
    test_http_multi_destroy(&m);
    test_http_destroy(&first);
    r = s_run("/v1/chat/completions", chat, "Authorization: Bearer " ONE_KEY);
    CHECK_INT(r->status, ==, 200);
    test_http_destroy(&r);
    free(slow);
    free(chat);
    printf(
        "key limits: requests_per_minute and concurrent_streams answered 429 with Retry-After\n");
}

// Run `sluice ctl status` (env_prefix before it, e.g. "env -u VAR"): its output into out,
// and its exit status.
static int
s_ctl_status(const char *env_prefix, const char *sluice, char *out, size_t size)
{
    char cmd[8192 + 512];
    snprintf(cmd, sizeof cmd, "%s %s ctl -c %s status 2>&1", env_prefix, sluice, s_sys.cfg);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    size_t n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    return pclose(p);
}

// The control socket on tcp takes a command only with the admin key: `sluice ctl` sends it
// from admin.key_env's variable; without it the supervisor answers 401.
static void
test_control_tcp(const char *sluice)
{
    char out[4096];
    CHECK_INT(s_ctl_status("", sluice, out, sizeof out), ==, 0);
    CHECK(strstr(out, "ingress") != NULL);
    CHECK(s_ctl_status("env -u SLUICE_TEST_ADMIN_KEY", sluice, out, sizeof out) != 0);
    CHECK(strstr(out, "401") != NULL);
    CHECK(strstr(out, ADMIN_KEY) == NULL);
    printf("control socket on tcp: with the admin key served, without it 401\n");
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: keys_test <sluice> <sluice-mockllm>\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    CHECK_INT(setenv("SLUICE_TEST_ENV_KEY", ENV_KEY, 1), ==, 0); // sluice's processes inherit it
    CHECK_INT(setenv("SLUICE_TEST_RPM_KEY", RPM_KEY, 1), ==, 0);
    CHECK_INT(setenv("SLUICE_TEST_ONE_KEY", ONE_KEY, 1), ==, 0);
    CHECK_INT(setenv("SLUICE_TEST_ADMIN_KEY", ADMIN_KEY, 1), ==, 0);
    uint8_t digest[SL_SHA256_LEN];
    sl_sha256(APP_KEY, strlen(APP_KEY), digest);
    char hex[SL_SHA256_HEX + 1];
    for (size_t i = 0; i < SL_SHA256_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "keys:\n"
             "  - {name: app, sha256: %s, models: [m1]}\n"
             "  - {name: env, key_env: SLUICE_TEST_ENV_KEY}\n"
             "  - {name: rpm, key_env: SLUICE_TEST_RPM_KEY, requests_per_minute: 2}\n"
             "  - {name: one, key_env: SLUICE_TEST_ONE_KEY, concurrent_streams: 1}\n"
             "admin: {key_env: SLUICE_TEST_ADMIN_KEY}\n"
             "endpoints: {control: \"tcp://127.0.0.1:%d\"}\n",
             hex, test_free_port());
    test_system_start_with(&s_sys, argv[1], argv[2], NULL, NULL, yaml);
    test_refused();
    test_served();
    test_responses();
    test_limits();
    test_control_tcp(argv[1]);
    CHECK(test_system_stop(&s_sys));
    printf("keys_test: ok\n");
    return 0;
}
