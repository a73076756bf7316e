// persist_test.c - the real sluice-persist process over its ipc sockets: BATCH in, ACK out
// (resends and a final batch included: 200; a batch after a gap: 409 until the gap is filled),
// QUERY in, RECORD out (200, 404, 413), BEAT answered on both sockets and sent to the
// supervisor every heartbeat, UP with the instance name, bad input dropped without harm, clean
// exit on SIGTERM/SIGINT, data still there after a restart.
//
// Usage: persist_test PATH-TO-sluice-persist (CTest passes it). Timeouts are multiplied by
// SL_TEST_TIMEOUT_MULTIPLIER. The process's stderr goes to persist.log in the temp directory,
// and is copied to ours when a check fails.
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <czmq.h>

#include "check.h"
#include "proc.h"
#include "sl/clock.h"
#include "sl/config.h"
#include "sl/err.h"
#include "sl/sock.h"
#include "sl/wire.h"

#define ID1 "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e01"
#define ID2 "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e02"
#define ID3 "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e03"
#define ID4 "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e04"
#define IDX "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9eff" // never written

#define BIG_DELTA    (128 * 1024) // bytes per delta in the 413 stream: 64 of them make 8 MiB
#define HEARTBEAT_MS 50           // reliability.heartbeat_ms in the test's config

static char s_log_path[PATH_MAX]; // the process's stderr
static bool s_passed;             // set at the end; else the log is shown at exit

static void
s_show_log(void)
{
    if (s_passed)
        return;
    FILE *f = fopen(s_log_path, "r");
    if (!f)
        return;
    fprintf(stderr, "--- %s\n", s_log_path);
    char line[1024];
    while (fgets(line, sizeof line, f))
        fputs(line, stderr);
    fclose(f);
}

static test_proc_t
s_start(const char *bin, const char *cfg_path)
{
    char *const argv[] = {(char *)bin, "-c", (char *)cfg_path, NULL};
    return test_proc_start(argv, false, s_log_path);
}

// Signal the process; it must exit 0 within the deadline.
static void
s_stop(test_proc_t *p, int sig)
{
    int status = test_proc_stop(p, sig, test_ms(5000));
    CHECK(status != -1); // else it did not exit in time
    CHECK(WIFEXITED(status));
    CHECK_INT(WEXITSTATUS(status), ==, 0);
}

// Receive one message within timeout_ms; SL_EAGAIN when none came. *frame_p owns the bytes.
static int
s_recv(zsock_t *sock, zframe_t **frame_p, sl_msg_t *msg, int64_t timeout_ms)
{
    int64_t deadline = sl_clock_mono_ms() + timeout_ms;
    for (;;) {
        zframe_t *from = NULL;
        int rc = sl_sock_recv(sock, &from, frame_p, msg);
        zframe_destroy(&from);
        if (rc != SL_EAGAIN)
            return rc;
        int64_t left_ms = deadline - sl_clock_mono_ms();
        if (left_ms <= 0)
            return SL_EAGAIN;
        zmq_pollitem_t item = {zsock_resolve(sock), 0, ZMQ_POLLIN, 0};
        CHECK(zmq_poll(&item, 1, (long)left_ms) >= 0);
    }
}

// The instance name persist gives itself: "persist-<pid>".
static void
s_name(const test_proc_t *p, char *name, size_t size)
{
    snprintf(name, size, "persist-%d", (int)p->pid);
}

// Wait for UP {persist-<pid>} from p. Beats and stats of an earlier process may still be
// queued: skipped.
static void
s_wait_up(zsock_t *events, const test_proc_t *p)
{
    char name[64];
    s_name(p, name, sizeof name);
    for (;;) {
        zframe_t *frame = NULL;
        sl_msg_t msg;
        CHECK_INT(s_recv(events, &frame, &msg, test_ms(10000)), ==, 0);
        if (msg.type == SL_MSG_BEAT || msg.type == SL_MSG_STATS) {
            zframe_destroy(&frame);
            continue;
        }
        CHECK_INT(msg.type, ==, SL_MSG_UP);
        CHECK_MEM(msg.name.ptr, msg.name.len, name, strlen(name));
        zframe_destroy(&frame);
        return;
    }
}

// After UP, persist beats to the supervisor every heartbeat, not once: three beats, each with
// the instance name, come within a few heartbeats. (How evenly they are paced is zloop's
// business; a loaded test machine would make a check of it flaky.)
static void
test_supervisor_beats(zsock_t *events, const test_proc_t *p)
{
    char name[64];
    s_name(p, name, sizeof name);
    for (int i = 0; i < 3; i++) {
        zframe_t *frame = NULL;
        sl_msg_t msg;
        CHECK_INT(s_recv(events, &frame, &msg, test_ms(20 * HEARTBEAT_MS)), ==, 0);
        if (msg.type == SL_MSG_STATS) { // each beat comes with the counters
            CHECK_MEM(msg.name.ptr, msg.name.len, name, strlen(name));
            char text[4096];
            snprintf(text, sizeof text, "%.*s", (int)msg.text.len, msg.text.ptr);
            CHECK(strstr(text, "sluice_batches_stored_total ") != NULL);
            zframe_destroy(&frame);
            i--;
            continue;
        }
        CHECK_INT(msg.type, ==, SL_MSG_BEAT);
        CHECK_MEM(msg.name.ptr, msg.name.len, name, strlen(name));
        zframe_destroy(&frame);
    }
}

// A BEAT on either ROUTER is answered at once with persist's own name, so a builder or an
// ingress learns that persist (re)started.
static void
test_beat_reply(zsock_t *sock, const char *peer, const test_proc_t *p)
{
    char name[64];
    s_name(p, name, sizeof name);
    sl_msg_t beat = {.type = SL_MSG_BEAT, .name = sl_str(peer)};
    CHECK_INT(sl_sock_send(sock, NULL, &beat), ==, 0);
    zframe_t *frame = NULL;
    sl_msg_t msg;
    CHECK_INT(s_recv(sock, &frame, &msg, test_ms(10000)), ==, 0);
    CHECK_INT(msg.type, ==, SL_MSG_BEAT);
    CHECK_MEM(msg.name.ptr, msg.name.len, name, strlen(name));
    zframe_destroy(&frame);
    if (strncmp(peer, "ingress", 7) == 0) { // an ingress also hears whether the store writes
        CHECK_INT(s_recv(sock, &frame, &msg, test_ms(10000)), ==, 0);
        CHECK_INT(msg.type, ==, SL_MSG_STATE);
        CHECK_INT(msg.state, ==, SL_HOST_UP);
        zframe_destroy(&frame);
    }
}

static sl_msg_t s_msg; // the message being built; static: a few KiB

static sl_msg_t *
s_batch(uint64_t seq, const char *id, uint64_t first_index)
{
    memset(&s_msg, 0, sizeof s_msg);
    s_msg.type = SL_MSG_BATCH;
    s_msg.seq = seq;
    s_msg.req_id = sl_str(id);
    s_msg.model = sl_str("gpt-test");
    s_msg.first_index = first_index;
    return &s_msg;
}

static void
s_add(sl_msg_t *m, sl_delta_kind_t kind, const char *text)
{
    sl_delta_t *d = &m->deltas[m->n_deltas++];
    d->kind = (uint8_t)kind;
    d->text = sl_str(text);
}

static void
s_send(zsock_t *sock, const sl_msg_t *m)
{
    CHECK_INT(sl_sock_send(sock, NULL, m), ==, 0);
}

// Receive ACKs until every seq in want[] came back once, acked with status[i] (NULL: all 200)
// for its batch; any other message, or a timeout, fails. first_index[i] and id[i] describe
// want[i].
static void
s_wait_acks_status(zsock_t *store,
                   size_t n,
                   const uint64_t *want,
                   const uint64_t *first_index,
                   const char *const *id,
                   const uint32_t *status)
{
    bool got[16] = {false};
    CHECK(n <= 16);
    for (size_t done = 0; done < n; done++) {
        zframe_t *frame = NULL;
        sl_msg_t ack;
        CHECK_INT(s_recv(store, &frame, &ack, test_ms(10000)), ==, 0);
        CHECK_INT(ack.type, ==, SL_MSG_ACK);
        size_t i = 0;
        while (i < n && want[i] != ack.seq)
            i++;
        CHECK(i < n);   // an ACK for a batch that was not to be acked
        CHECK(!got[i]); // acked twice
        got[i] = true;
        CHECK_INT(ack.status, ==, status ? status[i] : 200);
        CHECK_INT(ack.first_index, ==, first_index[i]);
        CHECK(sl_str_eq(ack.req_id, id[i]));
        zframe_destroy(&frame);
    }
}

static void
s_wait_acks(zsock_t *store,
            size_t n,
            const uint64_t *want,
            const uint64_t *first_index,
            const char *const *id)
{
    s_wait_acks_status(store, n, want, first_index, id, NULL);
}

// Wait for the one ACK of batch seq (id, first_index) with status.
static void
s_wait_ack(zsock_t *store, uint64_t seq, const char *id, uint64_t first_index, uint32_t status)
{
    s_wait_acks_status(store, 1, &seq, &first_index, &id, &status);
}

typedef struct {
    uint32_t status;
    const char *model;
    uint32_t state;
    const char *finish_reason;
    uint64_t count;
    uint32_t prompt_tokens;
    uint32_t completion_tokens;
    const char *text;
} s_expect_t;

// QUERY id from first_index and check every RECORD field.
static void
s_query(zsock_t *query, uint64_t seq, const char *id, uint64_t first_index, const s_expect_t *e)
{
    sl_msg_t q = {
        .type = SL_MSG_QUERY, .seq = seq, .req_id = sl_str(id), .first_index = first_index};
    s_send(query, &q);
    zframe_t *frame = NULL;
    sl_msg_t r;
    CHECK_INT(s_recv(query, &frame, &r, test_ms(10000)), ==, 0);
    CHECK_INT(r.type, ==, SL_MSG_RECORD);
    CHECK_INT(r.seq, ==, seq);
    CHECK(sl_str_eq(r.req_id, id));
    CHECK_INT(r.status, ==, e->status);
    CHECK(sl_str_eq(r.model, e->model));
    CHECK_INT(r.state, ==, e->state);
    CHECK(sl_str_eq(r.finish_reason, e->finish_reason));
    CHECK_INT(r.count, ==, e->count);
    CHECK_INT(r.prompt_tokens, ==, e->prompt_tokens);
    CHECK_INT(r.completion_tokens, ==, e->completion_tokens);
    CHECK_MEM(r.text.ptr, r.text.len, e->text, strlen(e->text));
    zframe_destroy(&frame);
}

static const s_expect_t s_id1 = {
    .status = 200,
    .model = "gpt-test",
    .state = SL_STREAM_COMPLETE,
    .finish_reason = "stop",
    .count = 7,
    .prompt_tokens = 12,
    .completion_tokens = 5,
    .text = "Hello world!",
};

// Batches for ID1 (with a resend and the final) and ID2 (an error), and bad input between.
static void
test_store(zsock_t *store)
{
    s_send(store, s_batch(1, ID1, 0)); // opens the stream
    sl_msg_t *m = s_batch(2, ID1, 0);
    s_add(m, SL_DELTA_TEXT, "Hel");
    s_add(m, SL_DELTA_TEXT, "lo");
    s_send(store, m);
    m->seq = 4;
    s_send(store, m); // a resend of the same batch
    m = s_batch(3, ID1, 2);
    s_add(m, SL_DELTA_TEXT, " wor");
    s_add(m, SL_DELTA_REASONING, "hm");
    s_add(m, SL_DELTA_TOOL, "{}");
    m->deltas[2].tool_id = sl_str("call_1");
    m->deltas[2].tool_name = sl_str("f");
    s_add(m, SL_DELTA_TEXT, "ld");
    s_send(store, m);

    // Bad input: not msgpack, too many frames, a QUERY on the store socket, a bad req_id.
    CHECK_INT(zstr_send(store, "garbage"), ==, 0);
    CHECK_INT(zstr_sendx(store, "two", "frames", NULL), ==, 0);
    sl_msg_t wrong = {.type = SL_MSG_QUERY, .seq = 90, .req_id = sl_str(ID1)};
    s_send(store, &wrong);
    m = s_batch(91, "not-a-uuid", 0);
    s_add(m, SL_DELTA_TEXT, "x");
    s_send(store, m);

    m = s_batch(5, ID1, 6);
    s_add(m, SL_DELTA_TEXT, "!");
    m->final = true;
    m->finish_reason = sl_str("stop");
    m->prompt_tokens = 12;
    m->completion_tokens = 5;
    s_send(store, m);

    m = s_batch(6, ID2, 0);
    s_add(m, SL_DELTA_TEXT, "x");
    m->final = true;
    m->finish_reason = sl_str("error");
    m->err_class = SL_ERRCLASS_PROVIDER_DOWN;
    m->message = sl_str("upstream 503");
    s_send(store, m);

    static const uint64_t seqs[] = {1, 2, 4, 3, 5, 6};
    static const uint64_t firsts[] = {0, 0, 0, 2, 6, 0};
    static const char *const ids[] = {ID1, ID1, ID1, ID1, ID1, ID2};
    s_wait_acks(store, 6, seqs, firsts, ids);
}

static void
test_query(zsock_t *query)
{
    s_query(query, 100, ID1, 0, &s_id1);
    s_expect_t from3 = s_id1;
    from3.text = "ld!";
    s_query(query, 101, ID1, 3, &from3);
    s_expect_t id2 = {200, "gpt-test", SL_STREAM_ERROR, "error", 1, 0, 0, "x"};
    s_query(query, 102, ID2, 0, &id2);
    s_expect_t unknown = {404, "", 0, "", 0, 0, 0, ""};
    s_query(query, 103, IDX, 0, &unknown);

    // Bad input on the query socket is dropped; the next QUERY is answered as usual.
    CHECK_INT(zstr_send(query, "\xc1"), ==, 0);
    sl_msg_t wrong = {.type = SL_MSG_BATCH, .seq = 104, .req_id = sl_str(ID1)};
    s_send(query, &wrong);
    sl_msg_t bad_id = {.type = SL_MSG_QUERY, .seq = 105, .req_id = sl_str("nope")};
    s_send(query, &bad_id);
    s_query(query, 106, ID1, 0, &s_id1);
}

// A batch after a gap is refused with 409 and nothing of it is stored; once the batch before
// it is in, the same batch sent again is acked 200 and the stream completes.
static void
test_gap(zsock_t *store, zsock_t *query)
{
    sl_msg_t *m = s_batch(30, ID4, 3);
    s_add(m, SL_DELTA_TEXT, "d");
    s_add(m, SL_DELTA_TEXT, "e");
    m->final = true;
    m->finish_reason = sl_str("stop");
    s_send(store, m);
    s_wait_ack(store, 30, ID4, 3, 409);
    s_expect_t unknown = {404, "", 0, "", 0, 0, 0, ""};
    s_query(query, 400, ID4, 0, &unknown);

    m = s_batch(31, ID4, 0);
    s_add(m, SL_DELTA_TEXT, "a");
    s_add(m, SL_DELTA_TEXT, "b");
    s_add(m, SL_DELTA_TEXT, "c");
    s_send(store, m);
    s_wait_ack(store, 31, ID4, 0, 200);
    s_expect_t partial = {200, "gpt-test", SL_STREAM_STREAMING, "", 3, 0, 0, "abc"};
    s_query(query, 401, ID4, 0, &partial);

    m = s_batch(30, ID4, 3); // the builder resends the refused batch as it was
    s_add(m, SL_DELTA_TEXT, "d");
    s_add(m, SL_DELTA_TEXT, "e");
    m->final = true;
    m->finish_reason = sl_str("stop");
    s_send(store, m);
    s_wait_ack(store, 30, ID4, 3, 200);
    s_expect_t whole = {200, "gpt-test", SL_STREAM_COMPLETE, "stop", 5, 0, 0, "abcde"};
    s_query(query, 402, ID4, 0, &whole);
}

// A stream whose text passes the RECORD cap: 413 with empty text; from a later index, 200.
static void
test_too_big(zsock_t *store, zsock_t *query)
{
    char *big = malloc(BIG_DELTA + 1);
    CHECK(big != NULL);
    memset(big, 'z', BIG_DELTA);
    big[BIG_DELTA] = '\0';
    for (uint64_t b = 0; b < 2; b++) {
        sl_msg_t *m = s_batch(20 + b, ID3, 64 * b);
        for (int i = 0; i < 64; i++)
            s_add(m, SL_DELTA_TEXT, big);
        m->final = b == 1;
        m->finish_reason = sl_str("length");
        s_send(store, m);
    }
    static const uint64_t seqs[] = {20, 21};
    static const uint64_t firsts[] = {0, 64};
    static const char *const ids[] = {ID3, ID3};
    s_wait_acks(store, 2, seqs, firsts, ids);
    s_expect_t e = {413, "gpt-test", SL_STREAM_COMPLETE, "length", 128, 0, 0, ""};
    s_query(query, 200, ID3, 0, &e);
    // From index 64 on, the text is 8 MiB of 'z', under the cap.
    sl_msg_t q = {.type = SL_MSG_QUERY, .seq = 201, .req_id = sl_str(ID3), .first_index = 64};
    s_send(query, &q);
    zframe_t *frame = NULL;
    sl_msg_t r;
    CHECK_INT(s_recv(query, &frame, &r, test_ms(10000)), ==, 0);
    CHECK_INT(r.status, ==, 200);
    CHECK_INT(r.text.len, ==, 64 * BIG_DELTA);
    CHECK(r.text.ptr[0] == 'z' && r.text.ptr[r.text.len - 1] == 'z');
    zframe_destroy(&frame);
    free(big);
}

int
main(int argc, char **argv)
{
    CHECK_INT(argc, ==, 2);
    const char *bin = argv[1];
    char dir[PATH_MAX], cfg_path[PATH_MAX + 16], run_dir[PATH_MAX + 16], data_dir[PATH_MAX + 16];
    test_tmpdir("persist_test", dir, sizeof dir);
    atexit(s_show_log); // runs before the tmpdir is removed
    snprintf(s_log_path, sizeof s_log_path, "%.*s/persist.log", PATH_MAX - 16, dir);
    snprintf(cfg_path, sizeof cfg_path, "%s/sluice.yaml", dir);
    snprintf(run_dir, sizeof run_dir, "%s/run", dir);
    snprintf(data_dir, sizeof data_dir, "%s/data", dir); // persist creates it
    char yaml[3 * PATH_MAX];
    snprintf(yaml, sizeof yaml, "data_dir: %s\nrun_dir: %s\nreliability: {heartbeat_ms: %d}\n",
             data_dir, run_dir, HEARTBEAT_MS);
    test_write_file(cfg_path, yaml);
    CHECK_INT(mkdir(run_dir, 0700), ==, 0);

    sl_config_t *cfg = NULL;
    sl_diag_t diag;
    int rc = sl_config_load(cfg_path, &cfg, &diag);
    if (rc != 0)
        fprintf(stderr, "config: %s\n", diag.msg);
    CHECK_INT(rc, ==, 0);
    // Stand in for the supervisor, so UP tells us the process is serving.
    zsock_t *events = sl_sock_bind(ZMQ_PULL, cfg->ep_events, 100);
    CHECK(events != NULL);

    test_proc_t proc = s_start(bin, cfg_path);
    s_wait_up(events, &proc);
    test_supervisor_beats(events, &proc);
    struct stat st;
    CHECK_INT(stat(data_dir, &st), ==, 0);
    CHECK_INT(st.st_mode & 0777, ==, 0700);
    zsock_t *store = sl_sock_connect(ZMQ_DEALER, cfg->ep_store, SL_SOCK_HWM, "builder-test");
    zsock_t *query = sl_sock_connect(ZMQ_DEALER, cfg->ep_query, SL_SOCK_HWM, "ingress-test");
    CHECK(store && query);
    test_beat_reply(store, "builder-test", &proc);
    test_beat_reply(query, "ingress-test", &proc);
    test_store(store);
    test_query(query);
    test_gap(store, query);
    test_too_big(store, query);
    s_stop(&proc, SIGTERM);

    // A new process serves what the old one acknowledged; SIGINT stops it cleanly too.
    proc = s_start(bin, cfg_path);
    s_wait_up(events, &proc);
    test_beat_reply(store, "builder-test", &proc); // the reply names the new process
    s_query(query, 300, ID1, 0, &s_id1);
    s_stop(&proc, SIGINT);

    zsock_destroy(&query);
    zsock_destroy(&store);
    zsock_destroy(&events);
    sl_config_destroy(&cfg);
    test_tmpdir_remove(dir);
    s_passed = true;
    printf("persist_test: ok\n");
    return 0;
}
