// The evaluation (考核评价) in the engineers' console, in headless Chromium
// against `inframap serve -demo`: the ranked table with each rate's
// numerator and denominator, a chart per rate by month (uPlot), the lights
// by sub-district on the map, the downloads, both languages, and nothing raw
// (no ISO timestamps, codes, null) on the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startTiles, launchBrowser, newPage, token, call, signIn, unexpected } from './harness.mjs';

let server, tiles, browser, inspector;

/** RAW is what must never reach the page: ISO timestamps, null, internal codes, message keys. */
const RAW = /\d{4}-\d{2}-\d{2}T|\bnull\b|undefined|NaN|on_time_|\beval\./;

before(async () => {
  server = await startServer();
  tiles = await startTiles();
  browser = await launchBrowser();
  inspector = await token(server.url, 'inspector@demo');
});

after(async () => {
  await browser?.close();
  await tiles?.stop();
  await server?.stop();
});

test('the evaluation renders its ranked table, a chart per rate and the lights', async () => {
  // A case reported now, so that the current month has something to count.
  const { body: asset } = await call(server.url, inspector, 'GET', '/api/v1/assets?kind=manhole&limit=1');
  const made = await call(server.url, inspector, 'POST', '/api/v1/tasks',
    { json: { asset_id: asset.features[0].id, title: '井盖破损（考核测试）', work_type: 'broken_cover' } });
  assert.equal(made.status, 201, JSON.stringify(made.body));

  const page = await newPage(browser);
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${server.url}/manage?tab=eval&tile_origin=${encodeURIComponent(tiles.origin)}`);
  await signIn(page, 'engineer@demo');
  await page.locator('[data-testid="eval-table"]').waitFor();

  // Group by month over the demo's years: one row a month, ranked.
  await page.selectOption('[data-testid="eval-by"]', 'month');
  await page.fill('[data-testid="eval-from"]', '2022-01-01');
  await page.fill('[data-testid="eval-to"]', '2026-12-31');
  await page.click('[data-testid="eval-apply"]');
  // Wait for the table by month (the first answer, by unit, has rows too).
  await page.waitForFunction(() => {
    const first = document.querySelector('[data-testid="eval-row"] th');
    return first && /^\d{4}年\d{1,2}月$/.test(first.textContent) && [...document.querySelectorAll('[data-testid="eval-table"] thead th')].some((h) => h.textContent === '上报数');
  }, null, { timeout: 30_000 });
  const rows = await page.locator('[data-testid="eval-row"]').count();
  const heads = await page.locator('[data-testid="eval-table"] thead th').allTextContents();
  assert.ok(heads.includes('按期处置率') && heads.includes('综合得分') && heads.includes('上报数'), `headers: ${heads}`);
  const total = await page.locator('[data-testid="eval-total"]').textContent();
  assert.match(total, /合计/);
  const reported = await call(server.url, inspector, 'GET', '/api/v1/evaluation?by=month&from=2022-01-01&to=2026-12-31');
  assert.equal(reported.status, 200);
  assert.equal(rows, reported.body.rows.length, 'a table row per month');
  assert.match(await page.locator('[data-testid="eval-row"]').first().locator('th').textContent(), /^\d{4}年\d{1,2}月$/);

  // A chart per rate, drawn (a canvas), and described for screen readers.
  // (the reporters' 满意率 among them: nine rates).
  assert.equal(reported.body.rates.length, 9);
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid^="eval-chart-"] canvas').length === n, reported.body.rates.length, { timeout: 30_000 });
  const label = await page.locator('[data-testid="eval-chart-on_time_handling"]').getAttribute('aria-label');
  assert.match(label, /^按期处置率: /);

  // The lights: a row per sub-district, and the zones on the map.
  await page.locator('[data-testid="eval-light-row"]').first().waitFor();
  assert.ok(await page.locator('[data-testid="eval-light-row"]').count() >= 5);
  await page.waitForFunction(() => document.querySelectorAll('#map path.leaflet-interactive').length >= 5, null, { timeout: 30_000 });

  // The downloads carry the same window.
  const csv = await page.locator('[data-testid="eval-csv"]').getAttribute('href');
  assert.match(csv, /format=csv/);
  assert.match(csv, /from=2022-01-01/);
  const res = await page.evaluate(async (u) => { const r = await fetch(u); return [r.status, r.headers.get('content-type')]; },
    await page.locator('[data-testid="eval-xlsx"]').getAttribute('href'));
  assert.deepEqual(res, [200, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet']);

  // Nothing raw reaches the page.
  const raw = (s) => s.split('\n').filter((l) => RAW.test(l));
  assert.deepEqual(raw(await page.locator('[data-testid="panel-eval"]').innerText()), []);

  // English, one click away.
  await page.click('[data-testid="lang-en"]');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="eval-table"] thead th')].some((th) => th.textContent === 'On-time handling'), null, { timeout: 30_000 });
  const en = await page.locator('[data-testid="panel-eval"]').innerText();
  assert.match(en, /Evaluation/);
  assert.deepEqual(raw(en), []);
  assert.deepEqual(unexpected(errors), []);
  await page.close();
});
