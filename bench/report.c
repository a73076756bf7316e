// report.c - sluice-bench's table and JSON (see report.h).
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sl/mem.h"

// Percentiles every latency row shows.
static const double s_pcts[] = {50, 99, 100};
static const char *const s_pct_names[] = {"p50", "p99", "max"};
#define N_PCTS (sizeof s_pcts / sizeof s_pcts[0])
// Other processes' CPU, % of one core, above which the table warns that the machine was shared.
#define OTHER_LOAD_PCT 15

static int
s_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double
s_per_token(int64_t us, const bench_phase_t *ph)
{
    return ph->tokens_total ? (double)us / (double)ph->tokens_total : 0;
}

static double
s_core_pct(int64_t us, const bench_phase_t *ph)
{
    return ph->cpu_window_us ? 100.0 * (double)us / (double)ph->cpu_window_us : 0;
}

static double
s_tokens_per_s(const bench_phase_t *ph)
{
    return ph->wall_us ? (double)ph->tokens_total * 1e6 / (double)ph->wall_us : 0;
}

static bool
s_is(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

// CPU of the processes that belong to target (NULL: of every process the phase read).
static int64_t
s_procs_us(const bench_phase_t *ph, const char *target)
{
    int64_t sum = 0;
    for (size_t i = 0; i < ph->n_procs; i++)
        if (!target || s_is(ph->procs[i].target, target))
            sum += ph->procs[i].used.total_us;
    return sum;
}

// Memory of the processes that belong to target, summed: PSS and RSS, KiB.
static void
s_procs_mem(const bench_phase_t *ph, const char *target, int64_t *pss_kib, int64_t *rss_kib)
{
    *pss_kib = *rss_kib = 0;
    for (size_t i = 0; i < ph->n_procs; i++) {
        if (s_is(ph->procs[i].target, target)) {
            *pss_kib += ph->procs[i].pss_kib;
            *rss_kib += ph->procs[i].rss_kib;
        }
    }
}

// CPU the rest of the machine used meanwhile: other work sharing the CPUs skews the figures.
static int64_t
s_other_us(const bench_phase_t *ph)
{
    return ph->machine_used.busy_us - s_procs_us(ph, NULL);
}

static const char *
s_label(const bench_proc_t *p)
{
    return strcmp(p->name, "sluice") == 0 ? "sluice (supervisor)" : p->name;
}

// The end of the group of phases of the same kind that starts at start (the runner keeps a
// kind's phases together, direct first).
static size_t
s_kind_end(const bench_report_t *self, size_t start)
{
    size_t end = start + 1;
    while (end < self->n_phases && s_is(self->phases[end].kind, self->phases[start].kind))
        end++;
    return end;
}

// The direct phase of ph's kind: the baseline it is compared with; NULL when none ran.
static bench_phase_t *
s_direct(bench_report_t *self, const bench_phase_t *ph)
{
    for (size_t i = 0; i < self->n_phases; i++)
        if (s_is(self->phases[i].kind, ph->kind) && s_is(self->phases[i].target, "direct"))
            return &self->phases[i];
    return NULL;
}

// A percentile through a target minus the same percentile direct, in µs.
static int64_t
s_added(bench_samples_t *target, bench_samples_t *direct, double p)
{
    return bench_samples_pct(target, p) - bench_samples_pct(direct, p);
}

void
bench_samples_add(bench_samples_t *self, int64_t value)
{
    if (self->n == self->cap) {
        self->cap = self->cap ? self->cap * 2 : 1024;
        self->v = sl_xrealloc(self->v, self->cap * sizeof *self->v);
    }
    self->v[self->n++] = value;
}

int64_t
bench_samples_pct(bench_samples_t *self, double p)
{
    if (!self->n)
        return 0;
    qsort(self->v, self->n, sizeof *self->v, s_cmp_i64);
    size_t rank = (size_t)(p / 100.0 * (double)self->n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > self->n)
        rank = self->n;
    return self->v[rank - 1];
}

static void
s_cpu_cell(FILE *out, int64_t us, const bench_phase_t *ph)
{
    fprintf(out, "  %8.2f (%4.0f%%)", s_per_token(us, ph), s_core_pct(us, ph));
}

static void
s_latency_row(FILE *out, const char *label, bench_samples_t *s)
{
    if (!s->n)
        return;
    fprintf(out, "  %-30s", label);
    for (size_t i = 0; i < N_PCTS; i++)
        fprintf(out, " %9.2f", (double)bench_samples_pct(s, s_pcts[i]) / 1000.0);
    fprintf(out, " %9zu\n", s->n);
}

// What a target adds: each percentile through it minus the same percentile direct.
static void
s_added_row(FILE *out, const char *label, bench_samples_t *target, bench_samples_t *direct)
{
    if (!target->n || !direct->n)
        return;
    fprintf(out, "  %-30s", label);
    for (size_t i = 0; i < N_PCTS; i++)
        fprintf(out, " %9.2f", (double)s_added(target, direct, s_pcts[i]) / 1000.0);
    fprintf(out, "\n");
}

static void
s_phases_table(bench_report_t *self, FILE *out)
{
    fprintf(out, "%-11s %-8s %7s %9s %7s %7s %9s %8s %10s\n", "phase", "target", "streams",
            "x tokens", "rounds", "failed", "tokens", "wall s", "tokens/s");
    int rate = 0;
    for (size_t i = 0; i < self->n_phases; i++) {
        const bench_phase_t *ph = &self->phases[i];
        fprintf(out, "%-11s %-8s %7d %9d %7d %7d %9lld %8.3f %10.0f%s\n", ph->kind, ph->target,
                ph->concurrency, ph->tokens, ph->rounds, ph->failures, (long long)ph->tokens_total,
                (double)ph->wall_us / 1e6, s_tokens_per_s(ph), ph->stalled ? "  STALLED" : "");
        if (ph->rate)
            rate = ph->rate;
    }
    if (rate)
        fprintf(out, "(paced streams: %d tokens/s each, one token per upstream write)\n", rate);
    fprintf(out, "(each phase ran one warm-up round first, not measured; failed counts its "
                 "streams too)\n");
    for (size_t i = 0; i < self->n_peers; i++) {
        const bench_peer_info_t *p = &self->peers[i];
        if (p->skipped)
            fprintf(out, "peer %s: SKIPPED: %s\n", p->name, p->about);
        else
            fprintf(out, "peer %s: %s\n  %s\n", p->name, p->about, p->setup);
    }
    fprintf(out, "\n");
}

// Every target of one kind against direct: delivery, the target's own CPU and memory, and the
// latency it adds.
static void
s_targets_table(bench_report_t *self, size_t start, size_t end, FILE *out)
{
    bench_phase_t *d = s_direct(self, &self->phases[start]);
    if (!d || end - start < 2)
        return;
    fprintf(out, "%s, every target with the same requests: %d streams x %d tokens", d->kind,
            d->concurrency, d->tokens);
    if (d->rate)
        fprintf(out, " at %d tokens/s each", d->rate);
    fprintf(out, ", %d measured round%s\n", d->rounds, d->rounds == 1 ? "" : "s");
    fprintf(out, "%-8s %10s %9s %10s %7s %16s %17s %17s\n", "target", "tokens/s", "vs direct",
            "CPU ms/1k", "% core", "PSS (RSS) MiB", "1st token +ms", "token delay +ms");
    fprintf(out, "%-8s %10s %9s %10s %7s %16s %17s %17s\n", "", "", "", "tokens", "", "",
            "p50 / p99", "p50 / p99");
    double direct_tps = s_tokens_per_s(d);
    for (size_t i = start; i < end; i++) {
        bench_phase_t *ph = &self->phases[i];
        fprintf(out, "%-8s %10.0f %9.3f", ph->target, s_tokens_per_s(ph),
                direct_tps > 0 ? s_tokens_per_s(ph) / direct_tps : 0);
        if (ph == d) {
            fprintf(out, " %10s %7s %16s %17s %17s\n", "-", "-", "-", "-", "-");
            continue;
        }
        int64_t us = s_procs_us(ph, ph->target), pss = 0, rss = 0;
        s_procs_mem(ph, ph->target, &pss, &rss);
        char mem[40], ttft[40], delay[40];
        snprintf(mem, sizeof mem, "%.1f (%.1f)", (double)pss / 1024, (double)rss / 1024);
        snprintf(ttft, sizeof ttft, "%.2f / %.2f",
                 (double)s_added(&ph->ttft_us, &d->ttft_us, 50) / 1000.0,
                 (double)s_added(&ph->ttft_us, &d->ttft_us, 99) / 1000.0);
        if (ph->rate)
            snprintf(delay, sizeof delay, "%.2f / %.2f",
                     (double)s_added(&ph->delay_us, &d->delay_us, 50) / 1000.0,
                     (double)s_added(&ph->delay_us, &d->delay_us, 99) / 1000.0);
        else
            snprintf(delay, sizeof delay, "-");
        fprintf(out, " %10.2f %6.0f%% %16s %17s %17s\n", s_per_token(us, ph), s_core_pct(us, ph),
                mem, ttft, delay);
    }
    fprintf(out, "(CPU and memory: the target's own processes, all of sluice's, haproxy, Portkey's "
                 "node; the mock's and the load generator's\nare in the next table. +ms: the "
                 "target's percentile minus direct's. Memory: the most seen halfway through a "
                 "round)\n\n");
}

// CPU per token of every process in each phase of one kind.
static void
s_cpu_table(bench_phase_t *ph, size_t n, FILE *out)
{
    fprintf(out, "CPU per token, µs (%% of one core while measured), %s\n%-22s", ph[0].kind,
            "process");
    for (size_t i = 0; i < n; i++)
        fprintf(out, " %18s", ph[i].target);
    fprintf(out, "\n");
    for (size_t j = 0; j < ph[0].n_procs; j++) {
        bool vanished = false;
        fprintf(out, "%-22s", s_label(&ph[0].procs[j]));
        for (size_t i = 0; i < n; i++) {
            s_cpu_cell(out, ph[i].procs[j].used.total_us, &ph[i]);
            vanished |= ph[i].procs[j].vanished;
        }
        fprintf(out, "%s\n", vanished ? "  VANISHED" : "");
    }
    fprintf(out, "%-22s", "sluice, all processes");
    for (size_t i = 0; i < n; i++)
        s_cpu_cell(out, s_procs_us(&ph[i], "sluice"), &ph[i]);
    fprintf(out, "\n%-22s", "other processes");
    for (size_t i = 0; i < n; i++)
        s_cpu_cell(out, s_other_us(&ph[i]), &ph[i]);
    fprintf(out, "\n%-22s", "hypervisor steal");
    for (size_t i = 0; i < n; i++)
        s_cpu_cell(out, ph[i].machine_used.steal_us, &ph[i]);
    fprintf(out, "\n\n");
}

// Sluice's processes in each phase through sluice: libzmq's threads, CPU wait, wake-ups, memory.
static void
s_sluice_tables(bench_report_t *self, FILE *out)
{
    bench_phase_t *sp[BENCH_MAX_PHASES];
    size_t n = 0;
    for (size_t i = 0; i < self->n_phases; i++)
        if (self->phases[i].via_sluice)
            sp[n++] = &self->phases[i];
    if (!n)
        return;
    fprintf(out,
            "sluice's processes in detail: CPU in libzmq's background threads (ZMQbg/*), "
            "µs per token;\ntime runnable but waiting for a CPU, %% of the measured time; "
            "times put on a CPU, per token\n%-22s",
            "");
    for (size_t i = 0; i < n; i++)
        fprintf(out, " %24s sluice ", sp[i]->kind);
    fprintf(out, "\n%-22s", "process");
    for (size_t i = 0; i < n; i++)
        fprintf(out, " %9s %10s %9s ", "zmq µs", "cpu wait", "runs");
    fprintf(out, "\n");
    for (size_t j = 0; j < sp[0]->n_procs; j++) {
        if (!sp[0]->procs[j].sluice)
            continue;
        fprintf(out, "%-22s", s_label(&sp[0]->procs[j]));
        for (size_t i = 0; i < n; i++) {
            const bench_cpu_t *u = &sp[i]->procs[j].used;
            fprintf(out, " %9.2f %9.1f%% %9.3f ", s_per_token(u->zmq_bg_us, sp[i]),
                    s_core_pct(u->runq_wait_us, sp[i]), s_per_token(u->runs, sp[i]));
        }
        fprintf(out, "\n");
    }

    fprintf(out,
            "\nmemory halfway through a round (the most seen), MiB: PSS (RSS); PSS counts a "
            "shared page once over all processes\n%-22s",
            "process");
    for (size_t i = 0; i < n; i++)
        fprintf(out, " %13s sluice", sp[i]->kind);
    fprintf(out, "\n");
    for (size_t j = 0; j < sp[0]->n_procs; j++) {
        if (!sp[0]->procs[j].sluice)
            continue;
        fprintf(out, "%-22s", s_label(&sp[0]->procs[j]));
        for (size_t i = 0; i < n; i++) {
            const bench_proc_t *p = &sp[i]->procs[j];
            fprintf(out, " %10.1f (%6.1f)", (double)p->pss_kib / 1024, (double)p->rss_kib / 1024);
        }
        fprintf(out, "\n");
    }
    fprintf(out, "%-22s", "sluice, all processes");
    for (size_t i = 0; i < n; i++) {
        int64_t pss = 0, rss = 0;
        s_procs_mem(sp[i], "sluice", &pss, &rss);
        fprintf(out, " %10.1f (%6.1f)", (double)pss / 1024, (double)rss / 1024);
    }
    fprintf(out, "\n\n");
}

static void
s_idle_table(const bench_report_t *self, FILE *out)
{
    double idle_s = (double)self->idle_window_us / 1e6;
    fprintf(out,
            "idle for %.1f s before the phases: %% of one core, times put on a CPU per "
            "second\n",
            idle_s);
    for (size_t j = 0; j < self->n_idle; j++) {
        const bench_proc_t *p = &self->idle[j];
        if (!p->target)
            continue;
        fprintf(out, "%-22s %8.2f%% %9.1f\n", s_label(p),
                idle_s > 0 ? (double)p->used.total_us / 1e4 / idle_s : 0,
                idle_s > 0 ? (double)p->used.runs / idle_s : 0);
    }
    fprintf(out, "\n");
}

// Latency of every target of one kind, and what each adds to direct.
static void
s_latency_table(bench_report_t *self, size_t start, size_t end, FILE *out)
{
    bench_phase_t *d = s_direct(self, &self->phases[start]);
    fprintf(out, " %s (%d streams at once%s)\n", self->phases[start].kind,
            self->phases[start].concurrency, self->phases[start].rate ? "" : ", unpaced");
    static const char *const what[] = {"first byte", "first token", "token delay"};
    for (size_t w = 0; w < 3; w++) {
        for (size_t i = start; i < end; i++) {
            bench_phase_t *ph = &self->phases[i];
            bench_samples_t *s[] = {&ph->ttfb_us, &ph->ttft_us, &ph->delay_us};
            char label[64];
            snprintf(label, sizeof label, "%s, %s", what[w], ph->target);
            s_latency_row(out, label, s[w]);
            if (!d || ph == d)
                continue;
            bench_samples_t *ds[] = {&d->ttfb_us, &d->ttft_us, &d->delay_us};
            snprintf(label, sizeof label, "%s, added by %s", what[w], ph->target);
            s_added_row(out, label, s[w], ds[w]);
        }
    }
}

void
bench_report_table(bench_report_t *self, FILE *out)
{
    fprintf(out, "machine: %ld CPUs, %s, %s; load average at start: %s\n\n", self->machine.cpus,
            self->machine.cpu_model, self->machine.kernel, self->machine.loadavg);
    s_phases_table(self, out);
    for (size_t i = 0; i < self->n_phases; i = s_kind_end(self, i))
        s_targets_table(self, i, s_kind_end(self, i), out);
    for (size_t i = 0; i < self->n_phases; i = s_kind_end(self, i))
        s_cpu_table(&self->phases[i], s_kind_end(self, i) - i, out);
    s_sluice_tables(self, out);
    s_idle_table(self, out);

    fprintf(out, "latency, ms%-21s %9s %9s %9s %9s\n", "", s_pct_names[0], s_pct_names[1],
            s_pct_names[2], "samples");
    for (size_t i = 0; i < self->n_phases; i = s_kind_end(self, i))
        s_latency_table(self, i, s_kind_end(self, i), out);
    fprintf(out, "(added = the target's percentile minus direct's; token delay = how much "
                 "later than its stream's quickest token, against the pace, a token arrived)\n\n");

    int failures = 0, checked = 0, wrong = 0;
    double other_max_pct = 0;
    for (size_t i = 0; i < self->n_phases; i++) {
        const bench_phase_t *ph = &self->phases[i];
        failures += ph->failures;
        checked += ph->stored_checked;
        wrong += ph->stored_failures;
        if (s_core_pct(s_other_us(ph), ph) > other_max_pct)
            other_max_pct = s_core_pct(s_other_us(ph), ph);
    }
    // /proc/stat is sampled per tick: within about 10 % of a core is noise, more is other work.
    if (other_max_pct > OTHER_LOAD_PCT)
        fprintf(out,
                "WARNING: other processes used up to %.0f%% of a core during the phases: the "
                "machine was shared, the figures are skewed\n",
                other_max_pct);
    fprintf(out,
            "stored copies checked: %d, wrong: %d; store lag after the last stream, max:", checked,
            wrong);
    for (size_t i = 0; i < self->n_phases; i++)
        if (self->phases[i].via_sluice)
            fprintf(out, " %.2f ms (%s)", (double)self->phases[i].store_lag_max_us / 1000.0,
                    self->phases[i].kind);
    fprintf(out, "\nfailed streams: %d; sluice processes unchanged: %s; clean stop: %s", failures,
            self->procs_unchanged ? "yes" : "NO", self->clean_stop ? "yes" : "NO");
    for (size_t i = 0; i < self->n_peers; i++)
        if (!self->peers[i].skipped)
            fprintf(out, "; %s stopped: %s", self->peers[i].name,
                    self->peers[i].clean_stop ? "yes" : "NO (killed)");
    fprintf(out, "\n");
}

static cJSON *
s_samples_json(bench_samples_t *s)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < N_PCTS; i++)
        cJSON_AddNumberToObject(o, s_pct_names[i], (double)bench_samples_pct(s, s_pcts[i]));
    cJSON_AddNumberToObject(o, "samples", (double)s->n);
    return o;
}

static cJSON *
s_added_json(bench_samples_t *target, bench_samples_t *direct)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < N_PCTS; i++)
        cJSON_AddNumberToObject(o, s_pct_names[i], (double)s_added(target, direct, s_pcts[i]));
    return o;
}

static cJSON *
s_phase_json(bench_phase_t *ph)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "phase", ph->kind);
    cJSON_AddStringToObject(o, "target", ph->target);
    cJSON_AddNumberToObject(o, "concurrency", ph->concurrency);
    cJSON_AddNumberToObject(o, "tokens_per_stream", ph->tokens);
    cJSON_AddNumberToObject(o, "rate", ph->rate);
    cJSON_AddNumberToObject(o, "rounds", ph->rounds);
    cJSON_AddNumberToObject(o, "streams", ph->streams);
    cJSON_AddNumberToObject(o, "failures", ph->failures);
    cJSON_AddBoolToObject(o, "stalled", ph->stalled);
    cJSON_AddNumberToObject(o, "tokens", (double)ph->tokens_total);
    cJSON_AddNumberToObject(o, "wall_s", (double)ph->wall_us / 1e6);
    cJSON_AddNumberToObject(o, "tokens_per_s", s_tokens_per_s(ph));
    cJSON *cpu = cJSON_AddArrayToObject(o, "cpu");
    for (size_t j = 0; j < ph->n_procs; j++) {
        const bench_proc_t *p = &ph->procs[j];
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "process", p->name);
        cJSON_AddBoolToObject(c, "sluice", p->sluice);
        if (p->target)
            cJSON_AddStringToObject(c, "target", p->target);
        else
            cJSON_AddNullToObject(c, "target");
        cJSON_AddNumberToObject(c, "cpu_us", (double)p->used.total_us);
        cJSON_AddNumberToObject(c, "us_per_token", s_per_token(p->used.total_us, ph));
        cJSON_AddNumberToObject(c, "zmq_bg_us_per_token", s_per_token(p->used.zmq_bg_us, ph));
        cJSON_AddNumberToObject(c, "core_pct", s_core_pct(p->used.total_us, ph));
        cJSON_AddNumberToObject(c, "cpu_wait_pct", s_core_pct(p->used.runq_wait_us, ph));
        cJSON_AddNumberToObject(c, "runs_per_token", s_per_token(p->used.runs, ph));
        cJSON_AddNumberToObject(c, "pss_kib", (double)p->pss_kib);
        cJSON_AddNumberToObject(c, "rss_kib", (double)p->rss_kib);
        cJSON_AddBoolToObject(c, "vanished", p->vanished);
        cJSON_AddItemToArray(cpu, c);
    }
    cJSON_AddNumberToObject(o, "sluice_us_per_token", s_per_token(s_procs_us(ph, "sluice"), ph));
    cJSON_AddNumberToObject(o, "other_processes_core_pct", s_core_pct(s_other_us(ph), ph));
    cJSON_AddNumberToObject(o, "steal_core_pct", s_core_pct(ph->machine_used.steal_us, ph));
    cJSON_AddItemToObject(o, "first_byte_us", s_samples_json(&ph->ttfb_us));
    cJSON_AddItemToObject(o, "first_token_us", s_samples_json(&ph->ttft_us));
    if (ph->rate)
        cJSON_AddItemToObject(o, "token_delay_us", s_samples_json(&ph->delay_us));
    if (ph->via_sluice) {
        cJSON_AddNumberToObject(o, "store_lag_max_us", (double)ph->store_lag_max_us);
        cJSON_AddNumberToObject(o, "stored_checked", ph->stored_checked);
        cJSON_AddNumberToObject(o, "stored_failures", ph->stored_failures);
    }
    return o;
}

// One target against direct of its kind: the figures of the table s_targets_table prints.
static cJSON *
s_target_json(bench_phase_t *ph, bench_phase_t *d)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "phase", ph->kind);
    cJSON_AddStringToObject(o, "target", ph->target);
    cJSON_AddNumberToObject(o, "tokens_per_s", s_tokens_per_s(ph));
    double direct_tps = s_tokens_per_s(d);
    cJSON_AddNumberToObject(o, "vs_direct", direct_tps > 0 ? s_tokens_per_s(ph) / direct_tps : 0);
    int64_t us = s_procs_us(ph, ph->target), pss = 0, rss = 0;
    s_procs_mem(ph, ph->target, &pss, &rss);
    cJSON_AddNumberToObject(o, "cpu_ms_per_1k_tokens", s_per_token(us, ph));
    cJSON_AddNumberToObject(o, "core_pct", s_core_pct(us, ph));
    cJSON_AddNumberToObject(o, "pss_kib", (double)pss);
    cJSON_AddNumberToObject(o, "rss_kib", (double)rss);
    cJSON_AddItemToObject(o, "first_byte_added_us", s_added_json(&ph->ttfb_us, &d->ttfb_us));
    cJSON_AddItemToObject(o, "first_token_added_us", s_added_json(&ph->ttft_us, &d->ttft_us));
    if (ph->rate)
        cJSON_AddItemToObject(o, "token_delay_added_us", s_added_json(&ph->delay_us, &d->delay_us));
    cJSON_AddNumberToObject(o, "failures", ph->failures);
    return o;
}

void
bench_report_json(bench_report_t *self, FILE *out)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *m = cJSON_AddObjectToObject(root, "machine");
    cJSON_AddNumberToObject(m, "cpus", (double)self->machine.cpus);
    cJSON_AddStringToObject(m, "cpu_model", self->machine.cpu_model);
    cJSON_AddStringToObject(m, "kernel", self->machine.kernel);
    cJSON_AddStringToObject(m, "loadavg_at_start", self->machine.loadavg);
    cJSON *peers = cJSON_AddArrayToObject(root, "peers");
    for (size_t i = 0; i < self->n_peers; i++) {
        const bench_peer_info_t *p = &self->peers[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", p->name);
        cJSON_AddBoolToObject(o, "skipped", p->skipped);
        cJSON_AddStringToObject(o, "about", p->about);
        cJSON_AddStringToObject(o, "setup", p->setup);
        cJSON_AddBoolToObject(o, "clean_stop", p->clean_stop);
        cJSON_AddItemToArray(peers, o);
    }
    cJSON *idle = cJSON_AddObjectToObject(root, "idle");
    cJSON_AddNumberToObject(idle, "window_s", (double)self->idle_window_us / 1e6);
    cJSON *idle_cpu = cJSON_AddArrayToObject(idle, "cpu");
    for (size_t j = 0; j < self->n_idle; j++) {
        const bench_proc_t *p = &self->idle[j];
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "process", p->name);
        cJSON_AddNumberToObject(c, "cpu_us", (double)p->used.total_us);
        cJSON_AddNumberToObject(c, "runs", (double)p->used.runs);
        cJSON_AddItemToArray(idle_cpu, c);
    }
    cJSON *phases = cJSON_AddArrayToObject(root, "phases");
    for (size_t i = 0; i < self->n_phases; i++)
        cJSON_AddItemToArray(phases, s_phase_json(&self->phases[i]));
    cJSON *targets = cJSON_AddArrayToObject(root, "targets");
    cJSON *added = cJSON_AddArrayToObject(root, "added_by_sluice_us");
    for (size_t i = 0; i < self->n_phases; i++) {
        bench_phase_t *ph = &self->phases[i], *d = s_direct(self, ph);
        if (!d || ph == d)
            continue;
        cJSON_AddItemToArray(targets, s_target_json(ph, d));
        if (!ph->via_sluice)
            continue;
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(a, "phase", d->kind);
        cJSON_AddItemToObject(a, "first_byte", s_added_json(&ph->ttfb_us, &d->ttfb_us));
        cJSON_AddItemToObject(a, "first_token", s_added_json(&ph->ttft_us, &d->ttft_us));
        if (d->rate)
            cJSON_AddItemToObject(a, "token_delay", s_added_json(&ph->delay_us, &d->delay_us));
        cJSON_AddItemToArray(added, a);
    }
    cJSON_AddBoolToObject(root, "procs_unchanged", self->procs_unchanged);
    cJSON_AddBoolToObject(root, "clean_stop", self->clean_stop);
    char *text = cJSON_Print(root);
    if (text)
        fprintf(out, "%s\n", text);
    free(text);
    cJSON_Delete(root);
}

void
bench_report_free(bench_report_t *self)
{
    for (size_t i = 0; i < BENCH_MAX_PHASES; i++) {
        free(self->phases[i].ttfb_us.v);
        free(self->phases[i].ttft_us.v);
        free(self->phases[i].delay_us.v);
        memset(&self->phases[i].ttfb_us, 0, sizeof(bench_samples_t));
        memset(&self->phases[i].ttft_us, 0, sizeof(bench_samples_t));
        memset(&self->phases[i].delay_us, 0, sizeof(bench_samples_t));
    }
}
