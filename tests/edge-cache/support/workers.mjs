// Several Workers in one Miniflare instance (one workerd process, one isolate per Worker), each
// running support/coordinator-worker.mjs with the package's full entry laid out beside it as
// ./oauth-token-connection/ (ESModule files and a CompiledWasm module, as wrangler uploads them).
// The first Worker defines the Durable Object classes; the others bind to them by script name.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';

import { workerdGraph } from '../../hosts/support/worker-host.mjs';

const FULL = fileURLToPath(new URL('../../../pkg/full/', import.meta.url));
const WORKER = fileURLToPath(new URL('./coordinator-worker.mjs', import.meta.url));
const ROOT = '/worker';

function modules() {
  return [
    { type: 'ESModule', path: join(ROOT, 'worker.mjs'), contents: readFileSync(WORKER, 'utf8') },
    ...workerdGraph(FULL).map((f) => ({
      type: 'ESModule',
      path: join(ROOT, 'oauth-token-connection', f),
      contents: readFileSync(join(FULL, f), 'utf8'),
    })),
    {
      type: 'CompiledWasm',
      path: join(ROOT, 'oauth-token-connection', 'oauth_token_connection_bg.wasm'),
      contents: readFileSync(join(FULL, 'oauth_token_connection_bg.wasm')),
    },
  ];
}

/**
 * Starts `names.length` Workers. `persist`: a directory for Durable Object and KV storage (a
 * second instance on the same directory is the restart of the first); `sqlite`: SQLite-backed
 * objects (wrangler's `new_sqlite_classes`) rather than key-value ones (`new_classes`).
 */
export async function startWorkers({ names = ['a', 'b', 'c'], persist, sqlite = false } = {}) {
  const classes = { TOKENS: 'OAuthTokenCoordinator', HUNG: 'Hung', BROKEN: 'Broken' };
  const bindings = (scriptName) =>
    Object.fromEntries(Object.entries(classes).map(([b, className]) => [b, { className, scriptName, useSQLite: sqlite }]));
  const shared = modules();
  const mf = new Miniflare({
    workers: names.map((name, i) => ({
      name,
      modules: shared,
      modulesRoot: ROOT,
      compatibilityDate: '2025-01-01',
      durableObjects: bindings(i === 0 ? undefined : names[0]),
      kvNamespaces: { KV: 'otc-coordinator-kv' },
    })),
    ...(persist ? { durableObjectsPersist: persist, kvPersist: persist } : {}),
  });
  await mf.ready;
  const fetchers = new Map();
  for (const name of names) fetchers.set(name, await mf.getWorker(name));
  return {
    names,
    /** POSTs `payload` as JSON to `path` of the Worker `name`; its JSON answer. */
    async post(name, path, payload) {
      const res = await fetchers.get(name).fetch(`http://worker.test${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
      });
      if (res.status !== 200) throw new Error(`Worker ${name} answered ${res.status}: ${await res.text()}`);
      return res.json();
    },
    dispose: () => mf.dispose(),
  };
}
