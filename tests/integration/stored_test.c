// stored_test.c - a stored response (the Responses API) survives kill -9 of the process that
// holds it at the time: the builder and persist, each killed in the middle of a background
// response. Its stored object must come whole: the mock's text, completed, and the request's
// own fields (instructions, metadata), which travel with the stream's first batch and must
// reach the store through a builder's or persist's replacement. Then previous_response_id
// continues it on the replacement, and DELETE removes it.
// Usage: stored_test <sluice> <sluice-mockllm> [pg args]
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "chat.h"
#include "check.h"
#include "http_client.h"
#include "system.h"

static test_system_t s_sys;

// GET /v1/responses/<id>: the object (caller frees), or NULL when it is not 200.
static cJSON *
s_get(const char *id, long *status_p)
{
    char url[256];
    snprintf(url, sizeof url, "%s/v1/responses/%s", s_sys.base, id);
    test_http_t *g = test_http_new(url, NULL);
    cJSON *json = NULL;
    *status_p = 0;
    if (test_http_run(g, 5000)) {
        *status_p = g->status;
        if (g->status == 200)
            json = cJSON_Parse(sl_buf_str(&g->body));
    }
    test_http_destroy(&g);
    return json;
}

static const char *
s_str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

// The text of a response object's message items.
static void
s_text(const cJSON *resp, sl_buf_t *out)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(resp, "output"))
    {
        const cJSON *part;
        cJSON_ArrayForEach(part, cJSON_GetObjectItemCaseSensitive(item, "content"))(void)
            sl_buf_append_str(out, s_str(part, "text"));
    }
}

// POST a background response for content; its id into id.
static void
s_create(const char *content, char id[64])
{
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "model", "m1");
    cJSON_AddStringToObject(req, "input", content);
    cJSON_AddStringToObject(req, "instructions", "Be exact.");
    cJSON_AddBoolToObject(req, "background", true);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(req, "metadata"), "case", content);
    char *body = cJSON_PrintUnformatted(req);
    char url[256];
    snprintf(url, sizeof url, "%s/v1/responses", s_sys.base);
    test_http_t *r = test_http_new(url, body);
    CHECK(test_http_run(r, test_ms(10000)));
    CHECK_INT(r->status, ==, 200);
    cJSON *json = cJSON_Parse(sl_buf_str(&r->body));
    CHECK_STR(s_str(json, "status"), "queued");
    snprintf(id, 64, "%s", s_str(json, "id"));
    cJSON_Delete(json);
    test_http_destroy(&r);
    free(body);
    cJSON_Delete(req);
}

// A background response at 20 tokens/s loses name's process once some of it is stored (or,
// early, before anything of it is: its first byte comes 1.5 s late, so its first batch, which
// carries the request's fields, is still the builder's); its stored object must end whole,
// with the request's fields.
static void
s_kill_mid_response(const char *name, bool early)
{
    char content[128], id[64];
    snprintf(content, sizeof content, "kill %s%s [mock tokens=60 rate=20 seed=41%s]", name,
             early ? " early" : "", early ? " first_byte_ms=1500" : "");
    char *chat = test_chat_body("m1", content, true);
    test_chat_expected_t e;
    CHECK_INT(test_chat_expect(chat, &e), ==, 0); // the mock's answer to the same conversation
    free(chat);
    s_create(content, id);
    long status = 0;
    sl_buf_t text;
    sl_buf_init(&text, 1 << 20);
    for (int64_t waited = 0; !early && waited < test_ms(10000) && text.len == 0; waited += 50) {
        cJSON *resp = s_get(id, &status);
        sl_buf_reset(&text);
        if (resp)
            s_text(resp, &text);
        cJSON_Delete(resp);
        test_sleep_ms(50);
    }
    CHECK(early || text.len > 0); // some of it is stored, not all
    pid_t old = test_system_pid(&s_sys, name);
    CHECK(old > 0);
    CHECK_INT(kill(old, SIGKILL), ==, 0);
    cJSON *done = NULL;
    for (int64_t waited = 0; waited < test_ms(30000) && !done; waited += 100) {
        cJSON *resp = s_get(id, &status);
        if (resp && strcmp(s_str(resp, "status"), "in_progress") != 0)
            done = resp;
        else
            cJSON_Delete(resp);
        if (!done)
            test_sleep_ms(100);
    }
    if (!done) {
        fprintf(stderr, "response %s: not ended within 30 s of the %s's kill (last %ld)\n", id,
                name, status);
        test_system_dump_log(&s_sys);
        CHECK(false);
    }
    CHECK_STR(s_str(done, "status"), "completed");
    sl_buf_reset(&text);
    s_text(done, &text);
    CHECK_STR(sl_buf_str(&text), sl_buf_str(&e.text));
    CHECK_STR(s_str(done, "instructions"), "Be exact.");
    CHECK_STR(s_str(cJSON_GetObjectItemCaseSensitive(done, "metadata"), "case"), content);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(done, "background")));
    cJSON_Delete(done);

    // Continued on the replacement: the stored conversation reaches the upstream (the mock
    // answers the last user message's directive, which only the stored turn holds).
    char body[256], url[256];
    snprintf(body, sizeof body, "{\"model\":\"m1\",\"previous_response_id\":\"%s\",\"input\":[]}",
             id);
    snprintf(url, sizeof url, "%s/v1/responses", s_sys.base);
    test_http_t *r = test_http_new(url, body);
    CHECK(test_http_run(r, test_ms(20000)));
    CHECK_INT(r->status, ==, 200);
    cJSON *next = cJSON_Parse(sl_buf_str(&r->body));
    sl_buf_reset(&text);
    s_text(next, &text);
    CHECK_STR(sl_buf_str(&text), sl_buf_str(&e.text));
    CHECK_STR(s_str(next, "previous_response_id"), id);
    cJSON_Delete(next);
    test_http_destroy(&r);

    // Deleted: gone.
    snprintf(url, sizeof url, "%s/v1/responses/%s", s_sys.base, id);
    test_http_t *d = test_http_new(url, NULL);
    curl_easy_setopt(d->easy, CURLOPT_CUSTOMREQUEST, "DELETE");
    CHECK(test_http_run(d, 5000));
    CHECK_INT(d->status, ==, 200);
    test_http_destroy(&d);
    CHECK(s_get(id, &status) == NULL);
    CHECK_INT(status, ==, 404);
    sl_buf_free(&text);
    sl_buf_free(&e.text);
    printf("%s killed %s: stored whole, continued, deleted\n", name,
           early ? "before the response's first byte" : "mid-response");
}

// A Chat Completions stream is no stored response: 404 as an object and as events.
static void
s_chat_is_no_response(void)
{
    char *chat = test_chat_body("m1", "plain [mock tokens=3]", true);
    char url[256], id[64], path[160];
    snprintf(url, sizeof url, "%s/v1/chat/completions", s_sys.base);
    test_http_t *r = test_http_new(url, chat);
    CHECK(test_http_run(r, test_ms(10000)));
    CHECK_INT(r->status, ==, 200);
    CHECK(test_http_header(r, "x-sluice-stream-id", id, sizeof id));
    test_http_destroy(&r);
    free(chat);
    snprintf(url, sizeof url, "%s/v1/streams/%s", s_sys.base, id);
    long status = 0;
    for (int i = 0; i < 100 && status != 200; i++) { // until the store has it
        test_http_t *g = test_http_new(url, NULL);
        status = test_http_run(g, 2000) ? g->status : 0;
        test_http_destroy(&g);
        if (status != 200)
            test_sleep_ms(50);
    }
    CHECK_INT(status, ==, 200);
    snprintf(path, sizeof path, "resp_%s", id);
    CHECK(s_get(path, &status) == NULL);
    CHECK_INT(status, ==, 404);
    snprintf(url, sizeof url, "%s/v1/responses/%s?stream=true", s_sys.base, path);
    test_http_t *g = test_http_new(url, NULL);
    CHECK(test_http_run(g, 5000));
    CHECK_INT(g->status, ==, 404);
    test_http_destroy(&g);
    printf("a chat stream is no stored response: 404\n");
}

int
main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: stored_test <sluice> <sluice-mockllm>\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    test_system_start(&s_sys, argv[1], argv[2], NULL);
    s_chat_is_no_response();
    s_kill_mid_response("builder", false);
    s_kill_mid_response("persist", false);
    s_kill_mid_response("builder", true);
    s_kill_mid_response("persist", true);
    CHECK(test_system_stop(&s_sys));
    curl_global_cleanup();
    printf("stored_test: ok\n");
    return 0;
}
