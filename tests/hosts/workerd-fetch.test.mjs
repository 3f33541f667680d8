// Cloudflare Workers: the `fetch` option with a binding's fetch, as README's mTLS recipe shows
// (`fetch: env.MY_CERT.fetch.bind(env.MY_CERT)`). The test Worker runs in workerd (miniflare)
// with a service binding `MTLS` (a Fetcher, like an mtls_certificates binding) whose other end is
// this process: the token request and the connection's REST call must arrive there, and nothing
// through the Worker's global fetch (the endpoint's host does not resolve).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

import { startWorker } from './support/worker-host.mjs';

const PKG = fileURLToPath(new URL('../../pkg/', import.meta.url));

describe('Cloudflare Workers (workerd via miniflare): fetch through a binding', () => {
  let worker;
  const seen = [];

  before(async () => {
    worker = await startWorker(PKG, {
      serviceBindings: {
        async MTLS(request) {
          seen.push({ method: request.method, url: request.url, body: await request.text() });
          if (request.method === 'POST') {
            return Response.json({ access_token: 'via-binding', token_type: 'Bearer', expires_in: 3600 });
          }
          return Response.json({ ok: true, authorization: request.headers.get('authorization') });
        },
      },
    });
  });
  after(async () => {
    await worker?.dispose();
  });

  test('the token request and the REST call go through env.MTLS.fetch', async () => {
    const config = {
      tokenEndpoint: 'https://mtls.auth.invalid/token',
      clientId: 'worker-client',
      clientAuthentication: 'tls_client_auth',
    };
    const out = await worker.post('/binding', { config, url: 'https://api.invalid/items' });
    assert.equal(out.ok, true, out.error?.message);
    assert.equal(out.result.accessToken, 'via-binding');
    assert.equal(out.status, 200);
    assert.deepEqual(out.body, { ok: true, authorization: 'Bearer via-binding' });
    const [token, connectionToken, rest] = seen;
    assert.equal(seen.length, 3);
    for (const r of [token, connectionToken]) {
      assert.deepEqual([r.method, r.url], ['POST', 'https://mtls.auth.invalid/token']);
      assert.equal(r.body, 'grant_type=client_credentials&client_id=worker-client');
    }
    assert.deepEqual([rest.method, rest.url], ['GET', 'https://api.invalid/items']);
  });
});
