// server_formats_test.c - every format over real HTTP from the real binary: each stream fetched
// with split=1 (LF and CRLF, tool calls, keepalives, Gemini's SSE and JSON array, Ollama's
// NDJSON) must reassemble to exactly the bytes the format renders for the script planned from
// the same request; one-shot responses likewise; status=NNN errors with their headers;
// POST /mock/script equal to the planned script.
//
// Usage: mockllm_server_formats_test <path to sluice-mockllm>
#include <signal.h>
#include <stdbool.h>

#include <curl/curl.h>

#include "check.h"
#include "format.h"
#include "mockproc.h"
#include "sl/buf.h"

// What one request got back.
typedef struct {
    sl_buf_t body;    // the body, chunked coding removed
    sl_buf_t headers; // the response head's lines
    size_t n_writes;  // write callbacks: more than events means events arrived in pieces
} s_reply_t;

static size_t
s_on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
    s_reply_t *r = arg;
    CHECK_INT(sl_buf_append(&r->body, ptr, size * nmemb), ==, 0);
    r->n_writes++;
    return size * nmemb;
}

static size_t
s_on_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
    s_reply_t *r = arg;
    CHECK_INT(sl_buf_append(&r->headers, ptr, size * nmemb), ==, 0);
    return size * nmemb;
}

// POST body to path (with its query); returns the status.
static long
s_post(const char *path, const char *body, s_reply_t *r)
{
    sl_buf_init(&r->body, 16u << 20);
    sl_buf_init(&r->headers, 1u << 16);
    r->n_writes = 0;
    char url[1024];
    snprintf(url, sizeof url, "%s%s", mockproc_base(), path);
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    CURL *h = curl_easy_init();
    CHECK(h != NULL);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, s_on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L * (long)mockproc_mult());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK)
        fprintf(stderr, "POST %s: %s\n", path, curl_easy_strerror(rc));
    CHECK_INT(rc, ==, CURLE_OK);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    curl_slist_free_all(hdrs);
    return status;
}

static void
s_reply_free(s_reply_t *r)
{
    sl_buf_free(&r->body);
    sl_buf_free(&r->headers);
}

static bool
s_has_header(const s_reply_t *r, const char *line)
{
    return strstr(sl_buf_str(&r->headers), line) != NULL;
}

// The script the mock plans for body at path.
static void
s_plan(const mockllm_format_t *fmt, const char *path, const char *body, mockllm_script_t *s)
{
    char err[256] = "";
    int rc = mockllm_format_plan(fmt, path, body, strlen(body), s, err, sizeof err);
    if (rc)
        fprintf(stderr, "plan %s: %s\n", path, err);
    CHECK_INT(rc, ==, 0);
}

// template with its "@@" replaced by directive, into out.
static void
s_fill(const char *template, const char *directive, char *out, size_t size)
{
    const char *at = strstr(template, "@@");
    CHECK(at != NULL);
    snprintf(out, size, "%.*s%s%s", (int)(at - template), template, directive, at + 2);
}

static const struct {
    const char *format;
    const char *path;
    const char *content_type;
    const char *body; // "@@" stands for the directive
} s_cases[] = {
    {"openai", "/v1/chat/completions", "text/event-stream",
     "{\"model\":\"gpt-4o\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
     "\"messages\":[{\"role\":\"user\",\"content\":\"go @@\"}],\"tools\":[{\"type\":\"function\","
     "\"function\":{\"name\":\"get_weather\"}},{\"type\":\"function\",\"function\":{\"name\":"
     "\"get_time\"}}]}"},
    {"anthropic", "/v1/messages", "text/event-stream",
     "{\"model\":\"claude\",\"max_tokens\":4096,\"stream\":true,\"system\":\"terse\",\"messages\":"
     "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"go @@\"}]}],\"tools\":"
     "[{\"name\":\"get_weather\",\"input_schema\":{}},{\"name\":\"get_time\"}]}"},
    {"gemini", "/v1beta/models/gemini-x:streamGenerateContent?alt=sse", "text/event-stream",
     "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"go @@\"}]}],\"tools\":"
     "[{\"functionDeclarations\":[{\"name\":\"get_weather\"},{\"name\":\"get_time\"}]}]}"},
    {"gemini", "/v1beta/models/gemini-x:streamGenerateContent", "application/json; charset=UTF-8",
     "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"go @@\"}]}],\"tools\":"
     "[{\"functionDeclarations\":[{\"name\":\"get_weather\"},{\"name\":\"get_time\"}]}]}"},
    {"cohere", "/v2/chat", "text/event-stream",
     "{\"model\":\"command\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":"
     "\"go @@\"}],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}},"
     "{\"type\":\"function\",\"function\":{\"name\":\"get_time\"}}]}"},
    {"ollama", "/api/chat", "application/x-ndjson",
     "{\"model\":\"llama\",\"messages\":[{\"role\":\"user\",\"content\":\"go @@\"}],\"tools\":"
     "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}},{\"type\":\"function\","
     "\"function\":{\"name\":\"get_time\"}}]}"},
};

static const char *const s_directives[] = {
    "[mock split=1 tokens=12 seed=3]",
    "[mock split=1 crlf=1 tokens=9 tools=1]",
    "[mock split=1 tokens=6 tools=2 text_before=1 pings=1]",
    "[mock split=1 crlf=1 tools=2 pings=1 rate=2000]",
};

static void
s_test_streams(void)
{
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
        const mockllm_format_t *fmt = mockllm_format_by_name(s_cases[i].format);
        for (size_t d = 0; d < sizeof s_directives / sizeof s_directives[0]; d++) {
            char body[2048];
            s_fill(s_cases[i].body, s_directives[d], body, sizeof body);
            s_reply_t r;
            CHECK_INT(s_post(s_cases[i].path, body, &r), ==, 200);
            char ct[128];
            snprintf(ct, sizeof ct, "Content-Type: %s\r\n", s_cases[i].content_type);
            CHECK(s_has_header(&r, ct));
            CHECK(s_has_header(&r, "Transfer-Encoding: chunked\r\n"));

            mockllm_script_t s;
            s_plan(fmt, s_cases[i].path, body, &s);
            sl_buf_t want;
            sl_buf_init(&want, 16u << 20);
            CHECK_INT(mockllm_format_stream(fmt, &s, mockproc_created(sl_buf_str(&r.body)), &want),
                      ==, 0);
            if (r.body.len != want.len || memcmp(r.body.data, want.data, want.len) != 0)
                fprintf(stderr, "%s %s: got\n%s\nwant\n%s\n", s_cases[i].path, s_directives[d],
                        sl_buf_str(&r.body), sl_buf_str(&want));
            CHECK_MEM(r.body.data, r.body.len, want.data, want.len);
            mockllm_events_t ev;
            CHECK_INT(mockllm_format_layout(fmt, &s, &ev), ==, 0);
            CHECK_INT(r.n_writes, >, ev.n); // the pieces really arrived apart
            mockllm_events_free(&ev);
            sl_buf_free(&want);
            mockllm_script_destroy(&s);
            s_reply_free(&r);
        }
    }
}

static void
s_test_one_shot(void)
{
    static const struct {
        const char *format;
        const char *path;
        const char *body;
    } cases[] = {
        {"openai", "/v1/chat/completions",
         "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi [mock tools=2]\"}],"
         "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}"},
        {"anthropic", "/v1/messages",
         "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi "
         "[mock tokens=8]\"}]}"},
        {"gemini", "/v1beta/models/g:generateContent",
         "{\"contents\":[{\"parts\":[{\"text\":\"hi [mock tools=1 text_before=1]\"}]}],\"tools\":"
         "[{\"functionDeclarations\":[{\"name\":\"f\"}]}]}"},
        {"cohere", "/v2/chat",
         "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"},
        {"ollama", "/api/chat",
         "{\"model\":\"m\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi "
         "[mock tools=1]\"}],\"tools\":[{\"function\":{\"name\":\"f\"}}]}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const mockllm_format_t *fmt = mockllm_format_by_name(cases[i].format);
        s_reply_t r;
        CHECK_INT(s_post(cases[i].path, cases[i].body, &r), ==, 200);
        mockllm_script_t s;
        s_plan(fmt, cases[i].path, cases[i].body, &s);
        CHECK(!s.stream);
        sl_buf_t want;
        sl_buf_init(&want, 1u << 20);
        CHECK_INT(fmt->response(&s, mockproc_created(sl_buf_str(&r.body)), &want), ==, 0);
        CHECK_STR(sl_buf_str(&r.body), sl_buf_str(&want));
        char ct[128];
        snprintf(ct, sizeof ct, "Content-Type: %s\r\n", fmt->content_type(&s));
        CHECK(s_has_header(&r, ct));
        sl_buf_free(&want);
        mockllm_script_destroy(&s);
        s_reply_free(&r);
    }
}

static void
s_test_status_and_script(void)
{
    s_reply_t r;
    CHECK_INT(s_post("/v1/messages",
                     "{\"model\":\"m\",\"max_tokens\":5,\"stream\":true,\"messages\":[{\"role\":"
                     "\"user\",\"content\":\"[mock status=529]\"}]}",
                     &r),
              ==, 529);
    CHECK(strncmp(sl_buf_str(&r.body),
                  "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"", 50)
          == 0);
    CHECK(s_has_header(&r, "HTTP/1.1 529 Overloaded\r\n"));
    s_reply_free(&r);
    CHECK_INT(s_post("/v1/chat/completions",
                     "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":"
                     "\"[mock status=429]\"}]}",
                     &r),
              ==, 429);
    CHECK(s_has_header(&r, "retry-after: 1\r\n"));
    CHECK(s_has_header(&r, "Content-Type: application/json\r\n"));
    s_reply_free(&r);

    const char *request = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
                          "\"[mock tools=2 tokens=3 text_before=1]\"}],\"tools\":[{\"function\":"
                          "{\"name\":\"f\"}}]}";
    char body[1024];
    snprintf(body, sizeof body, "{\"format\":\"ollama\",\"request\":%s}", request);
    CHECK_INT(s_post("/mock/script", body, &r), ==, 200);
    mockllm_script_t s;
    s_plan(mockllm_format_by_name("ollama"), "/api/chat", request, &s);
    sl_buf_t want;
    sl_buf_init(&want, 1u << 20);
    CHECK_INT(mockllm_script_json(&s, &want), ==, 0);
    CHECK_STR(sl_buf_str(&r.body), sl_buf_str(&want));
    sl_buf_free(&want);
    mockllm_script_destroy(&s);
    s_reply_free(&r);
}

int
main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : getenv("SLUICE_MOCKLLM");
    if (!path) {
        fprintf(stderr, "usage: mockllm_server_formats_test <path to sluice-mockllm>\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    CHECK_INT(curl_global_init(CURL_GLOBAL_DEFAULT), ==, CURLE_OK);
    mockproc_start(path);
    s_test_streams();
    s_test_one_shot();
    s_test_status_and_script();
    mockproc_stop();
    curl_global_cleanup();
    printf("server_formats_test: ok\n");
    return 0;
}
