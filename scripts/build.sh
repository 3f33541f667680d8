#!/usr/bin/env bash
# Builds the npm package into pkg/: cargo (release, size profile) -> wasm-bindgen --target web
# -> wasm-opt -Oz (npm's binaryen; Debian's 108 produced a module that crashed at init) -> the
# JS entries, types and README from pkg-template/, and the files made from the Rust definitions
# (types.d.ts, facts.js); twice: the default entry in pkg/ and oauth-token-connection/full in
# pkg/full/. The modules the host entries share are bundled into one, package.js
# (scripts/bundle.mjs); the JS ships readable, comments kept; app bundlers minify for their users.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ "${SKIP_SETUP:-}" = 1 ] || bash scripts/setup.sh

# One flavor of the package: $1 the output folder, $2 the cargo feature ("" or "full").
flavor() {
  local out=$1 feature=$2 target=target
  [ -n "$feature" ] && target=target/$feature
  cargo build --release --target wasm32-unknown-unknown --quiet -p oauth-token-connection \
    --target-dir "$target" ${feature:+--features "$feature"}
  mkdir -p "$out"
  wasm-bindgen --target web --omit-default-module-path --out-dir "$out" --out-name oauth_token_connection \
    "$target/wasm32-unknown-unknown/release/oauth_token_connection.wasm"
  # Never --all-features: it emits stringref, which Node 20 rejects. After -Oz, --flatten and
  # --rereloop rebuild the control flow from scratch, and a second -Oz finds more to fold in it.
  node_modules/.bin/wasm-opt -Oz --converge --strip-producers --strip-target-features --enable-bulk-memory \
    --enable-nontrapping-float-to-int --enable-sign-ext --enable-reference-types --enable-multivalue \
    --enable-mutable-globals --flatten --rereloop -Oz \
    "$out/oauth_token_connection_bg.wasm" -o "$out/oauth_token_connection_bg.wasm"
  rm -f "$out/.gitignore" "$out/package.json" "$out/oauth_token_connection_bg.wasm.d.ts"
  # The JS: the default entry's without what only the full build has (between the markers, as in
  # index.d.ts below: signing), the full entry's without the marker lines.
  for js in pkg-template/*.js; do
    if [ -n "$feature" ]; then
      grep -v '^[[:space:]]*// full-only:' "$js" > "$out/$(basename "$js")"
    else
      sed '/^[[:space:]]*\/\/ full-only:start/,/^[[:space:]]*\/\/ full-only:end/d' "$js" > "$out/$(basename "$js")"
    fi
  done
  # The coordinator (a Durable Object class) only in the full entries: their lines marked
  # `// full-only` at the end (the marker itself is dropped).
  if [ -n "$feature" ]; then
    sed -i 's| // full-only$||' "$out"/{node,browser,deno,workerd}.js
  else
    sed -i '/ \/\/ full-only$/d' "$out"/{node,browser,deno,workerd}.js
    rm "$out/coordinator.js"
  fi
  cp /tmp/otc-facts.js.$$ "$out/facts.js"
  node scripts/bundle.mjs "$out"
  cp /tmp/otc-types.d.ts.$$ "$out/types.d.ts"
  # The types: the default entry's without what only the full build has (between the markers).
  if [ -n "$feature" ]; then
    grep -v '^// full-only:' pkg-template/index.d.ts > "$out/index.d.ts"
  else
    sed '/^\/\/ full-only:start/,/^\/\/ full-only:end/d' pkg-template/index.d.ts > "$out/index.d.ts"
  fi
}

cargo run --quiet --release -p oauth-token-core --example package-file types > /tmp/otc-types.d.ts.$$
cargo run --quiet --release -p oauth-token-core --example package-file facts > /tmp/otc-facts.js.$$
trap 'rm -f /tmp/otc-types.d.ts.$$ /tmp/otc-facts.js.$$' EXIT
rm -rf pkg
flavor pkg ""
flavor pkg/full full
rm pkg/full/cli.js # the command ships once, at the root (package.json "bin")
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
for dir in pkg pkg/full; do
  WASM=$(wc -c < $dir/oauth_token_connection_bg.wasm)
  WASM_GZ=$(gzip -9nc $dir/oauth_token_connection_bg.wasm | wc -c)
  echo "[build] $dir/ ready: wasm ${WASM} B (${WASM_GZ} B gz)" >&2
done
