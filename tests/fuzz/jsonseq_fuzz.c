// jsonseq_fuzz.c - libFuzzer target for the streamed-JSON-array splitter: the same stream fed
// whole, in pieces and one byte per feed must give identical elements, results, pending counts
// and closed flags; every element is non-empty, within the cap, and starts and ends on a
// non-whitespace byte.
//
// Input layout: byte 0 picks the piece size (1..64), byte 1 the cap (0..2040 bytes), the rest
// is the stream.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl/buf.h"
#include "sl/err.h"
#include "sl/jsonseq.h"

#define LOG_MAX ((size_t)64 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    sl_buf_t log;     // every element, length-prefixed, then the results
    size_t max_bytes; // the splitter's cap
} run_t;

static void
s_fail(const char *what)
{
    fprintf(stderr, "jsonseq_fuzz: %s\n", what);
    abort();
}

static int
s_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
s_on_elem(void *arg, const char *elem, size_t len)
{
    run_t *run = arg;
    if (len == 0 || len > run->max_bytes || s_is_space(elem[0]) || s_is_space(elem[len - 1]))
        s_fail("bad element handed over");
    if (sl_buf_printf(&run->log, "%zu:", len) != 0 || sl_buf_append(&run->log, elem, len) != 0)
        s_fail("log cap reached");
    return 0;
}

// Feed the stream in pieces of piece bytes (0: whole) and log what happened.
static void
s_run(run_t *run, const char *in, size_t len, size_t piece, size_t max_bytes)
{
    sl_buf_init(&run->log, LOG_MAX);
    run->max_bytes = max_bytes;
    sl_jsonseq_splitter_t *s = sl_jsonseq_splitter_new(max_bytes);
    int first_rc = 0;
    size_t at = 0;
    do {
        size_t n = piece && len - at > piece ? piece : len - at;
        int rc = sl_jsonseq_splitter_feed(s, in + at, n, s_on_elem, run);
        if (first_rc && rc != first_rc)
            s_fail("poisoned splitter accepted a feed");
        if (rc && rc != SL_ETOOBIG && rc != SL_EPROTO)
            s_fail("unexpected result");
        first_rc = rc;
        at += n;
    } while (at < len);
    size_t pending = sl_jsonseq_splitter_pending(s);
    if (pending > max_bytes)
        s_fail("held more than the cap");
    if (sl_buf_printf(&run->log, "rc=%d pending=%zu closed=%d", first_rc, pending,
                      (int)sl_jsonseq_splitter_is_closed(s))
        != 0)
        s_fail("log cap reached");
    sl_jsonseq_splitter_destroy(&s);
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
