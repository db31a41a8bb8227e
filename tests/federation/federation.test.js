// Federation against an independent implementation: a Fedify server (tests/federation/peer.js)
// on loopback talks to the real Thoughtspace binary. Every request between them is signed
// and verified by each side's own code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { signRequest } from '@fedify/fedify';
import { join, resolve } from 'node:path';
import { startInstance, eventually } from './instance.js';

const repo = resolve(import.meta.dirname, '../..');
import { startPeer, PUBLIC } from './peer.js';

let server;
let peer;
let ana; // a Thoughtspace user: { session, actor }
let post;
let read;
let signUp;
let postThought;
let sql;

before(async () => {
  server = await startInstance();
  ({ post, read, signUp, postThought, query: sql } = server);
  peer = await startPeer();
  await peer.addUser('bob', { displayName: 'Bob Fedify', summary: '<p>I run on <b>Fedify</b></p>' });
  ana = await signUp('ana');
});

after(async () => {
  await peer?.stop();
  if (server) {
    const { code } = await server.stop();
    assert.equal(code, 0, 'the server exits cleanly');
  }
});

test('discovery: WebFinger, the actor with its key, NodeInfo with real counts', async () => {
  const host = new URL(server.url).host;
  const { actorUrl, jrd } = await peer.lookupHandle(`ana@${host}`);
  assert.equal(actorUrl, ana.actor);
  assert.equal(jrd.subject, `acct:ana@${host}`);

  const actor = await peer.lookupRaw(ana.actor);
  assert.equal(actor.type, 'Person');
  assert.equal(actor.preferredUsername, 'ana');
  assert.equal(actor.inbox, `${ana.actor}/inbox`);
  assert.equal(actor.endpoints.sharedInbox, `${server.url}/inbox`);
  assert.equal(actor.featured, `${ana.actor}/featured`);
  assert.equal(actor.url, `${server.url}/@ana`);
  assert.match(actor.publicKey.publicKeyPem, /BEGIN PUBLIC KEY/);
  assert.equal(actor.publicKey.owner, ana.actor);

  // The profile URL serves the same actor to servers and the page to browsers.
  const viaProfile = await fetch(`${server.url}/@ana`, { headers: { accept: 'application/activity+json' } });
  assert.equal((await viaProfile.json()).id, ana.actor);
  const page = await fetch(`${server.url}/@ana`, { headers: { accept: 'text/html' } });
  assert.match(page.headers.get('content-type'), /text\/html/);

  const links = await (await fetch(`${server.url}/.well-known/nodeinfo`)).json();
  const info = await (await fetch(links.links[0].href)).json();
  assert.equal(info.version, '2.1');
  assert.equal(info.usage.users.total, 1);
  assert.deepEqual(info.protocols, ['activitypub']);

  const missing = await fetch(`${server.url}/.well-known/webfinger?resource=acct:nobody@${host}`);
  assert.equal(missing.status, 404);
});

test('a remote follow is accepted, and new thoughts reach the follower', async () => {
  const followId = await peer.follow('bob', ana.actor);
  const accept = await peer.waitFor({ type: 'Accept', recipient: 'bob' });
  assert.equal(accept.actorId, ana.actor);
  assert.equal(accept.json.object.id, followId, 'the Accept carries the original Follow');
  assert.equal(sql(`SELECT state FROM follows f JOIN users u ON u.id = f.follower_id WHERE u.ap_id = '${peer.actorUrl('bob')}'`), 'accepted');
  assert.equal(sql(`SELECT username FROM users WHERE is_remote`), `bob@${peer.host}`);
  assert.equal(sql(`SELECT count(*) FROM notifications WHERE type = 'follow'`), '1');

  const thoughtId = await postThought(ana, 'hello fediverse #first');
  const create = await peer.waitFor({ type: 'Create', recipient: 'shared' }).catch(() => peer.waitFor({ type: 'Create' }));
  const note = create.raw.object;
  assert.equal(note.id, `${ana.actor}/thoughts/${thoughtId}`);
  assert.equal(note.attributedTo, ana.actor);
  assert.deepEqual(note.to, [PUBLIC]);
  assert.deepEqual(note.cc, [`${ana.actor}/followers`]);
  assert.match(note.content, /^<p>hello fediverse <a href="[^"]+\/tags\/first" class="mention hashtag" rel="tag">#<span>first<\/span><\/a><\/p>$/);

  // The note dereferences at its id, for servers.
  const fetched = await peer.lookupRaw(note.id);
  assert.equal(fetched.content, note.content);

  // A profile edit reaches the follower as an Update of the actor.
  const edit = await post('/api/profiles/update', { display_name: 'Ana Edited', bio: 'new bio', avatar_url: '', header_url: '' }, ana.session);
  assert.equal(edit.status, 200, await edit.text());
  const update = await peer.waitFor({ type: 'Update' });
  assert.equal(update.raw.object.id, ana.actor);
  assert.equal(update.raw.object.name, 'Ana Edited');
});

test('a remote reply and a remote like arrive as a reply and a like, with notifications', async () => {
  const thoughtId = await postThought(ana, 'reply to me');
  const noteId = `${ana.actor}/thoughts/${thoughtId}`;
  const { noteId: replyId } = await peer.post('bob', {
    content: '<p>a <b>reply</b><script>alert(1)</script></p>', inReplyTo: noteId, to: [PUBLIC], cc: [ana.actor],
    mentions: [{ href: ana.actor, name: `@ana@${new URL(server.url).host}` }], deliverTo: [ana.actor],
  });
  const reply = await eventually(() => sql(`SELECT content || '|' || content_html || '|' || (reply_to = '${thoughtId}') FROM thoughts WHERE ap_id = '${replyId}'`), 'the reply');
  assert.equal(reply, 'a reply|<p>a <b>reply</b></p>|true', 'stored as text and cleaned HTML');
  assert.equal(sql(`SELECT count(*) FROM notifications WHERE type = 'reply' AND thought_id = (SELECT id FROM thoughts WHERE ap_id = '${replyId}')`), '1');

  const likeId = await peer.like('bob', noteId, ana.actor);
  await eventually(() => sql(`SELECT count(*) FROM likes WHERE thought_id = '${thoughtId}'`) === '1', 'the like');
  assert.equal(sql(`SELECT ap_id FROM likes WHERE thought_id = '${thoughtId}'`), likeId);
  assert.equal(sql(`SELECT count(*) FROM notifications WHERE type = 'like' AND thought_id = '${thoughtId}'`), '1');
  await peer.undo('bob', likeId, ana.actor);
  await eventually(() => sql(`SELECT count(*) FROM likes WHERE thought_id = '${thoughtId}'`) === '0', 'the undone like');

  const announceId = await peer.announce('bob', noteId, ana.actor);
  await eventually(() => sql(`SELECT count(*) FROM boosts WHERE ap_id = '${announceId}'`) === '1', 'the boost');

  await peer.deleteNote('bob', replyId, ana.actor);
  await eventually(() => sql(`SELECT deleted_at IS NOT NULL FROM thoughts WHERE ap_id = '${replyId}'`) === 't', 'the deleted reply');
});

test('edits travel both ways as Update(Note) and keep the earlier versions', async () => {
  // Ours: bob follows ana (since the follow test); her edit reaches him as an Update.
  const thoughtId = await postThought(ana, 'a first draft');
  await peer.waitFor((entry) => entry.type === 'Create' && entry.raw.object.id.endsWith(thoughtId));
  const edited = await post('/api/thoughts/edit', { id: thoughtId, content: 'a second draft' }, ana.session);
  assert.ok(edited.status < 400, `${edited.status} ${await edited.text()}`);
  const update = await peer.waitFor((entry) => entry.type === 'Update' && entry.raw.object?.type === 'Note');
  assert.equal(update.actorId, ana.actor, 'verified as signed by ana');
  assert.equal(update.raw.object.id, `${ana.actor}/thoughts/${thoughtId}`);
  assert.match(update.raw.object.content, /a second draft/);
  assert.ok(Date.parse(update.raw.object.updated) >= Date.parse(update.raw.object.published), update.raw.object.updated);
  assert.deepEqual([update.raw.object.to, update.raw.object.cc], [[PUBLIC], [`${ana.actor}/followers`]]);

  // Theirs: bob edits a note that mentions ana; it changes here, keeping what it said.
  const { noteId } = await peer.post('bob', {
    content: '<p>before the edit</p>', to: [PUBLIC], cc: [ana.actor],
    mentions: [{ href: ana.actor, name: `@ana@${new URL(server.url).host}` }], deliverTo: [ana.actor],
  });
  await eventually(() => sql(`SELECT count(*) FROM thoughts WHERE ap_id = '${noteId}'`) === '1', 'the note');
  await peer.editNote('bob', noteId, { content: '<p>after the edit</p>' }, ana.actor);
  await eventually(() => sql(`SELECT content FROM thoughts WHERE ap_id = '${noteId}'`) === 'after the edit', 'the remote edit');
  assert.equal(sql(`SELECT edited_at IS NOT NULL FROM thoughts WHERE ap_id = '${noteId}'`), 't');
  assert.equal(sql(`SELECT string_agg(e.content, ',') FROM thought_edits e JOIN thoughts t ON t.id = e.thought_id WHERE t.ap_id = '${noteId}'`), 'before the edit');
  const id = sql(`SELECT id FROM thoughts WHERE ap_id = '${noteId}'`);
  const page = await (await fetch(`${server.url}/@bob@${peer.host}/${id}`, { headers: { cookie: `ts_session=${ana.session}` } })).text();
  assert.match(page, /class="edited"/);
});

test('unsigned, forged and tampered deliveries are refused with 401 and change nothing', async () => {
  const activity = {
    '@context': 'https://www.w3.org/ns/activitystreams',
    id: `${peer.actorUrl('bob')}#likes/forged`, type: 'Like', actor: peer.actorUrl('bob'), object: `${ana.actor}/thoughts/00000000-0000-0000-0000-000000000000`,
  };
  const unsigned = await fetch(`${ana.actor}/inbox`, { method: 'POST', headers: { 'content-type': 'application/activity+json' }, body: JSON.stringify(activity) });
  assert.equal(unsigned.status, 401);
  assert.match(await unsigned.text(), /not signed/);

  // Signed by bob, but claiming to be someone else.
  const impostor = { ...activity, id: `${peer.actorUrl('bob')}#x2`, actor: `${peer.url}/users/mallory` };
  const forged = await peer.sendRaw('bob', `${ana.actor}/inbox`, impostor);
  assert.equal(forged.status, 401);
  assert.match(forged.body, /do not match/);

  // A body changed after signing: the Digest no longer matches.
  const [key] = await peer.keyPairs('bob');
  const signed = await signRequest(new Request(`${ana.actor}/inbox`, { method: 'POST', body: JSON.stringify(activity),
    headers: { 'content-type': 'application/activity+json' } }), key.privateKey, key.keyId);
  const swapped = JSON.stringify({ ...activity, object: `${ana.actor}/thoughts/11111111-1111-1111-1111-111111111111` });
  const tampered = await fetch(signed.url, { method: 'POST', headers: signed.headers, body: swapped });
  assert.equal(tampered.status, 401);
  assert.match(await tampered.text(), /Digest/);
  assert.equal(sql(`SELECT count(*) FROM received_activities WHERE activity_id LIKE '%forged%' OR activity_id LIKE '%x2'`), '0');
});

test('a redelivered activity is applied once', async () => {
  const thoughtId = await postThought(ana, 'like me twice');
  const like = {
    '@context': 'https://www.w3.org/ns/activitystreams',
    id: `${peer.actorUrl('bob')}/likes/twice`, type: 'Like', actor: peer.actorUrl('bob'), object: `${ana.actor}/thoughts/${thoughtId}`,
  };
  for (let i = 0; i < 2; i += 1) {
    const sent = await peer.sendRaw('bob', `${server.url}/inbox`, like);
    assert.equal(sent.status, 202, sent.body);
  }
  assert.equal(sql(`SELECT count(*) FROM likes WHERE thought_id = '${thoughtId}'`), '1');
  assert.equal(sql(`SELECT count(*) FROM notifications WHERE type = 'like' AND thought_id = '${thoughtId}'`), '1');
  const unknown = await peer.sendRaw('bob', `${server.url}/inbox`, { ...like, id: `${like.id}/2`, type: 'Arrive' });
  assert.equal(unknown.status, 202, 'unknown types are accepted and ignored');
});

test('deleting a thought sends Delete; a remote Block cuts the follow', async () => {
  const thoughtId = await postThought(ana, 'soon gone');
  await peer.waitFor((entry) => entry.type === 'Create' && entry.raw.object.id.endsWith(thoughtId));
  const response = await post('/api/thoughts/delete', { id: thoughtId }, ana.session);
  assert.equal(response.status, 200, await response.text());
  const deleted = await peer.waitFor({ type: 'Delete' });
  assert.equal(deleted.raw.object.id, `${ana.actor}/thoughts/${thoughtId}`);
  const gone = await fetch(`${ana.actor}/thoughts/${thoughtId}`, { headers: { accept: 'application/activity+json' } });
  assert.equal(gone.status, 410);

  await peer.block('bob', ana.actor);
  await eventually(() => sql(`SELECT count(*) FROM blocks b JOIN users u ON u.id = b.blocker_id WHERE u.ap_id = '${peer.actorUrl('bob')}'`) === '1', 'the block');
  assert.equal(sql(`SELECT count(*) FROM follows`), '0', 'the block ended the follow');
});

test('a local person finds, follows, reads and answers someone on another server', async () => {
  await peer.addUser('carol', { displayName: 'Carol Remote', summary: '<p>posting from Fedify</p>' });
  const { noteId: oldNote } = await peer.post('carol', { content: '<p>an older public post</p>', to: [PUBLIC], deliverTo: [] });
  const handle = `carol@${peer.host}`;

  // The search box finds her by address (WebFinger, then her actor).
  const found = await read(`/api/search?q=${encodeURIComponent(`@${handle}`)}`, ana);
  assert.equal(found.people[0].username, handle);
  assert.equal(found.people[0].display_name, 'Carol Remote');

  // Her profile shows her recent posts, read from her outbox, and a link to her own page.
  const page = await (await fetch(`${server.url}/@${handle}`, { headers: { cookie: `ts_session=${ana.session}` } })).text();
  assert.match(page, /Carol Remote/);
  assert.match(page, /an older public post/);
  assert.equal(sql(`SELECT count(*) FROM thoughts WHERE ap_id = '${oldNote}'`), '1');

  // Following her is a handshake: pending until her server accepts.
  const follow = await post('/api/profiles/follow', { username: handle, on: 'true' }, ana.session);
  assert.equal(follow.status, 200, await follow.text());
  const followed = await peer.waitFor({ type: 'Follow', recipient: 'carol' });
  assert.equal(followed.actorId, ana.actor);
  await eventually(() => sql(`SELECT state FROM follows f JOIN users u ON u.id = f.following_id WHERE u.username = '${handle}'`) === 'accepted', 'the accepted follow');

  // Her followers-only post reaches ana's home timeline.
  const { noteId } = await peer.post('carol', { content: '<p>for my followers</p>', to: [`${peer.actorUrl('carol')}/followers`], cc: [], deliverTo: [ana.actor] });
  const thought = await eventually(async () => (await read('/api/timeline/home', ana)).thoughts.find((t) => t.content === 'for my followers'), 'the post in the home timeline');
  assert.equal(thought.author_username, handle);
  assert.equal(thought.visibility, 'followers');

  // Like, boost and reply travel back to her server.
  assert.equal((await post('/api/thoughts/react', { id: thought.id, reaction: 'like', on: 'true' }, ana.session)).status, 200);
  const like = await peer.waitFor({ type: 'Like', recipient: 'carol' });
  assert.equal(like.json.object, noteId);
  const publicThought = (await read(`/api/timeline/profile?username=${encodeURIComponent(handle)}`, ana)).thoughts.find((t) => t.content === 'an older public post');
  assert.equal((await post('/api/thoughts/react', { id: publicThought.id, reaction: 'boost', on: 'true' }, ana.session)).status, 200);
  const announce = await peer.waitFor({ type: 'Announce', recipient: 'carol' });
  assert.equal(announce.json.object, oldNote);
  const replyId = await postThought(ana, 'hello from Thoughtspace', { reply_to: thought.id, visibility: 'followers' });
  const reply = await peer.waitFor((entry) => entry.type === 'Create' && entry.recipient === 'carol');
  assert.equal(reply.raw.object.inReplyTo, noteId);
  assert.equal(reply.raw.object.id, `${ana.actor}/thoughts/${replyId}`);

  // Taking the like back and unfollowing are Undos naming the original activities.
  assert.equal((await post('/api/thoughts/react', { id: thought.id, reaction: 'like', on: 'false' }, ana.session)).status, 200);
  const undoLike = await peer.waitFor((entry) => entry.type === 'Undo' && entry.json.object?.type === 'Like');
  assert.equal(undoLike.json.object.id, like.id);
  assert.equal((await post('/api/profiles/follow', { username: handle, on: 'false' }, ana.session)).status, 200);
  const undoFollow = await peer.waitFor((entry) => entry.type === 'Undo' && entry.json.object?.type === 'Follow');
  assert.equal(undoFollow.json.object.id, followed.id);
});

test('deliveries to a server that is down retry, become dead letters, and a replay delivers them', async () => {
  let away = await startPeer();
  const port = Number(new URL(away.url).port);
  await away.addUser('erin');
  await away.follow('erin', ana.actor);
  await away.waitFor({ type: 'Accept' });
  // Everything for that server (its shared inbox collects what its people follow).
  const there = `inbox_url LIKE '${away.url}/%'`;
  // Stop only once our side has seen the Accept's 202 (else it is, rightly, sent again).
  await eventually(() => sql(`SELECT count(*) FROM deliveries WHERE ${there}`) === '0', 'the delivered Accept');
  await away.stop();

  const thoughtId = await postThought(ana, 'are you there?');
  await eventually(() => sql(`SELECT attempts FROM deliveries WHERE ${there} AND last_error IS NOT NULL`) === '1', 'a failed first attempt');
  assert.match(sql(`SELECT activity_type || ' ' || last_error FROM deliveries WHERE ${there}`), /^Create .*(connect|refused)/i);

  // Skip the day of back-off: the next attempt is the last one.
  sql(`UPDATE deliveries SET attempts = 11, next_attempt_at = now() WHERE ${there}; SELECT pg_notify('deliveries', '')`);
  await eventually(() => sql(`SELECT count(*) FROM failed_events WHERE target_url LIKE '${away.url}/%'`) === '1', 'the dead letter');
  assert.equal(sql(`SELECT count(*) FROM deliveries WHERE ${there}`), '0');

  const cli = (...args) => execFileSync(join(repo, 'target/debug/server'), args, { env: server.env, encoding: 'utf8' });
  assert.match(cli('dead-letters', 'list'), new RegExp(`Create[\\s\\S]*${away.url}/[\\s\\S]*Connection refused[\\s\\S]*1 dead letter`));

  // The server is back (same address): a replay delivers the Create.
  away = await startPeer({ port });
  await away.addUser('erin');
  assert.match(cli('dead-letters', 'replay', '--all'), /queued 1/);
  const create = await away.waitFor({ type: 'Create' });
  assert.equal(create.raw.object.id, `${ana.actor}/thoughts/${thoughtId}`);
  assert.equal(sql(`SELECT count(*) FROM failed_events`), '0');
  await away.stop();
});
