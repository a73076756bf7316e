// prompt.c - a normalized request's prompt in tokens (see sl/prompt.h).
#include "sl/prompt.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sl/err.h"

// A count in progress: texts are counted exactly until max_exact bytes were, and past that at
// the tokens per byte counted so far.
typedef struct {
    const sl_bpe_t *bpe;
    size_t max_exact; // 0: no limit
    size_t bytes;     // bytes counted exactly
    uint64_t tokens;  // their tokens
    bool estimated;   // some text was scaled, not counted
} s_count_t;

// The length of text's first part of at most max bytes that ends on a UTF-8 character.
static size_t
s_utf8_cut(const char *text, size_t len, size_t max)
{
    if (len <= max)
        return len;
    while (max > 0 && ((unsigned char)text[max] & 0xC0) == 0x80)
        max--;
    return max;
}

static uint64_t
s_text(s_count_t *c, const char *text, size_t len)
{
    size_t room = c->max_exact == 0 ? len : c->max_exact > c->bytes ? c->max_exact - c->bytes : 0;
    size_t exact = s_utf8_cut(text, len, room);
    uint64_t n = exact ? sl_bpe_count(c->bpe, text, exact) : 0;
    c->bytes += exact;
    c->tokens += n;
    if (exact < len) { // the rest at the ratio so far (4 bytes a token before any)
        size_t rest = len - exact;
        n += c->bytes ? (uint64_t)((double)rest * (double)c->tokens / (double)c->bytes + 0.5)
                      : (rest + 3) / 4;
        c->estimated = true;
    }
    return n;
}

// The tokens of obj->key when it is a string, else 0.
static uint64_t
s_string(s_count_t *c, const cJSON *obj, const char *key, bool *found_p)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (found_p)
        *found_p = cJSON_IsString(v);
    return cJSON_IsString(v) ? s_text(c, v->valuestring, strlen(v->valuestring)) : 0;
}

// A message's content: a string, or the text of each {"type":"text"} part.
static uint64_t
s_content(s_count_t *c, const cJSON *msg)
{
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
    if (cJSON_IsString(content))
        return s_text(c, content->valuestring, strlen(content->valuestring));
    uint64_t n = 0;
    const cJSON *part;
    if (cJSON_IsArray(content))
        cJSON_ArrayForEach(part, content)
        {
            const cJSON *type = cJSON_GetObjectItemCaseSensitive(part, "type");
            if (cJSON_IsString(type) && strcmp(type->valuestring, "text") == 0)
                n += s_string(c, part, "text", NULL);
        }
    return n;
}

// An assistant message's tool calls: each function's name and arguments, as text.
static uint64_t
s_tool_calls(s_count_t *c, const cJSON *msg)
{
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(msg, "tool_calls");
    uint64_t n = 0;
    const cJSON *call;
    if (cJSON_IsArray(calls))
        cJSON_ArrayForEach(call, calls)
        {
            const cJSON *fn = cJSON_GetObjectItemCaseSensitive(call, "function");
            n += s_string(c, fn, "name", NULL) + s_string(c, fn, "arguments", NULL);
        }
    return n;
}

static uint64_t
s_message(s_count_t *c, const cJSON *msg)
{
    bool named = false;
    uint64_t n = SL_PROMPT_PER_MESSAGE + s_string(c, msg, "role", NULL) + s_content(c, msg)
                 + s_string(c, msg, "name", &named) + s_tool_calls(c, msg);
    return n + (named ? SL_PROMPT_PER_NAME : 0);
}

// The tools array as compact JSON; 0 when there is none or it is empty.
static uint64_t
s_tools(s_count_t *c, const cJSON *root)
{
    const cJSON *tools = cJSON_GetObjectItemCaseSensitive(root, "tools");
    if (!cJSON_IsArray(tools) || cJSON_GetArraySize(tools) == 0)
        return 0;
    char *json = cJSON_PrintUnformatted(tools);
    if (!json)
        abort(); // out of memory: sluice aborts (STYLE 4), cJSON has no other failure here
    uint64_t n = s_text(c, json, strlen(json));
    cJSON_free(json);
    return n;
}

int
sl_prompt_count(const sl_bpe_t *bpe, const char *body, size_t len, uint32_t *tokens_p)
{
    return sl_prompt_estimate(bpe, body, len, 0, tokens_p, NULL);
}

int
sl_prompt_estimate(const sl_bpe_t *bpe,
                   const char *body,
                   size_t len,
                   size_t max_exact,
                   uint32_t *tokens_p,
                   bool *estimated_p)
{
    *tokens_p = 0;
    if (estimated_p)
        *estimated_p = false;
    cJSON *root = cJSON_ParseWithLength(body, len);
    const cJSON *messages = cJSON_GetObjectItemCaseSensitive(root, "messages");
    if (!cJSON_IsObject(root) || !cJSON_IsArray(messages)) {
        cJSON_Delete(root);
        return SL_EINVAL;
    }
    s_count_t c = {.bpe = bpe, .max_exact = max_exact};
    uint64_t n = SL_PROMPT_PRIMING + s_tools(&c, root);
    const cJSON *msg;
    cJSON_ArrayForEach(msg, messages) n += s_message(&c, msg);
    cJSON_Delete(root);
    *tokens_p = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
    if (estimated_p)
        *estimated_p = c.estimated;
    return 0;
}
