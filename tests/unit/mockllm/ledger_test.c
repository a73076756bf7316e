// ledger_test.c - the server's memory between requests: fail=K gives K faulty requests then
// normal ones, per key (path, seed and directive text each isolate), the table's bound and
// least-recently-used eviction, request counts by path (control endpoints left out, the path
// limit), by seed, their JSON, and the reset; the attempt log (per seed, oldest first, closed
// early, bounded, ids that outlive a reset).
#include "check.h"
#include "directive.h"
#include "ledger.h"
#include "sl/err.h"

// The directive in text, parsed, with the seed a script would fill in when none is given.
static mockllm_directive_t
s_opts(const char *text)
{
    mockllm_directive_t d = {.rate = MOCKLLM_DIRECTIVE_RATE_UNSET};
    char err[128] = "";
    int rc = mockllm_directive_parse(text, strlen(text), &d, err, sizeof err);
    if (rc)
        fprintf(stderr, "%s: %s\n", text, err);
    CHECK_INT(rc, ==, 0);
    if (!d.has_seed)
        d.seed = 42;
    return d;
}

static void
s_test_fail(void)
{
    mockllm_ledger_t *l = mockllm_ledger_new(0);
    const char *chat = "/v1/chat/completions";
    mockllm_directive_t two = s_opts("[mock fail=2]");
    // K faulty requests, then normal ones from then on.
    CHECK(mockllm_ledger_admit(l, chat, &two));
    CHECK(mockllm_ledger_admit(l, chat, &two));
    CHECK(!mockllm_ledger_admit(l, chat, &two));
    CHECK(!mockllm_ledger_admit(l, chat, &two));
    CHECK_INT(mockllm_ledger_fail_count(l, mockllm_ledger_key(chat, &two)), ==, 4);

    // Each part of the key isolates: another path (a fallback to another format), another
    // seed, another directive text (even one that means the same).
    mockllm_directive_t seed = two;
    seed.seed = 43;
    mockllm_directive_t spaced = s_opts("[mock  fail=2]");
    mockllm_directive_t *isolated[] = {&seed, &spaced};
    for (size_t i = 0; i < 2; i++) {
        CHECK(mockllm_ledger_key(chat, isolated[i]) != mockllm_ledger_key(chat, &two));
        CHECK(mockllm_ledger_admit(l, chat, isolated[i]));
    }
    CHECK(mockllm_ledger_key("/v1/messages", &two) != mockllm_ledger_key(chat, &two));
    CHECK(mockllm_ledger_admit(l, "/v1/messages", &two));
    CHECK(mockllm_ledger_admit(l, "/v1/messages", &two));
    CHECK(!mockllm_ledger_admit(l, "/v1/messages", &two));
    CHECK_INT(mockllm_ledger_fail_keys(l), ==, 4);

    // Without fail= the faults always apply and no fail counter is made.
    mockllm_directive_t always = s_opts("[mock status=503]");
    for (int i = 0; i < 5; i++)
        CHECK(mockllm_ledger_admit(l, chat, &always));
    CHECK_INT(mockllm_ledger_fail_keys(l), ==, 4);
    // Seeds: every planned request, fail= or not.
    CHECK_INT(mockllm_ledger_seed_requests(l, 42), ==, 4 + 1 + 3 + 5);
    CHECK_INT(mockllm_ledger_seed_requests(l, 43), ==, 1);
    CHECK_INT(mockllm_ledger_seed_requests(l, 44), ==, 0);

    // The reset forgets: the same key fails again.
    CHECK_INT(mockllm_ledger_reset(l), ==, 4);
    CHECK_INT(mockllm_ledger_fail_keys(l), ==, 0);
    CHECK_INT(mockllm_ledger_seed_requests(l, 42), ==, 0);
    CHECK(mockllm_ledger_admit(l, chat, &two));
    CHECK(mockllm_ledger_admit(l, chat, &two));
    CHECK(!mockllm_ledger_admit(l, chat, &two));
    mockllm_ledger_destroy(&l);
    mockllm_ledger_destroy(&l); // twice is a no-op
    CHECK(l == NULL);
}

static void
s_test_eviction(void)
{
    // A table of 4: a fifth key evicts the one counted least recently, so that key fails anew.
    mockllm_ledger_t *l = mockllm_ledger_new(4);
    mockllm_directive_t d[6];
    for (int i = 0; i < 6; i++) {
        d[i] = s_opts("[mock fail=1]");
        d[i].seed = (uint64_t)i;
    }
    for (int i = 0; i < 4; i++)
        CHECK(mockllm_ledger_admit(l, "/p", &d[i]));
    CHECK(!mockllm_ledger_admit(l, "/p", &d[0])); // key 0 is now the most recent
    CHECK(mockllm_ledger_admit(l, "/p", &d[4]));  // evicts key 1
    CHECK_INT(mockllm_ledger_fail_keys(l), ==, 4);
    CHECK_INT(mockllm_ledger_fail_count(l, mockllm_ledger_key("/p", &d[1])), ==, 0);
    CHECK_INT(mockllm_ledger_fail_count(l, mockllm_ledger_key("/p", &d[0])), ==, 2);
    CHECK(!mockllm_ledger_admit(l, "/p", &d[0])); // kept
    CHECK(mockllm_ledger_admit(l, "/p", &d[1]));  // forgotten: faulty again; evicts key 2
    CHECK(mockllm_ledger_admit(l, "/p", &d[2]));  // forgotten too; evicts key 3
    CHECK_INT(mockllm_ledger_fail_keys(l), ==, 4);
    // Many more keys than slots: the table never grows.
    for (uint64_t i = 100; i < 10000; i++) {
        mockllm_directive_t x = d[5];
        x.seed = i;
        CHECK(mockllm_ledger_admit(l, "/p", &x));
    }
    CHECK_INT(mockllm_ledger_fail_keys(l), ==, 4);
    // Seeds are bounded the same way: the oldest are gone.
    CHECK_INT(mockllm_ledger_seed_requests(l, 9999), ==, 1);
    CHECK_INT(mockllm_ledger_seed_requests(l, 0), ==, 0);
    mockllm_ledger_destroy(&l);

    // The default bound is MOCKLLM_LEDGER_MAX_KEYS.
    l = mockllm_ledger_new(0);
    for (uint64_t i = 0; i < MOCKLLM_LEDGER_MAX_KEYS + 10; i++) {
        mockllm_directive_t x = d[5];
        x.seed = i;
        (void)mockllm_ledger_admit(l, "/p", &x);
    }
    CHECK_INT(mockllm_ledger_fail_keys(l), ==, MOCKLLM_LEDGER_MAX_KEYS);
    mockllm_ledger_destroy(&l);
}

static void
s_check_json(const mockllm_ledger_t *l, const char *want)
{
    sl_buf_t b;
    sl_buf_init(&b, 1 << 20);
    CHECK_INT(mockllm_ledger_json(l, &b), ==, 0);
    CHECK_STR(sl_buf_str(&b), want);
    sl_buf_free(&b);
}

static void
s_test_counts(void)
{
    mockllm_ledger_t *l = mockllm_ledger_new(0);
    s_check_json(l, "{\"requests\":0,\"by_path\":{}}");
    mockllm_ledger_count(l, "/v1/chat/completions");
    mockllm_ledger_count(l, "/v1/messages");
    mockllm_ledger_count(l, "/v1/chat/completions");
    mockllm_ledger_count(l, "/healthz"); // the mock's own endpoints are not counted
    mockllm_ledger_count(l, "/mock/requests");
    mockllm_ledger_count(l, "/mock/release");
    mockllm_ledger_count(l, "/x\"y"); // escaped in JSON
    CHECK(mockllm_ledger_is_control("/mock/reset"));
    CHECK(!mockllm_ledger_is_control("/mockery"));
    CHECK_INT(mockllm_ledger_requests(l), ==, 4);
    CHECK_INT(mockllm_ledger_path_requests(l, "/v1/chat/completions"), ==, 2);
    CHECK_INT(mockllm_ledger_path_requests(l, "/healthz"), ==, 0);
    s_check_json(l, "{\"requests\":4,\"by_path\":{\"/v1/chat/completions\":2,\"/v1/messages\":1,"
                    "\"/x\\\"y\":1}}");

    // Past MOCKLLM_LEDGER_MAX_PATHS distinct paths, the rest count together.
    for (int i = 0; i < MOCKLLM_LEDGER_MAX_PATHS + 5; i++) {
        char path[32];
        snprintf(path, sizeof path, "/p/%d", i);
        mockllm_ledger_count(l, path);
    }
    CHECK_INT(mockllm_ledger_requests(l), ==, 4 + MOCKLLM_LEDGER_MAX_PATHS + 5);
    CHECK_INT(mockllm_ledger_path_requests(l, MOCKLLM_LEDGER_OTHER), ==, 3 + 5);
    CHECK_INT(mockllm_ledger_path_requests(l, "/p/0"), ==, 1);
    sl_buf_t b;
    sl_buf_init(&b, 1 << 20);
    CHECK_INT(mockllm_ledger_json(l, &b), ==, 0);
    CHECK(strstr(sl_buf_str(&b), ",\"(other)\":8}}") != NULL);
    // A buffer too small is left as it was.
    sl_buf_t tiny;
    sl_buf_init(&tiny, 16);
    CHECK_INT(sl_buf_append_str(&tiny, "x"), ==, 0);
    CHECK_INT(mockllm_ledger_json(l, &tiny), <, 0);
    CHECK_STR(sl_buf_str(&tiny), "x");
    sl_buf_free(&tiny);
    sl_buf_free(&b);

    CHECK_INT(mockllm_ledger_reset(l), ==, 0); // no fail counters were held
    CHECK_INT(mockllm_ledger_requests(l), ==, 0);
    s_check_json(l, "{\"requests\":0,\"by_path\":{}}");
    mockllm_ledger_destroy(&l);
}

static void
s_check_seed_json(const mockllm_ledger_t *l, uint64_t seed, const char *want)
{
    sl_buf_t b;
    sl_buf_init(&b, 1 << 20);
    CHECK_INT(mockllm_ledger_seed_json(l, seed, &b), ==, 0);
    CHECK_STR(sl_buf_str(&b), want);
    sl_buf_free(&b);
}

static void
s_test_attempts(void)
{
    mockllm_ledger_t *l = mockllm_ledger_new(3);
    s_check_seed_json(l, 7, "{\"requests\":0,\"attempts\":[]}");
    mockllm_directive_t d = s_opts("[mock seed=7]");
    CHECK(mockllm_ledger_admit(l, "/p", &d));
    uint64_t a = mockllm_ledger_log(l, 7, "down", true, 1000);
    CHECK(mockllm_ledger_admit(l, "/p", &d));
    uint64_t b = mockllm_ledger_log(l, 7, "up\"", false, 2500);
    CHECK(a > 0 && b > a);
    mockllm_ledger_closed_early(l, b, 3000);
    mockllm_ledger_closed_early(l, b, 9000); // the first close counts
    mockllm_ledger_closed_early(l, 0, 9000); // no attempt: nothing
    (void)mockllm_ledger_log(l, 8, NULL, false, 2600);
    s_check_seed_json(l, 7,
                      "{\"requests\":2,\"attempts\":["
                      "{\"model\":\"down\",\"faults\":true,\"at_us\":1000,\"closed_early\":false,"
                      "\"closed_at_us\":null},"
                      "{\"model\":\"up\\\"\",\"faults\":false,\"at_us\":2500,\"closed_early\":true,"
                      "\"closed_at_us\":3000}]}");
    s_check_seed_json(l, 8,
                      "{\"requests\":0,\"attempts\":[{\"model\":null,\"faults\":false,\"at_us\":"
                      "2600,\"closed_early\":false,\"closed_at_us\":null}]}");
    // Bounded: a fourth attempt overwrites the oldest, whose id then finds nothing.
    uint64_t c = mockllm_ledger_log(l, 7, "x", false, 4000);
    mockllm_ledger_closed_early(l, a, 5000);
    s_check_seed_json(l, 7,
                      "{\"requests\":2,\"attempts\":["
                      "{\"model\":\"up\\\"\",\"faults\":false,\"at_us\":2500,\"closed_early\":true,"
                      "\"closed_at_us\":3000},"
                      "{\"model\":\"x\",\"faults\":false,\"at_us\":4000,\"closed_early\":false,"
                      "\"closed_at_us\":null}]}");
    // A long model is cut.
    char model[MOCKLLM_LEDGER_MAX_MODEL + 50];
    memset(model, 'm', sizeof model - 1);
    model[sizeof model - 1] = '\0';
    (void)mockllm_ledger_log(l, 9, model, false, 1);
    sl_buf_t out;
    sl_buf_init(&out, 1 << 20);
    CHECK_INT(mockllm_ledger_seed_json(l, 9, &out), ==, 0);
    model[MOCKLLM_LEDGER_MAX_MODEL] = '\0';
    CHECK(strstr(sl_buf_str(&out), model) != NULL);
    model[MOCKLLM_LEDGER_MAX_MODEL] = 'm';
    model[MOCKLLM_LEDGER_MAX_MODEL + 1] = '\0';
    CHECK(strstr(sl_buf_str(&out), model) == NULL);
    sl_buf_free(&out);
    // A reset forgets the log; an id from before it finds nothing, new ids go on growing.
    CHECK_INT(mockllm_ledger_reset(l), ==, 0);
    s_check_seed_json(l, 7, "{\"requests\":0,\"attempts\":[]}");
    uint64_t e = mockllm_ledger_log(l, 7, "y", false, 6000);
    CHECK(e > c);
    mockllm_ledger_closed_early(l, c, 7000);
    s_check_seed_json(l, 7,
                      "{\"requests\":0,\"attempts\":[{\"model\":\"y\",\"faults\":false,\"at_us\":"
                      "6000,\"closed_early\":false,\"closed_at_us\":null}]}");
    // A capped output buffer is left as it was.
    sl_buf_init(&out, 10);
    CHECK_INT(mockllm_ledger_seed_json(l, 7, &out), ==, SL_ETOOBIG);
    CHECK_INT(out.len, ==, 0);
    sl_buf_free(&out);
    mockllm_ledger_destroy(&l);
}

int
main(void)
{
    s_test_attempts();
    s_test_fail();
    s_test_eviction();
    s_test_counts();
    printf("ledger_test: ok\n");
    return 0;
}
