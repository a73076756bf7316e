// faults.test.mjs - upstream failures through a whole sluice, as the official SDKs (maxRetries 0)
// see them, for every provider kind and both client APIs: what sluice retries or falls back from
// before the first token is invisible but for the time it takes; what it cannot save reaches the
// SDK once, as the status or the one error event it should be. The mock's directives make the
// faults, and its attempt log (GET /mock/requests?seed=S) says how many upstream attempts each
// request took, for which model, when, and whether the client's connection closed early.
//
// One sluice for the file; the checks run concurrently (each has its own seed, so its own mock
// counters), a limiter keeping the load sane under sanitizers. Circuit breakers are off, so
// failures on purpose never open a circuit for the next check.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { attempts, header, iterate, limiter, makeSdk, rawSse, script, SDKS, wallUs } from './faults.mjs';
import { ANTHROPIC_DEFAULT_MAX_TOKENS } from './requests.mjs';
import { KINDS, ms, startSystem, upstreamModel } from './system.mjs';

const IDLE_MS = ms(1000); // timeouts.idle_ms: how long an upstream may stay silent
const ROUTE = { retries: 3, retry_base_ms: 50, retry_max_ms: 400 };
const RA_MAX_MS = 1500; // ra-<kind>: retry_max_ms above the mock's retry-after: 1
const ABORT_CLOSE_MS = ms(5000);
const downModel = (kind) => `${upstreamModel(kind)}-down`;
// The 5xx checks: 529 (Anthropic's overloaded) where the kind has it.
const fiveXX = (kind) => (kind === 'anthropic' ? [500, 503, 529] : [500, 503]);

const sys = await startSystem({
    route: ROUTE,
    routes: [
        // fb-<kind>: a model of the kind's provider the mock fails (fail_model=), then the one
        // it serves.
        ...KINDS.map((k) => ({
            model: `fb-${k}`,
            targets: [{ provider: `p-${k}`, model: downModel(k) }, { provider: `p-${k}`, model: upstreamModel(k) }],
            ...ROUTE,
        })),
        ...KINDS.map((k) => ({
            model: `ra-${k}`,
            targets: [{ provider: `p-${k}`, model: upstreamModel(k) }],
            ...ROUTE,
            retry_max_ms: RA_MAX_MS,
        })),
    ],
    sections: {
        timeouts: { idle_ms: IDLE_MS },
        circuit: { min_failures: 0, failure_ratio_pct: 0 },
    },
});
const run = limiter(24);
const lines = []; // measurements printed at the end: "# abort_close_ms <kind> <sdk> <ms>" ...
const cells = []; // {sdk, kind, check, state: pass|FAIL|todo, why}
after(async () => {
    let out = '# faults\n';
    for (const sdk of SDKS) {
        for (const kind of KINDS) {
            const mine = cells.filter((c) => c.sdk === sdk && c.kind === kind);
            const n = (s) => mine.filter((c) => c.state === s).length;
            out += `#   ${sdk} SDK x ${kind.padEnd(9)} pass ${n('pass')}, FAIL ${n('FAIL')}, todo ${n('todo')}\n`;
            for (const c of mine.filter((c) => c.state !== 'pass'))
                out += `#       ${c.state} ${c.check}: ${c.why}\n`;
        }
    }
    process.stdout.write(out + lines.sort().join(''));
    await sys.stop();
});

// ---- shared checks ----------------------------------------------------------------------------

// The SDK raised nothing and the stream ended normally with exactly the mock's text.
function checkWhole(got, exp, sdk) {
    assert.equal(got.error, null, `the stream failed: ${got.error}`);
    assert.equal(got.text, exp.text, 'text differs from the upstream\'s');
    assert.equal(got.finish, sdk === 'openai' ? 'stop' : 'end_turn', 'finish reason');
}

// The SDK refused the stream with an HTTP error status.
async function openFails(sdk, model, text) {
    try {
        const got = await iterate(sdk, model, text);
        assert.fail(`no error status: the stream opened (text ${JSON.stringify(got.text.slice(0, 80))}, error ${got.error})`);
    } catch (err) {
        if (err instanceof assert.AssertionError)
            throw err;
        assert.ok(err instanceof sdk.APIError, `not an APIError: ${err}`);
        assert.ok(!(err instanceof sdk.APIConnectionError), `a connection error, not a status: ${err}`);
        return err;
    }
}

function checkAttempts(log, want, what) {
    assert.equal(log.requests, want.length, `${what}: upstream attempts ${JSON.stringify(log.attempts)}`);
    log.attempts.forEach((a, i) => {
        assert.equal(a.model, want[i].model, `${what}: attempt ${i + 1}'s model`);
        assert.equal(a.faults, want[i].faults, `${what}: attempt ${i + 1} ${want[i].faults ? 'should' : 'should not'} have had the faults`);
    });
}

// Consecutive attempts at least gapMs apart (the upstream's Retry-After).
function checkGaps(log, gapMs) {
    const at = log.attempts.map((a) => a.at_us);
    for (let i = 1; i < at.length; i++) {
        const gap = (at[i] - at[i - 1]) / 1000;
        assert.ok(gap >= gapMs, `attempt ${i + 1} came ${gap.toFixed(1)} ms after attempt ${i}, before the upstream's Retry-After of ${gapMs} ms (gaps ${at.slice(1).map((x, j) => ((x - at[j]) / 1000).toFixed(0))})`);
    }
}

const fault = (seed, directive, tokens = 12) => `Fault check ${seed}. [mock ${directive} seed=${seed} tokens=${tokens}]`;

// Mid-stream faults: after 5 of 20 tokens.
const MID = ['error_event', 'reset', 'malformed', 'stall'];

// ---- the checks of one cell -------------------------------------------------------------------

// Each check: {name, run({sdk, seed, t}), unlimited (true: takes no limiter slot, since it
// only waits for another check)}.
function checks(sdkName, kind) {
    const up = upstreamModel(kind);
    // The stall check's measure, ms from the last piece to the SDK's error, for the check that
    // judges it; rejected when the stall check could not measure it.
    let stallEnd;
    const stallEnded = new Promise((resolve, reject) => {
        stallEnd = { resolve, reject };
    });
    stallEnded.catch(() => {}); // judged (and reported) by its own check
    const list = [
        {
            name: '429 once: the whole text, 2 upstream attempts',
            async run({ sdk, seed }) {
                const text = fault(seed, 'fail=1 status=429');
                const got = await iterate(sdk, `m-${kind}`, text);
                checkWhole(got, await script(sys, sdkName, kind, text), sdkName);
                checkAttempts(await attempts(sys, seed), [{ model: up, faults: true }, { model: up, faults: false }], '429 once');
            },
        },
        {
            name: '429 always (retry-after-ms: 300): APIError 429 with retry-after, 4 attempts, none before the Retry-After',
            async run({ sdk, seed }) {
                const err = await openFails(sdk, `m-${kind}`, fault(seed, 'status=429 retry_after_ms=300'));
                assert.equal(err.status, 429);
                assert.ok(Number(header(err, 'retry-after')) >= 1, `retry-after: ${header(err, 'retry-after')}`);
                const log = await attempts(sys, seed);
                checkAttempts(log, Array(4).fill({ model: up, faults: true }), '429 always');
                checkGaps(log, 300);
            },
        },
        {
            name: `429 always (retry-after: 1) on a route with retry_max_ms ${RA_MAX_MS}: 4 attempts at least 1 s apart`,
            async run({ sdk, seed }) {
                const err = await openFails(sdk, `ra-${kind}`, fault(seed, 'status=429 retry_after=1'));
                assert.equal(err.status, 429);
                assert.ok(Number(header(err, 'retry-after')) >= 1, `retry-after: ${header(err, 'retry-after')}`);
                const log = await attempts(sys, seed);
                checkAttempts(log, Array(4).fill({ model: up, faults: true }), '429 always');
                checkGaps(log, 1000);
            },
        },
        ...fiveXX(kind).flatMap((status) => [
            {
                name: `${status} from the first target of a fallback route: the second serves, 1 attempt each`,
                async run({ sdk, seed }) {
                    const text = fault(seed, `status=${status} fail_model=${downModel(kind)}`);
                    const got = await iterate(sdk, `fb-${kind}`, text);
                    checkWhole(got, await script(sys, sdkName, kind, text), sdkName);
                    checkAttempts(await attempts(sys, seed), [{ model: downModel(kind), faults: true }, { model: up, faults: false }], 'fallback');
                },
            },
            {
                name: `${status} on a one-target route: 4 attempts, then ${status}`,
                async run({ sdk, seed }) {
                    const err = await openFails(sdk, `m-${kind}`, fault(seed, `status=${status}`));
                    assert.equal(err.status, status, `status: ${err.message}`);
                    checkAttempts(await attempts(sys, seed), Array(4).fill({ model: up, faults: true }), `${status}`);
                },
            },
        ]),
        ...[400, 401].map((status) => ({
            name: `${status} passed through with the upstream's message, 1 attempt`,
            async run({ sdk, seed }) {
                const err = await openFails(sdk, `m-${kind}`, fault(seed, `status=${status}`));
                assert.equal(err.status, status);
                assert.match(err.message, new RegExp(`\\(mock status=${status}\\)`), 'the upstream\'s message');
                checkAttempts(await attempts(sys, seed), [{ model: up, faults: true }], `${status}`);
            },
        })),
        {
            name: 'reset before the first byte once: the whole text, 2 attempts',
            async run({ sdk, seed }) {
                const text = fault(seed, 'fail=1 reset=0');
                const got = await iterate(sdk, `m-${kind}`, text);
                checkWhole(got, await script(sys, sdkName, kind, text), sdkName);
                checkAttempts(await attempts(sys, seed), [{ model: up, faults: true }, { model: up, faults: false }], 'reset=0 once');
            },
        },
        ...MID.map((f) => ({
            name: `${f} after 5 tokens: exactly those 5 tokens, then one APIError from the SDK, no finish, 1 attempt`,
            async run({ sdk, seed }) {
                const text = fault(seed, `${f}=5`, 20);
                const pending = iterate(sdk, `m-${kind}`, text);
                if (f === 'stall') {
                    pending.then(
                        (g) => (g.lastPieceUs === null ? stallEnd.reject(new Error('no text before the stall')) : stallEnd.resolve((g.endUs - g.lastPieceUs) / 1000)),
                        (err) => stallEnd.reject(err),
                    );
                }
                const [got, exp] = await Promise.all([pending, script(sys, sdkName, kind, text)]);
                assert.ok(got.error, `the SDK raised nothing: text ${JSON.stringify(got.text)}, finish ${got.finish}`);
                assert.ok(got.error instanceof sdk.APIError && !(got.error instanceof sdk.APIConnectionError),
                    `not an API error event: ${got.error?.constructor?.name}: ${got.error}`);
                assert.equal(got.finish, null, 'a finish reason before the error');
                assert.ok(!got.stopped, 'message_stop before the error');
                assert.ok(exp.text.startsWith(got.text) && got.text.length < exp.text.length,
                    `not a strict prefix of the upstream text: ${JSON.stringify(got.text)}`);
                assert.equal(got.text, exp.tokens.slice(0, 5).join(''), 'the 5 tokens sent before the fault');
                checkAttempts(await attempts(sys, seed), [{ model: up, faults: true }], f);
            },
        })),
        ...MID.map((f) => ({
            name: `${f} after 5 tokens, raw SSE: the 5 tokens, then one error event (OpenAI: and [DONE])`,
            async run({ seed }) {
                const text = fault(seed, `${f}=5`, 20);
                const path = sdkName === 'openai' ? '/v1/chat/completions' : '/v1/messages';
                const body = { model: `m-${kind}`, stream: true, messages: [{ role: 'user', content: text }] };
                if (sdkName === 'anthropic')
                    body.max_tokens = ANTHROPIC_DEFAULT_MAX_TOKENS;
                const [r, exp] = await Promise.all([rawSse(sys.base, path, body), script(sys, sdkName, kind, text)]);
                assert.equal(r.status, 200);
                const tail = r.raw.slice(-400);
                let got = '';
                if (sdkName === 'openai') {
                    // docs/providers.md (Client SDKs): the error chunk, which the SDKs raise, then
                    // [DONE], so a loop that reads to [DONE] ends; never a finish_reason.
                    assert.ok(r.events.every((e) => e.event === null), `an event: line: ${tail}`);
                    assert.equal(r.events.at(-1)?.data, '[DONE]', `[DONE] is not last: ${tail}`);
                    assert.equal(r.events.filter((e) => e.data === '[DONE]').length, 1, `[DONE] twice: ${tail}`);
                    const parsed = r.events.slice(0, -1).map((e) => JSON.parse(e.data));
                    const errors = parsed.filter((d) => d.error);
                    assert.equal(errors.length, 1, `error events: ${tail}`);
                    assert.ok(parsed.at(-1).error, `the error is not the last event: ${tail}`);
                    assert.ok(typeof parsed.at(-1).error.message === 'string' && parsed.at(-1).error.message.length > 0);
                    for (const d of parsed.slice(0, -1)) {
                        for (const c of d.choices ?? []) {
                            assert.equal(c.finish_reason ?? null, null, `a finish_reason: ${JSON.stringify(d)}`);
                            got += c.delta?.content ?? '';
                        }
                    }
                } else {
                    const names = r.events.map((e) => e.event);
                    assert.equal(names.filter((n) => n === 'error').length, 1, `events: ${names}`);
                    assert.equal(names.at(-1), 'error', `events: ${names}`);
                    assert.ok(!names.includes('message_stop') && !names.includes('message_delta'), `events: ${names}`);
                    const e = JSON.parse(r.events.at(-1).data);
                    assert.equal(e.type, 'error');
                    assert.ok(typeof e.error?.type === 'string' && typeof e.error?.message === 'string', r.events.at(-1).data);
                    for (const ev of r.events.slice(0, -1)) {
                        const d = JSON.parse(ev.data);
                        assert.equal(d.type, ev.event, 'event: line and data type');
                        if (d.type === 'content_block_delta' && d.delta.type === 'text_delta')
                            got += d.delta.text;
                    }
                }
                assert.equal(got, exp.tokens.slice(0, 5).join(''), 'the 5 tokens sent before the fault');
                checkAttempts(await attempts(sys, seed), [{ model: up, faults: true }], f);
            },
        })),
        {
            name: `stall after 5 tokens ends within idle_ms (${IDLE_MS} ms) + 2 s of the last token`,
            unlimited: true,
            async run() {
                // The stall check above measures it; this one only judges the time.
                const took = await stallEnded;
                lines.push(`# stall_end_ms ${kind} ${sdkName} ${took.toFixed(0)}\n`);
                // Measured from the client's receipt of the last token, which came later than the
                // worker's (whose silence idle_ms counts): allow for that delivery on a busy machine.
                assert.ok(took >= IDLE_MS - 250, `ended ${took.toFixed(0)} ms after the last token, before idle_ms ${IDLE_MS}`);
                // The worker times the gap between content events itself (transfer.c).
                assert.ok(took <= IDLE_MS + ms(2000), `stall ended ${took.toFixed(0)} ms after the last token, want <= ${IDLE_MS + ms(2000)}`);
            },
        },
        {
            name: `client abort after 3 tokens: the mock sees its connection closed within ${ABORT_CLOSE_MS / 1000} s`,
            async run({ sdk, seed }) {
                let abortUs = null;
                const got = await iterate(sdk, `m-${kind}`, fault(seed, 'rate=20', 200), (out) => {
                    if (out.pieces === 3 && abortUs === null) {
                        abortUs = wallUs();
                        out.stream.controller.abort();
                    }
                });
                assert.ok(abortUs !== null, `the stream ended before 3 pieces: ${JSON.stringify(got.text)}`);
                assert.ok(!got.error, `aborting raised ${got.error}`);
                let log;
                const until = Date.now() + ABORT_CLOSE_MS + ms(1000);
                for (;;) {
                    log = await attempts(sys, seed);
                    if (log.attempts[0]?.closed_early || Date.now() > until)
                        break;
                    await new Promise((resolve) => setTimeout(resolve, 20));
                }
                assert.equal(log.requests, 1, `attempts: ${JSON.stringify(log.attempts)}`);
                const a = log.attempts[0];
                assert.ok(a.closed_early, `the upstream connection is still open ${((wallUs() - abortUs) / 1000).toFixed(0)} ms after the abort`);
                const took = (a.closed_at_us - abortUs) / 1000;
                lines.push(`# abort_close_ms ${kind} ${sdkName} ${took.toFixed(0)}\n`);
                assert.ok(took <= ABORT_CLOSE_MS, `closed ${took.toFixed(0)} ms after the abort`);
            },
        },
    ];
    return list;
}

// ---- registration -----------------------------------------------------------------------------

describe('upstream faults through sluice', { concurrency: true }, () => {
    SDKS.forEach((sdkName, s) => {
        const sdk = makeSdk(sdkName, sys.base);
        KINDS.forEach((kind, k) => {
            describe(`${sdkName} SDK x ${kind} upstream`, { concurrency: true }, () => {
                checks(sdkName, kind).forEach((check, c) => {
                    const seed = 900000 + 10000 * s + 1000 * k + c;
                    const cell = { sdk: sdkName, kind, check: check.name, state: 'FAIL', why: 'not finished' };
                    cells.push(cell);
                    test(check.name, { timeout: ms(120000) }, (t) =>
                        (check.unlimited ? (fn) => fn() : run)(async () => {
                            let todo = null;
                            const ctx = { sdk, seed, t: { todo: (why) => { todo = why; t.todo(why); } } };
                            try {
                                await check.run(ctx);
                                Object.assign(cell, { state: 'pass', why: '' });
                            } catch (err) {
                                Object.assign(cell, todo
                                    ? { state: 'todo', why: todo }
                                    : { state: 'FAIL', why: String(err.message).split('\n')[0] });
                                if (!todo)
                                    sys.failed = true;
                                throw err;
                            }
                        }),
                    );
                });
            });
        });
    });
});
