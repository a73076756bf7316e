// script.c - deterministic scripts from requests (see script.h).
#include "script.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "rng.h"
#include "sl/err.h"
#include "sl/mem.h"

#define S_DEFAULT_MODEL "mock-1"

// The vocabulary. Every class of text a stream parser can get wrong is here on purpose: multi-
// byte UTF-8 of every length (split across reads by split=1), JSON escapes, and strings that
// look like SSE framing ("data:", "[DONE]") inside content. Order is part of the contract:
// changing it changes every script, so append only.
static const char *const s_vocab[] = {
    " the",
    " river",
    " a",
    " quick",
    " fox",
    " and",
    " of",
    " stream",
    " token",
    " light",
    " over",
    " water",
    " is",
    " to",
    " in",
    " it",
    "ing",
    "s",
    " mock",
    " bridge",
    ",",
    ".",
    "!",
    "?",
    ";",
    ":",
    " (",
    ")",
    "-",
    "'",
    "\xc3\xa9",                         // é (2 bytes)
    "\xc3\xb1",                         // ñ (2 bytes)
    " caf\xc3\xa9",                     // " café"
    " na\xc3\xafve",                    // " naïve"
    "\xc3\x9f",                         // ß (2 bytes)
    "\xe2\x82\xac",                     // € (3 bytes)
    "\xe6\x97\xa5\xe6\x9c\xac",         // 日本 (3 bytes each)
    "\xe2\x80\x94",                     // — em dash (3 bytes)
    " \xe6\x9d\xb1\xe4\xba\xac",        // " 東京"
    "\xe2\x80\xa6",                     // … (3 bytes)
    "\xe2\x80\x9c",                     // “ (3 bytes)
    "\xe2\x80\x9d",                     // ” (3 bytes)
    "\xf0\x9f\x98\x80",                 // 😀 (4 bytes)
    "\xf0\x9d\x84\x9e",                 // 𝄞 (4 bytes)
    " \xf0\x9f\x9a\x80",                // " 🚀"
    "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd", // 👍🏽 (two 4-byte code points)
    "\"",                               // needs \" in JSON
    "\\",                               // needs \\ in JSON
    "\n",                               // needs \n in JSON
    "\t",                               // needs \t in JSON
    " \"quoted\"",
    " C:\\path",
    "\n\n",
    " 42",
    " 3.14",
    " {",
    "}",
    " [",
    "]",
    " <b>",
    " &amp;",
    " /",
    " data:",  // SSE-looking text inside content
    " [DONE]", // the terminator's text, as content: only a sloppy parser trips on it
};
#define S_VOCAB_SIZE (sizeof s_vocab / sizeof s_vocab[0])

static void s_set_err(char *err, size_t err_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
s_set_err(char *err, size_t err_size, const char *fmt, ...)
{
    if (!err || err_size == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
}

static bool
s_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Decimal digits only: "+1", "-1", "1e3" and "" are refused so a typo is never a silent 0.
static int
s_parse_u64(const char *s, size_t len, uint64_t *out)
{
    if (len == 0)
        return SL_EINVAL;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return SL_EINVAL;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return SL_EINVAL;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

// Where the directive starts ("[mock" then a space or "]"), or NULL.
static const char *
s_find_directive(const char *text, size_t len)
{
    static const char tag[] = "[mock";
    const size_t tag_len = sizeof tag - 1;
    for (size_t i = 0; i + tag_len <= len; i++) {
        if (memcmp(text + i, tag, tag_len) != 0)
            continue;
        // "[mock" at the very end is a directive cut short: parsing reports the missing "]".
        char next = i + tag_len < len ? text[i + tag_len] : ']';
        if (s_is_space(next) || next == ']')
            return text + i;
    }
    return NULL;
}

// Apply one "name=value" option to opts.
static int
s_apply_option(const char *name,
               size_t name_len,
               const char *value,
               size_t value_len,
               bool has_value,
               mockllm_script_opts_t *opts,
               char *err,
               size_t err_size)
{
    static const struct {
        const char *name;
        uint64_t max;
    } known[] = {
        {"tokens", MOCKLLM_SCRIPT_MAX_TOKENS},
        {"seed", UINT64_MAX},
        {"rate", MOCKLLM_SCRIPT_MAX_RATE},
        {"hold", MOCKLLM_SCRIPT_MAX_TOKENS},
        {"split", 1},
        {"crlf", 1},
    };
    size_t k = 0;
    while (k < sizeof known / sizeof known[0]
           && !(strlen(known[k].name) == name_len && memcmp(known[k].name, name, name_len) == 0))
        k++;
    if (k == sizeof known / sizeof known[0]) {
        s_set_err(err, err_size, MOCKLLM_SCRIPT_DIRECTIVE_ERR "unknown option '%.*s'",
                  (int)name_len, name);
        return SL_EINVAL;
    }
    if (!has_value) {
        s_set_err(err, err_size, MOCKLLM_SCRIPT_DIRECTIVE_ERR "option '%s' needs a value (%s=N)",
                  known[k].name, known[k].name);
        return SL_EINVAL;
    }
    uint64_t v;
    if (s_parse_u64(value, value_len, &v) != 0) {
        s_set_err(err, err_size,
                  MOCKLLM_SCRIPT_DIRECTIVE_ERR "option '%s': '%.*s' is not a decimal integer",
                  known[k].name, (int)value_len, value);
        return SL_EINVAL;
    }
    if (v > known[k].max) {
        s_set_err(err, err_size, MOCKLLM_SCRIPT_DIRECTIVE_ERR "option '%s': %llu is above %llu",
                  known[k].name, (unsigned long long)v, (unsigned long long)known[k].max);
        return SL_EINVAL;
    }
    switch (k) {
    case 0:
        opts->tokens = (uint32_t)v;
        opts->has_tokens = true;
        break;
    case 1:
        opts->seed = v;
        opts->has_seed = true;
        break;
    case 2:
        opts->rate = (int64_t)v;
        break;
    case 3:
        opts->hold = (uint32_t)v;
        break;
    case 4:
        opts->split = v != 0;
        break;
    default:
        opts->crlf = v != 0;
        break;
    }
    return 0;
}

// Words in len bytes: maximal runs of non-whitespace.
static uint32_t
s_count_words(const char *s, size_t len)
{
    uint32_t n = 0;
    bool in_word = false;
    for (size_t i = 0; i < len; i++) {
        bool space = s_is_space(s[i]);
        if (!space && !in_word)
            n++;
        in_word = !space;
    }
    return n;
}

// Append a message's text to out: a string content as is, an array's text parts joined with
// "\n". Other content (null, absent) adds nothing. The caller checked the type.
static void
s_message_text(const cJSON *content, sl_buf_t *out)
{
    if (cJSON_IsString(content)) {
        (void)sl_buf_append_str(out, content->valuestring); // unbounded buffer: cannot fail
        return;
    }
    const cJSON *part;
    cJSON_ArrayForEach(part, content)
    {
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(part, "text");
        if (!cJSON_IsString(text))
            continue;
        if (out->len)
            (void)sl_buf_append_str(out, "\n");
        (void)sl_buf_append_str(out, text->valuestring);
    }
}

// An optional non-negative integer field; *out is left alone when the field is absent or null.
static int
s_get_count(const cJSON *req, const char *name, int64_t *out, char *err, size_t err_size)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(req, name);
    if (!item || cJSON_IsNull(item))
        return 0;
    double d = cJSON_IsNumber(item) ? item->valuedouble : -1;
    if (d < 0 || d > 1e15 || d != (double)(int64_t)d) {
        s_set_err(err, err_size, "'%s' must be a non-negative integer", name);
        return SL_EINVAL;
    }
    if (*out < 0 || (int64_t)d < *out)
        *out = (int64_t)d;
    return 0;
}

static int
s_get_bool(const cJSON *obj, const char *name, bool *out, char *err, size_t err_size)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!item || cJSON_IsNull(item))
        return 0;
    if (!cJSON_IsBool(item)) {
        s_set_err(err, err_size, "'%s' must be a boolean", name);
        return SL_EINVAL;
    }
    *out = cJSON_IsTrue(item);
    return 0;
}

int
mockllm_script_parse_directive(
    const char *text, size_t len, mockllm_script_opts_t *opts, char *err, size_t err_size)
{
    const char *start = text ? s_find_directive(text, len) : NULL;
    if (!start)
        return 0;
    const char *end = text + len;
    const char *p = start + 5; // past "[mock"
    for (;;) {
        while (p < end && s_is_space(*p))
            p++;
        if (p == end) {
            s_set_err(err, err_size, MOCKLLM_SCRIPT_DIRECTIVE_ERR "missing ']'");
            return SL_EINVAL;
        }
        if (*p == ']')
            return 0;
        const char *name = p;
        while (p < end && !s_is_space(*p) && *p != ']' && *p != '=')
            p++;
        size_t name_len = (size_t)(p - name);
        bool has_value = p < end && *p == '=';
        const char *value = has_value ? ++p : p;
        while (p < end && !s_is_space(*p) && *p != ']')
            p++;
        if (name_len == 0) {
            s_set_err(err, err_size,
                      MOCKLLM_SCRIPT_DIRECTIVE_ERR "option without a name near '%.*s'",
                      (int)(p - name), name);
            return SL_EINVAL;
        }
        int rc = s_apply_option(name, name_len, value, (size_t)(p - value), has_value, opts, err,
                                err_size);
        if (rc)
            return rc;
    }
}

int
mockllm_script_plan(const mockllm_script_req_t *req,
                    mockllm_script_t *out,
                    char *err,
                    size_t err_size)
{
    memset(out, 0, sizeof *out);
    mockllm_script_opts_t opts = {.rate = MOCKLLM_SCRIPT_RATE_UNSET};
    int rc = mockllm_script_parse_directive(req->directive_text, req->directive_len, &opts, err,
                                            err_size);
    if (rc)
        return rc;
    if (!opts.has_seed)
        opts.seed = req->default_seed;
    if (!opts.has_tokens)
        opts.tokens = (uint32_t)(12 + opts.seed % 40);
    size_t n = opts.tokens;
    out->finish_reason = "stop";
    if (req->max_tokens >= 0 && (uint64_t)req->max_tokens < n) {
        n = (size_t)req->max_tokens;
        out->finish_reason = "length";
    }
    // Tokens are drawn for the planned count even when capped, so a capped script is a prefix
    // of the uncapped one: what a real model does when it is cut off.
    mockllm_rng_t rng;
    mockllm_rng_seed(&rng, opts.seed);
    out->tokens = sl_xcalloc(n ? n : 1, sizeof *out->tokens);
    for (size_t i = 0; i < n; i++)
        out->tokens[i] = sl_xstrdup(s_vocab[mockllm_rng_below(&rng, S_VOCAB_SIZE)]);
    out->n_tokens = n;
    out->completion_tokens = (uint32_t)n;
    out->prompt_tokens = req->prompt_tokens;
    out->opts = opts;
    return 0;
}

int
mockllm_script_from_request(
    const char *body, size_t len, mockllm_script_t *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    if (!body || len == 0) {
        s_set_err(err, err_size, "request body is empty: expected a JSON object");
        return SL_EPROTO;
    }
    const char *parse_end = NULL;
    cJSON *req = cJSON_ParseWithLengthOpts(body, len, &parse_end, 0);
    if (!req) {
        const char *at = cJSON_GetErrorPtr();
        size_t off = at && at >= body && at <= body + len ? (size_t)(at - body) : 0;
        s_set_err(err, err_size, "request body is not valid JSON (error at byte %zu)", off);
        return SL_EPROTO;
    }
    int rc = SL_EINVAL;
    char *printed = NULL;
    sl_buf_t text, last_user;
    sl_buf_init(&text, (size_t)-1 / 2);
    sl_buf_init(&last_user, (size_t)-1 / 2);
    size_t off = parse_end && parse_end >= body ? (size_t)(parse_end - body) : len;
    while (off < len && s_is_space(body[off]))
        off++;
    if (off < len) {
        s_set_err(err, err_size, "request body is not valid JSON (trailing data at byte %zu)", off);
        rc = SL_EPROTO;
        goto done;
    }
    if (!cJSON_IsObject(req)) {
        s_set_err(err, err_size, "request body must be a JSON object");
        goto done;
    }
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(req, "model");
    if (model && !cJSON_IsString(model)) {
        s_set_err(err, err_size, "'model' must be a string");
        goto done;
    }
    if (model && strlen(model->valuestring) > MOCKLLM_SCRIPT_MAX_MODEL) {
        s_set_err(err, err_size, "'model' is longer than %d bytes", MOCKLLM_SCRIPT_MAX_MODEL);
        goto done;
    }
    const cJSON *messages = cJSON_GetObjectItemCaseSensitive(req, "messages");
    if (!messages) {
        s_set_err(err, err_size, "missing required parameter: 'messages'");
        goto done;
    }
    if (!cJSON_IsArray(messages) || cJSON_GetArraySize(messages) == 0) {
        s_set_err(err, err_size, "'messages' must be a non-empty array");
        goto done;
    }
    uint32_t prompt_tokens = 0;
    int i = 0;
    const cJSON *msg;
    cJSON_ArrayForEach(msg, messages)
    {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(msg, "role");
        if (!cJSON_IsObject(msg) || !cJSON_IsString(role)) {
            s_set_err(err, err_size, "'messages[%d].role' must be a string", i);
            goto done;
        }
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
        if (content && !cJSON_IsString(content) && !cJSON_IsArray(content)
            && !cJSON_IsNull(content)) {
            s_set_err(err, err_size, "'messages[%d].content' must be a string or an array", i);
            goto done;
        }
        sl_buf_reset(&text);
        s_message_text(content, &text);
        prompt_tokens += s_count_words(text.data ? text.data : "", text.len) + 3;
        if (strcmp(role->valuestring, "user") == 0) {
            sl_buf_reset(&last_user);
            (void)sl_buf_append(&last_user, sl_buf_str(&text), text.len); // uncapped buffer
        }
        i++;
    }
    bool stream = false, include_usage = false;
    if (s_get_bool(req, "stream", &stream, err, err_size))
        goto done;
    const cJSON *stream_options = cJSON_GetObjectItemCaseSensitive(req, "stream_options");
    if (stream_options && !cJSON_IsNull(stream_options)) {
        if (!cJSON_IsObject(stream_options)) {
            s_set_err(err, err_size, "'stream_options' must be an object");
            goto done;
        }
        if (s_get_bool(stream_options, "include_usage", &include_usage, err, err_size))
            goto done;
    }
    int64_t cap = -1;
    if (s_get_count(req, "max_tokens", &cap, err, err_size)
        || s_get_count(req, "max_completion_tokens", &cap, err, err_size))
        goto done;
    printed = cJSON_PrintUnformatted(messages);
    if (!printed)
        abort(); // cJSON's only failure is allocation: out of memory aborts, as sl_x* do
    mockllm_script_req_t plan = {
        .directive_text = last_user.data,
        .directive_len = last_user.len,
        .default_seed = mockllm_rng_fnv1a64(printed, strlen(printed)),
        .prompt_tokens = prompt_tokens,
        .max_tokens = cap,
    };
    rc = mockllm_script_plan(&plan, out, err, err_size);
    if (rc)
        goto done;
    out->model = sl_xstrdup(model ? model->valuestring : S_DEFAULT_MODEL);
    out->stream = stream;
    out->include_usage = include_usage;
done:
    cJSON_free(printed);
    sl_buf_free(&text);
    sl_buf_free(&last_user);
    cJSON_Delete(req);
    return rc;
}

int
mockllm_script_text(const mockllm_script_t *self, sl_buf_t *out)
{
    size_t total = 0;
    for (size_t i = 0; i < self->n_tokens; i++)
        total += strlen(self->tokens[i]);
    if (total > out->max_len - out->len)
        return SL_ETOOBIG; // checked first: all or nothing
    for (size_t i = 0; i < self->n_tokens; i++)
        (void)sl_buf_append_str(out, self->tokens[i]);
    return 0;
}

void
mockllm_script_destroy(mockllm_script_t *self)
{
    if (!self)
        return;
    for (size_t i = 0; i < self->n_tokens; i++)
        free(self->tokens[i]);
    free(self->tokens);
    free(self->model);
    memset(self, 0, sizeof *self);
}
