// matrix.mjs - the checks of one SDK's row of the matrix: that SDK against every provider kind.
// Each *.test.mjs file starts its own system and calls runMatrix with its client.
//
// Every expected value comes from the mock (POST /mock/script on the upstream request the
// adapter must send), never from sluice, so a cell passes only when sluice carried the
// upstream's answer to the SDK unchanged: the same text byte for byte, the same tool calls,
// the finish reason in the SDK's words, the upstream's usage.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { gapOf, probeCapabilities } from './caps.mjs';
import { expectation, SDK_FINISH, upstreamPath, upstreamRequest } from './requests.mjs';
import { KINDS, ms, startSystem, upstreamModel } from './system.mjs';

const STRICT = process.env.SLUICE_SDK_STRICT === '1';

// What the mock will say for the upstream request behind this client request.
async function expected(sys, client, kind, req) {
    const model = upstreamModel(kind);
    const body = upstreamRequest(kind, model, req, client.maxTokens(req));
    const r = await sys.post(`${sys.mock}/mock/script`, { format: kind, path: upstreamPath(kind, model), request: body });
    assert.equal(r.status, 200, `POST /mock/script ${JSON.stringify(body)} -> ${r.status} ${r.text}`);
    return expectation(r.body, kind);
}

// Tool calls: the same names and arguments in the same order; ids present and distinct.
function checkToolCalls(got, exp, sdk) {
    assert.deepEqual(
        got.map((c) => ({ name: c.name, arguments: c.arguments })),
        exp.toolCalls,
        'tool calls (name, arguments) differ from the upstream\'s',
    );
    for (const c of got) {
        assert.equal(c.type, sdk === 'openai' ? 'function' : 'tool_use');
        assert.ok(typeof c.id === 'string' && c.id.length > 0, `tool call without id: ${JSON.stringify(c)}`);
    }
    assert.equal(new Set(got.map((c) => c.id)).size, got.length, `tool call ids repeat: ${got.map((c) => c.id)}`);
}

function checkAnswer(got, exp, sdk) {
    assert.equal(got.text, exp.text, 'text differs from the upstream\'s');
    if (got.reasoning !== undefined)
        assert.equal(got.reasoning, exp.reasoning, 'reasoning differs from the upstream\'s');
    assert.equal(got.finish, SDK_FINISH[sdk][exp.finish], 'finish reason');
    assert.ok(got.usage, 'no usage');
    assert.equal(got.usage.prompt, exp.usage.prompt, 'prompt tokens differ from the upstream\'s usage');
    assert.equal(got.usage.completion, exp.usage.completion, 'completion tokens differ from the upstream\'s usage');
    if (sdk === 'openai' && got.usage.total !== undefined)
        assert.equal(got.usage.total, exp.usage.prompt + exp.usage.completion, 'total_tokens');
    if (got.role !== undefined)
        assert.equal(got.role, 'assistant');
    checkToolCalls(got.toolCalls, exp, sdk);
}

// The raw stream's shape, beyond what checkAnswer compares: what the SDKs' own accumulators
// and other clients rely on (docs/providers.md §Client SDKs).
function checkRawShape(got, sdk) {
    if (sdk === 'openai') {
        assert.equal(got.roleChunks, 1, 'chunks with delta.role');
        assert.equal(got.finishChunks, 1, 'chunks with finish_reason');
        assert.equal(got.usageChunks, 1, 'chunks with usage');
        assert.ok(got.usageLast, 'the usage chunk (choices []) is the last chunk');
        assert.equal(got.ids.size, 1, `chunk ids: ${[...got.ids]}`);
        // Python's accumulator concatenates strings: id, name and type once per call.
        got.fragments.forEach((f, i) =>
            assert.deepEqual(f, { ids: 1, names: 1, types: 1 }, `tool call ${i}: fragments carrying id, name, type`));
        return;
    }
    const types = got.events.map((e) => e.type);
    assert.equal(types[0], 'message_start', `events: ${types}`);
    assert.equal(types.at(-1), 'message_stop', `events: ${types}`);
    assert.equal(types.filter((t) => t === 'message_start').length, 1, `events: ${types}`);
    assert.ok(types.includes('message_delta'), `events: ${types}`);
    // Blocks open at 0, 1, 2 ... one at a time; deltas go to the open block.
    let open = null;
    let next = 0;
    for (const e of got.events) {
        if (e.type === 'content_block_start') {
            assert.equal(open, null, `block ${e.index} starts while ${open} is open`);
            assert.equal(e.index, next, 'content block indices go 0, 1, 2 ...');
            open = e.index;
            next++;
        } else if (e.type === 'content_block_delta') {
            assert.equal(e.index, open, `a delta for block ${e.index} while ${open} is open`);
        } else if (e.type === 'content_block_stop') {
            assert.equal(e.index, open, `stop for block ${e.index} while ${open} is open`);
            open = null;
        } else if (e.type === 'message_delta' || e.type === 'message_stop') {
            assert.equal(open, null, `${e.type} while block ${open} is open`);
        }
    }
}

// One check: {name, tools (needs the mock's tools= directive), run(ctx)}.
const CHECKS = [
    {
        name: 'streams the exact text under TCP splits and upstream keepalives',
        async run({ sys, client, kind, model, seed }) {
            const req = { text: `Tell me a long story. [mock tokens=80 seed=${seed} split=1 pings=1]`, stream: true };
            const exp = await expected(sys, client, kind, req);
            const got = await client.raw(model, req);
            checkAnswer(got, exp, client.name);
            checkRawShape(got, client.name);
        },
    },
    {
        name: 'answers the exact text without streaming',
        async run({ sys, client, kind, model, seed }) {
            const req = { text: `Say something short. [mock tokens=30 seed=${seed}]` };
            checkAnswer(await client.whole(model, req), await expected(sys, client, kind, req), client.name);
        },
    },
    {
        name: 'the SDK accumulator takes the stream',
        async run({ sys, client, kind, model, seed }) {
            const req = { text: `Go on. [mock tokens=40 seed=${seed} split=1]`, stream: true };
            checkAnswer(await client.accumulated(model, req), await expected(sys, client, kind, req), client.name);
        },
    },
    {
        name: 'stops at max_tokens with the length reason',
        async run({ sys, client, kind, model, seed }) {
            const req = { text: `Ramble on. [mock tokens=20 seed=${seed}]`, maxTokens: 5, stream: true };
            const exp = await expected(sys, client, kind, req);
            assert.equal(exp.finish, 'length', 'the mock should cut at max_tokens');
            const got = await client.raw(model, req);
            checkAnswer(got, exp, client.name);
            checkRawShape(got, client.name);
        },
    },
    {
        name: 'one tool call, streamed (SDK accumulator)',
        tools: true,
        async run({ sys, client, kind, model, seed }) {
            const req = { text: `What is the weather in Paris? [mock tools=1 seed=${seed} split=1]`, tools: true, stream: true };
            const exp = await expected(sys, client, kind, req);
            assert.equal(exp.toolCalls.length, 1);
            checkAnswer(await client.accumulated(model, req), exp, client.name);
        },
    },
    {
        name: 'one tool call, whole',
        tools: true,
        async run({ sys, client, kind, model, seed }) {
            const req = { text: `What is the weather in Oslo? [mock tools=1 seed=${seed}]`, tools: true };
            const exp = await expected(sys, client, kind, req);
            assert.equal(exp.toolCalls.length, 1);
            checkAnswer(await client.whole(model, req), exp, client.name);
        },
    },
    {
        name: 'text then two parallel tool calls, streamed (raw and SDK accumulator)',
        tools: true,
        async run({ sys, client, kind, model, seed }) {
            const req = {
                text: `Weather in Rome and the AAPL price? [mock tools=2 text_before=1 tokens=8 seed=${seed} split=1]`,
                tools: true,
                stream: true,
            };
            const exp = await expected(sys, client, kind, req);
            assert.equal(exp.toolCalls.length, 2);
            const raw = await client.raw(model, req);
            checkAnswer(raw, exp, client.name);
            checkRawShape(raw, client.name);
            checkAnswer(await client.accumulated(model, req), exp, client.name);
        },
    },
    {
        name: 'text then two parallel tool calls, whole',
        tools: true,
        async run({ sys, client, kind, model, seed }) {
            const req = { text: `Weather in Lima and the MSFT price? [mock tools=2 text_before=1 tokens=8 seed=${seed}]`, tools: true };
            const exp = await expected(sys, client, kind, req);
            assert.equal(exp.toolCalls.length, 2);
            checkAnswer(await client.whole(model, req), exp, client.name);
        },
    },
    {
        // The directive stays in the first user message, which every format still finds as the
        // last user message (tool results are not one), so the second answer is the first one
        // again; only the prompt grew by the history.
        name: 'the tool loop: the answer and tool results go back',
        tools: true,
        async run({ sys, client, kind, model, seed }) {
            const req = { text: `Weather in Kyiv and the IBM price? [mock tools=2 text_before=1 tokens=5 seed=${seed}]`, tools: true };
            const exp = await expected(sys, client, kind, req);
            const [first, second] = await client.toolLoop(model, req);
            checkAnswer(first, exp, client.name);
            checkAnswer(second, { ...exp, usage: { ...exp.usage, prompt: second.usage.prompt } }, client.name);
            assert.ok(second.usage.prompt > first.usage.prompt, `the history is not in the second prompt (${first.usage.prompt} -> ${second.usage.prompt} tokens)`);
        },
    },
    {
        name: '12 concurrent interleaved streams stay apart',
        async run({ sys, client, kind, model, seed }) {
            // Paced at 40 tokens/s, each stream lasts ~0.6 s, so all twelve are open at once.
            const reqs = Array.from({ length: 12 }, (_, i) => ({
                text: `Stream number ${i}. [mock tokens=24 seed=${seed * 100 + i} rate=40]`,
                stream: true,
            }));
            const exps = await Promise.all(reqs.map((r) => expected(sys, client, kind, r)));
            const seen = reqs.map(() => ({ first: Infinity, last: -Infinity }));
            const gots = await Promise.all(
                reqs.map((r, i) =>
                    client.raw(model, r, () => {
                        const now = performance.now();
                        seen[i].first = Math.min(seen[i].first, now);
                        seen[i].last = Math.max(seen[i].last, now);
                    }),
                ),
            );
            gots.forEach((got, i) => checkAnswer(got, exps[i], client.name));
            const lastFirst = Math.max(...seen.map((s) => s.first));
            const firstLast = Math.min(...seen.map((s) => s.last));
            assert.ok(lastFirst < firstLast, 'the streams did not overlap: every stream should have started before any ended');
        },
    },
];

// One line per provider kind: how many checks passed, failed, are todo, and why.
function summary(cells) {
    let out = '';
    for (const kind of KINDS) {
        const mine = cells.filter((c) => c.kind === kind);
        const count = (state) => mine.filter((c) => c.state === state).length;
        out += `#   x ${kind.padEnd(9)} pass ${count('pass')}, FAIL ${count('FAIL')}, todo ${count('todo')}, not run ${count('not run')}\n`;
        for (const c of mine.filter((c) => c.state === 'FAIL'))
            out += `#       FAIL ${c.check}: ${c.why}\n`;
        const todos = new Map();
        for (const c of mine.filter((c) => c.state === 'todo'))
            todos.set(c.why, [...(todos.get(c.why) ?? []), c.check]);
        for (const [why, checks] of todos)
            out += `#       todo ${checks.length === CHECKS.length ? 'all checks' : checks.join('; ')}: ${why}\n`;
    }
    return out;
}

// Start a system, probe it, and register every cell of this client's row. makeClient(base)
// returns an OpenAIClient or AnthropicClient.
export async function runMatrix(makeClient) {
    const sys = await startSystem();
    const cells = []; // {kind, check, state: pass|FAIL|todo|not run, why}, in matrix order
    after(async () => {
        process.stdout.write(`# matrix (${cells[0]?.sdk ?? '?'} SDK)\n${summary(cells)}`);
        await sys.stop();
    });
    const caps = await probeCapabilities(sys);
    const client = makeClient(sys.base);

    KINDS.forEach((kind, k) => {
        describe(`${client.name} SDK x ${kind} upstream`, () => {
            CHECKS.forEach((check, c) => {
                const needs = [caps.adapter[kind], caps.format[kind]];
                if (client.name === 'anthropic')
                    needs.push(caps.anthropicApi);
                if (check.tools)
                    needs.push(caps.tools[kind]);
                const gap = gapOf(needs);
                const cell = { sdk: client.name, kind, check: check.name, state: 'not run' };
                cells.push(cell);
                if (gap?.todo && !STRICT) {
                    Object.assign(cell, { state: 'todo', why: gap.todo });
                    test(check.name, { todo: gap.todo }, () => {});
                    return;
                }
                const ctx = { sys, client, kind, model: `m-${kind}`, seed: 1000 * (client.name === 'openai' ? 1 : 2) + 100 * k + c };
                test(check.name, { timeout: ms(30000) }, async () => {
                    try {
                        if (gap)
                            throw new Error(gap.todo ? `missing: ${gap.todo}` : `broken: ${gap.error}`);
                        await check.run(ctx);
                        cell.state = 'pass';
                    } catch (err) {
                        sys.failed = true;
                        Object.assign(cell, { state: 'FAIL', why: String(err.message).split('\n')[0] });
                        throw err;
                    }
                });
            });
        });
    });
}
