// persist_check.c - read back and compare what persist stored (see persist_check.h).
#include "persist_check.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <czmq.h>
#include <sqlite3.h>

#include "sl/buf.h"
#include "sl/clock.h"
#include "sl/err.h"
#include "sl/ids.h"
#include "sl/mem.h"
#include "sl/sock.h"

// Count a mismatch and print the first few.
static void s_mismatch(persist_check_t *out, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
s_mismatch(persist_check_t *out, const char *what, const char *fmt, ...)
{
    if (out->mismatches++ >= PERSIST_CHECK_PRINTED)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "sluice-bench-persist: %s check: %s\n", what, line);
}

static bool
s_same(const void *a, size_t a_len, const void *b, size_t b_len)
{
    return a_len == b_len && (a_len == 0 || memcmp(a, b, a_len) == 0);
}

// Compare one RECORD with stream `stream` of load; expected holds its text.
static void
s_check_record(persist_check_t *out,
               const persist_load_t *load,
               uint32_t stream,
               const sl_msg_t *r,
               const sl_buf_t *expected)
{
    const persist_load_cfg_t *cfg = persist_load_cfg(load);
    const char *id = persist_load_id(load, stream);
    const char *bad = NULL;
    if (r->status != 200)
        bad = "status is not 200";
    else if (!s_same(r->req_id.ptr, r->req_id.len, id, SL_ID_LEN))
        bad = "req_id differs";
    else if (r->state != SL_STREAM_COMPLETE)
        bad = "state is not complete";
    else if (r->count != cfg->tokens)
        bad = "count differs";
    else if (!s_same(r->text.ptr, r->text.len, expected->data, expected->len))
        bad = "text differs";
    else if (!sl_str_eq(r->finish_reason, PERSIST_LOAD_FINISH_REASON))
        bad = "finish_reason differs";
    else if (!sl_str_eq(r->model, PERSIST_LOAD_MODEL))
        bad = "model differs";
    else if (r->prompt_tokens != persist_load_prompt_tokens(stream)
             || r->completion_tokens != cfg->tokens)
        bad = "usage differs";
    else if (r->attempt != 1)
        bad = "attempt differs";
    if (bad)
        s_mismatch(out, "query",
                   "stream %" PRIu32 " (%s): %s (status %" PRIu32 ", state %" PRIu32
                   ", count %" PRIu64 ", %" PRIu32 " text bytes, want %zu)",
                   stream, id, bad, r->status, r->state, r->count, r->text.len, expected->len);
}

int
persist_check_query(zsock_t *query,
                    const persist_load_t *load,
                    uint32_t window,
                    int64_t timeout_ms,
                    persist_check_t *out)
{
    memset(out, 0, sizeof *out);
    const persist_load_cfg_t *cfg = persist_load_cfg(load);
    int64_t start_us = sl_clock_mono_us();
    bool *answered = sl_xcalloc(cfg->total, sizeof *answered);
    sl_buf_t expected;
    sl_buf_init(&expected, SL_WIRE_MAX_FRAME);
    sl_msg_t *r = sl_xcalloc(1, sizeof *r); // a few KiB: not on the stack
    uint32_t sent = 0, got = 0;
    int64_t last_progress_ms = sl_clock_mono_ms();
    bool failed = false; // the poll failed, or answers stopped coming
    while (got < cfg->total && !failed) {
        // The query number is the stream number, so an answer finds its stream directly.
        while (sent < cfg->total && sent - got < window) {
            sl_msg_t q = {.type = SL_MSG_QUERY,
                          .seq = sent,
                          .req_id = sl_strn(persist_load_id(load, sent), SL_ID_LEN),
                          .first_index = 0};
            if (sl_sock_send(query, NULL, &q) != 0)
                break; // full: the answers make room
            sent++;
        }
        zmq_pollitem_t item = {zsock_resolve(query), 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 100) < 0 && zmq_errno() != EINTR)
            failed = true;
        for (;;) {
            zframe_t *from = NULL, *frame = NULL; // from stays NULL: not a ROUTER
            int rc = sl_sock_recv(query, &from, &frame, r);
            zframe_destroy(&from);
            if (rc == 0 && r->type == SL_MSG_RECORD && r->seq < sent && !answered[r->seq]) {
                uint32_t stream = (uint32_t)r->seq;
                answered[stream] = true;
                got++;
                out->streams++;
                sl_buf_reset(&expected);
                if (persist_load_text(load, stream, &expected) != 0)
                    s_mismatch(out, "query", "stream %" PRIu32 ": text over the cap", stream);
                else
                    s_check_record(out, load, stream, r, &expected);
                last_progress_ms = sl_clock_mono_ms();
            } else if (rc == 0 && r->type != SL_MSG_BEAT) {
                s_mismatch(out, "query", "unexpected %s seq=%" PRIu64, sl_wire_type_name(r->type),
                           r->seq);
            }
            zframe_destroy(&frame);
            if (rc == SL_EAGAIN)
                break;
        }
        if (sl_clock_mono_ms() - last_progress_ms > timeout_ms)
            failed = true;
    }
    if (got < cfg->total) {
        s_mismatch(out, "query",
                   "%" PRIu32 " of %" PRIu32 " streams not answered within %" PRId64 " ms",
                   cfg->total - got, cfg->total, timeout_ms);
        out->mismatches += cfg->total - got - 1; // one is counted by s_mismatch
    }
    free(r);
    sl_buf_free(&expected);
    free(answered);
    out->wall_us = sl_clock_mono_us() - start_us;
    return out->mismatches ? SL_EPROTO : 0;
}

// Stream number of id, from the map of every id the load sent; -1 when none.
static int64_t
s_lookup(zhashx_t *by_id, const unsigned char *id, int id_len)
{
    char key[SL_ID_LEN + 1];
    if (!id || id_len != SL_ID_LEN)
        return -1;
    memcpy(key, id, SL_ID_LEN);
    key[SL_ID_LEN] = '\0';
    void *v = zhashx_lookup(by_id, key);
    return v ? (int64_t)((uintptr_t)v - 1) : -1;
}

// Every stream has one row, complete, with the final batch's fields.
static int
s_check_streams(sqlite3 *db, zhashx_t *by_id, const persist_load_t *load, persist_check_t *out)
{
    const persist_load_cfg_t *cfg = persist_load_cfg(load);
    sqlite3_stmt *st = NULL;
    const char *sql = "SELECT id, model, state, finish_reason, tokens, prompt_tokens,"
                      " completion_tokens, error, attempts FROM streams";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return SL_EIO;
    bool *seen = sl_xcalloc(cfg->total, sizeof *seen);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *id = sqlite3_column_text(st, 0);
        int64_t stream = s_lookup(by_id, id, sqlite3_column_bytes(st, 0));
        if (stream < 0 || seen[stream]) {
            s_mismatch(out, "file", "streams row %s: %s", id ? (const char *)id : "(null)",
                       stream < 0 ? "not a stream that was sent" : "twice");
            continue;
        }
        seen[stream] = true;
        out->streams++;
        const unsigned char *model = sqlite3_column_text(st, 1);
        const unsigned char *finish = sqlite3_column_text(st, 3);
        const unsigned char *error = sqlite3_column_text(st, 7);
        const char *bad = NULL;
        if (!model || strcmp((const char *)model, PERSIST_LOAD_MODEL) != 0)
            bad = "model differs";
        else if (sqlite3_column_int64(st, 2) != SL_STREAM_COMPLETE)
            bad = "state is not complete";
        else if (!finish || strcmp((const char *)finish, PERSIST_LOAD_FINISH_REASON) != 0)
            bad = "finish_reason differs";
        else if (sqlite3_column_int64(st, 4) != cfg->tokens)
            bad = "tokens differs";
        else if (sqlite3_column_int64(st, 5) != persist_load_prompt_tokens((uint32_t)stream)
                 || sqlite3_column_int64(st, 6) != cfg->tokens)
            bad = "usage differs";
        else if (!error || error[0] != '\0')
            bad = "error is not empty";
        else if (sqlite3_column_int64(st, 8) != 1)
            bad = "attempts differs";
        if (bad)
            s_mismatch(out, "file", "streams row of stream %" PRId64 " (%s): %s", stream,
                       (const char *)id, bad);
    }
    int rc = step == SQLITE_DONE ? 0 : SL_EIO;
    for (uint32_t i = 0; rc == 0 && i < cfg->total; i++)
        if (!seen[i])
            s_mismatch(out, "file", "stream %" PRIu32 " (%s): no streams row", i,
                       persist_load_id(load, i));
    free(seen);
    sqlite3_finalize(st);
    return rc;
}

// Compare one batches row (first, n, deltas blob: the text is stored there only) with
// stream's tokens; why gets the first difference.
static const char *
s_row_diff(const persist_load_t *load,
           uint32_t stream,
           int64_t first,
           int64_t n,
           const void *blob,
           size_t blob_len)
{
    static sl_delta_t deltas[SL_WIRE_MAX_DELTAS]; // a few KiB: not on the stack
    uint32_t got = 0;
    char err[160];
    if (sl_wire_decode_deltas(blob, blob_len, deltas, SL_WIRE_MAX_DELTAS, &got, err, sizeof err)
        != 0)
        return "deltas blob does not decode";
    if (got != n)
        return "deltas blob count differs from n";
    for (uint32_t i = 0; i < got; i++) {
        sl_str_t want = persist_load_token(load, stream, (uint64_t)first + i);
        if (deltas[i].kind != SL_DELTA_TEXT)
            return "a delta's kind differs";
        if (!s_same(deltas[i].text.ptr, deltas[i].text.len, want.ptr, want.len))
            return "a delta's text differs";
    }
    return NULL;
}

// Every stream's rows: contiguous from 0, cut where the batches were, each holding exactly the
// tokens sent, and together exactly `tokens` of them.
static int
s_check_batches(sqlite3 *db, zhashx_t *by_id, const persist_load_t *load, persist_check_t *out)
{
    const persist_load_cfg_t *cfg = persist_load_cfg(load);
    sqlite3_stmt *st = NULL;
    const char *sql = "SELECT stream_id, first_index, n, deltas FROM batches"
                      " ORDER BY stream_id, first_index";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return SL_EIO;
    uint64_t *next = sl_xcalloc(cfg->total, sizeof *next); // next index each stream must hold
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *id = sqlite3_column_text(st, 0);
        int64_t stream = s_lookup(by_id, id, sqlite3_column_bytes(st, 0));
        int64_t first = sqlite3_column_int64(st, 1);
        int64_t n = sqlite3_column_int64(st, 2);
        out->rows++;
        if (stream < 0) {
            s_mismatch(out, "file", "batches row %s/%" PRId64 ": not a stream that was sent",
                       id ? (const char *)id : "(null)", first);
            continue;
        }
        uint64_t want_n =
            cfg->tokens - next[stream] < cfg->batch ? cfg->tokens - next[stream] : cfg->batch;
        const char *bad = NULL;
        if (first < 0 || (uint64_t)first != next[stream])
            bad = "first_index is not where the previous row ended";
        else if (n <= 0 || (uint64_t)n != want_n)
            bad = "n is not the batch's token count";
        bool range_ok = !bad; // a row in the right place counts even when its content differs
        if (range_ok)
            bad = s_row_diff(load, (uint32_t)stream, first, n, sqlite3_column_blob(st, 3),
                             (size_t)sqlite3_column_bytes(st, 3));
        if (bad)
            s_mismatch(out, "file",
                       "batches row of stream %" PRId64 " (%s) first_index=%" PRId64 " n=%" PRId64
                       ": %s",
                       stream, (const char *)id, first, n, bad);
        if (range_ok)
            next[stream] += (uint64_t)n;
    }
    int rc = step == SQLITE_DONE ? 0 : SL_EIO;
    for (uint32_t i = 0; rc == 0 && i < cfg->total; i++)
        if (next[i] != cfg->tokens)
            s_mismatch(out, "file",
                       "stream %" PRIu32 " (%s): rows hold %" PRIu64 " of %" PRIu32 " tokens", i,
                       persist_load_id(load, i), next[i], cfg->tokens);
    free(next);
    sqlite3_finalize(st);
    return rc;
}

int
persist_check_file(const char *path, const persist_load_t *load, persist_check_t *out)
{
    memset(out, 0, sizeof *out);
    int64_t start_us = sl_clock_mono_us();
    const persist_load_cfg_t *cfg = persist_load_cfg(load);
    sqlite3 *db = NULL;
    zhashx_t *by_id = zhashx_new();
    int rc = SL_EIO;
    if (!by_id)
        goto done;
    for (uint32_t i = 0; i < cfg->total; i++)
        zhashx_insert(by_id, persist_load_id(load, i), (void *)(uintptr_t)(i + 1));
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        goto done;
    rc = s_check_streams(db, by_id, load, out);
    if (rc == 0)
        rc = s_check_batches(db, by_id, load, out);
done:
    if (rc == SL_EIO)
        fprintf(stderr, "sluice-bench-persist: file check: cannot read %s: %s\n", path,
                db ? sqlite3_errmsg(db) : "out of memory");
    (void)sqlite3_close(db); // read-only, every statement finalized: nothing to lose
    zhashx_destroy(&by_id);
    out->wall_us = sl_clock_mono_us() - start_us;
    if (rc == 0 && out->mismatches)
        rc = SL_EPROTO;
    return rc;
}
