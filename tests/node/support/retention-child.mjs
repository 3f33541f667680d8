// Child process of retention.test.mjs, run with --expose-gc: does each case's token exchange on
// 127.0.0.1, drops every reference, lets the garbage collector and FinalizationRegistry callbacks
// run, then searches a heap snapshot and every WebAssembly.Memory of the package for each form of
// that case's canaries. Prints one JSON line of labels (never a canary's value):
//   { cases: [{ name, wire: { <what the server saw>: bool }, heap: [label], wasm: [label] }],
//     end: { heap, wasm }, control: { heap: [label] } }
//
// The canaries exist only in Buffers (random, so not in any source text either). A case makes
// the strings the API needs from them inside an async function whose locals die when it returns;
// the token server builds its answers from Buffers and checks what it received against Buffers,
// so the child itself holds no string of a canary when it searches.

import http from 'node:http';
import v8 from 'node:v8';
import { createHmac, generateKeyPairSync, randomInt, verify } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { requestToken, createConnection, OAuthTokenError } from 'oauth-token-connection';
import * as full from 'oauth-token-connection/full';

if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');

// The instance the package uses: its glue module's initSync() returns the live exports.
const glue = await import(new URL('./package.js', import.meta.resolve('oauth-token-connection')));
const fullGlue = await import(new URL('./package.js', import.meta.resolve('oauth-token-connection/full')));
const memories = [glue, fullGlue].flatMap((g) => Object.values(g.initSync()).filter((v) => v instanceof WebAssembly.Memory));
if (memories.length < 2) throw new Error('the package instances export no WebAssembly.Memory');

// --- Canaries, their wire forms, all as Buffers ---------------------------------------------

const bytes = (ascii) => Buffer.from(ascii, 'latin1');
const ALNUM = bytes('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789');
const B64 = bytes('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
const HEX = bytes('0123456789ABCDEF');
const CLIENT_ID = bytes('retention client'); // not secret; a space so that its form encoding differs

/** `tag`, 12 random letters or digits, `special`, 12 more: unique to this run. */
function canary(tag, special = '') {
  const random = () => Buffer.from(Array.from({ length: 12 }, () => ALNUM[randomInt(ALNUM.length)]));
  return Buffer.concat([bytes(tag), random(), bytes(special), random()]);
}

/** application/x-www-form-urlencoded (WHATWG, as URLSearchParams) of ASCII bytes. */
function formEncode(b) {
  const out = [];
  for (const c of b) {
    if (ALNUM.includes(c) || c === 0x2a || c === 0x2d || c === 0x2e || c === 0x5f) out.push(c);
    else if (c === 0x20) out.push(0x2b);
    else out.push(0x25, HEX[c >> 4], HEX[c & 15]);
  }
  return Buffer.from(out);
}

/** Base64 (RFC 4648, padded) without a string in between. */
function base64(b) {
  const out = Buffer.alloc(Math.ceil(b.length / 3) * 4, 0x3d);
  for (let i = 0, o = 0; i < b.length; i += 3, o += 4) {
    const n = (b[i] << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
    out[o] = B64[n >> 18];
    out[o + 1] = B64[(n >> 12) & 63];
    if (i + 1 < b.length) out[o + 2] = B64[(n >> 6) & 63];
    if (i + 2 < b.length) out[o + 3] = B64[n & 63];
  }
  return out;
}

const utf16le = (b) => {
  const out = Buffer.alloc(b.length * 2);
  b.forEach((c, i) => { out[i * 2] = c; });
  return out;
};

/** One case's canaries and the forms to search for, label -> bytes. */
function canaries() {
  const c = {
    secret: canary('RETSECRET', ' +:%'),
    password: canary('RETPASSWORD', ' +:%'),
    access: canary('RETACCESS'),
    refresh: canary('RETREFRESH'),
  };
  const colon = bytes(':');
  c.basic = base64(Buffer.concat([formEncode(CLIENT_ID), colon, formEncode(c.secret)])); // RFC 6749 2.3.1
  // A signing key (RSA, for private_key_jwt): a 32-byte slice of its private part as DER (in its
  // PKCS#1 and PKCS#8 forms alike), a 64-character line of its PKCS#1 PEM (the base64 of that
  // DER), and its JWK `d`. Its KeyObjects stay with the case; no string of it does.
  c.keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const der = c.keys.privateKey.export({ type: 'pkcs1', format: 'der' });
  const pemBody = base64(der);
  c.keyForms = {
    'private key (DER bytes of its private part)': der.subarray(der.length - 200, der.length - 168),
    'private key (a line of its PEM)': pemBody.subarray(pemBody.length - 320, pemBody.length - 256),
    'private key (JWK d)': bytes(c.keys.privateKey.export({ format: 'jwk' }).d).subarray(0, 48),
  };
  c.forms = {
    ...c.keyForms,
    'client secret': c.secret,
    'client secret, form-encoded': formEncode(c.secret),
    'Basic credential (base64 of the form-encoded id:secret, RFC 6749 2.3.1)': c.basic,
    'Basic credential (raw "id:secret")': Buffer.concat([CLIENT_ID, colon, c.secret]),
    password: c.password,
    'password, form-encoded': formEncode(c.password),
    'access token': c.access,
    'refresh token': c.refresh,
  };
  return c;
}

// --- The token endpoint and a REST resource on 127.0.0.1 -----------------------------------------

let current; // the running case's canaries and what the server saw
const json = (...parts) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? bytes(p) : p)));
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const c = current;
    const authorization = req.headers.authorization === undefined ? Buffer.alloc(0) : bytes(req.headers.authorization);
    const seen = c.wire;
    let status = 200;
    let answer;
    const assertion = new URLSearchParams(text(body)).get('client_assertion');
    if (assertion) {
      const [h, p, sig] = assertion.split('.');
      const input = bytes(`${h}.${p}`);
      seen['client assertion verified'] = JSON.parse(Buffer.from(h, 'base64url')).alg === 'HS256'
        ? createHmac('sha256', c.secret).update(input).digest().equals(Buffer.from(sig, 'base64url'))
        : verify('sha256', input, c.keys.publicKey, Buffer.from(sig, 'base64url'));
    }
    if (req.url === '/resource') {
      seen['resource got the access token'] = authorization.equals(json('Bearer ', c.access));
      status = seen['resource got the access token'] ? 200 : 401;
      answer = json('{"ok":true}');
    } else {
      if (authorization.length > 0) seen['Basic credential sent'] = authorization.equals(json('Basic ', c.basic));
      if (body.includes(bytes('client_secret='))) seen['client secret sent in the body'] = body.includes(json('client_secret=', formEncode(c.secret)));
      if (body.includes(bytes('password='))) seen['password sent'] = body.includes(json('password=', formEncode(c.password)));
      if (req.url === '/refuse') {
        status = 400;
        answer = json('{"error":"invalid_client","error_description":"refused"}');
      } else {
        answer = json('{"access_token":"', c.access, '","token_type":"Bearer","expires_in":3600,"refresh_token":"', c.refresh, '"}');
      }
    }
    // One request per connection: no socket of the HTTP client outlives the exchange.
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': answer.length, connection: 'close' });
    res.end(answer);
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;

// --- The cases: each returns booleans only ---------------------------------------------------

const text = (b) => b.toString('latin1');
const base = (c, path = '/token') => ({
  tokenEndpoint: `${origin}${path}`, clientId: text(CLIENT_ID), clientSecret: text(c.secret),
});
/** private_key_jwt with the case's key, in the form `as` gives it (PKCS#1 PEM, a private JWK). */
const signed = (c, as, path) => ({
  tokenEndpoint: `${origin}${path ?? '/token'}`,
  clientId: text(CLIENT_ID),
  clientAuthentication: 'private_key_jwt',
  privateKey: as === 'jwk' ? c.keys.privateKey.export({ format: 'jwk' }) : c.keys.privateKey.export({ type: 'pkcs1', format: 'pem' }),
});
const gotTokens = (c, r) => bytes(r.accessToken).equals(c.access) && bytes(r.refreshToken).equals(c.refresh);

const CASES = {
  // Harness check, no package: the same exchange with fetch alone must leave nothing either.
  'plain fetch, Basic (harness check, not the package)': async (c) => {
    const res = await fetch(`${origin}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${text(c.basic)}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const r = await res.json();
    return { 'tokens received': bytes(r.access_token).equals(c.access) };
  },
  'requestToken, header auth (Basic)': async (c) => ({ 'tokens received': gotTokens(c, await requestToken(base(c))) }),
  'requestToken, body auth': async (c) => ({
    'tokens received': gotTokens(c, await requestToken({ ...base(c), clientAuthentication: 'body' })),
  }),
  'requestToken, password grant': async (c) => ({
    'tokens received': gotTokens(c, await requestToken({ ...base(c), grantType: 'password', username: 'alice', password: text(c.password) })),
  }),
  'requestToken, refused (400 invalid_client)': async (c) => {
    try {
      await requestToken(base(c, '/refuse'));
      return { 'refused with ERR_OAUTH': false };
    } catch (e) {
      return { 'refused with ERR_OAUTH': e instanceof OAuthTokenError && e.code === 'ERR_OAUTH' };
    }
  },
  'full: requestToken, private_key_jwt (PKCS#1 PEM, rewrapped in wasm)': async (c) => ({
    'tokens received': gotTokens(c, await full.requestToken(signed(c, 'pem'))),
  }),
  'full: requestToken, private_key_jwt (a private JWK)': async (c) => ({
    'tokens received': gotTokens(c, await full.requestToken(signed(c, 'jwk'))),
  }),
  'full: requestToken, private_key_jwt, refused (400 invalid_client)': async (c) => {
    try {
      await full.requestToken(signed(c, 'pem', '/refuse'));
      return { 'refused with ERR_OAUTH': false };
    } catch (e) {
      return { 'refused with ERR_OAUTH': e instanceof full.OAuthTokenError && e.code === 'ERR_OAUTH' };
    }
  },
  'full: requestToken, client_secret_jwt': async (c) => ({
    'tokens received': gotTokens(c, await full.requestToken({ ...base(c), clientAuthentication: 'client_secret_jwt' })),
  }),
  'full: connection, private_key_jwt: two renewals, then dropped': async (c) => {
    const conn = full.createConnection(signed(c, 'pem'));
    const first = gotTokens(c, await conn.token());
    conn.invalidate();
    return { 'tokens received': first && gotTokens(c, await conn.token()) };
  },
  'connection: token(), one conn.fetch, then dropped': async (c) => {
    const conn = createConnection(base(c));
    const tokens = gotTokens(c, await conn.token());
    const res = await conn.fetch(`${origin}/resource`);
    await res.arrayBuffer();
    return { 'tokens received': tokens, 'REST call answered 200': res.status === 200 };
  },
};

// --- Settling and searching ----------------------------------------------------------------

/** Macrotasks and collections, alternating: FinalizationRegistry callbacks run after a GC. */
async function settle() {
  for (let i = 0; i < 5; i += 1) {
    await sleep(1);
    globalThis.gc();
  }
}

async function heapSnapshot() {
  const chunks = [];
  for await (const chunk of v8.getHeapSnapshot()) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Labels of `forms` found in the heap snapshot and in the package's wasm memories (also as UTF-16LE). */
async function search(forms) {
  const heap = await heapSnapshot();
  const wasm = memories.map((m) => Buffer.from(m.buffer));
  const found = { heap: [], wasm: [] };
  for (const [label, form] of forms) {
    for (const [needle, suffix] of [[form, ''], [utf16le(form), ' (UTF-16LE)']]) {
      if (heap.includes(needle)) found.heap.push(label + suffix);
      if (wasm.some((m) => m.includes(needle))) found.wasm.push(label + suffix);
    }
  }
  return found;
}

const out = { cases: [] };
const everything = [];
try {
  for (const [name, run] of Object.entries(CASES)) {
    current = { ...canaries(), wire: {} };
    const wire = Object.assign(await run(current), current.wire);
    const forms = Object.entries(current.forms);
    current = undefined;
    await settle();
    out.cases.push({ name, wire, ...(await search(forms)) });
    if (!name.startsWith('plain fetch')) everything.push(...forms.map(([label, form]) => [`${name}: ${label}`, form]));
  }
  await settle();
  out.end = await search(everything);

  // The search finds a string the heap still holds.
  const control = canary('RETCONTROL');
  globalThis.retentionControl = text(control);
  out.control = await search([['control string', control]]);
  delete globalThis.retentionControl;
} finally {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}
process.stdout.write(`${JSON.stringify(out)}\n`);
