// sl/text.h - strict checks on text that comes from outside (config files, requests).
//
// Each takes bytes and a length (no NUL needed) and never allocates. Thread-safe.
#ifndef SL_TEXT_H
#define SL_TEXT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// True when every byte is printable ASCII or UTF-8 (> 0x20, != 0x7f); or, when extra is not
// NULL, a letter, a digit or one of the characters in extra.
bool sl_text_chars_ok(const char *s, size_t len, const char *extra);
// True when s holds a control character (< 0x20 or 0x7f).
bool sl_text_has_control(const char *s, size_t len);
// Decimal integer only: an optional '-', no leading zeros, no 0x, no exponent, no '_', no
// spaces, at most 18 digits (so it never overflows). True and *out set when s is one.
bool sl_text_parse_int(const char *s, size_t len, int64_t *out);
// The value of hex digit c (either case), or -1 when c is none.
int sl_text_hex_value(char c);
// The value of the 4 hex digits at p (a \uXXXX escape's), or -1 when one of them is none.
int sl_text_hex4(const char *p);
// True for host:port with port 1..65535; an IPv6 host is bracketed: [::1]:8080.
bool sl_text_is_host_port(const char *s, size_t len);
// Length of the valid UTF-8 sequence at data (n bytes available), or 0 when there is none (or
// n is 0): no overlong forms, no surrogates, nothing past U+10FFFF (RFC 3629).
size_t sl_text_utf8_len(const void *data, size_t n);
// The 1-based line of the first byte that is not UTF-8 (or is NUL), that byte in *byte_p;
// 0 when the text is clean. Overlong forms, surrogates and code points past U+10FFFF are
// refused (RFC 3629).
int sl_text_utf8_bad_line(const char *text, size_t len, unsigned *byte_p);
// The media type of a Content-Type value s (len bytes): what comes before ';', blanks around
// it trimmed. Returns its start; *type_len_p gets its length.
const char *sl_text_media_type(const char *s, size_t len, size_t *type_len_p);
// True when the Content-Type values a and b name the same media type (case and parameters
// ignored).
bool sl_text_media_eq(const char *a, size_t a_len, const char *b, size_t b_len);
// Bytes a peer chose (a routing id, an alias) made safe for a log line: as they are when all
// printable ASCII, else in hex (CZMQ's generated routing ids start with a zero byte); cut to
// fit out (out_size >= 1, always NUL-terminated). Returns out.
const char *sl_text_shown(const void *data, size_t len, char *out, size_t out_size);

#endif
