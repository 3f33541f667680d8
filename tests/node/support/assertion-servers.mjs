// The token endpoints of the signed-assertion tests (tests/node/keys.test.mjs, the workerd,
// Chromium and runtime-matrix cases), each on 127.0.0.1 and a free port.
//
// oidc-provider (npm), in a child process (so that a test can move its own clock without moving
// the server's), for the client
// credentials grant with private_key_jwt and client_secret_jwt clients (RFC 7523 §2.2, OpenID
// Connect Core §9). It checks each client assertion itself: the signature against the client's
// registered JWKS (or its secret), iss, aud, exp, and jti (a replay is refused).
//
//   const op = await startOidcProvider([{ client_id, token_endpoint_auth_method, jwks, ... }]);
//   op.tokenEndpoint, op.issuer, await op.requests() (each token request's form), await op.close()
//
// startJwtBearerServer: Authlib's JWTBearerGrant (PyPI, tests/python/), in a child process too.
// startGoogleStyle: a Google-style endpoint in this process (node:crypto verifies), which takes
// the scope from the assertion's claim and refuses one without it, as Google does.

import http from 'node:http';
import { spawn } from 'node:child_process';
import { verify } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ALGORITHMS = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA', 'HS256', 'HS384', 'HS512'];
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs `command args`, waits for its `{"port":N}` line; the origin and a stop function. */
async function child(command, args) {
  const proc = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (c) => { stderr += c; });
  const lines = createInterface({ input: proc.stdout });
  const port = await new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`${command} exited (${code}) before listening: ${stderr}`)));
    lines.once('line', (line) => resolve(JSON.parse(line).port));
  });
  return {
    origin: `http://127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => {
      if (proc.exitCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill();
    }),
  };
}

/**
 * oidc-provider with these client registrations (grant client_credentials, scope `api`);
 * `cors`: the token endpoint answers cross-origin requests (for a page in Chromium).
 */
export async function startOidcProvider(clients, { cors = false } = {}) {
  const { origin, stop } = await child(process.execPath, [fileURLToPath(import.meta.url), JSON.stringify(clients), String(cors)]);
  return {
    issuer: origin,
    tokenEndpoint: `${origin}/token`,
    requests: async () => (await fetch(`${origin}/__requests`)).json(),
    close: stop,
  };
}

/**
 * Authlib's JWTBearerGrant (tests/python/jwt_bearer_server.py) with these issuers:
 * `{ [iss]: { jwk, users } }`. `seen()`: what each token request carried.
 */
export async function startJwtBearerServer(clients) {
  const python = `${ROOT}.tools/venv/bin/python`;
  const { origin, stop } = await child(python, ['tests/python/jwt_bearer_server.py', JSON.stringify({ clients })]);
  return { tokenEndpoint: `${origin}/token`, seen: async () => (await fetch(`${origin}/seen`)).json(), close: stop };
}

/** The child process: the provider itself. */
async function serve(clients, cors) {
  const { default: Provider } = await import('oidc-provider');
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: clients.map((c) => ({
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: 'api',
      ...c,
    })),
    clientAuthMethods: ['private_key_jwt', 'client_secret_jwt'],
    enabledJWA: { clientAuthSigningAlgValues: ALGORITHMS },
    features: { clientCredentials: { enabled: true }, devInteractions: { enabled: false } },
    scopes: ['api'],
    ...(cors ? { clientBasedCORS: () => true } : {}),
  });
  const requests = [];
  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (req.url === '/__requests') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(requests));
    }
    if (req.method === 'POST' && req.url === '/token') {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => requests.push(Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString()))));
    }
    return callback(req, res);
  });
  console.log(JSON.stringify({ port: server.address().port }));
}

/** A Google-style token endpoint: the scope comes from the assertion's claim, never the body. */
export async function startGoogleStyle(publicKey, keyId) {
  const seen = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const answer = (status, json) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      const jws = form.get('assertion') ?? '';
      const [h, c, s] = jws.split('.');
      const good = form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:jwt-bearer'
        && verify('sha256', Buffer.from(`${h}.${c}`), publicKey, Buffer.from(s ?? '', 'base64url'));
      if (!good) return answer(400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
      const [header, claims] = [h, c].map((part) => JSON.parse(Buffer.from(part, 'base64url')));
      seen.push({ header, claims, params: [...form.keys()] });
      const now = Date.now() / 1000;
      if (header.kid !== keyId || claims.aud !== `http://127.0.0.1:${server.address().port}/token`
        || !(claims.iat <= now + 5 && claims.exp > now && claims.exp - claims.iat <= 3600)) {
        return answer(400, { error: 'invalid_grant', error_description: 'Invalid JWT: claims' });
      }
      if (typeof claims.scope !== 'string' || claims.scope === '') {
        return answer(400, { error: 'invalid_scope', error_description: 'Invalid OAuth scope or ID token audience provided.' });
      }
      return answer(200, { access_token: `ya29.${Buffer.from(claims.iss).toString('base64url')}`, token_type: 'Bearer', expires_in: 3599, scope: claims.scope });
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/token`, seen, close: () => new Promise((r) => server.close(r)) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await serve(JSON.parse(process.argv[2]), process.argv[3] === 'true');
