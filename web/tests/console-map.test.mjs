// The map-first console (/manage) in headless Chromium against
// `inframap serve -demo`: the queue drawn on the map (pins by status and
// priority, clusters, a legend counting overdue, urgent and unassigned work),
// list and map selecting together, the queue sorted by priority and by
// distance from the map's centre, saved filters per person, and photos added
// from the desk. In Chinese on a desktop and in English on a phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, startTiles, launchBrowser, newPage, getJSON, token, call, signIn, unexpected, axeCheck, PHOTOS } from './harness.mjs';

let server, tiles, browser, engineer;

before(async () => {
  server = await startServer();
  tiles = await startTiles();
  browser = await launchBrowser();
  engineer = await token(server.url, 'engineer@demo');
});

after(async () => {
  await browser?.close();
  await tiles?.stop();
  await server?.stop();
});

const OPEN = 'status=filed,dispatched,in_progress';
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

async function consolePage(params = '', opts = {}, lang = 'zh') {
  const page = await newPage(browser, opts);
  if (lang === 'en') await page.addInitScript(() => localStorage.setItem('inframap.lang', 'en'));
  await page.goto(`${server.url}/manage?tile_origin=${encodeURIComponent(tiles.origin)}${params}`);
  await signIn(page, 'engineer@demo');
  return page;
}

/** pinsDrawn waits until the map has drawn the queue it loaded, and returns its count. */
async function pinsDrawn(page) {
  await page.waitForFunction(() => document.querySelector('[data-testid="queue-list"]')?.dataset.loaded
    && document.querySelector('#map').dataset.queuePins !== undefined);
  return Number(await page.locator('#map').getAttribute('data-queue-pins'));
}

/** settled waits until the map's pins stay the same for half a second (clusters animate). */
async function settled(page) {
  let last = '';
  for (let i = 0; i < 60; i++) {
    const now = await page.evaluate(() => [...document.querySelectorAll('[data-testid="queue-pin"], .q-cluster')].map((e) => e.dataset.id || e.textContent).join(','));
    if (now === last) return;
    last = now;
    await page.waitForTimeout(500);
  }
}

/** shownOnMap counts the queue's tasks on the map: single pins plus the members of clusters. */
async function shownOnMap(page) {
  return page.evaluate(() => {
    const pins = document.querySelectorAll('[data-testid="queue-pin"]').length;
    const inClusters = [...document.querySelectorAll('[data-testid="queue-cluster-count"]')].reduce((n, e) => n + Number(e.textContent), 0);
    return pins + inClusters;
  });
}

test('the queue on the map: every placed task a pin or in a cluster, the legend counts it, list and map select together', async () => {
  // axe-core is injected as a script: the page's CSP is bypassed for it.
  const page = await consolePage('&queue=open', { bypassCSP: true });
  const { tasks } = await getJSON(server.url, `/api/v1/tasks?${OPEN}&order=priority&limit=200`);
  const placed = tasks.filter((k) => k.place);
  assert.ok(placed.length > 20, `the demo has ${placed.length} open placed tasks`);
  assert.equal(await pinsDrawn(page), placed.length, 'pins drawn');
  // At the queue's extent some pins gather into clusters; all are there.
  await page.waitForFunction((n) => {
    const pins = document.querySelectorAll('[data-testid="queue-pin"]').length;
    const inClusters = [...document.querySelectorAll('[data-testid="queue-cluster-count"]')].reduce((s, e) => s + Number(e.textContent), 0);
    return pins + inClusters === n;
  }, placed.length);
  assert.ok(await page.locator('[data-testid="queue-cluster-count"]').count() > 0, 'some clustered at the queue extent');
  assert.equal(await shownOnMap(page), placed.length);

  // The legend says what needs a look, as the API counts it.
  const late = tasks.filter((k) => k.overdue).length;
  const urgent = tasks.filter((k) => k.priority === 'urgent').length;
  const free = tasks.filter((k) => k.status === 'filed' && !k.assignee).length;
  assert.ok(late > 0 && free > 0, `the demo has overdue (${late}) and unassigned (${free}) open work`);
  const legend = page.locator('[data-testid="queue-legend"]');
  assert.equal(await legend.locator('[data-testid="queue-legend-late"]').getAttribute('data-n'), String(late));
  assert.equal(await legend.locator('[data-testid="queue-legend-urgent"]').getAttribute('data-n'), String(urgent));
  assert.equal(await legend.locator('[data-testid="queue-legend-unassigned"]').getAttribute('data-n'), String(free));
  assert.match(await legend.innerText(), new RegExp(`逾期 ${late} 件`));
  // Unassigned work is flagged in the list too.
  assert.equal(await page.locator('[data-testid="queue-unassigned"]').count(), free);

  // A row selects its pin: the map comes to it and marks it.
  const first = placed[0];
  await page.locator(`[data-testid="queue-item"][data-id="${first.id}"]`).click();
  await page.locator('[data-testid="task-ref"]').waitFor();
  assert.equal(await page.locator('[data-testid="task-ref"]').innerText(), first.ref);
  const pin = page.locator(`[data-testid="queue-pin"][data-id="${first.id}"]`);
  await pin.waitFor();
  assert.equal(await pin.getAttribute('aria-current'), 'true');
  assert.equal(await page.locator(`[data-testid="queue-item"][data-id="${first.id}"]`).getAttribute('aria-current'), 'true');

  // A pin selects its row: another task's pin opens it and marks its row.
  await page.locator('[data-testid="task-panel"] [data-testid="task-close"]').click();
  await page.locator('[data-testid="queue-fit"]').click();
  await settled(page);
  const other = await page.evaluate((firstId) => {
    const p = [...document.querySelectorAll('[data-testid="queue-pin"]')].find((e) => e.dataset.id !== String(firstId));
    return p && Number(p.dataset.id);
  }, first.id);
  assert.ok(other, 'another single pin at the queue extent');
  await page.locator(`[data-testid="queue-pin"][data-id="${other}"]`).click();
  await page.waitForFunction((id) => document.querySelector(`[data-testid="queue-item"][data-id="${id}"]`)?.getAttribute('aria-current') === 'true', other);
  const ref = tasks.find((k) => k.id === other).ref;
  await page.waitForFunction((r) => document.querySelector('[data-testid="task-ref"]')?.textContent === r, ref);
  assert.equal(await page.locator('[data-testid="queue-item"][aria-current="true"]').count(), 1, 'one row marked');
  assert.equal(new URL(page.url()).searchParams.get('task'), String(other));

  // A cluster opens to its members.
  await page.locator('[data-testid="task-panel"] [data-testid="task-close"]').click();
  await page.locator('[data-testid="queue-fit"]').click();
  await settled(page);
  const before = await page.locator('[data-testid="queue-pin"]').count();
  await page.locator('.q-cluster').first().click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="queue-pin"]').length > n, before);

  await axeCheck(page, '/manage with the queue on the map', assert);
  assert.deepEqual(page.errors || [], []);
  assert.deepEqual(unexpected(page.consoleErrors), []);
  await page.context().close();
});

test('the queue sorts by priority (the default) and by distance from the map centre, kept in the address', async () => {
  const page = await consolePage('&queue=open');
  await pinsDrawn(page);
  assert.equal(await page.locator('[data-testid="queue-sort"]').inputValue(), 'priority');
  const rank = { urgent: 0, high: 1, normal: 2, low: 3 };
  const prios = await page.locator('[data-testid="queue-item"]').evaluateAll((bs) => bs.map((b) => b.dataset.priority));
  for (let i = 1; i < prios.length; i++) assert.ok(rank[prios[i]] >= rank[prios[i - 1]], `priority order at ${i}: ${prios[i - 1]} then ${prios[i]}`);
  assert.equal(prios[0], 'high', 'the demo has no urgent open task; high leads');

  // Distance: the first row is the task nearest the map's centre.
  const loaded = await page.locator('[data-testid="queue-list"]').getAttribute('data-loaded');
  const req = page.waitForRequest((r) => r.url().includes('/api/v1/tasks?') && r.url().includes('order=distance'));
  await page.selectOption('[data-testid="queue-sort"]', 'distance');
  const near = new URL((await req).url()).searchParams.get('near');
  assert.match(near, /^125\.\d+,43\.\d+$/);
  await page.waitForFunction((l) => document.querySelector('[data-testid="queue-list"]').dataset.loaded !== l, loaded);
  const { tasks } = await getJSON(server.url, `/api/v1/tasks?${OPEN}&order=distance&near=${near}&limit=200`);
  const rows = await page.locator('[data-testid="queue-item"]').evaluateAll((bs) => bs.map((b) => Number(b.dataset.id)));
  assert.deepEqual(rows.slice(0, 5), tasks.slice(0, 5).map((k) => k.id));
  assert.equal(new URL(page.url()).searchParams.get('sort'), 'distance');

  // Moving the map sorts again around its new centre.
  const again = page.waitForRequest((r) => r.url().includes('order=distance') && new URL(r.url()).searchParams.get('near') !== near);
  // Panned from the keyboard (Leaflet's arrow keys), as a person without a
  // mouse would; a drag could start on a pin under the pointer.
  await page.locator('#map').focus();
  for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowRight');
  const moved = new URL((await again).url()).searchParams.get('near');
  const after = (await getJSON(server.url, `/api/v1/tasks?${OPEN}&order=distance&near=${moved}&limit=200`)).tasks;
  assert.notEqual(moved, near, 'a new centre');
  await page.waitForFunction((ids) => {
    const rows = [...document.querySelectorAll('[data-testid="queue-item"]')].slice(0, 3).map((b) => Number(b.dataset.id));
    return JSON.stringify(rows) === JSON.stringify(ids);
  }, after.slice(0, 3).map((k) => k.id));
  await page.context().close();
});

test('saved filters: an engineer names a view of the queue, finds it after a reload, applies and deletes it (English, phone)', async () => {
  const page = await consolePage('', PHONE, 'en');
  await pinsDrawn(page);
  await page.locator('[data-testid="queue-overdue"]').click();
  await page.selectOption('[data-testid="queue-kind"]', 'manhole');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('kind') === 'manhole');
  await page.locator('[data-testid="saved-filters"] summary').click();
  await page.fill('[data-testid="saved-filter-name"]', 'Late covers');
  await page.locator('[data-testid="saved-filter-form"] button[type=submit]').click();
  await page.locator('[data-testid="saved-filter"][data-name="Late covers"]').waitFor();
  assert.match(await page.locator('[data-testid="saved-filter-status"]').innerText(), /Saved the filter “Late covers”/);

  // Another visit, from the plain address: the filter is there and applies.
  await page.goto(`${server.url}/manage?tile_origin=${encodeURIComponent(tiles.origin)}`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  assert.equal(await page.locator('[data-testid="queue-reported"]').getAttribute('aria-pressed'), 'true');
  await page.locator('[data-testid="saved-filters"] summary').click();
  const req = page.waitForRequest((r) => r.url().includes('/api/v1/tasks?') && r.url().includes('overdue=true') && r.url().includes('kind=manhole'));
  await page.locator('[data-testid="saved-filter"][data-name="Late covers"]').click();
  await req;
  assert.equal(await page.locator('[data-testid="queue-overdue"]').getAttribute('aria-pressed'), 'true');
  assert.equal(await page.locator('[data-testid="queue-kind"]').inputValue(), 'manhole');
  const { tasks } = await getJSON(server.url, '/api/v1/tasks?overdue=true&kind=manhole&order=priority&limit=200');
  await page.waitForFunction((n) => document.querySelector('[data-testid="queue-count"]')?.dataset.count === String(n), tasks.length);

  // Another person on this browser does not see it.
  const stored = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('inframap.queueFilters.')));
  assert.equal(stored.length, 1);

  await page.locator('[data-testid="saved-filters"] summary').click().catch(() => {});
  if (!(await page.locator('[data-testid="saved-filter-delete"]').isVisible())) await page.locator('[data-testid="saved-filters"] summary').click();
  await page.locator('[data-testid="saved-filter-delete"]').click();
  await page.waitForFunction(() => !document.querySelector('[data-testid="saved-filter"]'));
  assert.match(await page.locator('[data-testid="saved-filter-list"]').innerText(), /No saved filters yet/);
  // On a phone the page does not scroll sideways.
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1));
  assert.deepEqual(page.errors || [], []);
  await page.context().close();
});

test('photos from the desk: an engineer adds a camera JPEG to a task; the service reads where and when from its EXIF', async () => {
  const { tasks } = await getJSON(server.url, '/api/v1/tasks?status=in_progress&limit=50');
  const task = tasks[0];
  const beforeN = (await call(server.url, engineer, 'GET', `/api/v1/tasks/${task.id}/photos`)).body.photos.length;
  // The task's photos are held back until the files are chosen: their
  // arrival must not take the choice away (it once redrew the form).
  let release;
  const held = new Promise((r) => { release = r; });
  const page = await newPage(browser);
  await page.route(`**/api/v1/tasks/${task.id}/photos`, async (route) => {
    if (route.request().method() === 'GET') await held;
    await route.continue();
  });
  await page.goto(`${server.url}/manage?tile_origin=${encodeURIComponent(tiles.origin)}&queue=open&task=${task.id}`);
  await signIn(page, 'engineer@demo');
  const form = page.locator('[data-testid="desk-photo-form"]');
  await form.waitFor();
  assert.equal(await form.locator('[data-testid="desk-photo-stage"]').inputValue(), 'after', 'work in hand defaults to after');
  await form.locator('[data-testid="desk-photo-input"]').setInputFiles([
    { name: 'gps-ne.jpg', mimeType: 'image/jpeg', buffer: readFileSync(join(PHOTOS, 'gps-ne.jpg')) },
    { name: 'noexif.jpg', mimeType: 'image/jpeg', buffer: readFileSync(join(PHOTOS, 'noexif.jpg')) },
  ]);
  release();
  await page.locator('[data-testid="task-gallery"][data-read="true"]').waitFor();
  assert.equal(await form.locator('[data-testid="desk-photo-input"]').evaluate((i) => i.files.length), 2, 'the files chosen are kept when the photos arrive');
  await form.locator('button[type=submit]').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="desk-photo-status"]')?.dataset.done === '2');
  assert.match(await page.locator('[data-testid="desk-photo-status"]').innerText(), /已上传 2 张照片/);
  const { photos } = (await call(server.url, engineer, 'GET', `/api/v1/tasks/${task.id}/photos`)).body;
  assert.equal(photos.length, beforeN + 2);
  const withGPS = photos.find((p) => p.location_source === 'exif');
  assert.ok(withGPS, 'the camera photo kept its EXIF position');
  assert.ok(photos.slice(-2).every((p) => p.stage === 'after'));
  // The new photos are in the panel.
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="task-photos"] img').length >= n, Math.min(beforeN + 2, 2));

  // A file that is not a photo is refused with the service's reason, in words.
  await form.locator('[data-testid="desk-photo-input"]').setInputFiles([{ name: 'text.jpg', mimeType: 'image/jpeg', buffer: readFileSync(join(PHOTOS, 'text.jpg')) }]);
  await page.locator('[data-testid="desk-photo-form"] button[type=submit]').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="desk-photo-status"]')?.dataset.kind === 'error');
  const said = await page.locator('[data-testid="desk-photo-status"]').innerText();
  assert.match(said, /已上传 0 张，共 1 张/);
  assert.doesNotMatch(said, /unsupported|media type|null|undefined/i);
  assert.equal((await call(server.url, engineer, 'GET', `/api/v1/tasks/${task.id}/photos`)).body.photos.length, beforeN + 2);
  await page.context().close();
});

test('notices: a case handed back reaches the engineer who dispatched it, in the console, and opens from there', async () => {
  const admin = await token(server.url, 'admin@demo');
  const { tasks } = await getJSON(server.url, '/api/v1/tasks?status=filed&limit=50');
  const k = tasks.find((x) => x.asset_id);
  let cur = (await call(server.url, engineer, 'GET', `/api/v1/tasks/${k.id}`)).body;
  let r = await call(server.url, engineer, 'POST', `/api/v1/tasks/${k.id}/transitions`,
    { json: { to: 'dispatched', assignee: '绿园区市政养护一队' }, headers: { 'If-Match': `"${cur.version}"` } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  r = await call(server.url, admin, 'POST', `/api/v1/tasks/${k.id}/transitions`,
    { json: { to: 'filed', note: '不属于本队养护范围' }, headers: { 'If-Match': `"${r.body.version}"` } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  // The outbox's dispatcher delivers it: wait for the notice itself.
  let mine = [];
  for (let i = 0; i < 200 && !mine.length; i++) {
    mine = (await call(server.url, engineer, 'GET', '/api/v1/notices')).body.notices.filter((n) => n.params.task === k.id);
    if (!mine.length) await new Promise((res) => setTimeout(res, 100));
  }
  assert.equal(mine.length, 1, 'one notice for the engineer who dispatched');
  assert.equal(mine[0].kind, 'task.handed_back');

  const page = await consolePage();
  const button = page.locator('[data-testid="notices-button"]');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="notices-button"]')?.dataset.unread || 0) >= 1);
  assert.match(await button.innerText(), /^通知（\d+ 条未读）$/);
  await button.click();
  const item = page.locator(`[data-testid="notice-item"][data-kind="task.handed_back"]`).first();
  await item.waitFor();
  assert.equal(await item.locator('.item-name').innerText(), `${k.ref}「${k.title}」被回退：不属于本队养护范围`);
  const before = Number(await button.getAttribute('data-unread'));
  await item.click();
  await page.waitForFunction((ref) => document.querySelector('[data-testid="task-ref"]')?.textContent === ref, k.ref);
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid="notices-button"]').dataset.unread) === n - 1, before);
  const after = (await call(server.url, engineer, 'GET', '/api/v1/notices')).body.notices.find((n) => n.id === mine[0].id);
  assert.ok(after.read_at, 'marked read');
  assert.deepEqual(page.errors || [], []);
  await page.context().close();
});
