// One cold start: a fresh `node bench/cold.mjs <contender> <token endpoint>` imports the library
// and requests one token from the loopback token server that run.mjs started, then prints one
// JSON line: {sinceStart: ms from process start to the token, importMs: the library's import
// alone, importAndRequest: ms of the import and the request, token}. 'floor' imports no library
// and makes the same request with a bare fetch. This package calls the global fetch; the peers
// are given it.
const t0 = performance.now();
const [name, endpoint] = process.argv.slice(2);
const lib = name === 'floor' ? null : await import(name);
const t1 = performance.now();
const { requesters } = await import('./clients.mjs');
const call = requesters[name](lib, endpoint, globalThis.fetch);
const token = await call();
const t2 = performance.now();
process.stdout.write(JSON.stringify({ sinceStart: t2, importMs: t1 - t0, importAndRequest: t2 - t0, token }) + '\n');
