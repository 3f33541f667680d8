// scripts/demo.mjs, run as a user would: the embedded demo (one-shot, and serving the connection
// tester), a "real" endpoint with secrets from the environment, and the failure output.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startAuthServer, DEMO_CLIENTS, DEMO_USERS } from '../../demo/auth-server.mjs';

const DEMO = fileURLToPath(new URL('../../scripts/demo.mjs', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs the demo; resolves with { code, stdout, stderr } whatever the exit status. */
function runDemo(args, env = {}) {
  const base = { ...process.env };
  delete base.OAUTH_CLIENT_SECRET;
  delete base.OAUTH_PASSWORD;
  return new Promise((resolve) => {
    execFile(process.execPath, [DEMO, ...args], { cwd: REPO_ROOT, env: { ...base, ...env }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr }));
  });
}

describe('scripts/demo.mjs', () => {
  let auth;
  before(async () => { auth = await startAuthServer(); });
  after(async () => { await auth?.close(); });

  test('--once: a token from the embedded server as JSON', async () => {
    const { code, stdout, stderr } = await runDemo(['--once']);
    assert.equal(code, 0, stderr);
    const result = JSON.parse(stdout);
    assert.match(result.accessToken, /^[0-9a-f]{40,}$/);
    assert.equal(result.tokenType, 'Bearer');
    assert.equal(result.scope, 'read write');
    assert.equal(result.json.access_token, result.accessToken);
  });

  test('without arguments: a token, then the connection tester served next to the demo server until SIGTERM', async () => {
    const child = spawn(process.execPath, [DEMO, '--port', '0'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    try {
      let out = '';
      child.stdout.setEncoding('utf8');
      const testerUrl = await new Promise((resolve, reject) => {
        child.stdout.on('data', (chunk) => {
          out += chunk;
          const m = out.match(/^Connection tester: (http:\/\/127\.0\.0\.1:\d+\/)$/m);
          if (m) resolve(m[1]);
        });
        exited.then(() => reject(new Error(`demo exited early: ${out}`)));
      });
      assert.match(out, /^Token request through the package: Bearer token, expires in (3600|3599) s, scope "read write"$/m);
      const authUrl = out.match(/^Demo authorization server: (\S+)/m)[1];

      const page = await fetch(testerUrl);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-security-policy'), /form-action 'none'/);
      assert.match(await page.text(), /<title>OAuth token connection tester<\/title>/);
      const wasm = await fetch(new URL('pkg/oauth_token_connection_bg.wasm', testerUrl));
      assert.equal(wasm.headers.get('content-type'), 'application/wasm');
      await wasm.arrayBuffer();
      const demoConfig = await (await fetch(new URL('demo-config.json', testerUrl))).json();
      assert.equal(demoConfig.tokenEndpoint, authUrl);
      assert.equal(demoConfig.clientId, DEMO_CLIENTS.demo.id);
      // The demo REST resource: it accepts a token of the demo server, through the package's connection.
      const restUrl = out.match(/^Demo REST resource: (\S+) /m)[1];
      assert.equal(demoConfig.restUrl, restUrl);
      const { createConnection } = await import('oauth-token-connection');
      const conn = createConnection({ tokenEndpoint: authUrl, clientId: demoConfig.clientId, clientSecret: demoConfig.clientSecret });
      const rest = await conn.fetch(restUrl);
      assert.equal(rest.status, 200);
      assert.deepEqual(await rest.json(), { ok: true, method: 'GET', path: '/api/profile', body: '', client: DEMO_CLIENTS.demo.id, user: `client:${DEMO_CLIENTS.demo.id}` });
      assert.equal((await fetch(restUrl)).status, 401, 'without a token');
      assert.equal((await fetch(new URL('../package.json', testerUrl))).status, 404);
      // The page's origin differs from the demo server's: it must answer the CORS preflight.
      const preflight = await fetch(authUrl, { method: 'OPTIONS', headers: { origin: new URL(testerUrl).origin } });
      assert.equal(preflight.headers.get('access-control-allow-origin'), '*');

      child.kill('SIGTERM');
      assert.deepEqual(await exited, { code: 0, signal: null });
      await assert.rejects(fetch(testerUrl), 'the tester server is stopped');
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('--help', async () => {
    const { code, stdout } = await runDemo(['--help']);
    assert.equal(code, 0);
    assert.match(stdout, /--token-endpoint/);
    assert.match(stdout, /OAUTH_CLIENT_SECRET/);
  });

  test('a given endpoint, password grant, secrets from the environment', async () => {
    const { code, stdout, stderr } = await runDemo([
      '--token-endpoint', auth.url, '--client-id', DEMO_CLIENTS.demo.id, '--grant-type', 'password',
      '--username', DEMO_USERS.alice.username, '--client-authentication', 'body', '--scope', 'read write',
      '--timeout', '5',
    ], { OAUTH_CLIENT_SECRET: DEMO_CLIENTS.demo.secret, OAUTH_PASSWORD: DEMO_USERS.alice.password });
    assert.equal(code, 0, stderr);
    const result = JSON.parse(stdout);
    assert.equal(result.accessToken, auth.tokens.at(-1).accessToken);
    const form = new URLSearchParams(auth.requests.at(-1).body);
    assert.equal(form.get('client_secret'), DEMO_CLIENTS.demo.secret);
    assert.equal(form.get('password'), DEMO_USERS.alice.password);
    assert.equal(form.get('scope'), 'read write');
  });

  test('a failure prints the code and OAuth error and exits 1, without the secret', async () => {
    const secret = 'wrong-demo-secret-77';
    const { code, stdout, stderr } = await runDemo(
      ['--token-endpoint', auth.url, '--client-id', DEMO_CLIENTS.demo.id],
      { OAUTH_CLIENT_SECRET: secret },
    );
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.match(stderr, /ERR_OAUTH/);
    assert.match(stderr, /invalid_client/);
    assert.match(stderr, /401/);
    assert.ok(!stderr.includes(secret));
  });

  test('--config file; a secret inside it is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'otc-demo-'));
    try {
      const file = join(dir, 'settings.json');
      writeFileSync(file, JSON.stringify({ tokenEndpoint: auth.url, clientId: DEMO_CLIENTS.demo.id, scope: 'admin' }));
      const ok = await runDemo(['--config', file], { OAUTH_CLIENT_SECRET: DEMO_CLIENTS.demo.secret });
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(JSON.parse(ok.stdout).scope, 'admin');

      const sent = auth.requests.length;
      writeFileSync(file, JSON.stringify({ tokenEndpoint: auth.url, clientId: 'x', clientSecret: 'in-file-secret' }));
      const refused = await runDemo(['--config', file]);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /clientSecret/);
      assert.ok(!refused.stderr.includes('in-file-secret'));
      assert.equal(auth.requests.length, sent);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('secrets are not accepted as flags', async () => {
    const sent = auth.requests.length;
    const { code } = await runDemo(['--token-endpoint', auth.url, '--client-id', 'x', '--client-secret', 'y']);
    assert.equal(code, 2);
    assert.equal(auth.requests.length, sent);
  });
});
