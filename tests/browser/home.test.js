// The vertical slice in a real browser: the server-rendered home page hydrates, and
// "Load more" then appends the next page in place through a server function.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, watchConsole, hydrated } from './support.js';

let server;
let browser;

before(async () => {
  server = await startServer();
  server.sql(`
    INSERT INTO users (username, email, display_name) VALUES ('ana', 'ana@example.test', 'Ana');
    INSERT INTO thoughts (user_id, content, created_at)
      SELECT id, 'thought number ' || n, timestamptz '2026-01-01 12:00Z' + n * interval '1 minute'
        FROM users, generate_series(1, 25) AS n;`);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (server) {
    const { code } = await server.stop();
    assert.equal(code, 0, 'the server exits cleanly on SIGTERM');
  }
});

test('home page hydrates and loads more thoughts in place', async () => {
  const page = await browser.newPage();
  const problems = watchConsole(page);
  await page.goto(server.url);

  await hydrated(page);
  assert.equal(await page.locator('.thought').count(), 20);
  assert.equal(await page.locator('.thought').first().locator('.thought-content').textContent(), 'thought number 25');

  let navigated = false;
  page.on('framenavigated', () => { navigated = true; });
  // A click where the link is, without scrolling to it: scrolling would let infinite scroll
  // (the next test) load the page first.
  await page.getByRole('link', { name: 'Load more' }).evaluate((link) => link.click());
  await page.locator('.thought').nth(24).waitFor();
  assert.equal(await page.locator('.thought').count(), 25);
  assert.equal(await page.locator('.thought').last().locator('.thought-content').textContent(), 'thought number 1');
  assert.equal(await page.locator('.load-more').count(), 0, 'no more pages');
  assert.equal(page.url(), `${server.url}/`, 'appended in place, not by navigating');
  assert.equal(navigated, false);

  assert.deepEqual(problems, [], 'no console errors or hydration warnings');
  await page.close();
});

test('once hydrated, scrolling to the end loads the next page by itself', async () => {
  const page = await browser.newPage();
  const problems = watchConsole(page);
  await page.goto(server.url);
  await hydrated(page);
  assert.equal(await page.locator('.thought').count(), 20);
  await page.locator('.load-more').scrollIntoViewIfNeeded();
  await page.locator('.thought').nth(24).waitFor();
  assert.equal(await page.locator('.thought').count(), 25);
  assert.equal(await page.locator('.load-more').count(), 0, 'no more pages');
  assert.deepEqual(problems, []);
  await page.close();
});

test('without JavaScript, "Load more" is a link to the next page', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(server.url);
  assert.equal(await page.locator('.thought').count(), 20);
  await page.getByRole('link', { name: 'Load more' }).click();
  await page.waitForURL(/\?before=/);
  assert.equal(await page.locator('.thought').count(), 5);
  assert.equal(await page.locator('.thought-content').first().textContent(), 'thought number 5');
  await context.close();
});
