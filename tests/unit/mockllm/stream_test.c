// stream_test.c - a stream driven by made-up times: unpaced batches, pacing to the
// microsecond, hold and release (also at the last token, also paced), split pieces with their
// gaps and cut points, HTTP/1.0 framing, and the cap. Every byte handed out must add up to
// exactly the format's events, framed. Events carrying several units (Gemini's whole calls)
// and keepalives (no units) are paced and held by units. The reset= point (RESET after exactly
// the events before it, never the last chunk), the stall= point (held, nothing at all until a
// release; with hold= on the same point, two releases), and the points at the very end.
#include "check.h"
#include "format.h"
#include "gemini.h"
#include "http.h"
#include "openai.h"
#include "sl/err.h"
#include "stream.h"

#define T0 1000000 // an arbitrary monotonic start, us

static mockllm_script_t
s_script(const char *directive)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
             "\"messages\":[{\"role\":\"user\",\"content\":\"hi %s\"}]}",
             directive);
    mockllm_script_t s;
    char err[256];
    CHECK_INT(mockllm_script_from_request(body, strlen(body), &s, err, sizeof err), ==, 0);
    return s;
}

// Events in s's stream in fmt.
static size_t
s_n_events(const mockllm_format_t *fmt, const mockllm_script_t *s)
{
    mockllm_events_t events;
    CHECK_INT(mockllm_format_layout(fmt, s, &events), ==, 0);
    size_t n = events.n;
    mockllm_events_free(&events);
    return n;
}

// What the whole response must be: every event, framed (or not).
static void
s_expected_in(const mockllm_format_t *fmt, const mockllm_script_t *s, bool chunked, sl_buf_t *out)
{
    sl_buf_t ev;
    sl_buf_init(&ev, 1 << 20);
    mockllm_events_t events;
    CHECK_INT(mockllm_format_layout(fmt, s, &events), ==, 0);
    for (size_t i = 0; i < events.n; i++) {
        sl_buf_reset(&ev);
        CHECK_INT(fmt->render(s, 42, &events.items[i], &ev), ==, 0);
        if (chunked)
            CHECK_INT(mockllm_http_chunk(out, ev.data, ev.len), ==, 0);
        else
            CHECK_INT(sl_buf_append(out, ev.data, ev.len), ==, 0);
    }
    if (chunked)
        CHECK_INT(mockllm_http_chunk(out, NULL, 0), ==, 0);
    mockllm_events_free(&events);
    sl_buf_free(&ev);
}

static void
s_expected(const mockllm_script_t *s, bool chunked, sl_buf_t *out)
{
    s_expected_in(&mockllm_openai_format, s, chunked, out);
}

static mockllm_stream_t *
s_new(const char *directive, bool chunked, int64_t rate, sl_buf_t *expected)
{
    mockllm_script_t s = s_script(directive);
    sl_buf_init(expected, 64u << 20);
    s_expected(&s, chunked, expected);
    mockllm_stream_cfg_t cfg = {.rate = rate, .cut_seed = 9, .chunked = chunked, .created_s = 42};
    mockllm_stream_t *st = mockllm_stream_new(&mockllm_openai_format, &s, &cfg, T0);
    CHECK(s.tokens == NULL); // taken
    return st;
}

// Events ("data: " lines) in len bytes.
static size_t
s_count_events(const char *p, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i + 6 <= len; i++)
        n += memcmp(p + i, "data: ", 6) == 0;
    return n;
}

// One call at now_us; returns its step and appends to all.
static int
s_step(mockllm_stream_t *st, int64_t now_us, sl_buf_t *out, sl_buf_t *all)
{
    sl_buf_reset(out);
    int rc = mockllm_stream_next(st, now_us, out);
    CHECK_INT(sl_buf_append(all, out->data ? out->data : "", out->len), ==, 0);
    return rc;
}

static void
s_test_unpaced(void)
{
    sl_buf_t want, out, all;
    sl_buf_init(&out, 1 << 20);
    sl_buf_init(&all, 64u << 20);
    // Small: everything at once, then DONE.
    mockllm_stream_t *st = s_new("[mock tokens=5]", true, 0, &want);
    CHECK_INT(s_step(st, T0, &out, &all), ==, MOCKLLM_STREAM_MORE);
    CHECK_INT(s_step(st, T0, &out, &all), ==, MOCKLLM_STREAM_DONE);
    CHECK_MEM(all.data, all.len, want.data, want.len);
    mockllm_stream_destroy(&st);
    mockllm_stream_destroy(&st); // twice is a no-op
    sl_buf_free(&want);

    // Large: batches of about MOCKLLM_STREAM_BATCH_BYTES.
    sl_buf_reset(&all);
    st = s_new("[mock tokens=2000]", true, 0, &want);
    size_t calls = 0;
    int rc;
    while ((rc = s_step(st, T0, &out, &all)) == MOCKLLM_STREAM_MORE) {
        CHECK_INT(out.len, <, MOCKLLM_STREAM_BATCH_BYTES + 1024);
        calls++;
    }
    CHECK_INT(rc, ==, MOCKLLM_STREAM_DONE);
    CHECK_INT(calls, >, 2);
    CHECK_MEM(all.data, all.len, want.data, want.len);
    mockllm_stream_destroy(&st);
    sl_buf_free(&want);

    // HTTP/1.0: no chunk framing.
    sl_buf_reset(&all);
    st = s_new("[mock tokens=7 crlf=1]", false, 0, &want);
    while (s_step(st, T0, &out, &all) == MOCKLLM_STREAM_MORE)
        ;
    CHECK_MEM(all.data, all.len, want.data, want.len);
    CHECK(memcmp(all.data, "data: ", 6) == 0);
    mockllm_stream_destroy(&st);
    sl_buf_free(&want);
    sl_buf_free(&out);
    sl_buf_free(&all);
}

static void
s_test_paced(void)
{
    // rate=10: content token k is due at T0 + k * 100 ms, to the microsecond.
    sl_buf_t want, out, all;
    sl_buf_init(&out, 1 << 20);
    sl_buf_init(&all, 1 << 20);
    mockllm_stream_t *st = s_new("[mock tokens=5]", true, 10, &want);
    CHECK_INT(s_step(st, T0, &out, &all), ==, MOCKLLM_STREAM_MORE);
    CHECK_INT(s_count_events(out.data, out.len), ==, 2); // role + token 0
    for (int k = 1; k < 5; k++) {
        int64_t due = T0 + k * 100000;
        CHECK_INT(s_step(st, due - 100000 + 1, &out, &all), ==, MOCKLLM_STREAM_WAIT);
        CHECK_INT(mockllm_stream_due_us(st), ==, due);
        CHECK_INT(s_step(st, due - 1, &out, &all), ==, MOCKLLM_STREAM_WAIT);
        CHECK_INT(s_step(st, due, &out, &all), ==, MOCKLLM_STREAM_MORE);
        // The last token brings the finish, usage and [DONE] events with it: they are not paced.
        CHECK_INT(s_count_events(out.data, out.len), ==, k < 4 ? 1 : 4);
    }
    CHECK_INT(s_step(st, T0 + 400000, &out, &all), ==, MOCKLLM_STREAM_DONE);
    CHECK_MEM(all.data, all.len, want.data, want.len);
    mockllm_stream_destroy(&st);
    sl_buf_free(&want);

    // A late caller gets every token that is due, in one go.
    sl_buf_reset(&all);
    st = s_new("[mock tokens=5]", true, 10, &want);
    CHECK_INT(s_step(st, T0 + 250000, &out, &all), ==, MOCKLLM_STREAM_MORE);
    CHECK_INT(s_count_events(out.data, out.len), ==, 1 + 3); // role + tokens 0, 1, 2
    mockllm_stream_destroy(&st);
    sl_buf_free(&want);
    sl_buf_free(&out);
    sl_buf_free(&all);
}

static void
s_test_hold(void)
{
    sl_buf_t want, out, all;
    sl_buf_init(&out, 1 << 20);
    sl_buf_init(&all, 1 << 20);
    // hold=2, unpaced: role + 2 tokens, then held until released.
    mockllm_stream_t *st = s_new("[mock tokens=4 hold=2]", true, 0, &want);
    CHECK(!mockllm_stream_release(st, T0)); // not held yet: no effect
    CHECK_INT(s_step(st, T0, &out, &all), ==, MOCKLLM_STREAM_MORE);
    CHECK_INT(s_count_events(out.data, out.len), ==, 3);
    CHECK(mockllm_stream_is_held(st));
    CHECK_INT(mockllm_stream_held_since_us(st), ==, T0);
    CHECK_INT(s_step(st, T0 + 5000000, &out, &all), ==, MOCKLLM_STREAM_WAIT);
    CHECK(mockllm_stream_due_us(st) == INT64_MAX);
    CHECK(mockllm_stream_release(st, T0 + 6000000));
    CHECK(!mockllm_stream_release(st, T0 + 6000000)); // once
    CHECK(!mockllm_stream_is_held(st));
    CHECK_INT(s_step(st, T0 + 6000000, &out, &all), ==, MOCKLLM_STREAM_MORE);
    CHECK_INT(s_count_events(out.data, out.len), ==, 2 + 3); // tokens 2, 3, finish, usage, DONE
    CHECK_INT(s_step(st, T0 + 6000000, &out, &all), ==, MOCKLLM_STREAM_DONE);
    CHECK_MEM(all.data, all.len, want.data, want.len);
    mockllm_stream_destroy(&st);
    sl_buf_free(&want);

    // hold=3 of 3 tokens, paced at 10/s: the finish waits; after the release pacing restarts
    // from the release time (no burst).
    sl_buf_reset(&all);
    st = s_new("[mock tokens=3 hold=3]", true, 10, &want);
    CHECK_INT(s_step(st, T0, &out, &all), ==, MOCKLLM_STREAM_MORE); // role + token 0
    CHECK_INT(s_step(st, T0 + 100000, &out, &all), ==, MOCKLLM_STREAM_MORE);
    CHECK_INT(s_step(st, T0 + 200000, &out, &all), ==, MOCKLLM_STREAM_MORE);
    CHECK_INT(s_step(st, T0 + 300000, &out, &all), ==, MOCKLLM_STREAM_WAIT);
    CHECK(mockllm_stream_is_held(st));
    CHECK(mockllm_stream_release(st, T0 + 900000));
    CHECK_INT(s_step(st, T0 + 900000, &out, &all), ==, MOCKLLM_STREAM_MORE);
    CHECK_INT(s_count_events(out.data, out.len), ==, 3); // finish, usage, DONE
    CHECK_INT(s_step(st, T0 + 900000, &out, &all), ==, MOCKLLM_STREAM_DONE);
    CHECK_MEM(all.data, all.len, want.data, want.len);
    mockllm_stream_destroy(&st);
    sl_buf_free(&want);

    // hold=1 with more to come, paced: token 1 is due one period after the release.
    sl_buf_reset(&all);
    st = s_new("[mock tokens=3 hold=1]", true, 10, &want);
    CHECK_INT(s_step(st, T0, &out, &all), ==, MOCKLLM_STREAM_MORE);
    CHECK_INT(s_step(st, T0 + 100000, &out, &all), ==, MOCKLLM_STREAM_WAIT);
    CHECK(mockllm_stream_release(st, T0 + 500000));
    CHECK_INT(s_step(st, T0 + 500000, &out, &all), ==, MOCKLLM_STREAM_MORE); // token 1 now
    CHECK_INT(s_count_events(out.data, out.len), ==, 1);
    CHECK_INT(s_step(st, T0 + 500001, &out, &all), ==, MOCKLLM_STREAM_WAIT);
    CHECK_INT(mockllm_stream_due_us(st), ==, T0 + 600000);
    mockllm_stream_destroy(&st);
    sl_buf_free(&want);
    sl_buf_free(&out);
    sl_buf_free(&all);
}

static void
s_test_split(void)
{
    sl_buf_t want, out, all;
    sl_buf_init(&out, 1 << 20);
    sl_buf_init(&all, 1 << 20);
    mockllm_stream_t *st = s_new("[mock tokens=30 seed=1 split=1 crlf=1]", true, 0, &want);
    size_t pieces = 0, cr_lf_cuts = 0, utf8_cuts = 0;
    int64_t now = T0;
    int64_t last_piece = -1;
    for (;;) {
        int rc = s_step(st, now, &out, &all);
        if (rc == MOCKLLM_STREAM_DONE)
            break;
        if (rc == MOCKLLM_STREAM_WAIT) {
            // Between the pieces of one event: exactly the gap.
            CHECK_INT(mockllm_stream_due_us(st), ==, last_piece + MOCKLLM_STREAM_SPLIT_GAP_US);
            now = mockllm_stream_due_us(st);
            continue;
        }
        CHECK_INT(rc, ==, MOCKLLM_STREAM_MORE);
        pieces++;
        last_piece = now;
        unsigned char end = (unsigned char)out.data[out.len - 1];
        size_t at = all.len; // the byte after this piece
        if (at < want.len) {
            unsigned char next = (unsigned char)want.data[at];
            cr_lf_cuts += end == '\r' && next == '\n';
            utf8_cuts += (next & 0xc0) == 0x80;
        }
    }
    CHECK_MEM(all.data, all.len, want.data, want.len);
    size_t events = s_n_events(&mockllm_openai_format, mockllm_stream_script(st));
    CHECK_INT(pieces, >, events);      // every event of 2+ bytes is cut at least once
    CHECK_INT(cr_lf_cuts, >=, events); // each event has a CRLF, and one of them is cut
    CHECK_INT(utf8_cuts, >, 0);        // seed=1's 30 tokens hold multi-byte characters
    mockllm_stream_destroy(&st);
    sl_buf_free(&want);
    sl_buf_free(&out);
    sl_buf_free(&all);
}

static void
s_test_cap(void)
{
    sl_buf_t want, out;
    mockllm_stream_t *st = s_new("[mock tokens=3]", true, 0, &want);
    sl_buf_init(&out, 16);
    CHECK_INT(sl_buf_append_str(&out, "x"), ==, 0);
    CHECK_INT(mockllm_stream_next(st, T0, &out), ==, SL_ETOOBIG);
    CHECK_STR(sl_buf_str(&out), "x");
    mockllm_stream_destroy(&st);
    sl_buf_free(&want);
    sl_buf_free(&out);
}

static void
s_test_units(void)
{
    // Gemini's JSON array: 2 text tokens, one event with every call (its fragments are units
    // 2..n), then "]".
    const char *body = "{\"contents\":[{\"parts\":[{\"text\":\"[mock tokens=2 tools=2 "
                       "text_before=1 hold=3]\"}]}],\"tools\":[{\"functionDeclarations\":"
                       "[{\"name\":\"f\"}]}]}";
    mockllm_script_t s;
    char err[256];
    CHECK_INT(mockllm_format_plan(&mockllm_gemini_format, "/v1beta/models/g:streamGenerateContent",
                                  body, strlen(body), &s, err, sizeof err),
              ==, 0);
    sl_buf_t want, out, all;
    sl_buf_init(&want, 1 << 20);
    sl_buf_init(&out, 1 << 20);
    sl_buf_init(&all, 1 << 20);
    s_expected_in(&mockllm_gemini_format, &s, false, &want);
    mockllm_stream_cfg_t cfg = {.rate = 10, .cut_seed = 1, .chunked = false, .created_s = 42};
    mockllm_stream_t *st = mockllm_stream_new(&mockllm_gemini_format, &s, &cfg, T0);
    CHECK_INT(s_step(st, T0, &out, &all), ==, MOCKLLM_STREAM_MORE); // "[" and token 0
    CHECK_INT(out.data[0], ==, '[');
    CHECK_INT(s_step(st, T0 + 100000, &out, &all), ==, MOCKLLM_STREAM_MORE); // token 1
    // The calls event is due with its first unit (unit 2). It steps over hold=3, so the stream
    // holds right after it, before the "]".
    CHECK_INT(s_step(st, T0 + 199999, &out, &all), ==, MOCKLLM_STREAM_WAIT);
    CHECK_INT(mockllm_stream_due_us(st), ==, T0 + 200000);
    CHECK_INT(s_step(st, T0 + 200000, &out, &all), ==, MOCKLLM_STREAM_MORE);
    CHECK(strstr(out.data, "functionCall") != NULL);
    CHECK_INT(s_step(st, T0 + 900000, &out, &all), ==, MOCKLLM_STREAM_WAIT);
    CHECK(mockllm_stream_is_held(st));
    CHECK(mockllm_stream_release(st, T0 + 900000));
    CHECK_INT(s_step(st, T0 + 900000, &out, &all), ==, MOCKLLM_STREAM_MORE);
    CHECK_STR(sl_buf_str(&out), "\r\n]");
    CHECK_INT(s_step(st, T0 + 900000, &out, &all), ==, MOCKLLM_STREAM_DONE);
    CHECK_MEM(all.data, all.len, want.data, want.len);
    mockllm_stream_destroy(&st);

    // OpenAI with pings: keepalives leave with the event before them, unpaced.
    sl_buf_reset(&want);
    sl_buf_reset(&all);
    s = s_script("[mock tokens=3 pings=1]");
    s_expected(&s, true, &want);
    cfg = (mockllm_stream_cfg_t){.rate = 10, .cut_seed = 1, .chunked = true, .created_s = 42};
    st = mockllm_stream_new(&mockllm_openai_format, &s, &cfg, T0);
    CHECK_INT(s_step(st, T0, &out, &all), ==, MOCKLLM_STREAM_MORE); // role, ping, token 0, ping
    CHECK_INT(s_count_events(out.data, out.len), ==, 2);
    CHECK(strstr(out.data, ": keepalive") != NULL);
    CHECK_INT(s_step(st, T0 + 1, &out, &all), ==, MOCKLLM_STREAM_WAIT);
    CHECK_INT(mockllm_stream_due_us(st), ==, T0 + 100000);
    while (s_step(st, T0 + 1000000, &out, &all) == MOCKLLM_STREAM_MORE)
        ;
    CHECK_MEM(all.data, all.len, want.data, want.len);
    mockllm_stream_destroy(&st);
    sl_buf_free(&want);
    sl_buf_free(&out);
    sl_buf_free(&all);
}

// The first n events of s in fmt, chunk-framed, without the end of the body.
static void
s_first_events(const mockllm_format_t *fmt, const mockllm_script_t *s, size_t n, sl_buf_t *out)
{
    sl_buf_t ev;
    sl_buf_init(&ev, 1 << 20);
    mockllm_events_t events;
    CHECK_INT(mockllm_format_layout(fmt, s, &events), ==, 0);
    CHECK_INT(n, <=, events.n);
    for (size_t i = 0; i < n; i++) {
        sl_buf_reset(&ev);
        CHECK_INT(fmt->render(s, 42, &events.items[i], &ev), ==, 0);
        CHECK_INT(mockllm_http_chunk(out, ev.data, ev.len), ==, 0);
    }
    mockllm_events_free(&events);
    sl_buf_free(&ev);
}

static void
s_test_reset(void)
{
    static const struct {
        const char *directive;
        int64_t rate;  // content units per second
        size_t events; // handed out before the reset: the role chunk and the tokens
    } cases[] = {
        {"[mock tokens=4 reset=2]", 0, 1 + 2},
        {"[mock tokens=4 reset=4]", 0, 1 + 4}, // every unit: before the finish
        {"[mock tokens=4 reset=0]", 0, 0},     // before anything
        {"[mock tokens=4 reset=2 split=1]", 0, 1 + 2},
        {"[mock tokens=4 reset=3]", 10, 1 + 3}, // paced: the reset waits for its units
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_buf_t want, out, all, prefix;
        sl_buf_init(&out, 1 << 20);
        sl_buf_init(&all, 1 << 20);
        sl_buf_init(&prefix, 1 << 20);
        mockllm_stream_t *st = s_new(cases[i].directive, true, cases[i].rate, &want);
        s_first_events(&mockllm_openai_format, mockllm_stream_script(st), cases[i].events, &prefix);
        int64_t now = T0;
        int rc;
        while ((rc = s_step(st, now, &out, &all)) != MOCKLLM_STREAM_RESET) {
            CHECK(rc == MOCKLLM_STREAM_MORE || rc == MOCKLLM_STREAM_WAIT);
            if (rc == MOCKLLM_STREAM_WAIT)
                now = mockllm_stream_due_us(st);
        }
        CHECK_INT(out.len, ==, 0);
        CHECK_MEM(all.data ? all.data : "", all.len, prefix.data ? prefix.data : "", prefix.len);
        if (cases[i].rate) // the third unit is due 2 periods after the first
            CHECK_INT(now, ==, T0 + 200000);
        CHECK_INT(s_step(st, now + 1000000, &out, &all), ==, MOCKLLM_STREAM_RESET); // it stays
        CHECK(!mockllm_stream_is_held(st));
        mockllm_stream_destroy(&st);
        sl_buf_free(&want);
        sl_buf_free(&out);
        sl_buf_free(&all);
        sl_buf_free(&prefix);
    }
    // A reset point past the answer's units is never reached.
    sl_buf_t want, out, all;
    sl_buf_init(&out, 1 << 20);
    sl_buf_init(&all, 1 << 20);
    mockllm_stream_t *st = s_new("[mock tokens=4 reset=5]", true, 0, &want);
    while (s_step(st, T0, &out, &all) == MOCKLLM_STREAM_MORE)
        ;
    CHECK_INT(s_step(st, T0, &out, &all), ==, MOCKLLM_STREAM_DONE);
    CHECK_MEM(all.data, all.len, want.data, want.len);
    mockllm_stream_destroy(&st);
    sl_buf_free(&want);
    sl_buf_free(&out);
    sl_buf_free(&all);
}

static void
s_test_stall(void)
{
    sl_buf_t want, out, all;
    sl_buf_init(&out, 1 << 20);
    sl_buf_init(&all, 1 << 20);
    // stall=2 with keepalives on: the role chunk and 2 tokens (their pings between them), then
    // nothing at all, pings included, whatever the time; after the release, the rest.
    mockllm_stream_t *st = s_new("[mock tokens=4 stall=2 pings=1]", true, 0, &want);
    CHECK_INT(s_step(st, T0, &out, &all), ==, MOCKLLM_STREAM_MORE);
    CHECK_INT(s_count_events(out.data, out.len), ==, 3);
    CHECK(!strstr(out.data + out.len - 40, ": keepalive")); // none after the last token
    CHECK_INT(s_step(st, T0 + 1, &out, &all), ==, MOCKLLM_STREAM_WAIT);
    CHECK(mockllm_stream_is_held(st));
    CHECK_INT(mockllm_stream_held_since_us(st), ==, T0);
    CHECK(mockllm_stream_due_us(st) == INT64_MAX);
    CHECK_INT(s_step(st, T0 + 500000000, &out, &all), ==, MOCKLLM_STREAM_WAIT);
    CHECK_INT(out.len, ==, 0);
    CHECK(mockllm_stream_release(st, T0 + 600000000));
    CHECK(!mockllm_stream_release(st, T0 + 600000000));
    while (s_step(st, T0 + 600000000, &out, &all) == MOCKLLM_STREAM_MORE)
        ;
    CHECK_MEM(all.data, all.len, want.data, want.len);
    mockllm_stream_destroy(&st);
    sl_buf_free(&want);

    // hold= and stall= on one point: the first release passes the hold, the second the stall.
    sl_buf_reset(&all);
    st = s_new("[mock tokens=3 hold=1 stall=1]", true, 0, &want);
    CHECK_INT(s_step(st, T0, &out, &all), ==, MOCKLLM_STREAM_MORE);
    CHECK_INT(s_step(st, T0, &out, &all), ==, MOCKLLM_STREAM_WAIT);
    CHECK(mockllm_stream_release(st, T0 + 10));
    CHECK_INT(s_step(st, T0 + 10, &out, &all), ==, MOCKLLM_STREAM_WAIT);
    CHECK(mockllm_stream_is_held(st));
    CHECK_INT(mockllm_stream_held_since_us(st), ==, T0 + 10);
    CHECK(mockllm_stream_release(st, T0 + 20));
    while (s_step(st, T0 + 20, &out, &all) == MOCKLLM_STREAM_MORE)
        ;
    CHECK_MEM(all.data, all.len, want.data, want.len);
    mockllm_stream_destroy(&st);
    sl_buf_free(&want);

    // stall=0: before the first event.
    sl_buf_reset(&all);
    st = s_new("[mock tokens=2 stall=0]", true, 0, &want);
    CHECK_INT(s_step(st, T0, &out, &all), ==, MOCKLLM_STREAM_WAIT);
    CHECK_INT(all.len, ==, 0);
    CHECK(mockllm_stream_release(st, T0));
    while (s_step(st, T0, &out, &all) == MOCKLLM_STREAM_MORE)
        ;
    CHECK_MEM(all.data, all.len, want.data, want.len);
    mockllm_stream_destroy(&st);
    sl_buf_free(&want);
    sl_buf_free(&out);
    sl_buf_free(&all);
}

static void
s_test_end_points(void)
{
    // Gemini SSE ends with the chunk carrying the last token: a point at every unit lies before
    // the end of the body (the last chunk), which then waits for the release.
    const char *body = "{\"contents\":[{\"parts\":[{\"text\":\"[mock tokens=2 stall=2]\"}]}]}";
    mockllm_script_t s;
    char err[256];
    CHECK_INT(mockllm_format_plan(&mockllm_gemini_format,
                                  "/v1beta/models/g:streamGenerateContent?alt=sse", body,
                                  strlen(body), &s, err, sizeof err),
              ==, 0);
    sl_buf_t want, out, all;
    sl_buf_init(&want, 1 << 20);
    sl_buf_init(&out, 1 << 20);
    sl_buf_init(&all, 1 << 20);
    s_expected_in(&mockllm_gemini_format, &s, true, &want);
    mockllm_stream_cfg_t cfg = {.rate = 0, .cut_seed = 1, .chunked = true, .created_s = 42};
    mockllm_stream_t *st = mockllm_stream_new(&mockllm_gemini_format, &s, &cfg, T0);
    CHECK_INT(s_step(st, T0, &out, &all), ==, MOCKLLM_STREAM_MORE);
    CHECK_INT(s_count_events(out.data, out.len), ==, 2);
    CHECK_INT(s_step(st, T0, &out, &all), ==, MOCKLLM_STREAM_WAIT);
    CHECK(mockllm_stream_is_held(st));
    CHECK(mockllm_stream_release(st, T0));
    CHECK_INT(s_step(st, T0, &out, &all), ==, MOCKLLM_STREAM_MORE);
    CHECK_STR(sl_buf_str(&out), "0\r\n\r\n"); // the end of the body alone
    CHECK_INT(s_step(st, T0, &out, &all), ==, MOCKLLM_STREAM_DONE);
    CHECK_MEM(all.data, all.len, want.data, want.len);
    mockllm_stream_destroy(&st);

    // reset= at every unit there: the last chunk never leaves.
    body = "{\"contents\":[{\"parts\":[{\"text\":\"[mock tokens=2 reset=2]\"}]}]}";
    CHECK_INT(mockllm_format_plan(&mockllm_gemini_format,
                                  "/v1beta/models/g:streamGenerateContent?alt=sse", body,
                                  strlen(body), &s, err, sizeof err),
              ==, 0);
    sl_buf_reset(&want);
    sl_buf_reset(&all);
    s_first_events(&mockllm_gemini_format, &s, 2, &want);
    st = mockllm_stream_new(&mockllm_gemini_format, &s, &cfg, T0);
    CHECK_INT(s_step(st, T0, &out, &all), ==, MOCKLLM_STREAM_MORE);
    CHECK_INT(s_step(st, T0, &out, &all), ==, MOCKLLM_STREAM_RESET);
    CHECK_MEM(all.data, all.len, want.data, want.len);
    mockllm_stream_destroy(&st);
    sl_buf_free(&want);
    sl_buf_free(&out);
    sl_buf_free(&all);
}

int
main(void)
{
    s_test_unpaced();
    s_test_paced();
    s_test_hold();
    s_test_split();
    s_test_cap();
    s_test_units();
    s_test_reset();
    s_test_stall();
    s_test_end_points();
    printf("stream_test: ok\n");
    return 0;
}
