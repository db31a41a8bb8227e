// A write load against the client API with PostgreSQL killed (SIGKILL on the postmaster)
// part-way: counts answers by kind, measures how long until writes succeed again, and
// checks that every acknowledged write is in the database afterwards. Run by benches/db-kill.
//
// node benches/db-kill.mjs URL TOKENS_FILE DATA_DIR DURATION_S KILL_AT_S CONCURRENCY
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";

const [url, tokensFile, dataDir, duration = "60", killAt = "20", concurrency = "16"] =
  process.argv.slice(2);
const tokens = readFileSync(tokensFile, "utf8").split("\n").filter(Boolean);
const run = Date.now().toString(36);
const started = performance.now();
const seconds = () => (performance.now() - started) / 1000;
const end = Number(duration);

const counts = {};
const acknowledged = [];
let killedAt = null;
let lastFailureAfterKill = null;
let firstSuccessAfterKill = null;
let sequence = 0;

function count(kind) {
  counts[kind] = (counts[kind] ?? 0) + 1;
}

async function worker(index) {
  while (seconds() < end) {
    const n = sequence++;
    const marker = `load-${run}-${n}`;
    const token = tokens[n % tokens.length];
    let kind;
    try {
      const response = await fetch(`${url}/api/v1/statuses`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ status: marker, visibility: "public" }),
        signal: AbortSignal.timeout(30_000),
      });
      await response.arrayBuffer();
      kind = String(response.status);
      if (response.status === 503 && !response.headers.get("retry-after")) kind = "503 without Retry-After";
      if (response.ok) acknowledged.push(marker);
    } catch (error) {
      kind = `no answer (${error.cause?.code ?? error.name})`;
    }
    count(kind);
    if (killedAt !== null) {
      if (kind === "200") {
        firstSuccessAfterKill ??= seconds();
      } else if (kind !== "429") {
        lastFailureAfterKill = seconds();
      }
    }
    if (kind !== "200") await new Promise((resolve) => setTimeout(resolve, 50 + index));
  }
}

setTimeout(() => {
  const lock = readFileSync(`${dataDir}/postgres/pgdata/postmaster.pid`, "utf8");
  const pid = Number(lock.split("\n")[0]);
  process.kill(pid, "SIGKILL");
  killedAt = seconds();
  console.error(`killed PostgreSQL (pid ${pid}) at ${killedAt.toFixed(1)} s`);
}, Number(killAt) * 1000);

await Promise.all(Array.from({ length: Number(concurrency) }, (_, i) => worker(i)));

const stored = new Set(
  execFileSync(
    "psql",
    ["-h", `${dataDir}/postgres/run`, "-U", "thoughtspace", "-At", "-c",
     `SELECT substring(content from 'load-${run}-[0-9]+') FROM thoughts WHERE content LIKE '%load-${run}-%'`,
     "thoughtspace"],
    { encoding: "utf8" },
  ).split("\n").filter(Boolean),
);
const lost = acknowledged.filter((marker) => !stored.has(marker));
const summary = {
  seconds: end,
  concurrency: Number(concurrency),
  requests: Object.values(counts).reduce((a, b) => a + b, 0),
  answers: counts,
  killed_at_s: killedAt,
  first_success_after_kill_s: firstSuccessAfterKill && +(firstSuccessAfterKill - killedAt).toFixed(2),
  last_failure_after_kill_s: lastFailureAfterKill && +(lastFailureAfterKill - killedAt).toFixed(2),
  acknowledged: acknowledged.length,
  acknowledged_lost: lost.length,
  stored_not_acknowledged: stored.size - (acknowledged.length - lost.length),
};
console.log(JSON.stringify(summary, null, 2));
process.exit(lost.length === 0 ? 0 : 1);
