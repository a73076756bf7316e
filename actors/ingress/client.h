// client.h - one HTTP request in the ingress, from its body to its last byte of output.
//
// A client applies what the other processes say about its request (TOKENS and END from the
// builder, REJECT from the broker, RECORD from persistence) and turns it into the output
// its API expects: a stream of SSE chunks, or one JSON response. It knows nothing of
// libmicrohttpd: the actor queues the response the client asks for and feeds MHD from
// `out`. Not thread-safe.
#ifndef INGRESS_CLIENT_H
#define INGRESS_CLIENT_H
#include <stdbool.h>
#include <stdint.h>

#include "answer.h"
#include "api.h"
#include "sl/buf.h"
#include "sl/ids.h"
#include "sl/wire.h"

typedef enum {
    INGRESS_CLIENT_READING,   // the body is still arriving
    INGRESS_CLIENT_WAITING,   // submitted; nothing back yet, so the status is not known
    INGRESS_CLIENT_STREAMING, // 200 decided; SSE output flows through out
    INGRESS_CLIENT_RESPOND,   // a whole response (status + out) is ready to queue
} ingress_client_state_t;

typedef struct {
    ingress_client_state_t state;
    void *conn;                 // borrowed: the MHD connection
    char req_id[SL_ID_LEN + 1]; // request id, "" before submit
    bool stream;                // the client asked for SSE
    bool queued;                // the actor queued the MHD response
    bool suspended;             // the MHD connection is suspended
    bool ended;                 // every byte of output is in out (or was sent)
    bool registered;            // the actor's table knows it by req_id
    bool too_big;               // the body passed its cap
    uint64_t query_seq;         // the QUERY this client waits for (GET /v1/streams)
    unsigned status;            // HTTP status of the response
    const ingress_api_t *api;   // borrowed (static): the client's API
    ingress_request_t req;      // owned; the parsed request
    void *writer;               // owned by api: the response's writer state
    sl_buf_t body;              // owned; the request body
    sl_buf_t out;               // owned; output not yet handed to MHD
    ingress_answer_t answer;    // owned; non-streaming: the message so far
    uint64_t tokens;            // deltas received
    int64_t last_out_ms;        // monotonic time output was last added (streams)
} ingress_client_t;

// New client speaking api, whose body may be max_body bytes and whose unsent output max_out
// bytes.
ingress_client_t *
ingress_client_new(void *conn, const ingress_api_t *api, size_t max_body, size_t max_out);
void ingress_client_destroy(ingress_client_t **self_p);

// Make the whole response an error in the client API's shape; status is the HTTP status.
void ingress_client_fail(ingress_client_t *self,
                         unsigned status,
                         const char *type,
                         const char *message,
                         const char *param);
// Take the request: parse it (errors make a 400 response). Returns 0 when it should be
// submitted (req_id and ctx are set), or SL_EINVAL when the response is already decided.
int ingress_client_accept(ingress_client_t *self, const char *req_id, int64_t now_wall_ms);

// Apply messages about this request. Each returns true when the client's state or output
// changed in a way the actor must act on (queue a response or resume the connection).
bool ingress_client_on_tokens(ingress_client_t *self, const sl_msg_t *tokens);
bool ingress_client_on_end(ingress_client_t *self, const sl_msg_t *end);
bool ingress_client_on_reject(ingress_client_t *self, const sl_msg_t *reject);
bool ingress_client_on_record(ingress_client_t *self, const sl_msg_t *record);

// A stream with nothing sent for idle_ms gets a keepalive comment, so proxies keep the
// connection and a client that went away is noticed when the write fails. Returns true when
// one was added (the actor resumes the connection).
bool ingress_client_keepalive(ingress_client_t *self, int64_t now_ms, int64_t idle_ms);

// HTTP status for a failed attempt: the upstream's own when it is an error status, else 502.
unsigned ingress_client_error_status(uint32_t status);

#endif
