// Condition in the engineers' console, in headless Chromium against
// `inframap serve -demo`: the ranked work list (worst first, in the API's
// order), the map switched to the style "by condition" with its legend and
// each graded road drawn in its grade's colour, and an item opened with its
// condition history chart. A distress recorded through the API moves the
// section to the top of the list.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startTiles, launchBrowser, newPage, token, call, signIn, unexpected, waitReady } from './harness.mjs';

let server, tiles, browser, engineer;

const RAW = /\d{4}-\d{2}-\d{2}T|\bnull\b|undefined|NaN|\bcond\.|\bwork\./;

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

test('an engineer sees the ranked work list, the condition style and a history chart', async () => {
  // A heavy pothole over a section: it becomes the worst and leads the list.
  const roads = await call(server.url, engineer, 'GET', '/api/v1/assets?kind=road_repair&limit=1');
  const road = roads.body.features[0];
  const rec = await call(server.url, engineer, 'POST', `/api/v1/assets/${road.id}/distresses`,
    { json: { kind: 'pothole', severity: 'heavy', extent_m2: road.properties.length_m * road.properties.width_m } });
  assert.equal(rec.status, 201, JSON.stringify(rec.body));
  const api = await call(server.url, engineer, 'GET', '/api/v1/worklist?limit=25');
  assert.equal(api.status, 200);
  assert.equal(api.body.items[0].asset_id, road.id, 'the section with a pothole over all of it is the worst');
  assert.equal(api.body.items[0].condition_grade, 'D');

  const page = await newPage(browser);
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${server.url}/manage?tab=work&tile_origin=${encodeURIComponent(tiles.origin)}`);
  await signIn(page, 'engineer@demo');
  await page.waitForFunction(() => document.querySelector('[data-testid="panel-work"]')?.dataset.loaded === 'true', null, { timeout: 30_000 });

  // The list: worst first, in the order the API ranks.
  const ids = await page.locator('[data-testid="work-item"]').evaluateAll((bs) => bs.map((b) => Number(b.dataset.id)));
  assert.deepEqual(ids, api.body.items.map((w) => w.asset_id));
  assert.match(await page.locator('[data-testid="work-item"]').first().textContent(), /D 差/);
  assert.doesNotMatch(await page.locator('[data-testid="panel-work"]').textContent(), RAW);

  // The condition style: a legend, and the roads drawn in their grade's colour.
  await page.click('[data-testid="style-condition"]');
  const legend = await page.locator('[data-testid="condition-legend"] li').evaluateAll((lis) =>
    Object.fromEntries(lis.map((li) => [li.dataset.grade, li.querySelector('.cond-swatch').dataset.color])));
  assert.deepEqual(Object.keys(legend), ['A', 'B', 'C', 'D', 'none']);
  assert.notEqual(legend.A, legend.D);
  await page.click('[data-testid="work-item"] >> nth=0');
  await page.waitForFunction((id) => document.querySelector(`[data-testid="condition-feature"][data-id="${id}"]`), road.id, { timeout: 30_000 });
  const drawn = await page.locator('[data-testid="condition-feature"]').evaluateAll((ps) =>
    ps.map((p) => ({ id: Number(p.dataset.id), grade: p.dataset.grade, stroke: p.getAttribute('stroke') })));
  assert.ok(drawn.length >= 1);
  for (const d of drawn) assert.equal(d.stroke, legend[d.grade], `feature ${d.id} of grade ${d.grade} is drawn in the legend's colour`);
  assert.equal(drawn.find((d) => d.id === road.id).stroke, legend.D, 'the worst section is drawn red');

  // Its condition and history: the seeded before and after, and the pothole.
  await page.locator('[data-testid="condition-chart"]').waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('[data-testid="work-detail-title"]').textContent(), road.properties.name);
  const points = await page.locator('[data-testid="condition-point"]').evaluateAll((cs) => cs.map((c) => c.dataset.grade));
  assert.equal(points.length, 3, `history points: ${points}`);
  assert.equal(points.at(-1), 'D');
  assert.equal(await page.locator('[data-testid="condition-grade"]').getAttribute('data-grade'), 'D');
  assert.doesNotMatch(await page.locator('[data-testid="work-detail"]').textContent(), RAW);

  // Back to the status colours: the condition layer leaves the map.
  await page.click('[data-testid="style-status"]');
  await page.waitForFunction(() => !document.querySelector('[data-testid="condition-feature"]'));
  assert.deepEqual(unexpected(errors), []);
});

test('the public map colours the roads by condition and shows a section\'s history', async () => {
  const page = await newPage(browser);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${server.url}/?tile_origin=${encodeURIComponent(tiles.origin)}`);
  await waitReady(page);
  // By status first: a road is drawn in a status colour.
  await page.click('[data-testid="style-condition"]');
  const legend = await page.locator('[data-testid="condition-legend"] li').evaluateAll((lis) =>
    Object.fromEntries(lis.map((li) => [li.dataset.grade, li.querySelector('.cond-swatch').dataset.color])));
  assert.deepEqual(Object.keys(legend), ['A', 'B', 'C', 'D', 'none']);
  await page.waitForFunction((a) => [...document.querySelectorAll('[data-testid="feature"][data-kind="road_repair"]')]
    .some((p) => p.getAttribute('stroke') === a), legend.A, { timeout: 30_000 });
  const roads = await page.locator('[data-testid="feature"][data-kind="road_repair"]').evaluateAll((ps) =>
    ps.map((p) => ({ grade: p.dataset.grade, stroke: p.getAttribute('stroke') })));
  assert.ok(roads.length > 10);
  for (const r of roads) assert.equal(r.stroke, legend[r.grade], `a road of grade ${r.grade}`);
  // Back to status: no road keeps a grade colour that is not a status colour.
  await page.click('[data-testid="style-status"]');
  await page.waitForFunction(() => !document.querySelector('[data-testid="condition-legend"]'));
  // A section's details carry its condition and history chart.
  const roadId = await page.locator('[data-testid="feature"][data-kind="road_repair"]').first().getAttribute('data-id');
  await page.goto(`${server.url}/?tile_origin=${encodeURIComponent(tiles.origin)}&id=${roadId}`);
  await page.locator('[data-testid="condition-chart"]').waitFor({ timeout: 30_000 });
  assert.ok(await page.locator('[data-testid="condition-point"]').count() >= 2);
  assert.deepEqual(errors, []);
});
