// navigation.js never follows a server function's redirect (or any requested visit) to
// another origin. The script runs in node's vm against a stub page, so this needs no
// browser: what matters is which URLs it would fetch or load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import vm from 'node:vm';

const ORIGIN = 'https://ts.example';

/** navigation.js loaded into a stub page at ORIGIN/login; returns what it fetched and loaded. */
async function loadNavigation() {
  const source = await readFile(new URL('../../frontend/navigation.js', import.meta.url), 'utf8');
  const fetched = [];
  const assigned = [];
  const listeners = {};
  const listen = (type, handler) => { listeners[type] = handler; };
  const element = { children: [], childNodes: [], classList: { add() {}, remove() {} } };
  const page = {
    URL,
    performance,
    setTimeout,
    clearTimeout,
    scrollY: 0,
    addEventListener: listen,
    location: { href: `${ORIGIN}/login`, origin: ORIGIN, pathname: '/login', search: '', assign: (url) => assigned.push(String(url)) },
    history: { state: null, scrollRestoration: 'auto', replaceState(state) { this.state = state; }, pushState() {} },
    document: {
      addEventListener() {},
      querySelectorAll: () => [],
      getElementById: () => null,
      documentElement: element,
      head: element,
      body: element,
    },
    IntersectionObserver: class { observe() {} disconnect() {} },
    // Never answers: only the request matters here.
    fetch: (url) => { fetched.push(String(url)); return new Promise(() => {}); },
  };
  page.window = page;
  vm.runInNewContext(source, page, { filename: 'navigation.js' });
  const visit = (detail) => listeners['thoughtspace:visit']({ detail });
  return { visit, fetched, assigned };
}

test('a visit to another origin is not followed, however it is written', async () => {
  const { visit, fetched, assigned } = await loadNavigation();
  for (const elsewhere of [
    'https://evil.example/',
    '//evil.example/x',
    '/\t/evil.example/', // browsers drop tabs and newlines: //evil.example
    '/\n/evil.example/',
    '\t//evil.example',
    '/\\evil.example', // read as //evil.example
    'javascript:alert(1)',
    'http://ts.example/', // another scheme is another origin
  ]) {
    visit(elsewhere);
    assert.deepEqual(fetched, [], JSON.stringify(elsewhere));
    assert.deepEqual(assigned, [], JSON.stringify(elsewhere));
  }
});

test('a visit on this site is followed', async () => {
  const { visit, fetched } = await loadNavigation();
  visit('/settings');
  visit(`${ORIGIN}/@ana`);
  assert.deepEqual(fetched, [`${ORIGIN}/settings`, `${ORIGIN}/@ana`]);
});
