// system.mjs - a whole sluice for the SDK tests: the mock upstream and `sluice up` with a
// config of our own (one provider of every kind, all pointing at the one mock), in a temporary
// directory, on free ports. The JS twin of tests/integration/system.c.
//
// The binaries come from the environment, as CTest passes them (tests/sdk/CMakeLists.txt):
// SLUICE_BIN and SLUICE_MOCKLLM_BIN. Each process's stdout and stderr go to a log file in the
// directory; failures print them. Timeouts are multiplied by SL_TEST_TIMEOUT_MULTIPLIER.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

// Every provider kind, each behind its own route m-<kind>. base_url follows each adapter's
// convention: the part of the provider's URL before the path the adapter appends. A test may
// add routes and config sections of its own (System's options).
export const KINDS = ['openai', 'anthropic', 'gemini', 'cohere', 'ollama'];
const BASE_PATH = { openai: '/v1', anthropic: '/v1', gemini: '/v1beta', cohere: '/v2', ollama: '' };
const WATCHDOG_MS = 240000; // one SDK's whole row, start to stop
export const upstreamModel = (kind) => `mock-${kind}`;

export function ms(n) {
    const m = Number(process.env.SL_TEST_TIMEOUT_MULTIPLIER || '1');
    return n * (Number.isFinite(m) && m > 0 ? m : 1);
}

const sleep = (n) => new Promise((resolve) => setTimeout(resolve, n));
// Resolves with null after n ms without keeping the process alive: the losing side of a race.
const deadline = (n) => new Promise((resolve) => setTimeout(resolve, n, null).unref());

function need(name) {
    const v = process.env[name];
    if (!v || !existsSync(v))
        throw new Error(`${name} must name the built binary (got '${v ?? ''}'); run through ctest -L sdk`);
    return v;
}

// A free TCP port on 127.0.0.1: bind port 0, read it, close (as test_free_port does).
function freePort() {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on('error', reject);
        srv.listen(0, '127.0.0.1', () => {
            const { port } = srv.address();
            srv.close(() => resolve(port));
        });
    });
}

// Resolves with the exit status once the child has exited: {code, signal}.
function exited(child) {
    if (child.exitCode !== null || child.signalCode !== null)
        return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
    return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

// Send sig, wait up to timeout; SIGKILL after that. Returns the exit status and whether the
// process needed the SIGKILL.
async function stopChild(child, sig, timeout) {
    const done = exited(child);
    if (child.exitCode === null && child.signalCode === null)
        child.kill(sig);
    const status = await Promise.race([done, deadline(timeout)]);
    if (status)
        return { ...status, killed: false };
    child.kill('SIGKILL');
    return { ...(await done), killed: true };
}

const live = new Set(); // children not yet reaped: killed if this process goes away first
process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
});
for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
        for (const child of live) child.kill('SIGKILL');
        process.exit(1);
    });
}

function track(child) {
    live.add(child);
    child.once('exit', () => live.delete(child));
    return child;
}

// A YAML flow value for the config: numbers and booleans as they are, strings quoted, objects as
// flow maps, arrays as flow sequences.
function yaml(v) {
    if (Array.isArray(v))
        return `[${v.map(yaml).join(', ')}]`;
    if (v && typeof v === 'object')
        return `{${Object.entries(v).map(([k, x]) => `${k}: ${yaml(x)}`).join(', ')}}`;
    return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

export class System {
    // opts (all optional):
    //   route:    fields every m-<kind> route gets, e.g. {retries: 3, retry_base_ms: 50}
    //   routes:   more routes, each {model, targets: [{provider, model}], ...route fields}
    //   sections: top-level config sections, e.g. {timeouts: {idle_ms: 1000}, circuit: {...}}
    //   watchdogMs: how long the whole run may take before the watchdog stops everything
    //             (default WATCHDOG_MS; multiplied by SL_TEST_TIMEOUT_MULTIPLIER like the rest)
    constructor(opts = {}) {
        this.opts = opts;
        this.dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-sdk-'));
        this.cfg = path.join(this.dir, 'sluice.yaml');
        this.logs = { mockllm: path.join(this.dir, 'mockllm.log'), sluice: path.join(this.dir, 'sluice.log') };
        this.failed = false; // set by tests that fail: logs are printed and the directory kept
    }

    async start() {
        const mockBin = need('SLUICE_MOCKLLM_BIN');
        const sluiceBin = need('SLUICE_BIN');
        // A hung sluice must not hang the run until CTest's TIMEOUT (300 s) kills node and
        // leaves the processes behind: stop everything ourselves first, with the logs.
        const watchdog = ms(this.opts.watchdogMs ?? WATCHDOG_MS);
        this.watchdog = setTimeout(() => {
            process.stderr.write(`sluice tests: still running after ${watchdog / 1000} s, giving up\n`);
            this.failed = true;
            this.dumpLogs();
            for (const child of live) child.kill('SIGKILL');
            process.exit(1);
        }, watchdog).unref();
        try {
            await this.#startMock(mockBin);
            await this.#startSluice(sluiceBin);
        } catch (err) {
            this.failed = true;
            await this.stop().catch(() => {});
            throw err;
        }
        return this;
    }

    async #startMock(bin) {
        const log = openSync(this.logs.mockllm, 'a');
        this.mockProc = track(spawn(bin, ['--port', '0'], { stdio: ['ignore', 'pipe', log] }));
        closeSync(log);
        const lines = readline.createInterface({ input: this.mockProc.stdout });
        const first = new Promise((resolve) => {
            lines.once('line', resolve);
            lines.once('close', () => resolve(null));
        });
        const line = await Promise.race([first, deadline(ms(10000))]);
        const m = line && /^mockllm listening on 127\.0\.0\.1:(\d+)$/.exec(line);
        if (!m)
            throw new Error(`the mock upstream did not start (first stdout line: ${JSON.stringify(line)})`);
        lines.on('line', () => {}); // keep draining: the mock writes nothing else, but never block it
        this.mockPort = Number(m[1]);
        this.mock = `http://127.0.0.1:${this.mockPort}`;
    }

    async #startSluice(bin) {
        this.httpPort = await freePort();
        this.base = `http://127.0.0.1:${this.httpPort}`;
        const providers = KINDS.map(
            (k) => `  - {name: p-${k}, kind: ${k}, base_url: "${this.mock}${BASE_PATH[k]}"}`,
        );
        const route = (r) =>
            Object.entries(r).map(([key, v], i) => `${i ? '    ' : '  - '}${key}: ${yaml(v)}`).join('\n');
        const routes = [
            ...KINDS.map((k) =>
                route({ model: `m-${k}`, targets: [{ provider: `p-${k}`, model: upstreamModel(k) }], ...this.opts.route }),
            ),
            ...(this.opts.routes ?? []).map(route),
        ];
        const sections = Object.entries(this.opts.sections ?? {}).map(([k, v]) => `${k}: ${yaml(v)}`);
        writeFileSync(
            this.cfg,
            [
                `listen: {http: "127.0.0.1:${this.httpPort}"}`,
                `data_dir: ${this.dir}/data`,
                'providers:',
                ...providers,
                'routes:',
                ...routes,
                ...sections,
                'demo: {enabled: false}',
                '',
            ].join('\n'),
        );
        const log = openSync(this.logs.sluice, 'a');
        this.sluiceProc = track(spawn(bin, ['up', '-c', this.cfg], { stdio: ['ignore', log, log] }));
        closeSync(log);
        const until = Date.now() + ms(30000);
        while (Date.now() < until) {
            if (await this.healthy())
                return;
            if (this.sluiceProc.exitCode !== null || this.sluiceProc.signalCode !== null)
                throw new Error(`sluice up exited during start-up (code ${this.sluiceProc.exitCode})`);
            await sleep(100);
        }
        throw new Error('sluice did not become healthy');
    }

    async healthy() {
        try {
            const r = await fetch(`${this.base}/healthz`, { signal: AbortSignal.timeout(1000) });
            await r.arrayBuffer();
            return r.status === 200;
        } catch {
            return false;
        }
    }

    // POST JSON to the mock or to sluice without an SDK: {status, body (parsed when JSON), text}.
    async post(url, json) {
        const r = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(json),
            signal: AbortSignal.timeout(ms(30000)),
        });
        const text = await r.text();
        let body = null;
        try {
            body = JSON.parse(text);
        } catch {
            // not JSON: callers look at text
        }
        return { status: r.status, body, text };
    }

    // SIGTERM sluice (it stops its children and must exit 0), then the mock. Prints the logs
    // and keeps the directory when anything failed; throws when the stop was not clean.
    async stop() {
        clearTimeout(this.watchdog);
        const problems = [];
        if (this.sluiceProc) {
            const s = await stopChild(this.sluiceProc, 'SIGTERM', ms(15000));
            if (s.killed || s.code !== 0)
                problems.push(`sluice did not exit 0 on SIGTERM (code ${s.code}, signal ${s.signal})`);
        }
        if (this.mockProc) {
            const s = await stopChild(this.mockProc, 'SIGTERM', ms(5000));
            if (s.killed || s.code !== 0)
                problems.push(`the mock did not exit 0 on SIGTERM (code ${s.code}, signal ${s.signal})`);
        }
        if (problems.length)
            this.failed = true;
        if (this.failed) {
            this.dumpLogs();
            process.stderr.write(`(kept ${this.dir})\n`);
        } else {
            rmSync(this.dir, { recursive: true, force: true });
        }
        if (problems.length)
            throw new Error(problems.join('; '));
    }

    dumpLogs() {
        for (const [name, file] of Object.entries(this.logs)) {
            let text = '';
            try {
                text = readFileSync(file, 'utf8');
            } catch {
                continue;
            }
            const MAX = 64 * 1024; // the tail is where the failure is
            if (text.length > MAX)
                text = `[... ${text.length - MAX} bytes cut ...]\n${text.slice(-MAX)}`;
            process.stderr.write(`---- ${name} log ${file} ----\n${text}---- end of ${name} log ----\n`);
        }
    }
}

export async function startSystem(opts = {}) {
    return new System(opts).start();
}
