// server_faults_test.c - the fault options through the real binary over raw sockets, as a
// gateway meets them: fail=K gives K errors then success, per key and in every format's error
// shape; GET /mock/requests counts exactly (by path, by seed; control endpoints left out) and
// POST /mock/reset forgets; retry_after= and retry_after_ms= headers (and Gemini's retryDelay);
// reset=0 resets with no byte, reset=K after exactly K content units (split too), fail= with
// reset= resets once then succeeds; stall=K and stall=0 send nothing until POST /mock/release,
// and a client leaving a stall is freed; first_byte_ms= delays the first byte of streams,
// one-shots and errors (pipelining still works); malformed= and error_event= streams in every
// format are exactly the bytes the format renders for the planned script; the attempts logged
// per seed (model, faults, wall-clock time) and a client that leaves before its answer is whole
// noted as closed early, within moments, while finished answers and the mock's own resets are
// not.
//
// Usage: mockllm_server_faults_test <path to sluice-mockllm>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "format.h"
#include "mockproc.h"
#include "sl/buf.h"
#include "sl/clock.h"

// --- a raw HTTP/1.1 client -------------------------------------------------------------------

// One response as it arrived.
typedef struct {
    sl_buf_t raw;    // every byte received
    size_t head_len; // bytes of the head; 0 until it is complete
    int status;      // from the status line
    bool chunked;    // Transfer-Encoding: chunked
    sl_buf_t body;   // the body so far, chunked coding removed (whole chunks only)
    bool complete;   // the body ended as its framing says (the last chunk, or EOF unchunked)
    bool closed;     // the connection ended
    int end_errno;   // how: 0 for EOF, else recv's errno (ECONNRESET for a reset)
} s_resp_t;

static void
s_resp_init(s_resp_t *r)
{
    memset(r, 0, sizeof *r);
    sl_buf_init(&r->raw, 16u << 20);
    sl_buf_init(&r->body, 16u << 20);
}

static void
s_resp_free(s_resp_t *r)
{
    sl_buf_free(&r->raw);
    sl_buf_free(&r->body);
}

// Parse what raw holds: the head, then the body's whole chunks.
static void
s_resp_parse(s_resp_t *r)
{
    if (!r->head_len) {
        const char *end = strstr(sl_buf_str(&r->raw), "\r\n\r\n");
        if (!end)
            return;
        r->head_len = (size_t)(end + 4 - r->raw.data);
        CHECK_INT(sscanf(r->raw.data, "HTTP/1.1 %d ", &r->status), ==, 1);
        r->chunked = strstr(r->raw.data, "Transfer-Encoding: chunked\r\n") != NULL
                     && strstr(r->raw.data, "Transfer-Encoding: chunked\r\n") < end;
    }
    if (!r->chunked) {
        sl_buf_reset(&r->body);
        CHECK_INT(sl_buf_append(&r->body, r->raw.data + r->head_len, r->raw.len - r->head_len), ==,
                  0);
        r->complete = r->closed && r->end_errno == 0;
        return;
    }
    sl_buf_reset(&r->body);
    size_t pos = r->head_len;
    for (;;) {
        const char *p = r->raw.data + pos;
        const char *crlf = strstr(p, "\r\n");
        if (!crlf)
            return;
        unsigned long size = strtoul(p, NULL, 16);
        size_t data = (size_t)(crlf + 2 - r->raw.data);
        if (data + size + 2 > r->raw.len)
            return; // the rest of this chunk has not arrived
        if (size == 0) {
            r->complete = true;
            return;
        }
        CHECK_INT(sl_buf_append(&r->body, r->raw.data + data, size), ==, 0);
        pos = data + size + 2;
    }
}

// A request with Connection: close (so every answer ends with the connection); body may be
// NULL. Returns the connected socket.
static int
s_open(const char *method, const char *path, const char *body)
{
    int fd = mockproc_connect();
    char head[1024];
    snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s%zu\r\n\r\n",
             method, path,
             "Content-Type: application/json\r\nContent-Length: ", body ? strlen(body) : 0);
    mockproc_send_all(fd, head, strlen(head));
    if (body)
        mockproc_send_all(fd, body, strlen(body));
    return fd;
}

// Read what arrives within timeout_ms (at most one read). Returns bytes read; 0 when nothing
// came in time or the connection ended (r->closed).
static size_t
s_read_some(int fd, s_resp_t *r, int timeout_ms)
{
    if (r->closed)
        return 0;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int rc = poll(&p, 1, timeout_ms);
    CHECK_INT(rc, >=, 0);
    if (rc == 0)
        return 0;
    char buf[65536];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
        r->closed = true;
        r->end_errno = n < 0 ? errno : 0;
    } else {
        CHECK_INT(sl_buf_append(&r->raw, buf, (size_t)n), ==, 0);
    }
    s_resp_parse(r);
    return n > 0 ? (size_t)n : 0;
}

// Read until the connection ends (with a deadline).
static void
s_read_to_end(int fd, s_resp_t *r)
{
    int64_t deadline = sl_clock_mono_ms() + 20000 * mockproc_mult();
    while (!r->closed) {
        CHECK_INT(sl_clock_mono_ms(), <, deadline);
        (void)s_read_some(fd, r, 100);
    }
}

// True when byte i of b ends an event: an NDJSON line, or an SSE block (its blank line, LF or
// CRLF).
static bool
s_event_end(const char *b, size_t i, bool ndjson)
{
    if (b[i] != '\n')
        return false;
    if (ndjson)
        return true;
    return (i >= 1 && b[i - 1] == '\n') || (i >= 2 && b[i - 1] == '\r' && b[i - 2] == '\n');
}

// Events so far in the body.
static size_t
s_events(const s_resp_t *r, bool ndjson)
{
    size_t n = 0;
    for (size_t i = 0; i < r->body.len; i++)
        n += s_event_end(r->body.data, i, ndjson);
    return n;
}

// Read until the body holds n events (with a deadline).
static void
s_read_events(int fd, s_resp_t *r, size_t n, bool ndjson)
{
    int64_t deadline = sl_clock_mono_ms() + 20000 * mockproc_mult();
    while (s_events(r, ndjson) < n) {
        CHECK(!r->closed);
        CHECK_INT(sl_clock_mono_ms(), <, deadline);
        (void)s_read_some(fd, r, 100);
    }
}

// One whole exchange: the status; the response lands in r.
static int
s_exchange(const char *method, const char *path, const char *body, s_resp_t *r)
{
    s_resp_init(r);
    int fd = s_open(method, path, body);
    s_read_to_end(fd, r);
    close(fd);
    CHECK(r->head_len > 0);
    CHECK_INT(r->end_errno, ==, 0);
    return r->status;
}

static bool
s_has_header(const s_resp_t *r, const char *line)
{
    const char *at = strstr(sl_buf_str(&r->raw), line);
    return at && (size_t)(at - r->raw.data) < r->head_len;
}

// method path must answer 200 with exactly want.
static void
s_expect(const char *method, const char *path, const char *body, const char *want)
{
    s_resp_t r;
    CHECK_INT(s_exchange(method, path, body, &r), ==, 200);
    if (strcmp(sl_buf_str(&r.body), want) != 0)
        fprintf(stderr, "%s %s: got %s\n", method, path, sl_buf_str(&r.body));
    CHECK_STR(sl_buf_str(&r.body), want);
    s_resp_free(&r);
}

// --- the expected bytes ----------------------------------------------------------------------

// The whole stream the mock renders for body at path (with its query), stamped like got.
static void
s_render(const char *path, const char *body, const char *got, sl_buf_t *out)
{
    char only[512];
    snprintf(only, sizeof only, "%.*s", (int)strcspn(path, "?"), path);
    const mockllm_format_t *fmt = mockllm_format_for_path(only);
    CHECK(fmt != NULL);
    mockllm_script_t s;
    char err[256] = "";
    int rc = mockllm_format_plan(fmt, path, body, strlen(body), &s, err, sizeof err);
    if (rc)
        fprintf(stderr, "plan %s: %s\n", path, err);
    CHECK_INT(rc, ==, 0);
    sl_buf_init(out, 16u << 20);
    CHECK_INT(mockllm_format_stream(fmt, &s, mockproc_created(got), out), ==, 0);
    mockllm_script_destroy(&s);
}

// The first n events of a rendered stream (SSE blocks or NDJSON lines).
static size_t
s_first(const sl_buf_t *stream, size_t n, bool ndjson)
{
    size_t seen = 0;
    for (size_t i = 0; i < stream->len && seen < n; i++)
        if (s_event_end(stream->data, i, ndjson) && ++seen == n)
            return i + 1;
    CHECK_INT(seen, ==, n);
    return 0;
}

#define CHAT "/v1/chat/completions"

// An OpenAI streaming body whose last user message is text.
static void
s_openai(const char *text, bool stream, char *out, size_t size)
{
    snprintf(
        out, size,
        "{\"model\":\"m\",\"stream\":%s,\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}",
        stream ? "true" : "false", text);
}

// Every format, each body with "@@" standing for the directive.
static const struct {
    const char *path;
    const char *error_has; // in a 503 body
    bool ndjson;
    const char *body;
} s_formats[] = {
    {CHAT, "\"type\":\"server_error\"", false,
     "{\"model\":\"gpt-4o\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
     "\"messages\":[{\"role\":\"user\",\"content\":\"go @@\"}],\"tools\":[{\"type\":\"function\","
     "\"function\":{\"name\":\"get_weather\"}}]}"},
    {"/v1/messages", "\"type\":\"api_error\"", false,
     "{\"model\":\"claude\",\"max_tokens\":4096,\"stream\":true,\"messages\":[{\"role\":\"user\","
     "\"content\":[{\"type\":\"text\",\"text\":\"go @@\"}]}],\"tools\":[{\"name\":"
     "\"get_weather\"}]}"},
    {"/v1beta/models/gemini-x:streamGenerateContent?alt=sse", "\"status\": \"UNAVAILABLE\"", false,
     "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"go @@\"}]}],\"tools\":"
     "[{\"functionDeclarations\":[{\"name\":\"get_weather\"}]}]}"},
    {"/v1beta/models/gemini-x:streamGenerateContent", "\"status\": \"UNAVAILABLE\"", false,
     "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"go @@\"}]}],\"tools\":"
     "[{\"functionDeclarations\":[{\"name\":\"get_weather\"}]}]}"},
    {"/v2/chat", "{\"message\":", false,
     "{\"model\":\"command\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":"
     "\"go @@\"}],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}]}"},
    {"/api/chat", "{\"error\":", true,
     "{\"model\":\"llama\",\"messages\":[{\"role\":\"user\",\"content\":\"go @@\"}],\"tools\":"
     "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}]}"},
};
#define S_N_FORMATS (sizeof s_formats / sizeof s_formats[0])

// Format i's body with directive in it, into out.
// GET /mock/requests?seed=seed: the planned requests ("requests") and the attempts logged. Caller
// owns the result (cJSON_Delete).
static cJSON *
s_attempts(uint64_t seed)
{
    char path[64];
    snprintf(path, sizeof path, "/mock/requests?seed=%llu", (unsigned long long)seed);
    s_resp_t r;
    CHECK_INT(s_exchange("GET", path, NULL, &r), ==, 200);
    cJSON *j = cJSON_Parse(sl_buf_str(&r.body));
    CHECK(j != NULL);
    CHECK(cJSON_IsArray(cJSON_GetObjectItem(j, "attempts")));
    s_resp_free(&r);
    return j;
}

// The planned requests with seed, and that as many attempts are logged for it.
static int
s_seed_requests(uint64_t seed)
{
    cJSON *j = s_attempts(seed);
    int n = (int)cJSON_GetObjectItem(j, "requests")->valuedouble;
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "attempts")), ==, n);
    cJSON_Delete(j);
    return n;
}

static int64_t
s_wall_us(void)
{
    struct timespec ts;
    CHECK_INT(clock_gettime(CLOCK_REALTIME, &ts), ==, 0);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
s_fill(size_t i, const char *directive, char *out, size_t size)
{
    const char *t = s_formats[i].body;
    const char *at = strstr(t, "@@");
    CHECK(at != NULL);
    snprintf(out, size, "%.*s%s%s", (int)(at - t), t, directive, at + 2);
}

// --- scenarios -------------------------------------------------------------------------------

static void
s_test_fail_and_counts(void)
{
    s_expect("POST", "/mock/reset", "", "{\"reset\":0}");
    char body[512];
    s_openai("[mock fail=2 seed=101 tokens=3]", true, body, sizeof body);
    // 503, 503, then the stream, and from then on.
    for (int i = 0; i < 4; i++) {
        s_resp_t r;
        int status = s_exchange("POST", CHAT, body, &r);
        CHECK_INT(status, ==, i < 2 ? 503 : 200);
        if (i < 2) {
            CHECK(strstr(sl_buf_str(&r.body), "\"type\":\"server_error\"") != NULL);
            CHECK(!s_has_header(&r, "retry-after"));
        } else {
            CHECK(r.complete);
            sl_buf_t want;
            s_render(CHAT, body, sl_buf_str(&r.body), &want);
            CHECK_STR(sl_buf_str(&r.body), sl_buf_str(&want));
            sl_buf_free(&want);
        }
        s_resp_free(&r);
    }
    // Control endpoints are not counted; a 404 and a malformed head are.
    s_expect("GET", "/healthz", NULL, "ok");
    s_resp_t r;
    CHECK_INT(s_exchange("POST", "/v1/nope", "{}", &r), ==, 404);
    s_resp_free(&r);
    int fd = mockproc_connect();
    mockproc_send_all(fd, "GARBAGE\r\n\r\n", 11);
    s_resp_init(&r);
    s_read_to_end(fd, &r);
    close(fd);
    CHECK_INT(r.status, ==, 400);
    s_resp_free(&r);
    s_expect("GET", "/mock/requests", NULL,
             "{\"requests\":6,\"by_path\":{\"/v1/chat/completions\":4,\"/v1/nope\":1,\"/\":1}}");
    // By seed: the 4 attempts in order, the first 2 faulty, their times the wall clock's.
    cJSON *j = s_attempts(101);
    CHECK_INT(cJSON_GetObjectItem(j, "requests")->valuedouble, ==, 4);
    const cJSON *list = cJSON_GetObjectItem(j, "attempts");
    CHECK_INT(cJSON_GetArraySize(list), ==, 4);
    double prev_us = 0;
    for (int i = 0; i < 4; i++) {
        const cJSON *a = cJSON_GetArrayItem(list, i);
        CHECK_STR(cJSON_GetObjectItem(a, "model")->valuestring, "m");
        CHECK_INT(cJSON_IsTrue(cJSON_GetObjectItem(a, "faults")), ==, i < 2);
        CHECK(cJSON_IsFalse(cJSON_GetObjectItem(a, "closed_early")));
        CHECK(cJSON_IsNull(cJSON_GetObjectItem(a, "closed_at_us")));
        double at_us = cJSON_GetObjectItem(a, "at_us")->valuedouble;
        CHECK(at_us >= prev_us);
        CHECK(at_us <= (double)s_wall_us());
        CHECK(at_us > (double)s_wall_us() - 60e6);
        prev_us = at_us;
    }
    cJSON_Delete(j);
    CHECK_INT(s_seed_requests(101), ==, 4);
    s_expect("GET", "/mock/requests?seed=102", NULL, "{\"requests\":0,\"attempts\":[]}");
    CHECK_INT(s_exchange("GET", "/mock/requests?seed=abc", NULL, &r), ==, 400);
    CHECK(strstr(sl_buf_str(&r.body), "'seed' must be a decimal integer") != NULL);
    s_resp_free(&r);
    CHECK_INT(s_exchange("POST", "/mock/requests", "", &r), ==, 405);
    CHECK(s_has_header(&r, "Allow: GET\r\n"));
    s_resp_free(&r);
    CHECK_INT(s_exchange("GET", "/mock/reset", NULL, &r), ==, 405);
    CHECK(s_has_header(&r, "Allow: POST\r\n"));
    s_resp_free(&r);

    // The reset forgets the counter and the counts: the same body fails again.
    s_expect("POST", "/mock/reset", "", "{\"reset\":1}");
    CHECK_INT(s_exchange("POST", CHAT, body, &r), ==, 503);
    s_resp_free(&r);
    s_expect("GET", "/mock/requests", NULL,
             "{\"requests\":1,\"by_path\":{\"/v1/chat/completions\":1}}");
}

static void
s_test_fail_every_format(void)
{
    s_expect("POST", "/mock/reset", "", "{\"reset\":1}");
    for (size_t i = 0; i < S_N_FORMATS; i++) {
        char directive[64], body[1024];
        snprintf(directive, sizeof directive, "[mock fail=1 tokens=2 seed=%zu]", 200 + i);
        s_fill(i, directive, body, sizeof body);
        s_resp_t r;
        CHECK_INT(s_exchange("POST", s_formats[i].path, body, &r), ==, 503);
        CHECK(s_has_header(&r, "Content-Type: application/json\r\n"));
        if (!strstr(sl_buf_str(&r.body), s_formats[i].error_has))
            fprintf(stderr, "%s: %s\n", s_formats[i].path, sl_buf_str(&r.body));
        CHECK(strstr(sl_buf_str(&r.body), s_formats[i].error_has) != NULL);
        s_resp_free(&r);
        CHECK_INT(s_exchange("POST", s_formats[i].path, body, &r), ==, 200);
        CHECK(r.complete);
        s_resp_free(&r);
    }
    // Gemini's SSE and array share a path (the query is not part of a key).
    s_expect("GET", "/mock/requests", NULL,
             "{\"requests\":12,\"by_path\":{\"/v1/chat/completions\":2,\"/v1/messages\":2,"
             "\"/v1beta/models/gemini-x:streamGenerateContent\":4,\"/v2/chat\":2,"
             "\"/api/chat\":2}}");
    CHECK_INT(s_seed_requests(203), ==, 2);
    s_expect("POST", "/mock/reset", "", "{\"reset\":6}");
}

static void
s_test_retry_after(void)
{
    static const struct {
        const char *path;
        const char *directive;
        int status;
        const char *has[2];     // header lines or body text that must be there
        const char *has_not[2]; // header lines that must not
    } cases[] = {
        {CHAT,
         "[mock status=429 retry_after=7]",
         429,
         {"retry-after: 7\r\n", NULL},
         {"retry-after: 1\r\n", "retry-after-ms"}},
        {CHAT,
         "[mock status=503 retry_after_ms=1500]",
         503,
         {"retry-after-ms: 1500\r\n", NULL},
         {"retry-after: ", NULL}},
        {"/v1/messages",
         "[mock status=529 retry_after=2 retry_after_ms=2000]",
         529,
         {"retry-after: 2\r\n", "retry-after-ms: 2000\r\n"},
         {NULL, NULL}},
        {CHAT, "[mock status=429]", 429, {"retry-after: 1\r\n", NULL}, {"retry-after-ms", NULL}},
        {CHAT, "[mock status=500]", 500, {NULL, NULL}, {"retry-after", NULL}},
        {"/v1beta/models/g:streamGenerateContent?alt=sse",
         "[mock status=429 retry_after_ms=2500]",
         429,
         {"retry-after-ms: 2500\r\n", "\"retryDelay\": \"2.500s\""},
         {"retry-after: ", NULL}},
        {"/v1beta/models/g:streamGenerateContent?alt=sse",
         "[mock status=429 retry_after=30]",
         429,
         {"retry-after: 30\r\n", "\"retryDelay\": \"30s\""},
         {NULL, NULL}},
        {"/v1beta/models/g:streamGenerateContent?alt=sse",
         "[mock status=429]",
         429,
         {"retry-after: 1\r\n", "\"retryDelay\": \"1s\""},
         {NULL, NULL}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[512];
        if (strcmp(cases[i].path, CHAT) == 0)
            s_openai(cases[i].directive, true, body, sizeof body);
        else if (strcmp(cases[i].path, "/v1/messages") == 0)
            snprintf(body, sizeof body,
                     "{\"model\":\"m\",\"max_tokens\":9,\"messages\":[{\"role\":\"user\","
                     "\"content\":\"%s\"}]}",
                     cases[i].directive);
        else
            snprintf(body, sizeof body, "{\"contents\":[{\"parts\":[{\"text\":\"%s\"}]}]}",
                     cases[i].directive);
        s_resp_t r;
        CHECK_INT(s_exchange("POST", cases[i].path, body, &r), ==, cases[i].status);
        for (int k = 0; k < 2; k++) {
            const char *has = cases[i].has[k];
            if (has && !s_has_header(&r, has) && !strstr(sl_buf_str(&r.body), has))
                fprintf(stderr, "case %zu lacks %s: %s\n", i, has, sl_buf_str(&r.raw));
            CHECK(!has || s_has_header(&r, has) || strstr(sl_buf_str(&r.body), has));
            CHECK(!cases[i].has_not[k] || !s_has_header(&r, cases[i].has_not[k]));
        }
        s_resp_free(&r);
    }
    // With fail=: the header comes with the failures only.
    char body[512];
    s_openai("[mock fail=1 retry_after=3 seed=77]", true, body, sizeof body);
    s_resp_t r;
    CHECK_INT(s_exchange("POST", CHAT, body, &r), ==, 503);
    CHECK(s_has_header(&r, "retry-after: 3\r\n"));
    s_resp_free(&r);
    CHECK_INT(s_exchange("POST", CHAT, body, &r), ==, 200);
    CHECK(!s_has_header(&r, "retry-after"));
    s_resp_free(&r);
}

// body to path must reset after exactly events events (the whole stream's first ones).
static void
s_check_reset(const char *path, const char *body, size_t events, bool ndjson)
{
    s_resp_t r;
    s_resp_init(&r);
    int fd = s_open("POST", path, body);
    s_read_to_end(fd, &r);
    close(fd);
    CHECK_INT(r.end_errno, ==, ECONNRESET);
    CHECK_INT(r.status, ==, 200);
    CHECK(!r.complete); // no last chunk
    CHECK_INT(s_events(&r, ndjson), ==, events);
    sl_buf_t want;
    s_render(path, body, sl_buf_str(&r.body), &want);
    size_t len = s_first(&want, events, ndjson);
    CHECK_MEM(r.body.data, r.body.len, want.data, len);
    sl_buf_free(&want);
    s_resp_free(&r);
}

static void
s_test_reset(void)
{
    // reset=0: not one byte, a reset right after the request; a one-shot answer too.
    const char *texts[] = {"[mock reset=0]", "[mock reset=2]"};
    for (int i = 0; i < 2; i++) {
        char body[512];
        s_openai(texts[i], i == 0, body, sizeof body);
        s_resp_t r;
        s_resp_init(&r);
        int fd = s_open("POST", CHAT, body);
        s_read_to_end(fd, &r);
        close(fd);
        CHECK_INT(r.end_errno, ==, ECONNRESET);
        CHECK_INT(r.raw.len, ==, 0);
        s_resp_free(&r);
    }
    s_expect("GET", "/healthz", NULL, "ok");

    // reset=3: the head, the role chunk and exactly 3 tokens, then the reset.
    char body[512];
    s_openai("[mock tokens=10 reset=3]", true, body, sizeof body);
    s_check_reset(CHAT, body, 1 + 3, false);
    s_openai("[mock tokens=10 reset=3 split=1 crlf=1]", true, body, sizeof body);
    s_check_reset(CHAT, body, 1 + 3, false);
    s_openai("[mock tokens=10 reset=3 rate=200]", true, body, sizeof body);
    s_check_reset(CHAT, body, 1 + 3, false);
    // Ollama: 2 lines.
    snprintf(body, sizeof body,
             "{\"model\":\"l\",\"messages\":[{\"role\":\"user\",\"content\":\"[mock tokens=5 "
             "reset=2]\"}]}");
    s_check_reset("/api/chat", body, 2, true);

    // A point past the answer's units is never reached: a whole stream.
    s_openai("[mock tokens=3 reset=4]", true, body, sizeof body);
    s_resp_t r;
    CHECK_INT(s_exchange("POST", CHAT, body, &r), ==, 200);
    CHECK(r.complete);
    s_resp_free(&r);

    // fail=1 with reset=2: the first attempt resets mid-stream, the retry gets it all.
    s_expect("POST", "/mock/reset", "", "{\"reset\":1}"); // s_test_retry_after's fail=1
    s_openai("[mock fail=1 reset=2 tokens=4 seed=88]", true, body, sizeof body);
    s_check_reset(CHAT, body, 1 + 2, false);
    CHECK_INT(s_exchange("POST", CHAT, body, &r), ==, 200);
    CHECK(r.complete);
    CHECK(strstr(sl_buf_str(&r.body), "data: [DONE]\n\n") != NULL);
    s_resp_free(&r);
    CHECK_INT(s_seed_requests(88), ==, 2);
}

// The attempt of seed (the only one) once the server has noted how it ended: closed early or
// not. Caller owns the result.
static cJSON *
s_only_attempt(uint64_t seed)
{
    cJSON *j = s_attempts(seed);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "attempts")), ==, 1);
    return j;
}

static bool
s_closed_early(const cJSON *j, double *closed_at_us)
{
    const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "attempts"), 0);
    bool early = cJSON_IsTrue(cJSON_GetObjectItem(a, "closed_early"));
    const cJSON *at = cJSON_GetObjectItem(a, "closed_at_us");
    CHECK_INT(cJSON_IsNumber(at), ==, early);
    if (closed_at_us)
        *closed_at_us = early ? at->valuedouble : 0;
    return early;
}

static void
s_test_closed_early(void)
{
    // A paced stream whose client leaves after 3 events: noted at once, with the time.
    char body[512];
    s_openai("[mock tokens=40 rate=20 seed=301]", true, body, sizeof body);
    s_resp_t r;
    s_resp_init(&r);
    int fd = s_open("POST", CHAT, body);
    s_read_events(fd, &r, 3, false);
    int64_t left_us = s_wall_us();
    close(fd);
    s_resp_free(&r);
    double closed_at_us = 0;
    int64_t deadline = sl_clock_mono_ms() + 5000 * mockproc_mult();
    for (;;) {
        cJSON *j = s_only_attempt(301);
        bool early = s_closed_early(j, &closed_at_us);
        cJSON_Delete(j);
        if (early)
            break;
        CHECK_INT(sl_clock_mono_ms(), <, deadline);
        struct timespec pause = {.tv_nsec = 10 * 1000000};
        nanosleep(&pause, NULL); // polling the server's state, not waiting for a time
    }
    CHECK(closed_at_us >= (double)left_us - 1000); // the clocks are the same wall clock
    CHECK(closed_at_us < (double)left_us + 2e6);

    // A client that leaves a stall (stall=0 too) is closed early.
    s_openai("[mock tokens=5 stall=1 seed=302]", true, body, sizeof body);
    s_resp_init(&r);
    fd = s_open("POST", CHAT, body);
    s_read_events(fd, &r, 2, false);
    close(fd);
    s_resp_free(&r);
    s_openai("[mock tokens=5 stall=0 seed=303]", true, body, sizeof body);
    fd = s_open("POST", CHAT, body);
    s_resp_init(&r);
    CHECK_INT(s_read_some(fd, &r, 100), ==, 0);
    close(fd);
    s_resp_free(&r);
    s_expect("GET", "/healthz", NULL, "ok"); // the server has seen both leave by now
    for (uint64_t seed = 302; seed <= 303; seed++) {
        cJSON *j = s_only_attempt(seed);
        CHECK(s_closed_early(j, NULL));
        cJSON_Delete(j);
    }

    // Not closed early: a whole stream, a whole one-shot answer, an error, the mock's own reset.
    static const struct {
        const char *text;
        bool stream;
    } whole[] = {
        {"[mock tokens=5 seed=304]", true},   {"[mock tokens=5 seed=305]", false},
        {"[mock status=429 seed=306]", true}, {"[mock tokens=5 reset=2 seed=307]", true},
        {"[mock reset=0 seed=308]", true},
    };
    for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++) {
        s_openai(whole[i].text, whole[i].stream, body, sizeof body);
        s_resp_init(&r);
        fd = s_open("POST", CHAT, body);
        s_read_to_end(fd, &r);
        close(fd);
        s_resp_free(&r);
    }
    s_expect("GET", "/healthz", NULL, "ok");
    for (uint64_t seed = 304; seed <= 308; seed++) {
        cJSON *j = s_only_attempt(seed);
        CHECK(!s_closed_early(j, NULL));
        cJSON_Delete(j);
    }
}

static void
s_test_stall(void)
{
    // stall=2: the role chunk and 2 tokens, then silence (no keepalive either) until released.
    char body[512];
    s_openai("[mock tokens=5 stall=2 pings=1]", true, body, sizeof body);
    s_resp_t r;
    s_resp_init(&r);
    int fd = s_open("POST", CHAT, body);
    s_read_events(fd, &r, 1 + 2 + 2, false); // 2 keepalive blocks among them
    CHECK_INT(s_read_some(fd, &r, 300), ==, 0);
    CHECK(!r.closed);
    CHECK_INT(s_events(&r, false), ==, 5);
    s_expect("POST", "/mock/release", "", "{\"released\":1}");
    s_read_to_end(fd, &r);
    close(fd);
    CHECK(r.complete);
    sl_buf_t want;
    s_render(CHAT, body, sl_buf_str(&r.body), &want);
    CHECK_STR(sl_buf_str(&r.body), sl_buf_str(&want));
    sl_buf_free(&want);
    s_resp_free(&r);

    // stall=0: not even the head until released; on a one-shot answer too.
    for (int stream = 1; stream >= 0; stream--) {
        s_openai("[mock tokens=3 stall=0]", stream, body, sizeof body);
        s_resp_init(&r);
        fd = s_open("POST", CHAT, body);
        CHECK_INT(s_read_some(fd, &r, 300), ==, 0);
        CHECK(!r.closed);
        s_expect("POST", "/mock/release", "", "{\"released\":1}");
        s_read_to_end(fd, &r);
        close(fd);
        CHECK_INT(r.status, ==, 200);
        CHECK(r.complete || !r.chunked);
        CHECK(strstr(sl_buf_str(&r.body), stream ? "data: [DONE]" : "chat.completion") != NULL);
        s_resp_free(&r);
    }

    // A client that leaves a stall is gone: nothing is left to release.
    s_openai("[mock tokens=5 stall=1]", true, body, sizeof body);
    s_resp_init(&r);
    fd = s_open("POST", CHAT, body);
    s_read_events(fd, &r, 2, false);
    close(fd);
    s_resp_free(&r);
    s_openai("[mock tokens=5 stall=0 seed=9]", true, body, sizeof body);
    fd = s_open("POST", CHAT, body);
    s_resp_init(&r);
    CHECK_INT(s_read_some(fd, &r, 100), ==, 0);
    close(fd);
    s_resp_free(&r);
    s_expect("GET", "/healthz", NULL, "ok"); // the server has seen both leave by now
    s_expect("POST", "/mock/release", "", "{\"released\":0}");
}

// Milliseconds until the first byte of the answer to body.
static int64_t
s_first_byte_ms(const char *body, int *status)
{
    s_resp_t r;
    s_resp_init(&r);
    int64_t t0 = sl_clock_mono_ms();
    int fd = s_open("POST", CHAT, body);
    while (r.raw.len == 0 && !r.closed)
        (void)s_read_some(fd, &r, 20000 * (int)mockproc_mult());
    int64_t ms = sl_clock_mono_ms() - t0;
    s_read_to_end(fd, &r);
    close(fd);
    CHECK_INT(r.end_errno, ==, 0);
    *status = r.status;
    s_resp_free(&r);
    return ms;
}

static void
s_test_first_byte(void)
{
    static const struct {
        const char *text;
        bool stream;
        int status;
    } cases[] = {
        {"[mock first_byte_ms=300 tokens=2]", true, 200},
        {"[mock first_byte_ms=300 tokens=2 rate=100]", true, 200},
        {"[mock first_byte_ms=300 tokens=2]", false, 200},
        {"[mock first_byte_ms=300 status=503]", true, 503},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[512];
        s_openai(cases[i].text, cases[i].stream, body, sizeof body);
        int status = 0;
        CHECK_INT(s_first_byte_ms(body, &status), >=, 300);
        CHECK_INT(status, ==, cases[i].status);
    }
    // fail=1: only the first attempt is slow.
    char body[512];
    s_openai("[mock fail=1 first_byte_ms=400 seed=55]", true, body, sizeof body);
    int status = 0;
    CHECK_INT(s_first_byte_ms(body, &status), >=, 400);
    CHECK_INT(status, ==, 200);
    int64_t second = s_first_byte_ms(body, &status);
    CHECK_INT(status, ==, 200);
    if (mockproc_mult() == 1)
        CHECK_INT(second, <, 350);

    // A delayed one-shot answer keeps its connection: a pipelined request is answered after.
    s_openai("[mock first_byte_ms=200 tokens=2]", false, body, sizeof body);
    char req[1024];
    snprintf(req, sizeof req,
             "POST " CHAT " HTTP/1.1\r\nContent-Length: %zu\r\n\r\n%s"
             "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n",
             strlen(body), body);
    int fd = mockproc_connect();
    mockproc_send_all(fd, req, strlen(req));
    s_resp_t r;
    s_resp_init(&r);
    s_read_to_end(fd, &r);
    close(fd);
    CHECK_INT(r.status, ==, 200);
    CHECK(strstr(sl_buf_str(&r.raw), "Connection: keep-alive\r\n") != NULL);
    const char *tail = "Connection: close\r\n\r\nok";
    CHECK(r.raw.len > strlen(tail));
    CHECK_STR(sl_buf_str(&r.raw) + r.raw.len - strlen(tail), tail);
    s_resp_free(&r);
}

static void
s_test_stream_faults(void)
{
    static const char *const directives[] = {
        "[mock split=1 tokens=4 malformed=2]",
        "[mock crlf=1 tokens=4 error_event=3 pings=1]",
        "[mock tokens=3 tools=1 error_event=0]",
        "[mock tokens=2 tools=1 text_before=1 malformed=3]",
    };
    for (size_t i = 0; i < S_N_FORMATS; i++) {
        for (size_t d = 0; d < sizeof directives / sizeof directives[0]; d++) {
            char body[1024];
            s_fill(i, directives[d], body, sizeof body);
            s_resp_t r;
            CHECK_INT(s_exchange("POST", s_formats[i].path, body, &r), ==, 200);
            CHECK(r.complete); // a clean end of the body: only its content is wrong
            sl_buf_t want;
            s_render(s_formats[i].path, body, sl_buf_str(&r.body), &want);
            if (strcmp(sl_buf_str(&r.body), sl_buf_str(&want)) != 0)
                fprintf(stderr, "%s %s: got\n%s\nwant\n%s\n", s_formats[i].path, directives[d],
                        sl_buf_str(&r.body), sl_buf_str(&want));
            CHECK_STR(sl_buf_str(&r.body), sl_buf_str(&want));
            bool malformed = strstr(directives[d], "malformed") != NULL;
            CHECK(strstr(sl_buf_str(&r.body), malformed ? "{not json" : "error") != NULL);
            sl_buf_free(&want);
            s_resp_free(&r);
        }
    }
}

int
main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : getenv("SLUICE_MOCKLLM");
    if (!path) {
        fprintf(stderr, "usage: mockllm_server_faults_test <path to sluice-mockllm>\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    mockproc_start(path);
    s_test_fail_and_counts();
    s_test_fail_every_format();
    s_test_retry_after();
    s_test_reset();
    s_test_stall();
    s_test_first_byte();
    s_test_stream_faults();
    s_test_closed_early();
    mockproc_stop();
    printf("server_faults_test: ok\n");
    return 0;
}
