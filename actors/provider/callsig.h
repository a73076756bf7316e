// callsig.h - a provider's signature carried inside a tool call id, so that a gateway which
// keeps no state between requests can give it back.
//
// Gemini attaches a thoughtSignature to the functionCall parts it returns and wants each one
// back on the same part in the next turn, or Gemini 3 refuses that turn (docs/providers.md
// §Gemini). Clients keep nothing but the tool call ids, which they echo in the assistant's
// tool_calls and in each tool result; so the id the client sees is
// `<id>__thought__<signature in base64url, unpadded>`. The separator is the one LiteLLM and
// compatible gateways use. Only [A-Za-z0-9_-] is added, because Anthropic refuses tool_use ids
// with other characters and a conversation may move to another provider; the adapters of those
// providers strip the signature (provider_callsig_strip), which also keeps ids within OpenAI's
// 40 characters. A signature is bytes in standard base64 (proto3 JSON); its bytes survive the
// round trip exactly, and its text too when it came padded, as Google writes it. Stateless;
// thread-safe.
#ifndef PROVIDER_CALLSIG_H
#define PROVIDER_CALLSIG_H
#include <stddef.h>

#include <cjson/cJSON.h>

#define PROVIDER_CALLSIG_SEPARATOR "__thought__"
// Longest signature carried, in base64 characters (24 KiB of signature bytes). A longer one is
// not carried: the call keeps its plain id, and a Gemini 3 turn that needed it fails with the
// provider's 400 rather than a client-side id too large to handle.
#define PROVIDER_CALLSIG_MAX_BYTES (32u * 1024)

// The id a client sees for a call with id (not empty) and signature: id, the separator and the
// signature in base64url without padding. Caller owns the result. NULL when the signature cannot
// be carried: NULL or empty, longer than PROVIDER_CALLSIG_MAX_BYTES, or not base64 (standard or
// URL-safe, padded or not); the caller then uses id alone.
char *provider_callsig_join(const char *id, const char *signature);

// Split an id a client sent back. *base_len gets the length of the provider's id (all of id when
// it carries no signature). Returns the signature in standard base64 with padding (caller owns),
// or NULL when id carries none: no separator, nothing before the first one, or what follows it
// is empty, longer than PROVIDER_CALLSIG_MAX_BYTES or not unpadded base64url (an id of the
// client's own that happens to hold the separator stays whole).
char *provider_callsig_split(const char *id, size_t *base_len);

// Replace every id in a normalized request (root: {"messages": [...]}) that carries a signature
// with the provider's id: the assistants' tool_calls[].id and the tool messages' tool_call_id.
// For the adapters of providers that take no signature. Anything else in root is left as it is.
void provider_callsig_strip(cJSON *root);

#endif
