// A token endpoint of the tests' own for what real authorization servers won't do on purpose:
// hang, redirect, answer HTML, send a huge body, set a foreign-domain cookie...
// Each route is one row of ROUTES; add a row to add a case, or pass `routes` to
// startHostileServer for a test's own cases (the hostile corpus does). Listens on 127.0.0.1, port 0.

import http from 'node:http';

const HUGE_BYTES = 5 * 1024 * 1024;
const GOOD_TOKEN = { access_token: 'hostile-ok', token_type: 'Bearer', expires_in: 3600 };

/** A valid token JSON document of exactly `size` bytes (padding inside a string field). */
function hugeTokenJson(size) {
  const head = '{"access_token":"hostile-huge","token_type":"Bearer","padding":"';
  const tail = '"}';
  return Buffer.from(head + 'x'.repeat(size - head.length - tail.length) + tail);
}
let hugeBody; // built on first use, shared by every server
const huge = () => (hugeBody ??= hugeTokenJson(HUGE_BYTES));

const json = (res, status, obj, headers = {}) => {
  const body = JSON.stringify(obj);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
};

/**
 * path -> handler(req, res, ctx). ctx.recorderUrl is an absolute URL on the recorder server.
 * Handlers run after the request body has been read (as a string in `req.body`).
 */
const ROUTES = {
  // Accepts the request and never answers; close() destroys the socket.
  '/hang': () => {},
  '/redirect-302': (req, res, ctx) => {
    res.writeHead(302, { location: ctx.recorderUrl('/token'), 'content-length': 0 });
    res.end();
  },
  '/redirect-307': (req, res, ctx) => {
    res.writeHead(307, { location: ctx.recorderUrl('/token'), 'content-length': 0 });
    res.end();
  },
  // What a proxy or an SSO login page in front of the endpoint tends to return.
  '/html-502': (req, res) => {
    const body = '<!DOCTYPE html><html><head><title>Sign in</title></head>'
      + '<body><form action="/login" method="post"><input name="user"><input type="password" name="pw">'
      + '</form><p>502 Bad Gateway</p></body></html>';
    res.writeHead(502, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  },
  '/huge': (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': huge().length });
    res.end(huge());
  },
  // Same body, no Content-Length: Node sends it chunked.
  '/huge-chunked': (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const body = huge();
    const step = 64 * 1024;
    let offset = 0;
    const pump = () => {
      while (offset < body.length) {
        const chunk = body.subarray(offset, offset + step);
        offset += step;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    res.on('close', () => { offset = body.length; }); // client gave up: stop writing
    pump();
  },
  // One cookie for a foreign domain (must be rejected, RFC 6265 §5.3 step 6), one valid cookie.
  '/cookie-foreign': (req, res) =>
    json(res, 200, GOOD_TOKEN, { 'set-cookie': ['sid=1; Domain=evil.example; Path=/', 'ok=1; Path=/'] }),
  '/expires-string': (req, res) => json(res, 200, { ...GOOD_TOKEN, expires_in: '3599' }),
  // Grants less than asked, as RFC 6749 §3.3 allows (and then must say so in `scope`).
  '/scope-narrowed': (req, res) => json(res, 200, { ...GOOD_TOKEN, scope: 'read' }),
  // An RFC 6749 §5.2 error with every optional member.
  '/error-uri': (req, res) => json(res, 400, {
    error: 'invalid_request',
    error_description: 'Hostile says no',
    error_uri: 'https://docs.example/errors#invalid_request',
  }),
  // 200 responses that are not a token (§5.1).
  '/not-json': (req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
    res.end('ok');
  },
  '/no-access-token': (req, res) => json(res, 200, { token_type: 'Bearer', expires_in: 3600 }),
  '/token': (req, res) => json(res, 200, GOOD_TOKEN),
  // A valid token without expires_in (RFC 6749 §5.1 makes it optional).
  '/no-expiry': (req, res) => json(res, 200, { access_token: 'hostile-no-expiry', token_type: 'Bearer' }),
};

/** Starts an http server on loopback; returns it with its origin. */
async function listen(handler) {
  const server = http.createServer(handler);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

function stop(server) {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections(); // includes the hanging request's socket
  });
}

/** What a browser needs to send the token request cross-origin (the preflight's answer). */
const CORS_PREFLIGHT = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'authorization, content-type, accept',
  'access-control-allow-methods': 'POST',
};

/**
 * Starts the hostile server and its redirect target (the recorder).
 * With `cors`, every answer allows any origin and preflights are answered (not counted in
 * `hits`), so a page can reach the routes. `routes` adds (or overrides) path -> handler rows;
 * a handler may also take over the raw socket (`req.socket`) to reset it or write non-HTTP. `abandoned` counts, per path, the requests whose
 * connection the client closed before an answer (e.g. a fetch aborted while /hang hangs).
 * @param {{ cors?: boolean, routes?: Record<string, Function> }} [options]
 * @returns {Promise<{ origin: string, url: (path: string) => string, hits: Map<string, number>,
 *   abandoned: Map<string, number>, recorderUrl: (path: string) => string,
 *   recorderHits: () => number, close: () => Promise<void> }>}
 */
export async function startHostileServer({ cors = false, routes = {} } = {}) {
  const table = { ...ROUTES, ...routes };
  const hits = new Map();
  const abandoned = new Map();
  let recorderCount = 0;

  // Counts every request whatever its method or path; answers like a good token endpoint so a
  // client that followed a redirect would visibly succeed.
  const recorder = await listen((req, res) => {
    recorderCount += 1;
    req.resume();
    req.on('end', () => json(res, 200, { ...GOOD_TOKEN, access_token: 'followed-redirect' }));
  });
  const ctx = { recorderUrl: (path) => recorder.origin + path };

  const hostile = await listen((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (cors) {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, CORS_PREFLIGHT);
        return void res.end();
      }
      res.setHeader('access-control-allow-origin', '*');
    }
    hits.set(path, (hits.get(path) ?? 0) + 1);
    res.on('close', () => {
      if (!res.writableEnded) abandoned.set(path, (abandoned.get(path) ?? 0) + 1);
    });
    res.on('error', () => {}); // the client may drop big responses midway
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      req.body = Buffer.concat(chunks).toString('utf8');
      const route = table[path];
      if (!route) return json(res, 404, { error: 'not_found' });
      route(req, res, ctx);
    });
  });

  return {
    origin: hostile.origin,
    url: (path) => hostile.origin + path,
    hits,
    abandoned,
    recorderUrl: ctx.recorderUrl,
    recorderHits: () => recorderCount,
    close: () => Promise.all([stop(hostile.server), stop(recorder.server)]).then(() => {}),
  };
}

export const HOSTILE_ROUTES = Object.freeze(Object.keys(ROUTES));
