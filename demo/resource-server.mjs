// A REST resource server: the demo's (scripts/demo.mjs serves it next to the demo authorization
// server for the tester's "Use the token" panel) and the tests'. Accepts only access tokens the
// authorization server issued, checked with that server library's own bearer token lookup (RFC 6750 §2.1, §3.1).
// Listens on 127.0.0.1, port 0.
//
// Routes:
//   any path      authenticated: 200 JSON { ok, method, path, body, client, user }, or 401 with
//                 `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3.1)
//   /echo         unauthenticated: 200 JSON { method, path, headers, body }
// `rejectAll = true` answers 401 to every authenticated call (a resource that never accepts).
// With `{ cors: true }` it answers CORS preflights (Authorization and Content-Type headers) and
// allows any origin, exposing WWW-Authenticate, for pages.

import http from 'node:http';

/**
 * @param {{ authenticate: (headers: object) => Promise<object> }} auth the authorization server
 * @param {{ cors?: boolean }} [options]
 */
export async function startResourceServer(auth, { cors = false } = {}) {
  /** Every call: { method, path, authorization, body, status, reason }. */
  const calls = [];
  const state = { rejectAll: false };

  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = new URL(req.url, 'http://127.0.0.1').pathname;
    const corsHeaders = cors
      ? { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'www-authenticate' }
      : {};
    if (cors && req.method === 'OPTIONS') {
      res.writeHead(204, {
        ...corsHeaders,
        'access-control-allow-headers': 'authorization, content-type',
        'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE',
      });
      return res.end();
    }
    const call = { method: req.method, path, authorization: req.headers.authorization, body, status: 0, reason: '' };
    calls.push(call);
    const json = (status, obj, headers = {}) => {
      call.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...corsHeaders, ...headers });
      res.end(JSON.stringify(obj));
    };
    if (path === '/echo') return json(200, { method: req.method, path, headers: req.headers, body });
    try {
      if (state.rejectAll) throw Object.assign(new Error('this resource refuses every token'), { name: 'invalid_token' });
      const token = await auth.authenticate(req.headers);
      json(200, { ok: true, method: req.method, path, body, client: token.client.id, user: token.user.id });
    } catch (e) {
      call.reason = e.message;
      json(401, { error: 'invalid_token', error_description: e.message }, {
        'www-authenticate': 'Bearer error="invalid_token"',
      });
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    calls,
    state,
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
