// The client API through a real Mastodon client library, masto (npm), unchanged: it registers
// an app, logs in through the OAuth flow (the person approves on the consent page), and uses
// Thoughtspace as it would use Mastodon.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createOAuthAPIClient, createRestAPIClient } from 'masto';
import { startServer } from '../support/server.js';

let server;

async function signUp(username) {
  const response = await fetch(`${server.url}/api/accounts/sign_up`, {
    method: 'POST', redirect: 'manual',
    headers: { origin: server.url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, email: `${username}@example.test`, password: 'correct horse battery' }),
  });
  return response.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c.startsWith('ts_session=') && c.length > 11);
}

/** Registers an app with masto and logs `cookie`'s person in through the consent page. */
async function logIn(cookie) {
  const anonymous = createRestAPIClient({ url: server.url });
  const redirectUri = 'https://client.example/callback';
  const app = await anonymous.v1.apps.create({ clientName: 'masto test', redirectUris: redirectUri, scopes: 'read write follow push' });
  assert.ok(app.clientId && app.clientSecret);

  const authorize = `${server.url}/oauth/authorize?response_type=code&client_id=${app.clientId}&redirect_uri=${encodeURIComponent(redirectUri)}&scope=read+write+follow+push`;
  const page = await fetch(authorize, { headers: { cookie } });
  assert.equal(page.status, 200);
  assert.match(await page.text(), /Authorize masto test\?/);
  const approved = await fetch(`${server.url}/oauth/authorize`, {
    method: 'POST', redirect: 'manual',
    headers: { cookie, origin: server.url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: app.clientId, redirect_uri: redirectUri, scope: 'read write follow push', decision: 'approve' }),
  });
  const code = new URL(approved.headers.get('location')).searchParams.get('code');
  assert.ok(code, 'the consent page answers with a code');

  const oauth = createOAuthAPIClient({ url: server.url });
  const token = await oauth.token.create({
    grantType: 'authorization_code', clientId: app.clientId, clientSecret: app.clientSecret, redirectUri, code, scope: 'read write follow push',
  });
  return createRestAPIClient({ url: server.url, accessToken: token.accessToken });
}

before(async () => {
  server = await startServer();
});

after(async () => {
  if (server) await server.stop();
});

test('masto logs in, posts, reads timelines, follows, favourites, reblogs, reads notifications and searches', async () => {
  const ana = await logIn(await signUp('ana'));
  const bo = await logIn(await signUp('bo'));

  const me = await ana.v1.accounts.verifyCredentials();
  assert.equal(me.username, 'ana');

  const status = await ana.v1.statuses.create({ status: 'hello from masto #clients', visibility: 'public' });
  assert.equal(status.account.username, 'ana');
  assert.match(status.content, /hello from masto/);
  assert.deepEqual(status.tags.map((t) => t.name), ['clients']);

  const home = await ana.v1.timelines.home.list({ limit: 10 });
  assert.equal(home[0].id, status.id);
  const publicTimeline = await bo.v1.timelines.public.list();
  assert.ok(publicTimeline.some((s) => s.id === status.id));

  // Bo finds ana, follows her, favourites and reblogs her status.
  const found = await bo.v1.accounts.lookup({ acct: 'ana' });
  const relationship = await bo.v1.accounts.$select(found.id).follow();
  assert.equal(relationship.following, true);
  const [related] = await bo.v1.accounts.relationships.fetch({ id: [found.id] });
  assert.equal(related.following, true);
  const favourited = await bo.v1.statuses.$select(status.id).favourite();
  assert.equal(favourited.favourited, true);
  assert.equal(favourited.favouritesCount, 1);
  const reblogged = await bo.v1.statuses.$select(status.id).reblog();
  assert.equal(reblogged.reblogged, true);
  // A status of its own, wrapping hers.
  assert.notEqual(reblogged.id, status.id);
  assert.equal(reblogged.account.username, 'bo');
  assert.equal(reblogged.reblog.id, status.id);
  const fans = await ana.v1.statuses.$select(status.id).favouritedBy.list();
  assert.deepEqual(fans.map((a) => a.username), ['bo']);

  // Bo's reply shows in the thread.
  const reply = await bo.v1.statuses.create({ status: 'nice one', inReplyToId: status.id });
  const context = await ana.v1.statuses.$select(status.id).context.fetch();
  assert.deepEqual(context.descendants.map((s) => s.id), [reply.id]);

  // Ana hears of all of it.
  const notifications = await ana.v1.notifications.list();
  assert.deepEqual(new Set(notifications.map((n) => n.type)), new Set(['follow', 'favourite', 'reblog', 'mention']));
  assert.ok(notifications.every((n) => n.account.username === 'bo'));

  const results = await bo.v2.search.list({ q: 'ana' });
  assert.ok(results.accounts.some((a) => a.username === 'ana'));
  const tagged = await bo.v1.timelines.tag.$select('clients').list();
  assert.equal(tagged[0].id, status.id);

  // Errors come back as masto's typed errors, with Mastodon's shape.
  await assert.rejects(ana.v1.statuses.create({ status: 'x'.repeat(129) }), (error) => error.statusCode === 422 && /128/.test(error.message));
  await assert.rejects(bo.v1.statuses.$select(status.id).remove(), (error) => error.statusCode === 404);
  const removed = await ana.v1.statuses.$select(status.id).remove();
  assert.equal(removed.id, status.id);
});
