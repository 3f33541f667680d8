// The test app shared by the plain page (plain.html, import map) and the Vite build
// (index.html): imports the package by name, requests a token when asked and shows the
// outcome in #result. Like a careless real app, it logs the outcome to the console; the tests
// check that no secret ever gets there.
import { requestToken, OAuthTokenError } from 'oauth-token-connection';

const out = document.getElementById('result');

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
