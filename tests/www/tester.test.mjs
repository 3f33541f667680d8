// The connection tester (www/) end to end: Debian's Chromium driven by playwright-core, the page
// served by demo/tester-server.mjs with the built package, against the embedded demo
// authorization server (@node-oauth/oauth2-server, with CORS) and the tests' hostile server
// (an endpoint that hangs, and the page's own hostile answers below). Everything listens on
// 127.0.0.1 and is stopped in `after`. The fix the page shows is the package's `hint`: tests get
// the expected text from the package itself, in Node, for the same request.
// Screenshots go to tests/.tmp/www-screenshots/ (git-ignored); UPDATE_DOCS_SCREENSHOT=1 also
// copies the 1280 px success one to docs/tester.png.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { requestToken } from 'oauth-token-connection/full';

import { startAuthServer, DEMO_CLIENTS, DEMO_USERS } from '../../demo/auth-server.mjs';
import { startTesterServer, demoConfigFor } from '../../demo/tester-server.mjs';
import { startHostileServer } from '../node/support/hostile-server.mjs';
import { startResourceServer } from '../../demo/resource-server.mjs';

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

const sendJson = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};
const DEPTH = 100_000;
/** A token response carrying secrets below the top level (raw text: "__proto__" stays a member). */
const NESTED_SECRETS = JSON.stringify({
  access_token: 'hostile-nested-top', token_type: 'Bearer', expires_in: 3600,
  data: { access_token: 'NESTED-SECRET-1', user: { id_token: 'NESTED-SECRET-2', name: 'visible-name' } },
  items: [{ refresh_token: 'NESTED-SECRET-3' }, [{ client_secret: 'NESTED-SECRET-4' }]],
  tokens: ['NESTED-SECRET-5', { value: 'NESTED-SECRET-6' }],
  credentials: { Password: 'NESTED-SECRET-7', apiToken: 'NESTED-SECRET-8' },
  proto: { access_token: 'NESTED-SECRET-9' },
  issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
}).replace('"proto":', '"__proto__":');
/** The page's hostile answers (the hostile server adds CORS). */
const PAGE_ROUTES = {
  // An RFC 6749 §5.2 error whose `error` is ?error=..., e.g. a name of Object.prototype.
  '/oauth-error': (req, res) => sendJson(res, 400, JSON.stringify({
    error: new URL(req.url, 'http://x').searchParams.get('error'), error_description: 'Hostile error code' })),
  '/deep-arrays': (req, res) => sendJson(res, 200,
    `{"access_token":"hostile-deep","token_type":"Bearer","data":${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}}`),
  '/deep-objects': (req, res) => sendJson(res, 200,
    `{"access_token":"hostile-deep","token_type":"Bearer","data":${'{"a":'.repeat(DEPTH)}1${'}'.repeat(DEPTH)}}`),
  '/nested-secrets': (req, res) => sendJson(res, 200, NESTED_SECRETS),
};

/** The package's own error for a request, in Node: its `hint` is what every host shows. */
async function packageError(config) {
  try {
    await requestToken({ grantType: 'client_credentials', clientId: DEMO_CLIENTS.demo.id, clientSecret: DEMO_SECRET,
      scope: 'read write', ...config });
  } catch (e) {
    assert.equal(typeof e.hint, 'string');
    return e;
  }
  throw new Error('the package was expected to fail');
}

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
  let resource;
  let tester;
  let browser;
  let page;
  const consoleLines = [];
  const pageErrors = [];

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    [auth, hostile] = await Promise.all([startAuthServer({ cors: true }), startHostileServer({ cors: true, routes: PAGE_ROUTES })]);
    resource = await startResourceServer(auth, { cors: true });
    tester = await startTesterServer({ demoConfig: demoConfigFor(auth, { DEMO_CLIENTS, DEMO_USERS }, resource) });
    browser = await chromium.launch(CHROMIUM);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: tester.origin });
    page = await context.newPage();
    page.on('console', (m) => consoleLines.push(m.text()));
    page.on('pageerror', (e) => pageErrors.push(String(e)));
  });

  after(async () => {
    await browser?.close();
    await Promise.all([tester?.close(), auth?.close(), hostile?.close(), resource?.close()]);
  });

  /** A fresh page with the demo server's settings filled in by the page's own button. */
  async function openWithDemo() {
    await page.goto(tester.url);
    await page.click('#use-demo');
    await page.waitForFunction(() => document.querySelector('#preview').textContent.includes('demo-client'));
  }

  const text = (selector) => page.locator(selector).innerText();

  /** Clicks "Test connection" and waits for the outcome's state (or the page's own error). */
  async function runTest() {
    await page.click('#test');
    await page.waitForSelector('#state-success, #state-failure, #state-cancelled, #state-error', { timeout: 10_000 });
  }

  /** After a hostile case: the same page gets a token from the demo server. */
  async function succeedAfter() {
    assert.equal(await page.isDisabled('#test'), false);
    await page.fill('#tokenEndpoint', auth.url);
    await runTest();
    assert.equal(await page.locator('#state-success').count(), 1, 'a successful run follows');
    assert.equal(await text('#token-type'), 'Bearer');
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
      // Readable at every width: nothing wider than the viewport.
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), `no horizontal scroll at ${width} px`);
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
    assert.match(await text('#preview-notes'), /form-urlencoded first \(RFC 6749 §2\.3\.1\)/);
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

  test('wrong secret: invalid_client with the package\'s hint and where the settings it names are', async () => {
    await openWithDemo();
    await page.fill('#clientSecret', WRONG_SECRET);
    await runTest();
    await page.waitForSelector('#state-failure');
    assert.equal(await text('#error-code'), 'ERR_OAUTH');
    assert.equal(await text('#http-status'), 'HTTP 401');
    assert.equal(await text('#oauth-error'), 'invalid_client');
    // The fix is the package's hint; the page adds where the settings it names are.
    const expected = await packageError({ tokenEndpoint: auth.url, clientSecret: WRONG_SECRET });
    assert.equal(expected.error, 'invalid_client');
    assert.equal(await text('#hint'), expected.hint);
    assert.match(await text('#fixes'),
      /clientId is "Client ID"; clientSecret is "Client secret"; clientAuthentication is "Client authentication type"/);
    await screenshots('failure');

    // Over the body the library answers 400: the same hint.
    await page.check('#auth-body');
    await runTest();
    await page.waitForSelector('#state-failure');
    assert.equal(await text('#http-status'), 'HTTP 400');
    assert.equal(await text('#oauth-error'), 'invalid_client');
    assert.equal(await text('#hint'),
      (await packageError({ tokenEndpoint: auth.url, clientSecret: WRONG_SECRET, clientAuthentication: 'body' })).hint);
  });

  test('a secret that form encoding changes: the invalid_client fix adds the preview\'s Basic encoding note', async () => {
    await openWithDemo();
    await page.fill('#clientSecret', `${WRONG_SECRET} +&`);
    await page.waitForFunction(() => document.querySelector('#preview-notes').textContent.includes('form encoding changes'));
    await runTest();
    assert.equal(await text('#oauth-error'), 'invalid_client');
    assert.match(await text('#fixes'), /Your secret contains characters that form encoding changes/);
    await openAdvanced();
    await page.selectOption('#basicEncoding', 'none');
    await runTest();
    assert.equal(await text('#oauth-error'), 'invalid_client');
    assert.doesNotMatch(await text('#fixes'), /form encoding changes/);
  });

  test('a wrong path: the fix shown is the package\'s hint for the same request', async () => {
    await openWithDemo();
    // The demo server's JSON 404 for an unknown path.
    const wrongPath = `${auth.origin}/oauth2/token`;
    await page.fill('#tokenEndpoint', wrongPath);
    await runTest();
    await page.waitForSelector('#state-failure');
    assert.equal(await text('#http-status'), 'HTTP 404');
    const expected = await packageError({ tokenEndpoint: wrongPath });
    assert.equal(expected.status, 404);
    assert.equal(await text('#error-code'), expected.code);
    assert.equal(await text('#hint'), expected.hint);

    // A plain-text 405 (the tester's own server refuses POST): the package says to check the path.
    const notAnEndpoint = `${tester.origin}/oauth2/token`;
    await page.fill('#tokenEndpoint', notAnEndpoint);
    await runTest();
    await page.waitForSelector('#state-failure');
    const expected405 = await packageError({ tokenEndpoint: notAnEndpoint });
    assert.equal(expected405.code, 'ERR_HTTP_STATUS');
    assert.equal(await text('#error-code'), 'ERR_HTTP_STATUS');
    assert.equal(await text('#http-status'), 'HTTP 405');
    assert.equal(await text('#hint'), expected405.hint);
    assert.match(await text('#hint'), /path/);
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
    assert.equal(await text('#hint'), (await packageError({ tokenEndpoint: auth.url, sslMode: 'trust' })).hint);
    assert.match(await text('#fixes'), /sslMode is "SSL mode" in Advanced settings/);
    assert.equal(auth.requests.length, sent);
  });

  test('a hanging endpoint with a 1 s timeout: the timeout message', async () => {
    await openWithDemo();
    const hits = hostile.hits.get('/hang') ?? 0;
    await page.fill('#tokenEndpoint', hostile.url('/hang'));
    await openAdvanced();
    await page.fill('#timeoutSeconds', '1');
    const [expected] = await Promise.all([packageError({ tokenEndpoint: hostile.url('/hang'), timeoutSeconds: 1 }), runTest()]);
    await page.waitForSelector('#state-failure');
    assert.equal(await text('#error-code'), 'ERR_TIMEOUT');
    assert.match(await text('#error-message'), /did not answer within 1000 ms/);
    assert.equal(await text('#hint'), expected.hint);
    assert.match(await text('#fixes'), /timeoutSeconds is "Timeout \(in s\)" in Advanced settings/);
    assert.equal(hostile.hits.get('/hang'), hits + 2, 'both requests reached the endpoint');
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
    // Through requestToken's signal option: the page's fetch is the browser's own.
    assert.equal(await page.evaluate(() => Function.prototype.toString.call(fetch).includes('[native code]')), true);
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
    // The package's ERR_NETWORK hint (in Node: a closed port), then this page's CORS advice.
    assert.equal(await text('#hint'), (await packageError({ tokenEndpoint: 'http://127.0.0.1:1/token' })).hint);
    const fixes = await text('#fixes');
    assert.match(fixes, new RegExp(`cross-origin requests \\(CORS\\) from this page's origin, ${tester.origin}`));
    assert.match(fixes, /preflight OPTIONS request with Access-Control-Allow-Origin, Access-Control-Allow-Methods: POST and Access-Control-Allow-Headers: content-type, accept, authorization/);
    assert.match(fixes, /Open the endpoint URL in a new tab/);
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

  /** Sends the REST panel's call and waits for its outcome. */
  async function sendRest() {
    await page.click('#rest-send');
    await page.waitForSelector('#rest-response, #rest-failure, #rest-problem, #rest-cancelled');
  }

  test('the REST panel: the resource\'s JSON pretty-printed, status 200 and a header; the token is reused, and renewed for new settings', async () => {
    await openWithDemo();
    const tokens = auth.tokens.length;
    const calls = resource.calls.length;
    assert.equal(await page.inputValue('#rest-url'), `${resource.origin}/api/profile`, '"Use demo server" filled the REST URL');
    // The panel says where the token may go, and where this call sends it.
    assert.match(await page.textContent('#rest-reach'), /https: origins, and http: ones only on this machine/);
    assert.ok((await page.textContent('#rest-reach')).endsWith(`This call sends it to ${resource.origin} only.`));
    // Keyboard only: labelled fields, Enter submits.
    await page.getByLabel('Method').selectOption('POST');
    await page.getByLabel('URL', { exact: true }).fill(`${resource.origin}/items`);
    await page.getByLabel('JSON body').fill('{"name":"x","n":[1,2]}');
    await page.getByLabel('URL', { exact: true }).press('Enter');
    await page.waitForSelector('#rest-response');

    assert.equal(auth.tokens.length, tokens + 1, 'the connection requested one token');
    const issued = auth.tokens.at(-1).accessToken;
    const call = resource.calls.at(-1);
    assert.equal(resource.calls.length, calls + 1);
    assert.equal(call.authorization, `Bearer ${issued}`);
    assert.equal(call.body, '{"name":"x","n":[1,2]}');
    assert.equal(await text('#rest-status'), 'HTTP 200 OK');
    assert.equal(await text('#rest-body-kind'), 'JSON, pretty-printed');
    const shown = await text('#rest-body-view');
    assert.deepEqual(JSON.parse(shown), { ok: true, method: 'POST', path: '/items', body: '{"name":"x","n":[1,2]}',
      client: 'demo-client', user: 'client:demo-client' });
    assert.equal(shown, JSON.stringify(JSON.parse(shown), null, 2), 'pretty-printed');
    assert.match(await text('#rest-headers-view'), /content-type\s+application\/json/);
    const masked = await text('#rest-token');
    assert.ok(masked.startsWith('Bearer ') && masked.endsWith(issued.slice(-4)) && !masked.includes(issued.slice(0, 8)));
    assert.match(await text('#rest-token-note'), /Requested for this call by a new connection/);
    assert.equal(await page.getAttribute('#rest-result', 'aria-live'), 'polite');
    await screenshots('rest');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshots('rest-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    // Same settings: the connection's token is reused.
    await page.selectOption('#rest-method', 'GET');
    await page.fill('#rest-body', '');
    await sendRest();
    assert.equal(await text('#rest-status'), 'HTTP 200 OK');
    assert.match(await text('#rest-token-note'), /^Reused/);
    assert.equal(auth.tokens.length, tokens + 1);
    assert.equal(resource.calls.at(-1).authorization, `Bearer ${issued}`);

    // Changed settings: a new connection, a new token.
    await page.fill('#scope', 'read');
    await sendRest();
    assert.equal(await text('#rest-status'), 'HTTP 200 OK');
    assert.match(await text('#rest-token-note'), /Requested for this call by a new connection/);
    assert.equal(auth.tokens.length, tokens + 2);
    assert.equal(resource.calls.at(-1).authorization, `Bearer ${auth.tokens.at(-1).accessToken}`);
  });

  test('the REST panel: a resource that refuses every token shows 401 after one renewal', async () => {
    await openWithDemo();
    const calls = resource.calls.length;
    const tokens = auth.tokens.length;
    resource.state.rejectAll = true;
    try {
      await page.fill('#rest-url', `${resource.origin}/items`);
      await sendRest();
    } finally {
      resource.state.rejectAll = false;
    }
    assert.equal(await text('#rest-status'), 'HTTP 401 Unauthorized');
    const sent = resource.calls.slice(calls);
    assert.equal(sent.length, 2, 'sent once, renewed, sent once more');
    assert.equal(auth.tokens.length, tokens + 2);
    assert.deepEqual(sent.map((c) => c.authorization), auth.tokens.slice(tokens).map((t) => `Bearer ${t.accessToken}`));
    assert.match(await text('#rest-token-note'), /renewed the token once and sent the call again/);
    assert.ok((await text('#rest-token')).endsWith(auth.tokens.at(-1).accessToken.slice(-4)));
    assert.match(await text('#rest-hint'), /refused a freshly issued token too/);
    assert.match(await text('#rest-headers-view'), /www-authenticate\s+Bearer error="invalid_token"/);
    assert.equal(JSON.parse(await text('#rest-body-view')).error, 'invalid_token');
  });

  test('the REST panel: a bad URL, invalid JSON, a body on GET and a bad header are refused before sending; no CORS is explained', async () => {
    await openWithDemo();
    const calls = resource.calls.length;
    const tokens = auth.tokens.length;
    await page.fill('#rest-url', 'api/items');
    await sendRest();
    assert.match(await text('#rest-problem-message'), /not an absolute URL/);
    assert.equal(await page.getAttribute('#rest-url', 'aria-invalid'), 'true');

    await page.fill('#rest-url', `${resource.origin}/items`);
    await page.selectOption('#rest-method', 'PUT');
    await page.fill('#rest-body', '{"name": x}');
    await sendRest();
    assert.match(await text('#rest-problem-message'), /^The body is not valid JSON/);
    assert.equal(await page.getAttribute('#rest-body', 'aria-invalid'), 'true');

    await page.selectOption('#rest-method', 'GET');
    await page.fill('#rest-body', '{"name": "x"}');
    await sendRest();
    assert.match(await text('#rest-problem-message'), /A GET request cannot carry a body/);

    await page.fill('#rest-body', '');
    await page.fill('#rest-headers', 'Accept: application/json\nno colon here');
    await sendRest();
    assert.match(await text('#rest-problem-message'), /Extra headers, line 2/);
    assert.equal(resource.calls.length, calls, 'nothing was sent');
    assert.equal(auth.tokens.length, tokens, 'no token was requested');

    await page.fill('#rest-headers', '');
    await page.fill('#rest-url', hostile.recorderUrl('/api')); // answers, but without CORS
    await sendRest();
    assert.match(await text('#rest-failure'), /The call did not complete/);
    assert.match(await text('#rest-explanation'), new RegExp(`cross-origin requests \\(CORS\\) from this page's origin, ${tester.origin}`));
    assert.match(await text('#rest-fixes'), /Access-Control-Allow-Headers: authorization/);
  });

  test('the REST panel: no token for the call shows the package\'s hint', async () => {
    await openWithDemo();
    const calls = resource.calls.length;
    await page.fill('#clientSecret', WRONG_SECRET);
    await sendRest();
    assert.match(await text('#rest-failure'), /No token for the call/);
    assert.equal(await text('#rest-error-code'), 'ERR_OAUTH');
    assert.equal(await text('#rest-failure-hint'),
      (await packageError({ tokenEndpoint: auth.url, clientSecret: WRONG_SECRET })).hint);
    assert.match(await text('#rest-failure-fixes'), /clientSecret is "Client secret"/);
    assert.equal(resource.calls.length, calls, 'nothing was sent to the resource');
  });

  test('refresh token grant: password grant, then "Use refresh token", then a new token from the refresh grant', async () => {
    await openWithDemo();
    assert.equal(await page.isVisible('#refreshToken'), false);
    await page.check('#grant-password');
    await runTest();
    await page.waitForSelector('#state-success');
    const first = auth.tokens.at(-1);
    assert.ok(first.refreshToken, 'the password grant returned a refresh token');
    assert.match(await text('#state-success'), /Refresh token\s+Received/);

    await page.click('#use-refresh-token');
    assert.equal(await page.isChecked('#grant-refresh'), true);
    assert.equal(await page.isVisible('#refreshToken'), true);
    assert.equal(await page.isVisible('#password'), false);
    assert.equal(await page.getAttribute('#refreshToken', 'type'), 'password', 'masked');
    assert.equal(await page.inputValue('#refreshToken'), first.refreshToken);
    await page.waitForFunction(() => document.querySelector('#preview').textContent.includes('grant_type=refresh_token'));
    assert.equal((await text('#preview')).split('\n').at(-1), 'grant_type=refresh_token&refresh_token=********&scope=read+write');
    assert.ok(!(await page.locator('body').innerText()).includes(first.refreshToken));
    await page.click('button[data-reveal="refreshToken"]');
    assert.equal(await page.getAttribute('#refreshToken', 'type'), 'text');
    await page.click('button[data-reveal="refreshToken"]');
    assert.equal(await page.getAttribute('#refreshToken', 'type'), 'password');

    await runTest();
    await page.waitForSelector('#state-success');
    const form = new URLSearchParams(auth.requests.at(-1).body);
    assert.equal(form.get('grant_type'), 'refresh_token');
    assert.equal(form.get('refresh_token'), first.refreshToken);
    const renewed = auth.tokens.at(-1);
    assert.notEqual(renewed.accessToken, first.accessToken);
    await page.click('#reveal-token');
    assert.equal(await text('#access-token'), renewed.accessToken);
    assert.equal(renewed.user.id, 'alice');

    // The rotated refresh token was used up: the same one again is invalid_grant, explained.
    await runTest();
    await page.waitForSelector('#state-failure');
    assert.equal(await text('#oauth-error'), 'invalid_grant');
    const expected = await packageError({ tokenEndpoint: auth.url, grantType: 'refresh_token', refreshToken: first.refreshToken });
    assert.equal(expected.error, 'invalid_grant');
    assert.equal(await text('#hint'), expected.hint);
  });

  test('settings export and import: secrets only when the box is ticked', async () => {
    await openWithDemo();
    await page.check('#grant-refresh');
    await page.fill('#refreshToken', 'rt-canary-20931');
    await page.click('#transfer summary');
    await page.click('#export');
    const plain = JSON.parse(await page.inputValue('#settings-json'));
    assert.deepEqual(Object.keys(plain).sort(), ['basicEncoding', 'clientAuthentication', 'clientId', 'grantType',
      'ignoreCookiesPolicy', 'scope', 'sslMode', 'timeoutSeconds', 'tokenEndpoint']);
    assert.equal(plain.grantType, 'refresh_token');
    assert.match(await text('#transfer-status'), /left out: client secret, refresh token/);

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    assert.equal(download.suggestedFilename(), 'oauth-token-settings.json');
    assert.deepEqual(JSON.parse(readFileSync(await download.path(), 'utf8')), plain);

    await page.check('#export-secrets');
    await page.click('#export');
    const full = JSON.parse(await page.inputValue('#settings-json'));
    assert.equal(full.clientSecret, DEMO_SECRET);
    assert.equal(full.refreshToken, 'rt-canary-20931');
    assert.match(await text('#transfer-status'), /Exported with secrets/);
    await page.uncheck('#export-secrets');

    await page.fill('#settings-json', JSON.stringify({ tokenEndpoint: 'https://auth.example.com/token', grantType: 'password',
      username: 'bob', clientAuthentication: 'body', timeoutSeconds: 5, bogus: 1 }));
    await page.click('#import');
    assert.equal(await page.inputValue('#tokenEndpoint'), 'https://auth.example.com/token');
    assert.equal(await page.isChecked('#grant-password'), true);
    assert.equal(await page.inputValue('#username'), 'bob');
    assert.equal(await page.isChecked('#auth-body'), true);
    assert.equal(await page.inputValue('#timeoutSeconds'), '5');
    assert.equal(await page.inputValue('#clientSecret'), DEMO_SECRET, 'absent keys are left as they were');
    assert.match(await text('#transfer-status'), /^Imported 5 settings; ignored \(unknown or invalid\): bogus/);
    await page.waitForFunction(() => document.querySelector('#preview').textContent.includes('username=bob'));

    await page.setInputFiles('#import-file', { name: 's.json', mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify({ ...plain, tokenEndpoint: auth.url })) });
    await page.waitForFunction(() => document.querySelector('#transfer-status').textContent.startsWith('Imported 9'));
    assert.equal(await page.isChecked('#grant-refresh'), true);
    assert.equal(await page.inputValue('#refreshToken'), 'rt-canary-20931');

    await page.fill('#settings-json', '{ not json');
    await page.click('#import');
    assert.match(await text('#transfer-status'), /^Not imported: the text is not JSON/);
  });

  test('an issuer: Discover fills the token endpoint and shows the metadata; a wrong issuer is explained', async () => {
    // RFC 8414 metadata with CORS, naming the demo server's token endpoint.
    const metadataServer = http.createServer((req, res) => {
      const origin = `http://127.0.0.1:${metadataServer.address().port}`;
      const cors = { 'access-control-allow-origin': '*', 'content-type': 'application/json' };
      if (req.url === '/.well-known/oauth-authorization-server/tenant') {
        res.writeHead(200, cors).end(JSON.stringify({
          issuer: `${origin}/tenant`,
          token_endpoint: auth.url,
          grant_types_supported: ['client_credentials', 'password'],
        }));
      } else res.writeHead(404, cors).end('{}');
    });
    await new Promise((resolve) => metadataServer.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${metadataServer.address().port}/tenant`;
    try {
      await openWithDemo();
      await page.fill('#tokenEndpoint', '');
      await page.fill('#issuer', issuer);
      await page.click('#discover');
      await page.waitForSelector('#metadata:not([hidden])');
      assert.equal(await page.inputValue('#tokenEndpoint'), auth.url);
      assert.deepEqual(JSON.parse(await text('#metadata')).grant_types_supported, ['client_credentials', 'password']);
      assert.match(await text('#discover-status'), /Token endpoint filled in/);
      await runTest();
      await page.waitForSelector('#state-success');
      await screenshots('discovered');

      await page.fill('#issuer', `${issuer}/`);
      await page.click('#discover');
      await page.waitForFunction(() => document.querySelector('#discover-status').classList.contains('problem'));
      assert.match(await text('#discover-status'), /trailing '\/'/);
      assert.ok(await page.locator('#metadata').isHidden());
    } finally {
      metadataServer.closeAllConnections();
      await new Promise((resolve) => metadataServer.close(resolve));
    }
  });

  test('retry under Advanced settings: sent as the retry option, exported and imported', async () => {
    await openWithDemo();
    await openAdvanced();
    assert.ok(await page.locator('#retry-fields').isHidden());
    await page.check('#retry');
    await page.fill('#retry-attempts', '3');
    await page.fill('#retry-max-delay', '5');
    await runTest();
    await page.waitForSelector('#state-success');
    await page.click('#transfer summary');
    await page.click('#export');
    const exported = JSON.parse(await page.inputValue('#settings-json'));
    assert.deepEqual(exported.retry, { attempts: 3, maxDelaySeconds: 5 });
    await page.uncheck('#retry');
    await page.click('#import');
    assert.ok(await page.locator('#retry').isChecked());
    assert.equal(await page.inputValue('#retry-attempts'), '3');
    await page.fill('#retry-attempts', '11');
    await runTest();
    await page.waitForSelector('#state-failure');
    assert.match(await text('#state-failure'), /retry\.attempts/);
  });

  test('a server error named like an Object.prototype member is shown with its hint, then a token', async () => {
    await openWithDemo();
    for (const name of ['constructor', '__proto__', 'hasOwnProperty', 'toString']) {
      const url = `${hostile.url('/oauth-error')}?error=${encodeURIComponent(name)}`;
      await page.fill('#tokenEndpoint', url);
      await runTest();
      assert.equal(await page.locator('#state-failure').count(), 1, `a failure state for "${name}"`);
      assert.equal(await text('#oauth-error'), name);
      assert.equal(await text('#hint'), (await packageError({ tokenEndpoint: url })).hint);
      const notes = await page.locator('#fixes li').allInnerTexts();
      assert.ok(notes.every((n) => n.startsWith('The settings named above')), 'no advice meant for another error');
      await succeedAfter();
    }
  });

  test('a success nested 100,000 levels deep: the page shows an outcome, then a token', async () => {
    await openWithDemo();
    for (const path of ['/deep-arrays', '/deep-objects']) {
      await page.fill('#tokenEndpoint', hostile.url(path));
      await runTest();
      assert.equal(await page.locator('#state-error').count(), 0, `${path}: shown without a page error`);
      if (await page.locator('#state-success').count()) {
        assert.equal(await text('#token-type'), 'Bearer');
        assert.match(await text('#result-json'), /nested more than \d+ levels deep: not shown/);
        await page.click('#reveal-token');
        assert.match(await text('#result-json'), /nested more than \d+ levels deep: not shown/);
      } else {
        // A package that refuses such depth says so with its own code.
        assert.equal(await text('#error-code'), 'ERR_INVALID_RESPONSE');
      }
      await succeedAfter();
    }
  });

  test('a render that throws leaves a visible error state, not the busy state; the next run works', async () => {
    await openWithDemo();
    // Stands in for any failure while showing a result: the success state formats the expiry.
    await page.evaluate(() => {
      window.originalToLocaleString = Date.prototype.toLocaleString;
      Date.prototype.toLocaleString = () => { throw new RangeError('render failure'); };
    });
    await runTest();
    await page.evaluate(() => { Date.prototype.toLocaleString = window.originalToLocaleString; });
    assert.equal(await page.locator('#state-error').count(), 1);
    assert.match(await text('#state-error'), /could not show the outcome\s*RangeError/);
    assert.equal(await page.locator('#state-busy').count(), 0);
    await succeedAfter();

    // The REST panel too: its response view reads the status text.
    await page.evaluate(() => {
      const get = Object.getOwnPropertyDescriptor(Response.prototype, 'statusText').get;
      window.restoreStatusText = () => Object.defineProperty(Response.prototype, 'statusText', { get, configurable: true });
      Object.defineProperty(Response.prototype, 'statusText', { get() { throw new TypeError('render failure'); }, configurable: true });
    });
    await page.click('#rest-send');
    await page.waitForSelector('#rest-response, #rest-failure, #rest-error', { timeout: 10_000 });
    await page.evaluate(() => window.restoreStatusText());
    assert.equal(await page.locator('#rest-error').count(), 1);
    assert.equal(await page.locator('#rest-busy').count(), 0);
    await page.click('#rest-send');
    await page.waitForSelector('#rest-response');
    assert.equal(await text('#rest-status'), 'HTTP 200 OK');
  });

  test('secrets nested in the Result JSON are masked at any depth until revealed', async () => {
    await openWithDemo();
    await page.fill('#tokenEndpoint', hostile.url('/nested-secrets'));
    await runTest();
    await page.waitForSelector('#state-success');
    const masked = await text('#result-json');
    for (let n = 1; n <= 9; n += 1) assert.ok(!masked.includes(`NESTED-SECRET-${n}`), `NESTED-SECRET-${n} is masked`);
    assert.ok(!masked.includes('hostile-nested-top'));
    assert.equal(masked.match(/\(hidden\)/g).length, 10);
    const shown = JSON.parse(masked);
    assert.equal(shown.token_type, 'Bearer');
    assert.equal(shown.issued_token_type, 'urn:ietf:params:oauth:token-type:access_token');
    assert.equal(shown.data.user.name, 'visible-name');
    assert.equal(shown.expires_in, 3600);
    assert.ok(Object.hasOwn(shown, '__proto__'), 'a "__proto__" member stays a member');
    await page.click('#reveal-token');
    assert.deepEqual(JSON.parse(await text('#result-json')), JSON.parse(NESTED_SECRETS));
    await page.click('#reveal-token');
    assert.ok(!(await text('#result-json')).includes('NESTED-SECRET-1'));
    await succeedAfter();
  });

  test('after all runs: nothing stored, and the console never printed a secret', async () => {
    assert.deepEqual(await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]), [0, 0, '']);
    const printed = consoleLines.join('\n');
    const secrets = [DEMO_SECRET, WRONG_SECRET, DEMO_PASSWORD, encodeURIComponent(DEMO_PASSWORD),
      b64(`demo-client:${DEMO_SECRET}`), b64(`demo-client:${WRONG_SECRET}`),
      'rt-canary-20931', ...auth.tokens.flatMap((t) => [t.accessToken, t.refreshToken].filter(Boolean))];
    for (const s of secrets) assert.ok(!printed.includes(s), 'a secret reached the console');
    assert.ok(auth.tokens.length >= 2, 'tokens were issued during the runs');
    assert.deepEqual(pageErrors, []);
  });
});
