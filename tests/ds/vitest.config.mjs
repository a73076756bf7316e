// vitest.config.mjs - how CTest runs the Durable Streams conformance suite (CMakeLists.txt here):
// once (no watch), the one file, a line per test (verbose) and the whole result as JSON in the
// file SLUICE_DS_RESULTS names, which summary.mjs reads.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = path.dirname(fileURLToPath(import.meta.url));
const results = process.env.SLUICE_DS_RESULTS;

export default defineConfig({
    root: here,
    cacheDir: path.join(here, 'node_modules/.vite'),
    test: {
        watch: false,
        include: ['conformance.test.mjs'],
        reporters: results ? ['verbose', ['json', { outputFile: results }]] : ['verbose'],
    },
});
