// The inspectors' field page (/field) in headless Chromium against
// `inframap serve -demo`, on a phone-sized screen: nearest assets, photos
// queued offline and landing exactly once, a lost answer retried without a
// duplicate, verification, a 412 on sync shown to the inspector, the page
// opening without signal, the keyboard, axe.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServer, launchBrowser, newPage, getJSON, token, call, signIn, unexpected, axeCheck, PHOTOS, PASSWORD } from './harness.mjs';

let server, browser, engineer, inspector;
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const used = new Set();

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  engineer = await token(server.url, 'engineer@demo');
  inspector = await token(server.url, 'inspector@demo');
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function doneTask() {
  const { tasks } = await getJSON(server.url, '/api/v1/tasks?status=done&limit=100');
  const k = tasks.find((x) => !used.has(x.id));
  used.add(k.id);
  return k;
}

async function fieldPage(params = '', opts = {}) {
  const page = await newPage(browser, { ...PHONE, ...opts });
  await page.goto(`${server.url}/field${params}`);
  await signIn(page, 'inspector@demo');
  return page;
}

const photosOf = async (id) => (await call(server.url, inspector, 'GET', `/api/v1/tasks/${id}/photos`)).body.photos;

test('the nearest assets are listed by distance from the device', async () => {
  const { features } = await getJSON(server.url, '/api/v1/assets?kind=manhole&limit=1');
  const [lon, lat] = features[0].geometry.coordinates;
  const page = await fieldPage('', { geolocation: { latitude: lat, longitude: lon, accuracy: 9 }, permissions: ['geolocation'] });
  await page.click('[data-testid="field-locate"]');
  await page.locator('[data-testid="nearby-asset"]').first().waitFor();
  assert.match(await page.locator('[data-testid="field-position"]').innerText(), /精度约 9 米/);
  assert.equal(await page.locator('[data-testid="nearby-asset"]').first().getAttribute('data-id'), String(features[0].id), 'the asset under the device first');
  const d = await page.locator('[data-testid="nearby-distance"]').allInnerTexts();
  const m = d.map((x) => (x.includes('公里') ? parseFloat(x) * 1000 : parseFloat(x)));
  assert.deepEqual(m, [...m].sort((a, b) => a - b), 'sorted by distance');
  assert.ok(m.every((x) => x <= 450), 'all within the search box');
  // Opening one lists its tasks and offers to report a defect on it.
  await page.locator('[data-testid="nearby-asset"]').first().click();
  await page.locator('[data-testid="asset-title"]').waitFor();
  assert.equal(await page.locator('[data-testid="asset-title"]').innerText(), features[0].properties.name);
  await page.click('[data-testid="report-defect"]');
  await page.fill('[data-testid="defect-title"]', '井盖松动');
  await page.selectOption('[data-testid="defect-priority"]', 'high');
  await page.setInputFiles('[data-testid="defect-photo"]', join(PHOTOS, 'noexif.jpg'));
  await page.click('[data-testid="defect-submit"]');
  await page.locator('[data-testid="outbox-empty"]').waitFor();
  const { tasks } = await getJSON(server.url, `/api/v1/tasks?asset=${features[0].id}&status=reported`);
  const mine = tasks.find((k) => k.title === '井盖松动');
  assert.ok(mine, 'the defect is a reported task on the asset');
  assert.equal(mine.source, 'inspector');
  assert.equal(mine.priority, 'high');
  const ph = await photosOf(mine.id);
  assert.equal(ph.length, 1);
  assert.equal(ph[0].stage, 'before');
  assert.equal(ph[0].location_source, 'device', 'no EXIF: the device\'s position');
  assert.equal(ph[0].accuracy_m, 9);
  await page.context().close();
});

test('offline, a photo waits in the outbox; back online exactly one lands and shows as a thumbnail', async () => {
  const k = await doneTask();
  const page = await fieldPage(`?view=task&task=${k.id}`, { geolocation: { latitude: 43.9, longitude: 125.2, accuracy: 30 }, permissions: ['geolocation'] });
  await page.locator('[data-testid="task-title"]').waitFor();
  assert.equal(await page.locator('[data-testid="task-title"]').innerText(), k.title);
  assert.ok(await page.locator('[data-testid="needs-after"]').isVisible(), 'closing needs an after photo, and says so');
  assert.ok(await page.locator('[data-testid="verify-pass"]').isDisabled());

  await page.context().setOffline(true);
  await page.waitForFunction(() => document.querySelector('[data-testid="net-status"]').dataset.online === 'false');
  assert.equal(await page.inputValue('[data-testid="photo-stage"]'), 'after', 'done work: the after stage by default');
  await page.setInputFiles('[data-testid="photo-input"]', join(PHOTOS, 'gps-ne.jpg'));
  await page.locator('[data-testid="pending-photos"] img').waitFor();
  assert.match(await page.locator('[data-testid="photo-status"]').innerText(), /离线/);
  await page.waitForFunction(() => document.querySelector('[data-testid="pending-count"]').dataset.count === '1');
  // The outbox shows it, waiting; a try without signal changes nothing.
  await page.click('[data-testid="pending-count"]');
  const item = page.locator('[data-testid="outbox-item"]');
  await item.waitFor();
  assert.equal(await item.getAttribute('data-kind'), 'photo');
  assert.equal(await item.getAttribute('data-state'), 'pending');
  await page.click('[data-testid="outbox-sync"]');
  await page.waitForTimeout(500);
  assert.equal((await photosOf(k.id)).length, 0, 'nothing reached the service offline');
  // The exact resized bytes and fields are in IndexedDB.
  const stored = await page.evaluate(() => new Promise((resolve) => {
    const r = indexedDB.open('inframap-field');
    r.onsuccess = () => {
      const q = r.result.transaction('outbox').objectStore('outbox').getAll();
      q.onsuccess = () => resolve(q.result.map((x) => ({ kind: x.kind, key: x.key, fields: x.fields, size: x.blob.size, type: x.blob.type })));
    };
  }));
  assert.equal(stored.length, 1);
  assert.equal(stored[0].type, 'image/jpeg');
  assert.ok(stored[0].key, 'an idempotency key made once and kept with it');
  assert.deepEqual({ ...stored[0].fields }, { stage: 'after', lat: 43.88, lon: 125.27, location_source: 'exif', captured_at: '2024-06-15T10:30:00.25+08:00' }, 'EXIF position and time read in the page');

  const uploads = [];
  page.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith(`/api/v1/tasks/${k.id}/photos`)) uploads.push(r.headers()['idempotency-key']); });
  await page.context().setOffline(false);
  await page.locator('[data-testid="outbox-empty"]').waitFor({ timeout: 20_000 });
  const landed = await photosOf(k.id);
  assert.equal(landed.length, 1, 'exactly one photo');
  assert.equal(landed[0].stage, 'after');
  assert.equal(landed[0].taken_at, '2024-06-15T02:30:00.25Z');
  assert.deepEqual(landed[0].location.coordinates.map((c) => Number(c.toFixed(4))), [125.27, 43.88]);
  assert.equal(landed[0].location_source, 'exif', 'the position read from the photo before resizing counts as EXIF');
  assert.deepEqual(uploads, [stored[0].key], 'sent once, with the stored key');
  await page.waitForFunction(() => document.querySelector('[data-testid="pending-count"]').hidden);

  // Back on the task: the thumbnail is there, and the work can be verified.
  await page.click('[data-testid="nav-verify"]');
  await page.locator(`[data-testid="task-item"][data-id="${k.id}"]`).click();
  const thumb = page.locator('[data-testid="task-photos"] [data-testid="photo-thumb"][data-stage="after"]');
  await thumb.first().waitFor();
  // Wait for the image itself, not for its element: on a busy machine it decodes a moment later.
  await thumb.first().locator('img').evaluate((img) => (img.complete && img.naturalWidth > 0) || new Promise((resolve) => img.addEventListener('load', resolve, { once: true })));
  assert.ok(await thumb.first().locator('img').evaluate((img) => img.complete && img.naturalWidth > 0), 'the thumbnail loads');
  await page.fill('[data-testid="verify-note"]', '现场核查合格');
  await page.click('[data-testid="verify-pass"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="task-status"]')?.textContent === '结案', null, { timeout: 20_000 });
  const closed = await getJSON(server.url, `/api/v1/tasks/${k.id}`);
  assert.equal(closed.status, 'closed');
  assert.equal(closed.history.at(-1).note, '现场核查合格');
  assert.deepEqual(page.errors || [], []);
  await page.context().close();
});

test('an upload whose answer is lost is sent again with its key, and the service keeps one photo', async () => {
  const k = await doneTask();
  // Service workers off: the test intercepts the page's own requests.
  const page = await fieldPage(`?view=task&task=${k.id}`, { serviceWorkers: 'block' });
  await page.locator('[data-testid="task-title"]').waitFor();
  const keys = [];
  let first = true;
  await page.route(`**/api/v1/tasks/${k.id}/photos`, async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    keys.push(route.request().headers()['idempotency-key']);
    if (first) {
      first = false;
      await route.fetch(); // the service stores it…
      return route.abort('connectionreset'); // …and the answer never arrives
    }
    return route.continue();
  });
  await page.setInputFiles('[data-testid="photo-input"]', join(PHOTOS, 'noexif.jpg'));
  try {
    await page.waitForFunction(() => document.querySelector('[data-testid="pending-count"]').hidden === true && document.querySelectorAll('[data-testid="task-photos"] [data-testid="photo-strip"] [data-testid="photo-thumb"]').length === 1, null, { timeout: 30_000 });
  } catch (err) {
    console.log('keys', keys, await page.locator('[data-testid="pending-count"]').innerText(), await photosOf(k.id), page.errors, page.consoleErrors);
    throw err;
  }
  assert.equal(keys.length, 2, 'sent twice');
  assert.equal(keys[0], keys[1], 'with the same key');
  assert.equal((await photosOf(k.id)).length, 1, 'one photo');
  await page.context().close();
});

test('a step queued on a version someone else changed is shown as a conflict, not dropped', async () => {
  const k = await doneTask();
  const page = await fieldPage(`?view=task&task=${k.id}`);
  await page.locator('[data-testid="verify"]').waitFor();
  await page.context().setOffline(true);
  await page.fill('[data-testid="verify-note"]', '井盖仍有响声');
  await page.click('[data-testid="verify-fail"]');
  await page.locator('[data-testid="pending-transition"]').waitFor();
  // Meanwhile an engineer changes the task.
  const patched = await call(server.url, engineer, 'PATCH', `/api/v1/tasks/${k.id}`, { json: { priority: 'urgent', note: '加急（工程师）' }, headers: { 'If-Match': `"${k.version}"` } });
  assert.equal(patched.status, 200);
  await page.context().setOffline(false);
  await page.click('[data-testid="pending-count"]');
  const conflict = page.locator('[data-testid="outbox-conflict"]');
  await conflict.waitFor({ timeout: 20_000 });
  assert.match(await conflict.innerText(), new RegExp(`${k.ref}.*版本 ${k.version}`, 's'));
  assert.match(await conflict.innerText(), /处置完成（版本 \d+）/);
  assert.match(await conflict.innerText(), /engineer@demo/);
  assert.equal((await getJSON(server.url, `/api/v1/tasks/${k.id}`)).status, 'done', 'nothing happened behind the inspector\'s back');
  assert.match(await page.locator('[data-testid="pending-count"]').innerText(), /需处理/);
  // The inspector decides: send it again on the current version.
  await page.click('[data-testid="outbox-resend"]');
  await page.locator('[data-testid="outbox-empty"]').waitFor({ timeout: 20_000 });
  const now = await getJSON(server.url, `/api/v1/tasks/${k.id}`);
  assert.equal(now.status, 'in_progress');
  assert.equal(now.history.at(-1).note, '井盖仍有响声');
  await page.context().close();
});

test('without signal the page still opens, from the service worker', async () => {
  const page = await fieldPage();
  await page.waitForFunction(async () => (await navigator.serviceWorker.getRegistration('/field'))?.active?.state === 'activated', null, { timeout: 20_000 });
  await page.reload(); // now controlled, the shell and the last answers are kept
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  assert.ok(await page.evaluate(() => !!navigator.serviceWorker.controller), 'controlled by /sw.js');
  assert.equal(await page.evaluate(async () => (await navigator.serviceWorker.getRegistration('/field')).active.scriptURL.replace(location.origin, '')), '/sw.js');
  await page.context().setOffline(true);
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 20_000 });
  assert.equal(await page.locator('h1').innerText(), '现场巡查');
  assert.equal(await page.locator('[data-testid="net-status"]').getAttribute('data-online'), 'false');
  assert.ok(await page.locator('[data-testid="field-locate"]').isVisible());
  await page.context().setOffline(false);
  await page.context().close();
});

test('keyboard only: sign in, find a task to verify, queue an after photo', async () => {
  const k = await doneTask();
  const page = await newPage(browser, PHONE);
  await page.goto(`${server.url}/field`);
  await page.locator('[data-testid="login-email"]').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'login-email');
  await page.keyboard.type('inspector@demo');
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  const tabTo = async (sel, max = 300) => {
    for (let i = 0; i < max; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate((s) => document.activeElement.matches(s), sel)) return;
    }
    throw new Error(`Tab never reached ${sel}`);
  };
  await tabTo('[data-testid="nav-verify"]');
  await page.keyboard.press('Enter');
  await page.locator(`[data-testid="task-item"][data-id="${k.id}"]`).waitFor();
  await tabTo(`[data-testid="task-item"][data-id="${k.id}"]`);
  await page.keyboard.press('Enter');
  await page.locator('[data-testid="task-title"]').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'task-h', 'focus on the task\'s heading');
  await tabTo('[data-testid="photo-stage"]');
  await tabTo('[data-testid="photo-input"]');
  // The camera input is reached by Tab; opening the chooser from there is the browser's own (Space/Enter), so
  // the file is given to the focused input directly.
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'photo-input');
  await page.locator(':focus').setInputFiles(join(PHOTOS, 'gps-ne.jpg'));
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="photo-strip"] [data-testid="photo-thumb"][data-stage="after"]').length === 1, null, { timeout: 20_000 });
  assert.equal((await photosOf(k.id)).length, 1);
  assert.deepEqual(unexpected(page.consoleErrors), []);
  await page.context().close();
});

test('axe-core finds no serious or critical violation on /field', async () => {
  const k = await doneTask();
  const page = await newPage(browser, { ...PHONE, bypassCSP: true, geolocation: { latitude: 43.874, longitude: 125.206, accuracy: 10 }, permissions: ['geolocation'] });
  await page.goto(`${server.url}/field`);
  await page.locator('[data-testid="login-form"]').waitFor();
  await axeCheck(page, 'sign-in', assert);
  await signIn(page, 'inspector@demo');
  await page.click('[data-testid="field-locate"]');
  await page.locator('[data-testid="nearby-asset"]').first().waitFor();
  await axeCheck(page, 'nearby', assert);
  await page.goto(`${server.url}/field?view=task&task=${k.id}`);
  await page.locator('[data-testid="verify"]').waitFor();
  await axeCheck(page, 'task', assert);
  await page.context().setOffline(true);
  await page.setInputFiles('[data-testid="photo-input"]', join(PHOTOS, 'noexif.jpg'));
  await page.locator('[data-testid="pending-photos"]').waitFor();
  await page.click('[data-testid="pending-count"]');
  await page.locator('[data-testid="outbox-item"]').waitFor();
  await axeCheck(page, 'outbox', assert);
  await page.context().setOffline(false);
  await page.context().close();
});
