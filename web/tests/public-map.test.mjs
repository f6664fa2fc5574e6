// The public map as a resident sees it, in headless Chromium against
// `inframap serve -demo`. Numbers on the page are checked against the API's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServer, startTiles, launchBrowser, newPage, waitReady, getJSON, countAssets, WEB } from './harness.mjs';

let server, tiles, browser;
const PROGRAMMES = ['road_repair', 'sewer_separation', 'parking_lot', 'manhole', 'capital_project'];

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

/** open loads the page with params, tiles from the stub server, and waits for the layers. */
async function open(params = {}, opts = {}) {
  const page = await newPage(browser, opts);
  const q = new URLSearchParams({ tile_origin: tiles.origin, ...params });
  await page.goto(`${server.url}/?${q}`);
  await waitReady(page);
  return page;
}

const text = (page, testid) => page.locator(`[data-testid="${testid}"]`).innerText();
const number = (s) => Number(String(s).replace(/[^\d]/g, ''));

async function legendCounts(page) {
  const out = {};
  for (const k of PROGRAMMES) out[k] = number(await text(page, `count-${k}`));
  return out;
}

/** manholesOnMap adds up what a person sees of the manholes: cluster numbers and single markers. */
async function manholesOnMap(page) {
  return page.evaluate(() => {
    let n = 0;
    for (const c of document.querySelectorAll('.mh-cluster [data-testid="cluster-count"]')) n += Number(c.textContent);
    return n + document.querySelectorAll('.mh[data-testid="feature"]').length;
  });
}

async function setStatuses(page, keep) {
  const boxes = page.locator('[data-testid^="status-"][type=checkbox]');
  for (let i = 0; i < await boxes.count(); i++) {
    const b = boxes.nth(i);
    const code = (await b.getAttribute('data-testid')).slice('status-'.length);
    if (keep.includes(code)) await b.check(); else await b.uncheck();
  }
}

test('every programme layer is on the map with the database\'s numbers, with the boundary and zones', async () => {
  const page = await open();
  for (const k of PROGRAMMES) {
    assert.ok(await page.locator(`[data-testid="legend-${k}"]`).isVisible(), `legend entry for ${k}`);
  }
  const want = {};
  for (const k of PROGRAMMES) want[k] = await countAssets(server.url, { kind: k });
  assert.deepEqual(want, { road_repair: 140, sewer_separation: 52, parking_lot: 9, manhole: 1300, capital_project: 1 });
  assert.deepEqual(await legendCounts(page), want);
  // Drawn shapes: lines, polygons and the corridor line.
  for (const k of ['road_repair', 'sewer_separation', 'parking_lot', 'capital_project']) {
    assert.equal(await page.locator(`path[data-testid="feature"][data-kind="${k}"]`).count(), want[k], `${k} shapes on the map`);
  }
  const corridor = await page.locator('.leaflet-lines-pane path[data-kind="sewer_separation"]').count();
  assert.equal(corridor, 1, 'the Yingbin Road corridor is drawn as a line');
  assert.equal(await page.locator('[data-testid="district-boundary"]').count(), 1);
  const areas = await getJSON(server.url, '/api/v1/areas');
  assert.equal(await page.locator('path.area-zone').count(), areas.features.length - 1);
  assert.equal(number(await page.locator('[data-testid="shown-total"]').getAttribute('data-count')), 1502);
  assert.deepEqual(page.errors || [], [], 'no script error');
  assert.deepEqual(page.failed || [], [], 'no failed request');
  assert.deepEqual(page.consoleErrors || [], [], 'no console error (CSP included)');
  await page.context().close();
});

test('the manhole clusters add up to 1,300', async () => {
  const page = await open();
  assert.equal(await manholesOnMap(page), 1300);
  assert.ok(await page.locator('.mh-cluster').count() > 1, 'clustered');
  await page.context().close();
});

/** serverClusters adds up the numbers on the server's clusters in view. */
const serverClusters = (page) => page.evaluate(() => [...document.querySelectorAll('.server-cluster [data-testid="cluster-count"]')]
  .reduce((n, c) => n + Number(c.textContent.replace(/[^\d]/g, '')), 0));

test('a programme too numerous to load whole is drawn tile by tile from the server\'s clusters', async () => {
  // ?tiled=500 treats the district's 1,300 manholes as a city's million would be.
  const urls = [];
  const page = await newPage(browser);
  page.on('request', (r) => urls.push(new URL(r.url()).pathname + new URL(r.url()).search));
  const q = new URLSearchParams({ tile_origin: tiles.origin, tiled: '500', lat: '43.885', lon: '125.25', z: '10' });
  await page.goto(`${server.url}/?${q}`);
  await waitReady(page);
  assert.equal(await page.locator('#map').getAttribute('data-tiled'), 'manhole');
  const clusterCalls = urls.filter((u) => u.startsWith('/api/v1/clusters/manhole/'));
  assert.ok(clusterCalls.length > 0, 'asked for cluster tiles');
  assert.ok(clusterCalls.every((u) => /^\/api\/v1\/clusters\/manhole\/9\/\d+\/\d+$/.test(u)), `tiles a zoom below the map's: ${clusterCalls}`);
  assert.ok(urls.includes('/ogc/collections/manhole/items?limit=1'), 'the count asked for first');
  const manholePages = urls.filter((u) => u.startsWith('/api/v1/assets') && u.includes('kind=manhole'));
  assert.deepEqual(manholePages, [], 'no page of manholes, tiles instead');
  assert.ok(urls.some((u) => u.startsWith('/api/v1/assets') && u.includes('kind=road_repair')), 'the roads (140) loaded whole');
  // The legend counts the programme from the stats; the map's clusters add up to it.
  assert.equal((await legendCounts(page)).manhole, 1300);
  assert.ok(await page.locator('.server-cluster').count() > 0, 'the server clustered the dense tiles');
  assert.equal(await manholesOnMap(page), 1300);
  // A status filter counts the clusters' members of that status.
  await setStatuses(page, ['closed']);
  const closed = await countAssets(server.url, { kind: 'manhole', status: 'closed' });
  assert.ok(closed > 0 && closed < 1300);
  await page.waitForFunction((n) => {
    let s = 0;
    for (const c of document.querySelectorAll('.mh-cluster [data-testid="cluster-count"]')) s += Number(c.textContent.replace(/[^\d]/g, ''));
    return s + document.querySelectorAll('.mh[data-testid="feature"]').length === n;
  }, closed);
  assert.equal((await legendCounts(page)).manhole, closed);
  await setStatuses(page, ['none', 'reported', 'filed', 'dispatched', 'in_progress', 'done', 'closed', 'rejected', 'cancelled']);
  await page.waitForFunction(() => document.querySelector('[data-testid="count-manhole"]').textContent.replace(/[^\d]/g, '') === '1300');
  // A click on a cluster zooms in; close enough, the tiles give the manholes one by one.
  const before = await serverClusters(page);
  await page.locator('.server-cluster').first().click();
  await page.waitForFunction(() => /[?&]z=12(&|$)/.test(location.search));
  await page.waitForFunction(() => document.querySelectorAll('.mh-cluster, .mh[data-testid="feature"]').length > 0);
  assert.ok(before > 0);
  assert.deepEqual(page.errors || [], [], 'no script error');
  assert.deepEqual(page.failed || [], [], 'no failed request');
  await page.context().close();

  // Opened on one manhole at street zoom: it is there, on its own, and opens.
  const some = await getJSON(server.url, '/api/v1/assets?kind=manhole&limit=1');
  const mh = some.features[0];
  const [lon, lat] = mh.geometry.coordinates;
  const street = await open({ tiled: '500', lat: lat.toFixed(5), lon: lon.toFixed(5), z: '18' });
  assert.equal(await street.locator('.server-cluster').count(), 0, 'no server clusters at street zoom');
  const marker = street.locator(`.mh[data-testid="feature"][data-id="${mh.id}"]`);
  await marker.waitFor();
  await marker.click();
  await street.locator('[data-testid="details-history"]').waitFor();
  assert.equal(await text(street, 'details-title'), mh.properties.name);
  assert.match(street.url(), new RegExp(`id=${mh.id}`));
  await street.context().close();
});

test('filtering by status shows the database\'s counts', async () => {
  const page = await open();
  for (const status of ['in_progress', 'closed']) {
    await setStatuses(page, [status]);
    const want = {};
    for (const k of PROGRAMMES) want[k] = await countAssets(server.url, { kind: k, status });
    assert.deepEqual(await legendCounts(page), want, `legend counts for ${status}`);
    await page.waitForFunction((n) => {
      let s = 0;
      for (const c of document.querySelectorAll('.mh-cluster [data-testid="cluster-count"]')) s += Number(c.textContent);
      return s + document.querySelectorAll('.mh[data-testid="feature"]').length === n;
    }, want.manhole);
    assert.equal(await page.locator('path[data-testid="feature"][data-kind="road_repair"]').count(), want.road_repair);
    assert.equal(await page.locator(`path[data-testid="feature"]:not([data-status="${status}"])`).count(), 0, 'only that status drawn');
    assert.match(page.url(), new RegExp(`status=${status}(&|$)`));
  }
  // The search box finds by name or code, as the API's q does.
  await setStatuses(page, ['reported', 'filed', 'dispatched', 'in_progress', 'done', 'closed', 'rejected', 'cancelled']);
  await page.fill('[data-testid="search"]', '景阳大路');
  const wantQ = {};
  for (const k of PROGRAMMES) wantQ[k] = await countAssets(server.url, { kind: k, q: '景阳大路' });
  await page.waitForFunction((n) => document.querySelector('[data-testid="count-road_repair"]').textContent === String(n), wantQ.road_repair);
  assert.deepEqual(await legendCounts(page), wantQ);
  await page.fill('[data-testid="search"]', '');
  // Completion dates keep what was closed (Beijing time) between them.
  const from = '2024-05-01', to = '2024-05-31';
  await page.fill('[data-testid="completed-from"]', from);
  await page.fill('[data-testid="completed-to"]', to);
  const closedInMay = await countAssets(server.url, { kind: 'road_repair', completed_from: from, completed_to: to });
  assert.ok(closedInMay > 0);
  await page.waitForFunction((n) => document.querySelector('[data-testid="count-road_repair"]').textContent === String(n), closedInMay);
  assert.match(page.url(), /from=2024-05-01&to=2024-05-31/);
  await page.click('[data-testid="reset-filters"]');
  assert.equal((await legendCounts(page)).road_repair, 140);
  // Sub-district narrows further, as the API's subdistrict filter does.
  await page.selectOption('[data-testid="subdistrict"]', '城西镇');
  assert.equal((await legendCounts(page)).manhole, await countAssets(server.url, { kind: 'manhole', subdistrict: '城西镇' }));
  await page.context().close();
});

test('clicking a road repair shows its area and its dated history in Beijing time', async () => {
  const road = await getJSON(server.url, '/api/v1/assets/1');
  assert.equal(road.properties.kind, 'road_repair');
  const page = await open({ q: road.properties.code });
  const path = page.locator('path[data-kind="road_repair"]');
  assert.equal(await path.count(), 1);
  await path.click({ force: true });
  const details = page.locator('[data-testid="details"]');
  await details.locator('[data-testid="details-history"]').waitFor();
  assert.equal(await text(page, 'details-title'), road.properties.name);
  const area = await details.locator('[data-attr="area_m2"] dd').innerText();
  assert.equal(area, `${road.properties.area_m2.toLocaleString('en-US')} m²`);
  assert.match(await details.locator('[data-attr="kind"] dd').innerText(), /道路小修维护/);
  // Every event of every task, at UTC+8.
  const events = road.properties.tasks.flatMap((t) => t.history);
  const shown = await details.locator('[data-testid="history-event"] time').allInnerTexts();
  assert.equal(shown.length, events.length);
  const beijing = (iso) => new Date(Date.parse(iso) + 8 * 3600e3).toISOString().slice(0, 16).replace('T', ' ');
  assert.deepEqual([...shown].sort(), events.map((e) => beijing(e.at)).sort());
  const hist = await details.locator('[data-testid="details-history"]').innerText();
  assert.match(hist, /上报 → 立案/);
  assert.match(hist, /结案/);
  // The place for public photos: before and after side by side.
  assert.equal(await details.locator('[data-testid="details-photos"] figure').count(), 2);
  assert.match(page.url(), /[?&]id=1(&|$)/);
  await page.keyboard.press('Escape');
  await details.waitFor({ state: 'hidden' });
  await page.context().close();
});

test('the report card shows the published figures, and as_of replays the map and the figures', async () => {
  const page = await open({ tab: 'report' });
  const card = page.locator('[data-testid="report-card"]');
  await card.locator('[data-testid="figure-road_repair"]').waitFor();
  assert.equal(await text(page, 'figure-road_repair'), '140 条道路 · 51.12万 m²');
  assert.equal(await text(page, 'figure-sewer_separation'), '51 个小区及企事业单位 + 迎宾路');
  assert.equal(await text(page, 'figure-parking_lot'), '9 个停车场 · 944 个泊位');
  assert.equal(await text(page, 'figure-manhole'), '1,300 处窨井病害');
  assert.equal(await text(page, 'figure-capital_project'), '投资 9,248.78万元 · 5.8万 m²');
  assert.match(await text(page, 'card-capital_project'), /西湖北一地块/);
  assert.match(await text(page, 'progress-road_repair'), /完成 100%/);
  await card.locator('[data-testid="chart"] canvas').first().waitFor();
  const stats = await getJSON(server.url, '/api/v1/stats');
  const road = stats.programmes.find((p) => p.kind === 'road_repair');
  // 100 % beside open work on its roads: the card says why.
  const openOnRoads = road.completed - road.by_status.closed;
  assert.ok(openOnRoads > 0, 'the demo has routine work open on finished roads');
  assert.match(await text(page, 'later-open-road_repair'), new RegExp(`完成率 100% 只计计划内的工程；已完工的设施中有 ${openOnRoads} 处`));
  const rows = await card.locator('[data-testid="chart-table"] tbody tr').count();
  assert.ok(rows >= road.by_month.length, 'a row per month');

  // Replay 2023-09-30: figures and map statuses at the end of that day.
  const day = '2023-09-30';
  await page.fill('[data-testid="as-of"]', day);
  await page.waitForFunction((d) => document.querySelector('[data-testid="map"]').dataset.asOf === d, day);
  const past = await getJSON(server.url, `/api/v1/stats?as_of=${day}`);
  const pastRoad = past.programmes.find((p) => p.kind === 'road_repair');
  assert.ok(pastRoad.percent_complete < 100);
  await page.waitForFunction((p) => document.querySelector('[data-testid="progress-road_repair"]')?.textContent.includes(`完成 ${p}%`),
    new Intl.NumberFormat('zh-CN', { maximumFractionDigits: 1 }).format(pastRoad.percent_complete));
  assert.match(await text(page, 'report-as-of'), /2023-09-30/);
  assert.ok(await page.locator('[data-testid="as-of-banner"]').isVisible());
  assert.match(page.url(), /as_of=2023-09-30/);
  await page.click('[data-testid="tab-layers"]');
  // Assets with no case yet on that day: grey on the map and in the legend.
  const none = past.programmes.reduce((n, p) => n + (p.kind === 'capital_project' ? 0 : p.by_status.none || 0), 0);
  assert.ok(none > 0, `some assets had no case on ${day}`);
  await page.waitForFunction((n) => document.querySelector('[data-testid="status-count-none"]')?.textContent === new Intl.NumberFormat('zh-CN').format(n), none);
  assert.match(await text(page, 'status-none-row'), /尚无案件/);
  const grey = page.locator('[data-testid="feature"][data-kind="road_repair"][data-status="none"]').first();
  await grey.waitFor({ state: 'attached' });
  assert.equal(await grey.getAttribute('stroke'), '#868e96', 'drawn grey');
  assert.equal(await grey.getAttribute('stroke-dasharray'), '4 4', 'and dashed');
  for (const status of ['closed', 'in_progress']) {
    assert.equal(number(await text(page, `status-count-${status}`)),
      (await Promise.all(PROGRAMMES.map((k) => countAssets(server.url, { kind: k, status, as_of: day })))).reduce((a, b) => a + b),
      `${status} on ${day}`);
  }
  await page.click('[data-testid="as-of-banner"] button');
  await page.waitForFunction(() => document.querySelector('[data-testid="map"]').dataset.asOf === 'now');
  await page.context().close();
});

test('switching to English changes the labels and is remembered', async () => {
  const page = await open();
  assert.equal(await page.locator('h1').innerText(), '绿园区市政设施维护地图');
  await page.click('[data-testid="lang-en"]');
  assert.equal(await page.locator('h1').innerText(), 'Lüyuan District infrastructure maintenance map');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.match(await text(page, 'legend-road_repair'), /Road minor repair/);
  assert.match(await text(page, 'status-legend'), /Closed/);
  assert.equal(await text(page, 'tab-report'), 'Report card');
  assert.equal(await page.getAttribute('.leaflet-control-zoom-in', 'title'), 'Zoom in');
  await page.click('[data-testid="tab-report"]');
  assert.equal(await text(page, 'figure-road_repair'), '140 roads · 511,200 m²');
  assert.equal(await text(page, 'figure-manhole'), '1,300 manhole defects');
  await page.reload();
  await waitReady(page);
  assert.equal(await page.locator('h1').innerText(), 'Lüyuan District infrastructure maintenance map');
  await page.click('[data-testid="lang-zh"]');
  assert.equal(await text(page, 'tab-report'), '进度报表');
  await page.context().close();
});

test('keyboard only: the list view reaches every feature and opens its details', async () => {
  const page = await open();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'skip-to-list');
  await page.keyboard.press('Enter');
  const n = number(await page.locator('[data-testid="list-count"]').getAttribute('data-count'));
  const total = (await Promise.all(PROGRAMMES.map((k) => countAssets(server.url, { kind: k })))).reduce((a, b) => a + b);
  assert.equal(n, total);
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'list-item');
  // Walk the whole list with the arrow key, noting every feature reached.
  await page.evaluate(() => {
    window.reached = new Set([document.activeElement.dataset.id]);
    document.addEventListener('focusin', (e) => window.reached.add(e.target.dataset.id));
  });
  for (let i = 1; i < n; i++) await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => window.reached.size), n);
  assert.equal(await page.evaluate(() => document.activeElement.dataset.index), String(n - 1));
  await page.keyboard.press('Home');
  await page.keyboard.press('Enter');
  const title = page.locator('[data-testid="details-title"]');
  await page.locator('[data-testid="details-history"]').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'details-title');
  const first = await page.evaluate(() => document.querySelector('[data-testid="list-item"]').dataset.id);
  const asset = await getJSON(server.url, `/api/v1/assets/${first}`);
  assert.equal(await title.innerText(), asset.properties.name);
  await page.keyboard.press('Escape');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.id), first, 'focus back on the item');
  // The tabs answer the arrow keys too.
  await page.focus('[data-testid="tab-list"]');
  await page.keyboard.press('ArrowLeft');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'tab-report');
  assert.ok(await page.locator('[data-testid="report-card"]').isVisible());
  await page.context().close();
});

test('axe-core finds no serious or critical violation', async () => {
  // axe is injected as a script, which the page's CSP would refuse.
  const page = await open({}, { bypassCSP: true });
  await page.addScriptTag({ path: join(WEB, 'node_modules/axe-core/axe.min.js') });
  const check = async (what) => {
    const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`), [], what);
  };
  await check('map with filters');
  await page.click('[data-testid="tab-report"]');
  await page.locator('[data-testid="chart"] canvas').first().waitFor();
  await check('report card');
  await page.click('[data-testid="tab-list"]');
  await page.locator('[data-testid="list-item"]').first().click();
  await page.locator('[data-testid="details-history"]').waitFor();
  await check('list and details');
  await page.context().close();
});

test('the address carries the view and the filters', async () => {
  const params = { kinds: 'parking_lot,manhole', status: 'closed', q: '景阳', lat: '43.88000', lon: '125.25000', z: '14' };
  const page = await open(params);
  assert.equal(await page.isChecked('[data-testid="toggle-road_repair"]'), false);
  assert.equal(await page.isChecked('[data-testid="toggle-parking_lot"]'), true);
  assert.equal(await page.isChecked('[data-testid="status-in_progress"]'), false);
  assert.equal(await page.inputValue('[data-testid="search"]'), '景阳');
  const c = await legendCounts(page);
  assert.equal(c.road_repair, 0);
  assert.equal(c.manhole, await countAssets(server.url, { kind: 'manhole', status: 'closed', q: '景阳' }));
  const u = new URL(page.url());
  assert.equal(u.searchParams.get('z'), '14');
  assert.equal(u.searchParams.get('lat'), '43.88000');
  assert.equal(u.searchParams.get('lon'), '125.25000');
  // A change of filter is in the address at once.
  await page.check('[data-testid="toggle-road_repair"]');
  assert.match(page.url(), /kinds=road_repair%2Cparking_lot%2Cmanhole|kinds=road_repair,parking_lot,manhole/);
  await page.context().close();
});

test('parking bays load by bounding box at street zoom only', async () => {
  const lots = await getJSON(server.url, '/api/v1/assets?kind=parking_lot&limit=1');
  const ring = lots.features[0].geometry.coordinates[0];
  const lon = ring.reduce((s, p) => s + p[0], 0) / ring.length;
  const lat = ring.reduce((s, p) => s + p[1], 0) / ring.length;
  const page = await newPage(browser);
  const bayRequests = [];
  page.on('request', (r) => { if (r.url().includes('kind=parking_space')) bayRequests.push(r.url()); });
  await page.goto(`${server.url}/?tile_origin=${encodeURIComponent(tiles.origin)}&lat=${lat}&lon=${lon}&z=16`);
  await waitReady(page);
  assert.equal(bayRequests.length, 0, 'no bays below zoom 17');
  await page.click('.leaflet-control-zoom-in');
  await page.locator('path[data-kind="parking_space"]').first().waitFor();
  assert.ok(bayRequests.length >= 1 && bayRequests.every((u) => /[?&]bbox=/.test(u)), 'fetched by bbox');
  const drawn = await page.locator('path[data-kind="parking_space"]').count();
  const bbox = new URL(bayRequests.at(-1)).searchParams.get('bbox');
  assert.equal(drawn, await countAssets(server.url, { kind: 'parking_space', bbox }));
  assert.ok(drawn > 0 && drawn < 944);
  await page.click('.leaflet-control-zoom-out');
  await page.waitForFunction(() => !document.querySelector('path[data-kind="parking_space"]'));
  // A link that opens at street zoom shows the bays straight away.
  await page.goto(`${server.url}/?tile_origin=${encodeURIComponent(tiles.origin)}&lat=${lat}&lon=${lon}&z=18`);
  await waitReady(page);
  await page.locator('path[data-kind="parking_space"]').first().waitFor();
  assert.ok(number(await text(page, 'count-parking_space')) > 0, 'the legend counts the bays in view');
  await page.context().close();
});

test('on a phone the map, the panels and the details fit the screen', async () => {
  const page = await open({}, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling (${overflow} px too wide)`);
  const map = await page.locator('[data-testid="map"]').boundingBox();
  const tabs = await page.locator('[data-testid="tab-list"]').boundingBox();
  assert.ok(map.width >= 380 && map.height > 300, 'the map takes the width of the phone');
  assert.ok(tabs.y > map.y + map.height - 1, 'the panels come below the map');
  await page.tap('[data-testid="tab-list"]');
  await page.locator('[data-testid="list-item"]').first().tap();
  const sheet = page.locator('[data-testid="details"]');
  await sheet.locator('[data-testid="details-history"]').waitFor();
  const box = await sheet.boundingBox();
  assert.ok(box.x <= 1 && box.width >= 388, 'details open as a sheet across the screen');
  for (const b of await page.locator('[role=tab], [data-testid="details-close"], [data-testid^="lang-"]').all()) {
    const r = await b.boundingBox();
    assert.ok(r.height >= 32, 'touch targets are large enough');
  }
  await page.tap('[data-testid="details-close"]');
  await sheet.waitFor({ state: 'hidden' });
  await page.context().close();
});
