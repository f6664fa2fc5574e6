// The resident loop on the public map, in headless Chromium against
// `inframap serve -demo`: a resident reports, staff work the case to 结案,
// the reporter's device (and only it) is asked "is it fixed?"; "not fixed"
// with a note and a photo returns the case to 核查, "fixed" with a
// satisfaction answer thanks them. In Chinese on a desktop and in English on
// a phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServer, startTiles, launchBrowser, newPage, waitReady, getJSON, token, call, uploadPhoto, PHOTOS } from './harness.mjs';

let server, tiles, browser, engineer, inspector;
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

before(async () => {
  server = await startServer();
  tiles = await startTiles();
  browser = await launchBrowser();
  engineer = await token(server.url, 'engineer@demo');
  inspector = await token(server.url, 'inspector@demo');
});

after(async () => {
  await browser?.close();
  await tiles?.stop();
  await server?.stop();
});

/** reportFromPage files a report through the form at a place with no open report near it. */
async function reportFromPage(opts, lang, [lon, lat]) {
  const page = await newPage(browser, opts);
  if (lang === 'en') await page.addInitScript(() => localStorage.setItem('inframap.lang', 'en'));
  const q = new URLSearchParams({ tile_origin: tiles.origin, lat: String(lat), lon: String(lon), z: '18', tab: 'problem' });
  await page.goto(`${server.url}/?${q}`);
  await waitReady(page);
  await page.selectOption('[data-testid="problem-service"]', 'pothole');
  await page.click('[data-testid="problem-centre"]');
  await page.fill('[data-testid="problem-description"]', lang === 'en' ? 'A pothole by the bus stop' : '公交站旁路面坑槽');
  const posted = page.waitForResponse((r) => r.url().endsWith('/api/v1/reports') && r.request().method() === 'POST');
  await page.click('[data-testid="problem-submit"]');
  if (await page.locator('[data-testid="problem-send-anyway"]').isVisible().catch(() => false)) await page.click('[data-testid="problem-send-anyway"]');
  assert.equal((await posted).status(), 201);
  const ref = (await page.locator('[data-testid="problem-ref"]').innerText()).trim();
  return { page, ref };
}

/** closeCase works a case to 结案 through the API, as the crews and inspectors would. */
async function closeCase(ref) {
  const { tasks } = await getJSON(server.url, `/api/v1/tasks?q=${ref}&status=reported`);
  const id = tasks.find((k) => k.ref === ref).id;
  for (const [who, to, extra] of [[engineer, 'filed'], [engineer, 'dispatched', { assignee: '绿园区市政养护一队' }], [engineer, 'in_progress'], [engineer, 'done'], [inspector, 'closed']]) {
    if (to === 'closed') await uploadPhoto(server.url, inspector, id, 'noexif.jpg', 'after');
    const cur = await call(server.url, engineer, 'GET', `/api/v1/tasks/${id}`);
    const r = await call(server.url, who, 'POST', `/api/v1/tasks/${id}/transitions`,
      { json: { to, note: to === 'closed' ? '核查通过' : '', ...extra }, headers: { 'If-Match': `"${cur.body.version}"` } });
    assert.equal(r.status, 200, `${to}: ${JSON.stringify(r.body)}`);
  }
  return id;
}

test('after 结案 the reporter says "not fixed" with a note and a photo: the case goes back to 核查', async () => {
  const { page, ref } = await reportFromPage({}, 'zh', [125.2612, 43.8755]);
  // Before 结案 the follow panel asks nothing.
  await page.click('[data-testid="problem-follow"]');
  await page.locator('[data-testid="follow-status"]').waitFor();
  assert.equal(await page.locator('[data-testid="feedback-form"]').count(), 0);
  const id = await closeCase(ref);

  await page.click('[data-testid="follow-submit"]');
  const form = page.locator('[data-testid="feedback-form"]');
  await form.waitFor();
  assert.match(await form.innerText(), /问题解决了吗？/);
  // Sending without an answer says what is missing, nothing is sent.
  await form.locator('[data-testid="feedback-submit"]').click();
  assert.match(await page.locator('[data-testid="feedback-status"]').innerText(), /请选择问题是否已解决/);
  await form.locator('[data-testid="feedback-fixed-false"]').check();
  await form.locator('[data-testid="feedback-note"]').fill('坑还在，下雨积水');
  await form.locator('[data-testid="feedback-photo"]').setInputFiles(join(PHOTOS, 'gps-ne.jpg'));
  await form.locator('[data-testid="feedback-sat-dissatisfied"]').check();
  await form.locator('[data-testid="feedback-submit"]').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="feedback-thanks"]')?.dataset.fixed === 'false');
  assert.match(await page.locator('[data-testid="feedback-thanks"]').innerText(), /已退回核查/);
  await page.waitForFunction(() => document.querySelector('[data-testid="follow-status"]')?.textContent === '处置完成');

  // Staff see it back in verification, with the reporter's words and photo.
  const task = (await call(server.url, engineer, 'GET', `/api/v1/tasks/${id}`)).body;
  assert.equal(task.status, 'done');
  assert.equal(task.history.at(-1).note, '居民反馈未解决：坑还在，下雨积水');
  const photos = (await call(server.url, engineer, 'GET', `/api/v1/tasks/${id}/photos`)).body.photos;
  assert.equal(photos.filter((p) => p.stage === 'report').length, 1, "the reporter's photo, for staff");
  const { tasks } = await getJSON(server.url, '/api/v1/tasks?status=done&limit=200');
  assert.ok(tasks.some((k) => k.id === id), 'in the verification queue');
  assert.deepEqual(page.errors || [], []);
  await page.context().close();
});

test('another device cannot answer; the reporter says "fixed, satisfied" (English, phone) and is thanked once', async () => {
  const { page, ref } = await reportFromPage(PHONE, 'en', [125.2398, 43.8901]);
  await closeCase(ref);
  // Someone else following the same number is not asked.
  const other = await newPage(browser, PHONE);
  await other.goto(`${server.url}/?tile_origin=${encodeURIComponent(tiles.origin)}&tab=problem`);
  await waitReady(other);
  await other.fill('[data-testid="follow-ref"]', ref);
  await other.click('[data-testid="follow-submit"]');
  await other.locator('[data-testid="follow-status"]').waitFor();
  assert.equal(await other.locator('[data-testid="feedback-form"]').count(), 0, 'only the reporter is asked');
  await other.context().close();

  await page.click('[data-testid="problem-follow"]');
  const form = page.locator('[data-testid="feedback-form"]');
  await form.waitFor();
  assert.match(await form.innerText(), /Is it fixed\?/);
  await form.locator('[data-testid="feedback-fixed-true"]').check();
  assert.ok(await form.locator('[data-testid="feedback-note"]').isHidden(), 'no note asked when fixed');
  await form.locator('[data-testid="feedback-sat-satisfied"]').check();
  await form.locator('[data-testid="feedback-submit"]').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="feedback-thanks"]')?.dataset.fixed === 'true');
  assert.equal(await page.locator('[data-testid="feedback-thanks"]').innerText(), 'Thank you for telling us.');
  assert.equal(await page.locator('[data-testid="feedback-form"]').count(), 0, 'asked once');
  const r = await getJSON(server.url, `/api/v1/reports/${ref}`);
  assert.equal(r.answered, true);
  assert.equal(r.status, 'closed');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1));
  await page.context().close();
});

test('moderation is told to the reporter: the changed description and the hidden photo, with the reasons', async () => {
  const { page, ref } = await reportFromPage({}, 'zh', [125.2551, 43.8822]);
  const { tasks } = await getJSON(server.url, `/api/v1/tasks?q=${ref}&status=reported`);
  const id = tasks.find((k) => k.ref === ref).id;
  // Without a reason the change is refused, with the reason the reporter will read.
  const cur = await call(server.url, engineer, 'GET', `/api/v1/tasks/${id}`);
  const refused = await call(server.url, engineer, 'PATCH', `/api/v1/tasks/${id}`, { json: { description: '路面坑槽' }, headers: { 'If-Match': `"${cur.body.version}"` } });
  assert.equal(refused.status, 400);
  assert.equal(refused.body.errors[0].code, 'moderation_needs_reason');
  const ok = await call(server.url, engineer, 'PATCH', `/api/v1/tasks/${id}`, { json: { description: '路面坑槽', note: '已删去与问题无关的内容' }, headers: { 'If-Match': `"${cur.body.version}"` } });
  assert.equal(ok.status, 200);
  const photo = await uploadPhoto(server.url, inspector, id, 'noexif.jpg', 'before');
  const hid = await call(server.url, engineer, 'PATCH', `/api/v1/photos/${photo.id}`, { json: { visible: false, reason: '照片拍到行人面部' } });
  assert.equal(hid.status, 200);

  await page.click('[data-testid="problem-follow"]');
  await page.locator('[data-testid="follow-moderated"]').waitFor();
  assert.match(await page.locator('[data-testid="follow-moderated"]').innerText(), /^工作人员修改了您填写的内容：已删去与问题无关的内容（\d{4}-\d{2}-\d{2} \d{2}:\d{2}）$/);
  assert.equal(await page.locator('[data-testid="follow-hidden-photos"]').innerText(), '1 张照片未公开：照片拍到行人面部');
  assert.doesNotMatch(await page.locator('[data-testid="follow-result"]').innerText(), /公交站旁/, 'the original words are not shown');
  await page.context().close();
});
