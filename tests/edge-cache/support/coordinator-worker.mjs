// The coordinator's test Worker: the same module in each of several Workers, bound to one Durable
// Object namespace (TOKENS, the package's OAuthTokenCoordinator), a KV namespace (KV), and two
// objects that fail (HUNG never answers, BROKEN throws). POST a JSON payload:
//   /tokens    { config, n, store }  n fresh connections call token() at once
//   /kept/...  { config, name, store, url? }  a connection kept at module scope under `name`:
//              /kept/token, /kept/fetch (its fetch(url)), /kept/invalidate
//   /key       { config, store }  a connection's cacheKey()
//   /ask       { name, settings }  a raw ask to the object named `name`, with these settings
// `store` names the binding the connection shares through: TOKENS (default), HUNG, BROKEN, KV,
// or NONE (no sharing).
import { createConnection, OAuthTokenCoordinator } from './oauth-token-connection/workerd.js';

export { OAuthTokenCoordinator };

/** An object that never answers. */
export class Hung {
  fetch() {
    return new Promise(() => {});
  }
}

/** An object that throws. */
export class Broken {
  fetch() {
    throw new Error('this object is broken');
  }
}

const kept = new Map();

function connect(env, { config, store = 'TOKENS' }) {
  if (store === 'NONE') return createConnection(config);
  const shared = store === 'KV' ? { cache: env.KV } : { coordinator: env[store] };
  return createConnection({ ...config, ...shared });
}

const summary = (r) => ({ accessToken: r.accessToken, expiresAt: r.expiresAt, refreshToken: r.refreshToken, warnings: r.warnings });
const failure = (e) => ({ error: { code: e?.code, error: e?.error, message: e?.message } });

export default {
  async fetch(request, env) {
    const payload = await request.json();
    const path = new URL(request.url).pathname;
    if (path === '/tokens') {
      const all = Array.from({ length: payload.n }, () => connect(env, payload).token().then(summary, failure));
      return Response.json(await Promise.all(all));
    }
    if (path === '/key') return Response.json({ key: await connect(env, payload).cacheKey() });
    if (path === '/ask') {
      const stub = env.TOKENS.get(env.TOKENS.idFromName(payload.name));
      const init = { method: 'POST', body: JSON.stringify({ settings: payload.settings }) };
      return new Response((await stub.fetch('https://coordinator.test/ask', init)).body);
    }
    if (!kept.has(payload.name)) kept.set(payload.name, connect(env, payload));
    const conn = kept.get(payload.name);
    try {
      if (path === '/kept/token') return Response.json(summary(await conn.token()));
      if (path === '/kept/fetch') {
        const res = await conn.fetch(payload.url);
        await res.body?.cancel();
        return Response.json({ status: res.status, accessToken: conn.lastResult?.accessToken });
      }
      if (path === '/kept/invalidate') {
        const returned = conn.invalidate();
        const isPromise = returned instanceof Promise;
        await returned;
        return Response.json({ isPromise });
      }
    } catch (e) {
      return Response.json(failure(e));
    }
    return new Response('no such route', { status: 404 });
  },
};
