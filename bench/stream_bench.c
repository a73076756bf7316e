// stream_bench.c - sluice-bench: what sluice costs a stream. Throughput and CPU per token of
// every process, and the latency sluice adds to the first token, each measured through sluice
// and straight against the mock upstream with the same load, so the difference is sluice's.
//
// It starts the mock and `sluice up` in a temporary directory (tests/integration/system.c), then
// runs four phases: unpaced streams (rate=0) straight to the mock, the same through sluice,
// paced streams straight to the mock, the same through sluice. A phase is one warm-up round
// that is not counted, then its rounds: N streams started at once, driven to their end. Every
// stream is checked against the mock's script (text, token count, finish, usage, [DONE]); a
// failure is counted and printed, never measured quietly. Output: a table, or JSON with --json.
// Exit status 0; 1 when a stream failed, a round stalled, a process vanished or sluice did not
// stop cleanly; 2 on a usage error. Not for CTest: timings are figures, not pass/fail goals.
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "chat.h"
#include "cpu.h"
#include "http_client.h"
#include "report.h"
#include "sl/mem.h"
#include "system.h"

// Rounds must end well inside this; a round that does not is a stall, reported as failures.
#define ROUND_TIMEOUT_MS 30000
// How long persist may take to store a finished stream before the run calls it a failure.
#define STORE_TIMEOUT_MS 10000
// The window that measures what sluice costs when idle.
#define IDLE_MS 2000
// Failures printed in full; beyond this only counted.
#define MAX_PRINTED_FAILURES 5

typedef struct {
    int concurrency;                // streams per throughput round
    int tokens;                     // tokens per throughput stream
    int rounds;                     // measured throughput rounds
    int paced_concurrency;          // streams per paced round
    int paced_tokens;               // tokens per paced stream
    int paced_rounds;               // measured paced rounds
    int rate;                       // tokens per second of a paced stream
    bool json;                      // print JSON instead of the table
    char sluice_bin[PATH_MAX + 32]; // the sluice binary
    char mock_bin[PATH_MAX + 32];   // the sluice-mockllm binary
    const char *yaml;               // more config for sluice (--yaml), or NULL
} opts_t;

static test_system_t s_sys;
static int s_printed_failures;

static int64_t
s_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
s_fail(bench_phase_t *ph, int round, int stream, const char *why)
{
    ph->failures++;
    if (s_printed_failures++ < MAX_PRINTED_FAILURES)
        fprintf(stderr, "sluice-bench: %s %s round %d stream %d: %s\n", ph->kind, ph->target, round,
                stream, why);
}

// Monotonic µs of a stream's last event; 0 before any.
static int64_t
s_last_event_us(const test_http_t *r)
{
    return r->n_events ? r->event_us[r->n_events - 1] : 0;
}

// Whether one finished stream is exactly what the mock's script says; on a mismatch the reason
// goes to why.
static bool
s_stream_ok(const test_http_t *r,
            const test_chat_parsed_t *p,
            const test_chat_expected_t *e,
            char *why,
            size_t why_size)
{
    if (!r->done) {
        snprintf(why, why_size, "did not finish (%zu events so far)", r->n_events);
        return false;
    }
    if (r->result != CURLE_OK || r->status != 200) {
        snprintf(why, why_size, "HTTP %ld, curl: %s", r->status, curl_easy_strerror(r->result));
        return false;
    }
    const char *bad = NULL;
    if (p->bad_events)
        bad = "events that are not JSON";
    else if (!p->role_first || p->role_chunks != 1)
        bad = "role chunk not first or not once";
    else if (strcmp(sl_buf_str(&p->text), sl_buf_str(&e->text)) != 0)
        bad = "text differs from the mock's script";
    else if (p->content_chunks != e->tokens)
        bad = "content chunk count differs from the token count";
    else if (p->last_content - p->first_content + 1 != p->content_chunks)
        bad = "content chunks not contiguous";
    else if (p->finish_chunks != 1 || strcmp(p->finish, e->finish) != 0)
        bad = "finish_reason missing, repeated or wrong";
    else if (p->usage_chunks != 1 || p->completion_tokens != e->tokens)
        bad = "usage chunk missing or wrong";
    else if (!p->done_last)
        bad = "[DONE] not last";
    if (bad) {
        snprintf(why, why_size, "%s (%d of %ld tokens, %zu events)", bad, p->content_chunks,
                 e->tokens, r->n_events);
        return false;
    }
    return true;
}

// GET /v1/streams/<id> until it is no longer "streaming"; the JSON (caller deletes) or NULL.
static cJSON *
s_stored(const char *id)
{
    char url[256];
    snprintf(url, sizeof url, "%s/v1/streams/%s", s_sys.base, id);
    int64_t deadline_us = s_now_us() + test_ms(STORE_TIMEOUT_MS) * 1000;
    while (s_now_us() < deadline_us) {
        test_http_t *r = test_http_new(url, NULL);
        bool ok = test_http_run(r, test_ms(5000)) && r->status == 200;
        cJSON *json = ok ? cJSON_Parse(sl_buf_str(&r->body)) : NULL;
        test_http_destroy(&r);
        cJSON *status = cJSON_GetObjectItem(json, "status");
        if (cJSON_IsString(status) && strcmp(status->valuestring, "streaming") != 0)
            return json;
        cJSON_Delete(json);
        test_sleep_ms(5); // a poll interval while persist catches up, not a wait for a process
    }
    return NULL;
}

// The stored copy of a stream holds the whole text, complete.
static bool
s_stored_ok(const char *id, const test_chat_expected_t *e)
{
    cJSON *json = s_stored(id);
    cJSON *status = cJSON_GetObjectItem(json, "status");
    cJSON *tokens = cJSON_GetObjectItem(json, "tokens");
    cJSON *text = cJSON_GetObjectItem(json, "text");
    bool ok = cJSON_IsString(status) && strcmp(status->valuestring, "complete") == 0
              && cJSON_IsNumber(tokens) && (long)tokens->valuedouble == e->tokens
              && cJSON_IsString(text) && strcmp(text->valuestring, sl_buf_str(&e->text)) == 0;
    cJSON_Delete(json);
    return ok;
}

// Halfway through a round: half the tokens it will deliver have arrived.
typedef struct {
    test_http_t **reqs;
    int n;
    int64_t tokens; // the round's tokens, all streams
} s_round_t;

static bool
s_halfway(void *arg)
{
    const s_round_t *r = arg;
    int64_t events = 0;
    for (int i = 0; i < r->n; i++)
        events += (int64_t)r->reqs[i]->n_events;
    return events * 2 >= r->tokens;
}

// Each process's memory now; the most seen stays.
static void
s_mem_snapshot(bench_phase_t *ph)
{
    for (size_t i = 0; i < ph->n_procs; i++) {
        int64_t pss = 0, rss = 0;
        if (bench_mem_read(ph->procs[i].pid, &pss, &rss) != 0)
            continue;
        if (pss > ph->procs[i].pss_kib)
            ph->procs[i].pss_kib = pss;
        if (rss > ph->procs[i].rss_kib)
            ph->procs[i].rss_kib = rss;
    }
}

static void
s_cpu_snapshot(bench_phase_t *ph, bench_cpu_t *out)
{
    for (size_t i = 0; i < ph->n_procs; i++)
        if (bench_cpu_read(ph->procs[i].pid, &out[i]) != 0)
            ph->procs[i].vanished = true;
}

// Record one good stream's latencies: time to the response head (curl's start-transfer time)
// and to the first content token. For a paced stream also each token's delay: the mock sends
// token k at its start + k / rate, so arrival_k - k / rate is that start plus token k's latency;
// minus the smallest such value in the stream it is how much later token k came than the
// stream's quickest token. The reference cancels out the unknown start and the first token's
// own latency, which TTFT already reports.
static void
s_sample(bench_phase_t *ph, const test_http_t *r, const test_chat_parsed_t *p)
{
    curl_off_t ttfb_us = 0;
    if (curl_easy_getinfo(r->easy, CURLINFO_STARTTRANSFER_TIME_T, &ttfb_us) == CURLE_OK)
        bench_samples_add(&ph->ttfb_us, (int64_t)ttfb_us);
    const int64_t *arrival_us = &r->event_us[p->first_content];
    bench_samples_add(&ph->ttft_us, arrival_us[0] - r->added_us);
    if (ph->rate <= 0)
        return;
    int64_t best_us = INT64_MAX;
    for (int k = 0; k < p->content_chunks; k++) {
        int64_t offset_us = arrival_us[k] - (int64_t)k * 1000000 / ph->rate;
        if (offset_us < best_us)
            best_us = offset_us;
    }
    for (int k = 0; k < p->content_chunks; k++)
        bench_samples_add(&ph->delay_us, arrival_us[k] - (int64_t)k * 1000000 / ph->rate - best_us);
}

// One round: ph->concurrency streams of ph->tokens tokens started at once against url, driven to
// their end. A measured round adds to ph; a warm-up round only checks its streams.
static void
s_round(bench_phase_t *ph, const char *url, int round, bool measured)
{
    int n = ph->concurrency;
    test_http_t **reqs = sl_xcalloc((size_t)n, sizeof *reqs);
    char **bodies = sl_xcalloc((size_t)n, sizeof *bodies);
    test_chat_expected_t *expect = sl_xcalloc((size_t)n, sizeof *expect);
    for (int i = 0; i < n; i++) {
        // The same text for the same stream whatever the target, so both do the same work.
        char content[160];
        snprintf(content, sizeof content,
                 "Benchmark %s round %d stream %d. [mock tokens=%d rate=%d split=0]", ph->kind,
                 round, i, ph->tokens, ph->rate);
        bodies[i] = test_chat_body("m1", content, true);
        if (test_chat_expect(bodies[i], &expect[i]) != 0) {
            fprintf(stderr, "sluice-bench: the mock rejects our own directive: %s\n", content);
            exit(2);
        }
        reqs[i] = test_http_new(url, bodies[i]);
    }

    bench_cpu_t *before = sl_xcalloc(ph->n_procs, sizeof *before);
    bench_cpu_t *after = sl_xcalloc(ph->n_procs, sizeof *after);
    test_http_multi_t *m = test_http_multi_new();
    bench_cpu_machine_t machine_before, machine_after;
    (void)bench_cpu_machine_read(&machine_before); // unreadable: zeros, shown as no other load
    int64_t cpu_start_us = s_now_us();
    s_cpu_snapshot(ph, before);
    int64_t start_us = s_now_us();
    for (int i = 0; i < n; i++)
        test_http_multi_add(m, reqs[i]);
    s_round_t half = {reqs, n, (int64_t)n * ph->tokens};
    if (measured && test_http_multi_wait(m, s_halfway, &half, test_ms(ROUND_TIMEOUT_MS)))
        s_mem_snapshot(ph); // reading /proc costs a little CPU, inside the window: noise
    bool finished = test_http_multi_wait(m, NULL, NULL, test_ms(ROUND_TIMEOUT_MS));
    int64_t end_us = s_now_us();

    // Through sluice, wait until persist has stored the stream that finished last, so the CPU
    // persist spends on this round's last batches falls inside the window.
    int last = 0;
    for (int i = 1; i < n; i++)
        if (s_last_event_us(reqs[i]) > s_last_event_us(reqs[last]))
            last = i;
    char id[64];
    bool has_id = ph->via_sluice && finished
                  && test_http_header(reqs[last], "x-sluice-stream-id", id, sizeof id);
    if (has_id) {
        cJSON_Delete(s_stored(id));
        int64_t store_lag_us = s_now_us() - end_us;
        if (measured && store_lag_us > ph->store_lag_max_us)
            ph->store_lag_max_us = store_lag_us;
    }
    s_cpu_snapshot(ph, after);
    int64_t cpu_end_us = s_now_us();
    (void)bench_cpu_machine_read(&machine_after);
    test_http_multi_destroy(&m);

    if (!finished) {
        ph->stalled = true;
        fprintf(stderr, "sluice-bench: %s %s round %d did not finish within %d ms\n", ph->kind,
                ph->target, round, ROUND_TIMEOUT_MS);
    }
    if (measured) {
        ph->rounds++;
        ph->wall_us += end_us - start_us;
        ph->cpu_window_us += cpu_end_us - cpu_start_us;
        ph->machine_used.busy_us += machine_after.busy_us - machine_before.busy_us;
        ph->machine_used.steal_us += machine_after.steal_us - machine_before.steal_us;
        for (size_t i = 0; i < ph->n_procs; i++) {
            bench_cpu_t d;
            bench_cpu_diff(&after[i], &before[i], &d);
            ph->procs[i].used.total_us += d.total_us;
            ph->procs[i].used.zmq_bg_us += d.zmq_bg_us;
            ph->procs[i].used.runq_wait_us += d.runq_wait_us;
            ph->procs[i].used.runs += d.runs;
        }
    }
    for (int i = 0; i < n; i++) {
        test_chat_parsed_t p;
        test_chat_parse(reqs[i], &p);
        char why[256];
        bool ok = s_stream_ok(reqs[i], &p, &expect[i], why, sizeof why);
        if (measured) {
            ph->streams++;
            ph->tokens_total += p.content_chunks;
        }
        if (!ok)
            s_fail(ph, round, i, why);
        else if (measured)
            s_sample(ph, reqs[i], &p);
        // The last measured round's stored copies are checked too: delivered must be durable.
        if (ok && measured && ph->via_sluice && round == ph->rounds_planned) {
            char sid[64];
            ph->stored_checked++;
            if (!test_http_header(reqs[i], "x-sluice-stream-id", sid, sizeof sid)
                || !s_stored_ok(sid, &expect[i])) {
                ph->stored_failures++;
                s_fail(ph, round, i, "stored copy missing, incomplete or different");
            }
        }
        sl_buf_free(&p.text);
        sl_buf_free(&expect[i].text);
        test_http_destroy(&reqs[i]);
        free(bodies[i]);
    }
    free(before);
    free(after);
    free(expect);
    free(bodies);
    free(reqs);
}

// What sluice costs while it carries nothing: heartbeats and timers, measured over idle_ms.
static void
s_measure_idle(bench_report_t *rep, const bench_proc_t *procs, size_t n_procs, int64_t idle_ms)
{
    bench_cpu_t before[BENCH_MAX_PROCS], after[BENCH_MAX_PROCS];
    memcpy(rep->idle, procs, n_procs * sizeof *procs);
    rep->n_idle = n_procs;
    int64_t start_us = s_now_us();
    for (size_t i = 0; i < n_procs; i++)
        rep->idle[i].vanished |= bench_cpu_read(procs[i].pid, &before[i]) != 0;
    test_sleep_ms(idle_ms); // the measurement itself: nothing to wait for
    for (size_t i = 0; i < n_procs; i++) {
        rep->idle[i].vanished |= bench_cpu_read(procs[i].pid, &after[i]) != 0;
        bench_cpu_diff(&after[i], &before[i], &rep->idle[i].used);
    }
    rep->idle_window_us = s_now_us() - start_us;
}

static void
s_phase_run(bench_phase_t *ph)
{
    char url[128];
    snprintf(url, sizeof url, "%s/v1/chat/completions", ph->via_sluice ? s_sys.base : s_sys.mock);
    s_round(ph, url, 0, false);
    for (int round = 1; round <= ph->rounds_planned && !ph->stalled; round++)
        s_round(ph, url, round, true);
}

// Every process whose CPU the phases read, into procs[BENCH_MAX_PROCS] (zeroed first): sluice's
// own (found by the config path on their command line), then the mock, then this client.
static size_t
s_find_procs(bench_proc_t *procs)
{
    memset(procs, 0, BENCH_MAX_PROCS * sizeof *procs);
    test_system_proc_t found[BENCH_MAX_PROCS - 2];
    size_t n = test_system_procs(&s_sys, found, BENCH_MAX_PROCS - 2);
    if (n > BENCH_MAX_PROCS - 2) {
        fprintf(stderr, "sluice-bench: %zu sluice processes, only %d are read\n", n,
                BENCH_MAX_PROCS - 2);
        n = BENCH_MAX_PROCS - 2;
    }
    for (size_t i = 0; i < n; i++) {
        procs[i].pid = found[i].pid;
        memcpy(procs[i].name, found[i].name, sizeof procs[i].name);
        procs[i].sluice = true;
    }
    procs[n].pid = s_sys.mockllm.pid;
    snprintf(procs[n].name, sizeof procs[n].name, "sluice-mockllm");
    procs[n + 1].pid = getpid();
    snprintf(procs[n + 1].name, sizeof procs[n + 1].name, "sluice-bench");
    return n + 2;
}

static void
s_machine(bench_machine_t *m)
{
    memset(m, 0, sizeof *m);
    m->cpus = sysconf(_SC_NPROCESSORS_ONLN);
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            const char *v = strchr(line, ':');
            snprintf(m->cpu_model, sizeof m->cpu_model, "%s", v ? v + 2 : "?");
            m->cpu_model[strcspn(m->cpu_model, "\n")] = '\0';
            break;
        }
    }
    if (f)
        fclose(f);
    struct utsname u;
    f = fopen("/proc/loadavg", "r");
    if (f && fgets(m->loadavg, sizeof m->loadavg, f))
        m->loadavg[strcspn(m->loadavg, "\n")] = '\0';
    if (f)
        fclose(f);
    if (uname(&u) == 0)
        snprintf(m->kernel, sizeof m->kernel, "%s %s %s", u.sysname, u.release, u.machine);
}

static void
s_usage(FILE *out)
{
    fprintf(out,
            "usage: sluice-bench [options]\n"
            "  --concurrency N         streams at once in a throughput round (default 20)\n"
            "  --tokens N              tokens per throughput stream (default 1000)\n"
            "  --rounds N              measured throughput rounds (default 20)\n"
            "  --paced-concurrency N   streams at once in a latency round (default 20)\n"
            "  --paced-tokens N        tokens per latency stream (default 20)\n"
            "  --paced-rounds N        measured latency rounds (default 20)\n"
            "  --rate N                tokens per second of a latency stream (default 50)\n"
            "  --sluice PATH           the sluice binary (default: beside sluice-bench)\n"
            "  --mockllm PATH          the sluice-mockllm binary (default: beside sluice-bench)\n"
            "  --yaml TEXT             more config for sluice, e.g. 'batch: {coalesce_ms: 0}'\n"
            "  --json                  print JSON instead of the table\n");
}

// Parse an integer option value in [min, max]; exits 2 otherwise.
static int
s_int_arg(const char *name, const char *value, int min, int max)
{
    char *end = NULL;
    errno = 0;
    long v = value ? strtol(value, &end, 10) : 0;
    if (!value || errno || *end || v < min || v > max) {
        fprintf(stderr, "sluice-bench: %s wants an integer in %d..%d\n", name, min, max);
        exit(2);
    }
    return (int)v;
}

static void
s_parse_args(int argc, char **argv, opts_t *o)
{
    // About 25 s on a 2-core machine, most of it the paced rounds (0.4 s each).
    *o = (opts_t){.concurrency = 20,
                  .tokens = 1000,
                  .rounds = 20,
                  .paced_concurrency = 20,
                  .paced_tokens = 20,
                  .paced_rounds = 20,
                  .rate = 50};
    // Binaries default to the directory this program was started from (the build's bin dir).
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    snprintf(o->sluice_bin, sizeof o->sluice_bin, "%s/sluice", self);
    snprintf(o->mock_bin, sizeof o->mock_bin, "%s/sluice-mockllm", self);
    // Tokens stay below the client's event cap: role, finish, usage and [DONE] come on top.
    const int max_tokens = TEST_HTTP_MAX_EVENTS - 8;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--json") == 0) {
            o->json = true;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            s_usage(stdout);
            exit(0);
        }
        i++; // every other option takes a value
        if (strcmp(a, "--concurrency") == 0)
            o->concurrency = s_int_arg(a, v, 1, 4000);
        else if (strcmp(a, "--tokens") == 0)
            o->tokens = s_int_arg(a, v, 1, max_tokens);
        else if (strcmp(a, "--rounds") == 0)
            o->rounds = s_int_arg(a, v, 1, 1000);
        else if (strcmp(a, "--paced-concurrency") == 0)
            o->paced_concurrency = s_int_arg(a, v, 1, 4000);
        else if (strcmp(a, "--paced-tokens") == 0)
            o->paced_tokens = s_int_arg(a, v, 2, max_tokens);
        else if (strcmp(a, "--paced-rounds") == 0)
            o->paced_rounds = s_int_arg(a, v, 1, 1000);
        else if (strcmp(a, "--rate") == 0)
            o->rate = s_int_arg(a, v, 1, 100000);
        else if (strcmp(a, "--sluice") == 0 && v)
            snprintf(o->sluice_bin, sizeof o->sluice_bin, "%s", v);
        else if (strcmp(a, "--mockllm") == 0 && v)
            snprintf(o->mock_bin, sizeof o->mock_bin, "%s", v);
        else if (strcmp(a, "--yaml") == 0 && v)
            o->yaml = v;
        else {
            fprintf(stderr, "sluice-bench: unknown option or missing value: %s\n", a);
            s_usage(stderr);
            exit(2);
        }
    }
}

int
main(int argc, char **argv)
{
    opts_t o;
    s_parse_args(argc, argv, &o);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (access(o.sluice_bin, X_OK) != 0 || access(o.mock_bin, X_OK) != 0) {
        fprintf(stderr, "sluice-bench: cannot run %s or %s (see --sluice, --mockllm)\n",
                o.sluice_bin, o.mock_bin);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    bench_report_t rep;
    memset(&rep, 0, sizeof rep);
    s_machine(&rep.machine);

    test_system_start(&s_sys, o.sluice_bin, o.mock_bin, o.yaml);
    bench_proc_t procs[BENCH_MAX_PROCS];
    size_t n_procs = s_find_procs(procs);

    s_measure_idle(&rep, procs, n_procs, IDLE_MS);
    static const struct {
        const char *kind;
        bool via_sluice;
        bool paced;
    } plan[BENCH_PHASES] = {
        {"throughput", false, false},
        {"throughput", true, false},
        {"paced", false, true},
        {"paced", true, true},
    };
    for (int i = 0; i < BENCH_PHASES; i++) {
        bench_phase_t *ph = &rep.phases[i];
        ph->kind = plan[i].kind;
        ph->via_sluice = plan[i].via_sluice;
        ph->target = ph->via_sluice ? "sluice" : "direct";
        ph->concurrency = plan[i].paced ? o.paced_concurrency : o.concurrency;
        ph->tokens = plan[i].paced ? o.paced_tokens : o.tokens;
        ph->rounds_planned = plan[i].paced ? o.paced_rounds : o.rounds;
        ph->rate = plan[i].paced ? o.rate : 0;
        memcpy(ph->procs, procs, sizeof procs);
        ph->n_procs = n_procs;
        s_phase_run(ph);
    }

    // A process that was restarted mid-run would have a new pid: the set must be unchanged.
    bench_proc_t now[BENCH_MAX_PROCS];
    size_t n_now = s_find_procs(now);
    rep.procs_unchanged = n_now == n_procs;
    for (size_t i = 0; i < n_now && rep.procs_unchanged; i++)
        rep.procs_unchanged = now[i].pid == procs[i].pid;
    rep.clean_stop = test_system_stop(&s_sys);
    curl_global_cleanup();

    if (o.json)
        bench_report_json(&rep, stdout);
    else
        bench_report_table(&rep, stdout);
    int failures = 0;
    for (int i = 0; i < BENCH_PHASES; i++) {
        failures += rep.phases[i].failures;
        for (size_t j = 0; j < rep.phases[i].n_procs; j++)
            failures += rep.phases[i].procs[j].vanished;
        failures += rep.phases[i].stalled;
    }
    bench_report_free(&rep);
    return failures || !rep.procs_unchanged || !rep.clean_stop ? 1 : 0;
}
