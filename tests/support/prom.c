// prom.c - a strict Prometheus text format 0.0.4 parser for tests (see prom.h).
#include "prom.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <czmq.h>

#include "sl/buf.h"
#include "sl/mem.h"
#include "sl/text.h"

// Cap on one series' identity text; a test document never comes near it.
#define S_MAX_KEY (1 << 20)
// Longest number token read; longer is not a number anyone writes.
#define S_MAX_NUMBER 64

static const char *const s_types[] = {"counter", "gauge", "histogram", "summary", "untyped"};

// Which sample of a histogram or summary family a sample is.
typedef enum {
    S_OTHER,  // the family's own name (or any sample of another type)
    S_BUCKET, // name_bucket
    S_SUM,    // name_sum
    S_COUNT,  // name_count
} s_kind_t;

static const char *const s_suffixes[] = {"", "_bucket", "_sum", "_count"};

typedef struct {
    char *name;       // owned
    const char *type; // static, one of s_types; NULL until a TYPE line
    char *help;       // owned, unescaped; NULL until a HELP line
    int type_line;    // line of the TYPE line, 0 for none
    int help_line;    // line of the HELP line, 0 for none
    int first_line;   // line of the first sample, 0 before
    int last_line;    // line of the latest sample
} s_family_t;

typedef struct {
    char *name;  // owned
    char *value; // owned, unescaped
} s_label_t;

typedef struct {
    char *name;         // owned: the sample name
    char *key;          // owned: name{labels sorted by name, escaped}: the series' identity
    char *group;        // owned: the sorted labels without le, for histogram checks
    s_family_t *family; // borrowed: owned by prom->families
    s_kind_t kind;      // which sample of its family
    double le;          // a histogram bucket's bound
    double value;       // the sample's value
    int line;           // where it was
} s_sample_t;

struct prom {
    zhashx_t *families;   // owned: name -> s_family_t (owned)
    zhashx_t *series;     // owned: key -> s_sample_t (borrowed from samples)
    s_sample_t **samples; // owned, each owned, in document order
    size_t count;         // samples in use
    size_t alloc;         // samples allocated
    s_family_t *current;  // borrowed: the family the latest sample or HELP/TYPE was for
};

// Where the parser is, and where its message goes.
typedef struct {
    int line;        // 1-based line being parsed
    char *err;       // borrowed: the caller's buffer
    size_t err_size; // its size; 0 for none
} s_ctx_t;

static bool s_fail(s_ctx_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

// Write "line N: message" to the caller's buffer; always false, to return.
static bool
s_fail(s_ctx_t *c, const char *fmt, ...)
{
    if (c->err_size == 0)
        return false;
    int n = snprintf(c->err, c->err_size, "line %d: ", c->line);
    if (n >= 0 && (size_t)n < c->err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->err_size - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return false;
}

static bool
s_is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool
s_is_label_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
s_is_label_char(char c)
{
    return s_is_label_start(c) || (c >= '0' && c <= '9');
}

static bool
s_is_metric_start(char c)
{
    return s_is_label_start(c) || c == ':';
}

static bool
s_is_metric_char(char c)
{
    return s_is_label_char(c) || c == ':';
}

// The byte at i, or NUL past the end. The document holds no NUL (the UTF-8 check refuses
// it), so NUL marks the end and no read goes past n.
static char
s_at(const char *p, size_t n, size_t i)
{
    return i < n ? p[i] : '\0';
}

static size_t
s_skip_blanks(const char *p, size_t n, size_t i)
{
    while (s_is_blank(s_at(p, n, i)))
        i++;
    return i;
}

// NaN, +Inf, -Inf, or a finite decimal number: nothing else Prometheus writes.
static bool
s_parse_float(const char *s, size_t n, double *out)
{
    if (n == 3 && memcmp(s, "NaN", 3) == 0) {
        *out = NAN;
        return true;
    }
    if (n == 4 && (memcmp(s, "+Inf", 4) == 0 || memcmp(s, "-Inf", 4) == 0)) {
        *out = s[0] == '+' ? INFINITY : -INFINITY;
        return true;
    }
    if (n == 0 || n > S_MAX_NUMBER)
        return false;
    char buf[S_MAX_NUMBER + 1];
    bool digit = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        digit = digit || (c >= '0' && c <= '9');
        if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'))
            return false;
        buf[i] = c;
    }
    buf[n] = '\0';
    char *end;
    double v = strtod(buf, &end);
    if (!digit || end != buf + n || isinf(v))
        return false;
    *out = v;
    return true;
}

static void
s_labels_free(s_label_t *labels, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        free(labels[k].name);
        free(labels[k].value);
    }
    free(labels);
}

// Parse labels from p[*i_p], just past '{', to just past '}': blanks around tokens and a
// trailing comma allowed, as the format says. *labels_p gets the array (caller frees it with
// s_labels_free, on failure too), *n_p its length.
static bool
s_parse_labels(s_ctx_t *c, const char *p, size_t n, size_t *i_p, s_label_t **labels_p, size_t *n_p)
{
    size_t i = *i_p;
    size_t alloc = 0;
    sl_buf_t value;
    sl_buf_init(&value, n);
    bool ok = false;
    for (;;) {
        i = s_skip_blanks(p, n, i);
        if (s_at(p, n, i) == '}')
            break;
        if (!s_is_label_start(s_at(p, n, i))) {
            s_fail(c, "invalid label name at column %zu", i + 1);
            goto done;
        }
        size_t start = i;
        while (s_is_label_char(s_at(p, n, i)))
            i++;
        size_t name_len = i - start;
        i = s_skip_blanks(p, n, i);
        if (s_at(p, n, i) != '=') {
            s_fail(c, "expected '=' after label %.*s", (int)name_len, p + start);
            goto done;
        }
        i = s_skip_blanks(p, n, i + 1);
        if (s_at(p, n, i) != '"') {
            s_fail(c, "label %.*s: value not quoted", (int)name_len, p + start);
            goto done;
        }
        i++;
        sl_buf_reset(&value);
        for (char ch = s_at(p, n, i); ch != '"'; ch = s_at(p, n, i)) {
            if (ch == '\0') {
                s_fail(c, "label %.*s: unterminated value", (int)name_len, p + start);
                goto done;
            }
            if (ch == '\\') {
                char e = s_at(p, n, i + 1);
                if (e != '\\' && e != '"' && e != 'n') {
                    s_fail(c, "label %.*s: invalid escape \\%c", (int)name_len, p + start,
                           e ? e : '0');
                    goto done;
                }
                ch = e == 'n' ? '\n' : e;
                i++;
            }
            (void)sl_buf_append(&value, &ch, 1); // fits: the value is shorter than the line
            i++;
        }
        i++; // the closing quote
        for (size_t k = 0; k < *n_p; k++) {
            if (strlen((*labels_p)[k].name) == name_len
                && memcmp((*labels_p)[k].name, p + start, name_len) == 0) {
                s_fail(c, "label %.*s twice", (int)name_len, p + start);
                goto done;
            }
        }
        if (*n_p == alloc) {
            alloc = alloc ? alloc * 2 : 4;
            *labels_p = (s_label_t *)sl_xrealloc(*labels_p, alloc * sizeof **labels_p);
        }
        (*labels_p)[*n_p].name = sl_xstrndup(p + start, name_len);
        (*labels_p)[*n_p].value = sl_xstrndup(sl_buf_str(&value), value.len);
        (*n_p)++;
        i = s_skip_blanks(p, n, i);
        if (s_at(p, n, i) == ',') {
            i++;
            continue;
        }
        if (s_at(p, n, i) != '}') {
            s_fail(c, "expected ',' or '}' at column %zu", i + 1);
            goto done;
        }
        break;
    }
    *i_p = i + 1;
    ok = true;
done:
    sl_buf_free(&value);
    return ok;
}

static int
s_label_compare(const void *a, const void *b)
{
    return strcmp(((const s_label_t *)a)->name, ((const s_label_t *)b)->name);
}

// Append the labels, sorted, as name="escaped value" joined by commas; skip names skip.
static void
s_append_labels(sl_buf_t *out, const s_label_t *labels, size_t n, const char *skip)
{
    bool first = true;
    for (size_t k = 0; k < n; k++) {
        if (skip && strcmp(labels[k].name, skip) == 0)
            continue;
        (void)sl_buf_printf(out, "%s%s=\"", first ? "" : ",", labels[k].name);
        for (const char *v = labels[k].value; *v; v++) {
            if (*v == '\\' || *v == '"')
                (void)sl_buf_printf(out, "\\%c", *v);
            else if (*v == '\n')
                (void)sl_buf_append_str(out, "\\n");
            else
                (void)sl_buf_append(out, v, 1);
        }
        (void)sl_buf_append_str(out, "\"");
        first = false;
    }
}

// The series' identity: name{sorted labels}, or name alone. Sorts labels. Caller owns it.
static char *
s_series_key(const char *name, size_t name_len, s_label_t *labels, size_t n)
{
    if (n)
        qsort(labels, n, sizeof *labels, s_label_compare);
    sl_buf_t key;
    sl_buf_init(&key, S_MAX_KEY);
    (void)sl_buf_append(&key, name, name_len);
    if (n) {
        (void)sl_buf_append_str(&key, "{");
        s_append_labels(&key, labels, n, NULL);
        (void)sl_buf_append_str(&key, "}");
    }
    char *out = sl_xstrdup(sl_buf_str(&key));
    sl_buf_free(&key);
    return out;
}

static void
s_family_destroy(void **item_p)
{
    s_family_t *f = (s_family_t *)*item_p;
    if (f) {
        free(f->name);
        free(f->help);
        free(f);
        *item_p = NULL;
    }
}

static s_family_t *
s_family(prom_t *self, const char *name, size_t len)
{
    char *key = sl_xstrndup(name, len);
    s_family_t *f = (s_family_t *)zhashx_lookup(self->families, key);
    if (!f) {
        f = (s_family_t *)sl_xcalloc(1, sizeof *f);
        f->name = key;
        key = NULL;
        int rc = zhashx_insert(self->families, f->name, f);
        assert(rc == 0);
        (void)rc;
    }
    free(key);
    return f;
}

// "# HELP name text", "# TYPE name type", or another comment.
static bool
s_comment(prom_t *self, s_ctx_t *c, const char *p, size_t n)
{
    size_t i = s_skip_blanks(p, n, 1);
    size_t start = i;
    while (i < n && !s_is_blank(p[i]))
        i++;
    bool help = i - start == 4 && memcmp(p + start, "HELP", 4) == 0;
    bool type = i - start == 4 && memcmp(p + start, "TYPE", 4) == 0;
    if (!help && !type)
        return true; // a plain comment
    const char *what = help ? "HELP" : "TYPE";
    i = s_skip_blanks(p, n, i);
    start = i;
    while (i < n && !s_is_blank(p[i]))
        i++;
    if (i == start)
        return s_fail(c, "%s without a metric name", what);
    bool valid = s_is_metric_start(p[start]);
    for (size_t k = start; k < i; k++)
        valid = valid && s_is_metric_char(p[k]);
    if (!valid)
        return s_fail(c, "%s: invalid metric name \"%.*s\"", what, (int)(i - start), p + start);
    s_family_t *f = s_family(self, p + start, i - start);
    if (f->first_line)
        return s_fail(c, "%s for %s after its samples (line %d)", what, f->name, f->first_line);
    if (f != self->current)
        self->current = NULL; // samples of the family before this line have ended
    i = s_skip_blanks(p, n, i);
    if (help) {
        if (f->help_line)
            return s_fail(c, "second HELP for %s (first at line %d)", f->name, f->help_line);
        sl_buf_t text;
        sl_buf_init(&text, n);
        for (; i < n; i++) {
            char ch = p[i];
            if (ch == '\\') {
                char e = s_at(p, n, i + 1);
                if (e != '\\' && e != 'n') {
                    sl_buf_free(&text);
                    return s_fail(c, "HELP for %s: invalid escape \\%c", f->name, e ? e : '0');
                }
                ch = e == 'n' ? '\n' : '\\';
                i++;
            }
            (void)sl_buf_append(&text, &ch, 1); // fits: shorter than the line
        }
        f->help = sl_xstrdup(sl_buf_str(&text));
        f->help_line = c->line;
        sl_buf_free(&text);
        return true;
    }
    if (f->type_line)
        return s_fail(c, "second TYPE for %s (first at line %d)", f->name, f->type_line);
    start = i;
    while (i < n && !s_is_blank(p[i]))
        i++;
    for (size_t k = 0; k < sizeof s_types / sizeof s_types[0]; k++)
        if (strlen(s_types[k]) == i - start && memcmp(s_types[k], p + start, i - start) == 0)
            f->type = s_types[k];
    if (!f->type)
        return s_fail(c, "TYPE for %s: unknown type \"%.*s\"", f->name, (int)(i - start),
                      p + start);
    if (s_skip_blanks(p, n, i) != n)
        return s_fail(c, "TYPE for %s: text after the type", f->name);
    f->type_line = c->line;
    return true;
}

// The family a sample belongs to: a histogram's or summary's when the name is one of its
// suffixed samples and its TYPE came first; else the family named as the sample.
static s_family_t *
s_sample_family(prom_t *self, const char *name, size_t len, s_kind_t *kind)
{
    for (s_kind_t k = S_BUCKET; k <= S_COUNT; k++) {
        size_t slen = strlen(s_suffixes[k]);
        if (len <= slen || memcmp(name + len - slen, s_suffixes[k], slen) != 0)
            continue;
        char *base = sl_xstrndup(name, len - slen);
        s_family_t *f = (s_family_t *)zhashx_lookup(self->families, base);
        free(base);
        if (f && f->type
            && (strcmp(f->type, "histogram") == 0
                || (k != S_BUCKET && strcmp(f->type, "summary") == 0))) {
            *kind = k;
            return f;
        }
    }
    *kind = S_OTHER;
    return s_family(self, name, len);
}

// A sample: name{labels} value [timestamp].
static bool
s_sample(prom_t *self, s_ctx_t *c, const char *p, size_t n)
{
    s_label_t *labels = NULL;
    size_t nlabels = 0;
    char *key = NULL;
    size_t i = 0;
    if (!s_is_metric_start(p[0])) {
        s_fail(c, "invalid metric name");
        goto fail;
    }
    while (s_is_metric_char(s_at(p, n, i)))
        i++;
    size_t name_len = i;
    if (s_at(p, n, i) == '{') {
        i++;
        if (!s_parse_labels(c, p, n, &i, &labels, &nlabels))
            goto fail;
    } else if (i < n && !s_is_blank(p[i])) {
        s_fail(c, "invalid metric name \"%.*s\"", (int)(i + 1 < n ? i + 1 : n), p);
        goto fail;
    }
    i = s_skip_blanks(p, n, i);
    size_t start = i;
    while (i < n && !s_is_blank(p[i]))
        i++;
    double value;
    if (i == start) {
        s_fail(c, "%.*s: missing value", (int)name_len, p);
        goto fail;
    }
    if (!s_parse_float(p + start, i - start, &value)) {
        s_fail(c, "%.*s: invalid value \"%.*s\"", (int)name_len, p, (int)(i - start), p + start);
        goto fail;
    }
    i = s_skip_blanks(p, n, i);
    if (i < n) {
        start = i;
        while (i < n && !s_is_blank(p[i]))
            i++;
        int64_t ts;
        if (!sl_text_parse_int(p + start, i - start, &ts)) {
            s_fail(c, "%.*s: invalid timestamp \"%.*s\"", (int)name_len, p, (int)(i - start),
                   p + start);
            goto fail;
        }
        if (s_skip_blanks(p, n, i) != n) {
            s_fail(c, "%.*s: text after the timestamp", (int)name_len, p);
            goto fail;
        }
    }

    s_kind_t kind;
    s_family_t *f = s_sample_family(self, p, name_len, &kind);
    if (f != self->current) {
        if (f->first_line) {
            s_fail(c, "samples of %s are not together (an earlier one is at line %d)", f->name,
                   f->last_line);
            goto fail;
        }
        self->current = f;
    }
    if (!f->first_line)
        f->first_line = c->line;
    f->last_line = c->line;
    bool histogram = f->type && strcmp(f->type, "histogram") == 0;
    double le = 0;
    if (histogram) {
        if (kind == S_OTHER) {
            s_fail(c, "histogram %s: sample %.*s is not _bucket, _sum or _count", f->name,
                   (int)name_len, p);
            goto fail;
        }
        const char *le_text = NULL;
        for (size_t k = 0; k < nlabels; k++)
            if (strcmp(labels[k].name, "le") == 0)
                le_text = labels[k].value;
        if (kind == S_BUCKET && !le_text) {
            s_fail(c, "histogram %s: bucket without le", f->name);
            goto fail;
        }
        if (kind != S_BUCKET && le_text) {
            s_fail(c, "histogram %s: le on %.*s", f->name, (int)name_len, p);
            goto fail;
        }
        if (le_text && (!s_parse_float(le_text, strlen(le_text), &le) || isnan(le))) {
            s_fail(c, "histogram %s: invalid le \"%s\"", f->name, le_text);
            goto fail;
        }
    }
    key = s_series_key(p, name_len, labels, nlabels);
    const s_sample_t *dup = (const s_sample_t *)zhashx_lookup(self->series, key);
    if (dup) {
        s_fail(c, "series %s again (first at line %d)", key, dup->line);
        goto fail;
    }
    s_sample_t *s = (s_sample_t *)sl_xcalloc(1, sizeof *s);
    s->name = sl_xstrndup(p, name_len);
    s->key = key;
    key = NULL;
    sl_buf_t group;
    sl_buf_init(&group, S_MAX_KEY);
    s_append_labels(&group, labels, nlabels, histogram ? "le" : NULL);
    s->group = sl_xstrdup(sl_buf_str(&group));
    sl_buf_free(&group);
    s->family = f;
    s->kind = histogram ? kind : S_OTHER;
    s->le = le;
    s->value = value;
    s->line = c->line;
    if (self->count == self->alloc) {
        self->alloc = self->alloc ? self->alloc * 2 : 64;
        self->samples =
            (s_sample_t **)sl_xrealloc(self->samples, self->alloc * sizeof *self->samples);
    }
    self->samples[self->count++] = s;
    int rc = zhashx_insert(self->series, s->key, s);
    assert(rc == 0);
    (void)rc;
    s_labels_free(labels, nlabels);
    return true;
fail:
    free(key);
    s_labels_free(labels, nlabels);
    return false;
}

// Histogram samples in check order: family, label set, buckets by le, _sum, _count, line.
static int
s_hist_compare(const void *a, const void *b)
{
    const s_sample_t *x = *(const s_sample_t *const *)a;
    const s_sample_t *y = *(const s_sample_t *const *)b;
    int r = strcmp(x->family->name, y->family->name);
    if (r == 0)
        r = strcmp(x->group, y->group);
    if (r == 0 && x->kind != y->kind)
        r = x->kind < y->kind ? -1 : 1;
    if (r == 0 && x->le != y->le)
        r = x->le < y->le ? -1 : 1;
    if (r == 0) // the same le twice: the earlier line first, so the message names the later
        r = x->line < y->line ? -1 : x->line > y->line;
    return r;
}

// Every histogram label set: an le="+Inf" bucket, buckets that never fall, _sum, and _count
// equal to the +Inf bucket.
static bool
s_check_histograms(prom_t *self, s_ctx_t *c)
{
    s_sample_t **h = (s_sample_t **)sl_xcalloc(self->count + 1, sizeof *h);
    size_t n = 0;
    for (size_t k = 0; k < self->count; k++)
        if (self->samples[k]->kind != S_OTHER)
            h[n++] = self->samples[k];
    qsort(h, n, sizeof *h, s_hist_compare);
    bool ok = false;
    for (size_t i = 0, j; i < n; i = j) {
        const s_sample_t *inf = NULL, *sum = NULL, *count = NULL, *prev = NULL;
        int first = h[i]->line;
        for (j = i; j < n && h[j]->family == h[i]->family && !strcmp(h[j]->group, h[i]->group);
             j++) {
            const s_sample_t *s = h[j];
            first = s->line < first ? s->line : first;
            c->line = s->line;
            if (s->kind == S_SUM) {
                sum = s;
            } else if (s->kind == S_COUNT) {
                count = s;
            } else if (prev && prev->le == s->le) {
                s_fail(c, "histogram %s{%s}: le=%g twice (line %d)", s->family->name, s->group,
                       s->le, prev->line);
                goto done;
            } else if (prev && s->value < prev->value) {
                s_fail(c, "histogram %s{%s}: bucket le=%g holds %g, less than le=%g's %g (line %d)",
                       s->family->name, s->group, s->le, s->value, prev->le, prev->value,
                       prev->line);
                goto done;
            } else {
                prev = s;
                if (isinf(s->le) && s->le > 0)
                    inf = s;
            }
        }
        c->line = first;
        const char *name = h[i]->family->name, *group = h[i]->group;
        if (!inf) {
            s_fail(c, "histogram %s{%s} has no le=\"+Inf\" bucket", name, group);
            goto done;
        }
        if (!sum) {
            s_fail(c, "histogram %s{%s} has no _sum", name, group);
            goto done;
        }
        if (!count) {
            s_fail(c, "histogram %s{%s} has no _count", name, group);
            goto done;
        }
        if (count->value != inf->value) {
            c->line = count->line;
            s_fail(c, "histogram %s{%s}: _count %g is not the +Inf bucket's %g (line %d)", name,
                   group, count->value, inf->value, inf->line);
            goto done;
        }
    }
    ok = true;
done:
    free(h);
    return ok;
}

prom_t *
prom_parse(const char *text, size_t len, char *err, size_t err_size)
{
    s_ctx_t c = {.line = 0, .err = err, .err_size = err_size};
    if (err_size)
        err[0] = '\0';
    prom_t *self = (prom_t *)sl_xcalloc(1, sizeof *self);
    self->families = zhashx_new();
    self->series = zhashx_new();
    assert(self->families && self->series);
    zhashx_set_key_duplicator(self->families, NULL); // keys are the items' names
    zhashx_set_key_destructor(self->families, NULL);
    zhashx_set_destructor(self->families, s_family_destroy);
    zhashx_set_key_duplicator(self->series, NULL); // keys are the samples' keys
    zhashx_set_key_destructor(self->series, NULL);
    zhashx_set_destructor(self->series, NULL); // samples are owned by self->samples
    unsigned byte;
    int bad = len ? sl_text_utf8_bad_line(text, len, &byte) : 0;
    if (bad) {
        c.line = bad;
        s_fail(&c, "not UTF-8, or a NUL (byte 0x%02x)", byte);
        goto fail;
    }
    for (size_t i = 0; i < len;) {
        c.line++;
        const char *nl = (const char *)memchr(text + i, '\n', len - i);
        if (!nl) {
            s_fail(&c, "the last line does not end in a newline");
            goto fail;
        }
        size_t end = (size_t)(nl - text);
        const char *p = text + i;
        size_t n = end - i;
        i = end + 1;
        size_t lead = s_skip_blanks(p, n, 0);
        p += lead;
        n -= lead;
        while (n && s_is_blank(p[n - 1]))
            n--;
        if (n == 0)
            continue;
        if (!(p[0] == '#' ? s_comment(self, &c, p, n) : s_sample(self, &c, p, n)))
            goto fail;
    }
    if (!s_check_histograms(self, &c))
        goto fail;
    return self;
fail:
    prom_destroy(&self);
    return NULL;
}

void
prom_destroy(prom_t **self_p)
{
    assert(self_p);
    if (*self_p) {
        prom_t *self = *self_p;
        zhashx_destroy(&self->series);
        for (size_t k = 0; k < self->count; k++) {
            free(self->samples[k]->name);
            free(self->samples[k]->key);
            free(self->samples[k]->group);
            free(self->samples[k]);
        }
        free(self->samples);
        zhashx_destroy(&self->families);
        free(self);
        *self_p = NULL;
    }
}

double
prom_value(const prom_t *self, const char *name, const char *labels, bool *found)
{
    if (found)
        *found = false;
    s_label_t *parsed = NULL;
    size_t n = 0;
    double value = 0;
    if (labels && *labels) {
        size_t len = strlen(labels);
        char *braced = (char *)sl_xcalloc(1, len + 2);
        memcpy(braced, labels, len);
        braced[len] = '}';
        size_t i = 0;
        s_ctx_t c = {.line = 0, .err = NULL, .err_size = 0};
        bool ok = s_parse_labels(&c, braced, len + 1, &i, &parsed, &n) && i == len + 1;
        free(braced);
        if (!ok) {
            s_labels_free(parsed, n);
            return 0;
        }
    }
    char *key = s_series_key(name, strlen(name), parsed, n);
    const s_sample_t *s = (const s_sample_t *)zhashx_lookup(self->series, key);
    if (s) {
        value = s->value;
        if (found)
            *found = true;
    }
    free(key);
    s_labels_free(parsed, n);
    return value;
}

size_t
prom_count(const prom_t *self, const char *name)
{
    size_t n = 0;
    for (size_t k = 0; k < self->count; k++)
        n += strcmp(self->samples[k]->name, name) == 0;
    return n;
}

const char *
prom_type(const prom_t *self, const char *family)
{
    const s_family_t *f = (const s_family_t *)zhashx_lookup(self->families, family);
    if (!f)
        return NULL;
    return f->type ? f->type : "untyped";
}

const char *
prom_help(const prom_t *self, const char *family)
{
    const s_family_t *f = (const s_family_t *)zhashx_lookup(self->families, family);
    return f ? f->help : NULL;
}
