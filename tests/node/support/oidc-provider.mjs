// oidc-provider (npm) on 127.0.0.1 and a free port, in a child process (so that a test can move
// its own clock without moving the server's), for the signed-assertion tests: the client
// credentials grant with private_key_jwt and client_secret_jwt clients (RFC 7523 §2.2, OpenID
// Connect Core §9). It checks each client assertion itself: the signature against the client's
// registered JWKS (or its secret), iss, aud, exp, and jti (a replay is refused).
//
//   const op = await startOidcProvider([{ client_id, token_endpoint_auth_method, jwks, ... }]);
//   op.tokenEndpoint, op.issuer, await op.requests() (each token request's form), await op.close()
//
// Also the same servers in other processes: startJwtBearerServer (Authlib, tests/python/).

import http from 'node:http';
import { spawn } from 'node:child_process';
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

/** oidc-provider with these client registrations (grant client_credentials, scope `api`). */
export async function startOidcProvider(clients) {
  const { origin, stop } = await child(process.execPath, [fileURLToPath(import.meta.url), JSON.stringify(clients)]);
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
async function serve(clients) {
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

if (process.argv[1] === fileURLToPath(import.meta.url)) await serve(JSON.parse(process.argv[2]));
