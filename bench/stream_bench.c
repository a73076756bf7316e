// stream_bench.c - sluice-bench: what sluice costs a stream. Throughput and CPU per token of
// every process, and the latency sluice adds to the first token, each measured through sluice,
// through peer gateways (HAProxy, Portkey; --peers) and straight against the mock upstream with
// the same load, so the difference is each target's.
//
// It starts the mock and `sluice up` in a temporary directory (tests/integration/system.c), and
// the peers asked for beside them (peers.c), then runs its phases: paced streams (one token per
// upstream write at --rate tokens/s) against every target in turn, direct first, and with
// --throughput unpaced streams (rate=0) against every target before that. A phase is one
// warm-up round that is not counted, then its rounds: N streams started at once, driven to their
// end. Every stream is checked against the mock's script (text, token count, finish, usage,
// [DONE]); a failure is counted and printed, never measured quietly. Output: a table, or JSON
// with --json (--json-out writes it to a file beside the table). Exit status 0; 1 when a stream
// failed, a round stalled, a process vanished, a peer did not start, or sluice did not stop
// cleanly; 2 on a usage error or when a peer named in --targets is not installed. Not for
// CTest: timings are figures, not pass/fail goals.
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "chat.h"
#include "cpu.h"
#include "http_client.h"
#include "peers.h"
#include "report.h"
#include "sl/err.h"
#include "sl/mem.h"
#include "system.h"

// Rounds must end well inside this, plus the time a paced stream takes by its pace; a round that
// does not is a stall, reported as failures.
#define ROUND_TIMEOUT_MS 30000
// Tokens per stream in a warm-up round, at most: enough to open the connections, fault in the
// buffers and warm Node's JIT, without a slow pace doubling the run.
#define WARMUP_TOKENS 50
// How long persist may take to store a finished stream before the run calls it a failure.
#define STORE_TIMEOUT_MS 10000
// The window that measures what sluice costs when idle.
#define IDLE_MS 2000
// Failures printed in full; beyond this only counted.
#define MAX_PRINTED_FAILURES 5

typedef struct {
    bool throughput;                   // run the unpaced phases too
    int concurrency;                   // streams per throughput round
    int tokens;                        // tokens per throughput stream
    int rounds;                        // measured throughput rounds
    int paced_concurrency;             // streams per paced round
    int paced_tokens;                  // tokens per paced stream
    int paced_rounds;                  // measured paced rounds
    int rate;                          // tokens per second of a paced stream
    bool json;                         // print JSON instead of the table
    const char *json_out;              // also write the JSON here (--json-out), or NULL
    bool sluice;                       // run the phases through sluice (it always starts)
    bool peer[BENCH_PEER_KINDS];       // run the phases through this peer when installed
    bool peer_named[BENCH_PEER_KINDS]; // ... named in --targets: not installed is an error
    bench_peer_cfg_t peer_cfg;         // where the peers' programs are
    char portkey_dir[PATH_MAX + 32];   // default for peer_cfg.portkey_dir
    char sluice_bin[PATH_MAX + 32];    // the sluice binary
    char mock_bin[PATH_MAX + 32];      // the sluice-mockllm binary
    const char *yaml;                  // more config for sluice (--yaml), or NULL
} opts_t;

// A target the phases run against.
typedef struct {
    const char *name;           // static: "direct", "sluice", "haproxy" or "portkey"
    char url[160];              // its chat completions URL
    const char *const *headers; // borrowed: request headers it needs, NULL-terminated; or NULL
} s_target_t;

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

// Add the target's request headers to r.
static void
s_add_headers(test_http_t *r, const s_target_t *t)
{
    if (!t->headers || !t->headers[0])
        return;
    for (const char *const *h = t->headers; *h; h++) {
        struct curl_slist *l = curl_slist_append(r->req_headers, *h);
        if (!l)
            abort(); // out of memory: the benchmark cannot go on (curl kept the list intact)
        r->req_headers = l;
    }
    if (curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->req_headers) != CURLE_OK)
        abort(); // libcurl refuses an option it has had since 7.1: nothing to measure with
}

// One round: ph->concurrency streams of ph->tokens tokens (a warm-up round: at most
// WARMUP_TOKENS) started at once against the target, driven to their end. A measured round adds
// to ph; a warm-up round only checks its streams.
static void
s_round(bench_phase_t *ph, const s_target_t *target, int round, bool measured)
{
    int n = ph->concurrency;
    int tokens = measured || ph->tokens < WARMUP_TOKENS ? ph->tokens : WARMUP_TOKENS;
    int64_t timeout_ms =
        test_ms(ROUND_TIMEOUT_MS + (ph->rate ? (int64_t)tokens * 1000 / ph->rate : 0));
    test_http_t **reqs = sl_xcalloc((size_t)n, sizeof *reqs);
    char **bodies = sl_xcalloc((size_t)n, sizeof *bodies);
    test_chat_expected_t *expect = sl_xcalloc((size_t)n, sizeof *expect);
    for (int i = 0; i < n; i++) {
        // The same text for the same stream whatever the target, so each does the same work.
        char content[160];
        snprintf(content, sizeof content,
                 "Benchmark %s round %d stream %d. [mock tokens=%d rate=%d split=0]", ph->kind,
                 round, i, tokens, ph->rate);
        bodies[i] = test_chat_body("m1", content, true);
        if (test_chat_expect(bodies[i], &expect[i]) != 0) {
            fprintf(stderr, "sluice-bench: the mock rejects our own directive: %s\n", content);
            exit(2);
        }
        reqs[i] = test_http_new(target->url, bodies[i]);
        s_add_headers(reqs[i], target);
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
    s_round_t half = {reqs, n, (int64_t)n * tokens};
    if (measured && test_http_multi_wait(m, s_halfway, &half, timeout_ms))
        s_mem_snapshot(ph); // reading /proc costs a little CPU, inside the window: noise
    bool finished = test_http_multi_wait(m, NULL, NULL, timeout_ms);
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
        fprintf(stderr, "sluice-bench: %s %s round %d did not finish within %lld ms\n", ph->kind,
                ph->target, round, (long long)timeout_ms);
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
s_phase_run(bench_phase_t *ph, const s_target_t *target)
{
    s_round(ph, target, 0, false);
    for (int round = 1; round <= ph->rounds_planned && !ph->stalled; round++)
        s_round(ph, target, round, true);
}

// Every process whose CPU the phases read, into procs[BENCH_MAX_PROCS] (zeroed first): sluice's
// own (found by the config path on their command line), the running peers', then the mock, then
// this client.
static size_t
s_find_procs(bench_proc_t *procs, bench_peer_t *const *peers)
{
    memset(procs, 0, BENCH_MAX_PROCS * sizeof *procs);
    const size_t others = 2 + BENCH_PEER_KINDS;
    test_system_proc_t found[BENCH_MAX_PROCS];
    size_t n = test_system_procs(&s_sys, found, BENCH_MAX_PROCS - others);
    if (n > BENCH_MAX_PROCS - others) {
        fprintf(stderr, "sluice-bench: %zu sluice processes, only %zu are read\n", n,
                BENCH_MAX_PROCS - others);
        n = BENCH_MAX_PROCS - others;
    }
    for (size_t i = 0; i < n; i++) {
        procs[i].pid = found[i].pid;
        memcpy(procs[i].name, found[i].name, sizeof procs[i].name);
        procs[i].sluice = true;
        procs[i].target = "sluice";
    }
    for (int k = 0; k < BENCH_PEER_KINDS; k++) {
        if (!peers[k] || bench_peer_pid(peers[k]) <= 0)
            continue;
        procs[n].pid = bench_peer_pid(peers[k]);
        procs[n].target = bench_peer_name(peers[k]);
        snprintf(procs[n].name, sizeof procs[n].name, "%s",
                 k == BENCH_PEER_PORTKEY ? "node (portkey)" : "haproxy");
        n++;
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
            "paced streams, the default phase (one token per upstream write):\n"
            "  --paced-concurrency N   streams at once in a paced round (default 50)\n"
            "  --paced-tokens N        tokens per paced stream (default 200)\n"
            "  --paced-rounds N        measured paced rounds (default 3)\n"
            "  --rate N                tokens per second of a paced stream (default 250)\n"
            "unpaced streams, with --throughput (or any of its options):\n"
            "  --throughput            run the unpaced phase before the paced one\n"
            "  --concurrency N         streams at once in a throughput round (default 20)\n"
            "  --tokens N              tokens per throughput stream (default 1000)\n"
            "  --rounds N              measured throughput rounds (default 10)\n"
            "targets (direct, the mock itself, always runs first as the baseline):\n"
            "  --peers                 also HAProxy and Portkey, each skipped when not installed\n"
            "  --targets LIST          comma-separated from direct,sluice,haproxy,portkey; a peer\n"
            "                          named here that is not installed is an error\n"
            "  --haproxy PATH          haproxy (default: PATH, then /usr/sbin)\n"
            "  --node PATH             node for Portkey (default: PATH)\n"
            "  --portkey-dir DIR       where node_modules holds @portkey-ai/gateway (default:\n"
            "                          build/bench-peers, as scripts/bench-deps installs it)\n"
            "other:\n"
            "  --sluice PATH           the sluice binary (default: beside sluice-bench)\n"
            "  --mockllm PATH          the sluice-mockllm binary (default: beside sluice-bench)\n"
            "  --yaml TEXT             more config for sluice, e.g. 'batch: {coalesce_ms: 0}'\n"
            "  --json                  print JSON instead of the table\n"
            "  --json-out FILE         also write the JSON to FILE\n");
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

// --targets: the named targets run; direct always does. Exits 2 on an unknown name.
static void
s_targets_arg(const char *value, opts_t *o)
{
    char list[256];
    snprintf(list, sizeof list, "%s", value ? value : "");
    o->sluice = false;
    char *save = NULL;
    for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        bench_peer_kind_t kind;
        if (strcmp(t, "direct") == 0)
            continue;
        else if (strcmp(t, "sluice") == 0)
            o->sluice = true;
        else if (bench_peer_kind_parse(t, &kind) == 0)
            o->peer[kind] = o->peer_named[kind] = true;
        else {
            fprintf(stderr,
                    "sluice-bench: --targets: unknown target '%s' (direct, sluice, %s, %s)\n", t,
                    bench_peer_kind_name(BENCH_PEER_HAPROXY),
                    bench_peer_kind_name(BENCH_PEER_PORTKEY));
            exit(2);
        }
    }
}

// Portkey's default directory: build/bench-peers beside the bin directory this program runs
// from (the release build: build/bin), else the source tree's (BENCH_PEERS_DIR), where
// scripts/bench-deps installs it.
static void
s_default_portkey_dir(const char *self_dir, opts_t *o)
{
    char probe[PATH_MAX + 128];
    snprintf(o->portkey_dir, sizeof o->portkey_dir, "%s/../bench-peers", self_dir);
    snprintf(probe, sizeof probe, "%s/node_modules/@portkey-ai/gateway", o->portkey_dir);
    if (access(probe, R_OK) != 0)
        snprintf(o->portkey_dir, sizeof o->portkey_dir, "%s", BENCH_PEERS_DIR);
    o->peer_cfg.portkey_dir = o->portkey_dir;
}

static void
s_parse_args(int argc, char **argv, opts_t *o)
{
    // Paced by default: one token per upstream write is how a model streams, and what costs a
    // gateway most per token. About 20 s with the peers on a 2-core machine.
    *o = (opts_t){.concurrency = 20,
                  .tokens = 1000,
                  .rounds = 10,
                  .paced_concurrency = 50,
                  .paced_tokens = 200,
                  .paced_rounds = 3,
                  .rate = 250,
                  .sluice = true};
    // Binaries default to the directory this program was started from (the build's bin dir).
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    snprintf(o->sluice_bin, sizeof o->sluice_bin, "%s/sluice", self);
    snprintf(o->mock_bin, sizeof o->mock_bin, "%s/sluice-mockllm", self);
    s_default_portkey_dir(self, o);
    // Tokens stay below the client's event cap: role, finish, usage and [DONE] come on top.
    const int max_tokens = TEST_HTTP_MAX_EVENTS - 8;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--json") == 0) {
            o->json = true;
            continue;
        }
        if (strcmp(a, "--throughput") == 0) {
            o->throughput = true;
            continue;
        }
        if (strcmp(a, "--peers") == 0) {
            for (int k = 0; k < BENCH_PEER_KINDS; k++)
                o->peer[k] = true;
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
            o->paced_concurrency = s_int_arg(a, v, 1, 20000);
        else if (strcmp(a, "--paced-tokens") == 0)
            o->paced_tokens = s_int_arg(a, v, 2, max_tokens);
        else if (strcmp(a, "--paced-rounds") == 0)
            o->paced_rounds = s_int_arg(a, v, 1, 1000);
        else if (strcmp(a, "--rate") == 0)
            o->rate = s_int_arg(a, v, 1, 100000);
        else if (strcmp(a, "--targets") == 0 && v)
            s_targets_arg(v, o);
        else if (strcmp(a, "--haproxy") == 0 && v)
            o->peer_cfg.haproxy_bin = v;
        else if (strcmp(a, "--node") == 0 && v)
            o->peer_cfg.node_bin = v;
        else if (strcmp(a, "--portkey-dir") == 0 && v)
            o->peer_cfg.portkey_dir = v;
        else if (strcmp(a, "--sluice") == 0 && v)
            snprintf(o->sluice_bin, sizeof o->sluice_bin, "%s", v);
        else if (strcmp(a, "--mockllm") == 0 && v)
            snprintf(o->mock_bin, sizeof o->mock_bin, "%s", v);
        else if (strcmp(a, "--yaml") == 0 && v)
            o->yaml = v;
        else if (strcmp(a, "--json-out") == 0 && v)
            o->json_out = v;
        else {
            fprintf(stderr, "sluice-bench: unknown option or missing value: %s\n", a);
            s_usage(stderr);
            exit(2);
        }
        // Asking for the unpaced phase's shape asks for the phase.
        if (strcmp(a, "--concurrency") == 0 || strcmp(a, "--tokens") == 0
            || strcmp(a, "--rounds") == 0)
            o->throughput = true;
    }
}

// Find every peer asked for, before anything starts: one named in --targets that is not
// installed ends the run (exit 2); one only asked for with --peers is skipped with the reason.
static void
s_peers_find(const opts_t *o, bench_report_t *rep, bench_peer_t **peers)
{
    for (int k = 0; k < BENCH_PEER_KINDS; k++) {
        if (!o->peer[k])
            continue;
        bench_peer_info_t *info = &rep->peers[rep->n_peers++];
        info->name = bench_peer_kind_name((bench_peer_kind_t)k);
        peers[k] =
            bench_peer_new((bench_peer_kind_t)k, &o->peer_cfg, info->about, sizeof info->about);
        if (peers[k])
            snprintf(info->about, sizeof info->about, "%s", bench_peer_version(peers[k]));
        else if (o->peer_named[k]) {
            fprintf(stderr, "sluice-bench: --targets names %s, but %s\n", info->name, info->about);
            exit(2);
        } else {
            info->skipped = true;
            fprintf(stderr, "sluice-bench: skipping %s: %s\n", info->name, info->about);
        }
    }
}

// Start the peers that were found, against the mock. A peer that does not start is skipped
// and counted: returns how many did not.
static int
s_peers_start(bench_report_t *rep, bench_peer_t **peers)
{
    int failed = 0;
    for (size_t i = 0; i < rep->n_peers; i++) {
        bench_peer_info_t *info = &rep->peers[i];
        bench_peer_kind_t k;
        if (info->skipped || bench_peer_kind_parse(info->name, &k) != 0)
            continue;
        char why[1024];
        if (bench_peer_start(peers[k], s_sys.dir, s_sys.mock_port, why, sizeof why) != 0) {
            fprintf(stderr, "sluice-bench: %s did not start: %s\n", info->name, why);
            snprintf(info->about, sizeof info->about, "did not start: %.900s", why);
            info->skipped = true;
            bench_peer_destroy(&peers[k]);
            failed++;
            continue;
        }
        snprintf(info->setup, sizeof info->setup, "%s", bench_peer_setup(peers[k]));
    }
    return failed;
}

// Stop the peers; a peer that died during the run is a failure. Returns how many did.
static int
s_peers_stop(bench_report_t *rep, bench_peer_t **peers)
{
    int died = 0;
    for (size_t i = 0; i < rep->n_peers; i++) {
        bench_peer_info_t *info = &rep->peers[i];
        bench_peer_kind_t k;
        if (info->skipped || bench_peer_kind_parse(info->name, &k) != 0 || !peers[k])
            continue;
        if (!bench_peer_is_alive(peers[k])) {
            fprintf(stderr, "sluice-bench: %s exited during the run; see %s\n", info->name,
                    bench_peer_log(peers[k]));
            died++;
            continue;
        }
        info->clean_stop = bench_peer_stop(peers[k]);
    }
    return died;
}

// The targets in the order their phases run: direct, sluice, then the peers that started.
static size_t
s_targets(const opts_t *o, bench_peer_t *const *peers, s_target_t *targets)
{
    size_t n = 0;
    targets[n] = (s_target_t){.name = "direct"};
    snprintf(targets[n++].url, sizeof targets[0].url, "%s/v1/chat/completions", s_sys.mock);
    if (o->sluice) {
        targets[n] = (s_target_t){.name = "sluice"};
        snprintf(targets[n++].url, sizeof targets[0].url, "%s/v1/chat/completions", s_sys.base);
    }
    for (int k = 0; k < BENCH_PEER_KINDS; k++) {
        if (!peers[k] || bench_peer_pid(peers[k]) <= 0)
            continue;
        targets[n] = (s_target_t){.name = bench_peer_name(peers[k]),
                                  .headers = bench_peer_headers(peers[k])};
        snprintf(targets[n++].url, sizeof targets[0].url, "%s", bench_peer_url(peers[k]));
    }
    return n;
}

// Every phase: per kind (throughput when asked for, then paced), every target.
static void
s_phases_run(const opts_t *o,
             bench_report_t *rep,
             const s_target_t *targets,
             size_t n_targets,
             const bench_proc_t *procs,
             size_t n_procs)
{
    for (int paced = o->throughput ? 0 : 1; paced <= 1; paced++) {
        for (size_t t = 0; t < n_targets; t++) {
            bench_phase_t *ph = &rep->phases[rep->n_phases++];
            ph->kind = paced ? "paced" : "throughput";
            ph->target = targets[t].name;
            ph->via_sluice = strcmp(targets[t].name, "sluice") == 0;
            ph->concurrency = paced ? o->paced_concurrency : o->concurrency;
            ph->tokens = paced ? o->paced_tokens : o->tokens;
            ph->rounds_planned = paced ? o->paced_rounds : o->rounds;
            ph->rate = paced ? o->rate : 0;
            memcpy(ph->procs, procs, n_procs * sizeof *procs);
            ph->n_procs = n_procs;
            s_phase_run(ph, &targets[t]);
        }
    }
}

static int
s_write_json(bench_report_t *rep, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "sluice-bench: cannot write %s: %s\n", path, strerror(errno));
        return SL_EIO;
    }
    bench_report_json(rep, f);
    if (fclose(f) != 0) {
        fprintf(stderr, "sluice-bench: cannot write %s: %s\n", path, strerror(errno));
        return SL_EIO;
    }
    return 0;
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
    // Every stream is a connection here and another in the target: up to the hard limit.
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
        nofile.rlim_cur = nofile.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &nofile);
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    static bench_report_t rep; // large: phases hold their processes and samples
    s_machine(&rep.machine);
    bench_peer_t *peers[BENCH_PEER_KINDS] = {NULL};
    s_peers_find(&o, &rep, peers);

    test_system_start(&s_sys, o.sluice_bin, o.mock_bin, o.yaml);
    int failures = s_peers_start(&rep, peers);
    bench_proc_t procs[BENCH_MAX_PROCS];
    size_t n_procs = s_find_procs(procs, peers);

    s_measure_idle(&rep, procs, n_procs, IDLE_MS);
    s_target_t targets[BENCH_MAX_TARGETS];
    size_t n_targets = s_targets(&o, peers, targets);
    s_phases_run(&o, &rep, targets, n_targets, procs, n_procs);

    // A process that was restarted mid-run would have a new pid: the set must be unchanged.
    bench_proc_t now[BENCH_MAX_PROCS];
    size_t n_now = s_find_procs(now, peers);
    rep.procs_unchanged = n_now == n_procs;
    for (size_t i = 0; i < n_now && rep.procs_unchanged; i++)
        rep.procs_unchanged = now[i].pid == procs[i].pid;
    failures += s_peers_stop(&rep, peers);
    rep.clean_stop = test_system_stop(&s_sys);
    for (int k = 0; k < BENCH_PEER_KINDS; k++)
        bench_peer_destroy(&peers[k]);
    curl_global_cleanup();

    if (o.json)
        bench_report_json(&rep, stdout);
    else
        bench_report_table(&rep, stdout);
    if (o.json_out && s_write_json(&rep, o.json_out) != 0)
        failures++;
    for (size_t i = 0; i < rep.n_phases; i++) {
        failures += rep.phases[i].failures;
        for (size_t j = 0; j < rep.phases[i].n_procs; j++)
            failures += rep.phases[i].procs[j].vanished;
        failures += rep.phases[i].stalled;
    }
    bench_report_free(&rep);
    return failures || !rep.procs_unchanged || !rep.clean_stop ? 1 : 0;
}
