// normalized.c - reading the normalized request (see normalized.h).
#include "normalized.h"

#include <stdio.h>
#include <string.h>

#include "sl/err.h"

cJSON *
provider_normalized_parse(const char *body, size_t len, char *err, size_t err_size)
{
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (!cJSON_IsObject(root)) {
        snprintf(err, err_size, "request body is not a JSON object");
        cJSON_Delete(root);
        return NULL;
    }
    if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(root, "messages"))) {
        snprintf(err, err_size, "messages: not an array");
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

int
provider_normalized_role(
    const cJSON *msg, int index, const char **role_p, char *err, size_t err_size)
{
    static const char *const roles[] = {"system", "user", "assistant", "tool"};
    const char *role = provider_normalized_string(msg, "role");
    if (role && strcmp(role, "developer") == 0)
        role = "system"; // OpenAI's newer name for the system prompt
    for (size_t i = 0; role && i < sizeof roles / sizeof roles[0]; i++) {
        if (strcmp(role, roles[i]) == 0) {
            *role_p = roles[i];
            return 0;
        }
    }
    if (!role)
        return sl_err_invalid(err, err_size, "messages[%d].role: missing or not a string", index);
    return sl_err_invalid(err, err_size, "messages[%d].role: '%s' is not supported", index, role);
}

int
provider_normalized_part_text(
    const cJSON *part, const char *where, const char **text_p, char *err, size_t err_size)
{
    const char *type = provider_normalized_string(part, "type");
    const char *text = provider_normalized_string(part, "text");
    if (provider_normalized_is_image(part))
        return sl_err_invalid(err, err_size, "%s: an image part is only taken in a user message",
                              where);
    if (!type || strcmp(type, "text") != 0)
        return sl_err_invalid(err, err_size, "%s: part type '%s' is not supported", where,
                              type ? type : "(none)");
    if (!text)
        return sl_err_invalid(err, err_size, "%s.text: missing or not a string", where);
    *text_p = text;
    return 0;
}

bool
provider_normalized_is_image(const cJSON *part)
{
    const char *type = provider_normalized_string(part, "type");
    return type && strcmp(type, "image_url") == 0;
}

int
provider_normalized_image(const cJSON *part,
                          const char *where,
                          sl_image_url_t *image,
                          const char **detail_p,
                          char *err,
                          size_t err_size)
{
    const cJSON *image_url = provider_normalized_get(part, "image_url");
    const char *url = provider_normalized_string(image_url, "url");
    const cJSON *detail = provider_normalized_get(image_url, "detail");
    *detail_p = NULL;
    if (!url)
        return sl_err_invalid(err, err_size, "%s.image_url.url: missing or not a string", where);
    if (detail
        && (!cJSON_IsString(detail)
            || (strcmp(detail->valuestring, "auto") != 0 && strcmp(detail->valuestring, "low") != 0
                && strcmp(detail->valuestring, "high") != 0)))
        return sl_err_invalid(err, err_size,
                              "%s.image_url.detail: expected 'auto', 'low' or 'high'", where);
    char why[128];
    if (sl_image_url_parse(url, image, why, sizeof why) != 0)
        return sl_err_invalid(err, err_size, "%s.image_url.url: %s", where, why);
    *detail_p = detail ? detail->valuestring : NULL;
    return 0;
}

int
provider_normalized_text(const cJSON *msg, int index, sl_buf_t *out, char *err, size_t err_size)
{
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
    char where[64];
    snprintf(where, sizeof where, "messages[%d].content", index);
    if (!content || cJSON_IsNull(content))
        return 0;
    if (cJSON_IsString(content)) {
        if (sl_buf_append_str(out, content->valuestring) != 0)
            return sl_err_invalid(err, err_size, "%s: too large", where);
        return 0;
    }
    if (!cJSON_IsArray(content))
        return sl_err_invalid(err, err_size, "%s: not a string or an array of parts", where);
    const cJSON *part;
    int i = 0;
    cJSON_ArrayForEach(part, content)
    {
        char part_where[80];
        snprintf(part_where, sizeof part_where, "%s[%d]", where, i++);
        const char *text;
        int rc = provider_normalized_part_text(part, part_where, &text, err, err_size);
        if (rc < 0)
            return rc;
        if (sl_buf_append_str(out, text) != 0)
            return sl_err_invalid(err, err_size, "%s: too large", where);
    }
    return 0;
}

const char *
provider_normalized_tool_name(const cJSON *messages, int index, const char *tool_call_id)
{
    if (!tool_call_id)
        return NULL;
    // Backwards: providers without call ids (Gemini) get ids like call_0 in every turn, so
    // only the nearest earlier call with the id is the one this result answers.
    for (int i = index - 1; i >= 0; i--) {
        const cJSON *msg = cJSON_GetArrayItem(messages, i);
        const char *role = provider_normalized_string(msg, "role");
        if (!role || strcmp(role, "assistant") != 0)
            continue;
        const cJSON *call;
        cJSON_ArrayForEach(call, cJSON_GetObjectItemCaseSensitive(msg, "tool_calls"))
        {
            const char *id = provider_normalized_string(call, "id");
            if (id && strcmp(id, tool_call_id) == 0)
                return provider_normalized_string(
                    cJSON_GetObjectItemCaseSensitive(call, "function"), "name");
        }
    }
    return NULL;
}

int
provider_normalized_arguments(
    const cJSON *call, const char *where, cJSON **args_p, char *err, size_t err_size)
{
    const cJSON *fn = cJSON_GetObjectItemCaseSensitive(call, "function");
    const cJSON *arguments = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
    *args_p = NULL;
    if (!arguments || cJSON_IsNull(arguments)
        || (cJSON_IsString(arguments) && !*arguments->valuestring)) {
        *args_p = cJSON_CreateObject(); // a call without parameters
        return 0;
    }
    if (cJSON_IsObject(arguments)) { // lenient: some clients send the object itself
        *args_p = cJSON_Duplicate(arguments, 1);
        return 0;
    }
    cJSON *args = cJSON_IsString(arguments) ? cJSON_Parse(arguments->valuestring) : NULL;
    if (!cJSON_IsObject(args)) {
        cJSON_Delete(args);
        return sl_err_invalid(err, err_size, "%s.function.arguments: not a JSON object", where);
    }
    *args_p = args;
    return 0;
}

int
provider_normalized_copy_number(
    const cJSON *from, const char *key, cJSON *to, const char *to_key, char *err, size_t err_size)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(from, key);
    if (!item || cJSON_IsNull(item))
        return 0;
    if (!cJSON_IsNumber(item))
        return sl_err_invalid(err, err_size, "%s: not a number", key);
    cJSON_AddItemToObject(to, to_key, cJSON_Duplicate(item, 0));
    return 0;
}

int
provider_normalized_copy_stop(
    const cJSON *from, cJSON *to, const char *to_key, char *err, size_t err_size)
{
    const cJSON *stop = cJSON_GetObjectItemCaseSensitive(from, "stop");
    if (!stop || cJSON_IsNull(stop))
        return 0;
    if (cJSON_IsString(stop)) {
        cJSON *list = cJSON_AddArrayToObject(to, to_key);
        cJSON_AddItemToArray(list, cJSON_CreateString(stop->valuestring));
        return 0;
    }
    if (!cJSON_IsArray(stop))
        return sl_err_invalid(err, err_size, "stop: not a string or an array of strings");
    const cJSON *item;
    cJSON_ArrayForEach(item, stop)
    {
        if (!cJSON_IsString(item))
            return sl_err_invalid(err, err_size, "stop: not a string or an array of strings");
    }
    cJSON_AddItemToObject(to, to_key, cJSON_Duplicate(stop, 1));
    return 0;
}

const cJSON *
provider_normalized_get(const cJSON *from, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(from, key);
    return cJSON_IsNull(item) ? NULL : item;
}

bool
provider_normalized_count(const cJSON *from, const char *key, uint32_t *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(from, key);
    if (!cJSON_IsNumber(item))
        return false;
    double v = item->valuedouble;
    *out = !(v > 0) ? 0 : v >= (double)UINT32_MAX ? UINT32_MAX : (uint32_t)v;
    return true;
}

const char *
provider_normalized_string(const cJSON *from, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(from, key);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

const cJSON *
provider_normalized_max_tokens(const cJSON *in, const char **key_p)
{
    const char *key = "max_completion_tokens";
    const cJSON *max = provider_normalized_get(in, key);
    if (!max) {
        key = "max_tokens";
        max = provider_normalized_get(in, key);
    }
    if (key_p)
        *key_p = max ? key : NULL;
    return max;
}

int
provider_normalized_copy_sampling(const cJSON *in,
                                  cJSON *out,
                                  const char *section,
                                  const provider_sampling_keys_t *keys,
                                  char *err,
                                  size_t err_size)
{
    cJSON *obj = cJSON_CreateObject();
    const char *max_key = NULL;
    (void)provider_normalized_max_tokens(in, &max_key); // NULL: neither is set
    int rc = 0;
    if (keys->temperature)
        rc = provider_normalized_copy_number(in, "temperature", obj, keys->temperature, err,
                                             err_size);
    if (rc == 0 && keys->top_p)
        rc = provider_normalized_copy_number(in, "top_p", obj, keys->top_p, err, err_size);
    if (rc == 0 && keys->max_tokens && max_key)
        rc = provider_normalized_copy_number(in, max_key, obj, keys->max_tokens, err, err_size);
    if (rc == 0 && keys->stop)
        rc = provider_normalized_copy_stop(in, obj, keys->stop, err, err_size);
    if (rc < 0 || !obj->child)
        cJSON_Delete(obj);
    else
        cJSON_AddItemToObject(out, section, obj);
    return rc;
}

int
provider_normalized_call(const cJSON *call,
                         int index,
                         int i,
                         const char **name_p,
                         cJSON **args_p,
                         char *err,
                         size_t err_size)
{
    char where[64];
    snprintf(where, sizeof where, "messages[%d].tool_calls[%d]", index, i);
    const char *name =
        provider_normalized_string(cJSON_GetObjectItemCaseSensitive(call, "function"), "name");
    if (!name || !*name) {
        snprintf(err, err_size, "%s.function.name: missing or not a string", where);
        return SL_EINVAL;
    }
    *name_p = name;
    return provider_normalized_arguments(call, where, args_p, err, err_size);
}

int
provider_normalized_json_format(const cJSON *in, const cJSON **schema_p, char *err, size_t err_size)
{
    *schema_p = NULL;
    const cJSON *rf = provider_normalized_get(in, "response_format");
    const char *type = provider_normalized_string(rf, "type");
    if (!rf || (type && strcmp(type, "text") == 0))
        return 0;
    if (type && strcmp(type, "json_object") == 0)
        return 1;
    const cJSON *schema =
        provider_normalized_get(provider_normalized_get(rf, "json_schema"), "schema");
    if (!type || strcmp(type, "json_schema") != 0 || !cJSON_IsObject(schema)) {
        snprintf(err, err_size,
                 "response_format: expected type text, json_object, or json_schema with "
                 "json_schema.schema an object");
        return SL_EINVAL;
    }
    *schema_p = schema;
    return 1;
}
