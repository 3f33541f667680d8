// The runtime matrix: runs acceptance.mjs in every runtime of runtimes.mjs (installed by
// scripts/runtimes.sh into .tools/runtimes/), one test per runtime. The servers stay here, in the
// harness's Node.js, on 127.0.0.1: the real authorization server (demo/auth-server.mjs) over HTTP,
// the same over HTTPS with a CA the runtime is told to trust and with one it is not, and the
// hostile server (hang, foreign cookie). Fresh servers per runtime, so what they saw is checked
// per runtime too.
// Run: bash scripts/runtimes.sh && node --test tests/runtimes/

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startAuthServer, DEMO_CLIENTS, DEMO_USERS } from '../../demo/auth-server.mjs';
import { startHostileServer } from '../node/support/hostile-server.mjs';
import { startResourceServer } from '../../demo/resource-server.mjs';
import { makeCerts } from '../node/support/certs.mjs';
import { startOidcProvider } from '../node/support/assertion-servers.mjs';
import { RUNTIMES, COLUMNS, TOOLS_DIR, matrixRows, expectationsOf } from './runtimes.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./acceptance.mjs', import.meta.url));
/** Settings that change what a runtime trusts or runs; the harness sets them itself. */
const INHERITED_ENV_DROPPED = ['NODE_EXTRA_CA_CERTS', 'DENO_CERT', 'NODE_OPTIONS', 'NODE_TEST_CONTEXT'];

/** Runs a command; resolves with its exit status and output whatever the status. */
function run(file, args, options) {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: ROOT, timeout: 60_000, ...options }, (err, stdout, stderr) => {
      resolve({ status: err ? (err.code ?? err.signal) : 0, stdout, stderr });
    });
  });
}

function childEnv(extra) {
  const env = { ...process.env };
  for (const key of INHERITED_ENV_DROPPED) delete env[key];
  return { ...env, ...extra };
}

let certDir;
let trustedCerts;
let untrustedCerts;

before(() => {
  certDir = mkdtempSync(join(tmpdir(), 'otc-runtimes-'));
  trustedCerts = makeCerts(join(certDir, 'trusted'));
  untrustedCerts = makeCerts(join(certDir, 'untrusted'), { caName: 'oauth-token-connection untrusted CA' });
});

after(() => {
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

test("docs/testing.md's runtime matrix is the one runtimes.mjs renders, and pkg/'s exports map agrees", () => {
  const page = readFileSync(join(ROOT, 'docs', 'testing.md'), 'utf8');
  const rows = matrixRows().join('\n');
  assert.ok(page.includes(`\n${rows}\n`), `docs/testing.md should hold this table verbatim:\n${rows}`);
  const exports = JSON.parse(readFileSync(join(ROOT, 'pkg/package.json'), 'utf8')).exports['.'];
  for (const r of RUNTIMES) {
    assert.equal(exports[r.entry.condition], `./${r.entry.file}`, `${r.name}: exports["."].${r.entry.condition}`);
  }
});

// The signing keys (generated per run) and oidc-provider's clients for the signed-assertion cases.
const KEYS = {
  rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  p256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  ed25519: generateKeyPairSync('ed25519'),
};
const SIGNING_SECRET = 'runtime-matrix-secret-0123456789abcdef-0123456789abcdef';
const publicJwk = (kp) => kp.publicKey.export({ format: 'jwk' });
const SIGNING_CLIENTS = [
  { client_id: 'rs256', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [publicJwk(KEYS.rsa)] } },
  { client_id: 'ps256', token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'PS256', jwks: { keys: [publicJwk(KEYS.rsa)] } },
  { client_id: 'es256', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [publicJwk(KEYS.p256)] } },
  { client_id: 'eddsa', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [publicJwk(KEYS.ed25519)] } },
  { client_id: 'hs256', token_endpoint_auth_method: 'client_secret_jwt', client_secret: SIGNING_SECRET },
];
const SIGNING_KEYS = {
  rsaPkcs1: KEYS.rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }),
  rsaJwk: KEYS.rsa.privateKey.export({ format: 'jwk' }),
  p256Sec1: KEYS.p256.privateKey.export({ type: 'sec1', format: 'pem' }),
  ed25519: KEYS.ed25519.privateKey.export({ type: 'pkcs8', format: 'pem' }),
};

/** Starts every server one runtime's run needs. */
async function startServers() {
  const servers = {};
  try {
    servers.auth = await startAuthServer();
    servers.resource = await startResourceServer(servers.auth);
    servers.hostile = await startHostileServer();
    servers.tlsTrusted = await startAuthServer({ tls: trustedCerts });
    servers.tlsUntrusted = await startAuthServer({ tls: untrustedCerts });
    servers.op = await startOidcProvider(SIGNING_CLIENTS);
    return servers;
  } catch (err) {
    await closeServers(servers);
    throw err;
  }
}

async function closeServers(servers) {
  await Promise.all(Object.values(servers).map((s) => s.close()));
}

/** The four token cases' requests (the only ones with this scope) were sent as each case says. */
function checkWire(auth) {
  const seen = auth.requests
    .map((r) => ({ headers: r.headers, form: new URLSearchParams(r.body) }))
    .filter((r) => r.form.get('scope') === 'read write')
    .map(({ headers, form }) => {
      const header = headers.authorization?.startsWith('Basic ') === true;
      const body = form.get('client_id') === DEMO_CLIENTS.demo.id && form.get('client_secret') === DEMO_CLIENTS.demo.secret;
      assert.ok(header !== body, `exactly one client authentication per request (header ${header}, body ${body})`);
      if (form.get('grant_type') === 'password') assert.equal(form.get('username'), DEMO_USERS.alice.username);
      return `${form.get('grant_type')} ${header ? 'header' : 'body'}`;
    });
  assert.deepEqual(seen.sort(), [
    'client_credentials body', 'client_credentials header', 'password body', 'password header',
  ]);
}

for (const runtime of RUNTIMES) {
  test(`${runtime.name} ${runtime.version}`, async (t) => {
    const bin = join(ROOT, TOOLS_DIR, runtime.id, runtime.bin);
    const version = await run(bin, ['--version'], { env: childEnv({}) });
    assert.equal(version.status, 0, `${bin} --version: ${version.stderr} (run: bash scripts/runtimes.sh)`);
    const firstLine = version.stdout.split('\n')[0].trim();
    assert.ok(firstLine === runtime.versionOutput || firstLine.startsWith(`${runtime.versionOutput} `),
      `${bin} is ${firstLine}, expected ${runtime.versionOutput}`);

    const servers = await startServers();
    try {
      const config = {
        authUrl: servers.auth.url,
        hostileOrigin: servers.hostile.origin,
        resourceOrigin: servers.resource.origin,
        tlsTrustedUrl: servers.tlsTrusted.url,
        tlsUntrustedUrl: servers.tlsUntrusted.url,
        client: { id: DEMO_CLIENTS.demo.id, secret: DEMO_CLIENTS.demo.secret },
        user: DEMO_USERS.alice,
        signing: { tokenEndpoint: servers.op.tokenEndpoint, keys: SIGNING_KEYS, secret: SIGNING_SECRET },
        expect: expectationsOf(runtime),
      };
      const env = childEnv({ [runtime.trust.env]: trustedCerts.caPem });
      const out = await run(bin, [...runtime.argv(SCRIPT), JSON.stringify(config)], { env });
      const context = `\nstdout:\n${out.stdout}\nstderr:\n${out.stderr}`;
      assert.equal(out.status, 0, `exit status${context}`);

      const lines = out.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => {
        try {
          return JSON.parse(l);
        } catch {
          assert.fail(`not a result line: ${l}${context}`);
        }
      });
      const cases = lines.filter((l) => 'case' in l);
      const summary = lines.at(-1)?.summary;
      assert.ok(summary, `the last line is the summary${context}`);
      assert.equal(lines.length, cases.length + 1, `only case lines and one summary${context}`);
      const failed = cases.filter((c) => !c.ok);
      assert.deepEqual(failed, [], `failed cases${context}`);
      assert.deepEqual(summary, { passed: cases.length, failed: 0, total: cases.length });

      // Every README cell of this runtime is backed by passing cases.
      const passed = new Set(cases.map((c) => c.case));
      for (const column of COLUMNS) {
        for (const name of column.cases) assert.ok(passed.has(name), `${column.title}: case "${name}" did not run`);
      }

      // What the servers saw.
      checkWire(servers.auth);
      assert.equal(servers.hostile.hits.get('/hang'), 1, 'the timeout case reached the hanging route');
      assert.equal(servers.hostile.hits.get('/cookie-foreign'), 2, 'both cookie cases reached the server');
      assert.equal(servers.tlsUntrusted.requests.length, 0, 'no HTTP request got past the untrusted certificate');
      assert.equal(servers.tlsTrusted.tokens.length, 1, 'the trusted HTTPS server issued one token');
      const byScope = (scope) => servers.auth.requests.filter((r) => new URLSearchParams(r.body).get('scope') === scope).length;
      assert.equal(byScope('read'), 2, 'connection reuse: one token request, one more after invalidate()');
      assert.equal(byScope('write'), 1, 'connection single-flight: one token request for 50 concurrent calls');
      const rest = servers.resource.calls;
      assert.equal(rest.length, 28, 'REST calls that reached the resource');
      assert.deepEqual([...new Set(rest.map((c) => c.status))], [200], 'every REST call was accepted');

      // The signed assertions oidc-provider saw: one per token request, each with a fresh jti
      // (it refuses a replay), the connection's two among them.
      const assertions = (await servers.op.requests()).map((r) => r.client_assertion);
      assert.equal(assertions.length, runtime.eddsa ? 7 : 6, 'token requests with an assertion');
      const jtis = assertions.map((a) => JSON.parse(Buffer.from(a.split('.')[1], 'base64url')).jti);
      assert.equal(new Set(jtis).size, jtis.length, 'a fresh jti per assertion');

      const tls = cases.find((c) => c.case === 'TLS untrusted CA').observed;
      const cookies = cases.find((c) => c.case === 'cookie policy warning').observed.warnings.length;
      t.diagnostic(`${runtime.id}: ${summary.passed}/${summary.total} cases; untrusted certificate ${JSON.stringify(tls)}; cookie warnings ${cookies}`);
    } finally {
      await closeServers(servers);
    }
  });
}
