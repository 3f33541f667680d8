// Memory of one contender in a fresh process: `node --expose-gc bench/memory.mjs <contender> <n>`
// with this package or @badgateway/oauth2-client (the peer with a connection: OAuth2Fetch).
// Every token request goes to the in-process stub. Prints one JSON line with, after gc, at each
// phase: the JS heap used and, for this package, the wasm memory (memory.buffer.byteLength):
//   atRest            the library imported
//   afterOneRequest   one token request made
//   afterConnections  n connections created, each holding its token, all alive
//   afterDrop         those connections dropped
import { setImmediate as tick } from 'node:timers/promises';
import { US, stubFetch, STUB_ENDPOINT, CLIENT_ID, CLIENT_SECRET, SCOPE, TOKEN_JSON } from './clients.mjs';

const [name, n] = [process.argv[2], Number(process.argv[3])];
if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
const EXPECTED = JSON.parse(TOKEN_JSON).access_token;
globalThis.fetch = stubFetch; // this package calls the global fetch; the peer is given the stub

let wasm = null;
let connect;
let requestOnce;
if (name === US) {
  const lib = await import(US);
  // The instance the package uses: package.js's initSync() (the glue's) hands back its exports.
  wasm = (await import(new URL('./package.js', import.meta.resolve(US)))).initSync();
  const config = { tokenEndpoint: STUB_ENDPOINT, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scope: SCOPE };
  requestOnce = async () => (await lib.requestToken(config)).accessToken;
  connect = async () => {
    const c = lib.createConnection(config);
    return [c, (await c.token()).accessToken];
  };
} else if (name === '@badgateway/oauth2-client') {
  const { OAuth2Client, OAuth2Fetch } = await import(name);
  const client = () => new OAuth2Client({
    server: new URL(STUB_ENDPOINT).origin, tokenEndpoint: STUB_ENDPOINT, clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET, authenticationMethod: 'client_secret_basic', fetch: stubFetch,
  });
  requestOnce = async () => (await client().clientCredentials({ scope: [SCOPE] })).accessToken;
  connect = async () => {
    const c = client();
    const f = new OAuth2Fetch({ client: c, getNewToken: () => c.clientCredentials({ scope: [SCOPE] }), scheduleRefresh: false });
    return [f, (await f.getToken()).accessToken];
  };
} else {
  throw new Error(`no memory measurement for ${name}`);
}

async function measure() {
  for (let i = 0; i < 3; i += 1) {
    globalThis.gc();
    await tick(); // lets FinalizationRegistry callbacks (wasm-bindgen's frees) run
  }
  globalThis.gc();
  return { heapUsed: process.memoryUsage().heapUsed, wasmBytes: wasm?.memory.buffer.byteLength ?? null };
}

const out = { name, connections: n, tokensCorrect: true };
out.atRest = await measure();
out.tokensCorrect &&= (await requestOnce()) === EXPECTED;
out.afterOneRequest = await measure();
let held = await Promise.all(Array.from({ length: n }, connect));
out.tokensCorrect &&= held.length === n && held.every(([, token]) => token === EXPECTED);
out.afterConnections = await measure();
held.length = 0;
held = null;
out.afterDrop = await measure();
process.stdout.write(JSON.stringify(out) + '\n');
