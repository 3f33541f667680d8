// An A/B of two builds of the package, e.g. before and after a lever:
//   node bench/ab.mjs <package dir A> <package dir B> [pairs] [--smoke]
// Each pair runs one fresh `node` per build, in alternating order (A first, then B first), so
// that neither the machine's drift nor the order favours one side. Each process measures, in
// this order: the import and the first requestToken (ms, the .wasm compiling lazily), the CPU
// time of a requestToken through an in-process stub fetch (µs), and what conn.fetch adds over a
// bare call to the same stub (µs). Printed: the medians per build and the median of the per-pair
// ratios B ÷ A, which is the figure to judge a lever by; the bench's one-process rows do not
// resolve a change under about 10% on a shared machine.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const CLIENTS = new URL('./clients.mjs', import.meta.url).href;

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4] === 'smoke');
} else {
  await parent();
}

async function child(dir, smoke) {
  const counts = smoke ? { warm: 20, calls: 50 } : { warm: 3000, calls: 10000 };
  const t0 = performance.now();
  const { requestToken, createConnection } = await import(pathToFileURL(resolve(dir, 'node.js')).href);
  const imported = performance.now();
  const { stubFetch, STUB_ENDPOINT, CLIENT_ID, CLIENT_SECRET, SCOPE, TOKEN_JSON } = await import(CLIENTS);
  const RESOURCE = 'https://api.example.com/items';
  const resource = () => Promise.resolve(new Response('{"ok":true}', { status: 200, headers: { 'content-type': 'application/json' } }));
  globalThis.fetch = (input) => ((typeof input === 'string' ? input : input.url) === STUB_ENDPOINT ? stubFetch() : resource());
  // The host's Response path warmed first, so that the first call measures the package's own.
  await (await stubFetch()).text();
  const config = { tokenEndpoint: STUB_ENDPOINT, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scope: SCOPE };
  const t1 = performance.now();
  const first = await requestToken(config);
  const firstMs = performance.now() - t1;
  if (first.accessToken !== JSON.parse(TOKEN_JSON).access_token) throw new Error('the first call got no token');

  const cpu = async (call) => {
    for (let i = 0; i < counts.warm; i++) await call();
    const c0 = process.cpuUsage();
    for (let i = 0; i < counts.calls; i++) await call();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / counts.calls;
  };
  const perCall = await cpu(() => requestToken(config));
  const conn = createConnection(config);
  const connFetch = await cpu(() => conn.fetch(RESOURCE));
  const floor = await cpu(() => resource(RESOURCE, { headers: { Authorization: 'Bearer x' } }));
  process.stdout.write(JSON.stringify({ importMs: imported - t0, firstMs, perCall, connFetch: connFetch - floor }) + '\n');
}

function run(dir, smoke) {
  return new Promise((ok, fail) => {
    const args = [SELF, '--child', dir, ...(smoke ? ['smoke'] : [])];
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', fail);
    p.on('exit', (code) => (code === 0 ? ok(JSON.parse(out)) : fail(new Error(`${dir}: exited with ${code}`))));
  });
}

async function parent() {
  const args = process.argv.slice(2);
  const smoke = args.includes('--smoke');
  const [a, b, n] = args.filter((x) => !x.startsWith('--'));
  if (!a || !b) {
    console.error('usage: node bench/ab.mjs <package dir A> <package dir B> [pairs] [--smoke]');
    process.exit(2);
  }
  const pairs = Number(n ?? (smoke ? 1 : 10));
  const samples = { A: [], B: [] };
  for (let i = 0; i < pairs; i++) {
    const order = i % 2 === 0 ? ['A', 'B'] : ['B', 'A'];
    for (const side of order) samples[side].push(await run(side === 'A' ? a : b, smoke));
  }
  const median = (xs) => {
    const s = [...xs].sort((x, y) => x - y);
    return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const rows = [
    ['import (ms)', 'importMs'],
    ['first requestToken (ms)', 'firstMs'],
    ['requestToken, CPU per call (µs)', 'perCall'],
    ['conn.fetch over a bare call, CPU (µs)', 'connFetch'],
  ];
  console.log(`A = ${a}\nB = ${b}\n${pairs} pairs of fresh processes, alternating order\n`);
  console.log('| | A | B | B ÷ A, median of pairs |\n|---|---:|---:|---:|');
  for (const [label, k] of rows) {
    const [ma, mb] = [median(samples.A.map((s) => s[k])), median(samples.B.map((s) => s[k]))];
    const ratio = median(samples.A.map((s, i) => samples.B[i][k] / s[k]));
    console.log(`| ${label} | ${ma.toFixed(2)} | ${mb.toFixed(2)} | ${ratio.toFixed(3)} |`);
  }
}
