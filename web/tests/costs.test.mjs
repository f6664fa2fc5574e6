// Costs (docs/costs.md) in headless Chromium against `inframap serve -demo`:
// an engineer enters a task's estimated and actual costs in 元 in the
// console's task panel, a bad line is refused beside its field and nothing
// is written, the saved totals read in 元, and the report card shows the
// programme's spent against its budget with the API's figures, in both
// languages and with nothing raw on the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startTiles, launchBrowser, newPage, token, call, signIn, unexpected } from './harness.mjs';

let server, tiles, browser, engineer, admin;

const RAW = /\d{4}-\d{2}-\d{2}T|\bnull\b|undefined|NaN|\bcosts\.|_fen\b/;

before(async () => {
  server = await startServer();
  tiles = await startTiles();
  browser = await launchBrowser();
  engineer = await token(server.url, 'engineer@demo');
  admin = await token(server.url, 'admin@demo');
});

after(async () => {
  await browser?.close();
  await tiles?.stop();
  await server?.stop();
});

/** yuan writes whole fen as the pages do: 123456 → "1,234.56 元". */
const yuan = (fen) => `${String(Math.floor(fen / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${String(fen % 100).padStart(2, '0')} 元`;

/** fillRow fills the last line of the costs form. */
async function fillRow(panel, { kind, category, description, quantity, unit, price, lump }) {
  await panel.locator('[data-testid="cost-add"]').click();
  const row = panel.locator('[data-testid="cost-row"]').last();
  await row.locator('[data-testid="cost-kind"]').selectOption(kind);
  await row.locator('[data-testid="cost-category"]').selectOption(category);
  if (description) await row.locator('[data-testid="cost-description"]').fill(description);
  if (quantity !== undefined) await row.locator('[data-testid="cost-quantity"]').fill(quantity);
  if (unit !== undefined) await row.locator('[data-testid="cost-unit"]').fill(unit);
  if (price !== undefined) await row.locator('[data-testid="cost-price"]').fill(price);
  if (lump !== undefined) await row.locator('[data-testid="cost-lump"]').fill(lump);
  return row;
}

test('an engineer enters a task\'s costs in 元 and the report card shows the programme\'s spent against its budget', async () => {
  // The routine programme has no published budget: an admin sets one (50万元).
  const set = await call(server.url, admin, 'PUT', '/api/v1/costs/budgets/routine', { json: { budget_fen: 50_000_000 } });
  assert.equal(set.status, 200, JSON.stringify(set.body));
  const { body: list } = await call(server.url, engineer, 'GET', '/api/v1/tasks?status=in_progress&programme=routine&limit=1');
  const task = list.tasks[0];
  assert.ok(task, 'a routine task in progress');
  // The roll-up read before the change (and so cached): the change must show through it.
  const first = (await call(server.url, engineer, 'GET', '/api/v1/costs?by=programme')).body;
  assert.equal(first.rows.find((x) => x.key === 'routine').actual_fen, 0);

  const page = await newPage(browser);
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${server.url}/manage?tile_origin=${encodeURIComponent(tiles.origin)}&task=${task.id}`);
  await signIn(page, 'engineer@demo');
  const panel = page.locator('[data-testid="task-panel"]');
  await panel.locator('[data-testid="costs-form"]').waitFor();
  assert.equal(await panel.locator('[data-testid="costs-total-actual"]').innerText(), '0.00 元');

  // 10.25 h × 60.01 元 = 615.1025 → 615.10 元, worked out as the service does.
  const labour = await fillRow(panel, { kind: 'estimate', category: 'labour', description: '两人灌缝', quantity: '10.25', price: '60.01' });
  assert.equal(await labour.locator('[data-testid="cost-amount"]').innerText(), '615.10 元');
  await fillRow(panel, { kind: 'actual', category: 'materials', description: '沥青', quantity: '1.25', unit: 't', price: '480' });
  await fillRow(panel, { kind: 'actual', category: 'equipment', description: '压路机台班', lump: '1200' });
  // A price with a fraction of a fen: refused beside its field, nothing written.
  const bad = await fillRow(panel, { kind: 'actual', category: 'labour', quantity: '2', price: '50.005' });
  await panel.locator('[data-testid="costs-save"]').click();
  const err = bad.locator('[data-testid="error-lines[3].price"]');
  await err.waitFor();
  assert.match(await err.innerText(), /整数分/);
  assert.equal((await call(server.url, engineer, 'GET', `/api/v1/tasks/${task.id}/costs`)).body.lines.length, 0, 'nothing half-written');
  await bad.locator('[data-testid="cost-remove"]').click();

  await panel.locator('[data-testid="costs-save"]').click();
  await panel.locator('[data-testid="task-saved"]').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid="costs-total-actual"]')?.textContent === '1,800.00 元', null, { timeout: 30_000 });
  assert.equal(await panel.locator('[data-testid="costs-total-estimate"]').innerText(), '615.10 元');
  assert.equal(await panel.locator('[data-testid="costs-line"]').count(), 3);
  const api = (await call(server.url, engineer, 'GET', `/api/v1/tasks/${task.id}/costs`)).body;
  assert.deepEqual([api.totals.estimate.total_fen, api.totals.actual.total_fen], [61510, 180000]);
  assert.match(await panel.locator('[data-testid="task-history"]').innerText(), /实际费用.*0\.00 元.*1,800\.00 元/s);

  // The report card: the routine programme's spent against its budget, as the API says.
  await page.goto(`${server.url}/manage?tile_origin=${encodeURIComponent(tiles.origin)}&tab=eval`);
  const row = page.locator('[data-testid="costs-row"][data-key="routine"]');
  await row.waitFor({ timeout: 30_000 });
  const { body: rep } = await call(server.url, engineer, 'GET', '/api/v1/costs?by=programme');
  const r = rep.rows.find((x) => x.key === 'routine');
  assert.equal(r.actual_fen, 180000);
  assert.equal(await row.locator('[data-testid="costs-actual"]').innerText(), yuan(r.actual_fen));
  assert.equal(await row.locator('[data-testid="costs-budget"]').innerText(), '500,000.00 元');
  assert.equal(await row.locator('[data-testid="costs-remaining"]').innerText(), yuan(r.remaining_fen));
  assert.equal(await row.locator('[data-testid="costs-share"]').innerText(), `${(Number(r.share_spent) * 100).toFixed(2)}%`);
  assert.match(await row.locator('[data-testid="costs-bar"]').getAttribute('aria-label'), /已支出 1,800\.00 元，预算 500,000\.00 元/);
  // Xihu North's published investment is its budget.
  const xhb = page.locator('[data-testid="costs-row"][data-key="XHB-1-1"]');
  assert.equal(await xhb.locator('[data-testid="costs-budget"]').innerText(), '92,487,800.00 元');

  // The downloads answer with the files.
  for (const [id, type] of [['costs-csv', 'text/csv; charset=utf-8'], ['costs-xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet']]) {
    const href = await page.locator(`[data-testid="${id}"]`).getAttribute('href');
    const res = await page.evaluate(async (u) => { const x = await fetch(u); return [x.status, x.headers.get('content-type')]; }, href);
    assert.deepEqual(res, [200, type], id);
  }
  const raw = (s) => s.split('\n').filter((l) => RAW.test(l));
  assert.deepEqual(raw(await page.locator('[data-testid="eval-costs"]').innerText()), []);

  // English: ¥ and the same figures.
  await page.click('[data-testid="lang-en"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="costs-row"][data-key="routine"] [data-testid="costs-actual"]')?.textContent === '¥1,800.00', null, { timeout: 30_000 });
  assert.deepEqual(raw(await page.locator('[data-testid="eval-costs"]').innerText()), []);
  // The one refused request is the bad line above.
  assert.deepEqual(unexpected(errors).filter((m) => !m.includes('422')), []);
  await page.close();
});
