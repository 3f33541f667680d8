// The tester's keys: two more client authentication choices, "Private key" (private_key_jwt with
// a pasted PEM) and "Service account file" (a Google key file, chosen from disk), and the preview
// of the signed assertion (its decoded header and claims; the signature masked).
//
// The key is never stored (no localStorage, sessionStorage, cookie or URL), never exported (not
// even with "Include secrets") and never logged: it lives in the textarea, or in this module's
// `serviceAccount` variable, until the page is closed or another file is chosen. The package
// imports it into a non-extractable CryptoKey for each request.

const $ = (id) => document.getElementById(id);

/** Settings the export never writes, whatever is ticked. */
export const NEVER_EXPORTED = ['privateKey', 'serviceAccount', 'signingAlgorithm', 'keyId'];

let serviceAccount; // the chosen key file's object, in memory only

/** Creates an element: el('p', { class: 'x' }, 'text', child). */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') node.className = v;
    else node.setAttribute(k, v === true ? '' : v);
  }
  node.append(...children);
  return node;
}

const choice = (id, value, label) =>
  el('label', { class: 'choice' }, el('input', { type: 'radio', id, name: 'clientAuthentication', value }), ` ${label}`);

/** Adds the choices and their fields to the form (once, at load). */
function install() {
  const fieldset = document.querySelector('input[name="clientAuthentication"]')?.closest('fieldset');
  if (!fieldset) return;
  const options = document.querySelector('#auth-body').closest('.choice').parentElement;
  options.append(choice('auth-private-key', 'private_key_jwt', 'Private key'), choice('auth-service-account', 'service_account', 'Service account file'));

  const algorithms = ['', 'RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];
  const keyFields = el('div', { id: 'private-key-fields', class: 'subgroup', hidden: true },
    el('div', { class: 'field' },
      el('label', { for: 'privateKey' }, 'Private key (PEM)'),
      el('textarea', { id: 'privateKey', rows: '6', spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off',
        'aria-describedby': 'privateKey-help', placeholder: '-----BEGIN PRIVATE KEY-----' }),
      el('p', { class: 'help', id: 'privateKey-help' }, 'PKCS#8, PKCS#1 (RSA) or SEC1 (EC). Signs a JWT for each request '
        + '(private_key_jwt, RFC 7523); the key is kept only in this field, never stored or exported.')),
    el('div', { class: 'field' },
      el('label', { for: 'keyId' }, 'Key ID (kid)'),
      el('input', { id: 'keyId', type: 'text', spellcheck: 'false', autocapitalize: 'off' })),
    el('div', { class: 'field' },
      el('label', { for: 'signingAlgorithm' }, 'Signing algorithm'),
      el('select', { id: 'signingAlgorithm' }, ...algorithms.map((a) => el('option', { value: a }, a || 'from the key')))));
  const fileFields = el('div', { id: 'service-account-fields', class: 'subgroup', hidden: true },
    el('div', { class: 'field' },
      el('label', { for: 'service-account-file' }, 'Service account key file (JSON)'),
      el('input', { id: 'service-account-file', type: 'file', accept: '.json,application/json', 'aria-describedby': 'service-account-help' }),
      el('p', { class: 'help', id: 'service-account-help' }, 'A Google key file: the JWT bearer grant with its client_email, '
        + 'private_key_id and token_uri (the token endpoint, unless one is given above). The scope goes into the '
        + 'assertion. The file is read into memory only.'),
      el('p', { class: 'help', id: 'service-account-status', role: 'status' }, 'No file chosen.')));
  fieldset.after(keyFields, fileFields);

  $('service-account-file').addEventListener('change', async (event) => {
    const file = event.target.files?.[0];
    const status = $('service-account-status');
    serviceAccount = undefined;
    if (file) {
      try {
        const data = JSON.parse(await file.text());
        if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new Error('not an object');
        serviceAccount = data;
        status.textContent = `Read: ${typeof data.client_email === 'string' ? data.client_email : 'no client_email'}`
          + `${typeof data.private_key_id === 'string' ? `, key ${data.private_key_id}` : ''}.`;
      } catch {
        status.textContent = 'Not a JSON key file.';
      }
    }
    // Let the page's own listeners re-read the form and the preview.
    $('settings').dispatchEvent(new Event('change'));
  });
  $('settings').addEventListener('change', sync);
  sync();
}

function sync() {
  const mode = document.querySelector('input[name="clientAuthentication"]:checked')?.value;
  $('private-key-fields').hidden = mode !== 'private_key_jwt';
  $('service-account-fields').hidden = mode !== 'service_account';
  // A service account brings the client's identity; a private key replaces the secret.
  $('clientSecret').closest('.field').hidden = mode === 'private_key_jwt' || mode === 'service_account';
  $('clientId').closest('.field').hidden = mode === 'service_account';
}

/** The config with the key's settings applied (the form's other settings as they are). */
export function withKeys(config) {
  const mode = config.clientAuthentication;
  if (mode === 'private_key_jwt') {
    delete config.clientSecret;
    config.privateKey = $('privateKey').value;
    const keyId = $('keyId').value.trim();
    if (keyId) config.keyId = keyId;
    if ($('signingAlgorithm').value) config.signingAlgorithm = $('signingAlgorithm').value;
  } else if (mode === 'service_account') {
    for (const key of ['clientAuthentication', 'clientSecret', 'clientId', 'grantType', 'basicEncoding']) delete config[key];
    if (config.tokenEndpoint === '') delete config.tokenEndpoint;
    config.serviceAccount = serviceAccount ?? {};
  }
  return config;
}

/** The decoded assertion under the request preview (or nothing without one). */
export function renderAssertion(preview) {
  let box = $('preview-assertion');
  if (!preview?.assertion) {
    box?.remove();
    return;
  }
  if (!box) {
    box = el('pre', { id: 'preview-assertion', class: 'code', tabindex: '0', 'aria-label': 'Signed assertion, decoded' });
    $('preview').after(box);
  }
  const { header, claims } = preview.assertion;
  box.textContent = `Assertion (decoded; a new one is signed for each request)\nheader ${JSON.stringify(header, null, 2)}\n`
    + `claims ${JSON.stringify(claims, null, 2)}\nsignature ********`;
}

install();
