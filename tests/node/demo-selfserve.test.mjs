// The demo serves itself: the authorization server run on its own, the demo printing the
// credentials and a working command for examples/node.mjs, and the build skipped while pkg/ is
// newer than its sources.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { requestToken } from 'oauth-token-connection';
import { staleReason } from '../../scripts/pkg-fresh.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Starts `node args…` and resolves once stdout matches `until`; the caller stops it. */
async function startUntil(args, until) {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let out = '';
  child.stdout.setEncoding('utf8');
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (until.test(out)) resolve();
    });
    exited.then(() => reject(new Error(`exited early: ${out}`)));
  });
  return { child, exited, out: () => out };
}

function run(file, args, env = {}) {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr }));
  });
}

test('node demo/auth-server.mjs runs on its own and prints its URL and credentials', async () => {
  const server = await startUntil(['demo/auth-server.mjs', '--port', '0'], /Ctrl-C/);
  try {
    const out = server.out();
    const url = out.match(/^Demo authorization server: (http:\/\/127\.0\.0\.1:\d+\/token)$/m)[1];
    const [, clientId, clientSecret] = out.match(/client id "([^"]+)", client secret "([^"]+)"/);
    const [, username, password] = out.match(/user "([^"]+)", password "([^"]+)"/);
    const token = await requestToken({
      tokenEndpoint: url, grantType: 'password', clientId, clientSecret, username, password,
    });
    assert.equal(token.tokenType, 'Bearer');
    // With CORS, for pages on another origin.
    const preflight = await fetch(url, { method: 'OPTIONS', headers: { origin: 'http://127.0.0.1:1' } });
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
    server.child.kill('SIGTERM');
    assert.deepEqual(await server.exited, { code: 0, signal: null });
  } finally {
    server.child.kill('SIGKILL');
  }
});

test('the demo prints the client secret, the user, and a command that runs examples/node.mjs', async () => {
  const demo = await startUntil(['scripts/demo.mjs', '--port', '0'], /^Connection tester: /m);
  try {
    const out = demo.out();
    assert.match(out, /^ {2}client id "demo-client", client secret "demo-secret"/m);
    assert.match(out, /^ {2}user "alice", password "correct horse" \(password grant\)$/m);
    const command = out.match(/^ {2}(TOKEN_ENDPOINT=.*) \\\n {2}(API_URL=\S+) node examples\/node\.mjs$/m);
    assert.ok(command, out);
    const env = Object.fromEntries(`${command[1]} ${command[2]}`.split(' ').map((kv) => kv.split('=')));
    const example = await run(process.execPath, ['examples/node.mjs'], env);
    assert.equal(example.code, 0, example.stderr);
    assert.match(example.stdout, /^200 \{/m);
    demo.child.kill('SIGTERM');
    assert.deepEqual(await demo.exited, { code: 0, signal: null });
  } finally {
    demo.child.kill('SIGKILL');
  }
});

describe('scripts/pkg-fresh.mjs: is pkg/ newer than its sources?', () => {
  const NOW = Date.now() / 1000;
  /** A tree with the given files (path -> age in seconds) and pkg/ built 100 s ago. */
  function tree(files) {
    const root = mkdtempSync(join(tmpdir(), 'otc-fresh-'));
    const all = {
      'pkg/package.json': 100,
      'node_modules/oauth-token-connection/package.json': 100,
      'pkg-template/api.js': 200,
      ...files,
    };
    for (const [path, age] of Object.entries(all)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), '');
      utimesSync(join(root, path), NOW - age, NOW - age);
    }
    return root;
  }
  const cases = [
    ['older sources', { 'core/src/lib.rs': 200, 'Cargo.toml': 300 }, null],
    ['a newer Rust file in a workspace crate', { 'core/src/lib.rs': 200, 'wasm/src/step.rs': 10 }, 'wasm/src/step.rs is newer than pkg/'],
    ['a newer crate manifest', { 'core/Cargo.toml': 10 }, 'core/Cargo.toml is newer than pkg/'],
    ['a newer pkg-template file', { 'pkg-template/index.d.ts': 10 }, 'pkg-template/index.d.ts is newer than pkg/'],
    ['a newer build script', { 'scripts/build.sh': 10 }, 'scripts/build.sh is newer than pkg/'],
    ['newer files under target/ and node_modules/ only', { 'target/x/lib.rs': 10, 'node_modules/a/Cargo.toml': 10, 'fuzz/target/b.rs': 10 }, null],
  ];
  for (const [name, files, expected] of cases) {
    test(name, () => {
      const root = tree(files);
      try {
        assert.equal(staleReason(root), expected);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  }
  test('pkg/ missing', () => {
    const root = tree({});
    try {
      rmSync(join(root, 'pkg'), { recursive: true });
      assert.equal(staleReason(root), 'pkg/ is not built');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

test('scripts/demo.sh skips the build while pkg/ is fresh, and prints no npm warning', async (t) => {
  if (staleReason(ROOT) !== null) {
    t.skip(`pkg/ is not fresh here (${staleReason(ROOT)})`);
    return;
  }
  const { code, stdout, stderr } = await run('bash', ['scripts/demo.sh', '--once']);
  assert.equal(code, 0, stderr);
  assert.equal(JSON.parse(stdout).tokenType, 'Bearer');
  assert.match(stderr, /build skipped/);
  assert.doesNotMatch(stderr, /\[build\]|npm warn/i);
  assert.match(stderr, /client id "demo-client", client secret "demo-secret"/);
});
