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

// CPU of sluice's own processes together, or of every process the phase read.
static int64_t
s_procs_us(const bench_phase_t *ph, bool sluice_only)
{
    int64_t sum = 0;
    for (size_t i = 0; i < ph->n_procs; i++)
        if (ph->procs[i].sluice || !sluice_only)
            sum += ph->procs[i].used.total_us;
    return sum;
}

// CPU the rest of the machine used meanwhile: other work sharing the CPUs skews the figures.
static int64_t
s_other_us(const bench_phase_t *ph)
{
    return ph->machine_used.busy_us - s_procs_us(ph, false);
}

static const char *
s_label(const bench_proc_t *p)
{
    return strcmp(p->name, "sluice") == 0 ? "sluice (supervisor)" : p->name;
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
    fprintf(out, "  %-28s", label);
    for (size_t i = 0; i < N_PCTS; i++)
        fprintf(out, " %9.2f", (double)bench_samples_pct(s, s_pcts[i]) / 1000.0);
    fprintf(out, " %9zu\n", s->n);
}

// What sluice adds: each percentile through sluice minus the same percentile direct.
static void
s_added_row(FILE *out, const char *label, bench_samples_t *sluice, bench_samples_t *direct)
{
    if (!sluice->n || !direct->n)
        return;
    fprintf(out, "  %-28s", label);
    for (size_t i = 0; i < N_PCTS; i++)
        fprintf(
            out, " %9.2f",
            (double)(bench_samples_pct(sluice, s_pcts[i]) - bench_samples_pct(direct, s_pcts[i]))
                / 1000.0);
    fprintf(out, "\n");
}

void
bench_report_table(bench_report_t *self, FILE *out)
{
    bench_phase_t *ph = self->phases;
    fprintf(out, "machine: %ld CPUs, %s, %s; load average at start: %s\n\n", self->machine.cpus,
            self->machine.cpu_model, self->machine.kernel, self->machine.loadavg);
    fprintf(out, "%-11s %-7s %11s %7s %7s %8s %9s %8s %10s\n", "phase", "target", "streams",
            "x tokens", "rounds", "failed", "tokens", "wall s", "tokens/s");
    for (int i = 0; i < BENCH_PHASES; i++) {
        char load[32];
        snprintf(load, sizeof load, "%d", ph[i].concurrency);
        fprintf(out, "%-11s %-7s %11s %7d %7d %8d %9lld %8.3f %10.0f%s\n", ph[i].kind, ph[i].target,
                load, ph[i].tokens, ph[i].rounds, ph[i].failures, (long long)ph[i].tokens_total,
                (double)ph[i].wall_us / 1e6, s_tokens_per_s(&ph[i]),
                ph[i].stalled ? "  STALLED" : "");
    }
    fprintf(out,
            "(paced streams: %d tokens/s each; each phase ran one warm-up round first, "
            "not measured; failed counts its streams too)\n\n",
            ph[2].rate);

    fprintf(out, "CPU per token, µs (%% of one core while measured)\n%-22s", "process");
    for (int i = 0; i < BENCH_PHASES; i++) {
        char head[40];
        snprintf(head, sizeof head, "%s %s", ph[i].kind, ph[i].target);
        fprintf(out, " %18s", head);
    }
    fprintf(out, "\n");
    for (size_t j = 0; j < ph[0].n_procs; j++) {
        fprintf(out, "%-22s", s_label(&ph[0].procs[j]));
        for (int i = 0; i < BENCH_PHASES; i++)
            s_cpu_cell(out, ph[i].procs[j].used.total_us, &ph[i]);
        fprintf(out, "%s\n",
                ph[0].procs[j].vanished || ph[3].procs[j].vanished ? "  VANISHED" : "");
    }
    fprintf(out, "%-22s", "sluice, all processes");
    for (int i = 0; i < BENCH_PHASES; i++)
        s_cpu_cell(out, s_procs_us(&ph[i], true), &ph[i]);
    fprintf(out, "\n%-22s", "other processes");
    for (int i = 0; i < BENCH_PHASES; i++)
        s_cpu_cell(out, s_other_us(&ph[i]), &ph[i]);
    fprintf(out, "\n%-22s", "hypervisor steal");
    for (int i = 0; i < BENCH_PHASES; i++)
        s_cpu_cell(out, ph[i].machine_used.steal_us, &ph[i]);
    fprintf(out,
            "\n\nsluice's processes in detail: CPU in libzmq's background threads (ZMQbg/*), "
            "µs per token;\ntime runnable but waiting for a CPU, %% of the measured time; "
            "times put on a CPU, per token\n%-22s %31s %31s\n%-22s",
            "", "throughput sluice", "paced sluice", "process");
    for (int i = 0; i < 2; i++)
        fprintf(out, " %9s %10s %9s ", "zmq µs", "cpu wait", "runs");
    fprintf(out, "\n");
    for (size_t j = 0; j < ph[1].n_procs; j++) {
        if (!ph[1].procs[j].sluice)
            continue;
        fprintf(out, "%-22s", s_label(&ph[1].procs[j]));
        for (int i = 1; i < BENCH_PHASES; i += 2) {
            const bench_cpu_t *u = &ph[i].procs[j].used;
            fprintf(out, " %9.2f %9.1f%% %9.3f ", s_per_token(u->zmq_bg_us, &ph[i]),
                    s_core_pct(u->runq_wait_us, &ph[i]), s_per_token(u->runs, &ph[i]));
        }
        fprintf(out, "\n");
    }

    fprintf(out,
            "\nmemory halfway through a round (the most seen), MiB: PSS (RSS); PSS counts a "
            "shared page once over all processes\n%-22s %20s %20s\n",
            "process", "throughput sluice", "paced sluice");
    int64_t pss_sum[2] = {0, 0}, rss_sum[2] = {0, 0};
    for (size_t j = 0; j < ph[1].n_procs; j++) {
        if (!ph[1].procs[j].sluice)
            continue;
        fprintf(out, "%-22s", s_label(&ph[1].procs[j]));
        for (int i = 1, k = 0; i < BENCH_PHASES; i += 2, k++) {
            const bench_proc_t *p = &ph[i].procs[j];
            fprintf(out, " %10.1f (%6.1f)", (double)p->pss_kib / 1024, (double)p->rss_kib / 1024);
            pss_sum[k] += p->pss_kib;
            rss_sum[k] += p->rss_kib;
        }
        fprintf(out, "\n");
    }
    fprintf(out, "%-22s %10.1f (%6.1f) %10.1f (%6.1f)\n", "sluice, all processes",
            (double)pss_sum[0] / 1024, (double)rss_sum[0] / 1024, (double)pss_sum[1] / 1024,
            (double)rss_sum[1] / 1024);

    double idle_s = (double)self->idle_window_us / 1e6;
    fprintf(out,
            "\nidle for %.1f s before the phases: %% of one core, times put on a CPU per "
            "second\n",
            idle_s);
    for (size_t j = 0; j < self->n_idle; j++) {
        const bench_proc_t *p = &self->idle[j];
        if (!p->sluice)
            continue;
        fprintf(out, "%-22s %8.2f%% %9.1f\n", s_label(p),
                idle_s > 0 ? (double)p->used.total_us / 1e4 / idle_s : 0,
                idle_s > 0 ? (double)p->used.runs / idle_s : 0);
    }

    fprintf(out, "\nlatency, ms%-19s %9s %9s %9s %9s\n", "", s_pct_names[0], s_pct_names[1],
            s_pct_names[2], "samples");
    for (int i = 0; i < BENCH_PHASES; i += 2) {
        bench_phase_t *d = &ph[i], *s = &ph[i + 1];
        char label[64];
        fprintf(out, " %s (%d streams at once%s)\n", d->kind, d->concurrency,
                d->rate ? "" : ", unpaced");
        snprintf(label, sizeof label, "first byte, direct");
        s_latency_row(out, label, &d->ttfb_us);
        snprintf(label, sizeof label, "first byte, sluice");
        s_latency_row(out, label, &s->ttfb_us);
        s_added_row(out, "first byte, added by sluice", &s->ttfb_us, &d->ttfb_us);
        s_latency_row(out, "first token, direct", &d->ttft_us);
        s_latency_row(out, "first token, sluice", &s->ttft_us);
        s_added_row(out, "first token, added by sluice", &s->ttft_us, &d->ttft_us);
        s_latency_row(out, "token delay, direct", &d->delay_us);
        s_latency_row(out, "token delay, sluice", &s->delay_us);
        s_added_row(out, "token delay, added by sluice", &s->delay_us, &d->delay_us);
    }
    fprintf(out, "(added = the sluice percentile minus the direct one; token delay = how much "
                 "later than its stream's quickest token, against the pace, a token arrived)\n\n");

    int failures = 0;
    for (int i = 0; i < BENCH_PHASES; i++)
        failures += ph[i].failures;
    fprintf(out,
            "stored copies checked: %d, wrong: %d; store lag after the last stream, max: "
            "%.2f ms (throughput), %.2f ms (paced)\n",
            ph[1].stored_checked + ph[3].stored_checked,
            ph[1].stored_failures + ph[3].stored_failures, (double)ph[1].store_lag_max_us / 1000.0,
            (double)ph[3].store_lag_max_us / 1000.0);
    fprintf(out, "failed streams: %d; sluice processes unchanged: %s; clean stop: %s\n", failures,
            self->procs_unchanged ? "yes" : "NO", self->clean_stop ? "yes" : "NO");
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
s_added_json(bench_samples_t *sluice, bench_samples_t *direct)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < N_PCTS; i++)
        cJSON_AddNumberToObject(
            o, s_pct_names[i],
            (double)(bench_samples_pct(sluice, s_pcts[i]) - bench_samples_pct(direct, s_pcts[i])));
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
    cJSON_AddNumberToObject(o, "sluice_us_per_token", s_per_token(s_procs_us(ph, true), ph));
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

void
bench_report_json(bench_report_t *self, FILE *out)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *m = cJSON_AddObjectToObject(root, "machine");
    cJSON_AddNumberToObject(m, "cpus", (double)self->machine.cpus);
    cJSON_AddStringToObject(m, "cpu_model", self->machine.cpu_model);
    cJSON_AddStringToObject(m, "kernel", self->machine.kernel);
    cJSON_AddStringToObject(m, "loadavg_at_start", self->machine.loadavg);
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
    for (int i = 0; i < BENCH_PHASES; i++)
        cJSON_AddItemToArray(phases, s_phase_json(&self->phases[i]));
    cJSON *added = cJSON_AddArrayToObject(root, "added_by_sluice_us");
    for (int i = 0; i < BENCH_PHASES; i += 2) {
        bench_phase_t *d = &self->phases[i], *s = &self->phases[i + 1];
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(a, "phase", d->kind);
        cJSON_AddItemToObject(a, "first_byte", s_added_json(&s->ttfb_us, &d->ttfb_us));
        cJSON_AddItemToObject(a, "first_token", s_added_json(&s->ttft_us, &d->ttft_us));
        if (d->rate)
            cJSON_AddItemToObject(a, "token_delay", s_added_json(&s->delay_us, &d->delay_us));
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
    for (int i = 0; i < BENCH_PHASES; i++) {
        free(self->phases[i].ttfb_us.v);
        free(self->phases[i].ttft_us.v);
        free(self->phases[i].delay_us.v);
        memset(&self->phases[i].ttfb_us, 0, sizeof(bench_samples_t));
        memset(&self->phases[i].ttft_us, 0, sizeof(bench_samples_t));
        memset(&self->phases[i].delay_us, 0, sizeof(bench_samples_t));
    }
}
