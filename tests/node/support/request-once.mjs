// Child process for tests whose outcome depends on process-start state (NODE_EXTRA_CA_CERTS):
// runs one requestToken with the JSON config in argv[2] and prints one JSON line to stdout,
// either { ok: true, result } or { ok: false, code, causeCode, status, error, name }.

import { requestToken } from 'oauth-token-connection';

const config = JSON.parse(process.argv[2]);
try {
  const result = await requestToken(config);
  process.stdout.write(JSON.stringify({ ok: true, result }) + '\n');
} catch (err) {
  // fetch failures nest the OS/TLS error: err.cause (TypeError "fetch failed").cause.code
  const causeCode = err?.cause?.code ?? err?.cause?.cause?.code;
  process.stdout.write(JSON.stringify({
    ok: false,
    name: err?.name,
    code: err?.code,
    causeCode,
    status: err?.status,
    error: err?.error,
    message: err?.message,
  }) + '\n');
}
