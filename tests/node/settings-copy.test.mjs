// The config copy treats every key as data: a JSON config's "__proto__" key is refused as an
// unknown key (it does not become the copy's prototype), and one in extraParams is a parameter.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { requestToken } from 'oauth-token-connection';

test('a "__proto__" key is a key like any other', async () => {
  const bodies = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"t","token_type":"Bearer"}');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    const tokenEndpoint = `http://127.0.0.1:${server.address().port}/token`;
    const config = JSON.parse(`{"tokenEndpoint":"${tokenEndpoint}","clientId":"c","clientSecret":"s","__proto__":{"scope":"admin"}}`);
    const e = await requestToken(config).catch((x) => x);
    assert.equal(e.code, 'ERR_INVALID_CONFIG');
    assert.match(e.message, /^unknown configuration key "__pr\.\.\." \(9 characters\)/);
    assert.equal(bodies.length, 0, 'nothing was sent');

    const extraParams = JSON.parse('{"__proto__":"x"}');
    const r = await requestToken({ tokenEndpoint, clientId: 'c', clientSecret: 's', extraParams });
    assert.equal(r.accessToken, 't');
    assert.equal(bodies[0], 'grant_type=client_credentials&__proto__=x');
  } finally {
    server.close();
  }
});
