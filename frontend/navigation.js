// Moving between Thoughtspace's pages without reloading the document.
//
// Every page is complete HTML from the server; only its islands (buttons, forms, live
// counts) run as WASM. This script makes links and forms fetch the next page and put it in
// place of the current one: the head's tags are merged (title, description, the profile's
// style sheet), the body is replaced, and the new page's islands are hydrated. Back and
// forward bring the pages kept in memory back as they were left (appended timeline pages,
// pressed buttons) at the same scroll position. "Load more" appends the next page of a
// timeline in place, on a click or when it scrolls near the viewport. A link the pointer
// rests on is fetched ahead, so the click usually finds its page already there.
//
// Without this script (or when something goes wrong) the browser does the same by itself,
// with full page loads: every link and form here works without JavaScript.

const KEPT_PAGES = 10;
/**
 * Pages left, by history entry. `page` is the id of the reactive owner their islands were
 * hydrated under (`frontend/src/pages.rs`), null if the WASM was not running yet.
 * @type {Map<string, {body: Node[], head: Node[], scroll: number, page: number | null}>}
 */
const keptPages = new Map();
let navigation = 0;
/** The owner of the shown page's islands; unset (or null: shown before the WASM ran) means
 *  the first page's, under which the loader hydrated whatever page it found. */
let shownPage;

// Islands asking for a page (components/navigation.rs) look for this.
window.thoughtspaceNavigation = true;
history.scrollRestoration = 'manual';
if (!history.state?.key) history.replaceState({ key: newKey(), scroll: 0 }, '');
/** The history entry whose page is shown. */
let shownKey = history.state.key;

function newKey() {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** The islands' module once its WASM runs (`hydrate()` announces the first page). */
function islands() {
  return typeof window.thoughtspaceFirstPage === 'number' ? import('./thoughtspace.js') : null;
}

function pageShown() {
  return shownPage ?? (typeof window.thoughtspaceFirstPage === 'number' ? window.thoughtspaceFirstPage : null);
}

/** Lets a page's islands go (their effects stop, their memory is freed). */
async function letGo(page) {
  if (page != null) (await islands())?.end_page(page);
}

/** Paths that are not pages of the app. */
function notAPage(url) {
  return url.origin !== location.origin || /^\/(api|oauth|users|\.well-known|nodeinfo|events|inbox)(\/|$)/.test(url.pathname)
    || /\.(atom|xml|txt|json|webmanifest|png|svg|ico)$/.test(url.pathname);
}

// ---- Head and body ----------------------------------------------------------------------

/** The head's page-specific tags (scripts and preloads stay as the first page had them). */
function pageHeadNodes(head) {
  return [...head.children].filter((node) => node.tagName !== 'SCRIPT'
    && !(node.tagName === 'LINK' && /preload/.test(node.rel)) && !(node.tagName === 'META' && node.hasAttribute('charset')));
}

/** Makes the head carry `wanted` (nodes of another document): equal tags stay, new style
 *  sheets are loaded before the page is shown, the rest is swapped. */
async function mergeHead(wanted) {
  const present = pageHeadNodes(document.head);
  const kept = new Set();
  const added = [];
  for (const node of wanted) {
    const same = present.find((old) => !kept.has(old) && old.isEqualNode(node));
    if (same) {
      kept.add(same);
    } else {
      const copy = document.importNode(node, true);
      added.push(copy);
    }
  }
  const sheets = added.filter((node) => node.tagName === 'LINK' && node.rel === 'stylesheet');
  const loaded = sheets.map((link) => new Promise((resolve) => {
    link.addEventListener('load', resolve, { once: true });
    link.addEventListener('error', resolve, { once: true });
  }));
  document.head.append(...added);
  // A profile's own style sheet is in place before the profile shows (no unstyled flash).
  await Promise.race([Promise.all(loaded), new Promise((resolve) => setTimeout(resolve, 3000))]);
  for (const old of present) if (!kept.has(old)) old.remove();
}

/**
 * Hydrates the islands under `root`, for the shown page (`fresh`: a page of its own). Before
 * the WASM runs there is nothing to do: the loader hydrates whatever page it finds. Islands
 * this bundle does not have mean `address` comes from a newer release: it is loaded in full.
 */
async function hydrateIslands(root, { fresh = false, address = location.href } = {}) {
  const wasm = await islands();
  if (!wasm) return;
  const found = [...root.querySelectorAll('leptos-island')]
    .filter((island) => !island.parentElement.closest('leptos-island')); // hydrated with their parent
  // A page from a newer release than this tab's bundle (at `address`): only a full load
  // brings its code.
  if (found.some((island) => typeof wasm[island.dataset.component] !== 'function')) {
    location.assign(address);
    return;
  }
  if (fresh) shownPage = wasm.begin_page();
  else wasm.enter_page(pageShown());
  for (const island of found) window.__hydrateIsland(island, island.dataset.component);
}

/** The page as it is now, to bring back on back or forward. */
function keepPage(key) {
  const page = pageShown();
  const before = keptPages.get(key);
  if (before && before.page !== page) letGo(before.page); // an older copy of this entry
  keptPages.delete(key);
  keptPages.set(key, { body: [...document.body.childNodes], head: pageHeadNodes(document.head), scroll: scrollY, page });
  while (keptPages.size > KEPT_PAGES) {
    const [oldest, { page: gone }] = keptPages.entries().next().value;
    keptPages.delete(oldest);
    letGo(gone);
  }
}

async function showKept(kept) {
  await mergeHead(kept.head);
  document.body.replaceChildren(...kept.body);
  shownPage = kept.page;
  // Left before the WASM ran: its islands were never hydrated.
  if (kept.page === null) await hydrateIslands(document.body, { fresh: true });
}

async function showFetched(doc, address) {
  await mergeHead(pageHeadNodes(doc.head));
  document.body.replaceChildren(...[...doc.body.childNodes].map((node) => document.importNode(node, true)));
  shownPage = null;
  await hydrateIslands(document.body, { fresh: true, address: address.href });
}

/** After a new page is in place: what a full page load would have done for focus and
 *  screen readers, and the news for the islands. */
function arrived() {
  document.adoptedStyleSheets = []; // the settings page's CSS preview, if it was open
  watchLoadMore();
  const main = document.getElementById('main');
  main?.focus({ preventScroll: true });
  const announcer = document.getElementById('page-announcer');
  if (announcer) requestAnimationFrame(() => { announcer.textContent = document.title; });
  window.dispatchEvent(new Event('thoughtspace:navigated'));
}

// ---- Navigation -------------------------------------------------------------------------

/** A page of the app from the server: where it ended up (after redirects), whether it is
 *  the page asked for (not an error page), and its HTML. */
async function fetchPage(url, init = {}) {
  const response = await fetch(url, { ...init, headers: { Accept: 'text/html' }, credentials: 'same-origin' });
  if (!(response.headers.get('content-type') || '').startsWith('text/html')) throw new Error('not a page');
  return { address: new URL(response.url), ok: response.ok, html: await response.text() };
}

// A link the pointer rests on (or a finger touches) is fetched before the click, which
// usually comes 100–300 ms later. Used once, within a few seconds, or not at all.
const PREFETCH_DELAY_MS = 65;
const PREFETCH_FRESH_MS = 5000;
/** @type {Map<string, {at: number, page: Promise<{address: URL, ok: boolean, html: string}>}>} */
const prefetched = new Map();

function prefetch(link) {
  const url = new URL(link.href);
  if (notAPage(url) || link.target || link.hasAttribute('download') || url.href === location.href) return;
  const known = prefetched.get(url.href);
  if (known && performance.now() - known.at < PREFETCH_FRESH_MS) return;
  const page = fetchPage(url.href);
  page.catch(() => prefetched.delete(url.href)); // the click fetches again
  prefetched.set(url.href, { at: performance.now(), page });
}

function takePrefetched(url) {
  const known = prefetched.get(url);
  prefetched.delete(url);
  return known && performance.now() - known.at < PREFETCH_FRESH_MS ? known.page : null;
}

let resting;
document.addEventListener('mouseover', (event) => {
  const link = event.target instanceof Element ? event.target.closest('a[href]') : null;
  clearTimeout(resting);
  if (link && !link.matches('a.load-more')) resting = setTimeout(() => prefetch(link), PREFETCH_DELAY_MS);
});
document.addEventListener('touchstart', (event) => {
  const link = event.target instanceof Element ? event.target.closest('a[href]') : null;
  if (link && !link.matches('a.load-more')) prefetch(link);
}, { passive: true });

/**
 * Shows the page at `url` (or the answer to a form).
 * `how`: 'push' (a new history entry), 'replace' (the same entry, at the same scroll
 * position), 'form' (replace if the answer is this page, else push) or 'pop' (back or
 * forward to the entry with `state`, already current).
 */
async function go(url, { how = 'push', init = {}, state = null } = {}) {
  const mine = ++navigation;
  keepPage(shownKey);
  if (how !== 'pop') history.replaceState({ ...history.state, scroll: scrollY }, '');
  const kept = how === 'pop' && state?.key ? keptPages.get(state.key) : null;
  if (kept) {
    await showKept(kept);
    shownKey = state.key;
    scrollTo(0, kept.scroll);
    arrived();
    return;
  }
  document.documentElement.classList.add('navigating');
  let page;
  try {
    page = await (init.method ? fetchPage(url, init) : takePrefetched(url) ?? fetchPage(url));
  } catch {
    // Offline (the service worker shows its page), or not a page of the app.
    if (mine === navigation) location.assign(init.method === 'POST' ? location.href : url);
    return;
  } finally {
    if (mine === navigation) document.documentElement.classList.remove('navigating');
  }
  if (mine !== navigation) return; // a later click won
  const { address, html } = page;
  const samePage = address.href === location.href;
  // The answer to a form on this page keeps the reader's place; a link to the page shown
  // shows it afresh from the top, as a page load would, without a second history entry.
  const scroll = how === 'replace' || (how === 'form' && samePage) ? scrollY : 0;
  if (how === 'form' || how === 'push') how = samePage ? 'replace' : 'push';
  await showFetched(new DOMParser().parseFromString(html, 'text/html'), address);
  if (how === 'push') {
    shownKey = newKey();
    history.pushState({ key: shownKey, scroll: 0 }, '', address.href);
  } else {
    if (how === 'pop') shownKey = state?.key || newKey();
    history.replaceState({ key: shownKey, scroll }, '', address.href);
  }
  if (how === 'pop') {
    restoreScroll(state?.scroll ?? 0);
  } else if (address.hash) {
    document.getElementById(decodeURIComponent(address.hash.slice(1)))?.scrollIntoView();
  } else {
    scrollTo(0, scroll);
  }
  arrived();
}

/** Scrolls to `y` once the page is tall enough (a page rebuilt from the server may be
 *  shorter than the one left, if it had more timeline pages appended). */
function restoreScroll(y, tries = 20) {
  scrollTo(0, y);
  if (Math.abs(scrollY - y) > 2 && tries > 0) {
    const more = document.querySelector('a.load-more[rel=next]');
    if (more && document.documentElement.scrollHeight - innerHeight < y) {
      loadMore(more).then(() => restoreScroll(y, tries - 1));
    }
  }
}

// ---- Timelines: "Load more" in place ----------------------------------------------------

const loading = new WeakSet();

async function loadMore(link) {
  if (loading.has(link)) return;
  loading.add(link);
  link.setAttribute('aria-busy', 'true');
  try {
    const { ok, html } = await fetchPage(link.href);
    if (!ok) throw new Error('no next page');
    const doc = new DOMParser().parseFromString(html, 'text/html');
    const pages = link.closest('.timeline-pages');
    const list = pages?.querySelector('.thought-list');
    const fresh = doc.querySelector('.timeline-pages');
    if (!list || !fresh) throw new Error('no timeline');
    const shown = new Set([...list.children].map((item) => item.dataset.id));
    const items = [...fresh.querySelectorAll('.thought-list > li')]
      .filter((item) => !shown.has(item.dataset.id))
      .map((item) => document.importNode(item, true));
    list.append(...items);
    for (const item of items) await hydrateIslands(item, { address: link.href });
    const next = fresh.querySelector('a.load-more[rel=next]');
    if (next) {
      link.href = next.href;
      link.removeAttribute('aria-busy');
      loading.delete(link);
      watchLoadMore();
    } else {
      link.remove();
    }
  } catch {
    // The link still works as a link.
    link.removeAttribute('aria-busy');
    loading.delete(link);
  }
}

let nearEnd;
function watchLoadMore() {
  nearEnd?.disconnect();
  nearEnd = new IntersectionObserver((entries) => {
    for (const entry of entries) if (entry.isIntersecting) loadMore(entry.target);
  }, { rootMargin: '400px' });
  for (const link of document.querySelectorAll('a.load-more[rel=next]')) nearEnd.observe(link);
}

// ---- What starts a navigation -----------------------------------------------------------

document.addEventListener('click', (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target instanceof Element ? event.target.closest('a[href]') : null;
  if (!link || link.target || link.hasAttribute('download') || /\bexternal\b/.test(link.rel)) return;
  const url = new URL(link.href);
  if (notAPage(url)) return;
  // A link within this page (the skip link): the browser's own.
  if (url.hash && url.pathname === location.pathname && url.search === location.search) return;
  event.preventDefault();
  if (link.matches('a.load-more[rel=next]')) {
    loadMore(link);
  } else {
    go(url.href);
  }
});

document.addEventListener('submit', (event) => {
  // Something changes: pages fetched ahead may no longer be true.
  prefetched.clear();
  // Forms of live islands send themselves (and say so).
  if (event.defaultPrevented) return;
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const url = new URL(form.action, location.href);
  const method = (event.submitter?.getAttribute('formmethod') || form.method || 'get').toUpperCase();
  if (url.origin !== location.origin || form.target || form.enctype === 'multipart/form-data') return;
  const fields = new URLSearchParams(new FormData(form, event.submitter));
  event.preventDefault();
  if (method === 'GET') {
    url.search = fields.toString();
    go(url.href);
  } else {
    // Answered with a redirect to the page to show (this one, or where the form leads).
    go(url.href, { how: 'form', init: { method: 'POST', body: fields } });
  }
});

window.addEventListener('popstate', (event) => {
  // Only the #fragment changed (the skip link): the same page.
  if (event.state?.key && event.state.key === shownKey) return;
  go(location.href, { how: 'pop', state: event.state });
});

window.addEventListener('thoughtspace:refresh', () => {
  prefetched.clear();
  go(location.href, { how: 'replace' });
});
// Where an island or a server function's redirect leads: only ever a page of this site. A
// redirect elsewhere is not followed at all (not even by the full-load fallback), however
// it got past the server.
window.addEventListener('thoughtspace:visit', (event) => {
  const url = sameOrigin(event.detail);
  if (url) go(url.href);
});

/** `address` resolved against this page, if it stays on this origin. */
function sameOrigin(address) {
  try {
    const url = new URL(String(address), location.href);
    return url.origin === location.origin ? url : null;
  } catch {
    return null;
  }
}

watchLoadMore();
