// Accounts and profiles in a real browser: sign up, style the profile, choose Top Friends,
// and what a stranger, a crawler and a hostile profile's visitors see.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startServer, launchBrowser, watchConsole, hydrated, signUp } from './support.js';

let server;
let browser;
// Another host with the owner's background tile: the server copies it when the style is saved.
let tiles;

// A 2×2 pink PNG (a valid one: the server decodes it to make its own copy).
const TILE = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4f+A0EDFAKABH9gopDAKD+AAAAABJRU5ErkJggg==', 'base64');

async function newContext(options = {}) {
  const context = await browser.newContext(options);
  await context.route('https://img.example/**', (route) => route.fulfill({ body: TILE, contentType: 'image/png' }));
  return context;
}

before(async () => {
  tiles = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'image/png' });
    response.end(TILE);
  });
  await new Promise((done) => tiles.listen(0, '127.0.0.1', done));
  // Private addresses allowed: the tile host is on loopback.
  server = await startServer({ env: { ALLOW_PRIVATE_ADDRESSES: 'true' } });
  // Friends to choose from (accounts made directly; they never log in here).
  server.sql(`INSERT INTO users (username, email, display_name) VALUES
    ('ana', 'ana@example.test', 'Ana'), ('bo', 'bo@example.test', 'Bo'), ('cy', 'cy@example.test', 'Cy');`);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  tiles?.close();
  if (server) assert.equal((await server.stop()).code, 0);
});

async function chooseTopFriends(page, names) {
  for (let i = 0; i < 5; i += 1) {
    await page.selectOption(`#friend_${i + 1}`, names[i] ?? '');
  }
  await page.getByRole('button', { name: 'Save Top Friends' }).click();
  await page.locator('#friends-settings-heading ~ form .saved').waitFor();
}

test('a newcomer styles their profile and picks Top Friends; strangers and crawlers see exactly that', async () => {
  const context = await newContext();
  const page = await context.newPage();
  const problems = watchConsole(page);

  await signUp(page, server.url, 'newbie');
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.waitForURL(`${server.url}/settings`);

  // A refused field shows its message next to it, and what else was typed stays.
  await page.getByLabel('Display name').fill('Newbie ✨');
  await page.getByLabel('Avatar image address').fill('javascript:alert(1)');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await page.locator('#avatar_url-error').waitFor();
  assert.match(await page.locator('#avatar_url-error').textContent(), /http/);
  assert.equal(await page.getByLabel('Avatar image address').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.getByLabel('Display name').inputValue(), 'Newbie ✨');
  await page.getByLabel('Avatar image address').fill('https://img.example/me.png');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await page.locator('#profile-settings-heading ~ form .saved').waitFor();

  const css = `body { background: pink url(http://127.0.0.1:${tiles.address().port}/tile.png) repeat; }
h1 { color: rgb(200, 0, 100); }
.site-header, nav, header { display: none !important; }
body ~ * { display: none; }
h2 { position: fixed; top: 0; z-index: 2147483647; }`;
  await page.getByLabel('Your CSS').fill(css);
  // The live preview applies the sanitized CSS to the preview pane only.
  await page.waitForFunction(() => {
    const preview = document.querySelector('.profile-frame-preview .ts-profile');
    return preview && getComputedStyle(preview).backgroundColor === 'rgb(255, 192, 203)';
  }, null, { timeout: 10_000 });
  assert.notEqual(await page.locator('.site-header').evaluate((el) => getComputedStyle(el).display), 'none',
    'the preview cannot hide the site header');
  await page.getByRole('button', { name: 'Save style' }).click();
  await page.locator('#css-settings-heading ~ form .saved').waitFor();

  await chooseTopFriends(page, ['cy', 'ana', 'bo']);
  await chooseTopFriends(page, ['bo', 'cy', 'ana']);

  await page.getByRole('button', { name: 'Log out', exact: true }).click();
  await page.getByRole('link', { name: 'Log in' }).waitFor();
  // Chromium logs the deliberately refused save (422) as a failed resource; nothing else may appear.
  const unexpected = problems.filter((line) => !line.includes('status of 422 (Unprocessable Entity)'));
  assert.deepEqual(unexpected, [], 'no console errors while signing up and editing');
  assert.equal(problems.length - unexpected.length, 1, 'exactly the one refused save');
  await context.close();

  for (const javaScriptEnabled of [true, false]) {
    const visitor = await newContext({ javaScriptEnabled });
    const profile = await visitor.newPage();
    const visitorProblems = watchConsole(profile);
    const response = await profile.goto(`${server.url}/@newbie`);
    assert.equal(response.status(), 200);
    if (javaScriptEnabled) await hydrated(profile);
    await profile.waitForFunction(() => getComputedStyle(document.querySelector('.ts-profile')).backgroundColor === 'rgb(255, 192, 203)');
    const look = await profile.evaluate(() => {
      const style = (selector) => getComputedStyle(document.querySelector(selector));
      const heading = document.querySelector('.top-friends h2');
      return {
        background: style('.ts-profile').backgroundImage,
        name: style('.profile-name').color,
        header: style('.site-header').display,
        headerBackground: style('.site-header').backgroundImage,
        nav: style('.site-header nav').display,
        h2Position: getComputedStyle(heading).position,
        friends: [...document.querySelectorAll('.top-friend .friend-name')].map((el) => el.textContent),
      };
    });
    assert.ok(look.background.startsWith(`url("${server.url}/media/css/`), `the tile is shown from this site: ${look.background}`);
    assert.equal(look.name, 'rgb(200, 0, 100)');
    assert.notEqual(look.header, 'none', 'the site header is out of the profile CSS reach');
    assert.notEqual(look.nav, 'none');
    assert.match(look.headerBackground, /linear-gradient/, 'the header keeps the site look');
    assert.equal(look.h2Position, 'absolute', 'fixed positioning is neutralized');
    assert.deepEqual(look.friends, ['Bo', 'Cy', 'Ana'], 'Top Friends in the chosen order');
    assert.equal(await profile.locator('.profile-name').textContent(), 'Newbie ✨');
    if (javaScriptEnabled) assert.deepEqual(visitorProblems, []);
    await visitor.close();
  }
});

test('a hostile profile runs no script for its visitors or its owner', async () => {
  const context = await newContext();
  const page = await context.newPage();
  const dialogs = [];
  page.on('dialog', async (dialog) => { dialogs.push(dialog.message()); await dialog.dismiss(); });
  await signUp(page, server.url, 'mallory');

  // Through the same server functions the forms use, from the logged-in page.
  const statuses = await page.evaluate(async () => {
    const post = (path, fields) => fetch(path, { method: 'POST', body: new URLSearchParams(fields) }).then((r) => r.status);
    return [
      await post('/api/profiles/update', {
        display_name: '</title><script>window.__pwned=1</script>',
        bio: '</textarea><img src=x onerror="window.__pwned=2;alert(2)">',
        avatar_url: '', header_url: '',
      }),
      await post('/api/profiles/css', {
        custom_css: `p::after { content: '</style><script>window.__pwned=3</script>' }
body { background: url('javascript:window.__pwned=4') }
a { -moz-binding: url(https://img.example/x.xml); behavior: url(x.htc) }`,
      }),
    ];
  });
  assert.deepEqual(statuses, [200, 200]);

  for (const path of ['/@mallory', '/settings']) {
    await page.goto(`${server.url}${path}`);
    await hydrated(page);
    assert.equal(await page.evaluate(() => window.__pwned), undefined, `${path}: no injected script ran`);
    assert.equal(await page.locator('script:not([nonce])').count(), 0, `${path}: every script is ours`);
  }
  // The owner sees their text as typed, not as markup.
  assert.equal(await page.getByLabel('Bio').inputValue(), '</textarea><img src=x onerror="window.__pwned=2;alert(2)">');
  assert.deepEqual(dialogs, []);
  await context.close();
});
