// bpe_js.mjs - the reference side of bpe_js_test.c: js-tiktoken's token ids for the same
// units of text, so the test compares two implementations (nothing is hard-coded).
//
//   node bpe_js.mjs NODE_MODULES ENCODING MODE:FILE...   one line per unit of each file:
//       "<file> <unit> <count> <id> <id> ...", units as bpe_js_test.c cuts them: MODE whole
//       (the file), lines (each line with its "\n"), or both (the file, then each line).
//       Files are read as bytes and decoded as a browser's TextDecoder does (a bad sequence
//       becomes U+FFFD, a BOM is kept); ids are enc.encode(text, [], []): no special tokens
//       allowed and none disallowed, so "<|endoftext|>" is text.
//   node bpe_js.mjs NODE_MODULES models NAME...          one line per model name: the
//       encoding js-tiktoken's getEncodingNameForModel gives, or "-" when it knows no such model.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [nodeModules, what, ...args] = process.argv.slice(2);
// The tokenizer's classes are node's as tools/bpe/unicode-node.txt lists them: a node with
// another Unicode version splits some text otherwise, and the comparison would say so for
// reasons that are not the tokenizer's. Say that instead.
const table = process.env.BPE_UNICODE_TXT;
if (table) {
    const made = /\(Unicode ([0-9.]+)\)/.exec(readFileSync(table, 'utf8'))?.[1];
    if (made !== process.versions.unicode) {
        console.error(`bpe_js.mjs: node ${process.version} has Unicode ${process.versions.unicode}, ` +
            `${table} was made with Unicode ${made}: run node tools/bpe/gen-unicode.mjs and rebuild`);
        process.exit(3);
    }
}
const lite = await import(pathToFileURL(join(nodeModules, 'js-tiktoken/dist/lite.js')));
const out = [];
if (what === 'models') {
    for (const name of args) {
        let enc = '-';
        try {
            enc = lite.getEncodingNameForModel(name);
        } catch {
            // "Unknown model"
        }
        out.push(enc);
    }
} else {
    const ranks = await import(pathToFileURL(join(nodeModules, `js-tiktoken/dist/ranks/${what}.js`)));
    const enc = new lite.Tiktoken(ranks.default);
    const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    args.forEach((arg, f) => {
        const colon = arg.indexOf(':');
        const mode = arg.slice(0, colon);
        const bytes = readFileSync(arg.slice(colon + 1));
        const units = [];
        if (mode === 'whole' || mode === 'both') units.push(bytes);
        if (mode === 'lines' || mode === 'both') {
            let start = 0;
            for (let i = 0; i < bytes.length; i++) {
                if (bytes[i] === 0x0a) {
                    units.push(bytes.subarray(start, i + 1));
                    start = i + 1;
                }
            }
            if (start < bytes.length) units.push(bytes.subarray(start));
        }
        units.forEach((unit, u) => {
            const ids = enc.encode(decoder.decode(unit), [], []);
            out.push(`${f} ${u} ${ids.length}${ids.length ? ' ' + ids.join(' ') : ''}`);
        });
    });
}
process.stdout.write(out.join('\n') + '\n');
