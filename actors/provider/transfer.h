// transfer.h - one upstream stream: a curl easy handle, its adapter state, and the sluice
// messages it produces (START, TOKENS, END for the builder; OUTCOME for the broker).
//
// Bytes from curl go straight to the adapter's parser; the deltas parsed from one read
// travel together in one TOKENS message (up to SL_WIRE_MAX_DELTAS), whose first_index is the
// index of its first delta: indices are given here, where tokens are born. Every TOKENS and
// the END are kept (retain.h) until the builder says they are durable, and sent again from
// the first kept one when the builder was restarted. While a frame waits for its socket the
// transfer refuses curl's data with CURL_WRITEFUNC_PAUSE, so a builder that does not keep up
// closes the provider's TCP window instead of growing memory. Not thread-safe.
#ifndef PROVIDER_TRANSFER_H
#define PROVIDER_TRANSFER_H
#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>

#include "adapter.h"
#include "sl/config.h"
#include "sl/tokenizer.h"
#include "sl/wire.h"

typedef struct provider_transfer provider_transfer_t; // opaque

// Where a transfer's encoded messages go: to the builder, or (to_broker) to the broker.
// Returns 0 when sent, SL_EAGAIN when the peer is full (the frame is kept and offered again
// later), another SL_E* when it can never be sent (the frame is dropped).
typedef int(provider_send_fn)(void *arg, bool to_broker, const uint8_t *data, size_t len);

// New transfer for a DISPATCH message (copied). provider must outlive the transfer, and so
// must tokenizer, which counts what the upstream does not report (NULL: nothing is). On
// failure (bad body, no adapter) returns NULL, writes why into err and sets *status_p: 400
// when the body cannot be expressed for this provider (the adapter's SL_EINVAL, err names the
// field), 413 when it is too large, 500 when sluice failed.
provider_transfer_t *provider_transfer_new(const sl_config_t *cfg,
                                           const sl_provider_cfg_t *provider,
                                           sl_tokenizer_t *tokenizer,
                                           const sl_msg_t *dispatch,
                                           provider_send_fn *send,
                                           void *send_arg,
                                           char *err,
                                           size_t err_size,
                                           uint32_t *status_p);
// A transfer for a DISPATCH that cannot start (status and why say why: 4xx the request cannot
// go to this provider as it is, 503 the worker is at its share, 500 sluice failed). It has
// no upstream: it is ended from the start, with START and an error END kept for the builder
// like any stream's, until durable, and OUTCOME queued for the broker. Never NULL.
provider_transfer_t *provider_transfer_failed(const sl_msg_t *dispatch,
                                              provider_send_fn *send,
                                              void *send_arg,
                                              uint32_t status,
                                              const char *why);
void provider_transfer_destroy(provider_transfer_t **self_p);

const char *provider_transfer_id(const provider_transfer_t *self);
// The attempt number this transfer serves.
uint32_t provider_transfer_attempt(const provider_transfer_t *self);
// Name of the provider (from the config) this transfer streams from. Borrowed.
const char *provider_transfer_provider(const provider_transfer_t *self);
// The easy handle, to add to a multi handle. Borrowed.
CURL *provider_transfer_easy(const provider_transfer_t *self);

// Called once, from inside curl's write callback, when the transfer parses its first delta,
// with the socket curl reads it from (the worker then paces that socket's reads like the
// others', poller.h), or CURL_SOCKET_BAD when the transfer was never told its socket.
typedef void(provider_transfer_first_fn)(void *arg, curl_socket_t fd);
void
provider_transfer_on_first(provider_transfer_t *self, provider_transfer_first_fn *fn, void *arg);
// CURLMOPT_SOCKETFUNCTION's news for this transfer's easy handle: fd is watched (what is not
// CURL_POLL_REMOVE) or no longer. The last socket watched is the transfer's; one removed that
// is not it (the loser of a dual-stack connect) changes nothing. curl asks for no socket it
// shares with another transfer's (HTTP/2), so such a transfer may never learn its socket.
void provider_transfer_socket(provider_transfer_t *self, curl_socket_t fd, int what);
// True once the transfer parsed its first delta.
bool provider_transfer_has_delta(const provider_transfer_t *self);

// Offer waiting messages to the send function: START when due, the kept frames not sent yet,
// then OUTCOME. Returns true when nothing is left waiting.
bool provider_transfer_flush(provider_transfer_t *self);
// True when nothing waits: no unsent message and curl not paused.
bool provider_transfer_is_idle(const provider_transfer_t *self);
// True when curl was told to pause and everything has been sent: the caller unpauses it.
bool provider_transfer_wants_resume(const provider_transfer_t *self);
// Unpause curl. 0, or SL_ESYS when curl refused: the transfer is then marked failed
// (internal error) and the caller removes it from the multi handle and completes it.
int provider_transfer_resume(provider_transfer_t *self);

// DURABLE from the builder for this attempt: indices below count are stored, and the END too
// when final. Frames wholly below count are forgotten. Another attempt's DURABLE is ignored.
void
provider_transfer_durable(provider_transfer_t *self, uint32_t attempt, uint64_t count, bool final);
// The builder was restarted: send START and every kept frame again. Nothing once final.
void provider_transfer_rewind(provider_transfer_t *self);
// True when the transfer has ended, sent everything, is not final yet, and neither sent nor
// heard anything for after_ms: its last DURABLE was probably lost, so the caller rewinds it
// (persistence stores by index; a resend stores nothing twice and is answered again).
bool provider_transfer_is_stale(const provider_transfer_t *self, int64_t now_ms, int64_t after_ms);
// Frames kept for the builder (sent or not).
uint64_t provider_transfer_kept(const provider_transfer_t *self);

// curl finished (result from CURLMSG_DONE): queue END and OUTCOME with the classified result.
void provider_transfer_complete(provider_transfer_t *self, CURLcode result);
// The client went away or the broker cancelled: queue END and OUTCOME as a user abort.
// How long the upstream has been silent past its limit at now_ms, or 0 while it is not: the
// limit is timeouts.first_content_ms before the first content event (connect and response
// head included) and timeouts.idle_ms between two of them. Only content events (deltas)
// count: keepalive comments, pings and empty events do not. 0 while the transfer is paused by
// backpressure (that silence is sluice's) and once it has ended.
int64_t provider_transfer_silent_ms(const provider_transfer_t *self, int64_t now_ms);
// End the transfer as a timeout (TIMEOUT, 504, retried before the first token like any
// timeout). The caller removes its easy handle from the multi first.
void provider_transfer_time_out(provider_transfer_t *self, int64_t silent_ms);
// CANCEL: stop the upstream and end the stream. why is CANCEL's err_class: USER_ABORT (the
// client left: stored as aborted), TIMEOUT (a deadline of the request passed) or INTERNAL
// (sluice's own decision), both stored as errors. OUTCOME says USER_ABORT for all three, so the
// broker never retries a cancelled request and no breaker counts it.
void provider_transfer_cancel(provider_transfer_t *self, uint32_t why);
// A failed attempt that produced no token and may be tried again (rate limit, timeout,
// provider down) does not send its END at once: it waits for the broker's VERDICT. final:
// this failure is the request's end, the END goes to the builder and is kept until durable;
// else another attempt follows and this one is forgotten. A verdict for another attempt, or a
// second one, changes nothing.
void provider_transfer_verdict(provider_transfer_t *self, uint32_t attempt, bool final);
// True while the END waits for a verdict; *since_ms gets how long it has waited (a worker
// gives up waiting after a while and sends it: the broker may have been restarted).
bool provider_transfer_awaits_verdict(const provider_transfer_t *self,
                                      int64_t now_ms,
                                      int64_t *since_ms);

// True once END and OUTCOME have been sent and the builder said the whole stream is durable
// (or the broker said another attempt follows): the transfer can go.
bool provider_transfer_is_finished(const provider_transfer_t *self);
// True once the upstream transfer is over (END and OUTCOME made), durable or not.
bool provider_transfer_is_ended(const provider_transfer_t *self);

#endif
