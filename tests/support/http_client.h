// http_client.h - a test HTTP client on libcurl: plain requests and SSE streams, one at a time or
// many at once, with deadlines.
//
// SSE bodies are split into events with sluice's own parser (tested on its own in
// sse_test), so a test sees each `data:` payload as the SDKs would. Not thread-safe.
#ifndef SL_TEST_HTTP_H
#define SL_TEST_HTTP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "sl/buf.h"
#include "sl/sse.h"

#define TEST_HTTP_MAX_EVENTS 8192

typedef struct {
    CURL *easy;
    struct curl_slist *req_headers;
    long status;      // HTTP status once headers arrived
    sl_buf_t body;    // the raw body
    sl_buf_t headers; // the raw response headers
    sl_sse_parser_t *sse;
    char *events[TEST_HTTP_MAX_EVENTS]; // each SSE event's data (owned)
    size_t n_events;
    int64_t first_event_ms; // monotonic time the first event arrived, 0 before
    int64_t added_us;       // monotonic µs the request was added to a multi handle, 0 before
    int64_t event_us[TEST_HTTP_MAX_EVENTS]; // monotonic µs each of events[] arrived
    int64_t event_id[TEST_HTTP_MAX_EVENTS]; // the last SSE id seen at each event, -1 for none
    size_t stop_after; // when set, the client hangs up once this many events arrived
    bool done;         // the transfer finished
    CURLcode result;
    char *post; // owned copy of the request body
} test_http_t;

// A request (not started). body NULL means GET.
test_http_t *test_http_new(const char *url, const char *body);
void test_http_destroy(test_http_t **self_p);
// Value of a response header (case-insensitive name) into out; false when absent.
bool test_http_header(const test_http_t *self, const char *name, char *out, size_t size);

// A response header's value as a number (atol); -1 when absent.
long test_http_header_long(const test_http_t *self, const char *name);

// Run one request to completion. False on timeout.
bool test_http_run(test_http_t *self, int64_t timeout_ms);

// Many requests at once.
typedef struct test_http_multi test_http_multi_t;
test_http_multi_t *test_http_multi_new(void);
void test_http_multi_destroy(test_http_multi_t **self_p);
void test_http_multi_add(test_http_multi_t *self, test_http_t *req);
// Drive transfers until cond(arg) is true (cond NULL: until all are done). False on timeout.
bool test_http_multi_wait(test_http_multi_t *self,
                          bool (*cond)(void *arg),
                          void *arg,
                          int64_t timeout_ms);

#endif
