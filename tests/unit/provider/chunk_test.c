// chunk_test.c - the common OpenAI chunk scanner: the shapes it takes, with the exact strings it
// decodes, and every shape it must leave to cJSON. Inputs are written with ' for ".
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "chunk.h"

// A typical chunk around the choice's delta and finish reason, as OpenAI sends it.
#define S_CHUNK(delta, finish)                                                           \
    "{'id':'chatcmpl-x','object':'chat.completion.chunk','created':1,'model':'m',"       \
    "'system_fingerprint':'fp','choices':[{'index':0,'delta':" delta ",'logprobs':null," \
    "'finish_reason':" finish "}]}"

#define S_MAX_BYTES 4096

// A chunk the scanner takes, and the strings it must find (NULL: missing or null).
typedef struct {
    const char *in; // ' stands for " unless raw is set
    int raw;        // take in as it is (it holds ' or a backslash-quote itself)
    const char *reasoning_content;
    const char *reasoning;
    const char *content;
    const char *finish_reason;
} s_case_t;

static const s_case_t s_accepted[] = {
    // The role chunk: content "" is there, refusal null.
    {S_CHUNK("{'role':'assistant','content':'','refusal':null}", "null"), 0, NULL, NULL, "", NULL},
    {S_CHUNK("{'content':'Hello'}", "null"), 0, NULL, NULL, "Hello", NULL},
    // The finish chunk, with the usage that comes null when include_usage is set.
    {"{'id':'x','choices':[{'index':0,'delta':{},'logprobs':null,'finish_reason':'stop'}],"
     "'usage':null}",
     0, NULL, NULL, NULL, "stop"},
    {S_CHUNK("{}", "'length'"), 0, NULL, NULL, NULL, "length"},
    {S_CHUNK("{'content':''}", "''"), 0, NULL, NULL, "", ""},
    // Whitespace between every token, keys in another order.
    {" \t\r\n{ 'choices' : [ { 'finish_reason' : null , 'delta' : { 'content' : 'a b' } ,\n"
     "  'index' : 0 } ] ,\n 'id' : 'x' } \r\n",
     0, NULL, NULL, "a b", NULL},
    {"{'model':'m','choices':[{'delta':{'content':'x','role':'assistant'},'finish_reason':null,"
     "'index':0}],'created':1,'id':'c'}",
     0, NULL, NULL, "x", NULL},
    // Every escape but \u, decoded as cJSON decodes it.
    {"{\"choices\":[{\"delta\":{\"content\":\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t.\"}}]}", 1, NULL,
     NULL, "q\" b\\ s/ \b\f\n\r\t.", NULL},
    {"{\"choices\":[{\"delta\":{\"content\":\"line\\nnext\"}}]}", 1, NULL, NULL, "line\nnext",
     NULL},
    {S_CHUNK("{'reasoning_content':'think'}", "null"), 0, "think", NULL, NULL, NULL},
    {S_CHUNK("{'reasoning':'r','content':'c','reasoning_content':'rc'}", "'stop'"), 0, "rc", "r",
     "c", "stop"},
    {S_CHUNK("{'content':null,'reasoning_content':null,'reasoning':null}", "null"), 0, NULL, NULL,
     NULL, NULL},
    // OpenAI's obfuscation padding, service_tier, and scalars of every kind nobody reads.
    {"{'id':'c','object':'chat.completion.chunk','created':1751,'model':'gpt-4o',"
     "'service_tier':'default','system_fingerprint':null,'choices':[{'index':0,'delta':"
     "{'content':'Hi'},'logprobs':null,'finish_reason':null}],'usage':null,"
     "'obfuscation':'3fY_x-0'}",
     0, NULL, NULL, "Hi", NULL},
    {"{'a':-1.5e+10,'b':0,'c':true,'d':false,'e':null,'f':1E-3,'g':-0.25,'h':'\\u00e9\\n',"
     "'choices':[{'x':12,'delta':{'y':'z','w':3.0e2},'v':'u'}]}",
     0, NULL, NULL, NULL, NULL},
    // index missing, or a zero in another spelling.
    {"{'choices':[{'delta':{'content':'a'}}]}", 0, NULL, NULL, "a", NULL},
    {"{'choices':[{'index':-0,'delta':{'content':'a'}}]}", 0, NULL, NULL, "a", NULL},
    {"{'choices':[{'index':0.000e7,'delta':{'content':'a'}}]}", 0, NULL, NULL, "a", NULL},
    // delta null or missing: only the finish reason counts.
    {"{'choices':[{'index':0,'delta':null,'finish_reason':'stop'}]}", 0, NULL, NULL, NULL, "stop"},
    {"{'choices':[{'index':0,'finish_reason':'content_filter'}]}", 0, NULL, NULL, NULL,
     "content_filter"},
    {"{'error':null,'choices':[{'delta':{'content':'a'}}]}", 0, NULL, NULL, "a", NULL},
    {"{'error':false,'choices':[{'delta':{'content':'a'}}]}", 0, NULL, NULL, "a", NULL},
    // UTF-8, and bytes that are not UTF-8, pass through as cJSON passes them; so does DEL.
    {"{'choices':[{'delta':{'content':'日本😀 caf\xc3\xa9'}}]}", 0, NULL, NULL, "日本😀 caf\xc3\xa9",
     NULL},
    {"{'choices':[{'delta':{'content':'\xff\xfe\xed\xa0\x80\x7f'}}]}", 0, NULL, NULL,
     "\xff\xfe\xed\xa0\x80\x7f", NULL},
    // A number of 63 bytes, as long as cJSON reads.
    {"{'n':123456789012345678901234567890123456789012345678901234567890123,"
     "'choices':[{'delta':{}}]}",
     0, NULL, NULL, NULL, NULL},
    // Empty objects with whitespace inside.
    {"{'choices':[{ }]}", 0, NULL, NULL, NULL, NULL},
    {"{'choices':[{'delta':{ \n }}]}", 0, NULL, NULL, NULL, NULL},
    // Keys that only look like the ones read: case matters, as in cJSON_GetObjectItemCaseSensitive.
    {"{'choices':[{'delta':{'Content':'x','content ':'y','content':'z'}}]}", 0, NULL, NULL, "z",
     NULL},
};

static const char *const s_refused[] = {
    "",
    " \n",
    "[DONE]",
    "[]",
    "'x'",
    "null",
    "{}",                           // no choices
    "\xef\xbb\xbf{'choices':[{}]}", // a BOM
    "\x01{'choices':[{}]}",         // cJSON's whitespace, not JSON's
    // Truncated.
    "{'choices':[{'delta':{'content':'Hel",
    "{'choices':[{'delta':{'content':'Hello'}}]",
    "{'choices':[{'delta':{'content':'a\\",
    // \u in a text: left to cJSON, surrogates and all.
    "{'choices':[{'delta':{'content':'caf\\u00e9'}}]}",
    "{'choices':[{'delta':{'content':'\\ud83d\\ude00'}}]}",
    "{'choices':[{'delta':{'content':'\\ud83d'}}]}",
    "{'choices':[{'delta':{'content':'\\u0000'}}]}",
    "{'choices':[{'finish_reason':'st\\u006fp'}]}",
    // In a string nobody reads: a surrogate half, or \u without 4 hex digits (cJSON reads 0).
    "{'id':'\\ud83d\\ude00','choices':[{}]}",
    "{'id':'\\udc00','choices':[{}]}",
    "{'id':'\\u12g4','choices':[{}]}",
    "{'id':'\\u12','choices':[{}]}",
    "{'id':'\\x','choices':[{}]}",
    "{'choices':[{'delta':{'content':'\\a'}}]}",
    // Raw control bytes inside a string: cJSON keeps them (and a NUL would cut the text).
    "{'choices':[{'delta':{'content':'a\x01'}}]}",
    "{'choices':[{'delta':{'content':'a\tb'}}]}",
    "{'choices':[{'delta':{'content':'a\nb'}}]}",
    "{'id':'a\x1f','choices':[{}]}",
    // Escapes, control bytes or a NUL in a key: cJSON compares the unescaped key.
    "{'choices':[{'delta':{'con\\u0074ent':'x'}}]}",
    "{'choices':[{'delta':{'con\\ttent':'x'}}]}",
    "{'choices':[{'delta':{'content\x01':'x'}}]}",
    // choices: not an array of exactly one object.
    "{'id':'x','usage':null}",
    "{'choices':null}",
    "{'choices':[]}",
    "{'choices':[1]}",
    "{'choices':{'delta':{}}}",
    "{'choices':[{'delta':{'content':'a'}},{'index':1,'delta':{'content':'b'}}]}",
    "{'choices':[{'delta':{}},]}",
    // index not missing or 0.
    "{'choices':[{'index':1,'delta':{'content':'a'}}]}",
    "{'choices':[{'index':'0','delta':{'content':'a'}}]}",
    "{'choices':[{'index':null,'delta':{'content':'a'}}]}",
    "{'choices':[{'index':1e-400,'delta':{'content':'a'}}]}",
    "{'choices':[{'index':0.5,'delta':{'content':'a'}}]}",
    // Tool calls, even null; a nested value in delta; a refusal.
    "{'choices':[{'delta':{'tool_calls':[{'index':0,'function':{'arguments':'{}'}}]}}]}",
    "{'choices':[{'delta':{'content':'a','tool_calls':null}}]}",
    "{'choices':[{'delta':{'audio':{'id':'x'}}}]}",
    "{'choices':[{'delta':{'annotations':[]}}]}",
    "{'choices':[{'delta':{'refusal':'no'}}]}",
    "{'choices':[{'delta':'text'}]}",
    // A text that is not a string or null.
    "{'choices':[{'delta':{'content':5}}]}",
    "{'choices':[{'finish_reason':true}]}",
    // usage and error: anything but null (and false for error).
    "{'choices':[{'delta':{}}],'usage':{'prompt_tokens':1,'completion_tokens':2}}",
    "{'choices':[{'delta':{}}],'usage':0}",
    "{'choices':[{'delta':{}}],'error':{'message':'broke'}}",
    "{'choices':[{'delta':{}}],'error':true}",
    "{'choices':[{'delta':{}}],'error':'broke'}",
    // Nested values elsewhere.
    "{'choices':[{'delta':{},'logprobs':{'content':[]}}]}",
    "{'choices':[{'delta':{},'logprobs':false}]}",
    "{'choices':[{'delta':{},'content_filter_results':{}}]}",
    "{'prompt_filter_results':[],'choices':[{'delta':{}}]}",
    "{'x_groq':{'id':'r'},'choices':[{'delta':{}}]}",
    // Duplicate keys, at every level and for keys nobody reads.
    "{'choices':[{'delta':{'content':'a'}}],'choices':[{'delta':{'content':'b'}}]}",
    "{'choices':[{'index':1,'index':0,'delta':{'content':'a'}}]}",
    "{'choices':[{'delta':{'content':'a','content':'b'}}]}",
    "{'id':'a','id':'a','choices':[{'delta':{}}]}",
    // Numbers outside JSON's grammar, or longer than cJSON reads.
    "{'n':01,'choices':[{}]}",
    "{'n':1.,'choices':[{}]}",
    "{'n':.5,'choices':[{}]}",
    "{'n':+1,'choices':[{}]}",
    "{'n':-,'choices':[{}]}",
    "{'n':1e,'choices':[{}]}",
    "{'n':1e+,'choices':[{}]}",
    "{'n':0x10,'choices':[{}]}",
    "{'n':1-2,'choices':[{}]}",
    "{'n':NaN,'choices':[{}]}",
    "{'n':Infinity,'choices':[{}]}",
    "{'n':1234567890123456789012345678901234567890123456789012345678901234,"
    "'choices':[{'delta':{}}]}",
    // Words that are not quite JSON's.
    "{'e':nul,'choices':[{}]}",
    "{'e':nulll,'choices':[{}]}",
    "{'e':True,'choices':[{}]}",
    // Broken structure.
    "{'choices':[{}],}",
    "{'choices' [{}]}",
    "{'id':'x' 'choices':[{}]}",
    "{id:'x','choices':[{}]}",
    "{'choices':[{}]]",
    // Bytes after the object.
    "{'choices':[{}]}x",
    "{'choices':[{}]}}",
    "{'choices':[{}]} {'choices':[{}]}",
};

// len bytes of in, with every ' made " unless raw, into buf (size bytes).
static size_t
s_json(const char *in, size_t len, int raw, char *buf, size_t size)
{
    CHECK(len < size);
    memcpy(buf, in, len);
    for (size_t i = 0; i < len && !raw; i++)
        if (buf[i] == '\'')
            buf[i] = '"';
    buf[len] = 'Z'; // never read: the scan keeps to len bytes
    return len;
}

static void
s_check_str(const char *what, const provider_chunk_str_t *got, const char *want, const char *in)
{
    if (!want) {
        if (got->ptr) {
            fprintf(stderr, "%s of '%s': got '%s', want none\n", what, in, got->ptr);
            CHECK(got->ptr == NULL);
        }
        return;
    }
    if (!got->ptr)
        fprintf(stderr, "%s of '%s': got none\n", what, in);
    CHECK(got->ptr != NULL);
    CHECK_MEM(got->ptr, got->len, want, strlen(want));
    CHECK_INT(got->ptr[got->len], ==, 0);
}

static void
s_test_accepted(provider_chunk_t *chunk)
{
    char buf[1024];
    for (size_t i = 0; i < sizeof s_accepted / sizeof s_accepted[0]; i++) {
        const s_case_t *c = &s_accepted[i];
        size_t len = s_json(c->in, strlen(c->in), c->raw, buf, sizeof buf);
        int rc = provider_chunk_scan(buf, len, chunk);
        if (rc != 1)
            fprintf(stderr, "refused '%s'\n", c->in);
        CHECK_INT(rc, ==, 1);
        s_check_str("reasoning_content", &chunk->reasoning_content, c->reasoning_content, c->in);
        s_check_str("reasoning", &chunk->reasoning, c->reasoning, c->in);
        s_check_str("content", &chunk->content, c->content, c->in);
        s_check_str("finish_reason", &chunk->finish_reason, c->finish_reason, c->in);
    }
}

static void
s_refuse(const char *in, size_t len, provider_chunk_t *chunk)
{
    char buf[1024];
    len = s_json(in, len, 0, buf, sizeof buf);
    int rc = provider_chunk_scan(buf, len, chunk);
    if (rc != 0)
        fprintf(stderr, "took '%s'\n", in);
    CHECK_INT(rc, ==, 0);
}

static void
s_test_refused(provider_chunk_t *chunk)
{
    for (size_t i = 0; i < sizeof s_refused / sizeof s_refused[0]; i++)
        s_refuse(s_refused[i], strlen(s_refused[i]), chunk);
    // A NUL in a string (cJSON would cut the text there), and one after the object.
    static const char in_string[] = "{'choices':[{'delta':{'content':'a\0b'}}]}";
    static const char after[] = "{'choices':[{}]}\0";
    s_refuse(in_string, sizeof in_string - 1, chunk);
    s_refuse(after, sizeof after - 1, chunk);
}

// The scratch is capped at the stream's event size and reused: a longer input is not simple,
// a short one after a long one decodes into the same scratch.
static void
s_test_scratch(void)
{
    provider_chunk_t chunk;
    provider_chunk_init(&chunk, 600);
    char big[700];
    for (size_t text = 0; text < 560; text += 37) {
        int n = snprintf(big, sizeof big, "{\"choices\":[{\"delta\":{\"content\":\"%0*d\"}}]}",
                         (int)text + 1, 7);
        CHECK_INT(provider_chunk_scan(big, (size_t)n, &chunk), ==, 1);
        CHECK_INT(chunk.content.len, ==, text + 1);
        CHECK(chunk.scratch_size <= 600);
    }
    const char *small = "{\"choices\":[{\"delta\":{\"content\":\"s\"}}]}";
    CHECK_INT(provider_chunk_scan(small, strlen(small), &chunk), ==, 1);
    CHECK_STR(chunk.content.ptr, "s");
    int n = snprintf(big, sizeof big, "{\"choices\":[{\"delta\":{\"content\":\"%0*d\"}}]}", 600, 7);
    CHECK_INT(provider_chunk_scan(big, (size_t)n, &chunk), ==, 0);
    provider_chunk_free(&chunk);
    provider_chunk_free(&chunk); // a second free is harmless
}

int
main(void)
{
    provider_chunk_t chunk;
    provider_chunk_init(&chunk, S_MAX_BYTES);
    s_test_accepted(&chunk);
    s_test_refused(&chunk);
    // The test switch: a chunk the scanner takes is left to cJSON while it is on.
    const char *hello = "{\"choices\":[{\"delta\":{\"content\":\"Hello\"}}]}";
    provider_chunk_disable(true);
    CHECK_INT(provider_chunk_scan(hello, strlen(hello), &chunk), ==, 0);
    provider_chunk_disable(false);
    CHECK_INT(provider_chunk_scan(hello, strlen(hello), &chunk), ==, 1);
    CHECK_STR(chunk.content.ptr, "Hello");
    CHECK(provider_chunk_scan(NULL, 0, &chunk) == 0);
    provider_chunk_free(&chunk);
    s_test_scratch();
    printf("chunk_test: %zu taken, %zu refused: ok\n", sizeof s_accepted / sizeof s_accepted[0],
           sizeof s_refused / sizeof s_refused[0] + 2);
    return 0;
}
