// How the .wasm gets instantiated differs per host; each entry (node.js, workerd.js, browser.js)
// either instantiates it at import or registers a lazy loader here.
let loader = null;
let pending = null;
let loaded = false;

/** Registers the loader that instantiates the module on first use. */
export function setLoader(load) {
  loader = load;
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
