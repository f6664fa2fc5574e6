// Writes docs/screenshots/map.png, report-card.png (desktop) and
// map-phone.png (phone viewport) of the public map, map-plain.png (the map
// with the basemap unreachable: our roads and names alone), console.png (the
// engineers' console: the queue on the map, a task open) and field-phone.png
// (the inspectors' page on a phone, its map and the next job), against a
// freshly started demo service and the test tile server. Run by `make
// screenshots`.
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

  // No basemap (as on many government networks): the roads, their names and
  // the places from our own data.
  const road = (await getJSON(server.url, `/api/v1/assets?kind=road_repair&q=${encodeURIComponent('景阳大路')}&limit=1`)).features[0];
  const line = road.geometry.type === 'MultiLineString' ? road.geometry.coordinates[0] : road.geometry.coordinates;
  const [rlon, rlat] = line[Math.floor(line.length / 2)];
  page = await newPage(browser);
  await page.goto(`${server.url}/?tile_origin=${encodeURIComponent(`${tiles.origin}/down`)}&lat=${rlat}&lon=${rlon}&z=15.5`);
  await waitReady(page);
  await page.waitForSelector('.map--plain');
  await page.waitForTimeout(800);
  await page.screenshot({ path: join(out, 'map-plain.png') });
  await page.context().close();

  // The console: the open work on the map (overdue ringed, unassigned dashed),
  // the list beside it, one task open.
  page = await newPage(browser, { viewport: { width: 1440, height: 900 } });
  await page.goto(`${server.url}/manage?${q}&queue=open`);
  await signIn(page, 'engineer@demo');
  await page.waitForFunction(() => Number(document.querySelector('#map').dataset.queuePins || 0) > 0);
  await page.waitForTimeout(1200);
  await page.locator('[data-testid="queue-item"]').nth(1).click();
  await page.locator('[data-testid="task-ref"]').waitFor();
  await page.locator('[data-testid="task-close"]').click();
  await page.locator('[data-testid="queue-fit"]').click();
  await page.waitForTimeout(1200);
  await page.locator('[data-testid="queue-item"]').nth(1).click();
  await page.locator('[data-testid="task-ref"]').waitFor();
  await page.evaluate(() => document.querySelector('#map').dispatchEvent(new Event('resize')));
  await page.waitForTimeout(1500);
  await page.screenshot({ path: join(out, 'console.png') });
  await page.context().close();

  // The field page on a phone: the map and the assets nearest to the
  // inspector, the next job to verify.
  const mh = await getJSON(server.url, '/api/v1/assets?kind=manhole&limit=1');
  const [lon, lat] = mh.features[0].geometry.coordinates;
  page = await newPage(browser, { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
    geolocation: { latitude: lat, longitude: lon, accuracy: 8 }, permissions: ['geolocation'] });
  await page.goto(`${server.url}/field`);
  await signIn(page, 'inspector@demo');
  await page.click('[data-testid="field-locate"]');
  await page.locator('[data-testid="nearby-asset"]').first().waitFor();
  await page.locator('[data-testid="next-job"]:not([hidden])').waitFor();
  await page.waitForTimeout(800);
  await page.screenshot({ path: join(out, 'field-phone.png') });
  await page.context().close();
  console.log(`wrote ${out}/map.png, report-card.png, map-phone.png, map-plain.png, console.png, field-phone.png`);
} finally {
  await browser.close();
  await tiles.stop();
  await server.stop();
}
