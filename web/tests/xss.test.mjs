// Text that people type is shown as text on every page. An engineer names an
// asset, titles a task and writes notes, a resident describes a problem, an
// administrator names a crew and a user, each with markup that would run a
// script if a page put it in as HTML; the public map, the console and the
// field page then show those records, and nothing may run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer, startTiles, launchBrowser, newPage, waitReady, token, call, signIn, unexpected, PHOTOS } from './harness.mjs';

let server, tiles, browser;
const made = {};

// Each payload tries a different way in: an element with a handler, a
// script element, an attribute broken out of, and a javascript: link.
const payload = (what) => `${what} <img src=x onerror="window.__xss='${what}'"><script>window.__xss='${what}'</script>`
  + `"><svg onload="window.__xss='${what}'"> <a href="javascript:window.__xss=1">x</a> & 'q'`;

// Names limited to 100 characters get the element with a handler alone.
const short = (what) => `${what}<img src=x onerror="window.__xss='${what}'">`;

before(async () => {
  server = await startServer();
  tiles = await startTiles();
  browser = await launchBrowser();
  const engineer = await token(server.url, 'engineer@demo');
  const admin = await token(server.url, 'admin@demo');
  const ok = (r, what) => { assert.ok(r.status < 300, `${what}: ${r.status} ${JSON.stringify(r.body)}`); return r.body; };

  made.asset = ok(await call(server.url, engineer, 'POST', '/api/v1/assets', { json: {
    type: 'Feature', geometry: { type: 'Point', coordinates: [125.2703, 43.8803] },
    properties: { kind: 'manhole', code: '2201060103998877', name: payload('asset'), name_en: payload('asset-en'), cover_category: '0103', defect_grade: 2 },
  } }), 'asset');
  made.road = ok(await call(server.url, engineer, 'POST', '/api/v1/assets', { json: {
    type: 'Feature', geometry: { type: 'LineString', coordinates: [[125.2706, 43.8806], [125.2716, 43.8812]] },
    properties: { kind: 'road_repair', code: 'DL-XSS-1', name: payload('road'), area_m2: 1200 },
  } }), 'road');
  made.task = ok(await call(server.url, engineer, 'POST', '/api/v1/tasks', {
    json: { asset_id: made.asset.id, title: payload('title'), description: payload('description') },
  }), 'task');
  ok(await call(server.url, engineer, 'POST', `/api/v1/tasks/${made.task.id}/transitions`, {
    json: { to: 'filed', note: payload('note') }, headers: { 'If-Match': `"${made.task.version}"` },
  }), 'transition');
  ok(await call(server.url, admin, 'POST', '/api/v1/crews', { json: { name: short('crew') } }), 'crew');
  ok(await call(server.url, admin, 'POST', '/api/v1/users', { json: {
    email: 'xss@demo', name: short('user'), role: 'engineer', password: 'a long password for the xss test',
  } }), 'user');

  // A resident's report, as the public form sends it.
  const form = new FormData();
  for (const [k, v] of Object.entries({ service_code: 'manhole_broken', lat: '43.8804', lon: '125.2704', description: payload('report'), name: short('reporter') })) form.set(k, v);
  form.set('photo', new Blob([await readFile(join(PHOTOS, 'gps-ne.jpg'))], { type: 'image/jpeg' }), 'gps-ne.jpg');
  const r = await fetch(server.url + '/api/v1/reports', { method: 'POST', body: form, headers: { 'Idempotency-Key': `xss-${Date.now()}` } });
  assert.equal(r.status, 201, await r.clone().text());
  made.report = await r.json();
});

after(async () => {
  await browser?.close();
  await tiles?.stop();
  await server?.stop();
});

/** clean says nothing ran and no payload became an element. */
async function assertClean(page, where) {
  await page.waitForTimeout(300); // an image's onerror fires after its failed load
  assert.equal(await page.evaluate(() => window.__xss), undefined, `${where}: a script ran`);
  assert.equal(await page.locator('img[src="x"], svg[onload], a[href^="javascript:"]').count(), 0, `${where}: markup became elements`);
  assert.deepEqual(page.errors || [], [], `${where}: script errors`);
}

test('the public map shows the typed text as text, in the details and the list', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.url}/?tile_origin=${encodeURIComponent(tiles.origin)}&id=${made.asset.id}`);
  await waitReady(page);
  const title = page.locator('[data-testid="details-title"]');
  await page.locator('[data-testid="details-history"]').waitFor();
  assert.equal(await title.innerText(), payload('asset'));
  const details = await page.locator('[data-testid="details"]').innerText();
  assert.ok(details.includes(payload('title')), 'the task title, literally');
  assert.ok(details.includes(payload('note')), 'the transition note, literally');
  // The list view, searched for the asset.
  await page.fill('[data-testid="search"]', '2201060103998877');
  await page.click('[role=tab][data-tab="list"]');
  await page.waitForFunction((name) => document.querySelector('#panel-list').innerText.includes(name), payload('asset'));
  // In English the English name shows.
  await page.click('[data-lang="en"]');
  await page.waitForFunction((name) => document.body.innerText.includes(name), payload('asset-en'));
  await assertClean(page, 'public map in English');
  // The hover tip of a road (Leaflet would put a string in as HTML).
  await page.goto(`${server.url}/?tile_origin=${encodeURIComponent(tiles.origin)}&id=${made.road.id}&lat=43.8809&lon=125.2711&z=18`);
  await waitReady(page);
  await page.locator(`path[data-testid="feature"][data-id="${made.road.id}"]`).hover({ force: true });
  const tip = page.locator('.feat-tip');
  await tip.waitFor();
  assert.equal(await tip.innerText(), payload('road'));
  await assertClean(page, 'public map');
  await page.context().close();
});

test('a resident following their report sees its description and the engineer\'s note as text', async () => {
  const engineer = await token(server.url, 'engineer@demo');
  const { tasks } = await (await fetch(`${server.url}/api/v1/tasks?q=${encodeURIComponent(made.report.ref)}`, { headers: { Authorization: `Bearer ${engineer}` } })).json();
  const k = tasks.find((x) => x.ref === made.report.ref);
  assert.ok(k, 'the report is a task');
  const filed = await call(server.url, engineer, 'POST', `/api/v1/tasks/${k.id}/transitions`,
    { json: { to: 'filed', note: payload('public note') }, headers: { 'If-Match': `"${k.version}"` } });
  assert.equal(filed.status, 200, JSON.stringify(filed.body));
  const page = await newPage(browser);
  await page.goto(`${server.url}/?tile_origin=${encodeURIComponent(tiles.origin)}&tab=problem`);
  await waitReady(page);
  await page.fill('[data-testid="follow-ref"]', made.report.ref);
  await page.click('[data-testid="follow-submit"]');
  await page.locator('[data-testid="follow-status"]').waitFor();
  const out = await page.locator('[data-testid="follow-result"]').innerText();
  assert.ok(out.includes(payload('report')), 'the description, literally');
  assert.ok(out.includes(payload('public note')), 'the engineer\'s note, literally');
  await assertClean(page, 'following a report');
  await page.context().close();
});

test('the console shows the task, the crew, the user and the audit as text', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.url}/manage?tile_origin=${encodeURIComponent(tiles.origin)}&task=${made.task.id}`);
  await signIn(page, 'admin@demo');
  const panel = page.locator('[data-testid="task-panel"]');
  await panel.waitFor();
  // Wait for everything the panel is to show: the asset's name comes with a later answer than the title.
  await page.waitForFunction((all) => all.every((s) => document.querySelector('[data-testid="task-panel"]').innerText.includes(s)),
    [payload('title'), payload('description'), payload('asset')]);
  const text = await panel.innerText();
  assert.ok(text.includes(payload('description')), 'description, literally');
  assert.ok(text.includes(payload('asset')), 'the asset\'s name, literally');
  // The reported task of the resident is in the queue with its description as title.
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="queue-item"]').length > 0);
  await assertClean(page, 'console task');
  // Administration: crews, users, audit.
  await page.click('[data-testid="tab-admin"]');
  await page.waitForFunction((s) => document.body.innerText.includes(s), short('user'), { timeout: 20_000 });
  await page.waitForFunction((s) => document.body.innerText.includes(s), short('crew'), { timeout: 20_000 });
  await assertClean(page, 'console administration');
  assert.deepEqual(unexpected(page.consoleErrors), [], 'no console error (CSP included)');
  await page.context().close();
});

test('the field page shows nearby assets and the task as text', async () => {
  const page = await newPage(browser, { geolocation: { latitude: 43.8803, longitude: 125.2703, accuracy: 10 }, permissions: ['geolocation'] });
  await page.goto(`${server.url}/field`);
  await signIn(page, 'inspector@demo');
  await page.click('[data-testid="field-locate"]');
  await page.waitForFunction((s) => document.body.innerText.includes(s), payload('asset'), { timeout: 20_000 });
  await assertClean(page, 'field nearby');
  await page.goto(`${server.url}/field?view=task&task=${made.task.id}`);
  await page.waitForFunction((s) => document.body.innerText.includes(s), payload('title'), { timeout: 20_000 });
  await assertClean(page, 'field task');
  await page.context().close();
});
