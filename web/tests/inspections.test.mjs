// Inspection rounds on /field (docs/inspections.md) in headless Chromium
// against `inframap serve -demo`, on a phone: the inspector opens today's
// round (ordered as a walk from the device), goes offline, records one
// cover with a failed item and its photo and one clean cover, comes back
// online; each checklist lands once, and one defect case per failed item
// holds the photo.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServer, launchBrowser, newPage, token, call, signIn, PHOTOS } from './harness.mjs';

let server, browser, inspector;
let inspectedCover = null; // the asset the first test recorded a broken cover on
let openedCase = null; // the case the failed item of the first test opened
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  inspector = await token(server.url, 'inspector@demo');
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** round waits for the generator (run by serve at start) to have made today's round. */
async function round() {
  for (let i = 0; i < 120; i++) {
    const r = await call(server.url, inspector, 'GET', '/api/v1/inspections/round');
    assert.equal(r.status, 200);
    const covers = r.body.inspections.filter((x) => x.kind === 'manhole');
    if (covers.length >= 2) return r.body.inspections;
    await new Promise((res) => setTimeout(res, 250));
  }
  throw new Error('no round for inspector@demo');
}

test('an inspector works a round offline and syncs it: each checklist once, one case per failed item', async () => {
  const all = await round();
  const start = all.find((x) => x.kind === 'manhole');
  const page = await newPage(browser, { ...PHONE, geolocation: { latitude: start.lat, longitude: start.lon, accuracy: 8 }, permissions: ['geolocation'] });
  const posts = [];
  // Answers to checklists that reached the service (tries without signal get none).
  page.on('response', (r) => { if (r.request().method() === 'POST' && /\/api\/v1\/inspections\/\d+\/result$/.test(r.url())) posts.push(`${r.status()} ${r.url()}`); });
  await page.goto(`${server.url}/field?view=round`);
  await signIn(page, 'inspector@demo');
  const items = page.locator('[data-testid="round-item"]');
  await items.first().waitFor();
  // The walk starts at the device: the cover under it first.
  assert.equal(await items.first().getAttribute('data-id'), String(start.id));
  const second = await items.nth(1).getAttribute('data-id');
  const secondKind = all.find((x) => String(x.id) === second).kind;

  await page.context().setOffline(true);
  await page.waitForFunction(() => document.querySelector('[data-testid="net-status"]').dataset.online === 'false');
  // The first cover: broken, with a photo.
  await items.first().locator('[data-testid="round-open"]').click();
  await page.locator('[data-testid="inspect-form"]').waitFor();
  await page.check('[data-testid="check-broken_cover-fail"]');
  await page.setInputFiles('[data-testid="photo-broken_cover"]', join(PHOTOS, 'gps-ne.jpg'));
  await page.click('[data-testid="inspect-save"]');
  await page.locator('[data-testid="round-list"]').waitFor();
  await page.waitForFunction((id) => !document.querySelector(`[data-testid="round-item"][data-id="${id}"]`), String(start.id));
  // The next one: clean (a road section, if the walk leads to one, has no distress).
  await page.locator(`[data-testid="round-item"][data-id="${second}"] [data-testid="round-open"]`).click();
  await page.locator('[data-testid="inspect-form"]').waitFor();
  await page.click('[data-testid="inspect-save"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="pending-count"]').dataset.count === '3');
  const first = await call(server.url, inspector, 'GET', `/api/v1/inspections/${start.id}`);
  assert.equal(first.body.status, 'due', 'nothing reached the service offline');

  await page.context().setOffline(false);
  await page.waitForFunction(() => document.querySelector('[data-testid="pending-count"]').hidden, null, { timeout: 30_000 });
  const a = (await call(server.url, inspector, 'GET', `/api/v1/inspections/${start.id}`)).body;
  const b = (await call(server.url, inspector, 'GET', `/api/v1/inspections/${second}`)).body;
  assert.equal(a.status, 'done');
  assert.equal(b.status, 'done');
  assert.deepEqual(Object.keys(a.cases || {}), ['broken_cover'], 'one case for the one failed item');
  assert.deepEqual(Object.keys(b.cases || {}), [], 'a clean checklist opens nothing');
  if (secondKind === 'manhole') assert.equal(b.result.checks.broken_cover, 'ok');
  assert.equal(a.result.checks.broken_cover, 'fail');
  assert.deepEqual(a.result.position.map((c) => Number(c.toFixed(4))), [Number(start.lon.toFixed(4)), Number(start.lat.toFixed(4))]);
  const task = (await call(server.url, inspector, 'GET', `/api/v1/tasks/${a.cases.broken_cover.id}`)).body;
  assert.equal(task.source, 'inspector');
  assert.equal(task.asset_id, start.asset_id);
  inspectedCover = start.asset_id;
  assert.equal(task.inspection?.id, start.id, 'the case names the inspection that opened it');
  assert.equal(task.inspection.item, 'broken_cover');
  openedCase = task;
  const photos = (await call(server.url, inspector, 'GET', `/api/v1/tasks/${task.id}/photos`)).body.photos;
  assert.equal(photos.length, 1, 'the failed item\'s photo on its case, once');
  assert.deepEqual(posts.map((p) => p.split(' ')[0]), ['200', '200'], 'each checklist reached the service once');
  assert.match(await page.locator('[data-testid="round-status"]').innerText(), /已立案|cases opened/);
  assert.deepEqual(page.errors || [], []);
  await page.context().close();
});

test('the case a round opened says so in the console: which inspection, which round, what failed, when', async () => {
  assert.ok(openedCase, 'the round above opened a case');
  const page = await newPage(browser);
  await page.goto(`${server.url}/manage?task=${openedCase.id}`);
  await signIn(page, 'engineer@demo');
  const row = page.locator('[data-testid="task-inspection"]');
  await row.waitFor();
  const text = await row.innerText();
  assert.ok(text.includes(`#${openedCase.inspection.id}`), text);
  assert.ok(text.includes(openedCase.inspection.plan_name), `${text} names the round ${openedCase.inspection.plan_name}`);
  assert.ok(text.includes('井盖完好（无破损）') && text.includes('未通过'), text);
  assert.doesNotMatch(text, /\d{4}-\d\d-\d\dT|null|undefined|broken_cover/, 'nothing raw');
  assert.deepEqual(page.errors || [], []);
  await page.context().close();
});

test('the console shows coverage by sub-district, the missed queue and what is not yet inspected on the map', async () => {
  const engineer = await token(server.url, 'engineer@demo');
  const cov = (await call(server.url, engineer, 'GET', '/api/v1/inspections/coverage')).body;
  const page = await newPage(browser);
  await page.goto(`${server.url}/manage?tab=insp`);
  await signIn(page, 'engineer@demo');
  await page.locator('[data-testid="insp-coverage-row"]').first().waitFor();
  assert.equal(await page.locator('[data-testid="insp-coverage-row"]').count(), cov.coverage.length);
  const total = cov.totals.find((c) => c.kind === 'manhole');
  assert.match(await page.locator('[data-testid="insp-coverage-total"][data-kind="manhole"]').innerText(), new RegExp(`${total.inspected.toLocaleString('zh-CN')} / ${total.scheduled.toLocaleString('zh-CN')}`));
  // Not yet inspected: a point each on the map while the panel is open.
  await page.waitForFunction(() => document.querySelectorAll('.leaflet-overlay-pane path.leaflet-interactive').length > 100);
  await page.click('[data-testid="tab-queue"]');
  assert.deepEqual(page.errors || [], []);
  await page.context().close();
});

test('dispatching a cover\'s case offers the cover\'s owner unit', async () => {
  const engineer = await token(server.url, 'engineer@demo');
  const { tasks } = (await call(server.url, engineer, 'GET', '/api/v1/tasks?status=filed&limit=200')).body;
  const k = tasks.find((x) => x.asset?.kind === 'manhole' && !x.assignee);
  const owner = (await call(server.url, engineer, 'GET', `/api/v1/assets/${k.asset_id}/register`)).body;
  assert.ok(owner.crew, 'every cover category has an owner');
  const page = await newPage(browser);
  await page.goto(`${server.url}/manage?task=${k.id}`);
  await signIn(page, 'engineer@demo');
  await page.locator('[data-testid="transition-form"]').waitFor();
  await page.selectOption('[data-testid="transition-to"]', 'dispatched');
  await page.waitForFunction((crew) => document.querySelector('[data-testid="transition-crew"]').value === crew, owner.crew);
  await page.fill('[data-testid="transition-note"]', '派遣至权属单位');
  await page.click('[data-testid="transition-submit"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="task-status"]')?.textContent === '派遣');
  const after = (await call(server.url, engineer, 'GET', `/api/v1/tasks/${k.id}`)).body;
  assert.equal(after.assignee, owner.crew);
  await page.context().close();
});

test('the console shows a cover\'s file: owner unit, anti-fall net, last inspection and grade', async () => {
  assert.ok(inspectedCover, 'the round test ran first');
  const page = await newPage(browser);
  await page.goto(`${server.url}/manage?asset=${inspectedCover}`);
  await signIn(page, 'engineer@demo');
  await page.locator('[data-testid="cover-register"]:not([hidden])').waitFor();
  assert.equal(await page.locator('[data-testid="register-net"]').innerText(), '有');
  assert.equal(await page.locator('[data-testid="register-grade"]').innerText(), 'C 级', 'a broken cover is grade C');
  assert.match(await page.locator('[data-testid="register-lastInspected"]').innerText(), /^\d{4}-\d{2}-\d{2}$/);
  assert.ok((await page.locator('[data-testid="register-unit"]').innerText()).length > 0);
  await page.context().close();
});
