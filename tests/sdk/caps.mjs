// caps.mjs - what the running system can do, asked explicitly before the matrix runs.
//
// Issue 4 landed in pieces (the mock's formats and /mock/script, the adapters, the ingress's
// Anthropic API). A cell whose piece is missing is reported as TODO with the reason; it never
// passes silently, and under SLUICE_SDK_STRICT=1 (which CTest sets now that every piece is in)
// it fails. Each probe looks for one unambiguous sign of absence (a 404 for an endpoint,
// sluice's own "unsupported kind" error, the mock's "unknown option" directive error); anything
// else unexpected is an error, and the cells that need that piece fail with it.
import { KINDS, upstreamModel } from './system.mjs';
import { TOOLS, upstreamPath, upstreamQuery, upstreamRequest } from './requests.mjs';

const present = () => ({ ok: true });
const missing = (todo) => ({ ok: false, todo });
const broken = (error) => ({ ok: false, error });
const short = (r) => (r.body?.error?.message ?? r.body?.message ?? r.text).slice(0, 300);

async function probeMockScript(sys) {
    const req = upstreamRequest('openai', upstreamModel('openai'), { text: 'probe [mock tokens=3 seed=1]' });
    const r = await sys.post(`${sys.mock}/mock/script`, { format: 'openai', request: req });
    if (r.status === 404)
        return missing('the mock has no POST /mock/script');
    if (r.status !== 200 || typeof r.body?.text !== 'string')
        return broken(`POST /mock/script (openai) answered ${r.status}: ${short(r)}`);
    return present();
}

// The mock speaks a kind when it serves the kind's endpoint and /mock/script knows the format.
async function probeMockFormat(sys, kind) {
    const model = upstreamModel(kind);
    const req = upstreamRequest(kind, model, { text: 'probe [mock tokens=3 seed=1]', stream: true });
    const path = upstreamPath(kind, model);
    const r = await sys.post(`${sys.mock}${path}${upstreamQuery(kind)}`, req);
    if (r.status === 404)
        return missing(`the mock does not serve ${kind}'s ${path}`);
    const s = await sys.post(`${sys.mock}/mock/script`, { format: kind, path, request: req });
    if (s.status !== 200)
        return broken(`the mock serves ${kind} but POST /mock/script {format: ${kind}} answered ${s.status}: ${short(s)}`);
    return present();
}

// Tool calls need the mock's tools= directive in that format.
async function probeMockTools(sys, kind) {
    const req = upstreamRequest(kind, upstreamModel(kind), { text: 'probe [mock tools=1 seed=1]', tools: true });
    const r = await sys.post(`${sys.mock}/mock/script`, { format: kind, path: upstreamPath(kind, upstreamModel(kind)), request: req });
    if (r.status === 400 && /mock directive/.test(short(r)) && /tools/.test(short(r)))
        return missing(`the mock has no tools= directive: ${short(r)}`);
    if (r.status !== 200)
        return broken(`POST /mock/script {format: ${kind}} with tools=1 answered ${r.status}: ${short(r)}`);
    const calls = r.body?.tool_calls;
    if (!Array.isArray(calls) || calls.length !== 1 || !TOOLS.some((t) => t.name === calls[0].name))
        return broken(`POST /mock/script with tools=1 gave tool_calls ${JSON.stringify(calls)}`);
    return present();
}

// sluice-provider answers a request for a kind it has no adapter for with its own error,
// "provider 'p-<kind>' has unsupported kind '<kind>'" (actors/provider/transfer.c).
async function probeAdapter(sys, kind) {
    const r = await sys.post(`${sys.base}/v1/chat/completions`, {
        model: `m-${kind}`,
        messages: [{ role: 'user', content: 'probe [mock tokens=1 seed=1]' }],
    });
    if (r.status !== 200 && /unsupported kind/.test(short(r)))
        return missing(`sluice-provider has no ${kind} adapter: ${short(r)}`);
    return present(); // any other outcome is the cells' to judge
}

async function probeAnthropicApi(sys) {
    const r = await sys.post(`${sys.base}/v1/messages`, {});
    if (r.status === 404)
        return missing(`the ingress has no POST /v1/messages: ${short(r)}`);
    return present();
}

// Probe everything; returns {mockScript, anthropicApi, format: {kind}, tools: {kind},
// adapter: {kind}}, each {ok} or {ok: false, todo|error}, and logs it.
export async function probeCapabilities(sys) {
    const caps = { format: {}, tools: {}, adapter: {} };
    caps.mockScript = await probeMockScript(sys);
    caps.anthropicApi = await probeAnthropicApi(sys);
    for (const kind of KINDS) {
        caps.adapter[kind] = await probeAdapter(sys, kind);
        caps.format[kind] = caps.mockScript.ok ? await probeMockFormat(sys, kind) : caps.mockScript;
        caps.tools[kind] = caps.format[kind].ok ? await probeMockTools(sys, kind) : caps.format[kind];
    }
    const say = (c) => (c.ok ? 'yes' : c.todo ? `no (${c.todo})` : `BROKEN (${c.error})`);
    const lines = [
        `mock POST /mock/script: ${say(caps.mockScript)}`,
        `ingress POST /v1/messages: ${say(caps.anthropicApi)}`,
        ...KINDS.map((k) => `${k}: adapter ${say(caps.adapter[k])}; mock format ${say(caps.format[k])}; mock tools ${say(caps.tools[k])}`),
    ];
    process.stdout.write(`# capabilities\n${lines.map((l) => `#   ${l}\n`).join('')}`);
    return caps;
}

// What keeps a cell from running, or null when every piece it needs is there: {error} for
// the first broken piece, else {todo} naming every missing one.
export function gapOf(needs) {
    const broke = needs.find((c) => !c.ok && !c.todo);
    if (broke)
        return { error: broke.error };
    const todos = [...new Set(needs.filter((c) => !c.ok).map((c) => c.todo))];
    return todos.length ? { todo: todos.join('; ') } : null;
}
