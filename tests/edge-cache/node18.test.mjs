// Node.js 18 has no global `crypto` (without a flag): the package's node entry supplies
// node:crypto's webcrypto for the cache key. Runs node18-child.mjs in the Node.js 18 of the
// runtime matrix (installed by scripts/runtimes.sh, which scripts/test.sh runs before this step).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { createConnection } from 'oauth-token-connection/full';
import { startAuthServer, DEMO_CLIENTS } from '../../demo/auth-server.mjs';
import { RUNTIMES, TOOLS_DIR } from '../runtimes/runtimes.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const node18 = RUNTIMES.find((r) => r.id === 'node18');
const NODE18 = `${ROOT}${TOOLS_DIR}/${node18.id}/${node18.bin}`;
const CHILD = fileURLToPath(new URL('./node18-child.mjs', import.meta.url));
const { demo } = DEMO_CLIENTS;

test('Node.js 18: the cache key comes from node:crypto, equal to the one Node.js 20 derives', async (t) => {
  assert.ok(existsSync(NODE18), `${NODE18} is missing: run bash scripts/runtimes.sh`);
  const auth = await startAuthServer();
  t.after(() => auth.close());
  const { stdout } = await promisify(execFile)(NODE18, [CHILD, auth.url, demo.id, demo.secret], { cwd: ROOT });
  const out = JSON.parse(stdout);
  assert.equal(out.version, `v${node18.version}`);
  assert.equal(out.globalCrypto, 'undefined', 'Node.js 18 has no global crypto');
  const expected = await createConnection({ tokenEndpoint: auth.url, clientId: demo.id, clientSecret: demo.secret, cache: { get() {}, put() {} } }).cacheKey();
  assert.equal(out.key, expected);
  assert.equal(out.gets, 2);
  assert.equal(out.puts.length, 1);
  assert.equal(out.puts[0].key, expected);
  assert.deepEqual(out.warnings, []);
  assert.equal(out.same, true, 'the second connection took the stored token');
  assert.equal(auth.requests.filter((r) => r.path === '/token').length, 1);
});
