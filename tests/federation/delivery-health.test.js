// Per-server health: a server whose deliveries keep failing (here for more than 1 s, through
// FEDERATION_UNAVAILABLE_AFTER_SECS; a week by default) is marked unavailable, nothing is
// queued for it while it is down (dropped and counted), and it is available again as soon as
// it sends us anything. `server federation status` shows it all. Against the Fedify peer (a
// server that really goes away) and a second Thoughtspace instance.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { startInstance, eventually } from './instance.js';
import { startPeer } from './peer.js';

const repo = resolve(import.meta.dirname, '../..');

let a;
let b;
let ana; // on a
let bo; // on b

before(async () => {
  [a, b] = await Promise.all([startInstance({ env: { FEDERATION_UNAVAILABLE_AFTER_SECS: '1' } }), startInstance()]);
  [ana, bo] = await Promise.all([a.signUp('ana'), b.signUp('bo')]);
});

after(async () => {
  const exits = await Promise.all([a?.stop(), b?.stop()]);
  for (const exit of exits) if (exit) assert.equal(exit.code, 0, 'each server exits cleanly');
});

const status = () => execFileSync(join(repo, 'target/debug/server'), ['federation', 'status'], { env: a.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
/** The status line of server `host`, split into its columns. */
const row = (host) => status().split('\n').find((line) => line.startsWith(`${host} `))?.trim().split(/\s{2,}/);

test('a Fedify server that keeps failing is marked unavailable, gets nothing queued, and is back when it writes', async () => {
  let away = await startPeer();
  const port = Number(new URL(away.url).port);
  const host = away.host;
  const there = `inbox_url LIKE '${away.url}/%'`;
  await away.addUser('erin');
  await away.follow('erin', ana.actor);
  await away.waitFor({ type: 'Accept' });
  await eventually(() => a.query(`SELECT count(*) FROM deliveries WHERE ${there}`) === '0', 'the delivered Accept');
  assert.equal(row(host)[1], 'available');
  assert.notEqual(row(host)[4], '-', 'its last success is shown');
  await away.stop();

  // The first failure starts the span; one more after it has lasted 1 s marks the server down.
  const first = await a.postThought(ana, 'are you there?');
  await eventually(() => a.query(`SELECT attempts FROM deliveries WHERE ${there} AND last_error IS NOT NULL`) === '1', 'a failed first attempt');
  assert.deepEqual(row(host).slice(1, 2), ['failing']);
  await eventually(() => a.query(`SELECT failing_since < now() - interval '1.2 seconds' FROM federation_servers WHERE host = '${host}'`) === 't', 'a span of failures');
  a.query(`UPDATE deliveries SET next_attempt_at = now() WHERE ${there}; SELECT pg_notify('deliveries', '')`);
  await eventually(() => a.query(`SELECT count(*) FROM failed_events WHERE target_url LIKE '${away.url}/%'`) === '1', 'the delivery given up');
  assert.match(a.query(`SELECT error FROM failed_events WHERE target_url LIKE '${away.url}/%'`), /refused.*marked unavailable/i);
  assert.equal(a.query(`SELECT unavailable_since IS NOT NULL FROM federation_servers WHERE host = '${host}'`), 't');

  // While it is down, nothing is queued for it: the delivery is dropped and counted.
  await a.postThought(ana, 'nobody hears this');
  assert.equal(a.query(`SELECT count(*) FROM deliveries WHERE ${there}`), '0');
  const [, state, , failures, , queued, dead, dropped] = row(host);
  assert.deepEqual({ state, failures, queued, dead, dropped }, { state: 'unavailable', failures: '2', queued: '0', dead: '1', dropped: '1' });
  assert.match(status(), /1 unavailable; 0 delivery\(ies\) queued; 1 dead letter/);

  // It comes back and sends us something (a like): available again, and deliveries flow.
  away = await startPeer({ port });
  await away.addUser('erin');
  await away.like('erin', a.noteId(ana, first), ana.actor);
  await eventually(() => a.query(`SELECT unavailable_since IS NULL AND failing_since IS NULL FROM federation_servers WHERE host = '${host}'`) === 't', 'marked available');
  assert.equal(row(host)[1], 'available');
  const again = await a.postThought(ana, 'welcome back');
  const create = await away.waitFor({ type: 'Create' });
  assert.equal(create.raw.object.id, a.noteId(ana, again));
  await away.stop();
});

test('a second Thoughtspace instance marked unavailable gets nothing until it writes, then gets deliveries again', async () => {
  const found = await b.read(`/api/search?q=${encodeURIComponent(`@${ana.handle}`)}`, bo);
  assert.equal(found.people[0].username, ana.handle);
  const follow = await b.post('/api/profiles/follow', { username: ana.handle, on: 'true' }, bo);
  assert.equal(follow.status, 200, await follow.text());
  await eventually(() => b.query(`SELECT f.state FROM follows f JOIN users u ON u.id = f.following_id WHERE u.username = '${ana.handle}'`) === 'accepted', 'the follow accepted by a');
  const before = await a.postThought(ana, 'before the trouble');
  const onB = await eventually(() => b.query(`SELECT id FROM thoughts WHERE ap_id = '${a.noteId(ana, before)}'`), 'the thought on b');
  await eventually(() => a.query(`SELECT last_success_at IS NOT NULL FROM federation_servers WHERE host = '${b.host}'`) === 't', 'a success recorded');

  // As if b's deliveries had failed for a week (the first test makes the failures for real).
  a.query(`UPDATE federation_servers SET failing_since = now() - interval '8 days', failures = 20, unavailable_since = now() WHERE host = '${b.host}'`);
  const dropped = await a.postThought(ana, 'b misses this one');
  assert.equal(a.query(`SELECT count(*) FROM deliveries WHERE inbox_url LIKE '${b.url}/%'`), '0');
  assert.equal(row(b.host)[1], 'unavailable');
  assert.equal(row(b.host)[7], '1', 'one delivery dropped');

  // bo likes ana's earlier thought: b wrote to us, so it is available again.
  const like = await b.post('/api/thoughts/react', { id: onB, reaction: 'like', on: 'true' }, bo);
  assert.equal(like.status, 200, await like.text());
  await eventually(() => a.query(`SELECT count(*) FROM likes l JOIN thoughts t ON t.id = l.thought_id WHERE t.id = '${before}'`) === '1', 'the like on a');
  assert.equal(row(b.host)[1], 'available');
  const after = await a.postThought(ana, 'b is back');
  await eventually(() => b.query(`SELECT count(*) FROM thoughts WHERE ap_id = '${a.noteId(ana, after)}'`) === '1', 'the new thought on b');
  assert.equal(b.query(`SELECT count(*) FROM thoughts WHERE ap_id = '${a.noteId(ana, dropped)}'`), '0', 'what was dropped never arrived');
});
