import * as wasm from './oauth_token_connection.js';
import { isReady, ready, subtleCrypto, timeoutsShared } from './init.js';

const { RawConnection } = wasm;
// FULL is replaced by scripts/build.sh (esbuild --define): true in oauth-token-connection/full,
// whose .wasm has previewRequest and the shared cache; false in the default entry, whose build
// leaves them out (and drops the code below that only they use).

// The .wasm decides, this module moves bytes: RawConnection (src/wasm/connection.rs) is a
// synchronous step machine over the core; drive() below does what each step asks (fetch with a
// timeout, the bounded body read, the cache's get and put, SHA-256) and hands the facts back.

/**
 * Every failure of this package: a real Error with a stable `code`, and, where known, the HTTP
 * `status`, the RFC 6749 §5.2 fields (`error`, `errorDescription`, `errorUri`) and the host's
 * original error as `cause`.
 */
export class OAuthTokenError extends Error {}
// The build minifies this module: the class's own name and its errors' `name` are set here.
for (const target of [OAuthTokenError, OAuthTokenError.prototype]) {
  Object.defineProperty(target, 'name', { value: 'OAuthTokenError', writable: true, configurable: true });
}

/** An OAuthTokenError from the core's fields; anything else thrown is passed on as it is. */
function fail(fields, options) {
  return typeof fields?.code === 'string'
    ? Object.assign(new OAuthTokenError(fields.message, options), fields)
    : fields;
}

/**
 * Requests an access token from the token endpoint (RFC 6749 §4.4, §4.3 or §6).
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export function requestToken(config) {
  if (!isReady()) return ready().then(() => requestToken(config));
  let p;
  try {
    p = prepare(config);
  } catch (e) {
    return Promise.reject(e);
  }
  p.users++;
  // Validated by the core: absent, or an AbortSignal.
  return drive(p.raw, config.signal || undefined, undefined, p.first, p);
}

/**
 * The last config requestToken validated, its exchange and first step (the request): a call
 * with the same settings (the same keys in the same order, each value identical, extraParams
 * compared member by member) skips validation and request building. The exchange is stateless
 * for requestToken (src/wasm/connection.rs), so concurrent calls share it; a replaced one is
 * freed when its last call ends. Only one is kept.
 */
let last;

function prepare(config) {
  if (last !== undefined && unchanged(last.copy, config)) return last;
  // Copied before validation: a getter that throws fails here, before anything is allocated.
  const p = { copy: snapshot(config), users: 0 };
  try {
    p.raw = new RawConnection(config, false, host);
  } catch (e) {
    throw fail(e);
  }
  p.first = p.raw.start();
  if (last !== undefined && last.users === 0) last.raw.free();
  return (last = p);
}

/**
 * Whether `config` holds the settings `copy` (its snapshot()) was taken of: the same keys in the
 * same order, each value identical, extraParams and its arrays compared member by member.
 */
function unchanged(copy, config) {
  return same(copy, config, (key, a, b) => key === 'extraParams' && same(a, b, (_, x, y) => Array.isArray(y) && same(x, y)));
}

/** Two objects (or arrays) with the same keys in the same order and identical values, or values `deeper` accepts. */
function same(a, b, deeper) {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i];
    if (k !== kb[i] || (a[k] !== b[k] && !deeper?.(k, a[k], b[k]))) return false;
  }
  return true;
}

/**
 * The request requestToken would send for `config`, with the client secret, password and refresh
 * token masked: method, URL, headers, form body, fetch options and notes on the encodings
 * applied. Nothing is sent. Rejects with OAuthTokenError for an invalid config, as requestToken does.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export async function previewRequest(config) {
  if (!FULL) throw new TypeError("previewRequest is in 'oauth-token-connection/full'; import it from there");
  await ready();
  try {
    return wasm.previewRequest(config);
  } catch (e) {
    throw fail(e);
  }
}

/**
 * One authorization for many REST calls: a connection that requests a token when it needs one,
 * reuses it while valid, renews it before it expires, and adds it to REST calls.
 */
export function createConnection(config) {
  return new Connection(config);
}

class Connection {
  #raw = undefined;
  #error = undefined;
  #config = undefined;
  #headerName = 'Authorization';
  // The cached path without a call into the .wasm: the core's reuse instant for its last
  // result (RawConnection.reuseUntil), read again after every call that can change the held
  // token (a renewal settling, invalidate(), a 401). Never later than the core's own.
  #reuseUntil = -Infinity;
  #held = undefined; // a promise of that result, shared like the in-flight one
  #pending = undefined; // the renewal every caller waits on (single-flight), while one runs
  #cache = undefined;

  constructor(config) {
    // Where the module is loaded, the config is validated now; in a browser before the first
    // load, a copy is validated on the first call. Either way an invalid config rejects every
    // token() and fetch() with the same ERR_INVALID_CONFIG error.
    if (isReady()) this.#build(config);
    else this.#config = snapshot(config);
  }

  #build(config) {
    try {
      this.#raw = new RawConnection(config, true, host);
      this.#headerName = this.#raw.headerName;
      this.#cache = config.cache;
    } catch (e) {
      this.#error = fail(e);
    }
  }

  async #connect() {
    if (this.#raw === undefined && this.#error === undefined) {
      await ready();
      if (this.#raw === undefined && this.#error === undefined) this.#build(this.#config);
      this.#config = undefined;
    }
    if (this.#error !== undefined) throw this.#error;
    return this.#raw;
  }

  /** A valid token result: the cached one, the one being requested, or a new one. */
  token() {
    const raw = this.#raw;
    if (raw === undefined) return this.#connect().then(() => this.token());
    if (Date.now() < this.#reuseUntil) return this.#held;
    // Every caller gets the one renewal's promise itself, the same error object included.
    if (this.#pending) return this.#pending;
    if (raw.reuses()) return Promise.resolve(raw.lastResult);
    // drive() starts from the microtask queue, after #pending is set.
    const p = (this.#pending = Promise.resolve(this.#cache).then((cache) => drive(raw, undefined, cache)));
    const settled = () => {
      this.#pending = undefined;
      this.#sync(raw);
    };
    p.then(settled, settled);
    return p;
  }

  /** Reads the core's reuse instant and the result it reuses. */
  #sync(raw) {
    this.#reuseUntil = raw.reuseUntil;
    this.#held = Promise.resolve(raw.lastResult);
  }

  /**
   * `fetch` with the token in the Authorization header (RFC 6750 §2.1). A 401 drops the token;
   * the call is retried once with a new one when the body can be sent again (not for streams).
   * A header the caller set is left alone, and so is every other response.
   */
  async fetch(input, init) {
    const raw = this.#raw ?? (await this.#connect());
    const name = this.#headerName;
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    if (headers.has(name)) return globalThis.fetch(input, init);
    const replayable = canReplay(input, init);

    let result = await this.token();
    const res = await send(input, init, headers, name, raw.header(result), replayable);
    // The core decides: a 401 drops the token; a replayable call is sent once more.
    const retry = raw.retryAfter(res.status, replayable, result.accessToken);
    if (res.status === 401) this.#sync(raw);
    if (!retry) return res;

    res.body?.cancel().catch(() => {});
    result = await this.token();
    return send(input, init, headers, name, raw.header(result), false);
  }

  /** Forgets the held token; the next call requests a new one. */
  invalidate() {
    this.#raw?.invalidate();
    this.#reuseUntil = -Infinity;
  }

  /** The last token result (its `json` is the endpoint's object, verbatim), or undefined. */
  get lastResult() {
    return this.#raw?.lastResult;
  }

  /**
   * The key of this connection's entry in `cache` (`otc:v1:` + hex SHA-256), e.g. to delete a
   * stored token by hand; undefined without a cache or where the host has no `crypto.subtle`.
   */
  async cacheKey() {
    const raw = await this.#connect();
    if (FULL) {
      const input = raw.keyInput;
      if (input !== undefined && raw.key === undefined) raw.digest(await digest(input));
      return raw.key ?? undefined;
    }
  }
}

/**
 * Does what the core's steps ask until it answers a result or an error (the table in
 * src/wasm/connection.rs). `signal`: requestToken's; `cache`: the connection's store; `first`:
 * the first step when known; `p`: requestToken's prepared exchange, released at the end.
 */
async function drive(raw, signal, cache, first, p) {
  let step = first ?? raw.start();
  let cause;
  try {
    for (;;) {
      if (!Array.isArray(step)) return step; // the result
      const [t, a, b, c, d] = step;
      if (t === 1) throw fail(a, cause);
      if (!FULL || t === 5) {
        // The fetch step, here rather than in a function of its own (one async frame less per
        // call): one fetch of the request as the core packed it (`a`), under the timeout (`b`
        // ms) and the caller's signal, its body read chunk by chunk up to `c` bytes; the `cause`
        // of an error is the host's (the caller's reason, the timeout's TimeoutError, or
        // fetch's rejection).
        if (signal?.aborted) {
          [step, cause] = failed(raw, undefined, signal, undefined);
          continue;
        }
        const x = begin(b, signal);
        try {
          let res;
          try {
            res = await fetch(...request(a, x));
          } catch (e) {
            [step, cause] = failed(raw, e, signal, x.timeout);
            continue;
          }
          const at = Date.now();
          const headers = res?.headers;
          // A polyfill or stub may hand back anything: the core refuses what has no status.
          if (typeof headers?.get !== 'function') {
            step = raw.response(res?.status, false, null, null, EMPTY, at);
            continue;
          }
          const declared = headers.get('content-length');
          const refused = declared === null ? undefined : raw.tooLarge(declared, 0);
          if (refused) {
            await res.body?.cancel().catch(ignore);
            step = refused;
            continue;
          }
          let cookies;
          try {
            cookies = headers.getSetCookie();
          } catch {}
          const chunks = [];
          let n = 0;
          try {
            const reader = res.body?.getReader();
            for (let r; reader && !(r = await reader.read()).done; ) {
              const chunk = r.value;
              if (!(chunk instanceof Uint8Array)) continue;
              if ((n += chunk.length) > c) {
                await reader.cancel().catch(ignore);
                break;
              }
              chunks.push(chunk);
            }
          } catch (e) {
            [step, cause] = failed(raw, e, signal, x.timeout);
            continue;
          }
          if (n > c) {
            step = raw.tooLarge(null, n);
            continue;
          }
          let body = chunks[0] ?? EMPTY;
          if (chunks.length > 1) {
            body = new Uint8Array(n);
            n = 0;
            for (const chunk of chunks) body.set(chunk, (n += chunk.length) - chunk.length);
          }
          step = raw.response(res.status, res.type === 'opaqueredirect', headers.get('content-type'), cookies, body, at);
        } finally {
          end(x, signal);
        }
      } else if (t === 2) {
        raw.digest(await digest(a));
        step = raw.start();
      } else if (t === 3) {
        const o = await bounded(() => cache.get(a), b);
        step = raw.got(parsed(o.value), o.failed);
      } else if (t === 4) {
        const value = entry(b);
        const o = await bounded(() => cache.put(a, value, { expirationTtl: c }), d);
        step = raw.stored(o.failed);
      }
    }
  } finally {
    if (p !== undefined && --p.users === 0 && p !== last) raw.free();
  }
}

/**
 * A fetch step's signals: the timeout's shared deadline (deadline() below) and, with a caller's
 * signal, a controller of the call's own that follows both (AbortSignal.any is missing in
 * Node 18). end() removes the listeners, so neither signal keeps one afterwards.
 */
function begin(ms, signal) {
  const x = { timeout: deadline(ms) };
  if (signal) {
    const controller = (x.controller = new AbortController());
    x.abort = () => controller.abort(signal.reason);
    x.expire = () => controller.abort(x.timeout.signal.reason);
    signal.addEventListener('abort', x.abort);
    x.timeout.signal.addEventListener('abort', x.expire);
  }
  return x;
}

function end(x, signal) {
  x.timeout.release();
  if (signal) {
    signal.removeEventListener('abort', x.abort);
    x.timeout.signal.removeEventListener('abort', x.expire);
  }
}

/** fetch's arguments for the request the core packed (see src/wasm/connection.rs). */
function request(packedRequest, x) {
  if (packedRequest !== packed) unpacked = (packed = packedRequest).split('\n');
  const [url, method, body, redirect, credentials, cache] = unpacked;
  const headers = {};
  for (let i = 6; i < unpacked.length; i += 2) headers[unpacked[i]] = unpacked[i + 1];
  return [url, { method, headers, body, redirect, credentials, cache, signal: (x.controller ?? x.timeout).signal }];
}

/** A failed fetch or body read (or an already-aborted signal): the core's step, and the `cause`. */
function failed(raw, e, signal, timeout) {
  const aborted = !!signal?.aborted;
  const timedOut = !!timeout?.signal.aborted;
  const cause = aborted ? signal.reason : timedOut ? timeout.signal.reason : e;
  // In a page (a `document`), a failed fetch may be a CORS refusal: the core's message says so.
  return [raw.failure(e, aborted, timedOut, 'document' in globalThis), { cause }];
}

/**
 * In Node.js (init.js: shared timeouts), timeouts share one AbortController per slot: a signal's
 * creation is a large part of a call (Node makes every AbortSignal transferable). A slot's timer runs while calls use it: started
 * by the first, it fires ms + ms/256 later and takes the calls with the same `ms` that start
 * within ms/256 of it (at most 64 per signal, each of which makes fetch add a listener to it), so
 * it never fires before a call's own deadline and at most 0.4% after it (117 ms for the default
 * 30 s). Cleared when the last call ends (no timer outlives the calls), the slot's unfired
 * signal serves the next calls.
 */
const slots = new Map();

function deadline(ms) {
  const now = Date.now();
  // Where signals cannot be shared (init.js), every call has a slot of its own.
  if (!timeoutsShared()) return new Slot(ms).join(now);
  let slot = slots.get(ms);
  if (slot === undefined || slot.signal.aborted || slot.joined >= 64 || (slot.users > 0 && now >= slot.closes)) {
    slots.set(ms, (slot = new Slot(ms)));
  }
  return slot.join(now);
}

class Slot {
  users = 0;
  joined = 0;
  constructor(ms) {
    this.ms = ms;
    this.controller = new AbortController();
    this.signal = this.controller.signal;
  }
  join(now) {
    if (this.users++ === 0) {
      const { ms, controller } = this;
      this.closes = now + ms / 256;
      this.timer = setTimeout(
        () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
        ms + ms / 256,
      );
    }
    this.joined++;
    return this;
  }
  release() {
    if (--this.users === 0) clearTimeout(this.timer);
  }
}

const EMPTY = new Uint8Array(0);
// The last request string split (requestToken's repeated calls hand over the same string).
let packed, unpacked;

/**
 * A token result from what the core decided (src/wasm.rs, `result_object`): one object literal
 * instead of a call into JavaScript per member. `m`: pick()'s answer, whose access_token,
 * token_type, scope and refresh_token the core kept as they came; `s`, `r`: whether it kept
 * the scope and the refresh token. Absent members are left out.
 */
function result(m, i, e, s, r, json, warnings) {
  const o = { accessToken: m[0], tokenType: m[1] };
  if (i !== undefined) o.expiresIn = i;
  if (e !== undefined) o.expiresAt = e;
  if (s) o.scope = m[3];
  if (r) o.refreshToken = m[4];
  o.json = json;
  o.warnings = warnings;
  return o;
}

/**
 * The cache entry of a token result (src/cache.rs): its JSON without `refreshToken` and without
 * the endpoint JSON's `refresh_token` (cache::NOT_STORED); every other own member is kept as it is.
 */
function entry(result) {
  const { refreshToken, ...e } = result;
  const { refresh_token, ...json } = result.json;
  e.json = json;
  return JSON.stringify(e);
}

// The members of a token response the core reads: src/response.rs `MEMBERS`, in its order.
const MEMBERS = ['access_token', 'token_type', 'expires_in', 'scope', 'refresh_token', 'error', 'error_description', 'error_uri'];

/**
 * Their values in a parsed response, in that order, `undefined` where it has no such own member
 * (src/wasm.rs, `parse_json`): no member name crosses into the .wasm.
 */
function pick(o) {
  return MEMBERS.map((n) => (Object.hasOwn(o, n) ? o[n] : undefined));
}
// What the adapter calls (src/wasm.rs, `Host`).
const host = { result, pick };
const ignore = () => {};

/** A cached value parsed: none stays none, anything but a JSON text is 0 (unreadable). */
function parsed(v) {
  try {
    return v == null ? v : typeof v === 'string' ? (JSON.parse(v) ?? 0) : 0;
  } catch {
    return 0;
  }
}

/** The SHA-256 of the cache key's input, or undefined where the host has none. */
async function digest(input) {
  try {
    return new Uint8Array(await subtleCrypto().digest('SHA-256', new TextEncoder().encode(input)));
  } catch {
    return undefined;
  }
}

/**
 * A cache get or put that settles within its bound and never rejects: a cache that throws,
 * rejects or hangs must not fail or hang a token request. Failures are reported by the error's
 * name only (a message could quote the stored token).
 */
function bounded(operation, ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ failed: `no answer within ${ms} ms` }), ms);
    const settle = (outcome) => {
      clearTimeout(timer);
      resolve(outcome);
    };
    const failed = (e) => settle({ failed: errorName(e) });
    try {
      Promise.resolve(operation()).then((value) => settle({ value }), failed);
    } catch (e) {
      failed(e);
    }
  });
}

function errorName(e) {
  const name = e instanceof Error || typeof e?.name === 'string' ? String(e.name) : '';
  return /^[A-Za-z][\w.]{0,63}$/.test(name) ? name : `a thrown ${e === null ? 'null' : typeof e}`;
}

function send(input, init, callerHeaders, name, value, keepInput) {
  const headers = new Headers(callerHeaders);
  headers.set(name, value);
  // A Request's body can be read once: send a clone while the original may be needed again.
  const target = keepInput && input instanceof Request ? input.clone() : input;
  return globalThis.fetch(target, { ...init, headers });
}

/** Strings, buffers, URLSearchParams, FormData and Blobs can be sent twice; streams cannot. */
function canReplay(input, init) {
  const body = init?.body;
  if (body != null) {
    if (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream) return false;
    return typeof body[Symbol.asyncIterator] !== 'function';
  }
  return !(input instanceof Request && input.bodyUsed);
}

/**
 * A copy of the config for later validation (the caller may change theirs meanwhile), and what
 * requestToken's unchanged() compares a later config with.
 */
function snapshot(config) {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) return config;
  const copy = { ...config };
  const extra = copy.extraParams;
  if (extra !== null && typeof extra === 'object' && !Array.isArray(extra)) {
    copy.extraParams = Object.fromEntries(
      Object.entries(extra).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v]),
    );
  }
  return copy;
}
