// The `oauth-token-connection` command as users get it: the packed tarball installed into a
// temporary project and run with `npx`, against the demo authorization server and REST resource
// (and a stub endpoint of these tests for the failures the demo server never gives). Every run
// is checked for the demo secrets in its stdout, its stderr and the command line of every process
// it started (/proc/<pid>/cmdline).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { DEMO_CLIENTS, DEMO_USERS, startAuthServer } from '../../demo/auth-server.mjs';
import { startResourceServer } from '../../demo/resource-server.mjs';
import {
  baseEnv, closedPort, installPackedTarball, leakForms, runCli, startStubServer, watchCommandLines,
} from './support.mjs';

const { demo } = DEMO_CLIENTS;
const { alice } = DEMO_USERS;
/** What no run may show: the demo client's secret and the demo user's password. */
const SECRETS = [demo.secret, alice.password];
/** The command's own process, as npx starts it. */
const OWN_PROCESS = /node_modules\/\.bin\/oauth-token-connection|oauth-token-connection\/cli\.js/;

let installed;
let auth;
let resource;
let stub;

before(async () => {
  installed = await installPackedTarball();
  auth = await startAuthServer();
  resource = await startResourceServer(auth);
  stub = await startStubServer();
});
after(async () => {
  await Promise.all([auth?.close(), resource?.close(), stub?.close()]);
  if (installed) rmSync(installed.tmp, { recursive: true, force: true });
});

/**
 * Runs the command; asserts no secret in stdout, stderr or any process's command line, and that
 * its own process was seen (so the command-line check looked at it). `secrets`: more values to
 * look for; `argvHoldsSecrets`: they were put on the command line on purpose (a refusal's test).
 */
async function cli(args, { env = {}, input, secrets = [], argvHoldsSecrets = false } = {}) {
  const run = await runCli(installed.project, args, { env, input });
  assert.ok(run.commandLines.some((c) => OWN_PROCESS.test(c)), `own process not seen: ${run.commandLines}`);
  const onCommandLine = leakForms(argvHoldsSecrets ? SECRETS : [...SECRETS, ...secrets], demo.id);
  for (const value of leakForms([...SECRETS, ...secrets], demo.id)) {
    assert.ok(!run.stdout.includes(value), `a secret in stdout: ${run.stdout}`);
    assert.ok(!run.stderr.includes(value), `a secret in stderr: ${run.stderr}`);
  }
  for (const value of onCommandLine) {
    for (const line of run.commandLines) assert.ok(!line.includes(value), `a secret in a command line: ${line}`);
  }
  return run;
}

const SECRET_ENV = { OAUTH_CLIENT_SECRET: demo.secret };
const withFile = (name, text) => {
  const path = join(installed.tmp, name);
  writeFileSync(path, text);
  return path;
};
const lastForm = () => new URLSearchParams(auth.requests.at(-1).body);
const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** The error output: `oauth-token-connection: CODE: message`, then `hint: ...`. */
function assertErrorLines(stderr, code) {
  const lines = stderr.split('\n');
  assert.match(lines[0], new RegExp(`^oauth-token-connection: ${code}: \\S.*$`), stderr);
  assert.match(lines[1], /^hint: \S.*$/, stderr);
  assert.deepEqual(lines.slice(2), [''], stderr);
}

describe('a token request prints the endpoint JSON', () => {
  test('client credentials with HTTP Basic: the JSON verbatim on one line; --pretty indents it', async () => {
    const run = await cli(['--token-endpoint', auth.url, '--client-id', demo.id, '--scope', 'read write'], { env: SECRET_ENV });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.equal(run.stdout, `${auth.responses.at(-1).body}\n`);
    assert.equal(auth.requests.at(-1).headers.authorization, basic(demo.id, demo.secret));
    assert.equal(lastForm().get('client_secret'), null);
    assert.equal(lastForm().get('grant_type'), 'client_credentials');
    assert.equal(lastForm().get('scope'), 'read write');

    const pretty = await cli(['--token-endpoint', auth.url, '--client-id', demo.id, '--pretty'], { env: SECRET_ENV });
    assert.equal(pretty.code, 0, pretty.stderr);
    assert.equal(pretty.stdout, `${JSON.stringify(JSON.parse(auth.responses.at(-1).body), null, 2)}\n`);
  });

  test('client credentials in the body, the secret from --client-secret-file (its newline dropped)', async () => {
    const file = withFile('client-secret', `${demo.secret}\n`);
    const run = await cli(['--token-endpoint', auth.url, '--client-id', demo.id, '--client-authentication', 'body',
      '--client-secret-file', file]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).access_token, auth.tokens.at(-1).accessToken);
    assert.equal(auth.requests.at(-1).headers.authorization, undefined);
    assert.equal(lastForm().get('client_id'), demo.id);
    assert.equal(lastForm().get('client_secret'), demo.secret);
  });

  test('password grant, the password from --password-file, then from stdin (-)', async () => {
    const args = ['--token-endpoint', auth.url, '--client-id', demo.id, '--grant-type', 'password', '--username', alice.username];
    const fromFile = await cli([...args, '--password-file', withFile('password', `${alice.password}\n`)], { env: SECRET_ENV });
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.equal(JSON.parse(fromFile.stdout).access_token, auth.tokens.at(-1).accessToken);
    assert.equal(auth.tokens.at(-1).user.id, alice.username);
    assert.equal(lastForm().get('password'), alice.password);

    const fromStdin = await cli([...args, '--password-file', '-'], { env: SECRET_ENV, input: `${alice.password}\n` });
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    assert.equal(auth.tokens.at(-1).user.id, alice.username);
  });

  test('refresh token grant, the refresh token from OAUTH_REFRESH_TOKEN; --output result prints the result object', async () => {
    const first = await cli(['--token-endpoint', auth.url, '--client-id', demo.id, '--grant-type', 'password',
      '--username', alice.username, '--output', 'result'], { env: { ...SECRET_ENV, OAUTH_PASSWORD: alice.password } });
    assert.equal(first.code, 0, first.stderr);
    const result = JSON.parse(first.stdout);
    assert.deepEqual(Object.keys(result).sort(),
      ['accessToken', 'expiresAt', 'expiresIn', 'json', 'refreshToken', 'scope', 'tokenType', 'warnings']);
    assert.equal(result.accessToken, auth.tokens.at(-1).accessToken);
    assert.deepEqual(result.json, JSON.parse(auth.responses.at(-1).body));

    const refreshed = await cli(['--token-endpoint', auth.url, '--client-id', demo.id, '--grant-type', 'refresh_token'],
      { env: { ...SECRET_ENV, OAUTH_REFRESH_TOKEN: result.refreshToken }, secrets: [result.refreshToken] });
    assert.equal(refreshed.code, 0, refreshed.stderr);
    assert.equal(lastForm().get('refresh_token'), result.refreshToken);
    assert.equal(JSON.parse(refreshed.stdout).access_token, auth.tokens.at(-1).accessToken);
  });

  test('--config (the tester export) with flags overriding it; a secret in the file is refused', async () => {
    const exported = { tokenEndpoint: auth.url, grantType: 'client_credentials', clientId: demo.id, scope: 'read',
      clientAuthentication: 'body', sslMode: 'verify', timeoutSeconds: 30, ignoreCookiesPolicy: false, basicEncoding: 'form' };
    const file = withFile('settings.json', JSON.stringify(exported, null, 2));
    const run = await cli(['--config', file, '--scope', 'write', '--client-authentication', 'header'], { env: SECRET_ENV });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).scope, 'write');
    assert.equal(lastForm().get('scope'), 'write');
    assert.equal(auth.requests.at(-1).headers.authorization, basic(demo.id, demo.secret));

    const sent = auth.requests.length;
    const withSecret = withFile('with-secret.json', JSON.stringify({ ...exported, clientSecret: 'in-file-secret-41' }));
    const refused = await cli(['--config', withSecret], { secrets: ['in-file-secret-41'] });
    assert.equal(refused.code, 2);
    assertErrorLines(refused.stderr, 'ERR_USAGE');
    assert.match(refused.stderr, /clientSecret/);
    assert.match(refused.stderr, /OAUTH_CLIENT_SECRET/);
    assert.equal(auth.requests.length, sent);
  });

  test('--access-token prints the access token alone, for $(...)', async () => {
    const run = await cli(['--token-endpoint', auth.url, '--client-id', demo.id, '--access-token'], { env: SECRET_ENV });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `${auth.tokens.at(-1).accessToken}\n`);
  });

  test('a warning goes to stderr; --ignore-cookies-policy silences the cookie one', async () => {
    const args = ['--token-endpoint', `${stub.origin}/cookie`, '--client-id', 'c'];
    const warned = await cli(args, { env: SECRET_ENV });
    assert.equal(warned.code, 0, warned.stderr);
    assert.equal(JSON.parse(warned.stdout).access_token, 'stub-token');
    assert.match(warned.stderr, /^oauth-token-connection: warning: .*cookie/im);
    const quiet = await cli([...args, '--ignore-cookies-policy'], { env: SECRET_ENV });
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(quiet.stderr, '');
  });
});

describe('--preview', () => {
  test('prints the request with the secret masked and the encoding notes; the server sees no request', async () => {
    const sent = auth.requests.length;
    const run = await cli(['--token-endpoint', auth.url, '--client-id', 'demo client', '--scope', 'read write', '--preview'],
      { env: SECRET_ENV });
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split('\n');
    assert.equal(lines[0], `POST ${auth.url}`);
    assert.ok(lines.includes('Authorization: Basic base64(demo+client:********)'), run.stdout);
    assert.ok(lines.includes('grant_type=client_credentials&scope=read+write'), run.stdout);
    assert.ok(lines.some((l) => /^# .*"demo client" goes into Basic as "demo\+client"/.test(l)), run.stdout);

    const body = await cli(['--token-endpoint', auth.url, '--client-id', demo.id, '--client-authentication', 'body',
      '--preview'], { env: SECRET_ENV });
    assert.equal(body.code, 0, body.stderr);
    assert.match(body.stdout, /^grant_type=client_credentials&client_id=demo-client&client_secret=\*{8}$/m);
    assert.equal(auth.requests.length, sent);
  });

  test('--output result prints the preview object; --basic-encoding and --extra-param reach it', async () => {
    const run = await cli(['--token-endpoint', auth.url, '--client-id', demo.id, '--basic-encoding', 'none',
      '--extra-param', 'resource=https://a.example', '--extra-param', 'resource=https://b.example',
      '--extra-param', 'audience=api', '--preview', '--output', 'result'], { env: SECRET_ENV });
    assert.equal(run.code, 0, run.stderr);
    const preview = JSON.parse(run.stdout);
    assert.equal(preview.method, 'POST');
    assert.deepEqual(preview.headers.find(([name]) => name === 'Authorization'), ['Authorization', 'Basic base64(demo-client:********)']);
    assert.equal(new URLSearchParams(preview.body).getAll('resource').join(' '), 'https://a.example https://b.example');
    assert.equal(new URLSearchParams(preview.body).get('audience'), 'api');
    assert.ok(preview.notes.some((n) => /basicEncoding "none"/.test(n)), preview.notes.join("\n"));
  });
});

describe('--call', () => {
  test('GET through a connection: the body on stdout, the status on stderr, the token in Authorization', async () => {
    const run = await cli(['--token-endpoint', auth.url, '--client-id', demo.id, '--call', `${resource.origin}/api/things`],
      { env: SECRET_ENV });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, 'HTTP 200 OK\n');
    assert.deepEqual(JSON.parse(run.stdout), { ok: true, method: 'GET', path: '/api/things', body: '', client: demo.id,
      user: `client:${demo.id}` });
    assert.equal(resource.calls.at(-1).authorization, `Bearer ${auth.tokens.at(-1).accessToken}`);
  });

  test('-X, -H and --data @file, then --data - from stdin', async () => {
    const payload = withFile('payload.json', '{"name":"x"}');
    const run = await cli(['--token-endpoint', auth.url, '--client-id', demo.id, '--call', `${resource.origin}/echo`,
      '-X', 'PUT', '-H', 'Content-Type: application/json', '-H', 'X-Trace: t-1', '--data', `@${payload}`], { env: SECRET_ENV });
    assert.equal(run.code, 0, run.stderr);
    const echo = JSON.parse(run.stdout);
    assert.equal(echo.method, 'PUT');
    assert.equal(echo.body, '{"name":"x"}');
    assert.equal(echo.headers['content-type'], 'application/json');
    assert.equal(echo.headers['x-trace'], 't-1');
    assert.equal(echo.headers.authorization, `Bearer ${auth.tokens.at(-1).accessToken}`);

    const piped = await cli(['--token-endpoint', auth.url, '--client-id', demo.id, '--call', `${resource.origin}/echo`,
      '--data', '-'], { env: SECRET_ENV, input: 'a=1&b=2' });
    assert.equal(piped.code, 0, piped.stderr);
    const echoed = JSON.parse(piped.stdout);
    assert.equal(echoed.method, 'POST');
    assert.equal(echoed.body, 'a=1&b=2');
    assert.equal(echoed.headers['content-type'], 'application/x-www-form-urlencoded');
  });

  test("a resource's error status is printed like curl -sS and exits 0", async () => {
    resource.state.rejectAll = true;
    try {
      const run = await cli(['--token-endpoint', auth.url, '--client-id', demo.id, '--call', `${resource.origin}/api/x`],
        { env: SECRET_ENV });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stderr, 'HTTP 401 Unauthorized\n');
      assert.equal(JSON.parse(run.stdout).error, 'invalid_token');
    } finally {
      resource.state.rejectAll = false;
    }
  });
});

describe('errors: one line and a hint on stderr, and the documented exit status', () => {
  const id = ['--client-id', demo.id];
  const cases = [
    ['2: an unknown option', ['--token-endpoint', 'x', '--nope'], 'ERR_USAGE', 2],
    ['2: options that do not go together', ['--call', 'http://127.0.0.1:9/', '--access-token'], 'ERR_USAGE', 2],
    ['2: an invalid setting', () => ['--token-endpoint', auth.url, ...id, '--grant-type', 'implicit'], 'ERR_INVALID_CONFIG', 2],
    ['2: a missing secret, no terminal to ask on', () => ['--token-endpoint', auth.url, ...id], 'ERR_INVALID_CONFIG', 2, {},
      /OAUTH_CLIENT_SECRET/],
    ['2: plain http to a remote host', ['--token-endpoint', 'http://auth.example.com/token', ...id], 'ERR_INSECURE_ENDPOINT', 2],
    ['3: the server refuses the client', () => ['--token-endpoint', auth.url, ...id], 'ERR_OAUTH', 3,
      { OAUTH_CLIENT_SECRET: 'wrong-secret-93' }, /invalid_client/],
    ['4: nothing listens', async () => ['--token-endpoint', `http://127.0.0.1:${await closedPort()}/token`, ...id],
      'ERR_NETWORK', 4],
    ['4: --timeout elapses', () => ['--token-endpoint', `${stub.origin}/hang`, ...id, '--timeout', '1'], 'ERR_TIMEOUT', 4],
    ['5: a 200 HTML page', () => ['--token-endpoint', `${stub.origin}/html`, ...id], 'ERR_INVALID_RESPONSE', 5],
  ];
  for (const [name, args, code, status, env = SECRET_ENV, also] of cases) {
    test(`${name}: ${code}`, async () => {
      const sent = auth.requests.length;
      const run = await cli(typeof args === 'function' ? await args() : args, { env, secrets: ['wrong-secret-93'] });
      assert.equal(run.code, status, run.stderr);
      assert.equal(run.stdout, '');
      assertErrorLines(run.stderr, code);
      if (also) assert.match(run.stderr, also);
      if (status === 2) assert.equal(auth.requests.length, sent, 'nothing sent');
    });
  }

  test('--json-errors: one JSON object with every field', async () => {
    const run = await cli(['--token-endpoint', `${stub.origin}/error-uri`, ...id, '--json-errors'], { env: SECRET_ENV });
    assert.equal(run.code, 3);
    assert.equal(run.stdout, '');
    assert.equal(run.stderr.split('\n').length, 2, 'one line');
    const err = JSON.parse(run.stderr);
    assert.deepEqual(Object.keys(err), ['code', 'message', 'status', 'error', 'errorDescription', 'errorUri', 'hint']);
    assert.equal(err.code, 'ERR_OAUTH');
    assert.equal(err.status, 400);
    assert.equal(err.error, 'invalid_scope');
    assert.equal(err.errorDescription, 'no such scope');
    assert.equal(err.errorUri, 'https://auth.example.com/docs/scopes');
    assert.match(err.message, /invalid_scope/);
    assert.match(err.hint, /\S/);

    const usage = await cli(['--bogus', '--json-errors']);
    assert.equal(usage.code, 2);
    const usageError = JSON.parse(usage.stderr);
    assert.equal(usageError.code, 'ERR_USAGE');
    assert.match(usageError.message, /--bogus/);
  });
});

describe('secrets never come from flags', () => {
  const SENTINEL = 'flag-secret-5e1';
  const refusals = [
    [['--client-secret', SENTINEL], /OAUTH_CLIENT_SECRET/],
    [[`--client-secret=${SENTINEL}`], /OAUTH_CLIENT_SECRET/],
    [['--password', SENTINEL], /OAUTH_PASSWORD/],
    [['--refresh-token', SENTINEL], /OAUTH_REFRESH_TOKEN/],
    [['--private-key', SENTINEL], /--private-key-file/],
    [['--extra-param', `client_secret=${SENTINEL}`], /OAUTH_CLIENT_SECRET/],
    [['--api-token', SENTINEL], /OAUTH_CLIENT_SECRET/],
    [['--call', 'http://127.0.0.1:9/', '-H', `Authorization: Bearer ${SENTINEL}`], /token/],
  ];
  for (const [flags, where] of refusals) {
    test(`${flags.join(' ').replace(SENTINEL, '<secret>')} is refused, without echoing it`, async () => {
      const sent = auth.requests.length;
      const run = await cli(['--token-endpoint', auth.url, '--client-id', demo.id, ...flags],
        { secrets: [SENTINEL], argvHoldsSecrets: true });
      assert.equal(run.code, 2);
      assert.equal(run.stdout, '');
      assertErrorLines(run.stderr, 'ERR_USAGE');
      assert.match(run.stderr, /refused|never come from flags/);
      assert.match(run.stderr, where);
      assert.equal(auth.requests.length, sent);
      // The command-line check sees what is there: the secret this test put in argv.
      assert.ok(run.commandLines.some((c) => OWN_PROCESS.test(c) && c.includes(SENTINEL)), run.commandLines.join('\n'));
    });
  }
});

describe('the prompt, under a pseudo-terminal', () => {
  const hasScript = spawnSync('script', ['--version']).status === 0;
  const skip = !hasScript && 'no `script` (util-linux)';
  /** The password grant with neither secret given: the command asks for both. */
  const command = () => `npx oauth-token-connection --token-endpoint ${auth.url} --client-id ${demo.id} `
    + `--grant-type password --username ${alice.username} --access-token`;

  /**
   * Runs command() under script(1): for each [pattern, text] step, waits for the output to match,
   * then types the text. Resolves { code, out, commandLines }.
   */
  async function underTerminal(steps) {
    const child = spawn('script', ['-qec', command(), '/dev/null'],
      { cwd: installed.project, env: baseEnv() });
    const watch = watchCommandLines(child.pid);
    const exited = new Promise((resolve) => child.once('close', (code) => resolve(code)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    let out = '';
    let waiter;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      out += chunk;
      waiter?.();
    });
    try {
      for (const [pattern, text] of steps) {
        while (!pattern.test(out)) {
          await Promise.race([new Promise((resolve) => { waiter = resolve; }),
            exited.then(() => { throw new Error(`exited before ${pattern}: ${out}`); })]);
        }
        child.stdin.write(text);
      }
      return { code: await exited, out, commandLines: watch.stop() };
    } finally {
      clearTimeout(timer);
      child.kill('SIGKILL');
    }
  }

  function assertTokenNoEcho({ code, out, commandLines }) {
    assert.equal(code, 0, out);
    const token = auth.tokens.at(-1);
    assert.equal(token.user.id, alice.username);
    assert.ok(out.includes(token.accessToken), out);
    assert.ok(commandLines.some((c) => OWN_PROCESS.test(c)), commandLines.join('\n'));
    for (const value of leakForms(SECRETS, demo.id)) {
      assert.ok(!out.includes(value), `echoed: ${out}`);
      for (const line of commandLines) assert.ok(!line.includes(value), line);
    }
  }

  test('asks for the client secret, then the password, without echoing them', { skip }, async () => {
    assertTokenNoEcho(await underTerminal([
      [/Client secret for demo-client: $/, `${demo.secret}\r`],
      [/Password for alice: $/, `${alice.password}\r`],
    ]));
  });

  test('both answers pasted at the first prompt: each goes to its prompt, neither is echoed', { skip }, async () => {
    assertTokenNoEcho(await underTerminal([
      [/Client secret for demo-client: $/, `${demo.secret}\r${alice.password}\r`],
    ]));
  });
});

describe('--help and --version', () => {
  test('--help lists every flag with the setting it mirrors', async () => {
    const run = await cli(['--help']);
    assert.equal(run.code, 0);
    const mirrors = {
      '--token-endpoint': 'tokenEndpoint', '--issuer': 'issuer', '--grant-type': 'grantType', '--client-id': 'clientId',
      '--scope': 'scope', '--client-authentication': 'clientAuthentication', '--username': 'username',
      '--basic-encoding': 'basicEncoding', '--timeout': 'timeoutSeconds', '--ignore-cookies-policy': 'ignoreCookiesPolicy',
      '--extra-param': 'extraParams', '--key-id': 'keyId', '--signing-algorithm': 'signingAlgorithm',
      '--client-secret-file': 'clientSecret', '--password-file': 'password', '--refresh-token-file': 'refreshToken',
      '--private-key-file': 'privateKey', '--service-account-file': 'serviceAccount',
    };
    const lines = run.stdout.split('\n');
    for (const [flag, setting] of Object.entries(mirrors)) {
      assert.ok(lines.some((l) => l.includes(`${flag} `) && new RegExp(`\\b${setting}\\b`).test(l)), `${flag} -> ${setting}`);
    }
    for (const flag of ['--config', '--pretty', '--output', '--access-token', '--preview', '--call', '-X', '-H', '--data',
      '--json-errors', '--help', '--version', 'OAUTH_CLIENT_SECRET', 'OAUTH_PASSWORD', 'OAUTH_REFRESH_TOKEN']) {
      assert.ok(run.stdout.includes(flag), flag);
    }
    for (const status of [0, 1, 2, 3, 4, 5]) assert.match(run.stdout, new RegExp(`^ {2}${status} {2}\\S`, 'm'));
  });

  test('--version prints the installed package version', async () => {
    const run = await cli(['--version']);
    assert.equal(run.code, 0);
    const { version } = JSON.parse(readFileSync(join(installed.project, 'node_modules/oauth-token-connection/package.json'), 'utf8'));
    assert.equal(run.stdout, `oauth-token-connection ${version}\n`);
  });
});
