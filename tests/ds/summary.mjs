// summary.mjs - what the conformance run came to, from vitest's JSON report:
//
//   node summary.mjs <results.json> <min-passed> [<failures.txt>]
//
// Prints every failed test's full name (its describe path and title, joined by " > "), one a
// line, then total, passed, failed and skipped, and writes the same names to failures.txt (one
// a line, in the suite's order, nothing else: ready to paste into docs/). Exits 1 when fewer
// than min-passed tests passed, or when the file itself failed outside any test (sluice did not
// start or did not stop cleanly, the suite did not load); 2 on bad arguments or no report.
import { readFileSync, writeFileSync } from 'node:fs';

// What conformance.test.mjs fails a test with once the run's time budget is spent.
const BUDGET_SPENT = "not run: the suite's time budget is spent";

const [resultsFile, minArg, failuresFile] = process.argv.slice(2);
const min = Number(minArg);
if (!resultsFile || !Number.isInteger(min) || min < 0) {
    process.stderr.write('usage: node summary.mjs <results.json> <min-passed> [<failures.txt>]\n');
    process.exit(2);
}

let report;
try {
    report = JSON.parse(readFileSync(resultsFile, 'utf8'));
} catch (err) {
    process.stderr.write(`ds summary: no results in ${resultsFile} (${err.message}): `);
    process.stderr.write('vitest did not finish\n');
    process.exit(2);
}

const count = { total: 0, passed: 0, failed: 0, skipped: 0 };
const failures = [];
let notRun = 0; // failed because the run's time budget was spent (conformance.test.mjs)
const fileErrors = [];
for (const file of report.testResults ?? []) {
    if (file.message)
        fileErrors.push(`${file.name}: ${file.message}`);
    for (const t of file.assertionResults ?? []) {
        count.total++;
        if (t.status === 'passed') {
            count.passed++;
        } else if (t.status === 'failed') {
            count.failed++;
            failures.push([...(t.ancestorTitles ?? []), t.title].join(' > '));
            if ((t.failureMessages ?? []).some((m) => m.includes(BUDGET_SPENT)))
                notRun++;
        } else {
            count.skipped++; // skipped, pending, todo: the subscription tests are off by default
        }
    }
}

// The failures first, the counts last: the end of CTest's output is where one looks.
const out = [];
if (failures.length)
    out.push(`# failed tests (${failures.length}):`, ...failures);
out.push(
    `# Durable Streams conformance (${resultsFile}; minimum passed: ${min})`,
    `total ${count.total}`,
    `passed ${count.passed}`,
    `failed ${count.failed}`,
    `skipped ${count.skipped}`,
);
if (notRun)
    out.push(`# ${notRun} of the failed were not run, the time budget spent (SLUICE_DS_BUDGET_S)`);
if (failuresFile) {
    writeFileSync(failuresFile, failures.length ? `${failures.join('\n')}\n` : '');
    out.push(`# the failed tests' names are in ${failuresFile}`);
}
process.stdout.write(`${out.join('\n')}\n`);

let ok = true;
for (const e of fileErrors) {
    process.stdout.write(`FAIL: outside any test: ${e}\n`);
    ok = false;
}
if (count.total === 0) {
    process.stdout.write('FAIL: the report holds no tests\n');
    ok = false;
}
if (count.passed < min) {
    process.stdout.write(`FAIL: ${count.passed} passed, fewer than the minimum ${min}`);
    process.stdout.write(' (SL_DS_CONFORMANCE_MIN)\n');
    ok = false;
}
process.exit(ok ? 0 : 1);
