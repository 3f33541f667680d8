// The contenders: one client_credentials request with HTTP Basic client authentication, made by
// this package and by each peer, through a fetch the caller chooses (an in-process stub or the
// host's fetch to a loopback server). Shared by run.mjs, cold.mjs, memory.mjs and the Worker
// scripts of workers.mjs.

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

/** The headers and body of the request every contender makes: client_credentials, HTTP Basic. */
export const BARE_INIT = {
  method: 'POST',
  headers: {
    'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8',
    Accept: 'application/json',
    Authorization: 'Basic ' + btoa(`${CLIENT_ID}:${CLIENT_SECRET}`),
  },
  body: `grant_type=client_credentials&scope=${SCOPE}`,
};

/**
 * One complete token request per contender, given its imported module: `make(lib, endpoint,
 * fetchFn)` returns `() => Promise<accessToken>` (request built, sent, response checked and
 * parsed). This module imports none of them, so that a Worker bundling this file with one
 * library gets only that one. 'floor' is no library: a bare fetch and `.json()`.
 * This package has no fetch option here: it calls the global fetch, which run.mjs sets to the
 * stub for the in-process measurements (and leaves as the host's fetch for loopback).
 */
export const requesters = {
  floor(_, endpoint, fetchFn) {
    return async () => (await (await fetchFn(endpoint, BARE_INIT)).json()).access_token;
  },

  /**
   * No library either, but the request as this package sends it: a timeout (a controller and a
   * timer cleared when the call settles), no redirects followed, no ambient credentials, no
   * cache, the response's headers read and its body read whole within a byte limit. What that
   * costs over the floor is the part of the package's loopback cost that is not the package.
   */
  guardedFloor(_, endpoint, fetchFn) {
    const init = { ...BARE_INIT, headers: Object.entries(BARE_INIT.headers), redirect: 'manual', credentials: 'omit', cache: 'no-store' };
    return async () => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 30_000);
      try {
        const res = await fetchFn(endpoint, { ...init, signal: controller.signal });
        const { headers } = res;
        headers.get('content-type');
        headers.get('retry-after');
        headers.getSetCookie?.();
        if (Number(headers.get('content-length')) > 1 << 20 || headers.has('content-encoding')) throw new Error('unexpected');
        const body = new Uint8Array(await res.arrayBuffer());
        return JSON.parse(new TextDecoder().decode(body)).access_token;
      } finally {
        clearTimeout(timer);
      }
    };
  },

  'oauth-token-connection'({ requestToken }, endpoint) {
    const config = { tokenEndpoint: endpoint, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scope: SCOPE };
    return async () => (await requestToken(config)).accessToken;
  },

  oauth4webapi(oauth, endpoint, fetchFn) {
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

  'openid-client'(oidc, endpoint, fetchFn) {
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

  '@badgateway/oauth2-client'({ OAuth2Client }, endpoint, fetchFn) {
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

/**
 * Contender factories for Node: `await make(endpoint, fetchFn)` imports the library (its name is
 * its module specifier) and returns the requester's call.
 */
export const contenders = Object.fromEntries(
  Object.entries(requesters)
    .filter(([name]) => name !== 'floor')
    .map(([name, make]) => [name, async (endpoint, fetchFn) => make(await import(name), endpoint, fetchFn)]),
);

export const PEERS = ['oauth4webapi', 'openid-client', '@badgateway/oauth2-client'];
export const US = 'oauth-token-connection';
