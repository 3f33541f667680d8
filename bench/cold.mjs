// One cold start: a fresh `node bench/cold.mjs <contender>` imports the library and completes one
// client_credentials request through the in-process stub fetch, then prints one JSON line:
// {sinceStart: ms from process start to the token, importAndRequest: ms of the import and the
// request alone, token}. 'floor' imports nothing and reads the stub's JSON directly.
const t0 = performance.now();
const { contenders, stubFetch, STUB_ENDPOINT } = await import('./clients.mjs');
const name = process.argv[2];
let token;
if (name === 'floor') {
  token = (await (await stubFetch(STUB_ENDPOINT, { method: 'POST' })).json()).access_token;
} else {
  globalThis.fetch = stubFetch; // this package calls the global fetch; peers are given the stub
  const call = await contenders[name](STUB_ENDPOINT, stubFetch);
  token = await call();
}
const t1 = performance.now();
process.stdout.write(JSON.stringify({ sinceStart: t1, importAndRequest: t1 - t0, token }) + '\n');
