// Integration tests of the BUILT package (pkg/, linked as node_modules/oauth-token-connection)
// against a real authorization server (@node-oauth/oauth2-server, demo/auth-server.mjs), on
// 127.0.0.1, port 0. The hostile-server cases are in hostile-corpus.test.mjs.
// Run: node --test tests/node/

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { requestToken, OAuthTokenError } from 'oauth-token-connection';
import { startAuthServer, DEMO_CLIENTS, DEMO_USERS, KNOWN_SCOPES } from '../../demo/auth-server.mjs';
import { makeCerts } from './support/certs.mjs';
import { refusedPort } from './support/ports.mjs';

const ERROR_CODES = [
  'ERR_INVALID_CONFIG', 'ERR_UNSUPPORTED_SSL_MODE', 'ERR_INSECURE_ENDPOINT', 'ERR_NETWORK', 'ERR_TLS',
  'ERR_TIMEOUT', 'ERR_UNEXPECTED_REDIRECT', 'ERR_OAUTH', 'ERR_HTTP_STATUS', 'ERR_INVALID_RESPONSE',
  'ERR_RESPONSE_TOO_LARGE', 'ERR_ABORTED',
];
const REQUEST_ONCE = fileURLToPath(new URL('./support/request-once.mjs', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const { demo, special, asciiSpecial } = DEMO_CLIENTS;
const alice = DEMO_USERS.alice;

/** application/x-www-form-urlencoded encoding of one value (WHATWG, as URLSearchParams). */
const formEncode = (v) => new URLSearchParams({ v }).toString().slice(2);
/** The Authorization value RFC 6749 §2.3.1 asks for (or raw id:secret with encode = identity). */
const basic = (id, secret, encode = formEncode) =>
  `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`, 'utf8').toString('base64')}`;
/** err.cause.code, or one level deeper (fetch's TypeError wraps the socket error). */
const causeCode = (err) => err?.cause?.code ?? err?.cause?.cause?.code;

let auth; // the real authorization server

const goodConfig = (extra = {}) => ({
  tokenEndpoint: auth.url,
  grantType: 'client_credentials',
  clientId: demo.id,
  clientSecret: demo.secret,
  ...extra,
});

/** The last request the auth server received, with its form body parsed. */
function lastRequest() {
  const req = auth.requests.at(-1);
  return { ...req, form: new URLSearchParams(req.body) };
}

/** Secrets of `config` (and of every known client/user) in the forms they could leak in. */
function secretsOf(config = {}) {
  const raw = [config.clientSecret, config.password, ...Object.values(DEMO_CLIENTS).map((c) => c.secret), alice.password];
  return [...new Set(raw.filter((s) => typeof s === 'string' && s.length >= 4))]
    .flatMap((s) => [s, formEncode(s), encodeURIComponent(s)]);
}

function assertNoSecrets(err, config) {
  const texts = [err.message, err.stack, err.errorDescription, String(err.cause ?? '')];
  for (const secret of secretsOf(config)) {
    for (const text of texts) {
      assert.ok(!String(text ?? '').includes(secret), `error text leaks a secret: ${text}`);
    }
  }
}

/** A successful request in the same process: proves an earlier failure left nothing broken. */
async function assertRecovers() {
  const result = await requestToken(goodConfig());
  assert.equal(result.accessToken, auth.tokens.at(-1).accessToken);
}

/**
 * requestToken(config) must reject with an OAuthTokenError; `check(err)` asserts the specifics.
 * Afterwards a good request must still succeed.
 */
async function expectErrorThenRecover(config, check) {
  const err = await requestToken(config).then(
    (r) => assert.fail(`expected a rejection, got ${JSON.stringify(r)}`),
    (e) => e,
  );
  assert.ok(err instanceof OAuthTokenError, `not an OAuthTokenError: ${err?.stack ?? err}`);
  assert.ok(err instanceof Error);
  assert.equal(err.name, 'OAuthTokenError');
  assert.equal(typeof err.stack, 'string');
  assert.ok(ERROR_CODES.includes(err.code), `unknown code ${err.code}`);
  assertNoSecrets(err, config);
  await check(err);
  await assertRecovers();
  return err;
}

/** Runs request-once.mjs in a child process (for start-up-only settings such as NODE_EXTRA_CA_CERTS). */
async function requestInChild(config, env) {
  const { stdout } = await promisify(execFile)(process.execPath, [REQUEST_ONCE, JSON.stringify(config)], {
    cwd: REPO_ROOT, env, timeout: 30_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1));
}

describe('requestToken', () => {
  before(async () => {
    auth = await startAuthServer();
  });
  after(async () => {
    await auth?.close();
  });

  describe('against a real authorization server', () => {
    for (const grantType of ['client_credentials', 'password']) {
      for (const clientAuthentication of ['header', 'body']) {
        test(`${grantType}, client credentials in the ${clientAuthentication}`, async () => {
          const user = grantType === 'password' ? { username: alice.username, password: alice.password } : {};
          const sent = auth.requests.length;
          const t0 = Date.now();
          const result = await requestToken(goodConfig({ grantType, clientAuthentication, ...user }));
          const t1 = Date.now();

          // What went over the wire (RFC 6749 §2.3.1, §4.3.2, §4.4.2).
          assert.equal(auth.requests.length, sent + 1);
          const req = lastRequest();
          assert.equal(req.method, 'POST');
          assert.match(req.headers['content-type'], /^application\/x-www-form-urlencoded\b/);
          assert.equal(req.form.get('grant_type'), grantType);
          if (clientAuthentication === 'header') {
            assert.equal(req.headers.authorization, basic(demo.id, demo.secret));
            assert.equal(req.form.has('client_id'), false);
            assert.equal(req.form.has('client_secret'), false);
          } else {
            assert.equal(req.headers.authorization, undefined);
            assert.equal(req.form.get('client_id'), demo.id);
            assert.equal(req.form.get('client_secret'), demo.secret);
          }
          if (grantType === 'password') {
            assert.equal(req.form.get('username'), alice.username);
            assert.equal(req.form.get('password'), alice.password);
          } else {
            assert.equal(req.form.has('username'), false);
            assert.equal(req.form.has('password'), false);
          }
          assert.equal(req.form.has('scope'), false);

          // What came back.
          const issued = auth.tokens.at(-1);
          const raw = JSON.parse(auth.responses.at(-1).body);
          assert.equal(result.accessToken, issued.accessToken);
          assert.equal(result.tokenType, 'Bearer');
          assert.deepEqual(result.json, raw);
          // The library computes expires_in as floor(remaining seconds): 3600, or 3599 a ms later.
          assert.equal(result.expiresIn, raw.expires_in);
          assert.ok(result.expiresIn === 3600 || result.expiresIn === 3599, `expiresIn ${result.expiresIn}`);
          assert.ok(result.expiresAt >= t0 + result.expiresIn * 1000 - 1000, 'expiresAt too early');
          assert.ok(result.expiresAt <= t1 + result.expiresIn * 1000 + 1000, 'expiresAt too late');
          assert.equal(result.scope, 'read'); // the server's default scope
          if (grantType === 'password') assert.equal(result.refreshToken, issued.refreshToken);
          else assert.equal(result.refreshToken, undefined);
          assert.deepEqual(result.warnings, []);
        });
      }
    }

    test('a requested scope is sent and the granted scope returned', async () => {
      const result = await requestToken(goodConfig({ scope: 'read write' }));
      assert.equal(lastRequest().form.get('scope'), 'read write');
      assert.deepEqual(auth.tokens.at(-1).scope, ['read', 'write']);
      assert.equal(result.scope, 'read write');
      assert.equal(result.json.scope, 'read write');
    });

    test('every known scope at once', async () => {
      const result = await requestToken(goodConfig({ scope: KNOWN_SCOPES.join(' '), clientAuthentication: 'body' }));
      assert.equal(result.scope, KNOWN_SCOPES.join(' '));
    });

    test('a secret with + / % & = in the body is form-encoded', async () => {
      const result = await requestToken(goodConfig({
        clientId: asciiSpecial.id, clientSecret: asciiSpecial.secret, clientAuthentication: 'body',
      }));
      const req = lastRequest();
      assert.equal(req.form.get('client_secret'), asciiSpecial.secret);
      assert.match(req.body, /client_secret=a%2Bb%2Fc%25d%26e%3Df(&|$)/);
      assert.equal(result.accessToken, auth.tokens.at(-1).accessToken);
    });

    test('a secret with + / % & = in the header with basicEncoding none', async () => {
      const result = await requestToken(goodConfig({
        clientId: asciiSpecial.id, clientSecret: asciiSpecial.secret, clientAuthentication: 'header', basicEncoding: 'none',
      }));
      assert.equal(lastRequest().headers.authorization, basic(asciiSpecial.id, asciiSpecial.secret, (v) => v));
      assert.equal(result.accessToken, auth.tokens.at(-1).accessToken);
    });

    test('basicEncoding defaults to form: this server, which does not decode Basic, refuses it', async () => {
      const config = goodConfig({ clientId: asciiSpecial.id, clientSecret: asciiSpecial.secret });
      await expectErrorThenRecover(config, (err) => {
        // Must be checked before the recovery request overwrites the recordings.
        assert.equal(lastRequest().headers.authorization, basic(asciiSpecial.id, asciiSpecial.secret));
        assert.equal(err.code, 'ERR_OAUTH');
        assert.equal(err.status, 401);
        assert.equal(err.error, 'invalid_client');
      });
    });

    test('a secret with : space and non-ASCII goes out as UTF-8 form data (server refuses non-VSCHAR)', async () => {
      const config = goodConfig({ clientId: special.id, clientSecret: special.secret, clientAuthentication: 'body' });
      await expectErrorThenRecover(config, (err) => {
        const req = lastRequest();
        assert.equal(req.form.get('client_id'), special.id);
        assert.equal(req.form.get('client_secret'), special.secret);
        assert.match(req.body, /client_secret=p%2Bs%2F%25%26%3D%3A(\+|%20)%C3%BC(&|$)/);
        // @node-oauth/oauth2-server checks client_secret against VSCHAR (RFC 6749 Appendix A).
        assert.equal(err.code, 'ERR_OAUTH');
        assert.equal(err.status, 400);
        assert.equal(err.error, 'invalid_request');
      });
    });

    test('wrong secret in the header: invalid_client, 401', async () => {
      await expectErrorThenRecover(goodConfig({ clientSecret: 'wrong-secret-123' }), (err) => {
        const raw = JSON.parse(auth.responses.at(-1).body);
        assert.equal(auth.responses.at(-1).headers['www-authenticate'], 'Basic realm="Service"');
        assert.equal(err.code, 'ERR_OAUTH');
        assert.equal(err.status, 401);
        assert.equal(err.error, 'invalid_client');
        assert.equal(err.errorDescription, raw.error_description);
      });
    });

    test('wrong secret in the body: invalid_client, 400', async () => {
      await expectErrorThenRecover(goodConfig({ clientSecret: 'wrong-secret-123', clientAuthentication: 'body' }), (err) => {
        assert.equal(err.code, 'ERR_OAUTH');
        assert.equal(err.status, 400);
        assert.equal(err.error, 'invalid_client');
        assert.equal(err.errorDescription, JSON.parse(auth.responses.at(-1).body).error_description);
      });
    });

    test('unknown scope: invalid_scope', async () => {
      await expectErrorThenRecover(goodConfig({ scope: 'read delete' }), (err) => {
        assert.equal(err.code, 'ERR_OAUTH');
        assert.equal(err.status, 400);
        assert.equal(err.error, 'invalid_scope');
      });
    });

    test('wrong user password: invalid_grant', async () => {
      const config = goodConfig({ grantType: 'password', username: alice.username, password: 'wrong horse battery' });
      await expectErrorThenRecover(config, (err) => {
        assert.equal(err.code, 'ERR_OAUTH');
        assert.equal(err.status, 400);
        assert.equal(err.error, 'invalid_grant');
      });
    });
  });

  // What a hostile token endpoint can send back (timeouts, redirects, HTML, huge bodies,
  // cookies, malformed tokens...) is one table in hostile-corpus.test.mjs.

  describe('configuration errors (nothing is sent)', () => {
    const cases = [
      ['an unknown key is shown by its first 4 characters and its length', { scopes: 'read' }, 'ERR_INVALID_CONFIG',
        (err) => assert.match(err.message, /^unknown configuration key "scop\.\.\." \(6 characters\)/)],
      ['an unknown key holding a secret is not quoted whole, its value not at all', { client_secret: 'leaky-value-42' },
        'ERR_INVALID_CONFIG', (err) => {
          assert.match(err.message, /"clie\.\.\." \(13 characters\)/);
          assert.ok(!err.message.includes('leaky-value-42'));
        }],
      ['a secret pasted as a key is not quoted whole', { 'hunter2-canary-key': 'x' }, 'ERR_INVALID_CONFIG',
        (err) => assert.ok(!err.message.includes('hunter2-canary-key') && err.message.includes('"hunt..."'))],
      ['sslMode trust', { sslMode: 'trust' }, 'ERR_UNSUPPORTED_SSL_MODE'],
      ['sslMode off', { sslMode: 'off' }, 'ERR_UNSUPPORTED_SSL_MODE'],
      ['plain http to a non-loopback host', { tokenEndpoint: 'http://example.com/token' }, 'ERR_INSECURE_ENDPOINT'],
      ['an unsupported grantType', { grantType: 'authorization_code' }, 'ERR_INVALID_CONFIG'],
      ['timeoutSeconds 0', { timeoutSeconds: 0 }, 'ERR_INVALID_CONFIG'],
      ['timeoutSeconds -1', { timeoutSeconds: -1 }, 'ERR_INVALID_CONFIG'],
      ['timeoutSeconds NaN', { timeoutSeconds: NaN }, 'ERR_INVALID_CONFIG'],
      ['an unknown clientAuthentication', { clientAuthentication: 'query' }, 'ERR_INVALID_CONFIG'],
      ['an unknown basicEncoding', { basicEncoding: 'percent' }, 'ERR_INVALID_CONFIG'],
      ['a missing clientId', { clientId: undefined }, 'ERR_INVALID_CONFIG'],
      ['password grant without a username', { grantType: 'password', password: alice.password }, 'ERR_INVALID_CONFIG'],
      ['username with client_credentials', { username: alice.username }, 'ERR_INVALID_CONFIG'],
      ['password grant without a password', { grantType: 'password', username: alice.username }, 'ERR_INVALID_CONFIG'],
      ['password grant with an empty password', { grantType: 'password', username: alice.username, password: '' }, 'ERR_INVALID_CONFIG'],
    ];
    for (const [name, extra, code, check] of cases) {
      test(name, async () => {
        const sent = auth.requests.length;
        await expectErrorThenRecover(goodConfig(extra), async (err) => {
          assert.equal(err.code, code);
          assert.equal(auth.requests.length, sent, 'a request was sent');
          await check?.(err);
        });
      });
    }

    test('a config that is not an object', async () => {
      await expectErrorThenRecover(undefined, (err) => assert.equal(err.code, 'ERR_INVALID_CONFIG'));
    });
  });

  test('connection refused: ERR_NETWORK with the socket error as cause', async () => {
    const port = await refusedPort();
    await expectErrorThenRecover(goodConfig({ tokenEndpoint: `http://127.0.0.1:${port}/token` }), (err) => {
      assert.equal(err.code, 'ERR_NETWORK');
      assert.equal(causeCode(err), 'ECONNREFUSED');
    });
  });

  describe('https', () => {
    let dir;
    let certs;
    let tlsAuth;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'otc-certs-'));
      certs = makeCerts(dir);
      tlsAuth = await startAuthServer({ tls: certs });
    });
    after(async () => {
      await tlsAuth?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const childEnv = (extraCa) => {
      const env = { ...process.env };
      delete env.NODE_EXTRA_CA_CERTS;
      return extraCa ? { ...env, NODE_EXTRA_CA_CERTS: extraCa } : env;
    };

    test('succeeds when the CA is trusted (NODE_EXTRA_CA_CERTS)', async () => {
      const out = await requestInChild(goodConfig({ tokenEndpoint: tlsAuth.url }), childEnv(certs.caPem));
      assert.equal(out.ok, true, JSON.stringify(out));
      assert.equal(out.result.accessToken, tlsAuth.tokens.at(-1).accessToken);
      assert.equal(tlsAuth.requests.at(-1).headers.authorization, basic(demo.id, demo.secret));
    });

    test('an untrusted certificate is ERR_TLS with the TLS error as cause', async () => {
      const sent = tlsAuth.requests.length;
      const out = await requestInChild(goodConfig({ tokenEndpoint: tlsAuth.url }), childEnv(null));
      assert.equal(out.ok, false, JSON.stringify(out));
      assert.equal(out.name, 'OAuthTokenError');
      assert.equal(out.code, 'ERR_TLS');
      assert.match(String(out.causeCode), /CERT|VERIFY|SIGNATURE/, JSON.stringify(out));
      assert.equal(tlsAuth.requests.length, sent, 'no HTTP request got through');
    });
  });
});
