// ndjson_fuzz.c - libFuzzer target for the NDJSON splitter: the same stream fed whole, in
// pieces and one byte per feed, then finished, must give identical lines, results and pending
// counts; no handed-over line holds a "\n" or is blank.
//
// Input layout: byte 0 picks the piece size (1..64), byte 1 the cap (0..2040 bytes, small so
// SL_ETOOBIG is reached often), the rest is the stream.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl/buf.h"
#include "sl/err.h"
#include "sl/ndjson.h"

#define LOG_MAX ((size_t)64 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
s_fail(const char *what)
{
    fprintf(stderr, "ndjson_fuzz: %s\n", what);
    abort();
}

static int
s_on_line(void *arg, const char *line, size_t len)
{
    sl_buf_t *log = arg;
    if (len == 0 || memchr(line, '\n', len))
        s_fail("bad line handed over");
    size_t blank = 0;
    while (blank < len && (line[blank] == ' ' || line[blank] == '\t' || line[blank] == '\r'))
        blank++;
    if (blank == len)
        s_fail("blank line handed over");
    if (sl_buf_printf(log, "%zu:", len) != 0 || sl_buf_append(log, line, len) != 0)
        s_fail("log cap reached");
    return 0;
}

// Feed the stream in pieces of piece bytes (0: whole), finish, and log what happened.
static void
s_run(sl_buf_t *log, const char *in, size_t len, size_t piece, size_t max_bytes)
{
    sl_buf_init(log, LOG_MAX);
    sl_ndjson_splitter_t *s = sl_ndjson_splitter_new(max_bytes);
    int first_rc = 0;
    size_t at = 0;
    do {
        size_t n = piece && len - at > piece ? piece : len - at;
        int rc = sl_ndjson_splitter_feed(s, in + at, n, s_on_line, log);
        if (first_rc && rc != first_rc)
            s_fail("poisoned splitter accepted a feed");
        if (rc && rc != SL_ETOOBIG)
            s_fail("unexpected result");
        first_rc = rc;
        at += n;
    } while (at < len);
    size_t pending = sl_ndjson_splitter_pending(s);
    if (pending > max_bytes)
        s_fail("held more than the cap");
    int finish_rc = sl_ndjson_splitter_finish(s, s_on_line, log);
    if (sl_buf_printf(log, "rc=%d pending=%zu finish=%d", first_rc, pending, finish_rc) != 0)
        s_fail("log cap reached");
    sl_ndjson_splitter_destroy(&s);
}

static void
s_same(const sl_buf_t *a, const sl_buf_t *b, const char *how)
{
    if (a->len != b->len || memcmp(sl_buf_str(a), sl_buf_str(b), a->len))
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

    sl_buf_t whole, pieces, bytes;
    s_run(&whole, in, len, 0, max_bytes);
    s_run(&pieces, in, len, piece, max_bytes);
    s_run(&bytes, in, len, 1, max_bytes);
    s_same(&whole, &pieces, "whole and pieces differ");
    s_same(&whole, &bytes, "whole and one byte per feed differ");
    sl_buf_free(&whole);
    sl_buf_free(&pieces);
    sl_buf_free(&bytes);
    return 0;
}
