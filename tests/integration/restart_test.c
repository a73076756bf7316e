// restart_test.c - the supervisor restarts whichever process dies, and sluice serves again.
//
// For each actor in turn: a stream first, then kill -9 of that process, then wait for a new
// process of the same name and for /healthz, then a stream must again arrive whole and be
// stored whole. Before that, a kill -9 of the builder in the middle of a lone paced stream: its
// worker gives the new builder what it kept and the stream goes on, whole, long before any idle
// deadline. Usage: restart_test <sluice> <sluice-mockllm>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "chat.h"
#include "check.h"
#include "http_client.h"
#include "system.h"

static test_system_t s_sys;

// A streaming chat request for content on m1, not yet run: its body (*body_p, caller frees) and
// what the mock's script says it must bring (*e).
static test_http_t *
s_request(const char *content, char **body_p, test_chat_expected_t *e)
{
    *body_p = test_chat_body("m1", content, true);
    CHECK_INT(test_chat_expect(*body_p, e), ==, 0);
    char url[256];
    snprintf(url, sizeof url, "%s/v1/chat/completions", s_sys.base);
    return test_http_new(url, *body_p);
}

// One stream whose text must equal the mock's script, then its stored copy.
static void
s_stream_ok(const char *tag)
{
    char content[128];
    snprintf(content, sizeof content, "after %s [mock tokens=40 split=1]", tag);
    char *body = NULL;
    test_chat_expected_t e;
    test_http_t *r = s_request(content, &body, &e);
    if (!test_http_run(r, test_ms(20000))) {
        fprintf(stderr, "stream %s: no end within 20 s (%zu events)\n", tag, r->n_events);
        test_system_dump_log(&s_sys);
        CHECK(false);
    }
    if (r->status != 200) {
        fprintf(stderr, "stream %s: status %ld: %s\n", tag, r->status, sl_buf_str(&r->body));
        test_system_dump_log(&s_sys);
        CHECK(false);
    }
    test_chat_parsed_t p;
    test_chat_parse(r, &p);
    CHECK(p.done_last);
    CHECK_STR(sl_buf_str(&p.text), sl_buf_str(&e.text));
    sl_buf_free(&p.text);
    free(body);

    char id[64];
    CHECK(test_http_header(r, "x-sluice-stream-id", id, sizeof id));
    test_http_destroy(&r);
    char url[256];
    snprintf(url, sizeof url, "%s/v1/streams/%s", s_sys.base, id);
    bool stored = false;
    for (int64_t waited = 0; waited < test_ms(15000) && !stored; waited += 100) {
        test_http_t *g = test_http_new(url, NULL);
        if (test_http_run(g, 2000) && g->status == 200) {
            cJSON *json = cJSON_Parse(sl_buf_str(&g->body));
            const char *status = cJSON_GetObjectItem(json, "status")->valuestring;
            if (strcmp(status, "complete") == 0) {
                CHECK_STR(cJSON_GetObjectItem(json, "text")->valuestring, sl_buf_str(&e.text));
                CHECK_INT(cJSON_GetObjectItem(json, "tokens")->valuedouble, ==, 40);
                stored = true;
            }
            cJSON_Delete(json);
        }
        test_http_destroy(&g);
        if (!stored)
            test_sleep_ms(100);
    }
    CHECK(stored);
    sl_buf_free(&e.text);
}

static bool
s_has_events(void *arg)
{
    return ((const test_http_t *)arg)->n_events >= 15;
}

// A lone stream at 20 tokens/s loses its builder after 15 events: the worker that serves it
// must send the new builder everything it kept (START, then the kept frames) and go on, so the
// client gets the whole text and [DONE]. A worker that did not would leave the stream silent
// until timeouts.stream_idle_ms (30 s) ends it with an error, past this test's 20 s.
static void
s_builder_dies_mid_stream(void)
{
    char *body = NULL;
    test_chat_expected_t e;
    test_http_t *r = s_request("lone [mock tokens=60 rate=20 split=1]", &body, &e);
    test_http_multi_t *m = test_http_multi_new();
    test_http_multi_add(m, r);
    CHECK(test_http_multi_wait(m, s_has_events, r, test_ms(10000)));
    pid_t builder = test_system_pid(&s_sys, "builder");
    CHECK(builder > 0);
    CHECK_INT(kill(builder, SIGKILL), ==, 0);
    if (!test_http_multi_wait(m, NULL, NULL, test_ms(20000))) {
        fprintf(stderr, "lone stream: no end within 20 s of the builder's kill (%zu events)\n",
                r->n_events);
        test_system_dump_log(&s_sys);
        CHECK(false);
    }
    test_chat_parsed_t p;
    test_chat_parse(r, &p);
    CHECK_INT(r->status, ==, 200);
    CHECK(p.done_last);
    CHECK_INT(p.finish_chunks, ==, 1);
    CHECK_STR(sl_buf_str(&p.text), sl_buf_str(&e.text));
    sl_buf_free(&p.text);
    sl_buf_free(&e.text);
    test_http_multi_destroy(&m);
    test_http_destroy(&r);
    free(body);
    printf("builder killed mid-stream: the stream went on whole\n");
}

static void
s_kill_and_recover(const char *name)
{
    pid_t before[64];
    size_t n = test_system_pids(&s_sys, name, before, 64);
    if (n == 0) {
        fprintf(stderr, "no running sluice-%s found\n", name);
        test_system_dump_log(&s_sys);
        exit(1);
    }
    pid_t old = before[0];
    CHECK_INT(kill(old, SIGKILL), ==, 0);
    bool back = false;
    for (int64_t waited = 0; waited < test_ms(20000) && !back; waited += 50) {
        back = test_system_replaced(&s_sys, name, before, n) && test_system_healthy(&s_sys);
        if (!back)
            test_sleep_ms(50);
    }
    if (!back) {
        fprintf(stderr, "sluice-%s was not restarted\n", name);
        test_system_dump_log(&s_sys);
        exit(1);
    }
    CHECK(test_proc_alive(&s_sys.sluice));
    s_stream_ok(name);
    printf("restart of %s (pid %d): ok\n", name, (int)old);
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: restart_test <sluice> <sluice-mockllm>\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    test_system_start(&s_sys, argv[1], argv[2], NULL);
    s_builder_dies_mid_stream(); // first: on workers that have served nothing yet
    s_stream_ok("start");
    static const char *const names[] = {"builder", "persist", "broker", "provider", "ingress"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        s_kill_and_recover(names[i]);
    CHECK(test_system_stop(&s_sys));
    curl_global_cleanup();
    printf("restart_test: ok\n");
    return 0;
}
