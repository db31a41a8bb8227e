// The real server binary (built by `cargo test`) with its own embedded PostgreSQL in a
// scratch directory, for the browser and federation tests.
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '../..');
const serverBinary = process.env.SERVER_BIN ?? join(repo, 'target/debug/server');

export async function freePort() {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => done(port));
    });
  });
}

/** Starts the server on a free port with a fresh embedded database; resolves once it answers.
 *  `env` adds environment variables (e.g. ALLOW_PRIVATE_ADDRESSES for federation tests). */
export async function startServer({ env: extra = {} } = {}) {
  const scratch = mkdtempSync(join(tmpdir(), 'thoughtspace-browser-'));
  // Open to others: as root, the embedded PostgreSQL runs as `postgres` and must pass through.
  chmodSync(scratch, 0o755);
  const port = await freePort();
  const logPath = join(scratch, 'server.log');
  const env = { ...process.env, DATA_DIR: join(scratch, 'data'), LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
    LEPTOS_SITE_ROOT: join(repo, 'target/site'), PUBLIC_URL: `http://127.0.0.1:${port}`, RUST_LOG: 'info', ...extra };
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
    /** DATA_DIR, for operator commands beside the running server. */
    dataDir: join(scratch, 'data'),
    env,
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
