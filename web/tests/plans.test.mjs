// Inspection plans (巡查计划) in the console's 巡查 tab (docs/inspections.md),
// in headless Chromium against `inframap serve -demo`: an engineer sees the
// demo's plans in words, gets a bad frequency's error beside its field,
// creates a plan from the form, sees it listed in words and pauses it; the
// API then shows it paused. Nothing raw (codes, ISO dates, null) is shown.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startTiles, launchBrowser, newPage, token, call, signIn, unexpected } from './harness.mjs';

let server, tiles, browser, engineer;

/** RAW is what must never reach the list: ISO dates, null, internal codes, message keys. */
const RAW = /\d{4}-\d{2}-\d{2}|\bnull\b|undefined|NaN|manhole|road_repair|\bdays\b|weekly|monthly|arterial|\bplans\./;

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

test('an engineer creates a plan from the form, sees it in words, and pauses it', async () => {
  const page = await newPage(browser);
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${server.url}/manage?tab=insp&tile_origin=${encodeURIComponent(tiles.origin)}`);
  await signIn(page, 'engineer@demo');
  await page.locator('[data-testid="plan-form"]').waitFor();
  const items = page.locator('[data-testid="plan-item"]');
  await items.first().waitFor();
  // The demo's plans, in words: the arterial covers every 14 days from 5 January 2026.
  const demo = await page.locator('[data-testid="plans-list"]').innerText();
  assert.match(demo, /每14天/);
  assert.match(demo, /每月/);
  assert.match(demo, /每周/);
  assert.match(demo, /自2026年1月5日起/);
  assert.doesNotMatch(demo, RAW);

  // A bad frequency: every 0 days — the service's error beside the field.
  const name = `测试计划 ${Date.now()}`;
  await page.fill('[data-testid="plan-name"]', name);
  await page.selectOption('[data-testid="plan-frequency"]', 'days');
  await page.fill('[data-testid="plan-every-days"]', '0');
  await page.click('[data-testid="plan-create"]');
  const err = page.locator('[data-testid="error-every_days"]');
  await err.waitFor();
  assert.match(await err.innerText(), /间隔天数/);
  assert.equal(await page.getAttribute('[data-testid="plan-every-days"]', 'aria-invalid'), 'true');

  // Fixed: every 10 days, covers on arterials, storm-water covers, one sub-district.
  await page.fill('[data-testid="plan-every-days"]', '10');
  await page.check('[data-testid="plan-road_classes-arterial"]');
  await page.check('[data-testid="plan-cover_categories-0103"]');
  const zone = page.locator('input[name="subdistricts"]').first();
  const zoneName = await zone.getAttribute('value');
  await zone.check();
  await page.fill('[data-testid="plan-starts-on"]', '2026-03-02');
  await page.click('[data-testid="plan-create"]');
  const mine = items.filter({ hasText: name });
  await mine.waitFor();
  await page.locator('[data-testid="error-every_days"]').waitFor({ state: 'hidden' });
  const words = await mine.locator('[data-testid="plan-words"]').innerText();
  assert.match(words, /窨井/);
  assert.match(words, /主干路上/);
  assert.match(words, /雨水/);
  assert.ok(words.includes(zoneName), `${words} names ${zoneName}`);
  assert.match(words, /每10天/);
  assert.match(words, /自2026年3月2日起/);
  assert.match(words, /进行中/);
  assert.doesNotMatch(words, RAW);

  // Paused from the list.
  await mine.locator('[data-testid="plan-toggle"]').click();
  await page.locator(`[data-testid="plan-item"][data-active="false"]`).filter({ hasText: name }).waitFor();
  assert.match(await items.filter({ hasText: name }).locator('[data-testid="plan-words"]').innerText(), /已暂停/);

  const r = await call(server.url, engineer, 'GET', '/api/v1/inspection-plans');
  assert.equal(r.status, 200);
  const plan = r.body.plans.find((p) => p.name === name);
  assert.ok(plan, 'the plan is listed by the API');
  assert.equal(plan.active, false);
  assert.equal(plan.frequency, 'days');
  assert.equal(plan.every_days, 10);
  assert.deepEqual(plan.filter.road_classes, ['arterial']);
  assert.deepEqual(plan.filter.cover_categories, ['0103']);
  assert.equal(plan.version, 2);

  // The one 400 is the bad frequency's answer, on purpose.
  assert.deepEqual(unexpected(errors).filter((m) => !/status of 400/.test(m)), []);
});
