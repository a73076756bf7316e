// sl/metrics.h - Prometheus metrics: the one table of families, the sample lines each process
// writes, and the sum the supervisor renders for GET /metrics.
//
// Every process keeps its own counters and, once a second, sends the supervisor a STATS text
// of sample lines only (no # HELP, no # TYPE), one per line, in the text exposition format
// 0.0.4:
//     sluice_requests_total{route="demo",status="200"} 12
//     sluice_queue_depth 0
// The supervisor keeps the latest text of each process, adds them all into one sl_metrics_sum_t
// (same name and labels: values added, which is right for counters, for gauges that are each
// process's part of a whole, and for histogram buckets, _sum and _count) and renders the full
// format, # HELP and # TYPE taken from SL_METRICS_FAMILIES.
//
// The writers are for our own names and label keys; label values may come from outside and are
// escaped. The sum treats its text as untrusted: a line it cannot take is counted and skipped.
// Values are printed with the C locale's decimal point (no process calls setlocale). Not
// thread-safe.
#ifndef SL_METRICS_H
#define SL_METRICS_H
#include <stddef.h>
#include <stdint.h>

#include "sl/buf.h"

// X(name, type, help): every metric family sluice exposes, in the order /metrics lists them.
// name is an identifier (#name for the string), type one of COUNTER, GAUGE, HISTOGRAM
// (SL_METRIC_##type), help one sentence with no backslash or newline.
#define SL_METRICS_FAMILIES(X)                                                                   \
    X(sluice_requests_total, COUNTER, "Client requests answered, by route and HTTP status")      \
    X(sluice_tokens_total, COUNTER, "Tokens delivered to clients, by route")                     \
    X(sluice_ttft_seconds, HISTOGRAM,                                                            \
      "Time from a request's arrival to its first token written to the client, by route")        \
    X(sluice_token_gap_seconds, HISTOGRAM, "Gap between consecutive token writes of one stream") \
    X(sluice_streams_in_flight, GAUGE, "Client streams open at the ingress")                     \
    X(sluice_clients_behind_total, COUNTER,                                                      \
      "Client streams that fell behind their buffer and were fed from the store")                \
    X(sluice_resumes_total, COUNTER, "Streams read back as events (resumes)")                    \
    X(sluice_upstream_attempts_total, COUNTER,                                                   \
      "Upstream attempts, by provider, model, status and error class")                           \
    X(sluice_retries_total, COUNTER,                                                             \
      "Attempts the broker made again on the same target, by route")                             \
    X(sluice_fallbacks_total, COUNTER,                                                           \
      "Attempts the broker moved to the route's next target, by route")                          \
    X(sluice_rejects_total, COUNTER, "Requests the broker answered itself, by status")           \
    X(sluice_queue_depth, GAUGE, "Requests waiting for a worker")                                \
    X(sluice_requests_in_flight, GAUGE, "Requests dispatched to workers and not yet ended")      \
    X(sluice_circuit_state, GAUGE,                                                               \
      "Circuit breaker state by key: 0 closed, 1 open, 2 half-open, 3 forced open")              \
    X(sluice_circuit_transitions_total, COUNTER,                                                 \
      "Circuit breaker state changes, by key and new state")                                     \
    X(sluice_batches_unacked, GAUGE, "Token batches sent to persist and not yet acknowledged")   \
    X(sluice_batches_stored_total, COUNTER, "Token batches persist stored")                      \
    X(sluice_messages_dropped_total, COUNTER,                                                    \
      "Messages a process could not send or had to drop, by process kind and message")           \
    X(sluice_process_up, GAUGE, "1 while a process is up, by process")                           \
    X(sluice_process_restarts_total, COUNTER, "Restarts of a process, by process")               \
    X(sluice_upstream_transfers, GAUGE, "Upstream HTTP transfers open in the provider workers")  \
    X(sluice_upstream_passes_total, COUNTER,                                                     \
      "Passes of the provider workers over their ready upstream sockets")                        \
    X(sluice_upstream_pass_waits_total, COUNTER,                                                 \
      "Passes that first slept out the rest of batch.coalesce_ms")                               \
    X(sluice_upstream_fresh_passes_total, COUNTER,                                               \
      "Passes run at once, without the wait, for a stream's first bytes")

typedef enum {
    SL_METRIC_COUNTER,
    SL_METRIC_GAUGE,
    SL_METRIC_HISTOGRAM,
} sl_metric_type_t;

// The sum keeps at most this many distinct series (name and labels); it bounds the memory a
// peer's text can make the supervisor spend.
#define SL_METRICS_MAX_SERIES 20000
// A sample line longer than this many bytes (its newline, and a CR before it, not counted) is
// refused by the sum.
#define SL_METRICS_MAX_LINE 1024
// A sample line with more labels than this is refused by the sum.
#define SL_METRICS_MAX_LABELS 16
// Finite upper bounds of every histogram, in seconds; +Inf is implicit.
#define SL_METRICS_BUCKETS 15

// The bucket bounds, ascending: 0.001 0.0025 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10 30 60.
extern const double sl_metrics_bounds[SL_METRICS_BUCKETS];

// ---------------------------------------------------------------------------------------------
// Writing samples (each process). Each writer appends all or nothing: 0, or SL_ETOOBIG with out
// as it was.

// Append one sample line "name{labels} value\n" ("name value\n" when labels is NULL or "").
// labels is the inside of the braces, as sl_metrics_label builds it. Integral values print
// without exponent or decimals (12, -3), others in the shortest form that reads back to the
// same double (0.25, 1e-07), NaN/+Inf/-Inf as Prometheus spells them.
int sl_metrics_sample(sl_buf_t *out, const char *name, const char *labels, double value);
// Append one label, key="value", to a label set being built in out: with a comma before it
// when out is not empty, so a set is built by calls on one emptied buffer:
//     sl_buf_reset(&labels);
//     sl_metrics_label(&labels, "route", route, strlen(route));
//     sl_metrics_label(&labels, "status", "200", 3);
//     sl_metrics_sample(out, "sluice_requests_total", sl_buf_str(&labels), n);
// key is ours: [a-zA-Z_][a-zA-Z0-9_]*, and not "le". value is value_len bytes from anywhere
// (NUL not needed; NULL when value_len is 0): backslash, double quote and newline are escaped
// as \\ \" \n, and each other control byte or byte that is not part of valid UTF-8 becomes
// U+FFFD, so the result is always a valid label value.
int sl_metrics_label(sl_buf_t *out, const char *key, const char *value, size_t value_len);

// A histogram with the fixed bounds above. Shown so owners embed it (zero it to start); change
// it only through sl_metrics_hist_observe.
typedef struct {
    uint64_t counts[SL_METRICS_BUCKETS + 1]; // per bucket, not cumulative; last is +Inf
    double sum;                              // of every observation, seconds
    uint64_t count;                          // observations
} sl_metrics_hist_t;

// Count one observation, in seconds, in the first bucket whose bound is >= seconds (le is
// inclusive: 0.005 goes in le="0.005"). A negative value counts as 0 (a clock stepped back);
// NaN is ignored.
void sl_metrics_hist_observe(sl_metrics_hist_t *self, double seconds);
// Append name_bucket{labels,le="..."} lines, cumulative, ascending, le="+Inf" last, then
// name_sum{labels} and name_count{labels}. labels as for sl_metrics_sample, without le.
int sl_metrics_hist_write(sl_buf_t *out,
                          const char *name,
                          const char *labels,
                          const sl_metrics_hist_t *h);

// ---------------------------------------------------------------------------------------------
// The sum (supervisor): series keyed by their exact text, name{labels}, values added.

typedef struct sl_metrics_sum sl_metrics_sum_t; // opaque

// A new, empty sum. Caller owns the result.
sl_metrics_sum_t *sl_metrics_sum_new(void);
// Free self and set *self_p to NULL. Safe on NULL and on *self_p == NULL.
void sl_metrics_sum_destroy(sl_metrics_sum_t **self_p);
// Add every sample line of text (len bytes, no NUL needed, from another process: untrusted)
// into the series keyed by its name{labels} text ("name" alone for no labels or "{}"). A line
// is name, optional {labels}, blanks, value, optional trailing blanks; blank lines and a
// trailing CR are ignored. Labels must be as sl_metrics_label writes them: key="value" pairs
// joined by commas, no blanks, only \\ \" \n escapes, valid UTF-8, no control bytes, no key
// twice. name must be a family's name, or for a histogram family name_bucket (with le, a number
// or +Inf), name_sum or name_count (without le). A line that breaks any of this, is longer than
// SL_METRICS_MAX_LINE, has more than SL_METRICS_MAX_LABELS labels, has a timestamp, or would
// be series number SL_METRICS_MAX_SERIES + 1, is skipped. *bad_lines (when not NULL) is set to
// the number of lines skipped. Returns 0 when none was, SL_EPROTO when some were (the others
// are added all the same).
int sl_metrics_sum_add(sl_metrics_sum_t *self, const char *text, size_t len, size_t *bad_lines);
// Add one sample directly (the supervisor's own counters); name and labels as for
// sl_metrics_sample. 0; SL_EINVAL when the line it makes would be skipped by sl_metrics_sum_add
// (unknown family, bad labels); SL_ETOOBIG when it is a new series and the sum is full.
int
sl_metrics_sum_sample(sl_metrics_sum_t *self, const char *name, const char *labels, double value);
// Append the exposition format: for each family of SL_METRICS_FAMILIES, in table order, that
// has a series: "# HELP", "# TYPE", then its series, sorted by label text; a histogram's
// series by label set without le, each set's buckets in ascending le (+Inf last) then _sum and
// _count. 0, or SL_ETOOBIG with out as it was.
int sl_metrics_sum_render(const sl_metrics_sum_t *self, sl_buf_t *out);
// The value of the series with exactly this key text (name{labels} as sl_metrics_sum_add keys
// it); 0 when absent.
double sl_metrics_sum_get(const sl_metrics_sum_t *self, const char *key);
// The sum over every series whose sample name is name, whatever its labels (e.g.
// "sluice_streams_in_flight", or "sluice_ttft_seconds_count"); 0 when there is none.
double sl_metrics_sum_total(const sl_metrics_sum_t *self, const char *name);
// Number of distinct series held.
size_t sl_metrics_sum_size(const sl_metrics_sum_t *self);
// Drop every series (to add the processes' latest texts afresh).
void sl_metrics_sum_reset(sl_metrics_sum_t *self);

#endif
