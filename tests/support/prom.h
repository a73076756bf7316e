// prom.h - a strict parser of the Prometheus text exposition format 0.0.4, so tests can read
// sluice's GET /metrics body and know it is one Prometheus will take.
//
// Stricter than Prometheus where that only refuses what sluice must never write: values are
// decimal numbers, NaN, +Inf or -Inf (not "inf", not hex), lines end in "\n" (no CR), and HELP
// and TYPE come before a family's samples. It refuses, naming the line:
//   - a line that is not "# HELP name text", "# TYPE name type", another comment, blank, or a
//     sample "name{label="value",...} value [timestamp]";
//   - a metric name not [a-zA-Z_:][a-zA-Z0-9_:]*, a label name not [a-zA-Z_][a-zA-Z0-9_]*, a
//     label value with an escape other than \\ \" \n, a HELP text with one other than \\ \n,
//     a label name twice in one sample, text that is not UTF-8, a last line with no newline;
//   - a TYPE other than counter, gauge, histogram, summary, untyped; a second TYPE or HELP for
//     a family, or one after the family's samples;
//   - a family whose samples are not all together, the same series (name and label set) twice;
//   - a histogram sample that is not name_bucket (with le), name_sum or name_count; a label set
//     of a histogram without an le="+Inf" bucket, with buckets that fall as le rises, without
//     _sum, or whose _count is missing or not the +Inf bucket's value.
// A histogram's (or summary's) samples belong to its family when its TYPE came first; a sample
// with no TYPE is its own untyped family. Not thread-safe.
#ifndef SL_TEST_PROM_H
#define SL_TEST_PROM_H
#include <stdbool.h>
#include <stddef.h>

typedef struct prom prom_t; // opaque

// Parse len bytes of text (no NUL needed). A parsed document the caller owns, or NULL with a
// message "line N: ..." in err (err_size bytes, cut to fit; err may be NULL when err_size is 0).
prom_t *prom_parse(const char *text, size_t len, char *err, size_t err_size);
// Free self and set *self_p to NULL. Safe on NULL and on *self_p == NULL.
void prom_destroy(prom_t **self_p);
// The value of the series name{labels}. labels is "a=\"x\",b=\"y\"" in any order, escapes as
// in the format; NULL or "" for the series with no labels. *found (when not NULL) says whether
// there was one; 0 when not (also when labels does not parse).
double prom_value(const prom_t *self, const char *name, const char *labels, bool *found);
// Number of series whose sample name is name (a histogram's buckets count under name_bucket).
size_t prom_count(const prom_t *self, const char *name);
// The family's TYPE ("counter", ..., "untyped" for a family without a TYPE line), or NULL when
// the document has no such family. Borrowed: valid until prom_destroy.
const char *prom_type(const prom_t *self, const char *family);
// The family's HELP text, unescaped, or NULL when it has none. Borrowed: valid until
// prom_destroy.
const char *prom_help(const prom_t *self, const char *family);

#endif
