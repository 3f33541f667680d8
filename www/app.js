// The connection tester: reads the form into a requestToken config, shows the package's request
// preview as the form changes, runs the request and explains the outcome.
// Secrets (client secret, password, tokens) are never stored (no localStorage, sessionStorage,
// cookies or URLs) and never logged: this file has no console call, and every promise is handled.

import { explain } from './explain.js';

const $ = (id) => document.getElementById(id);
const MASK_CHAR = '•';

/** Creates an element: h('p', { class: 'x' }, 'text', child). */
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

// --- Cancel ------------------------------------------------------------------------------------
// requestToken takes no abort signal (its timeout is internal), and the package calls the
// global fetch. While a test runs, the page's fetch adds the Cancel button's signal to the
// package's own: either one aborts the request.
let cancelSignal = null;
const hostFetch = globalThis.fetch.bind(globalThis);
globalThis.fetch = (input, init) => {
  if (!cancelSignal) return hostFetch(input, init);
  const own = init?.signal;
  const signal = own ? AbortSignal.any([own, cancelSignal]) : cancelSignal;
  return hostFetch(input, { ...init, signal });
};

// --- The package -------------------------------------------------------------------------------
let pkg = null;
try {
  pkg = await import('/pkg/browser.js');
} catch {
  const banner = $('load-error');
  banner.textContent = 'The package could not be loaded from /pkg/browser.js. Build it with '
    + '"bash scripts/build.sh" and serve this page with "bash scripts/demo.sh".';
  banner.hidden = false;
  $('test').disabled = true;
}

// --- The form ----------------------------------------------------------------------------------
const checked = (name) => document.querySelector(`input[name="${name}"]:checked`)?.value;

/** The requestToken config the form describes. */
function readForm() {
  const grantType = checked('grantType');
  const config = {
    tokenEndpoint: $('tokenEndpoint').value,
    grantType,
    clientId: $('clientId').value,
    clientSecret: $('clientSecret').value,
    clientAuthentication: checked('clientAuthentication'),
    basicEncoding: $('basicEncoding').value,
    sslMode: $('sslMode').value,
    ignoreCookiesPolicy: $('ignoreCookiesPolicy').checked,
  };
  const scope = $('scope').value;
  if (scope.trim() !== '') config.scope = scope;
  if (grantType === 'password') {
    config.username = $('username').value;
    config.password = $('password').value;
  }
  const timeout = $('timeoutSeconds');
  // A number field reports '' for both empty and unparsable input; badInput tells them apart.
  if (timeout.validity.badInput) config.timeoutSeconds = Number.NaN;
  else if (timeout.value !== '') config.timeoutSeconds = timeout.valueAsNumber;
  return config;
}

function syncGrantFields() {
  $('password-fields').hidden = checked('grantType') !== 'password';
}

for (const button of document.querySelectorAll('button[data-reveal]')) {
  button.addEventListener('click', () => {
    const input = $(button.dataset.reveal);
    const show = input.type === 'password';
    input.type = show ? 'text' : 'password';
    button.textContent = show ? 'Hide' : 'Show';
    button.setAttribute('aria-pressed', String(show));
  });
}

const form = $('settings');
form.addEventListener('input', () => { syncGrantFields(); updatePreview(); });
form.addEventListener('change', () => { syncGrantFields(); updatePreview(); });
form.addEventListener('submit', (event) => {
  event.preventDefault();
  testConnection();
});

// "Use demo server": offered when the page is served by scripts/demo.sh next to the demo server.
async function offerDemo() {
  let demo;
  try {
    const res = await hostFetch('/demo-config.json', { cache: 'no-store' });
    if (!res.ok) return;
    demo = await res.json();
  } catch {
    return;
  }
  const button = $('use-demo');
  button.hidden = false;
  button.title = `Fill the form for the embedded demo server at ${demo.tokenEndpoint}`;
  button.addEventListener('click', () => {
    $('tokenEndpoint').value = demo.tokenEndpoint;
    $('clientId').value = demo.clientId;
    $('clientSecret').value = demo.clientSecret;
    $('scope').value = demo.scope ?? '';
    $('username').value = demo.username ?? '';
    $('password').value = demo.password ?? '';
    updatePreview();
  });
}

// --- Request preview ---------------------------------------------------------------------------
let previewSeq = 0;
let lastPreview = null;
let previewKey = null;

/** Text with every masked run (********) wrapped in a highlight. */
function masked(text) {
  const parts = text.split(/(\*{8})/);
  return parts.map((p, i) => (i % 2 ? h('span', { class: 'mask', title: 'masked' }, p) : p));
}

async function updatePreview() {
  if (!pkg) return;
  const seq = ++previewSeq;
  let preview = null;
  let error = null;
  try {
    preview = await pkg.previewRequest(readForm());
  } catch (e) {
    error = e;
  }
  if (seq !== previewSeq) return; // a newer edit is being previewed
  lastPreview = preview;
  // Re-render only on change: replacing nodes under the viewport makes scroll anchoring jump.
  const key = JSON.stringify(error ? [error.code, error.message] : preview);
  if (key === previewKey) return;
  previewKey = key;
  const pre = $('preview');
  const problem = $('preview-error');
  const notes = $('preview-notes');
  notes.replaceChildren();
  if (error) {
    pre.replaceChildren(h('span', { class: 'muted' }, 'No request yet: fix the settings.'));
    problem.replaceChildren(h('span', { class: 'code-badge' }, error.code ?? 'Error'), ' ', error.message ?? String(error));
    problem.hidden = false;
    $('fetch-options').textContent = '';
    return;
  }
  problem.hidden = true;
  pre.replaceChildren(
    h('span', { class: 'method' }, preview.method), ' ', preview.url, '\n',
    ...preview.headers.flatMap(([name, value]) => [h('span', { class: 'hname' }, name), ': ', ...masked(value), '\n']),
    '\n',
    ...masked(preview.body),
  );
  const fo = preview.fetchOptions;
  $('fetch-options').textContent = `fetch options: redirect ${fo.redirect} · credentials ${fo.credentials} · cache ${fo.cache}`;
  notes.append(...preview.notes.map((n) => h('li', {}, n)));
}

// --- Test connection ---------------------------------------------------------------------------
let running = false;
let ticker = null; // the busy state's elapsed time, or the success state's countdown

function stopTicker() {
  clearInterval(ticker);
  ticker = null;
}

function formatElapsed(ms) {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function formatDuration(totalSeconds) {
  const s = Math.max(0, Math.floor(totalSeconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = s % 60;
  const two = (n) => String(n).padStart(2, '0');
  return hours ? `${hours}:${two(minutes)}:${two(seconds)}` : `${minutes}:${two(seconds)}`;
}

function showResult(...children) {
  $('result-body').replaceChildren(...children);
}

/** The facts explanations need, from the config that was sent. */
function contextFor(config) {
  return {
    grantType: config.grantType,
    clientAuthentication: config.clientAuthentication,
    basicEncoding: config.basicEncoding,
    sslMode: config.sslMode,
    timeoutSeconds: Number.isFinite(config.timeoutSeconds) ? config.timeoutSeconds : undefined,
    origin: location.origin,
    tokenEndpoint: config.tokenEndpoint,
    secretChangesUnderFormEncoding: Boolean(lastPreview?.notes.some((n) => n.includes('form encoding changes'))),
  };
}

async function testConnection() {
  if (running || !pkg) return;
  running = true;
  const config = readForm();
  const ctx = contextFor(config);
  const controller = new AbortController();
  cancelSignal = controller.signal;
  const testButton = $('test');
  testButton.disabled = true;
  const started = performance.now();

  stopTicker();
  const elapsed = h('span', { class: 'elapsed', id: 'busy-elapsed' }, '0.0 s');
  const cancel = h('button', { type: 'button', id: 'cancel', class: 'secondary', onclick: () => {
    cancel.disabled = true;
    cancel.textContent = 'Cancelling…';
    controller.abort(new DOMException('Cancelled in the tester', 'AbortError'));
  } }, 'Cancel');
  showResult(h('div', { class: 'state busy', id: 'state-busy', role: 'status' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }),
    h('span', {}, 'Waiting for the token endpoint… ', elapsed),
    cancel));
  $('result').setAttribute('aria-busy', 'true');
  // On a narrow screen the result is below the form: bring it into view.
  const panel = $('result');
  if (panel.getBoundingClientRect().top > innerHeight) {
    panel.scrollIntoView({ block: 'start', behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth' });
  }
  ticker = setInterval(() => { elapsed.textContent = `${((performance.now() - started) / 1000).toFixed(1)} s`; }, 100);
  cancel.focus({ preventScroll: true });

  let outcome;
  try {
    outcome = { ok: true, result: await pkg.requestToken(config) };
  } catch (error) {
    outcome = { ok: false, error };
  } finally {
    cancelSignal = null;
    stopTicker();
  }
  const took = performance.now() - started;
  $('result').removeAttribute('aria-busy');
  testButton.disabled = false;
  running = false;

  if (outcome.ok) renderSuccess(outcome.result, config, took);
  else if (controller.signal.aborted) renderCancelled(took);
  else renderFailure(outcome.error, ctx, took);
}

// --- Outcomes ----------------------------------------------------------------------------------
function copyButton(label, getText, id) {
  const status = h('span', { class: 'copy-status', role: 'status' });
  const button = h('button', { type: 'button', class: 'secondary small', id, onclick: async () => {
    try {
      await navigator.clipboard.writeText(getText());
      status.textContent = 'Copied';
    } catch {
      status.textContent = 'Copy failed: reveal and select it instead';
    }
    setTimeout(() => { status.textContent = ''; }, 2500);
  } }, label);
  return [button, status];
}

function row(term, ...details) {
  return [h('dt', {}, term), h('dd', {}, ...details)];
}

function scopeView(requestedRaw, grantedRaw) {
  const split = (s) => (s ?? '').split(' ').filter(Boolean);
  const requested = split(requestedRaw);
  if (grantedRaw === undefined) {
    return [h('span', { class: 'muted' }, requested.length
      ? `Not sent: per RFC 6749 §5.1 the granted scope is the requested one (${requested.join(' ')}).`
      : 'None requested, none reported.')];
  }
  const granted = split(grantedRaw);
  const chips = [
    ...granted.map((s) => requested.includes(s) || !requested.length
      ? h('span', { class: 'chip' }, s)
      : h('span', { class: 'chip added', title: 'granted but not requested' }, s, ' ', h('small', {}, 'not requested'))),
    ...requested.filter((s) => !granted.includes(s))
      .map((s) => h('span', { class: 'chip missing', title: 'requested but not granted' }, s, ' ', h('small', {}, 'not granted'))),
  ];
  let summary;
  if (!requested.length) summary = 'No scope requested: this is the server\'s default.';
  else if (chips.some((c) => c.classList.contains('added') || c.classList.contains('missing'))) {
    summary = `Differs from the requested scope (${requested.join(' ')}).`;
  } else summary = 'Granted as requested.';
  return [h('span', { class: 'chips', id: 'granted-scope' }, chips), h('span', { class: 'muted scope-summary' }, summary)];
}

function renderSuccess(result, config, took) {
  let revealed = false;
  const len = result.accessToken.length;
  const tokenView = h('code', { class: 'token', id: 'access-token' });
  const jsonView = h('pre', { class: 'code json', id: 'result-json', tabindex: '0', 'aria-label': 'Result JSON' });
  const SECRET_MEMBERS = ['access_token', 'refresh_token', 'id_token'];
  const draw = () => {
    tokenView.textContent = revealed ? result.accessToken : MASK_CHAR.repeat(Math.min(len, 24));
    const shown = revealed ? result.json : Object.fromEntries(Object.entries(result.json).map(
      ([k, v]) => [k, SECRET_MEMBERS.includes(k) && typeof v === 'string' ? `${MASK_CHAR.repeat(8)} (hidden)` : v]));
    jsonView.textContent = JSON.stringify(shown, null, 2);
  };
  const reveal = h('button', { type: 'button', class: 'secondary small', id: 'reveal-token', 'aria-pressed': 'false',
    'aria-controls': 'access-token result-json', onclick: () => {
      revealed = !revealed;
      reveal.textContent = revealed ? 'Hide' : 'Reveal';
      reveal.setAttribute('aria-pressed', String(revealed));
      draw();
    } }, 'Reveal');
  draw();

  let expiry = [h('span', { class: 'muted' }, 'Not sent by the server.')];
  if (result.expiresIn !== undefined) {
    const left = h('strong', { id: 'countdown' });
    const at = result.expiresAt !== undefined ? new Date(result.expiresAt) : null;
    const tick = () => {
      const seconds = at ? (at.getTime() - Date.now()) / 1000 : result.expiresIn;
      left.textContent = seconds > 0 ? `${formatDuration(seconds)} left` : 'expired';
    };
    tick();
    ticker = setInterval(tick, 1000);
    expiry = [
      h('span', { id: 'expires-in' }, `${result.expiresIn} s`), ' · ', left,
      at ? h('span', { class: 'muted block' }, `at ${at.toLocaleString()}`) : null,
    ];
  }

  const warnings = result.warnings.length
    ? [h('ul', { class: 'warnings' }, result.warnings.map((w) => h('li', {}, w)))]
    : [h('span', {}, 'None.'), config.ignoreCookiesPolicy ? null : h('span', { class: 'muted block' },
      'Browsers hide Set-Cookie from pages, so the cookie policy is checked on Node.js and Workers hosts only.')];

  showResult(h('div', { class: 'state success', id: 'state-success' },
    h('p', { class: 'headline' }, h('span', { class: 'icon', 'aria-hidden': 'true' }, '✓'),
      h('strong', {}, 'Token received'), h('span', { class: 'muted' }, ` in ${formatElapsed(took)}`)),
    h('dl', { class: 'facts' },
      row('Token type', h('span', { id: 'token-type' }, result.tokenType)),
      row('Access token', h('span', { class: 'token-line' }, tokenView, reveal, ...copyButton('Copy', () => result.accessToken, 'copy-token')),
        h('span', { class: 'muted block' }, `${len} characters`)),
      row('Expires in', ...expiry),
      row('Scope', ...scopeView(config.scope, result.scope)),
      row('Refresh token', result.refreshToken !== undefined ? 'Received (hidden in the JSON below unless revealed)' : 'None'),
      row('Warnings', ...warnings),
    ),
    h('div', { class: 'json-head' }, h('h3', {}, 'Result JSON'),
      h('span', { class: 'muted' }, 'What a JSON extract gets'),
      ...copyButton('Copy JSON', () => JSON.stringify(result.json, null, 2), 'copy-json')),
    jsonView,
  ));
}

function renderFailure(error, ctx, took) {
  const isPackageError = pkg && error instanceof pkg.OAuthTokenError;
  const code = isPackageError ? error.code : 'unexpected';
  const message = error?.message ?? String(error);
  const why = explain(isPackageError ? error : {}, ctx);

  const server = [];
  if (error?.error !== undefined) server.push(...row('error', h('code', { id: 'oauth-error' }, error.error)));
  if (error?.errorDescription !== undefined) server.push(...row('error_description', error.errorDescription));
  if (error?.errorUri !== undefined) {
    let link = h('span', {}, error.errorUri);
    try {
      const u = new URL(error.errorUri);
      if (u.protocol === 'https:' || u.protocol === 'http:') {
        link = h('a', { href: u.href, target: '_blank', rel: 'noopener noreferrer', id: 'error-uri' }, error.errorUri);
      }
    } catch { /* not a URL: shown as text */ }
    server.push(...row('error_uri', link));
  }

  showResult(h('div', { class: 'state failure', id: 'state-failure' },
    h('p', { class: 'headline' }, h('span', { class: 'icon', 'aria-hidden': 'true' }, '✕'),
      h('strong', {}, 'Request failed'),
      h('span', { class: 'code-badge', id: 'error-code' }, code),
      error?.status !== undefined ? h('span', { class: 'status-badge', id: 'http-status' }, `HTTP ${error.status}`) : null,
      h('span', { class: 'muted' }, ` after ${formatElapsed(took)}`)),
    h('p', { class: 'message', id: 'error-message' }, message),
    server.length ? h('div', {}, h('h3', {}, 'The server said'), h('dl', { class: 'facts' }, server)) : null,
    h('h3', {}, 'What it means'),
    h('p', { id: 'explanation' }, why.meaning),
    h('h3', {}, 'What to do'),
    h('ul', { class: 'fixes', id: 'fixes' }, why.fixes.map((f) => h('li', {}, f))),
  ));
}

function renderCancelled(took) {
  showResult(h('div', { class: 'state cancelled', id: 'state-cancelled', role: 'status' },
    h('p', { class: 'headline' }, h('span', { class: 'icon', 'aria-hidden': 'true' }, '⏹'),
      h('strong', {}, 'Cancelled'), h('span', { class: 'muted' }, ` after ${formatElapsed(took)}`)),
    h('p', {}, 'The request was aborted; no token will be received from it.')));
}

syncGrantFields();
offerDemo();
updatePreview();
