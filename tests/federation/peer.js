// A real, independent ActivityPub server for federation tests: a small peer built on Fedify
// (@fedify/fedify 1.5.x, the last line that runs on Node 20), served by plain node:http on
// 127.0.0.1 over http. Everything it signs, verifies, fetches and serves goes through Fedify,
// so it checks our server against someone else's reading of the protocol.
//
// What Fedify does on the wire (1.5.9), so tests know what they exercise:
// - Outgoing POSTs carry a draft-cavage `Signature` header (rsa-sha256, keyId `<actor>#main-key`,
//   headers "(request-target) content-type date digest host", Digest `SHA-256=`, Date as
//   toUTCString), and in the body an RsaSignature2017 Linked Data `signature` and, while the
//   user has an Ed25519 key (the default), a FEP-8b32 `proof` (eddsa-jcs-2022). Bodies are compact
//   JSON-LD: single values are not arrays, and the public collection is written "as:Public".
// - Signed GETs (lookups, dereferencing targets) sign "(request-target) accept date host user-agent",
//   with Accept "application/activity+json, application/ld+json". Fedify's (request-target) is the
//   path WITHOUT the query string, both when signing and when verifying.
// - Incoming inbox POSTs are accepted when the LD signature or the integrity proof verifies,
//   otherwise only with a valid HTTP signature (Date within 1 h, Digest required, signed headers
//   must include (request-target), date and digest); 401 otherwise. The key is fetched with a GET
//   signed as the inbox's owner (shared inbox: as the peer's first user), and its owner must be
//   the activity's actor. An activity id is processed once per peer (later copies: 202, skipped).
// - WebFinger lookups of acct: handles are https-only in Fedify, so lookupHandle() below does the
//   WebFinger step itself over http and hands the actor URL to Fedify.
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  Accept, Activity, Announce, Block, Create, Delete, Endpoints, Follow, Hashtag, Like, Mention,
  MemoryKvStore, Note, Object as APObject, Person, PUBLIC_COLLECTION, Reject, Tombstone, Undo,
  Update, createFederation, generateCryptoKeyPair, getDocumentLoader, isActor, parseSemVer,
  signRequest,
} from '@fedify/fedify';

export const PUBLIC = PUBLIC_COLLECTION.href; // https://www.w3.org/ns/activitystreams#Public

// Where the peer's own activities are served (each class needs its own route in Fedify).
const ACTIVITY_ROUTES = [
  [Create, 'creates'], [Follow, 'follows'], [Accept, 'accepts'], [Reject, 'rejects'],
  [Undo, 'undos'], [Like, 'likes'], [Announce, 'announces'], [Delete, 'deletes'],
  [Block, 'blocks'], [Update, 'updates'],
];

// Hop-by-hop headers that must not be copied into a Fetch API Request.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade',
  'proxy-connection', 'te', 'trailer', 'expect']);

// Fedify 1.5 wants Temporal.Instant from its own polyfill, which it does not re-export; take the
// class from a value Fedify parsed, so no undeclared dependency is imported.
let instantClass = null;
async function now() {
  if (instantClass == null) {
    const probe = await Note.fromJsonLd({ '@context': 'https://www.w3.org/ns/activitystreams',
      type: 'Note', published: '2000-01-01T00:00:00Z' });
    instantClass = probe.published.constructor;
  }
  return instantClass.fromEpochMilliseconds(Date.now());
}

const asList = (value) => (value == null ? [] : Array.isArray(value) ? value : [value]).map(String);
const unique = (values) => [...new Set(values)];
const describe = (e) => `${e.recipient} ${e.type} ${e.id ?? '(no id)'} from ${e.actorId}`;

/**
 * Starts a Fedify peer on 127.0.0.1 (random port). Options:
 * - `autoAccept` (default true): answer Follows with Accept; also settable later as peer.autoAccept.
 * - `authorizedFetch` (default false): refuse unsigned GETs of notes, activities and collections
 *   (actors stay public, as in Mastodon's secure mode, so keys can be fetched).
 * - `preferSharedInbox` (default false): deliver to recipients' shared inboxes where they have one.
 * - `rsaBits` (default 2048; 4096 uses Fedify's generateCryptoKeyPair, slower to generate).
 * - `ed25519` (default true): also give users an Ed25519 key, so Fedify adds FEP-8b32 proofs.
 * - `port` (default: any free one): to come back on the same address after a stop.
 * - `tls` ({ key, cert } in PEM): serve https instead of http.
 */
export async function startPeer(options = {}) {
  const kv = new MemoryKvStore();
  const federation = createFederation({
    kv,
    // No queue: every send is made at once and awaited, so tests are deterministic.
    // Uncached document loader: the peer always sees the other server's current state
    // (Fedify's default would cache remote documents for 5 minutes).
    documentLoaderFactory: (opts) => getDocumentLoader({ allowPrivateAddress: true, userAgent: opts?.userAgent }),
    allowPrivateAddress: true,
  });

  const events = new EventEmitter();
  const users = new Map(); // name -> { name, displayName, summary, keys, followers, following, pendingFollows }
  const notes = new Map(); // note URL -> { name, note, create, deleted }
  const sent = new Map(); // activity URL -> { name, activity, recipients }
  const pending = new Set(); // background tasks (Accepts sent after the Follow's response)
  let origin = null;

  const peer = {
    url: null,
    host: null,
    /** Activities that reached an inbox and passed Fedify's verification. */
    received: [],
    /** Inbox POSTs that Fedify refused (status >= 400): { path, status, response, body, headers }. */
    rejected: [],
    /**
     * Every HTTP request served: { method, path, status, signature (has a Signature header),
     * signedBy (keyId Fedify verified, for notes/activities/collections; else null), headers }.
     */
    requests: [],
    /** Inbox POSTs of an activity id already processed (Fedify answers 202 and skips it): { path, response }. */
    duplicates: [],
    /** Errors from inbox reactions and background sends (the test decides whether they matter). */
    errors: [],
    autoAccept: options.autoAccept ?? true,
    authorizedFetch: options.authorizedFetch ?? false,
    preferSharedInbox: options.preferSharedInbox ?? false,
  };

  const context = () => federation.createContext(new URL(origin), { after: [] });
  const user = (name) => {
    const u = users.get(name);
    if (!u) throw new Error(`peer has no user ${JSON.stringify(name)}`);
    return u;
  };
  const activityId = (ctx, cls, name) => ctx.getObjectUri(cls, { identifier: name, id: randomUUID() });
  const track = (promise) => {
    const p = Promise.resolve(promise).catch((error) => { peer.errors.push(error); }).finally(() => pending.delete(p));
    pending.add(p);
    return p;
  };

  function buildActor(ctx, name, keys) {
    const u = users.get(name);
    if (!u) return null;
    return new Person({
      id: ctx.getActorUri(name),
      preferredUsername: name,
      name: u.displayName,
      summary: u.summary,
      url: ctx.getActorUri(name),
      inbox: ctx.getInboxUri(name),
      outbox: ctx.getOutboxUri(name),
      followers: ctx.getFollowersUri(name),
      following: ctx.getFollowingUri(name),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      manuallyApprovesFollowers: !peer.autoAccept,
      publicKey: keys[0]?.cryptographicKey ?? null, // the RSA key, keyId <actor>#main-key
      assertionMethods: keys.map((k) => k.multikey),
    });
  }

  federation
    .setActorDispatcher('/users/{identifier}', async (ctx, identifier) =>
      users.has(identifier) ? buildActor(ctx, identifier, await ctx.getActorKeyPairs(identifier)) : null)
    .setKeyPairsDispatcher((_ctx, identifier) => users.get(identifier)?.keys ?? []);

  // Fedify fetches the keys of activities arriving in a personal inbox with a GET signed as that
  // inbox's owner; for the shared inbox, sign those fetches as the first user (else unsigned).
  federation.setInboxListeners('/users/{identifier}/inbox', '/inbox')
    .setSharedKeyDispatcher(() => {
      const first = users.keys().next().value;
      return first == null ? null : { identifier: first };
    })
    .on(Activity, (ctx, activity) => onActivity(ctx, activity))
    .onError((_ctx, error) => { peer.errors.push(error); });

  // GETs of notes, activities and collections: note who signed, refuse unsigned in authorized-fetch mode.
  const authorize = (ctx, _values, signedKey) => {
    if (ctx.data) ctx.data.signedBy = signedKey?.id?.href ?? null;
    return !peer.authorizedFetch || signedKey != null;
  };

  federation.setObjectDispatcher(Note, '/users/{identifier}/notes/{id}', (ctx, values) => {
    const entry = notes.get(ctx.getObjectUri(Note, values).href);
    return entry && !entry.deleted ? entry.note : null;
  }).authorize(authorize);
  for (const [cls, segment] of ACTIVITY_ROUTES) {
    federation.setObjectDispatcher(cls, `/users/{identifier}/${segment}/{id}`,
      (ctx, values) => sent.get(ctx.getObjectUri(cls, values).href)?.activity ?? null).authorize(authorize);
  }

  federation.setOutboxDispatcher('/users/{identifier}/outbox', (_ctx, identifier) => {
    if (!users.has(identifier)) return null;
    const items = [...notes.values()].filter((n) => n.name === identifier && !n.deleted).map((n) => n.create).reverse();
    return { items };
  }).setCounter((_ctx, identifier) => [...notes.values()].filter((n) => n.name === identifier && !n.deleted).length)
    .authorize((ctx, identifier, key) => authorize(ctx, identifier, key));

  federation.setFollowersDispatcher('/users/{identifier}/followers', (_ctx, identifier) => {
    const u = users.get(identifier);
    return u ? { items: [...u.followers.values()] } : null;
  }).setCounter((_ctx, identifier) => users.get(identifier)?.followers.size ?? 0)
    .authorize((ctx, identifier, key) => authorize(ctx, identifier, key));

  federation.setFollowingDispatcher('/users/{identifier}/following', (_ctx, identifier) => {
    const u = users.get(identifier);
    return u ? { items: [...u.following.values()].filter((f) => f.state === 'accepted').map((f) => new URL(f.target)) } : null;
  }).setCounter((_ctx, identifier) => [...(users.get(identifier)?.following.values() ?? [])].filter((f) => f.state === 'accepted').length)
    .authorize((ctx, identifier, key) => authorize(ctx, identifier, key));

  federation.setNodeInfoDispatcher('/nodeinfo/2.1', () => ({
    software: { name: 'thoughtspace-test-peer', version: parseSemVer('1.0.0') },
    protocols: ['activitypub'],
    openRegistrations: false,
    usage: { users: { total: users.size }, localPosts: notes.size, localComments: 0 },
  }));

  // Every activity that passed verification, in any inbox, is recorded, then reacted to.
  async function onActivity(ctx, activity) {
    let raw = null;
    try { raw = ctx.data?.raw == null ? null : JSON.parse(ctx.data.raw); } catch { /* Fedify parsed it */ }
    const json = await activity.toJsonLd({ contextLoader: ctx.contextLoader });
    const entry = {
      recipient: ctx.recipient ?? 'shared',
      type: typeof json.type === 'string' ? json.type : activity.constructor.name,
      id: activity.id?.href ?? null,
      actorId: activity.actorId?.href ?? null,
      json, // Fedify's compact JSON-LD of what it understood
      raw, // the request body as sent
      at: Date.now(),
    };
    peer.received.push(entry);
    events.emit('received', entry);
    try {
      await react(ctx, activity);
    } catch (error) {
      peer.errors.push(error);
    }
  }

  // Bookkeeping for Follow/Accept/Reject/Undo; everything else is only recorded.
  async function react(ctx, activity) {
    if (activity instanceof Follow) {
      const target = ctx.parseUri(activity.objectId);
      if (target?.type !== 'actor' || !users.has(target.identifier) || activity.actorId == null) return;
      const name = target.identifier;
      if (peer.autoAccept) {
        const follower = await fetchActor(ctx, name, activity.actorId.href);
        users.get(name).followers.set(follower.id.href, follower);
        // Answer after the Follow's response is written, as servers do, so the follower's
        // server has finished its own delivery before the Accept arrives.
        ctx.data.after.push(() => answerFollow(name, activity, Accept, follower));
      } else {
        users.get(name).pendingFollows.set(activity.actorId.href, activity);
      }
    } else if (activity instanceof Accept || activity instanceof Reject) {
      const followId = activity.objectId?.href;
      for (const u of users.values()) {
        for (const f of u.following.values()) {
          if (f.followId === followId && activity.actorId?.href === f.target) {
            f.state = activity instanceof Accept ? 'accepted' : 'rejected';
          }
        }
      }
    } else if (activity instanceof Undo) {
      let object = null;
      try { object = await activity.getObject({ documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader }); } catch { /* unresolvable */ }
      if (object instanceof Follow && object.actorId?.href === activity.actorId?.href) {
        const target = ctx.parseUri(object.objectId);
        if (target?.type === 'actor' && users.has(target.identifier)) {
          users.get(target.identifier).followers.delete(object.actorId.href);
          users.get(target.identifier).pendingFollows.delete(object.actorId.href);
        }
      }
    }
  }

  async function answerFollow(name, follow, cls, follower) {
    const ctx = context();
    follower ??= await fetchActor(ctx, name, follow.actorId.href);
    const answer = new cls({ id: activityId(ctx, cls, name), actor: ctx.getActorUri(name), object: follow, to: follower.id });
    await send(ctx, name, answer, [follower]);
    return answer.id.href;
  }

  async function loaderFor(ctx, as) {
    if (as === null) return ctx.documentLoader;
    const name = as ?? users.keys().next().value;
    return name == null ? ctx.documentLoader : await ctx.getDocumentLoader({ identifier: name });
  }

  // Dereferences url (signed as `as`, default: the first user; null: unsigned) into a Fedify object.
  async function fetchObject(ctx, as, url) {
    const loader = await loaderFor(ctx, as);
    const { document } = await loader(String(url)); // throws FetchError with the HTTP status
    let object;
    try {
      object = await APObject.fromJsonLd(document, { documentLoader: loader, contextLoader: ctx.contextLoader });
    } catch (error) {
      throw new Error(`${url}: Fedify could not parse the document (${error.message}): ${JSON.stringify(document)}`);
    }
    return { object, document };
  }

  async function fetchActor(ctx, as, url) {
    const { object, document } = await fetchObject(ctx, as, url);
    if (!isActor(object)) throw new Error(`${url} is not an actor: ${JSON.stringify(document)}`);
    if (object.inboxId == null) throw new Error(`${url} has no inbox: ${JSON.stringify(document)}`);
    return object;
  }

  // Actors from actor URLs (strings or arrays), plus the user's followers when asked.
  async function recipientsFor(ctx, name, deliverTo, { followers = false } = {}) {
    const recipients = [];
    for (const url of unique(asList(deliverTo))) recipients.push(await fetchActor(ctx, name, url));
    if (followers) recipients.push(...user(name).followers.values());
    return recipients;
  }

  // Signs as `name` and delivers at once to each recipient's inbox; throws on any failed delivery
  // (Fedify's message names the inbox, the HTTP status and the response body).
  async function send(ctx, name, activity, recipients) {
    sent.set(activity.id.href, { name, activity, recipients });
    if (recipients.length === 0) return;
    await ctx.sendActivity({ identifier: name }, recipients, activity, {
      immediate: true, preferSharedInbox: peer.preferSharedInbox });
  }

  async function authorOf(ctx, name, objectUrl) {
    try {
      const { object } = await fetchObject(ctx, name, objectUrl);
      return object.attributionId?.href ?? null;
    } catch {
      return null;
    }
  }

  async function handle(req, res) {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url, origin);
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if (!HOP_BY_HOP.has(req.rawHeaders[i].toLowerCase())) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const request = new Request(url, { method: req.method, headers, body: hasBody ? body : undefined });
    const data = { raw: hasBody ? body.toString('utf8') : null, signedBy: undefined, after: [] };
    let response;
    const note = req.method === 'GET' ? notes.get(url.href) : null;
    try {
      if (note?.deleted) {
        response = new Response(JSON.stringify({ '@context': 'https://www.w3.org/ns/activitystreams',
          id: url.href, type: 'Tombstone' }), { status: 410, headers: { 'Content-Type': 'application/activity+json' } });
      } else {
        response = await federation.fetch(request, {
          contextData: data,
          onNotFound: () => new Response('Not found.', { status: 404, headers: { 'Content-Type': 'text/plain' } }),
          onNotAcceptable: () => new Response('Not acceptable.', { status: 406, headers: { Vary: 'Accept', 'Content-Type': 'text/plain' } }),
        });
      }
    } catch (error) {
      peer.errors.push(error);
      response = new Response(`Peer error: ${error.stack ?? error}`, { status: 500 });
    }
    const responseBody = Buffer.from(await response.arrayBuffer());
    peer.requests.push({ method: req.method, path: url.pathname + url.search, status: response.status,
      signature: headers.has('signature'), signedBy: data.signedBy ?? null, headers: Object.fromEntries(headers) });
    if (req.method === 'POST' && response.status === 202 && / has already been processed\.$/.test(responseBody.toString('utf8'))) {
      peer.duplicates.push({ path: url.pathname, response: responseBody.toString('utf8') });
    }
    if (req.method === 'POST' && response.status >= 400) {
      peer.rejected.push({ path: url.pathname, status: response.status, response: responseBody.toString('utf8'),
        body: data.raw, headers: Object.fromEntries(headers) });
    }
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(req.method === 'HEAD' ? undefined : responseBody, () => {
      for (const task of data.after) track(task());
    });
  }

  const serve = (req, res) => {
    handle(req, res).catch((error) => {
      peer.errors.push(error);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  };
  const server = options.tls ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }, serve) : createServer(serve);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  origin = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  peer.url = origin;
  peer.host = `127.0.0.1:${port}`;

  Object.assign(peer, {
    /** The actor URL of a (local) user: http://127.0.0.1:PORT/users/NAME. */
    actorUrl(name) {
      return `${origin}/users/${encodeURIComponent(name)}`;
    },

    /** Creates a Person with an RSA key (first, #main-key) and by default an Ed25519 key. */
    async addUser(name, { displayName = name, summary = null } = {}) {
      if (users.has(name)) throw new Error(`peer already has user ${name}`);
      const rsa = options.rsaBits === 4096
        ? await generateCryptoKeyPair('RSASSA-PKCS1-v1_5') // Fedify's own: always 4096 bits
        : await crypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: options.rsaBits ?? 2048,
          publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify']);
      const keys = [rsa];
      if (options.ed25519 ?? true) keys.push(await generateCryptoKeyPair('Ed25519'));
      users.set(name, { name, displayName, summary, keys, followers: new Map(), following: new Map(),
        pendingFollows: new Map() });
      return peer.actorUrl(name);
    },

    /** Key pairs as Fedify uses them: [{ keyId: URL, privateKey, publicKey, ... }], RSA first. */
    async keyPairs(name) {
      user(name);
      return await context().getActorKeyPairs(name);
    },

    /** Actor URLs following `name` (accepted). */
    followers(name) {
      return [...user(name).followers.keys()];
    },
    /** Follows sent by `name`: [{ target, followId, state: 'pending'|'accepted'|'rejected' }]. */
    following(name) {
      return [...user(name).following.values()].map((f) => ({ ...f }));
    },
    /** Actor URLs whose Follow of `name` awaits acceptFollow/rejectFollow (when autoAccept is off). */
    pendingFollowers(name) {
      return [...user(name).pendingFollows.keys()];
    },

    /**
     * Resolves with the first received entry matching `predicate` (a function, or an object whose
     * fields must equal the entry's, e.g. { type: 'Follow', recipient: 'bob' }), already received or
     * arriving within timeoutMs; rejects with what did arrive.
     */
    waitFor(predicate, timeoutMs = 10_000) {
      const match = typeof predicate === 'function' ? predicate
        : (e) => Object.entries(predicate).every(([k, v]) => e[k] === v);
      try {
        const found = peer.received.find(match);
        if (found) return Promise.resolve(found);
      } catch (error) {
        return Promise.reject(error);
      }
      return new Promise((resolve, reject) => {
        const done = () => { clearTimeout(timer); events.off('received', onEntry); };
        const onEntry = (entry) => {
          try {
            if (match(entry)) { done(); resolve(entry); }
          } catch (error) { done(); reject(error); }
        };
        const timer = setTimeout(() => {
          done();
          const lines = [`waitFor timed out after ${timeoutMs} ms on ${origin}`,
            `received (${peer.received.length}):`, ...peer.received.map((e) => `  ${describe(e)}`),
            `rejected (${peer.rejected.length}):`, ...peer.rejected.map((r) => `  ${r.status} ${r.path}: ${r.response} ${r.body ?? ''}`),
            `errors (${peer.errors.length}):`, ...peer.errors.map((e) => `  ${e?.stack ?? e}`)];
          reject(new Error(lines.join('\n')));
        }, timeoutMs);
        events.on('received', onEntry);
      });
    },

    /** Waits for background sends (Accepts answered after a Follow's response). */
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },

    /** Follow from `name` to targetActorUrl; resolves to the Follow's id once delivered. */
    async follow(name, targetActorUrl) {
      const ctx = context();
      user(name);
      const target = await fetchActor(ctx, name, targetActorUrl);
      const follow = new Follow({ id: activityId(ctx, Follow, name), actor: ctx.getActorUri(name), object: target.id });
      user(name).following.set(target.id.href, { target: target.id.href, followId: follow.id.href, state: 'pending' });
      await send(ctx, name, follow, [target]);
      return follow.id.href;
    },

    /** Undo(Follow) of the last Follow of targetActorUrl; resolves to the Undo's id. */
    async unfollow(name, targetActorUrl) {
      const f = user(name).following.get(targetActorUrl);
      if (!f) throw new Error(`${name} does not follow ${targetActorUrl}`);
      const id = await peer.undo(name, f.followId, targetActorUrl);
      user(name).following.delete(targetActorUrl);
      return id;
    },

    /** Accept (or Reject) a pending Follow from followerActorUrl (for autoAccept = false). */
    async acceptFollow(name, followerActorUrl) {
      return await answerPending(name, followerActorUrl, Accept);
    },
    async rejectFollow(name, followerActorUrl) {
      return await answerPending(name, followerActorUrl, Reject);
    },

    /**
     * Create(Note) from `name`. to defaults to [Public], cc to [followers, ...mention hrefs];
     * deliverTo defaults to every addressed or mentioned actor (collections are skipped) plus
     * the followers. Resolves to { noteId, activityId } once delivered.
     */
    async post(name, { content = '', to, cc, inReplyTo, mentions = [], tags = [], deliverTo, summary, sensitive } = {}) {
      const ctx = context();
      user(name);
      const actor = ctx.getActorUri(name);
      const followersUri = ctx.getFollowersUri(name).href;
      const tos = asList(to ?? [PUBLIC]);
      const ccs = asList(cc ?? [followersUri, ...mentions.map((m) => m.href)]);
      const id = randomUUID();
      const noteId = ctx.getObjectUri(Note, { identifier: name, id });
      const published = await now();
      const note = new Note({
        id: noteId, attribution: actor, content, url: noteId, published,
        summary: summary ?? null, sensitive: sensitive ?? null,
        tos: tos.map((u) => new URL(u)), ccs: ccs.map((u) => new URL(u)),
        replyTarget: inReplyTo ? new URL(inReplyTo) : null,
        tags: [...mentions.map((m) => new Mention({ href: new URL(m.href), name: m.name ?? null })),
          ...tags.map((t) => new Hashtag({ href: t.href ? new URL(t.href) : null, name: t.name }))],
      });
      const create = new Create({ id: ctx.getObjectUri(Create, { identifier: name, id }), actor, object: note,
        published, tos: tos.map((u) => new URL(u)), ccs: ccs.map((u) => new URL(u)) });
      notes.set(noteId.href, { name, note, create, deleted: false });
      let recipients;
      if (deliverTo != null) {
        recipients = await recipientsFor(ctx, name, deliverTo);
      } else {
        recipients = await recipientsFor(ctx, name, mentions.map((m) => m.href), { followers: true });
        const known = new Set(recipients.map((r) => r.id.href));
        for (const url of unique([...tos, ...ccs])) {
          if (url === PUBLIC || url === followersUri || known.has(url)) continue;
          try { recipients.push(await fetchActor(ctx, name, url)); } catch { /* a collection, or not fetchable */ }
        }
      }
      await send(ctx, name, create, recipients);
      return { noteId: noteId.href, activityId: create.id.href };
    },

    /** Like of objectUrl, delivered to deliverToActorUrl (default: the object's author). */
    async like(name, objectUrl, deliverToActorUrl) {
      const ctx = context();
      user(name);
      const target = deliverToActorUrl ?? await authorOf(ctx, name, objectUrl);
      if (target == null) throw new Error(`cannot tell whom to deliver the Like of ${objectUrl} to`);
      const like = new Like({ id: activityId(ctx, Like, name), actor: ctx.getActorUri(name), object: new URL(objectUrl) });
      await send(ctx, name, like, await recipientsFor(ctx, name, target));
      return like.id.href;
    },

    /** Public Announce of objectUrl, delivered to deliverToActorUrl (default: the author) and the followers. */
    async announce(name, objectUrl, deliverToActorUrl) {
      const ctx = context();
      user(name);
      const author = await authorOf(ctx, name, objectUrl);
      const target = deliverToActorUrl ?? author;
      const announce = new Announce({
        id: activityId(ctx, Announce, name), actor: ctx.getActorUri(name), object: new URL(objectUrl),
        published: await now(), tos: [PUBLIC_COLLECTION],
        ccs: [ctx.getFollowersUri(name), ...(author ? [new URL(author)] : [])],
      });
      await send(ctx, name, announce, await recipientsFor(ctx, name, target, { followers: true }));
      return announce.id.href;
    },

    /** Undo of an activity this peer sent (Like, Announce, Follow, Block...); default recipients: the original ones. */
    async undo(name, undoneActivityId, deliverToActorUrl) {
      const ctx = context();
      const original = sent.get(String(undoneActivityId));
      if (!original || original.name !== name) throw new Error(`${name} sent no activity ${undoneActivityId}`);
      const undo = new Undo({ id: activityId(ctx, Undo, name), actor: ctx.getActorUri(name), object: original.activity });
      const recipients = deliverToActorUrl != null ? await recipientsFor(ctx, name, deliverToActorUrl) : original.recipients;
      await send(ctx, name, undo, recipients);
      return undo.id.href;
    },

    /** Delete of one of this peer's notes (served as 410 Tombstone afterwards); default recipients: the Create's plus followers. */
    async deleteNote(name, noteId, deliverToActorUrl) {
      const ctx = context();
      const entry = notes.get(String(noteId));
      if (!entry || entry.name !== name) throw new Error(`${name} has no note ${noteId}`);
      entry.deleted = true;
      const del = new Delete({ id: activityId(ctx, Delete, name), actor: ctx.getActorUri(name),
        object: new Tombstone({ id: new URL(noteId) }), tos: [PUBLIC_COLLECTION] });
      const recipients = deliverToActorUrl != null
        ? await recipientsFor(ctx, name, deliverToActorUrl)
        : unique([...sent.get(entry.create.id.href).recipients, ...user(name).followers.values()]);
      await send(ctx, name, del, recipients);
      return del.id.href;
    },

    /**
     * Edits one of this peer's notes (new content, `updated` now) and sends Update(Note),
     * addressed as the note; default recipients: the Create's plus followers.
     */
    async editNote(name, noteId, { content }, deliverToActorUrl) {
      const ctx = context();
      const entry = notes.get(String(noteId));
      if (!entry || entry.name !== name) throw new Error(`${name} has no note ${noteId}`);
      const updated = await now();
      entry.note = entry.note.clone({ content, updated });
      const update = new Update({ id: activityId(ctx, Update, name), actor: ctx.getActorUri(name), object: entry.note,
        published: updated, tos: entry.note.toIds, ccs: entry.note.ccIds });
      const recipients = deliverToActorUrl != null
        ? await recipientsFor(ctx, name, deliverToActorUrl)
        : unique([...sent.get(entry.create.id.href).recipients, ...user(name).followers.values()]);
      await send(ctx, name, update, recipients);
      return update.id.href;
    },

    /** Block of targetActorUrl, delivered to it; the target stops being a follower. */
    async block(name, targetActorUrl) {
      const ctx = context();
      user(name);
      const target = await fetchActor(ctx, name, targetActorUrl);
      const block = new Block({ id: activityId(ctx, Block, name), actor: ctx.getActorUri(name), object: target.id });
      user(name).followers.delete(target.id.href);
      await send(ctx, name, block, [target]);
      return block.id.href;
    },

    /** Changes the profile and sends Update(Person) to the followers and deliverToActorUrl. */
    async updateProfile(name, { displayName, summary } = {}, deliverToActorUrl) {
      const ctx = context();
      const u = user(name);
      if (displayName !== undefined) u.displayName = displayName;
      if (summary !== undefined) u.summary = summary;
      const person = buildActor(ctx, name, await ctx.getActorKeyPairs(name));
      const update = new Update({ id: activityId(ctx, Update, name), actor: person.id, object: person,
        published: await now(), tos: [PUBLIC_COLLECTION], ccs: [ctx.getFollowersUri(name)] });
      await send(ctx, name, update, await recipientsFor(ctx, name, deliverToActorUrl, { followers: true }));
      return update.id.href;
    },

    /**
     * Dereferences any ActivityPub URL with a GET signed as `as` (default: the first user; null for
     * unsigned) and returns Fedify's compacted JSON-LD of what it parsed. Throws on HTTP errors.
     */
    async lookup(url, { as } = {}) {
      const ctx = context();
      const { object } = await fetchObject(ctx, as, url);
      return await object.toJsonLd({ contextLoader: ctx.contextLoader });
    },

    /** Like lookup, but returns the document exactly as served. */
    async lookupRaw(url, { as } = {}) {
      const ctx = context();
      return (await (await loaderFor(ctx, as))(String(url))).document;
    },

    /**
     * Resolves 'user@host' (or '@user@host', 'acct:user@host') with WebFinger over http, then
     * looks the actor up as lookup() does. Fedify's own lookupWebFinger() only builds https URLs
     * for acct: resources, so this one step is a plain fetch: { actorUrl, jrd, actor }.
     */
    async lookupHandle(handle, { as } = {}) {
      const acct = String(handle).replace(/^acct:/, '').replace(/^@/, '');
      const host = acct.slice(acct.lastIndexOf('@') + 1);
      const url = `http://${host}/.well-known/webfinger?resource=${encodeURIComponent(`acct:${acct}`)}`;
      const response = await fetch(url, { headers: { Accept: 'application/jrd+json' } });
      if (!response.ok) throw new Error(`WebFinger ${url}: HTTP ${response.status}: ${await response.text()}`);
      const jrd = await response.json();
      const self = (jrd.links ?? []).find((l) => l.rel === 'self' && (l.type === 'application/activity+json'
        || /^application\/ld\+json;\s*profile="https:\/\/www.w3.org\/ns\/activitystreams"/.test(l.type ?? '')));
      if (!self?.href) throw new Error(`WebFinger ${url}: no self link of an ActivityPub type: ${JSON.stringify(jrd)}`);
      return { actorUrl: self.href, jrd, actor: await peer.lookup(self.href, { as }) };
    },

    /**
     * POSTs any JSON to an inbox, HTTP-signed by Fedify as `name` (no LD signature, no proof),
     * and returns { status, body } without throwing: for sending odd or malformed activities.
     */
    async sendRaw(name, inboxUrl, json, { headers = {} } = {}) {
      const [key] = await peer.keyPairs(name); // RSA, keyId <actor>#main-key
      let request = new Request(String(inboxUrl), { method: 'POST', body: typeof json === 'string' ? json : JSON.stringify(json),
        headers: { 'Content-Type': 'application/activity+json', ...headers } });
      request = await signRequest(request, key.privateKey, key.keyId);
      const response = await fetch(request);
      return { status: response.status, body: await response.text() };
    },

    /** Stops serving, after background sends finished. */
    async stop() {
      await peer.idle();
      await new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  });

  async function answerPending(name, followerActorUrl, cls) {
    const follow = user(name).pendingFollows.get(followerActorUrl);
    if (!follow) throw new Error(`${name} has no pending Follow from ${followerActorUrl}`);
    const follower = await fetchActor(context(), name, followerActorUrl);
    const id = await answerFollow(name, follow, cls, follower);
    user(name).pendingFollows.delete(followerActorUrl);
    if (cls === Accept) user(name).followers.set(follower.id.href, follower);
    return id;
  }

  return peer;
}
