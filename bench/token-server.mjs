// The loopback token endpoint for the throughput measurement: node:http on 127.0.0.1, in its own
// process (so the client side and the server side each get a core), answering every POST with
// the canned token. Started by run.mjs with fork(); sends {port} once listening, answers
// 'count' with the number of token requests served, and exits on 'stop' or when the parent goes.
import { createServer } from 'node:http';
import { TOKEN_JSON } from './clients.mjs';

let served = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    served += 1;
    res.writeHead(200, {
      'content-type': 'application/json;charset=UTF-8',
      'cache-control': 'no-store',
      'content-length': Buffer.byteLength(TOKEN_JSON),
    });
    res.end(TOKEN_JSON);
  });
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', (m) => {
  if (m === 'count') process.send({ served });
  if (m === 'stop') server.close(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
