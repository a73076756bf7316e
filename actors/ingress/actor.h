// actor.h - the ingress actor's state, shared by its three parts. Private to the ingress.
//
// ingress.c owns the sockets, the tables and the loop (what messages and time do to requests);
// endpoints.c answers HTTP requests by URL (libmicrohttpd's callbacks); conn.c is one HTTP
// connection's side of MHD (suspend, resume, queue the response, feed it). One thread: none
// of it locks.
#ifndef INGRESS_ACTOR_H
#define INGRESS_ACTOR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <czmq.h>
#include <microhttpd.h>

#include "client.h"
#include "ingress.h"
#include "keys.h"
#include "link.h"
#include "meter.h"
#include "quota.h"
#include "sl/config.h"
#include "sl/reader.h"
#include "sl/wire.h"
// MHD asks the reader for at most this much; each open stream holds a buffer of this size.
#define INGRESS_BLOCK_BYTES    (8 * 1024)
#define INGRESS_IDLE_TIMEOUT   600 // s; an idle keep-alive connection is closed after this
#define INGRESS_STREAMS_PATH   "/v1/streams/"
#define INGRESS_RESPONSES_PATH "/v1/responses/"
#define INGRESS_KEEPALIVE_MS   15000 // idle streams get a comment this often (proxies, dead peers)
#define INGRESS_TICK_MAX_MS    1000  // deadlines and keepalives are checked at least this often
#define INGRESS_DRAIN_MAX      512   // messages handled per wake, so timers and HTTP still run
#define INGRESS_MODELS_MAX     (1024 * 1024) // bytes of the /v1/models answer
#define INGRESS_LIVENESS_MIN   1000          // ms; a peer is never given up on sooner than this
#define INGRESS_STORE_RETRY_MS 5000          // Retry-After while the store cannot write
#define INGRESS_FOLLOW_POLL_MS 100 // a follower with nothing new reads the store this often
#define INGRESS_FOLLOW_TICK_MS 20  // followers' pacing is looked at this often

// One HTTP connection: the request's client and what MHD and the tables know of it.
typedef struct {
    ingress_client_t *client;           // owned
    struct MHD_Connection *conn;        // borrowed: MHD's
    bool queued;                        // the MHD response is queued
    bool suspended;                     // the MHD connection is suspended
    bool registered;                    // self->clients knows it by req_id
    bool closing;                       // the actor is stopping: end the response, send nothing
    uint64_t query_seq;                 // the QUERY or CTL it waits for, 0 for none
    bool admin;                         // query_seq is a CTL to the supervisor (/admin, /metrics)
    bool text;                          // the response is Prometheus text, not JSON
    bool chat;                          // a chat request: counted in the metrics when it ends
    bool report;                        // POST /admin/generate: answer with a report, not the chat
    int64_t submit_ms;                  // monotonic: when a chat request was submitted
    int64_t tokens_ms;                  // monotonic: when its last tokens were taken; 0 before
    ingress_meter_route_t *meter_route; // its route's counts, looked up at its first tokens
    int64_t first_ms;                   // monotonic: when its first tokens were taken; 0 before
    unsigned act;                       // INGRESS_CLIENT_* flags from the tick being handled
    int key;                            // the gateway key it presented (keys.h), -1 for none
    bool follow;                        // GET /v1/streams/<id>/events: a follower (follow.c)
    bool cancel;                        // DELETE /v1/streams/<id>: its READ decides
    bool list;                          // GET /v1/streams: waits for its LIST's RECORD
    bool followed;                      // self->followers lists it under its stream
    bool paged;                         // its first page came (later READs need no look back)
    uint64_t follow_from;               // the first index it asked for
    int64_t follow_due_ms;              // monotonic: read the store again then; 0 for no poll
    bool want_room;                     // its next page waits for its client to read
    const sl_key_cfg_t *key_cfg;        // its gateway key (from a config kept until exit) or NULL
    bool counted;                       // admitted under its key's limits: ingress_quota_done
    struct ingress_ds *ds;              // owned; a Durable Streams request (dstream.h), or NULL
    struct ingress_stored *stored;      // owned; a stored response being read (stored.h), or NULL
    struct ingress *owner;              // borrowed: the actor, for MHD's callbacks
} ingress_conn_t;

struct ingress {
    const sl_config_t *cfg;          // borrowed
    char name[64];                   // routing id and instance name, "ingress-<pid>"
    ingress_client_cfg_t client_cfg; // every client's limits and deadlines
    int64_t liveness_ms;             // a peer not heard from this long is lost
    zloop_t *loop;                   // owned
    struct MHD_Daemon *http;         // owned
    zsock_t *frontend;               // owned; DEALER to the broker
    zsock_t *deliver;                // owned; DEALER to the builder
    zsock_t *query;                  // owned; DEALER to persistence
    zsock_t *state;                  // owned; SUB to the supervisor
    zsock_t *events;                 // owned; PUSH to the supervisor (UP, beats, STATS)
    zsock_t *control;                // owned; DEALER to the supervisor's control socket
    // frontend, query, control and state are read through their ZMQ_FD (sl/reader.h): only
    // deliver is asked for its events on every pass of the loop.
    sl_reader_t *r_frontend, *r_query, *r_control, *r_state; // owned
    ingress_meter_t *meter;  // owned; what /metrics shows of this ingress
    char *admin_key;         // owned; admin.key_env's value, NULL when none
    ingress_keys_t *keys;    // owned; the gateway keys, NULL when the config has none
    ingress_quota_t *quota;  // owned; what each key used of its limits
    zhashx_t *clients;       // req_id -> ingress_conn_t, borrowed (MHD's con_cls owns)
    zhashx_t *queries;       // "<seq>" -> ingress_conn_t, borrowed
    zhashx_t *followers;     // req_id -> zlistx_t of ingress_conn_t (borrowed): follow.c
    zhashx_t *ds_pending;    // "<seq>" -> ingress_conn_t (borrowed): a DS awaiting its reply
    uint64_t next_query_seq; // the last QUERY's seq
    ingress_link_t broker;   // on frontend
    ingress_link_t builder;  // on deliver
    ingress_link_t persist;  // on query
    uint32_t host_state;     // sl_host_state_t from the last STATE
    bool state_seen;         // a STATE message arrived at all
    bool store_failing;      // persistence says its writes fail: new chat requests get 503
    bool woke;               // a message in this drain resumed a connection
    int64_t beat_ms;         // monotonic: the last beats went out
    int http_due_id;         // one-shot timer running MHD again on the next pass, -1 when none
};

// conn.c: one connection's side of MHD.
void ingress_conn_resume(ingress_conn_t *k);
void ingress_conn_suspend(ingress_conn_t *k);
// Queue the response k's client has decided on (a whole body, or its stream read as it comes).
enum MHD_Result ingress_conn_queue(ingress_conn_t *k);
// Respond at once with status and body (len bytes).
enum MHD_Result
ingress_conn_respond(ingress_conn_t *k, unsigned status, const char *body, size_t len);
// True when the peer of conn is on a loopback address.
bool ingress_conn_is_loopback(struct MHD_Connection *conn);
// The value of request header name, NULL when absent. Borrowed from MHD.
const char *ingress_conn_header(const ingress_conn_t *k, const char *name);

// endpoints.c: libmicrohttpd's callbacks (cls is the ingress).
enum MHD_Result ingress_on_request(void *cls,
                                   struct MHD_Connection *conn,
                                   const char *url,
                                   const char *method,
                                   const char *version,
                                   const char *upload_data,
                                   size_t *upload_data_size,
                                   void **con_cls);
void ingress_on_completed(void *cls,
                          struct MHD_Connection *conn,
                          void **con_cls,
                          enum MHD_RequestTerminationCode toe);

// follow.c: clients that read a stored stream from an index, then live.
// The followers table: req_id -> its followers.
zhashx_t *ingress_follow_table_new(void);
// Start k following stream id from index from: the first READ, and k on the table.
enum MHD_Result
ingress_follow_start(ingress_t *self, ingress_conn_t *k, const char *id, uint64_t from);
// A RECORD that answers k's READ.
void ingress_follow_on_record(ingress_t *self, ingress_conn_t *k, const sl_msg_t *record);
// A live TOKENS or END from the builder: to every follower of its stream.
void ingress_follow_live(ingress_t *self, const sl_msg_t *msg);
// Pages that are due (polls, and clients that read what was queued).
void ingress_follow_tick(ingress_t *self);
// k's own stream fell behind its buffer (ingress_client_following now): feed it from the store.
void ingress_follow_adopt(ingress_t *self, ingress_conn_t *k);
// k's client read some of its output: when it waits for room, ask for its next page.
void ingress_follow_room(ingress_t *self, ingress_conn_t *k);
// Take k off the followers table.
void ingress_follow_forget(ingress_t *self, ingress_conn_t *k);
// Send k's READ again (persistence restarted).
int ingress_send_read(ingress_t *self, const ingress_conn_t *k);

// endpoints.c: the RECORD that answers a DELETE's READ: cancel the stream if it runs and the
// caller owns it, and answer.
void ingress_stream_cancel(ingress_t *self, ingress_conn_t *k, const sl_msg_t *record);

// endpoints.c: submit k's accepted request and register k for its stream. 0: k waits for
// it (suspend k); 1: k's response is decided already (a background response, answered at
// once); SL_EAGAIN: not sent (a 503 decided). Either of the last two: queue or wake k.
int ingress_submit_send(ingress_t *self, ingress_conn_t *k);

// endpoints.c: the RECORD that answers a GET /v1/streams's LIST.
void ingress_streams_listed(ingress_t *self, ingress_conn_t *k, const sl_msg_t *record);

// ingress.c: the tables and the sockets.
// The key of a pending query or CTL in self->queries.
void ingress_query_key(uint64_t seq, char key[24]);
// Take k out of the tables.
void ingress_forget(ingress_t *self, ingress_conn_t *k);
// k's client changed: forget it when it ended, and let MHD take its output.
void ingress_wake(ingress_t *self, ingress_conn_t *k);
// Send c's SUBMIT to the broker; SL_EAGAIN (or another error) when it could not go.
int ingress_send_submit(ingress_t *self, const ingress_client_t *c);
// Send k's QUERY to persistence.
int ingress_send_query(ingress_t *self, const ingress_conn_t *k);
// Stop c's request: why is SL_ERRCLASS_USER_ABORT when the client left (the stream is stored
// as aborted), SL_ERRCLASS_TIMEOUT when one of its deadlines passed (stored as an error).
void ingress_send_cancel(ingress_t *self, const ingress_client_t *c, sl_errclass_t why);
// Beat now when a heartbeat has passed since the last beats (a busy loop must not look hung).
void ingress_beat_due(ingress_t *self);

#endif
