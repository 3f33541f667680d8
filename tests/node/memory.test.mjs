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
//   - the externref table's slots in use grow by at most 128 (a leaked JS handle per call would
//     add thousands; slots are counted, as the table's length grows in large steps). The table
//     must be found (`__wbindgen_externrefs` in the instance's exports), so this bound always
//     runs; the second test runs the child in a mode that leaks one externref per call and
//     shows that the bound catches it;
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

const PHASES = ['stub', 'loopback', 'connection'];

const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;

/** Runs support/memory-child.mjs with these counts (and `mode`) and returns its JSON line. */
async function runChild(calls, mode) {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--expose-gc', CHILD, calls.stub, calls.loopback, calls.connection, calls.warmup, ...(mode ? [mode] : [])].map(String),
    { cwd: REPO_ROOT, timeout: 300_000, maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1));
}

/**
 * The bounds above, checked on one run of the child: one message per bound a phase exceeded
 * (empty when all hold). A missing externref table is a failure, never a skipped bound.
 */
function boundFailures(out) {
  const failures = [];
  for (const phase of PHASES) {
    const { before, after } = out[phase];
    if (after.wasmBytes - before.wasmBytes > BOUNDS.wasmGrowthBytes) {
      failures.push(`${phase}: wasm memory grew ${after.wasmBytes - before.wasmBytes} B after warm-up`);
    }
    if (before.externrefs === null || after.externrefs === null) {
      failures.push(`${phase}: no externref table (__wbindgen_externrefs) in the instance's exports: the bound cannot run`);
    } else if (after.externrefs - before.externrefs > BOUNDS.externrefGrowth) {
      failures.push(`${phase}: externref table grew by ${after.externrefs - before.externrefs} slots in use`);
    }
    if (after.heapUsed - before.heapUsed >= BOUNDS.heapGrowthBytes[phase]) {
      failures.push(`${phase}: heap grew ${kib(after.heapUsed - before.heapUsed)} after warm-up`);
    }
  }
  return failures;
}

test('wasm memory and JS heap stay bounded over 120,000 calls in one instance', async (t) => {
  const out = await runChild(CALLS);
  for (const phase of PHASES) {
    const p = out[phase];
    t.diagnostic(`${phase}: ${p.calls} calls (${p.ok} tokens, ${p.errors} ERR_OAUTH) in ${p.ms} ms; `
      + `wasm ${p.before.wasmBytes} -> ${p.after.wasmBytes} B; externrefs in use ${p.before.externrefs} -> ${p.after.externrefs} `
      + `(table length ${p.before.externrefTableLength} -> ${p.after.externrefTableLength}); `
      + `heap ${kib(p.before.heapUsed)} -> ${kib(p.after.heapUsed)}`);
    assert.equal(p.ok + p.errors, p.calls);
    assert.equal(p.errors, p.calls / 10, 'every 10th call is an ERR_OAUTH');
  }
  assert.deepEqual(boundFailures(out), []);
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

test('the externref bound catches a child that leaks one externref per call', async (t) => {
  const out = await runChild({ stub: 1_000, loopback: 300, connection: 300, warmup: 100 }, 'leak-externrefs');
  const failures = boundFailures(out);
  t.diagnostic(failures.join('; '));
  for (const phase of PHASES) {
    assert.ok(failures.some((f) => f.startsWith(`${phase}: externref table grew by `)),
      `${phase}: the bound missed the leak (${out[phase].before.externrefs} -> ${out[phase].after.externrefs})`);
  }
});
