// anthropic_request_test.c - Anthropic Messages requests: what is accepted and the exact
// normalized request it becomes (tool_use/tool_result history included), and what is refused,
// with the field named.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anthropic_request.h"
#include "check.h"
#include "sl/err.h"

// Single quotes stand for double quotes, to keep the JSON in the tables readable.
static char *
s_json(const char *s)
{
    char *out = strdup(s);
    CHECK(out != NULL);
    for (char *p = out; *p; p++)
        if (*p == '\'')
            *p = '"';
    return out;
}

static const struct {
    const char *in;
    const char *norm;
    bool stream;
} good[] = {
    // The minimum.
    {"{'model':'m1','max_tokens':256,'messages':[{'role':'user','content':'Hello'}]}",
     "{'messages':[{'role':'user','content':'Hello'}],'max_tokens':256}", false},
    // UTF-8 of every length passes as it is.
    {"{'model':'m1','max_tokens':2,'messages':[{'role':'user','content':'caf\xc3\xa9 \xe6\x97\xa5 "
     "\xf0\x9f\x98\x80'}]}",
     "{'messages':[{'role':'user','content':'caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80'}],"
     "'max_tokens':2}",
     false},
    // System string, sampling, stop sequences; unknown fields are dropped.
    {"{'model':'m1','max_tokens':10,'stream':true,'system':'Be terse.','temperature':0.5,"
     "'top_p':0.9,'top_k':5,'metadata':{'user_id':'u'},'thinking':{'type':'enabled',"
     "'budget_tokens':1024},'stop_sequences':['END','STOP'],"
     "'messages':[{'role':'user','content':'Hi'}]}",
     "{'messages':[{'role':'system','content':'Be terse.'},{'role':'user','content':'Hi'}],"
     "'max_tokens':10,'temperature':0.5,'top_p':0.9,'stop':['END','STOP']}",
     true},
    // System and user text as blocks stay lists of text parts; an empty system is dropped.
    {"{'model':'m1','max_tokens':1,'system':[{'type':'text','text':'A','cache_control':"
     "{'type':'ephemeral'}},{'type':'text','text':'B'}],'messages':[{'role':'user','content':"
     "[{'type':'text','text':'x'}]}],'stop_sequences':[],'stream':null}",
     "{'messages':[{'role':'system','content':[{'type':'text','text':'A'},{'type':'text',"
     "'text':'B'}]},{'role':'user','content':[{'type':'text','text':'x'}]}],'max_tokens':1}",
     false},
    {"{'model':'m1','max_tokens':1,'system':'','messages':[{'role':'user','content':'x'}]}",
     "{'messages':[{'role':'user','content':'x'}],'max_tokens':1}", false},
    // A tool conversation: thinking dropped, text and tool_use in one assistant message,
    // tool results first and each its own message, then the turn's text; tools; any.
    {"{'model':'m1','max_tokens':64,'messages':["
     "{'role':'user','content':'Weather in Paris and AAPL?'},"
     "{'role':'assistant','content':[{'type':'thinking','thinking':'t','signature':'s'},"
     "{'type':'text','text':'I will check.'},"
     "{'type':'tool_use','id':'toolu_1','name':'get_weather','input':{'city':'Paris'}},"
     "{'type':'tool_use','id':'toolu_2','name':'get_price','input':{}}]},"
     "{'role':'user','content':[{'type':'tool_result','tool_use_id':'toolu_1','content':'18C'},"
     "{'type':'tool_result','tool_use_id':'toolu_2','content':[{'type':'text','text':'190'}],"
     "'is_error':false},{'type':'text','text':'Thanks'}]}],"
     "'tools':[{'name':'get_weather','description':'Weather','input_schema':{'type':'object',"
     "'properties':{'city':{'type':'string'}}}},{'name':'get_price','input_schema':"
     "{'type':'object'},'type':'custom'}],'tool_choice':{'type':'any'}}",
     "{'messages':[{'role':'user','content':'Weather in Paris and AAPL?'},"
     "{'role':'assistant','content':[{'type':'text','text':'I will check.'}],'tool_calls':["
     "{'id':'toolu_1','type':'function','function':{'name':'get_weather','arguments':"
     "'{\\'city\\':\\'Paris\\'}'}},"
     "{'id':'toolu_2','type':'function','function':{'name':'get_price','arguments':'{}'}}]},"
     "{'role':'tool','tool_call_id':'toolu_1','content':'18C'},"
     "{'role':'tool','tool_call_id':'toolu_2','content':[{'type':'text','text':'190'}]},"
     "{'role':'user','content':[{'type':'text','text':'Thanks'}]}],'max_tokens':64,"
     "'tools':[{'type':'function','function':{'name':'get_weather','description':'Weather',"
     "'parameters':{'type':'object','properties':{'city':{'type':'string'}}}}},"
     "{'type':'function','function':{'name':'get_price','parameters':{'type':'object'}}}],"
     "'tool_choice':'required'}",
     false},
    // Only tool_use: content null. A turn of only tool results has no user message. A named
    // tool; no parallel calls.
    {"{'model':'m1','max_tokens':5,'messages':[{'role':'user','content':'go'},"
     "{'role':'assistant','content':[{'type':'tool_use','id':'t1','name':'f','input':{'a':[1,"
     "true,null]}}]},{'role':'user','content':[{'type':'tool_result','tool_use_id':'t1'}]}],"
     "'tools':[{'name':'f','input_schema':{}}],'tool_choice':{'type':'tool','name':'f',"
     "'disable_parallel_tool_use':true}}",
     "{'messages':[{'role':'user','content':'go'},{'role':'assistant','content':null,"
     "'tool_calls':[{'id':'t1','type':'function','function':{'name':'f','arguments':"
     "'{\\'a\\':[1,true,null]}'}}]},{'role':'tool','tool_call_id':'t1','content':''}],"
     "'max_tokens':5,'tools':[{'type':'function','function':{'name':'f','parameters':{}}}],"
     "'tool_choice':{'type':'function','function':{'name':'f'}},'parallel_tool_calls':false}",
     false},
    // auto and none pass as they are; a tool_choice without tools is dropped; a turn of only
    // thinking keeps its place with empty content.
    {"{'model':'m1','max_tokens':5,'messages':[{'role':'user','content':'a'}],"
     "'tools':[{'name':'f','input_schema':{}}],'tool_choice':{'type':'none'}}",
     "{'messages':[{'role':'user','content':'a'}],'max_tokens':5,'tools':[{'type':'function',"
     "'function':{'name':'f','parameters':{}}}],'tool_choice':'none'}",
     false},
    // Images: a base64 source becomes a data URL, a url source its URL, in order with the text;
    // an image after tool results stays in the turn's user message, after the tool messages.
    {"{'model':'m1','max_tokens':8,'messages':[{'role':'user','content':[{'type':'text','text':"
     "'What is this?'},{'type':'image','source':{'type':'base64','media_type':'image/png',"
     "'data':'iVBORw0KGgo='}},{'type':'image','source':{'type':'url','url':"
     "'https://x.com/a.jpg'}}]}]}",
     "{'messages':[{'role':'user','content':[{'type':'text','text':'What is this?'},{'type':"
     "'image_url','image_url':{'url':'data:image/png;base64,iVBORw0KGgo='}},{'type':"
     "'image_url','image_url':{'url':'https://x.com/a.jpg'}}]}],'max_tokens':8}",
     false},
    {"{'model':'m1','max_tokens':8,'messages':[{'role':'user','content':'q'},{'role':"
     "'assistant','content':[{'type':'tool_use','id':'t','name':'f','input':{}}]},{'role':"
     "'user','content':[{'type':'tool_result','tool_use_id':'t','content':'r'},{'type':'image',"
     "'source':{'type':'base64','media_type':'image/gif','data':'R0lG'}}]}]}",
     "{'messages':[{'role':'user','content':'q'},{'role':'assistant','content':null,"
     "'tool_calls':[{'id':'t','type':'function','function':{'name':'f','arguments':'{}'}}]},"
     "{'role':'tool','tool_call_id':'t','content':'r'},{'role':'user','content':[{'type':"
     "'image_url','image_url':{'url':'data:image/gif;base64,R0lG'}}]}],'max_tokens':8}",
     false},
    {"{'model':'m1','max_tokens':5,'tool_choice':{'type':'auto'},'messages':[{'role':'user',"
     "'content':'a'},{'role':'assistant','content':[{'type':'redacted_thinking','data':'x'}]}]}",
     "{'messages':[{'role':'user','content':'a'},{'role':'assistant','content':''}],"
     "'max_tokens':5}",
     false},
};

static const struct {
    const char *in;
    const char *param; // NULL: none
    const char *err;   // the start of the message
} bad[] = {
    {"{", NULL, "The request body is not valid JSON."},
    // Not UTF-8: refused before the JSON is read, naming the first bad byte's offset.
    {"{'model':'m','max_tokens':1,'messages':[{'role':'user','content':'caf\xc3'}]}", NULL,
     "The request body is not valid UTF-8: byte 0xc3 at offset 69 does not start a well-formed "
     "character."},
    {"{'model':'m','max_tokens':1,'system':'\xed\xa0\x80','messages':[{'role':'user','content':"
     "'x'}]}",
     NULL, "The request body is not valid UTF-8: byte 0xed at offset 38 "},
    {"\xef\xbb", NULL, "The request body is not valid UTF-8: byte 0xef at offset 0 "},
    {"[]", NULL, "The request body must be a JSON object."},
    {"{'max_tokens':1,'messages':[{'role':'user','content':'x'}]}", "model",
     "model: Field required"},
    {"{'model':'','max_tokens':1,'messages':[]}", "model", "model: Field required"},
    {"{'model':'m','messages':[{'role':'user','content':'x'}]}", "max_tokens",
     "max_tokens: Field required"},
    {"{'model':'m','max_tokens':0,'messages':[]}", "max_tokens", "max_tokens: Input should be"},
    {"{'model':'m','max_tokens':1.5,'messages':[]}", "max_tokens", "max_tokens: Input should be"},
    {"{'model':'m','max_tokens':'5','messages':[]}", "max_tokens", "max_tokens: Input should be"},
    {"{'model':'m','max_tokens':1e12,'messages':[]}", "max_tokens", "max_tokens: Input should be"},
    {"{'model':'m','max_tokens':1}", "messages", "messages: Field required"},
    {"{'model':'m','max_tokens':1,'messages':[]}", "messages", "messages: Field required"},
    {"{'model':'m','max_tokens':1,'messages':[5]}", "messages",
     "messages.0: Input should be an object"},
    {"{'model':'m','max_tokens':1,'messages':[{'role':'user','content':'x'},{'role':'system',"
     "'content':'y'}]}",
     "messages", "messages.1.role: Input should be 'user' or 'assistant'"},
    {"{'model':'m','max_tokens':1,'messages':[{'role':'user'}]}", "messages",
     "messages.0.content: Input should be a string or a list of content blocks"},
    {"{'model':'m','max_tokens':1,'messages':[{'role':'user','content':[{'text':'x'}]}]}",
     "messages", "messages.0.content.0: Input should be an object with a string 'type'"},
    {"{'model':'m','max_tokens':1,'messages':[{'role':'user','content':'x'},{'role':'user',"
     "'content':[{'type':'document','source':{}}]}]}",
     "messages", "messages.1.content.0.type: unsupported content block type 'document'"},
    {"{'model':'m','max_tokens':1,'messages':[{'role':'user','content':[{'type':'text'}]}]}",
     "messages", "messages.0.content.0.text: Field required"},
    {"{'model':'m','max_tokens':1,'messages':[{'role':'user','content':[{'type':'tool_use',"
     "'id':'a','name':'f','input':{}}]}]}",
     "messages", "messages.0.content.0.type: tool_use blocks are only allowed in assistant"},
    {"{'model':'m','max_tokens':1,'messages':[{'role':'user','content':'x'},{'role':'assistant',"
     "'content':[{'type':'tool_result','tool_use_id':'a'}]}]}",
     "messages", "messages.1.content.0.type: tool_result blocks are only allowed in user"},
    {"{'model':'m','max_tokens':1,'messages':[{'role':'user','content':'x'},{'role':'assistant',"
     "'content':[{'type':'text','text':'y'},{'type':'tool_use','name':'f','input':{}}]}]}",
     "messages", "messages.1.content.1.id: Field required"},
    {"{'model':'m','max_tokens':1,'messages':[{'role':'user','content':'x'},{'role':'assistant',"
     "'content':[{'type':'tool_use','id':'a','name':'f','input':'{}'}]}]}",
     "messages", "messages.1.content.0.input: Input should be an object"},
    {"{'model':'m','max_tokens':1,'messages':[{'role':'user','content':[{'type':'tool_result',"
     "'content':'r'}]}]}",
     "messages", "messages.0.content.0.tool_use_id: Field required"},
    {"{'model':'m','max_tokens':1,'messages':[{'role':'user','content':[{'type':'tool_result',"
     "'tool_use_id':'a','content':[{'type':'image'}]}]}]}",
     "messages",
     "messages.0.content.0.content.0.type: image blocks are only allowed in a user message's "
     "content, not here"},
    {"{'model':'m','max_tokens':1,'messages':[{'role':'user','content':[{'type':'tool_result',"
     "'tool_use_id':'a','content':[{'type':'document'}]}]}]}",
     "messages", "messages.0.content.0.content.0.type: Input should be 'text'"},
    {"{'model':'m','max_tokens':1,'system':5,'messages':[{'role':'user','content':'x'}]}", "system",
     "system: Input should be a string or a list of text blocks"},
    {"{'model':'m','max_tokens':1,'system':[{'type':'image'}],'messages':[{'role':'user',"
     "'content':'x'}]}",
     "system",
     "system.0.type: image blocks are only allowed in a user message's content, not here"},
    {"{'model':'m','max_tokens':1,'tools':{},'messages':[{'role':'user','content':'x'}]}", "tools",
     "tools: Input should be a list"},
    {"{'model':'m','max_tokens':1,'tools':[{'input_schema':{}}],'messages':[{'role':'user',"
     "'content':'x'}]}",
     "tools", "tools.0.name: Field required"},
    {"{'model':'m','max_tokens':1,'tools':[{'name':'f'}],'messages':[{'role':'user',"
     "'content':'x'}]}",
     "tools", "tools.0.input_schema: Field required"},
    {"{'model':'m','max_tokens':1,'tools':[{'name':'f','input_schema':{}},{'type':"
     "'web_search_20250305','name':'web_search'}],'messages':[{'role':'user','content':'x'}]}",
     "tools", "tools.1.type: only custom tools are supported"},
    {"{'model':'m','max_tokens':1,'tool_choice':{'type':'tool'},'messages':[{'role':'user',"
     "'content':'x'}]}",
     "tool_choice", "tool_choice.name: Field required"},
    {"{'model':'m','max_tokens':1,'tool_choice':{'type':'sometimes'},'messages':[{'role':'user',"
     "'content':'x'}]}",
     "tool_choice", "tool_choice.type: Input should be"},
    {"{'model':'m','max_tokens':1,'tool_choice':'auto','messages':[{'role':'user','content':"
     "'x'}]}",
     "tool_choice", "tool_choice.type: Field required"},
    {"{'model':'m','max_tokens':1,'temperature':'hot','messages':[{'role':'user','content':"
     "'x'}]}",
     "temperature", "temperature: Input should be a number"},
    {"{'model':'m','max_tokens':1,'stop_sequences':'END','messages':[{'role':'user','content':"
     "'x'}]}",
     "stop_sequences", "stop_sequences: Input should be a list of strings"},
    {"{'model':'m','max_tokens':1,'stop_sequences':['a',1],'messages':[{'role':'user',"
     "'content':'x'}]}",
     "stop_sequences", "stop_sequences.1: Input should be a string"},
    {"{'model':'m','max_tokens':1,'stream':'yes','messages':[{'role':'user','content':'x'}]}",
     "stream", "stream: Input should be a boolean"},
};

// Malformed images, each refused with exactly this message (param "messages").
static const struct {
    const char *in;
    const char *err;
} bad_images[] = {
    {"{'model':'m','max_tokens':1,'messages':[{'role':'user','content':[{'type':'image'}]}]}",
     "messages.0.content.0.source: Field required (an object)"},
    {"{'model':'m','max_tokens':1,'messages':[{'role':'user','content':[{'type':'image',"
     "'source':{'type':'file','file_id':'f'}}]}]}",
     "messages.0.content.0.source.type: Input should be 'base64' or 'url'"},
    {"{'model':'m','max_tokens':1,'messages':[{'role':'user','content':[{'type':'image',"
     "'source':{'type':'base64','data':'QQ=='}}]}]}",
     "messages.0.content.0.source.media_type: Field required (a non-empty string)"},
    {"{'model':'m','max_tokens':1,'messages':[{'role':'user','content':[{'type':'image',"
     "'source':{'type':'base64','media_type':'image/png'}}]}]}",
     "messages.0.content.0.source.data: Field required (a non-empty string)"},
    {"{'model':'m','max_tokens':1,'messages':[{'role':'user','content':[{'type':'image',"
     "'source':{'type':'base64','media_type':'image/bmp','data':'Qk0='}}]}]}",
     "messages.0.content.0.source.media_type: Input should be 'image/jpeg', 'image/png', "
     "'image/gif' or 'image/webp'"},
    {"{'model':'m','max_tokens':1,'messages':[{'role':'user','content':[{'type':'text','text':"
     "'a'},{'type':'image','source':{'type':'base64','media_type':'image/png','data':'ab-d'}}]}]}",
     "messages.0.content.1.source.data: the data is not base64 (byte 2)"},
    {"{'model':'m','max_tokens':1,'messages':[{'role':'user','content':[{'type':'image',"
     "'source':{'type':'url','url':'file:///etc/passwd'}}]}]}",
     "messages.0.content.0.source.url: expected an http(s) URL or a data: URL"},
    {"{'model':'m','max_tokens':1,'messages':[{'role':'user','content':[{'type':'image',"
     "'source':{'type':'url','url':7}}]}]}",
     "messages.0.content.0.source.url: Field required (a non-empty string)"},
    {"{'model':'m','max_tokens':1,'messages':[{'role':'user','content':'q'},{'role':"
     "'assistant','content':[{'type':'image','source':{'type':'url','url':'https://x/a.png'}}]}]}",
     "messages.1.content.0.type: image blocks are only allowed in user messages"},
};

int
main(void)
{
    for (size_t i = 0; i < sizeof bad_images / sizeof bad_images[0]; i++) {
        char *in = s_json(bad_images[i].in);
        ingress_request_t r;
        char e[256];
        const char *p = "unset";
        CHECK_INT(ingress_anthropic_parse(in, strlen(in), &r, e, sizeof e, &p), ==, SL_EINVAL);
        CHECK_STR(e, bad_images[i].err);
        CHECK_STR(p, "messages");
        free(in);
    }
    ingress_request_t req;
    char err[256];
    const char *param;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char *in = s_json(good[i].in);
        char *norm = s_json(good[i].norm);
        int rc = ingress_anthropic_parse(in, strlen(in), &req, err, sizeof err, &param);
        if (rc != 0)
            fprintf(stderr, "good[%zu]: %s\n", i, err);
        CHECK_INT(rc, ==, 0);
        CHECK_STR(req.model, "m1");
        CHECK_INT(req.stream, ==, good[i].stream);
        CHECK(req.include_usage);
        CHECK_STR(req.body, norm);
        CHECK_INT(req.body_len, ==, strlen(norm));
        ingress_request_free(&req);
        free(in);
        free(norm);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *in = s_json(bad[i].in);
        param = "unset";
        CHECK_INT(ingress_anthropic_parse(in, strlen(in), &req, err, sizeof err, &param), ==,
                  SL_EINVAL);
        if (strncmp(err, bad[i].err, strlen(bad[i].err)) != 0) {
            fprintf(stderr, "bad[%zu]: '%s' does not start with '%s'\n", i, err, bad[i].err);
            return 1;
        }
        if (bad[i].param)
            CHECK_STR(param, bad[i].param);
        else
            CHECK(param == NULL);
        CHECK(req.model == NULL && req.body == NULL);
        free(in);
    }
    // Through the API table, and a body that is not NUL-terminated: what lies past its length
    // (here a byte that is not UTF-8) is not looked at.
    const char body[] = "{\"model\":\"m1\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\","
                        "\"content\":\"hi\"}]}\xffXXX";
    CHECK_INT(ingress_anthropic_api.parse(body, sizeof body - 5, &req, err, sizeof err, &param), ==,
              0);
    CHECK_STR(req.body, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":3}");
    ingress_request_free(&req);
    printf("anthropic_request_test: ok\n");
    return 0;
}
