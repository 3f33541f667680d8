// Signed assertions (RFC 7523) against real servers on 127.0.0.1, each in its own process:
// oidc-provider (npm) for private_key_jwt and client_secret_jwt, Authlib's JWTBearerGrant
// (PyPI, tests/python/) for the jwt_bearer grant, and a Google-style endpoint that takes the
// scope from the assertion's claim. Keys are generated per run by node:crypto; the package
// signs with the host's WebCrypto. Run: node --test tests/node/keys.test.mjs (after
// scripts/setup.sh, which installs Authlib into .tools/venv, and scripts/build.sh).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, verify, webcrypto } from 'node:crypto';

import { requestToken, createConnection, previewRequest, discover, OAuthTokenError } from 'oauth-token-connection/full';
import * as defaultEntry from 'oauth-token-connection';
import { startOidcProvider, startJwtBearerServer, startGoogleStyle } from './support/assertion-servers.mjs';
// The package's own module instance (the exports map resolves to the same file): its fallback
// WebCrypto (node:crypto's, for Node.js 18) is cleared to play a host without any.
import { setFallbackCrypto } from '../../pkg/full/package.js';

const pair = (type, options) => generateKeyPairSync(type, options);
const KEYS = {
  rsa: pair('rsa', { modulusLength: 2048 }),
  p256: pair('ec', { namedCurve: 'P-256' }),
  p384: pair('ec', { namedCurve: 'P-384' }),
  ed25519: pair('ed25519'),
  other: pair('rsa', { modulusLength: 2048 }),
};
const pem = (kp, type) => kp.privateKey.export({ type, format: 'pem' });
const publicJwk = (kp, extra = {}) => ({ ...kp.publicKey.export({ format: 'jwk' }), ...extra });
const SECRET = 'client-secret-jwt-0123456789abcdef-0123456789abcdef-0123456789abcdef';

/** The decoded header and claims of a JWS. */
const decode = (jws) => {
  const [h, c] = jws.split('.');
  return { header: JSON.parse(Buffer.from(h, 'base64url')), claims: JSON.parse(Buffer.from(c, 'base64url')) };
};

async function rejection(promise, ErrorClass = OAuthTokenError) {
  const err = await promise.then(() => undefined, (e) => e);
  assert.ok(err instanceof ErrorClass, `expected an OAuthTokenError, got ${err?.name}: ${err?.message}`);
  return err;
}

/** Runs `fn` with Date.now `offsetMs` away from the real clock (only this process's clock). */
async function withClock(offsetMs, fn) {
  const real = Date.now;
  Date.now = () => real() + offsetMs;
  try {
    return await fn();
  } finally {
    Date.now = real;
  }
}

/** Counts crypto.subtle.importKey and sign calls while `fn` runs. */
async function counting(fn) {
  const subtle = globalThis.crypto.subtle;
  const counts = { importKey: 0, sign: 0 };
  for (const name of Object.keys(counts)) {
    const original = subtle[name];
    subtle[name] = function counted(...args) {
      counts[name] += 1;
      return original.apply(this, args);
    };
  }
  try {
    await fn(counts);
  } finally {
    delete subtle.importKey;
    delete subtle.sign;
  }
  return counts;
}

let op;
let bearer;
before(async () => {
  op = await startOidcProvider([
    { client_id: 'rs256', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [publicJwk(KEYS.rsa)] } },
    { client_id: 'ps256', token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'PS256', jwks: { keys: [publicJwk(KEYS.rsa)] } },
    { client_id: 'es256', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [publicJwk(KEYS.p256, { kid: 'p256-1' })] } },
    { client_id: 'es384', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [publicJwk(KEYS.p384)] } },
    { client_id: 'eddsa', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [publicJwk(KEYS.ed25519)] } },
    { client_id: 'hs256', token_endpoint_auth_method: 'client_secret_jwt', client_secret: SECRET },
    { client_id: 'hs512', token_endpoint_auth_method: 'client_secret_jwt', token_endpoint_auth_signing_alg: 'HS512', client_secret: SECRET },
  ]);
  bearer = await startJwtBearerServer({
    'issuer-rs256': { jwk: publicJwk(KEYS.rsa), users: ['alice@example.com'] },
    'issuer-es256': { jwk: publicJwk(KEYS.p256), users: [] },
  });
});
after(async () => {
  await op?.close();
  await bearer?.close();
});

test('private_key_jwt against oidc-provider: RS256 (PKCS#1 PEM), PS256 (a private JWK), ES256 (SEC1 PEM), ES384 and EdDSA (PKCS#8), a CryptoKey', async () => {
  const rsaJwk = KEYS.rsa.privateKey.export({ format: 'jwk' });
  const p256 = await webcrypto.subtle.importKey('pkcs8', KEYS.p256.privateKey.export({ type: 'pkcs8', format: 'der' }),
    { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  const cases = [
    ['rs256', { privateKey: pem(KEYS.rsa, 'pkcs1') }, 'RS256'],
    ['ps256', { privateKey: rsaJwk, signingAlgorithm: 'PS256' }, 'PS256'],
    ['es256', { privateKey: pem(KEYS.p256, 'sec1'), keyId: 'p256-1' }, 'ES256'],
    ['es384', { privateKey: pem(KEYS.p384, 'pkcs8') }, 'ES384'],
    ['eddsa', { privateKey: pem(KEYS.ed25519, 'pkcs8') }, 'EdDSA'],
    ['es256', { privateKey: p256 }, 'ES256'],
  ];
  for (const [clientId, key, alg] of cases) {
    const result = await requestToken({
      tokenEndpoint: op.tokenEndpoint, clientId, clientAuthentication: 'private_key_jwt', scope: 'api', ...key,
    });
    assert.equal(result.tokenType, 'Bearer', clientId);
    assert.equal(result.scope, 'api', clientId);
    assert.ok(result.accessToken.length > 20, clientId);
    const sent = (await op.requests()).at(-1);
    assert.equal(sent.client_assertion_type, 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    assert.equal(sent.client_id, clientId);
    assert.equal(sent.client_secret, undefined);
    const { header, claims } = decode(sent.client_assertion);
    assert.equal(header.alg, alg, clientId);
    assert.equal(claims.iss, clientId);
    assert.equal(claims.sub, clientId);
    assert.equal(claims.aud, op.tokenEndpoint);
    assert.equal(claims.exp - claims.iat, 60);
    assert.match(claims.jti, /^[A-Za-z0-9_-]{22}$/);
  }
  assert.equal(decode((await op.requests()).find((r) => r.client_id === 'es256').client_assertion).header.kid, 'p256-1');
});

test('client_secret_jwt against oidc-provider: HS256 and HS512; the secret is never sent', async () => {
  for (const [clientId, signingAlgorithm] of [['hs256', undefined], ['hs512', 'HS512']]) {
    const result = await requestToken({
      tokenEndpoint: op.tokenEndpoint, clientId, clientSecret: SECRET, clientAuthentication: 'client_secret_jwt', signingAlgorithm,
    });
    assert.equal(result.tokenType, 'Bearer');
    const sent = (await op.requests()).at(-1);
    assert.equal(decode(sent.client_assertion).header.alg, signingAlgorithm ?? 'HS256');
    assert.ok(!JSON.stringify(sent).includes(SECRET));
  }
  const err = await rejection(requestToken({
    tokenEndpoint: op.tokenEndpoint, clientId: 'hs256', clientSecret: `${SECRET}x`, clientAuthentication: 'client_secret_jwt',
  }));
  assert.equal(err.code, 'ERR_OAUTH');
  assert.equal(err.error, 'invalid_client');
});

test('a wrong key and an expired assertion (the clock injected) are refused by oidc-provider: invalid_client', async () => {
  const base = { tokenEndpoint: op.tokenEndpoint, clientId: 'rs256', clientAuthentication: 'private_key_jwt' };
  const wrong = await rejection(requestToken({ ...base, privateKey: pem(KEYS.other, 'pkcs8') }));
  assert.equal(wrong.code, 'ERR_OAUTH');
  assert.equal(wrong.error, 'invalid_client');
  const tenMinutesAgo = -10 * 60_000;
  const expired = await withClock(tenMinutesAgo, () => rejection(requestToken({ ...base, privateKey: pem(KEYS.rsa, 'pkcs8') })));
  assert.equal(expired.error, 'invalid_client');
  const { claims } = decode((await op.requests()).at(-1).client_assertion);
  assert.ok(claims.exp * 1000 < Date.now() - 8 * 60_000, 'iat and exp come from the clock the host passes');
  // The same key with the real clock works.
  assert.equal((await requestToken({ ...base, privateKey: pem(KEYS.rsa, 'pkcs8') })).tokenType, 'Bearer');
});

test('50 concurrent token() calls on one connection import the key once and make one request; each renewal signs a fresh assertion', async () => {
  const before = (await op.requests()).length;
  const conn = createConnection({
    tokenEndpoint: op.tokenEndpoint, clientId: 'es256', clientAuthentication: 'private_key_jwt', privateKey: pem(KEYS.p256, 'sec1'),
  });
  const counts = await counting(async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => conn.token()));
    assert.equal(new Set(results.map((r) => r.accessToken)).size, 1);
    conn.invalidate();
    await conn.token();
    conn.invalidate();
    await conn.token();
  });
  assert.deepEqual(counts, { importKey: 1, sign: 3 });
  const sent = (await op.requests()).slice(before);
  assert.equal(sent.length, 3);
  assert.equal(new Set(sent.map((r) => decode(r.client_assertion).claims.jti)).size, 3, 'a new jti per request');
  assert.equal(new Set(sent.map((r) => r.client_assertion)).size, 3, 'an assertion is never reused');
});

test('the JWT bearer grant against Authlib: issuer, subject, scope; a wrong key, an unknown subject and an expired assertion are invalid_grant', async () => {
  const base = { tokenEndpoint: bearer.tokenEndpoint, grantType: 'jwt_bearer', issuer: 'issuer-rs256', privateKey: pem(KEYS.rsa, 'pkcs1') };
  const result = await requestToken({ ...base, subject: 'alice@example.com', scope: 'read write' });
  assert.equal(result.tokenType, 'Bearer');
  assert.equal(result.scope, 'read write');
  const [seen] = await bearer.seen();
  assert.equal(seen.grant_type, 'urn:ietf:params:oauth:grant-type:jwt-bearer');
  assert.deepEqual(seen.params, ['assertion', 'grant_type', 'scope'], 'no client authentication, no client_id');
  assert.equal(seen.header.alg, 'RS256');
  assert.equal(seen.claims.iss, 'issuer-rs256');
  assert.equal(seen.claims.sub, 'alice@example.com');
  assert.equal(seen.claims.aud, bearer.tokenEndpoint);

  // ES256, the URN as grantType, no subject.
  const es = await requestToken({
    tokenEndpoint: bearer.tokenEndpoint, grantType: 'urn:ietf:params:oauth:grant-type:jwt-bearer', issuer: 'issuer-es256', privateKey: pem(KEYS.p256, 'pkcs8'),
  });
  assert.equal(es.tokenType, 'Bearer');

  for (const [label, config] of [
    ['wrong key', { ...base, privateKey: pem(KEYS.other, 'pkcs8') }],
    ['unknown subject', { ...base, subject: 'mallory@example.com' }],
    ['wrong audience', { ...base, audience: 'https://elsewhere.example/token' }],
  ]) {
    const err = await rejection(requestToken(config));
    assert.equal(err.code, 'ERR_OAUTH', label);
    assert.equal(err.error, 'invalid_grant', label);
  }
  const expired = await withClock(-10 * 60_000, () => rejection(requestToken(base)));
  assert.equal(expired.error, 'invalid_grant');
  // A connection renews with a fresh assertion.
  const conn = createConnection(base);
  const first = await conn.token();
  conn.invalidate();
  assert.notEqual((await conn.token()).accessToken, first.accessToken);
  const jtis = (await bearer.seen()).slice(-2).map((s) => s.claims.jti);
  assert.notEqual(jtis[0], jtis[1]);
});

test('with private_key_jwt, issuer is the URL to discover: oidc-provider\'s token endpoint, the assertion\'s audience', async () => {
  const before = (await op.requests()).length;
  const result = await requestToken({ issuer: op.issuer, clientId: 'rs256', privateKey: pem(KEYS.rsa, 'pkcs8'), scope: 'api' });
  assert.equal(result.tokenType, 'Bearer');
  const sent = await op.requests();
  assert.equal(sent.length, before + 1);
  const { claims } = decode(sent.at(-1).client_assertion);
  assert.equal(claims.iss, 'rs256');
  assert.equal(claims.aud, op.tokenEndpoint, 'the default audience is the discovered token endpoint');
});

test('with the JWT bearer grant, issuer is the assertion\'s iss: tokenEndpoint is required, e.g. from discover()', async () => {
  const base = { grantType: 'jwt_bearer', issuer: 'issuer-rs256', privateKey: pem(KEYS.rsa, 'pkcs1') };
  const seen = (await bearer.seen()).length;
  for (const grantType of ['jwt_bearer', 'urn:ietf:params:oauth:grant-type:jwt-bearer']) {
    const err = await rejection(requestToken({ ...base, grantType }));
    assert.equal(err.code, 'ERR_INVALID_CONFIG');
    assert.match(err.message, /^tokenEndpoint is required with grantType "jwt_bearer", whose issuer is the assertion's iss/);
    assert.match(err.message, /pass tokenEndpoint, e\.g\. the token_endpoint of discover\(url\)/);
  }
  assert.equal((await bearer.seen()).length, seen, 'nothing was sent');
  // The token endpoint from discovery (oidc-provider's metadata), the issuer as the iss.
  const { token_endpoint: discovered } = await discover(op.issuer);
  assert.equal(discovered, op.tokenEndpoint);
  const result = await requestToken({ ...base, tokenEndpoint: bearer.tokenEndpoint });
  assert.equal(result.tokenType, 'Bearer');
  assert.equal((await bearer.seen()).at(-1).claims.iss, 'issuer-rs256');
});

test('a Google service account key file: jwt_bearer, iss client_email, kid private_key_id, the token_uri, the scope in the claim only', async () => {
  const google = await startGoogleStyle(KEYS.rsa.publicKey, 'abc123');
  try {
    const keyFile = JSON.stringify({
      type: 'service_account',
      project_id: 'demo',
      private_key_id: 'abc123',
      private_key: pem(KEYS.rsa, 'pkcs8'),
      client_email: 'robot@demo.iam.gserviceaccount.com',
      client_id: '1234567890',
      token_uri: google.url,
    });
    const scope = 'https://www.googleapis.com/auth/cloud-platform';
    const result = await requestToken({ serviceAccount: JSON.parse(keyFile), scope });
    assert.equal(result.accessToken, `ya29.${Buffer.from('robot@demo.iam.gserviceaccount.com').toString('base64url')}`);
    assert.equal(result.scope, scope);
    const [seen] = google.seen;
    assert.deepEqual(seen.header, { alg: 'RS256', typ: 'JWT', kid: 'abc123' });
    assert.equal(seen.claims.iss, 'robot@demo.iam.gserviceaccount.com');
    assert.equal(seen.claims.scope, scope);
    assert.deepEqual(seen.params, ['grant_type', 'assertion'], 'no scope parameter');
    // A key whose line breaks arrived escaped (an environment variable), on a connection.
    const escaped = { ...JSON.parse(keyFile), private_key: pem(KEYS.rsa, 'pkcs8').trim().replaceAll('\n', '\\n') };
    assert.equal((await createConnection({ serviceAccount: escaped, scope }).token()).scope, scope);
    // Without a scope, the endpoint refuses as Google does.
    const err = await rejection(requestToken({ serviceAccount: JSON.parse(keyFile) }));
    assert.equal(err.error, 'invalid_scope');
  } finally {
    await google.close();
  }
});

test('bad input is ERR_INVALID_CONFIG naming the field, before anything is sent', async () => {
  const base = { tokenEndpoint: 'https://auth.example.com/token', clientId: 'c', clientAuthentication: 'private_key_jwt' };
  const rsa1024 = pair('rsa', { modulusLength: 1024 });
  const cases = [
    [{ privateKey: '-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----' }, 'privateKey is not a PEM text'],
    [{ privateKey: KEYS.rsa.publicKey.export({ type: 'spki', format: 'pem' }) }, 'privateKey holds a public key'],
    [{ privateKey: pem(KEYS.p256, 'pkcs8'), signingAlgorithm: 'RS256' }, 'privateKey is a P-256 key: use ES256'],
    [{ privateKey: pem(rsa1024, 'pkcs1') }, 'privateKey is an RSA key under 2048 bits'],
    [{ privateKey: publicJwk(KEYS.p256) }, 'privateKey is a public JWK'],
    [{ privateKey: 42 }, 'privateKey must be a PEM string'],
    [{ privateKey: pem(KEYS.rsa, 'pkcs8'), certificate: 'nope' }, 'certificate holds no certificate'],
    [{ clientAuthentication: undefined, grantType: 'jwt_bearer', clientId: undefined, serviceAccount: { private_key: pem(KEYS.rsa, 'pkcs8') } }, 'serviceAccount has no client_email'],
    [{ clientAuthentication: undefined, grantType: 'jwt_bearer', clientId: undefined, serviceAccount: { client_email: 'a@b' } }, 'serviceAccount has no private_key'],
  ];
  for (const [extra, message] of cases) {
    const err = await rejection(requestToken({ ...base, ...extra }));
    assert.equal(err.code, 'ERR_INVALID_CONFIG', message);
    assert.ok(err.message.startsWith(message), `${message}: ${err.message}`);
  }
  // The default entry refuses every signing setting by name, pointing to /full.
  for (const config of [
    { ...base, privateKey: pem(KEYS.rsa, 'pkcs8') },
    { tokenEndpoint: base.tokenEndpoint, serviceAccount: {} },
    { tokenEndpoint: base.tokenEndpoint, clientId: 'c', clientSecret: 's', clientAuthentication: 'client_secret_jwt' },
    { tokenEndpoint: base.tokenEndpoint, clientId: 'c', grantType: 'jwt_bearer' },
  ]) {
    const err = await rejection(defaultEntry.requestToken(config), defaultEntry.OAuthTokenError);
    assert.equal(err.code, 'ERR_INVALID_CONFIG');
    assert.match(err.message, /is in 'oauth-token-connection\/full'/);
  }
});

test("a runtime's limits: no Ed25519 in WebCrypto, no crypto.subtle: ERR_UNSUPPORTED_ALGORITHM naming the algorithm", async () => {
  const subtle = globalThis.crypto.subtle;
  const original = subtle.importKey;
  subtle.importKey = function withoutEd25519(format, data, algorithm, ...rest) {
    if (algorithm?.name === 'Ed25519') return Promise.reject(new DOMException('Unrecognized algorithm name', 'NotSupportedError'));
    return original.call(this, format, data, algorithm, ...rest);
  };
  try {
    const err = await rejection(requestToken({
      tokenEndpoint: op.tokenEndpoint, clientId: 'eddsa', clientAuthentication: 'private_key_jwt', privateKey: pem(KEYS.ed25519, 'pkcs8'),
    }));
    assert.equal(err.code, 'ERR_UNSUPPORTED_ALGORITHM');
    assert.match(err.message, /^this runtime's WebCrypto cannot sign EdDSA/);
    assert.match(err.hint, /RS256, PS256, ES256 and ES384/);
  } finally {
    delete subtle.importKey;
  }
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
  Object.defineProperty(globalThis, 'crypto', { value: undefined, configurable: true, writable: true });
  setFallbackCrypto(undefined);
  try {
    const err = await rejection(requestToken({
      tokenEndpoint: op.tokenEndpoint, clientId: 'es256', clientAuthentication: 'private_key_jwt', privateKey: pem(KEYS.p256, 'pkcs8'),
    }));
    assert.equal(err.code, 'ERR_UNSUPPORTED_ALGORITHM');
    assert.match(err.message, /no WebCrypto/);
  } finally {
    Object.defineProperty(globalThis, 'crypto', descriptor);
    setFallbackCrypto(() => webcrypto);
  }
});

test('previewRequest shows the decoded header and claims, the signature and the body value masked', async () => {
  const p = await previewRequest({
    tokenEndpoint: op.tokenEndpoint, clientId: 'rs256', clientAuthentication: 'private_key_jwt', privateKey: pem(KEYS.rsa, 'pkcs1'), keyId: 'k1',
  });
  assert.deepEqual(p.assertion.header, { alg: 'RS256', typ: 'JWT', kid: 'k1' });
  assert.equal(p.assertion.claims.iss, 'rs256');
  assert.equal(p.assertion.claims.aud, op.tokenEndpoint);
  assert.equal(p.assertion.claims.exp - p.assertion.claims.iat, 60);
  assert.ok(Math.abs(p.assertion.claims.iat - Date.now() / 1000) < 5);
  assert.equal(p.assertion.signature, '********');
  assert.match(p.body, /client_assertion=\*{8}&client_id=rs256$/);
  assert.ok(p.notes.some((n) => n.startsWith('client_assertion: a JWT (RFC 7523 section 2.2) signed with RS256')));
});
