// mockllm_request_fuzz.c - libFuzzer target for the mock's own parsers: HTTP request heads,
// the "[mock ...]" directive, every format's request reader and POST /mock/script. None may
// crash, leak or read past its input; a planned script must render (stream and one-shot)
// within the caps, and its argument fragments must add up to its arguments.
//
// Input layout: byte 0 picks the target (HTTP head, directive, a format path, /mock/script),
// the rest is the input. Format paths include Gemini's three endpoints.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "directive.h"
#include "endpoint.h"
#include "format.h"
#include "http.h"
#include "sl/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const s_paths[] = {
    "/v1/chat/completions",
    "/v1/messages",
    "/v1beta/models/g:streamGenerateContent?alt=sse",
    "/v1beta/models/g:streamGenerateContent",
    "/v1beta/models/g:generateContent",
    "/v2/chat",
    "/api/chat",
};
#define S_N_PATHS (sizeof s_paths / sizeof s_paths[0])

static void
s_fail(const char *what)
{
    fprintf(stderr, "mockllm_request_fuzz: %s\n", what);
    abort();
}

static void
s_check_script(const mockllm_format_t *fmt, const mockllm_script_t *s)
{
    for (size_t c = 0; c < s->n_calls; c++) {
        size_t total = 0;
        for (size_t f = 0; f < s->calls[c].n_frags; f++) {
            size_t len;
            (void)mockllm_toolcall_frag(&s->calls[c], f, &len);
            total += len;
        }
        if (total != strlen(s->calls[c].arguments))
            s_fail("fragments do not add up to the arguments");
    }
    sl_buf_t out;
    sl_buf_init(&out, 64u << 20);
    if (mockllm_format_stream(fmt, s, 1700000000, &out) != 0)
        s_fail("a planned stream does not render");
    sl_buf_reset(&out);
    if (fmt->response(s, 1700000000, &out) != 0)
        s_fail("a planned response does not render");
    sl_buf_reset(&out);
    if (mockllm_script_json(s, &out) != 0)
        s_fail("a planned script does not render as JSON");
    sl_buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 16))
        return 0;
    unsigned pick = data[0];
    // Copied so a read past the input is a heap overflow ASan sees.
    size_t len = size - 1;
    char *in = malloc(len ? len : 1);
    if (!in)
        return 0;
    memcpy(in, data + 1, len);
    char err[256];
    switch (pick % (3 + S_N_PATHS)) {
    case 0: {
        mockllm_http_req_t req;
        (void)mockllm_http_parse(in, len, MOCKLLM_HTTP_MAX_HEAD, &req);
        break;
    }
    case 1: {
        mockllm_directive_t d = {0};
        (void)mockllm_directive_parse(in, len, &d, err, sizeof err);
        break;
    }
    case 2: {
        mockllm_endpoint_answer_t a;
        mockllm_endpoint_answer("POST", "/mock/script", "", in, len, 0, &a);
        mockllm_endpoint_answer_free(&a);
        break;
    }
    default: {
        const char *path = s_paths[pick % (3 + S_N_PATHS) - 3];
        const mockllm_format_t *fmt = NULL;
        char only[128];
        snprintf(only, sizeof only, "%.*s", (int)strcspn(path, "?"), path);
        fmt = mockllm_format_for_path(only);
        if (!fmt)
            s_fail("a format path has no format");
        mockllm_script_t s;
        if (mockllm_format_plan(fmt, path, in, len, &s, err, sizeof err) == 0) {
            // Huge scripts are legal but slow to render; the caps are tested elsewhere.
            if (s.n_tokens <= 2000)
                s_check_script(fmt, &s);
            mockllm_script_destroy(&s);
        }
        break;
    }
    }
    free(in);
    return 0;
}
