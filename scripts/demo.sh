#!/usr/bin/env bash
# The main job: builds the package when a source is newer than pkg/, then requests a token.
# Without arguments it starts the embedded demo authorization server on 127.0.0.1, prints its
# credentials, gets a token from it and serves the browser connection tester (www/) next to it
# until Ctrl-C (`--once`: the token only, then exit); `--help` shows how to target a real endpoint.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
if ! node scripts/pkg-fresh.mjs; then
  SKIP_SETUP=1 bash scripts/build.sh >&2
fi
exec node scripts/demo.mjs "$@"
