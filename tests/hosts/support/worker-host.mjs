// Runs tests/hosts/worker/worker.mjs in workerd through miniflare, with a package directory
// (pkg/ or an installed tarball) laid out beside it as ./oauth-token-connection/: ESModule
// entries for the JS files of the `workerd` entry's graph and a CompiledWasm entry for the .wasm,
// the same module types wrangler uploads.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';

const WORKER = fileURLToPath(new URL('../worker/worker.mjs', import.meta.url));
// Virtual root: module names are paths relative to it.
const ROOT = '/worker';

/** The files the `workerd` entry imports (the same in both entries' folders); node.js and browser.js are deliberately absent. */
export const WORKERD_GRAPH = ['workerd.js', 'package.js'];

/** The JS files of the `workerd` entry in `dir` (an entry's folder). */
export const workerdGraph = () => WORKERD_GRAPH;
const WASM = 'oauth_token_connection_bg.wasm';

/**
 * Starts the Worker with `pkgDir` as the package (its `subpath` export: '.' or './full', whose
 * files are laid out as ./oauth-token-connection/ all the same). `options` are further
 * Miniflare options, e.g. `{ kvNamespaces: { TOKENS: 'id' }, kvPersist: dir }` for a KV binding.
 * @returns {Promise<{ request: (config: object) => Promise<object>, dispose: () => Promise<void> }>}
 */
export async function startWorker(pkgDir, options = {}, subpath = '.') {
  // `subpath`: the package export to run, '.' (the default entry) or './full'.
  const exportsMap = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).exports[subpath];
  const entry = subpath === '.' ? './workerd.js' : `${subpath}/workerd.js`;
  for (const condition of ['workerd', 'worker']) {
    if (exportsMap[condition] !== entry) {
      throw new Error(`exports["${subpath}"].${condition} is ${exportsMap[condition]}, the Worker imports ${entry}`);
    }
  }
  pkgDir = join(pkgDir, subpath);
  const modules = [
    { type: 'ESModule', path: join(ROOT, 'worker.mjs'), contents: readFileSync(WORKER, 'utf8') },
    ...workerdGraph(pkgDir).map((f) => ({
      type: 'ESModule',
      path: join(ROOT, 'oauth-token-connection', f),
      contents: readFileSync(join(pkgDir, f), 'utf8'),
    })),
    { type: 'CompiledWasm', path: join(ROOT, 'oauth-token-connection', WASM), contents: readFileSync(join(pkgDir, WASM)) },
  ];
  const mf = new Miniflare({ modules, modulesRoot: ROOT, compatibilityDate: '2025-01-01', ...options });
  await mf.ready;
  return {
    /** POSTs a JSON payload to `path` of the Worker and returns its JSON answer. */
    async post(path, payload) {
      const res = await mf.dispatchFetch(`http://worker.test${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
      });
      if (res.status !== 200) throw new Error(`Worker answered ${res.status}: ${await res.text()}`);
      return res.json();
    },
    request(config) {
      return this.post('/', config);
    },
    /** The Miniflare instance, e.g. for `getKVNamespace`. */
    miniflare: mf,
    dispose: () => mf.dispose(),
  };
}
