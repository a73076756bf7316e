// prompt_js.mjs - the reference side of prompt_test.c: a normalized request's prompt counted
// with js-tiktoken by the rule sl/prompt.h states, so the test compares two implementations.
//
//   node prompt_js.mjs NODE_MODULES ENCODING FILE   one line per line of FILE (a request body,
//       JSON): its count. Each text is enc.encode(text, [], []), as bpe_js.mjs counts it; the
//       tools array is JSON.stringify'd, the compact JSON cJSON_PrintUnformatted also writes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [nodeModules, encoding, file] = process.argv.slice(2);
const lite = await import(pathToFileURL(join(nodeModules, 'js-tiktoken/dist/lite.js')));
const ranks = await import(pathToFileURL(join(nodeModules, `js-tiktoken/dist/ranks/${encoding}.js`)));
const enc = new lite.Tiktoken(ranks.default);
const count = (text) => enc.encode(text, [], []).length;
const str = (v) => (typeof v === 'string' ? count(v) : 0);
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function prompt(body) {
    let n = 3; // the reply's priming
    if (Array.isArray(body.tools) && body.tools.length > 0) n += count(JSON.stringify(body.tools));
    for (const m of body.messages) {
        n += 3; // every message
        if (!isObject(m)) continue;
        n += str(m.role);
        if (typeof m.content === 'string') n += count(m.content);
        else if (Array.isArray(m.content))
            for (const part of m.content) if (isObject(part) && part.type === 'text') n += str(part.text);
        if (typeof m.name === 'string') n += count(m.name) + 1;
        if (Array.isArray(m.tool_calls))
            for (const call of m.tool_calls) {
                const fn = isObject(call) ? call.function : undefined;
                if (isObject(fn)) n += str(fn.name) + str(fn.arguments);
            }
    }
    return n;
}

const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
process.stdout.write(lines.map((l) => String(prompt(JSON.parse(l)))).join('\n') + '\n');
