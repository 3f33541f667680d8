// The connection tester: reads the form into a requestToken config, shows the package's request
// preview as the form changes, runs the request and explains the outcome.
// Secrets (client secret, password, tokens) are never stored (no localStorage, sessionStorage,
// cookies or URLs) and never logged: this file has no console call, and every promise is handled.

import { explainRestFailure, pageNotes } from './explain.js';
import { NEVER_EXPORTED, renderAssertion, withKeys } from './keys.js';

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

// --- The package -------------------------------------------------------------------------------
let pkg = null;
try {
  pkg = await import('/pkg/full/browser.js');
} catch {
  const banner = $('load-error');
  banner.textContent = 'The package could not be loaded from /pkg/full/browser.js. Build it with '
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
  if (grantType === 'refresh_token') config.refreshToken = $('refreshToken').value;
  const timeout = $('timeoutSeconds');
  // A number field reports '' for both empty and unparsable input; badInput tells them apart.
  if (timeout.validity.badInput) config.timeoutSeconds = Number.NaN;
  else if (timeout.value !== '') config.timeoutSeconds = timeout.valueAsNumber;
  if ($('retry').checked) {
    config.retry = { attempts: $('retry-attempts').valueAsNumber, maxDelaySeconds: $('retry-max-delay').valueAsNumber };
  }
  return withKeys(config);
}

function syncGrantFields() {
  $('password-fields').hidden = checked('grantType') !== 'password';
  $('refresh-fields').hidden = checked('grantType') !== 'refresh_token';
  $('retry-fields').hidden = !$('retry').checked;
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
    const res = await fetch('/demo-config.json', { cache: 'no-store' });
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
    if (demo.restUrl) $('rest-url').value = demo.restUrl;
    showReach();
    updatePreview();
  });
}

// --- Discovery ---------------------------------------------------------------------------------
// "Discover": the issuer's metadata (RFC 8414) through the package's discover(); its
// token_endpoint fills the form, and the document is shown as published.
$('discover').addEventListener('click', async () => {
  if (!pkg) return;
  const status = $('discover-status');
  const shown = $('metadata');
  status.hidden = false;
  status.classList.remove('problem');
  status.textContent = 'Discovering…';
  shown.hidden = true;
  const timeout = $('timeoutSeconds').valueAsNumber;
  try {
    const metadata = await pkg.discover($('issuer').value, Number.isFinite(timeout) ? { timeoutSeconds: timeout } : {});
    $('tokenEndpoint').value = metadata.token_endpoint;
    shown.textContent = JSON.stringify(metadata, null, 2);
    shown.hidden = false;
    status.textContent = 'Token endpoint filled in from the issuer\'s metadata.';
    updatePreview();
  } catch (e) {
    status.classList.add('problem');
    status.textContent = e?.hint ? `${e.message} ${e.hint}` : String(e?.message ?? e);
  }
});

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
  renderAssertion(preview);
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

/** The form's settings by config key (camelCase ids and radio names): their labels, and where. */
function formFields() {
  const fields = Object.create(null);
  for (const el of form.querySelectorAll('input, select')) {
    const key = el.type === 'radio' ? el.name : el.id;
    if (!/^[a-z]+[A-Z]\w*$/.test(key) || Object.hasOwn(fields, key)) continue;
    const label = el.type === 'radio' ? el.closest('fieldset')?.querySelector('legend')
      : form.querySelector(`label[for="${key}"]`) ?? el.closest('label');
    if (!label) continue;
    const copy = label.cloneNode(true);
    for (const extra of copy.querySelectorAll('.optional, input')) extra.remove();
    fields[key] = { label: copy.textContent.replace(/\s+/g, ' ').trim(), advanced: el.closest('#advanced') !== null };
  }
  return fields;
}
const FIELDS = formFields();

/** The facts the page's own advice needs, from the config that was sent. */
function contextFor(config) {
  const headers = lastPreview?.headers.map(([name]) => name.toLowerCase())
    ?? ['content-type', 'accept', ...(config.clientAuthentication === 'header' ? ['authorization'] : [])];
  return {
    clientAuthentication: config.clientAuthentication,
    basicEncoding: config.basicEncoding,
    origin: location.origin,
    requestHeaders: headers,
    secretChangesUnderFormEncoding: Boolean(lastPreview?.notes.some((n) => n.includes('form encoding changes'))),
    fields: FIELDS,
  };
}

/** An exception's name only: its message might quote data from the answer. */
function errorName(e) {
  try {
    return e instanceof Error ? e.name : typeof e;
  } catch {
    return 'unknown';
  }
}

/** The visible state when showing an outcome threw: the page never stays busy. */
function renderPageError(show, id, e) {
  show(h('div', { class: 'state failure', id, role: 'alert' },
    h('p', { class: 'headline' }, h('span', { class: 'icon', 'aria-hidden': 'true' }, '!'),
      h('strong', {}, 'The page could not show the outcome'), h('span', { class: 'code-badge' }, errorName(e))),
    h('p', { class: 'message' }, 'The request itself has ended. This is a bug of the tester page: '
      + 'please report it. The page works again for the next request.')));
}

async function testConnection() {
  if (running || !pkg) return;
  running = true;
  const config = readForm();
  const ctx = contextFor(config);
  const controller = new AbortController();
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
    // The package's own abort option: ERR_ABORTED when Cancel is pressed.
    outcome = { ok: true, result: await pkg.requestToken({ ...config, signal: controller.signal }) };
  } catch (error) {
    outcome = { ok: false, error };
  } finally {
    stopTicker();
  }
  const took = performance.now() - started;
  $('result').removeAttribute('aria-busy');
  testButton.disabled = false;
  running = false;

  try {
    if (outcome.ok) renderSuccess(outcome.result, config, took);
    else if (outcome.error?.code === 'ERR_ABORTED' && controller.signal.aborted) renderCancelled(took);
    else renderFailure(outcome.error, ctx, took);
  } catch (e) {
    stopTicker();
    renderPageError(showResult, 'state-error', e);
  }
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

// In the Result JSON, a member is secret when its name contains "token", "secret" or
// "password"/"passwd" in any case (access_token, refresh_token, id_token, client_secret,
// issued_token...), unless the name ends in "type" (token_type names a kind, not a token).
// Every string below a secret member is masked until Reveal, at any depth and inside arrays.
const SECRET_MEMBER = /token|secret|passw(?:or)?d/i;
const isSecretMember = (name) => SECRET_MEMBER.test(name) && !/type$/i.test(name);
// Deeper levels are not shown: a token response is a few levels deep, and JSON.stringify
// overflows the stack at a few thousand.
const SHOWN_DEPTH = 32;

/** The JSON to show: secrets masked unless `reveal`, levels below SHOWN_DEPTH cut. */
function shownJson(value, reveal, secret = false, depth = 0) {
  if (typeof value === 'string') return secret && !reveal ? `${MASK_CHAR.repeat(8)} (hidden)` : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= SHOWN_DEPTH) return `… (nested more than ${SHOWN_DEPTH} levels deep: not shown)`;
  if (Array.isArray(value)) return value.map((v) => shownJson(v, reveal, secret, depth + 1));
  // Object.fromEntries defines members, so a "__proto__" member stays a member.
  return Object.fromEntries(Object.entries(value).map(
    ([k, v]) => [k, shownJson(v, reveal, secret || isSecretMember(k), depth + 1)]));
}

function renderSuccess(result, config, took) {
  let revealed = false;
  const len = result.accessToken.length;
  const tokenView = h('code', { class: 'token', id: 'access-token' });
  const jsonView = h('pre', { class: 'code json', id: 'result-json', tabindex: '0', 'aria-label': 'Result JSON' });
  const draw = () => {
    tokenView.textContent = revealed ? result.accessToken : MASK_CHAR.repeat(Math.min(len, 24));
    jsonView.textContent = JSON.stringify(shownJson(result.json, revealed), null, 2);
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
      row('Refresh token', ...(result.refreshToken !== undefined
        ? ['Received (hidden in the JSON below unless revealed) ', h('button', { type: 'button', class: 'secondary small',
          id: 'use-refresh-token', onclick: () => useRefreshToken(result.refreshToken) }, 'Use refresh token'),
        h('span', { class: 'muted block' }, 'Switches the form to the refresh token grant with this refresh token.')]
        : ['None'])),
      row('Warnings', ...warnings),
    ),
    h('div', { class: 'json-head' }, h('h3', {}, 'Result JSON'),
      h('span', { class: 'muted' }, 'What a JSON extract gets'),
      ...copyButton('Copy JSON', () => JSON.stringify(result.json, null, 2), 'copy-json')),
    jsonView,
  ));
}

/** What to do: the package's hint first (the same on every host), then this page's notes. */
function fixesView(error, ctx, isPackageError, prefix) {
  const hint = isPackageError ? error.hint : 'An unexpected failure in this page: reload the page and try again.';
  const notes = isPackageError ? pageNotes(error, ctx) : [];
  return [
    h('h3', {}, 'What to do'),
    typeof hint === 'string' ? h('p', { class: 'hint', id: `${prefix}hint` }, hint) : null,
    notes.length ? h('p', { class: 'muted notes-head' }, 'On this page:') : null,
    notes.length ? h('ul', { class: 'fixes', id: `${prefix}fixes` }, notes.map((f) => h('li', {}, f))) : null,
  ];
}

function renderFailure(error, ctx, took) {
  const isPackageError = pkg && error instanceof pkg.OAuthTokenError;
  const code = isPackageError ? error.code : 'unexpected';
  const message = error?.message ?? String(error);

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
    ...fixesView(error, ctx, isPackageError, ''),
  ));
}

function renderCancelled(took) {
  showResult(h('div', { class: 'state cancelled', id: 'state-cancelled', role: 'status' },
    h('p', { class: 'headline' }, h('span', { class: 'icon', 'aria-hidden': 'true' }, '⏹'),
      h('strong', {}, 'Cancelled'), h('span', { class: 'muted' }, ` after ${formatElapsed(took)}`)),
    h('p', {}, 'The request was aborted; no token will be received from it.')));
}

// --- Refresh token ------------------------------------------------------------------------------
/** "Use refresh token": the form switches to the refresh token grant with this value. */
function useRefreshToken(refreshToken) {
  $('grant-refresh').checked = true;
  $('refreshToken').value = refreshToken;
  syncGrantFields();
  updatePreview();
  const button = $('use-refresh-token');
  if (button) {
    button.disabled = true;
    button.textContent = 'In the form';
    button.nextElementSibling.textContent = 'The form now uses the refresh token grant with it: press Test connection.';
  }
  $('refreshToken').focus({ preventScroll: false });
}

// --- Export and import -------------------------------------------------------------------------
// The settings as requestToken's config (what scripts/demo.sh --config reads). Secrets are left
// out unless "Include secrets" is ticked; import fills the form from the keys it finds.
const SECRET_KEYS = { clientSecret: 'client secret', password: 'password', refreshToken: 'refresh token' };
const TEXT_KEYS = ['tokenEndpoint', 'clientId', 'clientSecret', 'scope', 'username', 'password', 'refreshToken'];
const CHOICES = {
  grantType: ['client_credentials', 'password', 'refresh_token'],
  clientAuthentication: ['header', 'body'],
  sslMode: ['verify', 'trust', 'off'],
  basicEncoding: ['form', 'none'],
};

function transferStatus(text, problem = false) {
  const status = $('transfer-status');
  status.textContent = text;
  status.classList.toggle('problem', problem);
}

function exportSettings() {
  const config = readForm();
  for (const key of NEVER_EXPORTED) delete config[key]; // a key is never exported
  if (!Number.isFinite(config.timeoutSeconds)) delete config.timeoutSeconds;
  const include = $('export-secrets').checked;
  const left = [];
  for (const [key, label] of Object.entries(SECRET_KEYS)) {
    if (!(key in config)) continue;
    if (config[key] === '' || !include) {
      if (config[key] !== '') left.push(label);
      delete config[key];
    }
  }
  const text = `${JSON.stringify(config, null, 2)}\n`;
  $('settings-json').value = text;
  transferStatus(include
    ? 'Exported with secrets: keep this text private.'
    : `Exported${left.length ? `; left out: ${left.join(', ')} (tick "Include secrets" to keep them)` : ''}.`);
  return text;
}

function downloadSettings() {
  const url = URL.createObjectURL(new Blob([exportSettings()], { type: 'application/json' }));
  const link = h('a', { href: url, download: 'oauth-token-settings.json', hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function importSettings(text) {
  let data;
  try {
    data = JSON.parse(text);
  } catch (e) {
    transferStatus(`Not imported: the text is not JSON (${e.message}).`, true);
    return;
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    transferStatus('Not imported: expected a JSON object of settings.', true);
    return;
  }
  const applied = [];
  const ignored = [];
  for (const [key, value] of Object.entries(data)) {
    if (TEXT_KEYS.includes(key) && typeof value === 'string') {
      $(key).value = value;
    } else if (key in CHOICES && CHOICES[key].includes(value)) {
      if (key === 'grantType' || key === 'clientAuthentication') {
        document.querySelector(`input[name="${key}"][value="${value}"]`).checked = true;
      } else $(key).value = value;
    } else if (key === 'timeoutSeconds' && typeof value === 'number' && value > 0) {
      $('timeoutSeconds').value = String(value);
    } else if (key === 'ignoreCookiesPolicy' && typeof value === 'boolean') {
      $('ignoreCookiesPolicy').checked = value;
    } else if (key === 'retry' && value !== null && typeof value === 'object') {
      $('retry').checked = true;
      if (typeof value.attempts === 'number') $('retry-attempts').value = String(value.attempts);
      if (typeof value.maxDelaySeconds === 'number') $('retry-max-delay').value = String(value.maxDelaySeconds);
    } else {
      ignored.push(key);
      continue;
    }
    applied.push(key);
  }
  syncGrantFields();
  updatePreview();
  transferStatus(`Imported ${applied.length} setting${applied.length === 1 ? '' : 's'}`
    + (ignored.length ? `; ignored (unknown or invalid): ${ignored.join(', ')}` : '')
    + '. Settings not in the JSON were left as they were.', ignored.length > 0);
}

$('export').addEventListener('click', () => exportSettings());
$('download').addEventListener('click', () => downloadSettings());
$('import').addEventListener('click', () => importSettings($('settings-json').value));
$('import-file').addEventListener('change', async (event) => {
  const file = event.target.files?.[0];
  event.target.value = '';
  if (!file) return;
  if (file.size > 64 * 1024) {
    transferStatus('Not imported: a settings file is a few hundred bytes; this one is over 64 KB.', true);
    return;
  }
  const text = await file.text();
  $('settings-json').value = text;
  importSettings(text);
});
// The file input stays hidden; this button opens it (keyboard-operable).
$('import-file-button')?.addEventListener('click', () => $('import-file').click());

// --- Use the token: a REST call through the connection ----------------------------------------
// One connection per settings: kept while the form describes the same settings (so its token is
// reused), rebuilt when they change.
const REST_BODY_CAP = 256 * 1024;
let connection = null;
let connectionKey = null;
let restRunning = false;
let restTicker = null;

function connectionFor(config) {
  const key = JSON.stringify(config);
  if (connection && key === connectionKey) return { conn: connection, fresh: false };
  connection = pkg.createConnection(config);
  connectionKey = key;
  return { conn: connection, fresh: true };
}

/** A token for display: its type and its last four characters, the rest masked. */
function maskedToken(result) {
  const t = result.accessToken;
  const tail = t.length > 12 ? t.slice(-4) : '';
  return `${result.tokenType} ${MASK_CHAR.repeat(8)}${tail}`;
}

/** "Name: value" lines to Headers; throws an Error naming the bad line. */
function parseHeaders(text) {
  const headers = new Headers();
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const m = /^\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*:(.*)$/.exec(line);
    if (!m) throw new Error(`Extra headers, line ${i + 1}: expected "Name: value".`);
    try {
      headers.append(m[1], m[2].trim());
    } catch {
      throw new Error(`Extra headers, line ${i + 1}: the value of ${m[1]} is not a valid header value.`);
    }
  });
  return headers;
}

/** Reads at most REST_BODY_CAP bytes of the body. */
async function readCapped(res) {
  if (!res.body) return { text: '', size: 0, truncated: false };
  const reader = res.body.getReader();
  const chunks = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.length > REST_BODY_CAP) {
      chunks.push(value.subarray(0, REST_BODY_CAP - size));
      size = REST_BODY_CAP;
      truncated = true;
      reader.cancel().catch(() => {});
      break;
    }
    chunks.push(value);
    size += value.length;
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return { text: new TextDecoder().decode(bytes), size, truncated };
}

function showRest(...children) {
  $('rest-result').replaceChildren(...children);
}

/** A problem with the REST form: nothing was sent. */
function restProblem(fieldId, message) {
  const field = fieldId ? $(fieldId) : null;
  if (field) {
    field.setAttribute('aria-invalid', 'true');
    field.focus();
  }
  showRest(h('div', { class: 'state failure', id: 'rest-problem' },
    h('p', { class: 'headline' }, h('span', { class: 'icon', 'aria-hidden': 'true' }, '!'),
      h('strong', {}, 'Not sent')),
    h('p', { class: 'message', id: 'rest-problem-message' }, message)));
}

$('rest-form').addEventListener('input', (event) => event.target.removeAttribute('aria-invalid'));
$('rest-url').addEventListener('input', showReach);
$('rest-form').addEventListener('submit', (event) => {
  event.preventDefault();
  sendRest();
});

/** Where the token may go, for the URL typed: the package's rule, and this call's origin. */
function showReach() {
  let origin = '';
  try {
    const url = new URL($('rest-url').value.trim());
    if (url.protocol === 'https:' || url.protocol === 'http:') origin = url.origin;
  } catch {}
  $('rest-reach').textContent = 'The token may reach https: origins, and http: ones only on this machine '
    + '(localhost, 127.0.0.0/8, [::1]); a redirect to another origin is followed without it.'
    + (origin ? ` This call sends it to ${origin} only.` : '');
}

async function sendRest() {
  if (restRunning || !pkg) return;
  for (const el of $('rest-form').querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  const method = $('rest-method').value;
  const rawUrl = $('rest-url').value.trim();
  const bodyText = $('rest-body').value;
  let url;
  try {
    url = new URL(rawUrl);
  } catch {
    return restProblem('rest-url', rawUrl === ''
      ? 'Enter the URL of the REST resource to call.'
      : 'The URL is not an absolute URL: write it in full, e.g. https://api.example.com/items.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return restProblem('rest-url', `Only http: and https: URLs can be called, not ${url.protocol}.`);
  }
  let headers;
  try {
    headers = parseHeaders($('rest-headers').value);
  } catch (e) {
    return restProblem('rest-headers', e.message);
  }
  const hasBody = bodyText.trim() !== '';
  if (hasBody) {
    if (method === 'GET' || method === 'HEAD') {
      return restProblem('rest-body', `A ${method} request cannot carry a body: choose POST, PUT or PATCH, or clear the body.`);
    }
    try {
      JSON.parse(bodyText);
    } catch (e) {
      return restProblem('rest-body', `The body is not valid JSON: ${e.message}`);
    }
    if (!headers.has('content-type')) headers.set('Content-Type', 'application/json');
  }
  const ownAuthorization = headers.has('authorization');

  const config = readForm();
  const ctx = contextFor(config);
  const { conn, fresh } = connectionFor(config);
  restRunning = true;
  const send = $('rest-send');
  send.disabled = true;
  const controller = new AbortController();
  const started = performance.now();
  const elapsed = h('span', { class: 'elapsed', id: 'rest-elapsed' }, '0.0 s');
  const cancel = h('button', { type: 'button', id: 'rest-cancel', class: 'secondary', onclick: () => {
    cancel.disabled = true;
    controller.abort(new DOMException('Cancelled in the tester', 'AbortError'));
  } }, 'Cancel');
  showRest(h('div', { class: 'state busy', id: 'rest-busy', role: 'status' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }),
    h('span', {}, `${method} ${url.host}… `, elapsed), cancel));
  $('rest').setAttribute('aria-busy', 'true');
  restTicker = setInterval(() => { elapsed.textContent = `${((performance.now() - started) / 1000).toFixed(1)} s`; }, 100);
  cancel.focus({ preventScroll: true });

  let outcome;
  try {
    const held = conn.lastResult;
    const first = ownAuthorization ? undefined : await conn.token();
    const tokenMs = performance.now() - started;
    if (controller.signal.aborted) throw controller.signal.reason;
    const res = await conn.fetch(url.href, { method, headers, body: hasBody ? bodyText : undefined, signal: controller.signal });
    const body = await readCapped(res);
    const used = ownAuthorization ? undefined : conn.lastResult;
    outcome = { ok: true, res, body, tokenMs, first, used, requested: first !== undefined && first !== held };
  } catch (error) {
    outcome = { ok: false, error };
  } finally {
    clearInterval(restTicker);
    restTicker = null;
  }
  const took = performance.now() - started;
  $('rest').removeAttribute('aria-busy');
  send.disabled = false;
  restRunning = false;

  try {
    if (outcome.ok) renderRestResponse(outcome, { method, url, fresh, took, ownAuthorization });
    else if (controller.signal.aborted) {
      showRest(h('div', { class: 'state cancelled', id: 'rest-cancelled' },
        h('p', { class: 'headline' }, h('span', { class: 'icon', 'aria-hidden': 'true' }, '⏹'),
          h('strong', {}, 'Cancelled'), h('span', { class: 'muted' }, ` after ${formatElapsed(took)}`)),
        h('p', {}, 'The REST call was aborted.')));
    } else renderRestFailure(outcome.error, { method, url, headers, ctx, took });
  } catch (e) {
    renderPageError(showRest, 'rest-error', e);
  }
}

function renderRestResponse({ res, body, tokenMs, first, used, requested }, { method, url, fresh, took, ownAuthorization }) {
  const ok = res.ok;
  const renewed = first !== undefined && used !== first;
  let tokenNote;
  if (ownAuthorization) tokenNote = 'Your own Authorization header (from Extra headers): the connection added no token.';
  else if (renewed) tokenNote = `The resource answered 401 to ${maskedToken(first)}: the connection renewed the token once and sent the call again.`;
  else if (requested) tokenNote = `Requested for this call${fresh ? ' by a new connection for the current settings' : ''} (${formatElapsed(tokenMs)}).`;
  else tokenNote = 'Reused: the connection held a valid token for these settings.';

  const headerRows = [...res.headers].flatMap(([name, value]) => row(name, h('span', { class: 'mono' }, value)));
  let view;
  let kind;
  const type = res.headers.get('content-type') ?? '';
  if (body.size === 0) {
    view = h('p', { class: 'muted', id: 'rest-body-view' }, method === 'HEAD' ? 'No body (HEAD).' : 'Empty body.');
    kind = '';
  } else {
    let pretty = null;
    if (!body.truncated && (/json/i.test(type) || /^\s*[[{]/.test(body.text))) {
      try {
        pretty = JSON.stringify(JSON.parse(body.text), null, 2);
      } catch { /* shown as text */ }
    }
    kind = pretty !== null ? 'JSON, pretty-printed'
      : /json/i.test(type) && !body.truncated ? 'Text (Content-Type says JSON, but it does not parse)' : 'Text';
    view = h('pre', { class: 'code json', id: 'rest-body-view', tabindex: '0', 'aria-label': 'Response body' }, pretty ?? body.text);
  }
  const hints = [];
  if (res.status === 401) {
    hints.push(ownAuthorization
      ? 'The resource refused the Authorization header you set.'
      : renewed
        ? 'The resource refused a freshly issued token too: it probably does not accept tokens from this authorization server, for this client or audience.'
        : 'The resource refused the token.');
  } else if (res.status === 403) {
    hints.push('The token was accepted but does not allow this call: check the access token scope.');
  } else if (res.type === 'opaqueredirect' || (res.status >= 300 && res.status < 400)) {
    hints.push('A redirect: fetch follows it for same-origin CORS cases only.');
  }

  showRest(h('div', { class: `state ${ok ? 'success' : 'failure'}`, id: 'rest-response' },
    h('p', { class: 'headline' }, h('span', { class: 'icon', 'aria-hidden': 'true' }, ok ? '✓' : '✕'),
      h('span', { class: `status-badge ${ok ? 'ok' : 'bad'}`, id: 'rest-status' }, `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`),
      h('span', { class: 'muted' }, ` ${method} in ${formatElapsed(took)}`)),
    hints.length ? h('p', { class: 'message', id: 'rest-hint' }, hints.join(' ')) : null,
    h('dl', { class: 'facts' },
      row('URL', h('span', { class: 'mono' }, url.href)),
      row('Token', ownAuthorization ? h('span', { class: 'muted' }, '—') : h('code', { class: 'token', id: 'rest-token' }, maskedToken(used ?? first)),
        h('span', { class: 'muted block', id: 'rest-token-note' }, tokenNote)),
    ),
    h('h3', {}, 'Response headers'),
    headerRows.length ? h('dl', { class: 'facts headers', id: 'rest-headers-view' }, headerRows) : h('p', { class: 'muted' }, 'None visible.'),
    h('p', { class: 'muted small-note' }, 'A page sees only the headers the resource exposes to it (CORS).'),
    h('div', { class: 'json-head' }, h('h3', {}, 'Body'), h('span', { class: 'muted', id: 'rest-body-kind' }, kind),
      body.truncated ? h('span', { class: 'muted', id: 'rest-truncated' }, `first ${Math.round(REST_BODY_CAP / 1024)} KB shown`) : null),
    view,
  ));
}

function renderRestFailure(error, { method, url, headers, ctx, took }) {
  const isPackageError = error instanceof pkg.OAuthTokenError;
  let title;
  let message = error?.message ?? String(error);
  let why;
  if (isPackageError) {
    title = 'No token for the call';
  } else {
    const network = error?.name === 'TypeError' && /failed to fetch|fetch failed|networkerror|load failed/i.test(message);
    title = network ? 'The call did not complete' : 'The browser refused the call';
    why = explainRestFailure({ network, origin: location.origin, url: url.href, method,
      headerNames: [...headers.keys()], message });
    if (network) message = `${message} (no status: the browser does not say why)`;
  }
  showRest(h('div', { class: 'state failure', id: 'rest-failure' },
    h('p', { class: 'headline' }, h('span', { class: 'icon', 'aria-hidden': 'true' }, '✕'),
      h('strong', {}, title),
      isPackageError ? h('span', { class: 'code-badge', id: 'rest-error-code' }, error.code) : null,
      isPackageError && error.status !== undefined ? h('span', { class: 'status-badge' }, `HTTP ${error.status}`) : null,
      h('span', { class: 'muted' }, ` after ${formatElapsed(took)}`)),
    h('p', { class: 'message', id: 'rest-error-message' }, message),
    ...(why ? [
      h('h3', {}, 'What it means'),
      h('p', { id: 'rest-explanation' }, why.meaning),
      h('h3', {}, 'What to do'),
      h('ul', { class: 'fixes', id: 'rest-fixes' }, why.fixes.map((f) => h('li', {}, f))),
    ] : fixesView(error, ctx, true, 'rest-failure-')),
  ));
}

syncGrantFields();
offerDemo();
updatePreview();
