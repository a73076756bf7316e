// openai_sdk.test.mjs - the official OpenAI Node SDK (new OpenAI({baseURL: <sluice>/v1}))
// against every provider kind behind sluice. See matrix.mjs for the checks.
import { OpenAIClient } from './clients.mjs';
import { runMatrix } from './matrix.mjs';

await runMatrix((base) => new OpenAIClient(base));
