// ds_http.h - the Durable Streams protocol's HTTP vocabulary: offsets, TTLs, times, producer
// numbers and JSON-mode bodies, read strictly and written the one way sluice writes them.
//
// Pure functions: no sockets, no state. Thread-safe.
#ifndef INGRESS_DS_HTTP_H
#define INGRESS_DS_HTTP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl/buf.h"

#define INGRESS_DS_OFFSET_LEN 33 // an offset: "0000000000000000_" and the unit count in 16 digits
#define INGRESS_DS_UINT53_MAX 9007199254740991ull // 2^53 - 1: a producer's epoch and seq

// An offset query value: absent or "-1" is the start (0), "now" the tail (*now true), else
// 16 decimal digits, '_', 16 decimal digits (the unit count; the first part, 0 in every offset
// sluice gives, is read and ignored). 0, or -1 for anything else.
int ingress_ds_offset_parse(const char *s, uint64_t *offset, bool *now);
// The offset of unit count v, NUL-terminated.
void ingress_ds_offset_format(uint64_t v, char out[INGRESS_DS_OFFSET_LEN + 1]);
// Stream-TTL: a decimal integer of seconds, no sign, no leading zero (but "0"), at most 10
// digits. 0 or -1.
int ingress_ds_ttl_parse(const char *s, uint64_t *ttl_s);
// Stream-Expires-At: an RFC 3339 date-time (2025-01-02T03:04:05Z, fractions and offsets too)
// as wall ms. 0 or -1.
int ingress_ds_time_parse(const char *s, int64_t *ms);
// Wall ms as RFC 3339 in UTC with milliseconds ("2025-01-02T03:04:05.000Z").
void ingress_ds_time_format(int64_t ms, char *out, size_t size);
// A producer's epoch or sequence number, a fork's sub-offset: decimal, no sign, no leading
// zero, at most 2^53 - 1. 0 or -1.
int ingress_ds_uint53_parse(const char *s, uint64_t *v);
// Stream-Closed: present only when its value is "true", in any case.
bool ingress_ds_closed(const char *value);
// True for application/json (any case, parameters ignored).
bool ingress_ds_is_json(const char *content_type);
// True when an SSE data event carries the stream's bytes as text: text/* and application/json.
bool ingress_ds_is_text(const char *content_type);

// A JSON-mode body as messages: validated (SL_EPROTO and *why when it is not one JSON value),
// an array flattened one level (each element a message) when flatten, each message with the
// blanks outside its strings taken out, written to out one a line (JSON text holds no raw
// newline once blanks are gone). *count_p gets the number of messages (0 for "[]").
int ingress_ds_json_messages(
    const char *body, size_t len, bool flatten, sl_buf_t *out, uint32_t *count_p, const char **why);

// Standard base64 (RFC 4648, with padding) of len bytes, appended to out.
int ingress_ds_base64(const void *data, size_t len, sl_buf_t *out);

#endif
