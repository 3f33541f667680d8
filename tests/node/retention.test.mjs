// No secret outlives its use. In a child process with --expose-gc (support/retention-child.mjs),
// each case runs one exchange against a token server on 127.0.0.1 with canaries that exist only in
// Buffers: requestToken with header auth (Basic), with body auth, with the password grant, refused
// by the server (400 invalid_client), and a connection (token(), one conn.fetch, then dropped);
// and, in oauth-token-connection/full, signed assertions: private_key_jwt with a PKCS#1 PEM (which
// the .wasm rewraps as PKCS#8) and with a private JWK, refused, client_secret_jwt, and a connection
// that signs twice. The signing key (a DER slice of its private part, a line of its PEM, its JWK
// `d`) is searched for too: it crosses into wasm memory only to be parsed, and is zeroed there.
// After it settles and every reference is dropped (then macrotasks and gc()), neither a heap
// snapshot nor any WebAssembly.Memory of the package may hold the client secret, the password,
// the Basic credential (base64 of the form-encoded id:secret as sent, and the raw "id:secret"),
// the form-encoded secret or password, or the access and refresh tokens the server issued,
// in their bytes or as UTF-16LE. Failures list the forms found and where, never the values.
// Two checks of the harness itself: the same exchange made with plain fetch leaves nothing, and
// the search does find a string the heap still holds.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const CHILD = fileURLToPath(new URL('./support/retention-child.mjs', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HARNESS_CASE = 'plain fetch, Basic (harness check, not the package)';
const CASES = [
  'requestToken, header auth (Basic)',
  'requestToken, body auth',
  'requestToken, password grant',
  'requestToken, refused (400 invalid_client)',
  'connection: token(), one conn.fetch, then dropped',
  'full: requestToken, private_key_jwt (PKCS#1 PEM, rewrapped in wasm)',
  'full: requestToken, private_key_jwt (a private JWK)',
  'full: requestToken, private_key_jwt, refused (400 invalid_client)',
  'full: requestToken, client_secret_jwt',
  'full: connection, private_key_jwt: two renewals, then dropped',
];

let out;
before(async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', CHILD], {
    cwd: REPO_ROOT, timeout: 120_000, maxBuffer: 1 << 20,
  });
  out = JSON.parse(stdout.trim().split('\n').at(-1));
});

const caseNamed = (name) => out.cases.find((c) => c.name === name) ?? assert.fail(`no case ${name}`);

/** Every wire check of a case held: the canaries' forms are what went over the wire. */
function assertWire(c) {
  for (const [check, held] of Object.entries(c.wire)) assert.equal(held, true, `${c.name}: ${check}`);
}

test('harness: plain fetch leaves nothing; the search finds a live string', () => {
  const c = caseNamed(HARNESS_CASE);
  assertWire(c);
  assert.deepEqual({ heap: c.heap, wasm: c.wasm }, { heap: [], wasm: [] });
  assert.deepEqual(out.control.heap, ['control string']);
});

for (const name of CASES) {
  test(`${name}: nothing left in the heap or in wasm memory`, (t) => {
    const c = caseNamed(name);
    assertWire(c);
    if (c.heap.length || c.wasm.length) t.diagnostic(`found in the heap: ${c.heap.join(', ') || '-'}; in wasm memory: ${c.wasm.join(', ') || '-'}`);
    assert.deepEqual({ heap: c.heap, wasm: c.wasm }, { heap: [], wasm: [] });
  });
}

test('after every case: nothing of any case is left', () => {
  assert.deepEqual(out.end, { heap: [], wasm: [] });
});
