// JSON-LD expansion with a real processor (jsonld from npm) and no network: the
// ActivityStreams and security contexts come from local copies in ./contexts, and any other
// remote context is an error (so a term can only survive if the document itself defines it).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import jsonld from 'jsonld';

const AS = 'https://www.w3.org/ns/activitystreams';
const local = {
  [AS]: 'activitystreams.jsonld',
  'https://w3id.org/security/v1': 'security-v1.jsonld',
};

const documentLoader = async (url) => {
  const file = local[url];
  if (!file) throw new Error(`no local copy of the context ${url}`);
  const document = JSON.parse(readFileSync(join(import.meta.dirname, 'contexts', file), 'utf8'));
  return { contextUrl: null, documentUrl: url, document };
};

/** The expanded form of `document` (one node object). */
export async function expand(document) {
  const [node] = await jsonld.expand(document, { documentLoader, safe: false });
  return node;
}

/** An ActivityStreams term's full IRI. */
export const as = (term) => `${AS}#${term}`;
export const sec = (term) => `https://w3id.org/security#${term}`;
export const toot = (term) => `http://joinmastodon.org/ns#${term}`;
export const schema = (term) => `http://schema.org#${term}`;

/** The `@value`s (or `@id`s) of property `iri` of an expanded node. */
export function values(node, iri) {
  return (node?.[iri] ?? []).map((v) => v['@value'] ?? v['@id'] ?? v);
}
