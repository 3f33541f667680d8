// The .wasm reads a token response's JSON itself (oauth-token-core's json::read) and hands the
// text to JSON.parse once, as the result's `json`. The host's JSON.parse is the reference here:
// every body is given to both, through an in-process stub fetch, in the default and full entries.

import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';

import * as base from 'oauth-token-connection';
import * as full from 'oauth-token-connection/full';

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

const config = { tokenEndpoint: 'https://auth.example.com/token', clientId: 'c', clientSecret: 's' };

/** requestToken's outcome for a 200 response with `body`: `{ result }` or `{ error }`. */
async function outcome(entry, body) {
  globalThis.fetch = async () => new Response(body, { headers: { 'content-type': 'application/json' } });
  try {
    return { result: await entry.requestToken(config) };
  } catch (error) {
    return { error };
  }
}

/** What JSON.parse makes of `body`: `{ value }`, or `{ invalid: true }`. */
function reference(body) {
  try {
    return { value: JSON.parse(body) };
  } catch {
    return { invalid: true };
  }
}

/** Checks one body against JSON.parse; returns which way it went. */
async function agrees(entry, body) {
  const ref = reference(body);
  const { result, error } = await outcome(entry, body);
  const at = `body ${JSON.stringify(body)}`;
  if (error) {
    assert.equal(error.code, 'ERR_INVALID_RESPONSE', `${at}: ${error.message}`);
    const notJson = /the body is not JSON|the body is empty/.test(error.message);
    assert.equal(notJson, !!ref.invalid, `${at}: ${error.message}`);
    if (!ref.invalid && (ref.value === null || typeof ref.value !== 'object' || Array.isArray(ref.value))) {
      assert.match(error.message, /expected a JSON object, got/, at);
    }
    return ref.invalid ? 'invalid' : 'refused';
  }
  assert.ok(!ref.invalid, `${at}: accepted, but JSON.parse refuses it`);
  assert.deepEqual(result.json, ref.value, at);
  assert.equal(result.accessToken, ref.value.access_token, at);
  assert.equal(result.tokenType, ref.value.token_type, at);
  if (typeof ref.value.expires_in === 'number') assert.equal(result.expiresIn, ref.value.expires_in, at);
  if (ref.value.scope !== undefined) assert.equal(result.scope, ref.value.scope, at);
  return 'token';
}

const TOKEN = { access_token: 'tok-1', token_type: 'Bearer', expires_in: 3600, scope: 'a b' };

test('the members and json of bodies written every way JSON allows, as JSON.parse reads them', async () => {
  const bodies = [
    JSON.stringify(TOKEN),
    ` \t\r\n${JSON.stringify(TOKEN, null, 2)}\n `,
    // Escapes in the picked members and elsewhere; a surrogate pair and lone surrogates.
    '{"access_token":"t\\u006fk-\\u0031","token_type":"B\\u0065arer","scope":"\\u00e9\\ud83d\\udd11 \\"q\\" \\\\ \\/ \\b\\f\\n\\r\\t","x":"\\ud800\\udc00\\ud800"}',
    // Numbers in every form; a fraction of a second is kept.
    '{"access_token":"t","token_type":"Bearer","expires_in":3600.5,"n":[0,-0,1e3,1E+3,1e-3,-1.5e-300,12345678901234567890,1e400]}',
    '{"access_token":"t","token_type":"Bearer","expires_in":36e2}',
    '{"access_token":"t","token_type":"Bearer","expires_in":864000000000}',
    // A repeated member: the last one, for the result and for json alike.
    '{"access_token":"first","token_type":"Bearer","access_token":"last","scope":"x","scope":"y"}',
    // Nested members, not picked, and members that only look like the picked ones.
    '{"ext":{"access_token":"no","a":[{"b":[[],{}]}]},"token_type":"Bearer","access_token":"yes","Access_token":"no","__proto__":{"x":1}}',
    // Non-ASCII text outside the picked members.
    '{"access_token":"t","token_type":"Bearer","name":"Zoë 🔑 日本"}',
  ];
  for (const entry of [base, full]) {
    for (const body of bodies) assert.equal(await agrees(entry, body), 'token', body);
  }
  const { result } = await outcome(base, bodies[6]);
  assert.equal(result.accessToken, 'last');
  assert.equal(result.scope, 'y');
  assert.equal((await outcome(base, bodies[3])).result.expiresIn, 3600.5);
});

test('bodies JSON.parse refuses are "not JSON"; JSON that is no object is named', async () => {
  const invalid = [
    '{', '{"access_token":"t",}', '{"access_token" "t"}', "{'access_token':'t'}", '{access_token:"t"}',
    '{"a":01}', '{"a":+1}', '{"a":.5}', '{"a":5.}', '{"a":1e}', '{"a":1e.5}', '{"a":-}', '{"a":0x1}',
    '{"a":NaN}', '{"a":Infinity}', '{"a":tru}', '{"a":nul}', '{"a":True}', '{"a":"\\x"}', '{"a":"\\u12"}',
    '{"a":"\\u+123"}', '{"a":"\t"}', '{"a":"\u0001"}', '{} {}', '{}x', '/**/{}', '{"a":1}//', '\u00a0{}',
    '{"a":[}', '["a":1]', '{"a"}', '{"a":[1,]}', '{"a":"unterminated}',
  ];
  for (const entry of [base, full]) {
    for (const body of invalid) assert.equal(await agrees(entry, body), 'invalid', body);
    for (const [body, kind] of [['[]', 'an array'], ['"t"', 'a string'], ['-0', 'a number'], ['null', 'null'], ['true', 'a boolean']]) {
      assert.equal(await agrees(entry, body), 'refused', body);
      assert.match((await outcome(entry, body)).error.message, new RegExp(`got ${kind}`));
    }
  }
});

/** A seeded generator (mulberry32), so that a failure repeats. */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('mutated token responses: accepted exactly when JSON.parse accepts them, with the same members', async () => {
  const next = random(20261206);
  const pick = (xs) => xs[Math.floor(next() * xs.length)];
  const seeds = [
    JSON.stringify({ ...TOKEN, refresh_token: 'r', ext: { a: [1, 2.5, -3e-2, true, null, 'é\\"'] } }),
    JSON.stringify(TOKEN, null, 1),
    '{"access_token":"t\\u0031","token_type":"Bearer","expires_in":1E3,"x":"\\ud83d\\udd11"}',
  ];
  const alphabet = [...'0123456789-+.eE"\\/u{}[],: \t\n\rtrufalsn', '\u0001', 'é', '🔑'];
  const counts = { token: 0, refused: 0, invalid: 0 };
  for (let i = 0; i < 1500; i++) {
    let body = pick(seeds);
    for (let edits = 1 + Math.floor(next() * 3); edits > 0; edits--) {
      const at = Math.floor(next() * (body.length + 1));
      const op = next();
      if (op < 0.4) body = body.slice(0, at) + pick(alphabet) + body.slice(at);
      else if (op < 0.8) body = body.slice(0, at) + pick(alphabet) + body.slice(at + 1);
      else body = body.slice(0, at) + body.slice(at + 1 + Math.floor(next() * 3));
    }
    counts[await agrees(i % 2 ? full : base, body)]++;
  }
  // Every way out was taken many times: the comparison covered all three.
  for (const [way, n] of Object.entries(counts)) assert.ok(n > 100, `${way}: ${n} of 1500`);
});
