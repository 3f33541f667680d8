// What a signed assertion costs per token request, against the request itself: requestToken
// through the loopback token endpoint (bench/token-server.mjs, its own process) with HTTP Basic,
// then with each signing mode of oauth-token-connection/full, in interleaved rounds; and a
// connection's renewal, which imports its key once, against requestToken, which imports it every
// time. Reports medians in microseconds per request and the difference to Basic.
//
//   node bench/signing.mjs            full run: a markdown table on stdout, bench/results/signing.json
//   node bench/signing.mjs --smoke    tiny counts: every mode runs and gets a token; no timing claims
//
// The sizes the signing code adds to the .wasm are in bench/SIZE.md ("Signed assertions").

import { fork } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { requestToken, createConnection } from 'oauth-token-connection/full';

const BENCH = dirname(fileURLToPath(import.meta.url));
const SMOKE = process.argv.includes('--smoke');
const ROUNDS = SMOKE ? 1 : 9;
const BATCH = SMOKE ? 3 : 300;

const pem = (kp, type = 'pkcs8') => kp.privateKey.export({ type, format: 'pem' });
const KEYS = {
  rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  p256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  ed25519: generateKeyPairSync('ed25519'),
};

const server = fork(join(BENCH, 'token-server.mjs'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const port = await new Promise((resolve) => server.once('message', (m) => resolve(m.port)));
const tokenEndpoint = `http://127.0.0.1:${port}/token`;

const base = { tokenEndpoint, clientId: 'bench-client', scope: 'read' };
const signed = (extra) => ({ ...base, clientAuthentication: 'private_key_jwt', ...extra });
const MODES = {
  'HTTP Basic (client secret)': { ...base, clientSecret: 'bench-secret' },
  'client_secret_jwt HS256': { ...base, clientAuthentication: 'client_secret_jwt', clientSecret: 'bench-secret-0123456789abcdef0123456789abcdef' },
  'private_key_jwt RS256 (2048)': signed({ privateKey: pem(KEYS.rsa, 'pkcs1') }),
  'private_key_jwt PS256 (2048)': signed({ privateKey: pem(KEYS.rsa), signingAlgorithm: 'PS256' }),
  'private_key_jwt ES256': signed({ privateKey: pem(KEYS.p256, 'sec1') }),
  'private_key_jwt EdDSA': signed({ privateKey: pem(KEYS.ed25519) }),
  'jwt_bearer ES256': { tokenEndpoint, grantType: 'jwt_bearer', issuer: 'bench', privateKey: pem(KEYS.p256) },
};
// A connection renewing (key imported once) against the same mode's requestToken.
const connections = {
  'connection renewal, private_key_jwt RS256': createConnection(MODES['private_key_jwt RS256 (2048)']),
  'connection renewal, private_key_jwt ES256': createConnection(MODES['private_key_jwt ES256']),
};

const names = [...Object.keys(MODES), ...Object.keys(connections)];
const run = (name) => {
  const conn = connections[name];
  if (conn === undefined) return requestToken(MODES[name]);
  conn.invalidate();
  return conn.token();
};
const samples = Object.fromEntries(names.map((n) => [n, []]));
for (const n of names) await run(n); // warm-up: every mode once (the connections import their key)
for (let r = 0; r < ROUNDS; r++) {
  for (const n of names.map((_, i) => names[(i + r) % names.length])) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) {
      const result = await run(n);
      if (result.accessToken === undefined) throw new Error(`${n}: no token`);
    }
    samples[n].push(Number(process.hrtime.bigint() - t0) / 1000 / BATCH);
  }
}
server.send('stop');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const us = Object.fromEntries(names.map((n) => [n, median(samples[n])]));
const basic = us['HTTP Basic (client secret)'];
const lines = [
  `Signed assertions, ${ROUNDS} interleaved rounds × ${BATCH} requestToken calls through the loopback token server; Node ${process.version}${SMOKE ? ' · SMOKE (numbers meaningless)' : ''}`,
  '',
  '| | µs per request | signing\u2019s share (µs over Basic) | × Basic |',
  '|---|---:|---:|---:|',
  ...names.map((n) => `| ${n} | ${us[n].toFixed(0)} | ${n.startsWith('HTTP Basic') ? '' : (us[n] - basic).toFixed(0)} | ${(us[n] / basic).toFixed(2)}x |`),
];
console.log(lines.join('\n'));
const out = SMOKE ? join(BENCH, '..', 'tests', '.tmp', 'bench-signing-smoke.json') : join(BENCH, 'results', 'signing.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, rounds: ROUNDS, batch: BATCH, microsecondsPerRequest: us }, null, 2)}\n`);
