// answer.h - a whole assistant message built from its deltas, for non-streaming responses.
//
// Text and reasoning are concatenated; tool-call fragments are joined per tool index (id
// and name from the fragment that carries them, arguments concatenated). Bounded: text and
// each argument string by max_bytes, at most INGRESS_ANSWER_MAX_CALLS calls. Not
// thread-safe.
#ifndef INGRESS_ANSWER_H
#define INGRESS_ANSWER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl/buf.h"
#include "sl/wire.h"

#define INGRESS_ANSWER_MAX_CALLS 128

typedef struct {
    uint32_t index; // the provider's tool index (order of first appearance)
    char *id;       // owned; "" until a fragment names it
    char *name;     // owned; "" until a fragment names it
    sl_buf_t args;  // owned; the arguments JSON text, as the fragments gave it
} ingress_tool_call_t;

// Shown so clients embed it; change it only through the functions.
typedef struct {
    sl_buf_t text;      // owned
    sl_buf_t reasoning; // owned
    ingress_tool_call_t calls[INGRESS_ANSWER_MAX_CALLS];
    size_t n_calls; // in order of first appearance
    size_t max_bytes;
} ingress_answer_t;

void ingress_answer_init(ingress_answer_t *self, size_t max_bytes);
void ingress_answer_free(ingress_answer_t *self);
// Add one delta. SL_ETOOBIG when a cap is reached (the answer keeps what it had).
int ingress_answer_add(ingress_answer_t *self, const sl_delta_t *delta);

#endif
