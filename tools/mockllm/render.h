// render.h - byte-building helpers every format's renderer shares.
//
// Renderers build each event in a private buffer capped at the free room of the caller's
// buffer and append it whole, so a capped buffer never holds half an event
// (mockllm_render_begin / _commit). The rest writes the pieces every format needs: JSON
// strings, SSE framing, Google-style pretty JSON, ids derived from a seed. Pure; thread-safe.
#ifndef MOCKLLM_RENDER_H
#define MOCKLLM_RENDER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl/buf.h"

#define MOCKLLM_RENDER_UUID_SIZE 37 // "xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx" + NUL

// Start a render: tmp is initialised with a cap of out's free room.
void mockllm_render_begin(sl_buf_t *tmp, const sl_buf_t *out);
// Finish a render: when rc is 0, append tmp to out. Frees tmp. Returns 0 or SL_ETOOBIG (out
// unchanged) when rc was not 0 or the append failed.
int mockllm_render_commit(sl_buf_t *out, sl_buf_t *tmp, int rc);

// Append s (NUL-terminated) as a quoted JSON string. Returns 0 or SL_ETOOBIG.
int mockllm_render_str(sl_buf_t *out, const char *s);
// Append len bytes of s as a quoted JSON string. Returns 0 or SL_ETOOBIG.
int mockllm_render_strn(sl_buf_t *out, const char *s, size_t len);

// The line end of SSE formats: "\r\n" with crlf, else "\n". Static.
const char *mockllm_render_eol(bool crlf);

// Append compact JSON (len bytes, as the renderers write it: no whitespace outside strings
// except after ':' and ',') re-indented the way Google's servers print it: two spaces per
// level, "key": value, each member on its own line, empty objects and arrays as {} and [],
// lines ending in eol. Strings are copied untouched. Returns 0 or SL_ETOOBIG.
int mockllm_render_pretty(sl_buf_t *out, const char *json, size_t len, const char *eol);

// A UUID-shaped (version 4 layout) id drawn from seed, into id. Same seed, same id.
void mockllm_render_uuid(uint64_t seed, char id[MOCKLLM_RENDER_UUID_SIZE]);

#endif
