#!/usr/bin/env bash
# Runs every test. Installs what it needs first (see scripts/setup.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh

step() { printf '\n== %s\n' "$*"; }

step "Rust hygiene: cargo fmt --check, and clippy -D warnings on both crates (natively with tests, the core with and without its cache feature; the .wasm's library in both builds)"
cargo fmt --check
cargo clippy --quiet --workspace --all-targets -- -D warnings
cargo clippy --quiet -p oauth-token-core --no-default-features --all-targets -- -D warnings
cargo clippy --quiet -p oauth-token-connection --target wasm32-unknown-unknown --target-dir target/check -- -D warnings
cargo clippy --quiet -p oauth-token-connection --target wasm32-unknown-unknown --target-dir target/check --features full -- -D warnings

step "cargo test: the core natively (whole exchanges on a scripted transport, property tests), and the zeroing allocator"
cargo test --quiet --workspace
cargo test --quiet -p oauth-token-core --no-default-features

step "Fuzzing: each cargo fuzz target for ${FUZZ_SECONDS:-30} s on a temporary copy of its committed seeds (fuzz/seeds/<target>), so that the repository stays clean; a crash fails the run (fuzz/artifacts/<target>/)"
if [ "${SKIP_FUZZ:-}" = 1 ]; then
  echo "skipped (SKIP_FUZZ=1)"
elif cargo +nightly fuzz --version >/dev/null 2>&1; then
  FUZZ_CORPUS=$(mktemp -d)
  trap 'rm -rf "$FUZZ_CORPUS"' EXIT
  (
    cd fuzz
    for target in $(cargo +nightly fuzz list); do
      cp -r "seeds/$target" "$FUZZ_CORPUS/$target"
      # A fixed seed: every run explores the same way from the committed seeds, so a failure
      # here is a change in the code, not the luck of the draw (campaigns: docs/testing.md).
      cargo +nightly fuzz run "$target" "$FUZZ_CORPUS/$target" -- -max_total_time="${FUZZ_SECONDS:-30}" -seed=1
    done
  )
else
  echo "skipped: no nightly toolchain with cargo-fuzz (scripts/setup.sh installs them)"
fi

step "wasm-bindgen-test: the conversions under Node.js, the default build and the full one"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test -p oauth-token-connection --target wasm32-unknown-unknown
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test -p oauth-token-connection --target wasm32-unknown-unknown --features full

step "build pkg/"
SKIP_SETUP=1 bash scripts/build.sh

step "Docs: README at most 250 lines, every link and anchor in README.md and docs/, examples quoted in README, a section per error code (scripts/check-docs.mjs)"
node --test --test-reporter=spec tests/docs/

step "API reference: TypeDoc over both entries, no undocumented export"
bash scripts/api-docs.sh

step "TypeScript: tests/types/usage.ts against pkg/'s declarations (strict)"
node_modules/.bin/tsc -p tests/types

step "Node.js integration tests against real servers on 127.0.0.1, with the hardening tests (hostile corpus, secret-leak scan, bounded memory, load and faults)"
# Three files at a time: the memory and load files are heavy and run next to the light ones.
node --test --test-concurrency=3 --test-reporter=spec tests/node/

step "The command: the packed tarball's oauth-token-connection run with npx against the demo servers (every output mode, exit code, secret source and refusal; argv checked in /proc; the prompt under script(1))"
node --test --test-reporter=spec tests/cli/

step "Runtime matrix: tests/runtimes/acceptance.mjs in Node.js 18/20/22/24, Deno and Bun (installed from npm into .tools/runtimes/)"
bash scripts/runtimes.sh
node --test --test-reporter=spec tests/runtimes/

step "Browser: the connection tester (www/) in Debian's Chromium, against the demo server"
node --test --test-reporter=spec tests/www/

step "Hosts: workerd (miniflare), Chromium (plain modules, Vite build and dev server), the packed tarball"
node --test --test-reporter=spec --test-force-exit --test-timeout=120000 tests/hosts/

step "Examples: examples/ against the demo servers: node.mjs in Node.js, worker.mjs in workerd (Miniflare), browser.html in Chromium"
node --test --test-reporter=spec --test-force-exit --test-timeout=120000 tests/examples/

step "Edge token cache and coordinator: two workerd instances (miniflare) sharing one persisted KV namespace; the cache key in Node.js 18; three Workers sharing one Durable Object namespace, and a restart on its storage"
node --test --test-reporter=spec --test-force-exit --test-timeout=120000 tests/edge-cache/

step "Benchmark smoke: every row of bench/run.mjs with tiny counts (Workers startup in workerd and memory included); asserts only facts: every row gives numbers, every contender gets the token, 1 token request for 1,000 concurrent conn.fetch, sizes computed (no timing goals)"
bash scripts/bench.sh --smoke
node bench/ab.mjs pkg pkg --smoke # the A/B of two builds, here the package against itself

echo
echo "All tests passed."
