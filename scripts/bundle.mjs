// Bundles one flavor's JavaScript in place (scripts/build.sh): the host entries (node.js,
// browser.js, deno.js, workerd.js) stay small modules of their own, and everything they share
// (api.js and what it imports, the wasm-bindgen glue) becomes one module, package.js, so a host
// loads two modules instead of eight. Rollup keeps the comments and minifies nothing.
//   node scripts/bundle.mjs <dir>
import { readFileSync, rmSync, mkdtempSync, renameSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { rollup } from 'rollup';

const dir = resolve(process.argv[2]);
const ENTRIES = ['node.js', 'browser.js', 'deno.js', 'workerd.js'].map((f) => join(dir, f));
const SHARED = 'package';
// The glue's Deno type directive names its own .d.ts, which goes with it.
const glue = join(dir, 'oauth_token_connection.js');
writeFileSync(glue, readFileSync(glue, 'utf8').replace(/^\/\* @ts-self-types=.*\*\/\n/m, ''));
const warnings = [];
const bundle = await rollup({
  input: ENTRIES,
  // The .wasm stays a file of its own; Node.js built-ins are the host's.
  external: (id) => id.startsWith('node:') || id.endsWith('.wasm'),
  onwarn(w) {
    // api.js checks for the full build's exports, which the default build's glue lacks.
    if (w.code === 'MISSING_EXPORT' && basename(w.exporter ?? '') === 'oauth_token_connection.js') return;
    warnings.push(w);
  },
});
if (warnings.length) {
  for (const w of warnings) console.error(`[bundle] ${w.code}: ${w.message}`);
  process.exit(1);
}
const out = mkdtempSync(join(tmpdir(), 'otc-bundle-'));
const { output } = await bundle.write({
  dir: out,
  format: 'es',
  manualChunks: (id) => (ENTRIES.includes(id) ? undefined : SHARED),
  chunkFileNames: '[name].js',
  minifyInternalExports: false,
  entryFileNames: '[name].js',
});
await bundle.close();
// The modules now inside package.js go; the bundles take the entries' places.
for (const m of output.flatMap((chunk) => Object.keys(chunk.modules ?? {}))) {
  if (!ENTRIES.includes(m)) rmSync(m, { force: true });
}
rmSync(join(dir, 'oauth_token_connection.d.ts'), { force: true });
for (const f of readdirSync(out)) renameSync(join(out, f), join(dir, f));
rmSync(out, { recursive: true });
