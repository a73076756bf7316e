// http_test.c - request heads from a table (complete, partial, malformed, over the cap), split
// at every byte; response heads and chunk framing.
#include "check.h"
#include "http.h"
#include "sl/err.h"

static const struct {
    const char *in;
    int rc;
    const char *method;
    const char *path;
    int64_t content_length;
    int keep_alive;
    int te;
    int expect;
} cases[] = {
    {"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 0, "GET", "/healthz", -1, 1, 0, 0},
    {"POST /v1/chat/completions?x=1 HTTP/1.1\r\nContent-Length: 12\r\n\r\n", 0, "POST",
     "/v1/chat/completions", 12, 1, 0, 0},
    {"POST /v1beta/models/g:streamGenerateContent?alt=sse&key=k HTTP/1.1\r\nContent-Length: 2\r\n"
     "\r\n",
     0, "POST", "/v1beta/models/g:streamGenerateContent", 2, 1, 0, 0},
    {"GET /x? HTTP/1.1\r\n\r\n", 0, "GET", "/x", -1, 1, 0, 0}, // an empty query
    {"GET / HTTP/1.0\r\n\r\n", 0, "GET", "/", -1, 0, 0, 0},
    {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 0, "GET", "/", -1, 1, 0, 0},
    {"GET / HTTP/1.1\r\nConnection: foo, close\r\n\r\n", 0, "GET", "/", -1, 0, 0, 0},
    {"GET / HTTP/1.1\nHost: lf-only\n\n", 0, "GET", "/", -1, 1, 0, 0},
    {"\r\nGET / HTTP/1.1\r\n\r\n", 0, "GET", "/", -1, 1, 0, 0}, // leading empty line ignored
    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 0, "POST", "/", -1, 1, 1, 0},
    {"POST / HTTP/1.1\r\ncontent-length:  5 \r\nExpect: 100-continue\r\n\r\n", 0, "POST", "/", 5, 1,
     0, 1},
    {"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", 0, "POST", "/", 5, 1, 0,
     0},
    {"GET / HTTP/1.1\r\nHost: x\r\n", SL_EAGAIN, NULL, NULL, 0, 0, 0, 0}, // no blank line yet
    {"", SL_EAGAIN, NULL, NULL, 0, 0, 0, 0},
    {"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", SL_EPROTO, NULL, NULL, 0,
     0, 0, 0},
    {"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", SL_EPROTO, NULL, NULL, 0, 0, 0, 0},
    {"POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", SL_EPROTO, NULL, NULL, 0, 0, 0, 0},
    {"POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", SL_EPROTO, NULL, NULL, 0, 0, 0, 0},
    {"GET / HTTP/2.0\r\n\r\n", SL_EPROTO, NULL, NULL, 0, 0, 0, 0},
    {"GET /\r\n\r\n", SL_EPROTO, NULL, NULL, 0, 0, 0, 0},
    {"GET  / HTTP/1.1\r\n\r\n", SL_EPROTO, NULL, NULL, 0, 0, 0, 0},
    {"GET / HTTP/1.1\r\nNoColon\r\n\r\n", SL_EPROTO, NULL, NULL, 0, 0, 0, 0},
    {"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", SL_EPROTO, NULL, NULL, 0, 0, 0, 0},
    {"GET / HTTP/1.1\r\nName : x\r\n\r\n", SL_EPROTO, NULL, NULL, 0, 0, 0, 0},
    {"GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", SL_EPROTO, NULL, NULL, 0, 0, 0, 0},
};

int
main(void)
{
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const char *in = cases[k].in;
        size_t len = strlen(in);
        mockllm_http_req_t req;
        int rc = mockllm_http_parse(in, len, MOCKLLM_HTTP_MAX_HEAD, &req);
        if (rc != cases[k].rc)
            fprintf(stderr, "case %zu: %s\n", k, in);
        CHECK_INT(rc, ==, cases[k].rc);
        if (rc == 0) {
            CHECK_STR(req.method, cases[k].method);
            CHECK_STR(req.path, cases[k].path);
            CHECK_INT(req.content_length, ==, cases[k].content_length);
            CHECK_INT(req.keep_alive, ==, cases[k].keep_alive);
            CHECK_INT(req.has_transfer_encoding, ==, cases[k].te);
            CHECK_INT(req.expect_continue, ==, cases[k].expect);
            CHECK_INT(req.head_len, ==, len);
            const char *q = strchr(in, '?');
            const char *sp = q ? strchr(q, ' ') : NULL;
            char want_query[64] = "";
            if (q && sp && sp < strchr(in, '\n'))
                snprintf(want_query, sizeof want_query, "%.*s", (int)(sp - q - 1), q + 1);
            CHECK_STR(req.query, want_query);
            // Every proper prefix is incomplete: a head cut across reads is never misread.
            for (size_t cut = 0; cut < len; cut++)
                CHECK_INT(mockllm_http_parse(in, cut, MOCKLLM_HTTP_MAX_HEAD, &req), ==, SL_EAGAIN);
            // The body that follows the head is not part of it.
            char with_body[512];
            snprintf(with_body, sizeof with_body, "%shello", in);
            CHECK_INT(mockllm_http_parse(with_body, len + 5, MOCKLLM_HTTP_MAX_HEAD, &req), ==, 0);
            CHECK_INT(req.head_len, ==, len);
        }
    }

    // The head cap: exactly at the cap parses, one byte over does not; no end at all either.
    static char big[MOCKLLM_HTTP_MAX_HEAD + 64];
    const char *line = "GET / HTTP/1.1\r\nX: ";
    size_t fixed = strlen(line) + 4; // value, then "\r\n\r\n"
    memcpy(big, line, strlen(line));
    memset(big + strlen(line), 'a', MOCKLLM_HTTP_MAX_HEAD - fixed);
    memcpy(big + MOCKLLM_HTTP_MAX_HEAD - 4, "\r\n\r\n", 4);
    mockllm_http_req_t req;
    CHECK_INT(mockllm_http_parse(big, MOCKLLM_HTTP_MAX_HEAD, MOCKLLM_HTTP_MAX_HEAD, &req), ==, 0);
    CHECK_INT(req.head_len, ==, MOCKLLM_HTTP_MAX_HEAD);
    memcpy(big, line, strlen(line));
    memset(big + strlen(line), 'a', MOCKLLM_HTTP_MAX_HEAD + 1 - fixed);
    memcpy(big + MOCKLLM_HTTP_MAX_HEAD + 1 - 4, "\r\n\r\n", 4);
    CHECK_INT(mockllm_http_parse(big, MOCKLLM_HTTP_MAX_HEAD + 1, MOCKLLM_HTTP_MAX_HEAD, &req), ==,
              SL_ETOOBIG);
    memset(big, 'a', sizeof big);
    CHECK_INT(mockllm_http_parse(big, sizeof big, MOCKLLM_HTTP_MAX_HEAD, &req), ==, SL_ETOOBIG);

    // Response heads.
    sl_buf_t b;
    sl_buf_init(&b, 4096);
    CHECK_INT(mockllm_http_head(&b, 200, "application/json", 2, true, NULL), ==, 0);
    CHECK_STR(sl_buf_str(&b), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                              "Content-Length: 2\r\nConnection: keep-alive\r\n\r\n");
    sl_buf_reset(&b);
    CHECK_INT(mockllm_http_head(&b, 405, "application/json", 0, false, "Allow: POST\r\n"), ==, 0);
    CHECK_STR(sl_buf_str(&b), "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: application/json"
                              "\r\nContent-Length: 0\r\nConnection: close\r\nAllow: POST\r\n\r\n");
    sl_buf_reset(&b);
    CHECK_INT(mockllm_http_head(&b, 200, "text/event-stream", MOCKLLM_HTTP_CHUNKED, false, NULL),
              ==, 0);
    CHECK_STR(sl_buf_str(&b), "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                              "Transfer-Encoding: chunked\r\nCache-Control: no-cache\r\n"
                              "X-Accel-Buffering: no\r\nConnection: close\r\n\r\n");
    sl_buf_reset(&b);
    CHECK_INT(
        mockllm_http_head(&b, 200, "text/event-stream", MOCKLLM_HTTP_UNTIL_CLOSE, false, NULL), ==,
        0);
    CHECK_STR(sl_buf_str(&b), "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                              "Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\n"
                              "Connection: close\r\n\r\n");
    sl_buf_free(&b);
    sl_buf_init(&b, 16);
    CHECK_INT(sl_buf_append_str(&b, "x"), ==, 0);
    CHECK_INT(mockllm_http_head(&b, 200, "text/plain", 0, true, NULL), ==, SL_ETOOBIG);
    CHECK_STR(sl_buf_str(&b), "x"); // all or nothing
    sl_buf_free(&b);

    // Chunks: hex size, data, CRLF; the last chunk; all or nothing at the cap.
    sl_buf_init(&b, 4096);
    CHECK_INT(mockllm_http_chunk(&b, "hello world, hello!", 19), ==, 0);
    CHECK_INT(mockllm_http_chunk_header_len(19), ==, 4);
    CHECK_INT(mockllm_http_chunk(&b, NULL, 0), ==, 0);
    CHECK_STR(sl_buf_str(&b), "13\r\nhello world, hello!\r\n0\r\n\r\n");
    sl_buf_free(&b);
    sl_buf_init(&b, 8);
    CHECK_INT(mockllm_http_chunk(&b, "abcd", 4), ==, SL_ETOOBIG); // "4\r\nabcd\r\n" is 9 bytes
    CHECK_INT(b.len, ==, 0);
    CHECK_INT(mockllm_http_chunk(&b, "abc", 3), ==, 0); // 8 bytes: exactly at the cap
    sl_buf_free(&b);
    CHECK_STR(mockllm_http_reason(404), "Not Found");
    CHECK_STR(mockllm_http_reason(299), "Unknown");
    printf("http_test: ok\n");
    return 0;
}
