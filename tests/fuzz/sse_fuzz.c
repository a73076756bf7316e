// sse_fuzz.c - libFuzzer target for the SSE parser: the same stream fed whole, in pieces and
// one byte per feed must give identical events, results and pending counts.
//
// Input layout: byte 0 picks the piece size (1..64), byte 1 the cap (0..2040 bytes, small so
// SL_ETOOBIG is reached often), the rest is the stream.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl/buf.h"
#include "sl/err.h"
#include "sl/sse.h"

#define LOG_MAX ((size_t)64 << 20) // events from a 4 KB input stay far below this

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    sl_buf_t log; // every event, length-prefixed, then the result and pending count
} run_t;

static void
s_fail(const char *what)
{
    fprintf(stderr, "sse_fuzz: %s\n", what);
    abort();
}

static void
s_append(sl_buf_t *log, const char *s, size_t len)
{
    if (sl_buf_printf(log, "%zu:", len) != 0 || sl_buf_append(log, s, len) != 0)
        s_fail("log cap reached");
}

static int
s_on_event(void *arg, const sl_sse_event_t *e)
{
    run_t *run = arg;
    if (!e->event || !e->data || !e->id || e->event_len == 0)
        s_fail("missing event field");
    if (e->event[e->event_len] || e->data[e->data_len] || e->id[e->id_len])
        s_fail("string not NUL-terminated at its length");
    if (memchr(e->id, '\0', e->id_len))
        s_fail("id holds NUL");
    s_append(&run->log, e->event, e->event_len);
    s_append(&run->log, e->data, e->data_len);
    s_append(&run->log, e->id, e->id_len);
    return 0;
}

// Feed the stream in pieces of piece bytes (0: whole) and log what happened.
static void
s_run(run_t *run, const char *in, size_t len, size_t piece, size_t max_bytes)
{
    sl_buf_init(&run->log, LOG_MAX);
    sl_sse_parser_t *p = sl_sse_parser_new(max_bytes);
    int first_rc = 0;
    size_t at = 0;
    do {
        size_t n = piece && len - at > piece ? piece : len - at;
        int rc = sl_sse_parser_feed(p, in + at, n, s_on_event, run);
        if (first_rc && rc != first_rc)
            s_fail("poisoned parser accepted a feed");
        if (rc && rc != SL_ETOOBIG)
            s_fail("unexpected result");
        first_rc = rc;
        at += n;
    } while (at < len);
    if (sl_buf_printf(&run->log, "rc=%d pending=%zu", first_rc, sl_sse_parser_pending(p)) != 0)
        s_fail("log cap reached");
    sl_sse_parser_destroy(&p);
}

static void
s_same(const run_t *a, const run_t *b, const char *how)
{
    if (a->log.len != b->log.len || memcmp(sl_buf_str(&a->log), sl_buf_str(&b->log), a->log.len))
        s_fail(how);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t piece = (size_t)(data[0] % 64) + 1;
    size_t max_bytes = (size_t)data[1] * 8;
    const char *in = (const char *)data + 2;
    size_t len = size - 2;

    run_t whole, pieces, bytes;
    s_run(&whole, in, len, 0, max_bytes);
    s_run(&pieces, in, len, piece, max_bytes);
    s_run(&bytes, in, len, 1, max_bytes);
    s_same(&whole, &pieces, "whole and pieces differ");
    s_same(&whole, &bytes, "whole and one byte per feed differ");
    sl_buf_free(&whole.log);
    sl_buf_free(&pieces.log);
    sl_buf_free(&bytes.log);
    return 0;
}
