// transfer.h - one upstream stream: a curl easy handle, its adapter state, and the sluice
// messages it produces (START, TOKENS, END for the builder; OUTCOME for the broker).
//
// Bytes from curl go straight to the adapter's parser; the deltas parsed from one read
// travel together in one TOKENS message (up to SL_WIRE_MAX_DELTAS). Output waits in a small
// bounded queue; while it is not empty the transfer refuses curl's data with
// CURL_WRITEFUNC_PAUSE, so a builder that does not keep up closes the provider's TCP window
// instead of growing memory. Not thread-safe.
#ifndef PROVIDER_TRANSFER_H
#define PROVIDER_TRANSFER_H
#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>

#include "adapter.h"
#include "sl/config.h"
#include "sl/wire.h"

typedef struct provider_transfer provider_transfer_t; // opaque

// Where a transfer's encoded messages go: to the builder, or (to_broker) to the broker.
// Returns 0 when sent, SL_EAGAIN when the peer is full (the frame is kept and offered again
// later), another SL_E* when it can never be sent (the frame is dropped).
typedef int(provider_send_fn)(void *arg, bool to_broker, const uint8_t *data, size_t len);

// New transfer for a DISPATCH message (copied). provider must outlive the transfer. On
// failure (bad body, no adapter) returns NULL, writes why into err and sets *status_p: 400
// when the body cannot be expressed for this provider (the adapter's SL_EINVAL, err names the
// field), 413 when it is too large, 500 when sluice failed.
provider_transfer_t *provider_transfer_new(const sl_config_t *cfg,
                                           const sl_provider_cfg_t *provider,
                                           const sl_msg_t *dispatch,
                                           provider_send_fn *send,
                                           void *send_arg,
                                           char *err,
                                           size_t err_size,
                                           uint32_t *status_p);
void provider_transfer_destroy(provider_transfer_t **self_p);

const char *provider_transfer_id(const provider_transfer_t *self);
// The easy handle, to add to a multi handle. Borrowed.
CURL *provider_transfer_easy(const provider_transfer_t *self);

// Offer queued messages to the send function. Returns true when nothing is left queued.
bool provider_transfer_flush(provider_transfer_t *self);
// True when nothing waits: no queued message and curl not paused.
bool provider_transfer_is_idle(const provider_transfer_t *self);
// True when curl was told to pause and the queue has drained: the caller unpauses it.
bool provider_transfer_wants_resume(const provider_transfer_t *self);
void provider_transfer_resume(provider_transfer_t *self);

// curl finished (result from CURLMSG_DONE): queue END and OUTCOME with the classified result.
void provider_transfer_complete(provider_transfer_t *self, CURLcode result);
// The client went away or the broker cancelled: queue END and OUTCOME as a user abort.
void provider_transfer_cancel(provider_transfer_t *self);
// True once END and OUTCOME have been handed to the send function: the transfer can go.
bool provider_transfer_is_finished(const provider_transfer_t *self);

#endif
