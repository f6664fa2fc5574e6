// Writes docs/screenshots/map.png, report-card.png (desktop) and
// map-phone.png (phone viewport) of the public map, against a freshly
// started demo service and the test tile server. Run by `make screenshots`.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, startTiles, launchBrowser, newPage, waitReady, ROOT } from '../tests/harness.mjs';

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
  console.log(`wrote ${out}/map.png, report-card.png, map-phone.png`);
} finally {
  await browser.close();
  await tiles.stop();
  await server.stop();
}
