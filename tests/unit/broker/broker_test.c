// broker_test.c - the real sluice-broker process over its real ipc sockets: this test plays
// the supervisor (PULL for UP), one ingress (DEALER "ingress-test") and one provider worker
// (DEALER "worker-1"), and checks what the broker answers.
//
// The binary's path is argv[1] (broker/CMakeLists.txt registers the test with it).
// Every wait polls for a message with a deadline (test_ms: times SL_TEST_TIMEOUT_MULTIPLIER);
// the only wait for silence is the short one that proves no second DISPATCH went out. The
// broker is killed and reaped on every exit path (proc.c), and its log is printed when a
// check fails.
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
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

#define QUEUE_TIMEOUT_MS 1500 // timeouts.connect_ms in the config below
#define LIVENESS_MS      3000 // the broker's worker expiry: heartbeat_ms * liveness_beats below
#define ADOPTED_ID       "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e8f" // served before a restart
#define ADOPTED2_ID      "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e90"
#define BEAT_MS          500 // how often the fake worker sends READY while it is alive

// What the test holds; file-scope so the exit handler can show the broker's log.
static struct {
    char dir[PATH_MAX];           // temporary directory: config, log, run/ (removed at exit)
    char cfg_path[PATH_MAX + 16]; // config file
    char log_path[PATH_MAX + 16]; // the broker's stderr
    test_proc_t broker;           // the process (killed and reaped at exit by proc.c)
    bool passed;                  // true: no need to show the log
    sl_config_t *cfg;             // owned: the same file the broker loads, for the endpoints
    zsock_t *events;              // owned: PULL at ep_events (we are the supervisor)
    zsock_t *ingress;             // owned: DEALER to ep_frontend
    zsock_t *worker;              // owned: DEALER to ep_backend
    uint32_t credits;             // what the fake worker's READY announces
    int64_t last_beat_ms;         // monotonic time of the fake worker's last READY
} s_t;

static void
s_print_log(void)
{
    if (s_t.passed)
        return;
    FILE *log = fopen(s_t.log_path, "r");
    if (!log)
        return;
    fprintf(stderr, "---- broker log (%s) ----\n", s_t.log_path);
    char line[2048];
    while (fgets(line, sizeof line, log))
        fputs(line, stderr);
    fprintf(stderr, "---- end of broker log ----\n");
    fclose(log);
}

// Wait up to timeout_ms for something to read on sock. Keeps the fake worker beating
// meanwhile when beat is true.
static bool
s_poll(zsock_t *sock, int64_t timeout_ms, bool beat)
{
    int64_t deadline_ms = sl_clock_mono_ms() + timeout_ms;
    for (;;) {
        int64_t now_ms = sl_clock_mono_ms();
        if (beat && now_ms - s_t.last_beat_ms >= BEAT_MS) {
            sl_msg_t ready = {.type = SL_MSG_READY, .name = sl_str("w1"), .credits = s_t.credits};
            CHECK_INT(sl_sock_send(s_t.worker, NULL, &ready), ==, 0);
            s_t.last_beat_ms = now_ms;
        }
        int64_t left_ms = deadline_ms - now_ms;
        if (left_ms <= 0)
            return false;
        if (beat && left_ms > BEAT_MS / 5)
            left_ms = BEAT_MS / 5;
        zmq_pollitem_t item = {zsock_resolve(sock), 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&item, 1, (long)left_ms);
        CHECK(rc >= 0 || errno == EINTR);
        if (rc > 0)
            return true;
    }
}

// Receive one message on sock within timeout_ms (beating when beat is true). The payload
// frame goes to *frame_p (caller owns; msg's strings borrow from it).
static void
s_recv(zsock_t *sock, int64_t timeout_ms, bool beat, zframe_t **frame_p, sl_msg_t *msg)
{
    if (!s_poll(sock, timeout_ms, beat)) {
        fprintf(stderr, "no message within %" PRId64 " ms\n", timeout_ms);
        CHECK(false);
    }
    zframe_t *from = NULL;
    CHECK_INT(sl_sock_recv(sock, &from, frame_p, msg), ==, 0);
    CHECK(from == NULL); // a DEALER has no envelope
}

static void
s_submit(const char *req_id, const char *model, uint32_t api, bool stream, const char *body)
{
    sl_msg_t msg = {.type = SL_MSG_SUBMIT,
                    .req_id = sl_str(req_id),
                    .ingress = sl_str("ingress-test"),
                    .model = sl_str(model),
                    .api = api,
                    .stream = stream,
                    .body = sl_str(body)};
    CHECK_INT(sl_sock_send(s_t.ingress, NULL, &msg), ==, 0);
}

static void
s_cancel(const char *req_id)
{
    sl_msg_t msg = {.type = SL_MSG_CANCEL, .req_id = sl_str(req_id)};
    CHECK_INT(sl_sock_send(s_t.ingress, NULL, &msg), ==, 0);
}

static void
s_outcome(const char *req_id, uint32_t err_class, uint32_t status)
{
    sl_msg_t msg = {.type = SL_MSG_OUTCOME,
                    .req_id = sl_str(req_id),
                    .attempt = 1,
                    .provider = sl_str("p1"),
                    .upstream_model = sl_str("up-1"),
                    .err_class = err_class,
                    .status = status,
                    .count = 3};
    CHECK_INT(sl_sock_send(s_t.worker, NULL, &msg), ==, 0);
}

static void
s_ready(uint32_t credits)
{
    s_t.credits = credits;
    sl_msg_t msg = {.type = SL_MSG_READY, .name = sl_str("w1"), .credits = credits};
    CHECK_INT(sl_sock_send(s_t.worker, NULL, &msg), ==, 0);
    s_t.last_beat_ms = sl_clock_mono_ms();
}

// The next message to the ingress is REJECT {req_id, status, error_type, message}.
static void
s_expect_reject(const char *req_id,
                uint32_t status,
                const char *error_type,
                const char *message,
                int64_t timeout_ms,
                bool beat)
{
    zframe_t *frame = NULL;
    sl_msg_t msg;
    s_recv(s_t.ingress, timeout_ms, beat, &frame, &msg);
    CHECK_STR(sl_wire_type_name(msg.type), "REJECT");
    CHECK_MEM(msg.req_id.ptr, msg.req_id.len, req_id, strlen(req_id));
    CHECK_INT(msg.status, ==, status);
    CHECK_MEM(msg.error_type.ptr, msg.error_type.len, error_type, strlen(error_type));
    CHECK_MEM(msg.message.ptr, msg.message.len, message, strlen(message));
    zframe_destroy(&frame);
}

// The next message to the worker is the DISPATCH of what s_submit sent for req_id, aimed at
// the only target of m1 (p1/up-1), as attempt 1.
static void
s_expect_dispatch(const char *req_id, uint32_t api, bool stream, const char *body)
{
    zframe_t *frame = NULL;
    sl_msg_t msg;
    s_recv(s_t.worker, test_ms(2000), true, &frame, &msg);
    CHECK_STR(sl_wire_type_name(msg.type), "DISPATCH");
    CHECK_MEM(msg.req_id.ptr, msg.req_id.len, req_id, strlen(req_id));
    CHECK_MEM(msg.ingress.ptr, msg.ingress.len, "ingress-test", 12);
    CHECK_MEM(msg.model.ptr, msg.model.len, "m1", 2);
    CHECK_MEM(msg.provider.ptr, msg.provider.len, "p1", 2);
    CHECK_MEM(msg.upstream_model.ptr, msg.upstream_model.len, "up-1", 4);
    CHECK_INT(msg.attempt, ==, 1);
    CHECK_INT(msg.api, ==, api);
    CHECK_INT(msg.stream, ==, stream);
    CHECK_MEM(msg.body.ptr, msg.body.len, body, strlen(body));
    zframe_destroy(&frame);
}

// The next message to the worker is a DISPATCH of req_id to provider.
static void
s_expect_dispatch_to(const char *req_id, const char *provider)
{
    zframe_t *frame = NULL;
    sl_msg_t msg;
    s_recv(s_t.worker, test_ms(2000), true, &frame, &msg);
    CHECK_STR(sl_wire_type_name(msg.type), "DISPATCH");
    CHECK_MEM(msg.req_id.ptr, msg.req_id.len, req_id, strlen(req_id));
    CHECK_MEM(msg.provider.ptr, msg.provider.len, provider, strlen(provider));
    zframe_destroy(&frame);
}

// Nothing reaches sock for quiet_ms: the one wait for silence, kept short.
static void
s_expect_silence(zsock_t *sock, int64_t quiet_ms)
{
    if (s_poll(sock, quiet_ms, true)) {
        zframe_t *frame = NULL;
        sl_msg_t msg;
        s_recv(sock, 0, false, &frame, &msg);
        fprintf(stderr, "unexpected %s req=%.*s\n", sl_wire_type_name(msg.type),
                (int)msg.req_id.len, msg.req_id.ptr);
        CHECK(false);
    }
}

// Round trip on the ingress socket: once the broker answers this, it has handled everything
// the ingress sent before (one peer's messages are handled in order).
static void
s_sync_ingress(bool beat)
{
    s_submit("sync", "no-such-model", 0, false, "{}");
    s_expect_reject("sync", 404, "invalid_request_error",
                    "The model 'no-such-model' does not exist", test_ms(2000), beat);
}

static void
s_start(const char *bin)
{
    test_tmpdir("slbrk", s_t.dir, sizeof s_t.dir); // short: ipc paths must fit in 108 bytes
    // Registered after test_tmpdir's handler, so it runs first: the log still exists.
    CHECK_INT(atexit(s_print_log), ==, 0);
    snprintf(s_t.cfg_path, sizeof s_t.cfg_path, "%s/sluice.yaml", s_t.dir);
    snprintf(s_t.log_path, sizeof s_t.log_path, "%s/broker.log", s_t.dir);
    char run_dir[PATH_MAX + 8];
    snprintf(run_dir, sizeof run_dir, "%s/run", s_t.dir);
    CHECK_INT(mkdir(run_dir, 0700), ==, 0); // we bind ep_events there before the broker starts
    char yaml[2 * PATH_MAX + 1024];
    snprintf(yaml, sizeof yaml,
             "data_dir: %s/data\n"
             "run_dir: %s\n"
             "providers:\n"
             "  - {name: p1, kind: openai, base_url: \"http://127.0.0.1:9/v1\"}\n"
             "  - {name: p2, kind: openai, base_url: \"http://127.0.0.1:9/v1\", concurrency: 1}\n"
             "  - {name: p3, kind: openai, base_url: \"http://127.0.0.1:9/v1\", concurrency: 2}\n"
             "routes:\n"
             "  - {model: m1, targets: [{provider: p1, model: up-1}]}\n"
             "  - {model: m2, targets: [{provider: p2, model: up-2}]}\n"
             "  - {model: m3, targets: [{provider: p3, model: up-3}]}\n"
             "limits: {queue_max: 2}\n"
             "timeouts: {connect_ms: %d}\n"
             "reliability: {heartbeat_ms: 500, liveness_beats: 6}\n",
             s_t.dir, run_dir, QUEUE_TIMEOUT_MS);
    test_write_file(s_t.cfg_path, yaml);
    sl_diag_t diag;
    if (sl_config_load(s_t.cfg_path, &s_t.cfg, &diag) != 0) {
        fprintf(stderr, "config: %s\n", diag.msg);
        CHECK(false);
    }
    CHECK_INT(s_t.cfg->queue_max, ==, 2);
    CHECK_INT(s_t.cfg->timeout_connect_ms, ==, QUEUE_TIMEOUT_MS);

    s_t.events = sl_sock_bind(ZMQ_PULL, s_t.cfg->ep_events, 100);
    CHECK(s_t.events);
    CHECK_INT(setenv("SLUICE_LOG", "debug", 1), ==, 0);
    char *const argv[] = {(char *)bin, "-c", s_t.cfg_path, NULL};
    s_t.broker = test_proc_start(argv, false, s_t.log_path);

    // The broker announces UP once both ROUTERs are bound: from then on it serves.
    zframe_t *frame = NULL;
    sl_msg_t msg;
    s_recv(s_t.events, test_ms(10000), false, &frame, &msg);
    CHECK_STR(sl_wire_type_name(msg.type), "UP");
    char want[64];
    snprintf(want, sizeof want, "broker-%d", (int)s_t.broker.pid);
    CHECK_MEM(msg.name.ptr, msg.name.len, want, strlen(want));
    zframe_destroy(&frame);

    s_t.ingress = sl_sock_connect(ZMQ_DEALER, s_t.cfg->ep_frontend, 100, "ingress-test");
    s_t.worker = sl_sock_connect(ZMQ_DEALER, s_t.cfg->ep_backend, 100, "worker-1");
    CHECK(s_t.ingress && s_t.worker);
}

// SIGTERM: the broker stops at once and exits 0 (under ASan, 0 also means no leak).
static void
s_stop(void)
{
    int status = test_proc_stop(&s_t.broker, SIGTERM, test_ms(5000));
    CHECK(status != -1); // -1: still running at the deadline (then killed)
    CHECK(WIFEXITED(status));
    CHECK_INT(WEXITSTATUS(status), ==, 0);
}

// True when the broker's log holds a line containing text.
static bool
s_log_has(const char *text)
{
    FILE *log = fopen(s_t.log_path, "r");
    CHECK(log);
    char line[2048];
    bool found = false;
    while (!found && fgets(line, sizeof line, log))
        found = strstr(line, text) != NULL;
    fclose(log);
    return found;
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: broker_test PATH-TO-sluice-broker\n");
        return 2;
    }
    s_start(argv[1]);

    // Garbage of every shape is dropped and the broker keeps serving (checked by all below):
    // not msgpack, too many frames, an empty frame, and well-formed messages sent to the
    // wrong socket.
    CHECK_INT(zstr_send(s_t.ingress, "garbage"), ==, 0);
    CHECK_INT(zstr_sendm(s_t.ingress, "two"), ==, 0);
    CHECK_INT(zstr_send(s_t.ingress, "frames"), ==, 0);
    CHECK_INT(zmq_send(zsock_resolve(s_t.ingress), "", 0, 0), ==, 0);
    CHECK_INT(zstr_send(s_t.worker, "\x93\x01\x02"), ==, 0);
    sl_msg_t wrong = {.type = SL_MSG_READY, .name = sl_str("not-a-worker"), .credits = 5};
    CHECK_INT(sl_sock_send(s_t.ingress, NULL, &wrong), ==, 0);
    sl_msg_t stray = {.type = SL_MSG_SUBMIT, .req_id = sl_str("stray"), .model = sl_str("m1")};
    CHECK_INT(sl_sock_send(s_t.worker, NULL, &stray), ==, 0);
    s_submit("", "m1", 0, false, "{}"); // no request id: nothing to answer
    s_cancel("never-submitted");        // unknown: ignored

    // Unknown model: 404 with OpenAI's wording.
    s_submit("u-1", "nope", 0, true, "{}");
    s_expect_reject("u-1", 404, "invalid_request_error", "The model 'nope' does not exist",
                    test_ms(2000), false);

    // No worker yet: two requests wait (queue_max 2), the third is shed at once; a duplicate
    // id is refused whether queued or in flight.
    const char *body_a = "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}";
    const char *body_b = "{\"messages\":[{\"role\":\"user\",\"content\":\"b\"}]}";
    s_submit("req-a", "m1", SL_API_ANTHROPIC, true, body_a);
    s_submit("req-b", "m1", SL_API_OPENAI, false, body_b);
    s_submit("req-c", "m1", SL_API_OPENAI, true, "{}");
    s_expect_reject("req-c", 503, "overloaded", "no capacity, retry later", test_ms(2000), false);
    // The same id again from the same ingress is a re-submission (the ingress does that after
    // a broker restart): it changes nothing. From another ingress it is refused.
    s_submit("req-a", "m1", SL_API_OPENAI, true, "{}");
    s_sync_ingress(false);
    zsock_t *other = sl_sock_connect(ZMQ_DEALER, s_t.cfg->ep_frontend, 100, "ingress-other");
    CHECK(other);
    sl_msg_t dup = {.type = SL_MSG_SUBMIT,
                    .req_id = sl_str("req-a"),
                    .ingress = sl_str("ingress-other"),
                    .model = sl_str("m1"),
                    .body = sl_str("{}")};
    CHECK_INT(sl_sock_send(other, NULL, &dup), ==, 0);
    zframe_t *oframe = NULL;
    sl_msg_t omsg;
    zsock_set_rcvtimeo(other, (int)test_ms(2000));
    oframe = zframe_recv(other);
    CHECK(oframe != NULL);
    CHECK_INT(sl_wire_decode(zframe_data(oframe), zframe_size(oframe), &omsg, NULL, 0), ==, 0);
    CHECK_STR(sl_wire_type_name(omsg.type), "REJECT");
    CHECK_INT(omsg.status, ==, 409);
    zframe_destroy(&oframe);
    zsock_destroy(&other);

    // A worker with one credit gets the queue's head, all fields as submitted, and nothing
    // more: its one credit is taken.
    s_ready(1);
    s_expect_dispatch("req-a", SL_API_ANTHROPIC, true, body_a);
    s_expect_silence(s_t.worker, 300);
    s_submit("req-a", "m1", SL_API_OPENAI, true, "{}"); // re-submitted while in flight: no-op
    s_expect_silence(s_t.worker, 300);

    // Its OUTCOME frees the credit: the next queued request goes out.
    s_outcome("req-a", SL_ERRCLASS_NONE, 200);
    s_expect_dispatch("req-b", SL_API_OPENAI, false, body_b);

    // CANCEL: a queued request leaves the queue; an in-flight one is forwarded to its worker.
    s_submit("req-d", "m1", SL_API_OPENAI, true, "{}");
    s_cancel("req-d");
    s_sync_ingress(true);
    s_cancel("req-b");
    zframe_t *frame = NULL;
    sl_msg_t msg;
    s_recv(s_t.worker, test_ms(2000), true, &frame, &msg);
    CHECK_STR(sl_wire_type_name(msg.type), "CANCEL");
    CHECK_MEM(msg.req_id.ptr, msg.req_id.len, "req-b", 5);
    zframe_destroy(&frame);
    // The worker reports the abort; with req-d gone, the next dispatch is req-e, not req-d.
    s_outcome("req-b", SL_ERRCLASS_USER_ABORT, 499);
    s_submit("req-e", "m1", SL_API_OPENAI, true, "{\"e\":1}");
    s_expect_dispatch("req-e", SL_API_OPENAI, true, "{\"e\":1}");

    // A request that waits longer than timeouts.connect_ms is rejected (the worker stays
    // alive and busy meanwhile).
    int64_t queued_ms = sl_clock_mono_ms();
    s_submit("req-f", "m1", SL_API_OPENAI, true, "{}");
    s_expect_reject("req-f", 503, "overloaded", "no provider worker available", test_ms(5000),
                    true);
    CHECK_INT(sl_clock_mono_ms() - queued_ms, >=, QUEUE_TIMEOUT_MS - 1);

    // A READY that lists a request this broker never dispatched (a restarted broker hears of
    // what its predecessor dispatched): it is adopted, and the ingress's re-submission of it
    // is not dispatched a second time.
    sl_msg_t listing = {.type = SL_MSG_READY,
                        .name = sl_str("w1"),
                        .credits = 1,
                        .count = 2,
                        .req_ids = sl_str(ADOPTED_ID)};
    CHECK_INT(sl_sock_send(s_t.worker, NULL, &listing), ==, 0);
    s_expect_silence(s_t.worker, 200); // READY and SUBMIT come on two sockets: READY first
    s_submit(ADOPTED_ID, "m1", SL_API_OPENAI, true, "{}");
    s_expect_silence(s_t.worker, 300);

    // The worker falls silent: after its liveness its in-flight requests end with 502, the
    // adopted one too (its ingress re-submitted it, so the broker knows whom to tell).
    int64_t silent_from_ms = s_t.last_beat_ms;
    bool lost_e = false, lost_adopted = false;
    for (int i = 0; i < 2; i++) {
        zframe_t *lframe = NULL;
        sl_msg_t lmsg;
        s_recv(s_t.ingress, test_ms(LIVENESS_MS + 5000), false, &lframe, &lmsg);
        CHECK_STR(sl_wire_type_name(lmsg.type), "REJECT");
        CHECK_INT(lmsg.status, ==, 502);
        CHECK(sl_str_eq(lmsg.error_type, "provider_worker_lost"));
        lost_e = lost_e || sl_str_eq(lmsg.req_id, "req-e");
        lost_adopted = lost_adopted || sl_str_eq(lmsg.req_id, ADOPTED_ID);
        zframe_destroy(&lframe);
    }
    CHECK(lost_e && lost_adopted);
    CHECK_INT(sl_clock_mono_ms() - silent_from_ms, >=, LIVENESS_MS - 1);
    // Its late OUTCOME matches nothing and changes nothing.
    s_outcome("req-e", SL_ERRCLASS_NONE, 200);
    s_sync_ingress(false);

    // A request waiting in the queue that a worker's READY then lists (its ingress re-submitted
    // it to a restarted broker before the worker's READY came) leaves the queue: it is adopted,
    // never dispatched a second time, and its OUTCOME frees the credit.
    s_ready(0);
    s_submit(ADOPTED2_ID, "m1", SL_API_OPENAI, true, "{}");
    s_sync_ingress(true);
    sl_msg_t listing2 = {.type = SL_MSG_READY,
                         .name = sl_str("w1"),
                         .credits = 0,
                         .count = 1,
                         .req_ids = sl_str(ADOPTED2_ID)};
    CHECK_INT(sl_sock_send(s_t.worker, NULL, &listing2), ==, 0);
    s_expect_silence(s_t.worker, 200);
    s_ready(1); // a credit, but the adopted request holds it: nothing goes out
    s_expect_silence(s_t.worker, 300);
    s_outcome(ADOPTED2_ID, SL_ERRCLASS_NONE, 200);
    s_submit("req-g", "m1", SL_API_OPENAI, true, "{\"g\":1}"); // the freed credit serves it
    s_expect_dispatch("req-g", SL_API_OPENAI, true, "{\"g\":1}");

    // A provider at its concurrency holds back only its own requests: p2 allows 1 at a time,
    // so h-2 waits for h-1, while h-3, queued after it for p1, goes out at once.
    s_ready(5);
    s_submit("h-1", "m2", SL_API_OPENAI, true, "{}");
    s_expect_dispatch_to("h-1", "p2");
    s_submit("h-2", "m2", SL_API_OPENAI, true, "{}");
    s_submit("h-3", "m1", SL_API_OPENAI, true, "{}");
    s_expect_dispatch_to("h-3", "p1");
    s_expect_silence(s_t.worker, 300); // h-2 still waits
    s_outcome("h-1", SL_ERRCLASS_NONE, 200);
    s_expect_dispatch_to("h-2", "p2");

    // A worker gets at most its share of a provider, ⌈concurrency / processes.provider⌉: p3
    // allows 2 over 2 workers, so this one worker takes 1 at a time although it has credits
    // and p3 has room (the worker would refuse the second with 503).
    s_submit("k-1", "m3", SL_API_OPENAI, true, "{}");
    s_expect_dispatch_to("k-1", "p3");
    s_submit("k-2", "m3", SL_API_OPENAI, true, "{}");
    s_expect_silence(s_t.worker, 300);
    s_outcome("k-1", SL_ERRCLASS_NONE, 200);
    s_expect_dispatch_to("k-2", "p3");

    s_stop();
    CHECK(s_log_has("worker join worker=worker-1 name=w1 credits=1"));
    CHECK(s_log_has("dispatch req=req-a worker=worker-1 target=p1/up-1 attempt=1"));
    CHECK(s_log_has("worker expired worker=worker-1 name=w1 in_flight=2"));

    zsock_destroy(&s_t.worker);
    zsock_destroy(&s_t.ingress);
    zsock_destroy(&s_t.events);
    sl_config_destroy(&s_t.cfg);
    s_t.passed = true;
    return 0;
}
