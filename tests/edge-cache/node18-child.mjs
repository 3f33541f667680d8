// Run by node18.test.mjs in Node.js 18 (which has no global `crypto`): a connection with an
// in-memory KV-shaped cache requests a token from the URL in argv[2] and prints what happened.
import { createConnection } from 'oauth-token-connection/full';

const [tokenEndpoint, clientId, clientSecret] = process.argv.slice(2);
const map = new Map();
const calls = { gets: 0, puts: [] };
const cache = {
  async get(key) {
    calls.gets += 1;
    return map.get(key) ?? null;
  },
  async put(key, value, options) {
    calls.puts.push({ key, ttl: options.expirationTtl });
    map.set(key, value);
  },
};
const config = { tokenEndpoint, clientId, clientSecret, cache };
const a = createConnection(config);
const first = await a.token();
const second = await createConnection(config).token();
console.log(JSON.stringify({
  version: process.version,
  globalCrypto: typeof globalThis.crypto,
  key: await a.cacheKey(),
  gets: calls.gets,
  puts: calls.puts,
  warnings: first.warnings,
  same: second.accessToken === first.accessToken,
}));
