// The caller's config, copied into plain data once per call, synchronously, before anything else
// happens: only the copy reaches the .wasm, so no getter, Proxy trap or toString of the caller's
// ever runs inside a wasm frame, and later changes to the caller's object change nothing.
import { MAX_CONFIG_UNITS, MAX_EXTRA_VALUES, MAX_STRING_UNITS } from './facts.js';

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Stands in for a function: the core only checks that one is there. */
function placeholder() {}

/** Thrown inside the copy for a string that has no UTF-8 form. */
class LoneSurrogate {
  constructor(field) {
    this.field = field;
  }
}

/**
 * `{ settings }`: the plain copy for the core; `signal`, `cache`, `coordinator`, `fetch` and
 * `restFetch`: the caller's objects, which this package itself uses (never the .wasm); `signer`:
 * `{ key }`, a caller's CryptoKey (`privateKey`), described to the core by its algorithm and
 * usages. Else why it could not be copied: `{ threw }` (a getter or Proxy trap threw: the error's
 * name), `{ tooLarge: true }` (more strings than the core accepts in all), `{ loneSurrogate }`
 * (the field whose string holds a lone UTF-16 surrogate: two such strings would be sent as the
 * same bytes).
 */
export function copyConfig(config) {
  const budget = { units: MAX_CONFIG_UNITS };
  try {
    if (config === null || typeof config !== 'object' || Array.isArray(config)) {
      return { settings: typeof config === 'function' ? placeholder : plain(config, 0, budget) };
    }
    // Null-prototype objects: a key named `__proto__` is a key like any other (the core refuses
    // it as unknown) instead of setting the copy's prototype.
    const settings = Object.create(null);
    const copy = { settings };
    for (const key of Object.keys(config)) {
      const value = config[key];
      budget.units -= Math.min(key.length, MAX_STRING_UNITS);
      if (key === 'signal' && value != null && typeof value === 'object') {
        copy.signal = value;
        settings.signal = {
          aborted: value.aborted,
          addEventListener: method(value.addEventListener),
          removeEventListener: method(value.removeEventListener),
        };
      } else if (key === 'cache' && value != null && typeof value === 'object') {
        copy.cache = value;
        settings.cache = { get: method(value.get), put: method(value.put) };
      } else if (key === 'coordinator' && value != null && typeof value === 'object') {
        copy.coordinator = value;
        settings.coordinator = { idFromName: method(value.idFromName), get: method(value.get) };
        // full-only:start
      } else if (key === 'privateKey' && Object.prototype.toString.call(value) === '[object CryptoKey]') {
        copy.signer = { key: value };
        settings.privateKey = describeKey(value);
        // full-only:end
      } else {
        // `fetch` and `restFetch`: the caller's functions, which io.js and api.js call.
        if ((key === 'fetch' || key === 'restFetch') && typeof value === 'function') copy[key] = value;
        // A key longer than any the core knows is cut like a string (it is refused by name).
        const depth = key === 'extraParams' || key === 'assertionClaims' ? 2 : 1;
        settings[key.slice(0, MAX_STRING_UNITS)] = plain(value, depth, budget, key);
      }
    }
    return budget.units < 0 ? { tooLarge: true } : copy;
  } catch (e) {
    return e instanceof LoneSurrogate ? { loneSurrogate: e.field } : { threw: errorName(e) };
  }
}

// full-only:start
/** A CryptoKey as the core checks it: its type, algorithm and whether it may sign (never its key). */
function describeKey(key) {
  const { name, hash, namedCurve, modulusLength } = key.algorithm;
  return {
    cryptoKey: true,
    type: key.type,
    algorithm: name,
    hash: hash?.name,
    namedCurve,
    modulusLength,
    sign: key.usages.includes('sign'),
  };
}
// full-only:end

/** `discover(issuer, options)`'s arguments as one copy: the options, and the issuer's URL. */
export function copyDiscovery(issuer, options) {
  const copy = copyConfig(options ?? {});
  if (copy.settings) {
    try {
      copy.settings.issuer = typeof issuer === 'string' ? issuer : issuer instanceof URL ? issuer.href : plain(issuer, 0);
    } catch (e) {
      return { threw: errorName(e) };
    }
  }
  return copy;
}

function method(f) {
  return typeof f === 'function' ? placeholder : plain(f, 0);
}

/**
 * A value as plain data, `depth` levels of arrays and objects deep (deeper ones are empty: the
 * core refuses them by kind). A string longer than the core accepts is cut just past the limit,
 * so that no huge string is copied into wasm memory (the core still refuses it by name).
 */
function plain(v, depth, budget = { units: Infinity }, field = 'config') {
  switch (typeof v) {
    case 'string':
      budget.units -= Math.min(v.length, MAX_STRING_UNITS);
      if (v.length > MAX_STRING_UNITS) return v.slice(0, MAX_STRING_UNITS);
      if (LONE_SURROGATE.test(v)) throw new LoneSurrogate(field);
      return v;
    case 'function':
      return placeholder;
    case 'object':
      break;
    default:
      return v; // numbers, booleans, undefined, symbols, bigints
  }
  if (v === null) return null;
  if (Array.isArray(v)) {
    const n = depth > 0 ? Math.min(v.length, MAX_EXTRA_VALUES + 1) : 0;
    const out = [];
    for (let i = 0; i < n && budget.units >= 0; i++) out.push(plain(v[i], depth - 1, budget, field));
    return out;
  }
  const out = Object.create(null);
  if (depth > 0) {
    const keys = Object.keys(v);
    for (let i = 0; i < keys.length && i <= MAX_EXTRA_VALUES && budget.units >= 0; i++) {
      budget.units -= keys[i].length;
      if (LONE_SURROGATE.test(keys[i])) throw new LoneSurrogate(field);
      out[keys[i]] = plain(v[keys[i]], depth - 1, budget, `${field}.${keys[i].slice(0, 64)}`);
    }
  }
  return out;
}

/** An error's name, if it is a short identifier; never its message, which may quote anything. */
export function errorName(e) {
  try {
    const name = (e !== null && typeof e === 'object') || typeof e === 'function' ? e.name : undefined;
    if (typeof name === 'string' && /^[A-Za-z][\w.]{0,63}$/.test(name)) return name;
  } catch {}
  return `a thrown ${e === null ? 'null' : typeof e}`;
}
