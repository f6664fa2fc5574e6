// Basemaps against the harness's own tile server: OSM and Tianditu line up
// with WGS84 data, Amap with the data shifted to GCJ-02, and an unreachable
// basemap leaves every layer on a plain background with one polite notice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startTiles, launchBrowser, newPage, waitReady, getJSON } from './harness.mjs';
import { wgsToGcj } from '../public/js/gcj02.js';

let server, tiles, browser, manhole;

before(async () => {
  server = await startServer();
  tiles = await startTiles();
  browser = await launchBrowser();
  manhole = (await getJSON(server.url, '/api/v1/assets?kind=manhole&limit=1')).features[0];
});

after(async () => {
  await browser?.close();
  await tiles?.stop();
  await server?.stop();
});

async function open(params) {
  const page = await newPage(browser);
  await page.goto(`${server.url}/?${new URLSearchParams(params)}`);
  await waitReady(page);
  return page;
}

/** worldPixel is the Web Mercator pixel of [lon, lat] at zoom z. */
function worldPixel([lon, lat], z) {
  const scale = 256 * 2 ** z;
  const phi = (lat * Math.PI) / 180;
  return [((lon + 180) / 360) * scale, ((1 - Math.log(Math.tan(phi) + 1 / Math.cos(phi)) / Math.PI) / 2) * scale];
}

/**
 * offsetFromTile measures, on screen, how far the manhole's marker is from
 * where the basemap's tile grid puts `where` ([lon, lat] in the tiles' datum),
 * measured from the tile under `anchor`.
 */
async function offsetFromTile(page, where, tileSrc, anchor = where) {
  const z = 18;
  const [px, py] = worldPixel(where, z);
  const [ax, ay] = worldPixel(anchor, z);
  const tx = Math.floor(ax / 256), ty = Math.floor(ay / 256);
  const tile = page.locator(`img.leaflet-tile[src="${tileSrc(tx, ty, z)}"]`).first();
  await tile.waitFor({ state: 'attached' });
  await page.waitForFunction((src) => [...document.querySelectorAll('img.leaflet-tile')].some((i) => i.src === src && i.complete), tileSrc(tx, ty, z));
  const tb = await tile.boundingBox();
  const mb = await page.locator(`.mh[data-id="${manhole.id}"]`).boundingBox();
  const want = [tb.x + (px - tx * 256), tb.y + (py - ty * 256)];
  const got = [mb.x + mb.width / 2, mb.y + mb.height / 2];
  return Math.hypot(got[0] - want[0], got[1] - want[1]);
}

const osmSrc = (x, y, z) => `${tiles.origin}/${z}/${x}/${y}.png`;
const amapSrc = (x, y, z) => `${tiles.origin}/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x=${x}&y=${y}&z=${z}`;

test('OpenStreetMap tiles come from the configured origin and line up with the WGS84 data', async () => {
  const [lon, lat] = manhole.geometry.coordinates;
  const page = await open({ tile_origin: tiles.origin, q: manhole.properties.code, lat, lon, z: 18 });
  const off = await offsetFromTile(page, [lon, lat], osmSrc);
  assert.ok(off < 2, `marker ${off.toFixed(1)} px from its place on the OSM tiles`);
  assert.equal(await page.locator('[data-testid="notice"]').count(), 0);
  assert.equal(await page.locator('.map--plain').count(), 0);
  assert.match(await page.locator('.leaflet-control-attribution').innerText(), /OpenStreetMap/);
  await page.context().close();
});

test('Amap: the data is shifted to GCJ-02 so that it sits on the tiles, also after switching basemap', async () => {
  const [lon, lat] = manhole.geometry.coordinates;
  const gcj = wgsToGcj([lon, lat]);
  const page = await open({ tile_origin: tiles.origin, basemap: 'amap', q: manhole.properties.code, lat, lon, z: 18 });
  const off = await offsetFromTile(page, gcj, amapSrc);
  assert.ok(off < 2, `marker ${off.toFixed(1)} px from its GCJ-02 place on the Amap tiles`);
  // Unshifted it would be hundreds of pixels away: the test can tell.
  assert.ok(await offsetFromTile(page, [lon, lat], amapSrc, gcj) > 500);
  // The address keeps WGS84.
  const u = new URL(page.url());
  assert.ok(Math.abs(Number(u.searchParams.get('lat')) - lat) < 1e-4 && Math.abs(Number(u.searchParams.get('lon')) - lon) < 1e-4);
  // Switching back to OSM in the panel moves the data back.
  await page.selectOption('[data-testid="basemap"]', 'osm');
  const back = await offsetFromTile(page, [lon, lat], osmSrc);
  assert.ok(back < 2, `after switching to OSM the marker is ${back.toFixed(1)} px off`);
  await page.context().close();
});

test('Tianditu asks for vec_w and cva_w with the key, and says so when the key is missing', async () => {
  const before = tiles.requests.length;
  const page = await open({ tile_origin: tiles.origin, basemap: 'tianditu', tk: 'test-key' });
  await page.waitForFunction(() => [...document.querySelectorAll('img.leaflet-tile')].filter((i) => i.complete).length > 4);
  const reqs = tiles.requests.slice(before);
  const vec = reqs.filter((r) => r.startsWith('/vec_w/wmts?'));
  const cva = reqs.filter((r) => r.startsWith('/cva_w/wmts?'));
  assert.ok(vec.length > 0 && cva.length > 0, 'both layers requested');
  for (const r of [...vec, ...cva]) {
    const p = new URL(r, 'https://x').searchParams;
    assert.equal(p.get('tk'), 'test-key');
    assert.equal(p.get('TILEMATRIXSET'), 'w');
    assert.equal(p.get('SERVICE'), 'WMTS');
  }
  assert.equal(await page.locator('[data-testid="notice"]').count(), 0);
  await page.context().close();

  const n = tiles.requests.length;
  const nokey = await open({ tile_origin: tiles.origin, basemap: 'tianditu' });
  assert.equal(await nokey.locator('[data-testid="notice"]').count(), 1);
  assert.match(await nokey.locator('[data-testid="notice"]').innerText(), /tk/);
  assert.equal(tiles.requests.length, n, 'no tile asked for without a key');
  await nokey.context().close();
});

test('with the basemap unreachable every layer still shows on a plain background, and the notice comes once', async () => {
  const page = await open({ tile_origin: `${tiles.origin}/down` });
  const notice = page.locator('[data-testid="notice"]');
  await notice.waitFor();
  assert.match(await notice.innerText(), /底图暂时无法加载/);
  assert.equal(await page.locator('.map.map--plain').count(), 1);
  // Every layer is there, with the boundary and the roads of plain mode.
  assert.equal(await page.locator('path[data-kind="road_repair"]').count(), 140);
  assert.equal(await page.locator('path[data-kind="sewer_separation"]').count(), 52);
  assert.equal(await page.locator('path[data-kind="parking_lot"]').count(), 9);
  assert.equal(await page.locator('path[data-kind="capital_project"]').count(), 1);
  assert.ok(await page.locator('.mh-cluster').count() > 0);
  assert.equal(await page.locator('[data-testid="district-boundary"]').count(), 1);
  assert.ok(await page.locator('path.base-road').first().isVisible(), 'the road network is drawn');
  // More failing tiles (zoom and pan) do not repeat it.
  const failedBefore = tiles.requests.filter((r) => r.startsWith('/down/')).length;
  await page.click('.leaflet-control-zoom-in');
  await page.mouse.move(900, 400);
  await page.mouse.down();
  await page.mouse.move(700, 300, { steps: 5 });
  await page.mouse.up();
  await page.waitForFunction((n) => true, failedBefore);
  await page.waitForTimeout(500);
  assert.ok(tiles.requests.filter((r) => r.startsWith('/down/')).length > failedBefore, 'more tiles failed');
  assert.equal(await notice.count(), 1, 'said once');
  // It is polite (a status), not an alert, and can be dismissed.
  assert.equal(await page.getAttribute('[data-testid="notices"]', 'role'), 'status');
  await notice.locator('button').click();
  assert.equal(await notice.count(), 0);
  await page.context().close();
});

test('without a basemap the map reads alone: road names from our data, and a search moves the map to its match', async () => {
  const page = await open({ tile_origin: `${tiles.origin}/down`, lat: '43.8800', lon: '125.2550', z: '15' });
  await page.locator('.map.map--plain').waitFor();
  const label = page.locator('.road-label', { hasText: '景阳大路' });
  await label.waitFor();
  assert.ok(await label.isVisible(), 'the road name is drawn');
  assert.ok(await page.locator('.road-label').count() >= 5, 'each road named once');
  assert.equal(await page.locator('.road-label', { hasText: '景阳大路' }).count(), 1);
  // Searching 迎宾路 brings the map to it.
  const { features } = await getJSON(server.url, '/api/v1/assets?kind=sewer_separation&q=' + encodeURIComponent('迎宾路') + '&limit=10');
  assert.ok(features.length > 0, 'the demo has 迎宾路');
  await page.fill('[data-testid="search"]', '迎宾路');
  await page.press('[data-testid="search"]', 'Enter');
  await page.waitForFunction(() => document.querySelector('[data-testid="map"]').dataset.searched === '迎宾路');
  await page.waitForFunction(() => Number(new URL(location.href).searchParams.get('z')) >= 13);
  const url = new URL(page.url());
  const [lon, lat] = [Number(url.searchParams.get('lon')), Number(url.searchParams.get('lat'))];
  const xs = features.flatMap((f) => JSON.stringify(f.geometry.coordinates).match(/-?\d+\.\d+/g).map(Number));
  const lons = xs.filter((_, i) => i % 2 === 0);
  const lats = xs.filter((_, i) => i % 2 === 1);
  assert.ok(lon >= Math.min(...lons) - 0.01 && lon <= Math.max(...lons) + 0.01 && lat >= Math.min(...lats) - 0.01 && lat <= Math.max(...lats) + 0.01,
    `the map moved to 迎宾路 (${lon}, ${lat})`);
  // In English the roads are named in English.
  await page.click('[data-testid="lang-en"]');
  await page.locator('.road-label', { hasText: 'Avenue' }).first().waitFor({ state: 'attached' });
  await page.context().close();
});
