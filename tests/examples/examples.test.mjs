// The files in examples/, run as a user runs them, against the demo authorization server and the
// demo REST resource on 127.0.0.1: node.mjs in Node.js, worker.mjs in workerd (Miniflare, bundled
// the way wrangler bundles it), browser.html in Debian's Chromium.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';

import { startAuthServer, DEMO_CLIENTS } from '../../demo/auth-server.mjs';
import { startResourceServer } from '../../demo/resource-server.mjs';
import { launchChromium } from '../hosts/support/chromium.mjs';
import { startStaticServer } from '../hosts/support/static-server.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLES = join(ROOT, 'examples');
const { demo } = DEMO_CLIENTS;
const EXPIRY_LINE = /^Bearer token, expires in (3600|3599) s$/m;

let auth;
let api;
before(async () => {
  auth = await startAuthServer({ cors: true });
  api = await startResourceServer(auth, { cors: true });
});
after(async () => {
  await api?.close();
  await auth?.close();
});

/** The demo servers' settings, under the names the examples read. */
const settings = () => ({
  TOKEN_ENDPOINT: auth.url,
  CLIENT_ID: demo.id,
  CLIENT_SECRET: demo.secret,
  API_URL: `${api.origin}/api/items`,
});

/** The last REST call the resource accepted, with the token the server issued last. */
function assertLastCallUsedIssuedToken() {
  const call = api.calls.at(-1);
  assert.equal(call.status, 200);
  assert.equal(call.authorization, `Bearer ${auth.tokens.at(-1).accessToken}`);
}

test('examples/node.mjs: a token, then a REST call through a connection', async () => {
  const issued = auth.tokens.length;
  const { code, stdout, stderr } = await new Promise((resolve) => {
    execFile(process.execPath, [join(EXAMPLES, 'node.mjs')],
      { cwd: ROOT, env: { ...process.env, ...settings() }, timeout: 30_000 },
      (err, out, errOut) => resolve({ code: err ? err.code : 0, stdout: out, stderr: errOut }));
  });
  assert.equal(code, 0, stderr);
  assert.match(stdout, EXPIRY_LINE);
  assert.match(stdout, /^200 \{/m);
  assert.match(stdout, new RegExp(`client: '${demo.id}'`));
  assert.equal(auth.tokens.length, issued + 2, 'requestToken and the connection each got one token');
  assertLastCallUsedIssuedToken();
});

/**
 * Bundles examples/worker.mjs as wrangler does: esbuild with the workerd, worker and browser
 * conditions, each `.wasm` import left as a CompiledWasm module of its own.
 */
async function bundleWorker() {
  const wasm = new Map();
  const out = await build({
    entryPoints: [join(EXAMPLES, 'worker.mjs')],
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    logLevel: 'error',
    plugins: [{
      name: 'compiled-wasm',
      setup(b) {
        b.onResolve({ filter: /\.wasm$/ }, (args) => {
          const file = join(args.resolveDir, args.path);
          const name = `./${wasm.size}-${basename(file)}`;
          wasm.set(name, file);
          return { path: name, external: true };
        });
      },
    }],
  });
  return { code: out.outputFiles[0].text, wasm };
}

test('examples/worker.mjs in workerd (Miniflare): one connection per isolate proxies the REST call, the coordinator holds the token', async () => {
  const toml = readFileSync(join(EXAMPLES, 'wrangler.toml'), 'utf8');
  assert.match(toml, /^main = "worker\.mjs"$/m, 'wrangler.toml names the example');
  const compatibilityDate = toml.match(/^compatibility_date = "([\d-]+)"$/m)[1];
  // The Durable Object binding and the migration that creates its class, as wrangler reads them.
  const binding = toml.match(/^\[\[durable_objects\.bindings\]\]\nname = "(\w+)"\nclass_name = "(\w+)"$/m);
  assert.ok(binding, 'wrangler.toml binds the coordinator');
  const [, bindingName, className] = binding;
  assert.match(toml, new RegExp(`^\\[\\[migrations\\]\\]\\ntag = "v1"\\nnew_sqlite_classes = \\["${className}"\\]$`, 'm'));
  const { code, wasm } = await bundleWorker();
  assert.equal(wasm.size, 1, 'the workerd entry imports one .wasm');
  const mf = new Miniflare({
    modulesRoot: '/',
    modules: [
      { type: 'ESModule', path: '/worker.mjs', contents: code },
      ...[...wasm].map(([name, file]) => ({ type: 'CompiledWasm', path: join('/', name), contents: readFileSync(file) })),
    ],
    compatibilityDate,
    bindings: settings(),
    durableObjects: { [bindingName]: { className, useSQLite: true } },
  });
  try {
    await mf.ready;
    const tokenRequests = () => auth.requests.filter((r) => r.path === '/token').length;
    const before = tokenRequests();
    for (let i = 0; i < 3; i += 1) {
      const res = await mf.dispatchFetch('http://worker.test/');
      const text = await res.text();
      assert.equal(res.status, 200, text);
      assert.equal(JSON.parse(text).client, demo.id);
      assertLastCallUsedIssuedToken();
    }
    assert.equal(tokenRequests() - before, 1, 'three requests to the Worker, one token');
  } finally {
    await mf.dispose();
  }
});

describe('examples/browser.html in Chromium', () => {
  let browser;
  let site;
  let dir;
  before(async () => {
    // The page as a user fills it in: the demo server's settings in place of the placeholders.
    const placeholders = {
      'https://auth.example.com/oauth2/token': auth.url,
      "'my-client'": `'${demo.id}'`,
      "'my-secret'": `'${demo.secret}'`,
    };
    let html = readFileSync(join(EXAMPLES, 'browser.html'), 'utf8');
    for (const [from, to] of Object.entries(placeholders)) {
      assert.equal(html.split(from).length, 2, `browser.html holds ${from} once`);
      html = html.replace(from, to);
    }
    dir = mkdtempSync(join(tmpdir(), 'otc-browser-example-'));
    writeFileSync(join(dir, 'index.html'), html);
    site = await startStaticServer({ '/': dir, '/node_modules/oauth-token-connection/': join(ROOT, 'pkg') });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await site?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('shows the token the demo server issued', async () => {
    const issued = auth.tokens.length;
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`${site.origin}/`);
      const out = page.locator('#out');
      await out.filter({ hasText: / s$/ }).waitFor({ timeout: 20_000 });
      assert.match(await out.textContent(), EXPIRY_LINE);
      assert.deepEqual(errors, []);
      assert.equal(auth.tokens.length, issued + 1);
      assert.ok(site.paths.includes('/node_modules/oauth-token-connection/browser.js'));
    } finally {
      await context.close();
    }
  });
});
