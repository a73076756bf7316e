// http.c - HTTP/1.1 request heads and response framing (see http.h).
#include "http.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sl/err.h"

// One line of the head: [start, end) without its line end.
typedef struct {
    const char *start;
    const char *end;
} s_line_t;

static bool
s_is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
           || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

static bool
s_name_is(const s_line_t *name, const char *want)
{
    size_t n = (size_t)(name->end - name->start);
    return strlen(want) == n && strncasecmp(name->start, want, n) == 0;
}

// True when the comma-separated value holds token (case-insensitive).
static bool
s_list_has(const char *v, const char *end, const char *token)
{
    size_t tlen = strlen(token);
    while (v < end) {
        while (v < end && (*v == ' ' || *v == '\t' || *v == ','))
            v++;
        const char *item = v;
        while (v < end && *v != ',')
            v++;
        const char *item_end = v;
        while (item_end > item && (item_end[-1] == ' ' || item_end[-1] == '\t'))
            item_end--;
        if ((size_t)(item_end - item) == tlen && strncasecmp(item, token, tlen) == 0)
            return true;
    }
    return false;
}

static int
s_parse_request_line(const s_line_t *line, mockllm_http_req_t *req)
{
    const char *p = line->start, *end = line->end;
    const char *m = p;
    while (p < end && s_is_tchar(*p))
        p++;
    size_t mlen = (size_t)(p - m);
    if (mlen == 0 || mlen >= sizeof req->method || p == end || *p != ' ')
        return SL_EPROTO;
    memcpy(req->method, m, mlen);
    req->method[mlen] = '\0';
    const char *target = ++p;
    while (p < end && *p != ' ')
        p++;
    if (p == target || p == end)
        return SL_EPROTO;
    const char *target_end = p;
    const char *q = memchr(target, '?', (size_t)(target_end - target));
    size_t path_len = (size_t)((q ? q : target_end) - target);
    if ((size_t)(target_end - target) > MOCKLLM_HTTP_MAX_PATH)
        return SL_EPROTO;
    memcpy(req->path, target, path_len);
    req->path[path_len] = '\0';
    size_t query_len = q ? (size_t)(target_end - q - 1) : 0;
    if (q)
        memcpy(req->query, q + 1, query_len);
    req->query[query_len] = '\0';
    p++;
    if (end - p != 8 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1'))
        return SL_EPROTO;
    req->version_minor = p[7] - '0';
    req->keep_alive = req->version_minor == 1;
    return 0;
}

static int
s_parse_content_length(const char *v, const char *end, mockllm_http_req_t *req)
{
    if (v == end)
        return SL_EPROTO;
    int64_t n = 0;
    for (const char *p = v; p < end; p++) {
        if (*p < '0' || *p > '9' || n > (INT64_MAX - 9) / 10)
            return SL_EPROTO;
        n = n * 10 + (*p - '0');
    }
    if (req->content_length >= 0 && req->content_length != n)
        return SL_EPROTO; // conflicting duplicates: a request-smuggling shape, refuse it
    req->content_length = n;
    return 0;
}

static int
s_parse_field(const s_line_t *line, mockllm_http_req_t *req)
{
    const char *colon = memchr(line->start, ':', (size_t)(line->end - line->start));
    if (!colon || colon == line->start)
        return SL_EPROTO;
    s_line_t name = {line->start, colon};
    for (const char *p = name.start; p < name.end; p++)
        if (!s_is_tchar(*p))
            return SL_EPROTO; // also refuses "Name :" (whitespace before the colon)
    const char *v = colon + 1, *end = line->end;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (s_name_is(&name, "content-length"))
        return s_parse_content_length(v, end, req);
    if (s_name_is(&name, "transfer-encoding"))
        req->has_transfer_encoding = true;
    else if (s_name_is(&name, "connection")) {
        if (s_list_has(v, end, "close"))
            req->keep_alive = false;
        else if (s_list_has(v, end, "keep-alive"))
            req->keep_alive = true;
    } else if (s_name_is(&name, "expect"))
        req->expect_continue = s_list_has(v, end, "100-continue");
    return 0;
}

int
mockllm_http_parse(const char *buf, size_t len, size_t max_head, mockllm_http_req_t *req)
{
    memset(req, 0, sizeof *req);
    req->content_length = -1;
    size_t pos = 0;
    // RFC 9112 section 2.2: ignore empty lines before the request line.
    while (pos < len && (buf[pos] == '\r' || buf[pos] == '\n'))
        pos++;
    bool first = true;
    for (;;) {
        if (pos > max_head)
            return SL_ETOOBIG;
        const char *nl = memchr(buf + pos, '\n', len - pos);
        if (!nl)
            return len > max_head ? SL_ETOOBIG : SL_EAGAIN;
        size_t next = (size_t)(nl - buf) + 1;
        if (next > max_head)
            return SL_ETOOBIG;
        s_line_t line = {buf + pos, nl};
        if (line.end > line.start && line.end[-1] == '\r')
            line.end--;
        pos = next;
        if (line.end == line.start) {
            if (first)
                return SL_EPROTO;
            req->head_len = pos;
            return 0;
        }
        if (memchr(line.start, '\r', (size_t)(line.end - line.start))
            || memchr(line.start, '\0', (size_t)(line.end - line.start)))
            return SL_EPROTO; // a bare CR or NUL inside a line
        int rc = first ? s_parse_request_line(&line, req) : s_parse_field(&line, req);
        if (rc)
            return rc;
        first = false;
    }
}

const char *
mockllm_http_reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 401:
        return "Unauthorized";
    case 402:
        return "Payment Required";
    case 403:
        return "Forbidden";
    case 409:
        return "Conflict";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 529:
        return "Overloaded"; // Anthropic's own code
    default:
        return "Unknown";
    }
}

int
mockllm_http_head(sl_buf_t *out,
                  int status,
                  const char *content_type,
                  int64_t content_length,
                  bool keep_alive,
                  const char *extra)
{
    // Built apart and appended whole, so a capped out never holds half a head.
    sl_buf_t head;
    sl_buf_init(&head, out->max_len - out->len);
    int rc = sl_buf_printf(&head, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n", status,
                           mockllm_http_reason(status), content_type);
    if (content_length == MOCKLLM_HTTP_CHUNKED)
        rc = rc || sl_buf_append_str(&head, "Transfer-Encoding: chunked\r\n");
    if (content_length < 0) // a stream: keep proxies from caching or buffering it
        rc = rc || sl_buf_append_str(&head, "Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\n");
    else
        rc = rc || sl_buf_printf(&head, "Content-Length: %lld\r\n", (long long)content_length);
    rc = rc
         || sl_buf_append_str(&head,
                              keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
    rc = rc || (extra && sl_buf_append_str(&head, extra)) || sl_buf_append_str(&head, "\r\n");
    if (!rc)
        rc = sl_buf_append(out, sl_buf_str(&head), head.len);
    sl_buf_free(&head);
    return rc ? SL_ETOOBIG : 0;
}

size_t
mockllm_http_chunk_header_len(size_t len)
{
    char tmp[32];
    return (size_t)snprintf(tmp, sizeof tmp, "%zx\r\n", len);
}

int
mockllm_http_chunk(sl_buf_t *out, const char *data, size_t len)
{
    if (len == 0)
        return sl_buf_append_str(out, "0\r\n\r\n");
    size_t need = mockllm_http_chunk_header_len(len) + len + 2;
    if (need > out->max_len - out->len)
        return SL_ETOOBIG; // checked first: the appends below cannot fail half-way
    (void)sl_buf_printf(out, "%zx\r\n", len);
    (void)sl_buf_append(out, data, len);
    (void)sl_buf_append_str(out, "\r\n");
    return 0;
}
