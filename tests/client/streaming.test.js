// Streaming through a real Mastodon client library: masto's WebSocket client
// (createStreamingAPIClient), found from the instance's advertised streaming URL and
// authenticated with the OAuth token as masto sends it (the Sec-WebSocket-Protocol header).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createOAuthAPIClient, createRestAPIClient, createStreamingAPIClient } from 'masto';
import { startServer } from '../support/server.js';

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  if (server) await server.stop();
});

async function signUp(username) {
  const response = await fetch(`${server.url}/api/accounts/sign_up`, {
    method: 'POST', redirect: 'manual',
    headers: { origin: server.url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, email: `${username}@example.test`, password: 'correct horse battery' }),
  });
  return response.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c.startsWith('ts_session=') && c.length > 11);
}

/** Logs `cookie`'s person in through masto's OAuth flow; returns the REST client and token. */
async function logIn(cookie) {
  const redirectUri = 'https://client.example/callback';
  const scope = 'read write follow';
  const app = await createRestAPIClient({ url: server.url }).v1.apps.create({ clientName: 'masto streaming', redirectUris: redirectUri, scopes: scope });
  const approved = await fetch(`${server.url}/oauth/authorize`, {
    method: 'POST', redirect: 'manual',
    headers: { cookie, origin: server.url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: app.clientId, redirect_uri: redirectUri, scope, decision: 'approve' }),
  });
  const code = new URL(approved.headers.get('location')).searchParams.get('code');
  const token = await createOAuthAPIClient({ url: server.url }).token.create({
    grantType: 'authorization_code', clientId: app.clientId, clientSecret: app.clientSecret, redirectUri, code, scope,
  });
  return { rest: createRestAPIClient({ url: server.url, accessToken: token.accessToken }), token: token.accessToken };
}

const pause = (ms) => new Promise((done) => setTimeout(done, ms));

/** Posts (with `post(i)`) until every iterator in `streams` has yielded an event: a
 *  subscription has no acknowledgement, so this waits for the condition itself. Returns the
 *  first event of each and the ids posted. */
async function postUntilStreamed(streams, post) {
  const firsts = streams.map(() => undefined);
  let failure;
  const heard = Promise.all(streams.map((events, index) => events.next().then(
    ({ value }) => { firsts[index] = value; },
    (error) => { failure = error; },
  )));
  const posted = [];
  for (let i = 0; i < 60 && firsts.includes(undefined) && !failure; i++) {
    posted.push((await post(i)).id);
    await Promise.race([heard, pause(500)]);
  }
  if (failure) throw failure;
  assert.ok(!firsts.includes(undefined), 'every stream heard a post');
  return { firsts, posted };
}

/** The next event that is not an `update` of one of `skipped` (posts made while waiting). */
async function nextBesides(events, skipped) {
  for (;;) {
    const { value } = await events.next();
    if (value.event === 'update' && skipped.includes(value.payload.id)) continue;
    return value;
  }
}

test('masto streams home updates, notifications, a hashtag and deletions over WebSocket', async () => {
  const ana = await logIn(await signUp('ana'));
  const bo = await logIn(await signUp('bo'));

  const instance = await ana.rest.v2.instance.fetch();
  const streamingApiUrl = instance.configuration.urls.streaming;
  assert.equal(streamingApiUrl, server.url.replace('http://', 'ws://'));

  const streaming = createStreamingAPIClient({ streamingApiUrl, accessToken: ana.token, retry: false });
  try {
    const user = streaming.user.subscribe()[Symbol.asyncIterator]();
    const tagged = streaming.hashtag.subscribe({ tag: 'streams' })[Symbol.asyncIterator]();

    const { firsts: [home, tag], posted } = await postUntilStreamed([user, tagged],
      (i) => ana.rest.v1.statuses.create({ status: `live ${i} #streams`, visibility: 'public' }));
    for (const [event, stream] of [[home, ['user']], [tag, ['hashtag', 'streams']]]) {
      assert.equal(event.event, 'update');
      assert.deepEqual(event.stream, stream);
      assert.ok(posted.includes(event.payload.id), 'a status masto parsed from the payload');
      assert.equal(event.payload.account.username, 'ana');
      assert.match(event.payload.content, /live \d+/);
    }

    // Bo favourites Ana's status: a notification on her user stream.
    const favourite = posted[posted.length - 1];
    await bo.rest.v1.statuses.$select(favourite).favourite();
    const notification = await nextBesides(user, posted);
    assert.equal(notification.event, 'notification');
    assert.equal(notification.payload.type, 'favourite');
    assert.equal(notification.payload.account.username, 'bo');
    assert.equal(notification.payload.status.id, favourite);

    // She deletes it: masto hands over the id.
    await ana.rest.v1.statuses.$select(favourite).remove();
    const deleted = await nextBesides(user, posted);
    assert.deepEqual([deleted.event, deleted.payload], ['delete', favourite]);
  } finally {
    streaming.close();
  }
});
