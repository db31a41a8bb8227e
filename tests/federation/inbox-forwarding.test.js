// Inbox forwarding: Mastodon forwards a reply to the participants of a thread, signed by its
// own user (the thread's author), not by the reply's author. Such an activity is believed only
// through the copy its object's own server serves: the note is fetched by id, and must be
// there, on the claimed actor's server and attributed to them. Checked with the Fedify peer
// (peer.js) as forwarder and as origin, and with a second Thoughtspace instance as origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startInstance, eventually } from './instance.js';
import { startPeer, PUBLIC } from './peer.js';

let a;
let b;
let peer;
let ana; // on a
let bo; // on b

before(async () => {
  [a, b, peer] = await Promise.all([startInstance(), startInstance(), startPeer()]);
  [ana, bo] = await Promise.all([a.signUp('ana'), b.signUp('bo')]);
  await peer.addUser('bob');
  await peer.addUser('carol');
});

after(async () => {
  await peer?.stop();
  const exits = await Promise.all([a?.stop(), b?.stop()]);
  for (const exit of exits) if (exit) assert.equal(exit.code, 0, 'each server exits cleanly');
});

const localId = (instance, apId) => eventually(() => instance.query(`SELECT id FROM thoughts WHERE ap_id = '${apId}'`), `the note ${apId} stored`);
const count = (instance, where) => Number(instance.query(`SELECT count(*) FROM thoughts WHERE ${where}`));

test('a Fedify reply forwarded by another user of its server is stored from its origin\'s copy', async () => {
  const anaThought = await a.postThought(ana, 'what do you all think?');
  // carol answers ana, but her server delivers to no one here: bob forwards it.
  const { noteId, activityId } = await peer.post('carol', {
    content: '<p>carol thinks so</p>', inReplyTo: a.noteId(ana, anaThought), to: [PUBLIC], cc: [], deliverTo: [],
  });
  const note = await peer.lookupRaw(noteId, { as: null });
  const create = { '@context': 'https://www.w3.org/ns/activitystreams', id: activityId, type: 'Create',
    actor: peer.actorUrl('carol'), to: [PUBLIC], object: { ...note, content: '<p>words carol never said</p>' } };
  const forwarded = await peer.sendRaw('bob', `${ana.actor}/inbox`, create);
  assert.equal(forwarded.status, 202, forwarded.body);

  const stored = await localId(a, noteId);
  assert.equal(a.query(`SELECT content FROM thoughts WHERE id = '${stored}'`), 'carol thinks so', 'the origin\'s copy, not the forwarded text');
  assert.equal(a.query(`SELECT u.ap_id FROM thoughts t JOIN users u ON u.id = t.user_id WHERE t.id = '${stored}'`), peer.actorUrl('carol'));
  assert.equal(a.query(`SELECT reply_to FROM thoughts WHERE id = '${stored}'`), anaThought);
  // The note was fetched from carol's server, where it lives.
  assert.ok(peer.requests.some((r) => r.method === 'GET' && noteId.endsWith(r.path) && r.status === 200), 'the note fetched from its origin');
});

test('forged forwards change nothing: a note its server does not have, or one by someone else', async () => {
  const anaThought = await a.postThought(ana, 'another question');
  const inReplyTo = a.noteId(ana, anaThought);
  const before = count(a, 'true');

  // A note carol's server never published.
  const missing = `${peer.actorUrl('carol')}/notes/${randomUUID()}`;
  const invented = await peer.sendRaw('bob', `${ana.actor}/inbox`, {
    '@context': 'https://www.w3.org/ns/activitystreams', id: `${peer.actorUrl('carol')}/creates/${randomUUID()}`,
    type: 'Create', actor: peer.actorUrl('carol'), to: [PUBLIC],
    object: { id: missing, type: 'Note', attributedTo: peer.actorUrl('carol'), content: 'invented', inReplyTo, to: [PUBLIC] },
  });
  assert.equal(invented.status, 403, invented.body);
  assert.match(invented.body, /forwarded/);

  // A real note of bob's, claimed to be carol's.
  const { noteId } = await peer.post('bob', { content: '<p>bob\'s own words</p>', inReplyTo, to: [PUBLIC], cc: [], deliverTo: [] });
  const misattributed = await peer.sendRaw('bob', `${ana.actor}/inbox`, {
    '@context': 'https://www.w3.org/ns/activitystreams', id: `${peer.actorUrl('carol')}/creates/${randomUUID()}`,
    type: 'Create', actor: peer.actorUrl('carol'), to: [PUBLIC],
    object: { ...(await peer.lookupRaw(noteId, { as: null })), attributedTo: peer.actorUrl('carol') },
  });
  assert.equal(misattributed.status, 403, misattributed.body);

  // Types that cannot be checked against an origin are still refused when signer and actor differ.
  const like = await peer.sendRaw('bob', `${ana.actor}/inbox`, {
    '@context': 'https://www.w3.org/ns/activitystreams', id: `${peer.actorUrl('carol')}/likes/${randomUUID()}`,
    type: 'Like', actor: peer.actorUrl('carol'), object: inReplyTo,
  });
  assert.equal(like.status, 401, like.body);
  assert.match(like.body, /do not match/);

  assert.equal(count(a, 'true'), before, 'no thought was stored');
  assert.equal(a.query('SELECT count(*) FROM likes'), '0');
});

test('a reply from a second Thoughtspace instance, forwarded by the Fedify thread author, is fetched from that instance', async () => {
  // carol's note mentions ana (on a) and bo (on b): both servers keep it.
  const { noteId: parentId } = await peer.post('carol', {
    content: '<p>a thread for a and b</p>', to: [PUBLIC], cc: [],
    mentions: [{ href: ana.actor, name: `@${ana.handle}` }, { href: bo.actor, name: `@${bo.handle}` }],
  });
  const [onA, onB] = await Promise.all([localId(a, parentId), localId(b, parentId)]);

  // bo answers on b; b delivers to carol only (the author he answers).
  const replyId = await b.postThought(bo, 'bo answers carol', { reply_to: onB });
  const replyApId = b.noteId(bo, replyId);
  const delivered = await peer.waitFor((e) => e.type === 'Create' && e.actorId === bo.actor && e.raw?.object?.id === replyApId);
  assert.equal(count(a, `ap_id = '${replyApId}'`), 0, 'a has not seen the reply yet');

  // carol's server forwards it to the thread's participants, signed as carol (as Mastodon does).
  const forwarded = await peer.sendRaw('carol', `${ana.actor}/inbox`, delivered.raw);
  assert.equal(forwarded.status, 202, forwarded.body);
  const stored = await localId(a, replyApId);
  assert.equal(a.query(`SELECT content FROM thoughts WHERE id = '${stored}'`), 'bo answers carol');
  assert.equal(a.query(`SELECT reply_to FROM thoughts WHERE id = '${stored}'`), onA);
  assert.equal(a.query(`SELECT u.ap_id FROM thoughts t JOIN users u ON u.id = t.user_id WHERE t.id = '${stored}'`), bo.actor);

  // A forward of a note b does not have is refused, and stores nothing.
  const forged = await peer.sendRaw('carol', `${ana.actor}/inbox`, {
    ...delivered.raw, id: `${bo.actor}/activities/${randomUUID()}`,
    object: { ...delivered.raw.object, id: `${bo.actor}/thoughts/${randomUUID()}`, content: 'never said on b' },
  });
  assert.equal(forged.status, 403, forged.body);
  assert.equal(count(a, `content = 'never said on b'`), 0);
});
