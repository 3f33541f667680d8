// One contender alone in a fresh process: `node bench/alone.mjs <contender> <warm-up> <calls>`
// makes the per-call request (1) through the in-process stub fetch, `warm-up` times and then
// `calls` times, and prints one JSON line: {nsPerCall, token}. run.mjs starts one per contender
// and round, so that no contender's code shares a process (and V8's feedback) with another's.
import { contenders, requesters, stubFetch, STUB_ENDPOINT, US } from './clients.mjs';

const [name, warmUp, calls] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
if (name === US) globalThis.fetch = stubFetch; // this package calls the global fetch
const call = name === 'floor' ? requesters.floor(null, STUB_ENDPOINT, stubFetch) : await contenders[name](STUB_ENDPOINT, stubFetch);
let token;
for (let i = 0; i < warmUp; i++) token = await call();
const t0 = process.hrtime.bigint();
for (let i = 0; i < calls; i++) token = await call();
const nsPerCall = Number(process.hrtime.bigint() - t0) / calls;
process.stdout.write(JSON.stringify({ nsPerCall, token }) + '\n');
