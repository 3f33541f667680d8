// Child process of coordinator.test.mjs, run with --expose-gc: an OAuthTokenCoordinator (the full
// entry, in Node.js, over a Map as its storage) answers asks from connections whose settings hold
// canary credentials; then the connections are dropped and the garbage collector runs, while the
// object stays. Prints one JSON line of labels (never a canary's value): which forms a heap
// snapshot and the full entry's WebAssembly.Memory still hold, and what the storage holds.
//
// The canaries exist only in Buffers until a case builds its settings inside a function whose
// locals die when it returns.

import http from 'node:http';
import v8 from 'node:v8';
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createConnection, OAuthTokenCoordinator } from 'oauth-token-connection/full';

if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');

const glue = await import(new URL('./package.js', import.meta.resolve('oauth-token-connection/full')));
const memories = Object.values(glue.initSync()).filter((v) => v instanceof WebAssembly.Memory);

const bytes = (ascii) => Buffer.from(ascii, 'latin1');
const ALNUM = bytes('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789');
const canary = (tag) => Buffer.concat([bytes(tag), Buffer.from(Array.from({ length: 24 }, () => ALNUM[randomInt(ALNUM.length)]))]);
const c = { secret: canary('COORDSECRET'), password: canary('COORDPASSWORD'), access: canary('COORDACCESS'), refresh: canary('COORDREFRESH') };
const utf16le = (b) => {
  const out = Buffer.alloc(b.length * 2);
  b.forEach((x, i) => { out[i * 2] = x; });
  return out;
};

let requests = 0;
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    requests += 1;
    const answer = Buffer.concat([bytes('{"access_token":"'), c.access, bytes('","token_type":"Bearer","expires_in":3600,"refresh_token":"'), c.refresh, bytes('"}')]);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length, connection: 'close' });
    res.end(answer);
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

// The object, and a namespace of one object that hands each ask to it as the runtime would.
const stored = new Map();
const object = new OAuthTokenCoordinator({
  storage: { get: async (k) => stored.get(k), put: async (k, v) => void stored.set(k, v), delete: async (k) => void stored.delete(k) },
});
const namespace = { idFromName: (name) => name, get: () => ({ fetch: (url, init) => object.fetch(new Request(url, init)) }) };

async function ask() {
  const text = (b) => b.toString('latin1');
  const config = {
    tokenEndpoint: `http://127.0.0.1:${server.address().port}/token`, clientId: 'retention client', clientSecret: text(c.secret),
    grantType: 'password', username: 'alice', password: text(c.password), coordinator: namespace,
  };
  const results = await Promise.all(Array.from({ length: 5 }, () => createConnection(config).token()));
  const conn = createConnection(config);
  await conn.token();
  await conn.invalidate(); // an ask that drops, then one that renews
  await conn.token();
  return results.every((r) => bytes(r.accessToken).equals(c.access) && r.refreshToken === undefined);
}

try {
  const answered = await ask();
  for (let i = 0; i < 5; i += 1) {
    await sleep(1);
    globalThis.gc();
  }
  const chunks = [];
  for await (const chunk of v8.getHeapSnapshot()) chunks.push(chunk);
  const heap = Buffer.concat(chunks);
  const wasm = memories.map((m) => Buffer.from(m.buffer));
  const found = { heap: [], wasm: [], storage: [] };
  const storage = Buffer.from([...stored.values()].join('\n'), 'latin1');
  for (const [label, form] of Object.entries({ 'client secret': c.secret, password: c.password, 'refresh token': c.refresh })) {
    for (const [needle, suffix] of [[form, ''], [utf16le(form), ' (UTF-16LE)']]) {
      if (heap.includes(needle)) found.heap.push(label + suffix);
      if (wasm.some((m) => m.includes(needle))) found.wasm.push(label + suffix);
    }
    if (storage.includes(form)) found.storage.push(label);
  }
  process.stdout.write(`${JSON.stringify({ answered, requests, keys: stored.size, found })}\n`);
} finally {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}
