// chat.h - OpenAI chat completions for tests: the request body a client sends, what the client
// made of the stream it got back, and what the mock upstream will say for that body.
//
// Shared by the integration tests and the benchmark, so every one of them checks a stream the
// same way. Not thread-safe (cJSON and the mock's script are not).
#ifndef SL_TEST_CHAT_H
#define SL_TEST_CHAT_H
#include <stdbool.h>

#include <cjson/cJSON.h>

#include "http_client.h"
#include "sl/buf.h"

// What a client made of an OpenAI-format stream. Shown so callers keep it on the stack.
typedef struct {
    sl_buf_t text;      // owned; concatenated delta.content
    int content_chunks; // chunks with non-empty content
    int first_content;  // event index of the first chunk with content; -1 when none
    int last_content;   // event index of the last chunk with content; -1 when none
    int role_chunks;    // chunks with delta.role
    int finish_chunks;  // chunks with a finish_reason
    char finish[32];    // the finish_reason
    int usage_chunks;   // chunks with choices [] and usage
    long prompt_tokens, completion_tokens;
    bool role_first;     // the first event carries role "assistant"
    bool done_last;      // the last event is [DONE]
    int bad_events;      // events that are not JSON objects
    int error_events;    // events holding an "error" object (a stream that failed after 200)
    bool error_last;     // the last event is such an error event, or it and then [DONE]
    char error_type[64]; // the last error event's error.type
} test_chat_parsed_t;

// What the mock will send for a request body (its script).
typedef struct {
    sl_buf_t text; // owned; every token, concatenated
    long tokens;   // content tokens
    long prompt_tokens;
    char finish[32]; // "stop" or "length"
} test_chat_expected_t;

// A chat request body: a system message and one user message holding content (where a mock
// directive goes). With stream it asks for SSE and the usage chunk. Caller frees the result.
char *test_chat_body(const char *model, const char *content, bool stream);
// Parse the SSE events of a finished (or partial) stream into p, overwriting it. Free p->text
// with sl_buf_free.
void test_chat_parse(const test_http_t *r, test_chat_parsed_t *p);
// What the mock upstream will stream for body, into e (overwritten). Returns 0, or the error of
// mockllm_script_from_request (e is then empty). Free e->text with sl_buf_free.
int test_chat_expect(const char *body, test_chat_expected_t *e);

// obj's member name, which must be a string (a number): the test fails otherwise.
const char *test_json_str(const cJSON *obj, const char *name);
long test_json_num(const cJSON *obj, const char *name);

#endif
