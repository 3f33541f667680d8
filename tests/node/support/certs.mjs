// A throwaway CA and a leaf certificate for 127.0.0.1/localhost, made with the openssl CLI.
// EC prime256v1 keys keep it fast (a few tens of milliseconds).

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * Writes ca.pem/ca.key and key.pem/cert.pem into `dir`.
 * @param {string} dir
 * @param {{ caName?: string }} [options] the CA's common name; two CAs that must not be mistaken
 *   for each other (one trusted, one not) need different names
 * @returns {{ caPem: string, key: string, cert: string, keyPath: string, certPath: string }}
 *   caPem is a path (for NODE_EXTRA_CA_CERTS); key and cert are PEM text (for https.createServer).
 */
export function makeCerts(dir, { caName = 'oauth-token-connection test CA' } = {}) {
  mkdirSync(dir, { recursive: true });
  const p = (name) => join(dir, name);
  const openssl = (...args) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });

  openssl('req', '-x509', ...EC, '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '2',
    '-subj', `/CN=${caName}`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl('req', ...EC, '-keyout', p('key.pem'), '-out', p('leaf.csr'), '-subj', '/CN=localhost');
  writeFileSync(p('leaf.ext'), [
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
  ].join('\n') + '\n');
  openssl('x509', '-req', '-in', p('leaf.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'),
    '-CAcreateserial', '-days', '2', '-extfile', p('leaf.ext'), '-out', p('cert.pem'));

  return {
    caPem: p('ca.pem'),
    keyPath: p('key.pem'),
    certPath: p('cert.pem'),
    key: readFileSync(p('key.pem'), 'utf8'),
    cert: readFileSync(p('cert.pem'), 'utf8'),
  };
}
