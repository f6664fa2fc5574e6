// The field page's map (/field) in headless Chromium on a phone: the assets
// around drawn from our own data, the inspector's position with its
// accuracy, the line to the next job with its distance and direction, the
// nearest assets anyway when nothing is close (and a way to widen), search,
// and the map still there without signal.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, newPage, getJSON, signIn, unexpected } from './harness.mjs';

let server, browser;
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function fieldAt(lat, lon, accuracy, lang = 'zh') {
  const page = await newPage(browser, { ...PHONE, geolocation: { latitude: lat, longitude: lon, accuracy }, permissions: ['geolocation'] });
  if (lang === 'en') await page.addInitScript(() => localStorage.setItem('inframap.lang', 'en'));
  await page.goto(`${server.url}/field`);
  await signIn(page, 'inspector@demo');
  return page;
}

const km = (s) => (/公里|km/.test(s) ? parseFloat(s) * 1000 : parseFloat(s));

test('the map shows the assets around, my position with its accuracy and the way to the next job', async () => {
  const { features } = await getJSON(server.url, '/api/v1/assets?kind=manhole&limit=1');
  const [lon, lat] = features[0].geometry.coordinates;
  const page = await fieldAt(lat, lon, 12);
  await page.click('[data-testid="field-locate"]');
  await page.locator('[data-testid="nearby-asset"]').first().waitFor();
  const map = page.locator('[data-testid="field-map"]');
  const listed = await page.locator('[data-testid="nearby-asset"]').count();
  await page.waitForFunction((n) => document.querySelector('[data-testid="field-map"]').dataset.assets === String(n), listed);
  assert.equal(await map.getAttribute('data-accuracy'), '12');
  assert.equal(await map.locator('path.accuracy').count(), 1, 'the accuracy circle');
  assert.equal(await map.locator('path.me').count(), 1, 'the position');
  assert.ok(await map.locator('[data-testid="field-map-asset"]').count() >= listed, 'every listed asset drawn');

  // The next job: the done work nearest to me, as the service orders it.
  const { tasks } = await getJSON(server.url, `/api/v1/tasks?status=done&order=distance&near=${lon.toFixed(6)},${lat.toFixed(6)}&limit=1`);
  const next = tasks[0];
  await page.waitForFunction((id) => document.querySelector('[data-testid="next-job"]')?.dataset.id === String(id), next.id);
  const said = await page.locator('[data-testid="next-job-text"]').innerText();
  assert.ok(said.includes(next.ref) && said.includes(next.title), said);
  assert.match(said, /(北|东北|东|东南|南|西南|西|西北)方向 [\d.]+ (m|公里)/);
  assert.equal(await map.getAttribute('data-route'), String(next.id));
  assert.equal(await map.locator('path.route').count(), 1, 'a line to the next job');

  // Tapping an asset on the map opens it.
  await map.locator(`[data-testid="field-map-asset"][data-id="${features[0].id}"]`).first().click({ force: true });
  await page.locator('[data-testid="asset-title"]').waitFor();
  assert.equal(await page.locator('[data-testid="asset-title"]').innerText(), features[0].properties.name);
  await page.locator('[data-testid="back"]').click();
  await page.locator('[data-testid="next-job-open"]').click();
  await page.waitForFunction((ref) => document.body.innerText.includes(ref) && new URL(location.href).searchParams.get('view') === 'task', next.ref);
  assert.deepEqual(page.errors || [], []);
  assert.deepEqual(unexpected(page.consoleErrors), []);
  await page.context().close();
});

test('far from everything: the nearest assets anyway, said so, and a way to widen (English)', async () => {
  // 1.5 km west of the westernmost asset: nothing within 300 m.
  let west = [180, 0];
  for (const kind of ['road_repair', 'sewer_separation', 'parking_lot', 'capital_project', 'manhole']) {
    let path = `/api/v1/assets?kind=${kind}&limit=1000`;
    while (path) {
      const page = await getJSON(server.url, path);
      for (const f of page.features) {
        const walk = (c) => (typeof c[0] === 'number' ? (c[0] < west[0] && (west = c)) : c.forEach(walk));
        walk(f.geometry.coordinates);
      }
      const next = (page.links || []).find((l) => l.rel === 'next');
      path = next ? new URL(next.href).pathname + new URL(next.href).search : '';
    }
  }
  const page = await fieldAt(west[1], west[0] - 0.019, 30, 'en');
  await page.click('[data-testid="field-locate"]');
  await page.locator('[data-testid="nearest-anyway"]').waitFor();
  const anyway = await page.locator('[data-testid="nearest-anyway"]').innerText();
  assert.match(anyway, /^Nothing within 300 m; these are the nearest, the first [\d.]+ (m|km) away\.$/);
  const d = (await page.locator('[data-testid="nearby-distance"]').allInnerTexts()).map(km);
  assert.ok(d.length > 0 && d[0] > 300, `the nearest is beyond 300 m: ${d}`);
  assert.deepEqual(d, [...d].sort((a, b) => a - b), 'nearest first');
  assert.ok(anyway.includes((await page.locator('[data-testid="nearby-distance"]').first().innerText())), 'the message names the first distance');
  const radius = Number(await page.locator('[data-testid="nearby-list"]').getAttribute('data-radius'));
  assert.ok(radius > 300, `widened to ${radius} m`);
  const widen = page.locator('[data-testid="widen"]');
  if (await widen.count()) {
    const before = await page.locator('[data-testid="nearby-asset"]').count();
    await widen.click();
    await page.waitForFunction((r) => Number(document.querySelector('[data-testid="nearby-list"]').dataset.radius) > r, radius);
    assert.ok(await page.locator('[data-testid="nearby-asset"]').count() >= before, 'wider finds at least as many');
  }
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'no sideways scroll');
  await page.context().close();
});

test('search finds an asset by name, draws it and opens it', async () => {
  const { features } = await getJSON(server.url, '/api/v1/assets?kind=parking_lot&limit=1');
  const target = features[0];
  const page = await fieldAt(43.88, 125.27, 20);
  await page.fill('[data-testid="field-search"]', target.properties.name);
  await page.locator('[data-testid="field-search-form"] button[type=submit]').click();
  await page.locator(`[data-testid="nearby-asset"][data-id="${target.id}"]`).waitFor();
  assert.match(await page.locator('[data-testid="nearby-hint"]').innerText(), new RegExp(`“${target.properties.name}”的结果`));
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="field-map"]').dataset.assets) >= 1);
  await page.locator(`[data-testid="nearby-asset"][data-id="${target.id}"]`).click();
  await page.locator('[data-testid="asset-title"]').waitFor();
  assert.equal(await page.locator('[data-testid="asset-title"]').innerText(), target.properties.name);
  await page.context().close();
});

test('without signal the map is still drawn (Leaflet kept by the service worker)', async () => {
  const page = await fieldAt(43.88, 125.27, 20);
  await page.waitForFunction(async () => (await navigator.serviceWorker.getRegistration('/field'))?.active?.state === 'activated', null, { timeout: 20_000 });
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === 'true' && !!navigator.serviceWorker.controller);
  // Give the worker's install time to keep every file before going offline.
  await page.waitForFunction(async () => {
    const keys = await caches.keys();
    const shell = keys.find((k) => k.startsWith('inframap-shell-'));
    return shell && !!(await (await caches.open(shell)).match('/vendor/leaflet/leaflet.js'));
  });
  await page.context().setOffline(true);
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 20_000 });
  await page.locator('[data-testid="field-map"].leaflet-container').waitFor();
  assert.equal(await page.evaluate(() => typeof window.L), 'object');
  await page.context().setOffline(false);
  await page.context().close();
});
