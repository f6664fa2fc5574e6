// Writes docs/screenshots/map.png, report-card.png (desktop) and
// map-phone.png (phone viewport) of the public map, map-plain.png (the map
// with the basemap unreachable: our roads and names alone), console.png (the
// engineers' console: the queue on the map, a task open), worklist.png (the
// console's work list, the map coloured by condition, a section's history),
// field-phone.png (the inspectors' page on a phone, its map and the next
// job) and field-round.png (today's round on a phone, a cover's checklist
// open), against a freshly started demo service and the test tile server.
// Run by `make screenshots`; `node scripts/screenshots.mjs worklist
// field-round` writes only the named ones.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, startTiles, launchBrowser, newPage, waitReady, signIn, getJSON, token, call, ROOT } from '../tests/harness.mjs';

const NAMES = ['map', 'report-card', 'map-phone', 'map-plain', 'console', 'worklist', 'field-phone', 'field-round'];
const only = process.argv.slice(2);
for (const n of only) if (!NAMES.includes(n)) throw new Error(`unknown screenshot ${n}; known: ${NAMES.join(', ')}`);
/** want says whether this run writes the named screenshot. */
const want = (n) => !only.length || only.includes(n);
const written = [];

const out = join(ROOT, 'docs', 'screenshots');
mkdirSync(out, { recursive: true });
const server = await startServer();
const tiles = await startTiles();
const browser = await launchBrowser();
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

/** shot writes page as name.png and closes it. */
async function shot(page, name) {
  await page.screenshot({ path: join(out, `${name}.png`) });
  await page.context().close();
  written.push(`${name}.png`);
}

try {
  const q = `tile_origin=${encodeURIComponent(tiles.origin)}`;
  let page;
  if (want('map')) {
    page = await newPage(browser);
    await page.goto(`${server.url}/?${q}`);
    await waitReady(page);
    await page.waitForTimeout(500);
    await shot(page, 'map');
  }

  // The report card is long: a tall window shows it whole, chart included.
  if (want('report-card')) {
    page = await newPage(browser, { viewport: { width: 1280, height: 1640 } });
    await page.goto(`${server.url}/?${q}&tab=report`);
    await waitReady(page);
    await page.waitForSelector('[data-testid=chart] canvas');
    await page.waitForTimeout(300);
    await shot(page, 'report-card');
  }

  if (want('map-phone')) {
    page = await newPage(browser, PHONE);
    await page.goto(`${server.url}/?${q}`);
    await waitReady(page);
    await page.waitForTimeout(500);
    await shot(page, 'map-phone');
  }

  // No basemap (as on many government networks): the roads, their names and
  // the places from our own data.
  if (want('map-plain')) {
    const road = (await getJSON(server.url, `/api/v1/assets?kind=road_repair&q=${encodeURIComponent('景阳大路')}&limit=1`)).features[0];
    const line = road.geometry.type === 'MultiLineString' ? road.geometry.coordinates[0] : road.geometry.coordinates;
    const [rlon, rlat] = line[Math.floor(line.length / 2)];
    page = await newPage(browser);
    await page.goto(`${server.url}/?tile_origin=${encodeURIComponent(`${tiles.origin}/down`)}&lat=${rlat}&lon=${rlon}&z=15.5`);
    await waitReady(page);
    await page.waitForSelector('.map--plain');
    await page.waitForTimeout(800);
    await shot(page, 'map-plain');
  }

  // The console: the open work on the map (overdue ringed, unassigned dashed),
  // the list beside it, one task open.
  if (want('console')) {
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
    await shot(page, 'console');
  }

  // The work list: worst first, the map coloured by condition, the worst
  // section's condition and history.
  if (want('worklist')) {
    page = await newPage(browser, { viewport: { width: 1440, height: 900 } });
    await page.goto(`${server.url}/manage?tab=work&${q}`);
    await signIn(page, 'engineer@demo');
    await page.waitForFunction(() => document.querySelector('[data-testid="panel-work"]')?.dataset.loaded === 'true', null, { timeout: 60_000 });
    await page.click('[data-testid="style-condition"]');
    await page.locator('[data-testid="work-item"]').first().click();
    await page.locator('[data-testid="condition-chart"]').waitFor({ timeout: 60_000 });
    await page.waitForTimeout(1500);
    await shot(page, 'worklist');
  }

  // The field page on a phone: the map and the assets nearest to the
  // inspector, the next job to verify.
  if (want('field-phone')) {
    const mh = await getJSON(server.url, '/api/v1/assets?kind=manhole&limit=1');
    const [lon, lat] = mh.features[0].geometry.coordinates;
    page = await newPage(browser, { ...PHONE, geolocation: { latitude: lat, longitude: lon, accuracy: 8 }, permissions: ['geolocation'] });
    await page.goto(`${server.url}/field`);
    await signIn(page, 'inspector@demo');
    await page.click('[data-testid="field-locate"]');
    await page.locator('[data-testid="nearby-asset"]').first().waitFor();
    await page.locator('[data-testid="next-job"]:not([hidden])').waitFor();
    await page.waitForTimeout(800);
    await shot(page, 'field-phone');
  }

  // Today's round on a phone, from where the inspector stands: the list as a
  // walk, and the first cover's checklist open.
  if (want('field-round')) {
    const inspector = await token(server.url, 'inspector@demo');
    let first;
    for (let i = 0; i < 240 && !first; i++) {
      const r = await call(server.url, inspector, 'GET', '/api/v1/inspections/round');
      first = r.body.inspections?.find((x) => x.kind === 'manhole');
      if (!first) await new Promise((res) => setTimeout(res, 250));
    }
    if (!first) throw new Error('no round for inspector@demo');
    page = await newPage(browser, { ...PHONE, geolocation: { latitude: first.lat, longitude: first.lon, accuracy: 8 }, permissions: ['geolocation'] });
    await page.goto(`${server.url}/field?view=round`);
    await signIn(page, 'inspector@demo');
    await page.locator('[data-testid="round-item"]').first().waitFor();
    await page.locator('[data-testid="round-item"]').first().locator('[data-testid="round-open"]').click();
    await page.locator('[data-testid="inspect-form"]').waitFor();
    await page.check('[data-testid="check-broken_cover-fail"]');
    await page.waitForTimeout(500);
    await shot(page, 'field-round');
  }
  console.log(`wrote ${written.map((n) => `${out}/${n}`).join(', ')}`);
} finally {
  await browser.close();
  await tiles.stop();
  await server.stop();
}
