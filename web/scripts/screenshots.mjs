// Writes docs/screenshots/map.png, report-card.png (desktop) and
// map-phone.png (phone viewport) of the public map, console.png (the
// engineers' console with a task open) and field-phone.png (the inspectors'
// page on a phone), against a freshly started demo service and the test tile
// server. Run by `make screenshots`.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, startTiles, launchBrowser, newPage, waitReady, signIn, getJSON, ROOT } from '../tests/harness.mjs';

const out = join(ROOT, 'docs', 'screenshots');
mkdirSync(out, { recursive: true });
const server = await startServer();
const tiles = await startTiles();
const browser = await launchBrowser();
try {
  const q = `tile_origin=${encodeURIComponent(tiles.origin)}`;
  let page = await newPage(browser);
  await page.goto(`${server.url}/?${q}`);
  await waitReady(page);
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(out, 'map.png') });
  await page.context().close();

  // The report card is long: a tall window shows it whole, chart included.
  page = await newPage(browser, { viewport: { width: 1280, height: 1640 } });
  await page.goto(`${server.url}/?${q}&tab=report`);
  await waitReady(page);
  await page.waitForSelector('[data-testid=chart] canvas');
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(out, 'report-card.png') });
  await page.context().close();

  page = await newPage(browser, { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  await page.goto(`${server.url}/?${q}`);
  await waitReady(page);
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(out, 'map-phone.png') });
  await page.context().close();

  // The console: a resident's report open, ready to be filed.
  const { tasks } = await getJSON(server.url, '/api/v1/tasks?status=reported&source=resident&limit=20');
  const task = tasks.find((k) => k.asset_id) || tasks[0];
  page = await newPage(browser);
  await page.goto(`${server.url}/manage?${q}&task=${task.id}`);
  await signIn(page, 'engineer@demo');
  await page.locator('[data-testid="transition-form"]').waitFor();
  await page.waitForTimeout(1500);
  await page.screenshot({ path: join(out, 'console.png') });
  await page.context().close();

  // The field page on a phone: the assets nearest to the inspector.
  const mh = await getJSON(server.url, '/api/v1/assets?kind=manhole&limit=1');
  const [lon, lat] = mh.features[0].geometry.coordinates;
  page = await newPage(browser, { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
    geolocation: { latitude: lat, longitude: lon, accuracy: 8 }, permissions: ['geolocation'] });
  await page.goto(`${server.url}/field`);
  await signIn(page, 'inspector@demo');
  await page.click('[data-testid="field-locate"]');
  await page.locator('[data-testid="nearby-asset"]').first().waitFor();
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(out, 'field-phone.png') });
  await page.context().close();
  console.log(`wrote ${out}/map.png, report-card.png, map-phone.png, console.png, field-phone.png`);
} finally {
  await browser.close();
  await tiles.stop();
  await server.stop();
}
