// full_test.c - a store that cannot write, through the real processes: persist.max_bytes caps
// the SQLite file the way a full disk does. A long stream fills it; persistence says so with
// its beats, and new streams get 503 with Retry-After and a message that says why; a stream
// under way ends with an error event once the store has written nothing for stream_idle_ms. Then
// the store is given room (the cap raised, persist restarted on the new file, as an operator frees
// a disk): writes succeed again by themselves, the long stream is stored whole (nothing the
// pipeline held was lost), and new streams are taken again.
// Usage: full_test <sluice> <sluice-mockllm>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "chat.h"
#include "check.h"
#include "http_client.h"
#include "system.h"

#define LONG_TOKENS 3000

static test_system_t s_sys;

static test_http_t *
s_chat(const char *content)
{
    char url[128];
    snprintf(url, sizeof url, "%s/v1/chat/completions", s_sys.base);
    char *body = test_chat_body("m1", content, true);
    test_http_t *r = test_http_new(url, body);
    free(body);
    CHECK(test_http_run(r, test_ms(30000)));
    return r;
}

static bool
s_started(void *arg)
{
    const test_http_t *r = arg;
    return r->n_events > 2;
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: full_test <sluice> <sluice-mockllm>\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_system_start(&s_sys, argv[1], argv[2],
                      "persist: {max_bytes: 65536}\ntimeouts: {stream_idle_ms: 3000}\n");
    // A stream under way while the store fills (20 s of tokens).
    char url[128];
    snprintf(url, sizeof url, "%s/v1/chat/completions", s_sys.base);
    char *slow_body = test_chat_body("m1", "slow one [mock tokens=400 rate=20]", true);
    test_http_t *slow = test_http_new(url, slow_body);
    test_http_multi_t *m = test_http_multi_new();
    test_http_multi_add(m, slow);
    CHECK(test_http_multi_wait(m, s_started, slow, test_ms(10000)));
    char content[128];
    snprintf(content, sizeof content, "fill it [mock tokens=%d]", LONG_TOKENS);
    test_http_t *r = s_chat(content);
    CHECK_INT(r->status, ==, 200);
    char id[64];
    CHECK(test_http_header(r, "x-sluice-stream-id", id, sizeof id));
    test_http_destroy(&r);

    // The store is full: within a few beats new streams are refused, saying why.
    bool refused = false;
    for (int i = 0; i < 100 && !refused; i++) {
        r = s_chat("one more [mock tokens=3]");
        refused = r->status == 503;
        if (refused) {
            CHECK(strstr(sl_buf_str(&r->body), "the store cannot write") != NULL);
            CHECK_INT(test_http_header_long(r, "Retry-After"), ==, 5);
        }
        test_http_destroy(&r);
        if (!refused)
            test_sleep_ms(100);
    }
    CHECK(refused);
    printf("the store filled up: new streams get 503 with Retry-After\n");
    // The stream under way ends with an error event, well before its 20 s of tokens.
    CHECK(test_http_multi_wait(m, NULL, NULL, test_ms(15000)));
    test_chat_parsed_t p;
    test_chat_parse(slow, &p);
    CHECK(p.error_last);
    CHECK_STR(p.error_type, "store_unavailable");
    CHECK(p.content_chunks < 400);
    CHECK_INT(p.finish_chunks, ==, 0);
    printf("the stream under way ended with one error event after %d tokens\n", p.content_chunks);
    sl_buf_free(&p.text);
    test_http_multi_destroy(&m);
    test_http_destroy(&slow);
    free(slow_body);

    // Room again: the cap raised and persist restarted on it (the supervisor restarts it).
    static char cfg[65536];
    FILE *f = fopen(s_sys.cfg, "r");
    CHECK(f != NULL);
    cfg[fread(cfg, 1, sizeof cfg - 1, f)] = '\0';
    fclose(f);
    char *cap = strstr(cfg, "max_bytes: 65536");
    CHECK(cap != NULL);
    memcpy(cap, "max_bytes: 0    ", strlen("max_bytes: 0    "));
    test_write_file(s_sys.cfg, cfg);
    pid_t persist = test_system_pid(&s_sys, "persist");
    CHECK(persist > 0);
    CHECK_INT(kill(persist, SIGKILL), ==, 0);

    // By itself: the long stream is stored whole, and new streams are taken again.
    char path[160];
    snprintf(path, sizeof path, "%s/v1/streams/%s", s_sys.base, id);
    bool whole = false;
    for (int i = 0; i < 300 && !whole; i++) {
        r = test_http_new(path, NULL);
        CHECK(test_http_run(r, test_ms(10000)));
        cJSON *json = r->status == 200 ? cJSON_Parse(sl_buf_str(&r->body)) : NULL;
        whole =
            json
            && strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(json, "status")), "complete") == 0;
        if (whole)
            CHECK_INT((long)cJSON_GetNumberValue(cJSON_GetObjectItem(json, "tokens")), ==,
                      LONG_TOKENS);
        cJSON_Delete(json);
        test_http_destroy(&r);
        if (!whole)
            test_sleep_ms(100);
    }
    CHECK(whole);
    bool taken = false;
    for (int i = 0; i < 100 && !taken; i++) {
        r = s_chat("after [mock tokens=3]");
        taken = r->status == 200;
        test_http_destroy(&r);
        if (!taken)
            test_sleep_ms(100);
    }
    CHECK(taken);
    printf("room again: the long stream stored whole (%d tokens), new streams taken\n",
           LONG_TOKENS);
    CHECK(test_system_stop(&s_sys));
    printf("full_test: ok\n");
    return 0;
}
