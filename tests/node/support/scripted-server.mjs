// A scripted HTTP server on 127.0.0.1: each request takes the next answer of a script (or the
// last one, repeated), and every request is recorded with the time it arrived. For retries and
// discovery: a token endpoint that answers 429 then 200, metadata at chosen paths.

import http from 'node:http';

/**
 * @typedef {{ status?: number, headers?: Record<string, string>, json?: unknown, body?: string }} Answer
 * @param {(req: { method: string, path: string, form: URLSearchParams, origin: string }) => Answer | undefined} [route]
 *   answers a request itself, or leaves it to the script (undefined)
 * @returns {Promise<{ origin: string, requests: Array<{ method: string, path: string, form: URLSearchParams, at: number }>,
 *   script: (answers: Answer[]) => void, close: () => Promise<void> }>}
 */
export async function startScriptedServer(route = () => undefined) {
  const requests = [];
  let answers = [];
  let origin;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const r = {
        method: req.method,
        path: req.url,
        form: new URLSearchParams(Buffer.concat(chunks).toString('utf8')),
        at: Date.now(),
        origin,
      };
      requests.push(r);
      const answer = route(r) ?? (answers.length > 1 ? answers.shift() : answers[0]) ?? { status: 500 };
      const body = answer.json !== undefined ? JSON.stringify(answer.json) : (answer.body ?? '');
      const type = answer.json !== undefined ? { 'content-type': 'application/json' } : {};
      res.writeHead(answer.status ?? 200, { ...type, ...answer.headers });
      res.end(body);
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    requests,
    /** The answers of the next requests, in order; the last one repeats. */
    script(list) {
      answers = [...list];
    },
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** A token response. */
export const token = (accessToken = 'tok', extra = {}) => ({
  json: { access_token: accessToken, token_type: 'Bearer', expires_in: 3600, ...extra },
});
