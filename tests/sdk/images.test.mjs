// images.test.mjs - image input through the official OpenAI Node SDK: a Responses input_image
// (and a Chat Completions image_url part) reaches every provider kind behind sluice, each in its
// own upstream shape, and the upstream's answer comes back; an http(s) URL a kind cannot send
// (Ollama takes bytes only; Gemini needs a known image extension) and a malformed data URL are
// refused with a 400 whose message names the part.
//
// The mock upstream reads only the text parts of the last user message (an image part, an
// inlineData part, Ollama's images array carry none), so its answer to a message with an image
// is its answer to the same text alone: the expected values come from POST /mock/script on the
// text-only upstream request, as in responses_sdk.test.mjs.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import OpenAI from 'openai';

import { expectation, upstreamPath, upstreamRequest } from './requests.mjs';
import { KINDS, ms, startSystem, upstreamModel } from './system.mjs';

const sys = await startSystem();
after(async () => sys.stop());
const client = new OpenAI({ apiKey: 'x', maxRetries: 0, baseURL: `${sys.base}/v1`, timeout: ms(30000) });

// A 1x1 PNG.
const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

async function expected(kind, req) {
    const model = upstreamModel(kind);
    const body = upstreamRequest(kind, model, req);
    const r = await sys.post(`${sys.mock}/mock/script`, { format: kind, path: upstreamPath(kind, model), request: body });
    assert.equal(r.status, 200, `POST /mock/script -> ${r.status} ${r.text}`);
    return expectation(r.body, kind);
}

// A Responses request whose one user message is text and then an image by url.
function request(kind, text, url, extra = {}) {
    return {
        model: `m-${kind}`,
        input: [{ role: 'user', content: [{ type: 'input_text', text }, { type: 'input_image', image_url: url, detail: 'low' }] }],
        ...extra,
    };
}

function check(resp, exp) {
    assert.equal(resp.status, 'completed');
    assert.equal(resp.output_text, exp.text, 'text differs from the upstream\'s');
    assert.equal(resp.usage.input_tokens, exp.usage.prompt, 'input tokens');
    assert.equal(resp.usage.output_tokens, exp.usage.completion, 'output tokens');
}

// body is refused with a 400 whose message is exactly message.
async function refused(promise, message) {
    await assert.rejects(promise, (err) => {
        assert.equal(err.status, 400, `status ${err.status}: ${err.message}`);
        assert.equal(err.error?.message, message);
        return true;
    });
}

KINDS.forEach((kind, k) => {
    describe(`images x ${kind} upstream`, () => {
        const seed = 7000 + 100 * k;
        test('input_image with a data URL, whole', { timeout: ms(30000) }, async () => {
            const text = `What is in this picture? [mock tokens=20 seed=${seed}]`;
            check(await client.responses.create(request(kind, text, PNG)), await expected(kind, { text }));
        });
        test('input_image with a data URL, streamed', { timeout: ms(30000) }, async () => {
            const text = `Describe it. [mock tokens=30 seed=${seed + 1} split=1]`;
            const stream = client.responses.stream(request(kind, text, PNG));
            for await (const ev of stream)
                assert.notEqual(ev.type, 'response.failed');
            check(await stream.finalResponse(), await expected(kind, { text, stream: true }));
        });
        test('image_url part through Chat Completions', { timeout: ms(30000) }, async () => {
            const text = `And this one? [mock tokens=10 seed=${seed + 2}]`;
            const resp = await client.chat.completions.create({
                model: `m-${kind}`,
                messages: [{ role: 'user', content: [{ type: 'text', text }, { type: 'image_url', image_url: { url: PNG } }] }],
            });
            const exp = await expected(kind, { text });
            assert.equal(resp.choices[0].message.content, exp.text);
            assert.equal(resp.usage.prompt_tokens, exp.usage.prompt);
        });
    });
});

describe('images: http(s) URLs and malformed parts', () => {
    // The kinds that send an http(s) URL on: the mock answers as usual.
    ['openai', 'anthropic', 'cohere'].forEach((kind, k) => {
        test(`${kind} takes an https URL`, { timeout: ms(30000) }, async () => {
            const text = `Look at this. [mock tokens=12 seed=${7600 + k}]`;
            check(await client.responses.create(request(kind, text, 'https://example.com/cat.png')),
                await expected(kind, { text }));
        });
    });
    test('gemini takes an https URL with an image extension as fileData', { timeout: ms(30000) }, async () => {
        const text = `Look at this. [mock tokens=12 seed=7650]`;
        check(await client.responses.create(request('gemini', text, 'https://example.com/cat.jpg')),
            await expected('gemini', { text }));
    });
    test('gemini refuses an https URL without one', { timeout: ms(30000) }, async () => {
        await refused(client.responses.create(request('gemini', 'Look.', 'https://example.com/image?id=7')),
            'messages[0].content[1].image_url.url: gemini needs a data: URL for this image (an http(s) URL '
            + 'must end in .jpg, .jpeg, .png, .webp, .gif, .heic or .heif)');
    });
    test('ollama refuses an https URL', { timeout: ms(30000) }, async () => {
        await refused(client.responses.create(request('ollama', 'Look.', 'https://example.com/cat.png')),
            'messages[0].content[1].image_url.url: ollama takes images as base64 data: URLs');
    });
    test('a malformed data URL is refused by the ingress, naming the part', { timeout: ms(30000) }, async () => {
        await refused(client.responses.create(request('openai', 'Look.', 'data:image/png;base64,not base64')),
            'input[0].content[1].image_url: the URL holds a space or a control character (byte 25)');
        await refused(client.responses.create(request('openai', 'Look.', 'data:text/plain;base64,aGk=')),
            'input[0].content[1].image_url: media type \'text/plain\' is not an image type');
        await refused(client.chat.completions.create({
            model: 'm-anthropic',
            messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,' } }] }],
        }), 'messages[0].content[0].image_url.url: the data is empty');
    });
});
