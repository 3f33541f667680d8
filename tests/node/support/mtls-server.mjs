// An HTTPS token endpoint and REST resource on 127.0.0.1 whose certificate is signed by a
// throwaway CA that Node.js does not know (tests/node/support/certs.mjs), optionally asking for a
// client certificate (RFC 8705): `requestCert` with the CA, so a client without a certificate
// signed by it is refused in the handshake; or, for self-signed certificates, accepted in the
// handshake and matched by SHA-256 fingerprint at the token endpoint.

import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { makeCerts } from './certs.mjs';

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * Certificates in `dir`: the CA and the server's (certs.mjs), a client certificate for
 * `clientId` signed by the CA, and a self-signed one.
 * @returns {{ ca: string, server: { key: string, cert: string },
 *   client: { key: string, cert: string }, selfSigned: { key: string, cert: string } }} PEM text
 */
export function makeMtlsCerts(dir, clientId) {
  const server = makeCerts(dir);
  const p = (name) => join(dir, name);
  const openssl = (...args) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  openssl('req', ...EC, '-keyout', p('client.key'), '-out', p('client.csr'), '-subj', `/CN=${clientId}`);
  openssl('x509', '-req', '-in', p('client.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'),
    '-CAcreateserial', '-days', '2', '-out', p('client.pem'));
  openssl('req', '-x509', ...EC, '-keyout', p('self.key'), '-out', p('self.pem'), '-days', '2',
    '-subj', `/CN=${clientId}`);
  const read = (name) => readFileSync(p(name), 'utf8');
  return {
    ca: read('ca.pem'),
    server: { key: server.key, cert: server.cert },
    client: { key: read('client.key'), cert: read('client.pem') },
    selfSigned: { key: read('self.key'), cert: read('self.pem') },
  };
}

/**
 * @param {ReturnType<typeof makeMtlsCerts>} certs
 * @param {{ mode?: 'none' | 'ca' | 'self-signed', clientId?: string }} [options] `ca`: a client
 *   certificate signed by the CA is required in the handshake; `self-signed`: any certificate
 *   passes the handshake, the token endpoint wants the one of `certs.selfSigned`.
 * @returns {Promise<{ origin: string, url: string, requests: object[], close: () => Promise<void> }>}
 *   `requests`: method, path, authorization, form, and the client certificate's CN (or null)
 */
export async function startMtlsServer(certs, { mode = 'none', clientId = 'mtls-client' } = {}) {
  const requests = [];
  const selfSignedFingerprint = new X509Certificate(certs.selfSigned.cert).fingerprint256;
  let issued = 0;
  const server = https.createServer({
    ...certs.server,
    ca: certs.ca,
    requestCert: mode !== 'none',
    rejectUnauthorized: mode === 'ca',
  }, (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const peer = req.socket.getPeerCertificate();
      const cn = peer?.subject?.CN ?? null;
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      requests.push({ method: req.method, path: req.url, authorization: req.headers.authorization, form, cn });
      const json = (status, body) => {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST') {
        const ok = /^Bearer token-\d+$/.test(req.headers.authorization ?? '');
        json(ok ? 200 : 401, ok ? { ok: true, cn } : { error: 'invalid_token' });
        return;
      }
      // RFC 8705 §2: the client_id in the body names the client the certificate must belong to.
      let known = true;
      if (mode === 'ca') known = req.socket.authorized && cn === form.get('client_id');
      if (mode === 'self-signed') {
        const fingerprint = peer?.raw ? new X509Certificate(peer.raw).fingerprint256 : undefined;
        known = fingerprint === selfSignedFingerprint && form.get('client_id') === clientId;
      }
      if (!known) {
        json(401, { error: 'invalid_client', error_description: 'no matching client certificate' });
        return;
      }
      issued += 1;
      json(200, { access_token: `token-${issued}`, token_type: 'Bearer', expires_in: 3600 });
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const origin = `https://127.0.0.1:${server.address().port}`;
  return {
    origin,
    url: `${origin}/token`,
    requests,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

