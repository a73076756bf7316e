// sl/mem.h - allocation that aborts on exhaustion.
//
// Running out of memory aborts the process and the supervisor restarts it; the caps on every
// buffer make sure hostile input can never be what runs us out of memory. Thread-safe.
#ifndef SL_MEM_H
#define SL_MEM_H
#include <stddef.h>

// Zeroed memory for n elements of size bytes; never NULL. Caller owns the result.
void *sl_xcalloc(size_t n, size_t size);
// Resize p to size bytes; never NULL. Caller owns the result.
void *sl_xrealloc(void *p, size_t size);
// Copy of a NUL-terminated string; NULL only when s is NULL. Caller owns the result.
char *sl_xstrdup(const char *s);
// Copy of len bytes of s with a NUL appended; never NULL. Caller owns the result.
char *sl_xstrndup(const char *s, size_t len);

#endif
