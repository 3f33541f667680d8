#!/usr/bin/env bash
# The benchmark suite against the peers (bench/run.mjs): builds pkg/ when missing and installs
# bench/'s own packages (the peers and esbuild, never dependencies of the package) when missing;
# Miniflare, for the Workers rows, is the root's (scripts/setup.sh installs it).
#   bash scripts/bench.sh            full run: markdown tables, bench/results/latest.json, goals
#                                    (exit status 1 when a binding goal fails)
#   bash scripts/bench.sh --smoke    tiny counts (what scripts/test.sh runs)
# Then bench/signing.mjs: what a signed assertion costs per token request (bench/results/signing.json).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -d node_modules/miniflare ] || bash scripts/setup.sh
[ -f pkg/oauth_token_connection_bg.wasm ] || bash scripts/build.sh
LOCK_SUM=$(sha256sum bench/package-lock.json | cut -d' ' -f1)
if [ "$(cat bench/node_modules/.setup-stamp 2>/dev/null)" != "$LOCK_SUM" ]; then
  echo "[bench] npm ci --prefix bench" >&2
  npm ci --prefix bench --no-audit --no-fund >&2
  echo "$LOCK_SUM" > bench/node_modules/.setup-stamp
fi
# signing.mjs runs even when a binding goal fails; the exit status is run.mjs's then.
status=0
node --expose-gc bench/run.mjs "$@" || status=$?
node bench/signing.mjs "$@"
exit "$status"
