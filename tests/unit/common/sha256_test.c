// sha256_test.c - SHA-256 against the FIPS 180-4 examples and the padding edges (55, 56, 63,
// 64 and 65 bytes, where the length moves to a second block), hex parsing and comparison.
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "sl/sha256.h"

static void
s_hex(const uint8_t d[SL_SHA256_LEN], char out[SL_SHA256_HEX + 1])
{
    for (size_t i = 0; i < SL_SHA256_LEN; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void
s_expect(const void *data, size_t len, const char *want)
{
    uint8_t d[SL_SHA256_LEN];
    char hex[SL_SHA256_HEX + 1];
    sl_sha256(data, len, d);
    s_hex(d, hex);
    CHECK_STR(hex, want);
}

static void
test_vectors(void)
{
    s_expect("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    s_expect("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"; // 56 bytes
    s_expect(two, strlen(two), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *four = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnop"
                       "jklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"; // 112 bytes
    s_expect(four, strlen(four),
             "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    static char a[1000000];
    memset(a, 'a', sizeof a);
    s_expect(a, sizeof a, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    // Lengths around the block's end: 55 fits the length in one block, 56 does not.
    s_expect(a, 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    s_expect(a, 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
    s_expect(a, 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34");
    s_expect(a, 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
    s_expect(a, 65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0");
}

static void
test_hex_and_equal(void)
{
    const char *hex = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
    uint8_t parsed[SL_SHA256_LEN], want[SL_SHA256_LEN];
    CHECK(sl_sha256_from_hex(hex, strlen(hex), parsed)); // upper case too
    sl_sha256("abc", 3, want);
    CHECK(sl_sha256_equal(parsed, want));
    want[31] ^= 1;
    CHECK(!sl_sha256_equal(parsed, want));
    CHECK(!sl_sha256_from_hex(hex, 63, parsed)); // too short
    CHECK(!sl_sha256_from_hex("zz", 2, parsed)); // not 64
    char bad[SL_SHA256_HEX + 1];
    memcpy(bad, hex, sizeof bad);
    bad[10] = 'g';
    CHECK(!sl_sha256_from_hex(bad, SL_SHA256_HEX, parsed)); // not hex
}

int
main(void)
{
    test_vectors();
    test_hex_and_equal();
    return 0;
}
