// A Cloudflare Worker (wrangler.toml beside it): the token's REST call, proxied. Every isolate's
// connection asks one Durable Object for the token: one token request per expiry in all.
import { createConnection, OAuthTokenCoordinator } from 'oauth-token-connection/full';

export { OAuthTokenCoordinator }; // the Durable Object class wrangler.toml binds as TOKENS

let api; // one connection per isolate
export default {
  async fetch(request, env) {
    api ??= createConnection({
      tokenEndpoint: env.TOKEN_ENDPOINT, clientId: env.CLIENT_ID, clientSecret: env.CLIENT_SECRET,
      coordinator: env.TOKENS,
    });
    const upstream = await api.fetch(env.API_URL);
    return new Response(upstream.body, upstream);
  },
};
