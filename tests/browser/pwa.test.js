// The installable app: manifest, icons, a service worker that caches the app shell per
// release and shows the offline page when the network is gone. Chromium's own
// installability check (DevTools protocol) must report nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, launchBrowser, launchPersistent, watchConsole, hydrated } from './support.js';

let server;
let browser;

before(async () => {
  server = await startServer();
  server.sql(`INSERT INTO users (username, email, display_name) VALUES ('ana', 'ana@example.test', 'Ana');
              INSERT INTO thoughts (user_id, content) SELECT id, 'a thought for the cache' FROM users;`);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (server) await server.stop();
});

test('the manifest, icons and service worker are served as an installable app needs', async () => {
  const manifest = await fetch(`${server.url}/manifest.webmanifest`);
  assert.equal(manifest.headers.get('content-type'), 'application/manifest+json');
  const body = await manifest.json();
  assert.equal(body.display, 'standalone');
  assert.deepEqual(body.icons.filter((i) => i.type === 'image/png').map((i) => [i.sizes, i.purpose]),
    [['192x192', 'any'], ['512x512', 'any'], ['512x512', 'maskable']]);
  for (const icon of body.icons) assert.equal((await fetch(`${server.url}${icon.src}`)).status, 200, icon.src);
  const worker = await (await fetch(`${server.url}/sw.js`)).text();
  assert.doesNotMatch(worker, /__RELEASE__/, 'the build stamped the release into the worker');
  assert.match(worker, /const RELEASE = '[0-9a-f]{16}'/);
  const page = await (await fetch(server.url)).text();
  assert.match(page, /<link (?=[^>]*rel="manifest")(?=[^>]*href="\/manifest.webmanifest")[^>]*>/);
  assert.match(page, /<meta (?=[^>]*name="theme-color")(?=[^>]*content="#3b5998")[^>]*>/);
});

test('Chromium finds the app installable, and offline it shows the offline page', async () => {
  // A real profile (not incognito, where Chromium installs nothing).
  const profile = mkdtempSync(join(tmpdir(), 'thoughtspace-pwa-'));
  const context = await launchPersistent(profile);
  const page = await context.newPage();
  const problems = watchConsole(page);
  await page.goto(`${server.url}/public`);
  await hydrated(page);
  // The worker registers after hydration; wait until it controls the page.
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);

  const cdp = await context.newCDPSession(page);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  assert.deepEqual(installabilityErrors, [], 'Chromium reports no installability errors');

  // The shell is cached; server functions and the API never are.
  const cached = await page.evaluate(async () => {
    const names = await caches.keys();
    const cache = await caches.open(names.find((n) => n.startsWith('thoughtspace-')));
    return (await cache.keys()).map((request) => new URL(request.url).pathname);
  });
  for (const path of ['/offline.html', '/pkg/thoughtspace_bg.wasm', '/pkg/thoughtspace.js', '/pkg/thoughtspace.css']) {
    assert.ok(cached.includes(path), `${path} is cached`);
  }
  assert.ok(!cached.some((path) => path.startsWith('/api/')), 'nothing from /api/ is cached');

  // The network is gone: a page shows the offline page, not Chromium's error page.
  await context.setOffline(true);
  await page.goto(`${server.url}/@ana`);
  assert.equal(await page.locator('h1').textContent(), 'You are offline');
  await context.setOffline(false);
  await page.goto(`${server.url}/@ana`);
  await page.locator('.profile-name').waitFor();
  assert.deepEqual(problems.filter((p) => !/net::ERR_INTERNET_DISCONNECTED/.test(p)), []);
  await context.close();
  rmSync(profile, { recursive: true, force: true });
});
