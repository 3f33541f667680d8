// How the .wasm gets instantiated differs per host; each entry (node.js, workerd.js, browser.js)
// either instantiates it at import or registers a lazy loader here.
let loader = null;
let source = '';
let pending = null;
let loaded = false;

/** Registers the loader that instantiates the module on first use, and where it loads from. */
export function setLoader(load, from) {
  loader = load;
  source = String(from);
}

/** Where the loader loads the module from (for the error a failed load raises). */
export function loaderSource() {
  return source;
}

/** True when the module can be called synchronously now. */
export function isReady() {
  return !loader || loaded;
}

/** Resolves when the module is ready; a failed load is retried on the next call. */
export function ready() {
  if (!loader) return undefined;
  pending ??= loader().then(
    () => {
      loaded = true;
    },
    (e) => {
      pending = null;
      throw e;
    },
  );
  return pending;
}

// The Web Crypto API for the cache key's SHA-256: the global one (browsers in secure contexts,
// workerd, Node.js 19+, Deno, Bun); node.js supplies node:crypto's for Node.js 18, which has no
// global `crypto` without a flag.
let fallbackCrypto;

/** Registers the Web Crypto object to use where the host has no global `crypto`. */
export function setFallbackCrypto(crypto) {
  fallbackCrypto = crypto;
}

/** `crypto.subtle`, or undefined where the host has none (e.g. a page served over plain http). */
export function subtleCrypto() {
  return globalThis.crypto?.subtle ?? fallbackCrypto?.subtle;
}

// full-only:start
/** `n` bytes from `crypto.getRandomValues`, or undefined where the host has none. */
export function randomBytes(n) {
  const crypto = typeof globalThis.crypto?.getRandomValues === 'function' ? globalThis.crypto : fallbackCrypto;
  return crypto?.getRandomValues(new Uint8Array(n));
}
// full-only:end
