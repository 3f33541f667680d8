// The test app shared by the plain page (plain.html, import map) and the Vite build
// (index.html): imports the package by name, requests a token when asked and shows the
// outcome in #result. Like a careless real app, it logs the outcome to the console; the tests
// check that no secret ever gets there.
import { requestToken, createConnection, OAuthTokenError } from 'oauth-token-connection';

const out = document.getElementById('result');

// README's connection pattern: created once (here possibly before the .wasm is loaded), then
// REST calls through it. connFetch answers { status, body } or { code, message }.
let conn;
window.makeConnection = (config) => {
  conn = createConnection(config);
};
window.connFetch = async (url) => {
  try {
    const res = await conn.fetch(url);
    return { status: res.status, body: await res.json() };
  } catch (err) {
    return { code: err?.code, message: err?.message, isOAuthTokenError: err instanceof OAuthTokenError };
  }
};

window.getToken = async (config) => {
  out.dataset.outcome = 'pending';
  out.textContent = 'requesting…';
  try {
    const result = await requestToken(config);
    console.log('token result', JSON.stringify(result));
    out.dataset.outcome = 'token';
    out.dataset.code = '';
    out.textContent = `${result.tokenType} ${result.accessToken}`;
  } catch (err) {
    console.error('token request failed', err instanceof OAuthTokenError, err.code, err.message, err.stack);
    out.dataset.outcome = 'error';
    out.dataset.code = err?.code ?? '';
    out.textContent = `${err?.code}: ${err?.message}`;
  }
};
