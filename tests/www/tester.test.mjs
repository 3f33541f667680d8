// The connection tester (www/) end to end: Debian's Chromium driven by playwright-core, the page
// served by demo/tester-server.mjs with the built package, against the embedded demo
// authorization server (@node-oauth/oauth2-server, with CORS) and the tests' hostile server
// (for an endpoint that hangs). Everything listens on 127.0.0.1 and is stopped in `after`.
// Screenshots go to tests/.tmp/www-screenshots/ (git-ignored); UPDATE_DOCS_SCREENSHOT=1 also
// copies the 1280 px success one to docs/tester.png.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { startAuthServer, DEMO_CLIENTS, DEMO_USERS } from '../../demo/auth-server.mjs';
import { startTesterServer, demoConfigFor } from '../../demo/tester-server.mjs';
import { startHostileServer } from '../node/support/hostile-server.mjs';

const SHOTS = fileURLToPath(new URL('../.tmp/www-screenshots/', import.meta.url));
const DOCS_SHOT = fileURLToPath(new URL('../../docs/tester.png', import.meta.url));
const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};
const WIDTHS = [1280, 390];
const DEMO_SECRET = DEMO_CLIENTS.demo.secret;
const DEMO_PASSWORD = DEMO_USERS.alice.password;
const WRONG_SECRET = 'wrong-secret-canary-5521';
const b64 = (s) => Buffer.from(s).toString('base64');

/** Waits for a condition on the Node side (server state); fails after `ms`. */
async function until(what, check, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('connection tester (www/) in Chromium', () => {
  let auth;
  let hostile;
  let tester;
  let browser;
  let page;
  const consoleLines = [];
  const pageErrors = [];

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    [auth, hostile] = await Promise.all([startAuthServer({ cors: true }), startHostileServer({ cors: true })]);
    tester = await startTesterServer({ demoConfig: demoConfigFor(auth, { DEMO_CLIENTS, DEMO_USERS }) });
    browser = await chromium.launch(CHROMIUM);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: tester.origin });
    page = await context.newPage();
    page.on('console', (m) => consoleLines.push(m.text()));
    page.on('pageerror', (e) => pageErrors.push(String(e)));
  });

  after(async () => {
    await browser?.close();
    await Promise.all([tester?.close(), auth?.close(), hostile?.close()]);
  });

  /** A fresh page with the demo server's settings filled in by the page's own button. */
  async function openWithDemo() {
    await page.goto(tester.url);
    await page.click('#use-demo');
    await page.waitForFunction(() => document.querySelector('#preview').textContent.includes('demo-client'));
  }

  const text = (selector) => page.locator(selector).innerText();

  /** Clicks "Test connection" and waits for the outcome's state. */
  async function runTest() {
    await page.click('#test');
    await page.waitForSelector('#state-success, #state-failure, #state-cancelled');
  }

  async function openAdvanced() {
    if (!(await page.locator('#advanced').evaluate((d) => d.open))) await page.click('#advanced summary');
  }

  /** Full-page screenshots at every width; the viewport is 1280 px again afterwards. */
  async function screenshots(name) {
    const files = {};
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      files[width] = `${SHOTS}${name}-${width}.png`;
      await page.screenshot({ path: files[width], fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    return files;
  }

  test('the preview is computed as the form changes and masks the secret: Basic header or body fields', async () => {
    const sent = auth.requests.length;
    await openWithDemo();
    assert.equal(await text('#preview'), [
      `POST ${auth.url}`,
      'Content-Type: application/x-www-form-urlencoded;charset=UTF-8',
      'Accept: application/json',
      'Authorization: Basic base64(demo-client:********)',
      '',
      'grant_type=client_credentials&scope=read+write',
    ].join('\n'));
    assert.match(await text('#preview-notes'), /form-urlencoded first as RFC 6749 §2\.3\.1 requires/);
    assert.equal(await text('#fetch-options'), 'fetch options: redirect manual · credentials omit · cache no-store');

    await page.check('#auth-body');
    await page.waitForFunction(() => !document.querySelector('#preview').textContent.includes('Authorization'));
    assert.equal((await text('#preview')).split('\n').at(-1),
      'grant_type=client_credentials&scope=read+write&client_id=demo-client&client_secret=********');

    await page.fill('#scope', 'read  admin');
    await page.waitForFunction(() => document.querySelector('#preview').textContent.includes('scope=read+admin&'));

    // The real secret is nowhere in the page, in any encoding; the field's value is a property,
    // never an attribute.
    const html = await page.content();
    const visible = await page.locator('body').innerText();
    for (const leak of [DEMO_SECRET, b64(`demo-client:${DEMO_SECRET}`)]) {
      assert.ok(!html.includes(leak) && !visible.includes(leak));
    }

    // An invalid setting: the package's message, nothing sent.
    await page.fill('#clientId', '');
    await page.waitForSelector('#preview-error:not([hidden])');
    assert.match(await text('#preview-error'), /^ERR_INVALID_CONFIG clientId is required/);
    assert.equal(auth.requests.length, sent, 'previewing sends nothing');
  });

  test('fill the form and get a token: the token, expiry and JSON are shown', async () => {
    await openWithDemo();
    await runTest();
    await page.waitForSelector('#state-success');
    const issued = auth.tokens.at(-1).accessToken;
    const request = auth.requests.at(-1);
    assert.equal(request.headers.authorization, `Basic ${b64(`demo-client:${DEMO_SECRET}`)}`);
    assert.equal(request.body, 'grant_type=client_credentials&scope=read+write');

    assert.equal(await text('#token-type'), 'Bearer');
    assert.ok(!(await text('#access-token')).includes(issued), 'the token is masked until revealed');
    assert.ok(!(await text('#result-json')).includes(issued));
    await page.click('#reveal-token');
    assert.equal(await text('#access-token'), issued);
    const json = JSON.parse(await text('#result-json'));
    assert.deepEqual(json, JSON.parse(auth.responses.at(-1).body), 'the JSON is what the server sent');
    await page.click('#copy-json');
    assert.deepEqual(JSON.parse(await page.evaluate(() => navigator.clipboard.readText())), json);
    await page.click('#reveal-token');
    assert.ok(!(await text('#access-token')).includes(issued));

    assert.match(await text('#expires-in'), /^(3600|3599) s$/);
    assert.match(await text('#countdown'), /^(59:\d\d|1:00:00) left$/);
    assert.deepEqual(await page.locator('#granted-scope .chip').allInnerTexts(), ['read', 'write']);
    assert.equal(await page.locator('#granted-scope .chip.added, #granted-scope .chip.missing').count(), 0);
    assert.match(await text('#state-success'), /Granted as requested\./);
    assert.match(await text('#state-success'), /Refresh token\s+None/);

    const shots = await screenshots('success');
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') copyFileSync(shots[1280], DOCS_SHOT);
  });

  test('wrong secret: invalid_client with its explanation and fix', async () => {
    await openWithDemo();
    await page.fill('#clientSecret', WRONG_SECRET);
    await runTest();
    await page.waitForSelector('#state-failure');
    assert.equal(await text('#error-code'), 'ERR_OAUTH');
    assert.equal(await text('#http-status'), 'HTTP 401');
    assert.equal(await text('#oauth-error'), 'invalid_client');
    assert.match(await text('#explanation'), /^Client authentication failed/);
    assert.match(await text('#fixes'), /Check the client ID and the client secret/);
    assert.match(await text('#fixes'), /Switch the client authentication type to Body/);
    await screenshots('failure');

    // Over the body the library answers 400; the advice points back to the header.
    await page.check('#auth-body');
    await runTest();
    await page.waitForSelector('#state-failure');
    assert.equal(await text('#http-status'), 'HTTP 400');
    assert.equal(await text('#oauth-error'), 'invalid_client');
    assert.match(await text('#fixes'), /Switch the client authentication type to Header/);
  });

  test('password grant: the user fields appear and a token comes back', async () => {
    await openWithDemo();
    assert.equal(await page.isVisible('#username'), false);
    assert.equal(await page.isVisible('#password'), false);
    await page.check('#grant-password');
    assert.equal(await page.isVisible('#username'), true);
    assert.equal(await page.isVisible('#password'), true);
    await page.waitForFunction(() => document.querySelector('#preview').textContent.includes('grant_type=password'));
    assert.equal((await text('#preview')).split('\n').at(-1),
      'grant_type=password&username=alice&password=********&scope=read+write');

    await runTest();
    await page.waitForSelector('#state-success');
    const form = new URLSearchParams(auth.requests.at(-1).body);
    assert.equal(form.get('grant_type'), 'password');
    assert.equal(form.get('password'), DEMO_PASSWORD);
    assert.equal(auth.tokens.at(-1).user.id, 'alice');
  });

  test('SSL mode trust: the unsupported message and what to do instead; nothing is sent', async () => {
    await openWithDemo();
    await openAdvanced();
    await page.selectOption('#sslMode', 'trust');
    await page.waitForSelector('#preview-error:not([hidden])');
    assert.match(await text('#preview-error'), /^ERR_UNSUPPORTED_SSL_MODE/);
    const sent = auth.requests.length;
    await runTest();
    await page.waitForSelector('#state-failure');
    assert.equal(await text('#error-code'), 'ERR_UNSUPPORTED_SSL_MODE');
    assert.match(await text('#explanation'), /SSL mode "trust" cannot be honoured here/);
    assert.match(await text('#fixes'), /Choose SSL mode "verify"/);
    assert.match(await text('#fixes'), /certificate store/);
    assert.equal(auth.requests.length, sent);
  });

  test('a hanging endpoint with a 1 s timeout: the timeout message', async () => {
    await openWithDemo();
    const hits = hostile.hits.get('/hang') ?? 0;
    await page.fill('#tokenEndpoint', hostile.url('/hang'));
    await openAdvanced();
    await page.fill('#timeoutSeconds', '1');
    await runTest();
    await page.waitForSelector('#state-failure');
    assert.equal(await text('#error-code'), 'ERR_TIMEOUT');
    assert.match(await text('#explanation'), /did not answer within 1 s/);
    assert.match(await text('#fixes'), /Raise the timeout/);
    assert.equal(hostile.hits.get('/hang'), hits + 1, 'the request reached the endpoint');
  });

  test('Cancel shows a busy state and aborts the request', async () => {
    await openWithDemo();
    const hits = hostile.hits.get('/hang') ?? 0;
    const abandoned = hostile.abandoned.get('/hang') ?? 0;
    await page.fill('#tokenEndpoint', hostile.url('/hang'));
    await page.click('#test');
    await page.waitForSelector('#state-busy');
    assert.equal(await page.isDisabled('#test'), true);
    assert.match(await text('#busy-elapsed'), /^\d+\.\d s$/);
    await until('the request to reach /hang', () => hostile.hits.get('/hang') === hits + 1);
    await page.click('#cancel');
    await page.waitForSelector('#state-cancelled');
    assert.match(await text('#state-cancelled'), /The request was aborted/);
    await until('the server to see the connection closed', () => hostile.abandoned.get('/hang') === abandoned + 1);
    assert.equal(await page.isDisabled('#test'), false);
  });

  test('granted scope against requested scope: differences are highlighted', async () => {
    await openWithDemo();
    await page.fill('#tokenEndpoint', hostile.url('/scope-narrowed'));
    await runTest();
    await page.waitForSelector('#state-success');
    assert.deepEqual(await page.locator('#granted-scope .chip.missing').allInnerTexts(), ['write not granted']);
    assert.match(await text('#state-success'), /Differs from the requested scope \(read write\)\./);

    // No scope requested: what the demo server grants by default.
    await page.fill('#tokenEndpoint', auth.url);
    await page.fill('#scope', '');
    await runTest();
    await page.waitForSelector('#state-success');
    assert.deepEqual(await page.locator('#granted-scope .chip').allInnerTexts(), ['read']);
    assert.match(await text('#state-success'), /No scope requested: this is the server's default\./);
  });

  test('an endpoint without CORS: ERR_NETWORK, explained as CORS for this origin', async () => {
    await openWithDemo();
    await page.fill('#tokenEndpoint', hostile.recorderUrl('/token')); // answers, but without CORS
    await runTest();
    await page.waitForSelector('#state-failure');
    assert.equal(await text('#error-code'), 'ERR_NETWORK');
    assert.match(await text('#explanation'), new RegExp(`cross-origin requests \\(CORS\\) from this page's origin, ${tester.origin}`));
    assert.match(await text('#fixes'), /Ask the server to allow CORS/);
  });

  test('an RFC 6749 §5.2 error with error_uri: shown as a link', async () => {
    await openWithDemo();
    await page.fill('#tokenEndpoint', hostile.url('/error-uri'));
    await runTest();
    await page.waitForSelector('#state-failure');
    assert.equal(await text('#oauth-error'), 'invalid_request');
    assert.match(await text('#state-failure'), /Hostile says no/);
    assert.equal(await page.getAttribute('#error-uri', 'href'), 'https://docs.example/errors#invalid_request');
    assert.equal(await page.getAttribute('#error-uri', 'rel'), 'noopener noreferrer');
  });

  test('after all runs: nothing stored, and the console never printed a secret', async () => {
    assert.deepEqual(await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]), [0, 0, '']);
    const printed = consoleLines.join('\n');
    const secrets = [DEMO_SECRET, WRONG_SECRET, DEMO_PASSWORD, encodeURIComponent(DEMO_PASSWORD),
      b64(`demo-client:${DEMO_SECRET}`), b64(`demo-client:${WRONG_SECRET}`),
      ...auth.tokens.map((t) => t.accessToken)];
    for (const s of secrets) assert.ok(!printed.includes(s), 'a secret reached the console');
    assert.ok(auth.tokens.length >= 2, 'tokens were issued during the runs');
    assert.deepEqual(pageErrors, []);
  });
});
