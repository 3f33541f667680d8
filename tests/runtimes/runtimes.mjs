// The runtime matrix: which runtimes run tests/runtimes/acceptance.mjs, how each is installed
// (scripts/runtimes.sh, from npm, into .tools/runtimes/<id>/) and started, and what each is
// documented to do where runtimes differ. docs/testing.md's "Runtime matrix" is rendered from this
// file by `matrixRows()`, and matrix.test.mjs checks that the page holds exactly those rows.

/** Where scripts/runtimes.sh installs the runtimes (git-ignored). */
export const TOOLS_DIR = '.tools/runtimes';

/** How a runtime reports a TLS failure on an untrusted server certificate. */
const NODE_TLS = { code: 'ERR_TLS', path: 'cause.cause.code', equals: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' };

const node = (major, version) => ({
  id: `node${major}`,
  name: 'Node.js',
  version,
  npm: `node@${version}`,
  bin: 'node_modules/.bin/node',
  versionOutput: `v${version}`,
  argv: (script) => [script],
  entry: { condition: 'node', file: 'node.js' },
  trust: { env: 'NODE_EXTRA_CA_CERTS' },
  cookieCheck: true,
  tls: NODE_TLS,
  eddsa: true,
});

export const RUNTIMES = Object.freeze([
  node(18, '18.20.8'),
  node(20, '20.20.2'),
  node(22, '22.23.3'),
  node(24, '24.21.0'),
  {
    id: 'deno',
    name: 'Deno',
    version: '2.9.6',
    npm: 'deno@2.9.6',
    bin: 'node_modules/.bin/deno',
    versionOutput: 'deno 2.9.6',
    // Network to loopback only; no read permission (deno.js imports the .wasm as a module).
    argv: (script) => ['run', '--no-prompt', '--allow-net=127.0.0.1', script],
    entry: { condition: 'deno', file: 'deno.js' },
    trust: { env: 'DENO_CERT' },
    cookieCheck: true,
    // rustls' verdict comes without a code, only in the message ("invalid peer certificate:
    // UnknownIssuer"); the core reads the reason from there.
    tls: { code: 'ERR_TLS', path: 'message', includes: '(UnknownIssuer)' },
    eddsa: true,
  },
  {
    id: 'bun',
    name: 'Bun',
    version: '1.4.5',
    npm: 'bun@1.4.5',
    bin: 'node_modules/.bin/bun',
    versionOutput: '1.4.5',
    argv: (script) => [script],
    entry: { condition: 'node', file: 'node.js' },
    trust: { env: 'NODE_EXTRA_CA_CERTS' },
    cookieCheck: true,
    tls: { code: 'ERR_TLS', path: 'cause.code', equals: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
    eddsa: true,
  },
]);

/**
 * The matrix columns: each cell is rendered from the runtime's entry above and backed by the
 * acceptance cases listed (every one must pass in that runtime).
 */
export const COLUMNS = Object.freeze([
  { title: 'Runtime', cell: (r) => `${r.name} ${r.version}`, cases: [] },
  { title: 'Export condition → entry', cell: (r) => `\`${r.entry.condition}\` → \`${r.entry.file}\``, cases: ['import'] },
  {
    title: 'Token request (2 grants × header/body)',
    cell: () => 'yes',
    cases: [
      'token client_credentials header',
      'token client_credentials body',
      'token password header',
      'token password body',
    ],
  },
  {
    title: '`ERR_OAUTH`',
    cell: () => 'yes',
    cases: ['ERR_OAUTH wrong client secret', 'ERR_OAUTH wrong user password'],
  },
  { title: 'Timeout', cell: () => '`ERR_TIMEOUT`', cases: ['ERR_TIMEOUT'] },
  {
    title: 'Cookie-policy check',
    cell: (r) => (r.cookieCheck ? 'yes (`getSetCookie`)' : 'no: `warnings` stays empty'),
    cases: ['cookie policy warning', 'cookie policy ignored'],
  },
  {
    title: 'Untrusted certificate',
    cell: (r) => {
      const detail = r.tls.equals !== undefined ? `\`${r.tls.path}\` = \`${r.tls.equals}\`` : `\`${r.tls.path}\` has "${r.tls.includes}"`;
      return `\`${r.tls.code}\`, ${detail}`;
    },
    cases: ['TLS untrusted CA'],
  },
  { title: 'Private CA', cell: (r) => `\`${r.trust.env}=ca.pem\``, cases: ['TLS trusted CA'] },
  {
    title: 'Connection',
    cell: () => 'yes: reuse, single-flight, `fetch`',
    cases: ['connection reuse', 'connection single-flight', 'connection invalid config'],
  },
  {
    title: 'Signed assertions (`/full`)',
    cell: (r) => `RS256, PS256, ES256, HS256; EdDSA ${r.eddsa ? 'yes' : '`ERR_UNSUPPORTED_ALGORITHM`'}`,
    cases: [
      'private_key_jwt RS256', 'private_key_jwt PS256', 'private_key_jwt ES256', 'client_secret_jwt HS256',
      'private_key_jwt EdDSA', 'private_key_jwt connection',
    ],
  },
]);

/** The docs/testing.md table, header included, one string per line. */
export function matrixRows() {
  const row = (cells) => `| ${cells.join(' | ')} |`;
  return [
    row(COLUMNS.map((c) => c.title)),
    row(COLUMNS.map(() => '---')),
    ...RUNTIMES.map((r) => row(COLUMNS.map((c) => c.cell(r)))),
  ];
}

/** What acceptance.mjs needs to know about the runtime it runs in (passed in its config). */
export function expectationsOf(runtime) {
  return { entryFile: runtime.entry.file, cookieCheck: runtime.cookieCheck, tls: runtime.tls, eddsa: runtime.eddsa };
}
