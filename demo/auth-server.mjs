// A real OAuth 2.0 authorization server for the demo and the integration tests:
// @node-oauth/oauth2-server 5.3 with an in-memory model, wrapped in node:http (or node:https).
// Listens on 127.0.0.1, port 0. Only the token endpoint (POST /token) exists.
// Run on its own, `node demo/auth-server.mjs [--port N]` serves it with CORS and prints the demo
// credentials.
//
// Behaviour of this library worth knowing (RFC 6749 §2.3.1, Appendix A):
// - Basic credentials are base64-decoded but never URL-decoded, split at the first ':', and
//   checked as VSCHAR (printable ASCII). Secrets with special characters therefore only match
//   over Basic when the client sends them unencoded (basicEncoding 'none').
// - client_secret is checked as VSCHAR in the body too: a non-ASCII secret is refused with
//   400 invalid_request before the model is asked. `special-client` exists to test the wire
//   encoding of such a secret, not to obtain a token.
// - A wrong secret gives 401 + `WWW-Authenticate: Basic realm="Service"` over Basic, 400 over body.
// - expires_in is computed as floor((expiresAt - now) / 1000): 3600, or 3599 when a millisecond
//   passes between issuing and answering.

import http from 'node:http';
import https from 'node:https';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import OAuth2Server from '@node-oauth/oauth2-server';

const { Request, Response, OAuthError } = OAuth2Server;

/** Scopes this server knows; anything else is invalid_scope. */
export const KNOWN_SCOPES = Object.freeze(['read', 'write', 'admin']);
/** Scope granted when the request has none. */
export const DEFAULT_SCOPE = 'read';
export const ACCESS_TOKEN_LIFETIME = 3600;
/** Largest request body the server reads. */
const MAX_REQUEST_BODY = 64 * 1024;

/** Registered clients (id -> secret, grants). */
export const DEMO_CLIENTS = Object.freeze({
  demo: Object.freeze({ id: 'demo-client', secret: 'demo-secret', grants: ['client_credentials', 'password', 'refresh_token'] }),
  // + / % & = : space and a non-ASCII character; refused by the server's VSCHAR check (see above).
  special: Object.freeze({ id: 'special-client', secret: 'p+s/%&=: ü', grants: ['client_credentials', 'password'] }),
  // ASCII special characters without ':' (Basic splits at the first ':'): usable in body mode
  // and, with basicEncoding 'none', in header mode.
  asciiSpecial: Object.freeze({ id: 'ascii-special', secret: 'a+b/c%d&e=f', grants: ['client_credentials', 'password'] }),
});

/** Resource owners for the password grant. */
export const DEMO_USERS = Object.freeze({
  alice: Object.freeze({ username: 'alice', password: 'correct horse' }),
});

/** In-memory model; `tokens` receives every issued token (a revoked one gets `revoked: true`). */
function createModel(tokens) {
  const clients = Object.values(DEMO_CLIENTS);
  const users = Object.values(DEMO_USERS);
  return {
    async getClient(clientId, clientSecret) {
      const c = clients.find((x) => x.id === clientId);
      // A null secret only happens for grants without client authentication (none here).
      if (!c || clientSecret == null || c.secret !== clientSecret) return null;
      return { id: c.id, grants: [...c.grants] };
    },
    async getUserFromClient(client) {
      return { id: `client:${client.id}` };
    },
    async getUser(username, password) {
      const u = users.find((x) => x.username === username && x.password === password);
      return u ? { id: u.username } : null;
    },
    // `scope` is the parsed request scope: an array of strings, or undefined when absent.
    async validateScope(user, client, scope) {
      if (!scope || scope.length === 0) return [DEFAULT_SCOPE];
      return scope.every((s) => KNOWN_SCOPES.includes(s)) ? scope : false;
    },
    async saveToken(token, client, user) {
      const saved = { ...token, client, user };
      tokens.push(saved);
      return saved;
    },
    // RFC 6749 §6 (refresh_token grant) and RFC 6750 (the resource server's token lookup).
    async getRefreshToken(refreshToken) {
      return tokens.find((t) => t.refreshToken === refreshToken && !t.refreshRevoked) ?? null;
    },
    // Called on refresh: the library issues a new refresh token and revokes the old (rotation).
    async revokeToken(token) {
      const t = tokens.find((x) => x.refreshToken === token.refreshToken);
      if (!t || t.refreshRevoked) return false;
      t.refreshRevoked = true;
      return true;
    },
    async getAccessToken(accessToken) {
      return tokens.find((t) => t.accessToken === accessToken && !t.revoked) ?? null;
    },
  };
}

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'authorization, content-type, accept',
  'access-control-allow-methods': 'POST',
  'access-control-max-age': '600',
};

/** Reads the whole request body as a string, or null when it exceeds `limit` bytes. */
function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size <= limit ? Buffer.concat(chunks).toString('utf8') : null));
    req.on('error', reject);
  });
}

/**
 * Starts the authorization server.
 * @param {{ tls?: { key: string|Buffer, cert: string|Buffer }, cors?: boolean,
 *   accessTokenLifetime?: number, port?: number, tokens?: object[] }} [options] (`tokens`: a
 *   token store to share, e.g. with a restarted server)
 * @returns {Promise<{ url: string, origin: string, port: number,
 *   requests: Array<{ method: string, path: string, headers: object, body: string }>,
 *   responses: Array<{ status: number, headers: object, body: string }>,
 *   tokens: object[], authenticate: (headers: object) => Promise<object>,
 *   revoke: (accessToken: string) => void, revokeRefreshToken: (refreshToken: string) => void,
 *   close: () => Promise<void> }>}
 */
export async function startAuthServer({ tls, cors = false, accessTokenLifetime = ACCESS_TOKEN_LIFETIME, port: wantedPort = 0, tokens = [] } = {}) {
  const requests = [];
  const responses = [];
  const oauth = new OAuth2Server({
    model: createModel(tokens),
    accessTokenLifetime,
  });

  const send = (res, status, headers, body) => {
    const all = { ...(cors ? { 'access-control-allow-origin': '*' } : {}), ...headers };
    if (body !== undefined) all['content-length'] = Buffer.byteLength(body);
    responses.push({ status, headers: all, body: body ?? '' });
    res.writeHead(status, all);
    res.end(body);
  };
  const sendJson = (res, status, headers, obj) =>
    send(res, status, { ...headers, 'content-type': 'application/json; charset=utf-8' }, JSON.stringify(obj));

  async function handle(req, res) {
    const url = new URL(req.url, 'http://127.0.0.1');
    const body = await readBody(req, MAX_REQUEST_BODY);
    requests.push({ method: req.method, path: url.pathname, headers: { ...req.headers }, body });

    if (cors && req.method === 'OPTIONS') return send(res, 204, CORS_HEADERS);
    if (url.pathname !== '/token') return sendJson(res, 404, {}, { error: 'not_found' });
    if (body === null) return sendJson(res, 413, {}, { error: 'invalid_request', error_description: 'Body too large' });

    const request = new Request({
      method: req.method,
      headers: req.headers,
      query: Object.fromEntries(url.searchParams),
      body: Object.fromEntries(new URLSearchParams(body)),
    });
    const response = new Response({});
    try {
      await oauth.token(request, response);
      sendJson(res, response.status, response.headers, response.body);
    } catch (err) {
      // Same shape as the library's own updateErrorResponse (RFC 6749 §5.2); errors thrown before
      // its try block (wrong method or content type) never reach that function.
      const e = err instanceof OAuthError ? err : new OAuth2Server.ServerError(err);
      sendJson(res, e.code, response.headers, { error: e.name, error_description: e.message });
    }
  }

  const listener = (req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) sendJson(res, 500, {}, { error: 'server_error', error_description: String(err) });
      else res.destroy();
    });
  };
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, listener) : http.createServer(listener);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(wantedPort, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  const origin = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;

  return {
    url: `${origin}/token`,
    origin,
    port,
    requests,
    responses,
    tokens,
    /**
     * The library's own bearer token check (RFC 6750 §2.1), for a resource server: resolves the
     * saved token, or rejects with the library's error (`name` invalid_token when unknown,
     * revoked or expired).
     */
    async authenticate(headers) {
      const request = new Request({ method: 'GET', headers, query: {}, body: {} });
      return oauth.authenticate(request, new Response({}));
    },
    /** Revokes an access token: the resource server refuses it from now on. */
    revoke(accessToken) {
      for (const t of tokens) if (t.accessToken === accessToken) t.revoked = true;
    },
    /** Revokes a refresh token: a refresh with it gets invalid_grant. */
    revokeRefreshToken(refreshToken) {
      for (const t of tokens) if (t.refreshToken === refreshToken) t.refreshRevoked = true;
    },
    /** Stops listening and drops kept-alive connections. */
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** Run on its own (`node demo/auth-server.mjs [--port N]`): serves until Ctrl-C, with CORS. */
async function main(argv) {
  const { values } = parseArgs({ args: argv, options: { port: { type: 'string', default: '0' } } });
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) throw new Error('--port expects a port number');
  const server = await startAuthServer({ cors: true, port });
  const { demo } = DEMO_CLIENTS;
  const { alice } = DEMO_USERS;
  console.log(`Demo authorization server: ${server.url}`);
  console.log(`  client id "${demo.id}", client secret "${demo.secret}" (${demo.grants.join(', ')})`);
  console.log(`  user "${alice.username}", password "${alice.password}" (password grant)`);
  console.log(`  scopes: ${KNOWN_SCOPES.join(', ')} (default ${DEFAULT_SCOPE}); Ctrl-C stops it`);
  await new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(err.message);
    process.exitCode = 1;
  });
}
