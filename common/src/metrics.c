// metrics.c - Prometheus families, sample writers and the supervisor's sum (see sl/metrics.h).
#include "sl/metrics.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <czmq.h>

#include "sl/err.h"
#include "sl/mem.h"
#include "sl/text.h"

// Room for any value s_format_value prints: "-2.2250738585072014e-308" is 24 bytes.
#define S_VALUE_SIZE 32
// Longest value token the sum reads; a longer one is not a number we wrote.
#define S_VALUE_MAX 40
// U+FFFD, what a control byte or a byte outside valid UTF-8 becomes in a label value.
#define S_REPLACEMENT "\xef\xbf\xbd"

const double sl_metrics_bounds[SL_METRICS_BUCKETS] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
};

typedef struct {
    const char *name;      // the family's name, e.g. "sluice_ttft_seconds"
    sl_metric_type_t type; // COUNTER, GAUGE or HISTOGRAM
    const char *help;      // one sentence for # HELP
} s_family_t;

static const s_family_t s_families[] = {
#define X(name, type, help) {#name, SL_METRIC_##type, help},
    SL_METRICS_FAMILIES(X)
#undef X
};
#define S_FAMILIES (sizeof s_families / sizeof s_families[0])

static const char *const s_type_names[] = {"counter", "gauge", "histogram"};

// Which sample of its family a line is; also the order a histogram's samples render in.
typedef enum {
    S_PLAIN,  // a counter's or gauge's sample: the family name itself
    S_BUCKET, // name_bucket
    S_SUM,    // name_sum
    S_COUNT,  // name_count
} s_suffix_t;

static const char *const s_suffixes[] = {"", "_bucket", "_sum", "_count"};

// One series of the sum.
typedef struct {
    char *key;         // owned; name{labels} as the line spelt it; also the hash key
    size_t name_len;   // bytes of key that are the sample name
    char *group;       // owned; the labels without le, so a histogram's set sorts together
    size_t family;     // index in s_families
    s_suffix_t suffix; // which sample of the family
    double le;         // a bucket's bound (+Inf for le="+Inf"); 0 for other samples
    double value;      // sum of every value added
} s_series_t;

struct sl_metrics_sum {
    zhashx_t *series; // owned: key -> s_series_t (owned); keys borrowed from the items
};

// One sample line, parsed. Spans point into the line.
typedef struct {
    size_t name_len;                        // the sample name is line[0..name_len)
    size_t key_len;                         // the key is line[0..key_len), braces included
    size_t labels_off;                      // the labels (inside the braces) start here
    size_t labels_len;                      // 0 for no labels
    size_t pairs;                           // labels parsed
    size_t pair_off[SL_METRICS_MAX_LABELS]; // each label, key="value", from its key
    size_t pair_len[SL_METRICS_MAX_LABELS]; // to its closing quote
    size_t key_end[SL_METRICS_MAX_LABELS];  // offset of the '=' after each label's key
    size_t le_pair;                         // index of the le label, or SL_METRICS_MAX_LABELS
    size_t family;                          // index in s_families
    s_suffix_t suffix;                      // which sample of the family
    double le;                              // the le label's value, for a bucket
    double value;                           // the sample's value
} s_line_t;

// Print v as Prometheus reads it, in the shortest form that reads back the same.
static void
s_format_value(char *out, size_t size, double v)
{
    if (isnan(v)) {
        snprintf(out, size, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(out, size, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    double mag = v < 0 ? -v : v;
    // Below 2^53 every integer is exact, and the cast cannot overflow.
    if (mag < 9007199254740992.0 && (double)(int64_t)v == v) {
        snprintf(out, size, "%" PRId64, (int64_t)v); // also prints -0 as 0
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, size, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

// Append name+suffix, the labels and le (either may be absent), the value and a newline.
// Not all or nothing: the public writers roll back.
static int
s_write(sl_buf_t *out,
        const char *name,
        const char *suffix,
        const char *labels,
        const char *le,
        double value)
{
    char v[S_VALUE_SIZE];
    s_format_value(v, sizeof v, value);
    bool has_labels = labels && *labels;
    if (sl_buf_append_str(out, name) || sl_buf_append_str(out, suffix))
        return SL_ETOOBIG;
    if (has_labels || le) {
        if (sl_buf_append_str(out, "{") || (has_labels && sl_buf_append_str(out, labels)))
            return SL_ETOOBIG;
        if (le && sl_buf_printf(out, "%sle=\"%s\"", has_labels ? "," : "", le))
            return SL_ETOOBIG;
        if (sl_buf_append_str(out, "}"))
            return SL_ETOOBIG;
    }
    if (sl_buf_append_str(out, " ") || sl_buf_append_str(out, v) || sl_buf_append_str(out, "\n"))
        return SL_ETOOBIG;
    return 0;
}

static bool
s_is_name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
s_is_name_char(char c)
{
    return s_is_name_start(c) || (c >= '0' && c <= '9');
}

static bool
s_is_blank(char c)
{
    return c == ' ' || c == '\t';
}

// The byte at i, or NUL past the end. The sum refuses lines holding NUL, so NUL is a safe
// end marker and the parser never reads past len.
static char
s_at(const char *p, size_t len, size_t i)
{
    return i < len ? p[i] : '\0';
}

// A value as we write it: NaN, +Inf, -Inf or a finite decimal number (no hex, no "inf").
static bool
s_parse_value(const char *s, size_t n, double *out)
{
    if (n == 3 && memcmp(s, "NaN", 3) == 0) {
        *out = NAN;
        return true;
    }
    if (n == 4 && (memcmp(s, "+Inf", 4) == 0 || memcmp(s, "-Inf", 4) == 0)) {
        *out = s[0] == '+' ? INFINITY : -INFINITY;
        return true;
    }
    if (n == 0 || n > S_VALUE_MAX)
        return false;
    char buf[S_VALUE_MAX + 1];
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'))
            return false;
        buf[i] = c;
    }
    buf[n] = '\0';
    char *end;
    double v = strtod(buf, &end);
    if (end != buf + n || isinf(v))
        return false;
    *out = v;
    return true;
}

// The family a sample name belongs to, and which of its samples it is; false when none.
static bool
s_find_family(const char *name, size_t len, size_t *family, s_suffix_t *suffix)
{
    for (size_t f = 0; f < S_FAMILIES; f++) {
        size_t flen = strlen(s_families[f].name);
        if (len < flen || memcmp(name, s_families[f].name, flen) != 0)
            continue;
        if (s_families[f].type != SL_METRIC_HISTOGRAM) {
            if (len != flen)
                continue;
            *family = f;
            *suffix = S_PLAIN;
            return true;
        }
        for (s_suffix_t s = S_BUCKET; s <= S_COUNT; s++) {
            size_t slen = strlen(s_suffixes[s]);
            if (len - flen == slen && memcmp(name + flen, s_suffixes[s], slen) == 0) {
                *family = f;
                *suffix = s;
                return true;
            }
        }
    }
    return false;
}

// Parse the labels from p[*i], just past '{', to just past '}'. False on anything
// sl_metrics_label would not have written.
static bool
s_parse_labels(const char *p, size_t len, size_t *i_p, s_line_t *l)
{
    size_t i = *i_p;
    l->labels_off = i;
    if (s_at(p, len, i) == '}') { // "name{}" is "name"
        *i_p = i + 1;
        return true;
    }
    for (;;) {
        if (l->pairs == SL_METRICS_MAX_LABELS || !s_is_name_start(s_at(p, len, i)))
            return false;
        size_t start = i;
        while (s_is_name_char(s_at(p, len, i)))
            i++;
        size_t key_end = i;
        if (s_at(p, len, i) != '=' || s_at(p, len, i + 1) != '"')
            return false;
        i += 2;
        for (char c = s_at(p, len, i); c != '"'; c = s_at(p, len, i)) {
            if (c == '\0' || (unsigned char)c < 0x20 || c == 0x7f)
                return false; // end of line before the closing quote, or a control byte
            if (c == '\\') {
                char e = s_at(p, len, i + 1);
                if (e != '\\' && e != '"' && e != 'n')
                    return false;
                i++;
            }
            i++;
        }
        i++; // the closing quote
        for (size_t k = 0; k < l->pairs; k++) {
            size_t klen = l->key_end[k] - l->pair_off[k];
            if (klen == key_end - start && memcmp(p + l->pair_off[k], p + start, klen) == 0)
                return false; // the same key twice
        }
        l->pair_off[l->pairs] = start;
        l->pair_len[l->pairs] = i - start;
        l->key_end[l->pairs] = key_end;
        if (key_end - start == 2 && memcmp(p + start, "le", 2) == 0)
            l->le_pair = l->pairs;
        l->pairs++;
        char c = s_at(p, len, i);
        if (c == '}') {
            l->labels_len = i - l->labels_off;
            *i_p = i + 1;
            return true;
        }
        if (c != ',')
            return false;
        i++;
    }
}

// Parse one sample line (no newline, trailing CR and blanks already cut, not empty).
static bool
s_parse_line(const char *p, size_t len, s_line_t *l)
{
    memset(l, 0, sizeof *l);
    l->le_pair = SL_METRICS_MAX_LABELS;
    unsigned byte;
    if (len > SL_METRICS_MAX_LINE || sl_text_utf8_bad_line(p, len, &byte) != 0)
        return false; // also refuses NUL, which s_at relies on
    size_t i = 0;
    if (!s_is_name_start(s_at(p, len, i)) && s_at(p, len, i) != ':')
        return false;
    while (s_is_name_char(s_at(p, len, i)) || s_at(p, len, i) == ':')
        i++;
    l->name_len = i;
    if (!s_find_family(p, i, &l->family, &l->suffix))
        return false;
    l->key_len = i;
    if (s_at(p, len, i) == '{') {
        i++;
        if (!s_parse_labels(p, len, &i, l))
            return false;
        if (l->labels_len)
            l->key_len = i;
    }
    bool has_le = l->le_pair < l->pairs;
    if (l->suffix == S_BUCKET) {
        if (!has_le)
            return false;
        size_t vs = l->key_end[l->le_pair] + 2;
        size_t vlen = l->pair_off[l->le_pair] + l->pair_len[l->le_pair] - 1 - vs;
        if (!s_parse_value(p + vs, vlen, &l->le) || isnan(l->le))
            return false;
    } else if (has_le && l->suffix != S_PLAIN) {
        return false; // a histogram's _sum or _count has no le
    }
    if (!s_is_blank(s_at(p, len, i)))
        return false;
    while (s_is_blank(s_at(p, len, i)))
        i++;
    size_t vs = i;
    while (i < len && !s_is_blank(p[i]))
        i++;
    if (!s_parse_value(p + vs, i - vs, &l->value))
        return false;
    return i == len; // anything after the value, a timestamp say, is refused
}

static void
s_series_destroy(void **item_p)
{
    s_series_t *s = (s_series_t *)*item_p;
    if (s) {
        free(s->key);
        free(s->group);
        free(s);
        *item_p = NULL;
    }
}

// Add one line (no newline) to the sum: 0 (blank lines too), SL_EPROTO when it does not
// parse, SL_ETOOBIG when it is a new series and the sum is full.
static int
s_add_line(sl_metrics_sum_t *self, const char *p, size_t len)
{
    if (len && p[len - 1] == '\r')
        len--;
    if (len > SL_METRICS_MAX_LINE)
        return SL_EPROTO; // checked before anything else, so a huge line costs one pass
    while (len && s_is_blank(p[len - 1]))
        len--;
    if (len == 0)
        return 0; // a blank line
    s_line_t l;
    if (!s_parse_line(p, len, &l))
        return SL_EPROTO;
    char key[SL_METRICS_MAX_LINE + 1];
    memcpy(key, p, l.key_len);
    key[l.key_len] = '\0';
    s_series_t *s = (s_series_t *)zhashx_lookup(self->series, key);
    if (s) {
        s->value += l.value;
        return 0;
    }
    if (zhashx_size(self->series) >= SL_METRICS_MAX_SERIES)
        return SL_ETOOBIG;
    s = (s_series_t *)sl_xcalloc(1, sizeof *s);
    s->key = sl_xstrdup(key);
    s->name_len = l.name_len;
    s->family = l.family;
    s->suffix = l.suffix;
    s->le = l.suffix == S_BUCKET ? l.le : 0;
    s->value = l.value;
    // The group: every label but a bucket's le, joined by commas.
    char group[SL_METRICS_MAX_LINE + 1];
    size_t glen = 0;
    for (size_t k = 0; k < l.pairs; k++) {
        if (l.suffix == S_BUCKET && k == l.le_pair)
            continue;
        if (glen)
            group[glen++] = ',';
        memcpy(group + glen, p + l.pair_off[k], l.pair_len[k]);
        glen += l.pair_len[k];
    }
    group[glen] = '\0';
    s->group = sl_xstrdup(group);
    int rc = zhashx_insert(self->series, s->key, s);
    assert(rc == 0); // the lookup above found no such key
    (void)rc;
    return 0;
}

// Render order: family (table order), label set without le, bucket/_sum/_count, le; the key
// last, so the order is total.
static int
s_compare(const void *a, const void *b)
{
    const s_series_t *x = *(const s_series_t *const *)a;
    const s_series_t *y = *(const s_series_t *const *)b;
    if (x->family != y->family)
        return x->family < y->family ? -1 : 1;
    int c = strcmp(x->group, y->group);
    if (c)
        return c;
    if (x->suffix != y->suffix)
        return x->suffix < y->suffix ? -1 : 1;
    if (x->le != y->le)
        return x->le < y->le ? -1 : 1;
    return strcmp(x->key, y->key);
}

int
sl_metrics_sample(sl_buf_t *out, const char *name, const char *labels, double value)
{
    size_t mark = out->len;
    SL_BUF_TRY(s_write(out, name, "", labels, NULL, value));
    return 0;
toobig:
    return sl_buf_rollback(out, mark);
}

int
sl_metrics_label(sl_buf_t *out, const char *key, const char *value, size_t value_len)
{
    const unsigned char *v = (const unsigned char *)value;
    size_t mark = out->len;
    if (out->len)
        SL_BUF_TRY(sl_buf_append_str(out, ","));
    SL_BUF_TRY(sl_buf_append_str(out, key));
    SL_BUF_TRY(sl_buf_append_str(out, "=\""));
    size_t run = 0; // start of the pending run of bytes that go out as they are
    for (size_t i = 0; i < value_len; i++) {
        const char *esc;
        if (v[i] == '\\')
            esc = "\\\\";
        else if (v[i] == '"')
            esc = "\\\"";
        else if (v[i] == '\n')
            esc = "\\n";
        else if (v[i] < 0x20 || v[i] == 0x7f)
            esc = S_REPLACEMENT;
        else if (v[i] < 0x80)
            continue;
        else {
            size_t n = sl_text_utf8_len(v + i, value_len - i);
            if (n) {
                i += n - 1;
                continue;
            }
            esc = S_REPLACEMENT;
        }
        SL_BUF_TRY(sl_buf_append(out, value + run, i - run));
        SL_BUF_TRY(sl_buf_append_str(out, esc));
        run = i + 1;
    }
    SL_BUF_TRY(sl_buf_append(out, value ? value + run : "", value_len - run));
    SL_BUF_TRY(sl_buf_append_str(out, "\""));
    return 0;
toobig:
    return sl_buf_rollback(out, mark);
}

void
sl_metrics_hist_observe(sl_metrics_hist_t *self, double seconds)
{
    if (isnan(seconds))
        return;
    if (seconds < 0)
        seconds = 0;
    size_t b = 0;
    while (b < SL_METRICS_BUCKETS && seconds > sl_metrics_bounds[b])
        b++;
    self->counts[b]++;
    self->sum += seconds;
    self->count++;
}

int
sl_metrics_hist_write(sl_buf_t *out,
                      const char *name,
                      const char *labels,
                      const sl_metrics_hist_t *h)
{
    size_t mark = out->len;
    uint64_t cumulative = 0;
    char le[S_VALUE_SIZE];
    for (size_t b = 0; b <= SL_METRICS_BUCKETS; b++) {
        cumulative += h->counts[b];
        s_format_value(le, sizeof le, b < SL_METRICS_BUCKETS ? sl_metrics_bounds[b] : INFINITY);
        SL_BUF_TRY(s_write(out, name, "_bucket", labels, le, (double)cumulative));
    }
    SL_BUF_TRY(s_write(out, name, "_sum", labels, NULL, h->sum));
    // The +Inf bucket, not h->count: the two are equal, and this way _count always matches.
    SL_BUF_TRY(s_write(out, name, "_count", labels, NULL, (double)cumulative));
    return 0;
toobig:
    return sl_buf_rollback(out, mark);
}

sl_metrics_sum_t *
sl_metrics_sum_new(void)
{
    sl_metrics_sum_t *self = (sl_metrics_sum_t *)sl_xcalloc(1, sizeof *self);
    self->series = zhashx_new();
    assert(self->series); // zhashx_new aborts on exhaustion itself
    // Keys are the items' own key strings: not copied, not freed by the table.
    zhashx_set_key_duplicator(self->series, NULL);
    zhashx_set_key_destructor(self->series, NULL);
    zhashx_set_destructor(self->series, s_series_destroy);
    return self;
}

void
sl_metrics_sum_destroy(sl_metrics_sum_t **self_p)
{
    assert(self_p);
    if (*self_p) {
        sl_metrics_sum_t *self = *self_p;
        zhashx_destroy(&self->series);
        free(self);
        *self_p = NULL;
    }
}

int
sl_metrics_sum_add(sl_metrics_sum_t *self, const char *text, size_t len, size_t *bad_lines)
{
    size_t bad = 0;
    size_t i = 0;
    while (i < len) {
        const char *nl = (const char *)memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len;
        if (s_add_line(self, text + i, end - i) != 0)
            bad++;
        i = end + 1;
    }
    if (bad_lines)
        *bad_lines = bad;
    return bad ? SL_EPROTO : 0;
}

int
sl_metrics_sum_sample(sl_metrics_sum_t *self, const char *name, const char *labels, double value)
{
    sl_buf_t line;
    sl_buf_init(&line, SL_METRICS_MAX_LINE + 1);
    int rc = SL_EPROTO; // a line too long for the buffer is one the sum would refuse
    if (sl_metrics_sample(&line, name, labels, value) == 0)
        rc = s_add_line(self, line.data, line.len - 1); // without the newline
    sl_buf_free(&line);
    return rc == SL_EPROTO ? SL_EINVAL : rc;
}

int
sl_metrics_sum_render(const sl_metrics_sum_t *self, sl_buf_t *out)
{
    size_t n = zhashx_size(self->series);
    if (n == 0)
        return 0;
    const s_series_t **all = (const s_series_t **)sl_xcalloc(n, sizeof *all);
    size_t k = 0;
    for (const s_series_t *s = zhashx_first(self->series); s; s = zhashx_next(self->series))
        all[k++] = s;
    assert(k == n);
    qsort(all, n, sizeof *all, s_compare);
    size_t mark = out->len;
    size_t family = S_FAMILIES; // none yet
    char v[S_VALUE_SIZE];
    for (k = 0; k < n; k++) {
        const s_series_t *s = all[k];
        if (s->family != family) {
            family = s->family;
            const s_family_t *f = &s_families[family];
            SL_BUF_TRY(sl_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name,
                                     s_type_names[f->type]));
        }
        s_format_value(v, sizeof v, s->value);
        SL_BUF_TRY(sl_buf_append_str(out, s->key));
        SL_BUF_TRY(sl_buf_append_str(out, " "));
        SL_BUF_TRY(sl_buf_append_str(out, v));
        SL_BUF_TRY(sl_buf_append_str(out, "\n"));
    }
    free(all);
    return 0;
toobig:
    free(all);
    return sl_buf_rollback(out, mark);
}

double
sl_metrics_sum_get(const sl_metrics_sum_t *self, const char *key)
{
    const s_series_t *s = (const s_series_t *)zhashx_lookup(self->series, key);
    return s ? s->value : 0;
}

double
sl_metrics_sum_total(const sl_metrics_sum_t *self, const char *name)
{
    size_t len = strlen(name);
    double total = 0;
    for (const s_series_t *s = zhashx_first(self->series); s; s = zhashx_next(self->series))
        if (s->name_len == len && memcmp(s->key, name, len) == 0)
            total += s->value;
    return total;
}

size_t
sl_metrics_sum_size(const sl_metrics_sum_t *self)
{
    return zhashx_size(self->series);
}

void
sl_metrics_sum_reset(sl_metrics_sum_t *self)
{
    zhashx_purge(self->series);
}
