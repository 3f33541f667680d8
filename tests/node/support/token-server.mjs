// A recording token endpoint on 127.0.0.1 (plain node:http): answers every POST with a token
// (`token-1`, `token-2`, ...) and any other request with `{"ok":true}` (a REST resource), and
// records what each request carried, so a test can check which credentials went out. Optionally
// answers CORS preflights (for pages on another origin) and waits before answering.

import http from 'node:http';

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'authorization, content-type, accept',
  'access-control-allow-methods': 'POST',
};

/**
 * @param {{ cors?: boolean, delayMs?: number }} [options]
 * @returns {Promise<{ url: string, origin: string,
 *   requests: Array<{ method: string, path: string, authorization?: string, form: URLSearchParams }>,
 *   credentials: () => Array<{ id: string|null, secret: string|null }>, reset: () => void,
 *   close: () => Promise<void> }>}
 *   (`credentials()`: those of the token requests, the POSTs, in order)
 */
export async function startTokenServer({ cors = false, delayMs = 0 } = {}) {
  const requests = [];
  const timers = new Set();
  let issued = 0;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const extra = cors ? CORS : {};
      if (req.method === 'OPTIONS') {
        res.writeHead(204, extra).end();
        return;
      }
      requests.push({
        method: req.method,
        path: req.url,
        authorization: req.headers.authorization,
        form: new URLSearchParams(Buffer.concat(chunks).toString('utf8')),
      });
      let body = '{"ok":true}';
      if (req.method === 'POST') {
        issued += 1;
        body = JSON.stringify({ access_token: `token-${issued}`, token_type: 'Bearer', expires_in: 3600 });
      }
      const answer = () => {
        timers.delete(timer);
        res.writeHead(200, { ...extra, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      };
      const timer = setTimeout(answer, delayMs);
      timers.add(timer);
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    url: `${origin}/token`,
    origin,
    requests,
    /** (client id, secret) of each token request, from the Basic header (RFC 6749 §2.3.1) or the body. */
    credentials: () => requests.filter((r) => r.method === 'POST').map(credentialsOf),
    /** Forgets the recorded requests; the next token is `token-1` again. */
    reset() {
      requests.length = 0;
      issued = 0;
    },
    close: () => new Promise((resolve) => {
      for (const t of timers) clearTimeout(t);
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** The client credentials one request carried: Basic (form-decoded, §2.3.1) or body parameters. */
export function credentialsOf({ authorization, form }) {
  if (authorization?.startsWith('Basic ')) {
    const pair = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
    const at = pair.indexOf(':');
    const decode = (s) => new URLSearchParams(`v=${s}`).get('v');
    return { id: decode(pair.slice(0, at)), secret: decode(pair.slice(at + 1)) };
  }
  return { id: form.get('client_id'), secret: form.get('client_secret') };
}
