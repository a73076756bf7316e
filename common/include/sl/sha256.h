// sha256.h - SHA-256 (FIPS 180-4), for gateway keys: the config names a key by its digest, and
// a presented key is hashed and compared, so the key itself is never stored or kept.
#ifndef SL_SHA256_H
#define SL_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_SHA256_LEN 32 // digest bytes
#define SL_SHA256_HEX 64 // digest as lowercase hex, without the NUL

// The digest of len bytes at data into out.
void sl_sha256(const void *data, size_t len, uint8_t out[SL_SHA256_LEN]);
// Parse 64 hex digits (either case) into out. False when hex is not exactly that.
bool sl_sha256_from_hex(const char *hex, size_t len, uint8_t out[SL_SHA256_LEN]);
// True when a and b are the same digest, in time that does not depend on where they differ.
bool sl_sha256_equal(const uint8_t a[SL_SHA256_LEN], const uint8_t b[SL_SHA256_LEN]);

#endif
