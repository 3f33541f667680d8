#!/usr/bin/env node
// Requests an OAuth 2.0 access token through the built package.
//   node scripts/demo.mjs                      embedded demo authorization server on 127.0.0.1, one
//                                              token, then serves the connection tester (www/)
//   node scripts/demo.mjs --once               the embedded server, one token through the
//                                              package's command, as JSON; exit
//   node scripts/demo.mjs --token-endpoint ... a real endpoint (secrets from the environment)
// Run with --help for the options.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { requestToken } from 'oauth-token-connection';

/** The tester's port when free. */
const DEFAULT_PORT = 8787;

const USAGE = `Usage:
  node scripts/demo.mjs [--port N]
      Starts the embedded demo authorization server on 127.0.0.1, requests a token from it
      (client_credentials, demo-client, scope "read write"), then serves the browser connection
      tester (www/) on http://127.0.0.1:N/ (default ${DEFAULT_PORT}, or a free port when taken) and
      prints its URL; "Use demo server" fills its form. Runs until Ctrl-C.

  node scripts/demo.mjs --once
      The same token request through the package's command (npx oauth-token-connection), its
      result printed as JSON on stdout; then exits.

  node scripts/demo.mjs --token-endpoint URL --client-id ID [options]
  node scripts/demo.mjs --config settings.json [options]
      Requests a token from a real endpoint. Options (flags override the config file):
        --token-endpoint URL        https URL (plain http only to 127.0.0.1/localhost)
        --grant-type TYPE           client_credentials (default) or password
        --client-id ID
        --scope "A B"               space-delimited scopes (optional)
        --client-authentication M   header (HTTP Basic, default) or body
        --basic-encoding E          form (RFC 6749, default) or none (server never URL-decodes)
        --username NAME             password grant only
        --timeout SECONDS           default 30
        --ignore-cookies            do not warn about rejected cookies
        --config FILE               JSON object with requestToken settings (camelCase keys)
      Secrets are read ONLY from the environment, never from flags or the config file:
        OAUTH_CLIENT_SECRET         the client secret, as issued (not encoded)
        OAUTH_PASSWORD              the user's password (password grant)

  Prints the result JSON on stdout. On failure prints the error code, HTTP status and OAuth
  error on stderr and exits with status 1 (2 for a usage error).`;

/** Flag name -> requestToken key. */
const FLAGS = {
  'token-endpoint': 'tokenEndpoint',
  'grant-type': 'grantType',
  'client-id': 'clientId',
  scope: 'scope',
  'client-authentication': 'clientAuthentication',
  'basic-encoding': 'basicEncoding',
  username: 'username',
};
const SECRET_KEYS = ['clientSecret', 'password'];

class UsageError extends Error {}

function parseCommandLine(argv) {
  const options = {
    ...Object.fromEntries(Object.keys(FLAGS).map((f) => [f, { type: 'string' }])),
    timeout: { type: 'string' },
    'ignore-cookies': { type: 'boolean' },
    config: { type: 'string' },
    once: { type: 'boolean' },
    port: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  };
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError(err.message);
  }
}

/** Settings for a real endpoint: config file, then flags, then secrets from the environment. */
function endpointConfig(values) {
  let config = {};
  if (values.config) {
    config = JSON.parse(readFileSync(values.config, 'utf8'));
    if (!config || typeof config !== 'object' || Array.isArray(config)) {
      throw new UsageError(`${values.config}: expected a JSON object`);
    }
    const secrets = SECRET_KEYS.filter((k) => k in config);
    if (secrets.length) {
      throw new UsageError(`${values.config}: remove ${secrets.join(', ')}; secrets come only from `
        + 'OAUTH_CLIENT_SECRET and OAUTH_PASSWORD');
    }
  }
  for (const [flag, key] of Object.entries(FLAGS)) {
    if (values[flag] !== undefined) config[key] = values[flag];
  }
  if (values.timeout !== undefined) {
    const seconds = Number(values.timeout);
    if (values.timeout.trim() === '' || Number.isNaN(seconds)) throw new UsageError('--timeout expects a number of seconds');
    config.timeoutSeconds = seconds;
  }
  if (values['ignore-cookies']) config.ignoreCookiesPolicy = true;
  config.grantType ??= 'client_credentials';

  const { OAUTH_CLIENT_SECRET, OAUTH_PASSWORD } = process.env;
  if (OAUTH_CLIENT_SECRET !== undefined) config.clientSecret = OAUTH_CLIENT_SECRET;
  if (OAUTH_PASSWORD !== undefined) config.password = OAUTH_PASSWORD;
  return config;
}

function printError(err) {
  const lines = [`error: ${err?.code ?? err?.name ?? 'Error'}: ${err?.message ?? err}`];
  if (err?.status !== undefined) lines.push(`  status: ${err.status}`);
  if (err?.error !== undefined) lines.push(`  error: ${err.error}`);
  if (err?.errorDescription !== undefined) lines.push(`  errorDescription: ${err.errorDescription}`);
  if (err?.errorUri !== undefined) lines.push(`  errorUri: ${err.errorUri}`);
  if (err?.cause !== undefined) lines.push(`  cause: ${err.cause?.cause?.code ?? err.cause?.code ?? err.cause?.message ?? err.cause}`);
  console.error(lines.join('\n'));
}

async function main(argv) {
  const values = parseCommandLine(argv);
  if (values.help) {
    console.log(USAGE);
    return 0;
  }

  const realEndpoint = values['token-endpoint'] !== undefined || values.config !== undefined;
  if (!realEndpoint) {
    const { once, port, ...others } = values;
    const other = Object.keys(others)[0];
    if (other) throw new UsageError(`--${other} needs --token-endpoint or --config`);
    if (once && port !== undefined) throw new UsageError('--port serves the tester; --once does not');
    return once ? runEmbedded() : serveTester(parsePort(port));
  }
  for (const flag of ['once', 'port']) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} is for the embedded demo server only`);
  }
  const result = await requestToken(endpointConfig(values));
  console.log(JSON.stringify(result, null, 2));
  return 0;
}

/** The demo token request: the embedded server's own client (public demo data). */
function demoTokenRequest(server, DEMO_CLIENTS) {
  return requestToken({
    tokenEndpoint: server.url,
    grantType: 'client_credentials',
    clientId: DEMO_CLIENTS.demo.id,
    clientSecret: DEMO_CLIENTS.demo.secret, // the demo server's own client
    scope: 'read write',
  });
}

/**
 * --once: the embedded server, one token through the package's command (`npx
 * oauth-token-connection`), its result object as JSON on stdout, server stopped.
 */
async function runEmbedded() {
  // Imported here: the real-endpoint path does not need the server's dependencies.
  const { startAuthServer, DEMO_CLIENTS } = await import('../demo/auth-server.mjs');
  const server = await startAuthServer();
  try {
    const { demo } = DEMO_CLIENTS;
    console.error(`Demo authorization server: ${server.url} (client id "${demo.id}", `
      + `client secret "${demo.secret}")`);
    const args = ['--token-endpoint', server.url, '--client-id', demo.id, '--scope', 'read write',
      '--output', 'result', '--pretty'];
    // pkg/cli.js is what `npx oauth-token-connection` runs where the package is installed.
    console.error(`The command: OAUTH_CLIENT_SECRET=${demo.secret} node pkg/cli.js `
      + args.map((a) => (/^[\w:/.=-]+$/.test(a) ? a : `'${a}'`)).join(' '));
    const cli = fileURLToPath(new URL('../pkg/cli.js', import.meta.url));
    const child = spawn(process.execPath, [cli, ...args], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, OAUTH_CLIENT_SECRET: demo.secret }, // the demo server's own client
    });
    const [code, signal] = await once(child, 'exit');
    return signal ? 1 : code;
  } finally {
    await server.close();
  }
}

function parsePort(raw) {
  if (raw === undefined) return undefined;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) throw new UsageError('--port expects a port number (0 for any free port)');
  return port;
}

/**
 * The main command: the embedded server (with CORS, for the page), one token through the
 * package, then the connection tester served next to it until SIGINT or SIGTERM.
 */
async function serveTester(port) {
  const { startAuthServer, DEMO_CLIENTS, DEMO_USERS } = await import('../demo/auth-server.mjs');
  const { startTesterServer, demoConfigFor } = await import('../demo/tester-server.mjs');
  const { startResourceServer } = await import('../demo/resource-server.mjs');
  const auth = await startAuthServer({ cors: true });
  let resource;
  let tester;
  try {
    resource = await startResourceServer(auth, { cors: true });
    const demoConfig = demoConfigFor(auth, { DEMO_CLIENTS, DEMO_USERS }, resource);
    try {
      tester = await startTesterServer({ port: port ?? DEFAULT_PORT, demoConfig });
    } catch (err) {
      // The default port is taken (another tester running?): any free port will do.
      if (port !== undefined || err?.code !== 'EADDRINUSE') throw err;
      tester = await startTesterServer({ port: 0, demoConfig });
    }
    const { demo } = DEMO_CLIENTS;
    const { alice } = DEMO_USERS;
    console.log(`Demo authorization server: ${auth.url}`);
    console.log(`  client id "${demo.id}", client secret "${demo.secret}" (${demo.grants.join(', ')})`);
    console.log(`  user "${alice.username}", password "${alice.password}" (password grant)`);
    console.log(`Demo REST resource: ${demoConfig.restUrl} (accepts only that server's tokens)`);
    try {
      const t = await demoTokenRequest(auth, DEMO_CLIENTS);
      console.log(`Token request through the package: ${t.tokenType} token, expires in ${t.expiresIn} s, `
        + `scope "${t.scope}"`);
    } catch (err) {
      printError(err);
    }
    console.log('\nThe Node.js example against these servers, from another shell:');
    console.log(`  TOKEN_ENDPOINT=${auth.url} CLIENT_ID=${demo.id} CLIENT_SECRET=${demo.secret} \\\n`
      + `  API_URL=${demoConfig.restUrl} node examples/node.mjs`);
    console.log(`\nConnection tester: ${tester.url}`);
    console.log('Open it in a browser; "Use demo server" fills the form and the REST URL. Ctrl-C stops the servers.');
    await new Promise((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    return 0;
  } finally {
    await Promise.all([tester?.close(), resource?.close(), auth.close()]);
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else {
      printError(err);
      process.exitCode = 1;
    }
  },
);
