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
//
// Signed assertions (oauth-token-connection/full) get a scan of their own, with private keys as
// canaries: every line of their PEM bodies, the base64 of their DER, a private JWK's d, p, q, dp,
// dq and qi, a service account's private_key; and the client secret of client_secret_jwt. Their
// paths: each refusal of a key or a setting, the host's WebCrypto refusing the key or lacking
// the algorithm, a server refusing the assertion and quoting the request, results' warnings,
// previewRequest in every mode, the default entry's refusals, the shared cache's key, and the
// console.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import util from 'node:util';

import { generateKeyPairSync } from 'node:crypto';

import { requestToken, createConnection, OAuthTokenError } from 'oauth-token-connection';
import * as full from 'oauth-token-connection/full';
import { previewRequest } from 'oauth-token-connection/full';
import { startAuthServer, DEMO_CLIENTS } from '../../demo/auth-server.mjs';
import { startHostileServer } from './support/hostile-server.mjs';
import { makeCerts } from './support/certs.mjs';
import { CANARIES, CANARY_CLIENT_ID, PATTERNS, errorTexts, formsOf, leaksIn, leaksInError } from './support/canaries.mjs';
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

// --- Signed assertions --------------------------------------------------------------------

/** [label, text] for every form of a private key that must never appear. */
function keyPatterns(name, keyObject) {
  const patterns = [];
  for (const type of keyObject.asymmetricKeyType === 'rsa' ? ['pkcs1', 'pkcs8'] : ['pkcs8', ...(keyObject.asymmetricKeyType === 'ec' ? ['sec1'] : [])]) {
    const pemText = keyObject.export({ type, format: 'pem' });
    pemText.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----')).forEach((line, i) => patterns.push([`${name}/${type} PEM line ${i}`, line]));
    patterns.push([`${name}/${type} DER base64`, keyObject.export({ type, format: 'der' }).toString('base64').slice(40, 120)]);
  }
  const jwk = keyObject.export({ format: 'jwk' });
  for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) {
    if (jwk[member]) patterns.push([`${name}/JWK ${member}`, jwk[member].slice(0, 32)]);
  }
  return patterns;
}

test('no signing path exposes any part of a private key or of the secret that signs', async (t) => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ed = generateKeyPairSync('ed25519');
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const patterns = [
    ...keyPatterns('rsa', rsa.privateKey),
    ...keyPatterns('ec', ec.privateKey),
    ...keyPatterns('ed25519', ed.privateKey),
    ...keyPatterns('rsa1024', small.privateKey),
    ...PATTERNS.filter(([label]) => label.startsWith('clientSecret/')),
  ];
  const found = (text) => patterns.filter(([, p]) => String(text).includes(p)).map(([label]) => label);
  const foundInError = (err) => [...new Set(errorTexts(err).flatMap(found))];
  // The scanner finds each pattern.
  for (const [label, text] of patterns) assert.deepEqual(found(`x${text}y`).includes(label), true, label);

  const hostile = await startHostileServer({
    routes: {
      '/keys/good': send(200, tok(ACCESS), { 'set-cookie': ['sid=1; Domain=evil.example; Path=/'] }),
      // A server that quotes the whole request back in its refusal.
      '/keys/echo': (req, res) => send(400, { error: 'invalid_client', error_description: req.body })(req, res),
    },
  });
  t.after(() => hostile.close());
  const pem = (kp, type = 'pkcs8') => kp.privateKey.export({ type, format: 'pem' });
  const rsaJwk = rsa.privateKey.export({ format: 'jwk' });
  const base = (extra = {}) => ({
    tokenEndpoint: hostile.url('/keys/good'), clientId: 'keys-client', clientAuthentication: 'private_key_jwt', privateKey: pem(rsa, 'pkcs1'), ...extra,
  });
  const account = (extra = {}) => ({
    type: 'service_account', private_key_id: 'k1', private_key: pem(rsa), client_email: 'robot@example.iam.gserviceaccount.com',
    token_uri: hostile.url('/keys/good'), ...extra,
  });
  const corrupt = pem(rsa).replace(/\n(.)/, (m, c) => `\n${c === 'A' ? 'B' : 'A'}!`);
  // An RSA PKCS#8 whose inner key ends after its modulus: the core reads it, WebCrypto refuses it.
  const der = rsa.privateKey.export({ type: 'pkcs1', format: 'der' });
  const modulusOnly = (() => {
    const len = (n) => (n < 128 ? [n] : n < 256 ? [0x81, n] : [0x82, n >> 8, n & 255]);
    const tlv = (tag, body) => Buffer.from([tag, ...len(body.length), ...body]);
    const n = rsa.publicKey.export({ format: 'jwk' }).n;
    const inner = tlv(0x30, Buffer.concat([tlv(2, Buffer.from([0])), tlv(2, Buffer.concat([Buffer.from([0]), Buffer.from(n, 'base64url')]))]));
    const alg = Buffer.from('300d06092a864886f70d0101010500', 'hex');
    const info = tlv(0x30, Buffer.concat([tlv(2, Buffer.from([0])), alg, tlv(4, inner)]));
    return `-----BEGIN PRIVATE KEY-----\n${info.toString('base64')}\n-----END PRIVATE KEY-----\n`;
  })();
  assert.ok(der.length > 0);

  const output = captureOutput();
  const leaks = [];
  const codes = new Set();
  try {
    const paths = [
      ['a malformed PEM', () => full.requestToken(base({ privateKey: corrupt }))],
      ['a PEM cut in half', () => full.requestToken(base({ privateKey: pem(rsa).slice(0, 900) }))],
      ['two keys in one PEM', () => full.requestToken(base({ privateKey: pem(rsa) + pem(ec) }))],
      ['an EC key with RS256', () => full.requestToken(base({ privateKey: pem(ec, 'sec1'), signingAlgorithm: 'RS256' }))],
      ['an RSA key under 2048 bits', () => full.requestToken(base({ privateKey: pem(small, 'pkcs1') }))],
      ['a JWK without qi', () => full.requestToken(base({ privateKey: { ...rsaJwk, qi: undefined } }))],
      ['a JWK whose alg does not fit', () => full.requestToken(base({ privateKey: { ...rsaJwk, alg: 'ES256' } }))],
      ['a JWK as the wrong type', () => full.requestToken(base({ privateKey: { ...rsaJwk, kty: 'EC' } }))],
      ['the key where a certificate goes', () => full.requestToken(base({ certificate: pem(ec) }))],
      ['the key with header authentication', () => full.requestToken(base({ clientAuthentication: 'header', clientSecret: SECRET }))],
      ['the key under an unknown name', () => full.requestToken(base({ private_key: pem(rsa) }))],
      ['the key over 64 KiB', () => full.requestToken(base({ privateKey: pem(rsa).repeat(30) }))],
      ['the key and a service account', () => full.requestToken({ serviceAccount: account(), privateKey: pem(ec) })],
      ['a service account without client_email', () => full.requestToken({ serviceAccount: account({ client_email: undefined }) })],
      ['a service account with a broken key', () => full.requestToken({ serviceAccount: account({ private_key: corrupt }) })],
      ['client_secret_jwt with RS256', () => full.requestToken(base({ clientAuthentication: 'client_secret_jwt', privateKey: undefined, clientSecret: SECRET, signingAlgorithm: 'RS256' }))],
      ['the host refuses the key (DataError)', () => full.requestToken(base({ privateKey: modulusOnly }))],
      ['the default entry refuses the key', () => requestToken(base())],
      ['the default entry refuses a service account', () => requestToken({ serviceAccount: account() })],
      ['a server quoting the request (private_key_jwt)', () => full.requestToken(base({ tokenEndpoint: hostile.url('/keys/echo') }))],
      ['a server quoting the request (client_secret_jwt)', () => full.requestToken(base({ tokenEndpoint: hostile.url('/keys/echo'), clientAuthentication: 'client_secret_jwt', privateKey: undefined, clientSecret: SECRET }))],
      ['a server quoting the request (a service account)', () => full.requestToken({ serviceAccount: account({ token_uri: hostile.url('/keys/echo') }), scope: 'a' })],
      ['a connection whose key is refused', () => full.createConnection(base({ privateKey: corrupt })).token()],
    ];
    for (const [label, run] of paths) {
      const err = await run().then(() => undefined, (e) => e);
      assert.equal(err?.name, 'OAuthTokenError', `${label}: ${err?.message ?? 'no rejection'}`);
      codes.add(err.code);
      for (const form of foundInError(err)) leaks.push(`${label}: error exposes ${form}`);
    }
    // A runtime without Ed25519.
    const subtle = globalThis.crypto.subtle;
    subtle.importKey = () => Promise.reject(new DOMException(`no ${pem(ed)}`, 'NotSupportedError'));
    try {
      const err = await full.requestToken(base({ privateKey: pem(ed) })).then(() => undefined, (e) => e);
      assert.equal(err?.code, 'ERR_UNSUPPORTED_ALGORITHM');
      codes.add(err.code);
      for (const form of foundInError(err)) leaks.push(`no Ed25519: error exposes ${form}`);
    } finally {
      delete subtle.importKey;
    }

    // Results' warnings (a foreign cookie) in every mode.
    for (const config of [base(), base({ privateKey: rsaJwk }), base({ clientAuthentication: 'client_secret_jwt', privateKey: undefined, clientSecret: SECRET }), { serviceAccount: account(), scope: 'a' }]) {
      const r = await full.requestToken(config);
      assert.equal(r.warnings.length, 1);
      for (const form of found(JSON.stringify(r))) leaks.push(`a result exposes ${form}`);
    }
    // previewRequest in every mode.
    for (const config of [
      base(), base({ privateKey: rsaJwk }), base({ privateKey: pem(ec, 'sec1') }), base({ privateKey: pem(ed) }),
      base({ clientAuthentication: 'client_secret_jwt', privateKey: undefined, clientSecret: SECRET }),
      { tokenEndpoint: hostile.url('/keys/good'), grantType: 'jwt_bearer', privateKey: pem(rsa), issuer: 'i', subject: 's', assertionClaims: { scope: 'a' } },
      { serviceAccount: account(), scope: 'a' },
    ]) {
      for (const form of found(JSON.stringify(await previewRequest(config)))) leaks.push(`previewRequest exposes ${form}`);
    }
    // The shared cache's key holds no part of the key: two keys, one cache key.
    const cache = { get: () => undefined, put: () => {} };
    const [a, b] = await Promise.all([rsa, ec].map((kp) => full.createConnection(base({ privateKey: pem(kp), cache })).cacheKey()));
    assert.match(a, /^otc:v2:[0-9a-f]{64}$/);
    assert.equal(a, b);
  } finally {
    output.stop();
  }
  for (const form of found(output.captured.join('\n'))) leaks.push(`the console or stdout/stderr got ${form}`);
  assert.deepEqual(leaks, []);
  assert.deepEqual([...codes].sort(), ['ERR_INVALID_CONFIG', 'ERR_OAUTH', 'ERR_UNSUPPORTED_ALGORITHM']);
  t.diagnostic(`${patterns.length} key and secret forms; every signing error, warning, preview and console write clean`);
});
