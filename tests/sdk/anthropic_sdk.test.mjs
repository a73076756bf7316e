// anthropic_sdk.test.mjs - the official Anthropic Node SDK (new Anthropic({baseURL: <sluice>}))
// against every provider kind behind sluice. See matrix.mjs for the checks.
import { AnthropicClient } from './clients.mjs';
import { runMatrix } from './matrix.mjs';

await runMatrix((base) => new AnthropicClient(base));
