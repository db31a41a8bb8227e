// A running Thoughtspace instance for federation tests, with the few things a test does as
// one of its users: sign up, post through server functions, read them, and query its database.
// Two of these on loopback (different ports, so different PUBLIC_URLs) federate with each other
// exactly as two servers on the internet would, and the Fedify peer (peer.js) talks to either.
import assert from 'node:assert/strict';
import { startServer } from '../support/server.js';

/** Polls `check` until it returns a truthy value (servers apply activities as they arrive). */
export async function eventually(check, what, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts an instance that may federate over loopback; `env` adds environment variables. */
export async function startInstance({ env = {} } = {}) {
  const server = await startServer({ env: { ALLOW_PRIVATE_ADDRESSES: 'true', ...env } });
  const host = new URL(server.url).host;

  /** A form post to a server function, as a logged-in browser would make it. */
  async function post(path, form, user) {
    const headers = { origin: server.url, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (user) headers.cookie = `ts_session=${user.session ?? user}`;
    return fetch(`${server.url}${path}`, { method: 'POST', headers, body: new URLSearchParams(form), redirect: 'manual' });
  }

  /** A server function read with GET, as the logged-in `user`; asserts 200 and parses JSON. */
  async function read(path, user) {
    const response = await fetch(`${server.url}${path}`, { headers: { cookie: `ts_session=${user.session}`, accept: 'application/json' } });
    const text = await response.text();
    assert.equal(response.status, 200, text);
    return JSON.parse(text);
  }

  /** Signs up `username`; the user is `{ username, session, actor, handle }`. */
  async function signUp(username) {
    const response = await post('/api/accounts/sign_up', { username, email: `${username}@example.test`, password: 'correct horse battery' });
    assert.ok(response.status < 400, `sign-up: ${response.status} ${await response.text()}`);
    const cookie = response.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c.startsWith('ts_session=') && c.length > 11);
    return { username, session: cookie.slice('ts_session='.length), actor: `${server.url}/users/${username}`, handle: `${username}@${host}` };
  }

  /** Posts a thought as `user` (public unless `extra` says otherwise); resolves to its id. */
  async function postThought(user, content, extra = {}) {
    const response = await post('/api/thoughts/post', { content, visibility: 'public', reply_to: '', ...extra }, user);
    const text = await response.text();
    assert.equal(response.status, 200, text);
    return JSON.parse(text);
  }

  return {
    ...server,
    host,
    post,
    read,
    signUp,
    postThought,
    /** One SQL statement's output, trimmed. */
    query: (statement) => server.sql(statement).trim(),
    /** The ActivityPub id of `user`'s thought `id` on this instance. */
    noteId: (user, id) => `${user.actor}/thoughts/${id}`,
  };
}
