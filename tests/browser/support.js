// Browser-test harness: the real server binary (built by `cargo test`) with its own
// embedded PostgreSQL in a scratch directory, and the system's headless Chromium.
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const repo = resolve(import.meta.dirname, '../..');
const serverBinary = process.env.SERVER_BIN ?? join(repo, 'target/debug/server');

async function freePort() {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => done(port));
    });
  });
}

/** Starts the server on a free port with a fresh embedded database; resolves once it answers. */
export async function startServer() {
  const scratch = mkdtempSync(join(tmpdir(), 'thoughtspace-browser-'));
  // Open to others: as root, the embedded PostgreSQL runs as `postgres` and must pass through.
  chmodSync(scratch, 0o755);
  const port = await freePort();
  const logPath = join(scratch, 'server.log');
  const env = { ...process.env, DATA_DIR: join(scratch, 'data'), LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
    LEPTOS_SITE_ROOT: join(repo, 'target/site'), PUBLIC_URL: `http://127.0.0.1:${port}`, RUST_LOG: 'info' };
  delete env.DATABASE_URL;
  const log = openSync(logPath, 'a');
  const child = spawn(serverBinary, [], { env, stdio: ['ignore', log, log] });
  let exited = null;
  const exit = new Promise((done) => child.on('exit', (code, signal) => { exited = { code, signal }; done(exited); }));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exited) throw new Error(`server exited early: ${readFileSync(logPath, 'utf8')}`);
    try {
      if ((await fetch(url)).ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`server did not answer: ${readFileSync(logPath, 'utf8')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const socketDir = join(scratch, 'data/postgres/run');
  return {
    url,
    /** Runs SQL in the server's own database. */
    sql(statement) {
      return execFileSync('psql', ['-h', socketDir, '-U', 'thoughtspace', '-d', 'thoughtspace',
        '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', statement], { encoding: 'utf8' });
    },
    /** SIGTERM; resolves to the exit, then removes the scratch directory. */
    async stop() {
      child.kill('SIGTERM');
      const result = await exit;
      rmSync(scratch, { recursive: true, force: true });
      return result;
    },
    log: () => readFileSync(logPath, 'utf8'),
  };
}

/** Headless Chromium from the system (nothing is downloaded). */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
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
