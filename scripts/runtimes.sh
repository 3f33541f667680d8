#!/usr/bin/env bash
# Installs the runtimes of the runtime matrix (tests/runtimes/runtimes.mjs) from npm, each into
# .tools/runtimes/<id>/ (git-ignored): the `node` package at each Node.js version, `deno`, `bun`.
# Keyed by the exact npm spec: a runtime whose stamp matches and whose binary runs is skipped.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '[runtimes] %s\n' "$*" >&2; }

# One line per runtime: <dir> <npm spec> <binary, relative to dir>
LIST=$(node --input-type=module -e '
  const { RUNTIMES, TOOLS_DIR } = await import("./tests/runtimes/runtimes.mjs");
  for (const r of RUNTIMES) console.log(`${TOOLS_DIR}/${r.id} ${r.npm} ${r.bin}`);
')

while read -r dir spec bin; do
  if [ "$(cat "$dir/.installed" 2>/dev/null)" = "$spec" ] && "$dir/$bin" --version >/dev/null 2>&1; then
    continue
  fi
  log "installing $spec into $dir"
  start=$SECONDS
  rm -rf "$dir"
  mkdir -p "$dir"
  # --no-save: no package.json or lockfile in $dir, and nothing in the root package.json.
  npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error "$spec" >&2
  "$dir/$bin" --version >/dev/null
  echo "$spec" > "$dir/.installed"
  log "$spec ready in $((SECONDS - start)) s"
done <<< "$LIST"
