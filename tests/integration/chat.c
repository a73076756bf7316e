// chat.c - OpenAI chat requests and streams for tests (see chat.h).
#include "chat.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "script.h"

// Generous: the largest stream a test or the benchmark reads is a few MiB of text.
#define TEXT_MAX_BYTES (64u * 1024 * 1024)

char *
test_chat_body(const char *model, const char *content, bool stream)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", model);
    cJSON_AddBoolToObject(root, "stream", stream);
    if (stream) {
        cJSON *opts = cJSON_AddObjectToObject(root, "stream_options");
        cJSON_AddBoolToObject(opts, "include_usage", 1);
    }
    cJSON *messages = cJSON_AddArrayToObject(root, "messages");
    cJSON *sys = cJSON_CreateObject();
    cJSON_AddStringToObject(sys, "role", "system");
    cJSON_AddStringToObject(sys, "content", "You are a test.");
    cJSON_AddItemToArray(messages, sys);
    cJSON *user = cJSON_CreateObject();
    cJSON_AddStringToObject(user, "role", "user");
    cJSON_AddStringToObject(user, "content", content);
    cJSON_AddItemToArray(messages, user);
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
}

void
test_chat_parse(const test_http_t *r, test_chat_parsed_t *p)
{
    memset(p, 0, sizeof *p);
    sl_buf_init(&p->text, TEXT_MAX_BYTES);
    p->first_content = p->last_content = -1;
    for (size_t i = 0; i < r->n_events; i++) {
        const char *data = r->events[i];
        if (strcmp(data, "[DONE]") == 0) {
            p->done_last = i + 1 == r->n_events;
            // An error event then [DONE] ends a stream in error, as an error event alone does.
            p->error_last = p->error_last
                            || (p->done_last && p->error_events > 0 && i > 0
                                && strstr(r->events[i - 1], "\"error\"") != NULL);
            continue;
        }
        cJSON *chunk = cJSON_Parse(data);
        if (!cJSON_IsObject(chunk)) {
            p->bad_events++;
            cJSON_Delete(chunk);
            continue;
        }
        cJSON *error = cJSON_GetObjectItem(chunk, "error");
        if (cJSON_IsObject(error)) {
            p->error_events++;
            p->error_last = i + 1 == r->n_events;
            cJSON *type = cJSON_GetObjectItem(error, "type");
            snprintf(p->error_type, sizeof p->error_type, "%s",
                     cJSON_IsString(type) ? type->valuestring : "");
        }
        cJSON *choices = cJSON_GetObjectItem(chunk, "choices");
        cJSON *usage = cJSON_GetObjectItem(chunk, "usage");
        if (cJSON_IsArray(choices) && cJSON_GetArraySize(choices) == 0 && cJSON_IsObject(usage)) {
            cJSON *prompt = cJSON_GetObjectItem(usage, "prompt_tokens");
            cJSON *completion = cJSON_GetObjectItem(usage, "completion_tokens");
            p->usage_chunks++;
            p->prompt_tokens = cJSON_IsNumber(prompt) ? (long)prompt->valuedouble : -1;
            p->completion_tokens = cJSON_IsNumber(completion) ? (long)completion->valuedouble : -1;
        }
        cJSON *choice = cJSON_GetArrayItem(choices, 0);
        cJSON *delta = cJSON_GetObjectItem(choice, "delta");
        cJSON *role = cJSON_GetObjectItem(delta, "role");
        cJSON *content = cJSON_GetObjectItem(delta, "content");
        cJSON *finish = cJSON_GetObjectItem(choice, "finish_reason");
        if (cJSON_IsString(role)) {
            p->role_chunks++;
            if (i == 0 && strcmp(role->valuestring, "assistant") == 0)
                p->role_first = true;
        }
        if (cJSON_IsString(content) && content->valuestring[0]) {
            if (p->first_content < 0)
                p->first_content = (int)i;
            p->last_content = (int)i;
            p->content_chunks++;
            sl_buf_append_str(&p->text, content->valuestring);
        }
        if (cJSON_IsString(finish)) {
            p->finish_chunks++;
            snprintf(p->finish, sizeof p->finish, "%s", finish->valuestring);
        }
        cJSON_Delete(chunk);
    }
}

int
test_chat_expect(const char *body, test_chat_expected_t *e)
{
    memset(e, 0, sizeof *e);
    sl_buf_init(&e->text, TEXT_MAX_BYTES);
    mockllm_script_t script;
    char err[256];
    int rc = mockllm_script_from_request(body, strlen(body), &script, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "mock script: %s\n", err);
        return rc;
    }
    rc = mockllm_script_text(&script, &e->text);
    e->tokens = (long)script.n_tokens;
    e->prompt_tokens = (long)script.prompt_tokens;
    snprintf(e->finish, sizeof e->finish, "%s", script.finish_reason);
    mockllm_script_destroy(&script);
    return rc;
}

const char *
test_json_str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItem(obj, name);
    CHECK(cJSON_IsString(v));
    return v->valuestring;
}

long
test_json_num(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItem(obj, name);
    CHECK(cJSON_IsNumber(v));
    return (long)v->valuedouble;
}
