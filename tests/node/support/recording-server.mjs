// A plain node:http server on 127.0.0.1 that records every request (method, path, headers, body)
// and answers through a routing function, for the tests of where a connection's token goes:
// a resource server, an "attacker" on another origin (another port is another origin), a
// redirect chain. Listens on port 0; each test starts and stops its own.

import http from 'node:http';

/**
 * @param {(req: { method: string, path: string, headers: object, body: string },
 *          res: http.ServerResponse, ctx: { origin: string }) => void} [route]
 *   answers one request (after its body was read); the default answers 200 `{"ok":true}`
 * @returns {Promise<{ origin: string, url: (path: string) => string,
 *   requests: Array<{ method: string, path: string, headers: object, rawHeaders: string[], body: string }>,
 *   close: () => Promise<void> }>}
 */
export async function startRecordingServer(route = ok) {
  const requests = [];
  const ctx = {};
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const seen = {
        method: req.method,
        path: req.url,
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(seen);
      route(seen, res, ctx);
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  ctx.origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin: ctx.origin,
    url: (path) => ctx.origin + path,
    requests,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** 200 `{"ok":true,...}` echoing the method and path. */
export function ok(req, res) {
  send(res, 200, { ok: true, method: req.method, path: req.path });
}

/** A JSON answer. */
export function send(res, status, value, headers = {}) {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** A redirect with `location` and an empty body. */
export function redirect(res, status, location) {
  res.writeHead(status, { location, 'content-length': 0 });
  res.end();
}
