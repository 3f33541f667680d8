// The browser entry in Debian's Chromium, before the .wasm has loaded: a page calls
// requestToken(cfg), changes clientId and clientSecret on the same object, and calls again, all
// in one synchronous run. Each call carries what the object held when it was made: the config is
// copied at call time, not after the .wasm has loaded. Likewise a connection created before the
// load uses what its config held at createConnection. A recording token server on 127.0.0.1 (another
// origin, with CORS) shows which credentials went out.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { launchChromium } from './support/chromium.mjs';
import { startStaticServer } from './support/static-server.mjs';
import { startTokenServer } from '../node/support/token-server.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RACE_APP = fileURLToPath(new URL('./race-app/', import.meta.url));
const WASM_PATH = '/node_modules/oauth-token-connection/oauth_token_connection_bg.wasm';

let browser;
let site;
let server;
before(async () => {
  browser = await launchChromium();
  site = await startStaticServer({ '/': RACE_APP, '/node_modules/oauth-token-connection/': join(ROOT, 'pkg') });
  server = await startTokenServer({ cors: true });
});
after(async () => {
  await browser?.close();
  await site?.close();
  await server?.close();
});

const wasmFetches = () => site.paths.filter((p) => p === WASM_PATH).length;
const byId = (a, b) => String(a.id).localeCompare(String(b.id));

/** A fresh page (a fresh module graph: the .wasm not loaded) with the race functions defined. */
async function openRacePage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e?.stack ?? e)));
  await page.goto(`${site.origin}/`);
  await page.waitForFunction(() => typeof window.twoCalls === 'function');
  return { page, pageErrors, close: () => context.close() };
}

test('requestToken, change the object, requestToken again before the .wasm loaded: each carries its own credentials', async () => {
  server.reset();
  const p = await openRacePage();
  try {
    const fetchesBefore = wasmFetches();
    const results = await p.page.evaluate(
      ([cfg, changes]) => window.twoCalls(cfg, changes),
      [{ tokenEndpoint: server.url, clientId: 'race-id-1', clientSecret: 'race-secret-1' },
        { clientId: 'race-id-2', clientSecret: 'race-secret-2' }],
    );
    assert.equal(wasmFetches(), fetchesBefore + 1, 'both calls were made before the one load of the .wasm');
    assert.deepEqual(results.map((r) => Object.keys(r)), [['token'], ['token']], JSON.stringify(results));
    // The two requests may reach the server in either order.
    assert.deepEqual(server.credentials().sort(byId), [
      { id: 'race-id-1', secret: 'race-secret-1' },
      { id: 'race-id-2', secret: 'race-secret-2' },
    ]);
    assert.deepEqual(p.pageErrors, []);
  } finally {
    await p.close();
  }
});

test('createConnection, change the object, token() before the .wasm loaded: the connection uses what it held', async () => {
  server.reset();
  const p = await openRacePage();
  try {
    const fetchesBefore = wasmFetches();
    const results = await p.page.evaluate(
      ([cfg, changes]) => window.connectionThenChange(cfg, changes),
      [{ tokenEndpoint: server.url, clientId: 'conn-id-1', clientSecret: 'conn-secret-1' },
        { clientId: 'conn-id-2', clientSecret: 'conn-secret-2' }],
    );
    assert.equal(wasmFetches(), fetchesBefore + 1);
    assert.deepEqual(results, [{ token: 'token-1' }]);
    assert.deepEqual(server.credentials(), [{ id: 'conn-id-1', secret: 'conn-secret-1' }]);
    assert.deepEqual(p.pageErrors, []);
  } finally {
    await p.close();
  }
});
