// Signed assertions in Debian's Chromium (playwright-core): oauth-token-connection/full's
// `browser` entry as plain ES modules, signing with the page's WebCrypto, against oidc-provider
// on another origin (CORS on). The same private_key_jwt requests as in Node.js and workerd, a
// CryptoKey made in the page, and a page on an insecure origin (no crypto.subtle there).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { launchChromium, openPage } from './support/chromium.mjs';
import { startStaticServer } from './support/static-server.mjs';
import { startOidcProvider } from '../node/support/assertion-servers.mjs';

const PKG = fileURLToPath(new URL('../../pkg/', import.meta.url));
const pair = (type, options) => generateKeyPairSync(type, options);
const KEYS = { rsa: pair('rsa', { modulusLength: 2048 }), p256: pair('ec', { namedCurve: 'P-256' }), ed25519: pair('ed25519') };
const pem = (kp, type) => kp.privateKey.export({ type, format: 'pem' });
const publicJwk = (kp) => kp.publicKey.export({ format: 'jwk' });
const SECRET = 'browser-client-secret-0123456789abcdef-0123456789abcdef';
const decode = (jws) => JSON.parse(Buffer.from(jws.split('.')[0], 'base64url'));

// The page: window.getToken(config) runs requestToken; `pkcs8` (base64) makes a non-extractable
// CryptoKey in the page first. It answers plain data, never the error object itself.
const PAGE = `<!doctype html><meta charset="utf-8"><title>keys</title>
<script type="module">
import { requestToken } from '/pkg/full/browser.js';
window.getToken = async ({ pkcs8, algorithm, ...config }) => {
  try {
    if (pkcs8) {
      const der = Uint8Array.from(atob(pkcs8), (c) => c.charCodeAt(0));
      config.privateKey = await crypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign']);
    }
    const r = await requestToken(config);
    return { ok: true, scope: r.scope, tokenType: r.tokenType };
  } catch (e) {
    return { ok: false, name: e.name, code: e.code, error: e.error, message: e.message };
  }
};
</script>`;

describe('Chromium: signed assertions with the full entry', () => {
  let browser;
  let op;
  let site;
  let dir;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'otc-keys-page-'));
    writeFileSync(join(dir, 'index.html'), PAGE);
    site = await startStaticServer({ '/': dir, '/pkg/': PKG });
    op = await startOidcProvider([
      { client_id: 'rs256', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [publicJwk(KEYS.rsa)] } },
      { client_id: 'ps256', token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'PS256', jwks: { keys: [publicJwk(KEYS.rsa)] } },
      { client_id: 'es256', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [publicJwk(KEYS.p256)] } },
      { client_id: 'eddsa', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [publicJwk(KEYS.ed25519)] } },
      { client_id: 'hs256', token_endpoint_auth_method: 'client_secret_jwt', client_secret: SECRET },
    ], { cors: true });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await op?.close();
    await site?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('private_key_jwt: RS256 (PKCS#1 PEM), PS256 (a JWK), ES256 (SEC1 PEM), EdDSA, a CryptoKey made in the page; client_secret_jwt', async () => {
    const { page, console: messages, pageErrors, close } = await openPage(browser, `${site.origin}/`);
    try {
      const cases = [
        ['rs256', { privateKey: pem(KEYS.rsa, 'pkcs1') }, 'RS256'],
        ['ps256', { privateKey: KEYS.rsa.privateKey.export({ format: 'jwk' }), signingAlgorithm: 'PS256' }, 'PS256'],
        ['es256', { privateKey: pem(KEYS.p256, 'sec1') }, 'ES256'],
        ['eddsa', { privateKey: pem(KEYS.ed25519, 'pkcs8') }, 'EdDSA'],
        ['es256', { pkcs8: KEYS.p256.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'), algorithm: { name: 'ECDSA', namedCurve: 'P-256' } }, 'ES256'],
        ['hs256', { clientAuthentication: 'client_secret_jwt', clientSecret: SECRET }, 'HS256'],
      ];
      for (const [clientId, extra, alg] of cases) {
        const out = await page.evaluate((c) => window.getToken(c), {
          tokenEndpoint: op.tokenEndpoint, clientId, clientAuthentication: 'private_key_jwt', scope: 'api', ...extra,
        });
        assert.deepEqual(out, { ok: true, scope: 'api', tokenType: 'Bearer' }, `${clientId}: ${out.message}`);
        assert.equal(decode((await op.requests()).at(-1).client_assertion).alg, alg);
      }
      const wrong = await page.evaluate((c) => window.getToken(c), {
        tokenEndpoint: op.tokenEndpoint, clientId: 'rs256', privateKey: pem(pair('rsa', { modulusLength: 2048 }), 'pkcs8'),
      });
      assert.deepEqual([wrong.code, wrong.error], ['ERR_OAUTH', 'invalid_client']);
      assert.deepEqual(pageErrors, []);
      for (const m of messages) assert.ok(!m.text.includes('PRIVATE KEY') && !m.text.includes(SECRET), m.text);
    } finally {
      await close();
    }
  });

  test('a page on an insecure origin has no crypto.subtle: ERR_UNSUPPORTED_ALGORITHM says so', async () => {
    // http://insecure.test is not a secure context (127.0.0.1 and localhost are).
    const insecure = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', `--host-resolver-rules=MAP insecure.test 127.0.0.1`],
    });
    try {
      const origin = site.origin.replace('127.0.0.1', 'insecure.test');
      const { page, close } = await openPage(insecure, `${origin}/`);
      try {
        assert.equal(await page.evaluate(() => window.isSecureContext), false);
        const out = await page.evaluate((c) => window.getToken(c), {
          tokenEndpoint: op.tokenEndpoint, clientId: 'es256', privateKey: pem(KEYS.p256, 'pkcs8'),
        });
        assert.equal(out.code, 'ERR_UNSUPPORTED_ALGORITHM', out.message);
        assert.match(out.message, /no WebCrypto .* a page served over plain http has none/);
      } finally {
        await close();
      }
    } finally {
      await insecure.close();
    }
  });
});
