// A resident reports a problem on the public map, in headless Chromium
// against `inframap serve -demo`: the nearby-report warning, the photo, the
// case number and following it; a rate limit said kindly; public photos in
// the details panel.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServer, startTiles, launchBrowser, newPage, waitReady, getJSON, token, call, uploadPhoto, axeCheck, PHOTOS } from './harness.mjs';

let server, tiles, browser, engineer;

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

/** reportedManhole is a manhole with an open reported task: a report there has a neighbour. */
async function reportedManhole() {
  const { tasks } = await getJSON(server.url, '/api/v1/tasks?status=reported&limit=100');
  for (const k of tasks) {
    if (!k.asset_id) continue;
    const a = await getJSON(server.url, `/api/v1/assets/${k.asset_id}`);
    if (a.properties.kind === 'manhole') return { task: k, asset: a };
  }
  throw new Error('no reported manhole in the demo data');
}

async function openAt([lon, lat], params = {}, opts = {}) {
  const page = await newPage(browser, opts);
  const q = new URLSearchParams({ tile_origin: tiles.origin, lat: String(lat), lon: String(lon), z: '18', tab: 'problem', ...params });
  await page.goto(`${server.url}/?${q}`);
  await waitReady(page);
  return page;
}

test('a resident reports a problem with a photo, is warned of the open report nearby, gets a case number and follows it', async () => {
  const { task, asset } = await reportedManhole();
  const page = await openAt(asset.geometry.coordinates);
  const form = page.locator('[data-testid="problem-form"]');
  assert.ok(await form.isVisible(), 'the report form is in its tab');
  // Sending without choosing anything says what is missing, beside the fields.
  await page.click('[data-testid="problem-submit"]');
  assert.match(await page.locator('[data-testid="error-service_code"]').innerText(), /请选择问题类型/);
  assert.match(await page.locator('[data-testid="error-lat"]').innerText(), /请选择问题所在位置/);

  await page.selectOption('[data-testid="problem-service"]', 'manhole_sunken');
  await page.click('[data-testid="problem-centre"]'); // the map is centred on the manhole
  const nearby = page.locator('[data-testid="problem-nearby"]');
  await nearby.waitFor();
  assert.match(await nearby.innerText(), new RegExp(task.ref), 'the open report nearby is named');
  assert.match(await nearby.innerText(), /上报/);
  await page.fill('[data-testid="problem-description"]', '井盖下沉约三厘米，车辆经过有响声');
  await page.setInputFiles('[data-testid="problem-photo"]', join(PHOTOS, 'gps-ne.jpg'));
  await page.locator('[data-testid="problem-preview"] img').waitFor();
  await page.click('[data-testid="problem-contact"] summary');
  await page.fill('[data-testid="problem-name"]', '王女士');
  await page.fill('[data-testid="problem-phone"]', '13800000000');

  // The first send points at the warning; "send anyway" sends.
  await page.click('[data-testid="problem-submit"]');
  assert.match(await page.locator('[data-testid="problem-status"]').innerText(), /仍然提交/);
  const posted = page.waitForResponse((r) => r.url().endsWith('/api/v1/reports') && r.request().method() === 'POST');
  await page.click('[data-testid="problem-send-anyway"]');
  const res = await posted;
  assert.equal(res.status(), 201);
  assert.ok(res.request().headers()['idempotency-key'], 'sent with an Idempotency-Key');
  const ref = (await page.locator('[data-testid="problem-ref"]').innerText()).trim();
  assert.match(ref, /^LY-\d{4}-\d+$/);
  const report = await getJSON(server.url, `/api/v1/reports/${ref}`);
  assert.equal(report.service_code, 'manhole_sunken');
  assert.equal(report.status, 'reported');
  assert.equal(report.asset_id, asset.id, 'linked to the manhole it was reported on');
  const created = await res.json();
  assert.ok(created.photo, 'the photo came with it');
  assert.equal(created.photo.visible, false, 'hidden until an engineer files it');
  assert.equal(report.photo, undefined, 'the public does not see it yet');
  assert.ok(!JSON.stringify(report).includes('13800000000'), 'contact details stay private');

  // Following it: the status and, once filed, the engineer's note.
  await page.click('[data-testid="problem-follow"]');
  await page.locator('[data-testid="follow-status"]').waitFor();
  assert.equal(await page.locator('[data-testid="follow-status"]').innerText(), '上报');
  const mine = (await getJSON(server.url, `/api/v1/tasks?source=resident&status=reported&asset=${asset.id}`)).tasks.find((k) => k.ref === ref);
  const filed = await call(server.url, engineer, 'POST', `/api/v1/tasks/${mine.id}/transitions`,
    { json: { to: 'filed', note: '已立案，安排维修' }, headers: { 'If-Match': `"${mine.version}"` } });
  assert.equal(filed.status, 200, JSON.stringify(filed.body));
  await page.click('[data-testid="follow-submit"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="follow-status"]')?.textContent === '立案');
  assert.match(await page.locator('[data-testid="follow-result"]').innerText(), /已立案，安排维修/);
  assert.equal(await page.locator('[data-testid="follow-photos"] img').count(), 1, 'the photo is public once filed');
  // Where: a small map at the place given, and a way to see it on the big one.
  const where = page.locator('[data-testid="follow-map"]');
  await where.locator('.leaflet-interactive').first().waitFor();
  assert.equal(Number(await where.getAttribute('data-lon')).toFixed(5), report.location[0].toFixed(5));
  await page.click('[data-testid="follow-show"]');
  await page.waitForFunction(() => Number(new URL(location.href).searchParams.get('z')) >= 17);
  // The number is remembered on this device.
  await page.reload();
  await waitReady(page);
  assert.match(await page.locator('[data-testid="my-report"]').first().innerText(), new RegExp(ref));

  // Filed, the report is a pin on the public map, at the place given; its popup leads to following it.
  const pin = page.locator(`[data-testid="report-pin"][data-ref="${ref}"]`);
  await pin.waitFor();
  assert.equal(await pin.getAttribute('data-status'), 'filed');
  await page.click('[data-testid="tab-layers"]');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="count-reports"]')?.textContent) >= 1);
  await pin.click();
  const popup = page.locator('[data-testid="report-pin-popup"]');
  await popup.waitFor();
  const popupText = await popup.innerText();
  assert.match(popupText, /井盖下沉/);
  assert.match(popupText, /立案/);
  assert.ok(!/13800000000|王女士/.test(popupText), 'no contact on the map');
  await popup.locator('[data-testid="report-pin-follow"]').click();
  await page.waitForFunction((r) => document.querySelector('[data-testid="follow-ref"]')?.value === r
    && document.querySelector('[data-testid="follow-status"]')?.textContent === '立案', ref);
  // The legend's box hides the pins.
  await page.click('[data-testid="tab-layers"]');
  await page.uncheck('[data-testid="context-reports"]');
  await pin.waitFor({ state: 'detached' });

  // Filed, the report's photo is public: a thumbnail in the manhole's details opens the large one.
  await page.goto(`${server.url}/?tile_origin=${encodeURIComponent(tiles.origin)}&id=${asset.id}`);
  await waitReady(page);
  const details = page.locator('[data-testid="details"]');
  const thumb = details.locator('[data-testid="photo-thumb"][data-stage="report"]');
  await thumb.waitFor();
  await thumb.click();
  const big = page.locator('[data-testid="lightbox-img"]');
  await big.waitFor();
  assert.match(await big.getAttribute('src'), /\/api\/v1\/photos\/\d+\/display$/);
  assert.ok(await big.evaluate((img) => img.complete && img.naturalWidth > 0), 'the display size loads');
  await page.keyboard.press('Escape');
  await big.waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'photo-thumb', 'focus back on the thumbnail');
  assert.deepEqual(page.errors || [], []);
  await page.context().close();
});

test('before and after photos are side by side in the details panel', async () => {
  const { tasks } = await getJSON(server.url, '/api/v1/tasks?status=in_progress&limit=50');
  const k = tasks.find((x) => x.asset_id);
  await uploadPhoto(server.url, engineer, k.id, 'noexif.jpg', 'before');
  await uploadPhoto(server.url, engineer, k.id, 'gps-ne.jpg', 'after');
  const page = await newPage(browser, { bypassCSP: true }); // axe is injected
  await page.goto(`${server.url}/?tile_origin=${encodeURIComponent(tiles.origin)}&id=${k.asset_id}`);
  await waitReady(page);
  const pairBox = page.locator('[data-testid="details"] [data-testid="photo-pair"]');
  await pairBox.locator('[data-stage="after"] img').waitFor();
  const before = await pairBox.locator('figure[data-stage="before"]').boundingBox();
  const afterBox = await pairBox.locator('figure[data-stage="after"]').boundingBox();
  assert.ok(Math.abs(before.y - afterBox.y) < 2 && afterBox.x > before.x + before.width - 1, 'side by side');
  assert.ok(await pairBox.locator('figure[data-stage="before"] img').evaluate((img) => img.complete && img.naturalWidth > 0));
  await axeCheck(page, 'details with photos', assert);
  await page.context().close();
});

test('the device\'s position is used with its accuracy, and a rate limit is said kindly with the form kept', async () => {
  const { asset } = await reportedManhole();
  const [lon, lat] = asset.geometry.coordinates;
  const page = await openAt([lon, lat], {}, { geolocation: { latitude: lat + 0.002, longitude: lon + 0.002, accuracy: 18 }, permissions: ['geolocation'] });
  await page.selectOption('[data-testid="problem-service"]', 'pothole');
  await page.click('[data-testid="problem-locate"]');
  await page.waitForFunction(() => /精度约 18 米/.test(document.querySelector('[data-testid="problem-location"]').textContent));
  await page.fill('[data-testid="problem-description"]', '路面坑槽');
  // The service says no more for now: 429 with Retry-After.
  await page.route('**/api/v1/reports', (route) => route.fulfill({
    status: 429, headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '120' },
    body: JSON.stringify({ type: '/problems/rate_limited', title: 'Too Many Requests', status: 429, code: 'rate_limited', detail: 'too many reports from this address; try again in 120 s' }),
  }));
  await page.click('[data-testid="problem-submit"]');
  const status = page.locator('[data-testid="problem-status"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="problem-status"]').dataset.code === '429');
  assert.match(await status.innerText(), /感谢您的热心.*2 分钟后再试.*内容已保留/s);
  assert.ok(!/429|rate_limited/.test(await status.innerText()), 'no codes, kind words');
  assert.equal(await page.inputValue('[data-testid="problem-description"]'), '路面坑槽', 'the form keeps what was typed');
  assert.ok(await page.locator('[data-testid="problem-submit"]').isDisabled(), 'sending waits');
  // Without an answer at all, the report waits for the person to send again, with the same key.
  await page.unroute('**/api/v1/reports');
  await page.context().close();
});

test('the report form in English, and axe finds no serious violation in it', async () => {
  const { asset } = await reportedManhole();
  const page = await openAt(asset.geometry.coordinates, {}, { bypassCSP: true });
  await page.click('[data-testid="lang-en"]');
  assert.equal(await page.locator('[data-testid="tab-problem"]').innerText(), 'Report a problem');
  assert.match(await page.locator('[data-testid="problem-service"]').innerText(), /Missing manhole cover/);
  await page.click('[data-testid="problem-centre"]');
  await page.locator('[data-testid="problem-nearby"]').waitFor();
  assert.match(await page.locator('[data-testid="problem-nearby"]').innerText(), /open report\(s\) within 50 m/);
  await axeCheck(page, 'report form with the nearby warning', assert);
  // Following a report in English: the small map and the way to the big one.
  const posted = await fetch(`${server.url}/open311/v2/requests.json`, { method: 'POST',
    body: new URLSearchParams({ service_code: 'pothole', lat: '43.8815', long: '125.2500', description: 'Deep pothole' }) });
  assert.equal(posted.status, 201);
  const [{ service_request_id: ref }] = await posted.json();
  await page.fill('[data-testid="follow-ref"]', ref);
  await page.click('[data-testid="follow-submit"]');
  await page.locator('[data-testid="follow-map"] .leaflet-interactive').first().waitFor();
  assert.equal(await page.locator('[data-testid="follow-show"]').innerText(), 'Show on the map');
  await page.click('[data-testid="tab-layers"]');
  assert.match(await page.locator('label[for="f-ctx-reports"]').innerText(), /Residents' reports \(open\)/);
  await axeCheck(page, 'layers with the residents\' reports', assert);
  await page.click('[data-testid="lang-zh"]');
  await page.context().close();
});
