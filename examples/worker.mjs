// A Cloudflare Worker (wrangler.toml beside it): the token's REST call, proxied.
import { createConnection } from 'oauth-token-connection';

let api; // one connection per isolate: its requests share one token
export default {
  async fetch(request, env) {
    api ??= createConnection({
      tokenEndpoint: env.TOKEN_ENDPOINT, clientId: env.CLIENT_ID, clientSecret: env.CLIENT_SECRET,
    });
    const upstream = await api.fetch(env.API_URL);
    return new Response(upstream.body, upstream);
  },
};
