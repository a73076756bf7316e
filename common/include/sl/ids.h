// sl/ids.h - request ids: UUIDv7 (RFC 9562), time-ordered so they index well.
//
// An id is the only key to a stored stream (GET /v1/streams/<id>), so it must not be
// guessable: its 74 random bits come from the kernel's CSPRNG (getrandom(), or /dev/urandom
// where that fails), read into a per-process pool of a few KiB and never reused, also not
// across fork(). Without either source the process logs why and aborts rather than issue
// predictable ids. Layout: 48-bit big-endian Unix milliseconds, version 7, 12 random bits,
// variant 10, 62 random bits. Ids of one millisecond are unique but not ordered among
// themselves. Not thread-safe: the pool is per process, without a lock.
#ifndef SL_IDS_H
#define SL_IDS_H
#include <stddef.h>
#include <stdint.h>

#define SL_ID_LEN 36 // "0190b3e0-7a1c-7cc1-9f3e-5b2a1c0d9e8f" without the NUL

// Write a new UUIDv7 for wall time now_wall_ms into out (SL_ID_LEN + 1 bytes, NUL-terminated).
void sl_id_new(int64_t now_wall_ms, char out[SL_ID_LEN + 1]);
// True when s (len bytes) is a well-formed lowercase UUID string.
int sl_id_is_valid(const char *s, size_t len);
// The Unix milliseconds a valid id (sl_id_is_valid) was made at: its first 48 bits.
int64_t sl_id_time_ms(const char *id);

#endif
