// clients.mjs - the two official SDKs behind one small interface, so each check of the matrix
// is written once. Every call returns what the SDK itself made of sluice's answer, reduced to
// {text, reasoning, toolCalls: [{id, name, arguments}], finish, usage: {prompt, completion}} plus
// a few per-API facts the checks look at (events, chunks). reasoning is undefined where the SDK
// cannot tell it.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

import { ms } from './system.mjs';
import { anthropicClientRequest, ANTHROPIC_DEFAULT_MAX_TOKENS, openaiClientRequest } from './requests.mjs';

// Retries would hide sluice's errors and stretch the run: every SDK call is made once.
const OPTS = { apiKey: 'x', maxRetries: 0 };
const TOOL_RESULT = 'Sunny, 21 C.';

// reasoning_content is not OpenAI's own field (DeepSeek's, which sluice follows): the SDK's
// types do not know it, and its stream accumulator keeps only the last chunk's piece, so the
// accumulated path passes withReasoning false.
function openaiMessage(message, choice, usage, withReasoning = true) {
    return {
        text: message.content ?? '',
        reasoning: withReasoning ? (message.reasoning_content ?? '') : undefined,
        role: message.role,
        toolCalls: (message.tool_calls ?? []).map((c) => ({
            id: c.id,
            type: c.type,
            name: c.function?.name,
            arguments: JSON.parse(c.function?.arguments || 'null'),
        })),
        finish: choice.finish_reason,
        usage: usage && { prompt: usage.prompt_tokens, completion: usage.completion_tokens, total: usage.total_tokens },
    };
}

function anthropicMessage(message) {
    return {
        text: message.content.filter((b) => b.type === 'text').map((b) => b.text).join(''),
        reasoning: message.content.filter((b) => b.type === 'thinking').map((b) => b.thinking).join(''),
        role: message.role,
        blocks: message.content.map((b) => b.type),
        toolCalls: message.content
            .filter((b) => b.type === 'tool_use')
            .map((b) => ({ id: b.id, type: b.type, name: b.name, arguments: b.input })),
        finish: message.stop_reason,
        usage: message.usage && { prompt: message.usage.input_tokens, completion: message.usage.output_tokens },
    };
}

export class OpenAIClient {
    constructor(base) {
        this.name = 'openai';
        this.sdk = new OpenAI({ ...OPTS, baseURL: `${base}/v1`, timeout: ms(30000) });
    }

    // The cap the normalized request carries for this client's request.
    maxTokens(req) {
        return req.maxTokens;
    }

    async whole(model, req) {
        const r = await this.sdk.chat.completions.create(openaiClientRequest(model, { ...req, stream: false }));
        if (r.object !== 'chat.completion' || r.choices.length !== 1)
            throw new Error(`not one chat.completion choice: ${JSON.stringify(r).slice(0, 500)}`);
        return openaiMessage(r.choices[0].message, r.choices[0], r.usage);
    }

    // Iterate the raw stream as an application would. onText(t) sees every text piece as it
    // arrives (the concurrency check uses it to see streams interleave).
    async raw(model, req, onText = () => {}) {
        const stream = await this.sdk.chat.completions.create(openaiClientRequest(model, { ...req, stream: true }));
        const out = {
            text: '', reasoning: '', toolCalls: [], finish: null, usage: null,
            chunks: 0, roleChunks: 0, finishChunks: 0, usageChunks: 0, usageLast: false, ids: new Set(),
            fragments: [], // per tool call: {ids, names, types} seen on its fragments
        };
        const calls = [];
        for await (const chunk of stream) {
            out.chunks++;
            out.ids.add(chunk.id);
            out.usageLast = !!chunk.usage && chunk.choices.length === 0;
            if (chunk.usage) {
                out.usageChunks++;
                out.usage = { prompt: chunk.usage.prompt_tokens, completion: chunk.usage.completion_tokens, total: chunk.usage.total_tokens };
            }
            for (const choice of chunk.choices) {
                const d = choice.delta ?? {};
                if (d.role)
                    out.roleChunks++;
                if (d.content) {
                    out.text += d.content;
                    onText(d.content);
                }
                out.reasoning += d.reasoning_content ?? '';
                for (const tc of d.tool_calls ?? []) {
                    const c = (calls[tc.index] ??= { id: '', name: '', args: '' });
                    const f = (out.fragments[tc.index] ??= { ids: 0, names: 0, types: 0 });
                    f.ids += tc.id ? 1 : 0;
                    f.names += tc.function?.name ? 1 : 0;
                    f.types += tc.type ? 1 : 0;
                    c.id += tc.id ?? '';
                    c.name += tc.function?.name ?? '';
                    c.args += tc.function?.arguments ?? '';
                }
                if (choice.finish_reason) {
                    out.finishChunks++;
                    out.finish = choice.finish_reason;
                }
            }
        }
        out.toolCalls = calls.map((c) => ({ id: c.id, type: 'function', name: c.name, arguments: JSON.parse(c.args || 'null') }));
        return out;
    }

    // The SDK's own accumulator: chat.completions.stream(...).finalChatCompletion().
    async accumulated(model, req) {
        const body = openaiClientRequest(model, { ...req, stream: true });
        delete body.stream; // .stream() sets it
        const r = await this.sdk.chat.completions.stream(body).finalChatCompletion();
        return openaiMessage(r.choices[0].message, r.choices[0], r.usage, false);
    }

    // An application's tool loop: the answer's message goes back as it came, followed by one
    // tool message per call. Returns both answers.
    async toolLoop(model, req) {
        const body = openaiClientRequest(model, { ...req, stream: false });
        const r1 = await this.sdk.chat.completions.create(body);
        const m = r1.choices[0].message;
        body.messages.push(m, ...(m.tool_calls ?? []).map((c) => ({ role: 'tool', tool_call_id: c.id, content: TOOL_RESULT })));
        const r2 = await this.sdk.chat.completions.create(body);
        return [r1, r2].map((r) => openaiMessage(r.choices[0].message, r.choices[0], r.usage));
    }
}

export class AnthropicClient {
    constructor(base) {
        this.name = 'anthropic';
        this.sdk = new Anthropic({ ...OPTS, baseURL: base, timeout: ms(30000) });
    }

    maxTokens(req) {
        return req.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS;
    }

    async whole(model, req) {
        const m = await this.sdk.messages.create(anthropicClientRequest(model, { ...req, stream: false }));
        if (m.type !== 'message')
            throw new Error(`not a message: ${JSON.stringify(m).slice(0, 500)}`);
        return anthropicMessage(m);
    }

    async raw(model, req, onText = () => {}) {
        const stream = await this.sdk.messages.create(anthropicClientRequest(model, { ...req, stream: true }));
        const out = { text: '', reasoning: '', toolCalls: [], finish: null, usage: null, events: [] };
        const blocks = [];
        for await (const ev of stream) {
            out.events.push(ev.type === 'message_delta' || ev.type === 'message_start' ? { type: ev.type } : ev);
            switch (ev.type) {
            case 'message_start':
                out.usage = { prompt: ev.message.usage.input_tokens, completion: ev.message.usage.output_tokens };
                break;
            case 'content_block_start':
                blocks[ev.index] = { ...ev.content_block, json: '' };
                break;
            case 'content_block_delta':
                if (ev.delta.type === 'text_delta') {
                    out.text += ev.delta.text;
                    onText(ev.delta.text);
                } else if (ev.delta.type === 'thinking_delta') {
                    out.reasoning += ev.delta.thinking;
                } else if (ev.delta.type === 'input_json_delta') {
                    blocks[ev.index].json += ev.delta.partial_json;
                }
                break;
            case 'message_delta': // cumulative: a field present replaces the earlier value
                out.finish = ev.delta.stop_reason ?? out.finish;
                if (ev.usage.input_tokens != null)
                    out.usage.prompt = ev.usage.input_tokens;
                if (ev.usage.output_tokens != null)
                    out.usage.completion = ev.usage.output_tokens;
                break;
            default:
                break;
            }
        }
        out.toolCalls = blocks
            .filter((b) => b.type === 'tool_use')
            .map((b) => ({ id: b.id, type: b.type, name: b.name, arguments: b.json === '' ? b.input : JSON.parse(b.json) }));
        return out;
    }

    // The SDK's own accumulator: messages.stream(...).finalMessage().
    async accumulated(model, req) {
        const body = anthropicClientRequest(model, { ...req, stream: true });
        delete body.stream;
        return anthropicMessage(await this.sdk.messages.stream(body).finalMessage());
    }

    // An application's tool loop: the answer's content goes back as it came (thinking blocks
    // too), followed by a user turn with one tool_result per tool_use. Returns both answers.
    async toolLoop(model, req) {
        const body = anthropicClientRequest(model, { ...req, stream: false });
        const m1 = await this.sdk.messages.create(body);
        body.messages.push(
            { role: 'assistant', content: m1.content },
            {
                role: 'user',
                content: m1.content
                    .filter((b) => b.type === 'tool_use')
                    .map((b) => ({ type: 'tool_result', tool_use_id: b.id, content: TOOL_RESULT })),
            },
        );
        const m2 = await this.sdk.messages.create(body);
        return [m1, m2].map(anthropicMessage);
    }
}
