#!/usr/bin/env bash
# The API reference: TypeDoc over the package's declarations as users import them
# ('oauth-token-connection' and 'oauth-token-connection/full', through pkg/'s exports map) into
# docs/api/ (git-ignored). Fails on an undocumented export or a broken {@link} (typedoc.json:
# validation, treatWarningsAsErrors), so scripts/test.sh runs it as a check.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -f pkg/index.d.ts ] && [ -f pkg/full/index.d.ts ] || bash scripts/build.sh
node_modules/.bin/typedoc --logLevel Warn "$@"
echo "[api-docs] docs/api/index.html" >&2
