// The app once hydrated: moving between pages keeps the document, back returns to where the
// reader was, the composer keeps its draft, and what others do shows up live (server-sent
// events): the unread badge and "N new thoughts".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, watchConsole, hydrated, signUp, markDocument, stillSameDocument, postFromHome } from './support.js';

const site = serverAndBrowser();

/** Counts the documents the page loads from now on (a reload or a server-side navigation
 *  loads one; a client-side navigation none). */
function countDocumentLoads(page) {
  const loads = [];
  page.on('request', (request) => {
    if (request.resourceType() === 'document' && request.frame() === page.mainFrame()) loads.push(request.url());
  });
  return loads;
}

/** Two members, each signed up in a browser context of their own. */
async function twoMembers(first, second) {
  const contexts = [await site.browser.newContext(), await site.browser.newContext()];
  const pages = [await contexts[0].newPage(), await contexts[1].newPage()];
  const problems = pages.map(watchConsole);
  await signUp(pages[0], site.server.url, first);
  await signUp(pages[1], site.server.url, second);
  const close = () => Promise.all(contexts.map((context) => context.close()));
  return { pages, problems, close };
}

/** Polls `probe` in the page until it returns true (or fails after `timeout` ms). */
async function eventually(page, probe, arg, message, timeout = 10_000) {
  try {
    await page.waitForFunction(probe, arg, { timeout });
  } catch (error) {
    throw new Error(`${message}: ${error.message}`);
  }
}

test('moving between pages never reloads the document, and back restores the scroll position', async () => {
  const context = await site.browser.newContext({ viewport: { width: 1000, height: 700 } });
  const page = await context.newPage();
  const problems = watchConsole(page);
  await signUp(page, site.server.url, 'scroller');
  // Forty thoughts, a minute apart: the public timeline's first page is far taller than the window.
  site.server.sql(`INSERT INTO thoughts (user_id, content, visibility, created_at)
              SELECT id, 'Scroll thought number ' || n, 'public', now() - n * interval '1 minute'
              FROM users, generate_series(1, 40) AS n WHERE username = 'scroller'`);

  await page.goto(`${site.server.url}/public`);
  await hydrated(page);
  const loads = countDocumentLoads(page);
  await markDocument(page);

  // Through the header, a profile, a thread and back, by links only.
  await page.getByRole('link', { name: 'Home' }).click();
  await page.getByLabel('New thought').waitFor();
  await page.getByRole('link', { name: 'My profile' }).click();
  await page.waitForURL(`${site.server.url}/@scroller`);
  await page.getByRole('link', { name: 'Public' }).click();
  await page.waitForURL(`${site.server.url}/public`);
  await page.locator('.thought', { hasText: 'Scroll thought number 12' }).waitFor();
  // Keyboard and screen-reader users land on the new page, which is announced by its title.
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'main', 'focus moves to the page');
  await eventually(page, () => document.querySelector('[role=status][aria-live=polite]')?.textContent === document.title
    && document.title.startsWith('Public'), null, 'the new page is announced');

  await page.evaluate(() => window.scrollTo(0, 1500));
  await eventually(page, () => Math.abs(window.scrollY - 1500) < 2, null, 'the page scrolls');
  const scrolled = await page.evaluate(() => window.scrollY);
  // Open the thought at the middle of the window, then come back.
  const middle = await page.evaluate(() => {
    const links = [...document.querySelectorAll('.thought-time')];
    const inView = links.find((link) => link.getBoundingClientRect().top > window.innerHeight / 3);
    return inView.getAttribute('href');
  });
  await page.locator(`.thought-time[href="${middle}"]`).click();
  await page.waitForURL(`${site.server.url}${middle}`);
  await page.locator('.thought.focused').waitFor();
  assert.ok(await page.evaluate(() => window.scrollY) < 50, 'a new page opens at its top');

  await page.goBack();
  await page.waitForURL(`${site.server.url}/public`);
  await eventually(page, (expected) => Math.abs(window.scrollY - expected) < 5, scrolled,
    `back returns to ${scrolled}px`);
  await page.goForward();
  await page.waitForURL(`${site.server.url}${middle}`);
  await page.locator('.thought.focused').waitFor();

  // Deeper than the first page: infinite scroll appends the second, and back returns there too.
  await page.goBack();
  await page.waitForURL(`${site.server.url}/public`);
  await eventually(page, (expected) => Math.abs(window.scrollY - expected) < 5, scrolled, 'back again');
  const deep = page.locator('.thought', { hasText: 'Scroll thought number 33' });
  await eventually(page, () => {
    window.scrollTo(0, document.documentElement.scrollHeight);
    return [...document.querySelectorAll('.thought-content')].some((p) => p.textContent === 'Scroll thought number 33');
  }, null, 'infinite scroll appends the second page');
  await deep.scrollIntoViewIfNeeded();
  const deepScroll = await page.evaluate(() => window.scrollY);
  assert.ok(deepScroll > 3000, `scrolled into the second page (${deepScroll}px)`);
  await deep.locator('.thought-time').click();
  await page.locator('.thought.focused', { hasText: 'Scroll thought number 33' }).waitFor();
  await page.goBack();
  await page.waitForURL(`${site.server.url}/public`);
  await eventually(page, (expected) => Math.abs(window.scrollY - expected) < 5, deepScroll,
    `back returns to ${deepScroll}px, in the second page`);
  assert.ok(await deep.isVisible(), 'the thought opened is on screen again');

  assert.deepEqual(loads, [], 'no navigation loaded a new document');
  await stillSameDocument(page);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the composer keeps its draft across navigation and reloads, and forgets it once posted', async () => {
  const context = await site.browser.newContext();
  const page = await context.newPage();
  const problems = watchConsole(page);
  await signUp(page, site.server.url, 'drafter');
  await page.getByRole('link', { name: 'Home' }).click();
  const composer = page.getByLabel('New thought');
  await composer.fill('half a thought about #drafts');
  await page.getByRole('link', { name: 'Public' }).click();
  await page.waitForURL(`${site.server.url}/public`);
  await page.getByRole('link', { name: 'Home' }).click();
  await eventually(page, () => document.querySelector('#content')?.value === 'half a thought about #drafts',
    null, 'the draft is back after navigating');
  await page.reload();
  await hydrated(page);
  await eventually(page, () => document.querySelector('#content')?.value === 'half a thought about #drafts',
    null, 'the draft is back after a reload');
  assert.equal(await page.locator('.char-count').textContent(), String(128 - 28), 'the count follows the draft');

  await page.getByRole('button', { name: 'Post' }).click();
  await page.locator('.thought-content', { hasText: 'half a thought' }).waitFor();
  await page.reload();
  await hydrated(page);
  assert.equal(await page.getByLabel('New thought').inputValue(), '', 'a posted draft is gone');
  assert.deepEqual(problems, []);
  await context.close();
});

test('the unread badge and "N new thoughts" update live when someone else acts', async () => {
  const { pages: [ana, bo], problems, close } = await twoMembers('liveana', 'livebo');

  // Ana posts, then reads the public timeline; nothing is unread yet.
  await postFromHome(ana, 'Anyone out there?');
  await ana.getByRole('link', { name: 'Public' }).click();
  await ana.waitForURL(`${site.server.url}/public`);
  await ana.locator('.thought-content', { hasText: 'Anyone out there?' }).waitFor();
  assert.equal(await ana.locator('.unread-badge').count(), 0);
  const loads = countDocumentLoads(ana);
  // The stream is open once the page is live; give it its first message.
  await ana.waitForTimeout(500);

  // Bo likes Ana's thought: her badge shows it without a reload.
  await bo.goto(`${site.server.url}/public`);
  await hydrated(bo);
  const thought = bo.locator('.thought', { hasText: 'Anyone out there?' });
  await thought.getByRole('button', { name: /^Like/ }).click();
  await thought.getByRole('button', { name: /^Liked/ }).waitFor();
  await ana.locator('.unread-badge', { hasText: '1' }).waitFor({ timeout: 10_000 });
  await eventually(ana, () => document.title === '(1) Public · Thoughtspace', null, 'the title leads with the count');

  // Bo posts: Ana is offered it above her timeline, and it joins the list on a click.
  await postFromHome(bo, 'Here! Hello from Bo');
  const offer = ana.getByRole('button', { name: '1 new thought' });
  await offer.waitFor({ timeout: 10_000 });
  assert.equal(await ana.locator('.thought-content', { hasText: 'Hello from Bo' }).count(), 0,
    'the new thought waits until asked for');
  await offer.click();
  await ana.locator('.thought-list > li:first-child .thought-content', { hasText: 'Hello from Bo' }).waitFor();

  // Marking the notifications read clears the badge, live too.
  await ana.getByRole('link', { name: /Notifications/ }).click();
  await ana.waitForURL(`${site.server.url}/notifications`);
  await ana.getByRole('button', { name: 'Mark all read' }).click();
  await ana.locator('.unread-badge').waitFor({ state: 'detached', timeout: 10_000 });

  // With the notifications open, a new one appears in the list as it happens.
  await bo.goto(`${site.server.url}/public`);
  await hydrated(bo);
  await bo.locator('.thought', { hasText: 'Anyone out there?' }).getByRole('button', { name: /^Boost/ }).click();
  await ana.locator('.notification', { hasText: 'boosted your thought' }).waitFor({ timeout: 10_000 });
  await ana.locator('.unread-badge', { hasText: '1' }).waitFor();
  assert.deepEqual(loads, [], 'Ana never reloaded');
  assert.deepEqual(problems, [[], []]);
  await close();
});

test('a link the pointer rests on is fetched ahead, and the click uses that page', async () => {
  const context = await site.browser.newContext();
  const page = await context.newPage();
  const problems = watchConsole(page);
  await page.goto(`${site.server.url}/`);
  await hydrated(page);
  const fetched = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/public') fetched.push(request.resourceType());
  });
  await page.getByRole('link', { name: 'Public', exact: true }).hover();
  await page.waitForTimeout(300);
  assert.deepEqual(fetched, ['fetch'], 'resting on the link fetched its page');
  await page.getByRole('link', { name: 'Public', exact: true }).click();
  await page.waitForURL(`${site.server.url}/public`);
  await page.getByRole('heading', { name: 'Public thoughts' }).waitFor();
  assert.deepEqual(fetched, ['fetch'], 'the click used the page fetched ahead');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a page whose islands the open tab does not have (a newer release) is loaded in full', async () => {
  const context = await site.browser.newContext();
  const page = await context.newPage();
  await page.goto(`${site.server.url}/`);
  await hydrated(page);
  // The server now answers with islands of another build.
  await page.route(`${site.server.url}/public`, async (route) => {
    const response = await route.fetch();
    const html = (await response.text()).replaceAll(/data-component="NewThoughts_\d+"/g, 'data-component="NewThoughts_0"');
    await route.fulfill({ response, body: html });
  });
  const loads = countDocumentLoads(page);
  await page.getByRole('link', { name: 'Public', exact: true }).click();
  await page.waitForURL(`${site.server.url}/public`);
  await eventually(page, () => document.readyState === 'complete' && document.querySelector('h1')?.textContent === 'Public thoughts',
    null, 'the page is shown');
  await page.waitForTimeout(500);
  assert.deepEqual(loads, [`${site.server.url}/public`], 'one full load of the new page');
  await context.close();
});

test('a page left behind keeps its islands live while back can return to it, and lets them go after', async () => {
  const { pages: [ana, bo], problems, close } = await twoMembers('keepana', 'keepbo');
  await postFromHome(ana, 'Like me later');

  // Every page has its own header, with its own unread badge island. Keep the first one's.
  await ana.evaluate(() => { window.__firstBadge = document.querySelector('.unread-slot'); });
  // Eleven page changes: the first page falls out of the ten kept for back and forward.
  for (let change = 1; change <= 11; change += 1) {
    const [name, path] = change % 2 ? ['Public', '/public'] : ['My profile', '/@keepana'];
    await ana.getByRole('link', { name, exact: true }).click();
    await ana.waitForURL(`${site.server.url}${path}`);
    // The page left last stays kept.
    if (change === 10) await ana.evaluate(() => { window.__keptBadge = document.querySelector('.unread-slot'); });
  }
  assert.equal(await ana.evaluate(() => window.__firstBadge.isConnected || window.__keptBadge.isConnected), false);
  await ana.waitForTimeout(300);

  await bo.goto(`${site.server.url}/@keepana`);
  await hydrated(bo);
  await bo.locator('.thought', { hasText: 'Like me later' }).getByRole('button', { name: /^Like/ }).click();
  await ana.locator('.unread-badge', { hasText: '1' }).waitFor({ timeout: 10_000 });
  await eventually(ana, () => window.__keptBadge.textContent === '1', null, 'a kept page\'s islands still run');
  assert.equal(await ana.evaluate(() => window.__firstBadge.textContent), '', 'a page let go runs nothing');
  assert.deepEqual(problems, [[], []]);
  await close();
});

test('a first visit loads at most 300 KiB of compressed WASM and JavaScript', async () => {
  const context = await site.browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const responses = new Map();
  const received = new Map();
  cdp.on('Network.responseReceived', ({ requestId, type, response }) => {
    responses.set(requestId, { url: response.url, type, encoding: response.headers['content-encoding'] ?? response.headers['Content-Encoding'] });
  });
  cdp.on('Network.loadingFinished', ({ requestId, encodedDataLength }) => received.set(requestId, encodedDataLength));
  await page.goto(`${site.server.url}/public`);
  await hydrated(page);
  // Scripts written into the page count too (Leptos' islands loader).
  const inline = await page.evaluate(() => [...document.scripts].filter((script) => !script.src).reduce((sum, script) => sum + script.text.length, 0));
  const code = [...responses].filter(([, response]) => response.type === 'Script' || response.url.endsWith('.wasm'));
  const wasm = code.filter(([, response]) => response.url.endsWith('.wasm'));
  assert.equal(wasm.length, 1, 'one WASM bundle');
  assert.equal(wasm[0][1].encoding, 'gzip', 'the bundle travels compressed');
  const bytes = inline + code.reduce((sum, [id]) => sum + (received.get(id) ?? 0), 0);
  const report = code.map(([id, response]) => `${new URL(response.url).pathname} ${received.get(id)}`).join(', ');
  assert.ok(bytes <= 300 * 1024, `WASM + JS is ${(bytes / 1024).toFixed(1)} KiB (${report}, inline ${inline})`);
  await context.close();
});
