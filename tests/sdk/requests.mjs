// requests.mjs - one logical request, written three ways: as the OpenAI SDK sends it, as the
// Anthropic SDK sends it, and as sluice's adapter for each provider kind must send it upstream.
// The upstream form goes to the mock's POST /mock/script, which answers what the mock will
// say for it (text, tool calls, finish reason, usage): the expected values of every check.
//
// A logical request is {text, tools, maxTokens, stream}: one user message (no system prompt,
// so every format counts the same words), the tool definitions below when tools is true, and
// an optional token cap. The mock's directive sits in text.

// Two tools, so `[mock tools=2]` can call two different ones in parallel.
export const TOOLS = [
    {
        name: 'get_weather',
        description: 'Current weather for a city',
        parameters: {
            type: 'object',
            properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
            required: ['city'],
        },
    },
    {
        name: 'get_stock_price',
        description: 'Latest trade price of a stock',
        parameters: {
            type: 'object',
            properties: { ticker: { type: 'string' } },
            required: ['ticker'],
        },
    },
];

// The Anthropic API requires max_tokens: the SDK tests send this when a check sets no cap, and
// the anthropic adapter sends its default upstream when the client gave none
// (ANTHROPIC_DEFAULT_MAX_TOKENS in actors/provider/anthropic.c). Both are far above any answer
// here, so they never cut one.
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024;
const ADAPTER_DEFAULT_MAX_TOKENS = 4096;

const openaiTools = () => TOOLS.map((t) => ({ type: 'function', function: { ...t } }));

// ---- what the clients send -----------------------------------------------------------------

export function openaiClientRequest(model, req) {
    const body = { model, messages: [{ role: 'user', content: req.text }] };
    if (req.tools)
        body.tools = openaiTools();
    if (req.maxTokens !== undefined)
        body.max_tokens = req.maxTokens;
    if (req.stream) {
        body.stream = true;
        body.stream_options = { include_usage: true };
    }
    return body;
}

export function anthropicClientRequest(model, req) {
    const body = {
        model,
        max_tokens: req.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
        messages: [{ role: 'user', content: req.text }],
    };
    if (req.tools)
        body.tools = TOOLS.map((t) => ({ name: t.name, description: t.description, input_schema: t.parameters }));
    if (req.stream)
        body.stream = true;
    return body;
}

// ---- what each adapter sends upstream ------------------------------------------------------

// maxTokens: the client's cap as the normalized request carries it (undefined: none).
export function upstreamRequest(kind, model, req, maxTokens = req.maxTokens) {
    const stream = !!req.stream;
    switch (kind) {
    case 'openai': {
        const body = { model, messages: [{ role: 'user', content: req.text }], stream };
        if (stream)
            body.stream_options = { include_usage: true };
        if (req.tools)
            body.tools = openaiTools();
        if (maxTokens !== undefined)
            body.max_tokens = maxTokens;
        return body;
    }
    case 'anthropic': {
        const body = {
            model,
            max_tokens: maxTokens ?? ADAPTER_DEFAULT_MAX_TOKENS,
            messages: [{ role: 'user', content: req.text }],
            stream,
        };
        if (req.tools)
            body.tools = TOOLS.map((t) => ({ name: t.name, description: t.description, input_schema: t.parameters }));
        return body;
    }
    case 'gemini': { // the model is in the URL, streaming is the endpoint (:streamGenerateContent)
        const body = { contents: [{ role: 'user', parts: [{ text: req.text }] }] };
        if (req.tools)
            body.tools = [{ functionDeclarations: TOOLS.map((t) => ({ ...t })) }];
        if (maxTokens !== undefined)
            body.generationConfig = { maxOutputTokens: maxTokens };
        return body;
    }
    case 'cohere': { // v2 chat
        const body = { model, messages: [{ role: 'user', content: req.text }], stream };
        if (req.tools)
            body.tools = openaiTools();
        if (maxTokens !== undefined)
            body.max_tokens = maxTokens;
        return body;
    }
    case 'ollama': { // native /api/chat
        const body = { model, messages: [{ role: 'user', content: req.text }], stream };
        if (req.tools)
            body.tools = openaiTools();
        if (maxTokens !== undefined)
            body.options = { num_predict: maxTokens };
        return body;
    }
    default:
        throw new Error(`unknown provider kind ${kind}`);
    }
}

// The path each kind's adapter posts to on the mock (base_url's path + what the adapter
// appends); gemini also adds the query ?alt=sse.
export function upstreamPath(kind, model) {
    return {
        openai: '/v1/chat/completions',
        anthropic: '/v1/messages',
        gemini: `/v1beta/models/${model}:streamGenerateContent`,
        cohere: '/v2/chat',
        ollama: '/api/chat',
    }[kind];
}
export const upstreamQuery = (kind) => (kind === 'gemini' ? '?alt=sse' : '');

// ---- expected values -----------------------------------------------------------------------

// Every provider's finish vocabulary, reduced to stop / length / tool_calls.
const FINISH = {
    stop: 'stop', end_turn: 'stop', complete: 'stop', stop_sequence: 'stop',
    length: 'length', max_tokens: 'length',
    tool_calls: 'tool_calls', tool_use: 'tool_calls', tool_call: 'tool_calls',
};

// What the mock's script says (POST /mock/script answers {text, tokens, tool_calls: [{id, name,
// arguments (JSON text), fragments}], finish_reason (the format's word), stop_sequence, usage,
// status, stream}), in the shape the checks compare against:
// {text, reasoning, toolCalls: [{name, arguments (parsed)}], finish (stop|length|tool_calls),
//  usage: {prompt, completion}}.
//
// One rule of sluice's, not the mock's, decides where text goes: Cohere sends the text before
// its tool calls as the tool plan, and the cohere adapter passes a tool plan on as reasoning
// (actors/provider/cohere.c; tests/integration/upstreams_test.c holds it too). So a Cohere
// tool-call answer's text reaches clients as reasoning: OpenAI's delta.reasoning_content,
// Anthropic's thinking block.
export function expectation(script, kind) {
    const raw = String(script.finish_reason ?? '');
    let finish = FINISH[raw.toLowerCase()];
    if (!finish)
        throw new Error(`/mock/script answered a finish_reason the tests do not know: '${raw}'`);
    const toolCalls = (script.tool_calls ?? []).map((c) => ({
        name: c.name,
        arguments: typeof c.arguments === 'string' ? JSON.parse(c.arguments) : c.arguments,
    }));
    // Gemini and Ollama say STOP/stop when they call tools; both client APIs say tool_calls.
    if (finish === 'stop' && toolCalls.length)
        finish = 'tool_calls';
    if (typeof script.text !== 'string' || !script.usage)
        throw new Error(`/mock/script answer lacks text or usage: ${JSON.stringify(script)}`);
    const plan = kind === 'cohere' && toolCalls.length > 0;
    return {
        text: plan ? '' : script.text,
        reasoning: plan ? script.text : '',
        toolCalls,
        finish,
        usage: { prompt: script.usage.prompt_tokens, completion: script.usage.completion_tokens },
    };
}

// The finish reason in each client API's own words.
export const SDK_FINISH = {
    openai: { stop: 'stop', length: 'length', tool_calls: 'tool_calls' },
    anthropic: { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use' },
};
