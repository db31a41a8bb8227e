// Two Thoughtspace instances on loopback federate with each other: different ports, so
// different PUBLIC_URLs, databases and keys, exactly as two servers on the internet.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startInstance, eventually } from './instance.js';

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

test('a person on one instance finds, follows and reads a person on the other, and the reply goes back', async () => {
  const found = await a.read(`/api/search?q=${encodeURIComponent(`@${bo.handle}`)}`, ana);
  assert.equal(found.people[0].username, bo.handle);

  const follow = await a.post('/api/profiles/follow', { username: bo.handle, on: 'true' }, ana);
  assert.equal(follow.status, 200, await follow.text());
  await eventually(() => a.query(`SELECT f.state FROM follows f JOIN users u ON u.id = f.following_id WHERE u.username = '${bo.handle}'`) === 'accepted', 'the follow accepted by b');
  assert.equal(b.query(`SELECT u.ap_id FROM follows f JOIN users u ON u.id = f.follower_id WHERE f.state = 'accepted'`), ana.actor);

  const boThought = await b.postThought(bo, 'hello from b');
  const seen = await eventually(async () => (await a.read('/api/timeline/home', ana)).thoughts.find((t) => t.content === 'hello from b'), 'bo\'s thought in ana\'s home');
  assert.equal(seen.author_username, bo.handle);

  await a.postThought(ana, 'hello back from a', { reply_to: seen.id });
  await eventually(() => b.query(`SELECT count(*) FROM thoughts WHERE reply_to = '${boThought}' AND content = 'hello back from a'`) === '1', 'the reply on b');
});
