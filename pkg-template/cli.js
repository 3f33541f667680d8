#!/usr/bin/env node
// The `oauth-token-connection` command: a token request, a preview or a REST call from a shell,
// through the package's public API on the node entry. Secrets come from the environment, files
// or a hidden prompt, never from the command line, where `ps` and shell history would show them.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const NAME = 'oauth-token-connection';

/** Flag -> setting, for flags that take a string. */
const SETTING_FLAGS = {
  'token-endpoint': 'tokenEndpoint',
  issuer: 'issuer',
  'grant-type': 'grantType',
  'client-id': 'clientId',
  scope: 'scope',
  'client-authentication': 'clientAuthentication',
  username: 'username',
  'basic-encoding': 'basicEncoding',
  'key-id': 'keyId',
  'signing-algorithm': 'signingAlgorithm',
};

/** Where each secret comes from: the environment, a file flag, and the prompt's label. */
const SECRETS = {
  clientSecret: { env: 'OAUTH_CLIENT_SECRET', file: 'client-secret-file', label: 'Client secret' },
  password: { env: 'OAUTH_PASSWORD', file: 'password-file', label: 'Password' },
  refreshToken: { env: 'OAUTH_REFRESH_TOKEN', file: 'refresh-token-file', label: 'Refresh token' },
  privateKey: { file: 'private-key-file' },
  serviceAccount: { file: 'service-account-file' },
};

/** Flags that take a value, besides the settings' and the secret files'. */
const VALUE_FLAGS = new Set(['config', 'timeout', 'extra-param', 'output', 'call', 'request', 'header', 'data',
  ...Object.keys(SETTING_FLAGS), ...Object.values(SECRETS).map((s) => s.file)]);
const BOOLEAN_FLAGS = new Set(['ignore-cookies-policy', 'pretty', 'access-token', 'preview', 'json-errors', 'help',
  'version']);
const SHORT_FLAGS = { X: 'request', H: 'header', d: 'data', h: 'help' };
const REPEATABLE = new Set(['extra-param', 'header']);

/** Flags people try for a secret: refused, with where the secret goes instead. */
const SECRET_FLAGS = {
  'client-secret': 'clientSecret',
  secret: 'clientSecret',
  password: 'password',
  'refresh-token': 'refreshToken',
  'private-key': 'privateKey',
  'service-account': 'serviceAccount',
};
/** Form parameters that carry a secret: refused in --extra-param. */
const SECRET_PARAMS = new Set(['client_secret', 'password', 'refresh_token', 'client_assertion', 'assertion']);

/** Exit statuses, by error code; anything else is 1 (a bug to report). */
const EXIT = {
  ERR_USAGE: 2,
  ERR_INVALID_CONFIG: 2,
  ERR_UNSUPPORTED_SSL_MODE: 2,
  ERR_INSECURE_ENDPOINT: 2,
  ERR_OAUTH: 3,
  ERR_HTTP_STATUS: 3,
  ERR_NETWORK: 4,
  ERR_TLS: 4,
  ERR_TIMEOUT: 4,
  ERR_ABORTED: 4,
  ERR_INVALID_RESPONSE: 5,
  ERR_UNEXPECTED_REDIRECT: 5,
  ERR_RESPONSE_TOO_LARGE: 5,
};

const HELP = `Usage: ${NAME} [settings] [output]   the token endpoint's JSON on stdout
       ${NAME} --preview [settings]  the request it would send; sends nothing
       ${NAME} --call URL [settings] [-X METHOD] [-H 'Name: value']... [-d DATA]
                                                    a REST call with the token

Settings (each flag sets the package setting on the right; flags override --config):
  --config FILE                  settings as JSON: the connection tester's export
  --token-endpoint URL           tokenEndpoint
  --issuer URL                   issuer (discovery; where the package supports it)
  --grant-type TYPE              grantType: client_credentials (default), password, refresh_token
  --client-id ID                 clientId
  --scope 'A B'                  scope
  --client-authentication TYPE   clientAuthentication: header (default, HTTP Basic), body
  --username NAME                username (password grant)
  --basic-encoding E             basicEncoding: form (default), none
  --timeout SECONDS              timeoutSeconds (default 30)
  --ignore-cookies-policy        ignoreCookiesPolicy: true
  --extra-param NAME=VALUE       extraParams (repeatable; a repeated name sends each value)
  --key-id KID                   keyId
  --signing-algorithm ALG        signingAlgorithm

Secrets never come from flags or --config. They come from the environment, a file (- reads
stdin; one trailing newline is dropped) or, when stdin is a terminal, a prompt that does not echo:
  OAUTH_CLIENT_SECRET  or --client-secret-file FILE     clientSecret
  OAUTH_PASSWORD       or --password-file FILE          password
  OAUTH_REFRESH_TOKEN  or --refresh-token-file FILE     refreshToken
                          --private-key-file FILE       privateKey (PEM, or a JWK as JSON)
                          --service-account-file FILE   serviceAccount (the key file's JSON)

Output (stdout):
  --output json                  the token endpoint's JSON, verbatim, on one line (the default)
  --pretty                       the JSON indented
  --output result                the package's result object instead (accessToken, tokenType,
                                 expiresIn, expiresAt, scope, refreshToken, json, warnings)
  --access-token                 the access token only, for TOKEN=$(...)
  --preview                      the request (method, URL, headers, body; secrets masked) and
                                 notes on the encodings; with --output result, as JSON
  --call URL                     the resource's body; its status goes to stderr
    -X, --request METHOD         default GET, or POST with --data
    -H, --header 'Name: value'   a request header (repeatable)
    -d, --data @FILE|-|TEXT      the body: a file's bytes, stdin, or the text (Content-Type
                                 application/x-www-form-urlencoded unless -H sets one)

Errors (stderr): "${NAME}: ERR_CODE: message", then "hint: ..." on the next line.
  --json-errors                  one JSON object instead: code, message, status, error,
                                 errorDescription, errorUri, hint

Exit status:
  0  success (with --call: the resource answered, whatever its status)
  2  usage or configuration (ERR_USAGE, ERR_INVALID_CONFIG, ERR_INSECURE_ENDPOINT, ...)
  3  the token endpoint answered with an error (ERR_OAUTH, ERR_HTTP_STATUS)
  4  network, TLS or timeout (ERR_NETWORK, ERR_TLS, ERR_TIMEOUT)
  5  an invalid response (ERR_INVALID_RESPONSE, ERR_UNEXPECTED_REDIRECT, ERR_RESPONSE_TOO_LARGE)
  1  anything else: a bug to report

  -h, --help                     this text
  --version                      the package's version`;

/** A usage error: exit 2, and never a value from the command line in its message. */
class UsageError extends Error {
  constructor(message, hint = `Run \`${NAME} --help\` for the options.`) {
    super(message);
    this.code = 'ERR_USAGE';
    this.hint = hint;
  }
}

/** Where a secret comes from: the environment or a file. */
function secretSources(key) {
  const { env, file } = SECRETS[key];
  return `${env ? `set ${env}, or ` : ''}use --${file} FILE (- reads stdin)`;
}

function capitalized(text) {
  return text[0].toUpperCase() + text.slice(1);
}

function refuseSecretFlag(flag, key) {
  const ask = SECRETS[key].env ? ', or leave it out to be asked on a terminal' : '';
  return new UsageError(`${flag} is refused: a secret on the command line is visible to other users `
    + '(ps, /proc) and kept in shell history', `Secrets never come from flags: ${secretSources(key)}${ask}.`);
}

/** The command line as flag name -> value (an array for repeatable ones); no error quotes a value. */
function parseCommandLine(argv) {
  const values = {};
  const seen = new Set();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    let name;
    let inline;
    if (arg.startsWith('--') && arg.length > 2) {
      const eq = arg.indexOf('=');
      name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
    } else if (/^-[A-Za-z]/.test(arg)) {
      name = SHORT_FLAGS[arg[1]];
      if (name === undefined) throw new UsageError(`unknown option -${arg[1]}`);
      if (arg.length > 2) inline = arg.slice(2); // curl's -XPOST
    } else {
      throw new UsageError(`unexpected argument in position ${i + 1}: options start with --`);
    }
    const flag = `--${name}`;
    if (Object.hasOwn(SECRET_FLAGS, name)) throw refuseSecretFlag(flag, SECRET_FLAGS[name]);
    if (BOOLEAN_FLAGS.has(name)) {
      if (inline !== undefined) throw new UsageError(`${flag} takes no value`);
      values[name] = true;
    } else if (VALUE_FLAGS.has(name)) {
      let value = inline;
      if (value === undefined) {
        value = argv[++i];
        if (value === undefined || (value.startsWith('-') && value !== '-')) {
          throw new UsageError(`${flag} needs a value`);
        }
      }
      if (REPEATABLE.has(name)) (values[name] ??= []).push(value);
      else if (seen.has(name)) throw new UsageError(`${flag} is given twice`);
      else values[name] = value;
    } else if (/secret|passw|token|private|assertion|credential/i.test(name)) {
      throw new UsageError(`unknown option ${flag}; secrets never come from flags`,
        'Use OAUTH_CLIENT_SECRET, OAUTH_PASSWORD or OAUTH_REFRESH_TOKEN, or a --*-file option; '
        + `\`${NAME} --help\` lists them.`);
    } else {
      throw new UsageError(`unknown option ${flag}`);
    }
    seen.add(name);
  }
  return values;
}

/** A file's text, or stdin's for "-". */
async function readText(path, what, stdin) {
  return (await readBytes(path, what, stdin)).toString('utf8');
}

async function readBytes(path, what, stdin) {
  if (path === '-') return stdin.read();
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UsageError(`${what}: cannot read the file (${e.code ?? e.name})`);
  }
}

/** Stdin, read once: the only flag that reads it gets it. */
function stdinOnce() {
  let reader;
  return {
    read() {
      reader ??= (async () => {
        const chunks = [];
        for await (const chunk of process.stdin) chunks.push(chunk);
        return Buffer.concat(chunks);
      })();
      return reader;
    },
  };
}

function dropNewline(text) {
  return text.replace(/\r?\n$/, '');
}

/** A JSON file's object; the parser's message is not shown (it may quote the file). */
function parseJsonObject(text, what) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`${what} is not valid JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`${what} must hold a JSON object`);
  }
  return value;
}

/** The settings: --config, then the flags over it, then the secrets from files or the environment. */
async function buildConfig(values, stdin) {
  const config = values.config === undefined
    ? {}
    : parseJsonObject(await readText(values.config, '--config', stdin), '--config');
  // The file is shared and committed more often than kept private: no secrets in it.
  const inFile = Object.keys(SECRETS).filter((key) => Object.hasOwn(config, key));
  if (inFile.length) {
    throw new UsageError(`--config: remove ${inFile.join(', ')}: secrets never come from the settings file`,
      `${capitalized(secretSources(inFile[0]))}.`);
  }
  for (const [flag, key] of Object.entries(SETTING_FLAGS)) {
    if (values[flag] !== undefined) config[key] = values[flag];
  }
  if (values.timeout !== undefined) {
    const seconds = Number(values.timeout);
    if (values.timeout.trim() === '' || !Number.isFinite(seconds)) {
      throw new UsageError('--timeout expects a number of seconds');
    }
    config.timeoutSeconds = seconds;
  }
  if (values['ignore-cookies-policy']) config.ignoreCookiesPolicy = true;
  if (values['extra-param']) config.extraParams = extraParams(config.extraParams, values['extra-param']);

  for (const [key, { env, file }] of Object.entries(SECRETS)) {
    const path = values[file];
    if (path !== undefined) {
      const text = await readText(path, `--${file}`, stdin);
      if (key === 'serviceAccount') config[key] = parseJsonObject(text, `--${file}`);
      else if (key === 'privateKey') config[key] = text.trimStart().startsWith('{') ? parseJsonObject(text, `--${file}`) : text;
      else config[key] = dropNewline(text);
    } else if (env && process.env[env]) {
      config[key] = process.env[env];
    }
  }
  return config;
}

/** --extra-param NAME=VALUE over the config file's extraParams: a name given here replaces its values. */
function extraParams(fromFile, pairs) {
  const out = fromFile !== null && typeof fromFile === 'object' && !Array.isArray(fromFile) ? { ...fromFile } : {};
  const given = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new UsageError('--extra-param expects NAME=VALUE');
    const name = pair.slice(0, eq);
    if (SECRET_PARAMS.has(name)) {
      throw refuseSecretFlag(`--extra-param ${name}=`, name === 'password' ? 'password'
        : name === 'refresh_token' ? 'refreshToken' : 'clientSecret');
    }
    (given[name] ??= []).push(pair.slice(eq + 1));
  }
  for (const [name, list] of Object.entries(given)) out[name] = list.length === 1 ? list[0] : list;
  return out;
}

/** The secrets this config needs and lacks, as the prompt would ask for them. */
function missingSecrets(config) {
  const grant = config.grantType ?? 'client_credentials';
  const auth = config.clientAuthentication ?? 'header';
  const keyed = config.privateKey !== undefined || config.serviceAccount !== undefined;
  const missing = [];
  const publicClient = grant !== 'client_credentials' && auth === 'body';
  if (!keyed && ['header', 'body', 'client_secret_jwt'].includes(auth) && !publicClient
    && ['client_credentials', 'password', 'refresh_token'].includes(grant) && !config.clientSecret) {
    missing.push('clientSecret');
  }
  if (grant === 'password' && !config.password) missing.push('password');
  if (grant === 'refresh_token' && !config.refreshToken) missing.push('refreshToken');
  return missing;
}

/** Asks for each label's value on the terminal, without echo; Ctrl-C exits with 130. */
async function ask(labels) {
  const input = process.stdin;
  // Echo off once, before the first prompt shows: type-ahead and a paste are not echoed either.
  input.setRawMode(true);
  const lines = [];
  let line = '';
  let previous = '';
  let wake;
  const restore = () => {
    input.off('data', onData);
    input.setRawMode(false);
    input.pause();
  };
  const onData = (chunk) => {
    for (const ch of chunk.toString('utf8')) {
      if (ch === '\u0003') {
        restore();
        process.stderr.write('\n');
        process.exit(130);
      }
      if (ch === '\r' || ch === '\u0004' || (ch === '\n' && previous !== '\r')) {
        lines.push(line);
        line = '';
      } else if (ch === '\u007f' || ch === '\b') {
        line = [...line].slice(0, -1).join('');
      } else if (ch >= ' ') {
        line += ch;
      }
      previous = ch;
    }
    wake?.();
  };
  input.on('data', onData);
  input.resume();
  const answers = [];
  try {
    for (const label of labels) {
      process.stderr.write(`${label}: `);
      while (!lines.length) await new Promise((resolve) => { wake = resolve; });
      answers.push(lines.shift());
      process.stderr.write('\n');
    }
  } finally {
    restore();
  }
  return answers;
}

/** --call's request: method, headers and body. */
async function callInit(values, stdin) {
  const headers = new Headers();
  for (const line of values.header ?? []) {
    const colon = line.indexOf(':');
    const name = colon === -1 ? '' : line.slice(0, colon).trim();
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new UsageError("-H expects 'Name: value'");
    if (name.toLowerCase() === 'authorization') {
      throw new UsageError('-H Authorization is refused: the connection sets it from the token, and a '
        + 'credential on the command line is visible to other users', 'Leave it out: the token goes in it.');
    }
    try {
      headers.append(name, line.slice(colon + 1).trim());
    } catch {
      throw new UsageError(`-H ${name}: the value is not a valid header value`);
    }
  }
  let body;
  if (values.data !== undefined) {
    const data = values.data;
    body = data === '-' ? await stdin.read()
      : data.startsWith('@') ? await readBytes(data.slice(1), '--data', stdin) : data;
    if (!headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded');
  }
  const method = values.request ?? (body === undefined ? 'GET' : 'POST');
  return { method, headers, body };
}

/** The flags that read stdin. */
function readsStdin(values) {
  const users = [...Object.values(SECRETS).map((s) => s.file), 'config'].filter((f) => values[f] === '-');
  if (values.data === '-' || values.data === '@-') users.push('data');
  return users;
}

function checkCombinations(values) {
  const stdinUsers = readsStdin(values);
  if (stdinUsers.length > 1) {
    throw new UsageError(`only one option can read stdin (${stdinUsers.map((f) => `--${f}`).join(', ')})`);
  }
  const mode = values.call !== undefined ? '--call' : values.preview ? '--preview' : undefined;
  const outputs = ['access-token', 'output', 'pretty'].filter((f) => values[f] !== undefined);
  if (values.call !== undefined && values.preview) throw new UsageError('--call and --preview do not go together');
  if (mode === '--call' && outputs.length) throw new UsageError(`--${outputs[0]} does not go with --call`);
  if (mode === '--preview' && values['access-token']) throw new UsageError('--access-token does not go with --preview');
  if (values['access-token'] && values.output !== undefined) throw new UsageError('--access-token and --output do not go together');
  if (values.output !== undefined && !['json', 'result'].includes(values.output)) {
    throw new UsageError('--output expects json or result');
  }
  if (mode !== '--call') {
    const callOnly = ['request', 'header', 'data'].find((f) => values[f] !== undefined);
    if (callOnly) throw new UsageError(`--${callOnly} needs --call URL`);
  } else {
    let url;
    try {
      url = new URL(values.call);
    } catch {}
    if (!url || !['http:', 'https:'].includes(url.protocol)) throw new UsageError('--call expects an http: or https: URL');
  }
}

function json(value, pretty) {
  return JSON.stringify(value, null, pretty ? 2 : undefined);
}

function warn(result) {
  for (const w of result?.warnings ?? []) process.stderr.write(`${NAME}: warning: ${w}\n`);
}

function previewText(p) {
  const lines = [`${p.method} ${p.url}`, ...p.headers.map(([name, value]) => `${name}: ${value}`), '', p.body];
  if (p.notes?.length) lines.push('', ...p.notes.map((n) => `# ${n}`));
  return `${lines.join('\n')}\n`;
}

async function main(argv) {
  const values = parseCommandLine(argv);
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (values.version) {
    const { version } = createRequire(import.meta.url)(`${NAME}/package.json`);
    process.stdout.write(`${NAME} ${version}\n`);
    return 0;
  }
  checkCombinations(values);
  const stdin = stdinOnce();
  const config = await buildConfig(values, stdin);
  const missing = missingSecrets(config);
  // Stdin read for a file or the body has ended: nothing left to ask on.
  if (missing.length && process.stdin.isTTY && !readsStdin(values).length) {
    const labels = missing.map((key) => SECRETS[key].label
      + (key === 'clientSecret' && typeof config.clientId === 'string' ? ` for ${config.clientId}`
        : key === 'password' && typeof config.username === 'string' ? ` for ${config.username}` : ''));
    const answers = await ask(labels);
    missing.forEach((key, i) => {
      if (answers[i]) config[key] = answers[i];
    });
  }
  const secretsMissing = missingSecrets(config);

  try {
    if (values.preview) {
      const { previewRequest } = await import(`${NAME}/full`);
      const preview = await previewRequest(config);
      process.stdout.write(values.output === 'result' ? `${json(preview, values.pretty)}\n` : previewText(preview));
      return 0;
    }
    const api = await import(NAME);
    if (values.call !== undefined) return await call(api, config, values, stdin);
    const result = await api.requestToken(config);
    warn(result);
    const out = values['access-token'] ? result.accessToken
      : json(values.output === 'result' ? result : result.json, values.pretty);
    process.stdout.write(`${out}\n`);
    return 0;
  } catch (err) {
    // A secret the grant needs and nobody gave: say where it comes from.
    if (err?.code === 'ERR_INVALID_CONFIG' && secretsMissing.length) {
      err.hint = `${capitalized(secretSources(secretsMissing[0]))}; on a terminal, you are asked for it.`;
    }
    throw err;
  }
}

/** --call: the resource's body to stdout, its status to stderr. */
async function call(api, config, values, stdin) {
  const init = await callInit(values, stdin);
  const connection = api.createConnection(config);
  let res;
  try {
    res = await connection.fetch(values.call, init);
  } catch (err) {
    if (err instanceof api.OAuthTokenError) throw err;
    const cause = err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(err);
    throw Object.assign(new Error(`the call to the resource failed: ${cause}`), {
      code: 'ERR_NETWORK',
      hint: 'Check the URL and that the resource is reachable from here.',
    });
  }
  warn(connection.lastResult);
  const body = Buffer.from(await res.arrayBuffer());
  process.stderr.write(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}\n`);
  await new Promise((resolve, reject) => process.stdout.write(body, (e) => (e ? reject(e) : resolve())));
  return 0;
}

function report(err, jsonErrors) {
  const code = typeof err?.code === 'string' ? err.code : 'ERR_INTERNAL';
  const message = typeof err?.message === 'string' ? err.message : String(err);
  const hint = typeof err?.hint === 'string' ? err.hint : undefined;
  if (jsonErrors) {
    const fields = { code, message, status: err?.status, error: err?.error, errorDescription: err?.errorDescription,
      errorUri: err?.errorUri, hint };
    process.stderr.write(`${JSON.stringify(fields)}\n`);
  } else {
    process.stderr.write(`${NAME}: ${code}: ${message}\n${hint ? `hint: ${hint}\n` : ''}`);
  }
  return EXIT[code] ?? 1;
}

// A reader that stops early (`| head`) is not an error of this command.
process.stdout.on('error', (e) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(process.exitCode ?? 0);
});
const argv = process.argv.slice(2);
main(argv).then(
  (status) => { process.exitCode = status; },
  (err) => { process.exitCode = report(err, argv.includes('--json-errors')); },
);
