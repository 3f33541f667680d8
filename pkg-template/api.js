// The public API. The .wasm decides (its Exchange is the core's state machine); drive() below
// performs each step it asks for (io.js) and hands back what happened.
import * as wasm from './oauth_token_connection.js';
import { isReady, loaderSource, ready } from './init.js';
import { WASM_LOAD } from './facts.js';
import { copyConfig, copyDiscovery } from './settings.js';
import { ask, bounded, fetchStep, ignore, keyedDigest, wait } from './io.js';
// full-only:start
import { signStep } from './io.js';
// full-only:end

/**
 * Every failure of this package: a real Error with a stable `code`, a `hint` on what to do, and,
 * where known, the HTTP `status`, the RFC 6749 §5.2 fields (`error`, `errorDescription`,
 * `errorUri`) and the host's original error as `cause`.
 */
export class OAuthTokenError extends Error {
  constructor(fields, options) {
    super(fields.message, options);
    Object.assign(this, fields);
  }
}
OAuthTokenError.prototype.name = 'OAuthTokenError';

/** The core's error fields as an OAuthTokenError; anything else thrown is passed on as it is. */
function fail(fields, cause) {
  return typeof fields?.code === 'string' ? new OAuthTokenError(fields, cause === undefined ? undefined : { cause }) : fields;
}

/**
 * Resolves when the .wasm is ready; a load that fails (HTML served instead, a wrong path, a
 * Content-Security-Policy) rejects with ERR_WASM_LOAD, the URL tried and the host's error as
 * `cause`. The next call tries to load again.
 */
async function loaded() {
  try {
    await ready();
  } catch (e) {
    const detail = typeof e?.message === 'string' ? e.message : String(e);
    const message = WASM_LOAD.message.replace('{url}', () => loaderSource()).replace('{detail}', () => detail);
    throw new OAuthTokenError({ code: WASM_LOAD.code, message, hint: WASM_LOAD.hint }, { cause: e });
  }
}

/**
 * Requests an access token from the token endpoint (RFC 6749 §4.4, §4.3 or §6).
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export function requestToken(config) {
  const copy = copyConfig(config);
  return isReady() ? exchange(copy) : loaded().then(() => exchange(copy));
}

async function exchange(copy) {
  const ex = build(copy, false);
  try {
    return (await drive(ex, copy)).result;
  } finally {
    ex.free();
  }
}

/** The core's Exchange for a copied config; throws OAuthTokenError for an invalid one. */
function build(copy, connection) {
  if (!copy.settings) throw fail(wasm.copyFailed(copy));
  try {
    return new wasm.Exchange(copy.settings, connection);
  } catch (e) {
    throw fail(e);
  }
}

/**
 * Runs an exchange to its end: performs each step the core asks for and reports what happened,
 * until it is done (the step, with the result), answered (the coordinator's object: the step),
 * discovered (`discover()`: the step, with the metadata) or failed (thrown). `copy.signal` aborts
 * fetches and waits; `copy.cache` is the connection's shared store; `copy.fetch` the caller's
 * fetch; `coordinator` the Durable Object namespace it asks, with the settings it sends; `store`
 * the object's own storage (coordinator.js, whose requests go through the global fetch);
 * `signer.key` the CryptoKey assertions are signed with (a connection's, kept across renewals; a
 * requestToken's, for this exchange).
 */
async function drive(ex, { signal, cache, fetch, coordinator, store, signer = {} }) {
  let step = ex.step({ kind: 'start', random: Math.random() }, Date.now());
  let cause;
  for (;;) {
    let event;
    switch (step.kind) {
      case 'done':
      case 'answer':
      case 'discovered':
        return step;
      case 'failed':
        throw fail(step.error, cause);
      case 'fetch':
      case 'discover':
        ({ event, cause } = await fetchStep(step, signal, fetch));
        break;
      case 'wait':
        ({ event, cause } = await wait(step.ms, signal));
        break;
      // full-only:start
      case 'sign':
        event = await signStep(step, signer);
        break;
      // full-only:end
      case 'keyedDigest':
        event = { kind: 'digested', digest: await keyedDigest(step.secret, step.input) };
        break;
      case 'cacheGet':
        event = { kind: 'cacheRead', ...(await bounded(() => cache.get(step.key), step.timeoutMs)) };
        break;
      case 'cachePut': {
        const options = { expirationTtl: step.expirationTtl };
        const { failed } = await bounded(() => cache.put(step.key, step.value, options), step.timeoutMs);
        event = { kind: 'cacheWritten', failed };
        break;
      }
      case 'ask': {
        const body = { settings: coordinator.settings, drop: step.drop };
        event = { kind: 'answered', ...(await ask(coordinator.namespace, step.key, body, step.timeoutMs)) };
        break;
      }
      case 'load':
        event = { kind: 'loaded', ...(await store.load(step.key)) };
        break;
      case 'save':
        event = { kind: 'saved', ...(await store.save(step.key, step.value)) };
        break;
      default:
        event = { kind: 'unknown' };
    }
    step = ex.step(event, Date.now());
  }
}

/**
 * The request requestToken would send for `config`, with the client secret, password and refresh
 * token masked: method, URL, headers, form body, fetch options and notes on the encodings
 * applied. Nothing is sent. Rejects with OAuthTokenError for an invalid config, as requestToken does.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export async function previewRequest(config) {
  const copy = copyConfig(config);
  await loaded();
  if (typeof wasm.previewRequest !== 'function') {
    throw new TypeError("previewRequest is in 'oauth-token-connection/full'; import it from there");
  }
  if (!copy.settings) throw fail(wasm.copyFailed(copy));
  try {
    return wasm.previewRequest(copy.settings, Date.now());
  } catch (e) {
    throw fail(e);
  }
}

/**
 * The authorization server metadata of `issuer` (RFC 8414; OpenID Connect Discovery 1.0), as
 * published: fetched from `/.well-known/oauth-authorization-server`, else
 * `/.well-known/openid-configuration`, its `issuer` checked (§3.3) and its `token_endpoint` held
 * to the https/loopback rule. Pass it as the `issuer` setting to skip discovery. `options`:
 * `fetch`, `timeoutSeconds`, `maxResponseBytes`, `signal`, `retry`.
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3
 */
export async function discover(issuer, options) {
  const copy = copyDiscovery(issuer, options);
  await ready();
  if (typeof wasm.Exchange.discovery !== 'function') {
    throw new TypeError("discover is in 'oauth-token-connection/full'; import it from there");
  }
  if (!copy.settings) throw fail(wasm.copyFailed(copy.threw));
  let ex;
  try {
    ex = wasm.Exchange.discovery(copy.settings);
  } catch (e) {
    throw fail(e);
  }
  try {
    return (await drive(ex, copy)).metadata;
  } finally {
    ex.free();
  }
}

/**
 * One authorization for many REST calls: a connection that requests a token when it needs one,
 * reuses it while valid, renews it before it expires, and adds it to REST calls.
 */
export function createConnection(config) {
  return new Connection(copyConfig(config));
}

class Connection {
  #copy; // the config's copy, until the .wasm is loaded and the exchange built
  #exchange;
  #error; // the OAuthTokenError every call rejects with, for an invalid config
  #cache;
  #coordinator; // { namespace, settings }: the Durable Object namespace, and the settings it is sent
  #fetch; // the caller's fetch for token requests, if any
  #restFetch; // ... and for REST calls
  #signer; // { key }: the CryptoKey its assertions are signed with, imported once
  #last; // the last token result
  #held; // a promise of #last, handed to every caller while it is valid
  #reuseUntil = -Infinity; // until when #held is handed out without asking the core
  #pending; // the renewal every caller waits on (single-flight)

  constructor(copy) {
    this.#cache = copy.cache;
    if (copy.coordinator !== undefined) {
      // The object makes the token request: it is sent the settings with each ask, never stores
      // them. Not the REST calls' fetch (a function cannot be sent; `fetch` itself is refused
      // with a coordinator, as the object could not use it).
      const { coordinator: _, restFetch: __, ...settings } = copy.settings;
      this.#coordinator = { namespace: copy.coordinator, settings };
    }
    this.#fetch = copy.fetch;
    this.#restFetch = copy.restFetch ?? copy.fetch;
    this.#signer = copy.signer ?? {};
    this.#copy = copy;
    if (isReady()) this.#build();
  }

  #build() {
    try {
      this.#exchange = build(this.#copy, true);
    } catch (e) {
      this.#error = e;
    }
    this.#copy = undefined;
  }

  async #connect() {
    if (this.#copy !== undefined) {
      await loaded();
      if (this.#copy !== undefined) this.#build();
    }
    if (this.#error !== undefined) throw this.#error;
    return this.#exchange;
  }

  /** A valid token result: the held one, the one being requested, or a new one. */
  token() {
    if (Date.now() < this.#reuseUntil) return this.#held;
    // Every caller gets the one renewal's promise itself, the same error object included.
    if (this.#pending === undefined) {
      const p = this.#renew();
      this.#pending = p;
      const settled = () => {
        if (this.#pending === p) this.#pending = undefined;
      };
      p.then(settled, settled);
    }
    return this.#pending;
  }

  async #renew() {
    const ex = await this.#connect();
    const step = await drive(ex, {
      cache: this.#cache,
      fetch: this.#fetch,
      coordinator: this.#coordinator,
      signer: this.#signer,
    });
    // Every caller gets this one result: frozen, so that none can change it for the others.
    this.#last = freeze(step.result);
    this.#held = Promise.resolve(this.#last);
    this.#reuseUntil = step.reuseUntil;
    return step.result;
  }

  /**
   * `fetch` with the held token in the connection's header (RFC 6750 §2.1), to origins the token
   * may go to (`resourceOrigins`; without it, https: and loopback http:), else ERR_FORBIDDEN_ORIGIN
   * and nothing is sent. Redirects are followed here, at most 20: a same-origin one keeps the
   * token, a cross-origin one is followed without it (fetch itself strips only Authorization).
   * A 401 from the URL the token went to drops that token, and the call is retried once with a
   * new one when its body can be sent again (not streams). A header the caller set is left alone,
   * and so is every other response.
   */
  async fetch(input, init) {
    const ex = await this.#connect();
    const rest = this.#restFetch ?? globalThis.fetch;
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    if (headers.has(ex.headerName)) return rest(input, init);
    const url = absolute(input instanceof Request ? input.url : input);
    const replayable = canReplay(input, init);

    let auth = await this.#authorization(ex, url);
    const first = await follow(rest, input, url, init, headers, auth, replayable);
    // Only a 401 that answered the token itself says anything about it.
    const retry = first.carried && ex.restStatus(first.res.status, replayable, auth.generation);
    this.#reuseUntil = Math.min(this.#reuseUntil, ex.reuseUntil);
    if (!retry) return first.res;

    first.res.body?.cancel().catch(ignore);
    auth = await this.#authorization(ex, url);
    return (await follow(rest, input, url, init, headers, auth, false)).res;
  }

  /** The header of the token the connection holds (not of a result handed out). */
  async #authorization(ex, url) {
    for (;;) {
      // Where the token may not go, fail before a token is requested for the call.
      if (!(Date.now() < this.#reuseUntil)) header(ex, url);
      await this.token();
      const auth = header(ex, url);
      if (auth !== undefined) return auth;
    }
  }

  /**
   * Forgets the held token; the next call requests a new one. With a coordinator, a promise that
   * settles once its object has dropped the token (if it is still the current one there).
   */
  invalidate() {
    this.#exchange?.invalidate();
    this.#reuseUntil = -Infinity;
    if (this.#coordinator === undefined) return undefined;
    const drop = this.#exchange?.dropAsk;
    if (drop === undefined) return Promise.resolve();
    const { namespace, settings } = this.#coordinator;
    return ask(namespace, drop.key, { settings, drop: drop.drop, dropOnly: true }, drop.timeoutMs).then(ignore);
  }

  /** The last token result (its `json` is the endpoint's object, verbatim), or undefined. */
  get lastResult() {
    return this.#last;
  }

  /**
   * The key of this connection's entry in `cache`, or the name of its coordinator's object
   * (`otc:v2:` + hex HMAC-SHA-256), e.g. to delete a stored token by hand; undefined without
   * either or where the host has no `crypto.subtle`.
   */
  async cacheKey() {
    const ex = await this.#connect();
    const pending = ex.keyInput;
    if (pending !== undefined) ex.digested(await keyedDigest(pending.secret, pending.input));
    return ex.key;
  }
}

/** `ex.authorization(url)`: the held token's header, undefined without one; throws ERR_FORBIDDEN_ORIGIN. */
function header(ex, url) {
  try {
    return ex.authorization(url);
  } catch (e) {
    throw fail(e);
  }
}

/** Freezes an object and everything in it (a token response nests at most 64 levels). */
function freeze(o) {
  for (const v of Object.values(o)) if (v !== null && typeof v === 'object') freeze(v);
  return Object.freeze(o);
}

/** A request's URL, parsed: relative ones resolve against the page, as fetch does. */
function absolute(input) {
  try {
    return new URL(String(input), globalThis.location?.href);
  } catch {
    throw new TypeError('conn.fetch: the URL does not parse');
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Sends the call to `url` (the input's, parsed) with the token through `rest` (the connection's
 * fetch) and follows redirects as fetch would (the method and body rules of the Fetch standard's
 * HTTP-redirect fetch, at most 20), keeping the token only while the origin stays the same.
 * `{ res, carried }`: the final response, and whether its request carried the token. The
 * caller's own `redirect: 'manual'` or `'error'` is kept.
 */
async function follow(rest, input, url, init, callerHeaders, auth, replayable) {
  const mode = init?.redirect ?? (input instanceof Request ? input.redirect : 'follow');
  const headers = new Headers(callerHeaders);
  headers.set(auth.name, auth.value);
  // A Request's body can be read once: send a clone while the original may be needed again.
  let target = replayable && input instanceof Request ? input.clone() : input;
  let request = { ...init, headers, redirect: mode === 'follow' ? 'manual' : mode };
  let carried = true;
  for (let hop = 0; ; hop++) {
    const res = await rest(target, request);
    if (mode !== 'follow') return { res, carried };
    if (res.type === 'opaqueredirect') {
      // A page cannot see where a redirect goes: let the browser follow it. It drops
      // Authorization on a cross-origin hop itself; another header is not sent at all.
      if (auth.name.toLowerCase() !== 'authorization') headers.delete(auth.name);
      const again = replayable && input instanceof Request ? input.clone() : input;
      const followed = await rest(again, { ...init, headers, redirect: 'follow' });
      return { res: followed, carried: carried && followed.url === url.href };
    }
    const location = REDIRECTS.has(res.status) ? res.headers.get('location') : null;
    if (location === null) return { res, carried };
    if (hop === 20) throw new TypeError('conn.fetch: more than 20 redirects');
    const next = new URL(location, url);
    if (next.origin !== url.origin && carried) {
      headers.delete(auth.name);
      carried = false;
    }
    const method = (request.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const toGet = res.status === 303 ? method !== 'HEAD' : (res.status === 301 || res.status === 302) && method === 'POST';
    const hasBody = request.body != null || (input instanceof Request && input.body !== null);
    if (!toGet && hasBody && !replayable) return { res, carried }; // a stream cannot be sent twice
    res.body?.cancel().catch(ignore);
    if (toGet) {
      for (const name of ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location']) {
        headers.delete(name);
      }
      request = { ...request, method: 'GET', body: undefined };
      target = next.href;
    } else {
      target = input instanceof Request ? new Request(next.href, input.clone()) : next.href;
    }
    url = next;
  }
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

// For coordinator.js only: the entries' `export *` leaves a default export out, so this stays
// internal.
export default { drive, loaded };
