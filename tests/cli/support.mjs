// What the command's tests share: the packed tarball installed into a temporary project, a run of
// `npx oauth-token-connection` that watches every process it starts (their /proc/<pid>/cmdline),
// and a token endpoint of the tests' own for the failures the demo server never gives.

import { execFile, spawn } from 'node:child_process';
import http from 'node:http';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `npm pack pkg/`, installed offline into a new project; returns its paths. */
export async function installPackedTarball() {
  const tmp = mkdtempSync(join(tmpdir(), 'otc-cli-'));
  const { stdout } = await exec('npm', ['pack', join(ROOT, 'pkg'), '--pack-destination', tmp, '--json'], { cwd: tmp });
  const [pack] = JSON.parse(stdout);
  const project = join(tmp, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'cli-user', private: true }));
  await exec('npm', ['install', '--offline', '--no-audit', '--no-fund', join(tmp, pack.filename)], { cwd: project });
  return { tmp, project, pack };
}

/** The environment of a run: no OAUTH_* of the caller's, and npx kept off the network. */
export function baseEnv() {
  const env = { ...process.env, npm_config_offline: 'true', npm_config_update_notifier: 'false', NO_COLOR: '1' };
  for (const key of Object.keys(env)) if (key.startsWith('OAUTH_')) delete env[key];
  return env;
}

/** The pids under `root` (children, grandchildren...), from each process's parent in /proc/<pid>/stat. */
function descendants(root) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch {} // exited meanwhile
  }
  const out = [];
  const stack = [root];
  while (stack.length) {
    for (const child of children.get(stack.pop()) ?? []) {
      out.push(child);
      stack.push(child);
    }
  }
  return out;
}

/** Records the command line of every process under `root` until stop(); polled every 10 ms. */
export function watchCommandLines(root) {
  const seen = new Set();
  const look = () => {
    for (const pid of descendants(root)) {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`).toString('utf8').split('\0').filter(Boolean);
        if (argv.length) seen.add(argv.join(' '));
      } catch {}
    }
  };
  look();
  const timer = setInterval(look, 10);
  return {
    stop() {
      clearInterval(timer);
      return [...seen];
    },
  };
}

/** Every form a secret could leak in: as is, URL- and form-encoded, and inside a Basic header. */
export function leakForms(secrets, clientId) {
  return secrets.flatMap((s) => [s, encodeURIComponent(s), new URLSearchParams({ s }).toString().slice(2),
    ...(clientId ? [Buffer.from(`${clientId}:${s}`).toString('base64')] : [])]);
}

/**
 * Runs `npx oauth-token-connection ...args` in `project`: resolves { code, stdout, stderr,
 * commandLines } whatever the exit status. `input`: written to stdin (else stdin is empty).
 */
export function runCli(project, args, { env = {}, input, command = ['npx', 'oauth-token-connection'] } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], [...command.slice(1), ...args], {
      cwd: project, env: { ...baseEnv(), ...env }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    const watch = watchCommandLines(child.pid);
    const out = [];
    const err = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    child.stdin.on('error', () => {}); // the command may exit before reading it all
    child.stdin.end(input);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: signal ? signal : code, stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'), commandLines: watch.stop() });
    });
  });
}

/**
 * A token endpoint of the tests' own, on 127.0.0.1: `/hang` never answers, `/html` is a 200 HTML
 * page, `/error-uri` a §5.2 error with every field, `/cookie` a token with a foreign-domain cookie.
 */
export async function startStubServer() {
  const server = http.createServer((req, res) => {
    const json = (status, obj, headers = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(obj));
    };
    req.resume();
    req.on('end', () => {
      switch (new URL(req.url, 'http://127.0.0.1').pathname) {
        case '/hang':
          return undefined;
        case '/html':
          res.writeHead(200, { 'content-type': 'text/html' });
          return res.end('<!doctype html><title>Sign in</title>');
        case '/error-uri':
          return json(400, { error: 'invalid_scope', error_description: 'no such scope',
            error_uri: 'https://auth.example.com/docs/scopes' });
        case '/cookie':
          return json(200, { access_token: 'stub-token', token_type: 'Bearer', expires_in: 60 },
            { 'set-cookie': 'session=1; Domain=example.com; Path=/' });
        default:
          return json(404, { error: 'not_found' });
      }
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** A loopback port nothing listens on (it was free a moment ago). */
export async function closedPort() {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}
