// Thoughtspace's service worker. The app shell (the WASM bundle, its JS glue, the CSS, the
// icons and the offline page) is cached at install, per release: `scripts/build-site` writes
// the release's fingerprint below, so a new release installs a new cache and drops the old.
// Bundle files are served from the cache; pages come from the network, with the offline page
// when there is none; server functions, the client API, ActivityPub and the live event
// stream are never cached.
const RELEASE = '__RELEASE__';
const CACHE = `thoughtspace-${RELEASE}`;
const SHELL = [
  '/offline.html',
  '/pkg/thoughtspace.js',
  '/pkg/navigation.js',
  '/pkg/thoughtspace_bg.wasm',
  '/pkg/thoughtspace.css',
  '/favicon.svg',
  '/icon-192.png',
  '/icon-512.png',
  '/icon-maskable-512.png',
  '/manifest.webmanifest',
];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((name) => name.startsWith('thoughtspace-') && name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

/** Requests that must always reach the server (and are never stored). */
function neverCached(url) {
  return url.pathname.startsWith('/api/') || url.pathname.startsWith('/oauth/') || url.pathname.startsWith('/users/')
    || url.pathname.startsWith('/.well-known/') || url.pathname.startsWith('/nodeinfo/') || url.pathname === '/inbox'
    || url.pathname === '/events';
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || neverCached(url)) return;
  if (url.pathname.startsWith('/pkg/')) {
    event.respondWith(caches.open(CACHE).then((cache) => cache.match(request).then((hit) => hit || fetch(request))));
    return;
  }
  if (request.mode === 'navigate') {
    event.respondWith(fetch(request).catch(() => caches.open(CACHE).then((cache) => cache.match('/offline.html'))));
  }
});
