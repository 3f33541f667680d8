// The benchmark suite: this package against oauth4webapi, openid-client and
// @badgateway/oauth2-client, every figure measured in one run, side by side, in interleaved
// rounds after a warm-up, reported as medians and as medians of per-round ratios.
//
//   node --expose-gc bench/run.mjs            full run: the summary table and each measurement's
//                                              on stdout, bench/results/latest.json, PASS/FAIL
//                                              per binding goal (exit 1 when one fails)
//   node --expose-gc bench/run.mjs --smoke    tiny counts: every row runs and gives numbers, and
//                                              the non-timing facts hold (tokens correct, one
//                                              token request for 1,000 concurrent conn.fetch,
//                                              sizes); asserts no timing
//   --out FILE                                 where the JSON goes
//
// Use `bash scripts/bench.sh`, which builds pkg/ and installs bench/'s packages when missing.

import { execFileSync, fork, spawn } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

import { contenders, requesters, PEERS, US, stubFetch, STUB_ENDPOINT, TOKEN_JSON, CLIENT_ID, CLIENT_SECRET, SCOPE } from './clients.mjs';
import { buildWorkers, startOnce, workerMemory } from './workers.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH, '..');
const PKG = join(ROOT, 'pkg');
const argv = process.argv.slice(2);
const SMOKE = argv.includes('--smoke');
const outArg = argv.indexOf('--out');
const OUT = outArg >= 0 ? argv[outArg + 1] : SMOKE ? join(ROOT, 'tests', '.tmp', 'bench-smoke.json') : join(BENCH, 'results', 'latest.json');

// Loopback: many short rounds rather than a few long ones, so that a burst of load from
// elsewhere on the machine spoils one round's ratio, not the median.
const COUNTS = SMOKE
  ? { perCallRounds: 2, perCallBatch: 20, aloneRounds: 1, aloneWarmUp: 10, aloneCalls: 20, loopRounds: 1, loopMs: 150, concurrency: 16, cachedRounds: 2, cachedBatch: 50, flightRounds: 1, coldRounds: 1, workersRounds: 1, memoryRounds: 1 }
  : { perCallRounds: 15, perCallBatch: 2000, aloneRounds: 5, aloneWarmUp: 3000, aloneCalls: 10000, loopRounds: 9, loopMs: 1000, concurrency: 16, cachedRounds: 15, cachedBatch: 20000, flightRounds: 5, coldRounds: 15, workersRounds: 11, memoryRounds: 3 };
const FLIGHT = 1000;
/** Connections in the memory measurement (Node and workerd). */
const CONNECTIONS = 1000;
const BG = '@badgateway/oauth2-client';
const EXPECTED_TOKEN = JSON.parse(TOKEN_JSON).access_token;
const CONFIG = { tokenEndpoint: STUB_ENDPOINT, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scope: SCOPE };

const log = (...a) => console.error('[bench]', ...a);
const facts = []; // non-timing checks; the smoke run fails on any false one
const check = (ok, what) => {
  facts.push({ ok: !!ok, what });
  if (!ok) log('FACT FAILED:', what);
};

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const now = () => Number(process.hrtime.bigint());
const gc = () => globalThis.gc?.();
/** The names in a different order each round, so no contender always runs first or last. */
const rotate = (names, r) => names.map((_, i) => names[(i + r) % names.length]);

/** Runs `rounds` interleaved rounds of `measure(name)` over `names`; returns samples per name. */
async function rounds(names, count, measure) {
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < count; r++) {
    for (const n of rotate(names, r)) {
      gc();
      samples[n].push(await measure(n));
    }
  }
  return samples;
}

/** Median of the per-round ratios a[i] / b[i]. */
const ratio = (a, b) => median(a.map((x, i) => x / b[i]));
/** Per round, the smallest value among `names`. */
const bestOf = (samples, names) => samples[names[0]].map((_, i) => Math.min(...names.map((n) => samples[n][i])));

// ---- (1) per-call overhead through an in-process stub fetch --------------------------------

async function perCall() {
  log('(1) per-call overhead, stub fetch');
  const realFetch = globalThis.fetch;
  globalThis.fetch = stubFetch; // this package calls the global fetch
  try {
    const calls = { floor: requesters.floor(null, STUB_ENDPOINT, stubFetch) };
    for (const name of [US, ...PEERS]) calls[name] = await contenders[name](STUB_ENDPOINT, stubFetch);
    const names = Object.keys(calls);
    for (const n of names) check((await calls[n]()) === EXPECTED_TOKEN, `(1) ${n} returns the canned access token`);
    const batch = async (n, k) => {
      const call = calls[n];
      const t0 = now();
      for (let i = 0; i < k; i++) await call();
      return (now() - t0) / k;
    };
    for (const n of names) await batch(n, COUNTS.perCallBatch); // warm-up
    const s = await rounds(names, COUNTS.perCallRounds, (n) => batch(n, COUNTS.perCallBatch));
    const fastestPeer = bestOf(s, PEERS);
    return {
      unit: 'ns/call',
      median: Object.fromEntries(names.map((n) => [n, median(s[n])])),
      ratioToFloor: Object.fromEntries(names.map((n) => [n, ratio(s[n], s.floor)])),
      usToFastestPeer: ratio(s[US], fastestPeer),
      usToEachPeer: Object.fromEntries(PEERS.map((p) => [p, ratio(s[US], s[p])])),
      samples: s,
    };
  } finally {
    globalThis.fetch = realFetch;
  }
}

/**
 * (1) again, each contender alone in a fresh process (bench/alone.mjs), in interleaved rounds:
 * what one library costs when no other library's code has run in the process.
 */
async function perCallAlone() {
  log('(1b) per call, each contender alone in a fresh process');
  const names = ['floor', US, ...PEERS];
  const s = await rounds(names, COUNTS.aloneRounds, (n) => {
    const args = [join(BENCH, 'alone.mjs'), n, String(COUNTS.aloneWarmUp), String(COUNTS.aloneCalls)];
    const out = JSON.parse(execFileSync(process.execPath, args, { cwd: BENCH, encoding: 'utf8' }));
    check(out.token === EXPECTED_TOKEN, `(1b) ${n} alone returns the canned access token`);
    return out.nsPerCall;
  });
  return {
    unit: 'ns/call',
    median: Object.fromEntries(names.map((n) => [n, median(s[n])])),
    ratioToFloor: Object.fromEntries(names.map((n) => [n, ratio(s[n], s.floor)])),
    usToFastestPeer: ratio(s[US], bestOf(s, PEERS)),
    samples: s,
  };
}

// ---- (2) loopback throughput ---------------------------------------------------------------

/** A bare fetch with the package's timeout, wire options and byte limit (clients.mjs). */
const GUARDED = 'bare fetch, timeout and byte limit';

async function loopback(endpoint) {
  log('(2) loopback throughput, node:http on 127.0.0.1,', COUNTS.concurrency, 'concurrent');
  const realFetch = globalThis.fetch;
  const calls = { 'bare fetch': requesters.floor(null, endpoint, realFetch), [GUARDED]: requesters.guardedFloor(null, endpoint, realFetch) };
  for (const name of [US, ...PEERS]) calls[name] = await contenders[name](endpoint, realFetch);
  const names = Object.keys(calls);
  for (const n of names) check((await calls[n]()) === EXPECTED_TOKEN, `(2) ${n} gets the token over loopback`);
  const run = async (n, ms) => {
    const call = calls[n];
    let done = 0;
    const t0 = now();
    const end = t0 + ms * 1e6;
    const worker = async () => {
      while (now() < end) {
        await call();
        done += 1;
      }
    };
    await Promise.all(Array.from({ length: COUNTS.concurrency }, worker));
    return done / ((now() - t0) / 1e9);
  };
  for (const n of names) await run(n, Math.min(300, COUNTS.loopMs)); // warm-up: sockets, JIT
  const s = await rounds(names, COUNTS.loopRounds, (n) => run(n, COUNTS.loopMs));
  const fastestPeer = PEERS.map((p) => s[p]).reduce((best, xs) => best.map((b, i) => Math.max(b, xs[i])));
  return {
    unit: 'req/s',
    concurrency: COUNTS.concurrency,
    median: Object.fromEntries(names.map((n) => [n, median(s[n])])),
    ratioToBareFetch: Object.fromEntries(names.map((n) => [n, ratio(s[n], s['bare fetch'])])),
    usToFastestPeer: ratio(s[US], fastestPeer),
    samples: s,
  };
}

/** The loopback token server (token-server.mjs) in its own process; `stop()` ends it. */
async function startTokenServer() {
  const server = fork(join(BENCH, 'token-server.mjs'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { port } = await new Promise((resolve, reject) => {
    server.once('message', resolve);
    server.once('error', reject);
    server.once('exit', (c) => reject(new Error(`token server exited (${c})`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}/oauth2/token`,
    async stop() {
      if (server.exitCode !== null) return;
      const exited = new Promise((r) => server.once('exit', r));
      server.send('stop');
      await exited;
    },
  };
}

// ---- (3) the cached path, and 1,000 concurrent conn.fetch on a fresh connection ------------

const FETCH_FLOOR = 'bare fetch with the token in hand';

async function cached() {
  log('(3) cached token; 1,000 concurrent conn.fetch');
  const { createConnection } = await import('oauth-token-connection');
  const { OAuth2Client, OAuth2Fetch } = await import('@badgateway/oauth2-client');
  const realFetch = globalThis.fetch;
  const RESOURCE = 'https://api.example.com/items';
  let tokenRequests = 0;
  // Token endpoint and resource server in one stub: the token endpoint answers after a timer
  // tick, so every concurrent caller is waiting while the first request is in flight.
  const counting = (input) => {
    const url = typeof input === 'string' ? input : input.url;
    if (url === STUB_ENDPOINT) {
      tokenRequests += 1;
      return new Promise((r) => setTimeout(r, 1)).then(() => stubFetch());
    }
    return Promise.resolve(new Response('{"ok":true}', { status: 200, headers: { 'content-type': 'application/json' } }));
  };
  globalThis.fetch = counting; // this package and OAuth2Fetch.fetch call the global fetch
  try {
    const bgFetch = () => {
      const client = new OAuth2Client({
        server: 'https://auth.example.com', tokenEndpoint: STUB_ENDPOINT, clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET, authenticationMethod: 'client_secret_basic', fetch: counting,
      });
      return new OAuth2Fetch({ client, getNewToken: () => client.clientCredentials({ scope: [SCOPE] }), scheduleRefresh: false });
    };
    const conn = createConnection(CONFIG);
    const bg = bgFetch();
    check((await conn.token()).accessToken === EXPECTED_TOKEN, '(3) conn.token() gets the token');
    check((await bg.getToken()).accessToken === EXPECTED_TOKEN, '(3) OAuth2Fetch.getToken() gets the token');
    tokenRequests = 0;
    const calls = {
      [`${US} conn.token()`]: () => conn.token(),
      [`${BG} OAuth2Fetch.getToken()`]: () => bg.getToken(),
    };
    // The floor of a REST call: the caller's own fetch with the token in hand. What a
    // connection's fetch() adds is its time over this one.
    const bearer = { headers: { Authorization: `Bearer ${EXPECTED_TOKEN}` } };
    const fetchCalls = {
      [`${US} conn.fetch()`]: () => conn.fetch(RESOURCE),
      [`${BG} OAuth2Fetch.fetch()`]: () => bg.fetch(RESOURCE),
      [FETCH_FLOOR]: () => counting(RESOURCE, bearer),
    };
    const batch = (table) => async (n, k) => {
      const call = table[n];
      const t0 = now();
      for (let i = 0; i < k; i++) await call();
      return (now() - t0) / k;
    };
    const tokenNames = Object.keys(calls);
    const fetchNames = Object.keys(fetchCalls);
    for (const n of tokenNames) await batch(calls)(n, COUNTS.cachedBatch);
    const s = await rounds(tokenNames, COUNTS.cachedRounds, (n) => batch(calls)(n, COUNTS.cachedBatch));
    const fetchBatch = Math.max(10, COUNTS.cachedBatch / 20);
    for (const n of fetchNames) await batch(fetchCalls)(n, fetchBatch);
    const f = await rounds(fetchNames, COUNTS.cachedRounds, (n) => batch(fetchCalls)(n, fetchBatch));
    check(tokenRequests === 0, `(3) the cached measurements made no token request (made ${tokenRequests})`);

    // 1,000 concurrent calls on a fresh connection, interleaved with the same for OAuth2Fetch.
    const flight = { [US]: [], [BG]: [] };
    const flightMs = { [US]: [], [BG]: [] };
    for (let r = 0; r < COUNTS.flightRounds; r++) {
      for (const n of rotate([US, BG], r)) {
        gc();
        const c = n === US ? createConnection(CONFIG) : bgFetch();
        tokenRequests = 0;
        const t0 = now();
        const responses = await Promise.all(Array.from({ length: FLIGHT }, () => c.fetch(RESOURCE)));
        flightMs[n].push((now() - t0) / 1e6);
        flight[n].push(tokenRequests);
        check(responses.every((res) => res.status === 200), `(3) ${n}: all ${FLIGHT} concurrent fetches answered`);
      }
    }
    for (const c of flight[US]) check(c === 1, `(3) ${FLIGHT} concurrent conn.fetch on a fresh connection made exactly 1 token request (made ${c})`);
    return {
      unit: 'ns/call',
      median: Object.fromEntries(tokenNames.map((n) => [n, median(s[n])])),
      usToBadgateway: ratio(s[tokenNames[0]], s[tokenNames[1]]),
      fetchMedian: Object.fromEntries(fetchNames.map((n) => [n, median(f[n])])),
      fetchUsToBadgateway: ratio(f[fetchNames[0]], f[fetchNames[1]]),
      // (conn.fetch() - floor) / (OAuth2Fetch.fetch() - floor), per round
      fetchOverheadUsToBadgateway: median(f[fetchNames[0]].map((u, i) => (u - f[FETCH_FLOOR][i]) / (f[fetchNames[1]][i] - f[FETCH_FLOOR][i]))),
      concurrent: {
        calls: FLIGHT,
        tokenRequests: flight,
        medianMs: Object.fromEntries(Object.entries(flightMs).map(([n, xs]) => [n, median(xs)])),
      },
      samples: s,
      fetchSamples: f,
    };
  } finally {
    globalThis.fetch = realFetch;
  }
}

// ---- (4) cold start ------------------------------------------------------------------------

function coldOnce(name, endpoint) {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const child = spawn(process.execPath, [join(BENCH, 'cold.mjs'), name, endpoint], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const wall = (now() - t0) / 1e6;
      if (code !== 0) return reject(new Error(`cold start of ${name} exited with ${code}`));
      resolve({ wall, ...JSON.parse(out) });
    });
  });
}

async function coldStart(endpoint) {
  log('(4) cold start, fresh node processes, the first token over loopback');
  const names = ['floor', US, ...PEERS];
  for (const n of names) {
    const r = await coldOnce(n, endpoint); // warm-up: the file system cache
    check(r.token === EXPECTED_TOKEN, `(4) ${n}: a fresh process gets the token over loopback`);
  }
  const raw = await rounds(names, COUNTS.coldRounds, (n) => coldOnce(n, endpoint));
  for (const n of names) check(raw[n].every((r) => r.token === EXPECTED_TOKEN), `(4) ${n}: every process got the token`);
  const pick = (k, ns = names) => Object.fromEntries(ns.map((n) => [n, raw[n].map((x) => x[k])]));
  const wall = pick('wall');
  const inProcess = pick('importAndRequest');
  const libs = [US, ...PEERS];
  const imp = pick('importMs', libs);
  return {
    unit: 'ms',
    processes: COUNTS.coldRounds,
    wallMedian: Object.fromEntries(names.map((n) => [n, median(wall[n])])),
    importAndRequestMedian: Object.fromEntries(names.map((n) => [n, median(inProcess[n])])),
    importMedian: Object.fromEntries(libs.map((n) => [n, median(imp[n])])),
    wallRatioToOauth4webapi: Object.fromEntries(names.map((n) => [n, ratio(wall[n], wall.oauth4webapi)])),
    importAndRequestRatioToOauth4webapi: Object.fromEntries(names.map((n) => [n, ratio(inProcess[n], inProcess.oauth4webapi)])),
    importRatioToOauth4webapi: Object.fromEntries(libs.map((n) => [n, ratio(imp[n], imp.oauth4webapi)])),
    samples: { wall, importAndRequest: inProcess, import: imp },
  };
}

// ---- (6) Workers startup in workerd (Miniflare) ---------------------------------------------

async function workersStartup(endpoint) {
  log('(6) Workers startup, workerd through Miniflare, the first token over loopback');
  const names = ['floor', US, ...PEERS];
  const workers = await buildWorkers(names);
  const ours = workers[US];
  check(ours.length === 2 && ours[1].type === 'CompiledWasm' && /^import \w+ from "\.\/oauth_token_connection_bg\.wasm";$/m.test(ours[0].contents),
    `(6) ${US}: the Worker bundles the workerd entry, which imports the .wasm as a module of its own`);
  const once = async (n) => {
    const r = await startOnce(workers[n], endpoint);
    check(r.status === 200 && r.token === EXPECTED_TOKEN, `(6) ${n}: the Worker's first response is the token (${r.status})`);
    return r;
  };
  for (const n of names) await once(n); // warm-up: workerd's binary and the file system cache
  const raw = await rounds(names, COUNTS.workersRounds, once);
  const pick = (k) => Object.fromEntries(names.map((n) => [n, raw[n].map((x) => x[k])]));
  const [ready, firstFetch, total] = ['ready', 'firstFetch', 'total'].map(pick);
  const med = (xs) => Object.fromEntries(names.map((n) => [n, median(xs[n])]));
  const toO4 = (xs) => Object.fromEntries(names.map((n) => [n, ratio(xs[n], xs.oauth4webapi)]));
  const scriptBytes = Object.fromEntries(names.map((n) => [n, workers[n].reduce((sum, m) => sum + m.contents.length, 0)]));
  return {
    unit: 'ms',
    starts: COUNTS.workersRounds,
    scriptBytes,
    readyMedian: med(ready),
    firstFetchMedian: med(firstFetch),
    totalMedian: med(total),
    totalRatioToOauth4webapi: toO4(total),
    firstFetchRatioToOauth4webapi: toO4(firstFetch),
    samples: { ready, firstFetch, total },
  };
}

// ---- (7) memory ----------------------------------------------------------------------------

function memoryOnce(name) {
  const out = execFileSync(process.execPath, ['--expose-gc', join(BENCH, 'memory.mjs'), name, String(CONNECTIONS)], { encoding: 'utf8' });
  return JSON.parse(out);
}

async function memory(endpoint) {
  log('(7) memory: the wasm instance at rest and with', CONNECTIONS, 'connections; the JS heap');
  const PHASES = ['atRest', 'afterOneRequest', 'afterConnections', 'afterDrop'];
  const names = [US, BG];
  const raw = await rounds(names, COUNTS.memoryRounds, memoryOnce);
  for (const n of names) check(raw[n].every((r) => r.tokensCorrect), `(7) ${n}: the request and all ${CONNECTIONS} connections got the token`);
  const med = (n, phase, k) => median(raw[n].map((r) => r[phase][k]));
  const node = Object.fromEntries(PHASES.map((p) => [p, med(US, p, 'wasmBytes')]));
  for (const p of PHASES) check(node[p] > 0 && node[p] % 65536 === 0, `(7) wasm memory ${p} is whole 64 KiB pages`);
  const heap = Object.fromEntries(names.map((n) => [n, Object.fromEntries(PHASES.map((p) => [p, med(n, p, 'heapUsed')]))]));
  // The JS heap the connections hold: with them alive, over before them.
  const perConnection = Object.fromEntries(names.map((n) => [n, median(raw[n].map((r) => (r.afterConnections.heapUsed - r.afterOneRequest.heapUsed) / CONNECTIONS))]));
  const w = await workerMemory(endpoint, CONNECTIONS);
  check(w.token === EXPECTED_TOKEN && w.connectionTokens.length === 1 && w.connectionTokens[0] === EXPECTED_TOKEN, `(7) workerd: the request and all ${CONNECTIONS} connections got the token`);
  const workerd = { atRest: w.atRest, afterOneRequest: w.afterOneRequest, afterConnections: w.afterConnections };
  for (const [p, v] of Object.entries(workerd)) check(v > 0 && v % 65536 === 0, `(7) workerd wasm memory ${p} is whole 64 KiB pages`);
  return { unit: 'bytes', connections: CONNECTIONS, processes: COUNTS.memoryRounds, wasm: { node, workerd }, heap, heapPerConnection: perConnection, samples: raw };
}

// ---- (5) size ------------------------------------------------------------------------------

/** What a page loads from pkg/ through the `browser` condition, besides the .wasm. */
export const GLUE_FILES = ['browser.js', 'package.js'];
/** gzip -9 (GNU gzip, as scripts/build.sh measures; -n: no name or time in the header). */
const gz = (buf) => execFileSync('gzip', ['-9', '-n', '-c'], { input: buf, maxBuffer: 1 << 26 }).length;

async function size() {
  log('(5) size');
  const esbuild = await import('esbuild');
  // The default entry (pkg/), and oauth-token-connection/full (pkg/full/: previewRequest and the
  // shared cache), each as a page loads it.
  const measure = (dir) => {
    const wasm = readFileSync(join(dir, 'oauth_token_connection_bg.wasm'));
    const glue = Buffer.concat(GLUE_FILES.map((f) => readFileSync(join(dir, f))));
    const m = { files: GLUE_FILES, wasm: { raw: wasm.length, gzip: gz(wasm) }, glue: { raw: glue.length, gzip: gz(glue) } };
    m.total = { raw: m.wasm.raw + m.glue.raw, gzip: m.wasm.gzip + m.glue.gzip };
    return m;
  };
  const shipped = measure(PKG);
  const shippedFull = measure(join(PKG, 'full'));

  const entries = {
    [US]: { whole: `export * from '${US}';`, subset: `export { requestToken } from '${US}';` },
    oauth4webapi: {
      whole: `export * from 'oauth4webapi';`,
      subset: `export { clientCredentialsGrantRequest, processClientCredentialsResponse, ClientSecretBasic } from 'oauth4webapi';`,
    },
    'openid-client': {
      whole: `export * from 'openid-client';`,
      subset: `export { Configuration, clientCredentialsGrant, ClientSecretBasic } from 'openid-client';`,
    },
    '@badgateway/oauth2-client': {
      whole: `export * from '@badgateway/oauth2-client';`,
      subset: `export { OAuth2Client } from '@badgateway/oauth2-client';`,
    },
  };
  const bundle = async (contents) => {
    const r = await esbuild.build({
      stdin: { contents, resolveDir: BENCH, loader: 'js' },
      bundle: true, minify: true, format: 'esm', platform: 'browser', target: 'es2022',
      write: false, logLevel: 'silent',
    });
    const js = r.outputFiles[0].contents;
    return { raw: js.length, gzip: gz(js) };
  };
  const bundled = {};
  for (const [name, e] of Object.entries(entries)) {
    bundled[name] = {};
    for (const kind of ['whole', 'subset']) {
      const js = await bundle(e[kind]);
      // This package's bundle leaves the .wasm as a separate asset (new URL(..., import.meta.url)).
      bundled[name][kind] = name === US
        ? { jsRaw: js.raw, jsGzip: js.gzip, raw: js.raw + shipped.wasm.raw, gzip: js.gzip + shipped.wasm.gzip }
        : { raw: js.raw, gzip: js.gzip };
    }
  }
  for (const [n, b] of Object.entries(bundled)) {
    check(b.whole.gzip > 0 && b.subset.gzip > 0 && b.subset.gzip <= b.whole.gzip, `(5) ${n}: sizes computed`);
  }
  check(shipped.wasm.gzip > 0 && shipped.glue.gzip > 0, `(5) ${US}: .wasm and glue sizes computed`);
  check(shippedFull.total.gzip > shipped.total.gzip, `(5) ${US}/full: sizes computed, above the default entry's`);
  return { unit: 'bytes', gzip: 'gzip -9 -n', shipped, shippedFull, bundled, esbuild: esbuild.version };
}

// ---- report --------------------------------------------------------------------------------

const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : String(x));
const kb = (b) => `${(b / 1000).toFixed(1)} KB`;
const x = (r) => `${r.toFixed(2)}x`;

const us = (ns, d = 1) => fmt(ns / 1000, d);
const kib = (b) => `${fmt(b / 1024)} KiB`;

/**
 * The goals, on what users pay for: loopback, the cached token, cold start, the download (the
 * default entry as an app's bundler ships it), and the stub per call as a guard. A binding goal
 * that fails makes a full run exit 1; a report goal is shown and never fails it. Import alone,
 * Workers startup and memory are information. The smoke run shows the goals without a verdict.
 */
function budgets(res) {
  const b = [];
  const add = (id, what, value, limit, { unit = 'x', atLeast = false, binding = true } = {}) =>
    b.push({ id, what, value, limit, unit, atLeast, binding, pass: SMOKE ? null : atLeast ? value >= limit : value <= limit });
  add('per call', 'per call (stub fetch): ours ÷ fastest peer', res.perCall.usToFastestPeer, 1.2);
  add('loopback', 'loopback req/s: ours ÷ bare fetch', res.loopback.ratioToBareFetch[US], 0.95, { atLeast: true });
  add('loopback peers', 'loopback req/s: ours ÷ fastest peer', res.loopback.usToFastestPeer, 1.0, { atLeast: true });
  add('cold start', 'cold start, process wall (import + first token over loopback): ours ÷ oauth4webapi', res.coldStart.wallRatioToOauth4webapi[US], 1.0);
  add('size', 'default entry bundled (esbuild --bundle --minify, browser entry) + .wasm, gzip -9', res.size.bundled[US].whole.gzip / 1000, 20, { unit: 'KB' });
  add('cached', 'cached token: conn.token() ÷ OAuth2Fetch.getToken()', res.cached.usToBadgateway, 0.8, { binding: false });
  add('conn.fetch', 'conn.fetch() overhead over a bare fetch ÷ OAuth2Fetch.fetch()\'s', res.cached.fetchOverheadUsToBadgateway, 0.6, { binding: false });
  return b;
}

const limitText = (b) => `${b.atLeast ? '≥' : '≤'} ${b.unit === 'x' ? `${b.limit.toFixed(2)}x` : `${b.limit} ${b.unit}`}`;
const verdict = (b) => (b.pass === null ? '' : b.binding ? (b.pass ? 'PASS' : 'FAIL') : b.pass ? 'met' : 'not met');

/** Every row in one table: each contender's figure side by side, ours' ratio, and the goal. */
function summary(res) {
  const { perCall: p, perCallAlone: a, loopback: l, cached: c, coldStart: k, size: s, workers: w, memory: m } = res;
  const goals = Object.fromEntries(res.budgets.map((b) => [b.id, b]));
  const goal = (id) => {
    const b = goals[id];
    const kind = b.binding ? '' : ' goal (report)';
    return `${limitText(b)}${kind}${b.pass === null ? '' : `: ${verdict(b)}`}`;
  };
  const dash = '—';
  const L = [];
  L.push(`| | ${US} | ${PEERS.join(' | ')} | no library | ours ÷ | goal |`);
  L.push(`|---|${'---:|'.repeat(PEERS.length + 3)}---|`);
  const row = (label, cells, floor, ratioText, goalText = 'information') =>
    L.push(`| ${label} | ${[US, ...PEERS].map((n) => cells[n] ?? dash).join(' | ')} | ${floor ?? dash} | ${ratioText} | ${goalText} |`);
  const each = (values, f) => Object.fromEntries(Object.entries(values).map(([n, v]) => [n, f(v)]));

  row('Per call, stub fetch (µs)', each(p.median, (v) => us(v)), us(p.median.floor), `${x(p.usToFastestPeer)} fastest peer`, goal('per call'));
  row('… each contender alone in a fresh process (µs)', each(a.median, (v) => us(v)), us(a.median.floor), `${x(a.usToFastestPeer)} fastest peer`);
  row(`Loopback, ${l.concurrency} concurrent (req/s)`, each(l.median, fmt), fmt(l.median['bare fetch']), `${x(l.ratioToBareFetch[US])} bare fetch`, goal('loopback'));
  row('… the same, against the peers', {}, null, `${x(l.usToFastestPeer)} fastest peer`, goal('loopback peers'));
  row(`… no library: a bare fetch with the package's timeout, redirect and cache options and byte limit (req/s)`, {}, fmt(l.median[GUARDED]), `${x(l.ratioToBareFetch[GUARDED])} bare fetch`);
  row('Import in a fresh process (ms)', each(k.importMedian, (v) => fmt(v, 1)), null, `${x(k.importRatioToOauth4webapi[US])} oauth4webapi`);
  row('Cold start: fresh process wall, import + first token over loopback (ms)', each(k.wallMedian, (v) => fmt(v, 1)), fmt(k.wallMedian.floor, 1), `${x(k.wallRatioToOauth4webapi[US])} oauth4webapi`, goal('cold start'));
  row('… import + first token alone, in the process (ms)', each(k.importAndRequestMedian, (v) => fmt(v, 1)), fmt(k.importAndRequestMedian.floor, 1), `${x(k.importAndRequestRatioToOauth4webapi[US])} oauth4webapi`);
  const [tokenUs, tokenBg] = Object.values(c.median);
  row('Cached token: conn.token() · OAuth2Fetch.getToken() (ns)', { [US]: fmt(tokenUs), [BG]: fmt(tokenBg) }, null, `${x(c.usToBadgateway)} ${BG}`, goal('cached'));
  const [fetchUs, fetchBg] = [c.fetchMedian[`${US} conn.fetch()`], c.fetchMedian[`${BG} OAuth2Fetch.fetch()`]];
  const fetchFloor = c.fetchMedian[FETCH_FLOOR];
  row('conn.fetch() · OAuth2Fetch.fetch() over a bare fetch, stub resource (µs)', { [US]: us(fetchUs - fetchFloor), [BG]: us(fetchBg - fetchFloor) }, us(fetchFloor), `${x(c.fetchOverheadUsToBadgateway)} ${BG}`, goal('conn.fetch'));
  row('Default entry bundled by esbuild --minify (+ .wasm), gzip -9 (KB)', each(s.bundled, (b) => fmt(b.whole.gzip / 1000, 1)), null, `${x(s.bundled[US].whole.gzip / s.bundled.oauth4webapi.whole.gzip)} oauth4webapi`, goal('size'));
  row('Workers startup: new Miniflare → first response, a token over loopback (ms)', each(w.totalMedian, (v) => fmt(v, 1)), fmt(w.totalMedian.floor, 1), `${x(w.totalRatioToOauth4webapi[US])} oauth4webapi`);
  row('… the first dispatchFetch alone (ms)', each(w.firstFetchMedian, (v) => fmt(v, 1)), fmt(w.firstFetchMedian.floor, 1), `${x(w.firstFetchRatioToOauth4webapi[US])} oauth4webapi`);
  const both = (phase) => `${kib(m.wasm.node[phase])} · ${kib(m.wasm.workerd[phase])}`;
  row('wasm memory at rest, imported (Node · workerd)', { [US]: both('atRest') }, null, '');
  row('… after one token request', { [US]: both('afterOneRequest') }, null, '');
  row(`… with ${fmt(m.connections)} connections alive, each with its token`, { [US]: both('afterConnections') }, null, '');
  row(`… those connections dropped, after gc (Node)`, { [US]: kib(m.wasm.node.afterDrop) }, null, '');
  row(`JS heap per connection, ${fmt(m.connections)} alive, Node (bytes)`, each(m.heapPerConnection, fmt), null, `${x(m.heapPerConnection[US] / m.heapPerConnection[BG])} ${BG}`);
  return L;
}

function markdown(res) {
  const L = [];
  const { perCall: p, loopback: l, cached: c, coldStart: k, size: s, workers: w, memory: m } = res;
  L.push(`Run ${res.date} · ${res.machine.cores} cores (${res.machine.cpu}) · ${res.machine.os} · Node ${res.machine.node}${SMOKE ? ' · SMOKE (tiny counts, numbers meaningless)' : ''}`);
  L.push('');
  L.push('**Summary**: medians; ours ÷ is the median of per-round ratios');
  L.push('');
  L.push(...summary(res));
  L.push('');
  L.push('**Goals**: a binding goal that fails makes the run exit 1; a report goal never does');
  L.push('');
  L.push('| | value | goal | |');
  L.push('|---|---:|---:|---|');
  for (const b of res.budgets) {
    const v = b.unit === 'x' ? x(b.value) : `${b.value.toFixed(1)} ${b.unit}`;
    L.push(`| ${b.what} | ${v} | ${limitText(b)}${b.binding ? '' : ' goal (report)'} | ${verdict(b)} |`);
  }
  L.push('');
  L.push(`**(1) Per call**, client_credentials with Basic auth through an in-process stub fetch (${p.samples.floor.length} rounds × ${COUNTS.perCallBatch} calls)`);
  L.push('');
  L.push('| | ns/call | × floor | ours ÷ this peer |');
  L.push('|---|---:|---:|---:|');
  for (const n of Object.keys(p.median)) {
    L.push(`| ${n === 'floor' ? 'floor (stub fetch + `.json()`)' : n} | ${fmt(p.median[n])} | ${x(p.ratioToFloor[n])} | ${PEERS.includes(n) ? x(p.usToEachPeer[n]) : ''} |`);
  }
  L.push('');
  const a = res.perCallAlone;
  L.push(`**(1b) Per call, each contender alone** in a fresh \`node\` (bench/alone.mjs: ${COUNTS.aloneWarmUp} calls, then ${COUNTS.aloneCalls} timed; ${a.samples.floor.length} interleaved rounds)`);
  L.push('');
  L.push('| | ns/call | × floor |');
  L.push('|---|---:|---:|');
  for (const n of Object.keys(a.median)) L.push(`| ${n === 'floor' ? 'floor (stub fetch + \`.json()\`)' : n} | ${fmt(a.median[n])} | ${x(a.ratioToFloor[n])} |`);
  L.push('');
  L.push(`ours ÷ the fastest peer, per round: ${x(a.usToFastestPeer)}.`);
  L.push('');
  L.push(`**(2) Loopback throughput**, ${l.concurrency} concurrent, node:http token server on 127.0.0.1 in its own process (${COUNTS.loopRounds} rounds × ${COUNTS.loopMs} ms)`);
  L.push('');
  L.push('| | req/s | × bare fetch |');
  L.push('|---|---:|---:|');
  for (const n of Object.keys(l.median)) L.push(`| ${n} | ${fmt(l.median[n])} | ${x(l.ratioToBareFetch[n])} |`);
  L.push('');
  L.push(`ours ÷ the fastest peer, per round: ${x(l.usToFastestPeer)}.`);
  L.push('');
  L.push(`**(3) Cached token** (${COUNTS.cachedRounds} rounds × ${COUNTS.cachedBatch} calls; fetch through a stub: ${Math.max(10, COUNTS.cachedBatch / 20)} calls)`);
  L.push('');
  L.push('| | ns/call |');
  L.push('|---|---:|');
  for (const n of Object.keys(c.median)) L.push(`| ${n} | ${fmt(c.median[n])} |`);
  for (const n of Object.keys(c.fetchMedian)) L.push(`| ${n} (stub resource) | ${fmt(c.fetchMedian[n])} |`);
  L.push('');
  L.push(`us ÷ badgateway: token ${x(c.usToBadgateway)}, fetch ${x(c.fetchUsToBadgateway)}, fetch over the bare fetch ${x(c.fetchOverheadUsToBadgateway)}. ${c.concurrent.calls} concurrent \`fetch\` on a fresh connection: token requests ${Object.entries(c.concurrent.tokenRequests).map(([n, v]) => `${n} ${[...new Set(v)].join('/')}`).join(', ')}; median ${Object.entries(c.concurrent.medianMs).map(([n, v]) => `${n} ${fmt(v, 1)} ms`).join(', ')}.`);
  L.push('');
  L.push(`**(4) Cold start**: a fresh \`node\` imports the library and requests one token from the loopback token server (median of ${k.processes} processes each, interleaved)`);
  L.push('');
  L.push('| | process wall ms | × oauth4webapi | import + request ms | × oauth4webapi | import ms | × oauth4webapi |');
  L.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const n of Object.keys(k.wallMedian)) {
    const imp = n in k.importMedian ? `${fmt(k.importMedian[n], 1)} | ${x(k.importRatioToOauth4webapi[n])}` : ' | ';
    L.push(`| ${n === 'floor' ? 'floor (node + bare fetch, no library)' : n} | ${fmt(k.wallMedian[n], 1)} | ${x(k.wallRatioToOauth4webapi[n])} | ${fmt(k.importAndRequestMedian[n], 1)} | ${x(k.importAndRequestRatioToOauth4webapi[n])} | ${imp} |`);
  }
  L.push('');
  L.push(`**(5) Size**, \`gzip -9\`; peers bundled by esbuild ${s.esbuild} (minified ESM, platform browser)`);
  L.push('');
  L.push('| | whole raw | whole gzip | client-credentials subset raw | subset gzip |');
  L.push('|---|---:|---:|---:|---:|');
  L.push(`| ${US} as shipped: .wasm + ${s.shipped.files.join(' + ')} | ${kb(s.shipped.total.raw)} | ${kb(s.shipped.total.gzip)} | (same) | (same) |`);
  L.push(`| … of which .wasm | ${kb(s.shipped.wasm.raw)} | ${kb(s.shipped.wasm.gzip)} | | |`);
  L.push(`| … of which JS glue | ${kb(s.shipped.glue.raw)} | ${kb(s.shipped.glue.gzip)} | | |`);
  L.push(`| ${US}/full as shipped (adds previewRequest, the shared cache and signed assertions) | ${kb(s.shippedFull.total.raw)} | ${kb(s.shippedFull.total.gzip)} | | |`);
  for (const [n, b] of Object.entries(s.bundled)) {
    const label = n === US ? `${US} bundled by esbuild (+ .wasm)` : n;
    L.push(`| ${label} | ${kb(b.whole.raw)} | ${kb(b.whole.gzip)} | ${kb(b.subset.raw)} | ${kb(b.subset.gzip)} |`);
  }
  L.push('');
  L.push(`**(6) Workers startup**: Miniflare ${res.versions.miniflare} starts workerd with a Worker bundled by esbuild (this package's .wasm a separate module) whose first request gets a token from the loopback token server (median of ${w.starts} starts each, interleaved)`);
  L.push('');
  L.push('| | script KB | new Miniflare → ready ms | first dispatchFetch ms | × oauth4webapi | total ms | × oauth4webapi |');
  L.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const n of Object.keys(w.totalMedian)) {
    L.push(`| ${n === 'floor' ? 'floor (bare fetch, no library)' : n} | ${fmt(w.scriptBytes[n] / 1000, 1)} | ${fmt(w.readyMedian[n], 1)} | ${fmt(w.firstFetchMedian[n], 1)} | ${x(w.firstFetchRatioToOauth4webapi[n])} | ${fmt(w.totalMedian[n], 1)} | ${x(w.totalRatioToOauth4webapi[n])} |`);
  }
  L.push('');
  L.push(`**(7) Memory**: this package's wasm memory (\`memory.buffer.byteLength\`, 64 KiB pages) and the JS heap after gc, in a fresh Node process per contender (median of ${m.processes}); token requests to an in-process stub, except the one token request in workerd (loopback)`);
  L.push('');
  L.push(`| | wasm, Node | wasm, workerd | JS heap ${US} | JS heap ${BG} |`);
  L.push('|---|---:|---:|---:|---:|');
  const phases = { atRest: 'imported, at rest', afterOneRequest: 'after one token request', afterConnections: `${fmt(m.connections)} connections alive, each with its token`, afterDrop: 'those connections dropped, after gc' };
  for (const [ph, label] of Object.entries(phases)) {
    const wd = m.wasm.workerd[ph];
    L.push(`| ${label} | ${kib(m.wasm.node[ph])} | ${wd === undefined ? '' : kib(wd)} | ${kib(m.heap[US][ph])} | ${kib(m.heap[BG][ph])} |`);
  }
  L.push('');
  L.push(`JS heap per connection alive: ${US} ${fmt(m.heapPerConnection[US])} B, ${BG} ${fmt(m.heapPerConnection[BG])} B (the wasm memory comes on top for ${US}).`);
  return L.join('\n');
}

// ---- main ----------------------------------------------------------------------------------

if (!globalThis.gc) log('note: run with --expose-gc for steadier figures (scripts/bench.sh does)');
const t0 = Date.now();
const res = {
  date: new Date().toISOString(),
  smoke: SMOKE,
  machine: {
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model.trim(),
    os: `${readFileSync('/etc/os-release', 'utf8').match(/PRETTY_NAME="([^"]+)"/)?.[1] ?? os.type()} (${os.release()})`,
    node: process.versions.node,
    loadavgAtStart: os.loadavg(),
  },
  counts: COUNTS,
  versions: Object.fromEntries(PEERS.map((p) => [p, JSON.parse(readFileSync(join(BENCH, 'node_modules', p, 'package.json'), 'utf8')).version])),
};
res.versions[US] = JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8')).version;
res.versions.miniflare = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'miniflare', 'package.json'), 'utf8')).version;
// One loopback token server for every measurement that goes over loopback: (2), (4), (6), (7).
const tokenServer = await startTokenServer();
try {
  res.perCall = await perCall();
  res.perCallAlone = await perCallAlone();
  res.loopback = await loopback(tokenServer.endpoint);
  res.cached = await cached();
  res.coldStart = await coldStart(tokenServer.endpoint);
  res.size = await size();
  res.workers = await workersStartup(tokenServer.endpoint);
  res.memory = await memory(tokenServer.endpoint);
} finally {
  await tokenServer.stop();
}
res.seconds = (Date.now() - t0) / 1000;

// Every measurement gave numbers.
const numbersIn = (o) => Object.values(o).every((v) => Number.isFinite(v) && v > 0);
check(numbersIn(res.perCall.median) && numbersIn(res.perCall.ratioToFloor), '(1) numbers for every contender');
check(numbersIn(res.perCallAlone.median) && Number.isFinite(res.perCallAlone.usToFastestPeer), '(1b) numbers for every contender');
check(numbersIn(res.loopback.median), '(2) numbers for every contender');
check(numbersIn(res.cached.median) && numbersIn(res.cached.fetchMedian) && Number.isFinite(res.cached.fetchOverheadUsToBadgateway), '(3) numbers for both');
check(numbersIn(res.coldStart.wallMedian) && numbersIn(res.coldStart.importAndRequestMedian) && numbersIn(res.coldStart.importMedian), '(4) numbers for every contender');
check(numbersIn(res.workers.readyMedian) && numbersIn(res.workers.firstFetchMedian) && numbersIn(res.workers.totalMedian), '(6) numbers for every contender');
check(numbersIn(res.memory.wasm.node) && numbersIn(res.memory.wasm.workerd) && Object.values(res.memory.heap).every(numbersIn), '(7) numbers for every phase');
res.budgets = budgets(res);
check(res.budgets.every((b) => Number.isFinite(b.value)), 'a value for every goal');
res.facts = facts;

mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, JSON.stringify(res, null, 2) + '\n');
console.log(markdown(res));
log(`${res.seconds.toFixed(1)} s; JSON in ${OUT}`);

const failedFacts = facts.filter((f) => !f.ok);
if (failedFacts.length) {
  log(`${failedFacts.length} fact(s) failed`);
  process.exit(1);
}
log(`${facts.length} facts hold`);
if (res.budgets.some((b) => b.binding && b.pass === false)) process.exit(1);
