// image.h - image input from the client APIs, checked and turned into the normalized request's
// image part (docs/protocol.md): {"type":"image_url","image_url":{"url", "detail"?}}, the url an
// http(s) URL or a data: URL (sl/image_url.h says which are well-formed).
//
// Each client API reads its own image shape (responses_request.c, anthropic_request.c) and builds
// the part here; Chat Completions bodies already hold parts of this shape and are only checked.
// Images go in user messages only: the providers that take them take them there. Errors name the
// field ("input[0].content[1].image_url: the data is empty"). Pure; not thread-safe (cJSON).
#ifndef INGRESS_IMAGE_H
#define INGRESS_IMAGE_H
#include <stddef.h>

#include <cjson/cJSON.h>

// Check url (with sl_image_url_parse) and detail (NULL or JSON null: none; else "auto", "low" or
// "high"). Returns 0, or SL_EINVAL with err naming url_field or detail_field.
int ingress_image_check(const char *url,
                        const char *url_field,
                        const cJSON *detail,
                        const char *detail_field,
                        char *err,
                        size_t err_size);

// A new normalized image part for url and detail, checked as ingress_image_check does. Returns
// 0 and *part_p (caller owns), or SL_EINVAL with err set and *part_p NULL.
int ingress_image_part(const char *url,
                       const char *url_field,
                       const cJSON *detail,
                       const char *detail_field,
                       cJSON **part_p,
                       char *err,
                       size_t err_size);

// Check the image_url parts of a Chat Completions body's messages (an array; the caller has
// checked that each is an object with a string role): each in a user message, image_url an
// object whose url is a string, url and detail as ingress_image_check says. Other parts are
// left to the upstream. Returns 0, or SL_EINVAL with err naming the part
// ("messages[1].content[0].image_url.url: ...").
int ingress_image_check_chat(const cJSON *messages, char *err, size_t err_size);

#endif
