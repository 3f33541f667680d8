// Load and faults: 10,000 concurrent requestToken calls in one instance against a token server
// on 127.0.0.1 all settle, with a result or an OAuthTokenError, and none hangs; with a server that
// resets 10% of the requests (TCP RST), the failures are ERR_NETWORK, the successes are tokens
// that server issued, and the client's and the server's counts agree.
//
// The token server here is a plain node:http one, issuing `load-<n>` tokens: this is about the
// package under load, not OAuth correctness (the real @node-oauth server is used for that in
// request-token.test.mjs and hostile-corpus.test.mjs), and it keeps the server's share of the
// 2 cores small.
//
// Sockets: Node's fetch (undici) opens one socket per in-flight request with no limit by default,
// so 10,000 calls at once would need 10,000 client sockets plus as many server sockets: more file
// descriptors than a default `ulimit -n` of 1024 allows (EMFILE). The test therefore gives fetch
// a dispatcher with at most CONNECTIONS sockets to this origin (a new undici Agent, installed the
// way undici's setGlobalDispatcher does, under Symbol.for('undici.globalDispatcher.1'), and
// restored afterwards): all 10,000 calls are in flight in the package at once, and fetch queues
// them onto keep-alive sockets, as a host with a connection limit does.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';

import { requestToken, OAuthTokenError } from 'oauth-token-connection';

const CALLS = 10_000;
const CONNECTIONS = 128;
const RESET_RATE = 0.1;
const GUARD_MS = 150_000; // a hang guard, not a speed check: fails with the count still pending
const DISPATCHER = Symbol.for('undici.globalDispatcher.1');

/** Deterministic PRNG (mulberry32): the same requests are reset on every run. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A token server: `reset(n)` decides whether the n-th request's connection is reset. */
async function startLoadServer() {
  const state = { received: 0, served: 0, resets: 0, issued: new Set(), reset: () => false, sockets: 0 };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const n = state.received;
      state.received += 1;
      if (state.reset(n)) {
        state.resets += 1;
        req.socket.resetAndDestroy();
        return;
      }
      const token = `load-${n}`;
      state.issued.add(token);
      state.served += 1;
      const body = JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 3600 });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000; // no idle-socket close racing a reused socket during the run
  server.on('connection', () => { state.sockets += 1; });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  state.url = `http://127.0.0.1:${server.address().port}/token`;
  state.reset_counts = () => { state.received = 0; state.served = 0; state.resets = 0; state.issued.clear(); state.sockets = 0; };
  state.close = () => new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  return state;
}

/** Starts `CALLS` requestToken calls at once; resolves with every outcome, or fails on a hang. */
async function settleAll(url) {
  const outcomes = new Array(CALLS);
  let settled = 0;
  const config = { tokenEndpoint: url, clientId: 'load-client', clientSecret: 'load-secret', timeoutSeconds: 60 };
  const all = Promise.all(Array.from({ length: CALLS }, (_, i) => requestToken(config).then(
    (result) => { outcomes[i] = { result }; settled += 1; },
    (error) => { outcomes[i] = { error }; settled += 1; },
  )));
  let timer;
  const guard = new Promise((resolve) => { timer = setTimeout(resolve, GUARD_MS, 'hung'); });
  const winner = await Promise.race([all.then(() => 'settled'), guard]);
  clearTimeout(timer);
  assert.equal(winner, 'settled', `${CALLS - settled} of ${CALLS} calls still unsettled after ${GUARD_MS / 1000} s`);
  assert.equal(settled, CALLS);
  return outcomes;
}

describe(`${CALLS.toLocaleString('en')} concurrent requestToken calls`, () => {
  let server;
  let previous;
  before(async () => {
    server = await startLoadServer();
    // One fetch makes Node install its default dispatcher; ours is a new instance of its class.
    await fetch(server.url, { method: 'POST' }).then((r) => r.arrayBuffer());
    previous = globalThis[DISPATCHER];
    assert.ok(previous?.constructor, 'Node.js fetch exposes its dispatcher under Symbol.for("undici.globalDispatcher.1")');
    globalThis[DISPATCHER] = new previous.constructor({ connections: CONNECTIONS });
  });
  after(async () => {
    const ours = globalThis[DISPATCHER];
    if (previous) globalThis[DISPATCHER] = previous;
    await ours?.close?.();
    await server?.close();
  });

  test('all settle, each with a token the server issued to it', async (t) => {
    server.reset_counts();
    server.reset = () => false;
    const outcomes = await settleAll(server.url);
    const errors = outcomes.filter((o) => o.error);
    assert.deepEqual(errors.map((o) => `${o.error?.name}: ${o.error?.code}`), [], 'no call failed');
    const tokens = outcomes.map((o) => o.result.accessToken);
    assert.equal(new Set(tokens).size, CALLS, 'every call got its own token');
    assert.ok(tokens.every((tk) => server.issued.has(tk)), 'every token was issued by the server');
    assert.equal(server.received, CALLS);
    assert.equal(server.served, CALLS);
    assert.ok(server.sockets <= CONNECTIONS, `${server.sockets} sockets`);
    t.diagnostic(`${CALLS} settled: ${tokens.length} tokens, 0 errors; ${server.sockets} server sockets`);
  });

  test('a server resetting 10% of the connections: ERR_NETWORK for those, tokens for the rest, counts agree', async (t) => {
    server.reset_counts();
    const draws = prng(0x5eed);
    const expectedResets = Array.from({ length: CALLS }, () => draws() < RESET_RATE).filter(Boolean).length;
    const decide = prng(0x5eed);
    server.reset = () => decide() < RESET_RATE;

    const outcomes = await settleAll(server.url);
    const successes = outcomes.filter((o) => o.result);
    const failures = outcomes.filter((o) => o.error);
    assert.equal(successes.length + failures.length, CALLS);

    const notOurs = failures.filter((o) => !(o.error instanceof OAuthTokenError));
    assert.deepEqual(notOurs.map((o) => String(o.error)), [], 'every failure is an OAuthTokenError');
    const codes = {};
    for (const o of failures) codes[o.error.code] = (codes[o.error.code] ?? 0) + 1;
    assert.deepEqual(Object.keys(codes), failures.length ? ['ERR_NETWORK'] : [], JSON.stringify(codes));
    assert.ok(failures.every((o) => o.error.cause !== undefined), 'the host error is the cause');

    const tokens = successes.map((o) => o.result.accessToken);
    assert.equal(new Set(tokens).size, tokens.length, 'no token was handed to two calls');
    assert.ok(tokens.every((tk) => server.issued.has(tk)), 'every token was issued by the server');
    assert.ok(successes.every((o) => o.result.tokenType === 'Bearer' && o.result.expiresIn === 3600));

    // Server side: every request arrived once; resets and answers match the client's counts.
    assert.equal(server.received, CALLS);
    assert.equal(server.resets, expectedResets);
    assert.equal(server.served, successes.length);
    assert.equal(server.resets, failures.length);
    t.diagnostic(`${CALLS} settled: ${successes.length} tokens, ${failures.length} ERR_NETWORK; `
      + `server: ${server.served} served, ${server.resets} reset (expected ${expectedResets}), ${server.sockets} sockets`);
  });
});
