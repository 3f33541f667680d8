// A small static file server on 127.0.0.1 for the browser tests: serves directories under URL
// prefixes with the content types browsers insist on (application/wasm for instantiateStreaming,
// text/javascript for modules) and records every request path.

import http from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * @param {Record<string, string>} mounts URL prefix ('/', '/pkg/') -> directory; longest wins.
 * @returns {Promise<{ origin: string, paths: string[], close: () => Promise<void> }>}
 */
export async function startStaticServer(mounts) {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const paths = [];
  const server = http.createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    paths.push(path);
    const prefix = prefixes.find((p) => path.startsWith(p));
    const root = prefix && resolve(mounts[prefix]);
    let file = root && resolve(join(root, path.slice(prefix.length)));
    if (!file || (file !== root && !file.startsWith(root + sep)) || req.method !== 'GET') {
      res.writeHead(404).end();
      return;
    }
    try {
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const body = await readFile(file);
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': body.length,
        'cache-control': 'no-store',
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ok);
  });
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    paths,
    close: () => new Promise((ok) => {
      server.close(() => ok());
      server.closeAllConnections();
    }),
  };
}
