// http.h - the mock's HTTP/1.1: request heads in, response heads and chunks out.
//
// Just enough of RFC 9112 for test clients (curl, the provider worker, SDKs): a request line,
// header fields with their values trimmed, Content-Length (digits only; conflicting duplicates
// are malformed), Transfer-Encoding (reported so the server can refuse it), Connection and
// Expect: 100-continue. LF-only line ends are accepted too, as RFC 9112 section 2.2 allows.
// Pure; thread-safe.
#ifndef MOCKLLM_HTTP_H
#define MOCKLLM_HTTP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl/buf.h"

#define MOCKLLM_HTTP_MAX_HEAD (64u * 1024)       // request line + headers + blank line
#define MOCKLLM_HTTP_MAX_BODY (8u * 1024 * 1024) // request body
#define MOCKLLM_HTTP_MAX_PATH 2048               // request target, query included

// A parsed request head. Shown so the server embeds it in each connection.
typedef struct {
    char method[16];                       // "GET", "POST" ... as sent
    char path[MOCKLLM_HTTP_MAX_PATH + 1];  // the target without its query string
    char query[MOCKLLM_HTTP_MAX_PATH + 1]; // what followed '?' in the target; "" when nothing
    int version_minor;                     // 0 or 1 (HTTP/1.x)
    int64_t content_length;                // -1 when absent
    bool has_transfer_encoding;            // any Transfer-Encoding header (chunked bodies)
    bool keep_alive;                       // HTTP/1.1 without "close", or 1.0 with "keep-alive"
    bool expect_continue;                  // Expect: 100-continue
    size_t head_len;                       // bytes of the head, the blank line included
} mockllm_http_req_t;

// Parse the head at the start of buf (len bytes). Returns 0 when complete (req filled, the
// body starts at buf + req->head_len); SL_EAGAIN when the blank line has not arrived yet;
// SL_ETOOBIG when the head passes max_head bytes without ending; SL_EPROTO when it is
// malformed (bad request line, version other than 1.x, header without a colon, bad or
// conflicting Content-Length, target too long).
int mockllm_http_parse(const char *buf, size_t len, size_t max_head, mockllm_http_req_t *req);

// Reason phrase for status ("Not Found"); "Unknown" for codes the mock never sends.
const char *mockllm_http_reason(int status);

#define MOCKLLM_HTTP_CHUNKED     (-1) // content_length: Transfer-Encoding: chunked
#define MOCKLLM_HTTP_UNTIL_CLOSE (-2) // content_length: the body ends when the connection does

// Append a response head. content_length is the body's length, MOCKLLM_HTTP_CHUNKED or
// MOCKLLM_HTTP_UNTIL_CLOSE (for HTTP/1.0 clients, which know no chunks). extra is more header
// lines, each ending in CRLF, or NULL. Returns 0 or SL_ETOOBIG (out unchanged).
int mockllm_http_head(sl_buf_t *out,
                      int status,
                      const char *content_type,
                      int64_t content_length,
                      bool keep_alive,
                      const char *extra);
// Append one chunk of the chunked transfer coding; len 0 appends the last chunk ("0\r\n\r\n").
// Returns 0 or SL_ETOOBIG (out unchanged).
int mockllm_http_chunk(sl_buf_t *out, const char *data, size_t len);
// Bytes of the chunk header that mockllm_http_chunk writes before the data of a len-byte chunk.
size_t mockllm_http_chunk_header_len(size_t len);

#endif
