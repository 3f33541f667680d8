// The packed tarball, as users get it: `npm pack pkg/`, installed into a temporary project with
// npm (offline: the package has no dependencies). Checks the exact file list, that every export
// condition resolves to a file that loads where its host allows (Node for real, workerd through
// miniflare), and that the declarations type-check a consumer under `tsc --strict`.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';

import { startAuthServer, DEMO_CLIENTS } from '../../demo/auth-server.mjs';
import { startWorker } from './support/worker-host.mjs';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = join(ROOT, 'node_modules/.bin/tsc');
const TYPES_DIR = fileURLToPath(new URL('./package-types/', import.meta.url));
const { demo } = DEMO_CLIENTS;

/** Exactly what users need: entries, the module they share, wasm, declarations (twice: the default entry and full/), README, LICENSE, package.json. */
const EXPECTED_FILES = [
  'LICENSE',
  'README.md',
  'browser.js',
  'cli.js',
  'deno.js',
  'index.d.ts',
  'node.js',
  'oauth_token_connection_bg.wasm',
  'package.js',
  'package.json',
  'types.d.ts',
  'workerd.js',
  // oauth-token-connection/full: previewRequest, the shared cache and the coordinator.
  ...['browser.js', 'deno.js', 'index.d.ts', 'node.js', 'oauth_token_connection_bg.wasm', 'package.js', 'types.d.ts',
    'workerd.js'].map((f) => `full/${f}`),
];

let tmp;
let pack; // npm pack --json's entry
let project; // the consumer project
let installed; // its node_modules/oauth-token-connection
let auth;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'otc-pack-'));
  const { stdout } = await run('npm', ['pack', join(ROOT, 'pkg'), '--pack-destination', tmp, '--json'], { cwd: tmp });
  [pack] = JSON.parse(stdout);
  project = join(tmp, 'consumer');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', join(tmp, pack.filename)], { cwd: project });
  installed = join(project, 'node_modules', 'oauth-token-connection');
  auth = await startAuthServer();
});
after(async () => {
  await auth?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Every file under `dir`, as sorted relative paths. */
function listFiles(dir, prefix = '') {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]).sort();
}

/** Runs a module snippet with node in the consumer project (optionally under --conditions). */
async function nodeIn(code, { conditions = [], env = {} } = {}) {
  const args = [...conditions.map((c) => `--conditions=${c}`), '--input-type=module', '-e', code];
  const { stdout } = await run(process.execPath, args, { cwd: project, env: { ...process.env, ...env } });
  return stdout.trim();
}

test('the tarball holds exactly the files users need, and the install has them', (t) => {
  assert.deepEqual(pack.files.map((f) => f.path).sort(), [...EXPECTED_FILES].sort());
  assert.deepEqual(listFiles(installed), [...EXPECTED_FILES].sort());
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
  assert.equal(manifest.dependencies, undefined, 'no runtime dependencies');
  // Every file `files` names was packed (npm pack skips missing ones silently).
  for (const f of manifest.files) {
    const packed = f.endsWith('/') ? EXPECTED_FILES.some((e) => e.startsWith(f)) : EXPECTED_FILES.includes(f);
    assert.ok(packed, `files names ${f}, which was not packed`);
  }

  const gz = (files) => gzipSync(Buffer.concat(files.map((f) => readFileSync(join(installed, f)))), { level: 9 }).length;
  t.diagnostic(`tarball ${pack.size} B, unpacked ${pack.unpackedSize} B`);
  t.diagnostic(`zlib level 9 (a little above GNU gzip -9): wasm ${gz(['oauth_token_connection_bg.wasm'])} B; `
    + `node entry ${gz(['package.js', 'node.js'])} B; browser entry ${gz(['package.js', 'browser.js'])} B`);
});

test('each export condition resolves to an existing file in the installed package, for both entries', async () => {
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
  assert.deepEqual(Object.keys(manifest.exports), ['.', './full', './package.json']);
  for (const [subpath, dir] of [['.', ''], ['./full', 'full/']]) {
    const map = manifest.exports[subpath];
    assert.deepEqual(Object.keys(map), ['types', 'deno', 'workerd', 'worker', 'browser', 'node', 'default']);
    for (const [condition, target] of Object.entries(map)) {
      assert.ok(existsSync(join(installed, target)), `${subpath} ${condition} -> ${target} is missing`);
    }
    // Node's own resolver, as each host's condition set would pick (first matching key wins).
    const specifier = subpath === '.' ? 'oauth-token-connection' : 'oauth-token-connection/full';
    const resolveCode = `process.stdout.write(import.meta.resolve('${specifier}'))`;
    const expect = { node: [[], 'node.js'], deno: [['deno'], 'deno.js'], workerd: [['workerd'], 'workerd.js'], worker: [['worker'], 'workerd.js'],
      browser: [['browser'], 'browser.js'] };
    for (const [name, [conditions, file]] of Object.entries(expect)) {
      const url = await nodeIn(resolveCode, { conditions });
      assert.equal(url, pathToFileURL(join(installed, dir + file)).href, `${subpath} ${name} condition`);
    }
    assert.equal(map.default, `./${dir}browser.js`, 'hosts with none of the conditions get the fetch-based entry');
  }
  assert.equal(manifest.types, manifest.exports['.'].types);
});

test('node: the installed package imports and gets a token from the real server', async () => {
  const out = await nodeIn(`
    import { requestToken, OAuthTokenError } from 'oauth-token-connection';
    const r = await requestToken({ tokenEndpoint: process.env.ENDPOINT, clientId: process.env.CLIENT_ID,
      clientSecret: process.env.CLIENT_SECRET });
    process.stdout.write(JSON.stringify({ token: r.accessToken, errorClass: typeof OAuthTokenError }));
  `, { env: { ENDPOINT: auth.url, CLIENT_ID: demo.id, CLIENT_SECRET: demo.secret } });
  const { token, errorClass } = JSON.parse(out);
  assert.equal(token, auth.tokens.at(-1).accessToken);
  assert.equal(errorClass, 'function');
});

test('browser/default: both entries import cleanly (the .wasm is fetched only on the first call)', async () => {
  const exports = {
    'oauth-token-connection': 'OAuthTokenError,createConnection,discover,previewRequest,requestToken',
    'oauth-token-connection/full':
      'OAuthTokenCoordinator,OAuthTokenError,createConnection,discover,previewRequest,requestToken',
  };
  for (const [specifier, names] of Object.entries(exports)) {
    const out = await nodeIn(`
      import * as m from '${specifier}';
      process.stdout.write(Object.keys(m).sort().join(','));
    `, { conditions: ['browser'] });
    assert.equal(out, names, specifier);
  }
});

test('node: the installed full entry previews a request and keys a cache', async () => {
  const out = await nodeIn(`
    import { previewRequest, createConnection } from 'oauth-token-connection/full';
    const config = { tokenEndpoint: 'https://auth.example.com/t', clientId: 'c', clientSecret: 's' };
    const p = await previewRequest(config);
    const key = await createConnection({ ...config, cache: { get() {}, put() {} } }).cacheKey();
    process.stdout.write(JSON.stringify({ method: p.method, key }));
  `);
  const { method, key } = JSON.parse(out);
  assert.equal(method, 'POST');
  assert.match(key, /^otc:v2:[0-9a-f]{64}$/);
});

test('workerd: the installed package runs in workerd and gets a token', async () => {
  const worker = await startWorker(installed);
  try {
    const out = await worker.request({ tokenEndpoint: auth.url, clientId: demo.id, clientSecret: demo.secret });
    assert.equal(out.ok, true, out.error?.message);
    assert.equal(out.result.accessToken, auth.tokens.at(-1).accessToken);
  } finally {
    await worker.dispose();
  }
});

test('types: tsc --strict compiles a consumer using every exported type (NodeNext and Bundler resolution)', async () => {
  for (const f of ['consumer.ts', 'tsconfig.nodenext.json', 'tsconfig.bundler.json']) {
    copyFileSync(join(TYPES_DIR, f), join(project, f));
  }
  for (const config of ['tsconfig.nodenext.json', 'tsconfig.bundler.json']) {
    try {
      await run(TSC, ['-p', config, '--noEmit', '--strict'], { cwd: project });
    } catch (err) {
      assert.fail(`tsc -p ${config} failed:\n${err.stdout}${err.stderr}`);
    }
  }
});
