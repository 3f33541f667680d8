// previewRequest from the built package: the request requestToken sends, secrets masked. The
// preview is compared with what the embedded authorization server really received.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { previewRequest, requestToken, OAuthTokenError } from 'oauth-token-connection/full';
import { startAuthServer, DEMO_CLIENTS, DEMO_USERS } from '../../demo/auth-server.mjs';

const b64 = (s) => Buffer.from(s).toString('base64');

describe('previewRequest', () => {
  let auth;
  before(async () => { auth = await startAuthServer(); });
  after(async () => { await auth?.close(); });

  const demo = (extra = {}) => ({
    tokenEndpoint: auth.url,
    clientId: DEMO_CLIENTS.demo.id,
    clientSecret: DEMO_CLIENTS.demo.secret,
    scope: 'read  write',
    ...extra,
  });

  test('header mode: exact shape, the Basic value as a formula', async () => {
    const p = await previewRequest(demo());
    assert.deepEqual(p, {
      method: 'POST',
      url: auth.url,
      headers: [
        ['Content-Type', 'application/x-www-form-urlencoded;charset=UTF-8'],
        ['Accept', 'application/json'],
        ['Authorization', 'Basic base64(demo-client:********)'],
      ],
      body: 'grant_type=client_credentials&scope=read+write',
      fetchOptions: { redirect: 'manual', credentials: 'omit', cache: 'no-store' },
      notes: [p.notes[0]],
    });
    assert.match(p.notes[0], /^Authorization: HTTP Basic \(RFC 7617\)/);
  });

  test('the preview is what requestToken sends, secrets aside', async () => {
    const cases = [
      demo(),
      demo({ clientAuthentication: 'body' }),
      demo({ grantType: 'password', username: DEMO_USERS.alice.username, password: DEMO_USERS.alice.password }),
    ];
    for (const config of cases) {
      const p = await previewRequest(config);
      await requestToken(config);
      const sent = auth.requests.at(-1);
      const body = new URLSearchParams(sent.body);
      if (body.has('client_secret')) body.set('client_secret', '********');
      if (body.has('password')) body.set('password', '********');
      assert.equal(p.body, body.toString());
      assert.equal(sent.method, p.method);
      for (const [name, value] of p.headers) {
        if (name === 'Authorization') {
          assert.equal(sent.headers.authorization, `Basic ${b64(`${config.clientId}:${config.clientSecret}`)}`);
        } else {
          assert.equal(sent.headers[name.toLowerCase()], value);
        }
      }
      assert.equal(p.headers.some(([n]) => n === 'Authorization'), sent.headers.authorization !== undefined);
    }
  });

  test('no secret in any form; notes flag a secret that form encoding changes', async () => {
    const secret = 'p+s/%&=: ü-canary';
    const p = await previewRequest(demo({ clientId: 'my app', clientSecret: secret }));
    const all = JSON.stringify(p);
    for (const leak of [secret, encodeURIComponent(secret), 'canary', b64(`my+app:${encodeURIComponent(secret)}`)]) {
      assert.ok(!all.includes(leak));
    }
    assert.equal(p.headers[2][1], 'Basic base64(my+app:********)');
    assert.ok(p.notes.some((n) => n.includes('"my app" goes into Basic as "my+app"')));
    assert.ok(p.notes.some((n) => n.includes('form encoding changes')));
  });

  test('an invalid config rejects with OAuthTokenError, like requestToken', async () => {
    const sent = auth.requests.length;
    for (const [config, code] of [
      [null, 'ERR_INVALID_CONFIG'],
      [demo({ clientSecert: 'x' }), 'ERR_INVALID_CONFIG'],
      [demo({ sslMode: 'trust' }), 'ERR_UNSUPPORTED_SSL_MODE'],
      [demo({ tokenEndpoint: 'http://auth.example.com/token' }), 'ERR_INSECURE_ENDPOINT'],
    ]) {
      await assert.rejects(previewRequest(config), (err) => {
        assert.ok(err instanceof OAuthTokenError);
        assert.equal(err.code, code);
        return true;
      });
    }
    assert.equal(auth.requests.length, sent, 'a preview never sends');
  });
});
