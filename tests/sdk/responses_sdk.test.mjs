// responses_sdk.test.mjs - the official OpenAI Node SDK's Responses API (client.responses.create
// and .stream(), with its event accumulator and finalResponse()) against every provider kind
// behind sluice's POST /v1/responses.
//
// Expected values come from the mock (POST /mock/script on the upstream request the adapter
// must send), as in matrix.mjs: the same text byte for byte, the same calls, the upstream's usage.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import OpenAI from 'openai';

import { expectation, TOOLS, upstreamPath, upstreamRequest } from './requests.mjs';
import { KINDS, ms, startSystem, upstreamModel } from './system.mjs';

const sys = await startSystem();
after(async () => sys.stop());
const client = new OpenAI({ apiKey: 'x', maxRetries: 0, baseURL: `${sys.base}/v1`, timeout: ms(30000) });
const tools = TOOLS.map((t) => ({ type: 'function', ...t }));

async function expected(kind, req) {
    const model = upstreamModel(kind);
    const body = upstreamRequest(kind, model, req);
    const r = await sys.post(`${sys.mock}/mock/script`, { format: kind, path: upstreamPath(kind, model), request: body });
    assert.equal(r.status, 200, `POST /mock/script -> ${r.status} ${r.text}`);
    return expectation(r.body, kind);
}

function request(kind, req) {
    const body = { model: `m-${kind}`, input: req.text };
    if (req.tools)
        body.tools = tools;
    return body;
}

// The response's text, reasoning and calls, from its output items.
function parts(resp) {
    const text = resp.output.filter((i) => i.type === 'message')
        .flatMap((i) => i.content.filter((c) => c.type === 'output_text').map((c) => c.text)).join('');
    const reasoning = resp.output.filter((i) => i.type === 'reasoning')
        .flatMap((i) => i.summary.map((s) => s.text)).join('');
    const calls = resp.output.filter((i) => i.type === 'function_call')
        .map((c) => ({ name: c.name, arguments: JSON.parse(c.arguments), call_id: c.call_id }));
    return { text, reasoning, calls };
}

function check(resp, exp) {
    const got = parts(resp);
    assert.equal(resp.object, 'response');
    assert.equal(resp.status, exp.finish === 'length' ? 'incomplete' : 'completed');
    assert.equal(got.text, exp.text, 'text differs from the upstream\'s');
    assert.equal(resp.output_text, exp.text, 'the SDK\'s output_text');
    assert.equal(got.reasoning, exp.reasoning, 'reasoning differs from the upstream\'s');
    assert.deepEqual(got.calls.map((c) => ({ name: c.name, arguments: c.arguments })), exp.toolCalls);
    assert.equal(new Set(got.calls.map((c) => c.call_id)).size, got.calls.length, 'call ids repeat');
    assert.equal(resp.usage.input_tokens, exp.usage.prompt, 'input tokens');
    assert.equal(resp.usage.output_tokens, exp.usage.completion, 'output tokens');
    assert.equal(resp.usage.total_tokens, exp.usage.prompt + exp.usage.completion, 'total tokens');
}

// Stream with responses.stream(): every event in order, numbered 0, 1, 2 ...; the accumulated
// final response.
async function streamed(kind, req) {
    const stream = client.responses.stream(request(kind, req));
    const events = [];
    for await (const ev of stream)
        events.push(ev);
    const final = await stream.finalResponse();
    events.forEach((e, i) => assert.equal(e.sequence_number, i, `event ${i} (${e.type}) sequence_number`));
    assert.equal(events[0].type, 'response.created');
    assert.equal(events[1].type, 'response.in_progress');
    assert.equal(events.at(-1).type, 'response.completed');
    // Every delta's text adds up to its .done event's text.
    const done = events.filter((e) => e.type === 'response.output_text.done').map((e) => e.text).join('');
    const deltas = events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('');
    assert.equal(deltas, done);
    return final;
}

KINDS.forEach((kind, k) => {
    describe(`responses x ${kind} upstream`, () => {
        const seed = 3000 + 100 * k;
        test('whole text', { timeout: ms(30000) }, async () => {
            const req = { text: `Say something short. [mock tokens=30 seed=${seed}]` };
            check(await client.responses.create(request(kind, req)), await expected(kind, req));
        });
        test('streamed text', { timeout: ms(30000) }, async () => {
            const req = { text: `Go on. [mock tokens=40 seed=${seed + 1} split=1]`, stream: true };
            check(await streamed(kind, req), await expected(kind, req));
        });
        test('streamed call', { timeout: ms(30000) }, async () => {
            const req = { text: `Weather in Paris? [mock tools=1 seed=${seed + 2} split=1]`, tools: true, stream: true };
            check(await streamed(kind, req), await expected(kind, req));
        });
        test('two calls, then a second turn through function_call_output', { timeout: ms(30000) }, async () => {
            const req = { text: `Weather in Rome and the AAPL price? [mock tools=2 text_before=1 tokens=8 seed=${seed + 3}]`, tools: true };
            const first = await client.responses.create(request(kind, req));
            const exp = await expected(kind, req);
            check(first, exp);
            // The second turn: the first turn's items back and each call's output. The mock
            // answers the last user message's directive again, so the same text and calls come
            // back, with more input tokens.
            const input = [{ role: 'user', content: req.text }, ...first.output,
                ...parts(first).calls.map((c) => ({ type: 'function_call_output', call_id: c.call_id, output: `result of ${c.name}` }))];
            const second = await client.responses.create({ model: `m-${kind}`, input, tools });
            const got = parts(second);
            assert.equal(second.status, 'completed');
            assert.equal(got.text, exp.text);
            assert.deepEqual(got.calls.map((c) => ({ name: c.name, arguments: c.arguments })), exp.toolCalls);
            assert.ok(second.usage.input_tokens > first.usage.input_tokens, 'the second turn carries the first');
        });
    });
});

// Stored responses: retrieve, previous_response_id, background with a resume, cancel.
KINDS.forEach((kind, k) => {
    describe(`stored responses x ${kind} upstream`, () => {
        const seed = 5000 + 100 * k;
        test('retrieve, then previous_response_id carries the conversation', { timeout: ms(30000) }, async () => {
            const req = { text: `Weather in Oslo and the MSFT price? [mock tools=2 text_before=1 tokens=6 seed=${seed}]`, tools: true };
            const first = await client.responses.create({ ...request(kind, req), instructions: 'Be brief.', metadata: { run: 'a' } });
            const exp = await expected(kind, req); // the calls follow the directive alone
            assert.deepEqual(parts(first).calls.map((c) => ({ name: c.name, arguments: c.arguments })), exp.toolCalls);
            assert.equal(first.instructions, 'Be brief.');
            assert.deepEqual(first.metadata, { run: 'a' });
            assert.equal(first.store, true);
            // The stored object is the one the client got.
            const got = await client.responses.retrieve(first.id);
            assert.deepEqual(got, first);
            // The second turn names the first; only the calls' outputs are sent. The upstream
            // must get what an explicit replay of the whole conversation sends: the same
            // answer and the same input tokens.
            const outputs = parts(first).calls.map((c) => ({ type: 'function_call_output', call_id: c.call_id, output: `result of ${c.name}` }));
            const cont = await client.responses.create({ model: `m-${kind}`, previous_response_id: first.id, input: outputs, tools, instructions: 'Be brief.' });
            const replay = await client.responses.create({
                model: `m-${kind}`, tools, instructions: 'Be brief.',
                input: [{ role: 'user', content: req.text }, ...first.output, ...outputs],
            });
            assert.equal(cont.status, 'completed');
            assert.equal(cont.previous_response_id, first.id);
            assert.equal(parts(cont).text, parts(replay).text);
            assert.deepEqual(parts(cont).calls.map((c) => c.arguments), parts(replay).calls.map((c) => c.arguments));
            assert.equal(cont.usage.input_tokens, replay.usage.input_tokens, 'the continuation sent the whole conversation');
            assert.ok(cont.usage.input_tokens > first.usage.input_tokens);
        });
        test('background, resumed from a middle sequence_number', { timeout: ms(30000) }, async () => {
            const req = { text: `Tell me more. [mock tokens=150 seed=${seed + 1}]` };
            const live = await client.responses.create({ ...request(kind, req), background: true, stream: true });
            const events = [];
            for await (const ev of live)
                events.push(ev);
            assert.equal(events.at(-1).type, 'response.completed');
            assert.equal(events.at(-1).response.background, true);
            const id = events[0].response.id;
            const mid = Math.floor(events.length / 2);
            const resumed = [];
            for await (const ev of await client.responses.retrieve(id, { stream: true, starting_after: mid }))
                resumed.push(ev);
            assert.deepEqual(resumed, events.slice(mid + 1), 'the resumed events are the rest, exactly');
            const text = events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('');
            assert.equal(text, (await expected(kind, req)).text);
            // Whole: read from the store in pages of 64 tokens.
            const { output_text: wholeText, ...whole } = await client.responses.retrieve(id);
            assert.equal(wholeText, text);
            assert.deepEqual(whole, events.at(-1).response); // the SDK adds output_text to the first
        });
    });
});

test('a background response is queued at once, cancel stops it, delete removes it', { timeout: ms(30000) }, async () => {
    const req = { text: `Count slowly. [mock tokens=60 hold=5 seed=6100]` };
    const queued = await client.responses.create({ ...request('openai', req), background: true });
    assert.equal(queued.status, 'queued');
    assert.equal(queued.background, true);
    assert.deepEqual(queued.output, []);
    let seen;
    for (let i = 0; i < 100; i++) { // until the held stream's first tokens are stored
        seen = await client.responses.retrieve(queued.id);
        if (seen.output_text.length > 0)
            break;
        await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(seen.status, 'in_progress');
    const cancelled = await client.responses.cancel(queued.id);
    assert.equal(cancelled.status, 'cancelled');
    let after;
    for (let i = 0; i < 100; i++) { // until the store has the stream's end
        after = await client.responses.retrieve(queued.id);
        if (after.status !== 'in_progress')
            break;
        await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(after.status, 'cancelled');
    assert.ok(after.output_text.length > 0 && after.output_text.length < (await expected('openai', req)).text.length);
    await sys.post(`${sys.mock}/mock/release`, {});
    await assert.rejects(client.responses.retrieve('resp_01a24333-8e69-799b-9b95-a4b693e69f5c'), (e) => e.status === 404);
    // Deleted: gone for retrieve, for a continuation and for a second delete.
    await client.responses.delete(queued.id);
    await assert.rejects(client.responses.retrieve(queued.id), (e) => e.status === 404);
    await assert.rejects(client.responses.create({ model: 'm-openai', input: 'more', previous_response_id: queued.id }),
        (e) => e.status === 404 && e.param === 'previous_response_id');
    await assert.rejects(client.responses.delete(queued.id), (e) => e.status === 404);
});
