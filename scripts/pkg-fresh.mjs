#!/usr/bin/env node
// Is pkg/ newer than everything it is built from? Exit 0 when it is, 1 (naming a newer source)
// when it must be built. Sources: every *.rs, Cargo.toml and Cargo.lock under the repository,
// pkg-template/, the build scripts and the npm lockfile (wasm-opt, esbuild); target/,
// node_modules/ and dot folders are skipped. pkg/package.json, written last by build.sh, is the
// build's time.
//   node scripts/pkg-fresh.mjs [root]

import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SKIP = new Set(['target', 'node_modules', 'pkg']);
const BUILD_FILES = ['scripts/build.sh', 'scripts/shrink-names.mjs', 'package-lock.json'];

/** Every source file of the build under `root`. */
export function* sources(root) {
  const walk = function* walk(dir) {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || SKIP.has(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) yield* walk(path);
      else if (/\.rs$|^Cargo\.(toml|lock)$/.test(entry.name)) yield path;
    }
  };
  yield* walk(root);
  const template = join(root, 'pkg-template');
  for (const entry of readdirSync(template, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) yield join(entry.parentPath ?? entry.path, entry.name);
  }
  for (const f of BUILD_FILES) yield join(root, f);
}

/** Null when pkg/ is up to date, else why it is not. */
export function staleReason(root) {
  let built;
  try {
    built = statSync(join(root, 'pkg', 'package.json')).mtimeMs;
    statSync(join(root, 'node_modules', 'oauth-token-connection', 'package.json'));
  } catch {
    return 'pkg/ is not built';
  }
  for (const file of sources(root)) {
    let mtime;
    try {
      mtime = statSync(file).mtimeMs;
    } catch {
      continue; // a build file this checkout does not have
    }
    if (mtime > built) return `${relative(root, file)} is newer than pkg/`;
  }
  return null;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = process.argv[2] ?? fileURLToPath(new URL('..', import.meta.url));
  const reason = staleReason(root);
  if (reason) console.error(`[demo] ${reason}: building`);
  else console.error('[demo] pkg/ is newer than its sources: build skipped');
  process.exitCode = reason ? 1 : 0;
}
