// conformance.test.mjs - the official Durable Streams server conformance suite
// (@durable-streams/server-conformance-tests, pinned in package-lock.json) against a whole sluice:
// tests/sdk/system.mjs starts the mock upstream and `sluice up` with no gateway keys and the
// sections below, and every test of the suite talks to ${base}/v1/stream/<name>.
//
// SLUICE_DS_URL=http://host:port runs the suite against a server that is already running
// instead (a sluice started by hand, the reference server), with the same LONG_POLL_TIMEOUT_MS.
//
// runConformanceTests declares the suite's describe/test blocks when it is called, at the top
// level of this file, so the hooks here wrap every one of them. It reads config.baseUrl only
// when a test runs, so the port is filled in once sluice is up.
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { runConformanceTests } from '@durable-streams/server-conformance-tests';
import { System, ms } from '../sdk/system.mjs';

// How long sluice holds a long-poll read that has nothing new; the suite gives each long-poll
// test this plus 1 s. The config that says so (durable_streams.long_poll_ms):
const LONG_POLL_TIMEOUT_MS = 2000;
const SECTIONS = { durable_streams: { long_poll_ms: LONG_POLL_TIMEOUT_MS } };
// The time the suite's tests may take, all together (SLUICE_DS_BUDGET_S overrides it). Against a
// server that does its job the run takes about a minute (27 s against the reference server,
// @durable-streams/server; 64 s against sluice under ASan with most of the protocol in), so this
// never cuts a working run short; against one that hangs, every test waits for its own timeout
// (5 s by default, up to 60 s) and the suite would take half an hour or more. A test that starts
// once the budget is spent fails at once ("not run"), so the run ends with its results well
// inside CTest's TIMEOUT (900 s).
const BUDGET_MS = 300000;
// The whole run, start to stop: the budget, the last test's own timeout and the stop fit in it;
// a wedged sluice is killed before CTest's TIMEOUT, with its logs printed.
const WATCHDOG_MS = 840000;

const config = { baseUrl: '', longPollTimeoutMs: LONG_POLL_TIMEOUT_MS };
let sys;
let deadline;

beforeAll(async () => {
    if (process.env.SLUICE_DS_URL) {
        config.baseUrl = process.env.SLUICE_DS_URL.replace(/\/+$/, '');
    } else {
        sys = await new System({ sections: SECTIONS, watchdogMs: WATCHDOG_MS }).start();
        config.baseUrl = sys.base;
        process.stdout.write(`# sluice at ${sys.base} (dir ${sys.dir})\n`);
    }
    const budget = Number(process.env.SLUICE_DS_BUDGET_S) * 1000 || ms(BUDGET_MS);
    deadline = Date.now() + budget;
}, ms(60000));

beforeEach(() => {
    if (Date.now() > deadline)
        throw new Error(`not run: the suite's time budget is spent`);
});

afterAll(async () => {
    await sys?.stop();
}, ms(60000));

runConformanceTests(config);
