// persist_bench.c - sluice-bench-persist: the durable write rate, i.e. how many tokens per second
// the real sluice-persist stores and acknowledges, with many streams and its batches grouped into
// transactions, and what that costs in CPU, latency and disk. The store is SQLite (a file in the
// temporary directory), or with --postgres a PostgreSQL database that must exist already (a fresh
// one per run measures the same thing each time).
//
// It writes a config into a temporary directory (data_dir, run_dir, persist.synchronous, and with
// --postgres persist.backend and persist.conninfo), starts sluice-persist with it, stands in for
// the supervisor on the events endpoint (to see UP), and plays the builder: a DEALER connected to
// persist's `store` endpoint sends the BATCHes of persist_load.h (many streams interleaved, an
// empty opening batch, batches of 16 tokens, a final batch) and reads the ACKs, keeping at most
// --window batches unacknowledged as the builder's ledger does (limits.max_unacked_batches). Every
// ACK must be 200 and match its batch. Then it reads every stream back through persist's `query`
// socket, stops persist with SIGTERM (it must exit 0), and compares every row of the SQLite file
// (persist_check.h; with --postgres there is no file: that check and the file sizes are reported as
// skipped). Output: a table, or JSON with --json. Exit status 0; 1 when an ACK was wrong or
// missing, a read-back differed, persist logged an error or did not stop cleanly, or the
// --postgres server could not be reached; 2 on a usage error. Not for CTest: the figures depend on
// the machine and its disk.
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <czmq.h>
#include <sqlite3.h>

#include "cpu.h"
#include "persist_check.h"
#include "persist_load.h"
#include "persist_pg.h"
#include "proc.h"
#include "sl/clock.h"
#include "sl/config.h"
#include "sl/err.h"
#include "sl/ids.h"
#include "sl/mem.h"
#include "sl/sock.h"

#define STALL_MS        15000 // no ACK for this long while batches are out: the run failed
#define UP_TIMEOUT_MS   10000 // persist must announce UP within this
#define STOP_TIMEOUT_MS 30000 // persist must exit after SIGTERM within this (it checkpoints)
#define QUERY_WINDOW    256   // QUERYs outstanding during the read-back
#define MAX_BATCHES     (50u * 1000 * 1000) // per run: 32 bytes of records a batch, 1.6 GB

typedef struct {
    uint32_t streams;                // open at once
    uint32_t total;                  // streams over the run
    uint32_t tokens;                 // per stream
    uint32_t batch;                  // tokens per batch
    uint32_t window;                 // unacknowledged batches at most
    const char *synchronous;         // persist.synchronous: "normal" or "full"
    const char *postgres;            // persist.conninfo with backend postgres; NULL: SQLite
    uint64_t seed;                   // the workload's
    bool json;                       // print JSON instead of the table
    bool group_log;                  // run persist with SLUICE_LOG=debug to count its transactions
    char persist_bin[PATH_MAX + 32]; // the sluice-persist binary
} opts_t;

// What the run knows of one batch it sent.
typedef struct {
    int64_t sent_us;      // monotonic, when it was handed to the socket; then its ACK latency
    uint64_t first_index; // the batch's, which its ACK must repeat
    uint32_t stream;      // its stream's number
    uint8_t n;            // tokens in it
    bool acked;           // its ACK 200 came
} s_sent_t;

// What the run measured.
typedef struct {
    uint64_t batches;            // batches of the whole run
    uint64_t tokens;             // tokens of the whole run
    uint64_t acked;              // batches acknowledged 200
    uint64_t tokens_acked;       // tokens in them
    uint64_t bad_acks;           // 409s, repeats, unknown seqs, ACKs that do not match their batch
    uint64_t send_refused;       // sends the socket refused (full), retried
    uint32_t max_window;         // most batches outstanding at once
    bool stalled;                // no ACK came for STALL_MS
    int64_t start_us;            // first send
    int64_t end_us;              // last ACK
    int64_t t10_us, t90_us;      // when 10 % and 90 % of the tokens were acknowledged
    bench_cpu_t persist;         // persist's CPU over start .. end
    bench_cpu_t self;            // ours (the builder's part)
    bench_cpu_machine_t machine; // the whole machine's
    int64_t *lat_us;             // owned; ACK latency of each acknowledged batch, sorted at the end
    size_t n_lat;                // entries in lat_us
} s_run_t;

// What persist's log says: its transactions (with --group-log) and its complaints.
typedef struct {
    uint64_t groups;   // "store: wrote N batches" lines: one per transaction
    uint64_t grouped;  // sum of their N
    uint64_t full;     // transactions of PERSIST_GROUP_MAX (64) batches
    uint64_t max;      // largest N
    uint64_t warnings; // WARN lines
    uint64_t errors;   // ERROR lines
} s_log_t;

static char s_log_path[PATH_MAX + 32]; // persist's stderr
static bool s_passed;                  // else the log's tail is shown at exit

static void
s_show_log(void)
{
    if (s_passed || !s_log_path[0])
        return;
    FILE *f = fopen(s_log_path, "r");
    if (!f)
        return;
    fprintf(stderr, "--- %s (warnings and errors)\n", s_log_path);
    char line[2048];
    while (fgets(line, sizeof line, f))
        if (strstr(line, " WARN ") || strstr(line, " ERROR "))
            fputs(line, stderr);
    fclose(f);
}

static void
s_usage(FILE *out)
{
    fprintf(out,
            "usage: sluice-bench-persist [options]\n"
            "  --streams N      streams open at once (default 1000)\n"
            "  --total N        streams over the run (default 10 x --streams)\n"
            "  --tokens N       tokens per stream (default 200)\n"
            "  --batch N        tokens per batch, 1..64 (default 16, batch.max_tokens)\n"
            "  --window N       unacknowledged batches at most (default 4096,\n"
            "                   limits.max_unacked_batches; the sockets hold 10000)\n"
            "  --synchronous S  persist.synchronous: normal (default) or full\n"
            "  --postgres C     store in PostgreSQL (persist.backend: postgres) at the libpq\n"
            "                   connection string C; the database must exist (best a fresh one)\n"
            "  --seed N         the workload's seed (default 1)\n"
            "  --no-group-log   do not run persist with SLUICE_LOG=debug (no transaction count)\n"
            "  --persist PATH   the sluice-persist binary (default: beside this program)\n"
            "  --json           print JSON instead of the table\n");
}

// Parse an integer option value in [min, max]; exits 2 otherwise.
static uint64_t
s_int_arg(const char *name, const char *value, uint64_t min, uint64_t max)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = value ? strtoull(value, &end, 10) : 0;
    if (!value || errno || *end || value[0] == '-' || v < min || v > max) {
        fprintf(stderr, "sluice-bench-persist: %s wants an integer in %" PRIu64 "..%" PRIu64 "\n",
                name, min, max);
        exit(2);
    }
    return (uint64_t)v;
}

static void
s_parse_args(int argc, char **argv, opts_t *o)
{
    *o = (opts_t){.streams = 1000,
                  .tokens = 200,
                  .batch = 16,
                  .window = 4096,
                  .synchronous = "normal",
                  .seed = 1,
                  .group_log = true};
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    snprintf(o->persist_bin, sizeof o->persist_bin, "%s/sluice-persist", self);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--json") == 0) {
            o->json = true;
            continue;
        }
        if (strcmp(a, "--no-group-log") == 0) {
            o->group_log = false;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            s_usage(stdout);
            exit(0);
        }
        i++; // every other option takes a value
        if (strcmp(a, "--streams") == 0)
            o->streams = (uint32_t)s_int_arg(a, v, 1, 1000000);
        else if (strcmp(a, "--total") == 0)
            o->total = (uint32_t)s_int_arg(a, v, 1, 10000000);
        else if (strcmp(a, "--tokens") == 0)
            o->tokens = (uint32_t)s_int_arg(a, v, 1, 1000000);
        else if (strcmp(a, "--batch") == 0)
            o->batch = (uint32_t)s_int_arg(a, v, 1, SL_WIRE_MAX_DELTAS);
        else if (strcmp(a, "--window") == 0)
            o->window = (uint32_t)s_int_arg(a, v, 1, 1000000);
        else if (strcmp(a, "--seed") == 0)
            o->seed = s_int_arg(a, v, 0, UINT64_MAX);
        else if (strcmp(a, "--synchronous") == 0 && v
                 && (strcmp(v, "normal") == 0 || strcmp(v, "full") == 0))
            o->synchronous = v;
        else if (strcmp(a, "--postgres") == 0 && v && *v && strlen(v) <= PERSIST_PG_CONNINFO_MAX)
            o->postgres = v;
        else if (strcmp(a, "--persist") == 0 && v)
            snprintf(o->persist_bin, sizeof o->persist_bin, "%s", v);
        else {
            fprintf(stderr, "sluice-bench-persist: unknown option or bad value: %s\n", a);
            s_usage(stderr);
            exit(2);
        }
    }
    if (o->total == 0)
        o->total = o->streams * 10; // streams <= 10^6, so no overflow
}

// in as a YAML double-quoted scalar, quotes included, into out (size bytes: 4 per byte of in
// and 8 more always suffice): a backslash and a double quote escaped, control bytes as \xNN.
static void
s_yaml_quote(const char *in, char *out, size_t size)
{
    size_t n = 0;
    out[n++] = '"';
    for (const unsigned char *c = (const unsigned char *)in; *c && n + 6 < size; c++) {
        if (*c == '"' || *c == '\\') {
            out[n++] = '\\';
            out[n++] = (char)*c;
        } else if (*c < 0x20 || *c == 0x7f) {
            n += (size_t)snprintf(out + n, size - n, "\\x%02x", *c);
        } else {
            out[n++] = (char)*c;
        }
    }
    out[n++] = '"';
    out[n] = '\0';
}

// Receive one message from a DEALER or PULL without blocking (sl_sock_recv's contract).
static int
s_recv(zsock_t *sock, zframe_t **frame_p, sl_msg_t *msg)
{
    zframe_t *from = NULL; // stays NULL: not a ROUTER
    int rc = sl_sock_recv(sock, &from, frame_p, msg);
    zframe_destroy(&from);
    return rc;
}

// Wait for UP from persist on events (we stand in for the supervisor). False after timeout_ms.
static bool
s_wait_up(zsock_t *events, int64_t timeout_ms)
{
    int64_t deadline = sl_clock_mono_ms() + timeout_ms;
    while (sl_clock_mono_ms() < deadline) {
        zmq_pollitem_t item = {zsock_resolve(events), 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 100) < 0 && zmq_errno() != EINTR)
            return false;
        zframe_t *frame = NULL;
        sl_msg_t msg;
        while (s_recv(events, &frame, &msg) == 0) {
            bool up = msg.type == SL_MSG_UP;
            zframe_destroy(&frame);
            if (up)
                return true;
        }
    }
    return false;
}

// Throw away what persist sent the supervisor (BEAT, STATS): nothing here needs it.
static void
s_drain_events(zsock_t *events)
{
    zframe_t *frame = NULL;
    sl_msg_t msg;
    while (s_recv(events, &frame, &msg) != SL_EAGAIN)
        zframe_destroy(&frame);
}

// One ACK: it must be the first for a batch we sent, repeat its req_id and first_index, and be
// 200 (persist gets every stream's batches in order, so a 409 means something is wrong).
static void
s_on_ack(s_run_t *run,
         s_sent_t *sent,
         uint64_t n_sent,
         const persist_load_t *load,
         const sl_msg_t *ack,
         int64_t now_us)
{
    if (ack->type != SL_MSG_ACK) {
        if (ack->type != SL_MSG_BEAT)
            run->bad_acks++;
        return;
    }
    s_sent_t *s = ack->seq < n_sent ? &sent[ack->seq] : NULL;
    if (!s || s->acked || ack->status != 200 || ack->first_index != s->first_index
        || ack->req_id.len != SL_ID_LEN
        || memcmp(ack->req_id.ptr, persist_load_id(load, s->stream), SL_ID_LEN) != 0) {
        if (run->bad_acks++ < 5)
            fprintf(stderr,
                    "sluice-bench-persist: bad ACK seq=%" PRIu64 " status=%" PRIu32
                    " first_index=%" PRIu64 "%s\n",
                    ack->seq, ack->status, ack->first_index,
                    !s         ? " (never sent)"
                    : s->acked ? " (repeated)"
                               : "");
        return;
    }
    s->acked = true;
    run->lat_us[run->n_lat++] = now_us - s->sent_us;
    run->acked++;
    uint64_t before = run->tokens_acked;
    run->tokens_acked += s->n;
    if (before * 10 < run->tokens && run->tokens_acked * 10 >= run->tokens)
        run->t10_us = now_us;
    if (before * 10 < run->tokens * 9 && run->tokens_acked * 10 >= run->tokens * 9)
        run->t90_us = now_us;
}

// Play the builder: send every batch of load, at most window unacknowledged, and read the ACKs
// until all came or none came for STALL_MS.
static void
s_run(s_run_t *run,
      zsock_t *store,
      zsock_t *events,
      persist_load_t *load,
      uint32_t window,
      pid_t persist_pid)
{
    run->batches = persist_load_batches(load);
    run->tokens = (uint64_t)persist_load_cfg(load)->total * persist_load_cfg(load)->tokens;
    run->lat_us = sl_xcalloc(run->batches, sizeof *run->lat_us);
    s_sent_t *sent = sl_xcalloc(run->batches, sizeof *sent);
    sl_msg_t *msg = sl_xcalloc(1, sizeof *msg); // a few KiB: not on the stack
    zframe_t *frame = NULL;
    sl_msg_t *ack = sl_xcalloc(1, sizeof *ack);
    uint64_t n_sent = 0;
    bool have_msg = false; // msg holds a batch the socket refused, to send again
    uint32_t stream = 0;
    bench_cpu_t cpu0, self0;
    bench_cpu_machine_t machine0;
    (void)bench_cpu_read(persist_pid, &cpu0);
    (void)bench_cpu_read(getpid(), &self0);
    (void)bench_cpu_machine_read(&machine0);
    run->start_us = sl_clock_mono_us();
    int64_t last_ack_us = run->start_us;
    while (run->acked + run->bad_acks < run->batches) {
        bool refused = false;
        while (n_sent - run->acked < window) {
            if (!have_msg && !persist_load_next(load, n_sent, msg, &stream))
                break;
            have_msg = true;
            int64_t now_us = sl_clock_mono_us();
            int rc = sl_sock_send(store, NULL, msg);
            if (rc == SL_EAGAIN) {
                run->send_refused++;
                refused = true;
                break;
            }
            if (rc != 0) {
                fprintf(stderr, "sluice-bench-persist: cannot send a batch: %s\n", sl_strerror(rc));
                exit(1);
            }
            sent[n_sent] = (s_sent_t){.sent_us = now_us,
                                      .first_index = msg->first_index,
                                      .stream = stream,
                                      .n = (uint8_t)msg->n_deltas};
            n_sent++;
            have_msg = false;
        }
        if (n_sent - run->acked > run->max_window)
            run->max_window = (uint32_t)(n_sent - run->acked);
        zmq_pollitem_t items[] = {
            {zsock_resolve(store), 0, (short)(ZMQ_POLLIN | (refused ? ZMQ_POLLOUT : 0)), 0},
            {zsock_resolve(events), 0, ZMQ_POLLIN, 0},
        };
        if (zmq_poll(items, 2, 100) < 0 && zmq_errno() != EINTR) {
            fprintf(stderr, "sluice-bench-persist: poll: %s\n", zmq_strerror(zmq_errno()));
            exit(1);
        }
        while (s_recv(store, &frame, ack) != SL_EAGAIN) {
            int64_t now_us = sl_clock_mono_us();
            if (frame) // NULL: malformed, already logged and dropped
                s_on_ack(run, sent, n_sent, load, ack, now_us);
            zframe_destroy(&frame);
            last_ack_us = now_us;
        }
        s_drain_events(events);
        if (sl_clock_mono_us() - last_ack_us > (int64_t)STALL_MS * 1000) {
            run->stalled = true;
            fprintf(stderr,
                    "sluice-bench-persist: no ACK for %d ms, %" PRIu64 " of %" PRIu64
                    " batches acknowledged\n",
                    STALL_MS, run->acked, run->batches);
            break;
        }
    }
    run->end_us = last_ack_us;
    bench_cpu_t cpu1, self1;
    bench_cpu_machine_t machine1;
    (void)bench_cpu_read(persist_pid, &cpu1);
    (void)bench_cpu_read(getpid(), &self1);
    (void)bench_cpu_machine_read(&machine1);
    bench_cpu_diff(&cpu1, &cpu0, &run->persist);
    bench_cpu_diff(&self1, &self0, &run->self);
    run->machine.busy_us = machine1.busy_us - machine0.busy_us;
    run->machine.steal_us = machine1.steal_us - machine0.steal_us;
    free(ack);
    free(msg);
    free(sent);
}

static int
s_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

// The p-th percentile (0..100) of sorted v[0..n), nearest rank; 0 when empty.
static int64_t
s_pct(const int64_t *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    return v[(rank > n ? n : rank) - 1];
}

// Count persist's transactions and complaints in its log.
static void
s_read_log(const char *path, s_log_t *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[2048];
    while (fgets(line, sizeof line, f)) {
        const char *w = strstr(line, "store: wrote ");
        unsigned long long n = 0;
        if (w && sscanf(w, "store: wrote %llu batches", &n) == 1) {
            out->groups++;
            out->grouped += n;
            out->full += n == 64;
            if (n > out->max)
                out->max = n;
        }
        out->warnings += strstr(line, " WARN ") != NULL;
        out->errors += strstr(line, " ERROR ") != NULL;
    }
    fclose(f);
}

static int64_t
s_file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
}

// The file system's name, from statfs's magic number: a store on tmpfs measures memory.
static const char *
s_fs_name(const char *dir)
{
    struct statfs sf;
    if (statfs(dir, &sf) != 0)
        return "?";
    switch ((unsigned long)sf.f_type) {
    case 0xEF53UL:
        return "ext4";
    case 0x58465342UL:
        return "xfs";
    case 0x9123683EUL:
        return "btrfs";
    case 0x01021994UL:
        return "tmpfs";
    case 0x794C7630UL:
        return "overlayfs";
    default:
        return "other";
    }
}

// Everything printed, in one place for the table and the JSON.
typedef struct {
    const opts_t *o;
    const s_run_t *run;
    const s_log_t *log;
    const persist_check_t *query;
    const persist_check_t *file;
    const char *fs;                             // the SQLite file's file system
    const persist_pg_t *pg;                     // the server with --postgres; NULL: SQLite
    int64_t db_running, wal_running, db_closed; // bytes (SQLite)
    int stop_status;                            // persist's wait status; -1: did not stop
    bool ok;
} s_report_t;

static double
s_per_s(uint64_t n, int64_t us)
{
    return us > 0 ? (double)n * 1e6 / (double)us : 0;
}

// A table row for a figure that does not apply to the backend that ran.
static void
s_print_skipped(const char *label)
{
    printf("%-44s %12s  (postgres)\n", label, "skipped");
}

static void
s_print_table(const s_report_t *r)
{
    const s_run_t *run = r->run;
    int64_t wall_us = run->end_us - run->start_us;
    double k_tokens = (double)run->tokens_acked / 1000.0;
    int64_t other_us = run->machine.busy_us - run->persist.total_us - run->self.total_us;
    printf("sluice-bench-persist: %" PRIu32 " streams x %" PRIu32 " tokens, %" PRIu32
           " open at once, batches of %" PRIu32 ", window %" PRIu32 "\n",
           r->o->total, r->o->tokens, r->o->streams, r->o->batch, r->o->window);
    if (r->pg)
        printf("store: postgres, synchronous=%s (synchronous_commit %s), %ld CPUs\n"
               "server: PostgreSQL %s, fsync=%s, wal_sync_method=%s, %" PRId64
               " streams in the database before the run\n\n",
               r->o->synchronous, strcmp(r->o->synchronous, "full") == 0 ? "on" : "off",
               sysconf(_SC_NPROCESSORS_ONLN), r->pg->version, r->pg->fsync, r->pg->wal_sync_method,
               r->pg->streams_before);
    else
        printf("store: sqlite on %s, synchronous=%s, SQLite %s, %ld CPUs\n\n", r->fs,
               r->o->synchronous, sqlite3_libversion(), sysconf(_SC_NPROCESSORS_ONLN));
    printf("%-44s %12" PRIu64 " in %.2f s\n", "tokens acknowledged", run->tokens_acked,
           (double)wall_us / 1e6);
    printf("%-44s %12.0f\n", "tokens/s, whole run", s_per_s(run->tokens_acked, wall_us));
    printf("%-44s %12.0f\n", "tokens/s, from 10 % to 90 % of the tokens",
           s_per_s(run->tokens * 8 / 10, run->t90_us - run->t10_us));
    printf("%-44s %12.0f\n", "batches/s", s_per_s(run->acked, wall_us));
    printf("%-44s %12.0f  (%.0f %% of a core; libzmq threads %.0f)\n",
           "persist CPU, us per 1k tokens", (double)run->persist.total_us / k_tokens,
           100.0 * (double)run->persist.total_us / (double)wall_us,
           (double)run->persist.zmq_bg_us / k_tokens);
    printf("%-44s %12.0f %%\n", "persist's threads runnable, waiting for a CPU",
           100.0 * (double)run->persist.runq_wait_us / (double)wall_us);
    printf("%-44s %12.0f  (%.0f %% of a core)\n", "this builder stand-in CPU, us per 1k tokens",
           (double)run->self.total_us / k_tokens,
           100.0 * (double)run->self.total_us / (double)wall_us);
    printf("%-44s %12.0f %%  (steal %.0f %%)\n", "other processes, of one core",
           100.0 * (double)other_us / (double)wall_us,
           100.0 * (double)run->machine.steal_us / (double)wall_us);
    printf("%-44s %8.1f / %.1f / %.1f / %.1f\n", "ACK latency, ms p50 / p90 / p99 / max",
           (double)s_pct(run->lat_us, run->n_lat, 50) / 1e3,
           (double)s_pct(run->lat_us, run->n_lat, 90) / 1e3,
           (double)s_pct(run->lat_us, run->n_lat, 99) / 1e3,
           (double)s_pct(run->lat_us, run->n_lat, 100) / 1e3);
    printf("%-44s %12" PRIu32 "  (sends refused by a full socket: %" PRIu64 ")\n",
           "batches outstanding, most", run->max_window, run->send_refused);
    if (r->log->groups)
        printf("%-44s %12" PRIu64 "  (%.1f batches each, %.0f %% of them full at 64)\n",
               "transactions", r->log->groups, (double)r->log->grouped / (double)r->log->groups,
               100.0 * (double)r->log->full / (double)r->log->groups);
    if (r->pg) {
        s_print_skipped("SQLite file at the end: db + wal");
        s_print_skipped("SQLite file after persist stopped");
    } else {
        printf("%-44s %8.1f MiB + %.1f MiB\n", "SQLite file at the end: db + wal",
               (double)r->db_running / 1048576.0, (double)r->wal_running / 1048576.0);
        printf("%-44s %8.1f MiB  (%.1f bytes per token)\n", "SQLite file after persist stopped",
               (double)r->db_closed / 1048576.0,
               run->tokens_acked ? (double)r->db_closed / (double)run->tokens_acked : 0.0);
    }
    printf("%-44s %12" PRIu64 "  (%" PRIu64 " mismatches, %.0f streams/s)\n",
           "streams read back through QUERY", r->query->streams, r->query->mismatches,
           s_per_s(r->query->streams, r->query->wall_us));
    if (r->pg)
        s_print_skipped("streams compared in the SQLite file");
    else
        printf("%-44s %12" PRIu64 "  (%" PRIu64 " rows, %" PRIu64 " mismatches)\n",
               "streams compared in the SQLite file", r->file->streams, r->file->rows,
               r->file->mismatches);
    printf("%-44s %12" PRIu64 "  (%" PRIu64 " errors; exit %s)\n", "persist log warnings",
           r->log->warnings, r->log->errors,
           r->stop_status == -1                                        ? "none: killed"
           : WIFEXITED(r->stop_status) && !WEXITSTATUS(r->stop_status) ? "0"
                                                                       : "not clean");
    printf("result: %s\n", r->ok ? "ok" : "FAILED");
}

static void
s_print_json(const s_report_t *r)
{
    const s_run_t *run = r->run;
    int64_t wall_us = run->end_us - run->start_us;
    double k_tokens = (double)run->tokens_acked / 1000.0;
    printf("{\"config\":{\"streams\":%" PRIu32 ",\"total\":%" PRIu32 ",\"tokens\":%" PRIu32
           ",\"batch\":%" PRIu32 ",\"window\":%" PRIu32 ",\"synchronous\":\"%s\",\"seed\":%" PRIu64
           ",\"backend\":\"%s\",",
           r->o->streams, r->o->total, r->o->tokens, r->o->batch, r->o->window, r->o->synchronous,
           r->o->seed, r->pg ? "postgres" : "sqlite");
    if (r->pg)
        printf("\"server\":{\"version\":\"%s\",\"fsync\":\"%s\",\"wal_sync_method\":\"%s\","
               "\"synchronous_commit\":\"%s\",\"streams_before\":%" PRId64 "},",
               r->pg->version, r->pg->fsync, r->pg->wal_sync_method,
               strcmp(r->o->synchronous, "full") == 0 ? "on" : "off", r->pg->streams_before);
    else
        printf("\"fs\":\"%s\",\"sqlite\":\"%s\",", r->fs, sqlite3_libversion());
    printf("\"cpus\":%ld},\n", sysconf(_SC_NPROCESSORS_ONLN));
    printf(" \"tokens_acked\":%" PRIu64 ",\"batches_acked\":%" PRIu64 ",\"wall_s\":%.3f,"
           "\"tokens_per_s\":%.0f,\"tokens_per_s_10_90\":%.0f,\"batches_per_s\":%.0f,\n",
           run->tokens_acked, run->acked, (double)wall_us / 1e6,
           s_per_s(run->tokens_acked, wall_us),
           s_per_s(run->tokens * 8 / 10, run->t90_us - run->t10_us), s_per_s(run->acked, wall_us));
    printf(" \"persist_cpu\":{\"us_per_1k_tokens\":%.1f,\"core_pct\":%.1f,"
           "\"zmq_bg_us_per_1k_tokens\":%.1f,\"runq_wait_pct\":%.1f},\"bench_cpu_us_per_1k_"
           "tokens\":%.1f,"
           "\"other_core_pct\":%.1f,\"steal_core_pct\":%.1f,\n",
           (double)run->persist.total_us / k_tokens,
           100.0 * (double)run->persist.total_us / (double)wall_us,
           (double)run->persist.zmq_bg_us / k_tokens,
           100.0 * (double)run->persist.runq_wait_us / (double)wall_us,
           (double)run->self.total_us / k_tokens,
           100.0 * (double)(run->machine.busy_us - run->persist.total_us - run->self.total_us)
               / (double)wall_us,
           100.0 * (double)run->machine.steal_us / (double)wall_us);
    printf(" \"ack_latency_us\":{\"p50\":%" PRId64 ",\"p90\":%" PRId64 ",\"p99\":%" PRId64
           ",\"max\":%" PRId64 "},\"max_outstanding\":%" PRIu32 ",\"send_refused\":%" PRIu64 ",\n",
           s_pct(run->lat_us, run->n_lat, 50), s_pct(run->lat_us, run->n_lat, 90),
           s_pct(run->lat_us, run->n_lat, 99), s_pct(run->lat_us, run->n_lat, 100), run->max_window,
           run->send_refused);
    printf(" \"transactions\":%" PRIu64 ",\"batches_per_transaction\":%.2f,"
           "\"full_transactions\":%" PRIu64 ",\n",
           r->log->groups, r->log->groups ? (double)r->log->grouped / (double)r->log->groups : 0.0,
           r->log->full);
    if (r->pg)
        printf(" \"file\":{\"skipped\":\"postgres\"},\n");
    else
        printf(" \"file\":{\"db_bytes_running\":%" PRId64 ",\"wal_bytes_running\":%" PRId64
               ",\"db_bytes_closed\":%" PRId64 "},\n",
               r->db_running, r->wal_running, r->db_closed);
    printf(" \"check\":{\"query_streams\":%" PRIu64 ",\"query_mismatches\":%" PRIu64
           ",\"query_streams_per_s\":%.0f,",
           r->query->streams, r->query->mismatches, s_per_s(r->query->streams, r->query->wall_us));
    if (r->pg)
        printf("\"file_skipped\":\"postgres\"},\n");
    else
        printf("\"file_streams\":%" PRIu64 ",\"file_rows\":%" PRIu64 ",\"file_mismatches\":%" PRIu64
               "},\n",
               r->file->streams, r->file->rows, r->file->mismatches);
    printf(" \"bad_acks\":%" PRIu64 ",\"stalled\":%s,\"persist_warnings\":%" PRIu64
           ",\"persist_errors\":%" PRIu64 ",\"clean_stop\":%s,\"ok\":%s}\n",
           run->bad_acks, run->stalled ? "true" : "false", r->log->warnings, r->log->errors,
           r->stop_status != -1 && WIFEXITED(r->stop_status) && !WEXITSTATUS(r->stop_status)
               ? "true"
               : "false",
           r->ok ? "true" : "false");
}

int
main(int argc, char **argv)
{
    opts_t o;
    s_parse_args(argc, argv, &o);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (access(o.persist_bin, X_OK) != 0) {
        fprintf(stderr, "sluice-bench-persist: cannot run %s (see --persist)\n", o.persist_bin);
        return 2;
    }
    persist_load_cfg_t lcfg = {.streams = o.streams,
                               .total = o.total,
                               .tokens = o.tokens,
                               .batch = o.batch,
                               .seed = o.seed};
    uint64_t per_stream = 2 + o.tokens / o.batch;
    if ((uint64_t)o.total * per_stream > MAX_BATCHES) {
        fprintf(stderr, "sluice-bench-persist: %" PRIu64 " batches is over the %u this keeps\n",
                (uint64_t)o.total * per_stream, MAX_BATCHES);
        return 2;
    }
    persist_pg_t pg; // the server, asked before anything is made: unreachable, nothing to undo
    if (o.postgres && persist_pg_describe(o.postgres, &pg) != 0)
        return 1;
    persist_load_t *load = persist_load_new(&lcfg);
    if (!load)
        return 2;
    o.streams = persist_load_cfg(load)->streams;

    // The config: everything default but the directories, and the durability asked for.
    char dir[PATH_MAX], cfg_path[PATH_MAX + 16], run_dir[PATH_MAX + 16], data_dir[PATH_MAX + 16];
    test_tmpdir("sluice-bench-persist", dir, sizeof dir);
    atexit(s_show_log); // runs before the directory is removed
    snprintf(s_log_path, sizeof s_log_path, "%s/persist.log", dir);
    snprintf(cfg_path, sizeof cfg_path, "%s/sluice.yaml", dir);
    snprintf(run_dir, sizeof run_dir, "%s/run", dir);
    snprintf(data_dir, sizeof data_dir, "%s/data", dir);
    char conninfo[4 * PERSIST_PG_CONNINFO_MAX + 8] = "", yaml[3 * PATH_MAX + sizeof conninfo];
    if (o.postgres)
        s_yaml_quote(o.postgres, conninfo, sizeof conninfo);
    snprintf(yaml, sizeof yaml, "data_dir: %s\nrun_dir: %s\npersist: {%s%s%ssynchronous: %s}\n",
             data_dir, run_dir, o.postgres ? "backend: postgres, conninfo: " : "", conninfo,
             o.postgres ? ", " : "", o.synchronous);
    test_write_file(cfg_path, yaml);
    if (mkdir(run_dir, 0700) != 0) {
        perror("mkdir");
        return 1;
    }
    sl_config_t *cfg = NULL;
    sl_diag_t diag;
    if (sl_config_load(cfg_path, &cfg, &diag) != 0) {
        fprintf(stderr, "sluice-bench-persist: config: %s\n", diag.msg);
        return 1;
    }
    zsock_t *events = sl_sock_bind(ZMQ_PULL, cfg->ep_events, 1000);
    if (!events)
        return 1;

    // Persist logs one debug line per transaction, so its log counts them.
    if (o.group_log)
        setenv("SLUICE_LOG", "debug", 1);
    char *const pargv[] = {o.persist_bin, "-c", cfg_path, NULL};
    test_proc_t proc = test_proc_start(pargv, false, s_log_path);
    if (!s_wait_up(events, UP_TIMEOUT_MS)) {
        fprintf(stderr, "sluice-bench-persist: persist did not announce UP\n");
        return 1;
    }
    zsock_t *store = sl_sock_connect(ZMQ_DEALER, cfg->ep_store, SL_SOCK_HWM, "builder-bench");
    zsock_t *query = sl_sock_connect(ZMQ_DEALER, cfg->ep_query, SL_SOCK_HWM, "ingress-bench");
    if (!store || !query)
        return 1;

    s_run_t run;
    memset(&run, 0, sizeof run);
    s_run(&run, store, events, load, o.window, proc.pid);
    qsort(run.lat_us, run.n_lat, sizeof *run.lat_us, s_cmp_i64);

    char wal_path[PATH_MAX + 32];
    snprintf(wal_path, sizeof wal_path, "%s-wal", cfg->persist_path);
    s_report_t rep = {.o = &o, .run = &run, .fs = s_fs_name(data_dir)};
    if (o.postgres) {
        rep.pg = &pg;
    } else {
        rep.db_running = s_file_size(cfg->persist_path);
        rep.wal_running = s_file_size(wal_path);
    }

    persist_check_t qcheck, fcheck;
    memset(&fcheck, 0, sizeof fcheck);
    int qrc = persist_check_query(query, load, QUERY_WINDOW, STALL_MS, &qcheck);
    rep.stop_status = test_proc_stop(&proc, SIGTERM, STOP_TIMEOUT_MS);
    int frc = 0; // no file with --postgres: the query check read every stream
    if (!o.postgres) {
        rep.db_closed = s_file_size(cfg->persist_path);
        frc = persist_check_file(cfg->persist_path, load, &fcheck);
    }
    s_log_t log;
    s_read_log(s_log_path, &log);
    rep.log = &log;
    rep.query = &qcheck;
    rep.file = &fcheck;
    bool clean_stop =
        rep.stop_status != -1 && WIFEXITED(rep.stop_status) && WEXITSTATUS(rep.stop_status) == 0;
    rep.ok = !run.stalled && run.bad_acks == 0 && run.acked == run.batches && qrc == 0 && frc == 0
             && log.errors == 0 && clean_stop;
    if (o.json)
        s_print_json(&rep);
    else
        s_print_table(&rep);

    zsock_destroy(&query);
    zsock_destroy(&store);
    zsock_destroy(&events);
    sl_config_destroy(&cfg);
    free(run.lat_us);
    persist_load_destroy(&load);
    s_passed = rep.ok;
    if (rep.ok)
        test_tmpdir_remove(dir);
    return rep.ok ? 0 : 1;
}
