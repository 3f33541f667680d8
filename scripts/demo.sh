#!/usr/bin/env bash
# The main job: builds the package, then requests a token. Without arguments it starts the
# embedded demo authorization server on 127.0.0.1, gets a token from it and serves the browser
# connection tester (www/) next to it until Ctrl-C (`--once`: the token only, then exit);
# `--help` shows how to target a real endpoint.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/build.sh >&2
exec node scripts/demo.mjs "$@"
