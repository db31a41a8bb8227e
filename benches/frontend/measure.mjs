// The browser-side budgets, measured against a running server (benches/frontend/run starts
// one): bytes a first visit transfers, time to hydrated in headless Chromium, and Lighthouse's
// performance, accessibility, best-practices and SEO audits. Chromium is the system's own.
//
//   node benches/frontend/measure.mjs http://127.0.0.1:3998 [runs]
import { chromium } from 'playwright-core';
import lighthouse from 'lighthouse';
import desktopConfig from 'lighthouse/core/config/desktop-config.js';
import * as chromeLauncher from 'chrome-launcher';

const base = process.argv[2] ?? 'http://127.0.0.1:3998';
const runs = Number(process.argv[3] ?? 15);
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };
const p90 = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.ceil(s.length * 0.9) - 1]; };
const kib = (bytes) => (bytes / 1024).toFixed(1);

/** One cold visit (fresh profile, empty cache): what it transferred and when it was live. */
async function visit(browser, path, cpuSlowdown) {
  const context = await browser.newContext({ serviceWorkers: 'block' });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  if (cpuSlowdown > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: cpuSlowdown });
  const transferred = new Map();
  const types = new Map();
  cdp.on('Network.responseReceived', (event) => types.set(event.requestId, { url: event.response.url, type: event.type }));
  cdp.on('Network.loadingFinished', (event) => transferred.set(event.requestId, event.encodedDataLength));
  // Records the moment the WASM marks the document live (html[data-hydrated]).
  // (The script runs before <html> exists: it watches the whole document.)
  await page.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.documentElement?.hasAttribute('data-hydrated')) {
        window.__hydratedAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-hydrated'] });
  });
  await page.goto(`${base}${path}`, { waitUntil: 'load' });
  await page.waitForFunction(() => window.__hydratedAt !== undefined, null, { timeout: 60_000 });
  const timings = await page.evaluate(() => ({
    hydrated: window.__hydratedAt,
    fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
    domContentLoaded: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
  }));
  let script = 0;
  let total = 0;
  for (const [id, bytes] of transferred) {
    total += bytes;
    const { url = '', type = '' } = types.get(id) ?? {};
    if (url.endsWith('.wasm') || type === 'Script') script += bytes;
  }
  await context.close();
  return { ...timings, script, total };
}

async function budgets() {
  const browser = await chromium.launch({ executablePath: chromiumPath, args: flags });
  for (const [path, slowdown] of [['/public', 1], ['/public', 4], ['/@user1', 1]]) {
    await visit(browser, path, slowdown); // warm the server's caches
    const samples = [];
    for (let i = 0; i < runs; i++) samples.push(await visit(browser, path, slowdown));
    const field = (name) => samples.map((s) => s[name]);
    console.log(`${path}${slowdown > 1 ? ` (CPU ${slowdown}x slower)` : ''}, ${runs} cold visits:`);
    console.log(`  transferred: WASM + JS ${kib(median(field('script')))} KiB, everything ${kib(median(field('total')))} KiB (compressed)`);
    console.log(`  first contentful paint: median ${median(field('fcp')).toFixed(0)} ms`);
    console.log(`  hydrated: median ${median(field('hydrated')).toFixed(0)} ms, p90 ${p90(field('hydrated')).toFixed(0)} ms`);
  }
  await browser.close();
}

async function audits() {
  const chrome = await chromeLauncher.launch({ chromePath: chromiumPath, chromeFlags: flags });
  try {
    for (const path of ['/public', '/@user1']) {
      for (const [name, config] of [['mobile', undefined], ['desktop', desktopConfig]]) {
        const result = await lighthouse(`${base}${path}`, {
          port: chrome.port, output: 'json', logLevel: 'error',
          onlyCategories: ['performance', 'accessibility', 'best-practices', 'seo'],
        }, config);
        const { categories, audits: found } = result.lhr;
        const score = (id) => Math.round((categories[id]?.score ?? 0) * 100);
        const metric = (id) => found[id]?.displayValue ?? 'n/a';
        console.log(`Lighthouse ${path} (${name}): performance ${score('performance')}, accessibility ${score('accessibility')}, ` +
          `best practices ${score('best-practices')}, SEO ${score('seo')}; FCP ${metric('first-contentful-paint')}, ` +
          `LCP ${metric('largest-contentful-paint')}, TBT ${metric('total-blocking-time')}, CLS ${metric('cumulative-layout-shift')}`);
        const failed = Object.values(found).filter((audit) => audit.score !== null && audit.score < 0.9
          && audit.scoreDisplayMode !== 'informative' && audit.scoreDisplayMode !== 'manual'
          && audit.scoreDisplayMode !== 'notApplicable');
        for (const audit of failed) console.log(`    below 90: ${audit.id} (${audit.displayValue ?? audit.title})`);
      }
    }
    // Accessibility alone on the other page types a visitor reaches.
    const newest = (await (await fetch(`${base}/api/timeline/public`)).json()).thoughts[0];
    const thread = `/@${newest.author_username}/${newest.id}`;
    for (const path of ['/', thread, '/tags/tag1', '/@user1/followers', '/search?q=user1', '/login', '/signup']) {
      const result = await lighthouse(`${base}${path}`, {
        port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: ['accessibility'],
      }, desktopConfig);
      const { categories, audits: found } = result.lhr;
      const failed = Object.values(found).filter((audit) => audit.score !== null && audit.score < 1
        && !['informative', 'manual', 'notApplicable'].includes(audit.scoreDisplayMode));
      console.log(`Lighthouse accessibility ${path}: ${Math.round(categories.accessibility.score * 100)}`
        + (failed.length ? ` (failing: ${failed.map((audit) => audit.id).join(', ')})` : ''));
    }
  } finally {
    chrome.kill();
  }
}

await budgets();
await audits();
