// Serves the connection tester: www/ at /, the built package (pkg/) at /pkg/ and, when given, the
// embedded demo server's settings at /demo-config.json (the "Use demo server" button). Static
// files only, GET and HEAD only, on 127.0.0.1. The page handles secrets, so every answer carries
// a strict Content-Security-Policy (scripts from this origin only; form submission disabled, so
// a secret can never end up in a URL) and no-referrer.

import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** URL prefix -> directory; the first match wins. */
const MOUNTS = [
  ['/pkg/', resolve(REPO_ROOT, 'pkg')],
  ['/', resolve(REPO_ROOT, 'www')],
];
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ts': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};
const HEADERS = {
  // connect-src *: the page calls whatever token endpoint the user enters (CORS decides).
  // 'wasm-unsafe-eval' lets the page compile the package's .wasm, nothing else.
  'content-security-policy': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
    + "style-src 'self'; img-src 'self' data:; connect-src *; object-src 'none'; base-uri 'none'; "
    + "form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

/** The file for a URL path, or null when it is outside every mount or a dotfile. */
function fileFor(pathname) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  for (const [prefix, dir] of MOUNTS) {
    if (!decoded.startsWith(prefix)) continue;
    let rest = decoded.slice(prefix.length);
    if (rest === '' || rest.endsWith('/')) rest += 'index.html';
    const file = resolve(dir, rest);
    if (!file.startsWith(dir + sep)) return null;
    if (file.slice(dir.length).split(sep).some((part) => part.startsWith('.'))) return null;
    return file;
  }
  return null;
}

/**
 * Starts the tester's static server.
 * @param {{ port?: number, demoConfig?: object }} [options] demoConfig: settings of the embedded
 *   demo server only (its client secret is public demo data); never a real endpoint's secrets.
 * @returns {Promise<{ url: string, origin: string, port: number, close: () => Promise<void> }>}
 */
export async function startTesterServer({ port = 0, demoConfig } = {}) {
  const send = (res, status, type, body, method) => {
    res.writeHead(status, { ...HEADERS, 'content-type': type, 'content-length': body.length });
    res.end(method === 'HEAD' ? undefined : body);
  };
  const notFound = (res, method) => send(res, 404, 'text/plain; charset=utf-8', Buffer.from('Not found\n'), method);

  const server = http.createServer(async (req, res) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { ...HEADERS, allow: 'GET, HEAD', 'content-length': 0 });
        return res.end();
      }
      const { pathname } = new URL(req.url, 'http://127.0.0.1');
      if (pathname === '/demo-config.json') {
        if (!demoConfig) return notFound(res, req.method);
        return send(res, 200, TYPES['.json'], Buffer.from(JSON.stringify(demoConfig)), req.method);
      }
      const file = fileFor(pathname);
      if (!file) return notFound(res, req.method);
      let body;
      try {
        body = await readFile(file);
      } catch {
        return notFound(res, req.method);
      }
      send(res, 200, TYPES[extname(file)] ?? 'application/octet-stream', body, req.method);
    } catch {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', Buffer.from('Server error\n'), req.method);
      else res.destroy();
    }
  });
  await new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolvePromise);
  });
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    url: `${origin}/`,
    origin,
    port: server.address().port,
    close() {
      return new Promise((resolvePromise) => {
        server.close(() => resolvePromise());
        server.closeAllConnections();
      });
    },
  };
}

/** The demo server's settings for the "Use demo server" button. */
export function demoConfigFor(authServer, { DEMO_CLIENTS, DEMO_USERS }, resourceServer) {
  return {
    // The REST resource for the tester's "Use the token" panel, when one runs next to the server.
    ...(resourceServer ? { restUrl: `${resourceServer.origin}/api/profile` } : {}),
    tokenEndpoint: authServer.url,
    clientId: DEMO_CLIENTS.demo.id,
    clientSecret: DEMO_CLIENTS.demo.secret, // public demo data
    scope: 'read write',
    username: DEMO_USERS.alice.username,
    password: DEMO_USERS.alice.password, // public demo data
  };
}
