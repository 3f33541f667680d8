// Secret-leak scan: one test drives every error path the package has (every code in
// src/error.rs CODES: each configuration field, OAuth errors from the real authorization server,
// network, TLS, timeout, redirects, HTTP statuses, invalid responses, the size limit, refused SSL
// modes, and the connection's paths including a REST call's 401 retry with a refresh token) with
// canary values for the client secret, the password, the refresh token and the access token the
// server returns (support/canaries.mjs). None of their forms (raw, form-encoded, percent-encoded,
// JSON-escaped, base64, the Basic header value) may appear in any error's message, stack,
// String(err), JSON.stringify(err), util.inspect(err), own properties or cause chain, in any
// result's `warnings`, in previewRequest's output, or in anything written to the console or to
// process.stdout/stderr while the test runs. Failures name the path and the canary form, never
// the value.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import util from 'node:util';

import { requestToken, createConnection, OAuthTokenError } from 'oauth-token-connection';
import { previewRequest } from 'oauth-token-connection/full';
import { startAuthServer, DEMO_CLIENTS } from '../../demo/auth-server.mjs';
import { startHostileServer } from './support/hostile-server.mjs';
import { makeCerts } from './support/certs.mjs';
import { CANARIES, CANARY_CLIENT_ID, PATTERNS, formsOf, leaksIn, leaksInError } from './support/canaries.mjs';
import { refusedPort } from './support/ports.mjs';

const CODES = [
  'ERR_INVALID_CONFIG', 'ERR_UNSUPPORTED_SSL_MODE', 'ERR_INSECURE_ENDPOINT', 'ERR_NETWORK', 'ERR_TLS',
  'ERR_TIMEOUT', 'ERR_UNEXPECTED_REDIRECT', 'ERR_OAUTH', 'ERR_HTTP_STATUS', 'ERR_INVALID_RESPONSE',
  'ERR_RESPONSE_TOO_LARGE', 'ERR_FORBIDDEN_ORIGIN',
];
const { clientSecret: SECRET, password: PASSWORD, refreshToken: REFRESH, accessToken: ACCESS, badAccessToken: BAD } = CANARIES;
const OVER_64_KIB = (s) => s.repeat(Math.ceil(65_537 / Buffer.byteLength(s)) + 1);

// --- Hostile routes that put the access-token canaries in the places an error could quote ---

const send = (status, body, headers = {}) => (req, res) => {
  const buf = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': buf.length, ...headers });
  res.end(buf);
};
const tok = (token, extra = {}) => ({ access_token: token, token_type: 'Bearer', expires_in: 3600, ...extra });
let tokenThenFailCount = 0;
const ROUTES = {
  '/leak/good': send(200, tok(ACCESS, { refresh_token: REFRESH })),
  '/leak/bad-token': send(200, tok(BAD)),
  '/leak/bad-type': send(200, tok(ACCESS, { token_type: `Bea rer ${ACCESS}` })),
  '/leak/bad-expiry': send(200, tok(ACCESS, { expires_in: -1 })),
  '/leak/truncated': send(200, JSON.stringify(tok(ACCESS, { refresh_token: REFRESH })).slice(0, -3)),
  '/leak/string': send(200, JSON.stringify(ACCESS)),
  '/leak/html': send(200, `<html><body>${ACCESS} ${REFRESH}</body></html>`, { 'content-type': 'text/html' }),
  '/leak/huge': send(200, tok(ACCESS, { refresh_token: REFRESH, pad: 'x'.repeat(2 << 20) })),
  '/leak/500': send(500, { message: 'no error member' }),
  '/leak/401': send(401, '', { 'www-authenticate': 'Basic realm="leak"' }),
  '/leak/200-error': send(200, { error: 'invalid_grant' }),
  '/leak/redirect': (req, res) => { res.writeHead(302, { location: 'https://elsewhere.example/token', 'content-length': 0 }); res.end(); },
  '/leak/reset': (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': 500 });
    res.write(`{"access_token":"${ACCESS}","refresh_token":"`);
    setTimeout(() => req.socket.resetAndDestroy(), 30);
  },
  '/leak/cookie': send(200, tok(ACCESS, { refresh_token: REFRESH }), { 'set-cookie': ['sid=1; Domain=evil.example; Path=/'] }),
  // A token with a refresh token first, then every renewal refused: invalid_grant for the refresh
  // token, invalid_client for the configured grant.
  '/leak/once-then-fail': (req, res) => {
    tokenThenFailCount += 1;
    if (tokenThenFailCount === 1) return send(200, tok(ACCESS, { refresh_token: REFRESH }))(req, res);
    const refreshing = req.body?.includes('grant_type=refresh_token');
    return send(400, { error: refreshing ? 'invalid_grant' : 'invalid_client', error_description: 'refused' })(req, res);
  },
};

// --- Console capture ---------------------------------------------------------------------

/**
 * Records console.* and process.stdout/stderr writes until stopped, passing them through unless
 * `passThrough` is false.
 */
function captureOutput({ passThrough = true } = {}) {
  const captured = [];
  const restore = [];
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir', 'table', 'group', 'assert']) {
    const original = console[method];
    console[method] = function patched(...args) {
      captured.push(util.format(...args));
      return passThrough ? original.apply(this, args) : undefined;
    };
    restore.push(() => { console[method] = original; });
  }
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write;
    stream.write = function patched(chunk, ...rest) {
      captured.push(Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
      return passThrough ? original.call(this, chunk, ...rest) : true;
    };
    restore.push(() => { stream.write = original; });
  }
  return { captured, stop: () => restore.forEach((r) => r()) };
}

async function listen(server) {
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return server.address().port;
}

const stop = (server) => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });

test('no error path, warning, preview or console output exposes a secret or a token', async (t) => {
  // The canaries are what they claim: every form differs from every other (except a usable
  // access token's, whose raw and JSON forms coincide: b64token has nothing to escape).
  for (const [name, value] of Object.entries(CANARIES)) {
    if (name === 'accessToken') continue;
    const forms = Object.values(formsOf(value));
    assert.equal(new Set(forms).size, forms.length, `${name}: two forms coincide`);
  }
  assert.equal(new Set(PATTERNS.map(([, p]) => p)).size, PATTERNS.length);

  const dir = mkdtempSync(join(tmpdir(), 'otc-leak-'));
  const certs = makeCerts(dir);
  const auth = await startAuthServer();
  const hostile = await startHostileServer({ routes: ROUTES });
  // A TLS server whose CA this process does not trust.
  const tls = https.createServer({ key: certs.key, cert: certs.cert }, (req, res) => send(200, tok(ACCESS))(req, res));
  const tlsPort = await listen(tls);
  // A REST resource that refuses every token (RFC 6750 §3.1).
  const resourceCalls = [];
  const resource = http.createServer((req, res) => {
    resourceCalls.push(req.headers.authorization);
    req.resume();
    res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"', 'content-length': 0 });
    res.end();
  });
  const resourcePort = await listen(resource);
  const refused = await refusedPort();
  t.after(async () => {
    await Promise.all([auth.close(), hostile.close(), stop(tls), stop(resource)]);
    rmSync(dir, { recursive: true, force: true });
  });

  const output = captureOutput();
  const leaks = [];
  const seenCodes = new Set();
  const scanned = { errors: 0, warnings: 0, previews: 0 };
  try {
    // Every request carries all canaries it can: client secret in Basic or body, password.
    const base = (extra = {}) => ({
      tokenEndpoint: hostile.url('/leak/good'),
      grantType: 'password',
      clientId: CANARY_CLIENT_ID,
      clientSecret: SECRET,
      username: 'leak-user',
      password: PASSWORD,
      ...extra,
    });
    const refreshGrant = (extra = {}) => base({ grantType: 'refresh_token', username: undefined, password: undefined, refreshToken: REFRESH, ...extra });
    const demo = DEMO_CLIENTS.demo;

    /** [path label, expected code, () => Promise that must reject]. */
    const paths = [
      // Configuration, field by field.
      ['config not an object (the secret itself)', 'ERR_INVALID_CONFIG', () => requestToken(SECRET)],
      ['tokenEndpoint not a URL', 'ERR_INVALID_CONFIG', () => requestToken(base({ tokenEndpoint: 'not a url' }))],
      ['tokenEndpoint with the password as URL userinfo', 'ERR_INVALID_CONFIG',
        () => requestToken(base({ tokenEndpoint: `https://user:${encodeURIComponent(PASSWORD)}@auth.example/token` }))],
      ['tokenEndpoint a number', 'ERR_INVALID_CONFIG', () => requestToken(base({ tokenEndpoint: 42 }))],
      ['tokenEndpoint with a control character', 'ERR_INVALID_CONFIG', () => requestToken(base({ tokenEndpoint: `${hostile.url('/leak/good')}\n` }))],
      ['tokenEndpoint over 64 KiB', 'ERR_INVALID_CONFIG', () => requestToken(base({ tokenEndpoint: `https://a.example/${'p'.repeat(70_000)}` }))],
      ['grantType unknown', 'ERR_INVALID_CONFIG', () => requestToken(base({ grantType: 'authorization_code' }))],
      ['grantType not a string', 'ERR_INVALID_CONFIG', () => requestToken(base({ grantType: ['password'] }))],
      ['clientId missing', 'ERR_INVALID_CONFIG', () => requestToken(base({ clientId: undefined }))],
      ['clientId a number', 'ERR_INVALID_CONFIG', () => requestToken(base({ clientId: 7 }))],
      ['clientId with a control character', 'ERR_INVALID_CONFIG', () => requestToken(base({ clientId: 'id\r\n' }))],
      ['clientId over 64 KiB', 'ERR_INVALID_CONFIG', () => requestToken(base({ clientId: 'i'.repeat(70_000) }))],
      ['clientSecret a number', 'ERR_INVALID_CONFIG', () => requestToken(base({ clientSecret: 12345 }))],
      ['clientSecret an object holding the secret', 'ERR_INVALID_CONFIG', () => requestToken(base({ clientSecret: { value: SECRET } }))],
      ['clientSecret over 64 KiB (the secret repeated)', 'ERR_INVALID_CONFIG', () => requestToken(base({ clientSecret: OVER_64_KIB(SECRET) }))],
      ['clientSecret missing with header authentication', 'ERR_INVALID_CONFIG', () => requestToken(base({ clientSecret: undefined }))],
      ['scope with a quote', 'ERR_INVALID_CONFIG', () => requestToken(base({ scope: 'read "write' }))],
      ['scope not a string', 'ERR_INVALID_CONFIG', () => requestToken(base({ scope: ['read'] }))],
      ['username missing', 'ERR_INVALID_CONFIG', () => requestToken(base({ username: undefined }))],
      ['username with a control character', 'ERR_INVALID_CONFIG', () => requestToken(base({ username: 'leak\u0000user' }))],
      ['username with client_credentials', 'ERR_INVALID_CONFIG', () => requestToken(base({ grantType: 'client_credentials', password: undefined }))],
      ['password empty', 'ERR_INVALID_CONFIG', () => requestToken(base({ password: '' }))],
      ['password a number', 'ERR_INVALID_CONFIG', () => requestToken(base({ password: 31337 }))],
      ['password over 64 KiB (the password repeated)', 'ERR_INVALID_CONFIG', () => requestToken(base({ password: OVER_64_KIB(PASSWORD) }))],
      ['password with client_credentials', 'ERR_INVALID_CONFIG', () => requestToken(base({ grantType: 'client_credentials', username: undefined }))],
      ['refreshToken missing for the refresh grant', 'ERR_INVALID_CONFIG', () => requestToken(refreshGrant({ refreshToken: undefined }))],
      ['refreshToken an array holding it', 'ERR_INVALID_CONFIG', () => requestToken(refreshGrant({ refreshToken: [REFRESH] }))],
      ['refreshToken over 64 KiB (the token repeated)', 'ERR_INVALID_CONFIG', () => requestToken(refreshGrant({ refreshToken: OVER_64_KIB(REFRESH) }))],
      ['refreshToken with the password grant', 'ERR_INVALID_CONFIG', () => requestToken(base({ refreshToken: REFRESH }))],
      ['extraParams client_secret = the secret', 'ERR_INVALID_CONFIG', () => requestToken(base({ extraParams: { client_secret: SECRET } }))],
      ['extraParams password = the password', 'ERR_INVALID_CONFIG', () => requestToken(base({ extraParams: { password: [PASSWORD] } }))],
      ['extraParams a value that is not a string', 'ERR_INVALID_CONFIG', () => requestToken(base({ extraParams: { audience: 5 } }))],
      ['extraParams not an object', 'ERR_INVALID_CONFIG', () => requestToken(base({ extraParams: SECRET }))],
      ['clientAuthentication unknown', 'ERR_INVALID_CONFIG', () => requestToken(base({ clientAuthentication: 'query' }))],
      ['clientSecret with a lone surrogate', 'ERR_INVALID_CONFIG', () => requestToken(base({ clientSecret: `${SECRET}\uD800` }))],
      ['password with a lone surrogate', 'ERR_INVALID_CONFIG', () => requestToken(base({ password: `\uDC00${PASSWORD}` }))],
      ['basicEncoding none with ":" in the client id', 'ERR_INVALID_CONFIG', () => requestToken(base({ clientSecret: 'ascii+secret', basicEncoding: 'none' }))],
      ['basicEncoding unknown', 'ERR_INVALID_CONFIG', () => requestToken(base({ basicEncoding: 'base64' }))],
      ['sslMode unknown', 'ERR_INVALID_CONFIG', () => requestToken(base({ sslMode: 'maybe' }))],
      ['timeoutSeconds negative', 'ERR_INVALID_CONFIG', () => requestToken(base({ timeoutSeconds: -1 }))],
      ['ignoreCookiesPolicy not a boolean', 'ERR_INVALID_CONFIG', () => requestToken(base({ ignoreCookiesPolicy: 'yes' }))],
      ['maxResponseBytes not a whole number', 'ERR_INVALID_CONFIG', () => requestToken(base({ maxResponseBytes: 1.5 }))],
      ['an unknown key holding the secret', 'ERR_INVALID_CONFIG', () => requestToken(base({ client_secret: SECRET }))],
      ['the secret pasted as a key', 'ERR_INVALID_CONFIG', () => requestToken(base({ [SECRET]: 'x' }))],
      ['a connection option given to requestToken', 'ERR_INVALID_CONFIG', () => requestToken(base({ headerPrefix: 'Bearer' }))],
      ['sslMode trust', 'ERR_UNSUPPORTED_SSL_MODE', () => requestToken(base({ sslMode: 'trust' }))],
      ['sslMode off', 'ERR_UNSUPPORTED_SSL_MODE', () => requestToken(base({ sslMode: 'off' }))],
      ['http to a non-loopback host', 'ERR_INSECURE_ENDPOINT', () => requestToken(base({ tokenEndpoint: 'http://auth.example/token' }))],
      // The wire.
      ['connection refused', 'ERR_NETWORK', () => requestToken(base({ tokenEndpoint: `http://127.0.0.1:${refused}/token` }))],
      ['reset mid-body', 'ERR_NETWORK', () => requestToken(base({ tokenEndpoint: hostile.url('/leak/reset') }))],
      ['untrusted certificate', 'ERR_TLS', () => requestToken(base({ tokenEndpoint: `https://127.0.0.1:${tlsPort}/token` }))],
      ['no answer within timeoutSeconds', 'ERR_TIMEOUT', () => requestToken(base({ tokenEndpoint: hostile.url('/hang'), timeoutSeconds: 0.3 }))],
      ['a redirect', 'ERR_UNEXPECTED_REDIRECT', () => requestToken(base({ tokenEndpoint: hostile.url('/leak/redirect') }))],
      // The authorization server's answers (the real one), with the canaries as credentials.
      ['wrong client secret over Basic', 'ERR_OAUTH', () => requestToken(base({ tokenEndpoint: auth.url, clientId: demo.id }))],
      ['wrong client secret in the body', 'ERR_OAUTH', () => requestToken(base({ tokenEndpoint: auth.url, clientId: demo.id, clientAuthentication: 'body' }))],
      ['wrong password', 'ERR_OAUTH', () => requestToken(base({ tokenEndpoint: auth.url, clientId: demo.id, clientSecret: demo.secret, username: 'alice' }))],
      ['unknown refresh token', 'ERR_OAUTH', () => requestToken(refreshGrant({ tokenEndpoint: auth.url, clientId: demo.id, clientSecret: demo.secret }))],
      ['a 200 carrying error', 'ERR_OAUTH', () => requestToken(base({ tokenEndpoint: hostile.url('/leak/200-error') }))],
      ['500 without a §5.2 body', 'ERR_HTTP_STATUS', () => requestToken(base({ tokenEndpoint: hostile.url('/leak/500') }))],
      ['401 with only WWW-Authenticate', 'ERR_HTTP_STATUS', () => requestToken(base({ tokenEndpoint: hostile.url('/leak/401') }))],
      // 2xx bodies holding the access and refresh token canaries.
      ['access_token with CR/LF', 'ERR_INVALID_RESPONSE', () => requestToken(base({ tokenEndpoint: hostile.url('/leak/bad-token') }))],
      ['token_type holding the token', 'ERR_INVALID_RESPONSE', () => requestToken(base({ tokenEndpoint: hostile.url('/leak/bad-type') }))],
      ['negative expires_in next to a good token', 'ERR_INVALID_RESPONSE', () => requestToken(base({ tokenEndpoint: hostile.url('/leak/bad-expiry') }))],
      ['truncated JSON holding the tokens', 'ERR_INVALID_RESPONSE', () => requestToken(base({ tokenEndpoint: hostile.url('/leak/truncated') }))],
      ['a JSON string that is the token', 'ERR_INVALID_RESPONSE', () => requestToken(base({ tokenEndpoint: hostile.url('/leak/string') }))],
      ['an HTML page holding the tokens', 'ERR_INVALID_RESPONSE', () => requestToken(base({ tokenEndpoint: hostile.url('/leak/html') }))],
      ['a body over maxResponseBytes holding the tokens', 'ERR_RESPONSE_TOO_LARGE', () => requestToken(base({ tokenEndpoint: hostile.url('/leak/huge') }))],
      // The connection.
      ['connection: invalid config, token()', 'ERR_INVALID_CONFIG', () => createConnection(base({ clientSecret: 5, headerPrefix: SECRET })).token()],
      ['connection: invalid config, fetch()', 'ERR_INVALID_CONFIG', () => createConnection(base({ password: OVER_64_KIB(PASSWORD) })).fetch(`http://127.0.0.1:${resourcePort}/x`)],
      ['connection: headerName invalid', 'ERR_INVALID_CONFIG', () => createConnection(base({ headerName: `X ${SECRET}` })).token()],
      ['connection: headerPrefix with a control character', 'ERR_INVALID_CONFIG', () => createConnection(base({ headerPrefix: 'Bearer\r\n' })).token()],
      ['connection: fetch() to an origin not in resourceOrigins', 'ERR_FORBIDDEN_ORIGIN',
        () => createConnection(base({ tokenEndpoint: hostile.url('/leak/good'), resourceOrigins: ['https://api.example'] })).fetch(`http://127.0.0.1:${resourcePort}/x`)],
      ['connection: fetch() over http: to a host that is not loopback', 'ERR_FORBIDDEN_ORIGIN',
        () => createConnection(base({ tokenEndpoint: hostile.url('/leak/good') })).fetch('http://api.example/x')],
      ['connection: refreshSkewSeconds invalid', 'ERR_INVALID_CONFIG', () => createConnection(base({ refreshSkewSeconds: -5 })).token()],
      ['connection: token() refused by the server', 'ERR_OAUTH', () => createConnection(base({ tokenEndpoint: auth.url, clientId: demo.id })).token()],
      ['connection: fetch() when no token can be had', 'ERR_OAUTH',
        () => createConnection(base({ tokenEndpoint: auth.url, clientId: demo.id })).fetch(`http://127.0.0.1:${resourcePort}/x`)],
      ['connection: fetch() whose 401 retry cannot renew (refresh token, then the grant, refused)', 'ERR_OAUTH', async () => {
        const conn = createConnection(base({ tokenEndpoint: hostile.url('/leak/once-then-fail') }));
        try {
          return await conn.fetch(`http://127.0.0.1:${resourcePort}/items`, { method: 'POST', body: 'x=1' });
        } finally {
          // The first attempt carried the token; the retry never happened.
          assert.deepEqual(resourceCalls.slice(-1), [`Bearer ${ACCESS}`]);
          assert.equal(tokenThenFailCount, 3, 'token, then refresh_token refused, then the grant refused');
          assert.equal(conn.lastResult?.accessToken, ACCESS);
        }
      }],
    ];

    for (const [label, code, run] of paths) {
      const err = await run().then(() => undefined, (e) => e);
      assert.ok(err instanceof OAuthTokenError, `${label}: expected a rejection with OAuthTokenError, got ${err?.name ?? 'a result'}`);
      assert.equal(err.code, code, `${label}: code`);
      seenCodes.add(err.code);
      scanned.errors += 1;
      for (const form of leaksInError(err)) leaks.push(`${label}: error exposes ${form}`);
    }

    // Results' warnings (a foreign-domain cookie next to the canary tokens).
    const withCookie = await requestToken(base({ tokenEndpoint: hostile.url('/leak/cookie') }));
    assert.equal(withCookie.accessToken, ACCESS);
    assert.equal(withCookie.refreshToken, REFRESH);
    assert.equal(withCookie.warnings.length, 1);
    const conn = createConnection(base({ tokenEndpoint: hostile.url('/leak/cookie') }));
    await conn.token();
    for (const warnings of [withCookie.warnings, conn.lastResult.warnings]) {
      scanned.warnings += warnings.length;
      for (const form of leaksIn(JSON.stringify(warnings))) leaks.push(`warnings expose ${form}`);
    }

    // previewRequest, in every mode that carries a secret.
    const previews = [
      base(),
      base({ clientAuthentication: 'body' }),
      base({ grantType: 'client_credentials', username: undefined, password: undefined }),
      refreshGrant(),
      refreshGrant({ clientAuthentication: 'body', scope: 'read' }),
      base({ clientId: 'plain-id', clientSecret: 'ascii+:"%secret', basicEncoding: 'none' }),
      base({ extraParams: { audience: 'https://api.example/' } }),
    ];
    for (const config of previews) {
      const p = await previewRequest(config);
      scanned.previews += 1;
      for (const form of leaksIn(JSON.stringify(p))) leaks.push(`previewRequest(${config.grantType}, ${config.clientAuthentication ?? 'header'}) exposes ${form}`);
    }
  } finally {
    output.stop();
  }

  for (const form of leaksIn(output.captured.join('\n'))) leaks.push(`the console or stdout/stderr got ${form}`);
  assert.deepEqual(leaks, []);
  assert.deepEqual([...seenCodes].sort(), [...CODES].sort(), 'every error code was driven');
  t.diagnostic(`scanned ${scanned.errors} errors (${seenCodes.size} codes), ${scanned.warnings} warnings, `
    + `${scanned.previews} previews, ${output.captured.length} console/stdio writes, ${PATTERNS.length} canary forms`);
});

test('the scanner finds every canary form wherever an error could carry it', () => {
  for (const [label, text] of PATTERNS) {
    const carriers = [
      new Error(`x ${text} y`),
      Object.assign(new Error('x'), { errorDescription: text }),
      new Error('x', { cause: new TypeError('fetch failed', { cause: Object.assign(new Error('deep'), { detail: text }) }) }),
      new Error('x', { cause: text }),
      new AggregateError([new Error(text)], 'x'),
    ];
    for (const err of carriers) assert.ok(leaksInError(err).includes(label), `${label} not found`);
    assert.ok(leaksIn(`prefix${text}suffix`).includes(label));
  }
  assert.deepEqual(leaksInError(new Error('clean', { cause: new Error('also clean') })), []);
});

test('the console capture sees console.* and direct stdout/stderr writes', () => {
  const [[label, text]] = PATTERNS;
  const writers = [
    () => console.log('x', { nested: text }),
    () => console.error(new Error(text)),
    () => console.warn(text),
    () => console.info(text),
    () => console.debug(text),
    () => process.stdout.write(text),
    () => process.stderr.write(Buffer.from(text)),
  ];
  for (const write of writers) {
    const output = captureOutput({ passThrough: false }); // nothing reaches the real console
    try {
      write();
    } finally {
      output.stop();
    }
    assert.ok(leaksIn(output.captured.join('\n')).includes(label), String(write));
  }
});
