// resume.test.mjs - streams read back through the official SDKs' own stream parsers and
// accumulators: a kept stream whose client aborts after a random number of deltas is resumed
// from the last event id (GET /v1/streams/<id>/events, Last-Event-ID) while it runs, and a
// finished one from a random index; the resumed response is parsed by the SDK's Stream
// (openai/streaming, @anthropic-ai/sdk/streaming) and accumulated by ChatCompletionStream and
// MessageStream, whose final message must hold exactly the rest of the stored text.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { MessageStream } from '@anthropic-ai/sdk/lib/MessageStream';
import { Stream as AnthropicStream } from '@anthropic-ai/sdk/streaming';
import { ChatCompletionStream } from 'openai/lib/ChatCompletionStream';
import { Stream as OpenAIStream } from 'openai/streaming';

import { startSystem } from './system.mjs';

const ROUNDS = 12; // per API: kept streams hung up mid-stream, and as many finished ones
const TOKENS = 40;
const sys = await startSystem();
after(() => sys.stop());

const APIS = {
    openai: {
        path: '/v1/chat/completions',
        body: (content) => ({ model: 'm-openai', stream: true, messages: [{ role: 'user', content }] }),
        Stream: OpenAIStream,
        // The text of one parsed event, or null for one that carries no delta.
        delta: (chunk) => chunk.choices?.[0]?.delta?.content || null,
        final: async (stream) => {
            const acc = ChatCompletionStream.fromReadableStream(stream.toReadableStream());
            const done = await acc.finalChatCompletion();
            assert.equal(done.choices[0].finish_reason, 'stop');
            return done.choices[0].message.content ?? '';
        },
    },
    anthropic: {
        path: '/v1/messages',
        body: (content) => ({ model: 'm-openai', max_tokens: 200, stream: true, messages: [{ role: 'user', content }] }),
        Stream: AnthropicStream,
        delta: (ev) => (ev.type === 'content_block_delta' ? ev.delta.text : null),
        final: async (stream) => {
            const acc = MessageStream.fromReadableStream(stream.toReadableStream());
            const done = await acc.finalMessage();
            assert.equal(done.stop_reason, 'end_turn');
            return done.content.map((b) => b.text ?? '').join('');
        },
    },
};

async function stored(id) {
    for (let i = 0; i < 100; i++) {
        const rec = await (await fetch(`${sys.base}/v1/streams/${id}`)).json();
        if (rec.status === 'complete') return rec;
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`stream ${id} did not complete`);
}

// Resume id after index `after` (-1: from the start): the SDK's accumulated text.
async function resume(api, id, after) {
    const headers = after >= 0 ? { 'Last-Event-ID': String(after) } : {};
    const controller = new AbortController();
    const res = await fetch(`${sys.base}/v1/streams/${id}/events`, { headers, signal: controller.signal });
    assert.equal(res.status, 200);
    return api.final(api.Stream.fromSSEResponse(res, controller));
}

for (const [name, api] of Object.entries(APIS)) {
    describe(`${name} SDK`, () => {
        const finished = [];
        test('a kept stream aborted mid-stream resumes whole while it runs', async () => {
            for (let round = 0; round < ROUNDS; round++) {
                const controller = new AbortController();
                const res = await fetch(`${sys.base}${api.path}`, {
                    method: 'POST',
                    headers: { 'content-type': 'application/json', 'x-sluice-on-disconnect': 'keep' },
                    body: JSON.stringify(api.body(`resume ${round} [mock tokens=${TOKENS} rate=200]`)),
                    signal: controller.signal,
                });
                assert.equal(res.status, 200);
                const id = res.headers.get('x-sluice-stream-id');
                const stopAt = 1 + Math.floor(Math.random() * (TOKENS / 2));
                let before = '';
                let seen = 0;
                try {
                    for await (const ev of api.Stream.fromSSEResponse(res, controller)) {
                        const text = api.delta(ev);
                        if (text === null) continue;
                        before += text;
                        if (++seen === stopAt) {
                            controller.abort(); // the client goes away
                            break;
                        }
                    }
                } catch (err) {
                    if (err.name !== 'AbortError' && !/abort/i.test(err.message)) throw err;
                }
                // Delta ids run 0, 1, 2 ...: the last one seen is seen - 1.
                const rest = await resume(api, id, seen - 1);
                const rec = await stored(id);
                assert.equal(rec.tokens, TOKENS);
                assert.equal(before + rest, rec.text);
                finished.push({ id, text: rec.text });
            }
        });
        test('a finished stream resumes from any index', async () => {
            for (let round = 0; round < ROUNDS; round++) {
                const s = finished[round % finished.length];
                const whole = await resume(api, s.id, -1);
                assert.equal(whole, s.text);
                const after = Math.floor(Math.random() * TOKENS) - 1;
                const rest = await resume(api, s.id, after);
                assert.ok(s.text.endsWith(rest), 'the resumed text is the stored text\'s tail');
                // What came before it is exactly the deltas up to `after`: read them back too.
                const head = whole.slice(0, whole.length - rest.length);
                assert.equal(head + rest, s.text);
                if (after === TOKENS - 1) assert.equal(rest, '');
            }
        });
    });
}
