// Advice that only this page can give. The fix for each failure is the package's own `hint`,
// shown first; these notes add what the package cannot know: this page's origin and the CORS
// headers it needs, what a browser tab can check, the request preview, and where a setting the
// hint names sits on this form.
// Lookups keyed by server text use null-prototype maps and Object.hasOwn: an `error` such as
// "constructor" or "__proto__" must find nothing, not Object.prototype's members.

/**
 * @typedef {{ clientAuthentication: string, basicEncoding: string,
 *   origin: string, requestHeaders: string[], secretChangesUnderFormEncoding: boolean,
 *   fields: Record<string, { label: string, advanced: boolean }> }} Context
 *   `requestHeaders`: lower-case header names of the request the preview shows; `fields`: the
 *   form's fields by config key, with their labels.
 */

const map = (entries) => Object.assign(Object.create(null), entries);
const lookup = (table, key) => (typeof key === 'string' && Object.hasOwn(table, key) ? table[key] : undefined);

/** The CORS answer this page needs from a server, for a request with these headers. */
function corsAdvice(what, origin, method, headerNames) {
  const preflight = headerNames.some((n) => n === 'authorization');
  return `Ask the ${what} to allow cross-origin requests (CORS) from this page's origin, ${origin}: `
    + (preflight
      ? 'the Authorization header makes the browser ask first, so answer the preflight OPTIONS request with '
        + `Access-Control-Allow-Origin, Access-Control-Allow-Methods: ${method} and `
        + `Access-Control-Allow-Headers: ${headerNames.join(', ')}, and send Access-Control-Allow-Origin on the `
        + 'response too.'
      : 'send Access-Control-Allow-Origin on the response.');
}

/** Page notes per error code of the package. */
const BY_CODE = map({
  ERR_INVALID_CONFIG: () => ['The request preview shows the same message until the settings are valid.'],
  ERR_NETWORK: (err, ctx) => [
    corsAdvice('server', ctx.origin, 'POST', ctx.requestHeaders),
    'Open the endpoint URL in a new tab: a DNS, connection or certificate error shows up there '
      + '(a browser reports all of them to a page the same way).',
    'Or test from a server-side host, where CORS does not apply: scripts/demo.sh --token-endpoint URL.',
  ],
  ERR_RESPONSE_TOO_LARGE: () => ['This page has no maxResponseBytes setting: it uses the package\'s default.'],
  ERR_UNSUPPORTED_ALGORITHM: () => [
    'A page has WebCrypto only over https: or on localhost: open the tester there.',
    'A browser without Ed25519 in WebCrypto cannot sign EdDSA: use an RSA or P-256 key (RS256, PS256, ES256).',
  ],
});

/** Page notes per RFC 6749 §5.2 `error` (server text) for ERR_OAUTH. */
const BY_OAUTH_ERROR = map({
  invalid_client: (err, ctx) => (
    ctx.clientAuthentication === 'header' && ctx.basicEncoding === 'form' && ctx.secretChangesUnderFormEncoding
      ? ['Your secret contains characters that form encoding changes (see the request preview\'s notes). '
        + 'If the server does not URL-decode Basic credentials, choose Basic encoding "none" in Advanced '
        + 'settings, or the Body client authentication type.']
      : []),
});

/**
 * Where the settings a hint names by config key (e.g. timeoutSeconds) are on this form. Only
 * camelCase keys count: "scope" or "password" in a hint is an ordinary word.
 */
function fieldNotes(hint, fields) {
  const named = Object.keys(fields).filter((key) => /[A-Z]/.test(key) && new RegExp(`\\b${key}\\b`).test(hint));
  if (!named.length) return [];
  const where = named.map((key) => `${key} is "${fields[key].label}"${fields[key].advanced ? ' in Advanced settings' : ''}`);
  return [`The settings named above: ${where.join('; ')}.`];
}

/**
 * Page-specific notes on a failure of the package, to show after its `hint`.
 * @param {{ code?: string, error?: string, hint?: string }} err
 * @param {Context} ctx
 * @returns {string[]}
 */
export function pageNotes(err, ctx) {
  const notes = [];
  const byCode = lookup(BY_CODE, err.code);
  if (byCode) notes.push(...byCode(err, ctx));
  const byError = err.code === 'ERR_OAUTH' ? lookup(BY_OAUTH_ERROR, err.error) : undefined;
  if (byError) notes.push(...byError(err, ctx));
  if (typeof err.hint === 'string') notes.push(...fieldNotes(err.hint, ctx.fields));
  return notes;
}

/**
 * Explains a REST call that did not produce a response (the "Use the token" panel).
 * @param {{ network: boolean, origin: string, url: string, method: string, headerNames: string[],
 *   message: string }} call
 * @returns {{ meaning: string, fixes: string[] }}
 */
export function explainRestFailure(call) {
  if (!call.network) {
    return {
      meaning: 'The browser refused to send this call before it left the page.',
      fixes: ['Check the URL, the method and the extra headers against the message above.'],
    };
  }
  const names = ['authorization', ...call.headerNames.filter((n) => n !== 'authorization')];
  return {
    meaning: 'The call did not complete, and the browser does not say why. Most likely the resource '
      + `does not allow cross-origin requests (CORS) from this page's origin, ${call.origin}: the `
      + 'Authorization header makes the browser ask first (a preflight OPTIONS request), and the '
      + 'resource must allow it. Or the resource is unreachable, or its certificate is not trusted '
      + '(browsers report both the same way).',
    fixes: [
      corsAdvice('resource\'s owners', call.origin, call.method, names),
      'Open the URL in a new tab: a DNS, connection or certificate error shows up there.',
      'Or call it from a server-side host, where CORS does not apply (the package\'s createConnection in Node.js or a Worker).',
    ],
  };
}
