// 我也遇到 ("me too") on the public map, in headless Chromium against
// `inframap serve -demo`: a resident says an open case affects them too; a
// second tap from the same device does not count again, a second device
// does, and the page remembers it said so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startTiles, launchBrowser, newPage, waitReady, getJSON } from './harness.mjs';

let server, tiles, browser;

before(async () => {
  server = await startServer();
  tiles = await startTiles();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await tiles?.stop();
  await server?.stop();
});

test('a resident says 我也遇到 on an open case once per device, and the count shows', async () => {
  const { tasks } = await getJSON(server.url, '/api/v1/tasks?status=dispatched&programme=routine&limit=1');
  const task = tasks[0];
  assert.ok(task && task.asset_id, 'an open routine case on an asset');
  const before = task.supports;
  const open = async (page) => {
    await page.goto(`${server.url}/?tile_origin=${encodeURIComponent(tiles.origin)}&id=${task.asset_id}`);
    await waitReady(page);
    const button = page.locator('[data-testid="details-task"]', { hasText: task.ref }).locator('[data-testid="me-too"]');
    await button.waitFor();
    return button;
  };
  const page = await newPage(browser);
  let button = await open(page);
  assert.equal(await button.innerText(), '我也遇到');
  await button.click();
  await page.waitForFunction((n) => document.querySelector('[data-testid="me-too-count"]')?.textContent === `${n} 位市民也遇到`, before + 1);
  assert.equal(await button.isDisabled(), true);
  assert.match(await page.locator('[data-testid="me-too-status"]').innerText(), /已记录/);
  // The same device after a reload: said already, counted once.
  button = await open(page);
  assert.equal(await button.isDisabled(), true);
  assert.equal(await button.innerText(), '已表示我也遇到');
  assert.equal((await getJSON(server.url, `/api/v1/tasks/${task.id}`)).supports, before + 1);
  await page.context().close();
  // Another device (a fresh browser context) counts once more.
  const other = await newPage(browser);
  button = await open(other);
  await button.click();
  await other.waitForFunction((n) => document.querySelector('[data-testid="me-too-count"]')?.textContent === `${n} 位市民也遇到`, before + 2);
  assert.equal((await getJSON(server.url, `/api/v1/tasks/${task.id}`)).supports, before + 2);
  await other.context().close();
});

test('reporting from a manhole\'s details starts with a manhole service and its place', async () => {
  const { features } = await getJSON(server.url, '/api/v1/assets?kind=manhole&limit=1');
  const mh = features[0];
  const page = await newPage(browser);
  await page.goto(`${server.url}/?tile_origin=${encodeURIComponent(tiles.origin)}&id=${mh.id}`);
  await waitReady(page);
  await page.locator('[data-testid="details-report"]').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="problem-service"]')?.value === 'manhole_broken');
  await page.waitForFunction(() => (document.querySelector('[data-testid="problem-location"]')?.textContent || '').trim() !== '');
  // The person may still choose another problem.
  await page.selectOption('[data-testid="problem-service"]', 'manhole_missing');
  assert.equal(await page.locator('[data-testid="problem-service"]').inputValue(), 'manhole_missing');
  await page.context().close();
});

test('the nearby warning lists open work of the same kind of problem only', async () => {
  const { tasks } = await getJSON(server.url, '/api/v1/tasks?status=reported,filed&kind=manhole&programme=routine&limit=1');
  const task = tasks[0];
  assert.ok(task, 'an open routine case on a manhole');
  const asset = await getJSON(server.url, `/api/v1/assets/${task.asset_id}`);
  const [lon, lat] = asset.geometry.coordinates;
  const page = await newPage(browser);
  await page.goto(`${server.url}/?tile_origin=${encodeURIComponent(tiles.origin)}&lat=${lat}&lon=${lon}&z=19&tab=problem`);
  await waitReady(page);
  await page.click('[data-testid="problem-centre"]');
  const listed = () => page.evaluate(() => [...document.querySelectorAll('[data-testid="nearby-item"]')].map((li) => li.textContent));
  // No problem chosen yet: the manhole's case is named.
  await page.waitForFunction((ref) => [...document.querySelectorAll('[data-testid="nearby-item"]')].some((li) => li.textContent.includes(ref)), task.ref);
  // A pothole is another kind of problem: the manhole's case is not.
  await page.selectOption('[data-testid="problem-service"]', 'pothole');
  await page.waitForFunction((ref) => ![...document.querySelectorAll('[data-testid="nearby-item"]')].some((li) => li.textContent.includes(ref)), task.ref);
  // A broken cover is the same kind: it is named again.
  await page.selectOption('[data-testid="problem-service"]', 'manhole_broken');
  await page.waitForFunction((ref) => [...document.querySelectorAll('[data-testid="nearby-item"]')].some((li) => li.textContent.includes(ref)), task.ref);
  assert.ok((await listed()).some((t) => t.includes(task.ref)));
  await page.context().close();
});
