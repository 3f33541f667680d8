// The connection tester's keys (www/keys.js) in Chromium: a pasted PEM (private_key_jwt) gets a
// token from oidc-provider (CORS on), the preview shows the decoded assertion with the signature
// and the body's value masked; a chosen service-account file previews the JWT bearer grant with
// the scope in the claim. The key is never stored, exported (not even with "Include secrets") or
// printed to the console.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { chromium } from 'playwright-core';

import { startTesterServer } from '../../demo/tester-server.mjs';
import { startOidcProvider } from '../node/support/assertion-servers.mjs';

const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};
const KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const PEM = KEY.privateKey.export({ type: 'sec1', format: 'pem' });
const RSA = generateKeyPairSync('rsa', { modulusLength: 2048 });
const RSA_PEM = RSA.privateKey.export({ type: 'pkcs8', format: 'pem' });
/** Every line of the keys' PEM bodies: none may reach the console, storage or an export. */
const KEY_LINES = [PEM, RSA_PEM].flatMap((p) => p.split('\n')).filter((l) => l.length > 16 && !l.startsWith('-----'));

describe('connection tester (www/): keys', () => {
  let op;
  let tester;
  let browser;
  let page;
  const consoleLines = [];
  const pageErrors = [];

  before(async () => {
    op = await startOidcProvider([
      { client_id: 'tester-es256', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ ...KEY.publicKey.export({ format: 'jwk' }), kid: 'tester-1' }] } },
    ], { cors: true });
    tester = await startTesterServer();
    browser = await chromium.launch(CHROMIUM);
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on('console', (m) => consoleLines.push(m.text()));
    page.on('pageerror', (e) => pageErrors.push(String(e)));
  });
  after(async () => {
    await browser?.close();
    await Promise.all([tester?.close(), op?.close()]);
  });

  const text = (selector) => page.locator(selector).innerText();

  test('a pasted private key: the decoded assertion in the preview, a token from oidc-provider', async () => {
    await page.goto(tester.url);
    await page.fill('#tokenEndpoint', op.tokenEndpoint);
    await page.fill('#clientId', 'tester-es256');
    await page.fill('#scope', 'api');
    await page.check('#auth-private-key');
    assert.equal(await page.isVisible('#privateKey'), true);
    assert.equal(await page.isVisible('#clientSecret'), false, 'no secret with a private key');
    await page.fill('#privateKey', PEM);
    await page.fill('#keyId', 'tester-1');
    await page.waitForSelector('#preview-assertion');
    const preview = await text('#preview');
    assert.match(preview, /client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=\*{8}&client_id=tester-es256/);
    const assertion = await text('#preview-assertion');
    assert.match(assertion, /"alg": "ES256"/);
    assert.match(assertion, /"kid": "tester-1"/);
    assert.match(assertion, /"iss": "tester-es256"/);
    assert.match(assertion, /"aud": "http:\/\/127\.0\.0\.1:\d+\/token"/);
    assert.match(assertion, /signature \*{8}/);
    assert.match(await text('#preview-notes'), /client_assertion: a JWT \(RFC 7523 section 2\.2\) signed with ES256/);

    await page.click('#test');
    await page.waitForSelector('#state-success, #state-failure');
    assert.equal(await page.locator('#state-success').count(), 1, await page.locator('#result-body').textContent());
    const sent = (await op.requests()).at(-1);
    assert.equal(sent.client_id, 'tester-es256');
    assert.equal(JSON.parse(Buffer.from(sent.client_assertion.split('.')[0], 'base64url')).kid, 'tester-1');
  });

  test('a key the browser refuses, and a key that does not fit, are explained before anything is sent', async () => {
    const before = (await op.requests()).length;
    await page.fill('#privateKey', RSA_PEM);
    await page.selectOption('#signingAlgorithm', 'ES256');
    await page.waitForFunction(() => !document.querySelector('#preview-error').hidden);
    assert.match(await text('#preview-error'), /ERR_INVALID_CONFIG privateKey is an RSA key: use RS256 or PS256/);
    await page.selectOption('#signingAlgorithm', '');
    await page.fill('#privateKey', '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----');
    await page.waitForFunction(() => document.querySelector('#preview-error').textContent.includes('not a PEM'));
    assert.equal((await op.requests()).length, before);
  });

  test('a service-account file: the JWT bearer grant, its issuer and key id, the scope in the claim', async () => {
    await page.goto(tester.url);
    await page.fill('#tokenEndpoint', '');
    await page.fill('#scope', 'https://www.googleapis.com/auth/cloud-platform');
    await page.check('#auth-service-account');
    assert.equal(await page.isVisible('#clientId'), false);
    const keyFile = {
      type: 'service_account', project_id: 'p', private_key_id: 'kid-77', private_key: RSA_PEM,
      client_email: 'robot@p.iam.gserviceaccount.com', token_uri: 'https://oauth2.googleapis.com/token',
    };
    await page.setInputFiles('#service-account-file', { name: 'key.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(keyFile)) });
    await page.waitForSelector('#preview-assertion');
    assert.match(await text('#service-account-status'), /robot@p\.iam\.gserviceaccount\.com, key kid-77/);
    const preview = await text('#preview');
    assert.match(preview, /^POST https:\/\/oauth2\.googleapis\.com\/token/);
    assert.match(preview, /grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=\*{8}$/);
    const assertion = await text('#preview-assertion');
    assert.match(assertion, /"kid": "kid-77"/);
    assert.match(assertion, /"iss": "robot@p\.iam\.gserviceaccount\.com"/);
    assert.match(assertion, /"scope": "https:\/\/www\.googleapis\.com\/auth\/cloud-platform"/);
  });

  test('the key is never exported, stored or printed', async () => {
    await page.check('#auth-private-key');
    await page.fill('#privateKey', PEM);
    if (!(await page.locator('#transfer').evaluate((d) => d.open))) await page.click('#transfer summary');
    await page.check('#export-secrets');
    await page.click('#export');
    const exported = await page.inputValue('#settings-json');
    assert.ok(!exported.includes('PRIVATE KEY') && !/privateKey|serviceAccount/.test(exported), exported);
    for (const line of KEY_LINES) assert.ok(!exported.includes(line), 'a key line in the export');
    assert.deepEqual(await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]), [0, 0, '']);
    assert.ok(!page.url().includes('PRIVATE'));
    const printed = consoleLines.join('\n');
    for (const line of KEY_LINES) assert.ok(!printed.includes(line), 'a key line reached the console');
    assert.deepEqual(pageErrors, []);
  });
});
