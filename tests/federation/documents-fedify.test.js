// The documents other servers read from us (issue #15), read by an independent implementation:
// a Fedify peer (peer.js) and a real JSON-LD processor (jsonld.js) against the Thoughtspace
// binary. Contexts that define every term, `featured` as pinned thoughts (Add/Remove on pin
// and unpin), the Top Friends as their own FEP-7aa9 featured collection, profile fields,
// paged collections and authorized fetch of followers-only notes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startInstance, eventually } from './instance.js';
import { startPeer } from './peer.js';
import { expand, as, sec, toot, values } from './jsonld.js';

let server;
let peer;
let ana;
let cy;
let key; // ana's client API key

before(async () => {
  server = await startInstance();
  peer = await startPeer();
  await Promise.all([peer.addUser('bob'), peer.addUser('dee')]);
  [ana, cy] = [await server.signUp('ana'), await server.signUp('cy')];
  const created = await server.post('/api/api_keys/create', { name: 'documents test' }, ana);
  key = (JSON.parse(await created.text())).secret;
  assert.ok(key, 'an API key for ana');
  await peer.follow('bob', ana.actor);
  await eventually(() => server.query(`SELECT state FROM follows f JOIN users u ON u.id = f.follower_id WHERE u.ap_id = '${peer.actorUrl('bob')}'`) === 'accepted', 'bob following ana');
});

after(async () => {
  await peer?.stop();
  if (server) assert.equal((await server.stop()).code, 0, 'the server exits cleanly');
});

/** A client API call as ana. */
async function api(method, path, body) {
  const response = await fetch(`${server.url}${path}`, {
    method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body && JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.status < 300, `${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

test('a JSON-LD processor keeps the hashtags, mentions, warning and keys of our note, activity and actor', async () => {
  const id = await server.postThought(ana, 'careful #JsonLd @cy', { summary: 'spoilers' });
  const create = await peer.waitFor((e) => e.type === 'Create' && e.raw?.object?.id === server.noteId(ana, id));
  const note = await peer.lookupRaw(server.noteId(ana, id));

  for (const [what, document] of [['note', note], ['activity', create.raw]]) {
    const expanded = await expand(document);
    const object = what === 'note' ? expanded : expanded[as('object')][0];
    const tags = object[as('tag')];
    const hashtag = tags.find((t) => t['@type']?.includes(as('Hashtag')));
    assert.ok(hashtag, `${what}: the Hashtag type survives: ${JSON.stringify(tags)}`);
    assert.deepEqual(values(hashtag, as('name')), ['#jsonld']);
    const mention = tags.find((t) => t['@type']?.includes(as('Mention')));
    assert.deepEqual(values(mention, as('href')), [cy.actor], `${what}: the Mention`);
    assert.deepEqual(values(object, as('sensitive')), [true], `${what}: sensitive`);
    assert.deepEqual(values(object, as('summary')), ['spoilers'], `${what}: the warning`);
  }
  // Without the terms we define, a processor drops them: the check above would fail.
  const bare = await expand({ ...note, '@context': 'https://www.w3.org/ns/activitystreams' });
  assert.equal(bare[as('sensitive')], undefined);

  const actor = await expand(await peer.lookupRaw(ana.actor));
  const [publicKey] = actor[sec('publicKey')];
  assert.match(values(publicKey, sec('publicKeyPem'))[0], /BEGIN PUBLIC KEY/);
  assert.deepEqual(values(publicKey, sec('owner')), [ana.actor]);
  assert.deepEqual(values(actor, toot('featured')), [`${ana.actor}/featured`]);
  assert.deepEqual(values(actor, toot('discoverable')), [true]);
  assert.deepEqual(values(actor, toot('indexable')), [true]);
  assert.deepEqual(values(actor, as('manuallyApprovesFollowers')), [false]);
  assert.deepEqual(values(actor, 'https://w3id.org/fep/7aa9#featuredCollections'), [`${ana.actor}/collections`]);
});

test('featured lists pinned thoughts for Fedify, and pins and unpins reach followers as Add and Remove', async () => {
  const first = await server.postThought(ana, 'pinned first');
  const second = await server.postThought(ana, 'pinned second');
  await api('POST', `/api/v1/statuses/${first}/pin`);
  await api('POST', `/api/v1/statuses/${second}/pin`);
  const featured = await peer.lookup(`${ana.actor}/featured`);
  assert.equal(featured.type, 'OrderedCollection');
  assert.equal(featured.totalItems, 2);
  assert.deepEqual(featured.orderedItems.map((n) => n.id), [server.noteId(ana, second), server.noteId(ana, first)]);
  assert.equal(featured.orderedItems[0].content, '<p>pinned second</p>');

  const add = await peer.waitFor((e) => e.type === 'Add' && e.json.object === server.noteId(ana, first));
  assert.equal(add.actorId, ana.actor);
  assert.equal(add.json.target, `${ana.actor}/featured`);
  await api('POST', `/api/v1/statuses/${first}/unpin`);
  const remove = await peer.waitFor((e) => e.type === 'Remove');
  assert.deepEqual([remove.json.object, remove.json.target], [server.noteId(ana, first), `${ana.actor}/featured`]);
  assert.equal((await peer.lookup(`${ana.actor}/featured`)).totalItems, 1);
});

test('the Top Friends are a featured collection of their own, in order', async () => {
  await server.signUp('di');
  const saved = await server.post('/api/profiles/top_friends', { friend_1: 'di', friend_2: 'cy', friend_3: '', friend_4: '', friend_5: '' }, ana);
  assert.equal(saved.status, 200, await saved.text());
  const collections = await peer.lookupRaw(`${ana.actor}/collections`);
  assert.equal(collections.totalItems, 1);
  const [top] = collections.orderedItems;
  assert.equal(top.type, 'FeaturedCollection');
  assert.equal(top.name, 'Top Friends');
  assert.deepEqual(top.orderedItems.map((i) => i.featuredObject), [`${server.url}/users/di`, cy.actor]);
  // Fedify reads it as a collection (an OrderedCollection subtype it does not know by name).
  const expanded = await expand(await peer.lookupRaw(top.id));
  const items = expanded[as('items')][0]['@list']; // orderedItems is as:items as a list
  assert.deepEqual(items.map((i) => values(i, 'https://w3id.org/fep/7aa9#featuredObject')[0]), [`${server.url}/users/di`, cy.actor]);
  // featured is not the Top Friends any more.
  assert.ok((await peer.lookup(`${ana.actor}/featured`)).orderedItems.every((n) => n.type === 'Note'));
});

test('Fedify walks the paged outbox and followers: every public item, newest first, exact totals', async () => {
  const posted = [];
  for (let n = 0; n < 23; n++) posted.push(await server.postThought(cy, `page item ${n}`));
  await server.postThought(cy, 'not in the outbox', { visibility: 'followers' });
  const outbox = await peer.lookup(`${cy.actor}/outbox`);
  assert.equal(outbox.totalItems, 23);
  const seen = [];
  let next = outbox.first;
  let pages = 0;
  while (next) {
    const page = await peer.lookup(typeof next === 'string' ? next : next.id);
    assert.equal(page.type, 'OrderedCollectionPage');
    assert.equal(page.partOf, `${cy.actor}/outbox`);
    for (const create of [page.orderedItems ?? []].flat()) seen.push(create.object.id);
    next = page.next;
    pages += 1;
  }
  assert.equal(pages, 2);
  assert.deepEqual(seen, posted.map((id) => server.noteId(cy, id)).reverse());

  const followers = await peer.lookup(`${ana.actor}/followers`);
  assert.equal(followers.totalItems, 1);
  const page = await peer.lookup(followers.first);
  assert.deepEqual([page.orderedItems].flat(), [peer.actorUrl('bob')]);
});

test('a followers-only note is served to the signed fetch of a follower, 404 to others and unsigned', async () => {
  const id = await server.postThought(ana, 'followers only, fetched', { visibility: 'followers' });
  const url = server.noteId(ana, id);
  const note = await peer.lookup(url, { as: 'bob' });
  assert.equal(note.content, '<p>followers only, fetched</p>');
  // dee is on bob's server, which may fetch it as anyone there (it holds their keys and gets
  // the note delivered for bob anyway); carol's server has no follower of ana.
  assert.equal((await peer.lookup(url, { as: 'dee' })).content, '<p>followers only, fetched</p>');
  const elsewhere = await startPeer();
  try {
    await elsewhere.addUser('carol');
    await assert.rejects(elsewhere.lookup(url, { as: 'carol' }), /404/, 'nobody on carol\'s server follows ana');
  } finally {
    await elsewhere.stop();
  }
  await assert.rejects(peer.lookup(url, { as: null }), /404/, 'unsigned');
  const publicId = await server.postThought(ana, 'public, fetched');
  assert.equal((await peer.lookup(server.noteId(ana, publicId), { as: null })).content, '<p>public, fetched</p>');
});

test('profile fields are PropertyValue attachments that Fedify and a JSON-LD processor read', async () => {
  const saved = await fetch(`${server.url}/api/v1/accounts/update_credentials`, {
    method: 'PATCH', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ fields_attributes: [{ name: 'Site', value: 'https://ana.example' }, { name: 'Town', value: 'Lyon' }] }),
  });
  assert.equal(saved.status, 200, await saved.text());
  const actor = await peer.lookup(ana.actor);
  const attachments = [actor.attachment].flat();
  assert.deepEqual(attachments.map((a) => [a.type, a.name]), [['PropertyValue', 'Site'], ['PropertyValue', 'Town']]);
  assert.match(attachments[0].value, /<a href="https:\/\/ana.example" rel="me/);
  const expanded = await expand(await peer.lookupRaw(ana.actor));
  const fields = expanded[as('attachment')];
  assert.deepEqual(fields.map((f) => f['@type'][0]), ['http://schema.org#PropertyValue', 'http://schema.org#PropertyValue']);
  assert.deepEqual(values(fields[1], 'http://schema.org#value'), ['Lyon']);
  // The followers got the new actor in an Update.
  const update = await peer.waitFor((e) => e.type === 'Update' && e.raw?.object?.type === 'Person' && [e.raw.object.attachment].flat().length === 2);
  assert.equal(update.actorId, ana.actor);
});
