// faults.mjs - what the fault checks (faults.test.mjs) need besides the matrix's helpers: the two
// SDKs made to keep what a failing stream gave before its error, a raw SSE reader for the bytes
// sluice writes, the mock's attempt log, the mock's script for a request, and a limiter that
// keeps the checks from all hitting one sluice at once.
import assert from 'node:assert/strict';

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

import { ANTHROPIC_DEFAULT_MAX_TOKENS, upstreamPath, upstreamRequest } from './requests.mjs';
import { ms, upstreamModel } from './system.mjs';

// Every SDK call is made once: sluice's retries are what is under test.
const OPTS = { apiKey: 'x', maxRetries: 0 };

export const SDKS = ['openai', 'anthropic'];

// The wall clock in microseconds, the mock's attempt log's clock.
export const wallUs = () => (performance.timeOrigin + performance.now()) * 1000;

// At most n bodies at once; the rest wait their turn in order.
export function limiter(n) {
    let active = 0;
    const waiting = [];
    return async (fn) => {
        if (active >= n)
            await new Promise((resolve) => waiting.push(resolve));
        active++;
        try {
            return await fn();
        } finally {
            active--;
            waiting.shift()?.();
        }
    };
}

// One SDK behind the few calls the checks make. name: 'openai' | 'anthropic'.
export function makeSdk(name, base) {
    if (name === 'openai') {
        const sdk = new OpenAI({ ...OPTS, baseURL: `${base}/v1`, timeout: ms(60000) });
        return {
            name,
            APIError: OpenAI.APIError,
            APIConnectionError: OpenAI.APIConnectionError,
            open: (model, text) =>
                sdk.chat.completions.create({
                    model,
                    messages: [{ role: 'user', content: text }],
                    stream: true,
                    stream_options: { include_usage: true },
                }),
            // A chunk's text and finish reason; the finish is null until the last chunk.
            step(chunk, out) {
                for (const c of chunk.choices ?? []) {
                    out.text += c.delta?.content ?? '';
                    if (c.finish_reason)
                        out.finish = c.finish_reason;
                }
            },
        };
    }
    const sdk = new Anthropic({ ...OPTS, baseURL: base, timeout: ms(60000) });
    return {
        name,
        APIError: Anthropic.APIError,
        APIConnectionError: Anthropic.APIConnectionError,
        open: (model, text) =>
            sdk.messages.create({
                model,
                max_tokens: ANTHROPIC_DEFAULT_MAX_TOKENS,
                messages: [{ role: 'user', content: text }],
                stream: true,
            }),
        step(ev, out) {
            if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta')
                out.text += ev.delta.text;
            if (ev.type === 'message_delta' && ev.delta.stop_reason)
                out.finish = ev.delta.stop_reason;
            if (ev.type === 'message_stop')
                out.stopped = true;
        },
    };
}

// Iterate a stream as an application does, keeping what came before an error. onPiece(out) runs
// after every text piece (the abort check stops there). Resolves with {text, finish, stopped,
// pieces, error (what the iteration threw, or null), lastPieceUs, endUs}; an error opening the
// stream (an HTTP error status) rejects.
export async function iterate(sdk, model, text, onPiece = () => {}) {
    const stream = await sdk.open(model, text);
    const out = { text: '', finish: null, stopped: false, pieces: 0, error: null, lastPieceUs: null, endUs: null, stream };
    try {
        for await (const ev of stream) {
            const before = out.text.length;
            sdk.step(ev, out);
            if (out.text.length > before) {
                out.pieces++;
                out.lastPieceUs = wallUs();
                onPiece(out);
            }
        }
    } catch (err) {
        out.error = err;
    }
    out.endUs = wallUs();
    return out;
}

// What the mock says to the upstream request behind this client's request: {text, tokens}.
export async function script(sys, sdkName, kind, text) {
    const model = upstreamModel(kind);
    const maxTokens = sdkName === 'anthropic' ? ANTHROPIC_DEFAULT_MAX_TOKENS : undefined;
    const request = upstreamRequest(kind, model, { text, stream: true }, maxTokens);
    const r = await sys.post(`${sys.mock}/mock/script`, { format: kind, path: upstreamPath(kind, model), request });
    assert.equal(r.status, 200, `POST /mock/script -> ${r.status} ${r.text}`);
    return { text: r.body.text, tokens: r.body.tokens };
}

// The mock's log for seed: {requests, attempts: [{model, faults, at_us, closed_early,
// closed_at_us}]}, oldest first.
export async function attempts(sys, seed) {
    const r = await fetch(`${sys.mock}/mock/requests?seed=${seed}`, { signal: AbortSignal.timeout(ms(10000)) });
    assert.equal(r.status, 200);
    const j = await r.json();
    assert.ok(Array.isArray(j.attempts), `the mock logs no attempts: ${JSON.stringify(j)}`);
    assert.equal(j.attempts.length, j.requests, `attempts logged vs counted: ${JSON.stringify(j)}`);
    return j;
}

// A header of an SDK error's response, whichever shape the SDK keeps headers in.
export function header(err, name) {
    const h = err?.headers;
    if (!h)
        return null;
    return typeof h.get === 'function' ? h.get(name) : (h[name] ?? null);
}

// POST body to sluice and read the whole SSE answer: {status, headers, events: [{event, data}],
// raw}. Comment lines (keepalives) are left out; data lines of one event are joined by "\n".
export async function rawSse(base, path, body) {
    const r = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(ms(60000)),
    });
    const raw = await r.text();
    const events = [];
    for (const block of raw.split(/\r?\n\r?\n/)) {
        let event = null;
        const data = [];
        for (const line of block.split(/\r?\n/)) {
            if (line.startsWith('event:'))
                event = line.slice(6).trim();
            else if (line.startsWith('data:'))
                data.push(line.slice(5).replace(/^ /, ''));
        }
        if (event !== null || data.length)
            events.push({ event, data: data.join('\n') });
    }
    return { status: r.status, headers: r.headers, events, raw };
}
