// Smoke test of the Fedify test peer: two peers federate with each other over loopback http.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { signRequest } from '@fedify/fedify';
import { startPeer, PUBLIC } from './peer.js';

let a;
let b;

before(async () => {
  [a, b] = await Promise.all([startPeer(), startPeer()]);
  await Promise.all([a.addUser('alice', { displayName: 'Alice A' }), b.addUser('bob', { displayName: 'Bob B', summary: '<p>hi</p>' })]);
});

after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

test('follow is verified, recorded and auto-accepted', async () => {
  const followId = await a.follow('alice', b.actorUrl('bob'));
  const follow = await b.waitFor({ type: 'Follow', id: followId });
  assert.equal(follow.recipient, 'bob');
  assert.equal(follow.actorId, a.actorUrl('alice'));
  assert.equal(follow.json.object, b.actorUrl('bob'));
  const accept = await a.waitFor({ type: 'Accept', recipient: 'alice' });
  assert.equal(accept.actorId, b.actorUrl('bob'));
  assert.equal(accept.json.object.id, followId);
  assert.deepEqual(b.followers('bob'), [a.actorUrl('alice')]);
  assert.deepEqual(a.following('alice').map((f) => [f.target, f.state]), [[b.actorUrl('bob'), 'accepted']]);
  const followers = await a.lookup(`${b.actorUrl('bob')}/followers`);
  assert.equal(followers.totalItems, 1);
});

test('a note addressed to a remote actor arrives as Create, a Like comes back', async () => {
  const { noteId, activityId } = await a.post('alice', {
    content: '<p>Hello <a href="#">#fedi</a></p>', to: [b.actorUrl('bob')], cc: [PUBLIC],
    mentions: [{ href: b.actorUrl('bob'), name: `@bob@${b.host}` }],
    tags: [{ name: '#fedi', href: `${a.url}/tags/fedi` }],
  });
  const create = await b.waitFor({ type: 'Create', id: activityId });
  assert.equal(create.json.object.id, noteId);
  assert.equal(create.json.object.content, '<p>Hello <a href="#">#fedi</a></p>');
  assert.equal(create.raw.object.attributedTo, a.actorUrl('alice'));
  assert.ok(create.raw.signature, 'Fedify adds an LD signature');

  const likeId = await b.like('bob', noteId); // delivered to the note's author, found by dereferencing it
  const like = await a.waitFor({ type: 'Like', id: likeId });
  assert.equal(like.json.object, noteId);
  assert.equal(like.actorId, b.actorUrl('bob'));

  const undoId = await b.undo('bob', likeId);
  const undo = await a.waitFor({ type: 'Undo', id: undoId });
  assert.equal(undo.json.object.id, likeId);
});

test('lookups across peers: actor, note, WebFinger, signed fetch', async () => {
  const bob = await a.lookup(b.actorUrl('bob'));
  assert.equal(bob.type, 'Person');
  assert.equal(bob.name, 'Bob B');
  assert.equal(bob.inbox, `${b.actorUrl('bob')}/inbox`);
  assert.equal(bob.endpoints.sharedInbox, `${b.url}/inbox`);
  assert.equal(bob.publicKey.id, `${b.actorUrl('bob')}#main-key`);
  assert.match(bob.publicKey.publicKeyPem, /BEGIN PUBLIC KEY/);

  const { noteId } = await b.post('bob', { content: '<p>public</p>', deliverTo: [] });
  const note = await a.lookup(noteId, { as: 'alice' });
  assert.equal(note.type, 'Note');
  assert.equal(note.attributedTo, b.actorUrl('bob'));
  const fetched = b.requests.findLast((r) => r.path === new URL(noteId).pathname);
  assert.equal(fetched.signedBy, `${a.actorUrl('alice')}#main-key`, 'the GET was signed and verified');

  const found = await a.lookupHandle(`bob@${b.host}`);
  assert.equal(found.actorUrl, b.actorUrl('bob'));
  assert.equal(found.actor.preferredUsername, 'bob');

  const nodeinfo = await (await fetch(`${b.url}/.well-known/nodeinfo`)).json();
  assert.ok(nodeinfo.links.some((l) => l.href === `${b.url}/nodeinfo/2.1`));
});

test('HTTP signatures alone are verified; unsigned, forged and mismatched requests get 401', async () => {
  const inbox = `${b.actorUrl('bob')}/inbox`;
  const activity = (actor) => ({
    '@context': 'https://www.w3.org/ns/activitystreams',
    id: `${a.actorUrl('alice')}/raw/${randomUUID()}`, type: 'Like', actor, object: `${b.actorUrl('bob')}/notes/x`,
  });

  // Signed only by the HTTP signature (no LD signature, no proof): accepted.
  const good = activity(a.actorUrl('alice'));
  const ok = await a.sendRaw('alice', inbox, good);
  assert.equal(ok.status, 202, ok.body);
  await b.waitFor({ id: good.id });

  const before = b.received.length;
  const rejectedBefore = b.rejected.length;

  // No signature at all.
  const unsigned = activity(a.actorUrl('alice'));
  const r1 = await fetch(inbox, { method: 'POST', headers: { 'Content-Type': 'application/activity+json' }, body: JSON.stringify(unsigned) });
  assert.equal(r1.status, 401);

  // Signed with a key that is not alice's, under alice's keyId.
  const forged = activity(a.actorUrl('alice'));
  const otherKey = await crypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify']);
  const r2 = await fetch(await signRequest(new Request(inbox, { method: 'POST', body: JSON.stringify(forged),
    headers: { 'Content-Type': 'application/activity+json' } }), otherKey.privateKey, new URL(`${a.actorUrl('alice')}#main-key`)));
  assert.equal(r2.status, 401);

  // Correctly signed, then the body swapped: the Digest no longer matches.
  const [key] = await a.keyPairs('alice');
  const signed = await signRequest(new Request(inbox, { method: 'POST', body: JSON.stringify(activity(a.actorUrl('alice'))),
    headers: { 'Content-Type': 'application/activity+json' } }), key.privateKey, key.keyId);
  const tampered = activity(a.actorUrl('alice'));
  const r3 = await fetch(inbox, { method: 'POST', headers: signed.headers, body: JSON.stringify(tampered) });
  assert.equal(r3.status, 401);

  // Validly signed by alice, but claiming to be bob's activity.
  const r4 = await a.sendRaw('alice', inbox, activity(b.actorUrl('bob')));
  assert.equal(r4.status, 401);
  assert.match(r4.body, /signer and the actor do not match/);

  assert.equal(b.received.length, before, 'nothing refused was recorded');
  assert.deepEqual(b.rejected.slice(rejectedBefore).map((r) => r.status), [401, 401, 401, 401]);
});

test('manual accept, shared inbox, authorized fetch, announce, delete, update, block, unfollow', async () => {
  const c = await startPeer({ autoAccept: false, authorizedFetch: true, preferSharedInbox: true });
  try {
    await c.addUser('carol');
    // carol approves followers by hand.
    await b.follow('bob', c.actorUrl('carol'));
    await c.waitFor({ type: 'Follow', recipient: 'carol' });
    assert.deepEqual(c.pendingFollowers('carol'), [b.actorUrl('bob')]);
    assert.equal((await b.lookup(c.actorUrl('carol'))).manuallyApprovesFollowers, true);
    await c.acceptFollow('carol', b.actorUrl('bob'));
    await b.waitFor({ type: 'Accept', actorId: c.actorUrl('carol') });
    assert.deepEqual(c.followers('carol'), [b.actorUrl('bob')]);

    // carol's post goes to her follower bob, through bob's shared inbox.
    const { noteId } = await c.post('carol', { content: '<p>to followers</p>' });
    const create = await b.waitFor((e) => e.type === 'Create' && e.json.object.id === noteId);
    assert.equal(create.recipient, 'shared');

    // Authorized fetch: unsigned GETs of notes are refused, signed ones served.
    assert.equal((await fetch(noteId, { headers: { Accept: 'application/activity+json' } })).status, 401);
    assert.equal((await a.lookupRaw(noteId)).content, '<p>to followers</p>');

    // bob boosts it to carol and his followers (alice), then carol deletes it.
    const announceId = await b.announce('bob', noteId);
    await c.waitFor({ type: 'Announce', id: announceId });
    await a.waitFor({ type: 'Announce', id: announceId });
    const deleteId = await c.deleteNote('carol', noteId);
    await b.waitFor({ type: 'Delete', id: deleteId });
    await assert.rejects(a.lookupRaw(noteId), /HTTP 410/);

    const updateId = await c.updateProfile('carol', { displayName: 'Carol C' });
    await b.waitFor({ type: 'Update', id: updateId });
    assert.equal((await a.lookup(c.actorUrl('carol'))).name, 'Carol C');

    const blockId = await c.block('carol', b.actorUrl('bob'));
    const block = await b.waitFor({ type: 'Block', id: blockId });
    assert.equal(block.json.object, b.actorUrl('bob'));
    assert.deepEqual(c.followers('carol'), []);

    const unfollowId = await b.unfollow('bob', c.actorUrl('carol'));
    const undo = await c.waitFor({ type: 'Undo', id: unfollowId });
    assert.equal(undo.json.object.type, 'Follow');
    await c.idle();
    assert.deepEqual(c.errors, []);
  } finally {
    await c.stop();
  }
});

test('waitFor times out with a readable list of what arrived', async () => {
  await assert.rejects(b.waitFor({ type: 'Nothing' }, 50), /timed out after 50 ms[\s\S]*bob Follow/);
});

test('no errors on either peer', async () => {
  await Promise.all([a.idle(), b.idle()]);
  assert.deepEqual([...a.errors, ...b.errors], []);
});
