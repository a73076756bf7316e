// openai_test.c - OpenAI rendering, byte for byte: every chunk of a stream (LF and CRLF), the
// usage chunk only when asked for, the one-shot response, error bodies, and the cap.
#include "check.h"
#include "openai.h"
#include "sl/err.h"

static char s_t0[] = "Hi";
static char s_t1[] = " \"x\"\n\t\\";
static char s_t2[] = "\xc3\xa9\xf0\x9f\x98\x80";
static char *s_tokens[] = {s_t0, s_t1, s_t2};
static char s_model[] = "gpt-4o";

#define HEAD(obj)                                                                            \
    "{\"id\":\"chatcmpl-mock-abc\",\"object\":\"" obj "\",\"created\":1727346173,\"model\":" \
    "\"gpt-4o\",\"system_fingerprint\":\"fp_mock\","
#define CHOICE(delta, finish)                                                                   \
    "\"choices\":[{\"index\":0,\"delta\":" delta ",\"logprobs\":null,\"finish_reason\":" finish \
    "}]}"

static const char *const s_events[] = {
    "data: " HEAD("chat.completion.chunk")
        CHOICE("{\"role\":\"assistant\",\"content\":\"\"}", "null") "\n\n",
    "data: " HEAD("chat.completion.chunk") CHOICE("{\"content\":\"Hi\"}", "null") "\n\n",
    "data: " HEAD("chat.completion.chunk")
        CHOICE("{\"content\":\" \\\"x\\\"\\n\\t\\\\\"}", "null") "\n\n",
    "data: " HEAD("chat.completion.chunk")
        CHOICE("{\"content\":\"\xc3\xa9\xf0\x9f\x98\x80\"}", "null") "\n\n",
    "data: " HEAD("chat.completion.chunk") CHOICE("{}", "\"length\"") "\n\n",
    "data: " HEAD("chat.completion.chunk") "\"choices\":[],\"usage\":{\"prompt_tokens\":9,"
                                           "\"completion_tokens\":3,\"total_tokens\":12}}\n\n",
    "data: [DONE]\n\n",
};

static mockllm_script_t
s_script(bool include_usage, bool crlf)
{
    mockllm_script_t s = {
        .tokens = s_tokens,
        .n_tokens = 3,
        .finish_reason = "length",
        .prompt_tokens = 9,
        .completion_tokens = 3,
        .opts = {.seed = 0xabc, .crlf = crlf, .rate = MOCKLLM_SCRIPT_RATE_UNSET},
        .model = s_model,
        .stream = true,
        .include_usage = include_usage,
    };
    return s;
}

// s with every "\n" turned into "\r\n".
static void
s_to_crlf(const char *s, char *out, size_t size)
{
    size_t j = 0;
    for (; *s && j + 2 < size; s++) {
        if (*s == '\n')
            out[j++] = '\r';
        out[j++] = *s;
    }
    out[j] = '\0';
}

int
main(void)
{
    sl_buf_t b;
    sl_buf_init(&b, 1 << 16);

    // With include_usage: role, 3 tokens, finish, usage, [DONE].
    mockllm_script_t s = s_script(true, false);
    CHECK_INT(mockllm_openai_stream_events(&s), ==, 7);
    for (size_t i = 0; i < 7; i++) {
        sl_buf_reset(&b);
        CHECK_INT(mockllm_openai_stream_event(&s, 1727346173, i, &b), ==, 0);
        CHECK_STR(sl_buf_str(&b), s_events[i]);
        CHECK_INT(mockllm_openai_event_token(&s, i), ==, i >= 1 && i <= 3 ? (int64_t)i - 1 : -1);
    }
    CHECK_INT(mockllm_openai_stream_event(&s, 1727346173, 7, &b), ==, SL_EINVAL);

    // Without include_usage: no usage chunk, [DONE] right after the finish chunk.
    s = s_script(false, false);
    CHECK_INT(mockllm_openai_stream_events(&s), ==, 6);
    sl_buf_reset(&b);
    CHECK_INT(mockllm_openai_stream_event(&s, 1727346173, 4, &b), ==, 0);
    CHECK_STR(sl_buf_str(&b), s_events[4]);
    sl_buf_reset(&b);
    CHECK_INT(mockllm_openai_stream_event(&s, 1727346173, 5, &b), ==, 0);
    CHECK_STR(sl_buf_str(&b), "data: [DONE]\n\n");

    // crlf=1: the same bytes with CRLF line ends (no newline occurs inside the JSON: escaped).
    s = s_script(true, true);
    for (size_t i = 0; i < 7; i++) {
        char want[2048];
        s_to_crlf(s_events[i], want, sizeof want);
        sl_buf_reset(&b);
        CHECK_INT(mockllm_openai_stream_event(&s, 1727346173, i, &b), ==, 0);
        CHECK_STR(sl_buf_str(&b), want);
    }

    // Zero tokens: role, finish, [DONE].
    s = s_script(false, false);
    s.n_tokens = 0;
    s.completion_tokens = 0;
    CHECK_INT(mockllm_openai_stream_events(&s), ==, 3);
    CHECK_INT(mockllm_openai_event_token(&s, 1), ==, -1);

    // The one-shot response.
    s = s_script(false, false);
    s.finish_reason = "stop";
    sl_buf_reset(&b);
    CHECK_INT(mockllm_openai_response(&s, 1727346173, &b), ==, 0);
    CHECK_STR(sl_buf_str(&b),
              HEAD("chat.completion") "\"choices\":[{\"index\":0,\"message\":{\"role\":"
                                      "\"assistant\",\"content\":\"Hi \\\"x\\\"\\n\\t\\\\\xc3\xa9"
                                      "\xf0\x9f\x98\x80\",\"refusal\":null},\"logprobs\":null,"
                                      "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":9,"
                                      "\"completion_tokens\":3,\"total_tokens\":12}}");

    // Errors: OpenAI's shape, param null, code a string or null.
    mockllm_format_error_t e = {404, "invalid_request_error", "unknown_url",
                                "Invalid URL (GET /x\")"};
    sl_buf_reset(&b);
    CHECK_INT(mockllm_openai_error(&e, &b), ==, 0);
    CHECK_STR(sl_buf_str(&b),
              "{\"error\":{\"message\":\"Invalid URL (GET /x\\\")\",\"type\":"
              "\"invalid_request_error\",\"param\":null,\"code\":\"unknown_url\"}}");
    e.code = NULL;
    sl_buf_reset(&b);
    CHECK_INT(mockllm_openai_error(&e, &b), ==, 0);
    CHECK(strstr(sl_buf_str(&b), "\"param\":null,\"code\":null}}") != NULL);
    sl_buf_free(&b);

    // The cap: one byte short leaves the buffer as it was.
    size_t need = strlen(s_events[1]);
    sl_buf_init(&b, need + 2);
    CHECK_INT(sl_buf_append_str(&b, "ab"), ==, 0);
    s = s_script(true, false);
    CHECK_INT(mockllm_openai_stream_event(&s, 1727346173, 1, &b), ==, 0); // exactly fits
    sl_buf_free(&b);
    sl_buf_init(&b, need + 1);
    CHECK_INT(sl_buf_append_str(&b, "ab"), ==, 0);
    CHECK_INT(mockllm_openai_stream_event(&s, 1727346173, 1, &b), ==, SL_ETOOBIG);
    CHECK_STR(sl_buf_str(&b), "ab");
    CHECK_INT(mockllm_openai_response(&s, 1727346173, &b), ==, SL_ETOOBIG);
    CHECK_STR(sl_buf_str(&b), "ab");
    sl_buf_free(&b);

    // The format table entry routes to these functions.
    CHECK_STR(mockllm_openai_format.path, "/v1/chat/completions");
    CHECK_STR(mockllm_openai_format.stream_content_type, "text/event-stream");
    char id[MOCKLLM_OPENAI_ID_SIZE];
    mockllm_openai_id(&s, id);
    CHECK_STR(id, "chatcmpl-mock-abc");
    printf("openai_test: ok\n");
    return 0;
}
