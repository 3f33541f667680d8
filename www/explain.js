// Plain-language explanations of failures and their most likely fixes: one entry per error
// `code` of the package (docs/errors.md), and per RFC 6749 §5.2 `error` for ERR_OAUTH.
// `ctx` describes the settings that were used, so the advice can name the setting to change.

/**
 * @typedef {{ grantType: string, clientAuthentication: string, basicEncoding: string,
 *   sslMode: string, timeoutSeconds: number | undefined, origin: string, tokenEndpoint: string,
 *   secretChangesUnderFormEncoding: boolean }} Context
 * @typedef {{ meaning: string, fixes: string[] }} Explanation
 */

/** RFC 6749 §5.2 error codes (and two common extras), for ERR_OAUTH. */
const OAUTH = {
  invalid_request: (ctx) => ({
    meaning: 'The server found the request malformed: a required parameter is missing, a parameter '
      + 'is repeated or has a value it does not accept, or the client was authenticated in more than one way.',
    fixes: [
      'Read the server\'s error_description above: it usually names the parameter.',
      ctx.grantType === 'password'
        ? 'Check the user name and password fields.'
        : 'Check that this server supports the client credentials grant.',
      'Some servers refuse secrets with special characters in one mode only: try the other client authentication type.',
    ],
  }),
  invalid_client: (ctx) => {
    const other = ctx.clientAuthentication === 'header' ? 'Body' : 'Header';
    const fixes = [
      'Check the client ID and the client secret. Enter the secret decoded, exactly as issued: no '
        + 'quotes, no surrounding spaces, not base64- or URL-encoded.',
      `Switch the client authentication type to ${other}: many servers accept only one of Basic `
        + 'header and body credentials.',
    ];
    if (ctx.clientAuthentication === 'header' && ctx.basicEncoding === 'form' && ctx.secretChangesUnderFormEncoding) {
      fixes.push('Your secret contains characters that form encoding changes (see the request preview\'s '
        + 'notes). If the server does not URL-decode Basic credentials, choose Basic encoding "none" '
        + 'in Advanced settings, or the Body authentication type.');
    }
    fixes.push('Check that the client is registered (and enabled) on this authorization server, for this endpoint.');
    return {
      meaning: 'Client authentication failed: the server does not know this client ID, the secret does '
        + 'not match, or it expects the credentials in another place.',
      fixes,
    };
  },
  invalid_grant: (ctx) => {
    if (ctx.grantType === 'password') {
      return {
        meaning: 'The resource owner\'s credentials were refused: the user name or password is wrong, or the '
          + 'account is locked, disabled or needs multi-factor authentication.',
        fixes: ['Check the user name and password (entered decoded).',
          'Sign in once interactively to see whether the account needs attention (password change, MFA).'],
      };
    }
    if (ctx.grantType === 'refresh_token') {
      return {
        meaning: 'The refresh token was refused: it is unknown, expired or revoked, was issued to another '
          + 'client, or was already used (servers that rotate refresh tokens accept each one once).',
        fixes: ['Get a new refresh token (e.g. with the password grant, then Use refresh token) and try again.',
          'Use the refresh token with the client ID and secret it was issued to.',
          'A scope wider than the one originally granted is refused: clear the scope to keep the original.'],
      };
    }
    return {
      meaning: 'The grant was refused as invalid, expired or revoked.',
      fixes: ['Read the server\'s error_description above.'],
    };
  },
  unauthorized_client: (ctx) => ({
    meaning: `This client is not allowed to use the ${grantName(ctx.grantType)} grant.`,
    fixes: [
      `Enable the ${grantName(ctx.grantType)} grant for this client on the authorization server.`,
      'Or choose the authentication method this client is registered for.',
    ],
  }),
  unsupported_grant_type: (ctx) => ({
    meaning: `The authorization server does not support the ${grantName(ctx.grantType)} grant at all.`,
    fixes: ['Choose the other authentication method, or ask the server\'s administrators which grants it supports.'],
  }),
  invalid_scope: () => ({
    meaning: 'The requested scope is invalid, unknown, malformed, or more than this client may ask for.',
    fixes: [
      'Check the access token scope against what the server defines (scopes are case-sensitive).',
      'Try an empty scope: the server then grants its default scope, shown in the result.',
    ],
  }),
  access_denied: () => ({
    meaning: 'The authorization server or the resource owner denied the request.',
    fixes: ['Check the client\'s permissions on the authorization server.'],
  }),
  server_error: () => ({
    meaning: 'The authorization server hit an unexpected condition.',
    fixes: ['Try again later; if it persists, send the error_description to the server\'s administrators.'],
  }),
  temporarily_unavailable: () => ({
    meaning: 'The authorization server is overloaded or in maintenance.',
    fixes: ['Try again later.'],
  }),
};

function grantName(grantType) {
  if (grantType === 'password') return 'resource owner password credentials';
  if (grantType === 'refresh_token') return 'refresh token';
  return 'client credentials';
}

/** Error code -> explanation. */
const CODES = {
  ERR_INVALID_CONFIG: () => ({
    meaning: 'A setting is missing or invalid, so nothing was sent. The message above names it.',
    fixes: ['Correct that field; the request preview shows the same message until the settings are valid.'],
  }),
  ERR_UNSUPPORTED_SSL_MODE: (ctx) => ({
    meaning: ctx.sslMode === 'off'
      ? 'SSL mode "off" cannot be honoured here: a browser never skips certificate checks, and the '
        + 'client secret must not travel in clear text. Nothing was sent.'
      : 'SSL mode "trust" cannot be honoured here: a page cannot import a certificate into a trust '
        + 'store; the browser always verifies the endpoint\'s certificate against its own store. Nothing was sent.',
    fixes: ctx.sslMode === 'off'
      ? ['Choose SSL mode "verify" with an https token endpoint (plain http is accepted only for localhost development servers).']
      : ['Choose SSL mode "verify". If the endpoint uses a private CA, add that CA to the operating '
        + 'system\'s or the browser\'s certificate store.',
      'On a Node.js host, start the process with NODE_EXTRA_CA_CERTS=ca.pem instead.'],
  }),
  ERR_INSECURE_ENDPOINT: () => ({
    meaning: 'The token endpoint uses http: to a host that is not this machine: the client credentials '
      + 'would travel in clear text. Nothing was sent.',
    fixes: ['Use the endpoint\'s https: URL.'],
  }),
  ERR_NETWORK: (ctx) => ({
    meaning: 'The request did not complete, and the browser does not say why. Most likely the '
      + `endpoint does not allow cross-origin requests (CORS) from this page's origin, ${ctx.origin}; `
      + 'or it is unreachable, or its certificate is not trusted (browsers report both the same way).',
    fixes: [
      `Ask the server to allow CORS from ${ctx.origin}: answer the preflight OPTIONS request with `
        + 'Access-Control-Allow-Origin and Access-Control-Allow-Headers: authorization, content-type, accept, '
        + 'and send Access-Control-Allow-Origin on the POST response too.',
      'Open the endpoint URL in a new tab: a DNS, connection or certificate error shows up there.',
      'Or test from a server-side host, where CORS does not apply: scripts/demo.sh --token-endpoint URL.',
    ],
  }),
  ERR_TLS: () => ({
    meaning: 'The TLS connection failed: the endpoint\'s certificate is not trusted by this host.',
    fixes: ['Add the CA that issued the certificate to the host\'s trust store, or fix the server\'s certificate chain.'],
  }),
  ERR_TIMEOUT: (ctx) => ({
    meaning: `The token endpoint did not answer within ${ctx.timeoutSeconds ?? 30} s, so the request was aborted.`,
    fixes: [
      'Raise the timeout in Advanced settings if the server is merely slow.',
      'Check that the URL points at the token endpoint (a firewall that drops packets also looks like this).',
    ],
  }),
  ERR_UNEXPECTED_REDIRECT: () => ({
    meaning: 'The endpoint answered with a redirect. It was not followed, so the credentials were not sent anywhere else.',
    fixes: ['Use the final token URL (often https instead of http, or a trailing slash added or removed).'],
  }),
  ERR_HTTP_STATUS: (ctx, err) => ({
    meaning: `The endpoint answered HTTP ${err.status ?? '?'} without an OAuth error body: it is probably `
      + 'not the token endpoint, or something in front of it (a gateway or proxy) answered.',
    fixes: [
      err.status === 404 || err.status === 405
        ? 'Check the token endpoint\'s path, e.g. /oauth2/token or /oauth/token.'
        : err.status >= 500
          ? 'The server failed: try again later, or ask its administrators.'
          : 'Check the URL and whether a gateway in front of the server needs something else.',
    ],
  }),
  ERR_INVALID_RESPONSE: () => ({
    meaning: 'The endpoint answered with success, but not with a token response (RFC 6749 §5.1): for '
      + 'example an HTML login page, or JSON without access_token and token_type.',
    fixes: ['Check that the URL is the token endpoint and not an authorization or login page.'],
  }),
  ERR_ABORTED: () => ({
    meaning: 'The request was aborted by its signal (the Cancel button here) before the answer was complete; '
      + 'nothing more will come from it.',
    fixes: ['Test the connection again. If the endpoint is merely slow, wait for it or raise the timeout.'],
  }),
  ERR_RESPONSE_TOO_LARGE: () => ({
    meaning: 'The response is larger than the package accepts (1 MiB by default); a token response is a few KB.',
    fixes: ['Check that the URL is the token endpoint.'],
  }),
  ERR_INTERNAL: () => ({
    meaning: 'The package\'s own driver went wrong: a bug in oauth-token-connection, not in your settings.',
    fixes: ['Test the connection again, and report the bug with the browser\'s version.'],
  }),
  ERR_UNSUPPORTED_ALGORITHM: () => ({
    meaning: 'This browser cannot sign the assertion: the page has no WebCrypto (a page on plain http: '
      + 'to a host that is not localhost), or its WebCrypto lacks the algorithm (EdDSA in an older browser).',
    fixes: ['Open the tester over https: or on localhost.', 'Use an RSA or P-256 key (RS256, PS256, ES256) in this browser.'],
  }),
};

/**
 * Explains a REST call that did not produce a response (the "Use the token" panel).
 * @param {{ network: boolean, origin: string, url: string, method: string, headerNames: string[],
 *   message: string }} call
 * @returns {Explanation}
 */
export function explainRestFailure(call) {
  if (!call.network) {
    return {
      meaning: 'The browser refused to send this call before it left the page.',
      fixes: ['Check the URL, the method and the extra headers against the message above.'],
    };
  }
  const simple = ['authorization', ...call.headerNames.filter((n) => n !== 'authorization')];
  return {
    meaning: 'The call did not complete, and the browser does not say why. Most likely the resource '
      + `does not allow cross-origin requests (CORS) from this page's origin, ${call.origin}: the `
      + 'Authorization header makes the browser ask first (a preflight OPTIONS request), and the '
      + 'resource must allow it. Or the resource is unreachable, or its certificate is not trusted '
      + '(browsers report both the same way).',
    fixes: [
      `Ask the resource's owners to allow CORS from ${call.origin}: answer the preflight OPTIONS with `
        + `Access-Control-Allow-Origin, Access-Control-Allow-Methods: ${call.method} and `
        + `Access-Control-Allow-Headers: ${simple.join(', ')}, and send Access-Control-Allow-Origin on the `
        + 'response too.',
      'Open the URL in a new tab: a DNS, connection or certificate error shows up there.',
      'Or call it from a server-side host, where CORS does not apply (the package\'s createConnection in Node.js or a Worker).',
    ],
  };
}

/**
 * Explains a failure.
 * @param {{ code?: string, error?: string, status?: number }} err
 * @param {Context} ctx
 * @returns {Explanation}
 */
export function explain(err, ctx) {
  if (err.code === 'ERR_OAUTH') {
    const entry = OAUTH[err.error];
    if (entry) return entry(ctx);
    return {
      meaning: `The server returned the OAuth error "${err.error}", which RFC 6749 does not define.`,
      fixes: ['Read the server\'s error_description and error_uri above, or its documentation.'],
    };
  }
  const entry = CODES[err.code];
  if (entry) return entry(ctx, err);
  return {
    meaning: 'An unexpected failure in this page.',
    fixes: ['Reload the page and try again.'],
  };
}

/** Every code with an explanation (for tests). */
export const EXPLAINED_CODES = Object.freeze(Object.keys(CODES));
export const EXPLAINED_OAUTH_ERRORS = Object.freeze(Object.keys(OAUTH));
