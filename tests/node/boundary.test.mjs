// Hostile config objects at the API boundary: getters, Proxy traps and toString / valueOf /
// Symbol.toPrimitive that throw, and revoked Proxies. Caller code must never run inside a wasm
// frame (an exception thrown through wasm-bindgen's glue skips the restore of the wasm stack
// pointer: about a thousand of them and every later call fails with "memory access out of
// bounds"). Several thousand such calls through requestToken, createConnection(cfg).token() and
// .fetch(): each one rejects (never throws synchronously) with OAuthTokenError ERR_INVALID_CONFIG,
// whose message does not quote what the caller's code threw; nothing is sent. Then good calls
// against a real token server on 127.0.0.1 succeed in the same process.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { requestToken, createConnection, OAuthTokenError } from 'oauth-token-connection';
import { startTokenServer } from './support/token-server.mjs';

const CANARY = 'CANARYthrown7Hq';
const ROUNDS = 100; // x 20 configs x 3 paths = 6,000 calls

let server;
before(async () => {
  server = await startTokenServer();
});
after(() => server?.close());

const thrower = () => {
  throw new Error(`caller code threw ${CANARY}`);
};
const good = () => ({ tokenEndpoint: server.url, clientId: 'boundary-client', clientSecret: 'boundary-secret' });
/** `good()` with `key` read through a getter that throws. */
const throwingGetter = (key, base = good()) => Object.defineProperty(base, key, { get: thrower, enumerable: true });
/** A revoked Proxy (every operation on it throws a TypeError). */
const revoked = () => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
};
/** An object whose conversion to a primitive throws, through `via`. */
const unconvertible = (via) => ({ [via]: thrower });

/** name -> a fresh hostile config. */
const HOSTILE = {
  'getter on clientSecret': () => throwingGetter('clientSecret'),
  'getter on tokenEndpoint': () => throwingGetter('tokenEndpoint'),
  'getter on signal': () => throwingGetter('signal'),
  'getter throwing a string': () => Object.defineProperty(good(), 'clientId', {
    get() { throw `a string ${CANARY}`; },
    enumerable: true,
  }),
  'getter on an extraParams member': () => ({ ...good(), extraParams: throwingGetter('resource', {}) }),
  'getter on an extraParams array item': () => ({
    ...good(),
    extraParams: { resource: Object.defineProperty(['https://a.example'], 1, { get: thrower, enumerable: true }) },
  }),
  'Proxy ownKeys trap': () => new Proxy(good(), { ownKeys: thrower }),
  'Proxy getOwnPropertyDescriptor trap': () => new Proxy(good(), { getOwnPropertyDescriptor: thrower }),
  'Proxy get trap': () => new Proxy(good(), { get: thrower }),
  'Proxy ownKeys trap on extraParams': () => ({ ...good(), extraParams: new Proxy({ a: 'b' }, { ownKeys: thrower }) }),
  'revoked Proxy as the config': revoked,
  'revoked Proxy as extraParams': () => ({ ...good(), extraParams: revoked() }),
  'revoked Proxy as an extraParams value': () => ({ ...good(), extraParams: { resource: revoked() } }),
  'clientSecret whose toString throws': () => ({ ...good(), clientSecret: unconvertible('toString') }),
  'tokenEndpoint whose Symbol.toPrimitive throws': () => ({ ...good(), tokenEndpoint: unconvertible(Symbol.toPrimitive) }),
  'scope whose valueOf throws': () => ({ ...good(), scope: unconvertible('valueOf') }),
  'timeoutSeconds whose valueOf throws': () => ({ ...good(), timeoutSeconds: unconvertible('valueOf') }),
  'extraParams value whose toString throws': () => ({ ...good(), extraParams: { audience: unconvertible('toString') } }),
  'extraParams array item whose Symbol.toPrimitive throws': () => ({
    ...good(), extraParams: { resource: ['https://a.example', unconvertible(Symbol.toPrimitive)] },
  }),
  'extraParams value whose valueOf throws': () => ({ ...good(), extraParams: { audience: unconvertible('valueOf') } }),
};

/** What a call did, as one line ('ok' when it rejected with the expected error). */
async function outcome(call) {
  let promise;
  try {
    promise = call();
  } catch (e) {
    return `threw synchronously: ${summary(e)}`;
  }
  if (typeof promise?.then !== 'function') return `returned ${typeof promise}`;
  try {
    await promise;
    return 'resolved';
  } catch (e) {
    if (!(e instanceof OAuthTokenError)) return `rejected with ${summary(e)}`;
    if (e.code !== 'ERR_INVALID_CONFIG') return `rejected with ${summary(e)}`;
    if (String(e.message).includes(CANARY)) return 'ERR_INVALID_CONFIG quoting the thrown message';
    return 'ok';
  }
}

const summary = (e) => (e instanceof Error ? `${e.constructor.name} ${e.code ?? ''} ${e.message}` : `${typeof e} ${String(e)}`);

test('6,000 calls with hostile configs reject with ERR_INVALID_CONFIG; then good calls succeed', async (t) => {
  const resource = `${server.origin}/resource`;
  const tally = new Map(); // "path, config: outcome" -> count, for everything but 'ok'
  let calls = 0;
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [name, make] of Object.entries(HOSTILE)) {
      const results = [['requestToken', await outcome(() => requestToken(make()))]];
      let conn;
      try {
        conn = createConnection(make());
      } catch (e) {
        results.push(['createConnection', `threw synchronously: ${summary(e)}`]);
      }
      if (conn) {
        results.push(['conn.token()', await outcome(() => conn.token())]);
        results.push(['conn.fetch()', await outcome(() => conn.fetch(resource))]);
      }
      calls += 3;
      for (const [path, what] of results) {
        if (what === 'ok') continue;
        const key = `${path}, ${name}: ${what}`;
        tally.set(key, (tally.get(key) ?? 0) + 1);
      }
    }
  }
  const sentByHostileCalls = server.requests.length;
  // The good calls run whatever happened above: they show whether the instance survived.
  const afterwards = {};
  try {
    afterwards.requestToken = (await requestToken(good())).accessToken;
    const conn = createConnection(good());
    afterwards.token = (await conn.token()).accessToken;
    afterwards.fetch = (await conn.fetch(resource)).status;
  } catch (e) {
    afterwards.error = summary(e);
  }

  t.diagnostic(`${calls} hostile calls; ${[...tally.values()].reduce((a, b) => a + b, 0)} did not reject as expected`);
  for (const [key, n] of tally) t.diagnostic(`${n} x ${key}`);
  t.diagnostic(`then: ${JSON.stringify(afterwards)}`);
  assert.equal(calls, ROUNDS * Object.keys(HOSTILE).length * 3);
  assert.deepEqual([...tally.keys()], [], 'every hostile call rejects with OAuthTokenError ERR_INVALID_CONFIG, not quoting the thrown message');
  assert.equal(sentByHostileCalls, 0, 'no hostile call sent anything');

  assert.deepEqual(afterwards, { requestToken: 'token-1', token: 'token-2', fetch: 200 },
    'the same process serves good calls afterwards');
  assert.equal(server.requests.at(-1).authorization, 'Bearer token-2');
});
