// The hostile-server corpus: one table of what a token endpoint can send back, each row with the
// server's behaviour and the outcome the package must give (an error code and HTTP status, or
// the token). After every row a good request to the real authorization server must succeed in
// the same process, i.e. the same loaded package and wasm instance: a bad answer never breaks it.
// Every row's error is scanned for the canary secrets sent with the request (client secret,
// password) and for the access token a failing 2xx body carried (support/canaries.mjs).
// Servers: support/hostile-server.mjs (with this table's rows as extra routes) and the real
// @node-oauth/oauth2-server (demo/auth-server.mjs), both on 127.0.0.1.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';

import { requestToken, OAuthTokenError } from 'oauth-token-connection';
import { startAuthServer, DEMO_CLIENTS } from '../../demo/auth-server.mjs';
import { startHostileServer } from './support/hostile-server.mjs';
import { CANARIES, CANARY_CLIENT_ID, leaksInError } from './support/canaries.mjs';

const CODES = [
  'ERR_INVALID_CONFIG', 'ERR_UNSUPPORTED_SSL_MODE', 'ERR_INSECURE_ENDPOINT', 'ERR_NETWORK', 'ERR_TLS',
  'ERR_TIMEOUT', 'ERR_UNEXPECTED_REDIRECT', 'ERR_OAUTH', 'ERR_HTTP_STATUS', 'ERR_INVALID_RESPONSE',
  'ERR_RESPONSE_TOO_LARGE',
];
const COOKIE_WARNING = 'Cookie rejected: Illegal \'domain\' attribute "evil.example". Domain of origin: "127.0.0.1"';
const BAD = CANARIES.badAccessToken; // a failing 2xx body's access_token: never quoted by an error

// --- Server behaviours ---------------------------------------------------------------------

/** A response with exactly these bytes (string bodies as UTF-8) and a Content-Length. */
const raw = (status, body, headers = {}) => (req, res) => {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': buf.length, ...headers });
  res.end(buf);
};
/** A JSON response. */
const json = (status, value, headers) => raw(status, JSON.stringify(value), headers);
/** A token response body; `token` is the access_token. */
const tok = (token, extra = {}) => ({ access_token: token, token_type: 'Bearer', expires_in: 3600, ...extra });
/** A 200 whose body carries the canary token but is wrong in `extra`. */
const badToken = (extra) => json(200, tok(BAD, extra));
/** Headers, then part of the body, then `finish(socket)` a moment later. */
const partThen = (finish) => (req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': 200 });
  res.write(`{"access_token":"${'x'.repeat(40)}`);
  setTimeout(() => finish(req.socket), 50);
};
/**
 * Exactly these bytes on the socket: header lines as Latin-1 (so that U+0085 is the byte 0x85,
 * as a server sends it; fetch reads header bytes back as Latin-1), the body as UTF-8.
 */
const wire = (status, headers, body = '') => (req) => {
  const buf = Buffer.from(body, 'utf8');
  const head = [`HTTP/1.1 ${status} X`, ...headers, `Content-Length: ${buf.length}`, 'Connection: close', '', ''].join('\r\n');
  req.socket.end(Buffer.concat([Buffer.from(head, 'latin1'), buf]));
};
/** Characters no message, warning or field may hold as sent (core/src/text.rs, is_unsafe). */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/;
/** Every string of an outcome that a reader sees: message, hint, §5.2 fields, warnings. */
const shownText = ({ error, result }) => (error
  ? [error.message, error.hint, error.error, error.errorDescription, error.errorUri]
  : result.warnings).filter((t) => t !== undefined);
const clean = (outcome) => {
  for (const t of shownText(outcome)) assert.doesNotMatch(t, UNSAFE, JSON.stringify(t));
};
const redirect = (status) => (req, res, ctx) => {
  res.writeHead(status, { location: ctx.recorderUrl('/token'), 'content-length': 0 });
  res.end();
};

// --- Expected outcomes ---------------------------------------------------------------------

/** Rejects with `code`; `status` is err.status (undefined where no response was received). */
const fails = (code, status, more = {}) => ({ code, status, ...more });
/** Resolves with `token` as accessToken (and the other members given). */
const gives = (token, more = {}) => ({ token, ...more });

const NESTING = 100_000;
const BOMB = gzipSync(JSON.stringify(tok(BAD, { pad: ' '.repeat(8 << 20) })), { level: 9 });
const LIMIT = 1024; // maxResponseBytes for the boundary rows
/** A token JSON document of exactly `size` bytes. */
const exactly = (size, token) => {
  const head = `{"access_token":"${token}","token_type":"Bearer","pad":"`;
  return head + 'p'.repeat(size - head.length - 2) + '"}';
};

/**
 * The corpus. Each row: name, the server behaviour (`respond`, a handler on the hostile server,
 * or `path`, one of its built-in routes), the expected outcome, and optionally `config` (added
 * to the request's config) and `check(outcome, hostile)` for further assertions.
 */
const CORPUS = [
  // Bodies that are not a token object (RFC 6749 §5.1 asks for a JSON object).
  { name: 'empty body', respond: raw(200, ''), expect: fails('ERR_INVALID_RESPONSE', 200) },
  { name: 'JSON null', respond: raw(200, 'null'), expect: fails('ERR_INVALID_RESPONSE', 200) },
  { name: 'JSON array holding a token object', respond: json(200, [tok(BAD)]), expect: fails('ERR_INVALID_RESPONSE', 200) },
  { name: 'JSON string', respond: json(200, BAD), expect: fails('ERR_INVALID_RESPONSE', 200) },
  { name: 'JSON number', respond: raw(200, '42'), expect: fails('ERR_INVALID_RESPONSE', 200) },
  { name: 'truncated JSON', respond: raw(200, JSON.stringify(tok(BAD)).slice(0, 30)), expect: fails('ERR_INVALID_RESPONSE', 200) },
  { name: 'plain text "ok" (built-in /not-json)', path: '/not-json', expect: fails('ERR_INVALID_RESPONSE', 200) },
  { name: 'bytes that are not UTF-8', respond: raw(200, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), expect: fails('ERR_INVALID_RESPONSE', 200) },
  {
    name: 'a UTF-16LE body with BOM (charset=utf-16)',
    respond: raw(200, Buffer.from(`\ufeff${JSON.stringify(tok(BAD))}`, 'utf16le'), { 'content-type': 'application/json; charset=utf-16' }),
    expect: fails('ERR_INVALID_RESPONSE', 200),
  },
  {
    name: 'an HTML login page with 200',
    respond: raw(200, '<!DOCTYPE html><html><body><form action="/login" method="post"><input name="user">'
      + '<input type="password" name="pw"></form></body></html>', { 'content-type': 'text/html; charset=utf-8' }),
    expect: fails('ERR_INVALID_RESPONSE', 200),
  },
  {
    name: '"__proto__" holding the token members',
    respond: raw(200, `{"__proto__":${JSON.stringify(tok(BAD))},"token_type":"Bearer"}`),
    expect: fails('ERR_INVALID_RESPONSE', 200),
  },
  { name: 'JSON with two UTF-8 BOMs', respond: raw(200, `\ufeff\ufeff${JSON.stringify(tok(BAD))}`), expect: fails('ERR_INVALID_RESPONSE', 200) },
  { name: 'gzip bytes without Content-Encoding', respond: raw(200, gzipSync(JSON.stringify(tok(BAD)))), expect: fails('ERR_INVALID_RESPONSE', 200) },
  { name: 'an HTML body labelled application/json', respond: raw(200, '<html><body>Sign in</body></html>'), expect: fails('ERR_INVALID_RESPONSE', 200) },
  // Lenient where harmless.
  { name: 'JSON with a UTF-8 BOM', respond: raw(200, `\ufeff${JSON.stringify(tok('corpus-bom'))}`), expect: gives('corpus-bom') },
  {
    name: 'JSON served as text/plain',
    respond: json(200, tok('corpus-text-plain'), { 'content-type': 'text/plain; charset=utf-8' }),
    expect: gives('corpus-text-plain'),
  },
  {
    name: 'gzip-encoded JSON (Content-Encoding: gzip, decoded by fetch)',
    respond: raw(200, gzipSync(JSON.stringify(tok('corpus-gzip'))), { 'content-encoding': 'gzip' }),
    expect: gives('corpus-gzip'),
  },
  {
    name: 'duplicate keys: the last one wins, as in JSON.parse, and json agrees',
    respond: raw(200, '{"access_token":"dup-first","token_type":"Bearer","access_token":"dup-second"}'),
    expect: gives('dup-second'),
  },
  {
    name: 'duplicate keys: a bad access_token after a good one is refused',
    respond: raw(200, `{"access_token":"dup-good","token_type":"Bearer","access_token":${JSON.stringify(BAD)}}`),
    expect: fails('ERR_INVALID_RESPONSE', 200),
  },

  // Nesting: at most 64 levels of arrays and objects, the response object included: a clear
  // error instead of a parser's or a serializer's RangeError.
  {
    name: `an unknown member nested ${NESTING.toLocaleString('en')} arrays deep: refused at 64 levels`,
    respond: raw(200, `{"access_token":${JSON.stringify(BAD)},"token_type":"Bearer","x":${'['.repeat(NESTING)}${']'.repeat(NESTING)}}`),
    expect: fails('ERR_INVALID_RESPONSE', 200),
    check: ({ error }) => assert.match(error.message, /^invalid token response: the JSON nests deeper than 64 levels \(HTTP 200/),
  },
  {
    name: `an unknown member nested ${NESTING.toLocaleString('en')} objects deep: refused at 64 levels`,
    respond: raw(200, `{"access_token":${JSON.stringify(BAD)},"token_type":"Bearer","x":${'{"a":'.repeat(NESTING)}1${'}'.repeat(NESTING)}}`),
    expect: fails('ERR_INVALID_RESPONSE', 200),
    check: ({ error }) => assert.match(error.message, /nests deeper than 64 levels/),
  },
  {
    name: '65 levels (64 arrays in the response object): refused',
    respond: raw(200, `{"access_token":${JSON.stringify(BAD)},"token_type":"Bearer","x":${'['.repeat(64)}${']'.repeat(64)}}`),
    expect: fails('ERR_INVALID_RESPONSE', 200),
    check: ({ error }) => assert.match(error.message, /nests deeper than 64 levels/),
  },
  {
    name: '64 levels (63 arrays and objects in the response object): accepted, json intact',
    respond: raw(200, `{"access_token":"corpus-64-levels","token_type":"Bearer","x":${'[{"a":'.repeat(31)}[1]${'}]'.repeat(31)}}`),
    expect: gives('corpus-64-levels'),
    check: ({ result }) => {
      let v = result.json.x;
      for (let i = 0; i < 31; i += 1) v = v[0].a;
      assert.deepEqual(v, [1]);
    },
  },
  {
    name: 'brackets inside strings do not count as nesting',
    respond: json(200, tok('corpus-brackets', { x: '[{'.repeat(10_000) })),
    expect: gives('corpus-brackets'),
  },
  {
    name: `a 400 error body nested ${NESTING.toLocaleString('en')} levels: a status without a §5.2 body`,
    respond: raw(400, `{"error":"invalid_grant","x":${'['.repeat(NESTING)}${']'.repeat(NESTING)}}`),
    expect: fails('ERR_HTTP_STATUS', 400),
  },

  // access_token (RFC 6749 §5.1; RFC 6750 §2.1 b64token, as it will be sent in a header).
  { name: 'access_token missing (built-in /no-access-token)', path: '/no-access-token', expect: fails('ERR_INVALID_RESPONSE', 200) },
  { name: 'access_token null', respond: badToken({ access_token: null }), expect: fails('ERR_INVALID_RESPONSE', 200) },
  { name: 'access_token a number', respond: badToken({ access_token: 12345 }), expect: fails('ERR_INVALID_RESPONSE', 200) },
  { name: 'access_token an object', respond: badToken({ access_token: { value: BAD } }), expect: fails('ERR_INVALID_RESPONSE', 200) },
  { name: 'access_token empty', respond: badToken({ access_token: '' }), expect: fails('ERR_INVALID_RESPONSE', 200) },
  { name: 'access_token with CR/LF (header injection)', respond: badToken(), expect: fails('ERR_INVALID_RESPONSE', 200) },
  { name: 'access_token with a space and a quote', respond: badToken({ access_token: 'ab cd"ef' }), expect: fails('ERR_INVALID_RESPONSE', 200) },
  { name: 'access_token with a comma (outside b64token)', respond: badToken({ access_token: 'abc,def' }), expect: fails('ERR_INVALID_RESPONSE', 200) },
  { name: 'access_token with "=" before the end (outside b64token)', respond: badToken({ access_token: 'abc=def' }), expect: fails('ERR_INVALID_RESPONSE', 200) },
  { name: 'access_token with "@" (outside b64token)', respond: badToken({ access_token: 'abc@def' }), expect: fails('ERR_INVALID_RESPONSE', 200) },
  { name: 'access_token non-ASCII', respond: badToken({ access_token: 'tökén' }), expect: fails('ERR_INVALID_RESPONSE', 200) },
  {
    name: 'access_token using all of b64token (ALPHA DIGIT - . _ ~ + / and trailing =)',
    respond: json(200, tok(CANARIES.accessToken)),
    expect: gives(CANARIES.accessToken),
  },

  // token_type (§5.1, §7.1).
  { name: 'token_type missing', respond: badToken({ token_type: undefined }), expect: fails('ERR_INVALID_RESPONSE', 200) },
  { name: 'token_type a number', respond: badToken({ token_type: 1 }), expect: fails('ERR_INVALID_RESPONSE', 200) },
  { name: 'token_type not an HTTP auth-scheme ("Bea rer")', respond: badToken({ token_type: 'Bea rer' }), expect: fails('ERR_INVALID_RESPONSE', 200) },
  {
    name: 'token_type unknown ("N_A"): returned as spelled',
    respond: json(200, tok('corpus-type', { token_type: 'N_A' })),
    expect: gives('corpus-type', { tokenType: 'N_A' }),
  },
  { name: 'token_type lower-case "bearer" kept', respond: json(200, tok('corpus-lower', { token_type: 'bearer' })), expect: gives('corpus-lower', { tokenType: 'bearer' }) },

  // expires_in (§5.1: lifetime in seconds).
  { name: 'expires_in -1', respond: badToken({ expires_in: -1 }), expect: fails('ERR_INVALID_RESPONSE', 200) },
  { name: 'expires_in 1e309 (Infinity after JSON.parse)', respond: raw(200, `{"access_token":"${'x'.repeat(8)}","token_type":"Bearer","expires_in":1e309}`), expect: fails('ERR_INVALID_RESPONSE', 200) },
  { name: 'expires_in 1.7e308 (expiresAt beyond a Date)', respond: badToken({ expires_in: 1.7e308 }), expect: fails('ERR_INVALID_RESPONSE', 200) },
  { name: 'expires_in "abc"', respond: badToken({ expires_in: 'abc' }), expect: fails('ERR_INVALID_RESPONSE', 200) },
  { name: 'expires_in "3600" (a numeric string, as Azure AD v1)', respond: json(200, tok('corpus-exp-str', { expires_in: '3600' })), expect: gives('corpus-exp-str', { expiresIn: 3600 }) },
  { name: 'expires_in "3599" (built-in /expires-string)', path: '/expires-string', expect: gives('hostile-ok', { expiresIn: 3599 }) },
  { name: 'expires_in 3600.5', respond: json(200, tok('corpus-exp-frac', { expires_in: 3600.5 })), expect: gives('corpus-exp-frac', { expiresIn: 3600.5 }) },
  { name: 'expires_in null: no expiry', respond: json(200, tok('corpus-exp-null', { expires_in: null })), expect: gives('corpus-exp-null', { expiresIn: undefined }) },
  { name: 'scope an array', respond: badToken({ scope: ['read'] }), expect: fails('ERR_INVALID_RESPONSE', 200) },
  { name: 'refresh_token a number', respond: badToken({ refresh_token: 7 }), expect: fails('ERR_INVALID_RESPONSE', 200) },
  { name: 'scope narrowed (built-in /scope-narrowed)', path: '/scope-narrowed', expect: gives('hostile-ok', { scope: 'read' }) },

  // Errors (RFC 6749 §5.2).
  { name: 'a 200 carrying error', respond: json(200, { error: 'invalid_grant', error_description: 'no' }), expect: fails('ERR_OAUTH', 200, { error: 'invalid_grant' }) },
  {
    name: 'a 200 carrying error and a valid token: the token wins',
    respond: json(200, tok('corpus-error-and-token', { error: 'invalid_grant' })),
    expect: gives('corpus-error-and-token'),
  },
  {
    name: '400 §5.2 text with control characters (log injection): each becomes U+FFFD',
    respond: json(400, {
      error: 'invalid_request\u001b[31m',
      error_description: 'bad\r\n[INFO] login ok for admin\u0085',
      error_uri: 'https://docs.example/e\n',
    }),
    expect: fails('ERR_OAUTH', 400, {
      error: 'invalid_request\ufffd[31m',
      errorDescription: 'bad\ufffd\ufffd[INFO] login ok for admin\ufffd',
      errorUri: 'https://docs.example/e\ufffd',
    }),
    check: ({ error }) => assert.doesNotMatch(error.message, /[\u0000-\u001f\u007f-\u009f]/),
  },
  // Server text cleaning: C1 controls (U+0085 is a line break to some log
  // parsers, U+009B a terminal's CSI), TAB, U+2028/U+2029 and the bidi controls become U+FFFD
  // wherever server text is shown.
  {
    name: '400 §5.2 text with U+2028/U+2029 and bidi overrides and isolates: each becomes U+FFFD',
    respond: json(400, {
      error: 'invalid_grant\u202e',
      error_description: 'line\u2028[INFO] forged\u2029 \u202Egnp.exe\u202C \u2066admin\u2069 \u202a\u202b\u202d\u2067\u2068\u200e\u200f\u061c\tend',
      error_uri: 'https://docs.example/\u2066e\u2069',
    }),
    expect: fails('ERR_OAUTH', 400, {
      error: 'invalid_grant\ufffd',
      errorDescription: 'line\ufffd[INFO] forged\ufffd \ufffdgnp.exe\ufffd \ufffdadmin\ufffd \ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffdend',
      errorUri: 'https://docs.example/\ufffde\ufffd',
    }),
    check: (outcome) => {
      clean(outcome);
      assert.ok(outcome.error.message.includes('line\ufffd[INFO] forged\ufffd'), outcome.error.message);
    },
  },
  {
    name: 'a 200 carrying error with C1 controls and bidi overrides: cleaned',
    respond: json(200, { error: 'access_denied\u0085\u009b[2J', error_description: '\u202eno\u2028' }),
    expect: fails('ERR_OAUTH', 200, { error: 'access_denied\ufffd\ufffd[2J', errorDescription: '\ufffdno\ufffd' }),
    check: clean,
  },
  {
    name: 'a Content-Type with U+0085, U+009B and a TAB, quoted by ERR_HTTP_STATUS: each becomes U+FFFD',
    respond: wire(500, ['Content-Type: text/plain\u0085X\u009b[2J\tY'], 'Internal Server Error'),
    expect: fails('ERR_HTTP_STATUS', 500),
    check: (outcome) => {
      clean(outcome);
      assert.ok(outcome.error.message.includes(', content-type text/plain\ufffdX\ufffd[2J\ufffdY'), outcome.error.message);
    },
  },
  {
    name: 'a Content-Type with C1 controls on a 200 that is not a token, quoted by ERR_INVALID_RESPONSE',
    respond: wire(200, ['Content-Type: text/plain\u0085\u009b\t;charset=utf-8'], 'not json'),
    expect: fails('ERR_INVALID_RESPONSE', 200),
    check: (outcome) => {
      clean(outcome);
      assert.ok(outcome.error.message.includes('content-type text/plain\ufffd\ufffd\ufffd;charset=utf-8'), outcome.error.message);
    },
  },
  {
    name: 'a Set-Cookie Domain with U+0085, U+009B and a TAB, quoted in warnings: each becomes U+FFFD',
    respond: wire(200, ['Content-Type: application/json', 'Set-Cookie: sid=1; Domain=evil\u0085\u009b\tx.example; Path=/'],
      JSON.stringify(tok('corpus-cookie-c1'))),
    expect: gives('corpus-cookie-c1', {
      warnings: ['Cookie rejected: Illegal \'domain\' attribute "evil\ufffd\ufffd\ufffdx.example". Domain of origin: "127.0.0.1"'],
    }),
    check: clean,
  },
  {
    name: '400 with error, error_description and error_uri (built-in /error-uri)',
    path: '/error-uri',
    expect: fails('ERR_OAUTH', 400, {
      error: 'invalid_request', errorDescription: 'Hostile says no', errorUri: 'https://docs.example/errors#invalid_request',
    }),
  },
  {
    name: '400 §5.2 body with non-string error_description and error_uri: dropped',
    respond: json(400, { error: 'invalid_client', error_description: 5, error_uri: { href: 'x' } }),
    expect: fails('ERR_OAUTH', 400, { error: 'invalid_client', errorDescription: undefined, errorUri: undefined }),
  },
  { name: '400 with error a number: not a §5.2 body', respond: json(400, { error: 7 }), expect: fails('ERR_HTTP_STATUS', 400) },
  { name: '400 with error null', respond: json(400, { error: null, error_description: 'x' }), expect: fails('ERR_HTTP_STATUS', 400) },
  { name: '400 with error an array', respond: json(400, { error: ['invalid_grant'] }), expect: fails('ERR_HTTP_STATUS', 400) },

  // Statuses without a token or a §5.2 body.
  {
    name: '401 with only a WWW-Authenticate header',
    respond: raw(401, '', { 'www-authenticate': 'Basic realm="corpus"' }),
    expect: fails('ERR_HTTP_STATUS', 401),
  },
  { name: '204 No Content', respond: (req, res) => { res.writeHead(204); res.end(); }, expect: fails('ERR_INVALID_RESPONSE', 204) },
  { name: '304 Not Modified', respond: (req, res) => { res.writeHead(304); res.end(); }, expect: fails('ERR_HTTP_STATUS', 304) },
  { name: '429 with Retry-After', respond: raw(429, '', { 'retry-after': '120' }), expect: fails('ERR_HTTP_STATUS', 429) },
  { name: '500 with a text body', respond: raw(500, 'Internal Server Error', { 'content-type': 'text/plain' }), expect: fails('ERR_HTTP_STATUS', 500) },
  { name: '503 with Retry-After and an HTML page', respond: raw(503, '<html><body>Maintenance</body></html>', { 'content-type': 'text/html', 'retry-after': '30' }), expect: fails('ERR_HTTP_STATUS', 503) },
  { name: 'an HTML 502 page (built-in /html-502)', path: '/html-502', expect: fails('ERR_HTTP_STATUS', 502) },
  ...[301, 302, 303, 307, 308].map((status) => ({
    name: `${status} redirect: not followed`,
    respond: redirect(status),
    expect: fails('ERR_UNEXPECTED_REDIRECT', status),
    check: (outcome, hostile) => assert.equal(hostile.recorderHits(), 0, 'the redirect target was contacted'),
  })),

  // Size limit (maxResponseBytes, default 1 MiB).
  { name: 'a 5 MiB body with Content-Length (built-in /huge)', path: '/huge', expect: fails('ERR_RESPONSE_TOO_LARGE', undefined) },
  { name: 'a 5 MiB body without Content-Length (built-in /huge-chunked)', path: '/huge-chunked', expect: fails('ERR_RESPONSE_TOO_LARGE', undefined) },
  { name: 'the 5 MiB body with maxResponseBytes 6 MiB', path: '/huge', config: { maxResponseBytes: 6 << 20 }, expect: gives('hostile-huge') },
  { name: 'the chunked 5 MiB body with maxResponseBytes 6 MiB', path: '/huge-chunked', config: { maxResponseBytes: 6 << 20 }, expect: gives('hostile-huge') },
  {
    name: 'a gzip bomb: 8 KiB on the wire, 8 MiB decoded (the limit counts decoded bytes)',
    respond: raw(200, BOMB, { 'content-encoding': 'gzip' }),
    expect: fails('ERR_RESPONSE_TOO_LARGE', undefined),
  },
  { name: `a body of exactly maxResponseBytes (${LIMIT})`, respond: raw(200, exactly(LIMIT, 'corpus-at-limit')), config: { maxResponseBytes: LIMIT }, expect: gives('corpus-at-limit') },
  { name: `a body one byte over maxResponseBytes, with Content-Length`, respond: raw(200, exactly(LIMIT + 1, 'corpus-over')), config: { maxResponseBytes: LIMIT }, expect: fails('ERR_RESPONSE_TOO_LARGE', undefined) },
  {
    name: 'a body one byte over maxResponseBytes, chunked',
    respond: (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const body = exactly(LIMIT + 1, 'corpus-over');
      res.write(body.slice(0, 600));
      res.end(body.slice(600));
    },
    config: { maxResponseBytes: LIMIT },
    expect: fails('ERR_RESPONSE_TOO_LARGE', undefined),
  },

  // Transport faults.
  { name: 'a connection reset mid-body (RST)', respond: partThen((socket) => socket.resetAndDestroy()), expect: fails('ERR_NETWORK', undefined) },
  { name: 'a body cut short of its Content-Length (FIN)', respond: partThen((socket) => socket.destroySoon()), expect: fails('ERR_NETWORK', undefined) },
  { name: 'the connection closed without an answer', respond: (req) => req.socket.destroy(), expect: fails('ERR_NETWORK', undefined) },
  { name: 'an answer that is not HTTP', respond: (req) => req.socket.end('SSH-2.0-OpenSSH_9.2\r\n\r\n'), expect: fails('ERR_NETWORK', undefined) },
  {
    name: 'accepts and never answers (built-in /hang), timeoutSeconds 0.5',
    path: '/hang',
    config: { timeoutSeconds: 0.5 },
    expect: fails('ERR_TIMEOUT', undefined),
  },
  {
    name: 'a body that trickles one byte per 100 ms past timeoutSeconds 0.5',
    respond: (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 10_000 });
      res.write('{"access_token":"');
      const timer = setInterval(() => res.write('x'), 100);
      res.on('close', () => clearInterval(timer));
    },
    config: { timeoutSeconds: 0.5 },
    expect: fails('ERR_TIMEOUT', undefined),
  },

  // Cookies and the plain good case.
  {
    name: 'a foreign-domain cookie: one warning, the token still arrives',
    path: '/cookie-foreign',
    expect: gives('hostile-ok', { warnings: [COOKIE_WARNING] }),
  },
  { name: 'the same cookie with ignoreCookiesPolicy: no warning', path: '/cookie-foreign', config: { ignoreCookiesPolicy: true }, expect: gives('hostile-ok') },
  { name: 'a good token over plain http to 127.0.0.1 (built-in /token)', path: '/token', expect: gives('hostile-ok', { expiresIn: 3600, scope: undefined }) },
];

// --- The run -------------------------------------------------------------------------------

describe('hostile-server corpus', () => {
  let auth;
  let hostile;
  const routes = Object.fromEntries(CORPUS.filter((c) => c.respond).map((c, i) => [`/corpus/${i}`, c.respond]));
  let next = 0;
  for (const c of CORPUS) if (c.respond) c.path = `/corpus/${next++}`;

  before(async () => {
    [auth, hostile] = await Promise.all([startAuthServer(), startHostileServer({ routes })]);
  });
  after(async () => {
    await Promise.all([auth?.close(), hostile?.close()]);
  });

  test(`the corpus has at least 40 cases (${CORPUS.length}) with distinct names`, () => {
    assert.ok(CORPUS.length >= 40);
    assert.equal(new Set(CORPUS.map((c) => c.name)).size, CORPUS.length);
  });

  for (const c of CORPUS) {
    test(c.name, async () => {
      const config = {
        tokenEndpoint: hostile.url(c.path),
        grantType: 'password',
        clientId: CANARY_CLIENT_ID,
        clientSecret: CANARIES.clientSecret,
        username: 'corpus-user',
        password: CANARIES.password,
        ...c.config,
      };
      const hits = hostile.hits.get(c.path) ?? 0;
      const outcome = await requestToken(config).then((result) => ({ result }), (error) => ({ error }));
      assert.equal(hostile.hits.get(c.path), hits + 1, 'the server received exactly one request');

      if (c.expect.code) {
        const err = outcome.error;
        assert.ok(err, `expected ${c.expect.code}, got a token`);
        assert.ok(err instanceof OAuthTokenError, `not an OAuthTokenError: ${err?.name}: ${err?.code}`);
        assert.ok(err instanceof Error);
        assert.equal(err.name, 'OAuthTokenError');
        assert.ok(CODES.includes(err.code));
        assert.equal(err.code, c.expect.code, `message: ${leaksInError(err).length ? '(withheld)' : err.message}`);
        assert.equal(err.status, c.expect.status);
        for (const key of ['error', 'errorDescription', 'errorUri']) {
          if (key in c.expect) assert.equal(err[key], c.expect[key], key);
        }
        if (!['ERR_OAUTH'].includes(err.code)) assert.equal(err.error, undefined);
        if (['ERR_NETWORK', 'ERR_TIMEOUT'].includes(err.code)) assert.ok(err.cause !== undefined, 'the host error is the cause');
        assert.deepEqual(leaksInError(err), [], 'the error exposes a canary');
      } else {
        const r = outcome.result;
        assert.ok(r, `expected a token, got ${outcome.error?.code}: ${outcome.error?.message}`);
        assert.equal(r.accessToken, c.expect.token);
        assert.equal(r.json.access_token, r.accessToken, 'json is the body the token came from');
        assert.equal(r.tokenType, c.expect.tokenType ?? 'Bearer');
        if ('expiresIn' in c.expect) assert.equal(r.expiresIn, c.expect.expiresIn);
        if ('scope' in c.expect) assert.equal(r.scope, c.expect.scope);
        assert.deepEqual(r.warnings, c.expect.warnings ?? []);
      }
      await c.check?.(outcome, hostile);

      // The same instance serves a good request afterwards.
      const good = await requestToken({
        tokenEndpoint: auth.url, clientId: DEMO_CLIENTS.demo.id, clientSecret: DEMO_CLIENTS.demo.secret,
      });
      assert.equal(good.accessToken, auth.tokens.at(-1).accessToken);
    });
  }
});

