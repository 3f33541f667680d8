// Browsers: the package's `browser` entry in Debian's Chromium (playwright-core), loaded two ways:
// as plain ES modules from a static server (an import map names the entry), and through Vite 7
// (production build and dev server) in a project that has the package installed. The page
// requests tokens from the real authorization server on 127.0.0.1 (another origin, so CORS
// applies) and shows the outcome.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startAuthServer, DEMO_CLIENTS } from '../../demo/auth-server.mjs';
import { launchChromium, openPage } from './support/chromium.mjs';
import { startStaticServer } from './support/static-server.mjs';
import { startResourceServer } from '../../demo/resource-server.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PKG = join(ROOT, 'pkg');
const WASM = 'oauth_token_connection_bg.wasm';
const WEB_APP = fileURLToPath(new URL('./web-app/', import.meta.url));
const CORS_HINT = 'may not allow cross-origin requests from this page (CORS)';
const { demo } = DEMO_CLIENTS;

/** Console errors Chromium itself logs for a CORS refusal. */
const CHROMIUM_CORS_NOISE = [/blocked by CORS policy/, /Failed to load resource: net::ERR_FAILED/];

let browser;
let corsAuth; // answers preflights (startAuthServer({ cors: true }))
let plainAuth; // no CORS headers at all
let api; // a REST resource accepting corsAuth's tokens, with CORS

before(async () => {
  browser = await launchChromium();
  corsAuth = await startAuthServer({ cors: true });
  plainAuth = await startAuthServer();
  api = await startResourceServer(corsAuth, { cors: true });
});
after(async () => {
  await browser?.close();
  await api?.close();
  await corsAuth?.close();
  await plainAuth?.close();
});

const config = (auth, extra = {}) => ({
  tokenEndpoint: auth.url,
  clientId: demo.id,
  clientSecret: demo.secret,
  scope: 'read write',
  ...extra,
});

/** Runs window.getToken(config) and returns what #result shows. */
async function getToken(page, cfg) {
  await page.evaluate((c) => window.getToken(c), cfg);
  const result = page.locator('#result');
  return {
    outcome: await result.getAttribute('data-outcome'),
    code: await result.getAttribute('data-code'),
    text: await result.textContent(),
  };
}

function assertNoSecretIn(messages, pageErrors) {
  for (const text of [...messages.map((m) => m.text), ...pageErrors]) {
    assert.ok(!text.includes(demo.secret), 'the client secret appeared in the console');
    assert.ok(!text.includes(Buffer.from(`${demo.id}:${demo.secret}`).toString('base64')),
      'the Basic credentials appeared in the console');
  }
}

/**
 * The cases every way of loading the package must pass. `open()` gives a fresh page;
 * `wasmFetches()` counts the requests for a .wasm the static server has seen.
 */
function browserCases(open, wasmFetches) {
  test('gets a token from an endpoint that answers CORS preflights; the page shows it', async () => {
    const fetchesBefore = wasmFetches();
    const p = await open();
    try {
      assert.equal(wasmFetches(), fetchesBefore, 'the .wasm is fetched on the first call, not at import');
      const issuedBefore = corsAuth.tokens.length;
      const shown = await getToken(p.page, config(corsAuth));
      assert.equal(wasmFetches(), fetchesBefore + 1, 'the first call fetched the .wasm once');
      assert.equal(shown.outcome, 'token', shown.text);
      assert.equal(corsAuth.tokens.length, issuedBefore + 1, 'the server issued one token');
      assert.equal(shown.text, `Bearer ${corsAuth.tokens.at(-1).accessToken}`);
      // The browser sent the preflight, then the POST with Basic authentication.
      const [preflight, post] = corsAuth.requests.slice(-2);
      assert.equal(preflight.method, 'OPTIONS');
      assert.match(preflight.headers['access-control-request-headers'], /authorization/);
      assert.equal(post.method, 'POST');
      assert.match(post.headers.authorization, /^Basic /);
      assert.equal(post.headers.cookie, undefined);

      // The app logged the result; nothing else was logged: no errors, no warnings.
      assert.deepEqual(p.pageErrors, []);
      const notes = p.console.filter((m) => m.type === 'error' || m.type === 'warning');
      assert.deepEqual(notes, []);
      assert.ok(p.console.some((m) => m.text.startsWith('token result')), 'the app logged its result');
      assertNoSecretIn(p.console, p.pageErrors);

      // A second call in the same page reuses the instance.
      const again = await getToken(p.page, config(corsAuth));
      assert.equal(again.text, `Bearer ${corsAuth.tokens.at(-1).accessToken}`);
      assert.equal(wasmFetches(), fetchesBefore + 1, 'the second call did not fetch the .wasm again');
    } finally {
      await p.close();
    }
  });

  test('an endpoint without CORS: ERR_NETWORK naming the likely cause; then a good request works', async () => {
    const p = await open();
    try {
      const posts = plainAuth.requests.filter((r) => r.method === 'POST').length;
      const shown = await getToken(p.page, config(plainAuth));
      assert.equal(shown.outcome, 'error', shown.text);
      assert.equal(shown.code, 'ERR_NETWORK');
      assert.ok(shown.text.includes(CORS_HINT), shown.text);
      // The browser stopped at the preflight: no credentials were sent, no token issued.
      assert.equal(plainAuth.requests.at(-1).method, 'OPTIONS');
      assert.equal(plainAuth.requests.filter((r) => r.method === 'POST').length, posts);
      assert.equal(plainAuth.tokens.length, 0);

      // Console: Chromium's own CORS report and the app's log of the error, nothing else.
      assert.deepEqual(p.pageErrors, []);
      const errors = p.console.filter((m) => m.type === 'error' || m.type === 'warning');
      const ours = errors.filter((m) => m.text.startsWith('token request failed'));
      assert.equal(ours.length, 1);
      assert.match(ours[0].text, /^token request failed true ERR_NETWORK /);
      for (const m of errors.filter((x) => !ours.includes(x))) {
        assert.ok(CHROMIUM_CORS_NOISE.some((re) => re.test(m.text)), `unexpected console ${m.type}: ${m.text}`);
      }
      assertNoSecretIn(p.console, p.pageErrors);

      const good = await getToken(p.page, config(corsAuth));
      assert.equal(good.text, `Bearer ${corsAuth.tokens.at(-1).accessToken}`);
    } finally {
      await p.close();
    }
  });

  test('a connection created before the .wasm loaded: one token for several REST calls', async () => {
    const fetchesBefore = wasmFetches();
    const p = await open();
    try {
      const tokenRequests = () => corsAuth.requests.filter((r) => r.method === 'POST').length;
      const before = tokenRequests();
      await p.page.evaluate((c) => window.makeConnection(c), config(corsAuth));
      assert.equal(wasmFetches(), fetchesBefore, 'creating a connection loads nothing');
      const results = await p.page.evaluate(
        (base) => Promise.all([1, 2, 3, 4].map((i) => window.connFetch(`${base}/items/${i}`))),
        api.origin,
      );
      for (const r of results) {
        assert.equal(r.status, 200, r.message);
        assert.equal(r.body.client, demo.id);
      }
      assert.equal(tokenRequests() - before, 1, 'one token request for four REST calls');
      assert.equal(api.calls.at(-1).authorization, `Bearer ${corsAuth.tokens.at(-1).accessToken}`);

      // An invalid config rejects the calls with ERR_INVALID_CONFIG, validated on first use.
      await p.page.evaluate((c) => window.makeConnection({ ...c, extraParams: { scope: 'x' } }), config(corsAuth));
      const bad = await p.page.evaluate((base) => window.connFetch(`${base}/items/x`), api.origin);
      assert.equal(bad.code, 'ERR_INVALID_CONFIG');
      assert.equal(bad.isOAuthTokenError, true);
      assert.equal(tokenRequests() - before, 1);
      assertNoSecretIn(p.console, p.pageErrors);
    } finally {
      await p.close();
    }
  });

  test('a wrong secret: ERR_OAUTH invalid_client, the secret nowhere in the console', async () => {
    const p = await open();
    try {
      const shown = await getToken(p.page, config(corsAuth, { clientSecret: 'wrong-secret-value' }));
      assert.equal(shown.outcome, 'error', shown.text);
      assert.equal(shown.code, 'ERR_OAUTH');
      assert.match(shown.text, /invalid_client/);
      for (const text of [shown.text, ...p.console.map((m) => m.text)]) {
        assert.ok(!text.includes('wrong-secret-value'), 'the secret appeared in the page or console');
      }
      assertNoSecretIn(p.console, p.pageErrors);
    } finally {
      await p.close();
    }
  });
}

describe('browser entry as plain ES modules (pkg/browser.js, wasm fetched next to it)', () => {
  let site;
  before(async () => {
    const browserEntry = JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8')).exports['.'].browser;
    assert.equal(browserEntry, './browser.js', 'the page\'s import map names ./browser.js');
    site = await startStaticServer({ '/': WEB_APP, '/node_modules/oauth-token-connection/': PKG });
  });
  after(() => site?.close());

  browserCases(
    () => openPage(browser, `${site.origin}/plain.html`),
    () => site.paths.filter((p) => p === `/node_modules/oauth-token-connection/${WASM}`).length,
  );
});

// A project as users have it: the app's files, and the package as a real directory in
// node_modules (not the repository's symlink, which Vite would treat as linked source and never
// pre-bundle).
describe('Vite 7: the same app in a project with the package installed', () => {
  let project;
  before(() => {
    project = mkdtempSync(join(tmpdir(), 'otc-vite-'));
    for (const f of ['index.html', 'app.js']) copyFileSync(join(WEB_APP, f), join(project, f));
    cpSync(PKG, join(project, 'node_modules', 'oauth-token-connection'), { recursive: true, dereference: true });
    const { version } = JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8'));
    writeFileSync(join(project, 'package.json'), JSON.stringify({
      name: 'vite-consumer', private: true, type: 'module', dependencies: { 'oauth-token-connection': version },
    }));
  });
  after(() => project && rmSync(project, { recursive: true, force: true }));

  describe('vite build, no configuration, served statically', () => {
    let outDir;
    let site;
    let output;
    let wasmFileName;
    before(async () => {
      const { build } = await import('vite');
      outDir = join(project, 'dist');
      const result = await build({ configFile: false, root: project, logLevel: 'warn', build: { outDir } });
      output = (Array.isArray(result) ? result[0] : result).output;
      wasmFileName = output.find((o) => o.type === 'asset' && o.fileName.endsWith('.wasm'))?.fileName;
      site = await startStaticServer({ '/': outDir });
    });
    after(() => site?.close());

    test('the build emits the .wasm as an asset, byte for byte', () => {
      const wasmAssets = output.filter((o) => o.type === 'asset' && o.fileName.endsWith('.wasm'));
      assert.equal(wasmAssets.length, 1, output.map((o) => o.fileName).join(' '));
      const emitted = readFileSync(join(outDir, wasmAssets[0].fileName));
      assert.ok(emitted.equals(readFileSync(join(PKG, WASM))), 'emitted .wasm differs from pkg/');
      assert.ok(readdirSync(join(outDir, 'assets')).some((f) => f.endsWith('.js')));
    });

    browserCases(
      () => openPage(browser, `${site.origin}/`),
      () => site.paths.filter((p) => p === `/${wasmFileName}`).length,
    );
  });

  // Vite's dev server pre-bundles dependencies into node_modules/.vite/deps, where the
  // `new URL('…_bg.wasm', import.meta.url)` no longer points at the file: README's one line of
  // configuration (optimizeDeps.exclude) keeps the package out of pre-bundling.
  describe('vite dev server with optimizeDeps.exclude (the README line)', () => {
    let server;
    let origin;
    const paths = [];
    before(async () => {
      const { createServer } = await import('vite');
      server = await createServer({
        configFile: false,
        root: project,
        logLevel: 'warn',
        optimizeDeps: { exclude: ['oauth-token-connection'] },
        server: { host: '127.0.0.1', port: 0, hmr: false },
        plugins: [{
          name: 'record-requests',
          configureServer(s) {
            s.middlewares.use((req, res, next) => {
              paths.push(new URL(req.url, 'http://x').pathname);
              next();
            });
          },
        }],
      });
      await server.listen();
      origin = new URL(server.resolvedUrls.local[0]).origin;
      assert.match(origin, /^http:\/\/127\.0\.0\.1:\d+$/);
    });
    after(() => server?.close());

    browserCases(
      () => openPage(browser, `${origin}/`),
      () => paths.filter((p) => p.endsWith(`/${WASM}`)).length,
    );
  });
});
