// Signed assertions in Cloudflare Workers: oauth-token-connection/full's `workerd` entry in a real
// workerd (miniflare), signing with workerd's WebCrypto, against oidc-provider (private_key_jwt,
// client_secret_jwt), Authlib (the jwt_bearer grant) and a Google-style endpoint (a service
// account key file, as a Worker holds it in a secret), all on 127.0.0.1. One Worker, one isolate.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';

import { startWorker } from './support/worker-host.mjs';
import { startOidcProvider, startJwtBearerServer, startGoogleStyle } from '../node/support/assertion-servers.mjs';

const PKG = fileURLToPath(new URL('../../pkg/', import.meta.url));
const pair = (type, options) => generateKeyPairSync(type, options);
const KEYS = { rsa: pair('rsa', { modulusLength: 2048 }), p256: pair('ec', { namedCurve: 'P-256' }), ed25519: pair('ed25519') };
const pem = (kp, type) => kp.privateKey.export({ type, format: 'pem' });
const publicJwk = (kp) => kp.publicKey.export({ format: 'jwk' });
const SECRET = 'workerd-client-secret-0123456789abcdef-0123456789abcdef';
const decode = (jws) => JSON.parse(Buffer.from(jws.split('.')[0], 'base64url'));

describe('Cloudflare Workers (workerd via miniflare): signed assertions with the full entry', () => {
  let op;
  let bearer;
  let google;
  let worker;

  before(async () => {
    op = await startOidcProvider([
      { client_id: 'rs256', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [publicJwk(KEYS.rsa)] } },
      { client_id: 'ps256', token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'PS256', jwks: { keys: [publicJwk(KEYS.rsa)] } },
      { client_id: 'es256', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [publicJwk(KEYS.p256)] } },
      { client_id: 'eddsa', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [publicJwk(KEYS.ed25519)] } },
      { client_id: 'hs256', token_endpoint_auth_method: 'client_secret_jwt', client_secret: SECRET },
    ]);
    bearer = await startJwtBearerServer({ 'workerd-issuer': { jwk: publicJwk(KEYS.p256), users: ['alice'] } });
    google = await startGoogleStyle(KEYS.rsa.publicKey, 'sa-key-1');
    worker = await startWorker(PKG, {}, './full');
  });
  after(async () => {
    await worker?.dispose();
    await Promise.all([op?.close(), bearer?.close(), google?.close()]);
  });

  const token = async (config) => {
    const out = await worker.request(config);
    assert.equal(out.ok, true, out.error && `${out.error.code}: ${out.error.message}`);
    return out;
  };

  test('private_key_jwt with the same request as in Node.js: RS256 (PKCS#1 PEM), PS256 (a JWK), ES256 (SEC1 PEM), EdDSA; client_secret_jwt', async () => {
    const cases = [
      ['rs256', { privateKey: pem(KEYS.rsa, 'pkcs1') }, 'RS256'],
      ['ps256', { privateKey: KEYS.rsa.privateKey.export({ format: 'jwk' }), signingAlgorithm: 'PS256' }, 'PS256'],
      ['es256', { privateKey: pem(KEYS.p256, 'sec1') }, 'ES256'],
      ['eddsa', { privateKey: pem(KEYS.ed25519, 'pkcs8') }, 'EdDSA'],
      ['hs256', { clientAuthentication: 'client_secret_jwt', clientSecret: SECRET }, 'HS256'],
    ];
    for (const [clientId, extra, alg] of cases) {
      const out = await token({ tokenEndpoint: op.tokenEndpoint, clientId, clientAuthentication: 'private_key_jwt', scope: 'api', ...extra });
      assert.equal(out.result.scope, 'api', clientId);
      const sent = (await op.requests()).at(-1);
      assert.equal(sent.client_id, clientId);
      assert.equal(decode(sent.client_assertion).alg, alg);
    }
  });

  test('a wrong key is invalid_client', async () => {
    const out = await worker.request({
      tokenEndpoint: op.tokenEndpoint, clientId: 'es256', clientAuthentication: 'private_key_jwt', privateKey: pem(pair('ec', { namedCurve: 'P-256' }), 'pkcs8'),
    });
    assert.equal(out.ok, false);
    assert.equal(out.error.isOAuthTokenError, true);
    assert.deepEqual([out.error.code, out.error.error], ['ERR_OAUTH', 'invalid_client']);
  });

  test('a Google service account key file from a Worker secret: the scope in the claim', async () => {
    const keyFile = {
      type: 'service_account', project_id: 'demo', private_key_id: 'sa-key-1', private_key: pem(KEYS.rsa, 'pkcs8'),
      client_email: 'worker@demo.iam.gserviceaccount.com', token_uri: google.url,
    };
    const out = await token({ serviceAccount: keyFile, scope: 'https://www.googleapis.com/auth/cloud-platform' });
    assert.equal(out.result.scope, 'https://www.googleapis.com/auth/cloud-platform');
    assert.deepEqual(google.seen.at(-1).params, ['grant_type', 'assertion']);
    assert.equal(google.seen.at(-1).claims.iss, 'worker@demo.iam.gserviceaccount.com');
  });

  test('the JWT bearer grant against Authlib', async () => {
    const out = await token({ tokenEndpoint: bearer.tokenEndpoint, grantType: 'jwt_bearer', issuer: 'workerd-issuer', subject: 'alice', privateKey: pem(KEYS.p256, 'sec1') });
    assert.equal(out.result.tokenType, 'Bearer');
    assert.equal((await bearer.seen()).at(-1).claims.sub, 'alice');
  });
});
