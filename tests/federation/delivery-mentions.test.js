// What we send reaches the people it concerns: replies mention and address the author they
// answer, as Mastodon's do. Checked against the Fedify peer (peer.js) and against a second
// Thoughtspace instance on loopback.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { startInstance, eventually } from './instance.js';
import { startPeer, PUBLIC } from './peer.js';

let a;
let b;
let peer;
let ana; // on a
let bo; // on b
let boReplyOnA; // the id on a of bo's reply (posted on b) to ana's private reply

const repo = resolve(import.meta.dirname, '../..');
/** A client-API key for `user` on `instance` (the operator CLI makes it). */
const apiKey = (instance, user) => execFileSync(join(repo, 'target/debug/server'), ['api-key', 'create', '--user', user.username, '--name', 'tests'],
  { env: instance.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
async function api(instance, key, path) {
  const response = await fetch(`${instance.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  const text = await response.text();
  assert.equal(response.status, 200, `${path}: ${text}`);
  return JSON.parse(text);
}

before(async () => {
  [a, b, peer] = await Promise.all([startInstance(), startInstance(), startPeer()]);
  [ana, bo] = await Promise.all([a.signUp('ana'), b.signUp('bo')]);
  await peer.addUser('bob');
});

after(async () => {
  await peer?.stop();
  const exits = await Promise.all([a?.stop(), b?.stop()]);
  for (const exit of exits) if (exit) assert.equal(exit.code, 0, 'each server exits cleanly');
});

const asList = (value) => (value == null ? [] : Array.isArray(value) ? value : [value]);
const localId = (instance, apId) => eventually(() => instance.query(`SELECT id FROM thoughts WHERE ap_id = '${apId}'`), `the note ${apId} stored`);

test('a reply to a Fedify note mentions its author in tag and addresses them (cc; to when direct)', async () => {
  const bobActor = peer.actorUrl('bob');
  const { noteId } = await peer.post('bob', { content: '<p>anyone out there?</p>', to: [PUBLIC], cc: [], mentions: [{ href: ana.actor, name: `@${ana.handle}` }] });
  const parent = await localId(a, noteId);

  const replyId = await a.postThought(ana, 'I am here', { reply_to: parent });
  const reply = await peer.waitFor((e) => e.type === 'Create' && e.recipient === 'bob' && e.raw.object.id === a.noteId(ana, replyId));
  const note = reply.raw.object;
  assert.equal(note.inReplyTo, noteId);
  assert.deepEqual(asList(note.tag).filter((t) => t.type === 'Mention'), [{ type: 'Mention', href: bobActor, name: `@bob@${peer.host}` }]);
  assert.deepEqual(asList(note.to), [PUBLIC]);
  assert.ok(asList(note.cc).includes(bobActor), `cc names bob: ${JSON.stringify(note.cc)}`);

  // A direct reply goes to bob alone, addressed to him.
  const directId = await a.postThought(ana, 'just between us', { reply_to: parent, visibility: 'private' });
  const direct = await peer.waitFor((e) => e.type === 'Create' && e.recipient === 'bob' && e.raw.object.id === a.noteId(ana, directId));
  assert.deepEqual(asList(direct.raw.object.to), [bobActor]);
  assert.deepEqual(asList(direct.raw.object.cc), []);
  assert.ok(asList(direct.raw.object.tag).some((t) => t.type === 'Mention' && t.href === bobActor));
});

test('a direct reply reaches the author on a second Thoughtspace instance, who is notified', async () => {
  const found = await a.read(`/api/search?q=${encodeURIComponent(`@${bo.handle}`)}`, ana);
  assert.equal(found.people[0].username, bo.handle);
  const follow = await a.post('/api/profiles/follow', { username: bo.handle, on: 'true' }, ana);
  assert.equal(follow.status, 200, await follow.text());
  await eventually(() => a.query(`SELECT f.state FROM follows f JOIN users u ON u.id = f.following_id WHERE u.username = '${bo.handle}'`) === 'accepted', 'the follow accepted by b');
  const boThought = await b.postThought(bo, 'who reads this?');
  const parent = await localId(a, b.noteId(bo, boThought));

  // Before, a direct reply to someone elsewhere never left this server.
  const replyId = await a.postThought(ana, 'I do, quietly', { reply_to: parent, visibility: 'private' });
  const onB = await localId(b, a.noteId(ana, replyId));
  assert.equal(b.query(`SELECT visibility || ' ' || reply_to FROM thoughts WHERE id = '${onB}'`), `private ${boThought}`);
  assert.equal(b.query(`SELECT u.username FROM thought_mentions m JOIN users u ON u.id = m.user_id WHERE m.thought_id = '${onB}'`), 'bo');
  await eventually(() => b.query(`SELECT n.type FROM notifications n JOIN users u ON u.id = n.user_id
                                   WHERE u.username = 'bo' AND n.thought_id = '${onB}'`) === 'reply', 'bo notified of the reply');
  // bo reads it in his notifications as a reply from ana.
  const notifications = await b.read('/api/notifications/list', bo);
  assert.ok(JSON.stringify(notifications).includes('I do, quietly'), JSON.stringify(notifications));

  // bo answers it; his reply mentions ana in turn, so she is notified on a.
  const boReply = await b.postThought(bo, 'then let us talk', { reply_to: onB, visibility: 'private' });
  boReplyOnA = await localId(a, b.noteId(bo, boReply));
  assert.equal(a.query(`SELECT u.username FROM thought_mentions m JOIN users u ON u.id = m.user_id WHERE m.thought_id = '${boReplyOnA}'`), 'ana');
  assert.equal(a.query(`SELECT n.type FROM notifications n WHERE n.thought_id = '${boReplyOnA}'`), 'reply');
});

test('remote statuses in the client API carry their own uri and url, mentions and the account replied to', async () => {
  const key = apiKey(a, ana);
  const me = await api(a, key, '/api/v1/accounts/verify_credentials');

  // From Fedify: bob answers ana, mentioning her.
  const anaThought = await a.postThought(ana, 'a question for the fediverse');
  const { noteId } = await peer.post('bob', { content: `<p>@ana an answer</p>`, inReplyTo: a.noteId(ana, anaThought),
    mentions: [{ href: ana.actor, name: `@${ana.handle}` }] });
  const fromBob = await api(a, key, `/api/v1/statuses/${await localId(a, noteId)}`);
  assert.equal(fromBob.uri, noteId);
  assert.equal(fromBob.url, noteId, 'the page Fedify gives for it (its url is its id)');
  assert.equal(fromBob.in_reply_to_id, anaThought);
  assert.equal(fromBob.in_reply_to_account_id, me.id);
  assert.deepEqual(fromBob.mentions.map((m) => [m.id, m.acct]), [[me.id, 'ana']]);
  assert.equal(fromBob.account.acct, `bob@${peer.host}`);
  assert.equal(fromBob.account.username, 'bob');
  assert.equal(fromBob.account.url, peer.actorUrl('bob'));

  // From the second instance: bo's reply, whose page and profile differ from their ids.
  const fromBo = await api(a, key, `/api/v1/statuses/${boReplyOnA}`);
  const boReplyId = b.query(`SELECT id FROM thoughts WHERE content = 'then let us talk'`);
  assert.equal(fromBo.uri, b.noteId(bo, boReplyId));
  assert.equal(fromBo.url, `${b.url}/@bo/${boReplyId}`);
  assert.equal(fromBo.in_reply_to_account_id, me.id);
  assert.deepEqual(fromBo.mentions.map((m) => m.acct), ['ana']);
  assert.equal(fromBo.account.acct, bo.handle);
  assert.equal(fromBo.account.url, `${b.url}/@bo`);
  assert.equal(fromBo.visibility, 'direct');
  // Our own statuses keep our ids and pages.
  const own = await api(a, key, `/api/v1/statuses/${anaThought}`);
  assert.deepEqual([own.uri, own.url], [a.noteId(ana, anaThought), `${a.url}/@ana/${anaThought}`]);
});

test('an address elsewhere in a thought is looked up, linked, addressed and delivered; unknown ones stay text (Fedify)', async () => {
  const bobActor = peer.actorUrl('bob');
  const bobHandle = `bob@${peer.host}`;
  const id = await a.postThought(ana, `hello @${bobHandle}, @nobody@${peer.host} and @ghost@127.0.0.1:1`);
  const create = await peer.waitFor((e) => e.type === 'Create' && e.raw.object.id === a.noteId(ana, id));
  assert.equal(create.recipient, 'bob', 'delivered to his inbox');
  const note = create.raw.object;
  assert.deepEqual(asList(note.tag).filter((t) => t.type === 'Mention'), [{ type: 'Mention', href: bobActor, name: `@${bobHandle}` }]);
  assert.ok(asList(note.cc).includes(bobActor), JSON.stringify(note.cc));
  assert.match(note.content, new RegExp(`<a href="${bobActor}" class="u-url mention">@<span>${bobHandle}</span></a>`));
  assert.match(note.content, new RegExp(`@nobody@${peer.host} and @ghost@127\\.0\\.0\\.1:1</p>$`), 'unknown and unreachable addresses stay text');
  // On the web the mention links to his profile page here.
  const page = await (await fetch(`${a.url}/@ana/${id}`)).text();
  assert.ok(page.includes(`href="/@${bobHandle}"`), 'linked to the local profile page');

  // The client API: a direct status to him reaches him alone and lists him in mentions.
  const key = apiKey(a, ana);
  const response = await fetch(`${a.url}/api/v1/statuses`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ status: `@${bobHandle} just for you`, visibility: 'direct' }) });
  const status = await response.json();
  assert.equal(response.status, 200, JSON.stringify(status));
  assert.deepEqual(status.mentions.map((m) => m.acct), [bobHandle]);
  assert.match(status.content, new RegExp(`class="u-url mention">@<span>${bobHandle}</span>`));
  const direct = await peer.waitFor((e) => e.type === 'Create' && e.raw.object.id === a.noteId(ana, status.id));
  assert.deepEqual([asList(direct.raw.object.to), asList(direct.raw.object.cc)], [[bobActor], []]);
  await peer.idle();
  assert.deepEqual(peer.received.filter((e) => e.raw?.object?.id === a.noteId(ana, status.id)).map((e) => e.recipient), ['bob'], 'his inbox alone');
});

test('a mention of someone on a second Thoughtspace instance notifies them; a direct one reaches only them', async () => {
  const cy = await b.signUp('cy');
  const found = await b.read(`/api/search?q=${encodeURIComponent(`@${ana.handle}`)}`, cy);
  assert.equal(found.people[0].username, ana.handle);
  assert.equal((await b.post('/api/profiles/follow', { username: ana.handle, on: 'true' }, cy)).status, 200);
  await eventually(() => b.query(`SELECT f.state FROM follows f JOIN users u ON u.id = f.following_id WHERE u.username = '${ana.handle}'`) === 'accepted', 'cy follows ana');

  const publicId = await a.postThought(ana, `good morning @${bo.handle}`);
  const onB = await localId(b, a.noteId(ana, publicId));
  await eventually(() => b.query(`SELECT n.type FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.username = 'bo' AND n.thought_id = '${onB}'`) === 'mention', 'bo notified of the mention');

  const directId = await a.postThought(ana, `@${bo.handle} a secret for you`, { visibility: 'private' });
  const directOnB = await localId(b, a.noteId(ana, directId));
  assert.equal(b.query(`SELECT visibility FROM thoughts WHERE id = '${directOnB}'`), 'private');
  await eventually(() => b.query(`SELECT n.type FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.username = 'bo' AND n.thought_id = '${directOnB}'`) === 'mention', 'bo notified of the direct message');
  // cy follows ana on b, but sees only the public one.
  const home = await b.read('/api/timeline/home', cy);
  assert.ok(home.thoughts.some((t) => t.id === onB), 'the public mention reaches her followers');
  assert.ok(!home.thoughts.some((t) => t.id === directOnB), 'the direct one does not');
  assert.ok(!JSON.stringify(await b.read('/api/notifications/list', cy)).includes('a secret'));
});
