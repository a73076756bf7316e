// stored.h - the Responses API's stored responses: GET /v1/responses/{id} (whole, or as its
// events again with ?stream=true&starting_after=N), POST /v1/responses/{id}/cancel, and a new
// request's previous_response_id.
//
// A response is stored as any stream is (its deltas, its end, its usage), plus its request's
// context (the conversation without the instructions, and the fields its object repeats),
// which the ingress sends in SUBMIT when the request had store (the default) and persist
// keeps beside the stream (docs/protocol.md). Reading one pages its deltas from persist with
// READ, the first asking for the context too (SL_READ_REQUEST), into one answer; a response
// only the caller's key may read (another key's is "not found", as a stream is). Not
// thread-safe: the ingress's loop.
#ifndef INGRESS_STORED_H
#define INGRESS_STORED_H
#include <stdint.h>

#include "actor.h"

typedef struct ingress_stored ingress_stored_t;

// /v1/responses/<rest> with method: GET (rest is the id) or POST (rest is "<id>/cancel").
enum MHD_Result
ingress_stored_request(ingress_t *self, ingress_conn_t *k, const char *rest, const char *method);
// A POST /v1/responses whose request (accepted and admitted) names previous_response_id:
// read the previous response, join its conversation before the request's input, then
// submit. Answers 404 for a response that is not stored or not the caller's.
enum MHD_Result ingress_stored_continue(ingress_t *self, ingress_conn_t *k);
// The RECORD that answers k's READ.
void ingress_stored_on_record(ingress_t *self, ingress_conn_t *k, const sl_msg_t *record);
// Send k's READ again (persistence restarted). 0, or the send's error.
int ingress_stored_send(ingress_t *self, const ingress_conn_t *k);
void ingress_stored_free(ingress_stored_t **self_p);

#endif
