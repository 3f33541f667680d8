// The I/O the core's steps ask for: a fetch (the host's or the caller's) under a timeout and the
// caller's signal with its body read up to a byte limit, waits before retries, HMAC-SHA-256, and
// cache calls and asks of the coordinator that cannot hang or throw. Each function answers the
// event to hand back to the core, as plain data.
import { errorName } from './settings.js';
import { subtleCrypto } from './init.js';
// full-only:start
import { randomBytes } from './init.js';
// full-only:end

const EMPTY = new Uint8Array(0);

/**
 * A fetch step: `{ event, cause }`, where `cause` is the host's error behind a failure (the
 * caller's abort reason, the timeout's TimeoutError, or fetch's rejection). `custom`: the
 * caller's `fetch` option, called instead of the host's (a rejection is described the same way).
 */
export async function fetchStep(step, signal, custom) {
  if (signal?.aborted) return failure(undefined, signal, undefined);
  const { signal: timeout, clear } = deadline(step.timeoutMs);
  const both = signal ? anySignal(signal, timeout) : { signal: timeout };
  try {
    let res;
    try {
      res = await (custom ?? fetch)(step.url, { ...step.init, signal: both.signal });
    } catch (e) {
      return failure(e, signal, timeout);
    }
    return await response(res, step.maxBytes, signal, timeout);
  } finally {
    clear();
    both.release?.();
  }
}

/**
 * A signal that aborts with a TimeoutError after `ms`, as `AbortSignal.timeout(ms)`'s does, and
 * `clear()`, which stops its timer once the call settles: AbortSignal.timeout's timer stays
 * pending for the whole `ms` (30 s by default) after every call.
 */
function deadline(ms) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/** The response's facts and its body, up to `maxBytes`. */
async function response(res, maxBytes, signal, timeout) {
  let facts;
  try {
    const headers = res.headers;
    facts = {
      kind: 'response',
      status: res.status,
      opaqueRedirect: res.type === 'opaqueredirect',
      contentType: headers.get('content-type') ?? undefined,
      retryAfter: headers.get('retry-after') ?? undefined,
      // Browsers hide Set-Cookie from scripts (getSetCookie answers [] there, or is missing).
      setCookies: typeof headers.getSetCookie === 'function' ? headers.getSetCookie() : [],
      body: EMPTY,
    };
    const declared = headers.get('content-length');
    if (declared !== null && Number(declared) > maxBytes) {
      await res.body?.cancel().catch(ignore);
      return { event: { kind: 'tooLarge' } };
    }
  } catch {
    // A polyfill or stub may hand back anything: the core refuses what has no status.
    return { event: { kind: 'response', status: undefined } };
  }
  try {
    facts.body = await body(res, maxBytes);
  } catch (e) {
    return failure(e, signal, timeout, true);
  }
  return facts.body === null ? { event: { kind: 'tooLarge' } } : { event: facts };
}

/**
 * The body, read up to `maxBytes` (null past it). With a Content-Length within the limit and no
 * Content-Encoding, the declared length is the length read (HTTP framing), so it is read in one
 * piece; otherwise chunk by chunk, stopping at the limit.
 */
async function body(res, maxBytes) {
  const declared = res.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) <= maxBytes && !res.headers.has('content-encoding')) {
    const bytes = new Uint8Array(await res.arrayBuffer());
    return bytes.length <= maxBytes ? bytes : null;
  }
  const chunks = [];
  let n = 0;
  const reader = res.body?.getReader();
  for (let r; reader && !(r = await reader.read()).done; ) {
    if (!(r.value instanceof Uint8Array)) continue;
    n += r.value.length;
    if (n > maxBytes) {
      await reader.cancel().catch(ignore);
      return null;
    }
    chunks.push(r.value);
  }
  return chunks.length === 1 ? chunks[0] : concat(chunks, n);
}

function concat(chunks, n) {
  const body = new Uint8Array(n);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.length;
  }
  return body;
}

/** A failed fetch or body read (or an already-aborted signal), described as plain data. */
function failure(e, signal, timeout, afterResponse = false) {
  const aborted = !!signal?.aborted;
  const timedOut = !!timeout?.aborted;
  const cause = aborted ? signal.reason : timedOut ? timeout.reason : e;
  // In a page (a `document`), a failed fetch may be a CORS refusal: the core's message says so.
  const event = { kind: 'failed', aborted, timedOut, afterResponse, inPage: 'document' in globalThis, ...describe(e) };
  return { event, cause };
}

/** What a rejection says about itself: its message, its cause's, and the `code`s along the chain. */
function describe(e) {
  const facts = { causeCodes: [] };
  try {
    if (typeof e === 'string') facts.message = e;
    if (e === null || typeof e !== 'object') return facts;
    facts.message = text(e.message);
    facts.causeMessage = text(e.cause?.message);
    for (let link = e, i = 0; link !== null && typeof link === 'object' && i < 4; link = link.cause, i++) {
      if (typeof link.code === 'string') facts.causeCodes.push(link.code);
    }
  } catch {}
  return facts;
}

const text = (v) => (typeof v === 'string' ? v : undefined);

/** A signal that aborts when either does: AbortSignal.any, or a controller where it is missing (Node 18). */
function anySignal(a, b) {
  if (typeof AbortSignal.any === 'function') return { signal: AbortSignal.any([a, b]) };
  const controller = new AbortController();
  const abortA = () => controller.abort(a.reason);
  const abortB = () => controller.abort(b.reason);
  a.addEventListener('abort', abortA);
  b.addEventListener('abort', abortB);
  return {
    signal: controller.signal,
    release() {
      a.removeEventListener('abort', abortA);
      b.removeEventListener('abort', abortB);
    },
  };
}

/** A wait step (before a retry): `{ event }` once `ms` have passed, or the failure when `signal` aborts first. */
export function wait(ms, signal) {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(failure(undefined, signal, undefined));
    const abort = () => {
      clearTimeout(timer);
      resolve(failure(undefined, signal, undefined));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      resolve({ event: { kind: 'waited' } });
    }, ms);
    signal?.addEventListener('abort', abort, { once: true });
  });
}

/**
 * The HMAC-SHA-256 of the shared key's input keyed by `secret` (the credentials' bytes, zeroed
 * once imported), or undefined where the host has none.
 */
export async function keyedDigest(secret, input) {
  try {
    const subtle = subtleCrypto();
    const key = await subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    return new Uint8Array(await subtle.sign('HMAC', key, new TextEncoder().encode(input)));
  } catch {
    return undefined;
  } finally {
    secret.fill(0);
  }
}

// full-only:start
/**
 * A sign step: one of a signed assertion's two rounds (oauth-token-core's assertion module).
 * The first (no `input`) imports `step.key` into `signer.key`, a non-extractable CryptoKey the
 * connection keeps (the key bytes are zeroed after), digests `step.certificate` (SHA-1 and
 * SHA-256, for `x5t` and `x5t#S256`) and answers `randomBytes` fresh bytes of
 * `crypto.getRandomValues` (the assertion's `jti`); the second signs `step.input`. A failure
 * answers its stage and the error's name, never its message.
 */
export async function signStep(step, signer) {
  const subtle = subtleCrypto();
  const random = step.input === undefined ? randomBytes(step.randomBytes) : undefined;
  if (subtle === undefined || (step.input === undefined && random === undefined)) {
    return { kind: 'signed', failed: 'crypto', stage: 'noWebCrypto' };
  }
  let stage = 'sign';
  try {
    if (step.input !== undefined) {
      return { kind: 'signed', signature: new Uint8Array(await subtle.sign(step.algorithm, signer.key, step.input)) };
    }
    if (step.key !== undefined) {
      stage = 'import';
      try {
        signer.key = await subtle.importKey(step.key.format, step.key.data, step.importAlgorithm, false, ['sign']);
      } finally {
        if (step.key.data instanceof Uint8Array) step.key.data.fill(0);
      }
    }
    const event = { kind: 'signed', random };
    if (step.certificate !== undefined) {
      stage = 'digest';
      event.sha1 = new Uint8Array(await subtle.digest('SHA-1', step.certificate));
      event.sha256 = new Uint8Array(await subtle.digest('SHA-256', step.certificate));
    }
    return event;
  } catch (e) {
    return { kind: 'signed', failed: errorName(e), stage };
  }
}
// full-only:end

/**
 * A cache get or put that settles within `ms` and never rejects: `{ value }`, or `{ failed }`
 * with the error's name only (a message could quote the stored token).
 */
export function bounded(operation, ms) {
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

export function ignore() {}

/** Where a connection's asks go: the object's fetch handler reads only the method and body. */
const COORDINATOR_URL = 'https://oauth-token-coordinator.invalid/ask';

/**
 * Asks the coordinator's object named `key` (of the Durable Object `namespace`) with `body` (the
 * settings, the token to drop), within `ms`, never rejecting: `{ value }` (a token entry's JSON
 * text), `{ error }` (the fields of the object's own failure), `{}` (nothing to answer), or
 * `{ failed }` naming why it could not be asked.
 */
export async function ask(namespace, key, body, ms) {
  const { value: res, failed } = await bounded(async () => {
    const stub = namespace.get(namespace.idFromName(key));
    const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
    const res = await stub.fetch(COORDINATOR_URL, init);
    if (res.status !== 200) {
      await res.body?.cancel().catch(ignore);
      return { status: res.status };
    }
    return { answer: await res.json() };
  }, ms);
  if (failed !== undefined) return { failed };
  if (res.status !== undefined) return { failed: `HTTP status ${res.status}` };
  const { answer } = res;
  if (answer === null || typeof answer !== 'object') return { failed: 'an answer that is not an object' };
  return { value: answer.value, error: answer.error };
}
