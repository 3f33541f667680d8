import {
  requestToken as rawRequestToken,
  previewRequest as rawPreviewRequest,
  RawConnection,
} from './oauth_token_connection.js';
import { isReady, ready, subtleCrypto } from './init.js';

/**
 * Every failure of this package: a real Error with a stable `code`, and, where known, the HTTP
 * `status`, the RFC 6749 §5.2 fields (`error`, `errorDescription`, `errorUri`) and the host's
 * original error as `cause`.
 */
export class OAuthTokenError extends Error {}
Object.defineProperty(OAuthTokenError.prototype, 'name', {
  value: 'OAuthTokenError',
  writable: true,
  configurable: true,
});

/**
 * Requests an access token from the token endpoint (RFC 6749 §4.4, §4.3 or §6).
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export async function requestToken(config) {
  await ready();
  return rawRequestToken(config, OAuthTokenError);
}

/**
 * The request requestToken would send for `config`, with the client secret, password and refresh
 * token masked: method, URL, headers, form body, fetch options and notes on the encodings
 * applied. Nothing is sent. Rejects with OAuthTokenError for an invalid config, as requestToken does.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export async function previewRequest(config) {
  await ready();
  return rawPreviewRequest(config, OAuthTokenError);
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
  #held = undefined; // a promise of that result, shared like the core's in-flight one

  constructor(config) {
    // Where the module is loaded, the config is validated now; in a browser before the first
    // load, a copy is validated on the first call. Either way an invalid config rejects every
    // token() and fetch() with the same ERR_INVALID_CONFIG error.
    if (isReady()) this.#build(config);
    else this.#config = snapshot(config);
  }

  #build(config) {
    try {
      this.#raw = new RawConnection(config, OAuthTokenError, CACHE_IO);
      this.#headerName = this.#raw.headerName;
    } catch (e) {
      this.#error = e;
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
    // Every caller gets the core's promise itself (one renewal for all of them).
    const p = raw.token();
    p.then(() => this.#sync(raw), () => this.#sync(raw));
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
    return (await this.#connect()).cacheKey();
  }
}

/**
 * The cache's I/O for the core (src/wasm/connection.rs), which decides everything else. Each call
 * settles within its bound and never rejects: a cache that throws, rejects or hangs must not fail
 * or hang a token request. Failures are reported by the error's name only (a message could quote
 * the stored token).
 */
const CACHE_IO = {
  async digest(input) {
    const subtle = subtleCrypto();
    if (typeof subtle?.digest !== 'function') return undefined;
    try {
      return await subtle.digest('SHA-256', new TextEncoder().encode(input));
    } catch {
      return undefined;
    }
  },
  get(cache, key, ms) {
    return bounded(() => cache.get(key), ms);
  },
  put(cache, key, value, expirationTtl, ms) {
    return bounded(() => cache.put(key, value, { expirationTtl }), ms);
  },
};

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

/** A copy of the config for later validation (the caller may change theirs meanwhile). */
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
