// chunk_diff_test.c - the chunk scanner against cJSON, through the OpenAI adapter: every input,
// fed as one SSE event, makes the sink hear the same calls (kinds, text bytes, finish reasons,
// usage, errors), with the same return code and end state, with the scanner on as with it off
// (provider_chunk_disable). The inputs: a table of chunks the scanner takes and shapes it must
// leave to cJSON, then three typical chunks cut at every byte, with each byte dropped, and with
// each byte replaced by bytes that matter to JSON.
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "chunk.h"
#include "heard.h"
#include "sl/buf.h"

#define S_MAX_BYTES (1 << 20)

// Typical chunks, ' for ": the role chunk, a content chunk with escapes, the finish chunk.
static const char *const s_typical[] = {
    "{'id':'chatcmpl-x','object':'chat.completion.chunk','created':1,'model':'m',"
    "'system_fingerprint':'fp','choices':[{'index':0,'delta':{'role':'assistant','content':'',"
    "'refusal':null},'logprobs':null,'finish_reason':null}],'obfuscation':'Ab3'}",
    "{'id':'chatcmpl-x','object':'chat.completion.chunk','created':1,'model':'m',"
    "'system_fingerprint':'fp','choices':[{'index':0,'delta':{'content':'Hi \\'x\\'\\n'},"
    "'logprobs':null,'finish_reason':null}]}",
    "{'id':'chatcmpl-x','object':'chat.completion.chunk','created':1,'model':'m',"
    "'service_tier':'default','choices':[{'index':0,'delta':{},'logprobs':null,"
    "'finish_reason':'stop'}],'usage':null}",
};

// Inputs, ' for " (\\' is a backslash and a "), and whether the scanner takes them.
static const struct {
    const char *in;
    int fast;
} s_cases[] = {
    {"{'choices':[{'index':0,'delta':{'content':'Hello'},'finish_reason':null}]}", 1},
    {"{'choices':[{'index':0,'delta':{'role':'assistant','content':''}}]}", 1},
    {"{'choices':[{'index':0,'delta':{},'finish_reason':'stop'}]}", 1},
    {"{'choices':[{'index':0,'delta':{},'finish_reason':''}]}", 1},
    {"{'choices':[{'delta':{'content':'a'},'finish_reason':'length'}]}", 1},
    {"{'choices':[{'delta':{'reasoning_content':'r1','reasoning':'r2','content':'c'}}]}", 1},
    {"{'choices':[{'delta':{'reasoning':'only'}}]}", 1},
    {"{'choices':[{'delta':{'content':'\\\\ \\/ \\b\\f\\n\\r\\t \\''}}]}", 1},
    {"{'choices':[{'delta':{'content':'日本😀\xff\xfe\x7f'}}]}", 1},
    {"{'choices':[{'delta':{'content':'\xed\xa0\xbd'}}]}", 1}, // a raw WTF-8 half
    {" {\n  'choices' : [ {\n 'delta' : { 'content' : 'ws' } } ]\n}\n", 1},
    {"{'usage':null,'error':null,'choices':[{'finish_reason':null,'logprobs':null,'delta':"
     "{'content':'k'},'index':-0.0}],'id':'x'}",
     1},
    {"{'error':false,'choices':[{'delta':{'content':'e'}}]}", 1},
    {"{'a':1,'b':-2.5e-3,'c':true,'d':false,'e':null,'f':'\\u00e9','choices':[{'g':0,'delta':"
     "{'h':'i','content':'j'}}]}",
     1},
    {"{'choices':[{'delta':null,'finish_reason':'stop'}]}", 1},
    {"{'choices':[{'finish_reason':'tool_calls'}]}", 1},
    {"{'choices':[{'delta':{'content':null}}]}", 1},
    {"{'choices':[{}]}", 1},
    // \u in a text, surrogates among them: cJSON's.
    {"{'choices':[{'delta':{'content':'Caf\\u00e9'}}]}", 0},
    {"{'choices':[{'delta':{'content':'\\ud83d\\ude00'}}]}", 0},
    {"{'choices':[{'delta':{'content':'a\\ud83d'}}]}", 0},
    {"{'choices':[{'delta':{'content':'\\ude80b'}}]}", 0},
    {"{'choices':[{'delta':{'content':'a\\u0000b'}}]}", 0},
    {"{'id':'\\ud83d','choices':[{'delta':{'content':'x'}}]}", 0},
    {"{'id':'\\uZZZZ','choices':[{'delta':{'content':'x'}}]}", 0},
    {"{'choices':[{'delta':{'content':'\\x'}}]}", 0},
    // Raw control bytes in strings.
    {"{'choices':[{'delta':{'content':'a\x01'}}]}", 0},
    {"{'choices':[{'delta':{'content':'a\tb'}}]}", 0},
    {"{'id':'\x1f','choices':[{'delta':{'content':'x'}}]}", 0},
    // Nested values, several choices, index 1, tool calls, usage and error objects.
    {"{'choices':[{'delta':{'content':'x'},'logprobs':{'content':[{'token':'x'}]}}]}", 0},
    {"{'choices':[{'delta':{'content':'x'},'logprobs':true}]}", 0},
    {"{'choices':[{'delta':{'content':'a'}},{'index':1,'delta':{'content':'b'}}]}", 0},
    {"{'choices':[{'index':1,'delta':{'content':'b'}},{'index':0,'delta':{'content':'a'}}]}", 0},
    {"{'choices':[{'index':1,'delta':{'content':'b'}}]}", 0},
    {"{'choices':[{'index':'1','delta':{'content':'b'}}]}", 0},
    {"{'choices':[{'index':null,'delta':{'content':'b'}}]}", 0},
    {"{'choices':[{'index':1e-400,'delta':{'content':'b'}}]}", 0},
    {"{'choices':[{'delta':{'tool_calls':[{'index':0,'id':'c','function':{'name':'f',"
     "'arguments':'{}'}}]}}]}",
     0},
    {"{'choices':[{'delta':{'content':'a','tool_calls':null}}]}", 0},
    {"{'choices':[{'delta':{'content':'a','tool_calls':[]}}]}", 0},
    {"{'choices':[],'usage':{'prompt_tokens':9,'completion_tokens':2}}", 0},
    {"{'choices':[{'delta':{'content':'a'}}],'usage':{'prompt_tokens':9,'completion_tokens':2}}",
     0},
    {"{'choices':null,'usage':{'prompt_tokens':1}}", 0},
    {"{'choices':[{'delta':{'content':'a'}}],'usage':7}", 0},
    {"{'error':{'message':'broke','type':'server_error'}}", 0},
    {"{'choices':[{'delta':{'content':'a'}}],'error':{'message':'broke'}}", 0},
    {"{'choices':[{'delta':{'content':'a'}}],'error':true}", 0},
    {"{'choices':[{'delta':{'content':'a'}}],'error':'x'}", 0},
    {"{'choices':[{'delta':{'refusal':'no'}}]}", 0},
    {"{'choices':[{'delta':{'content':'a','audio':{'id':'x'}}}]}", 0},
    {"{'choices':[{'delta':{'content':7}}]}", 0},
    {"{'choices':[{'delta':'x','finish_reason':'stop'}]}", 0},
    {"{'choices':[{'delta':{},'finish_reason':1}]}", 0},
    {"{'choices':{'delta':{'content':'a'}}}", 0},
    {"{'choices':[1]}", 0},
    {"{'prompt_filter_results':[{'prompt_index':0}],'choices':[]}", 0},
    // Duplicate keys: cJSON reads the first.
    {"{'choices':[{'delta':{'content':'a','content':'b'}}]}", 0},
    {"{'choices':[{'delta':{'content':'a'},'finish_reason':'stop','finish_reason':null}]}", 0},
    {"{'choices':[{'index':1,'index':0,'delta':{'content':'a'}}]}", 0},
    {"{'choices':[{'delta':{'content':'a'}}],'choices':[{'delta':{'content':'b'}}]}", 0},
    {"{'id':'1','id':'2','choices':[{'delta':{'content':'a'}}]}", 0},
    {"{'choices':[{'delta':{'content':'a'},'delta':{'content':'b'}}]}", 0},
    // Escaped keys: cJSON unescapes them before it compares.
    {"{'choices':[{'delta':{'con\\u0074ent':'a'}}]}", 0},
    {"{'choices':[{'delta':{'content\\u0000x':'a'}}]}", 0},
    // Numbers cJSON reads differently from JSON, or not at all.
    {"{'n':01,'choices':[{'delta':{'content':'a'}}]}", 0},
    {"{'n':+1,'choices':[{'delta':{'content':'a'}}]}", 0},
    {"{'n':1.,'choices':[{'delta':{'content':'a'}}]}", 0},
    {"{'n':1e5e5,'choices':[{'delta':{'content':'a'}}]}", 0},
    {"{'n':1234567890123456789012345678901234567890123456789012345678901234,"
     "'choices':[{'delta':{'content':'a'}}]}",
     0},
    // Garbage before, after and inside.
    {"{'choices':[{'delta':{'content':'a'}}]}x", 0},
    {"{'choices':[{'delta':{'content':'a'}}]}}", 0},
    {"{'choices':[{'delta':{'content':'a'}}]} {'choices':[]}", 0},
    {"\xef\xbb\xbf{'choices':[{'delta':{'content':'a'}}]}", 0},
    {"\x01{'choices':[{'delta':{'content':'a'}}]}", 0},
    {"{'choices':[{'delta':{'content':'a'}},]}", 0},
    {"{'choices':[{'delta':{'content':'a'},}]}", 0},
    {"{'choices':[{'delta':{'content':'a'}}],}", 0},
    {"{'choices':[{'delta':{'content':'a'}}]", 0},
    {"{'choices':[{'delta':{'content':'a}}]}", 0},
    {"{\"choices\":[{\"delta\":{\"content\":\"a\\", 0},
    {"{'choices':[{'delta':{'content':'a'} 'x':1}]}", 0},
    {"{'e':nul,'choices':[{'delta':{'content':'a'}}]}", 0},
    {"{}", 0},
    {"[]", 0},
    {"", 0},
    {"not json", 0},
};

// Bytes a replacement tries at every position of a typical chunk.
static const char s_bytes[] = {'"', '\\', '{', '}', '[', ']',    ',',    ':',
                               ' ', '0',  'x', 'u', 'n', '\x01', '\x80', '\n'};

static int s_fast;    // inputs the scanner took
static int s_checked; // inputs compared

// in with every ' made ", into a new buffer of *len bytes. Caller owns the result.
static char *
s_json(const char *in, size_t *len)
{
    *len = strlen(in);
    char *json = malloc(*len + 1);
    CHECK(json != NULL);
    for (size_t i = 0; i <= *len; i++)
        json[i] = in[i] == '\'' ? '"' : in[i];
    return json;
}

// Feed json (len bytes; line ends LF only) to the adapter as one event into h.
static int
s_feed(const char *json, size_t len, heard_t *h, int *complete)
{
    sl_buf_t sse;
    sl_buf_init(&sse, 2 * len + 64);
    CHECK_INT(sl_buf_append_str(&sse, "data: "), ==, 0);
    for (size_t i = 0; i < len; i++) {
        CHECK_INT(sl_buf_append(&sse, json + i, 1), ==, 0);
        if (json[i] == '\n') // a line of its own: the parser joins data lines with "\n"
            CHECK_INT(sl_buf_append_str(&sse, "data: "), ==, 0);
    }
    CHECK_INT(sl_buf_append_str(&sse, "\n\n"), ==, 0);
    heard_init(h, S_MAX_BYTES);
    int rc = heard_feed("openai", sl_buf_str(&sse), sse.len, sse.len, h, complete);
    sl_buf_free(&sse);
    return rc;
}

// The same calls with the scanner on and off; want_fast (1, 0, or -1 for either) says whether
// the scanner takes json.
static void
s_check(const char *json, size_t len, int want_fast)
{
    char *data = malloc(len + 1);
    CHECK(data != NULL);
    memcpy(data, json, len);
    for (size_t i = 0; i < len; i++)
        if (data[i] == '\r') // the SSE parser would end a line there
            data[i] = '\n';
    heard_t on, off;
    int complete_on = -1, complete_off = -1;
    int rc_on = s_feed(data, len, &on, &complete_on);
    provider_chunk_disable(true);
    int rc_off = s_feed(data, len, &off, &complete_off);
    provider_chunk_disable(false);
    provider_chunk_t chunk;
    provider_chunk_init(&chunk, S_MAX_BYTES);
    int fast = provider_chunk_scan(data, len, &chunk);
    provider_chunk_free(&chunk);
    if (rc_on != rc_off || complete_on != complete_off || on.log.len != off.log.len
        || memcmp(sl_buf_str(&on.log), sl_buf_str(&off.log), on.log.len) != 0
        || (want_fast >= 0 && fast != want_fast)) {
        fprintf(stderr,
                "input '%.*s' (scanner %s): on rc=%d complete=%d '%s', off rc=%d "
                "complete=%d '%s'\n",
                (int)len, data, fast ? "took it" : "left it", rc_on, complete_on,
                sl_buf_str(&on.log), rc_off, complete_off, sl_buf_str(&off.log));
        CHECK_INT(rc_on, ==, rc_off);
        CHECK_INT(complete_on, ==, complete_off);
        CHECK_MEM(sl_buf_str(&on.log), on.log.len, sl_buf_str(&off.log), off.log.len);
        CHECK_INT(fast, ==, want_fast);
    }
    s_fast += fast;
    s_checked++;
    heard_free(&on);
    heard_free(&off);
    free(data);
}

static void
s_test_table(void)
{
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
        size_t len;
        char *json = s_json(s_cases[i].in, &len);
        s_check(json, len, s_cases[i].fast);
        free(json);
    }
}

// Each typical chunk whole, cut at every byte, without each byte, and with each byte replaced.
static void
s_test_mutations(void)
{
    for (size_t t = 0; t < sizeof s_typical / sizeof s_typical[0]; t++) {
        size_t len;
        char *json = s_json(s_typical[t], &len);
        char *m = malloc(len + 1);
        CHECK(m != NULL);
        s_check(json, len, 1);
        for (size_t cut = 0; cut < len; cut++)
            s_check(json, cut, 0); // no prefix of an object is one
        for (size_t i = 0; i < len; i++) {
            memcpy(m, json, i);
            memcpy(m + i, json + i + 1, len - i - 1);
            s_check(m, len - 1, -1);
            memcpy(m, json, len);
            for (size_t b = 0; b < sizeof s_bytes; b++) {
                m[i] = s_bytes[b];
                s_check(m, len, -1);
            }
        }
        free(m);
        free(json);
    }
}

int
main(void)
{
    s_test_table();
    int table = s_checked, table_fast = s_fast;
    s_test_mutations();
    printf("chunk_diff_test: %d table inputs (%d taken by the scanner), %d in all (%d taken): "
           "ok\n",
           table, table_fast, s_checked, s_fast);
    return 0;
}
