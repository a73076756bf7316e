// admin.c - admin URLs to control commands, and who may ask (see admin.h).
#include "admin.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "keys.h"
#include "sl/err.h"
#include "sl/text.h"

#define S_GENERATE_PROMPT     "Say hello."
#define S_GENERATE_MAX_TOKENS 64

#define S_ADMIN   "/admin/"
#define S_CIRCUIT "/admin/circuits/"

bool
ingress_admin_owns(const char *url)
{
    return strcmp(url, "/metrics") == 0 || strncmp(url, S_ADMIN, strlen(S_ADMIN)) == 0
           || strcmp(url, "/admin") == 0;
}

// Constant-time comparison of a given key with the configured one.
static bool
s_key_matches(const char *given, const char *key)
{
    size_t n = strlen(key), m = strlen(given);
    unsigned char diff = (unsigned char)(n != m);
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(key[i] ^ (i < m ? given[i] : 0));
    return diff == 0;
}

static void
s_fail(ingress_admin_ask_t *ask, unsigned status, const char *message)
{
    ask->status = status;
    ask->message = message;
}

// Percent-decode src (len bytes) into out. False when it does not fit, holds a bad escape,
// a NUL or a control byte.
static bool
s_decode(const char *src, size_t len, char out[INGRESS_ADMIN_MAX_ARG + 1])
{
    size_t at = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned c = (unsigned char)src[i];
        if (c == '%') {
            int hi = i + 2 < len ? sl_text_hex_value(src[i + 1]) : -1;
            int lo = i + 2 < len ? sl_text_hex_value(src[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return false;
            c = (unsigned)(hi * 16 + lo);
            i += 2;
        }
        if (c < 0x20 || c == 0x7f || at >= INGRESS_ADMIN_MAX_ARG)
            return false;
        out[at++] = (char)c;
    }
    out[at] = '\0';
    return at > 0;
}

// POST /admin/circuits/<key>/<verb> or /admin/circuits/reset.
static void
s_circuit_verb(const char *rest, ingress_admin_ask_t *ask)
{
    if (strcmp(rest, "reset") == 0) {
        ask->command = "reset";
        return;
    }
    const char *slash = strrchr(rest, '/');
    static const char *const verbs[] = {"open", "close", "reset"};
    for (size_t i = 0; slash && i < sizeof verbs / sizeof verbs[0]; i++)
        if (strcmp(slash + 1, verbs[i]) == 0) {
            if (!s_decode(rest, (size_t)(slash - rest), ask->arg)) {
                s_fail(ask, 400, "bad breaker key in the URL");
                return;
            }
            ask->command = verbs[i];
            return;
        }
    s_fail(ask, 404, "no such admin URL: use /admin/circuits/<key>/open, close or reset");
}

void
ingress_admin_decide(const char *url,
                     const char *method,
                     bool loopback,
                     const char *admin_key,
                     const char *authorization,
                     const char *api_key,
                     ingress_admin_ask_t *ask)
{
    memset(ask, 0, sizeof *ask);
    bool metrics = strcmp(url, "/metrics") == 0;
    bool keyed = admin_key && *admin_key;
    const char *given = ingress_keys_given(authorization, api_key);
    // Who first, so an unauthorised caller learns nothing of which URLs exist.
    if (keyed && (!metrics || !loopback)) {
        if (!given) {
            s_fail(ask, 401, "this admin URL needs the admin key (Authorization: Bearer)");
            return;
        }
        if (!s_key_matches(given, admin_key)) {
            s_fail(ask, 403, "wrong admin key");
            return;
        }
    } else if (!keyed && !loopback) {
        s_fail(ask, 403,
               metrics ? "/metrics answers loopback callers only unless admin.key_env is set"
                       : "/admin answers loopback callers only unless admin.key_env is set");
        return;
    }
    bool get = strcmp(method, "GET") == 0;
    bool post = strcmp(method, "POST") == 0;
    static const struct {
        const char *url, *command;
        bool post;
    } fixed[] = {
        {"/metrics", "metrics", false},         {"/admin/status", "status", false},
        {"/admin/circuits", "circuits", false}, {"/admin/reset-statistics", "reset-stats", true},
        {"/admin/drain", "drain", true},        {"/admin/reload", "reload", true},
        {"/admin/validate", "validate", true},  {"/admin/generate", "generate", true},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        if (strcmp(url, fixed[i].url) != 0)
            continue;
        if (fixed[i].post ? !post : !get) {
            s_fail(ask, 405, fixed[i].post ? "use POST" : "use GET");
            return;
        }
        ask->command = fixed[i].command;
        ask->text = metrics;
        ask->generate = strcmp(fixed[i].command, "generate") == 0;
        return;
    }
    if (strncmp(url, S_CIRCUIT, strlen(S_CIRCUIT)) == 0) {
        if (!post) {
            s_fail(ask, 405, "use POST");
            return;
        }
        s_circuit_verb(url + strlen(S_CIRCUIT), ask);
        return;
    }
    s_fail(ask, 404, "no such admin URL");
}

bool
ingress_admin_is_loopback(const struct sockaddr *sa)
{
    if (sa && sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr) >> 24)
               == 127;
    if (sa && sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return false;
}

int
ingress_admin_generate_body(const char *body, size_t len, sl_buf_t *out, const char **why)
{
    cJSON *in = cJSON_ParseWithLength(body, len);
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(in, "model");
    const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(in, "prompt");
    const cJSON *max = cJSON_GetObjectItemCaseSensitive(in, "max_tokens");
    *why = NULL;
    if (!cJSON_IsObject(in))
        *why = "the body must be a JSON object: {\"model\": ..., \"prompt\": ...}";
    else if (!cJSON_IsString(model) || !*model->valuestring)
        *why = "model: a route's alias is required";
    else if (prompt && !cJSON_IsString(prompt))
        *why = "prompt: must be a string";
    else if (max && (!cJSON_IsNumber(max) || max->valuedouble < 1 || max->valuedouble > 100000))
        *why = "max_tokens: must be 1..100000";
    if (*why) {
        cJSON_Delete(in);
        return SL_EINVAL;
    }
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "model", model->valuestring);
    cJSON_AddFalseToObject(req, "stream");
    cJSON_AddNumberToObject(req, "max_tokens", max ? max->valuedouble : S_GENERATE_MAX_TOKENS);
    cJSON *messages = cJSON_AddArrayToObject(req, "messages");
    cJSON *user = cJSON_CreateObject();
    cJSON_AddStringToObject(user, "role", "user");
    cJSON_AddStringToObject(user, "content", prompt ? prompt->valuestring : S_GENERATE_PROMPT);
    cJSON_AddItemToArray(messages, user);
    char *text = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    cJSON_Delete(in);
    int rc = text ? sl_buf_append_str(out, text) : SL_ETOOBIG;
    free(text);
    return rc;
}

int
ingress_admin_report(const char *model,
                     unsigned status,
                     const char *response,
                     size_t len,
                     uint32_t attempts,
                     const char *stream_id,
                     int64_t ttft_ms,
                     int64_t total_ms,
                     sl_buf_t *out)
{
    cJSON *in = cJSON_ParseWithLength(response, len);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "model", model ? model : "");
    cJSON_AddNumberToObject(r, "status", status);
    cJSON_AddNumberToObject(r, "attempts", attempts);
    if (stream_id && *stream_id)
        cJSON_AddStringToObject(r, "stream_id", stream_id);
    const cJSON *choice = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(in, "choices"), 0);
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(in, "usage");
    const cJSON *tokens = cJSON_GetObjectItemCaseSensitive(usage, "completion_tokens");
    cJSON_AddNumberToObject(r, "tokens", cJSON_IsNumber(tokens) ? tokens->valuedouble : 0);
    if (ttft_ms >= 0)
        cJSON_AddNumberToObject(r, "ttft_ms", (double)ttft_ms);
    else
        cJSON_AddNullToObject(r, "ttft_ms");
    cJSON_AddNumberToObject(r, "total_ms", (double)total_ms);
    const cJSON *finish = cJSON_GetObjectItemCaseSensitive(choice, "finish_reason");
    if (cJSON_IsString(finish))
        cJSON_AddStringToObject(r, "finish_reason", finish->valuestring);
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(choice, "message"), "content");
    const cJSON *error =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(in, "error"), "message");
    if (cJSON_IsString(content))
        cJSON_AddStringToObject(r, "text", content->valuestring);
    if (cJSON_IsString(error))
        cJSON_AddStringToObject(r, "error", error->valuestring);
    char *text = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
    cJSON_Delete(in);
    int rc = text ? sl_buf_append_str(out, text) : SL_ETOOBIG;
    free(text);
    return rc;
}
