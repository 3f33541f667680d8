// Canary secrets for leak scanning, and every form in which they could leak.
//
// Each canary holds a space, '+', ':', '%', a non-ASCII letter and a quote, so that its raw,
// form-encoded, percent-encoded, JSON-escaped and base64 forms all differ: a leak in any one
// encoding is caught by that encoding's own pattern. Each also starts with an ASCII core that
// survives every text encoding, which catches truncated or otherwise re-encoded copies.
// Scanners report which canary and which form leaked, never the value itself.

import util from 'node:util';

export const CANARY_CLIENT_ID = 'canary client+:%ü';

/** What must never appear in an error, a warning, a preview or the console. */
export const CANARIES = Object.freeze({
  clientSecret: 'SECRETcore7Qz s+e:c%rét"x',
  password: 'PASSWORDcore4Kw p+a:s%sé"y',
  refreshToken: 'REFRESHcore9Jm r+e:f%rö"z',
  // What a hostile server returns in an access_token that must be refused: CR/LF and the rest.
  badAccessToken: 'BADTOKENcore5Lp b+a:d%tö"\r\nX-Injected: 1',
  // A usable access token (RFC 6750 b64token: ALPHA DIGIT - . _ ~ + / then '='), which the
  // endpoint returns and which must not appear in any error either.
  accessToken: 'ACCESScore3Hv+/~-._Zz==',
});

/** The ASCII core of each canary: the text before its first non-alphanumeric character. */
const core = (s) => s.match(/^[A-Za-z0-9]+/)[0];

/** application/x-www-form-urlencoded (WHATWG, as URLSearchParams and the package send it). */
export const formEncode = (s) => new URLSearchParams({ v: s }).toString().slice(2);
const b64 = (s) => Buffer.from(s, 'utf8').toString('base64');
const jsonEscaped = (s) => JSON.stringify(s).slice(1, -1);
const jsonAsciiEscaped = (s) =>
  jsonEscaped(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** name -> text for every form of one canary. */
export function formsOf(value) {
  return {
    raw: value,
    core: core(value),
    formEncoded: formEncode(value),
    percentEncoded: encodeURIComponent(value),
    jsonEscaped: jsonEscaped(value),
    jsonAsciiEscaped: jsonAsciiEscaped(value),
    base64: b64(value),
  };
}

/** The Basic credentials of (CANARY_CLIENT_ID, client secret) as RFC 6749 §2.3.1 and as plain RFC 7617. */
function basicForms(id, secret) {
  const formPair = b64(`${formEncode(id)}:${formEncode(secret)}`);
  const rawPair = b64(`${id}:${secret}`);
  return {
    base64FormPair: formPair,
    basicHeaderForm: `Basic ${formPair}`,
    base64RawPair: rawPair,
    basicHeaderRaw: `Basic ${rawPair}`,
    // The pair base64-encoded without the id (as a suffix after the id's bytes would be aligned).
    base64PercentPair: b64(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`),
  };
}

/**
 * [label, text] for every distinct canary form; labels look like "clientSecret/formEncoded".
 * (A usable access token is a b64token, so its raw and JSON forms are the same text: kept once.)
 */
export const PATTERNS = Object.freeze([
  ...new Map([
    ...Object.entries(CANARIES).flatMap(([name, value]) =>
      Object.entries(formsOf(value)).map(([form, text]) => [text, `${name}/${form}`])).reverse(),
    ...Object.entries(basicForms(CANARY_CLIENT_ID, CANARIES.clientSecret)).map(([form, text]) => [text, `clientSecret/${form}`]),
  ]),
].map(([text, label]) => [label, text]));

/** Labels of the canary forms found in `text` (empty when clean). */
export function leaksIn(text) {
  const s = String(text ?? '');
  return PATTERNS.filter(([, pattern]) => s.includes(pattern)).map(([label]) => label);
}

/** JSON.stringify that never throws (cycles, BigInt): for scanning only. */
function safeStringify(v) {
  try {
    return JSON.stringify(v) ?? '';
  } catch (e) {
    return `<unstringifiable: ${e?.name}>`;
  }
}

/**
 * Every text an error exposes: message, stack, String(err), JSON.stringify(err), util.inspect
 * with hidden properties, each own property, and the same for its `cause` chain, recursively
 * (errors, AggregateError's `errors`, plain objects and strings).
 */
export function errorTexts(err, depth = 0, seen = new Set()) {
  if (err === null || err === undefined || depth > 8) return [];
  if (typeof err !== 'object' && typeof err !== 'function') return [String(err)];
  if (seen.has(err)) return [];
  seen.add(err);
  const texts = [];
  const attempt = (f) => {
    try {
      texts.push(String(f()));
    } catch (e) {
      texts.push(`<threw ${e?.name}>`);
    }
  };
  attempt(() => err.message);
  attempt(() => err.stack);
  attempt(() => String(err));
  attempt(() => safeStringify(err));
  attempt(() => util.inspect(err, { depth: 8, showHidden: true, breakLength: Infinity }));
  for (const key of Reflect.ownKeys(err)) {
    if (key === 'cause' || key === 'errors') continue;
    attempt(() => (typeof err[key] === 'object' ? safeStringify(err[key]) : err[key]));
  }
  texts.push(...errorTexts(err.cause, depth + 1, seen));
  if (Array.isArray(err.errors)) for (const e of err.errors) texts.push(...errorTexts(e, depth + 1, seen));
  return texts;
}

/** Labels of canary forms anywhere in what `err` exposes. */
export function leaksInError(err) {
  return [...new Set(errorTexts(err).flatMap(leaksIn))];
}
