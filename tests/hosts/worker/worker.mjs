// The test Worker (ES modules format). One Worker serves every case: POST a JSON
// TokenRequestConfig as the request body; it answers 200 with { ok: true, result, served } or
// { ok: false, error: {...}, served }. `served` counts the requests this isolate has handled, so
// the test can tell that one and the same instance (and wasm instance) answered every request.
//
// POST /connection with { config, url } runs README's connection pattern: one connection per
// isolate (module scope, created on first use), whose fetch() calls `url` with the token; it
// answers { ok, status, body, served }.
//
// POST /cached with { config } runs README's shared-cache pattern: one connection per isolate
// with `cache: env.TOKENS` (a KV namespace binding); it answers { ok, result, cacheKey, served }.
//
// POST /binding with { config, url } passes `fetch: env.MTLS.fetch.bind(env.MTLS)` (a service
// binding, shaped like an mtls_certificates binding) to requestToken, and to a connection whose
// fetch() calls `url`; it answers { ok, result, status, body, served }.
//
// It imports the package's `workerd` entry (the file that package.json's `workerd`/`worker`
// condition selects), which imports the .wasm as a module. support/worker-host.mjs lays the
// package files out next to this module under ./oauth-token-connection/.
import { requestToken, createConnection, OAuthTokenError } from './oauth-token-connection/workerd.js';

let served = 0;
let api; // one connection per isolate, as README shows
let shared; // the same, with the KV namespace as its cache

export default {
  async fetch(request, env) {
    if (request.method !== 'POST') return new Response('POST a config', { status: 405 });
    served += 1;
    const payload = await request.json();
    try {
      if (new URL(request.url).pathname === '/cached') {
        shared ??= createConnection({ ...payload.config, cache: env.TOKENS });
        const result = await shared.token();
        return Response.json({ ok: true, result, cacheKey: await shared.cacheKey(), served });
      }
      if (new URL(request.url).pathname === '/binding') {
        const fetch = env.MTLS.fetch.bind(env.MTLS);
        const result = await requestToken({ ...payload.config, fetch });
        const upstream = await createConnection({ ...payload.config, fetch }).fetch(payload.url);
        return Response.json({ ok: true, result, status: upstream.status, body: await upstream.json(), served });
      }
      if (new URL(request.url).pathname === '/connection') {
        api ??= createConnection(payload.config);
        const upstream = await api.fetch(payload.url);
        return Response.json({ ok: true, status: upstream.status, body: await upstream.json(), served });
      }
      const result = await requestToken(payload);
      return Response.json({ ok: true, result, served });
    } catch (err) {
      return Response.json({
        ok: false,
        served,
        error: {
          isOAuthTokenError: err instanceof OAuthTokenError,
          isError: err instanceof Error,
          name: err?.name,
          code: err?.code,
          status: err?.status,
          error: err?.error,
          errorDescription: err?.errorDescription,
          message: err?.message,
          stack: err?.stack,
          cause: err?.cause === undefined ? undefined : String(err.cause),
        },
      });
    }
  },
};
