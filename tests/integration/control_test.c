// control_test.c - the circuit breakers, the control socket (`sluice ctl`), /admin and
// /metrics, through a whole sluice.
//
// The route fb has two targets: provider "dead" (a port nobody listens on: every attempt is
// refused, ProviderDown) and the mock. The breakers open after 3 failures (circuit below):
//   1. three requests to fb are each served by the mock after a refused attempt at dead
//      (x-sluice-attempts: 2); then `sluice ctl circuits` shows dead open;
//   2. while it is open the broker routes around it: fb is served at the first attempt and
//      dead-only (whose one target is dead) is answered 503 with Retry-After at once;
//   3. a second mock starts on dead's port; after the cooldown the breaker half-opens, the
//      next fb request probes dead, which now answers: it is served there (attempt 1, the
//      second mock counts it) and the breaker closes;
//   4. `sluice ctl open/close` shut and reopen a target by hand;
//   5. `sluice ctl status` and GET /admin/status describe every process; GET /metrics is valid
//      Prometheus text (tests/support/prom.c) with the counts of what happened above;
//   6. `sluice ctl reload` takes a new route from the rewritten file (a bad file changes
//      nothing and says why), with no stream dropped;
//   7. `sluice ctl drain` refuses new requests with 503, lets the stream in flight finish
//      whole, and then sluice exits 0.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "http_client.h"
#include "prom.h"
#include "sl/clock.h"
#include "system.h"

#define COOLDOWN_MS 1500

static test_system_t s_sys;
static const char *s_sluice_bin;
static const char *s_mock_bin;
static int s_dead_port;

static test_http_t *
s_chat(const char *model, const char *content, bool stream)
{
    char url[256], body[512];
    snprintf(url, sizeof url, "%s/v1/chat/completions", s_sys.base);
    snprintf(body, sizeof body,
             "{\"model\":\"%s\",\"stream\":%s,\"messages\":[{\"role\":\"user\",\"content\":"
             "\"%s\"}]}",
             model, stream ? "true" : "false", content);
    test_http_t *r = test_http_new(url, body);
    CHECK(test_http_run(r, test_ms(30000)));
    return r;
}

// Send model a whole request until it is answered want: a change the supervisor made reaches
// the broker and the ingress a moment after `sluice ctl` hears of it. At most 5 s.
static void
s_wait_status(const char *model, long want)
{
    for (int64_t waited = 0;; waited += 50) {
        test_http_t *r = s_chat(model, "hello", false);
        long status = r->status;
        test_http_destroy(&r);
        if (status == want)
            return;
        if (waited >= test_ms(5000)) {
            fprintf(stderr, "%s still answers %ld, not %ld\n", model, status, want);
            exit(1);
        }
        test_sleep_ms(50);
    }
}

// Run `sluice ctl -c <cfg> --json <args>`; its stdout into out. Returns its exit status.
static int
s_ctl(const char *args, char *out, size_t size)
{
    char cmd[PATH_MAX * 2];
    snprintf(cmd, sizeof cmd, "'%s' ctl -c '%s' --json %s 2>&1", s_sluice_bin, s_sys.cfg, args);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    size_t n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The state of breaker key in `sluice ctl circuits`, "" when there is none.
static void
s_breaker_state(const char *key, char *state, size_t size)
{
    char out[65536];
    CHECK_INT(s_ctl("circuits", out, sizeof out), ==, 0);
    cJSON *doc = cJSON_Parse(out);
    CHECK(doc != NULL);
    snprintf(state, size, "%s", "");
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(doc, "circuits"))
    {
        if (strcmp(cJSON_GetObjectItem(c, "key")->valuestring, key) == 0)
            snprintf(state, size, "%s", cJSON_GetObjectItem(c, "state")->valuestring);
    }
    cJSON_Delete(doc);
}

static void
s_wait_breaker(const char *key, const char *want)
{
    char state[32] = "";
    for (int64_t waited = 0; waited < test_ms(10000); waited += 50) {
        s_breaker_state(key, state, sizeof state);
        if (strcmp(state, want) == 0)
            return;
        test_sleep_ms(50);
    }
    fprintf(stderr, "breaker %s is '%s', not '%s'\n", key, state, want);
    test_system_dump_log(&s_sys);
    exit(1);
}

static void
test_breaker_opens_and_routes_around(void)
{
    for (int i = 0; i < 3; i++) {
        test_http_t *r = s_chat("fb", "hello", false);
        CHECK_INT(r->status, ==, 200);
        CHECK_INT(test_http_header_long(r, "x-sluice-attempts"), ==,
                  2); // dead refused, mock served
        test_http_destroy(&r);
    }
    s_wait_breaker("dead", "open");
    s_wait_breaker("dead/mock-up", "open");
    // The broker hears of it from the supervisor's CIRCUIT: fb goes straight to the mock.
    for (int64_t waited = 0;; waited += 50) {
        test_http_t *r = s_chat("fb", "hello", false);
        CHECK_INT(r->status, ==, 200);
        long attempts = test_http_header_long(r, "x-sluice-attempts");
        test_http_destroy(&r);
        if (attempts == 1)
            break;
        CHECK(waited < test_ms(5000));
        test_sleep_ms(50);
    }
    // A route with no other target: 503 at once, with Retry-After, no attempt made.
    test_http_t *r = s_chat("dead-only", "hello", false);
    CHECK_INT(r->status, ==, 503);
    CHECK(test_http_header_long(r, "retry-after") >= 1);
    CHECK(strstr(sl_buf_str(&r->body), "circuit breaker is open") != NULL);
    test_http_destroy(&r);
    printf("breaker opened after 3 refused attempts; fb served by its fallback at attempt 1, "
           "dead-only answered 503\n");

    // validate: the config loads; every provider but dead answers a TCP connect.
    static char out[65536];
    CHECK(s_ctl("validate", out, sizeof out) != 0);
    cJSON *doc = cJSON_Parse(strchr(out, '{'));
    CHECK(doc != NULL);
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(doc, "ok")));
    int reachable = 0, unreachable = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(doc, "providers"))
    {
        bool up = cJSON_IsTrue(cJSON_GetObjectItem(p, "reachable"));
        if (strcmp(cJSON_GetObjectItem(p, "name")->valuestring, "dead") == 0) {
            CHECK(!up);
            CHECK(strstr(cJSON_GetObjectItem(p, "error")->valuestring, "refused") != NULL);
        }
        reachable += up;
        unreachable += !up;
    }
    CHECK_INT(reachable, ==, 3); // mock, mock-anthropic, mock-cohere: the one mock
    CHECK_INT(unreachable, ==, 1);
    cJSON_Delete(doc);
    printf("ctl validate: the config loads, dead is unreachable, 3 providers answer\n");
}

static void
test_breaker_half_opens_and_closes(test_proc_t *revived)
{
    // dead comes back: a second mock on its port.
    char port[16];
    snprintf(port, sizeof port, "%d", s_dead_port);
    char *argv[] = {(char *)s_mock_bin, "--port", port, NULL};
    *revived = test_proc_start(argv, true, s_sys.log);
    char line[256];
    CHECK(test_proc_read_line(revived, "mockllm listening on ", line, sizeof line, test_ms(10000)));
    s_wait_breaker("dead", "half_open");
    // The broker hears of the half-open a moment after `sluice ctl` does: until then fb is
    // served by its fallback. The request that probes dead closes the breaker.
    char state[32] = "";
    for (int64_t waited = 0; strcmp(state, "closed") != 0; waited += 20) {
        CHECK(waited < test_ms(5000));
        test_http_t *r = s_chat("fb", "probe", false);
        CHECK_INT(r->status, ==, 200);
        CHECK_INT(test_http_header_long(r, "x-sluice-attempts"), ==, 1);
        test_http_destroy(&r);
        s_breaker_state("dead", state, sizeof state);
        if (strcmp(state, "closed") != 0)
            test_sleep_ms(20);
    }
    // The probe went to the revived upstream, not to the first mock.
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/mock/requests", s_dead_port);
    test_http_t *g = test_http_new(url, NULL);
    CHECK(test_http_run(g, test_ms(5000)));
    CHECK_INT(g->status, ==, 200);
    cJSON *doc = cJSON_Parse(sl_buf_str(&g->body));
    CHECK(doc != NULL);
    const cJSON *reqs = cJSON_GetObjectItem(doc, "requests");
    CHECK(cJSON_IsNumber(reqs) && reqs->valueint == 1);
    cJSON_Delete(doc);
    test_http_destroy(&g);
    printf("breaker half-opened after the cooldown; the probe was served by the revived "
           "upstream and closed it\n");
}

static void
test_manual_open_close(void)
{
    char out[4096];
    CHECK_INT(s_ctl("open mock", out, sizeof out), ==, 0);
    CHECK(strstr(out, "\"forced_open\"") != NULL);
    s_wait_status("m1", 503);
    CHECK_INT(s_ctl("close mock", out, sizeof out), ==, 0);
    CHECK(strstr(out, "\"closed\"") != NULL);
    s_wait_status("m1", 200);
    CHECK(s_ctl("close no-such-breaker", out, sizeof out) != 0);
    CHECK(strstr(out, "no breaker named 'no-such-breaker'") != NULL);
    CHECK(s_ctl("frobnicate", out, sizeof out) != 0);
    CHECK(strstr(out, "unknown command 'frobnicate'") != NULL);
    printf("ctl open/close shut and reopened a target; unknown breaker and command refused\n");
}

static void
test_status_and_metrics(void)
{
    static char out[1 << 20];
    CHECK_INT(s_ctl("status", out, sizeof out), ==, 0);
    cJSON *doc = cJSON_Parse(out);
    CHECK(doc != NULL);
    CHECK(strcmp(cJSON_GetObjectItem(doc, "state")->valuestring, "up") == 0);
    const cJSON *procs = cJSON_GetObjectItem(doc, "processes");
    CHECK_INT(cJSON_GetArraySize(procs), ==, 6); // persist, builder, broker, 2 workers, ingress
    const cJSON *p;
    cJSON_ArrayForEach(p, procs)
    {
        CHECK(strcmp(cJSON_GetObjectItem(p, "state")->valuestring, "up") == 0);
        CHECK(cJSON_GetObjectItem(p, "pid")->valuedouble > 0);
    }
    cJSON_Delete(doc);
    // top: the status again every second, here twice.
    CHECK_INT(s_ctl("top --count 2", out, sizeof out), ==, 0);
    const char *second = strstr(out, "\"processes\"");
    CHECK(second && strstr(second + 1, "\"processes\"") != NULL);

    char url[128];
    snprintf(url, sizeof url, "%s/admin/status", s_sys.base);
    test_http_t *r = test_http_new(url, NULL);
    CHECK(test_http_run(r, test_ms(5000)));
    CHECK_INT(r->status, ==, 200);
    doc = cJSON_Parse(sl_buf_str(&r->body));
    CHECK(doc && cJSON_GetArraySize(cJSON_GetObjectItem(doc, "processes")) == 6);
    cJSON_Delete(doc);
    test_http_destroy(&r);

    // The counters reach the supervisor with each process's next heartbeat.
    test_sleep_ms(test_ms(1500));
    snprintf(url, sizeof url, "%s/metrics", s_sys.base);
    r = test_http_new(url, NULL);
    CHECK(test_http_run(r, test_ms(5000)));
    CHECK_INT(r->status, ==, 200);
    char type[128];
    CHECK(test_http_header(r, "content-type", type, sizeof type));
    CHECK(strncmp(type, "text/plain; version=0.0.4", 25) == 0);
    char err[256];
    prom_t *prom = prom_parse(r->body.data, r->body.len, err, sizeof err);
    if (!prom)
        fprintf(stderr, "/metrics: %s\n%s\n", err, sl_buf_str(&r->body));
    CHECK(prom != NULL);
    bool found = false;
    // 3 + at least 1 + 1 fb requests so far, all 200; dead-only's 503; m1's 503s and 200s.
    CHECK(prom_value(prom, "sluice_requests_total", "route=\"fb\",status=\"200\"", &found) >= 5);
    CHECK(found);
    CHECK_INT(
        prom_value(prom, "sluice_requests_total", "route=\"dead-only\",status=\"503\"", &found), ==,
        1);
    CHECK(prom_value(prom, "sluice_circuit_transitions_total", "key=\"dead\",to=\"open\"", &found)
          >= 1);
    CHECK(found);
    CHECK(prom_value(prom, "sluice_upstream_attempts_total",
                     "provider=\"dead\",model=\"mock-up\",status=\"502\",class=\"provider_down\"",
                     &found)
          == 3);
    CHECK(prom_value(prom, "sluice_fallbacks_total", "route=\"fb\"", &found) >= 4);
    CHECK_INT(prom_value(prom, "sluice_circuit_state", "key=\"dead\"", &found), ==, 0);
    CHECK(found);
    CHECK(prom_count(prom, "sluice_process_up") == 6);
    CHECK(strcmp(prom_type(prom, "sluice_ttft_seconds"), "histogram") == 0);
    CHECK(prom_value(prom, "sluice_ttft_seconds_count", "route=\"fb\"", &found) >= 5);
    CHECK(prom_value(prom, "sluice_tokens_total", "route=\"fb\"", &found) > 0);
    CHECK_INT(prom_value(prom, "sluice_streams_in_flight", NULL, &found), ==, 0);
    CHECK(found);
    // A test generation through a route, with its report.
    snprintf(url, sizeof url, "%s/admin/generate", s_sys.base);
    test_http_t *g = test_http_new(url, "{\"model\":\"m1\",\"prompt\":\"hi [mock tokens=7]\"}");
    CHECK(test_http_run(g, test_ms(10000)));
    CHECK_INT(g->status, ==, 200);
    doc = cJSON_Parse(sl_buf_str(&g->body));
    CHECK(doc != NULL);
    CHECK_INT(cJSON_GetObjectItem(doc, "status")->valueint, ==, 200);
    CHECK_INT(cJSON_GetObjectItem(doc, "attempts")->valueint, ==, 1);
    CHECK_INT(cJSON_GetObjectItem(doc, "tokens")->valueint, ==, 7);
    CHECK(cJSON_IsNumber(cJSON_GetObjectItem(doc, "ttft_ms")));
    CHECK(cJSON_GetObjectItem(doc, "total_ms")->valuedouble
          >= cJSON_GetObjectItem(doc, "ttft_ms")->valuedouble);
    CHECK(strlen(cJSON_GetObjectItem(doc, "text")->valuestring) > 0);
    CHECK(strcmp(cJSON_GetObjectItem(doc, "finish_reason")->valuestring, "stop") == 0);
    cJSON_Delete(doc);
    test_http_destroy(&g);
    g = test_http_new(url, "{\"prompt\":\"no model\"}");
    CHECK(test_http_run(g, test_ms(10000)));
    CHECK_INT(g->status, ==, 400);
    CHECK(strstr(sl_buf_str(&g->body), "model: a route's alias is required") != NULL);
    test_http_destroy(&g);

    printf("ctl status and /admin/status list 6 processes up; /metrics parses (%zu bytes) with "
           "the counts of every step\n",
           r->body.len);
    prom_destroy(&prom);
    test_http_destroy(&r);
}

// The file as it was started, with new_route appended to the routes (YAML list item).
static void
s_rewrite_config(const char *new_route)
{
    FILE *f = fopen(s_sys.cfg, "r");
    CHECK(f != NULL);
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    static char out[65536 + 1024];
    char *routes = strstr(text, "routes:\n");
    CHECK(routes != NULL);
    routes += strlen("routes:\n");
    snprintf(out, sizeof out, "%.*s%s%s", (int)(routes - text), text, new_route, routes);
    test_write_file(s_sys.cfg, out);
}

// Lines of the processes' log that hold text.
static int
s_log_count(const char *text)
{
    FILE *f = fopen(s_sys.log, "r");
    CHECK(f != NULL);
    char line[2048];
    int n = 0;
    while (fgets(line, sizeof line, f))
        n += strstr(line, text) != NULL;
    fclose(f);
    return n;
}

// Waits until the log holds text on n lines (a process takes a SIGHUP on its next loop pass).
static void
s_wait_log(const char *text, int n)
{
    for (int64_t waited = 0; s_log_count(text) < n && waited < test_ms(10000); waited += 50)
        test_sleep_ms(50);
    CHECK_INT(s_log_count(text), ==, n);
}

static void
test_reload(void)
{
    char out[4096];
    int exits = s_log_count("child exited");
    test_http_t *r = s_chat("m-new", "hello", false);
    CHECK_INT(r->status, ==, 404);
    test_http_destroy(&r);
    s_rewrite_config("  - {model: m-new, targets: [{provider: mock, model: mock-up}]}\n");
    CHECK_INT(s_ctl("reload", out, sizeof out), ==, 0);
    CHECK(strstr(out, "\"reloaded\":true") != NULL);
    CHECK(strstr(out, "\"restart_needed\":[]") != NULL); // a route: nothing else changed
    s_wait_status("m-new", 200);
    // Both the broker and the ingress took it before the next one (two SIGHUPs that arrive
    // before a process's next pass are one reload of the newest file).
    s_wait_log("reload: 6 routes", 2);
    static char good[65536];
    FILE *f = fopen(s_sys.cfg, "r");
    CHECK(f != NULL);
    good[fread(good, 1, sizeof good - 1, f)] = '\0';
    fclose(f);
    // Keys read once at start are named; the ones reload applies are not.
    static char more[65536 + 256];
    snprintf(more, sizeof more,
             "%sbatch: {max_tokens: 8, coalesce_ms: 2}\n"
             "timeouts: {idle_ms: 4000, total_ms: 60000}\nreliability: {heartbeat_ms: 900}\n",
             good);
    test_write_file(s_sys.cfg, more);
    CHECK_INT(s_ctl("reload", out, sizeof out), ==, 0);
    CHECK(strstr(out, "\"restart_needed\":[\"batch.max_tokens\",\"timeouts.total_ms\","
                      "\"reliability.heartbeat_ms\"]")
          != NULL);
    printf("ctl reload named the keys that need a restart: %s\n", out);
    // Reloads are taken by the running processes: none stopped (a SIGHUP that interrupted a
    // process's poll used to end its loop, and the supervisor restarted it).
    s_wait_log("reload: 6 routes", 4); // the broker and the ingress, twice
    CHECK_INT(s_log_count("child exited"), ==, exits);
    test_write_file(s_sys.cfg, good);
    s_rewrite_config("  - {model: m-bad, targetz: []}\n");
    // The supervisor refuses it (through /admin/reload, as `sluice ctl` itself cannot read it).
    char url[128];
    snprintf(url, sizeof url, "%s/admin/reload", s_sys.base);
    r = test_http_new(url, "");
    CHECK(test_http_run(r, test_ms(5000)));
    CHECK_INT(r->status, ==, 400);
    CHECK(strstr(sl_buf_str(&r->body), "targetz: unknown key") != NULL);
    printf("ctl reload took a new route; a bad file was refused: %s\n", sl_buf_str(&r->body));
    test_http_destroy(&r);
    CHECK(s_ctl("reload", out, sizeof out) != 0);
    CHECK(strstr(out, "targetz: unknown key") != NULL);
    test_write_file(s_sys.cfg, good);
    r = s_chat("m-new", "hello", false); // the config in use stays
    CHECK_INT(r->status, ==, 200);
    test_http_destroy(&r);
}

static void
test_drain(void)
{
    // A slow stream in flight: 40 tokens at 20 per second.
    char url[256];
    snprintf(url, sizeof url, "%s/v1/chat/completions", s_sys.base);
    test_http_t *slow = test_http_new(
        url, "{\"model\":\"m1\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":"
             "\"drain me [mock tokens=40 rate=20]\"}]}");
    test_http_multi_t *multi = test_http_multi_new();
    test_http_multi_add(multi, slow);
    CHECK(test_http_multi_wait(multi, NULL, NULL, 300) || true); // let it start
    char out[4096];
    CHECK_INT(s_ctl("drain", out, sizeof out), ==, 0);
    CHECK(strstr(out, "\"draining\":true") != NULL);
    s_wait_status("m1", 503);
    CHECK(test_http_multi_wait(multi, NULL, NULL, test_ms(30000)));
    CHECK_INT(slow->status, ==, 200);
    CHECK(slow->n_events >= 2);
    CHECK(strcmp(slow->events[slow->n_events - 1], "[DONE]") == 0);
    test_http_multi_destroy(&multi);
    test_http_destroy(&slow);
    int status = test_proc_stop(&s_sys.sluice, 0, test_ms(20000)); // exits on its own
    CHECK_INT(status, ==, 0);
    printf("ctl drain: new requests 503, the stream in flight finished whole, sluice exited 0\n");
}

int
main(int argc, char **argv)
{
    CHECK(argc == 3);
    s_sluice_bin = argv[1];
    s_mock_bin = argv[2];
    s_dead_port = test_free_port();
    char providers[256];
    snprintf(providers, sizeof providers,
             "  - {name: dead, kind: openai, base_url: \"http://127.0.0.1:%d/v1\"}\n", s_dead_port);
    char yaml[256];
    snprintf(yaml, sizeof yaml,
             "circuit: {window_ms: 60000, min_failures: 3, failure_ratio_pct: 0, "
             "cooldown_ms: %d}\n",
             COOLDOWN_MS);
    test_system_start_with(&s_sys, s_sluice_bin, s_mock_bin, providers,
                           "  - model: fb\n"
                           "    targets: [{provider: dead, model: mock-up}, "
                           "{provider: mock, model: mock-up}]\n"
                           "  - {model: dead-only, targets: [{provider: dead, model: mock-up}]}\n",
                           yaml);
    test_proc_t revived;
    test_breaker_opens_and_routes_around();
    test_breaker_half_opens_and_closes(&revived);
    test_manual_open_close();
    test_status_and_metrics();
    test_reload();
    test_drain();
    test_proc_stop(&revived, SIGTERM, test_ms(5000));
    test_proc_stop(&s_sys.mockllm, SIGTERM, test_ms(5000));
    CHECK_INT(test_system_procs(&s_sys, NULL, 0), ==, 0); // the drain stopped every process
    return 0;
}
