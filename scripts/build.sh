#!/usr/bin/env bash
# Builds the npm package into pkg/: cargo (release, size profile) -> wasm-bindgen --target web
# -> wasm-opt -Oz (npm's binaryen; Debian's 108 produced a module that crashed at init) ->
# the JS entries, types and README from pkg-template/; twice: the default entry in pkg/ and
# oauth-token-connection/full in pkg/full/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ "${SKIP_SETUP:-}" = 1 ] || bash scripts/setup.sh

ESBUILD=node_modules/.bin/esbuild

# One flavor of the package: $1 the output folder, $2 the cargo feature ("" or "full"), $3 the
# value of api.js's FULL. The default entry (pkg/) leaves previewRequest and the shared cache out
# of its .wasm and its api.js; oauth-token-connection/full (pkg/full/) has everything.
flavor() {
  local out=$1 feature=$2 full=$3 target=target
  [ -n "$feature" ] && target=target/$feature
  cargo build --release --target wasm32-unknown-unknown --quiet --target-dir "$target" ${feature:+--features "$feature"}
  wasm-bindgen --target web --encode-into always --omit-default-module-path --out-dir "$out" --out-name oauth_token_connection \
    "$target/wasm32-unknown-unknown/release/oauth_token_connection.wasm"
  # Never --all-features: it emits stringref, which Node 20 rejects.
  node_modules/.bin/wasm-opt -Oz --converge --strip-producers --strip-target-features --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-reference-types --enable-multivalue --enable-mutable-globals \
    "$out/oauth_token_connection_bg.wasm" -o "$out/oauth_token_connection_bg.wasm"
  rm -f "$out/.gitignore" "$out/package.json" "$out/oauth_token_connection_bg.wasm.d.ts"
  # Size (bench/SIZE.md): short import/export names shared by the .wasm and the glue, then the
  # glue minified (esbuild, a dependency of the root devDependency vite) and so are the
  # hand-written modules a page loads (exported names stay; api.js sets OAuthTokenError's names
  # itself). api.js is bundled (the glue and init.js stay imports) so that what FULL=false leaves
  # unused is dropped.
  node scripts/shrink-names.mjs "$out/oauth_token_connection_bg.wasm" "$out/oauth_token_connection.js" "$out/oauth_token_connection.d.ts"
  cp pkg-template/*.js "$out/"
  { head -n 1 "$out/oauth_token_connection.js" # the @ts-self-types comment
    "$ESBUILD" --minify --format=esm --log-level=warning "$out/oauth_token_connection.js"
  } > "$out/glue.min.js"
  mv "$out/glue.min.js" "$out/oauth_token_connection.js"
  "$ESBUILD" --bundle --minify --format=esm --log-level=warning --define:FULL="$full" \
    --external:./oauth_token_connection.js --external:./init.js "$out/api.js" > "$out/api.js.min"
  mv "$out/api.js.min" "$out/api.js"
  for f in init.js browser.js; do
    "$ESBUILD" --minify --format=esm --log-level=warning "$out/$f" > "$out/$f.min"
    mv "$out/$f.min" "$out/$f"
  done
  # The types: the default entry's without what only the full build has (between the markers).
  if [ "$full" = true ]; then
    grep -v '^// full-only:' pkg-template/index.d.ts > "$out/index.d.ts"
  else
    sed '/^\/\/ full-only:start/,/^\/\/ full-only:end/d' pkg-template/index.d.ts > "$out/index.d.ts"
  fi
}

rm -rf pkg
flavor pkg "" false
flavor pkg/full full true
cp pkg-template/README.md LICENSE pkg/
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
# The .wasm and the JS a page loads with it (the browser entry); bench/run.mjs counts the same files.
for dir in pkg pkg/full; do
  WASM=$(wc -c < $dir/oauth_token_connection_bg.wasm)
  WASM_GZ=$(gzip -9nc $dir/oauth_token_connection_bg.wasm | wc -c)
  GLUE_GZ=$(cat $dir/browser.js $dir/init.js $dir/api.js $dir/oauth_token_connection.js | gzip -9nc | wc -c)
  echo "[build] $dir/ ready: wasm ${WASM} B (${WASM_GZ} B gz), JS glue ${GLUE_GZ} B gz" >&2
done
