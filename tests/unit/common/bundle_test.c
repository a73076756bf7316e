// bundle_test.c - many messages in one frame: the same messages come out in order, one message
// travels alone, limits hold, and every malformed bundle is refused with a message naming it.
#include <string.h>

#include "check.h"
#include "sl/bundle.h"
#include "sl/err.h"

static sl_msg_t
s_tokens(const char *req_id, uint64_t first, const char *text)
{
    sl_msg_t m = {.type = SL_MSG_TOKENS,
                  .req_id = sl_str(req_id),
                  .ingress = sl_str("ingress-1"),
                  .attempt = 1,
                  .first_index = first,
                  .n_deltas = 1};
    m.deltas[0] = (sl_delta_t){.kind = SL_DELTA_TEXT, .text = sl_str(text)};
    return m;
}

// Decode frame as a BUNDLE and read every message; returns how many, or -1 on an error.
static int
s_read_all(const uint8_t *frame, size_t len, sl_msg_t *out, int max, char *err, size_t err_size)
{
    sl_msg_t b;
    if (sl_wire_decode(frame, len, &b, err, err_size) < 0 || b.type != SL_MSG_BUNDLE)
        return -1;
    sl_bundle_reader_t r;
    sl_bundle_reader_init(&r, &b);
    int n = 0, rc;
    while (n < max && (rc = sl_bundle_next(&r, &out[n], err, err_size)) == 1)
        n++;
    return rc < 0 ? -1 : n;
}

static void
s_round_trip(void)
{
    sl_bundle_t b;
    sl_bundle_init(&b, 1 << 20);
    size_t len;
    CHECK(sl_bundle_frame(&b, &len) == NULL && len == 0);

    // One message: the frame is that message alone, byte for byte what sl_wire_encode makes.
    sl_msg_t a = s_tokens("req-a", 0, "Hello");
    CHECK_INT(sl_bundle_add_msg(&b, &a), ==, 0);
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    CHECK_INT(sl_wire_encode(&a, &plain, &plain_len), ==, 0);
    const uint8_t *f = sl_bundle_frame(&b, &len);
    CHECK_MEM(f, len, plain, plain_len);
    CHECK_INT(sl_bundle_size(&b), ==, plain_len);

    // More: a BUNDLE with every message in order, added encoded or as a message.
    sl_msg_t c = s_tokens("req-b", 7, " world");
    CHECK_INT(sl_bundle_add(&b, plain, plain_len), ==, 0); // a's bytes again
    CHECK_INT(sl_bundle_add_msg(&b, &c), ==, 0);
    sl_msg_t end = {.type = SL_MSG_END, .req_id = sl_str("req-a"), .finish_reason = sl_str("stop")};
    CHECK_INT(sl_bundle_add_msg(&b, &end), ==, 0);
    CHECK_INT(sl_bundle_count(&b), ==, 4);
    f = sl_bundle_frame(&b, &len);
    sl_msg_t got[8];
    char err[200];
    CHECK_INT(s_read_all(f, len, got, 8, err, sizeof err), ==, 4);
    CHECK_INT(got[0].type, ==, SL_MSG_TOKENS);
    CHECK(sl_str_eq(got[0].req_id, "req-a") && sl_str_eq(got[0].deltas[0].text, "Hello"));
    CHECK(sl_str_eq(got[1].req_id, "req-a") && got[1].first_index == 0);
    CHECK(sl_str_eq(got[2].req_id, "req-b") && got[2].first_index == 7);
    CHECK(sl_str_eq(got[2].deltas[0].text, " world"));
    CHECK_INT(got[3].type, ==, SL_MSG_END);
    CHECK(sl_str_eq(got[3].finish_reason, "stop"));

    // Reset keeps nothing; the next frame is a lone message again.
    sl_bundle_reset(&b);
    CHECK_INT(sl_bundle_count(&b), ==, 0);
    CHECK_INT(sl_bundle_add_msg(&b, &c), ==, 0);
    f = sl_bundle_frame(&b, &len);
    sl_msg_t one;
    CHECK_INT(sl_wire_decode(f, len, &one, err, sizeof err), ==, 0);
    CHECK(one.type == SL_MSG_TOKENS && one.first_index == 7);

    // A long message takes a bin16 header; it comes back whole.
    static char big[3000];
    memset(big, 'x', sizeof big - 1);
    sl_msg_t l = s_tokens("req-c", 1, big);
    CHECK_INT(sl_bundle_add_msg(&b, &l), ==, 0);
    f = sl_bundle_frame(&b, &len);
    CHECK_INT(s_read_all(f, len, got, 8, err, sizeof err), ==, 2);
    CHECK_INT(got[1].deltas[0].text.len, ==, sizeof big - 1);
    free(plain);
    sl_bundle_free(&b);
}

static void
s_limits(void)
{
    sl_bundle_t b;
    sl_bundle_init(&b, 200);
    sl_msg_t a = s_tokens("req-a", 0, "0123456789012345678901234567890123456789");
    int added = 0;
    while (sl_bundle_add_msg(&b, &a) == 0)
        added++;
    CHECK_INT(added, ==, 2); // ~75 bytes each after a 12-byte header: a third would pass 200
    CHECK_INT(sl_bundle_count(&b), ==, 2);
    size_t len;
    CHECK(sl_bundle_frame(&b, &len) != NULL && len <= 200);
    sl_msg_t nested = {.type = SL_MSG_BUNDLE};
    CHECK_INT(sl_bundle_add_msg(&b, &nested), ==, SL_EINVAL);
    sl_bundle_free(&b);

    sl_bundle_init(&b, 1 << 20);
    sl_msg_t beat = {.type = SL_MSG_BEAT, .name = sl_str("w")};
    for (int i = 0; i < SL_BUNDLE_MAX_MSGS; i++)
        CHECK_INT(sl_bundle_add_msg(&b, &beat), ==, 0);
    CHECK_INT(sl_bundle_add_msg(&b, &beat), ==, SL_ETOOBIG);
    sl_bundle_free(&b);
}

// A BUNDLE built by hand from a count and a body.
static int
s_read_forged(uint64_t count, const uint8_t *body, size_t body_len, char *err, size_t err_size)
{
    sl_msg_t m = {
        .type = SL_MSG_BUNDLE, .count = count, .body = sl_strn((const char *)body, body_len)};
    uint8_t *data = NULL;
    size_t len = 0;
    CHECK_INT(sl_wire_encode(&m, &data, &len), ==, 0);
    sl_msg_t got[4];
    int n = s_read_all(data, len, got, 4, err, err_size);
    free(data);
    return n;
}

static void
s_malformed(void)
{
    char err[200];
    sl_msg_t beat = {.type = SL_MSG_BEAT, .name = sl_str("w")};
    uint8_t *enc = NULL;
    size_t enc_len = 0;
    CHECK_INT(sl_wire_encode(&beat, &enc, &enc_len), ==, 0);
    uint8_t body[64];
    body[0] = 0xc4;
    body[1] = (uint8_t)enc_len;
    memcpy(body + 2, enc, enc_len);
    size_t one = 2 + enc_len;

    CHECK_INT(s_read_forged(1, body, one, err, sizeof err), ==, 1); // well formed
    CHECK_INT(s_read_forged(2, body, one, err, sizeof err), ==, -1);
    CHECK(strstr(err, "BUNDLE.body[1]: the count says more") != NULL);
    CHECK_INT(s_read_forged(0, body, one, err, sizeof err), ==, -1);
    CHECK(strstr(err, "more messages than the count") != NULL);
    CHECK_INT(s_read_forged(1, body, one - 1, err, sizeof err), ==, -1);
    CHECK(strstr(err, "BUNDLE.body[0]: bin longer than the body") != NULL);
    uint8_t str[64];
    memcpy(str, body, one);
    str[0] = 0xa1; // a str, not a bin
    CHECK_INT(s_read_forged(1, str, one, err, sizeof err), ==, -1);
    CHECK(strstr(err, "expected bin") != NULL);
    memcpy(str, body, one);
    str[2 + 1] = 99; // the inner message's type: unknown
    CHECK_INT(s_read_forged(1, str, one, err, sizeof err), ==, -1);
    CHECK(strstr(err, "BUNDLE.body[0]: ") != NULL && strstr(err, "unknown message type") != NULL);
    uint8_t trunc[1] = {0xc6};
    CHECK_INT(s_read_forged(1, trunc, 1, err, sizeof err), ==, -1);
    CHECK(strstr(err, "truncated bin header") != NULL);

    // A BUNDLE inside a BUNDLE.
    sl_msg_t inner = {.type = SL_MSG_BUNDLE, .count = 1, .body = sl_strn((char *)body, one)};
    uint8_t *nested = NULL;
    size_t nested_len = 0;
    CHECK_INT(sl_wire_encode(&inner, &nested, &nested_len), ==, 0);
    uint8_t outer[128];
    outer[0] = 0xc4;
    outer[1] = (uint8_t)nested_len;
    memcpy(outer + 2, nested, nested_len);
    CHECK_INT(s_read_forged(1, outer, 2 + nested_len, err, sizeof err), ==, -1);
    CHECK(strstr(err, "a BUNDLE inside a BUNDLE") != NULL);
    free(nested);
    free(enc);
}

int
main(void)
{
    s_round_trip();
    s_limits();
    s_malformed();
    printf("bundle_test: ok\n");
    return 0;
}
