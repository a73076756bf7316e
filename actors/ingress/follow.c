// follow.c - the ingress's side of followers: clients that read a stored stream from an index
// (GET /v1/streams/<id>/events), page by page from persistence (READ), then live as the
// builder delivers it, then its end. What a page or a live message means for the client is
// client.c's (ingress_client_follow); this file sends the READs, finds a stream's followers
// for its live messages and paces the pages to what the client reads.
//
// Pacing: a follower asks for the next page when its last one brought deltas and its unsent
// output is below half its cap (a slow reader is fed as fast as it reads, never buffered
// past the cap); when a live message skipped past what it has (behind); and, while the stream
// still runs and nothing comes, every INGRESS_FOLLOW_POLL_MS (a stream another ingress owns,
// or one started before this ingress, is delivered live to none here). One READ at a time.
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "sl/clock.h"
#include "sl/ids.h"
#include "sl/log.h"
#include "sl/sock.h"

// The followers of one stream: a few connections, borrowed.
static void
s_list_free(void **item_p)
{
    zlistx_t *list = *item_p;
    zlistx_destroy(&list);
    *item_p = NULL;
}

static void s_next(ingress_t *self, ingress_conn_t *k, bool progressed);
static void s_list_add(ingress_t *self, ingress_conn_t *k);

zhashx_t *
ingress_follow_table_new(void)
{
    zhashx_t *table = zhashx_new();
    zhashx_set_destructor(table, s_list_free);
    return table;
}

int
ingress_send_read(ingress_t *self, const ingress_conn_t *k)
{
    sl_msg_t msg = {.type = SL_MSG_READ,
                    .seq = k->query_seq,
                    .req_id = sl_str(ingress_client_req_id(k->client)),
                    .first_index = ingress_client_tokens(k->client),
                    .flags = k->paged ? 0 : SL_READ_CONTEXT | SL_READ_REQUEST};
    if (ingress_client_state(k->client) == INGRESS_CLIENT_QUERYING)
        msg.first_index = k->follow_from;
    int rc = sl_sock_send(self->query, NULL, &msg);
    sl_reader_kick(self->r_query);
    return rc;
}

// Ask for the next page now. False when it could not go (the tick tries again).
static bool
s_read(ingress_t *self, ingress_conn_t *k)
{
    if (k->query_seq)
        return true; // one READ at a time: its answer decides what follows
    k->query_seq = ++self->next_query_seq;
    if (ingress_send_read(self, k) < 0) {
        k->query_seq = 0;
        k->follow_due_ms = sl_clock_mono_ms() + INGRESS_FOLLOW_POLL_MS;
        return false;
    }
    char key[24];
    ingress_query_key(k->query_seq, key);
    zhashx_insert(self->queries, key, k);
    k->follow_due_ms = 0;
    return true;
}

// Room for another page: the client has read at least half of what is queued.
static bool
s_has_room(const ingress_conn_t *k)
{
    const sl_buf_t *out = ingress_client_out(k->client);
    return out->len <= out->max_len / 2;
}

enum MHD_Result
ingress_follow_start(ingress_t *self, ingress_conn_t *k, const char *id, uint64_t from)
{
    if (ingress_client_follow(k->client, id, from) != 0)
        return ingress_conn_queue(k);
    k->follow = true;
    k->follow_from = from;
    if (!s_read(self, k)) {
        ingress_client_fail(k->client, 503, "overloaded", "persistence is not answering", NULL);
        return ingress_conn_queue(k);
    }
    s_list_add(self, k);
    ingress_meter_resume(self->meter);
    ingress_conn_suspend(k);
    return MHD_YES;
}

// k's list of followers of its stream, made when it has none.
static void
s_list_add(ingress_t *self, ingress_conn_t *k)
{
    const char *req_id = ingress_client_req_id(k->client);
    zlistx_t *list = zhashx_lookup(self->followers, req_id);
    if (!list) {
        list = zlistx_new();
        zhashx_insert(self->followers, req_id, list);
    }
    zlistx_add_end(list, k);
    k->followed = true;
}

void
ingress_follow_adopt(ingress_t *self, ingress_conn_t *k)
{
    k->follow = true;
    k->paged = true; // the same response goes on: nothing to look back for
    s_list_add(self, k);
    ingress_meter_behind(self->meter);
    s_next(self, k, false);
}

void
ingress_follow_forget(ingress_t *self, ingress_conn_t *k)
{
    if (!k->followed)
        return;
    k->followed = false;
    const char *req_id = ingress_client_req_id(k->client);
    zlistx_t *list = zhashx_lookup(self->followers, req_id);
    if (!list)
        return;
    if (zlistx_find(list, k))
        zlistx_delete(list, NULL);
    if (zlistx_size(list) == 0)
        zhashx_delete(self->followers, req_id);
}

// After a page or a live message: what the follower asks for next.
static void
s_next(ingress_t *self, ingress_conn_t *k, bool progressed)
{
    if (!ingress_client_following(k->client))
        return;
    bool wants = progressed || ingress_client_behind(k->client);
    k->want_room = wants && !s_has_room(k); // its reads ask for the page (ingress_follow_room)
    if (wants && !k->want_room)
        (void)s_read(self, k);
    else if (!k->want_room && !k->query_seq && !k->follow_due_ms)
        k->follow_due_ms = sl_clock_mono_ms() + INGRESS_FOLLOW_POLL_MS;
}

void
ingress_follow_room(ingress_t *self, ingress_conn_t *k)
{
    if (!s_has_room(k) || !ingress_client_following(k->client))
        return;
    k->want_room = false;
    (void)s_read(self, k);
}

void
ingress_follow_on_record(ingress_t *self, ingress_conn_t *k, const sl_msg_t *record)
{
    uint64_t before = ingress_client_tokens(k->client);
    bool first = ingress_client_state(k->client) == INGRESS_CLIENT_QUERYING;
    bool changed = ingress_client_on_page(k->client, record);
    k->paged = true;
    if (changed)
        ingress_wake(self, k);
    s_next(self, k, first || ingress_client_tokens(k->client) > before);
}

void
ingress_follow_live(ingress_t *self, const sl_msg_t *msg)
{
    char id[SL_ID_LEN + 1];
    if (msg->req_id.len != SL_ID_LEN)
        return;
    memcpy(id, msg->req_id.ptr, SL_ID_LEN);
    id[SL_ID_LEN] = '\0';
    zlistx_t *list = zhashx_lookup(self->followers, id);
    if (!list)
        return;
    // Waking may end a follower and take it off the list: walk a copy.
    ingress_conn_t *due[64];
    size_t n = 0;
    for (ingress_conn_t *k = zlistx_first(list); k && n < 64; k = zlistx_next(list))
        due[n++] = k;
    for (size_t i = 0; i < n; i++) {
        ingress_conn_t *k = due[i];
        if (ingress_client_state(k->client) != INGRESS_CLIENT_STREAMING)
            continue; // the first page decides the response; the live tail comes after it
        uint64_t before = ingress_client_tokens(k->client);
        bool changed = msg->type == SL_MSG_TOKENS ? ingress_client_on_tokens(k->client, msg)
                                                  : ingress_client_on_end(k->client, msg);
        if (changed)
            ingress_wake(self, k);
        if (ingress_client_behind(k->client))
            s_next(self, k, false);
        else if (ingress_client_tokens(k->client) > before)
            k->follow_due_ms = 0; // live again: no poll while the tail flows
    }
}

void
ingress_follow_tick(ingress_t *self)
{
    int64_t now_ms = sl_clock_mono_ms();
    for (zlistx_t *list = zhashx_first(self->followers); list; list = zhashx_next(self->followers))
        for (ingress_conn_t *k = zlistx_first(list); k; k = zlistx_next(list)) {
            if (k->query_seq || !ingress_client_following(k->client) || !s_has_room(k))
                continue;
            if (k->follow_due_ms && now_ms >= k->follow_due_ms)
                (void)s_read(self, k);
        }
}
