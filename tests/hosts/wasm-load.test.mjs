// A .wasm that does not load (here: an HTML page served in its place, as Vite's dev server does
// without optimizeDeps.exclude) rejects with ERR_WASM_LOAD naming the URL and the fix, in
// Chromium; once the .wasm is served, the next call in the same page loads it and works.

import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './support/chromium.mjs';

const PKG = fileURLToPath(new URL('../../pkg/', import.meta.url));
const PAGE = `<!doctype html><script type="module">
  import { requestToken } from '/pkg/browser.js';
  window.attempt = () => requestToken({ tokenEndpoint: location.origin + '/token', clientId: 'c', clientSecret: 's' })
    .then((r) => ({ token: r.accessToken }), (e) => ({ name: e.name, code: e.code, message: e.message, hint: e.hint, cause: String(e.cause) }));
  window.ready = true;
</script>`;

let server;
let browser;
let serveHtmlForWasm = true;

before(async () => {
  server = http.createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    if (path === '/token') {
      req.resume();
      return res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"tok","token_type":"Bearer"}');
    }
    if (path.endsWith('.wasm') && serveHtmlForWasm) {
      return res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><p>dev server fallback</p>');
    }
    if (path.startsWith('/pkg/') && !path.includes('..')) {
      try {
        const body = await readFile(join(PKG, path.slice(5)));
        const type = path.endsWith('.wasm') ? 'application/wasm' : 'text/javascript';
        return res.writeHead(200, { 'content-type': type }).end(body);
      } catch {}
    }
    res.writeHead(404).end();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise((r) => server.close(r));
});

test('HTML served for the .wasm: ERR_WASM_LOAD with the URL and the fix; then the real .wasm loads', async () => {
  const origin = `http://127.0.0.1:${server.address().port}`;
  const page = await browser.newPage();
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => window.ready === true);

  const failed = await page.evaluate(() => window.attempt());
  assert.equal(failed.name, 'OAuthTokenError');
  assert.equal(failed.code, 'ERR_WASM_LOAD');
  assert.ok(failed.message.startsWith(`the WebAssembly module could not be loaded from ${origin}/pkg/oauth_token_connection_bg.wasm: `), failed.message);
  assert.match(failed.hint, /optimizeDeps: \{ exclude: \['oauth-token-connection'\] \}/);
  assert.match(failed.hint, /'wasm-unsafe-eval'/);
  assert.notEqual(failed.cause, 'undefined');

  serveHtmlForWasm = false;
  assert.deepEqual(await page.evaluate(() => window.attempt()), { token: 'tok' });
  await page.close();
});
