#!/usr/bin/env bash
# Builds the npm package into pkg/: cargo (release, size profile) -> wasm-bindgen --target web
# -> wasm-opt -Oz (npm's binaryen; Debian's 108 produced a module that crashed at init) ->
# the JS entries, types and README from pkg-template/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ "${SKIP_SETUP:-}" = 1 ] || bash scripts/setup.sh

cargo build --release --target wasm32-unknown-unknown --quiet
rm -rf pkg
wasm-bindgen --target web --encode-into always --omit-default-module-path --out-dir pkg --out-name oauth_token_connection \
  target/wasm32-unknown-unknown/release/oauth_token_connection.wasm
# Never --all-features: it emits stringref, which Node 20 rejects.
node_modules/.bin/wasm-opt -Oz --converge --strip-producers --strip-target-features --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-reference-types --enable-multivalue --enable-mutable-globals \
  pkg/oauth_token_connection_bg.wasm -o pkg/oauth_token_connection_bg.wasm
rm -f pkg/.gitignore pkg/package.json
# Size (bench/SIZE.md): short import/export names shared by the .wasm and the glue, then the
# glue minified (esbuild, a dependency of the root devDependency vite) and so are the hand-written
# modules a page loads (exported names stay; api.js sets OAuthTokenError's names itself).
node scripts/shrink-names.mjs pkg/oauth_token_connection_bg.wasm pkg/oauth_token_connection.js pkg/oauth_token_connection.d.ts
cp pkg-template/*.js pkg-template/index.d.ts pkg-template/README.md LICENSE pkg/
ESBUILD=node_modules/.bin/esbuild
{ head -n 1 pkg/oauth_token_connection.js # the @ts-self-types comment
  "$ESBUILD" --minify --format=esm --log-level=warning pkg/oauth_token_connection.js
} > pkg/glue.min.js
mv pkg/glue.min.js pkg/oauth_token_connection.js
for f in api.js init.js browser.js; do
  "$ESBUILD" --minify --format=esm --log-level=warning "pkg/$f" > "pkg/$f.min"
  mv "pkg/$f.min" "pkg/$f"
done
VERSION=$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)
node -e '
  const fs = require("fs");
  const p = JSON.parse(fs.readFileSync("pkg-template/package.json", "utf8"));
  p.version = process.argv[1];
  fs.writeFileSync("pkg/package.json", JSON.stringify(p, null, 2) + "\n");
' "$VERSION"
# Tests and the demo import the package by name, resolved through its exports map.
mkdir -p node_modules
ln -sfn ../pkg node_modules/oauth-token-connection
WASM=$(wc -c < pkg/oauth_token_connection_bg.wasm)
WASM_GZ=$(gzip -9nc pkg/oauth_token_connection_bg.wasm | wc -c)
# The JS a page loads with the .wasm (the browser entry); bench/run.mjs counts the same files.
GLUE_GZ=$(cat pkg/browser.js pkg/init.js pkg/api.js pkg/oauth_token_connection.js | gzip -9nc | wc -c)
echo "[build] pkg/ ready: wasm ${WASM} B (${WASM_GZ} B gz), JS glue ${GLUE_GZ} B gz" >&2
