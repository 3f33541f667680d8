// Bounded memory (a test about memory, not time): in a child process with --expose-gc
// (support/memory-child.mjs), one instance of the package serves
//   - 100,000 sequential requestToken calls against an in-process stub fetch (canned Responses),
//   - 10,000 sequential requestToken calls against a plain node:http token server on 127.0.0.1,
//   - 10,000 token()/invalidate() cycles of one connection on the stub fetch,
//   - 20 calls with an 8 MiB configuration string (refused; the wasm memory grows by at most
//     4 pages, as only 64 KiB + 1 of such a string is copied in),
// every 10th call an ERR_OAUTH (error paths leak most often). After 1,000 warm-up calls per phase
// the wasm memory, the wasm-bindgen externref table and the JS heap (after gc()) are recorded, and
// again at the end of the phase. The bounds (also in README "Hardening tests"):
//   - wasm memory grows by at most 1 page (64 KiB) after warm-up (a leak of 1 byte per call
//     would be 99 KB in the stub phase);
//   - the externref table grows by at most 128 slots (a leaked JS handle per call would add
//     thousands);
//   - the JS heap after gc() grows by less than 2 MiB in the stub and connection phases and
//     less than 4 MiB in the loopback phase (the HTTP client and server keep some state of their own).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const CHILD = fileURLToPath(new URL('./support/memory-child.mjs', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const WASM_PAGE = 64 * 1024;
const MIB = 1024 * 1024;
const BOUNDS = {
  wasmGrowthBytes: WASM_PAGE,
  externrefGrowth: 128,
  heapGrowthBytes: { stub: 2 * MIB, loopback: 4 * MIB, connection: 2 * MIB },
};
const CALLS = { stub: 100_000, loopback: 10_000, connection: 10_000, warmup: 1_000 };

const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;

test('wasm memory and JS heap stay bounded over 120,000 calls in one instance', async (t) => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--expose-gc', CHILD, CALLS.stub, CALLS.loopback, CALLS.connection, CALLS.warmup].map(String),
    { cwd: REPO_ROOT, timeout: 300_000, maxBuffer: 1 << 20 },
  );
  const out = JSON.parse(stdout.trim().split('\n').at(-1));

  for (const phase of ['stub', 'loopback', 'connection']) {
    const p = out[phase];
    t.diagnostic(`${phase}: ${p.calls} calls (${p.ok} tokens, ${p.errors} ERR_OAUTH) in ${p.ms} ms; `
      + `wasm ${p.before.wasmBytes} -> ${p.after.wasmBytes} B; externrefs ${p.before.externrefs} -> ${p.after.externrefs}; `
      + `heap ${kib(p.before.heapUsed)} -> ${kib(p.after.heapUsed)}`);
    assert.equal(p.ok + p.errors, p.calls);
    assert.equal(p.errors, p.calls / 10, 'every 10th call is an ERR_OAUTH');
    assert.ok(p.after.wasmBytes - p.before.wasmBytes <= BOUNDS.wasmGrowthBytes,
      `${phase}: wasm memory grew ${p.after.wasmBytes - p.before.wasmBytes} B after warm-up`);
    if (p.before.externrefs !== null) {
      assert.ok(p.after.externrefs - p.before.externrefs <= BOUNDS.externrefGrowth,
        `${phase}: externref table grew by ${p.after.externrefs - p.before.externrefs}`);
    }
    assert.ok(p.after.heapUsed - p.before.heapUsed < BOUNDS.heapGrowthBytes[phase],
      `${phase}: heap grew ${kib(p.after.heapUsed - p.before.heapUsed)} after warm-up`);
  }
  assert.equal(out.loopback.served, CALLS.loopback, 'the loopback server answered every call');
  // 8 MiB configuration strings are refused without being copied into wasm memory.
  const o = out.oversized;
  t.diagnostic(`oversized: ${o.refused}/${o.calls} refused; wasm ${o.before.wasmBytes} -> ${o.after.wasmBytes} B`);
  assert.equal(o.refused, o.calls, 'every 8 MiB string is ERR_INVALID_CONFIG naming its field');
  // Only 64 KiB + 1 of each string crosses (to be refused by name): 4 pages at most, where a
  // whole copy would grow the memory by 8 MiB.
  assert.ok(o.after.wasmBytes - o.before.wasmBytes <= 4 * WASM_PAGE,
    `oversized strings: wasm memory grew ${o.after.wasmBytes - o.before.wasmBytes} B`);
  t.diagnostic(`wasm memory at start ${out.startWasmBytes} B`);
});
