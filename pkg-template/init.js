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

// The Web Crypto API (the cache key's HMAC, signed assertions): the global one (browsers in
// secure contexts, workerd, Node.js 19+, Deno, Bun); node.js supplies a way to load node:crypto's
// for Node.js 18, which has no global `crypto` without a flag.
let fallbackCrypto;

/** Registers `load`, which gives the Web Crypto object where the host has no global `crypto`. */
export function setFallbackCrypto(load) {
  fallbackCrypto = load;
}

/** The global `crypto`, else the fallback's, else undefined. */
function webCrypto() {
  return globalThis.crypto ?? fallbackCrypto?.();
}

/** `crypto.subtle`, or undefined where the host has none (e.g. a page served over plain http). */
export function subtleCrypto() {
  return webCrypto()?.subtle;
}

// full-only:start
/** `n` bytes from `crypto.getRandomValues`, or undefined where the host has none. */
export function randomBytes(n) {
  const crypto = webCrypto();
  return typeof crypto?.getRandomValues === 'function' ? crypto.getRandomValues(new Uint8Array(n)) : undefined;
}
// full-only:end
