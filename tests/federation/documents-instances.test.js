// The documents one Thoughtspace instance serves, read by another (issue #15): b reads a's
// paged outbox and follow lists, pinned thoughts (featured), Top Friends collection, and
// fetches a followers-only note with signatures made by b's own keys once b's person follows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { signRequest } from '@fedify/fedify';
import { startInstance, eventually } from './instance.js';
import { expand, as, values } from './jsonld.js';

let a;
let b;
let ana; // on a
let bo; // on b

before(async () => {
  [a, b] = await Promise.all([startInstance(), startInstance()]);
  [ana, bo] = await Promise.all([a.signUp('ana'), b.signUp('bo')]);
});

after(async () => {
  const exits = await Promise.all([a?.stop(), b?.stop()]);
  for (const exit of exits) if (exit) assert.equal(exit.code, 0, 'each server exits cleanly');
});

/** A GET of `url` signed with b's key for `keyOwner` (a local username on b, or null for b's instance actor). */
async function signedByB(url, keyOwner) {
  const pem = keyOwner == null
    ? b.query('SELECT private_key_pem FROM instance_key')
    : b.query(`SELECT k.private_key_pem FROM actor_keys k JOIN users u ON u.id = k.user_id WHERE u.username = '${keyOwner}'`);
  const privateKey = await crypto.subtle.importKey('pkcs8', Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64'),
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['sign']);
  const keyId = new URL(keyOwner == null ? `${b.url}/actor#main-key` : `${b.url}/users/${keyOwner}#main-key`);
  const request = await signRequest(new Request(url, { headers: { accept: 'application/activity+json' } }), privateKey, keyId);
  return fetch(request);
}

test('b follows a and reads its documents: paged outbox, pinned thoughts, Top Friends', async () => {
  const found = await b.read(`/api/search?q=${encodeURIComponent(`@${ana.handle}`)}`, bo);
  assert.equal(found.people[0].username, ana.handle);
  const follow = await b.post('/api/profiles/follow', { username: ana.handle, on: 'true' }, bo);
  assert.equal(follow.status, 200, await follow.text());
  await eventually(() => b.query(`SELECT f.state FROM follows f JOIN users u ON u.id = f.following_id WHERE u.username = '${ana.handle}'`) === 'accepted', 'bo following ana');

  const ids = [];
  for (let n = 0; n < 22; n++) ids.push(await a.postThought(ana, `from a ${n}`));
  const created = await a.post('/api/api_keys/create', { name: 'pins' }, ana);
  const { secret } = JSON.parse(await created.text());
  const pinned = await fetch(`${a.url}/api/v1/statuses/${ids[3]}/pin`, { method: 'POST', headers: { authorization: `Bearer ${secret}` } });
  assert.equal(pinned.status, 200, await pinned.text());
  await a.signUp('cy');
  const friends = await a.post('/api/profiles/top_friends', { friend_1: 'cy', friend_2: '', friend_3: '', friend_4: '', friend_5: '' }, ana);
  assert.equal(friends.status, 200, await friends.text());

  // b refreshes its copy of ana's profile (a day old) from her paged collections.
  b.query(`UPDATE remote_actors SET fetched_at = now() - interval '2 days'`);
  await b.read(`/api/profiles/get?username=${encodeURIComponent(ana.handle)}`, bo);
  const counts = `SELECT r.post_count || ' ' || r.follower_count FROM remote_actors r JOIN users u ON u.id = r.user_id WHERE u.username = '${ana.handle}'`;
  assert.equal(b.query(counts), '22 1', 'b reads the exact totals of the paged outbox and followers');
  assert.equal(b.query(`SELECT c.connected_ap_url FROM remote_actor_connections c WHERE c.direction = 'follower'`), bo.actor,
    'b follows the followers collection to its first page');

  // The documents b's federation client reads, signed with b's instance key.
  const outbox = await (await signedByB(`${ana.actor}/outbox`, null)).json();
  assert.equal(outbox.totalItems, 22);
  const firstPage = await (await signedByB(outbox.first, null)).json();
  assert.equal(firstPage.orderedItems.length, 20);
  assert.equal(firstPage.orderedItems[0].object.id, a.noteId(ana, ids[21]));
  const secondPage = await (await signedByB(firstPage.next, null)).json();
  assert.deepEqual(secondPage.orderedItems.map((c) => c.object.id), [a.noteId(ana, ids[1]), a.noteId(ana, ids[0])]);

  const featured = await (await signedByB(`${ana.actor}/featured`, null)).json();
  assert.deepEqual(featured.orderedItems.map((n) => n.id), [a.noteId(ana, ids[3])]);

  const collections = await expand(await (await signedByB(`${ana.actor}/collections`, null)).json());
  const [top] = collections[as('items')][0]['@list'];
  assert.deepEqual(values(top, as('name')), ['Top Friends']);
  assert.deepEqual(top[as('items')][0]['@list'].map((i) => values(i, 'https://w3id.org/fep/7aa9#featuredObject')[0]), [`${a.url}/users/cy`]);
});

test('a followers-only note on a is fetched with the signature of bo on b while bo follows, not after', async () => {
  const cyOnB = await b.signUp('cy');
  const early = await a.postThought(ana, 'for followers only', { visibility: 'followers' });
  const url = a.noteId(ana, early);
  // bo follows ana (from the first test): a GET signed with bo's key on b is served it.
  const asBo = await signedByB(url, 'bo');
  assert.equal(asBo.status, 200);
  assert.equal((await asBo.json()).content, '<p>for followers only</p>');
  assert.equal((await fetch(url, { headers: { accept: 'application/activity+json' } })).status, 404, 'unsigned');

  // After bo unfollows, nobody on b may.
  const unfollow = await b.post('/api/profiles/follow', { username: ana.handle, on: 'false' }, bo);
  assert.equal(unfollow.status, 200, await unfollow.text());
  await eventually(() => a.query(`SELECT count(*) FROM follows`) === '0', 'the Undo on a');
  assert.equal((await signedByB(url, 'bo')).status, 404);
  assert.equal((await signedByB(url, cyOnB.username)).status, 404);
});

test('b shows the profile fields a puts on ana', async () => {
  const created = await a.post('/api/api_keys/create', { name: 'fields' }, ana);
  const { secret } = JSON.parse(await created.text());
  const saved = await fetch(`${a.url}/api/v1/accounts/update_credentials`, {
    method: 'PATCH', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ fields_attributes: [{ name: 'Site', value: 'https://ana.example' }] }),
  });
  assert.equal(saved.status, 200, await saved.text());
  // b refreshes its (day-old) copy of ana and shows the field on her profile.
  b.query(`UPDATE remote_actors SET fetched_at = now() - interval '2 days'`);
  const profile = await b.read(`/api/profiles/get?username=${encodeURIComponent(ana.handle)}`, bo);
  assert.equal(profile.fields.length, 1);
  assert.equal(profile.fields[0][0], 'Site');
  assert.match(profile.fields[0][1], /<a href="https:\/\/ana.example"/);
  const page = await (await fetch(`${b.url}/@${ana.handle}`, { headers: { cookie: `ts_session=${bo.session}` } })).text();
  assert.match(page, /<dt>Site<\/dt>/);
});
