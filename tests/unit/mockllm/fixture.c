// fixture.c - hand-made scripts for the format tests (see fixture.h).
#include "fixture.h"

#include "check.h"
#include "format.h"

static char s_t0[] = "Hi";
static char s_t1[] = " \"x\"\n\t\\";
static char s_t2[] = "\xc3\xa9\xf0\x9f\x98\x80";
static char *s_tokens[] = {s_t0, s_t1, s_t2};
static char s_model[] = "m-1";

static char s_name0[] = "get_weather";
static char s_args0[] = "{\"city\": \"Paris\"}";
static size_t s_frags0[] = {4, 13, 17}; // {"ci | ty": "Par | is"}
static char s_name1[] = "get_time";
static char s_args1[] = "{\"tz\": \"\xe6\x9d\xb1\xe4\xba\xac\"}";
static size_t s_frags1[] = {7, 16}; // {"tz":  | "東京"}
static mockllm_toolcall_t s_calls[2];

mockllm_script_t
fixture_text(mockllm_finish_t finish, const char *finish_reason, bool crlf)
{
    mockllm_script_t s = {
        .tokens = s_tokens,
        .n_tokens = 3,
        .finish = finish,
        .finish_reason = finish_reason,
        .prompt_tokens = 9,
        .completion_tokens = 3,
        .opts = {.seed = 0xabc, .crlf = crlf, .rate = MOCKLLM_DIRECTIVE_RATE_UNSET},
        .model = s_model,
        .stream = true,
    };
    return s;
}

mockllm_script_t
fixture_calls(
    size_t n_calls, bool text_before, const char *finish_reason, const char *id0, const char *id1)
{
    s_calls[0] = (mockllm_toolcall_t){(char *)id0, s_name0, s_args0, s_frags0, 3};
    s_calls[1] = (mockllm_toolcall_t){(char *)id1, s_name1, s_args1, s_frags1, 2};
    mockllm_script_t s = fixture_text(MOCKLLM_FINISH_TOOL_CALLS, finish_reason, false);
    s.n_tokens = text_before ? 3 : 0;
    s.calls = s_calls;
    s.n_calls = n_calls;
    s.completion_tokens = (uint32_t)(s.n_tokens + 3 + (n_calls > 1 ? 2 : 0));
    return s;
}

void
fixture_crlf(const char *s, char *out, size_t size)
{
    size_t j = 0;
    for (; *s && j + 2 < size; s++) {
        if (*s == '\n')
            out[j++] = '\r';
        out[j++] = *s;
    }
    out[j] = '\0';
}

void
fixture_check_stream(const mockllm_format_t *fmt, const mockllm_script_t *s, const char *want)
{
    sl_buf_t b;
    sl_buf_init(&b, 1 << 20);
    CHECK_INT(mockllm_format_stream(fmt, s, 1714564800, &b), ==, 0);
    if (strcmp(sl_buf_str(&b), want) != 0) {
        fprintf(stderr, "--- got:\n%s\n--- want:\n%s\n", sl_buf_str(&b), want);
        size_t i = 0;
        while (b.data[i] && b.data[i] == want[i])
            i++;
        fprintf(stderr, "first difference at byte %zu: \"%.40s\"\n", i, b.data + i);
    }
    CHECK_STR(sl_buf_str(&b), want);
    sl_buf_free(&b);
}
