// prompt.c - a normalized request's prompt in tokens (see sl/prompt.h).
#include "sl/prompt.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sl/err.h"

// The tokens of obj->key when it is a string, else 0.
static uint64_t
s_string(const sl_bpe_t *bpe, const cJSON *obj, const char *key, bool *found_p)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (found_p)
        *found_p = cJSON_IsString(v);
    return cJSON_IsString(v) ? sl_bpe_count(bpe, v->valuestring, strlen(v->valuestring)) : 0;
}

// A message's content: a string, or the text of each {"type":"text"} part.
static uint64_t
s_content(const sl_bpe_t *bpe, const cJSON *msg)
{
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
    if (cJSON_IsString(content))
        return sl_bpe_count(bpe, content->valuestring, strlen(content->valuestring));
    uint64_t n = 0;
    const cJSON *part;
    if (cJSON_IsArray(content))
        cJSON_ArrayForEach(part, content)
        {
            const cJSON *type = cJSON_GetObjectItemCaseSensitive(part, "type");
            if (cJSON_IsString(type) && strcmp(type->valuestring, "text") == 0)
                n += s_string(bpe, part, "text", NULL);
        }
    return n;
}

// An assistant message's tool calls: each function's name and arguments, as text.
static uint64_t
s_tool_calls(const sl_bpe_t *bpe, const cJSON *msg)
{
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(msg, "tool_calls");
    uint64_t n = 0;
    const cJSON *call;
    if (cJSON_IsArray(calls))
        cJSON_ArrayForEach(call, calls)
        {
            const cJSON *fn = cJSON_GetObjectItemCaseSensitive(call, "function");
            n += s_string(bpe, fn, "name", NULL) + s_string(bpe, fn, "arguments", NULL);
        }
    return n;
}

static uint64_t
s_message(const sl_bpe_t *bpe, const cJSON *msg)
{
    bool named = false;
    uint64_t n = SL_PROMPT_PER_MESSAGE + s_string(bpe, msg, "role", NULL) + s_content(bpe, msg)
                 + s_string(bpe, msg, "name", &named) + s_tool_calls(bpe, msg);
    return n + (named ? SL_PROMPT_PER_NAME : 0);
}

// The tools array as compact JSON; 0 when there is none or it is empty.
static uint64_t
s_tools(const sl_bpe_t *bpe, const cJSON *root)
{
    const cJSON *tools = cJSON_GetObjectItemCaseSensitive(root, "tools");
    if (!cJSON_IsArray(tools) || cJSON_GetArraySize(tools) == 0)
        return 0;
    char *json = cJSON_PrintUnformatted(tools);
    if (!json)
        abort(); // out of memory: sluice aborts (STYLE 4), cJSON has no other failure here
    uint64_t n = sl_bpe_count(bpe, json, strlen(json));
    cJSON_free(json);
    return n;
}

int
sl_prompt_count(const sl_bpe_t *bpe, const char *body, size_t len, uint32_t *tokens_p)
{
    *tokens_p = 0;
    cJSON *root = cJSON_ParseWithLength(body, len);
    const cJSON *messages = cJSON_GetObjectItemCaseSensitive(root, "messages");
    if (!cJSON_IsObject(root) || !cJSON_IsArray(messages)) {
        cJSON_Delete(root);
        return SL_EINVAL;
    }
    uint64_t n = SL_PROMPT_PRIMING + s_tools(bpe, root);
    const cJSON *msg;
    cJSON_ArrayForEach(msg, messages) n += s_message(bpe, msg);
    cJSON_Delete(root);
    *tokens_p = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
    return 0;
}
