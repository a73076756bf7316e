// server_test.c - the real sluice-mockllm binary over real HTTP: streams (split, CRLF, usage,
// hold and release, pacing), one-shot responses, keep-alive, errors, limits, 20 concurrent
// streams and 600 concurrent connections, a client leaving mid-stream, a clean exit on SIGTERM,
// and a second server started with --vocabulary plain. What each response must hold comes from
// mockllm_script_from_request on the same body: the script is the oracle.
//
// Usage: mockllm_server_test <path to sluice-mockllm>
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "check.h"
#include "format.h"
#include "mockproc.h"
#include "openai.h"
#include "script.h"
#include "sl/buf.h"
#include "sl/clock.h"
#include "sl/mem.h"

#define S_MAX_EVENTS 4096

// --- a minimal SSE reader (the common one may not exist yet) -------------------------------

typedef struct {
    sl_buf_t raw;               // body bytes as curl delivered them (chunked coding removed)
    size_t pos;                 // raw is parsed up to here
    sl_buf_t data;              // data lines of the event being read, joined with "\n"
    bool has_data;              // the event being read has a data line
    char *events[S_MAX_EVENTS]; // owned; data of each dispatched event
    size_t n_events;
    size_t n_writes;   // write callbacks: more than events means events arrived in pieces
    size_t crlf_lines; // lines that ended in CRLF
    sl_buf_t headers;  // response header lines
} s_sse_t;

static void
s_sse_init(s_sse_t *self)
{
    memset(self, 0, sizeof *self);
    sl_buf_init(&self->raw, 64u << 20);
    sl_buf_init(&self->data, 1u << 20);
    sl_buf_init(&self->headers, 1u << 16);
}

static void
s_sse_free(s_sse_t *self)
{
    for (size_t i = 0; i < self->n_events; i++)
        free(self->events[i]);
    sl_buf_free(&self->raw);
    sl_buf_free(&self->data);
    sl_buf_free(&self->headers);
}

// Parse every complete line not parsed yet.
static void
s_sse_parse(s_sse_t *self)
{
    for (;;) {
        const char *start = self->raw.data + self->pos;
        const char *nl = memchr(start, '\n', self->raw.len - self->pos);
        if (!nl)
            return;
        size_t len = (size_t)(nl - start);
        self->pos += len + 1;
        if (len && start[len - 1] == '\r') {
            len--;
            self->crlf_lines++;
        }
        if (len == 0) {
            if (self->has_data) {
                CHECK_INT(self->n_events, <, S_MAX_EVENTS);
                self->events[self->n_events++] = sl_xstrdup(sl_buf_str(&self->data));
            }
            sl_buf_reset(&self->data);
            self->has_data = false;
        } else if (len >= 5 && memcmp(start, "data:", 5) == 0) {
            size_t skip = len > 5 && start[5] == ' ' ? 6 : 5;
            if (self->has_data)
                CHECK_INT(sl_buf_append_str(&self->data, "\n"), ==, 0);
            CHECK_INT(sl_buf_append(&self->data, start + skip, len - skip), ==, 0);
            self->has_data = true;
        }
    }
}

static size_t
s_on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
    s_sse_t *self = arg;
    CHECK_INT(sl_buf_append(&self->raw, ptr, size * nmemb), ==, 0);
    self->n_writes++;
    s_sse_parse(self);
    return size * nmemb;
}

static size_t
s_on_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
    s_sse_t *self = arg;
    CHECK_INT(sl_buf_append(&self->headers, ptr, size * nmemb), ==, 0);
    return size * nmemb;
}

// --- HTTP helpers ----------------------------------------------------------------------------

static CURL *
s_easy(const char *path, const char *body, s_sse_t *sink, struct curl_slist *hdrs)
{
    char url[256];
    snprintf(url, sizeof url, "%s%s", mockproc_base(), path);
    CURL *h = curl_easy_init();
    CHECK(h != NULL);
    curl_easy_setopt(h, CURLOPT_URL, url);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, s_on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, sink);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L * (long)mockproc_mult());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    return h;
}

static struct curl_slist *
s_json_headers(void)
{
    return curl_slist_append(NULL, "Content-Type: application/json");
}

// One blocking request. Returns the status; the body and headers land in sink.
static long
s_request(const char *method, const char *path, const char *body, s_sse_t *sink)
{
    struct curl_slist *hdrs = s_json_headers();
    CURL *h = s_easy(path, body, sink, hdrs);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK)
        fprintf(stderr, "%s %s: %s\n", method, path, curl_easy_strerror(rc));
    CHECK_INT(rc, ==, CURLE_OK);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    curl_slist_free_all(hdrs);
    return status;
}

static bool
s_has_header(const s_sse_t *sink, const char *line)
{
    return strstr(sl_buf_str(&sink->headers), line) != NULL;
}

// --- checks ----------------------------------------------------------------------------------

static const char *
s_str(const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    CHECK(cJSON_IsString(item));
    return item->valuestring;
}

static double
s_num(const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    CHECK(cJSON_IsNumber(item));
    return item->valuedouble;
}

// The first choice of a chunk, after checking the fields every chunk shares.
static const cJSON *
s_chunk_choice(const cJSON *chunk, const char *id, const char *model, double *created)
{
    CHECK(chunk != NULL);
    CHECK_STR(s_str(chunk, "id"), id);
    CHECK_STR(s_str(chunk, "object"), "chat.completion.chunk");
    CHECK_STR(s_str(chunk, "model"), model);
    if (*created < 0)
        *created = s_num(chunk, "created");
    CHECK(s_num(chunk, "created") == *created);
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(chunk, "choices");
    CHECK(cJSON_IsArray(choices));
    return cJSON_GetArrayItem(choices, 0);
}

// The stream in sse must be exactly what the script for body says, in OpenAI's shape.
static void
s_check_stream(const s_sse_t *sse, const char *body)
{
    mockllm_script_t s;
    char err[256];
    CHECK_INT(mockllm_script_from_request(body, strlen(body), &s, err, sizeof err), ==, 0);
    char id[MOCKLLM_OPENAI_ID_SIZE];
    mockllm_openai_id(&s, id);
    double created = -1;
    size_t n = s.n_tokens;
    size_t want_events = 1 + n + 1 + (s.include_usage ? 1 : 0) + 1;
    if (sse->n_events != want_events)
        fprintf(stderr, "events: %zu, want %zu\n", sse->n_events, want_events);
    CHECK_INT(sse->n_events, ==, want_events);
    CHECK_INT(sse->pos, ==, sse->raw.len); // nothing after the last event

    // Role first.
    cJSON *c = cJSON_Parse(sse->events[0]);
    const cJSON *choice = s_chunk_choice(c, id, s.model, &created);
    const cJSON *delta = cJSON_GetObjectItemCaseSensitive(choice, "delta");
    CHECK_STR(s_str(delta, "role"), "assistant");
    CHECK_STR(s_str(delta, "content"), "");
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(choice, "finish_reason")));
    cJSON_Delete(c);

    // One chunk per token, reassembling the script's text exactly.
    sl_buf_t got, want;
    sl_buf_init(&got, 16u << 20);
    sl_buf_init(&want, 16u << 20);
    for (size_t k = 0; k < n; k++) {
        c = cJSON_Parse(sse->events[1 + k]);
        choice = s_chunk_choice(c, id, s.model, &created);
        delta = cJSON_GetObjectItemCaseSensitive(choice, "delta");
        CHECK_STR(s_str(delta, "content"), s.tokens[k]);
        CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(choice, "finish_reason")));
        CHECK_INT(sl_buf_append_str(&got, s_str(delta, "content")), ==, 0);
        cJSON_Delete(c);
    }
    CHECK_INT(mockllm_script_text(&s, &want), ==, 0);
    CHECK_MEM(got.data ? got.data : "", got.len, want.data ? want.data : "", want.len);
    sl_buf_free(&got);
    sl_buf_free(&want);

    // The finish chunk: empty delta, the finish reason.
    c = cJSON_Parse(sse->events[1 + n]);
    choice = s_chunk_choice(c, id, s.model, &created);
    delta = cJSON_GetObjectItemCaseSensitive(choice, "delta");
    CHECK(cJSON_IsObject(delta) && delta->child == NULL);
    CHECK_STR(s_str(choice, "finish_reason"), s.finish_reason);
    cJSON_Delete(c);

    // The usage chunk only when asked for.
    if (s.include_usage) {
        c = cJSON_Parse(sse->events[2 + n]);
        CHECK(s_chunk_choice(c, id, s.model, &created) == NULL); // "choices": []
        const cJSON *usage = cJSON_GetObjectItemCaseSensitive(c, "usage");
        CHECK_INT(s_num(usage, "prompt_tokens"), ==, s.prompt_tokens);
        CHECK_INT(s_num(usage, "completion_tokens"), ==, n);
        CHECK_INT(s_num(usage, "total_tokens"), ==, s.prompt_tokens + n);
        cJSON_Delete(c);
    }
    CHECK_STR(sse->events[want_events - 1], "[DONE]");
    mockllm_script_destroy(&s);
}

// --- scenarios -------------------------------------------------------------------------------

static void
s_test_health(void)
{
    s_sse_t r;
    s_sse_init(&r);
    CHECK_INT(s_request("GET", "/healthz", NULL, &r), ==, 200);
    CHECK_STR(sl_buf_str(&r.raw), "ok");
    s_sse_free(&r);
}

static void
s_test_split_streams(void)
{
    static const char *const bodies[] = {
        // split=1, LF line ends, with usage.
        "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
        "\"messages\":[{\"role\":\"user\",\"content\":\"Tell me [mock split=1 crlf=0 "
        "tokens=40]\"}]}",
        // split=1, CRLF line ends, no usage.
        "{\"model\":\"gpt-4o\",\"stream\":true,"
        "\"messages\":[{\"role\":\"system\",\"content\":\"terse\"},"
        "{\"role\":\"user\",\"content\":\"Again [mock split=1 crlf=1 tokens=40 seed=11]\"}]}",
    };
    for (size_t i = 0; i < 2; i++) {
        s_sse_t r;
        s_sse_init(&r);
        CHECK_INT(s_request("POST", "/v1/chat/completions", bodies[i], &r), ==, 200);
        CHECK(s_has_header(&r, "Content-Type: text/event-stream\r\n"));
        CHECK(s_has_header(&r, "Transfer-Encoding: chunked\r\n"));
        s_check_stream(&r, bodies[i]);
        if (i == 0)
            CHECK_INT(r.crlf_lines, ==, 0);
        else
            CHECK_INT(r.crlf_lines, ==, 2 * r.n_events); // every line, blank ones included
        // Pieces really arrived apart: more reads than events.
        CHECK_INT(r.n_writes, >, r.n_events);
        s_sse_free(&r);
    }
}

static void
s_test_non_stream(void)
{
    const char *body = "{\"model\":\"gpt-4o\",\"max_tokens\":7,\"messages\":[{\"role\":\"user\","
                       "\"content\":\"hello there [mock tokens=30 seed=4]\"}]}";
    mockllm_script_t s;
    char err[128];
    CHECK_INT(mockllm_script_from_request(body, strlen(body), &s, err, sizeof err), ==, 0);
    sl_buf_t want;
    sl_buf_init(&want, 1u << 20);
    CHECK_INT(mockllm_script_text(&s, &want), ==, 0);

    // Two requests on one handle: the second reuses the connection (keep-alive).
    s_sse_t r;
    s_sse_init(&r);
    struct curl_slist *hdrs = s_json_headers();
    CURL *h = s_easy("/v1/chat/completions", body, &r, hdrs);
    for (int round = 0; round < 2; round++) {
        sl_buf_reset(&r.raw);
        sl_buf_reset(&r.headers);
        CHECK_INT(curl_easy_perform(h), ==, CURLE_OK);
        long status = 0, connects = -1;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
        CHECK_INT(status, ==, 200);
        CHECK_INT(connects, ==, round == 0 ? 1 : 0);
        CHECK(s_has_header(&r, "Content-Type: application/json\r\n"));
        cJSON *resp = cJSON_Parse(sl_buf_str(&r.raw));
        CHECK(resp != NULL);
        CHECK_STR(s_str(resp, "object"), "chat.completion");
        CHECK_STR(s_str(resp, "model"), "gpt-4o");
        char id[MOCKLLM_OPENAI_ID_SIZE];
        mockllm_openai_id(&s, id);
        CHECK_STR(s_str(resp, "id"), id);
        const cJSON *choice =
            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(resp, "choices"), 0);
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(choice, "message");
        CHECK_STR(s_str(msg, "role"), "assistant");
        CHECK_STR(s_str(msg, "content"), sl_buf_str(&want));
        CHECK_STR(s_str(choice, "finish_reason"), "length"); // max_tokens 7 < 30
        const cJSON *usage = cJSON_GetObjectItemCaseSensitive(resp, "usage");
        CHECK_INT(s_num(usage, "prompt_tokens"), ==, s.prompt_tokens);
        CHECK_INT(s_num(usage, "completion_tokens"), ==, 7);
        CHECK_INT(s_num(usage, "total_tokens"), ==, s.prompt_tokens + 7);
        cJSON_Delete(resp);
    }
    curl_easy_cleanup(h);
    curl_slist_free_all(hdrs);
    s_sse_free(&r);
    sl_buf_free(&want);
    mockllm_script_destroy(&s);
}

// Drive m until cond(arg) holds or no transfer is left; false when the deadline passes first.
static bool
s_multi_until(CURLM *m, bool (*cond)(void *), void *arg, int64_t timeout_ms)
{
    int64_t deadline = sl_clock_mono_ms() + timeout_ms;
    for (;;) {
        int running = 0;
        CHECK_INT(curl_multi_perform(m, &running), ==, CURLM_OK);
        if (cond && cond(arg))
            return true;
        if (running == 0)
            return cond == NULL;
        if (sl_clock_mono_ms() >= deadline)
            return false;
        CHECK_INT(curl_multi_poll(m, NULL, 0, 20, NULL), ==, CURLM_OK);
    }
}

static size_t s_want_events; // for s_has_events

static bool
s_has_events(void *arg)
{
    return ((s_sse_t *)arg)->n_events >= s_want_events;
}

// Every transfer in m finished with CURLE_OK.
static void
s_multi_check_done(CURLM *m)
{
    int left = 0;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(m, &left)))
        if (msg->msg == CURLMSG_DONE)
            CHECK_INT(msg->data.result, ==, CURLE_OK);
}

// body holds after some tokens: exactly events_before events arrive (the role chunk and the
// held tokens), then nothing until POST /mock/release, then the rest.
static void
s_test_hold(const char *body, size_t events_before)
{
    s_sse_t r;
    s_sse_init(&r);
    struct curl_slist *hdrs = s_json_headers();
    CURL *h = s_easy("/v1/chat/completions", body, &r, hdrs);
    CURLM *m = curl_multi_init();
    CHECK_INT(curl_multi_add_handle(m, h), ==, CURLM_OK);
    s_want_events = events_before;
    CHECK(s_multi_until(m, s_has_events, &r, 10000 * mockproc_mult()));
    // Held: nothing more for a while. (Proving an absence needs a window; 300 ms is plenty for
    // an unpaced stream that would otherwise finish in about a millisecond.)
    CHECK(!s_multi_until(m, NULL, NULL, 300));
    CHECK_INT(r.n_events, ==, events_before);
    s_sse_t rel;
    s_sse_init(&rel);
    CHECK_INT(s_request("POST", "/mock/release", "", &rel), ==, 200);
    CHECK_STR(sl_buf_str(&rel.raw), "{\"released\":1}");
    s_sse_free(&rel);
    CHECK(s_multi_until(m, NULL, NULL, 10000 * mockproc_mult()));
    s_multi_check_done(m);
    s_check_stream(&r, body);
    curl_multi_remove_handle(m, h);
    curl_easy_cleanup(h);
    curl_multi_cleanup(m);
    curl_slist_free_all(hdrs);
    s_sse_free(&r);
}

static void
s_test_holds(void)
{
    // Nothing held: releases nothing.
    s_sse_t rel;
    s_sse_init(&rel);
    CHECK_INT(s_request("POST", "/mock/release", "", &rel), ==, 200);
    CHECK_STR(sl_buf_str(&rel.raw), "{\"released\":0}");
    s_sse_free(&rel);
    // hold=3: the role chunk and exactly 3 content tokens, then the wait.
    s_test_hold("{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                "\"messages\":[{\"role\":\"user\",\"content\":\"[mock tokens=12 hold=3]\"}]}",
                1 + 3);
    // hold at the last token, split and paced: the finish chunk waits for the release.
    s_test_hold("{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\","
                "\"content\":\"[mock tokens=4 hold=4 split=1 rate=500]\"}]}",
                1 + 4);
}

static void
s_test_pacing(void)
{
    // rate=50: token k leaves at start + k/50 s, so 10 tokens take at least 9/50 s = 180 ms.
    // Only the lower bound is certain (the server may be late, never early).
    const char *body = "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\","
                       "\"content\":\"[mock tokens=10 rate=50]\"}]}";
    s_sse_t r;
    s_sse_init(&r);
    int64_t t0 = sl_clock_mono_ms();
    CHECK_INT(s_request("POST", "/v1/chat/completions", body, &r), ==, 200);
    CHECK_INT(sl_clock_mono_ms() - t0, >=, 180);
    s_check_stream(&r, body);
    s_sse_free(&r);
}

static void
s_test_concurrent(void)
{
    enum { N = 20 };
    char bodies[N][512];
    s_sse_t sinks[N];
    CURL *handles[N];
    struct curl_slist *hdrs = s_json_headers();
    CURLM *m = curl_multi_init();
    for (int i = 0; i < N; i++) {
        // Each its own conversation (so its own text), paced so they overlap, half of them split.
        snprintf(bodies[i], sizeof bodies[i],
                 "{\"model\":\"model-%d\",\"stream\":true,\"stream_options\":{\"include_usage\":"
                 "%s},\"messages\":[{\"role\":\"user\",\"content\":\"stream number %d "
                 "[mock rate=400 split=%d crlf=%d]\"}]}",
                 i, i % 3 ? "true" : "false", i, i % 2, (i / 2) % 2);
        s_sse_init(&sinks[i]);
        handles[i] = s_easy("/v1/chat/completions", bodies[i], &sinks[i], hdrs);
        CHECK_INT(curl_multi_add_handle(m, handles[i]), ==, CURLM_OK);
    }
    CHECK(s_multi_until(m, NULL, NULL, 30000 * mockproc_mult()));
    s_multi_check_done(m);
    for (int i = 0; i < N; i++) {
        s_check_stream(&sinks[i], bodies[i]);
        curl_multi_remove_handle(m, handles[i]);
        curl_easy_cleanup(handles[i]);
        s_sse_free(&sinks[i]);
    }
    curl_multi_cleanup(m);
    curl_slist_free_all(hdrs);
}

static void
s_check_error(long status, const s_sse_t *r, long want_status, const char *code, const char *has)
{
    CHECK_INT(status, ==, want_status);
    CHECK(s_has_header(r, "Content-Type: application/json\r\n"));
    cJSON *j = cJSON_Parse(sl_buf_str(&r->raw));
    CHECK(j != NULL);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
    CHECK(cJSON_IsObject(e));
    if (!strstr(s_str(e, "message"), has))
        fprintf(stderr, "message \"%s\" lacks \"%s\"\n", s_str(e, "message"), has);
    CHECK(strstr(s_str(e, "message"), has) != NULL);
    CHECK_STR(s_str(e, "type"), "invalid_request_error");
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(e, "param")));
    CHECK_STR(s_str(e, "code"), code);
    cJSON_Delete(j);
}

static void
s_test_errors(void)
{
    static const struct {
        const char *method;
        const char *path;
        const char *body;
        long status;
        const char *code;
        const char *has;
    } cases[] = {
        {"POST", "/v1/nope", "{}", 404, "unknown_url", "Invalid URL (POST /v1/nope)"},
        {"GET", "/", NULL, 404, "unknown_url", "Invalid URL (GET /)"},
        {"POST", "/v1/chat/completions", "{\"messages\": [", 400, "invalid_json", "not valid JSON"},
        {"POST", "/v1/chat/completions", "{\"model\":\"m\"}", 400, "invalid_request",
         "missing required parameter: 'messages'"},
        {"POST", "/v1/chat/completions",
         "{\"messages\":[{\"role\":\"user\",\"content\":\"[mock tokens=3 bogus=1]\"}]}", 400,
         "invalid_mock_directive", "unknown option 'bogus'"},
        {"GET", "/v1/chat/completions", NULL, 405, "method_not_allowed", "use POST"},
        {"POST", "/healthz", "", 405, "method_not_allowed", "use GET"},
        {"GET", "/mock/release", NULL, 405, "method_not_allowed", "use POST"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s_sse_t r;
        s_sse_init(&r);
        long status = s_request(cases[i].method, cases[i].path, cases[i].body, &r);
        s_check_error(status, &r, cases[i].status, cases[i].code, cases[i].has);
        if (cases[i].status == 405)
            CHECK(s_has_header(&r, "Allow: "));
        s_sse_free(&r);
    }
}

// --- raw sockets: limits and many connections ------------------------------------------------

// Read until the server closes; the response lands in out.
static void
s_read_all(int fd, sl_buf_t *out)
{
    char buf[4096];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0)
        CHECK_INT(sl_buf_append(out, buf, (size_t)n), ==, 0);
    CHECK_INT(n, ==, 0); // EOF, not a timeout
}

static void
s_test_limits(void)
{
    static const struct {
        const char *head;
        const char *status_line;
    } cases[] = {
        {"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 411 "},
        {"POST /v1/chat/completions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
         "0\r\n\r\n",
         "HTTP/1.1 411 "},
        {"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 8388609\r\n\r\n", "HTTP/1.1 413 "},
        {"GARBAGE\r\n\r\n", "HTTP/1.1 400 "},
        {"GET /healthz HTTP/1.0\r\n\r\n", "HTTP/1.1 200 "}, // 1.0: answered, then closed
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int fd = mockproc_connect();
        mockproc_send_all(fd, cases[i].head, strlen(cases[i].head));
        sl_buf_t resp;
        sl_buf_init(&resp, 1 << 20);
        s_read_all(fd, &resp);
        if (strncmp(sl_buf_str(&resp), cases[i].status_line, strlen(cases[i].status_line)) != 0)
            fprintf(stderr, "case %zu: got \"%s\"\n", i, sl_buf_str(&resp));
        CHECK(strncmp(sl_buf_str(&resp), cases[i].status_line, strlen(cases[i].status_line)) == 0);
        sl_buf_free(&resp);
        close(fd);
    }
    // A head over 64 KiB: 431, even while the client is still sending.
    int fd = mockproc_connect();
    static char big[70 * 1024];
    memset(big, 'a', sizeof big);
    memcpy(big, "GET /healthz HTTP/1.1\r\nX: ", 26);
    mockproc_send_all(fd, big, sizeof big);
    sl_buf_t resp;
    sl_buf_init(&resp, 1 << 20);
    s_read_all(fd, &resp);
    CHECK(strncmp(sl_buf_str(&resp), "HTTP/1.1 431 ", 13) == 0);
    sl_buf_free(&resp);
    close(fd);

    // Pipelined keep-alive requests on one connection are answered in order.
    fd = mockproc_connect();
    const char *two =
        "GET /healthz HTTP/1.1\r\n\r\nGET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n";
    mockproc_send_all(fd, two, strlen(two));
    sl_buf_init(&resp, 1 << 20);
    s_read_all(fd, &resp);
    CHECK_STR(sl_buf_str(&resp), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                                 "2\r\nConnection: keep-alive\r\n\r\nok"
                                 "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                                 "2\r\nConnection: close\r\n\r\nok");
    sl_buf_free(&resp);
    close(fd);
}

static void
s_test_http10_stream_and_half_close(void)
{
    // HTTP/1.0 knows no chunks: the events come raw and the close ends the body.
    const char *body =
        "{\"model\":\"old\",\"stream\":true,\"stream_options\":{\"include_usage\":"
        "true},\"messages\":[{\"role\":\"user\",\"content\":\"[mock crlf=1 split=1]\"}]}";
    int fd = mockproc_connect();
    char head[256];
    snprintf(head, sizeof head, "POST /v1/chat/completions HTTP/1.0\r\nContent-Length: %zu\r\n\r\n",
             strlen(body));
    mockproc_send_all(fd, head, strlen(head));
    mockproc_send_all(fd, body, strlen(body));
    sl_buf_t resp;
    sl_buf_init(&resp, 1 << 20);
    s_read_all(fd, &resp);
    close(fd);
    const char *end = strstr(sl_buf_str(&resp), "\r\n\r\n");
    CHECK(end != NULL);
    CHECK(strncmp(sl_buf_str(&resp), "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n", 50)
          == 0);
    CHECK(strstr(sl_buf_str(&resp), "Transfer-Encoding") == NULL);
    s_sse_t r;
    s_sse_init(&r);
    end += 4;
    (void)s_on_body((char *)end, 1, resp.len - (size_t)(end - resp.data), &r);
    s_check_stream(&r, body);
    s_sse_free(&r);
    sl_buf_free(&resp);

    // A client that closes its sending side right after its request still gets the answer.
    fd = mockproc_connect();
    const char *req = "GET /healthz HTTP/1.1\r\n\r\n";
    mockproc_send_all(fd, req, strlen(req));
    CHECK(shutdown(fd, SHUT_WR) == 0);
    sl_buf_init(&resp, 4096);
    s_read_all(fd, &resp);
    CHECK(strncmp(sl_buf_str(&resp), "HTTP/1.1 200 OK\r\n", 17) == 0);
    CHECK(strstr(sl_buf_str(&resp), "\r\n\r\nok") != NULL);
    sl_buf_free(&resp);
    close(fd);
}

static void
s_test_many_connections(void)
{
    // 600 connections open at once, each with a request in flight: all are served.
    enum { N = 600 };
    static int fds[N];
    const char *req = "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n";
    for (int i = 0; i < N; i++)
        fds[i] = mockproc_connect();
    for (int i = 0; i < N; i++)
        mockproc_send_all(fds[i], req, strlen(req));
    for (int i = 0; i < N; i++) {
        sl_buf_t resp;
        sl_buf_init(&resp, 4096);
        s_read_all(fds[i], &resp);
        CHECK(strstr(sl_buf_str(&resp), "\r\n\r\nok") != NULL);
        sl_buf_free(&resp);
        close(fds[i]);
    }
}

static void
s_test_client_leaves(void)
{
    // A paced stream whose client disconnects after the first events: the server frees it and
    // goes on serving (and exits clean at the end, which ASan checks for leaks).
    for (int round = 0; round < 5; round++) {
        int fd = mockproc_connect();
        const char *body = "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":"
                           "\"[mock tokens=500 rate=100 split=1]\"}]}";
        char head[256];
        snprintf(head, sizeof head,
                 "POST /v1/chat/completions HTTP/1.1\r\nContent-Length: %zu\r\n\r\n", strlen(body));
        mockproc_send_all(fd, head, strlen(head));
        mockproc_send_all(fd, body, strlen(body));
        char buf[512];
        CHECK_INT(recv(fd, buf, sizeof buf, 0), >, 0); // the stream has started
        if (round % 2) {
            struct linger lg = {.l_onoff = 1, .l_linger = 0}; // leave with a reset
            CHECK(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0);
        }
        close(fd);
    }
    s_test_health();
}

// A server started with --vocabulary plain (as `sluice up` starts the demo's) streams, answers
// and scripts the plain text the plan in that vocabulary says.
static void
s_test_plain_vocabulary(const char *path)
{
    mockproc_start_vocab(path, "plain");
    const char *body = "{\"model\":\"mock-1\",\"stream\":true,"
                       "\"messages\":[{\"role\":\"user\",\"content\":\"Say something\"}]}";
    mockllm_script_t s;
    char err[256];
    CHECK_INT(mockllm_format_plan_vocab(&mockllm_openai_format, "/v1/chat/completions", body,
                                        strlen(body), MOCKLLM_VOCAB_PLAIN, &s, err, sizeof err),
              ==, 0);
    sl_buf_t want;
    sl_buf_init(&want, 1u << 20);
    CHECK_INT(mockllm_script_text(&s, &want), ==, 0);
    for (size_t i = 0; i < want.len; i++)
        CHECK(strchr(" ,.!?", want.data[i]) || isalpha((unsigned char)want.data[i]));

    s_sse_t r;
    s_sse_init(&r);
    CHECK_INT(s_request("POST", "/v1/chat/completions", body, &r), ==, 200);
    CHECK_INT(r.n_events, ==, 1 + s.n_tokens + 1 + 1);
    sl_buf_t got;
    sl_buf_init(&got, 1u << 20);
    for (size_t k = 0; k < s.n_tokens; k++) {
        cJSON *c = cJSON_Parse(r.events[1 + k]);
        const cJSON *choice = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c, "choices"), 0);
        const cJSON *delta = cJSON_GetObjectItemCaseSensitive(choice, "delta");
        CHECK_STR(s_str(delta, "content"), s.tokens[k]);
        CHECK_INT(sl_buf_append_str(&got, s.tokens[k]), ==, 0);
        cJSON_Delete(c);
    }
    CHECK_STR(sl_buf_str(&got), sl_buf_str(&want));
    s_sse_free(&r);

    // POST /mock/script tells the same text.
    char script[512];
    snprintf(script, sizeof script, "{\"format\":\"openai\",\"request\":%s}", body);
    s_sse_init(&r);
    CHECK_INT(s_request("POST", "/mock/script", script, &r), ==, 200);
    cJSON *j = cJSON_Parse(sl_buf_str(&r.raw));
    CHECK(j != NULL);
    CHECK_STR(s_str(j, "text"), sl_buf_str(&want));
    cJSON_Delete(j);
    s_sse_free(&r);
    sl_buf_free(&got);
    sl_buf_free(&want);
    mockllm_script_destroy(&s);
    mockproc_stop();
}

int
main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : getenv("SLUICE_MOCKLLM");
    if (!path) {
        fprintf(stderr, "usage: mockllm_server_test <path to sluice-mockllm>\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    CHECK_INT(curl_global_init(CURL_GLOBAL_DEFAULT), ==, CURLE_OK);
    mockproc_start(path);

    s_test_health();
    s_test_split_streams();
    s_test_non_stream();
    s_test_holds();
    s_test_pacing();
    s_test_concurrent();
    s_test_errors();
    s_test_limits();
    s_test_http10_stream_and_half_close();
    s_test_many_connections();
    s_test_client_leaves();

    mockproc_stop();
    s_test_plain_vocabulary(path);
    curl_global_cleanup();
    printf("server_test: ok\n");
    return 0;
}
