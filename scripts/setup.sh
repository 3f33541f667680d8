#!/usr/bin/env bash
# Installs what the build and the tests need on a fresh machine; each step is skipped when done.
# Sourced by build.sh, test.sh and demo.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '[setup] %s\n' "$*" >&2; }

# openssl makes the test CA and certificates.
if ! command -v openssl >/dev/null; then
  log "installing openssl (Debian)"
  apt-get install -y openssl >/dev/null
fi

# Debian's Chromium for the browser tests (never a downloaded browser).
if [ "${SKIP_BROWSER:-}" != 1 ] && [ ! -x /usr/bin/chromium ]; then
  log "installing chromium (Debian)"
  apt-get update >/dev/null && apt-get install -y chromium >/dev/null
fi

# Rust target for the wasm build.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding rustup target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# rustfmt and clippy for the test command's hygiene checks.
for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^$component"; then
    log "adding rustup component $component"
    rustup component add "$component"
  fi
done

# Nightly Rust and cargo-fuzz for the test command's fuzzing step (libFuzzer needs nightly).
# SKIP_FUZZ=1 skips them, and the step.
if [ "${SKIP_FUZZ:-}" != 1 ]; then
  if ! rustup toolchain list | grep -q '^nightly'; then
    log "installing the nightly Rust toolchain (for cargo fuzz)"
    rustup toolchain install nightly --profile minimal
  fi
  if ! cargo fuzz --version >/dev/null 2>&1; then
    log "installing cargo-fuzz (a few minutes, once)"
    cargo install cargo-fuzz --locked
  fi
fi

# wasm-bindgen-cli must equal the wasm-bindgen crate version in Cargo.lock.
[ -f Cargo.lock ] || cargo generate-lockfile
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WB_VERSION" ]; then
  # `--locked` fails here (its lockfile pins a crate newer than the registry); ~9 minutes.
  log "installing wasm-bindgen-cli $WB_VERSION (about 9 minutes, once)"
  cargo install wasm-bindgen-cli --version "$WB_VERSION"
fi

# npm packages (binaryen's wasm-opt, the authorization server library, test tools).
LOCK_SUM=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.setup-stamp 2>/dev/null)" != "$LOCK_SUM" ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$LOCK_SUM" > node_modules/.setup-stamp
fi

# Python: Authlib in Flask, the JWT bearer grant server of tests/node/keys.test.mjs
# (tests/python/), in a venv under .tools/ (git-ignored), pinned by tests/python/requirements.txt.
REQ_SUM=$(sha256sum tests/python/requirements.txt | cut -d' ' -f1)
if [ "$(cat .tools/venv/.setup-stamp 2>/dev/null)" != "$REQ_SUM" ]; then
  log "python venv .tools/venv: pip install -r tests/python/requirements.txt"
  if ! python3 -m venv --help >/dev/null 2>&1; then
    apt-get install -y python3-venv >/dev/null
  fi
  rm -rf .tools/venv
  python3 -m venv .tools/venv
  .tools/venv/bin/pip install --quiet --disable-pip-version-check --no-input -r tests/python/requirements.txt
  echo "$REQ_SUM" > .tools/venv/.setup-stamp
fi
