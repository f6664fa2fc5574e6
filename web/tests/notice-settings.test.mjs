// The console's notice settings (staff-notices.js, GET and PUT
// /api/v1/notices/preferences) in headless Chromium against `inframap serve
// -demo` sending its mail to an SMTP server of the test: an engineer opens
// 通知 → 通知设置, mutes one kind and asks for another by e-mail too; after a
// reload the choices are kept; a case they dispatched, handed back, reaches
// them by e-mail (in words, with the case's number and its link in the
// console) as well as in the console. The settings' link in the e-mail opens
// the settings.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startTiles, startMail, launchBrowser, newPage, getJSON, token, call, signIn, axeCheck } from './harness.mjs';

let server, tiles, mail, browser, engineer;

before(async () => {
  mail = await startMail();
  server = await startServer({ env: { INFRAMAP_SMTP_URL: mail.url, INFRAMAP_MAIL_FROM: 'inframap@lvyuan.example' } });
  tiles = await startTiles();
  browser = await launchBrowser();
  engineer = await token(server.url, 'engineer@demo');
});

after(async () => {
  await browser?.close();
  await tiles?.stop();
  await server?.stop();
  await mail?.stop();
});

async function consolePage(params = '') {
  const page = await newPage(browser, { bypassCSP: true }); // axe runs in the page
  await page.goto(`${server.url}/manage?tile_origin=${encodeURIComponent(tiles.origin)}${params}`);
  await signIn(page, 'engineer@demo');
  return page;
}

/** openSettings opens 通知 → 通知设置 and waits for its rows. */
async function openSettings(page) {
  await page.locator('[data-testid="notices-button"]').click();
  await page.locator('[data-testid="notice-settings"]').click();
  await page.locator('[data-testid="pref-row"]').first().waitFor();
}

const row = (page, kind) => page.locator(`[data-testid="pref-row"][data-kind="${kind}"]`);

test('an engineer mutes one notice and takes another by e-mail too; the choice is kept and the e-mail comes', async () => {
  const page = await consolePage();
  await openSettings(page);
  const panel = page.locator('[data-testid="notices-panel"]');
  const said = await panel.innerText();
  assert.match(said, /通知设置/);
  assert.match(said, /派遣给我所在单位的案件/);
  assert.match(said, /engineer@demo/);
  assert.doesNotMatch(said, /task\.|webhook\.|notices\.|null|undefined|true|false/);
  // The defaults: every kind received, none by e-mail.
  assert.equal(await page.locator('[data-testid="pref-row"]').count(), 8);
  assert.equal(await page.locator('[data-testid="pref-receive"]:checked').count(), 8);
  assert.equal(await page.locator('[data-testid="pref-email"]:checked').count(), 0);
  await axeCheck(page, 'the notice settings', assert);

  // Mute new reports in my sub-district (its e-mail box goes grey); hand-backs by e-mail too.
  await row(page, 'task.new_in_area').locator('[data-testid="pref-receive"]').uncheck();
  assert.ok(await row(page, 'task.new_in_area').locator('[data-testid="pref-email"]').isDisabled());
  await row(page, 'task.handed_back').locator('[data-testid="pref-email"]').check();
  const put = page.waitForResponse((r) => r.url().endsWith('/api/v1/notices/preferences') && r.request().method() === 'PUT');
  await page.locator('[data-testid="notice-settings-save"]').click();
  assert.equal((await put).status(), 200);
  await page.waitForFunction(() => document.querySelector('[data-testid="notice-settings-status"]')?.textContent === '已保存。');

  // Kept: after a reload the settings show the same.
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 30_000 });
  await openSettings(page);
  assert.equal(await row(page, 'task.new_in_area').locator('[data-testid="pref-receive"]').isChecked(), false);
  assert.equal(await row(page, 'task.handed_back').locator('[data-testid="pref-email"]').isChecked(), true);
  assert.equal(await page.locator('[data-testid="pref-receive"]:checked').count(), 7);
  assert.equal(await page.locator('[data-testid="pref-email"]:checked').count(), 1);
  const stored = (await call(server.url, engineer, 'GET', '/api/v1/notices/preferences')).body;
  assert.deepEqual(stored.preferences.filter((p) => !p.receive || p.email).map((p) => [p.kind, p.receive, p.email]),
    [['task.new_in_area', false, false], ['task.handed_back', true, true]]);

  // A case the engineer dispatched is handed back: the notice in the console and one e-mail.
  const admin = await token(server.url, 'admin@demo');
  const { tasks } = await getJSON(server.url, '/api/v1/tasks?status=filed&limit=50');
  const k = tasks.find((x) => x.asset_id);
  const cur = (await call(server.url, engineer, 'GET', `/api/v1/tasks/${k.id}`)).body;
  let r = await call(server.url, engineer, 'POST', `/api/v1/tasks/${k.id}/transitions`,
    { json: { to: 'dispatched', assignee: '绿园区市政养护一队' }, headers: { 'If-Match': `"${cur.version}"` } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  r = await call(server.url, admin, 'POST', `/api/v1/tasks/${k.id}/transitions`,
    { json: { to: 'filed', note: '不属于本队养护范围' }, headers: { 'If-Match': `"${r.body.version}"` } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const m = await mail.waitFor((x) => x.to.includes('engineer@demo') && x.subject.includes(k.ref), 'of the hand-back');
  assert.equal(m.subject, `案件被回退：${k.ref}「${k.title}」`);
  assert.match(m.text, /被处置单位回退/);
  assert.match(m.text, /不属于本队养护范围/);
  assert.ok(m.text.includes(`/manage?task=${k.id}`), m.text);
  assert.match(m.text, /通知设置/);
  assert.doesNotMatch(m.text, /task\.|handed_back|<no value>/);
  const mine = (await call(server.url, engineer, 'GET', '/api/v1/notices')).body.notices.filter((n) => n.params.task === k.id);
  assert.deepEqual(mine.map((n) => n.kind), ['task.handed_back']);
  assert.equal(mail.messages.filter((x) => x.to.includes('engineer@demo') && x.subject.includes(k.ref)).length, 1);

  // The e-mail's settings link opens the settings in the console.
  const link = m.text.match(/https?:\/\/\S+\/manage\?notices=settings/);
  assert.ok(link, m.text);
  const again = await newPage(browser);
  await again.goto(`${link[0]}&tile_origin=${encodeURIComponent(tiles.origin)}`);
  await signIn(again, 'engineer@demo');
  await again.locator('[data-testid="pref-row"]').first().waitFor();
  assert.equal(await again.locator('[data-testid="pref-email"]:checked').count(), 1);
  assert.deepEqual(page.errors || [], []);
  assert.deepEqual(again.errors || [], []);
  await page.context().close();
  await again.context().close();

  // The change is in the audit trail, said in words.
  const adm = await newPage(browser);
  await adm.goto(`${server.url}/manage?tile_origin=${encodeURIComponent(tiles.origin)}&tab=admin`);
  await signIn(adm, 'admin@demo');
  await adm.locator('[data-testid="audit-row"]').first().waitFor();
  await adm.selectOption('[data-testid="audit-action"]', 'notice_preferences.update');
  await adm.waitForFunction(() => {
    const rows = [...document.querySelectorAll('[data-testid="audit-row"]')];
    return rows.length > 0 && rows.every((r) => r.dataset.action === 'notice_preferences.update');
  });
  const trail = await adm.locator('[data-testid="audit-row"]').first().innerText();
  assert.match(trail, /修改通知设置/);
  assert.match(trail, /不接收的通知：我负责的街道有新上报/);
  assert.match(trail, /同时用邮件接收：我派遣的案件被回退/);
  assert.doesNotMatch(trail, /[{}]|task\.|notice_preferences/);
  await adm.context().close();
});

test('in English, the settings speak English and a refused save is said in words', async () => {
  const page = await newPage(browser);
  await page.addInitScript(() => localStorage.setItem('inframap.lang', 'en'));
  await page.goto(`${server.url}/manage?tile_origin=${encodeURIComponent(tiles.origin)}`);
  await signIn(page, 'engineer@demo');
  await openSettings(page);
  const said = await page.locator('[data-testid="notices-panel"]').innerText();
  assert.match(said, /Notice settings/);
  assert.match(said, /Cases dispatched to my unit/);
  assert.doesNotMatch(said, /task\.|通知设置/);
  // The session ends behind the page's back: the save says so, in words.
  await page.context().clearCookies();
  await page.locator('[data-testid="notice-settings-save"]').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="notice-settings-status"]')?.dataset.kind === 'error');
  const err = await page.locator('[data-testid="notice-settings-status"]').innerText();
  assert.ok(err.length > 0 && !/401|null|undefined/.test(err), err);
  await page.context().close();
});
