// The runtime-neutral acceptance suite: plain ESM, web-standard APIs only (console, URL, JSON,
// import.meta.resolve), no test framework; run unchanged by Node.js, Deno and Bun. The servers
// live in the harness (matrix.test.mjs); their URLs, the demo credentials and what this runtime
// is documented to do come as one JSON argument. Prints one JSON line per case, then a summary line:
//   {"case":"token password body","ok":true,"observed":{...}}
//   {"summary":{"passed":12,"failed":0,"total":12}}
// Nothing printed holds a secret or a token (failures name what differs, not token values). To add a case, add an entry to CASES.

import { requestToken, createConnection, OAuthTokenError } from 'oauth-token-connection';

// The one host-specific line: where the command-line arguments are.
const args = globalThis.Deno?.args ?? globalThis.process?.argv.slice(2) ?? [];
const cfg = JSON.parse(args[0]);
const { client, user, expect } = cfg;
const SECRETS = [client.secret, user.password];
const cookieWarning = (origin) =>
  `Cookie rejected: Illegal 'domain' attribute "evil.example". Domain of origin: "${new URL(origin).hostname}"`;

class Failure extends Error {}

function check(condition, what) {
  if (!condition) throw new Failure(what);
}

/** Equality of JSON values (strings, numbers, arrays of them...). */
function equal(actual, expected, what) {
  const [a, e] = [JSON.stringify(actual), JSON.stringify(expected)];
  check(a === e, `${what}: expected ${e}, got ${a}`);
}

/** Reads a dotted path (`cause.cause.code`) of an object. */
const at = (value, path) => path.split('.').reduce((v, key) => v?.[key], value);

/** The settings of the demo client against `tokenEndpoint`, plus `extra`. */
const settings = (tokenEndpoint, extra = {}) => ({
  tokenEndpoint,
  clientId: client.id,
  clientSecret: client.secret,
  ...extra,
});

/** A token result, checked the same way in every case; returns the facts worth printing. */
function checkToken(result, { scope, warnings = [] } = {}) {
  check(result !== null && typeof result === 'object', 'result is an object');
  check(typeof result.accessToken === 'string' && /^[\x20-\x7e]+$/.test(result.accessToken), 'accessToken is visible ASCII');
  check(result.json?.access_token === result.accessToken, 'json.access_token is accessToken');
  equal(result.tokenType, 'Bearer', 'tokenType');
  check(result.expiresIn === 3600 || result.expiresIn === 3599, `expiresIn 3600 or 3599, got ${result.expiresIn}`);
  check(Number.isFinite(result.expiresAt), 'expiresAt is a number');
  if (scope !== undefined) equal(result.scope, scope, 'scope');
  equal(result.warnings, warnings, 'warnings');
  return { tokenType: result.tokenType, expiresIn: result.expiresIn, scope: result.scope, warnings: result.warnings.length };
}

/** Awaits a request that must fail; checks what every failure must be; returns the error. */
async function failure(config) {
  let err;
  try {
    await requestToken(config);
  } catch (e) {
    err = e;
  }
  check(err !== undefined, 'the request failed');
  check(err instanceof OAuthTokenError, `an OAuthTokenError, got ${err?.name}: ${err?.message}`);
  check(err instanceof Error, 'instanceof Error');
  equal(err.name, 'OAuthTokenError', 'name');
  for (const secret of SECRETS) check(!err.message.includes(secret), 'the message holds no secret');
  return err;
}

const errorFacts = (err) => ({ code: err.code, status: err.status, error: err.error });

/** A good request right after a failure: the wasm instance is still usable. */
async function recovers() {
  checkToken(await requestToken(settings(cfg.authUrl)));
}

const tokenCase = (grantType, clientAuthentication) => ({
  name: `token ${grantType} ${clientAuthentication}`,
  async run() {
    const extra = grantType === 'password' ? { username: user.username, password: user.password } : {};
    const scope = 'read write';
    const result = await requestToken(settings(cfg.authUrl, { grantType, clientAuthentication, scope, ...extra }));
    return checkToken(result, { scope });
  },
});

const CASES = [
  {
    name: 'import',
    async run() {
      const resolved = import.meta.resolve('oauth-token-connection');
      const entry = resolved.slice(resolved.lastIndexOf('/') + 1);
      equal(entry, expect.entryFile, 'entry the exports map resolves to');
      equal(typeof requestToken, 'function', 'requestToken');
      return { entry };
    },
  },
  tokenCase('client_credentials', 'header'),
  tokenCase('client_credentials', 'body'),
  tokenCase('password', 'header'),
  tokenCase('password', 'body'),
  {
    name: 'ERR_OAUTH wrong client secret',
    async run() {
      const err = await failure(settings(cfg.authUrl, { clientSecret: 'not-the-secret' }));
      equal(err.code, 'ERR_OAUTH', 'code');
      equal(err.status, 401, 'status');
      equal(err.error, 'invalid_client', 'error');
      await recovers();
      return errorFacts(err);
    },
  },
  {
    name: 'ERR_OAUTH wrong user password',
    async run() {
      const err = await failure(settings(cfg.authUrl, {
        grantType: 'password', username: user.username, password: 'wrong horse battery',
      }));
      equal(err.code, 'ERR_OAUTH', 'code');
      equal(err.status, 400, 'status');
      equal(err.error, 'invalid_grant', 'error');
      await recovers();
      return errorFacts(err);
    },
  },
  {
    name: 'ERR_TIMEOUT',
    async run() {
      const err = await failure(settings(`${cfg.hostileOrigin}/hang`, { timeoutSeconds: 0.5 }));
      equal(err.code, 'ERR_TIMEOUT', 'code');
      await recovers();
      return { code: err.code };
    },
  },
  {
    name: 'cookie policy warning',
    async run() {
      const result = await requestToken(settings(`${cfg.hostileOrigin}/cookie-foreign`));
      const warnings = expect.cookieCheck ? [cookieWarning(cfg.hostileOrigin)] : [];
      check(result.accessToken === 'hostile-ok', 'the hostile server\'s token');
      equal(result.warnings, warnings, 'warnings');
      return { warnings: result.warnings };
    },
  },
  {
    name: 'cookie policy ignored',
    async run() {
      const result = await requestToken(settings(`${cfg.hostileOrigin}/cookie-foreign`, { ignoreCookiesPolicy: true }));
      check(result.accessToken === 'hostile-ok', 'the hostile server\'s token');
      equal(result.warnings.length, 0, 'warnings');
      return { warnings: result.warnings.length };
    },
  },
  {
    name: 'fetch option',
    async run() {
      // The caller's fetch is called for the token request with what the package asks of any fetch.
      const calls = [];
      const fetch = (input, init) => {
        calls.push({ redirect: init.redirect, signal: init.signal instanceof AbortSignal });
        return globalThis.fetch(input, init);
      };
      checkToken(await requestToken(settings(cfg.authUrl, { fetch })));
      equal(calls, [{ redirect: 'manual', signal: true }], 'calls of the fetch option');
      return { calls: calls.length };
    },
  },
  {
    name: 'TLS untrusted CA',
    async run() {
      const err = await failure(settings(cfg.tlsUntrustedUrl));
      const { code, path, equals, includes } = expect.tls;
      const detail = at(err, path);
      equal(err.code, code, 'code');
      if (equals !== undefined) equal(detail, equals, path);
      else check(String(detail).includes(includes), `${path} includes ${JSON.stringify(includes)}: ${detail}`);
      await recovers();
      return { code: err.code, [path]: path === 'message' ? includes : detail };
    },
  },
  {
    name: 'TLS trusted CA',
    async run() {
      return checkToken(await requestToken(settings(cfg.tlsTrustedUrl)));
    },
  },
  {
    name: 'connection reuse',
    async run() {
      // Scope `read` marks this case's token requests for the harness, which counts them (2).
      const conn = createConnection(settings(cfg.authUrl, { scope: 'read' }));
      const first = await conn.token();
      checkToken(first, { scope: 'read' });
      const statuses = [];
      for (let i = 0; i < 3; i += 1) {
        const res = await conn.fetch(`${cfg.resourceOrigin}/items/${i}`);
        statuses.push(res.status);
        const body = await res.json();
        equal(body.client, client.id, 'the resource saw the demo client');
      }
      equal(statuses, [200, 200, 200], 'REST statuses');
      const again = await conn.token();
      check(again.accessToken === first.accessToken, 'the held token is reused');
      check(conn.lastResult?.accessToken === first.accessToken, 'lastResult is the held token');
      conn.invalidate();
      const renewed = await conn.token();
      check(renewed.accessToken !== first.accessToken, 'invalidate() leads to a new token');
      return { restCalls: statuses.length, tokens: 2 };
    },
  },
  {
    name: 'connection single-flight',
    async run() {
      // Scope `write` marks this case's one token request for the harness.
      const conn = createConnection(settings(cfg.authUrl, { scope: 'write' }));
      const tokens = Array.from({ length: 25 }, () => conn.token());
      const calls = Array.from({ length: 25 }, (_, i) => conn.fetch(`${cfg.resourceOrigin}/flight/${i}`));
      const results = await Promise.all(tokens);
      const responses = await Promise.all(calls);
      equal(new Set(results.map((r) => r.accessToken)).size, 1, 'distinct tokens among 25 concurrent token()');
      equal([...new Set(responses.map((r) => r.status))], [200], 'statuses of 25 concurrent fetch()');
      await Promise.all(responses.map((r) => r.arrayBuffer()));
      return { concurrent: 50, distinctTokens: 1 };
    },
  },
  {
    name: 'connection invalid config',
    async run() {
      const conn = createConnection({ clientId: client.id });
      let err;
      try {
        await conn.token();
      } catch (e) {
        err = e;
      }
      check(err instanceof OAuthTokenError, 'an OAuthTokenError');
      equal(err.code, 'ERR_INVALID_CONFIG', 'code');
      return { code: err.code };
    },
  },
];

// The reporter: one line per case, then the summary.
let passed = 0;
for (const { name, run } of CASES) {
  try {
    const observed = await run();
    passed += 1;
    console.log(JSON.stringify({ case: name, ok: true, observed }));
  } catch (err) {
    const reason = err instanceof Failure ? err.message : `unexpected ${err?.name} ${err?.code ?? ''}: ${err?.message}`;
    console.log(JSON.stringify({ case: name, ok: false, reason }));
  }
}
console.log(JSON.stringify({ summary: { passed, failed: CASES.length - passed, total: CASES.length } }));
