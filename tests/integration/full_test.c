// full_test.c - a store that cannot write, through the real processes. On SQLite,
// persist.max_bytes caps the file the way a full disk does, and a long stream fills it; on
// PostgreSQL (the _pg run) the database goes down for sluice: it refuses connections and
// sluice's are cut, and a long stream runs while it is down. Persistence says so with its beats,
// and new streams get 503 with Retry-After and a message that says why; a stream under way
// ends with an error event once the store has written nothing for stream_idle_ms. Then the
// store is back (SQLite: the cap raised, persist restarted on the new file, as an operator
// frees a disk; PostgreSQL: the database takes connections again): writes succeed again by
// themselves, the long stream is stored whole (nothing the pipeline held was lost), and new
// streams are taken again.
// Usage: full_test <sluice> <sluice-mockllm>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "chat.h"
#include "check.h"
#include "http_client.h"
#include "pg.h"
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

// PostgreSQL: let the store's database take connections, or refuse them and cut the open ones
// (from the server's own database, as an operator would).
static void
s_pg_allow(bool allow)
{
    char admin[1200], sql[512];
    const char *db = strstr(s_sys.pg, "dbname=");
    CHECK(db != NULL);
    char name[128];
    CHECK_INT(sscanf(db, "dbname=%127[a-z0-9_]", name), ==, 1);
    snprintf(admin, sizeof admin, "%s dbname=postgres", s_sys.pg); // the last one counts
    snprintf(sql, sizeof sql, "ALTER DATABASE %s ALLOW_CONNECTIONS %s", name,
             allow ? "true" : "false");
    CHECK_INT(test_pg_exec(admin, sql), ==, 0);
    if (allow)
        return;
    snprintf(sql, sizeof sql,
             "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s'", name);
    CHECK_INT(test_pg_exec(admin, sql), ==, 0);
}

// SQLite: room again: the cap raised and persist restarted on it (the supervisor restarts it).
static void
s_room(void)
{
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
    bool pg = test_pg_wanted();
    test_system_start(&s_sys, argv[1], argv[2],
                      pg ? "timeouts: {stream_idle_ms: 3000}\n"
                         : "persist: {max_bytes: 65536}\ntimeouts: {stream_idle_ms: 3000}\n");
    // A stream under way while the store fills (20 s of tokens). Its batches must need new pages
    // once the store is full, not fit in the room left in the pages its rows are in: 4000 tokens
    // are about 250 batches, some 45 KB, far past a leaf page's room (400 tokens fitted there
    // now and then, and the stream ran on to its end).
    char url[128];
    snprintf(url, sizeof url, "%s/v1/chat/completions", s_sys.base);
    char *slow_body = test_chat_body("m1", "slow one [mock tokens=4000 rate=200]", true);
    test_http_t *slow = test_http_new(url, slow_body);
    test_http_multi_t *m = test_http_multi_new();
    test_http_multi_add(m, slow);
    CHECK(test_http_multi_wait(m, s_started, slow, test_ms(10000)));
    if (pg)
        s_pg_allow(false);
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
    printf("the store %s: new streams get 503 with Retry-After\n", pg ? "is down" : "filled up");
    // The stream under way ends with an error event, well before its 20 s of tokens.
    CHECK(test_http_multi_wait(m, NULL, NULL, test_ms(15000)));
    test_chat_parsed_t p;
    test_chat_parse(slow, &p);
    CHECK(p.error_last);
    CHECK_STR(p.error_type, "store_unavailable");
    CHECK(p.content_chunks < 4000);
    CHECK_INT(p.finish_chunks, ==, 0);
    printf("the stream under way ended with one error event after %d tokens\n", p.content_chunks);
    sl_buf_free(&p.text);
    test_http_multi_destroy(&m);
    test_http_destroy(&slow);
    free(slow_body);

    if (pg) {
        s_pg_allow(true); // back: persist connects again at its next write
    } else {
        s_room();
    }

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
    printf("%s: the long stream stored whole (%d tokens), new streams taken\n",
           pg ? "the store is back" : "room again", LONG_TOKENS);
    CHECK(test_system_stop(&s_sys));
    printf("full_test: ok\n");
    return 0;
}
