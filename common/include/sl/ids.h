// sl/ids.h - request ids: UUIDv7 (RFC 9562), time-ordered so they index well.
//
// Not thread-safe: the random state is per process, seeded from the OS once.
#ifndef SL_IDS_H
#define SL_IDS_H
#include <stddef.h>
#include <stdint.h>

#define SL_ID_LEN 36 // "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e8f" without the NUL

// Write a new UUIDv7 for wall time now_wall_ms into out (SL_ID_LEN + 1 bytes, NUL-terminated).
void sl_id_new(int64_t now_wall_ms, char out[SL_ID_LEN + 1]);
// True when s (len bytes) is a well-formed lowercase UUID string.
int sl_id_is_valid(const char *s, size_t len);

#endif
