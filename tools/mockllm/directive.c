// directive.c - the "[mock ...]" directive parser (see directive.h).
#include "directive.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rng.h"
#include "sl/err.h"

// One option: its name and range. The index in s_options is the switch case in s_set.
typedef struct {
    const char *name;
    uint64_t min;
    uint64_t max; // a name's most bytes, for is_name
    bool is_name; // the value is a name, not a decimal integer
} s_option_t;

static const s_option_t s_options[] = {
    {"tokens", 0, MOCKLLM_DIRECTIVE_MAX_TOKENS, false},
    {"seed", 0, UINT64_MAX, false},
    {"rate", 0, MOCKLLM_DIRECTIVE_MAX_RATE, false},
    {"hold", 0, MOCKLLM_DIRECTIVE_MAX_TOKENS, false},
    {"split", 0, 1, false},
    {"crlf", 0, 1, false},
    {"tools", 0, MOCKLLM_DIRECTIVE_MAX_TOOLS, false},
    {"text_before", 0, 1, false},
    {"pings", 0, 1, false},
    {"status", 400, 599, false},
    {"fail", 0, MOCKLLM_DIRECTIVE_MAX_FAIL, false},
    {"retry_after", 0, 3600, false},
    {"retry_after_ms", 0, 3600000, false},
    {"reset", 0, MOCKLLM_DIRECTIVE_MAX_TOKENS, false},
    {"stall", 0, MOCKLLM_DIRECTIVE_MAX_TOKENS, false},
    {"malformed", 0, MOCKLLM_DIRECTIVE_MAX_TOKENS, false},
    {"error_event", 0, MOCKLLM_DIRECTIVE_MAX_TOKENS, false},
    {"first_byte_ms", 0, MOCKLLM_DIRECTIVE_MAX_WAIT_MS, false},
    {"fail_model", 1, MOCKLLM_DIRECTIVE_MAX_NAME, true},
    {"utf16", 0, 1, false},
    {"usage", 0, 1, false},
};
// The option index of the first fault in s_options: reset, stall, malformed, error_event follow
// in mockllm_fault_t's order.
#define S_FIRST_FAULT 13
#define S_N_OPTIONS   (sizeof s_options / sizeof s_options[0])
_Static_assert(S_N_OPTIONS == 21, "s_set has a case for every option");

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
s_find(const char *text, size_t len)
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

// Set option k to v. Returns 0, or SL_EINVAL when a second kind of fault is asked for.
static int
s_set(size_t k, uint64_t v, mockllm_directive_t *opts, char *err, size_t err_size)
{
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
    case 5:
        opts->crlf = v != 0;
        break;
    case 6:
        opts->tools = (uint32_t)v;
        break;
    case 7:
        opts->text_before = v != 0;
        break;
    case 8:
        opts->pings = v != 0;
        break;
    case 9:
        opts->status = (int)v;
        break;
    case 10:
        opts->fail = (uint32_t)v;
        break;
    case 11:
        opts->retry_after_s = (uint32_t)v;
        opts->has_retry_after = true;
        break;
    case 12:
        opts->retry_after_ms = (uint32_t)v;
        opts->has_retry_after_ms = true;
        break;
    case 17:
        opts->first_byte_ms = (uint32_t)v;
        break;
    case 19:
        opts->utf16 = v != 0;
        break;
    case 20:
        opts->no_usage = v == 0;
        break;
    default: {
        mockllm_fault_t fault = (mockllm_fault_t)(MOCKLLM_FAULT_RESET + (k - S_FIRST_FAULT));
        if (opts->fault != MOCKLLM_FAULT_NONE && opts->fault != fault) {
            s_set_err(err, err_size,
                      MOCKLLM_DIRECTIVE_ERR "options '%s' and '%s' cannot be combined: a stream "
                                            "breaks one way",
                      mockllm_directive_fault_name(opts->fault), s_options[k].name);
            return SL_EINVAL;
        }
        opts->fault = fault;
        opts->fault_units = (uint32_t)v;
        break;
    }
    }
    return 0;
}

// The checks that need the whole directive, and fail='s default fault.
static int
s_finish(mockllm_directive_t *opts, char *err, size_t err_size)
{
    if (opts->status && opts->fault != MOCKLLM_FAULT_NONE) {
        s_set_err(err, err_size,
                  MOCKLLM_DIRECTIVE_ERR "options 'status' and '%s' cannot be combined: an error "
                                        "answer is sent whole",
                  mockllm_directive_fault_name(opts->fault));
        return SL_EINVAL;
    }
    if ((opts->fail || opts->has_fail_model) && !mockllm_directive_has_fault(opts))
        opts->status = MOCKLLM_DIRECTIVE_FAIL_STATUS;
    return 0;
}

// Apply one "name=value" option to opts.
static int
s_apply(const char *name,
        size_t name_len,
        const char *value,
        size_t value_len,
        bool has_value,
        mockllm_directive_t *opts,
        char *err,
        size_t err_size)
{
    size_t k = 0;
    while (k < S_N_OPTIONS
           && !(strlen(s_options[k].name) == name_len
                && memcmp(s_options[k].name, name, name_len) == 0))
        k++;
    if (k == S_N_OPTIONS) {
        s_set_err(err, err_size, MOCKLLM_DIRECTIVE_ERR "unknown option '%.*s'", (int)name_len,
                  name);
        return SL_EINVAL;
    }
    const s_option_t *o = &s_options[k];
    if (!has_value) {
        s_set_err(err, err_size, MOCKLLM_DIRECTIVE_ERR "option '%s' needs a value (%s=%s)", o->name,
                  o->name, o->is_name ? "NAME" : "N");
        return SL_EINVAL;
    }
    if (o->is_name) {
        if (value_len < o->min || value_len > o->max) {
            s_set_err(err, err_size,
                      MOCKLLM_DIRECTIVE_ERR "option '%s': a name of %llu to %llu bytes", o->name,
                      (unsigned long long)o->min, (unsigned long long)o->max);
            return SL_EINVAL;
        }
        // Only fail_model= takes a name; its hash is all a request needs to compare.
        opts->has_fail_model = true;
        opts->fail_model_hash = mockllm_rng_fnv1a64(value, value_len);
        return 0;
    }
    uint64_t v;
    if (s_parse_u64(value, value_len, &v) != 0) {
        s_set_err(err, err_size,
                  MOCKLLM_DIRECTIVE_ERR "option '%s': '%.*s' is not a decimal integer", o->name,
                  (int)value_len, value);
        return SL_EINVAL;
    }
    if (v > o->max) {
        s_set_err(err, err_size, MOCKLLM_DIRECTIVE_ERR "option '%s': %llu is above %llu", o->name,
                  (unsigned long long)v, (unsigned long long)o->max);
        return SL_EINVAL;
    }
    if (v < o->min) {
        s_set_err(err, err_size, MOCKLLM_DIRECTIVE_ERR "option '%s': %llu is below %llu", o->name,
                  (unsigned long long)v, (unsigned long long)o->min);
        return SL_EINVAL;
    }
    return s_set(k, v, opts, err, err_size);
}

int
mockllm_directive_parse(
    const char *text, size_t len, mockllm_directive_t *opts, char *err, size_t err_size)
{
    const char *start = text ? s_find(text, len) : NULL;
    if (!start)
        return 0;
    const char *end = text + len;
    const char *p = start + 5; // past "[mock"
    for (;;) {
        while (p < end && s_is_space(*p))
            p++;
        if (p == end) {
            s_set_err(err, err_size, MOCKLLM_DIRECTIVE_ERR "missing ']'");
            return SL_EINVAL;
        }
        if (*p == ']') {
            opts->text_hash = mockllm_rng_fnv1a64(start, (size_t)(p + 1 - start));
            return s_finish(opts, err, err_size);
        }
        const char *name = p;
        while (p < end && !s_is_space(*p) && *p != ']' && *p != '=')
            p++;
        size_t name_len = (size_t)(p - name);
        bool has_value = p < end && *p == '=';
        const char *value = has_value ? ++p : p;
        while (p < end && !s_is_space(*p) && *p != ']')
            p++;
        if (name_len == 0) {
            s_set_err(err, err_size, MOCKLLM_DIRECTIVE_ERR "option without a name near '%.*s'",
                      (int)(p - name), name);
            return SL_EINVAL;
        }
        int rc =
            s_apply(name, name_len, value, (size_t)(p - value), has_value, opts, err, err_size);
        if (rc)
            return rc;
    }
}

bool
mockllm_directive_has_fault(const mockllm_directive_t *opts)
{
    return opts->status || opts->fault != MOCKLLM_FAULT_NONE || opts->first_byte_ms;
}

void
mockllm_directive_clear_faults(mockllm_directive_t *opts)
{
    opts->status = 0;
    opts->fault = MOCKLLM_FAULT_NONE;
    opts->fault_units = 0;
    opts->first_byte_ms = 0;
}

bool
mockllm_directive_is_fail_model(const mockllm_directive_t *opts, const char *model)
{
    if (!opts->has_fail_model)
        return true;
    return model && mockllm_rng_fnv1a64(model, strlen(model)) == opts->fail_model_hash;
}

const char *
mockllm_directive_fault_name(mockllm_fault_t fault)
{
    switch (fault) {
    case MOCKLLM_FAULT_RESET:
        return "reset";
    case MOCKLLM_FAULT_STALL:
        return "stall";
    case MOCKLLM_FAULT_MALFORMED:
        return "malformed";
    case MOCKLLM_FAULT_ERROR_EVENT:
        return "error_event";
    case MOCKLLM_FAULT_NONE:
        break;
    }
    return "";
}
