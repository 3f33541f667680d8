// An unknown config key is shown by its first 4 characters
// and its length (a secret pasted as a key is never quoted whole); a lone UTF-16 surrogate in a
// string is ERR_INVALID_CONFIG naming the field ('a\uD800b' and 'a\uDC00b' were both sent as
// 'a\uFFFDb'); a `signal` getter that throws is a rejection, never a synchronous throw;
// basicEncoding 'none' sends a non-ASCII id and secret as raw UTF-8 in Basic (RFC 7617 §2.1),
// and still refuses a ':' in the id. A recording token endpoint on 127.0.0.1.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import util from 'node:util';

import { requestToken, createConnection, OAuthTokenError } from 'oauth-token-connection';
import { previewRequest } from 'oauth-token-connection/full';
import { startTokenServer } from './support/token-server.mjs';

let tokens;

const config = (extra = {}) => ({ tokenEndpoint: tokens.url, clientId: 'small-client', clientSecret: 'small-secret', ...extra });

async function invalid(promise) {
  const err = await promise.then(() => assert.fail('resolved'), (e) => e);
  // The full entry (previewRequest) has its own OAuthTokenError class.
  assert.ok(err instanceof OAuthTokenError || (err instanceof Error && err.name === 'OAuthTokenError'), `${err?.name}: ${err?.message}`);
  assert.equal(err.code, 'ERR_INVALID_CONFIG', err.message);
  return err;
}

/** Everything an error shows, in every form a log could take. */
const everything = (err) => [err.message, err.hint, err.stack, String(err), JSON.stringify(err), util.inspect(err, { depth: 5 })].join('\n');

async function nextCallWorks() {
  assert.match((await requestToken(config())).accessToken, /^token-\d+$/);
}

describe('the smaller defects', () => {
  before(async () => {
    tokens = await startTokenServer();
  });
  after(() => tokens?.close());

  test('an unknown key is shown by its first 4 characters and its length, never whole', async () => {
    tokens.reset();
    const key = 'hunter2-secret-value';
    for (const run of [
      () => requestToken(config({ [key]: 'x' })),
      () => createConnection(config({ [key]: 'x' })).token(),
      () => previewRequest(config({ [key]: 'x' })),
    ]) {
      const err = await invalid(run());
      assert.ok(err.message.startsWith('unknown configuration key "hunt..." (20 characters) (accepted: tokenEndpoint, '), err.message);
      const shown = everything(err);
      assert.ok(!shown.includes('hunte'), 'more than 4 characters of the key are shown');
      assert.ok(!shown.includes('secret-value'));
    }
    // A short key is shown as it is; the length counts characters (code points), not UTF-16 units.
    assert.match((await invalid(requestToken(config({ tok: 1 })))).message, /^unknown configuration key "tok" \(accepted: /);
    assert.match((await invalid(requestToken(config({ '\u{1F511}\u{1F511}\u{1F511}\u{1F511}xy': 1 })))).message,
      /^unknown configuration key "\u{1F511}{4}\.\.\." \(6 characters\) /u);
    // A misspelt known key is no secret, but the same rule applies.
    assert.match((await invalid(requestToken(config({ clientSecert: 'x' })))).message, /^unknown configuration key "clie\.\.\." \(12 characters\)/);
    assert.equal(tokens.requests.length, 0);
    await nextCallWorks();
  });

  test("lone surrogates are ERR_INVALID_CONFIG naming the field, and nothing is sent", async () => {
    tokens.reset();
    const CASES = [
      [{ clientSecret: 'a\uD800b' }, 'clientSecret'],
      [{ clientSecret: 'a\uDC00b' }, 'clientSecret'],
      [{ clientSecret: 'ab\uD83D' }, 'clientSecret'], // a high surrogate at the end
      [{ clientSecret: '\uDE00ab' }, 'clientSecret'], // a low surrogate at the start
      [{ clientSecret: '\uDE00\uD83D' }, 'clientSecret'], // a pair in the wrong order
      [{ clientId: 'id\uD800' }, 'clientId'],
      [{ grantType: 'password', username: 'u', password: 'p\uDFFFw' }, 'password'],
      [{ scope: 'read\uD800' }, 'scope'],
      [{ extraParams: { resource: ['https://a.example/', 'x\uDBFF'] } }, 'extraParams.resource'],
      [{ extraParams: { audience: 'x\uDC00' } }, 'extraParams.audience'],
      [{ extraParams: { ['k\uD800']: 'v' } }, 'extraParams'],
    ];
    for (const [extra, field] of CASES) {
      const err = await invalid(requestToken(config(extra)));
      assert.equal(err.message, `${field} holds a lone UTF-16 surrogate, which cannot be sent as UTF-8`, JSON.stringify(extra));
      await invalid(createConnection(config(extra)).token());
    }
    assert.equal(tokens.requests.length, 0, 'nothing was sent');

    // A well-formed pair is sent as its UTF-8, and distinct strings stay distinct on the wire.
    await requestToken(config({ clientAuthentication: 'body', clientSecret: 'a\uD83D\uDE00b' }));
    assert.equal(tokens.requests[0].form.get('client_secret'), 'a\u{1F600}b');
    await nextCallWorks();
  });

  test('a signal getter that throws is a rejection, never a synchronous throw', async () => {
    tokens.reset();
    const throwing = () => { throw new Error('getter says no'); };
    const configs = [
      Object.defineProperty(config(), 'signal', { get: throwing, enumerable: true }),
      config({ signal: { get aborted() { return throwing(); }, addEventListener() {}, removeEventListener() {} } }),
      config({ signal: Object.defineProperty({ aborted: false, removeEventListener() {} }, 'addEventListener', { get: throwing }) }),
      config({ signal: new Proxy(new AbortController().signal, { get: throwing }) }),
    ];
    for (const c of configs) {
      for (const call of [() => requestToken(c), () => previewRequest(c), () => createConnection(c).token(), () => createConnection(c).fetch(`${tokens.origin}/x`)]) {
        let p;
        assert.doesNotThrow(() => { p = call(); });
        assert.ok(p instanceof Promise);
        const err = await invalid(p);
        assert.equal(err.message, 'config could not be read: a getter or Proxy trap threw (Error); pass a plain object');
        assert.ok(!everything(err).includes('getter says no'), 'the thrown message is quoted');
      }
    }
    assert.equal(tokens.requests.length, 0);
    await nextCallWorks();
  });

  test("basicEncoding 'none': a non-ASCII id and secret go out as raw UTF-8 in Basic (RFC 7617 §2.1)", async () => {
    tokens.reset();
    await requestToken(config({ clientId: 'clïent', clientSecret: 'sécret', basicEncoding: 'none' }));
    // base64 of the UTF-8 bytes of "clïent:sécret".
    assert.equal(tokens.requests[0].authorization, 'Basic Y2zDr2VudDpzw6ljcmV0');
    assert.equal(Buffer.from('Y2zDr2VudDpzw6ljcmV0', 'base64').toString('utf8'), 'clïent:sécret');
    // The default (form) encoding percent-encodes first (RFC 6749 §2.3.1): other bytes.
    await requestToken(config({ clientId: 'clïent', clientSecret: 'sécret' }));
    assert.equal(tokens.requests[1].authorization, `Basic ${Buffer.from('cl%C3%AFent:s%C3%A9cret').toString('base64')}`);
    // The preview shows the same header in 'none' mode, secret masked.
    const p = await previewRequest(config({ clientId: 'clïent', clientSecret: 'sécret', basicEncoding: 'none' }));
    assert.ok(!JSON.stringify(p).includes('sécret') && !JSON.stringify(p).includes('Y2zDr2VudDpzw6ljcmV0'));
  });

  test("basicEncoding 'none' still refuses ':' in the client id, which no encoding can carry; nothing is sent", async () => {
    tokens.reset();
    for (const clientId of ['a:b', 'clïent:x', ':']) {
      const err = await invalid(requestToken(config({ clientId, basicEncoding: 'none' })));
      assert.match(err.message, /^clientId contains ':', which plain Basic \(basicEncoding "none"\) cannot carry/);
    }
    assert.equal(tokens.requests.length, 0);
    // A ':' in the secret is fine: Basic splits at the first one.
    await requestToken(config({ clientSecret: 's:e:c', basicEncoding: 'none' }));
    assert.equal(tokens.requests[0].authorization, `Basic ${Buffer.from('small-client:s:e:c').toString('base64')}`);
  });
});
