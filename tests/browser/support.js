// Browser-test harness: the real server (tests/support/server.js) and the system's headless Chromium.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startServer } from '../support/server.js';

export { startServer };

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Headless Chromium from the system (nothing is downloaded). */
export function launchBrowser() {
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** The same Chromium with a real (non-incognito) profile in `userDataDir`: a BrowserContext. */
export function launchPersistent(userDataDir) {
  return chromium.launchPersistentContext(userDataDir, { executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** Records console errors and warnings (hydration mismatches are reported there) and page errors. */
export function watchConsole(page) {
  const problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  return problems;
}

/** Waits until the WASM has taken over the page. */
export async function hydrated(page) {
  await page.waitForSelector('html[data-hydrated]', { timeout: 30_000 });
}

/** Signs up through the form (hydrated) and waits for the new profile. */
export async function signUp(page, baseUrl, username) {
  await page.goto(`${baseUrl}/signup`);
  await hydrated(page);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Email').fill(`${username}@example.test`);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.waitForURL(`${baseUrl}/@${username}`);
}

/** Posts `text` from the member's home page and waits until it is listed there. */
export async function postFromHome(page, text) {
  await page.getByRole('link', { name: 'Home' }).click();
  await page.getByLabel('New thought').fill(text);
  await page.getByRole('button', { name: 'Post' }).click();
  await page.locator('.thought-content', { hasText: text }).waitFor();
}

/** Starts the server and a browser before a file's tests, and closes both after them (the
 *  server must exit cleanly). Returns `{ server, browser }`, filled in once started. */
export function serverAndBrowser() {
  const site = {};
  before(async () => {
    site.server = await startServer();
    site.browser = await launchBrowser();
  });
  after(async () => {
    await site.browser?.close();
    if (site.server) assert.equal((await site.server.stop()).code, 0);
  });
  return site;
}

/** Marks the document; `stillSameDocument` then proves no navigation reloaded it. */
export async function markDocument(page) {
  await page.evaluate(() => { window.__sameDocument = true; });
}

export async function stillSameDocument(page) {
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the page was not reloaded');
}
