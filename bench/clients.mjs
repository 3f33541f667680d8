// The contenders: one client_credentials request with HTTP Basic client authentication, made by
// this package and by each peer, through a fetch the caller chooses (an in-process stub or the
// host's fetch to a loopback server). Shared by run.mjs and the cold-start scripts.

export const CLIENT_ID = 'bench-client';
export const CLIENT_SECRET = 'bench-secret';
export const SCOPE = 'read';

/** The canned token response every stub and the loopback server answer with. */
export const TOKEN_JSON = JSON.stringify({
  access_token: 'bench-access-token-0123456789abcdef',
  token_type: 'Bearer',
  expires_in: 3600,
  scope: SCOPE,
});
const TOKEN_HEADERS = { 'content-type': 'application/json;charset=UTF-8', 'cache-control': 'no-store' };

/** The in-process token endpoint: a fresh Response with the canned token for every call. */
export function stubFetch() {
  return Promise.resolve(new Response(TOKEN_JSON, { status: 200, headers: TOKEN_HEADERS }));
}

export const STUB_ENDPOINT = 'https://auth.example.com/oauth2/token';

/** What each contender needs to know about the endpoint: its URL, and the fetch to use. */
function server(endpoint) {
  const u = new URL(endpoint);
  return { issuer: u.origin, token_endpoint: endpoint, insecure: u.protocol === 'http:' };
}

/**
 * Contender factories: `await make(endpoint, fetchFn)` returns `() => Promise<accessToken>` doing
 * one complete token request (request built, sent, response checked and parsed).
 * This package has no fetch option: it calls the global fetch, which run.mjs sets to the stub
 * for the in-process measurements (and leaves as the host's fetch for loopback).
 */
export const contenders = {
  async 'oauth-token-connection'(endpoint) {
    const { requestToken } = await import('oauth-token-connection');
    const config = { tokenEndpoint: endpoint, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scope: SCOPE };
    return async () => (await requestToken(config)).accessToken;
  },

  async oauth4webapi(endpoint, fetchFn) {
    const oauth = await import('oauth4webapi');
    const s = server(endpoint);
    const as = { issuer: s.issuer, token_endpoint: s.token_endpoint };
    const client = { client_id: CLIENT_ID };
    const auth = oauth.ClientSecretBasic(CLIENT_SECRET);
    const options = { [oauth.customFetch]: fetchFn };
    if (s.insecure) options[oauth.allowInsecureRequests] = true;
    return async () => {
      const params = new URLSearchParams({ scope: SCOPE });
      const res = await oauth.clientCredentialsGrantRequest(as, client, auth, params, options);
      return (await oauth.processClientCredentialsResponse(as, client, res)).access_token;
    };
  },

  async 'openid-client'(endpoint, fetchFn) {
    const oidc = await import('openid-client');
    const s = server(endpoint);
    const config = new oidc.Configuration(
      { issuer: s.issuer, token_endpoint: s.token_endpoint },
      CLIENT_ID,
      CLIENT_SECRET,
      oidc.ClientSecretBasic(CLIENT_SECRET),
    );
    config[oidc.customFetch] = fetchFn;
    if (s.insecure) oidc.allowInsecureRequests(config);
    return async () => (await oidc.clientCredentialsGrant(config, { scope: SCOPE })).access_token;
  },

  async '@badgateway/oauth2-client'(endpoint, fetchFn) {
    const { OAuth2Client } = await import('@badgateway/oauth2-client');
    const s = server(endpoint);
    const client = new OAuth2Client({
      server: s.issuer,
      tokenEndpoint: s.token_endpoint,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      authenticationMethod: 'client_secret_basic',
      fetch: fetchFn,
    });
    return async () => (await client.clientCredentials({ scope: [SCOPE] })).accessToken;
  },
};

export const PEERS = ['oauth4webapi', 'openid-client', '@badgateway/oauth2-client'];
export const US = 'oauth-token-connection';
