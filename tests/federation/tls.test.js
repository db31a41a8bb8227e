// Federation over TLS with the operator's own CA (EXTRA_CA_CERTS): a Fedify peer serving
// https with a certificate from a CA made for this test. Thoughtspace trusts the system's
// store plus that CA; without it, the peer cannot be reached.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../support/server.js';
import { startPeer } from './peer.js';

let dir;
let peer;
const servers = [];

/** A CA, and a certificate for 127.0.0.1 that it signed. */
function makeCertificates() {
  dir = mkdtempSync(join(tmpdir(), 'thoughtspace-tls-'));
  const openssl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=Thoughtspace test CA',
    '-keyout', 'ca.key', '-out', 'ca.pem', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'peer.key', '-out', 'peer.csr');
  writeFileSync(join(dir, 'peer.ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', 'peer.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2',
    '-extfile', 'peer.ext', '-out', 'peer.pem');
  return { key: readFileSync(join(dir, 'peer.key')), cert: readFileSync(join(dir, 'peer.pem')), ca: join(dir, 'ca.pem') };
}

async function signUp(server, username) {
  const response = await fetch(`${server.url}/api/accounts/sign_up`, {
    method: 'POST', redirect: 'manual',
    headers: { origin: server.url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, email: `${username}@example.test`, password: 'correct horse battery' }),
  });
  return response.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c.startsWith('ts_session=') && c.length > 11);
}

async function search(server, cookie, q) {
  const response = await fetch(`${server.url}/api/search?q=${encodeURIComponent(q)}`, { headers: { cookie, accept: 'application/json' } });
  assert.equal(response.status, 200);
  return response.json();
}

let certificates;
before(async () => {
  certificates = makeCertificates();
  peer = await startPeer({ tls: { key: certificates.key, cert: certificates.cert } });
  await peer.addUser('tess', { displayName: 'Tess over TLS' });
});

after(async () => {
  await peer?.stop();
  for (const server of servers) await server.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('with EXTRA_CA_CERTS, a peer behind a private CA is found and followed over https', async () => {
  assert.match(peer.url, /^https:/);
  const server = await startServer({ env: { ALLOW_PRIVATE_ADDRESSES: 'true', EXTRA_CA_CERTS: certificates.ca } });
  servers.push(server);
  const cookie = await signUp(server, 'ana');
  const found = await search(server, cookie, `@tess@${peer.host}`);
  assert.equal(found.people[0]?.username, `tess@${peer.host}`);
  assert.equal(found.people[0].display_name, 'Tess over TLS');

  const follow = await fetch(`${server.url}/api/profiles/follow`, {
    method: 'POST', headers: { origin: server.url, cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ username: `tess@${peer.host}`, on: 'true' }),
  });
  assert.equal(follow.status, 200);
  const received = await peer.waitFor({ type: 'Follow', recipient: 'tess' });
  assert.equal(received.actorId, `${server.url}/users/ana`);
});

test('without the CA, the same peer is not trusted', async () => {
  const server = await startServer({ env: { ALLOW_PRIVATE_ADDRESSES: 'true' } });
  servers.push(server);
  const cookie = await signUp(server, 'bo');
  const found = await search(server, cookie, `@tess@${peer.host}`);
  assert.deepEqual(found.people, []);
  assert.match(server.log(), /certificate|UnknownIssuer|invalid peer/i);
});

test('a file that holds no certificate stops the server with a clear message', async () => {
  const bogus = join(dir, 'bogus.pem');
  writeFileSync(bogus, 'not a certificate');
  await assert.rejects(startServer({ env: { EXTRA_CA_CERTS: bogus } }), /EXTRA_CA_CERTS/);
});
