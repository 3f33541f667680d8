import { createServer } from 'node:http';
import { TOKEN_JSON } from '/work/main/bench/clients.mjs';
import { requestToken } from 'oauth-token-connection';
let conns = 0;
const server = createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(TOKEN_JSON) }); res.end(TOKEN_JSON); }); });
server.on('connection', () => conns++);
server.keepAliveTimeout = 30000;
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const endpoint = `http://127.0.0.1:${server.address().port}/t`;
const init = { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: 'Basic eDp5' }, body: 'grant_type=client_credentials' };
const variants = {
  bare: async () => (await (await fetch(endpoint, init)).json()).access_token,
  ours: async () => (await requestToken({ tokenEndpoint: endpoint, clientId: 'x', clientSecret: 'y' })).accessToken,
};
for (const [n, call] of Object.entries(variants)) {
  conns = 0;
  let done = 0;
  await Promise.all(Array.from({ length: 16 }, async () => { for (let i = 0; i < 200; i++) { await call(); done++; } }));
  console.log(n, 'requests', done, 'connections', conns);
}
server.close(); process.exit(0);
