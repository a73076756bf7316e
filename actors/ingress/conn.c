// conn.c - one HTTP connection's side of libmicrohttpd (see actor.h).
#include "actor.h"
#include "admin.h"
#include "response.h"
#include "sl/clock.h"

void
ingress_conn_resume(ingress_conn_t *k)
{
    if (k->suspended) {
        k->suspended = false;
        MHD_resume_connection(k->conn);
    }
}

void
ingress_conn_suspend(ingress_conn_t *k)
{
    if (k->suspended)
        return; // MHD must not be asked twice: its lists would break
    k->suspended = true;
    MHD_suspend_connection(k->conn);
}

// Feeds MHD the stream's output; suspends the connection when there is none yet.
static ssize_t
s_read_stream(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    ingress_conn_t *k = cls;
    size_t n = ingress_client_read(k->client, buf, max);
    if (n && k->want_room)
        ingress_follow_room(k->owner, k); // a follower waiting for room: its next page, now
    if (n)
        return (ssize_t)n;
    if (ingress_client_is_ended(k->client) || k->closing)
        return MHD_CONTENT_READER_END_OF_STREAM;
    ingress_conn_suspend(k);
    return 0;
}

// Queue the response the client has decided on.
enum MHD_Result
ingress_conn_queue(ingress_conn_t *k)
{
    if (k->report && ingress_client_state(k->client) == INGRESS_CLIENT_RESPOND) {
        k->report = false;
        ingress_response_report(k->client, k->first_ms, k->submit_ms, sl_clock_mono_ms());
    }
    const ingress_client_t *c = k->client;
    struct MHD_Response *r =
        ingress_response_new(c, k->text, s_read_stream, k, INGRESS_BLOCK_BYTES);
    if (!r)
        return MHD_NO;
    k->queued = true;
    enum MHD_Result rc = MHD_queue_response(k->conn, ingress_client_status(c), r);
    MHD_destroy_response(r);
    return rc;
}

// Respond at once with body.
enum MHD_Result
ingress_conn_respond(ingress_conn_t *k, unsigned status, const char *body, size_t len)
{
    (void)ingress_client_respond(k->client, status, body, len); // too big: a 500 instead
    return ingress_conn_queue(k);
}

bool
ingress_conn_is_loopback(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return info && ingress_admin_is_loopback(info->client_addr);
}

const char *
ingress_conn_header(const ingress_conn_t *k, const char *name)
{
    return MHD_lookup_connection_value(k->conn, MHD_HEADER_KIND, name);
}
