// Two newcomers in two browsers: follow, post, tag, reply, like, boost, notifications and
// block, each seen where expected without a page reload once hydrated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, watchConsole, hydrated, signUp, markDocument, stillSameDocument } from './support.js';

const site = serverAndBrowser();


test('two people follow, post, reply, like, boost, get notified and block without reloads', async () => {
  const anaContext = await site.browser.newContext();
  const boContext = await site.browser.newContext();
  const ana = await anaContext.newPage();
  const bo = await boContext.newPage();
  const problems = [...[ana, bo].map(watchConsole)];

  await signUp(ana, site.server.url, 'ana');
  await signUp(bo, site.server.url, 'bo');

  // Ana follows Bo from his profile.
  await ana.goto(`${site.server.url}/@bo`);
  await hydrated(ana);
  await markDocument(ana);
  await ana.getByRole('button', { name: 'Follow', exact: true }).click();
  await ana.getByRole('button', { name: 'Unfollow' }).waitFor();
  await stillSameDocument(ana);

  // Bo posts with a tag and a mention; the composer counts what is left.
  await bo.getByRole('link', { name: 'Home' }).click();
  await bo.getByLabel('New thought').waitFor();
  await markDocument(bo);
  await bo.getByLabel('New thought').fill('hello #world, @ana 👋🏽');
  // 19 characters and one toned emoji (one user-perceived character, four UTF-16 units).
  assert.equal(await bo.locator('.char-count').textContent(), String(128 - 20));
  await bo.getByRole('button', { name: 'Post' }).click();
  await bo.locator('.thought-content', { hasText: 'hello #world' }).waitFor();
  assert.equal(await bo.getByLabel('New thought').inputValue(), '', 'the composer empties after posting');
  await stillSameDocument(bo);

  // Ana sees it at home, likes and boosts it at once (optimistically), and replies.
  await ana.getByRole('link', { name: 'Home' }).click();
  const thought = ana.locator('.thought', { hasText: 'hello #world' });
  await thought.waitFor();
  await thought.getByRole('button', { name: /^Like/ }).click();
  await thought.getByRole('button', { name: 'Liked 1' }).waitFor();
  await thought.getByRole('button', { name: /^Boost/ }).click();
  await thought.getByRole('button', { name: 'Boosted 1' }).waitFor();
  await thought.getByRole('link', { name: 'Reply' }).click();
  await ana.getByLabel('Your reply').fill('agreed!');
  await ana.getByRole('button', { name: 'Reply', exact: true }).click();
  await ana.locator('.replies .thought-content', { hasText: 'agreed!' }).waitFor();
  await stillSameDocument(ana);

  // The tag links to its timeline.
  await ana.locator('.thought.focused a.tag').click();
  await ana.waitForURL(`${site.server.url}/tags/world`);
  await ana.locator('.thought-content', { hasText: 'hello #world' }).waitFor();
  await stillSameDocument(ana);

  // Bo's notifications: follow, like, boost, reply.
  await bo.getByRole('link', { name: /^Notifications/ }).click();
  await bo.waitForURL(`${site.server.url}/notifications`);
  for (const text of ['followed you', 'liked your thought', 'boosted your thought', 'replied']) {
    await bo.locator('.notification-text', { hasText: text }).waitFor();
  }
  await stillSameDocument(bo);

  // Bo blocks Ana: her reply disappears from what he sees.
  await bo.goto(`${site.server.url}/@ana`);
  await hydrated(bo);
  await bo.getByRole('button', { name: 'Block' }).click();
  await bo.getByRole('button', { name: 'Unblock' }).waitFor();
  const replies = await bo.evaluate(async () => (await fetch('/api/timeline/public')).json());
  assert.deepEqual(replies.thoughts.map((t) => t.content), ['hello #world, @ana 👋🏽']);

  assert.deepEqual(problems.flat(), [], 'no console errors in either browser');
  await anaContext.close();
  await boContext.close();
});

test('a refused like is rolled back with the reason', async () => {
  const context = await site.browser.newContext();
  const page = await context.newPage();
  await signUp(page, site.server.url, 'cy');
  await page.getByRole('link', { name: 'Home' }).click();
  await page.getByLabel('New thought').fill('soon gone');
  await page.getByRole('button', { name: 'Post' }).click();
  const thought = page.locator('.thought', { hasText: 'soon gone' });
  await thought.waitFor();
  // The thought disappears on the server before the like arrives.
  const id = await thought.locator('input[name="id"]').first().getAttribute('value');
  site.server.sql(`DELETE FROM thoughts WHERE id = '${id}'`);
  await thought.getByRole('button', { name: /^Like/ }).click();
  await thought.locator('.field-error', { hasText: 'not found' }).waitFor();
  assert.equal(await thought.getByRole('button', { name: /^Like/ }).textContent(), 'Like 0');
  await context.close();
});

test('following shows at once, and a refused follow is rolled back with the reason', async () => {
  const context = await site.browser.newContext();
  const dee = await context.newPage();
  const problems = watchConsole(dee);
  await signUp(dee, site.server.url, 'eve');
  await dee.getByRole('button', { name: 'Log out' }).click();
  await dee.getByRole('link', { name: 'Log in' }).waitFor();
  await signUp(dee, site.server.url, 'dee');

  // A slow network: the button flips before the server has answered.
  let release;
  const answered = new Promise((resolve) => { release = resolve; });
  await dee.route('**/api/profiles/follow', async (route) => { await answered; await route.continue(); });
  await dee.goto(`${site.server.url}/@eve`);
  await hydrated(dee);
  await dee.getByRole('button', { name: 'Follow', exact: true }).click();
  await dee.getByRole('button', { name: 'Unfollow' }).waitFor({ timeout: 2_000 });
  assert.equal(site.server.sql(`SELECT count(*) FROM follows f JOIN users u ON u.id = f.following_id WHERE u.username = 'eve'`).trim(), '0',
    'shown before the server has it');
  const followed = dee.waitForResponse('**/api/profiles/follow');
  release();
  await followed;
  await dee.getByRole('button', { name: 'Unfollow' }).waitFor();
  assert.equal(site.server.sql(`SELECT count(*) FROM follows f JOIN users u ON u.id = f.following_id WHERE u.username = 'eve'`).trim(), '1');
  await dee.unroute('**/api/profiles/follow');

  // Dee unfollows, then Eve blocks Dee before Dee follows again: the server refuses, and the
  // button comes back with the reason.
  const unfollowed = dee.waitForResponse('**/api/profiles/follow');
  await dee.getByRole('button', { name: 'Unfollow' }).click();
  await dee.getByRole('button', { name: 'Follow', exact: true }).waitFor();
  await unfollowed;
  site.server.sql(`INSERT INTO blocks (blocker_id, blocked_id) SELECT e.id, d.id FROM users e, users d
                   WHERE e.username = 'eve' AND d.username = 'dee'`);
  await dee.getByRole('button', { name: 'Follow', exact: true }).click();
  await dee.locator('.follow-form .field-error').waitFor();
  assert.equal(await dee.locator('.follow-form button').textContent(), 'Follow', 'rolled back');
  // The refusal itself is the only thing Chromium reports.
  assert.deepEqual(problems, ['error: Failed to load resource: the server responded with a status of 403 (Forbidden)']);
  await context.close();
});
